/* Result tables: cells aggregated over seeds into mean +- 95% CI (Student t),
 * rendered as Markdown or LaTeX (booktabs), with published reference values
 * beside ours. Works on in-memory records; reading the HDF5 store is elsewhere.
 *
 * Layout. Rows are the distinct combinations of the row axes, columns the
 * distinct combinations of the column axes. Axis names: task, method,
 * sparsity, embeddings, head, kd, recipe, mask. Order: task and the other
 * string axes in first-appearance order (method "dense" first; recipe/mask
 * NULL first), numbers ascending, kd off first then by temperature and
 * hardness. Cells that agree on every row and column axis form one table
 * entry; within it every other axis except seed must be constant, else
 * PB_EINVAL naming the axis (add it to rows or cols).
 *
 * An entry: "81.23 ± 0.45 (n=3)" (mean ± t975(n-1)·sd/sqrt(n), 2 decimals,
 * n = cells with a metric); "81.23 (n=1)" (no interval); with failed cells
 * ", failed 1/3" is appended; all failed: "failed (3/3)"; no cells: "–".
 * An interval wider than the metric's range (pb_table_metric_range; e.g.
 * 73.44 ± 136.49 on a 0-100 metric) is not printed: the entry is "73.44† (n=2)"
 * and a footnote under the table says "† 95% interval wider than the
 * metric's range: too few seeds (n=2); the mean alone is shown." LaTeX writes
 * $\pm$, $\Delta$, $^\dagger$, "--" and escapes % _ & # $ { } ~ ^ \ in labels;
 * its first line is a comment naming the package it needs (booktabs), and
 * it compiles in a minimal document (article + booktabs).
 * Labels: sparsity as a percent ("90%"), embeddings/head yes/no/–, kd "off"
 * or "T=2, h=1", recipe/mask NULL as "–".
 *
 * Metric. opts->metric names it for every cell; NULL takes each task's first
 * metric (of its first non-failed cell in input order). A non-failed cell
 * without that metric is an error naming the task, seed and metric.
 *
 * References. With opts->refs, an entry looks up the first reference (file
 * order) whose method equals the entry's method exactly, whose sparsity equals
 * it (within 1e-9), whose metric equals the entry's metric, and whose task
 * equals the entry's task (a direct reference) or, failing any direct one,
 * whose analog equals the entry's task (an analog reference). Other axes (kd,
 * embeddings, head, recipe, mask) are not matched. Suffixes:
 *   direct:  " [ref 88.31, Δ -0.21]"  Δ = our mean - ref (no Δ if all failed);
 *   analog:  " [squad ref 88.31]" for a dense entry; for a sparse one the
 *            paper's retention next to ours, since task and model differ:
 *            " [squad retention: ref 99.74%, ours 93.33%]" where
 *            ref = ref sparse / ref dense * 100 (the dense reference: same
 *            task, model and metric, method "dense") and ours = our mean /
 *            our dense mean * 100 (our dense mean: every non-failed cell of the
 *            same task with method "dense", over all seeds and other axes).
 *            A missing dense side shows "–" in its place.
 * The YAML's method strings are matched exactly: our "magnitude" meets the
 * paper's GMP only where the YAML says method: magnitude. */
#ifndef PB_TABLE_H
#define PB_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* One published number (results/references.yaml). */
typedef struct {
    char *source; /* where it is published (paper, table) */
    char *model;  /* e.g. bert-base-uncased */
    char *task;   /* upstream task, e.g. squad */
    char *analog; /* our task that plays its role, or NULL */
    char *method; /* "dense" or a method string matched exactly */
    char *metric; /* metric name as our tasks spell it, e.g. f1, accuracy */
    double sparsity, value;
    int line; /* 1-based line of the entry in its file */
} pb_table_ref;

typedef struct {
    pb_table_ref *items;
    size_t n;
} pb_table_refs;

typedef struct {
    const char *task;     /* registry name, e.g. "wn-span" */
    const char *method;   /* "dense" or a prune method ("magnitude", ...) */
    double sparsity;      /* target in [0,1); 0 for dense */
    int embeddings, head; /* 1 pruned, 0 not, -1 not applicable (dense) */
    int kd;
    float kd_temperature, kd_hardness; /* kd 0 = off */
    const char *recipe;                /* "fixed" | "scaled" | NULL (dense) */
    const char *mask;                  /* "unstructured" | "2:4" | "block4" | NULL */
    uint64_t seed;
    int failed;
    const char *reason; /* a failed cell: no metrics */
    int n_metrics;
    const char *metric_name[4];
    double metric[4];
} pb_table_cell;

typedef enum { PB_TABLE_MD, PB_TABLE_LATEX } pb_table_format;

typedef struct {
    pb_table_format format;
    const char *rows[8]; /* axis names; at least one */
    int n_rows;
    const char *cols[8]; /* axis names; none gives one value column */
    int n_cols;
    const char *metric;        /* metric name; NULL = each task's first metric */
    const pb_table_refs *refs; /* may be NULL */
    const char *title;         /* optional: Markdown bold line, LaTeX table + caption */
} pb_table_opts;

/* The range metric `name` can take in its unit (percent for rates): [0, 100]
 * for accuracy, accuracy_*, f1, exact_match, exact, *_f1, *_exact; [-100,
 * 100] for mcc, pearson, spearmanr; [1, inf] for perplexity. 1 with *lo and
 * *hi set (either may be NULL), 0 for a metric of unknown range. */
int pb_table_metric_range(const char *name, double *lo, double *hi);

/* Render the table of cells[0..n) into *out (NUL-terminated; caller frees).
 * PB_EINVAL for an unknown or repeated axis, a non-constant axis, a missing
 * metric or a NaN metric; PB_ENOMEM. */
int pb_table_render(const pb_table_cell *cells, size_t n, const pb_table_opts *o, char **out);

/* Load references from the YAML file at path: a sequence of mappings with keys
 * source, model, task, method, sparsity, metric, value (required) and analog
 * (optional). Errors name path:line:col and the missing or unknown key. */
int pb_table_refs_load(pb_table_refs *r, const char *path);
void pb_table_refs_free(pb_table_refs *r);

#endif
