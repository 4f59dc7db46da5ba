/* SQuAD v1.1 / v2.0: the official metric (normalize_answer, EM, F1, the
 * printed dicts), HF run_qa.py features (windows, labels, char vs byte
 * offsets), utils_qa.py post-processing on constructed logits, error paths,
 * and a few training steps on the v1.1 fixture.
 *
 * Expected metric values come from a replica of evaluate-v1.1.py /
 * evaluate-v2.0.py run under Python 3.11 (the numbers are quoted in the
 * comments); feature values are computed by hand from the fixture below. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry.h"
#include "squad.h"
#include "testutil.h"
#include "trainer.h"

PB_TEST_TMPDIR_FIXTURE("squad")

/* Vocabulary ids: [PAD]0 [UNK]1 [CLS]2 [SEP]3 [MASK]4, which 5, number 6,
 * cafe 7, w1..w39 = 8..46 (w_k = 7 + k), where 47, is 48, the 49, in 50,
 * paris 51, "." 52. */
enum { CLS = 2, SEP = 3, WHICH = 5, NUMBER = 6, CAFE = 7, WHERE = 47, IS = 48, THE = 49, IN = 50, PARIS = 51 };
static int W(int k) {
    return 7 + k;
}

static const char *vocab(void) {
    static char path[512];
    static const char *words[64];
    int n = 0;
    words[n++] = "which";
    words[n++] = "number";
    words[n++] = "cafe";
    static char wk[39][16];
    for (int k = 1; k <= 39; k++) {
        snprintf(wk[k - 1], sizeof wk[k - 1], "w%d", k);
        words[n++] = wk[k - 1];
    }
    const char *tail[] = {"where", "is", "the", "in", "paris", "."};
    for (int i = 0; i < 6; i++) words[n++] = tail[i];
    words[n] = NULL;
    pb_test_write_vocab(g_dir, words);
    return pb_test_path(path, sizeof path, g_dir, "vocab.txt");
}

/* Context A: "Café w1 w2 ... w39": 40 tokens (cafe = token 0, w_k = token k).
 * "Café " is 5 characters but 6 bytes; w1..w9 take 3 characters each, so w10
 * starts at character 32 and w_k (k >= 10) at 32 + 4 (k - 10): w18 at 64,
 * w20 at 72, w30 at 112 (one byte later each). */
static const char *ctx_a(void) {
    static char buf[256];
    size_t w = (size_t)snprintf(buf, sizeof buf, "Caf\xc3\xa9");
    for (int k = 1; k <= 39; k++) w += (size_t)snprintf(buf + w, sizeof buf - w, " w%d", k);
    return buf;
}
/* Context B: "The café is in Paris." tokens the cafe is in paris . ; "Paris" at
 * character 15, "in Paris" at 12. */
#define CTX_B "The caf\xc3\xa9 is in Paris."

/* Make g_dir/sub with the given files (NULL: absent); its path into dir. */
static void make_data(char *dir, size_t cap, const char *sub, const char *n1, const char *t1, const char *n2,
                      const char *t2) {
    pb_test_path(dir, cap, g_dir, sub);
    mkdir(dir, 0700);
    char p[512];
    if (n1) pb_test_write_file(p, sizeof p, dir, n1, t1);
    if (n2) pb_test_write_file(p, sizeof p, dir, n2, t2);
}

static char *fmt(const char *f, ...) {
    static char buf[8][8192];
    static int i;
    char *b = buf[i++ % 8];
    va_list ap;
    va_start(ap, f);
    vsnprintf(b, sizeof buf[0], f, ap);
    va_end(ap);
    return b;
}

static const char *train_v11(void) {
    return fmt(
        "{\"version\": \"1.1\", \"data\": [{\"title\": \"T\", \"paragraphs\": [{\"context\": \"%s\", \"qas\": ["
        "{\"id\": \"q1\", \"question\": \"which number\", \"answers\": [{\"text\": \"w20 w21\", \"answer_start\": "
        "72}]},"
        "{\"id\": \"q2\", \"question\": \"  which number\", \"answers\": [{\"text\": \"w18 w19 w20\", "
        "\"answer_start\": 64}]},"
        /* answer_start points at w30 but the text says w31: HF trusts answer_start and the length */
        "{\"id\": \"q3\", \"question\": \"which number\", \"answers\": [{\"text\": \"w31\", \"answer_start\": 112}]}"
        "]}]}]}",
        ctx_a());
}

static const char *dev_v11(void) {
    return fmt(
        "{\"version\": \"1.1\", \"data\": [{\"title\": \"T\", \"paragraphs\": [{\"context\": \"%s\", \"qas\": ["
        "{\"id\": \"d1\", \"question\": \"which number\", \"answers\": [{\"text\": \"w20 w21\", \"answer_start\": 72},"
        " {\"text\": \"w20\", \"answer_start\": 72}]}]},"
        "{\"context\": \"" CTX_B "\", \"qas\": [{\"id\": \"d2\", \"question\": \"where is the cafe\", \"answers\": ["
        "{\"text\": \"Paris\", \"answer_start\": 15}, {\"text\": \"in Paris\", \"answer_start\": 12}]}]}]}]}",
        ctx_a());
}

static const char *v2_file(const char *a, const char *b, const char *c) {
    return fmt(
        "{\"version\": \"v2.0\", \"data\": [{\"title\": \"T\", \"paragraphs\": [{\"context\": \"%s\", \"qas\": ["
        "{\"id\": \"%s\", \"question\": \"which number\", \"answers\": [], \"is_impossible\": true,"
        " \"plausible_answers\": [{\"text\": \"w20\", \"answer_start\": 72}]},"
        "{\"id\": \"%s\", \"question\": \"which number\", \"answers\": [{\"text\": \"w20 w21\", \"answer_start\": 72}],"
        " \"is_impossible\": false}]},"
        "{\"context\": \"" CTX_B "\", \"qas\": [{\"id\": \"%s\", \"question\": \"where is the cafe\", \"answers\": ["
        "{\"text\": \"Paris\", \"answer_start\": 15}], \"is_impossible\": false}]}]}]}",
        ctx_a(), a, b, c);
}

static void open_v11(pb_data_source *ds, char *dir, size_t cap, int seq, int stride, int mq) {
    make_data(dir, cap, "v11", "train-v1.1.json", train_v11(), "dev-v1.1.json", dev_v11());
    pb_task_opts o = {
        .data_dir = dir, .tokenizer = vocab(), .max_seq_length = seq, .doc_stride = stride, .max_query_length = mq};
    int rc = pb_task_squad_open("squad", &o, ds);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
}

/* ---- the metric ---- */

static void expect_norm(const char *in, const char *want) {
    char *got;
    assert_int_equal(pb_squad_normalize(in, &got), 0);
    if (strcmp(got, want)) print_error("normalize('%s') = '%s', want '%s'\n", in, got, want);
    assert_string_equal(got, want);
    free(got);
}

static void test_normalize(void **state) {
    (void)state;
    /* outputs of normalize_answer under Python 3.11 */
    expect_norm("The  Quick, brown fox!", "quick brown fox");
    expect_norm("an apple a day", "apple day");
    expect_norm("Theater and the_end", "theater and theend"); /* '_' is punctuation, removed first */
    expect_norm("A.B", "ab");
    expect_norm("  multiple\t\nspaces\xc2\xa0here ", "multiple spaces here"); /* U+00A0 splits */
    expect_norm("\xc3\x9cn\xc3\xaf"
                "code Caf\xc3\xa9",
                "\xc3\xbcn\xc3\xaf"
                "code caf\xc3\xa9"); /* lower, accents kept */
    expect_norm("the\xe2\x80\x94"
                "end",
                "\xe2\x80\x94"
                "end"); /* U+2014 is not \w */
    expect_norm("\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xce\xa3\xce\x91",
                "\xce\xbf\xce\xb4\xce\xbf\xcf\x82 \xcf\x83\xce\xb1");
    expect_norm("\xc4\xb0", "i\xcc\x87"); /* U+0130 -> i + U+0307 */
    expect_norm("2the a1 \xc3\xa9"
                "a a\xcc\x81",
                "2the a1 \xc3\xa9"
                "a \xcc\x81"); /* \b with Unicode \w */
    expect_norm("", "");
    expect_norm("a an the", "");
}

static void test_exact_f1(void **state) {
    (void)state;
    assert_true(pb_squad_exact("The Cat", "cat") == 1.0);
    assert_true(pb_squad_exact("a cat", "the cat.") == 1.0);
    assert_true(pb_squad_exact("cats", "cat") == 0.0);
    assert_true(pb_squad_exact("", "the") == 1.0); /* both normalize to "" */
    /* Counter intersection: pred {cat, dog}, gold {dog, cat, cat}: 2 shared,
     * P = 1, R = 2/3, F1 = 0.8 */
    assert_true(fabs(pb_squad_f1("cat dog", "dog cat cat") - 0.8) < 1e-15);
    assert_true(fabs(pb_squad_f1_v11("cat dog", "dog cat cat") - 0.8) < 1e-15);
    /* empty vs empty: v2 1, v1.1 0; empty vs text: 0 in both */
    assert_true(pb_squad_f1("", "") == 1.0);
    assert_true(pb_squad_f1("the", "") == 1.0);
    assert_true(pb_squad_f1_v11("", "") == 0.0);
    assert_true(pb_squad_f1("", "cat") == 0.0);
    assert_true(pb_squad_f1("cat", "") == 0.0);
    assert_true(pb_squad_f1("dog", "cat") == 0.0);
    /* Python repr of floats */
    char b[64];
    pb_squad_float_repr(100.0 * 2 / 3, b, sizeof b);
    assert_string_equal(b, "66.66666666666667");
    pb_squad_float_repr(100.0, b, sizeof b);
    assert_string_equal(b, "100.0");
    pb_squad_float_repr(0.0, b, sizeof b);
    assert_string_equal(b, "0.0");
    pb_squad_float_repr(0.0001, b, sizeof b);
    assert_string_equal(b, "0.0001");
    pb_squad_float_repr(1e-5, b, sizeof b);
    assert_string_equal(b, "1e-05");
    pb_squad_float_repr(1e16, b, sizeof b);
    assert_string_equal(b, "1e+16");
    pb_squad_float_repr(88.88888888888887, b, sizeof b);
    assert_string_equal(b, "88.88888888888887");
}

static void test_eval_files(void **state) {
    (void)state;
    char dir[200], d[512], p[512];
    make_data(dir, sizeof dir, "evf", NULL, NULL, NULL, NULL);
    /* v1.1: e1 EM 1 (gold 2 after normalization), e2 F1 0.8, e3 missing (0,
     * still counted), e4 "an" vs "a": EM 1, F1 0 (v1.1's f1 of no tokens).
     * evaluate-v1.1.py: {"exact_match": 50.0, "f1": 45.0} */
    pb_test_write_file(
        d, sizeof d, dir, "d11.json",
        "{\"version\": \"1.1\", \"data\": [{\"title\": \"x\", \"paragraphs\": [{\"context\": \"c\", \"qas\": ["
        "{\"id\": \"e1\", \"question\": \"q\", \"answers\": [{\"text\": \"Denver Broncos\", \"answer_start\": 0},"
        " {\"text\": \"The Denver Broncos\", \"answer_start\": 0}]},"
        "{\"id\": \"e2\", \"question\": \"q\", \"answers\": [{\"text\": \"Santa Clara, California\"}]},"
        "{\"id\": \"e3\", \"question\": \"q\", \"answers\": [{\"text\": \"gold\"}]},"
        "{\"id\": \"e4\", \"question\": \"q\", \"answers\": [{\"text\": \"a\"}]}]}]}]}");
    pb_test_write_file(p, sizeof p, dir, "p11.json",
                       "{\"e1\": \"the denver broncos!\", \"e2\": \"Santa Clara\", \"e4\": \"an\", \"zz\": \"extra\"}");
    char *out;
    int rc = pb_squad_eval_files(d, p, &out);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_string_equal(out, "{\"exact_match\": 50.0, \"f1\": 45.0}\n");
    free(out);
    /* v2: f1q "Denver" vs "Denver Broncos": F1 2/3; f2q no-answer, ""; f3q
     * no-answer, "something"; f4q golds ["the", "Paris"] -> ["Paris"]; f5q gold
     * "a" normalizes to "" -> [""], but has answers so counts as HasAns.
     * evaluate-v2.0.py prints exactly this (indent 2) */
    pb_test_write_file(
        d, sizeof d, dir, "d20.json",
        "{\"version\": \"v2.0\", \"data\": [{\"title\": \"x\", \"paragraphs\": [{\"context\": \"c\", \"qas\": ["
        "{\"id\": \"f1q\", \"question\": \"q\", \"answers\": [{\"text\": \"Denver Broncos\", \"answer_start\": 0}]},"
        "{\"id\": \"f2q\", \"question\": \"q\", \"answers\": [], \"is_impossible\": true},"
        "{\"id\": \"f3q\", \"question\": \"q\", \"answers\": [], \"is_impossible\": true},"
        "{\"id\": \"f4q\", \"question\": \"q\", \"answers\": [{\"text\": \"the\"}, {\"text\": \"Paris\"}]},"
        "{\"id\": \"f5q\", \"question\": \"q\", \"answers\": [{\"text\": \"a\"}]}]}]}]}");
    pb_test_write_file(
        p, sizeof p, dir, "p20.json",
        "{\"f1q\": \"Denver\", \"f2q\": \"\", \"f3q\": \"something\", \"f4q\": \"paris.\", \"f5q\": \"\"}");
    rc = pb_squad_eval_files(d, p, &out);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_string_equal(out, "{\n  \"exact\": 60.0,\n  \"f1\": 73.33333333333333,\n  \"total\": 5,\n"
                             "  \"HasAns_exact\": 66.66666666666667,\n  \"HasAns_f1\": 88.88888888888887,\n"
                             "  \"HasAns_total\": 3,\n  \"NoAns_exact\": 50.0,\n  \"NoAns_f1\": 50.0,\n"
                             "  \"NoAns_total\": 2\n}\n");
    free(out);
    /* v2 without the version field: is_impossible decides; a missing
     * prediction stops evaluate-v2.0.py (KeyError) */
    pb_test_write_file(p, sizeof p, dir, "p20.json", "{\"f1q\": \"Denver\", \"f2q\": \"\"}");
    assert_int_equal(pb_squad_eval_files(d, p, &out), PB_EINVAL);
    PB_ASSERT_MSG_HAS("f3q");
    PB_ASSERT_MSG_HAS("KeyError");
    assert_null(out);
    /* a prediction that is not a string; predictions that are not an object */
    pb_test_write_file(p, sizeof p, dir, "p20.json", "{\"f1q\": 3}");
    assert_int_equal(pb_squad_eval_files(d, p, &out), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("'f1q' is not a string");
    pb_test_write_file(p, sizeof p, dir, "p20.json", "[\"x\"]");
    assert_int_equal(pb_squad_eval_files(d, p, &out), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("p20.json: expected an object");
    /* v1.1 question without answers: the script's max() of nothing */
    pb_test_write_file(d, sizeof d, dir, "d11.json",
                       "{\"version\": \"1.1\", \"data\": [{\"paragraphs\": [{\"qas\": ["
                       "{\"id\": \"e1\", \"answers\": []}]}]}]}");
    pb_test_write_file(p, sizeof p, dir, "p11.json", "{\"e1\": \"x\"}");
    assert_int_equal(pb_squad_eval_files(d, p, &out), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("'e1' has no answers");
    /* bad JSON with line:column; missing data; id not a string; no questions */
    pb_test_write_file(d, sizeof d, dir, "d11.json", "{\"data\": [\n  {\"paragraphs\": [}]}");
    assert_int_equal(pb_squad_eval_files(d, p, &out), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("d11.json:2:");
    pb_test_write_file(d, sizeof d, dir, "d11.json", "{\"version\": \"1.1\"}");
    assert_int_equal(pb_squad_eval_files(d, p, &out), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("expected an array \"data\"");
    pb_test_write_file(d, sizeof d, dir, "d11.json",
                       "{\"data\": [{\"paragraphs\": [{\"qas\": [{\"id\": 7, \"answers\": []}]}]}]}");
    assert_int_equal(pb_squad_eval_files(d, p, &out), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("data[0].paragraphs[0].qas[0]: expected a string \"id\"");
    pb_test_write_file(d, sizeof d, dir, "d11.json", "{\"version\": \"1.1\", \"data\": []}");
    assert_int_equal(pb_squad_eval_files(d, p, &out), PB_EINVAL);
    PB_ASSERT_MSG_HAS("no questions");
    assert_int_equal(pb_squad_eval_files(d, "/nonexistent/p.json", &out), PB_EIO);
    pb_test_tmpdir_remove(dir);
}

/* ---- features ---- */

static void test_features_v11(void **state) {
    (void)state;
    char dir[200];
    pb_data_source ds;
    open_v11(&ds, dir, sizeof dir, 24, 8, 0);
    assert_int_equal(ds.head, PB_HEAD_SPAN);
    assert_int_equal(ds.seq, 24);
    assert_int_equal(ds.vocab_size, 53);
    /* seq 24, question 2 tokens, 3 specials: a window holds L = 19 context
     * tokens; HF's stride 8 overlaps windows by 8, so starts step by 11: 0, 11,
     * 22 (the last holds 40 - 22 = 18) */
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TRAIN), 9);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_DEV), 4); /* d1: 3 windows, d2: 1 */
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TEST), 0);
    pb_squad_info info;
    assert_int_equal(pb_squad_info_get(&ds, &info), 0);
    assert_int_equal(info.examples[0], 3);
    assert_int_equal(info.examples[1], 2);
    assert_int_equal(info.mismatched[0], 1); /* q3 */
    assert_int_equal(info.mismatched[1], 0);
    /* labels, by hand: the context starts at row position 4 ([CLS] which
     * number [SEP]); q1 "w20 w21" = tokens 20-21 -> window 2 positions 4 + 9,
     * 4 + 10; q2 "w18 w19 w20" = tokens 18-20 is cut by window 1 ([CLS] = 0)
     * and inside window 2 at 4 + 7 .. 4 + 9; q3 trusts answer_start (w30,
     * token 30): only window 3, 4 + 8. Reading answer_start as a byte offset
     * would move q1's start to w19 (byte 72 is the space before w20). */
    const int want[9][4] = {{0, 19, 0, 0},  {11, 19, 13, 14}, {22, 18, 0, 0}, {0, 19, 0, 0},   {11, 19, 11, 13},
                            {22, 18, 0, 0}, {0, 19, 0, 0},    {11, 19, 0, 0}, {22, 18, 12, 12}};
    for (long f = 0; f < 9; f++) {
        pb_squad_feature x;
        assert_int_equal(pb_squad_feature_get(&ds, PB_SPLIT_TRAIN, f, &x), 0);
        assert_int_equal(x.example, f / 3);
        assert_int_equal(x.window, f % 3);
        assert_int_equal(x.ctx_pos, 4);
        assert_int_equal(x.tok_begin, want[f][0]);
        assert_int_equal(x.n_tok, want[f][1]);
        assert_int_equal(x.start, want[f][2]);
        assert_int_equal(x.end, want[f][3]);
    }
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, 9, 24), 0);
    long idx[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, idx, 9, &bb), 0);
    assert_int_equal(bb.b.n, 9);
    assert_int_equal(bb.b.seq, 24);
    assert_null(bb.b.labels);
    for (int f = 0; f < 9; f++) {
        assert_int_equal(bb.b.start_positions[f], want[f][2]);
        assert_int_equal(bb.b.end_positions[f], want[f][3]);
    }
    /* window 2 of q1: [CLS] which number [SEP] w11..w29 [SEP] (24 tokens) */
    int32_t row[24];
    int n = 0;
    row[n++] = CLS;
    row[n++] = WHICH;
    row[n++] = NUMBER;
    row[n++] = SEP;
    for (int k = 11; k <= 29; k++) row[n++] = W(k);
    row[n++] = SEP;
    assert_int_equal(n, 24);
    assert_memory_equal(bb.input_ids + 24, row, sizeof row);
    /* window 3: w22..w39 [SEP] [PAD]; types 1 from the context to its [SEP] */
    n = 4;
    for (int k = 22; k <= 39; k++) row[n++] = W(k);
    row[n++] = SEP;
    row[n++] = 0;
    assert_memory_equal(bb.input_ids + 48, row, sizeof row);
    for (int t = 0; t < 24; t++) {
        assert_int_equal(bb.token_type_ids[48 + t], t >= 4 && t < 23);
        assert_int_equal(bb.attention_mask[48 + t], t < 23);
    }
    /* window 1 starts with the accented word: cafe */
    assert_int_equal(bb.input_ids[4], CAFE);
    /* dev d2: [CLS] where is the cafe [SEP] the cafe is in paris . [SEP] */
    long d2 = 3;
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_DEV, &d2, 1, &bb), 0);
    const int32_t dev_row[13] = {CLS, WHERE, IS, THE, CAFE, SEP, THE, CAFE, IS, IN, PARIS, 52, SEP};
    assert_memory_equal(bb.input_ids, dev_row, sizeof dev_row);
    assert_int_equal(bb.input_ids[13], 0);
    assert_int_equal(bb.b.start_positions[0], 10); /* "Paris" = token 4 -> 6 + 4 */
    assert_int_equal(bb.b.end_positions[0], 10);
    /* out of range */
    idx[0] = 9;
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, idx, 1, &bb), PB_ERANGE);
    pb_batch_buf_free(&bb);
    ds.free(ds.ctx);

    /* max_query_length 1: the question is cut to "which"; L = 20, step 12:
     * windows 0, 12, 24; q1's tokens 20-21 lie in window 2 at 3 + 8, 3 + 9 */
    open_v11(&ds, dir, sizeof dir, 24, 8, 1);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TRAIN), 9);
    const int want1[3][4] = {{0, 20, 0, 0}, {12, 20, 11, 12}, {24, 16, 0, 0}};
    for (int f = 0; f < 3; f++) {
        pb_squad_feature x;
        assert_int_equal(pb_squad_feature_get(&ds, PB_SPLIT_TRAIN, f, &x), 0);
        assert_int_equal(x.ctx_pos, 3);
        assert_int_equal(x.tok_begin, want1[f][0]);
        assert_int_equal(x.n_tok, want1[f][1]);
        assert_int_equal(x.start, want1[f][2]);
        assert_int_equal(x.end, want1[f][3]);
    }
    ds.free(ds.ctx);

    /* doc_stride must be below the window's 19 context tokens (HF fails too) */
    pb_task_opts o = {.data_dir = dir, .tokenizer = vocab(), .max_seq_length = 24, .doc_stride = 19};
    assert_int_equal(pb_task_squad_open("squad", &o, &ds), PB_EINVAL);
    PB_ASSERT_MSG_HAS("doc_stride 19 must be below the 19 context tokens");
    /* defaults: 384 tokens, everything fits one window */
    o.doc_stride = 0;
    o.max_seq_length = 0;
    assert_int_equal(pb_task_squad_open("squad", &o, &ds), 0);
    assert_int_equal(ds.seq, 384);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TRAIN), 3);
    ds.free(ds.ctx);
    pb_test_tmpdir_remove(dir);
}

/* GPT-2's bytes_to_unicode symbol of byte b (UTF-8 into out). */
static void byte_symbol(int b, char *out) {
    int n = 0, cp = b;
    for (int i = 0; i < 256; i++) {
        const int self = (i >= '!' && i <= '~') || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE && i <= 0xFF);
        if (!self && i == b) cp = 256 + n;
        if (!self) n++;
    }
    if (cp < 0x80) {
        out[0] = (char)cp;
        out[1] = '\0';
    } else {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        out[2] = '\0';
    }
}

/* RoBERTa's template <s> Q </s></s> C </s> with a byte-level BPE without
 * merges (every byte one token: <s>=0 <pad>=1 </s>=2 <unk>=3, byte b = 4 + b). */
static void test_features_roberta(void **state) {
    (void)state;
    char tdir[200], dir[200], path[512];
    make_data(tdir, sizeof tdir, "robtok", "merges.txt", "#version: 0.2\n", NULL, NULL);
    FILE *f = fopen(pb_test_path(path, sizeof path, tdir, "vocab.json"), "wb");
    assert_non_null(f);
    fprintf(f, "{\"<s>\": 0, \"<pad>\": 1, \"</s>\": 2, \"<unk>\": 3");
    for (int b = 0; b < 256; b++) {
        char sym[4];
        byte_symbol(b, sym);
        fprintf(f, ", \"%s%s\": %d", sym[0] == '"' || sym[0] == '\\' ? "\\" : "", sym, 4 + b);
    }
    fprintf(f, "}");
    assert_int_equal(fclose(f), 0);
    const char *js = "{\"data\": [{\"paragraphs\": [{\"context\": \"abcdefghij\", \"qas\": [{\"id\": \"r1\", "
                     "\"question\": \"x\", \"answers\": [{\"text\": \"def\", \"answer_start\": 3}]}]}]}]}";
    make_data(dir, sizeof dir, "rob", "train-v1.1.json", js, "dev-v1.1.json", js);
    pb_task_opts o = {.data_dir = dir, .tokenizer = tdir, .max_seq_length = 12, .doc_stride = 2};
    pb_data_source ds;
    int rc = pb_task_squad_open("squad", &o, &ds);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    /* 4 specials: L = 12 - 1 - 4 = 7 of the 10 byte tokens, overlap 2: windows
     * 0..6 and 5..9; the context starts at 1 + 1 + 2 = 4; "def" = tokens 3-5
     * -> 7, 9 in the first window, cut from the second */
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TRAIN), 2);
    const int want[2][5] = {{0, 7, 4, 7, 9}, {5, 5, 4, 0, 0}};
    for (int i = 0; i < 2; i++) {
        pb_squad_feature x;
        assert_int_equal(pb_squad_feature_get(&ds, PB_SPLIT_TRAIN, i, &x), 0);
        assert_int_equal(x.tok_begin, want[i][0]);
        assert_int_equal(x.n_tok, want[i][1]);
        assert_int_equal(x.ctx_pos, want[i][2]);
        assert_int_equal(x.start, want[i][3]);
        assert_int_equal(x.end, want[i][4]);
    }
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, 2, 12), 0);
    long idx[2] = {0, 1};
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, idx, 2, &bb), 0);
    const int32_t row[12] = {0, 4 + 'x', 2, 2, 4 + 'f', 4 + 'g', 4 + 'h', 4 + 'i', 4 + 'j', 2, 1, 1};
    assert_memory_equal(bb.input_ids + 12, row, sizeof row);
    for (int t = 0; t < 12; t++) assert_int_equal(bb.token_type_ids[12 + t], 0); /* RoBERTa: one token type */
    /* a span on "def" in the dev copy gives the text back */
    float *l = malloc(sizeof(float) * 2 * 12 * 2);
    assert_non_null(l);
    for (int i = 0; i < 48; i++) l[i] = -5;
    l[2 * 7] = 3;     /* start at position 7 of window 1 */
    l[2 * 9 + 1] = 3; /* end at 9 */
    const char **ans;
    assert_int_equal(pb_squad_predict(&ds, PB_SPLIT_DEV, l, &ans), 0);
    assert_string_equal(ans[0], "def");
    free(ans);
    free(l);
    pb_batch_buf_free(&bb);
    ds.free(ds.ctx);
    pb_test_tmpdir_remove(dir);
    pb_test_tmpdir_remove(tdir);
}

/* ---- post-processing ---- */

static float *logits_new(long n, int seq, float v) {
    float *l = malloc(sizeof(float) * (size_t)n * (size_t)seq * 2);
    assert_non_null(l);
    for (long i = 0; i < n * seq * 2; i++) l[i] = v;
    return l;
}
#define START(l, seq, f, p) (l)[((size_t)(f) * (seq) + (p)) * 2]
#define END(l, seq, f, p) (l)[((size_t)(f) * (seq) + (p)) * 2 + 1]

static void test_postprocess_v11(void **state) {
    (void)state;
    char dir[200];
    pb_data_source ds;
    open_v11(&ds, dir, sizeof dir, 24, 8, 0);
    /* dev features: d1 windows 0, 1, 2 (context at 4), d2 feature 3 (context
     * at 6: the cafe is in paris . = 6..11) */
    float *l = logits_new(4, 24, -10.0f);
    START(l, 24, 1, 13) = 5; /* w20 */
    END(l, 24, 1, 14) = 5;   /* w21 */
    START(l, 24, 0, 0) = 9;  /* [CLS]: not a span in v1.1 */
    END(l, 24, 0, 0) = 9;
    START(l, 24, 2, 10) = 8; /* end before start */
    END(l, 24, 2, 8) = 8;
    START(l, 24, 2, 20) = 7; /* end on [SEP] (22) or padding (23): outside the context */
    END(l, 24, 2, 22) = 7;
    END(l, 24, 2, 23) = 7;
    START(l, 24, 3, 8) = 3; /* is */
    END(l, 24, 3, 10) = 3;  /* paris */
    END(l, 24, 3, 11) = 2.9f;
    const char **ans;
    assert_int_equal(pb_squad_predict(&ds, PB_SPLIT_DEV, l, &ans), 0);
    assert_string_equal(ans[0], "w20 w21");
    assert_string_equal(ans[1], "is in Paris");
    free(ans);
    /* d1 EM 1; d2 "is in Paris": EM 0, F1 max(0.5 vs "Paris", 0.8 vs "in
     * Paris"): evaluate-v1.1.py {"exact_match": 50.0, "f1": 90.0} */
    pb_metrics m;
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_DEV, l, &m), 0);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.name[0], "exact_match");
    assert_string_equal(m.name[1], "f1");
    assert_true(m.value[0] == 50.0);
    assert_true(m.value[1] == 90.0);
    char *js;
    assert_int_equal(pb_squad_predictions_json(&ds, PB_SPLIT_DEV, l, &js), 0);
    assert_string_equal(js, "{\n    \"d1\": \"w20 w21\",\n    \"d2\": \"is in Paris\"\n}\n");
    /* the written predictions, scored from the files, give the same numbers */
    char pp[512], dp[512], *out;
    pb_test_write_file(pp, sizeof pp, dir, "predictions.json", js);
    pb_test_path(dp, sizeof dp, dir, "dev-v1.1.json");
    assert_int_equal(pb_squad_eval_files(dp, pp, &out), 0);
    assert_string_equal(out, "{\"exact_match\": 50.0, \"f1\": 90.0}\n");
    free(out);
    free(js);
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_TEST, l, &m), PB_EINVAL);
    free(l);
    ds.free(ds.ctx);

    /* seq 64: one window each (d1 context at 4..43, d2 at 6..11) */
    open_v11(&ds, dir, sizeof dir, 64, 8, 0);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_DEV), 2);
    l = logits_new(2, 64, -10.0f);
    /* n-best 20: the 20 best starts (24..43) all lie after the 20 best ends
     * (4..23), so no pair is a span; the valid start at 5 is only 21st, so HF
     * answers "empty" */
    for (int p = 24; p <= 43; p++) START(l, 64, 0, p) = 100.0f - (float)(p - 24);
    START(l, 64, 0, 5) = 50;
    for (int p = 4; p <= 23; p++) END(l, 64, 0, p) = 60.0f - 0.5f * (float)(p - 4);
    END(l, 64, 0, 6) = 100;
    START(l, 64, 1, 10) = 1;
    END(l, 64, 1, 10) = 1;
    assert_int_equal(pb_squad_predict(&ds, PB_SPLIT_DEV, l, &ans), 0);
    assert_string_equal(ans[0], "empty");
    assert_string_equal(ans[1], "Paris");
    free(ans);
    /* lifted into the top 20, the start at 5 pairs with the end at 6 */
    START(l, 64, 0, 5) = 200;
    assert_int_equal(pb_squad_predict(&ds, PB_SPLIT_DEV, l, &ans), 0);
    assert_string_equal(ans[0], "w1 w2");
    free(ans);
    /* max_answer_length 30: 4..34 (31 tokens) and 4..35 are skipped, 4..33
     * wins: the context from "Café" (its first byte) to w29 */
    free(l);
    l = logits_new(2, 64, -10.0f);
    START(l, 64, 0, 4) = 10;
    END(l, 64, 0, 34) = 10;
    END(l, 64, 0, 35) = 9.5f;
    END(l, 64, 0, 33) = 9;
    START(l, 64, 1, 7) = 1; /* d2: "café", a multi-byte token */
    END(l, 64, 1, 7) = 1;
    assert_int_equal(pb_squad_predict(&ds, PB_SPLIT_DEV, l, &ans), 0);
    char want[256];
    size_t w = (size_t)snprintf(want, sizeof want, "Caf\xc3\xa9");
    for (int k = 1; k <= 29; k++) w += (size_t)snprintf(want + w, sizeof want - w, " w%d", k);
    assert_string_equal(ans[0], want);
    assert_string_equal(ans[1], "caf\xc3\xa9");
    free(ans);
    free(l);
    ds.free(ds.ctx);
    pb_test_tmpdir_remove(dir);
}

static void test_v2(void **state) {
    (void)state;
    char dir[200];
    make_data(dir, sizeof dir, "v20", "train-v2.0.json", v2_file("t1", "t2", "t3"), "dev-v2.0.json",
              v2_file("n1", "n2", "n3"));
    pb_task_opts o = {.data_dir = dir, .tokenizer = vocab(), .max_seq_length = 24, .doc_stride = 8};
    pb_data_source ds;
    int rc = pb_task_squad_open("squad_v2", &o, &ds);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_string_equal(ds.name, "squad_v2");
    /* t1 (impossible): 3 windows at [CLS]; t2: as q1; t3 "Paris": 6 + 4 */
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TRAIN), 7);
    const int want[7][2] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}, {13, 14}, {0, 0}, {10, 10}};
    for (long f = 0; f < 7; f++) {
        pb_squad_feature x;
        assert_int_equal(pb_squad_feature_get(&ds, PB_SPLIT_TRAIN, f, &x), 0);
        assert_int_equal(x.start, want[f][0]);
        assert_int_equal(x.end, want[f][1]);
    }
    /* dev: n1 features 0-2, n2 3-5, n3 6 */
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_DEV), 7);
    float *l = logits_new(7, 24, -10.0f);
    /* n1: null scores 4, 2, 3 -> min 2; best span 0.5 + 0.5: 2 - 1 > 0 -> "" */
    START(l, 24, 0, 0) = 2, END(l, 24, 0, 0) = 2;
    START(l, 24, 1, 0) = 1, END(l, 24, 1, 0) = 1;
    START(l, 24, 2, 0) = 1.5f, END(l, 24, 2, 0) = 1.5f;
    START(l, 24, 1, 13) = 0.5f, END(l, 24, 1, 14) = 0.5f;
    /* n2: null scores 10, -6, 0 -> the minimum -6 < span 2 -> the span */
    START(l, 24, 3, 0) = 5, END(l, 24, 3, 0) = 5;
    START(l, 24, 4, 0) = -3, END(l, 24, 4, 0) = -3;
    START(l, 24, 5, 0) = 0, END(l, 24, 5, 0) = 0;
    START(l, 24, 4, 13) = 1, END(l, 24, 4, 14) = 1;
    /* n3: null 10 > span 6 -> "" for an answerable question */
    START(l, 24, 6, 0) = 5, END(l, 24, 6, 0) = 5;
    START(l, 24, 6, 10) = 3, END(l, 24, 6, 10) = 3;
    const char **ans;
    assert_int_equal(pb_squad_predict(&ds, PB_SPLIT_DEV, l, &ans), 0);
    assert_string_equal(ans[0], "");
    assert_string_equal(ans[1], "w20 w21");
    assert_string_equal(ans[2], "");
    free(ans);
    /* n1 EM/F1 1, n2 1, n3 0: evaluate-v2.0.py exact = f1 = 66.66666666666667,
     * HasAns 50.0, NoAns 100.0 */
    pb_metrics m;
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_DEV, l, &m), 0);
    assert_int_equal(m.n, 4);
    assert_string_equal(m.name[0], "exact");
    assert_string_equal(m.name[1], "f1");
    assert_string_equal(m.name[2], "HasAns_f1");
    assert_string_equal(m.name[3], "NoAns_f1");
    assert_true(m.value[0] == 100.0 * 2 / 3);
    assert_true(m.value[1] == 100.0 * 2 / 3);
    assert_true(m.value[2] == 50.0);
    assert_true(m.value[3] == 100.0);
    /* the same through predictions.json and the files (evaluate-v2.0.py's output) */
    char *js, *out, pp[512], dp[512];
    assert_int_equal(pb_squad_predictions_json(&ds, PB_SPLIT_DEV, l, &js), 0);
    pb_test_write_file(pp, sizeof pp, dir, "predictions.json", js);
    free(js);
    pb_test_path(dp, sizeof dp, dir, "dev-v2.0.json");
    assert_int_equal(pb_squad_eval_files(dp, pp, &out), 0);
    assert_string_equal(out, "{\n  \"exact\": 66.66666666666667,\n  \"f1\": 66.66666666666667,\n  \"total\": 3,\n"
                             "  \"HasAns_exact\": 50.0,\n  \"HasAns_f1\": 50.0,\n  \"HasAns_total\": 2,\n"
                             "  \"NoAns_exact\": 100.0,\n  \"NoAns_f1\": 100.0,\n  \"NoAns_total\": 1\n}\n");
    free(out);
    /* threshold 0 is strict: null 2 = span 1 + 1 keeps the span */
    START(l, 24, 1, 13) = 1, END(l, 24, 1, 14) = 1;
    assert_int_equal(pb_squad_predict(&ds, PB_SPLIT_DEV, l, &ans), 0);
    assert_string_equal(ans[0], "w20 w21");
    free(ans);
    free(l);
    ds.free(ds.ctx);
    pb_test_tmpdir_remove(dir);
}

/* A split whose only question is whitespace: str.lstrip leaves "", which HF
 * tokenizes to no tokens, so the row is [CLS] [SEP] context [SEP] (as for an
 * empty question among others). The question token pool of that split stays
 * empty (NULL), which fill must not offset. */
static void test_empty_question(void **state) {
    (void)state;
    char dir[200];
    make_data(dir, sizeof dir, "eq", "train-v1.1.json",
              "{\"data\": [{\"paragraphs\": [{\"context\": \"w1 w2 w3\", \"qas\": [{\"id\": \"x\", \"question\": "
              "\"  \", \"answers\": [{\"text\": \"w2\", \"answer_start\": 3}]}]}]}]}",
              "dev-v1.1.json",
              "{\"data\": [{\"paragraphs\": [{\"context\": \"w1 w2 w3\", \"qas\": [{\"id\": \"y\", \"question\": "
              "\" \\t\", \"answers\": [{\"text\": \"w3\", \"answer_start\": 6}]}]}]}]}");
    pb_task_opts o = {.data_dir = dir, .tokenizer = vocab(), .max_seq_length = 8, .doc_stride = 2};
    pb_data_source ds;
    int rc = pb_task_squad_open("squad", &o, &ds);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TRAIN), 1);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_DEV), 1);
    pb_squad_feature x;
    assert_int_equal(pb_squad_feature_get(&ds, PB_SPLIT_TRAIN, 0, &x), 0);
    assert_int_equal(x.ctx_pos, 2); /* [CLS] [SEP] */
    assert_int_equal(x.n_tok, 3);
    assert_int_equal(x.start, 3); /* w2 = context token 1 */
    assert_int_equal(x.end, 3);
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, 1, 8), 0);
    for (int split = PB_SPLIT_TRAIN; split <= PB_SPLIT_DEV; split++) {
        long idx[1] = {0};
        rc = ds.fill(ds.ctx, split, idx, 1, &bb);
        if (rc) print_error("%s\n", pb_error_msg());
        assert_int_equal(rc, 0);
        const int32_t ids[8] = {CLS, SEP, W(1), W(2), W(3), SEP, 0, 0};
        const int32_t mask[8] = {1, 1, 1, 1, 1, 1, 0, 0};
        assert_memory_equal(bb.input_ids, ids, sizeof ids);
        assert_memory_equal(bb.attention_mask, mask, sizeof mask);
        assert_int_equal(bb.start_positions[0], split == PB_SPLIT_TRAIN ? 3 : 4);
    }
    pb_batch_buf_free(&bb);
    /* post-processing and the metric work on it: the span w3 scores best */
    float *l = logits_new(1, 8, -10.0f);
    START(l, 8, 0, 4) = 1, END(l, 8, 0, 4) = 1;
    const char **ans;
    assert_int_equal(pb_squad_predict(&ds, PB_SPLIT_DEV, l, &ans), 0);
    assert_string_equal(ans[0], "w3");
    free(ans);
    pb_metrics m;
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_DEV, l, &m), 0);
    assert_true(m.value[0] == 100.0);
    free(l);
    ds.free(ds.ctx);
    pb_test_tmpdir_remove(dir);
}

/* v2: a dev split with no gold answer at all (its gold pool stays NULL) still
 * evaluates: the one impossible question predicted "" scores 100. */
static void test_no_answers_split(void **state) {
    (void)state;
    char dir[200];
    make_data(dir, sizeof dir, "na", "train-v2.0.json", v2_file("t1", "t2", "t3"), "dev-v2.0.json",
              "{\"version\": \"v2.0\", \"data\": [{\"paragraphs\": [{\"context\": \"w1 w2 w3\", \"qas\": [{\"id\": "
              "\"z\", \"question\": \"  \", \"answers\": [], \"is_impossible\": true}]}]}]}");
    pb_task_opts o = {.data_dir = dir, .tokenizer = vocab(), .max_seq_length = 24, .doc_stride = 8};
    pb_data_source ds;
    int rc = pb_task_squad_open("squad_v2", &o, &ds);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_DEV), 1);
    float *l = logits_new(1, 24, -10.0f);
    START(l, 24, 0, 0) = 5, END(l, 24, 0, 0) = 5; /* null score wins -> "" */
    pb_metrics m;
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_DEV, l, &m), 0);
    assert_string_equal(m.name[0], "exact");
    assert_true(m.value[0] == 100.0);
    free(l);
    ds.free(ds.ctx);
    pb_test_tmpdir_remove(dir);
}

/* ---- loader errors ---- */

static int open_files(const char *sub, const char *train, const char *dev, pb_data_source *ds) {
    char dir[200];
    make_data(dir, sizeof dir, sub, train ? "train-v1.1.json" : NULL, train, dev ? "dev-v1.1.json" : NULL, dev);
    pb_task_opts o = {.data_dir = dir, .tokenizer = vocab(), .max_seq_length = 24, .doc_stride = 8};
    int rc = pb_task_squad_open("squad", &o, ds);
    if (rc == 0) ds->free(ds->ctx);
    pb_test_tmpdir_remove(dir);
    return rc;
}

static void test_errors(void **state) {
    (void)state;
    pb_data_source ds;
    const char *dev = dev_v11();
    assert_int_equal(open_files("e1", NULL, dev, &ds), PB_EIO);
    PB_ASSERT_MSG_HAS("missing training file");
    PB_ASSERT_MSG_HAS("e1/train-v1.1.json");
    assert_int_equal(open_files("e2", train_v11(), NULL, &ds), PB_EIO);
    PB_ASSERT_MSG_HAS("missing dev file");
    PB_ASSERT_MSG_HAS("e2/dev-v1.1.json");
    assert_int_equal(open_files("e3", "{\"data\": [\n  {oops}]}", dev, &ds), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("train-v1.1.json:2:");
    assert_int_equal(open_files("e4", "{\"version\": \"1.1\"}", dev, &ds), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("train-v1.1.json: expected an array \"data\"");
    assert_int_equal(open_files("e5", "{\"data\": []}", dev, &ds), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("train-v1.1.json: no questions");
    assert_int_equal(
        open_files("e6",
                   "{\"data\": [{\"paragraphs\": [{\"context\": \"w1 w2\", \"qas\": [{\"question\": \"which\", "
                   "\"answers\": []}]}]}]}",
                   dev, &ds),
        PB_EFORMAT);
    PB_ASSERT_MSG_HAS("data[0].paragraphs[0].qas[0]: expected a string \"id\"");
    /* "w1 w2" has 5 characters: 3 + 3 runs past it */
    assert_int_equal(
        open_files("e7",
                   "{\"data\": [{\"paragraphs\": [{\"context\": \"w1 w2\", \"qas\": [{\"id\": \"x\", \"question\": "
                   "\"which\", \"answers\": [{\"text\": \"w2x\", \"answer_start\": 3}]}]}]}]}",
                   dev, &ds),
        PB_ERANGE);
    PB_ASSERT_MSG_HAS("qas[0].answers[0] (id 'x'): answer_start 3 + 3 characters is outside the context of 5");
    assert_int_equal(
        open_files("e8",
                   "{\"data\": [{\"paragraphs\": [{\"context\": \"w1 w2\", \"qas\": [{\"id\": \"x\", \"question\": "
                   "\"which\", \"answers\": [{\"text\": \"w2\"}]}]}]}]}",
                   dev, &ds),
        PB_EFORMAT);
    PB_ASSERT_MSG_HAS("expected an integer \"answer_start\"");
    assert_int_equal(open_files("e9", "{\"data\": [{\"paragraphs\": [{\"qas\": []}]}]}", dev, &ds), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("data[0].paragraphs[0]: expected a string \"context\"");
    assert_int_equal(open_files("e10", "{\"data\": [{\"title\": \"x\"}]}", dev, &ds), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("data[0]: expected an array \"paragraphs\"");
    assert_int_equal(open_files("e11", train_v11(),
                                "{\"data\": [{\"paragraphs\": [{\"context\": \"w1\", \"qas\": [{\"id\": "
                                "\"x\", \"question\": \"which\"}]}]}]}",
                                &ds),
                     PB_EFORMAT);
    PB_ASSERT_MSG_HAS("dev-v1.1.json: data[0].paragraphs[0].qas[0] (id 'x'): expected an array \"answers\"");
    /* unknown name, missing options */
    pb_task_opts o = {.data_dir = g_dir, .tokenizer = vocab()};
    assert_int_equal(pb_task_squad_open("squad_v3", &o, &ds), PB_EINVAL);
    o.tokenizer = NULL;
    assert_int_equal(pb_task_squad_open("squad", &o, &ds), PB_EINVAL);
    PB_ASSERT_MSG_HAS("tokenizer");
    /* not a SQuAD source */
    pb_data_source toy;
    pb_task_opts to = {.seed = 1};
    assert_int_equal(pb_task_toy_open("toy", &to, &toy), 0);
    pb_squad_info info;
    assert_int_equal(pb_squad_info_get(&toy, &info), PB_EINVAL);
    toy.free(toy.ctx);
}

/* ---- training ---- */

static void test_train_steps(void **state) {
    (void)state;
    char dir[200];
    pb_data_source ds;
    open_v11(&ds, dir, sizeof dir, 24, 8, 0);
    pb_config c;
    pb_test_config(&c, PB_MODEL_BERT, ds.vocab_size, 32, 1, 2, 64, 32);
    pb_model m;
    assert_int_equal(pb_model_init(&m, &c, PB_HEAD_SPAN, 4, 24), 0);
    pb_model_init_weights(&m, 3);
    pb_train_spec s;
    pb_test_train_spec(&s, 2, 4, 0, 0);
    pb_train_result r;
    pb_test_train_ok(&m, &ds, &s, &r);
    assert_true(r.steps >= 4);
    assert_int_equal(r.final_metrics.n, 2);
    assert_string_equal(r.final_metrics.name[0], "exact_match");
    for (int i = 0; i < 2; i++) assert_true(r.final_metrics.value[i] >= 0.0 && r.final_metrics.value[i] <= 100.0);
    printf("squad fixture: %ld steps, dev EM %.1f F1 %.1f\n", r.steps, r.final_metrics.value[0],
           r.final_metrics.value[1]);
    pb_train_result_free(&r);
    pb_model_free(&m);
    ds.free(ds.ctx);
    pb_test_tmpdir_remove(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_exact_f1),
        cmocka_unit_test(test_eval_files),
        cmocka_unit_test(test_features_v11),
        cmocka_unit_test(test_features_roberta),
        cmocka_unit_test(test_postprocess_v11),
        cmocka_unit_test(test_v2),
        cmocka_unit_test(test_empty_question),
        cmocka_unit_test(test_no_answers_split),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_train_steps),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
