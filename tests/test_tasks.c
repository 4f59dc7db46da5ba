/* The task registry and the generated toy task. */
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "registry.h"
#include "testutil.h"

static void test_unknown_task(void **state) {
    (void)state;
    pb_data_source ds;
    pb_task_opts o = {.seed = 1};
    assert_int_equal(pb_task_open("glue-nope", &o, &ds), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("unknown task 'glue-nope'");
    PB_ASSERT_MSG_HAS("toy");
}

static void test_toy_examples(void **state) {
    (void)state;
    pb_data_source a, b;
    pb_task_opts o = {.seed = 7, .max_seq_length = 24};
    assert_int_equal(pb_task_open("toy", &o, &a), 0);
    assert_int_equal(pb_task_open("toy", &o, &b), 0);
    assert_int_equal(a.seq, 24);
    assert_int_equal(a.head, PB_HEAD_CLS);
    pb_batch_buf x, y;
    assert_int_equal(pb_batch_buf_init(&x, 64, 24), 0);
    assert_int_equal(pb_batch_buf_init(&y, 64, 24), 0);
    long idx[64];
    for (int i = 0; i < 64; i++) idx[i] = i * 7;
    assert_int_equal(a.fill(a.ctx, PB_SPLIT_TRAIN, idx, 64, &x), 0);
    assert_int_equal(b.fill(b.ctx, PB_SPLIT_TRAIN, idx, 64, &y), 0);
    /* a pure function of (seed, split, index) */
    assert_memory_equal(x.input_ids, y.input_ids, 64 * 24 * sizeof(int32_t));
    assert_memory_equal(x.labels, y.labels, 64 * sizeof(int32_t));
    int counts[3] = {0, 0, 0}, padded = 0;
    for (int r = 0; r < 64; r++) {
        assert_true(x.labels[r] >= 0 && x.labels[r] < 3);
        counts[x.labels[r]]++;
        const int32_t *ids = x.input_ids + r * 24, *mask = x.attention_mask + r * 24;
        assert_int_equal(ids[0], 2); /* [CLS] */
        for (int t = 0; t < 24; t++) {
            assert_true(ids[t] >= 0 && ids[t] < a.vocab_size);
            assert_int_equal(mask[t], ids[t] != 0);
        }
        padded += mask[23] == 0;
    }
    assert_true(padded > 0);
    for (int c = 0; c < 3; c++) assert_true(counts[c] > 5);
    /* another split gives other examples; another seed too */
    assert_int_equal(a.fill(a.ctx, PB_SPLIT_DEV, idx, 64, &y), 0);
    assert_true(memcmp(x.input_ids, y.input_ids, 64 * 24 * sizeof(int32_t)) != 0);
    /* out of range index */
    idx[3] = 1L << 40;
    assert_int_equal(a.fill(a.ctx, PB_SPLIT_TRAIN, idx, 64, &x), PB_ERANGE);
    /* perfect logits score 100, but label noise means the rule alone does not */
    long n = a.count(a.ctx, PB_SPLIT_DEV);
    float *logits = calloc((size_t)n * 3, sizeof(float));
    assert_non_null(logits);
    pb_batch_buf big;
    assert_int_equal(pb_batch_buf_init(&big, (int)n, 24), 0);
    long *all = malloc(sizeof(long) * (size_t)n);
    for (long i = 0; i < n; i++) all[i] = i;
    assert_int_equal(a.fill(a.ctx, PB_SPLIT_DEV, all, (int)n, &big), 0);
    for (long i = 0; i < n; i++) logits[i * 3 + big.labels[i]] = 1.0f;
    pb_metrics mt;
    assert_int_equal(a.evaluate(a.ctx, PB_SPLIT_DEV, logits, &mt), 0);
    assert_string_equal(mt.name[0], "accuracy");
    assert_float_equal(mt.value[0], 100.0, 1e-9);
    free(all);
    free(logits);
    pb_batch_buf_free(&big);
    pb_batch_buf_free(&x);
    pb_batch_buf_free(&y);
    a.free(a.ctx);
    b.free(b.ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_unknown_task), cmocka_unit_test(test_toy_examples)};
    return cmocka_run_group_tests_name("tasks", tests, NULL, NULL);
}
