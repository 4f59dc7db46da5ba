/* Trivial baselines of a task's dev split, for figures and tables: chance
 * (a uniformly random class or choice) and the majority class (always the
 * most frequent gold label, or gold choice index, of the dev split). They
 * exist for classification and multiple-choice tasks, whose headline metric
 * is accuracy; span, regression and masked-LM tasks have none. */
#ifndef PB_TASKS_BASELINE_H
#define PB_TASKS_BASELINE_H

#include "data.h"
#include "registry.h"

typedef struct {
    int classes;        /* num_labels (classification) or choices (multiple choice) */
    long examples;      /* dev examples counted */
    int majority_label; /* the most frequent gold label / choice index (the lowest on ties) */
    double chance;      /* expected accuracy of a uniform guess, percent: 100 / classes */
    double majority;    /* accuracy of always predicting majority_label, percent */
} pb_baseline;

/* Count the gold labels of ds's dev split through ds->fill. 1 with *out set
 * for a classification (PB_HEAD_CLS, at least 2 labels) or multiple-choice
 * task; 0 (*out zeroed) for a task without these baselines; a negative PB_E*
 * code naming the task when the dev split is empty, unlabelled or a label is
 * outside [0, classes). */
int pb_baseline_count_labels(const pb_data_source *ds, pb_baseline *out);

/* Open task `name` with opts (pb_task_open), count its dev labels and close
 * it: the result of pb_baseline_count_labels, or the open error. */
int pb_baseline_load_task(const char *name, const pb_task_opts *opts, pb_baseline *out);

#endif
