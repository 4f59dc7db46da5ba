/* The trainer: one cell (one model, one task, one recipe, one seed) from start
 * to finish. Every choice of the recipe is data in pb_train_spec: the pruning
 * method, scope, mask kind and selected tensors, the sparsity and learning-rate
 * schedules, knowledge distillation. The loop is the same for all of them.
 * Resumable: with a state path it checkpoints every N steps (atomically) and a
 * resumed run ends bit-identical to an uninterrupted one. */
#ifndef PB_TRAINER_H
#define PB_TRAINER_H

#include <signal.h>
#include <stdint.h>

#include "data.h"
#include "loss.h"
#include "model.h"
#include "optim.h"
#include "prune.h"
#include "schedule.h"

typedef struct {
    uint64_t seed;          /* shuffling, dropout, random pruning */
    int epochs;
    int batch_size;
    /* Hugging Face's group_by_length: batches of examples of similar length
     * (each epoch's shuffled order sorted within megabatches of 50 batches,
     * longest first), so that dynamic padding removes most of the padding */
    int group_by_length;
    pb_adamw_hparams adam;  /* its lr is replaced by the schedule's at every step */
    float max_grad_norm;    /* <= 0: no clipping */
    pb_lr_sched lr;
    /* pruning; prune.method == NULL trains dense */
    pb_prune_spec prune;
    pb_sparsity_sched sparsity;
    double audit_tol;       /* allowed |achieved - target| beyond rounding */
    /* distillation: teacher logits of every training example, in example order,
     * `teacher_stride` floats each (the head's logits of one example); NULL = off */
    const float *teacher_logits;
    size_t teacher_stride;
    pb_kd_params kd;
    /* evaluation and checkpoints */
    double eval_every_epochs;    /* 0: only at the end */
    long checkpoint_every_steps; /* 0: none */
    const char *state_path;      /* the training-state file; NULL: no checkpoints */
    int resume;                  /* continue from state_path when it exists */
    const char *run_text;        /* resolved run config; a resumed state must match */
    long stop_after_steps;       /* stop as if killed after this many steps (tests); 0: off */
    /* when non-NULL and *stop_requested becomes non-zero (a signal handler
     * sets it), the loop saves the state (state_path) after the current step
     * and returns with status PB_TRAIN_STOPPED */
    const volatile sig_atomic_t *stop_requested;
    /* Optional progress report (the CLI prints it): called every
     * progress_every steps (0: never) and after every evaluation, with the
     * metrics of that evaluation or NULL. */
    void (*progress)(void *ctx, long step, long total_steps, float loss, const pb_metrics *eval);
    void *progress_ctx;
    long progress_every;
} pb_train_spec;

enum { PB_TRAIN_DONE = 0, PB_TRAIN_DIVERGED = 1, PB_TRAIN_STOPPED = 2 };
enum { PB_CURVE_LOSS = 0, PB_CURVE_LR = 1, PB_CURVE_SPARSITY = 2, PB_CURVE_COLS = 3 };

typedef struct {
    int status;                /* PB_TRAIN_* */
    char reason[256];          /* why a run diverged or stopped */
    long steps, steps_per_epoch;
    pb_metrics final_metrics;  /* dev split, at the end */
    int n_evals;
    double *eval_epochs;       /* [n_evals] */
    pb_metrics *evals;         /* [n_evals] */
    float *curves;             /* [steps, PB_CURVE_COLS]: loss, lr, sparsity per step */
    pb_audit_row *audit_rows;  /* [m->n_params] storage; audit.rows points here */
    pb_audit audit;            /* final sparsity audit (pruned runs) */
    int pruned;
    double wall_seconds;
    double tokens;             /* training tokens processed (padding included) */
    double dense_flops;        /* training FLOPs as if dense (3 x forward) */
    double sparse_flops;       /* the same with pruned encoder products skipped */
} pb_train_result;

/* Train m on ds per spec. Returns 0 when the loop ran (check out->status for
 * divergence), a PB_E* code on bad input or I/O failure. Free *out with
 * pb_train_result_free in either case. */
int pb_train_run(pb_model *m, const pb_data_source *ds, const pb_train_spec *spec, pb_train_result *out);
void pb_train_result_free(pb_train_result *r);
/* Logits of every example of a split, in order (dropout off): evaluation and
 * teacher logits. *out is allocated ([count, stride]); *stride per example. */
int pb_train_predict(pb_model *m, const pb_data_source *ds, int split, int batch_size, float **out, size_t *stride);
/* What evaluate takes: the logits, or their per-example summary when the
 * task has a reduce callback. */
int pb_train_predict_eval(pb_model *m, const pb_data_source *ds, int split, int batch_size, float **out, size_t *stride);
/* The evaluation the trainer runs (every eval_every_epochs and at the end,
 * with batch_size = the spec's): the split's predictions in batches of
 * batch_size (dropout off) scored by the task's metric. The model's head,
 * length, vocabulary and num_labels must fit the task (errors say which). */
int pb_train_evaluate(pb_model *m, const pb_data_source *ds, int split, int batch_size, pb_metrics *out);

#endif
