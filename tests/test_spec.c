/* Experiment spec: expansion count and order (hand-computed from the matrix),
 * dedupe of dense cells, include/exclude, overrides and deep merge, ids, KD
 * teacher linking, ${VAR}, shards, and one test per error with its exact
 * file:line:column (counted by hand in the spec text shown next to it). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_error.h"
#include "runconfig.h"
#include "spec.h"
#include "testutil.h"

PB_TEST_TMPDIR_FIXTURE("spec")

/* The full example: 2 tasks; per task method 2 x sparsity 2 x embeddings 2 x kd 2 x seed 2 = 32 combinations. */
static const char *const full_spec =
    "name: classic\n"
    "model: {checkpoint: \"${MODEL:-cache/model/bert-tiny}\"}\n"
    "tasks: [spam, wn-pair]\n"
    "base:\n"
    "  train: {epochs: 3, batch_size: 32, lr: 1e-3, lr_final: 0.0, warmup_fraction: 0.1}\n"
    "  prune: {method: magnitude, groups: [encoder], schedule: {kind: cubic, init_sparsity: 0.5, start_epoch: 0.5,\n"
    "          end_epoch: 2, update_every_epochs: 0.25}, lr_schedule: cyclic}\n"
    "  kd: {hardness: 1.0, temperature: 2.0}\n"
    "overrides:\n"
    "  wn-pair: {train: {epochs: 4}}\n"
    "matrix:\n"
    "  method: [dense, magnitude]\n"
    "  sparsity: [0.8, 0.9]\n"
    "  embeddings: [no, yes]\n"
    "  kd: [off, {temperature: 3}]\n"
    "  seed: [1, 2]\n";

static const char *no_env(const char *name, void *ctx) {
    (void)name;
    (void)ctx;
    return NULL;
}

static const pb_spec_opts no_env_opts = {.getenv_fn = no_env, .ctx = NULL};

static void parse_ok(pb_spec *s, const char *text) {
    int r = pb_spec_parse(s, text, "t.yaml", &no_env_opts);
    if (r != 0) print_error("unexpected error: %s\n", pb_error_msg());
    assert_int_equal(r, 0);
}

static void expect_error(const char *text, const char *msg) {
    pb_spec s;
    assert_true(pb_spec_parse(&s, text, "t.yaml", &no_env_opts) < 0);
    PB_ASSERT_MSG_HAS(msg);
    assert_int_equal(s.n_cells, 0);
    pb_spec_free(&s);
}

static void assert_cell(const pb_spec_cell *c, const char *task, const char *method, double sparsity, int emb, int kd,
                        uint64_t seed, long teacher) {
    assert_string_equal(c->task, task);
    assert_string_equal(c->method, method);
    assert_true(c->sparsity == sparsity);
    assert_int_equal(c->embeddings, emb);
    assert_int_equal(c->kd, kd);
    assert_int_equal(c->seed, seed);
    assert_int_equal(c->teacher, teacher);
}

/* Hand expansion per task: dense combos (16) collapse to (kd, seed): off/1, off/2, kd/1, kd/2 (cells 0-3; the
 * kd cells' teacher with teacher_seed first is the off/1 cell 0); then magnitude, sparsity 0.8 then 0.9,
 * embeddings no then yes, kd off then on, seed 1 then 2: 16 cells (4-19). 20 per task, 40 in all. */
static void test_full_expansion(void **state) {
    (void)state;
    pb_spec s;
    parse_ok(&s, full_spec);
    assert_string_equal(s.name, "classic");
    assert_int_equal(s.n_tasks, 2);
    assert_int_equal(s.n_cells, 40);
    for (size_t t = 0; t < 2; t++) {
        const char *task = t ? "wn-pair" : "spam";
        const pb_spec_cell *c = s.cells + 20 * t;
        const long o = 20 * (long)t;
        assert_cell(&c[0], task, "dense", 0, -1, 0, 1, -1);
        assert_cell(&c[1], task, "dense", 0, -1, 0, 2, -1);
        assert_cell(&c[2], task, "dense", 0, -1, 1, 1, o);
        assert_cell(&c[3], task, "dense", 0, -1, 1, 2, o);
        for (int k = 0; k < 16; k++) { /* k = sparsity*8 + embeddings*4 + kd*2 + seed */
            const int sp = k / 8, emb = (k / 4) % 2, kd = (k / 2) % 2, seed = k % 2;
            assert_cell(&c[4 + k], task, "magnitude", sp ? (double)0.9f : (double)0.8f, emb, kd, (uint64_t)seed + 1,
                        kd ? o : -1);
            assert_int_equal(c[4 + k].head, 0); /* base groups [encoder]; no head axis */
            assert_string_equal(c[4 + k].recipe, "fixed");
            assert_string_equal(c[4 + k].mask, "unstructured");
        }
        for (int k = 0; k < 20; k++) {
            assert_int_equal(c[k].is_teacher_only, 0);
            assert_int_equal(c[k].rc.train.epochs, t ? 4 : 3);                      /* overrides.wn-pair.train.epochs */
            assert_string_equal(c[k].rc.model.checkpoint, "cache/model/bert-tiny"); /* ${MODEL:-...} default */
        }
        assert_null(c[0].recipe);
        /* kd mapping {temperature: 3} over base kd {hardness: 1.0, temperature: 2.0}. */
        assert_true(c[6].kd_temperature == 3.0f && c[6].kd_hardness == 1.0f);
        char ref[40];
        snprintf(ref, sizeof ref, "@cell:%s", c[0].id);
        assert_string_equal(c[6].rc.kd.teacher, ref);
        assert_string_equal(c[2].rc.kd.teacher, ref);
        /* The pruned cell keeps base's prune settings under the axis values. */
        assert_true(c[4].rc.prune.schedule.init_sparsity == 0.5f && c[4].rc.prune.schedule.end_epoch == 2.0f);
        assert_int_equal(c[4].rc.prune.lr_schedule, PB_RUNCONFIG_LR_CYCLIC);
        assert_int_equal(c[8].rc.prune.n_groups, 2); /* embeddings: yes -> [embeddings, encoder] */
        assert_string_equal(c[8].rc.prune.groups[0], "embeddings");
        assert_false(c[0].rc.prune.enabled);
    }
    pb_spec_free(&s);
}

/* Dense cells differ only by prune axes, which do not apply: one cell per task. */
static void test_dense_dedupe(void **state) {
    (void)state;
    pb_spec s;
    parse_ok(&s, "name: d\nmodel: {checkpoint: m.h5}\ntasks: [spam, wn-span]\n"
                 "matrix: {method: dense, sparsity: [0.8, 0.9], embeddings: [no, yes], head: [no, yes],\n"
                 "         recipe: [fixed, scaled], mask: [unstructured, block4]}\n");
    assert_int_equal(s.n_cells, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_cell(&s.cells[i], i ? "wn-span" : "spam", "dense", 0, -1, 0, 42, -1); /* seed: the default 42 */
        assert_int_equal(s.cells[i].head, -1);
        assert_null(s.cells[i].recipe);
        assert_null(s.cells[i].mask);
    }
    pb_spec_free(&s);
}

/* spam: dense(0.8) c0, dense(0.9) = c0, magnitude 0.8 c1, magnitude 0.9 excluded; wn-pair: c2, c3; includes:
 * (magnitude, 0.5) for spam c4 and wn-pair c5; (wn-pair, random, sparsity = first value 0.8) c6; the include
 * (magnitude, 0.9) is excluded too. */
static void test_include_exclude(void **state) {
    (void)state;
    pb_spec s;
    parse_ok(&s, "name: ie\nmodel: {checkpoint: m.h5}\ntasks: [spam, wn-pair]\n"
                 "matrix: {method: [dense, magnitude], sparsity: [0.8, 0.9]}\n"
                 "include: [{method: magnitude, sparsity: 0.5}, {task: wn-pair, method: random},\n"
                 "          {method: magnitude, sparsity: 0.9}]\n"
                 "exclude: [{method: magnitude, sparsity: 0.9}]\n");
    assert_int_equal(s.n_cells, 7);
    assert_cell(&s.cells[0], "spam", "dense", 0, -1, 0, 42, -1);
    assert_cell(&s.cells[1], "spam", "magnitude", (double)0.8f, 0, 0, 42, -1);
    assert_cell(&s.cells[2], "wn-pair", "dense", 0, -1, 0, 42, -1);
    assert_cell(&s.cells[3], "wn-pair", "magnitude", (double)0.8f, 0, 0, 42, -1);
    assert_cell(&s.cells[4], "spam", "magnitude", (double)0.5f, 0, 0, 42, -1);
    assert_cell(&s.cells[5], "wn-pair", "magnitude", (double)0.5f, 0, 0, 42, -1);
    assert_cell(&s.cells[6], "wn-pair", "random", (double)0.8f, 0, 0, 42, -1);
    pb_spec_free(&s);
}

/* overrides.spam.prune: null makes spam dense (1 cell); wn-pair: dense + 2 sparsities = 3. */
static void test_overrides_prune_null(void **state) {
    (void)state;
    pb_spec s;
    parse_ok(&s, "name: o\nmodel: {checkpoint: m.h5}\ntasks: [spam, wn-pair]\n"
                 "base: {prune: {method: random, schedule: {end_epoch: 2}}}\n"
                 "overrides: {spam: {prune: null}}\n"
                 "matrix: {method: [dense, magnitude], sparsity: [0.8, 0.9]}\n");
    assert_int_equal(s.n_cells, 4);
    assert_cell(&s.cells[0], "spam", "dense", 0, -1, 0, 42, -1);
    assert_cell(&s.cells[1], "wn-pair", "dense", 0, -1, 0, 42, -1);
    assert_cell(&s.cells[2], "wn-pair", "magnitude", (double)0.8f, 0, 0, 42, -1);
    assert_cell(&s.cells[3], "wn-pair", "magnitude", (double)0.9f, 0, 0, 42, -1);
    assert_true(s.cells[3].rc.prune.schedule.end_epoch == 2.0f); /* base's, under the axis' final_sparsity */
    pb_spec_free(&s);
}

/* defaults <- base <- overrides[task] <- axes: each value below says which layer it comes from. */
static void test_deep_merge(void **state) {
    (void)state;
    pb_spec s;
    parse_ok(&s, "name: m\nmodel: {checkpoint: m.h5}\ntasks: [spam, wn-pair]\n"
                 "base:\n"
                 "  threads: 2\n"
                 "  data: {doc_stride: 32, max_query_length: 16}\n"
                 "  train: {epochs: 3, lr: 1e-3, batch_size: 16}\n"
                 "  prune: {method: random, groups: [encoder, head], schedule: {end_epoch: 2, final_sparsity: 0.5}}\n"
                 "overrides:\n"
                 "  wn-pair: {threads: null, data: {doc_stride: 64}, train: {epochs: 5},\n"
                 "            prune: {schedule: {update_every_epochs: 0.5}}}\n"
                 "matrix: {sparsity: 0.7, embeddings: yes}\n");
    assert_int_equal(s.n_cells, 2);
    const pb_runconfig *a = &s.cells[0].rc, *b = &s.cells[1].rc;
    assert_int_equal(a->threads, 2);                               /* base */
    assert_int_equal(b->threads, 0);                               /* override null deletes: the default 0 */
    assert_int_equal(a->data.doc_stride, 32);                      /* base */
    assert_int_equal(b->data.doc_stride, 64);                      /* override */
    assert_int_equal(b->data.max_query_length, 16);                /* base, kept under the override's mapping */
    assert_int_equal(b->train.epochs, 5);                          /* override */
    assert_true(b->train.lr == 1e-3f);                             /* base */
    assert_int_equal(b->train.batch_size, 16);                     /* base */
    assert_int_equal(b->prune.method, PB_RUNCONFIG_METHOD_RANDOM); /* base: no method axis */
    assert_true(b->prune.schedule.final_sparsity == 0.7f);         /* axis over base's 0.5 */
    assert_true(b->prune.schedule.end_epoch == 2.0f);              /* base */
    assert_true(b->prune.schedule.update_every_epochs == 0.5f);    /* override */
    assert_true(a->prune.schedule.update_every_epochs == 1.0f);    /* default */
    assert_int_equal(b->prune.n_groups, 3);                        /* base [encoder, head] + embeddings axis */
    assert_string_equal(b->prune.groups[0], "embeddings");
    assert_int_equal(s.cells[1].head, 1);
    pb_spec_free(&s);
}

/* FNV-1a 64 written out again here, over pb_runconfig_to_yaml's text. */
static void fnv_hex(const char *text, char out[17]) {
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static void test_ids(void **state) {
    (void)state;
    pb_spec a, b, c;
    parse_ok(&a, full_spec);
    parse_ok(&b, full_spec);
    char *changed = strdup(full_spec);
    assert_non_null(changed);
    char *lr = strstr(changed, "lr: 1e-3");
    assert_non_null(lr);
    memcpy(lr, "lr: 2e-3", 8); /* one resolved value of every cell */
    parse_ok(&c, changed);
    free(changed);
    assert_int_equal(a.n_cells, b.n_cells);
    assert_int_equal(a.n_cells, c.n_cells);
    for (size_t i = 0; i < a.n_cells; i++) {
        assert_string_equal(a.cells[i].id, b.cells[i].id);
        assert_string_not_equal(a.cells[i].id, c.cells[i].id);
        char *yaml = NULL, want[17];
        assert_int_equal(pb_runconfig_to_yaml(&a.cells[i].rc, &yaml), 0);
        assert_string_equal(yaml, a.cells[i].yaml);
        fnv_hex(yaml, want);
        assert_string_equal(a.cells[i].id, want);
        free(yaml);
        for (size_t j = 0; j < i; j++) assert_string_not_equal(a.cells[i].id, a.cells[j].id);
    }
    /* FNV-1a 64 of "a": the published test vector af63dc4c8601ec8c. */
    char id[17];
    pb_spec_hash_id("a", id);
    assert_string_equal(id, "af63dc4c8601ec8c");
    pb_spec_free(&a);
    pb_spec_free(&b);
    pb_spec_free(&c);
}

/* No dense cell in the matrix: the teacher is added, teacher-only, before its first student.
 * first: T(seed 1), m(1), m(2); same: T(1), m(1), T(2), m(2). */
static void test_kd_teachers(void **state) {
    (void)state;
    const char *fmt = "name: k\nmodel: {checkpoint: m.h5}\ntasks: [wn-pair]\nteacher_seed: %s\n"
                      "base: {prune: {schedule: {final_sparsity: 0.5}}}\n"
                      "matrix: {method: magnitude, kd: {hardness: 0.5}, seed: [1, 2]}\n";
    char text[512];
    pb_spec s;
    snprintf(text, sizeof text, fmt, "first");
    parse_ok(&s, text);
    assert_int_equal(s.n_cells, 3);
    assert_cell(&s.cells[0], "wn-pair", "dense", 0, -1, 0, 1, -1);
    assert_int_equal(s.cells[0].is_teacher_only, 1);
    assert_cell(&s.cells[1], "wn-pair", "magnitude", (double)0.5f, 0, 1, 1, 0);
    assert_cell(&s.cells[2], "wn-pair", "magnitude", (double)0.5f, 0, 1, 2, 0);
    assert_int_equal(s.cells[1].is_teacher_only, 0);
    assert_true(s.cells[1].kd_hardness == 0.5f && s.cells[1].kd_temperature == 2.0f); /* default temperature */
    assert_false(s.cells[0].rc.kd.enabled);
    pb_spec_free(&s);

    snprintf(text, sizeof text, fmt, "same");
    parse_ok(&s, text);
    assert_int_equal(s.n_cells, 4);
    assert_cell(&s.cells[0], "wn-pair", "dense", 0, -1, 0, 1, -1);
    assert_cell(&s.cells[1], "wn-pair", "magnitude", (double)0.5f, 0, 1, 1, 0);
    assert_cell(&s.cells[2], "wn-pair", "dense", 0, -1, 0, 2, -1);
    assert_cell(&s.cells[3], "wn-pair", "magnitude", (double)0.5f, 0, 1, 2, 2);
    assert_int_equal(s.cells[2].is_teacher_only, 1);
    char ref[40];
    snprintf(ref, sizeof ref, "@cell:%s", s.cells[2].id);
    assert_string_equal(s.cells[3].rc.kd.teacher, ref);
    pb_spec_free(&s);

    /* A teacher-only cell that the matrix holds later loses the mark (dense after magnitude). */
    parse_ok(&s, "name: k\nmodel: {checkpoint: m.h5}\ntasks: [spam]\n"
                 "matrix: {method: [magnitude, dense], sparsity: 0.5, kd: [on, off]}\n");
    /* magnitude/on: T c0 + c1; magnitude/off c2; dense/on c3 (teacher c0); dense/off = c0. */
    assert_int_equal(s.n_cells, 4);
    assert_int_equal(s.cells[0].is_teacher_only, 0);
    assert_int_equal(s.cells[3].teacher, 0);
    pb_spec_free(&s);
}

static const char *fake_env(const char *name, void *ctx) {
    (void)ctx;
    if (strcmp(name, "MODEL") == 0) return "m/x.h5";
    if (strcmp(name, "EPOCHS") == 0) return "5";
    if (strcmp(name, "EMPTY") == 0) return "";
    return NULL;
}

static void test_vars(void **state) {
    (void)state;
    const pb_spec_opts o = {.getenv_fn = fake_env};
    pb_spec s;
    const char *text = "name: v\nmodel: {checkpoint: \"${MODEL}\"}\ntasks: [spam]\n"
                       "base:\n  train:\n    epochs: ${EPOCHS:-3}\n" /* block style: braces end a flow scalar */
                       "  data: {dir: \"${NOPE:-data/x}\", tokenizer: \"pre-${EMPTY:-tok}-${MODEL}\"}\n";
    assert_int_equal(pb_spec_parse(&s, text, "v.yaml", &o), 0);
    assert_int_equal(s.n_cells, 1);
    assert_string_equal(s.cells[0].rc.model.checkpoint, "m/x.h5");
    assert_int_equal(s.cells[0].rc.train.epochs, 5);                     /* plain scalar: resolves as the integer 5 */
    assert_string_equal(s.cells[0].rc.data.dir, "data/x");               /* unset: the default */
    assert_string_equal(s.cells[0].rc.data.tokenizer, "pre-tok-m/x.h5"); /* empty: the default */
    pb_spec_free(&s);
    /* line 2: "model: {checkpoint: \"${NOPE}\"}": the scalar starts at column 21 (20 characters before it). */
    assert_true(pb_spec_parse(&s, "name: v\nmodel: {checkpoint: \"${NOPE}\"}\ntasks: [spam]\n", "v.yaml", &o) < 0);
    PB_ASSERT_MSG_HAS("v.yaml:2:21: model.checkpoint: undefined variable 'NOPE'");
    pb_spec_free(&s);
}

#define HEAD "name: t\nmodel: {checkpoint: m.h5}\n" /* lines 1-2 */

static void test_err_top_key(void **state) {
    (void)state;
    /* line 4 "matrx: {}": column 1. */
    expect_error(HEAD "tasks: [spam]\nmatrx: {}\n", "t.yaml:4:1: matrx: unknown key 'matrx' (did you mean 'matrix'?)");
}

static void test_err_axis(void **state) {
    (void)state;
    /* line 5 "  sparsty: [0.5]": column 3. */
    expect_error(HEAD "tasks: [spam]\nmatrix:\n  sparsty: [0.5]\n",
                 "t.yaml:5:3: matrix.sparsty: unknown axis 'sparsty' (did you mean 'sparsity'?)");
}

static void test_err_base_deep(void **state) {
    (void)state;
    /* line 5 "  train: {epochs: 3, lrr: 0.1}": "  train: {" is 10 characters, "epochs: 3, " 11: column 22. */
    expect_error(HEAD "tasks: [spam]\nbase:\n  train: {epochs: 3, lrr: 0.1}\n",
                 "t.yaml:5:22: base.train.lrr: unknown key 'lrr' (did you mean 'lr'?)");
    /* line 5 "  wn-pair: {train: {epochs: 0}}": "  wn-pair: {train: {epochs: " is 28 characters: column 29. */
    expect_error(HEAD "tasks: [wn-pair]\noverrides:\n  wn-pair: {train: {epochs: 0}}\n",
                 "t.yaml:5:29: overrides.wn-pair.train.epochs: 0 is out of range");
}

static void test_err_sparsity(void **state) {
    (void)state;
    /* line 5 "  sparsity: [0.5, 1.5]": "  sparsity: [" is 13 characters, "0.5, " 5: column 19. */
    expect_error(HEAD "tasks: [spam]\nmatrix:\n  sparsity: [0.5, 1.5]\n",
                 "t.yaml:5:19: matrix.sparsity[1]: 1.5 is out of range; expected a number in (0, 1)");
}

static void test_err_tasks(void **state) {
    (void)state;
    /* line 3 "tasks: []": the sequence at column 8. */
    expect_error(HEAD "tasks: []\n", "t.yaml:3:8: tasks: the sequence is empty");
    /* line 3 "tasks: [spam, wn-pari]": "tasks: [" 8 characters, "spam, " 6: column 15. */
    expect_error(HEAD "tasks: [spam, wn-pari]\n",
                 "t.yaml:3:15: tasks[1]: unknown task 'wn-pari' (did you mean 'wn-pair'?)");
    expect_error(HEAD "tasks: [spam, spam]\n", "t.yaml:3:15: tasks[1]: duplicate task 'spam' (also item 0)");
}

static void test_err_misc(void **state) {
    (void)state;
    /* line 4 "base: {seed: 1}": column 8. */
    expect_error(HEAD "tasks: [spam]\nbase: {seed: 1}\n", "t.yaml:4:8: base.seed: 'seed' is set by the spec");
    /* line 4 "base: {kd: {teacher: x}}": "base: {kd: {teacher: " is 21 characters: the value at column 22. */
    expect_error(HEAD "tasks: [spam]\nbase: {kd: {teacher: x}}\n",
                 "t.yaml:4:22: base.kd.teacher: the teacher is set by the spec");
    /* line 4 "teacher_seed: frist": column 15. */
    expect_error(HEAD "tasks: [spam]\nteacher_seed: frist\n",
                 "t.yaml:4:15: teacher_seed: unknown value 'frist' (did you mean 'first'?)");
    /* line 4 "matrix: {method: [magnitud]}": "matrix: {method: [" is 18 characters: column 19. */
    expect_error(HEAD "tasks: [spam]\nmatrix: {method: [magnitud]}\n",
                 "t.yaml:4:19: matrix.method[0]: unknown value 'magnitud' (did you mean 'magnitude'?)");
    /* line 4 "matrix: {kd: [{temprature: 2}]}": "matrix: {kd: [{" is 15 characters: column 16. */
    expect_error(HEAD "tasks: [spam]\nmatrix: {kd: [{temprature: 2}]}\n",
                 "t.yaml:4:16: matrix.kd[0].temprature: unknown key 'temprature' (did you mean 'temperature'?)");
    /* line 4 "overrides: {wn-span: {}}": column 13; the tasks are [spam]. */
    expect_error(HEAD "tasks: [spam]\noverrides: {wn-span: {}}\n", "t.yaml:4:13: overrides.wn-span: unknown task");
    /* line 4 "matrix: {seed: []}": the list at column 16. */
    expect_error(HEAD "tasks: [spam]\nmatrix: {seed: []}\n", "t.yaml:4:16: matrix.seed: the list is empty");
    expect_error("model: {checkpoint: m.h5}\ntasks: [spam]\n", "t.yaml:1:1: name: missing required key 'name'");
    /* line 4 "matrix: {method: magnitude}": "matrix: {method: " is 17 characters: column 18. */
    expect_error(HEAD "tasks: [spam]\nmatrix: {method: magnitude}\n",
                 "t.yaml:4:18: matrix.method: 'magnitude' prunes but no sparsity is given");
    /* line 4: "base: {prune: {schedule: {final_sparsity: 0.5, end_epoch: " is 58 characters: column 59. */
    expect_error(HEAD "tasks: [spam]\nbase: {prune: {schedule: {final_sparsity: 0.5, end_epoch: 9}}}\n",
                 "t.yaml:4:59: base.prune.schedule.end_epoch: 9.0 is after the end of training");
    /* line 4 "matrix: {kd: {hardness: 2}}": "matrix: {kd: {hardness: " is 24 characters: column 25. */
    expect_error(HEAD "tasks: [spam]\nmatrix: {kd: {hardness: 2}}\n", "t.yaml:4:25: kd.hardness: 2 is out of range");
}

/* Every cell in exactly one shard as its own (index % n == i), and each KD cell's teacher in its shard. */
static void test_shards(void **state) {
    (void)state;
    pb_spec s;
    parse_ok(&s, full_spec);
    const int n = 3;
    int *owner = calloc(s.n_cells, sizeof *owner);
    assert_non_null(owner);
    for (int i = 0; i < n; i++) {
        size_t *idx = NULL, k = 0;
        assert_int_equal(pb_spec_shard(&s, i, n, &idx, &k), 0);
        for (size_t j = 0; j < k; j++) {
            if (j) assert_true(idx[j] > idx[j - 1]); /* ascending, no duplicates */
            const pb_spec_cell *c = &s.cells[idx[j]];
            if (idx[j] % (size_t)n == (size_t)i) {
                owner[idx[j]]++;
            } else { /* a dependency: the teacher of one of the shard's own cells */
                int needed = 0;
                for (size_t m = 0; m < k; m++)
                    needed |= idx[m] % (size_t)n == (size_t)i && s.cells[idx[m]].teacher == (long)idx[j];
                assert_true(needed);
            }
            if (c->teacher >= 0) {
                int found = 0;
                for (size_t m = 0; m < k; m++) found |= idx[m] == (size_t)c->teacher;
                assert_true(found);
            }
        }
        free(idx);
    }
    for (size_t j = 0; j < s.n_cells; j++) assert_int_equal(owner[j], 1);
    free(owner);
    /* Shard 1 of 3 of 40 cells: own 1, 4, ..., 37 (13 cells); teachers 0 and 20 (the dense kd cells 3 and 22
     * are its own and cells 4.. with kd have teacher 0 or 20) -> 15 indices. */
    size_t *idx = NULL, k = 0;
    assert_int_equal(pb_spec_shard(&s, 1, 3, &idx, &k), 0);
    assert_int_equal(k, 15);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[1], 1);
    free(idx);
    assert_true(pb_spec_shard(&s, 3, 3, &idx, &k) < 0);
    pb_spec_free(&s);
}

static void test_load(void **state) {
    (void)state;
    char path[512];
    pb_test_write_file(path, sizeof path, g_dir, "spec.yaml", HEAD "tasks: [spam]\nmatrx: {}\n");
    pb_spec s;
    assert_true(pb_spec_load(&s, path, &no_env_opts) < 0);
    char want[600];
    snprintf(want, sizeof want, "%s:4:1: matrx", path);
    PB_ASSERT_MSG_HAS(want);
    pb_test_write_file(path, sizeof path, g_dir, "spec.yaml", full_spec);
    assert_int_equal(pb_spec_load(&s, path, &no_env_opts), 0);
    assert_int_equal(s.n_cells, 40);
    assert_string_equal(s.path, path);
    pb_spec_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_expansion),  cmocka_unit_test(test_dense_dedupe),
        cmocka_unit_test(test_include_exclude), cmocka_unit_test(test_overrides_prune_null),
        cmocka_unit_test(test_deep_merge),      cmocka_unit_test(test_ids),
        cmocka_unit_test(test_kd_teachers),     cmocka_unit_test(test_vars),
        cmocka_unit_test(test_err_top_key),     cmocka_unit_test(test_err_axis),
        cmocka_unit_test(test_err_base_deep),   cmocka_unit_test(test_err_sparsity),
        cmocka_unit_test(test_err_tasks),       cmocka_unit_test(test_err_misc),
        cmocka_unit_test(test_shards),          cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
