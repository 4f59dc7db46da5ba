#include "registry.h"

#include <stdio.h>
#include <string.h>

#include "pb_error.h"

typedef struct {
    const char *name;
    int (*open)(const pb_task_opts *opts, pb_data_source *out);
} task_entry;

/* Adding a task: one loader file plus one line here. */
static const task_entry TASKS[] = {
    {"toy", pb_task_toy_open},
};
static const char *const TASK_NAMES[] = {"toy", NULL};

const char *const *pb_task_names(void) { return TASK_NAMES; }

int pb_task_open(const char *name, const pb_task_opts *opts, pb_data_source *out) {
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof TASKS / sizeof *TASKS; i++)
        if (name && strcmp(name, TASKS[i].name) == 0) return TASKS[i].open(opts, out);
    char known[256] = "";
    for (size_t i = 0; i < sizeof TASKS / sizeof *TASKS; i++) {
        if (i) strncat(known, ", ", sizeof known - strlen(known) - 1);
        strncat(known, TASKS[i].name, sizeof known - strlen(known) - 1);
    }
    return PB_ERR(PB_ENOTFOUND, "unknown task '%s' (known: %s)", name ? name : "(null)", known);
}
