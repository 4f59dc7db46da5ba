/* The task registry: a task by name opens as a pb_data_source. */
#ifndef PB_TASKS_REGISTRY_H
#define PB_TASKS_REGISTRY_H

#include <stdint.h>

#include "data.h"

typedef struct {
    uint64_t seed;          /* data generation / split / masking seed */
    int max_seq_length;     /* featurized length; 0 = the task's default */
    const char *data_dir;   /* folder of the task's upstream files; unused by generated tasks */
    const char *tokenizer;  /* tokenizer file or model folder (tok.h); required by file tasks */
    int doc_stride;         /* span tasks; 0 = 128 */
    int max_query_length;   /* span tasks; 0 = 64 */
} pb_task_opts;

/* What `prunebench tasks` shows of a task, and how to open it. One loader may
 * serve several names (the GLUE tasks): open receives the name. */
typedef struct {
    const char *name;
    const char *kind;   /* single | pair | regression | span | choice | mlm */
    const char *files;  /* the upstream files expected in data_dir */
    const char *metric; /* the official metric(s) */
    int (*open)(const char *name, const pb_task_opts *opts, pb_data_source *out);
} pb_task_info;

/* Open task `name`; errors list the known tasks. */
int pb_task_open(const char *name, const pb_task_opts *opts, pb_data_source *out);
/* The registered tasks, in registry order. */
const pb_task_info *pb_task_list(int *n);
/* The entry of `name`, or NULL. */
const pb_task_info *pb_task_find(const char *name);

/* toy: generated sequence classification (see toy.c). */
int pb_task_toy_open(const char *name, const pb_task_opts *opts, pb_data_source *out);

#endif
