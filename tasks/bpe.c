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

/* A special / added token matched verbatim in the text before BPE. */
typedef struct {
    char *s;
    size_t n;
    int32_t id;
    int lstrip, rstrip, single_word;
    int pass; /* 0: non-normalized (matched first), 1: normalized (in what pass 0 left) */
} added_tok;

struct pb_bpe {
    smap vocab;      /* byte-level token -> id */
    smap merges;     /* "a b" -> rank */
    char bu[256][3]; /* byte -> UTF-8 of its GPT-2 symbol (1 or 2 bytes) */
    unsigned char bu_len[256];
    int32_t bos, eos, pad;
    added_tok *added; /* sorted by first byte, then longest first */
    size_t n_added;
    size_t first[257]; /* added[first[b], first[b + 1]) start with byte b */
    size_t n_pass[2];  /* added tokens of each pass */
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
    for (size_t i = 0; i < t->n_added; i++) free(t->added[i].s);
    free(t->added);
    free(t);
}

/* Append an added token (empty contents are ignored, as HF does; a repeated
 * content keeps its last entry). */
static int add_token(pb_bpe *t, const char *s, int32_t id, int lstrip, int rstrip, int single_word, int pass) {
    const size_t n = strlen(s);
    if (n == 0) return 0;
    added_tok *a = NULL;
    for (size_t i = 0; i < t->n_added && !a; i++)
        if (t->added[i].n == n && memcmp(t->added[i].s, s, n) == 0) a = &t->added[i];
    if (!a) {
        added_tok *na = realloc(t->added, (t->n_added + 1) * sizeof *na);
        if (!na) return PB_ERR(PB_ENOMEM, "bpe: %zu added tokens", t->n_added + 1);
        t->added = na;
        a = &t->added[t->n_added];
        a->s = malloc(n + 1);
        if (!a->s) return PB_ERR(PB_ENOMEM, "bpe: added token of %zu bytes", n);
        memcpy(a->s, s, n + 1);
        a->n = n;
        t->n_added++;
    }
    a->id = id, a->lstrip = lstrip, a->rstrip = rstrip, a->single_word = single_word, a->pass = pass;
    return 0;
}

static int added_cmp(const void *x, const void *y) {
    const added_tok *a = x, *b = y;
    const unsigned char ca = (unsigned char)a->s[0], cb = (unsigned char)b->s[0];
    if (ca != cb) return ca < cb ? -1 : 1;
    return a->n > b->n ? -1 : a->n < b->n; /* longest first */
}

/* Sort the added tokens and index them by first byte. */
static void index_added(pb_bpe *t) {
    if (t->n_added) qsort(t->added, t->n_added, sizeof *t->added, added_cmp);
    for (size_t i = 0; i < t->n_added; i++) t->n_pass[t->added[i].pass]++;
    size_t k = 0;
    for (int b = 0; b <= 256; b++) {
        while (k < t->n_added && (unsigned char)t->added[k].s[0] < b) k++;
        t->first[b] = k;
    }
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
    /* added_tokens: [{"id", "content", "single_word", "lstrip", "rstrip", "normalized", "special"}] */
    json_t *added = json_object_get(root, "added_tokens");
    if (rc == 0 && added && !json_is_null(added) && !json_is_array(added))
        rc = PB_ERR(PB_EFORMAT, "pb_bpe_load: %s: added_tokens is not an array", path);
    if (rc == 0 && json_is_array(added)) json_array_foreach(added, i, m) {
            json_t *id = json_object_get(m, "id"), *content = json_object_get(m, "content");
            const json_int_t v = json_is_integer(id) ? json_integer_value(id) : -1;
            if (!json_is_string(content) || v < 0 || v > INT32_MAX) {
                rc = PB_ERR(PB_EFORMAT,
                            "pb_bpe_load: %s: added_tokens[%zu]: expected an integer \"id\" in [0, 2^31) and a string "
                            "\"content\"",
                            path, i);
                break;
            }
            json_t *special = json_object_get(m, "special"), *norm = json_object_get(m, "normalized");
            /* AddedToken's defaults: normalized = !special, the others false */
            const int normalized = norm ? json_is_true(norm) : !json_is_true(special);
            const char *c = json_string_value(content);
            if ((rc = add_token(t, c, (int32_t)v, json_is_true(json_object_get(m, "lstrip")),
                                json_is_true(json_object_get(m, "rstrip")),
                                json_is_true(json_object_get(m, "single_word")), normalized)) < 0)
                break;
            if (*c && (rc = smap_put(&t->vocab, c, strlen(c), (int32_t)v)) < 0) break; /* HF: added ids win */
        }
    json_decref(root);
    return rc;
}

/* vocab.json + merges.txt: the special tokens of RobertaTokenizer (<s>, </s>,
 * <unk>, <pad>, and <mask> with lstrip) and GPT2Tokenizer (<|endoftext|>)
 * that the vocabulary holds. */
static int add_default_specials(pb_bpe *t) {
    static const char *const names[] = {"<s>", "</s>", "<unk>", "<pad>", "<mask>", "<|endoftext|>"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const int32_t id = smap_get(&t->vocab, names[i], strlen(names[i]));
        if (id >= 0) PB_TRY(add_token(t, names[i], id, strcmp(names[i], "<mask>") == 0, 0, 0, 0));
    }
    return 0;
}

static int finish_load(pb_bpe *t, int rc, pb_bpe **out) {
    if (rc < 0) {
        pb_bpe_free(t);
        return rc;
    }
    index_added(t);
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
    if (rc == 0) rc = add_default_specials(t);
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

/* Decode text[b, e) into v (room for e - b characters); an invalid byte is
 * one character (cp -1). Offsets are into text. */
static size_t decode(const char *text, size_t b, size_t e, pchar *v) {
    size_t k = 0;
    for (size_t i = b; i < e;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t r = utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(e - i), &cp);
        if (r <= 0) cp = -1, r = 1;
        v[k] = (pchar){cp, classify(cp), i, i + (size_t)r};
        k++;
        i += (size_t)r;
    }
    return k;
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
    pchar *c; /* decoded characters of the text */
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

/* GPT-2 pre-tokenization and BPE of text[b, e) (no added token inside). */
static int encode_plain(const pb_bpe *t, const char *text, size_t b, size_t e, scratch *s, pb_token_buf *o) {
    const size_t n = decode(text, b, e, s->c);
    for (size_t i = 0; i < n;) {
        size_t k = match_at(s->c, n, i);
        PB_TRY(bpe_piece(t, text, s->c[i].b, s->c[i + k - 1].e, s, o));
        i += k;
    }
    return 0;
}

/* ---- added tokens ------------------------------------------------------------- */

/* The character ending at text[i] (i > lo): its first byte, or i when the
 * bytes before i are no valid character; *cp its code point. */
static size_t char_before(const char *text, size_t lo, size_t i, int32_t *cp) {
    for (size_t k = 1; k <= 4 && k <= i - lo; k++) {
        const unsigned char lead = (unsigned char)text[i - k];
        if ((lead & 0xC0) == 0x80) continue;
        utf8proc_int32_t c;
        utf8proc_ssize_t r = utf8proc_iterate((const utf8proc_uint8_t *)text + i - k, (utf8proc_ssize_t)k, &c);
        if (r != (utf8proc_ssize_t)k) return i;
        *cp = c;
        return i - k;
    }
    return i;
}

/* Rust regex's Unicode \w (single_word): Alphabetic (L*, Nl), marks, Nd, Pc,
 * ZWNJ/ZWJ. */
static int is_word_cp(int32_t c) {
    if (c == '_' || c == 0x200C || c == 0x200D) return 1;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_PC: return 1;
    default: return 0;
    }
}

/* The longest added token of `pass` at text[i] (within [i, e)), or NULL. */
static const added_tok *added_at(const pb_bpe *t, const char *text, size_t i, size_t e, int pass) {
    const unsigned char c0 = (unsigned char)text[i];
    for (size_t k = t->first[c0]; k < t->first[c0 + 1]; k++) {
        const added_tok *a = &t->added[k];
        if (a->pass == pass && a->n <= e - i && memcmp(text + i, a->s, a->n) == 0) return a;
    }
    return NULL;
}

/* Split text[b, e) on the added tokens of `pass` (leftmost-longest, as the
 * tokenizers library's Aho-Corasick and transformers' Trie), then pass + 1 on
 * the pieces between; after the last pass, BPE. */
static int encode_split(const pb_bpe *t, const char *text, size_t b, size_t e, int pass, scratch *s, pb_token_buf *o) {
    if (b >= e) return 0;
    if (pass == 2) return encode_plain(t, text, b, e, s, o);
    if (!t->n_pass[pass]) return encode_split(t, text, b, e, pass + 1, s, o);
    size_t seg = b; /* start of the piece not yet encoded */
    for (size_t i = b; i < e;) {
        const added_tok *a = added_at(t, text, i, e, pass);
        if (!a) {
            i++;
            continue;
        }
        size_t start = i, stop = i + a->n;
        int32_t cp = 0;
        /* single_word: dropped when a word character touches it; the text it matched stays plain */
        if (a->single_word) {
            const int before = start > b && char_before(text, b, start, &cp) < start && is_word_cp(cp);
            utf8proc_int32_t nx = 0;
            const int after =
                stop < e &&
                utf8proc_iterate((const utf8proc_uint8_t *)text + stop, (utf8proc_ssize_t)(e - stop), &nx) > 0 &&
                is_word_cp(nx);
            if (before || after) {
                i = stop;
                continue;
            }
        }
        while (a->lstrip && start > seg) { /* absorb the whitespace before it (not what an earlier match took) */
            const size_t p = char_before(text, seg, start, &cp);
            if (p == start || !is_space_cp(cp)) break;
            start = p;
        }
        if (a->rstrip) /* absorb the whitespace after it */
            for (utf8proc_int32_t nx; stop < e;) {
                utf8proc_ssize_t r =
                    utf8proc_iterate((const utf8proc_uint8_t *)text + stop, (utf8proc_ssize_t)(e - stop), &nx);
                if (r <= 0 || !is_space_cp(nx)) break;
                stop += (size_t)r;
            }
        PB_TRY(encode_split(t, text, seg, start, pass + 1, s, o));
        PB_TRY(pb_token_buf_push(o, a->id, start, stop));
        seg = i = stop;
    }
    return encode_split(t, text, seg, e, pass + 1, s, o);
}

static int encode_buf(const pb_bpe *t, const char *text, size_t len, pb_token_buf *o) {
    if (!len) return 0;
    scratch s = {0};
    s.c = malloc(len * sizeof *s.c);
    int rc = s.c ? encode_split(t, text, 0, len, 0, &s, o) : PB_ERR(PB_ENOMEM, "bpe: %zu characters", len);
    free(s.c);
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
