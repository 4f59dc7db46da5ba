/* The figures of an experiment, fed from its HDF5 experiment file
 * (results/store.h) into the gnuplot figure kinds of plot.h:
 *
 *   metric_vs_sparsity  a panel per task: each task's first metric against the
 *                       target sparsity, one line per method and variant (the
 *                       axes embeddings, head, kd, recipe, mask that vary),
 *                       mean and 95% CI band over seeds (no band where n = 1);
 *                       dense as a dashed line; not drawn when every task has
 *                       one pruned sparsity and an ablation axis varies (the
 *                       ablation bars show those cells)
 *   ablation_<axis>     for each of emb_head, kd, recipe that varies: grouped
 *                       bars per sparsity ("sparsity 67.2%"), one bar per value
 *                       of that axis, the other varying axes held at the first
 *                       pruned cell's values; error bars where n > 1
 *   curves_<task>_<method>_<sparsity %>[_<recipe>]
 *                       loss, learning rate and sparsity per step of the
 *                       highest-sparsity pruned cell of the first task and
 *                       seed (one per recipe, named with it, when recipe
 *                       varies); the name keeps only [A-Za-z0-9._-]
 *   costs               share of parameters and of forward FLOPs per group
 *
 * Metric panels (lines and bars) draw the task's chance and majority-class
 * lines when the experiment file has its baselines (pb_store_find_baseline)
 * in the panel's metric (accuracy), labelled in the legend "chance 50.0",
 * "majority 61.2" (with the task appended when panels differ); their y axis
 * starts at chance or 0 and stays within the metric's range
 * (pb_table_metric_range). The number of seeds is stated: in the title when
 * every drawn value shares it ("n = 1 seed: no CI", "over n = 3 seeds"),
 * else on each series' legend label ("magnitude (n=2-3)", "dense (n=3)").
 *
 * Failed cells are left out of means and intervals; a figure without data
 * (e.g. no pruned cell) is not drawn. */
#ifndef PB_FIGURES_H
#define PB_FIGURES_H

#include <stddef.h>

#include "plot.h"
#include "store.h"
#include "table.h"

/* Render every figure the store supports into dir; *names (caller frees each
 * and the array) lists the figure names written, each as NAME.png and NAME.svg. */
int pb_figures_render(const pb_store *s, const char *dir, const pb_plot_opts *o, char ***names, size_t *n_names);

/* Default table axes for cells: rows "task" plus every varying axis among
 * embeddings, head, kd, recipe, mask; columns "method,sparsity". A NULL
 * buffer is left alone. */
void pb_figures_default_axes(const pb_table_cell *cells, size_t n, char *rows, size_t rows_cap, char *cols,
                             size_t cols_cap);

#endif
