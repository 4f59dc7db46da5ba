/* The task registry: a task by name opens as a pb_data_source. */
#ifndef PB_TASKS_REGISTRY_H
#define PB_TASKS_REGISTRY_H

#include <stdint.h>

#include "data.h"

typedef struct {
    uint64_t seed;       /* data generation / split seed */
    int max_seq_length;  /* featurized length; 0 = the task's default */
} pb_task_opts;

/* Open task `name`; errors list the known tasks. */
int pb_task_open(const char *name, const pb_task_opts *opts, pb_data_source *out);
/* NULL-terminated list of registered task names. */
const char *const *pb_task_names(void);

/* toy: generated sequence classification (see toy.c). */
int pb_task_toy_open(const pb_task_opts *opts, pb_data_source *out);

#endif
