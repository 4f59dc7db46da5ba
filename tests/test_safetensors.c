/* Hugging Face safetensors: bitwise round trips for every model type and head,
 * hand-written files with F16 / BF16 tensors of known bit patterns, prefix-less
 * names, extra and missing tensors, every malformed-file case (the message names
 * the file and the tensor), Hugging Face folders, and an independent reader in
 * Python (skipped when /usr/bin/python3 or torch is missing). Temp files live in
 * /tmp/pb_test_st_<pid>/ and are removed at the end. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "model.h"
#include "pb_error.h"
#include "safetensors.h"
#include "testutil.h"

PB_TEST_TMPDIR_FIXTURE("st")

static const char *tmp_file(const char *name) {
    static _Thread_local char buf[32][512]; /* a ring: each test uses far fewer paths at once */
    static _Thread_local int k = 0;
    k = (k + 1) % 32;
    return pb_test_path(buf[k], sizeof buf[k], g_dir, name);
}

/* ---- hand-written files ---------------------------------------------------- */

/* Write a file: 8-byte length `hlen_field`, header text, then `data`. */
static void write_raw(const char *path, uint64_t hlen_field, const char *header, const void *data, size_t data_len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(hlen_field >> (8 * i));
    assert_int_equal(fwrite(b, 1, 8, f), 8);
    size_t n = strlen(header);
    assert_int_equal(fwrite(header, 1, n, f), n);
    if (data_len) assert_int_equal(fwrite(data, 1, data_len, f), data_len);
    fclose(f);
}

static void write_file(const char *path, const char *header, const void *data, size_t data_len) {
    write_raw(path, strlen(header), header, data, data_len);
}

/* Append to a growing string. */
static void sappend(char **s, size_t *len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    *s = realloc(*s, *len + (size_t)n + 1);
    assert_non_null(*s);
    va_start(ap, fmt);
    vsnprintf(*s + *len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    *len += (size_t)n;
}

typedef struct {
    int strip_prefix; /* drop bert./roberta. */
    const char *skip; /* model tensor left out, or NULL */
    int extras;       /* add cls.predictions.bias-like F32 and an I64 position_ids */
    int decoder;      /* 0 none, 1 tied copy of word embeddings, 2 different values */
} file_opts;

/* Write the model's parameters by hand (F32, table order, reversed in the
 * buffer so offsets do not follow the header order). */
static void write_model_file(const pb_model *m, const char *path, file_opts o) {
    char *h = NULL;
    size_t hl = 0;
    size_t total = m->n_floats * 4 + 4 * 4 + 24 * 8 + (size_t)m->cfg.vocab_size * m->cfg.hidden_size * 4;
    unsigned char *data = calloc(1, total);
    assert_non_null(data);
    size_t off = 0;
    sappend(&h, &hl, "{\"__metadata__\": {\"format\": \"pt\"}");
    for (int i = m->n_params - 1; i >= 0; i--) {
        const pb_param *p = &m->params[i];
        if (o.skip && strcmp(o.skip, p->name) == 0) continue;
        const char *name = p->name;
        if (o.strip_prefix) {
            if (strncmp(name, "bert.", 5) == 0)
                name += 5;
            else if (strncmp(name, "roberta.", 8) == 0)
                name += 8;
        }
        size_t bytes = p->numel * 4;
        if (p->ndim == 2)
            sappend(&h, &hl, ", \"%s\": {\"dtype\": \"F32\", \"shape\": [%d, %d], \"data_offsets\": [%zu, %zu]}", name,
                    p->shape[0], p->shape[1], off, off + bytes);
        else
            sappend(&h, &hl, ", \"%s\": {\"dtype\": \"F32\", \"shape\": [%d], \"data_offsets\": [%zu, %zu]}", name,
                    p->shape[0], off, off + bytes);
        memcpy(data + off, m->params_mem + p->offset, bytes);
        off += bytes;
    }
    if (o.extras) {
        float x[4] = {1, 2, 3, 4};
        sappend(
            &h, &hl,
            ", \"cls.predictions.decoder.bias\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [%zu, %zu]}",
            off, off + 16);
        memcpy(data + off, x, 16);
        off += 16;
        sappend(&h, &hl,
                ", \"bert.embeddings.position_ids\": {\"dtype\": \"I64\", \"shape\": [1, 24], \"data_offsets\": [%zu, "
                "%zu]}",
                off, off + 24 * 8);
        off += 24 * 8;
    }
    if (o.decoder) {
        int wi =
            pb_model_find_param(m, m->cfg.model_type == PB_MODEL_ROBERTA ? "roberta.embeddings.word_embeddings.weight"
                                                                         : "bert.embeddings.word_embeddings.weight");
        const pb_param *w = &m->params[wi];
        size_t bytes = w->numel * 4;
        sappend(&h, &hl, ", \"%s\": {\"dtype\": \"F32\", \"shape\": [%d, %d], \"data_offsets\": [%zu, %zu]}",
                m->cfg.model_type == PB_MODEL_ROBERTA ? "lm_head.decoder.weight" : "cls.predictions.decoder.weight",
                w->shape[0], w->shape[1], off, off + bytes);
        memcpy(data + off, m->params_mem + w->offset, bytes);
        if (o.decoder == 2) {
            float v = 0.25f;
            memcpy(data + off + 4 * 7, &v, 4);
        }
        off += bytes;
    }
    sappend(&h, &hl, "}");
    write_file(path, h, data, off);
    free(h);
    free(data);
}

/* ---- round trips ----------------------------------------------------------- */

static void roundtrip(pb_model_type t, pb_head_kind head) {
    pb_model a, b;
    pb_test_random_model(&a, t, head, 42);
    const char *path = tmp_file("rt.safetensors");
    assert_int_equal(pb_safetensors_save(&a, path), 0);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    assert_int_equal(access(tmp, F_OK), -1);

    /* layout: header length a multiple of 8, padded with spaces, metadata present */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char lb[8];
    assert_int_equal(fread(lb, 1, 8, f), 8);
    uint64_t n = 0;
    for (int i = 0; i < 8; i++) n |= (uint64_t)lb[i] << (8 * i);
    assert_int_equal(n % 8, 0);
    char *hdr = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(hdr, 1, (size_t)n, f), n);
    fseek(f, 0, SEEK_END);
    assert_int_equal((uint64_t)ftell(f), 8 + n + a.n_floats * 4);
    fclose(f);
    PB_ASSERT_HAS(hdr, "\"__metadata__\":{\"format\":\"pt\"}");
    PB_ASSERT_HAS(hdr, a.params[0].name);
    size_t hl = strlen(hdr);
    assert_true(hl > n - 8);
    for (size_t i = hl; i < n; i++) assert_int_equal(hdr[i], ' ');
    free(hdr);

    assert_int_equal(pb_model_init(&b, &a.cfg, head, 6, 10), 0);
    int n_missing = -1, n_extra = -1;
    assert_int_equal(pb_safetensors_load(&b, path, 0, &n_missing, &n_extra), 0);
    assert_int_equal(n_missing, 0);
    assert_int_equal(n_extra, 0);
    assert_memory_equal(a.params_mem, b.params_mem, a.n_floats * sizeof(float));
    pb_model_free(&a);
    pb_model_free(&b);
}

static void test_roundtrip(void **state) {
    (void)state;
    const pb_head_kind heads[] = {PB_HEAD_CLS, PB_HEAD_REG, PB_HEAD_SPAN, PB_HEAD_MC, PB_HEAD_MLM};
    for (int t = 0; t < 2; t++)
        for (size_t h = 0; h < sizeof heads / sizeof heads[0]; h++)
            roundtrip(t ? PB_MODEL_ROBERTA : PB_MODEL_BERT, heads[h]);
    /* saving into a folder that does not exist: error naming the file, nothing left */
    pb_model m;
    pb_test_random_model(&m, PB_MODEL_BERT, PB_HEAD_CLS, 1);
    const char *bad = tmp_file("no-such-dir/m.safetensors");
    assert_int_equal(pb_safetensors_save(&m, bad), PB_EIO);
    PB_ASSERT_MSG_HAS(bad);
    assert_int_equal(access(bad, F_OK), -1);
    pb_model_free(&m);
}

/* ---- F16 / BF16 ----------------------------------------------------------- */

static float fbits(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* One 16-element tensor (embeddings.LayerNorm.weight, H = 16) of dtype `dt`
 * from `bits`; load with allow_missing. Returns the load status. */
static int load_half(pb_model *m, const char *dt, const uint16_t *bits, const char *fname) {
    unsigned char data[32];
    for (int i = 0; i < 16; i++) {
        data[2 * i] = (unsigned char)(bits[i] & 0xff);
        data[2 * i + 1] = (unsigned char)(bits[i] >> 8);
    }
    char h[256];
    snprintf(h, sizeof h,
             "{\"embeddings.LayerNorm.weight\": {\"dtype\": \"%s\", \"shape\": [16], \"data_offsets\": [0, 32]}}", dt);
    const char *path = tmp_file(fname);
    write_file(path, h, data, sizeof data);
    int n_missing = -1, n_extra = -1;
    int rc = pb_safetensors_load(m, path, 1, &n_missing, &n_extra);
    if (rc == 0) {
        assert_int_equal(n_missing, m->n_params - 1);
        assert_int_equal(n_extra, 0);
    }
    return rc;
}

static void assert_bits_equal(const float *got, const float *want, int n) {
    for (int i = 0; i < n; i++) {
        uint32_t a, b;
        memcpy(&a, &got[i], 4);
        memcpy(&b, &want[i], 4);
        if (a != b)
            print_error("element %d: got %a (0x%08x), want %a (0x%08x)\n", i, (double)got[i], a, (double)want[i], b);
        assert_int_equal(a, b);
    }
}

static void test_f16(void **state) {
    (void)state;
    pb_model m;
    pb_test_random_model(&m, PB_MODEL_BERT, PB_HEAD_CLS, 3);
    const uint16_t bits[16] = {0x3c00, 0xc000, 0x0001, 0x03ff, 0x8000, 0x7bff, 0x0400, 0x3555,
                               0x3e00, 0x8001, 0x0000, 0xfbff, 0x0200, 0x5640, 0x1400, 0xb800};
    const float want[16] = {1.0f, -2.0f,     0x1p-24f, 0x3ffp-24f, -0.0f,    65504.0f, 0x1p-14f, 0x1.554p-2f,
                            1.5f, -0x1p-24f, 0.0f,     -65504.0f,  0x1p-15f, 100.0f,   0x1p-10f, -0.5f};
    assert_int_equal(load_half(&m, "F16", bits, "f16.safetensors"), 0);
    int i = pb_model_find_param(&m, "bert.embeddings.LayerNorm.weight");
    assert_true(i >= 0);
    assert_bits_equal(pb_model_param_data(&m, i), want, 16);
    assert_true(signbit(pb_model_param_data(&m, i)[4]));
    /* inf and NaN are rejected as non-finite, naming file and tensor */
    uint16_t bad[16];
    memcpy(bad, bits, sizeof bad);
    bad[5] = 0x7c00;
    const char *path = tmp_file("f16inf.safetensors");
    assert_int_equal(load_half(&m, "F16", bad, "f16inf.safetensors"), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("non-finite");
    PB_ASSERT_MSG_HAS("embeddings.LayerNorm.weight");
    PB_ASSERT_MSG_HAS(path);
    PB_ASSERT_MSG_HAS("index 5");
    bad[5] = 0xfe01;
    assert_int_equal(load_half(&m, "F16", bad, "f16nan.safetensors"), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("non-finite");
    pb_model_free(&m);
}

static void test_bf16(void **state) {
    (void)state;
    pb_model m;
    pb_test_random_model(&m, PB_MODEL_ROBERTA, PB_HEAD_CLS, 3);
    const uint16_t bits[16] = {0x3f80, 0xc040, 0x0001, 0x8000, 0x7f7f, 0x3eab, 0x0080, 0x007f,
                               0x4049, 0xbf80, 0x0000, 0xff7f, 0x8001, 0x4120, 0x3c00, 0x4780};
    const float want[16] = {1.0f,
                            -3.0f,
                            fbits(0x00010000u),
                            -0.0f,
                            fbits(0x7f7f0000u),
                            0x1.56p-2f,
                            0x1p-126f,
                            fbits(0x007f0000u),
                            fbits(0x40490000u),
                            -1.0f,
                            0.0f,
                            fbits(0xff7f0000u),
                            -fbits(0x00010000u),
                            10.0f,
                            0x1p-7f,
                            65536.0f};
    assert_true(want[2] == 0x1p-133f); /* a float subnormal */
    assert_int_equal(load_half(&m, "BF16", bits, "bf16.safetensors"), 0);
    int i = pb_model_find_param(&m, "roberta.embeddings.LayerNorm.weight");
    assert_true(i >= 0);
    assert_bits_equal(pb_model_param_data(&m, i), want, 16);
    uint16_t bad[16];
    memcpy(bad, bits, sizeof bad);
    bad[9] = 0xff80; /* -inf */
    assert_int_equal(load_half(&m, "BF16", bad, "bf16inf.safetensors"), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("non-finite");
    PB_ASSERT_MSG_HAS("index 9");
    bad[9] = 0x7fc0; /* NaN */
    assert_int_equal(load_half(&m, "BF16", bad, "bf16nan.safetensors"), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("non-finite");
    pb_model_free(&m);
}

/* ---- names, extra and missing tensors --------------------------------------- */

static void test_prefixless_and_extra(void **state) {
    (void)state;
    for (int t = 0; t < 2; t++) {
        pb_model a, b;
        pb_test_random_model(&a, t ? PB_MODEL_ROBERTA : PB_MODEL_BERT, PB_HEAD_CLS, 11);
        const char *path = tmp_file("noprefix.safetensors");
        write_model_file(&a, path, (file_opts){.strip_prefix = 1, .extras = 1});
        assert_int_equal(pb_model_init(&b, &a.cfg, PB_HEAD_CLS, 6, 10), 0);
        int n_missing = -1, n_extra = -1;
        assert_int_equal(pb_safetensors_load(&b, path, 0, &n_missing, &n_extra), 0);
        assert_int_equal(n_missing, 0);
        assert_int_equal(n_extra, 2);
        assert_memory_equal(a.params_mem, b.params_mem, a.n_floats * sizeof(float));
        /* with prefix too, no extras */
        write_model_file(&a, path, (file_opts){0});
        pb_model_init_weights(&b, 5);
        assert_int_equal(pb_safetensors_load(&b, path, 0, NULL, &n_extra), 0);
        assert_int_equal(n_extra, 0);
        assert_memory_equal(a.params_mem, b.params_mem, a.n_floats * sizeof(float));
        pb_model_free(&a);
        pb_model_free(&b);
    }
}

static void test_tied_decoder(void **state) {
    (void)state;
    for (int t = 0; t < 2; t++) {
        pb_model a, b;
        pb_test_random_model(&a, t ? PB_MODEL_ROBERTA : PB_MODEL_BERT, PB_HEAD_MLM, 12);
        const char *path = tmp_file("tied.safetensors");
        assert_int_equal(pb_model_init(&b, &a.cfg, PB_HEAD_MLM, 6, 10), 0);
        int n_extra = -1;
        write_model_file(&a, path, (file_opts){.decoder = 1});
        assert_int_equal(pb_safetensors_load(&b, path, 0, NULL, &n_extra), 0);
        assert_int_equal(n_extra, 0);
        assert_memory_equal(a.params_mem, b.params_mem, a.n_floats * sizeof(float));
        write_model_file(&a, path, (file_opts){.decoder = 2});
        assert_int_equal(pb_safetensors_load(&b, path, 0, NULL, &n_extra), 0);
        assert_int_equal(n_extra, 1);
        pb_model_free(&a);
        pb_model_free(&b);
    }
}

static void test_missing(void **state) {
    (void)state;
    pb_model a, b;
    pb_test_random_model(&a, PB_MODEL_BERT, PB_HEAD_CLS, 13);
    const char *path = tmp_file("missing.safetensors");
    write_model_file(&a, path, (file_opts){.skip = "classifier.weight"});
    assert_int_equal(pb_model_init(&b, &a.cfg, PB_HEAD_CLS, 6, 10), 0);
    pb_model_init_weights(&b, 99);
    int ci = pb_model_find_param(&b, "classifier.weight");
    const size_t cn = b.params[ci].numel;
    float *keep = malloc(cn * sizeof *keep);
    memcpy(keep, pb_model_param_data(&b, ci), cn * sizeof *keep);
    assert_int_equal(pb_safetensors_load(&b, path, 0, NULL, NULL), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("classifier.weight");
    PB_ASSERT_MSG_HAS(path);
    int n_missing = -1, n_extra = -1;
    assert_int_equal(pb_safetensors_load(&b, path, 1, &n_missing, &n_extra), 0);
    assert_int_equal(n_missing, 1);
    assert_int_equal(n_extra, 0);
    assert_memory_equal(keep, pb_model_param_data(&b, ci), cn * sizeof *keep);
    int wi = pb_model_find_param(&b, "bert.embeddings.word_embeddings.weight");
    assert_memory_equal(pb_model_param_data(&a, wi), pb_model_param_data(&b, wi), b.params[wi].numel * 4);
    free(keep);
    pb_model_free(&a);
    pb_model_free(&b);
}

/* ---- malformed files ---------------------------------------------------------- */

/* Load `path` into m; expect `code` and a message with the path and each needle. */
static void expect_bad(pb_model *m, const char *path, int code, const char *n1, const char *n2) {
    int rc = pb_safetensors_load(m, path, 1, NULL, NULL);
    if (rc != code) print_error("%s: rc %d (%s), want %d\n", path, rc, pb_error_msg(), code);
    assert_int_equal(rc, code);
    PB_ASSERT_MSG_HAS(path);
    if (n1) PB_ASSERT_MSG_HAS(n1);
    if (n2) PB_ASSERT_MSG_HAS(n2);
}

static void bad_header(pb_model *m, const char *name, const char *header, size_t data_len, int code, const char *n1,
                       const char *n2) {
    static unsigned char zeros[4096];
    const char *path = tmp_file(name);
    write_file(path, header, zeros, data_len);
    expect_bad(m, path, code, n1, n2);
}

static void test_malformed(void **state) {
    (void)state;
    pb_model m;
    pb_test_random_model(&m, PB_MODEL_BERT, PB_HEAD_CLS, 14);
    const char *path;

    path = tmp_file("missing-file.safetensors");
    expect_bad(&m, path, PB_EIO, NULL, NULL);

    path = tmp_file("short.safetensors");
    FILE *f = fopen(path, "wb");
    fwrite("\x10\0\0\0\0", 1, 5, f);
    fclose(f);
    expect_bad(&m, path, PB_EFORMAT, "too short", NULL);

    path = tmp_file("beyond.safetensors");
    write_raw(path, 1000, "{}", NULL, 0);
    expect_bad(&m, path, PB_EFORMAT, "beyond the end", "1000");

    path = tmp_file("absurd.safetensors");
    write_raw(path, 200000000ull, "{}", NULL, 0);
    expect_bad(&m, path, PB_EFORMAT, "absurd", "200000000");

    bad_header(&m, "json.safetensors", "{\n\"a\": {\"dtype\": }\n}", 0, PB_EFORMAT, "malformed header JSON", "line 2");
    bad_header(&m, "notobj.safetensors", "[1, 2]", 0, PB_EFORMAT, "not an object", NULL);
    bad_header(&m, "meta.safetensors", "{\"__metadata__\": {\"format\": 1}}", 0, PB_EFORMAT, "__metadata__", "format");

    const char *T = "classifier.bias"; /* [3] */
    bad_header(&m, "nodtype.safetensors", "{\"classifier.bias\": {\"shape\": [3], \"data_offsets\": [0, 12]}}", 12,
               PB_EFORMAT, T, "missing \"dtype\"");
    bad_header(&m, "noshape.safetensors", "{\"classifier.bias\": {\"dtype\": \"F32\", \"data_offsets\": [0, 12]}}", 12,
               PB_EFORMAT, T, "missing \"shape\"");
    bad_header(&m, "nooff.safetensors", "{\"classifier.bias\": {\"dtype\": \"F32\", \"shape\": [3]}}", 12, PB_EFORMAT,
               T, "missing \"data_offsets\"");
    bad_header(&m, "dtypetype.safetensors",
               "{\"classifier.bias\": {\"dtype\": 4, \"shape\": [3], \"data_offsets\": [0, 12]}}", 12, PB_EFORMAT, T,
               "\"dtype\" must be a string");
    bad_header(&m, "shapetype.safetensors",
               "{\"classifier.bias\": {\"dtype\": \"F32\", \"shape\": [\"3\"], \"data_offsets\": [0, 12]}}", 12,
               PB_EFORMAT, T, "\"shape\" must be");
    bad_header(&m, "shapeneg.safetensors",
               "{\"classifier.bias\": {\"dtype\": \"F32\", \"shape\": [-3], \"data_offsets\": [0, 12]}}", 12,
               PB_EFORMAT, T, "\"shape\" must be");
    bad_header(&m, "offtype.safetensors",
               "{\"classifier.bias\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": {\"a\": 0}}}", 12,
               PB_EFORMAT, T, "\"data_offsets\" must be");
    bad_header(&m, "offlen.safetensors",
               "{\"classifier.bias\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [12]}}", 12, PB_EFORMAT, T,
               "\"data_offsets\" must be");
    bad_header(&m, "entrytype.safetensors", "{\"classifier.bias\": 7}", 12, PB_EFORMAT, T, "not a JSON object");
    bad_header(&m, "dtype.safetensors",
               "{\"classifier.bias\": {\"dtype\": \"F17\", \"shape\": [3], \"data_offsets\": [0, 12]}}", 12, PB_EFORMAT,
               T, "unknown dtype 'F17'");
    bad_header(&m, "range.safetensors",
               "{\"classifier.bias\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [8, 20]}}", 12, PB_EFORMAT,
               T, "out of range");
    bad_header(&m, "order.safetensors",
               "{\"classifier.bias\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [12, 0]}}", 12, PB_EFORMAT,
               T, "end 0 < begin 12");
    bad_header(&m, "size.safetensors",
               "{\"classifier.bias\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 12, PB_EFORMAT,
               T, "needs 12");
    bad_header(&m, "size16.safetensors",
               "{\"classifier.bias\": {\"dtype\": \"F16\", \"shape\": [3], \"data_offsets\": [0, 12]}}", 12, PB_EFORMAT,
               T, "needs 6");
    bad_header(&m, "overlap.safetensors",
               "{\"classifier.bias\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 12]},"
               " \"bert.pooler.dense.bias\": {\"dtype\": \"F32\", \"shape\": [16], \"data_offsets\": [8, 72]}}",
               72, PB_EFORMAT, "overlap", "bert.pooler.dense.bias");
    bad_header(&m, "shape.safetensors",
               "{\"classifier.bias\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", 16, PB_ESHAPE,
               "has shape [4], the model expects [3]", T);
    bad_header(&m, "shape2.safetensors",
               "{\"classifier.weight\": {\"dtype\": \"F32\", \"shape\": [16, 3], \"data_offsets\": [0, 192]}}", 192,
               PB_ESHAPE, "has shape [16, 3], the model expects [3, 16]", "classifier.weight");
    bad_header(&m, "intmodel.safetensors",
               "{\"classifier.bias\": {\"dtype\": \"I32\", \"shape\": [3], \"data_offsets\": [0, 12]}}", 12, PB_EFORMAT,
               T, "I32");
    bad_header(&m, "dup.safetensors",
               "{\"classifier.bias\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 12]},"
               " \"classifier.bias\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [12, 24]}}",
               24, PB_EFORMAT, "malformed header JSON", "duplicate");
    bad_header(&m, "dup2.safetensors",
               "{\"pooler.dense.bias\": {\"dtype\": \"F32\", \"shape\": [16], \"data_offsets\": [0, 64]},"
               " \"bert.pooler.dense.bias\": {\"dtype\": \"F32\", \"shape\": [16], \"data_offsets\": [64, 128]}}",
               128, PB_EFORMAT, "appears twice", "pooler.dense.bias");
    /* non-finite F32 */
    {
        float x[3] = {1.0f, NAN, 2.0f};
        path = tmp_file("nan32.safetensors");
        write_file(path, "{\"classifier.bias\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 12]}}", x,
                   12);
        expect_bad(&m, path, PB_EFORMAT, "non-finite", T);
    }
    /* a valid empty file loads with allow_missing */
    path = tmp_file("empty.safetensors");
    write_file(path, "{}", NULL, 0);
    int n_missing = -1;
    assert_int_equal(pb_safetensors_load(&m, path, 1, &n_missing, NULL), 0);
    assert_int_equal(n_missing, m.n_params);
    pb_model_free(&m);
}

/* ---- Hugging Face folders ----------------------------------------------------- */

static void folder(pb_model_type t, pb_head_kind head, const char *arch) {
    pb_model a, b;
    pb_test_random_model(&a, t, head, 21);
    char dir[256], p[300];
    snprintf(dir, sizeof dir, "%s/hf", g_dir);
    assert_int_equal(pb_hf_folder_save(&a, dir), 0);
    pb_config c, want_cfg = a.cfg;
    /* a regression head is Hugging Face's sequence classifier with num_labels 1 */
    if (head == PB_HEAD_REG) want_cfg.num_labels = 1;
    assert_int_equal(pb_hf_folder_load_config(dir, &c), 0);
    assert_memory_equal(&c, &want_cfg, sizeof c);
    snprintf(p, sizeof p, "%s/config.json", dir);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    char text[8192] = {0};
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    assert_true(n > 0);
    PB_ASSERT_HAS(text, "\"architectures\"");
    char want[128];
    snprintf(want, sizeof want, "\"%s\"", arch);
    PB_ASSERT_HAS(text, want);
    assert_string_equal(pb_hf_architecture(t, head), arch);
    /* Hugging Face's keys: id2label / label2id of num_labels defaults; floats in their shortest form */
    PB_ASSERT_HAS(text, "\"id2label\": {\n    \"0\": \"LABEL_0\"");
    PB_ASSERT_HAS(text, "\"label2id\": {\n    \"LABEL_0\": 0");
    PB_ASSERT_HAS(text, t == PB_MODEL_ROBERTA ? "\"layer_norm_eps\": 1e-05," : "\"layer_norm_eps\": 1e-12,");
    PB_ASSERT_HAS(text, "\"hidden_dropout_prob\": 0.1,");
    assert_null(strstr(text, "0000000"));
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    assert_int_equal(pb_model_init(&b, &c, head, 6, 10), 0);
    assert_int_equal(pb_safetensors_load(&b, p, 0, NULL, NULL), 0);
    assert_memory_equal(a.params_mem, b.params_mem, a.n_floats * sizeof(float));
    pb_model_free(&a);
    pb_model_free(&b);
    pb_test_tmpdir_remove(dir);
}

static void test_hf_folder(void **state) {
    (void)state;
    folder(PB_MODEL_BERT, PB_HEAD_CLS, "BertForSequenceClassification");
    folder(PB_MODEL_BERT, PB_HEAD_SPAN, "BertForQuestionAnswering");
    folder(PB_MODEL_BERT, PB_HEAD_MC, "BertForMultipleChoice");
    folder(PB_MODEL_BERT, PB_HEAD_MLM, "BertForMaskedLM");
    folder(PB_MODEL_ROBERTA, PB_HEAD_REG, "RobertaForSequenceClassification");
    folder(PB_MODEL_ROBERTA, PB_HEAD_SPAN, "RobertaForQuestionAnswering");
    folder(PB_MODEL_ROBERTA, PB_HEAD_MC, "RobertaForMultipleChoice");
    folder(PB_MODEL_ROBERTA, PB_HEAD_MLM, "RobertaForMaskedLM");
    /* config of a folder without config.json: error naming the file */
    char dir[256];
    snprintf(dir, sizeof dir, "%s/none", g_dir);
    pb_config c;
    assert_true(pb_hf_folder_load_config(dir, &c) < 0);
    PB_ASSERT_MSG_HAS("config.json");
}

/* ---- independent reader (Python + torch) ---------------------------------------- */

static const char *k_py =
    "import json, struct, sys, torch\n"
    "path, name = sys.argv[1], sys.argv[2]\n"
    "b = open(path, 'rb').read()\n"
    "n = struct.unpack('<Q', b[:8])[0]\n"
    "assert n % 8 == 0\n"
    "h = json.loads(b[8:8 + n].decode('utf-8'))\n"
    "assert h.pop('__metadata__') == {'format': 'pt'}\n"
    "end = 0\n"
    "for k, v in h.items():\n"
    "    assert v['dtype'] == 'F32'\n"
    "    s, e = v['data_offsets']\n"
    "    assert s == end, (k, s, end)\n"
    "    end = e\n"
    "assert 8 + n + end == len(b)\n"
    "v = h[name]\n"
    "s, e = v['data_offsets']\n"
    "t = torch.frombuffer(bytearray(b[8 + n + s:8 + n + e]), dtype=torch.float32).reshape(v['shape'])\n"
    "print(len(h), list(t.shape), repr(t.flatten()[3].item()), repr(t.double().sum().item()))\n";

static void test_python_reader(void **state) {
    (void)state;
    if (access("/usr/bin/python3", X_OK) != 0 || system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
        printf("python3 or torch missing: independent reader skipped\n");
        skip();
    }
    pb_model m;
    pb_test_random_model(&m, PB_MODEL_BERT, PB_HEAD_SPAN, 31);
    const char *path = tmp_file("py.safetensors");
    const char *script = tmp_file("reader.py");
    assert_int_equal(pb_safetensors_save(&m, path), 0);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fputs(k_py, f);
    fclose(f);
    const char *name = "bert.encoder.layer.1.intermediate.dense.weight";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %s 2>&1", script, path, name);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[1024] = {0};
    char *got = fgets(line, sizeof line, p);
    int st = pclose(p);
    if (st != 0 || !got) print_error("python reader failed: %s\n", line);
    assert_int_equal(st, 0);
    int n_t = 0, d0 = 0, d1 = 0;
    double x3 = 0, sum = 0;
    assert_int_equal(sscanf(line, "%d [%d, %d] %lf %lf", &n_t, &d0, &d1, &x3, &sum), 5);
    int i = pb_model_find_param(&m, name);
    const float *w = pb_model_param_data(&m, i);
    assert_int_equal(n_t, m.n_params);
    assert_int_equal(d0, m.params[i].shape[0]);
    assert_int_equal(d1, m.params[i].shape[1]);
    assert_true(x3 == (double)w[3]);
    double s = 0;
    for (size_t j = 0; j < m.params[i].numel; j++) s += w[j];
    assert_true(fabs(s - sum) <= 1e-9 * (1 + fabs(s)));
    pb_model_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),     cmocka_unit_test(test_f16),
        cmocka_unit_test(test_bf16),          cmocka_unit_test(test_prefixless_and_extra),
        cmocka_unit_test(test_tied_decoder),  cmocka_unit_test(test_missing),
        cmocka_unit_test(test_malformed),     cmocka_unit_test(test_hf_folder),
        cmocka_unit_test(test_python_reader),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
