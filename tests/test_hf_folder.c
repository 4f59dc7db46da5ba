/* Hugging Face model folders: a pretraining folder (masked-LM head, no pooler)
 * loads under a classification head with the backbone bit-exact, the pooler
 * and classifier freshly initialized and reported as missing, the MLM head
 * as unexpected, each by name; a
 * folder missing a backbone tensor or its weights file is refused by name; a
 * trained model exports as config.json + model.safetensors + tokenizer files
 * that load back bit-exact with the same tokenizer ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "safetensors.h"
#include "testutil.h"
#include "tok.h"

PB_TEST_TMPDIR_FIXTURE("hf")

static const char *const WORDS[] = {"the", "cat", "sat", "##s", ",", NULL};

static void save_mlm_folder(const char *dir, pb_model *m) {
    pb_test_random_model(m, PB_MODEL_BERT, PB_HEAD_MLM, 3);
    assert_int_equal(pb_hf_folder_save(m, dir), 0);
}

static void test_pretraining_folder_as_classifier(void **state) {
    (void)state;
    char dir[256];
    pb_test_path(dir, sizeof dir, g_dir, "pre");
    pb_model src, m;
    save_mlm_folder(dir, &src);
    pb_st_report rep;
    int rc = pb_hf_folder_load(&m, dir, PB_HEAD_CLS, 2, 4, 10, 9, &rep);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_int_equal(m.cfg.num_labels, 2);
    /* BertForSequenceClassification has bert.pooler.dense.{weight,bias} and
     * classifier.{weight,bias}; BertForMaskedLM has neither (HF's
     * add_pooling_layer=False), so exactly these 4 are new */
    assert_int_equal(rep.n_missing, 4);
    /* ... and the MLM head's tensors (cls.predictions.*) are extra */
    assert_true(rep.n_extra > 0);
    PB_ASSERT_HAS(rep.extra, "cls.predictions.");
    /* ... by name, as Hugging Face's loading info lists them */
    const char *const want_missing[4] = {"bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight",
                                         "classifier.bias"};
    for (int i = 0; i < 4; i++) assert_string_equal(rep.missing[i], want_missing[i]);
    int n_cls = 0;
    for (int i = 0; i < rep.n_extra; i++) {
        assert_int_equal(pb_model_find_param(&m, rep.unexpected[i]), -1);
        assert_true(pb_model_find_param(&src, rep.unexpected[i]) >= 0);
        n_cls += strncmp(rep.unexpected[i], "cls.predictions.", 16) == 0;
    }
    assert_int_equal(n_cls, rep.n_extra); /* the tied decoder equals the embeddings: not listed */
    pb_st_report_free(&rep);
    assert_null(rep.missing);
    for (int i = 0; i < m.n_params; i++) {
        const char *name = m.params[i].name;
        int j = pb_model_find_param(&src, name);
        if (strstr(name, ".embeddings.") || strstr(name, ".encoder.")) {
            assert_true(j >= 0);
            assert_memory_equal(pb_model_param_data(&m, i), pb_model_param_data(&src, j),
                                sizeof(float) * m.params[i].numel);
        } else {
            assert_int_equal(j, -1); /* pooler and classifier exist only in m */
        }
    }
    /* the new head follows HF's init: normal(0, 0.02) weights, zero bias */
    int cw = pb_model_find_param(&m, "classifier.weight"), cb = pb_model_find_param(&m, "classifier.bias");
    assert_true(cw >= 0 && cb >= 0);
    double ss = 0;
    const float *w = pb_model_param_data(&m, cw);
    for (size_t j = 0; j < m.params[cw].numel; j++) ss += (double)w[j] * w[j];
    const double sd = sqrt(ss / (double)m.params[cw].numel);
    assert_true(sd > 0.01 && sd < 0.03);
    for (size_t j = 0; j < m.params[cb].numel; j++) assert_true(pb_model_param_data(&m, cb)[j] == 0.0f);
    pb_model_free(&m);
    pb_model_free(&src);
}

static void test_refusals(void **state) {
    (void)state;
    char dir[256], p[512];
    pb_test_path(dir, sizeof dir, g_dir, "bad");
    pb_model src, m;
    save_mlm_folder(dir, &src);
    /* a classification checkpoint loaded as MLM lacks cls.predictions.*: only
     * the task head may be missing, so it loads; a folder whose weights are a
     * different shape's encoder does not */
    pb_model other;
    pb_config c;
    pb_test_config(&c, PB_MODEL_BERT, 50, 16, 1, 2, 32, 24); /* one layer: layer.1.* absent */
    assert_int_equal(pb_model_init(&other, &c, PB_HEAD_CLS, 2, 8), 0);
    pb_model_init_weights(&other, 1);
    assert_int_equal(pb_safetensors_save(&other, pb_test_path(p, sizeof p, dir, "model.safetensors")), 0);
    assert_int_equal(pb_hf_folder_load(&m, dir, PB_HEAD_CLS, 3, 4, 10, 1, NULL), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("bert.encoder.layer.1.");
    PB_ASSERT_MSG_HAS("model.safetensors");
    remove(p);
    assert_int_equal(pb_hf_folder_load(&m, dir, PB_HEAD_CLS, 3, 4, 10, 1, NULL), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("has no model.safetensors");
    pb_test_path(p, sizeof p, g_dir, "nowhere");
    assert_true(pb_hf_folder_load(&m, p, PB_HEAD_CLS, 3, 4, 10, 1, NULL) < 0);
    PB_ASSERT_MSG_HAS("nowhere");
    pb_model_free(&other);
    pb_model_free(&src);
}

static void test_export_roundtrip(void **state) {
    (void)state;
    char dir[256], out[256], vocab[512];
    pb_test_path(dir, sizeof dir, g_dir, "tokdir");
    assert_int_equal(mkdir(dir, 0777), 0);
    pb_test_write_vocab(dir, WORDS);
    pb_tok *tok;
    assert_int_equal(pb_tok_load(&tok, pb_test_path(vocab, sizeof vocab, dir, "vocab.txt")), 0);
    pb_model m, back;
    pb_test_random_model(&m, PB_MODEL_BERT, PB_HEAD_CLS, 5);
    pb_test_path(out, sizeof out, g_dir, "export");
    assert_int_equal(pb_hf_folder_save(&m, out), 0);
    assert_int_equal(pb_tok_save_files(tok, out), 0);
    assert_int_equal(pb_hf_folder_load(&back, out, PB_HEAD_CLS, 0, 6, 10, 77, NULL), 0);
    assert_int_equal(back.n_floats, m.n_floats);
    assert_memory_equal(back.params_mem, m.params_mem, sizeof(float) * m.n_floats);
    /* the exported folder is a tokenizer folder too, giving the same ids */
    pb_tok *tok2;
    assert_int_equal(pb_tok_load(&tok2, out), 0);
    pb_encoding e1, e2;
    assert_int_equal(pb_tok_encode_pair(tok, "The cats, sat", "cat", 12, PB_TRUNC_LONGEST_FIRST, &e1), 0);
    assert_int_equal(pb_tok_encode_pair(tok2, "The cats, sat", "cat", 12, PB_TRUNC_LONGEST_FIRST, &e2), 0);
    /* [CLS] the cat ##s , sat [SEP] cat [SEP]: ids from WORDS after the 5 specials */
    const int32_t want[9] = {2, 5, 6, 8, 9, 7, 3, 6, 3};
    assert_int_equal(e1.n_tokens, 9);
    assert_memory_equal(e1.input_ids, want, sizeof want);
    assert_memory_equal(e2.input_ids, e1.input_ids, sizeof(int32_t) * 12);
    pb_encoding_free(&e1);
    pb_encoding_free(&e2);
    pb_tok_free(tok2);
    pb_tok_free(tok);
    pb_model_free(&back);
    pb_model_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pretraining_folder_as_classifier),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_export_roundtrip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
