/* Pruning methods and their registry. A new method is one file defining
 * `const pb_prune_method pb_prune_method_<name>` plus its entry in
 * PB_PRUNE_METHOD_LIST below. Scores: higher = keep. */
#include <math.h>
#include <string.h>

#include "prune.h"
#include "rng.h"

/* The registry, in listing order. */
#define PB_PRUNE_METHOD_LIST(X) X(magnitude) X(random) X(movement) X(oneshot)

#define PB_PRUNE_DECLARE(name) extern const pb_prune_method pb_prune_method_##name;
PB_PRUNE_METHOD_LIST(PB_PRUNE_DECLARE)
#undef PB_PRUNE_DECLARE

/* ---- magnitude: |w| ---------------------------------------------------------- */

static int magnitude_score(const pb_prune_ctx *ctx, const float *w, const float *g, const float *state,
                           float *scores, size_t n) {
    (void)ctx, (void)g, (void)state;
#pragma omp parallel for schedule(static)
    for (size_t j = 0; j < n; j++) scores[j] = fabsf(w[j]);
    return 0;
}

const pb_prune_method pb_prune_method_magnitude = {
    .name = "magnitude",
    .summary = "gradual magnitude pruning (GMP): keep the largest |w| at every pruning step",
    .state_floats_per_weight = 0,
    .oneshot = 0,
    .score = magnitude_score,
    .observe = NULL,
};

/* ---- random: counter hash keyed by (seed, parameter index) ------------------- */

static int random_score(const pb_prune_ctx *ctx, const float *w, const float *g, const float *state, float *scores,
                        size_t n) {
    (void)w, (void)g, (void)state;
    const uint64_t key = pb_rng_key(ctx->seed, (uint64_t)ctx->param_index);
#pragma omp parallel for schedule(static)
    for (size_t j = 0; j < n; j++) scores[j] = pb_rng_uniform(key, (uint64_t)j);
    return 0;
}

const pb_prune_method pb_prune_method_random = {
    .name = "random",
    .summary = "random pruning, the control: uniform scores from (seed, parameter, element)",
    .state_floats_per_weight = 0,
    .oneshot = 0,
    .score = random_score,
    .observe = NULL,
};

/* ---- movement: accumulated -w * grad ----------------------------------------- */

static void movement_observe(const pb_prune_ctx *ctx, const float *w, const float *g, float *state, size_t n) {
    (void)ctx;
#pragma omp parallel for schedule(static)
    for (size_t j = 0; j < n; j++) state[j] -= w[j] * g[j];
}

static int movement_score(const pb_prune_ctx *ctx, const float *w, const float *g, const float *state, float *scores,
                          size_t n) {
    (void)ctx, (void)w, (void)g;
    memcpy(scores, state, n * sizeof(float));
    return 0;
}

const pb_prune_method pb_prune_method_movement = {
    .name = "movement",
    .summary = "movement pruning (Sanh et al. 2020): keep the largest accumulated -w * dL/dw",
    .state_floats_per_weight = 1,
    .oneshot = 0,
    .score = movement_score,
    .observe = movement_observe,
};

/* ---- oneshot: magnitude, once ------------------------------------------------ */

const pb_prune_method pb_prune_method_oneshot = {
    .name = "oneshot",
    .summary = "one-shot magnitude: |w| once at the first pruning step, then the mask is fixed",
    .state_floats_per_weight = 0,
    .oneshot = 1,
    .score = magnitude_score,
    .observe = NULL,
};

/* ---- registry ---------------------------------------------------------------- */

#define PB_PRUNE_ENTRY(name) &pb_prune_method_##name,
static const pb_prune_method *const registry[] = {PB_PRUNE_METHOD_LIST(PB_PRUNE_ENTRY)};
#undef PB_PRUNE_ENTRY

int pb_prune_method_count(void) { return (int)(sizeof registry / sizeof registry[0]); }

const pb_prune_method *pb_prune_method_at(int i) { return i >= 0 && i < pb_prune_method_count() ? registry[i] : NULL; }

const pb_prune_method *pb_prune_method_find(const char *name) {
    if (!name) return NULL;
    for (int i = 0; i < pb_prune_method_count(); i++)
        if (strcmp(registry[i]->name, name) == 0) return registry[i];
    return NULL;
}
