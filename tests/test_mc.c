/* The SMC multiple-choice loaders (tasks/mc.c) on tiny fixtures written here
 * in each upstream format: exact ids of hand-tokenized rows, labels, counts,
 * order, accuracy on constructed logits, every error path, and a few training
 * steps on CommonsenseQA.
 *
 * The vocabulary (pb_test_write_vocab): [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3
 * [MASK]=4, then WORDS from id 5. Expected ids below are tokenized by hand
 * with BERT's uncased basic tokenizer (lowercase, punctuation split:
 * "didn't" -> didn ' t, "What is red?" -> what is red ?) and WordPiece
 * ("apples" -> apple ##s); rows are [CLS] A [SEP] B [SEP] with token types 0
 * up to the first [SEP] and 1 after, then [PAD] with attention mask 0. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mc.h"
#include "registry.h"
#include "testutil.h"
#include "tok.h"
#include "trainer.h"

static const char *const WORDS[] = {"what",     "is",      "red",    "?",    "apple", "sky",   "grass",   "blood",
                                    "snow",     "the",     "trophy", "didn", "'",     "t",     "fit",     "in",
                                    "suitcase", "because", "was",    "too",  "big",   "small", "article", "text",
                                    "a",        "b",       "c",      "d",    "##s",   ".",     "it",      NULL};
enum {
    CLS = 2,
    SEP = 3,
    WHAT = 5,
    IS,
    RED,
    QM,
    APPLE,
    SKY,
    GRASS,
    BLOOD,
    SNOW,
    THE,
    TROPHY,
    DIDN,
    APOS,
    T,
    FIT,
    IN,
    SUITCASE,
    BECAUSE,
    WAS,
    TOO,
    BIG,
    SMALL,
    ARTICLE,
    TEXT,
    A,
    B,
    C,
    D,
    HASH_S,
    DOT,
    IT
};

/* ---- a temp tree (RACE needs folders) ---- */

static char g_root[128];

static int setup(void **state) {
    (void)state;
    return pb_test_tmpdir_create(g_root, sizeof g_root, "mc");
}

static int teardown(void **state) {
    (void)state;
    pb_test_tmpdir_remove(g_root);
    return 0;
}

/* A fresh folder g_root/name (the vocabulary goes into g_root). */
static void case_dir(char *out, size_t cap, const char *name) {
    pb_test_write_vocab(g_root, WORDS);
    snprintf(out, cap, "%s/%s", g_root, name);
    pb_test_tmpdir_remove(out);
    assert_int_equal(mkdir(out, 0700), 0);
}

/* dir/rel with its parent folders. */
static void put(const char *dir, const char *rel, const char *text) {
    char p[1024], buf[2200];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    for (char *s = strchr(p + strlen(dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(p, 0700);
        *s = '/';
    }
    char *slash = strrchr(p, '/');
    *slash = '\0';
    pb_test_write_file(buf, sizeof buf, p, slash + 1, text);
}

static pb_task_opts opts_for(const char *dir, int seq) {
    static char vocab[256];
    snprintf(vocab, sizeof vocab, "%s/vocab.txt", g_root);
    pb_task_opts o = {.seed = 1, .max_seq_length = seq, .data_dir = dir, .tokenizer = vocab};
    return o;
}

typedef int (*open_fn)(const char *, const pb_task_opts *, pb_data_source *);

/* Row `row` of bb (seq long) is ids[0..n) with token types 0 through the first
 * [SEP] and 1 after, then padding. */
static void expect_row(const pb_batch_buf *bb, int row, int seq, const int32_t *ids, int n) {
    const int32_t *got = bb->input_ids + (size_t)row * seq, *mask = bb->attention_mask + (size_t)row * seq,
                  *types = bb->token_type_ids + (size_t)row * seq;
    int type = 0;
    for (int t = 0; t < seq; t++) {
        const int32_t want = t < n ? ids[t] : 0;
        if (got[t] != want) print_error("row %d token %d: got %d want %d\n", row, t, got[t], want);
        assert_int_equal(got[t], want);
        assert_int_equal(mask[t], t < n);
        assert_int_equal(types[t], t < n ? type : 0);
        if (t < n && ids[t] == SEP) type = 1;
    }
}

/* ---- CommonsenseQA ------------------------------------------------------------ */

#define CSQA_CH(a, b, c, d, e)                                                                                         \
    "\"choices\": [{\"label\": \"A\", \"text\": \"" a "\"}, {\"label\": \"B\", \"text\": \"" b                         \
    "\"}, {\"label\": \"C\", \"text\": \"" c "\"}, {\"label\": \"D\", \"text\": \"" d "\"}, {\"label\": \"E\", "       \
    "\"text\": \"" e "\"}]"

static const char CSQA_TRAIN[] =
    "{\"answerKey\": \"B\", \"id\": \"q1\", \"question\": {\"question_concept\": \"red\", " CSQA_CH(
        "sky", "apple", "grass", "snow",
        "blood red") ", \"stem\": \"What is red?\"}}\n"
                     "   \n"
                     /* the labels in another order: the label is the index of answerKey among them */
                     "{\"answerKey\": \"D\", \"id\": \"q2\", \"question\": {\"question_concept\": \"red\", "
                     "\"choices\": [{\"label\": "
                     "\"E\", \"text\": \"snow\"}, {\"label\": \"D\", \"text\": \"Apples\"}, {\"label\": \"C\", "
                     "\"text\": \"sky\"}, "
                     "{\"label\": \"B\", \"text\": \"grass\"}, {\"label\": \"A\", \"text\": \"the sky\"}], \"stem\": "
                     "\"What is "
                     "red?\"}}\n";

static const char CSQA_DEV[] = "{\"answerKey\": \"A\", \"id\": \"d1\", \"question\": {" CSQA_CH(
    "sky", "apple", "grass", "snow",
    "blood") ", \"stem\": \"what is it?\"}}\n"
             "{\"answerKey\": \"B\", \"id\": \"d2\", \"question\": {" CSQA_CH(
                 "sky", "apple", "grass", "snow",
                 "blood") ", \"stem\": \"what is the sky?\"}}\n"
                          "{\"answerKey\": \"E\", \"id\": \"d3\", \"question\": {" CSQA_CH(
                              "sky", "apple", "grass", "snow", "blood") ", \"stem\": \"what is red?\"}}";

static const char CSQA_TEST[] =
    "{\"id\": \"t1\", \"question\": {" CSQA_CH("sky", "apple", "grass", "snow", "blood") ", \"stem\": \"what?\"}}\n";

static void write_csqa(const char *dir) {
    put(dir, "train_rand_split.jsonl", CSQA_TRAIN);
    put(dir, "dev_rand_split.jsonl", CSQA_DEV);
}

static void test_csqa_rows(void **state) {
    (void)state;
    char dir[256];
    case_dir(dir, sizeof dir, "csqa");
    write_csqa(dir);
    /* no answerKey, or "" as in Hugging Face's copy of the test split */
    char test_file[2048];
    snprintf(test_file, sizeof test_file,
             "%s{\"answerKey\": \"\", \"question\": {" CSQA_CH("a", "b", "c", "d", "e") ", \"stem\": \"it\"}}\n",
             CSQA_TEST);
    put(dir, "test_rand_split_no_answers.jsonl", test_file);
    pb_data_source ds;
    pb_task_opts o = opts_for(dir, 16);
    assert_int_equal(pb_task_csqa_open("commonsenseqa", &o, &ds), 0);
    assert_string_equal(ds.name, "commonsenseqa");
    assert_int_equal(ds.head, PB_HEAD_MC);
    assert_int_equal(ds.choices, 5);
    assert_int_equal(ds.seq, 16);
    assert_int_equal(ds.vocab_size, 36); /* 5 specials + 31 words */
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TRAIN), 2);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_DEV), 3);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TEST), 2);
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, 10, 16), 0);
    long idx[2] = {1, 0}; /* reversed: rows follow idx */
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, idx, 2, &bb), 0);
    assert_int_equal(bb.b.n, 2);
    assert_int_equal(bb.b.choices, 5);
    assert_int_equal(bb.b.seq, 16);
    assert_non_null(bb.b.labels);
    /* q2: answerKey D is the second label -> 1; q1: B -> 1 too, so check q2's rows */
    assert_int_equal(bb.b.labels[0], 1);
    assert_int_equal(bb.b.labels[1], 1);
    const int32_t q2c0[] = {CLS, WHAT, IS, RED, QM, SEP, SNOW, SEP};
    const int32_t q2c1[] = {CLS, WHAT, IS, RED, QM, SEP, APPLE, HASH_S, SEP}; /* "Apples" -> apple ##s */
    const int32_t q2c4[] = {CLS, WHAT, IS, RED, QM, SEP, THE, SKY, SEP};
    const int32_t q1c0[] = {CLS, WHAT, IS, RED, QM, SEP, SKY, SEP};
    const int32_t q1c4[] = {CLS, WHAT, IS, RED, QM, SEP, BLOOD, RED, SEP};
    expect_row(&bb, 0, 16, q2c0, 8);
    expect_row(&bb, 1, 16, q2c1, 9);
    expect_row(&bb, 4, 16, q2c4, 9);
    expect_row(&bb, 5, 16, q1c0, 8);
    expect_row(&bb, 9, 16, q1c4, 9);
    /* dev labels A, B, E -> 0, 1, 4 */
    long d[3] = {0, 1, 2};
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_DEV, d, 2, &bb), 0);
    assert_int_equal(bb.b.labels[0], 0);
    assert_int_equal(bb.b.labels[1], 1);
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_DEV, d + 2, 1, &bb), 0);
    assert_int_equal(bb.b.labels[0], 4);
    /* accuracy: ties go to the first choice (pb_argmax), so example 2's tie
     * between choices 0 and 1 predicts 0 against label 1: 2 of 3 right */
    const float logits[15] = {3, 3, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 5};
    pb_metrics m;
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_DEV, logits, &m), 0);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.name[0], "accuracy");
    assert_true(fabs(m.value[0] - 200.0 / 3.0) < 1e-12);
    /* the test split loads without labels: fill gives none, evaluate refuses */
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TEST, d, 1, &bb), 0);
    assert_null(bb.b.labels);
    const int32_t t0[] = {CLS, WHAT, QM, SEP, GRASS, SEP};
    expect_row(&bb, 2, 16, t0, 6);
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_TEST, logits, &m), PB_EINVAL);
    PB_ASSERT_MSG_HAS("test_rand_split_no_answers.jsonl");
    PB_ASSERT_MSG_HAS("no labels");
    /* out of range, too small a buffer */
    long bad = 2;
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, &bad, 1, &bb), PB_ERANGE);
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, d, 3, &bb), PB_ERANGE); /* 15 rows > 10 */
    pb_batch_buf_free(&bb);
    ds.free(ds.ctx);

    /* default length 128; no test file: count 0 */
    char p[512];
    remove(pb_test_path(p, sizeof p, dir, "test_rand_split_no_answers.jsonl"));
    o = opts_for(dir, 0);
    assert_int_equal(pb_task_csqa_open("commonsenseqa", &o, &ds), 0);
    assert_int_equal(ds.seq, 128);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TEST), 0);
    ds.free(ds.ctx);

    /* truncation longest_first: seq 8 leaves 5 text tokens; "what is red ? apple apple" (6) with "sky" (1)
     * loses 2 from the longer first segment: what is red ? | sky */
    put(dir, "train_rand_split.jsonl",
        "{\"answerKey\": \"A\", \"question\": {" CSQA_CH("sky", "b", "c", "d", "a b c d") ", \"stem\": \"what is "
                                                                                          "red? apple apple\"}}\n");
    o = opts_for(dir, 8);
    assert_int_equal(pb_task_csqa_open("commonsenseqa", &o, &ds), 0);
    assert_int_equal(pb_batch_buf_init(&bb, 5, 8), 0);
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, d, 1, &bb), 0);
    const int32_t tr0[] = {CLS, WHAT, IS, RED, QM, SEP, SKY, SEP};
    /* 6 + 4 > 5: ties go to the second segment, then the longer: (6,4) -> (5,4) (4,4) (4,3) (3,3) (3,2) */
    const int32_t tr4[] = {CLS, WHAT, IS, RED, SEP, A, B, SEP};
    expect_row(&bb, 0, 8, tr0, 8);
    expect_row(&bb, 4, 8, tr4, 8);
    pb_batch_buf_free(&bb);
    ds.free(ds.ctx);
}

/* The stored rows agree with pb_tok_encode_pair (the tokenizer's own
 * template, truncation and padding) on random stems and choices of 0-14 words
 * at a length of 12, so that most rows are truncated from one side or both. */
static void test_csqa_matches_encode_pair(void **state) {
    (void)state;
    char dir[256];
    case_dir(dir, sizeof dir, "c_pair");
    enum { N = 40, SEQ = 12 };
    static char stems[N][160], texts[N][5][160];
    size_t cap = 1 << 17, len = 0;
    char *file = malloc(cap);
    assert_non_null(file);
    uint64_t x = 12345;
    for (int i = 0; i < N; i++) {
        for (int k = -1; k < 5; k++) {
            char *out = k < 0 ? stems[i] : texts[i][k];
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            const int words = (int)((x >> 33) % 15);
            size_t o = 0;
            out[0] = '\0';
            for (int w = 0; w < words; w++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                o += (size_t)snprintf(out + o, 160 - o, "%s%s", w ? " " : "", WORDS[(x >> 33) % 28]);
            }
        }
        len += (size_t)snprintf(file + len, cap - len,
                                "{\"answerKey\": \"C\", \"question\": {\"stem\": \"%s\", \"choices\": [{\"label\": "
                                "\"A\", \"text\": \"%s\"}, {\"label\": \"B\", \"text\": \"%s\"}, {\"label\": \"C\", "
                                "\"text\": \"%s\"}, {\"label\": \"D\", \"text\": \"%s\"}, {\"label\": \"E\", "
                                "\"text\": \"%s\"}]}}\n",
                                stems[i], texts[i][0], texts[i][1], texts[i][2], texts[i][3], texts[i][4]);
    }
    put(dir, "train_rand_split.jsonl", file);
    put(dir, "dev_rand_split.jsonl", CSQA_DEV);
    free(file);
    pb_task_opts o = opts_for(dir, SEQ);
    pb_data_source ds;
    assert_int_equal(pb_task_csqa_open("commonsenseqa", &o, &ds), 0);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TRAIN), N);
    pb_tok *tok;
    assert_int_equal(pb_tok_load(&tok, o.tokenizer), 0);
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, 5, SEQ), 0);
    int truncated = 0;
    for (long i = 0; i < N; i++) {
        assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, &i, 1, &bb), 0);
        assert_int_equal(bb.b.labels[0], 2);
        for (int k = 0; k < 5; k++) {
            pb_encoding e;
            assert_int_equal(pb_tok_encode_pair(tok, stems[i], texts[i][k], SEQ, PB_TRUNC_LONGEST_FIRST, &e), 0);
            assert_memory_equal(bb.input_ids + k * SEQ, e.input_ids, SEQ * sizeof(int32_t));
            assert_memory_equal(bb.token_type_ids + k * SEQ, e.token_type_ids, SEQ * sizeof(int32_t));
            assert_memory_equal(bb.attention_mask + k * SEQ, e.attention_mask, SEQ * sizeof(int32_t));
            truncated += e.n_tokens == SEQ;
            pb_encoding_free(&e);
        }
    }
    assert_true(truncated > 50); /* the truncation paths were exercised */
    pb_tok_free(tok);
    pb_batch_buf_free(&bb);
    ds.free(ds.ctx);
}

/* Opening the fixture in dir fails with rc and a message holding both needles. */
static void expect_open_error(open_fn fn, const char *name, const char *dir, int rc, const char *n1, const char *n2) {
    pb_data_source ds;
    pb_task_opts o = opts_for(dir, 32);
    pb_error_clear();
    const int got = fn(name, &o, &ds);
    if (got != rc) print_error("rc %d (%s), expected %d\n", got, pb_error_msg(), rc);
    assert_int_equal(got, rc);
    PB_ASSERT_MSG_HAS(n1);
    if (n2) PB_ASSERT_MSG_HAS(n2);
}

static const char CSQA_GOOD[] = "{\"answerKey\": \"A\", \"question\": {" CSQA_CH(
    "sky", "apple", "grass", "snow", "blood") ", \"stem\": \"what is red?\"}}\n";

/* Train file = a good line 1, then `second` on line 2. */
static void csqa_bad_train(const char *tag, const char *second, int rc, const char *n2) {
    char dir[256], text[2048];
    case_dir(dir, sizeof dir, tag);
    write_csqa(dir);
    snprintf(text, sizeof text, "%s%s\n", CSQA_GOOD, second);
    put(dir, "train_rand_split.jsonl", text);
    expect_open_error(pb_task_csqa_open, "commonsenseqa", dir, rc, "train_rand_split.jsonl:2", n2);
}

static void test_csqa_errors(void **state) {
    (void)state;
    csqa_bad_train("c_json", "{\"answerKey\": \"A\", ", PB_EFORMAT, NULL);
    csqa_bad_train("c_obj", "[1, 2]", PB_EFORMAT, "expected a JSON object");
    csqa_bad_train("c_q", "{\"answerKey\": \"A\"}", PB_EFORMAT, "missing object \"question\"");
    csqa_bad_train("c_stem", "{\"answerKey\": \"A\", \"question\": {" CSQA_CH("a", "b", "c", "d", "a") "}}", PB_EFORMAT,
                   "missing string \"question.stem\"");
    csqa_bad_train("c_choices", "{\"answerKey\": \"A\", \"question\": {\"stem\": \"x\"}}", PB_EFORMAT,
                   "missing array \"question.choices\"");
    csqa_bad_train("c_four",
                   "{\"answerKey\": \"A\", \"question\": {\"stem\": \"x\", \"choices\": [{\"label\": \"A\", \"text\": "
                   "\"a\"}, {\"label\": \"B\", \"text\": \"b\"}, {\"label\": \"C\", \"text\": \"c\"}, {\"label\": "
                   "\"D\", \"text\": \"d\"}]}}",
                   PB_EFORMAT, "\"question.choices\" has 4 entries; expected 5");
    csqa_bad_train("c_text",
                   "{\"answerKey\": \"A\", \"question\": {\"stem\": \"x\", \"choices\": [{\"label\": \"A\", \"text\": "
                   "\"a\"}, {\"label\": \"B\", \"text\": \"b\"}, {\"label\": \"C\"}, {\"label\": \"D\", \"text\": "
                   "\"d\"}, {\"label\": \"E\", \"text\": \"e\"}]}}",
                   PB_EFORMAT, "\"question.choices[2]\" needs strings");
    csqa_bad_train("c_key",
                   "{\"answerKey\": \"F\", \"question\": {" CSQA_CH("a", "b", "c", "d", "a") ", \"stem\": \"x\"}}",
                   PB_EFORMAT, "answerKey \"F\" is not one of the choice labels A, B, C, D, E");
    csqa_bad_train("c_keytype",
                   "{\"answerKey\": 1, \"question\": {" CSQA_CH("a", "b", "c", "d", "a") ", \"stem\": \"x\"}}",
                   PB_EFORMAT, "\"answerKey\" is not a string");
    csqa_bad_train("c_nokey", "{\"question\": {" CSQA_CH("a", "b", "c", "d", "a") ", \"stem\": \"x\"}}", PB_EFORMAT,
                   "missing \"answerKey\"; the train split needs answers");

    char dir[256];
    /* empty file */
    case_dir(dir, sizeof dir, "c_empty");
    write_csqa(dir);
    put(dir, "dev_rand_split.jsonl", "\n\n");
    expect_open_error(pb_task_csqa_open, "commonsenseqa", dir, PB_EFORMAT, "dev_rand_split.jsonl", "empty file");
    /* missing dev file */
    case_dir(dir, sizeof dir, "c_nodev");
    put(dir, "train_rand_split.jsonl", CSQA_TRAIN);
    expect_open_error(pb_task_csqa_open, "commonsenseqa", dir, PB_ENOTFOUND, "missing file", "dev_rand_split.jsonl");
    /* a test file with answers on some lines only */
    case_dir(dir, sizeof dir, "c_mixed");
    write_csqa(dir);
    char text[2048];
    snprintf(text, sizeof text, "%s%s", CSQA_TEST, CSQA_GOOD);
    put(dir, "test_rand_split_no_answers.jsonl", text);
    expect_open_error(pb_task_csqa_open, "commonsenseqa", dir, PB_EFORMAT, "test_rand_split_no_answers.jsonl:2",
                      "has \"answerKey\" but line 1 lacks it");
    /* no data folder, no tokenizer */
    case_dir(dir, sizeof dir, "c_none");
    char nodir[300];
    snprintf(nodir, sizeof nodir, "%s/absent", dir);
    expect_open_error(pb_task_csqa_open, "commonsenseqa", nodir, PB_ENOTFOUND, "absent", "not a folder");
    pb_data_source ds;
    pb_task_opts o = {.data_dir = dir};
    assert_int_equal(pb_task_csqa_open("commonsenseqa", &o, &ds), PB_EINVAL);
    PB_ASSERT_MSG_HAS("tokenizer is not set");
}

/* ---- WinoGrande --------------------------------------------------------------- */

static const char WINO_TRAIN_S[] =
    "{\"qID\": \"w1\", \"sentence\": \"The trophy didn't fit in the suitcase because _ was too big.\", "
    "\"option1\": \"trophy\", \"option2\": \"suitcase\", \"answer\": \"1\"}\n"
    "{\"qID\": \"w2\", \"sentence\": \"_  was too small. \", \"option1\": \"the trophy\", \"option2\": \"it\", "
    "\"answer\": \"2\"}\n"
    "{\"qID\": \"w3\", \"sentence\": \"it was _.\", \"option1\": \"big\", \"option2\": \"small\", \"answer\": "
    "\"2\"}\n";
static const char WINO_DEV[] = "{\"qID\": \"d1\", \"sentence\": \"it was _.\", \"option1\": \"big\", \"option2\": "
                               "\"small\", \"answer\": \"1\"}\n";

static void write_wino(const char *dir) {
    put(dir, "train_s.jsonl", WINO_TRAIN_S);
    /* a smaller size present too: the largest (train_s) is read */
    put(dir, "train_xs.jsonl", WINO_DEV);
    put(dir, "dev.jsonl", WINO_DEV);
}

static void test_winogrande_rows(void **state) {
    (void)state;
    char dir[256];
    case_dir(dir, sizeof dir, "wino");
    write_wino(dir);
    put(dir, "test.jsonl",
        "{\"qID\": \"t1\", \"sentence\": \"it was _.\", \"option1\": \"big\", \"option2\": \"small\"}\n"
        "{\"qID\": \"t2\", \"sentence\": \"_ was big.\", \"option1\": \"it\", \"option2\": \"the trophy\", "
        "\"answer\": \"\"}\n");
    pb_data_source ds;
    pb_task_opts o = opts_for(dir, 24);
    assert_int_equal(pb_task_winogrande_open("winogrande", &o, &ds), 0);
    assert_string_equal(ds.name, "winogrande");
    assert_int_equal(ds.choices, 2);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TRAIN), 3);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_DEV), 1);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TEST), 2);
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, 6, 24), 0);
    long idx[3] = {0, 1, 2};
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, idx, 3, &bb), 0);
    assert_int_equal(bb.b.labels[0], 0);
    assert_int_equal(bb.b.labels[1], 1);
    assert_int_equal(bb.b.labels[2], 1);
    /* the authors' featurization: A = the sentence before "_", B = option + " " + the rest stripped */
    const int32_t w1o1[] = {CLS,      THE,     TROPHY, DIDN,   APOS, T,   FIT, IN,  THE,
                            SUITCASE, BECAUSE, SEP,    TROPHY, WAS,  TOO, BIG, DOT, SEP};
    const int32_t w1o2[] = {CLS,      THE,     TROPHY, DIDN,     APOS, T,   FIT, IN,  THE,
                            SUITCASE, BECAUSE, SEP,    SUITCASE, WAS,  TOO, BIG, DOT, SEP};
    /* a blank at the start: A is empty */
    const int32_t w2o1[] = {CLS, SEP, THE, TROPHY, WAS, TOO, SMALL, DOT, SEP};
    const int32_t w2o2[] = {CLS, SEP, IT, WAS, TOO, SMALL, DOT, SEP};
    /* a blank at the end: B is the option and "." */
    const int32_t w3o2[] = {CLS, IT, WAS, SEP, SMALL, DOT, SEP};
    expect_row(&bb, 0, 24, w1o1, 18);
    expect_row(&bb, 1, 24, w1o2, 18);
    expect_row(&bb, 2, 24, w2o1, 9);
    expect_row(&bb, 3, 24, w2o2, 8);
    expect_row(&bb, 5, 24, w3o2, 7);
    /* the test split: no "answer", or "" as in Hugging Face's copy: unlabelled */
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TEST, idx, 2, &bb), 0);
    assert_null(bb.b.labels);
    const int32_t t2o2[] = {CLS, SEP, THE, TROPHY, WAS, BIG, DOT, SEP};
    expect_row(&bb, 3, 24, t2o2, 8);
    /* accuracy on train: one right (w2), one tie -> option1 (w3: label 1, wrong), one wrong (w1) */
    const float logits[6] = {-1, 2, 0, 1, 0.5f, 0.5f};
    pb_metrics m;
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_TRAIN, logits, &m), 0);
    assert_true(fabs(m.value[0] - 100.0 / 3.0) < 1e-12);
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_TEST, logits, &m), PB_EINVAL);
    PB_ASSERT_MSG_HAS("test.jsonl");
    pb_batch_buf_free(&bb);
    ds.free(ds.ctx);
}

static void wino_bad_train(const char *tag, const char *second, int rc, const char *n2) {
    char dir[256], text[2048];
    case_dir(dir, sizeof dir, tag);
    write_wino(dir);
    snprintf(text, sizeof text, "%s%s\n", WINO_DEV, second);
    put(dir, "train_xl.jsonl", text);
    expect_open_error(pb_task_winogrande_open, "winogrande", dir, rc, "train_xl.jsonl:2", n2);
}

static void test_winogrande_errors(void **state) {
    (void)state;
    wino_bad_train("w_json", "{\"sentence\": ", PB_EFORMAT, NULL);
    wino_bad_train("w_noblank",
                   "{\"sentence\": \"it was big.\", \"option1\": \"a\", \"option2\": \"b\", \"answer\": \"1\"}",
                   PB_EFORMAT, "\"sentence\" has 0 \"_\"; expected exactly one blank");
    wino_bad_train("w_two", "{\"sentence\": \"_ was _.\", \"option1\": \"a\", \"option2\": \"b\", \"answer\": \"1\"}",
                   PB_EFORMAT, "\"sentence\" has 2 \"_\"");
    wino_bad_train("w_answer", "{\"sentence\": \"_ was.\", \"option1\": \"a\", \"option2\": \"b\", \"answer\": \"3\"}",
                   PB_EFORMAT, "\"answer\" is \"3\"; expected \"1\" or \"2\"");
    wino_bad_train("w_answer_int", "{\"sentence\": \"_ was.\", \"option1\": \"a\", \"option2\": \"b\", \"answer\": 1}",
                   PB_EFORMAT, "\"answer\" is not a string");
    wino_bad_train("w_opt", "{\"sentence\": \"_ was.\", \"option1\": \"a\", \"answer\": \"1\"}", PB_EFORMAT,
                   "missing string \"option2\"");
    wino_bad_train("w_sent", "{\"option1\": \"a\", \"option2\": \"b\", \"answer\": \"1\"}", PB_EFORMAT,
                   "missing string \"sentence\"");
    wino_bad_train("w_noans", "{\"sentence\": \"_ was.\", \"option1\": \"a\", \"option2\": \"b\"}", PB_EFORMAT,
                   "missing \"answer\"; the train split needs answers");
    char dir[256];
    case_dir(dir, sizeof dir, "w_notrain");
    put(dir, "dev.jsonl", WINO_DEV);
    expect_open_error(pb_task_winogrande_open, "winogrande", dir, PB_ENOTFOUND, "no training file",
                      "train_xl.jsonl, train_l.jsonl");
    case_dir(dir, sizeof dir, "w_nodev");
    put(dir, "train_m.jsonl", WINO_DEV);
    expect_open_error(pb_task_winogrande_open, "winogrande", dir, PB_ENOTFOUND, "missing file", "dev.jsonl");
    case_dir(dir, sizeof dir, "w_empty");
    write_wino(dir);
    put(dir, "test.jsonl", "");
    expect_open_error(pb_task_winogrande_open, "winogrande", dir, PB_EFORMAT, "test.jsonl", "empty file");
}

/* RoBERTa's byte-level BPE and template: <s> A </s></s> B </s>, token types
 * all 0, padding <pad> = 1. A tiny vocab.json + merges.txt: the authors'
 * context "a b " keeps its trailing space, which byte-level BPE encodes as
 * "Ġ" (GPT-2's pattern \s+(?!\S) matches it), as their RoBERTa runs did. */
static void test_winogrande_bpe(void **state) {
    (void)state;
    char dir[256], tok[300];
    case_dir(dir, sizeof dir, "wino_bpe");
    put(dir, "tok/vocab.json",
        "{\"<s>\": 0, \"<pad>\": 1, \"</s>\": 2, \"<unk>\": 3, \"<mask>\": 4, \"a\": 5, \"b\": 6, \"\\u0120\": 7, "
        "\"\\u0120a\": 8, \"\\u0120b\": 9, \".\": 10}");
    put(dir, "tok/merges.txt", "#version: 0.2\n\xC4\xA0 a\n\xC4\xA0 b\n");
    const char *rec = "{\"sentence\": \"a b _ a.\", \"option1\": \"a\", \"option2\": \"b\", \"answer\": \"2\"}\n";
    put(dir, "train_xl.jsonl", rec);
    put(dir, "dev.jsonl", rec);
    snprintf(tok, sizeof tok, "%s/tok", dir);
    pb_task_opts o = {.seed = 1, .max_seq_length = 12, .data_dir = dir, .tokenizer = tok};
    pb_data_source ds;
    int rc = pb_task_winogrande_open("winogrande", &o, &ds);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_int_equal(ds.vocab_size, 11);
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, 2, 12), 0);
    long i0 = 0;
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_DEV, &i0, 1, &bb), 0);
    assert_int_equal(bb.b.labels[0], 1);
    /* A = "a b " -> a Ġb Ġ; B = "a a." -> a Ġa . and "b a." -> b Ġa . */
    const int32_t want[2][12] = {{0, 5, 9, 7, 2, 2, 5, 8, 10, 2, 1, 1}, {0, 5, 9, 7, 2, 2, 6, 8, 10, 2, 1, 1}};
    for (int r = 0; r < 2; r++)
        for (int t = 0; t < 12; t++) {
            assert_int_equal(bb.input_ids[r * 12 + t], want[r][t]);
            assert_int_equal(bb.attention_mask[r * 12 + t], t < 10);
            assert_int_equal(bb.token_type_ids[r * 12 + t], 0);
        }
    pb_batch_buf_free(&bb);
    ds.free(ds.ctx);
}

/* ---- RACE --------------------------------------------------------------------------- */

static const char RACE_A[] =
    "{\"id\": \"high_a.txt\", \"article\": \"a b c.\", \"questions\": [\"what is it?\", \"it is _.\"], "
    "\"options\": [[\"a\", \"b\", \"c\", \"d\"], [\"red\", \"snow\", \"sky\", \"apple\"]], \"answers\": [\"B\", "
    "\"D\"]}";
static const char RACE_B[] = "{\"id\": \"high_B.txt\", \"article\": \"the text.\", \"questions\": [\"what?\"], "
                             "\"options\": [[\"a\", \"b\", \"c\", \"d\"]], \"answers\": [\"A\"]}";
static const char RACE_C[] = "{\"id\": \"middle_c.txt\", \"article\": \"the article.\", \"questions\": [\"what?\"], "
                             "\"options\": [[\"a\", \"b\", \"c\", \"d\"]], \"answers\": [\"C\"]}";

static void write_race(const char *dir) {
    put(dir, "train/high/a.txt", RACE_A);
    put(dir, "train/high/B.txt", RACE_B);
    put(dir, "train/high/notes.md", "not a RACE file");
    put(dir, "train/middle/c.txt", RACE_C);
    put(dir, "dev/high/x.txt", RACE_B);
    put(dir, "dev/middle/y.txt", RACE_C);
}

static void test_race_rows(void **state) {
    (void)state;
    char dir[256];
    case_dir(dir, sizeof dir, "race");
    write_race(dir);
    pb_data_source ds;
    pb_task_opts o = opts_for(dir, 16);
    assert_int_equal(pb_task_race_open("race", &o, &ds), 0);
    assert_string_equal(ds.name, "race");
    assert_int_equal(ds.choices, 4);
    /* order: level (high, middle), file name bytewise ("B.txt" < "a.txt"), question */
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TRAIN), 4);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_DEV), 2);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TEST), 0); /* no test folder */
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, 16, 16), 0);
    long idx[4] = {0, 1, 2, 3};
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, idx, 4, &bb), 0);
    const int32_t want_labels[4] = {0, 1, 3, 2}; /* B.txt A; a.txt B, D; c.txt C */
    for (int i = 0; i < 4; i++) assert_int_equal(bb.b.labels[i], want_labels[i]);
    /* B.txt: article "the text.", question "what?" without "_": question + " " + option */
    const int32_t b0[] = {CLS, THE, TEXT, DOT, SEP, WHAT, QM, A, SEP};
    /* a.txt question 0 option 1 */
    const int32_t a01[] = {CLS, A, B, C, DOT, SEP, WHAT, IS, IT, QM, B, SEP};
    /* a.txt question 1 is a cloze: "it is _." with option 3 "apple" */
    const int32_t a13[] = {CLS, A, B, C, DOT, SEP, IT, IS, APPLE, DOT, SEP};
    const int32_t c2[] = {CLS, THE, ARTICLE, DOT, SEP, WHAT, QM, C, SEP};
    expect_row(&bb, 0, 16, b0, 9);
    expect_row(&bb, 5, 16, a01, 12);
    expect_row(&bb, 11, 16, a13, 11);
    expect_row(&bb, 14, 16, c2, 9);
    /* predictions 0, 1, 2 (a tie between 2 and 3 goes to 2; label 3), 2: three of four right */
    const float logits[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0};
    pb_metrics m;
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_TRAIN, logits, &m), 0);
    assert_true(fabs(m.value[0] - 75.0) < 1e-12);
    pb_batch_buf_free(&bb);
    ds.free(ds.ctx);

    /* one level each; default length 512 */
    o = opts_for(dir, 0);
    assert_int_equal(pb_task_race_open("race-middle", &o, &ds), 0);
    assert_int_equal(ds.seq, 512);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TRAIN), 1);
    ds.free(ds.ctx);
    o = opts_for(dir, 16);
    assert_int_equal(pb_task_race_open("race-high", &o, &ds), 0);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TRAIN), 3);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_DEV), 1);
    ds.free(ds.ctx);

    /* truncation longest_first shortens the article: 9 + 5 text tokens into 7 slots */
    put(dir, "train/high/a.txt",
        "{\"article\": \"a b c d a b c d.\", \"questions\": [\"what is it?\"], \"options\": [[\"a\", \"b\", \"c\", "
        "\"d\"]], \"answers\": [\"A\"]}");
    o = opts_for(dir, 10);
    assert_int_equal(pb_task_race_open("race-high", &o, &ds), 0);
    assert_int_equal(pb_batch_buf_init(&bb, 4, 10), 0);
    long one = 1;
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, &one, 1, &bb), 0);
    /* (9,5) -> (5,5) from the article, tie from B (5,4), (4,4), tie (4,3) */
    const int32_t tr[] = {CLS, A, B, C, D, SEP, WHAT, IS, IT, SEP};
    expect_row(&bb, 0, 10, tr, 10);
    pb_batch_buf_free(&bb);
    ds.free(ds.ctx);
    expect_open_error(pb_task_race_open, "race-low", dir, PB_ENOTFOUND, "unknown task 'race-low'", NULL);
}

static void race_bad(const char *tag, const char *text, int rc, const char *n2) {
    char dir[256];
    case_dir(dir, sizeof dir, tag);
    write_race(dir);
    put(dir, "train/middle/d.txt", text);
    expect_open_error(pb_task_race_open, "race", dir, rc, "train/middle/d.txt", n2);
}

static void test_race_errors(void **state) {
    (void)state;
    race_bad("r_json", "{\"article\": \"a\",\n \"questions\": [}", PB_EFORMAT, "d.txt:2:");
    race_bad("r_empty", "", PB_EFORMAT, "empty file");
    race_bad("r_obj", "[]", PB_EFORMAT, "expected a JSON object");
    race_bad("r_article", "{\"questions\": [], \"options\": [], \"answers\": []}", PB_EFORMAT,
             "missing string \"article\"");
    race_bad("r_questions", "{\"article\": \"a\", \"options\": [], \"answers\": []}", PB_EFORMAT,
             "missing array \"questions\"");
    race_bad("r_answers", "{\"article\": \"a\", \"questions\": [], \"options\": []}", PB_EFORMAT,
             "missing array \"answers\"");
    race_bad("r_len",
             "{\"article\": \"a\", \"questions\": [\"q\"], \"options\": [[\"a\", \"b\", \"c\", \"d\"]], "
             "\"answers\": [\"A\", \"B\"]}",
             PB_EFORMAT, "1 questions, 1 options lists and 2 answers; expected equal counts");
    race_bad("r_three",
             "{\"article\": \"a\", \"questions\": [\"q\"], \"options\": [[\"a\", \"b\", \"c\"]], "
             "\"answers\": [\"A\"]}",
             PB_EFORMAT, "\"options[0]\" has 3 entries; expected 4 strings");
    race_bad("r_optstr",
             "{\"article\": \"a\", \"questions\": [\"q\"], \"options\": [[\"a\", \"b\", \"c\", 4]], "
             "\"answers\": [\"A\"]}",
             PB_EFORMAT, "\"options[0][3]\" is not a string");
    race_bad("r_label",
             "{\"article\": \"a\", \"questions\": [\"q\"], \"options\": [[\"a\", \"b\", \"c\", \"d\"]], "
             "\"answers\": [\"E\"]}",
             PB_EFORMAT, "\"answers[0]\" is \"E\"; expected \"A\", \"B\", \"C\" or \"D\"");
    race_bad("r_qstr",
             "{\"article\": \"a\", \"questions\": [7], \"options\": [[\"a\", \"b\", \"c\", \"d\"]], "
             "\"answers\": [\"A\"]}",
             PB_EFORMAT, "\"questions[0]\" is not a string");
    char dir[256], p[512];
    /* no dev folder; no middle level; a level without .txt files */
    case_dir(dir, sizeof dir, "r_nodev");
    put(dir, "train/high/a.txt", RACE_A);
    put(dir, "train/middle/c.txt", RACE_C);
    expect_open_error(pb_task_race_open, "race", dir, PB_ENOTFOUND, "missing folder", "r_nodev/dev'");
    case_dir(dir, sizeof dir, "r_nolevel");
    put(dir, "train/high/a.txt", RACE_A);
    put(dir, "dev/high/a.txt", RACE_A);
    expect_open_error(pb_task_race_open, "race", dir, PB_ENOTFOUND, "missing folder", "train/middle");
    /* but race-high does not need it */
    pb_data_source ds;
    pb_task_opts o = opts_for(dir, 16);
    assert_int_equal(pb_task_race_open("race-high", &o, &ds), 0);
    ds.free(ds.ctx);
    case_dir(dir, sizeof dir, "r_notxt");
    write_race(dir);
    put(dir, "test/high/readme.md", "x");
    put(dir, "test/middle/c.txt", RACE_C);
    expect_open_error(pb_task_race_open, "race", dir, PB_EFORMAT, "test/high", "has no .txt files");
    (void)p;
}

/* ---- a few training steps ----------------------------------------------------------- */

static void test_csqa_train(void **state) {
    (void)state;
    char dir[256];
    case_dir(dir, sizeof dir, "c_train");
    static const char *const pool[] = {"sky", "apple", "grass", "snow", "blood", "the trophy", "it was big"};
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int i = 0; i < 16; i++) {
        len += (size_t)snprintf(text + len, cap - len,
                                "{\"answerKey\": \"%c\", \"question\": {\"stem\": \"what is %s?\", \"choices\": "
                                "[{\"label\": \"A\", \"text\": \"%s\"}, {\"label\": \"B\", \"text\": \"%s\"}, "
                                "{\"label\": \"C\", \"text\": \"%s\"}, {\"label\": \"D\", \"text\": \"%s\"}, "
                                "{\"label\": \"E\", \"text\": \"%s\"}]}}\n",
                                'A' + i % 5, pool[i % 7], pool[i % 7], pool[(i + 1) % 7], pool[(i + 2) % 7],
                                pool[(i + 3) % 7], pool[(i + 4) % 7]);
    }
    put(dir, "train_rand_split.jsonl", text);
    put(dir, "dev_rand_split.jsonl", CSQA_DEV);
    free(text);
    pb_data_source ds;
    pb_task_opts o = opts_for(dir, 16);
    assert_int_equal(pb_task_csqa_open("commonsenseqa", &o, &ds), 0);
    pb_config c;
    pb_test_config(&c, PB_MODEL_BERT, ds.vocab_size, 16, 1, 2, 32, 16);
    pb_model m;
    assert_int_equal(pb_model_init(&m, &c, PB_HEAD_MC, 4 * 5, 16), 0);
    pb_model_init_weights(&m, 3);
    pb_train_spec s;
    pb_test_train_spec(&s, 2, 4, 1e-4, 1);
    pb_train_result r;
    pb_test_train_ok(&m, &ds, &s, &r);
    assert_int_equal(r.steps, 8); /* 16 examples / 4 x 2 epochs */
    /* a 5-way loss starts near ln 5 */
    assert_true(fabs(r.curves[PB_CURVE_LOSS] - log(5.0)) < 1.0);
    assert_int_equal(r.n_evals, 2);
    assert_string_equal(r.final_metrics.name[0], "accuracy");
    /* 3 dev examples: the accuracy is a multiple of 100/3 */
    const double k = r.final_metrics.value[0] / (100.0 / 3.0);
    assert_true(fabs(k - round(k)) < 1e-9 && k >= 0 && k <= 3);
    pb_train_result_free(&r);
    pb_model_free(&m);
    ds.free(ds.ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csqa_rows),
        cmocka_unit_test(test_csqa_errors),
        cmocka_unit_test(test_csqa_matches_encode_pair),
        cmocka_unit_test(test_winogrande_rows),
        cmocka_unit_test(test_winogrande_errors),
        cmocka_unit_test(test_winogrande_bpe),
        cmocka_unit_test(test_race_rows),
        cmocka_unit_test(test_race_errors),
        cmocka_unit_test(test_csqa_train),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
