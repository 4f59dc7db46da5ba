/* The data interface between the trainer and the task registry. The engine
 * knows nothing of tasks: a task hands the trainer featurized batches and
 * scores a split's logits with its official metric through these callbacks. */
#ifndef PB_DATA_H
#define PB_DATA_H

#include <stdint.h>

#include "model.h"

enum { PB_SPLIT_TRAIN = 0, PB_SPLIT_DEV = 1, PB_SPLIT_TEST = 2 };

/* Arrays a task fills; capacity rows x seq, owned by the trainer. */
typedef struct {
    pb_batch b;         /* points into the arrays below */
    int cap_rows, cap_seq;
    int32_t *input_ids, *attention_mask, *token_type_ids, *labels, *start_positions, *end_positions;
    float *labels_f;
} pb_batch_buf;

int pb_batch_buf_init(pb_batch_buf *bb, int cap_rows, int cap_seq);
void pb_batch_buf_free(pb_batch_buf *bb);
/* Dynamic padding (as Hugging Face's padding collator): cut every row of the
 * filled batch bb->b to its longest real length (attention mask), repacking the per-token arrays (and masked-LM labels
 * when head is PB_HEAD_MLM) in place. The real tokens' outputs do not depend
 * on padding, so training loses nothing; logits then have the shorter seq. */
void pb_batch_trim_padding(pb_batch_buf *bb, pb_head_kind head);
/* The longest real length (attention mask) of rows [first, first + n) of b. */
int pb_batch_longest(const pb_batch *b, int first, int n);

enum { PB_METRICS_MAX = 4 };
typedef struct {
    int n;
    char name[PB_METRICS_MAX][32]; /* e.g. "accuracy", "f1" */
    double value[PB_METRICS_MAX];  /* in percent where the metric is a rate */
} pb_metrics;

typedef struct {
    void *ctx;
    const char *name;
    pb_head_kind head;
    int num_labels; /* classification classes */
    int choices;    /* multiple choice; 1 otherwise */
    int seq;        /* featurized length of every row */
    int vocab_size; /* smallest vocabulary the ids need */
    long (*count)(void *ctx, int split);
    /* Featurize examples idx[0..n) of `split` into bb (n <= bb->cap_rows / choices). */
    int (*fill)(void *ctx, int split, const long *idx, int n, pb_batch_buf *bb);
    /* Score the logits of a whole split, examples in order (shape per head for
     * count(split) examples), with the task's metric. */
    int (*evaluate)(void *ctx, int split, const float *logits, pb_metrics *out);
    /* Optional: a per-example summary of the logits, so that a whole split's
     * predictions fit in memory (MLM: seq x vocab scores become each token's
     * prediction and log-probability). When set, evaluate receives
     * reduce_stride floats per example, written by reduce for examples
     * [first, first + n) of split from their logits (model stride). */
    size_t reduce_stride;
    int (*reduce)(void *ctx, int split, long first, int n, const float *logits, size_t stride, float *out);
    void (*free)(void *ctx);
} pb_data_source;

#endif
