/* Experiment spec: a method matrix in YAML, expanded into cells, each a fully
 * resolved run config (runconfig.h) with a content id.
 *
 *   name: classic                  # required; [a-z0-9_-]+
 *   model: {checkpoint: "${MODEL:-cache/model/bert-tiny}"}   # required; a run-config `model` mapping
 *   tasks: [spam, wn-pair, wn-span]                         # required, non-empty, registry names, no duplicates
 *   base:                          # optional: run-config keys of every cell: data, threads, train, prune, kd
 *     train: {epochs: 3, batch_size: 32, lr: 1e-3}
 *     prune: {method: magnitude, groups: [encoder], schedule: {kind: cubic, end_epoch: 2}, lr_schedule: cyclic}
 *     kd: {hardness: 1.0, temperature: 2.0}                 # KD settings; whether a cell uses KD: the kd axis
 *   overrides:                     # optional: per task (one of tasks), the same keys, merged over base
 *     wn-span: {train: {epochs: 4}}
 *     spam: {prune: null}          # null deletes: this task's cells are all dense
 *   matrix:                        # every axis optional; a scalar is a one-value list
 *     method: [dense, magnitude]   # dense: prune disabled; else prune.method (magnitude|random|movement|oneshot)
 *     sparsity: [0.8, 0.9]         # prune.schedule.final_sparsity, in (0, 1)
 *     embeddings: [no, yes]        # "embeddings" removed from / added to prune.groups
 *     head: [no, yes]              # "head" likewise
 *     kd: [off, {temperature: 2, hardness: 1}]   # off: kd disabled; on: kd enabled with base's
 *                                  # settings; a mapping (hardness, temperature): enabled, merged over base's kd
 *     recipe: [fixed, scaled]      # prune.recipe
 *     mask: [unstructured]         # prune.mask
 *     seed: [1, 2, 3]              # seed; default: the run config's (42)
 *   teacher_seed: first            # first (default): the first seed axis value; same: the cell's own seed
 *   include: [{method: magnitude, sparsity: 0.5, seed: 1}]          # extra cells (axis names, and task)
 *   exclude: [{method: dense, kd: {temperature: 2, hardness: 1}}]   # drop cells matching all given values
 *
 * ${VAR} and ${VAR:-default} in any scalar value (not keys) are replaced from
 * the environment (or the lookup of pb_spec_opts) before anything else; the
 * default applies when VAR is unset or empty, and a plain scalar keeps
 * resolving as YAML does (a plain "${EPOCHS:-3}" is the integer 3).
 *
 * Expansion: for each task in order, the cartesian product of the axes in the
 * order method, sparsity, embeddings, head, kd, recipe, mask, seed (seed
 * fastest); then each include (for its task, or every task when it names
 * none; an axis it omits takes the axis' first value). An absent axis leaves
 * the value of base/overrides. exclude drops any of these cells whose written
 * axis values (and task, when given) equal all of its values; mappings of kd
 * match when they have the same keys and numbers.
 *
 * A cell's run config = defaults <- base <- overrides[task] <- axis values,
 * with model, task and seed; mappings merge key by key, a null deletes, any
 * other value replaces. The prune axes (sparsity, embeddings, head, recipe,
 * mask) do not apply to a dense cell: method dense, overrides[task] with
 * prune: null, or no method axis and no prune mapping in base/overrides. Cells
 * whose resolved configs are equal are kept once (the first), so the dense
 * cells of a matrix collapse to one per (task, kd, seed).
 *
 * KD: a cell with kd enabled gets kd.teacher = "@cell:<id>", the id of the
 * dense cell of its task (base/overrides with prune and kd deleted) and the
 * seed of teacher_seed. That cell is added, marked teacher-only, just before
 * its first student when the matrix does not hold it; the runner maps the
 * reference to the teacher's model. base/overrides must not set kd.teacher.
 *
 * Cell id: the first 16 hex digits (all of them) of the 64-bit FNV-1a hash of
 * pb_runconfig_to_yaml's canonical text: equal resolved configs, equal ids.
 *
 * Errors read "<file>:<line>:<column>: <key path>: <problem>; expected ..."
 * with "(did you mean '<nearest>'?)" for close names; errors in base or
 * overrides carry their spec key path ("base.train.lrr"). */
#ifndef PB_SPEC_H
#define PB_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "runconfig.h"

typedef struct {
    /* The value of environment variable `name`, or NULL when unset. NULL fn: getenv. */
    const char *(*getenv_fn)(const char *name, void *ctx);
    void *ctx;
} pb_spec_opts;

typedef struct {
    char id[17]; /* 16 lowercase hex digits */
    char *task;
    /* Resolved axis values. Dense: method "dense", sparsity 0, embeddings and
     * head -1, recipe and mask NULL. kd 0: temperature and hardness 0. */
    char *method;    /* "dense", or the prune method's name */
    double sparsity; /* prune.schedule.final_sparsity (the float, widened) */
    int embeddings, head;
    int kd;
    float kd_temperature, kd_hardness;
    char *recipe; /* "fixed" | "scaled" */
    char *mask;   /* "unstructured" | "2:4" | "block4" */
    uint64_t seed;
    int is_teacher_only; /* added only as a KD teacher, not part of the matrix */
    long teacher;        /* index of the teacher cell in the cell array, -1 when no KD */
    pb_runconfig rc;     /* resolved; kd.teacher = "@cell:<id>" */
    char *yaml;          /* pb_runconfig_to_yaml(rc) */
} pb_spec_cell;

typedef struct {
    char *name;   /* the experiment name */
    char *path;   /* the source named in messages */
    char *text;   /* the spec text as read */
    char **tasks; /* in spec order */
    size_t n_tasks;
    int teacher_seed_same; /* teacher_seed: same */
    pb_spec_cell *cells;   /* expansion order; teachers before their students */
    size_t n_cells;
} pb_spec;

/* Parse and expand spec text; `source` names it in messages (NULL: "<spec>").
 * o may be NULL. On error *s is empty (pb_spec_free is still safe). */
int pb_spec_parse(pb_spec *s, const char *text, const char *source, const pb_spec_opts *o);
/* pb_spec_parse on a file's contents, with the path as the source. */
int pb_spec_load(pb_spec *s, const char *path, const pb_spec_opts *o);
void pb_spec_free(pb_spec *s);

/* Shard i of n (0 <= i < n): the cell indices with index % n == i, plus the
 * teachers of its KD cells, ascending without duplicates. The caller frees
 * *idx (NULL when *n_idx is 0). */
int pb_spec_shard(const pb_spec *s, int i, int n, size_t **idx, size_t *n_idx);

/* The 64-bit FNV-1a hash of text as 16 hex digits (the cell id). */
void pb_spec_hash_id(const char *text, char id[17]);

#endif
