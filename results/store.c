#include "store.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell_result.h"
#include "h5util.h"
#include "pb_error.h"

/* Names of the groups of a cell result file that the experiment file copies. */
static const char *const COPIED_GROUPS[] = {"metrics", "evals", "curves", "audit", "costs"};
/* Prefix of the cell result's root attributes on the experiment's cell group. */
#define RESULT_PREFIX "result_"

enum { WHERE_MAX = 1200, METRIC_NAME_MAX = 32 };

static const char *str_or_empty(const char *s) { return s ? s : ""; }

static int is_id(const char *id) {
    if (!id || strlen(id) != 16) return 0;
    for (int i = 0; i < 16; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'))) return 0;
    return 1;
}

/* "<file>:/cells/<id>" names a cell in messages. */
static const char *cell_where(char buf[WHERE_MAX], const char *path, const char *id) {
    snprintf(buf, WHERE_MAX, "%s:/cells/%s", path, id);
    return buf;
}

/* ---- small HDF5 writers (static: h5util has only float32 and scalar attrs) ---- */


/* 1-D dataset [n] of file type ftype from memory type mtype. */
static int write_vec(hid_t loc, hid_t dcpl, const char *path, const char *name, hid_t ftype, hid_t mtype, size_t n,
                     const void *data) {
    hsize_t dims[1] = {(hsize_t)n};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t ds = sp < 0 ? -1 : H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int ok = ds >= 0 && (n == 0 || H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    if (ds >= 0 && H5Dclose(ds) < 0) ok = 0;
    pb_h5_close_id(&sp, H5Sclose);
    if (!ok) return PB_ERR(PB_EIO, "cannot write dataset '%s' to '%s'", name, path);
    return 0;
}

static hid_t utf8_type(void) {
    hid_t st = H5Tcopy(H5T_C_S1);
    if (st >= 0 && (H5Tset_size(st, H5T_VARIABLE) < 0 || H5Tset_cset(st, H5T_CSET_UTF8) < 0)) {
        H5Tclose(st);
        st = -1;
    }
    return st;
}

static int write_strings(hid_t loc, hid_t dcpl, const char *path, const char *name, size_t n, const char **s) {
    hid_t st = utf8_type();
    if (st < 0) return PB_ERR(PB_EIO, "cannot make the string type of dataset '%s' in '%s'", name, path);
    int rc = write_vec(loc, dcpl, path, name, st, st, n, s);
    H5Tclose(st);
    return rc;
}

static int write_int_attr(hid_t loc, const char *path, const char *name, int value) {
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp >= 0 ? H5Acreate2(loc, name, H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int ok = a >= 0 && H5Awrite(a, H5T_NATIVE_INT, &value) >= 0;
    if (a >= 0 && H5Aclose(a) < 0) ok = 0;
    pb_h5_close_id(&sp, H5Sclose);
    if (!ok) return PB_ERR(PB_EIO, "cannot write attribute '%s' to '%s'", name, path);
    return 0;
}

static int write_i64_attr(hid_t loc, const char *path, const char *name, int64_t value) {
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp >= 0 ? H5Acreate2(loc, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int ok = a >= 0 && H5Awrite(a, H5T_NATIVE_INT64, &value) >= 0;
    if (a >= 0 && H5Aclose(a) < 0) ok = 0;
    pb_h5_close_id(&sp, H5Sclose);
    if (!ok) return PB_ERR(PB_EIO, "cannot write attribute '%s' to '%s'", name, path);
    return 0;
}

/* ---- reading helpers ------------------------------------------------------------ */

/* String attribute `name` of loc; `where` names loc ("<file>:/cells/<id>"). */
static int get_str_attr(hid_t loc, const char *where, const char *name, char **out) {
    *out = NULL;
    if (H5Aexists(loc, name) <= 0) return PB_ERR(PB_EFORMAT, "'%s' has no attribute '%s'", where, name);
    return pb_h5_read_string_attr(loc, where, name, out);
}

static int get_num_attr(hid_t loc, const char *where, const char *name, hid_t mtype, void *out) {
    if (H5Aexists(loc, name) <= 0) return PB_ERR(PB_EFORMAT, "'%s' has no attribute '%s'", where, name);
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    int ok = (c == H5T_INTEGER || c == H5T_FLOAT) && H5Aread(a, mtype, out) >= 0;
    pb_h5_close_id(&t, H5Tclose);
    pb_h5_close_id(&a, H5Aclose);
    if (!ok) return PB_ERR(PB_EFORMAT, "attribute '%s' of '%s' is not a number", name, where);
    return 0;
}

/* Float64 scalar dataset `name` of loc. */
static int read_f64_scalar(hid_t loc, const char *where, const char *name, double *v) {
    pb_h5_ds_info info;
    PB_TRY(pb_h5_open_dataset(loc, where, name, &info));
    int rc = 0;
    if (info.cls != H5T_FLOAT || info.ndim != 0)
        rc = PB_ERR(PB_EFORMAT, "dataset '%s' in '%s' is not a float scalar (%s, rank %d)", name, where,
                    pb_h5_class_name(info.cls), info.ndim);
    else if (H5Dread(info.ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
        rc = PB_ERR(PB_EIO, "cannot read dataset '%s' from '%s'", name, where);
    pb_h5_close_id(&info.ds, H5Dclose);
    return rc;
}

/* 1-D dataset of class cls with exactly n rows (n == (size_t)-1: any, *n_out set). */
static int open_vec(hid_t loc, const char *where, const char *name, H5T_class_t cls, size_t n, pb_h5_ds_info *info,
                    size_t *n_out) {
    PB_TRY(pb_h5_open_dataset(loc, where, name, info));
    char got[64];
    int rc = 0;
    if (info->cls != cls)
        rc = PB_ERR(PB_EFORMAT, "dataset '%s' in '%s' has %s type; expected %s", name, where,
                    pb_h5_class_name(info->cls), pb_h5_class_name(cls));
    else if (info->ndim != 1 || (n != (size_t)-1 && info->dims[0] != (hsize_t)n))
        rc = PB_ERR(PB_ESHAPE, "dataset '%s' in '%s' has shape %s; expected [%zu]", name, where,
                    pb_h5_shape_str(got, sizeof got, info->ndim, info->dims), n);
    if (rc < 0) {
        pb_h5_close_id(&info->ds, H5Dclose);
        return rc;
    }
    if (n_out) *n_out = (size_t)info->dims[0];
    return 0;
}

/* A vector of n values of class cls (H5T_FLOAT, H5T_INTEGER) read as mem_type. */
static int read_vec(hid_t loc, const char *where, const char *name, H5T_class_t cls, hid_t mem_type, size_t n,
                    void *out) {
    pb_h5_ds_info info;
    PB_TRY(open_vec(loc, where, name, cls, n, &info, NULL));
    int rc = 0;
    if (n && H5Dread(info.ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
        rc = PB_ERR(PB_EIO, "cannot read dataset '%s' from '%s'", name, where);
    pb_h5_close_id(&info.ds, H5Dclose);
    return rc;
}

static int read_f64_vec(hid_t loc, const char *where, const char *name, size_t n, double *out) {
    return read_vec(loc, where, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, n, out);
}

/* [n] strings into out[0..n) (strdup'ed; the caller frees each). */
static int read_strings(hid_t loc, const char *where, const char *name, size_t n, char **out) {
    pb_h5_ds_info info;
    PB_TRY(open_vec(loc, where, name, H5T_STRING, n, &info, NULL));
    for (size_t i = 0; i < n; i++) out[i] = NULL;
    int rc = 0;
    hid_t ft = H5Dget_type(info.ds), mt = utf8_type(), sp = H5Dget_space(info.ds);
    char **raw = calloc(n ? n : 1, sizeof *raw);
    if (!raw) {
        rc = PB_ERR(PB_ENOMEM, "dataset '%s' of '%s' (%zu strings)", name, where, n);
    } else if (ft < 0 || H5Tis_variable_str(ft) <= 0 || mt < 0 || sp < 0) {
        rc = PB_ERR(PB_EFORMAT, "dataset '%s' in '%s' is not variable-length strings", name, where);
    } else if (n && H5Dread(info.ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
        rc = PB_ERR(PB_EIO, "cannot read dataset '%s' from '%s'", name, where);
    } else {
        for (size_t i = 0; i < n && rc == 0; i++)
            if (!(out[i] = strdup(raw[i] ? raw[i] : ""))) rc = PB_ERR(PB_ENOMEM, "dataset '%s' of '%s'", name, where);
        if (n) H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, raw);
    }
    if (rc < 0)
        for (size_t i = 0; i < n; i++) {
            free(out[i]);
            out[i] = NULL;
        }
    free(raw);
    pb_h5_close_id(&ft, H5Tclose);
    pb_h5_close_id(&mt, H5Tclose);
    pb_h5_close_id(&sp, H5Sclose);
    pb_h5_close_id(&info.ds, H5Dclose);
    return rc;
}

/* Final metrics of group `metrics` of loc, in creation order (at most 4). */
typedef struct {
    int n;
    char name[PB_METRICS_MAX][METRIC_NAME_MAX];
    int too_many, bad_name;
} metric_names;

static herr_t collect_metric(hid_t g, const char *name, const H5L_info_t *info, void *data) {
    (void)g;
    (void)info;
    metric_names *m = data;
    if (m->n == PB_METRICS_MAX) {
        m->too_many = 1;
        return 1;
    }
    if (strlen(name) >= METRIC_NAME_MAX) {
        m->bad_name = 1;
        return 1;
    }
    snprintf(m->name[m->n++], METRIC_NAME_MAX, "%s", name);
    return 0;
}

static int read_metrics(hid_t loc, const char *where, metric_names *m, double value[PB_METRICS_MAX]) {
    memset(m, 0, sizeof *m);
    if (H5Lexists(loc, "metrics", H5P_DEFAULT) <= 0) return 0;
    hid_t g = H5Gopen2(loc, "metrics", H5P_DEFAULT);
    if (g < 0) return PB_ERR(PB_EFORMAT, "'%s': 'metrics' is not a readable group", where);
    herr_t it = H5Literate(g, H5_INDEX_CRT_ORDER, H5_ITER_INC, NULL, collect_metric, m);
    int rc = 0;
    if (it < 0)
        rc = PB_ERR(PB_EFORMAT, "'%s': cannot list group 'metrics' in creation order", where);
    else if (m->too_many)
        rc = PB_ERR(PB_EFORMAT, "'%s': group 'metrics' has more than %d metrics", where, PB_METRICS_MAX);
    else if (m->bad_name)
        rc = PB_ERR(PB_EFORMAT, "'%s': a metric name in 'metrics' is %d bytes or longer", where, METRIC_NAME_MAX);
    for (int i = 0; i < m->n && rc == 0; i++) rc = read_f64_scalar(g, where, m->name[i], &value[i]);
    H5Gclose(g);
    return rc;
}

/* ---- the writer --------------------------------------------------------------- */

/* What the index keeps of each cell. */
typedef struct {
    const char *status;
    char metric_name[METRIC_NAME_MAX];
    double metric;
} index_row;

static int check_entries(const char *path, const pb_store_entry *e, size_t n) {
    if (n && !e) return PB_ERR(PB_EINVAL, "experiment file '%s': %zu cells but no entries", path, n);
    for (size_t i = 0; i < n; i++) {
        if (!is_id(e[i].id))
            return PB_ERR(PB_EINVAL, "experiment file '%s': cell %zu has id '%s'; expected 16 lowercase hex digits",
                          path, i, str_or_empty(e[i].id));
        for (size_t j = 0; j < i; j++)
            if (strcmp(e[j].id, e[i].id) == 0)
                return PB_ERR(PB_EINVAL, "experiment file '%s': cells %zu and %zu have the same id '%s'", path, j, i,
                              e[i].id);
        if (!e[i].axes.task || !e[i].axes.task[0] || !e[i].axes.method || !e[i].axes.method[0])
            return PB_ERR(PB_EINVAL, "experiment file '%s': cell '%s' has an empty task or method", path, e[i].id);
        if (!e[i].run_yaml)
            return PB_ERR(PB_EINVAL, "experiment file '%s': cell '%s' has no run config text", path, e[i].id);
        if (e[i].teacher_id && !is_id(e[i].teacher_id))
            return PB_ERR(PB_EINVAL, "experiment file '%s': cell '%s' has teacher id '%s'; expected 16 hex digits",
                          path, e[i].id, e[i].teacher_id);
    }
    return 0;
}

typedef struct {
    hid_t dst;
    const char *path; /* the experiment file, for messages */
    const char *src;  /* the cell result file */
    int rc;
} attr_copy;

/* Copy one root attribute of the cell result onto the cell group as result_<name>. */
static herr_t copy_attr(hid_t loc, const char *name, const H5A_info_t *ainfo, void *data) {
    (void)ainfo;
    attr_copy *c = data;
    char new_name[256];
    snprintf(new_name, sizeof new_name, RESULT_PREFIX "%s", name);
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t ft = a >= 0 ? H5Aget_type(a) : -1, sp = a >= 0 ? H5Aget_space(a) : -1;
    hid_t mt = ft >= 0 ? H5Tget_native_type(ft, H5T_DIR_DEFAULT) : -1;
    hssize_t np = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    size_t sz = mt >= 0 ? H5Tget_size(mt) : 0;
    void *buf = np >= 0 && sz ? calloc((size_t)(np ? np : 1), sz) : NULL;
    int read_ok = buf && H5Aread(a, mt, buf) >= 0;
    hid_t na = read_ok ? H5Acreate2(c->dst, new_name, ft, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int ok = na >= 0 && H5Awrite(na, mt, buf) >= 0;
    if (na >= 0 && H5Aclose(na) < 0) ok = 0;
    if (read_ok && H5Tdetect_class(mt, H5T_VLEN) > 0) H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
    else if (read_ok && H5Tis_variable_str(mt) > 0) H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
    free(buf);
    pb_h5_close_id(&mt, H5Tclose);
    pb_h5_close_id(&ft, H5Tclose);
    pb_h5_close_id(&sp, H5Sclose);
    pb_h5_close_id(&a, H5Aclose);
    if (!ok) {
        c->rc = read_ok ? PB_ERR(PB_EIO, "cannot write attribute '%s' to '%s'", new_name, c->path)
                        : PB_ERR(PB_EFORMAT, "cannot read root attribute '%s' of cell result '%s'", name, c->src);
        return -1;
    }
    return 0;
}

/* Open the cell result `src` and read its status and reason; checks the format. */
static int open_result(const char *src, const char *id, hid_t *f, const char **status, char **reason) {
    *reason = NULL;
    *status = NULL;
    PB_TRY(pb_h5_open_read(src, "cell result", f));
    char *s = NULL;
    int rc = 0;
    if (H5Aexists(*f, "format") <= 0)
        rc = PB_ERR(PB_EFORMAT, "cell result '%s' of cell '%s' has no 'format' attribute; expected '%s'", src, id,
                    PB_CELL_RESULT_FORMAT);
    if (rc == 0) rc = pb_h5_read_string_attr(*f, src, "format", &s);
    if (rc == 0 && strcmp(s, PB_CELL_RESULT_FORMAT) != 0)
        rc = PB_ERR(PB_EFORMAT, "cell result '%s' of cell '%s' has format '%s'; expected '%s'", src, id, s,
                    PB_CELL_RESULT_FORMAT);
    free(s);
    s = NULL;
    if (rc == 0) rc = get_str_attr(*f, src, "status", &s);
    if (rc == 0) {
        static const char *const known[] = {"done", "diverged", "stopped"};
        for (int k = 0; k < 3; k++)
            if (strcmp(s, known[k]) == 0) *status = known[k];
        if (!*status)
            rc = PB_ERR(PB_EFORMAT, "cell result '%s' has status '%s'; expected done, diverged or stopped", src, s);
    }
    free(s);
    if (rc == 0) rc = get_str_attr(*f, src, "reason", reason);
    if (rc < 0) pb_h5_close_id(f, H5Fclose);
    return rc;
}

/* error.txt text without its trailing newline(s). */
static char *trimmed(const char *text) {
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r')) n--;
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, text, n);
        s[n] = '\0';
    }
    return s;
}

static int write_cell_attrs(hid_t g, const char *where, const pb_store_entry *e, const char *status,
                            const char *reason) {
    const pb_table_cell *a = &e->axes;
    char seed[24];
    snprintf(seed, sizeof seed, "%" PRIu64, a->seed);
    PB_TRY(pb_h5_write_string_attr(g, where, "task", a->task));
    PB_TRY(pb_h5_write_string_attr(g, where, "method", a->method));
    PB_TRY(pb_h5_write_double_attr(g, where, "sparsity", a->sparsity));
    PB_TRY(write_int_attr(g, where, "embeddings", a->embeddings));
    PB_TRY(write_int_attr(g, where, "head", a->head));
    PB_TRY(write_int_attr(g, where, "kd", a->kd));
    PB_TRY(pb_h5_write_double_attr(g, where, "kd_temperature", (double)a->kd_temperature));
    PB_TRY(pb_h5_write_double_attr(g, where, "kd_hardness", (double)a->kd_hardness));
    PB_TRY(pb_h5_write_string_attr(g, where, "recipe", str_or_empty(a->recipe)));
    PB_TRY(pb_h5_write_string_attr(g, where, "mask", str_or_empty(a->mask)));
    PB_TRY(pb_h5_write_string_attr(g, where, "seed", seed));
    PB_TRY(pb_h5_write_string_attr(g, where, "teacher", str_or_empty(e->teacher_id)));
    PB_TRY(write_int_attr(g, where, "teacher_only", e->teacher_only ? 1 : 0));
    PB_TRY(pb_h5_write_string_attr(g, where, "status", status));
    PB_TRY(pb_h5_write_string_attr(g, where, "reason", reason));
    PB_TRY(pb_h5_write_string_attr(g, where, "run", e->run_yaml));
    return 0;
}

/* Copy the cell result's groups and root attributes into cell group g. */
static int copy_result(hid_t src_f, hid_t g, const char *src, const char *where, index_row *row) {
    for (size_t k = 0; k < sizeof COPIED_GROUPS / sizeof COPIED_GROUPS[0]; k++) {
        if (H5Lexists(src_f, COPIED_GROUPS[k], H5P_DEFAULT) <= 0) continue;
        if (H5Ocopy(src_f, COPIED_GROUPS[k], g, COPIED_GROUPS[k], H5P_DEFAULT, H5P_DEFAULT) < 0)
            return PB_ERR(PB_EIO, "cannot copy group '%s' of cell result '%s' to '%s'", COPIED_GROUPS[k], src, where);
    }
    attr_copy c = {g, where, src, 0};
    if (H5Aiterate2(src_f, H5_INDEX_NAME, H5_ITER_INC, NULL, copy_attr, &c) < 0)
        return c.rc < 0 ? c.rc : PB_ERR(PB_EFORMAT, "cannot list the root attributes of cell result '%s'", src);
    metric_names m;
    double v[PB_METRICS_MAX];
    PB_TRY(read_metrics(src_f, src, &m, v));
    if (m.n > 0) {
        snprintf(row->metric_name, sizeof row->metric_name, "%s", m.name[0]);
        row->metric = v[0];
    }
    return 0;
}

static int write_cell(hid_t cells, const char *path, const pb_store_entry *e, index_row *row) {
    char where[WHERE_MAX];
    cell_where(where, path, e->id);
    row->metric_name[0] = '\0';
    row->metric = NAN;
    hid_t src_f = -1;
    char *reason = NULL;
    const char *status = "pending";
    if (e->result_path) PB_TRY(open_result(e->result_path, e->id, &src_f, &status, &reason));
    int rc = 0;
    if (e->error) {
        status = "failed";
        free(reason);
        if (!(reason = trimmed(e->error))) rc = PB_ERR(PB_ENOMEM, "error text of cell '%s'", e->id);
    }
    hid_t g = -1;
    if (rc == 0) rc = pb_h5_make_group(cells, path, e->id, &g);
    if (rc == 0) rc = write_cell_attrs(g, where, e, status, str_or_empty(reason));
    if (rc == 0 && src_f >= 0) rc = copy_result(src_f, g, e->result_path, where, row);
    row->status = status;
    pb_h5_close_id(&g, H5Gclose);
    pb_h5_close_id(&src_f, H5Fclose);
    free(reason);
    return rc;
}

static int write_index(hid_t f, hid_t dcpl, const char *path, const pb_store_entry *e, const index_row *row,
                       size_t n) {
    hid_t g;
    PB_TRY(pb_h5_make_group(f, path, "index", &g));
    H5Gclose(g);
    /* One scratch column of 8-byte slots serves every dataset. */
    void *col = malloc((n ? n : 1) * 8);
    if (!col) return PB_ERR(PB_ENOMEM, "index of '%s' (%zu cells)", path, n);
    const char **s = col;
    double *d = col;
    signed char *b = col;
    uint64_t *u = col;
    int rc = 0;
#define STR_COL(NAME, EXPR)                                                  \
    if (rc == 0) {                                                           \
        for (size_t i = 0; i < n; i++) s[i] = (EXPR);                        \
        rc = write_strings(f, dcpl, path, "index/" NAME, n, s);              \
    }
#define NUM_COL(NAME, ARR, FT, MT, EXPR)                                     \
    if (rc == 0) {                                                           \
        for (size_t i = 0; i < n; i++) ARR[i] = (EXPR);                      \
        rc = write_vec(f, dcpl, path, "index/" NAME, FT, MT, n, ARR);        \
    }
    STR_COL("id", e[i].id)
    STR_COL("task", e[i].axes.task)
    STR_COL("method", e[i].axes.method)
    NUM_COL("sparsity", d, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, e[i].axes.sparsity)
    NUM_COL("embeddings", b, H5T_STD_I8LE, H5T_NATIVE_SCHAR, (signed char)e[i].axes.embeddings)
    NUM_COL("head", b, H5T_STD_I8LE, H5T_NATIVE_SCHAR, (signed char)e[i].axes.head)
    NUM_COL("kd", b, H5T_STD_I8LE, H5T_NATIVE_SCHAR, (signed char)(e[i].axes.kd ? 1 : 0))
    NUM_COL("kd_temperature", d, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (double)e[i].axes.kd_temperature)
    NUM_COL("kd_hardness", d, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (double)e[i].axes.kd_hardness)
    STR_COL("recipe", str_or_empty(e[i].axes.recipe))
    STR_COL("mask", str_or_empty(e[i].axes.mask))
    NUM_COL("seed", u, H5T_STD_U64LE, H5T_NATIVE_UINT64, e[i].axes.seed)
    STR_COL("teacher", str_or_empty(e[i].teacher_id))
    NUM_COL("teacher_only", b, H5T_STD_I8LE, H5T_NATIVE_SCHAR, (signed char)(e[i].teacher_only ? 1 : 0))
    STR_COL("status", row[i].status)
    STR_COL("metric_name", row[i].metric_name)
    NUM_COL("metric", d, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, row[i].metric)
#undef STR_COL
#undef NUM_COL
    free(col);
    return rc;
}

static int check_baselines(const char *path, const pb_store_baseline *b, size_t n_b) {
    if (n_b && !b) return PB_ERR(PB_EINVAL, "experiment file '%s': %zu baselines but no array", path, n_b);
    for (size_t i = 0; i < n_b; i++) {
        const pb_store_baseline *x = &b[i];
        if (!x->task || !x->task[0])
            return PB_ERR(PB_EINVAL, "experiment file '%s': baseline %zu has an empty task", path, i);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(b[j].task, x->task))
                return PB_ERR(PB_EINVAL, "experiment file '%s': baselines %zu and %zu are both of task '%s'", path, j,
                              i, x->task);
        if (!x->metric || !x->metric[0])
            return PB_ERR(PB_EINVAL, "experiment file '%s': the baseline of task '%s' names no metric", path, x->task);
        if (x->classes < 2 || x->examples < 1)
            return PB_ERR(PB_EINVAL,
                          "experiment file '%s': the baseline of task '%s' has %d classes over %ld examples; expected "
                          "at least 2 classes and 1 example",
                          path, x->task, x->classes, x->examples);
        if (!(x->chance >= 0 && x->chance <= 100) || !(x->majority >= 0 && x->majority <= 100))
            return PB_ERR(PB_EINVAL,
                          "experiment file '%s': the baseline of task '%s' has chance %g and majority %g; expected "
                          "percentages in [0, 100]",
                          path, x->task, x->chance, x->majority);
    }
    return 0;
}

static int write_baselines(hid_t f, hid_t dcpl, const char *path, const pb_store_baseline *b, size_t n) {
    hid_t g;
    PB_TRY(pb_h5_make_group(f, path, "baselines", &g));
    H5Gclose(g);
    void *col = malloc((n ? n : 1) * 8);
    if (!col) return PB_ERR(PB_ENOMEM, "baselines of '%s' (%zu tasks)", path, n);
    const char **s = col;
    double *d = col;
    int32_t *i32 = col;
    int64_t *i64 = col;
    int rc = 0;
    for (size_t i = 0; i < n; i++) s[i] = b[i].task;
    rc = write_strings(f, dcpl, path, "baselines/task", n, s);
    for (size_t i = 0; i < n; i++) s[i] = b[i].metric;
    if (rc == 0) rc = write_strings(f, dcpl, path, "baselines/metric", n, s);
    for (size_t i = 0; i < n; i++) i32[i] = b[i].classes;
    if (rc == 0) rc = write_vec(f, dcpl, path, "baselines/classes", H5T_STD_I32LE, H5T_NATIVE_INT32, n, i32);
    for (size_t i = 0; i < n; i++) i64[i] = b[i].examples;
    if (rc == 0) rc = write_vec(f, dcpl, path, "baselines/examples", H5T_STD_I64LE, H5T_NATIVE_INT64, n, i64);
    for (size_t i = 0; i < n; i++) d[i] = b[i].chance;
    if (rc == 0) rc = write_vec(f, dcpl, path, "baselines/chance", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, d);
    for (size_t i = 0; i < n; i++) d[i] = b[i].majority;
    if (rc == 0) rc = write_vec(f, dcpl, path, "baselines/majority", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, d);
    free(col);
    return rc;
}

int pb_store_write_experiment(const char *path, const char *name, const char *spec_text, const pb_store_entry *e,
                              size_t n) {
    return pb_store_write_experiment_baselines(path, name, spec_text, e, n, NULL, 0);
}

int pb_store_write_experiment_baselines(const char *path, const char *name, const char *spec_text,
                                        const pb_store_entry *e, size_t n, const pb_store_baseline *b, size_t n_b) {
    if (!path || !path[0]) return PB_ERR(PB_EINVAL, "experiment file: no path given");
    if (!name || !spec_text) return PB_ERR(PB_EINVAL, "experiment file '%s': missing name or spec text", path);
    if (n > (size_t)INT64_MAX / 64) return PB_ERR(PB_ERANGE, "experiment file '%s': %zu cells", path, n);
    PB_TRY(check_entries(path, e, n));
    PB_TRY(check_baselines(path, b, n_b));
    index_row *rows = calloc(n ? n : 1, sizeof *rows);
    char *tmp = rows ? pb_h5_temp_path(path) : NULL;
    if (!tmp) {
        free(rows);
        return PB_ERR(PB_ENOMEM, "experiment file '%s' (%zu cells)", path, n);
    }
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    int rc = 0;
    hid_t dcpl = pb_h5_dataset_plist();
    hid_t f = dcpl >= 0 ? pb_h5_create_file(tmp) : -1;
    if (f < 0) rc = PB_ERR(PB_EIO, "cannot create experiment file '%s' (temp file '%s')", path, tmp);
    if (rc == 0) rc = pb_h5_write_string_attr(f, path, "format", PB_STORE_FORMAT);
    if (rc == 0) rc = pb_h5_write_string_attr(f, path, "name", name);
    if (rc == 0) rc = pb_h5_write_string_attr(f, path, "spec", spec_text);
    if (rc == 0) rc = write_i64_attr(f, path, "n_cells", (int64_t)n);
    hid_t cells = -1;
    if (rc == 0) rc = pb_h5_make_group(f, path, "cells", &cells);
    for (size_t i = 0; i < n && rc == 0; i++) rc = write_cell(cells, path, &e[i], &rows[i]);
    pb_h5_close_id(&cells, H5Gclose);
    if (rc == 0) rc = write_index(f, dcpl, path, e, rows, n);
    if (rc == 0 && n_b) rc = write_baselines(f, dcpl, path, b, n_b);
    pb_h5_close_id(&dcpl, H5Pclose);
    rc = pb_h5_finish_temp_file(f, tmp, path, &q, rc);
    free(rows);
    return rc;
}

/* ---- the reader ----------------------------------------------------------------- */

typedef struct {
    char *id, *task, *method, *recipe, *mask, *status, *reason, *teacher, *run;
    int teacher_only, has_result;
    char metric_name[PB_METRICS_MAX][METRIC_NAME_MAX];
} cell_strs;

struct pb_store {
    char *path, *name, *spec;
    hid_t f;
    size_t n;
    pb_table_cell *cells;
    cell_strs *strs;
    size_t n_base;
    pb_store_baseline *base;
    char **base_task, **base_metric;
};

static void free_strs(cell_strs *c) {
    free(c->id);
    free(c->task);
    free(c->method);
    free(c->recipe);
    free(c->mask);
    free(c->status);
    free(c->reason);
    free(c->teacher);
    free(c->run);
}

void pb_store_close(pb_store *s) {
    if (!s) return;
    if (s->strs)
        for (size_t i = 0; i < s->n; i++) free_strs(&s->strs[i]);
    free(s->strs);
    free(s->cells);
    for (size_t i = 0; i < s->n_base; i++) {
        if (s->base_task) free(s->base_task[i]);
        if (s->base_metric) free(s->base_metric[i]);
    }
    free(s->base_task);
    free(s->base_metric);
    free(s->base);
    if (s->f >= 0) {
        pb_h5_quiet q;
        pb_h5_quiet_begin(&q);
        H5Fclose(s->f);
        pb_h5_quiet_end(&q);
    }
    free(s->path);
    free(s->name);
    free(s->spec);
    free(s);
}

/* "" means n/a: NULL in the table record. */
static void empty_to_null(char **s) {
    if (*s && !(*s)[0]) {
        free(*s);
        *s = NULL;
    }
}

static int read_cell(pb_store *s, size_t i) {
    cell_strs *c = &s->strs[i];
    pb_table_cell *t = &s->cells[i];
    char where[WHERE_MAX], gname[64];
    cell_where(where, s->path, c->id);
    snprintf(gname, sizeof gname, "cells/%s", c->id);
    if (!pb_h5_link_exists(s->f, gname))
        return PB_ERR(PB_EFORMAT, "'%s' has no group '/%s' (listed in /index/id)", s->path, gname);
    hid_t g = H5Gopen2(s->f, gname, H5P_DEFAULT);
    if (g < 0) return PB_ERR(PB_EFORMAT, "'%s' is not a readable group", where);
    char *seed = NULL;
    double sp = 0, kt = 0, kh = 0;
    int rc = get_str_attr(g, where, "task", &c->task);
    if (rc == 0) rc = get_str_attr(g, where, "method", &c->method);
    if (rc == 0) rc = get_num_attr(g, where, "sparsity", H5T_NATIVE_DOUBLE, &sp);
    if (rc == 0) rc = get_num_attr(g, where, "embeddings", H5T_NATIVE_INT, &t->embeddings);
    if (rc == 0) rc = get_num_attr(g, where, "head", H5T_NATIVE_INT, &t->head);
    if (rc == 0) rc = get_num_attr(g, where, "kd", H5T_NATIVE_INT, &t->kd);
    if (rc == 0) rc = get_num_attr(g, where, "kd_temperature", H5T_NATIVE_DOUBLE, &kt);
    if (rc == 0) rc = get_num_attr(g, where, "kd_hardness", H5T_NATIVE_DOUBLE, &kh);
    if (rc == 0) rc = get_str_attr(g, where, "recipe", &c->recipe);
    if (rc == 0) rc = get_str_attr(g, where, "mask", &c->mask);
    if (rc == 0) rc = get_str_attr(g, where, "seed", &seed);
    if (rc == 0) rc = get_str_attr(g, where, "teacher", &c->teacher);
    if (rc == 0) rc = get_num_attr(g, where, "teacher_only", H5T_NATIVE_INT, &c->teacher_only);
    if (rc == 0) rc = get_str_attr(g, where, "status", &c->status);
    if (rc == 0) rc = get_str_attr(g, where, "reason", &c->reason);
    if (rc == 0) rc = get_str_attr(g, where, "run", &c->run);
    if (rc == 0) {
        char *end = NULL;
        unsigned long long v = strtoull(seed, &end, 10);
        if (!seed[0] || *end || seed[0] == '-')
            rc = PB_ERR(PB_EFORMAT, "attribute 'seed' of '%s' is '%s'; expected a decimal uint64", where, seed);
        t->seed = (uint64_t)v;
    }
    if (rc == 0) {
        static const char *const known[] = {"done", "diverged", "stopped", "failed", "pending"};
        int ok = 0;
        for (int k = 0; k < 5; k++) ok |= strcmp(c->status, known[k]) == 0;
        if (!ok)
            rc = PB_ERR(PB_EFORMAT, "attribute 'status' of '%s' is '%s'; expected done, diverged, stopped, failed or "
                        "pending", where, c->status);
    }
    metric_names m = {0};
    if (rc == 0) rc = read_metrics(g, where, &m, t->metric);
    free(seed);
    c->has_result = rc == 0 && H5Aexists(g, RESULT_PREFIX "format") > 0;
    H5Gclose(g);
    PB_TRY(rc);
    empty_to_null(&c->recipe);
    empty_to_null(&c->mask);
    t->task = c->task;
    t->method = c->method;
    t->sparsity = sp;
    t->kd_temperature = (float)kt;
    t->kd_hardness = (float)kh;
    t->recipe = c->recipe;
    t->mask = c->mask;
    t->failed = strcmp(c->status, "failed") == 0 || strcmp(c->status, "diverged") == 0;
    t->reason = c->reason;
    t->n_metrics = m.n;
    for (int k = 0; k < m.n; k++) {
        memcpy(c->metric_name[k], m.name[k], METRIC_NAME_MAX);
        t->metric_name[k] = c->metric_name[k];
    }
    return 0;
}

static int read_i64_vec(hid_t loc, const char *where, const char *name, size_t n, int64_t *out) {
    return read_vec(loc, where, name, H5T_INTEGER, H5T_NATIVE_INT64, n, out);
}

/* The optional group /baselines (files written without it have none). */
static int read_baselines(pb_store *s) {
    if (!pb_h5_link_exists(s->f, "baselines")) return 0;
    char where[WHERE_MAX];
    snprintf(where, sizeof where, "%s:/baselines", s->path);
    pb_h5_ds_info info;
    size_t n = 0;
    PB_TRY(open_vec(s->f, where, "baselines/task", H5T_STRING, (size_t)-1, &info, &n));
    pb_h5_close_id(&info.ds, H5Dclose);
    if (n > 4096) return PB_ERR(PB_EFORMAT, "'%s' has %zu rows; expected at most 4096", where, n);
    s->base = calloc(n ? n : 1, sizeof *s->base);
    s->base_task = calloc(n ? n : 1, sizeof *s->base_task);
    s->base_metric = calloc(n ? n : 1, sizeof *s->base_metric);
    int64_t *iv = calloc(n ? n : 1, sizeof *iv);
    double *dv = calloc(n ? n : 1, sizeof *dv);
    int rc = s->base && s->base_task && s->base_metric && iv && dv ? 0 : PB_ERR(PB_ENOMEM, "'%s' (%zu rows)", where, n);
    if (rc == 0) {
        s->n_base = n; /* from here pb_store_close frees the strings read */
        rc = read_strings(s->f, where, "baselines/task", n, s->base_task);
    }
    if (rc == 0) rc = read_strings(s->f, where, "baselines/metric", n, s->base_metric);
    if (rc == 0) rc = read_i64_vec(s->f, where, "baselines/classes", n, iv);
    for (size_t i = 0; rc == 0 && i < n; i++) s->base[i].classes = iv[i] >= 0 && iv[i] < 1000000 ? (int)iv[i] : -1;
    if (rc == 0) rc = read_i64_vec(s->f, where, "baselines/examples", n, iv);
    for (size_t i = 0; rc == 0 && i < n; i++) s->base[i].examples = (long)iv[i];
    if (rc == 0) rc = read_f64_vec(s->f, where, "baselines/chance", n, dv);
    for (size_t i = 0; rc == 0 && i < n; i++) s->base[i].chance = dv[i];
    if (rc == 0) rc = read_f64_vec(s->f, where, "baselines/majority", n, dv);
    for (size_t i = 0; rc == 0 && i < n; i++) s->base[i].majority = dv[i];
    for (size_t i = 0; rc == 0 && i < n; i++) {
        pb_store_baseline *b = &s->base[i];
        b->task = s->base_task[i];
        b->metric = s->base_metric[i];
        if (!b->task[0] || !b->metric[0] || b->classes < 2 || b->examples < 1 || !(b->chance >= 0 && b->chance <= 100) ||
            !(b->majority >= 0 && b->majority <= 100))
            rc = PB_ERR(PB_EFORMAT,
                        "'%s' row %zu (task '%s', metric '%s'): %d classes, %ld examples, chance %g, majority %g; "
                        "expected a task and metric, at least 2 classes and 1 example, percentages in [0, 100]",
                        where, i, b->task, b->metric, b->classes, b->examples, b->chance, b->majority);
    }
    free(iv);
    free(dv);
    return rc;
}

static int open_store(pb_store *s, const char *path) {
    PB_TRY(pb_h5_open_read(path, "experiment file", &s->f));
    char *format = NULL;
    int rc = 0;
    if (H5Aexists(s->f, "format") <= 0)
        rc = PB_ERR(PB_EFORMAT, "'%s' is not a prunebench experiment file (no 'format' attribute; expected '%s')",
                    path, PB_STORE_FORMAT);
    if (rc == 0) rc = pb_h5_read_string_attr(s->f, path, "format", &format);
    if (rc == 0 && strcmp(format, PB_STORE_FORMAT) != 0)
        rc = PB_ERR(PB_EFORMAT, "'%s' has format '%s'; expected '%s'", path, format, PB_STORE_FORMAT);
    free(format);
    PB_TRY(rc);
    PB_TRY(get_str_attr(s->f, path, "name", &s->name));
    PB_TRY(get_str_attr(s->f, path, "spec", &s->spec));
    long long n = -1;
    PB_TRY(get_num_attr(s->f, path, "n_cells", H5T_NATIVE_LLONG, &n));
    if (n < 0 || (unsigned long long)n > SIZE_MAX / sizeof(cell_strs))
        return PB_ERR(PB_EFORMAT, "attribute 'n_cells' of '%s' is %lld", path, n);
    s->n = (size_t)n;
    s->cells = calloc(s->n ? s->n : 1, sizeof *s->cells);
    s->strs = calloc(s->n ? s->n : 1, sizeof *s->strs);
    char **ids = calloc(s->n ? s->n : 1, sizeof *ids);
    if (!s->cells || !s->strs || !ids) {
        free(ids);
        return PB_ERR(PB_ENOMEM, "experiment file '%s' (%zu cells)", path, s->n);
    }
    rc = read_strings(s->f, path, "index/id", s->n, ids);
    for (size_t i = 0; i < s->n; i++) s->strs[i].id = ids[i];
    free(ids);
    PB_TRY(rc);
    for (size_t i = 0; i < s->n; i++) {
        if (!is_id(s->strs[i].id))
            return PB_ERR(PB_EFORMAT, "'%s': /index/id[%zu] is '%s'; expected 16 lowercase hex digits", path, i,
                          s->strs[i].id);
        PB_TRY(read_cell(s, i));
    }
    return read_baselines(s);
}

int pb_store_open(pb_store **out, const char *path) {
    if (!out) return PB_ERR(PB_EINVAL, "experiment file: no output given");
    *out = NULL;
    if (!path) return PB_ERR(PB_EINVAL, "experiment file: no path given");
    pb_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return PB_ERR(PB_ENOMEM, "experiment file '%s'", path);
    }
    s->f = -1;
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    int rc = open_store(s, path);
    pb_h5_quiet_end(&q);
    if (rc < 0) {
        pb_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

size_t pb_store_count(const pb_store *s) { return s ? s->n : 0; }
const char *pb_store_name(const pb_store *s) { return s->name; }
const char *pb_store_spec(const pb_store *s) { return s->spec; }
const pb_table_cell *pb_store_cells(const pb_store *s) { return s->cells; }
const char *pb_store_id(const pb_store *s, size_t i) { return i < s->n ? s->strs[i].id : NULL; }
const char *pb_store_status(const pb_store *s, size_t i) { return i < s->n ? s->strs[i].status : NULL; }
const char *pb_store_teacher(const pb_store *s, size_t i) { return i < s->n ? s->strs[i].teacher : NULL; }
int pb_store_teacher_only(const pb_store *s, size_t i) { return i < s->n ? s->strs[i].teacher_only : 0; }
const char *pb_store_run(const pb_store *s, size_t i) { return i < s->n ? s->strs[i].run : NULL; }

size_t pb_store_baseline_count(const pb_store *s) { return s ? s->n_base : 0; }
const pb_store_baseline *pb_store_baselines(const pb_store *s) { return s ? s->base : NULL; }

const pb_store_baseline *pb_store_find_baseline(const pb_store *s, const char *task) {
    for (size_t i = 0; s && task && i < s->n_base; i++)
        if (!strcmp(s->base[i].task, task)) return &s->base[i];
    return NULL;
}

/* Open the group of cell i that holds a copied result; ENOTFOUND without one. */
static int open_result_group(const pb_store *s, size_t i, char where[WHERE_MAX], hid_t *g) {
    *g = -1;
    if (!s || i >= s->n) return PB_ERR(PB_ERANGE, "experiment file: cell index %zu out of range", i);
    cell_where(where, s->path, s->strs[i].id);
    if (!s->strs[i].has_result)
        return PB_ERR(PB_ENOTFOUND, "'%s' has no result (status %s)", where, s->strs[i].status);
    char gname[64];
    snprintf(gname, sizeof gname, "cells/%s", s->strs[i].id);
    *g = H5Gopen2(s->f, gname, H5P_DEFAULT);
    if (*g < 0) return PB_ERR(PB_EFORMAT, "'%s' is not a readable group", where);
    return 0;
}

int pb_store_curves(const pb_store *s, size_t i, float **loss, float **lr, float **sparsity, size_t *n) {
    *loss = *lr = *sparsity = NULL;
    *n = 0;
    char where[WHERE_MAX];
    hid_t g;
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    int rc = open_result_group(s, i, where, &g);
    size_t steps = 0;
    if (rc == 0) {
        pb_h5_ds_info info;
        rc = open_vec(g, where, "curves/loss", H5T_FLOAT, (size_t)-1, &info, &steps);
        if (rc == 0) H5Dclose(info.ds);
    }
    float *buf[3] = {NULL, NULL, NULL};
    static const char *const names[3] = {"curves/loss", "curves/lr", "curves/sparsity"};
    for (int k = 0; k < 3 && rc == 0; k++) {
        if (!(buf[k] = malloc((steps ? steps : 1) * sizeof(float))))
            rc = PB_ERR(PB_ENOMEM, "curves of '%s' (%zu steps)", where, steps);
        else
            rc = pb_h5_read_floats_n(g, where, names[k], buf[k], steps);
    }
    pb_h5_close_id(&g, H5Gclose);
    pb_h5_quiet_end(&q);
    if (rc < 0) {
        for (int k = 0; k < 3; k++) free(buf[k]);
        return rc;
    }
    *loss = buf[0];
    *lr = buf[1];
    *sparsity = buf[2];
    *n = steps;
    return 0;
}

int pb_store_costs(const pb_store *s, size_t i, char names[3][32], double param_share[3], double flop_share[3]) {
    char where[WHERE_MAX];
    hid_t g;
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    int rc = open_result_group(s, i, where, &g);
    char *groups[3] = {NULL, NULL, NULL};
    if (rc == 0) rc = read_strings(g, where, "costs/group", 3, groups);
    if (rc == 0) rc = read_f64_vec(g, where, "costs/param_share", 3, param_share);
    if (rc == 0) rc = read_f64_vec(g, where, "costs/flop_share", 3, flop_share);
    for (int k = 0; k < 3; k++) {
        if (rc == 0 && strlen(groups[k]) >= 32)
            rc = PB_ERR(PB_EFORMAT, "'%s': costs/group[%d] '%s' is longer than 31 bytes", where, k, groups[k]);
        if (rc == 0) snprintf(names[k], 32, "%s", groups[k]);
    }
    for (int k = 0; k < 3; k++) free(groups[k]);
    pb_h5_close_id(&g, H5Gclose);
    pb_h5_quiet_end(&q);
    return rc;
}

int pb_store_timing(const pb_store *s, size_t i, double *wall_seconds, double *steps) {
    char where[WHERE_MAX];
    hid_t g;
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    int rc = open_result_group(s, i, where, &g);
    if (rc == 0) rc = get_num_attr(g, where, RESULT_PREFIX "wall_seconds", H5T_NATIVE_DOUBLE, wall_seconds);
    if (rc == 0) rc = get_num_attr(g, where, RESULT_PREFIX "steps", H5T_NATIVE_DOUBLE, steps);
    pb_h5_close_id(&g, H5Gclose);
    pb_h5_quiet_end(&q);
    return rc;
}
