/* The pruner: scores from a method, mask kinds (unstructured, 2:4, 1x4 blocks),
 * global or per-tensor exact k-smallest selection, mask updates. */
#include "prune.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pb_error.h"

enum {
    RADIX_BINS = 2048,   /* widest digit: 11 bits */
    MIN_CHUNK = 32768    /* spans below this run as one chunk */
};

/* ---- names ------------------------------------------------------------------- */

static const char *const scope_names[] = {"global", "layer"};
static const char *const mask_names[] = {"unstructured", "2:4", "block4"};

int pb_prune_scope_from_name(const char *name, pb_prune_scope *out) {
    for (int i = 0; i < 2; i++)
        if (name && strcmp(name, scope_names[i]) == 0) {
            *out = (pb_prune_scope)i;
            return 0;
        }
    return PB_ERR(PB_EINVAL, "unknown pruning scope '%s': expected global or layer", name ? name : "(null)");
}

const char *pb_prune_scope_name(pb_prune_scope s) { return (unsigned)s < 2 ? scope_names[s] : "?"; }

int pb_prune_mask_from_name(const char *name, pb_prune_mask_kind *out) {
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, mask_names[i]) == 0) {
            *out = (pb_prune_mask_kind)i;
            return 0;
        }
    return PB_ERR(PB_EINVAL, "unknown mask kind '%s': expected unstructured, 2:4 or block4", name ? name : "(null)");
}

const char *pb_prune_mask_name(pb_prune_mask_kind k) { return (unsigned)k < 3 ? mask_names[k] : "?"; }

/* ---- init / free ------------------------------------------------------------- */

static size_t align64(size_t bytes) { return (bytes + 63) & ~(size_t)63; }

int pb_pruner_init(pb_pruner *p, pb_model *m, const pb_prune_spec *spec) {
    memset(p, 0, sizeof *p);
    if (!spec || !spec->selected) return PB_ERR(PB_EINVAL, "pruner: no selection given");
    const pb_prune_method *method = pb_prune_method_find(spec->method);
    if (!method) {
        char names[256] = "";
        for (int i = 0; i < pb_prune_method_count(); i++) {
            if (i) strncat(names, ", ", sizeof names - strlen(names) - 1);
            strncat(names, pb_prune_method_at(i)->name, sizeof names - strlen(names) - 1);
        }
        return PB_ERR(PB_EINVAL, "unknown pruning method '%s': expected one of %s",
                      spec->method ? spec->method : "(null)", names);
    }
    if ((unsigned)spec->scope > PB_PRUNE_SCOPE_LAYER) return PB_ERR(PB_EINVAL, "unknown pruning scope %d", (int)spec->scope);
    if ((unsigned)spec->mask > PB_PRUNE_MASK_BLOCK4) return PB_ERR(PB_EINVAL, "unknown mask kind %d", (int)spec->mask);
    int n_sel = 0;
    size_t total = 0;
    for (int i = 0; i < m->n_params; i++) {
        if (!spec->selected[i]) continue;
        const pb_param *q = &m->params[i];
        if (q->ndim != 2)
            return PB_ERR(PB_EINVAL, "parameter '%s' is rank-1 (bias or LayerNorm) and cannot be pruned; expected "
                                     "rank-2 weights only", q->name);
        if (spec->mask != PB_PRUNE_MASK_UNSTRUCTURED && q->shape[1] % 4 != 0)
            return PB_ERR(PB_ESHAPE, "%s masks need the input dimension of '%s' divisible by 4; got [%d, %d]",
                          mask_names[spec->mask], q->name, q->shape[0], q->shape[1]);
        n_sel++;
        total += q->numel;
    }
    if (n_sel == 0) return PB_ERR(PB_EINVAL, "pruner: no parameter selected");
    PB_TRY(pb_model_masks_enable(m));

    int chunks = omp_get_max_threads();
    if (chunks < 1) chunks = 1;
    const size_t spf = method->state_floats_per_weight;
    if (spf && total > SIZE_MAX / sizeof(float) / (spf + 2)) return PB_ERR(PB_ERANGE, "pruner state too large");
    const size_t b_scores = align64(total * sizeof(float));
    const size_t b_blocks = spec->mask == PB_PRUNE_MASK_BLOCK4 ? align64(total / 4 * sizeof(float)) : 0;
    const size_t b_state = align64(total * spf * sizeof(float));
    const size_t b_hist = align64((size_t)chunks * RADIX_BINS * sizeof(size_t));
    const size_t b_eq = align64((size_t)chunks * sizeof(size_t));
    const size_t b_off = align64((size_t)(n_sel + 1) * sizeof(size_t));
    const size_t b_sel = align64((size_t)n_sel * sizeof(int));
    const size_t bytes = b_scores + b_blocks + b_state + b_hist + b_eq + b_off + b_sel;
    char *mem = aligned_alloc(64, bytes);
    if (!mem) return PB_ERR(PB_ENOMEM, "pruner workspace (%zu bytes for %zu selected weights)", bytes, total);
    p->mem = mem;
    p->scores = (float *)mem;
    mem += b_scores;
    p->blocks = b_blocks ? (float *)mem : NULL;
    mem += b_blocks;
    p->state = spf ? (float *)mem : NULL;
    mem += b_state;
    p->hist = (size_t *)mem;
    mem += b_hist;
    p->chunk_eq = (size_t *)mem;
    mem += b_eq;
    p->sel_off = (size_t *)mem;
    mem += b_off;
    p->sel = (int *)mem;

    p->method = method;
    p->scope = spec->scope;
    p->mask = spec->mask;
    p->seed = spec->seed;
    p->model_n_params = m->n_params;
    p->n_sel = n_sel;
    p->total = total;
    p->chunks = chunks;
    size_t off = 0;
    int t = 0;
    for (int i = 0; i < m->n_params; i++) {
        if (!spec->selected[i]) continue;
        p->sel[t] = i;
        p->sel_off[t++] = off;
        off += m->params[i].numel;
    }
    p->sel_off[n_sel] = off;
    if (p->state) {
        float *st = p->state;
        const size_t ns = total * spf;
#pragma omp parallel for schedule(static)
        for (size_t j = 0; j < ns; j++) st[j] = 0.0f;
    }
    return 0;
}

void pb_pruner_free(pb_pruner *p) {
    free(p->mem);
    memset(p, 0, sizeof *p);
}

float *pb_pruner_state(pb_pruner *p, int param_index) {
    if (!p->state) return NULL;
    for (int t = 0; t < p->n_sel; t++)
        if (p->sel[t] == param_index) return p->state + p->sel_off[t] * p->method->state_floats_per_weight;
    return NULL;
}

static int check_model(const pb_pruner *p, const pb_model *m) {
    if (!p->mem) return PB_ERR(PB_EINVAL, "pruner not initialized");
    if (m->n_params != p->model_n_params || !m->masks_mem)
        return PB_ERR(PB_EINVAL, "pruner was built for another model (%d parameters, masks on) than this one (%d%s)",
                      p->model_n_params, m->n_params, m->masks_mem ? "" : ", masks off");
    return 0;
}

static pb_prune_ctx make_ctx(const pb_pruner *p, const pb_model *m, int t) {
    pb_prune_ctx c = {m, p->sel[t], &m->params[p->sel[t]], p->seed, p->observed};
    return c;
}

int pb_pruner_observe(pb_pruner *p, const pb_model *m) {
    PB_TRY(check_model(p, m));
    if (p->method->observe && !p->frozen) {
        const size_t spf = p->method->state_floats_per_weight;
        for (int t = 0; t < p->n_sel; t++) {
            const pb_param *q = &m->params[p->sel[t]];
            pb_prune_ctx c = make_ctx(p, m, t);
            p->method->observe(&c, m->params_mem + q->offset, m->grads_mem + q->offset,
                               p->state ? p->state + p->sel_off[t] * spf : NULL, q->numel);
        }
    }
    p->observed++;
    return 0;
}

/* ---- exact k-smallest selection ---------------------------------------------- */

/* Order-preserving map of a float (no NaN) to an unsigned key. */
static inline uint32_t float_key(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static int span_chunks(const pb_pruner *p, size_t n) {
    size_t c = n / MIN_CHUNK;
    if (c < 1) c = 1;
    return c < (size_t)p->chunks ? (int)c : p->chunks;
}

static inline size_t chunk_lo(size_t n, int P, int c) { return n / (size_t)P * (size_t)c + (n % (size_t)P) * (size_t)c / (size_t)P; }

/* Key of the k-th smallest of s[n] (1 <= k <= n) and its rank among the equal
 * keys: exactly `*rank` of the keys equal to *key belong to the k smallest.
 * Three histogram passes over the 11 + 11 + 10 bits of the key. */
static void radix_select(pb_pruner *p, const float *s, size_t n, size_t k, uint32_t *key, size_t *rank) {
    static const int shifts[3] = {21, 10, 0}, widths[3] = {11, 11, 10};
    const int P = span_chunks(p, n);
    size_t *hist = p->hist;
    uint32_t prefix = 0, known = 0;
    size_t kk = k;
    for (int d = 0; d < 3; d++) {
        const int sh = shifts[d];
        const uint32_t dm = (1u << widths[d]) - 1u;
#pragma omp parallel for schedule(static)
        for (int c = 0; c < P; c++) {
            size_t *h = hist + (size_t)c * RADIX_BINS;
            memset(h, 0, sizeof(size_t) * RADIX_BINS);
            const size_t lo = chunk_lo(n, P, c), hi = chunk_lo(n, P, c + 1);
            for (size_t j = lo; j < hi; j++) {
                const uint32_t kj = float_key(s[j]);
                if ((kj & known) == prefix) h[(kj >> sh) & dm]++;
            }
        }
        size_t cum = 0;
        uint32_t b = 0;
        for (; b < dm; b++) {
            size_t cnt = 0;
            for (int c = 0; c < P; c++) cnt += hist[(size_t)c * RADIX_BINS + b];
            if (cum + cnt >= kk) break;
            cum += cnt;
        }
        kk -= cum;
        prefix |= b << sh;
        known |= dm << sh;
    }
    *key = prefix;
    *rank = kk;
}

/* Overwrite s[n] with keep flags: 0 for the k smallest by (score, position), else 1. */
static void decide(pb_pruner *p, float *s, size_t n, size_t k) {
    if (k == 0 || k >= n) {
        const float v = k == 0 ? 1.0f : 0.0f;
#pragma omp parallel for schedule(static)
        for (size_t j = 0; j < n; j++) s[j] = v;
        return;
    }
    uint32_t key;
    size_t need;
    radix_select(p, s, n, k, &key, &need);
    const int P = span_chunks(p, n);
    size_t *eq = p->chunk_eq;
    /* below the key: prune; above: keep; equal: mark 2 and count per chunk */
#pragma omp parallel for schedule(static)
    for (int c = 0; c < P; c++) {
        const size_t lo = chunk_lo(n, P, c), hi = chunk_lo(n, P, c + 1);
        size_t cnt = 0;
        for (size_t j = lo; j < hi; j++) {
            const uint32_t kj = float_key(s[j]);
            if (kj < key) s[j] = 0.0f;
            else if (kj > key) s[j] = 1.0f;
            else {
                s[j] = 2.0f;
                cnt++;
            }
        }
        eq[c] = cnt;
    }
    /* the first `need` equal keys in position order are pruned: quota per chunk */
    size_t before = 0;
    for (int c = 0; c < P; c++) {
        size_t q = need > before ? need - before : 0;
        if (q > eq[c]) q = eq[c];
        before += eq[c];
        eq[c] = q;
    }
#pragma omp parallel for schedule(static)
    for (int c = 0; c < P; c++) {
        const size_t lo = chunk_lo(n, P, c), hi = chunk_lo(n, P, c + 1);
        size_t q = eq[c];
        for (size_t j = lo; j < hi; j++)
            if (s[j] == 2.0f) {
                if (q) {
                    s[j] = 0.0f;
                    q--;
                } else {
                    s[j] = 1.0f;
                }
            }
    }
}

static size_t round_count(double target, size_t n) {
    double x = round(target * (double)n);
    return x >= (double)n ? n : (size_t)x;
}

/* ---- apply ------------------------------------------------------------------- */

/* Pruned weights -> -inf; +-inf -> +-FLT_MAX; -0 -> +0. Returns the NaN count. */
static size_t sanitize(float *s, const float *mask, size_t n) {
    size_t nan = 0;
#pragma omp parallel for schedule(static) reduction(+ : nan)
    for (size_t j = 0; j < n; j++) {
        float v = s[j];
        if (mask[j] == 0.0f) v = -INFINITY;
        else if (v != v) nan++;
        else if (v == INFINITY) v = FLT_MAX;
        else if (v == -INFINITY) v = -FLT_MAX;
        else if (v == 0.0f) v = 0.0f;
        s[j] = v;
    }
    return nan;
}

/* 2:4 candidates: in each group of 4 the 2 highest by (score, -position) get +inf
 * (never pruned); the 2 lowest stay candidates. */
static void nm24_candidates(float *s, size_t n) {
    const size_t groups = n / 4;
#pragma omp parallel for schedule(static)
    for (size_t gi = 0; gi < groups; gi++) {
        float *v = s + 4 * gi;
        int keep[4];
        for (int a = 0; a < 4; a++) {
            int rank = 0;
            for (int b = 0; b < 4; b++) rank += v[b] < v[a] || (v[b] == v[a] && b < a);
            keep[a] = rank >= 2;
        }
        for (int a = 0; a < 4; a++)
            if (keep[a]) v[a] = INFINITY;
    }
}

static void block_scores(float *blocks, const float *s, size_t n) {
    const size_t nb = n / 4;
#pragma omp parallel for schedule(static)
    for (size_t b = 0; b < nb; b++) {
        const float *v = s + 4 * b;
        double sum = ((double)v[0] + (double)v[1]) + ((double)v[2] + (double)v[3]);
        if (sum > FLT_MAX) sum = FLT_MAX;
        else if (sum < -FLT_MAX && sum != -INFINITY) sum = -FLT_MAX;
        blocks[b] = (float)sum;
    }
}

int pb_pruner_apply(pb_pruner *p, pb_model *m, double target) {
    PB_TRY(check_model(p, m));
    if (!(target >= 0.0 && target <= 1.0)) return PB_ERR(PB_EINVAL, "target sparsity %g outside [0, 1]", target);
    if (p->mask == PB_PRUNE_MASK_NM24 && target > 0.5 + 1e-12)
        return PB_ERR(PB_EINVAL, "2:4 masks prune at most 2 of every 4 weights; target sparsity %g above 0.5", target);
    if (p->frozen) { /* oneshot: masks fixed after the first pruning */
        pb_model_apply_masks(m);
        return 0;
    }
    const size_t spf = p->method->state_floats_per_weight;
    for (int t = 0; t < p->n_sel; t++) {
        const int i = p->sel[t];
        const pb_param *q = &m->params[i];
        float *s = p->scores + p->sel_off[t];
        pb_prune_ctx c = make_ctx(p, m, t);
        PB_TRY(p->method->score(&c, m->params_mem + q->offset, m->grads_mem + q->offset,
                                p->state ? p->state + p->sel_off[t] * spf : NULL, s, q->numel));
        const size_t nan = sanitize(s, pb_model_mask(m, i), q->numel);
        if (nan) {
            size_t first = 0;
            while (first < q->numel && s[first] == s[first]) first++;
            return PB_ERR(PB_EINVAL, "method '%s' gave %zu NaN scores in '%s' (first at element %zu); expected numbers",
                          p->method->name, nan, q->name, first);
        }
        if (p->mask == PB_PRUNE_MASK_NM24) nm24_candidates(s, q->numel);
    }
    /* what is selected over: weights, or blocks of 4 */
    const size_t unit = p->mask == PB_PRUNE_MASK_BLOCK4 ? 4 : 1;
    float *work = p->scores;
    if (unit == 4) {
        block_scores(p->blocks, p->scores, p->total);
        work = p->blocks;
    }
    if (p->scope == PB_PRUNE_SCOPE_GLOBAL) {
        const size_t n = p->total / unit;
        decide(p, work, n, round_count(target, n));
    } else {
        for (int t = 0; t < p->n_sel; t++) {
            const size_t n = (p->sel_off[t + 1] - p->sel_off[t]) / unit;
            decide(p, work + p->sel_off[t] / unit, n, round_count(target, n));
        }
    }
    /* masks never regrow */
    for (int t = 0; t < p->n_sel; t++) {
        float *mk = pb_model_mask(m, p->sel[t]);
        const float *d = work + p->sel_off[t] / unit;
        const size_t n = p->sel_off[t + 1] - p->sel_off[t];
        if (unit == 1) {
#pragma omp parallel for schedule(static)
            for (size_t j = 0; j < n; j++)
                if (d[j] == 0.0f) mk[j] = 0.0f;
        } else {
#pragma omp parallel for schedule(static)
            for (size_t j = 0; j < n; j++)
                if (d[j / 4] == 0.0f) mk[j] = 0.0f;
        }
    }
    pb_model_apply_masks(m);
    if (p->method->oneshot && target > 0.0) p->frozen = 1;
    p->target = target;
    p->applied++;
    return 0;
}
