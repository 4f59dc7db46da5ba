/* The figures of an experiment (plots/figures.h): default table axes from
 * which axes vary among pruned cells; pb_figures_render on an experiment file
 * gathered from hand-built cell results writes metric_vs_sparsity with the
 * exact means and 95% CI bounds over seeds (failed and diverged cells left
 * out), the curves of the highest-sparsity cell and the costs; a store whose
 * cells are all dense gives neither metric_vs_sparsity nor an ablation. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cell_result.h"
#include "figures.h"
#include "store.h"
#include "testutil.h"

PB_TEST_TMPDIR_FIXTURE("figures")

/* ---- default axes ------------------------------------------------------------ */

static void expect_axes(const pb_table_cell *c, size_t n, const char *rows_want) {
    char rows[128] = "?", cols[128] = "?";
    pb_figures_default_axes(c, n, rows, sizeof rows, cols, sizeof cols);
    assert_string_equal(rows, rows_want);
    assert_string_equal(cols, "method,sparsity"); /* always, figures.h */
}

static pb_table_cell dense_cell(int kd, uint64_t seed) {
    return (pb_table_cell){.task = "toy", .method = "dense", .embeddings = -1, .head = -1, .kd = kd,
                           .kd_temperature = kd ? 2.0f : 0.0f, .kd_hardness = kd ? 1.0f : 0.0f, .seed = seed};
}

static pb_table_cell pruned_cell(double sp, int emb, int head, int kd, const char *recipe, const char *mask) {
    return (pb_table_cell){.task = "toy", .method = "magnitude", .sparsity = sp, .embeddings = emb, .head = head,
                           .kd = kd, .kd_temperature = kd ? 2.0f : 0.0f, .kd_hardness = kd ? 1.0f : 0.0f,
                           .recipe = recipe, .mask = mask, .seed = 1};
}

static void test_default_axes(void **state) {
    (void)state;
    /* only kd varies among the pruned cells (the classic toy matrix) */
    pb_table_cell a[] = {dense_cell(0, 1), dense_cell(1, 1), pruned_cell(0.5, 0, 0, 0, "fixed", "unstructured"),
                         pruned_cell(0.8, 0, 0, 1, "fixed", "unstructured")};
    expect_axes(a, 4, "task,kd");
    /* kd varies only among dense cells: pruned cells decide, so no kd row */
    pb_table_cell b[] = {dense_cell(0, 1), dense_cell(1, 1), pruned_cell(0.5, 0, 0, 0, "fixed", "unstructured"),
                         pruned_cell(0.8, 0, 0, 0, "fixed", "unstructured")};
    expect_axes(b, 4, "task");
    /* all of them vary: rows in the order embeddings, head, kd, recipe, mask */
    pb_table_cell c[] = {pruned_cell(0.5, 0, 0, 0, "fixed", "unstructured"),
                         pruned_cell(0.5, 1, 1, 1, "scaled", "2:4")};
    expect_axes(c, 2, "task,embeddings,head,kd,recipe,mask");
    /* recipe NULL vs "fixed" is a difference; mask NULL on both is not */
    pb_table_cell d[] = {pruned_cell(0.5, 0, 1, 0, NULL, NULL), pruned_cell(0.5, 0, 0, 0, "fixed", NULL)};
    expect_axes(d, 2, "task,head,recipe");
    /* KD settings differ but kd is on for both: a variation too */
    pb_table_cell e[] = {pruned_cell(0.5, 0, 0, 1, "fixed", NULL), pruned_cell(0.5, 0, 0, 1, "fixed", NULL)};
    e[1].kd_temperature = 4.0f;
    expect_axes(e, 2, "task,kd");
    /* only dense cells, and no cells at all */
    expect_axes(a, 2, "task");
    expect_axes(NULL, 0, "task");
    /* a NULL buffer is left alone, the other is filled */
    char cols[32] = "keep";
    pb_figures_default_axes(a, 4, NULL, 0, cols, sizeof cols);
    assert_string_equal(cols, "method,sparsity");
    char rows[32] = "keep";
    pb_figures_default_axes(a, 4, rows, sizeof rows, NULL, 0);
    assert_string_equal(rows, "task,kd");
}

/* ---- rendering ------------------------------------------------------------------ */

typedef struct {
    pb_train_result r;
    float curves[4 * PB_CURVE_COLS];
    pb_group_cost costs[PB_PRUNE_N_GROUPS];
    pb_cell_info info;
} cell_fixture;

/* Write a cell result `name` in g_dir: done with accuracy `acc` (NaN: diverged, no metric), 4 steps. */
static void write_result(char *path, size_t cap, const char *name, const char *id, double acc) {
    cell_fixture x;
    memset(&x, 0, sizeof x);
    pb_train_result *r = &x.r;
    r->status = isnan(acc) ? PB_TRAIN_DIVERGED : PB_TRAIN_DONE;
    if (isnan(acc)) snprintf(r->reason, sizeof r->reason, "loss is NaN at step 3");
    r->steps = 4;
    r->steps_per_epoch = 2;
    for (int s = 0; s < 4; s++) {
        x.curves[s * PB_CURVE_COLS + PB_CURVE_LOSS] = 1.0f / (float)(s + 1);
        x.curves[s * PB_CURVE_COLS + PB_CURVE_LR] = 1e-3f;
        x.curves[s * PB_CURVE_COLS + PB_CURVE_SPARSITY] = 0.125f * (float)s;
    }
    r->curves = x.curves;
    if (!isnan(acc)) {
        snprintf(r->final_metrics.name[0], sizeof r->final_metrics.name[0], "accuracy");
        r->final_metrics.value[0] = acc;
        r->final_metrics.n = 1;
    }
    r->wall_seconds = 1.0;
    r->tokens = 1024.0;
    r->dense_flops = 1e9;
    r->sparse_flops = 1e9;
    x.costs[0] = (pb_group_cost){"encoder", 1000, 0.25, 2.5e8, 0.75, 4000, 3.2e8};
    x.costs[1] = (pb_group_cost){"embeddings", 2900, 0.625, 0.0, 0.0, 4000, 3.2e8};
    x.costs[2] = (pb_group_cost){"head", 100, 0.03125, 1e6, 0.0078125, 4000, 3.2e8};
    x.info = (pb_cell_info){.run_yaml = "task: toy\n", .cell_id = id, .task = "toy", .model = "init:random",
                            .seed = 1, .threads = 1, .seq_len = 24};
    pb_test_path(path, cap, g_dir, name);
    int rc = pb_cell_result_write(path, &x.info, r, x.costs);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
}

enum { N_CELLS = 9 };

/* The values of the experiment: dense 80, 82; magnitude 50%: 70, 74; 75%: 60,
 * 61, plus a failed cell (seed 3) and a diverged one (seed 4) left out. */
static const char *const k_ids[N_CELLS] = {"0000000000000001", "0000000000000002", "0000000000000003",
                                           "0000000000000004", "0000000000000005", "0000000000000006",
                                           "0000000000000007", "0000000000000008", "0000000000000009"};

/* The toy baselines of write_experiment's baselines: chance 100/3, majority 40. */
static const pb_store_baseline k_toy_baseline = {"toy", "accuracy", 3, 512, 100.0 / 3.0, 40.0};

static void write_experiment_b(const char *exp, int dense_only, int baselines) {
    static char paths[N_CELLS][512];
    pb_store_entry e[N_CELLS];
    memset(e, 0, sizeof e);
    const pb_table_cell d = {.task = "toy", .method = "dense", .embeddings = -1, .head = -1};
    const pb_table_cell m = {.task = "toy", .method = "magnitude", .embeddings = 0, .head = 0, .recipe = "fixed",
                             .mask = "unstructured"};
    const double acc[N_CELLS] = {70, 80, 82, 74, 60, 61, 0, NAN, 0};
    const double sp[N_CELLS] = {0.5, 0, 0, 0.5, 0.75, 0.75, 0.75, 0.75, 0.75};
    const uint64_t seed[N_CELLS] = {1, 1, 2, 2, 1, 2, 3, 4, 5};
    size_t n = 0;
    for (size_t i = 0; i < N_CELLS; i++) {
        const int dense = sp[i] == 0;
        if (dense_only && !dense) continue;
        pb_store_entry *x = &e[n++];
        x->id = k_ids[i];
        x->axes = dense ? d : m;
        x->axes.sparsity = sp[i];
        x->axes.seed = seed[i];
        x->run_yaml = "task: toy\n";
        char name[32];
        snprintf(name, sizeof name, "r%zu.h5", i);
        if (i == 6) x->error = "out of memory\n"; /* failed: no result */
        else if (i == 8) x->result_path = NULL;   /* pending */
        else {
            write_result(paths[i], sizeof paths[i], name, k_ids[i], acc[i]);
            x->result_path = paths[i];
        }
    }
    int rc = pb_store_write_experiment_baselines(exp, "figs", "name: figs\n", e, n, &k_toy_baseline,
                                                 baselines ? 1 : 0);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
}

static void write_experiment(const char *exp, int dense_only) {
    write_experiment_b(exp, dense_only, 0);
}

/* Render the figures of exp into dir; the names into *names. */
static size_t render(const char *exp, const char *dir, char ***names) {
    pb_store *st = NULL;
    assert_int_equal(pb_store_open(&st, exp), 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    pb_plot_opts po = {0};
    size_t n = 0;
    int rc = pb_figures_render(st, dir, &po, names, &n);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    pb_store_close(st);
    return n;
}

static void free_names(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static int png_ok(const char *dir, const char *name) {
    char p[600];
    snprintf(p, sizeof p, "%s/%s.png", dir, name);
    FILE *f = fopen(p, "rb");
    if (!f) return 0;
    unsigned char sig[8] = {0};
    size_t k = fread(sig, 1, 8, f);
    fclose(f);
    return k == 8 && !memcmp(sig, "\x89PNG\r\n\x1a\n", 8);
}

/* The numbers of the data lines after the header line containing `header`,
 * up to the next blank line, into v (at most cap); returns how many. */
static size_t block_numbers(const char *dat, const char *header, double *v, size_t cap) {
    const char *p = strstr(dat, header);
    if (!p) return 0;
    p = strchr(p, '\n');
    size_t k = 0;
    while (p && p[1] && p[1] != '\n' && p[1] != '#') {
        char *end;
        p++;
        for (;;) {
            double x = strtod(p, &end);
            if (end == p) break;
            if (k < cap) v[k] = x;
            k++;
            p = end;
        }
        p = strchr(p, '\n');
    }
    return k;
}

static void test_render(void **state) {
    (void)state;
    char exp[512], dir[512];
    pb_test_path(exp, sizeof exp, g_dir, "figs.h5");
    pb_test_path(dir, sizeof dir, g_dir, "out");
    write_experiment(exp, 0);
    char **names = NULL;
    size_t n = render(exp, dir, &names);
    /* nothing but sparsity varies: no ablation. curves: the highest-sparsity
     * done cell of the first pruned cell's task and seed (75%, seed 1 = id 5) */
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "metric_vs_sparsity");
    assert_string_equal(names[1], "curves_toy_magnitude_75"); /* task, method, sparsity % */
    assert_string_equal(names[2], "costs");
    for (size_t i = 0; i < n; i++) assert_true(png_ok(dir, names[i]));
    free_names(names, n);

    char p[600];
    snprintf(p, sizeof p, "%s/metric_vs_sparsity.dat", dir);
    char *dat = pb_test_slurp(p);
    /* By hand, t975(1) = 12.706204736, n = 2, half = t * |a-b| / 2 (sd = |a-b|/sqrt 2):
     * 50%: 70, 74 -> mean 72, half 25.412409472; 75%: 60, 61 -> mean 60.5, half 6.353102368.
     * The failed (0 if counted) and diverged cells of 75% are left out. */
    const double band_want[6] = {50, 72 - 25.412409472, 72 + 25.412409472, 75, 60.5 - 6.353102368,
                                 60.5 + 6.353102368};
    const double line_want[4] = {50, 72, 75, 60.5};
    double v[16];
    assert_int_equal(block_numbers(dat, "series 'magnitude': x lo hi", v, 16), 6);
    for (int i = 0; i < 6; i++) assert_true(fabs(v[i] - band_want[i]) < 1e-8); /* printed with %.10g */
    assert_int_equal(block_numbers(dat, "series 'magnitude': x y", v, 16), 4);
    for (int i = 0; i < 4; i++) assert_true(fabs(v[i] - line_want[i]) < 1e-8);
    free(dat);
    /* the dense line: the mean of 80 and 82 */
    snprintf(p, sizeof p, "%s/metric_vs_sparsity.gp", dir);
    char *gp = pb_test_slurp(p);
    PB_ASSERT_HAS(gp, "first 81 to graph 1, first 81 ");
    /* every value is over n = 2 seeds: said once, in the title; no baselines in this file: no lines */
    PB_ASSERT_HAS(gp, "(mean and 95% CI over n = 2 seeds)");
    assert_null(strstr(gp, "set arrow 3 from"));
    assert_null(strstr(gp, "chance"));
    /* accuracy: 0 .. 100 at most; lowest drawn value 60.5 - 6.35 > 0 and no chance line: the axis starts at 0 */
    PB_ASSERT_HAS(gp, "set yrange [0:");
    free(gp);
}

/* With the experiment file's baselines the panel draws chance and majority
 * lines, named in the legend with one decimal. */
static void test_render_baselines(void **state) {
    (void)state;
    char exp[512], dir[512], p[600];
    pb_test_path(exp, sizeof exp, g_dir, "figs_b.h5");
    pb_test_path(dir, sizeof dir, g_dir, "out_b");
    write_experiment_b(exp, 0, 1);
    char **names = NULL;
    size_t n = render(exp, dir, &names);
    assert_int_equal(n, 3);
    free_names(names, n);
    snprintf(p, sizeof p, "%s/metric_vs_sparsity.gp", dir);
    char *gp = pb_test_slurp(p);
    PB_ASSERT_HAS(gp, "set arrow 3 from graph 0, first 33.33333333 to graph 1, first 33.33333333 nohead");
    PB_ASSERT_HAS(gp, "set arrow 4 from graph 0, first 40 to graph 1, first 40 nohead");
    PB_ASSERT_HAS(gp, "title 'chance 33.3'");
    PB_ASSERT_HAS(gp, "title 'majority 40.0'");
    /* everything drawn (lowest: 60.5 - 6.35 = 54.15) is above chance: the axis starts at chance */
    PB_ASSERT_HAS(gp, "set yrange [33.3333");
    free(gp);
}

/* One seed: no band, no interval, and the figure says n = 1; an ablation
 * (kd varies) names its x values "sparsity 50%" and draws no error bars. */
static void test_render_one_seed(void **state) {
    (void)state;
    static char paths[4][512];
    static const char *const ids[4] = {"00000000000000a1", "00000000000000a2", "00000000000000a3",
                                       "00000000000000a4"};
    pb_store_entry e[4];
    memset(e, 0, sizeof e);
    const double acc[4] = {80, 70, 72, 65};
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "one%d.h5", i);
        write_result(paths[i], sizeof paths[i], name, ids[i], acc[i]);
        e[i].id = ids[i];
        e[i].run_yaml = "task: toy\n";
        e[i].result_path = paths[i];
        if (i == 0)
            e[i].axes = (pb_table_cell){.task = "toy", .method = "dense", .embeddings = -1, .head = -1, .seed = 1};
        else
            e[i].axes = (pb_table_cell){.task = "toy", .method = "magnitude", .sparsity = i == 3 ? 0.672 : 0.5,
                                        .embeddings = 0, .head = 0, .kd = i == 2, .kd_temperature = i == 2 ? 2.0f : 0,
                                        .kd_hardness = i == 2 ? 1.0f : 0, .recipe = "fixed", .mask = "unstructured",
                                        .seed = 1};
    }
    char exp[512], dir[512], p[600];
    pb_test_path(exp, sizeof exp, g_dir, "one.h5");
    pb_test_path(dir, sizeof dir, g_dir, "one_out");
    int rc = pb_store_write_experiment_baselines(exp, "one", "name: one\n", e, 4, &k_toy_baseline, 1);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    char **names = NULL;
    size_t n = render(exp, dir, &names);
    assert_int_equal(n, 4);
    assert_string_equal(names[0], "metric_vs_sparsity");
    assert_string_equal(names[1], "ablation_kd");
    /* curves: the highest sparsity of the first pruned cell's task and seed, 67.2% */
    assert_string_equal(names[2], "curves_toy_magnitude_67.2");
    free_names(names, n);
    snprintf(p, sizeof p, "%s/metric_vs_sparsity.gp", dir);
    char *gp = pb_test_slurp(p);
    PB_ASSERT_HAS(gp, "(n = 1 seed: no CI)");
    assert_null(strstr(gp, "95% CI'")); /* no band legend entry */
    assert_null(strstr(gp, "filledcurves"));
    free(gp);
    snprintf(p, sizeof p, "%s/metric_vs_sparsity.dat", dir);
    char *dat = pb_test_slurp(p);
    assert_null(strstr(dat, "x lo hi (95% CI)"));
    free(dat);
    snprintf(p, sizeof p, "%s/ablation_kd.gp", dir);
    gp = pb_test_slurp(p);
    PB_ASSERT_HAS(gp, "'sparsity 50%%' 0, 'sparsity 67.2%%' 1");
    PB_ASSERT_HAS(gp, "KD temperature and hardness (n = 1 seed: no CI)");
    PB_ASSERT_HAS(gp, "title 'chance 33.3'");
    assert_null(strstr(gp, "with vectors")); /* no error bars */
    /* lowest bar 65 >= chance: the bars rise from chance */
    PB_ASSERT_HAS(gp, "set yrange [33.3333");
    free(gp);
}

/* A series whose n differs between points says so on its legend label. */
static void test_render_mixed_n(void **state) {
    (void)state;
    static char paths[3][512];
    static const char *const ids[3] = {"00000000000000b1", "00000000000000b2", "00000000000000b3"};
    pb_store_entry e[3];
    memset(e, 0, sizeof e);
    const double acc[3] = {70, 74, 60};
    const double sp[3] = {0.5, 0.5, 0.75};
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "mix%d.h5", i);
        write_result(paths[i], sizeof paths[i], name, ids[i], acc[i]);
        e[i].id = ids[i];
        e[i].run_yaml = "task: toy\n";
        e[i].result_path = paths[i];
        e[i].axes = (pb_table_cell){.task = "toy", .method = "magnitude", .sparsity = sp[i], .embeddings = 0,
                                    .head = 0, .recipe = "fixed", .mask = "unstructured", .seed = (uint64_t)i + 1};
    }
    char exp[512], dir[512], p[600];
    pb_test_path(exp, sizeof exp, g_dir, "mix.h5");
    pb_test_path(dir, sizeof dir, g_dir, "mix_out");
    assert_int_equal(pb_store_write_experiment(exp, "mix", "name: mix\n", e, 3), 0);
    char **names = NULL;
    size_t n = render(exp, dir, &names);
    free_names(names, n);
    snprintf(p, sizeof p, "%s/metric_vs_sparsity.gp", dir);
    char *gp = pb_test_slurp(p);
    PB_ASSERT_HAS(gp, "title 'magnitude (n=1-2)'");
    PB_ASSERT_HAS(gp, "n per series)");
    free(gp);
}

static void test_dense_only(void **state) {
    (void)state;
    char exp[512], dir[512], p[600];
    pb_test_path(exp, sizeof exp, g_dir, "dense.h5");
    pb_test_path(dir, sizeof dir, g_dir, "dense_out");
    write_experiment(exp, 1);
    char **names = NULL;
    size_t n = render(exp, dir, &names);
    /* no pruned cell: only the costs figure (figures.h: a figure without data is not drawn) */
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "costs");
    free_names(names, n);
    snprintf(p, sizeof p, "%s/metric_vs_sparsity.png", dir);
    assert_int_equal(access(p, F_OK), -1);
    snprintf(p, sizeof p, "%s/ablation_kd.png", dir);
    assert_int_equal(access(p, F_OK), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_axes),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_render_baselines),
        cmocka_unit_test(test_render_one_seed),
        cmocka_unit_test(test_render_mixed_n),
        cmocka_unit_test(test_dense_only),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
