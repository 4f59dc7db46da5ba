/* Test-side HDF5 readers for the reference fixtures (expect files). */
#ifndef PB_TEST_H5READ_H
#define PB_TEST_H5READ_H

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

/* Read a float dataset (converted to float32); returns element count, 0 if absent. */
static inline size_t h5_read_floats(hid_t f, const char *name, float **out) {
    *out = NULL;
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0) return 0;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return 0;
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    *out = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    if (!*out || H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0) {
        free(*out);
        *out = NULL;
        n = 0;
    }
    H5Dclose(d);
    return (size_t)n;
}

static inline double h5_attr_double(hid_t f, const char *name, double dflt) {
    if (H5Aexists(f, name) <= 0) return dflt;
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    double v = dflt;
    if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0) v = dflt;
    H5Aclose(a);
    return v;
}

/* Root string attribute, variable- or fixed-length; caller frees. NULL if absent. */
static inline char *h5_attr_string(hid_t f, const char *name) {
    if (H5Aexists(f, name) <= 0) return NULL;
    hid_t a = H5Aopen(f, name, H5P_DEFAULT), t = H5Aget_type(a);
    char *out = NULL;
    if (H5Tis_variable_str(t) > 0) {
        char *tmp = NULL;
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(t));
        if (H5Aread(a, mt, &tmp) >= 0 && tmp) {
            out = strdup(tmp);
            H5free_memory(tmp);
        }
        H5Tclose(mt);
    } else {
        size_t sz = H5Tget_size(t);
        out = calloc(sz + 1, 1);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, sz + 1);
        if (H5Aread(a, mt, out) < 0) {
            free(out);
            out = NULL;
        }
        H5Tclose(mt);
    }
    H5Tclose(t);
    H5Aclose(a);
    return out;
}

#endif
