/* Shared helpers for cmocka tests: tolerance comparison that reports the worst error. */
#ifndef PB_TESTUTIL_H
#define PB_TESTUTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

/* Default tolerances of the fixture comparisons: |a-b| <= atol + rtol*|b|. */
#define PB_TEST_RTOL 1e-4
#define PB_TEST_ATOL 1e-5

typedef struct {
    double worst_excess; /* max of |a-b| - (atol + rtol|b|); > 0 means mismatch */
    double worst_abs;    /* largest |a-b| */
    size_t worst_index;
    size_t n_bad;
} pb_cmp_result;

/* Compare `got` against reference `want` elementwise. */
static inline pb_cmp_result pb_test_compare(const float *got, const float *want, size_t n, double rtol, double atol) {
    pb_cmp_result r = {-INFINITY, 0.0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        double a = got[i], b = want[i];
        double d = fabs(a - b);
        double excess = d - (atol + rtol * fabs(b));
        if (!(d == d)) excess = INFINITY; /* NaN */
        if (excess > r.worst_excess) { r.worst_excess = excess; r.worst_index = i; }
        if (d > r.worst_abs) r.worst_abs = d;
        if (excess > 0) r.n_bad++;
    }
    return r;
}

/* Compare, print the worst error under `label`, and fail the test on mismatch. */
#define PB_ASSERT_CLOSE(label, got, want, n, rtol, atol)                                                       \
    do {                                                                                                       \
        pb_cmp_result pb_r_ = pb_test_compare((got), (want), (n), (rtol), (atol));                             \
        if (pb_r_.n_bad)                                                                                       \
            print_error("MISMATCH %s: %zu of %zu beyond tolerance; worst at [%zu] got %.9g want %.9g\n", (label), \
                        pb_r_.n_bad, (size_t)(n), pb_r_.worst_index, (double)(got)[pb_r_.worst_index],          \
                        (double)(want)[pb_r_.worst_index]);                                                     \
        assert_int_equal(pb_r_.n_bad, 0);                                                                      \
        pb_test_track_worst((label), pb_r_.worst_abs);                                                         \
    } while (0)

/* Track the worst absolute error across a test binary, printed at the end. */
static double pb_test_worst_abs_seen = 0.0;
static char pb_test_worst_label[1024] = "";
static inline void pb_test_track_worst(const char *label, double worst) {
    if (worst > pb_test_worst_abs_seen) {
        pb_test_worst_abs_seen = worst;
        snprintf(pb_test_worst_label, sizeof pb_test_worst_label, "%s", label);
    }
}
static inline void pb_test_print_worst(void) {
    printf("worst |a-b| over all comparisons: %.3g (%s)\n", pb_test_worst_abs_seen, pb_test_worst_label);
}

#endif
