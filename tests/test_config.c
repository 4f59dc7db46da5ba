/* config.json parsing, defaults, validation (one test per error, each
 * checking that the message names the field) and round trips. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "pb_error.h"
#include "testutil.h"

static const char *bert_json =
    "{\n"
    "  \"architectures\": [\"BertForSequenceClassification\"],\n"
    "  \"model_type\": \"bert\",\n"
    "  \"vocab_size\": 40,\n"
    "  \"hidden_size\": 16,\n"
    "  \"num_hidden_layers\": 2,\n"
    "  \"num_attention_heads\": 2,\n"
    "  \"intermediate_size\": 32,\n"
    "  \"hidden_act\": \"gelu\",\n"
    "  \"max_position_embeddings\": 20,\n"
    "  \"type_vocab_size\": 2,\n"
    "  \"layer_norm_eps\": 1e-12,\n"
    "  \"hidden_dropout_prob\": 0.1,\n"
    "  \"attention_probs_dropout_prob\": 0,\n"
    "  \"initializer_range\": 0.02,\n"
    "  \"pad_token_id\": 0,\n"
    "  \"num_labels\": 3,\n"
    "  \"transformers_version\": \"4.30.0\"\n"
    "}\n";

/* bert_json with one key's value replaced (the key must be in bert_json) or, when
 * absent there, added at the front. */
static char *with_key(const char *key, const char *value) {
    static _Thread_local char buf[4096];
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *at = strstr(bert_json, pat);
    if (!at) {
        snprintf(buf, sizeof buf, "{\"%s\": %s,%s", key, value, bert_json + 1);
        return buf;
    }
    const char *v = at + strlen(pat);
    const char *end = v;
    while (*end != ',' && *end != '\n') end++;
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(v - bert_json), bert_json, value, end);
    return buf;
}

/* Parse must fail with `code`, and the message must name `field`. */
static void expect_error(const char *json, int code, const char *field) {
    pb_config c;
    pb_error_clear();
    int rc = pb_config_parse_json(&c, json, "test.json");
    if (rc != code) print_error("expected %s, got %d: %s\n", pb_error_name(code), rc, pb_error_msg());
    assert_int_equal(rc, code);
    PB_ASSERT_MSG_HAS(field);
    PB_ASSERT_MSG_HAS("test.json");
}

/* Each field of `got` equals `want`'s (floats exactly), checked one by one. */
static void assert_config_fields(const pb_config *got, const pb_config *want) {
    assert_int_equal(got->model_type, want->model_type);
    assert_int_equal(got->vocab_size, want->vocab_size);
    assert_int_equal(got->hidden_size, want->hidden_size);
    assert_int_equal(got->num_hidden_layers, want->num_hidden_layers);
    assert_int_equal(got->num_attention_heads, want->num_attention_heads);
    assert_int_equal(got->intermediate_size, want->intermediate_size);
    assert_int_equal(got->max_position_embeddings, want->max_position_embeddings);
    assert_int_equal(got->type_vocab_size, want->type_vocab_size);
    assert_true(got->layer_norm_eps == want->layer_norm_eps);
    assert_true(got->hidden_dropout_prob == want->hidden_dropout_prob);
    assert_true(got->attention_probs_dropout_prob == want->attention_probs_dropout_prob);
    assert_int_equal(got->pad_token_id, want->pad_token_id);
    assert_int_equal(got->num_labels, want->num_labels);
}

static void test_parse_bert(void **state) {
    (void)state;
    pb_config c;
    assert_int_equal(pb_config_parse_json(&c, bert_json, "bert.json"), 0);
    pb_config want; /* bert_json's values: type vocab 2, eps 1e-12, pad 0, 3 labels, dropout 0.1 and 0 */
    pb_test_config(&want, PB_MODEL_BERT, 40, 16, 2, 2, 32, 20);
    want.attention_probs_dropout_prob = 0.0f;
    assert_config_fields(&c, &want);
}

static void test_parse_roberta(void **state) {
    (void)state;
    const char *j = "{\"model_type\": \"roberta\", \"vocab_size\": 50265, \"hidden_size\": 1024,"
                    " \"num_hidden_layers\": 24, \"num_attention_heads\": 16, \"intermediate_size\": 4096,"
                    " \"max_position_embeddings\": 514, \"type_vocab_size\": 1, \"layer_norm_eps\": 1e-05,"
                    " \"pad_token_id\": 1, \"bos_token_id\": 0, \"eos_token_id\": 2}";
    pb_config c;
    assert_int_equal(pb_config_parse_json(&c, j, "roberta-large/config.json"), 0);
    pb_config want; /* type vocab 1, eps 1e-5, pad 1 as given; dropout 0.1 and 2 labels by default */
    pb_test_config(&want, PB_MODEL_ROBERTA, 50265, 1024, 24, 16, 4096, 514);
    want.num_labels = 2;
    assert_config_fields(&c, &want);
    /* RoBERTa class defaults where keys are absent (Hugging Face RobertaConfig) */
    assert_int_equal(pb_config_parse_json(&c, "{\"model_type\": \"roberta\"}", "r.json"), 0);
    assert_int_equal(c.vocab_size, 50265);
    assert_int_equal(c.pad_token_id, 1);
    assert_int_equal(c.max_position_embeddings, 512);
}

static void test_id2label(void **state) {
    (void)state;
    pb_config c;
    const char *j = "{\"model_type\": \"bert\", \"id2label\": {\"0\": \"entailment\", \"1\": \"neutral\","
                    " \"2\": \"contradiction\"}, \"label2id\": {\"entailment\": 0, \"neutral\": 1, \"contradiction\": 2}}";
    assert_int_equal(pb_config_parse_json(&c, j, "mnli.json"), 0);
    assert_int_equal(c.num_labels, 3);
    /* agreeing num_labels is fine */
    const char *j2 = "{\"model_type\": \"bert\", \"num_labels\": 1, \"id2label\": {\"0\": \"LABEL_0\"}}";
    assert_int_equal(pb_config_parse_json(&c, j2, "stsb.json"), 0);
    assert_int_equal(c.num_labels, 1);
    /* disagreeing is an error naming both */
    expect_error("{\"model_type\": \"bert\", \"num_labels\": 3, \"id2label\": {\"0\": \"a\", \"1\": \"b\"}}", PB_EINVAL,
                 "id2label");
    PB_ASSERT_MSG_HAS("num_labels");
    expect_error("{\"model_type\": \"bert\", \"id2label\": [\"a\", \"b\"]}", PB_EFORMAT, "id2label");
    expect_error("{\"model_type\": \"bert\", \"id2label\": {}}", PB_EINVAL, "num_labels");
}

static void test_defaults(void **state) {
    (void)state;
    pb_config c;
    pb_config_default(&c);
    pb_config want; /* Hugging Face BertConfig: type vocab 2, eps 1e-12, pad 0, dropout 0.1, 2 labels */
    pb_test_config(&want, PB_MODEL_BERT, 30522, 768, 12, 12, 3072, 512);
    want.num_labels = 2;
    assert_config_fields(&c, &want);
    assert_int_equal(pb_config_validate(&c), 0);
    /* a config with only model_type gets the same values */
    pb_config p;
    assert_int_equal(pb_config_parse_json(&p, "{\"model_type\": \"bert\"}", "min.json"), 0);
    assert_memory_equal(&c, &p, sizeof c);
}

static void test_round_trip(void **state) {
    (void)state;
    pb_config c, back;
    pb_config_default(&c);
    const float eps[] = {1e-12f, 1e-5f, 1e-6f, 0.123456789f, 3.4e38f, 1.17549435e-38f};
    const float drop[] = {0.0f, 0.1f, 0.3333333f, 0.99999994f, 1e-10f, 0.5f};
    for (size_t i = 0; i < sizeof eps / sizeof eps[0]; i++) {
        c.model_type = i % 2 ? PB_MODEL_ROBERTA : PB_MODEL_BERT;
        c.pad_token_id = (int)i;
        c.layer_norm_eps = eps[i];
        c.hidden_dropout_prob = drop[i];
        c.attention_probs_dropout_prob = drop[(i + 1) % 6];
        c.num_labels = 1 + (int)i;
        char *text = NULL;
        assert_int_equal(pb_config_to_json(&c, &text), 0);
        assert_non_null(strstr(text, "\"hidden_act\": \"gelu\""));
        assert_null(strstr(text, "architectures"));
        assert_int_equal(pb_config_parse_json(&back, text, "round-trip"), 0);
        if (memcmp(&c, &back, sizeof c) != 0) print_error("round trip changed the config:\n%s", text);
        assert_memory_equal(&c, &back, sizeof c);
        free(text);
    }
    /* short, readable floats */
    pb_config_default(&c);
    char *text = NULL;
    assert_int_equal(pb_config_to_json(&c, &text), 0);
    assert_non_null(strstr(text, "\"layer_norm_eps\": 1e-12,"));
    assert_non_null(strstr(text, "\"hidden_dropout_prob\": 0.1,"));
    free(text);
    /* invalid configs are not serialized */
    c.hidden_size = 0;
    text = (char *)1;
    assert_int_equal(pb_config_to_json(&c, &text), PB_EINVAL);
    assert_null(text);
}

/* config.json as Hugging Face writes it: id2label / label2id, architectures,
 * shortest floats; it parses back to the same config and its names. */
static void test_hf_json(void **state) {
    (void)state;
    pb_config c, back;
    pb_config_default(&c);
    c.num_labels = 3;
    c.hidden_dropout_prob = 0.123456789f;
    char *text = NULL;
    assert_int_equal(pb_config_to_hf_json(&c, NULL, NULL, &text), 0);
    PB_ASSERT_HAS(text, "\"layer_norm_eps\": 1e-12,");
    PB_ASSERT_HAS(text, "\"hidden_dropout_prob\": 0.12345679,");
    PB_ASSERT_HAS(text, "\"attention_probs_dropout_prob\": 0.1,");
    PB_ASSERT_HAS(text, "\"id2label\": {\n    \"0\": \"LABEL_0\",\n    \"1\": \"LABEL_1\",\n    \"2\": \"LABEL_2\"\n  }");
    PB_ASSERT_HAS(text, "\"label2id\": {\n    \"LABEL_0\": 0,\n    \"LABEL_1\": 1,\n    \"LABEL_2\": 2\n  }\n}\n");
    assert_null(strstr(text, "architectures"));
    assert_int_equal(pb_config_parse_json(&back, text, "hf"), 0);
    assert_memory_equal(&c, &back, sizeof c);
    pb_config_labels l;
    assert_int_equal(pb_config_parse_labels(text, "hf", &l), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.names[1], "LABEL_1");
    pb_config_labels_free(&l);
    free(text);
    /* the task's names, escaped; architectures */
    char *names[3] = {"entail\"ment", "neutral", "contra\xc3\xa9" "diction"};
    pb_config_labels want = {3, names};
    assert_int_equal(pb_config_to_hf_json(&c, "BertForSequenceClassification", &want, &text), 0);
    PB_ASSERT_HAS(text, "\"architectures\": [\n    \"BertForSequenceClassification\"\n  ],");
    PB_ASSERT_HAS(text, "\"0\": \"entail\\\"ment\"");
    PB_ASSERT_HAS(text, "\"neutral\": 1");
    assert_int_equal(pb_config_parse_json(&back, text, "hf"), 0);
    assert_memory_equal(&c, &back, sizeof c);
    assert_int_equal(pb_config_parse_labels(text, "hf", &l), 0);
    assert_int_equal(l.n, 3);
    for (int i = 0; i < 3; i++) assert_string_equal(l.names[i], names[i]);
    pb_config_labels_free(&l);
    free(text);
    /* names that cannot serve (wrong count, duplicates, not UTF-8) give the defaults */
    char *dup[3] = {"a", "b", "a"}, *bad[3] = {"a", "\xff", "c"};
    pb_config_labels two = {2, names}, dups = {3, dup}, bads = {3, bad};
    const pb_config_labels *cases[3] = {&two, &dups, &bads};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(pb_config_to_hf_json(&c, NULL, cases[k], &text), 0);
        PB_ASSERT_HAS(text, "\"2\": \"LABEL_2\"");
        assert_int_equal(pb_config_parse_json(&back, text, "hf"), 0);
        free(text);
    }
    /* id2label whose keys are not 0..n-1 gives no names; a syntax error is one */
    assert_int_equal(pb_config_parse_labels("{\"id2label\": {\"1\": \"a\", \"2\": \"b\"}}", "x", &l), 0);
    assert_int_equal(l.n, 0);
    assert_null(l.names);
    assert_int_equal(pb_config_parse_labels("{\"model_type\": \"bert\"}", "x", &l), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(pb_config_parse_labels("{", "broken.json", &l), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("broken.json");
    /* invalid configs are not serialized */
    c.hidden_size = 0;
    text = (char *)1;
    assert_int_equal(pb_config_to_hf_json(&c, NULL, NULL, &text), PB_EINVAL);
    assert_null(text);
}

static void test_load_file(void **state) {
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "/tmp/pb_test_config_%ld.json", (long)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(bert_json, f);
    fclose(f);
    pb_config a, b;
    assert_int_equal(pb_config_load_json(&a, path), 0);
    assert_int_equal(pb_config_parse_json(&b, bert_json, "x"), 0);
    assert_memory_equal(&a, &b, sizeof a);
    /* errors name the file */
    f = fopen(path, "w");
    fputs("{\"model_type\": \"bert\",\n \"hidden_size\": \"big\"}", f);
    fclose(f);
    assert_int_equal(pb_config_load_json(&a, path), PB_EFORMAT);
    PB_ASSERT_MSG_HAS(path);
    PB_ASSERT_MSG_HAS("hidden_size");
    remove(path);
    assert_int_equal(pb_config_load_json(&a, path), PB_EIO);
    PB_ASSERT_MSG_HAS(path);
}

/* ---- validation errors, one each ---------------------------------------- */

static void test_err_heads_divide(void **state) {
    (void)state;
    expect_error(with_key("num_attention_heads", "3"), PB_EINVAL, "num_attention_heads");
    PB_ASSERT_MSG_HAS("hidden_size");
}

static void test_err_zero_size(void **state) {
    (void)state;
    expect_error(with_key("intermediate_size", "0"), PB_EINVAL, "intermediate_size");
    expect_error(with_key("vocab_size", "0"), PB_EINVAL, "vocab_size");
    expect_error(with_key("type_vocab_size", "0"), PB_EINVAL, "type_vocab_size");
    expect_error(with_key("num_labels", "0"), PB_EINVAL, "num_labels");
}

static void test_err_negative_size(void **state) {
    (void)state;
    expect_error(with_key("num_hidden_layers", "-1"), PB_EINVAL, "num_hidden_layers");
    expect_error(with_key("max_position_embeddings", "-512"), PB_EINVAL, "max_position_embeddings");
    expect_error(with_key("hidden_size", "-16"), PB_EINVAL, "hidden_size");
}

static void test_err_overflow(void **state) {
    (void)state;
    /* 2e9 x 16 word-embedding elements */
    expect_error(with_key("vocab_size", "2000000000"), PB_ERANGE, "vocab_size");
    /* many layers are fine while every product fits */
    char j[4096];
    snprintf(j, sizeof j, "%s", with_key("num_hidden_layers", "100000"));
    pb_config c;
    assert_int_equal(pb_config_parse_json(&c, j, "test.json"), 0); /* 100000 x 16 x 32 fits */
    expect_error("{\"model_type\": \"bert\", \"num_hidden_layers\": 1000, \"hidden_size\": 4096,"
                 " \"num_attention_heads\": 16, \"intermediate_size\": 16384}",
                 PB_ERANGE, "num_hidden_layers * hidden_size * intermediate_size");
    expect_error(with_key("max_position_embeddings", "1000000000"), PB_ERANGE, "max_position_embeddings");
    /* does not fit in an int at all */
    expect_error(with_key("hidden_size", "3000000000"), PB_ERANGE, "hidden_size");
    expect_error(with_key("hidden_size", "99999999999999999999"), PB_EFORMAT, "test.json:5:");
    /* direct validation */
    pb_config_default(&c);
    c.vocab_size = INT_MAX;
    assert_int_equal(pb_config_validate(&c), PB_ERANGE);
    PB_ASSERT_MSG_HAS("vocab_size");
}

static void test_err_dropout(void **state) {
    (void)state;
    expect_error(with_key("hidden_dropout_prob", "1.0"), PB_EINVAL, "hidden_dropout_prob");
    expect_error(with_key("attention_probs_dropout_prob", "-0.1"), PB_EINVAL, "attention_probs_dropout_prob");
    expect_error(with_key("hidden_dropout_prob", "1e400"), PB_EFORMAT, "test.json:13:"); /* jansson: real overflow */
}

static void test_err_eps(void **state) {
    (void)state;
    expect_error(with_key("layer_norm_eps", "0"), PB_EINVAL, "layer_norm_eps");
    expect_error(with_key("layer_norm_eps", "-1e-5"), PB_EINVAL, "layer_norm_eps");
    expect_error(with_key("layer_norm_eps", "1e-300"), PB_EINVAL, "layer_norm_eps"); /* 0 in float */
}

static void test_err_pad(void **state) {
    (void)state;
    expect_error(with_key("pad_token_id", "40"), PB_ERANGE, "pad_token_id");
    expect_error(with_key("pad_token_id", "-1"), PB_ERANGE, "pad_token_id");
}

static void test_err_roberta_positions(void **state) {
    (void)state;
    expect_error("{\"model_type\": \"roberta\", \"vocab_size\": 40, \"pad_token_id\": 1,"
                 " \"max_position_embeddings\": 2}",
                 PB_ERANGE, "max_position_embeddings");
    pb_config c;
    assert_int_equal(pb_config_parse_json(&c,
                                          "{\"model_type\": \"roberta\", \"vocab_size\": 40, \"pad_token_id\": 1,"
                                          " \"max_position_embeddings\": 3}",
                                          "ok.json"),
                     0);
}

static void test_err_model_type(void **state) {
    (void)state;
    expect_error(with_key("model_type", "\"gpt2\""), PB_EINVAL, "model_type");
    PB_ASSERT_MSG_HAS("gpt2");
    expect_error(with_key("model_type", "1"), PB_EFORMAT, "model_type");
    expect_error("{\"vocab_size\": 40}", PB_ENOTFOUND, "model_type");
    pb_config c;
    pb_config_default(&c);
    c.model_type = (pb_model_type)7;
    assert_int_equal(pb_config_validate(&c), PB_EINVAL);
    PB_ASSERT_MSG_HAS("model_type");
}

static void test_err_wrong_type(void **state) {
    (void)state;
    expect_error(with_key("hidden_size", "\"768\""), PB_EFORMAT, "hidden_size");
    PB_ASSERT_MSG_HAS("expected an integer");
    expect_error(with_key("hidden_size", "16.0"), PB_EFORMAT, "hidden_size");
    expect_error(with_key("num_labels", "null"), PB_EFORMAT, "num_labels");
    expect_error(with_key("layer_norm_eps", "\"1e-12\""), PB_EFORMAT, "layer_norm_eps");
    PB_ASSERT_MSG_HAS("expected a number");
    expect_error(with_key("hidden_dropout_prob", "true"), PB_EFORMAT, "hidden_dropout_prob");
    expect_error(with_key("hidden_act", "3"), PB_EFORMAT, "hidden_act");
    expect_error("[1, 2]", PB_EFORMAT, "expected a JSON object");
}

static void test_err_unsupported(void **state) {
    (void)state;
    expect_error(with_key("hidden_act", "\"gelu_new\""), PB_EINVAL, "hidden_act");
    expect_error(with_key("position_embedding_type", "\"relative_key\""), PB_EINVAL, "position_embedding_type");
}

static void test_err_syntax(void **state) {
    (void)state;
    /* extra comma on line 3, column 22 (jansson counts columns from 1 at the offending character) */
    const char *bad = "{\n  \"model_type\": \"bert\",\n  \"hidden_size\": 768,,\n  \"x\": 1\n}\n";
    expect_error(bad, PB_EFORMAT, "test.json:3:22:");
    PB_ASSERT_MSG_HAS("syntax error");
    expect_error("{\"model_type\": \"bert\"", PB_EFORMAT, "test.json:1:");
    expect_error("{\"model_type\": \"bert\",\n \"model_type\": \"bert\"}", PB_EFORMAT, "duplicate");
    PB_ASSERT_MSG_HAS("test.json:2:");
    expect_error("", PB_EFORMAT, "test.json:");
    pb_config c;
    assert_int_equal(pb_config_parse_json(&c, NULL, "null.json"), PB_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_bert),
        cmocka_unit_test(test_parse_roberta),
        cmocka_unit_test(test_id2label),
        cmocka_unit_test(test_hf_json),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_err_heads_divide),
        cmocka_unit_test(test_err_zero_size),
        cmocka_unit_test(test_err_negative_size),
        cmocka_unit_test(test_err_overflow),
        cmocka_unit_test(test_err_dropout),
        cmocka_unit_test(test_err_eps),
        cmocka_unit_test(test_err_pad),
        cmocka_unit_test(test_err_roberta_positions),
        cmocka_unit_test(test_err_model_type),
        cmocka_unit_test(test_err_wrong_type),
        cmocka_unit_test(test_err_unsupported),
        cmocka_unit_test(test_err_syntax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
