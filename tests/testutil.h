/* Shared helpers for cmocka tests: tolerance comparison that reports the worst
 * error, message assertions, temp directories and small model configs. */
#ifndef PB_TESTUTIL_H
#define PB_TESTUTIL_H

#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "model.h"
#include "pb_error.h"
#include "trainer.h"

/* Default tolerances of the fixture comparisons: |a-b| <= atol + rtol*|b|. */
#define PB_TEST_RTOL 1e-4
#define PB_TEST_ATOL 1e-5

typedef struct {
    double worst_excess; /* max of |a-b| - (atol + rtol|b|); > 0 means mismatch */
    double worst_abs;    /* largest |a-b| */
    size_t worst_index;
    size_t n_bad;
} pb_cmp_result;

/* Compare `got` against reference `want` elementwise. */
static inline pb_cmp_result pb_test_compare(const float *got, const float *want, size_t n, double rtol, double atol) {
    pb_cmp_result r = {-INFINITY, 0.0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        double a = got[i], b = want[i];
        double d = fabs(a - b);
        double excess = d - (atol + rtol * fabs(b));
        if (!(d == d)) excess = INFINITY; /* NaN */
        if (excess > r.worst_excess) { r.worst_excess = excess; r.worst_index = i; }
        if (d > r.worst_abs) r.worst_abs = d;
        if (excess > 0) r.n_bad++;
    }
    return r;
}

/* Compare, print the worst error under `label`, and fail the test on mismatch. */
#define PB_ASSERT_CLOSE(label, got, want, n, rtol, atol)                                                       \
    do {                                                                                                       \
        pb_cmp_result pb_r_ = pb_test_compare((got), (want), (n), (rtol), (atol));                             \
        if (pb_r_.n_bad)                                                                                       \
            print_error("MISMATCH %s: %zu of %zu beyond tolerance; worst at [%zu] got %.9g want %.9g\n", (label), \
                        pb_r_.n_bad, (size_t)(n), pb_r_.worst_index, (double)(got)[pb_r_.worst_index],          \
                        (double)(want)[pb_r_.worst_index]);                                                     \
        assert_int_equal(pb_r_.n_bad, 0);                                                                      \
        pb_test_track_worst((label), pb_r_.worst_abs);                                                         \
    } while (0)

/* Track the worst absolute error across a test binary, printed at the end. */
static double pb_test_worst_abs_seen = 0.0;
static char pb_test_worst_label[1024] = "";
static inline void pb_test_track_worst(const char *label, double worst) {
    if (worst > pb_test_worst_abs_seen) {
        pb_test_worst_abs_seen = worst;
        snprintf(pb_test_worst_label, sizeof pb_test_worst_label, "%s", label);
    }
}
static inline void pb_test_print_worst(void) {
    printf("worst |a-b| over all comparisons: %.3g (%s)\n", pb_test_worst_abs_seen, pb_test_worst_label);
}

/* `text` must contain `needle`; prints both when it does not. */
#define PB_ASSERT_HAS(text, needle)                                                                                    \
    do {                                                                                                               \
        const char *pb_text_ = (text), *pb_needle_ = (needle);                                                         \
        if (!strstr(pb_text_, pb_needle_)) print_error("'%s' does not contain '%s'\n", pb_text_, pb_needle_);          \
        assert_non_null(strstr(pb_text_, pb_needle_));                                                                 \
    } while (0)

/* The message of the last error must contain `needle`. */
#define PB_ASSERT_MSG_HAS(needle) PB_ASSERT_HAS(pb_error_msg(), (needle))

/* ---- temp directories ----------------------------------------------------- */

/* Make the directory /tmp/pb_test_<tag>_<pid>, its path into buf. 0, or -1 on failure. */
static inline int pb_test_tmpdir_create(char *buf, size_t size, const char *tag) {
    snprintf(buf, size, "/tmp/pb_test_%s_%ld", tag, (long)getpid());
    return mkdir(buf, 0700) == 0 ? 0 : -1;
}

/* Remove `dir` and everything under it (files, folders, dot files); a plain
 * file is removed; a missing path is fine. */
static inline void pb_test_tmpdir_remove(const char *dir) {
    struct stat st0;
    if (lstat(dir, &st0) != 0) return;
    if (!S_ISDIR(st0.st_mode)) {
        remove(dir);
        return;
    }
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char p[1024];
            int n = snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            if (n < 0 || (size_t)n >= sizeof p) continue;
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) pb_test_tmpdir_remove(p);
            else remove(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* `dir`/`name` into buf; returns buf. */
static inline const char *pb_test_path(char *buf, size_t size, const char *dir, const char *name) {
    snprintf(buf, size, "%s/%s", dir, name);
    return buf;
}

/* ---- model configs --------------------------------------------------------- */

/* A small config with Hugging Face's per-type values (RoBERTa: one token type,
 * eps 1e-5, pad 1; BERT: two, 1e-12, 0), 3 labels and dropout 0.1; callers
 * override what they need. */
static inline void pb_test_config(pb_config *c, pb_model_type t, int vocab, int hidden, int layers, int heads,
                                  int inter, int max_pos) {
    const int roberta = t == PB_MODEL_ROBERTA;
    *c = (pb_config){
        .model_type = t,
        .vocab_size = vocab,
        .hidden_size = hidden,
        .num_hidden_layers = layers,
        .num_attention_heads = heads,
        .intermediate_size = inter,
        .max_position_embeddings = max_pos,
        .type_vocab_size = roberta ? 1 : 2,
        .layer_norm_eps = roberta ? 1e-5f : 1e-12f,
        .hidden_dropout_prob = 0.1f,
        .attention_probs_dropout_prob = 0.1f,
        .pad_token_id = roberta ? 1 : 0,
        .num_labels = 3,
    };
}


/* One temp directory per test binary: defines g_dir and the group fixtures
 * setup / teardown that create and remove it (files only, no subfolders). */
#define PB_TEST_TMPDIR_FIXTURE(tag)                                                   \
    static char g_dir[128];                                                           \
    static int setup(void **state) {                                                  \
        (void)state;                                                                  \
        return pb_test_tmpdir_create(g_dir, sizeof g_dir, (tag));                     \
    }                                                                                 \
    static int teardown(void **state) {                                               \
        (void)state;                                                                  \
        pb_test_tmpdir_remove(g_dir);                                                 \
        return 0;                                                                     \
    }

/* A small model with random weights and non-zero biases and LayerNorm
 * parameters too, so nothing round-trips by accident. */
static inline void pb_test_random_model(pb_model *m, pb_model_type t, pb_head_kind head, uint64_t seed) {
    pb_config c;
    pb_test_config(&c, t, 50, 16, 2, 2, 32, 24);
    assert_int_equal(pb_model_init(m, &c, head, 6, 10), 0);
    pb_model_init_weights(m, seed);
    for (size_t j = 0; j < m->n_floats; j++) m->params_mem[j] += 1e-3f * (float)((j * 2654435761u) % 1000) - 0.5f;
}

/* ---- task fixtures ---------------------------------------------------------- */

/* Write `text` to dir/name (the path goes into buf); fails the test on error. */
static inline const char *pb_test_write_file(char *buf, size_t size, const char *dir, const char *name,
                                             const char *text) {
    pb_test_path(buf, size, dir, name);
    FILE *f = fopen(buf, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    return buf;
}

/* A BERT vocab.txt in dir: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then the
 * NULL-terminated words from id 5; returns the number of tokens. */
static inline int pb_test_write_vocab(const char *dir, const char *const *words) {
    char path[512];
    pb_test_path(path, sizeof path, dir, "vocab.txt");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n", f);
    int n = 5;
    for (; words[n - 5]; n++) fprintf(f, "%s\n", words[n - 5]);
    assert_int_equal(fclose(f), 0);
    return n;
}

/* ---- the command line -------------------------------------------------------- */

/* Whole file as a string ("" when missing). Caller frees. */
static inline char *pb_test_slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = calloc((size_t)(n > 0 ? n : 0) + 1, 1);
    if (s && n > 0 && fread(s, 1, (size_t)n, f) != (size_t)n) s[0] = '\0';
    fclose(f);
    return s;
}

/* The CLI under test: $PB_CLI or bin/prunebench. */
static inline const char *pb_test_cli(void) {
    const char *c = getenv("PB_CLI");
    return c && *c ? c : "bin/prunebench";
}

/* Run `<cli> args` with stdout and stderr into dir/cli.stdout, dir/cli.stderr,
 * read into *out / *err (either may be NULL; caller frees). Returns the exit
 * status (-1 if the command did not exit normally). */
static inline int pb_test_run_cli(const char *dir, const char *args, char **out, char **err) {
    char o[512], e[512], cmd[8192];
    pb_test_path(o, sizeof o, dir, "cli.stdout");
    pb_test_path(e, sizeof e, dir, "cli.stderr");
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", pb_test_cli(), args, o, e);
    int st = system(cmd);
    int code = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    char *so = pb_test_slurp(o), *se = pb_test_slurp(e);
    if (out) *out = so;
    else free(so);
    if (err) *err = se;
    else free(se);
    return code;
}

/* ---- a few training steps ------------------------------------------------------ */

/* A dense spec: `epochs` epochs of `batch`, one linear LR segment 1e-3 ->
 * lr_final, clipping at 1, no pruning; evaluation every epoch when eval. */
static inline void pb_test_train_spec(pb_train_spec *s, int epochs, int batch, double lr_final, int eval) {
    memset(s, 0, sizeof *s);
    s->seed = 5;
    s->epochs = epochs;
    s->batch_size = batch;
    pb_adamw_hparams_default(&s->adam);
    s->max_grad_norm = 1.0f;
    s->lr.n_segments = 1;
    s->lr.seg[0].start_epoch = 0;
    s->lr.seg[0].end_epoch = epochs;
    s->lr.seg[0].kind = PB_SCHED_LR_LINEAR;
    s->lr.seg[0].lr_init = 1e-3;
    s->lr.seg[0].lr_final = lr_final;
    s->audit_tol = 1e-9;
    s->eval_every_epochs = eval ? 1 : 0;
}

/* pb_train_run that must finish with a finite loss at every step. */
static inline void pb_test_train_ok(pb_model *m, const pb_data_source *ds, const pb_train_spec *s, pb_train_result *r) {
    int rc = pb_train_run(m, ds, s, r);
    if (rc) print_error("%s: %s\n", ds->name, pb_error_msg());
    assert_int_equal(rc, 0);
    assert_int_equal(r->status, PB_TRAIN_DONE);
    for (long i = 0; i < r->steps; i++) assert_true(isfinite(r->curves[i * PB_CURVE_COLS + PB_CURVE_LOSS]));
}

#endif
