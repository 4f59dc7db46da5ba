/* The suite's shared pieces: hash splits (FNV-1a recomputed here), stats.json
 * with its baselines, the pretraining corpus split, and the registry entry:
 * defaults under $PB_CACHE, a clear "run make data" when files are missing,
 * and a generated folder opened through its loader under the suite's name. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry.h"
#include "suite.h"
#include "taskutil.h"
#include "testutil.h"

PB_TEST_TMPDIR_FIXTURE("suite")

/* FNV-1a 64, written out independently of the library */
static uint64_t fnv(const char *s) {
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void test_split(void **state) {
    (void)state;
    const char *ids[] = {"n02084071", "spam-1/00001.7c53336b37003a9286aba55d2945844c", "", "a"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        assert_true(pb_suite_hash(ids[i]) == fnv(ids[i]));
        const unsigned b = (unsigned)(fnv(ids[i]) % 100);
        assert_int_equal(pb_suite_split(ids[i]), b < 80 ? 0 : b < 90 ? 1 : 2);
    }
    /* over many ids the shares are near 80/10/10 */
    long n[3] = {0, 0, 0};
    char id[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof id, "item%d", i);
        n[pb_suite_split(id)]++;
    }
    assert_true(n[0] > 15600 && n[0] < 16400 && n[1] > 1800 && n[1] < 2200 && n[2] > 1800 && n[2] < 2200);
}

static void test_stats(void **state) {
    (void)state;
    pb_suite_stats st = {.task = "t", .provenance = "made up", .n_labels = 2, .labels = {"no", "yes"},
                         .count = {10, 4, 4}, .label_count = {{6, 4}, {1, 3}, {2, 2}}};
    assert_int_equal(pb_suite_stats_write(&st, g_dir), 0);
    char p[512];
    json_error_t je;
    json_t *j = json_load_file(pb_test_path(p, sizeof p, g_dir, "stats.json"), 0, &je);
    assert_non_null(j);
    /* dev: 3 of 4 are "yes" -> majority 75%; two classes -> chance 50% */
    assert_true(json_real_value(json_object_get(j, "dev_majority_percent")) == 75.0);
    assert_true(json_real_value(json_object_get(j, "chance_percent")) == 50.0);
    json_t *tr = json_object_get(json_object_get(j, "splits"), "train");
    assert_int_equal(json_integer_value(json_object_get(tr, "examples")), 10);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(tr, "labels"), "no")), 6);
    json_decref(j);
}

static void test_corpus(void **state) {
    (void)state;
    char a[512], b[512], out[512];
    /* 400 distinct lines; the dev ones are those with fnv(line) % 1000 < 20 */
    pb_strbuf t1 = {0}, t2 = {0}, want_dev = {0}, want_train = {0};
    char line[64];
    for (int i = 0; i < 400; i++) {
        snprintf(line, sizeof line, "line number %d", i);
        pb_strbuf *dst = i < 200 ? &t1 : &t2;
        assert_int_equal(pb_strbuf_printf(dst, "%s\n%s", line, i % 50 == 0 ? "\n" : ""), 0); /* blank lines skipped */
        assert_int_equal(pb_strbuf_printf(fnv(line) % 1000 < 20 ? &want_dev : &want_train, "%s\n", line), 0);
    }
    pb_test_write_file(a, sizeof a, g_dir, "a.txt", t1.s);
    pb_test_write_file(b, sizeof b, g_dir, "b.txt", t2.s);
    pb_test_path(out, sizeof out, g_dir, "corpus");
    const char *parts[2] = {a, b};
    long nt = 0, nd = 0;
    assert_int_equal(pb_suite_corpus_build(parts, 2, out, &nt, &nd), 0);
    assert_int_equal(nt + nd, 400);
    assert_true(nd > 0);
    char p[600];
    char *got = pb_test_slurp(pb_test_path(p, sizeof p, out, "dev.txt"));
    assert_string_equal(got, want_dev.s);
    free(got);
    got = pb_test_slurp(pb_test_path(p, sizeof p, out, "train.txt"));
    assert_string_equal(got, want_train.s);
    free(got);
    pb_strbuf_free(&t1);
    pb_strbuf_free(&t2);
    pb_strbuf_free(&want_dev);
    pb_strbuf_free(&want_train);
    parts[1] = "/nonexistent/part.txt";
    assert_int_equal(pb_suite_corpus_build(parts, 2, out, NULL, NULL), PB_EIO);
    PB_ASSERT_MSG_HAS("/nonexistent/part.txt");
}

static void test_registry_entry(void **state) {
    (void)state;
    char cache[200], p[384];
    pb_test_path(cache, sizeof cache, g_dir, "cache");
    setenv("PB_CACHE", cache, 1);
    pb_task_opts o = {0};
    pb_data_source ds;
    /* nothing fetched yet */
    assert_int_equal(pb_task_open("spam", &o, &ds), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("make data");
    static const char *const words[] = {"buy", "now", "hello", "friend", NULL};
    snprintf(p, sizeof p, "%s/data", cache);
    assert_int_equal(pb_path_mkdir_p(p), 0);
    pb_test_write_vocab(p, words);
    /* the vocabulary alone: the task's files are still missing */
    assert_int_equal(pb_task_open("spam", &o, &ds), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("train.tsv");
    PB_ASSERT_MSG_HAS("make data");
    snprintf(p, sizeof p, "%s/suite/spam", cache);
    assert_int_equal(pb_path_mkdir_p(p), 0);
    char f[512];
    pb_test_write_file(f, sizeof f, p, "train.tsv", "sentence\tlabel\nbuy now\t1\nhello friend\t0\n");
    pb_test_write_file(f, sizeof f, p, "dev.tsv", "sentence\tlabel\nhello\t0\n");
    assert_int_equal(pb_task_open("spam", &o, &ds), 0);
    assert_string_equal(ds.name, "spam");
    assert_int_equal(ds.num_labels, 2);
    assert_int_equal(ds.seq, 32); /* the suite's default length for spam */
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TRAIN), 2);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TEST), 0);
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, 2, ds.seq), 0);
    long idx[2] = {0, 1};
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, idx, 2, &bb), 0);
    /* [CLS]=2 buy=5 now=6 [SEP]=3; labels as written */
    assert_int_equal(bb.input_ids[0], 2);
    assert_int_equal(bb.input_ids[1], 5);
    assert_int_equal(bb.input_ids[2], 6);
    assert_int_equal(bb.input_ids[3], 3);
    assert_int_equal(bb.labels[0], 1);
    assert_int_equal(bb.labels[1], 0);
    pb_batch_buf_free(&bb);
    ds.free(ds.ctx);
    /* an explicit data_dir and length win over the defaults */
    o.data_dir = p;
    o.max_seq_length = 16;
    assert_int_equal(pb_task_open("spam", &o, &ds), 0);
    assert_int_equal(ds.seq, 16);
    ds.free(ds.ctx);
    unsetenv("PB_CACHE");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_registry_entry),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
