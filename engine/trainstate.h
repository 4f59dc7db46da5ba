/* The resumable training state of one cell, in one HDF5 file written
 * atomically: parameters, masks, AdamW moments, counters, the pruning
 * method's state and the curves so far. Flat float32 arrays, so a resumed run
 * continues from bit-identical state. The RNG needs no state of its own: every
 * random draw is a function of (seed, step). */
#ifndef PB_TRAINSTATE_H
#define PB_TRAINSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "optim.h"

typedef struct {
    long step;                 /* optimizer steps completed */
    uint64_t seed;
    double applied_sparsity;   /* last target the pruner applied */
    const char *run_text;      /* the resolved run config; a resume must match it */
    float *method_state;       /* e.g. movement scores; may be NULL */
    size_t n_method_state;
    float *curves;             /* [n_curve_rows, curve_cols], row-major */
    size_t n_curve_rows, curve_cols;
} pb_trainstate;

int pb_trainstate_save(const char *path, const pb_model *m, const pb_adamw *opt, const pb_trainstate *st);
/* Load into an initialized model/optimizer of the same shapes. st->method_state
 * (n_method_state floats) must be allocated by the caller; st->curves is
 * allocated here (free it). run_text must equal the saved one, else PB_EINVAL. */
int pb_trainstate_load(const char *path, pb_model *m, pb_adamw *opt, pb_trainstate *st);

#endif
