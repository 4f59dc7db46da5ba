#include "trainstate.h"

#include <stdlib.h>
#include <string.h>

#include "h5util.h"
#include "pb_error.h"

#define TRAINSTATE_FORMAT "prunebench-trainstate-1"

static int write_flat(hid_t f, hid_t dcpl, const char *path, const char *name, const float *x, size_t n) {
    if (n > (size_t)0x7fffffff) return PB_ERR(PB_ERANGE, "'%s': %zu values exceed one dataset", name, n);
    int shape[1] = {(int)n};
    return pb_h5_write_floats(f, dcpl, path, name, 1, shape, x);
}

int pb_trainstate_save(const char *path, const pb_model *m, const pb_adamw *opt, const pb_trainstate *st) {
    char *tmp = pb_h5_temp_path(path);
    if (!tmp) return PB_ERR(PB_ENOMEM, "temp path for '%s'", path);
    char *json = NULL;
    int rc = pb_config_to_json(&m->cfg, &json);
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    hid_t dcpl = pb_h5_dataset_plist();
    hid_t f = rc == 0 ? pb_h5_create_file(tmp) : -1;
    if (rc == 0 && (f < 0 || dcpl < 0)) rc = PB_ERR(PB_EIO, "cannot create training state '%s'", tmp);
    if (rc == 0) rc = pb_h5_write_string_attr(f, path, "format", TRAINSTATE_FORMAT);
    if (rc == 0) rc = pb_h5_write_string_attr(f, path, "config", json);
    if (rc == 0) rc = pb_h5_write_string_attr(f, path, "run", st->run_text ? st->run_text : "");
    if (rc == 0) rc = pb_h5_write_double_attr(f, path, "step", (double)st->step);
    if (rc == 0) rc = pb_h5_write_double_attr(f, path, "adam_step", (double)opt->step);
    /* the seed as two exact 32-bit halves */
    if (rc == 0) rc = pb_h5_write_double_attr(f, path, "seed_hi", (double)(st->seed >> 32));
    if (rc == 0) rc = pb_h5_write_double_attr(f, path, "seed_lo", (double)(st->seed & 0xffffffffu));
    if (rc == 0) rc = pb_h5_write_double_attr(f, path, "applied_sparsity", st->applied_sparsity);
    if (rc == 0) rc = pb_h5_write_double_attr(f, path, "curve_cols", (double)st->curve_cols);
    if (rc == 0) rc = write_flat(f, dcpl, path, "params", m->params_mem, m->n_floats);
    if (rc == 0) rc = write_flat(f, dcpl, path, "adam_m", opt->m, opt->n);
    if (rc == 0) rc = write_flat(f, dcpl, path, "adam_v", opt->v, opt->n);
    if (rc == 0 && m->masks_mem) rc = write_flat(f, dcpl, path, "masks", m->masks_mem, m->n_mask_floats);
    if (rc == 0 && st->n_method_state) rc = write_flat(f, dcpl, path, "method_state", st->method_state, st->n_method_state);
    if (rc == 0) rc = write_flat(f, dcpl, path, "curves", st->curves, st->n_curve_rows * st->curve_cols);
    pb_h5_close_id(&dcpl, H5Pclose);
    rc = pb_h5_finish_temp_file(f, tmp, path, &q, rc);
    free(json);
    return rc;
}

int pb_trainstate_load(const char *path, pb_model *m, pb_adamw *opt, pb_trainstate *st) {
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    hid_t f = -1;
    int rc = pb_h5_open_read(path, "training state", &f);
    char *format = NULL, *run = NULL;
    double step = 0, adam_step = 0, hi = 0, lo = 0, cols = 0;
    st->curves = NULL;
    if (rc == 0) rc = pb_h5_read_string_attr(f, path, "format", &format);
    if (rc == 0 && strcmp(format, TRAINSTATE_FORMAT) != 0)
        rc = PB_ERR(PB_EFORMAT, "'%s' has format '%s'; expected %s", path, format, TRAINSTATE_FORMAT);
    if (rc == 0) rc = pb_h5_read_string_attr(f, path, "run", &run);
    if (rc == 0 && strcmp(run, st->run_text ? st->run_text : "") != 0)
        rc = PB_ERR(PB_EINVAL, "'%s' belongs to a different run config; refusing to resume from it", path);
    if (rc == 0) rc = pb_h5_read_double_attr(f, path, "step", &step);
    if (rc == 0) rc = pb_h5_read_double_attr(f, path, "adam_step", &adam_step);
    if (rc == 0) rc = pb_h5_read_double_attr(f, path, "seed_hi", &hi);
    if (rc == 0) rc = pb_h5_read_double_attr(f, path, "seed_lo", &lo);
    if (rc == 0) rc = pb_h5_read_double_attr(f, path, "applied_sparsity", &st->applied_sparsity);
    if (rc == 0) rc = pb_h5_read_double_attr(f, path, "curve_cols", &cols);
    if (rc == 0 && (size_t)cols != st->curve_cols)
        rc = PB_ERR(PB_EFORMAT, "'%s' logs %g curve columns; expected %zu", path, cols, st->curve_cols);
    if (rc == 0) rc = pb_h5_read_floats_n(f, path, "params", m->params_mem, m->n_floats);
    if (rc == 0) rc = pb_h5_read_floats_n(f, path, "adam_m", opt->m, opt->n);
    if (rc == 0) rc = pb_h5_read_floats_n(f, path, "adam_v", opt->v, opt->n);
    if (rc == 0 && m->masks_mem) rc = pb_h5_read_floats_n(f, path, "masks", m->masks_mem, m->n_mask_floats);
    if (rc == 0 && st->n_method_state)
        rc = pb_h5_read_floats_n(f, path, "method_state", st->method_state, st->n_method_state);
    if (rc == 0) {
        pb_h5_ds_info info;
        rc = pb_h5_open_dataset(f, path, "curves", &info);
        if (rc == 0) {
            size_t n = info.ndim ? (size_t)info.dims[0] : 1;
            pb_h5_close_id(&info.ds, H5Dclose);
            st->curves = malloc(sizeof(float) * (n ? n : 1));
            if (!st->curves) rc = PB_ERR(PB_ENOMEM, "curves of '%s'", path);
            if (rc == 0) rc = pb_h5_read_floats_n(f, path, "curves", st->curves, n);
            if (rc == 0) st->n_curve_rows = st->curve_cols ? n / st->curve_cols : 0;
        }
    }
    if (rc == 0) {
        st->step = (long)step;
        opt->step = (long)adam_step;
        st->seed = ((uint64_t)hi << 32) | (uint64_t)lo;
    }
    if (f >= 0) H5Fclose(f);
    pb_h5_quiet_end(&q);
    free(format);
    free(run);
    if (rc < 0) {
        free(st->curves);
        st->curves = NULL;
    }
    return rc;
}
