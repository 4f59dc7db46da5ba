/* Masked language modelling on a plain-text corpus (see mlm.h).
 *
 * Rows. Each line of train.txt / dev.txt / test.txt is tokenized; lines of
 * only whitespace (or that tokenize to nothing) are ignored, not treated as
 * document boundaries, as Hugging Face's run_mlm.py concatenates its texts
 * before cutting blocks. Lines are packed greedily into rows of the single-
 * segment template ([CLS] tokens [SEP] for BERT, <s> tokens </s> for
 * RoBERTa; pb_encoding_build without B) of at most max_seq_length tokens:
 * consecutive lines are concatenated while the next one fits; a line that
 * does not fit starts a new row; a line longer than a row fills whole rows
 * and its remainder starts the next row (which later lines may join). Rows
 * are kept unpadded in a pb_rowstore.
 *
 * Masking, as BERT's data creation and Hugging Face's
 * DataCollatorForLanguageModeling (mlm_probability 0.15): each non-special
 * token of a row is chosen independently with probability 0.15 (HF's
 * Bernoulli, so the count per row varies; the original BERT sampled a fixed
 * count); a chosen token becomes the mask token with probability 0.8, else a
 * random id uniform in [0, vocab) with probability 0.5 (HF's
 * torch.randint(len(tokenizer)) draws from the whole vocabulary, special
 * tokens included), else stays; labels are the original ids at chosen
 * positions and -100 elsewhere. Special positions are those of the template
 * ([CLS], [SEP], padding) and any [CLS] / [SEP] / [PAD] / [MASK] id inside the
 * text; an [UNK] from an unknown word may be chosen, as in run_mlm.py, whose
 * special_tokens_mask comes from the tokenizer's template.
 *
 * The masks are static: a pure function of (opts->seed, split, row) through
 * the counter-based generator of engine/rng.h, like the original BERT's
 * create_pretraining_data (which fixed the masks once per duplicate), whereas
 * HF's collator re-masks every time a batch is drawn. Static masks keep a run
 * reproducible whatever the batch order and thread count, and let evaluate
 * recompute the labels instead of storing them. Dev and test metrics are
 * therefore over the static masks of their split.
 *
 * Evaluation never holds [n, seq, vocab] logits: reduce keeps, per token, the
 * argmax prediction and the log-probability of the label (log-softmax in
 * double); evaluate reports "accuracy" (% of masked tokens predicted exactly)
 * and "perplexity" (exp of the mean negative log-likelihood over the masked
 * tokens, each token weighted equally; HF's run_mlm.py takes exp of its
 * eval loss, a mean of per-batch means, which weights batches equally). */
#include "mlm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_error.h"
#include "rng.h"
#include "taskutil.h"
#include "tok.h"

enum { MLM_SEQ_MIN = 8, MLM_SEQ_MAX = 8192, MLM_DEFAULT_SEQ = 128 };
static const uint64_t MLM_KEY = 0x6d6c6d6b6579ULL; /* stream of the masking draws */
static const float MLM_PROB = 0.15f, MLM_MASK_PROB = 0.8f, MLM_RANDOM_PROB = 0.5f;
static const char *const SPLIT_NAME[3] = {"train", "dev", "test"};

typedef struct {
    int seq;
    int32_t vocab;
    int n_after; /* template tokens after the text ([SEP]) */
    int32_t mask_id;
    int32_t special[4]; /* [CLS] [SEP] [PAD] [MASK] ids (-1 where absent) */
    uint64_t seed;
    pb_rowstore rows[3];
    char src[3][256];
} mlm_ctx;

static int is_special(const mlm_ctx *c, int32_t id) {
    for (int i = 0; i < 4; i++)
        if (c->special[i] >= 0 && id == c->special[i]) return 1;
    return 0;
}

/* Row r of split with its static masks applied: ids, attention mask, token
 * types and labels, each c->seq long. */
static void mlm_row(const mlm_ctx *c, int split, long r, int32_t *ids, int32_t *mask, int32_t *types, int32_t *labels) {
    const pb_rowstore *s = &c->rows[split];
    pb_rowstore_fill_row(s, r, ids, mask, types);
    const long n_tok = (long)(s->start[r + 1] - s->start[r]);
    const uint64_t key = pb_rng_key(pb_rng_key(pb_rng_key(c->seed, MLM_KEY), (uint64_t)split), (uint64_t)r);
    for (int t = 0; t < c->seq; t++) labels[t] = -100;
    for (long t = 1; t < n_tok - c->n_after; t++) {
        if (is_special(c, ids[t])) continue;
        const uint64_t i = 4 * (uint64_t)t;
        if (pb_rng_uniform(key, i) >= MLM_PROB) continue;
        labels[t] = ids[t];
        if (pb_rng_uniform(key, i + 1) < MLM_MASK_PROB)
            ids[t] = c->mask_id;
        else if (pb_rng_uniform(key, i + 2) < MLM_RANDOM_PROB)
            ids[t] = (int32_t)(pb_rng_u64(key, i + 3) % (uint64_t)c->vocab);
    }
}

static long mlm_count(void *ctx, int split) {
    const mlm_ctx *c = ctx;
    return split >= 0 && split < 3 ? c->rows[split].n : 0;
}

static int check_split(int split) {
    if (split < 0 || split > 2) return PB_ERR(PB_EINVAL, "mlm: split %d unknown", split);
    return 0;
}

static int mlm_fill(void *ctx, int split, const long *idx, int n, pb_batch_buf *bb) {
    const mlm_ctx *c = ctx;
    PB_TRY(check_split(split));
    if (n > bb->cap_rows || c->seq > bb->cap_seq)
        return PB_ERR(PB_ERANGE, "mlm: %d rows of %d tokens exceed the batch buffer %d x %d", n, c->seq, bb->cap_rows,
                      bb->cap_seq);
    const size_t S = (size_t)c->seq;
    for (int r = 0; r < n; r++) {
        if (idx[r] < 0 || idx[r] >= c->rows[split].n)
            return PB_ERR(PB_ERANGE, "mlm: row %ld outside the %s split of %ld", idx[r], SPLIT_NAME[split],
                          c->rows[split].n);
        const size_t o = (size_t)r * S;
        mlm_row(c, split, idx[r], bb->input_ids + o, bb->attention_mask + o, bb->token_type_ids + o, bb->labels + o);
    }
    pb_batch b = {n, 1, c->seq, bb->input_ids, bb->attention_mask, bb->token_type_ids, bb->labels, NULL, NULL, NULL};
    bb->b = b;
    return 0;
}

/* Per example 2 * seq floats: the argmax id at each masked position (-1
 * elsewhere), then the label's log-probability there (0 elsewhere). */
static int mlm_reduce(void *ctx, int split, long first, int n, const float *logits, size_t stride, float *out) {
    const mlm_ctx *c = ctx;
    PB_TRY(check_split(split));
    const size_t S = (size_t)c->seq;
    if (stride == 0 || stride % S != 0)
        return PB_ERR(PB_EINVAL, "mlm: %zu logits per example is not a multiple of %d tokens", stride, c->seq);
    const size_t V = stride / S;
    if (V < (size_t)c->vocab || V > (1u << 24)) /* ids stored as floats stay exact below 2^24 */
        return PB_ERR(PB_ERANGE, "mlm: %zu logits per token; expected between the vocabulary %d and 2^24", V, c->vocab);
    if (first < 0 || n < 0 || first + n > c->rows[split].n)
        return PB_ERR(PB_ERANGE, "mlm: rows [%ld, %ld) outside the %s split of %ld", first, first + n,
                      SPLIT_NAME[split], c->rows[split].n);
    int32_t *buf = malloc(sizeof(int32_t) * 4 * S);
    if (!buf) return PB_ERR(PB_ENOMEM, "mlm: row buffer");
    int32_t *ids = buf, *mask = buf + S, *types = buf + 2 * S, *labels = buf + 3 * S;
    for (int i = 0; i < n; i++) {
        mlm_row(c, split, first + i, ids, mask, types, labels);
        float *o = out + (size_t)i * 2 * S;
        for (size_t t = 0; t < S; t++) {
            o[t] = -1.0f;
            o[S + t] = 0.0f;
            if (labels[t] == -100) continue;
            const float *lg = logits + (size_t)i * stride + t * V;
            const int pred = pb_argmax(lg, (int)V);
            const double mx = lg[pred];
            double sum = 0.0;
            for (size_t v = 0; v < V; v++) sum += exp((double)lg[v] - mx);
            o[t] = (float)pred;
            o[S + t] = (float)((double)lg[labels[t]] - mx - log(sum));
        }
    }
    free(buf);
    return 0;
}

static int mlm_evaluate(void *ctx, int split, const float *reduced, pb_metrics *out) {
    const mlm_ctx *c = ctx;
    PB_TRY(check_split(split));
    const long n = c->rows[split].n;
    if (n == 0) return PB_ERR(PB_EINVAL, "mlm: the %s split has no rows", SPLIT_NAME[split]);
    const size_t S = (size_t)c->seq;
    int32_t *buf = malloc(sizeof(int32_t) * 4 * S);
    if (!buf) return PB_ERR(PB_ENOMEM, "mlm: row buffer");
    int32_t *ids = buf, *mask = buf + S, *types = buf + 2 * S, *labels = buf + 3 * S;
    long masked = 0, correct = 0;
    double nll = 0.0;
    for (long r = 0; r < n; r++) {
        mlm_row(c, split, r, ids, mask, types, labels);
        const float *o = reduced + (size_t)r * 2 * S;
        for (size_t t = 0; t < S; t++) {
            if (labels[t] == -100) continue;
            masked++;
            correct += (int32_t)o[t] == labels[t];
            nll -= (double)o[S + t];
        }
    }
    free(buf);
    if (masked == 0)
        return PB_ERR(PB_EINVAL, "mlm: the %s split (%s) has no masked tokens to score", SPLIT_NAME[split],
                      c->src[split]);
    memset(out, 0, sizeof *out);
    out->n = 2;
    strcpy(out->name[0], "accuracy");
    out->value[0] = 100.0 * (double)correct / (double)masked;
    strcpy(out->name[1], "perplexity");
    out->value[1] = exp(nll / (double)masked);
    return 0;
}

static void mlm_free(void *ctx) {
    mlm_ctx *c = ctx;
    if (!c) return;
    for (int s = 0; s < 3; s++) pb_rowstore_free(&c->rows[s]);
    free(c);
}

/* ---- packing -------------------------------------------------------------- */

static int flush_row(mlm_ctx *c, const pb_tok *tok, int split, const int32_t *ids, size_t n, const char *path) {
    pb_encoding e;
    int rc = pb_encoding_build(pb_tok_template(tok), ids, NULL, n, NULL, NULL, 0, 0, c->seq, PB_TRUNC_LONGEST_FIRST,
                               path, &e);
    if (rc == 0) rc = pb_rowstore_push(&c->rows[split], &e);
    pb_encoding_free(&e);
    return rc;
}

static int is_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n\v\f", s[i])) return 0;
    return 1;
}

static int mlm_read(mlm_ctx *c, const pb_tok *tok, int split, const char *path) {
    pb_lines l;
    PB_TRY(pb_lines_open(&l, path));
    const size_t cap = (size_t)(c->seq - 1 - c->n_after); /* text tokens per row */
    int32_t *row = malloc(sizeof(int32_t) * cap);
    int rc = row ? 0 : PB_ERR(PB_ENOMEM, "mlm: row of %zu tokens", cap);
    size_t cur = 0;
    char *line;
    size_t len;
    while (rc == 0 && pb_lines_next(&l, &line, &len)) {
        if (is_blank(line, len)) continue;
        int32_t *ids = NULL;
        size_t n = 0;
        rc = pb_tok_encode(tok, line, len, &ids, &n, NULL);
        if (rc == 0 && cur && cur + n > cap) {
            rc = flush_row(c, tok, split, row, cur, path);
            cur = 0;
        }
        size_t p = 0;
        for (; rc == 0 && n - p > cap; p += cap) rc = flush_row(c, tok, split, ids + p, cap, path);
        if (rc == 0 && n > p) {
            memcpy(row + cur, ids + p, sizeof(int32_t) * (n - p));
            cur += n - p;
        }
        free(ids);
    }
    if (rc == 0 && cur) rc = flush_row(c, tok, split, row, cur, path);
    if (rc == 0 && c->rows[split].n == 0)
        rc = PB_ERR(PB_EFORMAT, "%s: empty file; expected text, one sentence or paragraph per line", path);
    free(row);
    pb_lines_close(&l);
    if (rc == 0) {
        const char *base = strrchr(path, '/');
        snprintf(c->src[split], sizeof c->src[split], "%.255s", base ? base + 1 : path);
    }
    return rc;
}

int pb_task_mlm_open(const char *name, const pb_task_opts *opts, pb_data_source *out) {
    static const char *const FILES[3] = {"train.txt", "dev.txt", "test.txt"};
    (void)name;
    if (!opts || !opts->data_dir) return PB_ERR(PB_EINVAL, "mlm: data_dir is not set");
    if (!opts->tokenizer) return PB_ERR(PB_EINVAL, "mlm: tokenizer is not set");
    const int seq = opts->max_seq_length ? opts->max_seq_length : MLM_DEFAULT_SEQ;
    if (seq < MLM_SEQ_MIN || seq > MLM_SEQ_MAX)
        return PB_ERR(PB_EINVAL, "mlm: max_seq_length %d outside [%d, %d]", seq, MLM_SEQ_MIN, MLM_SEQ_MAX);
    if (!pb_path_is_dir(opts->data_dir))
        return PB_ERR(PB_ENOTFOUND, "mlm: data_dir '%s' is not a folder", opts->data_dir);
    pb_tok *tok;
    PB_TRY(pb_tok_load(&tok, opts->tokenizer));
    const int32_t mask_id = pb_tok_special(tok, PB_TOK_MASK);
    if (mask_id < 0) {
        pb_tok_free(tok);
        return PB_ERR(PB_EFORMAT, "mlm: tokenizer '%s' has no mask token ([MASK] or <mask>)", opts->tokenizer);
    }
    mlm_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        pb_tok_free(tok);
        return PB_ERR(PB_ENOMEM, "mlm task");
    }
    const pb_pair_template *tpl = pb_tok_template(tok);
    c->seq = seq;
    c->vocab = pb_tok_vocab_size(tok);
    c->n_after = tpl->n_after_a;
    c->mask_id = mask_id;
    c->special[0] = pb_tok_special(tok, PB_TOK_CLS);
    c->special[1] = pb_tok_special(tok, PB_TOK_SEP);
    c->special[2] = pb_tok_special(tok, PB_TOK_PAD);
    c->special[3] = mask_id;
    c->seed = opts->seed;
    for (int s = 0; s < 3; s++) pb_rowstore_init(&c->rows[s], seq, tpl->pad);
    int rc = 0;
    char path[4096];
    for (int s = 0; rc == 0 && s < 3; s++) {
        rc = pb_path_join(path, sizeof path, opts->data_dir, FILES[s]);
        if (rc < 0) break;
        if (!pb_path_is_file(path)) {
            if (s != PB_SPLIT_TEST)
                rc =
                    PB_ERR(PB_ENOTFOUND, "mlm: missing file '%s'; expected a text corpus, one line per sentence", path);
            continue;
        }
        rc = mlm_read(c, tok, s, path);
    }
    if (rc < 0) {
        mlm_free(c);
        pb_tok_free(tok);
        return rc;
    }
    memset(out, 0, sizeof *out);
    out->ctx = c;
    out->name = "mlm";
    out->head = PB_HEAD_MLM;
    out->num_labels = 0;
    out->choices = 1;
    out->seq = seq;
    out->vocab_size = c->vocab;
    out->count = mlm_count;
    out->fill = mlm_fill;
    out->evaluate = mlm_evaluate;
    out->reduce_stride = 2 * (size_t)seq;
    out->reduce = mlm_reduce;
    out->free = mlm_free;
    pb_tok_free(tok);
    return 0;
}
