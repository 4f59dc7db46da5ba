/* Shared HDF5 helpers of the engine's file formats (checkpoints, batches,
 * gradient dumps, training state) and of the result store: quiet error
 * handling, atomic writes through a temp file, typed reads with shape checks.
 * Every failure becomes a PB_E* error naming the file and the dataset. */
#ifndef PB_H5UTIL_H
#define PB_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>

typedef struct {
    H5E_auto2_t func;
    void *data;
} pb_h5_quiet;

typedef struct {
    hid_t ds;
    H5T_class_t cls;
    int ndim; /* 0 = scalar */
    hsize_t dims[H5S_MAX_RANK];
} pb_h5_ds_info;

/* Silence HDF5 error printing until pb_h5_quiet_end (process-wide in serial HDF5). */
void pb_h5_quiet_begin(pb_h5_quiet *q);
void pb_h5_quiet_end(const pb_h5_quiet *q);
void pb_h5_close_id(hid_t *id, herr_t (*closer)(hid_t));
const char *pb_h5_shape_str(char *buf, size_t size, int ndim, const hsize_t *dims);
const char *pb_h5_int_shape_str(char *buf, size_t size, int ndim, const int *shape);
const char *pb_h5_class_name(H5T_class_t c);
/* Open `path` read-only; `what` names the file kind in errors. */
int pb_h5_open_read(const char *path, const char *what, hid_t *out);
int pb_h5_link_exists(hid_t loc, const char *name);
/* Open dataset `name` and describe it; errors name file and dataset. */
int pb_h5_open_dataset(hid_t file, const char *path, const char *name, pb_h5_ds_info *info);
int pb_h5_shape_equals(const pb_h5_ds_info *info, int ndim, const int *shape);
int pb_h5_check_float_shape(const pb_h5_ds_info *info, const char *path, const char *name, int ndim,
                            const int *shape);
size_t pb_h5_shape_numel(int ndim, const int *shape);
int pb_h5_check_finite(const float *x, size_t n, const char *path, const char *name);
/* Atomic writes: write to pb_h5_temp_path(path), then pb_h5_finish_temp_file
 * (close, end quiet, rename into place on success or remove on failure). */
char *pb_h5_temp_path(const char *path);
int pb_h5_commit_temp(const char *tmp, const char *path);
int pb_h5_finish_temp_file(hid_t f, char *tmp, const char *path, const pb_h5_quiet *q, int rc);
/* New file: links in creation order, no timestamps (byte-identical output). */
hid_t pb_h5_create_file(const char *tmp);
hid_t pb_h5_dataset_plist(void);
/* float32 dataset (ndim 0 = scalar). */
int pb_h5_write_floats(hid_t loc, hid_t dcpl, const char *path, const char *name, int ndim, const int *shape,
                       const float *data);
int pb_h5_write_string_attr(hid_t loc, const char *path, const char *name, const char *text);
/* Scalar string attribute, variable- or fixed-length; caller frees *out. */
int pb_h5_read_string_attr(hid_t loc, const char *path, const char *name, char **out);
/* Read dataset `name` of exactly `shape` as float32 (want_float) or int32 into a new buffer. */
int pb_h5_read_exact(hid_t f, const char *path, const char *name, int want_float, int ndim, const int *shape,
                     const char *shape_names, void **out);

/* Scalar float64 attributes (counters, hyperparameters). */
int pb_h5_write_double_attr(hid_t loc, const char *path, const char *name, double value);
int pb_h5_read_double_attr(hid_t loc, const char *path, const char *name, double *value);
/* Read float dataset `name` holding exactly n values (any shape) into out. */
int pb_h5_read_floats_n(hid_t f, const char *path, const char *name, float *out, size_t n);

/* Group `name` in loc with links in creation order and no timestamps (byte-
 * identical files); `path` names the file in the error. */
int pb_h5_make_group(hid_t loc, const char *path, const char *name, hid_t *out);

#endif
