/* The figures of an experiment from its experiment file (see figures.h). */
#include "figures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_error.h"
#include "stats.h"

/* The variant axes: what distinguishes two pruned cells of one method. */
enum { AX_EMB = 0, AX_HEAD, AX_KD, AX_RECIPE, AX_MASK, AX_N };
static const char *const ax_names[AX_N] = {"embeddings", "head", "kd", "recipe", "mask"};

static int is_pruned(const pb_table_cell *c) {
    return c->method && strcmp(c->method, "dense") != 0;
}

static int str_eq(const char *a, const char *b) {
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static int ax_equal(const pb_table_cell *x, const pb_table_cell *y, int a) {
    switch (a) {
    case AX_EMB: return x->embeddings == y->embeddings;
    case AX_HEAD: return x->head == y->head;
    case AX_KD:
        return x->kd == y->kd && (!x->kd || (x->kd_temperature == y->kd_temperature && x->kd_hardness == y->kd_hardness));
    case AX_RECIPE: return str_eq(x->recipe, y->recipe);
    default: return str_eq(x->mask, y->mask);
    }
}

static void ax_label(const pb_table_cell *c, int a, char *buf, size_t cap) {
    switch (a) {
    case AX_EMB: snprintf(buf, cap, "emb %s", c->embeddings == 1 ? "pruned" : "kept"); return;
    case AX_HEAD: snprintf(buf, cap, "head %s", c->head == 1 ? "pruned" : "kept"); return;
    case AX_KD:
        if (c->kd) snprintf(buf, cap, "KD T=%g h=%g", (double)c->kd_temperature, (double)c->kd_hardness);
        else snprintf(buf, cap, "no KD");
        return;
    case AX_RECIPE: snprintf(buf, cap, "%s", c->recipe ? c->recipe : "-"); return;
    default: snprintf(buf, cap, "%s", c->mask ? c->mask : "-"); return;
    }
}

/* Does axis a take more than one value among the pruned cells? */
static int varies(const pb_table_cell *c, size_t n, int a) {
    const pb_table_cell *first = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!is_pruned(&c[i])) continue;
        if (!first) first = &c[i];
        else if (!ax_equal(first, &c[i], a)) return 1;
    }
    return 0;
}

void pb_figures_default_axes(const pb_table_cell *cells, size_t n, char *rows, size_t rows_cap, char *cols,
                             size_t cols_cap) {
    if (rows) {
        snprintf(rows, rows_cap, "task");
        for (int a = 0; a < AX_N; a++)
            if (varies(cells, n, a)) {
                size_t l = strlen(rows);
                snprintf(rows + l, rows_cap - l, ",%s", ax_names[a]);
            }
    }
    if (cols) snprintf(cols, cols_cap, "method,sparsity");
}

/* The value of metric `name` of cell c; NaN when failed or absent. */
static double metric_of(const pb_table_cell *c, const char *name) {
    if (c->failed || !name) return NAN;
    for (int k = 0; k < c->n_metrics; k++)
        if (!strcmp(c->metric_name[k], name)) return c->metric[k];
    return NAN;
}

/* The first metric name of task t's cells, or NULL. */
static const char *task_metric(const pb_table_cell *c, size_t n, const char *t) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(c[i].task, t) && !c[i].failed && c[i].n_metrics > 0) return c[i].metric_name[0];
    return NULL;
}

/* Mean of the dense cells of task t without KD (*k of them); NaN when none. */
static double dense_mean(const pb_table_cell *c, size_t n, const char *t, const char *metric, int *k_out) {
    double s = 0;
    int k = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_pruned(&c[i]) && !c[i].kd && !strcmp(c[i].task, t)) {
            const double v = metric_of(&c[i], metric);
            if (!isnan(v)) {
                s += v;
                k++;
            }
        }
    if (k_out) *k_out = k;
    return k ? s / k : NAN;
}

/* Distinct strings, in order of first appearance. */
typedef struct {
    char **v;
    size_t n;
} strset;

static int strset_add(strset *s, const char *x) {
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], x)) return (int)i;
    char **nv = realloc(s->v, (s->n + 1) * sizeof *nv);
    if (!nv) return PB_ERR(PB_ENOMEM, "figure labels");
    s->v = nv;
    if (!(s->v[s->n] = strdup(x))) return PB_ERR(PB_ENOMEM, "figure labels");
    return (int)s->n++;
}

static void strset_free(strset *s) {
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* Distinct sparsities (ascending) of the pruned cells of task t. */
static size_t sparsities(const pb_table_cell *c, size_t n, const char *t, double *out, size_t cap) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_pruned(&c[i]) || (t && strcmp(c[i].task, t))) continue;
        size_t j = 0;
        while (j < k && out[j] != c[i].sparsity) j++;
        if (j == k && k < cap) out[k++] = c[i].sparsity;
    }
    for (size_t a = 1; a < k; a++)
        for (size_t b = a; b > 0 && out[b - 1] > out[b]; b--) {
            double tmp = out[b];
            out[b] = out[b - 1];
            out[b - 1] = tmp;
        }
    return k;
}

/* A sparsity fraction as a percent with at most one decimal: 0.97 "97", 0.67232 "67.2". */
static void pct_str(double frac, char *buf, size_t cap) {
    snprintf(buf, cap, "%.1f", frac * 100.0);
    const size_t l = strlen(buf);
    if (l > 2 && !strcmp(buf + l - 2, ".0")) buf[l - 2] = '\0';
}

/* Series label of a pruned cell: its method and the varying axes' values. */
static void series_label(const pb_table_cell *c, const int *vary, char *buf, size_t cap) {
    snprintf(buf, cap, "%s", c->method);
    for (int a = 0; a < AX_N; a++)
        if (vary[a]) {
            char l[64];
            ax_label(c, a, l, sizeof l);
            size_t len = strlen(buf);
            snprintf(buf + len, cap - len, ", %s", l);
        }
}

/* Summary of the metric over cells matching (task, series label, sparsity). */
static int summarize(const double *v, int k, pb_stats_summary *out) {
    if (k == 0) {
        memset(out, 0, sizeof *out);
        out->mean = NAN;
        out->half_width = NAN;
        return 0;
    }
    return pb_stats_summarize(v, k, out);
}

enum { MAX_X = 32, REF_LABEL = 80 };

static int add_name(char ***names, size_t *n, const char *name) {
    char **nv = realloc(*names, (*n + 1) * sizeof *nv);
    if (!nv) return PB_ERR(PB_ENOMEM, "figure names");
    *names = nv;
    if (!(nv[*n] = strdup(name))) return PB_ERR(PB_ENOMEM, "figure names");
    (*n)++;
    return 0;
}

/* ---- what every metric panel shares: range, baselines, numbers of seeds ---------- */

/* The metric's range for the y axis (unknown metrics: unset). */
static pb_plot_range metric_range(const char *metric) {
    pb_plot_range r = {0, 0, 0};
    r.set = pb_table_metric_range(metric, &r.lo, &r.hi);
    return r;
}

/* The store's baselines of task t when they are in `metric` (accuracy and
 * accuracy_<suffix> use the accuracy baselines); NULL otherwise. */
static const pb_store_baseline *task_baseline(const pb_store *st, const char *t, const char *metric) {
    const pb_store_baseline *b = pb_store_find_baseline(st, t);
    if (!b || !metric) return NULL;
    const size_t k = strlen(b->metric);
    if (strncmp(metric, b->metric, k) || (metric[k] && metric[k] != '_')) return NULL;
    return b;
}

/* Per-panel reference-line labels: "chance 50.0", "majority 61.2", with the
 * panel's task appended when the panels' values differ (one shared legend). */
typedef struct {
    char chance[REF_LABEL], majority[REF_LABEL];
    double chance_y, majority_y;
    int has;
} panel_refs;

static void refs_fill(const pb_store *st, const char *const *tasks, const char *const *metrics, size_t n_tasks,
                      panel_refs *r) {
    for (size_t t = 0; t < n_tasks; t++) {
        const pb_store_baseline *b = task_baseline(st, tasks[t], metrics[t]);
        r[t].has = b != NULL;
        if (!b) continue;
        r[t].chance_y = b->chance;
        r[t].majority_y = b->majority;
        snprintf(r[t].chance, REF_LABEL, "chance %.1f", b->chance);
        snprintf(r[t].majority, REF_LABEL, "majority %.1f", b->majority);
    }
    for (int which = 0; which < 2; which++) {
        int differ = 0;
        const char *first = NULL;
        for (size_t t = 0; t < n_tasks; t++) {
            if (!r[t].has) continue;
            const char *l = which ? r[t].majority : r[t].chance;
            if (!first) first = l;
            else if (strcmp(first, l)) differ = 1;
        }
        for (size_t t = 0; differ && t < n_tasks; t++) {
            if (!r[t].has) continue;
            char *l = which ? r[t].majority : r[t].chance;
            const size_t len = strlen(l);
            snprintf(l + len, REF_LABEL - len, " (%s)", tasks[t]);
        }
    }
}

static pb_plot_hline hline_of(const panel_refs *r, int majority) {
    if (!r->has) return (pb_plot_hline){NULL, NAN};
    return majority ? (pb_plot_hline){r->majority, r->majority_y} : (pb_plot_hline){r->chance, r->chance_y};
}

/* Numbers of seeds behind each drawn value: one [lo, hi] per series and one
 * for the dense lines. */
typedef struct {
    int lo, hi;
} nrange;

static void nrange_add(nrange *r, int k) {
    if (k <= 0) return;
    if (!r->hi || k < r->lo) r->lo = k;
    if (k > r->hi) r->hi = k;
}

/* The n every drawn value shares, or 0 when they differ (or nothing is drawn). */
static int uniform_n(const nrange *series, size_t n_series, const nrange *dense) {
    int n = 0;
    for (size_t s = 0; s <= n_series; s++) {
        const nrange *r = s < n_series ? &series[s] : dense;
        if (!r->hi) continue;
        if (r->lo != r->hi || (n && n != r->lo)) return 0;
        n = r->lo;
    }
    return n;
}

/* "label (n=3)" or "label (n=2-3)". */
static void label_with_n(char *buf, size_t cap, const char *label, const nrange *r) {
    if (!r->hi) snprintf(buf, cap, "%s", label);
    else if (r->lo == r->hi) snprintf(buf, cap, "%s (n=%d)", label, r->lo);
    else snprintf(buf, cap, "%s (n=%d-%d)", label, r->lo, r->hi);
}

/* The figure title with what its values are: "base (n = 1 seed: no CI)",
 * "base (mean and 95% CI over n = 3 seeds)" or, when n differs, "base (mean
 * and 95% CI over seeds; n per series)". */
static void title_with_n(char *buf, size_t cap, const char *base, int n) {
    if (n == 1) snprintf(buf, cap, "%s (n = 1 seed: no CI)", base);
    else if (n > 1) snprintf(buf, cap, "%s (mean and 95%% CI over n = %d seeds)", base, n);
    else snprintf(buf, cap, "%s (mean and 95%% CI over seeds; n per series)", base);
}

/* ---- metric vs sparsity -------------------------------------------------------------- */

/* Each task's metric and reference lines; *ylabel the first metric, *mixed
 * set when tasks score by different metrics. */
static void task_metrics(const pb_store *st, const pb_table_cell *c, size_t n, const strset *tasks,
                         const char **metrics, panel_refs *refs, const char **ylabel, int *mixed) {
    for (size_t t = 0; t < tasks->n; t++) {
        metrics[t] = task_metric(c, n, tasks->v[t]);
        if (!*ylabel) *ylabel = metrics[t];
        else if (metrics[t] && strcmp(metrics[t], *ylabel)) *mixed = 1;
    }
    refs_fill(st, (const char *const *)tasks->v, metrics, tasks->n, refs);
}

static int fig_lines(const pb_store *st, const char *dir, const pb_plot_opts *o, char ***names, size_t *n_names) {
    const pb_table_cell *c = pb_store_cells(st);
    const size_t n = pb_store_count(st);
    int vary[AX_N];
    for (int a = 0; a < AX_N; a++) vary[a] = varies(c, n, a);
    strset tasks = {0}, series = {0};
    char lab[256];
    int rc = 0;
    int any = 0;
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        rc = strset_add(&tasks, c[i].task);
        if (rc >= 0 && is_pruned(&c[i])) {
            series_label(&c[i], vary, lab, sizeof lab);
            rc = strset_add(&series, lab);
            any = 1;
        }
    }
    rc = rc < 0 ? rc : 0;
    if (rc < 0 || !any) {
        strset_free(&tasks);
        strset_free(&series);
        return rc;
    }
    pb_plot_panel *panels = calloc(tasks.n, sizeof *panels);
    pb_plot_series *ser = calloc(tasks.n * series.n, sizeof *ser);
    pb_plot_point *pts = calloc(tasks.n * series.n * MAX_X, sizeof *pts);
    double *vals = calloc(n ? n : 1, sizeof *vals);
    nrange *sn = calloc(series.n, sizeof *sn);
    char (*slabel)[300] = calloc(series.n, sizeof *slabel);
    const char **metrics = calloc(tasks.n, sizeof *metrics);
    panel_refs *refs = calloc(tasks.n, sizeof *refs);
    char (*ptitle)[96] = calloc(tasks.n, sizeof *ptitle);
    if (!panels || !ser || !pts || !vals || !sn || !slabel || !metrics || !refs || !ptitle)
        rc = PB_ERR(PB_ENOMEM, "figure data");
    const char *ylabel = NULL;
    int mixed = 0;
    nrange dn = {0, 0};
    if (rc == 0) task_metrics(st, c, n, &tasks, metrics, refs, &ylabel, &mixed);
    for (size_t t = 0; rc == 0 && t < tasks.n; t++) {
        const char *metric = metrics[t];
        double xs[MAX_X];
        const size_t nx = sparsities(c, n, tasks.v[t], xs, MAX_X);
        /* each panel names its metric: tasks score differently */
        snprintf(ptitle[t], sizeof ptitle[t], "%s (%s)", tasks.v[t], metric ? metric : "no metric");
        panels[t].title = ptitle[t];
        panels[t].series = ser + t * series.n;
        panels[t].n_series = series.n;
        int kd = 0;
        panels[t].dense = dense_mean(c, n, tasks.v[t], metric, &kd);
        nrange_add(&dn, kd);
        panels[t].chance = hline_of(&refs[t], 0);
        panels[t].majority = hline_of(&refs[t], 1);
        panels[t].range = metric_range(metric);
        for (size_t sidx = 0; rc == 0 && sidx < series.n; sidx++) {
            pb_plot_series *ps = &ser[t * series.n + sidx];
            pb_plot_point *pp = pts + (t * series.n + sidx) * MAX_X;
            ps->label = slabel[sidx];
            ps->pts = pp;
            for (size_t x = 0; rc == 0 && x < nx; x++) {
                int k = 0;
                for (size_t i = 0; i < n; i++) {
                    if (!is_pruned(&c[i]) || strcmp(c[i].task, tasks.v[t]) || c[i].sparsity != xs[x]) continue;
                    series_label(&c[i], vary, lab, sizeof lab);
                    if (strcmp(lab, series.v[sidx])) continue;
                    const double v = metric_of(&c[i], metric);
                    if (!isnan(v)) vals[k++] = v;
                }
                if (k == 0) continue;
                nrange_add(&sn[sidx], k);
                pb_stats_summary sm;
                rc = summarize(vals, k, &sm);
                /* n = 1: no interval (half_width is NaN), so no band */
                const double h = sm.half_width;
                pp[ps->n++] = (pb_plot_point){xs[x] * 100.0, sm.mean, isfinite(h) ? sm.mean - h : NAN,
                                              isfinite(h) ? sm.mean + h : NAN};
            }
        }
    }
    /* n per figure when every value shares it, else per series (and on the dense line) */
    const int un = rc == 0 ? uniform_n(sn, series.n, &dn) : 0;
    char dlabel[64];
    label_with_n(dlabel, sizeof dlabel, "dense", &dn);
    for (size_t sidx = 0; rc == 0 && sidx < series.n; sidx++) {
        if (un) snprintf(slabel[sidx], sizeof slabel[sidx], "%s", series.v[sidx]);
        else label_with_n(slabel[sidx], sizeof slabel[sidx], series.v[sidx], &sn[sidx]);
    }
    for (size_t t = 0; rc == 0 && !un && t < tasks.n; t++) panels[t].dense_label = dlabel;
    char ylab[96], title[160];
    snprintf(ylab, sizeof ylab, "dev %s (%%)", mixed || !ylabel ? "score" : ylabel);
    title_with_n(title, sizeof title, "dev metric vs target sparsity", un);
    if (rc == 0) rc = pb_plot_lines(dir, "metric_vs_sparsity", title, "target sparsity (%)", ylab, panels, tasks.n, o);
    if (rc == 0) rc = add_name(names, n_names, "metric_vs_sparsity");
    free(ptitle);
    free(refs);
    free(metrics);
    free(slabel);
    free(sn);
    free(vals);
    free(pts);
    free(ser);
    free(panels);
    strset_free(&tasks);
    strset_free(&series);
    return rc;
}

/* ---- ablations ------------------------------------------------------------------------ */

/* The bar label of cell c in the ablation of `which` (AX_EMB: embeddings and head together). */
static void ablation_label(const pb_table_cell *c, int which, char *buf, size_t cap) {
    ax_label(c, which, buf, cap);
    if (which != AX_EMB) return;
    char head[64];
    ax_label(c, AX_HEAD, head, sizeof head);
    const size_t len = strlen(buf);
    snprintf(buf + len, cap - len, ", %s", head);
}

/* Ablation of `which` (AX_EMB standing for embeddings and head together). */
static int fig_ablation(const pb_store *st, const char *dir, const pb_plot_opts *o, int which, const char *name,
                        const char *what, char ***names, size_t *n_names) {
    const pb_table_cell *c = pb_store_cells(st);
    const size_t n = pb_store_count(st);
    const pb_table_cell *ref = NULL;
    for (size_t i = 0; i < n && !ref; i++)
        if (is_pruned(&c[i])) ref = &c[i];
    if (!ref) return 0;
    int held[AX_N];
    for (int a = 0; a < AX_N; a++) held[a] = varies(c, n, a);
    if (which == AX_EMB) held[AX_EMB] = held[AX_HEAD] = 0;
    else held[which] = 0;
    /* the cells of this ablation: the ref's method, the other varying axes at the ref's values */
    strset tasks = {0}, labels = {0};
    char lab[128];
    int rc = 0;
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        if (!is_pruned(&c[i]) || strcmp(c[i].method, ref->method)) continue;
        int keep = 1;
        for (int a = 0; a < AX_N && keep; a++)
            if (held[a] && !ax_equal(&c[i], ref, a)) keep = 0;
        if (!keep) continue;
        ablation_label(&c[i], which, lab, sizeof lab);
        rc = strset_add(&labels, lab);
        if (rc >= 0) rc = strset_add(&tasks, c[i].task);
    }
    rc = rc < 0 ? rc : 0;
    if (rc < 0 || labels.n < 2) {
        strset_free(&tasks);
        strset_free(&labels);
        return rc;
    }
    pb_plot_bars_panel *panels = calloc(tasks.n, sizeof *panels);
    char (*cats)[48] = calloc(tasks.n * MAX_X, sizeof *cats);
    const char **catp = calloc(tasks.n * MAX_X, sizeof *catp);
    double *mean = calloc(tasks.n * labels.n * MAX_X, sizeof *mean);
    double *half = calloc(tasks.n * labels.n * MAX_X, sizeof *half);
    double *vals = calloc(n ? n : 1, sizeof *vals);
    nrange *sn = calloc(labels.n, sizeof *sn);
    char (*slabel)[200] = calloc(labels.n, sizeof *slabel);
    const char **slabelp = calloc(labels.n, sizeof *slabelp);
    const char **metrics = calloc(tasks.n, sizeof *metrics);
    panel_refs *refs = calloc(tasks.n, sizeof *refs);
    char (*ptitle)[96] = calloc(tasks.n, sizeof *ptitle);
    if (!panels || !cats || !catp || !mean || !half || !vals || !sn || !slabel || !slabelp || !metrics || !refs ||
        !ptitle)
        rc = PB_ERR(PB_ENOMEM, "figure data");
    const char *ylabel = NULL;
    int mixed = 0;
    nrange dn = {0, 0};
    if (rc == 0) task_metrics(st, c, n, &tasks, metrics, refs, &ylabel, &mixed);
    for (size_t t = 0; rc == 0 && t < tasks.n; t++) {
        const char *metric = metrics[t];
        snprintf(ptitle[t], sizeof ptitle[t], "%s (%s)", tasks.v[t], metric ? metric : "no metric");
        double xs[MAX_X];
        const size_t nx = sparsities(c, n, tasks.v[t], xs, MAX_X);
        for (size_t x = 0; x < nx; x++) {
            /* the category says what the value is */
            char p[32];
            pct_str(xs[x], p, sizeof p);
            snprintf(cats[t * MAX_X + x], sizeof cats[0], "sparsity %s%%", p);
            catp[t * MAX_X + x] = cats[t * MAX_X + x];
        }
        double *m = mean + t * labels.n * MAX_X, *h = half + t * labels.n * MAX_X;
        for (size_t sidx = 0; rc == 0 && sidx < labels.n; sidx++)
            for (size_t x = 0; rc == 0 && x < nx; x++) {
                int k = 0;
                for (size_t i = 0; i < n; i++) {
                    if (!is_pruned(&c[i]) || strcmp(c[i].method, ref->method) || strcmp(c[i].task, tasks.v[t]) ||
                        c[i].sparsity != xs[x])
                        continue;
                    int keep = 1;
                    for (int a = 0; a < AX_N && keep; a++)
                        if (held[a] && !ax_equal(&c[i], ref, a)) keep = 0;
                    if (!keep) continue;
                    ablation_label(&c[i], which, lab, sizeof lab);
                    if (strcmp(lab, labels.v[sidx])) continue;
                    const double v = metric_of(&c[i], metric);
                    if (!isnan(v)) vals[k++] = v;
                }
                nrange_add(&sn[sidx], k);
                pb_stats_summary sm;
                rc = summarize(vals, k, &sm);
                m[sidx * nx + x] = sm.mean;
                h[sidx * nx + x] = sm.half_width; /* NaN for n = 1: no error bar */
            }
        panels[t].title = ptitle[t];
        panels[t].categories = catp + t * MAX_X;
        panels[t].n_categories = nx;
        panels[t].series_labels = slabelp;
        panels[t].n_series = labels.n;
        panels[t].mean = m;
        panels[t].half = h;
        int kd = 0;
        panels[t].dense = dense_mean(c, n, tasks.v[t], metric, &kd);
        nrange_add(&dn, kd);
        panels[t].chance = hline_of(&refs[t], 0);
        panels[t].majority = hline_of(&refs[t], 1);
        panels[t].range = metric_range(metric);
    }
    const int un = rc == 0 ? uniform_n(sn, labels.n, &dn) : 0;
    char dlabel[64];
    label_with_n(dlabel, sizeof dlabel, "dense", &dn);
    for (size_t sidx = 0; rc == 0 && sidx < labels.n; sidx++) {
        if (un) snprintf(slabel[sidx], sizeof slabel[sidx], "%s", labels.v[sidx]);
        else label_with_n(slabel[sidx], sizeof slabel[sidx], labels.v[sidx], &sn[sidx]);
        slabelp[sidx] = slabel[sidx];
    }
    for (size_t t = 0; rc == 0 && !un && t < tasks.n; t++) panels[t].dense_label = dlabel;
    char ylab[96], title[200];
    snprintf(ylab, sizeof ylab, "dev %s (%%)", mixed || !ylabel ? "score" : ylabel);
    title_with_n(title, sizeof title, what, un);
    if (rc == 0) rc = pb_plot_bars(dir, name, title, ylab, panels, tasks.n, o);
    if (rc == 0) rc = add_name(names, n_names, name);
    free(ptitle);
    free(refs);
    free(metrics);
    free(slabelp);
    free(slabel);
    free(sn);
    free(vals);
    free(half);
    free(mean);
    free(catp);
    free(cats);
    free(panels);
    strset_free(&tasks);
    strset_free(&labels);
    return rc;
}

/* ---- training curves --------------------------------------------------------------------- */

/* s with every byte outside [A-Za-z0-9._-] replaced by '-' (appended to buf). */
static void add_sanitized(char *buf, size_t cap, const char *s) {
    size_t l = strlen(buf);
    for (; s && *s && l + 1 < cap; s++) {
        const char ch = *s;
        const int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                       ch == '_' || ch == '-';
        buf[l++] = ok ? ch : '-';
    }
    buf[l] = '\0';
}

/* The curves figure's name: curves_<task>_<method>_<sparsity %>[_<recipe>]. */
static void curves_name(char *buf, size_t cap, const pb_table_cell *c, int with_recipe) {
    char p[32];
    pct_str(c->sparsity, p, sizeof p);
    snprintf(buf, cap, "curves_");
    add_sanitized(buf, cap, c->task);
    add_sanitized(buf, cap, "_");
    add_sanitized(buf, cap, c->method);
    add_sanitized(buf, cap, "_");
    add_sanitized(buf, cap, p);
    if (with_recipe) {
        add_sanitized(buf, cap, "_");
        add_sanitized(buf, cap, c->recipe ? c->recipe : "none");
    }
}

static int fig_curves(const pb_store *st, const char *dir, const pb_plot_opts *o, char ***names, size_t *n_names) {
    const pb_table_cell *c = pb_store_cells(st);
    const size_t n = pb_store_count(st);
    int rc = 0;
    strset recipes = {0};
    for (size_t i = 0; rc >= 0 && i < n; i++)
        if (is_pruned(&c[i])) rc = strset_add(&recipes, c[i].recipe ? c[i].recipe : "-");
    rc = rc < 0 ? rc : 0;
    const char *task = NULL;
    uint64_t seed = 0;
    for (size_t i = 0; i < n && !task; i++)
        if (is_pruned(&c[i])) {
            task = c[i].task;
            seed = c[i].seed;
        }
    for (size_t r = 0; rc == 0 && task && r < recipes.n; r++) {
        long best = -1;
        for (size_t i = 0; i < n; i++) {
            if (!is_pruned(&c[i]) || c[i].failed || strcmp(c[i].task, task) || c[i].seed != seed ||
                strcmp(c[i].recipe ? c[i].recipe : "-", recipes.v[r]))
                continue;
            if (best < 0 || c[i].sparsity > c[best].sparsity) best = (long)i;
        }
        if (best < 0) continue;
        float *loss = NULL, *lr = NULL, *sp = NULL;
        size_t steps = 0;
        if (pb_store_curves(st, (size_t)best, &loss, &lr, &sp, &steps) < 0) continue; /* a cell without curves */
        char name[160], title[256], p[32];
        curves_name(name, sizeof name, &c[best], recipes.n > 1);
        pct_str(c[best].sparsity, p, sizeof p);
        /* the variant the cell is, where the matrix holds several */
        char variant[160] = "";
        for (int a = 0; a < AX_N; a++) {
            if (a == AX_RECIPE || !varies(c, n, a)) continue;
            char l[64];
            ax_label(&c[best], a, l, sizeof l);
            size_t len = strlen(variant);
            snprintf(variant + len, sizeof variant - len, ", %s", l);
        }
        snprintf(title, sizeof title, "%s, %s to %s%% sparsity (%s recipe%s), seed %llu: training curves", task,
                 c[best].method, p, recipes.v[r], variant, (unsigned long long)seed);
        if (steps > 0) rc = pb_plot_curves(dir, name, title, loss, lr, sp, steps, 1, o);
        if (rc == 0 && steps > 0) rc = add_name(names, n_names, name);
        free(loss);
        free(lr);
        free(sp);
    }
    strset_free(&recipes);
    return rc;
}

static int fig_costs(const pb_store *st, const char *dir, const pb_plot_opts *o, char ***names, size_t *n_names) {
    const size_t n = pb_store_count(st);
    const pb_table_cell *c = pb_store_cells(st);
    for (size_t i = 0; i < n; i++) {
        char g[3][32];
        double ps[3], fs[3];
        if (pb_store_costs(st, i, g, ps, fs) < 0) continue;
        const char *groups[3] = {g[0], g[1], g[2]};
        char title[160];
        snprintf(title, sizeof title, "cost of each parameter group (%s model)", c[i].task);
        PB_TRY(pb_plot_costs(dir, "costs", title, groups, ps, fs, 3, o));
        return add_name(names, n_names, "costs");
    }
    return 0;
}

/* One pruned sparsity per task while an ablation axis varies: the bar figures
 * show it all, and a line plot over a single x would only suggest sparsities
 * that were never run. */
static int only_ablation(const pb_store *s) {
    const pb_table_cell *c = pb_store_cells(s);
    const size_t n = pb_store_count(s);
    if (!varies(c, n, AX_EMB) && !varies(c, n, AX_HEAD) && !varies(c, n, AX_KD) && !varies(c, n, AX_RECIPE))
        return 0;
    for (size_t i = 0; i < n; i++) {
        double xs[2];
        if (sparsities(c, n, c[i].task, xs, 2) > 1) return 0;
    }
    return 1;
}

int pb_figures_render(const pb_store *s, const char *dir, const pb_plot_opts *o, char ***names, size_t *n_names) {
    *names = NULL;
    *n_names = 0;
    int rc = only_ablation(s) ? 0 : fig_lines(s, dir, o, names, n_names);
    if (rc == 0)
        rc = fig_ablation(s, dir, o, AX_EMB, "ablation_emb_head", "pruning embeddings and head", names,
                          n_names);
    if (rc == 0)
        rc = fig_ablation(s, dir, o, AX_KD, "ablation_kd", "KD temperature and hardness", names,
                          n_names);
    if (rc == 0)
        rc = fig_ablation(s, dir, o, AX_RECIPE, "ablation_recipe", "scaled vs fixed recipes", names,
                          n_names);
    if (rc == 0) rc = fig_curves(s, dir, o, names, n_names);
    if (rc == 0) rc = fig_costs(s, dir, o, names, n_names);
    if (rc < 0) {
        for (size_t i = 0; i < *n_names; i++) free((*names)[i]);
        free(*names);
        *names = NULL;
        *n_names = 0;
    }
    return rc;
}
