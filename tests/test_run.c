/* Running an experiment (harness/run.h, `prunebench run | table | plot`) on the
 * toy task with a tiny random BERT: every cell completes into its folder and
 * the experiment file; a second run skips everything and a deleted result
 * reruns bit for bit; a cell that fails (a GLUE task without data) is
 * contained, its KD students fail naming the teacher, and a rerun retries it;
 * three shards add up to the unsharded run; a cell whose model changed since
 * it ran runs again, with its KD students; a stop request saves state and
 * the resumed cell ends bit for bit like an uninterrupted one; the CLI
 * survives kill -9 and SIGINT of its process group; dry-run, argument errors,
 * tables and plots. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "h5read.h"
#include "h5util.h"
#include "io.h"
#include "run.h"
#include "spec.h"
#include "store.h"
#include "testutil.h"

PB_TEST_TMPDIR_FIXTURE("run")

/* 12 cells: dense x kd{off,on} x seed{1,2} = 4, magnitude x {50,80%} x kd x seed = 8 */
#define SPEC_HEAD                                                                                                   \
    "name: toy-e2e\n"                                                                                               \
    "model: {init: random, config: {model_type: bert, vocab_size: 64, hidden_size: 32, num_hidden_layers: 2,\n"     \
    "        num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 32}}\n"
#define SPEC_BASE                                                                                                   \
    "base:\n"                                                                                                       \
    "  threads: 1\n"                                                                                                \
    "  train: {epochs: 2, batch_size: 32, max_seq_length: 24, lr: 2e-3, lr_final: 2e-4}\n"                          \
    "  prune: {method: magnitude, groups: [encoder], schedule: {kind: cubic, init_sparsity: 0.3, start_epoch: 0.5,\n" \
    "          end_epoch: 1.5, update_every_epochs: 0.25}, lr_schedule: cyclic}\n"                                     \
    "  kd: {hardness: 1.0, temperature: 2.0}\n"
static const char *SPEC = SPEC_HEAD "tasks: [toy]\n" SPEC_BASE
                                    "matrix:\n"
                                    "  method: [dense, magnitude]\n"
                                    "  sparsity: [0.5, 0.8]\n"
                                    "  kd: [off, {temperature: 2, hardness: 1}]\n"
                                    "  recipe: [fixed]\n"
                                    "  seed: [1, 2]\n";
enum { N_CELLS = 12 };

/* ---- helpers ------------------------------------------------------------------ */

static void parse(pb_spec *s, const char *text) {
    int rc = pb_spec_parse(s, text, "spec.yaml", NULL);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
}

static void store_path(char *buf, size_t cap, const char *name) {
    pb_test_path(buf, cap, g_dir, name);
}

static void cell_path(char *buf, size_t cap, const char *store, const pb_spec_cell *c, const char *file) {
    snprintf(buf, cap, "%s/cells/%s/%s", store, c->id, file);
}

static int exists(const char *p) {
    return access(p, F_OK) == 0;
}

static void run_ok(const pb_spec *s, pb_run_opts *o, pb_run_summary *sum) {
    if (!o->jobs) o->jobs = 2;
    if (!o->threads) o->threads = 1;
    int rc = pb_run_spec(s, o, sum);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
}

static void run_store(const pb_spec *s, const char *store, pb_run_summary *sum) {
    pb_run_opts o = {.store = store};
    run_ok(s, &o, sum);
}

/* Gather the store and open its experiment file. */
static pb_store *gather(const pb_spec *s, const char *store) {
    char exp[1024];
    int rc = pb_run_gather(s, store, exp, sizeof exp);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    pb_store *st = NULL;
    rc = pb_store_open(&st, exp);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    return st;
}

/* The first metric of every cell of store (NaN when none), in spec order. */
static void metrics(const pb_spec *s, const char *store, double *v) {
    pb_store *st = gather(s, store);
    assert_int_equal(pb_store_count(st), s->n_cells);
    const pb_table_cell *c = pb_store_cells(st);
    for (size_t i = 0; i < s->n_cells; i++) {
        assert_string_equal(pb_store_id(st, i), s->cells[i].id);
        v[i] = c[i].n_metrics > 0 ? c[i].metric[0] : NAN;
    }
    pb_store_close(st);
}

/* Bitwise equal metrics (same seeds, same threads); none NaN. */
static void expect_same_metrics(const double *a, const double *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (memcmp(&a[i], &b[i], sizeof a[i]) != 0) print_error("cell %zu: %.17g vs %.17g\n", i, a[i], b[i]);
        assert_false(isnan(a[i]));
        assert_memory_equal(&a[i], &b[i], sizeof a[i]);
    }
}

/* The reference store: the spec run once, unsharded and uninterrupted (by test_end_to_end, else here). */
static char g_ref[512];
static double g_ref_metric[N_CELLS];
static const char *ref_store(const pb_spec *s) {
    if (!g_ref[0]) {
        store_path(g_ref, sizeof g_ref, "ref");
        pb_run_summary sum;
        run_store(s, g_ref, &sum);
        assert_int_equal(sum.done, N_CELLS);
        metrics(s, g_ref, g_ref_metric);
    }
    return g_ref;
}

static char *cli(const char *args, int *code, char **err) {
    char *out = NULL;
    *code = pb_test_run_cli(g_dir, args, &out, err);
    return out;
}

/* Count the occurrences of needle in text. */
static int count(const char *text, const char *needle) {
    int k = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle)) k++;
    return k;
}

/* ---- 1. end to end through the library --------------------------------------------- */

static void test_end_to_end(void **state) {
    (void)state;
    pb_spec s;
    parse(&s, SPEC);
    assert_int_equal(s.n_cells, N_CELLS);
    /* this run becomes the reference store of the later tests */
    char store[512], p[1024];
    store_path(store, sizeof store, "ref");
    pb_run_summary sum;
    run_store(&s, store, &sum);
    assert_int_equal(sum.selected, 12);
    assert_int_equal(sum.skipped, 0);
    assert_int_equal(sum.done, 12);
    assert_int_equal(sum.diverged, 0);
    assert_int_equal(sum.failed, 0);
    assert_int_equal(sum.stopped, 0);
    for (size_t i = 0; i < s.n_cells; i++) {
        const pb_spec_cell *c = &s.cells[i];
        cell_path(p, sizeof p, store, c, "run.yaml");
        char *y = pb_test_slurp(p);
        assert_string_equal(y, c->yaml);
        free(y);
        cell_path(p, sizeof p, store, c, "result.h5");
        assert_true(exists(p));
        cell_path(p, sizeof p, store, c, "model.h5");
        assert_true(exists(p));
        cell_path(p, sizeof p, store, c, "state.h5");
        assert_false(exists(p));
        cell_path(p, sizeof p, store, c, "error.txt");
        assert_false(exists(p));
    }
    snprintf(p, sizeof p, "%s/toy-e2e.spec.yaml", store);
    char *t = pb_test_slurp(p);
    assert_string_equal(t, SPEC);
    free(t);

    pb_store *st = gather(&s, store);
    assert_int_equal(pb_store_count(st), 12);
    assert_string_equal(pb_store_name(st), "toy-e2e");
    const pb_table_cell *tc = pb_store_cells(st);
    /* the teacher: dense, kd off, seed 1 (teacher_seed first = the first seed value) */
    long teacher = -1;
    for (size_t i = 0; i < s.n_cells; i++)
        if (!strcmp(s.cells[i].method, "dense") && !s.cells[i].kd && s.cells[i].seed == 1) teacher = (long)i;
    assert_true(teacher >= 0);
    int students = 0;
    for (size_t i = 0; i < s.n_cells; i++) {
        assert_string_equal(pb_store_status(st, i), "done");
        assert_int_equal(tc[i].failed, 0);
        assert_true(tc[i].n_metrics >= 1);
        assert_string_equal(tc[i].metric_name[0], "accuracy");
        assert_int_equal(pb_store_teacher_only(st, i), 0);
        if (s.cells[i].kd) {
            students++;
            assert_string_equal(pb_store_teacher(st, i), s.cells[teacher].id);
            assert_true((long)i > teacher); /* teachers before their students */
        } else assert_string_equal(pb_store_teacher(st, i), "");
    }
    assert_int_equal(students, 6); /* kd on: dense x 2 seeds + magnitude x 2 sparsities x 2 seeds */
    pb_store_close(st);
    metrics(&s, store, g_ref_metric);
    snprintf(g_ref, sizeof g_ref, "%s", store);
    pb_spec_free(&s);
}

/* ---- 2. resume ---------------------------------------------------------------------- */

static void test_resume(void **state) {
    (void)state;
    pb_spec s;
    parse(&s, SPEC);
    const char *store = ref_store(&s);
    char p[1024];
    struct stat before[N_CELLS], after;
    for (size_t i = 0; i < s.n_cells; i++) {
        cell_path(p, sizeof p, store, &s.cells[i], "result.h5");
        assert_int_equal(stat(p, &before[i]), 0);
    }
    pb_run_summary sum;
    run_store(&s, store, &sum);
    assert_int_equal(sum.selected, 12);
    assert_int_equal(sum.skipped, 12);
    assert_int_equal(sum.done, 0);
    assert_int_equal(sum.failed, 0);
    assert_int_equal(sum.stopped, 0);
    for (size_t i = 0; i < s.n_cells; i++) {
        cell_path(p, sizeof p, store, &s.cells[i], "result.h5");
        assert_int_equal(stat(p, &after), 0);
        assert_int_equal(after.st_ino, before[i].st_ino); /* not rewritten (result.h5 is renamed into place) */
        assert_int_equal(after.st_mtim.tv_sec, before[i].st_mtim.tv_sec);
        assert_int_equal(after.st_mtim.tv_nsec, before[i].st_mtim.tv_nsec);
    }
    /* delete a KD student's result (cell 11: magnitude 80% kd seed 2): exactly that cell reruns */
    const size_t victim = 11;
    assert_true(s.cells[victim].kd);
    cell_path(p, sizeof p, store, &s.cells[victim], "result.h5");
    assert_int_equal(remove(p), 0);
    run_store(&s, store, &sum);
    assert_int_equal(sum.skipped, 11);
    assert_int_equal(sum.done, 1);
    assert_int_equal(sum.failed, 0);
    for (size_t i = 0; i < s.n_cells; i++) {
        cell_path(p, sizeof p, store, &s.cells[i], "result.h5");
        assert_int_equal(stat(p, &after), 0);
        if (i == victim) continue;
        assert_int_equal(after.st_ino, before[i].st_ino);
    }
    double v[N_CELLS];
    metrics(&s, store, v);
    expect_same_metrics(v, g_ref_metric, N_CELLS); /* the rerun cell bit for bit too */
    pb_spec_free(&s);
}

/* ---- 3. a failed cell is contained --------------------------------------------------- */

static void test_failed_cell(void **state) {
    (void)state;
    char data[256], spec_text[4096], p[1024];
    store_path(data, sizeof data, "rte-empty");
    assert_int_equal(mkdir(data, 0700), 0);
    const char *words[] = {"a", "b", NULL};
    pb_test_write_vocab(data, words);
    /* glue-rte with a tokenizer but no train.tsv: every rte cell fails to open its data */
    snprintf(spec_text, sizeof spec_text,
             SPEC_HEAD "tasks: [toy, glue-rte]\n" SPEC_BASE
                       "overrides:\n"
                       "  glue-rte: {data: {dir: '%s', tokenizer: '%s/vocab.txt'}}\n"
                       "matrix:\n"
                       "  method: [dense, magnitude]\n"
                       "  sparsity: [0.5]\n"
                       "  kd: [off, {temperature: 2, hardness: 1}]\n"
                       "  seed: [1]\n",
             data, data);
    pb_spec s;
    parse(&s, spec_text);
    assert_int_equal(s.n_cells, 8); /* per task: dense, dense kd, magnitude, magnitude kd */
    char store[512];
    store_path(store, sizeof store, "failed");
    for (int round = 0; round < 2; round++) {
        pb_run_summary sum;
        run_store(&s, store, &sum);
        assert_int_equal(sum.selected, 8);
        assert_int_equal(sum.skipped, round == 0 ? 0 : 4); /* the toy cells; failed ones are retried */
        assert_int_equal(sum.done, round == 0 ? 4 : 0);
        assert_int_equal(sum.failed, 4);
        assert_int_equal(sum.stopped, 0);
        pb_store *st = gather(&s, store);
        const pb_table_cell *tc = pb_store_cells(st);
        for (size_t i = 0; i < s.n_cells; i++) {
            const pb_spec_cell *c = &s.cells[i];
            cell_path(p, sizeof p, store, c, "error.txt");
            char *err = pb_test_slurp(p);
            if (!strcmp(c->task, "toy")) {
                assert_string_equal(pb_store_status(st, i), "done");
                assert_string_equal(err, "");
            } else {
                assert_string_equal(pb_store_status(st, i), "failed");
                assert_int_equal(tc[i].failed, 1);
                assert_int_equal(tc[i].n_metrics, 0);
                assert_non_null(tc[i].reason);
                if (c->kd) {
                    /* a student of the failed teacher */
                    PB_ASSERT_HAS(err, "teacher");
                    PB_ASSERT_HAS(err, s.cells[c->teacher].id);
                    PB_ASSERT_HAS(tc[i].reason, "teacher");
                } else {
                    PB_ASSERT_HAS(err, "train.tsv");
                    PB_ASSERT_HAS(tc[i].reason, "train.tsv");
                }
                cell_path(p, sizeof p, store, c, "result.h5");
                assert_false(exists(p));
            }
            free(err);
        }
        pb_store_close(st);
    }
    pb_spec_free(&s);
}

/* ---- 4. shards ----------------------------------------------------------------------- */

static void test_shards(void **state) {
    (void)state;
    pb_spec s;
    parse(&s, SPEC);
    ref_store(&s);
    char store[512];
    store_path(store, sizeof store, "shards");
    size_t done = 0, skipped = 0;
    for (int i = 0; i < 3; i++) {
        pb_run_opts o = {.store = store, .shard_i = i, .shard_n = 3};
        pb_run_summary sum;
        run_ok(&s, &o, &sum);
        assert_int_equal(sum.failed, 0);
        assert_int_equal(sum.stopped, 0);
        assert_int_equal(sum.done + sum.skipped, sum.selected);
        done += sum.done;
        skipped += sum.skipped;
    }
    /* each cell ran exactly once; only the teacher (in shards 1 and 2 as well) was skipped */
    assert_int_equal(done, N_CELLS);
    assert_int_equal(skipped, 2);
    double v[N_CELLS];
    metrics(&s, store, v);
    expect_same_metrics(v, g_ref_metric, N_CELLS);
    pb_spec_free(&s);
}

/* ---- 4b. stale cells: the model changed since they ran --------------------------------- */

/* A "pretrained" checkpoint for the toy cells (MLM head; the task head is new). */
static void write_model(const char *path, uint64_t seed) {
    pb_config c;
    pb_test_config(&c, PB_MODEL_BERT, 64, 32, 2, 2, 64, 32);
    pb_model m;
    assert_int_equal(pb_model_init(&m, &c, PB_HEAD_MLM, 1, 24), 0);
    pb_model_init_weights(&m, seed);
    assert_int_equal(pb_io_save_checkpoint(&m, path), 0);
    pb_model_free(&m);
}

static void result_attr(const char *store, const pb_spec_cell *c, const char *name, char out[65]) {
    char p[1024];
    cell_path(p, sizeof p, store, c, "result.h5");
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    char *v = h5_attr_string(f, name);
    assert_non_null(v);
    snprintf(out, 65, "%s", v);
    free(v);
    H5Fclose(f);
}

/* Two cells (a dense teacher and its KD student) from a checkpoint file: a
 * rerun after the checkpoint changed runs both again (their results record
 * the old model's digest), keeping the old results as result.stale.h5; a
 * teacher whose recorded digest no longer matches takes its student along;
 * an unchanged store stays complete. */
static void test_stale(void **state) {
    (void)state;
    char model[512], store[512], text[2048], p[1024];
    store_path(model, sizeof model, "stale-model.h5");
    store_path(store, sizeof store, "stale");
    write_model(model, 1);
    snprintf(text, sizeof text,
             "name: toy-stale\nmodel: {checkpoint: \"%s\"}\ntasks: [toy]\n" SPEC_BASE
             "matrix:\n  method: [dense, magnitude]\n  sparsity: [0.5]\n  kd: [off, {temperature: 2, hardness: 1}]\n"
             "  seed: [1]\nexclude:\n  - {method: dense, kd: {temperature: 2, hardness: 1}}\n"
             "  - {method: magnitude, kd: off}\n",
             model);
    pb_spec s;
    parse(&s, text);
    assert_int_equal(s.n_cells, 2);
    assert_int_equal(s.cells[1].teacher, 0);
    pb_run_summary sum;
    run_store(&s, store, &sum);
    assert_int_equal(sum.done, 2);
    char first[65], now[65];
    result_attr(store, &s.cells[0], "model_sha256", first);
    assert_int_equal(strlen(first), 64);
    run_store(&s, store, &sum);
    assert_int_equal(sum.skipped, 2);
    assert_int_equal(sum.stale, 0);
    /* the model is pretrained again */
    write_model(model, 2);
    run_store(&s, store, &sum);
    assert_int_equal(sum.stale, 2);
    assert_int_equal(sum.done, 2);
    assert_int_equal(sum.failed, 0);
    for (int i = 0; i < 2; i++) {
        cell_path(p, sizeof p, store, &s.cells[i], "result.stale.h5");
        assert_true(exists(p));
        result_attr(store, &s.cells[i], "model_sha256", now);
        assert_int_equal(strlen(now), 64);
        assert_string_not_equal(now, first);
    }
    /* a teacher whose recorded digest differs takes its KD student along */
    cell_path(p, sizeof p, store, &s.cells[0], "result.h5");
    hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Adelete(f, "model_sha256") >= 0);
    assert_int_equal(pb_h5_write_string_attr(f, p, "model_sha256", first), 0);
    H5Fclose(f);
    run_store(&s, store, &sum);
    assert_int_equal(sum.stale, 2);
    assert_int_equal(sum.done, 2);
    run_store(&s, store, &sum);
    assert_int_equal(sum.skipped, 2);
    assert_int_equal(sum.stale, 0);
    pb_spec_free(&s);
}

/* ---- 5. stop and resume ------------------------------------------------------------ */

static volatile sig_atomic_t g_stop;
static long g_stopped_cell = -1;

static void on_term(int sig) {
    (void)sig;
    g_stop = 1;
}

static void stop_at_first_step(void *ctx, const pb_run_event *e) {
    (void)ctx;
    if (e->kind == PB_RUN_EVENT_STEP && g_stopped_cell < 0) {
        g_stopped_cell = (long)e->cell;
        g_stop = 1;
    }
}

static void test_stop_resume(void **state) {
    (void)state;
    pb_spec s;
    parse(&s, SPEC);
    ref_store(&s);
    char store[512], p[1024];
    store_path(store, sizeof store, "stop");
    /* the runner forwards SIGTERM to its workers; as in the CLI, a handler sets the flag there */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGTERM, &sa, &old), 0);
    g_stop = 0;
    pb_run_opts o = {.store = store, .progress_every = 1, .stop = &g_stop, .event = stop_at_first_step};
    pb_run_summary sum;
    run_ok(&s, &o, &sum);
    assert_int_equal(sigaction(SIGTERM, &old, NULL), 0);
    assert_true(g_stopped_cell >= 0);
    assert_true(sum.stopped >= 1);
    assert_int_equal(sum.failed, 0);
    assert_true(sum.done + sum.stopped == N_CELLS);
    const pb_spec_cell *c = &s.cells[g_stopped_cell];
    cell_path(p, sizeof p, store, c, "state.h5");
    assert_true(exists(p));
    cell_path(p, sizeof p, store, c, "result.h5");
    assert_false(exists(p));
    /* resume: everything completes, the stopped cell from its state */
    g_stop = 0;
    pb_run_opts o2 = {.store = store};
    run_ok(&s, &o2, &sum);
    assert_int_equal(sum.failed, 0);
    assert_int_equal(sum.stopped, 0);
    assert_int_equal(sum.done + sum.skipped, N_CELLS);
    cell_path(p, sizeof p, store, c, "state.h5");
    assert_false(exists(p));
    double v[N_CELLS];
    metrics(&s, store, v);
    expect_same_metrics(v, g_ref_metric, N_CELLS);
    pb_spec_free(&s);
}

/* ---- 6. kill -9 and SIGINT of the CLI ----------------------------------------------- */

/* Start `cli run SPEC --store STORE --jobs 2 --threads 1` in its own process group. */
static pid_t spawn_run(const char *spec, const char *store) {
    char out[600];
    pb_test_path(out, sizeof out, g_dir, "spawn.log");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        FILE *f = freopen(out, "a", stdout);
        if (f) dup2(STDOUT_FILENO, STDERR_FILENO);
        execl(pb_test_cli(), pb_test_cli(), "run", spec, "--store", store, "--jobs", "2", "--threads", "1",
              (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid); /* either side may win the race */
    return pid;
}

/* Wait until some cell of store has a result.h5 (at most 60 s). */
static void wait_first_result(const pb_spec *s, const char *store) {
    char p[1024];
    for (int k = 0; k < 6000; k++) {
        for (size_t i = 0; i < s->n_cells; i++) {
            cell_path(p, sizeof p, store, &s->cells[i], "result.h5");
            if (exists(p)) return;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fail_msg("no result.h5 in %s after 60 s", store);
}

static char *table_of(const char *store, int *code) {
    char args[1024];
    snprintf(args, sizeof args, "table '%s/toy-e2e.h5' --no-refs", store);
    return cli(args, code, NULL);
}

static void test_kill_and_interrupt(void **state) {
    (void)state;
    pb_spec s;
    parse(&s, SPEC);
    const char *ref = ref_store(&s);
    char spec[512], store[512], args[4096];
    pb_test_write_file(spec, sizeof spec, g_dir, "toy.yaml", SPEC);
    int code;
    /* reference table: the experiment file of the clean run */
    char exp[1024];
    assert_int_equal(pb_run_gather(&s, ref, exp, sizeof exp), 0);
    char *want = table_of(ref, &code);
    assert_int_equal(code, 0);
    PB_ASSERT_HAS(want, "| toy | off |");

    /* kill -9 the whole process group mid-run, then rerun to completion */
    store_path(store, sizeof store, "killed");
    pid_t pid = spawn_run(spec, store);
    wait_first_result(&s, store);
    assert_int_equal(kill(-pid, SIGKILL), 0);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    snprintf(args, sizeof args, "run '%s' --store '%s' --jobs 2 --threads 1", spec, store);
    char *err = NULL;
    char *out = cli(args, &code, &err);
    if (code) print_error("%s%s\n", out, err);
    assert_int_equal(code, 0);
    PB_ASSERT_HAS(out, "0 failed, 0 stopped");
    free(out);
    free(err);
    char *got = table_of(store, &code);
    assert_int_equal(code, 0);
    assert_string_equal(got, want);
    free(got);

    /* SIGINT to the process group: exit 130, the rerun completes */
    store_path(store, sizeof store, "interrupted");
    pid = spawn_run(spec, store);
    wait_first_result(&s, store);
    assert_int_equal(kill(-pid, SIGINT), 0);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 130);
    snprintf(args, sizeof args, "run '%s' --store '%s' --jobs 2 --threads 1", spec, store);
    out = cli(args, &code, NULL);
    assert_int_equal(code, 0);
    PB_ASSERT_HAS(out, "0 failed, 0 stopped");
    free(out);
    got = table_of(store, &code);
    assert_int_equal(code, 0);
    assert_string_equal(got, want);
    free(got);
    free(want);
    pb_spec_free(&s);
}

/* ---- 7. the command line ------------------------------------------------------------- */

static void test_cli(void **state) {
    (void)state;
    pb_spec s;
    parse(&s, SPEC);
    const char *ref = ref_store(&s);
    char spec[512], args[2048], exp[1024], fresh[512];
    pb_test_write_file(spec, sizeof spec, g_dir, "toy.yaml", SPEC);
    assert_int_equal(pb_run_gather(&s, ref, exp, sizeof exp), 0);
    int code;
    char *err = NULL, *out;

    /* dry run: 12 rows, pending in a fresh store, complete in the finished one */
    store_path(fresh, sizeof fresh, "never-run");
    snprintf(args, sizeof args, "run '%s' --store '%s' --dry-run", spec, fresh);
    out = cli(args, &code, NULL);
    assert_int_equal(code, 0);
    assert_int_equal(count(out, "  pending"), 12);
    assert_int_equal(count(out, "  complete"), 0);
    PB_ASSERT_HAS(out, "12 cells (12 selected), 12 pending");
    free(out);
    snprintf(args, sizeof args, "run '%s' --store '%s' --dry-run", spec, ref);
    out = cli(args, &code, NULL);
    assert_int_equal(code, 0);
    assert_int_equal(count(out, "  complete"), 12);
    assert_int_equal(count(out, "  pending"), 0);
    free(out);
    /* --shard 1/3 of a dry run: cells 1, 4, 7, 10 and the teacher (cell 0) */
    snprintf(args, sizeof args, "run '%s' --store '%s' --dry-run --shard 1/3", spec, ref);
    out = cli(args, &code, NULL);
    assert_int_equal(code, 0);
    PB_ASSERT_HAS(out, "12 cells (5 selected)");
    free(out);

    /* argument errors: exit 2 with a message */
    const char *bad[][2] = {{"--jobs 0", "--jobs '0'"},
                            {"--shard 3/3", "--shard '3/3'"},
                            {"--threads 0", "--threads '0'"},
                            {"--frobnicate", "unknown option '--frobnicate'"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        snprintf(args, sizeof args, "run '%s' --store '%s' %s", spec, fresh, bad[k][0]);
        out = cli(args, &code, &err);
        assert_int_equal(code, 2);
        PB_ASSERT_HAS(err, bad[k][1]);
        free(out);
        free(err);
    }
    out = cli("run --store /nonexistent", &code, &err);
    assert_int_equal(code, 2);
    PB_ASSERT_HAS(err, "needs a spec");
    free(out);
    free(err);
    /* a spec file that is not there, and a spec error with file:line:col */
    snprintf(args, sizeof args, "run '%s/missing.yaml' --store '%s'", g_dir, fresh);
    out = cli(args, &code, &err);
    assert_int_equal(code, 1);
    PB_ASSERT_HAS(err, "missing.yaml");
    free(out);
    free(err);
    char bad_spec[512], want[1024];
    pb_test_write_file(bad_spec, sizeof bad_spec, g_dir, "bad.yaml",
                       "name: bad\nmodel: {init: random}\ntasks: [toy]\nmatrix:\n  methd: [dense]\n");
    snprintf(args, sizeof args, "run '%s' --store '%s'", bad_spec, fresh);
    out = cli(args, &code, &err);
    assert_int_equal(code, 1);
    snprintf(want, sizeof want, "%s:5:3:", bad_spec); /* line 5, column 3: the key methd */
    PB_ASSERT_HAS(err, want);
    PB_ASSERT_HAS(err, "method");
    free(out);
    free(err);
    assert_false(exists(fresh)); /* nothing was run */

    /* table: default axes rows task,kd; cols method,sparsity */
    snprintf(args, sizeof args, "table '%s' --no-refs", exp);
    out = cli(args, &code, NULL);
    assert_int_equal(code, 0);
    PB_ASSERT_HAS(out, "**toy-e2e**");
    PB_ASSERT_HAS(out, "| task | kd | dense, 0% | magnitude, 50% | magnitude, 80% |\n");
    PB_ASSERT_HAS(out, "| toy | off | ");
    PB_ASSERT_HAS(out, "| toy | T=2, h=1 | ");
    assert_int_equal(count(out, "(n=2)"), 6); /* 2 kd rows x 3 columns, two seeds each */
    free(out);
    snprintf(args, sizeof args, "table '%s' --no-refs --format latex", exp);
    out = cli(args, &code, NULL);
    assert_int_equal(code, 0);
    PB_ASSERT_HAS(out, "task & kd & dense, 0\\% & magnitude, 50\\% & magnitude, 80\\% \\\\\n");
    PB_ASSERT_HAS(out, "\\caption{toy-e2e}");
    free(out);
    snprintf(args, sizeof args, "table '%s' --no-refs --format html", exp);
    out = cli(args, &code, &err);
    assert_int_equal(code, 2);
    PB_ASSERT_HAS(err, "--format 'html'");
    free(out);
    free(err);

    /* plot: metric_vs_sparsity, ablation_kd, the curves of magnitude 80% (named by what they show), costs */
    char figs[512];
    store_path(figs, sizeof figs, "figs");
    snprintf(args, sizeof args, "plot '%s' --out '%s'", exp, figs);
    out = cli(args, &code, &err);
    if (code) print_error("%s\n", err);
    assert_int_equal(code, 0);
    free(err);
    char names[4][64];
    snprintf(names[0], sizeof names[0], "metric_vs_sparsity");
    snprintf(names[1], sizeof names[1], "ablation_kd");
    snprintf(names[2], sizeof names[2], "curves_toy_magnitude_80");
    snprintf(names[3], sizeof names[3], "costs");
    assert_int_equal(count(out, ".png "), 4); /* one line per figure, nothing else */
    for (int k = 0; k < 4; k++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s.png %s/%s.svg\n", figs, names[k], figs, names[k]);
        PB_ASSERT_HAS(out, p);
        snprintf(p, sizeof p, "%s/%s.png", figs, names[k]);
        FILE *f = fopen(p, "rb");
        assert_non_null(f);
        unsigned char sig[8] = {0};
        assert_int_equal(fread(sig, 1, 8, f), 8);
        fclose(f);
        assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);
        snprintf(p, sizeof p, "%s/%s.svg", figs, names[k]);
        char *svg = pb_test_slurp(p);
        PB_ASSERT_HAS(svg, "<svg");
        free(svg);
    }
    free(out);
    pb_spec_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_end_to_end), cmocka_unit_test(test_resume),
        cmocka_unit_test(test_failed_cell), cmocka_unit_test(test_shards), cmocka_unit_test(test_stale),
        cmocka_unit_test(test_stop_resume), cmocka_unit_test(test_kill_and_interrupt),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
