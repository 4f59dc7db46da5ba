#include "schedule.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "pb_error.h"

/* Positions within GRID_TOL grid intervals before a grid point count as
 * reached: epochs computed as step / steps_per_epoch and grid points computed as
 * t0 + k every differ from exact arithmetic by a few ulps. */
#define GRID_TOL 1e-9
/* Two recipe epochs that should agree may differ by this much. */
#define RECIPE_TOL 1e-9

/* ---- the pruning grid ------------------------------------------------------- */

/* Points t0 + k every for k < n_reg (those before t1), then t1: n_reg + 1 points. */
typedef struct {
    double t0, t1, every;
    double u_end; /* (t1 - t0) / every, 0 when t1 = t0 */
    long n_reg;
} grid;

static grid grid_make(double t0, double t1, double every) {
    grid g = {t0, t1, every, (t1 - t0) / every, 0};
    if (g.u_end <= GRID_TOL) {
        g.u_end = 0.0;
        g.t1 = t0;
    } else {
        g.n_reg = (long)ceil(g.u_end - GRID_TOL);
    }
    return g;
}

static long grid_count(const grid *g) {
    return g->n_reg + 1;
}

static double grid_point(const grid *g, long k) {
    return k < g->n_reg ? g->t0 + (double)k * g->every : g->t1;
}

/* Fraction of the window at point k: 0 at t0, 1 at t1 (1 for a one-point grid). */
static double grid_fraction(const grid *g, long k) {
    if (k >= g->n_reg) return 1.0;
    return (double)k / g->u_end;
}

/* Index of the last grid point reached at epoch t: -1 before t0. Nondecreasing in t. */
static long grid_index(const grid *g, double t) {
    double u = (t - g->t0) / g->every;
    if (u < -GRID_TOL) return -1;
    if (u >= g->u_end - GRID_TOL) return g->n_reg;
    double k = floor(u + GRID_TOL);
    if (k > (double)(g->n_reg - 1)) k = (double)(g->n_reg - 1);
    if (k < 0.0) k = 0.0;
    return (long)k;
}

static double step_epoch(long step, long spe) {
    return (double)step / (double)spe;
}

/* The first step at which grid_index reaches k (0 <= k < grid_count). */
static long grid_first_step(const grid *g, long k, long spe) {
    long c = (long)ceil(grid_point(g, k) * (double)spe);
    if (c < 0) c = 0;
    while (c > 0 && grid_index(g, step_epoch(c - 1, spe)) >= k) c--;
    while (grid_index(g, step_epoch(c, spe)) < k) c++;
    return c;
}

/* The first step at or after epoch t (the boundary of an LR segment). */
static long first_step_at(double t, long spe) {
    double x = t * (double)spe;
    long c = (long)ceil(x - GRID_TOL * fmax(1.0, fabs(x)));
    return c < 0 ? 0 : c;
}

static int check_spe(long spe) {
    if (spe < 1 || spe > PB_SCHED_MAX_STEPS_PER_EPOCH)
        return PB_ERR(PB_ERANGE, "steps_per_epoch = %ld: expected an integer in [1, %ld]", spe,
                      PB_SCHED_MAX_STEPS_PER_EPOCH);
    return 0;
}

/* An epoch field in [0, PB_SCHED_MAX_EPOCHS]. */
static int check_epoch(const char *what, const char *field, double v) {
    if (!(v >= 0.0 && v <= PB_SCHED_MAX_EPOCHS))
        return PB_ERR(PB_EINVAL, "%s: %s = %g: expected a finite epoch in [0, %g]", what, field, v,
                      PB_SCHED_MAX_EPOCHS);
    return 0;
}

static int check_sparsity(const char *what, const char *field, double v) {
    if (!(v >= 0.0 && v < 1.0)) return PB_ERR(PB_EINVAL, "%s: %s = %g: expected a sparsity in [0, 1)", what, field, v);
    return 0;
}

/* A grid window: start, end >= start, every > 0 with at most PB_SCHED_MAX_UPDATES points. */
static int check_window(const char *what, const char *start_name, double start, const char *end_name, double end,
                        const char *every_name, double every) {
    PB_TRY(check_epoch(what, start_name, start));
    PB_TRY(check_epoch(what, end_name, end));
    if (end < start)
        return PB_ERR(PB_EINVAL, "%s: %s = %g: expected >= %s = %g", what, end_name, end, start_name, start);
    if (!(every > 0.0 && every <= PB_SCHED_MAX_EPOCHS))
        return PB_ERR(PB_EINVAL, "%s: %s = %g: expected a finite number of epochs > 0", what, every_name, every);
    if ((end - start) / every > (double)PB_SCHED_MAX_UPDATES)
        return PB_ERR(PB_ERANGE, "%s: %s = %g: gives more than %ld updates between %g and %g", what, every_name, every,
                      PB_SCHED_MAX_UPDATES, start, end);
    return 0;
}

/* ---- sparsity schedules ----------------------------------------------------- */

static const char *const SPARSITY = "sparsity schedule";

int pb_sched_validate(const pb_sparsity_sched *s) {
    if (!s) return PB_ERR(PB_EINVAL, "%s: NULL", SPARSITY);
    switch (s->kind) {
    case PB_SCHED_CUBIC:
    case PB_SCHED_LINEAR:
        PB_TRY(check_sparsity(SPARSITY, "init_sparsity", s->init_sparsity));
        PB_TRY(check_sparsity(SPARSITY, "final_sparsity", s->final_sparsity));
        if (s->init_sparsity > s->final_sparsity)
            return PB_ERR(
                PB_EINVAL, "%s: init_sparsity = %g: expected <= final_sparsity = %g (a %s schedule only prunes)",
                SPARSITY, s->init_sparsity, s->final_sparsity, s->kind == PB_SCHED_CUBIC ? "cubic" : "linear");
        return check_window(SPARSITY, "start_epoch", s->start_epoch, "end_epoch", s->end_epoch, "update_every_epochs",
                            s->update_every_epochs);
    case PB_SCHED_ONESHOT:
        PB_TRY(check_sparsity(SPARSITY, "final_sparsity", s->final_sparsity));
        return check_epoch(SPARSITY, "start_epoch", s->start_epoch);
    case PB_SCHED_CONSTANT:
        return check_sparsity(SPARSITY, "final_sparsity", s->final_sparsity);
    }
    return PB_ERR(PB_EINVAL, "%s: kind = %d: expected cubic (%d), linear (%d), constant (%d) or oneshot (%d)", SPARSITY,
                  (int)s->kind, PB_SCHED_CUBIC, PB_SCHED_LINEAR, PB_SCHED_CONSTANT, PB_SCHED_ONESHOT);
}

/* The grid of a validated schedule: constant updates once at epoch 0, oneshot at t0. */
static grid sched_grid(const pb_sparsity_sched *s) {
    switch (s->kind) {
    case PB_SCHED_CUBIC:
    case PB_SCHED_LINEAR:
        return grid_make(s->start_epoch, s->end_epoch, s->update_every_epochs);
    case PB_SCHED_ONESHOT:
        return grid_make(s->start_epoch, s->start_epoch, 1.0);
    case PB_SCHED_CONSTANT:
        break;
    }
    return grid_make(0.0, 0.0, 1.0);
}

/* Target at grid point k of a validated schedule. */
static double sched_value(const pb_sparsity_sched *s, const grid *g, long k) {
    const double si = s->init_sparsity, sf = s->final_sparsity;
    const double f = grid_fraction(g, k);
    if (f == 0.0) return si; /* exact at the ends, whatever the rounding in between */
    if (f == 1.0) return sf;
    switch (s->kind) {
    case PB_SCHED_CUBIC: {
        double r = 1.0 - f;
        return sf + (si - sf) * r * r * r;
    }
    case PB_SCHED_LINEAR:
        return si + (sf - si) * f;
    case PB_SCHED_CONSTANT:
    case PB_SCHED_ONESHOT:
        break;
    }
    return sf;
}

double pb_sched_sparsity(const pb_sparsity_sched *s, double epoch) {
    if (pb_sched_validate(s) < 0 || !(epoch >= 0.0)) return NAN;
    if (s->kind == PB_SCHED_CONSTANT) return s->final_sparsity;
    grid g = sched_grid(s);
    long k = grid_index(&g, epoch);
    return k < 0 ? 0.0 : sched_value(s, &g, k);
}

int pb_sched_is_prune_step(const pb_sparsity_sched *s, long step, long steps_per_epoch) {
    PB_TRY(pb_sched_validate(s));
    PB_TRY(check_spe(steps_per_epoch));
    if (step < 0) return PB_ERR(PB_ERANGE, "step = %ld: expected >= 0", step);
    grid g = sched_grid(s);
    long k = grid_index(&g, step_epoch(step, steps_per_epoch));
    if (k < 0) return 0;
    if (step == 0) return 1;
    return k > grid_index(&g, step_epoch(step - 1, steps_per_epoch));
}

long pb_sched_count_updates(const pb_sparsity_sched *s) {
    PB_TRY(pb_sched_validate(s));
    grid g = sched_grid(s);
    return grid_count(&g);
}

double pb_sched_update_epoch(const pb_sparsity_sched *s, long k) {
    if (pb_sched_validate(s) < 0) return NAN;
    grid g = sched_grid(s);
    if (k < 0 || k >= grid_count(&g)) return NAN;
    return grid_point(&g, k);
}

long pb_sched_update_step(const pb_sparsity_sched *s, long k, long steps_per_epoch) {
    PB_TRY(pb_sched_validate(s));
    PB_TRY(check_spe(steps_per_epoch));
    grid g = sched_grid(s);
    if (k < 0 || k >= grid_count(&g))
        return PB_ERR(PB_ERANGE, "%s: update %ld: expected an index in [0, %ld)", SPARSITY, k, grid_count(&g));
    return grid_first_step(&g, k, steps_per_epoch);
}

/* ---- learning-rate schedules ------------------------------------------------ */

static int check_segment(const pb_lr_segment *g, int i) {
    char what[64];
    snprintf(what, sizeof what, "lr schedule: seg[%d]", i);
    PB_TRY(check_epoch(what, "start_epoch", g->start_epoch));
    PB_TRY(check_epoch(what, "end_epoch", g->end_epoch));
    if (!(g->end_epoch > g->start_epoch))
        return PB_ERR(PB_EINVAL, "%s: end_epoch = %g: expected > start_epoch = %g", what, g->end_epoch, g->start_epoch);
    if (!(g->lr_init > 0.0 && isfinite(g->lr_init)))
        return PB_ERR(PB_EINVAL, "%s: lr_init = %g: expected a finite value > 0", what, g->lr_init);
    switch (g->kind) {
    case PB_SCHED_LR_CONSTANT:
        return 0;
    case PB_SCHED_LR_LINEAR:
    case PB_SCHED_LR_CYCLIC:
        if (!(g->lr_final >= 0.0 && isfinite(g->lr_final)))
            return PB_ERR(PB_EINVAL, "%s: lr_final = %g: expected a finite value >= 0", what, g->lr_final);
        break;
    default:
        return PB_ERR(PB_EINVAL, "%s: kind = %d: expected cyclic (%d), linear (%d) or constant (%d)", what,
                      (int)g->kind, PB_SCHED_LR_CYCLIC, PB_SCHED_LR_LINEAR, PB_SCHED_LR_CONSTANT);
    }
    if (g->kind == PB_SCHED_LR_LINEAR) {
        if (g->warmup_steps < 0)
            return PB_ERR(PB_EINVAL, "%s: warmup_steps = %ld: expected >= 0", what, g->warmup_steps);
        if (!(g->warmup_fraction >= 0.0 && g->warmup_fraction < 1.0))
            return PB_ERR(PB_EINVAL, "%s: warmup_fraction = %g: expected a fraction in [0, 1)", what,
                          g->warmup_fraction);
        if (g->warmup_steps > 0 && g->warmup_fraction > 0.0)
            return PB_ERR(PB_EINVAL, "%s: warmup_steps = %ld and warmup_fraction = %g: expected at most one nonzero",
                          what, g->warmup_steps, g->warmup_fraction);
        return 0;
    }
    if (!(g->last_rewind_epoch >= g->start_epoch && g->last_rewind_epoch <= g->end_epoch))
        return PB_ERR(PB_EINVAL, "%s: last_rewind_epoch = %g: expected in [start_epoch = %g, end_epoch = %g]", what,
                      g->last_rewind_epoch, g->start_epoch, g->end_epoch);
    return check_window(what, "start_epoch", g->start_epoch, "last_rewind_epoch", g->last_rewind_epoch, "cycle_epochs",
                        g->cycle_epochs);
}

int pb_sched_validate_lr(const pb_lr_sched *s) {
    if (!s) return PB_ERR(PB_EINVAL, "lr schedule: NULL");
    if (s->n_segments < 1 || s->n_segments > PB_SCHED_LR_MAX_SEGMENTS)
        return PB_ERR(PB_EINVAL, "lr schedule: n_segments = %d: expected 1 to %d", s->n_segments,
                      PB_SCHED_LR_MAX_SEGMENTS);
    if (s->seg[0].start_epoch != 0.0)
        return PB_ERR(PB_EINVAL, "lr schedule: seg[0].start_epoch = %g: expected 0", s->seg[0].start_epoch);
    for (int i = 0; i < s->n_segments; i++) {
        PB_TRY(check_segment(&s->seg[i], i));
        if (i > 0 && s->seg[i].start_epoch != s->seg[i - 1].end_epoch)
            return PB_ERR(PB_EINVAL, "lr schedule: seg[%d].start_epoch = %g: expected seg[%d].end_epoch = %g", i,
                          s->seg[i].start_epoch, i - 1, s->seg[i - 1].end_epoch);
    }
    return 0;
}

/* Linear from a at step 0 of n steps to b at step n. */
static double lerp_steps(double a, double b, long t, long n) {
    return n > 0 ? a + (b - a) * ((double)t / (double)n) : a;
}

/* The LR of a validated segment at step, S0 <= step (< S1 or held after). */
static double segment_lr(const pb_lr_segment *g, long step, long s0, long s1, long spe) {
    switch (g->kind) {
    case PB_SCHED_LR_CONSTANT:
        return g->lr_init;
    case PB_SCHED_LR_LINEAR: {
        long n = s1 - s0, t = step - s0;
        long w = g->warmup_steps > 0 ? g->warmup_steps : (long)llround(g->warmup_fraction * (double)n);
        if (t < w) return g->lr_init * ((double)t / (double)w);
        return lerp_steps(g->lr_init, g->lr_final, t - w, n - w);
    }
    case PB_SCHED_LR_CYCLIC:
        break;
    }
    grid c = grid_make(g->start_epoch, g->last_rewind_epoch, g->cycle_epochs);
    long k = grid_index(&c, step_epoch(step, spe));
    if (k < 0) k = 0;
    long r0 = grid_first_step(&c, k, spe);
    if (r0 < s0 || r0 > step) r0 = s0;
    long r1 = k + 1 < grid_count(&c) ? grid_first_step(&c, k + 1, spe) : s1;
    if (r1 > s1) r1 = s1;
    return lerp_steps(g->lr_init, g->lr_final, step - r0, r1 - r0);
}

double pb_sched_lr(const pb_lr_sched *s, long step, long steps_per_epoch) {
    if (pb_sched_validate_lr(s) < 0 || check_spe(steps_per_epoch) < 0) return NAN;
    if (step < 0) return NAN;
    long s0 = 0;
    for (int i = 0; i < s->n_segments; i++) {
        const pb_lr_segment *g = &s->seg[i];
        long s1 = first_step_at(g->end_epoch, steps_per_epoch);
        if (step < s1) return segment_lr(g, step, s0, s1, steps_per_epoch);
        s0 = s1;
    }
    /* past the end: hold the last segment's final value */
    const pb_lr_segment *last = &s->seg[s->n_segments - 1];
    return last->kind == PB_SCHED_LR_CONSTANT ? last->lr_init : last->lr_final;
}

/* ---- recipes ------------------------------------------------------------------ */

static const char *const RECIPE = "recipe";

void pb_recipe_default_obert(pb_recipe *r) {
    *r = (pb_recipe){
        .epochs = 30.0,
        .dense_epochs = 2.0,
        .prune_start_epoch = 2.0,
        .prune_end_epoch = 26.0,
        .update_every_epochs = 4.0,
        .init_sparsity = 0.7,
        .final_sparsity = 0.9,
        .lr_init = 8e-5,
        .lr_final = 8e-6,
        .cooldown_epochs = 4.0,
    };
}

static int near(double a, double b) {
    return fabs(a - b) <= RECIPE_TOL * fmax(1.0, fmax(fabs(a), fabs(b)));
}

int pb_recipe_validate(const pb_recipe *r) {
    if (!r) return PB_ERR(PB_EINVAL, "%s: NULL", RECIPE);
    PB_TRY(check_epoch(RECIPE, "epochs", r->epochs));
    if (!(r->epochs > 0.0)) return PB_ERR(PB_EINVAL, "%s: epochs = %g: expected > 0", RECIPE, r->epochs);
    PB_TRY(check_epoch(RECIPE, "dense_epochs", r->dense_epochs));
    PB_TRY(check_window(RECIPE, "prune_start_epoch", r->prune_start_epoch, "prune_end_epoch", r->prune_end_epoch,
                        "update_every_epochs", r->update_every_epochs));
    if (!near(r->prune_start_epoch, r->dense_epochs))
        return PB_ERR(PB_EINVAL, "%s: prune_start_epoch = %g: expected dense_epochs = %g", RECIPE, r->prune_start_epoch,
                      r->dense_epochs);
    PB_TRY(check_epoch(RECIPE, "cooldown_epochs", r->cooldown_epochs));
    if (!(r->cooldown_epochs > 0.0))
        return PB_ERR(PB_EINVAL,
                      "%s: cooldown_epochs = %g: expected > 0 (the last pruning update needs training after it)",
                      RECIPE, r->cooldown_epochs);
    if (!near(r->prune_end_epoch + r->cooldown_epochs, r->epochs))
        return PB_ERR(PB_EINVAL, "%s: epochs = %g: expected prune_end_epoch + cooldown_epochs = %g", RECIPE, r->epochs,
                      r->prune_end_epoch + r->cooldown_epochs);
    PB_TRY(check_sparsity(RECIPE, "init_sparsity", r->init_sparsity));
    PB_TRY(check_sparsity(RECIPE, "final_sparsity", r->final_sparsity));
    if (r->init_sparsity > r->final_sparsity)
        return PB_ERR(PB_EINVAL, "%s: init_sparsity = %g: expected <= final_sparsity = %g", RECIPE, r->init_sparsity,
                      r->final_sparsity);
    if (!(r->lr_init > 0.0 && isfinite(r->lr_init)))
        return PB_ERR(PB_EINVAL, "%s: lr_init = %g: expected a finite value > 0", RECIPE, r->lr_init);
    if (!(r->lr_final >= 0.0 && isfinite(r->lr_final)))
        return PB_ERR(PB_EINVAL, "%s: lr_final = %g: expected a finite value >= 0", RECIPE, r->lr_final);
    return 0;
}

int pb_recipe_scale(const pb_recipe *base, double target_sparsity, int scaled, pb_recipe *out) {
    PB_TRY(pb_recipe_validate(base));
    if (!out) return PB_ERR(PB_EINVAL, "%s: out = NULL", RECIPE);
    PB_TRY(check_sparsity(RECIPE, "target_sparsity", target_sparsity));
    pb_recipe r = *base;
    r.final_sparsity = target_sparsity;
    if (!scaled) {
        if (r.init_sparsity > target_sparsity) r.init_sparsity = target_sparsity;
        PB_TRY(pb_recipe_validate(&r));
        *out = r;
        return 0;
    }
    if (!(base->final_sparsity > 0.0))
        return PB_ERR(PB_EINVAL, "%s: final_sparsity = %g: a scaled recipe needs a base target > 0", RECIPE,
                      base->final_sparsity);
    const double d_base = -log1p(-base->final_sparsity), d = -log1p(-target_sparsity);
    const double n_base = (base->prune_end_epoch - base->prune_start_epoch) / base->update_every_epochs;
    double n = round(n_base * (d / d_base));
    if (n < 1.0) n = 1.0;
    r.prune_end_epoch = r.prune_start_epoch + n * r.update_every_epochs;
    r.epochs = r.prune_end_epoch + r.cooldown_epochs;
    const double k = log1p(-base->init_sparsity) / log1p(-base->final_sparsity);
    r.init_sparsity = -expm1(k * log1p(-target_sparsity));
    if (r.init_sparsity > target_sparsity) r.init_sparsity = target_sparsity; /* rounding only: k <= 1 */
    if (r.init_sparsity < 0.0) r.init_sparsity = 0.0;
    PB_TRY(pb_recipe_validate(&r));
    *out = r;
    return 0;
}

int pb_recipe_sparsity_sched(const pb_recipe *r, pb_sparsity_sched *out) {
    PB_TRY(pb_recipe_validate(r));
    if (!out) return PB_ERR(PB_EINVAL, "%s: out = NULL", RECIPE);
    *out = (pb_sparsity_sched){
        .kind = PB_SCHED_CUBIC,
        .init_sparsity = r->init_sparsity,
        .final_sparsity = r->final_sparsity,
        .start_epoch = r->prune_start_epoch,
        .end_epoch = r->prune_end_epoch,
        .update_every_epochs = r->update_every_epochs,
    };
    return pb_sched_validate(out);
}

int pb_recipe_lr_sched(const pb_recipe *r, pb_lr_sched *out) {
    PB_TRY(pb_recipe_validate(r));
    if (!out) return PB_ERR(PB_EINVAL, "%s: out = NULL", RECIPE);
    pb_lr_sched s = {0};
    if (r->dense_epochs > 0.0)
        s.seg[s.n_segments++] = (pb_lr_segment){
            .start_epoch = 0.0,
            .end_epoch = r->prune_start_epoch,
            .kind = PB_SCHED_LR_LINEAR,
            .lr_init = r->lr_init,
            .lr_final = r->lr_final,
        };
    s.seg[s.n_segments++] = (pb_lr_segment){
        .start_epoch = r->prune_start_epoch,
        .end_epoch = r->epochs,
        .kind = PB_SCHED_LR_CYCLIC,
        .lr_init = r->lr_init,
        .lr_final = r->lr_final,
        .cycle_epochs = r->update_every_epochs,
        .last_rewind_epoch = r->prune_end_epoch,
    };
    PB_TRY(pb_sched_validate_lr(&s));
    *out = s;
    return 0;
}
