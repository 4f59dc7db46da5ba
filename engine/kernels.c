#include "kernels.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "pb_error.h" /* also guards against fast-math builds */
#include "rng.h"

float pb_rng_normal(uint64_t key, uint64_t i) {
    /* Box-Muller over the pair of 24-bit uniforms (2i, 2i+1); u1 in (0, 1]. */
    float u1 = 1.0f - pb_rng_uniform(key, 2 * i);
    float u2 = pb_rng_uniform(key, 2 * i + 1);
    return (float)(sqrt(-2.0 * log((double)u1)) * cos(6.283185307179586 * (double)u2));
}

/* Small matrices barely scale inside one sgemm on two threads, so products
 * whose rows are independent are split across the engine's threads, each
 * calling a single-threaded sgemm (OpenBLAS's OpenMP build runs serially
 * inside a parallel region). The split is fixed per thread count. */
/* db[o] += sum_r dout[r, o]; each thread owns a column range so the sum order is fixed. */
static void colsum_acc(float *db, const float *dout, int n, int o) {
#pragma omp parallel
    {
        int nt = omp_get_num_threads(), t = omp_get_thread_num();
        int c0 = (int)((long)o * t / nt), c1 = (int)((long)o * (t + 1) / nt);
        for (int r = 0; r < n; r++) {
            const float *row = dout + (size_t)r * o;
            for (int c = c0; c < c1; c++) db[c] += row[c];
        }
    }
}

/* Products at or below this size (in x out) run as one single-threaded sgemm
 * per thread on a slice; larger ones as one multi-threaded sgemm, which wins
 * there (measured on 2 cores: split 200 vs 125 GFLOP/s at 128x128, full
 * 197 vs 150 GFLOP/s at 3072x768). */
enum { PB_SPLIT_MAX = 256 * 1024 };

void pb_linear_forward(float *out, const float *inp, const float *w, const float *b, int n, int in, int out_dim) {
    if ((long)in * out_dim > PB_SPLIT_MAX) {
        if (b) {
#pragma omp parallel for schedule(static)
            for (int r = 0; r < n; r++) memcpy(out + (size_t)r * out_dim, b, sizeof(float) * (size_t)out_dim);
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out_dim, in, 1.0f, inp, in, w, in, b ? 1.0f : 0.0f, out,
                    out_dim);
        return;
    }
#pragma omp parallel
    {
        int nt = omp_get_num_threads(), t = omp_get_thread_num();
        int r0 = (int)((long)n * t / nt), r1 = (int)((long)n * (t + 1) / nt);
        if (b)
            for (int r = r0; r < r1; r++) memcpy(out + (size_t)r * out_dim, b, sizeof(float) * (size_t)out_dim);
        if (r1 > r0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r1 - r0, out_dim, in, 1.0f, inp + (size_t)r0 * in, in, w,
                        in, b ? 1.0f : 0.0f, out + (size_t)r0 * out_dim, out_dim);
    }
}

void pb_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, int n,
                        int in, int out_dim, int accumulate) {
    /* small: dinp split by rows, dW (a sum over all n rows) split by its output rows */
    const int split = (long)in * out_dim <= PB_SPLIT_MAX;
    if (split) {
#pragma omp parallel
        {
            int nt = omp_get_num_threads(), t = omp_get_thread_num();
            int r0 = (int)((long)n * t / nt), r1 = (int)((long)n * (t + 1) / nt);
            if (dinp && r1 > r0)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0, in, out_dim, 1.0f, dout + (size_t)r0 * out_dim,
                            out_dim, w, in, accumulate ? 1.0f : 0.0f, dinp + (size_t)r0 * in, in);
            int c0 = (int)((long)out_dim * t / nt), c1 = (int)((long)out_dim * (t + 1) / nt);
            if (dw && c1 > c0)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, c1 - c0, in, n, 1.0f, dout + c0, out_dim, inp, in, 1.0f,
                            dw + (size_t)c0 * in, in);
        }
    } else {
        if (dinp)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out_dim, 1.0f, dout, out_dim, w, in,
                        accumulate ? 1.0f : 0.0f, dinp, in);
        if (dw)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out_dim, in, n, 1.0f, dout, out_dim, inp, in, 1.0f, dw, in);
    }
    if (db) colsum_acc(db, dout, n, out_dim);
}

void pb_layernorm_forward(float *out, float *mean, float *rstd, const float *x, const float *g, const float *b, int n,
                          int c, float eps) {
#pragma omp parallel for schedule(static)
    for (int r = 0; r < n; r++) {
        const float *xr = x + (size_t)r * c;
        float *yr = out + (size_t)r * c;
        double s = 0.0;
        for (int j = 0; j < c; j++) s += xr[j];
        float m = (float)(s / c);
        double v = 0.0;
        for (int j = 0; j < c; j++) {
            double d = (double)xr[j] - m;
            v += d * d;
        }
        float rs = (float)(1.0 / sqrt(v / c + (double)eps));
        for (int j = 0; j < c; j++) yr[j] = (xr[j] - m) * rs * g[j] + b[j];
        mean[r] = m;
        rstd[r] = rs;
    }
}

void pb_layernorm_backward(float *dx, float *dg, float *db, const float *dout, const float *x, const float *mean,
                           const float *rstd, const float *g, int n, int c, int accumulate) {
#pragma omp parallel for schedule(static)
    for (int r = 0; r < n; r++) {
        const float *xr = x + (size_t)r * c, *dyr = dout + (size_t)r * c;
        float *dxr = dx + (size_t)r * c;
        float m = mean[r], rs = rstd[r];
        double sum_dxh = 0.0, sum_dxh_xh = 0.0;
        for (int j = 0; j < c; j++) {
            float xh = (xr[j] - m) * rs;
            float dxh = dyr[j] * g[j];
            sum_dxh += dxh;
            sum_dxh_xh += (double)dxh * xh;
        }
        float mdxh = (float)(sum_dxh / c), mdxhxh = (float)(sum_dxh_xh / c);
        for (int j = 0; j < c; j++) {
            float xh = (xr[j] - m) * rs;
            float v = rs * (dyr[j] * g[j] - mdxh - xh * mdxhxh);
            dxr[j] = accumulate ? dxr[j] + v : v;
        }
    }
    /* parameter gradients: each thread owns a column range */
#pragma omp parallel
    {
        int nt = omp_get_num_threads(), t = omp_get_thread_num();
        int c0 = (int)((long)c * t / nt), c1 = (int)((long)c * (t + 1) / nt);
        for (int r = 0; r < n; r++) {
            const float *xr = x + (size_t)r * c, *dyr = dout + (size_t)r * c;
            float m = mean[r], rs = rstd[r];
            for (int j = c0; j < c1; j++) {
                dg[j] += dyr[j] * ((xr[j] - m) * rs);
                db[j] += dyr[j];
            }
        }
    }
}

/* exp in float, vectorizable: 2^n * p(r) with r = x - n ln2 in [-ln2/2, ln2/2]
 * and a degree-7 Taylor polynomial (truncation below 1e-8 relative). The
 * exponent is clamped as an integer (so the loop stays branch-free): below
 * about -88 the result is 0 (no denormals), above about 88 it is inf. Inputs
 * must be finite with |x| < 1e9 (the float-to-int step). Max error ~2 ulp. */
static inline float pb_expf(float x) {
    float kf = x * 1.44269504088896341f;
    int32_t ni = (int32_t)(kf + copysignf(0.5f, kf)); /* round to nearest */
    float n = (float)ni;
    float r = x - n * 0.693359375f; /* ln2 split: the high part has 8 bits, so n*hi is exact */
    r = r - n * -2.12194440e-4f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t e = ni < -127 ? -127 : ni; /* -127 gives the bit pattern of +0 */
    e = e > 128 ? 128 : e;             /* 128 gives +inf */
    union { float f; int32_t i; } sc;
    sc.i = (e + 127) << 23;
    return p * sc.f;
}

/* Phi(x) = 0.5 erfc(-x / sqrt 2), through the Chebyshev erfc of Numerical
 * Recipes (fractional error below 1.2e-7 everywhere). Working from erfc keeps
 * the relative accuracy of GELU for negative x, where 1 + erf(x) cancels. */
static inline float pb_normal_cdf(float x) {
    float z = fabsf(x) * 0.70710678118654752f;
    float t = 1.0f / (1.0f + 0.5f * z);
    float poly = -1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f + t * (-0.18628806f +
                 t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f))))))));
    float half_erfc = 0.5f * t * pb_expf(-z * z + poly); /* 0.5 erfc(|x| / sqrt 2) */
    /* select by bit mask: keeps the loop branch-free so it vectorizes */
    union { float f; int32_t i; } hi, lo, out;
    hi.f = 1.0f - half_erfc;
    lo.f = half_erfc;
    int32_t m = -(int32_t)(x >= 0.0f);
    out.i = (hi.i & m) | (lo.i & ~m);
    return out.f;
}

void pb_gelu_forward(float *out, const float *x, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = x[i] * pb_normal_cdf(x[i]);
}

void pb_gelu_backward(float *dx, const float *x, const float *dout, size_t n) {
    const float inv_sqrt_2pi = 0.3989422804014327f;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        float xi = x[i];
        float pdf = inv_sqrt_2pi * pb_expf(-0.5f * xi * xi);
        dx[i] = dout[i] * (pb_normal_cdf(xi) + xi * pdf);
    }
}

void pb_tanh_forward(float *out, const float *x, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = tanhf(x[i]);
}

void pb_tanh_backward(float *dx, const float *y, const float *dout, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) dx[i] = dout[i] * (1.0f - y[i] * y[i]);
}

void pb_dropout_forward(float *out, const float *x, size_t n, float p, uint64_t key) {
    if (p <= 0.0f) {
        if (out != x) memcpy(out, x, n * sizeof(float));
        return;
    }
    const float scale = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = pb_rng_uniform(key, i) < p ? 0.0f : x[i] * scale;
}

/* Dropout on one (batch, head) probability block; element index global in probs. */
static void attn_dropout(float *dst, const float *src, int s, float p, uint64_t key, uint64_t base) {
    const float scale = 1.0f / (1.0f - p);
    for (int i = 0; i < s * s; i++) dst[i] = pb_rng_uniform(key, base + (uint64_t)i) < p ? 0.0f : src[i] * scale;
}

void pb_attention_forward(float *ctx, float *probs, const float *q, const float *k, const float *v, int ld,
                          const int32_t *mask, int b, int s, int h, int a, float drop_p, uint64_t key, float *scratch,
                          int n_scratch) {
    const int dh = h / a;
    const float scale = 1.0f / sqrtf((float)dh);
#pragma omp parallel for collapse(2) schedule(static) num_threads(n_scratch)
    for (int bi = 0; bi < b; bi++) {
        for (int ai = 0; ai < a; ai++) {
            const size_t off = (size_t)bi * s * h + (size_t)ai * dh;   /* into ctx / dctx */
            const size_t qoff = (size_t)bi * s * ld + (size_t)ai * dh; /* into q, k, v and their gradients */
            float *p = probs + ((size_t)bi * a + ai) * s * s;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s, s, dh, scale, q + qoff, ld, k + qoff, ld, 0.0f, p, s);
            const int32_t *mrow = mask ? mask + (size_t)bi * s : NULL;
            for (int i = 0; i < s; i++) {
                float *row = p + (size_t)i * s;
                float mx = -INFINITY;
                if (mrow) {
#pragma omp simd reduction(max : mx)
                    for (int j = 0; j < s; j++) {
                        float vj = mrow[j] ? row[j] : -INFINITY;
                        mx = vj > mx ? vj : mx;
                    }
                    if (mx == -INFINITY) mx = 0.0f; /* every key masked: keep the exp argument finite */
#pragma omp simd
                    for (int j = 0; j < s; j++) {
                        /* computed unconditionally, then masked by bits: the loop stays branch-free */
                        union { float f; int32_t i; } e;
                        e.f = pb_expf(row[j] - mx);
                        e.i &= -(int32_t)(mrow[j] != 0);
                        row[j] = e.f;
                    }
                } else {
#pragma omp simd reduction(max : mx)
                    for (int j = 0; j < s; j++) mx = row[j] > mx ? row[j] : mx;
#pragma omp simd
                    for (int j = 0; j < s; j++) row[j] = pb_expf(row[j] - mx);
                }
                float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
                for (int j = 0; j < s; j++) sum += row[j];
                float inv = sum > 0.0f ? 1.0f / sum : 0.0f; /* all keys masked: zero row */
#pragma omp simd
                for (int j = 0; j < s; j++) row[j] *= inv;
            }
            const float *pd = p;
            if (drop_p > 0.0f) {
                float *sc = scratch + (size_t)omp_get_thread_num() * s * s;
                attn_dropout(sc, p, s, drop_p, key, ((uint64_t)bi * a + ai) * s * s);
                pd = sc;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s, dh, s, 1.0f, pd, s, v + qoff, ld, 0.0f, ctx + off, h);
        }
    }
}

void pb_attention_backward(float *dq, float *dk, float *dv, const float *dctx, const float *q, const float *k,
                           const float *v, int ld, const float *probs, int b, int s, int h, int a, float drop_p, uint64_t key,
                           float *scratch, int n_scratch) {
    const int dh = h / a;
    const float scale = 1.0f / sqrtf((float)dh);
#pragma omp parallel for collapse(2) schedule(static) num_threads(n_scratch)
    for (int bi = 0; bi < b; bi++) {
        for (int ai = 0; ai < a; ai++) {
            const size_t off = (size_t)bi * s * h + (size_t)ai * dh;   /* into ctx / dctx */
            const size_t qoff = (size_t)bi * s * ld + (size_t)ai * dh; /* into q, k, v and their gradients */
            const float *p = probs + ((size_t)bi * a + ai) * s * s;
            float *dp = scratch + (size_t)omp_get_thread_num() * 2 * s * s;
            float *pd = dp + (size_t)s * s;
            const uint64_t base = ((uint64_t)bi * a + ai) * s * s;
            const float *pused = p;
            if (drop_p > 0.0f) {
                attn_dropout(pd, p, s, drop_p, key, base);
                pused = pd;
            }
            /* dv = dropout(P)^T dctx; d(dropout(P)) = dctx v^T */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s, dh, s, 1.0f, pused, s, dctx + off, h, 0.0f, dv + qoff, ld);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s, s, dh, 1.0f, dctx + off, h, v + qoff, ld, 0.0f, dp, s);
            if (drop_p > 0.0f) attn_dropout(dp, dp, s, drop_p, key, base);
            /* softmax backward, then the 1/sqrt(dh) scale */
            for (int i = 0; i < s; i++) {
                const float *pr = p + (size_t)i * s;
                float *dr = dp + (size_t)i * s;
                float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
                for (int j = 0; j < s; j++) dot += pr[j] * dr[j];
#pragma omp simd
                for (int j = 0; j < s; j++) dr[j] = pr[j] * (dr[j] - dot) * scale;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s, dh, s, 1.0f, dp, s, k + qoff, ld, 0.0f, dq + qoff, ld);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s, dh, s, 1.0f, dp, s, q + qoff, ld, 0.0f, dk + qoff, ld);
        }
    }
}

float pb_xent_row(float *drow, const float *row, int k, int target, float scale) {
    float mx = row[0];
    for (int j = 1; j < k; j++) mx = row[j] > mx ? row[j] : mx;
    /* 16 independent float lanes vectorize; the lanes are summed in double */
    float acc[16] = {0};
    int j = 0;
    for (; j + 16 <= k; j += 16)
        for (int l = 0; l < 16; l++) acc[l] += pb_expf(row[j + l] - mx);
    double s = 0.0;
    for (; j < k; j++) s += pb_expf(row[j] - mx);
    for (int l = 0; l < 16; l++) s += acc[l];
    const float inv = (float)(1.0 / s);
    for (j = 0; j < k; j++) drow[j] += scale * (pb_expf(row[j] - mx) * inv);
    drow[target] -= scale;
    return (float)((double)mx + log(s) - (double)row[target]);
}
