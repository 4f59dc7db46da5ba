/* WordNet 3.0 data files (see wordnet.h). Each file is read whole and parsed
 * in place: lemmas and examples point into the file's buffer, definitions into
 * a second buffer of the same size; synsets of a file are sorted by offset so
 * lookups are binary searches and shuffled lines load the same. */
#include "wordnet.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_error.h"
#include "taskutil.h"

static const char *const FILE_NAME[PB_WN_FILES] = {"data.noun", "data.verb", "data.adj", "data.adv"};

/* A synset while loading: where its strings, bytes and pointers start in the
 * growing pools (pointers are set once the pools stop moving). */
typedef struct {
    pb_wn_synset s;
    size_t str0, ex0, byte0, ptr0;
} wn_rec;

typedef struct {
    wn_rec *recs;
    size_t n, cap;
    const char **strs;
    size_t n_strs, cap_strs;
    uint8_t *bytes;
    size_t n_bytes, cap_bytes;
    pb_wn_ptr *ptrs;
    uint32_t *ptr_off; /* target offset per pointer until resolved */
    uint8_t *ptr_file; /* target file per pointer until resolved */
    size_t n_ptrs, cap_ptrs;
} wn_build;

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 1024;
    while (nc < need) nc *= 2;
    void *np = realloc(*p, nc * elem);
    if (!np) return PB_ERR(PB_ENOMEM, "WordNet tables of %zu entries", nc);
    *p = np;
    *cap = nc;
    return 0;
}

static int push_str(wn_build *b, const char *s) {
    PB_TRY(grow((void **)&b->strs, &b->cap_strs, b->n_strs + 1, sizeof *b->strs));
    b->strs[b->n_strs++] = s;
    return 0;
}

static int push_ptr(wn_build *b, const pb_wn_ptr *p, uint32_t off, uint8_t file) {
    if (b->n_ptrs + 1 > b->cap_ptrs) {
        size_t c1 = b->cap_ptrs, c2 = b->cap_ptrs, c3 = b->cap_ptrs;
        PB_TRY(grow((void **)&b->ptrs, &c1, b->n_ptrs + 1, sizeof *b->ptrs));
        PB_TRY(grow((void **)&b->ptr_off, &c2, b->n_ptrs + 1, sizeof *b->ptr_off));
        PB_TRY(grow((void **)&b->ptr_file, &c3, b->n_ptrs + 1, sizeof *b->ptr_file));
        b->cap_ptrs = c1;
    }
    b->ptrs[b->n_ptrs] = *p;
    b->ptr_off[b->n_ptrs] = off;
    b->ptr_file[b->n_ptrs] = file;
    b->n_ptrs++;
    return 0;
}

static void wn_build_free(wn_build *b) {
    free(b->recs);
    free(b->strs);
    free(b->bytes);
    free(b->ptrs);
    free(b->ptr_off);
    free(b->ptr_file);
    memset(b, 0, sizeof *b);
}

/* Next space-separated field of *p, NUL-terminated in place; NULL at the end. */
static char *next_field(char **p) {
    char *s = *p;
    while (*s == ' ') s++;
    if (!*s) {
        *p = s;
        return NULL;
    }
    char *e = s;
    while (*e && *e != ' ') e++;
    if (*e) *e++ = '\0';
    *p = e;
    return s;
}

/* Exactly `digits` digits of base 10 or 16 into *out; 0 or -1. */
static int parse_num(const char *s, int digits, int base, unsigned long *out) {
    if (!s || (int)strlen(s) != digits) return -1;
    unsigned long v = 0;
    for (int i = 0; i < digits; i++) {
        int c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * (unsigned long)base + (unsigned long)d;
    }
    *out = v;
    return 0;
}

static int pos_file(char pos) {
    switch (pos) {
    case 'n':
        return PB_WN_NOUN;
    case 'v':
        return PB_WN_VERB;
    case 'a':
    case 's':
        return PB_WN_ADJ;
    case 'r':
        return PB_WN_ADV;
    default:
        return -1;
    }
}

/* Gloss into definition (appended to *defp, NUL-terminated) and examples
 * (terminated in place), as NLTK: quoted parts are the examples and are cut
 * from the definition, which is then stripped of whitespace and of ';'/' '. */
static int split_gloss(wn_build *b, char *g, char **defp, size_t *n_ex) {
    char *d = *defp, *d0 = d;
    *n_ex = 0;
    for (char *p = g; *p;) {
        char *q = *p == '"' ? strchr(p + 1, '"') : NULL;
        if (q) {
            *q = '\0';
            PB_TRY(push_str(b, p + 1));
            (*n_ex)++;
            p = q + 1;
        } else
            *d++ = *p++;
    }
    *d = '\0';
    char *s = d0, *e = d;
    while (s < e && isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) e--;
    while (s < e && (*s == ';' || *s == ' ')) s++;
    while (e > s && (e[-1] == ';' || e[-1] == ' ')) e--;
    memmove(d0, s, (size_t)(e - s));
    d0[e - s] = '\0';
    *defp = d0 + (e - s) + 1;
    return 0;
}

#define LERR(...) PB_ERR(PB_EFORMAT, __VA_ARGS__)

static int parse_line(wn_build *b, int file, const char *path, long ln, char *line, char **defp) {
    char *p = line, *f;
    unsigned long v;
    wn_rec r;
    memset(&r, 0, sizeof r);
    r.s.file = (uint8_t)file;
    r.s.line = ln;
    r.str0 = b->n_strs;
    r.byte0 = b->n_bytes;
    r.ptr0 = b->n_ptrs;
    f = next_field(&p);
    if (parse_num(f, 8, 10, &v) < 0)
        return LERR("%s:%ld: expected an 8-digit synset_offset, got '%s'", path, ln, f ? f : "(end of line)");
    r.s.offset = (uint32_t)v;
    f = next_field(&p);
    if (parse_num(f, 2, 10, &v) < 0)
        return LERR("%s:%ld: expected a 2-digit lex_filenum, got '%s'", path, ln, f ? f : "(end of line)");
    r.s.lex_filenum = (uint8_t)v;
    f = next_field(&p);
    if (!f || strlen(f) != 1 || pos_file(f[0]) != file)
        return LERR("%s:%ld: expected ss_type %s, got '%s'", path, ln,
                    file == PB_WN_NOUN   ? "n"
                    : file == PB_WN_VERB ? "v"
                    : file == PB_WN_ADJ  ? "a or s"
                                         : "r",
                    f ? f : "(end of line)");
    r.s.pos = f[0];
    snprintf(r.s.id, sizeof r.s.id, "%c%08u", r.s.pos, (unsigned)(r.s.offset % 100000000u));
    f = next_field(&p);
    if (parse_num(f, 2, 16, &v) < 0 || v == 0)
        return LERR("%s:%ld: expected a 2-digit hexadecimal w_cnt above 0, got '%s'", path, ln,
                    f ? f : "(end of line)");
    r.s.n_lemmas = (int)v;
    for (int k = 0; k < r.s.n_lemmas; k++) {
        char *w = next_field(&p), *lid = next_field(&p);
        if (!w || !lid || strcmp(w, "|") == 0 || strcmp(lid, "|") == 0)
            return LERR("%s:%ld: w_cnt says %d words but the line has %d word/lex_id pairs", path, ln, r.s.n_lemmas, k);
        if (parse_num(lid, 1, 16, &v) < 0)
            return LERR("%s:%ld: word %d '%s': expected a 1-digit hexadecimal lex_id, got '%s'", path, ln, k + 1, w,
                        lid);
        PB_TRY(grow((void **)&b->bytes, &b->cap_bytes, b->n_bytes + 1, 1));
        b->bytes[b->n_bytes++] = (uint8_t)v;
        PB_TRY(push_str(b, w));
    }
    /* markers after the lemmas: strip "(a)", "(p)", "(ip)" from adjective words */
    for (int k = 0; k < r.s.n_lemmas; k++) {
        char *w = (char *)b->strs[r.str0 + (size_t)k];
        const char *mk = "";
        size_t n = strlen(w);
        if (file == PB_WN_ADJ && n > 3 && w[n - 1] == ')') {
            if (n > 4 && strcmp(w + n - 4, "(ip)") == 0)
                mk = "ip", w[n - 4] = '\0';
            else if (strcmp(w + n - 3, "(a)") == 0)
                mk = "a", w[n - 3] = '\0';
            else if (strcmp(w + n - 3, "(p)") == 0)
                mk = "p", w[n - 3] = '\0';
        }
        PB_TRY(push_str(b, mk));
    }
    f = next_field(&p);
    if (parse_num(f, 3, 10, &v) < 0)
        return LERR("%s:%ld: expected a 3-digit p_cnt after %d words, got '%s'", path, ln, r.s.n_lemmas,
                    f ? f : "(end of line)");
    r.s.n_ptrs = (int)v;
    for (int k = 0; k < r.s.n_ptrs; k++) {
        char *sym = next_field(&p), *off = next_field(&p), *pos = next_field(&p), *st = next_field(&p);
        if (!sym || !off || !pos || !st || strcmp(sym, "|") == 0)
            return LERR("%s:%ld: p_cnt says %d pointers but the line has %d complete ones", path, ln, r.s.n_ptrs, k);
        pb_wn_ptr ptr;
        memset(&ptr, 0, sizeof ptr);
        if (strlen(sym) > 2) return LERR("%s:%ld: pointer %d: unknown pointer_symbol '%s'", path, ln, k + 1, sym);
        memcpy(ptr.symbol, sym, strlen(sym));
        unsigned long to;
        if (parse_num(off, 8, 10, &to) < 0)
            return LERR("%s:%ld: pointer %d: expected an 8-digit synset_offset, got '%s'", path, ln, k + 1, off);
        if (strlen(pos) != 1 || pos_file(pos[0]) < 0)
            return LERR("%s:%ld: pointer %d: expected pos n, v, a, s or r, got '%s'", path, ln, k + 1, pos);
        if (parse_num(st, 4, 16, &v) < 0)
            return LERR("%s:%ld: pointer %d: expected 4 hexadecimal digits source/target, got '%s'", path, ln, k + 1,
                        st);
        ptr.source = (uint8_t)(v >> 8);
        ptr.target_word = (uint8_t)(v & 0xff);
        if (ptr.source > r.s.n_lemmas)
            return LERR("%s:%ld: pointer %d: source word %d but the synset has %d words", path, ln, k + 1, ptr.source,
                        r.s.n_lemmas);
        PB_TRY(push_ptr(b, &ptr, (uint32_t)to, (uint8_t)pos_file(pos[0])));
    }
    if (file == PB_WN_VERB) {
        f = next_field(&p);
        if (parse_num(f, 2, 10, &v) < 0)
            return LERR("%s:%ld: expected a 2-digit f_cnt (verb frames), got '%s'", path, ln, f ? f : "(end of line)");
        for (unsigned long k = 0; k < v; k++) {
            char *plus = next_field(&p), *fn = next_field(&p), *wn = next_field(&p);
            unsigned long x;
            if (!plus || strcmp(plus, "+") != 0 || parse_num(fn, 2, 10, &x) < 0 || parse_num(wn, 2, 16, &x) < 0)
                return LERR("%s:%ld: f_cnt says %lu frames; frame %lu is not '+ f_num w_num'", path, ln, v, k + 1);
        }
    }
    f = next_field(&p);
    if (!f || strcmp(f, "|") != 0)
        return LERR("%s:%ld: expected '|' and the gloss after the fields, got '%s'", path, ln, f ? f : "(end of line)");
    size_t n_ex;
    r.ex0 = b->n_strs;
    r.s.definition = *defp; /* offset into defs fixed below */
    PB_TRY(split_gloss(b, p, defp, &n_ex));
    r.s.n_examples = (int)n_ex;
    PB_TRY(grow((void **)&b->recs, &b->cap, b->n + 1, sizeof *b->recs));
    b->recs[b->n++] = r;
    return 0;
}

static int cmp_rec(const void *a, const void *b) {
    const wn_rec *x = a, *y = b;
    if (x->s.file != y->s.file) return x->s.file < y->s.file ? -1 : 1;
    return x->s.offset < y->s.offset ? -1 : x->s.offset > y->s.offset;
}

static int32_t find_rec(const wn_build *b, const int32_t *begin, int file, uint32_t off) {
    int32_t lo = begin[file], hi = begin[file + 1];
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (b->recs[mid].s.offset < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < begin[file + 1] && b->recs[lo].s.offset == off ? lo : -1;
}

static int load_file(wn_build *b, pb_wordnet *wn, int file, const char *dir) {
    char path[4096];
    PB_TRY(pb_path_join(path, sizeof path, dir, FILE_NAME[file]));
    if (!pb_path_is_file(path)) return PB_ERR(PB_ENOTFOUND, "missing WordNet file '%s'", path);
    pb_lines l;
    PB_TRY(pb_lines_open(&l, path));
    int rc = 0;
    char *defp = malloc(l.len + 1);
    if (!defp) rc = PB_ERR(PB_ENOMEM, "%s: %zu bytes", path, l.len);
    wn->defs[file] = defp;
    char *line;
    size_t len;
    while (rc == 0 && pb_lines_next(&l, &line, &len)) {
        if (len == 0 || (line[0] == ' ' && line[1] == ' ')) continue; /* license header */
        rc = parse_line(b, file, path, l.line, line, &defp);
    }
    wn->text[file] = l.buf; /* lemmas and examples point into it */
    l.buf = NULL;
    pb_lines_close(&l);
    return rc;
}

int pb_wordnet_load(pb_wordnet *wn, const char *dir) {
    memset(wn, 0, sizeof *wn);
    wn_build b;
    memset(&b, 0, sizeof b);
    int rc = 0;
    for (int f = 0; rc == 0 && f < PB_WN_FILES; f++) rc = load_file(&b, wn, f, dir);
    if (rc == 0 && b.n > INT32_MAX / 2) rc = PB_ERR(PB_ERANGE, "%s: %zu synsets", dir, b.n);
    if (rc == 0) {
        qsort(b.recs, b.n, sizeof *b.recs, cmp_rec);
        for (int f = 0, i = 0; f <= PB_WN_FILES; f++) {
            while (i < (int)b.n && b.recs[i].s.file < f) i++;
            wn->begin[f] = f == PB_WN_FILES ? (int32_t)b.n : i;
        }
        for (size_t i = 1; rc == 0 && i < b.n; i++)
            if (b.recs[i].s.file == b.recs[i - 1].s.file && b.recs[i].s.offset == b.recs[i - 1].s.offset)
                rc = PB_ERR(PB_EFORMAT, "%s/%s:%ld: synset_offset %08lu already used on line %ld", dir,
                            FILE_NAME[b.recs[i].s.file], b.recs[i].s.line, (unsigned long)b.recs[i].s.offset,
                            b.recs[i - 1].s.line);
    }
    for (size_t i = 0; rc == 0 && i < b.n; i++) {
        const wn_rec *r = &b.recs[i];
        for (int k = 0; rc == 0 && k < r->s.n_ptrs; k++) {
            size_t j = r->ptr0 + (size_t)k;
            int32_t t = find_rec(&b, wn->begin, b.ptr_file[j], b.ptr_off[j]);
            if (t < 0)
                rc = PB_ERR(PB_EFORMAT, "%s/%s:%ld: pointer %d ('%s') targets synset %08lu in %s, which does not exist",
                            dir, FILE_NAME[r->s.file], r->s.line, k + 1, b.ptrs[j].symbol, (unsigned long)b.ptr_off[j],
                            FILE_NAME[b.ptr_file[j]]);
            else
                b.ptrs[j].target = t;
        }
    }
    if (rc == 0) {
        wn->synsets = malloc((b.n ? b.n : 1) * sizeof *wn->synsets);
        if (!wn->synsets) rc = PB_ERR(PB_ENOMEM, "%zu synsets", b.n);
    }
    if (rc == 0) {
        for (size_t i = 0; i < b.n; i++) {
            const wn_rec *r = &b.recs[i];
            pb_wn_synset *s = &wn->synsets[i];
            *s = r->s;
            s->lemmas = b.strs + r->str0;
            s->markers = b.strs + r->str0 + r->s.n_lemmas;
            s->lex_ids = b.bytes + r->byte0;
            s->examples = b.strs + r->ex0;
            s->ptrs = b.ptrs + r->ptr0;
        }
        wn->n = (int32_t)b.n;
        wn->strs = b.strs;
        wn->bytes = b.bytes;
        wn->ptrs = b.ptrs;
        b.strs = NULL;
        b.bytes = NULL;
        b.ptrs = NULL;
    }
    wn_build_free(&b);
    if (rc < 0) pb_wordnet_free(wn);
    return rc;
}

void pb_wordnet_free(pb_wordnet *wn) {
    for (int f = 0; f < PB_WN_FILES; f++) {
        free(wn->text[f]);
        free(wn->defs[f]);
    }
    free(wn->synsets);
    free(wn->strs);
    free(wn->bytes);
    free(wn->ptrs);
    memset(wn, 0, sizeof *wn);
}

int32_t pb_wordnet_find(const pb_wordnet *wn, char pos, uint32_t offset) {
    const int f = pos_file(pos);
    if (f < 0 || !wn->synsets) return -1;
    int32_t lo = wn->begin[f], hi = wn->begin[f + 1];
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (wn->synsets[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < wn->begin[f + 1] && wn->synsets[lo].offset == offset ? lo : -1;
}

int32_t pb_wordnet_find_id(const pb_wordnet *wn, const char *id) {
    unsigned long off;
    if (!id || !id[0] || parse_num(id + 1, 8, 10, &off) < 0) return -1;
    int32_t i = pb_wordnet_find(wn, id[0], (uint32_t)off);
    return i >= 0 && wn->synsets[i].pos == id[0] ? i : -1;
}
