/* The GLUE metrics (tasks/metrics.h) against hand-computed values, their
 * degenerate cases as sklearn / scipy define them, and the task-level
 * pb_glue_metric / pb_glue_metric_files (tasks/glue.h). All values x100. */
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "glue.h"
#include "metrics.h"
#include "testutil.h"

PB_TEST_TMPDIR_FIXTURE("metrics")

#define N(a) ((long)(sizeof(a) / sizeof((a)[0])))
#define ASSERT_NEAR(got, want)                                                                                         \
    do {                                                                                                               \
        double g_ = (got), w_ = (want);                                                                                \
        if (!(fabs(g_ - w_) < 1e-9)) print_error("got %.12g want %.12g\n", g_, w_);                                    \
        assert_true(fabs(g_ - w_) < 1e-9);                                                                             \
    } while (0)

static void test_accuracy(void **state) {
    (void)state;
    /* matches at 0, 1, 3: 3 of 5 = 60% */
    const double l[] = {0, 1, 1, 0, 1}, p[] = {0, 1, 0, 0, 0};
    ASSERT_NEAR(pb_metric_accuracy(l, p, N(l)), 60.0);
    /* three classes: 2 of 4 */
    const double l3[] = {0, 1, 2, 2}, p3[] = {0, 2, 2, 1};
    ASSERT_NEAR(pb_metric_accuracy(l3, p3, N(l3)), 50.0);
    assert_true(isnan(pb_metric_accuracy(l, p, 0)));
}

static void test_f1(void **state) {
    (void)state;
    /* tp = 2 (0, 4), fp = 1 (2), fn = 1 (1): F1 = 2tp / (2tp + fp + fn) = 4/6 */
    const double l[] = {1, 1, 0, 0, 1}, p[] = {1, 0, 1, 0, 1};
    ASSERT_NEAR(pb_metric_f1(l, p, N(l)), 400.0 / 6.0);
    /* perfect: 100 */
    ASSERT_NEAR(pb_metric_f1(l, l, N(l)), 100.0);
    /* sklearn (zero_division = 0): no true positive gives 0, never NaN:
     * all labels and predictions negative; all predictions negative; all
     * predictions positive against negative labels */
    const double z[] = {0, 0, 0}, o[] = {1, 1, 1};
    ASSERT_NEAR(pb_metric_f1(z, z, N(z)), 0.0);
    ASSERT_NEAR(pb_metric_f1(o, z, N(z)), 0.0);
    ASSERT_NEAR(pb_metric_f1(z, o, N(z)), 0.0);
    /* precision 1/3, recall 1: F1 = 2/(2+2+0) = 50 */
    const double l1[] = {1, 0, 0}, p1[] = {1, 1, 1};
    ASSERT_NEAR(pb_metric_f1(l1, p1, N(l1)), 50.0);
}

static void test_mcc(void **state) {
    (void)state;
    /* binary: tp = 2, tn = 1, fp = 1, fn = 1:
     * (tp tn - fp fn) / sqrt((tp+fp)(tp+fn)(tn+fp)(tn+fn)) = 1 / sqrt(3*3*2*2) = 1/6 */
    const double l[] = {1, 1, 0, 0, 1}, p[] = {1, 0, 1, 0, 1};
    ASSERT_NEAR(pb_metric_mcc(l, p, N(l)), 100.0 / 6.0);
    ASSERT_NEAR(pb_metric_mcc(l, l, N(l)), 100.0);
    /* every prediction inverted: -1 */
    const double a[] = {0, 1, 0, 1}, b[] = {1, 0, 1, 0};
    ASSERT_NEAR(pb_metric_mcc(a, b, N(a)), -100.0);
    /* sklearn's multiclass form: correct c = 2, s = 4, true counts (2, 1, 1),
     * predicted counts (1, 1, 2): (c s - sum t_k p_k) / sqrt((s^2 - sum p_k^2)(s^2 - sum t_k^2))
     * = (8 - 5) / sqrt(10 * 10) = 0.3 */
    const double l3[] = {0, 1, 2, 0}, p3[] = {0, 2, 2, 1};
    ASSERT_NEAR(pb_metric_mcc(l3, p3, N(l3)), 30.0);
    /* degenerate (sklearn): the denominator is 0 when either side is all one
     * class: all-0 labels against mixed predictions, mixed labels against
     * constant predictions, and both constant */
    const double z[] = {0, 0, 0, 0}, o[] = {1, 1, 1, 1};
    ASSERT_NEAR(pb_metric_mcc(z, a, N(z)), 0.0);
    ASSERT_NEAR(pb_metric_mcc(a, o, N(a)), 0.0);
    ASSERT_NEAR(pb_metric_mcc(z, z, N(z)), 0.0);
    ASSERT_NEAR(pb_metric_mcc(z, o, N(z)), 0.0);
}

static void test_pearson(void **state) {
    (void)state;
    /* means 2.5, 5; deviations (-1.5, -.5, .5, 1.5), (-3, -1, 0, 4):
     * sxy = 4.5 + .5 + 0 + 6 = 11, sxx = 5, syy = 26: r = 11 / sqrt(130) */
    const double x[] = {1, 2, 3, 4}, y[] = {2, 4, 5, 9};
    ASSERT_NEAR(pb_metric_pearson(x, y, N(x)), 1100.0 / sqrt(130.0));
    ASSERT_NEAR(pb_metric_pearson(y, x, N(x)), 1100.0 / sqrt(130.0));
    /* a linear map: exactly +-1 (clipped like scipy) */
    const double up[] = {3, 5, 7, 9}, down[] = {0, -2, -4, -6};
    ASSERT_NEAR(pb_metric_pearson(x, up, N(x)), 100.0);
    ASSERT_NEAR(pb_metric_pearson(x, down, N(x)), -100.0);
    /* constant input: scipy returns NaN (ConstantInputWarning); so do we */
    const double c[] = {2, 2, 2, 2};
    assert_true(isnan(pb_metric_pearson(x, c, N(x))));
    assert_true(isnan(pb_metric_pearson(c, x, N(x))));
    assert_true(isnan(pb_metric_pearson(x, y, 0)));
}

static void test_spearman(void **state) {
    (void)state;
    /* ties: x = (1, 2, 2, 3) ranks (1, 2.5, 2.5, 4); y = (1, 3, 2, 2) ranks
     * (1, 4, 2.5, 2.5) (the two 2s share ranks 2 and 3). Pearson of the ranks:
     * deviations (-1.5, 0, 0, 1.5), (-1.5, 1.5, 0, 0): 2.25 / sqrt(4.5 * 4.5) = 0.5 */
    const double x[] = {1, 2, 2, 3}, y[] = {1, 3, 2, 2};
    ASSERT_NEAR(pb_metric_spearman(x, y, N(x)), 50.0);
    /* monotone but not linear: ranks equal, rho = 1; reversed: -1 */
    const double a[] = {1, 2, 3, 4, 5}, b[] = {1, 4, 9, 16, 100}, r[] = {10, 9, 8, 7, -50};
    ASSERT_NEAR(pb_metric_spearman(a, b, N(a)), 100.0);
    ASSERT_NEAR(pb_metric_spearman(a, r, N(a)), -100.0);
    /* ties on both sides, unsorted: x = (3, 1, 3, 2) ranks (3.5, 1, 3.5, 2);
     * y = (0, 0, 1, 1) ranks (1.5, 1.5, 3.5, 3.5). Means 2.5: deviations
     * (1, -1.5, 1, -.5), (-1, -1, 1, 1): sxy = -1 + 1.5 + 1 - .5 = 1,
     * sxx = 1 + 2.25 + 1 + .25 = 4.5, syy = 4: rho = 1 / sqrt(18) */
    const double x2[] = {3, 1, 3, 2}, y2[] = {0, 0, 1, 1};
    ASSERT_NEAR(pb_metric_spearman(x2, y2, N(x2)), 100.0 / sqrt(18.0));
    /* constant predictions: all ranks tie, the correlation is undefined (NaN, as scipy) */
    const double c[] = {7, 7, 7, 7, 7};
    assert_true(isnan(pb_metric_spearman(a, c, N(a))));
}

static void test_glue_metric(void **state) {
    (void)state;
    pb_metrics m;
    /* cola: mcc of the binary case above */
    const double l[] = {1, 1, 0, 0, 1}, p[] = {1, 0, 1, 0, 1};
    assert_int_equal(pb_glue_metric("cola", l, p, N(l), &m), 0);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.name[0], "mcc");
    ASSERT_NEAR(m.value[0], 100.0 / 6.0);
    /* mrpc and qqp (also with the glue- prefix): accuracy 3/5, F1 4/6 */
    const char *af[] = {"mrpc", "glue-qqp"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pb_glue_metric(af[i], l, p, N(l), &m), 0);
        assert_int_equal(m.n, 2);
        assert_string_equal(m.name[0], "accuracy");
        assert_string_equal(m.name[1], "f1");
        ASSERT_NEAR(m.value[0], 60.0);
        ASSERT_NEAR(m.value[1], 400.0 / 6.0);
    }
    const char *acc[] = {"sst2", "qnli", "rte", "wnli", "glue-mnli"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(pb_glue_metric(acc[i], l, p, N(l), &m), 0);
        assert_int_equal(m.n, 1);
        assert_string_equal(m.name[0], "accuracy");
        ASSERT_NEAR(m.value[0], 60.0);
    }
    /* stsb: pearson and spearman of the examples above */
    const double x[] = {1, 2, 3, 4}, y[] = {2, 4, 5, 9};
    assert_int_equal(pb_glue_metric("stsb", x, y, N(x), &m), 0);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.name[0], "pearson");
    assert_string_equal(m.name[1], "spearmanr");
    ASSERT_NEAR(m.value[0], 1100.0 / sqrt(130.0));
    ASSERT_NEAR(m.value[1], 100.0);
    /* bad input */
    assert_int_equal(pb_glue_metric("squad", l, p, N(l), &m), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("squad");
    const double bad[] = {0, 1, 2, 0, 1};
    assert_int_equal(pb_glue_metric("rte", l, bad, N(l), &m), PB_EINVAL);
    PB_ASSERT_MSG_HAS("predictions[2]");
    const double three[] = {0, 1, 2, 0, 1};
    assert_int_equal(pb_glue_metric("mnli", three, three, N(three), &m), 0);
    ASSERT_NEAR(m.value[0], 100.0);
    assert_int_equal(pb_glue_metric("rte", l, p, 0, &m), PB_EINVAL);
    /* label strings in HF's get_labels() order */
    assert_string_equal(pb_glue_label_name("glue-mnli", 0), "contradiction");
    assert_string_equal(pb_glue_label_name("mnli", 2), "neutral");
    assert_string_equal(pb_glue_label_name("qnli", 1), "not_entailment");
    assert_string_equal(pb_glue_label_name("cola", 1), "1");
    assert_null(pb_glue_label_name("mnli", 3));
    assert_null(pb_glue_label_name("stsb", 0));
    assert_null(pb_glue_label_name("squad", 0));
}

static void test_glue_metric_files(void **state) {
    (void)state;
    char lp[512], pp[512];
    pb_metrics m;
    /* label strings and class indices mix (rte: entailment = 0,
     * not_entailment = 1); blanks around a value are ignored: 3 of 4 match */
    pb_test_write_file(lp, sizeof lp, g_dir, "rte_labels.txt", "entailment\nnot_entailment\n1\n0\n");
    pb_test_write_file(pp, sizeof pp, g_dir, "rte_pred.txt", "0\r\n not_entailment\r\n1\r\n1");
    assert_int_equal(pb_glue_metric_files("glue-rte", lp, pp, &m), 0);
    assert_string_equal(m.name[0], "accuracy");
    ASSERT_NEAR(m.value[0], 75.0);
    /* stsb floats: the pearson example */
    pb_test_write_file(lp, sizeof lp, g_dir, "stsb_labels.txt", "1\n2.0\n3e0\n4\n");
    pb_test_write_file(pp, sizeof pp, g_dir, "stsb_pred.txt", "2\n4\n5\n9\n");
    assert_int_equal(pb_glue_metric_files("stsb", lp, pp, &m), 0);
    ASSERT_NEAR(m.value[0], 1100.0 / sqrt(130.0));
    /* errors name the file and the line */
    pb_test_write_file(pp, sizeof pp, g_dir, "stsb_bad.txt", "2\n4\nfour\n9\n");
    assert_int_equal(pb_glue_metric_files("stsb", lp, pp, &m), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("stsb_bad.txt:3:");
    PB_ASSERT_MSG_HAS("'four'");
    pb_test_write_file(pp, sizeof pp, g_dir, "mnli_bad.txt", "entailment\ncontradicts\n");
    assert_int_equal(pb_glue_metric_files("mnli", pp, pp, &m), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("mnli_bad.txt:2:");
    PB_ASSERT_MSG_HAS("contradicts");
    pb_test_write_file(pp, sizeof pp, g_dir, "cola_bad.txt", "0\n2\n");
    assert_int_equal(pb_glue_metric_files("cola", pp, pp, &m), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("cola_bad.txt:2:");
    pb_test_write_file(pp, sizeof pp, g_dir, "empty.txt", "");
    assert_int_equal(pb_glue_metric_files("cola", pp, pp, &m), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("empty.txt:1: empty file");
    pb_test_write_file(pp, sizeof pp, g_dir, "blank.txt", "1\n\n0\n");
    assert_int_equal(pb_glue_metric_files("cola", pp, pp, &m), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("blank.txt:2: empty line");
    /* count mismatch: 4 labels, 3 predictions; line 4 of the labels is unmatched */
    pb_test_write_file(pp, sizeof pp, g_dir, "short.txt", "2\n4\n5\n");
    assert_int_equal(pb_glue_metric_files("stsb", lp, pp, &m), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("stsb_labels.txt:4");
    PB_ASSERT_MSG_HAS("short.txt has 3");
    assert_int_equal(pb_glue_metric_files("stsb", lp, "/nonexistent/pred.txt", &m), PB_EIO);
    PB_ASSERT_MSG_HAS("/nonexistent/pred.txt");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accuracy),          cmocka_unit_test(test_f1),       cmocka_unit_test(test_mcc),
        cmocka_unit_test(test_pearson),           cmocka_unit_test(test_spearman), cmocka_unit_test(test_glue_metric),
        cmocka_unit_test(test_glue_metric_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
