/* Shared pieces of the embedded default suite (see suite.h). */
#include "suite.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "glue.h"
#include "mc.h"
#include "pb_error.h"
#include "squad.h"
#include "taskutil.h"

uint64_t pb_suite_hash(const char *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) h = (h ^ *p) * 0x100000001b3ULL;
    return h;
}

int pb_suite_split(const char *id) {
    const unsigned b = (unsigned)(pb_suite_hash(id) % 100);
    return b < 80 ? 0 : b < 90 ? 1 : 2;
}

const char *pb_suite_cache_root(void) {
    const char *c = getenv("PB_CACHE");
    return c && *c ? c : "cache";
}

int pb_suite_write_file(const char *path, const char *text, size_t len) {
    char tmp[4200];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof tmp) return PB_ERR(PB_ERANGE, "path '%s' too long", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return PB_ERR(PB_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    int rc = 0;
    if (len && fwrite(text, 1, len, f) != len) rc = PB_ERR(PB_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    if (fclose(f) != 0 && rc == 0) rc = PB_ERR(PB_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0) rc = PB_ERR(PB_EIO, "cannot rename '%s': %s", tmp, strerror(errno));
    if (rc < 0) remove(tmp);
    return rc;
}

int pb_strbuf_add(pb_strbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->n + n + 1) nc *= 2;
        char *ns = realloc(b->s, nc);
        if (!ns) return PB_ERR(PB_ENOMEM, "text buffer of %zu bytes", nc);
        b->s = ns;
        b->cap = nc;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
    return 0;
}

int pb_strbuf_printf(pb_strbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return PB_ERR(PB_EINVAL, "bad format '%s'", fmt);
    PB_TRY(pb_strbuf_add(b, "", 0));
    if (b->n + (size_t)n + 1 > b->cap) {
        size_t nc = b->cap;
        while (nc < b->n + (size_t)n + 1) nc *= 2;
        char *ns = realloc(b->s, nc);
        if (!ns) return PB_ERR(PB_ENOMEM, "text buffer of %zu bytes", nc);
        b->s = ns;
        b->cap = nc;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
    return 0;
}

void pb_strbuf_free(pb_strbuf *b) {
    free(b->s);
    memset(b, 0, sizeof *b);
}

int pb_suite_stats_write(const pb_suite_stats *st, const char *dir) {
    if (st->n_labels < 0 || st->n_labels > PB_SUITE_MAX_LABELS)
        return PB_ERR(PB_EINVAL, "%s: %d labels (at most %d)", st->task, st->n_labels, PB_SUITE_MAX_LABELS);
    json_t *root = json_object(), *splits = json_object();
    static const char *const names[3] = {"train", "dev", "test"};
    for (int s = 0; s < 3; s++) {
        json_t *sp = json_object(), *lc = json_object();
        json_object_set_new(sp, "examples", json_integer(st->count[s]));
        for (int k = 0; k < st->n_labels; k++) json_object_set_new(lc, st->labels[k], json_integer(st->label_count[s][k]));
        if (st->n_labels) json_object_set_new(sp, "labels", lc);
        else json_decref(lc);
        json_object_set_new(splits, names[s], sp);
    }
    json_object_set_new(root, "task", json_string(st->task));
    json_object_set_new(root, "provenance", json_string(st->provenance ? st->provenance : ""));
    json_object_set_new(root, "splits", splits);
    if (st->n_labels > 0 && st->count[1] > 0) {
        long best = 0;
        for (int k = 0; k < st->n_labels; k++)
            if (st->label_count[1][k] > best) best = st->label_count[1][k];
        json_object_set_new(root, "dev_majority_percent", json_real(100.0 * (double)best / (double)st->count[1]));
        json_object_set_new(root, "chance_percent", json_real(100.0 / st->n_labels));
    }
    if (st->n_labels == 0 && st->span_chance_percent >= 0.0 && st->count[1] > 0) {
        json_object_set_new(root, "chance_percent", json_real(st->span_chance_percent));
        json_object_set_new(root, "chance", json_string("exact match of one uniformly random word of the context"));
        if (st->span_heuristic && st->span_heuristic_percent >= 0.0) {
            json_object_set_new(root, "heuristic_percent", json_real(st->span_heuristic_percent));
            json_object_set_new(root, "heuristic", json_string(st->span_heuristic));
        }
    }
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text) return PB_ERR(PB_ENOMEM, "%s: stats JSON", st->task);
    char path[4200];
    snprintf(path, sizeof path, "%s/stats.json", dir);
    size_t n = strlen(text);
    text[n] = '\0';
    pb_strbuf b = {0};
    int rc = pb_strbuf_add(&b, text, n);
    if (rc == 0) rc = pb_strbuf_add(&b, "\n", 1);
    if (rc == 0) rc = pb_suite_write_file(path, b.s, b.n);
    pb_strbuf_free(&b);
    free(text);
    return rc;
}

/* ---- registry entry ------------------------------------------------------------ */

typedef struct {
    const char *name;   /* registry name */
    const char *loader; /* the name its loader knows */
    int (*open)(const char *name, const pb_task_opts *opts, pb_data_source *out);
    int seq;            /* default max_seq_length: short texts, fast cells */
    int doc_stride;     /* span task only */
    const char *first_file;
} suite_task;

static const suite_task SUITE_TASKS[] = {
    {"spam", "spam", pb_task_glue_open, 32, 0, "train.tsv"}, /* subject and opening words: 128 tokens saturate */
    {"wn-pair", "wn-pair", pb_task_glue_open, 128, 0, "train.tsv"},
    {"wn-span", "squad", pb_task_squad_open, 128, 32, "train-v1.1.json"},
    {"wn-choice", "commonsenseqa", pb_task_csqa_open, 64, 0, "train_rand_split.jsonl"},
    {"wn-blank", "winogrande", pb_task_winogrande_open, 64, 0, "train_xl.jsonl"},
};

int pb_suite_data_dir(const char *name, char *buf, size_t cap) {
    for (size_t i = 0; i < sizeof SUITE_TASKS / sizeof *SUITE_TASKS; i++)
        if (name && strcmp(name, SUITE_TASKS[i].name) == 0) {
            snprintf(buf, cap, "%s/suite/%s", pb_suite_cache_root(), name);
            return 1;
        }
    return 0;
}

int pb_task_suite_open(const char *name, const pb_task_opts *opts, pb_data_source *out) {
    const suite_task *t = NULL;
    for (size_t i = 0; i < sizeof SUITE_TASKS / sizeof *SUITE_TASKS; i++)
        if (name && strcmp(name, SUITE_TASKS[i].name) == 0) t = &SUITE_TASKS[i];
    if (!t) return PB_ERR(PB_ENOTFOUND, "'%s' is not a suite task", name ? name : "(null)");
    pb_task_opts o = opts ? *opts : (pb_task_opts){0};
    const char *root = pb_suite_cache_root();
    char dir[4096], tok[4096], first[4200];
    if (!o.data_dir) {
        snprintf(dir, sizeof dir, "%s/suite/%s", root, t->name);
        o.data_dir = dir;
    }
    if (!o.tokenizer) {
        /* the pretrained model's folder carries its vocabulary; before pretraining, the fetched one */
        snprintf(tok, sizeof tok, "%s/model/bert-tiny/vocab.txt", root);
        if (!pb_path_is_file(tok)) snprintf(tok, sizeof tok, "%s/data/vocab.txt", root);
        if (!pb_path_is_file(tok))
            return PB_ERR(PB_ENOTFOUND, "%s: no vocabulary at '%s'; run `make data` to fetch the embedded default's assets",
                          t->name, tok);
        o.tokenizer = tok;
    }
    if (!o.max_seq_length) o.max_seq_length = t->seq;
    if (!o.doc_stride) o.doc_stride = t->doc_stride;
    snprintf(first, sizeof first, "%s/%s", o.data_dir, t->first_file);
    if (!pb_path_is_file(first))
        return PB_ERR(PB_ENOTFOUND, "%s: '%s' is missing; run `make data` to build the embedded suite", t->name, first);
    PB_TRY(t->open(t->loader, &o, out));
    out->name = t->name;
    return 0;
}

/* ---- the pretraining corpus ------------------------------------------------------ */

int pb_suite_corpus_build(const char *const *parts, int n_parts, const char *out_dir, long *n_train, long *n_dev) {
    pb_strbuf tr = {0}, dv = {0};
    long nt = 0, nd = 0;
    int rc = pb_path_mkdir_p(out_dir);
    for (int p = 0; rc == 0 && p < n_parts; p++) {
        pb_lines l;
        if ((rc = pb_lines_open(&l, parts[p])) < 0) break;
        char *line;
        size_t len;
        while (rc == 0 && pb_lines_next(&l, &line, &len)) {
            if (!len) continue;
            /* 2% of the lines, by a hash of their text, measure held-out MLM accuracy */
            const int dev = pb_suite_hash(line) % 1000 < 20;
            pb_strbuf *b = dev ? &dv : &tr;
            rc = pb_strbuf_add(b, line, len);
            if (rc == 0) rc = pb_strbuf_add(b, "\n", 1);
            if (dev) nd++;
            else nt++;
        }
        pb_lines_close(&l);
    }
    char path[4200];
    if (rc == 0 && (!nt || !nd)) rc = PB_ERR(PB_EINVAL, "pretraining corpus: %ld train and %ld dev lines; expected both", nt, nd);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/train.txt", out_dir);
        rc = pb_suite_write_file(path, tr.s, tr.n);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/dev.txt", out_dir);
        rc = pb_suite_write_file(path, dv.s, dv.n);
    }
    pb_strbuf_free(&tr);
    pb_strbuf_free(&dv);
    if (rc == 0) {
        if (n_train) *n_train = nt;
        if (n_dev) *n_dev = nd;
    }
    return rc;
}
