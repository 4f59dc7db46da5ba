/* Training-step properties: bitwise determinism for a fixed seed and thread
 * count, masked weights staying exactly zero through AdamW, clipping, and the
 * analytic memory plan. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "loss.h"
#include "model.h"
#include "optim.h"
#include "pb_error.h"
#include "rng.h"
#include "testutil.h"

enum { N = 4, S = 12 };

/* pb_model_init of a tiny BERT with a 3-label classification head for N x S batches. */
static void init_tiny_model(pb_model *m) {
    pb_config cfg;
    pb_test_config(&cfg, PB_MODEL_BERT, 101, 32, 2, 4, 64, 32);
    assert_int_equal(pb_model_init(m, &cfg, PB_HEAD_CLS, N, S), 0);
}

typedef struct {
    int32_t ids[N * S], am[N * S], labels[N];
    pb_batch b;
} batch_buf;

static void make_batch(batch_buf *bb, uint64_t seed) {
    for (int i = 0; i < N * S; i++) {
        int pad = (i / S) % 2 && (i % S) >= S - 3;
        bb->ids[i] = pad ? 0 : 1 + (int)(pb_rng_u64(seed, (uint64_t)i) % 100);
        bb->am[i] = !pad;
    }
    for (int i = 0; i < N; i++) bb->labels[i] = (int)(pb_rng_u64(seed + 1, (uint64_t)i) % 3);
    pb_batch b = {N, 1, S, bb->ids, bb->am, NULL, bb->labels, NULL, NULL, NULL};
    bb->b = b;
}

/* Train `steps` steps with dropout; returns the losses and leaves the model. */
static void train(pb_model *m, pb_adamw *opt, int steps, float *losses, int masked) {
    init_tiny_model(m);
    pb_model_init_weights(m, 2024);
    if (masked) {
        assert_int_equal(pb_model_masks_enable(m), 0);
        for (int i = 0; i < m->n_params; i++) {
            float *mk = pb_model_mask(m, i);
            if (!mk) continue;
            for (size_t j = 0; j < m->params[i].numel; j++) mk[j] = pb_rng_uniform(555 + (uint64_t)i, j) < 0.5f ? 0.0f : 1.0f;
        }
        pb_model_apply_masks(m);
    }
    assert_int_equal(pb_adamw_init(opt, m), 0);
    pb_adamw_hparams h;
    pb_adamw_hparams_default(&h);
    h.lr = 1e-2f;
    batch_buf bb;
    for (int s = 0; s < steps; s++) {
        make_batch(&bb, 100 + (uint64_t)s);
        pb_model_zero_grad(m);
        assert_int_equal(pb_model_forward(m, &bb.b, 1, pb_rng_key(7, (uint64_t)s)), 0);
        assert_int_equal(pb_loss_task(m, &bb.b, &losses[s]), 0);
        assert_int_equal(pb_model_backward(m), 0);
        pb_model_clip_grad_norm(m, 1.0f);
        assert_int_equal(pb_adamw_step(opt, m, &h), 0);
    }
}

static void test_determinism(void **state) {
    (void)state;
    enum { STEPS = 6 };
    float l1[STEPS], l2[STEPS];
    pb_model m1, m2;
    pb_adamw o1, o2;
    train(&m1, &o1, STEPS, l1, 0);
    train(&m2, &o2, STEPS, l2, 0);
    assert_memory_equal(l1, l2, sizeof l1);
    assert_memory_equal(m1.params_mem, m2.params_mem, m1.n_floats * sizeof(float));
    assert_memory_equal(o1.mem, o2.mem, 2 * o1.n * sizeof(float));
    /* the loss moved: training did something */
    assert_true(l1[0] != l1[STEPS - 1]);
    printf("determinism: %d dropout steps bitwise identical (loss %.6f -> %.6f)\n", STEPS, (double)l1[0],
           (double)l1[STEPS - 1]);
    pb_adamw_free(&o1); pb_adamw_free(&o2);
    pb_model_free(&m1); pb_model_free(&m2);
}

static void test_dropout_key_matters(void **state) {
    (void)state;
    pb_model m;
    init_tiny_model(&m);
    pb_model_init_weights(&m, 1);
    batch_buf bb;
    make_batch(&bb, 3);
    float a[N * 3], b[N * 3], c[N * 3], d[N * 3];
    assert_int_equal(pb_model_forward(&m, &bb.b, 1, 11), 0);
    memcpy(a, m.logits, sizeof a);
    assert_int_equal(pb_model_forward(&m, &bb.b, 1, 12), 0);
    memcpy(b, m.logits, sizeof b);
    assert_int_equal(pb_model_forward(&m, &bb.b, 0, 11), 0);
    memcpy(c, m.logits, sizeof c);
    assert_int_equal(pb_model_forward(&m, &bb.b, 0, 12), 0);
    memcpy(d, m.logits, sizeof d);
    assert_true(memcmp(a, b, sizeof a) != 0);   /* different dropout keys, different masks */
    assert_memory_equal(c, d, sizeof c);        /* evaluation: dropout off */
    pb_model_free(&m);
}

static void test_masks_stay_zero(void **state) {
    (void)state;
    enum { STEPS = 25 };
    float losses[STEPS];
    pb_model m;
    pb_adamw o;
    train(&m, &o, STEPS, losses, 1);
    size_t pruned = 0, total = 0, alive_nonzero = 0;
    for (int i = 0; i < m.n_params; i++) {
        const float *mk = pb_model_mask(&m, i), *w = pb_model_param_data(&m, i);
        if (!mk) continue;
        for (size_t j = 0; j < m.params[i].numel; j++) {
            total++;
            if (mk[j] == 0.0f) {
                pruned++;
                /* exactly zero, also the optimizer moments */
                assert_true(w[j] == 0.0f);
                assert_true(o.m[m.params[i].offset + j] == 0.0f && o.v[m.params[i].offset + j] == 0.0f);
            } else {
                alive_nonzero += w[j] != 0.0f;
            }
        }
    }
    assert_true(pruned > total / 3 && pruned < 2 * total / 3);
    assert_true(alive_nonzero > (total - pruned) / 2);
    printf("masks: %zu of %zu weights pruned, all exactly zero after %d AdamW steps\n", pruned, total, STEPS);
    pb_adamw_free(&o);
    pb_model_free(&m);
}

static void test_clip(void **state) {
    (void)state;
    pb_model m;
    init_tiny_model(&m);
    for (size_t j = 0; j < m.n_floats; j++) m.grads_mem[j] = (j % 2) ? 3.0f : -4.0f;
    double want = 0;
    for (size_t j = 0; j < m.n_floats; j++) want += (double)m.grads_mem[j] * m.grads_mem[j];
    want = sqrt(want);
    float norm = pb_model_clip_grad_norm(&m, 1.0f);
    assert_float_equal(norm, want, want * 1e-6);
    double after = 0;
    for (size_t j = 0; j < m.n_floats; j++) after += (double)m.grads_mem[j] * m.grads_mem[j];
    assert_float_equal(sqrt(after), 1.0, 1e-5);
    /* below the threshold nothing changes */
    float before0 = m.grads_mem[0];
    pb_model_clip_grad_norm(&m, 10.0f);
    assert_true(m.grads_mem[0] == before0);
    pb_model_free(&m);
}

/* Clipping fused into the AdamW step equals clip-then-step bitwise. */
static void test_fused_clip(void **state) {
    (void)state;
    pb_model a, b;
    pb_adamw oa, ob;
    pb_adamw_hparams h;
    pb_adamw_hparams_default(&h);
    init_tiny_model(&a);
    init_tiny_model(&b);
    pb_model_init_weights(&a, 9);
    pb_model_init_weights(&b, 9);
    assert_int_equal(pb_adamw_init(&oa, &a), 0);
    assert_int_equal(pb_adamw_init(&ob, &b), 0);
    for (int s = 0; s < 3; s++) {
        for (size_t j = 0; j < a.n_floats; j++) a.grads_mem[j] = b.grads_mem[j] = pb_rng_normal(50 + (uint64_t)s, j);
        pb_model_clip_grad_norm(&a, 1.0f);
        assert_int_equal(pb_adamw_step(&oa, &a, &h), 0);
        assert_int_equal(pb_adamw_step_scaled(&ob, &b, &h, pb_clip_coef(pb_model_grad_norm(&b), 1.0f)), 0);
    }
    assert_memory_equal(a.params_mem, b.params_mem, a.n_floats * sizeof(float));
    pb_adamw_free(&oa); pb_adamw_free(&ob);
    pb_model_free(&a); pb_model_free(&b);
}

static void test_memory_plan(void **state) {
    (void)state;
    pb_model m;
    init_tiny_model(&m);
    /* parameters counted analytically from the config */
    size_t H = 32, I = 64, V = 101, P = 32, T = 2, L = 2, C = 3;
    size_t want = V * H + P * H + T * H + 2 * H + L * (4 * (H * H + H) + 2 * H + H * I + I + I * H + H + 2 * H) +
                  H * H + H + C * H + C;
    assert_int_equal(m.n_floats, want);
    pb_model_memory mm = pb_model_memory_plan(&m);
    assert_int_equal(mm.params, want * sizeof(float));
    assert_int_equal(mm.adam, 2 * want * sizeof(float));
    assert_true(mm.acts > 0);
    /* names and layouts are Hugging Face's */
    int q = pb_model_find_param(&m, "bert.encoder.layer.1.attention.self.query.weight");
    assert_true(q >= 0);
    assert_int_equal(m.params[q].shape[0], 32);
    int iw = pb_model_find_param(&m, "bert.encoder.layer.0.intermediate.dense.weight");
    assert_int_equal(m.params[iw].shape[0], 64);
    assert_int_equal(m.params[iw].shape[1], 32);
    assert_true(pb_model_find_param(&m, "classifier.weight") >= 0);
    assert_int_equal(pb_model_find_param(&m, "nope"), -1);
    pb_model_free(&m);
}

static void test_bad_batch(void **state) {
    (void)state;
    pb_model m;
    init_tiny_model(&m);
    batch_buf bb;
    make_batch(&bb, 1);
    bb.ids[5] = 5000;
    assert_int_equal(pb_model_forward(&m, &bb.b, 0, 0), PB_ERANGE);
    assert_non_null(strstr(pb_error_msg(), "input_ids[5]"));
    make_batch(&bb, 1);
    bb.b.seq = S + 1;
    assert_int_equal(pb_model_forward(&m, &bb.b, 0, 0), PB_ERANGE);
    bb.b.seq = S;
    bb.labels[2] = 7;
    assert_int_equal(pb_model_forward(&m, &bb.b, 0, 0), 0);
    float loss;
    assert_int_equal(pb_loss_task(&m, &bb.b, &loss), PB_ERANGE);
    assert_non_null(strstr(pb_error_msg(), "labels[2]"));
    assert_int_equal(pb_model_backward(&m), 0);
    pb_model fresh;
    init_tiny_model(&fresh);
    assert_int_equal(pb_model_backward(&fresh), PB_EINVAL);
    pb_model_free(&fresh);
    pb_model_free(&m);
}

/* The sparse masked-LM head (decoder on labelled tokens only) gives the full
 * head's loss and every gradient, with dropout on, to float rounding: the
 * unlabelled rows contribute exactly zero to both. */
static void test_mlm_sparse_equals_full(void **state) {
    (void)state;
    pb_config cfg;
    pb_test_config(&cfg, PB_MODEL_BERT, 101, 32, 2, 4, 64, 32);
    pb_model full, sparse;
    assert_int_equal(pb_model_init(&full, &cfg, PB_HEAD_MLM, N, S), 0);
    assert_int_equal(pb_model_init(&sparse, &cfg, PB_HEAD_MLM, N, S), 0);
    pb_model_init_weights(&full, 11);
    pb_model_init_weights(&sparse, 11);
    sparse.mlm_sparse = 1;
    batch_buf bb;
    make_batch(&bb, 77);
    int32_t labels[N * S];
    int k = 0;
    for (int i = 0; i < N * S; i++) {
        labels[i] = pb_rng_uniform(99, (uint64_t)i) < 0.2f ? bb.ids[i] : -100;
        k += labels[i] != -100;
    }
    assert_true(k > 0);
    bb.b.labels = labels;
    float lf, ls;
    pb_model *ms[2] = {&full, &sparse};
    float *losses[2] = {&lf, &ls};
    for (int j = 0; j < 2; j++) {
        pb_model_zero_grad(ms[j]);
        assert_int_equal(pb_model_forward(ms[j], &bb.b, 1, 1234), 0);
        assert_int_equal(pb_loss_task(ms[j], &bb.b, losses[j]), 0);
        assert_int_equal(pb_model_backward(ms[j]), 0);
    }
    assert_int_equal(full.mlm_k, -1);
    assert_int_equal(sparse.mlm_k, k);
    assert_int_equal(sparse.n_logits, (size_t)k * 101);
    /* row k of the sparse logits is the full logits' row mlm_rows[k] */
    for (int r = 0; r < k; r++)
        PB_ASSERT_CLOSE("sparse logits", sparse.logits + (size_t)r * 101,
                        full.logits + (size_t)sparse.mlm_rows[r] * 101, 101, 1e-6, 1e-6);
    PB_ASSERT_CLOSE("loss", &ls, &lf, 1, 1e-6, 1e-6);
    PB_ASSERT_CLOSE("grads", sparse.grads_mem, full.grads_mem, full.n_floats, 1e-5, 1e-7);
    /* evaluation forwards always give the full layout */
    assert_int_equal(pb_model_forward(&sparse, &bb.b, 0, 0), 0);
    assert_int_equal(sparse.mlm_k, -1);
    assert_int_equal(sparse.n_logits, (size_t)N * S * 101);
    pb_model_free(&full);
    pb_model_free(&sparse);
}

/* Dynamic padding: rows of real lengths 5, 9 and 12 in a 24-token batch cut
 * to 12, the longest; logits, loss and every gradient match the
 * padded batch (evaluation mode: no dropout), for a classification and a
 * masked-LM head whose per-token labels move with the rows. */
static void test_trim_padding(void **state) {
    (void)state;
    enum { R = 3, SEQ = 24 };
    const int len[R] = {5, 9, 12};
    for (int h = 0; h < 2; h++) {
        const pb_head_kind head = h ? PB_HEAD_MLM : PB_HEAD_CLS;
        pb_config cfg;
        pb_test_config(&cfg, PB_MODEL_BERT, 101, 32, 2, 4, 64, 32);
        pb_model a, b;
        assert_int_equal(pb_model_init(&a, &cfg, head, R, SEQ), 0);
        assert_int_equal(pb_model_init(&b, &cfg, head, R, SEQ), 0);
        pb_model_init_weights(&a, 5);
        pb_model_init_weights(&b, 5);
        pb_batch_buf full, cut;
        assert_int_equal(pb_batch_buf_init(&full, R, SEQ), 0);
        assert_int_equal(pb_batch_buf_init(&cut, R, SEQ), 0);
        pb_batch_buf *bufs[2] = {&full, &cut};
        for (int k = 0; k < 2; k++) {
            pb_batch_buf *x = bufs[k];
            for (int r = 0; r < R; r++)
                for (int t = 0; t < SEQ; t++) {
                    const size_t i = (size_t)r * SEQ + t;
                    x->input_ids[i] = t < len[r] ? 1 + (int)(pb_rng_u64(3, i) % 100) : 0;
                    x->attention_mask[i] = t < len[r];
                    x->token_type_ids[i] = t >= len[r] / 2 && t < len[r];
                    if (head == PB_HEAD_MLM) x->labels[i] = t < len[r] && t % 3 == 1 ? x->input_ids[i] : -100;
                }
            if (head == PB_HEAD_CLS)
                for (int r = 0; r < R; r++) x->labels[r] = r % 3;
            pb_batch bb = {R, 1, SEQ, x->input_ids, x->attention_mask, x->token_type_ids, x->labels, NULL, NULL, NULL};
            x->b = bb;
        }
        pb_batch_trim_padding(&cut, head);
        assert_int_equal(cut.b.seq, 12);
        assert_int_equal(full.b.seq, SEQ);
        float la, lb;
        pb_model_zero_grad(&a);
        pb_model_zero_grad(&b);
        assert_int_equal(pb_model_forward(&a, &full.b, 0, 0), 0);
        assert_int_equal(pb_model_forward(&b, &cut.b, 0, 0), 0);
        if (head == PB_HEAD_CLS) PB_ASSERT_CLOSE("trimmed logits", b.logits, a.logits, (size_t)R * 3, 1e-5, 1e-6);
        assert_int_equal(pb_loss_task(&a, &full.b, &la), 0);
        assert_int_equal(pb_loss_task(&b, &cut.b, &lb), 0);
        PB_ASSERT_CLOSE("trimmed loss", &lb, &la, 1, 1e-5, 1e-6);
        assert_int_equal(pb_model_backward(&a), 0);
        assert_int_equal(pb_model_backward(&b), 0);
        PB_ASSERT_CLOSE("trimmed grads", b.grads_mem, a.grads_mem, a.n_floats, 1e-4, 1e-6);
        pb_batch_buf_free(&full);
        pb_batch_buf_free(&cut);
        pb_model_free(&a);
        pb_model_free(&b);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism), cmocka_unit_test(test_dropout_key_matters),
        cmocka_unit_test(test_masks_stay_zero), cmocka_unit_test(test_clip), cmocka_unit_test(test_fused_clip),
        cmocka_unit_test(test_memory_plan), cmocka_unit_test(test_bad_batch), cmocka_unit_test(test_mlm_sparse_equals_full), cmocka_unit_test(test_trim_padding),
    };
    return cmocka_run_group_tests_name("train", tests, NULL, NULL);
}
