/* The figures of an experiment, fed from its HDF5 experiment file
 * (results/store.h) into the gnuplot figure kinds of plot.h:
 *
 *   metric_vs_sparsity  a panel per task: each task's first metric against the
 *                       target sparsity, one line per method and variant (the
 *                       axes embeddings, head, kd, recipe, mask that vary),
 *                       mean and 95% CI band over seeds; dense as a dashed line
 *   ablation_<axis>     for each of emb_head, kd, recipe that varies: grouped
 *                       bars per sparsity, one bar per value of that axis, the
 *                       other varying axes held at the first pruned cell's values
 *   curves_<id>         loss, learning rate and sparsity per step of the
 *                       highest-sparsity pruned cell of the first task and
 *                       seed (one per recipe when recipe varies)
 *   costs               share of parameters and of forward FLOPs per group
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
