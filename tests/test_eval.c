/* Scoring a model without training (pb_cell_eval, `prunebench eval`):
 *   - a toy model trained and pruned by a cell, its model.h5 and its Hugging
 *     Face export (`prunebench export`) score exactly what the trainer's final
 *     evaluation reported, and the eval's result.h5 has the cell schema with
 *     no steps, one evaluation at epoch 0 and the audit showing the sparsity;
 *   - a Hugging Face pretraining folder (masked-LM head) scored on GLUE RTE
 *     reports by name the tensors it had to initialize (pooler, classifier)
 *     and those it did not use (cls.predictions.*), in the outcome, in
 *     result.h5 and as the CLI's warning;
 *   - a cell trained from that folder remembers its tokenizer and class names:
 *     `export` without --tokenizer writes a folder that tokenizes as the
 *     original and scores what training reported, and so does the model.h5;
 *   - failures (no model, bad options) leave no output folder.
 * The library is tested directly; the CLI through $PB_CLI. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cell.h"
#include "cell_result.h"
#include "h5read.h"
#include "io.h"
#include "runconfig.h"
#include "safetensors.h"
#include "testutil.h"
#include "tok.h"

PB_TEST_TMPDIR_FIXTURE("eval")

static const char *const WORDS[] = {"a", "cat", "dog", "sat", "ran", "on", "the", "mat", "is", "not", "an", "animal",
                                    ".", NULL};

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void run_cell(const char *yaml_text, const char *name, const char *out, pb_cell_outcome *oc) {
    char yaml[512];
    pb_test_write_file(yaml, sizeof yaml, g_dir, name, yaml_text);
    pb_runconfig rc;
    pb_runconfig_init(&rc);
    int r = pb_runconfig_load(&rc, yaml);
    if (r) print_error("%s\n", pb_error_msg());
    assert_int_equal(r, 0);
    pb_cell_opts o = {.out_dir = out};
    r = pb_cell_run(&rc, &o, oc);
    if (r) print_error("%s\n", pb_error_msg());
    assert_int_equal(r, 0);
    assert_int_equal(oc->status, PB_TRAIN_DONE);
    pb_runconfig_free(&rc);
}

/* The run config of an evaluation, as `prunebench eval` builds it. */
static void eval_rc(pb_runconfig *rc, const char *model, const char *task, const char *data, int batch, int seq) {
    pb_runconfig_init(rc);
    rc->model.checkpoint = strdup(model);
    rc->task = strdup(task);
    rc->data.dir = data ? strdup(data) : NULL;
    rc->train.batch_size = batch;
    rc->train.max_seq_length = seq;
    rc->seed = 3;
}

static void eval_ok(const char *model, const char *task, const char *data, int batch, int seq, const char *out,
                    pb_cell_eval_outcome *oc) {
    pb_runconfig rc;
    eval_rc(&rc, model, task, data, batch, seq);
    pb_cell_eval_opts o = {.out_dir = out};
    int r = pb_cell_eval(&rc, &o, oc);
    if (r) print_error("%s\n", pb_error_msg());
    assert_int_equal(r, 0);
    pb_runconfig_free(&rc);
}

/* Same metric names, values within 1e-6 (the same computation: exactly equal in practice). */
static void expect_same_metrics(const pb_metrics *got, const pb_metrics *want, const char *what) {
    assert_true(want->n > 0);
    assert_int_equal(got->n, want->n);
    for (int i = 0; i < want->n; i++) {
        assert_string_equal(got->name[i], want->name[i]);
        if (fabs(got->value[i] - want->value[i]) > 1e-6)
            print_error("%s: %s = %.17g, the trainer reported %.17g\n", what, got->name[i], got->value[i],
                        want->value[i]);
        assert_true(fabs(got->value[i] - want->value[i]) <= 1e-6);
    }
}

static hsize_t ds_len(hid_t f, const char *name) {
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t sp = H5Dget_space(d);
    hsize_t n = 0;
    assert_int_equal(H5Sget_simple_extent_ndims(sp), 1);
    H5Sget_simple_extent_dims(sp, &n, NULL);
    H5Sclose(sp);
    H5Dclose(d);
    return n;
}

static double group_attr(hid_t f, const char *group, const char *name) {
    hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
    assert_true(g >= 0);
    double v = h5_attr_double(g, name, NAN);
    H5Gclose(g);
    return v;
}

/* result.h5 of an evaluation: cell schema, done, no steps, one evaluation at epoch 0 = the metrics. */
static void check_eval_result(const char *path, const pb_metrics *want, int pruned, int from_file) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    char *s = h5_attr_string(f, "format");
    assert_string_equal(s, PB_CELL_RESULT_FORMAT);
    free(s);
    s = h5_attr_string(f, "status");
    assert_string_equal(s, "done");
    free(s);
    s = h5_attr_string(f, "model_sha256");
    assert_int_equal(strlen(s), from_file ? 64 : 0); /* init: random has none */
    free(s);
    assert_true(h5_attr_double(f, "steps", -1) == 0);
    assert_int_equal(ds_len(f, "curves/loss"), 0);
    assert_int_equal(ds_len(f, "evals/epoch"), 1);
    double e0 = NAN;
    hid_t d = H5Dopen2(f, "evals/epoch", H5P_DEFAULT);
    assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &e0) >= 0);
    H5Dclose(d);
    assert_true(e0 == 0.0);
    assert_int_equal(H5Lexists(f, "audit", H5P_DEFAULT) > 0, pruned);
    H5Fclose(f);
    for (int i = 0; i < want->n; i++) {
        double v = NAN;
        assert_int_equal(pb_cell_result_read_metric(path, want->name[i], &v), 0);
        assert_true(fabs(v - want->value[i]) <= 1e-6);
    }
}

/* ---- a toy model: trained, pruned, exported, scored ------------------------------ */

static const char *TOY_YAML =
    "model: {init: random, config: {model_type: bert, vocab_size: 64, hidden_size: 32, num_hidden_layers: 2,\n"
    "        num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 32}}\n"
    "task: toy\n"
    "seed: 1\n"
    "train: {epochs: 2, batch_size: 16, max_seq_length: 24, lr: 2e-3}\n"
    "prune: {method: magnitude, groups: [encoder], schedule: {kind: oneshot, final_sparsity: 0.5}}\n";

static void test_toy_pruned_checkpoint_and_export(void **state) {
    (void)state;
    char cell[256], ev[256], hf[256], ev_hf[256], cli_ev[256], p[512], args[2048];
    pb_test_path(cell, sizeof cell, g_dir, "toy-cell");
    pb_test_path(ev, sizeof ev, g_dir, "toy-eval");
    pb_test_path(hf, sizeof hf, g_dir, "toy-hf");
    pb_test_path(ev_hf, sizeof ev_hf, g_dir, "toy-eval-hf");
    pb_test_path(cli_ev, sizeof cli_ev, g_dir, "toy-eval-cli");
    pb_cell_outcome oc;
    run_cell(TOY_YAML, "toy.yaml", cell, &oc);
    assert_true(oc.encoder_sparsity > 0.49 && oc.encoder_sparsity < 0.51);

    /* the checkpoint: the trainer's numbers, the audit showing the pruning */
    char model_h5[512];
    pb_test_path(model_h5, sizeof model_h5, cell, "model.h5");
    pb_cell_eval_outcome e;
    eval_ok(model_h5, "toy", NULL, 16, 24, ev, &e);
    expect_same_metrics(&e.metrics, &oc.metrics, "eval of model.h5");
    assert_int_equal(e.examples, 512);
    assert_true(e.pruned);
    assert_true(e.encoder_sparsity == oc.encoder_sparsity);
    assert_int_equal(e.load.n_missing, 0);
    assert_int_equal(e.load.n_unexpected, 0);
    pb_test_path(p, sizeof p, ev, "result.h5");
    check_eval_result(p, &oc.metrics, 1, 1);
    /* the audit: the encoder's six weights of each layer, half of them zero */
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_int_equal(ds_len(f, "audit/name"), 12);
    const double es = group_attr(f, "audit", "encoder_sparsity");
    assert_true(es == oc.encoder_sparsity);
    assert_true(group_attr(f, "audit", "encoder_zeros") == round(0.5 * group_attr(f, "audit", "encoder_numel")));
    char *cell_id = h5_attr_string(f, "cell_id");
    PB_ASSERT_HAS(cell_id, "eval-");
    free(cell_id);
    H5Fclose(f);
    /* and the cell's own result agrees */
    double acc = NAN;
    assert_int_equal(pb_cell_result_read_metric(pb_test_path(p, sizeof p, cell, "result.h5"), "accuracy", &acc), 0);
    assert_true(fabs(acc - e.metrics.value[0]) <= 1e-6);

    /* the Hugging Face export scores the same */
    snprintf(args, sizeof args, "export --checkpoint '%s' --out '%s'", model_h5, hf);
    char *err = NULL, *out = NULL;
    int rc = pb_test_run_cli(g_dir, args, NULL, &err);
    if (rc) print_error("%s\n", err);
    free(err);
    assert_int_equal(rc, 0);
    char *cfg = pb_test_slurp(pb_test_path(p, sizeof p, hf, "config.json"));
    PB_ASSERT_HAS(cfg, "\"layer_norm_eps\": 1e-12,");
    PB_ASSERT_HAS(cfg, "\"id2label\": {\n    \"0\": \"LABEL_0\",\n    \"1\": \"LABEL_1\",\n    \"2\": \"LABEL_2\"\n  }");
    PB_ASSERT_HAS(cfg, "\"label2id\": {\n    \"LABEL_0\": 0,");
    free(cfg);
    eval_ok(hf, "toy", NULL, 16, 24, ev_hf, &e);
    expect_same_metrics(&e.metrics, &oc.metrics, "eval of the export");
    assert_true(e.pruned && e.encoder_sparsity == oc.encoder_sparsity);
    assert_int_equal(e.load.n_missing, 0);
    assert_int_equal(e.load.n_unexpected, 0);
    check_eval_result(pb_test_path(p, sizeof p, ev_hf, "result.h5"), &oc.metrics, 1, 1);

    /* the command line: prints the metrics, writes the same result */
    snprintf(args, sizeof args, "eval --model '%s' --task toy --batch-size 16 --max-seq-length=24 --threads 1 --out '%s'",
             hf, cli_ev);
    rc = pb_test_run_cli(g_dir, args, &out, &err);
    if (rc) print_error("%s%s\n", out, err);
    assert_int_equal(rc, 0);
    PB_ASSERT_HAS(out, "accuracy");
    PB_ASSERT_HAS(out, "encoder sparsity 0.5");
    free(out);
    free(err);
    check_eval_result(pb_test_path(p, sizeof p, cli_ev, "result.h5"), &oc.metrics, 1, 1);
}

/* A dense model has no audit group; the eval's own numbers are stable. */
static void test_dense_init_random(void **state) {
    (void)state;
    char yaml[512], out[256], p[512];
    pb_test_write_file(yaml, sizeof yaml, g_dir, "dense.yaml",
                       "model: {init: random, config: {model_type: bert, vocab_size: 64, hidden_size: 16,\n"
                       "        num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32,\n"
                       "        max_position_embeddings: 32}}\n"
                       "task: toy\n"
                       "train: {batch_size: 8, max_seq_length: 16}\n");
    pb_runconfig rc;
    pb_runconfig_init(&rc);
    assert_int_equal(pb_runconfig_load(&rc, yaml), 0);
    pb_test_path(out, sizeof out, g_dir, "dense-eval");
    pb_cell_eval_opts o = {.out_dir = out};
    pb_cell_eval_outcome a, b;
    assert_int_equal(pb_cell_eval(&rc, &o, &a), 0);
    assert_int_equal(pb_cell_eval(&rc, NULL, &b), 0);
    pb_runconfig_free(&rc);
    expect_same_metrics(&b.metrics, &a.metrics, "second evaluation");
    assert_false(a.pruned);
    assert_true(a.encoder_sparsity == 0.0);
    check_eval_result(pb_test_path(p, sizeof p, out, "result.h5"), &a.metrics, 0, 0);
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    char *m = h5_attr_string(f, "model");
    assert_string_equal(m, "init:random");
    free(m);
    H5Fclose(f);
}

/* ---- a Hugging Face pretraining folder, GLUE RTE ---------------------------------- */

static void write_rte(const char *dir) {
    char p[512], body[8192];
    assert_int_equal(mkdir(dir, 0777), 0);
    static const char *const rows[][3] = {
        {"the cat sat on the mat .", "a cat sat .", "entailment"},
        {"the dog ran .", "the dog sat .", "not_entailment"},
        {"a cat is an animal .", "a cat is not an animal .", "not_entailment"},
        {"the dog sat on a mat .", "a dog sat .", "entailment"},
    };
    for (int split = 0; split < 2; split++) {
        size_t n = (size_t)snprintf(body, sizeof body, "index\tsentence1\tsentence2\tlabel\n");
        for (int r = 0; r < 16; r++)
            n += (size_t)snprintf(body + n, sizeof body - n, "%d\t%s\t%s\t%s\n", r, rows[r % 4][0],
                                  rows[(r + split) % 4][1], rows[(r + split) % 4][2]);
        pb_test_write_file(p, sizeof p, dir, split ? "dev.tsv" : "train.tsv", body);
    }
}

static void same_ids(const char *tok_a, const char *tok_b) {
    pb_tok *a, *b;
    assert_int_equal(pb_tok_load(&a, tok_a), 0);
    int rc = pb_tok_load(&b, tok_b);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    pb_encoding ea, eb;
    assert_int_equal(pb_tok_encode_pair(a, "the cat sat on the mat .", "a dog ran", 16, PB_TRUNC_LONGEST_FIRST, &ea), 0);
    assert_int_equal(pb_tok_encode_pair(b, "the cat sat on the mat .", "a dog ran", 16, PB_TRUNC_LONGEST_FIRST, &eb), 0);
    assert_int_equal(ea.n_tokens, eb.n_tokens);
    assert_true(ea.n_tokens > 8);
    assert_memory_equal(ea.input_ids, eb.input_ids, sizeof(int32_t) * 16);
    pb_encoding_free(&ea);
    pb_encoding_free(&eb);
    pb_tok_free(a);
    pb_tok_free(b);
}

static void test_hf_folder_report_tokenizer_and_export(void **state) {
    (void)state;
    char pre[256], rte[256], ev[256], cell[256], hf[256], ev_hf[256], ev_h5[256], p[512], args[2048];
    pb_test_path(pre, sizeof pre, g_dir, "bert-pretrained");
    pb_test_path(rte, sizeof rte, g_dir, "RTE");
    pb_test_path(ev, sizeof ev, g_dir, "pre-eval");
    pb_test_path(cell, sizeof cell, g_dir, "rte-cell");
    pb_test_path(hf, sizeof hf, g_dir, "rte-hf");
    pb_test_path(ev_hf, sizeof ev_hf, g_dir, "rte-eval-hf");
    pb_test_path(ev_h5, sizeof ev_h5, g_dir, "rte-eval-h5");
    pb_model m;
    pb_config c;
    pb_test_config(&c, PB_MODEL_BERT, 5 + 13, 32, 2, 2, 64, 64);
    assert_int_equal(pb_model_init(&m, &c, PB_HEAD_MLM, 1, 8), 0);
    pb_model_init_weights(&m, 3);
    assert_int_equal(pb_hf_folder_save(&m, pre), 0);
    assert_int_equal(pb_test_write_vocab(pre, WORDS), 18);
    pb_model_free(&m);
    write_rte(rte);

    /* the pretraining folder scored as a classifier: Hugging Face's loading report by name */
    pb_cell_eval_outcome e;
    eval_ok(pre, "glue-rte", rte, 8, 24, ev, &e);
    assert_string_equal(e.load.architecture, "BertForSequenceClassification");
    assert_int_equal(e.load.n_missing, 4);
    assert_string_equal(e.load.missing,
                        "bert.pooler.dense.weight, bert.pooler.dense.bias, classifier.weight, classifier.bias");
    assert_true(e.load.n_unexpected >= 1);
    PB_ASSERT_HAS(e.load.unexpected, "cls.predictions.");
    assert_false(e.pruned);
    hid_t f = H5Fopen(pb_test_path(p, sizeof p, ev, "result.h5"), H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    char *s = h5_attr_string(f, "missing_tensors");
    assert_string_equal(s, e.load.missing);
    free(s);
    s = h5_attr_string(f, "unexpected_tensors");
    assert_string_equal(s, e.load.unexpected);
    free(s);
    H5Fclose(f);
    /* the CLI warns with the names */
    snprintf(args, sizeof args, "eval --model '%s' --task glue-rte --data '%s' --batch-size 8 --max-seq-length 24", pre,
             rte);
    char *out = NULL, *err = NULL;
    int rc = pb_test_run_cli(g_dir, args, &out, &err);
    if (rc) print_error("%s%s\n", out, err);
    assert_int_equal(rc, 0);
    PB_ASSERT_HAS(err, "warning");
    PB_ASSERT_HAS(err, "newly initialized (missing): bert.pooler.dense.weight, bert.pooler.dense.bias, "
                       "classifier.weight, classifier.bias");
    PB_ASSERT_HAS(err, "(unexpected): cls.predictions.");
    PB_ASSERT_HAS(out, "accuracy");
    free(out);
    free(err);

    /* fine-tune and prune from the folder; the trainer's numbers are the reference */
    char text[2048];
    snprintf(text, sizeof text,
             "model: {checkpoint: \"%s\"}\n"
             "task: glue-rte\n"
             "data: {dir: \"%s\"}\n"
             "seed: 3\n"
             "train: {epochs: 2, batch_size: 8, max_seq_length: 24, lr: 1e-3}\n"
             "prune: {method: magnitude, groups: [encoder], schedule: {kind: oneshot, final_sparsity: 0.5}}\n",
             pre, rte);
    pb_cell_outcome oc;
    run_cell(text, "rte.yaml", cell, &oc);
    assert_int_equal(oc.load.n_missing, 4);
    PB_ASSERT_HAS(oc.load.unexpected, "cls.predictions.");
    f = H5Fopen(pb_test_path(p, sizeof p, cell, "result.h5"), H5F_ACC_RDONLY, H5P_DEFAULT);
    s = h5_attr_string(f, "missing_tensors");
    assert_string_equal(s, "bert.pooler.dense.weight, bert.pooler.dense.bias, classifier.weight, classifier.bias");
    free(s);
    H5Fclose(f);
    /* model.h5 remembers the tokenizer and the class names */
    char model_h5[512];
    pb_test_path(model_h5, sizeof model_h5, cell, "model.h5");
    pb_io_tokenizer kept;
    assert_int_equal(pb_io_read_checkpoint_tokenizer(model_h5, &kept), 0);
    assert_int_equal(kept.n, 1);
    assert_string_equal(kept.name[0], "vocab.txt");
    pb_io_tokenizer_free(&kept);

    /* export without --tokenizer: a folder that tokenizes as the original and scores the same */
    snprintf(args, sizeof args, "export --checkpoint '%s' --out '%s'", model_h5, hf);
    rc = pb_test_run_cli(g_dir, args, &out, &err);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    PB_ASSERT_HAS(out, "tokenizer files");
    free(out);
    free(err);
    assert_true(exists(pb_test_path(p, sizeof p, hf, "vocab.txt")));
    char *cfg = pb_test_slurp(pb_test_path(p, sizeof p, hf, "config.json"));
    PB_ASSERT_HAS(cfg, "\"id2label\": {\n    \"0\": \"entailment\",\n    \"1\": \"not_entailment\"\n  }");
    PB_ASSERT_HAS(cfg, "\"label2id\": {\n    \"entailment\": 0,\n    \"not_entailment\": 1\n  }");
    free(cfg);
    same_ids(pre, hf);
    eval_ok(hf, "glue-rte", rte, 8, 24, ev_hf, &e);
    expect_same_metrics(&e.metrics, &oc.metrics, "eval of the export");
    assert_true(e.pruned && e.encoder_sparsity == oc.encoder_sparsity);
    assert_int_equal(e.load.n_missing, 0);
    assert_int_equal(e.load.n_unexpected, 0);
    check_eval_result(pb_test_path(p, sizeof p, ev_hf, "result.h5"), &oc.metrics, 1, 1);
    /* model.h5 scored directly: its remembered tokenizer serves the task */
    eval_ok(model_h5, "glue-rte", rte, 8, 24, ev_h5, &e);
    expect_same_metrics(&e.metrics, &oc.metrics, "eval of model.h5");
    /* the export loads back as a model with the cell's weights */
    pb_model a, b;
    pb_config got;
    assert_int_equal(pb_io_read_checkpoint_config(model_h5, &got), 0);
    assert_int_equal(pb_model_init(&a, &got, PB_HEAD_CLS, 1, 8), 0);
    assert_int_equal(pb_io_load_checkpoint(&a, model_h5, 0, NULL, NULL), 0);
    assert_int_equal(pb_hf_folder_load(&b, hf, PB_HEAD_CLS, 0, 1, 8, 1, NULL), 0);
    assert_memory_equal(a.params_mem, b.params_mem, sizeof(float) * a.n_floats);
    pb_model_free(&a);
    pb_model_free(&b);
}

/* ---- failures ------------------------------------------------------------------------ */

static void test_failures_leave_nothing(void **state) {
    (void)state;
    char out[256], absent[256], args[2048];
    pb_test_path(out, sizeof out, g_dir, "never");
    pb_test_path(absent, sizeof absent, g_dir, "absent.h5");
    pb_runconfig rc;
    eval_rc(&rc, absent, "toy", NULL, 8, 16);
    pb_cell_eval_opts o = {.out_dir = out};
    pb_cell_eval_outcome e;
    assert_true(pb_cell_eval(&rc, &o, &e) < 0);
    PB_ASSERT_MSG_HAS("absent.h5");
    pb_runconfig_free(&rc);
    assert_false(exists(out));
    /* an unknown task */
    eval_rc(&rc, absent, "no-such-task", NULL, 8, 16);
    assert_int_equal(pb_cell_eval(&rc, &o, &e), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("no-such-task");
    pb_runconfig_free(&rc);
    assert_false(exists(out));
    /* the CLI: exit 1 naming the file, no folder; usage errors exit 2 */
    snprintf(args, sizeof args, "eval --model '%s' --task toy --out '%s'", absent, out);
    char *err = NULL;
    assert_int_equal(pb_test_run_cli(g_dir, args, NULL, &err), 1);
    PB_ASSERT_HAS(err, "absent.h5");
    free(err);
    assert_false(exists(out));
    assert_int_equal(pb_test_run_cli(g_dir, "eval --task toy", NULL, NULL), 2);
    assert_int_equal(pb_test_run_cli(g_dir, "eval --model m.h5", NULL, NULL), 2);
    assert_int_equal(pb_test_run_cli(g_dir, "eval --model m.h5 --task toy --batch-size 0", NULL, &err), 2);
    PB_ASSERT_HAS(err, "--batch-size");
    free(err);
    assert_int_equal(pb_test_run_cli(g_dir, "eval --model m.h5 --task toy --bogus 1", NULL, NULL), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toy_pruned_checkpoint_and_export),
        cmocka_unit_test(test_dense_init_random),
        cmocka_unit_test(test_hf_folder_report_tokenizer_and_export),
        cmocka_unit_test(test_failures_leave_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
