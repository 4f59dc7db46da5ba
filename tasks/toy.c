/* toy: a generated sequence-classification task for tests and smoke runs.
 * Each example is [CLS] t1 .. tk [SEP] padding, k uniform in [seq/2 - 2,
 * seq - 2], tokens uniform over ids 8..63. The label says which of three
 * marker sets (ids 8-15, 16-23, 24-31) occurs most often (ties to the lower
 * set), so the rule needs counting across the sequence; 10% of labels are
 * flipped at random, so the best achievable accuracy is about 93%. Every
 * example is a pure function of (seed, split, index). Chance: 33.3%. */
#include <stdlib.h>
#include <string.h>

#include "pb_error.h"
#include "registry.h"
#include "rng.h"

enum { TOY_VOCAB = 64, TOY_CLS = 2, TOY_SEP = 3, TOY_PAD = 0, TOY_FIRST = 8, TOY_DEFAULT_SEQ = 32 };
static const long TOY_COUNT[3] = {2048, 512, 512};

typedef struct {
    uint64_t seed;
    int seq;
} toy_ctx;

static long toy_count(void *ctx, int split) {
    (void)ctx;
    return split >= 0 && split < 3 ? TOY_COUNT[split] : 0;
}

/* Example `i` of `split`: tokens into ids/mask (length seq), returns the label. */
static int toy_example(const toy_ctx *c, int split, long i, int32_t *ids, int32_t *mask) {
    const uint64_t key = pb_rng_key(pb_rng_key(c->seed, 0x70795ULL + (uint64_t)split), (uint64_t)i);
    const int lo = c->seq / 2 - 2 > 1 ? c->seq / 2 - 2 : 1, hi = c->seq - 2;
    const int k = lo + (int)(pb_rng_u64(key, 0) % (uint64_t)(hi - lo + 1));
    int counts[3] = {0, 0, 0};
    ids[0] = TOY_CLS;
    for (int t = 1; t <= k; t++) {
        int tok = TOY_FIRST + (int)(pb_rng_u64(key, (uint64_t)t + 1) % (TOY_VOCAB - TOY_FIRST));
        ids[t] = tok;
        if (tok < TOY_FIRST + 24) counts[(tok - TOY_FIRST) / 8]++;
    }
    ids[k + 1] = TOY_SEP;
    for (int t = 0; t < c->seq; t++) {
        if (t > k + 1) ids[t] = TOY_PAD;
        mask[t] = t <= k + 1;
    }
    int label = 0;
    for (int j = 1; j < 3; j++)
        if (counts[j] > counts[label]) label = j;
    if (pb_rng_uniform(key, 1000) < 0.1f) label = (label + 1 + (int)(pb_rng_u64(key, 1001) % 2)) % 3;
    return label;
}

static int toy_fill(void *ctx, int split, const long *idx, int n, pb_batch_buf *bb) {
    const toy_ctx *c = ctx;
    if (n > bb->cap_rows || c->seq > bb->cap_seq)
        return PB_ERR(PB_ERANGE, "toy: %d examples of %d tokens exceed the batch buffer %d x %d", n, c->seq, bb->cap_rows,
                      bb->cap_seq);
    for (int r = 0; r < n; r++) {
        if (idx[r] < 0 || idx[r] >= toy_count(ctx, split))
            return PB_ERR(PB_ERANGE, "toy: example %ld outside split %d of %ld", idx[r], split, toy_count(ctx, split));
        int32_t *ids = bb->input_ids + (size_t)r * c->seq, *mask = bb->attention_mask + (size_t)r * c->seq;
        bb->labels[r] = toy_example(c, split, idx[r], ids, mask);
        memset(bb->token_type_ids + (size_t)r * c->seq, 0, sizeof(int32_t) * (size_t)c->seq);
    }
    pb_batch b = {n, 1, c->seq, bb->input_ids, bb->attention_mask, bb->token_type_ids, bb->labels, NULL, NULL, NULL};
    bb->b = b;
    return 0;
}

static int toy_evaluate(void *ctx, int split, const float *logits, pb_metrics *out) {
    const toy_ctx *c = ctx;
    const long n = toy_count(ctx, split);
    int32_t ids[512], mask[512];
    long correct = 0;
    for (long i = 0; i < n; i++) {
        int label = toy_example(c, split, i, ids, mask);
        const float *l = logits + i * 3;
        int pred = 0;
        for (int j = 1; j < 3; j++)
            if (l[j] > l[pred]) pred = j;
        correct += pred == label;
    }
    memset(out, 0, sizeof *out);
    out->n = 1;
    strcpy(out->name[0], "accuracy");
    out->value[0] = 100.0 * (double)correct / (double)n;
    return 0;
}

static void toy_free(void *ctx) { free(ctx); }

int pb_task_toy_open(const char *name, const pb_task_opts *opts, pb_data_source *out) {
    (void)name;
    int seq = opts && opts->max_seq_length ? opts->max_seq_length : TOY_DEFAULT_SEQ;
    if (seq < 8 || seq > 512) return PB_ERR(PB_EINVAL, "toy: max_seq_length %d outside [8, 512]", seq);
    toy_ctx *c = malloc(sizeof *c);
    if (!c) return PB_ERR(PB_ENOMEM, "toy task");
    c->seed = opts ? opts->seed : 0;
    c->seq = seq;
    memset(out, 0, sizeof *out);
    out->ctx = c;
    out->name = "toy";
    out->head = PB_HEAD_CLS;
    out->num_labels = 3;
    out->choices = 1;
    out->seq = seq;
    out->vocab_size = TOY_VOCAB;
    out->count = toy_count;
    out->fill = toy_fill;
    out->evaluate = toy_evaluate;
    out->free = toy_free;
    return 0;
}
