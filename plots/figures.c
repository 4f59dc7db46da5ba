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

/* Mean of the dense cells of task t without KD; NaN when none. */
static double dense_mean(const pb_table_cell *c, size_t n, const char *t, const char *metric) {
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

enum { MAX_X = 32 };

static int add_name(char ***names, size_t *n, const char *name) {
    char **nv = realloc(*names, (*n + 1) * sizeof *nv);
    if (!nv) return PB_ERR(PB_ENOMEM, "figure names");
    *names = nv;
    if (!(nv[*n] = strdup(name))) return PB_ERR(PB_ENOMEM, "figure names");
    (*n)++;
    return 0;
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
    if (!panels || !ser || !pts || !vals) rc = PB_ERR(PB_ENOMEM, "figure data");
    const char *ylabel = NULL;
    int mixed = 0;
    char (*ptitle)[96] = calloc(tasks.n, sizeof *ptitle);
    if (!ptitle && rc == 0) rc = PB_ERR(PB_ENOMEM, "figure titles");
    for (size_t t = 0; rc == 0 && t < tasks.n; t++) {
        const char *metric = task_metric(c, n, tasks.v[t]);
        if (!ylabel) ylabel = metric;
        else if (metric && strcmp(metric, ylabel)) mixed = 1;
        double xs[MAX_X];
        const size_t nx = sparsities(c, n, tasks.v[t], xs, MAX_X);
        /* each panel names its metric: tasks score differently */
        snprintf(ptitle[t], sizeof ptitle[t], "%s (%s)", tasks.v[t], metric ? metric : "no metric");
        panels[t].title = ptitle[t];
        panels[t].series = ser + t * series.n;
        panels[t].n_series = series.n;
        panels[t].dense = dense_mean(c, n, tasks.v[t], metric);
        for (size_t sidx = 0; rc == 0 && sidx < series.n; sidx++) {
            pb_plot_series *ps = &ser[t * series.n + sidx];
            pb_plot_point *pp = pts + (t * series.n + sidx) * MAX_X;
            ps->label = series.v[sidx];
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
                pb_stats_summary sm;
                rc = summarize(vals, k, &sm);
                const double h = isnan(sm.half_width) ? NAN : sm.half_width;
                pp[ps->n++] = (pb_plot_point){xs[x] * 100.0, sm.mean, isnan(h) ? NAN : sm.mean - h,
                                              isnan(h) ? NAN : sm.mean + h};
            }
        }
    }
    char ylab[96];
    snprintf(ylab, sizeof ylab, "dev %s (%%)", mixed || !ylabel ? "score" : ylabel);
    if (rc == 0)
        rc = pb_plot_lines(dir, "metric_vs_sparsity", "dev metric vs target sparsity (mean and 95% CI over seeds)",
                           "target sparsity (%)", ylab, panels, tasks.n, o);
    if (rc == 0) rc = add_name(names, n_names, "metric_vs_sparsity");
    free(ptitle);
    free(vals);
    free(pts);
    free(ser);
    free(panels);
    strset_free(&tasks);
    strset_free(&series);
    return rc;
}

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
                        const char *title, char ***names, size_t *n_names) {
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
    char (*cats)[16] = calloc(tasks.n * MAX_X, sizeof *cats);
    const char **catp = calloc(tasks.n * MAX_X, sizeof *catp);
    double *mean = calloc(tasks.n * labels.n * MAX_X, sizeof *mean);
    double *half = calloc(tasks.n * labels.n * MAX_X, sizeof *half);
    double *vals = calloc(n ? n : 1, sizeof *vals);
    if (!panels || !cats || !catp || !mean || !half || !vals) rc = PB_ERR(PB_ENOMEM, "figure data");
    const char *ylabel = NULL;
    int mixed = 0;
    char (*ptitle)[96] = calloc(tasks.n, sizeof *ptitle);
    if (!ptitle && rc == 0) rc = PB_ERR(PB_ENOMEM, "figure titles");
    for (size_t t = 0; rc == 0 && t < tasks.n; t++) {
        const char *metric = task_metric(c, n, tasks.v[t]);
        if (!ylabel) ylabel = metric;
        else if (metric && strcmp(metric, ylabel)) mixed = 1;
        snprintf(ptitle[t], sizeof ptitle[t], "%s (%s)", tasks.v[t], metric ? metric : "no metric");
        double xs[MAX_X];
        const size_t nx = sparsities(c, n, tasks.v[t], xs, MAX_X);
        for (size_t x = 0; x < nx; x++) {
            snprintf(cats[t * MAX_X + x], sizeof cats[0], "%g%%", xs[x] * 100.0);
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
                pb_stats_summary sm;
                rc = summarize(vals, k, &sm);
                m[sidx * nx + x] = sm.mean;
                h[sidx * nx + x] = sm.half_width;
            }
        panels[t].title = ptitle[t];
        panels[t].categories = catp + t * MAX_X;
        panels[t].n_categories = nx;
        panels[t].series_labels = (const char *const *)labels.v;
        panels[t].n_series = labels.n;
        panels[t].mean = m;
        panels[t].half = h;
        panels[t].dense = dense_mean(c, n, tasks.v[t], metric);
    }
    char ylab[96];
    snprintf(ylab, sizeof ylab, "dev %s (%%)", mixed || !ylabel ? "score" : ylabel);
    if (rc == 0) rc = pb_plot_bars(dir, name, title, ylab, panels, tasks.n, o);
    if (rc == 0) rc = add_name(names, n_names, name);
    free(ptitle);
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
        char name[64], title[256];
        snprintf(name, sizeof name, "curves_%s", pb_store_id(st, (size_t)best));
        snprintf(title, sizeof title, "%s, %s to %g%% (%s recipe), seed %llu: training curves", task,
                 c[best].method, c[best].sparsity * 100.0, recipes.v[r], (unsigned long long)seed);
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

int pb_figures_render(const pb_store *s, const char *dir, const pb_plot_opts *o, char ***names, size_t *n_names) {
    *names = NULL;
    *n_names = 0;
    int rc = fig_lines(s, dir, o, names, n_names);
    if (rc == 0)
        rc = fig_ablation(s, dir, o, AX_EMB, "ablation_emb_head", "pruning embeddings and head (mean, 95% CI)", names,
                          n_names);
    if (rc == 0)
        rc = fig_ablation(s, dir, o, AX_KD, "ablation_kd", "KD temperature and hardness (mean, 95% CI)", names,
                          n_names);
    if (rc == 0)
        rc = fig_ablation(s, dir, o, AX_RECIPE, "ablation_recipe", "scaled vs fixed recipes (mean, 95% CI)", names,
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
