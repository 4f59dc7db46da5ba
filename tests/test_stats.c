/* Student-t critical values against published tables and seed summaries on
 * hand-computed data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_error.h"
#include "stats.h"
#include "testutil.h"

/* t_{0.975, dof} to 9 decimals, from standard t tables (e.g. R qt(0.975, dof)). */
static void test_t975_table(void **state) {
    (void)state;
    static const struct {
        int dof;
        double t;
    } want[] = {{1, 12.706204736}, {2, 4.302652730},  {3, 3.182446305},   {4, 2.776445105},
                {9, 2.262157163},  {29, 2.045229642}, {1000, 1.962339081}};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        double got = pb_stats_t975(want[k].dof);
        if (fabs(got - want[k].t) > 1e-9) print_error("dof %d: got %.12f want %.9f\n", want[k].dof, got, want[k].t);
        assert_true(fabs(got - want[k].t) <= 1e-9);
    }
    /* dof 1 is the Cauchy distribution: t = tan(0.475 pi) in closed form. */
    assert_true(fabs(pb_stats_t975(1) - tan(0.475 * 3.14159265358979323846)) <= 1e-9);
}

/* Large dof: the normal quantile 1.959963984540054 is the limit; the series
 * branch above 1e6 must join the exact branch smoothly and stay above it. */
static void test_t975_large_and_invalid(void **state) {
    (void)state;
    const double z = 1.959963984540054;
    assert_true(fabs(pb_stats_t975(2000000000) - z) <= 1e-8);
    double below = pb_stats_t975(1000000), above = pb_stats_t975(1000001);
    assert_true(below > above && below - above < 1e-8);
    assert_true(above > z);
    /* strictly decreasing in dof */
    double prev = pb_stats_t975(1);
    for (int d = 2; d <= 300; d++) {
        double t = pb_stats_t975(d);
        assert_true(t < prev);
        prev = t;
    }
    assert_true(isnan(pb_stats_t975(0)));
    assert_true(isnan(pb_stats_t975(-3)));
}

/* {80, 82, 84}: mean 82, sd sqrt(((-2)^2 + 0 + 2^2) / 2) = 2, half-width
 * 4.302652730 * 2 / sqrt(3) = 4.968275424 (hand computation). */
static void test_summary_three(void **state) {
    (void)state;
    const double x[] = {84, 80, 82};
    pb_stats_summary s;
    assert_int_equal(pb_stats_summarize(x, 3, &s), 0);
    assert_int_equal(s.n, 3);
    assert_true(fabs(s.mean - 82.0) <= 1e-12);
    assert_true(fabs(s.sd - 2.0) <= 1e-12);
    assert_true(fabs(s.half_width - 4.968275424) <= 1e-8);
    assert_true(s.min == 80.0 && s.max == 84.0);
}

/* Values 1e9 + {1, 2, 3}: sd exactly 1; sum(x^2) - n mean^2 would lose it. */
static void test_summary_stable(void **state) {
    (void)state;
    const double x[] = {1e9 + 1, 1e9 + 2, 1e9 + 3};
    pb_stats_summary s;
    assert_int_equal(pb_stats_summarize(x, 3, &s), 0);
    assert_true(fabs(s.mean - (1e9 + 2)) <= 1e-6);
    assert_true(fabs(s.sd - 1.0) <= 1e-9);
    /* half-width 4.302652730 / sqrt(3) = 2.484137712 (hand computation) */
    assert_true(fabs(s.half_width - 2.484137712) <= 1e-8);
}

static void test_summary_one(void **state) {
    (void)state;
    const double x[] = {81.23};
    pb_stats_summary s;
    assert_int_equal(pb_stats_summarize(x, 1, &s), 0);
    assert_int_equal(s.n, 1);
    assert_true(s.mean == 81.23 && s.min == 81.23 && s.max == 81.23);
    assert_true(isnan(s.sd));
    assert_true(isnan(s.half_width));
}

static void test_summary_errors(void **state) {
    (void)state;
    const double x[] = {1.0, NAN, 3.0};
    pb_stats_summary s;
    assert_int_equal(pb_stats_summarize(x, 3, &s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("value 1 is NaN");
    const double y[] = {1.0, 2.0, INFINITY};
    assert_int_equal(pb_stats_summarize(y, 3, &s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("value 2 is infinite");
    assert_int_equal(pb_stats_summarize(x, 0, &s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("n = 0");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t975_table),    cmocka_unit_test(test_t975_large_and_invalid),
        cmocka_unit_test(test_summary_three), cmocka_unit_test(test_summary_stable),
        cmocka_unit_test(test_summary_one),   cmocka_unit_test(test_summary_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
