/* BERT WordPiece tokenizer (see tokenizer.h).
 *
 * Lowercasing is Python's str.lower() on each whitespace token, as the slow
 * BertTokenizer applies it: utf8proc's simple mapping (equal to Python's for
 * every code point but two), U+0130 -> "i" U+0307 (the one unconditional
 * expansion of SpecialCasing.txt), and U+03A3 by the Final_Sigma rule (final
 * sigma U+03C2 after a cased character and not before one, case-ignorable
 * characters skipped; Cased and Case_Ignorable as is_cased /
 * is_case_ignorable below). A tokenizer.json loads the fast tokenizer's
 * BertNormalizer, which lowercases char by char (Rust's char::to_lowercase):
 * there U+03A3 is always U+03C3 (HF's fast and slow tokenizers differ on it);
 * U+0130 expands the same way in both. Accent stripping removes U+0307 but
 * never turns U+03C2 back into U+03C3 (neither decomposes). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "pb_error.h"
#include "tokenizer.h"

#define N_SPECIAL 5
static const char *const special_tokens[N_SPECIAL] = {"[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"};

struct pb_tokenizer {
    char **tokens; /* id -> token (NULL for ids missing in a tokenizer.json) */
    size_t *tok_len;
    int32_t n_tokens;
    int32_t *slots; /* open addressing: id or -1 */
    size_t cap;     /* power of two */
    int32_t unk, cls, sep, pad;
    int lower, strip_accents, chinese, clean;
    int final_sigma; /* lowercase U+03A3 by Python's Final_Sigma rule (slow BertTokenizer; vocab.txt) */
    char prefix[32];
    size_t prefix_len;
    int max_chars;
};

/* ---- hash table ------------------------------------------------------------ */

static uint64_t hash_bytes(const char *p, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

static int32_t lookup(const pb_tokenizer *t, const char *p, size_t n) {
    size_t i = (size_t)hash_bytes(p, n) & (t->cap - 1);
    for (;;) {
        int32_t id = t->slots[i];
        if (id < 0) return -1;
        if (t->tok_len[id] == n && memcmp(t->tokens[id], p, n) == 0) return id;
        i = (i + 1) & (t->cap - 1);
    }
}

/* Insert id; a later duplicate replaces the earlier id (HF's dict assignment). */
static void insert(pb_tokenizer *t, int32_t id) {
    size_t i = (size_t)hash_bytes(t->tokens[id], t->tok_len[id]) & (t->cap - 1);
    for (;;) {
        int32_t cur = t->slots[i];
        if (cur < 0 || (t->tok_len[cur] == t->tok_len[id] && memcmp(t->tokens[cur], t->tokens[id], t->tok_len[id]) == 0)) {
            t->slots[i] = id;
            return;
        }
        i = (i + 1) & (t->cap - 1);
    }
}

static int build_table(pb_tokenizer *t, const char *path) {
    t->cap = 16;
    while (t->cap < (size_t)t->n_tokens * 2 + 1) t->cap <<= 1;
    t->slots = malloc(t->cap * sizeof *t->slots);
    if (!t->slots) return PB_ERR(PB_ENOMEM, "%s: hash table of %zu slots", path, t->cap);
    for (size_t i = 0; i < t->cap; i++) t->slots[i] = -1;
    for (int32_t id = 0; id < t->n_tokens; id++)
        if (t->tokens[id]) insert(t, id);
    return 0;
}

void pb_tokenizer_free(pb_tokenizer *t) {
    if (!t) return;
    if (t->tokens)
        for (int32_t i = 0; i < t->n_tokens; i++) free(t->tokens[i]);
    free(t->tokens);
    free(t->tok_len);
    free(t->slots);
    free(t);
}

/* ---- loading ----------------------------------------------------------------- */

static int alloc_tokens(pb_tokenizer *t, int32_t n, const char *path) {
    t->n_tokens = n;
    t->tokens = calloc((size_t)(n ? n : 1), sizeof *t->tokens);
    t->tok_len = calloc((size_t)(n ? n : 1), sizeof *t->tok_len);
    if (!t->tokens || !t->tok_len) return PB_ERR(PB_ENOMEM, "%s: %d tokens", path, (int)n);
    return 0;
}

static int set_token(pb_tokenizer *t, int32_t id, const char *s, size_t n, const char *path) {
    t->tokens[id] = malloc(n + 1);
    if (!t->tokens[id]) return PB_ERR(PB_ENOMEM, "%s: token %d", path, (int)id);
    memcpy(t->tokens[id], s, n);
    t->tokens[id][n] = 0;
    t->tok_len[id] = n;
    return 0;
}

/* Byte offset of the first invalid UTF-8 sequence of s[0, n), or n when all
 * of it is valid (utf8proc: no overlongs, surrogates or code points above
 * U+10FFFF, as Python's strict "utf-8" codec). */
static size_t utf8_invalid_at(const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);
        if (k <= 0) return i;
        i += (size_t)k;
    }
    return n;
}

/* vocab.txt: Python's universal newlines (\n, \r\n, \r end a line); empty lines are tokens.
 * An entry that is not valid UTF-8 is refused (HF's load_vocab decodes the file
 * as UTF-8 and fails; such an entry could never match a normalized word). */
static int load_vocab_txt(pb_tokenizer *t, const char *data, size_t n, const char *path) {
    int32_t lines = 0;
    for (size_t i = 0; i < n; i++) {
        if (data[i] == '\n' || data[i] == '\r') {
            lines++;
            if (data[i] == '\r' && i + 1 < n && data[i + 1] == '\n') i++;
        } else if (i + 1 == n) {
            lines++;
        }
        if (lines > INT32_MAX - 2) return PB_ERR(PB_ERANGE, "%s: too many lines", path);
    }
    PB_TRY(alloc_tokens(t, lines, path));
    size_t start = 0;
    int32_t id = 0;
    for (size_t i = 0; i <= n && id < lines; i++) {
        if (i == n || data[i] == '\n' || data[i] == '\r') {
            const size_t bad = utf8_invalid_at(data + start, i - start);
            if (bad < i - start)
                return PB_ERR(PB_EFORMAT, "%s:%ld: vocabulary entry is not valid UTF-8 (byte 0x%02X at byte %zu)", path,
                              (long)id + 1, (unsigned)(unsigned char)data[start + bad], bad + 1);
            PB_TRY(set_token(t, id++, data + start, i - start, path));
            if (i < n && data[i] == '\r' && i + 1 < n && data[i + 1] == '\n') i++;
            start = i + 1;
        }
    }
    return 0;
}

static int load_tokenizer_json(pb_tokenizer *t, const char *path) {
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root) return PB_ERR(PB_EFORMAT, "%s:%d:%d: %s", path, err.line, err.column, err.text);
    int rc = 0;
    json_t *model = json_object_get(root, "model");
    const char *type = json_string_value(json_object_get(model, "type"));
    json_t *vocab = json_object_get(model, "vocab");
    if (!type || strcmp(type, "WordPiece") != 0 || !json_is_object(vocab)) {
        rc = PB_ERR(PB_EFORMAT, "%s: expected model.type \"WordPiece\" with a model.vocab object", path);
        goto done;
    }
    const char *key;
    json_t *val;
    json_int_t max_id = -1;
    json_object_foreach(vocab, key, val) {
        if (!json_is_integer(val) || json_integer_value(val) < 0 || json_integer_value(val) >= INT32_MAX - 1) {
            rc = PB_ERR(PB_EFORMAT, "%s: model.vocab[\"%s\"]: expected an id in [0, 2^31-2]", path, key);
            goto done;
        }
        if (json_integer_value(val) > max_id) max_id = json_integer_value(val);
    }
    if ((rc = alloc_tokens(t, (int32_t)(max_id + 1), path)) < 0) goto done;
    json_object_foreach(vocab, key, val) {
        int32_t id = (int32_t)json_integer_value(val);
        if (t->tokens[id]) {
            rc = PB_ERR(PB_EFORMAT, "%s: model.vocab: id %d used twice", path, (int)id);
            goto done;
        }
        if ((rc = set_token(t, id, key, strlen(key), path)) < 0) goto done;
    }
    const char *unk = json_string_value(json_object_get(model, "unk_token"));
    const char *pre = json_string_value(json_object_get(model, "continuing_subword_prefix"));
    if (pre) {
        if (strlen(pre) >= sizeof t->prefix) {
            rc = PB_ERR(PB_EFORMAT, "%s: model.continuing_subword_prefix too long", path);
            goto done;
        }
        strcpy(t->prefix, pre);
        t->prefix_len = strlen(pre);
    }
    json_t *mc = json_object_get(model, "max_input_chars_per_word");
    if (json_is_integer(mc)) t->max_chars = (int)json_integer_value(mc);
    json_t *norm = json_object_get(root, "normalizer");
    if (!norm || json_is_null(norm)) {
        t->lower = 0, t->strip_accents = 0, t->chinese = 0, t->clean = 0;
    } else {
        const char *nt = json_string_value(json_object_get(norm, "type"));
        if (!nt || strcmp(nt, "BertNormalizer") != 0) {
            rc = PB_ERR(PB_EFORMAT, "%s: normalizer type '%s' unsupported (expected BertNormalizer or null)", path,
                        nt ? nt : "?");
            goto done;
        }
        json_t *v;
        if ((v = json_object_get(norm, "lowercase")) && json_is_boolean(v)) t->lower = json_is_true(v);
        v = json_object_get(norm, "strip_accents");
        t->strip_accents = (!v || json_is_null(v)) ? -1 : json_is_true(v);
        if ((v = json_object_get(norm, "handle_chinese_chars")) && json_is_boolean(v)) t->chinese = json_is_true(v);
        if ((v = json_object_get(norm, "clean_text")) && json_is_boolean(v)) t->clean = json_is_true(v);
    }
    if ((rc = build_table(t, path)) < 0) goto done;
    if (unk) {
        t->unk = lookup(t, unk, strlen(unk));
        if (t->unk < 0) rc = PB_ERR(PB_EFORMAT, "%s: model.unk_token '%s' not in model.vocab", path, unk);
    }
done:
    json_decref(root);
    return rc;
}

int pb_tokenizer_load(pb_tokenizer **out, const char *path) {
    if (!out || !path) return PB_ERR(PB_EINVAL, "pb_tokenizer_load: NULL argument");
    *out = NULL;
    pb_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return PB_ERR(PB_ENOMEM, "%s: tokenizer", path);
    t->lower = 1, t->strip_accents = -1, t->chinese = 1, t->clean = 1, t->final_sigma = 1;
    strcpy(t->prefix, "##");
    t->prefix_len = 2;
    t->max_chars = 100;
    t->unk = -1;
    int rc = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        free(t);
        return PB_ERR(PB_EIO, "%s: cannot open", path);
    }
    char *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            char *nd = realloc(data, cap);
            if (!nd) {
                rc = PB_ERR(PB_ENOMEM, "%s: reading", path);
                break;
            }
            data = nd;
        }
        size_t r = fread(data + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    if (rc == 0 && ferror(f)) rc = PB_ERR(PB_EIO, "%s: read error", path);
    fclose(f);
    if (rc == 0) {
        size_t pl = strlen(path), i = 0;
        while (i < n && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r')) i++;
        int is_txt = pl >= 4 && strcmp(path + pl - 4, ".txt") == 0;
        int is_json = !is_txt && ((pl >= 5 && strcmp(path + pl - 5, ".json") == 0) || (i < n && data[i] == '{'));
        if (is_json) {
            t->final_sigma = 0; /* the tokenizers library lowercases char by char (Rust's char::to_lowercase) */
            rc = load_tokenizer_json(t, path);
        } else {
            rc = load_vocab_txt(t, data, n, path);
            if (rc == 0) rc = build_table(t, path);
        }
    }
    free(data);
    if (rc == 0 && t->unk < 0) {
        t->unk = lookup(t, "[UNK]", 5);
        if (t->unk < 0) rc = PB_ERR(PB_EFORMAT, "%s: vocabulary has no [UNK] token", path);
    }
    if (rc < 0) {
        pb_tokenizer_free(t);
        return rc;
    }
    t->cls = lookup(t, "[CLS]", 5);
    t->sep = lookup(t, "[SEP]", 5);
    t->pad = lookup(t, "[PAD]", 5);
    *out = t;
    return 0;
}

void pb_tokenizer_set_case(pb_tokenizer *t, int lowercase, int strip_accents) {
    t->lower = lowercase != 0;
    t->strip_accents = strip_accents < 0 ? -1 : strip_accents != 0;
}

int32_t pb_tokenizer_vocab_size(const pb_tokenizer *t) { return t->n_tokens; }

int pb_tokenizer_token_id(const pb_tokenizer *t, const char *token) {
    if (!t || !token) return -1;
    return lookup(t, token, strlen(token));
}

const char *pb_tokenizer_id_token(const pb_tokenizer *t, int32_t id) {
    if (!t || id < 0 || id >= t->n_tokens) return NULL;
    return t->tokens[id];
}

/* ---- character classes (HF's _is_whitespace, _is_control, _is_punctuation, _is_chinese_char) ---- */

static int is_whitespace(int32_t c) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return 1;
    return utf8proc_category(c) == UTF8PROC_CATEGORY_ZS;
}
/* Python's str.split() also splits on Zl/Zp (not controls, so they survive cleaning). */
static int is_split_space(int32_t c) {
    int cat = utf8proc_category(c);
    return is_whitespace(c) || cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP;
}
static int is_control(int32_t c) {
    if (c == '\t' || c == '\n' || c == '\r') return 0;
    int cat = utf8proc_category(c);
    return cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_CS ||
           cat == UTF8PROC_CATEGORY_CO || cat == UTF8PROC_CATEGORY_CN; /* cat.startswith("C") */
}
static int is_punct(int32_t c) {
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return 1;
    int cat = utf8proc_category(c);
    return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}
static int is_chinese(int32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* ---- lowercasing (Python's str.lower) ------------------------------------------ */

/* A normalized character and the source bytes it came from. */
typedef struct {
    int32_t cp;
    size_t b, e; /* source byte range */
} nchar;

static int in_ranges(int32_t c, const int32_t (*r)[2], size_t n) {
    for (size_t i = 0; i < n; i++)
        if (c >= r[i][0] && c <= r[i][1]) return 1;
    return 0;
}

/* Unicode's Cased: categories Lu, Ll, Lt plus Other_Lowercase / Other_Uppercase
 * (PropList.txt, Unicode 15). Checked against Python 3.11 (Unicode 14) over all
 * code points: equal except for the characters Unicode 15 added or moved into
 * Other_Lowercase (U+10FC, U+A7F2-A7F4, U+AB69). */
static int is_cased(int32_t c) {
    static const int32_t other[][2] = {{0x00AA, 0x00AA},   {0x00BA, 0x00BA},   {0x02B0, 0x02B8},   {0x02C0, 0x02C1},
                                       {0x02E0, 0x02E4},   {0x0345, 0x0345},   {0x037A, 0x037A},   {0x10FC, 0x10FC},
                                       {0x1D2C, 0x1D6A},   {0x1D78, 0x1D78},   {0x1D9B, 0x1DBF},   {0x2071, 0x2071},
                                       {0x207F, 0x207F},   {0x2090, 0x209C},   {0x2160, 0x217F},   {0x24B6, 0x24E9},
                                       {0x2C7C, 0x2C7D},   {0xA69C, 0xA69D},   {0xA770, 0xA770},   {0xA7F2, 0xA7F4},
                                       {0xA7F8, 0xA7F9},   {0xAB5C, 0xAB5F},   {0xAB69, 0xAB69},   {0x10780, 0x10780},
                                       {0x10783, 0x10785}, {0x10787, 0x107B0}, {0x107B2, 0x107BA}, {0x1E030, 0x1E06D},
                                       {0x1F130, 0x1F149}, {0x1F150, 0x1F169}, {0x1F170, 0x1F189}};
    utf8proc_category_t k = utf8proc_category(c);
    if (k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LL || k == UTF8PROC_CATEGORY_LT) return 1;
    return in_ranges(c, other, sizeof other / sizeof *other);
}

/* Unicode's Case_Ignorable: categories Mn, Me, Cf, Lm, Sk plus Word_Break
 * MidLetter, MidNumLet and Single_Quote (' . : and their look-alikes). Checked
 * against Python 3.11 as is_cased (equal on every code point Unicode 14
 * assigns). */
static int is_case_ignorable(int32_t c) {
    static const int32_t mid[][2] = {{0x27, 0x27},     {0x2E, 0x2E},     {0x3A, 0x3A},     {0xB7, 0xB7},
                                     {0x387, 0x387},   {0x55F, 0x55F},   {0x5F4, 0x5F4},   {0x2018, 0x2019},
                                     {0x2024, 0x2024}, {0x2027, 0x2027}, {0xFE13, 0xFE13}, {0xFE52, 0xFE52},
                                     {0xFE55, 0xFE55}, {0xFF07, 0xFF07}, {0xFF0E, 0xFF0E}, {0xFF1A, 0xFF1A}};
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_MN || k == UTF8PROC_CATEGORY_ME || k == UTF8PROC_CATEGORY_CF ||
           k == UTF8PROC_CATEGORY_LM || k == UTF8PROC_CATEGORY_SK || in_ranges(c, mid, sizeof mid / sizeof *mid);
}

/* Python's handle_capital_sigma for w[i] == U+03A3 in the word w[0, n):
 * final sigma U+03C2 when a cased character precedes (skipping case-ignorable
 * ones) and no cased character follows (skipping case-ignorable ones); else
 * U+03C3. */
static int32_t lower_sigma(const nchar *w, size_t n, size_t i) {
    size_t j = i;
    int32_t c = 0;
    int before = 0;
    while (j > 0) {
        c = w[--j].cp;
        if (!is_case_ignorable(c)) {
            before = is_cased(c);
            break;
        }
    }
    if (!before) return 0x3C3;
    for (j = i + 1; j < n; j++)
        if (!is_case_ignorable(w[j].cp)) return is_cased(w[j].cp) ? 0x3C3 : 0x3C2;
    return 0x3C2;
}

/* ---- encoding ------------------------------------------------------------------ */

typedef struct {
    nchar *v;
    size_t n, cap;
} nvec;

static int nvec_push(nvec *a, int32_t cp, size_t b, size_t e) {
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 64;
        nchar *nv = realloc(a->v, nc * sizeof *nv);
        if (!nv) return PB_ERR(PB_ENOMEM, "tokenizer: %zu characters", nc);
        a->v = nv, a->cap = nc;
    }
    a->v[a->n++] = (nchar){cp, b, e};
    return 0;
}

typedef struct {
    nvec raw, word;
    char *buf;
    size_t *pos;
    size_t buf_cap, pos_cap;
} scratch;

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < need) nc *= 2;
    void *np = realloc(*p, nc * elem);
    if (!np) return PB_ERR(PB_ENOMEM, "tokenizer: buffer of %zu", nc);
    *p = np, *cap = nc;
    return 0;
}

/* WordPiece on the normalized characters w[0, n): greedy longest match first. */
static int wordpiece(const pb_tokenizer *t, const nchar *w, size_t n, scratch *s, pb_token_buf *o) {
    if (n == 0) return 0;
    if (n > (size_t)t->max_chars) return pb_token_buf_push(o, t->unk, w[0].b, w[n - 1].e); /* too long -> [UNK] */
    size_t need = 4 * n + 1;
    PB_TRY(grow((void **)&s->buf, &s->buf_cap, need, 1));
    PB_TRY(grow((void **)&s->pos, &s->pos_cap, 3 * (n + 1), sizeof(size_t)));
    size_t *pos = s->pos, *piece_s = s->pos + (n + 1), *piece_e = s->pos + 2 * (n + 1);
    int32_t *pid = NULL;
    char *str = s->buf;
    size_t bytes = 0;
    for (size_t k = 0; k < n; k++) {
        pos[k] = bytes;
        bytes += (size_t)utf8proc_encode_char(w[k].cp, (utf8proc_uint8_t *)str + bytes);
    }
    pos[n] = bytes;
    pid = malloc(n * sizeof *pid);
    if (!pid) return PB_ERR(PB_ENOMEM, "tokenizer: word of %zu characters", n);
    size_t np = 0, start = 0;
    while (start < n) {
        int32_t found = -1;
        size_t end = n;
        for (; end > start; end--) {
            const char *key = str + pos[start];
            size_t kl = pos[end] - pos[start];
            if (start > 0) {
                /* continuation piece: prefix + substring */
                char stackbuf[256];
                char *k2 = kl + t->prefix_len <= sizeof stackbuf ? stackbuf : malloc(kl + t->prefix_len);
                if (!k2) {
                    free(pid);
                    return PB_ERR(PB_ENOMEM, "tokenizer: key");
                }
                memcpy(k2, t->prefix, t->prefix_len);
                memcpy(k2 + t->prefix_len, key, kl);
                found = lookup(t, k2, kl + t->prefix_len);
                if (k2 != stackbuf) free(k2);
            } else {
                found = lookup(t, key, kl);
            }
            if (found >= 0) break;
        }
        if (found < 0) { /* a piece failed: the whole word is [UNK] */
            free(pid);
            return pb_token_buf_push(o, t->unk, w[0].b, w[n - 1].e);
        }
        pid[np] = found, piece_s[np] = start, piece_e[np] = end;
        np++;
        start = end;
    }
    int rc = 0;
    for (size_t i = 0; i < np && rc == 0; i++) rc = pb_token_buf_push(o, pid[i], w[piece_s[i]].b, w[piece_e[i] - 1].e);
    free(pid);
    return rc;
}

/* Normalize the raw word r[0, n) into s->word, split on punctuation, WordPiece each piece. */
static int encode_word(const pb_tokenizer *t, const nchar *r, size_t n, scratch *s, pb_token_buf *o) {
    /* never_split: a whitespace token that is exactly a special token */
    char tmp[16];
    size_t tl = 0;
    int fits = 1;
    for (size_t k = 0; k < n && fits; k++) {
        if (r[k].cp > 127 || tl + 1 >= sizeof tmp) fits = 0;
        else tmp[tl++] = (char)r[k].cp;
    }
    if (fits) {
        for (int i = 0; i < N_SPECIAL; i++)
            if (strlen(special_tokens[i]) == tl && memcmp(special_tokens[i], tmp, tl) == 0) {
                int32_t id = lookup(t, tmp, tl);
                return pb_token_buf_push(o, id >= 0 ? id : t->unk, r[0].b, r[n - 1].e);
            }
    }
    int strip = t->strip_accents < 0 ? t->lower : t->strip_accents;
    s->word.n = 0;
    for (size_t k = 0; k < n; k++) {
        /* token.lower() on the whole whitespace token: the full mapping, whose
         * only expansion is U+0130 -> i U+0307, and (slow tokenizer only) the
         * context-dependent Final_Sigma rule; all else maps one to one */
        int32_t low[2] = {r[k].cp, -1};
        if (t->lower) {
            if (r[k].cp == 0x130) {
                low[0] = 0x69, low[1] = 0x307;
            } else if (r[k].cp == 0x3A3 && t->final_sigma) {
                low[0] = lower_sigma(r, n, k);
            } else {
                low[0] = utf8proc_tolower(r[k].cp);
            }
        }
        for (int m = 0; m < 2 && low[m] >= 0; m++) {
            const int32_t c = low[m];
            if (strip) { /* NFD, then drop category Mn */
                utf8proc_int32_t d[32];
                int last = 0;
                utf8proc_ssize_t nd = utf8proc_decompose_char(c, d, 32, UTF8PROC_DECOMPOSE, &last);
                if (nd < 0 || nd > 32) nd = 1, d[0] = c;
                for (utf8proc_ssize_t j = 0; j < nd; j++)
                    if (utf8proc_category(d[j]) != UTF8PROC_CATEGORY_MN)
                        PB_TRY(nvec_push(&s->word, d[j], r[k].b, r[k].e));
            } else {
                PB_TRY(nvec_push(&s->word, c, r[k].b, r[k].e));
            }
        }
    }
    /* _run_split_on_punc: each punctuation character is its own piece */
    const nchar *w = s->word.v;
    size_t wn = s->word.n, i = 0;
    while (i < wn) {
        if (is_punct(w[i].cp)) {
            PB_TRY(wordpiece(t, w + i, 1, s, o));
            i++;
            continue;
        }
        size_t j = i;
        while (j < wn && !is_punct(w[j].cp)) j++;
        PB_TRY(wordpiece(t, w + i, j - i, s, o));
        i = j;
    }
    return 0;
}

/* Basic tokenizer on text[b, e) (no special tokens inside). */
static int encode_segment(const pb_tokenizer *t, const char *text, size_t b, size_t e, scratch *s, pb_token_buf *o) {
    s->raw.n = 0;
    size_t i = b;
    while (i < e) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(e - i), &c);
        if (k <= 0) c = 0xFFFD, k = 1; /* invalid byte -> U+FFFD, dropped below */
        size_t cb = i, ce = i + (size_t)k;
        i = ce;
        if (t->clean) {
            if (c == 0 || c == 0xFFFD || is_control(c)) continue; /* _clean_text */
            if (is_whitespace(c)) c = ' ';
        } else if (c == 0xFFFD && k == 1 && (unsigned char)text[cb] != 0xEF) {
            continue; /* without cleaning, still never pass invalid bytes on */
        }
        if (is_split_space(c)) c = ' ';
        if (t->chinese && is_chinese(c)) { /* _tokenize_chinese_chars */
            PB_TRY(nvec_push(&s->raw, ' ', cb, cb));
            PB_TRY(nvec_push(&s->raw, c, cb, ce));
            PB_TRY(nvec_push(&s->raw, ' ', ce, ce));
        } else {
            PB_TRY(nvec_push(&s->raw, c, cb, ce));
        }
    }
    size_t n = s->raw.n, j = 0;
    while (j < n) { /* whitespace_tokenize */
        if (s->raw.v[j].cp == ' ') {
            j++;
            continue;
        }
        size_t k = j;
        while (k < n && s->raw.v[k].cp != ' ') k++;
        PB_TRY(encode_word(t, s->raw.v + j, k - j, s, o));
        j = k;
    }
    return 0;
}

static int encode_buf(const pb_tokenizer *t, const char *text, size_t len, pb_token_buf *o) {
    scratch s = {0};
    int rc = 0;
    size_t seg = 0, i = 0;
    /* HF's added-token split: special tokens found verbatim anywhere are never split */
    while (i < len && rc == 0) {
        int hit = -1;
        if (text[i] == '[')
            for (int k = 0; k < N_SPECIAL; k++) {
                size_t sl = strlen(special_tokens[k]);
                if (sl <= len - i && memcmp(text + i, special_tokens[k], sl) == 0) {
                    hit = k;
                    break;
                }
            }
        if (hit < 0) {
            i++;
            continue;
        }
        size_t sl = strlen(special_tokens[hit]);
        rc = encode_segment(t, text, seg, i, &s, o);
        if (rc == 0) {
            int32_t id = lookup(t, special_tokens[hit], sl);
            rc = pb_token_buf_push(o, id >= 0 ? id : t->unk, i, i + sl);
        }
        i += sl;
        seg = i;
    }
    if (rc == 0) rc = encode_segment(t, text, seg, len, &s, o);
    free(s.raw.v);
    free(s.word.v);
    free(s.buf);
    free(s.pos);
    return rc;
}

/* encode_buf behind the tokenizers' shared encode helpers (tokenizer.h) */
static int encode_cb(const void *t, const char *text, size_t len, pb_token_buf *o) { return encode_buf(t, text, len, o); }

int pb_tokenizer_encode(const pb_tokenizer *t, const char *text, size_t len, int32_t **ids, size_t *n_ids,
                        int32_t **offsets) {
    if (!t || !ids || !n_ids || (!text && len)) return PB_ERR(PB_EINVAL, "pb_tokenizer_encode: NULL argument");
    return pb_token_encode_text(encode_cb, t, text, len, ids, n_ids, offsets);
}

int pb_tokenizer_encode_pair(const pb_tokenizer *t, const char *a, const char *b, int max_len, int truncation,
                             pb_encoding *out) {
    if (!t || !a || !out) return PB_ERR(PB_EINVAL, "pb_tokenizer_encode_pair: NULL argument");
    memset(out, 0, sizeof *out);
    if (t->cls < 0 || t->sep < 0 || t->pad < 0)
        return PB_ERR(PB_ENOTFOUND, "pb_tokenizer_encode_pair: vocabulary lacks [CLS], [SEP] or [PAD]");
    /* [CLS] A [SEP] B [SEP], the second segment of token type 1 */
    const pb_pair_template tpl = {t->cls, {t->sep, 0}, {0, 0}, {t->sep, 0}, 1, 0, 1, 1, t->pad};
    return pb_token_encode_pair(encode_cb, t, &tpl, a, b, max_len, truncation, "pb_tokenizer_encode_pair", out);
}
