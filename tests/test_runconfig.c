/* Run config YAML: the full example, defaults, canonical form and round trips,
 * and one test per error, each checking the key path, the line:column (found
 * by the test in the YAML text itself) and the suggestion where there is one. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pb_error.h"
#include "runconfig.h"
#include "testutil.h"

/* The schema's example, one top-level key (or prune key) per line, so a test
 * replaces one line and knows where the error is. */
static const char *const example_lines[] = {
    /*  1 */ "model: {checkpoint: path/to/model.h5}      # or {init: random, config: {...}}",
    /*  2 */ "task: toy",
    /*  3 */ "seed: 1",
    /*  4 */ "threads: 2                                   # optional",
    /*  5 */
    "train: {epochs: 4, batch_size: 16, max_seq_length: 32, lr: 1e-3, lr_final: 1e-4, weight_decay: 0.01, "
    "warmup_fraction: 0.0, max_grad_norm: 1.0, eval_every_epochs: 0, checkpoint_every_steps: 0}",
    /*  6 */ "prune:",
    /*  7 */ "  method: magnitude          # magnitude | random | movement | oneshot",
    /*  8 */ "  scope: global              # global | layer",
    /*  9 */ "  groups: [encoder]          # any of encoder, embeddings, head, or \"re:<regex>\" patterns",
    /* 10 */ "  mask: unstructured         # unstructured | 2:4 | block4",
    /* 11 */
    "  schedule: {kind: cubic, init_sparsity: 0.5, final_sparsity: 0.9, start_epoch: 1, end_epoch: 3, "
    "update_every_epochs: 0.5}   # kind: cubic | linear | constant | oneshot",
    /* 12 */ "  lr_schedule: cyclic        # cyclic | linear | constant (cyclic rewinds at every pruning step)",
    /* 13 */ "  recipe: fixed              # fixed | scaled (sparsity-scaled recipe; derived by the engine)",
    /* 14 */ "kd: {teacher: path/to/teacher.h5, hardness: 1.0, temperature: 2.0}   # or absent",
};
#define N_EXAMPLE (sizeof example_lines / sizeof example_lines[0])

/* The example with line `line` (1-based) replaced by `text` (NULL: deleted;
 * it may hold several lines). Caller frees. */
static char *example_with(int line, const char *text) {
    size_t cap = 4096 + (text ? strlen(text) : 0);
    char *buf = malloc(cap);
    assert_non_null(buf);
    buf[0] = '\0';
    for (size_t i = 0; i < N_EXAMPLE; i++) {
        const char *l = (int)i + 1 == line ? text : example_lines[i];
        if (!l) continue;
        strcat(buf, l);
        strcat(buf, "\n");
    }
    return buf;
}

static char *example(void) {
    return example_with(0, NULL);
}

/* 1-based column of the first `needle` on line `line` of `text` (ASCII). */
static int column_of(const char *text, int line, const char *needle) {
    const char *l = text;
    for (int i = 1; i < line; i++) {
        l = strchr(l, '\n');
        assert_non_null(l);
        l++;
    }
    const char *end = strchr(l, '\n');
    const char *at = strstr(l, needle);
    if (!at || (end && at > end)) print_error("'%s' is not on line %d of:\n%s\n", needle, line, text);
    assert_true(at && (!end || at < end));
    return (int)(at - l) + 1;
}

/* Parse must fail with `code`, leave the struct empty, and the message must
 * hold "test.yaml:<line>:<col>: " and every needle (NULL-terminated). */
static void expect_error_at(const char *yaml, int code, int line, int col, ...) {
    pb_runconfig rc;
    pb_error_clear();
    int r = pb_runconfig_parse(&rc, yaml, "test.yaml");
    if (r != code) print_error("expected %s, got %d: %s\nfor:\n%s\n", pb_error_name(code), r, pb_error_msg(), yaml);
    assert_int_equal(r, code);
    assert_null(rc.task);
    assert_null(rc.model.checkpoint);
    assert_null(rc.prune.groups);
    char where[64];
    snprintf(where, sizeof where, "test.yaml:%d:%d: ", line, col);
    PB_ASSERT_MSG_HAS(where);
    va_list ap;
    va_start(ap, col);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;) PB_ASSERT_MSG_HAS(s);
    va_end(ap);
    pb_runconfig_free(&rc);
}

/* expect_error_at on the example with one line replaced; the location is
 * that line and the column of `at` in it. Frees nothing it is not given. */
#define EXPECT_LINE_ERROR(line, text, code, at, ...)                                                                   \
    do {                                                                                                               \
        char *y_ = example_with((line), (text));                                                                       \
        expect_error_at(y_, (code), (line), column_of(y_, (line), (at)), __VA_ARGS__);                                 \
        free(y_);                                                                                                      \
    } while (0)

static void assert_float_eq(float got, float want) {
    if (got != want) print_error("got %.9g want %.9g\n", (double)got, (double)want);
    assert_true(got == want);
}

static char *to_yaml(const pb_runconfig *rc) {
    char *out = NULL;
    int r = pb_runconfig_to_yaml(rc, &out);
    if (r) print_error("to_yaml: %s\n", pb_error_msg());
    assert_int_equal(r, 0);
    assert_non_null(out);
    return out;
}

/* to_yaml -> parse -> to_yaml gives the same bytes; returns the text. */
static char *assert_round_trip(const pb_runconfig *rc) {
    char *a = to_yaml(rc);
    pb_runconfig back;
    int r = pb_runconfig_parse(&back, a, "canonical.yaml");
    if (r) print_error("canonical text does not parse: %s\n%s", pb_error_msg(), a);
    assert_int_equal(r, 0);
    char *b = to_yaml(&back);
    if (strcmp(a, b) != 0) print_error("round trip differs:\n--- first\n%s--- second\n%s", a, b);
    assert_string_equal(a, b);
    free(b);
    pb_runconfig_free(&back);
    return a;
}

static void parse_ok(pb_runconfig *rc, const char *yaml) {
    int r = pb_runconfig_parse(rc, yaml, "test.yaml");
    if (r) print_error("parse failed: %s\nfor:\n%s\n", pb_error_msg(), yaml);
    assert_int_equal(r, 0);
}

/* ---- values ------------------------------------------------------------------ */

static void test_parse_full(void **state) {
    (void)state;
    char *y = example();
    pb_runconfig rc;
    parse_ok(&rc, y);
    free(y);
    assert_string_equal(rc.model.checkpoint, "path/to/model.h5");
    assert_int_equal(rc.model.init_random, 0);
    assert_null(rc.model.config_json);
    assert_string_equal(rc.task, "toy");
    assert_true(rc.seed == 1);
    assert_int_equal(rc.threads, 2);
    assert_int_equal(rc.train.epochs, 4);
    assert_int_equal(rc.train.batch_size, 16);
    assert_int_equal(rc.train.max_seq_length, 32);
    assert_float_eq(rc.train.lr, 1e-3f);
    assert_float_eq(rc.train.lr_final, 1e-4f);
    assert_float_eq(rc.train.weight_decay, 0.01f);
    assert_float_eq(rc.train.warmup_fraction, 0.0f);
    assert_float_eq(rc.train.max_grad_norm, 1.0f);
    assert_float_eq(rc.train.eval_every_epochs, 0.0f);
    assert_int_equal(rc.train.checkpoint_every_steps, 0);
    assert_int_equal(rc.prune.enabled, 1);
    assert_int_equal(rc.prune.method, PB_RUNCONFIG_METHOD_MAGNITUDE);
    assert_int_equal(rc.prune.scope, PB_RUNCONFIG_SCOPE_GLOBAL);
    assert_int_equal(rc.prune.n_groups, 1);
    assert_string_equal(rc.prune.groups[0], "encoder");
    assert_int_equal(rc.prune.mask, PB_RUNCONFIG_MASK_UNSTRUCTURED);
    assert_int_equal(rc.prune.schedule.kind, PB_RUNCONFIG_SCHEDULE_CUBIC);
    assert_float_eq(rc.prune.schedule.init_sparsity, 0.5f);
    assert_float_eq(rc.prune.schedule.final_sparsity, 0.9f);
    assert_float_eq(rc.prune.schedule.start_epoch, 1.0f);
    assert_float_eq(rc.prune.schedule.end_epoch, 3.0f);
    assert_float_eq(rc.prune.schedule.update_every_epochs, 0.5f);
    assert_int_equal(rc.prune.lr_schedule, PB_RUNCONFIG_LR_CYCLIC);
    assert_int_equal(rc.prune.recipe, PB_RUNCONFIG_RECIPE_FIXED);
    assert_int_equal(rc.kd.enabled, 1);
    assert_string_equal(rc.kd.teacher, "path/to/teacher.h5");
    assert_float_eq(rc.kd.hardness, 1.0f);
    assert_float_eq(rc.kd.temperature, 2.0f);
    assert_int_equal(pb_runconfig_validate(&rc), 0);
    pb_runconfig_free(&rc);
    assert_null(rc.task);
    assert_null(rc.prune.groups);
    pb_runconfig_free(&rc); /* twice is fine */
}

/* The other enum values and group spellings reach the struct. */
static void test_parse_enums(void **state) {
    (void)state;
    const char *y = "model: {checkpoint: m.h5}\n"
                    "task: toy\n"
                    "train: {epochs: 30}\n"
                    "prune:\n"
                    "  method: movement\n"
                    "  scope: layer\n"
                    "  groups: ['re:^bert\\.encoder\\.layer\\.[0-9]+\\.attention', head, embeddings, encoder]\n"
                    "  mask: '2:4'\n"
                    "  schedule: {kind: oneshot, final_sparsity: 0.97, start_epoch: 2}\n"
                    "  lr_schedule: constant\n"
                    "  recipe: scaled\n";
    pb_runconfig rc;
    parse_ok(&rc, y);
    assert_int_equal(rc.prune.method, PB_RUNCONFIG_METHOD_MOVEMENT);
    assert_int_equal(rc.prune.scope, PB_RUNCONFIG_SCOPE_LAYER);
    assert_int_equal(rc.prune.mask, PB_RUNCONFIG_MASK_2_4);
    assert_int_equal(rc.prune.schedule.kind, PB_RUNCONFIG_SCHEDULE_ONESHOT);
    assert_int_equal(rc.prune.lr_schedule, PB_RUNCONFIG_LR_CONSTANT);
    assert_int_equal(rc.prune.recipe, PB_RUNCONFIG_RECIPE_SCALED);
    /* canonical order: embeddings, encoder, head, then patterns */
    assert_int_equal(rc.prune.n_groups, 4);
    assert_string_equal(rc.prune.groups[0], "embeddings");
    assert_string_equal(rc.prune.groups[1], "encoder");
    assert_string_equal(rc.prune.groups[2], "head");
    assert_string_equal(rc.prune.groups[3], "re:^bert\\.encoder\\.layer\\.[0-9]+\\.attention");
    assert_float_eq(rc.prune.schedule.end_epoch, 30.0f); /* default: train.epochs */
    pb_runconfig_free(&rc);
    /* 2:4 unquoted is the same string (not YAML 1.1 sexagesimal) */
    char *y2 = example_with(10, "  mask: 2:4");
    parse_ok(&rc, y2);
    free(y2);
    assert_int_equal(rc.prune.mask, PB_RUNCONFIG_MASK_2_4);
    pb_runconfig_free(&rc);
    assert_string_equal(pb_runconfig_enum_name(PB_RUNCONFIG_ENUM_MASK, PB_RUNCONFIG_MASK_2_4), "2:4");
    assert_string_equal(pb_runconfig_enum_name(PB_RUNCONFIG_ENUM_METHOD, PB_RUNCONFIG_METHOD_ONESHOT), "oneshot");
    assert_string_equal(pb_runconfig_enum_name(PB_RUNCONFIG_ENUM_LR_SCHEDULE, PB_RUNCONFIG_LR_CYCLIC), "cyclic");
    assert_string_equal(pb_runconfig_enum_name(PB_RUNCONFIG_ENUM_RECIPE, PB_RUNCONFIG_RECIPE_SCALED), "scaled");
    assert_null(pb_runconfig_enum_name(PB_RUNCONFIG_ENUM_SCOPE, 2));
    assert_null(pb_runconfig_enum_name(PB_RUNCONFIG_ENUM_SCHEDULE, -1));
}

static const char *random_init_yaml =
    "model:\n"
    "  init: random\n"
    "  config: {model_type: bert, vocab_size: 40, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2,\n"
    "           intermediate_size: 32, max_position_embeddings: 20, layer_norm_eps: 1e-12, hidden_dropout_prob: 0.1,\n"
    "           attention_probs_dropout_prob: 0, hidden_act: gelu, num_labels: 3,\n"
    "           architectures: [BertForSequenceClassification], id2label: {0: a, 1: b, 2: c},\n"
    "           initializer_range: 0.02, is_decoder: false, bos_token_id: null}\n"
    "task: toy\n";

static void test_parse_random_init(void **state) {
    (void)state;
    pb_runconfig rc;
    parse_ok(&rc, random_init_yaml);
    assert_null(rc.model.checkpoint);
    assert_int_equal(rc.model.init_random, 1);
    assert_non_null(rc.model.config_json);
    /* typed JSON, keys in YAML order */
    PB_ASSERT_HAS(rc.model.config_json, "{\"model_type\":\"bert\",\"vocab_size\":40,\"hidden_size\":16,");
    PB_ASSERT_HAS(rc.model.config_json, "\"architectures\":[\"BertForSequenceClassification\"]");
    PB_ASSERT_HAS(rc.model.config_json, "\"id2label\":{\"0\":\"a\",\"1\":\"b\",\"2\":\"c\"}");
    PB_ASSERT_HAS(rc.model.config_json, "\"is_decoder\":false,\"bos_token_id\":null}");
    pb_config want, again;
    pb_test_config(&want, PB_MODEL_BERT, 40, 16, 2, 2, 32, 20);
    want.attention_probs_dropout_prob = 0.0f;
    assert_memory_equal(&rc.model.config, &want, sizeof want);
    /* config_json is what pb_config_parse_json read */
    assert_int_equal(pb_config_parse_json(&again, rc.model.config_json, "config_json"), 0);
    assert_memory_equal(&again, &want, sizeof want);
    pb_runconfig_free(&rc);
}

static void test_defaults(void **state) {
    (void)state;
    pb_runconfig rc, init;
    parse_ok(&rc, "model: {checkpoint: m.h5}\ntask: toy\n");
    pb_runconfig_init(&init);
    assert_true(rc.seed == 42);
    assert_int_equal(rc.threads, 0);
    assert_int_equal(rc.train.epochs, 3);
    assert_int_equal(rc.train.batch_size, 32);
    assert_int_equal(rc.train.max_seq_length, 0); /* the task's default */
    assert_int_equal(rc.train.group_by_length, 0);
    assert_float_eq(rc.train.lr, 5e-5f);
    assert_float_eq(rc.train.lr_final, 0.0f);
    assert_float_eq(rc.train.weight_decay, 0.0f);
    assert_float_eq(rc.train.warmup_fraction, 0.0f);
    assert_float_eq(rc.train.max_grad_norm, 1.0f);
    assert_float_eq(rc.train.eval_every_epochs, 0.0f);
    assert_int_equal(rc.train.checkpoint_every_steps, 0);
    assert_int_equal(rc.prune.enabled, 0);
    assert_int_equal(rc.kd.enabled, 0);
    assert_null(rc.kd.teacher);
    assert_memory_equal(&rc.train, &init.train, sizeof rc.train);
    pb_runconfig_free(&rc);

    /* sections present with only their required keys */
    parse_ok(&rc, "model: {checkpoint: m.h5}\ntask: toy\ntrain: {epochs: 10}\n"
                  "prune: {schedule: {final_sparsity: 0.8}}\nkd: {teacher: t.h5}\n");
    assert_int_equal(rc.prune.enabled, 1);
    assert_int_equal(rc.prune.method, PB_RUNCONFIG_METHOD_MAGNITUDE);
    assert_int_equal(rc.prune.scope, PB_RUNCONFIG_SCOPE_GLOBAL);
    assert_int_equal(rc.prune.n_groups, 1);
    assert_string_equal(rc.prune.groups[0], "encoder");
    assert_int_equal(rc.prune.mask, PB_RUNCONFIG_MASK_UNSTRUCTURED);
    assert_int_equal(rc.prune.schedule.kind, PB_RUNCONFIG_SCHEDULE_CUBIC);
    assert_float_eq(rc.prune.schedule.init_sparsity, 0.0f);
    assert_float_eq(rc.prune.schedule.final_sparsity, 0.8f);
    assert_float_eq(rc.prune.schedule.start_epoch, 0.0f);
    assert_float_eq(rc.prune.schedule.end_epoch, 10.0f);
    assert_float_eq(rc.prune.schedule.update_every_epochs, 1.0f);
    assert_int_equal(rc.prune.lr_schedule, PB_RUNCONFIG_LR_LINEAR);
    assert_int_equal(rc.prune.recipe, PB_RUNCONFIG_RECIPE_FIXED);
    assert_int_equal(rc.kd.enabled, 1);
    assert_string_equal(rc.kd.teacher, "t.h5");
    assert_float_eq(rc.kd.hardness, 1.0f);
    assert_float_eq(rc.kd.temperature, 2.0f);
    pb_runconfig_free(&rc);

    /* null sections are absent ones */
    parse_ok(&rc, "model: {checkpoint: m.h5}\ntask: toy\nprune: null\nkd: ~\n");
    assert_int_equal(rc.prune.enabled, 0);
    assert_int_equal(rc.kd.enabled, 0);
    pb_runconfig_free(&rc);
}

/* ---- canonical form ------------------------------------------------------------ */

static void test_canonical_text(void **state) {
    (void)state;
    const char *want = "model:\n"
                       "  checkpoint: \"path/to/model.h5\"\n"
                       "task: \"toy\"\n"
                       "data:\n"
                       "  doc_stride: 0\n"
                       "  max_query_length: 0\n"
                       "seed: 1\n"
                       "threads: 2\n"
                       "train:\n"
                       "  epochs: 4\n"
                       "  batch_size: 16\n"
                       "  max_seq_length: 32\n"
                       "  group_by_length: false\n"
                       "  lr: 0.001\n"
                       "  lr_final: 0.0001\n"
                       "  weight_decay: 0.01\n"
                       "  warmup_fraction: 0.0\n"
                       "  max_grad_norm: 1.0\n"
                       "  eval_every_epochs: 0.0\n"
                       "  checkpoint_every_steps: 0\n"
                       "prune:\n"
                       "  method: magnitude\n"
                       "  scope: global\n"
                       "  groups: [\"encoder\"]\n"
                       "  mask: unstructured\n"
                       "  schedule:\n"
                       "    kind: cubic\n"
                       "    init_sparsity: 0.5\n"
                       "    final_sparsity: 0.9\n"
                       "    start_epoch: 1.0\n"
                       "    end_epoch: 3.0\n"
                       "    update_every_epochs: 0.5\n"
                       "    base_sparsity: 0.9\n"
                       "  lr_schedule: cyclic\n"
                       "  recipe: fixed\n"
                       "kd:\n"
                       "  teacher: \"path/to/teacher.h5\"\n"
                       "  hardness: 1.0\n"
                       "  temperature: 2.0\n";
    char *y = example();
    pb_runconfig rc;
    parse_ok(&rc, y);
    free(y);
    char *got = to_yaml(&rc);
    assert_string_equal(got, want);
    free(got);
    pb_runconfig_free(&rc);

    /* the same cell written differently: block vs flow, key order, group order, 2:4 quoted or not */
    const char *a = "task: toy\nmodel: {checkpoint: m.h5}\n"
                    "prune: {groups: [head, encoder], mask: 2:4, schedule: {final_sparsity: 0.9, kind: linear}}\n";
    const char *b = "model:\n  checkpoint: \"m.h5\"\n"
                    "prune:\n  schedule:\n    kind: linear\n    final_sparsity: 9e-1\n    end_epoch: 3\n"
                    "  mask: '2:4'\n  groups:\n    - encoder\n    - head\n"
                    "task: 'toy'\nseed: 42\nkd: null\n";
    pb_runconfig ra, rb;
    parse_ok(&ra, a);
    parse_ok(&rb, b);
    char *ta = to_yaml(&ra), *tb = to_yaml(&rb);
    assert_string_equal(ta, tb);
    PB_ASSERT_HAS(ta, "  groups: [\"encoder\", \"head\"]\n  mask: 2:4\n");
    free(ta);
    free(tb);
    pb_runconfig_free(&ra);
    pb_runconfig_free(&rb);
}

static void test_round_trip(void **state) {
    (void)state;
    pb_runconfig rc;
    char *y = example(), *t;
    parse_ok(&rc, y);
    free(y);
    free(assert_round_trip(&rc));
    pb_runconfig_free(&rc);

    /* random init: the config is written resolved (Hugging Face defaults filled in) */
    parse_ok(&rc, random_init_yaml);
    t = assert_round_trip(&rc);
    PB_ASSERT_HAS(t, "model:\n  init: random\n  config:\n    model_type: \"bert\"\n    vocab_size: 40\n");
    PB_ASSERT_HAS(t, "    layer_norm_eps: 1e-12\n");
    PB_ASSERT_HAS(t, "    attention_probs_dropout_prob: 0.0\n");
    PB_ASSERT_HAS(t, "    type_vocab_size: 2\n"); /* a default written out */
    pb_runconfig back;
    parse_ok(&back, t);
    assert_memory_equal(&back.model.config, &rc.model.config, sizeof rc.model.config);
    free(t);
    pb_runconfig_free(&back);
    pb_runconfig_free(&rc);

    /* minimal: every default written out */
    parse_ok(&rc, "model: {checkpoint: m.h5}\ntask: toy\n");
    t = assert_round_trip(&rc);
    PB_ASSERT_HAS(t, "seed: 42\nthreads: 0\ntrain:\n  epochs: 3\n");
    PB_ASSERT_HAS(t, "  lr: 5e-05\n");
    assert_null(strstr(t, "prune"));
    assert_null(strstr(t, "kd"));
    free(t);
    pb_runconfig_free(&rc);

    /* awkward strings and floats: escapes, quotes, UTF-8, YAML line breaks, odd floats */
    parse_ok(&rc, "model: {checkpoint: \"dir with space/\\\"q\\\" \\\\ #x: [y]\\t\\x01\\u00e9\\u2028.h5\"}\n"
                  "task: 'toy'\ndata: {dir: 'yes'}\nseed: 18446744073709551615\n"
                  "train: {lr: 0.3333333333, lr_final: 1.17549435e-38, weight_decay: 3.4e38, warmup_fraction: "
                  "0.99999994, max_grad_norm: -0.0}\n"
                  "prune: {groups: ['re:^a|b$', \"re:\\\"q\\\"\"], schedule: {final_sparsity: 0.893, init_sparsity: "
                  "0.1, update_every_epochs: 1e-3}}\n"
                  "kd: {teacher: \"t\\u00e9.h5\", hardness: 0, temperature: 5.5}\n");
    assert_string_equal(rc.model.checkpoint, "dir with space/\"q\" \\ #x: [y]\t\x01\xc3\xa9\xe2\x80\xa8.h5");
    assert_string_equal(rc.task, "toy");
    assert_string_equal(rc.data.dir, "yes");
    assert_true(rc.seed == UINT64_MAX);
    assert_float_eq(rc.train.max_grad_norm, -0.0f);
    t = assert_round_trip(&rc);
    pb_runconfig back2;
    parse_ok(&back2, t);
    assert_string_equal(back2.model.checkpoint, rc.model.checkpoint);
    assert_string_equal(back2.task, "toy");
    assert_string_equal(back2.data.dir, "yes");
    assert_memory_equal(&back2.train, &rc.train, sizeof rc.train);
    assert_memory_equal(&back2.prune.schedule, &rc.prune.schedule, sizeof rc.prune.schedule);
    assert_string_equal(back2.prune.groups[0], "re:^a|b$");
    assert_string_equal(back2.prune.groups[1], "re:\"q\"");
    assert_string_equal(back2.kd.teacher, "t\xc3\xa9.h5");
    pb_runconfig_free(&back2);
    free(t);
    pb_runconfig_free(&rc);
}

/* A struct built in code: validated, written in canonical group order. */
static void test_built_in_code(void **state) {
    (void)state;
    pb_runconfig rc;
    pb_runconfig_init(&rc);
    char *out = (char *)1;
    assert_int_equal(pb_runconfig_to_yaml(&rc, &out), PB_ENOTFOUND); /* no task, no model */
    assert_null(out);
    PB_ASSERT_MSG_HAS("task");
    rc.task = strdup("toy");
    rc.model.checkpoint = strdup("m.h5");
    assert_int_equal(pb_runconfig_validate(&rc), 0);
    rc.prune.enabled = 1;
    rc.prune.schedule.final_sparsity = 0.9f;
    assert_int_equal(pb_runconfig_validate(&rc), PB_EINVAL);
    PB_ASSERT_MSG_HAS("prune.groups");
    rc.prune.groups = calloc(2, sizeof *rc.prune.groups);
    rc.prune.groups[0] = strdup("head");
    rc.prune.groups[1] = strdup("embeddings");
    rc.prune.n_groups = 2;
    char *t = assert_round_trip(&rc);
    PB_ASSERT_HAS(t, "groups: [\"embeddings\", \"head\"]");
    free(t);
    rc.prune.schedule.final_sparsity = 1.0f;
    assert_int_equal(pb_runconfig_validate(&rc), PB_ERANGE);
    PB_ASSERT_MSG_HAS("prune.schedule.final_sparsity");
    PB_ASSERT_MSG_HAS("[0, 1)");
    rc.prune.schedule.final_sparsity = 0.5f;
    rc.prune.mask = (pb_runconfig_mask)7;
    assert_int_equal(pb_runconfig_validate(&rc), PB_EINVAL);
    PB_ASSERT_MSG_HAS("prune.mask");
    rc.prune.mask = PB_RUNCONFIG_MASK_BLOCK4;
    rc.kd.enabled = 1;
    assert_int_equal(pb_runconfig_validate(&rc), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("kd.teacher");
    rc.kd.teacher = strdup("bad\xff");
    assert_int_equal(pb_runconfig_validate(&rc), PB_EINVAL);
    PB_ASSERT_MSG_HAS("UTF-8");
    pb_runconfig_free(&rc);
}

static void test_load_file(void **state) {
    (void)state;
    char dir[128], path[256];
    assert_int_equal(pb_test_tmpdir_create(dir, sizeof dir, "runconfig"), 0);
    pb_test_path(path, sizeof path, dir, "cell.yaml");
    char *y = example();
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(y, f);
    fclose(f);
    pb_runconfig a, b;
    assert_int_equal(pb_runconfig_load(&a, path), 0);
    parse_ok(&b, y);
    char *ta = to_yaml(&a), *tb = to_yaml(&b);
    assert_string_equal(ta, tb);
    free(ta);
    free(tb);
    pb_runconfig_free(&a);
    pb_runconfig_free(&b);
    free(y);
    /* errors name the file with the location */
    f = fopen(path, "w");
    fputs("model: {checkpoint: m.h5}\ntask: toy\nkd: {teacher: t.h5, temperature: 0}\n", f);
    fclose(f);
    assert_int_equal(pb_runconfig_load(&a, path), PB_ERANGE);
    char where[300];
    snprintf(where, sizeof where, "%s:3:34: kd.temperature", path);
    PB_ASSERT_MSG_HAS(where);
    remove(path);
    assert_int_equal(pb_runconfig_load(&a, path), PB_EIO);
    PB_ASSERT_MSG_HAS(path);
    pb_test_tmpdir_remove(dir);
}

/* ---- errors -------------------------------------------------------------------- */

static void test_err_unknown_key(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(14, "kd: {teacher: t.h5, hardnes: 1.0}", PB_EINVAL, "hardnes", "kd.hardnes",
                      "unknown key 'hardnes' (did you mean 'hardness'?)",
                      "expected one of teacher, hardness, temperature", NULL);
    EXPECT_LINE_ERROR(11, "  schedule: {kind: cubic, final_sparsty: 0.9}", PB_EINVAL, "final_sparsty",
                      "prune.schedule.final_sparsty: unknown key 'final_sparsty' (did you mean 'final_sparsity'?)",
                      NULL);
    EXPECT_LINE_ERROR(3, "sede: 1", PB_EINVAL, "sede", "sede: unknown key 'sede' (did you mean 'seed'?)", NULL);
    EXPECT_LINE_ERROR(5, "train: {epochs: 4, batchsize: 8}", PB_EINVAL, "batchsize",
                      "train.batchsize: unknown key 'batchsize' (did you mean 'batch_size'?)", NULL);
    /* a task must be registered: located, with the nearest registered name */
    EXPECT_LINE_ERROR(2, "task: wn-choise", PB_EINVAL, "wn-choise",
                      "task: unknown task 'wn-choise' (did you mean 'wn-choice'?); expected a registered task", NULL);
    EXPECT_LINE_ERROR(2, "task: qqqqqqqq", PB_EINVAL, "qqqqqqqq", "task: unknown task 'qqqqqqqq'; expected", NULL);
    /* nothing close: no suggestion, the allowed keys listed */
    EXPECT_LINE_ERROR(3, "colour: red", PB_EINVAL, "colour",
                      "colour: unknown key 'colour'; expected one of model, task, data, seed, threads, train, prune, kd",
                      NULL);
    assert_null(strstr(pb_error_msg(), "did you mean"));
}

static void test_err_wrong_type_mapping(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(2, "task: {name: toy}", PB_EFORMAT, "{", "task: value is a mapping; expected a task name", NULL);
    EXPECT_LINE_ERROR(3, "seed: [1, 2]", PB_EFORMAT, "[", "seed: value is a sequence; expected an integer", NULL);
    EXPECT_LINE_ERROR(5, "train: 4", PB_EFORMAT, "4", "train: '4' is an integer; expected a mapping", NULL);
    EXPECT_LINE_ERROR(9, "  groups: encoder", PB_EFORMAT, "encoder", "prune.groups: 'encoder' is a string",
                      "expected a sequence of groups", NULL);
}

static void test_err_not_a_number(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(5, "train: {lr: fast}", PB_EFORMAT, "fast", "train.lr: 'fast' is a string; expected a number > 0",
                      NULL);
    /* quoted numbers are strings */
    EXPECT_LINE_ERROR(14, "kd: {teacher: t.h5, hardness: \"1.0\"}", PB_EFORMAT, "\"1.0\"",
                      "kd.hardness: '1.0' is a string; expected a number in [0, 1]", NULL);
    EXPECT_LINE_ERROR(5, "train: {lr: .inf}", PB_ERANGE, ".inf", "train.lr: .inf is not a finite float", NULL);
    EXPECT_LINE_ERROR(5, "train: {lr: ~}", PB_EFORMAT, "~", "train.lr: value is null; expected a number > 0", NULL);
}

static void test_err_not_integer(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(5, "train: {epochs: 2.5}", PB_EFORMAT, "2.5", "train.epochs: 2.5 is not an integer",
                      "expected an integer > 0", NULL);
    EXPECT_LINE_ERROR(4, "threads: 1e3", PB_EFORMAT, "1e3", "threads: 1e3 is not an integer", NULL);
    EXPECT_LINE_ERROR(4, "threads: two", PB_EFORMAT, "two", "threads: 'two' is a string; expected an integer >= 0",
                      NULL);
    EXPECT_LINE_ERROR(5, "train: {epochs: 99999999999}", PB_ERANGE, "999", "train.epochs: 99999999999 is out of range",
                      "fits in 32 bits", NULL);
}

static void test_err_boolean(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(5, "train: {batch_size: yes}", PB_EFORMAT, "yes",
                      "train.batch_size: 'yes' is a boolean; expected an integer > 0", NULL);
    EXPECT_LINE_ERROR(2, "task: true", PB_EFORMAT, "true", "task: 'true' is a boolean; expected a task name",
                      "quote it", NULL);
    EXPECT_LINE_ERROR(14, "kd: {teacher: t.h5, temperature: off}", PB_EFORMAT, "off",
                      "kd.temperature: 'off' is a boolean", NULL);
    EXPECT_LINE_ERROR(5, "train: {group_by_length: 1}", PB_EFORMAT, "1",
                      "train.group_by_length: '1' is an integer; expected true or false", NULL);
    /* YAML 1.1 booleans in any of their spellings */
    pb_runconfig rc;
    parse_ok(&rc, "model: {checkpoint: m.h5}\ntask: toy\ntrain: {group_by_length: yes}\n");
    assert_int_equal(rc.train.group_by_length, 1);
    char *text = NULL;
    assert_int_equal(pb_runconfig_to_yaml(&rc, &text), 0);
    assert_non_null(strstr(text, "  group_by_length: true\n"));
    free(text);
    pb_runconfig_free(&rc);
}

static void test_err_sparsity_range(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(11, "  schedule: {final_sparsity: 1.0}", PB_ERANGE, "1.0",
                      "prune.schedule.final_sparsity: 1.0 is out of range; expected a number in [0, 1)", NULL);
    EXPECT_LINE_ERROR(11, "  schedule: {final_sparsity: 0.9, init_sparsity: -0.1}", PB_ERANGE, "-0.1",
                      "prune.schedule.init_sparsity: -0.1 is out of range; expected a number in [0, 1)", NULL);
    /* rounds to 1.0f */
    EXPECT_LINE_ERROR(11, "  schedule: {final_sparsity: 0.99999999999}", PB_ERANGE, "0.99",
                      "prune.schedule.final_sparsity: 0.99999999999 is out of range", NULL);
}

static void test_err_end_before_start(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(11, "  schedule: {final_sparsity: 0.9, start_epoch: 3, end_epoch: 1}", PB_EINVAL, "1}",
                      "prune.schedule.end_epoch: 1.0 is before start_epoch = 3.0", "expected end_epoch >= start_epoch",
                      NULL);
    /* with end_epoch defaulted to train.epochs (4), the start is named */
    EXPECT_LINE_ERROR(11, "  schedule: {final_sparsity: 0.9, start_epoch: 5}", PB_EINVAL, "5}",
                      "prune.schedule.start_epoch: 5.0 is after end_epoch = 4.0 (its default, train.epochs)", NULL);
    /* past the end of training with a fixed recipe (a scaled one may stretch training) */
    EXPECT_LINE_ERROR(11, "  schedule: {final_sparsity: 0.9, end_epoch: 4.5}", PB_EINVAL, "4.5",
                      "prune.schedule.end_epoch: 4.5 is after the end of training; expected at most train.epochs = 4",
                      NULL);
    pb_runconfig rc;
    parse_ok(&rc, "model: {checkpoint: m.h5}\ntask: toy\ntrain: {epochs: 4}\n"
                  "prune: {recipe: scaled, schedule: {final_sparsity: 0.9, end_epoch: 4.5}}\n");
    assert_float_eq(rc.prune.schedule.end_epoch, 4.5f);
    pb_runconfig_free(&rc);
    /* gradual schedules go up */
    EXPECT_LINE_ERROR(11, "  schedule: {kind: linear, final_sparsity: 0.5, init_sparsity: 0.7}", PB_EINVAL, "0.7",
                      "prune.schedule.init_sparsity: 0.7 exceeds final_sparsity = 0.5", NULL);
}

static void test_err_epochs(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(5, "train: {epochs: 0}", PB_ERANGE, "0}",
                      "train.epochs: 0 is out of range; expected an integer > 0", NULL);
    EXPECT_LINE_ERROR(5, "train: {epochs: -2}", PB_ERANGE, "-2", "train.epochs: -2 is out of range", NULL);
}

static void test_err_batch_size(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(5, "train: {batch_size: 0}", PB_ERANGE, "0}",
                      "train.batch_size: 0 is out of range; expected an integer > 0", NULL);
    EXPECT_LINE_ERROR(5, "train: {batch_size: -16}", PB_ERANGE, "-16", "train.batch_size: -16 is out of range", NULL);
}

static void test_err_max_seq_length(void **state) {
    (void)state;
    /* 0 is the task's default length */
    EXPECT_LINE_ERROR(5, "train: {max_seq_length: -1}", PB_ERANGE, "-1",
                      "train.max_seq_length: -1 is out of range; expected an integer >= 0", NULL);
}

static void test_err_lr(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(5, "train: {lr: 0}", PB_ERANGE, "0}", "train.lr: 0 is out of range; expected a number > 0", NULL);
    EXPECT_LINE_ERROR(5, "train: {lr: -1e-3}", PB_ERANGE, "-1e-3", "train.lr: -1e-3 is out of range", NULL);
    EXPECT_LINE_ERROR(5, "train: {lr_final: -1e-4}", PB_ERANGE, "-1e-4",
                      "train.lr_final: -1e-4 is out of range; expected a number >= 0", NULL);
}

static void test_err_other_ranges(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(4, "threads: -1", PB_ERANGE, "-1", "threads: -1 is out of range; expected an integer >= 0", NULL);
    EXPECT_LINE_ERROR(3, "seed: -1", PB_ERANGE, "-1", "seed: -1 is out of range; expected an integer in [0, 2^64)",
                      NULL);
    EXPECT_LINE_ERROR(5, "train: {warmup_fraction: 1.0}", PB_ERANGE, "1.0",
                      "train.warmup_fraction: 1.0 is out of range; expected a number in [0, 1)", NULL);
    EXPECT_LINE_ERROR(11, "  schedule: {final_sparsity: 0.9, update_every_epochs: 0}", PB_ERANGE, "0}",
                      "prune.schedule.update_every_epochs: 0 is out of range; expected a number > 0", NULL);
}

static void test_err_hardness(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(14, "kd: {teacher: t.h5, hardness: 1.5}", PB_ERANGE, "1.5",
                      "kd.hardness: 1.5 is out of range; expected a number in [0, 1]", NULL);
    EXPECT_LINE_ERROR(14, "kd: {teacher: t.h5, hardness: -0.5}", PB_ERANGE, "-0.5",
                      "kd.hardness: -0.5 is out of range; expected a number in [0, 1]", NULL);
}

static void test_err_temperature(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(14, "kd: {teacher: t.h5, temperature: 0}", PB_ERANGE, "0}",
                      "kd.temperature: 0 is out of range; expected a number > 0", NULL);
    EXPECT_LINE_ERROR(14, "kd: {teacher: t.h5, temperature: -2.0}", PB_ERANGE, "-2.0",
                      "kd.temperature: -2.0 is out of range; expected a number > 0", NULL);
}

static void test_err_enum(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(7, "  method: magnitud", PB_EINVAL, "magnitud",
                      "prune.method: unknown value 'magnitud' (did you mean 'magnitude'?)",
                      "expected one of magnitude, random, movement, oneshot", NULL);
    EXPECT_LINE_ERROR(10, "  mask: 2:8", PB_EINVAL, "2:8", "prune.mask: unknown value '2:8'",
                      "expected one of unstructured, 2:4, block4", NULL);
    EXPECT_LINE_ERROR(8, "  scope: per-layer", PB_EINVAL, "per-layer", "prune.scope: unknown value 'per-layer'",
                      "expected one of global, layer", NULL);
    EXPECT_LINE_ERROR(11, "  schedule: {kind: cubc, final_sparsity: 0.9}", PB_EINVAL, "cubc",
                      "prune.schedule.kind: unknown value 'cubc' (did you mean 'cubic'?)",
                      "expected one of cubic, linear, constant, oneshot", NULL);
    EXPECT_LINE_ERROR(12, "  lr_schedule: cosine", PB_EINVAL, "cosine", "prune.lr_schedule: unknown value 'cosine'",
                      "expected one of cyclic, linear, constant", NULL);
    EXPECT_LINE_ERROR(13, "  recipe: scale", PB_EINVAL, "scale",
                      "prune.recipe: unknown value 'scale' (did you mean 'scaled'?); expected one of fixed, scaled",
                      NULL);
    EXPECT_LINE_ERROR(1, "model: {init: pretrained, config: {model_type: bert}}", PB_EINVAL, "pretrained",
                      "model.init: unknown value 'pretrained'; expected one of random", NULL);
}

static void test_err_duplicate_key(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(4, "seed: 7", PB_EFORMAT, "seed", "seed: duplicate key 'seed' (first at line 3, column 1)", NULL);
    EXPECT_LINE_ERROR(14, "kd: {teacher: a.h5, hardness: 1, teacher: b.h5}", PB_EFORMAT, "teacher: b",
                      "kd.teacher: duplicate key 'teacher' (first at line 14, column 6)", NULL);
    /* inside model.config too */
    const char *y = "model: {init: random, config: {model_type: bert, vocab_size: 1, vocab_size: 2}}\ntask: toy\n";
    expect_error_at(y, PB_EFORMAT, 1, column_of(y, 1, "vocab_size: 2"),
                    "model.config.vocab_size: duplicate key 'vocab_size' (first at line 1, column 50)", NULL);
}

static void test_err_checkpoint_and_init(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(1, "model: {checkpoint: m.h5, init: random, config: {model_type: bert}}", PB_EINVAL, "init",
                      "model: both 'checkpoint' and 'init' are given; expected exactly one of them", NULL);
    EXPECT_LINE_ERROR(1, "model: {}", PB_ENOTFOUND, "{}",
                      "model: neither 'checkpoint' nor 'init' is given; expected exactly one of them", NULL);
    EXPECT_LINE_ERROR(1, "model: {init: random}", PB_ENOTFOUND, "init",
                      "model.config: missing; 'init: random' expected the model's Hugging Face config", NULL);
    EXPECT_LINE_ERROR(1, "model: {checkpoint: m.h5, config: {model_type: bert}}", PB_EINVAL, "config",
                      "model.config: given with 'checkpoint'", NULL);
}

static void test_err_model_config(void **state) {
    (void)state;
    /* pb_config_parse_json's error, at the config key */
    EXPECT_LINE_ERROR(1, "model: {init: random, config: {model_type: bert, hidden_size: 10, num_attention_heads: 3}}",
                      PB_EINVAL, "config", "model.config: hidden_size = 10 is not divisible by num_attention_heads = 3",
                      NULL);
    EXPECT_LINE_ERROR(1, "model: {init: random, config: {hidden_size: 16}}", PB_ENOTFOUND, "config",
                      "model.config: key \"model_type\" missing", NULL);
    EXPECT_LINE_ERROR(1, "model: {init: random, config: {model_type: bert, vocab_size: many}}", PB_EFORMAT, "config",
                      "model.config: key \"vocab_size\" is a string; expected an integer", NULL);
    EXPECT_LINE_ERROR(1, "model: {init: random, config: bert}", PB_EFORMAT, "bert",
                      "model.config: 'bert' is a string; expected a mapping of Hugging Face config keys", NULL);
    /* non-finite numbers have no JSON form */
    EXPECT_LINE_ERROR(1, "model: {init: random, config: {model_type: bert, layer_norm_eps: .nan}}", PB_ERANGE, ".nan",
                      "model.config.layer_norm_eps: .nan is not finite", NULL);
}

static void test_err_missing_required(void **state) {
    (void)state;
    char *y = example_with(2, NULL); /* no task: at the top-level mapping */
    expect_error_at(y, PB_ENOTFOUND, 1, 1, "task: missing required key 'task'; expected a task name", NULL);
    free(y);
    y = example_with(1, NULL); /* no model */
    expect_error_at(y, PB_ENOTFOUND, 1, 1, "model: missing required key 'model'", NULL);
    free(y);
    /* at the section's mapping */
    EXPECT_LINE_ERROR(14, "kd: {hardness: 1.0}", PB_ENOTFOUND, "{",
                      "kd.teacher: missing required key 'teacher'; expected the teacher's checkpoint path", NULL);
    EXPECT_LINE_ERROR(
        11, "  schedule: {kind: cubic}", PB_ENOTFOUND, "{",
        "prune.schedule.final_sparsity: missing required key 'final_sparsity'; expected a number in [0, 1)", NULL);
    expect_error_at("model: {checkpoint: m}\ntask: toy\nprune:\n  method: random\n", PB_ENOTFOUND, 4, 3,
                    "prune.schedule: missing required key 'schedule'", NULL);
    EXPECT_LINE_ERROR(2, "task: ''", PB_EINVAL, "''", "task: value is empty; expected a task name", NULL);
}

static void test_err_groups(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(9, "  groups: [encoder, encodr]", PB_EINVAL, "encodr",
                      "prune.groups[1]: unknown group 'encodr' (did you mean 'encoder'?)",
                      "expected one of embeddings, encoder, head, or \"re:<regex>\"", NULL);
    EXPECT_LINE_ERROR(9, "  groups: [head, 're:(']", PB_EINVAL, "'re:(",
                      "prune.groups[1]: 're:(' is not a valid regular expression", NULL);
    EXPECT_LINE_ERROR(9, "  groups: [head, encoder, head]", PB_EINVAL, "head]",
                      "prune.groups[2]: duplicate group 'head' (also item 0)", NULL);
    EXPECT_LINE_ERROR(9, "  groups: []", PB_EINVAL, "[]", "prune.groups: the sequence is empty", NULL);
    EXPECT_LINE_ERROR(9, "  groups: [encoder, [head]]", PB_EFORMAT, "[head", "prune.groups[1]: value is a sequence",
                      NULL);
}

static void test_err_syntax(void **state) {
    (void)state;
    /* an unclosed flow mapping: libyaml reports it where the text ends */
    char *y = example_with(14, "kd: {teacher: t.h5, hardness: 1.0");
    expect_error_at(y, PB_EFORMAT, 15, 1, "YAML syntax error: did not find expected ',' or '}'",
                    "while parsing a flow mapping at line 14, column 5", NULL);
    free(y);
    /* a tab where indentation is */
    expect_error_at("model: {checkpoint: m}\ntask: t\n\tseed: 1\n", PB_EFORMAT, 3, 1, "YAML syntax error",
                    "found a tab character that violates indentation", NULL);
    /* a key indented less than its siblings */
    expect_error_at("prune:\n  method: random\n scope: layer\n", PB_EFORMAT, 3, 2, "YAML syntax error", NULL);
    /* not UTF-8: located from the byte offset */
    expect_error_at("task: t\nseed: \xff\n", PB_EFORMAT, 2, 7, "YAML syntax error", "UTF-8", NULL);
}

static void test_err_document(void **state) {
    (void)state;
    const char *empties[] = {"", "\n", "# only a comment\n", "---\n", "--- ~\n", "null\n"};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        pb_runconfig rc;
        assert_int_equal(pb_runconfig_parse(&rc, empties[i], "test.yaml"), PB_EFORMAT);
        PB_ASSERT_MSG_HAS("test.yaml:");
        PB_ASSERT_MSG_HAS("empty document; expected a mapping with the keys model, task, data, seed");
    }
    expect_error_at("\n\n- model\n- task\n", PB_EFORMAT, 3, 1, "the top level is a sequence; expected a mapping", NULL);
    expect_error_at("toy\n", PB_EFORMAT, 1, 1, "the top level is a string", NULL);
    expect_error_at("task: a\n---\ntask: b\n", PB_EFORMAT, 2, 1, "a second YAML document", NULL);
    /* NULL arguments */
    pb_runconfig rc;
    assert_int_equal(pb_runconfig_parse(&rc, NULL, "x.yaml"), PB_EINVAL);
    assert_int_equal(pb_runconfig_parse(NULL, "task: t", NULL), PB_EINVAL);
}

static void test_err_anchor_alias(void **state) {
    (void)state;
    EXPECT_LINE_ERROR(14, "kd: &k {teacher: t.h5}", PB_EFORMAT, "&k",
                      "kd: anchor '&k': anchors and aliases are not supported", NULL);
    EXPECT_LINE_ERROR(9, "  groups: [encoder, *g]", PB_EFORMAT, "*g",
                      "prune.groups[1]: alias '*g': anchors and aliases are not supported", NULL);
    const char *y = "model: {checkpoint: &p m.h5}\nkd: {teacher: *p}\n";
    expect_error_at(y, PB_EFORMAT, 1, column_of(y, 1, "&p"), "model.checkpoint: anchor '&p'", NULL);
    expect_error_at("model: {checkpoint: m}\n<<: *base\n", PB_EFORMAT, 2, 5, "<<: alias '*base'", NULL);
    /* tags other than !!str */
    EXPECT_LINE_ERROR(3, "seed: !!int 5", PB_EFORMAT, "!!int", "seed: tag 'tag:yaml.org,2002:int' is not supported",
                      NULL);
    char *t = example_with(2, "task: !!str toy\ndata: {dir: !!str 123}");
    pb_runconfig rc;
    parse_ok(&rc, t);
    assert_string_equal(rc.task, "toy");
    assert_string_equal(rc.data.dir, "123");
    pb_runconfig_free(&rc);
    free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_full),
        cmocka_unit_test(test_parse_enums),
        cmocka_unit_test(test_parse_random_init),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_canonical_text),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_built_in_code),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_err_unknown_key),
        cmocka_unit_test(test_err_wrong_type_mapping),
        cmocka_unit_test(test_err_not_a_number),
        cmocka_unit_test(test_err_not_integer),
        cmocka_unit_test(test_err_boolean),
        cmocka_unit_test(test_err_sparsity_range),
        cmocka_unit_test(test_err_end_before_start),
        cmocka_unit_test(test_err_epochs),
        cmocka_unit_test(test_err_batch_size),
        cmocka_unit_test(test_err_max_seq_length),
        cmocka_unit_test(test_err_lr),
        cmocka_unit_test(test_err_other_ranges),
        cmocka_unit_test(test_err_hardness),
        cmocka_unit_test(test_err_temperature),
        cmocka_unit_test(test_err_enum),
        cmocka_unit_test(test_err_duplicate_key),
        cmocka_unit_test(test_err_checkpoint_and_init),
        cmocka_unit_test(test_err_model_config),
        cmocka_unit_test(test_err_missing_required),
        cmocka_unit_test(test_err_groups),
        cmocka_unit_test(test_err_syntax),
        cmocka_unit_test(test_err_document),
        cmocka_unit_test(test_err_anchor_alias),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
