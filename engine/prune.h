/* Pruning: parameter groups selected by Hugging Face name patterns, scoring
 * methods behind a vtable, masks at a target sparsity (unstructured, 2:4,
 * 1x4 blocks; global or per-tensor), the per-tensor sparsity audit, and the
 * parameter and FLOP cost of each parameter group.
 *
 * Typical use by a trainer (which never names a method):
 *
 *     int sel[m.n_params];
 *     const char *groups[] = {"encoder"};
 *     pb_prune_select(&m, groups, 1, sel);
 *     pb_prune_spec spec = {"magnitude", PB_PRUNE_SCOPE_GLOBAL, PB_PRUNE_MASK_UNSTRUCTURED, sel, seed};
 *     pb_pruner_init(&p, &m, &spec);
 *     for each step: forward, loss, backward;
 *                    pb_pruner_observe(&p, &m);          // before the optimizer step
 *                    if (pruning step) pb_pruner_apply(&p, &m, schedule(step));
 *                    optimizer step                       // masked weights stay zero
 *     pb_pruner_free(&p);
 */
#ifndef PB_PRUNE_H
#define PB_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "model.h"

/* ---- parameter groups ------------------------------------------------------
 *
 * Only rank-2 tensors (linear weights, embedding tables) are ever selected;
 * biases and LayerNorm parameters never are, whatever a pattern matches.
 * Built-in groups, for both the `bert.` and `roberta.` prefixes:
 *   encoder     re:^(bert|roberta)\.encoder\.layer\.[0-9]+\.(attention\.self\.(query|key|value)|
 *                  attention\.output\.dense|intermediate\.dense|output\.dense)\.weight$
 *               (Q, K, V, attention output, intermediate and output weights of every layer)
 *   embeddings  re:^(bert|roberta)\.embeddings\.(word|position|token_type)_embeddings\.weight$
 *   head        every other rank-2 tensor: pooler.dense.weight and the task head weights
 *               (classifier.weight | classifier.dense/out_proj.weight, qa_outputs.weight,
 *               lm_head.dense.weight | cls.predictions.transform.dense.weight). The MLM
 *               decoder is tied to the word embedding, so it is in `embeddings`.
 * The three groups are disjoint and together hold every rank-2 tensor. */
typedef enum {
    PB_PRUNE_GROUP_ENCODER = 0,
    PB_PRUNE_GROUP_EMBEDDINGS = 1,
    PB_PRUNE_GROUP_HEAD = 2,
    PB_PRUNE_N_GROUPS = 3
} pb_prune_group;

const char *pb_prune_group_name(pb_prune_group g); /* "encoder", "embeddings", "head" */
int pb_prune_group_from_name(const char *name, pb_prune_group *out);
/* Group of parameter i into *group, or -1 when the tensor is not prunable (rank 1). */
int pb_prune_param_group(const pb_model *m, int i, int *group);

/* Select parameters: selected[m->n_params] gets 1 for every rank-2 tensor that
 * one of the n items names, else 0. An item is
 *   - a group name: encoder | embeddings | head;
 *   - "re:<POSIX extended regex>" matched against the Hugging Face name, anchored
 *     at the start like Python's re.match in SparseML recipes (not at the end
 *     unless the pattern ends with $);
 *   - otherwise the exact name of a parameter.
 * Errors (PB_EINVAL, selected all 0) name the item: a bad regex (with regerror's
 * reason), an item matching no parameter, or matching only rank-1 tensors. */
int pb_prune_select(const pb_model *m, const char *const *items, int n, int *selected);

/* ---- group costs -----------------------------------------------------------
 *
 * Per sequence of S = seq_len tokens, counting the forward matrix products
 * (multiply-add = 2 FLOPs): a linear weight [o, i] costs 2*o*i per token it is
 * applied to.
 *   encoder:    L * S * 2 * (4*H*H + 2*H*I)
 *   embeddings: 0 (lookups); with the MLM head the tied decoder is the word
 *               embedding, so its product S * 2*H*V counts here
 *   head:       pooler 2*H*H and cls/reg/mc classifiers (RoBERTa: dense 2*H*H +
 *               out_proj 2*H*C; BERT: 2*H*C; mc: 2*H) on one token per sequence;
 *               span S * 2*H*2 and the MLM transform S * 2*H*H on every token
 *   total:      the three groups + attention scores and context L * 4*S*S*H
 *               (not parameter FLOPs; softmax, GELU, LayerNorm are not counted)
 * Parameter shares are of all parameters, biases and LayerNorm included. */
typedef struct {
    const char *group;   /* group name */
    size_t params;       /* weights in the group */
    double param_share;  /* params / total_params */
    double flops;        /* forward FLOPs per sequence from the group's weights */
    double flop_share;   /* flops / total_flops */
    size_t total_params; /* every parameter of the model */
    double total_flops;  /* forward FLOPs per sequence, attention products included */
} pb_group_cost;

/* From the config alone (no allocation): out[PB_PRUNE_GROUP_*]. */
int pb_prune_group_costs_config(const pb_config *cfg, pb_head_kind head, int seq_len,
                                pb_group_cost out[PB_PRUNE_N_GROUPS]);
/* The same for a model (its cfg and head). */
int pb_prune_group_costs(const pb_model *m, int seq_len, pb_group_cost out[PB_PRUNE_N_GROUPS]);

/* ---- methods ---------------------------------------------------------------
 *
 * A method scores weights (higher = keep). Adding one is one file defining a
 * `const pb_prune_method pb_prune_method_<name>` plus one entry in the
 * PB_PRUNE_METHOD_LIST line of prune_methods.c; the trainer does not change.
 * The pruner takes care of everything else: it overrides the scores of weights
 * already pruned with -inf (masks never regrow), maps +-inf scores to +-FLT_MAX
 * and -0 to +0, rejects NaN scores naming the tensor, and applies the mask kind
 * and scope. Built-ins:
 *   magnitude  |w|
 *   random     uniform from pb_rng_uniform(pb_rng_key(seed, param_index), element):
 *              reproducible for a seed, independent of thread count
 *   movement   accumulated -w * dL/dw over observe calls (Sanh et al. 2020); the
 *              state is one float per selected weight, owned by the pruner
 *   oneshot    |w|, pruned once by the first pb_pruner_apply with target > 0;
 *              the masks are then fixed */
typedef struct {
    const pb_model *m;
    int param_index;      /* index into m->params */
    const pb_param *param;
    uint64_t seed;        /* the spec's seed */
    long observed;        /* observe calls so far */
} pb_prune_ctx;

typedef struct pb_prune_method pb_prune_method;
struct pb_prune_method {
    const char *name;
    const char *summary;
    size_t state_floats_per_weight; /* method state per selected weight, zeroed at init; 0 = none */
    int oneshot;                    /* prune once (first apply with target > 0), masks then fixed */
    /* Fill scores[n] of one tensor; w: weights, g: current gradients, state: this
     * tensor's state slice (NULL without state). 0 or a PB_E* code. */
    int (*score)(const pb_prune_ctx *ctx, const float *w, const float *g, const float *state, float *scores, size_t n);
    /* Called by pb_pruner_observe after each backward; NULL when nothing accumulates. */
    void (*observe)(const pb_prune_ctx *ctx, const float *w, const float *g, float *state, size_t n);
};

/* Registry lookup; NULL when unknown. */
const pb_prune_method *pb_prune_method_find(const char *name);
int pb_prune_method_count(void);
const pb_prune_method *pb_prune_method_at(int i); /* NULL out of range */

/* ---- pruner ---------------------------------------------------------------- */

typedef enum { PB_PRUNE_SCOPE_GLOBAL = 0, PB_PRUNE_SCOPE_LAYER = 1 } pb_prune_scope;
/* Mask kinds. Groups and blocks run along the input dimension: 4 consecutive
 * weights of a row of [out, in] (in % 4 == 0 is required, else init fails
 * naming the tensor).
 *   unstructured  any weight
 *   2:4           at most 2 of every group of 4 are pruned: the candidates of a
 *                 group are its 2 lowest scores, and the target is reached over
 *                 the candidates, so a gradual schedule may rise to 0.5; at
 *                 target 0.5 every group has exactly 2 zeros. Targets above 0.5
 *                 are an error.
 *   block4        1x4 blocks scored by the sum of their members' scores, pruned
 *                 or kept as a unit; round(target * blocks) blocks are pruned. */
typedef enum { PB_PRUNE_MASK_UNSTRUCTURED = 0, PB_PRUNE_MASK_NM24 = 1, PB_PRUNE_MASK_BLOCK4 = 2 } pb_prune_mask_kind;

int pb_prune_scope_from_name(const char *name, pb_prune_scope *out);    /* "global", "layer" */
const char *pb_prune_scope_name(pb_prune_scope s);
int pb_prune_mask_from_name(const char *name, pb_prune_mask_kind *out); /* "unstructured", "2:4", "block4" */
const char *pb_prune_mask_name(pb_prune_mask_kind k);

typedef struct {
    const char *method;        /* registry name */
    pb_prune_scope scope;
    pb_prune_mask_kind mask;
    const int *selected;       /* [m->n_params] 0/1, e.g. from pb_prune_select; copied at init */
    uint64_t seed;
} pb_prune_spec;

typedef struct {
    const pb_prune_method *method;
    pb_prune_scope scope;
    pb_prune_mask_kind mask;
    uint64_t seed;
    int model_n_params;  /* of the model at init; apply/observe check it */
    int n_sel;
    int *sel;            /* [n_sel] selected parameter indices, ascending */
    size_t *sel_off;     /* [n_sel + 1] offsets into the concatenated selected weights */
    size_t total;        /* selected weights */
    float *scores;       /* [total] workspace */
    float *blocks;       /* [total / 4] block scores (block4 only) */
    float *state;        /* [total * method->state_floats_per_weight], or NULL */
    size_t *hist;        /* [chunks * 2048] selection histograms */
    size_t *chunk_eq;    /* [chunks] */
    int chunks;          /* fixed partition count (thread count at init) */
    void *mem;           /* the one allocation */
    long observed, applied;
    int frozen;          /* oneshot method has pruned */
    double target;       /* last target applied */
} pb_pruner;

/* Validates the spec (method known, selection non-empty and rank-2 only, mask
 * kind fits every tensor), enables the model's masks and allocates the
 * workspace once. Masks already 0 at init count as pruned. */
int pb_pruner_init(pb_pruner *p, pb_model *m, const pb_prune_spec *spec);
void pb_pruner_free(pb_pruner *p);
/* After each backward (before the optimizer step): let the method accumulate
 * (movement). No-op for methods without observe. */
int pb_pruner_observe(pb_pruner *p, const pb_model *m);
/* Score the selected tensors and set their masks so the selection reaches
 * `target` in [0, 1], then pb_model_apply_masks.
 *   global scope: exactly round(target * total) weights pruned over all selected
 *                 tensors by one threshold;
 *   layer scope:  round(target * numel) in each tensor separately.
 * Ties in score are broken by (tensor index, element index): the earlier one is
 * pruned first. The selection is exact, O(n) (three radix-histogram passes),
 * allocates nothing, and its result does not depend on the thread count.
 * Masks never regrow: pruned weights score -inf, and a target below the current
 * sparsity leaves the masks as they are. */
int pb_pruner_apply(pb_pruner *p, pb_model *m, double target);
/* Method state of selected parameter i (its slice), or NULL. */
float *pb_pruner_state(pb_pruner *p, int param_index);

/* ---- audit ----------------------------------------------------------------- */

typedef struct {
    int param_index;
    const char *name;
    size_t numel;
    size_t nonzeros;   /* weights that are not exactly zero */
    double sparsity;   /* 1 - nonzeros / numel */
    double target;     /* the target this tensor was pruned to (global scope: the set's) */
} pb_audit_row;

typedef struct {
    pb_audit_row *rows; /* one per selected tensor, in table order */
    int n_rows;
    pb_prune_scope scope;
    pb_prune_mask_kind mask;
    double target;
    size_t selected_numel, selected_zeros;
    double selected_sparsity;
    size_t encoder_numel, encoder_zeros; /* over the encoder group, selected or not */
    double encoder_sparsity;
} pb_audit;

/* Count exact zeros of the weights of spec->selected (rows[] must hold
 * m->n_params entries) and of the encoder group. */
int pb_prune_audit(const pb_model *m, const pb_prune_spec *spec, double target, pb_audit_row *rows, pb_audit *out);
/* PB_ERANGE when the achieved sparsity misses the audit's target by more than
 * tol plus rounding (unit/numel per tensor in layer scope, unit/total over the
 * set in global scope; unit = 4 for block4, else 1). The message names the
 * worst tensor. */
int pb_prune_audit_check(const pb_audit *a, double tol);

#endif
