/* The files researchers bring, end to end: a Hugging Face pretraining folder
 * (config.json, model.safetensors with a masked-LM head, vocab.txt) and a
 * GLUE RTE folder in the distribution's TSV layout go through one pruning
 * cell (`prunebench train` with model.checkpoint = the folder, data.dir = the
 * RTE folder, the tokenizer taken from the model folder), and the pruned
 * model exports as a Hugging Face folder whose weights are the cell's,
 * pruned zeros included. The cell's result records the SHA-256 digests of
 * the data folder and of the model's files as coreutils computes them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "h5read.h"
#include "io.h"
#include "safetensors.h"
#include "testutil.h"

PB_TEST_TMPDIR_FIXTURE("cellhf")

static const char *const WORDS[] = {"a", "cat", "dog", "sat", "ran", "on", "the", "mat", "is", "not", "an", "animal",
                                    ".", NULL};

/* RTE: index, sentence1, sentence2, label (entailment / not_entailment). */
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
            n += (size_t)snprintf(body + n, sizeof body - n, "%d\t%s\t%s\t%s\n", r, rows[r % 4][0], rows[r % 4][1],
                                  rows[r % 4][2]);
        pb_test_write_file(p, sizeof p, dir, split ? "dev.tsv" : "train.tsv", body);
    }
}

static void test_hf_folder_cell_and_export(void **state) {
    (void)state;
    char model_dir[256], rte[256], yaml[512], out[256], hf_out[256], args[2048], p[512];
    pb_test_path(model_dir, sizeof model_dir, g_dir, "bert-pretrained");
    pb_test_path(rte, sizeof rte, g_dir, "RTE");
    pb_test_path(out, sizeof out, g_dir, "cell");
    pb_test_path(hf_out, sizeof hf_out, g_dir, "exported");
    /* the pretraining folder: an MLM-head BERT over the fixture vocabulary */
    pb_model pre;
    pb_config c;
    pb_test_config(&c, PB_MODEL_BERT, 5 + 13, 32, 2, 2, 64, 64);
    assert_int_equal(pb_model_init(&pre, &c, PB_HEAD_MLM, 1, 8), 0);
    pb_model_init_weights(&pre, 3);
    assert_int_equal(pb_hf_folder_save(&pre, model_dir), 0);
    assert_int_equal(pb_test_write_vocab(model_dir, WORDS), 18);
    pb_model_free(&pre);
    pb_test_write_file(p, sizeof p, model_dir, "README.md", "not read by the loader, not in the digest\n");
    write_rte(rte);
    char text[2048];
    snprintf(text, sizeof text,
             "model: {checkpoint: \"%s\"}\n"
             "task: glue-rte\n"
             "data: {dir: \"%s\"}\n"
             "seed: 3\n"
             "train: {epochs: 2, batch_size: 8, max_seq_length: 24, lr: 1e-3}\n"
             "prune: {method: magnitude, groups: [encoder], schedule: {kind: oneshot, final_sparsity: 0.5}}\n",
             model_dir, rte);
    pb_test_write_file(yaml, sizeof yaml, g_dir, "run.yaml", text);
    snprintf(args, sizeof args, "train '%s' --out '%s'", yaml, out);
    char *err = NULL;
    int rc = pb_test_run_cli(g_dir, args, NULL, &err);
    if (rc) print_error("%s\n", err);
    free(err);
    assert_int_equal(rc, 0);
    /* provenance: the digests sha256sum gives (the folder's manifest, its sha256) */
    char cmd[1200], want_data[65] = "", want_model[65] = "";
    snprintf(cmd, sizeof cmd,
             "cd '%s' && find . -type f | sed 's|^\\./||' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum", rte);
    FILE *sh = popen(cmd, "r");
    assert_non_null(sh);
    assert_int_equal(fscanf(sh, "%64s", want_data), 1);
    pclose(sh);
    snprintf(cmd, sizeof cmd, "cd '%s' && sha256sum config.json model.safetensors vocab.txt | sha256sum", model_dir);
    sh = popen(cmd, "r");
    assert_non_null(sh);
    assert_int_equal(fscanf(sh, "%64s", want_model), 1);
    pclose(sh);
    hid_t rf = H5Fopen(pb_test_path(p, sizeof p, out, "result.h5"), H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(rf >= 0);
    char *got_data = h5_attr_string(rf, "data_sha256"), *got_model = h5_attr_string(rf, "model_sha256");
    assert_string_equal(got_data, want_data);
    assert_string_equal(got_model, want_model);
    free(got_data);
    free(got_model);
    H5Fclose(rf);
    /* the cell's model: 2 labels (RTE), half the encoder pruned */
    pb_config got;
    assert_int_equal(pb_io_read_checkpoint_config(pb_test_path(p, sizeof p, out, "model.h5"), &got), 0);
    assert_int_equal(got.num_labels, 2);
    pb_model cell, back;
    assert_int_equal(pb_model_init(&cell, &got, PB_HEAD_CLS, 1, 8), 0);
    assert_int_equal(pb_io_load_checkpoint(&cell, p, 0, NULL, NULL), 0);
    size_t zeros = 0, n = 0;
    for (int i = 0; i < cell.n_params; i++) {
        if (cell.params[i].ndim != 2 || !strstr(cell.params[i].name, ".encoder.")) continue;
        const float *w = pb_model_param_data(&cell, i);
        for (size_t j = 0; j < cell.params[i].numel; j++) zeros += w[j] == 0.0f;
        n += cell.params[i].numel;
    }
    assert_int_equal(zeros, (n + 1) / 2); /* round(0.5 n) of the encoder's weights */
    /* export: a Hugging Face folder with the same weights and the tokenizer */
    snprintf(args, sizeof args, "export --checkpoint '%s' --tokenizer '%s' --out '%s'", p, model_dir, hf_out);
    assert_int_equal(pb_test_run_cli(g_dir, args, NULL, NULL), 0);
    assert_int_equal(pb_hf_folder_load(&back, hf_out, PB_HEAD_CLS, 0, 1, 8, 1, NULL), 0);
    assert_memory_equal(back.params_mem, cell.params_mem, sizeof(float) * cell.n_floats);
    struct stat st;
    assert_int_equal(stat(pb_test_path(p, sizeof p, hf_out, "vocab.txt"), &st), 0);
    pb_model_free(&back);
    pb_model_free(&cell);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_hf_folder_cell_and_export)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
