/* Mail to plain text (see mail.h for what is handled and how). */
#include "mail.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_error.h"
#include "suite.h"

enum { MAX_DEPTH = 16 };

typedef struct {
    const char *p;
    size_t n;
} span;

/* The fields of one header block that the cleaner uses (values folded, raw). */
typedef struct {
    span subject, ctype, cte, disp;
    int has_subject, has_ctype, has_cte, has_disp;
} hdr_block;

/* Parsed Content-Type. */
typedef struct {
    char type[64]; /* "text/plain", lowercase */
    char charset[48];
    char boundary[256];
    int has_boundary;
} ctype_info;

static int lower(int c) {
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int ieq(const char *a, size_t n, const char *b) {
    if (strlen(b) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i])) return 0;
    return 1;
}

static int is_wsp(int c) {
    return c == ' ' || c == '\t';
}

/* The line at pos: [pos, *le) without "\n" (a trailing "\r" stays); *next after the "\n". */
static void line_at(const char *p, size_t n, size_t pos, size_t *le, size_t *next) {
    const char *nl = memchr(p + pos, '\n', n - pos);
    *le = nl ? (size_t)(nl - p) : n;
    *next = nl ? *le + 1 : n;
}

static int line_is_blank(const char *p, size_t a, size_t b) {
    return b == a || (b == a + 1 && p[a] == '\r');
}

/* "Name:" (printable ASCII name, optional white space before the colon); the value offset into *val. */
static int line_is_field(const char *p, size_t a, size_t b, size_t *name_end, size_t *val) {
    size_t i = a;
    while (i < b && p[i] > 32 && p[i] < 127 && p[i] != ':') i++;
    if (i == a) return 0;
    *name_end = i;
    while (i < b && is_wsp((unsigned char)p[i])) i++;
    if (i >= b || p[i] != ':') return 0;
    *val = i + 1;
    return 1;
}

/* Parse the header block of p[0, n); *body = offset of the body. */
static void parse_headers(const char *p, size_t n, hdr_block *h, size_t *body) {
    memset(h, 0, sizeof *h);
    span *cur = NULL; /* the field being continued, when it is one we keep */
    int in_field = 0;
    size_t pos = 0;
    while (pos < n) {
        size_t le, next, name_end, val;
        line_at(p, n, pos, &le, &next);
        if (line_is_blank(p, pos, le)) {
            *body = next;
            return;
        }
        if (is_wsp((unsigned char)p[pos]) && in_field) {
            if (cur) cur->n = le - (size_t)(cur->p - p);
        } else if (line_is_field(p, pos, le, &name_end, &val)) {
            in_field = 1;
            cur = NULL;
            const char *name = p + pos;
            size_t nn = name_end - pos;
            span *slot = NULL;
            int *flag = NULL;
            if (ieq(name, nn, "subject"))
                slot = &h->subject, flag = &h->has_subject;
            else if (ieq(name, nn, "content-type"))
                slot = &h->ctype, flag = &h->has_ctype;
            else if (ieq(name, nn, "content-transfer-encoding"))
                slot = &h->cte, flag = &h->has_cte;
            else if (ieq(name, nn, "content-disposition"))
                slot = &h->disp, flag = &h->has_disp;
            if (slot && !*flag) { /* the first occurrence counts */
                *flag = 1;
                slot->p = p + val;
                slot->n = le - val;
                cur = slot;
            }
        } else if (pos == 0 && le - pos >= 5 && memcmp(p, "From ", 5) == 0) {
            in_field = 0; /* mbox separator line */
        } else {
            *body = pos; /* not a header line: the body starts here */
            return;
        }
        pos = next;
    }
    *body = n;
}

/* A folded value with its line breaks removed (unfolded), NUL-terminated, malloc'ed. */
static char *unfold(span s) {
    char *o = malloc(s.n + 1);
    if (!o) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] != '\r' && s.p[i] != '\n') o[k++] = s.p[i];
    o[k] = '\0';
    return o;
}

/* Skip white space and RFC 822 comments "(...)". */
static const char *skip_cfws(const char *s) {
    for (;;) {
        while (*s && isspace((unsigned char)*s)) s++;
        if (*s != '(') return s;
        int depth = 0;
        for (; *s; s++) {
            if (*s == '\\' && s[1])
                s++;
            else if (*s == '(')
                depth++;
            else if (*s == ')' && --depth == 0) {
                s++;
                break;
            }
        }
    }
}

/* A token or quoted string at s into out (truncated to cap - 1); returns the end. */
static const char *read_value(const char *s, char *out, size_t cap, int lowercase) {
    size_t k = 0;
    if (*s == '"') {
        for (s++; *s && *s != '"'; s++) {
            if (*s == '\\' && s[1]) s++;
            if (k + 1 < cap) out[k++] = *s;
        }
        if (*s == '"') s++;
    } else {
        for (; *s && *s != ';' && !isspace((unsigned char)*s) && *s != '(' && *s != '"'; s++)
            if (k + 1 < cap) out[k++] = (char)(lowercase ? lower((unsigned char)*s) : *s);
    }
    out[k] = '\0';
    return s;
}

/* Content-Type value -> type/subtype (lowercase), charset (lowercase), boundary. Missing or
 * malformed -> def_type. */
static int parse_ctype(const hdr_block *h, const char *def_type, ctype_info *ci) {
    memset(ci, 0, sizeof *ci);
    snprintf(ci->type, sizeof ci->type, "%s", def_type);
    if (!h->has_ctype) return 0;
    char *v = unfold(h->ctype);
    if (!v) return PB_ERR(PB_ENOMEM, "mail header of %zu bytes", h->ctype.n);
    const char *s = skip_cfws(v);
    char t[64];
    s = read_value(s, t, sizeof t, 1);
    if (strchr(t, '/') && t[0] != '/' && strchr(t, '/')[1]) snprintf(ci->type, sizeof ci->type, "%s", t);
    while (*s) {
        s = skip_cfws(s);
        if (*s != ';') { /* junk: skip to the next parameter */
            while (*s && *s != ';') s++;
            continue;
        }
        s = skip_cfws(s + 1);
        const char *name = s;
        while (*s && *s != '=' && *s != ';' && !isspace((unsigned char)*s)) s++;
        size_t nn = (size_t)(s - name);
        s = skip_cfws(s);
        if (*s != '=') continue;
        s = skip_cfws(s + 1);
        if (ieq(name, nn, "charset")) {
            s = read_value(s, ci->charset, sizeof ci->charset, 1);
        } else if (ieq(name, nn, "boundary")) {
            s = read_value(s, ci->boundary, sizeof ci->boundary, 0);
            ci->has_boundary = ci->boundary[0] != '\0';
        } else {
            char junk[8];
            s = read_value(s, junk, sizeof junk, 0);
        }
    }
    free(v);
    return 0;
}

/* The first token of a header value, lowercase (e.g. "base64", "attachment"). */
static void first_token(span s, char *out, size_t cap) {
    size_t i = 0, k = 0;
    while (i < s.n && isspace((unsigned char)s.p[i])) i++;
    while (i < s.n && s.p[i] != ';' && !isspace((unsigned char)s.p[i]) && k + 1 < cap)
        out[k++] = (char)lower((unsigned char)s.p[i++]);
    out[k] = '\0';
}

/* ---- charsets and UTF-8 ----------------------------------------------------- */

static int is_latin1(const char *cs) {
    return !strcmp(cs, "iso-8859-1") || !strcmp(cs, "iso8859-1") || !strcmp(cs, "iso_8859-1") ||
           !strcmp(cs, "latin1") || !strcmp(cs, "latin-1") || !strcmp(cs, "l1") || !strcmp(cs, "windows-1252") ||
           !strcmp(cs, "cp1252") || !strcmp(cs, "x-cp1252");
}

/* windows-1252 0x80-0x9F (0 = undefined). */
static const uint16_t CP1252[32] = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
                                    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

static int put_cp(pb_strbuf *b, uint32_t c) {
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) || c == 0) c = 0xFFFD;
    const size_t n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    static const unsigned char lead[5] = {0, 0x00, 0xC0, 0xE0, 0xF0};
    char u[4];
    for (size_t k = n - 1; k > 0; k--, c >>= 6) u[k] = (char)(0x80 | (c & 0x3F));
    u[0] = (char)(lead[n] | c);
    return pb_strbuf_add(b, u, n);
}

/* Length of the valid UTF-8 sequence at s[0, n), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    const unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t k;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF)
        k = 2, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        k = 3, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        k = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    if (n < k) return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return k;
}

static int utf8_valid(const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t k = utf8_len((const unsigned char *)s + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

/* Append bytes in charset cs as UTF-8 (latin-1 family converted when force or when not valid
 * UTF-8; everything else as bytes, made valid at the end). */
static int add_charset(pb_strbuf *b, const char *s, size_t n, const char *cs, int force) {
    if (!is_latin1(cs) || (!force && utf8_valid(s, n))) return pb_strbuf_add(b, s, n);
    for (size_t i = 0; i < n; i++) {
        const unsigned c = (unsigned char)s[i];
        int rc = c < 0x80   ? pb_strbuf_add(b, s + i, 1)
                 : c < 0xA0 ? put_cp(b, CP1252[c - 0x80] ? CP1252[c - 0x80] : 0xFFFD)
                            : put_cp(b, c);
        PB_TRY(rc);
    }
    return 0;
}

/* ---- transfer encodings ------------------------------------------------------ */

static int hexval(int c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Quoted-printable (q_underscore: RFC 2047 Q, where "_" is a space). */
static int decode_qp(pb_strbuf *o, const char *s, size_t n, int q_underscore) {
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '=' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 && hexval((unsigned char)s[i + 2]) >= 0) {
            c = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else if (c == '=' && i + 2 == n && hexval((unsigned char)s[i + 1]) >= 0) {
            /* "=X" at the very end: truncated, keep literally */
        } else if (c == '=') {
            /* soft line break: "=" then optional white space, then "\n" or "\r\n" */
            size_t j = i + 1;
            while (j < n && is_wsp((unsigned char)s[j])) j++;
            if (j < n && s[j] == '\r') j++;
            if (j < n && s[j] == '\n') {
                i = j;
                continue;
            }
            if (j == n) break; /* "=" at the end */
        } else if (c == '_' && q_underscore) {
            c = ' ';
        }
        PB_TRY(pb_strbuf_add(o, &c, 1));
    }
    return 0;
}

static int b64val(int c) {
    return c >= 'A' && c <= 'Z'   ? c - 'A'
           : c >= 'a' && c <= 'z' ? c - 'a' + 26
           : c >= '0' && c <= '9' ? c - '0' + 52
           : c == '+'             ? 62
           : c == '/'             ? 63
                                  : -1;
}

/* Base64: characters outside the alphabet (line breaks, junk) skipped, "=" ends the data; a
 * truncated last group gives its whole bytes. */
static int decode_b64(pb_strbuf *o, const char *s, size_t n) {
    uint32_t acc = 0;
    int k = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        const int v = b64val((unsigned char)s[i]);
        if (v < 0) continue;
        acc = (acc << 6) | (uint32_t)v;
        if (++k == 4) {
            const char t[3] = {(char)(acc >> 16), (char)(acc >> 8), (char)acc};
            PB_TRY(pb_strbuf_add(o, t, 3));
            acc = 0;
            k = 0;
        }
    }
    if (k == 2) {
        const char t[1] = {(char)(acc >> 4)};
        PB_TRY(pb_strbuf_add(o, t, 1));
    } else if (k == 3) {
        const char t[2] = {(char)(acc >> 10), (char)(acc >> 2)};
        PB_TRY(pb_strbuf_add(o, t, 2));
    }
    return 0;
}

/* ---- RFC 2047 subject ---------------------------------------------------------- */

/* Try an encoded-word at s[0, n) (no white space inside): on success append its text and set
 * *used to its length, else *used = 0. */
static int encoded_word(pb_strbuf *b, const char *s, size_t n, size_t *used) {
    *used = 0;
    if (n < 8 || s[0] != '=' || s[1] != '?') return 0;
    const char *q1 = memchr(s + 2, '?', n - 2);
    if (!q1 || q1 == s + 2 || (size_t)(q1 - s) + 3 >= n || q1[2] != '?') return 0;
    const char enc = (char)lower((unsigned char)q1[1]);
    if (enc != 'b' && enc != 'q') return 0;
    const char *text = q1 + 3, *end = NULL;
    for (const char *t = text; t + 1 < s + n && !isspace((unsigned char)*t); t++)
        if (t[0] == '?' && t[1] == '=') {
            end = t;
            break;
        }
    if (!end) return 0;
    char cs[48];
    size_t cn = 0;
    for (const char *c = s + 2; c < q1 && *c != '*' && cn + 1 < sizeof cs; c++)
        cs[cn++] = (char)lower((unsigned char)*c);
    cs[cn] = '\0';
    pb_strbuf raw = {0};
    int rc = pb_strbuf_add(&raw, "", 0);
    if (rc == 0)
        rc = enc == 'b' ? decode_b64(&raw, text, (size_t)(end - text)) : decode_qp(&raw, text, (size_t)(end - text), 1);
    if (rc == 0) rc = add_charset(b, raw.s, raw.n, cs, 1);
    pb_strbuf_free(&raw);
    *used = (size_t)(end + 2 - s);
    return rc;
}

static int decode_subject(pb_strbuf *b, const char *s, size_t n) {
    size_t i = 0, gap = 0; /* gap: start of the white space after the last encoded-word */
    int after_ew = 0;
    while (i < n) {
        size_t used = 0;
        if (s[i] == '=' && i + 1 < n && s[i + 1] == '?') {
            pb_strbuf w = {0};
            int rc = pb_strbuf_add(&w, "", 0);
            if (rc == 0) rc = encoded_word(&w, s + i, n - i, &used);
            if (rc == 0 && used) {
                /* white space between two encoded-words is dropped */
                if (!after_ew && gap < i) rc = pb_strbuf_add(b, s + gap, i - gap);
                if (rc == 0) rc = pb_strbuf_add(b, w.s, w.n);
            }
            pb_strbuf_free(&w);
            PB_TRY(rc);
        }
        if (used) {
            i += used;
            gap = i;
            after_ew = 1;
            continue;
        }
        if (is_wsp((unsigned char)s[i])) {
            i++;
            continue;
        }
        /* ordinary text: flush the pending white space and this character */
        PB_TRY(pb_strbuf_add(b, s + gap, i + 1 - gap));
        i++;
        gap = i;
        after_ew = 0;
    }
    if (!after_ew && gap < n) PB_TRY(pb_strbuf_add(b, s + gap, n - gap));
    return 0;
}

/* ---- HTML --------------------------------------------------------------------- */

static int name_in(const char *name, size_t n, const char *const *list) {
    for (; *list; list++)
        if (ieq(name, n, *list)) return 1;
    return 0;
}

static const char *const INLINE_TAGS[] = {"a",   "abbr", "b",  "big",  "cite",  "code", "em",     "font",
                                          "i",   "kbd",  "s",  "samp", "small", "span", "strike", "strong",
                                          "sub", "sup",  "tt", "u",    "var",   "o:p",  NULL};

static const struct {
    const char *name;
    uint32_t cp;
} ENTITIES[] = {{"amp", '&'},      {"lt", '<'},        {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
                {"nbsp", ' '},     {"copy", 0xA9},     {"reg", 0xAE},     {"trade", 0x2122}, {"mdash", 0x2014},
                {"ndash", 0x2013}, {"hellip", 0x2026}, {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C},
                {"rdquo", 0x201D}, {"bull", 0x2022},   {"middot", 0xB7},  {"euro", 0x20AC},  {"pound", 0xA3},
                {"cent", 0xA2},    {"yen", 0xA5},      {"deg", 0xB0},     {"laquo", 0xAB},   {"raquo", 0xBB},
                {"AMP", '&'},      {"LT", '<'},        {"GT", '>'},       {"QUOT", '"'},     {"NBSP", ' '}};

/* An entity at s[0, n) ("&..."): appended, returns its length; 0 when not one. */
static size_t html_entity(pb_strbuf *b, const char *s, size_t n, int *rc) {
    size_t i = 1;
    uint32_t cp = 0;
    if (i < n && s[i] == '#') {
        i++;
        const int hex = i < n && (s[i] == 'x' || s[i] == 'X');
        if (hex) i++;
        size_t d0 = i;
        while (i < n && (hex ? hexval((unsigned char)s[i]) >= 0 : isdigit((unsigned char)s[i])) && i - d0 < 8) {
            cp = cp * (hex ? 16u : 10u) + (uint32_t)(hex ? hexval((unsigned char)s[i]) : s[i] - '0');
            i++;
        }
        if (i == d0) return 0;
        if (i < n && s[i] == ';') i++;
        if (cp >= 0x80 && cp < 0xA0) cp = CP1252[cp - 0x80] ? CP1252[cp - 0x80] : 0xFFFD; /* as browsers do */
        *rc = put_cp(b, cp);
        return i;
    }
    size_t j = i;
    while (j < n && isalnum((unsigned char)s[j]) && j - i < 10) j++;
    for (size_t e = 0; e < sizeof ENTITIES / sizeof *ENTITIES; e++) {
        if (strlen(ENTITIES[e].name) != j - i || memcmp(s + i, ENTITIES[e].name, j - i) != 0) continue;
        if (j < n && s[j] == ';') j++;
        *rc = put_cp(b, ENTITIES[e].cp);
        return j;
    }
    return 0;
}

/* Find "</name" (case-insensitive) from s[i]; returns its offset or n. */
static size_t find_close(const char *s, size_t n, size_t i, const char *name) {
    const size_t k = strlen(name);
    for (; i + 2 + k <= n; i++)
        if (s[i] == '<' && s[i + 1] == '/' && ieq(s + i + 2, k, name)) return i;
    return n;
}

/* End of the tag starting at s[i] == '<': after its '>' (quotes respected), or n. */
static size_t tag_end(const char *s, size_t n, size_t i) {
    char quote = 0;
    for (i++; i < n; i++) {
        if (quote) {
            if (s[i] == quote) quote = 0;
        } else if (s[i] == '"' || s[i] == '\'') {
            /* quotes count only inside an attribute value (after "=") */
            size_t j = i;
            while (j > 0 && is_wsp((unsigned char)s[j - 1])) j--;
            if (j > 0 && s[j - 1] == '=') quote = s[i];
        } else if (s[i] == '>') {
            return i + 1;
        }
    }
    return n;
}

static int html_to_text(pb_strbuf *b, const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        const char c = s[i];
        if (c == '&') {
            int rc = 0;
            size_t used = html_entity(b, s + i, n - i, &rc);
            PB_TRY(rc);
            if (used) {
                i += used;
                continue;
            }
        } else if (c == '<' && i + 1 < n &&
                   (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '/' || s[i + 1] == '!' || s[i + 1] == '?')) {
            if (i + 3 < n && memcmp(s + i, "<!--", 4) == 0) {
                const char *e = NULL;
                for (size_t j = i + 4; j + 2 < n; j++)
                    if (s[j] == '-' && s[j + 1] == '-' && s[j + 2] == '>') {
                        e = s + j + 3;
                        break;
                    }
                i = e ? (size_t)(e - s) : n;
                continue;
            }
            size_t a = i + 1 + (s[i + 1] == '/'), z = a;
            while (z < n && (isalnum((unsigned char)s[z]) || s[z] == ':')) z++;
            const size_t end = tag_end(s, n, i);
            if (s[i + 1] != '/' && (ieq(s + a, z - a, "script") || ieq(s + a, z - a, "style"))) {
                char name[8];
                memcpy(name, s + a, z - a);
                name[z - a] = '\0';
                size_t cl = find_close(s, n, end, name);
                i = cl < n ? tag_end(s, n, cl) : n;
            } else {
                i = end;
            }
            if (!name_in(s + a, z - a, INLINE_TAGS)) PB_TRY(pb_strbuf_add(b, " ", 1));
            continue;
        }
        PB_TRY(pb_strbuf_add(b, &c, 1));
        i++;
    }
    return 0;
}

/* ---- MIME ------------------------------------------------------------------------- */

/* 1 delimiter line "--boundary", 2 close "--boundary--", 0 neither (line [a, b)). */
static int delim_kind(const char *p, size_t a, size_t b, const char *bd, size_t bn) {
    if (b - a < bn + 2 || p[a] != '-' || p[a + 1] != '-' || memcmp(p + a + 2, bd, bn) != 0) return 0;
    size_t i = a + 2 + bn;
    if (i + 1 < b && p[i] == '-' && p[i + 1] == '-') return 2;
    for (; i < b; i++)
        if (!isspace((unsigned char)p[i])) return 0;
    return 1;
}

typedef struct {
    span *v;
    size_t n, cap;
} span_list;

static int spans_push(span_list *l, const char *p, size_t n) {
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 8;
        span *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv) return PB_ERR(PB_ENOMEM, "%zu MIME parts", nc);
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = (span){p, n};
    return 0;
}

/* The parts of a multipart body; none when no delimiter line is found. */
static int split_parts(const char *p, size_t n, const char *bd, span_list *parts) {
    const size_t bn = strlen(bd);
    size_t pos = 0, start = 0;
    int open = 0;
    while (pos < n) {
        size_t le, next;
        line_at(p, n, pos, &le, &next);
        const int k = delim_kind(p, pos, le, bd, bn);
        if (k) {
            if (open) {
                size_t end = pos;
                if (end > start && p[end - 1] == '\n') end--;
                if (end > start && p[end - 1] == '\r') end--;
                PB_TRY(spans_push(parts, p + start, end - start));
            }
            open = k == 1;
            start = next;
            if (k == 2) return 0; /* the epilogue is dropped */
        }
        pos = next;
    }
    if (open) PB_TRY(spans_push(parts, p + start, n - start)); /* no close delimiter */
    return 0;
}

/* The boundary guessed from the first line starting with "--" (without a trailing "--"). */
static int guess_boundary(const char *p, size_t n, char *bd, size_t cap) {
    size_t pos = 0;
    while (pos < n) {
        size_t le, next;
        line_at(p, n, pos, &le, &next);
        size_t e = le;
        while (e > pos && isspace((unsigned char)p[e - 1])) e--;
        if (e - pos > 2 && p[pos] == '-' && p[pos + 1] == '-') {
            size_t a = pos + 2;
            if (e - a > 2 && p[e - 1] == '-' && p[e - 2] == '-') e -= 2;
            if (e - a + 1 > cap) return 0;
            memcpy(bd, p + a, e - a);
            bd[e - a] = '\0';
            return 1;
        }
        pos = next;
    }
    return 0;
}

static int entity_text(const char *p, size_t n, const char *def_type, int depth, int top, pb_strbuf *out,
                       int *had_plain);

/* Text of a message: its Subject, then its body. */
static int message_text(const char *p, size_t n, int depth, pb_strbuf *out, int *had_plain) {
    hdr_block h;
    size_t body;
    parse_headers(p, n, &h, &body);
    if (h.has_subject) {
        char *s = unfold(h.subject);
        if (!s) return PB_ERR(PB_ENOMEM, "mail subject of %zu bytes", h.subject.n);
        int rc = decode_subject(out, s, strlen(s));
        free(s);
        PB_TRY(rc);
        PB_TRY(pb_strbuf_add(out, " ", 1));
    }
    return entity_text(p, n, "text/plain", depth, 1, out, had_plain);
}

static int multipart_text(const char *body, size_t bn, const ctype_info *ci, int depth, pb_strbuf *out, int *had_plain,
                          int *handled) {
    char bd[256];
    *handled = 0;
    if (ci->has_boundary)
        snprintf(bd, sizeof bd, "%s", ci->boundary);
    else if (!guess_boundary(body, bn, bd, sizeof bd))
        return 0;
    span_list parts = {0};
    int rc = split_parts(body, bn, bd, &parts);
    if (rc < 0 || parts.n == 0) goto done;
    *handled = 1;
    const char *child_type = !strcmp(ci->type, "multipart/digest") ? "message/rfc822" : "text/plain";
    if (!strcmp(ci->type, "multipart/alternative")) {
        /* the first alternative with text/plain text, else the first with any text */
        pb_strbuf best = {0};
        int best_plain = 0;
        for (size_t k = 0; k < parts.n && rc == 0 && !best_plain; k++) {
            pb_strbuf t = {0};
            int plain = 0;
            rc = pb_strbuf_add(&t, "", 0);
            if (rc == 0) rc = entity_text(parts.v[k].p, parts.v[k].n, child_type, depth + 1, 0, &t, &plain);
            int has_text = 0;
            for (size_t j = 0; j < t.n && !has_text; j++) has_text = !isspace((unsigned char)t.s[j]);
            if (rc == 0 && has_text && (plain || !best.s)) {
                pb_strbuf_free(&best);
                best = t;
                best_plain = plain;
            } else {
                pb_strbuf_free(&t);
            }
        }
        if (rc == 0 && best.s) rc = pb_strbuf_add(out, best.s, best.n);
        if (best_plain) *had_plain = 1;
        pb_strbuf_free(&best);
    } else {
        for (size_t k = 0; k < parts.n && rc == 0; k++) {
            rc = entity_text(parts.v[k].p, parts.v[k].n, child_type, depth + 1, 0, out, had_plain);
            if (rc == 0) rc = pb_strbuf_add(out, " ", 1);
        }
    }
done:
    free(parts.v);
    return rc;
}

/* A body with "<html" or "<body" (any case) in its first 2048 bytes. */
static int looks_html(const char *s, size_t n) {
    if (n > 2048) n = 2048;
    for (size_t i = 0; i + 5 <= n; i++)
        if (s[i] == '<' && (ieq(s + i, 5, "<html") || ieq(s + i, 5, "<body"))) return 1;
    return 0;
}

/* An untyped body that is MIME multipart all the same: a line "--X" directly followed by a
 * "Content-..." header line; X into bd. */
static int looks_multipart(const char *p, size_t n, char *bd, size_t cap) {
    size_t pos = 0;
    while (pos < n) {
        size_t le, next, le2, next2;
        line_at(p, n, pos, &le, &next);
        if (le - pos > 2 && p[pos] == '-' && p[pos + 1] == '-' && next < n) {
            line_at(p, n, next, &le2, &next2);
            if (le2 - next >= 8 && ieq(p + next, 8, "content-")) {
                size_t e = le;
                while (e > pos && isspace((unsigned char)p[e - 1])) e--;
                if (e - pos - 2 + 1 > cap || e - pos <= 2) return 0;
                memcpy(bd, p + pos + 2, e - pos - 2);
                bd[e - pos - 2] = '\0';
                return 1;
            }
        }
        pos = next;
    }
    return 0;
}

/* Text of one MIME entity (headers + body) appended to out; *had_plain set when text/plain
 * text was taken. top: the message itself (its disposition is not checked). */
static int entity_text(const char *p, size_t n, const char *def_type, int depth, int top, pb_strbuf *out,
                       int *had_plain) {
    if (depth > MAX_DEPTH) return 0;
    hdr_block h;
    size_t body_off;
    parse_headers(p, n, &h, &body_off);
    const char *body = p + body_off;
    const size_t bn = n - body_off;
    if (!top && h.has_disp) {
        char d[32];
        first_token(h.disp, d, sizeof d);
        if (!strcmp(d, "attachment")) return 0;
    }
    ctype_info ci;
    PB_TRY(parse_ctype(&h, def_type, &ci));
    if (!h.has_ctype && !strcmp(ci.type, "text/plain") && looks_multipart(body, bn, ci.boundary, sizeof ci.boundary)) {
        snprintf(ci.type, sizeof ci.type, "multipart/mixed"); /* untyped MIME (common in spam) */
        ci.has_boundary = 1;
    }
    if (!strncmp(ci.type, "multipart/", 10)) {
        int handled = 0;
        PB_TRY(multipart_text(body, bn, &ci, depth, out, had_plain, &handled));
        if (handled) return 0;
        snprintf(ci.type, sizeof ci.type, "text/plain"); /* no delimiter: read as text */
    }
    if (!strcmp(ci.type, "message/rfc822")) return message_text(body, bn, depth + 1, out, had_plain);
    int html = !strcmp(ci.type, "text/html");
    if (!html && strcmp(ci.type, "text/plain") != 0) return 0;
    char cte[32] = "";
    if (h.has_cte) first_token(h.cte, cte, sizeof cte);
    pb_strbuf dec = {0}, conv = {0};
    int rc = pb_strbuf_add(&dec, "", 0);
    if (rc == 0) {
        if (!strcmp(cte, "quoted-printable"))
            rc = decode_qp(&dec, body, bn, 0);
        else if (!strcmp(cte, "base64"))
            rc = decode_b64(&dec, body, bn);
        else
            rc = pb_strbuf_add(&dec, body, bn);
    }
    if (rc == 0) rc = pb_strbuf_add(&conv, "", 0);
    if (rc == 0) rc = add_charset(&conv, dec.s, dec.n, ci.charset, 0);
    if (rc == 0 && !h.has_ctype && looks_html(conv.s, conv.n)) html = 1; /* untyped HTML (common in spam) */
    if (rc == 0) rc = html ? html_to_text(out, conv.s, conv.n) : pb_strbuf_add(out, conv.s, conv.n);
    if (rc == 0 && !html) *had_plain = 1;
    pb_strbuf_free(&dec);
    pb_strbuf_free(&conv);
    return rc;
}

/* ---- final clean-up ------------------------------------------------------------------ */

/* Valid UTF-8 (U+FFFD per bad byte), white space runs as one space, trimmed. */
static int finish(const char *s, size_t n, char **out) {
    char *o = malloc(3 * n + 1);
    if (!o) return PB_ERR(PB_ENOMEM, "mail text of %zu bytes", n);
    size_t k = 0;
    int space = 0;
    for (size_t i = 0; i < n;) {
        const unsigned char c = (unsigned char)s[i];
        size_t len = utf8_len((const unsigned char *)s + i, n - i);
        const int ws = c <= 0x20 || c == 0x7F || (len == 2 && c == 0xC2 && (unsigned char)s[i + 1] == 0xA0);
        if (ws) {
            space = 1;
            i += len ? len : 1;
            continue;
        }
        if (space && k) o[k++] = ' ';
        space = 0;
        if (!len) {
            memcpy(o + k, "\xef\xbf\xbd", 3);
            k += 3;
            i++;
        } else {
            memcpy(o + k, s + i, len);
            k += len;
            i += len;
        }
    }
    o[k] = '\0';
    *out = o;
    return 0;
}

int pb_mail_text(const char *raw, size_t len, char **out) {
    if (!out) return PB_ERR(PB_EINVAL, "pb_mail_text: NULL output");
    *out = NULL;
    if (!raw && len) return PB_ERR(PB_EINVAL, "pb_mail_text: NULL mail of %zu bytes", len);
    pb_strbuf b = {0};
    int plain = 0;
    int rc = pb_strbuf_add(&b, "", 0);
    if (rc == 0 && len) rc = message_text(raw, len, 0, &b, &plain);
    if (rc == 0) rc = finish(b.s, b.n, out);
    pb_strbuf_free(&b);
    return rc;
}
