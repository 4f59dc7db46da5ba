/* The cell result file (results/SCHEMA.md, format prunebench-cell-1): every
 * dataset and attribute round-trips with its documented type and shape; the
 * same result gives a byte-identical file; failed writes leave neither file
 * nor temp file; read_metric names what is missing; h5py can read it. */
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cell_result.h"
#include "h5read.h"
#include "h5util.h"
#include "testutil.h"

PB_TEST_TMPDIR_FIXTURE("cell_result")

/* ---- the hand-built result ---------------------------------------------------- */

#define SEED 0xfedcba9876543210ULL
#define SEED_STR "18364758544493064720"
#define RUN_YAML "task: spam\nmodel: init:random\nprune:\n  method: magnitude\n  target: 0.9\n"
#define CPU "Intel\xc2\xae Xeon\xc2\xae Test CPU"

static const char *const AUDIT_NAMES[2] = {"bert.encoder.layer.0.attention.self.query.weight",
                                           "bert.encoder.layer.0.output.dense.weight"};

typedef struct {
    pb_train_result r;
    double eval_epochs[2];
    pb_metrics evals[2];
    float curves[5 * PB_CURVE_COLS];
    pb_audit_row rows[2];
    pb_group_cost costs[PB_PRUNE_N_GROUPS];
    pb_cell_info info;
} fixture;

static void set_metric(pb_metrics *m, int i, const char *name, double v) {
    snprintf(m->name[i], sizeof m->name[i], "%s", name);
    m->value[i] = v;
    if (m->n < i + 1) m->n = i + 1;
}

static void make_fixture(fixture *x) {
    memset(x, 0, sizeof *x);
    pb_train_result *r = &x->r;
    r->status = PB_TRAIN_DONE;
    snprintf(r->reason, sizeof r->reason, "%s", "finished 5 steps");
    r->steps = 5;
    r->steps_per_epoch = 2;
    set_metric(&r->final_metrics, 0, "accuracy", 81.5);
    set_metric(&r->final_metrics, 1, "f1", 79.25);
    x->eval_epochs[0] = 1.0;
    x->eval_epochs[1] = 2.5;
    set_metric(&x->evals[0], 0, "accuracy", 70.0);
    set_metric(&x->evals[0], 1, "f1", 65.125);
    /* the second eval lists its metrics in the other order */
    set_metric(&x->evals[1], 0, "f1", 78.0);
    set_metric(&x->evals[1], 1, "accuracy", 80.75);
    r->n_evals = 2;
    r->eval_epochs = x->eval_epochs;
    r->evals = x->evals;
    for (int s = 0; s < 5; s++) {
        x->curves[s * PB_CURVE_COLS + PB_CURVE_LOSS] = 1.0f / (float)(s + 1);
        x->curves[s * PB_CURVE_COLS + PB_CURVE_LR] = 8e-5f - 1e-5f * (float)s;
        x->curves[s * PB_CURVE_COLS + PB_CURVE_SPARSITY] = 0.2f * (float)s;
    }
    r->curves = x->curves;
    x->rows[0] = (pb_audit_row){3, AUDIT_NAMES[0], 16384, 1638, 1.0 - 1638.0 / 16384.0, 0.9};
    x->rows[1] = (pb_audit_row){9, AUDIT_NAMES[1], 65536, 6554, 1.0 - 6554.0 / 65536.0, 0.9};
    r->audit_rows = x->rows;
    r->audit = (pb_audit){x->rows, 2, PB_PRUNE_SCOPE_GLOBAL, PB_PRUNE_MASK_NM24, 0.9,
                          81920, 73728, 0.9, 98304, 73728, 0.75};
    r->pruned = 1;
    r->wall_seconds = 12.25;
    r->tokens = 40960.0;
    r->dense_flops = 3.5e12;
    r->sparse_flops = 1.25e12;
    const size_t total = 4386178;
    x->costs[0] = (pb_group_cost){"encoder", 396288, 396288.0 / total, 2.5e8, 0.8, total, 3.125e8};
    x->costs[1] = (pb_group_cost){"embeddings", 3972864, 3972864.0 / total, 0.0, 0.0, total, 3.125e8};
    x->costs[2] = (pb_group_cost){"head", 16768, 16768.0 / total, 33280.0, 33280.0 / 3.125e8, total, 3.125e8};
    x->info = (pb_cell_info){
        .run_yaml = RUN_YAML,
        .cell_id = "spam/gmp/s90/seed3",
        .task = "spam",
        .model = "init:random",
        .seed = SEED,
        .threads = 4,
        .seq_len = 128,
        .blas_core = "Haswell",
        .host = "node-1",
        .cpu_model = CPU,
        .git_commit = NULL, /* stored as "" */
        .data_sha256 = "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
        .model_sha256 = NULL,
        .start_time = "2024-05-01T12:00:00Z",
        .end_time = "2024-05-01T12:00:12Z",
        .unexpected_tensors = "cls.predictions.bias, cls.predictions.transform.dense.weight",
    };
}

/* ---- typed readers that fail the test on a type or shape mismatch ----------- */

/* Open dataset `name`; its class and element size must match, its rank is ndim
 * (0 scalar) and, for rank 1, its length n. */
static hid_t open_checked(hid_t f, const char *name, H5T_class_t cls, size_t size, int ndim, size_t n) {
    if (!pb_h5_link_exists(f, name)) print_error("no dataset '%s'\n", name);
    assert_true(pb_h5_link_exists(f, name));
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    if (H5Tget_class(t) != cls) print_error("dataset '%s' has class %d, want %d\n", name, (int)H5Tget_class(t), (int)cls);
    assert_int_equal(H5Tget_class(t), cls);
    if (size) assert_int_equal(H5Tget_size(t), size);
    assert_int_equal(H5Sget_simple_extent_ndims(sp), ndim);
    if (ndim == 1) {
        hsize_t dims[1];
        H5Sget_simple_extent_dims(sp, dims, NULL);
        if (dims[0] != n) print_error("dataset '%s' has %llu rows, want %zu\n", name, (unsigned long long)dims[0], n);
        assert_int_equal(dims[0], n);
    }
    H5Tclose(t);
    H5Sclose(sp);
    return d;
}

static void expect_f64_scalar(hid_t f, const char *name, double want) {
    hid_t d = open_checked(f, name, H5T_FLOAT, 8, 0, 1);
    double v = NAN;
    assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0);
    H5Dclose(d);
    if (v != want) print_error("'%s' = %.17g, want %.17g\n", name, v, want);
    assert_true(v == want);
}

static void expect_f64_vec(hid_t f, const char *name, const double *want, size_t n) {
    hid_t d = open_checked(f, name, H5T_FLOAT, 8, 1, n);
    double v[8] = {0};
    assert_true(n <= 8);
    if (n) assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Dclose(d);
    for (size_t i = 0; i < n; i++) {
        if (v[i] != want[i]) print_error("'%s'[%zu] = %.17g, want %.17g\n", name, i, v[i], want[i]);
        assert_true(v[i] == want[i]);
    }
}

static void expect_f32_vec(hid_t f, const char *name, const float *want, size_t n) {
    hid_t d = open_checked(f, name, H5T_FLOAT, 4, 1, n);
    float v[8] = {0};
    assert_true(n <= 8);
    if (n) assert_true(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Dclose(d);
    assert_memory_equal(v, want, n * sizeof(float));
}

static void expect_i64_vec(hid_t f, const char *name, const int64_t *want, size_t n) {
    hid_t d = open_checked(f, name, H5T_INTEGER, 8, 1, n);
    hid_t t = H5Dget_type(d);
    assert_int_equal(H5Tget_sign(t), H5T_SGN_2);
    H5Tclose(t);
    int64_t v[8] = {0};
    assert_true(n <= 8);
    if (n) assert_true(H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Dclose(d);
    for (size_t i = 0; i < n; i++) {
        if (v[i] != want[i]) print_error("'%s'[%zu] = %lld, want %lld\n", name, i, (long long)v[i], (long long)want[i]);
        assert_true(v[i] == want[i]);
    }
}

/* Variable-length UTF-8 string dataset [n]. */
static void expect_str_vec(hid_t f, const char *name, const char *const *want, size_t n) {
    hid_t d = open_checked(f, name, H5T_STRING, 0, 1, n);
    hid_t t = H5Dget_type(d);
    assert_true(H5Tis_variable_str(t) > 0);
    assert_int_equal(H5Tget_cset(t), H5T_CSET_UTF8);
    H5Tclose(t);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5T_CSET_UTF8);
    char *v[8] = {0};
    assert_true(n <= 8);
    assert_true(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(v[i]);
        assert_string_equal(v[i], want[i]);
    }
    hid_t sp = H5Dget_space(d);
#if H5_VERSION_GE(1, 12, 0)
    H5Treclaim(mt, sp, H5P_DEFAULT, v);
#else
    H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
#endif
    H5Sclose(sp);
    H5Tclose(mt);
    H5Dclose(d);
}

/* Scalar variable-length UTF-8 string attribute of loc. */
static void expect_str_attr(hid_t loc, const char *name, const char *want) {
    if (H5Aexists(loc, name) <= 0) print_error("no attribute '%s'\n", name);
    assert_true(H5Aexists(loc, name) > 0);
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT), t = H5Aget_type(a), sp = H5Aget_space(a);
    assert_int_equal(H5Tget_class(t), H5T_STRING);
    assert_true(H5Tis_variable_str(t) > 0);
    assert_int_equal(H5Tget_cset(t), H5T_CSET_UTF8);
    assert_int_equal(H5Sget_simple_extent_type(sp), H5S_SCALAR);
    H5Tclose(t);
    H5Sclose(sp);
    H5Aclose(a);
    char *v = h5_attr_string(loc, name);
    assert_non_null(v);
    if (strcmp(v, want) != 0) print_error("attribute '%s' = '%s', want '%s'\n", name, v, want);
    assert_string_equal(v, want);
    free(v);
}

/* Scalar float64 attribute of loc. */
static void expect_f64_attr(hid_t loc, const char *name, double want) {
    if (H5Aexists(loc, name) <= 0) print_error("no attribute '%s'\n", name);
    assert_true(H5Aexists(loc, name) > 0);
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT), t = H5Aget_type(a), sp = H5Aget_space(a);
    assert_int_equal(H5Tget_class(t), H5T_FLOAT);
    assert_int_equal(H5Tget_size(t), 8);
    assert_int_equal(H5Sget_simple_extent_type(sp), H5S_SCALAR);
    H5Tclose(t);
    H5Sclose(sp);
    H5Aclose(a);
    double v = h5_attr_double(loc, name, NAN);
    if (v != want) print_error("attribute '%s' = %.17g, want %.17g\n", name, v, want);
    assert_true(v == want);
}

/* Number of links directly in group `name`. */
static hsize_t n_links(hid_t f, const char *name) {
    hid_t g = H5Gopen2(f, name, H5P_DEFAULT);
    assert_true(g >= 0);
    H5G_info_t gi;
    assert_true(H5Gget_info(g, &gi) >= 0);
    H5Gclose(g);
    return gi.nlinks;
}

/* Number of attributes of the object `name`. */
static int n_attrs(hid_t f, const char *name) {
    H5O_info_t oi;
#if H5_VERSION_GE(1, 12, 0)
    assert_true(H5Oget_info_by_name3(f, name, &oi, H5O_INFO_NUM_ATTRS, H5P_DEFAULT) >= 0);
#else
    assert_true(H5Oget_info_by_name(f, name, &oi, H5P_DEFAULT) >= 0);
#endif
    return (int)oi.num_attrs;
}

/* ---- helpers -------------------------------------------------------------------- */

static void write_ok(const char *path, const fixture *x) {
    int rc = pb_cell_result_write(path, &x->info, &x->r, x->costs);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
}

/* Does g_dir hold any file whose name contains `needle`? */
static int dir_has(const char *needle) {
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, needle)) found = 1;
    closedir(d);
    return found;
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    long size = ftell(fp);
    assert_true(size > 0);
    rewind(fp);
    unsigned char *buf = malloc((size_t)size);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    *n = (size_t)size;
    return buf;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_round_trip(void **state) {
    (void)state;
    fixture x;
    make_fixture(&x);
    char path[512];
    pb_test_path(path, sizeof path, g_dir, "cell.h5");
    write_ok(path, &x);
    assert_false(dir_has(".tmp"));

    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    /* root attributes: 18 strings, 7 numbers */
    expect_str_attr(f, "format", "prunebench-cell-1");
    expect_str_attr(f, "cell_id", "spam/gmp/s90/seed3");
    expect_str_attr(f, "run", RUN_YAML);
    expect_str_attr(f, "task", "spam");
    expect_str_attr(f, "model", "init:random");
    expect_str_attr(f, "status", "done");
    expect_str_attr(f, "reason", "finished 5 steps");
    expect_str_attr(f, "seed", SEED_STR);
    expect_str_attr(f, "blas_core", "Haswell");
    expect_str_attr(f, "host", "node-1");
    expect_str_attr(f, "cpu_model", CPU);
    expect_str_attr(f, "git_commit", "");
    expect_str_attr(f, "data_sha256", "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b");
    expect_str_attr(f, "model_sha256", "");
    expect_str_attr(f, "start_time", "2024-05-01T12:00:00Z");
    expect_str_attr(f, "end_time", "2024-05-01T12:00:12Z");
    expect_str_attr(f, "unexpected_tensors", "cls.predictions.bias, cls.predictions.transform.dense.weight");
    expect_str_attr(f, "missing_tensors", "");
    expect_f64_attr(f, "threads", 4);
    expect_f64_attr(f, "steps", 5);
    expect_f64_attr(f, "steps_per_epoch", 2);
    expect_f64_attr(f, "wall_seconds", 12.25);
    expect_f64_attr(f, "tokens", 40960.0);
    expect_f64_attr(f, "dense_flops", 3.5e12);
    expect_f64_attr(f, "sparse_flops", 1.25e12);
    assert_int_equal(n_attrs(f, "/"), 25);
    assert_int_equal(n_links(f, "/"), 5);

    /* metrics */
    expect_f64_scalar(f, "metrics/accuracy", 81.5);
    expect_f64_scalar(f, "metrics/f1", 79.25);
    assert_int_equal(n_links(f, "metrics"), 2);

    /* evals: columns by name whatever order each eval listed them in */
    const double ep[2] = {1.0, 2.5}, acc[2] = {70.0, 80.75}, f1[2] = {65.125, 78.0};
    expect_f64_vec(f, "evals/epoch", ep, 2);
    expect_f64_vec(f, "evals/accuracy", acc, 2);
    expect_f64_vec(f, "evals/f1", f1, 2);
    assert_int_equal(n_links(f, "evals"), 3);

    /* curves */
    float loss[5], lr[5], sp[5];
    for (int s = 0; s < 5; s++) {
        loss[s] = x.curves[s * PB_CURVE_COLS + PB_CURVE_LOSS];
        lr[s] = x.curves[s * PB_CURVE_COLS + PB_CURVE_LR];
        sp[s] = x.curves[s * PB_CURVE_COLS + PB_CURVE_SPARSITY];
    }
    expect_f32_vec(f, "curves/loss", loss, 5);
    expect_f32_vec(f, "curves/lr", lr, 5);
    expect_f32_vec(f, "curves/sparsity", sp, 5);
    assert_int_equal(n_links(f, "curves"), 3);
    hid_t g = H5Gopen2(f, "curves", H5P_DEFAULT);
    expect_f64_attr(g, "steps_per_epoch", 2);
    H5Gclose(g);

    /* audit */
    expect_str_vec(f, "audit/name", AUDIT_NAMES, 2);
    const int64_t numel[2] = {16384, 65536}, nz[2] = {1638, 6554};
    const double asp[2] = {x.rows[0].sparsity, x.rows[1].sparsity}, at[2] = {0.9, 0.9};
    expect_i64_vec(f, "audit/numel", numel, 2);
    expect_i64_vec(f, "audit/nonzeros", nz, 2);
    expect_f64_vec(f, "audit/sparsity", asp, 2);
    expect_f64_vec(f, "audit/target", at, 2);
    assert_int_equal(n_links(f, "audit"), 5);
    g = H5Gopen2(f, "audit", H5P_DEFAULT);
    expect_str_attr(g, "scope", "global");
    expect_str_attr(g, "mask", "2:4");
    expect_f64_attr(g, "target", 0.9);
    expect_f64_attr(g, "selected_sparsity", 0.9);
    expect_f64_attr(g, "encoder_sparsity", 0.75);
    expect_f64_attr(g, "selected_numel", 81920);
    expect_f64_attr(g, "selected_zeros", 73728);
    expect_f64_attr(g, "encoder_numel", 98304);
    expect_f64_attr(g, "encoder_zeros", 73728);
    H5Gclose(g);

    /* costs */
    const char *const groups[3] = {"encoder", "embeddings", "head"};
    int64_t params[3];
    double pshare[3], flops[3], fshare[3];
    for (int i = 0; i < 3; i++) {
        params[i] = (int64_t)x.costs[i].params;
        pshare[i] = x.costs[i].param_share;
        flops[i] = x.costs[i].flops;
        fshare[i] = x.costs[i].flop_share;
    }
    expect_str_vec(f, "costs/group", groups, 3);
    expect_i64_vec(f, "costs/params", params, 3);
    expect_f64_vec(f, "costs/param_share", pshare, 3);
    expect_f64_vec(f, "costs/flops", flops, 3);
    expect_f64_vec(f, "costs/flop_share", fshare, 3);
    assert_int_equal(n_links(f, "costs"), 5);
    g = H5Gopen2(f, "costs", H5P_DEFAULT);
    expect_f64_attr(g, "total_params", 4386178);
    expect_f64_attr(g, "total_flops", 3.125e8);
    expect_f64_attr(g, "seq_len", 128);
    H5Gclose(g);
    H5Fclose(f);

    /* read_metric */
    double v = 0;
    assert_int_equal(pb_cell_result_read_metric(path, "f1", &v), 0);
    assert_true(v == 79.25);
}

/* A dense run has no audit group; a diverged one keeps its status and reason;
 * no evals and no steps give empty [0] datasets. */
static void test_dense_diverged(void **state) {
    (void)state;
    fixture x;
    make_fixture(&x);
    x.r.pruned = 0;
    x.r.status = PB_TRAIN_DIVERGED;
    snprintf(x.r.reason, sizeof x.r.reason, "%s", "loss is NaN at step 0");
    x.r.steps = 0;
    x.r.curves = NULL;
    x.r.n_evals = 0;
    x.r.evals = NULL;
    x.r.eval_epochs = NULL;
    x.r.final_metrics.n = 0;
    char path[512];
    pb_test_path(path, sizeof path, g_dir, "dense.h5");
    write_ok(path, &x);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    expect_str_attr(f, "status", "diverged");
    expect_str_attr(f, "reason", "loss is NaN at step 0");
    assert_int_equal(H5Lexists(f, "audit", H5P_DEFAULT), 0);
    assert_int_equal(n_links(f, "/"), 4);
    assert_int_equal(n_links(f, "metrics"), 0);
    expect_f64_vec(f, "evals/epoch", NULL, 0);
    assert_int_equal(n_links(f, "evals"), 1);
    expect_f32_vec(f, "curves/loss", NULL, 0);
    expect_f32_vec(f, "curves/sparsity", NULL, 0);
    H5Fclose(f);
    double v = 0;
    assert_int_equal(pb_cell_result_read_metric(path, "accuracy", &v), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("accuracy");
}

/* The same result twice, more than a second apart: identical bytes (no timestamps). */
static void test_byte_identical(void **state) {
    (void)state;
    fixture x;
    make_fixture(&x);
    char a[512], b[512];
    pb_test_path(a, sizeof a, g_dir, "a.h5");
    pb_test_path(b, sizeof b, g_dir, "b.h5");
    write_ok(a, &x);
    sleep(2);
    write_ok(b, &x);
    size_t na, nb;
    unsigned char *ba = slurp(a, &na), *bb = slurp(b, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(ba, bb, na);
    /* and a different result gives a different file */
    x.r.final_metrics.value[0] = 81.75;
    write_ok(b, &x);
    free(bb);
    bb = slurp(b, &nb);
    assert_true(na != nb || memcmp(ba, bb, na) != 0);
    free(ba);
    free(bb);
}

/* A missing directory fails naming the path and leaves no temp file. */
static void test_missing_dir(void **state) {
    (void)state;
    fixture x;
    make_fixture(&x);
    char path[512];
    pb_test_path(path, sizeof path, g_dir, "no_such_dir/cell.h5");
    assert_int_equal(pb_cell_result_write(path, &x.info, &x.r, x.costs), PB_EIO);
    PB_ASSERT_MSG_HAS(path);
    assert_false(dir_has(".tmp"));
    assert_false(dir_has("no_such_dir"));
}

/* A failure after the temp file exists (the final rename onto a directory)
 * removes the temp file and names the path. */
static void test_failed_commit_cleans_up(void **state) {
    (void)state;
    fixture x;
    make_fixture(&x);
    char path[512];
    pb_test_path(path, sizeof path, g_dir, "a_directory");
    assert_int_equal(mkdir(path, 0700), 0);
    assert_true(pb_cell_result_write(path, &x.info, &x.r, x.costs) < 0);
    PB_ASSERT_MSG_HAS(path);
    assert_false(dir_has(".tmp"));
    assert_int_equal(rmdir(path), 0);
}

/* Bad inputs are refused before any file is made, naming what is wrong. */
static void test_bad_inputs(void **state) {
    (void)state;
    char path[512];
    pb_test_path(path, sizeof path, g_dir, "bad.h5");
    fixture x;

    make_fixture(&x);
    set_metric(&x.r.final_metrics, 1, "accuracy", 1.0);
    assert_int_equal(pb_cell_result_write(path, &x.info, &x.r, x.costs), PB_EINVAL);
    PB_ASSERT_MSG_HAS("'accuracy' appears twice");

    make_fixture(&x);
    set_metric(&x.evals[1], 1, "recall", 1.0);
    assert_int_equal(pb_cell_result_write(path, &x.info, &x.r, x.costs), PB_EINVAL);
    PB_ASSERT_MSG_HAS("eval 1 lacks metric 'accuracy'");

    make_fixture(&x);
    set_metric(&x.r.final_metrics, 0, "a/b", 1.0);
    assert_int_equal(pb_cell_result_write(path, &x.info, &x.r, x.costs), PB_EINVAL);
    PB_ASSERT_MSG_HAS("'a/b'");

    make_fixture(&x);
    x.r.status = 7;
    assert_int_equal(pb_cell_result_write(path, &x.info, &x.r, x.costs), PB_EINVAL);
    PB_ASSERT_MSG_HAS("unknown status 7");

    make_fixture(&x);
    x.info.cell_id = "";
    assert_int_equal(pb_cell_result_write(path, &x.info, &x.r, x.costs), PB_EINVAL);
    PB_ASSERT_MSG_HAS("cell_id");

    make_fixture(&x);
    x.r.curves = NULL;
    assert_int_equal(pb_cell_result_write(path, &x.info, &x.r, x.costs), PB_EINVAL);
    PB_ASSERT_MSG_HAS("no curves");

    assert_false(dir_has("bad.h5"));
}

static void test_read_metric_errors(void **state) {
    (void)state;
    fixture x;
    make_fixture(&x);
    char path[512], other[512];
    pb_test_path(path, sizeof path, g_dir, "rm.h5");
    write_ok(path, &x);
    double v = -1;
    assert_int_equal(pb_cell_result_read_metric(path, "accuracy", &v), 0);
    assert_true(v == 81.5);
    assert_int_equal(pb_cell_result_read_metric(path, "exact_match", &v), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("exact_match");
    PB_ASSERT_MSG_HAS(path);
    /* a missing file, and a file that is not HDF5 */
    pb_test_path(other, sizeof other, g_dir, "none.h5");
    assert_true(pb_cell_result_read_metric(other, "accuracy", &v) < 0);
    PB_ASSERT_MSG_HAS("none.h5");
    pb_test_path(other, sizeof other, g_dir, "text.h5");
    FILE *fp = fopen(other, "w");
    assert_non_null(fp);
    fputs("not hdf5\n", fp);
    fclose(fp);
    assert_int_equal(pb_cell_result_read_metric(other, "accuracy", &v), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("text.h5");
}

/* Debian's h5py opens the file; skipped (with a note) without python3 or h5py. */
static void test_h5py(void **state) {
    (void)state;
    if (access("/usr/bin/python3", X_OK) != 0 || system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0) {
        printf("note: /usr/bin/python3 with h5py not found; skipping the h5py check\n");
        return;
    }
    fixture x;
    make_fixture(&x);
    char path[512], cmd[4096];
    pb_test_path(path, sizeof path, g_dir, "py.h5");
    write_ok(path, &x);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c '"
             "import sys, h5py\n"
             "f = h5py.File(sys.argv[1], \"r\")\n"
             "acc = float(f[\"metrics/accuracy\"][()])\n"
             "names = list(f[\"audit/name\"].asstr()[()])\n"
             "print(\"h5py: metrics/accuracy =\", acc)\n"
             "print(\"h5py: audit/name =\", names)\n"
             "assert acc == 81.5, acc\n"
             "assert names == [\"%s\", \"%s\"], names\n"
             "assert f.attrs[\"format\"] == \"prunebench-cell-1\"\n"
             "assert f.attrs[\"seed\"] == \"%s\"\n"
             "assert list(f[\"evals/f1\"][()]) == [65.125, 78.0]\n"
             "assert f[\"curves/loss\"].dtype.itemsize == 4 and f[\"audit/numel\"].dtype.kind == \"i\"\n"
             "' '%s'",
             AUDIT_NAMES[0], AUDIT_NAMES[1], SEED_STR, path);
    fflush(stdout);
    int rc = system(cmd);
    if (rc != 0) print_error("h5py check failed (status %d)\n", rc);
    assert_int_equal(rc, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_dense_diverged),
        cmocka_unit_test(test_byte_identical), cmocka_unit_test(test_missing_dir),
        cmocka_unit_test(test_failed_commit_cleans_up), cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_read_metric_errors), cmocka_unit_test(test_h5py),
    };
    return cmocka_run_group_tests_name("cell_result", tests, setup, teardown);
}
