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

int pb_adamw_step(pb_adamw *opt, pb_model *m, const pb_adamw_hparams *h) {
    if (opt->n != m->n_floats) return PB_ERR(PB_EINVAL, "AdamW state sized for %zu parameters, model has %zu", opt->n, m->n_floats);
    opt->step++;
    /* torch.optim.AdamW: p *= 1 - lr*wd; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps) */
    const double bc1 = 1.0 - pow(h->beta1, (double)opt->step), bc2 = 1.0 - pow(h->beta2, (double)opt->step);
    const float step_size = (float)(h->lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    const float b1 = h->beta1, b2 = h->beta2, eps = h->eps;
    for (int i = 0; i < m->n_params; i++) {
        const pb_param *p = &m->params[i];
        float *w = m->params_mem + p->offset, *g = m->grads_mem + p->offset;
        float *mo = opt->m + p->offset, *vo = opt->v + p->offset;
        const float *mk = pb_model_mask(m, i);
        const float decay = p->decay ? 1.0f - h->lr * h->weight_decay : 1.0f;
        const size_t n = p->numel;
#pragma omp parallel for schedule(static)
        for (size_t j = 0; j < n; j++) {
            if (mk && mk[j] == 0.0f) { /* pruned: weight and moments stay exactly zero */
                w[j] = mo[j] = vo[j] = 0.0f;
                continue;
            }
            float gj = g[j];
            mo[j] = b1 * mo[j] + (1.0f - b1) * gj;
            vo[j] = b2 * vo[j] + (1.0f - b2) * gj * gj;
            float wj = w[j] * decay;
            w[j] = wj - step_size * mo[j] / (sqrtf(vo[j]) / bc2_sqrt + eps);
        }
    }
    return 0;
}

float pb_model_clip_grad_norm(pb_model *m, float max_norm) {
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
            for (size_t j = j0; j < j1; j++) s += (double)g[j] * g[j];
            part[t] = s;
        }
    }
    double total = 0.0;
    for (int t = 0; t < used; t++) total += part[t];
    const double norm = sqrt(total);
    const double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0) {
        const float cf = (float)coef;
        float *gw = m->grads_mem;
#pragma omp parallel for schedule(static)
        for (size_t j = 0; j < n; j++) gw[j] *= cf;
    }
    return (float)norm;
}
