/* GPT-2 / RoBERTa byte-level BPE tokenizer (see bpe.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "bpe.h"
#include "pb_error.h"
#include "taskutil.h"

/* ---- string -> int32 hash map (open addressing) ---------------------------- */

typedef struct {
    char **keys;
    size_t *klen;
    int32_t *vals;
    size_t n, ecap;
    int32_t *slots; /* entry index or -1 */
    size_t cap;     /* power of two */
} smap;

static uint64_t hash_bytes(const char *p, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

static void smap_free(smap *m) {
    for (size_t i = 0; i < m->n; i++) free(m->keys[i]);
    free(m->keys);
    free(m->klen);
    free(m->vals);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

/* Slot of key, or the empty slot where it would go. */
static size_t smap_slot(const smap *m, const char *k, size_t n) {
    size_t i = (size_t)hash_bytes(k, n) & (m->cap - 1);
    for (;;) {
        int32_t e = m->slots[i];
        if (e < 0 || (m->klen[e] == n && memcmp(m->keys[e], k, n) == 0)) return i;
        i = (i + 1) & (m->cap - 1);
    }
}

static int32_t smap_get(const smap *m, const char *k, size_t n) {
    if (!m->cap) return -1;
    int32_t e = m->slots[smap_slot(m, k, n)];
    return e < 0 ? -1 : m->vals[e];
}

static int smap_rehash(smap *m, size_t nc) {
    int32_t *ns = malloc(nc * sizeof *ns);
    if (!ns) return PB_ERR(PB_ENOMEM, "bpe: hash table of %zu", nc);
    for (size_t i = 0; i < nc; i++) ns[i] = -1;
    free(m->slots);
    m->slots = ns, m->cap = nc;
    for (size_t e = 0; e < m->n; e++) m->slots[smap_slot(m, m->keys[e], m->klen[e])] = (int32_t)e;
    return 0;
}

/* Insert or overwrite (a repeated key keeps the last value). */
static int smap_put(smap *m, const char *k, size_t n, int32_t v) {
    if ((m->n + 1) * 2 > m->cap) PB_TRY(smap_rehash(m, m->cap ? m->cap * 2 : 1024));
    size_t s = smap_slot(m, k, n);
    if (m->slots[s] >= 0) {
        m->vals[m->slots[s]] = v;
        return 0;
    }
    if (m->n >= INT32_MAX) return PB_ERR(PB_ERANGE, "bpe: too many entries");
    if (m->n == m->ecap) {
        size_t nc = m->ecap ? m->ecap * 2 : 1024;
        char **nk = realloc(m->keys, nc * sizeof *nk);
        if (!nk) return PB_ERR(PB_ENOMEM, "bpe: %zu entries", nc);
        m->keys = nk;
        size_t *nl = realloc(m->klen, nc * sizeof *nl);
        if (!nl) return PB_ERR(PB_ENOMEM, "bpe: %zu entries", nc);
        m->klen = nl;
        int32_t *nv = realloc(m->vals, nc * sizeof *nv);
        if (!nv) return PB_ERR(PB_ENOMEM, "bpe: %zu entries", nc);
        m->vals = nv;
        m->ecap = nc;
    }
    char *c = malloc(n + 1);
    if (!c) return PB_ERR(PB_ENOMEM, "bpe: key of %zu bytes", n);
    memcpy(c, k, n);
    c[n] = '\0';
    m->keys[m->n] = c, m->klen[m->n] = n, m->vals[m->n] = v;
    m->slots[s] = (int32_t)m->n++;
    return 0;
}

/* ---- tokenizer ----------------------------------------------------------------- */

struct pb_bpe {
    smap vocab;  /* byte-level token -> id */
    smap merges; /* "a b" -> rank */
    char bu[256][3]; /* byte -> UTF-8 of its GPT-2 symbol (1 or 2 bytes) */
    unsigned char bu_len[256];
    int32_t bos, eos, pad;
};

/* GPT-2's bytes_to_unicode: printable bytes 33-126, 161-172, 174-255 map to
 * themselves, the other 68 to 256 + n in byte order. */
static void build_byte_table(pb_bpe *t) {
    int n = 0;
    for (int b = 0; b < 256; b++) {
        int self = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
        int32_t cp = self ? b : 256 + n++;
        t->bu_len[b] = (unsigned char)utf8proc_encode_char(cp, (utf8proc_uint8_t *)t->bu[b]);
    }
}

void pb_bpe_free(pb_bpe *t) {
    if (!t) return;
    smap_free(&t->vocab);
    smap_free(&t->merges);
    free(t);
}

static int put_vocab(pb_bpe *t, json_t *obj, const char *path, const char *where);

static int load_vocab(pb_bpe *t, const char *path) {
    json_t *root;
    PB_TRY(pb_json_load(path, &root));
    int rc = put_vocab(t, root, path, "the vocabulary");
    json_decref(root);
    return rc;
}

static int load_merges(pb_bpe *t, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return PB_ERR(PB_EIO, "pb_bpe_load: cannot open %s", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int rc = 0, first = 1;
    int32_t rank = 0;
    long lineno = 0;
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t n = (size_t)got;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
        line[n] = '\0';
        if (first && strncmp(line, "#version", 8) == 0) {
            first = 0;
            continue;
        }
        first = 0;
        if (n == 0) continue;
        char *sp = memchr(line, ' ', n);
        if (!sp || sp == line || sp + 1 == line + n || memchr(sp + 1, ' ', (size_t)(line + n - sp - 1))) {
            rc = PB_ERR(PB_EFORMAT, "pb_bpe_load: %s:%ld: merge line '%s' is not two space-separated symbols", path,
                        lineno, line);
            break;
        }
        if ((rc = smap_put(&t->merges, line, n, rank++)) < 0) break;
    }
    if (rc == 0 && ferror(f)) rc = PB_ERR(PB_EIO, "pb_bpe_load: read error in %s", path);
    free(line);
    fclose(f);
    return rc;
}

/* vocab (object token -> id) shared by vocab.json and tokenizer.json's model.vocab. */
static int put_vocab(pb_bpe *t, json_t *obj, const char *path, const char *where) {
    if (!json_is_object(obj)) return PB_ERR(PB_EFORMAT, "pb_bpe_load: %s: %s is not a JSON object", path, where);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        json_int_t id = json_is_integer(v) ? json_integer_value(v) : -1;
        if (id < 0 || id > INT32_MAX)
            return PB_ERR(PB_EFORMAT, "pb_bpe_load: %s: %s: id of '%s' is not an integer in [0, 2^31)", path, where, key);
        PB_TRY(smap_put(&t->vocab, key, strlen(key), (int32_t)id));
    }
    return 0;
}

/* tokenizer.json: model.type "BPE", model.vocab, model.merges as "a b" strings
 * (tokenizers < 0.20) or [a, b] arrays (newer); rank = index. */
static int load_tokenizer_json(pb_bpe *t, const char *path) {
    json_t *root;
    PB_TRY(pb_json_load(path, &root));
    int rc = 0;
    json_t *model = json_object_get(root, "model");
    const char *type = json_string_value(json_object_get(model, "type"));
    json_t *merges = json_object_get(model, "merges");
    if (!type || strcmp(type, "BPE") != 0 || !json_is_array(merges))
        rc = PB_ERR(PB_EFORMAT, "pb_bpe_load: %s: expected model.type \"BPE\" with model.vocab and a model.merges array",
                    path);
    if (rc == 0) rc = put_vocab(t, json_object_get(model, "vocab"), path, "model.vocab");
    size_t i;
    json_t *m;
    char buf[1024];
    if (rc == 0) json_array_foreach(merges, i, m) {
            const char *a = NULL, *b = NULL;
            if (json_is_string(m)) {
                const char *s = json_string_value(m), *sp = strchr(s, ' ');
                if (sp && sp != s && sp[1] && !strchr(sp + 1, ' ') && strlen(s) < sizeof buf) {
                    memcpy(buf, s, strlen(s) + 1);
                    a = buf;
                }
            } else if (json_is_array(m) && json_array_size(m) == 2) {
                a = json_string_value(json_array_get(m, 0));
                b = json_string_value(json_array_get(m, 1));
                size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;
                if (la && lb && la + lb + 2 <= sizeof buf) {
                    memcpy(buf, a, la);
                    buf[la] = ' ';
                    memcpy(buf + la + 1, b, lb + 1);
                    a = buf;
                } else a = NULL;
            }
            if (!a) {
                rc = PB_ERR(PB_EFORMAT, "pb_bpe_load: %s: model.merges[%zu] is not a pair of symbols", path, i);
                break;
            }
            if ((rc = smap_put(&t->merges, buf, strlen(buf), (int32_t)i)) < 0) break;
        }
    json_decref(root);
    return rc;
}

static int finish_load(pb_bpe *t, int rc, pb_bpe **out) {
    if (rc < 0) {
        pb_bpe_free(t);
        return rc;
    }
    t->bos = smap_get(&t->vocab, "<s>", 3);
    t->eos = smap_get(&t->vocab, "</s>", 4);
    t->pad = smap_get(&t->vocab, "<pad>", 5);
    *out = t;
    return 0;
}

int pb_bpe_load_json(pb_bpe **out, const char *tokenizer_json) {
    if (!out || !tokenizer_json) return PB_ERR(PB_EINVAL, "pb_bpe_load_json: NULL argument");
    *out = NULL;
    pb_bpe *t = calloc(1, sizeof *t);
    if (!t) return PB_ERR(PB_ENOMEM, "pb_bpe_load: tokenizer");
    build_byte_table(t);
    return finish_load(t, load_tokenizer_json(t, tokenizer_json), out);
}

int pb_bpe_load(pb_bpe **out, const char *vocab_json, const char *merges_txt) {
    if (!out || !vocab_json || !merges_txt) return PB_ERR(PB_EINVAL, "pb_bpe_load: NULL argument");
    *out = NULL;
    pb_bpe *t = calloc(1, sizeof *t);
    if (!t) return PB_ERR(PB_ENOMEM, "pb_bpe_load: tokenizer");
    build_byte_table(t);
    int rc = load_vocab(t, vocab_json);
    if (rc == 0) rc = load_merges(t, merges_txt);
    return finish_load(t, rc, out);
}

int32_t pb_bpe_vocab_size(const pb_bpe *t) {
    int32_t n = 0;
    for (size_t i = 0; i < t->vocab.n; i++)
        if (t->vocab.vals[i] >= n) n = t->vocab.vals[i] + 1;
    return n;
}

int pb_bpe_token_id(const pb_bpe *t, const char *token) {
    if (!t || !token) return -1;
    return smap_get(&t->vocab, token, strlen(token));
}

/* ---- pre-tokenization ---------------------------------------------------------- */

enum { C_LETTER, C_NUMBER, C_SPACE, C_OTHER };

/* \s of the `regex` module that GPT-2 / HF tokenizers use: the Unicode
 * White_Space set (unlike Python re, U+001C-001F are not whitespace). */
static int is_space_cp(int32_t c) {
    if (c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0x85) return 1;
    if (c < 0x80) return 0;
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_ZL || k == UTF8PROC_CATEGORY_ZP;
}

static int classify(int32_t c) {
    if (c < 0) return C_OTHER; /* invalid UTF-8 byte */
    if (is_space_cp(c)) return C_SPACE;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: return C_LETTER;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return C_NUMBER;
    default: return C_OTHER;
    }
}

typedef struct {
    int32_t cp; /* -1 for an invalid byte */
    int cls;
    size_t b, e; /* source byte range */
} pchar;

/* Decode text into characters; an invalid byte is one character (cp -1). */
static int decode(const char *text, size_t len, pchar **out, size_t *n) {
    *out = NULL, *n = 0;
    if (!len) return 0;
    pchar *v = malloc(len * sizeof *v);
    if (!v) return PB_ERR(PB_ENOMEM, "bpe: %zu characters", len);
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t r = utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i), &cp);
        if (r <= 0) cp = -1, r = 1;
        v[k] = (pchar){cp, classify(cp), i, i + (size_t)r};
        k++;
        i += (size_t)r;
    }
    *out = v, *n = k;
    return 0;
}

/* Length in characters of the GPT-2 pattern match at c[i] (n > i). */
static size_t match_at(const pchar *c, size_t n, size_t i) {
    /* 's|'t|'re|'ve|'m|'ll|'d (case-sensitive, ASCII) */
    if (c[i].cp == '\'' && i + 1 < n) {
        int32_t x = c[i + 1].cp, y = i + 2 < n ? c[i + 2].cp : 0;
        if (x == 's' || x == 't' || x == 'm' || x == 'd') return 2;
        if ((x == 'r' && y == 'e') || (x == 'v' && y == 'e') || (x == 'l' && y == 'l')) return 3;
    }
    /* ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+' : optional ASCII space, then a run of one class */
    size_t j = i;
    if (c[j].cp == ' ' && j + 1 < n && c[j + 1].cls != C_SPACE) j++;
    if (c[j].cls != C_SPACE) {
        int k = c[j].cls;
        while (j < n && c[j].cls == k) j++;
        return j - i;
    }
    /* \s+(?!\S) : a whitespace run followed by a non-space gives its last
     * character back (it then starts the next match); \s+ otherwise */
    j = i;
    while (j < n && c[j].cls == C_SPACE) j++;
    if (j < n && j - i > 1) return j - i - 1;
    return j - i;
}

/* ---- BPE ------------------------------------------------------------------------ */

typedef struct {
    size_t ms, me; /* range in the mapped buffer */
    size_t ob, oe; /* source byte range */
} sym;

typedef struct {
    char *map; /* mapped piece */
    size_t map_cap;
    sym *s;
    size_t s_cap;
    char *key;
    size_t key_cap;
} scratch;

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < need) nc *= 2;
    void *np = realloc(*p, nc * elem);
    if (!np) return PB_ERR(PB_ENOMEM, "bpe: buffer of %zu", nc);
    *p = np, *cap = nc;
    return 0;
}

/* Rank of the pair (a, b), or -1. */
static int32_t pair_rank(const pb_bpe *t, scratch *s, const sym *a, const sym *b) {
    size_t la = a->me - a->ms, lb = b->me - b->ms;
    if (grow((void **)&s->key, &s->key_cap, la + lb + 1, 1) < 0) return -2;
    memcpy(s->key, s->map + a->ms, la);
    s->key[la] = ' ';
    memcpy(s->key + la + 1, s->map + b->ms, lb);
    return smap_get(&t->merges, s->key, la + lb + 1);
}

/* Byte-level BPE on the source bytes text[b, e). */
static int bpe_piece(const pb_bpe *t, const char *text, size_t b, size_t e, scratch *s, pb_token_buf *o) {
    size_t nb = e - b;
    PB_TRY(grow((void **)&s->map, &s->map_cap, 2 * nb, 1));
    PB_TRY(grow((void **)&s->s, &s->s_cap, nb, sizeof *s->s));
    size_t m = 0, ns = nb;
    for (size_t i = 0; i < nb; i++) {
        unsigned char byte = (unsigned char)text[b + i];
        s->s[i] = (sym){m, m + t->bu_len[byte], b + i, b + i + 1};
        memcpy(s->map + m, t->bu[byte], t->bu_len[byte]);
        m += t->bu_len[byte];
    }
    /* HF bpe(): take the lowest-ranked bigram, merge all its non-overlapping
     * occurrences left to right, repeat until no bigram has a rank. */
    while (ns > 1) {
        int32_t best = -1;
        size_t at = 0;
        for (size_t i = 0; i + 1 < ns; i++) {
            int32_t r = pair_rank(t, s, &s->s[i], &s->s[i + 1]);
            if (r == -2) return PB_ERR(PB_ENOMEM, "bpe: merge key");
            if (r >= 0 && (best < 0 || r < best)) best = r, at = i;
        }
        if (best < 0) break;
        size_t la = s->s[at].me - s->s[at].ms, lb = s->s[at + 1].me - s->s[at + 1].ms;
        size_t fa = s->s[at].ms, fb = s->s[at + 1].ms; /* the pair's first occurrence */
        size_t w = 0;
        for (size_t i = 0; i < ns;) {
            if (i + 1 < ns && s->s[i].me - s->s[i].ms == la && s->s[i + 1].me - s->s[i + 1].ms == lb &&
                memcmp(s->map + s->s[i].ms, s->map + fa, la) == 0 &&
                memcmp(s->map + s->s[i + 1].ms, s->map + fb, lb) == 0) {
                s->s[w] = (sym){s->s[i].ms, s->s[i + 1].me, s->s[i].ob, s->s[i + 1].oe};
                i += 2;
            } else {
                s->s[w] = s->s[i];
                i++;
            }
            w++;
        }
        ns = w;
    }
    for (size_t i = 0; i < ns; i++) {
        const sym *y = &s->s[i];
        int32_t id = smap_get(&t->vocab, s->map + y->ms, y->me - y->ms);
        if (id < 0)
            return PB_ERR(PB_EFORMAT, "bpe: token '%.*s' (source bytes %zu..%zu) is not in vocab.json",
                          (int)(y->me - y->ms), s->map + y->ms, y->ob, y->oe);
        PB_TRY(pb_token_buf_push(o, id, y->ob, y->oe));
    }
    return 0;
}

static int encode_buf(const pb_bpe *t, const char *text, size_t len, pb_token_buf *o) {
    pchar *c;
    size_t n;
    PB_TRY(decode(text, len, &c, &n));
    scratch s = {0};
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        size_t k = match_at(c, n, i);
        rc = bpe_piece(t, text, c[i].b, c[i + k - 1].e, &s, o);
        i += k;
    }
    free(c);
    free(s.map);
    free(s.s);
    free(s.key);
    return rc;
}

/* encode_buf behind the tokenizers' shared encode helpers (tokenizer.h) */
static int encode_cb(const void *t, const char *text, size_t len, pb_token_buf *o) { return encode_buf(t, text, len, o); }

int pb_bpe_encode(const pb_bpe *t, const char *text, size_t len, int32_t **ids, size_t *n, int32_t **offsets) {
    if (!t || !ids || !n || (!text && len)) return PB_ERR(PB_EINVAL, "pb_bpe_encode: NULL argument");
    return pb_token_encode_text(encode_cb, t, text, len, ids, n, offsets);
}

int pb_bpe_encode_pair(const pb_bpe *t, const char *a, const char *b, int max_len, int truncation,
                       pb_encoding *out) {
    if (!t || !a || !out) return PB_ERR(PB_EINVAL, "pb_bpe_encode_pair: NULL argument");
    memset(out, 0, sizeof *out);
    if (t->bos < 0 || t->eos < 0 || t->pad < 0)
        return PB_ERR(PB_ENOTFOUND, "pb_bpe_encode_pair: vocabulary lacks <s>, </s> or <pad>");
    /* <s> A </s></s> B </s>, token types all 0 (RoBERTa) */
    const pb_pair_template tpl = {t->bos, {t->eos, 0}, {t->eos, 0}, {t->eos, 0}, 1, 1, 1, 0, t->pad};
    return pb_token_encode_pair(encode_cb, t, &tpl, a, b, max_len, truncation, "pb_bpe_encode_pair", out);
}
