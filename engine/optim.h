/* AdamW as torch.optim.AdamW (bias correction, decoupled weight decay) and
 * global gradient-norm clipping as torch.nn.utils.clip_grad_norm_. */
#ifndef PB_OPTIM_H
#define PB_OPTIM_H

#include "model.h"

typedef struct {
    float lr;
    float beta1, beta2;
    float eps;
    float weight_decay; /* applied to params with decay != 0 only */
} pb_adamw_hparams;

typedef struct {
    size_t n;
    float *mem;  /* lifetime: optimizer state; first n floats m, next n v */
    float *m, *v;
    long step;
} pb_adamw;

void pb_adamw_hparams_default(pb_adamw_hparams *h); /* lr 1e-3, (0.9, 0.999), 1e-8, 0.01 */
int pb_adamw_init(pb_adamw *opt, const pb_model *m);
void pb_adamw_free(pb_adamw *opt);
/* One step over every parameter. Masked entries (pb_model_mask) keep
 * weight and both moments exactly zero. */
int pb_adamw_step(pb_adamw *opt, pb_model *m, const pb_adamw_hparams *h);
/* The same step on gradients multiplied by grad_scale on the fly: clipping
 * fused into the update (grad_scale = pb_clip_coef(pb_model_grad_norm(m), max)),
 * saving a pass over the gradients. */
int pb_adamw_step_scaled(pb_adamw *opt, pb_model *m, const pb_adamw_hparams *h, float grad_scale);
/* Global L2 norm of the gradients (deterministic for a fixed thread count). */
float pb_model_grad_norm(const pb_model *m);
/* torch's clip coefficient: min(1, max_norm / (norm + 1e-6)). */
float pb_clip_coef(float norm, float max_norm);
/* Scale gradients so their global L2 norm is at most max_norm (coef
 * max_norm / (norm + 1e-6) when below 1). Returns the norm before clipping. */
float pb_model_clip_grad_norm(pb_model *m, float max_norm);

#endif
