/* Hugging Face safetensors checkpoints and model folders (see safetensors.h). */
#include "safetensors.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "h5util.h"
#include "pb_error.h"

/* ---- dtypes --------------------------------------------------------------- */

typedef enum { DT_F32, DT_F16, DT_BF16, DT_F64, DT_OTHER } dt_kind;

typedef struct {
    const char *name;
    size_t size;
    dt_kind kind;
} dt_info;

static const dt_info k_dtypes[] = {
    {"F32", 4, DT_F32},    {"F16", 2, DT_F16},       {"BF16", 2, DT_BF16},     {"F64", 8, DT_F64},
    {"I64", 8, DT_OTHER},  {"I32", 4, DT_OTHER},     {"I16", 2, DT_OTHER},     {"I8", 1, DT_OTHER},
    {"U64", 8, DT_OTHER},  {"U32", 4, DT_OTHER},     {"U16", 2, DT_OTHER},     {"U8", 1, DT_OTHER},
    {"BOOL", 1, DT_OTHER}, {"F8_E4M3", 1, DT_OTHER}, {"F8_E5M2", 1, DT_OTHER},
};

static const dt_info *dtype_lookup(const char *name) {
    for (size_t i = 0; i < sizeof k_dtypes / sizeof k_dtypes[0]; i++)
        if (strcmp(k_dtypes[i].name, name) == 0) return &k_dtypes[i];
    return NULL;
}

static int host_is_le(void) {
    const uint32_t one = 1;
    unsigned char b[4];
    memcpy(b, &one, 4);
    return b[0] == 1;
}

static float bits_to_float(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* IEEE binary16 -> binary32, exact (every half is representable as a float). */
static float half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h >> 15) << 31;
    const uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0) {
        if (mant == 0) return bits_to_float(sign); /* signed zero */
        /* subnormal half: mant * 2^-24, a normal float; normalize */
        int e = -1;
        do {
            mant <<= 1;
            e++;
        } while (!(mant & 0x400u));
        mant &= 0x3ffu;
        return bits_to_float(sign | (uint32_t)(127 - 15 - e) << 23 | mant << 13);
    }
    if (exp == 31) return bits_to_float(sign | 0x7f800000u | mant << 13); /* inf / NaN (payload kept) */
    return bits_to_float(sign | (exp + 112u) << 23 | mant << 13);
}

static float bf16_to_float(uint16_t b) {
    return bits_to_float((uint32_t)b << 16);
}

static uint16_t le16(const unsigned char *p) {
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}
static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const unsigned char *p) {
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* ---- header --------------------------------------------------------------- */

#define ST_MAX_DIMS 8

typedef struct {
    const char *name; /* owned by the JSON header */
    const dt_info *dt;
    int ndim;
    uint64_t shape[ST_MAX_DIMS];
    uint64_t numel;
    uint64_t begin, end;
    int param;        /* model parameter index, or -1 */
    int tied_decoder; /* a tied MLM decoder weight */
} st_entry;

static const char *shape_str(char *buf, size_t size, int ndim, const uint64_t *dims) {
    size_t k = 0;
    k += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ndim && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%llu", i ? ", " : "", (unsigned long long)dims[i]);
    if (k < size) snprintf(buf + k, size - k, "]");
    return buf;
}

/* JSON integer >= 0 into *out; 0 or -1. */
static int json_u64(const json_t *v, uint64_t *out) {
    if (!json_is_integer(v) || json_integer_value(v) < 0) return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int parse_entry(const char *path, const char *name, const json_t *v, uint64_t data_len, st_entry *e) {
    memset(e, 0, sizeof *e);
    e->name = name;
    e->param = -1;
    if (!json_is_object(v))
        return PB_ERR(PB_EFORMAT, "'%s': tensor '%s': header entry is not a JSON object", path, name);
    const json_t *dt = json_object_get(v, "dtype"), *sh = json_object_get(v, "shape"),
                 *off = json_object_get(v, "data_offsets");
    if (!dt) return PB_ERR(PB_EFORMAT, "'%s': tensor '%s': missing \"dtype\"", path, name);
    if (!sh) return PB_ERR(PB_EFORMAT, "'%s': tensor '%s': missing \"shape\"", path, name);
    if (!off) return PB_ERR(PB_EFORMAT, "'%s': tensor '%s': missing \"data_offsets\"", path, name);
    if (!json_is_string(dt)) return PB_ERR(PB_EFORMAT, "'%s': tensor '%s': \"dtype\" must be a string", path, name);
    e->dt = dtype_lookup(json_string_value(dt));
    if (!e->dt) return PB_ERR(PB_EFORMAT, "'%s': tensor '%s': unknown dtype '%s'", path, name, json_string_value(dt));
    if (!json_is_array(sh))
        return PB_ERR(PB_EFORMAT, "'%s': tensor '%s': \"shape\" must be an array of non-negative integers", path, name);
    if (json_array_size(sh) > ST_MAX_DIMS)
        return PB_ERR(PB_EFORMAT, "'%s': tensor '%s': shape has %zu dims (at most %d supported)", path, name,
                      json_array_size(sh), ST_MAX_DIMS);
    e->ndim = (int)json_array_size(sh);
    e->numel = 1;
    for (int i = 0; i < e->ndim; i++) {
        if (json_u64(json_array_get(sh, (size_t)i), &e->shape[i]) < 0)
            return PB_ERR(PB_EFORMAT, "'%s': tensor '%s': \"shape\" must be an array of non-negative integers", path,
                          name);
        if (e->shape[i] && e->numel > UINT64_MAX / e->shape[i])
            return PB_ERR(PB_ERANGE, "'%s': tensor '%s': shape overflows", path, name);
        e->numel *= e->shape[i];
    }
    if (!json_is_array(off) || json_array_size(off) != 2 || json_u64(json_array_get(off, 0), &e->begin) < 0 ||
        json_u64(json_array_get(off, 1), &e->end) < 0)
        return PB_ERR(PB_EFORMAT, "'%s': tensor '%s': \"data_offsets\" must be [begin, end] of non-negative integers",
                      path, name);
    if (e->end < e->begin)
        return PB_ERR(PB_EFORMAT, "'%s': tensor '%s': data_offsets end %llu < begin %llu", path, name,
                      (unsigned long long)e->end, (unsigned long long)e->begin);
    if (e->end > data_len)
        return PB_ERR(PB_EFORMAT,
                      "'%s': tensor '%s': data_offsets [%llu, %llu] out of range (data buffer is %llu bytes)", path,
                      name, (unsigned long long)e->begin, (unsigned long long)e->end, (unsigned long long)data_len);
    if (e->numel > UINT64_MAX / e->dt->size || e->end - e->begin != e->numel * e->dt->size) {
        char sb[256];
        return PB_ERR(PB_EFORMAT, "'%s': tensor '%s': %llu bytes in data_offsets, but %s shape %s needs %llu", path,
                      name, (unsigned long long)(e->end - e->begin), e->dt->name,
                      shape_str(sb, sizeof sb, e->ndim, e->shape), (unsigned long long)(e->numel * e->dt->size));
    }
    return 0;
}

static int cmp_begin(const void *a, const void *b) {
    const st_entry *x = *(const st_entry *const *)a, *y = *(const st_entry *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Model parameter for a file name: exact, or with the model's prefix added. */
static int match_param(const pb_model *m, const char *name) {
    int i = pb_model_find_param(m, name);
    if (i >= 0) return i;
    const char *p = m->cfg.model_type == PB_MODEL_ROBERTA ? "roberta." : "bert.";
    size_t n = strlen(p) + strlen(name) + 1;
    char *full = malloc(n);
    if (!full) return -1;
    snprintf(full, n, "%s%s", p, name);
    i = pb_model_find_param(m, full);
    free(full);
    return i;
}

static int is_tied_decoder_name(const char *name) {
    return strcmp(name, "cls.predictions.decoder.weight") == 0 || strcmp(name, "lm_head.decoder.weight") == 0;
}

/* ---- data ----------------------------------------------------------------- */

/* Read entry `e` (data at file offset `base` + begin) converted to f32 into out. */
static int read_tensor(FILE *f, const char *path, uint64_t base, const st_entry *e, float *out, void **scratch,
                       size_t *scratch_size) {
    const size_t bytes = (size_t)(e->end - e->begin);
    if (bytes == 0) return 0;
    if (base + e->begin > (uint64_t)INT64_MAX || fseeko(f, (off_t)(base + e->begin), SEEK_SET) != 0)
        return PB_ERR(PB_EIO, "'%s': tensor '%s': cannot seek: %s", path, e->name, strerror(errno));
    const size_t n = (size_t)e->numel;
    if (e->dt->kind == DT_F32 && host_is_le()) {
        if (fread(out, 1, bytes, f) != bytes) return PB_ERR(PB_EIO, "'%s': tensor '%s': short read", path, e->name);
    } else {
        if (*scratch_size < bytes) {
            void *s = realloc(*scratch, bytes);
            if (!s) return PB_ERR(PB_ENOMEM, "'%s': tensor '%s': cannot allocate %zu bytes", path, e->name, bytes);
            *scratch = s;
            *scratch_size = bytes;
        }
        const unsigned char *b = *scratch;
        if (fread(*scratch, 1, bytes, f) != bytes)
            return PB_ERR(PB_EIO, "'%s': tensor '%s': short read", path, e->name);
        switch (e->dt->kind) {
        case DT_F32:
            for (size_t i = 0; i < n; i++) out[i] = bits_to_float(le32(b + 4 * i));
            break;
        case DT_F16:
            for (size_t i = 0; i < n; i++) out[i] = half_to_float(le16(b + 2 * i));
            break;
        case DT_BF16:
            for (size_t i = 0; i < n; i++) out[i] = bf16_to_float(le16(b + 2 * i));
            break;
        case DT_F64:
            for (size_t i = 0; i < n; i++) {
                uint64_t u = le64(b + 8 * i);
                double d;
                memcpy(&d, &u, sizeof d);
                out[i] = (float)d;
            }
            break;
        default:
            return PB_ERR(PB_EFORMAT, "'%s': tensor '%s': dtype %s cannot be loaded as a float tensor", path, e->name,
                          e->dt->name);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(out[i]))
            return PB_ERR(PB_EFORMAT, "'%s': tensor '%s' has a non-finite value (%g) at flat index %zu", path, e->name,
                          (double)out[i], i);
    return 0;
}

/* ---- load ----------------------------------------------------------------- */

int pb_st_names_push(char ***list, int *n, const char *name) {
    char **l = realloc(*list, sizeof *l * (size_t)(*n + 1));
    if (!l) return PB_ERR(PB_ENOMEM, "tensor name list");
    *list = l;
    l[*n] = strdup(name);
    if (!l[*n]) return PB_ERR(PB_ENOMEM, "tensor name '%s'", name);
    (*n)++;
    return 0;
}

void pb_st_names_free(char **list, int n) {
    for (int i = 0; i < n; i++) free(list[i]);
    free(list);
}

void pb_st_report_free(pb_st_report *rep) {
    if (!rep) return;
    pb_st_names_free(rep->unexpected, rep->n_extra);
    pb_st_names_free(rep->missing, rep->n_missing);
    rep->unexpected = rep->missing = NULL;
}

/* Record an extra tensor's name in the report: the full list, and the short
 * text (comma-separated, "..." once full). */
static int note_extra(pb_st_report *rep, char ***list, int *n_listed, const char *name) {
    PB_TRY(pb_st_names_push(list, n_listed, name));
    size_t used = strlen(rep->extra), need = strlen(name) + (used ? 2 : 0);
    if (used + need + 4 >= sizeof rep->extra) {
        if (used + 4 < sizeof rep->extra && (used < 3 || strcmp(rep->extra + used - 3, "...") != 0))
            strcat(rep->extra, used ? ",..." : "...");
        return 0;
    }
    if (used) strcat(rep->extra, ", ");
    strcat(rep->extra, name);
    return 0;
}

int pb_safetensors_load(pb_model *m, const char *path, int allow_missing, int *n_missing, int *n_extra) {
    pb_st_report rep;
    memset(&rep, 0, sizeof rep);
    PB_TRY(pb_safetensors_load_report(m, path, allow_missing, &rep));
    if (n_missing) *n_missing = rep.n_missing;
    if (n_extra) *n_extra = rep.n_extra;
    pb_st_report_free(&rep);
    return 0;
}

int pb_safetensors_load_report(pb_model *m, const char *path, int allow_missing, pb_st_report *rep) {
    if (!m || !path || !rep) return PB_ERR(PB_EINVAL, "pb_safetensors_load: NULL argument");
    rep->n_missing = rep->n_extra = 0;
    rep->extra[0] = '\0';
    rep->unexpected = rep->missing = NULL;
    char **unexpected = NULL, **missing_names = NULL;
    int n_unexpected = 0, n_missing_names = 0;
    int rc = 0;
    FILE *f = NULL;
    char *hdr = NULL;
    json_t *root = NULL;
    st_entry *ents = NULL;
    st_entry **sorted = NULL;
    int *seen = NULL;
    void *scratch = NULL;
    size_t scratch_size = 0;
    float *dec = NULL;
    int missing = 0, extra = 0;

    f = fopen(path, "rb");
    if (!f) return PB_ERR(PB_EIO, "cannot open safetensors file '%s': %s", path, strerror(errno));
    if (fseeko(f, 0, SEEK_END) != 0) {
        rc = PB_ERR(PB_EIO, "'%s': cannot seek: %s", path, strerror(errno));
        goto done;
    }
    const off_t fsize = ftello(f);
    if (fsize < 0 || fseeko(f, 0, SEEK_SET) != 0) {
        rc = PB_ERR(PB_EIO, "'%s': cannot determine the file size", path);
        goto done;
    }
    if (fsize < 8) {
        rc = PB_ERR(PB_EFORMAT, "'%s': file too short for a safetensors header (%lld bytes, need at least 8)", path,
                    (long long)fsize);
        goto done;
    }
    unsigned char lenb[8];
    if (fread(lenb, 1, 8, f) != 8) {
        rc = PB_ERR(PB_EIO, "'%s': cannot read the header length", path);
        goto done;
    }
    const uint64_t hlen = le64(lenb);
    if (hlen > PB_SAFETENSORS_MAX_HEADER) {
        rc = PB_ERR(PB_EFORMAT, "'%s': header length %llu is absurd (limit %llu bytes)", path, (unsigned long long)hlen,
                    PB_SAFETENSORS_MAX_HEADER);
        goto done;
    }
    if (hlen > (uint64_t)fsize - 8) {
        rc = PB_ERR(PB_EFORMAT, "'%s': header length %llu goes beyond the end of the file (%lld bytes)", path,
                    (unsigned long long)hlen, (long long)fsize);
        goto done;
    }
    const uint64_t data_len = (uint64_t)fsize - 8 - hlen;
    hdr = malloc((size_t)hlen + 1);
    if (!hdr) {
        rc = PB_ERR(PB_ENOMEM, "'%s': cannot allocate the header", path);
        goto done;
    }
    if (fread(hdr, 1, (size_t)hlen, f) != (size_t)hlen) {
        rc = PB_ERR(PB_EIO, "'%s': cannot read the header", path);
        goto done;
    }
    hdr[hlen] = '\0';
    json_error_t jerr;
    root = json_loadb(hdr, (size_t)hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        rc = PB_ERR(PB_EFORMAT, "'%s': malformed header JSON at line %d, column %d: %s", path, jerr.line, jerr.column,
                    jerr.text);
        goto done;
    }
    if (!json_is_object(root)) {
        rc = PB_ERR(PB_EFORMAT, "'%s': header JSON is not an object", path);
        goto done;
    }

    /* parse and validate every entry */
    size_t n_ent = 0;
    size_t cap = json_object_size(root);
    ents = calloc(cap ? cap : 1, sizeof *ents);
    sorted = calloc(cap ? cap : 1, sizeof *sorted);
    seen = calloc((size_t)(m->n_params ? m->n_params : 1), sizeof *seen);
    if (!ents || !sorted || !seen) {
        rc = PB_ERR(PB_ENOMEM, "'%s': out of memory", path);
        goto done;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (strcmp(key, "__metadata__") == 0) {
            if (!json_is_object(val)) {
                rc = PB_ERR(PB_EFORMAT, "'%s': \"__metadata__\" must be an object of strings", path);
                goto done;
            }
            const char *mk;
            json_t *mv;
            json_object_foreach(val, mk, mv) {
                if (!json_is_string(mv)) {
                    rc = PB_ERR(PB_EFORMAT, "'%s': \"__metadata__\" value of '%s' must be a string", path, mk);
                    goto done;
                }
            }
            continue;
        }
        st_entry *e = &ents[n_ent];
        if ((rc = parse_entry(path, key, val, data_len, e)) < 0) goto done;
        sorted[n_ent++] = e;
    }
    /* overlapping byte ranges (empty tensors overlap nothing) */
    qsort(sorted, n_ent, sizeof *sorted, cmp_begin);
    const st_entry *prev = NULL;
    for (size_t i = 0; i < n_ent; i++) {
        const st_entry *e = sorted[i];
        if (e->end == e->begin) continue;
        if (prev && e->begin < prev->end) {
            rc = PB_ERR(PB_EFORMAT, "'%s': tensors '%s' [%llu, %llu] and '%s' [%llu, %llu] overlap in the data buffer",
                        path, prev->name, (unsigned long long)prev->begin, (unsigned long long)prev->end, e->name,
                        (unsigned long long)e->begin, (unsigned long long)e->end);
            goto done;
        }
        prev = e;
    }

    /* match against the model */
    for (size_t k = 0; k < n_ent; k++) {
        st_entry *e = &ents[k];
        e->param = match_param(m, e->name);
        if (e->param < 0) {
            if (m->head == PB_HEAD_MLM && is_tied_decoder_name(e->name))
                e->tied_decoder = 1;
            else {
                extra++;
                rc = note_extra(rep, &unexpected, &n_unexpected, e->name);
                if (rc < 0) goto done;
            }
            continue;
        }
        const pb_param *p = &m->params[e->param];
        if (seen[e->param]) {
            rc = PB_ERR(PB_EFORMAT, "'%s': tensor '%s' appears twice (with and without the model prefix)", path,
                        p->name);
            goto done;
        }
        seen[e->param] = 1;
        int same = e->ndim == p->ndim;
        for (int d = 0; same && d < p->ndim; d++) same = e->shape[d] == (uint64_t)p->shape[d];
        if (!same) {
            char a[256], b[256];
            rc = PB_ERR(PB_ESHAPE, "'%s': tensor '%s' has shape %s, the model expects %s", path, e->name,
                        shape_str(a, sizeof a, e->ndim, e->shape), pb_h5_int_shape_str(b, sizeof b, p->ndim, p->shape));
            goto done;
        }
        if (e->dt->kind == DT_OTHER) {
            rc = PB_ERR(PB_EFORMAT, "'%s': tensor '%s' has dtype %s; expected F32, F16, BF16 or F64", path, e->name,
                        e->dt->name);
            goto done;
        }
    }
    for (int i = 0; i < m->n_params; i++) {
        if (seen[i]) continue;
        if (!allow_missing) {
            int count = 0;
            for (int j = 0; j < m->n_params; j++) count += !seen[j];
            rc = PB_ERR(PB_ENOTFOUND, "'%s': model tensor '%s' is missing (%d missing in all)", path, m->params[i].name,
                        count);
            goto done;
        }
        missing++;
        if ((rc = pb_st_names_push(&missing_names, &n_missing_names, m->params[i].name)) < 0) goto done;
    }

    /* data */
    const uint64_t base = 8 + hlen;
    for (size_t k = 0; k < n_ent; k++) {
        const st_entry *e = &ents[k];
        if (e->param < 0) continue;
        if ((rc = read_tensor(f, path, base, e, pb_model_param_data(m, e->param), &scratch, &scratch_size)) < 0)
            goto done;
    }
    /* tied decoders: ignored when equal to the (now loaded) word embeddings */
    const char *wname = m->cfg.model_type == PB_MODEL_ROBERTA ? "roberta.embeddings.word_embeddings.weight"
                                                              : "bert.embeddings.word_embeddings.weight";
    const int wi = pb_model_find_param(m, wname);
    for (size_t k = 0; k < n_ent; k++) {
        const st_entry *e = &ents[k];
        if (!e->tied_decoder) continue;
        const pb_param *w = wi >= 0 ? &m->params[wi] : NULL;
        if (!w || e->dt->kind == DT_OTHER || e->ndim != 2 || e->shape[0] != (uint64_t)w->shape[0] ||
            e->shape[1] != (uint64_t)w->shape[1]) {
            extra++;
            rc = note_extra(rep, &unexpected, &n_unexpected, e->name);
            if (rc < 0) goto done;
            continue;
        }
        free(dec);
        dec = malloc(w->numel * sizeof *dec + 1);
        if (!dec) {
            rc = PB_ERR(PB_ENOMEM, "'%s': tensor '%s': out of memory", path, e->name);
            goto done;
        }
        if ((rc = read_tensor(f, path, base, e, dec, &scratch, &scratch_size)) < 0) goto done;
        const float *we = pb_model_param_data(m, wi);
        int equal = 1;
        for (size_t j = 0; equal && j < w->numel; j++) equal = dec[j] == we[j];
        if (!equal) {
            extra++;
            rc = note_extra(rep, &unexpected, &n_unexpected, e->name);
            if (rc < 0) goto done;
        }
    }

done:
    if (rc == 0) {
        rep->n_missing = missing;
        rep->n_extra = extra;
        rep->unexpected = unexpected;
        rep->missing = missing_names;
        if (rep->loaded)
            for (int i = 0; i < m->n_params; i++) rep->loaded[i] = (unsigned char)seen[i];
    } else {
        pb_st_names_free(unexpected, n_unexpected);
        pb_st_names_free(missing_names, n_missing_names);
        rep->unexpected = rep->missing = NULL;
        rep->extra[0] = '\0';
    }
    free(dec);
    free(scratch);
    free(seen);
    free(sorted);
    free(ents);
    json_decref(root);
    free(hdr);
    if (f) fclose(f);
    return rc;
}

/* ---- save ----------------------------------------------------------------- */

/* Header JSON text (unpadded); caller frees. */
static int build_header(const pb_model *m, const char *path, char **out) {
    json_t *root = json_object();
    int rc = 0;
    /* json_object_set_new takes the value's reference even when it fails */
    if (!root || json_object_set_new(root, "__metadata__", json_pack("{s:s}", "format", "pt")) < 0) {
        rc = PB_ERR(PB_ENOMEM, "'%s': cannot build the header", path);
        goto done;
    }
    uint64_t off = 0;
    for (int i = 0; i < m->n_params; i++) {
        const pb_param *p = &m->params[i];
        json_t *shape = json_array();
        for (int d = 0; shape && d < p->ndim; d++) json_array_append_new(shape, json_integer(p->shape[d]));
        const uint64_t bytes = (uint64_t)p->numel * 4;
        json_t *e = json_pack("{s:s, s:o, s:[I,I]}", "dtype", "F32", "shape", shape, "data_offsets", (json_int_t)off,
                              (json_int_t)(off + bytes));
        if (!e || json_object_set_new(root, p->name, e) < 0) {
            rc = PB_ERR(PB_ENOMEM, "'%s': cannot build the header", path);
            goto done;
        }
        off += bytes;
    }
    *out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!*out) rc = PB_ERR(PB_ENOMEM, "'%s': cannot serialize the header", path);
done:
    json_decref(root);
    return rc;
}

int pb_safetensors_save(const pb_model *m, const char *path) {
    if (!m || !path) return PB_ERR(PB_EINVAL, "pb_safetensors_save: NULL argument");
    char *hdr = NULL;
    PB_TRY(build_header(m, path, &hdr));
    size_t hlen = strlen(hdr);
    const size_t padded = (hlen + 7) / 8 * 8;
    char *tmp = pb_h5_temp_path(path);
    if (!tmp) {
        free(hdr);
        return PB_ERR(PB_ENOMEM, "'%s': out of memory", path);
    }
    int rc = 0;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        rc = PB_ERR(PB_EIO, "cannot create '%s': %s", tmp, strerror(errno));
        goto done;
    }
    unsigned char lenb[8];
    for (int i = 0; i < 8; i++) lenb[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    int ok = fwrite(lenb, 1, 8, f) == 8 && fwrite(hdr, 1, hlen, f) == hlen;
    for (size_t i = hlen; ok && i < padded; i++) ok = fputc(' ', f) != EOF;
    const int le = host_is_le();
    for (int i = 0; ok && i < m->n_params; i++) {
        const pb_param *p = &m->params[i];
        const float *x = m->params_mem + p->offset;
        if (le) {
            ok = fwrite(x, sizeof(float), p->numel, f) == p->numel;
        } else {
            for (size_t j = 0; ok && j < p->numel; j++) {
                uint32_t u;
                memcpy(&u, &x[j], 4);
                unsigned char b[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                                      (unsigned char)(u >> 24)};
                ok = fwrite(b, 1, 4, f) == 4;
            }
        }
    }
    if (fclose(f) != 0) ok = 0;
    if (!ok) rc = PB_ERR(PB_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    if (rc == 0) rc = pb_h5_commit_temp(tmp, path);
    if (rc < 0) remove(tmp);
done:
    free(tmp);
    free(hdr);
    return rc;
}

/* ---- Hugging Face folders -------------------------------------------------- */

const char *pb_hf_architecture(pb_model_type type, pb_head_kind head) {
    const int r = type == PB_MODEL_ROBERTA;
    switch (head) {
    case PB_HEAD_CLS:
    case PB_HEAD_REG:
        return r ? "RobertaForSequenceClassification" : "BertForSequenceClassification";
    case PB_HEAD_SPAN:
        return r ? "RobertaForQuestionAnswering" : "BertForQuestionAnswering";
    case PB_HEAD_MC:
        return r ? "RobertaForMultipleChoice" : "BertForMultipleChoice";
    case PB_HEAD_MLM:
        return r ? "RobertaForMaskedLM" : "BertForMaskedLM";
    }
    return r ? "RobertaModel" : "BertModel";
}

static char *join_path(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int write_text_atomic(const char *path, const char *text) {
    char *tmp = pb_h5_temp_path(path);
    if (!tmp) return PB_ERR(PB_ENOMEM, "'%s': out of memory", path);
    int rc = 0;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        rc = PB_ERR(PB_EIO, "cannot create '%s': %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n && fputc('\n', f) != EOF;
    if (fclose(f) != 0) ok = 0;
    if (!ok) rc = PB_ERR(PB_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    if (rc == 0) rc = pb_h5_commit_temp(tmp, path);
    if (rc < 0) remove(tmp);
    free(tmp);
    return rc;
}

int pb_hf_folder_save(const pb_model *m, const char *dir) {
    return pb_hf_folder_save_labels(m, dir, NULL);
}

int pb_hf_folder_save_labels(const pb_model *m, const char *dir, const pb_config_labels *labels) {
    if (!m || !dir) return PB_ERR(PB_EINVAL, "pb_hf_folder_save: NULL argument");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return PB_ERR(PB_EIO, "cannot create folder '%s': %s", dir, strerror(errno));
    char *out = NULL, *cpath = join_path(dir, "config.json"), *wpath = join_path(dir, "model.safetensors");
    int rc = 0;
    if (!cpath || !wpath) {
        rc = PB_ERR(PB_ENOMEM, "'%s': out of memory", dir);
        goto done;
    }
    /* a regression head is Hugging Face's sequence classifier with one label */
    pb_config c = m->cfg;
    if (m->head == PB_HEAD_REG) c.num_labels = 1;
    /* written as text, not through jansson's dump, which prints reals with %.17g */
    if ((rc = pb_config_to_hf_json(&c, pb_hf_architecture(c.model_type, m->head), labels, &out)) < 0) goto done;
    size_t n = strlen(out);
    if (n && out[n - 1] == '\n') out[n - 1] = '\0'; /* write_text_atomic adds it */
    if ((rc = write_text_atomic(cpath, out)) < 0) goto done;
    rc = pb_safetensors_save(m, wpath);
done:
    free(out);
    free(cpath);
    free(wpath);
    return rc;
}

int pb_hf_folder_load_labels(const char *dir, pb_config_labels *labels) {
    if (!dir || !labels) return PB_ERR(PB_EINVAL, "pb_hf_folder_load_labels: NULL argument");
    labels->n = 0;
    labels->names = NULL;
    char *p = join_path(dir, "config.json");
    if (!p) return PB_ERR(PB_ENOMEM, "'%s': out of memory", dir);
    json_error_t jerr;
    json_t *root = json_load_file(p, 0, &jerr);
    int rc = 0;
    if (!root) rc = PB_ERR(PB_EFORMAT, "'%s':%d:%d: %s", p, jerr.line, jerr.column, jerr.text);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    if (rc == 0 && !text) rc = PB_ERR(PB_ENOMEM, "'%s': out of memory", p);
    if (rc == 0) rc = pb_config_parse_labels(text, p, labels);
    free(text);
    json_decref(root);
    free(p);
    return rc;
}

int pb_hf_folder_load_config(const char *dir, pb_config *cfg) {
    if (!dir || !cfg) return PB_ERR(PB_EINVAL, "pb_hf_folder_load_config: NULL argument");
    char *p = join_path(dir, "config.json");
    if (!p) return PB_ERR(PB_ENOMEM, "'%s': out of memory", dir);
    int rc = pb_config_load_json(cfg, p);
    free(p);
    return rc;
}

int pb_hf_folder_load(pb_model *m, const char *dir, pb_head_kind head, int num_labels, int max_rows, int max_seq,
                      uint64_t seed, pb_st_report *rep) {
    if (!m || !dir) return PB_ERR(PB_EINVAL, "pb_hf_folder_load: NULL argument");
    pb_st_report local;
    const int own = rep == NULL;
    if (!rep) rep = &local;
    memset(rep, 0, sizeof *rep);
    pb_config cfg;
    PB_TRY(pb_hf_folder_load_config(dir, &cfg));
    if (head == PB_HEAD_CLS && num_labels > 0) cfg.num_labels = num_labels;
    PB_TRY(pb_model_init(m, &cfg, head, max_rows, max_seq));
    pb_model_init_weights(m, seed);
    char *wpath = join_path(dir, "model.safetensors");
    unsigned char *loaded = calloc((size_t)m->n_params, 1);
    int rc = wpath && loaded ? 0 : PB_ERR(PB_ENOMEM, "'%s': out of memory", dir);
    struct stat st;
    if (rc == 0 && stat(wpath, &st) != 0)
        rc = PB_ERR(PB_ENOTFOUND, "model folder '%s' has no model.safetensors (sharded and pytorch_model.bin "
                                  "checkpoints are not read; save it with safe_serialization=True as one file)", dir);
    rep->loaded = loaded;
    if (rc == 0) rc = pb_safetensors_load_report(m, wpath, 1, rep);
    /* a pretraining checkpoint lacks the task head; a backbone tensor missing means a wrong file */
    for (int i = 0; rc == 0 && i < m->n_params; i++) {
        const char *name = m->params[i].name;
        if (!loaded[i] && (strstr(name, ".embeddings.") || strstr(name, ".encoder.")))
            rc = PB_ERR(PB_ENOTFOUND, "'%s': backbone tensor '%s' is missing (%d model tensors absent); only the pooler "
                                      "and task head may be", wpath, name, rep->n_missing);
    }
    rep->loaded = NULL;
    free(loaded);
    free(wpath);
    if (rc < 0 || own) pb_st_report_free(rep);
    if (rc < 0) pb_model_free(m);
    return rc;
}
