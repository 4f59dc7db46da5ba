/* The ops the model needs, over raw float arrays (llm.c style): outputs first,
 * shapes in comments. Parameter gradients accumulate (+=) into zeroed buffers;
 * activation gradients are written unless the name says _acc. OpenBLAS does
 * every matrix product; the rest is OpenMP with static schedules, so results
 * are bitwise reproducible for a fixed thread count. */
#ifndef PB_KERNELS_H
#define PB_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* out[n,o] = inp[n,i] @ w[o,i]^T + b[o] (b may be NULL) */
void pb_linear_forward(float *out, const float *inp, const float *w, const float *b, int n, int in, int out_dim);
/* dinp[n,i] = (accumulate ? dinp : 0) + dout @ w (dinp may be NULL); dw[o,i] += dout^T @ inp; db[o] += colsum(dout) */
void pb_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, int n,
                        int in, int out_dim, int accumulate);

/* out[n,c] = (x - mean) * rstd * g + b; mean[n], rstd[n] saved for backward */
void pb_layernorm_forward(float *out, float *mean, float *rstd, const float *x, const float *g, const float *b, int n,
                          int c, float eps);
/* dx[n,c] = (accumulate ? dx : 0) + d/dx; dg[c] += ; db[c] += */
void pb_layernorm_backward(float *dx, float *dg, float *db, const float *dout, const float *x, const float *mean,
                           const float *rstd, const float *g, int n, int c, int accumulate);

/* exact GELU: 0.5 x (1 + erf(x / sqrt 2)) */
void pb_gelu_forward(float *out, const float *x, size_t n);
/* dx = gelu'(x) * dout (dx may alias dout) */
void pb_gelu_backward(float *dx, const float *x, const float *dout, size_t n);
void pb_tanh_forward(float *out, const float *x, size_t n);
/* dx = (1 - y^2) * dout from the saved output y (dx may alias dout) */
void pb_tanh_backward(float *dx, const float *y, const float *dout, size_t n);

/* Inverted dropout with the counter stream `key`: out = x * keep / (1 - p).
 * p == 0 copies. out may alias x. Backward is the same map applied to dout. */
void pb_dropout_forward(float *out, const float *x, size_t n, float p, uint64_t key);
#define pb_dropout_backward pb_dropout_forward

/* Multi-head self-attention core over projected q, k, v ([b, s, h] with row
 * stride ld >= h, so they may be column blocks of one [b, s, 3h] array) with a heads.
 * probs[b, a, s, s] = softmax(q k^T / sqrt(h/a)) over keys with mask[b, key] != 0
 * (mask NULL = all valid; masked keys get probability exactly 0);
 * ctx[b, s, h] = dropout(probs) @ v. scratch: per thread s*s floats, n_scratch threads. */
void pb_attention_forward(float *ctx, float *probs, const float *q, const float *k, const float *v, int ld,
                          const int32_t *mask, int b, int s, int h, int a, float drop_p, uint64_t key, float *scratch,
                          int n_scratch);
/* dq, dk, dv (row stride ld, like q, k, v) written from dctx [b, s, h]. scratch: per thread 2*s*s floats. */
void pb_attention_backward(float *dq, float *dk, float *dv, const float *dctx, const float *q, const float *k,
                           const float *v, int ld, const float *probs, int b, int s, int h, int a, float drop_p, uint64_t key,
                           float *scratch, int n_scratch);

/* Cross-entropy of one row of k contiguous logits against `target`: adds
 * scale * (softmax(row) - onehot(target)) into drow and returns
 * -log softmax(row)[target]. exp in float (~2 ulp, vectorized), sums in
 * double; for wide rows such as a masked-LM vocabulary. */
float pb_xent_row(float *drow, const float *row, int k, int target, float scale);

#endif
