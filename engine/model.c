#include "model.h"

#include <limits.h>
#include <stdarg.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "pb_error.h"
#include "rng.h"

/* ---- parameter table ---------------------------------------------------- */

typedef struct {
    int qw, qb, kw, kb, vw, vb, aow, aob, ln1w, ln1b, iw, ib, ow, ob, ln2w, ln2b;
} layer_idx;

typedef struct {
    float *qkv, *probs, *ctx, *r1, *mean1, *rstd1, *h1, *f, *g, *r2, *mean2, *rstd2, *y;
} layer_acts;

/* Private layout: parameter indices and activation pointers carved from acts_mem. */
struct pb_model_acts {
    int word, pos, type, eln_w, eln_b;
    layer_idx *li;
    int pool_w, pool_b;                   /* -1 when the head has no pooler */
    int h_w1, h_b1, h_lnw, h_lnb, h_w2, h_b2; /* head tensors; -1 where unused */
    int n_threads;                        /* per-thread scratch capacity */

    int32_t *ids, *mask, *types, *pos_ids; /* [N] copies of the batch inputs */
    float *emb_sum, *emb_mean, *emb_rstd, *x0;
    layer_acts *la;
    /* head */
    float *hx, *hxd, *hz, *hzd, *hm_mean, *hm_rstd, *hu, *hv; /* see head_forward */
    int32_t *mlm_rows;   /* sparse masked LM: labelled token indices [N] */
    float *hg, *tg;      /* sparse masked LM: gathered rows [N, H] and their gradient */
    /* backward scratch */
    float *d_a, *d_b, *d_c, *d_qkv, *d_i, *d_head, *attn_scratch;
};

static int has_pooler(pb_model_type t, pb_head_kind h) {
    if (h == PB_HEAD_MC) return 1;
    return t == PB_MODEL_BERT && (h == PB_HEAD_CLS || h == PB_HEAD_REG);
}

static int head_outputs(const pb_model *m) {
    switch (m->head) {
    case PB_HEAD_CLS: return m->cfg.num_labels;
    case PB_HEAD_REG: return 1;
    case PB_HEAD_SPAN: return 2;
    case PB_HEAD_MC: return 1;
    case PB_HEAD_MLM: return m->cfg.vocab_size;
    }
    return 0;
}

int pb_head_from_name(const char *name, pb_head_kind *out) {
    static const char *names[] = {"cls", "reg", "span", "mc", "mlm"};
    for (int i = 0; i < 5; i++)
        if (name && strcmp(name, names[i]) == 0) {
            *out = (pb_head_kind)i;
            return 0;
        }
    return PB_ERR(PB_EINVAL, "unknown head '%s': expected one of cls, reg, span, mc, mlm", name ? name : "(null)");
}

const char *pb_head_name(pb_head_kind head) {
    static const char *names[] = {"cls", "reg", "span", "mc", "mlm"};
    return (unsigned)head < 5 ? names[head] : "?";
}

typedef struct {
    pb_model *m;
    size_t name_bytes;
    size_t floats;
    int cap;
} table_builder;

static int tb_add(table_builder *tb, int ndim, int d0, int d1, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
static int tb_add(table_builder *tb, int ndim, int d0, int d1, const char *fmt, ...) {
    pb_model *m = tb->m;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    int i = m->n_params++;
    if (m->params) {
        pb_param *p = &m->params[i];
        p->name = m->name_pool + tb->name_bytes;
        memcpy(p->name, buf, strlen(buf) + 1);
        p->ndim = ndim;
        p->shape[0] = d0;
        p->shape[1] = ndim == 2 ? d1 : 1;
        p->numel = (size_t)d0 * (size_t)p->shape[1];
        p->offset = tb->floats;
        p->decay = ndim == 2;
    }
    tb->name_bytes += strlen(buf) + 1;
    tb->floats += (size_t)d0 * (size_t)(ndim == 2 ? d1 : 1);
    return i;
}

/* Builds the table in the fixed order shared with the PyTorch fixtures. Run once
 * with m->params == NULL to count, once to fill. */
static void build_table(pb_model *m, table_builder *tb) {
    const pb_config *c = &m->cfg;
    pb_model_acts *A = m->acts;
    const char *p = c->model_type == PB_MODEL_ROBERTA ? "roberta" : "bert";
    const int H = c->hidden_size, I = c->intermediate_size;
    m->n_params = 0;
    tb->name_bytes = 0;
    tb->floats = 0;
    A->word = tb_add(tb, 2, c->vocab_size, H, "%s.embeddings.word_embeddings.weight", p);
    A->pos = tb_add(tb, 2, c->max_position_embeddings, H, "%s.embeddings.position_embeddings.weight", p);
    A->type = tb_add(tb, 2, c->type_vocab_size, H, "%s.embeddings.token_type_embeddings.weight", p);
    A->eln_w = tb_add(tb, 1, H, 0, "%s.embeddings.LayerNorm.weight", p);
    A->eln_b = tb_add(tb, 1, H, 0, "%s.embeddings.LayerNorm.bias", p);
    for (int l = 0; l < c->num_hidden_layers; l++) {
        layer_idx L;
        const char *e = "encoder.layer";
        /* query, key and value weights adjacent (then their biases adjacent), so
         * the three projections run as one [3H, H] product */
        L.qw = tb_add(tb, 2, H, H, "%s.%s.%d.attention.self.query.weight", p, e, l);
        L.kw = tb_add(tb, 2, H, H, "%s.%s.%d.attention.self.key.weight", p, e, l);
        L.vw = tb_add(tb, 2, H, H, "%s.%s.%d.attention.self.value.weight", p, e, l);
        L.qb = tb_add(tb, 1, H, 0, "%s.%s.%d.attention.self.query.bias", p, e, l);
        L.kb = tb_add(tb, 1, H, 0, "%s.%s.%d.attention.self.key.bias", p, e, l);
        L.vb = tb_add(tb, 1, H, 0, "%s.%s.%d.attention.self.value.bias", p, e, l);
        L.aow = tb_add(tb, 2, H, H, "%s.%s.%d.attention.output.dense.weight", p, e, l);
        L.aob = tb_add(tb, 1, H, 0, "%s.%s.%d.attention.output.dense.bias", p, e, l);
        L.ln1w = tb_add(tb, 1, H, 0, "%s.%s.%d.attention.output.LayerNorm.weight", p, e, l);
        L.ln1b = tb_add(tb, 1, H, 0, "%s.%s.%d.attention.output.LayerNorm.bias", p, e, l);
        L.iw = tb_add(tb, 2, I, H, "%s.%s.%d.intermediate.dense.weight", p, e, l);
        L.ib = tb_add(tb, 1, I, 0, "%s.%s.%d.intermediate.dense.bias", p, e, l);
        L.ow = tb_add(tb, 2, H, I, "%s.%s.%d.output.dense.weight", p, e, l);
        L.ob = tb_add(tb, 1, H, 0, "%s.%s.%d.output.dense.bias", p, e, l);
        L.ln2w = tb_add(tb, 1, H, 0, "%s.%s.%d.output.LayerNorm.weight", p, e, l);
        L.ln2b = tb_add(tb, 1, H, 0, "%s.%s.%d.output.LayerNorm.bias", p, e, l);
        if (A->li) A->li[l] = L;
    }
    A->pool_w = A->pool_b = -1;
    A->h_w1 = A->h_b1 = A->h_lnw = A->h_lnb = A->h_w2 = A->h_b2 = -1;
    if (has_pooler(c->model_type, m->head)) {
        A->pool_w = tb_add(tb, 2, H, H, "%s.pooler.dense.weight", p);
        A->pool_b = tb_add(tb, 1, H, 0, "%s.pooler.dense.bias", p);
    }
    const int C = head_outputs(m);
    int roberta = c->model_type == PB_MODEL_ROBERTA;
    switch (m->head) {
    case PB_HEAD_CLS:
    case PB_HEAD_REG:
        if (roberta) {
            A->h_w1 = tb_add(tb, 2, H, H, "classifier.dense.weight");
            A->h_b1 = tb_add(tb, 1, H, 0, "classifier.dense.bias");
            A->h_w2 = tb_add(tb, 2, C, H, "classifier.out_proj.weight");
            A->h_b2 = tb_add(tb, 1, C, 0, "classifier.out_proj.bias");
        } else {
            A->h_w2 = tb_add(tb, 2, C, H, "classifier.weight");
            A->h_b2 = tb_add(tb, 1, C, 0, "classifier.bias");
        }
        break;
    case PB_HEAD_MC:
        A->h_w2 = tb_add(tb, 2, 1, H, "classifier.weight");
        A->h_b2 = tb_add(tb, 1, 1, 0, "classifier.bias");
        break;
    case PB_HEAD_SPAN:
        A->h_w2 = tb_add(tb, 2, 2, H, "qa_outputs.weight");
        A->h_b2 = tb_add(tb, 1, 2, 0, "qa_outputs.bias");
        break;
    case PB_HEAD_MLM:
        if (roberta) {
            A->h_w1 = tb_add(tb, 2, H, H, "lm_head.dense.weight");
            A->h_b1 = tb_add(tb, 1, H, 0, "lm_head.dense.bias");
            A->h_lnw = tb_add(tb, 1, H, 0, "lm_head.layer_norm.weight");
            A->h_lnb = tb_add(tb, 1, H, 0, "lm_head.layer_norm.bias");
            A->h_b2 = tb_add(tb, 1, C, 0, "lm_head.bias");
        } else {
            A->h_w1 = tb_add(tb, 2, H, H, "cls.predictions.transform.dense.weight");
            A->h_b1 = tb_add(tb, 1, H, 0, "cls.predictions.transform.dense.bias");
            A->h_lnw = tb_add(tb, 1, H, 0, "cls.predictions.transform.LayerNorm.weight");
            A->h_lnb = tb_add(tb, 1, H, 0, "cls.predictions.transform.LayerNorm.bias");
            A->h_b2 = tb_add(tb, 1, C, 0, "cls.predictions.bias");
        }
        break;
    }
}

/* ---- activation arena --------------------------------------------------- */

/* Carves 64-byte aligned slices; with base == NULL it only measures. */
typedef struct {
    char *base;
    size_t used;
} arena;

static void *arena_take(arena *a, size_t bytes) {
    size_t off = (a->used + 63) & ~(size_t)63;
    a->used = off + bytes;
    return a->base ? a->base + off : NULL;
}
#define TAKE_F(ar, n) ((float *)arena_take((ar), sizeof(float) * (size_t)(n)))
#define TAKE_I(ar, n) ((int32_t *)arena_take((ar), sizeof(int32_t) * (size_t)(n)))

static void layout_acts(pb_model *m, arena *ar) {
    pb_model_acts *A = m->acts;
    const pb_config *c = &m->cfg;
    const size_t R = (size_t)m->max_rows, S = (size_t)m->max_seq, N = R * S;
    const size_t H = (size_t)c->hidden_size, I = (size_t)c->intermediate_size, NA = (size_t)c->num_attention_heads;
    const size_t T = (size_t)A->n_threads;
    A->ids = TAKE_I(ar, N);
    A->mask = TAKE_I(ar, N);
    A->types = TAKE_I(ar, N);
    A->pos_ids = TAKE_I(ar, N);
    A->emb_sum = TAKE_F(ar, N * H);
    A->emb_mean = TAKE_F(ar, N);
    A->emb_rstd = TAKE_F(ar, N);
    A->x0 = TAKE_F(ar, N * H);
    for (int l = 0; l < c->num_hidden_layers; l++) {
        layer_acts L;
        L.qkv = TAKE_F(ar, N * 3 * H); /* rows of [q | k | v] */
        L.probs = TAKE_F(ar, R * NA * S * S);
        L.ctx = TAKE_F(ar, N * H);
        L.r1 = TAKE_F(ar, N * H);
        L.mean1 = TAKE_F(ar, N);
        L.rstd1 = TAKE_F(ar, N);
        L.h1 = TAKE_F(ar, N * H);
        L.f = TAKE_F(ar, N * I);
        L.g = TAKE_F(ar, N * I);
        L.r2 = TAKE_F(ar, N * H);
        L.mean2 = TAKE_F(ar, N);
        L.rstd2 = TAKE_F(ar, N);
        L.y = TAKE_F(ar, N * H);
        if (A->la) A->la[l] = L;
    }
    /* head activations: pooled heads work on R rows, span/mlm on N tokens */
    const size_t hrows = (m->head == PB_HEAD_MLM) ? N : R;
    if (m->head != PB_HEAD_SPAN) {
        A->hx = TAKE_F(ar, hrows * H);
        A->hxd = TAKE_F(ar, hrows * H);
        A->hz = TAKE_F(ar, hrows * H);
        A->hzd = TAKE_F(ar, hrows * H);
    }
    if (m->head == PB_HEAD_MLM) {
        A->hm_mean = TAKE_F(ar, N);
        A->hm_rstd = TAKE_F(ar, N);
        A->mlm_rows = TAKE_I(ar, N);
        A->hg = TAKE_F(ar, N * H);
        A->tg = TAKE_F(ar, N * H);
    }
    size_t n_logits = (m->head == PB_HEAD_SPAN || m->head == PB_HEAD_MLM) ? N * (size_t)head_outputs(m)
                                                                          : R * (size_t)head_outputs(m);
    m->logits = TAKE_F(ar, n_logits);
    m->dlogits = TAKE_F(ar, n_logits);
    /* backward scratch */
    A->d_a = TAKE_F(ar, N * H);
    A->d_b = TAKE_F(ar, N * H);
    A->d_c = TAKE_F(ar, N * H);
    A->d_qkv = TAKE_F(ar, N * 3 * H);
    A->d_i = TAKE_F(ar, N * I);
    A->d_head = TAKE_F(ar, hrows * H * 2);
    A->attn_scratch = TAKE_F(ar, T * 2 * S * S);
}

/* ---- init / free -------------------------------------------------------- */

static int checked_mul(size_t a, size_t b, size_t *out) {
    if (a && b > SIZE_MAX / a) return -1;
    *out = a * b;
    return 0;
}

int pb_model_init(pb_model *m, const pb_config *cfg, pb_head_kind head, int max_rows, int max_seq) {
    memset(m, 0, sizeof *m);
    PB_TRY(pb_config_validate(cfg));
    if ((unsigned)head > PB_HEAD_MLM) return PB_ERR(PB_EINVAL, "unknown head kind %d", (int)head);
    if (max_rows <= 0 || max_seq <= 0)
        return PB_ERR(PB_EINVAL, "batch capacity must be positive (rows %d, seq %d)", max_rows, max_seq);
    if (max_seq > cfg->max_position_embeddings)
        return PB_ERR(PB_ERANGE, "sequence length %d exceeds max_position_embeddings %d", max_seq,
                      cfg->max_position_embeddings);
    size_t tmp;
    if (checked_mul((size_t)max_rows * (size_t)max_seq, (size_t)cfg->num_attention_heads * (size_t)max_seq, &tmp) ||
        checked_mul((size_t)max_rows * (size_t)max_seq, (size_t)cfg->vocab_size, &tmp))
        return PB_ERR(PB_ERANGE, "activation size overflows for rows %d x seq %d", max_rows, max_seq);
    m->cfg = *cfg;
    m->head = head;
    m->max_rows = max_rows;
    m->max_seq = max_seq;
    m->acts = calloc(1, sizeof *m->acts);
    if (!m->acts) return PB_ERR(PB_ENOMEM, "model bookkeeping");
    m->acts->li = calloc((size_t)cfg->num_hidden_layers, sizeof(layer_idx));
    m->acts->la = calloc((size_t)cfg->num_hidden_layers, sizeof(layer_acts));
    m->acts->n_threads = omp_get_max_threads();
    table_builder tb = {m, 0, 0, 0};
    build_table(m, &tb); /* count */
    m->params = calloc((size_t)m->n_params, sizeof(pb_param));
    m->name_pool = malloc(tb.name_bytes);
    m->mask_offset = malloc(sizeof(size_t) * (size_t)m->n_params);
    if (!m->acts->li || !m->acts->la || !m->params || !m->name_pool || !m->mask_offset) {
        pb_model_free(m);
        return PB_ERR(PB_ENOMEM, "parameter table");
    }
    build_table(m, &tb); /* fill */
    m->n_floats = tb.floats;
    for (int i = 0; i < m->n_params; i++) m->mask_offset[i] = SIZE_MAX;
    m->params_mem = calloc(m->n_floats, sizeof(float));
    m->grads_mem = calloc(m->n_floats, sizeof(float));
    arena ar = {NULL, 0};
    layout_acts(m, &ar);
    m->n_act_floats = (ar.used + sizeof(float) - 1) / sizeof(float);
    m->acts_mem = malloc(ar.used + 64);
    if (!m->params_mem || !m->grads_mem || !m->acts_mem) {
        pb_model_free(m);
        return PB_ERR(PB_ENOMEM, "model memory (%zu parameters, %zu activation floats)", tb.floats, m->n_act_floats);
    }
    arena ar2 = {(char *)(((uintptr_t)m->acts_mem + 63) & ~(uintptr_t)63), 0};
    layout_acts(m, &ar2);
    return 0;
}

void pb_model_free(pb_model *m) {
    if (!m) return;
    if (m->acts) {
        free(m->acts->li);
        free(m->acts->la);
        free(m->acts);
    }
    free(m->params);
    free(m->name_pool);
    free(m->mask_offset);
    free(m->params_mem);
    free(m->grads_mem);
    free(m->masks_mem);
    free(m->acts_mem);
    memset(m, 0, sizeof *m);
}

void pb_model_init_weights(pb_model *m, uint64_t seed) {
    const uint64_t key = pb_rng_key(seed, 0x1217);
    for (int i = 0; i < m->n_params; i++) {
        pb_param *p = &m->params[i];
        float *w = m->params_mem + p->offset;
        int is_ln_weight = p->ndim == 1 && (strstr(p->name, "LayerNorm.weight") || strstr(p->name, "layer_norm.weight"));
        if (p->ndim == 2) {
            const uint64_t k = pb_rng_key(key, (uint64_t)i);
            for (size_t j = 0; j < p->numel; j++) w[j] = 0.02f * pb_rng_normal(k, j);
        } else {
            for (size_t j = 0; j < p->numel; j++) w[j] = is_ln_weight ? 1.0f : 0.0f;
        }
    }
    /* Hugging Face zeroes the padding row of the word embeddings. */
    if (m->cfg.pad_token_id >= 0 && m->cfg.pad_token_id < m->cfg.vocab_size)
        memset(pb_model_param_data(m, m->acts->word) + (size_t)m->cfg.pad_token_id * m->cfg.hidden_size, 0,
               sizeof(float) * (size_t)m->cfg.hidden_size);
    pb_model_apply_masks(m);
}

int pb_model_find_param(const pb_model *m, const char *name) {
    for (int i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].name, name) == 0) return i;
    return -1;
}

pb_model_memory pb_model_memory_plan(const pb_model *m) {
    pb_model_memory mm;
    mm.params = m->n_floats * sizeof(float);
    mm.grads = mm.params;
    mm.adam = 2 * mm.params;
    mm.masks = m->n_mask_floats * sizeof(float);
    mm.acts = m->n_act_floats * sizeof(float);
    return mm;
}

double pb_model_forward_flops(const pb_model *m, int rows, int seq) {
    const pb_config *c = &m->cfg;
    const double N = (double)rows * seq, H = c->hidden_size, I = c->intermediate_size;
    double per_layer = 2.0 * N * (4.0 * H * H + 2.0 * H * I) + 4.0 * rows * (double)seq * seq * H;
    double f = per_layer * c->num_hidden_layers;
    double C = head_outputs(m);
    if (m->head == PB_HEAD_MLM) f += 2.0 * N * H * H + 2.0 * N * H * C;
    else if (m->head == PB_HEAD_SPAN) f += 2.0 * N * H * C;
    else f += 2.0 * rows * H * H * 2 + 2.0 * rows * H * C;
    return f;
}

/* ---- masks --------------------------------------------------------------- */

int pb_model_masks_enable(pb_model *m) {
    if (m->masks_mem) return 0;
    size_t total = 0;
    for (int i = 0; i < m->n_params; i++)
        if (m->params[i].ndim == 2) total += m->params[i].numel;
    m->masks_mem = malloc(sizeof(float) * (total ? total : 1));
    if (!m->masks_mem) return PB_ERR(PB_ENOMEM, "masks (%zu floats)", total);
    size_t off = 0;
    for (int i = 0; i < m->n_params; i++)
        if (m->params[i].ndim == 2) {
            m->mask_offset[i] = off;
            off += m->params[i].numel;
        }
    for (size_t j = 0; j < total; j++) m->masks_mem[j] = 1.0f;
    m->n_mask_floats = total;
    return 0;
}

float *pb_model_mask(pb_model *m, int i) {
    if (!m->masks_mem || i < 0 || i >= m->n_params || m->mask_offset[i] == SIZE_MAX) return NULL;
    return m->masks_mem + m->mask_offset[i];
}

static void mask_multiply(pb_model *m, float *base) {
    if (!m->masks_mem) return;
    for (int i = 0; i < m->n_params; i++) {
        const float *mk = pb_model_mask(m, i);
        if (!mk) continue;
        float *w = base + m->params[i].offset;
        const size_t n = m->params[i].numel;
#pragma omp parallel for schedule(static)
        for (size_t j = 0; j < n; j++) w[j] = mk[j] != 0.0f ? w[j] : 0.0f;
    }
}

void pb_model_apply_masks(pb_model *m) { mask_multiply(m, m->params_mem); }

void pb_model_zero_grad(pb_model *m) { memset(m->grads_mem, 0, m->n_floats * sizeof(float)); }

/* ---- forward ------------------------------------------------------------ */

enum { SITE_EMB = 1, SITE_ATTN, SITE_ATTN_OUT, SITE_FFN_OUT, SITE_HEAD1, SITE_HEAD2 };
static uint64_t site_key(const pb_model *m, int layer, int site) {
    return pb_rng_key(m->dropout_key, (uint64_t)(layer + 1) * 16 + (uint64_t)site);
}

static int check_batch(const pb_model *m, const pb_batch *b) {
    const pb_config *c = &m->cfg;
    if (!b || !b->input_ids) return PB_ERR(PB_EINVAL, "batch has no input_ids");
    int choices = m->head == PB_HEAD_MC ? b->choices : 1;
    if (m->head == PB_HEAD_MC && choices < 1) return PB_ERR(PB_EINVAL, "multiple-choice batch needs choices >= 1");
    if (m->head != PB_HEAD_MC && b->choices > 1)
        return PB_ERR(PB_EINVAL, "batch has %d choices but the head is %s", b->choices, pb_head_name(m->head));
    if (b->n <= 0 || b->seq <= 0) return PB_ERR(PB_EINVAL, "batch shape n=%d seq=%d must be positive", b->n, b->seq);
    if ((long)b->n * choices > m->max_rows || b->seq > m->max_seq)
        return PB_ERR(PB_ERANGE, "batch %d rows x %d tokens exceeds the model's capacity %d x %d", b->n * choices,
                      b->seq, m->max_rows, m->max_seq);
    const size_t N = (size_t)b->n * choices * b->seq;
    for (size_t i = 0; i < N; i++) {
        if (b->input_ids[i] < 0 || b->input_ids[i] >= c->vocab_size)
            return PB_ERR(PB_ERANGE, "input_ids[%zu] = %d outside the vocabulary [0, %d)", i, b->input_ids[i],
                          c->vocab_size);
        if (b->token_type_ids && (b->token_type_ids[i] < 0 || b->token_type_ids[i] >= c->type_vocab_size))
            return PB_ERR(PB_ERANGE, "token_type_ids[%zu] = %d outside [0, %d)", i, b->token_type_ids[i],
                          c->type_vocab_size);
    }
    if (c->model_type == PB_MODEL_ROBERTA && b->seq + c->pad_token_id + 1 > c->max_position_embeddings)
        return PB_ERR(PB_ERANGE, "RoBERTa sequence length %d needs max_position_embeddings >= %d (have %d)", b->seq,
                      b->seq + c->pad_token_id + 1, c->max_position_embeddings);
    return 0;
}

static int n_scratch_threads(const pb_model *m) {
    int t = omp_get_max_threads();
    return t < m->acts->n_threads ? t : m->acts->n_threads;
}

static void head_forward(pb_model *m, const pb_batch *b) {
    pb_model_acts *A = m->acts;
    const pb_config *c = &m->cfg;
    const int H = c->hidden_size, R = m->rows, S = m->seq, N = R * S, C = head_outputs(m);
    const float *y = A->la[c->num_hidden_layers - 1].y;
    const float pdrop = m->training ? c->hidden_dropout_prob : 0.0f;
    float *P = m->params_mem;
#define W(i) (P + m->params[(i)].offset)
    switch (m->head) {
    case PB_HEAD_SPAN: pb_linear_forward(m->logits, y, W(A->h_w2), W(A->h_b2), N, H, C); break;
    case PB_HEAD_MLM:
        pb_linear_forward(A->hx, y, W(A->h_w1), W(A->h_b1), N, H, H);
        pb_gelu_forward(A->hz, A->hx, (size_t)N * H);
        pb_layernorm_forward(A->hzd, A->hm_mean, A->hm_rstd, A->hz, W(A->h_lnw), W(A->h_lnb), N, H, c->layer_norm_eps);
        m->mlm_k = -1;
        if (m->mlm_sparse && m->training && b->labels) {
            /* the decoder (H x vocab per token) dominates; score the labelled tokens only */
            int k = 0;
            for (int i = 0; i < N; i++)
                if (b->labels[i] != -100) {
                    A->mlm_rows[k] = i;
                    memcpy(A->hg + (size_t)k * H, A->hzd + (size_t)i * H, sizeof(float) * (size_t)H);
                    k++;
                }
            m->mlm_k = k;
            m->n_logits = (size_t)k * C;
            if (k) pb_linear_forward(m->logits, A->hg, W(A->word), W(A->h_b2), k, H, C);
            break;
        }
        pb_linear_forward(m->logits, A->hzd, W(A->word), W(A->h_b2), N, H, C);
        break;
    default:
        /* token 0 of every row */
        for (int r = 0; r < R; r++) memcpy(A->hx + (size_t)r * H, y + (size_t)r * S * H, sizeof(float) * (size_t)H);
        if (A->pool_w >= 0) { /* BERT pooler (and the multiple-choice head of both) */
            pb_linear_forward(A->hz, A->hx, W(A->pool_w), W(A->pool_b), R, H, H);
            pb_tanh_forward(A->hz, A->hz, (size_t)R * H);
            pb_dropout_forward(A->hzd, A->hz, (size_t)R * H, pdrop, site_key(m, -1, SITE_HEAD2));
        } else { /* RoBERTa classification head: dropout, dense, tanh, dropout */
            pb_dropout_forward(A->hxd, A->hx, (size_t)R * H, pdrop, site_key(m, -1, SITE_HEAD1));
            pb_linear_forward(A->hz, A->hxd, W(A->h_w1), W(A->h_b1), R, H, H);
            pb_tanh_forward(A->hz, A->hz, (size_t)R * H);
            pb_dropout_forward(A->hzd, A->hz, (size_t)R * H, pdrop, site_key(m, -1, SITE_HEAD2));
        }
        pb_linear_forward(m->logits, A->hzd, W(A->h_w2), W(A->h_b2), R, H, C);
        break;
    }
#undef W
}

int pb_model_forward(pb_model *m, const pb_batch *b, int training, uint64_t dropout_key) {
    PB_TRY(check_batch(m, b));
    pb_model_acts *A = m->acts;
    const pb_config *c = &m->cfg;
    const int choices = m->head == PB_HEAD_MC ? b->choices : 1;
    const int R = b->n * choices, S = b->seq, N = R * S, H = c->hidden_size, I = c->intermediate_size;
    const int NA = c->num_attention_heads;
    m->n = b->n;
    m->choices = choices;
    m->rows = R;
    m->seq = S;
    m->training = training;
    m->dropout_key = dropout_key;
    m->mlm_k = -1;
    m->mlm_rows = m->head == PB_HEAD_MLM ? A->mlm_rows : NULL;
    m->n_logits = (m->head == PB_HEAD_SPAN || m->head == PB_HEAD_MLM) ? (size_t)N * head_outputs(m)
                                                                      : (size_t)R * head_outputs(m);
    const float hp = training ? c->hidden_dropout_prob : 0.0f;
    const float ap = training ? c->attention_probs_dropout_prob : 0.0f;
    float *P = m->params_mem;
#define W(i) (P + m->params[(i)].offset)

    /* inputs; RoBERTa positions count non-padding tokens from pad_token_id + 1 */
    for (int r = 0; r < R; r++) {
        int cnt = 0;
        for (int s = 0; s < S; s++) {
            size_t i = (size_t)r * S + s;
            A->ids[i] = b->input_ids[i];
            A->mask[i] = b->attention_mask ? (b->attention_mask[i] != 0) : 1;
            A->types[i] = b->token_type_ids ? b->token_type_ids[i] : 0;
            if (c->model_type == PB_MODEL_ROBERTA) {
                int real = A->ids[i] != c->pad_token_id;
                cnt += real;
                A->pos_ids[i] = real ? cnt + c->pad_token_id : c->pad_token_id;
            } else {
                A->pos_ids[i] = s;
            }
        }
    }
    /* embeddings */
    const float *we = W(A->word), *pe = W(A->pos), *te = W(A->type);
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        float *o = A->emb_sum + (size_t)i * H;
        const float *a = we + (size_t)A->ids[i] * H, *p = pe + (size_t)A->pos_ids[i] * H, *t = te + (size_t)A->types[i] * H;
        for (int j = 0; j < H; j++) o[j] = a[j] + p[j] + t[j];
    }
    pb_layernorm_forward(A->x0, A->emb_mean, A->emb_rstd, A->emb_sum, W(A->eln_w), W(A->eln_b), N, H,
                         c->layer_norm_eps);
    pb_dropout_forward(A->x0, A->x0, (size_t)N * H, hp, site_key(m, -1, SITE_EMB));

    /* encoder */
    const int nt = n_scratch_threads(m);
    for (int l = 0; l < c->num_hidden_layers; l++) {
        const layer_idx *L = &A->li[l];
        layer_acts *X = &A->la[l];
        const float *x = l == 0 ? A->x0 : A->la[l - 1].y;
        pb_linear_forward(X->qkv, x, W(L->qw), W(L->qb), N, H, 3 * H);
        pb_attention_forward(X->ctx, X->probs, X->qkv, X->qkv + H, X->qkv + 2 * H, 3 * H, A->mask, R, S, H, NA, ap,
                             site_key(m, l, SITE_ATTN), A->attn_scratch, nt);
        pb_linear_forward(X->r1, X->ctx, W(L->aow), W(L->aob), N, H, H);
        pb_dropout_forward(X->r1, X->r1, (size_t)N * H, hp, site_key(m, l, SITE_ATTN_OUT));
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < (size_t)N * H; i++) X->r1[i] += x[i];
        pb_layernorm_forward(X->h1, X->mean1, X->rstd1, X->r1, W(L->ln1w), W(L->ln1b), N, H, c->layer_norm_eps);
        pb_linear_forward(X->f, X->h1, W(L->iw), W(L->ib), N, H, I);
        pb_gelu_forward(X->g, X->f, (size_t)N * I);
        pb_linear_forward(X->r2, X->g, W(L->ow), W(L->ob), N, I, H);
        pb_dropout_forward(X->r2, X->r2, (size_t)N * H, hp, site_key(m, l, SITE_FFN_OUT));
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < (size_t)N * H; i++) X->r2[i] += X->h1[i];
        pb_layernorm_forward(X->y, X->mean2, X->rstd2, X->r2, W(L->ln2w), W(L->ln2b), N, H, c->layer_norm_eps);
    }
#undef W
    head_forward(m, b);
    return 0;
}

/* ---- backward ----------------------------------------------------------- */

/* d(last hidden) [N, H] into A->d_a from m->dlogits. */
static void head_backward(pb_model *m) {
    pb_model_acts *A = m->acts;
    const pb_config *c = &m->cfg;
    const int H = c->hidden_size, R = m->rows, S = m->seq, N = R * S, C = head_outputs(m);
    const float *y = A->la[c->num_hidden_layers - 1].y;
    const float pdrop = m->training ? c->hidden_dropout_prob : 0.0f;
    float *P = m->params_mem, *G = m->grads_mem;
    float *dy = A->d_a, *t1 = A->d_head, *t2 = A->d_head + (size_t)(m->head == PB_HEAD_MLM ? N : R) * H;
#define W(i) (P + m->params[(i)].offset)
#define DW(i) (G + m->params[(i)].offset)
    switch (m->head) {
    case PB_HEAD_SPAN:
        pb_linear_backward(dy, DW(A->h_w2), DW(A->h_b2), m->dlogits, y, W(A->h_w2), N, H, C, 0);
        return;
    case PB_HEAD_MLM:
        /* tied decoder: its weight gradient lands in the word embeddings */
        if (m->mlm_k >= 0) { /* sparse: scatter the labelled rows' gradient, zero elsewhere */
            memset(t1, 0, sizeof(float) * (size_t)N * H);
            if (m->mlm_k) {
                pb_linear_backward(A->tg, DW(A->word), DW(A->h_b2), m->dlogits, A->hg, W(A->word), m->mlm_k, H, C, 0);
                for (int k = 0; k < m->mlm_k; k++)
                    memcpy(t1 + (size_t)A->mlm_rows[k] * H, A->tg + (size_t)k * H, sizeof(float) * (size_t)H);
            }
        } else {
            pb_linear_backward(t1, DW(A->word), DW(A->h_b2), m->dlogits, A->hzd, W(A->word), N, H, C, 0);
        }
        pb_layernorm_backward(t2, DW(A->h_lnw), DW(A->h_lnb), t1, A->hz, A->hm_mean, A->hm_rstd, W(A->h_lnw), N, H, 0);
        pb_gelu_backward(t2, A->hx, t2, (size_t)N * H);
        pb_linear_backward(dy, DW(A->h_w1), DW(A->h_b1), t2, y, W(A->h_w1), N, H, H, 0);
        return;
    default:
        break;
    }
    /* pooled heads: gradient reaches token 0 of each row only */
    pb_linear_backward(t1, DW(A->h_w2), DW(A->h_b2), m->dlogits, A->hzd, W(A->h_w2), R, H, C, 0);
    if (A->pool_w >= 0) {
        pb_dropout_backward(t1, t1, (size_t)R * H, pdrop, site_key(m, -1, SITE_HEAD2));
        pb_tanh_backward(t1, A->hz, t1, (size_t)R * H);
        pb_linear_backward(t2, DW(A->pool_w), DW(A->pool_b), t1, A->hx, W(A->pool_w), R, H, H, 0);
    } else {
        pb_dropout_backward(t1, t1, (size_t)R * H, pdrop, site_key(m, -1, SITE_HEAD2));
        pb_tanh_backward(t1, A->hz, t1, (size_t)R * H);
        pb_linear_backward(t2, DW(A->h_w1), DW(A->h_b1), t1, A->hxd, W(A->h_w1), R, H, H, 0);
        pb_dropout_backward(t2, t2, (size_t)R * H, pdrop, site_key(m, -1, SITE_HEAD1));
    }
    memset(dy, 0, sizeof(float) * (size_t)N * H);
    for (int r = 0; r < R; r++) memcpy(dy + (size_t)r * S * H, t2 + (size_t)r * H, sizeof(float) * (size_t)H);
#undef W
#undef DW
}

int pb_model_backward(pb_model *m) {
    if (!m->rows) return PB_ERR(PB_EINVAL, "backward called before forward");
    pb_model_acts *A = m->acts;
    const pb_config *c = &m->cfg;
    const int R = m->rows, S = m->seq, N = R * S, H = c->hidden_size, I = c->intermediate_size;
    const int NA = c->num_attention_heads;
    const float hp = m->training ? c->hidden_dropout_prob : 0.0f;
    const float ap = m->training ? c->attention_probs_dropout_prob : 0.0f;
    float *P = m->params_mem, *G = m->grads_mem;
#define W(i) (P + m->params[(i)].offset)
#define DW(i) (G + m->params[(i)].offset)
    head_backward(m);
    float *dy = A->d_a;        /* gradient w.r.t. the current layer's output */
    float *dres = A->d_b;      /* gradient at a residual sum */
    float *dtmp = A->d_c;
    const size_t NH = (size_t)N * H;
    const int nt = n_scratch_threads(m);
    for (int l = c->num_hidden_layers - 1; l >= 0; l--) {
        const layer_idx *L = &A->li[l];
        const layer_acts *X = &A->la[l];
        const float *x = l == 0 ? A->x0 : A->la[l - 1].y;
        /* y = LN2(dropout(g Wo^T + bo) + h1) */
        pb_layernorm_backward(dres, DW(L->ln2w), DW(L->ln2b), dy, X->r2, X->mean2, X->rstd2, W(L->ln2w), N, H, 0);
        pb_dropout_backward(dtmp, dres, NH, hp, site_key(m, l, SITE_FFN_OUT));
        pb_linear_backward(A->d_i, DW(L->ow), DW(L->ob), dtmp, X->g, W(L->ow), N, I, H, 0);
        pb_gelu_backward(A->d_i, X->f, A->d_i, (size_t)N * I);
        /* dres now accumulates d h1 (residual + FFN input) */
        pb_linear_backward(dres, DW(L->iw), DW(L->ib), A->d_i, X->h1, W(L->iw), N, H, I, 1);
        /* h1 = LN1(dropout(ctx Wao^T + bao) + x) */
        pb_layernorm_backward(dy, DW(L->ln1w), DW(L->ln1b), dres, X->r1, X->mean1, X->rstd1, W(L->ln1w), N, H, 0);
        pb_dropout_backward(dtmp, dy, NH, hp, site_key(m, l, SITE_ATTN_OUT));
        pb_linear_backward(dres, DW(L->aow), DW(L->aob), dtmp, X->ctx, W(L->aow), N, H, H, 0);
        pb_attention_backward(A->d_qkv, A->d_qkv + H, A->d_qkv + 2 * H, dres, X->qkv, X->qkv + H, X->qkv + 2 * H, 3 * H,
                              X->probs, R, S, H, NA, ap, site_key(m, l, SITE_ATTN), A->attn_scratch, nt);
        /* dy (= d r1, the residual path) accumulates the q, k, v input gradient: d x */
        pb_linear_backward(dy, DW(L->qw), DW(L->qb), A->d_qkv, x, W(L->qw), N, H, 3 * H, 1);
    }
    /* embeddings */
    pb_dropout_backward(dy, dy, NH, hp, site_key(m, -1, SITE_EMB));
    pb_layernorm_backward(dres, DW(A->eln_w), DW(A->eln_b), dy, A->emb_sum, A->emb_mean, A->emb_rstd, W(A->eln_w), N, H,
                          0);
    /* scatter-add; each thread owns a slice of the hidden dimension, so no two
     * threads touch one float and the order is fixed */
    float *dwe = DW(A->word), *dpe = DW(A->pos), *dte = DW(A->type);
#pragma omp parallel
    {
        int ntd = omp_get_num_threads(), t = omp_get_thread_num();
        int j0 = (int)((long)H * t / ntd), j1 = (int)((long)H * (t + 1) / ntd);
        for (int i = 0; i < N; i++) {
            const float *d = dres + (size_t)i * H;
            float *a = dwe + (size_t)A->ids[i] * H, *p = dpe + (size_t)A->pos_ids[i] * H,
                  *ty = dte + (size_t)A->types[i] * H;
            for (int j = j0; j < j1; j++) {
                a[j] += d[j];
                p[j] += d[j];
                ty[j] += d[j];
            }
        }
    }
#undef W
#undef DW
    mask_multiply(m, m->grads_mem);
    return 0;
}
