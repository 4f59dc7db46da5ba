/* Running an experiment: the cells of an expanded spec (spec.h) in a store
 * folder, in worker processes, resumable.
 *
 *   STORE/<name>.spec.yaml        the text of the spec named <name> (several may share a store)
 *   STORE/cells/<id>/run.yaml     the cell's resolved run config (teacher as "@cell:<id>")
 *   STORE/cells/<id>/result.h5    written last and atomically: the cell is complete
 *   STORE/cells/<id>/model.h5     the trained model (a KD teacher's is read by its students)
 *   STORE/cells/<id>/state.h5     the training state of an unfinished cell (resume)
 *   STORE/cells/<id>/error.txt    why the cell failed (an error, not a divergence)
 *   STORE/cells/<id>/log.txt      the worker's output
 *   STORE/<name>.h5               the experiment file (results/store.h), rewritten at the end
 *
 * Each cell runs in its own forked process, so a crash or an error in one
 * cell is recorded and the matrix goes on. A complete cell (result.h5, done
 * or diverged) is skipped; an unfinished one continues from its state; a
 * failed one is retried. A complete cell whose data or model no longer
 * have the SHA-256 digests its result recorded (the data were rebuilt, the
 * model pretrained again), or whose KD teacher runs again, is stale: its
 * result.h5 becomes result.stale.h5 and the cell runs again. A KD student starts once its teacher is complete;
 * when the teacher failed or diverged the student fails saying so. */
#ifndef PB_RUN_H
#define PB_RUN_H

#include <signal.h>
#include <stddef.h>

#include "spec.h"

typedef enum {
    PB_RUN_EVENT_START = 0, /* a cell started (or resumed) */
    PB_RUN_EVENT_STEP,      /* a progress report of a running cell */
    PB_RUN_EVENT_DONE,      /* a cell finished (metrics in value/metric) */
    PB_RUN_EVENT_DIVERGED,  /* a cell finished by diverging (reason) */
    PB_RUN_EVENT_FAILED,    /* a cell failed (reason) */
    PB_RUN_EVENT_STOPPED,   /* a cell stopped on request; it resumes on the next run */
    PB_RUN_EVENT_STALE      /* a complete cell's inputs changed since it ran (reason); it runs again */
} pb_run_event_kind;

typedef struct {
    pb_run_event_kind kind;
    size_t cell;           /* index into the spec's cells */
    long step, steps;      /* STEP: progress of that cell */
    float loss;            /* STEP */
    const char *reason;    /* DIVERGED, FAILED */
    const char *metric;    /* DONE: the first metric's name and value */
    double value;
    double seconds;        /* DONE / DIVERGED / FAILED: wall time of this process's part */
    size_t done, total;    /* cells complete (done, diverged or failed) so far, of the selection */
} pb_run_event;

typedef struct {
    const char *store;      /* STORE; required */
    int jobs;               /* worker processes; <= 0: 1 */
    int threads;            /* threads per worker; 0: the cell's run config, or cores / jobs */
    int shard_i, shard_n;   /* run slice shard_i of shard_n (pb_spec_shard); shard_n <= 1: all */
    const char *cache_dir;  /* KD teacher-logit cache; NULL: STORE/kd-cache */
    long progress_every;    /* steps between STEP events; 0: 50 */
    /* set by the caller's signal handler: no new cells; running workers get
     * SIGTERM, save their state and stop (workers handle SIGINT and SIGTERM) */
    const volatile sig_atomic_t *stop;
    void (*event)(void *ctx, const pb_run_event *e);
    void *event_ctx;
} pb_run_opts;

typedef struct {
    size_t selected;  /* cells of this shard (teachers included) */
    size_t skipped;   /* complete before this run */
    size_t done;      /* finished in this run */
    size_t diverged;  /* finished by diverging (this run or before) */
    size_t failed;    /* failed with an error in this run */
    size_t stopped;   /* interrupted or not started because of a stop request */
    size_t stale;     /* complete before this run but run again: their data, model or teacher changed */
} pb_run_summary;

/* Run the selected cells of s in o->store. 0 when the loop ran (see *sum for
 * failures), a PB_E* code when the store cannot be written. */
int pb_run_spec(const pb_spec *s, const pb_run_opts *o, pb_run_summary *sum);

/* Write STORE/<name>.h5 from the cells' folders (complete, failed or pending). */
int pb_run_gather(const pb_spec *s, const char *store, char *path_out, size_t path_cap);

/* Estimated seconds of the cells not yet complete, from the wall time per
 * epoch of complete cells of the same task in any store under `runs_root`
 * (e.g. results/runs). *known counts the cells that had a task estimate. */
int pb_run_estimate(const pb_spec *s, const char *store, const char *runs_root, double *seconds, size_t *known,
                    size_t *pending);

#endif
