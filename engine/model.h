/* BERT / RoBERTa encoder with task heads: parameters under Hugging Face names
 * and layouts, forward and backward over one allocation per lifetime class. */
#ifndef PB_MODEL_H
#define PB_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef enum {
    PB_HEAD_CLS = 0,  /* sequence classification: logits [n, num_labels] */
    PB_HEAD_REG = 1,  /* regression: logits [n, 1] */
    PB_HEAD_SPAN = 2, /* span extraction: logits [n, seq, 2] (start, end) */
    PB_HEAD_MC = 3,   /* multiple choice: logits [n, choices] */
    PB_HEAD_MLM = 4   /* masked LM: logits [n, seq, vocab] */
} pb_head_kind;

/* "cls", "reg", "span", "mc", "mlm" <-> enum. */
int pb_head_from_name(const char *name, pb_head_kind *out);
const char *pb_head_name(pb_head_kind head);

typedef struct {
    char *name;     /* Hugging Face name, e.g. bert.encoder.layer.0.attention.self.query.weight */
    int ndim;       /* 1 or 2 */
    int shape[2];   /* [out, in] for linear weights; [rows, dim] for embeddings */
    size_t numel;
    size_t offset;  /* into params / grads / masks memory, in floats */
    int decay;      /* AdamW weight decay applies (rank-2 tensors; not biases or LayerNorm) */
} pb_param;

/* Input batch. Rows = n * choices; every per-token array is [rows, seq]. */
typedef struct {
    int n;                          /* examples */
    int choices;                    /* 1 unless the head is multiple choice */
    int seq;                        /* tokens per row */
    const int32_t *input_ids;       /* [rows, seq] */
    const int32_t *attention_mask;  /* [rows, seq] of 0/1, or NULL for all ones */
    const int32_t *token_type_ids;  /* [rows, seq], or NULL for zeros */
    const int32_t *labels;          /* cls, mc: [n]; mlm: [n, seq] with -100 = ignore */
    const float *labels_f;          /* reg: [n] */
    const int32_t *start_positions; /* span: [n]; outside [0, seq) = ignore */
    const int32_t *end_positions;   /* span: [n] */
} pb_batch;

typedef struct pb_model_acts pb_model_acts; /* private activation layout */

typedef struct {
    pb_config cfg;
    pb_head_kind head;
    int max_rows, max_seq;   /* activation capacity */

    int n_params;
    pb_param *params;        /* table in a fixed order */
    char *name_pool;

    size_t n_floats;         /* total parameter count */
    float *params_mem;       /* lifetime: model */
    float *grads_mem;        /* lifetime: model; accumulated by backward */
    float *masks_mem;        /* NULL until pb_model_masks_enable; 1 keep, 0 pruned */
    size_t n_mask_floats;
    size_t *mask_offset;     /* per param: offset into masks_mem, or SIZE_MAX if not maskable */

    size_t n_act_floats;
    float *acts_mem;         /* lifetime: activations, sized from max_rows x max_seq */
    pb_model_acts *acts;

    /* state of the last forward */
    int rows, seq, n, choices;
    int training;
    uint64_t dropout_key;
    float *logits;           /* points into acts_mem; shape per head (see pb_head_kind) */
    size_t n_logits;
    /* Masked LM: with mlm_sparse set by the caller, a training forward with
     * labels scores only the labelled positions (as Google's BERT gathers its
     * masked positions): logits are [mlm_k, vocab], row k for flat token
     * mlm_rows[k] in order; the loss and gradients equal the full head's.
     * Otherwise (and for every evaluation forward) mlm_k = -1 and logits are
     * [n, seq, vocab]. */
    int mlm_sparse;
    int mlm_k;
    const int32_t *mlm_rows;
    float *dlogits;          /* gradient of the loss w.r.t. logits, filled by the loss */
} pb_model;

/* Allocate a model for `cfg` with `head`, able to run `max_rows` x `max_seq`.
 * Weights are zero until pb_model_init_weights or a checkpoint load. */
int pb_model_init(pb_model *m, const pb_config *cfg, pb_head_kind head, int max_rows, int max_seq);
void pb_model_free(pb_model *m);
/* Hugging Face initialization: normal(0, 0.02) weights, zero biases, LayerNorm 1/0. */
void pb_model_init_weights(pb_model *m, uint64_t seed);

/* Lookup by Hugging Face name; -1 if absent. */
int pb_model_find_param(const pb_model *m, const char *name);
static inline float *pb_model_param_data(pb_model *m, int i) { return m->params_mem + m->params[i].offset; }
static inline float *pb_model_grad_data(pb_model *m, int i) { return m->grads_mem + m->params[i].offset; }

/* Analytic memory in bytes of each lifetime class for this model. */
typedef struct { size_t params, grads, adam, masks, acts; } pb_model_memory;
pb_model_memory pb_model_memory_plan(const pb_model *m);
/* Forward FLOPs (multiply-add = 2) for rows x seq, for throughput figures. */
double pb_model_forward_flops(const pb_model *m, int rows, int seq);

/* Forward. training != 0 enables dropout with masks derived from dropout_key
 * (a counter-based generator: same key, same masks). Fills m->logits. */
int pb_model_forward(pb_model *m, const pb_batch *b, int training, uint64_t dropout_key);
/* Backward from m->dlogits (set by a loss); accumulates into grads_mem.
 * Masked weights get zero gradient. */
int pb_model_backward(pb_model *m);
void pb_model_zero_grad(pb_model *m);

/* Masks: one per rank-2 parameter (linear weights, embeddings). */
int pb_model_masks_enable(pb_model *m);
/* Mask of parameter i, or NULL when masks are off or the tensor is not maskable. */
float *pb_model_mask(pb_model *m, int i);
/* Zero the weights that their masks prune. */
void pb_model_apply_masks(pb_model *m);

#endif
