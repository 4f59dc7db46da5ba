/* Chance and majority-class baselines (tasks/baseline.h): counted from the
 * dev split's gold labels through the data source for classification (toy,
 * GLUE SST-2 files) and multiple choice (CommonsenseQA files); none for
 * regression, span and masked-LM heads; errors for an empty or unlabelled
 * dev split and an out-of-range label; and pb_run_gather stores them in the
 * experiment file for every task it can open (harness/run.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "baseline.h"
#include "registry.h"
#include "run.h"
#include "spec.h"
#include "store.h"
#include "testutil.h"

PB_TEST_TMPDIR_FIXTURE("baseline")

static void expect_baseline(int rc, const pb_baseline *b, int classes, long examples, int label, double majority) {
    if (rc < 0) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 1);
    assert_int_equal(b->classes, classes);
    assert_int_equal(b->examples, examples);
    assert_int_equal(b->majority_label, label);
    assert_true(fabs(b->chance - 100.0 / classes) < 1e-12);
    if (fabs(b->majority - majority) > 1e-9) print_error("majority %.12g, want %.12g\n", b->majority, majority);
    assert_true(fabs(b->majority - majority) < 1e-9);
}

/* toy: 3 classes, 512 dev examples. The majority share, independently of
 * the label counting: toy's own metric on logits that always pick class k is
 * the share of class k; the majority is the largest of the three. */
static void test_toy(void **state) {
    (void)state;
    pb_task_opts o = {0};
    pb_data_source ds;
    assert_int_equal(pb_task_open("toy", &o, &ds), 0);
    const long n = ds.count(ds.ctx, PB_SPLIT_DEV);
    float *logits = calloc((size_t)n * 3, sizeof *logits);
    assert_non_null(logits);
    double best = -1;
    int best_k = -1;
    for (int k = 0; k < 3; k++) {
        for (long i = 0; i < n; i++)
            for (int j = 0; j < 3; j++) logits[i * 3 + j] = j == k ? 1.0f : 0.0f;
        pb_metrics m;
        assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_DEV, logits, &m), 0);
        if (m.value[0] > best) best = m.value[0], best_k = k;
    }
    free(logits);
    pb_baseline b;
    expect_baseline(pb_baseline_count_labels(&ds, &b), &b, 3, 512, best_k, best);
    ds.free(ds.ctx);
    /* the same through the registry */
    pb_baseline b2;
    expect_baseline(pb_baseline_load_task("toy", &o, &b2), &b2, 3, 512, best_k, best);
    printf("toy: chance %.2f, majority %.2f (class %d)\n", b2.chance, b2.majority, b2.majority_label);
}

static const char *const WORDS[] = {"it", "is", "a", "good", "movie", "bad", "the", "what", "sky", "apple",
                                    "grass", "snow", "blood", "red", "?", NULL};

static void put(const char *dir, const char *name, const char *text) {
    char p[600];
    pb_test_write_file(p, sizeof p, dir, name, text);
}

/* GLUE SST-2 files: dev labels 1, 0, 1, 1 -> class 1, 75%; chance 50%. */
static void test_glue_files(void **state) {
    (void)state;
    char dir[256], vocab[600];
    pb_test_path(dir, sizeof dir, g_dir, "sst2");
    assert_int_equal(mkdir(dir, 0700), 0);
    pb_test_write_vocab(dir, WORDS);
    snprintf(vocab, sizeof vocab, "%s/vocab.txt", dir);
    put(dir, "train.tsv", "sentence\tlabel\ngood movie \t1\nbad movie \t0\n");
    put(dir, "dev.tsv", "sentence\tlabel\nit is a good movie \t1\nit is bad \t0\nthe movie \t1\ngood \t1\n");
    pb_task_opts o = {.max_seq_length = 16, .data_dir = dir, .tokenizer = vocab};
    pb_baseline b;
    expect_baseline(pb_baseline_load_task("glue-sst2", &o, &b), &b, 2, 4, 1, 75.0);
}

#define CSQA_CH(a, b, c, d, e)                                                                                         \
    "\"choices\": [{\"label\": \"A\", \"text\": \"" a "\"}, {\"label\": \"B\", \"text\": \"" b                         \
    "\"}, {\"label\": \"C\", \"text\": \"" c "\"}, {\"label\": \"D\", \"text\": \"" d "\"}, {\"label\": \"E\", "       \
    "\"text\": \"" e "\"}]"
#define CSQA_Q(key, id) "{\"answerKey\": \"" key "\", \"id\": \"" id "\", \"question\": {" CSQA_CH("sky", "apple", "grass", "snow", "blood") ", \"stem\": \"what is red?\"}}\n"

/* CommonsenseQA files: dev answers A, E, B, E -> choice index 4, 50%; chance 20%. */
static void test_choice_files(void **state) {
    (void)state;
    char dir[256], vocab[600];
    pb_test_path(dir, sizeof dir, g_dir, "csqa");
    assert_int_equal(mkdir(dir, 0700), 0);
    pb_test_write_vocab(dir, WORDS);
    snprintf(vocab, sizeof vocab, "%s/vocab.txt", dir);
    put(dir, "train_rand_split.jsonl", CSQA_Q("B", "q1") CSQA_Q("C", "q2"));
    put(dir, "dev_rand_split.jsonl", CSQA_Q("A", "d1") CSQA_Q("E", "d2") CSQA_Q("B", "d3") CSQA_Q("E", "d4"));
    pb_task_opts o = {.max_seq_length = 16, .data_dir = dir, .tokenizer = vocab};
    pb_baseline b;
    expect_baseline(pb_baseline_load_task("commonsenseqa", &o, &b), &b, 5, 4, 4, 50.0);
    /* a task that cannot open: its error */
    pb_task_opts none = {.max_seq_length = 16, .data_dir = "/nonexistent/csqa", .tokenizer = vocab};
    assert_true(pb_baseline_load_task("commonsenseqa", &none, &b) < 0);
    assert_int_equal(b.classes, 0);
    assert_true(pb_baseline_load_task("no-such-task", &o, &b) < 0);
    PB_ASSERT_MSG_HAS("unknown task 'no-such-task'");
}

/* ---- a hand-made data source for the other heads and the errors ------------------ */

typedef struct {
    long n;
    int labelled;
    int32_t bad_at; /* example whose label is out of range; -1 none */
} fake_ctx;

static long fake_count(void *ctx, int split) {
    return split == PB_SPLIT_DEV ? ((fake_ctx *)ctx)->n : 0;
}

/* label of example i: i % 3 (so 0 is the most frequent, first on ties) */
static int fake_fill(void *ctx, int split, const long *idx, int n, pb_batch_buf *bb) {
    (void)split;
    const fake_ctx *c = ctx;
    for (int r = 0; r < n; r++) bb->labels[r] = idx[r] == c->bad_at ? 7 : (int32_t)(idx[r] % 3);
    bb->b = (pb_batch){.n = n, .choices = 1, .seq = 4, .input_ids = bb->input_ids,
                       .labels = c->labelled ? bb->labels : NULL};
    return 0;
}

static pb_data_source fake(fake_ctx *c, pb_head_kind head, int labels) {
    return (pb_data_source){.ctx = c, .name = "fake", .head = head, .num_labels = labels, .choices = 1, .seq = 4,
                            .count = fake_count, .fill = fake_fill};
}

static void test_other_heads_and_errors(void **state) {
    (void)state;
    fake_ctx c = {200, 1, -1};
    pb_baseline b;
    /* 200 examples, labels i % 3: 67 zeros, 67 ones, 66 twos (batches of 64 cross the boundaries) */
    pb_data_source ds = fake(&c, PB_HEAD_CLS, 3);
    expect_baseline(pb_baseline_count_labels(&ds, &b), &b, 3, 200, 0, 33.5);
    /* no baselines: regression, span, masked LM, a one-label head */
    static const pb_head_kind none[] = {PB_HEAD_REG, PB_HEAD_SPAN, PB_HEAD_MLM};
    for (int k = 0; k < 3; k++) {
        ds = fake(&c, none[k], 1);
        memset(&b, 0xff, sizeof b);
        assert_int_equal(pb_baseline_count_labels(&ds, &b), 0);
        assert_int_equal(b.classes, 0);
    }
    ds = fake(&c, PB_HEAD_CLS, 1);
    assert_int_equal(pb_baseline_count_labels(&ds, &b), 0);
    /* an unlabelled dev split */
    c.labelled = 0;
    ds = fake(&c, PB_HEAD_CLS, 3);
    assert_int_equal(pb_baseline_count_labels(&ds, &b), PB_EINVAL);
    PB_ASSERT_MSG_HAS("task 'fake': the dev split has no labels");
    /* a label outside [0, 3) */
    c.labelled = 1;
    c.bad_at = 130;
    assert_int_equal(pb_baseline_count_labels(&ds, &b), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("dev example 130 has label 7 outside [0, 3)");
    assert_int_equal(b.classes, 0);
    /* an empty dev split */
    c.bad_at = -1;
    c.n = 0;
    assert_int_equal(pb_baseline_count_labels(&ds, &b), PB_EINVAL);
    PB_ASSERT_MSG_HAS("the dev split is empty");
    assert_int_equal(pb_baseline_count_labels(NULL, &b), PB_EINVAL);
}

/* ---- the harness stores them ----------------------------------------------------- */

#define SPEC_TEXT                                                                                                   \
    "name: base-e2e\n"                                                                                              \
    "model: {init: random, config: {model_type: bert, vocab_size: 64, hidden_size: 32, num_hidden_layers: 2,\n"     \
    "        num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 32}}\n"                         \
    "tasks: [toy, glue-sst2]\n"                                                                                     \
    "base:\n"                                                                                                       \
    "  threads: 1\n"                                                                                                \
    "  train: {epochs: 1, batch_size: 32, max_seq_length: 24, lr: 2e-3, lr_final: 2e-4}\n"                          \
    "  data: {dir: /nonexistent/glue-sst2}\n"                                                                       \
    "matrix:\n"                                                                                                     \
    "  method: [dense]\n"                                                                                           \
    "  seed: [1, 2]\n"

/* Gathering a store in which nothing ran: every cell pending, the toy
 * baselines stored (those of test_toy), none for glue-sst2 whose data is
 * missing; the experiment file opens and finds them by task. */
static void test_gather_stores_baselines(void **state) {
    (void)state;
    pb_spec s;
    int rc = pb_spec_parse(&s, SPEC_TEXT, "spec.yaml", NULL);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    char store[512], exp[1024];
    pb_test_path(store, sizeof store, g_dir, "store");
    assert_int_equal(mkdir(store, 0700), 0);
    rc = pb_run_gather(&s, store, exp, sizeof exp);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    pb_store *st = NULL;
    assert_int_equal(pb_store_open(&st, exp), 0);
    assert_int_equal(pb_store_count(st), s.n_cells);
    assert_int_equal(pb_store_baseline_count(st), 1);
    const pb_store_baseline *b = pb_store_find_baseline(st, "toy");
    assert_non_null(b);
    assert_string_equal(b->metric, "accuracy");
    pb_task_opts o = {.max_seq_length = 24};
    pb_baseline want;
    assert_int_equal(pb_baseline_load_task("toy", &o, &want), 1);
    assert_int_equal(b->classes, 3);
    assert_int_equal(b->examples, 512);
    assert_true(b->chance == want.chance && b->majority == want.majority);
    assert_null(pb_store_find_baseline(st, "glue-sst2"));
    pb_store_close(st);
    pb_spec_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toy),
        cmocka_unit_test(test_glue_files),
        cmocka_unit_test(test_choice_files),
        cmocka_unit_test(test_other_heads_and_errors),
        cmocka_unit_test(test_gather_stores_baselines),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
