/* Pre-flight checks of an experiment: what would make its cells fail before
 * they train (a model checkpoint or folder that does not load, a task whose
 * files are missing or malformed, a KD teacher that is not there), found for
 * all cells at once so that a run reports every problem before anything
 * trains. `run` does them first; `run --dry-run` prints them. */
#ifndef PB_PREFLIGHT_H
#define PB_PREFLIGHT_H

#include <stddef.h>

#include "spec.h"

/* Check the cells idx[0..n_idx) of s. Each distinct model, task data and
 * teacher is checked once. *report (caller frees; "" when all is well) holds
 * one line per problem, "<what> (cells: <id>, ...): <error>", and *n_problems
 * counts them. 0 when the checks ran (problems or not), PB_ENOMEM otherwise. */
int pb_preflight_check(const pb_spec *s, const size_t *idx, size_t n_idx, char **report, size_t *n_problems);

#endif
