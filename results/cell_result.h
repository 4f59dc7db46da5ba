/* The result file of one cell: one HDF5 file per cell, one schema for every
 * task kind (results/SCHEMA.md documents it: format "prunebench-cell-1").
 * It holds the resolved run config, the provenance, the final and per-eval
 * metrics, the per-step curves, the sparsity audit (pruned runs) and the
 * parameter / FLOP cost of the parameter groups. The write is atomic (temp
 * file, then rename) and carries no HDF5 timestamps, so the same inputs give
 * a byte-identical file. */
#ifndef PB_CELL_RESULT_H
#define PB_CELL_RESULT_H

#include <stdint.h>

#include "prune.h"
#include "trainer.h"

#define PB_CELL_RESULT_FORMAT "prunebench-cell-1"

/* Provenance of a cell. Strings are UTF-8. cell_id, task and model must be
 * non-empty and run_yaml non-NULL; every other string may be NULL (stored as ""). */
typedef struct {
    const char *run_yaml;   /* canonical resolved run config (YAML text) */
    const char *cell_id;    /* the cell's identifier within its experiment */
    const char *task;       /* task registry name */
    const char *model;      /* checkpoint path, or "init:random" */
    uint64_t seed;          /* stored as a decimal string (exact beyond 2^53) */
    int threads;            /* worker threads of the run */
    int seq_len;            /* featurized sequence length the costs are per */
    const char *blas_core;  /* OpenBLAS core name, e.g. "Haswell" */
    const char *host;       /* host name */
    const char *cpu_model;  /* e.g. /proc/cpuinfo "model name" */
    const char *git_commit; /* source revision of the binary */
    const char *data_sha256;  /* results/digest.h of the task's data folder; "" or NULL when none */
    const char *model_sha256; /* of the model it started from (file, or the folder's model and tokenizer files) */
    const char *start_time; /* ISO 8601, e.g. "2024-05-01T12:00:00Z" */
    const char *end_time;   /* ISO 8601 */
    /* loading the model (Hugging Face's loading info): the tensors of the file the model did
     * not use, and the model's tensors the file lacked (newly initialized), each as names
     * joined by ", "; NULL or "" when none */
    const char *unexpected_tensors;
    const char *missing_tensors;
} pb_cell_info;

/* Write the result of one cell to `path` (atomically; an existing file is
 * replaced). r->audit is written only when r->pruned. Every final metric and
 * every eval metric name must be non-empty, without '/', not "." and unique;
 * each eval must carry the same metric names as evals[0] (any order).
 * 0, or a PB_E* code whose message names the file and the dataset or
 * attribute; on failure no file and no temp file remain. */
int pb_cell_result_write(const char *path, const pb_cell_info *info, const pb_train_result *r,
                         const pb_group_cost costs[PB_PRUNE_N_GROUPS]);

/* Read the final metric metrics/<name> of the cell result at `path` into
 * *value. PB_ENOTFOUND (naming file and metric) when absent, PB_EFORMAT when
 * the file is not a prunebench-cell-1 result. */
int pb_cell_result_read_metric(const char *path, const char *name, double *value);

#endif
