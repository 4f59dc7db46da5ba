/* The masked-LM task (tasks/mlm.c): packing of lines into rows checked by
 * hand, masking statistics against Hugging Face's DataCollatorForLanguageModeling
 * rates, static and seed-dependent masks, special tokens never chosen,
 * reduce + evaluate against a direct computation, errors, and a few training
 * steps.
 *
 * The vocabulary (pb_test_write_vocab): [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3
 * [MASK]=4, then WORDS from id 5; each word is one token. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlm.h"
#include "registry.h"
#include "testutil.h"
#include "trainer.h"

PB_TEST_TMPDIR_FIXTURE("mlm")

static const char *const WORDS[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k",   "l",  "m",  "n",  "o", "p",
                                    "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "the", "is", "it", "of", NULL};
enum { PAD = 0, UNK = 1, CLS = 2, SEP = 3, MASK = 4, W_A = 5, W_B, W_C, W_D, VOCAB = 35 };

static char g_vocab[256];

static pb_task_opts opts_for(const char *dir, int seq, uint64_t seed) {
    pb_test_write_vocab(g_dir, WORDS);
    pb_test_path(g_vocab, sizeof g_vocab, g_dir, "vocab.txt");
    pb_task_opts o = {.seed = seed, .max_seq_length = seq, .data_dir = dir, .tokenizer = g_vocab};
    return o;
}

static void put(const char *name, const char *text) {
    char p[512];
    pb_test_write_file(p, sizeof p, g_dir, name, text);
}

/* The unmasked id at each position: the label where one was chosen. */
static void originals(const pb_batch_buf *bb, int rows, int seq, int32_t *out) {
    for (int i = 0; i < rows * seq; i++) out[i] = bb->labels[i] != -100 ? bb->labels[i] : bb->input_ids[i];
}

/* Greedy packing with seq 8 (6 text tokens per row), by hand:
 *   "a b c" + "d a" fit (5)                         -> row 0: a b c d a
 *   "b c" does not fit after them                   -> row 1: b c
 *   the 14-token line fills rows 2 and 3 with 6 each, its last 2 (a b) start row 4,
 *   "c" joins them (blank lines in between are ignored) -> row 4: a b c */
static void test_packing(void **state) {
    (void)state;
    put("train.txt", "a b c\n\nd a\nb c\na b c d a b c d a b c d a b\n   \t\nc\n");
    put("dev.txt", "a\n");
    pb_task_opts o = opts_for(g_dir, 8, 3);
    pb_data_source ds;
    assert_int_equal(pb_task_mlm_open("mlm", &o, &ds), 0);
    assert_string_equal(ds.name, "mlm");
    assert_int_equal(ds.head, PB_HEAD_MLM);
    assert_int_equal(ds.seq, 8);
    assert_int_equal(ds.vocab_size, VOCAB);
    assert_int_equal(ds.reduce_stride, 16);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TRAIN), 5);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_DEV), 1);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TEST), 0); /* test.txt is optional */
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, 5, 8), 0);
    long idx[5] = {0, 1, 2, 3, 4};
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, idx, 5, &bb), 0);
    assert_int_equal(bb.b.n, 5);
    assert_int_equal(bb.b.choices, 1);
    assert_non_null(bb.b.labels);
    const int32_t A = W_A, B = W_B, C = W_C, D = W_D;
    const int32_t want[5][8] = {{CLS, A, B, C, D, A, SEP, PAD},
                                {CLS, B, C, SEP, PAD, PAD, PAD, PAD},
                                {CLS, A, B, C, D, A, B, SEP},
                                {CLS, C, D, A, B, C, D, SEP},
                                {CLS, A, B, C, SEP, PAD, PAD, PAD}};
    const int len[5] = {7, 4, 8, 8, 5};
    int32_t orig[40];
    originals(&bb, 5, 8, orig);
    for (int r = 0; r < 5; r++)
        for (int t = 0; t < 8; t++) {
            assert_int_equal(orig[r * 8 + t], want[r][t]);
            assert_int_equal(bb.attention_mask[r * 8 + t], t < len[r]);
            assert_int_equal(bb.token_type_ids[r * 8 + t], 0);
            /* [CLS], [SEP] and padding are never chosen */
            if (t == 0 || t >= len[r] - 1) {
                assert_int_equal(bb.labels[r * 8 + t], -100);
                assert_int_equal(bb.input_ids[r * 8 + t], want[r][t]);
            }
        }
    long bad = 5;
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, &bad, 1, &bb), PB_ERANGE);
    pb_batch_buf_free(&bb);
    ds.free(ds.ctx);
}

/* RoBERTa's byte-level BPE: rows are <s> tokens </s> padded with <pad> = 1;
 * lines are tokenized separately ("b" on its own line has no leading space). */
static void test_packing_bpe(void **state) {
    (void)state;
    char tok[256], p[512];
    pb_test_path(tok, sizeof tok, g_dir, "bpe");
    assert_int_equal(mkdir(tok, 0700), 0);
    pb_test_write_file(p, sizeof p, tok, "vocab.json",
                       "{\"<s>\": 0, \"<pad>\": 1, \"</s>\": 2, \"<unk>\": 3, \"<mask>\": 4, \"a\": 5, \"b\": 6, "
                       "\"\\u0120\": 7, \"\\u0120a\": 8, \"\\u0120b\": 9}");
    pb_test_write_file(p, sizeof p, tok, "merges.txt", "#version: 0.2\n\xC4\xA0 a\n\xC4\xA0 b\n");
    put("train.txt", "a b a\nb\n");
    put("dev.txt", "a\n");
    pb_task_opts o = {.seed = 1, .max_seq_length = 8, .data_dir = g_dir, .tokenizer = tok};
    pb_data_source ds;
    int rc = pb_task_mlm_open("mlm", &o, &ds);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_int_equal(ds.vocab_size, 10);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TRAIN), 1);
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, 1, 8), 0);
    long i0 = 0;
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, &i0, 1, &bb), 0);
    int32_t orig[8];
    originals(&bb, 1, 8, orig);
    const int32_t want[8] = {0, 5, 9, 8, 6, 2, 1, 1};
    assert_memory_equal(orig, want, sizeof want);
    for (int t = 0; t < 8; t++) assert_int_equal(bb.attention_mask[t], t < 6);
    pb_batch_buf_free(&bb);
    ds.free(ds.ctx);
    pb_test_tmpdir_remove(tok);
}

/* A deterministic corpus of `lines` lines of 3-14 random words, with
 * special tokens and an unknown word mixed in. */
static char *corpus(int lines, uint64_t seed) {
    size_t cap = (size_t)lines * 128 + 1, n = 0; /* at most 14 words of up to 7 bytes a line */
    char *s = malloc(cap);
    assert_non_null(s);
    uint64_t x = seed * 2654435761u + 1;
    for (int i = 0; i < lines; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        const int k = 3 + (int)((x >> 33) % 12);
        for (int j = 0; j < k; j++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            const int w = (int)((x >> 33) % 34);
            const char *word = w < 30 ? WORDS[w] : w == 30 ? "[MASK]" : w == 31 ? "[CLS]" : w == 32 ? "[SEP]" : "zzz";
            n += (size_t)snprintf(s + n, cap - n, "%s%s", j ? " " : "", word);
        }
        s[n++] = '\n';
    }
    s[n] = '\0';
    return s;
}

/* Rates over a corpus of about 230k eligible tokens. Hugging Face's collator:
 * each non-special token chosen with p = 0.15; a chosen one is [MASK] with
 * 0.8, a uniform id in [0, V) with 0.1, kept with 0.1. Observed, with V = 35:
 * the input equals the original with 0.1 + 0.1/V, equals [MASK] with
 * 0.8 + 0.1/V (a random draw may hit either), else another id with
 * 0.1 (1 - 2/V). Each rate is a binomial proportion, allowed 4 standard
 * deviations (sqrt(p (1 - p) / n)): a correct implementation fails a check
 * with probability about 6e-5, while a chosen rate off by one point (0.16)
 * or a split off by two (0.78 masked, 0.12 kept) lies beyond 4 deviations at
 * these counts (about 35k chosen tokens; checked by mutating mlm.c). */
static void test_mask_statistics(void **state) {
    (void)state;
    char *text = corpus(30000, 1);
    put("train.txt", text);
    free(text);
    put("dev.txt", "a b c\n");
    pb_task_opts o = opts_for(g_dir, 64, 42);
    pb_data_source ds;
    assert_int_equal(pb_task_mlm_open("mlm", &o, &ds), 0);
    const long rows = ds.count(ds.ctx, PB_SPLIT_TRAIN);
    assert_true(rows > 500);
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, (int)rows, 64), 0);
    long *idx = malloc(sizeof(long) * (size_t)rows);
    for (long i = 0; i < rows; i++) idx[i] = i;
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, idx, (int)rows, &bb), 0);
    long eligible = 0, chosen = 0, as_mask = 0, kept = 0, other = 0, unk_chosen = 0;
    int seen[VOCAB] = {0};
    for (long i = 0; i < rows * 64; i++) {
        const int t = (int)(i % 64);
        const int32_t in = bb.input_ids[i], lab = bb.labels[i];
        const int32_t orig = lab != -100 ? lab : in;
        assert_true(in >= 0 && in < VOCAB);
        const int special = orig == CLS || orig == SEP || orig == PAD || orig == MASK;
        if (lab == -100) {
            if (!special && bb.attention_mask[i]) eligible++;
            continue;
        }
        /* special tokens, template or literal, are never chosen; [UNK] may be */
        assert_false(special);
        assert_true(t > 0);
        eligible++;
        chosen++;
        unk_chosen += orig == UNK;
        if (in == MASK)
            as_mask++;
        else if (in == orig)
            kept++;
        else {
            other++;
            seen[in]++;
        }
    }
    const double V = VOCAB;
    const double p_choose = 0.15, p_mask = 0.8 + 0.1 / V, p_kept = 0.1 + 0.1 / V, p_other = 0.1 * (1 - 2 / V);
#define RATE_OK(k, n, p) (fabs((double)(k) / (double)(n) - (p)) < 4.0 * sqrt((p) * (1 - (p)) / (double)(n)))
    printf("mlm masking: %ld of %ld eligible chosen (%.4f); mask %.4f kept %.4f other %.4f\n", chosen, eligible,
           (double)chosen / (double)eligible, (double)as_mask / (double)chosen, (double)kept / (double)chosen,
           (double)other / (double)chosen);
    assert_true(eligible > 200000);
    assert_true(RATE_OK(chosen, eligible, p_choose));
    assert_true(RATE_OK(as_mask, chosen, p_mask));
    assert_true(RATE_OK(kept, chosen, p_kept));
    assert_true(RATE_OK(other, chosen, p_other));
    assert_true(unk_chosen > 0);
    /* random ids come from the whole vocabulary, special ids included (as HF's randint(len(tokenizer))) */
    int distinct = 0;
    for (int v = 0; v < VOCAB; v++) distinct += seen[v] > 0;
    assert_true(distinct == VOCAB - 1); /* about 100 draws per id: all appear but [MASK], counted as masked */
    assert_true(seen[CLS] + seen[SEP] + seen[PAD] + seen[UNK] > 0);
    free(idx);
    pb_batch_buf_free(&bb);
    ds.free(ds.ctx);
}

/* Static masks: the same (seed, split, row) gives the same masks whatever the
 * batch; another seed or another split gives others. */
static void test_mask_determinism(void **state) {
    (void)state;
    char *text = corpus(400, 2);
    put("train.txt", text);
    put("dev.txt", text); /* the same text: only the split differs */
    free(text);
    pb_data_source a, b, c;
    pb_task_opts o = opts_for(g_dir, 32, 7);
    assert_int_equal(pb_task_mlm_open("mlm", &o, &a), 0);
    assert_int_equal(pb_task_mlm_open("mlm", &o, &b), 0);
    o.seed = 8;
    assert_int_equal(pb_task_mlm_open("mlm", &o, &c), 0);
    const long n = a.count(a.ctx, PB_SPLIT_TRAIN);
    assert_int_equal(n, a.count(a.ctx, PB_SPLIT_DEV));
    assert_true(n >= 64);
    pb_batch_buf x, y;
    assert_int_equal(pb_batch_buf_init(&x, 64, 32), 0);
    assert_int_equal(pb_batch_buf_init(&y, 64, 32), 0);
    long fwd[64], rev[64];
    for (int i = 0; i < 64; i++) fwd[i] = i, rev[i] = 63 - i;
    const size_t row = 32 * sizeof(int32_t);
    assert_int_equal(a.fill(a.ctx, PB_SPLIT_TRAIN, fwd, 64, &x), 0);
    assert_int_equal(b.fill(b.ctx, PB_SPLIT_TRAIN, rev, 64, &y), 0);
    for (int i = 0; i < 64; i++) {
        assert_memory_equal(x.input_ids + i * 32, y.input_ids + (63 - i) * 32, row);
        assert_memory_equal(x.labels + i * 32, y.labels + (63 - i) * 32, row);
    }
    /* the same once more from the same source (nothing is consumed) */
    assert_int_equal(a.fill(a.ctx, PB_SPLIT_TRAIN, rev, 64, &y), 0);
    assert_memory_equal(x.labels, y.labels + 63 * 32, row);
    int32_t ox[64 * 32], oy[64 * 32];
    /* another seed: other masks over the same rows */
    assert_int_equal(c.fill(c.ctx, PB_SPLIT_TRAIN, fwd, 64, &y), 0);
    originals(&x, 64, 32, ox);
    originals(&y, 64, 32, oy);
    assert_memory_equal(ox, oy, sizeof ox);
    assert_true(memcmp(x.labels, y.labels, 64 * row) != 0);
    /* another split: other masks over the same text */
    assert_int_equal(a.fill(a.ctx, PB_SPLIT_DEV, fwd, 64, &y), 0);
    originals(&y, 64, 32, oy);
    assert_memory_equal(ox, oy, sizeof ox);
    assert_true(memcmp(x.labels, y.labels, 64 * row) != 0);
    pb_batch_buf_free(&x);
    pb_batch_buf_free(&y);
    a.free(a.ctx);
    b.free(b.ctx);
    c.free(c.ctx);
}

/* reduce in two chunks then evaluate, against accuracy and perplexity computed
 * directly from the full logits and the labels fill gives. The model's
 * vocabulary (40) may exceed the tokenizer's (35). */
static void test_reduce_evaluate(void **state) {
    (void)state;
    char *text = corpus(60, 3);
    put("train.txt", "a b\n");
    put("dev.txt", text);
    free(text);
    enum { S = 16, MV = 40 };
    pb_task_opts o = opts_for(g_dir, S, 5);
    pb_data_source ds;
    assert_int_equal(pb_task_mlm_open("mlm", &o, &ds), 0);
    const int n = (int)ds.count(ds.ctx, PB_SPLIT_DEV);
    assert_true(n >= 8);
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, n, S), 0);
    long *idx = malloc(sizeof(long) * (size_t)n);
    for (int i = 0; i < n; i++) idx[i] = i;
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_DEV, idx, n, &bb), 0);
    const size_t stride = (size_t)S * MV;
    float *logits = malloc(sizeof(float) * (size_t)n * stride);
    uint64_t x = 99;
    for (size_t i = 0; i < (size_t)n * stride; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        logits[i] = (float)((double)(x >> 40) / 16777216.0 * 8.0 - 4.0);
    }
    /* a tie at the first masked token: the label and id 0 share the maximum, so the prediction is 0 (the first) */
    size_t first_masked = SIZE_MAX;
    for (size_t i = 0; i < (size_t)n * S && first_masked == SIZE_MAX; i++)
        if (bb.labels[i] != -100) first_masked = i;
    assert_true(first_masked != SIZE_MAX);
    logits[first_masked * MV + 0] = 9.0f;
    logits[first_masked * MV + (size_t)bb.labels[first_masked]] = 9.0f;
    /* direct: argmax (first on ties) and log-softmax over the full logits */
    long masked = 0, correct = 0;
    double nll = 0.0;
    for (size_t i = 0; i < (size_t)n * S; i++) {
        if (bb.labels[i] == -100) continue;
        const float *l = logits + i * MV;
        int best = 0;
        double sum = 0.0, mx = -INFINITY;
        for (int v = 0; v < MV; v++) {
            if (l[v] > l[best]) best = v;
            if (l[v] > mx) mx = l[v];
        }
        for (int v = 0; v < MV; v++) sum += exp((double)l[v] - mx);
        masked++;
        correct += best == bb.labels[i];
        nll -= (double)l[bb.labels[i]] - mx - log(sum);
    }
    assert_true(masked > 10);
    float *red = malloc(sizeof(float) * (size_t)n * ds.reduce_stride);
    const int k = n / 3;
    assert_int_equal(ds.reduce(ds.ctx, PB_SPLIT_DEV, 0, k, logits, stride, red), 0);
    assert_int_equal(ds.reduce(ds.ctx, PB_SPLIT_DEV, k, n - k, logits + (size_t)k * stride, stride,
                               red + (size_t)k * ds.reduce_stride),
                     0);
    /* the tie's prediction is id 0 */
    const size_t fr = first_masked / S, ft = first_masked % S;
    assert_true(red[fr * 2 * S + ft] == 0.0f);
    pb_metrics m;
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_DEV, red, &m), 0);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.name[0], "accuracy");
    assert_string_equal(m.name[1], "perplexity");
    const double acc = 100.0 * (double)correct / (double)masked, ppl = exp(nll / (double)masked);
    printf("mlm reduce: %ld masked tokens, accuracy %.4f%% perplexity %.6f (direct %.6f)\n", masked, m.value[0],
           m.value[1], ppl);
    assert_true(fabs(m.value[0] - acc) < 1e-9);
    /* log-probabilities are kept as floats: relative error about 1e-7 each */
    assert_true(fabs(m.value[1] - ppl) < 1e-5 * ppl);
    /* bad strides and ranges */
    assert_int_equal(ds.reduce(ds.ctx, PB_SPLIT_DEV, 0, 1, logits, stride + 1, red), PB_EINVAL);
    assert_int_equal(ds.reduce(ds.ctx, PB_SPLIT_DEV, 0, 1, logits, (size_t)S * 20, red), PB_ERANGE);
    PB_ASSERT_MSG_HAS("vocabulary 35");
    assert_int_equal(ds.reduce(ds.ctx, PB_SPLIT_DEV, n - 1, 2, logits, stride, red), PB_ERANGE);
    free(red);
    free(logits);
    free(idx);
    pb_batch_buf_free(&bb);
    ds.free(ds.ctx);
}

static void expect_error(int seq, int rc, const char *n1, const char *n2) {
    pb_data_source ds;
    pb_task_opts o = opts_for(g_dir, seq, 1);
    pb_error_clear();
    const int got = pb_task_mlm_open("mlm", &o, &ds);
    if (got != rc) print_error("rc %d (%s), expected %d\n", got, pb_error_msg(), rc);
    assert_int_equal(got, rc);
    PB_ASSERT_MSG_HAS(n1);
    if (n2) PB_ASSERT_MSG_HAS(n2);
}

static void test_errors(void **state) {
    (void)state;
    char p[512];
    remove(pb_test_path(p, sizeof p, g_dir, "train.txt"));
    remove(pb_test_path(p, sizeof p, g_dir, "dev.txt"));
    remove(pb_test_path(p, sizeof p, g_dir, "test.txt"));
    put("dev.txt", "a\n");
    expect_error(16, PB_ENOTFOUND, "missing file", "train.txt");
    put("train.txt", "a\n");
    remove(pb_test_path(p, sizeof p, g_dir, "dev.txt"));
    expect_error(16, PB_ENOTFOUND, "missing file", "dev.txt");
    put("dev.txt", "\n  \n\t\n"); /* blank lines only */
    expect_error(16, PB_EFORMAT, "dev.txt", "empty file");
    put("dev.txt", "a\n");
    put("test.txt", ""); /* an optional file that is present must hold text */
    expect_error(16, PB_EFORMAT, "test.txt", "empty file");
    remove(pb_test_path(p, sizeof p, g_dir, "test.txt"));
    expect_error(4, PB_EINVAL, "max_seq_length 4", NULL);
    /* a vocabulary without [MASK] */
    pb_data_source ds;
    pb_task_opts o = opts_for(g_dir, 16, 1);
    char nomask[512];
    pb_test_write_file(nomask, sizeof nomask, g_dir, "nomask.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\na\n");
    o.tokenizer = nomask;
    assert_int_equal(pb_task_mlm_open("mlm", &o, &ds), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("nomask.txt");
    PB_ASSERT_MSG_HAS("no mask token");
    o = opts_for(g_dir, 16, 1);
    o.data_dir = NULL;
    assert_int_equal(pb_task_mlm_open("mlm", &o, &ds), PB_EINVAL);
    PB_ASSERT_MSG_HAS("data_dir is not set");
    remove(nomask);
}

/* A few steps of masked-LM training on a small random model. */
static void test_mlm_train(void **state) {
    (void)state;
    char *text = corpus(300, 4);
    put("train.txt", text);
    free(text);
    text = corpus(40, 5);
    put("dev.txt", text);
    free(text);
    enum { S = 32, BATCH = 8 };
    pb_task_opts o = opts_for(g_dir, S, 11);
    pb_data_source ds;
    assert_int_equal(pb_task_mlm_open("mlm", &o, &ds), 0);
    const long n_train = ds.count(ds.ctx, PB_SPLIT_TRAIN);
    assert_true(n_train >= 2 * BATCH);
    pb_config c;
    pb_test_config(&c, PB_MODEL_BERT, ds.vocab_size, 16, 1, 2, 32, S);
    pb_model m;
    assert_int_equal(pb_model_init(&m, &c, PB_HEAD_MLM, BATCH, S), 0);
    pb_model_init_weights(&m, 3);
    pb_train_spec s;
    pb_test_train_spec(&s, 1, BATCH, 1e-4, 0);
    pb_train_result r;
    pb_test_train_ok(&m, &ds, &s, &r);
    assert_int_equal(r.steps, n_train / BATCH);
    /* a near-uniform start: the loss is about ln(vocab) */
    assert_true(fabs(r.curves[PB_CURVE_LOSS] - log((double)ds.vocab_size)) < 1.5);
    assert_string_equal(r.final_metrics.name[0], "accuracy");
    assert_string_equal(r.final_metrics.name[1], "perplexity");
    printf("mlm train: %ld steps, dev accuracy %.2f%%, perplexity %.3f\n", r.steps, r.final_metrics.value[0],
           r.final_metrics.value[1]);
    assert_true(r.final_metrics.value[0] >= 0.0 && r.final_metrics.value[0] <= 100.0);
    assert_true(isfinite(r.final_metrics.value[1]) && r.final_metrics.value[1] > 1.0);
    pb_train_result_free(&r);
    pb_model_free(&m);
    ds.free(ds.ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packing),         cmocka_unit_test(test_packing_bpe),
        cmocka_unit_test(test_mask_statistics), cmocka_unit_test(test_mask_determinism),
        cmocka_unit_test(test_reduce_evaluate), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_mlm_train),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
