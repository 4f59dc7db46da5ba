/* Experiment spec: YAML tree (runconfig's reader, so nodes keep line/column)
 * -> ${VAR} expansion -> checks of every section -> the cells: per task the
 * product of the axes, then includes, minus excludes, each resolved by merging
 * layers (fixed keys, base, overrides[task], axis values) and parsing the
 * merged tree with runconfig's schema; equal configs collapse by id. */
#include "spec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_error.h"
#include "registry.h"

#define SP_PATH 256

typedef pb_runconfig_node node;

enum { AX_METHOD, AX_SPARSITY, AX_EMBEDDINGS, AX_HEAD, AX_KD, AX_RECIPE, AX_MASK, AX_SEED, N_AX };
static const char *const ax_names[] = {"method", "sparsity", "embeddings", "head", "kd", "recipe", "mask", "seed"};
static const char *const top_names[] = {"name",   "model",        "tasks",   "base",   "overrides",
                                        "matrix", "teacher_seed", "include", "exclude"};
/* Run-config keys that base and overrides may set (model, task and seed come from the spec). */
static const char *const layer_names[] = {"data", "threads", "train", "prune", "kd"};
static const char *const teacher_seed_names[] = {"first", "same"};
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The layers of a cell's run config, for error prefixes. */
enum { LAYER_FIXED = 1, LAYER_BASE, LAYER_OVERRIDE, LAYER_AXES, N_LAYERS = LAYER_AXES };

/* A cell before resolution: axis value nodes (NULL: not given) and, for
 * include/exclude entries, the task node (NULL: every task). */
typedef struct {
    const node *v[N_AX];
    const node *task;
} sp_combo;

typedef struct {
    pb_spec *s;
    const char *src;
    const pb_spec_opts *o;
    node *root;
    const node *model, *base, *overrides, *matrix;
    const node **task_nodes;
    const node **axv[N_AX]; /* each axis' values; NULL when the axis is absent */
    size_t axn[N_AX];
    sp_combo *inc, *exc;
    size_t n_inc, n_exc;
} sp_ctx;

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static int
sp_fail(const sp_ctx *c, int code, const node *at, const char *path, const char *fmt, ...) {
    char msg[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = at ? at->line : 1, col = at ? at->col : 1;
    if (path && *path) return PB_ERR(code, "%s:%d:%d: %s: %s", c->src, line, col, path, msg);
    return PB_ERR(code, "%s:%d:%d: %s", c->src, line, col, msg);
}

static void join(char *buf, size_t size, const char *const *names, size_t n) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
}

/* "unknown key 'x' (did you mean 'y'?); expected one of ..." at the key. */
static int unknown_name(const sp_ctx *c, const node *at, const char *path, const char *what, const char *name,
                        const char *const *names, size_t n) {
    char hint[160], list[600];
    pb_runconfig_suggest(hint, sizeof hint, name, names, n);
    join(list, sizeof list, names, n);
    return sp_fail(c, PB_EINVAL, at, path, "unknown %s '%.60s'%s; expected one of %s", what, name, hint, list);
}

static int is_string(const node *n) {
    return n->kind == PB_RUNCONFIG_NODE_SCALAR && pb_runconfig_node_type(n) == PB_RUNCONFIG_SCALAR_STRING &&
           n->len > 0 && strlen(n->text) == n->len;
}

static int is_number(const node *n) {
    pb_runconfig_scalar_type t =
        n->kind == PB_RUNCONFIG_NODE_SCALAR ? pb_runconfig_node_type(n) : PB_RUNCONFIG_SCALAR_STRING;
    return t == PB_RUNCONFIG_SCALAR_INT || t == PB_RUNCONFIG_SCALAR_FLOAT;
}

static int is_bool(const node *n) {
    return n->kind == PB_RUNCONFIG_NODE_SCALAR && pb_runconfig_node_type(n) == PB_RUNCONFIG_SCALAR_BOOL;
}

static int type_error(const sp_ctx *c, const node *v, const char *path, const char *want) {
    if (v->kind == PB_RUNCONFIG_NODE_SCALAR && !pb_runconfig_node_is_null(v))
        return sp_fail(c, PB_EFORMAT, v, path, "'%.60s' is %s; expected %s", v->text, pb_runconfig_node_desc(v), want);
    return sp_fail(c, PB_EFORMAT, v, path, "value is %s; expected %s", pb_runconfig_node_desc(v), want);
}

/* Append to a NUL-terminated buffer, truncating (key paths are for messages). */
static void path_append(char *buf, size_t size, const char *s) {
    size_t used = strnlen(buf, size - 1), n = strlen(s);
    if (n > size - 1 - used) n = size - 1 - used;
    memmove(buf + used, s, n);
    buf[used + n] = '\0';
}

static void path_key(char *buf, size_t size, const char *parent, const char *key) {
    buf[0] = '\0';
    path_append(buf, size, parent);
    if (*parent) path_append(buf, size, ".");
    path_append(buf, size, key);
}

static void path_idx(char *buf, size_t size, const char *parent, size_t i) {
    char idx[32];
    snprintf(idx, sizeof idx, "[%zu]", i);
    buf[0] = '\0';
    path_append(buf, size, parent);
    path_append(buf, size, idx);
}

/* ---- ${VAR} ----------------------------------------------------------------- */

static const char *lookup(const sp_ctx *c, const char *name) {
    if (c->o && c->o->getenv_fn) return c->o->getenv_fn(name, c->o->ctx);
    return getenv(name);
}

/* Append n bytes to a growing buffer. */
static int buf_add(char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
    if (*len + n + 1 > *cap) {
        size_t nc = (*len + n + 1) * 2;
        char *b = realloc(*buf, nc);
        if (!b) return PB_ERR(PB_ENOMEM, "spec: expanding a variable");
        *buf = b;
        *cap = nc;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

static int expand_scalar(const sp_ctx *c, node *n, const char *path) {
    if (!strstr(n->text, "${")) return 0;
    char *out = NULL;
    size_t len = 0, cap = 0;
    int r = buf_add(&out, &len, &cap, "", 0);
    const char *p = n->text;
    while (r == 0 && *p) {
        const char *d = strstr(p, "${");
        if (!d) {
            r = buf_add(&out, &len, &cap, p, strlen(p));
            break;
        }
        r = buf_add(&out, &len, &cap, p, (size_t)(d - p));
        if (r < 0) break;
        const char *name = d + 2, *e = name;
        while ((*e >= 'A' && *e <= 'Z') || (*e >= 'a' && *e <= 'z') || *e == '_' ||
               (e > name && *e >= '0' && *e <= '9'))
            e++;
        const char *close = strchr(e, '}');
        const int has_default = e[0] == ':' && e[1] == '-';
        if (e == name || !close || (!has_default && *e != '}')) {
            r = sp_fail(c, PB_EFORMAT, n, path,
                        "malformed variable reference in '%.60s'; expected ${NAME} or "
                        "${NAME:-default} with NAME of letters, digits and _",
                        n->text);
            break;
        }
        char var[128];
        snprintf(var, sizeof var, "%.*s", (int)(e - name), name);
        const char *val = lookup(c, var);
        if (has_default && (!val || !*val)) {
            r = buf_add(&out, &len, &cap, e + 2, (size_t)(close - (e + 2)));
        } else if (!val) {
            r = sp_fail(c, PB_ENOTFOUND, n, path,
                        "undefined variable '%s'; expected it set in the environment, or "
                        "a default: ${%s:-default}",
                        var, var);
        } else {
            r = buf_add(&out, &len, &cap, val, strlen(val));
        }
        p = close + 1;
    }
    if (r < 0) {
        free(out);
        return r;
    }
    free(n->text);
    n->text = out;
    n->len = len;
    return 0;
}

static int expand_vars(const sp_ctx *c, node *n, const char *path) {
    if (n->kind == PB_RUNCONFIG_NODE_SCALAR) return expand_scalar(c, n, path);
    for (size_t i = 0; i < n->n; i++) {
        char kp[SP_PATH];
        if (n->kind == PB_RUNCONFIG_NODE_MAP) {
            if (i % 2 == 0) continue; /* keys stay as written */
            path_key(kp, sizeof kp, path, n->kids[i - 1]->text);
        } else {
            path_idx(kp, sizeof kp, path, i);
        }
        PB_TRY(expand_vars(c, n->kids[i], kp));
    }
    return 0;
}

/* ---- checks ----------------------------------------------------------------- */

static int check_enum(const sp_ctx *c, const node *v, const char *path, const char *const *names, size_t n) {
    char list[300], want[320];
    join(list, sizeof list, names, n);
    snprintf(want, sizeof want, "one of %s", list);
    if (!is_string(v)) return type_error(c, v, path, want);
    for (size_t i = 0; i < n; i++)
        if (strcmp(v->text, names[i]) == 0) return 0;
    return unknown_name(c, v, path, "value", v->text, names, n);
}

/* The names of a runconfig enum, with `first` (may be NULL) in front. */
static size_t enum_names(pb_runconfig_enum which, const char *first, const char **names, size_t cap) {
    size_t n = 0;
    if (first) names[n++] = first;
    for (int i = 0; n < cap && pb_runconfig_enum_name(which, i); i++) names[n++] = pb_runconfig_enum_name(which, i);
    return n;
}

static int check_axis_value(const sp_ctx *c, int axis, const node *v, const char *path) {
    const char *names[16];
    switch (axis) {
    case AX_METHOD:
        return check_enum(c, v, path, names, enum_names(PB_RUNCONFIG_ENUM_METHOD, "dense", names, 16));
    case AX_RECIPE:
        return check_enum(c, v, path, names, enum_names(PB_RUNCONFIG_ENUM_RECIPE, NULL, names, 16));
    case AX_MASK:
        return check_enum(c, v, path, names, enum_names(PB_RUNCONFIG_ENUM_MASK, NULL, names, 16));
    case AX_SPARSITY: {
        const char *want = "a number in (0, 1)";
        if (!is_number(v)) return type_error(c, v, path, want);
        double x = pb_runconfig_node_number(v);
        if (!(x > 0 && x < 1))
            return sp_fail(c, PB_ERANGE, v, path, "%.60s is out of range; expected %s", v->text, want);
        return 0;
    }
    case AX_EMBEDDINGS:
    case AX_HEAD:
        if (!is_bool(v)) return type_error(c, v, path, "a boolean (yes or no)");
        return 0;
    case AX_SEED: {
        const char *want = "an integer in [0, 2^64)";
        if (v->kind != PB_RUNCONFIG_NODE_SCALAR || pb_runconfig_node_type(v) != PB_RUNCONFIG_SCALAR_INT)
            return type_error(c, v, path, want);
        errno = 0;
        (void)strtoull(v->text, NULL, 10);
        if (v->text[0] == '-' || errno == ERANGE)
            return sp_fail(c, PB_ERANGE, v, path, "%.60s is out of range; expected %s", v->text, want);
        return 0;
    }
    case AX_KD: {
        const char *want = "off, on, or a mapping of hardness and temperature";
        if (is_bool(v)) return 0;
        if (v->kind != PB_RUNCONFIG_NODE_MAP) return type_error(c, v, path, want);
        static const char *const kd_keys[] = {"hardness", "temperature"};
        for (size_t i = 0; i + 1 < v->n; i += 2) {
            const node *k = v->kids[i], *x = v->kids[i + 1];
            char kp[SP_PATH];
            path_key(kp, sizeof kp, path, k->text);
            if (strcmp(k->text, "teacher") == 0)
                return sp_fail(c, PB_EINVAL, k, kp,
                               "the teacher is the spec's dense cell of the task; expected only "
                               "hardness and temperature");
            if (strcmp(k->text, kd_keys[0]) != 0 && strcmp(k->text, kd_keys[1]) != 0)
                return unknown_name(c, k, kp, "key", k->text, kd_keys, 2);
            if (!is_number(x)) return type_error(c, x, kp, "a number");
        }
        return 0;
    }
    }
    return PB_ERR(PB_EINVAL, "spec: axis %d", axis);
}

/* A base or override mapping: run-config keys other than model, task, seed, and no kd.teacher. */
static int check_layer(const sp_ctx *c, const node *m, const char *path) {
    if (pb_runconfig_node_is_null(m)) return 0;
    if (m->kind != PB_RUNCONFIG_NODE_MAP) return type_error(c, m, path, "a mapping of run-config keys");
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        const node *k = m->kids[i], *v = m->kids[i + 1];
        char kp[SP_PATH];
        path_key(kp, sizeof kp, path, k->text);
        if (strcmp(k->text, "model") == 0 || strcmp(k->text, "task") == 0 || strcmp(k->text, "seed") == 0)
            return sp_fail(c, PB_EINVAL, k, kp, "'%s' is set by the spec; expected it in the top-level %s", k->text,
                           k->text[0] == 'm'   ? "model"
                           : k->text[0] == 't' ? "tasks"
                                               : "matrix.seed");
        size_t j = 0;
        while (j < N_OF(layer_names) && strcmp(k->text, layer_names[j]) != 0) j++;
        if (j == N_OF(layer_names)) return unknown_name(c, k, kp, "key", k->text, layer_names, N_OF(layer_names));
        const node *t = strcmp(k->text, "kd") == 0 ? pb_runconfig_node_get(v, "teacher") : NULL;
        if (t) {
            char tp[SP_PATH];
            path_key(tp, sizeof tp, kp, "teacher");
            return sp_fail(c, PB_EINVAL, t, tp,
                           "the teacher is set by the spec (the dense cell of the task); "
                           "expected only hardness and temperature");
        }
    }
    return 0;
}

static int check_name(const sp_ctx *c, const node *v) {
    const char *want = "a name of a-z, 0-9, _ and -";
    if (!is_string(v) && !(v->kind == PB_RUNCONFIG_NODE_SCALAR && pb_runconfig_node_type(v) == PB_RUNCONFIG_SCALAR_INT))
        return type_error(c, v, "name", want);
    for (const char *p = v->text; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return sp_fail(c, PB_EINVAL, v, "name", "'%.60s' has the character '%c'; expected %s", v->text, *p, want);
    return 0;
}

static int check_tasks(sp_ctx *c, const node *v) {
    const char *want = "a non-empty sequence of task names";
    if (v->kind != PB_RUNCONFIG_NODE_SEQ) return type_error(c, v, "tasks", want);
    if (v->n == 0) return sp_fail(c, PB_EINVAL, v, "tasks", "the sequence is empty; expected %s", want);
    int n_reg = 0;
    const pb_task_info *reg = pb_task_list(&n_reg);
    const char **names = calloc((size_t)n_reg + 1, sizeof *names);
    c->s->tasks = calloc(v->n, sizeof *c->s->tasks);
    c->task_nodes = calloc(v->n, sizeof *c->task_nodes);
    if (!names || !c->s->tasks || !c->task_nodes) {
        free(names);
        return PB_ERR(PB_ENOMEM, "spec: %zu tasks", v->n);
    }
    for (int i = 0; i < n_reg; i++) names[i] = reg[i].name;
    int r = 0;
    for (size_t i = 0; i < v->n && r == 0; i++) {
        const node *t = v->kids[i];
        char ip[SP_PATH];
        path_idx(ip, sizeof ip, "tasks", i);
        if (!is_string(t)) {
            r = type_error(c, t, ip, "a task name");
            break;
        }
        if (!pb_task_find(t->text)) {
            r = unknown_name(c, t, ip, "task", t->text, names, (size_t)n_reg);
            break;
        }
        for (size_t j = 0; j < i && r == 0; j++)
            if (strcmp(v->kids[j]->text, t->text) == 0)
                r = sp_fail(c, PB_EINVAL, t, ip, "duplicate task '%.60s' (also item %zu); expected each task once",
                            t->text, j);
        if (r < 0) break;
        c->s->tasks[i] = strdup(t->text);
        if (!c->s->tasks[i]) r = PB_ERR(PB_ENOMEM, "spec: task name");
        c->s->n_tasks = i + 1;
        c->task_nodes[i] = t;
    }
    free(names);
    return r;
}

static long task_index(const sp_ctx *c, const char *name) {
    for (size_t i = 0; i < c->s->n_tasks; i++)
        if (strcmp(c->s->tasks[i], name) == 0) return (long)i;
    return -1;
}

static int check_overrides(const sp_ctx *c, const node *v) {
    if (pb_runconfig_node_is_null(v)) return 0;
    if (v->kind != PB_RUNCONFIG_NODE_MAP) return type_error(c, v, "overrides", "a mapping of task: run-config keys");
    for (size_t i = 0; i + 1 < v->n; i += 2) {
        const node *k = v->kids[i];
        char kp[SP_PATH];
        path_key(kp, sizeof kp, "overrides", k->text);
        if (task_index(c, k->text) < 0)
            return unknown_name(c, k, kp, "task", k->text, (const char *const *)c->s->tasks, c->s->n_tasks);
        PB_TRY(check_layer(c, v->kids[i + 1], kp));
    }
    return 0;
}

static int check_matrix(sp_ctx *c, const node *v) {
    if (pb_runconfig_node_is_null(v)) return 0;
    if (v->kind != PB_RUNCONFIG_NODE_MAP) return type_error(c, v, "matrix", "a mapping of axis: values");
    for (size_t i = 0; i + 1 < v->n; i += 2) {
        const node *k = v->kids[i], *x = v->kids[i + 1];
        char kp[SP_PATH];
        path_key(kp, sizeof kp, "matrix", k->text);
        int a = 0;
        while (a < N_AX && strcmp(k->text, ax_names[a]) != 0) a++;
        if (a == N_AX) return unknown_name(c, k, kp, "axis", k->text, ax_names, N_AX);
        const int seq = x->kind == PB_RUNCONFIG_NODE_SEQ;
        if (seq && x->n == 0) return sp_fail(c, PB_EINVAL, x, kp, "the list is empty; expected at least one value");
        size_t n = seq ? x->n : 1;
        c->axv[a] = calloc(n, sizeof *c->axv[a]);
        if (!c->axv[a]) return PB_ERR(PB_ENOMEM, "spec: axis %s", k->text);
        c->axn[a] = n;
        for (size_t j = 0; j < n; j++) {
            const node *item = seq ? x->kids[j] : x;
            char ip[SP_PATH];
            if (seq)
                path_idx(ip, sizeof ip, kp, j);
            else
                memcpy(ip, kp, sizeof ip);
            PB_TRY(check_axis_value(c, a, item, ip));
            c->axv[a][j] = item;
        }
    }
    return 0;
}

/* include / exclude: a sequence of mappings of axis values (and task). */
static int check_combos(sp_ctx *c, const node *v, const char *key, sp_combo **out, size_t *n_out) {
    if (pb_runconfig_node_is_null(v)) return 0;
    const char *want = "a sequence of mappings of axis values";
    if (v->kind != PB_RUNCONFIG_NODE_SEQ) return type_error(c, v, key, want);
    *out = calloc(v->n ? v->n : 1, sizeof **out);
    if (!*out) return PB_ERR(PB_ENOMEM, "spec: %s", key);
    const char *names[N_AX + 1];
    for (int a = 0; a < N_AX; a++) names[a] = ax_names[a];
    names[N_AX] = "task";
    for (size_t i = 0; i < v->n; i++) {
        const node *m = v->kids[i];
        char ip[SP_PATH];
        path_idx(ip, sizeof ip, key, i);
        if (m->kind != PB_RUNCONFIG_NODE_MAP) return type_error(c, m, ip, "a mapping of axis values");
        if (m->n == 0 && strcmp(key, "exclude") == 0)
            return sp_fail(c, PB_EINVAL, m, ip,
                           "the mapping is empty (it would drop every cell); expected axis values");
        sp_combo *cb = &(*out)[i];
        for (size_t j = 0; j + 1 < m->n; j += 2) {
            const node *k = m->kids[j], *x = m->kids[j + 1];
            char kp[SP_PATH];
            path_key(kp, sizeof kp, ip, k->text);
            if (strcmp(k->text, "task") == 0) {
                if (!is_string(x)) return type_error(c, x, kp, "a task name");
                if (task_index(c, x->text) < 0)
                    return unknown_name(c, x, kp, "task", x->text, (const char *const *)c->s->tasks, c->s->n_tasks);
                cb->task = x;
                continue;
            }
            int a = 0;
            while (a < N_AX && strcmp(k->text, ax_names[a]) != 0) a++;
            if (a == N_AX) return unknown_name(c, k, kp, "axis", k->text, names, N_AX + 1);
            PB_TRY(check_axis_value(c, a, x, kp));
            cb->v[a] = x;
        }
        *n_out = i + 1;
    }
    return 0;
}

/* ---- axis values -------------------------------------------------------------- */

static int kd_map_equal(const node *a, const node *b) {
    if (a->n != b->n) return 0;
    for (size_t i = 0; i + 1 < a->n; i += 2) {
        const node *y = pb_runconfig_node_get(b, a->kids[i]->text);
        if (!y || pb_runconfig_node_number(y) != pb_runconfig_node_number(a->kids[i + 1])) return 0;
    }
    return 1;
}

static int ax_equal(int axis, const node *a, const node *b) {
    switch (axis) {
    case AX_SPARSITY:
        return pb_runconfig_node_number(a) == pb_runconfig_node_number(b);
    case AX_EMBEDDINGS:
    case AX_HEAD:
        return pb_runconfig_node_bool(a) == pb_runconfig_node_bool(b);
    case AX_SEED:
        return strtoull(a->text, NULL, 10) == strtoull(b->text, NULL, 10);
    case AX_KD:
        if (a->kind != b->kind) return 0;
        return a->kind == PB_RUNCONFIG_NODE_MAP ? kd_map_equal(a, b)
                                                : pb_runconfig_node_bool(a) == pb_runconfig_node_bool(b);
    default:
        return strcmp(a->text, b->text) == 0;
    }
}

static int excluded(const sp_ctx *c, size_t ti, const node *const *v) {
    for (size_t e = 0; e < c->n_exc; e++) {
        const sp_combo *x = &c->exc[e];
        int match = !x->task || strcmp(x->task->text, c->s->tasks[ti]) == 0;
        for (int a = 0; a < N_AX && match; a++)
            if (x->v[a]) match = v[a] && ax_equal(a, x->v[a], v[a]);
        if (match) return 1;
    }
    return 0;
}

/* ---- resolving one cell ------------------------------------------------------- */

/* map[key] = val (owned; NULL: out of memory), the key placed at val's location. */
static int put(node *map, const char *key, node *val) {
    if (!val) return PB_ERR(PB_ENOMEM, "spec: YAML node");
    node *k = pb_runconfig_node_new(PB_RUNCONFIG_NODE_SCALAR, key, 0, val->line, val->col);
    if (!k) {
        pb_runconfig_node_free(val);
        return PB_ERR(PB_ENOMEM, "spec: YAML node");
    }
    k->layer = val->layer;
    int r = pb_runconfig_node_append(map, k);
    if (r < 0) {
        pb_runconfig_node_free(val);
        return r;
    }
    return pb_runconfig_node_append(map, val);
}

static node *copy_of(const node *n) {
    node *d = NULL;
    return pb_runconfig_node_copy(n, 0, &d) < 0 ? NULL : d;
}

static node *scalar_at(const char *text, int quoted, const node *at) {
    return pb_runconfig_node_new(PB_RUNCONFIG_NODE_SCALAR, text, quoted, at->line, at->col);
}

/* prune.groups with "embeddings"/"head" added or removed per the axes. */
static int axis_groups(const node *ovr_prune, const node *base_prune, const node *emb, const node *head, node *prune) {
    const node *src = pb_runconfig_node_get(ovr_prune, "groups"); /* an override's prune merges over base's */
    if (!src) src = pb_runconfig_node_get(base_prune, "groups");
    const node *at = emb ? emb : head;
    node *seq = pb_runconfig_node_new(PB_RUNCONFIG_NODE_SEQ, NULL, 0, at->line, at->col);
    if (!seq) return PB_ERR(PB_ENOMEM, "spec: groups");
    int r = 0;
    const char *want[2] = {emb && pb_runconfig_node_bool(emb) ? "embeddings" : NULL,
                           head && pb_runconfig_node_bool(head) ? "head" : NULL};
    int have[2] = {0, 0};
    if (src && src->kind == PB_RUNCONFIG_NODE_SEQ) {
        for (size_t i = 0; i < src->n && r == 0; i++) {
            const node *g = src->kids[i];
            if (g->kind == PB_RUNCONFIG_NODE_SCALAR) {
                if (emb && strcmp(g->text, "embeddings") == 0 && !want[0]) continue;
                if (head && strcmp(g->text, "head") == 0 && !want[1]) continue;
                have[0] |= strcmp(g->text, "embeddings") == 0;
                have[1] |= strcmp(g->text, "head") == 0;
            }
            r = pb_runconfig_node_append(seq, copy_of(g));
        }
    } else if (src) { /* not a sequence: runconfig reports it */
        pb_runconfig_node_free(seq);
        return put(prune, "groups", copy_of(src));
    } else {
        r = pb_runconfig_node_append(seq, scalar_at("encoder", 1, at));
    }
    for (int i = 0; i < 2 && r == 0; i++)
        if (want[i] && !have[i]) r = pb_runconfig_node_append(seq, scalar_at(want[i], 1, i ? head : emb));
    if (r < 0) {
        pb_runconfig_node_free(seq);
        return r;
    }
    return put(prune, "groups", seq);
}

/* The axis layer of a cell (teacher: prune and kd deleted, seed as given). */
static int axis_layer(const sp_ctx *c, const node *const *v, const node *ovr, int teacher, node *A) {
    const node *at = c->matrix ? c->matrix : c->root;
    if (v[AX_SEED]) PB_TRY(put(A, "seed", copy_of(v[AX_SEED])));
    if (teacher) {
        PB_TRY(put(A, "prune", scalar_at("null", 0, at)));
        return put(A, "kd", scalar_at("null", 0, at));
    }
    const node *base_prune = pb_runconfig_node_get(c->base, "prune");
    const node *ovr_prune = pb_runconfig_node_get(ovr, "prune");
    const int ovr_null = ovr_prune && pb_runconfig_node_is_null(ovr_prune);
    const int has_prune =
        ovr_prune ? ovr_prune->kind == PB_RUNCONFIG_NODE_MAP : base_prune && base_prune->kind == PB_RUNCONFIG_NODE_MAP;
    const node *m = v[AX_METHOD];
    const int dense = ovr_null || (m && strcmp(m->text, "dense") == 0) || (!m && !has_prune);
    if (dense) {
        PB_TRY(put(A, "prune", scalar_at("null", 0, m ? m : at)));
    } else {
        /* Without a sparsity the run config would only say prune.schedule is missing: name the spec's options. */
        const node *sched = pb_runconfig_node_get(ovr_prune, "schedule");
        const node *fs = pb_runconfig_node_get(sched, "final_sparsity");
        if (!fs && (!sched || sched->kind == PB_RUNCONFIG_NODE_MAP))
            fs = pb_runconfig_node_get(pb_runconfig_node_get(base_prune, "schedule"), "final_sparsity");
        if (m && !v[AX_SPARSITY] && !fs)
            return sp_fail(c, PB_ENOTFOUND, m, "matrix.method",
                           "'%.60s' prunes but no sparsity is given; expected a matrix.sparsity axis, or "
                           "prune.schedule.final_sparsity in base or overrides",
                           m->text);
        const node *first = NULL;
        for (int a = 0; a < N_AX && !first; a++)
            if (v[a] && a != AX_KD && a != AX_SEED) first = v[a];
        if (first) {
            node *p = pb_runconfig_node_new(PB_RUNCONFIG_NODE_MAP, NULL, 0, first->line, first->col);
            int r = put(A, "prune", p);
            if (r < 0) return r;
            if (m) PB_TRY(put(p, "method", copy_of(m)));
            if (v[AX_SPARSITY]) {
                node *s =
                    pb_runconfig_node_new(PB_RUNCONFIG_NODE_MAP, NULL, 0, v[AX_SPARSITY]->line, v[AX_SPARSITY]->col);
                PB_TRY(put(p, "schedule", s));
                PB_TRY(put(s, "final_sparsity", copy_of(v[AX_SPARSITY])));
            }
            if (v[AX_EMBEDDINGS] || v[AX_HEAD])
                PB_TRY(axis_groups(ovr_prune, base_prune, v[AX_EMBEDDINGS], v[AX_HEAD], p));
            if (v[AX_RECIPE]) PB_TRY(put(p, "recipe", copy_of(v[AX_RECIPE])));
            if (v[AX_MASK]) PB_TRY(put(p, "mask", copy_of(v[AX_MASK])));
        }
    }
    const node *kd = v[AX_KD];
    if (kd && kd->kind == PB_RUNCONFIG_NODE_MAP) {
        PB_TRY(put(A, "kd", copy_of(kd)));
    } else if (kd && pb_runconfig_node_bool(kd)) { /* on: an empty mapping enables base's settings */
        PB_TRY(put(A, "kd", pb_runconfig_node_new(PB_RUNCONFIG_NODE_MAP, NULL, 0, kd->line, kd->col)));
    } else if (kd) {
        PB_TRY(put(A, "kd", scalar_at("null", 0, kd)));
    }
    return 0;
}

/* Merge a cell's layers and parse them. teacher_ref NULL and kd enabled: *wants_kd = 1, nothing parsed. */
static int resolve(const sp_ctx *c, size_t ti, const node *const *v, int teacher, const char *teacher_ref,
                   pb_runconfig *rc, int *wants_kd) {
    *wants_kd = 0;
    const node *tn = c->task_nodes[ti];
    const node *ovr = pb_runconfig_node_get(c->overrides, c->s->tasks[ti]);
    node *fixed = pb_runconfig_node_new(PB_RUNCONFIG_NODE_MAP, NULL, 0, 1, 1);
    node *A = pb_runconfig_node_new(PB_RUNCONFIG_NODE_MAP, NULL, 0, 1, 1);
    node *root = pb_runconfig_node_new(PB_RUNCONFIG_NODE_MAP, NULL, 0, c->root->line, c->root->col);
    int r = fixed && A && root ? 0 : PB_ERR(PB_ENOMEM, "spec: YAML node");
    if (r == 0) r = put(fixed, "model", copy_of(c->model));
    if (r == 0) r = put(fixed, "task", scalar_at(c->s->tasks[ti], 1, tn));
    if (r == 0) r = axis_layer(c, v, ovr, teacher, A);
    if (r == 0) r = pb_runconfig_node_merge(root, fixed, LAYER_FIXED);
    if (r == 0) r = pb_runconfig_node_merge(root, c->base, LAYER_BASE);
    if (r == 0) r = pb_runconfig_node_merge(root, ovr, LAYER_OVERRIDE);
    if (r == 0) r = pb_runconfig_node_merge(root, A, LAYER_AXES);
    const node *kd = r == 0 ? pb_runconfig_node_get(root, "kd") : NULL;
    if (kd && kd->kind == PB_RUNCONFIG_NODE_MAP) {
        if (!teacher_ref)
            *wants_kd = 1;
        else
            r = put((node *)kd, "teacher", scalar_at(teacher_ref, 1, kd));
    }
    char ovr_prefix[SP_PATH];
    snprintf(ovr_prefix, sizeof ovr_prefix, "overrides.%s.", c->s->tasks[ti]);
    const char *prefixes[N_LAYERS] = {NULL, "base.", ovr_prefix, NULL};
    if (r == 0 && !*wants_kd) r = pb_runconfig_parse_tree(rc, root, c->src, prefixes, N_LAYERS);
    pb_runconfig_node_free(fixed);
    pb_runconfig_node_free(A);
    pb_runconfig_node_free(root);
    return r;
}

/* ---- cells -------------------------------------------------------------------- */

void pb_spec_hash_id(const char *text, char id[17]) {
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 offset basis and prime */
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) h = (h ^ *p) * 0x100000001b3ull;
    snprintf(id, 17, "%016" PRIx64, h);
}

static void cell_free(pb_spec_cell *x) {
    free(x->task);
    free(x->method);
    free(x->recipe);
    free(x->mask);
    free(x->yaml);
    pb_runconfig_free(&x->rc);
    memset(x, 0, sizeof *x);
}

static char *dup_or_null(const char *s, int *oom) {
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *oom = 1;
    return d;
}

/* A cell from a resolved config (taken over, also on error). */
static int make_cell(const sp_ctx *c, size_t ti, pb_runconfig *rc, pb_spec_cell *x) {
    memset(x, 0, sizeof *x);
    x->rc = *rc;
    pb_runconfig_init(rc);
    x->teacher = -1;
    int r = pb_runconfig_to_yaml(&x->rc, &x->yaml), oom = 0;
    if (r < 0) {
        cell_free(x);
        return r;
    }
    pb_spec_hash_id(x->yaml, x->id);
    const pb_runconfig_prune *p = &x->rc.prune;
    x->task = dup_or_null(c->s->tasks[ti], &oom);
    x->seed = x->rc.seed;
    if (p->enabled) {
        x->method = dup_or_null(pb_runconfig_enum_name(PB_RUNCONFIG_ENUM_METHOD, (int)p->method), &oom);
        x->sparsity = p->schedule.final_sparsity;
        for (size_t i = 0; i < p->n_groups; i++) {
            x->embeddings |= strcmp(p->groups[i], "embeddings") == 0;
            x->head |= strcmp(p->groups[i], "head") == 0;
        }
        x->recipe = dup_or_null(pb_runconfig_enum_name(PB_RUNCONFIG_ENUM_RECIPE, (int)p->recipe), &oom);
        x->mask = dup_or_null(pb_runconfig_enum_name(PB_RUNCONFIG_ENUM_MASK, (int)p->mask), &oom);
    } else {
        x->method = dup_or_null("dense", &oom);
        x->embeddings = x->head = -1;
    }
    if (x->rc.kd.enabled) {
        x->kd = 1;
        x->kd_temperature = x->rc.kd.temperature;
        x->kd_hardness = x->rc.kd.hardness;
    }
    if (oom) {
        cell_free(x);
        return PB_ERR(PB_ENOMEM, "spec: cell strings");
    }
    return 0;
}

static long find_cell(const pb_spec *s, const pb_spec_cell *x) {
    for (size_t i = 0; i < s->n_cells; i++)
        if (strcmp(s->cells[i].id, x->id) == 0 && strcmp(s->cells[i].yaml, x->yaml) == 0) return (long)i;
    return -1;
}

/* Append x (taken over); or, when an equal cell exists, drop it. The index of the kept cell. */
static int push_cell(pb_spec *s, pb_spec_cell *x, size_t *cap, long *index) {
    long at = find_cell(s, x);
    if (at >= 0) {
        if (!x->is_teacher_only) s->cells[at].is_teacher_only = 0; /* the matrix holds it too */
        cell_free(x);
        *index = at;
        return 0;
    }
    if (s->n_cells == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        pb_spec_cell *n = realloc(s->cells, nc * sizeof *n);
        if (!n) {
            cell_free(x);
            return PB_ERR(PB_ENOMEM, "spec: %zu cells", nc);
        }
        s->cells = n;
        *cap = nc;
    }
    s->cells[s->n_cells] = *x;
    *index = (long)s->n_cells++;
    return 0;
}

static int add_cell(sp_ctx *c, size_t ti, const node *const *v, size_t *cap) {
    pb_runconfig rc;
    pb_runconfig_init(&rc);
    int wants_kd = 0;
    long teacher = -1, index;
    PB_TRY(resolve(c, ti, v, 0, NULL, &rc, &wants_kd));
    if (wants_kd) {
        const node *tv[N_AX] = {0};
        tv[AX_SEED] = c->s->teacher_seed_same ? v[AX_SEED] : (c->axv[AX_SEED] ? c->axv[AX_SEED][0] : NULL);
        pb_spec_cell t;
        PB_TRY(resolve(c, ti, tv, 1, NULL, &rc, &wants_kd));
        PB_TRY(make_cell(c, ti, &rc, &t));
        t.is_teacher_only = 1;
        PB_TRY(push_cell(c->s, &t, cap, &teacher));
        char ref[32];
        snprintf(ref, sizeof ref, "@cell:%s", c->s->cells[teacher].id);
        PB_TRY(resolve(c, ti, v, 0, ref, &rc, &wants_kd));
    }
    pb_spec_cell x;
    PB_TRY(make_cell(c, ti, &rc, &x));
    x.teacher = teacher;
    return push_cell(c->s, &x, cap, &index);
}

static int expand(sp_ctx *c) {
    size_t cap = 0;
    const node *none = NULL;
    for (size_t ti = 0; ti < c->s->n_tasks; ti++) {
        size_t idx[N_AX] = {0}, total = 1;
        for (int a = 0; a < N_AX; a++) total *= c->axv[a] ? c->axn[a] : 1;
        for (size_t k = 0; k < total; k++) {
            const node *v[N_AX];
            for (int a = 0; a < N_AX; a++) v[a] = c->axv[a] ? c->axv[a][idx[a]] : none;
            if (!excluded(c, ti, v)) PB_TRY(add_cell(c, ti, v, &cap));
            for (int a = N_AX - 1; a >= 0; a--) { /* odometer: seed fastest */
                if (c->axv[a] && ++idx[a] < c->axn[a]) break;
                idx[a] = 0;
            }
        }
    }
    for (size_t i = 0; i < c->n_inc; i++) {
        const sp_combo *in = &c->inc[i];
        for (size_t ti = 0; ti < c->s->n_tasks; ti++) {
            if (in->task && strcmp(in->task->text, c->s->tasks[ti]) != 0) continue;
            const node *v[N_AX];
            for (int a = 0; a < N_AX; a++) v[a] = in->v[a] ? in->v[a] : c->axv[a] ? c->axv[a][0] : none;
            if (!excluded(c, ti, v)) PB_TRY(add_cell(c, ti, v, &cap));
        }
    }
    return 0;
}

/* ---- public ------------------------------------------------------------------- */

static int parse_spec(sp_ctx *c, const char *text) {
    PB_TRY(pb_runconfig_tree_parse(text, c->src, &c->root));
    node *root = c->root;
    if (!root || pb_runconfig_node_is_null(root))
        return sp_fail(c, PB_EFORMAT, root, NULL, "empty document; expected a mapping with name, model and tasks");
    if (root->kind != PB_RUNCONFIG_NODE_MAP)
        return sp_fail(c, PB_EFORMAT, root, NULL, "the top level is %s; expected a mapping of spec keys",
                       pb_runconfig_node_desc(root));
    PB_TRY(expand_vars(c, root, ""));
    for (size_t i = 0; i + 1 < root->n; i += 2) {
        const node *k = root->kids[i];
        size_t j = 0;
        while (j < N_OF(top_names) && strcmp(k->text, top_names[j]) != 0) j++;
        if (j == N_OF(top_names)) return unknown_name(c, k, k->text, "key", k->text, top_names, N_OF(top_names));
    }
    static const char *const required[] = {"name", "model", "tasks"};
    for (size_t i = 0; i < N_OF(required); i++)
        if (!pb_runconfig_node_get(root, required[i]))
            return sp_fail(c, PB_ENOTFOUND, root, required[i], "missing required key '%s'; expected %s", required[i],
                           i == 0   ? "the experiment name"
                           : i == 1 ? "a run-config model mapping"
                                    : "a list of tasks");
    const node *name = pb_runconfig_node_get(root, "name");
    PB_TRY(check_name(c, name));
    c->s->name = strdup(name->text);
    if (!c->s->name) return PB_ERR(PB_ENOMEM, "spec: name");
    c->model = pb_runconfig_node_get(root, "model");
    if (c->model->kind != PB_RUNCONFIG_NODE_MAP)
        return type_error(c, c->model, "model", "a run-config model mapping (checkpoint, or init and config)");
    PB_TRY(check_tasks(c, pb_runconfig_node_get(root, "tasks")));
    c->base = pb_runconfig_node_get(root, "base");
    if (c->base) PB_TRY(check_layer(c, c->base, "base"));
    c->overrides = pb_runconfig_node_get(root, "overrides");
    if (c->overrides) PB_TRY(check_overrides(c, c->overrides));
    c->matrix = pb_runconfig_node_get(root, "matrix");
    if (c->matrix) PB_TRY(check_matrix(c, c->matrix));
    const node *ts = pb_runconfig_node_get(root, "teacher_seed");
    if (ts) {
        PB_TRY(check_enum(c, ts, "teacher_seed", teacher_seed_names, N_OF(teacher_seed_names)));
        c->s->teacher_seed_same = strcmp(ts->text, "same") == 0;
    }
    const node *inc = pb_runconfig_node_get(root, "include"), *exc = pb_runconfig_node_get(root, "exclude");
    if (inc) PB_TRY(check_combos(c, inc, "include", &c->inc, &c->n_inc));
    if (exc) PB_TRY(check_combos(c, exc, "exclude", &c->exc, &c->n_exc));
    return expand(c);
}

int pb_spec_parse(pb_spec *s, const char *text, const char *source, const pb_spec_opts *o) {
    if (!source) source = "<spec>";
    if (!s || !text) return PB_ERR(PB_EINVAL, "%s: pb_spec_parse: NULL spec or text", source);
    memset(s, 0, sizeof *s);
    s->path = strdup(source);
    s->text = strdup(text);
    if (!s->path || !s->text) {
        pb_spec_free(s);
        return PB_ERR(PB_ENOMEM, "%s: spec text", source);
    }
    sp_ctx c = {.s = s, .src = s->path, .o = o};
    int r = parse_spec(&c, text);
    pb_runconfig_node_free(c.root);
    free(c.task_nodes);
    for (int a = 0; a < N_AX; a++) free(c.axv[a]);
    free(c.inc);
    free(c.exc);
    if (r < 0) pb_spec_free(s);
    return r;
}

int pb_spec_load(pb_spec *s, const char *path, const pb_spec_opts *o) {
    if (!s || !path) return PB_ERR(PB_EINVAL, "pb_spec_load: NULL argument");
    memset(s, 0, sizeof *s);
    char *buf = NULL;
    PB_TRY(pb_runconfig_read_text(path, "spec", &buf));
    int r = 0;
    if (r == 0) r = pb_spec_parse(s, buf, path, o);
    free(buf);
    return r;
}

void pb_spec_free(pb_spec *s) {
    if (!s) return;
    free(s->name);
    free(s->path);
    free(s->text);
    for (size_t i = 0; i < s->n_tasks; i++) free(s->tasks[i]);
    free(s->tasks);
    for (size_t i = 0; i < s->n_cells; i++) cell_free(&s->cells[i]);
    free(s->cells);
    memset(s, 0, sizeof *s);
}

int pb_spec_shard(const pb_spec *s, int i, int n, size_t **idx, size_t *n_idx) {
    if (!s || !idx || !n_idx) return PB_ERR(PB_EINVAL, "pb_spec_shard: NULL argument");
    *idx = NULL;
    *n_idx = 0;
    if (n < 1 || i < 0 || i >= n) return PB_ERR(PB_EINVAL, "shard %d of %d; expected 0 <= shard < count", i, n);
    if (s->n_cells == 0) return 0;
    unsigned char *take = calloc(s->n_cells, 1);
    if (!take) return PB_ERR(PB_ENOMEM, "pb_spec_shard: %zu cells", s->n_cells);
    size_t count = 0;
    for (size_t k = (size_t)i; k < s->n_cells; k += (size_t)n) {
        take[k] = 1;
        long t = s->cells[k].teacher;
        if (t >= 0) take[t] = 1;
    }
    for (size_t k = 0; k < s->n_cells; k++) count += take[k];
    if (count) {
        *idx = malloc(count * sizeof **idx);
        if (!*idx) {
            free(take);
            return PB_ERR(PB_ENOMEM, "pb_spec_shard: %zu indices", count);
        }
        for (size_t k = 0; k < s->n_cells; k++)
            if (take[k]) (*idx)[(*n_idx)++] = k;
    }
    free(take);
    return 0;
}
