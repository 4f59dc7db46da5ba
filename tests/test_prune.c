/* Pruning engine: group selection by name patterns, group costs, global and
 * layer-wise exact selection (against a sort-based reference), 2:4 and block4
 * masks, monotone masks, the methods (magnitude, random, movement, oneshot),
 * masks through AdamW, and the sparsity audit. */
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loss.h"
#include "model.h"
#include "optim.h"
#include "pb_error.h"
#include "prune.h"
#include "rng.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------------ */

static void make_model(pb_model *m, pb_model_type t, pb_head_kind head, int vocab, int hidden, int layers, int heads,
                       int inter, int max_pos) {
    pb_config cfg;
    pb_test_config(&cfg, t, vocab, hidden, layers, heads, inter, max_pos);
    assert_int_equal(pb_model_init(m, &cfg, head, 2, 8), 0);
}

/* Small BERT: H 32, 2 layers, I 64, classification head. */
static void small_bert(pb_model *m) { make_model(m, PB_MODEL_BERT, PB_HEAD_CLS, 101, 32, 2, 4, 64, 32); }

static int param(const pb_model *m, const char *name) {
    int i = pb_model_find_param(m, name);
    if (i < 0) print_error("no parameter '%s'\n", name);
    assert_true(i >= 0);
    return i;
}

/* selected[] must hold exactly the names listed. */
static void expect_selection(const pb_model *m, const int *sel, const char *const *names, int n) {
    int count = 0;
    for (int i = 0; i < m->n_params; i++) count += sel[i] != 0;
    for (int k = 0; k < n; k++) {
        int i = param(m, names[k]);
        if (!sel[i]) print_error("'%s' not selected\n", names[k]);
        assert_true(sel[i]);
    }
    if (count != n) {
        for (int i = 0; i < m->n_params; i++)
            if (sel[i]) print_error("selected: %s\n", m->params[i].name);
    }
    assert_int_equal(count, n);
}

static int select1(const pb_model *m, const char *item, int *sel) {
    const char *items[1] = {item};
    return pb_prune_select(m, items, 1, sel);
}

static void set_all_masks(pb_model *m, float v) {
    assert_int_equal(pb_model_masks_enable(m), 0);
    for (size_t j = 0; j < m->n_mask_floats; j++) m->masks_mem[j] = v;
}

static size_t count_zero_masks(pb_model *m, int i) {
    const float *mk = pb_model_mask(m, i);
    size_t z = 0;
    for (size_t j = 0; j < m->params[i].numel; j++) z += mk[j] == 0.0f;
    return z;
}

static size_t round_sz(double x) { return (size_t)round(x); }

/* ---- groups and patterns ------------------------------------------------------ */

static void encoder_names(char buf[][96], const char *prefix, int layers) {
    static const char *const parts[] = {"attention.self.query", "attention.self.key", "attention.self.value",
                                        "attention.output.dense", "intermediate.dense", "output.dense"};
    for (int l = 0; l < layers; l++)
        for (int k = 0; k < 6; k++) snprintf(buf[l * 6 + k], 96, "%s.encoder.layer.%d.%s.weight", prefix, l, parts[k]);
}

static void check_groups(pb_model_type t, pb_head_kind head, const char *const *head_names, int n_head) {
    pb_model m;
    make_model(&m, t, head, 101, 32, 2, 4, 64, 32);
    const char *prefix = t == PB_MODEL_ROBERTA ? "roberta" : "bert";
    int *sel = calloc((size_t)m.n_params, sizeof(int));
    char enc[12][96];
    const char *enc_p[12];
    encoder_names(enc, prefix, 2);
    for (int k = 0; k < 12; k++) enc_p[k] = enc[k];
    assert_int_equal(select1(&m, "encoder", sel), 0);
    expect_selection(&m, sel, enc_p, 12);

    char emb[3][96];
    const char *emb_p[3];
    snprintf(emb[0], 96, "%s.embeddings.word_embeddings.weight", prefix);
    snprintf(emb[1], 96, "%s.embeddings.position_embeddings.weight", prefix);
    snprintf(emb[2], 96, "%s.embeddings.token_type_embeddings.weight", prefix);
    for (int k = 0; k < 3; k++) emb_p[k] = emb[k];
    assert_int_equal(select1(&m, "embeddings", sel), 0);
    expect_selection(&m, sel, emb_p, 3);

    assert_int_equal(select1(&m, "head", sel), 0);
    expect_selection(&m, sel, head_names, n_head);

    /* disjoint, together every rank-2 tensor; parameter counts agree with the config-only costs */
    pb_group_cost cost[PB_PRUNE_N_GROUPS];
    assert_int_equal(pb_prune_group_costs(&m, 8, cost), 0);
    assert_int_equal(cost[0].total_params, m.n_floats);
    size_t in_group[PB_PRUNE_N_GROUPS] = {0, 0, 0};
    for (int i = 0; i < m.n_params; i++) {
        int g;
        assert_int_equal(pb_prune_param_group(&m, i, &g), 0);
        assert_int_equal(g == -1, m.params[i].ndim == 1);
        if (g >= 0) in_group[g] += m.params[i].numel;
    }
    for (int g = 0; g < PB_PRUNE_N_GROUPS; g++) {
        if (in_group[g] != cost[g].params)
            print_error("%s %s group %s: table %zu, costs %zu\n", prefix, pb_head_name(head), cost[g].group,
                        in_group[g], cost[g].params);
        assert_int_equal(in_group[g], cost[g].params);
    }
    free(sel);
    pb_model_free(&m);
}

static void test_groups_bert(void **state) {
    (void)state;
    const char *cls[] = {"bert.pooler.dense.weight", "classifier.weight"};
    check_groups(PB_MODEL_BERT, PB_HEAD_CLS, cls, 2);
    check_groups(PB_MODEL_BERT, PB_HEAD_REG, cls, 2);
    check_groups(PB_MODEL_BERT, PB_HEAD_MC, cls, 2);
    const char *span[] = {"qa_outputs.weight"};
    check_groups(PB_MODEL_BERT, PB_HEAD_SPAN, span, 1);
    const char *mlm[] = {"cls.predictions.transform.dense.weight"};
    check_groups(PB_MODEL_BERT, PB_HEAD_MLM, mlm, 1);
}

static void test_groups_roberta(void **state) {
    (void)state;
    const char *cls[] = {"classifier.dense.weight", "classifier.out_proj.weight"};
    check_groups(PB_MODEL_ROBERTA, PB_HEAD_CLS, cls, 2);
    check_groups(PB_MODEL_ROBERTA, PB_HEAD_REG, cls, 2);
    const char *mc[] = {"roberta.pooler.dense.weight", "classifier.weight"};
    check_groups(PB_MODEL_ROBERTA, PB_HEAD_MC, mc, 2);
    const char *span[] = {"qa_outputs.weight"};
    check_groups(PB_MODEL_ROBERTA, PB_HEAD_SPAN, span, 1);
    const char *mlm[] = {"lm_head.dense.weight"};
    check_groups(PB_MODEL_ROBERTA, PB_HEAD_MLM, mlm, 1);
}

static void test_patterns(void **state) {
    (void)state;
    pb_model m;
    small_bert(&m);
    int *sel = calloc((size_t)m.n_params, sizeof(int));
    /* everything a regex matches, minus biases and LayerNorm */
    assert_int_equal(select1(&m, "re:.*", sel), 0);
    int n2 = 0;
    for (int i = 0; i < m.n_params; i++) {
        assert_int_equal(sel[i], m.params[i].ndim == 2);
        n2 += m.params[i].ndim == 2;
    }
    assert_int_equal(n2, 12 + 3 + 2);
    /* SparseML-style pattern, anchored at the start */
    assert_int_equal(select1(&m, "re:bert\\.encoder\\.layer\\.1\\..*weight$", sel), 0);
    char enc[12][96];
    encoder_names(enc, "bert", 2);
    const char *l1[6] = {enc[6], enc[7], enc[8], enc[9], enc[10], enc[11]};
    expect_selection(&m, sel, l1, 6);
    assert_int_equal(select1(&m, "re:.*encoder\\.layer\\.[0-9]+\\.(attention\\.self\\.(query|key|value)|attention\\."
                                 "output\\.dense|intermediate\\.dense|output\\.dense)\\.weight$", sel), 0);
    const char *all_enc[12];
    for (int k = 0; k < 12; k++) all_enc[k] = enc[k];
    expect_selection(&m, sel, all_enc, 12);
    assert_int_equal(select1(&m, "re:encoder", sel), PB_EINVAL); /* not at the start */
    PB_ASSERT_MSG_HAS("'re:encoder' matches no parameter");
    /* exact names */
    assert_int_equal(select1(&m, "bert.encoder.layer.1.output.dense.weight", sel), 0);
    const char *one[] = {"bert.encoder.layer.1.output.dense.weight"};
    expect_selection(&m, sel, one, 1);
    /* several items: union */
    const char *items[] = {"encoder", "head", "bert.embeddings.word_embeddings.weight"};
    assert_int_equal(pb_prune_select(&m, items, 3, sel), 0);
    int c = 0;
    for (int i = 0; i < m.n_params; i++) c += sel[i];
    assert_int_equal(c, 15);
    /* errors name the item; the selection is left empty */
    assert_int_equal(select1(&m, "re:.*bias$", sel), PB_EINVAL);
    PB_ASSERT_MSG_HAS("'re:.*bias$' matches only biases or LayerNorm");
    for (int i = 0; i < m.n_params; i++) assert_int_equal(sel[i], 0);
    assert_int_equal(select1(&m, "bert.encoder.layer.0.attention.self.query.bias", sel), PB_EINVAL);
    PB_ASSERT_MSG_HAS("query.bias' matches only biases");
    assert_int_equal(select1(&m, "re:.*(query", sel), PB_EINVAL);
    PB_ASSERT_MSG_HAS("pattern 're:.*(query': bad regular expression");
    assert_int_equal(select1(&m, "encoderz", sel), PB_EINVAL);
    PB_ASSERT_MSG_HAS("'encoderz' is neither a group");
    assert_int_equal(select1(&m, "re:.*nothing", sel), PB_EINVAL);
    PB_ASSERT_MSG_HAS("matches no parameter");
    assert_int_equal(select1(&m, "", sel), PB_EINVAL);
    assert_int_equal(pb_prune_select(&m, items, 0, sel), PB_EINVAL);
    const char *mixed[] = {"encoder", "re:[", "head"};
    assert_int_equal(pb_prune_select(&m, mixed, 3, sel), PB_EINVAL);
    PB_ASSERT_MSG_HAS("'re:['");
    for (int i = 0; i < m.n_params; i++) assert_int_equal(sel[i], 0);
    pb_prune_group g;
    assert_int_equal(pb_prune_group_from_name("embeddings", &g), 0);
    assert_int_equal(g, PB_PRUNE_GROUP_EMBEDDINGS);
    assert_int_equal(pb_prune_group_from_name("emb", &g), PB_EINVAL);
    free(sel);
    pb_model_free(&m);
}

/* ---- costs -------------------------------------------------------------------- */

static void test_costs_bert_base(void **state) {
    (void)state;
    pb_config cfg;
    pb_test_config(&cfg, PB_MODEL_BERT, 30522, 768, 12, 12, 3072, 512);
    cfg.num_labels = 2;
    pb_group_cost c[PB_PRUNE_N_GROUPS];
    assert_int_equal(pb_prune_group_costs_config(&cfg, PB_HEAD_CLS, 128, c), 0);
    for (int g = 0; g < PB_PRUNE_N_GROUPS; g++)
        printf("bert-base cls seq 128: %-10s %10zu params (%5.2f%%)  %.3g FLOPs (%6.3f%%)\n", c[g].group, c[g].params,
               100 * c[g].param_share, c[g].flops, 100 * c[g].flop_share);
    /* BertForSequenceClassification(bert-base-uncased, 2 labels) has 109,483,778 parameters */
    assert_int_equal(c[0].total_params, 109483778);
    assert_int_equal(c[PB_PRUNE_GROUP_ENCODER].params, 12 * (4 * 768 * 768 + 2 * 768 * 3072));
    assert_int_equal(c[PB_PRUNE_GROUP_EMBEDDINGS].params, (30522 + 512 + 2) * 768);
    assert_int_equal(c[PB_PRUNE_GROUP_HEAD].params, 768 * 768 + 2 * 768);
    /* the paper's point: embeddings about a fifth of the parameters, no FLOPs */
    assert_true(c[PB_PRUNE_GROUP_EMBEDDINGS].param_share > 0.21 && c[PB_PRUNE_GROUP_EMBEDDINGS].param_share < 0.22);
    assert_true(c[PB_PRUNE_GROUP_EMBEDDINGS].flop_share == 0.0);
    assert_true(c[PB_PRUNE_GROUP_ENCODER].param_share > 0.77 && c[PB_PRUNE_GROUP_ENCODER].param_share < 0.78);
    assert_true(c[PB_PRUNE_GROUP_ENCODER].flop_share > 0.97 && c[PB_PRUNE_GROUP_ENCODER].flop_share < 0.98);
    assert_true(c[PB_PRUNE_GROUP_HEAD].param_share < 0.006 && c[PB_PRUNE_GROUP_HEAD].flop_share < 1e-4);
    /* the total: encoder + head + attention products 12 * 4 * 128^2 * 768 */
    double want = 12.0 * 128 * 2 * (4.0 * 768 * 768 + 2.0 * 768 * 3072) + 2.0 * 768 * 768 + 2.0 * 768 * 2 +
                  12.0 * 4 * 128 * 128 * 768;
    assert_float_equal(c[0].total_flops, want, want * 1e-12);

    /* span head on every token; the tied MLM decoder counts for the embeddings */
    assert_int_equal(pb_prune_group_costs_config(&cfg, PB_HEAD_SPAN, 384, c), 0);
    assert_true(c[PB_PRUNE_GROUP_EMBEDDINGS].flop_share == 0.0);
    assert_float_equal(c[PB_PRUNE_GROUP_HEAD].flops, 384.0 * 2 * 768 * 2, 1e-6);
    assert_int_equal(pb_prune_group_costs_config(&cfg, PB_HEAD_MLM, 128, c), 0);
    assert_float_equal(c[PB_PRUNE_GROUP_EMBEDDINGS].flops, 128.0 * 2 * 768 * 30522, 1.0);
    assert_true(c[PB_PRUNE_GROUP_EMBEDDINGS].flop_share > 0.2);

    /* RoBERTa-large (SMC-Bench), multiple choice */
    pb_test_config(&cfg, PB_MODEL_ROBERTA, 50265, 1024, 24, 16, 4096, 514);
    assert_int_equal(pb_prune_group_costs_config(&cfg, PB_HEAD_MC, 128, c), 0);
    printf("roberta-large mc seq 128: embeddings %.2f%% of params, %.3f%% of FLOPs; encoder %.2f%% / %.2f%%\n",
           100 * c[1].param_share, 100 * c[1].flop_share, 100 * c[0].param_share, 100 * c[0].flop_share);
    assert_true(c[PB_PRUNE_GROUP_EMBEDDINGS].param_share > 0.14 && c[PB_PRUNE_GROUP_EMBEDDINGS].flop_share == 0.0);

    assert_int_equal(pb_prune_group_costs_config(&cfg, PB_HEAD_MC, 0, c), PB_EINVAL);
    PB_ASSERT_MSG_HAS("seq_len 0");
}

/* ---- hand-made global vs layer-wise --------------------------------------------- */

/* Model with H 8, I 16, one layer: query [8, 8] (64) and intermediate [16, 8] (128). */
typedef struct {
    pb_model m;
    int *sel;
    int q, it;
} hand;

static void hand_init(hand *h) {
    make_model(&h->m, PB_MODEL_BERT, PB_HEAD_CLS, 11, 8, 1, 2, 16, 8);
    pb_model_init_weights(&h->m, 5);
    h->sel = calloc((size_t)h->m.n_params, sizeof(int));
    h->q = param(&h->m, "bert.encoder.layer.0.attention.self.query.weight");
    h->it = param(&h->m, "bert.encoder.layer.0.intermediate.dense.weight");
    h->sel[h->q] = h->sel[h->it] = 1;
}

static void hand_free(hand *h) {
    free(h->sel);
    pb_model_free(&h->m);
}

/* query: descending magnitudes 0.64 ... 0.01 with alternating signs; intermediate:
 * ascending 1.00 ... 2.27, or all ties at 0.5 when `ties`. */
static void hand_weights(hand *h, int ties) {
    set_all_masks(&h->m, 1.0f);
    float *q = pb_model_param_data(&h->m, h->q), *it = pb_model_param_data(&h->m, h->it);
    for (int j = 0; j < 64; j++) q[j] = (j % 2 ? -1.0f : 1.0f) * (ties ? 0.5f : 0.01f * (float)(64 - j));
    for (int j = 0; j < 128; j++) it[j] = (j % 3 ? 1.0f : -1.0f) * (ties ? 0.5f : 1.0f + 0.01f * (float)j);
}

/* Masks of query and intermediate must prune exactly [q_lo, q_hi) and [i_lo, i_hi). */
static void expect_pruned(hand *h, int q_lo, int q_hi, int i_lo, int i_hi) {
    const float *mq = pb_model_mask(&h->m, h->q), *mi = pb_model_mask(&h->m, h->it);
    const float *wq = pb_model_param_data(&h->m, h->q), *wi = pb_model_param_data(&h->m, h->it);
    for (int j = 0; j < 64; j++) {
        int want = j >= q_lo && j < q_hi;
        if ((mq[j] == 0.0f) != want) print_error("query[%d]: mask %g, want pruned %d\n", j, (double)mq[j], want);
        assert_int_equal(mq[j] == 0.0f, want);
        assert_int_equal(wq[j] == 0.0f, want);
    }
    for (int j = 0; j < 128; j++) {
        int want = j >= i_lo && j < i_hi;
        if ((mi[j] == 0.0f) != want) print_error("intermediate[%d]: mask %g, want pruned %d\n", j, (double)mi[j], want);
        assert_int_equal(mi[j] == 0.0f, want);
        assert_int_equal(wi[j] == 0.0f, want);
    }
    /* nothing else is masked */
    for (int i = 0; i < h->m.n_params; i++)
        if (i != h->q && i != h->it && pb_model_mask(&h->m, i)) assert_int_equal(count_zero_masks(&h->m, i), 0);
}

static void hand_prune(hand *h, pb_prune_scope scope, double target) {
    pb_prune_spec spec = {"magnitude", scope, PB_PRUNE_MASK_UNSTRUCTURED, h->sel, 1};
    pb_pruner p;
    assert_int_equal(pb_pruner_init(&p, &h->m, &spec), 0);
    assert_int_equal(pb_pruner_apply(&p, &h->m, target), 0);
    pb_pruner_free(&p);
}

static void test_global_vs_layer(void **state) {
    (void)state;
    hand h;
    hand_init(&h);
    /* global 0.25 of 192 = 48: all from query, its smallest magnitudes (the last 48) */
    hand_weights(&h, 0);
    hand_prune(&h, PB_PRUNE_SCOPE_GLOBAL, 0.25);
    expect_pruned(&h, 16, 64, 0, 0);
    /* layer 0.25: 16 of query (the last), 32 of intermediate (the first) */
    hand_weights(&h, 0);
    hand_prune(&h, PB_PRUNE_SCOPE_LAYER, 0.25);
    expect_pruned(&h, 48, 64, 0, 32);
    /* global 0.5 = 96: all of query, then the 32 smallest of intermediate */
    hand_weights(&h, 0);
    hand_prune(&h, PB_PRUNE_SCOPE_GLOBAL, 0.5);
    expect_pruned(&h, 0, 64, 0, 32);
    /* ties: broken by (tensor index, element index), the earlier pruned first */
    hand_weights(&h, 1);
    hand_prune(&h, PB_PRUNE_SCOPE_GLOBAL, 0.25);
    expect_pruned(&h, 0, 48, 0, 0);
    hand_weights(&h, 1);
    hand_prune(&h, PB_PRUNE_SCOPE_GLOBAL, 0.5);
    expect_pruned(&h, 0, 64, 0, 32);
    hand_weights(&h, 1);
    hand_prune(&h, PB_PRUNE_SCOPE_LAYER, 0.25);
    expect_pruned(&h, 0, 16, 0, 32);
    /* rounding: 0.3 * 192 = 57.6 -> 58 */
    hand_weights(&h, 1);
    hand_prune(&h, PB_PRUNE_SCOPE_GLOBAL, 0.3);
    expect_pruned(&h, 0, 58, 0, 0);
    /* the ends */
    hand_weights(&h, 0);
    hand_prune(&h, PB_PRUNE_SCOPE_GLOBAL, 0.0);
    expect_pruned(&h, 0, 0, 0, 0);
    hand_prune(&h, PB_PRUNE_SCOPE_LAYER, 1.0);
    expect_pruned(&h, 0, 64, 0, 128);
    hand_free(&h);
}

/* ---- exact selection against a sort ------------------------------------------- */

typedef struct {
    float s;
    size_t pos;
} scored;

static int cmp_scored(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->s != y->s) return x->s < y->s ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Medium BERT (encoder 98,304 weights: several selection chunks) with quantized
 * weights: many ties. */
static void medium_model(pb_model *m, int **sel) {
    make_model(m, PB_MODEL_BERT, PB_HEAD_CLS, 101, 64, 2, 4, 256, 16);
    *sel = calloc((size_t)m->n_params, sizeof(int));
    assert_int_equal(select1(m, "encoder", *sel), 0);
    for (int i = 0; i < m->n_params; i++) {
        float *w = pb_model_param_data(m, i);
        for (size_t j = 0; j < m->params[i].numel; j++) {
            uint64_t r = pb_rng_u64(77 + (uint64_t)i, j);
            w[j] = (float)(r % 40) * 0.01f * ((r >> 32) & 1 ? 1.0f : -1.0f);
        }
    }
}

static void test_exact_vs_sort(void **state) {
    (void)state;
    pb_model m;
    int *sel;
    medium_model(&m, &sel);
    float *orig = malloc(m.n_floats * sizeof(float));
    memcpy(orig, m.params_mem, m.n_floats * sizeof(float));
    size_t total = 0;
    for (int i = 0; i < m.n_params; i++)
        if (sel[i]) total += m.params[i].numel;
    scored *ref = malloc(total * sizeof(scored));
    unsigned char *want = malloc(total);
    const double targets[] = {0.3, 0.77, 0.9};
    for (int scope = 0; scope < 2; scope++)
        for (int ti = 0; ti < 3; ti++) {
            memcpy(m.params_mem, orig, m.n_floats * sizeof(float));
            set_all_masks(&m, 1.0f);
            /* reference: sort (|w|, position) and take the k first, over the set or per tensor */
            memset(want, 0, total);
            size_t base = 0, pos = 0;
            for (int i = 0; i < m.n_params; i++) {
                if (!sel[i]) continue;
                const float *w = pb_model_param_data(&m, i);
                for (size_t j = 0; j < m.params[i].numel; j++, pos++) ref[pos] = (scored){fabsf(w[j]), pos};
                if (scope == PB_PRUNE_SCOPE_LAYER) {
                    size_t n = m.params[i].numel;
                    qsort(ref + base, n, sizeof(scored), cmp_scored);
                    size_t k = round_sz(targets[ti] * (double)n);
                    for (size_t r = 0; r < k; r++) want[ref[base + r].pos] = 1;
                    base = pos;
                }
            }
            if (scope == PB_PRUNE_SCOPE_GLOBAL) {
                qsort(ref, total, sizeof(scored), cmp_scored);
                size_t k = round_sz(targets[ti] * (double)total);
                for (size_t r = 0; r < k; r++) want[ref[r].pos] = 1;
            }
            pb_prune_spec spec = {"magnitude", (pb_prune_scope)scope, PB_PRUNE_MASK_UNSTRUCTURED, sel, 0};
            pb_pruner p;
            assert_int_equal(pb_pruner_init(&p, &m, &spec), 0);
            assert_int_equal(pb_pruner_apply(&p, &m, targets[ti]), 0);
            pos = 0;
            size_t bad = 0;
            for (int i = 0; i < m.n_params; i++) {
                if (!sel[i]) continue;
                const float *mk = pb_model_mask(&m, i);
                for (size_t j = 0; j < m.params[i].numel; j++, pos++) bad += (mk[j] == 0.0f) != want[pos];
            }
            if (bad)
                print_error("%s %.2f: %zu masks differ from the sorted reference\n",
                            pb_prune_scope_name((pb_prune_scope)scope), targets[ti], bad);
            assert_int_equal(bad, 0);
            pb_pruner_free(&p);
        }
    printf("exact selection: global and layer at 0.3/0.77/0.9 equal a sort of %zu quantized weights\n", total);
    free(want);
    free(ref);
    free(orig);
    free(sel);
    pb_model_free(&m);
}

/* The masks do not depend on the thread count (1 vs 4 selection chunks). */
static void test_thread_independent(void **state) {
    (void)state;
    const char *methods[] = {"magnitude", "random"};
    for (int mi = 0; mi < 2; mi++) {
        float *masks[2];
        for (int r = 0; r < 2; r++) {
            pb_model m;
            int *sel;
            medium_model(&m, &sel);
            int saved = omp_get_max_threads();
            omp_set_num_threads(r == 0 ? 1 : 4);
            pb_prune_spec spec = {methods[mi], PB_PRUNE_SCOPE_GLOBAL, PB_PRUNE_MASK_UNSTRUCTURED, sel, 3};
            pb_pruner p;
            assert_int_equal(pb_pruner_init(&p, &m, &spec), 0);
            assert_int_equal(p.chunks, r == 0 ? 1 : 4);
            assert_int_equal(pb_pruner_apply(&p, &m, 0.6), 0);
            assert_int_equal(pb_pruner_apply(&p, &m, 0.85), 0);
            omp_set_num_threads(saved);
            masks[r] = malloc(m.n_mask_floats * sizeof(float));
            memcpy(masks[r], m.masks_mem, m.n_mask_floats * sizeof(float));
            pb_pruner_free(&p);
            if (r == 1) assert_memory_equal(masks[0], masks[1], m.n_mask_floats * sizeof(float));
            free(sel);
            pb_model_free(&m);
        }
        free(masks[0]);
        free(masks[1]);
    }
}

/* ---- mask kinds --------------------------------------------------------------- */

static void test_nm24(void **state) {
    (void)state;
    for (int scope = 0; scope < 2; scope++) {
        pb_model m;
        small_bert(&m);
        pb_model_init_weights(&m, 11);
        int *sel = calloc((size_t)m.n_params, sizeof(int));
        const char *items[] = {"encoder", "head"};
        assert_int_equal(pb_prune_select(&m, items, 2, sel), 0);
        float *orig = malloc(m.n_floats * sizeof(float));
        memcpy(orig, m.params_mem, m.n_floats * sizeof(float));
        pb_prune_spec spec = {"magnitude", (pb_prune_scope)scope, PB_PRUNE_MASK_NM24, sel, 0};
        pb_pruner p;
        assert_int_equal(pb_pruner_init(&p, &m, &spec), 0);
        /* a gradual step below 0.5: at most 2 zeros in any group, the count exact */
        assert_int_equal(pb_pruner_apply(&p, &m, 0.3), 0);
        size_t zeros = 0;
        float *before = malloc(m.n_mask_floats * sizeof(float));
        memcpy(before, m.masks_mem, m.n_mask_floats * sizeof(float));
        for (int i = 0; i < m.n_params; i++) {
            if (!sel[i]) continue;
            const float *w = pb_model_param_data(&m, i);
            size_t n = m.params[i].numel, z = 0;
            for (size_t g = 0; g < n / 4; g++) {
                int gz = 0;
                for (int a = 0; a < 4; a++) gz += w[4 * g + (size_t)a] == 0.0f;
                assert_true(gz <= 2);
                z += (size_t)gz;
            }
            if (scope == PB_PRUNE_SCOPE_LAYER) assert_int_equal(z, round_sz(0.3 * (double)n));
            zeros += z;
        }
        if (scope == PB_PRUNE_SCOPE_GLOBAL) assert_int_equal(zeros, round_sz(0.3 * (double)p.total));
        /* 0.5: every group of 4 has exactly 2 zeros, the 2 smallest magnitudes; earlier zeros stay */
        assert_int_equal(pb_pruner_apply(&p, &m, 0.5), 0);
        for (int i = 0; i < m.n_params; i++) {
            const float *mk = pb_model_mask(&m, i), *w = pb_model_param_data(&m, i);
            if (!mk) continue;
            const float *w0 = orig + m.params[i].offset, *mb = before + m.mask_offset[i];
            if (!sel[i]) {
                assert_int_equal(count_zero_masks(&m, i), 0);
                continue;
            }
            for (size_t g = 0; g < m.params[i].numel / 4; g++) {
                int gz = 0;
                float max_pruned = 0.0f, min_kept = INFINITY;
                for (int a = 0; a < 4; a++) {
                    size_t j = 4 * g + (size_t)a;
                    if (mb[j] == 0.0f) assert_true(mk[j] == 0.0f);
                    if (w[j] == 0.0f) {
                        gz++;
                        max_pruned = fmaxf(max_pruned, fabsf(w0[j]));
                    } else {
                        min_kept = fminf(min_kept, fabsf(w0[j]));
                    }
                }
                if (gz != 2) print_error("%s group %zu: %d zeros\n", m.params[i].name, g, gz);
                assert_int_equal(gz, 2);
                assert_true(max_pruned <= min_kept);
            }
        }
        assert_int_equal(pb_pruner_apply(&p, &m, 0.6), PB_EINVAL);
        PB_ASSERT_MSG_HAS("2:4 masks prune at most 2 of every 4");
        pb_pruner_free(&p);
        free(before);
        free(orig);
        free(sel);
        pb_model_free(&m);
    }
    /* an input dimension not divisible by 4 */
    pb_model m;
    make_model(&m, PB_MODEL_BERT, PB_HEAD_CLS, 11, 6, 1, 2, 12, 8);
    int *sel = calloc((size_t)m.n_params, sizeof(int));
    assert_int_equal(select1(&m, "encoder", sel), 0);
    pb_prune_spec spec = {"magnitude", PB_PRUNE_SCOPE_GLOBAL, PB_PRUNE_MASK_NM24, sel, 0};
    pb_pruner p;
    assert_int_equal(pb_pruner_init(&p, &m, &spec), PB_ESHAPE);
    PB_ASSERT_MSG_HAS("input dimension of 'bert.encoder.layer.0.attention.self.query.weight' divisible by 4; got [6, 6]");
    spec.mask = PB_PRUNE_MASK_BLOCK4;
    assert_int_equal(pb_pruner_init(&p, &m, &spec), PB_ESHAPE);
    PB_ASSERT_MSG_HAS("block4 masks need");
    free(sel);
    pb_model_free(&m);
}

static void test_block4(void **state) {
    (void)state;
    const double target = 0.55;
    for (int scope = 0; scope < 2; scope++) {
        pb_model m;
        small_bert(&m);
        pb_model_init_weights(&m, 12);
        int *sel = calloc((size_t)m.n_params, sizeof(int));
        assert_int_equal(select1(&m, "encoder", sel), 0);
        float *orig = malloc(m.n_floats * sizeof(float));
        memcpy(orig, m.params_mem, m.n_floats * sizeof(float));
        pb_prune_spec spec = {"magnitude", (pb_prune_scope)scope, PB_PRUNE_MASK_BLOCK4, sel, 0};
        pb_pruner p;
        assert_int_equal(pb_pruner_init(&p, &m, &spec), 0);
        assert_int_equal(pb_pruner_apply(&p, &m, target), 0);
        size_t pruned_blocks = 0;
        float max_pruned = 0.0f, min_kept = INFINITY;
        for (int i = 0; i < m.n_params; i++) {
            if (!sel[i]) continue;
            const float *w = pb_model_param_data(&m, i), *w0 = orig + m.params[i].offset;
            size_t nb = m.params[i].numel / 4, pb = 0;
            float tmax = 0.0f, tmin = INFINITY;
            for (size_t b = 0; b < nb; b++) {
                int z = 0;
                float sum = 0.0f;
                for (int a = 0; a < 4; a++) {
                    z += w[4 * b + (size_t)a] == 0.0f;
                    sum += fabsf(w0[4 * b + (size_t)a]);
                }
                assert_true(z == 0 || z == 4); /* a block is pruned or kept as a unit */
                if (z == 4) {
                    pb++;
                    tmax = fmaxf(tmax, sum);
                } else {
                    tmin = fminf(tmin, sum);
                }
            }
            if (scope == PB_PRUNE_SCOPE_LAYER) {
                assert_int_equal(pb, round_sz(target * (double)nb));
                assert_true(tmax <= tmin * (1 + 1e-6f));
            }
            pruned_blocks += pb;
            max_pruned = fmaxf(max_pruned, tmax);
            min_kept = fminf(min_kept, tmin);
        }
        if (scope == PB_PRUNE_SCOPE_GLOBAL) {
            assert_int_equal(pruned_blocks, round_sz(target * (double)(p.total / 4)));
            assert_true(max_pruned <= min_kept * (1 + 1e-6f));
        }
        /* the audit allows block rounding */
        pb_audit_row *rows = calloc((size_t)m.n_params, sizeof(pb_audit_row));
        pb_audit a;
        assert_int_equal(pb_prune_audit(&m, &spec, target, rows, &a), 0);
        assert_int_equal(pb_prune_audit_check(&a, 0.0), 0);
        free(rows);
        pb_pruner_free(&p);
        free(orig);
        free(sel);
        pb_model_free(&m);
    }
}

/* ---- methods ------------------------------------------------------------------ */

static void test_monotone(void **state) {
    (void)state;
    const char *methods[] = {"magnitude", "random", "movement"};
    const double targets[] = {0.1, 0.3, 0.5, 0.7, 0.9};
    for (int mi = 0; mi < 3; mi++)
        for (int scope = 0; scope < 2; scope++) {
            pb_model m;
            small_bert(&m);
            pb_model_init_weights(&m, 13);
            int *sel = calloc((size_t)m.n_params, sizeof(int));
            const char *items[] = {"encoder", "embeddings"};
            assert_int_equal(pb_prune_select(&m, items, 2, sel), 0);
            pb_prune_spec spec = {methods[mi], (pb_prune_scope)scope, PB_PRUNE_MASK_UNSTRUCTURED, sel, 21};
            pb_pruner p;
            assert_int_equal(pb_pruner_init(&p, &m, &spec), 0);
            float *prev = calloc(m.n_mask_floats, sizeof(float));
            for (size_t j = 0; j < m.n_mask_floats; j++) prev[j] = 1.0f;
            for (int ti = 0; ti < 5; ti++) {
                /* "training" between pruning steps: every weight moves, gradients change */
                for (size_t j = 0; j < m.n_floats; j++) {
                    m.params_mem[j] += 0.03f * pb_rng_normal(1000 + (uint64_t)ti, j);
                    m.grads_mem[j] = pb_rng_normal(2000 + (uint64_t)ti, j);
                }
                pb_model_apply_masks(&m);
                assert_int_equal(pb_pruner_observe(&p, &m), 0);
                assert_int_equal(pb_pruner_apply(&p, &m, targets[ti]), 0);
                size_t zeros = 0;
                for (int i = 0; i < m.n_params; i++) {
                    if (!sel[i]) continue;
                    const float *mk = pb_model_mask(&m, i), *pv = prev + m.mask_offset[i];
                    size_t z = count_zero_masks(&m, i);
                    for (size_t j = 0; j < m.params[i].numel; j++)
                        if (pv[j] == 0.0f && mk[j] != 0.0f)
                            fail_msg("%s %s: %s[%zu] regrew at target %.1f", methods[mi],
                                     pb_prune_scope_name((pb_prune_scope)scope), m.params[i].name, j, targets[ti]);
                    if (scope == PB_PRUNE_SCOPE_LAYER)
                        assert_int_equal(z, round_sz(targets[ti] * (double)m.params[i].numel));
                    zeros += z;
                }
                if (scope == PB_PRUNE_SCOPE_GLOBAL) assert_int_equal(zeros, round_sz(targets[ti] * (double)p.total));
                memcpy(prev, m.masks_mem, m.n_mask_floats * sizeof(float));
            }
            /* a lower target leaves the masks as they are */
            assert_int_equal(pb_pruner_apply(&p, &m, 0.5), 0);
            assert_memory_equal(prev, m.masks_mem, m.n_mask_floats * sizeof(float));
            free(prev);
            pb_pruner_free(&p);
            free(sel);
            pb_model_free(&m);
        }
}

/* Weights already pruned (here by hand, on entries no method would choose) are
 * pruned first: at their own fraction nothing else is pruned. */
static void test_pruned_first(void **state) {
    (void)state;
    const char *methods[] = {"magnitude", "random", "movement"};
    for (int mi = 0; mi < 3; mi++) {
        pb_model m;
        small_bert(&m);
        pb_model_init_weights(&m, 19);
        int *sel = calloc((size_t)m.n_params, sizeof(int));
        assert_int_equal(select1(&m, "encoder", sel), 0);
        pb_prune_spec spec = {methods[mi], PB_PRUNE_SCOPE_GLOBAL, PB_PRUNE_MASK_UNSTRUCTURED, sel, 4};
        pb_pruner p;
        assert_int_equal(pb_pruner_init(&p, &m, &spec), 0);
        for (size_t j = 0; j < m.n_floats; j++) m.grads_mem[j] = -m.params_mem[j]; /* movement: state = w^2 */
        assert_int_equal(pb_pruner_observe(&p, &m), 0);
        size_t pruned = 0;
        for (int i = 0; i < m.n_params; i++) {
            if (!sel[i]) continue;
            float *mk = pb_model_mask(&m, i);
            for (size_t j = 0; j < m.params[i].numel; j++)
                if (j % 7 == 3) {
                    mk[j] = 0.0f;
                    pruned++;
                }
        }
        float *fixed = malloc(m.n_mask_floats * sizeof(float));
        memcpy(fixed, m.masks_mem, m.n_mask_floats * sizeof(float));
        assert_int_equal(pb_pruner_apply(&p, &m, (double)pruned / (double)p.total), 0);
        assert_memory_equal(fixed, m.masks_mem, m.n_mask_floats * sizeof(float));
        free(fixed);
        pb_pruner_free(&p);
        free(sel);
        pb_model_free(&m);
    }
}

/* Masks of `method` with `seed` over the encoder of a fresh small BERT at 0.5. */
static float *masks_of(const char *method, uint64_t seed, size_t *n) {
    pb_model m;
    small_bert(&m);
    pb_model_init_weights(&m, 14);
    int *sel = calloc((size_t)m.n_params, sizeof(int));
    assert_int_equal(select1(&m, "encoder", sel), 0);
    pb_prune_spec spec = {method, PB_PRUNE_SCOPE_GLOBAL, PB_PRUNE_MASK_UNSTRUCTURED, sel, seed};
    pb_pruner p;
    assert_int_equal(pb_pruner_init(&p, &m, &spec), 0);
    assert_int_equal(pb_pruner_apply(&p, &m, 0.5), 0);
    *n = m.n_mask_floats;
    float *out = malloc(*n * sizeof(float));
    memcpy(out, m.masks_mem, *n * sizeof(float));
    pb_pruner_free(&p);
    free(sel);
    pb_model_free(&m);
    return out;
}

static void test_random_reproducible(void **state) {
    (void)state;
    size_t n;
    float *a = masks_of("random", 7, &n), *b = masks_of("random", 7, &n), *c = masks_of("random", 8, &n);
    float *mag = masks_of("magnitude", 7, &n);
    assert_memory_equal(a, b, n * sizeof(float));
    size_t diff_seed = 0, diff_mag = 0;
    for (size_t j = 0; j < n; j++) {
        diff_seed += a[j] != c[j];
        diff_mag += a[j] != mag[j];
    }
    /* about half of the pruned set differs between independent draws */
    printf("random: seed 7 vs 8 differ in %zu of %zu masks; vs magnitude in %zu\n", diff_seed, n, diff_mag);
    assert_true(diff_seed > n / 8);
    assert_true(diff_mag > n / 8);
    free(a);
    free(b);
    free(c);
    free(mag);
}

static void test_movement(void **state) {
    (void)state;
    hand h;
    hand_init(&h);
    h.sel[h.it] = 0; /* query only: 64 weights */
    float *w = pb_model_param_data(&h.m, h.q), *g = pb_model_grad_data(&h.m, h.q);
    for (int j = 0; j < 64; j++) w[j] = (j % 2 ? -0.5f : 0.5f) * (1.0f + 0.01f * (float)j);
    pb_prune_spec spec = {"movement", PB_PRUNE_SCOPE_GLOBAL, PB_PRUNE_MASK_UNSTRUCTURED, h.sel, 0};
    pb_pruner p;
    assert_int_equal(pb_pruner_init(&p, &h.m, &spec), 0);
    const float *st = pb_pruner_state(&p, h.q);
    assert_non_null(st);
    assert_null(pb_pruner_state(&p, h.it));
    float want[64];
    for (int j = 0; j < 64; j++) want[j] = 0.0f;
    /* gradients that move weight j towards zero in proportion to j: -w*g = -0.01*j*|w|^2-ish */
    for (int step = 0; step < 3; step++) {
        for (int j = 0; j < 64; j++) {
            g[j] = (w[j] > 0 ? 1.0f : -1.0f) * 0.01f * (float)j * (float)(step + 1);
            want[j] -= w[j] * g[j];
        }
        assert_int_equal(pb_pruner_observe(&p, &h.m), 0);
    }
    assert_memory_equal(st, want, sizeof want);
    assert_int_equal(p.observed, 3);
    /* the weights moving towards zero fastest (largest j) go first, though they are the largest */
    assert_int_equal(pb_pruner_apply(&p, &h.m, 0.25), 0);
    const float *mk = pb_model_mask(&h.m, h.q);
    for (int j = 0; j < 64; j++) assert_int_equal(mk[j] == 0.0f, j >= 48);
    /* magnitude would have pruned the smallest (the first 16) */
    pb_pruner_free(&p);
    for (int j = 0; j < 64; j++) w[j] = (j % 2 ? -0.5f : 0.5f) * (1.0f + 0.01f * (float)j);
    set_all_masks(&h.m, 1.0f);
    spec.method = "magnitude";
    assert_int_equal(pb_pruner_init(&p, &h.m, &spec), 0);
    assert_int_equal(pb_pruner_apply(&p, &h.m, 0.25), 0);
    for (int j = 0; j < 64; j++) assert_int_equal(mk[j] == 0.0f, j < 16);
    pb_pruner_free(&p);
    hand_free(&h);
}

static void test_oneshot(void **state) {
    (void)state;
    pb_model m;
    small_bert(&m);
    pb_model_init_weights(&m, 15);
    int *sel = calloc((size_t)m.n_params, sizeof(int));
    assert_int_equal(select1(&m, "encoder", sel), 0);
    pb_prune_spec spec = {"oneshot", PB_PRUNE_SCOPE_GLOBAL, PB_PRUNE_MASK_UNSTRUCTURED, sel, 0};
    pb_pruner p;
    assert_int_equal(pb_pruner_init(&p, &m, &spec), 0);
    assert_int_equal(pb_pruner_apply(&p, &m, 0.0), 0); /* nothing yet */
    assert_int_equal(p.frozen, 0);
    assert_int_equal(pb_pruner_apply(&p, &m, 0.6), 0);
    assert_int_equal(p.frozen, 1);
    float *fixed = malloc(m.n_mask_floats * sizeof(float));
    memcpy(fixed, m.masks_mem, m.n_mask_floats * sizeof(float));
    assert_int_equal(pb_pruner_apply(&p, &m, 0.9), 0); /* masks fixed */
    assert_memory_equal(fixed, m.masks_mem, m.n_mask_floats * sizeof(float));
    pb_audit_row *rows = calloc((size_t)m.n_params, sizeof(pb_audit_row));
    pb_audit a;
    assert_int_equal(pb_prune_audit(&m, &spec, 0.6, rows, &a), 0);
    assert_int_equal(pb_prune_audit_check(&a, 0.0), 0);
    free(rows);
    free(fixed);
    pb_pruner_free(&p);
    free(sel);
    pb_model_free(&m);
}

static void test_registry(void **state) {
    (void)state;
    const char *names[] = {"magnitude", "random", "movement", "oneshot"};
    assert_int_equal(pb_prune_method_count(), 4);
    for (int i = 0; i < 4; i++) {
        const pb_prune_method *pm = pb_prune_method_find(names[i]);
        assert_non_null(pm);
        assert_ptr_equal(pm, pb_prune_method_at(i));
        assert_non_null(pm->score);
    }
    assert_int_equal(pb_prune_method_find("movement")->state_floats_per_weight, 1);
    assert_non_null(pb_prune_method_find("movement")->observe);
    assert_int_equal(pb_prune_method_find("oneshot")->oneshot, 1);
    assert_int_equal(pb_prune_method_find("magnitude")->oneshot, 0);
    assert_null(pb_prune_method_find("obert"));
    assert_null(pb_prune_method_at(4));
    pb_prune_scope s;
    pb_prune_mask_kind k;
    assert_int_equal(pb_prune_scope_from_name("layer", &s), 0);
    assert_int_equal(s, PB_PRUNE_SCOPE_LAYER);
    assert_int_equal(pb_prune_scope_from_name("local", &s), PB_EINVAL);
    PB_ASSERT_MSG_HAS("'local'");
    assert_int_equal(pb_prune_mask_from_name("2:4", &k), 0);
    assert_int_equal(k, PB_PRUNE_MASK_NM24);
    assert_string_equal(pb_prune_mask_name(PB_PRUNE_MASK_BLOCK4), "block4");
    assert_int_equal(pb_prune_mask_from_name("4:8", &k), PB_EINVAL);
}

static void test_errors(void **state) {
    (void)state;
    pb_model m, other;
    small_bert(&m);
    pb_model_init_weights(&m, 16);
    int *sel = calloc((size_t)m.n_params, sizeof(int));
    pb_prune_spec spec = {"magnitude", PB_PRUNE_SCOPE_GLOBAL, PB_PRUNE_MASK_UNSTRUCTURED, sel, 0};
    pb_pruner p;
    assert_int_equal(pb_pruner_init(&p, &m, &spec), PB_EINVAL);
    PB_ASSERT_MSG_HAS("no parameter selected");
    sel[param(&m, "bert.encoder.layer.0.output.LayerNorm.weight")] = 1;
    assert_int_equal(pb_pruner_init(&p, &m, &spec), PB_EINVAL);
    PB_ASSERT_MSG_HAS("'bert.encoder.layer.0.output.LayerNorm.weight' is rank-1");
    assert_int_equal(select1(&m, "encoder", sel), 0);
    spec.method = "obert";
    assert_int_equal(pb_pruner_init(&p, &m, &spec), PB_EINVAL);
    PB_ASSERT_MSG_HAS("unknown pruning method 'obert': expected one of magnitude, random, movement, oneshot");
    spec.method = "magnitude";
    assert_int_equal(pb_pruner_init(&p, &m, &spec), 0);
    assert_int_equal(pb_pruner_apply(&p, &m, 1.5), PB_EINVAL);
    PB_ASSERT_MSG_HAS("target sparsity 1.5 outside [0, 1]");
    assert_int_equal(pb_pruner_apply(&p, &m, NAN), PB_EINVAL);
    /* NaN weight: the method's NaN score is reported with the tensor */
    int v = param(&m, "bert.encoder.layer.1.attention.self.value.weight");
    pb_model_param_data(&m, v)[5] = NAN;
    assert_int_equal(pb_pruner_apply(&p, &m, 0.5), PB_EINVAL);
    PB_ASSERT_MSG_HAS("1 NaN scores in 'bert.encoder.layer.1.attention.self.value.weight' (first at element 5)");
    /* another model */
    make_model(&other, PB_MODEL_BERT, PB_HEAD_SPAN, 101, 32, 2, 4, 64, 32);
    assert_int_equal(pb_pruner_apply(&p, &other, 0.5), PB_EINVAL);
    PB_ASSERT_MSG_HAS("another model");
    pb_model_free(&other);
    pb_pruner_free(&p);
    free(sel);
    pb_model_free(&m);
}

/* ---- training with masks ----------------------------------------------------------- */

enum { BN = 2, BS = 8 };

static void test_train_masked(void **state) {
    (void)state;
    pb_model m;
    small_bert(&m);
    pb_model_init_weights(&m, 17);
    int *sel = calloc((size_t)m.n_params, sizeof(int));
    const char *items[] = {"encoder", "head"};
    assert_int_equal(pb_prune_select(&m, items, 2, sel), 0);
    float *orig = malloc(m.n_floats * sizeof(float)), *before = malloc(m.n_floats * sizeof(float));
    memcpy(orig, m.params_mem, m.n_floats * sizeof(float));
    pb_prune_spec spec = {"movement", PB_PRUNE_SCOPE_GLOBAL, PB_PRUNE_MASK_UNSTRUCTURED, sel, 0};
    pb_pruner p;
    assert_int_equal(pb_pruner_init(&p, &m, &spec), 0);
    pb_adamw opt;
    assert_int_equal(pb_adamw_init(&opt, &m), 0);
    pb_adamw_hparams hp;
    pb_adamw_hparams_default(&hp);
    hp.lr = 1e-2f;
    int32_t ids[BN * BS], labels[BN];
    pb_batch b = {BN, 1, BS, ids, NULL, NULL, labels, NULL, NULL, NULL};
    const double targets[] = {0.0, 0.5, 0.5, 0.7, 0.7, 0.7, 0.8, 0.8};
    for (int step = 0; step < 8; step++) {
        for (int j = 0; j < BN * BS; j++) ids[j] = 1 + (int)(pb_rng_u64(300 + (uint64_t)step, (uint64_t)j) % 100);
        for (int j = 0; j < BN; j++) labels[j] = (int)(pb_rng_u64(400 + (uint64_t)step, (uint64_t)j) % 3);
        float loss;
        pb_model_zero_grad(&m);
        assert_int_equal(pb_model_forward(&m, &b, 1, pb_rng_key(9, (uint64_t)step)), 0);
        assert_int_equal(pb_loss_task(&m, &b, &loss), 0);
        assert_int_equal(pb_model_backward(&m), 0);
        assert_int_equal(pb_pruner_observe(&p, &m), 0);
        memcpy(before, m.params_mem, m.n_floats * sizeof(float));
        assert_int_equal(pb_pruner_apply(&p, &m, targets[step]), 0);
        if (step == 1) {
            /* pruning leaves embeddings, biases and LayerNorm untouched */
            for (int i = 0; i < m.n_params; i++) {
                if (sel[i]) continue;
                assert_memory_equal(pb_model_param_data(&m, i), before + m.params[i].offset,
                                    m.params[i].numel * sizeof(float));
                if (pb_model_mask(&m, i)) assert_int_equal(count_zero_masks(&m, i), 0);
            }
        }
        assert_int_equal(pb_adamw_step(&opt, &m, &hp), 0);
    }
    /* pruned weights (and their moments) exactly zero after AdamW; the audit holds */
    size_t pruned = 0, moved = 0;
    for (int i = 0; i < m.n_params; i++) {
        const float *mk = pb_model_mask(&m, i), *w = pb_model_param_data(&m, i);
        if (!mk) continue;
        for (size_t j = 0; j < m.params[i].numel; j++)
            if (mk[j] == 0.0f) {
                pruned++;
                assert_true(w[j] == 0.0f);
                assert_true(opt.m[m.params[i].offset + j] == 0.0f && opt.v[m.params[i].offset + j] == 0.0f);
            } else {
                moved += w[j] != orig[m.params[i].offset + j];
            }
    }
    assert_int_equal(pruned, round_sz(0.8 * (double)p.total));
    assert_true(moved > 0);
    pb_audit_row *rows = calloc((size_t)m.n_params, sizeof(pb_audit_row));
    pb_audit a;
    assert_int_equal(pb_prune_audit(&m, &spec, 0.8, rows, &a), 0);
    assert_int_equal(pb_prune_audit_check(&a, 0.0), 0);
    printf("train: %zu of %zu selected weights pruned (movement, global 0.8), exactly zero after 8 AdamW steps\n",
           pruned, p.total);
    free(rows);
    pb_adamw_free(&opt);
    pb_pruner_free(&p);
    free(before);
    free(orig);
    free(sel);
    pb_model_free(&m);
}

/* ---- audit ------------------------------------------------------------------------ */

static void test_audit(void **state) {
    (void)state;
    pb_model m;
    small_bert(&m);
    pb_model_init_weights(&m, 18);
    int *sel = calloc((size_t)m.n_params, sizeof(int));
    const char *items[] = {"encoder", "embeddings"};
    assert_int_equal(pb_prune_select(&m, items, 2, sel), 0);
    pb_prune_spec spec = {"magnitude", PB_PRUNE_SCOPE_LAYER, PB_PRUNE_MASK_UNSTRUCTURED, sel, 0};
    pb_pruner p;
    assert_int_equal(pb_pruner_init(&p, &m, &spec), 0);
    assert_int_equal(pb_pruner_apply(&p, &m, 0.35), 0);
    pb_audit_row *rows = calloc((size_t)m.n_params, sizeof(pb_audit_row));
    pb_audit a;
    assert_int_equal(pb_prune_audit(&m, &spec, 0.35, rows, &a), 0);
    assert_int_equal(a.n_rows, 15);
    size_t sel_numel = 0, sel_zeros = 0, enc_numel = 0, enc_zeros = 0;
    for (int r = 0; r < a.n_rows; r++) {
        const pb_param *q = &m.params[rows[r].param_index];
        size_t z = round_sz(0.35 * (double)q->numel);
        assert_string_equal(rows[r].name, q->name);
        assert_int_equal(rows[r].numel, q->numel);
        assert_int_equal(rows[r].nonzeros, q->numel - z);
        assert_float_equal(rows[r].sparsity, (double)z / (double)q->numel, 1e-12);
        sel_numel += q->numel;
        sel_zeros += z;
        if (strstr(q->name, ".encoder.")) {
            enc_numel += q->numel;
            enc_zeros += z;
        }
    }
    assert_int_equal(a.selected_numel, sel_numel);
    assert_int_equal(a.selected_zeros, sel_zeros);
    assert_int_equal(a.encoder_numel, 2 * (4 * 32 * 32 + 2 * 32 * 64));
    assert_int_equal(a.encoder_zeros, enc_zeros);
    assert_float_equal(a.encoder_sparsity, (double)enc_zeros / (double)enc_numel, 1e-12);
    assert_float_equal(a.selected_sparsity, (double)sel_zeros / (double)sel_numel, 1e-12);
    assert_int_equal(pb_prune_audit_check(&a, 0.0), 0);
    /* three pruned weights of one tensor come back: off by 3/numel, beyond rounding */
    int o = param(&m, "bert.encoder.layer.1.output.dense.weight");
    float *w = pb_model_param_data(&m, o);
    int back = 0;
    for (size_t j = 0; j < m.params[o].numel && back < 3; j++)
        if (w[j] == 0.0f) {
            w[j] = 0.5f;
            back++;
        }
    assert_int_equal(pb_prune_audit(&m, &spec, 0.35, rows, &a), 0);
    assert_int_equal(pb_prune_audit_check(&a, 0.0), PB_ERANGE);
    PB_ASSERT_MSG_HAS("tensor 'bert.encoder.layer.1.output.dense.weight': sparsity");
    assert_int_equal(pb_prune_audit_check(&a, 0.01), 0); /* within a looser tolerance */
    pb_pruner_free(&p);
    /* global scope: the set's sparsity, to 1/total */
    set_all_masks(&m, 1.0f);
    pb_model_init_weights(&m, 18);
    spec.scope = PB_PRUNE_SCOPE_GLOBAL;
    assert_int_equal(pb_pruner_init(&p, &m, &spec), 0);
    assert_int_equal(pb_pruner_apply(&p, &m, 0.35), 0);
    assert_int_equal(pb_prune_audit(&m, &spec, 0.35, rows, &a), 0);
    assert_int_equal(a.selected_zeros, round_sz(0.35 * (double)a.selected_numel));
    assert_int_equal(pb_prune_audit_check(&a, 0.0), 0);
    const float *mo = pb_model_mask(&m, o);
    back = 0;
    for (size_t j = 0; j < m.params[o].numel && back < 2; j++)
        if (mo[j] == 0.0f) {
            w[j] = 0.5f;
            back++;
        }
    assert_int_equal(back, 2);
    assert_int_equal(pb_prune_audit(&m, &spec, 0.35, rows, &a), 0);
    assert_int_equal(pb_prune_audit_check(&a, 0.0), PB_ERANGE); /* 2/total off */
    PB_ASSERT_MSG_HAS("(global scope, unstructured)");
    pb_model_apply_masks(&m);
    assert_int_equal(pb_prune_audit(&m, &spec, 0.35, rows, &a), 0);
    assert_int_equal(pb_prune_audit_check(&a, 0.0), 0);
    assert_int_equal(pb_prune_audit(&m, &spec, 2.0, rows, &a), PB_EINVAL);
    free(rows);
    pb_pruner_free(&p);
    free(sel);
    pb_model_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_bert),        cmocka_unit_test(test_groups_roberta),
        cmocka_unit_test(test_patterns),           cmocka_unit_test(test_costs_bert_base),
        cmocka_unit_test(test_global_vs_layer),    cmocka_unit_test(test_exact_vs_sort),
        cmocka_unit_test(test_thread_independent), cmocka_unit_test(test_nm24),
        cmocka_unit_test(test_block4),             cmocka_unit_test(test_monotone),          cmocka_unit_test(test_pruned_first),
        cmocka_unit_test(test_random_reproducible), cmocka_unit_test(test_movement),
        cmocka_unit_test(test_oneshot),            cmocka_unit_test(test_registry),
        cmocka_unit_test(test_errors),             cmocka_unit_test(test_train_masked),
        cmocka_unit_test(test_audit),
    };
    return cmocka_run_group_tests_name("prune", tests, NULL, NULL);
}
