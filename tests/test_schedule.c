/* Sparsity and learning-rate schedules and the sparsity-scaled recipes: the
 * oBERT / GMP* 30-epoch recipe point by point, pruning steps on fractional
 * grids, composed LR segments, validation messages, and the scaling rule. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pb_error.h"
#include "schedule.h"
#include "testutil.h"

static pb_sparsity_sched cubic_obert(void) {
    return (pb_sparsity_sched){PB_SCHED_CUBIC, 0.7, 0.9, 2.0, 26.0, 4.0};
}

/* |a - b| <= tol, printing both on failure. */
#define ASSERT_NEAR(a, b, tol)                                                                                         \
    do {                                                                                                               \
        double pb_a_ = (a), pb_b_ = (b);                                                                               \
        if (!(fabs(pb_a_ - pb_b_) <= (tol)))                                                                           \
            print_error("%s = %.12g, expected %.12g +- %g\n", #a, pb_a_, pb_b_, (double)(tol));                        \
        assert_true(fabs(pb_a_ - pb_b_) <= (tol));                                                                     \
    } while (0)

/* The cubic 0.7 -> 0.9 schedule at its pruning points, between them, and the
 * steps at which it updates. */
static void test_cubic_obert(void **state) {
    (void)state;
    const pb_sparsity_sched s = cubic_obert();
    assert_int_equal(pb_sched_validate(&s), 0);
    assert_int_equal(pb_sched_count_updates(&s), 7);
    const int want_milli[7] = {700, 784, 841, 875, 893, 899, 900};
    for (long k = 0; k < 7; k++) {
        double t = pb_sched_update_epoch(&s, k);
        assert_true(t == 2.0 + 4.0 * (double)k);
        double v = pb_sched_sparsity(&s, t);
        assert_int_equal((long)lround(v * 1000.0), want_milli[k]);
        /* held until the next point */
        assert_true(pb_sched_sparsity(&s, t + 3.999) == v);
        printf("cubic update %ld at epoch %2.0f: %.3f\n", k, t, v);
    }
    ASSERT_NEAR(pb_sched_sparsity(&s, 6.0), 0.9 - 0.2 * pow(5.0 / 6.0, 3.0), 1e-15);
    assert_true(pb_sched_sparsity(&s, 0.0) == 0.0);
    assert_true(pb_sched_sparsity(&s, 1.999) == 0.0);
    assert_true(pb_sched_sparsity(&s, 26.0) == 0.9);
    assert_true(pb_sched_sparsity(&s, 29.99) == 0.9);
    assert_true(pb_sched_sparsity(&s, 1000.0) == 0.9);

    const long spe = 100;
    int n = 0;
    for (long step = 0; step < 3500; step++) {
        int p = pb_sched_is_prune_step(&s, step, spe);
        int want = step >= 200 && step <= 2600 && step % 400 == 200;
        assert_int_equal(p, want);
        n += p;
    }
    assert_int_equal(n, 7);
    for (long k = 0; k < 7; k++) assert_int_equal(pb_sched_update_step(&s, k, spe), 200 + 400 * k);
}

/* Pruning steps = the steps where the target changes; checked by brute force. */
static void check_steps_match_changes(const pb_sparsity_sched *s, long spe, long n_steps, const long *want,
                                      int n_want) {
    int found = 0;
    for (long step = 0; step < n_steps; step++) {
        int p = pb_sched_is_prune_step(s, step, spe);
        assert_true(p == 0 || p == 1);
        double now = pb_sched_sparsity(s, (double)step / (double)spe);
        double before = step > 0 ? pb_sched_sparsity(s, (double)(step - 1) / (double)spe) : 0.0;
        if (p) {
            assert_true(found < n_want);
            assert_int_equal(step, want[found]);
            assert_int_equal(pb_sched_update_step(s, found, spe), step);
            found++;
        }
        if (step > 0) assert_int_equal(p, now != before);
    }
    assert_int_equal(found, n_want);
    assert_int_equal(pb_sched_count_updates(s), n_want);
}

static void test_fractional_grid(void **state) {
    (void)state;
    /* every 0.3 from 0.5 to 2.0 at 7 steps per epoch: points 0.5 0.8 1.1 1.4 1.7 2.0
     * -> the first steps at or after 3.5, 5.6, 7.7, 9.8, 11.9, 14 */
    pb_sparsity_sched s = {PB_SCHED_CUBIC, 0.3, 0.8, 0.5, 2.0, 0.3};
    const long want1[] = {4, 6, 8, 10, 12, 14};
    check_steps_match_changes(&s, 7, 40, want1, 6);
    assert_true(pb_sched_sparsity(&s, 2.0) == 0.8);
    assert_true(pb_sched_sparsity(&s, 4.0 / 7.0) == 0.3);

    /* every 0.1 epoch at 10 steps per epoch: every step from 0 to 10 (k * 0.1 rounds) */
    pb_sparsity_sched t = {PB_SCHED_LINEAR, 0.0, 0.5, 0.0, 1.0, 0.1};
    const long want2[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    check_steps_match_changes(&t, 10, 30, want2, 11);
    for (long k = 0; k <= 10; k++) ASSERT_NEAR(pb_sched_sparsity(&t, (double)k / 10.0), 0.05 * (double)k, 1e-15);

    /* a window that is not a whole number of updates: 2, 6, ..., 22, then 25 */
    pb_sparsity_sched u = {PB_SCHED_CUBIC, 0.7, 0.9, 2.0, 25.0, 4.0};
    const long want3[] = {20, 60, 100, 140, 180, 220, 250};
    check_steps_match_changes(&u, 10, 300, want3, 7);
    assert_true(pb_sched_update_epoch(&u, 6) == 25.0);
    assert_true(pb_sched_sparsity(&u, 25.0) == 0.9);
    ASSERT_NEAR(pb_sched_sparsity(&u, 22.0), 0.9 - 0.2 * pow(1.0 - 20.0 / 23.0, 3.0), 1e-15);

    /* t1 = t0: one update straight to the final sparsity */
    pb_sparsity_sched v = {PB_SCHED_CUBIC, 0.5, 0.9, 3.0, 3.0, 1.0};
    const long want4[] = {15};
    check_steps_match_changes(&v, 5, 40, want4, 1);
    assert_true(pb_sched_sparsity(&v, 3.0) == 0.9);

    /* several grid points within one step: one update, to the later value */
    pb_sparsity_sched w = {PB_SCHED_LINEAR, 0.1, 0.9, 0.0, 1.0, 0.25};
    for (long step = 0; step < 6; step++) assert_int_equal(pb_sched_is_prune_step(&w, step, 2), step <= 2);
    assert_int_equal(pb_sched_count_updates(&w), 5);
    const long want_step5[] = {0, 1, 1, 2, 2}; /* grid points 0, .25, .5, .75, 1 */
    for (long k = 0; k < 5; k++) assert_int_equal(pb_sched_update_step(&w, k, 2), want_step5[k]);
    assert_true(pb_sched_sparsity(&w, 0.0) == 0.1);
    assert_true(pb_sched_sparsity(&w, 0.5) == 0.5);
    assert_true(pb_sched_sparsity(&w, 1.0) == 0.9);
}

static void test_linear_constant_oneshot(void **state) {
    (void)state;
    pb_sparsity_sched lin = {PB_SCHED_LINEAR, 0.7, 0.9, 2.0, 26.0, 4.0};
    for (long k = 0; k < 7; k++)
        ASSERT_NEAR(pb_sched_sparsity(&lin, 2.0 + 4.0 * (double)k), 0.7 + 0.2 * (double)k / 6.0, 1e-15);
    assert_true(pb_sched_sparsity(&lin, 1.0) == 0.0);

    pb_sparsity_sched c = {.kind = PB_SCHED_CONSTANT, .final_sparsity = 0.9, .start_epoch = 5.0};
    assert_true(pb_sched_sparsity(&c, 0.0) == 0.9);
    assert_true(pb_sched_sparsity(&c, 7.5) == 0.9);
    assert_int_equal(pb_sched_count_updates(&c), 1);
    const long want_c[] = {0};
    check_steps_match_changes(&c, 10, 100, want_c, 1);

    pb_sparsity_sched o = {.kind = PB_SCHED_ONESHOT,
                           .final_sparsity = 0.8,
                           .start_epoch = 1.5,
                           .init_sparsity = 0.95 /* unused by oneshot */};
    assert_int_equal(pb_sched_validate(&o), 0);
    assert_true(pb_sched_sparsity(&o, 1.4) == 0.0);
    assert_true(pb_sched_sparsity(&o, 1.5) == 0.8);
    assert_true(pb_sched_sparsity(&o, 99.0) == 0.8);
    const long want_o[] = {6};
    check_steps_match_changes(&o, 4, 40, want_o, 1);
}

static void test_sched_validate(void **state) {
    (void)state;
    pb_sparsity_sched s = cubic_obert();
    s.final_sparsity = 1.0;
    assert_int_equal(pb_sched_validate(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("final_sparsity = 1: expected a sparsity in [0, 1)");
    s = cubic_obert();
    s.init_sparsity = -0.1;
    assert_int_equal(pb_sched_validate(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("init_sparsity = -0.1");
    s = cubic_obert();
    s.init_sparsity = 0.95;
    assert_int_equal(pb_sched_validate(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("init_sparsity = 0.95: expected <= final_sparsity = 0.9");
    s.kind = PB_SCHED_LINEAR;
    assert_int_equal(pb_sched_validate(&s), PB_EINVAL);
    s = cubic_obert();
    s.end_epoch = 1.0;
    assert_int_equal(pb_sched_validate(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("end_epoch = 1: expected >= start_epoch = 2");
    s = cubic_obert();
    s.update_every_epochs = 0.0;
    assert_int_equal(pb_sched_validate(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("update_every_epochs = 0");
    s.update_every_epochs = 1e-12;
    assert_int_equal(pb_sched_validate(&s), PB_ERANGE);
    PB_ASSERT_MSG_HAS("update_every_epochs");
    s = cubic_obert();
    s.start_epoch = NAN;
    assert_int_equal(pb_sched_validate(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("start_epoch = nan");
    s = cubic_obert();
    s.kind = (pb_sched_kind)9;
    assert_int_equal(pb_sched_validate(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("kind = 9");
    assert_int_equal(pb_sched_validate(NULL), PB_EINVAL);

    /* evaluation of an invalid schedule or position */
    assert_true(isnan(pb_sched_sparsity(&s, 3.0)));
    assert_int_equal(pb_sched_is_prune_step(&s, 0, 10), PB_EINVAL);
    assert_int_equal(pb_sched_count_updates(&s), PB_EINVAL);
    s = cubic_obert();
    assert_true(isnan(pb_sched_sparsity(&s, -1.0)));
    assert_true(isnan(pb_sched_sparsity(&s, NAN)));
    assert_int_equal(pb_sched_is_prune_step(&s, -1, 10), PB_ERANGE);
    PB_ASSERT_MSG_HAS("step = -1");
    assert_int_equal(pb_sched_is_prune_step(&s, 0, 0), PB_ERANGE);
    PB_ASSERT_MSG_HAS("steps_per_epoch = 0");
    assert_true(isnan(pb_sched_update_epoch(&s, 7)));
    assert_int_equal(pb_sched_update_step(&s, 7, 10), PB_ERANGE);
    PB_ASSERT_MSG_HAS("update 7");
}

/* The oBERT 30-epoch LR written as segments. */
static pb_lr_sched lr_obert(void) {
    pb_lr_sched s = {.n_segments = 2};
    s.seg[0] = (pb_lr_segment){
        .start_epoch = 0, .end_epoch = 2, .kind = PB_SCHED_LR_LINEAR, .lr_init = 8e-5, .lr_final = 8e-6};
    s.seg[1] = (pb_lr_segment){.start_epoch = 2,
                               .end_epoch = 30,
                               .kind = PB_SCHED_LR_CYCLIC,
                               .lr_init = 8e-5,
                               .lr_final = 8e-6,
                               .cycle_epochs = 4,
                               .last_rewind_epoch = 26};
    return s;
}

/* Field by field (padding bytes are unspecified). */
static void assert_lr_equal(const pb_lr_sched *a, const pb_lr_sched *b) {
    assert_int_equal(a->n_segments, b->n_segments);
    for (int i = 0; i < a->n_segments; i++) {
        const pb_lr_segment *x = &a->seg[i], *y = &b->seg[i];
        assert_true(x->start_epoch == y->start_epoch && x->end_epoch == y->end_epoch && x->kind == y->kind);
        assert_true(x->lr_init == y->lr_init && x->lr_final == y->lr_final && x->warmup_steps == y->warmup_steps);
        assert_true(x->warmup_fraction == y->warmup_fraction && x->cycle_epochs == y->cycle_epochs);
        assert_true(x->last_rewind_epoch == y->last_rewind_epoch);
    }
}

static void test_lr_obert(void **state) {
    (void)state;
    pb_lr_sched s = lr_obert(), from_recipe;
    pb_recipe r;
    pb_recipe_default_obert(&r);
    assert_int_equal(pb_recipe_lr_sched(&r, &from_recipe), 0);
    assert_lr_equal(&s, &from_recipe);

    const long spe = 100;
    const double hi = 8e-5, lo = 8e-6, per = (hi - lo) / 200.0, per_last = (hi - lo) / 400.0;
    assert_true(pb_sched_lr(&s, 0, spe) == hi);
    ASSERT_NEAR(pb_sched_lr(&s, 100, spe), (hi + lo) / 2.0, 1e-18);
    ASSERT_NEAR(pb_sched_lr(&s, 199, spe), lo + per, 1e-18);
    for (long e = 2; e <= 26; e += 4) {
        long b = e * spe;
        assert_true(pb_sched_lr(&s, b, spe) == hi);                         /* rewind at the pruning step */
        ASSERT_NEAR(pb_sched_lr(&s, b + 200, spe), (hi + lo) / 2.0, 1e-18); /* halfway through the cycle */
        double pl = e < 26 ? (hi - lo) / 400.0 : per_last;
        ASSERT_NEAR(pb_sched_lr(&s, b + 399, spe), lo + pl, 1e-18); /* just before the next */
        printf("lr: epoch %2ld rewind %.3g, just before epoch %2ld %.4g\n", e, pb_sched_lr(&s, b, spe), e + 4,
               pb_sched_lr(&s, b + 399, spe));
    }
    ASSERT_NEAR(pb_sched_lr(&s, 2999, spe), lo + per_last, 1e-18);
    assert_true(pb_sched_lr(&s, 3000, spe) == lo); /* held after the end */
    assert_true(pb_sched_lr(&s, 100000, spe) == lo);

    /* for several epoch sizes: the LR is back at lr_init exactly at step 0 and the
     * pruning steps, decreases by a constant amount in between, and stays in [lo, hi] */
    const pb_sparsity_sched sp = cubic_obert();
    const long spes[] = {100, 37, 7, 3};
    for (size_t i = 0; i < sizeof spes / sizeof spes[0]; i++) {
        long n = 30 * spes[i];
        double prev = 0, dprev = 0;
        int prev_rewind = 0;
        for (long step = 0; step < n; step++) {
            double lr = pb_sched_lr(&s, step, spes[i]);
            assert_true(lr >= lo && lr <= hi);
            int rewind = step == 0 || pb_sched_is_prune_step(&sp, step, spes[i]) == 1;
            assert_int_equal(lr == hi, rewind);
            if (!rewind) {
                double d = lr - prev;
                assert_true(d < 0.0);
                if (!prev_rewind) ASSERT_NEAR(d, dprev, 1e-18); /* constant slope within a piece */
                dprev = d;
            }
            prev = lr;
            prev_rewind = rewind;
        }
    }
}

static void test_lr_segments(void **state) {
    (void)state;
    pb_lr_sched s = {.n_segments = 3};
    s.seg[0] = (pb_lr_segment){.start_epoch = 0,
                               .end_epoch = 1,
                               .kind = PB_SCHED_LR_LINEAR,
                               .lr_init = 1e-3,
                               .lr_final = 1e-4,
                               .warmup_fraction = 0.1};
    s.seg[1] = (pb_lr_segment){.start_epoch = 1, .end_epoch = 3, .kind = PB_SCHED_LR_CONSTANT, .lr_init = 5e-4};
    s.seg[2] = (pb_lr_segment){.start_epoch = 3,
                               .end_epoch = 4,
                               .kind = PB_SCHED_LR_LINEAR,
                               .lr_init = 2e-4,
                               .lr_final = 0,
                               .warmup_steps = 5};
    assert_int_equal(pb_sched_validate_lr(&s), 0);
    const long spe = 100;
    assert_true(pb_sched_lr(&s, 0, spe) == 0.0); /* warmup from 0 */
    ASSERT_NEAR(pb_sched_lr(&s, 5, spe), 5e-4, 1e-18);
    assert_true(pb_sched_lr(&s, 10, spe) == 1e-3);
    ASSERT_NEAR(pb_sched_lr(&s, 55, spe), 5.5e-4, 1e-18);
    ASSERT_NEAR(pb_sched_lr(&s, 99, spe), 1e-4 + 9e-4 / 90.0, 1e-18);
    assert_true(pb_sched_lr(&s, 100, spe) == 5e-4);
    assert_true(pb_sched_lr(&s, 299, spe) == 5e-4);
    assert_true(pb_sched_lr(&s, 300, spe) == 0.0);
    ASSERT_NEAR(pb_sched_lr(&s, 302, spe), 2e-4 * 2.0 / 5.0, 1e-18);
    assert_true(pb_sched_lr(&s, 305, spe) == 2e-4);
    ASSERT_NEAR(pb_sched_lr(&s, 343, spe), 2e-4 * (1.0 - 38.0 / 95.0), 1e-18);
    assert_true(pb_sched_lr(&s, 400, spe) == 0.0);

    /* fractional segment boundaries and a fractional cycle ending before the segment */
    pb_lr_sched c = {.n_segments = 2};
    c.seg[0] = (pb_lr_segment){.start_epoch = 0, .end_epoch = 0.5, .kind = PB_SCHED_LR_CONSTANT, .lr_init = 1.0};
    c.seg[1] = (pb_lr_segment){.start_epoch = 0.5,
                               .end_epoch = 3,
                               .kind = PB_SCHED_LR_CYCLIC,
                               .lr_init = 1.0,
                               .lr_final = 0.0,
                               .cycle_epochs = 0.3,
                               .last_rewind_epoch = 2.0};
    /* 10 steps per epoch: rewinds at steps 5, 8, 11, 14, 17, 20, decay 20 -> 30 */
    const double want[] = {1,   1,       1,       1,   1,       1,       2.0 / 3, 1.0 / 3, 1,       2.0 / 3, 1.0 / 3,
                           1,   2.0 / 3, 1.0 / 3, 1,   2.0 / 3, 1.0 / 3, 1,       2.0 / 3, 1.0 / 3, 1,       0.9,
                           0.8, 0.7,     0.6,     0.5, 0.4,     0.3,     0.2,     0.1,     0};
    for (long step = 0; step <= 30; step++) ASSERT_NEAR(pb_sched_lr(&c, step, 10), want[step], 1e-15);
    /* the same grid as a sparsity schedule from 0.5 to 2.0 every 0.3 */
    pb_sparsity_sched sp = {PB_SCHED_CUBIC, 0.5, 0.9, 0.5, 2.0, 0.3};
    for (long step = 1; step < 30; step++)
        assert_int_equal(pb_sched_is_prune_step(&sp, step, 10), pb_sched_lr(&c, step, 10) == 1.0 && step >= 5);
}

static void test_lr_validate(void **state) {
    (void)state;
    pb_lr_sched s = lr_obert();
    s.n_segments = 0;
    assert_int_equal(pb_sched_validate_lr(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("n_segments = 0");
    assert_true(isnan(pb_sched_lr(&s, 0, 10)));
    s.n_segments = PB_SCHED_LR_MAX_SEGMENTS + 1;
    assert_int_equal(pb_sched_validate_lr(&s), PB_EINVAL);
    s = lr_obert();
    s.seg[0].start_epoch = 1;
    s.seg[0].end_epoch = 2;
    assert_int_equal(pb_sched_validate_lr(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("seg[0].start_epoch = 1: expected 0");
    s = lr_obert();
    s.seg[1].start_epoch = 3;
    assert_int_equal(pb_sched_validate_lr(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("seg[1].start_epoch = 3: expected seg[0].end_epoch = 2");
    s = lr_obert();
    s.seg[1].last_rewind_epoch = 31;
    assert_int_equal(pb_sched_validate_lr(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("seg[1]: last_rewind_epoch = 31");
    s = lr_obert();
    s.seg[1].cycle_epochs = 0;
    assert_int_equal(pb_sched_validate_lr(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("seg[1]: cycle_epochs = 0");
    s = lr_obert();
    s.seg[0].lr_init = 0;
    assert_int_equal(pb_sched_validate_lr(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("seg[0]: lr_init = 0");
    s = lr_obert();
    s.seg[1].lr_final = -1;
    assert_int_equal(pb_sched_validate_lr(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("seg[1]: lr_final = -1");
    s = lr_obert();
    s.seg[0].warmup_steps = 3;
    s.seg[0].warmup_fraction = 0.1;
    assert_int_equal(pb_sched_validate_lr(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("expected at most one nonzero");
    s.seg[0].warmup_steps = -3;
    assert_int_equal(pb_sched_validate_lr(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("warmup_steps = -3");
    s = lr_obert();
    s.seg[0].end_epoch = 0;
    assert_int_equal(pb_sched_validate_lr(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("seg[0]: end_epoch = 0: expected > start_epoch = 0");
    s = lr_obert();
    s.seg[1].kind = (pb_sched_lr_kind)7;
    assert_int_equal(pb_sched_validate_lr(&s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("seg[1]: kind = 7");
    s = lr_obert();
    assert_true(isnan(pb_sched_lr(&s, -1, 10)));
    assert_true(isnan(pb_sched_lr(&s, 0, 0)));
    assert_int_equal(pb_sched_validate_lr(NULL), PB_EINVAL);
}

static void assert_recipe_equal(const pb_recipe *a, const pb_recipe *b) {
    ASSERT_NEAR(a->epochs, b->epochs, 1e-12);
    ASSERT_NEAR(a->dense_epochs, b->dense_epochs, 1e-12);
    ASSERT_NEAR(a->prune_start_epoch, b->prune_start_epoch, 1e-12);
    ASSERT_NEAR(a->prune_end_epoch, b->prune_end_epoch, 1e-12);
    ASSERT_NEAR(a->update_every_epochs, b->update_every_epochs, 1e-12);
    ASSERT_NEAR(a->init_sparsity, b->init_sparsity, 1e-12);
    ASSERT_NEAR(a->final_sparsity, b->final_sparsity, 1e-12);
    ASSERT_NEAR(a->lr_init, b->lr_init, 1e-20);
    ASSERT_NEAR(a->lr_final, b->lr_final, 1e-20);
    ASSERT_NEAR(a->cooldown_epochs, b->cooldown_epochs, 1e-12);
}

static void test_recipe_scale(void **state) {
    (void)state;
    pb_recipe base, r;
    pb_recipe_default_obert(&base);
    assert_int_equal(pb_recipe_validate(&base), 0);

    /* the base target reproduces the base, both ways */
    assert_int_equal(pb_recipe_scale(&base, 0.9, 1, &r), 0);
    assert_recipe_equal(&r, &base);
    assert_int_equal(pb_recipe_scale(&base, 0.9, 0, &r), 0);
    assert_recipe_equal(&r, &base);

    /* 0.8: fewer epochs; 0.97: more */
    assert_int_equal(pb_recipe_scale(&base, 0.8, 1, &r), 0);
    assert_true(r.epochs < 30.0);
    assert_true(r.epochs == 22.0 && r.prune_end_epoch == 18.0 && r.init_sparsity < 0.7);
    assert_int_equal(pb_recipe_scale(&base, 0.97, 1, &r), 0);
    assert_true(r.epochs > 30.0);
    assert_true(r.epochs == 42.0 && r.prune_end_epoch == 38.0 && r.init_sparsity > 0.7);
    ASSERT_NEAR(r.init_sparsity, 1.0 - pow(0.03, log(0.3) / log(0.1)), 1e-12);
    /* fixed and scaled keep the dense epochs, the cycle, the cooldown and the LR */
    assert_true(r.dense_epochs == 2.0 && r.prune_start_epoch == 2.0 && r.update_every_epochs == 4.0);
    assert_true(r.cooldown_epochs == 4.0 && r.lr_init == 8e-5 && r.lr_final == 8e-6 && r.final_sparsity == 0.97);

    /* fixed: 30 epochs at every target; init lowered only below 0.7 */
    const double targets[] = {0.1, 0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        assert_int_equal(pb_recipe_scale(&base, targets[i], 0, &r), 0);
        assert_true(r.epochs == 30.0 && r.prune_end_epoch == 26.0 && r.final_sparsity == targets[i]);
        assert_true(r.init_sparsity == (targets[i] < 0.7 ? targets[i] : 0.7));
    }

    /* monotone in the target; init below the target; whole cycles */
    pb_recipe prev = {0};
    for (int i = 0; i <= 999; i++) {
        double t = i / 1000.0;
        assert_int_equal(pb_recipe_scale(&base, t, 1, &r), 0);
        assert_int_equal(pb_recipe_validate(&r), 0);
        assert_true(r.init_sparsity <= t);
        double cycles = (r.prune_end_epoch - r.prune_start_epoch) / r.update_every_epochs;
        assert_true(cycles >= 1.0 && cycles == floor(cycles));
        if (i > 0) {
            assert_true(r.epochs >= prev.epochs);
            assert_true(r.prune_end_epoch >= prev.prune_end_epoch);
            assert_true(r.init_sparsity >= prev.init_sparsity);
        }
        prev = r;
    }
    assert_true(prev.epochs > 60.0);

    /* a base pruning from 0 (SMC-Bench style) keeps init 0 */
    pb_recipe z = base;
    z.init_sparsity = 0.0;
    assert_int_equal(pb_recipe_scale(&z, 0.97, 1, &r), 0);
    assert_true(r.init_sparsity == 0.0);

    /* out may alias base */
    pb_recipe a = base;
    assert_int_equal(pb_recipe_scale(&a, 0.97, 1, &a), 0);
    assert_true(a.epochs == 42.0);

    /* errors */
    assert_int_equal(pb_recipe_scale(&base, 1.0, 1, &r), PB_EINVAL);
    PB_ASSERT_MSG_HAS("target_sparsity = 1");
    assert_int_equal(pb_recipe_scale(&base, NAN, 0, &r), PB_EINVAL);
    assert_int_equal(pb_recipe_scale(&base, 0.9, 1, NULL), PB_EINVAL);
    z.final_sparsity = 0.0;
    r = base;
    assert_int_equal(pb_recipe_scale(&z, 0.9, 1, &r), PB_EINVAL);
    PB_ASSERT_MSG_HAS("final_sparsity = 0: a scaled recipe needs a base target > 0");
    assert_recipe_equal(&r, &base); /* untouched on error */
}

static void test_recipe_validate(void **state) {
    (void)state;
    pb_recipe r;
    pb_recipe_default_obert(&r);
    r.prune_start_epoch = 3;
    assert_int_equal(pb_recipe_validate(&r), PB_EINVAL);
    PB_ASSERT_MSG_HAS("prune_start_epoch = 3: expected dense_epochs = 2");
    pb_recipe_default_obert(&r);
    r.epochs = 31;
    assert_int_equal(pb_recipe_validate(&r), PB_EINVAL);
    PB_ASSERT_MSG_HAS("epochs = 31: expected prune_end_epoch + cooldown_epochs = 30");
    pb_recipe_default_obert(&r);
    r.cooldown_epochs = 0;
    r.prune_end_epoch = 30;
    assert_int_equal(pb_recipe_validate(&r), PB_EINVAL);
    PB_ASSERT_MSG_HAS("cooldown_epochs = 0");
    pb_recipe_default_obert(&r);
    r.update_every_epochs = -4;
    assert_int_equal(pb_recipe_validate(&r), PB_EINVAL);
    PB_ASSERT_MSG_HAS("update_every_epochs = -4");
    pb_recipe_default_obert(&r);
    r.init_sparsity = 0.95;
    assert_int_equal(pb_recipe_validate(&r), PB_EINVAL);
    PB_ASSERT_MSG_HAS("recipe: init_sparsity = 0.95");
    pb_recipe_default_obert(&r);
    r.lr_init = INFINITY;
    assert_int_equal(pb_recipe_validate(&r), PB_EINVAL);
    PB_ASSERT_MSG_HAS("lr_init = inf");
    pb_sparsity_sched s;
    assert_int_equal(pb_recipe_sparsity_sched(&r, &s), PB_EINVAL);
    pb_lr_sched l;
    assert_int_equal(pb_recipe_lr_sched(&r, &l), PB_EINVAL);
    assert_int_equal(pb_recipe_validate(NULL), PB_EINVAL);
}

/* The converted schedules of scaled recipes: the cubic over n + 1 updates, the LR
 * rewinding at exactly those steps, the last decay to the end of training. */
static void test_recipe_converters(void **state) {
    (void)state;
    pb_recipe base, r;
    pb_recipe_default_obert(&base);
    pb_sparsity_sched s;
    assert_int_equal(pb_recipe_sparsity_sched(&base, &s), 0);
    pb_sparsity_sched want = cubic_obert();
    assert_true(s.kind == want.kind && s.init_sparsity == want.init_sparsity &&
                s.final_sparsity == want.final_sparsity);
    assert_true(s.start_epoch == want.start_epoch && s.end_epoch == want.end_epoch &&
                s.update_every_epochs == want.update_every_epochs);

    const double targets[] = {0.5, 0.8, 0.9, 0.97, 0.99};
    const long spe = 13;
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        assert_int_equal(pb_recipe_scale(&base, targets[i], 1, &r), 0);
        pb_lr_sched l;
        assert_int_equal(pb_recipe_sparsity_sched(&r, &s), 0);
        assert_int_equal(pb_recipe_lr_sched(&r, &l), 0);
        long n_upd = pb_sched_count_updates(&s);
        assert_int_equal(n_upd, (long)lround((r.prune_end_epoch - r.prune_start_epoch) / 4.0) + 1);
        assert_true(pb_sched_sparsity(&s, r.prune_start_epoch) == r.init_sparsity);
        assert_true(pb_sched_sparsity(&s, r.epochs) == targets[i]);
        long n = (long)lround(r.epochs) * spe;
        int rewinds = 0;
        for (long step = 0; step < n; step++) {
            double lr = pb_sched_lr(&l, step, spe);
            int p = pb_sched_is_prune_step(&s, step, spe);
            if (step > 0) assert_int_equal(lr == r.lr_init, p);
            rewinds += p;
        }
        assert_int_equal(rewinds, n_upd);
        ASSERT_NEAR(pb_sched_lr(&l, n - 1, spe), r.lr_final + (r.lr_init - r.lr_final) / (4.0 * spe), 1e-18);
    }

    /* no dense epochs: one cyclic segment from 0 */
    pb_recipe nd = {.epochs = 5,
                    .dense_epochs = 0,
                    .prune_start_epoch = 0,
                    .prune_end_epoch = 3,
                    .update_every_epochs = 1.5,
                    .init_sparsity = 0.2,
                    .final_sparsity = 0.6,
                    .lr_init = 1,
                    .lr_final = 0,
                    .cooldown_epochs = 2};
    pb_lr_sched l;
    assert_int_equal(pb_recipe_lr_sched(&nd, &l), 0);
    assert_int_equal(l.n_segments, 1);
    assert_true(pb_sched_lr(&l, 0, 2) == 1.0 && pb_sched_lr(&l, 3, 2) == 1.0 && pb_sched_lr(&l, 6, 2) == 1.0);
    assert_true(pb_sched_lr(&l, 8, 2) == 0.5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cubic_obert),
        cmocka_unit_test(test_fractional_grid),
        cmocka_unit_test(test_linear_constant_oneshot),
        cmocka_unit_test(test_sched_validate),
        cmocka_unit_test(test_lr_obert),
        cmocka_unit_test(test_lr_segments),
        cmocka_unit_test(test_lr_validate),
        cmocka_unit_test(test_recipe_scale),
        cmocka_unit_test(test_recipe_validate),
        cmocka_unit_test(test_recipe_converters),
    };
    return cmocka_run_group_tests_name("schedule", tests, NULL, NULL);
}
