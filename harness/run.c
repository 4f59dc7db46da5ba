/* Running an experiment's cells in forked workers (see run.h). */
#include "run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <hdf5.h>
#include <math.h>
#include <omp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cell.h"
#include "h5util.h"
#include "pb_error.h"
#include "store.h"
#include "suite.h"
#include "taskutil.h"

enum { RUN_PENDING = 0, RUN_RUNNING, RUN_COMPLETE, RUN_FAILED, RUN_STOPPED };

static int cell_file(char *out, size_t cap, const char *store, const char *id, const char *file) {
    int n = file ? snprintf(out, cap, "%s/cells/%s/%s", store, id, file) : snprintf(out, cap, "%s/cells/%s", store, id);
    if (n < 0 || (size_t)n >= cap) return PB_ERR(PB_ERANGE, "store path '%s' is too long", store);
    return 0;
}

/* "done", "diverged" or "stopped" from a cell's result.h5 into buf; "" when unreadable. */
static void result_status(const char *path, char *buf, size_t cap) {
    buf[0] = 0;
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    hid_t f = -1;
    if (pb_h5_open_read(path, "cell result", &f) == 0) {
        char *s = NULL;
        if (pb_h5_read_string_attr(f, path, "status", &s) == 0) snprintf(buf, cap, "%s", s);
        free(s);
        H5Fclose(f);
    }
    pb_h5_quiet_end(&q);
}

static int is_complete(const char *store, const char *id) {
    char p[4096];
    return cell_file(p, sizeof p, store, id, "result.h5") == 0 && pb_path_is_file(p);
}

/* ---- stale cells ------------------------------------------------------------------ */

/* The current input digests per (task, data dir, model), computed once per run. */
enum { MEMO_MAX = 32 };
typedef struct {
    char key[2048];
    char data[65], model[65];
    int ok;
} digest_memo;

static const digest_memo *current_digests(const pb_runconfig *rc, digest_memo *memo, size_t *n_memo,
                                          digest_memo *scratch) {
    char key[2048];
    snprintf(key, sizeof key, "%s\n%s\n%s", rc->task, rc->data.dir ? rc->data.dir : "",
             rc->model.checkpoint ? rc->model.checkpoint : "");
    for (size_t i = 0; i < *n_memo; i++)
        if (strcmp(memo[i].key, key) == 0) return &memo[i];
    digest_memo *d = *n_memo < MEMO_MAX ? &memo[(*n_memo)++] : scratch;
    snprintf(d->key, sizeof d->key, "%s", key);
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    d->ok = pb_cell_input_digests(rc, d->data, d->model) == 0; /* unreadable inputs: the cell itself will say */
    pb_h5_quiet_end(&q);
    return d;
}

/* Why the complete cell at result_path is stale ("" when it is not): its
 * recorded data or model digest differs from the inputs' now. Results that
 * recorded no digest are kept. */
static void stale_reason(const pb_spec_cell *c, const char *result_path, digest_memo *memo, size_t *n_memo,
                         char *why, size_t cap) {
    why[0] = 0;
    char *rec[2] = {NULL, NULL};
    static const char *const names[2] = {"data_sha256", "model_sha256"};
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    hid_t f = -1;
    if (pb_h5_open_read(result_path, "cell result", &f) == 0) {
        for (int k = 0; k < 2; k++)
            if (H5Aexists(f, names[k]) > 0 && pb_h5_read_string_attr(f, result_path, names[k], &rec[k]) != 0)
                rec[k] = NULL;
        H5Fclose(f);
    }
    pb_h5_quiet_end(&q);
    if ((rec[0] && *rec[0]) || (rec[1] && *rec[1])) {
        digest_memo scratch;
        const digest_memo *d = current_digests(&c->rc, memo, n_memo, &scratch);
        const char *now[2] = {d->data, d->model}, *what[2] = {"the task's data", "the model"};
        for (int k = 0; d->ok && k < 2 && !why[0]; k++)
            if (rec[k] && *rec[k] && strcmp(rec[k], now[k]) != 0)
                snprintf(why, cap, "%s changed since it ran (%s %.12s..., now %.12s...)", what[k], names[k], rec[k],
                         now[k]);
    }
    free(rec[0]);
    free(rec[1]);
}

static int write_text(const char *store, const char *id, const char *file, const char *text) {
    char p[4096];
    PB_TRY(cell_file(p, sizeof p, store, id, file));
    return pb_suite_write_file(p, text, strlen(text));
}

/* ---- the worker ------------------------------------------------------------ */

typedef struct {
    int fd;
} child_ctx;

static void send_line(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void send_line(int fd, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n > sizeof buf - 2) n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    /* one write of at most PIPE_BUF bytes is atomic */
    for (const char *p = buf; n > 0;) {
        ssize_t w = write(fd, p, (size_t)n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= (int)w;
    }
}

static void child_progress(void *ctx, long step, long total, float loss, const pb_metrics *eval) {
    (void)eval;
    send_line(((child_ctx *)ctx)->fd, "P %ld %ld %.9g", step, total, (double)loss);
}

/* One line of text: newlines and tabs as spaces. */
static void one_line(char *s) {
    for (; *s; s++)
        if (*s == '\n' || *s == '\r' || *s == '\t') *s = ' ';
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The worker's own stop flag: a worker installs its handler for SIGINT and
 * SIGTERM, so a caller of pb_run_spec needs none for workers to stop cleanly
 * (process-local: it exists only in the forked worker). */
static volatile sig_atomic_t g_worker_stop = 0;

static void worker_on_signal(int sig) {
    (void)sig;
    g_worker_stop = 1;
}

/* Run cell i in this (forked) process; never returns. Exit 0: complete
 * (done or diverged), 1: failed (error.txt written), 3: stopped. */
static void child_main(const pb_spec *s, size_t i, const pb_run_opts *o, int fd, int threads) {
    const pb_spec_cell *c = &s->cells[i];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = worker_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (o->stop && *o->stop) g_worker_stop = 1;
    char dir[4096], p[4096];
    int r = cell_file(dir, sizeof dir, o->store, c->id, NULL);
    if (r == 0 && cell_file(p, sizeof p, o->store, c->id, "log.txt") == 0) {
        int lf = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (lf >= 0) {
            dup2(lf, STDOUT_FILENO);
            dup2(lf, STDERR_FILENO);
            close(lf);
        }
    }
    /* two shards may both hold a teacher: one runs it, the other waits */
    int lock = -1;
    if (r == 0 && cell_file(p, sizeof p, o->store, c->id, "lock") == 0) {
        lock = open(p, O_WRONLY | O_CREAT, 0644);
        if (lock >= 0)
            while (flock(lock, LOCK_EX) != 0 && errno == EINTR) {
            }
    }
    if (r == 0 && is_complete(o->store, c->id)) {
        send_line(fd, "K");
        _exit(0);
    }
    const double t0 = now_seconds();
    pb_runconfig rc = c->rc; /* a shallow copy: this process ends here */
    if (threads > 0) rc.threads = threads;
    char teacher[4096];
    if (r == 0 && c->teacher >= 0) {
        const pb_spec_cell *t = &s->cells[c->teacher];
        char status[32];
        r = cell_file(teacher, sizeof teacher, o->store, t->id, "result.h5");
        if (r == 0) result_status(teacher, status, sizeof status);
        if (r == 0 && strcmp(status, "done") != 0)
            r = PB_ERR(PB_EINVAL, "its KD teacher, cell %s, %s", t->id, status[0] ? status : "has no result");
        if (r == 0) r = cell_file(teacher, sizeof teacher, o->store, t->id, "model.h5");
        rc.kd.teacher = teacher;
    }
    char cache[4096];
    if (r == 0 && !o->cache_dir) {
        int n = snprintf(cache, sizeof cache, "%s/kd-cache", o->store);
        if (n < 0 || (size_t)n >= sizeof cache) r = PB_ERR(PB_ERANGE, "store path too long");
    }
    pb_cell_outcome out;
    memset(&out, 0, sizeof out);
    child_ctx ctx = {fd};
    if (r == 0) {
        pb_cell_opts co = {.out_dir = dir,
                           .resume = 1,
                           .cache_dir = o->cache_dir ? o->cache_dir : cache,
                           .progress = child_progress,
                           .progress_ctx = &ctx,
                           .progress_every = o->progress_every > 0 ? o->progress_every : 50,
                           .stop_requested = &g_worker_stop,
                           .cell_id = c->id};
        r = pb_cell_run(&rc, &co, &out);
    }
    const double secs = now_seconds() - t0;
    if (r < 0) {
        char msg[900];
        snprintf(msg, sizeof msg, "%s", pb_error_msg());
        one_line(msg);
        char text[1000];
        snprintf(text, sizeof text, "%s\n", msg);
        write_text(o->store, c->id, "error.txt", text);
        fprintf(stderr, "cell %s failed: %s\n", c->id, msg);
        send_line(fd, "F %.3f %s", secs, msg);
        _exit(1);
    }
    if (out.status == PB_TRAIN_STOPPED) {
        send_line(fd, "S %.3f", secs);
        _exit(3);
    }
    if (cell_file(p, sizeof p, o->store, c->id, "error.txt") == 0) remove(p);
    if (out.status == PB_TRAIN_DIVERGED) {
        one_line(out.reason);
        send_line(fd, "V %.3f %s", secs, out.reason);
        _exit(0);
    }
    if (out.metrics.n > 0)
        send_line(fd, "D %.3f %s %.17g", secs, out.metrics.name[0], out.metrics.value[0]);
    else
        send_line(fd, "D %.3f - nan", secs);
    _exit(0);
}

/* ---- the scheduler --------------------------------------------------------- */

typedef struct {
    pid_t pid;
    int fd;
    size_t cell;
    char buf[2048];
    size_t n;
    int final;            /* a final message arrived */
    int already;          /* another process had completed the cell */
    pb_run_event_kind kind;
    char reason[1024];
    char metric[64];
    double value, seconds;
    int signalled;
} worker;

static void emit(const pb_run_opts *o, pb_run_event *e) {
    if (o->event) o->event(o->event_ctx, e);
}

/* Parse one message line of worker w. */
static void on_line(const pb_run_opts *o, worker *w, char *line, size_t done, size_t total) {
    pb_run_event e;
    memset(&e, 0, sizeof e);
    e.cell = w->cell;
    e.done = done;
    e.total = total;
    char *rest = line + (line[0] ? 1 : 0);
    if (*rest == ' ') rest++;
    switch (line[0]) {
    case 'P':
        e.kind = PB_RUN_EVENT_STEP;
        if (sscanf(rest, "%ld %ld %f", &e.step, &e.steps, &e.loss) == 3) emit(o, &e);
        return;
    case 'K':
        w->final = 1;
        w->already = 1;
        w->kind = PB_RUN_EVENT_DONE;
        snprintf(w->metric, sizeof w->metric, "-");
        w->value = NAN;
        return;
    case 'D': {
        char name[64] = "-", val[64] = "nan";
        w->final = 1;
        w->kind = PB_RUN_EVENT_DONE;
        if (sscanf(rest, "%lf %63s %63s", &w->seconds, name, val) >= 1) {
            snprintf(w->metric, sizeof w->metric, "%s", name);
            w->value = strtod(val, NULL);
        }
        return;
    }
    case 'V':
    case 'F': {
        w->final = 1;
        w->kind = line[0] == 'V' ? PB_RUN_EVENT_DIVERGED : PB_RUN_EVENT_FAILED;
        char *end = NULL;
        w->seconds = strtod(rest, &end);
        if (end && *end == ' ') end++;
        snprintf(w->reason, sizeof w->reason, "%s", end ? end : "");
        return;
    }
    case 'S':
        w->final = 1;
        w->kind = PB_RUN_EVENT_STOPPED;
        w->seconds = strtod(rest, NULL);
        return;
    default:
        return;
    }
}

/* Read what worker w has written; 1 at end of file. */
static int drain(const pb_run_opts *o, worker *w, size_t done, size_t total) {
    for (;;) {
        if (w->n >= sizeof w->buf - 1) w->n = 0; /* an overlong line is dropped */
        ssize_t k = read(w->fd, w->buf + w->n, sizeof w->buf - 1 - w->n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return 0; /* EAGAIN */
        if (k == 0) return 1;
        w->n += (size_t)k;
        char *start = w->buf, *nl;
        while ((nl = memchr(start, '\n', (size_t)(w->buf + w->n - start)))) {
            *nl = 0;
            on_line(o, w, start, done, total);
            start = nl + 1;
        }
        w->n = (size_t)(w->buf + w->n - start);
        memmove(w->buf, start, w->n);
    }
}

static int default_threads(int jobs) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    long t = cores / (jobs > 0 ? jobs : 1);
    return t < 1 ? 1 : (int)t;
}

int pb_run_spec(const pb_spec *s, const pb_run_opts *o, pb_run_summary *sum) {
    memset(sum, 0, sizeof *sum);
    if (!s || !o || !o->store) return PB_ERR(PB_EINVAL, "pb_run_spec: NULL spec, options or store");
    const int jobs = o->jobs > 0 ? o->jobs : 1;
    char p[4096];
    int n = snprintf(p, sizeof p, "%s/cells", o->store);
    if (n < 0 || (size_t)n >= sizeof p) return PB_ERR(PB_ERANGE, "store path '%s' is too long", o->store);
    PB_TRY(pb_path_mkdir_p(p));
    n = snprintf(p, sizeof p, "%s/%s.spec.yaml", o->store, s->name);
    if (n < 0 || (size_t)n >= sizeof p) return PB_ERR(PB_ERANGE, "store path '%s' is too long", o->store);
    PB_TRY(pb_suite_write_file(p, s->text, strlen(s->text)));

    size_t *idx = NULL, n_idx = 0;
    PB_TRY(pb_spec_shard(s, o->shard_n > 1 ? o->shard_i : 0, o->shard_n > 1 ? o->shard_n : 1, &idx, &n_idx));
    unsigned char *state = calloc(s->n_cells ? s->n_cells : 1, 1);
    unsigned char *selected = calloc(s->n_cells ? s->n_cells : 1, 1);
    worker *ws = calloc((size_t)jobs, sizeof *ws);
    int rc = state && selected && ws ? 0 : PB_ERR(PB_ENOMEM, "%zu cells", s->n_cells);
    sum->selected = n_idx;
    size_t complete = 0;
    digest_memo *memo = calloc(MEMO_MAX, sizeof *memo);
    size_t n_memo = 0;
    if (rc == 0 && !memo) rc = PB_ERR(PB_ENOMEM, "digest memo");
    for (size_t k = 0; rc == 0 && k < n_idx; k++) {
        const pb_spec_cell *c = &s->cells[idx[k]];
        selected[idx[k]] = 1;
        rc = cell_file(p, sizeof p, o->store, c->id, NULL);
        if (rc == 0) rc = pb_path_mkdir_p(p);
        if (rc == 0) rc = write_text(o->store, c->id, "run.yaml", c->yaml);
        if (rc == 0 && is_complete(o->store, c->id)) {
            /* teachers come before their students, so a stale teacher is known here */
            char why[300] = "";
            cell_file(p, sizeof p, o->store, c->id, "result.h5");
            if (c->teacher >= 0 && selected[c->teacher] && state[c->teacher] == RUN_PENDING)
                snprintf(why, sizeof why, "its KD teacher, cell %s, runs again", s->cells[c->teacher].id);
            else
                stale_reason(c, p, memo, &n_memo, why, sizeof why);
            if (why[0]) {
                char old[4096];
                cell_file(old, sizeof old, o->store, c->id, "result.stale.h5");
                if (rename(p, old) != 0) {
                    rc = PB_ERR(PB_EIO, "cannot move the stale result '%s' aside: %s", p, strerror(errno));
                    break;
                }
                sum->stale++;
                pb_run_event e = {.kind = PB_RUN_EVENT_STALE, .cell = idx[k], .reason = why, .total = n_idx};
                emit(o, &e);
                continue;
            }
            char st[32];
            result_status(p, st, sizeof st);
            state[idx[k]] = RUN_COMPLETE;
            sum->skipped++;
            if (!strcmp(st, "diverged")) sum->diverged++;
            complete++;
        }
    }
    const int threads = o->threads;
    int running = 0;
    int forwarded = 0;
    while (rc == 0) {
        const int stopping = o->stop && *o->stop;
        if (stopping && !forwarded) {
            /* a terminal's ^C reaches the workers too; a SIGTERM to this process does not */
            for (int j = 0; j < jobs; j++)
                if (ws[j].pid > 0) kill(ws[j].pid, SIGTERM);
            forwarded = 1;
        }
        /* start what can start */
        for (size_t k = 0; !stopping && running < jobs && k < n_idx; k++) {
            const size_t i = idx[k];
            if (state[i] != RUN_PENDING) continue;
            const pb_spec_cell *c = &s->cells[i];
            if (c->teacher >= 0) {
                const unsigned char ts = state[c->teacher];
                if (ts == RUN_PENDING || ts == RUN_RUNNING) continue; /* wait for the teacher */
            }
            int fds[2];
            if (pipe(fds) != 0) {
                rc = PB_ERR(PB_EIO, "pipe: %s", strerror(errno));
                break;
            }
            fflush(stdout);
            fflush(stderr);
            const int t = threads > 0 ? threads : (c->rc.threads > 0 ? 0 : default_threads(jobs));
            pid_t pid = fork();
            if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                rc = PB_ERR(PB_EIO, "fork: %s", strerror(errno));
                break;
            }
            if (pid == 0) {
                close(fds[0]);
                for (int j = 0; j < jobs; j++)
                    if (ws[j].pid > 0) close(ws[j].fd);
                child_main(s, i, o, fds[1], t);
            }
            close(fds[1]);
            fcntl(fds[0], F_SETFL, O_NONBLOCK);
            int slot = 0;
            while (ws[slot].pid > 0) slot++;
            memset(&ws[slot], 0, sizeof ws[slot]);
            ws[slot].pid = pid;
            ws[slot].fd = fds[0];
            ws[slot].cell = i;
            state[i] = RUN_RUNNING;
            running++;
            pb_run_event e = {.kind = PB_RUN_EVENT_START, .cell = i, .done = complete, .total = n_idx};
            emit(o, &e);
        }
        if (running == 0) break; /* nothing runs and nothing can start */
        struct pollfd pf[64];
        int np = 0;
        for (int j = 0; j < jobs && np < 64; j++)
            if (ws[j].pid > 0) pf[np++] = (struct pollfd){.fd = ws[j].fd, .events = POLLIN};
        poll(pf, (nfds_t)np, 500);
        for (int j = 0; j < jobs; j++) {
            worker *w = &ws[j];
            if (w->pid <= 0) continue;
            const int eof = drain(o, w, complete, n_idx);
            int status = 0;
            pid_t got = eof ? waitpid(w->pid, &status, 0) : waitpid(w->pid, &status, WNOHANG);
            if (got != w->pid) continue;
            if (!eof) drain(o, w, complete, n_idx);
            close(w->fd);
            running--;
            const size_t i = w->cell;
            pb_run_event e = {.cell = i, .seconds = w->seconds, .total = n_idx};
            if (!w->final) {
                /* the worker died without a word: a crash */
                if (WIFSIGNALED(status))
                    snprintf(w->reason, sizeof w->reason, "the worker was killed by signal %d", WTERMSIG(status));
                else
                    snprintf(w->reason, sizeof w->reason, "the worker exited with status %d", WEXITSTATUS(status));
                w->kind = (stopping && WIFSIGNALED(status)) ? PB_RUN_EVENT_STOPPED : PB_RUN_EVENT_FAILED;
                if (w->kind == PB_RUN_EVENT_FAILED) {
                    char text[1100];
                    snprintf(text, sizeof text, "%s\n", w->reason);
                    write_text(o->store, s->cells[i].id, "error.txt", text);
                }
            }
            e.kind = w->kind;
            switch (w->kind) {
            case PB_RUN_EVENT_DONE:
                state[i] = RUN_COMPLETE;
                if (w->already) sum->skipped++;
                else sum->done++;
                complete++;
                e.metric = w->metric;
                e.value = w->value;
                break;
            case PB_RUN_EVENT_DIVERGED:
                state[i] = RUN_COMPLETE;
                sum->done++;
                sum->diverged++;
                complete++;
                e.reason = w->reason;
                break;
            case PB_RUN_EVENT_STOPPED:
                state[i] = RUN_STOPPED;
                sum->stopped++;
                break;
            default:
                state[i] = RUN_FAILED;
                sum->failed++;
                complete++;
                e.reason = w->reason;
                break;
            }
            e.done = complete;
            emit(o, &e);
            w->pid = 0;
        }
        /* students of a failed teacher cannot run: fail them now (a diverged
         * teacher's students fail in their worker, which reads its status) */
        for (size_t k = 0; k < n_idx; k++) {
            const size_t i = idx[k];
            const long t = s->cells[i].teacher;
            if (state[i] != RUN_PENDING || t < 0 || state[t] != RUN_FAILED) continue;
            char text[256];
            snprintf(text, sizeof text, "its KD teacher, cell %s, failed", s->cells[t].id);
            char line[260];
            snprintf(line, sizeof line, "%s\n", text);
            write_text(o->store, s->cells[i].id, "error.txt", line);
            state[i] = RUN_FAILED;
            sum->failed++;
            complete++;
            pb_run_event e = {.kind = PB_RUN_EVENT_FAILED, .cell = i, .reason = text, .done = complete, .total = n_idx};
            emit(o, &e);
        }
    }
    for (size_t k = 0; k < n_idx; k++)
        if (state[idx[k]] == RUN_PENDING) sum->stopped++;
    free(idx);
    free(state);
    free(memo);
    free(selected);
    free(ws);
    return rc;
}

/* ---- the experiment file ----------------------------------------------------- */

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char buf[4096];
    size_t k = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[k] = 0;
    buf[strcspn(buf, "\n")] = 0;
    return strdup(buf);
}

int pb_run_gather(const pb_spec *s, const char *store, char *path_out, size_t path_cap) {
    pb_store_entry *e = calloc(s->n_cells ? s->n_cells : 1, sizeof *e);
    char (*res)[4096] = calloc(s->n_cells ? s->n_cells : 1, sizeof *res);
    char **errs = calloc(s->n_cells ? s->n_cells : 1, sizeof *errs);
    int rc = e && res && errs ? 0 : PB_ERR(PB_ENOMEM, "%zu cells", s->n_cells);
    for (size_t i = 0; rc == 0 && i < s->n_cells; i++) {
        const pb_spec_cell *c = &s->cells[i];
        pb_table_cell *a = &e[i].axes;
        a->task = c->task;
        a->method = c->method;
        a->sparsity = c->sparsity;
        a->embeddings = c->embeddings;
        a->head = c->head;
        a->kd = c->kd;
        a->kd_temperature = c->kd_temperature;
        a->kd_hardness = c->kd_hardness;
        a->recipe = c->recipe;
        a->mask = c->mask;
        a->seed = c->seed;
        e[i].id = c->id;
        e[i].teacher_id = c->teacher >= 0 ? s->cells[c->teacher].id : NULL;
        e[i].teacher_only = c->is_teacher_only;
        e[i].run_yaml = c->yaml;
        rc = cell_file(res[i], sizeof res[i], store, c->id, "result.h5");
        if (rc == 0 && pb_path_is_file(res[i])) e[i].result_path = res[i];
        char ep[4096];
        if (rc == 0 && !e[i].result_path && cell_file(ep, sizeof ep, store, c->id, "error.txt") == 0 &&
            pb_path_is_file(ep)) {
            errs[i] = slurp(ep);
            e[i].error = errs[i] ? errs[i] : "failed";
        }
    }
    if (rc == 0) {
        int n = snprintf(path_out, path_cap, "%s/%s.h5", store, s->name);
        if (n < 0 || (size_t)n >= path_cap) rc = PB_ERR(PB_ERANGE, "store path '%s' is too long", store);
    }
    /* chance and majority-class baselines of each task's dev split, opened as
     * the task's first cell opens it (harness/cell.c); a task without them
     * (span, regression) or whose data cannot be opened simply has none */
    pb_store_baseline *base = rc == 0 ? calloc(s->n_cells ? s->n_cells : 1, sizeof *base) : NULL;
    size_t n_base = 0;
    if (rc == 0 && !base) rc = PB_ERR(PB_ENOMEM, "baselines of %zu cells", s->n_cells);
    for (size_t i = 0; rc == 0 && i < s->n_cells; i++) {
        const pb_runconfig *c = &s->cells[i].rc;
        size_t j = 0;
        while (j < i && strcmp(s->cells[j].task, s->cells[i].task)) j++;
        if (j < i) continue; /* not the task's first cell */
        pb_baseline b;
        if (pb_cell_baseline(c, &b) == 1)
            base[n_base++] = (pb_store_baseline){s->cells[i].task, "accuracy", b.classes, b.examples, b.chance,
                                                 b.majority};
    }
    if (rc == 0)
        rc = pb_store_write_experiment_baselines(path_out, s->name, s->text, e, s->n_cells, base, n_base);
    free(base);
    for (size_t i = 0; errs && i < s->n_cells; i++) free(errs[i]);
    free(errs);
    free(res);
    free(e);
    return rc;
}

/* ---- cost estimate ----------------------------------------------------------- */

typedef struct {
    char task[64];
    double seconds, epochs;
} task_rate;

static void add_rate(task_rate *r, size_t *n, size_t cap, const char *path) {
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    hid_t f = -1;
    if (pb_h5_open_read(path, "cell result", &f) == 0) {
        char *task = NULL;
        double wall = 0, steps = 0, spe = 0;
        if (pb_h5_read_string_attr(f, path, "task", &task) == 0 &&
            pb_h5_read_double_attr(f, path, "wall_seconds", &wall) == 0 &&
            pb_h5_read_double_attr(f, path, "steps", &steps) == 0 &&
            pb_h5_read_double_attr(f, path, "steps_per_epoch", &spe) == 0 && spe > 0 && steps > 0) {
            size_t k = 0;
            while (k < *n && strcmp(r[k].task, task)) k++;
            if (k == *n && *n < cap) {
                snprintf(r[k].task, sizeof r[k].task, "%s", task);
                r[k].seconds = r[k].epochs = 0;
                (*n)++;
            }
            if (k < *n) {
                r[k].seconds += wall;
                r[k].epochs += steps / spe;
            }
        }
        free(task);
        H5Fclose(f);
    }
    pb_h5_quiet_end(&q);
}

int pb_run_estimate(const pb_spec *s, const char *store, const char *runs_root, double *seconds, size_t *known,
                    size_t *pending) {
    *seconds = 0;
    *known = *pending = 0;
    task_rate rates[64];
    size_t n_rates = 0;
    DIR *runs = runs_root ? opendir(runs_root) : NULL;
    for (struct dirent *d; runs && (d = readdir(runs));) {
        if (d->d_name[0] == '.') continue;
        char cells[4096];
        int n = snprintf(cells, sizeof cells, "%s/%s/cells", runs_root, d->d_name);
        if (n < 0 || (size_t)n >= sizeof cells) continue;
        DIR *cd = opendir(cells);
        for (struct dirent *x; cd && (x = readdir(cd));) {
            if (x->d_name[0] == '.') continue;
            char rp[4096];
            n = snprintf(rp, sizeof rp, "%s/%s/result.h5", cells, x->d_name);
            if (n > 0 && (size_t)n < sizeof rp && pb_path_is_file(rp)) add_rate(rates, &n_rates, 64, rp);
        }
        if (cd) closedir(cd);
    }
    if (runs) closedir(runs);
    for (size_t i = 0; i < s->n_cells; i++) {
        const pb_spec_cell *c = &s->cells[i];
        if (is_complete(store, c->id)) continue;
        (*pending)++;
        for (size_t k = 0; k < n_rates; k++)
            if (!strcmp(rates[k].task, c->task) && rates[k].epochs > 0) {
                *seconds += rates[k].seconds / rates[k].epochs * c->rc.train.epochs;
                (*known)++;
                break;
            }
    }
    return 0;
}
