/* Pre-flight checks (preflight.h): open, without training, what each cell reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include "pb_error.h"
#include "preflight.h"

/* One thing to check and the cells that need it. */
typedef struct {
    char key[4400]; /* what is checked, as shown */
    char first_id[17];
    size_t n_cells;
    int ok;
    char error[1024];
} check;

typedef struct {
    check *c;
    size_t n, cap;
} checks;

/* The check with this key, added when new (*fresh = 1). NULL on ENOMEM. */
static check *checks_get(checks *cs, const char *key, const char *cell_id, int *fresh) {
    for (size_t i = 0; i < cs->n; i++)
        if (!strcmp(cs->c[i].key, key)) {
            cs->c[i].n_cells++;
            *fresh = 0;
            return &cs->c[i];
        }
    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? cs->cap * 2 : 16;
        check *c = realloc(cs->c, cap * sizeof *c);
        if (!c) return NULL;
        cs->c = c;
        cs->cap = cap;
    }
    check *c = &cs->c[cs->n++];
    memset(c, 0, sizeof *c);
    snprintf(c->key, sizeof c->key, "%s", key);
    snprintf(c->first_id, sizeof c->first_id, "%s", cell_id);
    c->n_cells = 1;
    c->ok = 1;
    *fresh = 1;
    return c;
}

static void fail(check *c) {
    c->ok = 0;
    snprintf(c->error, sizeof c->error, "%s", pb_error_msg());
}

int pb_preflight_check(const pb_spec *s, const size_t *idx, size_t n_idx, char **report, size_t *n_problems) {
    *report = NULL;
    *n_problems = 0;
    checks cs = {0};
    int fresh;
    for (size_t k = 0; k < n_idx; k++) {
        const pb_spec_cell *cell = &s->cells[idx[k]];
        const pb_runconfig *rc = &cell->rc;
        char key[4400];
        check *c;
        /* the model and the task's data as the cell opens them */
        if (rc->model.checkpoint) {
            snprintf(key, sizeof key, "model %s", rc->model.checkpoint);
            if (!(c = checks_get(&cs, key, cell->id, &fresh))) goto oom;
            if (fresh && pb_cell_check_model(rc->model.checkpoint) < 0) fail(c);
        }
        snprintf(key, sizeof key, "task %s%s%s (tokenizer %s)", rc->task, rc->data.dir ? " data " : "",
                 rc->data.dir ? rc->data.dir : "",
                 rc->data.tokenizer ? rc->data.tokenizer : rc->model.checkpoint ? rc->model.checkpoint : "built in");
        if (!(c = checks_get(&cs, key, cell->id, &fresh))) goto oom;
        if (fresh && pb_cell_check_task(rc) < 0) fail(c);
        if (rc->kd.enabled && rc->kd.teacher && strncmp(rc->kd.teacher, "@cell:", 6) != 0) {
            snprintf(key, sizeof key, "KD teacher %s", rc->kd.teacher);
            if (!(c = checks_get(&cs, key, cell->id, &fresh))) goto oom;
            if (fresh && pb_cell_check_model(rc->kd.teacher) < 0) fail(c);
        }
    }
    size_t cap = 1, used = 0;
    for (size_t i = 0; i < cs.n; i++)
        if (!cs.c[i].ok) cap += strlen(cs.c[i].key) + strlen(cs.c[i].error) + 96;
    char *r = malloc(cap);
    if (!r) goto oom;
    r[0] = '\0';
    for (size_t i = 0; i < cs.n; i++) {
        const check *c = &cs.c[i];
        if (c->ok) continue;
        char more[48] = "";
        if (c->n_cells > 1) snprintf(more, sizeof more, " and %zu more", c->n_cells - 1);
        used += (size_t)snprintf(r + used, cap - used, "%s (cell %s%s): %s\n", c->key, c->first_id, more, c->error);
        (*n_problems)++;
    }
    free(cs.c);
    *report = r;
    return 0;
oom:
    free(cs.c);
    return PB_ERR(PB_ENOMEM, "pre-flight checks of %zu cells", n_idx);
}
