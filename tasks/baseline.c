/* Chance and majority-class baselines of a task's dev split (see baseline.h). */
#include "baseline.h"

#include <stdlib.h>
#include <string.h>

#include "pb_error.h"

enum { BASELINE_BATCH = 64 };

int pb_baseline_count_labels(const pb_data_source *ds, pb_baseline *out) {
    if (!out) return PB_ERR(PB_EINVAL, "baseline: no output given");
    memset(out, 0, sizeof *out);
    if (!ds || !ds->count || !ds->fill) return PB_ERR(PB_EINVAL, "baseline: no data source given");
    const char *name = ds->name ? ds->name : "(unnamed task)";
    int classes = 0, choices = 1;
    if (ds->head == PB_HEAD_CLS && ds->num_labels >= 2) classes = ds->num_labels;
    else if (ds->head == PB_HEAD_MC && ds->choices >= 2) classes = choices = ds->choices;
    if (!classes) return 0;
    const long n = ds->count(ds->ctx, PB_SPLIT_DEV);
    if (n <= 0) return PB_ERR(PB_EINVAL, "baseline of task '%s': the dev split is empty", name);
    if (ds->seq < 1) return PB_ERR(PB_EINVAL, "baseline of task '%s': sequence length %d", name, ds->seq);
    long *count = calloc((size_t)classes, sizeof *count);
    pb_batch_buf bb;
    memset(&bb, 0, sizeof bb);
    int rc = count ? pb_batch_buf_init(&bb, BASELINE_BATCH * choices, ds->seq)
                   : PB_ERR(PB_ENOMEM, "baseline of task '%s': %d label counts", name, classes);
    long idx[BASELINE_BATCH];
    for (long first = 0; rc == 0 && first < n; first += BASELINE_BATCH) {
        const int k = n - first < BASELINE_BATCH ? (int)(n - first) : BASELINE_BATCH;
        for (int r = 0; r < k; r++) idx[r] = first + r;
        rc = ds->fill(ds->ctx, PB_SPLIT_DEV, idx, k, &bb);
        if (rc == 0 && !bb.b.labels)
            rc = PB_ERR(PB_EINVAL, "baseline of task '%s': the dev split has no labels", name);
        for (int r = 0; rc == 0 && r < k; r++) {
            const int32_t y = bb.b.labels[r];
            if (y < 0 || y >= classes)
                rc = PB_ERR(PB_EFORMAT, "baseline of task '%s': dev example %ld has label %d outside [0, %d)", name,
                            first + r, (int)y, classes);
            else
                count[y]++;
        }
    }
    if (rc == 0) {
        int best = 0;
        for (int c = 1; c < classes; c++)
            if (count[c] > count[best]) best = c;
        out->classes = classes;
        out->examples = n;
        out->majority_label = best;
        out->chance = 100.0 / (double)classes;
        out->majority = 100.0 * (double)count[best] / (double)n;
    }
    if (count) pb_batch_buf_free(&bb);
    free(count);
    return rc < 0 ? rc : 1;
}

int pb_baseline_load_task(const char *name, const pb_task_opts *opts, pb_baseline *out) {
    if (out) memset(out, 0, sizeof *out);
    pb_data_source ds;
    PB_TRY(pb_task_open(name, opts, &ds));
    int rc = pb_baseline_count_labels(&ds, out);
    if (ds.free) ds.free(ds.ctx);
    return rc;
}
