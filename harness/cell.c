#include "cell.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "cell_result.h"
#include "digest.h"
#include "h5util.h"
#include "io.h"
#include "pb_error.h"
#include "safetensors.h"
#include "glue.h"
#include "registry.h"
#include "taskutil.h"
#include "suite.h"

#ifndef PB_GIT_COMMIT
#define PB_GIT_COMMIT "unknown"
#endif

/* ---- schedules from the run config -------------------------------------- */

static int build_lr(const pb_runconfig *rc, int epochs, double prune_start, double prune_end, double every,
                    pb_lr_sched *lr) {
    memset(lr, 0, sizeof *lr);
    const pb_runconfig_train *t = &rc->train;
    pb_lr_segment *s = lr->seg;
    pb_runconfig_lr_schedule kind = rc->prune.enabled ? rc->prune.lr_schedule : PB_RUNCONFIG_LR_LINEAR;
    if (kind == PB_RUNCONFIG_LR_CONSTANT) {
        lr->n_segments = 1;
        s[0] = (pb_lr_segment){0, epochs, PB_SCHED_LR_CONSTANT, t->lr, t->lr, 0, 0, 0, 0};
    } else if (kind == PB_RUNCONFIG_LR_LINEAR || prune_start >= epochs) {
        lr->n_segments = 1;
        s[0] = (pb_lr_segment){0, epochs, PB_SCHED_LR_LINEAR, t->lr, t->lr_final, 0, t->warmup_fraction, 0, 0};
    } else {
        /* dense epochs decay linearly; from the first pruning step the LR rewinds
         * at every pruning step and decays to lr_final by the next (oBERT/GMP*) */
        int n = 0;
        if (prune_start > 0)
            s[n++] = (pb_lr_segment){0, prune_start, PB_SCHED_LR_LINEAR, t->lr, t->lr_final, 0, t->warmup_fraction, 0, 0};
        s[n++] = (pb_lr_segment){prune_start, epochs, PB_SCHED_LR_CYCLIC, t->lr, t->lr_final, 0, 0, every, prune_end};
        lr->n_segments = n;
    }
    return pb_sched_validate_lr(lr);
}

int pb_cell_train_spec(const pb_runconfig *rc, const pb_model *m, int *selected, pb_train_spec *spec) {
    memset(spec, 0, sizeof *spec);
    spec->seed = rc->seed;
    spec->epochs = rc->train.epochs;
    spec->batch_size = rc->train.batch_size;
    spec->group_by_length = rc->train.group_by_length;
    pb_adamw_hparams_default(&spec->adam);
    spec->adam.weight_decay = rc->train.weight_decay;
    spec->max_grad_norm = rc->train.max_grad_norm;
    spec->eval_every_epochs = rc->train.eval_every_epochs;
    spec->checkpoint_every_steps = rc->train.checkpoint_every_steps;
    spec->audit_tol = 1e-9;
    if (!rc->prune.enabled) return build_lr(rc, spec->epochs, spec->epochs, spec->epochs, 1, &spec->lr);

    const pb_runconfig_schedule *sc = &rc->prune.schedule;
    pb_sparsity_sched *sp = &spec->sparsity;
    sp->kind = (pb_sched_kind)sc->kind;
    sp->init_sparsity = sc->init_sparsity;
    sp->final_sparsity = sc->final_sparsity;
    sp->start_epoch = sc->start_epoch;
    sp->end_epoch = sc->end_epoch;
    sp->update_every_epochs = sc->update_every_epochs;
    if (rc->prune.recipe == PB_RUNCONFIG_RECIPE_SCALED) {
        /* the sparsity-scaled rule: epochs, window, frequency and LR cycles from the target */
        /* the schedule as written is the recipe for base_sparsity */
        const double base_s = sc->base_sparsity > 0 ? sc->base_sparsity : sc->final_sparsity;
        if (sc->init_sparsity > base_s)
            return PB_ERR(PB_EINVAL, "prune.schedule: init_sparsity %g exceeds base_sparsity %g of the scaled recipe",
                          (double)sc->init_sparsity, base_s);
        pb_recipe base = {rc->train.epochs, sc->start_epoch, sc->start_epoch, sc->end_epoch, sc->update_every_epochs,
                          sc->init_sparsity, base_s, rc->train.lr, rc->train.lr_final,
                          rc->train.epochs - sc->end_epoch};
        pb_recipe scaled;
        PB_TRY(pb_recipe_scale(&base, sc->final_sparsity, 1, &scaled));
        PB_TRY(pb_recipe_sparsity_sched(&scaled, sp));
        sp->kind = (pb_sched_kind)sc->kind;
        /* the trainer runs whole epochs: a fractional end lengthens the cooldown */
        spec->epochs = (int)ceil(scaled.epochs - 1e-9);
    }
    PB_TRY(pb_sched_validate(sp));
    PB_TRY(build_lr(rc, spec->epochs, sp->start_epoch, sp->end_epoch, sp->update_every_epochs, &spec->lr));
    PB_TRY(pb_prune_select(m, (const char *const *)rc->prune.groups, (int)rc->prune.n_groups, selected));
    spec->prune.method = pb_runconfig_enum_name(PB_RUNCONFIG_ENUM_METHOD, (int)rc->prune.method);
    spec->prune.scope = rc->prune.scope == PB_RUNCONFIG_SCOPE_LAYER ? PB_PRUNE_SCOPE_LAYER : PB_PRUNE_SCOPE_GLOBAL;
    PB_TRY(pb_prune_mask_from_name(pb_runconfig_enum_name(PB_RUNCONFIG_ENUM_MASK, (int)rc->prune.mask), &spec->prune.mask));
    spec->prune.selected = selected;
    spec->prune.seed = rc->seed;
    return 0;
}

/* ---- model ----------------------------------------------------------------- */

/* The model of a cell: a Hugging Face folder, a checkpoint, or a random init
 * (checkpoint NULL). rep (may be NULL) receives what loading reports: the
 * tensors of the file the model did not use and the ones it initialized. */
static int open_model(pb_model *m, const char *checkpoint, const pb_config *init_cfg, const pb_data_source *ds,
                      int rows, uint64_t seed, pb_st_report *rep) {
    if (rep) memset(rep, 0, sizeof *rep);
    if (checkpoint && pb_path_is_dir(checkpoint))
        return pb_hf_folder_load(m, checkpoint, ds->head, ds->head == PB_HEAD_CLS ? ds->num_labels : 0, rows, ds->seq,
                                 seed, rep);
    pb_config cfg;
    if (checkpoint) PB_TRY(pb_io_read_checkpoint_config(checkpoint, &cfg));
    else cfg = *init_cfg;
    if (ds->head == PB_HEAD_CLS) cfg.num_labels = ds->num_labels;
    PB_TRY(pb_model_init(m, &cfg, ds->head, rows, ds->seq));
    /* task heads absent from a checkpoint keep Hugging Face's initialization */
    pb_model_init_weights(m, seed);
    if (!checkpoint) return 0;
    /* the backbone (embeddings and encoder) must all be there: only the pooler
     * and the task head may be new, as when fine-tuning a pretrained model */
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    hid_t f = -1;
    int rc = pb_h5_open_read(checkpoint, "checkpoint", &f);
    for (int i = 0; rc == 0 && i < m->n_params; i++) {
        const char *name = m->params[i].name;
        if ((strstr(name, ".embeddings.") || strstr(name, ".encoder.")) && !pb_h5_link_exists(f, name))
            rc = PB_ERR(PB_ENOTFOUND, "checkpoint '%s' has no tensor '%s'; only the pooler and task head may be missing",
                        checkpoint, name);
    }
    if (f >= 0) H5Fclose(f);
    pb_h5_quiet_end(&q);
    pb_st_report local;
    memset(&local, 0, sizeof local);
    if (rc == 0) rc = pb_io_load_checkpoint_report(m, checkpoint, 1, rep ? rep : &local);
    pb_st_report_free(&local);
    if (rc < 0) pb_model_free(m);
    return rc;
}

/* ---- teacher logits, cached on disk ---------------------------------------- */

/* FNV-1a 64: a cache key, not a security hash. */
static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

/* what open_model and the tokenizer read from a Hugging Face folder (its other files, such as a
 * pretraining log, do not change the cell) */
static const char *const model_files[] = {"config.json", "model.safetensors", "vocab.txt", "vocab.json",
                                          "merges.txt",  "tokenizer.json",    NULL};

/* kd.teacher: dense — the dense teacher is fine-tuned here from the same
 * model source and train settings (no pruning, no distillation), once: its
 * cell directory under the cache is named by the hash of its run config. */
static int dense_teacher(const pb_runconfig *rc, const pb_cell_opts *o, char *path, size_t n) {
    pb_runconfig t = *rc; /* shallow: shares the strings, freed by the caller's rc */
    t.prune.enabled = 0;
    t.kd.enabled = 0;
    char *yaml = NULL;
    PB_TRY(pb_runconfig_to_yaml(&t, &yaml));
    const uint64_t h = fnv(0xcbf29ce484222325ULL, yaml, strlen(yaml));
    free(yaml);
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/dense-teacher-%016llx", o->cache_dir ? o->cache_dir : "cache/kd",
             (unsigned long long)h);
    snprintf(path, n, "%s/model.h5", dir);
    struct stat st;
    if (stat(path, &st) == 0) return 0;
    pb_cell_opts to = {.out_dir = dir, .resume = 1, .cache_dir = o->cache_dir};
    pb_cell_outcome oc;
    PB_TRY(pb_cell_run(&t, &to, &oc));
    if (oc.status != PB_TRAIN_DONE)
        return PB_ERR(PB_EINVAL, "the dense teacher run in '%s' did not finish: %s", dir, oc.reason);
    return 0;
}

static int teacher_logits(const pb_runconfig *rc, const pb_cell_opts *o, const pb_data_source *ds, int rows,
                          const char *data_sha, float **logits, size_t *stride, int *hit) {
    char dense_path[1200];
    const char *teacher_path = rc->kd.teacher;
    if (strcmp(teacher_path, "dense") == 0) {
        PB_TRY(dense_teacher(rc, o, dense_path, sizeof dense_path));
        teacher_path = dense_path;
    }
    if (ds->head == PB_HEAD_MLM)
        return PB_ERR(PB_EINVAL, "kd: distillation on the masked-LM task '%s' is not supported (the teacher's logits "
                                 "are seq x vocab per example)", ds->name);
    /* the teacher's content: its files' SHA-256 (results/digest.h) */
    char teacher_sha[65];
    PB_TRY(pb_digest_path(teacher_path, model_files, teacher_sha));
    uint64_t h = fnv(0xcbf29ce484222325ULL, teacher_sha, 64);
    /* the task's identity: its name, length and where its data and tokenizer come from */
    h = fnv(h, ds->name, strlen(ds->name));
    h = fnv(h, &ds->seq, sizeof ds->seq);
    const char *ids[2] = {rc->data.dir ? rc->data.dir : "", rc->data.tokenizer ? rc->data.tokenizer : ""};
    for (int i = 0; i < 2; i++) h = fnv(h, ids[i], strlen(ids[i]) + 1);
    const int geo[2] = {rc->data.doc_stride, rc->data.max_query_length};
    h = fnv(h, geo, sizeof geo);
    h = fnv(h, data_sha, strlen(data_sha)); /* rebuilt data under the same path is another task */
    const char *dir = o->cache_dir ? o->cache_dir : "cache/kd";
    char path[1200];
    snprintf(path, sizeof path, "%s/teacher-%016llx.h5", dir, (unsigned long long)h);
    const long n = ds->count(ds->ctx, PB_SPLIT_TRAIN);
    *hit = 0;
    struct stat st;
    if (stat(path, &st) == 0) {
        pb_h5_quiet q;
        pb_h5_quiet_begin(&q);
        hid_t f = -1;
        double s = 0;
        int rc2 = pb_h5_open_read(path, "teacher-logit cache", &f);
        if (rc2 == 0) rc2 = pb_h5_read_double_attr(f, path, "stride", &s);
        if (rc2 == 0) {
            *stride = (size_t)s;
            *logits = malloc(sizeof(float) * (size_t)n * *stride);
            rc2 = *logits ? pb_h5_read_floats_n(f, path, "logits", *logits, (size_t)n * *stride)
                          : PB_ERR(PB_ENOMEM, "teacher logits");
        }
        if (f >= 0) H5Fclose(f);
        pb_h5_quiet_end(&q);
        if (rc2 == 0) {
            *hit = 1;
            return 0;
        }
        free(*logits);
        *logits = NULL; /* an unreadable cache entry is recomputed */
    }
    pb_model t;
    PB_TRY(open_model(&t, teacher_path, NULL, ds, rows, rc->seed, NULL));
    int r = pb_train_predict(&t, ds, PB_SPLIT_TRAIN, rc->train.batch_size, logits, stride);
    pb_model_free(&t);
    if (r < 0) return r;
    /* write the cache entry atomically */
    PB_TRY(pb_path_mkdir_p(dir));
    char *tmp = pb_h5_temp_path(path);
    if (!tmp) return PB_ERR(PB_ENOMEM, "temp path");
    pb_h5_quiet q;
    pb_h5_quiet_begin(&q);
    hid_t dcpl = pb_h5_dataset_plist(), f = pb_h5_create_file(tmp);
    r = (f < 0 || dcpl < 0) ? PB_ERR(PB_EIO, "cannot create '%s'", tmp) : 0;
    int shape[2] = {(int)n, (int)*stride};
    if (r == 0) r = pb_h5_write_floats(f, dcpl, path, "logits", 2, shape, *logits);
    if (r == 0) r = pb_h5_write_double_attr(f, path, "stride", (double)*stride);
    if (r == 0) r = pb_h5_write_string_attr(f, path, "teacher", teacher_path);
    if (r == 0) r = pb_h5_write_string_attr(f, path, "task", ds->name);
    pb_h5_close_id(&dcpl, H5Pclose);
    return pb_h5_finish_temp_file(f, tmp, path, &q, r);
}

/* ---- provenance -------------------------------------------------------------- */

static void iso_now(char *buf, size_t n) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void cpu_model(char *buf, size_t n) {
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            char *c = strchr(line, ':');
            if (c) {
                c += 2;
                c[strcspn(c, "\n")] = 0;
                snprintf(buf, n, "%s", c);
            }
            break;
        }
    fclose(f);
}

/* ---- what a cell or an evaluation reads -------------------------------------- */

/* Names joined by ", " into buf of cap bytes, ending in "..." when cut. */
static void join_names_short(char *const *names, int n, char *buf, size_t cap) {
    buf[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        const size_t need = strlen(names[i]) + (i ? 2 : 0);
        if (used + need + 4 >= cap) {
            if (used + 6 <= cap) strcat(buf, i ? ", ..." : "...");
            return;
        }
        if (i) strcat(buf, ", ");
        strcat(buf, names[i]);
        used += need;
    }
}

/* Names joined by ", " (malloc'ed; "" when none), or NULL when out of memory. */
static char *join_names(char *const *names, int n) {
    size_t len = 1;
    for (int i = 0; i < n; i++) len += strlen(names[i]) + 2;
    char *s = malloc(len);
    if (!s) return NULL;
    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i) strcat(s, ", ");
        strcat(s, names[i]);
    }
    return s;
}

typedef struct {
    pb_data_source ds;
    int ds_open;
    pb_model m;
    int m_open;
    pb_st_report rep;       /* loading the model: unexpected and missing tensors */
    pb_io_tokenizer tok;    /* the tokenizer's files, for model.h5 (n = 0: none known) */
    char tok_tmp[1100];     /* folder of a checkpoint's extracted tokenizer; "" when none */
    pb_config_labels labels; /* class names for model.h5 and its export (n = 0: none known) */
    char data_sha[65], model_sha[65];
    char *unexpected, *missing; /* the report's names joined by ", " */
    int rows;
} cell_inputs;

static void remove_tok_tmp(cell_inputs *ci) {
    if (!ci->tok_tmp[0]) return;
    char p[1200];
    for (int i = 0; i < ci->tok.n; i++) {
        snprintf(p, sizeof p, "%s/%s", ci->tok_tmp, ci->tok.name[i]);
        remove(p);
    }
    rmdir(ci->tok_tmp);
    ci->tok_tmp[0] = '\0';
}

static void close_inputs(cell_inputs *ci) {
    if (ci->m_open) pb_model_free(&ci->m);
    if (ci->ds_open) ci->ds.free(ci->ds.ctx);
    remove_tok_tmp(ci);
    pb_st_report_free(&ci->rep);
    pb_io_tokenizer_free(&ci->tok);
    pb_config_labels_free(&ci->labels);
    free(ci->unexpected);
    free(ci->missing);
    memset(ci, 0, sizeof *ci);
}

/* A checkpoint's remembered tokenizer written to a fresh temp folder, which the task reads. */
static int extract_tokenizer(cell_inputs *ci) {
    const char *tmpdir = getenv("TMPDIR");
    snprintf(ci->tok_tmp, sizeof ci->tok_tmp, "%s/prunebench-tok-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(ci->tok_tmp)) {
        int e = errno;
        char t[sizeof ci->tok_tmp];
        snprintf(t, sizeof t, "%s", ci->tok_tmp);
        ci->tok_tmp[0] = '\0';
        return PB_ERR(PB_EIO, "cannot create a temp folder '%s' for the checkpoint's tokenizer: %s", t, strerror(e));
    }
    return pb_io_tokenizer_write(&ci->tok, ci->tok_tmp);
}

/* Class names: the task's (GLUE-style label strings), else those the model came with. */
static int find_labels(const pb_runconfig *rc, cell_inputs *ci) {
    if (ci->ds.head != PB_HEAD_CLS || ci->ds.num_labels <= 0) return 0;
    const int n = ci->ds.num_labels;
    int known = 1;
    for (int k = 0; k < n && known; k++) known = pb_glue_label_name(rc->task, k) != NULL;
    if (known) {
        ci->labels.names = calloc((size_t)n, sizeof *ci->labels.names);
        if (!ci->labels.names) return PB_ERR(PB_ENOMEM, "label names");
        for (int k = 0; k < n; k++) {
            ci->labels.names[k] = strdup(pb_glue_label_name(rc->task, k));
            if (!ci->labels.names[k]) return PB_ERR(PB_ENOMEM, "label names");
            ci->labels.n = k + 1;
        }
        return 0;
    }
    const char *src = rc->model.checkpoint;
    if (!src) return 0;
    int r = pb_path_is_dir(src) ? pb_hf_folder_load_labels(src, &ci->labels) : pb_io_read_checkpoint_labels(src, &ci->labels);
    if (r < 0 || ci->labels.n != n) pb_config_labels_free(&ci->labels); /* names that do not fit are not carried */
    return 0;
}

/* Open rc's task as a cell reads it. The tokenizer: data.tokenizer, else a
 * Hugging Face model folder's, else the one a checkpoint remembers (extracted
 * into ci->tok_tmp). */
static int open_task(const pb_runconfig *rc, cell_inputs *ci) {
    /* the data are the task's own (seed 0): the run seed varies training, not data */
    pb_task_opts topts = {.seed = 0,
                          .max_seq_length = rc->train.max_seq_length,
                          .data_dir = rc->data.dir,
                          .tokenizer = rc->data.tokenizer,
                          .doc_stride = rc->data.doc_stride,
                          .max_query_length = rc->data.max_query_length};
    const char *ck = rc->model.checkpoint;
    if (!topts.tokenizer && ck && pb_path_is_dir(ck)) topts.tokenizer = ck;
    if (!topts.tokenizer && ck && pb_path_is_file(ck)) {
        /* an unreadable checkpoint is reported by open_model, with its own message */
        if (pb_io_read_checkpoint_tokenizer(ck, &ci->tok) < 0) pb_io_tokenizer_free(&ci->tok);
        if (ci->tok.n > 0) {
            PB_TRY(extract_tokenizer(ci));
            topts.tokenizer = ci->tok_tmp;
        }
    }
    PB_TRY(pb_task_open(rc->task, &topts, &ci->ds));
    ci->ds_open = 1;
    if (ci->tok.n == 0 && topts.tokenizer) PB_TRY(pb_io_tokenizer_from_path(&ci->tok, topts.tokenizer));
    return 0;
}

int pb_cell_check_model(const char *path) {
    pb_config cfg;
    if (pb_path_is_dir(path)) {
        char p[4200];
        PB_TRY(pb_hf_folder_load_config(path, &cfg));
        snprintf(p, sizeof p, "%s/model.safetensors", path);
        if (!pb_path_is_file(p)) return PB_ERR(PB_ENOTFOUND, "%s: no model.safetensors in the Hugging Face folder", path);
        return 0;
    }
    if (!pb_path_is_file(path)) return PB_ERR(PB_ENOTFOUND, "%s: no such checkpoint file or model folder", path);
    return pb_io_read_checkpoint_config(path, &cfg);
}

int pb_cell_baseline(const pb_runconfig *rc, pb_baseline *out) {
    cell_inputs ci;
    memset(&ci, 0, sizeof ci);
    int r = open_task(rc, &ci);
    if (r == 0) r = pb_baseline_count_labels(&ci.ds, out);
    close_inputs(&ci);
    return r;
}

int pb_cell_check_task(const pb_runconfig *rc) {
    cell_inputs ci;
    memset(&ci, 0, sizeof ci);
    int r = open_task(rc, &ci);
    close_inputs(&ci);
    return r;
}

/* Open the task, the digests and the model of rc; rows per example as the trainer batches them. */
static int open_inputs(const pb_runconfig *rc, cell_inputs *ci) {
    memset(ci, 0, sizeof *ci);
    const char *ck = rc->model.checkpoint;
    PB_TRY(open_task(rc, ci));
    /* provenance: digests of what the cell reads, taken before it reads it */
    PB_TRY(pb_cell_input_digests(rc, ci->data_sha, ci->model_sha));
    ci->rows = rc->train.batch_size * (ci->ds.choices > 0 ? ci->ds.choices : 1);
    PB_TRY(open_model(&ci->m, ck, &rc->model.config, &ci->ds, ci->rows, rc->seed, &ci->rep));
    ci->m_open = 1;
    ci->unexpected = join_names(ci->rep.unexpected, ci->rep.n_extra);
    ci->missing = join_names(ci->rep.missing, ci->rep.n_missing);
    if (!ci->unexpected || !ci->missing) return PB_ERR(PB_ENOMEM, "tensor names");
    return find_labels(rc, ci);
}

/* What loading reported, for an outcome. */
static void report_load(const cell_inputs *ci, pb_cell_load *l) {
    l->architecture = pb_hf_architecture(ci->m.cfg.model_type, ci->m.head);
    l->n_unexpected = ci->rep.n_extra;
    l->n_missing = ci->rep.n_missing;
    join_names_short(ci->rep.unexpected, ci->rep.n_extra, l->unexpected, sizeof l->unexpected);
    join_names_short(ci->rep.missing, ci->rep.n_missing, l->missing, sizeof l->missing);
}

static void cell_info_fill(pb_cell_info *info, const pb_runconfig *rc, const cell_inputs *ci, const char *run_yaml,
                           const char *cell_id, const char *start, char *end, size_t end_n, char *host, size_t host_n,
                           char *cpu, size_t cpu_n) {
    iso_now(end, end_n);
    snprintf(host, host_n, "unknown");
    gethostname(host, host_n);
    host[host_n - 1] = 0;
    cpu_model(cpu, cpu_n);
    *info = (pb_cell_info){.run_yaml = run_yaml,
                           .cell_id = cell_id,
                           .task = rc->task,
                           .model = rc->model.checkpoint ? rc->model.checkpoint : "init:random",
                           .seed = rc->seed,
                           .threads = omp_get_max_threads(),
                           .seq_len = ci->ds.seq,
                           .blas_core = openblas_get_corename(),
                           .host = host,
                           .cpu_model = cpu,
                           .git_commit = PB_GIT_COMMIT,
                           .data_sha256 = ci->data_sha,
                           .model_sha256 = ci->model_sha,
                           .start_time = start,
                           .end_time = end,
                           .unexpected_tensors = ci->unexpected,
                           .missing_tensors = ci->missing};
}

static void set_threads(const pb_runconfig *rc) {
    if (rc->threads > 0) {
        omp_set_num_threads(rc->threads);
        openblas_set_num_threads(rc->threads);
    }
}

/* ---- the cell ------------------------------------------------------------------ */

int pb_cell_input_digests(const pb_runconfig *rc, char data_sha[65], char model_sha[65]) {
    data_sha[0] = model_sha[0] = '\0';
    char suite_dir[4096];
    const char *data_dir = rc->data.dir;
    if (!data_dir && pb_suite_data_dir(rc->task, suite_dir, sizeof suite_dir)) data_dir = suite_dir;
    if (data_dir) PB_TRY(pb_digest_path(data_dir, NULL, data_sha));
    if (rc->model.checkpoint) PB_TRY(pb_digest_path(rc->model.checkpoint, model_files, model_sha));
    return 0;
}

int pb_cell_run(const pb_runconfig *rc, const pb_cell_opts *o, pb_cell_outcome *out) {
    memset(out, 0, sizeof *out);
    if (!o || !o->out_dir) return PB_ERR(PB_EINVAL, "a cell needs an output directory");
    set_threads(rc);
    char start[32];
    iso_now(start, sizeof start);
    char *run_yaml = NULL;
    PB_TRY(pb_runconfig_to_yaml(rc, &run_yaml));

    /* the output folder is created only once the model and the data have opened:
     * an early failure leaves nothing behind */
    cell_inputs ci;
    int r = open_inputs(rc, &ci);
    pb_model *m = &ci.m;
    int *selected = NULL;
    float *teacher = NULL;
    pb_train_spec spec;
    pb_train_result res;
    memset(&res, 0, sizeof res);
    char state_path[1200], model_path[1200], result_path[1200];
    snprintf(state_path, sizeof state_path, "%s/state.h5", o->out_dir);
    snprintf(model_path, sizeof model_path, "%s/model.h5", o->out_dir);
    snprintf(result_path, sizeof result_path, "%s/result.h5", o->out_dir);
    if (r == 0) {
        report_load(&ci, &out->load);
        selected = calloc((size_t)m->n_params, sizeof(int));
        r = selected ? pb_cell_train_spec(rc, m, selected, &spec) : PB_ERR(PB_ENOMEM, "selection");
    }
    if (r == 0 && rc->kd.enabled) {
        size_t stride = 0;
        r = teacher_logits(rc, o, &ci.ds, ci.rows, ci.data_sha, &teacher, &stride, &out->kd_cache_hit);
        spec.teacher_logits = teacher;
        spec.teacher_stride = stride;
        spec.kd.hardness = rc->kd.hardness;
        spec.kd.temperature = rc->kd.temperature;
    }
    if (r == 0) r = pb_path_mkdir_p(o->out_dir);
    if (r == 0) {
        spec.state_path = state_path;
        spec.resume = o->resume;
        spec.run_text = run_yaml;
        spec.stop_after_steps = o->stop_after_steps;
        spec.stop_requested = o->stop_requested;
        spec.progress = o->progress;
        spec.progress_ctx = o->progress_ctx;
        spec.progress_every = o->progress_every;
        r = pb_train_run(m, &ci.ds, &spec, &res);
    }
    /* the model remembers its tokenizer and class names, so that an export loads again */
    if (r == 0 && res.status == PB_TRAIN_DONE) r = pb_io_save_checkpoint_ex(m, model_path, &ci.tok, &ci.labels);
    if (r == 0 && res.status != PB_TRAIN_STOPPED) {
        pb_group_cost costs[PB_PRUNE_N_GROUPS];
        r = pb_prune_group_costs(m, ci.ds.seq, costs);
        char end[32], host[256], cpu[256], cell_id[32];
        if (o->cell_id) snprintf(cell_id, sizeof cell_id, "%s", o->cell_id);
        else
            snprintf(cell_id, sizeof cell_id, "%016llx",
                     (unsigned long long)fnv(0xcbf29ce484222325ULL, run_yaml, strlen(run_yaml)));
        pb_cell_info info;
        cell_info_fill(&info, rc, &ci, run_yaml, cell_id, start, end, sizeof end, host, sizeof host, cpu, sizeof cpu);
        if (r == 0) r = pb_cell_result_write(result_path, &info, &res, costs);
    }
    if (r == 0) {
        out->status = res.status;
        snprintf(out->reason, sizeof out->reason, "%s", res.reason);
        out->metrics = res.final_metrics;
        out->encoder_sparsity = res.pruned ? res.audit.encoder_sparsity : 0.0;
        out->steps = res.steps;
        out->wall_seconds = res.wall_seconds;
        if (res.status == PB_TRAIN_DONE) remove(state_path); /* finished: the result is the record */
    }
    pb_train_result_free(&res);
    free(teacher);
    free(selected);
    free(run_yaml);
    close_inputs(&ci);
    return r;
}

/* ---- evaluation without training ------------------------------------------------- */

/* The audit of a model as it is: the encoder's rank-2 tensors and every other
 * rank-2 tensor that has a zero, not counting the padding row of the word
 * embeddings (zero from Hugging Face's initialization, in dense models too);
 * target = the achieved sparsity (there is none to reach). *pruned: some
 * audited weight is zero. */
static int eval_audit(const pb_model *m, pb_audit_row *rows, pb_audit *a, int *pruned) {
    int *sel = calloc((size_t)m->n_params, sizeof *sel);
    if (!sel) return PB_ERR(PB_ENOMEM, "audit selection");
    for (int i = 0; i < m->n_params; i++) {
        int g;
        if (pb_prune_param_group(m, i, &g) < 0 || g < 0) continue;
        if (g == PB_PRUNE_GROUP_ENCODER) {
            sel[i] = 1;
            continue;
        }
        const pb_param *p = &m->params[i];
        const float *w = m->params_mem + p->offset;
        size_t pad_first = p->numel, pad_end = p->numel; /* [pad_first, pad_end): the padding row, not counted */
        const size_t nl = strlen(p->name), sl = strlen(".embeddings.word_embeddings.weight");
        if (nl >= sl && strcmp(p->name + nl - sl, ".embeddings.word_embeddings.weight") == 0 && p->ndim == 2 &&
            m->cfg.pad_token_id >= 0 && m->cfg.pad_token_id < p->shape[0]) {
            pad_first = (size_t)m->cfg.pad_token_id * (size_t)p->shape[1];
            pad_end = pad_first + (size_t)p->shape[1];
        }
        for (size_t j = 0; j < p->numel && !sel[i]; j++) sel[i] = w[j] == 0.0f && (j < pad_first || j >= pad_end);
    }
    pb_prune_spec spec = {"magnitude", PB_PRUNE_SCOPE_GLOBAL, PB_PRUNE_MASK_UNSTRUCTURED, sel, 0};
    int r = pb_prune_audit(m, &spec, 0.0, rows, a);
    free(sel);
    PB_TRY(r);
    a->target = a->selected_sparsity;
    for (int i = 0; i < a->n_rows; i++) rows[i].target = a->selected_sparsity;
    *pruned = a->selected_zeros > 0;
    return 0;
}

int pb_cell_eval(const pb_runconfig *rc, const pb_cell_eval_opts *o, pb_cell_eval_outcome *out) {
    if (!rc || !out) return PB_ERR(PB_EINVAL, "pb_cell_eval: NULL argument");
    memset(out, 0, sizeof *out);
    set_threads(rc);
    char start[32];
    iso_now(start, sizeof start);
    char *run_yaml = NULL;
    PB_TRY(pb_runconfig_to_yaml(rc, &run_yaml));
    cell_inputs ci;
    int r = open_inputs(rc, &ci);
    pb_train_result res;
    memset(&res, 0, sizeof res);
    double epoch0 = 0.0;
    if (r == 0) {
        report_load(&ci, &out->load);
        const double t0 = omp_get_wtime();
        /* the trainer's own evaluation, so the numbers are those a training run reports */
        r = pb_train_evaluate(&ci.m, &ci.ds, PB_SPLIT_DEV, rc->train.batch_size, &res.final_metrics);
        res.wall_seconds = omp_get_wtime() - t0;
        out->examples = ci.ds.count(ci.ds.ctx, PB_SPLIT_DEV);
    }
    if (r == 0) {
        res.audit_rows = calloc((size_t)ci.m.n_params, sizeof *res.audit_rows);
        r = res.audit_rows ? eval_audit(&ci.m, res.audit_rows, &res.audit, &res.pruned)
                           : PB_ERR(PB_ENOMEM, "audit rows");
    }
    if (r == 0 && o && o->out_dir) {
        /* one evaluation at epoch 0, equal to the metrics; no steps, empty curves */
        res.status = PB_TRAIN_DONE;
        res.n_evals = 1;
        res.eval_epochs = &epoch0;
        res.evals = &res.final_metrics;
        pb_group_cost costs[PB_PRUNE_N_GROUPS];
        r = pb_prune_group_costs(&ci.m, ci.ds.seq, costs);
        char result_path[1200], end[32], host[256], cpu[256], cell_id[40];
        snprintf(result_path, sizeof result_path, "%s/result.h5", o->out_dir);
        if (o->cell_id) snprintf(cell_id, sizeof cell_id, "%s", o->cell_id);
        else {
            const uint64_t h = fnv(0xcbf29ce484222325ULL, "eval\n", 5);
            snprintf(cell_id, sizeof cell_id, "eval-%016llx", (unsigned long long)fnv(h, run_yaml, strlen(run_yaml)));
        }
        pb_cell_info info;
        cell_info_fill(&info, rc, &ci, run_yaml, cell_id, start, end, sizeof end, host, sizeof host, cpu, sizeof cpu);
        if (r == 0) r = pb_path_mkdir_p(o->out_dir);
        if (r == 0) r = pb_cell_result_write(result_path, &info, &res, costs);
        res.eval_epochs = NULL;
        res.evals = NULL;
    }
    if (r == 0) {
        out->metrics = res.final_metrics;
        out->pruned = res.pruned;
        out->encoder_sparsity = res.audit.encoder_sparsity;
        out->selected_sparsity = res.audit.selected_sparsity;
        out->wall_seconds = res.wall_seconds;
    }
    pb_train_result_free(&res);
    free(run_yaml);
    close_inputs(&ci);
    return r;
}
