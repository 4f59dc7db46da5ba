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
#include <unistd.h>

#include "pb_error.h"

/* ---- helpers ------------------------------------------------------------- */

typedef struct {
    H5E_auto2_t func;
    void *data;
} h5_quiet;

static void quiet_begin(h5_quiet *q) {
    q->func = NULL;
    q->data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}
static void quiet_end(const h5_quiet *q) { H5Eset_auto2(H5E_DEFAULT, q->func, q->data); }

static void close_id(hid_t *id, herr_t (*closer)(hid_t)) {
    if (*id >= 0) closer(*id);
    *id = -1;
}

/* "[3, 10]" ("[]" for a scalar). */
static const char *shape_str(char *buf, size_t size, int ndim, const hsize_t *dims) {
    size_t k = 0;
    k += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ndim && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%llu", i ? ", " : "", (unsigned long long)dims[i]);
    if (k < size) snprintf(buf + k, size - k, "]");
    return buf;
}
static const char *int_shape_str(char *buf, size_t size, int ndim, const int *shape) {
    hsize_t d[H5S_MAX_RANK];
    for (int i = 0; i < ndim && i < H5S_MAX_RANK; i++) d[i] = (hsize_t)shape[i];
    return shape_str(buf, size, ndim, d);
}

static const char *class_name(H5T_class_t c) {
    switch (c) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "float";
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    case H5T_ARRAY: return "array";
    case H5T_VLEN: return "variable-length";
    default: return "non-numeric";
    }
}

/* Open `path` read-only; `what` names the file's role in messages. */
static int open_read(const char *path, const char *what, hid_t *out) {
    *out = -1;
    if (!path) return PB_ERR(PB_EINVAL, "%s: no path given", what);
    FILE *fp = fopen(path, "rb");
    if (!fp) return PB_ERR(PB_EIO, "cannot open %s '%s': %s", what, path, strerror(errno));
    fclose(fp);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return PB_ERR(PB_EFORMAT, "%s '%s' is not a readable HDF5 file", what, path);
    *out = f;
    return 0;
}

/* Does the link `name` exist (each component of a path like grad/x)? */
static int link_exists(hid_t loc, const char *name) {
    char buf[1024];
    if (strlen(name) >= sizeof buf) return 0;
    snprintf(buf, sizeof buf, "%s", name);
    for (char *p = buf; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        int e = H5Lexists(loc, buf, H5P_DEFAULT) > 0;
        *p = '/';
        if (!e) return 0;
    }
    return H5Lexists(loc, buf, H5P_DEFAULT) > 0;
}

typedef struct {
    hid_t ds;
    H5T_class_t cls;
    int ndim; /* 0 = scalar */
    hsize_t dims[H5S_MAX_RANK];
} ds_info;

/* Open dataset `name` and describe it. The caller closes info->ds. */
static int open_dataset(hid_t file, const char *path, const char *name, ds_info *info) {
    info->ds = -1;
    if (!link_exists(file, name)) return PB_ERR(PB_ENOTFOUND, "'%s' has no dataset '%s'", path, name);
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    if (ds < 0) return PB_ERR(PB_EFORMAT, "'%s' in '%s' is not a readable dataset", name, path);
    hid_t t = H5Dget_type(ds), sp = H5Dget_space(ds);
    int rc = 0;
    if (t < 0 || sp < 0) {
        rc = PB_ERR(PB_EFORMAT, "cannot read the type and shape of dataset '%s' in '%s'", name, path);
    } else {
        info->cls = H5Tget_class(t);
        H5S_class_t sc = H5Sget_simple_extent_type(sp);
        if (sc == H5S_SCALAR) {
            info->ndim = 0;
        } else if (sc == H5S_SIMPLE) {
            int nd = H5Sget_simple_extent_ndims(sp);
            if (nd < 0 || nd > H5S_MAX_RANK || H5Sget_simple_extent_dims(sp, info->dims, NULL) < 0)
                rc = PB_ERR(PB_EFORMAT, "cannot read the shape of dataset '%s' in '%s'", name, path);
            info->ndim = nd;
        } else {
            rc = PB_ERR(PB_EFORMAT, "dataset '%s' in '%s' has an empty (null) dataspace", name, path);
        }
    }
    close_id(&t, H5Tclose);
    close_id(&sp, H5Sclose);
    if (rc < 0) {
        H5Dclose(ds);
        return rc;
    }
    info->ds = ds;
    return 0;
}

static int shape_equals(const ds_info *info, int ndim, const int *shape) {
    if (info->ndim != ndim) return 0;
    for (int i = 0; i < ndim; i++)
        if (info->dims[i] != (hsize_t)shape[i]) return 0;
    return 1;
}

static int check_float_shape(const ds_info *info, const char *path, const char *name, int ndim, const int *shape) {
    char got[128], want[128];
    if (info->cls != H5T_FLOAT)
        return PB_ERR(PB_EFORMAT, "tensor '%s' in '%s' has %s type; expected float32", name, path,
                      class_name(info->cls));
    if (!shape_equals(info, ndim, shape))
        return PB_ERR(PB_ESHAPE, "tensor '%s' in '%s' has shape %s; expected %s", name, path,
                      shape_str(got, sizeof got, info->ndim, info->dims), int_shape_str(want, sizeof want, ndim, shape));
    return 0;
}

static size_t shape_numel(int ndim, const int *shape) {
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)shape[i];
    return n;
}

static int check_finite(const float *x, size_t n, const char *path, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return PB_ERR(PB_EFORMAT, "tensor '%s' in '%s' has a non-finite value (%g) at flat index %zu", name, path,
                          (double)x[i], i);
    return 0;
}

/* ---- atomic writes ------------------------------------------------------- */

static char *temp_path(const char *path) {
    size_t n = strlen(path) + 32;
    char *t = malloc(n);
    if (t) snprintf(t, n, "%s.tmp.%ld", path, (long)getpid());
    return t;
}

/* Flush the finished temp file to disk and rename it over `path`. */
static int commit_temp(const char *tmp, const char *path) {
    int fd = open(tmp, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    if (rename(tmp, path) != 0)
        return PB_ERR(PB_EIO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
    return 0;
}

/* End a write to temp file `tmp` (file id `f`, HDF5 quiet since `q`) with status
 * `rc`: close the file and end the quiet; on success move tmp over `path`, on
 * failure remove tmp. Frees tmp; returns the final status. */
static int finish_temp_file(hid_t f, char *tmp, const char *path, const h5_quiet *q, int rc) {
    if (f >= 0 && H5Fclose(f) < 0 && rc == 0) rc = PB_ERR(PB_EIO, "cannot finish writing '%s'", tmp);
    quiet_end(q);
    if (rc == 0) rc = commit_temp(tmp, path);
    if (rc < 0) remove(tmp);
    free(tmp);
    return rc;
}

/* File creation: links in creation order, no timestamps (byte-identical output). */
static hid_t create_file(const char *tmp) {
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (fcpl < 0) return -1;
    H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    return f;
}

static hid_t dataset_plist(void) {
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl >= 0) H5Pset_obj_track_times(dcpl, 0);
    return dcpl;
}

/* float32 dataset `name` of shape (ndim 0 = scalar) from native floats. */
static int write_floats(hid_t loc, hid_t dcpl, const char *path, const char *name, int ndim, const int *shape,
                        const float *data) {
    hsize_t dims[H5S_MAX_RANK];
    for (int i = 0; i < ndim; i++) dims[i] = (hsize_t)shape[i];
    hid_t sp = ndim ? H5Screate_simple(ndim, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t ds = sp < 0 ? -1 : H5Dcreate2(loc, name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int ok = ds >= 0 && H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    if (ds >= 0 && H5Dclose(ds) < 0) ok = 0;
    close_id(&sp, H5Sclose);
    if (!ok) return PB_ERR(PB_EIO, "cannot write tensor '%s' to '%s'", name, path);
    return 0;
}

/* Scalar variable-length UTF-8 string attribute on `loc`. */
static int write_string_attr(hid_t loc, const char *path, const char *name, const char *text) {
    hid_t st = H5Tcopy(H5T_C_S1);
    int ok = st >= 0 && H5Tset_size(st, H5T_VARIABLE) >= 0 && H5Tset_cset(st, H5T_CSET_UTF8) >= 0;
    hid_t sp = ok ? H5Screate(H5S_SCALAR) : -1;
    hid_t a = sp >= 0 ? H5Acreate2(loc, name, st, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    ok = a >= 0 && H5Awrite(a, st, &text) >= 0;
    if (a >= 0 && H5Aclose(a) < 0) ok = 0;
    close_id(&sp, H5Sclose);
    close_id(&st, H5Tclose);
    if (!ok) return PB_ERR(PB_EIO, "cannot write attribute '%s' to '%s'", name, path);
    return 0;
}

/* ---- checkpoint ---------------------------------------------------------- */

/* Read a scalar (or one-element) string attribute, variable- or fixed-length. */
static int read_string_attr(hid_t loc, const char *path, const char *name, char **out) {
    *out = NULL;
    htri_t ex = H5Aexists(loc, name);
    if (ex <= 0)
        return PB_ERR(PB_ENOTFOUND, "'%s' has no root attribute '%s' (expected config.json text)", path, name);
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t ft = a >= 0 ? H5Aget_type(a) : -1;
    hid_t sp = a >= 0 ? H5Aget_space(a) : -1;
    hid_t mt = -1;
    int rc = 0;
    if (ft < 0 || sp < 0) {
        rc = PB_ERR(PB_EFORMAT, "cannot open attribute '%s' of '%s'", name, path);
        goto done;
    }
    if (H5Tget_class(ft) != H5T_STRING) {
        rc = PB_ERR(PB_EFORMAT, "attribute '%s' of '%s' has %s type; expected a string", name, path,
                    class_name(H5Tget_class(ft)));
        goto done;
    }
    hssize_t npts = H5Sget_simple_extent_npoints(sp);
    if (npts != 1) {
        rc = PB_ERR(PB_EFORMAT, "attribute '%s' of '%s' holds %lld strings; expected one", name, path,
                    (long long)npts);
        goto done;
    }
    mt = H5Tcopy(H5T_C_S1);
    if (mt < 0) {
        rc = PB_ERR(PB_EFORMAT, "attribute '%s' of '%s': cannot make a string type", name, path);
        goto done;
    }
    H5Tset_cset(mt, H5Tget_cset(ft));
    if (H5Tis_variable_str(ft) > 0) {
        char *vs = NULL;
        if (H5Tset_size(mt, H5T_VARIABLE) < 0 || H5Aread(a, mt, &vs) < 0) {
            rc = PB_ERR(PB_EFORMAT, "cannot read string attribute '%s' of '%s'", name, path);
            goto done;
        }
        *out = strdup(vs ? vs : "");
        if (vs) H5free_memory(vs);
    } else {
        size_t len = H5Tget_size(ft);
        if (len == 0 || len > (64u << 20)) {
            rc = PB_ERR(PB_EFORMAT, "attribute '%s' of '%s' has an implausible string size %zu", name, path, len);
            goto done;
        }
        char *buf = calloc(len + 1, 1);
        if (!buf) {
            rc = PB_ERR(PB_ENOMEM, "attribute '%s' of '%s' (%zu bytes)", name, path, len);
            goto done;
        }
        if (H5Tset_size(mt, len + 1) < 0 || H5Tset_strpad(mt, H5T_STR_NULLTERM) < 0 || H5Aread(a, mt, buf) < 0) {
            free(buf);
            rc = PB_ERR(PB_EFORMAT, "cannot read string attribute '%s' of '%s'", name, path);
            goto done;
        }
        buf[len] = '\0';
        *out = buf;
        goto done;
    }
    if (!*out) rc = PB_ERR(PB_ENOMEM, "attribute '%s' of '%s'", name, path);
done:
    close_id(&mt, H5Tclose);
    close_id(&ft, H5Tclose);
    close_id(&sp, H5Sclose);
    close_id(&a, H5Aclose);
    return rc;
}

int pb_io_read_checkpoint_config(const char *path, pb_config *cfg) {
    if (!cfg) return PB_ERR(PB_EINVAL, "pb_io_read_checkpoint_config: NULL config");
    h5_quiet q;
    quiet_begin(&q);
    hid_t f;
    int rc = open_read(path, "checkpoint", &f);
    char *text = NULL;
    if (rc == 0) rc = read_string_attr(f, path, "config", &text);
    if (rc == 0) {
        char source[1200];
        snprintf(source, sizeof source, "%s (attribute config)", path);
        rc = pb_config_parse_json(cfg, text, source);
    }
    free(text);
    close_id(&f, H5Fclose);
    quiet_end(&q);
    return rc;
}

/* Names of the root links that are not parameters of m. */
static int count_extras(hid_t f, const char *path, const pb_model *m, int *n_extra) {
    H5G_info_t gi;
    if (H5Gget_info(f, &gi) < 0) return PB_ERR(PB_EFORMAT, "cannot list the root group of '%s'", path);
    int extra = 0;
    char name[1024];
    for (hsize_t i = 0; i < gi.nlinks; i++) {
        ssize_t len = H5Lget_name_by_idx(f, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
        if (len < 0) return PB_ERR(PB_EFORMAT, "cannot list the root group of '%s'", path);
        if ((size_t)len >= sizeof name || pb_model_find_param(m, name) < 0) extra++;
    }
    *n_extra = extra;
    return 0;
}

int pb_io_load_checkpoint(pb_model *m, const char *path, int allow_missing, int *n_missing, int *n_extra) {
    if (n_missing) *n_missing = 0;
    if (n_extra) *n_extra = 0;
    if (!m || !m->params) return PB_ERR(PB_EINVAL, "pb_io_load_checkpoint: model not initialized");
    h5_quiet q;
    quiet_begin(&q);
    hid_t f;
    int rc = open_read(path, "checkpoint", &f);
    int missing = 0, first_missing = -1;
    /* pass 1: presence, type and shape of every tensor, before touching the model */
    for (int i = 0; rc == 0 && i < m->n_params; i++) {
        const pb_param *p = &m->params[i];
        if (!link_exists(f, p->name)) {
            if (first_missing < 0) first_missing = i;
            missing++;
            continue;
        }
        ds_info info;
        rc = open_dataset(f, path, p->name, &info);
        if (rc == 0) rc = check_float_shape(&info, path, p->name, p->ndim, p->shape);
        close_id(&info.ds, H5Dclose);
    }
    if (rc == 0 && missing && !allow_missing) {
        char want[128];
        const pb_param *p = &m->params[first_missing];
        char more[64] = "";
        if (missing > 1) snprintf(more, sizeof more, " and %d more of the model's %d", missing - 1, m->n_params);
        rc = PB_ERR(PB_ENOTFOUND, "checkpoint '%s' lacks tensor '%s' (expected float32 %s)%s", path, p->name,
                    int_shape_str(want, sizeof want, p->ndim, p->shape), more);
    }
    /* pass 2: read */
    for (int i = 0; rc == 0 && i < m->n_params; i++) {
        const pb_param *p = &m->params[i];
        if (!link_exists(f, p->name)) continue;
        float *dst = m->params_mem + p->offset;
        hid_t ds = H5Dopen2(f, p->name, H5P_DEFAULT);
        if (ds < 0 || H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0)
            rc = PB_ERR(PB_EIO, "cannot read tensor '%s' from '%s'", p->name, path);
        close_id(&ds, H5Dclose);
        if (rc == 0) rc = check_finite(dst, p->numel, path, p->name);
    }
    if (rc == 0) {
        if (n_missing) *n_missing = missing;
        if (n_extra) rc = count_extras(f, path, m, n_extra);
    }
    close_id(&f, H5Fclose);
    quiet_end(&q);
    return rc;
}

/* One dataset per parameter of `m` under `loc`, named as the parameter, with its
 * values at base + offset (base: params_mem or grads_mem). */
static int write_param_set(hid_t loc, hid_t dcpl, const char *path, const pb_model *m, const float *base) {
    for (int i = 0; i < m->n_params; i++) {
        const pb_param *p = &m->params[i];
        if (strchr(p->name, '/'))
            return PB_ERR(PB_EINVAL, "parameter name '%s' contains '/', which HDF5 reads as a group", p->name);
        int rc = write_floats(loc, dcpl, path, p->name, p->ndim, p->shape, base + p->offset);
        if (rc != 0) return rc;
    }
    return 0;
}

int pb_io_save_checkpoint(const pb_model *m, const char *path) {
    if (!m || !m->params || !path) return PB_ERR(PB_EINVAL, "pb_io_save_checkpoint: model or path missing");
    char *json = NULL;
    PB_TRY(pb_config_to_json(&m->cfg, &json));
    char *tmp = temp_path(path);
    if (!tmp) {
        free(json);
        return PB_ERR(PB_ENOMEM, "temp path for '%s'", path);
    }
    h5_quiet q;
    quiet_begin(&q);
    int rc = 0;
    hid_t dcpl = dataset_plist();
    hid_t f = create_file(tmp);
    if (f < 0 || dcpl < 0) rc = PB_ERR(PB_EIO, "cannot create checkpoint file '%s'", tmp);
    if (rc == 0) rc = write_string_attr(f, path, "config", json);
    if (rc == 0) rc = write_param_set(f, dcpl, path, m, m->params_mem);
    close_id(&dcpl, H5Pclose);
    rc = finish_temp_file(f, tmp, path, &q, rc);
    free(json);
    return rc;
}

/* ---- batch --------------------------------------------------------------- */

/* Read integer (want_float 0) or float (1) dataset `name` of exactly `ndim` x dims. */
static int read_exact(hid_t f, const char *path, const char *name, int want_float, int ndim, const int *shape,
                      const char *shape_names, void **out) {
    *out = NULL;
    ds_info info;
    PB_TRY(open_dataset(f, path, name, &info));
    int rc = 0;
    char got[128], want[128];
    H5T_class_t want_cls = want_float ? H5T_FLOAT : H5T_INTEGER;
    if (info.cls != want_cls) {
        rc = PB_ERR(PB_EFORMAT, "dataset '%s' in '%s' has %s type; expected %s", name, path, class_name(info.cls),
                    want_float ? "float32" : "int32");
    } else if (!shape_equals(&info, ndim, shape)) {
        rc = PB_ERR(PB_ESHAPE, "dataset '%s' in '%s' has shape %s; expected %s %s (from input_ids)", name, path,
                    shape_str(got, sizeof got, info.ndim, info.dims), shape_names,
                    int_shape_str(want, sizeof want, ndim, shape));
    } else {
        size_t n = shape_numel(ndim, shape);
        void *buf = malloc((n ? n : 1) * 4);
        if (!buf) {
            rc = PB_ERR(PB_ENOMEM, "dataset '%s' of '%s' (%zu values)", name, path, n);
        } else if (H5Dread(info.ds, want_float ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                           buf) < 0) {
            free(buf);
            rc = PB_ERR(PB_EIO, "cannot read dataset '%s' from '%s'", name, path);
        } else {
            *out = buf;
        }
    }
    close_id(&info.ds, H5Dclose);
    return rc;
}

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
    ds_info info;
    PB_TRY(open_dataset(f, path, "input_ids", &info));
    H5T_class_t cls = info.cls;
    int ndim = info.ndim;
    hsize_t d[H5S_MAX_RANK];
    memcpy(d, info.dims, sizeof d);
    close_id(&info.ds, H5Dclose);
    char got[128];
    if (cls != H5T_INTEGER)
        return PB_ERR(PB_EFORMAT, "dataset 'input_ids' in '%s' has %s type; expected int32", path, class_name(cls));
    if (ndim != (mc ? 3 : 2))
        return PB_ERR(PB_ESHAPE, "dataset 'input_ids' in '%s' has shape %s; the %s head expects %s", path,
                      shape_str(got, sizeof got, ndim, d), pb_head_name(head), mc ? "[n, choices, seq]" : "[n, seq]");
    for (int i = 0; i < ndim; i++)
        if (d[i] == 0 || d[i] > (hsize_t)INT_MAX)
            return PB_ERR(PB_ESHAPE, "dataset 'input_ids' in '%s' has shape %s; every dimension must be in [1, %d]",
                          path, shape_str(got, sizeof got, ndim, d), INT_MAX);
    const int n = (int)d[0], choices = mc ? (int)d[1] : 1, seq = (int)d[ndim - 1];
    if ((unsigned long long)n * (unsigned long long)choices * (unsigned long long)seq > (unsigned long long)INT_MAX)
        return PB_ERR(PB_ERANGE, "batch '%s' has %d x %d x %d tokens; at most %d are supported", path, n, choices, seq,
                      INT_MAX);
    const size_t N = (size_t)n * (size_t)choices * (size_t)seq, rows = (size_t)n * (size_t)choices;
    int tok_shape[3];
    for (int i = 0; i < ndim; i++) tok_shape[i] = (int)d[i];
    const char *tok_names = mc ? "[n, choices, seq]" : "[n, seq]";
    void *p;

    PB_TRY(read_exact(f, path, "input_ids", 0, ndim, tok_shape, tok_names, &p));
    out->input_ids = p;
    for (size_t i = 0; i < N; i++)
        if (out->input_ids[i] < 0)
            return PB_ERR(PB_ERANGE, "input_ids in '%s': value %d at row %zu, position %zu is negative; expected token ids",
                          path, out->input_ids[i], i / (size_t)seq, i % (size_t)seq);

    PB_TRY(read_exact(f, path, "attention_mask", 0, ndim, tok_shape, tok_names, &p));
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

    if (link_exists(f, "token_type_ids")) {
        PB_TRY(read_exact(f, path, "token_type_ids", 0, ndim, tok_shape, tok_names, &p));
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
        PB_TRY(read_exact(f, path, "labels", 0, 1, shape_n, "[n]", &p));
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
        PB_TRY(read_exact(f, path, "labels", 1, 1, shape_n, "[n]", &p));
        out->labels_f = p;
        PB_TRY(check_finite(out->labels_f, (size_t)n, path, "labels"));
        break;
    case PB_HEAD_MLM:
        PB_TRY(read_exact(f, path, "labels", 0, 2, shape_ns, "[n, seq]", &p));
        out->labels = p;
        for (size_t i = 0; i < N; i++)
            if (out->labels[i] < 0 && out->labels[i] != -100)
                return PB_ERR(PB_ERANGE, "labels in '%s': value %d at row %zu, position %zu; expected a token id or -100",
                              path, out->labels[i], i / (size_t)seq, i % (size_t)seq);
        break;
    case PB_HEAD_SPAN:
        PB_TRY(read_exact(f, path, "start_positions", 0, 1, shape_n, "[n]", &p));
        out->start_positions = p;
        PB_TRY(read_exact(f, path, "end_positions", 0, 1, shape_n, "[n]", &p));
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
    h5_quiet q;
    quiet_begin(&q);
    hid_t f;
    int rc = open_read(path, "batch", &f);
    if (rc == 0) rc = read_batch(out, f, path, head);
    close_id(&f, H5Fclose);
    quiet_end(&q);
    if (rc < 0) pb_io_batch_free(out);
    return rc;
}

/* ---- tensors and gradient dumps ------------------------------------------ */

int pb_io_read_tensor(const char *path, const char *name, int ndim, const int *shape, float *out) {
    if (!name || !out || ndim < 0 || ndim > H5S_MAX_RANK || (ndim && !shape))
        return PB_ERR(PB_EINVAL, "pb_io_read_tensor: bad arguments");
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0) return PB_ERR(PB_EINVAL, "pb_io_read_tensor: negative dimension for '%s'", name);
    h5_quiet q;
    quiet_begin(&q);
    hid_t f;
    int rc = open_read(path, "tensor file", &f);
    ds_info info = {-1, H5T_NO_CLASS, 0, {0}};
    if (rc == 0) rc = open_dataset(f, path, name, &info);
    if (rc == 0) rc = check_float_shape(&info, path, name, ndim, shape);
    if (rc == 0 && H5Dread(info.ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
        rc = PB_ERR(PB_EIO, "cannot read tensor '%s' from '%s'", name, path);
    if (rc == 0) rc = check_finite(out, shape_numel(ndim, shape), path, name);
    close_id(&info.ds, H5Dclose);
    close_id(&f, H5Fclose);
    quiet_end(&q);
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
    if (lnd < 0 || shape_numel(lnd, lshape) != m->n_logits)
        return PB_ERR(PB_EINVAL, "pb_io_write_grads: %zu logits do not match the %s head's shape", m->n_logits,
                      pb_head_name(m->head));
    char *tmp = temp_path(path);
    if (!tmp) return PB_ERR(PB_ENOMEM, "temp path for '%s'", path);
    h5_quiet q;
    quiet_begin(&q);
    int rc = 0;
    hid_t dcpl = dataset_plist(), g = -1, gcpl = -1;
    hid_t f = create_file(tmp);
    if (f < 0 || dcpl < 0) rc = PB_ERR(PB_EIO, "cannot create gradient file '%s'", tmp);
    if (rc == 0) rc = write_string_attr(f, path, "head", pb_head_name(m->head));
    if (rc == 0) rc = write_floats(f, dcpl, path, "logits", lnd, lshape, m->logits);
    if (rc == 0) rc = write_floats(f, dcpl, path, "loss", 0, NULL, &loss);
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
    close_id(&g, H5Gclose);
    close_id(&gcpl, H5Pclose);
    close_id(&dcpl, H5Pclose);
    return finish_temp_file(f, tmp, path, &q, rc);
}
