/* Figures: each call writes DIR/NAME.dat (the data), DIR/NAME.gp (a gnuplot
 * script a researcher can edit and rerun with `gnuplot NAME.gp` in DIR) and
 * runs gnuplot to render DIR/NAME.png (pngcairo) and DIR/NAME.svg. The four
 * files are staged under temporary names and renamed into place only after
 * gnuplot succeeded, so a failure leaves none of them (and no partial file).
 * Non-finite points are left out of the data (a failed cell is a gap, not a
 * zero). Output is deterministic: identical input gives identical bytes. */
#ifndef PB_PLOT_H
#define PB_PLOT_H

#include <stddef.h>

typedef struct {
    double x, y, lo, hi; /* lo/hi: 95% CI band; NaN = none */
} pb_plot_point;

typedef struct {
    const char *label; /* legend text; the same label has the same colour in every panel */
    const pb_plot_point *pts;
    size_t n;
} pb_plot_series;

/* A horizontal reference line across a panel: the task's chance or
 * majority-class baseline. label NULL = no line; else it is named in the
 * legend by its label (e.g. "chance 50.0"). */
typedef struct {
    const char *label;
    double y;
} pb_plot_hline;

/* The range the metric can take (e.g. accuracy 0..100): the y axis never
 * leaves it. set 0 = unknown. */
typedef struct {
    int set;
    double lo, hi;
} pb_plot_range;

/* The y axis of a metric panel: it starts at the chance line when nothing
 * drawn lies below it, else at 0 (or the range's bottom when values are
 * negative), never at an arbitrary value; its top is a little above the
 * highest value drawn, capped at the range's top. */
typedef struct {
    const char *title;
    const pb_plot_series *series;
    size_t n_series;
    double dense; /* NaN = none; else a dashed horizontal line, legend "dense" */
    pb_plot_hline chance, majority; /* dotted / dash-dotted lines, legend their labels */
    pb_plot_range range;
    const char *dense_label; /* legend text of the dense line; NULL = "dense" */
} pb_plot_panel;

typedef struct {
    const char *gnuplot; /* NULL: "gnuplot" on PATH */
    int width, height;   /* whole image in pixels; 0 = a default sized by the number of panels */
} pb_plot_opts;

/* Metric vs sparsity: a panel per task (grid wrapping at 3 columns), a
 * line+points per series with a light transparent CI band, one legend below
 * the grid. */
int pb_plot_lines(const char *dir, const char *name, const char *title, const char *xlabel, const char *ylabel,
                  const pb_plot_panel *panels, size_t n_panels, const pb_plot_opts *o);

typedef struct {
    const char *title;
    const char *const *categories; /* x axis groups */
    size_t n_categories;
    const char *const *series_labels; /* one bar per series within each category */
    size_t n_series;
    const double *mean; /* [n_series][n_categories]; NaN = no bar */
    const double *half; /* [n_series][n_categories] CI half-width, NaN = no error bar; NULL = none at all */
    double dense;       /* NaN = none */
    pb_plot_hline chance, majority; /* as pb_plot_panel */
    pb_plot_range range;            /* as pb_plot_panel: bars start at chance or 0 */
    const char *dense_label;        /* NULL = "dense" */
} pb_plot_bars_panel;

/* Grouped bars with error bars (ablations), a panel per task; the y axis
 * as for pb_plot_lines (bars rise from its bottom). */
int pb_plot_bars(const char *dir, const char *name, const char *title, const char *ylabel,
                 const pb_plot_bars_panel *panels, size_t n_panels, const pb_plot_opts *o);

/* Training curves of one cell: loss, learning rate and sparsity (fractions,
 * drawn in %) in three stacked panels sharing the step axis (step i+1 is
 * element i*stride). stride 0 means 1; the trainer's curves pass
 * curves+PB_CURVE_LOSS etc. with stride PB_CURVE_COLS. */
int pb_plot_curves(const char *dir, const char *name, const char *title, const float *loss, const float *lr,
                   const float *sparsity, size_t n_steps, size_t stride, const pb_plot_opts *o);

/* Cost vs benefit: share of parameters and of forward FLOPs per group
 * (fractions in [0, 1], drawn in % with value labels), grouped bars. */
int pb_plot_costs(const char *dir, const char *name, const char *title, const char *const *groups,
                  const double *param_share, const double *flop_share, size_t n_groups, const pb_plot_opts *o);

#endif
