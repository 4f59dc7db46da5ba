/* Result tables: exact Markdown and LaTeX output for a small set of cells
 * (2 tasks x dense/magnitude x 2 sparsities x 3 seeds, one failed cell),
 * axis labels, the non-constant-axis error, reference values (difference and
 * retention) and the references YAML loader with its errors. Every expected
 * number is computed by hand in the comment next to it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_error.h"
#include "table.h"
#include "testutil.h"

PB_TEST_TMPDIR_FIXTURE("table")

/* clang-format off */
#define DENSE(t, s, v)                                                                                       \
    {.task = (t), .method = "dense", .embeddings = -1, .head = -1, .seed = (s), .n_metrics = 1,              \
     .metric_name = {METRIC(t)}, .metric = {(v)}}
#define MAG(t, sp, s, v)                                                                                     \
    {.task = (t), .method = "magnitude", .sparsity = (sp), .recipe = "fixed", .mask = "unstructured",        \
     .seed = (s), .n_metrics = 1, .metric_name = {METRIC(t)}, .metric = {(v)}}
/* clang-format on */
#define METRIC(t) (!strcmp((t), "wn-span") ? "f1" : "accuracy")

/* Shuffled on purpose: magnitude before dense and 90% before 80%, so the
 * output order (dense first, sparsity ascending) is the renderer's.
 * Hand computation, t975(2) = 4.302652730, t975(1) = 12.706204736:
 *   wn-span dense  80 82 84: mean 82, sd 2,        hw 4.3027*2/sqrt3         = 4.97
 *   wn-span 80%    78 79 80: mean 79, sd 1,        hw 4.3027/sqrt3           = 2.48
 *   wn-span 90%    70 72 77: mean 73, sd sqrt(13), hw 4.3027*sqrt13/sqrt3    = 8.96
 *   wn-pair dense  90 90 93: mean 91, sd sqrt(3),  hw 4.3027                 = 4.30
 *   wn-pair 80%    88 89 90: mean 89, sd 1,        hw                          2.48
 *   wn-pair 90%    85 87 (failed): mean 86, sd sqrt2, hw 12.7062*sqrt2/sqrt2 = 12.71 */
static pb_table_cell *make_cells(size_t *n) {
    static const char *span = "wn-span", *pair = "wn-pair";
    pb_table_cell c[] = {
        MAG(span, 0.9, 1, 70), MAG(span, 0.8, 1, 78), DENSE(span, 1, 80),    MAG(span, 0.9, 2, 72),
        MAG(span, 0.8, 2, 79), DENSE(span, 2, 82),    MAG(span, 0.9, 3, 77), MAG(span, 0.8, 3, 80),
        DENSE(span, 3, 84),    MAG(pair, 0.9, 1, 85), MAG(pair, 0.8, 1, 88), DENSE(pair, 1, 90),
        MAG(pair, 0.9, 2, 87), MAG(pair, 0.8, 2, 89), DENSE(pair, 2, 90),    MAG(pair, 0.9, 3, 0),
        MAG(pair, 0.8, 3, 90), DENSE(pair, 3, 93),
    };
    c[15].failed = 1;
    c[15].reason = "diverged";
    c[15].n_metrics = 0;
    *n = sizeof c / sizeof c[0];
    pb_table_cell *out = malloc(sizeof c);
    assert_non_null(out);
    memcpy(out, c, sizeof c);
    return out;
}

static char *render_ok(const pb_table_cell *c, size_t n, const pb_table_opts *o) {
    char *s = NULL;
    int rc = pb_table_render(c, n, o, &s);
    if (rc) print_error("render: %s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_non_null(s);
    return s;
}

static void assert_text(const char *got, const char *want) {
    if (strcmp(got, want)) print_error("got:\n%s\nwant:\n%s\n", got, want);
    assert_string_equal(got, want);
}

static void test_markdown(void **state) {
    (void)state;
    size_t n;
    pb_table_cell *c = make_cells(&n);
    pb_table_opts o = {
        .format = PB_TABLE_MD, .rows = {"task"}, .n_rows = 1, .cols = {"method", "sparsity"}, .n_cols = 2};
    char *s = render_ok(c, n, &o);
    assert_text(s, "| task | dense, 0% | magnitude, 80% | magnitude, 90% |\n"
                   "|---|---|---|---|\n"
                   "| wn-span | 82.00 ± 4.97 (n=3) | 79.00 ± 2.48 (n=3) | 73.00 ± 8.96 (n=3) |\n"
                   "| wn-pair | 91.00 ± 4.30 (n=3) | 89.00 ± 2.48 (n=3) | 86.00 ± 12.71 (n=2), failed 1/3 |\n");
    free(s);
    free(c);
}

static void test_latex(void **state) {
    (void)state;
    size_t n;
    pb_table_cell *c = make_cells(&n);
    pb_table_opts o = {.format = PB_TABLE_LATEX,
                       .rows = {"task", "sparsity"},
                       .n_rows = 2,
                       .cols = {"method"},
                       .n_cols = 1,
                       .title = "Main_results & #1 (100%)"};
    char *s = render_ok(c, n, &o);
    assert_text(s, "% requires \\usepackage{booktabs} (\\toprule, \\midrule, \\bottomrule)\n"
                   "\\begin{table}[ht]\n"
                   "\\centering\n"
                   "\\caption{Main\\_results \\& \\#1 (100\\%)}\n"
                   "\\begin{tabular}{llrr}\n"
                   "\\toprule\n"
                   "task & sparsity & dense & magnitude \\\\\n"
                   "\\midrule\n"
                   "wn-span & 0\\% & 82.00 $\\pm$ 4.97 (n=3) & -- \\\\\n"
                   "wn-span & 80\\% & -- & 79.00 $\\pm$ 2.48 (n=3) \\\\\n"
                   "wn-span & 90\\% & -- & 73.00 $\\pm$ 8.96 (n=3) \\\\\n"
                   "wn-pair & 0\\% & 91.00 $\\pm$ 4.30 (n=3) & -- \\\\\n"
                   "wn-pair & 80\\% & -- & 89.00 $\\pm$ 2.48 (n=3) \\\\\n"
                   "wn-pair & 90\\% & -- & 86.00 $\\pm$ 12.71 (n=2), failed 1/3 \\\\\n"
                   "\\bottomrule\n"
                   "\\end{tabular}\n"
                   "\\end{table}\n");
    free(s);
    free(c);
}

/* Labels of embeddings (–/no/yes) and kd (off, T=2, h=1), n=1 and all failed;
 * a Markdown title and a task name with a pipe. */
static void test_labels(void **state) {
    (void)state;
    pb_table_cell c[] = {
        {.task = "t|x",
         .method = "magnitude",
         .sparsity = 0.9,
         .embeddings = 1,
         .kd = 1,
         .kd_temperature = 2,
         .kd_hardness = 1,
         .seed = 1,
         .n_metrics = 1,
         .metric_name = {"accuracy"},
         .metric = {70.0}},
        {.task = "t|x", .method = "magnitude", .sparsity = 0.9, .embeddings = 0, .seed = 1, .failed = 1},
        {.task = "t|x", .method = "magnitude", .sparsity = 0.9, .embeddings = 0, .seed = 2, .failed = 1},
        {.task = "t|x", .method = "magnitude", .sparsity = 0.9, .embeddings = 0, .seed = 3, .failed = 1},
        {.task = "t|x",
         .method = "dense",
         .embeddings = -1,
         .head = -1,
         .seed = 1,
         .n_metrics = 2,
         .metric_name = {"accuracy", "f1"},
         .metric = {81.234, 1.0}},
    };
    pb_table_opts o = {.format = PB_TABLE_MD,
                       .rows = {"method", "kd"},
                       .n_rows = 2,
                       .cols = {"embeddings"},
                       .n_cols = 1,
                       .title = "Labels"};
    char *s = render_ok(c, sizeof c / sizeof c[0], &o);
    assert_text(s, "**Labels**\n\n"
                   "| method | kd | – | no | yes |\n"
                   "|---|---|---|---|---|\n"
                   "| dense | off | 81.23 (n=1) | – | – |\n"
                   "| magnitude | off | – | failed (3/3) | – |\n"
                   "| magnitude | T=2, h=1 | – | – | 70.00 (n=1) |\n");
    free(s);
    /* no column axes: one column headed by the metric; head column labels */
    pb_table_opts o2 = {.format = PB_TABLE_MD,
                        .rows = {"task", "method", "kd", "embeddings", "head"},
                        .n_rows = 5,
                        .metric = "accuracy"};
    s = render_ok(c, sizeof c / sizeof c[0], &o2);
    assert_text(s, "| task | method | kd | embeddings | head | accuracy |\n"
                   "|---|---|---|---|---|---|\n"
                   "| t\\|x | dense | off | – | – | 81.23 (n=1) |\n"
                   "| t\\|x | magnitude | off | no | no | failed (3/3) |\n"
                   "| t\\|x | magnitude | T=2, h=1 | yes | no | 70.00 (n=1) |\n");
    free(s);
}

static void test_errors(void **state) {
    (void)state;
    size_t n;
    pb_table_cell *c = make_cells(&n);
    char *s = NULL;
    /* sparsity (80% vs 90%) varies within the magnitude entry */
    pb_table_opts o = {.format = PB_TABLE_MD, .rows = {"task"}, .n_rows = 1, .cols = {"method"}, .n_cols = 1};
    assert_int_equal(pb_table_render(c, n, &o, &s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("axis 'sparsity' varies");
    PB_ASSERT_MSG_HAS("'90%' vs '80%'");
    PB_ASSERT_MSG_HAS("add it to rows or cols");
    assert_null(s);
    /* seed is never an axis */
    pb_table_opts o2 = {.format = PB_TABLE_MD, .rows = {"task", "seed"}, .n_rows = 2};
    assert_int_equal(pb_table_render(c, n, &o2, &s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("unknown axis 'seed'");
    pb_table_opts o3 = {.format = PB_TABLE_MD, .rows = {"task"}, .n_rows = 1, .cols = {"task"}, .n_cols = 1};
    assert_int_equal(pb_table_render(c, n, &o3, &s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("axis 'task' is used twice");
    /* a metric the cells do not have */
    pb_table_opts o4 = {.format = PB_TABLE_MD,
                        .rows = {"task"},
                        .n_rows = 1,
                        .cols = {"method", "sparsity"},
                        .n_cols = 2,
                        .metric = "f1"};
    assert_int_equal(pb_table_render(c, n, &o4, &s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("(task wn-pair, method dense, seed 1) has no metric 'f1'");
    /* a NaN metric names the cell */
    c[2].metric[0] = NAN;
    o4.metric = NULL;
    assert_int_equal(pb_table_render(c, n, &o4, &s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("cell 2 (task wn-span, seed 1): metric 'f1' is not finite");
    assert_null(s);
    free(c);
}

static const char *const refs_yaml = "# test references\n"
                                     "- source: \"test A\"\n"
                                     "  model: bert-base-uncased\n"
                                     "  task: wn-span\n"
                                     "  method: magnitude\n"
                                     "  sparsity: 0.8\n"
                                     "  metric: f1\n"
                                     "  value: 80.5\n"
                                     "- source: \"test B dense\"\n"
                                     "  model: bert-base-uncased\n"
                                     "  task: mnli\n"
                                     "  analog: wn-pair\n"
                                     "  method: dense\n"
                                     "  sparsity: 0\n"
                                     "  metric: accuracy\n"
                                     "  value: 84.0\n"
                                     "- {source: \"test B\", model: bert-base-uncased, task: mnli, analog: wn-pair, "
                                     "method: magnitude, sparsity: 0.9, metric: accuracy, value: 63}\n";

/* Direct: wn-span magnitude 80%: ours 79, ref 80.5, Δ = 79 - 80.5 = -1.50.
 * Analog dense: wn-pair dense shows mnli's dense 84.00.
 * Analog sparse: wn-pair 90%: ref retention 63 / 84 * 100 = 75.00%, ours
 * 86 / 91 * 100 = 94.505...% -> 94.51%. Other entries have no reference. */
static void test_refs_table(void **state) {
    (void)state;
    char path[512];
    pb_test_write_file(path, sizeof path, g_dir, "refs.yaml", refs_yaml);
    pb_table_refs r;
    int rc = pb_table_refs_load(&r, path);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.items[0].source, "test A");
    assert_null(r.items[0].analog);
    assert_string_equal(r.items[1].analog, "wn-pair");
    assert_int_equal(r.items[1].line, 9);
    assert_true(r.items[2].sparsity == 0.9 && r.items[2].value == 63.0);

    size_t n;
    pb_table_cell *c = make_cells(&n);
    pb_table_opts o = {
        .format = PB_TABLE_MD, .rows = {"task"}, .n_rows = 1, .cols = {"method", "sparsity"}, .n_cols = 2, .refs = &r};
    char *s = render_ok(c, n, &o);
    assert_text(s, "| task | dense, 0% | magnitude, 80% | magnitude, 90% |\n"
                   "|---|---|---|---|\n"
                   "| wn-span | 82.00 ± 4.97 (n=3) | 79.00 ± 2.48 (n=3) [ref 80.50, Δ -1.50] | 73.00 ± 8.96 (n=3) |\n"
                   "| wn-pair | 91.00 ± 4.30 (n=3) [mnli ref 84.00] | 89.00 ± 2.48 (n=3) | 86.00 ± 12.71 (n=2), "
                   "failed 1/3 [mnli retention: ref 75.00%, ours 94.51%] |\n");
    free(s);
    o.format = PB_TABLE_LATEX;
    s = render_ok(c, n, &o);
    PB_ASSERT_HAS(s, "& 79.00 $\\pm$ 2.48 (n=3) [ref 80.50, $\\Delta$ -1.50] &");
    PB_ASSERT_HAS(s, "failed 1/3 [mnli retention: ref 75.00\\%, ours 94.51\\%] \\\\\n");
    free(s);
    /* without our dense cells the retention shows ours as – */
    o.format = PB_TABLE_MD;
    o.cols[0] = "sparsity";
    o.n_cols = 1;
    o.rows[1] = "method";
    o.n_rows = 2;
    pb_table_cell pair90[] = {c[9], c[12]}; /* 85, 87: mean 86, no dense cells */
    s = render_ok(pair90, 2, &o);
    assert_text(s, "| task | method | 90% |\n"
                   "|---|---|---|\n"
                   "| wn-pair | magnitude | 86.00 ± 12.71 (n=2) [mnli retention: ref 75.00%, ours –] |\n");
    free(s);
    free(c);
    pb_table_refs_free(&r);
    assert_null(r.items);
    assert_int_equal(r.n, 0);
}

/* The committed references load: 3 tasks x (dense + oBERT at 80/90/97%). */
static void test_refs_committed(void **state) {
    (void)state;
    pb_table_refs r;
    int rc = pb_table_refs_load(&r, "results/references.yaml");
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_int_equal(r.n, 12);
    /* DESIGN.md "Verified reference facts": BERT-base dense SQuAD F1 88.54, oBERT 90% 88.31 */
    assert_string_equal(r.items[0].task, "squad");
    assert_string_equal(r.items[0].analog, "wn-span");
    assert_string_equal(r.items[0].method, "dense");
    assert_true(r.items[0].value == 88.54);
    assert_string_equal(r.items[2].method, "obert");
    assert_true(r.items[2].sparsity == 0.9 && r.items[2].value == 88.31);
    for (size_t k = 0; k < r.n; k++) assert_true(strlen(r.items[k].source) > 10);
    pb_table_refs_free(&r);
}

/* Load `text` and expect failure code `code` with `needle` in the message. */
static void expect_load_error(const char *text, int code, const char *needle) {
    char path[512];
    pb_test_write_file(path, sizeof path, g_dir, "bad.yaml", text);
    pb_table_refs r;
    int rc = pb_table_refs_load(&r, path);
    if (rc != code) print_error("rc %d, message: %s\n", rc, pb_error_msg());
    assert_int_equal(rc, code);
    PB_ASSERT_MSG_HAS(path);
    PB_ASSERT_MSG_HAS(needle);
    assert_null(r.items);
    assert_int_equal(r.n, 0);
}

#define ENTRY_HEAD "- source: s\n  model: m\n  task: t\n  method: dense\n"

static void test_refs_errors(void **state) {
    (void)state;
    /* the flow sequence opened at line 2, column 10 is still open at the end (line 3, column 1) */
    expect_load_error("- source: s\n  model: [m, n\n", PB_EFORMAT,
                      ":3:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at "
                      "line 2, column 10)");
    /* a tab indents line 2 */
    expect_load_error("- source: s\n\tmodel: m\n", PB_EFORMAT, ":2:1: YAML syntax error: found a tab character");
    /* unknown key 'valeu' at line 7, column 3 */
    expect_load_error(ENTRY_HEAD "  sparsity: 0\n  metric: f1\n  valeu: 1\n", PB_EFORMAT,
                      ":7:3: unknown key 'valeu' in reference entry 1");
    /* the second entry (line 8, column 3 where its mapping starts) lacks metric */
    expect_load_error(ENTRY_HEAD "  sparsity: 0\n  metric: f1\n  value: 1\n" ENTRY_HEAD "  sparsity: 0\n  value: 2\n",
                      PB_EFORMAT, ":8:3: reference entry 2 is missing key 'metric'");
    expect_load_error(ENTRY_HEAD "  sparsity: 1.5\n  metric: f1\n  value: 1\n", PB_EFORMAT,
                      ":5:13: key 'sparsity': 1.5 is outside [0, 1)");
    expect_load_error(ENTRY_HEAD "  sparsity: 0\n  metric: f1\n  value: high\n", PB_EFORMAT,
                      ":7:10: key 'value': 'high' is not a finite number");
    expect_load_error(ENTRY_HEAD "  sparsity: 0\n  metric: f1\n  value: [1]\n", PB_EFORMAT,
                      ":7:10: key 'value': expected a single value");
    expect_load_error(ENTRY_HEAD "  sparsity: 0\n  task: u\n  metric: f1\n  value: 1\n", PB_EFORMAT,
                      ":6:3: key 'task' repeated");
    expect_load_error("source: s\n", PB_EFORMAT, ":1:1: expected a sequence of reference entries");
    expect_load_error("- just text\n", PB_EFORMAT, ":1:3: reference entry 1: expected a mapping");
    pb_table_refs r;
    assert_int_equal(pb_table_refs_load(&r, "/nonexistent/refs.yaml"), PB_EIO);
    PB_ASSERT_MSG_HAS("/nonexistent/refs.yaml: cannot read");
}

/* ---- intervals wider than the metric's range ---------------------------------------- */

/* n = 2 on a 0-100 metric: 60 and 86 give mean 73, sd 26/sqrt2, half-width
 * 12.7062*26/2 = 165.18 > 100/2: the mean with a dagger and a footnote; n = 1
 * shows no interval; 70, 72 (half 12.71) stays as it is; mcc [-100, 100]
 * with 10, 40 (half 190.59 > 100) is wide too; a metric of unknown range is
 * never flagged. */
static void test_wide_interval(void **state) {
    (void)state;
    pb_table_cell c[] = {
        {.task = "spam", .method = "dense", .embeddings = -1, .head = -1, .seed = 1, .n_metrics = 1,
         .metric_name = {"accuracy"}, .metric = {60}},
        {.task = "spam", .method = "dense", .embeddings = -1, .head = -1, .seed = 2, .n_metrics = 1,
         .metric_name = {"accuracy"}, .metric = {86}},
        {.task = "spam", .method = "magnitude", .sparsity = 0.5, .seed = 1, .n_metrics = 1,
         .metric_name = {"accuracy"}, .metric = {70}},
        {.task = "spam", .method = "magnitude", .sparsity = 0.5, .seed = 2, .n_metrics = 1,
         .metric_name = {"accuracy"}, .metric = {72}},
        {.task = "spam", .method = "magnitude", .sparsity = 0.9, .seed = 1, .n_metrics = 1,
         .metric_name = {"accuracy"}, .metric = {55.555}},
        {.task = "cola", .method = "dense", .embeddings = -1, .head = -1, .seed = 1, .n_metrics = 1,
         .metric_name = {"mcc"}, .metric = {10}},
        {.task = "cola", .method = "dense", .embeddings = -1, .head = -1, .seed = 2, .n_metrics = 1,
         .metric_name = {"mcc"}, .metric = {40}},
        {.task = "lm", .method = "dense", .embeddings = -1, .head = -1, .seed = 1, .n_metrics = 1,
         .metric_name = {"loss"}, .metric = {10}},
        {.task = "lm", .method = "dense", .embeddings = -1, .head = -1, .seed = 2, .n_metrics = 1,
         .metric_name = {"loss"}, .metric = {400}},
    };
    pb_table_opts o = {
        .format = PB_TABLE_MD, .rows = {"task"}, .n_rows = 1, .cols = {"method", "sparsity"}, .n_cols = 2};
    char *s = render_ok(c, sizeof c / sizeof c[0], &o);
    /* cola: mean 25, half 12.7062*30/2 = 190.59; lm: mean 205, half 2477.71, unknown range */
    assert_text(s, "| task | dense, 0% | magnitude, 50% | magnitude, 90% |\n"
                   "|---|---|---|---|\n"
                   "| spam | 73.00\xe2\x80\xa0 (n=2) | 71.00 \xc2\xb1 12.71 (n=2) | 55.55 (n=1) |\n"
                   "| cola | 25.00\xe2\x80\xa0 (n=2) | \xe2\x80\x93 | \xe2\x80\x93 |\n"
                   "| lm | 205.00 \xc2\xb1 2477.71 (n=2) | \xe2\x80\x93 | \xe2\x80\x93 |\n"
                   "\n"
                   "\xe2\x80\xa0 95% interval wider than the metric's range: too few seeds (n=2); the mean alone is "
                   "shown.\n");
    assert_null(strstr(s, "165.18"));
    free(s);
    o.format = PB_TABLE_LATEX;
    s = render_ok(c, sizeof c / sizeof c[0], &o);
    PB_ASSERT_HAS(s, "spam & 73.00$^\\dagger$ (n=2) & 71.00 $\\pm$ 12.71 (n=2) & 55.55 (n=1) \\\\\n");
    PB_ASSERT_HAS(s, "\\end{tabular}\n\\par\\smallskip\n{\\footnotesize $^\\dagger$ 95\\% interval wider than the "
                     "metric's range: too few seeds (n=2); the mean alone is shown.}\n");
    free(s);
    /* the ranges themselves */
    double lo = 0, hi = 0;
    assert_int_equal(pb_table_metric_range("accuracy_mm", &lo, &hi), 1);
    assert_true(lo == 0 && hi == 100);
    assert_int_equal(pb_table_metric_range("HasAns_f1", &lo, &hi), 1);
    assert_int_equal(pb_table_metric_range("spearmanr", &lo, &hi), 1);
    assert_true(lo == -100 && hi == 100);
    assert_int_equal(pb_table_metric_range("perplexity", &lo, &hi), 1);
    assert_true(lo == 1 && isinf(hi));
    assert_int_equal(pb_table_metric_range("loss", &lo, &hi), 0);
    assert_int_equal(pb_table_metric_range(NULL, &lo, &hi), 0);
}

/* ---- the LaTeX compiles ------------------------------------------------------------------ */

/* Structural checks of a LaTeX table: the packages it needs are named in a
 * comment on its first line; braces balance (no unescaped { or }); every
 * row between \midrule and \bottomrule (and the header) has the tabular's
 * column count of unescaped &; no unescaped % _ # $ outside math; \pm and
 * \Delta and \dagger only inside $...$; environments open and close. */
static void check_latex(const char *tex) {
    /* the first line: a comment naming booktabs, which \toprule needs */
    assert_true(!strncmp(tex, "% requires \\usepackage{booktabs}", 32));
    int depth = 0, math = 0, cols = -1;
    /* the column count from \begin{tabular}{...} */
    const char *tab = strstr(tex, "\\begin{tabular}{");
    assert_non_null(tab);
    tab += strlen("\\begin{tabular}{");
    cols = (int)strcspn(tab, "}");
    for (int k = 0; k < cols; k++) assert_non_null(strchr("lcr", tab[k]));
    assert_true(cols >= 1);
    const char *body = strchr(tex, '\n') + 1; /* past the comment line */
    int in_rows = 0, rows = 0;
    for (const char *line = body; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        int amps = 0;
        for (size_t i = 0; i < len; i++) {
            const char ch = line[i];
            if (ch == '\\') {
                /* a command or an escaped character: skip its name or the character */
                size_t j = i + 1;
                if (j < len && !((line[j] >= 'a' && line[j] <= 'z') || (line[j] >= 'A' && line[j] <= 'Z'))) {
                    i = j;
                    continue;
                }
                while (j < len && ((line[j] >= 'a' && line[j] <= 'z') || (line[j] >= 'A' && line[j] <= 'Z'))) j++;
                const size_t n = j - i - 1;
                if ((n == 2 && !strncmp(line + i + 1, "pm", 2)) || (n == 5 && !strncmp(line + i + 1, "Delta", 5)) ||
                    (n == 6 && !strncmp(line + i + 1, "dagger", 6))) {
                    if (!math) print_error("math command outside $...$: %.*s\n", (int)len, line);
                    assert_true(math);
                }
                i = j - 1;
                continue;
            }
            if (ch == '{') depth++;
            else if (ch == '}') {
                depth--;
                assert_true(depth >= 0);
            } else if (ch == '$') math = !math;
            else if (ch == '&') amps++;
            else if (ch == '%' || ch == '#' || (ch == '_' && !math)) {
                print_error("unescaped '%c' in: %.*s\n", ch, (int)len, line);
                fail();
            } else if (ch == '^' && !math) {
                print_error("'^' outside math in: %.*s\n", (int)len, line);
                fail();
            }
        }
        assert_false(math); /* math closes on its line */
        if (!strncmp(line, "\\toprule", 8)) in_rows = 1;
        else if (!strncmp(line, "\\bottomrule", 11)) in_rows = 0;
        else if (!strncmp(line, "\\midrule", 8)) {
        } else if (in_rows) {
            if (amps != cols - 1) print_error("row with %d cells, expected %d: %.*s\n", amps + 1, cols, (int)len, line);
            assert_int_equal(amps, cols - 1);
            assert_true(len >= 3 && !strncmp(line + len - 3, " \\\\", 3));
            rows++;
        }
        line = end ? end + 1 : line + len;
    }
    assert_int_equal(depth, 0);
    assert_true(rows >= 2); /* the header and at least one row */
    static const char *const envs[] = {"tabular", "table"};
    for (int k = 0; k < 2; k++) {
        char b[32], e[32];
        snprintf(b, sizeof b, "\\begin{%s}", envs[k]);
        snprintf(e, sizeof e, "\\end{%s}", envs[k]);
        int nb = 0, ne = 0;
        for (const char *p = tex; (p = strstr(p, b)); p++) nb++;
        for (const char *p = tex; (p = strstr(p, e)); p++) ne++;
        assert_int_equal(nb, ne);
    }
}

/* The path of an executable on PATH into out; 0 when absent. */
static int on_path(const char *name, char *out, size_t cap) {
    const char *path = getenv("PATH");
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        const char *e = strchr(p, ':');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        snprintf(out, cap, "%.*s/%s", (int)len, p, name);
        if (len && access(out, X_OK) == 0) return 1;
        p += len + (e ? 1 : 0);
    }
    return 0;
}

/* Every LaTeX table the tests make (with a title, without, with references,
 * footnotes and specials in labels) passes the structural checks and, when
 * pdflatex is installed, compiles in a minimal article with booktabs. */
static void test_latex_compiles(void **state) {
    (void)state;
    size_t n;
    pb_table_cell *c = make_cells(&n);
    /* specials in labels: a task named with % & _ # $ and a recipe with ^ ~ */
    c[0].task = c[3].task = c[6].task = "wn_span & #1 $5 100%";
    char path[512];
    pb_test_write_file(path, sizeof path, g_dir, "refs_tex.yaml", refs_yaml);
    pb_table_refs r;
    assert_int_equal(pb_table_refs_load(&r, path), 0);
    pb_table_opts opts[3] = {
        {.format = PB_TABLE_LATEX, .rows = {"task", "sparsity"}, .n_rows = 2, .cols = {"method"}, .n_cols = 1,
         .title = "Main_results & #1 (100%) {x} ~^\\"},
        {.format = PB_TABLE_LATEX, .rows = {"task"}, .n_rows = 1, .cols = {"method", "sparsity"}, .n_cols = 2,
         .refs = &r},
        {.format = PB_TABLE_LATEX, .rows = {"task", "method", "sparsity"}, .n_rows = 3},
    };
    /* a wide interval for the footnote: wn-pair 90% becomes 0 and 100 (n=2 after the failed one) */
    c[9].metric[0] = 0;
    c[12].metric[0] = 100;
    char pdflatex[512];
    const int have = on_path("pdflatex", pdflatex, sizeof pdflatex);
    if (!have) printf("pdflatex not installed: skipped compiling the LaTeX tables (structural checks only)\n");
    for (int k = 0; k < 3; k++) {
        char *s = render_ok(c, n, &opts[k]);
        if (k == 0) PB_ASSERT_HAS(s, "$^\\dagger$ 95\\% interval wider");
        check_latex(s);
        if (have) {
            char name[64], doc[64], cmd[2048];
            snprintf(name, sizeof name, "t%d.tex", k);
            char tpath[512];
            pb_test_write_file(tpath, sizeof tpath, g_dir, name, s);
            snprintf(doc, sizeof doc, "doc%d.tex", k);
            char body[256], dpath[512];
            snprintf(body, sizeof body,
                     "\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n\\input{t%d.tex}\n"
                     "\\end{document}\n",
                     k);
            pb_test_write_file(dpath, sizeof dpath, g_dir, doc, body);
            snprintf(cmd, sizeof cmd, "cd '%s' && '%s' -interaction=nonstopmode -halt-on-error doc%d.tex >doc%d.out 2>&1",
                     g_dir, pdflatex, k, k);
            int st = system(cmd);
            if (st != 0) {
                char out[600];
                snprintf(out, sizeof out, "%s/doc%d.out", g_dir, k);
                char *log = pb_test_slurp(out);
                print_error("pdflatex failed on:\n%s\n%s\n", s, log ? log : "");
                free(log);
            }
            assert_int_equal(st, 0);
        }
        free(s);
    }
    if (have) printf("pdflatex compiled the 3 LaTeX tables\n");
    pb_table_refs_free(&r);
    free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markdown),    cmocka_unit_test(test_latex),      cmocka_unit_test(test_labels),
        cmocka_unit_test(test_errors),      cmocka_unit_test(test_refs_table), cmocka_unit_test(test_refs_committed),
        cmocka_unit_test(test_refs_errors), cmocka_unit_test(test_wide_interval),
        cmocka_unit_test(test_latex_compiles),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
