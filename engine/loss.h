/* Task losses and knowledge distillation over a model's logits. Each loss
 * writes the mean loss and its gradient w.r.t. the logits (overwriting dlogits). */
#ifndef PB_LOSS_H
#define PB_LOSS_H

#include "model.h"

typedef struct {
    float hardness;     /* h: weight of the distillation term, 0 = task loss only */
    float temperature;  /* T */
} pb_kd_params;

/* Task loss of the model's head on batch labels: cls/mc CE, reg MSE,
 * span (CE(start) + CE(end)) / 2, mlm CE over labels != -100.
 * Fills m->dlogits; *loss_out gets the scalar. */
int pb_loss_task(pb_model *m, const pb_batch *b, float *loss_out);

/* (1-h) * task + h * T^2 * KL(softmax(t/T) || softmax(s/T)), averaged over the
 * distilled distributions (rows for cls/mc, start and end for span, labelled
 * tokens for mlm); regression distils with MSE to the teacher output.
 * teacher_logits has the shape of m->logits. */
int pb_loss_kd(pb_model *m, const pb_batch *b, const float *teacher_logits, const pb_kd_params *kd,
               float *loss_out);

/* Kernels, exposed for tests: out-of-model forms over raw arrays. */
/* CE of one row of logits[k] (stride apart) with target; writes dlogits scaled by `scale`. */
float pb_ce_forward_backward(float *dlogits, const float *logits, int k, int stride, int target, float scale);
/* KL(softmax(t/T) || softmax(s/T)) of one row; adds scale * d/ds into dstudent. */
float pb_kl_forward_backward(float *dstudent, const float *student, const float *teacher, int k, int stride,
                             float temperature, float scale);

#endif
