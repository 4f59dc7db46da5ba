/* One cell from YAML to files: `prunebench train` on the toy task with GMP to
 * 90% on the encoder group; `prunebench inspect` shows 90% over the encoder
 * and dense embeddings and head; a killed-and-resumed cell writes the same
 * model bit for bit; distillation reuses cached teacher logits. */
#include <math.h>
#include <signal.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cell.h"
#include "io.h"
#include "h5read.h"
#include "testutil.h"

static char g_dir[256];
static const char *g_cli;
static int setup(void **state) {
    (void)state;
    g_cli = getenv("PB_CLI");
    if (!g_cli) g_cli = "bin/prunebench";
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return pb_test_tmpdir_create(g_dir, sizeof g_dir, "cell");
}
static int teardown(void **state) {
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *GMP_YAML =
    "model: {init: random, config: {model_type: bert, vocab_size: 64, hidden_size: 64, num_hidden_layers: 2,\n"
    "        num_attention_heads: 2, intermediate_size: 256, max_position_embeddings: 32}}\n"
    "task: toy\n"
    "seed: 1\n"
    "train: {epochs: 4, batch_size: 32, max_seq_length: 24, lr: 2e-3, lr_final: 2e-4, weight_decay: 0.01}\n"
    "prune:\n"
    "  method: magnitude\n"
    "  scope: global\n"
    "  groups: [encoder]\n"
    "  schedule: {kind: cubic, init_sparsity: 0.5, final_sparsity: 0.9, start_epoch: 1, end_epoch: 3, "
    "update_every_epochs: 0.5}\n"
    "  lr_schedule: cyclic\n";

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *slurp_cmd(const char *cmd, int *status) {
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t k;
    while ((k = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += k;
        if (n + 1 >= cap) buf = realloc(buf, cap *= 2);
    }
    buf[n] = 0;
    *status = pclose(p);
    return buf;
}

static void test_train_and_inspect(void **state) {
    (void)state;
    char yaml[512], out[512], cmd[2048];
    pb_test_path(yaml, sizeof yaml, g_dir, "gmp.yaml");
    pb_test_path(out, sizeof out, g_dir, "gmp");
    write_file(yaml, GMP_YAML);
    snprintf(cmd, sizeof cmd, "%s train '%s' --out '%s' 2>&1", g_cli, yaml, out);
    int st;
    char *txt = slurp_cmd(cmd, &st);
    printf("%s", txt);
    assert_int_equal(st, 0);
    assert_non_null(strstr(txt, "encoder sparsity 0.9000"));
    free(txt);
    snprintf(cmd, sizeof cmd, "%s inspect '%s/model.h5'", g_cli, out);
    txt = slurp_cmd(cmd, &st);
    assert_int_equal(st, 0);
    /* the group totals: encoder exactly 90% zeros, embeddings and head dense but
     * for the zero padding row of the word embeddings */
    char *enc = strstr(txt, "group\tencoder\t");
    assert_non_null(enc);
    size_t numel, nz;
    double sp;
    assert_int_equal(sscanf(enc, "group\tencoder\t%zu\t%zu\t%lf", &numel, &nz, &sp), 3);
    assert_int_equal(numel - nz, (size_t)llround(0.9 * (double)numel));
    char *emb = strstr(txt, "group\tembeddings\t");
    assert_non_null(emb);
    assert_int_equal(sscanf(emb, "group\tembeddings\t%zu\t%zu\t%lf", &numel, &nz, &sp), 3);
    assert_true(numel - nz <= 64); /* the pad row of word_embeddings (hidden 64) */
    char *head = strstr(txt, "group\thead\t");
    assert_non_null(head);
    assert_int_equal(sscanf(head, "group\thead\t%zu\t%zu\t%lf", &numel, &nz, &sp), 3);
    assert_int_equal(numel, nz);
    /* per-parameter lines are tab-separated name, numel, nonzeros */
    assert_non_null(strstr(txt, "bert.encoder.layer.0.attention.self.query.weight\t4096\t"));
    free(txt);
    /* result.h5 has the metric and the audit */
    char rpath[600];
    snprintf(rpath, sizeof rpath, "%s/result.h5", out);
    hid_t f = H5Fopen(rpath, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    float *acc;
    assert_int_equal(h5_read_floats(f, "metrics/accuracy", &acc), 1);
    printf("toy GMP 90%%: dev accuracy %.2f\n", (double)acc[0]);
    assert_true(acc[0] > 40.0f);
    free(acc);
    H5Fclose(f);
}

/* `train` stops on SIGINT: the state saved, exit 130; --resume then finishes
 * with the model an uninterrupted run writes (the toy cell at 12 epochs runs
 * for many seconds, so the signal lands mid-training). */
static void test_train_sigint(void **state) {
    (void)state;
    char yaml[512], out[512], ref[512], cmd[4096];
    pb_test_path(yaml, sizeof yaml, g_dir, "long.yaml");
    pb_test_path(out, sizeof out, g_dir, "sigint");
    pb_test_path(ref, sizeof ref, g_dir, "sigint-ref");
    const char *text =
        "model: {init: random, config: {model_type: bert, vocab_size: 64, hidden_size: 64, num_hidden_layers: 2,\n"
        "        num_attention_heads: 2, intermediate_size: 256, max_position_embeddings: 32}}\n"
        "task: toy\nseed: 1\nthreads: 1\n"
        "train: {epochs: 12, batch_size: 32, max_seq_length: 24, lr: 2e-3, lr_final: 2e-4}\n"
        "prune: {method: magnitude, schedule: {kind: cubic, init_sparsity: 0.5, final_sparsity: 0.9, start_epoch: 1,\n"
        "        end_epoch: 10, update_every_epochs: 0.5}, lr_schedule: cyclic}\n";
    write_file(yaml, text);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char log[600];
        snprintf(log, sizeof log, "%s.log", out);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) dup2(fd, 1), dup2(fd, 2);
        execl(g_cli, g_cli, "train", yaml, "--out", out, (char *)NULL);
        _exit(127);
    }
    /* wait until training has begun (the folder exists only once model and data opened) */
    const struct timespec tick = {0, 10000000}, settle = {0, 300000000};
    for (int i = 0; i < 600 && access(out, F_OK) != 0; i++) nanosleep(&tick, NULL);
    nanosleep(&settle, NULL);
    assert_int_equal(kill(pid, SIGINT), 0);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    char p[700];
    snprintf(p, sizeof p, "%s.log", out);
    char *log = pb_test_slurp(p);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 130) print_error("train exited %d:\n%s\n", st, log);
    free(log);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 130);
    snprintf(p, sizeof p, "%s/state.h5", out);
    assert_int_equal(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s/model.h5", out);
    assert_int_not_equal(access(p, F_OK), 0);
    snprintf(cmd, sizeof cmd, "%s train '%s' --out '%s' --resume >/dev/null 2>&1 && %s train '%s' --out '%s' >/dev/null 2>&1 && "
             "cmp -s '%s/model.h5' '%s/model.h5'", g_cli, yaml, out, g_cli, yaml, ref, out, ref);
    assert_int_equal(system(cmd), 0);
}

static void test_resume_equal(void **state) {
    (void)state;
    pb_runconfig rc;
    pb_runconfig_init(&rc);
    assert_int_equal(pb_runconfig_parse(&rc, GMP_YAML, "gmp.yaml"), 0);
    rc.train.checkpoint_every_steps = 25;
    char a[512], b[512];
    pb_test_path(a, sizeof a, g_dir, "straight");
    pb_test_path(b, sizeof b, g_dir, "killed");
    pb_cell_opts oa = {.out_dir = a}, ob = {.out_dir = b, .resume = 1, .stop_after_steps = 130};
    pb_cell_outcome ra, rb;
    assert_int_equal(pb_cell_run(&rc, &oa, &ra), 0);
    assert_int_equal(pb_cell_run(&rc, &ob, &rb), 0);
    assert_int_equal(rb.status, PB_TRAIN_STOPPED);
    ob.stop_after_steps = 0;
    assert_int_equal(pb_cell_run(&rc, &ob, &rb), 0);
    assert_int_equal(rb.status, PB_TRAIN_DONE);
    assert_true(ra.metrics.value[0] == rb.metrics.value[0]);
    /* the final models are the same file content */
    char ma[600], mb[600], cmd[1400];
    snprintf(ma, sizeof ma, "%s/model.h5", a);
    snprintf(mb, sizeof mb, "%s/model.h5", b);
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", ma, mb);
    assert_int_equal(system(cmd), 0);
    printf("cell resume: killed at step 130 (checkpoint 125), resumed: model.h5 identical, accuracy %.2f\n",
           ra.metrics.value[0]);
    pb_runconfig_free(&rc);
}

static void test_kd_cache(void **state) {
    (void)state;
    /* a teacher: the dense cell's model */
    char dense_yaml[512], tdir[512], cache[512], kd_dir[512], yaml[1400];
    pb_test_path(tdir, sizeof tdir, g_dir, "teacher");
    pb_test_path(cache, sizeof cache, g_dir, "kdcache");
    pb_test_path(kd_dir, sizeof kd_dir, g_dir, "student");
    pb_runconfig rc;
    pb_runconfig_init(&rc);
    const char *dense =
        "model: {init: random, config: {model_type: bert, vocab_size: 64, hidden_size: 32, num_hidden_layers: 1,\n"
        "        num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 32}}\n"
        "task: toy\ntrain: {epochs: 1, batch_size: 32, max_seq_length: 24, lr: 2e-3}\n";
    assert_int_equal(pb_runconfig_parse(&rc, dense, "dense.yaml"), 0);
    pb_cell_opts o = {.out_dir = tdir, .cache_dir = cache};
    pb_cell_outcome oc;
    assert_int_equal(pb_cell_run(&rc, &o, &oc), 0);
    pb_runconfig_free(&rc);
    (void)dense_yaml;
    snprintf(yaml, sizeof yaml, "%skd: {teacher: \"%s/model.h5\", hardness: 0.5, temperature: 2.0}\n", dense, tdir);
    pb_runconfig_init(&rc);
    int r = pb_runconfig_parse(&rc, yaml, "kd.yaml");
    if (r) print_error("%s\n", pb_error_msg());
    assert_int_equal(r, 0);
    pb_cell_opts ok = {.out_dir = kd_dir, .cache_dir = cache};
    assert_int_equal(pb_cell_run(&rc, &ok, &oc), 0);
    assert_int_equal(oc.kd_cache_hit, 0);
    double first = oc.metrics.value[0];
    assert_int_equal(pb_cell_run(&rc, &ok, &oc), 0);
    assert_int_equal(oc.kd_cache_hit, 1);
    assert_true(oc.metrics.value[0] == first); /* cached logits are the computed ones */
    pb_runconfig_free(&rc);
    /* teacher: dense — the trainer fine-tunes the dense teacher itself, once */
    snprintf(yaml, sizeof yaml, "%skd: {teacher: dense, hardness: 1.0, temperature: 2.0}\n", dense);
    pb_runconfig_init(&rc);
    assert_int_equal(pb_runconfig_parse(&rc, yaml, "kd-dense.yaml"), 0);
    pb_test_path(kd_dir, sizeof kd_dir, g_dir, "student2");
    pb_cell_opts o2 = {.out_dir = kd_dir, .cache_dir = cache};
    assert_int_equal(pb_cell_run(&rc, &o2, &oc), 0);
    assert_int_equal(oc.status, PB_TRAIN_DONE);
    /* the teacher it trained is the dense cell above, byte for byte (training is
     * deterministic and files carry no timestamps), so its logits were already
     * in the content-addressed cache */
    assert_int_equal(oc.kd_cache_hit, 1);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "cmp -s '%s/model.h5' \"$(ls -d '%s'/dense-teacher-*)/model.h5\"", tdir, cache);
    assert_int_equal(system(cmd), 0);
    pb_runconfig_free(&rc);
}

/* From a checkpoint: fine-tuning works; a backbone tensor missing is an error. */
static void test_checkpoint_source(void **state) {
    (void)state;
    pb_config c;
    pb_test_config(&c, PB_MODEL_BERT, 64, 32, 1, 2, 64, 32);
    pb_model m;
    assert_int_equal(pb_model_init(&m, &c, PB_HEAD_MLM, 1, 8), 0); /* a "pretrained" MLM model */
    pb_model_init_weights(&m, 8);
    char ck[512], out[512], yaml[1200];
    pb_test_path(ck, sizeof ck, g_dir, "pretrained.h5");
    assert_int_equal(pb_io_save_checkpoint(&m, ck), 0);
    pb_model_free(&m);
    snprintf(yaml, sizeof yaml,
             "model: {checkpoint: \"%s\"}\ntask: toy\ntrain: {epochs: 1, batch_size: 32, max_seq_length: 24, lr: 2e-3}\n",
             ck);
    pb_runconfig rc;
    pb_runconfig_init(&rc);
    assert_int_equal(pb_runconfig_parse(&rc, yaml, "ft.yaml"), 0);
    pb_test_path(out, sizeof out, g_dir, "finetuned");
    pb_cell_opts o = {.out_dir = out};
    pb_cell_outcome oc;
    int r = pb_cell_run(&rc, &o, &oc);
    if (r) print_error("%s\n", pb_error_msg());
    assert_int_equal(r, 0); /* the MLM head is extra, the classifier and pooler are new */
    assert_int_equal(oc.status, PB_TRAIN_DONE);
    /* ... and reported by name, as Hugging Face does */
    assert_string_equal(oc.load.architecture, "BertForSequenceClassification");
    assert_int_equal(oc.load.n_missing, 4);
    assert_string_equal(oc.load.missing,
                        "bert.pooler.dense.weight, bert.pooler.dense.bias, classifier.weight, classifier.bias");
    assert_true(oc.load.n_unexpected > 0);
    PB_ASSERT_HAS(oc.load.unexpected, "cls.predictions.");
    /* drop one encoder tensor: refused, naming it */
    hid_t f = H5Fopen(ck, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Ldelete(f, "bert.encoder.layer.0.output.dense.weight", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    assert_int_equal(pb_cell_run(&rc, &o, &oc), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("bert.encoder.layer.0.output.dense.weight");
    pb_runconfig_free(&rc);
}

/* A cell that fails before training (no model, no task, bad data) leaves no --out folder. */
static int path_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

static void test_early_failure_no_out(void **state) {
    (void)state;
    char out[512], yaml[512], text[1200], cmd[2048];
    pb_test_path(out, sizeof out, g_dir, "never-made");
    snprintf(text, sizeof text,
             "model: {checkpoint: \"%s/absent-model.h5\"}\ntask: toy\n"
             "train: {epochs: 1, batch_size: 8, max_seq_length: 16}\n",
             g_dir);
    pb_test_path(yaml, sizeof yaml, g_dir, "absent-model.yaml");
    write_file(yaml, text);
    /* the library */
    pb_runconfig rc;
    pb_runconfig_init(&rc);
    assert_int_equal(pb_runconfig_load(&rc, yaml), 0);
    pb_cell_opts o = {.out_dir = out};
    pb_cell_outcome oc;
    assert_true(pb_cell_run(&rc, &o, &oc) < 0);
    PB_ASSERT_MSG_HAS("absent-model.h5");
    pb_runconfig_free(&rc);
    assert_false(path_exists(out));
    /* a task whose data folder is missing */
    snprintf(text, sizeof text,
             "model: {init: random, config: {model_type: bert, vocab_size: 64, hidden_size: 16, num_hidden_layers: 1,\n"
             "        num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 32}}\n"
             "task: glue-rte\ndata: {dir: \"%s/no-such-rte\", tokenizer: \"%s/no-vocab.txt\"}\n",
             g_dir, g_dir);
    pb_runconfig_init(&rc);
    assert_int_equal(pb_runconfig_parse(&rc, text, "no-data.yaml"), 0);
    assert_true(pb_cell_run(&rc, &o, &oc) < 0);
    pb_runconfig_free(&rc);
    assert_false(path_exists(out));
    /* the command line: exit 1 naming the checkpoint, no folder */
    snprintf(cmd, sizeof cmd, "%s train '%s' --out '%s' 2>&1", g_cli, yaml, out);
    int st;
    char *txt = slurp_cmd(cmd, &st);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    assert_non_null(strstr(txt, "absent-model.h5"));
    free(txt);
    assert_false(path_exists(out));
}

/* Claim 1: BERT-base embeddings are about a fifth of the parameters and none of the FLOPs. */
static void test_costs_cli(void **state) {
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "%s costs --config tests/configs/bert-base-uncased.json --head cls --seq 128", g_cli);
    int st;
    char *txt = slurp_cmd(cmd, &st);
    assert_int_equal(st, 0);
    size_t params;
    double pshare, gf, fshare;
    char *emb = strstr(txt, "embeddings\t");
    assert_non_null(emb);
    assert_int_equal(sscanf(emb, "embeddings\t%zu\t%lf\t%lf\t%lf", &params, &pshare, &gf, &fshare), 4);
    assert_int_equal(params, 23835648); /* (30522 + 512 + 2) x 768 */
    assert_true(pshare > 0.21 && pshare < 0.22);
    assert_true(fshare == 0.0);
    char *tot = strstr(txt, "total\t");
    assert_non_null(tot);
    assert_int_equal(sscanf(tot, "total\t%zu", &params), 1);
    assert_int_equal(params, 109483778); /* BertForSequenceClassification, 2 labels */
    free(txt);
    snprintf(cmd, sizeof cmd, "%s costs --config /nonexistent.json 2>&1", g_cli);
    txt = slurp_cmd(cmd, &st);
    assert_true(st != 0);
    assert_non_null(strstr(txt, "/nonexistent.json"));
    free(txt);
}

/* prunebench tokenize: one line of ids per input line, [CLS] A [SEP] (B [SEP]). */
static void test_tokenize_cli(void **state) {
    (void)state;
    char vocab[512], input[512], cmd[1400];
    pb_test_path(vocab, sizeof vocab, g_dir, "vocab.txt");
    pb_test_path(input, sizeof input, g_dir, "lines.txt");
    /* ids: [PAD]0 [UNK]1 [CLS]2 [SEP]3 [MASK]4 hello5 ,6 world7 un8 ##want9 ##ed10 runn11 ##ing12 second13 part14 */
    write_file(vocab, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n,\nworld\nun\n##want\n##ed\nrunn\n##ing\nsecond\npart\n");
    write_file(input, "Hello, World!\nUNwant\xc3\xa9" "d,running\tsecond part\n");
    int st;
    snprintf(cmd, sizeof cmd, "%s tokenize --tokenizer '%s' < '%s'", g_cli, vocab, input);
    char *txt = slurp_cmd(cmd, &st);
    assert_int_equal(st, 0);
    /* "!" is not in the vocabulary: [UNK]; the tab is whitespace without --pair */
    assert_string_equal(txt, "2 5 6 7 1 3\n2 8 9 10 6 11 12 13 14 3\n");
    free(txt);
    snprintf(cmd, sizeof cmd, "%s tokenize --tokenizer '%s' --pair < '%s'", g_cli, vocab, input);
    txt = slurp_cmd(cmd, &st);
    assert_int_equal(st, 0);
    assert_string_equal(txt, "2 5 6 7 1 3\n2 8 9 10 6 11 12 3 13 14 3\n");
    free(txt);
    snprintf(cmd, sizeof cmd, "%s tokenize --tokenizer /nonexistent/vocab.txt < /dev/null 2>&1", g_cli);
    txt = slurp_cmd(cmd, &st);
    assert_true(st != 0);
    assert_non_null(strstr(txt, "/nonexistent/vocab.txt"));
    free(txt);
}


/* A scaled recipe scales the schedule written for base_sparsity to the cell's
 * target (engine/schedule.h pb_recipe_scale): written for 90% over epochs
 * 0.5-2.0 every 0.25 (6 cycles) with 1 epoch of cooldown; to 97% it takes
 * n = round(6 ln(1/0.03) / ln(1/0.1)) = round(9.14) = 9 cycles, ending at
 * 0.5 + 9 x 0.25 = 2.75, so 3.75 epochs, run as 4 (whole epochs, a longer
 * cooldown); init = 1 - 0.03^k, k = ln 0.5 / ln 0.1. The fixed recipe keeps
 * the written schedule with the new target. */
static void test_scaled_recipe(void **state) {
    (void)state;
    static const char *yaml =
        "model: {init: random, config: {model_type: bert, vocab_size: 64, hidden_size: 32, num_hidden_layers: 2,\n"
        "        num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 32}}\n"
        "task: toy\n"
        "train: {epochs: 3, batch_size: 32, max_seq_length: 24, lr: 1e-3}\n"
        "prune: {method: magnitude, recipe: %s, lr_schedule: cyclic,\n"
        "        schedule: {kind: cubic, init_sparsity: 0.5, final_sparsity: 0.97, start_epoch: 0.5, end_epoch: 2.0,\n"
        "                   update_every_epochs: 0.25, base_sparsity: 0.9}}\n";
    for (int scaled = 0; scaled < 2; scaled++) {
        char text[1024];
        snprintf(text, sizeof text, yaml, scaled ? "scaled" : "fixed");
        pb_runconfig rc;
        assert_int_equal(pb_runconfig_parse(&rc, text, "scaled.yaml"), 0);
        pb_model m;
        assert_int_equal(pb_model_init(&m, &rc.model.config, PB_HEAD_CLS, 32, 24), 0);
        int *sel = calloc((size_t)m.n_params, sizeof(int));
        pb_train_spec spec;
        memset(&spec, 0, sizeof spec);
        int r = pb_cell_train_spec(&rc, &m, sel, &spec);
        if (r) print_error("%s\n", pb_error_msg());
        assert_int_equal(r, 0);
        assert_true(spec.sparsity.final_sparsity == (double)0.97f);
        assert_true(spec.sparsity.start_epoch == 0.5);
        if (scaled) {
            assert_int_equal(spec.epochs, 4);
            assert_true(fabs(spec.sparsity.end_epoch - 2.75) < 1e-9);
            const double k = log(0.5) / log(1.0 - (double)0.9f);
            assert_true(fabs(spec.sparsity.init_sparsity - (1.0 - pow(1.0 - (double)0.97f, k))) < 1e-6);
        } else {
            assert_int_equal(spec.epochs, 3);
            assert_true(spec.sparsity.end_epoch == 2.0);
            assert_true(spec.sparsity.init_sparsity == 0.5);
        }
        free(sel);
        pb_model_free(&m);
        pb_runconfig_free(&rc);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_train_and_inspect), cmocka_unit_test(test_resume_equal),
                                       cmocka_unit_test(test_kd_cache), cmocka_unit_test(test_costs_cli),
                                       cmocka_unit_test(test_checkpoint_source), cmocka_unit_test(test_tokenize_cli),
                                       cmocka_unit_test(test_scaled_recipe),
                                       cmocka_unit_test(test_early_failure_no_out),
                                       cmocka_unit_test(test_train_sigint)};
    return cmocka_run_group_tests_name("cell", tests, setup, teardown);
}
