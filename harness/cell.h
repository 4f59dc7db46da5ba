/* One cell from a run config: resolve the model, the task, the recipe and
 * distillation into a training spec, train (resumably), and write
 * DIR/model.h5 and DIR/result.h5. */
#ifndef PB_CELL_H
#define PB_CELL_H

#include <signal.h>

#include "runconfig.h"
#include "trainer.h"

typedef struct {
    const char *out_dir;   /* DIR: model.h5, result.h5, state.h5 */
    int resume;            /* continue from DIR/state.h5 when it exists */
    const char *cache_dir; /* teacher-logit cache; NULL: "cache/kd" */
    long stop_after_steps; /* tests: stop as if killed (0: off) */
    const volatile sig_atomic_t *stop_requested; /* non-NULL: stop (state saved) once it becomes non-zero */
    const char *cell_id; /* the id stored in result.h5; NULL: the hash of the resolved run config */
    /* optional progress report, passed to the trainer (pb_train_spec.progress) */
    void (*progress)(void *ctx, long step, long total_steps, float loss, const pb_metrics *eval);
    void *progress_ctx;
    long progress_every;
} pb_cell_opts;

typedef struct {
    int status;             /* PB_TRAIN_* */
    char reason[256];
    pb_metrics metrics;     /* final dev metrics */
    double encoder_sparsity;
    long steps;
    double wall_seconds;
    int kd_cache_hit;       /* teacher logits came from the cache */
} pb_cell_outcome;

int pb_cell_run(const pb_runconfig *rc, const pb_cell_opts *o, pb_cell_outcome *out);

/* SHA-256 digests (results/digest.h) of what a cell reads, as its result
 * records them: the task's data folder ("" for built-in data) and the model
 * it starts from (the checkpoint file, or a Hugging Face folder's model and
 * tokenizer files; "" for init: random). */
int pb_cell_input_digests(const pb_runconfig *rc, char data_sha[65], char model_sha[65]);

/* The training spec of a run config for a model of `total_epochs` (scaled
 * recipes change it): schedules, pruning, optimizer. selected: [m->n_params]. */
int pb_cell_train_spec(const pb_runconfig *rc, const pb_model *m, int *selected, pb_train_spec *spec);

#endif
