/* One cell from a run config: resolve the model, the task, the recipe and
 * distillation into a training spec, train (resumably), and write
 * DIR/model.h5 and DIR/result.h5. */
#ifndef PB_CELL_H
#define PB_CELL_H

#include <signal.h>

#include "baseline.h"
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

/* What loading the model reported, as Hugging Face's loading info does (the
 * harness prints it as a warning): the tensors of the file the model did not
 * use ("unexpected") and the model's tensors the file lacked, which keep their
 * fresh initialization ("missing": e.g. the classifier of a masked-LM
 * checkpoint). The names are joined by ", " (cut with "..." when longer than
 * the buffer; result.h5 has them all). */
typedef struct {
    const char *architecture; /* the model loaded, e.g. "BertForSequenceClassification" (static) */
    int n_unexpected, n_missing;
    char unexpected[1024], missing[1024];
} pb_cell_load;

typedef struct {
    int status;             /* PB_TRAIN_* */
    char reason[256];
    pb_metrics metrics;     /* final dev metrics */
    double encoder_sparsity;
    long steps;
    double wall_seconds;
    int kd_cache_hit;       /* teacher logits came from the cache */
    pb_cell_load load;      /* what loading the model reported */
} pb_cell_outcome;

/* Train one cell into o->out_dir, which is created only once the model, the
 * data (and a KD teacher's logits) have opened: an early failure leaves no
 * folder. DIR/model.h5 remembers the tokenizer the task read (a folder's or
 * data.tokenizer's files, or the starting checkpoint's; io.h) and the task's
 * class names, so that `export` writes a folder that loads again. */
int pb_cell_run(const pb_runconfig *rc, const pb_cell_opts *o, pb_cell_outcome *out);

/* Score a model on its task's dev split without training: rc's model (a
 * checkpoint, a Hugging Face folder or init: random), task, data, seed (the
 * initialization of missing tensors), threads, train.batch_size (evaluation
 * batches) and train.max_seq_length; the rest of rc is not used. A
 * checkpoint's remembered tokenizer serves the task when data.tokenizer is
 * not given. The metrics are those the trainer's final evaluation computes
 * (pb_train_evaluate) for the same model and batch size. With o->out_dir,
 * writes DIR/result.h5 (results/SCHEMA.md): status done, the metrics, one
 * evaluation at epoch 0, no steps (empty curves), the sparsity audit when the
 * model has zeros, the costs and the provenance; DIR is created only then. */
typedef struct {
    const char *out_dir; /* DIR for result.h5; NULL: no file */
    const char *cell_id; /* the id stored in result.h5; NULL: "eval-" and a hash of the resolved run config */
} pb_cell_eval_opts;

typedef struct {
    pb_metrics metrics;       /* dev metrics */
    long examples;            /* dev examples scored */
    int pruned;               /* some audited weight is zero (result.h5 has an audit) */
    double encoder_sparsity;  /* zeros over the encoder's weights, fraction */
    double selected_sparsity; /* zeros over the audited tensors, fraction */
    double wall_seconds;      /* the evaluation */
    pb_cell_load load;      /* what loading the model reported */
} pb_cell_eval_outcome;

int pb_cell_eval(const pb_runconfig *rc, const pb_cell_eval_opts *o, pb_cell_eval_outcome *out);

/* What a cell opens before it trains, checked without training (0, or the
 * error the cell would fail with): a model, as a checkpoint's config or a
 * Hugging Face folder's config.json and model.safetensors; and rc's task
 * data, opened through the tokenizer the cell would use. */
int pb_cell_check_model(const char *path);
int pb_cell_check_task(const pb_runconfig *rc);
/* The chance and majority-class baselines of rc's task's dev split
 * (tasks/baseline.h), the task opened as a cell opens it: 1 with *out set, 0
 * for a task without them, or the open error. */
int pb_cell_baseline(const pb_runconfig *rc, pb_baseline *out);

/* SHA-256 digests (results/digest.h) of what a cell reads, as its result
 * records them: the task's data folder ("" for built-in data) and the model
 * it starts from (the checkpoint file, or a Hugging Face folder's model and
 * tokenizer files; "" for init: random). */
int pb_cell_input_digests(const pb_runconfig *rc, char data_sha[65], char model_sha[65]);

/* The training spec of a run config for a model of `total_epochs` (scaled
 * recipes change it): schedules, pruning, optimizer. selected: [m->n_params]. */
int pb_cell_train_spec(const pb_runconfig *rc, const pb_model *m, int *selected, pb_train_spec *spec);

#endif
