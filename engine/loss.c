#include "loss.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "pb_error.h"

/* log-softmax helpers over k values `stride` apart, in double for stability */
static double row_logsumexp(const float *x, int k, int stride, double scale) {
    double mx = -INFINITY;
    for (int j = 0; j < k; j++) mx = fmax(mx, scale * x[(size_t)j * stride]);
    double s = 0.0;
    for (int j = 0; j < k; j++) s += exp(scale * x[(size_t)j * stride] - mx);
    return mx + log(s);
}

float pb_ce_forward_backward(float *dlogits, const float *logits, int k, int stride, int target, float scale) {
    double lse = row_logsumexp(logits, k, stride, 1.0);
    for (int j = 0; j < k; j++) {
        double p = exp(logits[(size_t)j * stride] - lse);
        dlogits[(size_t)j * stride] += (float)(scale * (p - (j == target)));
    }
    return (float)(lse - logits[(size_t)target * stride]);
}

float pb_kl_forward_backward(float *dstudent, const float *student, const float *teacher, int k, int stride,
                             float temperature, float scale) {
    const double invT = 1.0 / temperature;
    double lse_s = row_logsumexp(student, k, stride, invT), lse_t = row_logsumexp(teacher, k, stride, invT);
    double kl = 0.0;
    for (int j = 0; j < k; j++) {
        double ls = invT * student[(size_t)j * stride] - lse_s, lt = invT * teacher[(size_t)j * stride] - lse_t;
        double pt = exp(lt), ps = exp(ls);
        if (pt > 0.0) kl += pt * (lt - ls);
        /* d/ds of T^2 KL = T (p_s - p_t); the caller's scale carries T^2 and the mean */
        if (dstudent) dstudent[(size_t)j * stride] += (float)(scale * invT * (ps - pt));
    }
    return (float)kl;
}

/* Task loss accumulated into dlogits scaled by `weight`; returns the mean loss. */
static int task_loss(pb_model *m, const pb_batch *b, float weight, double *loss) {
    const int n = m->n, S = m->seq, R = m->rows;
    double total = 0.0;
    switch (m->head) {
    case PB_HEAD_CLS:
    case PB_HEAD_MC: {
        /* cross-entropy over logits [n, C]: C labels (cls) or choices (mc) */
        const int mc = m->head == PB_HEAD_MC;
        const int C = mc ? m->choices : m->cfg.num_labels;
        if (!b->labels) return PB_ERR(PB_EINVAL, "%s batch has no labels", mc ? "multiple-choice" : "classification");
        for (int i = 0; i < n; i++)
            if (b->labels[i] < 0 || b->labels[i] >= C)
                return PB_ERR(PB_ERANGE, "labels[%d] = %d outside [0, %d)%s", i, b->labels[i], C, mc ? " choices" : "");
        for (int i = 0; i < n; i++)
            total += pb_ce_forward_backward(m->dlogits + (size_t)i * C, m->logits + (size_t)i * C, C, 1, b->labels[i],
                                            weight / n);
        *loss = total / n;
        return 0;
    }
    case PB_HEAD_REG:
        if (!b->labels_f) return PB_ERR(PB_EINVAL, "regression batch has no float labels");
        for (int i = 0; i < n; i++) {
            double d = (double)m->logits[i] - b->labels_f[i];
            total += d * d;
            m->dlogits[i] += (float)(weight * 2.0 * d / n);
        }
        *loss = total / n;
        return 0;
    case PB_HEAD_SPAN: {
        if (!b->start_positions || !b->end_positions) return PB_ERR(PB_EINVAL, "span batch has no start/end positions");
        /* logits [n, S, 2]; positions outside [0, S) are ignored (Hugging Face clamps them to S) */
        double half[2] = {0.0, 0.0};
        for (int e = 0; e < 2; e++) {
            const int32_t *pos = e == 0 ? b->start_positions : b->end_positions;
            int cnt = 0;
            for (int i = 0; i < n; i++) cnt += pos[i] >= 0 && pos[i] < S;
            if (!cnt) continue; /* PyTorch gives NaN here; an all-ignored batch contributes nothing */
            for (int i = 0; i < n; i++) {
                if (pos[i] < 0 || pos[i] >= S) continue;
                half[e] += pb_ce_forward_backward(m->dlogits + (size_t)i * S * 2 + e, m->logits + (size_t)i * S * 2 + e,
                                                  S, 2, pos[i], weight * 0.5f / cnt);
            }
            half[e] /= cnt;
        }
        *loss = 0.5 * (half[0] + half[1]);
        return 0;
    }
    case PB_HEAD_MLM: {
        const int V = m->cfg.vocab_size;
        if (!b->labels) return PB_ERR(PB_EINVAL, "masked-LM batch has no labels");
        long cnt = 0;
        for (int i = 0; i < R * S; i++) {
            if (b->labels[i] == -100) continue;
            if (b->labels[i] < 0 || b->labels[i] >= V)
                return PB_ERR(PB_ERANGE, "labels[%d] = %d outside [0, %d) and not -100", i, b->labels[i], V);
            cnt++;
        }
        if (!cnt) {
            *loss = 0.0;
            return 0;
        }
        /* rows of the logits to score: the sparse head's k rows, or the labelled tokens */
        const int sparse = m->mlm_k >= 0;
        if (sparse && m->mlm_k != cnt)
            return PB_ERR(PB_EINVAL, "masked-LM labels changed between forward (%d) and loss (%ld)", m->mlm_k, cnt);
        int32_t *tok = malloc(sizeof(int32_t) * (size_t)cnt);
        double *row_loss = malloc(sizeof(double) * (size_t)cnt);
        if (!tok || !row_loss) {
            free(tok);
            free(row_loss);
            return PB_ERR(PB_ENOMEM, "masked-LM loss of %ld tokens", cnt);
        }
        for (int i = 0, k = 0; i < R * S; i++)
            if (b->labels[i] != -100) tok[k++] = i;
        const float sc = weight / (float)cnt;
        /* rows are independent and summed in order afterwards: any thread count gives the same bits */
#pragma omp parallel for schedule(static)
        for (long k = 0; k < cnt; k++) {
            const size_t r = sparse ? (size_t)k : (size_t)tok[k];
            row_loss[k] = pb_xent_row(m->dlogits + r * V, m->logits + r * V, V, b->labels[tok[k]], sc);
        }
        for (long k = 0; k < cnt; k++) total += row_loss[k];
        free(tok);
        free(row_loss);
        *loss = total / (double)cnt;
        return 0;
    }
    }
    return PB_ERR(PB_EINVAL, "unknown head");
}

int pb_loss_task(pb_model *m, const pb_batch *b, float *loss_out) {
    if (!m->rows) return PB_ERR(PB_EINVAL, "loss called before forward");
    memset(m->dlogits, 0, m->n_logits * sizeof(float));
    double loss = 0.0;
    PB_TRY(task_loss(m, b, 1.0f, &loss));
    *loss_out = (float)loss;
    return 0;
}

int pb_loss_kd(pb_model *m, const pb_batch *b, const float *teacher, const pb_kd_params *kd, float *loss_out) {
    if (!m->rows) return PB_ERR(PB_EINVAL, "loss called before forward");
    if (!teacher) return PB_ERR(PB_EINVAL, "distillation needs teacher logits");
    const float h = kd->hardness, T = kd->temperature;
    if (!(h >= 0.0f && h <= 1.0f)) return PB_ERR(PB_EINVAL, "KD hardness %g outside [0, 1]", (double)h);
    if (!(T > 0.0f)) return PB_ERR(PB_EINVAL, "KD temperature %g must be positive", (double)T);
    memset(m->dlogits, 0, m->n_logits * sizeof(float));
    double task = 0.0, dist = 0.0;
    if (h < 1.0f) PB_TRY(task_loss(m, b, 1.0f - h, &task));
    const int n = m->n, S = m->seq, R = m->rows;
    const float T2 = T * T;
    switch (m->head) {
    case PB_HEAD_CLS:
    case PB_HEAD_MC: {
        const int C = m->head == PB_HEAD_CLS ? m->cfg.num_labels : m->choices;
        for (int i = 0; i < n; i++)
            dist += pb_kl_forward_backward(m->dlogits + (size_t)i * C, m->logits + (size_t)i * C,
                                           teacher + (size_t)i * C, C, 1, T, h * T2 / n);
        dist = T2 * dist / n;
        break;
    }
    case PB_HEAD_REG: /* one output: softmax is constant, so regression distils with MSE */
        for (int i = 0; i < n; i++) {
            double d = (double)m->logits[i] - teacher[i];
            dist += d * d;
            m->dlogits[i] += (float)(h * 2.0 * d / n);
        }
        dist /= n;
        break;
    case PB_HEAD_SPAN:
        for (int e = 0; e < 2; e++)
            for (int i = 0; i < n; i++)
                dist += pb_kl_forward_backward(m->dlogits + (size_t)i * S * 2 + e, m->logits + (size_t)i * S * 2 + e,
                                               teacher + (size_t)i * S * 2 + e, S, 2, T, h * T2 * 0.5f / n);
        dist = T2 * 0.5 * dist / n;
        break;
    case PB_HEAD_MLM: {
        const int V = m->cfg.vocab_size;
        if (!b->labels) return PB_ERR(PB_EINVAL, "masked-LM batch has no labels");
        if (m->mlm_k >= 0) return PB_ERR(PB_EINVAL, "distillation needs the full masked-LM head (mlm_sparse off)");
        long cnt = 0;
        for (int i = 0; i < R * S; i++) cnt += b->labels[i] != -100;
        if (cnt)
            for (int i = 0; i < R * S; i++)
                if (b->labels[i] != -100)
                    dist += pb_kl_forward_backward(m->dlogits + (size_t)i * V, m->logits + (size_t)i * V,
                                                   teacher + (size_t)i * V, V, 1, T, h * T2 / (float)cnt);
        dist = cnt ? T2 * dist / (double)cnt : 0.0;
        break;
    }
    }
    *loss_out = (float)((1.0 - h) * task + h * dist);
    return 0;
}
