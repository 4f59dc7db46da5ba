/* `prunebench run | table | plot`: experiments from a spec to tables and figures. */
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "figures.h"
#include "pb_error.h"
#include "preflight.h"
#include "run.h"
#include "spec.h"
#include "store.h"
#include "suite.h"
#include "table.h"
#include "taskutil.h"

/* The CLI owns the signal flag; the library only reads it. */
static volatile sig_atomic_t g_stop = 0;

static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

typedef struct {
    const pb_spec *s;
    int tty;
    time_t t0;
    double cell_seconds; /* finished cells' seconds in this run */
    size_t cells_timed;
    int jobs;
    size_t total, done;
    /* the latest step report */
    size_t cell;
    long step, steps;
} progress;

static void describe(const pb_spec_cell *c, char *buf, size_t cap) {
    if (!strcmp(c->method, "dense"))
        snprintf(buf, cap, "%s dense%s seed %llu", c->task, c->is_teacher_only ? " (teacher)" : "",
                 (unsigned long long)c->seed);
    else
        snprintf(buf, cap, "%s %s %.0f%%%s%s%s seed %llu", c->task, c->method, c->sparsity * 100.0,
                 c->embeddings == 1 ? " +emb" : "", c->head == 1 ? " +head" : "", c->kd ? " kd" : "",
                 (unsigned long long)c->seed);
}

static void fmt_duration(double s, char *buf, size_t cap) {
    if (!(s >= 0) || s > 1e7) {
        snprintf(buf, cap, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, cap, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60) snprintf(buf, cap, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, cap, "%lds", t);
}

static void on_event(void *ctx, const pb_run_event *e) {
    progress *p = ctx;
    const pb_spec_cell *c = &p->s->cells[e->cell];
    char what[256], eta[32], el[32];
    describe(c, what, sizeof what);
    p->total = e->total;
    if (e->kind != PB_RUN_EVENT_STEP) p->done = e->done;
    const double elapsed = difftime(time(NULL), p->t0);
    fmt_duration(elapsed, el, sizeof el);
    const double per = p->cells_timed ? p->cell_seconds / (double)p->cells_timed : NAN;
    fmt_duration(per * (double)(p->total - p->done) / (p->jobs > 0 ? p->jobs : 1), eta, sizeof eta);
    switch (e->kind) {
    case PB_RUN_EVENT_STEP:
        if (!p->tty) return;
        p->cell = e->cell;
        p->step = e->step;
        p->steps = e->steps;
        {
            const int width = 24;
            int fill = p->total ? (int)((double)p->done / (double)p->total * width) : 0;
            char bar[32];
            for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '-';
            bar[width] = 0;
            fprintf(stderr, "\r\033[K[%s] %zu/%zu cells | %s: step %ld/%ld loss %.3f | %s, ETA %s", bar, p->done,
                    p->total, what, e->step, e->steps, (double)e->loss, el, eta);
        }
        return;
    case PB_RUN_EVENT_START:
        if (p->tty) fprintf(stderr, "\r\033[K");
        fprintf(stderr, "[%zu/%zu] start %s (cell %s)\n", e->done, e->total, what, c->id);
        return;
    case PB_RUN_EVENT_DONE:
        p->cell_seconds += e->seconds;
        p->cells_timed++;
        if (p->tty) fprintf(stderr, "\r\033[K");
        fprintf(stderr, "[%zu/%zu] done  %s: %s %.2f in %.1f s\n", e->done, e->total, what,
                e->metric ? e->metric : "-", e->value, e->seconds);
        return;
    case PB_RUN_EVENT_DIVERGED:
        if (p->tty) fprintf(stderr, "\r\033[K");
        fprintf(stderr, "[%zu/%zu] DIVERGED %s: %s\n", e->done, e->total, what, e->reason ? e->reason : "");
        return;
    case PB_RUN_EVENT_FAILED:
        if (p->tty) fprintf(stderr, "\r\033[K");
        fprintf(stderr, "[%zu/%zu] FAILED %s (cell %s): %s\n", e->done, e->total, what, c->id,
                e->reason ? e->reason : "");
        return;
    case PB_RUN_EVENT_STOPPED:
        if (p->tty) fprintf(stderr, "\r\033[K");
        fprintf(stderr, "stopped %s (cell %s); it resumes on the next run\n", what, c->id);
        return;
    case PB_RUN_EVENT_STALE:
        if (p->tty) fprintf(stderr, "\r\033[K");
        fprintf(stderr, "stale %s (cell %s): %s; it runs again (the old result is result.stale.h5)\n", what, c->id,
                e->reason ? e->reason : "");
        return;
    }
}

static int parse_shard(const char *s, int *i, int *n) {
    char *slash = strchr(s, '/');
    if (!slash) return -1;
    char a[32];
    size_t len = (size_t)(slash - s);
    if (len == 0 || len >= sizeof a) return -1;
    memcpy(a, s, len);
    a[len] = 0;
    if (pb_cli_parse_int(a, i) || pb_cli_parse_int(slash + 1, n) || *n < 1 || *i < 0 || *i >= *n) return -1;
    return 0;
}

/* The store of make reproduce, so `run SPEC --dry-run` after it shows its cells. */
static void default_store(char *buf, size_t cap) {
    const char *env = getenv("PB_STORE");
    snprintf(buf, cap, "%s", env && *env ? env : "results/runs/default");
}

static int dry_run(const pb_spec *s, const char *store, const size_t *idx, size_t n_idx) {
    printf("%-16s  %-10s  %-9s  %5s  %-4s  %-4s  %-10s  %-6s  %-12s  %4s  %s\n", "cell", "task", "method", "spars",
           "emb", "head", "kd", "recipe", "mask", "seed", "state");
    for (size_t k = 0; k < n_idx; k++) {
        const pb_spec_cell *c = &s->cells[idx[k]];
        char kd[32] = "off", p[4200];
        if (c->kd) snprintf(kd, sizeof kd, "T=%g,h=%g", (double)c->kd_temperature, (double)c->kd_hardness);
        snprintf(p, sizeof p, "%s/cells/%s/result.h5", store, c->id);
        const char *state = pb_path_is_file(p) ? "complete" : "pending";
        printf("%-16s  %-10s  %-9s  %5.1f  %-4s  %-4s  %-10s  %-6s  %-12s  %4llu  %s%s\n", c->id, c->task, c->method,
               c->sparsity * 100.0, c->embeddings < 0 ? "-" : c->embeddings ? "yes" : "no",
               c->head < 0 ? "-" : c->head ? "yes" : "no", kd, c->recipe ? c->recipe : "-", c->mask ? c->mask : "-",
               (unsigned long long)c->seed, state, c->is_teacher_only ? " (teacher)" : "");
    }
    double secs = 0;
    size_t known = 0, pending = 0;
    /* rates from the finished cells of this store and of the stores beside it */
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", store);
    if (pb_run_estimate(s, store, dirname(buf), &secs, &known, &pending) < 0) return pb_cli_fail();
    char d[32];
    fmt_duration(secs, d, sizeof d);
    printf("%zu cells (%zu selected), %zu pending; estimated %s of training on this machine's past cells", s->n_cells,
           n_idx, pending, d);
    if (known < pending) printf(" (%zu pending cells of tasks never run here are not counted)", pending - known);
    printf("\n");
    return 0;
}

int pb_cli_run(int argc, char **argv) {
    const char *store = NULL, *cache = NULL, *jobs_s = NULL, *threads_s = NULL, *shard_s = NULL, *dry_s = NULL,
               *over_s = NULL, *pos[1];
    const pb_cli_opt opts[] = {{"--store", "DIR", &store},     {"--cache", "DIR", &cache},
                               {"--jobs", "N", &jobs_s},        {"--threads", "T", &threads_s},
                               {"--shard", "i/N", &shard_s},    {"--dry-run", NULL, &dry_s},
                               {"--oversubscribe", NULL, &over_s}};
    int jobs = 1, threads = 0, shard_i = 0, shard_n = 1, n_pos = 0;
    int st = pb_cli_parse("run", argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), pos, 1, &n_pos);
    if (st) return st;
    if (jobs_s && (pb_cli_parse_int(jobs_s, &jobs) || jobs < 1 || jobs > 64))
        return pb_cli_usage_error("run: --jobs '%s': expected an integer in [1, 64]", jobs_s);
    if ((st = pb_cli_positive_int("run", "--threads", threads_s, &threads))) return st;
    if (shard_s && parse_shard(shard_s, &shard_i, &shard_n))
        return pb_cli_usage_error("run: --shard '%s': expected i/N with 0 <= i < N", shard_s);
    const int dry = dry_s != NULL;
    if (n_pos < 1) return pb_cli_usage_error("run: needs a spec (SPEC.yaml)");
    const char *spec_path = pos[0];
    /* spinning OpenMP threads of oversubscribed workers slow everything down
     * several-fold: refuse unless asked */
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores > 0 && (long)jobs > cores && !over_s)
        return pb_cli_usage_error("run: --jobs %d exceeds the %ld cores; use fewer jobs, or --oversubscribe", jobs,
                                  cores);
    if (threads && cores > 0 && (long)jobs * threads > cores && !over_s)
        return pb_cli_usage_error("run: --jobs %d x --threads %d exceeds the %ld cores; lower them, or add "
                                  "--oversubscribe",
                                  jobs, threads, cores);
    pb_spec s;
    if (pb_spec_load(&s, spec_path, NULL) < 0) return pb_cli_fail();
    char store_buf[4096];
    if (!store) {
        default_store(store_buf, sizeof store_buf);
        store = store_buf;
    }
    int ret = 0;
    size_t *idx = NULL, n_idx = 0, n_problems = 0;
    char *problems = NULL;
    if (pb_spec_shard(&s, shard_i, shard_n, &idx, &n_idx) < 0 ||
        pb_preflight_check(&s, idx, n_idx, &problems, &n_problems) < 0) {
        ret = pb_cli_fail();
        free(idx);
        pb_spec_free(&s);
        return ret;
    }
    if (dry) {
        ret = dry_run(&s, store, idx, n_idx);
        if (ret == 0) {
            if (n_problems) {
                printf("pre-flight: %zu problem%s; a run would stop before training:\n%s", n_problems,
                       n_problems == 1 ? "" : "s", problems);
                ret = EXIT_BAD_INPUT;
            } else {
                printf("pre-flight: every model, task and teacher of the %zu cells opens\n", n_idx);
            }
        }
    } else if (n_problems) {
        fprintf(stderr, "prunebench: run %s: %zu problem%s found before training; nothing ran:\n%s", s.name,
                n_problems, n_problems == 1 ? "" : "s", problems);
        ret = EXIT_BAD_INPUT;
    }
    free(idx);
    free(problems);
    if (dry || ret) {
        pb_spec_free(&s);
        return ret;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    progress p = {.s = &s, .tty = isatty(STDERR_FILENO), .t0 = time(NULL), .jobs = jobs};
    pb_run_opts o = {.store = store,
                     .jobs = jobs,
                     .threads = threads,
                     .shard_i = shard_i,
                     .shard_n = shard_n,
                     .cache_dir = cache,
                     .stop = &g_stop,
                     .event = on_event,
                     .event_ctx = &p};
    pb_run_summary sum;
    if (pb_run_spec(&s, &o, &sum) < 0) {
        ret = pb_cli_fail();
        pb_spec_free(&s);
        return ret;
    }
    if (p.tty) fprintf(stderr, "\r\033[K");
    char exp_path[4200];
    if (pb_run_gather(&s, store, exp_path, sizeof exp_path) < 0) {
        ret = pb_cli_fail();
        pb_spec_free(&s);
        return ret;
    }
    char el[32];
    fmt_duration(difftime(time(NULL), p.t0), el, sizeof el);
    printf("run %s: %zu cells, %zu already complete, %zu run (%zu of them stale), %zu diverged, %zu failed, %zu stopped "
           "in %s -> %s\n",
           s.name, sum.selected, sum.skipped, sum.done, sum.stale, sum.diverged, sum.failed, sum.stopped, el, exp_path);
    pb_spec_free(&s);
    if (g_stop) return EXIT_INTERRUPTED;
    if (sum.failed > 0 || sum.diverged > 0) {
        fprintf(stderr, "prunebench: run %s: %zu cell%s failed and %zu diverged (see %s/cells/<id>/error.txt)\n",
                s.name, sum.failed, sum.failed == 1 ? "" : "s", sum.diverged, store);
        return sum.failed > 0 ? EXIT_BAD_INPUT : 0;
    }
    return 0;
}

/* "a,b,c" into up to cap names (pointers into buf). */
static int split_list(char *buf, const char **out, int cap) {
    int n = 0;
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
        if (n == cap) return -1;
        out[n++] = t;
    }
    return n;
}

int pb_cli_table(int argc, char **argv) {
    const char *path = NULL, *format = NULL, *rows = NULL, *cols = NULL, *metric = NULL, *refs = NULL, *out = NULL,
               *title = NULL;
    const char *no_refs_s = NULL;
    const pb_cli_opt opts[] = {{"--format", "md|latex", &format}, {"--rows", "AXES", &rows},
                               {"--cols", "AXES", &cols},        {"--metric", "M", &metric},
                               {"--refs", "FILE", &refs},        {"--no-refs", NULL, &no_refs_s},
                               {"--title", "T", &title},         {"--out", "FILE", &out}};
    int n_pos = 0;
    int prc = pb_cli_parse("table", argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), &path, 1, &n_pos);
    if (prc) return prc;
    if (!path) return pb_cli_usage_error("table: needs an experiment file (STORE/NAME.h5)");
    if (refs && no_refs_s) return pb_cli_usage_error("table: --refs and --no-refs exclude each other");
    const int no_refs = no_refs_s != NULL;
    if (!format) format = "md";
    pb_table_opts o;
    memset(&o, 0, sizeof o);
    if (!strcmp(format, "md")) o.format = PB_TABLE_MD;
    else if (!strcmp(format, "latex")) o.format = PB_TABLE_LATEX;
    else return pb_cli_usage_error("table: --format '%s': expected md or latex", format);
    pb_store *st = NULL;
    if (pb_store_open(&st, path) < 0) return pb_cli_fail();
    char rbuf[256] = "", cbuf[256] = "";
    if (rows) snprintf(rbuf, sizeof rbuf, "%s", rows);
    if (cols) snprintf(cbuf, sizeof cbuf, "%s", cols);
    const pb_table_cell *cells = pb_store_cells(st);
    const size_t n = pb_store_count(st);
    if (!rows || !cols) pb_figures_default_axes(cells, n, rows ? NULL : rbuf, sizeof rbuf, cols ? NULL : cbuf, sizeof cbuf);
    o.n_rows = split_list(rbuf, o.rows, 8);
    o.n_cols = cbuf[0] ? split_list(cbuf, o.cols, 8) : 0;
    if (o.n_rows < 0 || o.n_cols < 0) {
        pb_store_close(st);
        return pb_cli_usage_error("table: at most 8 row and 8 column axes");
    }
    o.metric = metric;
    o.title = title ? title : pb_store_name(st);
    pb_table_refs r = {0};
    const char *refs_path = refs ? refs : (!no_refs && pb_path_is_file("results/references.yaml") ? "results/references.yaml" : NULL);
    int ret = 0;
    if (refs_path && pb_table_refs_load(&r, refs_path) < 0) ret = pb_cli_fail();
    if (refs_path && ret == 0) o.refs = &r;
    char *text = NULL;
    if (ret == 0 && pb_table_render(cells, n, &o, &text) < 0) ret = pb_cli_fail();
    if (ret == 0) {
        if (out) {
            if (pb_suite_write_file(out, text, strlen(text)) < 0) ret = pb_cli_fail();
        } else fputs(text, stdout);
    }
    free(text);
    if (refs_path) pb_table_refs_free(&r);
    pb_store_close(st);
    return ret;
}

int pb_cli_plot(int argc, char **argv) {
    const char *path = NULL, *out = NULL, *gnuplot = NULL;
    const pb_cli_opt opts[] = {{"--out", "DIR", &out}, {"--gnuplot", "PATH", &gnuplot}};
    int n_pos = 0;
    int prc = pb_cli_parse("plot", argc, argv, opts, 2, &path, 1, &n_pos);
    if (prc) return prc;
    if (!path || !out) return pb_cli_usage_error("plot: needs an experiment file (STORE/NAME.h5) and --out DIR");
    pb_store *st = NULL;
    if (pb_store_open(&st, path) < 0) return pb_cli_fail();
    int ret = 0;
    if (pb_path_mkdir_p(out) < 0) ret = pb_cli_fail();
    pb_plot_opts po = {.gnuplot = gnuplot};
    char **names = NULL;
    size_t n = 0;
    if (ret == 0 && pb_figures_render(st, out, &po, &names, &n) < 0) ret = pb_cli_fail();
    for (size_t i = 0; i < n; i++) {
        if (ret == 0) printf("%s/%s.png %s/%s.svg\n", out, names[i], out, names[i]);
        free(names[i]);
    }
    free(names);
    pb_store_close(st);
    return ret;
}
