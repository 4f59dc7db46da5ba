/* Run config of one training cell: YAML in (libyaml), a resolved C struct, and
 * a canonical YAML text out (the harness hashes it as the cell id).
 *
 *   model: {checkpoint: path/to/model.h5}        # or a Hugging Face folder; or {init: random, config: {...}}
 *   task: toy                                     # prunebench tasks lists them
 *   data: {dir: path/to/glue/RTE, tokenizer: path/to/model-folder, doc_stride: 128, max_query_length: 64}
 *   seed: 1
 *   threads: 2
 *   train: {epochs: 4, batch_size: 16, max_seq_length: 32, group_by_length: false, lr: 1e-3, lr_final: 1e-4,
 *           weight_decay: 0.01,
 *           warmup_fraction: 0.0, max_grad_norm: 1.0, eval_every_epochs: 0, checkpoint_every_steps: 0}
 *   prune:                                        # absent or null: dense fine-tuning
 *     method: magnitude                           # magnitude | random | movement | oneshot
 *     scope: global                               # global | layer
 *     groups: [encoder]                           # encoder, embeddings, head, "re:<POSIX ERE>"
 *     mask: unstructured                          # unstructured | 2:4 | block4
 *     schedule: {kind: cubic, init_sparsity: 0.5, final_sparsity: 0.9, start_epoch: 1, end_epoch: 3,
 *                update_every_epochs: 0.5,        # kind: cubic | linear | constant | oneshot
 *                base_sparsity: 0.9}              # scaled recipes: the target the schedule is tuned for
 *     lr_schedule: cyclic                         # cyclic | linear | constant
 *     recipe: fixed                               # fixed | scaled
 *   kd: {teacher: path/to/teacher.h5, hardness: 1.0, temperature: 2.0}   # absent or null: no KD
 *
 * Required: model, task; within prune: schedule.final_sparsity; within kd:
 * teacher. Every other key has the default documented on its field below.
 *
 * The YAML subset: one document whose top level is a mapping; plain scalars
 * resolve as in YAML 1.1 / PyYAML (null: ~ null; booleans: true false yes no
 * on off, in lower, Title or UPPER case; integers: decimal; numbers: decimal
 * with optional fraction and exponent, so 1e-3 is a number). Quoted scalars
 * are always strings, so a number must be written plain. Anchors, aliases,
 * tags other than !!str, duplicate keys and unknown keys are rejected.
 * Errors read "<source>:<line>:<column>: <key path>: <problem>; expected
 * <what>" (1-based line and column), and unknown keys and enum values carry
 * "(did you mean '<nearest>'?)" when one is close. */
#ifndef PB_RUNCONFIG_H
#define PB_RUNCONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* The enums' YAML names are in the comments; pb_runconfig_enum_name maps back. */
typedef enum {
    PB_RUNCONFIG_METHOD_MAGNITUDE = 0, /* magnitude */
    PB_RUNCONFIG_METHOD_RANDOM,        /* random */
    PB_RUNCONFIG_METHOD_MOVEMENT,      /* movement */
    PB_RUNCONFIG_METHOD_ONESHOT        /* oneshot */
} pb_runconfig_method;

typedef enum { PB_RUNCONFIG_SCOPE_GLOBAL = 0 /* global */, PB_RUNCONFIG_SCOPE_LAYER /* layer */ } pb_runconfig_scope;

typedef enum {
    PB_RUNCONFIG_MASK_UNSTRUCTURED = 0, /* unstructured */
    PB_RUNCONFIG_MASK_2_4,              /* 2:4 */
    PB_RUNCONFIG_MASK_BLOCK4            /* block4 */
} pb_runconfig_mask;

typedef enum {
    PB_RUNCONFIG_SCHEDULE_CUBIC = 0, /* cubic */
    PB_RUNCONFIG_SCHEDULE_LINEAR,    /* linear */
    PB_RUNCONFIG_SCHEDULE_CONSTANT,  /* constant */
    PB_RUNCONFIG_SCHEDULE_ONESHOT    /* oneshot */
} pb_runconfig_schedule_kind;

typedef enum {
    PB_RUNCONFIG_LR_CYCLIC = 0, /* cyclic: rewinds to lr at every pruning step, decays to lr_final over the cycle */
    PB_RUNCONFIG_LR_LINEAR,     /* linear: lr -> lr_final over training (after warmup) */
    PB_RUNCONFIG_LR_CONSTANT    /* constant */
} pb_runconfig_lr_schedule;

typedef enum {
    PB_RUNCONFIG_RECIPE_FIXED = 0, /* fixed: the values as written */
    PB_RUNCONFIG_RECIPE_SCALED     /* scaled: length and schedules derived from the target sparsity (engine) */
} pb_runconfig_recipe;

/* For pb_runconfig_enum_name. */
typedef enum {
    PB_RUNCONFIG_ENUM_METHOD,
    PB_RUNCONFIG_ENUM_SCOPE,
    PB_RUNCONFIG_ENUM_MASK,
    PB_RUNCONFIG_ENUM_SCHEDULE,
    PB_RUNCONFIG_ENUM_LR_SCHEDULE,
    PB_RUNCONFIG_ENUM_RECIPE
} pb_runconfig_enum;

typedef struct {
    /* Exactly one of: checkpoint (weights and config from the file), or
     * init: random with config (weights from seed). */
    char *checkpoint;  /* model.checkpoint; NULL with init: random */
    int init_random;   /* model.init: random */
    char *config_json; /* model.config converted to compact JSON (keys in YAML order); NULL unless init_random */
    pb_config config;  /* config_json through pb_config_parse_json (validated); zero unless init_random */
} pb_runconfig_model;

typedef struct {
    int epochs;                 /* > 0; default 3 */
    int batch_size;             /* > 0; default 32 */
    int max_seq_length;         /* >= 0, 0 = the task's default (GLUE 128, SQuAD 384, RACE 512); default 0 */
    int group_by_length;        /* batches of similar lengths (Hugging Face's group_by_length); default false */
    float lr;                   /* > 0; default 5e-5 */
    float lr_final;             /* >= 0; default 0 */
    float weight_decay;         /* >= 0; default 0 */
    float warmup_fraction;      /* in [0, 1), of all training steps; default 0 */
    float max_grad_norm;        /* >= 0, 0 = no clipping; default 1 */
    float eval_every_epochs;    /* >= 0, 0 = only at the end; default 0 */
    int checkpoint_every_steps; /* >= 0, 0 = never; default 0 */
} pb_runconfig_train;

typedef struct {
    pb_runconfig_schedule_kind kind; /* default cubic */
    float init_sparsity;             /* in [0, 1); default 0; <= final_sparsity for cubic and linear */
    float final_sparsity;            /* in [0, 1); required */
    float start_epoch;               /* >= 0; default 0 */
    float end_epoch;                 /* >= start_epoch, and <= train.epochs with recipe fixed; default train.epochs */
    float update_every_epochs;       /* > 0; default 1 */
    /* recipe scaled: the target the schedule above is written for (its init,
     * window and cycles); the cell's final_sparsity is reached by scaling it
     * (engine/schedule.h pb_recipe_scale). In [0, 1), 0 = final_sparsity; default final_sparsity */
    float base_sparsity;
} pb_runconfig_schedule;

typedef struct {
    int enabled;                /* 0: the prune key is absent or null (dense fine-tuning, linear LR) */
    pb_runconfig_method method; /* default magnitude */
    pb_runconfig_scope scope;   /* default global */
    /* Parameter groups, without duplicates, in canonical order: embeddings,
     * encoder, head (those named), then "re:<POSIX extended regex>" patterns in
     * the order written (each compiles). Default ["encoder"]. */
    char **groups;
    size_t n_groups;
    pb_runconfig_mask mask;               /* default unstructured */
    pb_runconfig_schedule schedule;       /* required: schedule.final_sparsity */
    pb_runconfig_lr_schedule lr_schedule; /* default linear */
    pb_runconfig_recipe recipe;           /* default fixed */
} pb_runconfig_prune;

typedef struct {
    int enabled;       /* 0: the kd key is absent or null */
    char *teacher;     /* required when enabled */
    float hardness;    /* in [0, 1]; default 1 */
    float temperature; /* > 0; default 2 */
} pb_runconfig_kd;

/* Where a file-based task reads its data and tokenizer (generated tasks ignore it). */
typedef struct {
    char *dir;            /* data.dir: the folder of the task's upstream files; default none */
    char *tokenizer;      /* data.tokenizer: vocab.txt, tokenizer.json or a folder; default the model folder */
    int doc_stride;       /* >= 0, 0 = the task's default (128); span tasks */
    int max_query_length; /* >= 0, 0 = the task's default (64); span tasks */
} pb_runconfig_data;

typedef struct {
    pb_runconfig_model model; /* required */
    char *task;               /* task registry name; required */
    pb_runconfig_data data;
    uint64_t seed;            /* >= 0; default 42 */
    int threads;              /* >= 0, 0 = OMP_NUM_THREADS or all cores; default 0 */
    pb_runconfig_train train;
    pb_runconfig_prune prune;
    pb_runconfig_kd kd;
} pb_runconfig;

/* Every field at its default; strings NULL, no groups, prune and kd disabled.
 * Allocates nothing. */
void pb_runconfig_init(pb_runconfig *rc);
/* Free the owned strings and return *rc to pb_runconfig_init's state. */
void pb_runconfig_free(pb_runconfig *rc);

/* Parse YAML text; `source` names it in messages (NULL: "<yaml>"). *rc is
 * overwritten (not freed first). On error *rc is in pb_runconfig_init's state
 * and the message has source:line:column and the key path. */
int pb_runconfig_parse(pb_runconfig *rc, const char *yaml_text, const char *source);
/* A YAML file's text (at most 16 MiB, no NUL bytes) into *out (caller frees);
 * `what` names the file in messages ("run config", "spec"). */
int pb_runconfig_read_text(const char *path, const char *what, char **out);
/* pb_runconfig_parse on a file's contents, with the path as the source. */
int pb_runconfig_load(pb_runconfig *rc, const char *path);
/* Check ranges, enums, required strings and cross-field rules of a config
 * built in code (messages name the key path, with no location). */
int pb_runconfig_validate(const pb_runconfig *rc);
/* The canonical resolved YAML: every key written out with its value, in the
 * schema's order (prune and kd only when enabled); strings double-quoted;
 * floats in the shortest form that reads back to the same float; model.config
 * as the resolved Hugging Face config (pb_config_to_json's keys). Parsing it
 * gives the same struct, and writing that gives the same bytes. Validates
 * first. The caller frees *out with free(). */
int pb_runconfig_to_yaml(const pb_runconfig *rc, char **out);
/* The YAML name of an enum value ("2:4"), or NULL when out of range. */
const char *pb_runconfig_enum_name(pb_runconfig_enum which, int value);

/* ---- YAML trees and layered configs (the experiment spec, harness/spec.h) ----
 * The parsed YAML as a tree whose nodes keep their 1-based line and column, so
 * configs merged from several layers of one file still point into that file. */
typedef enum { PB_RUNCONFIG_NODE_SCALAR, PB_RUNCONFIG_NODE_MAP, PB_RUNCONFIG_NODE_SEQ } pb_runconfig_node_kind;

/* How a plain scalar resolves (quoted scalars are always strings). */
typedef enum {
    PB_RUNCONFIG_SCALAR_NULL,
    PB_RUNCONFIG_SCALAR_BOOL,
    PB_RUNCONFIG_SCALAR_INT,
    PB_RUNCONFIG_SCALAR_FLOAT,
    PB_RUNCONFIG_SCALAR_STRING
} pb_runconfig_scalar_type;

typedef struct pb_runconfig_node {
    pb_runconfig_node_kind kind;
    int quoted; /* scalar written quoted or block, or tagged !!str: always a string */
    char *text; /* scalar value, NUL-terminated (may hold NULs from escapes: see len) */
    size_t len;
    int line, col;                   /* 1-based start of the node */
    int layer;                       /* merged trees: 1-based layer the node came from; 0 otherwise */
    struct pb_runconfig_node **kids; /* map: key, value, key, value, ...; sequence: items */
    size_t n, cap;
} pb_runconfig_node;

/* YAML text to a tree with the same checks as pb_runconfig_parse's reader
 * (one document; no anchors, aliases, tags or duplicate keys). *root is NULL
 * for an empty document. Free with pb_runconfig_node_free. */
int pb_runconfig_tree_parse(const char *yaml_text, const char *source, pb_runconfig_node **root);
void pb_runconfig_node_free(pb_runconfig_node *n);
/* A node (text copied for scalars; NULL text = ""), or NULL when out of memory. */
pb_runconfig_node *pb_runconfig_node_new(pb_runconfig_node_kind kind, const char *text, int quoted, int line, int col);
/* Append kid to a mapping (key, then value) or sequence; kid is owned by the
 * parent, or freed on error (kid NULL: an out-of-memory error). */
int pb_runconfig_node_append(pb_runconfig_node *parent, pb_runconfig_node *kid);
/* Deep copy (NULL for NULL); layer > 0 tags every copied node with it. */
int pb_runconfig_node_copy(const pb_runconfig_node *n, int layer, pb_runconfig_node **out);
/* The value of `key` in a mapping, or NULL (also when map is not a mapping). */
const pb_runconfig_node *pb_runconfig_node_get(const pb_runconfig_node *map, const char *key);
/* Scalar helpers: the resolved type, null test (NULL node: 0), truth of a
 * boolean, value of an integer or number, and "a mapping", "a string"... */
pb_runconfig_scalar_type pb_runconfig_node_type(const pb_runconfig_node *n);
int pb_runconfig_node_is_null(const pb_runconfig_node *n);
int pb_runconfig_node_bool(const pb_runconfig_node *n);
double pb_runconfig_node_number(const pb_runconfig_node *n);
const char *pb_runconfig_node_desc(const pb_runconfig_node *n);
/* Deep-merge the mapping `over` into the mapping `dst`: mappings merge key by
 * key, a null deletes the key, any other value replaces. Copied nodes are
 * tagged `layer` (0: untouched). over NULL or null: nothing. */
int pb_runconfig_node_merge(pb_runconfig_node *dst, const pb_runconfig_node *over, int layer);
/* pb_runconfig_parse on a tree. An error at a node tagged layer L (1-based,
 * <= n_prefixes) gets prefixes[L-1] (may be NULL) before its key path, e.g.
 * "base." so that "train.lrr" reads "base.train.lrr". */
int pb_runconfig_parse_tree(pb_runconfig *rc, const pb_runconfig_node *root, const char *source,
                            const char *const *prefixes, size_t n_prefixes);
/* Merge layers[0..n) in order into one mapping (layer i tagged i+1, prefixes as
 * above) and parse it: defaults <- layers[0] <- layers[1] <- ... */
int pb_runconfig_parse_layers(pb_runconfig *rc, const pb_runconfig_node *const *layers, const char *const *prefixes,
                              size_t n, const char *source);
/* " (did you mean 'x'?)" for the nearest of names[0..n) when close, else "". */
void pb_runconfig_suggest(char *buf, size_t size, const char *s, const char *const *names, size_t n);

#endif
