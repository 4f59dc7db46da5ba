/* GPT-2 / RoBERTa byte-level BPE: ids, offsets and pair encoding against
 * Hugging Face's GPT2Tokenizer algorithm (GPT-2 pre-tokenization regex,
 * bytes_to_unicode, lowest-rank-first merges). Each expectation names the step
 * that produces it. The vocabulary: <s>=0 <pad>=1 </s>=2 <unk>=3, the 256 byte
 * symbols at 4 + byte, then the merge results in MERGED order. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "bpe.h"
#include "tok.h"
#include "testutil.h"

enum { BOS = 0, PAD = 1, EOS = 2, NSPEC = 4 };
#define B(c) (NSPEC + (int32_t)(unsigned char)(c)) /* id of a byte's symbol */
#define SP B(' ')                                  /* "Ġ" */

/* merges.txt lines (rank = index) and their results' ids (NSPEC + 256 + index). */
static const char *const MERGES[] = {"\xc4\xa0 t",      "h e",   "\xc4\xa0t he",   "l l",   "ll o",    "H e",
                                     "He llo",          "\xc4\xa0 w", "o r",       "\xc4\xa0w or", "l d",
                                     "\xc4\xa0wor ld",  "d o",   "do n",           "' t",   "1 2",     "12 3",
                                     "a b",             "ab c",  "\xc4\xa0 \xc4\xa0", "\xc4\xa0 b", "\xc3\x83 \xc2\xa9"};
#define NM ((int)(sizeof MERGES / sizeof MERGES[0]))
enum { M_T = NSPEC + 256, M_HE, M_THE, M_LL, M_LLO, M_HE2, M_HELLO, M_W, M_OR, M_WOR, M_LD, M_WORLD, M_DO,
       M_DON, M_APT, M_12, M_123, M_AB, M_ABC, M_SPSP, M_SPB, M_EACUTE };

typedef struct {
    char dir[256];
    pb_bpe *t;
} fx;

/* GPT-2's bytes_to_unicode, written out independently of the library. */
static void byte_symbol(int b, char *out) {
    int n = 0, cp = b;
    for (int i = 0; i < 256; i++) {
        int self = (i >= '!' && i <= '~') || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE && i <= 0xFF);
        if (!self && i == b) cp = 256 + n;
        if (!self) n++;
    }
    utf8proc_ssize_t k = utf8proc_encode_char(cp, (utf8proc_uint8_t *)out);
    out[k] = '\0';
}

static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    if (!f || pb_test_tmpdir_create(f->dir, sizeof f->dir, "bpe") != 0) return -1;
    char pv[512], pm[512], sym[8];
    json_t *vocab = json_object();
    json_object_set_new(vocab, "<s>", json_integer(BOS));
    json_object_set_new(vocab, "<pad>", json_integer(PAD));
    json_object_set_new(vocab, "</s>", json_integer(EOS));
    json_object_set_new(vocab, "<unk>", json_integer(3));
    for (int b = 0; b < 256; b++) {
        byte_symbol(b, sym);
        json_object_set_new(vocab, sym, json_integer(NSPEC + b));
    }
    FILE *o = fopen(pb_test_path(pm, sizeof pm, f->dir, "merges.txt"), "wb");
    if (!o) return -1;
    fprintf(o, "#version: 0.2\n");
    for (int i = 0; i < NM; i++) {
        char merged[64];
        size_t k = 0;
        for (const char *p = MERGES[i]; *p; p++)
            if (*p != ' ') merged[k++] = *p;
        merged[k] = '\0';
        json_object_set_new(vocab, merged, json_integer(NSPEC + 256 + i));
        fprintf(o, "%s%s", MERGES[i], i % 2 ? "\r\n" : "\n"); /* both line ends */
    }
    fclose(o);
    if (json_dump_file(vocab, pb_test_path(pv, sizeof pv, f->dir, "vocab.json"), 0) != 0) return -1;
    json_decref(vocab);
    if (pb_bpe_load(&f->t, pv, pm) != 0) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    pb_bpe_free(f->t);
    pb_test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* Encode text[0, len); the ids must be `want` (n), and when `pieces` is not
 * NULL the offsets must cut the text into those n substrings. */
static void expect_ids(const fx *f, const char *text, size_t len, const int32_t *want, size_t n,
                       const char *const *pieces) {
    int32_t *ids = NULL, *offs = NULL;
    size_t got = 99;
    assert_int_equal(pb_bpe_encode(f->t, text, len, &ids, &got, &offs), 0);
    int bad = got != n;
    for (size_t i = 0; !bad && i < n; i++) bad = ids[i] != want[i];
    if (bad) {
        print_error("MISMATCH for '%.*s': got", (int)len, text);
        for (size_t i = 0; i < got; i++) print_error(" %d", (int)ids[i]);
        print_error(" want");
        for (size_t i = 0; i < n; i++) print_error(" %d", (int)want[i]);
        print_error("\n");
    }
    assert_false(bad);
    size_t prev = 0;
    for (size_t i = 0; i < got; i++) { /* offsets tile the text in order (byte-level BPE loses nothing) */
        assert_int_equal(offs[2 * i], prev);
        assert_true(offs[2 * i] < offs[2 * i + 1] && (size_t)offs[2 * i + 1] <= len);
        prev = (size_t)offs[2 * i + 1];
        if (pieces) {
            size_t pl = strlen(pieces[i]);
            if (pl != (size_t)(offs[2 * i + 1] - offs[2 * i]) || memcmp(text + offs[2 * i], pieces[i], pl) != 0)
                print_error("offset %zu of '%.*s' is '%.*s', want '%s'\n", i, (int)len, text,
                            (int)(offs[2 * i + 1] - offs[2 * i]), text + offs[2 * i], pieces[i]);
            assert_int_equal(pl, offs[2 * i + 1] - offs[2 * i]);
            assert_memory_equal(text + offs[2 * i], pieces[i], pl);
        }
    }
    assert_int_equal(prev, len);
    free(ids);
    free(offs);
}
#define EXPECT(f, text, ...)                                                                   \
    do {                                                                                       \
        const int32_t w_[] = {__VA_ARGS__};                                                    \
        expect_ids((f), (text), strlen(text), w_, sizeof w_ / sizeof w_[0], NULL);             \
    } while (0)

static void test_load(void **state) {
    fx *f = *state;
    assert_int_equal(pb_bpe_token_id(f->t, "\xc4\xa0the"), M_THE);  /* "Ġthe" */
    assert_int_equal(pb_bpe_token_id(f->t, "\xc4\x8a"), B('\n'));   /* byte 10 -> U+010A "Ċ" (256 + 10) */
    assert_int_equal(pb_bpe_token_id(f->t, "\xc4\xa0"), B(' '));    /* byte 32 -> U+0120 "Ġ" (256 + 32) */
    assert_int_equal(pb_bpe_token_id(f->t, "\xc5\x83"), B(0xAD));   /* byte 173 -> U+0143 (256 + 67, the last) */
    assert_int_equal(pb_bpe_token_id(f->t, "\xc3\xbf"), B(0xFF));   /* byte 255 maps to itself "ÿ" */
    assert_int_equal(pb_bpe_token_id(f->t, "nope"), -1);
    pb_bpe *t = NULL;
    char pv[512], pm[512];
    pb_test_path(pv, sizeof pv, f->dir, "vocab.json");
    assert_int_equal(pb_bpe_load(&t, "/nonexistent/vocab.json", pv), PB_EIO);
    PB_ASSERT_MSG_HAS("/nonexistent/vocab.json");
    /* a merge line with three fields is malformed */
    FILE *o = fopen(pb_test_path(pm, sizeof pm, f->dir, "bad_merges.txt"), "wb");
    assert_non_null(o);
    fputs("a b\nx y z\n", o);
    fclose(o);
    assert_int_equal(pb_bpe_load(&t, pv, pm), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("bad_merges.txt:2");
    assert_null(t);
}

static void test_words(void **state) {
    fx *f = *state;
    /* empty text: no pre-tokens, no ids */
    int32_t *ids = NULL;
    size_t n = 99;
    assert_int_equal(pb_bpe_encode(f->t, "", 0, &ids, &n, NULL), 0);
    assert_int_equal(n, 0);
    free(ids);
    /* pre-tokens "Hello" | " world"; BPE "Hello": l l(3) -> ll o(4) -> H e(5) -> He llo(6);
     * " world" = Ġ w o r l d: Ġ w(7), o r(8), Ġw or(9), l d(10), Ġwor ld(11) */
    EXPECT(f, "Hello world", M_HELLO, M_WORLD);
    /* " the": ` ?\p{L}+` keeps the space; Ġ t(0), h e(1), Ġt he(2) */
    EXPECT(f, " the", M_THE);
    /* "the" without the space: h e(1) only; "t" stays a byte symbol */
    EXPECT(f, "the", B('t'), M_HE);
    /* contraction alternative 't: "don" | "'t"; d o(12), do n(13); ' t(14) */
    EXPECT(f, "don't", M_DON, M_APT);
    /* 'll is a contraction: "I" | "'ll"; l l(3) inside it */
    EXPECT(f, "I'll", B('I'), B('\''), M_LL);
    /* letters and numbers are separate runs: "abc" | "123"; a b(17) ab c(18); 1 2(15) 12 3(16) */
    EXPECT(f, "abc123", M_ABC, M_123);
    /* " 123": ` ?\p{N}+` keeps the space; no "Ġ 1" merge */
    EXPECT(f, "x 123", B('x'), SP, M_123);
    /* punctuation run ` ?[^\s\p{L}\p{N}]+`: " !?" is one pre-token of three byte symbols */
    EXPECT(f, "a !?", B('a'), SP, B('!'), B('?'));
}

static void test_whitespace(void **state) {
    fx *f = *state;
    /* "a   b": "a" | "  " (\s+(?!\S) gives the last space back) | " b"; Ġ Ġ(19), Ġ b(20) */
    EXPECT(f, "a   b", B('a'), M_SPSP, M_SPB);
    /* a single space before a letter belongs to the letter run: "a" | " b" */
    EXPECT(f, "a b", B('a'), M_SPB);
    /* newline: "a" | "\n" | "b"; \n is byte 10 -> Ċ */
    EXPECT(f, "a\nb", B('a'), B('\n'), B('b'));
    /* "a\n b": run "\n " gives " " back: "a" | "\n" | " b" -> Ġb(20) */
    EXPECT(f, "a\n b", B('a'), B('\n'), M_SPB);
    /* trailing whitespace run at the end: \s+(?!\S) takes all of it: "a" | "   " -> Ġ Ġ(19) then Ġ */
    EXPECT(f, "a   ", B('a'), M_SPSP, SP);
    /* tab before a letter: \t is not ' ', so "\t" is its own \s+ piece, then "b" */
    EXPECT(f, "a\tb", B('a'), B('\t'), B('b'));
    /* U+00A0 (Zs) is whitespace: "a" | "\xc2\xa0" (bytes C2 A0 -> two symbols) | "b" */
    EXPECT(f, "a\xc2\xa0" "b", B('a'), B(0xC2), B(0xA0), B('b'));
}

static void test_bytes(void **state) {
    fx *f = *state;
    /* emoji U+1F600 (So): 4 UTF-8 bytes -> 4 byte symbols, no merges */
    EXPECT(f, "\xf0\x9f\x98\x80", B(0xF0), B(0x9F), B(0x98), B(0x80));
    /* " 😀": ` ?[^\s\p{L}\p{N}]+` keeps the space */
    EXPECT(f, "hi \xf0\x9f\x98\x80", B('h'), B('i'), SP, B(0xF0), B(0x9F), B(0x98), B(0x80));
    /* accented letter: é (Ll) stays in the letter run "café"; C3 A9 -> "Ã" "©", merged by Ã ©(21) */
    EXPECT(f, "caf\xc3\xa9", B('c'), B('a'), B('f'), M_EACUTE);
    EXPECT(f, " caf\xc3\xa9s", SP, B('c'), B('a'), B('f'), M_EACUTE, B('s'));
    /* invalid UTF-8: 0xFF is an "other symbol" character, splitting the letters: "a" | "\xff" | "b" */
    EXPECT(f, "a\xff" "b", B('a'), B(0xFF), B('b'));
    /* a lone continuation byte and a truncated sequence join the punctuation run " \x80\xe2!" */
    EXPECT(f, "a \x80\xe2!", B('a'), SP, B(0x80), B(0xE2), B('!'));
    /* embedded NUL is a byte like any other (Cc, "other"): Ā = 256 + 0 */
    const int32_t w[] = {B('a'), B(0), B('b')};
    expect_ids(f, "a\0b", 3, w, 3, NULL);
}

static void test_offsets(void **state) {
    fx *f = *state;
    {
        const int32_t w[] = {M_HELLO, M_WORLD, B('!')};
        const char *const p[] = {"Hello", " world", "!"};
        expect_ids(f, "Hello world!", 12, w, 3, p);
    }
    {   /* merged symbols cover their bytes, byte symbols one byte each */
        const int32_t w[] = {M_DON, M_APT, SP, B(0xF0), B(0x9F), B(0x98), B(0x80), M_SPSP, M_SPB};
        const char *const p[] = {"don", "'t", " ", "\xf0", "\x9f", "\x98", "\x80", "  ", " b"};
        const char *text = "don't \xf0\x9f\x98\x80   b";
        expect_ids(f, text, strlen(text), w, 9, p);
    }
}

static void expect_enc(const pb_encoding *e, int max_len, const int32_t *ids, int n) {
    assert_int_equal(e->max_len, max_len);
    assert_int_equal(e->n_tokens, n);
    for (int i = 0; i < max_len; i++) {
        int32_t want = i < n ? ids[i] : PAD;
        if (e->input_ids[i] != want) print_error("position %d: got %d want %d\n", i, e->input_ids[i], want);
        assert_int_equal(e->input_ids[i], want);
        assert_int_equal(e->token_type_ids[i], 0); /* RoBERTa: one token type */
        assert_int_equal(e->attention_mask[i], i < n);
    }
}

static void test_pair(void **state) {
    fx *f = *state;
    pb_encoding e;
    /* template <s> A </s></s> B </s>, padded with <pad> */
    assert_int_equal(pb_bpe_encode_pair(f->t, "Hello world", " the", 10, PB_TRUNC_LONGEST_FIRST, &e), 0);
    {
        const int32_t w[] = {BOS, M_HELLO, M_WORLD, EOS, EOS, M_THE, EOS};
        expect_enc(&e, 10, w, 7);
        /* offsets: A's tokens into a, B's into b, specials [0, 0] */
        const int32_t off[] = {0, 0, 0, 5, 5, 11, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0};
        assert_memory_equal(e.offsets, off, sizeof off);
    }
    pb_encoding_free(&e);
    /* single sequence: <s> A </s> */
    assert_int_equal(pb_bpe_encode_pair(f->t, "don't", NULL, 5, PB_TRUNC_LONGEST_FIRST, &e), 0);
    {
        const int32_t w[] = {BOS, M_DON, M_APT, EOS};
        expect_enc(&e, 5, w, 4);
    }
    pb_encoding_free(&e);
    /* longest_first: A = don 't Ġ abc (4), B = Ġthe (1); 9 > 7, remove 2, both from the longer A */
    assert_int_equal(pb_bpe_encode_pair(f->t, "don't abc", " the", 7, PB_TRUNC_LONGEST_FIRST, &e), 0);
    {
        const int32_t w[] = {BOS, M_DON, M_APT, EOS, EOS, M_THE, EOS};
        expect_enc(&e, 7, w, 7);
    }
    pb_encoding_free(&e);
    /* longest_first on a tie (2 and 2, remove 1) removes from B */
    assert_int_equal(pb_bpe_encode_pair(f->t, "don't", "abc123", 7, PB_TRUNC_LONGEST_FIRST, &e), 0);
    {
        const int32_t w[] = {BOS, M_DON, M_APT, EOS, EOS, M_ABC, EOS};
        expect_enc(&e, 7, w, 7);
    }
    pb_encoding_free(&e);
    /* only_second: only B shrinks */
    assert_int_equal(pb_bpe_encode_pair(f->t, "Hello", "don't abc", 7, PB_TRUNC_ONLY_SECOND, &e), 0);
    {
        const int32_t w[] = {BOS, M_HELLO, EOS, EOS, M_DON, M_APT, EOS};
        expect_enc(&e, 7, w, 7);
    }
    pb_encoding_free(&e);
    /* only_second impossible when B is not longer than what must go */
    assert_int_equal(pb_bpe_encode_pair(f->t, "don't abc", " the", 7, PB_TRUNC_ONLY_SECOND, &e), PB_ERANGE);
    /* single sequence truncation: "don't abc" to 2 tokens */
    assert_int_equal(pb_bpe_encode_pair(f->t, "don't abc", NULL, 4, PB_TRUNC_LONGEST_FIRST, &e), 0);
    {
        const int32_t w[] = {BOS, M_DON, M_APT, EOS};
        expect_enc(&e, 4, w, 4);
    }
    pb_encoding_free(&e);
    assert_int_equal(pb_bpe_encode_pair(f->t, "a", "b", 3, PB_TRUNC_LONGEST_FIRST, &e), PB_ERANGE);
}

static void test_missing_symbol(void **state) {
    fx *f = *state;
    /* a vocabulary without the byte symbol "z" and without specials */
    char pv[512], pm[512];
    json_t *v = json_pack("{s:i, s:i}", "a", 0, "b", 1);
    assert_int_equal(json_dump_file(v, pb_test_path(pv, sizeof pv, f->dir, "small.json"), 0), 0);
    json_decref(v);
    FILE *o = fopen(pb_test_path(pm, sizeof pm, f->dir, "small.txt"), "wb");
    assert_non_null(o);
    fputs("a b\n", o);
    fclose(o);
    pb_bpe *t = NULL;
    assert_int_equal(pb_bpe_load(&t, pv, pm), 0);
    int32_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(pb_bpe_encode(t, "ab", 2, &ids, &n, NULL), PB_EFORMAT); /* "a b" merged, "ab" not in vocab */
    PB_ASSERT_MSG_HAS("'ab'");
    assert_int_equal(pb_bpe_encode(t, "az", 2, &ids, &n, NULL), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("'z'");
    assert_null(ids);
    pb_encoding e;
    assert_int_equal(pb_bpe_encode_pair(t, "a", NULL, 4, PB_TRUNC_LONGEST_FIRST, &e), PB_ENOTFOUND);
    pb_bpe_free(t);
}

/* tokenizer.json (merges as "a b" strings, or as [a, b] pairs in newer
 * tokenizers releases) gives the same ids as vocab.json + merges.txt; pb_tok
 * finds either in a folder and wraps them with RoBERTa's template. */
static void write_tokenizer_json(const char *dir, const char *name, int pairs) {
    char pv[512], pj[512];
    json_error_t je;
    json_t *vocab = json_load_file(pb_test_path(pv, sizeof pv, dir, "vocab.json"), 0, &je);
    assert_non_null(vocab);
    json_t *merges = json_array();
    for (int i = 0; i < NM; i++) {
        if (!pairs) {
            json_array_append_new(merges, json_string(MERGES[i]));
            continue;
        }
        const char *sp = strchr(MERGES[i], ' ');
        json_t *pr = json_array();
        json_array_append_new(pr, json_stringn(MERGES[i], (size_t)(sp - MERGES[i])));
        json_array_append_new(pr, json_string(sp + 1));
        json_array_append_new(merges, pr);
    }
    json_t *root = json_pack("{s:{s:s, s:o, s:o}}", "model", "type", "BPE", "vocab", vocab, "merges", merges);
    assert_non_null(root);
    assert_int_equal(json_dump_file(root, pb_test_path(pj, sizeof pj, dir, name), 0), 0);
    json_decref(root);
}

static void test_tokenizer_json(void **state) {
    fx *f = *state;
    const char *text = "Hello world, don't 123 abc";
    int32_t *want, *got;
    size_t nw, ng;
    assert_int_equal(pb_bpe_encode(f->t, text, strlen(text), &want, &nw, NULL), 0);
    for (int pairs = 0; pairs < 2; pairs++) {
        write_tokenizer_json(f->dir, "tokenizer.json", pairs);
        char pj[512];
        pb_bpe *t;
        assert_int_equal(pb_bpe_load_json(&t, pb_test_path(pj, sizeof pj, f->dir, "tokenizer.json")), 0);
        assert_int_equal(pb_bpe_encode(t, text, strlen(text), &got, &ng, NULL), 0);
        assert_int_equal(ng, nw);
        assert_memory_equal(got, want, nw * sizeof *got);
        assert_int_equal(pb_bpe_vocab_size(t), NSPEC + 256 + NM);
        free(got);
        pb_bpe_free(t);
        /* the folder holds tokenizer.json, which pb_tok prefers */
        pb_tok *tok;
        assert_int_equal(pb_tok_load(&tok, f->dir), 0);
        assert_int_equal(pb_tok_get_kind(tok), PB_TOK_BPE);
        assert_int_equal(pb_tok_special(tok, PB_TOK_CLS), BOS);
        assert_int_equal(pb_tok_special(tok, PB_TOK_SEP), EOS);
        assert_int_equal(pb_tok_special(tok, PB_TOK_PAD), PAD);
        assert_int_equal(pb_tok_special(tok, PB_TOK_MASK), -1); /* the fixture has no <mask> */
        pb_encoding e;
        assert_int_equal(pb_tok_encode_pair(tok, "abc", "123", 10, PB_TRUNC_LONGEST_FIRST, &e), 0);
        /* <s> abc </s> </s> 123 </s> <pad>...: RoBERTa's pair template */
        const int32_t ids[10] = {BOS, M_ABC, EOS, EOS, M_123, EOS, PAD, PAD, PAD, PAD};
        assert_memory_equal(e.input_ids, ids, sizeof ids);
        pb_encoding_free(&e);
        pb_tok_free(tok);
    }
    free(want);
    /* without tokenizer.json the folder's vocab.json + merges.txt are used */
    char pj[512];
    remove(pb_test_path(pj, sizeof pj, f->dir, "tokenizer.json"));
    pb_tok *tok;
    assert_int_equal(pb_tok_load(&tok, f->dir), 0);
    assert_int_equal(pb_tok_get_kind(tok), PB_TOK_BPE);
    pb_tok_free(tok);
    /* a merge that is not a pair is refused by index */
    FILE *o = fopen(pb_test_path(pj, sizeof pj, f->dir, "bad.json"), "wb");
    assert_non_null(o);
    fputs("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\", \"abc\"]}}", o);
    fclose(o);
    pb_bpe *t;
    assert_int_equal(pb_bpe_load_json(&t, pj), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("model.merges[1]");
    assert_int_equal(pb_tok_load(&tok, pj), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("bad.json");
    remove(pj);
}

/* ---- special and added tokens in the text ---- */

enum { MASK = NSPEC + 256 + NM, EOT = MASK + 1, XTOK = MASK + 10, XYTOK = MASK + 11, BCTOK = MASK + 12,
       ABCD = MASK + 13, RTOK = MASK + 14, SWTOK = MASK + 15 };

/* The fixture's vocabulary plus <mask> and <|endoftext|>; its path into pv. */
static void write_special_vocab(const fx *f, char *pv, size_t cap) {
    char p[512];
    json_error_t je;
    json_t *vocab = json_load_file(pb_test_path(p, sizeof p, f->dir, "vocab.json"), 0, &je);
    assert_non_null(vocab);
    json_object_set_new(vocab, "<mask>", json_integer(MASK));
    json_object_set_new(vocab, "<|endoftext|>", json_integer(EOT));
    assert_int_equal(json_dump_file(vocab, pb_test_path(pv, cap, f->dir, "sp_vocab.json"), 0), 0);
    json_decref(vocab);
}

/* vocab.json + merges.txt, as RobertaTokenizer / GPT2Tokenizer: the text is
 * split on the special tokens the vocabulary holds (longest first), each is
 * its id, the pieces between are pre-tokenized and BPE-encoded on their own;
 * <mask> (AddedToken lstrip=True) absorbs the whitespace before it. */
static void test_special_tokens(void **state) {
    fx *f = *state;
    char pv[512], pm[512];
    write_special_vocab(f, pv, sizeof pv);
    fx g = *f;
    assert_int_equal(pb_bpe_load(&g.t, pv, pb_test_path(pm, sizeof pm, f->dir, "merges.txt")), 0);
    EXPECT(&g, "<s>", BOS);
    EXPECT(&g, "<s><pad></s><unk>", BOS, PAD, EOS, 3);
    EXPECT(&g, "<|endoftext|>", EOT);
    /* "Hello" | <s> | "world": w o r l d merges o r(8), l d(10) only ("w or" needs Ġ) */
    EXPECT(&g, "Hello<s>world", M_HELLO, BOS, B('w'), M_OR, M_LD);
    /* </s> strips nothing: "Hello " | </s> | " world" ("Hello " -> Hello Ġ) */
    EXPECT(&g, "Hello </s> world", M_HELLO, SP, EOS, M_WORLD);
    /* <mask> lstrip: "Hello" | " <mask>" | " world"; every space before it goes */
    {
        const int32_t w[] = {M_HELLO, MASK, M_WORLD};
        const char *const p[] = {"Hello", " <mask>", " world"};
        expect_ids(&g, "Hello <mask> world", 18, w, 3, p);
    }
    EXPECT(&g, "Hello \t <mask>", M_HELLO, MASK);
    EXPECT(&g, "<mask><mask> <mask>", MASK, MASK, MASK);
    EXPECT(&g, " <mask>", MASK);
    /* the whitespace an earlier token took is not taken again: </s> then <mask> */
    EXPECT(&g, "</s> <mask>", EOS, MASK);
    /* not verbatim: plain text ("<S>": punctuation, letter, punctuation runs; "<s" unfinished) */
    EXPECT(&g, "<S>", B('<'), B('S'), B('>'));
    EXPECT(&g, "a<s", B('a'), B('<'), B('s'));
    EXPECT(&g, "<|endoftext|", B('<'), B('|'), B('e'), B('n'), M_DO, B('f'), B('t'), B('e'), B('x'), B('t'), B('|'));
    /* the pair template around text holding specials */
    pb_encoding e;
    assert_int_equal(pb_bpe_encode_pair(g.t, "don't <mask>", "<s>", 8, PB_TRUNC_LONGEST_FIRST, &e), 0);
    {
        const int32_t w[] = {BOS, M_DON, M_APT, MASK, EOS, EOS, BOS, EOS};
        expect_enc(&e, 8, w, 8);
        assert_int_equal(e.offsets[2 * 3], 5); /* " <mask>" in a */
        assert_int_equal(e.offsets[2 * 3 + 1], 12);
    }
    pb_encoding_free(&e);
    pb_bpe_free(g.t);
    /* a vocabulary without <mask>: "<mask>" is plain text */
    EXPECT(f, "<mask>", B('<'), B('m'), B('a'), B('s'), B('k'), B('>'));
    EXPECT(f, "<s>", BOS);
}

/* tokenizer.json: exactly its added_tokens are split out, with their ids and
 * their lstrip / rstrip / single_word flags, as the tokenizers library does:
 * non-normalized tokens first, then normalized ones in the pieces left,
 * leftmost-longest within each pass. */
static void test_added_tokens_json(void **state) {
    fx *f = *state;
    char pv[512], pj[512];
    write_special_vocab(f, pv, sizeof pv);
    json_error_t je;
    json_t *vocab = json_load_file(pv, 0, &je);
    assert_non_null(vocab);
    json_t *merges = json_array();
    for (int i = 0; i < NM; i++) json_array_append_new(merges, json_string(MERGES[i]));
    json_t *added = json_pack(
        "[{s:i, s:s, s:b, s:b, s:b, s:b, s:b}, {s:i, s:s, s:b, s:b, s:b, s:b, s:b},"
        " {s:i, s:s}, {s:i, s:s}, {s:i, s:s, s:b}, {s:i, s:s, s:b}, {s:i, s:s, s:b}, {s:i, s:s, s:b}]",
        "id", BOS, "content", "<s>", "single_word", 0, "lstrip", 0, "rstrip", 0, "normalized", 1, "special", 1,
        "id", MASK, "content", "<mask>", "single_word", 0, "lstrip", 1, "rstrip", 0, "normalized", 0, "special", 1,
        "id", XTOK, "content", "<x>", "id", XYTOK, "content", "<x>y", "id", BCTOK, "content", "bc", "normalized", 0,
        "id", ABCD, "content", "abcd", "normalized", 1, "id", RTOK, "content", "[R]", "rstrip", 1, "id", SWTOK,
        "content", "sw", "single_word", 1);
    assert_non_null(added);
    json_t *root = json_pack("{s:o, s:{s:s, s:o, s:o}}", "added_tokens", added, "model", "type", "BPE", "vocab",
                             vocab, "merges", merges);
    assert_non_null(root);
    assert_int_equal(json_dump_file(root, pb_test_path(pj, sizeof pj, f->dir, "added.json"), 0), 0);
    json_decref(root);
    fx g = *f;
    assert_int_equal(pb_bpe_load_json(&g.t, pj), 0);
    assert_int_equal(pb_bpe_vocab_size(g.t), SWTOK + 1); /* added ids beyond model.vocab count */
    assert_int_equal(pb_bpe_token_id(g.t, "<x>y"), XYTOK);
    EXPECT(&g, "Hello <mask>", M_HELLO, MASK);
    EXPECT(&g, "<s>the", BOS, B('t'), M_HE);
    /* </s> is in model.vocab but not in added_tokens: plain text */
    EXPECT(&g, "</s>", B('<'), B('/'), B('s'), B('>'));
    /* longest first at the same position: "<x>y" over "<x>" */
    EXPECT(&g, "<x>yz<x>z", XYTOK, B('z'), XTOK, B('z'));
    /* pass order: the non-normalized "bc" is split out before the normalized "abcd" is looked for */
    EXPECT(&g, "abcd", B('a'), BCTOK, B('d'));
    EXPECT(&g, "ab cd", M_AB, SP, B('c'), B('d'));
    /* rstrip: the whitespace after "[R]" goes with it */
    {
        const int32_t w[] = {B('a'), RTOK, B('b')};
        const char *const p[] = {"a", "[R] \n ", "b"};
        expect_ids(&g, "a[R] \n b", 8, w, 3, p);
    }
    /* single_word: only where no word character (\w) touches it */
    EXPECT(&g, "a sw b", B('a'), SP, SWTOK, M_SPB);
    EXPECT(&g, "swa", B('s'), B('w'), B('a'));
    EXPECT(&g, "_sw", B('_'), B('s'), B('w'));
    EXPECT(&g, "sw!", SWTOK, B('!'));
    pb_bpe_free(g.t);
    /* the fixture's tokenizer.json lists no added tokens: "<s>" is plain text there */
    write_tokenizer_json(f->dir, "plain.json", 0);
    assert_int_equal(pb_bpe_load_json(&g.t, pb_test_path(pj, sizeof pj, f->dir, "plain.json")), 0);
    EXPECT(&g, "<s>", B('<'), B('s'), B('>'));
    pb_bpe_free(g.t);
    remove(pj);
    /* a malformed entry is refused by index */
    FILE *o = fopen(pb_test_path(pj, sizeof pj, f->dir, "bad_added.json"), "wb");
    assert_non_null(o);
    fputs("{\"added_tokens\": [{\"id\": 0, \"content\": \"<s>\"}, {\"id\": 1}],"
          " \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}",
          o);
    fclose(o);
    assert_int_equal(pb_bpe_load_json(&g.t, pj), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("bad_added.json: added_tokens[1]");
    remove(pj);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_load),    cmocka_unit_test(test_words),
                                       cmocka_unit_test(test_whitespace), cmocka_unit_test(test_bytes),
                                       cmocka_unit_test(test_offsets), cmocka_unit_test(test_pair),
                                       cmocka_unit_test(test_missing_symbol), cmocka_unit_test(test_tokenizer_json),
                                       cmocka_unit_test(test_special_tokens), cmocka_unit_test(test_added_tokens_json)};
    return cmocka_run_group_tests_name("bpe", tests, setup, teardown);
}
