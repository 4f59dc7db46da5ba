/* Parameter groups and selection by name patterns, group costs, the sparsity
 * audit. The pruner itself is in prune_mask.c, the methods in prune_methods.c. */
#include "prune.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_error.h"

static const char *const group_names[PB_PRUNE_N_GROUPS] = {"encoder", "embeddings", "head"};

#define ENCODER_RE                                                                                           \
    "^(bert|roberta)\\.encoder\\.layer\\.[0-9]+\\.(attention\\.self\\.(query|key|value)|attention\\.output\\." \
    "dense|intermediate\\.dense|output\\.dense)\\.weight$"
#define EMBEDDINGS_RE "^(bert|roberta)\\.embeddings\\.(word|position|token_type)_embeddings\\.weight$"

const char *pb_prune_group_name(pb_prune_group g) { return (unsigned)g < PB_PRUNE_N_GROUPS ? group_names[g] : "?"; }

int pb_prune_group_from_name(const char *name, pb_prune_group *out) {
    for (int g = 0; g < PB_PRUNE_N_GROUPS; g++)
        if (name && strcmp(name, group_names[g]) == 0) {
            *out = (pb_prune_group)g;
            return 0;
        }
    return PB_ERR(PB_EINVAL, "unknown parameter group '%s': expected encoder, embeddings or head",
                  name ? name : "(null)");
}

/* ---- built-in group classification ------------------------------------------ */

typedef struct {
    regex_t enc, emb;
} group_res;

static int group_res_init(group_res *g) {
    if (regcomp(&g->enc, ENCODER_RE, REG_EXTENDED | REG_NOSUB) != 0)
        return PB_ERR(PB_EINVAL, "built-in encoder pattern does not compile");
    if (regcomp(&g->emb, EMBEDDINGS_RE, REG_EXTENDED | REG_NOSUB) != 0) {
        regfree(&g->enc);
        return PB_ERR(PB_EINVAL, "built-in embeddings pattern does not compile");
    }
    return 0;
}

static void group_res_free(group_res *g) {
    regfree(&g->enc);
    regfree(&g->emb);
}

static int classify(const group_res *g, const pb_param *p) {
    if (p->ndim != 2) return -1;
    if (regexec(&g->enc, p->name, 0, NULL, 0) == 0) return PB_PRUNE_GROUP_ENCODER;
    if (regexec(&g->emb, p->name, 0, NULL, 0) == 0) return PB_PRUNE_GROUP_EMBEDDINGS;
    return PB_PRUNE_GROUP_HEAD;
}

int pb_prune_param_group(const pb_model *m, int i, int *group) {
    if (i < 0 || i >= m->n_params) return PB_ERR(PB_ERANGE, "parameter index %d outside [0, %d)", i, m->n_params);
    group_res g;
    PB_TRY(group_res_init(&g));
    *group = classify(&g, &m->params[i]);
    group_res_free(&g);
    return 0;
}

/* ---- selection --------------------------------------------------------------- */

/* Marks the matches of one item; counts rank-2 and rank-1 matches. */
static int select_item(const pb_model *m, const group_res *g, const char *item, int *selected, int *n2, int *n1) {
    *n2 = *n1 = 0;
    pb_prune_group grp = PB_PRUNE_GROUP_ENCODER;
    int is_group = 0;
    for (int k = 0; k < PB_PRUNE_N_GROUPS; k++)
        if (strcmp(item, group_names[k]) == 0) {
            grp = (pb_prune_group)k;
            is_group = 1;
        }
    if (is_group) {
        for (int i = 0; i < m->n_params; i++)
            if (classify(g, &m->params[i]) == (int)grp) {
                selected[i] = 1;
                (*n2)++;
            }
        return 0;
    }
    if (strncmp(item, "re:", 3) == 0) {
        size_t len = strlen(item + 3);
        char *anchored = malloc(len + 4);
        if (!anchored) return PB_ERR(PB_ENOMEM, "pattern '%s'", item);
        snprintf(anchored, len + 4, "^(%s)", item + 3);
        regex_t re;
        int rc = regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB);
        free(anchored);
        if (rc != 0) {
            char why[256];
            regerror(rc, &re, why, sizeof why);
            return PB_ERR(PB_EINVAL, "pattern '%s': bad regular expression: %s", item, why);
        }
        for (int i = 0; i < m->n_params; i++) {
            if (regexec(&re, m->params[i].name, 0, NULL, 0) != 0) continue;
            if (m->params[i].ndim == 2) {
                selected[i] = 1;
                (*n2)++;
            } else {
                (*n1)++;
            }
        }
        regfree(&re);
        return 0;
    }
    int i = pb_model_find_param(m, item);
    if (i >= 0) {
        if (m->params[i].ndim == 2) {
            selected[i] = 1;
            (*n2)++;
        } else {
            (*n1)++;
        }
    }
    return 0;
}

int pb_prune_select(const pb_model *m, const char *const *items, int n, int *selected) {
    for (int i = 0; i < m->n_params; i++) selected[i] = 0;
    if (n < 1 || !items) return PB_ERR(PB_EINVAL, "no parameter groups or patterns given");
    group_res g;
    PB_TRY(group_res_init(&g));
    int rc = 0;
    for (int k = 0; k < n && rc == 0; k++) {
        const char *item = items[k];
        if (!item || !*item) {
            rc = PB_ERR(PB_EINVAL, "empty parameter group or pattern (item %d)", k);
            break;
        }
        int n2, n1;
        rc = select_item(m, &g, item, selected, &n2, &n1);
        if (rc < 0 || n2 > 0) continue;
        if (n1 > 0)
            rc = PB_ERR(PB_EINVAL,
                        "'%s' matches only biases or LayerNorm parameters (%d), which are never pruned; expected "
                        "rank-2 weights",
                        item, n1);
        else if (strncmp(item, "re:", 3) == 0)
            rc = PB_ERR(PB_EINVAL, "pattern '%s' matches no parameter", item);
        else
            rc = PB_ERR(PB_EINVAL,
                        "'%s' is neither a group (encoder, embeddings, head) nor a parameter name; regular "
                        "expressions start with 're:'",
                        item);
    }
    group_res_free(&g);
    if (rc < 0)
        for (int i = 0; i < m->n_params; i++) selected[i] = 0;
    return rc;
}

/* ---- costs ------------------------------------------------------------------- */

int pb_prune_group_costs_config(const pb_config *cfg, pb_head_kind head, int seq_len,
                                pb_group_cost out[PB_PRUNE_N_GROUPS]) {
    PB_TRY(pb_config_validate(cfg));
    if ((unsigned)head > PB_HEAD_MLM) return PB_ERR(PB_EINVAL, "unknown head kind %d", (int)head);
    if (seq_len < 1) return PB_ERR(PB_EINVAL, "seq_len %d: expected >= 1", seq_len);
    const int roberta = cfg->model_type == PB_MODEL_ROBERTA;
    const size_t H = (size_t)cfg->hidden_size, I = (size_t)cfg->intermediate_size, V = (size_t)cfg->vocab_size;
    const size_t P = (size_t)cfg->max_position_embeddings, T = (size_t)cfg->type_vocab_size;
    const size_t L = (size_t)cfg->num_hidden_layers;
    const double S = seq_len, dH = (double)H, dI = (double)I, dV = (double)V;
    size_t w[PB_PRUNE_N_GROUPS] = {0, 0, 0}, other = 0; /* other: biases and LayerNorm */
    double f[PB_PRUNE_N_GROUPS] = {0, 0, 0};

    w[PB_PRUNE_GROUP_EMBEDDINGS] = V * H + P * H + T * H;
    other += 2 * H;
    w[PB_PRUNE_GROUP_ENCODER] = L * (4 * H * H + 2 * H * I);
    other += L * (4 * H + 2 * H + I + H + 2 * H);
    f[PB_PRUNE_GROUP_ENCODER] = (double)L * S * 2.0 * (4.0 * dH * dH + 2.0 * dH * dI);
    const double attention = (double)L * 4.0 * S * S * dH;

    const int pooler = head == PB_HEAD_MC || (!roberta && (head == PB_HEAD_CLS || head == PB_HEAD_REG));
    size_t hw = 0;
    double hf = 0;
    if (pooler) {
        hw += H * H;
        other += H;
        hf += 2.0 * dH * dH;
    }
    switch (head) {
    case PB_HEAD_CLS:
    case PB_HEAD_REG: {
        const size_t C = head == PB_HEAD_CLS ? (size_t)cfg->num_labels : 1;
        if (roberta) {
            hw += H * H;
            other += H;
            hf += 2.0 * dH * dH;
        }
        hw += C * H;
        other += C;
        hf += 2.0 * dH * (double)C;
        break;
    }
    case PB_HEAD_MC:
        hw += H;
        other += 1;
        hf += 2.0 * dH;
        break;
    case PB_HEAD_SPAN:
        hw += 2 * H;
        other += 2;
        hf += S * 2.0 * dH * 2.0;
        break;
    case PB_HEAD_MLM:
        hw += H * H;
        other += H + 2 * H + V; /* dense bias, LayerNorm, decoder bias */
        hf += S * 2.0 * dH * dH;
        f[PB_PRUNE_GROUP_EMBEDDINGS] += S * 2.0 * dH * dV; /* tied decoder */
        break;
    }
    w[PB_PRUNE_GROUP_HEAD] = hw;
    f[PB_PRUNE_GROUP_HEAD] = hf;

    const size_t total = w[0] + w[1] + w[2] + other;
    const double total_f = f[0] + f[1] + f[2] + attention;
    for (int g = 0; g < PB_PRUNE_N_GROUPS; g++) {
        out[g].group = group_names[g];
        out[g].params = w[g];
        out[g].param_share = (double)w[g] / (double)total;
        out[g].flops = f[g];
        out[g].flop_share = f[g] / total_f;
        out[g].total_params = total;
        out[g].total_flops = total_f;
    }
    return 0;
}

int pb_prune_group_costs(const pb_model *m, int seq_len, pb_group_cost out[PB_PRUNE_N_GROUPS]) {
    return pb_prune_group_costs_config(&m->cfg, m->head, seq_len, out);
}

/* ---- audit ------------------------------------------------------------------- */

static size_t count_nonzeros(const float *w, size_t n) {
    size_t nz = 0;
#pragma omp parallel for schedule(static) reduction(+ : nz)
    for (size_t j = 0; j < n; j++) nz += w[j] != 0.0f;
    return nz;
}

int pb_prune_audit(const pb_model *m, const pb_prune_spec *spec, double target, pb_audit_row *rows, pb_audit *out) {
    memset(out, 0, sizeof *out);
    if (!spec || !spec->selected) return PB_ERR(PB_EINVAL, "audit: no selection given");
    if (!(target >= 0.0 && target <= 1.0)) return PB_ERR(PB_EINVAL, "audit: target sparsity %g outside [0, 1]", target);
    group_res g;
    PB_TRY(group_res_init(&g));
    out->rows = rows;
    out->scope = spec->scope;
    out->mask = spec->mask;
    out->target = target;
    for (int i = 0; i < m->n_params; i++) {
        const pb_param *p = &m->params[i];
        const int sel = spec->selected[i] != 0, enc = classify(&g, p) == PB_PRUNE_GROUP_ENCODER;
        if (!sel && !enc) continue;
        const size_t nz = count_nonzeros(m->params_mem + p->offset, p->numel);
        if (enc) {
            out->encoder_numel += p->numel;
            out->encoder_zeros += p->numel - nz;
        }
        if (!sel) continue;
        pb_audit_row *r = &rows[out->n_rows++];
        r->param_index = i;
        r->name = p->name;
        r->numel = p->numel;
        r->nonzeros = nz;
        r->sparsity = p->numel ? 1.0 - (double)nz / (double)p->numel : 0.0;
        r->target = target;
        out->selected_numel += p->numel;
        out->selected_zeros += p->numel - nz;
    }
    group_res_free(&g);
    out->selected_sparsity = out->selected_numel ? (double)out->selected_zeros / (double)out->selected_numel : 0.0;
    out->encoder_sparsity = out->encoder_numel ? (double)out->encoder_zeros / (double)out->encoder_numel : 0.0;
    if (out->n_rows == 0) return PB_ERR(PB_EINVAL, "audit: no parameter selected");
    return 0;
}

int pb_prune_audit_check(const pb_audit *a, double tol) {
    if (!a || a->n_rows == 0) return PB_ERR(PB_EINVAL, "audit check: empty audit");
    const double unit = a->mask == PB_PRUNE_MASK_BLOCK4 ? 4.0 : 1.0;
    /* the tensor furthest from the target, by excess over its allowance */
    int worst = 0;
    double worst_excess = -INFINITY;
    for (int r = 0; r < a->n_rows; r++) {
        const pb_audit_row *row = &a->rows[r];
        double excess = fabs(row->sparsity - row->target) - (tol + unit / (double)row->numel);
        if (excess > worst_excess) {
            worst_excess = excess;
            worst = r;
        }
    }
    const pb_audit_row *w = &a->rows[worst];
    if (a->scope == PB_PRUNE_SCOPE_LAYER) {
        if (worst_excess > 0)
            return PB_ERR(PB_ERANGE,
                          "tensor '%s': sparsity %.6f (%zu of %zu zero), expected %.6f +- %.3g (layer scope, %s)",
                          w->name, w->sparsity, w->numel - w->nonzeros, w->numel, w->target,
                          tol + unit / (double)w->numel, pb_prune_mask_name(a->mask));
        return 0;
    }
    const double allow = tol + unit / (double)a->selected_numel;
    if (fabs(a->selected_sparsity - a->target) > allow)
        return PB_ERR(PB_ERANGE,
                      "selected set: sparsity %.6f (%zu of %zu zero), expected %.6f +- %.3g (global scope, %s); "
                      "furthest tensor '%s' at %.6f",
                      a->selected_sparsity, a->selected_zeros, a->selected_numel, a->target, allow,
                      pb_prune_mask_name(a->mask), w->name, w->sparsity);
    return 0;
}
