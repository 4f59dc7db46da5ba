#include "h5util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pb_error.h"

/* ---- helpers ------------------------------------------------------------- */

void pb_h5_quiet_begin(pb_h5_quiet *q) {
    q->func = NULL;
    q->data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}
void pb_h5_quiet_end(const pb_h5_quiet *q) { H5Eset_auto2(H5E_DEFAULT, q->func, q->data); }

void pb_h5_close_id(hid_t *id, herr_t (*closer)(hid_t)) {
    if (*id >= 0) closer(*id);
    *id = -1;
}

/* "[3, 10]" ("[]" for a scalar). */
const char *pb_h5_shape_str(char *buf, size_t size, int ndim, const hsize_t *dims) {
    size_t k = 0;
    k += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ndim && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%llu", i ? ", " : "", (unsigned long long)dims[i]);
    if (k < size) snprintf(buf + k, size - k, "]");
    return buf;
}
const char *pb_h5_int_shape_str(char *buf, size_t size, int ndim, const int *shape) {
    hsize_t d[H5S_MAX_RANK];
    for (int i = 0; i < ndim && i < H5S_MAX_RANK; i++) d[i] = (hsize_t)shape[i];
    return pb_h5_shape_str(buf, size, ndim, d);
}

const char *pb_h5_class_name(H5T_class_t c) {
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
int pb_h5_open_read(const char *path, const char *what, hid_t *out) {
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
int pb_h5_link_exists(hid_t loc, const char *name) {
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

/* Open dataset `name` and describe it. The caller closes info->ds. */
int pb_h5_open_dataset(hid_t file, const char *path, const char *name, pb_h5_ds_info *info) {
    info->ds = -1;
    if (!pb_h5_link_exists(file, name)) return PB_ERR(PB_ENOTFOUND, "'%s' has no dataset '%s'", path, name);
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
    pb_h5_close_id(&t, H5Tclose);
    pb_h5_close_id(&sp, H5Sclose);
    if (rc < 0) {
        H5Dclose(ds);
        return rc;
    }
    info->ds = ds;
    return 0;
}

int pb_h5_shape_equals(const pb_h5_ds_info *info, int ndim, const int *shape) {
    if (info->ndim != ndim) return 0;
    for (int i = 0; i < ndim; i++)
        if (info->dims[i] != (hsize_t)shape[i]) return 0;
    return 1;
}

int pb_h5_check_float_shape(const pb_h5_ds_info *info, const char *path, const char *name, int ndim, const int *shape) {
    char got[128], want[128];
    if (info->cls != H5T_FLOAT)
        return PB_ERR(PB_EFORMAT, "tensor '%s' in '%s' has %s type; expected float32", name, path,
                      pb_h5_class_name(info->cls));
    if (!pb_h5_shape_equals(info, ndim, shape))
        return PB_ERR(PB_ESHAPE, "tensor '%s' in '%s' has shape %s; expected %s", name, path,
                      pb_h5_shape_str(got, sizeof got, info->ndim, info->dims), pb_h5_int_shape_str(want, sizeof want, ndim, shape));
    return 0;
}

size_t pb_h5_shape_numel(int ndim, const int *shape) {
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)shape[i];
    return n;
}

int pb_h5_check_finite(const float *x, size_t n, const char *path, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return PB_ERR(PB_EFORMAT, "tensor '%s' in '%s' has a non-finite value (%g) at flat index %zu", name, path,
                          (double)x[i], i);
    return 0;
}

/* ---- atomic writes ------------------------------------------------------- */

char *pb_h5_temp_path(const char *path) {
    size_t n = strlen(path) + 32;
    char *t = malloc(n);
    if (t) snprintf(t, n, "%s.tmp.%ld", path, (long)getpid());
    return t;
}

/* Flush the finished temp file to disk and rename it over `path`. */
int pb_h5_commit_temp(const char *tmp, const char *path) {
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
int pb_h5_finish_temp_file(hid_t f, char *tmp, const char *path, const pb_h5_quiet *q, int rc) {
    if (f >= 0 && H5Fclose(f) < 0 && rc == 0) rc = PB_ERR(PB_EIO, "cannot finish writing '%s'", tmp);
    pb_h5_quiet_end(q);
    if (rc == 0) rc = pb_h5_commit_temp(tmp, path);
    if (rc < 0) remove(tmp);
    free(tmp);
    return rc;
}

/* File creation: links in creation order, no timestamps (byte-identical output). */
hid_t pb_h5_create_file(const char *tmp) {
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (fcpl < 0) return -1;
    H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    return f;
}

hid_t pb_h5_dataset_plist(void) {
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl >= 0) H5Pset_obj_track_times(dcpl, 0);
    return dcpl;
}

/* float32 dataset `name` of shape (ndim 0 = scalar) from native floats. */
int pb_h5_write_floats(hid_t loc, hid_t dcpl, const char *path, const char *name, int ndim, const int *shape,
                        const float *data) {
    hsize_t dims[H5S_MAX_RANK];
    for (int i = 0; i < ndim; i++) dims[i] = (hsize_t)shape[i];
    hid_t sp = ndim ? H5Screate_simple(ndim, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t ds = sp < 0 ? -1 : H5Dcreate2(loc, name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int ok = ds >= 0 && H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    if (ds >= 0 && H5Dclose(ds) < 0) ok = 0;
    pb_h5_close_id(&sp, H5Sclose);
    if (!ok) return PB_ERR(PB_EIO, "cannot write tensor '%s' to '%s'", name, path);
    return 0;
}

/* Scalar variable-length UTF-8 string attribute on `loc`. */
int pb_h5_write_string_attr(hid_t loc, const char *path, const char *name, const char *text) {
    hid_t st = H5Tcopy(H5T_C_S1);
    int ok = st >= 0 && H5Tset_size(st, H5T_VARIABLE) >= 0 && H5Tset_cset(st, H5T_CSET_UTF8) >= 0;
    hid_t sp = ok ? H5Screate(H5S_SCALAR) : -1;
    hid_t a = sp >= 0 ? H5Acreate2(loc, name, st, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    ok = a >= 0 && H5Awrite(a, st, &text) >= 0;
    if (a >= 0 && H5Aclose(a) < 0) ok = 0;
    pb_h5_close_id(&sp, H5Sclose);
    pb_h5_close_id(&st, H5Tclose);
    if (!ok) return PB_ERR(PB_EIO, "cannot write attribute '%s' to '%s'", name, path);
    return 0;
}

/* ---- checkpoint ---------------------------------------------------------- */

/* Read a scalar (or one-element) string attribute, variable- or fixed-length. */
int pb_h5_read_string_attr(hid_t loc, const char *path, const char *name, char **out) {
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
                    pb_h5_class_name(H5Tget_class(ft)));
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
    pb_h5_close_id(&mt, H5Tclose);
    pb_h5_close_id(&ft, H5Tclose);
    pb_h5_close_id(&sp, H5Sclose);
    pb_h5_close_id(&a, H5Aclose);
    return rc;
}

/* Read integer (want_float 0) or float (1) dataset `name` of exactly `ndim` x dims. */
int pb_h5_read_exact(hid_t f, const char *path, const char *name, int want_float, int ndim, const int *shape,
                      const char *shape_names, void **out) {
    *out = NULL;
    pb_h5_ds_info info;
    PB_TRY(pb_h5_open_dataset(f, path, name, &info));
    int rc = 0;
    char got[128], want[128];
    H5T_class_t want_cls = want_float ? H5T_FLOAT : H5T_INTEGER;
    if (info.cls != want_cls) {
        rc = PB_ERR(PB_EFORMAT, "dataset '%s' in '%s' has %s type; expected %s", name, path, pb_h5_class_name(info.cls),
                    want_float ? "float32" : "int32");
    } else if (!pb_h5_shape_equals(&info, ndim, shape)) {
        rc = PB_ERR(PB_ESHAPE, "dataset '%s' in '%s' has shape %s; expected %s %s (from input_ids)", name, path,
                    pb_h5_shape_str(got, sizeof got, info.ndim, info.dims), shape_names,
                    pb_h5_int_shape_str(want, sizeof want, ndim, shape));
    } else {
        size_t n = pb_h5_shape_numel(ndim, shape);
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
    pb_h5_close_id(&info.ds, H5Dclose);
    return rc;
}


int pb_h5_write_double_attr(hid_t loc, const char *path, const char *name, double value) {
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp >= 0 ? H5Acreate2(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int ok = a >= 0 && H5Awrite(a, H5T_NATIVE_DOUBLE, &value) >= 0;
    if (a >= 0 && H5Aclose(a) < 0) ok = 0;
    pb_h5_close_id(&sp, H5Sclose);
    if (!ok) return PB_ERR(PB_EIO, "cannot write attribute '%s' to '%s'", name, path);
    return 0;
}

int pb_h5_read_double_attr(hid_t loc, const char *path, const char *name, double *value) {
    if (H5Aexists(loc, name) <= 0) return PB_ERR(PB_ENOTFOUND, "'%s' has no attribute '%s'", path, name);
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    int ok = a >= 0 && H5Aread(a, H5T_NATIVE_DOUBLE, value) >= 0;
    pb_h5_close_id(&a, H5Aclose);
    if (!ok) return PB_ERR(PB_EFORMAT, "attribute '%s' of '%s' is not a number", name, path);
    return 0;
}

int pb_h5_read_floats_n(hid_t f, const char *path, const char *name, float *out, size_t n) {
    pb_h5_ds_info info;
    PB_TRY(pb_h5_open_dataset(f, path, name, &info));
    size_t have = 1;
    for (int i = 0; i < info.ndim; i++) have *= (size_t)info.dims[i];
    int rc = 0;
    if (info.cls != H5T_FLOAT)
        rc = PB_ERR(PB_EFORMAT, "dataset '%s' in '%s' has %s type; expected float32", name, path,
                    pb_h5_class_name(info.cls));
    else if (have != n)
        rc = PB_ERR(PB_ESHAPE, "dataset '%s' in '%s' has %zu values; expected %zu", name, path, have, n);
    else if (n && H5Dread(info.ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
        rc = PB_ERR(PB_EIO, "cannot read dataset '%s' from '%s'", name, path);
    pb_h5_close_id(&info.ds, H5Dclose);
    return rc;
}

int pb_h5_make_group(hid_t loc, const char *path, const char *name, hid_t *out) {
    *out = -1;
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    if (gcpl >= 0) {
        H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
        H5Pset_obj_track_times(gcpl, 0);
    }
    hid_t g = gcpl >= 0 ? H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT) : -1;
    pb_h5_close_id(&gcpl, H5Pclose);
    if (g < 0) return PB_ERR(PB_EIO, "cannot create group '%s' in '%s'", name, path);
    *out = g;
    return 0;
}
