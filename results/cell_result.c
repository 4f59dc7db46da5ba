#include "cell_result.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5util.h"
#include "pb_error.h"

/* Longest "group/name" dataset path: metric names are < 32 bytes. */
enum { DS_NAME_MAX = 96 };

static const char *str_or_empty(const char *s) { return s ? s : ""; }

static const char *status_name(int status) {
    switch (status) {
    case PB_TRAIN_DONE: return "done";
    case PB_TRAIN_DIVERGED: return "diverged";
    case PB_TRAIN_STOPPED: return "stopped";
    default: return NULL;
    }
}

/* A metric name must be a NUL-terminated pb_metrics name usable as one HDF5
 * link name: non-empty, no '/', not ".". `where` names its place in messages. */
static int check_metric_name(const char *path, const char *where, const char name[32]) {
    if (!memchr(name, '\0', 32)) return PB_ERR(PB_EINVAL, "%s of '%s': metric name is not NUL-terminated", where, path);
    if (!name[0] || strchr(name, '/') || strcmp(name, ".") == 0)
        return PB_ERR(PB_EINVAL, "%s of '%s': metric name '%s' is not a valid dataset name (empty, '.' or has '/')",
                      where, path, name);
    return 0;
}

/* Index of metric `name` in m, or -1. */
static int metric_index(const pb_metrics *m, const char *name) {
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->name[i], name) == 0) return i;
    return -1;
}

/* Names of m valid and unique; `where` names m in messages. */
static int check_metrics(const char *path, const char *where, const pb_metrics *m) {
    if (m->n < 0 || m->n > PB_METRICS_MAX)
        return PB_ERR(PB_EINVAL, "%s of '%s': %d metrics (expected 0..%d)", where, path, m->n, PB_METRICS_MAX);
    for (int i = 0; i < m->n; i++) {
        PB_TRY(check_metric_name(path, where, m->name[i]));
        if (metric_index(m, m->name[i]) != i)
            return PB_ERR(PB_EINVAL, "%s of '%s': metric '%s' appears twice", where, path, m->name[i]);
    }
    return 0;
}

/* Everything that can be checked before a file is created. */
static int check_inputs(const char *path, const pb_cell_info *info, const pb_train_result *r,
                        const pb_group_cost costs[PB_PRUNE_N_GROUPS]) {
    if (!info || !r || !costs) return PB_ERR(PB_EINVAL, "cell result '%s': missing info, result or costs", path);
    if (!info->run_yaml) return PB_ERR(PB_EINVAL, "cell result '%s': no run config text (run_yaml)", path);
    if (!info->cell_id || !info->cell_id[0]) return PB_ERR(PB_EINVAL, "cell result '%s': empty cell_id", path);
    if (!info->task || !info->task[0]) return PB_ERR(PB_EINVAL, "cell result '%s': empty task name", path);
    if (!info->model || !info->model[0]) return PB_ERR(PB_EINVAL, "cell result '%s': empty model source", path);
    if (!status_name(r->status))
        return PB_ERR(PB_EINVAL, "cell result '%s': unknown status %d (expected PB_TRAIN_DONE, _DIVERGED or _STOPPED)",
                      path, r->status);
    if (r->steps < 0 || (uint64_t)r->steps > (uint64_t)(SIZE_MAX / (PB_CURVE_COLS * sizeof(double))))
        return PB_ERR(PB_ERANGE, "cell result '%s': implausible step count %ld", path, r->steps);
    if (r->steps > 0 && !r->curves)
        return PB_ERR(PB_EINVAL, "cell result '%s': %ld steps but no curves", path, r->steps);
    PB_TRY(check_metrics(path, "final metrics", &r->final_metrics));
    if (r->n_evals < 0) return PB_ERR(PB_EINVAL, "cell result '%s': negative eval count %d", path, r->n_evals);
    if (r->n_evals > 0 && (!r->evals || !r->eval_epochs))
        return PB_ERR(PB_EINVAL, "cell result '%s': %d evals but no eval metrics or epochs", path, r->n_evals);
    for (int e = 0; e < r->n_evals; e++) {
        char where[48];
        snprintf(where, sizeof where, "eval %d", e);
        PB_TRY(check_metrics(path, where, &r->evals[e]));
        if (r->evals[e].n != r->evals[0].n)
            return PB_ERR(PB_EINVAL, "cell result '%s': eval %d has %d metrics, eval 0 has %d", path, e,
                          r->evals[e].n, r->evals[0].n);
        for (int i = 0; i < r->evals[0].n; i++)
            if (metric_index(&r->evals[e], r->evals[0].name[i]) < 0)
                return PB_ERR(PB_EINVAL, "cell result '%s': eval %d lacks metric '%s' of eval 0", path, e,
                              r->evals[0].name[i]);
        if (e == 0 && metric_index(&r->evals[0], "epoch") >= 0)
            return PB_ERR(PB_EINVAL, "cell result '%s': eval metric name 'epoch' clashes with evals/epoch", path);
    }
    if (r->pruned && (r->audit.n_rows < 0 || (r->audit.n_rows > 0 && !r->audit.rows)))
        return PB_ERR(PB_EINVAL, "cell result '%s': audit has %d rows but no row storage", path, r->audit.n_rows);
    return 0;
}

/* ---- writers (dataset names are paths from the root, e.g. "metrics/f1") ---- */


/* Dataset `name` of file type ftype from memory type mtype: ndim 0 = scalar, else [n]. */
static int write_ds(hid_t f, hid_t dcpl, const char *path, const char *name, hid_t ftype, hid_t mtype, int ndim,
                    size_t n, const void *data) {
    hsize_t dims[1] = {(hsize_t)n};
    hid_t sp = ndim ? H5Screate_simple(1, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t ds = sp < 0 ? -1 : H5Dcreate2(f, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int ok = ds >= 0 && (ndim && n == 0 ? 1 : H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    if (ds >= 0 && H5Dclose(ds) < 0) ok = 0;
    pb_h5_close_id(&sp, H5Sclose);
    if (!ok) return PB_ERR(PB_EIO, "cannot write dataset '%s' to '%s'", name, path);
    return 0;
}

static int write_f64(hid_t f, hid_t dcpl, const char *path, const char *name, int ndim, size_t n, const double *x) {
    return write_ds(f, dcpl, path, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, ndim, n, x);
}

static int write_i64(hid_t f, hid_t dcpl, const char *path, const char *name, size_t n, const int64_t *x) {
    return write_ds(f, dcpl, path, name, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, n, x);
}

/* [n] variable-length UTF-8 strings. */
static int write_strings(hid_t f, hid_t dcpl, const char *path, const char *name, size_t n, const char **s) {
    hid_t st = H5Tcopy(H5T_C_S1);
    int ok = st >= 0 && H5Tset_size(st, H5T_VARIABLE) >= 0 && H5Tset_cset(st, H5T_CSET_UTF8) >= 0;
    if (!ok) {
        pb_h5_close_id(&st, H5Tclose);
        return PB_ERR(PB_EIO, "cannot make the string type of dataset '%s' in '%s'", name, path);
    }
    int rc = write_ds(f, dcpl, path, name, st, st, 1, n, s);
    H5Tclose(st);
    return rc;
}

static const char *ds_name(char buf[DS_NAME_MAX], const char *group, const char *name) {
    snprintf(buf, DS_NAME_MAX, "%s/%s", group, name);
    return buf;
}

/* ---- sections -------------------------------------------------------------- */

static int write_root_attrs(hid_t f, const char *path, const pb_cell_info *info, const pb_train_result *r) {
    char seed[24], reason[sizeof r->reason];
    snprintf(seed, sizeof seed, "%" PRIu64, info->seed);
    snprintf(reason, sizeof reason, "%.*s", (int)strnlen(r->reason, sizeof r->reason - 1), r->reason);
    const char *strs[][2] = {
        {"format", PB_CELL_RESULT_FORMAT},
        {"cell_id", info->cell_id},
        {"run", info->run_yaml},
        {"task", info->task},
        {"model", info->model},
        {"status", status_name(r->status)},
        {"reason", reason},
        {"seed", seed},
        {"blas_core", str_or_empty(info->blas_core)},
        {"host", str_or_empty(info->host)},
        {"cpu_model", str_or_empty(info->cpu_model)},
        {"git_commit", str_or_empty(info->git_commit)},
        {"data_sha256", str_or_empty(info->data_sha256)},
        {"model_sha256", str_or_empty(info->model_sha256)},
        {"start_time", str_or_empty(info->start_time)},
        {"end_time", str_or_empty(info->end_time)},
        {"unexpected_tensors", str_or_empty(info->unexpected_tensors)},
        {"missing_tensors", str_or_empty(info->missing_tensors)},
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        PB_TRY(pb_h5_write_string_attr(f, path, strs[i][0], strs[i][1]));
    const struct {
        const char *name;
        double v;
    } nums[] = {
        {"threads", (double)info->threads},
        {"steps", (double)r->steps},
        {"steps_per_epoch", (double)r->steps_per_epoch},
        {"wall_seconds", r->wall_seconds},
        {"tokens", r->tokens},
        {"dense_flops", r->dense_flops},
        {"sparse_flops", r->sparse_flops},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        PB_TRY(pb_h5_write_double_attr(f, path, nums[i].name, nums[i].v));
    return 0;
}

static int write_metrics(hid_t f, hid_t dcpl, const char *path, const pb_train_result *r) {
    hid_t g;
    PB_TRY(pb_h5_make_group(f, path, "metrics", &g));
    H5Gclose(g);
    char name[DS_NAME_MAX];
    for (int i = 0; i < r->final_metrics.n; i++)
        PB_TRY(write_f64(f, dcpl, path, ds_name(name, "metrics", r->final_metrics.name[i]), 0, 1,
                         &r->final_metrics.value[i]));
    return 0;
}

static int write_evals(hid_t f, hid_t dcpl, const char *path, const pb_train_result *r, double *col) {
    hid_t g;
    PB_TRY(pb_h5_make_group(f, path, "evals", &g));
    H5Gclose(g);
    const size_t n = (size_t)r->n_evals;
    PB_TRY(write_f64(f, dcpl, path, "evals/epoch", 1, n, r->eval_epochs));
    if (n == 0) return 0;
    char name[DS_NAME_MAX];
    for (int i = 0; i < r->evals[0].n; i++) {
        const char *metric = r->evals[0].name[i];
        for (size_t e = 0; e < n; e++) col[e] = r->evals[e].value[metric_index(&r->evals[e], metric)];
        PB_TRY(write_f64(f, dcpl, path, ds_name(name, "evals", metric), 1, n, col));
    }
    return 0;
}

static int write_curves(hid_t f, hid_t dcpl, const char *path, const pb_train_result *r, float *col) {
    hid_t g;
    PB_TRY(pb_h5_make_group(f, path, "curves", &g));
    int rc = pb_h5_write_double_attr(g, path, "steps_per_epoch", (double)r->steps_per_epoch);
    H5Gclose(g);
    PB_TRY(rc);
    static const char *const names[PB_CURVE_COLS] = {"curves/loss", "curves/lr", "curves/sparsity"};
    static const int cols[PB_CURVE_COLS] = {PB_CURVE_LOSS, PB_CURVE_LR, PB_CURVE_SPARSITY};
    const size_t n = (size_t)r->steps;
    if (n > (size_t)INT32_MAX) return PB_ERR(PB_ERANGE, "cell result '%s': %zu steps exceed the curve limit", path, n);
    const int shape[1] = {(int)n};
    for (int c = 0; c < PB_CURVE_COLS; c++) {
        for (size_t s = 0; s < n; s++) col[s] = r->curves[s * PB_CURVE_COLS + (size_t)cols[c]];
        PB_TRY(pb_h5_write_floats(f, dcpl, path, names[c], 1, shape, col));
    }
    return 0;
}

static int write_audit(hid_t f, hid_t dcpl, const char *path, const pb_audit *a, void *scratch) {
    hid_t g;
    PB_TRY(pb_h5_make_group(f, path, "audit", &g));
    int rc = 0;
    const char *scope = pb_prune_scope_name(a->scope), *mask = pb_prune_mask_name(a->mask);
    if (rc == 0) rc = pb_h5_write_string_attr(g, path, "scope", str_or_empty(scope));
    if (rc == 0) rc = pb_h5_write_string_attr(g, path, "mask", str_or_empty(mask));
    if (rc == 0) rc = pb_h5_write_double_attr(g, path, "target", a->target);
    if (rc == 0) rc = pb_h5_write_double_attr(g, path, "selected_sparsity", a->selected_sparsity);
    if (rc == 0) rc = pb_h5_write_double_attr(g, path, "encoder_sparsity", a->encoder_sparsity);
    if (rc == 0) rc = pb_h5_write_double_attr(g, path, "selected_numel", (double)a->selected_numel);
    if (rc == 0) rc = pb_h5_write_double_attr(g, path, "selected_zeros", (double)a->selected_zeros);
    if (rc == 0) rc = pb_h5_write_double_attr(g, path, "encoder_numel", (double)a->encoder_numel);
    if (rc == 0) rc = pb_h5_write_double_attr(g, path, "encoder_zeros", (double)a->encoder_zeros);
    H5Gclose(g);
    PB_TRY(rc);
    const size_t n = (size_t)a->n_rows;
    const char **names = scratch;
    int64_t *ints = scratch;
    double *dbls = scratch;
    for (size_t i = 0; i < n; i++) names[i] = str_or_empty(a->rows[i].name);
    PB_TRY(write_strings(f, dcpl, path, "audit/name", n, names));
    for (size_t i = 0; i < n; i++) ints[i] = (int64_t)a->rows[i].numel;
    PB_TRY(write_i64(f, dcpl, path, "audit/numel", n, ints));
    for (size_t i = 0; i < n; i++) ints[i] = (int64_t)a->rows[i].nonzeros;
    PB_TRY(write_i64(f, dcpl, path, "audit/nonzeros", n, ints));
    for (size_t i = 0; i < n; i++) dbls[i] = a->rows[i].sparsity;
    PB_TRY(write_f64(f, dcpl, path, "audit/sparsity", 1, n, dbls));
    for (size_t i = 0; i < n; i++) dbls[i] = a->rows[i].target;
    PB_TRY(write_f64(f, dcpl, path, "audit/target", 1, n, dbls));
    return 0;
}

static int write_costs(hid_t f, hid_t dcpl, const char *path, const pb_cell_info *info,
                       const pb_group_cost c[PB_PRUNE_N_GROUPS]) {
    enum { N = PB_PRUNE_N_GROUPS };
    hid_t g;
    PB_TRY(pb_h5_make_group(f, path, "costs", &g));
    int rc = pb_h5_write_double_attr(g, path, "total_params", (double)c[0].total_params);
    if (rc == 0) rc = pb_h5_write_double_attr(g, path, "total_flops", c[0].total_flops);
    if (rc == 0) rc = pb_h5_write_double_attr(g, path, "seq_len", (double)info->seq_len);
    H5Gclose(g);
    PB_TRY(rc);
    const char *names[N];
    int64_t params[N];
    double pshare[N], flops[N], fshare[N];
    for (int i = 0; i < N; i++) {
        names[i] = c[i].group ? c[i].group : pb_prune_group_name((pb_prune_group)i);
        params[i] = (int64_t)c[i].params;
        pshare[i] = c[i].param_share;
        flops[i] = c[i].flops;
        fshare[i] = c[i].flop_share;
    }
    PB_TRY(write_strings(f, dcpl, path, "costs/group", N, names));
    PB_TRY(write_i64(f, dcpl, path, "costs/params", N, params));
    PB_TRY(write_f64(f, dcpl, path, "costs/param_share", 1, N, pshare));
    PB_TRY(write_f64(f, dcpl, path, "costs/flops", 1, N, flops));
    PB_TRY(write_f64(f, dcpl, path, "costs/flop_share", 1, N, fshare));
    return 0;
}

/* ---- public ------------------------------------------------------------------ */

int pb_cell_result_write(const char *path, const pb_cell_info *info, const pb_train_result *r,
                         const pb_group_cost costs[PB_PRUNE_N_GROUPS]) {
    if (!path || !path[0]) return PB_ERR(PB_EINVAL, "cell result: no path given");
    PB_TRY(check_inputs(path, info, r, costs));

    /* One scratch buffer for every column: curves (float), evals, audit (8 bytes each). */
    size_t rows = (size_t)r->steps;
    if ((size_t)r->n_evals > rows) rows = (size_t)r->n_evals;
    if (r->pruned && (size_t)r->audit.n_rows > rows) rows = (size_t)r->audit.n_rows;
    void *scratch = malloc((rows ? rows : 1) * sizeof(double));
    char *tmp = scratch ? pb_h5_temp_path(path) : NULL;
    if (!tmp) {
        free(scratch);
        return PB_ERR(PB_ENOMEM, "cell result '%s': scratch for %zu rows", path, rows);
    }

    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    int rc = 0;
    hid_t dcpl = pb_h5_dataset_plist();
    hid_t f = dcpl >= 0 ? pb_h5_create_file(tmp) : -1;
    if (f < 0) rc = PB_ERR(PB_EIO, "cannot create cell result file '%s' (temp file '%s')", path, tmp);
    if (rc == 0) rc = write_root_attrs(f, path, info, r);
    if (rc == 0) rc = write_metrics(f, dcpl, path, r);
    if (rc == 0) rc = write_evals(f, dcpl, path, r, scratch);
    if (rc == 0) rc = write_curves(f, dcpl, path, r, scratch);
    if (rc == 0 && r->pruned) rc = write_audit(f, dcpl, path, &r->audit, scratch);
    if (rc == 0) rc = write_costs(f, dcpl, path, info, costs);
    pb_h5_close_id(&dcpl, H5Pclose);
    rc = pb_h5_finish_temp_file(f, tmp, path, &q, rc);
    free(scratch);
    return rc;
}

int pb_cell_result_read_metric(const char *path, const char *name, double *value) {
    if (!path || !name || !value) return PB_ERR(PB_EINVAL, "cell result metric: missing path, name or output");
    if (!name[0] || strchr(name, '/') || strlen(name) >= 32)
        return PB_ERR(PB_EINVAL, "cell result '%s': '%s' is not a metric name", path, name);
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    hid_t f = -1;
    char *format = NULL;
    pb_h5_ds_info info = {.ds = -1};
    int rc = pb_h5_open_read(path, "cell result", &f);
    if (rc == 0 && H5Aexists(f, "format") <= 0)
        rc = PB_ERR(PB_EFORMAT, "'%s' is not a prunebench cell result (no 'format' attribute)", path);
    if (rc == 0) rc = pb_h5_read_string_attr(f, path, "format", &format);
    if (rc == 0 && strcmp(format, PB_CELL_RESULT_FORMAT) != 0)
        rc = PB_ERR(PB_EFORMAT, "'%s' has format '%s'; expected '%s'", path, format, PB_CELL_RESULT_FORMAT);
    char ds[DS_NAME_MAX];
    ds_name(ds, "metrics", name);
    if (rc == 0 && !pb_h5_link_exists(f, ds))
        rc = PB_ERR(PB_ENOTFOUND, "cell result '%s' has no metric '%s' (dataset '%s')", path, name, ds);
    if (rc == 0) rc = pb_h5_open_dataset(f, path, ds, &info);
    if (rc == 0 && (info.cls != H5T_FLOAT || info.ndim != 0))
        rc = PB_ERR(PB_EFORMAT, "metric '%s' in '%s' is not a float scalar (%s, rank %d)", ds, path,
                    pb_h5_class_name(info.cls), info.ndim);
    if (rc == 0 && H5Dread(info.ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, value) < 0)
        rc = PB_ERR(PB_EIO, "cannot read metric '%s' from '%s'", ds, path);
    pb_h5_close_id(&info.ds, H5Dclose);
    pb_h5_close_id(&f, H5Fclose);
    pb_h5_quiet_end(&q);
    free(format);
    return rc;
}
