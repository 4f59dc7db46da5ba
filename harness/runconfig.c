/* Run config: libyaml events -> a small node tree (rejecting anchors, aliases,
 * tags and duplicate keys where they occur) -> table-driven fill of the struct
 * with per-key type and range checks -> cross-field checks -> canonical YAML.
 *
 * To add a key: a field in runconfig.h, its default in pb_runconfig_init, and
 * one row in the table of its section below (type, offset, range or names).
 * Parsing, validation and the canonical writer all follow the tables. */
#include "runconfig.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "pb_error.h"
#include "registry.h"

/* Run configs are a few hundred bytes; anything this large is not one. */
#define RC_MAX_BYTES (16u << 20)
#define RC_MAX_DEPTH 64
#define RC_PATH 256

/* Enum fields are filled through int pointers. */
_Static_assert(sizeof(pb_runconfig_method) == sizeof(int), "enum size");
_Static_assert(sizeof(pb_runconfig_scope) == sizeof(int), "enum size");
_Static_assert(sizeof(pb_runconfig_mask) == sizeof(int), "enum size");
_Static_assert(sizeof(pb_runconfig_schedule_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(pb_runconfig_lr_schedule) == sizeof(int), "enum size");
_Static_assert(sizeof(pb_runconfig_recipe) == sizeof(int), "enum size");

/* ---- node tree ------------------------------------------------------------ */

/* The tree type is public (runconfig.h) so the experiment spec can build and merge layers. */
#define RC_NODE_SCALAR PB_RUNCONFIG_NODE_SCALAR
#define RC_NODE_MAP PB_RUNCONFIG_NODE_MAP
#define RC_NODE_SEQ PB_RUNCONFIG_NODE_SEQ
typedef pb_runconfig_node rc_node;

static void node_free(rc_node *n) {
    if (!n) return;
    for (size_t i = 0; i < n->n; i++) node_free(n->kids[i]);
    free(n->kids);
    free(n->text);
    free(n);
}

static rc_node *node_new(pb_runconfig_node_kind kind, const yaml_mark_t *m) {
    rc_node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    n->line = (int)m->line + 1;
    n->col = (int)m->column + 1;
    return n;
}

static int node_append(rc_node *parent, rc_node *kid) {
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 8;
        rc_node **k = realloc(parent->kids, cap * sizeof *k);
        if (!k) return PB_ERR(PB_ENOMEM, "run config: YAML node list (%zu entries)", cap);
        parent->kids = k;
        parent->cap = cap;
    }
    parent->kids[parent->n++] = kid;
    return 0;
}

/* ---- scalars -------------------------------------------------------------- */

typedef enum { RC_S_NULL, RC_S_BOOL, RC_S_INT, RC_S_FLOAT, RC_S_STRING } rc_stype;

static int in_list(const char *s, const char *const *list) {
    for (; *list; list++)
        if (strcmp(s, *list) == 0) return 1;
    return 0;
}

static const char *const rc_null_words[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const rc_true_words[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", NULL};
static const char *const rc_false_words[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", NULL};

static size_t skip_digits(const char *s) {
    size_t i = 0;
    while (s[i] >= '0' && s[i] <= '9') i++;
    return i;
}

/* [-+]?[0-9]+ */
static int is_int_text(const char *s) {
    if (*s == '-' || *s == '+') s++;
    size_t d = skip_digits(s);
    return d > 0 && s[d] == '\0';
}

/* [-+]?(digits[.digits?] | .digits)([eE][-+]?digits)? or [-+]?.inf or .nan */
static int is_float_text(const char *s) {
    if (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 || strcmp(s, ".NAN") == 0) return 1;
    if (*s == '-' || *s == '+') s++;
    if (strcmp(s, ".inf") == 0 || strcmp(s, ".Inf") == 0 || strcmp(s, ".INF") == 0) return 1;
    size_t a = skip_digits(s), b = 0;
    s += a;
    if (*s == '.') {
        s++;
        b = skip_digits(s);
        s += b;
    }
    if (a + b == 0) return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+') s++;
        size_t e = skip_digits(s);
        if (e == 0) return 0;
        s += e;
    }
    return *s == '\0';
}

static rc_stype scalar_type(const rc_node *n) {
    if (n->quoted) return RC_S_STRING;
    if (in_list(n->text, rc_null_words)) return RC_S_NULL;
    if (in_list(n->text, rc_true_words) || in_list(n->text, rc_false_words)) return RC_S_BOOL;
    if (is_int_text(n->text)) return RC_S_INT;
    if (is_float_text(n->text)) return RC_S_FLOAT;
    return RC_S_STRING;
}

static int is_null_node(const rc_node *n) {
    return n->kind == RC_NODE_SCALAR && scalar_type(n) == RC_S_NULL;
}

/* YAML float text to a double (strtod does not read .inf / .nan). */
static double float_value(const char *s) {
    const char *t = (*s == '-' || *s == '+') ? s + 1 : s;
    if (t[0] == '.' && (t[1] == 'i' || t[1] == 'I')) return *s == '-' ? -INFINITY : INFINITY;
    if (t[0] == '.' && (t[1] == 'n' || t[1] == 'N')) return NAN;
    return strtod(s, NULL);
}

static const char *node_desc(const rc_node *n) {
    if (n->kind == RC_NODE_MAP) return "a mapping";
    if (n->kind == RC_NODE_SEQ) return "a sequence";
    switch (scalar_type(n)) {
    case RC_S_NULL:
        return "null";
    case RC_S_BOOL:
        return "a boolean";
    case RC_S_INT:
        return "an integer";
    case RC_S_FLOAT:
        return "a number";
    case RC_S_STRING:
        return "a string";
    }
    return "?";
}

/* ---- UTF-8 ---------------------------------------------------------------- */

/* Decode one code point at s (n bytes left); its length, or 0 when invalid. */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned long *cp) {
    if (n == 0) return 0;
    unsigned c = s[0];
    size_t len;
    unsigned long v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else
        return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

static int utf8_valid(const char *s) {
    size_t n = strlen(s);
    unsigned long cp;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_next((const unsigned char *)s + i, n - i, &cp);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

/* ---- errors and locations --------------------------------------------------- */

typedef struct {
    char path[RC_PATH];
    int kline, kcol; /* the key */
    int vline, vcol; /* its value */
} rc_loc;

typedef struct {
    const char *source; /* NULL when validating a struct built in code */
    rc_loc *locs;       /* every key the tables read, by key path */
    size_t n_locs, cap_locs;
    /* pb_runconfig_parse_tree: a node's layer selects a prefix for the key paths of errors at it. */
    const rc_node *tree;
    const char *const *prefixes;
    size_t n_prefixes;
} rc_ctx;

/* The layer of the node that starts at (line, col), or 0. */
static int layer_at(const rc_node *n, int line, int col) {
    if (!n) return 0;
    if (n->line == line && n->col == col && n->layer > 0) return n->layer;
    for (size_t i = 0; i < n->n; i++) {
        int l = layer_at(n->kids[i], line, col);
        if (l) return l;
    }
    return 0;
}

/* Record "<source>:<line>:<column>: <path>: <message>"; line 0 or no context: no location. */
#if defined(__GNUC__)
__attribute__((format(printf, 6, 7)))
#endif
static int
rc_fail(const rc_ctx *c, int code, int line, int col, const char *path, const char *fmt, ...) {
    char msg[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char where[320] = "", full[RC_PATH + 128];
    if (c && c->tree && line > 0 && path) { /* a layered parse: the key path as written in its layer */
        int l = layer_at(c->tree, line, col);
        if (l > 0 && (size_t)l <= c->n_prefixes && c->prefixes[l - 1]) {
            snprintf(full, sizeof full, "%s%s", c->prefixes[l - 1], path);
            path = full;
        }
    }
    if (c && c->source && line > 0)
        snprintf(where, sizeof where, "%s:%d:%d: ", c->source, line, col);
    else if (c && c->source)
        snprintf(where, sizeof where, "%s: ", c->source);
    if (path && *path) return PB_ERR(code, "%s%s: %s", where, path, msg);
    return PB_ERR(code, "%s%s", where, msg);
}

/* Append to a NUL-terminated buffer, truncating (key paths are for messages). */
static void path_append(char *buf, size_t size, const char *s) {
    size_t used = strnlen(buf, size - 1), n = strlen(s);
    if (n > size - 1 - used) n = size - 1 - used;
    memmove(buf + used, s, n);
    buf[used + n] = '\0';
}

/* buf = parent.key (parent may be buf itself, or empty). */
static void path_join(char *buf, size_t size, const char *parent, const char *key) {
    if (parent != buf) {
        buf[0] = '\0';
        path_append(buf, size, parent ? parent : "");
    }
    if (buf[0]) path_append(buf, size, ".");
    path_append(buf, size, key);
}

/* buf = parent[i] (parent may be buf itself). */
static void path_index(char *buf, size_t size, const char *parent, size_t i) {
    char idx[32];
    snprintf(idx, sizeof idx, "[%zu]", i);
    if (parent != buf) {
        buf[0] = '\0';
        path_append(buf, size, parent ? parent : "");
    }
    path_append(buf, size, idx);
}

static int loc_add(rc_ctx *c, const char *path, const rc_node *k, const rc_node *v) {
    if (c->n_locs == c->cap_locs) {
        size_t cap = c->cap_locs ? c->cap_locs * 2 : 32;
        rc_loc *l = realloc(c->locs, cap * sizeof *l);
        if (!l) return PB_ERR(PB_ENOMEM, "run config: key locations (%zu entries)", cap);
        c->locs = l;
        c->cap_locs = cap;
    }
    rc_loc *l = &c->locs[c->n_locs++];
    snprintf(l->path, sizeof l->path, "%s", path);
    l->kline = k->line, l->kcol = k->col, l->vline = v->line, l->vcol = v->col;
    return 0;
}

static const rc_loc *loc_find(const rc_ctx *c, const char *path) {
    if (!c) return NULL;
    for (size_t i = 0; i < c->n_locs; i++)
        if (strcmp(c->locs[i].path, path) == 0) return &c->locs[i];
    return NULL;
}

/* Optimal-string-alignment edit distance (a transposition counts one). */
static size_t edit_distance(const char *a, const char *b) {
    enum { M = 64 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= M || lb >= M) return SIZE_MAX;
    unsigned char d[M][M];
    for (size_t i = 0; i <= la; i++) d[i][0] = (unsigned char)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (unsigned char)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            unsigned cost = a[i - 1] != b[j - 1];
            unsigned v = d[i - 1][j] + 1u;
            if (d[i][j - 1] + 1u < v) v = d[i][j - 1] + 1u;
            if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1u < v)
                v = d[i - 2][j - 2] + 1u;
            d[i][j] = (unsigned char)v;
        }
    return d[la][lb];
}

/* " (did you mean 'x'?)" for the nearest of names[0..n) when close enough, else "". */
static void suggest(char *buf, size_t size, const char *s, const char *const *names, size_t n) {
    buf[0] = '\0';
    size_t best = SIZE_MAX, bi = 0;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(s, names[i]);
        if (d < best) best = d, bi = i;
    }
    if (best == SIZE_MAX) return;
    size_t longer = strlen(s) > strlen(names[bi]) ? strlen(s) : strlen(names[bi]);
    size_t limit = longer / 3 > 1 ? longer / 3 : 1;
    if (best <= limit) snprintf(buf, size, " (did you mean '%s'?)", names[bi]);
}

/* "a, b, c" */
static void join_names(char *buf, size_t size, const char *const *names, size_t n) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
}

static size_t count_names(const char *const *names) {
    size_t n = 0;
    while (names[n]) n++;
    return n;
}

/* ---- tables ----------------------------------------------------------------- */

typedef enum { RC_INT, RC_U64, RC_FLOAT, RC_BOOL, RC_STRING, RC_ENUM, RC_SECTION, RC_CUSTOM } rc_type;

enum {
    RC_REQUIRED = 1u, /* missing key is an error */
    RC_NULLABLE = 2u, /* RC_SECTION: absent or null leaves it disabled (an int flag at enabled_offset) */
    RC_TASK = 4u      /* RC_STRING: a name in the task registry (tasks/registry.h) */
};

typedef struct rc_field rc_field;

/* RC_CUSTOM hooks get the section's struct. */
typedef int (*rc_parse_fn)(rc_ctx *c, const rc_node *key, const rc_node *val, void *section, const char *path);
typedef int (*rc_write_fn)(FILE *f, const void *section, int indent);
typedef int (*rc_check_fn)(const void *section, const char *path);

struct rc_field {
    const char *key;
    rc_type type;
    size_t offset; /* of the value within the section's struct */
    unsigned flags;
    double lo, hi;            /* number range ... */
    char lo_kind, hi_kind;    /* ... bounds: 0 none, '[' ']' inclusive, '(' ')' exclusive */
    const char *const *names; /* RC_ENUM: the values, NULL-terminated; index = enum value */
    const rc_field *fields;   /* RC_SECTION: its keys, ended by a row without key */
    size_t enabled_offset;    /* RC_SECTION with RC_NULLABLE: int flag within the section's struct */
    const char *what;         /* RC_STRING, RC_SECTION, RC_CUSTOM: what is expected, for messages */
    rc_parse_fn parse;        /* RC_CUSTOM */
    rc_write_fn write;        /* RC_CUSTOM */
    rc_check_fn check;        /* RC_CUSTOM, optional (pb_runconfig_validate) */
};

#define RC_GT(x) .lo = (x), .lo_kind = '('
#define RC_GE(x) .lo = (x), .lo_kind = '['
#define RC_LT(x) .hi = (x), .hi_kind = ')'
#define RC_LE(x) .hi = (x), .hi_kind = ']'

static const char *const rc_method_names[] = {"magnitude", "random", "movement", "oneshot", NULL};
static const char *const rc_scope_names[] = {"global", "layer", NULL};
static const char *const rc_mask_names[] = {"unstructured", "2:4", "block4", NULL};
static const char *const rc_schedule_names[] = {"cubic", "linear", "constant", "oneshot", NULL};
static const char *const rc_lr_names[] = {"cyclic", "linear", "constant", NULL};
static const char *const rc_recipe_names[] = {"fixed", "scaled", NULL};
static const char *const rc_init_names[] = {"random", NULL};
/* Named parameter groups in canonical order; patterns ("re:...") follow them. */
static const char *const rc_group_names[] = {"embeddings", "encoder", "head", NULL};
#define RC_GROUP_RE "re:"

static int parse_model_init(rc_ctx *c, const rc_node *k, const rc_node *v, void *section, const char *path);
static int write_model_init(FILE *f, const void *section, int indent);
static int parse_model_config(rc_ctx *c, const rc_node *k, const rc_node *v, void *section, const char *path);
static int write_model_config(FILE *f, const void *section, int indent);
static int check_model_config(const void *section, const char *path);
static int parse_groups(rc_ctx *c, const rc_node *k, const rc_node *v, void *section, const char *path);
static int write_groups(FILE *f, const void *section, int indent);
static int check_groups(const void *section, const char *path);

static const rc_field rc_model_fields[] = {
    {.key = "checkpoint",
     .type = RC_STRING,
     .offset = offsetof(pb_runconfig_model, checkpoint),
     .what = "a checkpoint path"},
    {.key = "init", .type = RC_CUSTOM, .parse = parse_model_init, .write = write_model_init, .what = "random"},
    {.key = "config",
     .type = RC_CUSTOM,
     .parse = parse_model_config,
     .write = write_model_config,
     .check = check_model_config,
     .what = "a mapping of Hugging Face config keys"},
    {0},
};

static const rc_field rc_train_fields[] = {
    {.key = "epochs", .type = RC_INT, .offset = offsetof(pb_runconfig_train, epochs), RC_GT(0)},
    {.key = "batch_size", .type = RC_INT, .offset = offsetof(pb_runconfig_train, batch_size), RC_GT(0)},
    {.key = "max_seq_length", .type = RC_INT, .offset = offsetof(pb_runconfig_train, max_seq_length), RC_GE(0)},
    {.key = "group_by_length", .type = RC_BOOL, .offset = offsetof(pb_runconfig_train, group_by_length)},
    {.key = "lr", .type = RC_FLOAT, .offset = offsetof(pb_runconfig_train, lr), RC_GT(0)},
    {.key = "lr_final", .type = RC_FLOAT, .offset = offsetof(pb_runconfig_train, lr_final), RC_GE(0)},
    {.key = "weight_decay", .type = RC_FLOAT, .offset = offsetof(pb_runconfig_train, weight_decay), RC_GE(0)},
    {.key = "warmup_fraction",
     .type = RC_FLOAT,
     .offset = offsetof(pb_runconfig_train, warmup_fraction),
     RC_GE(0),
     RC_LT(1)},
    {.key = "max_grad_norm", .type = RC_FLOAT, .offset = offsetof(pb_runconfig_train, max_grad_norm), RC_GE(0)},
    {.key = "eval_every_epochs", .type = RC_FLOAT, .offset = offsetof(pb_runconfig_train, eval_every_epochs), RC_GE(0)},
    {.key = "checkpoint_every_steps",
     .type = RC_INT,
     .offset = offsetof(pb_runconfig_train, checkpoint_every_steps),
     RC_GE(0)},
    {0},
};

static const rc_field rc_schedule_fields[] = {
    {.key = "kind", .type = RC_ENUM, .offset = offsetof(pb_runconfig_schedule, kind), .names = rc_schedule_names},
    {.key = "init_sparsity",
     .type = RC_FLOAT,
     .offset = offsetof(pb_runconfig_schedule, init_sparsity),
     RC_GE(0),
     RC_LT(1)},
    {.key = "final_sparsity",
     .type = RC_FLOAT,
     .offset = offsetof(pb_runconfig_schedule, final_sparsity),
     .flags = RC_REQUIRED,
     RC_GE(0),
     RC_LT(1)},
    {.key = "start_epoch", .type = RC_FLOAT, .offset = offsetof(pb_runconfig_schedule, start_epoch), RC_GE(0)},
    {.key = "end_epoch", .type = RC_FLOAT, .offset = offsetof(pb_runconfig_schedule, end_epoch), RC_GE(0)},
    {.key = "update_every_epochs",
     .type = RC_FLOAT,
     .offset = offsetof(pb_runconfig_schedule, update_every_epochs),
     RC_GT(0)},
    {.key = "base_sparsity", .type = RC_FLOAT, .offset = offsetof(pb_runconfig_schedule, base_sparsity), RC_GE(0), RC_LT(1)},
    {0},
};

static const rc_field rc_prune_fields[] = {
    {.key = "method", .type = RC_ENUM, .offset = offsetof(pb_runconfig_prune, method), .names = rc_method_names},
    {.key = "scope", .type = RC_ENUM, .offset = offsetof(pb_runconfig_prune, scope), .names = rc_scope_names},
    {.key = "groups",
     .type = RC_CUSTOM,
     .parse = parse_groups,
     .write = write_groups,
     .check = check_groups,
     .what = "a sequence of groups: embeddings, encoder, head or \"re:<regex>\""},
    {.key = "mask", .type = RC_ENUM, .offset = offsetof(pb_runconfig_prune, mask), .names = rc_mask_names},
    {.key = "schedule",
     .type = RC_SECTION,
     .offset = offsetof(pb_runconfig_prune, schedule),
     .fields = rc_schedule_fields,
     .flags = RC_REQUIRED,
     .what = "a mapping with at least final_sparsity"},
    {.key = "lr_schedule", .type = RC_ENUM, .offset = offsetof(pb_runconfig_prune, lr_schedule), .names = rc_lr_names},
    {.key = "recipe", .type = RC_ENUM, .offset = offsetof(pb_runconfig_prune, recipe), .names = rc_recipe_names},
    {0},
};

static const rc_field rc_kd_fields[] = {
    {.key = "teacher",
     .type = RC_STRING,
     .offset = offsetof(pb_runconfig_kd, teacher),
     .flags = RC_REQUIRED,
     .what = "the teacher's checkpoint path"},
    {.key = "hardness", .type = RC_FLOAT, .offset = offsetof(pb_runconfig_kd, hardness), RC_GE(0), RC_LE(1)},
    {.key = "temperature", .type = RC_FLOAT, .offset = offsetof(pb_runconfig_kd, temperature), RC_GT(0)},
    {0},
};

static const rc_field rc_data_fields[] = {
    {.key = "dir", .type = RC_STRING, .offset = offsetof(pb_runconfig_data, dir), .what = "the task's data folder"},
    {.key = "tokenizer",
     .type = RC_STRING,
     .offset = offsetof(pb_runconfig_data, tokenizer),
     .what = "a vocab.txt, tokenizer.json or model folder"},
    {.key = "doc_stride", .type = RC_INT, .offset = offsetof(pb_runconfig_data, doc_stride), RC_GE(0)},
    {.key = "max_query_length", .type = RC_INT, .offset = offsetof(pb_runconfig_data, max_query_length), RC_GE(0)},
    {0},
};

static const rc_field rc_top_fields[] = {
    {.key = "model",
     .type = RC_SECTION,
     .offset = offsetof(pb_runconfig, model),
     .fields = rc_model_fields,
     .flags = RC_REQUIRED,
     .what = "a mapping with checkpoint, or init: random and config"},
    {.key = "task",
     .type = RC_STRING,
     .offset = offsetof(pb_runconfig, task),
     .flags = RC_REQUIRED | RC_TASK,
     .what = "a task name"},
    {.key = "data",
     .type = RC_SECTION,
     .offset = offsetof(pb_runconfig, data),
     .fields = rc_data_fields,
     .what = "a mapping of data keys (dir, tokenizer, doc_stride, max_query_length)"},
    {.key = "seed", .type = RC_U64, .offset = offsetof(pb_runconfig, seed), RC_GE(0)},
    {.key = "threads", .type = RC_INT, .offset = offsetof(pb_runconfig, threads), RC_GE(0)},
    {.key = "train",
     .type = RC_SECTION,
     .offset = offsetof(pb_runconfig, train),
     .fields = rc_train_fields,
     .what = "a mapping of training keys"},
    {.key = "prune",
     .type = RC_SECTION,
     .offset = offsetof(pb_runconfig, prune),
     .fields = rc_prune_fields,
     .flags = RC_NULLABLE,
     .enabled_offset = offsetof(pb_runconfig_prune, enabled),
     .what = "a mapping of pruning keys, or null"},
    {.key = "kd",
     .type = RC_SECTION,
     .offset = offsetof(pb_runconfig, kd),
     .fields = rc_kd_fields,
     .flags = RC_NULLABLE,
     .enabled_offset = offsetof(pb_runconfig_kd, enabled),
     .what = "a mapping of distillation keys, or null"},
    {0},
};

/* The keys of a table as a name list (tables are small). */
static size_t field_names(const rc_field *fields, const char **names, size_t cap) {
    size_t n = 0;
    for (; fields[n].key && n < cap; n++) names[n] = fields[n].key;
    return n;
}

/* "a number in [0, 1)", "an integer > 0", ... */
static void range_text(char *buf, size_t size, const rc_field *f, int integer) {
    const char *noun = integer ? "an integer" : "a number";
    if (f->lo_kind && f->hi_kind)
        snprintf(buf, size, "%s in %c%g, %g%c", noun, f->lo_kind, f->lo, f->hi, f->hi_kind);
    else if (f->lo_kind)
        snprintf(buf, size, "%s %s %g", noun, f->lo_kind == '[' ? ">=" : ">", f->lo);
    else if (f->hi_kind)
        snprintf(buf, size, "%s %s %g", noun, f->hi_kind == ']' ? "<=" : "<", f->hi);
    else
        snprintf(buf, size, "%s", noun);
}

static int in_range(double v, const rc_field *f) {
    if (f->lo_kind == '[' && !(v >= f->lo)) return 0;
    if (f->lo_kind == '(' && !(v > f->lo)) return 0;
    if (f->hi_kind == ']' && !(v <= f->hi)) return 0;
    if (f->hi_kind == ')' && !(v < f->hi)) return 0;
    return !isnan(v);
}

/* Shortest decimal that reads back (strtod, then to float) to the same float; "1.0" not "1". */
static void format_float(char *buf, size_t size, float x) {
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, size, "%.*g", prec, (double)x);
        if ((float)strtod(buf, NULL) == x) break;
    }
    if (!strpbrk(buf, ".eEni")) {
        size_t n = strlen(buf);
        if (n + 2 < size) memcpy(buf + n, ".0", 3);
    }
}

/* The same for a double (model.config reals). */
static void format_double(char *buf, size_t size, double x) {
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) break;
    }
    if (!strpbrk(buf, ".eEni")) {
        size_t n = strlen(buf);
        if (n + 2 < size) memcpy(buf + n, ".0", 3);
    }
}

/* ---- reading values --------------------------------------------------------- */

/* "'<text>' is a string; expected ..." (scalars quote their text). */
static int type_error(const rc_ctx *c, const rc_node *v, const char *path, const char *want) {
    if (v->kind == RC_NODE_SCALAR && scalar_type(v) != RC_S_NULL)
        return rc_fail(c, PB_EFORMAT, v->line, v->col, path, "'%.60s' is %s; expected %s", v->text, node_desc(v), want);
    return rc_fail(c, PB_EFORMAT, v->line, v->col, path, "value is %s; expected %s", node_desc(v), want);
}

static int read_float(const rc_ctx *c, const rc_node *v, const char *path, const rc_field *f, float *out) {
    char want[96];
    range_text(want, sizeof want, f, 0);
    rc_stype t = v->kind == RC_NODE_SCALAR ? scalar_type(v) : RC_S_STRING;
    if (v->kind != RC_NODE_SCALAR || (t != RC_S_INT && t != RC_S_FLOAT)) return type_error(c, v, path, want);
    double d = float_value(v->text);
    if (!isfinite(d) || fabs(d) > FLT_MAX)
        return rc_fail(c, PB_ERANGE, v->line, v->col, path, "%.60s is not a finite float; expected %s", v->text, want);
    float x = (float)d;
    if (!in_range(x, f))
        return rc_fail(c, PB_ERANGE, v->line, v->col, path, "%.60s is out of range; expected %s", v->text, want);
    *out = x;
    return 0;
}

static int read_int(const rc_ctx *c, const rc_node *v, const char *path, const rc_field *f, int *out) {
    char want[96];
    range_text(want, sizeof want, f, 1);
    rc_stype t = v->kind == RC_NODE_SCALAR ? scalar_type(v) : RC_S_STRING;
    if (v->kind == RC_NODE_SCALAR && t == RC_S_FLOAT)
        return rc_fail(c, PB_EFORMAT, v->line, v->col, path, "%.60s is not an integer; expected %s", v->text, want);
    if (v->kind != RC_NODE_SCALAR || t != RC_S_INT) return type_error(c, v, path, want);
    errno = 0;
    long long x = strtoll(v->text, NULL, 10);
    if (errno == ERANGE || x < INT_MIN || x > INT_MAX || !in_range((double)x, f))
        return rc_fail(c, PB_ERANGE, v->line, v->col, path, "%.60s is out of range; expected %s%s", v->text, want,
                       (errno == ERANGE || x < INT_MIN || x > INT_MAX) ? " that fits in 32 bits" : "");
    *out = (int)x;
    return 0;
}

/* a YAML 1.1 boolean (true/false, yes/no, on/off) as 1/0 */
static int read_bool(const rc_ctx *c, const rc_node *v, const char *path, int *out) {
    if (v->kind != RC_NODE_SCALAR || scalar_type(v) != RC_S_BOOL) return type_error(c, v, path, "true or false");
    *out = in_list(v->text, rc_true_words);
    return 0;
}

static int read_u64(const rc_ctx *c, const rc_node *v, const char *path, uint64_t *out) {
    const char *want = "an integer in [0, 2^64)";
    rc_stype t = v->kind == RC_NODE_SCALAR ? scalar_type(v) : RC_S_STRING;
    if (v->kind == RC_NODE_SCALAR && t == RC_S_FLOAT)
        return rc_fail(c, PB_EFORMAT, v->line, v->col, path, "%.60s is not an integer; expected %s", v->text, want);
    if (v->kind != RC_NODE_SCALAR || t != RC_S_INT) return type_error(c, v, path, want);
    errno = 0;
    unsigned long long x = strtoull(v->text, NULL, 10);
    if (v->text[0] == '-' || errno == ERANGE || (unsigned long long)(uint64_t)x != x)
        return rc_fail(c, PB_ERANGE, v->line, v->col, path, "%.60s is out of range; expected %s", v->text, want);
    *out = (uint64_t)x;
    return 0;
}

/* A non-empty string scalar; numbers read as their text, null and booleans are errors. */
static int read_text(const rc_ctx *c, const rc_node *v, const char *path, const char *want, const char **out) {
    if (v->kind != RC_NODE_SCALAR) return type_error(c, v, path, want);
    rc_stype t = scalar_type(v);
    if (t == RC_S_NULL) return rc_fail(c, PB_EFORMAT, v->line, v->col, path, "value is null; expected %s", want);
    if (t == RC_S_BOOL)
        return rc_fail(c, PB_EFORMAT, v->line, v->col, path,
                       "'%.60s' is a boolean; expected %s (quote it to mean the text)", v->text, want);
    if (v->len == 0) return rc_fail(c, PB_EINVAL, v->line, v->col, path, "value is empty; expected %s", want);
    if (strlen(v->text) != v->len)
        return rc_fail(c, PB_EINVAL, v->line, v->col, path, "value contains a NUL character; expected %s", want);
    *out = v->text;
    return 0;
}

static int read_string(const rc_ctx *c, const rc_node *v, const char *path, const char *want, char **out) {
    const char *s;
    PB_TRY(read_text(c, v, path, want, &s));
    char *d = strdup(s);
    if (!d) return PB_ERR(PB_ENOMEM, "run config: string for %s", path);
    *out = d;
    return 0;
}

static int read_enum(const rc_ctx *c, const rc_node *v, const char *path, const char *const *names, int *out) {
    char list[256], want[300];
    size_t n = count_names(names);
    join_names(list, sizeof list, names, n);
    snprintf(want, sizeof want, "one of %s", list);
    const char *s;
    PB_TRY(read_text(c, v, path, want, &s));
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    char hint[128];
    suggest(hint, sizeof hint, s, names, n);
    return rc_fail(c, PB_EINVAL, v->line, v->col, path, "unknown value '%.60s'%s; expected %s", s, hint, want);
}

/* ---- sections --------------------------------------------------------------- */

static int parse_section(rc_ctx *c, const rc_node *map, const rc_field *fields, void *base, const char *path);

static int parse_field(rc_ctx *c, const rc_field *f, const rc_node *k, const rc_node *v, void *base, const char *path) {
    void *p = (char *)base + f->offset;
    switch (f->type) {
    case RC_INT:
        return read_int(c, v, path, f, p);
    case RC_U64:
        return read_u64(c, v, path, p);
    case RC_BOOL:
        return read_bool(c, v, path, p);
    case RC_FLOAT:
        return read_float(c, v, path, f, p);
    case RC_ENUM:
        return read_enum(c, v, path, f->names, p);
    case RC_STRING: {
        char *s = NULL;
        PB_TRY(read_string(c, v, path, f->what, &s));
        if ((f->flags & RC_TASK) && !pb_task_find(s)) {
            int n = 0;
            const pb_task_info *t = pb_task_list(&n);
            const char *names[64];
            size_t nn = 0;
            for (int i = 0; i < n && nn < 64; i++) names[nn++] = t[i].name;
            char hint[128];
            suggest(hint, sizeof hint, s, names, nn);
            int r = rc_fail(c, PB_EINVAL, v->line, v->col, path,
                            "unknown task '%.60s'%s; expected a registered task (prunebench tasks)", s, hint);
            free(s);
            return r;
        }
        free(*(char **)p);
        *(char **)p = s;
        return 0;
    }
    case RC_SECTION: {
        int *enabled = (f->flags & RC_NULLABLE) ? (int *)((char *)p + f->enabled_offset) : NULL;
        if (enabled && is_null_node(v)) {
            *enabled = 0;
            return 0;
        }
        if (v->kind != RC_NODE_MAP) return type_error(c, v, path, f->what);
        if (enabled) *enabled = 1;
        return parse_section(c, v, f->fields, p, path);
    }
    case RC_CUSTOM:
        return f->parse(c, k, v, base, path);
    }
    return PB_ERR(PB_EINVAL, "run config: key %s has no type", path);
}

static int parse_section(rc_ctx *c, const rc_node *map, const rc_field *fields, void *base, const char *path) {
    const char *names[64];
    const size_t n_names = field_names(fields, names, 64);
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const rc_node *k = map->kids[i], *v = map->kids[i + 1];
        char kpath[RC_PATH];
        path_join(kpath, sizeof kpath, path, k->text);
        const rc_field *f = fields;
        while (f->key && strcmp(f->key, k->text) != 0) f++;
        if (!f->key) {
            char hint[128], list[512];
            suggest(hint, sizeof hint, k->text, names, n_names);
            join_names(list, sizeof list, names, n_names);
            return rc_fail(c, PB_EINVAL, k->line, k->col, kpath, "unknown key '%.60s'%s; expected one of %s", k->text,
                           hint, list);
        }
        PB_TRY(loc_add(c, kpath, k, v));
        PB_TRY(parse_field(c, f, k, v, base, kpath));
    }
    for (const rc_field *f = fields; f->key; f++) {
        if (!(f->flags & RC_REQUIRED)) continue;
        char kpath[RC_PATH];
        path_join(kpath, sizeof kpath, path, f->key);
        if (!loc_find(c, kpath)) {
            char want[128];
            if (f->type == RC_FLOAT || f->type == RC_INT)
                range_text(want, sizeof want, f, f->type == RC_INT);
            else
                snprintf(want, sizeof want, "%s", f->what ? f->what : "a value");
            return rc_fail(c, PB_ENOTFOUND, map->line, map->col, kpath, "missing required key '%s'; expected %s",
                           f->key, want);
        }
    }
    return 0;
}

/* ---- model ------------------------------------------------------------------ */

static int parse_model_init(rc_ctx *c, const rc_node *k, const rc_node *v, void *section, const char *path) {
    (void)k;
    int which;
    PB_TRY(read_enum(c, v, path, rc_init_names, &which));
    ((pb_runconfig_model *)section)->init_random = 1;
    return 0;
}

static int write_model_init(FILE *f, const void *section, int indent) {
    if (((const pb_runconfig_model *)section)->init_random) fprintf(f, "%*sinit: random\n", indent, "");
    return 0;
}

/* A YAML node as JSON: plain scalars resolve (null, booleans, integers, reals), others are strings. */
static int node_to_json(const rc_ctx *c, const rc_node *n, const char *path, json_t **out) {
    *out = NULL;
    if (n->kind == RC_NODE_MAP) {
        json_t *o = json_object();
        if (!o) return PB_ERR(PB_ENOMEM, "run config: JSON for %s", path);
        for (size_t i = 0; i + 1 < n->n; i += 2) {
            const rc_node *k = n->kids[i];
            char kpath[RC_PATH];
            path_join(kpath, sizeof kpath, path, k->text);
            json_t *v;
            int rc = node_to_json(c, n->kids[i + 1], kpath, &v);
            if (rc < 0) {
                json_decref(o);
                return rc;
            }
            if (json_object_setn_new(o, k->text, k->len, v) != 0) {
                json_decref(o);
                return rc_fail(c, PB_EFORMAT, k->line, k->col, kpath, "key is not valid UTF-8; expected a text key");
            }
        }
        *out = o;
        return 0;
    }
    if (n->kind == RC_NODE_SEQ) {
        json_t *a = json_array();
        if (!a) return PB_ERR(PB_ENOMEM, "run config: JSON for %s", path);
        for (size_t i = 0; i < n->n; i++) {
            char ipath[RC_PATH];
            path_index(ipath, sizeof ipath, path, i);
            json_t *v;
            int rc = node_to_json(c, n->kids[i], ipath, &v);
            if (rc < 0 || json_array_append_new(a, v) != 0) {
                json_decref(a);
                return rc < 0 ? rc : PB_ERR(PB_ENOMEM, "run config: JSON for %s", ipath);
            }
        }
        *out = a;
        return 0;
    }
    json_t *v = NULL;
    switch (scalar_type(n)) {
    case RC_S_NULL:
        v = json_null();
        break;
    case RC_S_BOOL:
        v = json_boolean(in_list(n->text, rc_true_words));
        break;
    case RC_S_INT: {
        errno = 0;
        long long x = strtoll(n->text, NULL, 10);
        if (errno == ERANGE)
            return rc_fail(c, PB_ERANGE, n->line, n->col, path, "%.60s is out of range; expected a 64-bit integer",
                           n->text);
        v = json_integer((json_int_t)x);
        break;
    }
    case RC_S_FLOAT: {
        double x = float_value(n->text);
        if (!isfinite(x))
            return rc_fail(c, PB_ERANGE, n->line, n->col, path, "%.60s is not finite; expected a finite number",
                           n->text);
        v = json_real(x);
        break;
    }
    case RC_S_STRING:
        v = json_stringn(n->text, n->len);
        if (!v) return rc_fail(c, PB_EFORMAT, n->line, n->col, path, "value is not valid UTF-8; expected text");
        break;
    }
    if (!v) return PB_ERR(PB_ENOMEM, "run config: JSON for %s", path);
    *out = v;
    return 0;
}

static int parse_model_config(rc_ctx *c, const rc_node *k, const rc_node *v, void *section, const char *path) {
    pb_runconfig_model *m = section;
    if (v->kind != RC_NODE_MAP) return type_error(c, v, path, "a mapping of Hugging Face config keys");
    json_t *root;
    PB_TRY(node_to_json(c, v, path, &root));
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!text) return PB_ERR(PB_ENOMEM, "run config: JSON text of %s", path);
    /* pb_config's messages start with their source: make it this key's location and path. */
    char src[RC_PATH + 320];
    snprintf(src, sizeof src, "%s:%d:%d: %s", c->source, k->line, k->col, path);
    pb_config cfg;
    int rc = pb_config_parse_json(&cfg, text, src);
    if (rc < 0) {
        free(text);
        return rc;
    }
    free(m->config_json);
    m->config_json = text;
    m->config = cfg;
    return 0;
}

/* A JSON value in YAML flow style. */
static void write_json_flow(FILE *f, const json_t *v);

static void write_quoted(FILE *f, const char *s, size_t n) {
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned long cp;
        size_t k = utf8_next((const unsigned char *)s + i, n - i, &cp);
        if (!k) { /* not UTF-8 (validate rejects it): keep the byte visible */
            fprintf(f, "\\x%02X", (unsigned)(unsigned char)s[i]);
            i++;
            continue;
        }
        if (cp == '"' || cp == '\\')
            fprintf(f, "\\%c", (int)cp);
        else if (cp == '\n')
            fputs("\\n", f);
        else if (cp == '\t')
            fputs("\\t", f);
        else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            fprintf(f, "\\x%02lX", cp);
        else if (cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF)
            fprintf(f, "\\u%04lX", cp); /* line breaks, BOM and non-characters YAML would not keep */
        else
            fwrite(s + i, 1, k, f);
        i += k;
    }
    fputc('"', f);
}

/* Keys in [A-Za-z_][A-Za-z0-9_]* go plain, others quoted. */
static void write_key(FILE *f, const char *key) {
    int plain = (*key >= 'A' && *key <= 'Z') || (*key >= 'a' && *key <= 'z') || *key == '_';
    for (const char *p = key; *p && plain; p++)
        plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
    if (plain && !in_list(key, rc_null_words) && !in_list(key, rc_true_words) && !in_list(key, rc_false_words))
        fputs(key, f);
    else
        write_quoted(f, key, strlen(key));
}

static void write_json_flow(FILE *f, const json_t *v) {
    char num[64];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *x;
        int first = 1;
        fputc('{', f);
        json_object_foreach((json_t *)v, key, x) {
            fputs(first ? "" : ", ", f);
            write_key(f, key);
            fputs(": ", f);
            write_json_flow(f, x);
            first = 0;
        }
        fputc('}', f);
        break;
    }
    case JSON_ARRAY:
        fputc('[', f);
        for (size_t i = 0; i < json_array_size(v); i++) {
            fputs(i ? ", " : "", f);
            write_json_flow(f, json_array_get(v, i));
        }
        fputc(']', f);
        break;
    case JSON_STRING:
        write_quoted(f, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        format_double(num, sizeof num, json_real_value(v));
        fputs(num, f);
        break;
    case JSON_TRUE:
        fputs("true", f);
        break;
    case JSON_FALSE:
        fputs("false", f);
        break;
    case JSON_NULL:
        fputs("null", f);
        break;
    }
}

/* The resolved config (pb_config_to_json's keys and order), one key a line. */
static int write_model_config(FILE *f, const void *section, int indent) {
    const pb_runconfig_model *m = section;
    if (!m->init_random) return 0;
    char *text;
    PB_TRY(pb_config_to_json(&m->config, &text));
    json_error_t err;
    json_t *root = json_loads(text, 0, &err);
    free(text);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return PB_ERR(PB_EFORMAT, "run config: model.config: pb_config_to_json output does not read back: %s",
                      err.text);
    }
    fprintf(f, "%*sconfig:\n", indent, "");
    const char *key;
    json_t *x;
    json_object_foreach(root, key, x) {
        fprintf(f, "%*s", indent + 2, "");
        write_key(f, key);
        fputs(": ", f);
        write_json_flow(f, x);
        fputc('\n', f);
    }
    json_decref(root);
    return 0;
}

static int check_model_config(const void *section, const char *path) {
    (void)path;
    const pb_runconfig_model *m = section;
    return m->init_random ? pb_config_validate(&m->config) : 0;
}

/* ---- groups ----------------------------------------------------------------- */

/* Canonical rank: the named groups' index, then patterns. */
static size_t group_rank(const char *g) {
    for (size_t i = 0; rc_group_names[i]; i++)
        if (strcmp(g, rc_group_names[i]) == 0) return i;
    return count_names(rc_group_names);
}

/* A group's spelling: named, or "re:" and a POSIX extended regex that compiles.
 * 0, or an error through rc_fail at (line, col). */
static int check_group(const rc_ctx *c, const char *g, int line, int col, const char *path) {
    const size_t n_named = count_names(rc_group_names);
    if (strncmp(g, RC_GROUP_RE, strlen(RC_GROUP_RE)) == 0) {
        const char *re = g + strlen(RC_GROUP_RE);
        if (!*re)
            return rc_fail(c, PB_EINVAL, line, col, path,
                           "'%.60s' has an empty pattern; expected \"re:<POSIX extended regex>\"", g);
        regex_t rx;
        int e = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
        if (e != 0) {
            char why[128];
            regerror(e, &rx, why, sizeof why);
            return rc_fail(c, PB_EINVAL, line, col, path,
                           "'%.60s' is not a valid regular expression (%s); expected \"re:<POSIX extended regex>\"", g,
                           why);
        }
        regfree(&rx);
        return 0;
    }
    if (group_rank(g) < n_named) return 0;
    char hint[128], list[128];
    suggest(hint, sizeof hint, g, rc_group_names, n_named);
    join_names(list, sizeof list, rc_group_names, n_named);
    return rc_fail(c, PB_EINVAL, line, col, path, "unknown group '%.60s'%s; expected one of %s, or \"re:<regex>\"", g,
                   hint, list);
}

static void free_groups(char **g, size_t n) {
    for (size_t i = 0; i < n; i++) free(g[i]);
    free(g);
}

static int parse_groups(rc_ctx *c, const rc_node *k, const rc_node *v, void *section, const char *path) {
    (void)k;
    pb_runconfig_prune *p = section;
    const char *want = "a sequence of groups: embeddings, encoder, head or \"re:<regex>\"";
    if (v->kind != RC_NODE_SEQ) return type_error(c, v, path, want);
    if (v->n == 0) return rc_fail(c, PB_EINVAL, v->line, v->col, path, "the sequence is empty; expected %s", want);
    char **g = calloc(v->n, sizeof *g);
    if (!g) return PB_ERR(PB_ENOMEM, "run config: %zu groups", v->n);
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < v->n && rc == 0; i++) {
        const rc_node *item = v->kids[i];
        char ipath[RC_PATH];
        path_index(ipath, sizeof ipath, path, i);
        rc = read_string(c, item, ipath, "a group: embeddings, encoder, head or \"re:<regex>\"", &g[n]);
        if (rc < 0) break;
        n++;
        rc = check_group(c, g[n - 1], item->line, item->col, ipath);
        for (size_t j = 0; j + 1 < n && rc == 0; j++)
            if (strcmp(g[j], g[n - 1]) == 0)
                rc = rc_fail(c, PB_EINVAL, item->line, item->col, ipath,
                             "duplicate group '%.60s' (also item %zu); expected each group once", g[n - 1], j);
    }
    if (rc < 0) {
        free_groups(g, n);
        return rc;
    }
    /* Canonical order: stable insertion sort by rank. */
    for (size_t i = 1; i < n; i++) {
        char *x = g[i];
        size_t j = i;
        while (j > 0 && group_rank(g[j - 1]) > group_rank(x)) {
            g[j] = g[j - 1];
            j--;
        }
        g[j] = x;
    }
    free_groups(p->groups, p->n_groups);
    p->groups = g;
    p->n_groups = n;
    return 0;
}

static int write_groups(FILE *f, const void *section, int indent) {
    const pb_runconfig_prune *p = section;
    const size_t n_named = count_names(rc_group_names);
    int first = 1;
    fprintf(f, "%*sgroups: [", indent, "");
    for (size_t r = 0; r <= n_named; r++) /* canonical order, whatever the struct's */
        for (size_t i = 0; i < p->n_groups; i++)
            if (group_rank(p->groups[i]) == r) {
                fputs(first ? "" : ", ", f);
                write_quoted(f, p->groups[i], strlen(p->groups[i]));
                first = 0;
            }
    fputs("]\n", f);
    return 0;
}

static int check_groups(const void *section, const char *path) {
    const pb_runconfig_prune *p = section;
    if (p->n_groups == 0 || !p->groups) return rc_fail(NULL, PB_EINVAL, 0, 0, path, "no groups; expected at least one");
    for (size_t i = 0; i < p->n_groups; i++) {
        char ipath[RC_PATH];
        path_index(ipath, sizeof ipath, path, i);
        if (!p->groups[i] || !*p->groups[i])
            return rc_fail(NULL, PB_EINVAL, 0, 0, ipath, "group is empty; expected a group name");
        PB_TRY(check_group(NULL, p->groups[i], 0, 0, ipath));
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->groups[j], p->groups[i]) == 0)
                return rc_fail(NULL, PB_EINVAL, 0, 0, ipath, "duplicate group '%.60s'; expected each group once",
                               p->groups[i]);
    }
    return 0;
}

/* ---- validation ------------------------------------------------------------- */

static int validate_section(const rc_field *fields, const void *base, const char *path) {
    for (const rc_field *f = fields; f->key; f++) {
        const void *p = (const char *)base + f->offset;
        char kpath[RC_PATH], want[300], num[40];
        path_join(kpath, sizeof kpath, path, f->key);
        switch (f->type) {
        case RC_INT:
            if (!in_range(*(const int *)p, f)) {
                range_text(want, sizeof want, f, 1);
                return rc_fail(NULL, PB_ERANGE, 0, 0, kpath, "%d is out of range; expected %s", *(const int *)p, want);
            }
            break;
        case RC_U64:
        case RC_BOOL:
            break;
        case RC_FLOAT: {
            float x = *(const float *)p;
            if (!isfinite(x) || !in_range(x, f)) {
                range_text(want, sizeof want, f, 0);
                format_float(num, sizeof num, x);
                return rc_fail(NULL, PB_ERANGE, 0, 0, kpath, "%s is out of range; expected %s", num, want);
            }
            break;
        }
        case RC_STRING: {
            const char *s = *(char *const *)p;
            if (!s && (f->flags & RC_REQUIRED))
                return rc_fail(NULL, PB_ENOTFOUND, 0, 0, kpath, "missing required key '%s'; expected %s", f->key,
                               f->what);
            if (s && !*s) return rc_fail(NULL, PB_EINVAL, 0, 0, kpath, "value is empty; expected %s", f->what);
            if (s && !utf8_valid(s))
                return rc_fail(NULL, PB_EINVAL, 0, 0, kpath, "value is not valid UTF-8; expected %s", f->what);
            break;
        }
        case RC_ENUM: {
            int v = *(const int *)p;
            if (v < 0 || (size_t)v >= count_names(f->names)) {
                join_names(want, sizeof want, f->names, count_names(f->names));
                return rc_fail(NULL, PB_EINVAL, 0, 0, kpath, "enum value %d is out of range; expected one of %s", v,
                               want);
            }
            break;
        }
        case RC_SECTION:
            if ((f->flags & RC_NULLABLE) && !*(const int *)((const char *)p + f->enabled_offset)) break;
            PB_TRY(validate_section(f->fields, p, kpath));
            break;
        case RC_CUSTOM:
            if (f->check) PB_TRY(f->check(base, kpath));
            break;
        }
    }
    return 0;
}

/* Location of a key (or its value) from the parse, or none. */
static void loc_of(const rc_ctx *c, const char *path, int value, int *line, int *col) {
    const rc_loc *l = loc_find(c, path);
    *line = l ? (value ? l->vline : l->kline) : 0;
    *col = l ? (value ? l->vcol : l->kcol) : 0;
}

/* Rules across keys; c (may be NULL) gives locations. */
static int check_cross(const pb_runconfig *rc, const rc_ctx *c) {
    int line, col;
    const pb_runconfig_model *m = &rc->model;
    if (m->checkpoint && m->init_random) {
        loc_of(c, "model.init", 0, &line, &col);
        return rc_fail(c, PB_EINVAL, line, col, "model",
                       "both 'checkpoint' and 'init' are given; expected exactly one of them");
    }
    if (!m->checkpoint && !m->init_random) {
        loc_of(c, "model", 1, &line, &col);
        return rc_fail(c, PB_ENOTFOUND, line, col, "model",
                       "neither 'checkpoint' nor 'init' is given; expected exactly one of them");
    }
    if (m->init_random && !m->config_json) {
        loc_of(c, "model.init", 0, &line, &col);
        return rc_fail(c, PB_ENOTFOUND, line, col, "model.config",
                       "missing; 'init: random' expected the model's Hugging Face config (a mapping)");
    }
    if (!m->init_random && m->config_json) {
        loc_of(c, "model.config", 0, &line, &col);
        return rc_fail(c, PB_EINVAL, line, col, "model.config",
                       "given with 'checkpoint', which carries its own config; expected it only with 'init: random'");
    }
    if (rc->prune.enabled) {
        const pb_runconfig_schedule *s = &rc->prune.schedule;
        char a[40], b[40];
        const int end_given = !c || loc_find(c, "prune.schedule.end_epoch");
        if (s->end_epoch < s->start_epoch) {
            format_float(a, sizeof a, s->end_epoch);
            format_float(b, sizeof b, s->start_epoch);
            if (end_given) {
                loc_of(c, "prune.schedule.end_epoch", 1, &line, &col);
                return rc_fail(c, PB_EINVAL, line, col, "prune.schedule.end_epoch",
                               "%s is before start_epoch = %s; expected end_epoch >= start_epoch", a, b);
            }
            loc_of(c, "prune.schedule.start_epoch", 1, &line, &col);
            return rc_fail(c, PB_EINVAL, line, col, "prune.schedule.start_epoch",
                           "%s is after end_epoch = %s (its default, train.epochs); expected start_epoch <= end_epoch",
                           b, a);
        }
        if (rc->prune.recipe == PB_RUNCONFIG_RECIPE_FIXED && s->end_epoch > (float)rc->train.epochs) {
            format_float(a, sizeof a, s->end_epoch);
            loc_of(c, "prune.schedule.end_epoch", 1, &line, &col);
            return rc_fail(c, PB_EINVAL, line, col, "prune.schedule.end_epoch",
                           "%s is after the end of training; expected at most train.epochs = %d", a, rc->train.epochs);
        }
        if ((s->kind == PB_RUNCONFIG_SCHEDULE_CUBIC || s->kind == PB_RUNCONFIG_SCHEDULE_LINEAR) &&
            s->init_sparsity > s->final_sparsity) {
            format_float(a, sizeof a, s->init_sparsity);
            format_float(b, sizeof b, s->final_sparsity);
            loc_of(c, "prune.schedule.init_sparsity", 1, &line, &col);
            return rc_fail(c, PB_EINVAL, line, col, "prune.schedule.init_sparsity",
                           "%s exceeds final_sparsity = %s; expected init_sparsity <= final_sparsity for a %s schedule",
                           a, b, rc_schedule_names[s->kind]);
        }
    }
    return 0;
}

int pb_runconfig_validate(const pb_runconfig *rc) {
    if (!rc) return PB_ERR(PB_EINVAL, "pb_runconfig_validate: NULL config");
    PB_TRY(validate_section(rc_top_fields, rc, ""));
    return check_cross(rc, NULL);
}

/* ---- YAML events to the tree -------------------------------------------------- */

/* The key path where the next node goes, given the open containers. When the
 * next node is a key, `key` (may be NULL) is appended. */
static void stack_path(char *buf, size_t size, rc_node *const *stack, size_t depth, const char *key) {
    buf[0] = '\0';
    for (size_t i = 0; i < depth; i++) {
        const rc_node *s = stack[i];
        const int top = i + 1 == depth;
        if (s->kind == RC_NODE_MAP) {
            const rc_node *k = NULL;
            if (!top)
                k = s->kids[s->n - 2];
            else if (s->n % 2 == 1)
                k = s->kids[s->n - 1];
            if (k)
                path_join(buf, size, buf, k->text);
            else if (key)
                path_join(buf, size, buf, key);
        } else {
            path_index(buf, size, buf, top ? s->n : s->n - 1);
        }
    }
}

/* Attach n at the current position (root, mapping key or value, or sequence item). */
static int tree_attach(const rc_ctx *c, rc_node **root, rc_node **stack, size_t depth, rc_node *n) {
    if (depth == 0) {
        *root = n;
        return 0;
    }
    rc_node *top = stack[depth - 1];
    if (top->kind == RC_NODE_MAP && top->n % 2 == 0) { /* n is a key */
        char path[RC_PATH];
        stack_path(path, sizeof path, stack, depth, n->kind == RC_NODE_SCALAR ? n->text : NULL);
        if (n->kind != RC_NODE_SCALAR)
            return rc_fail(c, PB_EFORMAT, n->line, n->col, path, "a key is %s; expected a plain scalar key",
                           node_desc(n));
        for (size_t i = 0; i < top->n; i += 2) {
            const rc_node *k = top->kids[i];
            if (k->len == n->len && memcmp(k->text, n->text, n->len) == 0)
                return rc_fail(c, PB_EFORMAT, n->line, n->col, path,
                               "duplicate key '%.60s' (first at line %d, column %d); expected each key once", n->text,
                               k->line, k->col);
        }
    }
    return node_append(top, n);
}

/* Reject anchors and tags other than the standard ones for the node's kind. */
static int check_event_node(const rc_ctx *c, const yaml_event_t *ev, rc_node *const *stack, size_t depth,
                            const yaml_char_t *anchor, const yaml_char_t *tag, const char *ok_tag) {
    const int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    const int bad_tag = tag && strcmp((const char *)tag, ok_tag) != 0 && strcmp((const char *)tag, "!") != 0;
    if (!anchor && !bad_tag) return 0;
    char path[RC_PATH];
    stack_path(path, sizeof path, stack, depth, NULL);
    if (anchor)
        return rc_fail(c, PB_EFORMAT, line, col, path,
                       "anchor '&%.60s': anchors and aliases are not supported; expected each value written out",
                       (const char *)anchor);
    return rc_fail(c, PB_EFORMAT, line, col, path, "tag '%.60s' is not supported; expected an untagged value",
                   (const char *)tag);
}

static int syntax_error(const rc_ctx *c, const yaml_parser_t *p, const char *text) {
    if (p->error == YAML_MEMORY_ERROR) return PB_ERR(PB_ENOMEM, "%s: YAML parser out of memory", c->source);
    int line, col;
    if (p->error == YAML_READER_ERROR) { /* only a byte offset: count lines and characters up to it */
        line = 1, col = 1;
        for (size_t i = 0; i < p->problem_offset && text[i]; i++) {
            if (text[i] == '\n')
                line++, col = 1;
            else if (((unsigned char)text[i] & 0xC0) != 0x80)
                col++;
        }
    } else {
        line = (int)p->problem_mark.line + 1;
        col = (int)p->problem_mark.column + 1;
    }
    const char *problem = p->problem ? p->problem : "unknown problem";
    if (p->context)
        return rc_fail(c, PB_EFORMAT, line, col, NULL, "YAML syntax error: %s (%s at line %d, column %d)", problem,
                       p->context, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    return rc_fail(c, PB_EFORMAT, line, col, NULL, "YAML syntax error: %s", problem);
}

static int build_tree(const rc_ctx *c, const char *text, rc_node **out) {
    *out = NULL;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return PB_ERR(PB_ENOMEM, "%s: YAML parser", c->source);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    rc_node *stack[RC_MAX_DEPTH], *root = NULL;
    size_t depth = 0;
    int docs = 0, done = 0, rc = 0;
    while (!done && rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            rc = syntax_error(c, &p, text);
            break;
        }
        const int line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;
        rc_node *n = NULL;
        switch (ev.type) {
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1)
                rc = rc_fail(c, PB_EFORMAT, line, col, NULL, "a second YAML document; expected exactly one document");
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_ALIAS_EVENT: {
            char path[RC_PATH];
            stack_path(path, sizeof path, stack, depth, NULL);
            rc = rc_fail(c, PB_EFORMAT, line, col, path,
                         "alias '*%.60s': anchors and aliases are not supported; expected each value written out",
                         (const char *)ev.data.alias.anchor);
            break;
        }
        case YAML_SCALAR_EVENT:
            rc = check_event_node(c, &ev, stack, depth, ev.data.scalar.anchor, ev.data.scalar.tag, YAML_STR_TAG);
            if (rc < 0) break;
            n = node_new(RC_NODE_SCALAR, &ev.start_mark);
            if (n) n->text = malloc(ev.data.scalar.length + 1);
            if (!n || !n->text) {
                node_free(n);
                rc = PB_ERR(PB_ENOMEM, "%s: YAML scalar", c->source);
                break;
            }
            memcpy(n->text, ev.data.scalar.value, ev.data.scalar.length);
            n->text[ev.data.scalar.length] = '\0';
            n->len = ev.data.scalar.length;
            n->quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE || ev.data.scalar.tag != NULL;
            rc = tree_attach(c, &root, stack, depth, n);
            if (rc < 0) node_free(n);
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            const int map = ev.type == YAML_MAPPING_START_EVENT;
            rc = map ? check_event_node(c, &ev, stack, depth, ev.data.mapping_start.anchor, ev.data.mapping_start.tag,
                                        YAML_MAP_TAG)
                     : check_event_node(c, &ev, stack, depth, ev.data.sequence_start.anchor, ev.data.sequence_start.tag,
                                        YAML_SEQ_TAG);
            if (rc < 0) break;
            if (depth == RC_MAX_DEPTH) {
                char path[RC_PATH];
                stack_path(path, sizeof path, stack, depth, NULL);
                rc = rc_fail(c, PB_EFORMAT, line, col, path, "nesting is deeper than %d levels; expected a run config",
                             RC_MAX_DEPTH);
                break;
            }
            n = node_new(map ? RC_NODE_MAP : RC_NODE_SEQ, &ev.start_mark);
            if (!n) {
                rc = PB_ERR(PB_ENOMEM, "%s: YAML node", c->source);
                break;
            }
            rc = tree_attach(c, &root, stack, depth, n);
            if (rc < 0)
                node_free(n);
            else
                stack[depth++] = n;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0) depth--;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    if (rc < 0) {
        node_free(root);
        return rc;
    }
    *out = root;
    return 0;
}

/* ---- public ----------------------------------------------------------------- */

void pb_runconfig_init(pb_runconfig *rc) {
    memset(rc, 0, sizeof *rc);
    rc->seed = 42;
    rc->threads = 0;
    rc->train = (pb_runconfig_train){
        .epochs = 3,
        .batch_size = 32,
        .max_seq_length = 0,
        .lr = 5e-5f,
        .lr_final = 0.0f,
        .weight_decay = 0.0f,
        .warmup_fraction = 0.0f,
        .max_grad_norm = 1.0f,
        .eval_every_epochs = 0.0f,
        .checkpoint_every_steps = 0,
    };
    rc->prune.enabled = 0;
    rc->prune.method = PB_RUNCONFIG_METHOD_MAGNITUDE;
    rc->prune.scope = PB_RUNCONFIG_SCOPE_GLOBAL;
    rc->prune.mask = PB_RUNCONFIG_MASK_UNSTRUCTURED;
    rc->prune.schedule = (pb_runconfig_schedule){
        .kind = PB_RUNCONFIG_SCHEDULE_CUBIC,
        .init_sparsity = 0.0f,
        .final_sparsity = 0.0f,
        .start_epoch = 0.0f,
        .end_epoch = 3.0f, /* train.epochs' default; parsing sets it to train.epochs when absent */
        .update_every_epochs = 1.0f,
    };
    rc->prune.lr_schedule = PB_RUNCONFIG_LR_LINEAR;
    rc->prune.recipe = PB_RUNCONFIG_RECIPE_FIXED;
    rc->kd.enabled = 0;
    rc->kd.hardness = 1.0f;
    rc->kd.temperature = 2.0f;
}

void pb_runconfig_free(pb_runconfig *rc) {
    if (!rc) return;
    free(rc->model.checkpoint);
    free(rc->model.config_json);
    free(rc->task);
    free(rc->data.dir);
    free(rc->data.tokenizer);
    free_groups(rc->prune.groups, rc->prune.n_groups);
    free(rc->kd.teacher);
    pb_runconfig_init(rc);
}

/* Defaults that depend on other keys. */
static int resolve(const rc_ctx *c, pb_runconfig *rc) {
    if (!rc->prune.enabled) return 0;
    if (!loc_find(c, "prune.schedule.end_epoch")) rc->prune.schedule.end_epoch = (float)rc->train.epochs;
    if (!loc_find(c, "prune.schedule.base_sparsity"))
        rc->prune.schedule.base_sparsity = rc->prune.schedule.final_sparsity;
    if (rc->prune.n_groups == 0) {
        rc->prune.groups = calloc(1, sizeof *rc->prune.groups);
        if (rc->prune.groups) rc->prune.groups[0] = strdup("encoder");
        if (!rc->prune.groups || !rc->prune.groups[0]) {
            free(rc->prune.groups);
            rc->prune.groups = NULL;
            return PB_ERR(PB_ENOMEM, "run config: default groups");
        }
        rc->prune.n_groups = 1;
    }
    return 0;
}

static int parse_root(rc_ctx *c, const rc_node *root, pb_runconfig *t);

int pb_runconfig_parse(pb_runconfig *rc, const char *yaml_text, const char *source) {
    if (!source) source = "<yaml>";
    if (!rc || !yaml_text) return PB_ERR(PB_EINVAL, "%s: pb_runconfig_parse: NULL config or text", source);
    pb_runconfig_init(rc);
    rc_ctx c = {.source = source};
    pb_runconfig t;
    pb_runconfig_init(&t);
    rc_node *root = NULL;
    int r = build_tree(&c, yaml_text, &root);
    if (r == 0) r = parse_root(&c, root, &t);
    node_free(root);
    free(c.locs);
    if (r < 0) {
        pb_runconfig_free(&t);
        return r;
    }
    *rc = t;
    return 0;
}

static int parse_root(rc_ctx *c, const rc_node *root, pb_runconfig *t) {
    int r = 0;
    if (!root || is_null_node(root)) {
        char list[256];
        const char *names[64];
        join_names(list, sizeof list, names, field_names(rc_top_fields, names, 64));
        r = rc_fail(c, PB_EFORMAT, root ? root->line : 1, root ? root->col : 1, NULL,
                    "empty document; expected a mapping with the keys %s", list);
    }
    if (r == 0 && root->kind != RC_NODE_MAP)
        r = rc_fail(c, PB_EFORMAT, root->line, root->col, NULL,
                    "the top level is %s; expected a mapping of run config keys", node_desc(root));
    if (r == 0) r = parse_section(c, root, rc_top_fields, t, "");
    if (r == 0) r = resolve(c, t);
    if (r == 0) r = check_cross(t, c);
    return r;
}

int pb_runconfig_read_text(const char *path, const char *what, char **out) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return PB_ERR(PB_EIO, "cannot open %s '%s': %s", what, path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int r = buf ? 0 : PB_ERR(PB_ENOMEM, "reading %s '%s'", what, path);
    while (r == 0) {
        if (len + 1 >= cap) {
            if (cap >= RC_MAX_BYTES) {
                r = PB_ERR(PB_EFORMAT, "%s '%s' is larger than %u bytes; expected a %s YAML file", what, path,
                           RC_MAX_BYTES, what);
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                r = PB_ERR(PB_ENOMEM, "reading %s '%s'", what, path);
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - 1 - len, f);
        len += got;
        if (got == 0) break;
    }
    if (r == 0 && ferror(f)) r = PB_ERR(PB_EIO, "cannot read %s '%s'", what, path);
    fclose(f);
    if (r == 0) {
        buf[len] = '\0';
        if (memchr(buf, '\0', len)) r = PB_ERR(PB_EFORMAT, "%s '%s' contains NUL bytes; expected YAML text", what, path);
    }
    if (r < 0) {
        free(buf);
        return r;
    }
    *out = buf;
    return 0;
}

int pb_runconfig_load(pb_runconfig *rc, const char *path) {
    if (!rc || !path) return PB_ERR(PB_EINVAL, "pb_runconfig_load: NULL argument");
    pb_runconfig_init(rc);
    char *buf = NULL;
    PB_TRY(pb_runconfig_read_text(path, "run config", &buf));
    int r = pb_runconfig_parse(rc, buf, path);
    free(buf);
    return r;
}

static int write_section(FILE *f, const rc_field *fields, const void *base, int indent) {
    for (const rc_field *x = fields; x->key; x++) {
        const void *p = (const char *)base + x->offset;
        char num[40];
        switch (x->type) {
        case RC_INT:
            fprintf(f, "%*s%s: %d\n", indent, "", x->key, *(const int *)p);
            break;
        case RC_U64:
            fprintf(f, "%*s%s: %" PRIu64 "\n", indent, "", x->key, *(const uint64_t *)p);
            break;
        case RC_BOOL:
            fprintf(f, "%*s%s: %s\n", indent, "", x->key, *(const int *)p ? "true" : "false");
            break;
        case RC_FLOAT:
            format_float(num, sizeof num, *(const float *)p);
            fprintf(f, "%*s%s: %s\n", indent, "", x->key, num);
            break;
        case RC_STRING: {
            const char *s = *(char *const *)p;
            if (!s) break;
            fprintf(f, "%*s%s: ", indent, "", x->key);
            write_quoted(f, s, strlen(s));
            fputc('\n', f);
            break;
        }
        case RC_ENUM:
            fprintf(f, "%*s%s: %s\n", indent, "", x->key, x->names[*(const int *)p]);
            break;
        case RC_SECTION:
            if ((x->flags & RC_NULLABLE) && !*(const int *)((const char *)p + x->enabled_offset)) break;
            fprintf(f, "%*s%s:\n", indent, "", x->key);
            PB_TRY(write_section(f, x->fields, p, indent + 2));
            break;
        case RC_CUSTOM:
            PB_TRY(x->write(f, base, indent));
            break;
        }
    }
    return 0;
}

int pb_runconfig_to_yaml(const pb_runconfig *rc, char **out) {
    if (!out) return PB_ERR(PB_EINVAL, "pb_runconfig_to_yaml: NULL output");
    *out = NULL;
    PB_TRY(pb_runconfig_validate(rc));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return PB_ERR(PB_ENOMEM, "pb_runconfig_to_yaml: memory stream: %s", strerror(errno));
    int r = write_section(f, rc_top_fields, rc, 0);
    if (fclose(f) != 0 && r == 0) r = PB_ERR(PB_ENOMEM, "pb_runconfig_to_yaml: writing the text");
    if (r < 0) {
        free(buf);
        return r;
    }
    *out = buf;
    return 0;
}

const char *pb_runconfig_enum_name(pb_runconfig_enum which, int value) {
    const char *const *names = NULL;
    switch (which) {
    case PB_RUNCONFIG_ENUM_METHOD:
        names = rc_method_names;
        break;
    case PB_RUNCONFIG_ENUM_SCOPE:
        names = rc_scope_names;
        break;
    case PB_RUNCONFIG_ENUM_MASK:
        names = rc_mask_names;
        break;
    case PB_RUNCONFIG_ENUM_SCHEDULE:
        names = rc_schedule_names;
        break;
    case PB_RUNCONFIG_ENUM_LR_SCHEDULE:
        names = rc_lr_names;
        break;
    case PB_RUNCONFIG_ENUM_RECIPE:
        names = rc_recipe_names;
        break;
    }
    if (!names || value < 0 || (size_t)value >= count_names(names)) return NULL;
    return names[value];
}

/* ---- node trees for layered configs (harness/spec.c) ------------------------ */

int pb_runconfig_tree_parse(const char *yaml_text, const char *source, pb_runconfig_node **root) {
    if (!source) source = "<yaml>";
    if (!root || !yaml_text) return PB_ERR(PB_EINVAL, "%s: pb_runconfig_tree_parse: NULL argument", source);
    rc_ctx c = {.source = source};
    return build_tree(&c, yaml_text, root);
}

void pb_runconfig_node_free(pb_runconfig_node *n) {
    node_free(n);
}

pb_runconfig_node *pb_runconfig_node_new(pb_runconfig_node_kind kind, const char *text, int quoted, int line, int col) {
    rc_node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    n->quoted = quoted;
    n->line = line;
    n->col = col;
    if (kind == RC_NODE_SCALAR) {
        n->len = text ? strlen(text) : 0;
        n->text = malloc(n->len + 1);
        if (!n->text) {
            free(n);
            return NULL;
        }
        memcpy(n->text, text ? text : "", n->len);
        n->text[n->len] = '\0';
    }
    return n;
}

int pb_runconfig_node_append(pb_runconfig_node *parent, pb_runconfig_node *kid) {
    if (!parent || !kid) {
        node_free(kid);
        return PB_ERR(PB_ENOMEM, "run config: YAML node");
    }
    int r = node_append(parent, kid);
    if (r < 0) node_free(kid);
    return r;
}

/* Copy with every node tagged `layer` (0: keep the source's tags). */
static rc_node *node_copy(const rc_node *n, int layer) {
    rc_node *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    *d = *n;
    d->text = NULL;
    d->kids = NULL;
    d->n = d->cap = 0;
    if (layer) d->layer = layer;
    if (n->text) {
        d->text = malloc(n->len + 1);
        if (!d->text) {
            free(d);
            return NULL;
        }
        memcpy(d->text, n->text, n->len + 1);
    }
    if (n->n) {
        d->kids = calloc(n->n, sizeof *d->kids);
        if (!d->kids) {
            node_free(d);
            return NULL;
        }
        d->cap = n->n;
        for (size_t i = 0; i < n->n; i++) {
            d->kids[i] = node_copy(n->kids[i], layer);
            if (!d->kids[i]) {
                node_free(d);
                return NULL;
            }
            d->n++;
        }
    }
    return d;
}

int pb_runconfig_node_copy(const pb_runconfig_node *n, int layer, pb_runconfig_node **out) {
    *out = n ? node_copy(n, layer) : NULL;
    if (n && !*out) return PB_ERR(PB_ENOMEM, "run config: copying a YAML tree");
    return 0;
}

const pb_runconfig_node *pb_runconfig_node_get(const pb_runconfig_node *map, const char *key) {
    if (!map || map->kind != RC_NODE_MAP) return NULL;
    for (size_t i = 0; i + 1 < map->n; i += 2)
        if (strcmp(map->kids[i]->text, key) == 0) return map->kids[i + 1];
    return NULL;
}

pb_runconfig_scalar_type pb_runconfig_node_type(const pb_runconfig_node *n) {
    switch (scalar_type(n)) {
    case RC_S_NULL:
        return PB_RUNCONFIG_SCALAR_NULL;
    case RC_S_BOOL:
        return PB_RUNCONFIG_SCALAR_BOOL;
    case RC_S_INT:
        return PB_RUNCONFIG_SCALAR_INT;
    case RC_S_FLOAT:
        return PB_RUNCONFIG_SCALAR_FLOAT;
    case RC_S_STRING:
        break;
    }
    return PB_RUNCONFIG_SCALAR_STRING;
}

int pb_runconfig_node_is_null(const pb_runconfig_node *n) {
    return n && is_null_node(n);
}

int pb_runconfig_node_bool(const pb_runconfig_node *n) {
    return in_list(n->text, rc_true_words);
}

double pb_runconfig_node_number(const pb_runconfig_node *n) {
    return float_value(n->text);
}

const char *pb_runconfig_node_desc(const pb_runconfig_node *n) {
    return node_desc(n);
}

/* Merge `over` (a mapping) into the mapping `dst`: mappings merge key by key,
 * a null deletes the key, anything else replaces. Copies are tagged `layer`. */
static int merge_map(rc_node *dst, const rc_node *over, int layer) {
    for (size_t i = 0; i + 1 < over->n; i += 2) {
        const rc_node *k = over->kids[i], *v = over->kids[i + 1];
        size_t j = 0;
        while (j + 1 < dst->n && strcmp(dst->kids[j]->text, k->text) != 0) j += 2;
        const int found = j + 1 < dst->n;
        if (is_null_node(v)) {
            if (found) { /* delete the pair */
                node_free(dst->kids[j]);
                node_free(dst->kids[j + 1]);
                memmove(dst->kids + j, dst->kids + j + 2, (dst->n - j - 2) * sizeof *dst->kids);
                dst->n -= 2;
            }
            continue;
        }
        if (found && dst->kids[j + 1]->kind == RC_NODE_MAP && v->kind == RC_NODE_MAP) {
            PB_TRY(merge_map(dst->kids[j + 1], v, layer));
            continue;
        }
        rc_node *nv = node_copy(v, layer);
        if (!nv) return PB_ERR(PB_ENOMEM, "run config: merging YAML layers");
        if (found) {
            node_free(dst->kids[j + 1]);
            dst->kids[j + 1] = nv;
            continue;
        }
        rc_node *nk = node_copy(k, layer);
        if (!nk) {
            node_free(nv);
            return PB_ERR(PB_ENOMEM, "run config: merging YAML layers");
        }
        int r = node_append(dst, nk);
        if (r < 0) {
            node_free(nk);
            node_free(nv);
            return r;
        }
        r = node_append(dst, nv);
        if (r < 0) {
            node_free(nv);
            return r;
        }
    }
    return 0;
}

int pb_runconfig_node_merge(pb_runconfig_node *dst, const pb_runconfig_node *over, int layer) {
    if (!dst || dst->kind != RC_NODE_MAP) return PB_ERR(PB_EINVAL, "pb_runconfig_node_merge: target is not a mapping");
    if (!over || is_null_node(over)) return 0;
    if (over->kind != RC_NODE_MAP)
        return PB_ERR(PB_EINVAL, "pb_runconfig_node_merge: layer is %s, not a mapping", node_desc(over));
    return merge_map(dst, over, layer);
}

int pb_runconfig_parse_tree(pb_runconfig *rc, const pb_runconfig_node *root, const char *source,
                            const char *const *prefixes, size_t n_prefixes) {
    if (!source) source = "<yaml>";
    if (!rc) return PB_ERR(PB_EINVAL, "%s: pb_runconfig_parse_tree: NULL config", source);
    pb_runconfig_init(rc);
    rc_ctx c = {.source = source, .tree = root, .prefixes = prefixes, .n_prefixes = n_prefixes};
    pb_runconfig t;
    pb_runconfig_init(&t);
    int r = parse_root(&c, root, &t);
    free(c.locs);
    if (r < 0) {
        pb_runconfig_free(&t);
        return r;
    }
    *rc = t;
    return 0;
}

int pb_runconfig_parse_layers(pb_runconfig *rc, const pb_runconfig_node *const *layers, const char *const *prefixes,
                              size_t n, const char *source) {
    if (!rc) return PB_ERR(PB_EINVAL, "pb_runconfig_parse_layers: NULL config");
    pb_runconfig_init(rc);
    rc_node *merged = pb_runconfig_node_new(RC_NODE_MAP, NULL, 0, 1, 1);
    if (!merged) return PB_ERR(PB_ENOMEM, "run config: merging YAML layers");
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) r = pb_runconfig_node_merge(merged, layers[i], (int)i + 1);
    if (r == 0) r = pb_runconfig_parse_tree(rc, merged, source, prefixes, n);
    node_free(merged);
    return r;
}

void pb_runconfig_suggest(char *buf, size_t size, const char *s, const char *const *names, size_t n) {
    suggest(buf, size, s, names, n);
}
