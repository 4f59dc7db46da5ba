/* Finite-difference checks of every op's backward, and of the whole model's
 * backward with dropout on (the PyTorch fixtures cover dropout-off only).
 * Central differences in float32; L = sum(out * r) with a fixed random r, the
 * sum taken in double. No op here has a kink (GELU is exact erf, no ReLU),
 * so no points need skipping. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "loss.h"
#include "model.h"
#include "optim.h"
#include "pb_error.h"
#include "rng.h"
#include "testutil.h"

static void fill_normal(float *x, size_t n, uint64_t key, float std) {
    for (size_t i = 0; i < n; i++) x[i] = std * pb_rng_normal(key, i);
}

static double dot_d(const float *a, const float *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

typedef double (*loss_fn)(void *ctx);

/* Compare analytic gradient `an` of parameter array `x` against central
 * differences of `f`; checks every entry (arrays here are small). */
static void fd_check(const char *label, loss_fn f, void *ctx, float *x, const float *an, size_t n, float h, double tol) {
    double worst = 0.0;
    size_t worst_i = 0;
    for (size_t i = 0; i < n; i++) {
        float keep = x[i];
        x[i] = keep + h;
        double lp = f(ctx);
        x[i] = keep - h;
        double lm = f(ctx);
        x[i] = keep;
        double fd = (lp - lm) / (2.0 * h);
        double err = fabs(fd - an[i]) / (fabs(fd) + fabs(an[i]) + 1e-2);
        if (err > worst) {
            worst = err;
            worst_i = i;
        }
    }
    if (worst > tol)
        print_error("FD MISMATCH %s: worst relative error %.3g at [%zu] (analytic %.6g)\n", label, worst, worst_i,
                    (double)an[worst_i]);
    printf("fd %-28s n=%-5zu worst rel err %.2e\n", label, n, worst);
    assert_true(worst <= tol);
}

/* ---- linear ---- */
typedef struct {
    int n, in, out;
    float *x, *w, *b, *y, *r;
} lin_ctx;
static double lin_loss(void *p) {
    lin_ctx *c = p;
    pb_linear_forward(c->y, c->x, c->w, c->b, c->n, c->in, c->out);
    return dot_d(c->y, c->r, (size_t)c->n * c->out);
}
static void test_linear(void **state) {
    (void)state;
    lin_ctx c = {5, 7, 4, NULL, NULL, NULL, NULL, NULL};
    float x[35], w[28], b[4], y[20], r[20], dx[35], dw[28] = {0}, db[4] = {0};
    c.x = x; c.w = w; c.b = b; c.y = y; c.r = r;
    fill_normal(x, 35, 1, 1); fill_normal(w, 28, 2, 1); fill_normal(b, 4, 3, 1); fill_normal(r, 20, 4, 1);
    pb_linear_backward(dx, dw, db, r, x, w, c.n, c.in, c.out, 0);
    fd_check("linear dx", lin_loss, &c, x, dx, 35, 1e-2f, 1e-3);
    fd_check("linear dw", lin_loss, &c, w, dw, 28, 1e-2f, 1e-3);
    fd_check("linear db", lin_loss, &c, b, db, 4, 1e-2f, 1e-3);
}

/* ---- layernorm ---- */
typedef struct {
    int n, c;
    float *x, *g, *b, *y, *mean, *rstd, *r;
} ln_ctx;
static double ln_loss(void *p) {
    ln_ctx *c = p;
    pb_layernorm_forward(c->y, c->mean, c->rstd, c->x, c->g, c->b, c->n, c->c, 1e-5f);
    return dot_d(c->y, c->r, (size_t)c->n * c->c);
}
static void test_layernorm(void **state) {
    (void)state;
    float x[24], g[8], b[8], y[24], mean[3], rstd[3], r[24], dx[24], dg[8] = {0}, db[8] = {0};
    ln_ctx c = {3, 8, x, g, b, y, mean, rstd, r};
    fill_normal(x, 24, 5, 1); fill_normal(g, 8, 6, 1); fill_normal(b, 8, 7, 1); fill_normal(r, 24, 8, 1);
    ln_loss(&c);
    pb_layernorm_backward(dx, dg, db, r, x, mean, rstd, g, 3, 8, 0);
    fd_check("layernorm dx", ln_loss, &c, x, dx, 24, 1e-2f, 2e-3);
    fd_check("layernorm dg", ln_loss, &c, g, dg, 8, 1e-2f, 2e-3);
    fd_check("layernorm db", ln_loss, &c, b, db, 8, 1e-2f, 2e-3);
}

/* ---- gelu, tanh ---- */
typedef struct {
    int which;
    float *x, *y, *r;
    size_t n;
} act_ctx;
static double act_loss(void *p) {
    act_ctx *c = p;
    if (c->which == 0) pb_gelu_forward(c->y, c->x, c->n);
    else pb_tanh_forward(c->y, c->x, c->n);
    return dot_d(c->y, c->r, c->n);
}
static void test_activations(void **state) {
    (void)state;
    float x[40], y[40], r[40], dx[40];
    act_ctx c = {0, x, y, r, 40};
    fill_normal(x, 40, 9, 2); fill_normal(r, 40, 10, 1);
    pb_gelu_backward(dx, x, r, 40);
    fd_check("gelu", act_loss, &c, x, dx, 40, 1e-2f, 1e-3);
    c.which = 1;
    pb_tanh_forward(y, x, 40);
    pb_tanh_backward(dx, y, r, 40);
    fd_check("tanh", act_loss, &c, x, dx, 40, 1e-2f, 1e-3);
}

/* ---- attention (padding mask and dropout) ---- */
typedef struct {
    int b, s, h, a;
    float p;
    float *q, *k, *v, *ctx, *probs, *r, *scratch;
    int32_t *mask;
} att_ctx;
static double att_loss(void *p) {
    att_ctx *c = p;
    pb_attention_forward(c->ctx, c->probs, c->q, c->k, c->v, c->h, c->mask, c->b, c->s, c->h, c->a, c->p, 77, c->scratch, 1);
    return dot_d(c->ctx, c->r, (size_t)c->b * c->s * c->h);
}
static void test_attention(void **state) {
    (void)state;
    enum { B = 2, S = 5, H = 6, A = 2, N = B * S * H };
    float q[N], k[N], v[N], ctx[N], probs[B * A * S * S], r[N], scratch[2 * S * S], dq[N], dk[N], dv[N];
    int32_t mask[B * S] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
    for (int pi = 0; pi < 2; pi++) {
        att_ctx c = {B, S, H, A, pi ? 0.3f : 0.0f, q, k, v, ctx, probs, r, scratch, mask};
        fill_normal(q, N, 11, 1); fill_normal(k, N, 12, 1); fill_normal(v, N, 13, 1); fill_normal(r, N, 14, 1);
        att_loss(&c);
        /* masked keys get probability exactly zero */
        for (int a = 0; a < A; a++)
            for (int i = 0; i < S; i++) {
                assert_true(probs[((1 * A + a) * S + i) * S + 3] == 0.0f);
                assert_true(probs[((1 * A + a) * S + i) * S + 4] == 0.0f);
            }
        pb_attention_backward(dq, dk, dv, r, q, k, v, H, probs, B, S, H, A, c.p, 77, scratch, 1);
        fd_check(pi ? "attention dq (dropout)" : "attention dq", att_loss, &c, q, dq, N, 1e-2f, 2e-3);
        fd_check(pi ? "attention dk (dropout)" : "attention dk", att_loss, &c, k, dk, N, 1e-2f, 2e-3);
        fd_check(pi ? "attention dv (dropout)" : "attention dv", att_loss, &c, v, dv, N, 1e-2f, 2e-3);
    }
}

/* ---- dropout statistics and determinism ---- */
static void test_dropout(void **state) {
    (void)state;
    enum { N = 100000 };
    float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float)), *z = malloc(N * sizeof(float));
    assert_non_null(x); assert_non_null(y); assert_non_null(z);
    for (int i = 0; i < N; i++) x[i] = 1.0f;
    pb_dropout_forward(y, x, N, 0.1f, 42);
    pb_dropout_forward(z, x, N, 0.1f, 42);
    int zeros = 0;
    for (int i = 0; i < N; i++) {
        assert_true(y[i] == z[i]);
        zeros += y[i] == 0.0f;
        if (y[i] != 0.0f) assert_float_equal(y[i], 1.0f / 0.9f, 1e-6);
    }
    /* binomial(1e5, 0.1): sd ~95; 6 sd bound */
    assert_true(abs(zeros - 10000) < 600);
    pb_dropout_forward(z, x, N, 0.1f, 43);
    assert_true(memcmp(y, z, N * sizeof(float)) != 0);
    free(x); free(y); free(z);
}

/* ---- CE and KL ---- */
typedef struct {
    float *s, *t;
    int k, which;
    float T;
} ce_ctx;
static double ce_loss(void *p) {
    ce_ctx *c = p;
    float scratch[16] = {0};
    if (c->which == 0) return pb_ce_forward_backward(scratch, c->s, c->k, 1, 2, 1.0f);
    return pb_kl_forward_backward(NULL, c->s, c->t, c->k, 1, c->T, 1.0f);
}
static void test_ce_kl(void **state) {
    (void)state;
    float s[6], t[6], d[6];
    fill_normal(s, 6, 20, 2); fill_normal(t, 6, 21, 2);
    ce_ctx c = {s, t, 6, 0, 1.0f};
    memset(d, 0, sizeof d);
    pb_ce_forward_backward(d, s, 6, 1, 2, 1.0f);
    fd_check("cross-entropy", ce_loss, &c, s, d, 6, 1e-2f, 1e-3);
    const float Ts[3] = {1.0f, 2.0f, 5.5f};
    for (int i = 0; i < 3; i++) {
        c.which = 1;
        c.T = Ts[i];
        memset(d, 0, sizeof d);
        pb_kl_forward_backward(d, s, t, 6, 1, Ts[i], 1.0f);
        fd_check("KL(teacher||student)", ce_loss, &c, s, d, 6, 1e-2f, 1e-3);
    }
    /* KL of identical distributions is zero */
    assert_true(fabs(pb_kl_forward_backward(NULL, s, s, 6, 1, 2.0f, 1.0f)) < 1e-6);
}

/* ---- whole model with dropout on, every head, BERT and RoBERTa ---- */
typedef struct {
    pb_model *m;
    pb_batch *b;
    const float *teacher;
} model_ctx;
static double model_loss(void *p) {
    model_ctx *c = p;
    float loss = 0;
    assert_int_equal(pb_model_forward(c->m, c->b, 1, 1234), 0);
    if (c->teacher) {
        pb_kd_params kd = {0.5f, 2.0f};
        assert_int_equal(pb_loss_kd(c->m, c->b, c->teacher, &kd, &loss), 0);
    } else {
        assert_int_equal(pb_loss_task(c->m, c->b, &loss), 0);
    }
    return loss;
}

static void small_config(pb_config *c, pb_model_type t) {
    pb_test_config(c, t, 23, 8, 2, 2, 12, 16);
    c->hidden_dropout_prob = 0.2f;
    c->attention_probs_dropout_prob = 0.2f;
}

static void run_model_fd(pb_model_type t, pb_head_kind head, int kd) {
    pb_config cfg;
    small_config(&cfg, t);
    const int n = 2, choices = head == PB_HEAD_MC ? 3 : 1, S = 6, R = n * choices;
    pb_model m;
    assert_int_equal(pb_model_init(&m, &cfg, head, R, S), 0);
    pb_model_init_weights(&m, 5);
    /* larger weights than HF init so every path carries signal */
    for (int i = 0; i < m.n_params; i++) {
        float *w = pb_model_param_data(&m, i);
        for (size_t j = 0; j < m.params[i].numel; j++) w[j] += 0.3f * pb_rng_normal(99 + (uint64_t)i, j);
    }
    int32_t ids[18 * 6], am[18 * 6], tt[18 * 6], labels[18 * 6], sp[2] = {1, 3}, ep[2] = {2, 6};
    float lf[2] = {0.5f, -1.0f};
    for (int i = 0; i < R * S; i++) {
        int pos = i % S, row = i / S;
        int pad = row % 2 == 1 && pos >= S - 2;
        ids[i] = pad ? cfg.pad_token_id : 2 + (int)(pb_rng_u64(7, (uint64_t)i) % (uint64_t)(cfg.vocab_size - 2));
        am[i] = !pad;
        tt[i] = (t == PB_MODEL_BERT && pos >= S / 2 && !pad) ? 1 : 0;
        labels[i] = (head == PB_HEAD_MLM) ? ((i % 3 == 0 && !pad) ? (int)(i % (int)cfg.vocab_size) : -100) : (i % 2);
    }
    pb_batch b = {n, choices, S, ids, am, tt, labels, lf, sp, ep};
    float teacher[2 * 6 * 23];
    fill_normal(teacher, sizeof teacher / sizeof *teacher, 31, 2);
    model_ctx c = {&m, &b, kd ? teacher : NULL};
    pb_model_zero_grad(&m);
    model_loss(&c);
    assert_int_equal(pb_model_backward(&m), 0);
    float *an = malloc(m.n_floats * sizeof(float));
    assert_non_null(an);
    memcpy(an, m.grads_mem, m.n_floats * sizeof(float));
    char label[160];
    double worst_all = 0.0;
    for (int i = 0; i < m.n_params; i++) {
        /* a sample of entries per tensor keeps the test fast */
        const pb_param *p = &m.params[i];
        size_t step = p->numel > 24 ? p->numel / 24 : 1;
        double worst = 0.0;
        for (size_t j = 0; j < p->numel; j += step) {
            float *w = pb_model_param_data(&m, i) + j;
            float keep = *w, h = 1e-2f;
            *w = keep + h;
            double lp = model_loss(&c);
            *w = keep - h;
            double lm = model_loss(&c);
            *w = keep;
            double fd = (lp - lm) / (2 * h), a = an[p->offset + j];
            double err = fabs(fd - a) / (fabs(fd) + fabs(a) + 1e-2);
            if (err > worst) worst = err;
        }
        snprintf(label, sizeof label, "%s/%s%s %s", t == PB_MODEL_BERT ? "bert" : "roberta", pb_head_name(head),
                 kd ? "+kd" : "", p->name);
        if (worst > 2e-2) print_error("FD MISMATCH %s: worst relative error %.3g\n", label, worst);
        assert_true(worst <= 2e-2);
        if (worst > worst_all) worst_all = worst;
    }
    printf("fd model %s/%s%s with dropout: %d tensors, worst rel err %.2e (tol 2e-2)\n",
           t == PB_MODEL_BERT ? "bert" : "roberta", pb_head_name(head), kd ? "+kd" : "", m.n_params, worst_all);
    free(an);
    pb_model_free(&m);
}

static void test_model_fd(void **state) {
    (void)state;
    for (int t = 0; t < 2; t++)
        for (int h = 0; h < 5; h++) run_model_fd((pb_model_type)t, (pb_head_kind)h, 0);
    run_model_fd(PB_MODEL_BERT, PB_HEAD_SPAN, 1);
    run_model_fd(PB_MODEL_ROBERTA, PB_HEAD_MC, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear),     cmocka_unit_test(test_layernorm), cmocka_unit_test(test_activations),
        cmocka_unit_test(test_attention),  cmocka_unit_test(test_dropout),   cmocka_unit_test(test_ce_kl),
        cmocka_unit_test(test_model_fd),
    };
    return cmocka_run_group_tests_name("kernels", tests, NULL, NULL);
}
