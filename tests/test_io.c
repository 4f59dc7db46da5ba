/* HDF5 checkpoints, batches and gradient dumps: bitwise round trips, and every
 * bad-file case yields an error naming the file and the tensor. Temp files live
 * in /tmp/pb_test_io_<pid>/ and are removed at the end. */
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "io.h"
#include "loss.h"
#include "model.h"
#include "pb_error.h"
#include "testutil.h"

PB_TEST_TMPDIR_FIXTURE("io")

static const char *tmp_file(const char *name) {
    static _Thread_local char buf[32][512]; /* a ring: each test uses far fewer paths at once */
    static _Thread_local int k = 0;
    k = (k + 1) % 32;
    return pb_test_path(buf[k], sizeof buf[k], g_dir, name);
}

/* Run `fn` on the checkpoint file with HDF5's own API (read-write). */
static hid_t open_rw(const char *path) {
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    return f;
}

static void write_dataset(hid_t loc, const char *name, hid_t type, int ndim, const hsize_t *dims, const void *data,
                          hid_t memtype) {
    hid_t sp = ndim ? H5Screate_simple(ndim, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t ds = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(ds >= 0);
    assert_true(H5Dwrite(ds, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(ds);
    H5Sclose(sp);
}

/* Replace dataset `name`, which must exist in `path`, by one of the given type and shape. */
static void replace_dataset(const char *path, const char *name, hid_t type, int ndim, const hsize_t *dims,
                            const void *data, hid_t memtype) {
    hid_t f = open_rw(path);
    assert_true(H5Ldelete(f, name, H5P_DEFAULT) >= 0);
    write_dataset(f, name, type, ndim, dims, data, memtype);
    H5Fclose(f);
}

/* ---- checkpoints --------------------------------------------------------- */

static void roundtrip(pb_model_type t, pb_head_kind head) {
    pb_model a, b;
    pb_test_random_model(&a, t, head, 42);
    const char *path = tmp_file("rt.h5");
    assert_int_equal(pb_io_save_checkpoint(&a, path), 0);
    /* the temp file is gone */
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    assert_int_equal(access(tmp, F_OK), -1);

    pb_config c;
    assert_int_equal(pb_io_read_checkpoint_config(path, &c), 0);
    assert_memory_equal(&c, &a.cfg, sizeof c);
    assert_int_equal(pb_model_init(&b, &c, head, 6, 10), 0);
    int n_missing = -1, n_extra = -1;
    assert_int_equal(pb_io_load_checkpoint(&b, path, 0, &n_missing, &n_extra), 0);
    assert_int_equal(n_missing, 0);
    assert_int_equal(n_extra, 0);
    assert_int_equal(a.n_floats, b.n_floats);
    assert_memory_equal(a.params_mem, b.params_mem, a.n_floats * sizeof(float));
    pb_model_free(&a);
    pb_model_free(&b);
}

static void test_checkpoint_roundtrip(void **state) {
    (void)state;
    roundtrip(PB_MODEL_BERT, PB_HEAD_CLS);
    roundtrip(PB_MODEL_BERT, PB_HEAD_MLM);
    roundtrip(PB_MODEL_ROBERTA, PB_HEAD_CLS);
    roundtrip(PB_MODEL_ROBERTA, PB_HEAD_SPAN);
    roundtrip(PB_MODEL_ROBERTA, PB_HEAD_MC);
}

/* Save a fresh BERT cls model to `name`; returns its path and leaves the model. */
static const char *saved_model(pb_model *m, const char *name) {
    pb_test_random_model(m, PB_MODEL_BERT, PB_HEAD_CLS, 7);
    const char *path = tmp_file(name);
    assert_int_equal(pb_io_save_checkpoint(m, path), 0);
    return path;
}

static void test_missing_file(void **state) {
    (void)state;
    pb_model m;
    pb_test_random_model(&m, PB_MODEL_BERT, PB_HEAD_CLS, 1);
    const char *path = tmp_file("does-not-exist.h5");
    pb_config c;
    assert_int_equal(pb_io_read_checkpoint_config(path, &c), PB_EIO);
    PB_ASSERT_MSG_HAS(path);
    assert_int_equal(pb_io_load_checkpoint(&m, path, 0, NULL, NULL), PB_EIO);
    PB_ASSERT_MSG_HAS(path);
    pb_io_batch b;
    assert_int_equal(pb_io_read_batch(&b, path, PB_HEAD_CLS), PB_EIO);
    PB_ASSERT_MSG_HAS(path);
    /* a file that is not HDF5 */
    const char *txt = tmp_file("not-hdf5.h5");
    FILE *f = fopen(txt, "w");
    fputs("{\"model_type\": \"bert\"}\n", f);
    fclose(f);
    assert_int_equal(pb_io_read_checkpoint_config(txt, &c), PB_EFORMAT);
    PB_ASSERT_MSG_HAS(txt);
    /* save into a directory that does not exist: error, nothing left behind */
    const char *bad = tmp_file("no-such-dir/m.h5");
    assert_int_equal(pb_io_save_checkpoint(&m, bad), PB_EIO);
    PB_ASSERT_MSG_HAS("no-such-dir/m.h5");
    pb_model_free(&m);
}

static void test_wrong_shape(void **state) {
    (void)state;
    pb_model m;
    const char *path = saved_model(&m, "shape.h5");
    const char *name = "bert.encoder.layer.1.attention.self.value.weight";
    float junk[17 * 16] = {0};
    replace_dataset(path, name, H5T_IEEE_F32LE, 2, (hsize_t[]){17, 16}, junk, H5T_NATIVE_FLOAT);
    assert_int_equal(pb_io_load_checkpoint(&m, path, 0, NULL, NULL), PB_ESHAPE);
    PB_ASSERT_MSG_HAS(name);
    PB_ASSERT_MSG_HAS(path);
    PB_ASSERT_MSG_HAS("[17, 16]");
    PB_ASSERT_MSG_HAS("[16, 16]");
    /* rank differs */
    replace_dataset(path, name, H5T_IEEE_F32LE, 1, (hsize_t[]){256}, junk, H5T_NATIVE_FLOAT);
    assert_int_equal(pb_io_load_checkpoint(&m, path, 0, NULL, NULL), PB_ESHAPE);
    PB_ASSERT_MSG_HAS("[256]");
    /* integer type */
    int32_t ijunk[256] = {0};
    replace_dataset(path, name, H5T_STD_I32LE, 2, (hsize_t[]){16, 16}, ijunk, H5T_NATIVE_INT32);
    assert_int_equal(pb_io_load_checkpoint(&m, path, 0, NULL, NULL), PB_EFORMAT);
    PB_ASSERT_MSG_HAS(name);
    PB_ASSERT_MSG_HAS("integer");
    pb_model_free(&m);
}

static void test_missing_tensor(void **state) {
    (void)state;
    pb_model m, fresh;
    const char *path = saved_model(&m, "missing.h5");
    const char *name = "bert.pooler.dense.bias";
    hid_t f = open_rw(path);
    assert_true(H5Ldelete(f, name, H5P_DEFAULT) >= 0);
    H5Fclose(f);
    pb_test_random_model(&fresh, PB_MODEL_BERT, PB_HEAD_CLS, 99);
    assert_int_equal(pb_io_load_checkpoint(&fresh, path, 0, NULL, NULL), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS(name);
    PB_ASSERT_MSG_HAS(path);
    PB_ASSERT_MSG_HAS("[16]");
    /* allow_missing: loads the rest and keeps the missing tensor's values */
    int i = pb_model_find_param(&fresh, name);
    assert_true(i >= 0);
    float keep[16];
    memcpy(keep, pb_model_param_data(&fresh, i), sizeof keep);
    int n_missing = -1, n_extra = -1;
    assert_int_equal(pb_io_load_checkpoint(&fresh, path, 1, &n_missing, &n_extra), 0);
    assert_int_equal(n_missing, 1);
    assert_int_equal(n_extra, 0);
    assert_memory_equal(keep, pb_model_param_data(&fresh, i), sizeof keep);
    int w = pb_model_find_param(&fresh, "classifier.weight");
    assert_memory_equal(pb_model_param_data(&m, w), pb_model_param_data(&fresh, w), 3 * 16 * sizeof(float));
    pb_model_free(&m);
    pb_model_free(&fresh);
}

static void test_extra_and_float64(void **state) {
    (void)state;
    pb_model m, b;
    const char *path = saved_model(&m, "extra.h5");
    const char *name = "bert.embeddings.word_embeddings.weight";
    int i = pb_model_find_param(&m, name);
    double d[50 * 16];
    for (int j = 0; j < 50 * 16; j++) d[j] = pb_model_param_data(&m, i)[j];
    hid_t f = open_rw(path);
    assert_true(H5Ldelete(f, name, H5P_DEFAULT) >= 0);
    write_dataset(f, name, H5T_IEEE_F64LE, 2, (hsize_t[]){50, 16}, d, H5T_NATIVE_DOUBLE);
    float one = 1.0f;
    write_dataset(f, "cls.predictions.bias", H5T_IEEE_F32LE, 1, (hsize_t[]){1}, &one, H5T_NATIVE_FLOAT);
    write_dataset(f, "optimizer.step", H5T_IEEE_F32LE, 0, NULL, &one, H5T_NATIVE_FLOAT);
    H5Fclose(f);
    pb_test_random_model(&b, PB_MODEL_BERT, PB_HEAD_CLS, 3);
    int n_extra = -1;
    assert_int_equal(pb_io_load_checkpoint(&b, path, 0, NULL, &n_extra), 0);
    assert_int_equal(n_extra, 2);
    assert_memory_equal(m.params_mem, b.params_mem, m.n_floats * sizeof(float));
    /* the report names them (root order: by name), and the tensors the file lacks */
    pb_st_report rep;
    memset(&rep, 0, sizeof rep);
    assert_int_equal(pb_io_load_checkpoint_report(&b, path, 0, &rep), 0);
    assert_int_equal(rep.n_extra, 2);
    assert_int_equal(rep.n_missing, 0);
    assert_string_equal(rep.unexpected[0], "cls.predictions.bias");
    assert_string_equal(rep.unexpected[1], "optimizer.step");
    assert_string_equal(rep.extra, "cls.predictions.bias, optimizer.step");
    pb_st_report_free(&rep);
    f = open_rw(path);
    assert_true(H5Ldelete(f, "classifier.bias", H5P_DEFAULT) >= 0);
    assert_true(H5Ldelete(f, "bert.pooler.dense.weight", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    unsigned char loaded[64];
    assert_true(b.n_params <= 64);
    rep.loaded = loaded;
    assert_int_equal(pb_io_load_checkpoint_report(&b, path, 1, &rep), 0);
    assert_int_equal(rep.n_missing, 2);
    assert_string_equal(rep.missing[0], "bert.pooler.dense.weight"); /* parameter-table order */
    assert_string_equal(rep.missing[1], "classifier.bias");
    assert_int_equal(loaded[pb_model_find_param(&b, "classifier.bias")], 0);
    assert_int_equal(loaded[pb_model_find_param(&b, "classifier.weight")], 1);
    pb_st_report_free(&rep);
    /* not allowed missing: an error, nothing to free */
    rep.loaded = NULL;
    assert_int_equal(pb_io_load_checkpoint_report(&b, path, 0, &rep), PB_ENOTFOUND);
    assert_null(rep.missing);
    assert_null(rep.unexpected);
    pb_model_free(&m);
    pb_model_free(&b);
}

/* A checkpoint remembers its tokenizer's files and class names: they round-trip
 * byte for byte, are not tensors (no extra dataset) and write a folder back. */
static void test_tokenizer_and_labels(void **state) {
    (void)state;
    char tokdir[512], out[512], p[600];
    pb_test_path(tokdir, sizeof tokdir, g_dir, "tokdir");
    assert_int_equal(mkdir(tokdir, 0777), 0);
    const char *vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\ncat\n";
    const char *tcfg = "{\"do_lower_case\": false}\n";
    pb_test_write_file(p, sizeof p, tokdir, "vocab.txt", vocab);
    pb_test_write_file(p, sizeof p, tokdir, "tokenizer_config.json", tcfg);
    pb_test_write_file(p, sizeof p, tokdir, "README.md", "not a tokenizer file\n");
    pb_io_tokenizer t, back;
    assert_int_equal(pb_io_tokenizer_from_path(&t, tokdir), 0);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.name[0], "vocab.txt");
    assert_string_equal(t.name[1], "tokenizer_config.json");
    pb_model m, b;
    pb_test_random_model(&m, PB_MODEL_BERT, PB_HEAD_CLS, 4);
    char *names[3] = {"contradiction", "entailment", "neutral"};
    pb_config_labels labels = {3, names};
    const char *path = tmp_file("tok.h5");
    assert_int_equal(pb_io_save_checkpoint_ex(&m, path, &t, &labels), 0);
    assert_int_equal(pb_io_read_checkpoint_tokenizer(path, &back), 0);
    assert_int_equal(back.n, 2);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(back.name[i], t.name[i]);
        assert_int_equal(back.size[i], t.size[i]);
        assert_memory_equal(back.data[i], t.data[i], t.size[i]);
    }
    /* not a tensor: loads exactly, no extra, the config is unchanged */
    pb_test_random_model(&b, PB_MODEL_BERT, PB_HEAD_CLS, 9);
    int n_missing = -1, n_extra = -1;
    assert_int_equal(pb_io_load_checkpoint(&b, path, 0, &n_missing, &n_extra), 0);
    assert_int_equal(n_missing, 0);
    assert_int_equal(n_extra, 0);
    assert_memory_equal(m.params_mem, b.params_mem, m.n_floats * sizeof(float));
    pb_config cfg;
    assert_int_equal(pb_io_read_checkpoint_config(path, &cfg), 0);
    assert_memory_equal(&cfg, &m.cfg, sizeof cfg);
    pb_config_labels got;
    assert_int_equal(pb_io_read_checkpoint_labels(path, &got), 0);
    assert_int_equal(got.n, 3);
    assert_string_equal(got.names[2], "neutral");
    pb_config_labels_free(&got);
    /* written back as a folder */
    pb_test_path(out, sizeof out, g_dir, "tokout");
    assert_int_equal(mkdir(out, 0777), 0);
    assert_int_equal(pb_io_tokenizer_write(&back, out), 0);
    char *v = pb_test_slurp(pb_test_path(p, sizeof p, out, "vocab.txt"));
    assert_string_equal(v, vocab);
    free(v);
    v = pb_test_slurp(pb_test_path(p, sizeof p, out, "tokenizer_config.json"));
    assert_string_equal(v, tcfg);
    free(v);
    pb_io_tokenizer_free(&back);
    /* a plain checkpoint remembers none; one file is named by its role */
    const char *plain = tmp_file("plain.h5");
    assert_int_equal(pb_io_save_checkpoint(&m, plain), 0);
    assert_int_equal(pb_io_read_checkpoint_tokenizer(plain, &back), 0);
    assert_int_equal(back.n, 0);
    assert_int_equal(pb_io_read_checkpoint_labels(plain, &got), 0);
    assert_int_equal(got.n, 0);
    pb_io_tokenizer_free(&t);
    pb_test_write_file(p, sizeof p, tokdir, "my-words.txt", vocab);
    assert_int_equal(pb_io_tokenizer_from_path(&t, p), 0);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.name[0], "vocab.txt");
    pb_io_tokenizer_free(&t);
    assert_int_equal(pb_io_tokenizer_from_path(&t, tmp_file("nothing-here")), PB_EIO);
    PB_ASSERT_MSG_HAS("nothing-here");
    pb_model_free(&m);
    pb_model_free(&b);
}

static void test_non_finite(void **state) {
    (void)state;
    pb_model m;
    const char *path = saved_model(&m, "nan.h5");
    const char *name = "bert.encoder.layer.0.output.LayerNorm.weight";
    float v[16];
    for (int j = 0; j < 16; j++) v[j] = j == 5 ? NAN : 1.0f;
    replace_dataset(path, name, H5T_IEEE_F32LE, 1, (hsize_t[]){16}, v, H5T_NATIVE_FLOAT);
    assert_int_equal(pb_io_load_checkpoint(&m, path, 0, NULL, NULL), PB_EFORMAT);
    PB_ASSERT_MSG_HAS(name);
    PB_ASSERT_MSG_HAS("index 5");
    pb_model_free(&m);
}

/* Delete the "config" attribute of `path`, which must exist. */
static void delete_config_attr(const char *path) {
    hid_t f = open_rw(path);
    assert_true(H5Adelete(f, "config") >= 0);
    H5Fclose(f);
}

/* Add a scalar "config" attribute of file type `type` to `path`, written from `buf` as `memtype`. */
static void add_config_attr(const char *path, hid_t type, hid_t memtype, const void *buf) {
    hid_t f = open_rw(path);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "config", type, sp, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(a >= 0);
    assert_true(H5Awrite(a, memtype, buf) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
    H5Fclose(f);
}

static void test_config_attribute(void **state) {
    (void)state;
    pb_model m;
    const char *path = saved_model(&m, "cfg.h5");
    pb_config c;
    /* missing */
    delete_config_attr(path);
    assert_int_equal(pb_io_read_checkpoint_config(path, &c), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS(path);
    PB_ASSERT_MSG_HAS("config");
    /* fixed-length string (null-padded, as h5py writes numpy bytes) is accepted */
    char *json = NULL;
    assert_int_equal(pb_config_to_json(&m.cfg, &json), 0);
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, strlen(json));
    H5Tset_strpad(st, H5T_STR_NULLPAD);
    add_config_attr(path, st, st, json);
    H5Tclose(st);
    assert_int_equal(pb_io_read_checkpoint_config(path, &c), 0);
    assert_memory_equal(&c, &m.cfg, sizeof c);
    /* a config that does not parse names the file and the key */
    delete_config_attr(path);
    const char *bad = "{\"model_type\": \"bert\", \"hidden_size\": \"wide\"}";
    st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, H5T_VARIABLE);
    add_config_attr(path, st, st, &bad);
    H5Tclose(st);
    assert_int_equal(pb_io_read_checkpoint_config(path, &c), PB_EFORMAT);
    PB_ASSERT_MSG_HAS(path);
    PB_ASSERT_MSG_HAS("hidden_size");
    /* a numeric attribute */
    delete_config_attr(path);
    int v = 3;
    add_config_attr(path, H5T_STD_I32LE, H5T_NATIVE_INT, &v);
    assert_int_equal(pb_io_read_checkpoint_config(path, &c), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("expected a string");
    free(json);
    pb_model_free(&m);
}

/* HDF5's automatic error stack printing stays off inside the library calls. */
static void test_hdf5_quiet(void **state) {
    (void)state;
    pb_model m;
    const char *path = saved_model(&m, "quiet.h5");
    hid_t f = open_rw(path);
    H5Ldelete(f, "classifier.bias", H5P_DEFAULT);
    H5Adelete(f, "config");
    H5Fclose(f);
    const char *txt = tmp_file("quiet-not-hdf5.h5");
    FILE *tf = fopen(txt, "w");
    assert_non_null(tf);
    fputs("plain text\n", tf);
    fclose(tf);
    const char *log = tmp_file("stderr.txt");
    fflush(stderr);
    int saved = dup(2);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    pb_config c;
    pb_io_batch b;
    int r1 = pb_io_read_checkpoint_config(path, &c);
    int r2 = pb_io_load_checkpoint(&m, path, 0, NULL, NULL);
    int r3 = pb_io_read_batch(&b, path, PB_HEAD_CLS);
    float x;
    int r4 = pb_io_read_tensor(path, "grad/nothing", 0, NULL, &x);
    int r5 = pb_io_read_checkpoint_config(txt, &c); /* H5Fopen fails: HDF5 would print a stack */
    int r6 = pb_io_save_checkpoint(&m, tmp_file("no-such-dir/q.h5"));
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    assert_true(r1 < 0 && r2 < 0 && r3 < 0 && r4 < 0 && r5 < 0 && r6 < 0);
    struct stat st;
    assert_int_equal(stat(log, &st), 0);
    if (st.st_size) print_error("HDF5 printed %lld bytes to stderr\n", (long long)st.st_size);
    assert_int_equal(st.st_size, 0);
    /* the previous automatic handler is restored */
    H5E_auto2_t fn = NULL;
    void *data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &fn, &data);
    assert_non_null(fn);
    pb_model_free(&m);
}

/* ---- batches ------------------------------------------------------------- */

enum { BN = 3, BS = 10, BC = 2 };

typedef struct {
    hsize_t ids_dims[3];
    int ndim;
    int32_t ids[BN * BC * BS], am[BN * BC * BS], tt[BN * BC * BS], labels[BN * BS];
    float labels_f[BN];
} batch_src;

static void batch_src_init(batch_src *s, int mc) {
    memset(s, 0, sizeof *s);
    s->ndim = mc ? 3 : 2;
    s->ids_dims[0] = BN;
    s->ids_dims[1] = mc ? BC : BS;
    s->ids_dims[2] = BS;
    const int rows = BN * (mc ? BC : 1);
    for (int i = 0; i < rows * BS; i++) {
        int r = i / BS, p = i % BS;
        int pad = p >= BS - r % 3;
        s->ids[i] = pad ? 0 : 1 + (i * 7) % 40;
        s->am[i] = !pad;
        s->tt[i] = !pad && p >= 4;
    }
    for (int i = 0; i < BN; i++) {
        s->labels[i] = i % 2;
        s->labels_f[i] = 0.5f * (float)i - 0.25f;
    }
}

/* Write a batch file from `s`, leaving out the dataset named `skip`. */
static const char *write_batch(const batch_src *s, const char *name, const char *skip, int with_labels) {
    const char *path = tmp_file(name);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    if (!skip || strcmp(skip, "input_ids"))
        write_dataset(f, "input_ids", H5T_STD_I32LE, s->ndim, s->ids_dims, s->ids, H5T_NATIVE_INT32);
    if (!skip || strcmp(skip, "attention_mask"))
        write_dataset(f, "attention_mask", H5T_STD_I32LE, s->ndim, s->ids_dims, s->am, H5T_NATIVE_INT32);
    if (!skip || strcmp(skip, "token_type_ids"))
        write_dataset(f, "token_type_ids", H5T_STD_I32LE, s->ndim, s->ids_dims, s->tt, H5T_NATIVE_INT32);
    if (with_labels && (!skip || strcmp(skip, "labels")))
        write_dataset(f, "labels", H5T_STD_I32LE, 1, (hsize_t[]){BN}, s->labels, H5T_NATIVE_INT32);
    H5Fclose(f);
    return path;
}

static void add_dataset_i32(const char *path, const char *name, int ndim, const hsize_t *dims, const int32_t *data) {
    hid_t f = open_rw(path);
    if (H5Lexists(f, name, H5P_DEFAULT) > 0) H5Ldelete(f, name, H5P_DEFAULT);
    write_dataset(f, name, H5T_STD_I32LE, ndim, dims, data, H5T_NATIVE_INT32);
    H5Fclose(f);
}

static void test_batch_read(void **state) {
    (void)state;
    batch_src s;
    batch_src_init(&s, 0);
    const char *path = write_batch(&s, "b_cls.h5", NULL, 1);
    pb_io_batch b;
    assert_int_equal(pb_io_read_batch(&b, path, PB_HEAD_CLS), 0);
    assert_int_equal(b.b.n, BN);
    assert_int_equal(b.b.choices, 1);
    assert_int_equal(b.b.seq, BS);
    assert_memory_equal(b.b.input_ids, s.ids, BN * BS * sizeof(int32_t));
    assert_memory_equal(b.b.attention_mask, s.am, BN * BS * sizeof(int32_t));
    assert_memory_equal(b.b.token_type_ids, s.tt, BN * BS * sizeof(int32_t));
    assert_memory_equal(b.b.labels, s.labels, BN * sizeof(int32_t));
    assert_null(b.b.labels_f);
    pb_io_batch_free(&b);
    assert_null(b.input_ids);

    /* token_type_ids optional */
    path = write_batch(&s, "b_nott.h5", "token_type_ids", 1);
    assert_int_equal(pb_io_read_batch(&b, path, PB_HEAD_CLS), 0);
    assert_null(b.b.token_type_ids);
    pb_io_batch_free(&b);

    /* mc: [n, choices, seq] */
    batch_src_init(&s, 1);
    path = write_batch(&s, "b_mc.h5", NULL, 1);
    assert_int_equal(pb_io_read_batch(&b, path, PB_HEAD_MC), 0);
    assert_int_equal(b.b.n, BN);
    assert_int_equal(b.b.choices, BC);
    assert_int_equal(b.b.seq, BS);
    assert_memory_equal(b.b.input_ids, s.ids, BN * BC * BS * sizeof(int32_t));
    pb_io_batch_free(&b);

    /* reg: float labels; span: positions; mlm: [n, seq] labels */
    batch_src_init(&s, 0);
    path = write_batch(&s, "b_reg.h5", NULL, 0);
    hid_t f = open_rw(path);
    write_dataset(f, "labels", H5T_IEEE_F32LE, 1, (hsize_t[]){BN}, s.labels_f, H5T_NATIVE_FLOAT);
    H5Fclose(f);
    assert_int_equal(pb_io_read_batch(&b, path, PB_HEAD_REG), 0);
    assert_memory_equal(b.b.labels_f, s.labels_f, sizeof s.labels_f);
    pb_io_batch_free(&b);

    path = write_batch(&s, "b_span.h5", NULL, 0);
    int32_t st[BN] = {1, 2, BS}, en[BN] = {3, 2, 4};
    add_dataset_i32(path, "start_positions", 1, (hsize_t[]){BN}, st);
    add_dataset_i32(path, "end_positions", 1, (hsize_t[]){BN}, en);
    assert_int_equal(pb_io_read_batch(&b, path, PB_HEAD_SPAN), 0);
    assert_memory_equal(b.b.start_positions, st, sizeof st);
    assert_memory_equal(b.b.end_positions, en, sizeof en);
    pb_io_batch_free(&b);

    path = write_batch(&s, "b_mlm.h5", NULL, 0);
    int32_t ml[BN * BS];
    for (int i = 0; i < BN * BS; i++) ml[i] = i % 3 ? -100 : i % 40;
    add_dataset_i32(path, "labels", 2, (hsize_t[]){BN, BS}, ml);
    assert_int_equal(pb_io_read_batch(&b, path, PB_HEAD_MLM), 0);
    assert_memory_equal(b.b.labels, ml, sizeof ml);
    pb_io_batch_free(&b);
}

/* Reading `path` with `head` fails with `code`, naming `what` and the file. */
static void expect_batch_error(const char *path, pb_head_kind head, int code, const char *what) {
    pb_io_batch b;
    int rc = pb_io_read_batch(&b, path, head);
    if (rc != code) print_error("expected %s, got %d: %s\n", pb_error_name(code), rc, pb_error_msg());
    assert_int_equal(rc, code);
    PB_ASSERT_MSG_HAS(what);
    PB_ASSERT_MSG_HAS(path);
    assert_null(b.input_ids); /* nothing leaks, nothing half-filled */
}

static void test_batch_errors(void **state) {
    (void)state;
    batch_src s;
    batch_src_init(&s, 0);
    const char *path = write_batch(&s, "bad1.h5", NULL, 1);
    /* attention_mask [3, 9] against input_ids [3, 10] */
    add_dataset_i32(path, "attention_mask", 2, (hsize_t[]){BN, BS - 1}, s.am);
    expect_batch_error(path, PB_HEAD_CLS, PB_ESHAPE, "attention_mask");
    PB_ASSERT_MSG_HAS("[3, 9]");
    PB_ASSERT_MSG_HAS("[3, 10]");
    /* token_type_ids [2, 10] */
    path = write_batch(&s, "bad2.h5", NULL, 1);
    add_dataset_i32(path, "token_type_ids", 2, (hsize_t[]){BN - 1, BS}, s.tt);
    expect_batch_error(path, PB_HEAD_CLS, PB_ESHAPE, "token_type_ids");
    /* labels [2] for n = 3 */
    path = write_batch(&s, "bad3.h5", NULL, 1);
    add_dataset_i32(path, "labels", 1, (hsize_t[]){BN - 1}, s.labels);
    expect_batch_error(path, PB_HEAD_CLS, PB_ESHAPE, "labels");
    /* missing labels / attention_mask / input_ids */
    path = write_batch(&s, "bad4.h5", "labels", 1);
    expect_batch_error(path, PB_HEAD_CLS, PB_ENOTFOUND, "labels");
    path = write_batch(&s, "bad5.h5", "attention_mask", 1);
    expect_batch_error(path, PB_HEAD_CLS, PB_ENOTFOUND, "attention_mask");
    path = write_batch(&s, "bad6.h5", "input_ids", 1);
    expect_batch_error(path, PB_HEAD_CLS, PB_ENOTFOUND, "input_ids");
    /* mc needs [n, choices, seq] */
    path = write_batch(&s, "bad7.h5", NULL, 1);
    expect_batch_error(path, PB_HEAD_MC, PB_ESHAPE, "input_ids");
    PB_ASSERT_MSG_HAS("[n, choices, seq]");
    /* and the others [n, seq] */
    batch_src sm;
    batch_src_init(&sm, 1);
    path = write_batch(&sm, "bad8.h5", NULL, 1);
    expect_batch_error(path, PB_HEAD_CLS, PB_ESHAPE, "input_ids");
    /* mc label outside the choices */
    sm.labels[1] = BC;
    path = write_batch(&sm, "bad9.h5", NULL, 1);
    expect_batch_error(path, PB_HEAD_MC, PB_ERANGE, "labels[1]");
    /* attention_mask values */
    batch_src s2 = s;
    s2.am[13] = 2;
    path = write_batch(&s2, "bad10.h5", NULL, 1);
    expect_batch_error(path, PB_HEAD_CLS, PB_ERANGE, "attention_mask");
    PB_ASSERT_MSG_HAS("row 1, position 3");
    s2 = s;
    for (int i = 0; i < BS; i++) s2.am[2 * BS + i] = 0;
    path = write_batch(&s2, "bad11.h5", NULL, 1);
    expect_batch_error(path, PB_HEAD_CLS, PB_EINVAL, "row 2");
    /* negative token ids */
    s2 = s;
    s2.ids[5] = -3;
    path = write_batch(&s2, "bad12.h5", NULL, 1);
    expect_batch_error(path, PB_HEAD_CLS, PB_ERANGE, "input_ids");
    /* float input_ids */
    path = write_batch(&s, "bad13.h5", "input_ids", 1);
    hid_t f = open_rw(path);
    float fid[BN * BS] = {0};
    write_dataset(f, "input_ids", H5T_IEEE_F32LE, 2, (hsize_t[]){BN, BS}, fid, H5T_NATIVE_FLOAT);
    H5Fclose(f);
    expect_batch_error(path, PB_HEAD_CLS, PB_EFORMAT, "input_ids");
    /* reg labels must be float, mlm labels [n, seq], span needs both positions */
    path = write_batch(&s, "bad14.h5", NULL, 1);
    expect_batch_error(path, PB_HEAD_REG, PB_EFORMAT, "labels");
    expect_batch_error(path, PB_HEAD_MLM, PB_ESHAPE, "labels");
    add_dataset_i32(path, "start_positions", 1, (hsize_t[]){BN}, s.labels);
    expect_batch_error(path, PB_HEAD_SPAN, PB_ENOTFOUND, "end_positions");
    /* an empty batch */
    path = tmp_file("bad15.h5");
    f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    write_dataset(f, "input_ids", H5T_STD_I32LE, 2, (hsize_t[]){0, BS}, s.ids, H5T_NATIVE_INT32);
    H5Fclose(f);
    expect_batch_error(path, PB_HEAD_CLS, PB_ESHAPE, "input_ids");
}

/* ---- gradient dumps ------------------------------------------------------ */

static void test_write_grads(void **state) {
    (void)state;
    const pb_head_kind heads[] = {PB_HEAD_CLS, PB_HEAD_REG, PB_HEAD_SPAN, PB_HEAD_MC, PB_HEAD_MLM};
    for (size_t h = 0; h < 5; h++) {
        pb_model m;
        pb_test_random_model(&m, PB_MODEL_BERT, heads[h], 11);
        batch_src s;
        const int mc = heads[h] == PB_HEAD_MC;
        batch_src_init(&s, mc);
        int32_t st[BN] = {1, 2, BS}, mlm[BN * BS];
        for (int i = 0; i < BN * BS; i++) mlm[i] = i % 3 ? -100 : i % 40;
        pb_batch b = {BN, mc ? BC : 1, BS, s.ids, s.am, s.tt, heads[h] == PB_HEAD_MLM ? mlm : s.labels, s.labels_f,
                      st, st};
        assert_int_equal(pb_model_forward(&m, &b, 0, 0), 0);
        float loss;
        assert_int_equal(pb_loss_task(&m, &b, &loss), 0);
        pb_model_zero_grad(&m);
        assert_int_equal(pb_model_backward(&m), 0);
        const char *path = tmp_file("g.h5");
        assert_int_equal(pb_io_write_grads(&m, loss, path), 0);

        int shape[3] = {BN, 0, 0}, nd = 2;
        switch (heads[h]) {
        case PB_HEAD_CLS: shape[1] = 3; break;
        case PB_HEAD_REG: shape[1] = 1; break;
        case PB_HEAD_SPAN: nd = 3; shape[1] = BS; shape[2] = 2; break;
        case PB_HEAD_MC: shape[1] = BC; break;
        case PB_HEAD_MLM: nd = 3; shape[1] = BS; shape[2] = 50; break;
        }
        float *lg = malloc(m.n_logits * sizeof(float));
        assert_int_equal(pb_io_read_tensor(path, "logits", nd, shape, lg), 0);
        assert_memory_equal(lg, m.logits, m.n_logits * sizeof(float));
        free(lg);
        float l2;
        assert_int_equal(pb_io_read_tensor(path, "loss", 0, NULL, &l2), 0);
        assert_memory_equal(&l2, &loss, sizeof loss);
        for (int i = 0; i < m.n_params; i++) {
            char name[512];
            snprintf(name, sizeof name, "grad/%s", m.params[i].name);
            float *g = malloc(m.params[i].numel * sizeof(float));
            assert_int_equal(pb_io_read_tensor(path, name, m.params[i].ndim, m.params[i].shape, g), 0);
            assert_memory_equal(g, pb_model_grad_data(&m, i), m.params[i].numel * sizeof(float));
            free(g);
        }
        /* a wrong expected shape is reported with both shapes */
        shape[0] = BN + 1;
        float dummy[1];
        assert_int_equal(pb_io_read_tensor(path, "logits", nd, shape, dummy), PB_ESHAPE);
        PB_ASSERT_MSG_HAS("logits");
        PB_ASSERT_MSG_HAS(path);
        assert_int_equal(pb_io_read_tensor(path, "grad/nope", 0, NULL, dummy), PB_ENOTFOUND);
        PB_ASSERT_MSG_HAS("grad/nope");
        pb_model_free(&m);
    }
    /* before any forward pass there is nothing to write */
    pb_model m;
    pb_test_random_model(&m, PB_MODEL_BERT, PB_HEAD_CLS, 1);
    assert_int_equal(pb_io_write_grads(&m, 0.0f, tmp_file("never.h5")), PB_EINVAL);
    assert_int_equal(access(tmp_file("never.h5"), F_OK), -1);
    pb_model_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoint_roundtrip),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_wrong_shape),
        cmocka_unit_test(test_missing_tensor),
        cmocka_unit_test(test_extra_and_float64),
        cmocka_unit_test(test_tokenizer_and_labels),
        cmocka_unit_test(test_non_finite),
        cmocka_unit_test(test_config_attribute),
        cmocka_unit_test(test_hdf5_quiet),
        cmocka_unit_test(test_batch_read),
        cmocka_unit_test(test_batch_errors),
        cmocka_unit_test(test_write_grads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
