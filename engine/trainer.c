#include "trainer.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pb_error.h"
#include "rng.h"
#include "trainstate.h"

/* Stream keys of the trainer's random draws: all are functions of (seed, step). */
enum { KEY_SHUFFLE = 0x5eed01, KEY_DROPOUT = 0x5eed02 };

/* Example order of one epoch: a seeded Fisher-Yates permutation. */
static void epoch_permutation(long *perm, long n, uint64_t seed, long epoch) {
    const uint64_t key = pb_rng_key(pb_rng_key(seed, KEY_SHUFFLE), (uint64_t)epoch);
    for (long i = 0; i < n; i++) perm[i] = i;
    for (long i = n - 1; i > 0; i--) {
        long j = (long)(pb_rng_u64(key, (uint64_t)i) % (uint64_t)(i + 1));
        long t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/* The real length of every training example (the longest of its rows), from
 * its featurized attention mask. */
static int example_lengths(const pb_data_source *ds, long n, int B, pb_batch_buf *bb, long *idx, int *len) {
    for (long first = 0; first < n; first += B) {
        const int k = n - first < B ? (int)(n - first) : B;
        for (int i = 0; i < k; i++) idx[i] = first + i;
        PB_TRY(ds->fill(ds->ctx, PB_SPLIT_TRAIN, idx, k, bb));
        const int per = bb->b.choices > 0 ? bb->b.choices : 1;
        for (int i = 0; i < k; i++) len[first + i] = pb_batch_longest(&bb->b, i * per, per);
    }
    return 0;
}

/* Hugging Face's LengthGroupedSampler: the shuffled order cut into megabatches
 * of `mega` examples, each sorted by length, longest first (a stable counting
 * sort, so ties keep their shuffled order). */
static void group_by_length(long *perm, long n, const int *len, int max_len, long mega, long *tmp, long *count) {
    for (long first = 0; first < n; first += mega) {
        const long k = n - first < mega ? n - first : mega;
        memset(count, 0, sizeof(long) * (size_t)(max_len + 2));
        for (long i = 0; i < k; i++) count[max_len - len[perm[first + i]] + 1]++;
        for (int l = 1; l <= max_len + 1; l++) count[l] += count[l - 1];
        for (long i = 0; i < k; i++) tmp[count[max_len - len[perm[first + i]]]++] = perm[first + i];
        memcpy(perm + first, tmp, sizeof(long) * (size_t)k);
    }
}

static size_t logits_per_example(const pb_model *m) { return m->n ? m->n_logits / (size_t)m->n : 0; }

static int predict(pb_model *m, const pb_data_source *ds, int split, int batch_size, int reduce, float **out,
                   size_t *stride) {
    *out = NULL;
    *stride = 0;
    const long n = ds->count(ds->ctx, split);
    if (n <= 0) return PB_ERR(PB_EINVAL, "task '%s' has no examples in split %d", ds->name, split);
    const int per = ds->choices > 0 ? ds->choices : 1;
    int bs = batch_size;
    if ((long)bs * per > m->max_rows) bs = m->max_rows / per;
    if (bs < 1) return PB_ERR(PB_EINVAL, "model capacity %d rows is below one example of %d rows", m->max_rows, per);
    pb_batch_buf bb;
    PB_TRY(pb_batch_buf_init(&bb, bs * per, ds->seq));
    long *idx = malloc(sizeof(long) * (size_t)bs);
    int rc = idx ? 0 : PB_ERR(PB_ENOMEM, "prediction indices");
    float *all = NULL;
    for (long s = 0; rc == 0 && s < n; s += bs) {
        int k = (int)(n - s < bs ? n - s : bs);
        for (int i = 0; i < k; i++) idx[i] = s + i;
        rc = ds->fill(ds->ctx, split, idx, k, &bb);
        /* per-example logits do not depend on padding; per-position ones (span,
         * masked LM) keep the full length their consumers index */
        if (rc == 0 && (m->head == PB_HEAD_CLS || m->head == PB_HEAD_REG || m->head == PB_HEAD_MC))
            pb_batch_trim_padding(&bb, m->head);
        if (rc == 0) rc = pb_model_forward(m, &bb.b, 0, 0);
        if (rc < 0) break;
        if (!all) {
            *stride = reduce ? ds->reduce_stride : logits_per_example(m);
            all = malloc(sizeof(float) * (size_t)n * *stride);
            if (!all) {
                rc = PB_ERR(PB_ENOMEM, "logits of %ld examples", n);
                break;
            }
        }
        if (reduce) rc = ds->reduce(ds->ctx, split, s, k, m->logits, logits_per_example(m), all + (size_t)s * *stride);
        else memcpy(all + (size_t)s * *stride, m->logits, sizeof(float) * (size_t)k * *stride);
    }
    free(idx);
    pb_batch_buf_free(&bb);
    if (rc < 0) {
        free(all);
        return rc;
    }
    *out = all;
    return 0;
}

int pb_train_predict(pb_model *m, const pb_data_source *ds, int split, int batch_size, float **out, size_t *stride) {
    return predict(m, ds, split, batch_size, 0, out, stride);
}

int pb_train_predict_eval(pb_model *m, const pb_data_source *ds, int split, int batch_size, float **out, size_t *stride) {
    return predict(m, ds, split, batch_size, ds->reduce != NULL, out, stride);
}

int pb_train_evaluate(pb_model *m, const pb_data_source *ds, int split, int batch_size, pb_metrics *out) {
    if (!m || !ds || !out) return PB_ERR(PB_EINVAL, "pb_train_evaluate: NULL argument");
    memset(out, 0, sizeof *out);
    if (batch_size <= 0) return PB_ERR(PB_EINVAL, "evaluation batch size %d: expected > 0", batch_size);
    if (ds->head != m->head)
        return PB_ERR(PB_EINVAL, "task '%s' needs a %s head; the model has %s", ds->name, pb_head_name(ds->head),
                      pb_head_name(m->head));
    if (ds->seq > m->max_seq)
        return PB_ERR(PB_ERANGE, "task '%s' rows of %d tokens exceed the model's %d", ds->name, ds->seq, m->max_seq);
    if (ds->vocab_size > m->cfg.vocab_size)
        return PB_ERR(PB_ERANGE, "task '%s' uses token ids up to %d; the model's vocabulary has %d", ds->name,
                      ds->vocab_size - 1, m->cfg.vocab_size);
    if (ds->head == PB_HEAD_CLS && ds->num_labels != m->cfg.num_labels)
        return PB_ERR(PB_EINVAL, "task '%s' has %d labels; the model's num_labels is %d", ds->name, ds->num_labels,
                      m->cfg.num_labels);
    float *logits;
    size_t stride;
    PB_TRY(pb_train_predict_eval(m, ds, split, batch_size, &logits, &stride));
    int rc = ds->evaluate(ds->ctx, split, logits, out);
    free(logits);
    return rc;
}

static int evaluate(pb_model *m, const pb_data_source *ds, int batch_size, pb_metrics *out) {
    return pb_train_evaluate(m, ds, PB_SPLIT_DEV, batch_size, out);
}

static int push_eval(pb_train_result *r, double epoch, const pb_metrics *mt) {
    double *e = realloc(r->eval_epochs, sizeof(double) * (size_t)(r->n_evals + 1));
    if (!e) return PB_ERR(PB_ENOMEM, "evaluation log");
    r->eval_epochs = e;
    pb_metrics *v = realloc(r->evals, sizeof(pb_metrics) * (size_t)(r->n_evals + 1));
    if (!v) return PB_ERR(PB_ENOMEM, "evaluation log");
    r->evals = v;
    r->eval_epochs[r->n_evals] = epoch;
    r->evals[r->n_evals] = *mt;
    r->n_evals++;
    return 0;
}

static int file_exists(const char *path) {
    struct stat st;
    return path && stat(path, &st) == 0;
}

void pb_train_result_free(pb_train_result *r) {
    free(r->eval_epochs);
    free(r->evals);
    free(r->curves);
    free(r->audit_rows);
    memset(r, 0, sizeof *r);
}

static int check_spec(const pb_model *m, const pb_data_source *ds, const pb_train_spec *s, long n_train) {
    if (s->epochs <= 0) return PB_ERR(PB_EINVAL, "train.epochs = %d: expected > 0", s->epochs);
    if (s->batch_size <= 0) return PB_ERR(PB_EINVAL, "train.batch_size = %d: expected > 0", s->batch_size);
    if ((long)s->batch_size * (ds->choices > 0 ? ds->choices : 1) > m->max_rows)
        return PB_ERR(PB_ERANGE, "batch of %d examples exceeds the model's capacity of %d rows", s->batch_size,
                      m->max_rows);
    if (ds->seq > m->max_seq)
        return PB_ERR(PB_ERANGE, "task '%s' rows of %d tokens exceed the model's %d", ds->name, ds->seq, m->max_seq);
    if (ds->head != m->head)
        return PB_ERR(PB_EINVAL, "task '%s' needs a %s head; the model has %s", ds->name, pb_head_name(ds->head),
                      pb_head_name(m->head));
    if (ds->vocab_size > m->cfg.vocab_size)
        return PB_ERR(PB_ERANGE, "task '%s' uses token ids up to %d; the model's vocabulary has %d", ds->name,
                      ds->vocab_size - 1, m->cfg.vocab_size);
    if (ds->head == PB_HEAD_CLS && ds->num_labels != m->cfg.num_labels)
        return PB_ERR(PB_EINVAL, "task '%s' has %d labels; the model's num_labels is %d", ds->name, ds->num_labels,
                      m->cfg.num_labels);
    if (n_train < s->batch_size)
        return PB_ERR(PB_EINVAL, "task '%s' has %ld training examples, fewer than one batch of %d", ds->name, n_train,
                      s->batch_size);
    PB_TRY(pb_sched_validate_lr(&s->lr));
    if (s->prune.method) PB_TRY(pb_sched_validate(&s->sparsity));
    if (s->teacher_logits && (s->kd.temperature <= 0.0f || s->kd.hardness < 0.0f || s->kd.hardness > 1.0f))
        return PB_ERR(PB_EINVAL, "kd: temperature %g must be > 0 and hardness %g in [0, 1]", (double)s->kd.temperature,
                      (double)s->kd.hardness);
    return 0;
}

int pb_train_run(pb_model *m, const pb_data_source *ds, const pb_train_spec *s, pb_train_result *r) {
    memset(r, 0, sizeof *r);
    const long n_train = ds->count(ds->ctx, PB_SPLIT_TRAIN);
    PB_TRY(check_spec(m, ds, s, n_train));
    const int B = s->batch_size;
    const long spe = n_train / B, total = spe * s->epochs;
    r->steps_per_epoch = spe;
    const double t0 = omp_get_wtime();

    pb_adamw opt;
    pb_pruner pr;
    pb_batch_buf bb;
    memset(&pr, 0, sizeof pr);
    memset(&bb, 0, sizeof bb);
    long *perm = NULL, perm_epoch = -1, *group_tmp = NULL, *group_count = NULL;
    int *lengths = NULL;
    float *teacher = NULL;
    int rc = pb_adamw_init(&opt, m);
    if (rc < 0) return rc;
    const int pruned = s->prune.method != NULL;
    r->pruned = pruned;
    if (pruned) rc = pb_pruner_init(&pr, m, &s->prune);
    if (rc == 0) rc = pb_batch_buf_init(&bb, m->max_rows, m->max_seq);
    perm = malloc(sizeof(long) * (size_t)n_train);
    r->curves = calloc((size_t)(total > 0 ? total : 1) * PB_CURVE_COLS, sizeof(float));
    r->audit_rows = calloc((size_t)m->n_params, sizeof(pb_audit_row));
    if (rc == 0 && (!perm || !r->curves || !r->audit_rows)) rc = PB_ERR(PB_ENOMEM, "trainer state");
    if (rc == 0 && s->group_by_length) {
        lengths = malloc(sizeof(int) * (size_t)n_train);
        group_tmp = malloc(sizeof(long) * (size_t)n_train);
        group_count = malloc(sizeof(long) * (size_t)(ds->seq + 2));
        if (!lengths || !group_tmp || !group_count) rc = PB_ERR(PB_ENOMEM, "example lengths of %ld examples", n_train);
        if (rc == 0) rc = example_lengths(ds, n_train, B, &bb, perm, lengths);
    }
    if (rc == 0 && s->teacher_logits) {
        teacher = malloc(sizeof(float) * (size_t)B * s->teacher_stride);
        if (!teacher) rc = PB_ERR(PB_ENOMEM, "teacher logits of a batch");
    }
    pb_group_cost costs[PB_PRUNE_N_GROUPS];
    if (rc == 0) rc = pb_prune_group_costs(m, ds->seq, costs);

    /* resume */
    long step = 0;
    double applied = 0.0;
    if (rc == 0 && s->resume && file_exists(s->state_path)) {
        size_t per_weight = pruned ? pr.method->state_floats_per_weight : 0;
        pb_trainstate st = {0, s->seed, 0, s->run_text, pruned ? pr.state : NULL, pr.total * per_weight, NULL, 0,
                            PB_CURVE_COLS};
        rc = pb_trainstate_load(s->state_path, m, &opt, &st);
        if (rc == 0 && (st.seed != s->seed || st.step > total || st.n_curve_rows != (size_t)st.step))
            rc = PB_ERR(PB_EFORMAT, "'%s': step %ld, seed or curves do not fit this run", s->state_path, st.step);
        if (rc == 0) {
            step = st.step;
            applied = st.applied_sparsity;
            memcpy(r->curves, st.curves, sizeof(float) * (size_t)step * PB_CURVE_COLS);
            if (pruned) {
                pr.observed = step;
                pr.target = applied;
                pr.frozen = pr.method->oneshot && applied > 0.0;
            }
        }
        free(st.curves);
    }

    const double dense_step_flops = 3.0 * pb_model_forward_flops(m, B * (ds->choices > 0 ? ds->choices : 1), ds->seq);
    const long eval_steps = s->eval_every_epochs > 0 ? (long)llround(s->eval_every_epochs * (double)spe) : 0;
    pb_adamw_hparams hp = s->adam;
    while (rc == 0 && step < total) {
        const long epoch = step / spe, pos = step % spe;
        if (epoch != perm_epoch) {
            epoch_permutation(perm, n_train, s->seed, epoch);
            if (lengths) group_by_length(perm, n_train, lengths, ds->seq, 50L * B, group_tmp, group_count);
            perm_epoch = epoch;
        }
        if (pruned) {
            int is_prune = pb_sched_is_prune_step(&s->sparsity, step, spe);
            if (is_prune < 0) {
                rc = is_prune;
                break;
            }
            if (is_prune) {
                double target = pb_sched_sparsity(&s->sparsity, (double)step / (double)spe);
                rc = pb_pruner_apply(&pr, m, target);
                if (rc == 0) rc = pb_prune_audit(m, &s->prune, target, r->audit_rows, &r->audit);
                if (rc == 0) rc = pb_prune_audit_check(&r->audit, s->audit_tol);
                if (rc < 0) break;
                applied = target;
            }
        }
        hp.lr = (float)pb_sched_lr(&s->lr, step, spe);
        rc = ds->fill(ds->ctx, PB_SPLIT_TRAIN, perm + pos * B, B, &bb);
        if (rc < 0) break;
        /* dynamic padding: the batch runs at its longest row; span and masked-LM
         * teacher logits are per position and are cut to the same length below */
        const int seq_full = bb.b.seq;
        pb_batch_trim_padding(&bb, m->head);
        const int per_pos = teacher && (m->head == PB_HEAD_SPAN || m->head == PB_HEAD_MLM)
                                ? (int)(s->teacher_stride / (size_t)seq_full)
                                : 0;
        pb_model_zero_grad(m);
        /* masked LM scores only its labelled tokens when training (same loss and
         * gradients, a fraction of the decoder's cost); distillation needs them all */
        m->mlm_sparse = m->head == PB_HEAD_MLM && !teacher;
        rc = pb_model_forward(m, &bb.b, 1, pb_rng_key(pb_rng_key(s->seed, KEY_DROPOUT), (uint64_t)step));
        if (rc < 0) break;
        float loss;
        if (teacher) {
            /* per-position logits: the first seq positions of each example, packed */
            const size_t keep = per_pos ? (size_t)per_pos * (size_t)bb.b.seq : s->teacher_stride;
            for (int i = 0; i < B; i++)
                memcpy(teacher + (size_t)i * keep, s->teacher_logits + (size_t)perm[pos * B + i] * s->teacher_stride,
                       sizeof(float) * keep);
            rc = pb_loss_kd(m, &bb.b, teacher, &s->kd, &loss);
        } else {
            rc = pb_loss_task(m, &bb.b, &loss);
        }
        if (rc < 0) break;
        if (!isfinite(loss)) {
            r->status = PB_TRAIN_DIVERGED;
            snprintf(r->reason, sizeof r->reason, "loss is %s at step %ld (epoch %ld)", isnan(loss) ? "NaN" : "Inf",
                     step, epoch);
            break;
        }
        rc = pb_model_backward(m);
        if (rc == 0 && pruned) rc = pb_pruner_observe(&pr, m);
        if (rc < 0) break;
        const float coef = s->max_grad_norm > 0 ? pb_clip_coef(pb_model_grad_norm(m), s->max_grad_norm) : 1.0f;
        rc = pb_adamw_step_scaled(&opt, m, &hp, coef);
        if (rc < 0) break;
        float *row = r->curves + (size_t)step * PB_CURVE_COLS;
        row[PB_CURVE_LOSS] = loss;
        row[PB_CURVE_LR] = hp.lr;
        row[PB_CURVE_SPARSITY] = (float)applied;
        step++;
        if (s->progress && s->progress_every > 0 && step % s->progress_every == 0)
            s->progress(s->progress_ctx, step, total, loss, NULL);
        if (eval_steps > 0 && step % eval_steps == 0 && step < total) {
            pb_metrics mt;
            rc = evaluate(m, ds, B, &mt);
            if (rc == 0) rc = push_eval(r, (double)step / (double)spe, &mt);
            if (rc == 0 && s->progress) s->progress(s->progress_ctx, step, total, loss, &mt);
        }
        /* a stop request (SIGINT/SIGTERM in the harness) saves the state at this step so a rerun continues */
        const int stop_now = s->stop_requested && *s->stop_requested && step < total;
        if (rc == 0 && s->state_path &&
            (stop_now || (s->checkpoint_every_steps > 0 && step % s->checkpoint_every_steps == 0))) {
            pb_trainstate st = {step, s->seed, applied, s->run_text, pruned ? pr.state : NULL,
                                pruned ? pr.total * pr.method->state_floats_per_weight : 0, r->curves, (size_t)step,
                                PB_CURVE_COLS};
            rc = pb_trainstate_save(s->state_path, m, &opt, &st);
        }
        if (rc == 0 && (stop_now || (s->stop_after_steps > 0 && step == s->stop_after_steps && step < total))) {
            r->status = PB_TRAIN_STOPPED;
            snprintf(r->reason, sizeof r->reason, "stopped after step %ld%s", step, stop_now ? " on request" : "");
            break;
        }
    }
    r->steps = step;
    /* accounting over the steps this process and earlier ones ran */
    r->tokens = (double)step * B * (ds->choices > 0 ? ds->choices : 1) * ds->seq;
    r->dense_flops = dense_step_flops * (double)step;
    double sparse = 0.0;
    const double enc_share = costs[PB_PRUNE_GROUP_ENCODER].flop_share;
    for (long i = 0; i < step; i++) sparse += dense_step_flops * (1.0 - enc_share * r->curves[i * PB_CURVE_COLS + PB_CURVE_SPARSITY]);
    r->sparse_flops = sparse;
    if (rc == 0 && r->status == PB_TRAIN_DONE) {
        rc = evaluate(m, ds, B, &r->final_metrics);
        if (rc == 0) rc = push_eval(r, (double)step / (double)spe, &r->final_metrics);
        if (rc == 0 && pruned) {
            rc = pb_prune_audit(m, &s->prune, applied, r->audit_rows, &r->audit);
            if (rc == 0) rc = pb_prune_audit_check(&r->audit, s->audit_tol);
        }
    }
    r->wall_seconds = omp_get_wtime() - t0;
    free(teacher);
    free(perm);
    free(lengths);
    free(group_tmp);
    free(group_count);
    pb_batch_buf_free(&bb);
    if (pruned) pb_pruner_free(&pr);
    pb_adamw_free(&opt);
    return rc;
}
