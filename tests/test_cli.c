/* bin/prunebench end to end: `grad` on every reference fixture case listed in
 * tests/fixtures/index.txt (logits, loss and every grad/<name> against the
 * PyTorch reference), plus exit codes and messages for usage and input errors.
 * The CLI comes from env PB_CLI (default bin/prunebench); run from the repo root.
 * Temp files live in /tmp/pb_test_cli_<pid>/ and are removed at the end. */
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prune.h"
#include "testutil.h"

#define FIXTURES "tests/fixtures"

static char g_dir[64];
static const char *g_cli;

static int group_setup(void **state) {
    (void)state;
    if (pb_test_tmpdir_create(g_dir, sizeof g_dir, "cli") != 0) return -1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* the test reports missing items itself */
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    pb_test_tmpdir_remove(g_dir);
    return 0;
}

/* Path of temp file `name` into a caller's buffer of PATH_LEN. */
enum { PATH_LEN = 512 };
static const char *tmp_path(char *buf, const char *name) {
    return pb_test_path(buf, PATH_LEN, g_dir, name);
}

static void copy_file(const char *from, const char *to) {
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0) assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    fclose(b);
}

/* Run the CLI with `args` (see pb_test_run_cli). */
static int run_cli(const char *args, char **out, char **err) { return pb_test_run_cli(g_dir, args, out, err); }

/* Run `grad` on `model`, `batch` and `out` with `opts` (the head and any options);
 * stderr into *err. Returns the exit status. */
static int run_grad(const char *model, const char *batch, const char *out, const char *opts, char **err) {
    char args[4096];
    snprintf(args, sizeof args, "grad --model '%s' --batch '%s' --out '%s' %s", model, batch, out, opts);
    return run_cli(args, NULL, err);
}

/* ---- HDF5 reading ---------------------------------------------------------- */

typedef struct {
    int ndim;
    hsize_t dims[H5S_MAX_RANK];
    size_t n;
    float *data;
} tensor;

/* Float dataset `name` of `path`, any shape; data NULL when missing. */
static tensor read_tensor(const char *path, const char *name) {
    tensor t = {0, {0}, 0, NULL};
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return t;
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    if (ds >= 0) {
        hid_t sp = H5Dget_space(ds);
        t.ndim = H5Sget_simple_extent_ndims(sp);
        H5Sget_simple_extent_dims(sp, t.dims, NULL);
        t.n = 1;
        for (int i = 0; i < t.ndim; i++) t.n *= (size_t)t.dims[i];
        t.data = malloc((t.n ? t.n : 1) * sizeof(float));
        if (H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data) < 0) {
            free(t.data);
            t.data = NULL;
        }
        H5Sclose(sp);
        H5Dclose(ds);
    }
    H5Fclose(f);
    return t;
}

static int attr_double(const char *path, const char *name, double *out) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return -1;
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    int ok = a >= 0 && H5Aread(a, H5T_NATIVE_DOUBLE, out) >= 0;
    if (a >= 0) H5Aclose(a);
    H5Fclose(f);
    return ok ? 0 : -1;
}

/* String attribute (variable- or fixed-length) into buf. */
static int attr_string(const char *path, const char *name, char *buf, size_t size) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return -1;
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    int ok = 0;
    if (a >= 0) {
        hid_t ft = H5Aget_type(a), mt = H5Tcopy(H5T_C_S1);
        H5Tset_cset(mt, H5Tget_cset(ft)); /* HDF5 does not convert between ASCII and UTF-8 */
        if (H5Tis_variable_str(ft) > 0) {
            char *s = NULL;
            H5Tset_size(mt, H5T_VARIABLE);
            if (H5Aread(a, mt, &s) >= 0 && s) {
                snprintf(buf, size, "%s", s);
                H5free_memory(s);
                ok = 1;
            }
        } else {
            H5Tset_size(mt, size);
            memset(buf, 0, size);
            ok = H5Aread(a, mt, buf) >= 0;
            buf[size - 1] = '\0';
        }
        H5Tclose(mt);
        H5Tclose(ft);
        H5Aclose(a);
    }
    H5Fclose(f);
    return ok ? 0 : -1;
}

/* Names of the links in group `group` of `path`; returns the count. */
static int list_group(const char *path, const char *group, char names[][256], int cap) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return -1;
    hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
    int count = -1;
    H5G_info_t gi;
    if (g >= 0 && H5Gget_info(g, &gi) >= 0) {
        count = 0;
        for (hsize_t i = 0; i < gi.nlinks && count < cap; i++)
            if (H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, names[count], 256, H5P_DEFAULT) > 0) count++;
    }
    if (g >= 0) H5Gclose(g);
    H5Fclose(f);
    return count;
}

/* got and want datasets `name` agree in shape and within the fixture tolerances. */
static void compare_dataset(const char *case_name, const char *got_path, const char *want_path, const char *name) {
    tensor g = read_tensor(got_path, name), w = read_tensor(want_path, name);
    char label[256];
    snprintf(label, sizeof label, "%.60s %.190s", case_name, name);
    if (!w.data) print_error("%s: reference dataset missing in %s\n", label, want_path);
    if (!g.data) print_error("%s: dataset missing in the CLI output %s\n", label, got_path);
    assert_non_null(w.data);
    assert_non_null(g.data);
    if (g.ndim != w.ndim || memcmp(g.dims, w.dims, sizeof(hsize_t) * (size_t)g.ndim) != 0)
        print_error("%s: shape differs (rank %d vs %d)\n", label, g.ndim, w.ndim);
    assert_int_equal(g.ndim, w.ndim);
    assert_memory_equal(g.dims, w.dims, sizeof(hsize_t) * (size_t)g.ndim);
    PB_ASSERT_CLOSE(label, g.data, w.data, w.n, PB_TEST_RTOL, PB_TEST_ATOL);
    free(g.data);
    free(w.data);
}

/* ---- fixture cases ------------------------------------------------------- */

static void test_case(void **state) {
    const char *name = *state;
    if (strstr(name, "_masked")) {
        printf("%s: skipped (the CLI has no masks)\n", name);
        skip();
    }
    char model[512], batch[512], expect[512], head[32];
    snprintf(model, sizeof model, FIXTURES "/%s.model.h5", name);
    snprintf(batch, sizeof batch, FIXTURES "/%s.batch.h5", name);
    snprintf(expect, sizeof expect, FIXTURES "/%s.expect.h5", name);
    if (access(model, R_OK) || access(batch, R_OK) || access(expect, R_OK))
        print_error("%s: fixture files missing (run make fixtures)\n", name);
    assert_int_equal(access(model, R_OK) | access(batch, R_OK) | access(expect, R_OK), 0);
    if (attr_string(expect, "head", head, sizeof head) < 0) print_error("%s: no `head` attribute\n", expect);
    assert_int_equal(attr_string(expect, "head", head, sizeof head), 0);

    tensor teacher = read_tensor(expect, "teacher_logits");
    char kd[1200] = "";
    if (teacher.data) {
        double T = 0, h = 0;
        assert_int_equal(attr_double(expect, "kd_temperature", &T), 0);
        assert_int_equal(attr_double(expect, "kd_hardness", &h), 0);
        snprintf(kd, sizeof kd, " --kd-teacher '%s' --kd-temperature %.17g --kd-hardness %.17g", expect, T, h);
        free(teacher.data);
    }
    char out_name[300], args[4096];
    snprintf(out_name, sizeof out_name, "%s.G.h5", name);
    char out_buf[PATH_LEN];
    const char *out = tmp_path(out_buf, out_name);
    snprintf(args, sizeof args, "grad --model '%s' --batch '%s' --out '%s' --head %s%s", model, batch, out, head, kd);
    char *err = NULL;
    int code = run_cli(args, NULL, &err);
    if (code != 0) print_error("%s: prunebench %s exited %d:\n%s\n", name, args, code, err);
    assert_int_equal(code, 0);
    assert_string_equal(err, ""); /* no warnings on the reference files */
    free(err);

    compare_dataset(name, out, expect, "logits");
    compare_dataset(name, out, expect, "loss");
    static char want_names[512][256], got_names[512][256];
    int nw = list_group(expect, "grad", want_names, 512), ng = list_group(out, "grad", got_names, 512);
    assert_true(nw > 0);
    if (ng != nw) print_error("%s: %d gradients written, %d in the reference\n", name, ng, nw);
    assert_int_equal(ng, nw);
    for (int i = 0; i < nw; i++) {
        char ds[300];
        snprintf(ds, sizeof ds, "grad/%.250s", want_names[i]);
        compare_dataset(name, out, expect, ds);
    }
    remove(out);
}

/* ---- usage and input errors ---------------------------------------------- */

static void test_usage(void **state) {
    (void)state;
    /* arguments, exit status, and what stdout (on success) or stderr (on a usage error) must contain */
    static const struct {
        const char *args;
        int code;
        const char *needle;
    } cases[] = {
        {"help", 0, "exit status:"},
        {"--help", 0, "commands:"},
        {"help grad", 0, "--kd-teacher"},
        {"grad -h", 0, "usage: prunebench grad"},
        {"help nonexistent", 2, "unknown command 'nonexistent'"},
        {"trian", 2, "did you mean 'train'?"},
        {"run --jobs", 2, "run: --jobs needs a value"},
        {"run spec.yaml --jobs=", 2, "--jobs ''"},
        {"train r.yaml --out", 2, "--out needs a value"},
        {"table", 2, "run 'prunebench help table'"},
        {"costs --config c.json --bogus", 2, "costs: unknown option '--bogus'"},
        {"methods extra", 2, "unexpected argument 'extra'"},
        {"--version", 0, "prunebench "},
        {"", 2, "usage"},
        {"frobnicate", 2, "prunebench: unknown command 'frobnicate'"},
        {"grad --model m.h5 --batch b.h5 --out g.h5", 2, "--head"},
        {"grad --model m.h5 --batch b.h5 --out g.h5 --head xyz", 2, "xyz"},
        {"grad --model m.h5 --batch b.h5 --out g.h5 --head cls --bogus 1", 2, "--bogus"},
        {"grad --model m.h5 --batch b.h5 --out g.h5 --head cls --threads 0", 2, "--threads"},
        {"grad --model m.h5 --batch b.h5 --out g.h5 --head cls --kd-temperature 2", 2, "--kd-teacher"},
        {"grad --model m.h5 --batch b.h5 --out g.h5 --head cls --kd-teacher t.h5 --kd-temperature 2 --kd-hardness 1.5",
         2, "--kd-hardness"},
        {"grad --model m.h5 --model n.h5", 2, "twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = NULL;
        const int code = cases[i].code == 0 ? run_cli(cases[i].args, &text, NULL) : run_cli(cases[i].args, NULL, &text);
        if (code != cases[i].code)
            print_error("prunebench %s: exit %d, expected %d\n", cases[i].args, code, cases[i].code);
        assert_int_equal(code, cases[i].code);
        PB_ASSERT_HAS(text, cases[i].needle);
        free(text);
    }
}

/* The conventions every command keeps, over the commands `prunebench help`
 * lists (so a new command is covered without editing this test): `CMD --help`,
 * `CMD -h` and `help CMD` print the command's usage on stdout and exit 0. */
static void test_conventions(void **state) {
    (void)state;
    char *overview = NULL;
    assert_int_equal(run_cli("help", &overview, NULL), 0);
    const char *p = strstr(overview, "commands:\n");
    assert_non_null(p);
    p += strlen("commands:\n");
    int n = 0;
    while (p[0] == ' ' && p[1] == ' ' && p[2] != ' ') {
        char name[32];
        assert_int_equal(sscanf(p, "%31s", name), 1);
        static const char *const forms[] = {"%s --help", "%s -h", "help %s"};
        for (size_t f = 0; f < 3; f++) {
            char args[96], want[64], *out = NULL;
            snprintf(args, sizeof args, forms[f], name);
            snprintf(want, sizeof want, "usage: prunebench %s", name);
            const int code = run_cli(args, &out, NULL);
            if (code != 0 || !strstr(out, want)) print_error("prunebench %s: exit %d, stdout:\n%s\n", args, code, out);
            assert_int_equal(code, 0);
            PB_ASSERT_HAS(out, want);
            free(out);
        }
        n++;
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    assert_true(n >= 14);
    /* the exit statuses are documented where users look */
    PB_ASSERT_HAS(overview, "  1    an error");
    PB_ASSERT_HAS(overview, "  2    usage");
    PB_ASSERT_HAS(overview, "  3    training diverged");
    PB_ASSERT_HAS(overview, "  130  interrupted");
    free(overview);

    /* methods: every method of the engine's registry with its summary */
    char *out = NULL;
    assert_int_equal(run_cli("methods", &out, NULL), 0);
    const pb_prune_method *m;
    for (int i = 0; (m = pb_prune_method_at(i)) != NULL; i++) {
        char line[512];
        snprintf(line, sizeof line, "%s\t%s\n", m->name, m->summary);
        PB_ASSERT_HAS(out, line);
    }
    free(out);

    /* an error names the file for the user; the source location only with --debug */
    char *err = NULL;
    assert_int_equal(run_cli("costs --config /nonexistent/config.json", NULL, &err), 1);
    PB_ASSERT_HAS(err, "/nonexistent/config.json");
    assert_null(strstr(err, ".c:"));
    free(err);
    assert_int_equal(run_cli("--debug costs --config /nonexistent/config.json", NULL, &err), 1);
    PB_ASSERT_HAS(err, "config.c:");
    free(err);
}

static void test_input_errors(void **state) {
    (void)state;
    const char *model = FIXTURES "/bert_cls.model.h5", *batch = FIXTURES "/bert_cls.batch.h5";
    if (access(model, R_OK) || access(batch, R_OK)) skip();
    char *err = NULL, out_buf[PATH_LEN], p1[PATH_LEN], bad_buf[PATH_LEN], extra_buf[PATH_LEN];
    const char *out = tmp_path(out_buf, "err.G.h5");

    /* missing model file: exit 1, message names it, no output written */
    assert_int_equal(run_grad(tmp_path(p1, "nope.h5"), batch, out, "--head cls", &err), 1);
    PB_ASSERT_HAS(err, "prunebench: ");
    PB_ASSERT_HAS(err, "nope.h5");
    assert_int_equal(access(out, F_OK), -1);
    free(err);

    /* token id beyond the model's vocabulary */
    const char *bad = tmp_path(bad_buf, "bad_ids.batch.h5");
    copy_file(batch, bad);
    hid_t f = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t ds = H5Dopen2(f, "input_ids", H5P_DEFAULT);
    int32_t ids[3 * 10];
    assert_true(H5Dread(ds, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids) >= 0);
    ids[12] = 1000;
    assert_true(H5Dwrite(ds, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids) >= 0);
    H5Dclose(ds);
    H5Fclose(f);
    assert_int_equal(run_grad(model, bad, out, "--head cls", &err), 1);
    PB_ASSERT_HAS(err, "input_ids");
    PB_ASSERT_HAS(err, "1000");
    PB_ASSERT_HAS(err, "vocabulary");
    free(err);

    /* the batch does not fit the head */
    assert_int_equal(run_grad(model, batch, out, "--head mc", &err), 1);
    PB_ASSERT_HAS(err, "[n, choices, seq]");
    free(err);

    /* teacher logits of the wrong shape */
    const char *teacher = FIXTURES "/bert_mc_kd_T5.5_h1.expect.h5";
    if (access(teacher, R_OK) == 0) {
        char opts[1024];
        snprintf(opts, sizeof opts, "--head cls --kd-teacher '%s' --kd-temperature 2 --kd-hardness 0.5", teacher);
        assert_int_equal(run_grad(model, batch, out, opts, &err), 1);
        PB_ASSERT_HAS(err, "teacher_logits");
        PB_ASSERT_HAS(err, "[2, 3]");
        PB_ASSERT_HAS(err, "[3, 3]");
        free(err);
    }

    /* output into a missing directory */
    assert_int_equal(run_grad(model, batch, tmp_path(p1, "no-dir/G.h5"), "--head cls", &err), 1);
    PB_ASSERT_HAS(err, "no-dir/G.h5");
    free(err);
    assert_int_equal(access(out, F_OK), -1);

    /* extra datasets in the checkpoint: a warning, and the run succeeds */
    const char *extra = tmp_path(extra_buf, "extra.model.h5");
    copy_file(model, extra);
    f = H5Fopen(extra, H5F_ACC_RDWR, H5P_DEFAULT);
    hsize_t one = 1;
    hid_t sp = H5Screate_simple(1, &one, NULL);
    ds = H5Dcreate2(f, "bert.embeddings.position_ids", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(ds);
    H5Sclose(sp);
    H5Fclose(f);
    assert_int_equal(run_grad(extra, batch, out, "--head cls", &err), 0);
    PB_ASSERT_HAS(err, "warning");
    PB_ASSERT_HAS(err, "1 dataset");
    free(err);
    remove(out);
}

/* Same thread count, same bits: two runs write identical numbers. */
static void test_deterministic(void **state) {
    (void)state;
    const char *model = FIXTURES "/bert_mlm.model.h5", *batch = FIXTURES "/bert_mlm.batch.h5";
    if (access(model, R_OK) || access(batch, R_OK)) skip();
    char b1[PATH_LEN], b2[PATH_LEN];
    const char *g1 = tmp_path(b1, "det1.G.h5"), *g2 = tmp_path(b2, "det2.G.h5");
    char args[4096];
    snprintf(args, sizeof args, "grad --model '%s' --batch '%s' --out '%s' --head mlm --threads 3", model, batch, g1);
    assert_int_equal(run_cli(args, NULL, NULL), 0);
    snprintf(args, sizeof args, "grad --model '%s' --batch '%s' --out='%s' --head=mlm --threads=3", model, batch, g2);
    assert_int_equal(run_cli(args, NULL, NULL), 0);
    static char names[512][256];
    int n = list_group(g1, "grad", names, 512);
    assert_true(n > 0);
    for (int i = -2; i < n; i++) {
        char ds[300];
        if (i == -2) snprintf(ds, sizeof ds, "logits");
        else if (i == -1) snprintf(ds, sizeof ds, "loss");
        else snprintf(ds, sizeof ds, "grad/%.250s", names[i]);
        tensor a = read_tensor(g1, ds), b = read_tensor(g2, ds);
        assert_non_null(a.data);
        assert_non_null(b.data);
        assert_int_equal(a.n, b.n);
        assert_memory_equal(a.data, b.data, a.n * sizeof(float));
        free(a.data);
        free(b.data);
    }
    remove(g1);
    remove(g2);
}

int main(void) {
    g_cli = getenv("PB_CLI");
    if (!g_cli || !*g_cli) g_cli = "bin/prunebench";
    if (access(g_cli, X_OK) != 0) {
        fprintf(stderr, "test_cli: %s is not an executable (build it with make, or set PB_CLI)\n", g_cli);
        return 1;
    }
    enum { MAX_CASES = 256 };
    static char cases[MAX_CASES][128];
    int n_cases = 0;
    FILE *f = fopen(FIXTURES "/index.txt", "r");
    if (!f) {
        fprintf(stderr, "test_cli: cannot open " FIXTURES "/index.txt (run make fixtures)\n");
        return 1;
    }
    char line[256];
    while (n_cases < MAX_CASES && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#') continue;
        snprintf(cases[n_cases++], sizeof cases[0], "%.127s", line);
    }
    fclose(f);

    struct CMUnitTest tests[MAX_CASES + 4];
    int n = 0;
    tests[n++] = (struct CMUnitTest){"usage", test_usage, NULL, NULL, NULL};
    tests[n++] = (struct CMUnitTest){"conventions", test_conventions, NULL, NULL, NULL};
    tests[n++] = (struct CMUnitTest){"input_errors", test_input_errors, NULL, NULL, NULL};
    tests[n++] = (struct CMUnitTest){"deterministic", test_deterministic, NULL, NULL, NULL};
    for (int i = 0; i < n_cases; i++) tests[n++] = (struct CMUnitTest){cases[i], test_case, NULL, NULL, cases[i]};
    int failed = _cmocka_run_group_tests("test_cli", tests, (size_t)n, group_setup, group_teardown);
    pb_test_print_worst();
    return failed;
}
