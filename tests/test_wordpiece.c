/* BERT WordPiece tokenizer: ids, offsets and pair encoding against Hugging
 * Face's BertTokenizer algorithm (basic tokenizer + greedy WordPiece). Each
 * expectation names the HF step that produces it. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tokenizer.h"

/* id = index (load_vocab: one token per line). */
static const char *const VOCAB[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un",    "##want", "##ed",
                                    ",",     "runn",  "##ing", "hello", "!",      "\xe4\xbd\xa0" /* 你 */,
                                    "\xe5\xa5\xbd" /* 好 */,   "?",     "want",   "##aff", "##able", "a",
                                    "##a",   "world", "[",     "]",     "mask",   ".",     "cafe"};
#define NV ((int)(sizeof VOCAB / sizeof VOCAB[0]))
enum { PAD = 0, UNK = 1, CLS = 2, SEP = 3, MASK = 4, UN = 5, WANT_C = 6, ED_C = 7, COMMA = 8, RUNN = 9, ING_C = 10,
       HELLO = 11, BANG = 12, NI = 13, HAO = 14, QM = 15, A = 19, A_C = 20, WORLD = 21, LBR = 22, RBR = 23,
       MASKW = 24, DOT = 25 };

typedef struct {
    char dir[256];
    pb_tokenizer *txt, *json;
} fx;

static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    if (!f || pb_test_tmpdir_create(f->dir, sizeof f->dir, "wordpiece") != 0) return -1;
    char p[512];
    FILE *o = fopen(pb_test_path(p, sizeof p, f->dir, "vocab.txt"), "wb");
    if (!o) return -1;
    for (int i = 0; i < NV; i++) fprintf(o, "%s%s", VOCAB[i], i % 2 ? "\r\n" : "\n"); /* both line ends */
    fclose(o);
    if (pb_tokenizer_load(&f->txt, p) != 0) return -1;
    /* the same vocabulary as a tokenizer.json WordPiece model with bert-base-uncased's normalizer */
    json_t *vocab = json_object();
    for (int i = 0; i < NV; i++) json_object_set_new(vocab, VOCAB[i], json_integer(i));
    json_t *root = json_pack("{s:{s:s, s:b, s:b, s:n, s:b}, s:{s:s, s:s, s:s, s:i, s:o}}", "normalizer", "type",
                             "BertNormalizer", "clean_text", 1, "handle_chinese_chars", 1, "strip_accents",
                             "lowercase", 1, "model", "type", "WordPiece", "unk_token", "[UNK]",
                             "continuing_subword_prefix", "##", "max_input_chars_per_word", 100, "vocab", vocab);
    if (!root || json_dump_file(root, pb_test_path(p, sizeof p, f->dir, "tokenizer.json"), 0) != 0) return -1;
    json_decref(root);
    if (pb_tokenizer_load(&f->json, p) != 0) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    pb_tokenizer_free(f->txt);
    pb_tokenizer_free(f->json);
    pb_test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* Encode `text` with both tokenizers; both must give `want` (n ids). */
static void expect_ids(const fx *f, const char *text, size_t len, const int32_t *want, size_t n) {
    const pb_tokenizer *ts[2] = {f->txt, f->json};
    for (int k = 0; k < 2; k++) {
        int32_t *ids = NULL, *offs = NULL;
        size_t got = 99;
        assert_int_equal(pb_tokenizer_encode(ts[k], text, len, &ids, &got, &offs), 0);
        int bad = got != n;
        for (size_t i = 0; !bad && i < n; i++) bad = ids[i] != want[i];
        if (bad) {
            print_error("MISMATCH (%s) for '%.*s': got", k ? "tokenizer.json" : "vocab.txt", (int)len, text);
            for (size_t i = 0; i < got; i++) print_error(" %d", (int)ids[i]);
            print_error(" want");
            for (size_t i = 0; i < n; i++) print_error(" %d", (int)want[i]);
            print_error("\n");
        }
        assert_false(bad);
        for (size_t i = 0; i < got; i++) { /* offsets stay inside the text and ordered */
            assert_true(offs[2 * i] >= 0 && offs[2 * i] <= offs[2 * i + 1] && (size_t)offs[2 * i + 1] <= len);
        }
        free(ids);
        free(offs);
    }
}
#define EXPECT(f, text, ...)                                                                   \
    do {                                                                                       \
        const int32_t w_[] = {__VA_ARGS__};                                                    \
        expect_ids((f), (text), strlen(text), w_, sizeof w_ / sizeof w_[0]);                   \
    } while (0)

static void test_vocab_lookup(void **state) {
    fx *f = *state;
    assert_int_equal(pb_tokenizer_vocab_size(f->txt), NV);
    assert_int_equal(pb_tokenizer_token_id(f->txt, "##want"), WANT_C); /* "\r\n" stripped like "\n" */
    assert_int_equal(pb_tokenizer_token_id(f->txt, "runn"), RUNN);
    assert_int_equal(pb_tokenizer_token_id(f->txt, "nope"), -1);
    assert_string_equal(pb_tokenizer_id_token(f->json, HAO), "\xe5\xa5\xbd");
    assert_null(pb_tokenizer_id_token(f->txt, NV));
    pb_tokenizer *t = NULL;
    assert_int_equal(pb_tokenizer_load(&t, "/nonexistent/vocab.txt"), PB_EIO);
    PB_ASSERT_MSG_HAS("/nonexistent/vocab.txt");
}

/* A vocab.txt entry that is not valid UTF-8 could never match (words are
 * decoded to code points): refused, naming the file and the 1-based line. */
static void expect_bad_vocab(const fx *f, const char *content, size_t len, const char *where) {
    char p[512];
    FILE *o = fopen(pb_test_path(p, sizeof p, f->dir, "bad_vocab.txt"), "wb");
    assert_non_null(o);
    assert_int_equal(fwrite(content, 1, len, o), len);
    fclose(o);
    pb_tokenizer *t = (pb_tokenizer *)1;
    assert_int_equal(pb_tokenizer_load(&t, p), PB_EFORMAT);
    assert_null(t);
    PB_ASSERT_MSG_HAS(where);
    PB_ASSERT_MSG_HAS("not valid UTF-8");
    remove(p);
}

#define EXPECT_BAD(f, lit, where) expect_bad_vocab((f), (lit), sizeof(lit) - 1, (where))

static void test_vocab_invalid_utf8(void **state) {
    fx *f = *state;
    /* Latin-1 "café" on line 3 */
    EXPECT_BAD(f, "[UNK]\nhello\ncaf\xe9\nworld\n", "bad_vocab.txt:3:");
    /* \r\n and \r end lines too: the lone continuation byte is on line 4 */
    EXPECT_BAD(f, "[UNK]\r\na\r\rb\x80\n", "bad_vocab.txt:4:");
    /* a UTF-16 surrogate (ED A0 80), an overlong (C0 AF), a truncated last line without newline */
    EXPECT_BAD(f, "[UNK]\n\xed\xa0\x80\n", "bad_vocab.txt:2:");
    EXPECT_BAD(f, "\xc0\xaf\n[UNK]\n", "bad_vocab.txt:1:");
    EXPECT_BAD(f, "[UNK]\nok\n\xe4\xbd", "bad_vocab.txt:3:");
    /* valid multi-byte entries and a BOM-less file load */
    char p[512];
    FILE *o = fopen(pb_test_path(p, sizeof p, f->dir, "good_vocab.txt"), "wb");
    assert_non_null(o);
    fputs("[UNK]\ncaf\xc3\xa9\n\xe4\xbd\xa0\n\xf0\x9f\x98\x80", o);
    fclose(o);
    pb_tokenizer *t = NULL;
    assert_int_equal(pb_tokenizer_load(&t, p), 0);
    assert_int_equal(pb_tokenizer_vocab_size(t), 4);
    pb_tokenizer_free(t);
    remove(p);
}

static void test_basic_and_wordpiece(void **state) {
    fx *f = *state;
    /* HF BertTokenizer docstring: lower -> "unwanted,running", strip accents é->e, punctuation split at ",",
     * WordPiece greedy: un ##want ##ed / runn ##ing */
    EXPECT(f, "UNwant\xc3\xa9" "d,running", UN, WANT_C, ED_C, COMMA, RUNN, ING_C);
    /* lowercase + NFD + drop Mn: "Héllo" -> "hello"; a decomposed e + U+0301 too */
    EXPECT(f, "H\xc3\xa9llo", HELLO);
    EXPECT(f, "HE\xcc\x81LLO", HELLO);
    /* _tokenize_chinese_chars puts spaces around each CJK ideograph */
    EXPECT(f, "\xe4\xbd\xa0\xe5\xa5\xbd", NI, HAO);
    EXPECT(f, "hello\xe4\xbd\xa0world", HELLO, NI, WORLD);
    /* _run_split_on_punc: every punctuation character is its own token */
    EXPECT(f, "hello!!?", HELLO, BANG, BANG, QM);
    EXPECT(f, "!hello.", BANG, HELLO, DOT);
    /* _clean_text: \t \n \r are whitespace; Cc (U+0001) and Cf (U+200B) are dropped */
    EXPECT(f, "hello\tworld\n\x01hello\r", HELLO, WORLD, HELLO);
    EXPECT(f, "hel\x01lo wor\xe2\x80\x8bld", HELLO, WORLD);
    /* U+00A0 (Zs) is whitespace */
    EXPECT(f, "hello\xc2\xa0world", HELLO, WORLD);
    /* WordPiece: 100 characters is allowed (a + 99 x ##a); 101 is [UNK] (max_input_chars_per_word) */
    char w[128];
    memset(w, 'a', 101);
    w[100] = 0;
    int32_t want[100];
    want[0] = A;
    for (int i = 1; i < 100; i++) want[i] = A_C;
    expect_ids(f, w, 100, want, 100);
    w[100] = 'a', w[101] = 0;
    EXPECT(f, w, UNK);
    /* WordPiece: "un" matches, "##x..." never does -> the whole word is [UNK] */
    EXPECT(f, "unxable hello", UNK, HELLO);
    /* emoji (So) is neither punctuation nor whitespace: it stays in the word, which becomes [UNK] */
    EXPECT(f, "hello\xf0\x9f\x98\x80 world", UNK, WORLD);
    EXPECT(f, "\xf0\x9f\x98\x80", UNK);
    /* invalid UTF-8 -> U+FFFD -> dropped by _clean_text */
    EXPECT(f, "hel\xff" "lo", HELLO);
    EXPECT(f, "hello \xed\xa0\x80\xc3", HELLO);
    /* empty and whitespace-only input give no tokens */
    expect_ids(f, "", 0, NULL, 0);
    expect_ids(f, " \t\n", 3, NULL, 0);
    /* special tokens never split (added-token split, then never_split) */
    EXPECT(f, "[MASK]", MASK);
    EXPECT(f, "hello [MASK] world", HELLO, MASK, WORLD);
    EXPECT(f, "hello[MASK].", HELLO, MASK, DOT);
    /* not verbatim: lowercase "[mask]" is split on punctuation */
    EXPECT(f, "[mask]", LBR, MASKW, RBR);
}

/* Encode text and join the tokens with spaces; must equal want. */
static void expect_pieces(const pb_tokenizer *t, const char *text, const char *want) {
    int32_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(pb_tokenizer_encode(t, text, strlen(text), &ids, &n, NULL), 0);
    char got[256];
    size_t w = 0;
    got[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *tok = pb_tokenizer_id_token(t, ids[i]);
        assert_non_null(tok);
        w += (size_t)snprintf(got + w, sizeof got - w, "%s%s", i ? " " : "", tok);
        assert_true(w < sizeof got);
    }
    free(ids);
    if (strcmp(got, want)) print_error("'%s' -> '%s', want '%s'\n", text, got, want);
    assert_string_equal(got, want);
}

/* Lowercasing is Python's str.lower() on each whitespace token (the slow
 * BertTokenizer): capital sigma becomes final sigma by Unicode's Final_Sigma
 * rule, and U+0130 becomes "i" U+0307. Expectations: Python 3.11's lower()
 * (e.g. 'ΟΔΟΣ'.lower() == 'οδος', 'ΣΟΦΟΣ' -> 'σοφος', 'Σ' -> 'σ', 'ΑΣ.' ->
 * 'ας.', "ΑΣ'Α" -> "ασ'α", 'Α.Σ' -> 'α.ς', '.Σ' -> '.σ', 'ªΣ' -> 'ªς',
 * 'ΑΣʰ' -> 'αςʰ', 'İ' -> 'i\u0307'), then accent stripping, the punctuation
 * split and WordPiece over a vocabulary of single letters. */
static void test_final_sigma(void **state) {
    fx *f = *state;
    static const char *const letters[] = {"\xce\xb1" /* α */, "\xce\xbf" /* ο */, "\xce\xb4" /* δ */,
                                          "\xcf\x83" /* σ */, "\xcf\x82" /* ς */, "\xcf\x86" /* φ */,
                                          "\xc2\xaa" /* ª */, "\xca\xb0" /* ʰ */, "i"};
    char p[512];
    FILE *o = fopen(pb_test_path(p, sizeof p, f->dir, "greek.txt"), "wb");
    assert_non_null(o);
    fputs("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n.\n'\n-\n##\xcc\x87\n", o);
    for (size_t i = 0; i < sizeof letters / sizeof *letters; i++) fprintf(o, "%s\n##%s\n", letters[i], letters[i]);
    fclose(o);
    pb_tokenizer *t = NULL;
    assert_int_equal(pb_tokenizer_load(&t, p), 0);
    /* ΟΔΟΣ -> οδος */
    expect_pieces(t, "\xce\x9f\xce\x94\xce\x9f\xce\xa3", "\xce\xbf ##\xce\xb4 ##\xce\xbf ##\xcf\x82");
    expect_pieces(t, "\xce\xa3\xce\x9f\xce\xa6\xce\x9f\xce\xa3", /* ΣΟΦΟΣ -> σοφος */
                  "\xcf\x83 ##\xce\xbf ##\xcf\x86 ##\xce\xbf ##\xcf\x82");
    expect_pieces(t, "\xce\xa3", "\xcf\x83");                                     /* Σ alone -> σ */
    expect_pieces(t, "\xce\x91\xce\xa3.", "\xce\xb1 ##\xcf\x82 .");               /* ΑΣ. -> ας. ('.' ignorable) */
    expect_pieces(t, "\xce\x91\xce\xa3\xce\x91", "\xce\xb1 ##\xcf\x83 ##\xce\xb1"); /* ΑΣΑ -> ασα */
    expect_pieces(t, "\xce\x91\xce\xa3'\xce\x91", "\xce\xb1 ##\xcf\x83 ' \xce\xb1"); /* ΑΣ'Α -> ασ'α */
    expect_pieces(t, "\xce\x91\xce\xa3-\xce\x91", "\xce\xb1 ##\xcf\x82 - \xce\xb1"); /* ΑΣ-Α -> ας-α */
    expect_pieces(t, "\xce\x91.\xce\xa3", "\xce\xb1 . \xcf\x82");                 /* Α.Σ -> α.ς */
    expect_pieces(t, ".\xce\xa3", ". \xcf\x83");                                  /* .Σ -> .σ */
    expect_pieces(t, "\xce\x91\xce\xa3\xcc\x81", "\xce\xb1 ##\xcf\x82");          /* ΑΣ + U+0301 -> ας, unaccented */
    expect_pieces(t, "\xc2\xaa\xce\xa3", "\xc2\xaa ##\xcf\x82");                  /* ªΣ -> ªς (ª Other_Lowercase) */
    expect_pieces(t, "\xce\x91\xce\xa3\xca\xb0", "\xce\xb1 ##\xcf\x82 ##\xca\xb0"); /* ΑΣʰ -> αςʰ (ʰ ignorable) */
    expect_pieces(t, "\xce\x91\xca\xb0 \xce\xa3", "\xce\xb1 ##\xca\xb0 \xcf\x83"); /* per whitespace token */
    /* İ -> i U+0307: the accent strip drops U+0307; without stripping it stays */
    expect_pieces(t, "\xc4\xb0", "i");
    pb_tokenizer_set_case(t, 1, 0);
    expect_pieces(t, "\xc4\xb0", "i ##\xcc\x87");
    expect_pieces(t, "\xce\x9f\xce\x94\xce\x9f\xce\xa3", "\xce\xbf ##\xce\xb4 ##\xce\xbf ##\xcf\x82");
    pb_tokenizer_set_case(t, 0, 0); /* cased: nothing is lowered */
    expect_pieces(t, "\xce\xa3", "[UNK]");
    pb_tokenizer_free(t);
    /* a tokenizer.json is HF's fast tokenizer: its BertNormalizer lowercases
     * char by char (Rust's char::to_lowercase), so Σ is always σ */
    json_t *vocab = json_object();
    assert_int_equal(pb_tokenizer_load(&t, p), 0);
    for (int32_t id = 0; id < pb_tokenizer_vocab_size(t); id++)
        json_object_set_new(vocab, pb_tokenizer_id_token(t, id), json_integer(id));
    pb_tokenizer_free(t);
    json_t *root = json_pack("{s:{s:s, s:b, s:b, s:n, s:b}, s:{s:s, s:s, s:o}}", "normalizer", "type",
                             "BertNormalizer", "clean_text", 1, "handle_chinese_chars", 1, "strip_accents",
                             "lowercase", 1, "model", "type", "WordPiece", "unk_token", "[UNK]", "vocab", vocab);
    assert_non_null(root);
    assert_int_equal(json_dump_file(root, pb_test_path(p, sizeof p, f->dir, "greek.json"), 0), 0);
    json_decref(root);
    assert_int_equal(pb_tokenizer_load(&t, p), 0);
    expect_pieces(t, "\xce\x9f\xce\x94\xce\x9f\xce\xa3", "\xce\xbf ##\xce\xb4 ##\xce\xbf ##\xcf\x83");
    expect_pieces(t, "\xc4\xb0", "i");
    pb_tokenizer_free(t);
}

static void test_offsets(void **state) {
    fx *f = *state;
    const char *text = "H\xc3\xa9llo, WORLD! UNwant\xc3\xa9" "d \xe4\xbd\xa0";
    const char *want[] = {"H\xc3\xa9llo", ",", "WORLD", "!", "UN", "want", "\xc3\xa9" "d", "\xe4\xbd\xa0"};
    int32_t *ids = NULL, *offs = NULL;
    size_t n = 0;
    assert_int_equal(pb_tokenizer_encode(f->txt, text, strlen(text), &ids, &n, &offs), 0);
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++) {
        size_t b = (size_t)offs[2 * i], e = (size_t)offs[2 * i + 1];
        if (e - b != strlen(want[i]) || memcmp(text + b, want[i], e - b) != 0)
            print_error("token %zu: [%zu,%zu) '%.*s' want '%s'\n", i, b, e, (int)(e - b), text + b, want[i]);
        assert_int_equal(e - b, strlen(want[i]));
        assert_memory_equal(text + b, want[i], e - b);
    }
    free(ids);
    free(offs);
}

static void check_enc(const pb_encoding *e, const int32_t *ids, const int32_t *types, int n_tokens, int max_len) {
    assert_int_equal(e->max_len, max_len);
    assert_int_equal(e->n_tokens, n_tokens);
    assert_memory_equal(e->input_ids, ids, (size_t)max_len * sizeof(int32_t));
    assert_memory_equal(e->token_type_ids, types, (size_t)max_len * sizeof(int32_t));
    for (int i = 0; i < max_len; i++) assert_int_equal(e->attention_mask[i], i < n_tokens);
}

static void test_pair(void **state) {
    fx *f = *state;
    pb_encoding e;
    /* build_inputs_with_special_tokens: [CLS] A [SEP] B [SEP]; types 0/1; padding with [PAD], type 0, mask 0 */
    assert_int_equal(pb_tokenizer_encode_pair(f->txt, "Hello", "world!", 8, PB_TRUNC_LONGEST_FIRST, &e), 0);
    check_enc(&e, (int32_t[]){CLS, HELLO, SEP, WORLD, BANG, SEP, PAD, PAD}, (int32_t[]){0, 0, 0, 1, 1, 1, 0, 0}, 6, 8);
    assert_int_equal(e.offsets[2 * 4], 5); /* "!" in b */
    assert_int_equal(e.offsets[2 * 0 + 1], 0); /* [CLS] -> [0,0] */
    pb_encoding_free(&e);
    /* single sequence */
    assert_int_equal(pb_tokenizer_encode_pair(f->txt, "hello", NULL, 4, PB_TRUNC_LONGEST_FIRST, &e), 0);
    check_enc(&e, (int32_t[]){CLS, HELLO, SEP, PAD}, (int32_t[]){0, 0, 0, 0}, 3, 4);
    pb_encoding_free(&e);
    /* longest_first: 4 + 1 + 3 = 8 > 6, remove 2, both from the longer A */
    assert_int_equal(pb_tokenizer_encode_pair(f->txt, "hello world hello world", "hello", 6, PB_TRUNC_LONGEST_FIRST, &e), 0);
    check_enc(&e, (int32_t[]){CLS, HELLO, WORLD, SEP, HELLO, SEP}, (int32_t[]){0, 0, 0, 0, 1, 1}, 6, 6);
    pb_encoding_free(&e);
    /* longest_first tie (2 vs 2, remove 1): HF removes from the pair (second) sequence */
    assert_int_equal(pb_tokenizer_encode_pair(f->txt, "hello world", "world hello", 6, PB_TRUNC_LONGEST_FIRST, &e), 0);
    check_enc(&e, (int32_t[]){CLS, HELLO, WORLD, SEP, WORLD, SEP}, (int32_t[]){0, 0, 0, 0, 1, 1}, 6, 6);
    pb_encoding_free(&e);
    /* longest_first alternates once lengths meet: 3 vs 2, remove 3 -> 1 vs 1 */
    assert_int_equal(pb_tokenizer_encode_pair(f->txt, "hello world hello", "world hello", 5, PB_TRUNC_LONGEST_FIRST, &e), 0);
    check_enc(&e, (int32_t[]){CLS, HELLO, SEP, WORLD, SEP}, (int32_t[]){0, 0, 0, 1, 1}, 5, 5);
    pb_encoding_free(&e);
    /* only_second: 4 + 2 + 3 = 9 > 8, B loses its last token */
    assert_int_equal(pb_tokenizer_encode_pair(f->txt, "hello world hello world", "world hello", 8, PB_TRUNC_ONLY_SECOND, &e), 0);
    check_enc(&e, (int32_t[]){CLS, HELLO, WORLD, HELLO, WORLD, SEP, WORLD, SEP}, (int32_t[]){0, 0, 0, 0, 0, 0, 1, 1}, 8, 8);
    pb_encoding_free(&e);
    /* only_second cannot remove 3 from a 2-token B: error (HF requires len(pair_ids) > num_tokens_to_remove) */
    assert_int_equal(pb_tokenizer_encode_pair(f->txt, "hello world hello world", "world hello", 6, PB_TRUNC_ONLY_SECOND, &e), PB_ERANGE);
    PB_ASSERT_MSG_HAS("only_second");
    assert_int_equal(pb_tokenizer_encode_pair(f->txt, "hello", "world", 2, PB_TRUNC_LONGEST_FIRST, &e), PB_ERANGE);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_vocab_lookup),
                                       cmocka_unit_test(test_vocab_invalid_utf8),
                                       cmocka_unit_test(test_basic_and_wordpiece),
                                       cmocka_unit_test(test_final_sigma),
                                       cmocka_unit_test(test_offsets), cmocka_unit_test(test_pair)};
    return cmocka_run_group_tests_name("wordpiece", tests, setup, teardown);
}
