/* HDF5 files of the engine: checkpoints, batches, gradient dumps.
 *
 * Every public function silences HDF5's automatic error printing for its
 * duration (and restores the previous handler), and turns HDF5 failures into
 * PB_E* errors naming the file and the dataset. Writers go through a temp file
 * "<path>.tmp.<pid>" renamed into place, so a reader never sees half a file. */
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h5util.h"
#include "pb_error.h"

int pb_io_read_checkpoint_config(const char *path, pb_config *cfg) {
    if (!cfg) return PB_ERR(PB_EINVAL, "pb_io_read_checkpoint_config: NULL config");
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    hid_t f;
    int rc = pb_h5_open_read(path, "checkpoint", &f);
    char *text = NULL;
    if (rc == 0) rc = pb_h5_read_string_attr(f, path, "config", &text);
    if (rc == 0) {
        char source[1200];
        snprintf(source, sizeof source, "%s (attribute config)", path);
        rc = pb_config_parse_json(cfg, text, source);
    }
    free(text);
    pb_h5_close_id(&f, H5Fclose);
    pb_h5_quiet_end(&q);
    return rc;
}


/* The root links that are not parameters of m (the tokenizer group is not a
 * tensor): counted, and named in rep when rep is not NULL. */
static int count_extras(hid_t f, const char *path, const pb_model *m, int *n_extra, pb_st_report *rep) {
    H5G_info_t gi;
    if (H5Gget_info(f, &gi) < 0) return PB_ERR(PB_EFORMAT, "cannot list the root group of '%s'", path);
    int extra = 0, rc = 0;
    char name[1024];
    for (hsize_t i = 0; rc == 0 && i < gi.nlinks; i++) {
        ssize_t len = H5Lget_name_by_idx(f, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
        if (len < 0) {
            rc = PB_ERR(PB_EFORMAT, "cannot list the root group of '%s'", path);
            break;
        }
        if ((size_t)len < sizeof name && strcmp(name, PB_IO_TOKENIZER_GROUP) == 0) continue;
        if ((size_t)len >= sizeof name || pb_model_find_param(m, name) < 0) {
            /* the list holds exactly `extra` names, also on failure */
            if (rep) rc = pb_st_names_push(&rep->unexpected, &extra, (size_t)len < sizeof name ? name : "(long name)");
            else extra++;
        }
    }
    *n_extra = extra;
    return rc;
}

static int load_checkpoint(pb_model *m, const char *path, int allow_missing, int *n_missing, int *n_extra,
                           pb_st_report *rep);

int pb_io_load_checkpoint(pb_model *m, const char *path, int allow_missing, int *n_missing, int *n_extra) {
    int rc = load_checkpoint(m, path, allow_missing, n_missing, n_extra, NULL);
    if (rc < 0) {
        if (n_missing) *n_missing = 0;
        if (n_extra) *n_extra = 0;
    }
    return rc;
}


int pb_io_load_checkpoint_report(pb_model *m, const char *path, int allow_missing, pb_st_report *rep) {
    if (!rep) return PB_ERR(PB_EINVAL, "pb_io_load_checkpoint_report: NULL report");
    unsigned char *loaded = rep->loaded;
    memset(rep, 0, sizeof *rep);
    int missing = 0, extra = 0;
    int rc = load_checkpoint(m, path, allow_missing, &missing, &extra, rep);
    if (rc == 0) {
        rep->n_missing = missing;
        rep->n_extra = extra;
        /* the short text of the first unexpected names, as the safetensors report has */
        for (int i = 0; i < extra; i++) {
            size_t used = strlen(rep->extra), need = strlen(rep->unexpected[i]) + (used ? 2 : 0);
            if (used + need + 4 >= sizeof rep->extra) {
                strcat(rep->extra, used ? ",..." : "...");
                break;
            }
            if (used) strcat(rep->extra, ", ");
            strcat(rep->extra, rep->unexpected[i]);
        }
        if (loaded)
            for (int i = 0; i < m->n_params; i++) {
                loaded[i] = 1;
                for (int j = 0; j < missing; j++)
                    if (strcmp(rep->missing[j], m->params[i].name) == 0) loaded[i] = 0;
            }
    } else {
        /* the lists grew with their own counters: the counts say how many */
        pb_st_names_free(rep->unexpected, extra);
        pb_st_names_free(rep->missing, missing);
        memset(rep, 0, sizeof *rep);
    }
    rep->loaded = loaded;
    return rc;
}

static int load_checkpoint(pb_model *m, const char *path, int allow_missing, int *n_missing, int *n_extra,
                           pb_st_report *rep) {
    if (n_missing) *n_missing = 0;
    if (n_extra) *n_extra = 0;
    if (!m || !m->params) return PB_ERR(PB_EINVAL, "pb_io_load_checkpoint: model not initialized");
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    hid_t f;
    int rc = pb_h5_open_read(path, "checkpoint", &f);
    int missing = 0, first_missing = -1;
    /* pass 1: presence, type and shape of every tensor, before touching the model */
    for (int i = 0; rc == 0 && i < m->n_params; i++) {
        const pb_param *p = &m->params[i];
        if (!pb_h5_link_exists(f, p->name)) {
            if (first_missing < 0) first_missing = i;
            /* the list holds exactly `missing` names, also on failure */
            if (rep) rc = pb_st_names_push(&rep->missing, &missing, p->name);
            else missing++;
            continue;
        }
        pb_h5_ds_info info;
        rc = pb_h5_open_dataset(f, path, p->name, &info);
        if (rc == 0) rc = pb_h5_check_float_shape(&info, path, p->name, p->ndim, p->shape);
        pb_h5_close_id(&info.ds, H5Dclose);
    }
    if (rc == 0 && missing && !allow_missing) {
        char want[128];
        const pb_param *p = &m->params[first_missing];
        char more[64] = "";
        if (missing > 1) snprintf(more, sizeof more, " and %d more of the model's %d", missing - 1, m->n_params);
        rc = PB_ERR(PB_ENOTFOUND, "checkpoint '%s' lacks tensor '%s' (expected float32 %s)%s", path, p->name,
                    pb_h5_int_shape_str(want, sizeof want, p->ndim, p->shape), more);
    }
    /* pass 2: read */
    for (int i = 0; rc == 0 && i < m->n_params; i++) {
        const pb_param *p = &m->params[i];
        if (!pb_h5_link_exists(f, p->name)) continue;
        float *dst = m->params_mem + p->offset;
        hid_t ds = H5Dopen2(f, p->name, H5P_DEFAULT);
        if (ds < 0 || H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0)
            rc = PB_ERR(PB_EIO, "cannot read tensor '%s' from '%s'", p->name, path);
        pb_h5_close_id(&ds, H5Dclose);
        if (rc == 0) rc = pb_h5_check_finite(dst, p->numel, path, p->name);
    }
    if (n_missing) *n_missing = missing;
    if (rc == 0 && (n_extra || rep)) {
        int extra = 0;
        rc = count_extras(f, path, m, &extra, rep);
        if (n_extra) *n_extra = extra;
    }
    pb_h5_close_id(&f, H5Fclose);
    pb_h5_quiet_end(&q);
    return rc;
}

/* One dataset per parameter of `m` under `loc`, named as the parameter, with its
 * values at base + offset (base: params_mem or grads_mem). */
static int write_param_set(hid_t loc, hid_t dcpl, const char *path, const pb_model *m, const float *base) {
    for (int i = 0; i < m->n_params; i++) {
        const pb_param *p = &m->params[i];
        if (strchr(p->name, '/'))
            return PB_ERR(PB_EINVAL, "parameter name '%s' contains '/', which HDF5 reads as a group", p->name);
        int rc = pb_h5_write_floats(loc, dcpl, path, p->name, p->ndim, p->shape, base + p->offset);
        if (rc != 0) return rc;
    }
    return 0;
}

/* ---- tokenizer files kept in a checkpoint ------------------------------------ */

static const char *const k_tok_files[] = {"tokenizer.json",        "vocab.txt", "vocab.json", "merges.txt",
                                          "tokenizer_config.json", "special_tokens_map.json"};
enum { N_TOK_FILES = sizeof k_tok_files / sizeof k_tok_files[0] };
_Static_assert(N_TOK_FILES <= PB_IO_TOKENIZER_MAX_FILES, "tokenizer file table");

static int known_tok_file(const char *name) {
    for (int i = 0; i < N_TOK_FILES; i++)
        if (strcmp(name, k_tok_files[i]) == 0) return 1;
    return 0;
}

void pb_io_tokenizer_free(pb_io_tokenizer *t) {
    if (!t) return;
    for (int i = 0; i < t->n; i++) free(t->data[i]);
    memset(t, 0, sizeof *t);
}

/* Append file `name` with a copy of data[0, size). */
static int tok_add(pb_io_tokenizer *t, const char *name, unsigned char *data, size_t size) {
    if (t->n >= PB_IO_TOKENIZER_MAX_FILES) {
        free(data);
        return PB_ERR(PB_EINVAL, "tokenizer: more than %d files", PB_IO_TOKENIZER_MAX_FILES);
    }
    snprintf(t->name[t->n], sizeof t->name[t->n], "%s", name);
    t->data[t->n] = data;
    t->size[t->n] = size;
    t->n++;
    return 0;
}

static int read_whole_file(const char *path, unsigned char **out, size_t *size) {
    *out = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return PB_ERR(PB_EIO, "cannot open tokenizer file '%s': %s", path, strerror(errno));
    int rc = 0;
    if (fseeko(f, 0, SEEK_END) != 0) rc = PB_ERR(PB_EIO, "cannot seek in '%s': %s", path, strerror(errno));
    off_t n = rc == 0 ? ftello(f) : -1;
    if (rc == 0 && (n < 0 || (unsigned long long)n > PB_IO_TOKENIZER_MAX_BYTES))
        rc = PB_ERR(PB_EFORMAT, "tokenizer file '%s' is %lld bytes; expected at most %llu", path, (long long)n,
                    (unsigned long long)PB_IO_TOKENIZER_MAX_BYTES);
    if (rc == 0 && fseeko(f, 0, SEEK_SET) != 0) rc = PB_ERR(PB_EIO, "cannot seek in '%s'", path);
    unsigned char *buf = NULL;
    if (rc == 0) {
        buf = malloc((size_t)n + 1);
        if (!buf) rc = PB_ERR(PB_ENOMEM, "tokenizer file '%s' (%lld bytes)", path, (long long)n);
    }
    if (rc == 0 && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)
        rc = PB_ERR(PB_EIO, "cannot read tokenizer file '%s'", path);
    fclose(f);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *size = (size_t)n;
    return 0;
}

int pb_io_tokenizer_from_path(pb_io_tokenizer *t, const char *path) {
    if (!t || !path) return PB_ERR(PB_EINVAL, "pb_io_tokenizer_from_path: NULL argument");
    memset(t, 0, sizeof *t);
    struct stat st;
    if (stat(path, &st) != 0) return PB_ERR(PB_EIO, "tokenizer '%s': %s", path, strerror(errno));
    int rc = 0;
    char p[4200];
    if (S_ISDIR(st.st_mode)) {
        for (int i = 0; rc == 0 && i < N_TOK_FILES; i++) {
            snprintf(p, sizeof p, "%s/%s", path, k_tok_files[i]);
            if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) continue;
            unsigned char *data;
            size_t size;
            rc = read_whole_file(p, &data, &size);
            if (rc == 0) rc = tok_add(t, k_tok_files[i], data, size);
        }
    } else {
        /* one file: a *.json is a tokenizer.json, anything else a vocab.txt (as the tokenizer loader reads them) */
        size_t n = strlen(path);
        const char *name = n >= 5 && strcmp(path + n - 5, ".json") == 0 ? "tokenizer.json" : "vocab.txt";
        unsigned char *data;
        size_t size;
        rc = read_whole_file(path, &data, &size);
        if (rc == 0) rc = tok_add(t, name, data, size);
    }
    if (rc < 0) pb_io_tokenizer_free(t);
    return rc;
}

int pb_io_tokenizer_write(const pb_io_tokenizer *t, const char *dir) {
    if (!t || !dir) return PB_ERR(PB_EINVAL, "pb_io_tokenizer_write: NULL argument");
    for (int i = 0; i < t->n; i++) {
        if (!known_tok_file(t->name[i]))
            return PB_ERR(PB_EINVAL, "tokenizer file name '%s' is not one of the known ones", t->name[i]);
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, t->name[i]);
        char *tmp = pb_h5_temp_path(p);
        if (!tmp) return PB_ERR(PB_ENOMEM, "temp path for '%s'", p);
        FILE *f = fopen(tmp, "wb");
        int rc = 0;
        if (!f) rc = PB_ERR(PB_EIO, "cannot create '%s': %s", tmp, strerror(errno));
        if (rc == 0) {
            int ok = t->size[i] == 0 || fwrite(t->data[i], 1, t->size[i], f) == t->size[i];
            if (fclose(f) != 0) ok = 0;
            if (!ok) rc = PB_ERR(PB_EIO, "cannot write '%s': %s", tmp, strerror(errno));
            if (rc == 0) rc = pb_h5_commit_temp(tmp, p);
            if (rc < 0) remove(tmp);
        }
        free(tmp);
        PB_TRY(rc);
    }
    return 0;
}

/* The tokenizer group of an open checkpoint into t (n = 0 when absent). */
static int read_tokenizer_group(hid_t f, const char *path, pb_io_tokenizer *t) {
    if (H5Lexists(f, PB_IO_TOKENIZER_GROUP, H5P_DEFAULT) <= 0) return 0;
    hid_t g = H5Gopen2(f, PB_IO_TOKENIZER_GROUP, H5P_DEFAULT);
    if (g < 0) return PB_ERR(PB_EFORMAT, "checkpoint '%s': '%s' is not a group", path, PB_IO_TOKENIZER_GROUP);
    H5G_info_t gi;
    int rc = H5Gget_info(g, &gi) < 0 ? PB_ERR(PB_EFORMAT, "cannot list group '%s' of '%s'", PB_IO_TOKENIZER_GROUP, path)
                                     : 0;
    /* in the order written (creation order), or by name in a file that does not track it */
    unsigned crt = 0;
    hid_t gcpl = H5Gget_create_plist(g);
    if (gcpl >= 0 && H5Pget_link_creation_order(gcpl, &crt) < 0) crt = 0;
    pb_h5_close_id(&gcpl, H5Pclose);
    const H5_index_t order = (crt & H5P_CRT_ORDER_INDEXED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    char name[64];
    for (hsize_t i = 0; rc == 0 && i < gi.nlinks; i++) {
        ssize_t len = H5Lget_name_by_idx(g, ".", order, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
        if (len < 0) {
            rc = PB_ERR(PB_EFORMAT, "cannot list group '%s' of '%s'", PB_IO_TOKENIZER_GROUP, path);
            break;
        }
        if ((size_t)len >= sizeof name || !known_tok_file(name)) continue; /* not a file the tokenizer reads */
        hid_t ds = H5Dopen2(g, name, H5P_DEFAULT), sp = ds >= 0 ? H5Dget_space(ds) : -1;
        hsize_t dims[1] = {0};
        const int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
        if (nd == 1) H5Sget_simple_extent_dims(sp, dims, NULL);
        unsigned char *buf = NULL;
        if (nd != 1 || dims[0] > PB_IO_TOKENIZER_MAX_BYTES)
            rc = PB_ERR(PB_EFORMAT, "checkpoint '%s': '%s/%s' is not a 1-D byte dataset of at most %llu bytes", path,
                        PB_IO_TOKENIZER_GROUP, name, (unsigned long long)PB_IO_TOKENIZER_MAX_BYTES);
        if (rc == 0 && !(buf = malloc((size_t)dims[0] + 1)))
            rc = PB_ERR(PB_ENOMEM, "'%s/%s' of '%s'", PB_IO_TOKENIZER_GROUP, name, path);
        if (rc == 0 && dims[0] > 0 && H5Dread(ds, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
            rc = PB_ERR(PB_EIO, "cannot read '%s/%s' from '%s'", PB_IO_TOKENIZER_GROUP, name, path);
        pb_h5_close_id(&sp, H5Sclose);
        pb_h5_close_id(&ds, H5Dclose);
        if (rc == 0) rc = tok_add(t, name, buf, (size_t)dims[0]);
        else free(buf);
    }
    H5Gclose(g);
    return rc;
}

int pb_io_read_checkpoint_tokenizer(const char *path, pb_io_tokenizer *t) {
    if (!t) return PB_ERR(PB_EINVAL, "pb_io_read_checkpoint_tokenizer: NULL output");
    memset(t, 0, sizeof *t);
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    hid_t f;
    int rc = pb_h5_open_read(path, "checkpoint", &f);
    if (rc == 0) rc = read_tokenizer_group(f, path, t);
    pb_h5_close_id(&f, H5Fclose);
    pb_h5_quiet_end(&q);
    if (rc < 0) pb_io_tokenizer_free(t);
    return rc;
}

int pb_io_read_checkpoint_labels(const char *path, pb_config_labels *labels) {
    if (!labels) return PB_ERR(PB_EINVAL, "pb_io_read_checkpoint_labels: NULL output");
    labels->n = 0;
    labels->names = NULL;
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    hid_t f;
    int rc = pb_h5_open_read(path, "checkpoint", &f);
    char *text = NULL;
    if (rc == 0) rc = pb_h5_read_string_attr(f, path, "config", &text);
    pb_h5_close_id(&f, H5Fclose);
    pb_h5_quiet_end(&q);
    if (rc == 0) {
        char source[1200];
        snprintf(source, sizeof source, "%s (attribute config)", path);
        rc = pb_config_parse_labels(text, source, labels);
    }
    free(text);
    return rc;
}

static int write_tokenizer_group(hid_t f, hid_t dcpl, const char *path, const pb_io_tokenizer *t) {
    hid_t g;
    PB_TRY(pb_h5_make_group(f, path, PB_IO_TOKENIZER_GROUP, &g));
    int rc = 0;
    for (int i = 0; rc == 0 && i < t->n; i++) {
        if (!known_tok_file(t->name[i])) {
            rc = PB_ERR(PB_EINVAL, "'%s': tokenizer file name '%s' is not one of the known ones", path, t->name[i]);
            break;
        }
        hsize_t dims[1] = {(hsize_t)t->size[i]};
        hid_t sp = H5Screate_simple(1, dims, NULL);
        hid_t ds = sp < 0 ? -1 : H5Dcreate2(g, t->name[i], H5T_STD_U8LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        int ok = ds >= 0 &&
                 (t->size[i] == 0 || H5Dwrite(ds, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->data[i]) >= 0);
        if (ds >= 0 && H5Dclose(ds) < 0) ok = 0;
        pb_h5_close_id(&sp, H5Sclose);
        if (!ok) rc = PB_ERR(PB_EIO, "cannot write '%s/%s' to '%s'", PB_IO_TOKENIZER_GROUP, t->name[i], path);
    }
    H5Gclose(g);
    return rc;
}

int pb_io_save_checkpoint(const pb_model *m, const char *path) {
    return pb_io_save_checkpoint_ex(m, path, NULL, NULL);
}

int pb_io_save_checkpoint_ex(const pb_model *m, const char *path, const pb_io_tokenizer *tok,
                             const pb_config_labels *labels) {
    if (!m || !m->params || !path) return PB_ERR(PB_EINVAL, "pb_io_save_checkpoint: model or path missing");
    char *json = NULL;
    /* with class names, the config text carries them (id2label), as config.json does */
    if (labels && labels->n > 0) PB_TRY(pb_config_to_hf_json(&m->cfg, NULL, labels, &json));
    else PB_TRY(pb_config_to_json(&m->cfg, &json));
    char *tmp = pb_h5_temp_path(path);
    if (!tmp) {
        free(json);
        return PB_ERR(PB_ENOMEM, "temp path for '%s'", path);
    }
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    int rc = 0;
    hid_t dcpl = pb_h5_dataset_plist();
    hid_t f = pb_h5_create_file(tmp);
    if (f < 0 || dcpl < 0) rc = PB_ERR(PB_EIO, "cannot create checkpoint file '%s'", tmp);
    if (rc == 0) rc = pb_h5_write_string_attr(f, path, "config", json);
    if (rc == 0) rc = write_param_set(f, dcpl, path, m, m->params_mem);
    if (rc == 0 && tok && tok->n > 0) {
        if (pb_model_find_param(m, PB_IO_TOKENIZER_GROUP) >= 0)
            rc = PB_ERR(PB_EINVAL, "'%s': a parameter is named '%s', the tokenizer group's name", path,
                        PB_IO_TOKENIZER_GROUP);
        else rc = write_tokenizer_group(f, dcpl, path, tok);
    }
    pb_h5_close_id(&dcpl, H5Pclose);
    rc = pb_h5_finish_temp_file(f, tmp, path, &q, rc);
    free(json);
    return rc;
}

/* ---- batch --------------------------------------------------------------- */

void pb_io_batch_free(pb_io_batch *b) {
    if (!b) return;
    free(b->input_ids);
    free(b->attention_mask);
    free(b->token_type_ids);
    free(b->labels);
    free(b->start_positions);
    free(b->end_positions);
    free(b->labels_f);
    memset(b, 0, sizeof *b);
}

static int read_batch(pb_io_batch *out, hid_t f, const char *path, pb_head_kind head) {
    const int mc = head == PB_HEAD_MC;
    pb_h5_ds_info info;
    PB_TRY(pb_h5_open_dataset(f, path, "input_ids", &info));
    H5T_class_t cls = info.cls;
    int ndim = info.ndim;
    hsize_t d[H5S_MAX_RANK];
    memcpy(d, info.dims, sizeof d);
    pb_h5_close_id(&info.ds, H5Dclose);
    char got[128];
    if (cls != H5T_INTEGER)
        return PB_ERR(PB_EFORMAT, "dataset 'input_ids' in '%s' has %s type; expected int32", path, pb_h5_class_name(cls));
    if (ndim != (mc ? 3 : 2))
        return PB_ERR(PB_ESHAPE, "dataset 'input_ids' in '%s' has shape %s; the %s head expects %s", path,
                      pb_h5_shape_str(got, sizeof got, ndim, d), pb_head_name(head), mc ? "[n, choices, seq]" : "[n, seq]");
    for (int i = 0; i < ndim; i++)
        if (d[i] == 0 || d[i] > (hsize_t)INT_MAX)
            return PB_ERR(PB_ESHAPE, "dataset 'input_ids' in '%s' has shape %s; every dimension must be in [1, %d]",
                          path, pb_h5_shape_str(got, sizeof got, ndim, d), INT_MAX);
    const int n = (int)d[0], choices = mc ? (int)d[1] : 1, seq = (int)d[ndim - 1];
    if ((unsigned long long)n * (unsigned long long)choices * (unsigned long long)seq > (unsigned long long)INT_MAX)
        return PB_ERR(PB_ERANGE, "batch '%s' has %d x %d x %d tokens; at most %d are supported", path, n, choices, seq,
                      INT_MAX);
    const size_t N = (size_t)n * (size_t)choices * (size_t)seq, rows = (size_t)n * (size_t)choices;
    int tok_shape[3];
    for (int i = 0; i < ndim; i++) tok_shape[i] = (int)d[i];
    const char *tok_names = mc ? "[n, choices, seq]" : "[n, seq]";
    void *p;

    PB_TRY(pb_h5_read_exact(f, path, "input_ids", 0, ndim, tok_shape, tok_names, &p));
    out->input_ids = p;
    for (size_t i = 0; i < N; i++)
        if (out->input_ids[i] < 0)
            return PB_ERR(PB_ERANGE, "input_ids in '%s': value %d at row %zu, position %zu is negative; expected token ids",
                          path, out->input_ids[i], i / (size_t)seq, i % (size_t)seq);

    PB_TRY(pb_h5_read_exact(f, path, "attention_mask", 0, ndim, tok_shape, tok_names, &p));
    out->attention_mask = p;
    for (size_t r = 0; r < rows; r++) {
        int any = 0;
        for (size_t s = 0; s < (size_t)seq; s++) {
            int32_t v = out->attention_mask[r * (size_t)seq + s];
            if (v != 0 && v != 1)
                return PB_ERR(PB_ERANGE, "attention_mask in '%s': value %d at row %zu, position %zu; expected 0 or 1",
                              path, v, r, s);
            any |= v;
        }
        if (!any)
            return PB_ERR(PB_EINVAL, "attention_mask in '%s': row %zu attends to no token; expected at least one 1",
                          path, r);
    }

    if (pb_h5_link_exists(f, "token_type_ids")) {
        PB_TRY(pb_h5_read_exact(f, path, "token_type_ids", 0, ndim, tok_shape, tok_names, &p));
        out->token_type_ids = p;
        for (size_t i = 0; i < N; i++)
            if (out->token_type_ids[i] < 0)
                return PB_ERR(PB_ERANGE, "token_type_ids in '%s': value %d at row %zu, position %zu is negative", path,
                              out->token_type_ids[i], i / (size_t)seq, i % (size_t)seq);
    }

    const int shape_n[1] = {n}, shape_ns[2] = {n, seq};
    switch (head) {
    case PB_HEAD_CLS:
    case PB_HEAD_MC:
        PB_TRY(pb_h5_read_exact(f, path, "labels", 0, 1, shape_n, "[n]", &p));
        out->labels = p;
        for (int i = 0; i < n; i++) {
            if (mc && (out->labels[i] < 0 || out->labels[i] >= choices))
                return PB_ERR(PB_ERANGE, "labels in '%s': labels[%d] = %d; expected a choice index in [0, %d)", path,
                              i, out->labels[i], choices);
            if (!mc && out->labels[i] < 0)
                return PB_ERR(PB_ERANGE, "labels in '%s': labels[%d] = %d; expected a class index >= 0", path, i,
                              out->labels[i]);
        }
        break;
    case PB_HEAD_REG:
        PB_TRY(pb_h5_read_exact(f, path, "labels", 1, 1, shape_n, "[n]", &p));
        out->labels_f = p;
        PB_TRY(pb_h5_check_finite(out->labels_f, (size_t)n, path, "labels"));
        break;
    case PB_HEAD_MLM:
        PB_TRY(pb_h5_read_exact(f, path, "labels", 0, 2, shape_ns, "[n, seq]", &p));
        out->labels = p;
        for (size_t i = 0; i < N; i++)
            if (out->labels[i] < 0 && out->labels[i] != -100)
                return PB_ERR(PB_ERANGE, "labels in '%s': value %d at row %zu, position %zu; expected a token id or -100",
                              path, out->labels[i], i / (size_t)seq, i % (size_t)seq);
        break;
    case PB_HEAD_SPAN:
        PB_TRY(pb_h5_read_exact(f, path, "start_positions", 0, 1, shape_n, "[n]", &p));
        out->start_positions = p;
        PB_TRY(pb_h5_read_exact(f, path, "end_positions", 0, 1, shape_n, "[n]", &p));
        out->end_positions = p;
        break;
    default: return PB_ERR(PB_EINVAL, "unknown head kind %d", (int)head);
    }

    pb_batch b = {n,
                  choices,
                  seq,
                  out->input_ids,
                  out->attention_mask,
                  out->token_type_ids,
                  out->labels,
                  out->labels_f,
                  out->start_positions,
                  out->end_positions};
    out->b = b;
    return 0;
}

int pb_io_read_batch(pb_io_batch *out, const char *path, pb_head_kind head) {
    if (!out) return PB_ERR(PB_EINVAL, "pb_io_read_batch: NULL output");
    memset(out, 0, sizeof *out);
    if ((unsigned)head > PB_HEAD_MLM) return PB_ERR(PB_EINVAL, "unknown head kind %d", (int)head);
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    hid_t f;
    int rc = pb_h5_open_read(path, "batch", &f);
    if (rc == 0) rc = read_batch(out, f, path, head);
    pb_h5_close_id(&f, H5Fclose);
    pb_h5_quiet_end(&q);
    if (rc < 0) pb_io_batch_free(out);
    return rc;
}

/* ---- tensors and gradient dumps ------------------------------------------ */

int pb_io_read_tensor(const char *path, const char *name, int ndim, const int *shape, float *out) {
    if (!name || !out || ndim < 0 || ndim > H5S_MAX_RANK || (ndim && !shape))
        return PB_ERR(PB_EINVAL, "pb_io_read_tensor: bad arguments");
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0) return PB_ERR(PB_EINVAL, "pb_io_read_tensor: negative dimension for '%s'", name);
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    hid_t f;
    int rc = pb_h5_open_read(path, "tensor file", &f);
    pb_h5_ds_info info = {-1, H5T_NO_CLASS, 0, {0}};
    if (rc == 0) rc = pb_h5_open_dataset(f, path, name, &info);
    if (rc == 0) rc = pb_h5_check_float_shape(&info, path, name, ndim, shape);
    if (rc == 0 && H5Dread(info.ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
        rc = PB_ERR(PB_EIO, "cannot read tensor '%s' from '%s'", name, path);
    if (rc == 0) rc = pb_h5_check_finite(out, pb_h5_shape_numel(ndim, shape), path, name);
    pb_h5_close_id(&info.ds, H5Dclose);
    pb_h5_close_id(&f, H5Fclose);
    pb_h5_quiet_end(&q);
    return rc;
}

/* Logits shape of the last forward: cls [n, C], reg [n, 1], span [n, seq, 2], mc [n, choices], mlm [n, seq, V]. */
static int logits_shape(const pb_model *m, int shape[3]) {
    switch (m->head) {
    case PB_HEAD_CLS: shape[0] = m->n; shape[1] = m->cfg.num_labels; return 2;
    case PB_HEAD_REG: shape[0] = m->n; shape[1] = 1; return 2;
    case PB_HEAD_SPAN: shape[0] = m->n; shape[1] = m->seq; shape[2] = 2; return 3;
    case PB_HEAD_MC: shape[0] = m->n; shape[1] = m->choices; return 2;
    case PB_HEAD_MLM: shape[0] = m->n; shape[1] = m->seq; shape[2] = m->cfg.vocab_size; return 3;
    }
    return -1;
}

int pb_io_write_grads(const pb_model *m, float loss, const char *path) {
    if (!m || !m->params || !path) return PB_ERR(PB_EINVAL, "pb_io_write_grads: model or path missing");
    if (!m->logits || m->n <= 0 || m->seq <= 0)
        return PB_ERR(PB_EINVAL, "pb_io_write_grads: no forward pass yet, so there are no logits to write");
    int lshape[3];
    int lnd = logits_shape(m, lshape);
    if (lnd < 0 || pb_h5_shape_numel(lnd, lshape) != m->n_logits)
        return PB_ERR(PB_EINVAL, "pb_io_write_grads: %zu logits do not match the %s head's shape", m->n_logits,
                      pb_head_name(m->head));
    char *tmp = pb_h5_temp_path(path);
    if (!tmp) return PB_ERR(PB_ENOMEM, "temp path for '%s'", path);
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    int rc = 0;
    hid_t dcpl = pb_h5_dataset_plist(), g = -1, gcpl = -1;
    hid_t f = pb_h5_create_file(tmp);
    if (f < 0 || dcpl < 0) rc = PB_ERR(PB_EIO, "cannot create gradient file '%s'", tmp);
    if (rc == 0) rc = pb_h5_write_string_attr(f, path, "head", pb_head_name(m->head));
    if (rc == 0) rc = pb_h5_write_floats(f, dcpl, path, "logits", lnd, lshape, m->logits);
    if (rc == 0) rc = pb_h5_write_floats(f, dcpl, path, "loss", 0, NULL, &loss);
    if (rc == 0) {
        gcpl = H5Pcreate(H5P_GROUP_CREATE);
        if (gcpl >= 0) {
            H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
            H5Pset_obj_track_times(gcpl, 0);
        }
        g = gcpl >= 0 ? H5Gcreate2(f, "grad", H5P_DEFAULT, gcpl, H5P_DEFAULT) : -1;
        if (g < 0) rc = PB_ERR(PB_EIO, "cannot create group 'grad' in '%s'", path);
    }
    if (rc == 0) rc = write_param_set(g, dcpl, path, m, m->grads_mem);
    pb_h5_close_id(&g, H5Gclose);
    pb_h5_close_id(&gcpl, H5Pclose);
    pb_h5_close_id(&dcpl, H5Pclose);
    return pb_h5_finish_temp_file(f, tmp, path, &q, rc);
}
