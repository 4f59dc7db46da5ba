/* The experiment file: every cell of one experiment under one schema (format
 * "prunebench-experiment-1", results/SCHEMA.md part 2), and the reader that
 * tables and figures use. The writer gathers the cells' result files (format
 * "prunebench-cell-1") of a store folder into one HDF5 file, atomically (temp
 * file, then rename) and without HDF5 timestamps, so the same inputs give a
 * byte-identical file. */
#ifndef PB_STORE_H
#define PB_STORE_H

#include <stddef.h>

#include "table.h"

#define PB_STORE_FORMAT "prunebench-experiment-1"

/* One cell of the experiment as the harness knows it. */
typedef struct {
    const char *id;         /* 16 lowercase hex digits, unique in the experiment */
    pb_table_cell axes;     /* task, method (non-empty), sparsity, embeddings, head, kd, kd_temperature,
                               kd_hardness, recipe, mask (NULL = n/a), seed; failed/reason/metrics ignored */
    const char *teacher_id; /* the KD teacher cell's id, NULL when no KD */
    int teacher_only;       /* the cell exists only as a KD teacher */
    const char *run_yaml;   /* the resolved run config text (non-NULL) */
    const char *result_path; /* the cell's result.h5, or NULL when it has none */
    const char *error;      /* NULL, or why the cell failed (error.txt); makes the status "failed" */
} pb_store_entry;

/* Write the experiment file `path` (atomically; an existing file is replaced)
 * from the entries e[0..n) in that order. Status of a cell: "failed" (reason =
 * error) when error is set, else the result file's status ("done", "diverged"
 * or "stopped", with its reason), else "pending". A result_path that is
 * missing, not HDF5 or not a prunebench-cell-1 file is an error naming it.
 * 0, or a PB_E* code whose message names the file and the cell; on failure
 * neither the file nor its temp file remains. */
int pb_store_write_experiment(const char *path, const char *name, const char *spec_text, const pb_store_entry *e,
                              size_t n);

/* Trivial baselines of one task of the experiment (tasks/baseline.h), in
 * percent of `metric`: chance = 100 / classes, majority = the share of the
 * dev split's most frequent gold label (or gold choice index). */
typedef struct {
    const char *task;   /* task registry name (non-empty, unique among the baselines) */
    const char *metric; /* the metric they are values of, e.g. "accuracy" (non-empty) */
    int classes;        /* labels or choices, >= 2 */
    long examples;      /* dev examples counted, >= 1 */
    double chance, majority; /* percent, finite, in [0, 100] */
} pb_store_baseline;

/* pb_store_write_experiment plus the group /baselines, one row per b[0..n_b)
 * (none written when n_b is 0: the file is then the same as without). A bad
 * baseline is PB_EINVAL naming the file and the task. */
int pb_store_write_experiment_baselines(const char *path, const char *name, const char *spec_text,
                                        const pb_store_entry *e, size_t n, const pb_store_baseline *b, size_t n_b);

typedef struct pb_store pb_store;

/* Read the experiment file at `path` (every cell's axes, status and final
 * metrics; curves and costs on demand). PB_EFORMAT when it is not a
 * prunebench-experiment-1 file; errors name the file and the object. */
int pb_store_open(pb_store **s, const char *path);
void pb_store_close(pb_store *s);

size_t pb_store_count(const pb_store *s);
const char *pb_store_name(const pb_store *s);
const char *pb_store_spec(const pb_store *s);
/* The cells in file order as table records (strings owned by the store):
 * failed = status "failed" or "diverged" (reason set), metrics = the cell's
 * final metrics in the cell's order (none for pending and failed cells).
 * Callers making tables skip cells whose status is "pending". */
const pb_table_cell *pb_store_cells(const pb_store *s);
const char *pb_store_id(const pb_store *s, size_t i);
/* "done" | "diverged" | "stopped" | "failed" | "pending" */
const char *pb_store_status(const pb_store *s, size_t i);
/* The teacher's id ("" when no KD), the teacher-only flag and the run YAML of cell i. */
const char *pb_store_teacher(const pb_store *s, size_t i);
int pb_store_teacher_only(const pb_store *s, size_t i);
const char *pb_store_run(const pb_store *s, size_t i);

/* Per-step curves of cell i: loss, lr, sparsity (float32), each [*n], new
 * buffers the caller frees (non-NULL even when *n is 0). PB_ENOTFOUND when the
 * cell has no result. */
int pb_store_curves(const pb_store *s, size_t i, float **loss, float **lr, float **sparsity, size_t *n);
/* Costs of cell i: group names (encoder, embeddings, head), param_share and
 * flop_share. PB_ENOTFOUND when the cell has no result. */
int pb_store_costs(const pb_store *s, size_t i, char names[3][32], double param_share[3], double flop_share[3]);
/* Wall seconds and optimizer steps of cell i's training (any status with a
 * result; check pb_store_status for "done"). PB_ENOTFOUND when it has none. */
int pb_store_timing(const pb_store *s, size_t i, double *wall_seconds, double *steps);

/* The baselines of the file (strings owned by the store), in file order; a
 * file written without them (older files included) has none. */
size_t pb_store_baseline_count(const pb_store *s);
const pb_store_baseline *pb_store_baselines(const pb_store *s);
/* The baseline of `task`, or NULL when the file has none for it. */
const pb_store_baseline *pb_store_find_baseline(const pb_store *s, const char *task);

#endif
