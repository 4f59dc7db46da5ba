#include "optim.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "pb_error.h"

void pb_adamw_hparams_default(pb_adamw_hparams *h) {
    h->lr = 1e-3f;
    h->beta1 = 0.9f;
    h->beta2 = 0.999f;
    h->eps = 1e-8f;
    h->weight_decay = 0.01f;
}

int pb_adamw_init(pb_adamw *opt, const pb_model *m) {
    memset(opt, 0, sizeof *opt);
    opt->n = m->n_floats;
    opt->mem = calloc(2 * opt->n, sizeof(float));
    if (!opt->mem) return PB_ERR(PB_ENOMEM, "AdamW state for %zu parameters", opt->n);
    opt->m = opt->mem;
    opt->v = opt->mem + opt->n;
    return 0;
}

void pb_adamw_free(pb_adamw *opt) {
    free(opt->mem);
    memset(opt, 0, sizeof *opt);
}

int pb_adamw_step(pb_adamw *opt, pb_model *m, const pb_adamw_hparams *h) { return pb_adamw_step_scaled(opt, m, h, 1.0f); }

int pb_adamw_step_scaled(pb_adamw *opt, pb_model *m, const pb_adamw_hparams *h, float grad_scale) {
    if (opt->n != m->n_floats)
        return PB_ERR(PB_EINVAL, "AdamW state sized for %zu parameters, model has %zu", opt->n, m->n_floats);
    opt->step++;
    /* torch.optim.AdamW: p *= 1 - lr*wd; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps) */
    const double bc1 = 1.0 - pow(h->beta1, (double)opt->step), bc2 = 1.0 - pow(h->beta2, (double)opt->step);
    const float step_size = (float)(h->lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    const float b1 = h->beta1, b2 = h->beta2, eps = h->eps, gs = grad_scale;
    for (int i = 0; i < m->n_params; i++) {
        const pb_param *p = &m->params[i];
        float *w = m->params_mem + p->offset;
        const float *g = m->grads_mem + p->offset;
        float *mo = opt->m + p->offset, *vo = opt->v + p->offset;
        const float *mk = pb_model_mask(m, i);
        const float decay = p->decay ? 1.0f - h->lr * h->weight_decay : 1.0f;
        const long n = (long)p->numel;
        if (!mk) {
#pragma omp parallel for simd schedule(static)
            for (long j = 0; j < n; j++) {
                float gj = g[j] * gs;
                float mj = b1 * mo[j] + (1.0f - b1) * gj, vj = b2 * vo[j] + (1.0f - b2) * gj * gj;
                mo[j] = mj;
                vo[j] = vj;
                w[j] = w[j] * decay - step_size * mj / (sqrtf(vj) / bc2_sqrt + eps);
            }
        } else {
            /* pruned entries: weight and both moments stay exactly zero */
#pragma omp parallel for simd schedule(static)
            for (long j = 0; j < n; j++) {
                const int keep = mk[j] != 0.0f;
                float gj = g[j] * gs;
                float mj = b1 * mo[j] + (1.0f - b1) * gj, vj = b2 * vo[j] + (1.0f - b2) * gj * gj;
                float wj = w[j] * decay - step_size * mj / (sqrtf(vj) / bc2_sqrt + eps);
                mo[j] = keep ? mj : 0.0f;
                vo[j] = keep ? vj : 0.0f;
                w[j] = keep ? wj : 0.0f;
            }
        }
    }
    return 0;
}

float pb_model_grad_norm(const pb_model *m) {
    /* Per-thread partial sums over fixed static slices, combined in thread
     * order: the norm is bitwise reproducible for a fixed thread count
     * (an OpenMP reduction clause combines in arrival order). */
    double part[256] = {0};
    const float *g = m->grads_mem;
    const size_t n = m->n_floats;
    int used = 1;
#pragma omp parallel
    {
        int nt = omp_get_num_threads(), t = omp_get_thread_num();
        if (nt > 256) nt = 256;
        if (t == 0) used = nt;
        if (t < nt) {
            size_t j0 = n * (size_t)t / (size_t)nt, j1 = n * (size_t)(t + 1) / (size_t)nt;
            double s = 0.0;
#pragma omp simd reduction(+ : s)
            for (size_t j = j0; j < j1; j++) s += (double)g[j] * g[j];
            part[t] = s;
        }
    }
    double total = 0.0;
    for (int t = 0; t < used; t++) total += part[t];
    return (float)sqrt(total);
}

float pb_clip_coef(float norm, float max_norm) {
    double coef = (double)max_norm / ((double)norm + 1e-6);
    return coef < 1.0 ? (float)coef : 1.0f;
}

float pb_model_clip_grad_norm(pb_model *m, float max_norm) {
    const float norm = pb_model_grad_norm(m), cf = pb_clip_coef(norm, max_norm);
    if (cf < 1.0f) {
        float *g = m->grads_mem;
        const long n = (long)m->n_floats;
#pragma omp parallel for simd schedule(static)
        for (long j = 0; j < n; j++) g[j] *= cf;
    }
    return norm;
}
