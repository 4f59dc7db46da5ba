/* The pre-flight checks of `prunebench run` (harness/preflight.h): every
 * problem that would make cells fail before training (a model that does not
 * load, task data that are missing) is reported at once, by `--dry-run` and
 * by a real run, which then trains nothing; a sound spec passes; the default
 * store is $PB_STORE (else results/runs/default) and --dry-run reads the
 * store it is given. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preflight.h"
#include "spec.h"
#include "testutil.h"

static char g_dir[128];

static int setup(void **state) {
    (void)state;
    return pb_test_tmpdir_create(g_dir, sizeof g_dir, "preflight");
}

static int teardown(void **state) {
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

#define TINY_MODEL                                                                                                \
    "{init: random, config: {model_type: bert, vocab_size: 64, hidden_size: 32, num_hidden_layers: 2,\n"          \
    "        num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 32}}\n"
#define BASE "base:\n  threads: 1\n  train: {epochs: 1, batch_size: 32, max_seq_length: 24, lr: 2e-3}\n"

/* Write a spec (name, model line, tasks line) into g_dir/<file>; the path goes into buf. */
static const char *write_spec(char *buf, size_t cap, const char *file, const char *name, const char *model,
                              const char *tasks) {
    char text[4096];
    snprintf(text, sizeof text, "name: %s\nmodel: %s\ntasks: %s\n" BASE "matrix:\n  method: [dense]\n  seed: [1, 2]\n",
             name, model, tasks);
    return pb_test_write_file(buf, cap, g_dir, file, text);
}

static int cli(const char *args, char **out, char **err) { return pb_test_run_cli(g_dir, args, out, err); }

static void test_problems_reported_at_once(void **state) {
    (void)state;
    char spec[512], model[700], store[512], args[2048], cells[600];
    snprintf(model, sizeof model, "{checkpoint: %s/missing-model.h5}", g_dir);
    /* glue-rte's data folder is missing too: two problems, each reported once for both seeds' cells */
    char tasks[700];
    snprintf(tasks, sizeof tasks, "[glue-rte]\noverrides:\n  glue-rte: {data: {dir: %s/no-such-glue/RTE}}", g_dir);
    write_spec(spec, sizeof spec, "bad.yaml", "bad", model, tasks);
    pb_test_path(store, sizeof store, g_dir, "store-bad");

    char *out = NULL, *err = NULL;
    snprintf(args, sizeof args, "run '%s' --store '%s' --dry-run", spec, store);
    int code = cli(args, &out, &err);
    if (code != 1) print_error("exit %d\n%s%s\n", code, out, err);
    assert_int_equal(code, 1);
    PB_ASSERT_HAS(out, "pre-flight: 2 problems");
    PB_ASSERT_HAS(out, "missing-model.h5");
    PB_ASSERT_HAS(out, "task glue-rte data ");
    PB_ASSERT_HAS(out, "and 1 more");
    PB_ASSERT_HAS(out, "pending"); /* the cell list comes first */
    free(out);
    free(err);

    /* a real run reports the same problems and trains nothing */
    snprintf(args, sizeof args, "run '%s' --store '%s' --jobs 1 --threads 1", spec, store);
    code = cli(args, &out, &err);
    if (code != 1) print_error("exit %d\n%s%s\n", code, out, err);
    assert_int_equal(code, 1);
    PB_ASSERT_HAS(err, "2 problems found before training; nothing ran");
    PB_ASSERT_HAS(err, "missing-model.h5");
    PB_ASSERT_HAS(err, "no-such-glue/RTE");
    snprintf(cells, sizeof cells, "%s/cells", store);
    assert_int_not_equal(access(cells, F_OK), 0);
    free(out);
    free(err);
}

static void test_sound_spec_passes(void **state) {
    (void)state;
    char spec[512], store[512], args[2048];
    write_spec(spec, sizeof spec, "good.yaml", "good", TINY_MODEL, "[toy]");
    pb_test_path(store, sizeof store, g_dir, "store-good");
    char *out = NULL, *err = NULL;
    snprintf(args, sizeof args, "run '%s' --store '%s' --dry-run", spec, store);
    int code = cli(args, &out, &err);
    if (code) print_error("exit %d\n%s%s\n", code, out, err);
    assert_int_equal(code, 0);
    PB_ASSERT_HAS(out, "pre-flight: every model, task and teacher of the 2 cells opens");
    free(out);
    free(err);

    /* the library entry point: no problems, an empty report */
    pb_spec s;
    assert_int_equal(pb_spec_load(&s, spec, NULL), 0);
    size_t idx[2] = {0, 1}, n = 99;
    char *report = NULL;
    assert_int_equal(pb_preflight_check(&s, idx, 2, &report, &n), 0);
    assert_int_equal(n, 0);
    assert_string_equal(report, "");
    free(report);
    pb_spec_free(&s);
}

/* $PB_STORE is the default store; --dry-run then shows the cells a run completed there */
static void test_default_store(void **state) {
    (void)state;
    char spec[512], store[512], args[2048];
    write_spec(spec, sizeof spec, "store.yaml", "store", TINY_MODEL, "[toy]");
    pb_test_path(store, sizeof store, g_dir, "store-env");
    assert_int_equal(setenv("PB_STORE", store, 1), 0);
    char *out = NULL, *err = NULL;
    snprintf(args, sizeof args, "run '%s' --jobs 1 --threads 1", spec);
    int code = cli(args, &out, &err);
    if (code) print_error("exit %d\n%s%s\n", code, out, err);
    assert_int_equal(code, 0);
    free(out);
    free(err);
    char exp[600];
    snprintf(exp, sizeof exp, "%s/store.h5", store);
    assert_int_equal(access(exp, F_OK), 0);
    snprintf(args, sizeof args, "run '%s' --dry-run", spec);
    assert_int_equal(cli(args, &out, NULL), 0);
    PB_ASSERT_HAS(out, "complete");
    PB_ASSERT_HAS(out, "2 cells (2 selected), 0 pending");
    free(out);
    unsetenv("PB_STORE");
    /* an explicit --store wins over the default */
    snprintf(args, sizeof args, "run '%s' --dry-run --store '%s/elsewhere'", spec, g_dir);
    assert_int_equal(cli(args, &out, NULL), 0);
    PB_ASSERT_HAS(out, "2 cells (2 selected), 2 pending");
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_problems_reported_at_once),
        cmocka_unit_test(test_sound_spec_passes),
        cmocka_unit_test(test_default_store),
    };
    return cmocka_run_group_tests_name("test_preflight", tests, setup, teardown);
}
