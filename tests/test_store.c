/* The experiment file (results/SCHEMA.md part 2, format prunebench-experiment-1):
 * five cells (done, diverged, pruned with an audit, pending, failed) gathered
 * from hand-built cell result files round-trip through pb_store_open with every
 * axis, status, reason, metric, curve and cost exact; the same inputs give a
 * byte-identical file; a corrupt cell result is an error naming it that leaves
 * no file; a file of another format is rejected; h5py reads the file. */
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cell_result.h"
#include "store.h"
#include "testutil.h"

PB_TEST_TMPDIR_FIXTURE("store")

#define ID_A "00000000000000a1"
#define ID_B "00000000000000b2"
#define ID_C "00000000000000c3"
#define ID_D "00000000000000d4"
#define ID_E "00000000000000e5"
#define SEED_B 0xfedcba9876543210ULL
#define SEED_B_STR "18364758544493064720" /* printf %llu of SEED_B */
#define SPEC_TEXT "name: demo\ntasks: [spam, wn-span]\n"

/* ---- hand-built cell results ---------------------------------------------------- */

typedef struct {
    pb_train_result r;
    double eval_epochs[1];
    pb_metrics evals[1];
    float curves[4 * PB_CURVE_COLS];
    pb_audit_row rows[1];
    pb_group_cost costs[PB_PRUNE_N_GROUPS];
    pb_cell_info info;
} cell_fixture;

static void set_metric(pb_metrics *m, int i, const char *name, double v) {
    snprintf(m->name[i], sizeof m->name[i], "%s", name);
    m->value[i] = v;
    if (m->n < i + 1) m->n = i + 1;
}

/* Curves of C: loss 1/(s+1), lr 8e-5 - 1e-5 s, sparsity 0.125 s (all exact in float). */
static float curve_value(int col, int s) {
    if (col == PB_CURVE_LOSS) return 1.0f / (float)(s + 1);
    if (col == PB_CURVE_LR) return 8e-5f - 1e-5f * (float)s;
    return 0.125f * (float)s;
}

/* Cell result of `id`: status, steps (<= 4), pruned (one audit row). */
static void make_cell(cell_fixture *x, const char *id, const char *task, int status, const char *reason, long steps,
                      int pruned) {
    memset(x, 0, sizeof *x);
    pb_train_result *r = &x->r;
    r->status = status;
    snprintf(r->reason, sizeof r->reason, "%s", reason);
    r->steps = steps;
    r->steps_per_epoch = 2;
    for (int s = 0; s < steps; s++)
        for (int c = 0; c < PB_CURVE_COLS; c++) x->curves[s * PB_CURVE_COLS + c] = curve_value(c, s);
    r->curves = x->curves;
    r->eval_epochs = x->eval_epochs;
    r->evals = x->evals;
    if (pruned) {
        x->rows[0] = (pb_audit_row){3, "bert.encoder.layer.0.attention.self.query.weight", 16384, 8192, 0.5, 0.5};
        r->audit_rows = x->rows;
        r->audit = (pb_audit){x->rows, 1, PB_PRUNE_SCOPE_GLOBAL, PB_PRUNE_MASK_NM24, 0.5, 16384, 8192, 0.5,
                              65536, 8192, 0.125};
        r->pruned = 1;
    }
    r->wall_seconds = 3.5;
    r->tokens = 1024.0;
    r->dense_flops = 1e9;
    r->sparse_flops = 1e9;
    /* the shares are the hand-chosen exact binary fractions the test compares */
    x->costs[0] = (pb_group_cost){"encoder", 1000, 0.25, 2.5e8, 0.75, 4000, 3.2e8};
    x->costs[1] = (pb_group_cost){"embeddings", 2900, 0.625, 0.0, 0.0, 4000, 3.2e8};
    x->costs[2] = (pb_group_cost){"head", 100, 0.03125, 1e6, 0.0078125, 4000, 3.2e8};
    x->info = (pb_cell_info){.run_yaml = "task: x\n", .cell_id = id, .task = task, .model = "init:random",
                             .seed = 1, .threads = 1, .seq_len = 64};
}

static void write_cell(const char *path, cell_fixture *x) {
    int rc = pb_cell_result_write(path, &x->info, &x->r, x->costs);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
}

/* The five entries; result paths in g_dir. */
typedef struct {
    char path_a[512], path_b[512], path_c[512];
    pb_store_entry e[5];
} experiment;

static void make_experiment(experiment *x) {
    cell_fixture c;
    /* A: dense, done; metrics listed mcc before accuracy (creation order must survive the copy) */
    make_cell(&c, ID_A, "spam", PB_TRAIN_DONE, "", 3, 0);
    set_metric(&c.r.final_metrics, 0, "mcc", 41.5);
    set_metric(&c.r.final_metrics, 1, "accuracy", 81.5);
    write_cell(pb_test_path(x->path_a, sizeof x->path_a, g_dir, "a.h5"), &c);
    /* B: KD student, diverged before evaluating: no metrics */
    make_cell(&c, ID_B, "spam", PB_TRAIN_DIVERGED, "loss is NaN at step 2", 2, 0);
    write_cell(pb_test_path(x->path_b, sizeof x->path_b, g_dir, "b.h5"), &c);
    /* C: pruned 2:4 at 50%, done, with audit; wall 12.25 s over 4 steps */
    make_cell(&c, ID_C, "wn-span", PB_TRAIN_DONE, "", 4, 1);
    set_metric(&c.r.final_metrics, 0, "f1", 79.25);
    c.r.wall_seconds = 12.25;
    write_cell(pb_test_path(x->path_c, sizeof x->path_c, g_dir, "c.h5"), &c);

    memset(x->e, 0, sizeof x->e);
    x->e[0] = (pb_store_entry){ID_A, {.task = "spam", .method = "dense", .embeddings = -1, .head = -1, .seed = 1},
                               NULL, 0, "run: a\n", x->path_a, NULL};
    x->e[1] = (pb_store_entry){ID_B,
                               {.task = "spam", .method = "magnitude", .sparsity = 0.9, .embeddings = 0, .head = 0,
                                .kd = 1, .kd_temperature = 2.0f, .kd_hardness = 0.5f, .recipe = "fixed",
                                .mask = "unstructured", .seed = SEED_B},
                               ID_A, 0, "run: b\nkd: {teacher: \"@cell:" ID_A "\"}\n", x->path_b, NULL};
    x->e[2] = (pb_store_entry){ID_C,
                               {.task = "wn-span", .method = "magnitude", .sparsity = 0.5, .embeddings = 1, .head = 0,
                                .recipe = "scaled", .mask = "2:4", .seed = 3},
                               NULL, 0, "run: c\n", x->path_c, NULL};
    x->e[3] = (pb_store_entry){ID_D, {.task = "wn-span", .method = "dense", .embeddings = -1, .head = -1, .seed = 4},
                               NULL, 1, "run: d\n", NULL, NULL};
    x->e[4] = (pb_store_entry){ID_E,
                               {.task = "wn-span", .method = "movement", .sparsity = 0.75, .embeddings = 0,
                                .head = 1, .recipe = "fixed", .mask = "block4", .seed = 5},
                               NULL, 0, "run: e\n", NULL, "out of memory: 3 GiB\n"};
}

static void write_ok(const char *path, const experiment *x) {
    int rc = pb_store_write_experiment(path, "demo", SPEC_TEXT, x->e, 5);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
}

static void expect_str_or_null(const char *got, const char *want) {
    if (!want) {
        if (got) print_error("got '%s', want NULL\n", got);
        assert_null(got);
    } else {
        assert_non_null(got);
        assert_string_equal(got, want);
    }
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_round_trip(void **state) {
    (void)state;
    experiment x;
    make_experiment(&x);
    char path[512];
    pb_test_path(path, sizeof path, g_dir, "exp.h5");
    write_ok(path, &x);

    pb_store *s = NULL;
    int rc = pb_store_open(&s, path);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_int_equal(pb_store_count(s), 5);
    assert_string_equal(pb_store_name(s), "demo");
    assert_string_equal(pb_store_spec(s), SPEC_TEXT);
    const pb_table_cell *c = pb_store_cells(s);
    /* statuses: A, C from their result files; B the file's "diverged"; D no result; E error text */
    static const char *const status[5] = {"done", "diverged", "done", "pending", "failed"};
    static const char *const reason[5] = {"", "loss is NaN at step 2", "", "", "out of memory: 3 GiB"};
    static const int failed[5] = {0, 1, 0, 0, 1};
    for (size_t i = 0; i < 5; i++) {
        const pb_table_cell *w = &x.e[i].axes;
        assert_string_equal(pb_store_id(s, i), x.e[i].id);
        assert_string_equal(pb_store_status(s, i), status[i]);
        assert_string_equal(c[i].task, w->task);
        assert_string_equal(c[i].method, w->method);
        assert_true(c[i].sparsity == w->sparsity);
        assert_int_equal(c[i].embeddings, w->embeddings);
        assert_int_equal(c[i].head, w->head);
        assert_int_equal(c[i].kd, w->kd);
        assert_true(c[i].kd_temperature == w->kd_temperature);
        assert_true(c[i].kd_hardness == w->kd_hardness);
        expect_str_or_null(c[i].recipe, w->recipe);
        expect_str_or_null(c[i].mask, w->mask);
        assert_true(c[i].seed == w->seed);
        assert_int_equal(c[i].failed, failed[i]);
        assert_string_equal(c[i].reason, reason[i]);
        assert_string_equal(pb_store_run(s, i), x.e[i].run_yaml);
        assert_string_equal(pb_store_teacher(s, i), x.e[i].teacher_id ? x.e[i].teacher_id : "");
        assert_int_equal(pb_store_teacher_only(s, i), x.e[i].teacher_only);
    }
    /* metrics as make_experiment set them, in the cells' order */
    assert_int_equal(c[0].n_metrics, 2);
    assert_string_equal(c[0].metric_name[0], "mcc");
    assert_true(c[0].metric[0] == 41.5);
    assert_string_equal(c[0].metric_name[1], "accuracy");
    assert_true(c[0].metric[1] == 81.5);
    assert_int_equal(c[1].n_metrics, 0);
    assert_int_equal(c[2].n_metrics, 1);
    assert_string_equal(c[2].metric_name[0], "f1");
    assert_true(c[2].metric[0] == 79.25);
    assert_int_equal(c[3].n_metrics, 0);
    assert_int_equal(c[4].n_metrics, 0);

    /* curves of C: 4 steps of curve_value */
    float *loss, *lr, *sp;
    size_t n = 0;
    rc = pb_store_curves(s, 2, &loss, &lr, &sp, &n);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_int_equal(n, 4);
    for (int k = 0; k < 4; k++) {
        assert_true(loss[k] == curve_value(PB_CURVE_LOSS, k));
        assert_true(lr[k] == curve_value(PB_CURVE_LR, k));
        assert_true(sp[k] == curve_value(PB_CURVE_SPARSITY, k));
    }
    free(loss);
    free(lr);
    free(sp);
    /* B stopped after 2 steps */
    assert_int_equal(pb_store_curves(s, 1, &loss, &lr, &sp, &n), 0);
    assert_int_equal(n, 2);
    assert_true(loss[1] == 0.5f);
    free(loss);
    free(lr);
    free(sp);
    /* pending D has no result */
    assert_int_equal(pb_store_curves(s, 3, &loss, &lr, &sp, &n), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS(ID_D);
    PB_ASSERT_MSG_HAS("pending");
    assert_null(loss);

    /* costs of C: make_cell's hand-chosen shares */
    char names[3][32];
    double ps[3], fs[3];
    rc = pb_store_costs(s, 2, names, ps, fs);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_string_equal(names[0], "encoder");
    assert_string_equal(names[1], "embeddings");
    assert_string_equal(names[2], "head");
    assert_true(ps[0] == 0.25 && ps[1] == 0.625 && ps[2] == 0.03125);
    assert_true(fs[0] == 0.75 && fs[1] == 0.0 && fs[2] == 0.0078125);
    assert_int_equal(pb_store_costs(s, 4, names, ps, fs), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS(ID_E);

    /* timing of C: wall 12.25 s, 4 steps */
    double wall = 0, steps = 0;
    assert_int_equal(pb_store_timing(s, 2, &wall, &steps), 0);
    assert_true(wall == 12.25 && steps == 4.0);
    assert_int_equal(pb_store_timing(s, 3, &wall, &steps), PB_ENOTFOUND);
    pb_store_close(s);
}

/* The raw layout: the audit group travels with C, the index holds NaN for cells without a metric. */
static void test_layout(void **state) {
    (void)state;
    experiment x;
    make_experiment(&x);
    char path[512];
    pb_test_path(path, sizeof path, g_dir, "layout.h5");
    write_ok(path, &x);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Lexists(f, "cells/" ID_C "/audit", H5P_DEFAULT) > 0);
    assert_true(H5Lexists(f, "cells/" ID_A "/audit", H5P_DEFAULT) == 0);
    assert_true(H5Lexists(f, "cells/" ID_D "/metrics", H5P_DEFAULT) == 0);
    hid_t d = H5Dopen2(f, "index/metric", H5P_DEFAULT);
    double m[5];
    assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, m) >= 0);
    H5Dclose(d);
    /* first metrics: A mcc 41.5, C f1 79.25, the others none */
    assert_true(m[0] == 41.5 && isnan(m[1]) && m[2] == 79.25 && isnan(m[3]) && isnan(m[4]));
    d = H5Dopen2(f, "index/seed", H5P_DEFAULT);
    uint64_t seeds[5];
    assert_true(H5Dread(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, seeds) >= 0);
    H5Dclose(d);
    assert_true(seeds[1] == SEED_B);
    H5Fclose(f);
}

/* Same inputs, written a second apart: byte-identical files. */
static void test_byte_identical(void **state) {
    (void)state;
    experiment x;
    make_experiment(&x);
    char p1[512], p2[512];
    pb_test_path(p1, sizeof p1, g_dir, "same1.h5");
    pb_test_path(p2, sizeof p2, g_dir, "same2.h5");
    write_ok(p1, &x);
    sleep(1); /* a timestamp anywhere would now differ */
    write_ok(p2, &x);
    FILE *a = fopen(p1, "rb"), *b = fopen(p2, "rb");
    assert_non_null(a);
    assert_non_null(b);
    long n = 0;
    int ca, cb;
    do {
        ca = fgetc(a);
        cb = fgetc(b);
        if (ca != cb) print_error("files differ at byte %ld\n", n);
        assert_int_equal(ca, cb);
        n++;
    } while (ca != EOF);
    fclose(a);
    fclose(b);
    assert_true(n > 1000);
}

static void expect_absent(const char *path) {
    if (access(path, F_OK) == 0) print_error("'%s' exists\n", path);
    assert_int_not_equal(access(path, F_OK), 0);
}

/* A corrupt or missing cell result: error naming it, no experiment file, no temp file. */
static void test_bad_result(void **state) {
    (void)state;
    experiment x;
    make_experiment(&x);
    char bad[512], out[512], tmp[600];
    pb_test_write_file(bad, sizeof bad, g_dir, "corrupt.h5", "this is not HDF5\n");
    pb_test_path(out, sizeof out, g_dir, "bad_exp.h5");
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid()); /* pb_h5_temp_path's name */
    x.e[2].result_path = bad;
    assert_int_equal(pb_store_write_experiment(out, "demo", SPEC_TEXT, x.e, 5), PB_EFORMAT);
    PB_ASSERT_MSG_HAS(bad);
    expect_absent(out);
    expect_absent(tmp);
    /* missing */
    pb_test_path(bad, sizeof bad, g_dir, "missing.h5");
    x.e[2].result_path = bad;
    assert_true(pb_store_write_experiment(out, "demo", SPEC_TEXT, x.e, 5) < 0);
    PB_ASSERT_MSG_HAS(bad);
    expect_absent(out);
    expect_absent(tmp);
    /* an HDF5 file of another format: the experiment file itself */
    pb_test_path(bad, sizeof bad, g_dir, "nested.h5");
    x.e[2].result_path = x.path_c;
    write_ok(bad, &x);
    x.e[2].result_path = bad;
    assert_int_equal(pb_store_write_experiment(out, "demo", SPEC_TEXT, x.e, 5), PB_EFORMAT);
    PB_ASSERT_MSG_HAS(bad);
    PB_ASSERT_MSG_HAS(ID_C);
    expect_absent(out);
    /* bad and duplicate ids */
    x.e[2].result_path = x.path_c;
    x.e[3].id = "00000000000000A1";
    assert_int_equal(pb_store_write_experiment(out, "demo", SPEC_TEXT, x.e, 5), PB_EINVAL);
    PB_ASSERT_MSG_HAS("00000000000000A1");
    x.e[3].id = ID_A;
    assert_int_equal(pb_store_write_experiment(out, "demo", SPEC_TEXT, x.e, 5), PB_EINVAL);
    PB_ASSERT_MSG_HAS("same id");
    expect_absent(out);
}

/* pb_store_open rejects a cell result, a text file and a missing file, naming them. */
static void test_open_wrong_format(void **state) {
    (void)state;
    experiment x;
    make_experiment(&x);
    pb_store *s = (pb_store *)&x; /* must be reset to NULL */
    assert_int_equal(pb_store_open(&s, x.path_a), PB_EFORMAT);
    assert_null(s);
    PB_ASSERT_MSG_HAS(x.path_a);
    PB_ASSERT_MSG_HAS("'prunebench-cell-1'");
    PB_ASSERT_MSG_HAS(PB_STORE_FORMAT);
    char p[512];
    pb_test_write_file(p, sizeof p, g_dir, "text.h5", "plain text\n");
    assert_int_equal(pb_store_open(&s, p), PB_EFORMAT);
    PB_ASSERT_MSG_HAS(p);
    pb_test_path(p, sizeof p, g_dir, "absent.h5");
    assert_true(pb_store_open(&s, p) < 0);
    PB_ASSERT_MSG_HAS(p);
}

/* The optional /baselines group: written when given, read back exact; a file
 * written without it (as every file before it) reads with none; bad
 * baselines are refused and leave no file; a damaged group names itself. */
static const pb_store_baseline k_base[2] = {{"spam", "accuracy", 2, 601, 50.0, 71.048252911813648},
                                            {"wn-choice", "accuracy", 5, 1000, 20.0, 21.4}};

static void test_baselines(void **state) {
    (void)state;
    experiment x;
    make_experiment(&x);
    char path[512], plain[512];
    pb_test_path(path, sizeof path, g_dir, "base.h5");
    pb_test_path(plain, sizeof plain, g_dir, "plain.h5");
    int rc = pb_store_write_experiment_baselines(path, "demo", SPEC_TEXT, x.e, 5, k_base, 2);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    pb_store *s = NULL;
    assert_int_equal(pb_store_open(&s, path), 0);
    assert_int_equal(pb_store_baseline_count(s), 2);
    const pb_store_baseline *b = pb_store_find_baseline(s, "spam");
    assert_non_null(b);
    assert_string_equal(b->task, "spam");
    assert_string_equal(b->metric, "accuracy");
    assert_int_equal(b->classes, 2);
    assert_int_equal(b->examples, 601);
    assert_true(b->chance == 50.0 && b->majority == 71.048252911813648);
    b = pb_store_find_baseline(s, "wn-choice");
    assert_non_null(b);
    assert_true(b->classes == 5 && b->examples == 1000 && b->chance == 20.0 && b->majority == 21.4);
    assert_ptr_equal(pb_store_baselines(s) + 1, b);
    assert_null(pb_store_find_baseline(s, "wn-span"));
    assert_null(pb_store_find_baseline(s, NULL));
    assert_int_equal(pb_store_count(s), 5); /* the cells are unchanged */
    pb_store_close(s);

    /* without baselines: no group, none read back (older files are such files) */
    write_ok(plain, &x);
    hid_t f = H5Fopen(plain, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Lexists(f, "baselines", H5P_DEFAULT) == 0);
    H5Fclose(f);
    assert_int_equal(pb_store_open(&s, plain), 0);
    assert_int_equal(pb_store_baseline_count(s), 0);
    assert_null(pb_store_find_baseline(s, "spam"));
    pb_store_close(s);
    /* and writing zero baselines is byte for byte the plain file */
    char zero[512];
    pb_test_path(zero, sizeof zero, g_dir, "zero.h5");
    assert_int_equal(pb_store_write_experiment_baselines(zero, "demo", SPEC_TEXT, x.e, 5, NULL, 0), 0);
    char *pa = pb_test_slurp(plain), *pz = pb_test_slurp(zero);
    struct stat sa, sz;
    assert_int_equal(stat(plain, &sa), 0);
    assert_int_equal(stat(zero, &sz), 0);
    assert_int_equal(sa.st_size, sz.st_size);
    assert_memory_equal(pa, pz, (size_t)sa.st_size);
    free(pa);
    free(pz);

    /* the layout: 1-D datasets of the documented types */
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    static const char *const names[6] = {"task", "metric", "classes", "examples", "chance", "majority"};
    static const H5T_class_t cls[6] = {H5T_STRING, H5T_STRING, H5T_INTEGER, H5T_INTEGER, H5T_FLOAT, H5T_FLOAT};
    static const size_t bytes[6] = {0, 0, 4, 8, 8, 8};
    for (int k = 0; k < 6; k++) {
        char name[64];
        snprintf(name, sizeof name, "baselines/%s", names[k]);
        hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
        assert_true(d >= 0);
        hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
        hsize_t dims[2] = {0, 0};
        assert_int_equal(H5Sget_simple_extent_ndims(sp), 1);
        H5Sget_simple_extent_dims(sp, dims, NULL);
        assert_int_equal(dims[0], 2);
        assert_int_equal(H5Tget_class(t), cls[k]);
        if (bytes[k]) assert_int_equal(H5Tget_size(t), bytes[k]);
        H5Tclose(t);
        H5Sclose(sp);
        H5Dclose(d);
    }
    H5Fclose(f);

    /* bad baselines: refused, naming the file and the task; no file left */
    char out[512];
    pb_test_path(out, sizeof out, g_dir, "bad_base.h5");
    pb_store_baseline bad[2] = {k_base[0], k_base[0]};
    assert_int_equal(pb_store_write_experiment_baselines(out, "demo", SPEC_TEXT, x.e, 5, bad, 2), PB_EINVAL);
    PB_ASSERT_MSG_HAS("both of task 'spam'");
    PB_ASSERT_MSG_HAS(out);
    bad[1].task = "wn-pair";
    bad[1].majority = 120.0;
    assert_int_equal(pb_store_write_experiment_baselines(out, "demo", SPEC_TEXT, x.e, 5, bad, 2), PB_EINVAL);
    PB_ASSERT_MSG_HAS("task 'wn-pair' has chance 50 and majority 120");
    bad[1].majority = 60.0;
    bad[1].classes = 1;
    assert_int_equal(pb_store_write_experiment_baselines(out, "demo", SPEC_TEXT, x.e, 5, bad, 2), PB_EINVAL);
    PB_ASSERT_MSG_HAS("1 classes");
    bad[1].classes = 2;
    bad[1].metric = "";
    assert_int_equal(pb_store_write_experiment_baselines(out, "demo", SPEC_TEXT, x.e, 5, bad, 2), PB_EINVAL);
    PB_ASSERT_MSG_HAS("names no metric");
    expect_absent(out);

    /* a damaged group: a dataset missing, or a percentage out of range */
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Ldelete(f, "baselines/majority", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    s = (pb_store *)&x;
    assert_true(pb_store_open(&s, path) < 0);
    assert_null(s);
    PB_ASSERT_MSG_HAS("majority");
    PB_ASSERT_MSG_HAS("/baselines");
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hsize_t two[1] = {2};
    hid_t sp = H5Screate_simple(1, two, NULL);
    hid_t d = H5Dcreate2(f, "baselines/majority", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const double v[2] = {71.0, 150.0};
    assert_true(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Dclose(d);
    H5Sclose(sp);
    H5Fclose(f);
    assert_int_equal(pb_store_open(&s, path), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("row 1 (task 'wn-choice'");
}

/* Debian's h5py reads the file; the test fails when python3 or h5py is missing. */
static void test_h5py(void **state) {
    (void)state;
    if (access("/usr/bin/python3", X_OK) != 0) fail_msg("/usr/bin/python3 is missing (needed for the h5py check)");
    if (system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0)
        fail_msg("h5py is missing: /usr/bin/python3 cannot import h5py (install python3-h5py)");
    experiment x;
    make_experiment(&x);
    char path[512], cmd[4096];
    pb_test_path(path, sizeof path, g_dir, "py.h5");
    int wrc = pb_store_write_experiment_baselines(path, "demo", SPEC_TEXT, x.e, 5, k_base, 2);
    if (wrc) print_error("%s\n", pb_error_msg());
    assert_int_equal(wrc, 0);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c '"
             "import sys, h5py\n"
             "f = h5py.File(sys.argv[1], \"r\")\n"
             "print(f.attrs[\"format\"], f.attrs[\"name\"], int(f.attrs[\"n_cells\"]))\n"
             "print(\",\".join(f[\"index/task\"].asstr()[()]))\n"
             "print(\",\".join(f[\"index/status\"].asstr()[()]))\n"
             "print(\",\".join(repr(float(v)) for v in f[\"index/metric\"][()]))\n"
             "print(int(f[\"index/seed\"][1]), f[\"index/seed\"].dtype)\n"
             "c = f[\"cells/" ID_C "\"]\n"
             "print(len(c[\"curves/loss\"]), c[\"curves/loss\"].dtype, float(c[\"metrics/f1\"][()]))\n"
             "print(c.attrs[\"mask\"], c.attrs[\"result_wall_seconds\"], list(c[\"audit/name\"].asstr()[()]))\n"
             "print(f[\"cells/" ID_B "\"].attrs[\"reason\"], \"|\", f[\"cells/" ID_B "\"].attrs[\"seed\"])\n"
             "b = f[\"baselines\"]\n"
             "print(list(b[\"task\"].asstr()[()]), list(b[\"metric\"].asstr()[()]), list(map(int, b[\"classes\"][()])), "
             "list(map(int, b[\"examples\"][()])), list(map(float, b[\"chance\"][()])), list(map(float, b[\"majority\"][()])))\n"
             "' '%s' 2>&1",
             path);
    fflush(stdout);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[4096];
    size_t len = fread(out, 1, sizeof out - 1, p);
    out[len] = '\0';
    int st = pclose(p);
    if (st != 0) print_error("h5py script failed (status %d):\n%s\n", st, out);
    assert_int_equal(st, 0);
    /* the values make_experiment wrote; repr(nan) is "nan" */
    const char *want = "prunebench-experiment-1 demo 5\n"
                       "spam,spam,wn-span,wn-span,wn-span\n"
                       "done,diverged,done,pending,failed\n"
                       "41.5,nan,79.25,nan,nan\n"
                       SEED_B_STR " uint64\n"
                       "4 float32 79.25\n"
                       "2:4 12.25 ['bert.encoder.layer.0.attention.self.query.weight']\n"
                       "loss is NaN at step 2 | " SEED_B_STR "\n"
                       "['spam', 'wn-choice'] ['accuracy', 'accuracy'] [2, 5] [601, 1000] [50.0, 20.0] "
                       "[71.04825291181365, 21.4]\n";
    if (strcmp(out, want) != 0) print_error("h5py printed:\n%s\nwant:\n%s\n", out, want);
    assert_string_equal(out, want);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_layout),
        cmocka_unit_test(test_byte_identical), cmocka_unit_test(test_bad_result),
        cmocka_unit_test(test_open_wrong_format), cmocka_unit_test(test_baselines),
        cmocka_unit_test(test_h5py),
    };
    return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
