/* Schedules as data: the sparsity target and the learning rate as functions of
 * the training position, and pruning recipes that derive both (optionally
 * scaled to the target sparsity, the paper's guideline 2).
 *
 * Positions: `step` counts optimizer steps from 0; `epoch` = step /
 * steps_per_epoch (fractional). Schedules are plain structs (no callbacks, no
 * allocation), so they can be copied, stored and compared.
 *
 * The pruning grid of a gradual schedule: the points t0, t0 + every,
 * t0 + 2 every, ... that lie before t1, and t1 itself (the last update always
 * happens at t1, as in SparseML's GMP, even when t1 - t0 is not a multiple of
 * every). A pruning update happens at the first step at or after each grid
 * point; the sparsity target is a step function that changes exactly at those
 * steps. A position less than 1e-9 update intervals before a grid point counts
 * as reached, so with a fractional spacing such as every = 0.1 the updates land
 * on the steps exact arithmetic gives despite rounding in k * every. */
#ifndef PB_SCHEDULE_H
#define PB_SCHEDULE_H

/* ---- sparsity schedules --------------------------------------------------- */

/* Kinds in the order of pb_runconfig_schedule_kind. */
typedef enum {
    PB_SCHED_CUBIC = 0, /* s_f + (s_i - s_f)(1 - f)^3 at the grid points, f = (t_k - t0)/(t1 - t0) */
    PB_SCHED_LINEAR,    /* s_i + (s_f - s_i) f at the grid points */
    PB_SCHED_CONSTANT,  /* s_f from step 0 on (sparse transfer: masks set once, then fixed) */
    PB_SCHED_ONESHOT    /* 0 before t0, s_f from t0 on */
} pb_sched_kind;

typedef struct {
    pb_sched_kind kind;
    double init_sparsity;       /* s_i, the first update's target (cubic, linear); [0, 1), <= final */
    double final_sparsity;      /* s_f; [0, 1) */
    double start_epoch;         /* t0 (cubic, linear, oneshot); >= 0 */
    double end_epoch;           /* t1 (cubic, linear); >= start_epoch */
    double update_every_epochs; /* grid spacing (cubic, linear); > 0, may be fractional */
} pb_sparsity_sched;

/* Upper bounds that keep every step number within a long. */
#define PB_SCHED_MAX_EPOCHS 1e6
#define PB_SCHED_MAX_UPDATES 1000000000L
#define PB_SCHED_MAX_STEPS_PER_EPOCH 1000000000000L

/* Check the fields the kind uses; the message names the field and the range. */
int pb_sched_validate(const pb_sparsity_sched *s);
/* The target sparsity at fractional epoch `epoch` (>= 0): 0 before the first
 * update, the value of the last grid point reached, s_f after t1. NaN when the
 * schedule is invalid (message recorded) or epoch is negative or NaN. */
double pb_sched_sparsity(const pb_sparsity_sched *s, double epoch);
/* 1 when a pruning update happens at `step` (the first step at or after a grid
 * point: exactly the steps where pb_sched_sparsity(step / spe) changes or, at
 * step 0, is set), 0 otherwise; negative PB_E* for an invalid schedule, step <
 * 0 or steps_per_epoch outside [1, PB_SCHED_MAX_STEPS_PER_EPOCH]. A constant
 * schedule updates at step 0 only. */
int pb_sched_is_prune_step(const pb_sparsity_sched *s, long step, long steps_per_epoch);
/* Number of grid points (1 for constant and oneshot); negative PB_E* when
 * invalid. Each is a pruning update, except that points falling within one step
 * share it (one update, to the later point's target). */
long pb_sched_count_updates(const pb_sparsity_sched *s);
/* Epoch of grid point k (0-based, < pb_sched_count_updates); NaN out of range. */
double pb_sched_update_epoch(const pb_sparsity_sched *s, long k);
/* Step of update k: the first step at or after grid point k; negative PB_E*
 * when invalid or k out of range. */
long pb_sched_update_step(const pb_sparsity_sched *s, long k, long steps_per_epoch);

/* ---- learning-rate schedules ---------------------------------------------- */

/* Kinds in the order of pb_runconfig_lr_schedule. */
typedef enum {
    PB_SCHED_LR_CYCLIC = 0, /* rewind to lr_init at every cycle point, linear to lr_final by the next */
    PB_SCHED_LR_LINEAR,     /* optional warmup 0 -> lr_init, then linear to lr_final at the segment end */
    PB_SCHED_LR_CONSTANT    /* lr_init throughout */
} pb_sched_lr_kind;

/* One epoch range [start_epoch, end_epoch). Within it, positions are counted in
 * steps: a segment covers steps [S0, S1) with S0 (S1) the first step at or after
 * start_epoch (end_epoch), and a linear piece over n steps moves from its start
 * value at its first step by (end - start)/n per step, so it reaches the end
 * value at the piece's boundary, the first step of what follows (the convention
 * of Hugging Face's linear schedule). */
typedef struct {
    double start_epoch, end_epoch;
    pb_sched_lr_kind kind;
    double lr_init;  /* > 0 */
    double lr_final; /* >= 0 (linear, cyclic) */
    /* linear: warmup from 0 to lr_init over warmup_steps, or over
     * round(warmup_fraction * segment steps); at most one of them nonzero */
    long warmup_steps;      /* >= 0 */
    double warmup_fraction; /* [0, 1) */
    /* cyclic: rewind points start_epoch + k cycle_epochs (before last_rewind_epoch)
     * and last_rewind_epoch itself, the grid of a sparsity schedule with t0 =
     * start_epoch, every = cycle_epochs, t1 = last_rewind_epoch, so rewinds fall on
     * its pruning steps; the last cycle decays from last_rewind_epoch to end_epoch. */
    double cycle_epochs;      /* > 0 */
    double last_rewind_epoch; /* [start_epoch, end_epoch] */
} pb_lr_segment;

#define PB_SCHED_LR_MAX_SEGMENTS 16

/* Segments contiguous from epoch 0: seg[0].start_epoch = 0 and each starts where
 * the previous ends. After the last segment the LR holds at its final value. */
typedef struct {
    int n_segments; /* [1, PB_SCHED_LR_MAX_SEGMENTS] */
    pb_lr_segment seg[PB_SCHED_LR_MAX_SEGMENTS];
} pb_lr_sched;

/* Check every segment and the chaining; messages name seg[i].field. */
int pb_sched_validate_lr(const pb_lr_sched *s);
/* The learning rate at `step`; NaN when the schedule is invalid (message
 * recorded), step < 0 or steps_per_epoch outside [1, PB_SCHED_MAX_STEPS_PER_EPOCH]. */
double pb_sched_lr(const pb_lr_sched *s, long step, long steps_per_epoch);

/* ---- recipes ---------------------------------------------------------------- */

/* A gradual-pruning recipe in the oBERT / GMP* shape: dense epochs with one
 * linear LR decay, cubic pruning updates every update_every_epochs from
 * prune_start_epoch to prune_end_epoch with an LR cycle per update, and a
 * cooldown after the last update in which the last cycle's decay runs to the end.
 * Consistency: prune_start_epoch = dense_epochs and prune_end_epoch +
 * cooldown_epochs = epochs. */
typedef struct {
    double epochs;              /* > 0 */
    double dense_epochs;        /* >= 0: no pruning, LR lr_init -> lr_final */
    double prune_start_epoch;   /* = dense_epochs */
    double prune_end_epoch;     /* >= prune_start_epoch */
    double update_every_epochs; /* > 0: pruning frequency and LR cycle length */
    double init_sparsity;       /* first update's target; [0, 1), <= final_sparsity */
    double final_sparsity;      /* [0, 1) */
    double lr_init;             /* > 0 */
    double lr_final;            /* >= 0 */
    double cooldown_epochs;     /* > 0: the last update needs training after it */
} pb_recipe;

/* The public oBERT / GMP* recipe (30epochs_unstructured90_squad.yaml): 30 epochs,
 * 2 dense, cubic 0.7 -> 0.9 from epoch 2 to 26 every 4, LR 8e-5 -> 8e-6, 4 cooldown. */
void pb_recipe_default_obert(pb_recipe *r);
int pb_recipe_validate(const pb_recipe *r);
/* Derive the recipe for target_sparsity in [0, 1) from `base` (validated).
 * scaled = 0 ("fixed"): base with final_sparsity = target (init_sparsity lowered
 *   to the target when above it, since a gradual schedule never lowers sparsity).
 * scaled = 1: keep dense_epochs, update_every_epochs, cooldown_epochs and the LR
 *   values; with D(s) = ln(1 / (1 - s)) ("compression difficulty"),
 *     n      = max(1, round(n_base * D(target) / D(base.final_sparsity))) cycles,
 *              n_base = (prune_end - prune_start) / update_every of the base,
 *     prune_end = prune_start + n * update_every,  epochs = prune_end + cooldown,
 *     init   = 1 - (1 - target)^k, k = ln(1 - base.init) / ln(1 - base.final),
 *   so the base target reproduces the base (when its window is a whole number of
 *   cycles) and every quantity is nondecreasing in the target. Needs
 *   base.final_sparsity > 0. `out` may alias `base`; on error it is untouched. */
int pb_recipe_scale(const pb_recipe *base, double target_sparsity, int scaled, pb_recipe *out);
/* The recipe's cubic schedule: init -> final from prune_start to prune_end every
 * update_every_epochs. */
int pb_recipe_sparsity_sched(const pb_recipe *r, pb_sparsity_sched *out);
/* The recipe's LR: [0, dense_epochs) linear lr_init -> lr_final (omitted when
 * dense_epochs = 0), then [dense_epochs, epochs) cyclic with cycle_epochs =
 * update_every_epochs and last_rewind_epoch = prune_end_epoch, so the LR rewinds
 * at every pruning update and the last decay runs to the end of training. */
int pb_recipe_lr_sched(const pb_recipe *r, pb_lr_sched *out);

#endif
