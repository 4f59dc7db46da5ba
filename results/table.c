/* Result tables over seeds and reference values (see table.h). */
#include "table.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "pb_error.h"
#include "stats.h"

/* ---- growing string --------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
sb_printf(sbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int k = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && (size_t)k < room) {
            b->len += (size_t)k;
            return;
        }
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + (size_t)k + 1) cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

/* Text `s` escaped for the format: LaTeX specials, Markdown pipes. */
static void sb_text(sbuf *b, pb_table_format f, const char *s) {
    for (; *s; s++) {
        if (f == PB_TABLE_LATEX) {
            switch (*s) {
            case '%':
            case '_':
            case '&':
            case '#':
            case '$':
            case '{':
            case '}':
                sb_printf(b, "\\%c", *s);
                continue;
            case '~':
                sb_printf(b, "\\textasciitilde{}");
                continue;
            case '^':
                sb_printf(b, "\\textasciicircum{}");
                continue;
            case '\\':
                sb_printf(b, "\\textbackslash{}");
                continue;
            default:
                break;
            }
        } else if (*s == '|') {
            sb_printf(b, "\\|");
            continue;
        }
        sb_printf(b, "%c", *s);
    }
}

static const char *dash(pb_table_format f) {
    return f == PB_TABLE_LATEX ? "--" : "\xe2\x80\x93";
}
static const char *pct(pb_table_format f) {
    return f == PB_TABLE_LATEX ? "\\%" : "%";
}

/* The dagger that marks an entry whose interval is not shown. */
static const char *dagger(pb_table_format f) {
    return f == PB_TABLE_LATEX ? "$^\\dagger$" : "\xe2\x80\xa0";
}

static int name_is(const char *name, const char *want) {
    return !strcmp(name, want);
}

static int ends_with(const char *name, const char *suffix) {
    const size_t n = strlen(name), k = strlen(suffix);
    return n >= k && !strcmp(name + n - k, suffix);
}

int pb_table_metric_range(const char *name, double *lo, double *hi) {
    if (!name) return 0;
    double a, b;
    if (name_is(name, "accuracy") || !strncmp(name, "accuracy_", 9) || name_is(name, "f1") ||
        name_is(name, "exact_match") || name_is(name, "exact") || ends_with(name, "_f1") || ends_with(name, "_exact"))
        a = 0.0, b = 100.0;
    else if (name_is(name, "mcc") || name_is(name, "pearson") || name_is(name, "spearmanr"))
        a = -100.0, b = 100.0;
    else if (name_is(name, "perplexity"))
        a = 1.0, b = INFINITY;
    else
        return 0;
    if (lo) *lo = a;
    if (hi) *hi = b;
    return 1;
}

/* Two decimals without a "-0.00". */
static double fix0(double x) {
    return fabs(x) < 0.005 ? 0.0 : x;
}

/* ---- axes ------------------------------------------------------------------- */

enum { AX_TASK, AX_METHOD, AX_SPARSITY, AX_EMB, AX_HEAD, AX_KD, AX_RECIPE, AX_MASK, AX_N };
static const char *const axis_names[AX_N] = {"task", "method", "sparsity", "embeddings",
                                             "head", "kd",     "recipe",   "mask"};
#define AXIS_LIST "task, method, sparsity, embeddings, head, kd, recipe, mask"

typedef struct {
    const pb_table_cell *c;
    size_t n;
    const pb_table_opts *o;
    int *rank[AX_N]; /* first-appearance ranks of the string axes (NULL for the others) */
    int wide;                 /* some entry's interval was wider than its metric's range */
    unsigned long long wide_n; /* bit n: such an entry had n values (n < 64) */
    int wide_big;              /* such an entry had 64 or more */
} tctx;

static const char *cell_str(const pb_table_cell *c, int ax) {
    switch (ax) {
    case AX_TASK:
        return c->task;
    case AX_METHOD:
        return c->method;
    case AX_RECIPE:
        return c->recipe;
    default:
        return c->mask;
    }
}

static int str_eq(const char *a, const char *b) {
    return a == b || (a && b && !strcmp(a, b));
}

/* First-appearance ranks; the value that sorts first ("dense", NULL) gets -1. */
static void str_ranks(const pb_table_cell *c, size_t n, int ax, int *rank) {
    int next = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = cell_str(&c[i], ax);
        if (!s || (ax == AX_METHOD && !strcmp(s, "dense"))) {
            rank[i] = -1;
            continue;
        }
        rank[i] = -2;
        for (size_t j = 0; j < i; j++)
            if (rank[j] >= 0 && str_eq(s, cell_str(&c[j], ax))) {
                rank[i] = rank[j];
                break;
            }
        if (rank[i] == -2) rank[i] = next++;
    }
}

static int cmp_num(double a, double b) {
    return a < b ? -1 : a > b ? 1 : 0;
}

static int axis_cmp(const tctx *t, int ax, size_t i, size_t j) {
    const pb_table_cell *a = &t->c[i], *b = &t->c[j];
    switch (ax) {
    case AX_SPARSITY:
        return fabs(a->sparsity - b->sparsity) <= 1e-9 ? 0 : cmp_num(a->sparsity, b->sparsity);
    case AX_EMB:
        return cmp_num(a->embeddings, b->embeddings);
    case AX_HEAD:
        return cmp_num(a->head, b->head);
    case AX_KD: {
        int ka = a->kd != 0, kb = b->kd != 0;
        if (ka != kb) return ka - kb;
        if (!ka) return 0;
        int r = cmp_num(a->kd_temperature, b->kd_temperature);
        return r ? r : cmp_num(a->kd_hardness, b->kd_hardness);
    }
    default:
        return cmp_num(t->rank[ax][i], t->rank[ax][j]);
    }
}

static void axis_label(sbuf *b, const tctx *t, int ax, size_t i) {
    const pb_table_cell *c = &t->c[i];
    const pb_table_format f = t->o->format;
    switch (ax) {
    case AX_SPARSITY:
        sb_printf(b, "%.6g%s", c->sparsity * 100.0, pct(f));
        break;
    case AX_EMB:
    case AX_HEAD: {
        int v = ax == AX_EMB ? c->embeddings : c->head;
        sb_printf(b, "%s", v > 0 ? "yes" : v == 0 ? "no" : dash(f));
        break;
    }
    case AX_KD:
        if (!c->kd)
            sb_printf(b, "off");
        else
            sb_printf(b, "T=%g, h=%g", (double)c->kd_temperature, (double)c->kd_hardness);
        break;
    default: {
        const char *s = cell_str(c, ax);
        if (s)
            sb_text(b, f, s);
        else
            sb_printf(b, "%s", dash(f));
    }
    }
}

/* Lexicographic comparison over a list of axes. */
static int key_cmp(const tctx *t, const int *axes, int na, size_t i, size_t j) {
    for (int k = 0; k < na; k++) {
        int r = axis_cmp(t, axes[k], i, j);
        if (r) return r;
    }
    return 0;
}

/* Assign each cell the index of its distinct key (in sorted order) into of[];
 * the representative cell of each key into rep[]; returns the key count. */
static size_t distinct_keys(const tctx *t, const int *axes, int na, size_t *idx, size_t *of, size_t *rep) {
    for (size_t i = 0; i < t->n; i++) idx[i] = i;
    for (size_t i = 1; i < t->n; i++) { /* stable insertion sort: tables are small */
        size_t v = idx[i], j = i;
        while (j > 0 && key_cmp(t, axes, na, idx[j - 1], v) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
    size_t k = 0;
    for (size_t s = 0; s < t->n; s++) {
        if (s == 0 || key_cmp(t, axes, na, idx[s - 1], idx[s]) != 0) rep[k++] = idx[s];
        of[idx[s]] = k - 1;
    }
    return k;
}

static int parse_axes(const char *const *names, int n, int *axes, int *used, const char *what) {
    if (n < 0 || n > 8) return PB_ERR(PB_EINVAL, "table %s: %d axes; expected 0 to 8", what, n);
    for (int k = 0; k < n; k++) {
        int a = -1;
        for (int j = 0; j < AX_N && names[k]; j++)
            if (!strcmp(names[k], axis_names[j])) a = j;
        if (a < 0)
            return PB_ERR(PB_EINVAL, "table %s: unknown axis '%s'; expected one of " AXIS_LIST, what,
                          names[k] ? names[k] : "(null)");
        if (used[a]) return PB_ERR(PB_EINVAL, "table %s: axis '%s' is used twice", what, names[k]);
        used[a] = 1;
        axes[k] = a;
    }
    return 0;
}

/* ---- metrics and references -------------------------------------------------- */

/* The metric of cell i: o->metric, else its task's first metric (NULL if none). */
static const char *metric_of(const tctx *t, size_t i) {
    if (t->o->metric) return t->o->metric;
    for (size_t j = 0; j < t->n; j++)
        if (t->rank[AX_TASK][j] == t->rank[AX_TASK][i] && !t->c[j].failed && t->c[j].n_metrics > 0)
            return t->c[j].metric_name[0];
    return NULL;
}

/* Value of metric `name` of cell i into *v; 1 found, 0 absent. */
static int cell_value(const pb_table_cell *c, const char *name, double *v) {
    for (int k = 0; k < c->n_metrics && k < 4; k++)
        if (name && c->metric_name[k] && !strcmp(c->metric_name[k], name)) {
            *v = c->metric[k];
            return 1;
        }
    return 0;
}

static const pb_table_ref *find_ref(const pb_table_refs *r, int analog, const char *task, const char *method,
                                    double sparsity, const char *metric) {
    if (!r || !metric) return NULL;
    for (size_t k = 0; k < r->n; k++) {
        const pb_table_ref *e = &r->items[k];
        const char *et = analog ? e->analog : e->task;
        if (et && !strcmp(et, task) && !strcmp(e->method, method) && fabs(e->sparsity - sparsity) <= 1e-9 &&
            !strcmp(e->metric, metric))
            return e;
    }
    return NULL;
}

/* The paper's dense number for the reference `s`: same task, model, metric. */
static const pb_table_ref *ref_dense(const pb_table_refs *r, const pb_table_ref *s) {
    for (size_t k = 0; k < r->n; k++) {
        const pb_table_ref *e = &r->items[k];
        if (!strcmp(e->method, "dense") && !strcmp(e->task, s->task) && !strcmp(e->model, s->model) &&
            !strcmp(e->metric, s->metric))
            return e;
    }
    return NULL;
}

/* Mean of `metric` over the non-failed dense cells of cell i's task; NaN if none. */
static double our_dense_mean(const tctx *t, size_t i, const char *metric) {
    double sum = 0.0, v;
    int n = 0;
    for (size_t j = 0; j < t->n; j++) {
        const pb_table_cell *c = &t->c[j];
        if (t->rank[AX_TASK][j] != t->rank[AX_TASK][i] || c->failed || t->rank[AX_METHOD][j] != -1) continue;
        if (cell_value(c, metric, &v) && isfinite(v)) sum += v, n++;
    }
    return n ? sum / n : NAN;
}

static void ref_suffix(sbuf *b, const tctx *t, size_t first, const char *metric, int ok, double mean) {
    const pb_table_cell *c = &t->c[first];
    const pb_table_format f = t->o->format;
    const pb_table_ref *e = find_ref(t->o->refs, 0, c->task, c->method, c->sparsity, metric);
    if (e) {
        sb_printf(b, " [ref %.2f", e->value);
        if (ok) sb_printf(b, ", %s %+.2f", f == PB_TABLE_LATEX ? "$\\Delta$" : "\xce\x94", fix0(mean - e->value));
        sb_printf(b, "]");
        return;
    }
    e = find_ref(t->o->refs, 1, c->task, c->method, c->sparsity, metric);
    if (!e) return;
    sb_printf(b, " [");
    sb_text(b, f, e->task);
    if (!strcmp(c->method, "dense")) {
        sb_printf(b, " ref %.2f]", e->value);
        return;
    }
    const pb_table_ref *d = ref_dense(t->o->refs, e);
    const double ours_dense = our_dense_mean(t, first, metric);
    sb_printf(b, " retention: ref ");
    if (d && d->value != 0.0)
        sb_printf(b, "%.2f%s", e->value / d->value * 100.0, pct(f));
    else
        sb_printf(b, "%s", dash(f));
    sb_printf(b, ", ours ");
    if (ok && isfinite(ours_dense) && ours_dense != 0.0)
        sb_printf(b, "%.2f%s", mean / ours_dense * 100.0, pct(f));
    else
        sb_printf(b, "%s", dash(f));
    sb_printf(b, "]");
}

/* ---- rendering --------------------------------------------------------------- */

/* Text of the entry (row r, column col). */
static int render_entry(sbuf *b, tctx *t, const size_t *row_of, const size_t *col_of, size_t r, size_t col,
                        const int *free_axes, int n_free, double *vals) {
    const pb_table_format f = t->o->format;
    size_t first = t->n, total = 0;
    int failed = 0, ok = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (row_of[i] != r || col_of[i] != col) continue;
        if (first == t->n) first = i;
        for (int k = 0; k < n_free; k++)
            if (axis_cmp(t, free_axes[k], first, i) != 0) {
                sbuf l1 = {0}, l2 = {0};
                axis_label(&l1, t, free_axes[k], first);
                axis_label(&l2, t, free_axes[k], i);
                int rc = PB_ERR(PB_EINVAL,
                                "table: axis '%s' varies within one table entry (task %s: '%s' vs '%s'); add it to "
                                "rows or cols",
                                axis_names[free_axes[k]], t->c[i].task, l1.p ? l1.p : "", l2.p ? l2.p : "");
                free(l1.p);
                free(l2.p);
                return rc;
            }
        total++;
        if (t->c[i].failed) {
            failed++;
            continue;
        }
        const char *m = metric_of(t, i);
        double v;
        if (!cell_value(&t->c[i], m, &v))
            return PB_ERR(PB_EINVAL, "table: cell %zu (task %s, method %s, seed %llu) has no metric '%s'", i,
                          t->c[i].task, t->c[i].method, (unsigned long long)t->c[i].seed, m ? m : "(none)");
        if (!isfinite(v))
            return PB_ERR(PB_EINVAL, "table: cell %zu (task %s, seed %llu): metric '%s' is not finite", i, t->c[i].task,
                          (unsigned long long)t->c[i].seed, m);
        vals[ok++] = v;
    }
    if (total == 0) {
        sb_printf(b, "%s", dash(f));
        return 0;
    }
    double mean = NAN;
    if (ok == 0) {
        sb_printf(b, "failed (%d/%zu)", failed, total);
    } else {
        pb_stats_summary s;
        PB_TRY(pb_stats_summarize(vals, ok, &s));
        mean = s.mean;
        double lo, hi;
        const int wide = ok > 1 && pb_table_metric_range(metric_of(t, first), &lo, &hi) &&
                         2.0 * s.half_width > hi - lo;
        if (ok == 1)
            sb_printf(b, "%.2f (n=1)", fix0(s.mean));
        else if (wide) {
            /* an interval wider than the metric's range says nothing: the mean and a footnote */
            sb_printf(b, "%.2f%s (n=%d)", fix0(s.mean), dagger(f), ok);
            t->wide = 1;
            if (ok < 64) t->wide_n |= 1ULL << ok;
            else t->wide_big = 1;
        } else
            sb_printf(b, "%.2f %s %.2f (n=%d)", fix0(s.mean), f == PB_TABLE_LATEX ? "$\\pm$" : "\xc2\xb1", s.half_width,
                      ok);
        if (failed) sb_printf(b, ", failed %d/%zu", failed, total);
    }
    if (t->o->refs) ref_suffix(b, t, first, metric_of(t, first), ok, mean);
    return 0;
}

static int render(sbuf *b, tctx *t, const int *raxes, const int *caxes, const int *free_axes, int n_free, size_t *mem) {
    const pb_table_opts *o = t->o;
    const pb_table_format f = o->format;
    size_t *idx = mem, *row_of = mem + t->n, *col_of = mem + 2 * t->n, *rrep = mem + 3 * t->n, *crep = mem + 4 * t->n;
    double *vals = (double *)(mem + 5 * t->n);
    size_t nr = distinct_keys(t, raxes, o->n_rows, idx, row_of, rrep);
    size_t nc = distinct_keys(t, caxes, o->n_cols, idx, col_of, crep);
    const char *sep = f == PB_TABLE_LATEX ? " & " : " | ";

    if (f == PB_TABLE_LATEX) {
        sb_printf(b, "%% requires \\usepackage{booktabs} (\\toprule, \\midrule, \\bottomrule)\n");
        if (o->title) {
            sb_printf(b, "\\begin{table}[ht]\n\\centering\n\\caption{");
            sb_text(b, f, o->title);
            sb_printf(b, "}\n");
        }
        sb_printf(b, "\\begin{tabular}{");
        for (int k = 0; k < o->n_rows; k++) sb_printf(b, "l");
        for (size_t k = 0; k < nc; k++) sb_printf(b, "r");
        sb_printf(b, "}\n\\toprule\n");
    } else {
        if (o->title) {
            sb_printf(b, "**");
            sb_text(b, f, o->title);
            sb_printf(b, "**\n\n");
        }
        sb_printf(b, "| ");
    }
    /* header: the row axis names, then each column's combination */
    for (int k = 0; k < o->n_rows; k++) sb_printf(b, "%s%s", k ? sep : "", axis_names[raxes[k]]);
    for (size_t c = 0; c < nc; c++) {
        sb_printf(b, "%s", sep);
        if (o->n_cols == 0) sb_text(b, f, o->metric ? o->metric : "value");
        for (int k = 0; k < o->n_cols; k++) {
            if (k) sb_printf(b, ", ");
            axis_label(b, t, caxes[k], crep[c]);
        }
    }
    if (f == PB_TABLE_LATEX) {
        sb_printf(b, " \\\\\n\\midrule\n");
    } else {
        sb_printf(b, " |\n|");
        for (size_t k = 0; k < (size_t)o->n_rows + nc; k++) sb_printf(b, "---|");
        sb_printf(b, "\n");
    }
    for (size_t r = 0; r < nr; r++) {
        if (f == PB_TABLE_MD) sb_printf(b, "| ");
        for (int k = 0; k < o->n_rows; k++) {
            if (k) sb_printf(b, "%s", sep);
            axis_label(b, t, raxes[k], rrep[r]);
        }
        for (size_t c = 0; c < nc; c++) {
            sb_printf(b, "%s", sep);
            PB_TRY(render_entry(b, t, row_of, col_of, r, c, free_axes, n_free, vals));
        }
        sb_printf(b, f == PB_TABLE_LATEX ? " \\\\\n" : " |\n");
    }
    if (f == PB_TABLE_LATEX) sb_printf(b, "\\bottomrule\n\\end{tabular}\n");
    if (t->wide) {
        /* the footnote of the entries whose interval is not shown, with their numbers of seeds */
        sb_printf(b, f == PB_TABLE_LATEX ? "\\par\\smallskip\n{\\footnotesize %s " : "\n%s ", dagger(f));
        sb_printf(b, "95%s interval wider than the metric's range: too few seeds (n=", pct(f));
        int k = 0;
        for (int n = 2; n < 64; n++)
            if (t->wide_n >> n & 1ULL) sb_printf(b, "%s%d", k++ ? ", " : "", n);
        if (t->wide_big) sb_printf(b, "%s64 or more", k ? ", " : "");
        sb_printf(b, f == PB_TABLE_LATEX ? "); the mean alone is shown.}\n" : "); the mean alone is shown.\n");
    }
    if (f == PB_TABLE_LATEX && o->title) sb_printf(b, "\\end{table}\n");
    return b->oom ? PB_ERR(PB_ENOMEM, "table: out of memory") : 0;
}

int pb_table_render(const pb_table_cell *cells, size_t n, const pb_table_opts *o, char **out) {
    if (!out || !o || (n && !cells)) return PB_ERR(PB_EINVAL, "pb_table_render: NULL cells, options or output");
    *out = NULL;
    if (o->format != PB_TABLE_MD && o->format != PB_TABLE_LATEX)
        return PB_ERR(PB_EINVAL, "pb_table_render: unknown format %d", (int)o->format);
    int raxes[8], caxes[8], used[AX_N] = {0};
    PB_TRY(parse_axes(o->rows, o->n_rows, raxes, used, "rows"));
    PB_TRY(parse_axes(o->cols, o->n_cols, caxes, used, "cols"));
    if (o->n_rows < 1) return PB_ERR(PB_EINVAL, "table rows: no axis; expected at least one of " AXIS_LIST);
    for (size_t i = 0; i < n; i++)
        if (!cells[i].task || !cells[i].method)
            return PB_ERR(PB_EINVAL, "table: cell %zu has no %s", i, cells[i].task ? "method" : "task");
    int free_axes[AX_N], n_free = 0;
    for (int a = 0; a < AX_N; a++)
        if (!used[a]) free_axes[n_free++] = a;

    tctx t = {.c = cells, .n = n, .o = o};
    int rc = 0;
    sbuf b = {0};
    /* index arrays (5 n size_t) and the values of one entry (n doubles) */
    size_t *mem = malloc((n ? n : 1) * (5 * sizeof(size_t) + sizeof(double)));
    const int str_axes[4] = {AX_TASK, AX_METHOD, AX_RECIPE, AX_MASK};
    for (int k = 0; k < 4 && mem; k++) {
        t.rank[str_axes[k]] = malloc((n ? n : 1) * sizeof(int));
        if (!t.rank[str_axes[k]]) break;
        str_ranks(cells, n, str_axes[k], t.rank[str_axes[k]]);
    }
    if (!mem || !t.rank[AX_TASK] || !t.rank[AX_METHOD] || !t.rank[AX_RECIPE] || !t.rank[AX_MASK])
        rc = PB_ERR(PB_ENOMEM, "table: out of memory for %zu cells", n);
    else
        rc = render(&b, &t, raxes, caxes, free_axes, n_free, mem);
    for (int a = 0; a < AX_N; a++) free(t.rank[a]);
    free(mem);
    if (rc) {
        free(b.p);
        return rc;
    }
    *out = b.p;
    return 0;
}

/* ---- references YAML ----------------------------------------------------------- */

enum { RK_SOURCE, RK_MODEL, RK_TASK, RK_ANALOG, RK_METHOD, RK_SPARSITY, RK_METRIC, RK_VALUE, RK_N };
static const char *const ref_keys[RK_N] = {"source", "model",    "task",   "analog",
                                           "method", "sparsity", "metric", "value"};
#define REF_KEY_LIST "source, model, task, analog, method, sparsity, metric, value"

void pb_table_refs_free(pb_table_refs *r) {
    if (!r) return;
    for (size_t k = 0; k < r->n; k++) {
        pb_table_ref *e = &r->items[k];
        free(e->source), free(e->model), free(e->task), free(e->analog), free(e->method), free(e->metric);
    }
    free(r->items);
    r->items = NULL;
    r->n = 0;
}

static char *read_text(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    sbuf b = {0};
    char chunk[4096];
    size_t k;
    sb_printf(&b, "%s", "");
    while (!b.oom && (k = fread(chunk, 1, sizeof chunk, fp)) > 0) sb_printf(&b, "%.*s", (int)k, chunk);
    int bad = ferror(fp) || b.oom;
    fclose(fp);
    if (bad) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static int node_err(const char *path, const yaml_node_t *nd, int code, const char *what) {
    return PB_ERR(code, "%s:%d:%d: %s", path, (int)nd->start_mark.line + 1, (int)nd->start_mark.column + 1, what);
}

/* One mapping node into *e. */
static int load_entry(yaml_document_t *doc, yaml_node_t *map, const char *path, size_t index, pb_table_ref *e) {
    const int line = (int)map->start_mark.line + 1, col = (int)map->start_mark.column + 1;
    if (map->type != YAML_MAPPING_NODE)
        return PB_ERR(PB_EFORMAT, "%s:%d:%d: reference entry %zu: expected a mapping with keys " REF_KEY_LIST, path,
                      line, col, index + 1);
    e->line = line;
    const yaml_node_t *val[RK_N] = {0};
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(doc, p->key), *vn = yaml_document_get_node(doc, p->value);
        const int kl = (int)kn->start_mark.line + 1, kc = (int)kn->start_mark.column + 1;
        if (kn->type != YAML_SCALAR_NODE)
            return PB_ERR(PB_EFORMAT, "%s:%d:%d: reference entry %zu: expected a key name", path, kl, kc, index + 1);
        const char *key = (const char *)kn->data.scalar.value;
        int k = -1;
        for (int j = 0; j < RK_N; j++)
            if (!strcmp(key, ref_keys[j])) k = j;
        if (k < 0)
            return PB_ERR(PB_EFORMAT,
                          "%s:%d:%d: unknown key '%.60s' in reference entry %zu; expected one of " REF_KEY_LIST, path,
                          kl, kc, key, index + 1);
        if (val[k])
            return PB_ERR(PB_EFORMAT, "%s:%d:%d: key '%s' repeated in reference entry %zu", path, kl, kc, key,
                          index + 1);
        if (vn->type != YAML_SCALAR_NODE)
            return PB_ERR(PB_EFORMAT, "%s:%d:%d: key '%s': expected a single value", path, (int)vn->start_mark.line + 1,
                          (int)vn->start_mark.column + 1, key);
        val[k] = vn;
    }
    for (int k = 0; k < RK_N; k++)
        if (!val[k] && k != RK_ANALOG)
            return PB_ERR(PB_EFORMAT, "%s:%d:%d: reference entry %zu is missing key '%s'", path, line, col, index + 1,
                          ref_keys[k]);
    char **dst[RK_N] = {[RK_SOURCE] = &e->source, [RK_MODEL] = &e->model,   [RK_TASK] = &e->task,
                        [RK_ANALOG] = &e->analog, [RK_METHOD] = &e->method, [RK_METRIC] = &e->metric};
    for (int k = 0; k < RK_N; k++) {
        const yaml_node_t *vn = val[k];
        if (!vn) continue;
        const char *s = (const char *)vn->data.scalar.value;
        const int vl = (int)vn->start_mark.line + 1, vc = (int)vn->start_mark.column + 1;
        if (dst[k]) {
            if (!*s)
                return PB_ERR(PB_EFORMAT, "%s:%d:%d: key '%s': expected a non-empty string", path, vl, vc, ref_keys[k]);
            if (!(*dst[k] = strdup(s))) return PB_ERR(PB_ENOMEM, "%s: out of memory", path);
            continue;
        }
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || *end || errno == ERANGE || !isfinite(v))
            return PB_ERR(PB_EFORMAT, "%s:%d:%d: key '%s': '%.40s' is not a finite number", path, vl, vc, ref_keys[k],
                          s);
        if (k == RK_SPARSITY && !(v >= 0.0 && v < 1.0))
            return PB_ERR(PB_EFORMAT, "%s:%d:%d: key 'sparsity': %g is outside [0, 1)", path, vl, vc, v);
        if (k == RK_SPARSITY)
            e->sparsity = v;
        else
            e->value = v;
    }
    return 0;
}

static int load_doc(pb_table_refs *r, yaml_document_t *doc, const char *path) {
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (!root) return 0; /* an empty file: no references */
    if (root->type != YAML_SEQUENCE_NODE)
        return node_err(path, root, PB_EFORMAT, "expected a sequence of reference entries (\"- source: ...\")");
    size_t n = (size_t)(root->data.sequence.items.top - root->data.sequence.items.start);
    if (!n) return 0;
    r->items = calloc(n, sizeof *r->items);
    if (!r->items) return PB_ERR(PB_ENOMEM, "%s: out of memory for %zu references", path, n);
    for (size_t k = 0; k < n; k++) {
        r->n = k + 1; /* so that a failure frees what this entry holds */
        PB_TRY(load_entry(doc, yaml_document_get_node(doc, root->data.sequence.items.start[k]), path, k, &r->items[k]));
    }
    return 0;
}

int pb_table_refs_load(pb_table_refs *r, const char *path) {
    if (!r || !path) return PB_ERR(PB_EINVAL, "pb_table_refs_load: NULL references or path");
    r->items = NULL;
    r->n = 0;
    char *text = read_text(path);
    if (!text) return PB_ERR(PB_EIO, "%s: cannot read: %s", path, strerror(errno));
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        free(text);
        return PB_ERR(PB_ENOMEM, "%s: YAML parser", path);
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    yaml_document_t doc;
    int rc;
    if (!yaml_parser_load(&p, &doc)) {
        int line = 1, col = 1;
        if (p.error == YAML_READER_ERROR) { /* only a byte offset: count lines and characters up to it */
            for (size_t i = 0; i < p.problem_offset && text[i]; i++) {
                if (text[i] == '\n')
                    line++, col = 1;
                else if (((unsigned char)text[i] & 0xC0) != 0x80)
                    col++;
            }
        } else {
            line = (int)p.problem_mark.line + 1;
            col = (int)p.problem_mark.column + 1;
        }
        const char *problem = p.problem ? p.problem : "unknown problem";
        if (p.error == YAML_MEMORY_ERROR)
            rc = PB_ERR(PB_ENOMEM, "%s: YAML parser out of memory", path);
        else if (p.context)
            rc = PB_ERR(PB_EFORMAT, "%s:%d:%d: YAML syntax error: %s (%s at line %d, column %d)", path, line, col,
                        problem, p.context, (int)p.context_mark.line + 1, (int)p.context_mark.column + 1);
        else
            rc = PB_ERR(PB_EFORMAT, "%s:%d:%d: YAML syntax error: %s", path, line, col, problem);
    } else {
        rc = load_doc(r, &doc, path);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&p);
    free(text);
    if (rc) pb_table_refs_free(r);
    return rc;
}
