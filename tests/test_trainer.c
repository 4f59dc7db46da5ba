/* One training cell end to end on the generated toy task: dense training
 * learns, GMP reaches exactly the scheduled sparsity on the encoder while
 * embeddings and head stay dense, resume is bitwise equal to an uninterrupted
 * run, divergence is caught, cached and on-the-fly teacher logits give the
 * same distillation loss, span distillation cuts the teacher's logits with the
 * batch, and group_by_length orders each epoch as Hugging Face's sampler. */
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "testutil.h"
#include "trainer.h"

PB_TEST_TMPDIR_FIXTURE("trainer")

enum { SEQ = 24, BATCH = 32 };

static void open_toy(pb_data_source *ds) {
    pb_task_opts o = {.seed = 11, .max_seq_length = SEQ};
    assert_int_equal(pb_task_open("toy", &o, ds), 0);
}

static void make_model(pb_model *m, const pb_data_source *ds, uint64_t seed) {
    pb_config c;
    pb_test_config(&c, PB_MODEL_BERT, ds->vocab_size, 64, 2, 2, 256, 32);
    assert_int_equal(pb_model_init(m, &c, PB_HEAD_CLS, 256, SEQ), 0);
    pb_model_init_weights(m, seed);
}

/* A linear-decay dense spec over `epochs`: lr 2e-3 -> 2e-4, no evaluation. */
static void base_spec(pb_train_spec *s, int epochs) {
    pb_test_train_spec(s, epochs, BATCH, 2e-4, 0);
    s->lr.seg[0].lr_init = 2e-3;
}

static void test_dense_learns(void **state) {
    (void)state;
    pb_data_source ds;
    open_toy(&ds);
    pb_model m;
    make_model(&m, &ds, 1);
    pb_train_spec s;
    base_spec(&s, 4);
    s.eval_every_epochs = 1;
    pb_train_result r;
    int rc = pb_train_run(&m, &ds, &s, &r);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_int_equal(r.status, PB_TRAIN_DONE);
    assert_int_equal(r.steps, 4 * (2048 / BATCH));
    assert_int_equal(r.n_evals, 4);
    printf("dense toy: dev accuracy %.2f%% after %ld steps (chance 33.3%%), %.1f s\n", r.final_metrics.value[0], r.steps,
           r.wall_seconds);
    assert_true(r.final_metrics.value[0] > 55.0);
    /* the loss went down */
    assert_true(r.curves[(r.steps - 1) * PB_CURVE_COLS] < r.curves[0]);
    pb_train_result_free(&r);
    pb_model_free(&m);
    ds.free(ds.ctx);
}

static void gmp_spec(pb_train_spec *s, const int *sel) {
    base_spec(s, 4);
    s->prune.method = "magnitude";
    s->prune.scope = PB_PRUNE_SCOPE_GLOBAL;
    s->prune.mask = PB_PRUNE_MASK_UNSTRUCTURED;
    s->prune.selected = sel;
    s->prune.seed = 3;
    s->sparsity.kind = PB_SCHED_CUBIC;
    s->sparsity.init_sparsity = 0.5;
    s->sparsity.final_sparsity = 0.9;
    s->sparsity.start_epoch = 1;
    s->sparsity.end_epoch = 3;
    s->sparsity.update_every_epochs = 0.5;
}

static void test_gmp_to_90(void **state) {
    (void)state;
    pb_data_source ds;
    open_toy(&ds);
    pb_model m;
    make_model(&m, &ds, 1);
    int *sel = calloc((size_t)m.n_params, sizeof(int));
    const char *groups[] = {"encoder"};
    assert_int_equal(pb_prune_select(&m, groups, 1, sel), 0);
    pb_train_spec s;
    gmp_spec(&s, sel);
    pb_train_result r;
    int rc = pb_train_run(&m, &ds, &s, &r);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_int_equal(r.status, PB_TRAIN_DONE);
    assert_true(r.pruned);
    /* exactly 90% of the encoder weights are zero, per the audit and per a recount */
    assert_true(fabs(r.audit.encoder_sparsity - 0.9) < 1.0 / (double)r.audit.encoder_numel);
    size_t zeros = 0, numel = 0;
    for (int i = 0; i < m.n_params; i++) {
        const float *w = pb_model_param_data(&m, i);
        size_t z = 0;
        for (size_t j = 0; j < m.params[i].numel; j++) z += w[j] == 0.0f;
        if (sel[i]) {
            zeros += z;
            numel += m.params[i].numel;
        } else if (m.params[i].ndim == 2) {
            /* embeddings and head untouched by pruning: no mask zeros (only the
             * padding row of the word embeddings is zero from initialization) */
            const float *mk = pb_model_mask(&m, i);
            for (size_t j = 0; mk && j < m.params[i].numel; j++) assert_true(mk[j] == 1.0f);
            assert_true(z <= (size_t)m.params[i].shape[1]);
        }
    }
    assert_int_equal(zeros, (size_t)llround(0.9 * (double)numel));
    /* the schedule is in the curves: dense before epoch 1, 0.9 at the end */
    assert_true(r.curves[PB_CURVE_SPARSITY] == 0.0f);
    assert_true(fabsf(r.curves[(r.steps - 1) * PB_CURVE_COLS + PB_CURVE_SPARSITY] - 0.9f) < 1e-6f);
    assert_true(r.sparse_flops < r.dense_flops);
    printf("GMP 90%% encoder: dev accuracy %.2f%%, encoder sparsity %.4f, %.1f s\n", r.final_metrics.value[0],
           r.audit.encoder_sparsity, r.wall_seconds);
    assert_true(r.final_metrics.value[0] > 40.0);
    pb_train_result_free(&r);
    free(sel);
    pb_model_free(&m);
    ds.free(ds.ctx);
}

static void test_resume_bitwise(void **state) {
    (void)state;
    pb_data_source ds;
    open_toy(&ds);
    pb_model a, b;
    make_model(&a, &ds, 2);
    make_model(&b, &ds, 2);
    int *sel = calloc((size_t)a.n_params, sizeof(int));
    const char *groups[] = {"encoder"};
    assert_int_equal(pb_prune_select(&a, groups, 1, sel), 0);
    char path[512];
    pb_test_path(path, sizeof path, g_dir, "state.h5");
    pb_train_spec s;
    gmp_spec(&s, sel);
    s.prune.method = "movement"; /* exercises the method state too */
    s.run_text = "toy resume test";
    /* uninterrupted */
    pb_train_result ra, rb;
    assert_int_equal(pb_train_run(&a, &ds, &s, &ra), 0);
    /* interrupted after step 150 (last checkpoint at 140), then resumed */
    s.state_path = path;
    s.checkpoint_every_steps = 20;
    s.stop_after_steps = 150;
    s.resume = 1;
    assert_int_equal(pb_train_run(&b, &ds, &s, &rb), 0);
    assert_int_equal(rb.status, PB_TRAIN_STOPPED);
    pb_train_result_free(&rb);
    pb_model_free(&b);
    make_model(&b, &ds, 77); /* different initial weights: everything must come from the state */
    s.stop_after_steps = 0;
    int rc = pb_train_run(&b, &ds, &s, &rb);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_int_equal(rb.status, PB_TRAIN_DONE);
    assert_int_equal(ra.steps, rb.steps);
    assert_memory_equal(a.params_mem, b.params_mem, a.n_floats * sizeof(float));
    assert_memory_equal(a.masks_mem, b.masks_mem, a.n_mask_floats * sizeof(float));
    assert_memory_equal(ra.curves, rb.curves, sizeof(float) * (size_t)ra.steps * PB_CURVE_COLS);
    assert_true(ra.final_metrics.value[0] == rb.final_metrics.value[0]);
    printf("resume: %ld steps, stopped at 150, resumed from 140: parameters, masks, curves bitwise equal\n", ra.steps);
    /* a state from another run config is refused */
    pb_train_result_free(&rb);
    s.run_text = "another run";
    assert_int_equal(pb_train_run(&b, &ds, &s, &rb), PB_EINVAL);
    PB_ASSERT_MSG_HAS("different run config");
    pb_train_result_free(&ra);
    pb_train_result_free(&rb); /* also after an error: the result owns what it allocated */
    free(sel);
    pb_model_free(&a);
    pb_model_free(&b);
    ds.free(ds.ctx);
}

static void test_divergence(void **state) {
    (void)state;
    pb_data_source ds;
    open_toy(&ds);
    pb_model m;
    make_model(&m, &ds, 1);
    int i = pb_model_find_param(&m, "classifier.weight");
    pb_model_param_data(&m, i)[0] = NAN;
    pb_train_spec s;
    base_spec(&s, 1);
    pb_train_result r;
    assert_int_equal(pb_train_run(&m, &ds, &s, &r), 0);
    assert_int_equal(r.status, PB_TRAIN_DIVERGED);
    assert_non_null(strstr(r.reason, "NaN at step 0"));
    pb_train_result_free(&r);
    pb_model_free(&m);
    ds.free(ds.ctx);
}

/* Teacher logits computed once for the split (in fixed chunks of examples)
 * and gathered per batch give the distillation loss of the teacher's forward
 * on that batch. Not bit for bit: OpenBLAS picks its micro-kernels by matrix
 * size, so a row's logits move in the last bits with the batch around it
 * (also on one thread). Agreement is to float rounding. */
static void test_kd_cache_equal(void **state) {
    (void)state;
    pb_data_source ds;
    open_toy(&ds);
    pb_model teacher, student;
    make_model(&teacher, &ds, 3);
    make_model(&student, &ds, 4);
    float *cached;
    size_t stride;
    assert_int_equal(pb_train_predict(&teacher, &ds, PB_SPLIT_TRAIN, 64, &cached, &stride), 0);
    assert_int_equal(stride, 3);
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, 16, SEQ), 0);
    long idx[16];
    for (int i = 0; i < 16; i++) idx[i] = 1000 + 37 * i;
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, idx, 16, &bb), 0);
    float fly[48], gathered[48], l1, l2;
    assert_int_equal(pb_model_forward(&teacher, &bb.b, 0, 0), 0);
    memcpy(fly, teacher.logits, sizeof fly);
    for (int i = 0; i < 16; i++) memcpy(gathered + 3 * i, cached + (size_t)idx[i] * 3, 3 * sizeof(float));
    PB_ASSERT_CLOSE("cached vs on-the-fly teacher logits", gathered, fly, 48, 1e-5, 1e-6);
    pb_kd_params kd = {0.5f, 2.0f};
    assert_int_equal(pb_model_forward(&student, &bb.b, 1, 9), 0);
    assert_int_equal(pb_loss_kd(&student, &bb.b, fly, &kd, &l1), 0);
    assert_int_equal(pb_loss_kd(&student, &bb.b, gathered, &kd, &l2), 0);
    PB_ASSERT_CLOSE("cached vs on-the-fly KD loss", &l2, &l1, 1, 1e-6, 0.0);
    printf("KD cache: logits within %.2g, losses %.9g vs %.9g\n", pb_test_worst_abs_seen, (double)l2, (double)l1);
    free(cached);
    pb_batch_buf_free(&bb);
    pb_model_free(&teacher);
    pb_model_free(&student);
    ds.free(ds.ctx);
}


/* ---- span distillation with dynamic padding ---------------------------------- */

/* NS span examples of SS positions; example k has 5 + k % 4 real tokens, so
 * a batch of all of them is cut to 8 positions (the longest row). */
enum { NS = 8, SS = 24 };

static long span_count(void *ctx, int split) {
    (void)ctx;
    return split == PB_SPLIT_TEST ? 0 : NS; /* dev = train: the trainer evaluates at the end */
}

static int span_fill(void *ctx, int split, const long *idx, int n, pb_batch_buf *bb) {
    (void)ctx;
    (void)split;
    for (int r = 0; r < n; r++) {
        const int k = (int)idx[r], len = 5 + k % 4;
        for (int t = 0; t < SS; t++) {
            bb->input_ids[r * SS + t] = t < len ? 5 + (k * 7 + t * 3) % 40 : 0;
            bb->attention_mask[r * SS + t] = t < len;
            bb->token_type_ids[r * SS + t] = t >= 2 && t < len;
        }
        bb->start_positions[r] = 2 + k % 2;
        bb->end_positions[r] = 3 + k % 2;
    }
    bb->b = (pb_batch){.n = n, .seq = SS, .input_ids = bb->input_ids, .attention_mask = bb->attention_mask,
                       .token_type_ids = bb->token_type_ids, .start_positions = bb->start_positions,
                       .end_positions = bb->end_positions};
    return 0;
}

static int span_eval(void *ctx, int split, const float *logits, pb_metrics *out) {
    (void)ctx;
    (void)split;
    (void)logits;
    memset(out, 0, sizeof *out);
    return 0;
}

/* The first step's recorded loss is the KD loss of the batch cut to 8
 * positions with the teacher's logits cut the same way: one batch of all NS
 * examples (the loss is a mean, so their order does not matter), no dropout. */
static void test_span_kd_trimmed(void **state) {
    (void)state;
    pb_data_source ds = {.name = "span-toy", .head = PB_HEAD_SPAN, .choices = 1, .seq = SS, .vocab_size = 50,
                         .count = span_count, .fill = span_fill, .evaluate = span_eval};
    pb_config cfg;
    pb_test_config(&cfg, PB_MODEL_BERT, 50, 16, 2, 2, 32, 32);
    cfg.hidden_dropout_prob = cfg.attention_probs_dropout_prob = 0.0f;
    pb_model teacher, student, ref;
    assert_int_equal(pb_model_init(&teacher, &cfg, PB_HEAD_SPAN, NS, SS), 0);
    pb_model_init_weights(&teacher, 11);
    float *tl = NULL;
    size_t stride = 0;
    assert_int_equal(pb_train_predict(&teacher, &ds, PB_SPLIT_TRAIN, NS, &tl, &stride), 0);
    assert_int_equal(stride, (size_t)SS * 2);
    assert_int_equal(pb_model_init(&student, &cfg, PB_HEAD_SPAN, NS, SS), 0);
    pb_model_init_weights(&student, 12);
    assert_int_equal(pb_model_init(&ref, &cfg, PB_HEAD_SPAN, NS, SS), 0);
    memcpy(ref.params_mem, student.params_mem, student.n_floats * sizeof(float));
    /* reference: the batch in example order, cut to 8, the teacher rows cut to 8 positions */
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, NS, SS), 0);
    const long all[NS] = {0, 1, 2, 3, 4, 5, 6, 7};
    assert_int_equal(span_fill(NULL, PB_SPLIT_TRAIN, all, NS, &bb), 0);
    pb_batch_trim_padding(&bb, PB_HEAD_SPAN);
    assert_int_equal(bb.b.seq, 8);
    float cut[NS * 8 * 2];
    for (int i = 0; i < NS; i++) memcpy(cut + i * 16, tl + (size_t)i * stride, sizeof(float) * 16);
    assert_int_equal(pb_model_forward(&ref, &bb.b, 1, 0), 0);
    pb_kd_params kd = {1.0f, 2.0f};
    float want;
    assert_int_equal(pb_loss_kd(&ref, &bb.b, cut, &kd, &want), 0);
    /* the trainer: one step over one batch of all examples */
    pb_train_spec s;
    pb_test_train_spec(&s, 1, NS, 0.0, 0);
    s.teacher_logits = tl;
    s.teacher_stride = stride;
    s.kd = kd;
    pb_train_result r;
    int rc = pb_train_run(&student, &ds, &s, &r);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_int_equal(r.steps, 1);
    const float got = r.curves[PB_CURVE_LOSS];
    PB_ASSERT_CLOSE("trimmed span KD loss", &got, &want, 1, 1e-5, 0.0);
    printf("span KD at 8 of %d positions: step loss %.9g, reference %.9g\n", SS, (double)got, (double)want);
    pb_train_result_free(&r);
    pb_batch_buf_free(&bb);
    free(tl);
    pb_model_free(&teacher);
    pb_model_free(&student);
    pb_model_free(&ref);
}

/* ---- group_by_length ------------------------------------------------------------ */

/* NG classification examples; example k has 1 + 7k mod 23 real tokens. The
 * source records the order in which training asks for examples. */
enum { NG = 300, GB = 2 };
typedef struct {
    long order[2 * NG];
    long n;
} group_log;

static long group_count(void *ctx, int split) {
    (void)ctx;
    return split == PB_SPLIT_TEST ? 0 : NG;
}

static int group_len(long k) { return 1 + (int)((k * 7) % 23); }

static int group_fill(void *ctx, int split, const long *idx, int n, pb_batch_buf *bb) {
    group_log *g = ctx;
    for (int r = 0; r < n; r++) {
        const long k = idx[r];
        if (split == PB_SPLIT_TRAIN && g->n < 2 * NG) g->order[g->n++] = k;
        for (int t = 0; t < SS; t++) {
            bb->input_ids[r * SS + t] = t < group_len(k) ? 5 + (int)((k * 7 + t * 3) % 40) : 0;
            bb->attention_mask[r * SS + t] = t < group_len(k);
            bb->token_type_ids[r * SS + t] = 0;
        }
        bb->labels[r] = (int)(k % 2);
    }
    bb->b = (pb_batch){.n = n, .seq = SS, .input_ids = bb->input_ids, .attention_mask = bb->attention_mask,
                       .token_type_ids = bb->token_type_ids, .labels = bb->labels};
    return 0;
}

/* One epoch in batches of GB: with group_by_length the training order is a
 * permutation of the examples whose megabatches of 50 batches run longest
 * first (Hugging Face's LengthGroupedSampler); without it, the plain shuffle,
 * whose megabatches are not sorted. */
static void test_group_by_length(void **state) {
    (void)state;
    for (int grouped = 0; grouped < 2; grouped++) {
        group_log g = {0};
        pb_data_source ds = {.ctx = &g, .name = "group-toy", .head = PB_HEAD_CLS, .choices = 1, .seq = SS,
                             .vocab_size = 50, .count = group_count, .fill = group_fill, .evaluate = span_eval};
        pb_config cfg;
        pb_test_config(&cfg, PB_MODEL_BERT, 50, 16, 1, 2, 32, 32);
        ds.num_labels = cfg.num_labels;
        pb_model m;
        assert_int_equal(pb_model_init(&m, &cfg, PB_HEAD_CLS, 64, SS), 0);
        pb_model_init_weights(&m, 3);
        pb_train_spec s;
        pb_test_train_spec(&s, 1, GB, 0.0, 0);
        s.group_by_length = grouped;
        pb_train_result r;
        int rc = pb_train_run(&m, &ds, &s, &r);
        if (rc) print_error("%s\n", pb_error_msg());
        assert_int_equal(rc, 0);
        assert_int_equal(r.steps, NG / GB);
        /* grouping first reads every example's length in order; the epoch's order follows */
        assert_int_equal(g.n, grouped ? 2 * NG : NG);
        const long *order = g.order + (grouped ? NG : 0);
        int seen[NG] = {0};
        for (long i = 0; i < NG; i++) seen[order[i]]++;
        for (long k = 0; k < NG; k++) assert_int_equal(seen[k], 1);
        long unsorted = 0;
        for (long i = 1; i < NG; i++)
            if (i % (50 * GB) != 0 && group_len(order[i]) > group_len(order[i - 1])) unsorted++;
        if (grouped) {
            assert_int_equal(unsorted, 0);
            /* each megabatch restarts from a long example */
            assert_true(group_len(order[50 * GB]) > group_len(order[50 * GB - 1]));
        } else {
            assert_true(unsorted > NG / 4);
        }
        pb_train_result_free(&r);
        pb_model_free(&m);
    }
}

static void test_bad_spec(void **state) {
    (void)state;
    pb_data_source ds;
    open_toy(&ds);
    pb_model m;
    make_model(&m, &ds, 1);
    pb_train_spec s;
    pb_train_result r;
    base_spec(&s, 0);
    assert_int_equal(pb_train_run(&m, &ds, &s, &r), PB_EINVAL);
    PB_ASSERT_MSG_HAS("train.epochs");
    base_spec(&s, 1);
    s.batch_size = 100000;
    assert_int_equal(pb_train_run(&m, &ds, &s, &r), PB_ERANGE);
    PB_ASSERT_MSG_HAS("capacity");
    pb_model_free(&m);
    ds.free(ds.ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_learns),   cmocka_unit_test(test_gmp_to_90), cmocka_unit_test(test_resume_bitwise),
        cmocka_unit_test(test_divergence),     cmocka_unit_test(test_kd_cache_equal), cmocka_unit_test(test_bad_spec),
        cmocka_unit_test(test_span_kd_trimmed), cmocka_unit_test(test_group_by_length),
    };
    return cmocka_run_group_tests_name("trainer", tests, setup, teardown);
}
