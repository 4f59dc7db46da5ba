/* The GLUE tasks from their upstream TSV files (see glue.h). */
#include "glue.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "pb_error.h"
#include "taskutil.h"
#include "tok.h"

/* One task's file layout (HF's processors): header names of the columns read
 * in the labeled files (train/dev) and in test; CoLA's labeled files have no
 * header and fixed positions (source, label, original mark, sentence). */
typedef struct {
    const char *task, *full;
    int n_labels; /* 0: regression */
    const char *labels[3];
    int headerless;
    const char *a, *b, *label; /* train/dev header names; b NULL for single sentence */
    const char *ta, *tb;       /* test header names */
} glue_spec;

enum { COLA_COLS = 4, COLA_A = 3, COLA_LABEL = 1, GLUE_MAX_FIELDS = 64 };

/* clang-format off */
static const glue_spec GLUE_SPECS[] = {
    {"cola", "glue-cola", 2, {"0", "1"}, 1, NULL, NULL, NULL, "sentence", NULL},
    {"sst2", "glue-sst2", 2, {"0", "1"}, 0, "sentence", NULL, "label", "sentence", NULL},
    {"mrpc", "glue-mrpc", 2, {"0", "1"}, 0, "#1 String", "#2 String", "Quality", "#1 String", "#2 String"},
    {"qqp", "glue-qqp", 2, {"0", "1"}, 0, "question1", "question2", "is_duplicate", "question1", "question2"},
    {"stsb", "glue-stsb", 0, {NULL}, 0, "sentence1", "sentence2", "score", "sentence1", "sentence2"},
    {"mnli", "glue-mnli", 3, {"contradiction", "entailment", "neutral"}, 0, "sentence1", "sentence2", "gold_label",
     "sentence1", "sentence2"},
    {"qnli", "glue-qnli", 2, {"entailment", "not_entailment"}, 0, "question", "sentence", "label", "question",
     "sentence"},
    {"rte", "glue-rte", 2, {"entailment", "not_entailment"}, 0, "sentence1", "sentence2", "label", "sentence1",
     "sentence2"},
    {"wnli", "glue-wnli", 2, {"0", "1"}, 0, "sentence1", "sentence2", "label", "sentence1", "sentence2"},
    /* the embedded default suite's TSV tasks (tasks/suite.h) */
    {"spam", "spam", 2, {"0", "1"}, 0, "sentence", NULL, "label", "sentence", NULL},
    {"wn-pair", "wn-pair", 3, {"hypernym", "sibling", "unrelated"}, 0, "sentence1", "sentence2", "label",
     "sentence1", "sentence2"},
};
/* clang-format on */
enum { GLUE_N_TASKS = sizeof GLUE_SPECS / sizeof GLUE_SPECS[0] };

static const glue_spec *glue_find(const char *name) {
    if (!name) return NULL;
    if (strncmp(name, "glue-", 5) == 0) name += 5;
    for (int i = 0; i < GLUE_N_TASKS; i++)
        if (strcmp(GLUE_SPECS[i].task, name) == 0) return &GLUE_SPECS[i];
    return NULL;
}

static int glue_unknown(const char *name) {
    return PB_ERR(PB_ENOTFOUND,
                  "unknown GLUE task '%s' (known: cola, sst2, mrpc, qqp, stsb, mnli, qnli, rte, wnli, each also with "
                  "the prefix glue-)",
                  name ? name : "(null)");
}

/* Index of `label` in the task's label list, or -1. */
static int glue_label_index(const glue_spec *s, const char *label) {
    for (int k = 0; k < s->n_labels; k++)
        if (strcmp(s->labels[k], label) == 0) return k;
    return -1;
}

const char *pb_glue_label_name(const char *task, int k) {
    const glue_spec *s = glue_find(task);
    return s && k >= 0 && k < s->n_labels ? s->labels[k] : NULL;
}

/* The whole of `text` as a finite number (surrounding blanks allowed). */
static int parse_finite(const char *text, double *out) {
    errno = 0;
    char *end;
    double v = strtod(text, &end);
    if (end == text) return -1;
    while (*end == ' ' || *end == '\t') end++;
    if (*end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* ---- metrics --------------------------------------------------------------- */

static void metrics_put(pb_metrics *m, const char *name, double v) {
    if (m->n >= PB_METRICS_MAX) return;
    snprintf(m->name[m->n], sizeof m->name[0], "%s", name);
    m->value[m->n++] = v;
}

/* The official metrics of spec on validated arrays. */
static void glue_score(const glue_spec *s, const double *labels, const double *preds, long n, pb_metrics *out) {
    memset(out, 0, sizeof *out);
    if (strcmp(s->task, "cola") == 0) {
        metrics_put(out, "mcc", pb_metric_mcc(labels, preds, n));
    } else if (strcmp(s->task, "stsb") == 0) {
        metrics_put(out, "pearson", pb_metric_pearson(labels, preds, n));
        metrics_put(out, "spearmanr", pb_metric_spearman(labels, preds, n));
    } else {
        metrics_put(out, "accuracy", pb_metric_accuracy(labels, preds, n));
        if (strcmp(s->task, "mrpc") == 0 || strcmp(s->task, "qqp") == 0)
            metrics_put(out, "f1", pb_metric_f1(labels, preds, n));
    }
}

static int glue_check_values(const glue_spec *s, const double *v, long n, const char *what) {
    for (long i = 0; i < n; i++) {
        if (s->n_labels == 0) {
            if (!isfinite(v[i]))
                return PB_ERR(PB_EINVAL, "glue-%s: %s[%ld] = %g is not finite", s->task, what, i, v[i]);
        } else if (!(v[i] >= 0 && v[i] < s->n_labels && v[i] == floor(v[i]))) {
            return PB_ERR(PB_EINVAL, "glue-%s: %s[%ld] = %g is not a class index in [0, %d)", s->task, what, i, v[i],
                          s->n_labels);
        }
    }
    return 0;
}

int pb_glue_metric(const char *task, const double *labels, const double *preds, long n, pb_metrics *out) {
    const glue_spec *s = glue_find(task);
    if (!s) return glue_unknown(task);
    if (n < 1) return PB_ERR(PB_EINVAL, "glue-%s: no examples to score", s->task);
    PB_TRY(glue_check_values(s, labels, n, "labels"));
    PB_TRY(glue_check_values(s, preds, n, "predictions"));
    glue_score(s, labels, preds, n, out);
    return 0;
}

/* One value per line of path: a class index, a label string or (stsb) a score. */
static int read_values(const glue_spec *s, const char *path, double **out, long *n) {
    *out = NULL;
    *n = 0;
    pb_lines l;
    PB_TRY(pb_lines_open(&l, path));
    long cap = 0;
    double *v = NULL;
    char *line;
    int rc = 0;
    while (rc == 0 && pb_lines_next(&l, &line, NULL)) {
        if (l.line == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0) line += 3;
        while (*line == ' ' || *line == '\t') line++;
        size_t k = strlen(line);
        while (k && (line[k - 1] == ' ' || line[k - 1] == '\t')) line[--k] = '\0';
        double x;
        if (!*line) {
            rc = PB_ERR(PB_EFORMAT, "%s:%ld: empty line, expected one %s", path, l.line,
                        s->n_labels ? "label" : "score");
            break;
        }
        if (s->n_labels == 0) {
            if (parse_finite(line, &x) < 0)
                rc = PB_ERR(PB_EFORMAT, "%s:%ld: '%s' is not a finite number (glue-stsb score)", path, l.line, line);
        } else {
            int idx = glue_label_index(s, line);
            if (idx < 0 && parse_finite(line, &x) == 0 && x == floor(x) && x >= 0 && x < s->n_labels) idx = (int)x;
            if (idx < 0)
                rc = PB_ERR(PB_EFORMAT,
                            "%s:%ld: '%s' is not a glue-%s label (expected a class index 0..%d or %s%s%s%s%s)", path,
                            l.line, line, s->task, s->n_labels - 1, s->labels[0], s->n_labels > 1 ? ", " : "",
                            s->n_labels > 1 ? s->labels[1] : "", s->n_labels > 2 ? ", " : "",
                            s->n_labels > 2 ? s->labels[2] : "");
            x = idx;
        }
        if (rc < 0) break;
        if (*n == cap) {
            long nc = cap ? cap * 2 : 1024;
            double *nv = realloc(v, sizeof *nv * (size_t)nc);
            if (!nv) {
                rc = PB_ERR(PB_ENOMEM, "reading '%s'", path);
                break;
            }
            v = nv;
            cap = nc;
        }
        v[(*n)++] = x;
    }
    if (rc == 0 && *n == 0) rc = PB_ERR(PB_EFORMAT, "%s:1: empty file, expected one value per line", path);
    pb_lines_close(&l);
    if (rc < 0) {
        free(v);
        *n = 0;
        return rc;
    }
    *out = v;
    return 0;
}

int pb_glue_metric_files(const char *task, const char *labels_path, const char *pred_path, pb_metrics *out) {
    const glue_spec *s = glue_find(task);
    if (!s) return glue_unknown(task);
    double *lab = NULL, *pred = NULL;
    long nl = 0, np = 0;
    int rc = read_values(s, labels_path, &lab, &nl);
    if (rc == 0) rc = read_values(s, pred_path, &pred, &np);
    if (rc == 0 && nl != np)
        rc = PB_ERR(PB_EFORMAT, "%s has %ld values but %s has %ld: %s:%ld has no counterpart", labels_path, nl,
                    pred_path, np, nl > np ? labels_path : pred_path, (nl > np ? np : nl) + 1);
    if (rc == 0) glue_score(s, lab, pred, nl, out);
    free(lab);
    free(pred);
    return rc;
}

/* ---- data source ------------------------------------------------------------ */

typedef struct {
    pb_rowstore rows;
    int32_t *labels; /* classification */
    float *labels_f; /* regression */
    long cap;
    int has_labels;
    long n_first; /* rows from the first file (MNLI dev: matched) */
} glue_split;

typedef struct {
    const glue_spec *spec;
    int seq;
    glue_split split[3];
} glue_ctx;

static void glue_free(void *ctx) {
    glue_ctx *c = ctx;
    if (!c) return;
    for (int i = 0; i < 3; i++) {
        pb_rowstore_free(&c->split[i].rows);
        free(c->split[i].labels);
        free(c->split[i].labels_f);
    }
    free(c);
}

/* Column `name` in the header fields, or -1. */
static int header_find(char **f, int nf, const char *name) {
    for (int i = 0; i < nf && i < GLUE_MAX_FIELDS; i++)
        if (strcmp(f[i], name) == 0) return i;
    return -1;
}

static int split_push_label(glue_split *sp, const glue_spec *s, int label, float score, const char *path) {
    if (sp->rows.n > sp->cap) return PB_ERR(PB_ERANGE, "%s: label store out of step", path);
    if (sp->rows.n == sp->cap) {
        long nc = sp->cap ? sp->cap * 2 : 1024;
        if (s->n_labels) {
            int32_t *nl = realloc(sp->labels, sizeof *nl * (size_t)nc);
            if (!nl) return PB_ERR(PB_ENOMEM, "labels of '%s'", path);
            sp->labels = nl;
        } else {
            float *nl = realloc(sp->labels_f, sizeof *nl * (size_t)nc);
            if (!nl) return PB_ERR(PB_ENOMEM, "labels of '%s'", path);
            sp->labels_f = nl;
        }
        sp->cap = nc;
    }
    if (s->n_labels)
        sp->labels[sp->rows.n] = label;
    else
        sp->labels_f[sp->rows.n] = score;
    return 0;
}

/* Read one upstream file into sp (appending): labeled for train/dev. */
static int glue_read_file(const glue_ctx *c, const pb_tok *tok, const char *path, int labeled, glue_split *sp) {
    const glue_spec *s = c->spec;
    pb_lines l;
    PB_TRY(pb_lines_open(&l, path));
    char *f[GLUE_MAX_FIELDS];
    int ncols, ia, ib = -1, il = -1;
    int rc = 0;
    char *line;
    const int header = !(labeled && s->headerless);
    if (!header) {
        ncols = COLA_COLS;
        ia = COLA_A;
        il = COLA_LABEL;
    } else {
        if (!pb_lines_next(&l, &line, NULL)) {
            pb_lines_close(&l);
            return PB_ERR(PB_EFORMAT, "%s:1: empty file, expected a header line and examples", path);
        }
        if (strncmp(line, "\xEF\xBB\xBF", 3) == 0) line += 3;
        ncols = pb_split_tabs(line, f, GLUE_MAX_FIELDS);
        const char *want[3] = {labeled ? s->a : s->ta, labeled ? s->b : s->tb, labeled ? s->label : NULL};
        int *idx[3] = {&ia, &ib, &il};
        for (int k = 0; k < 3; k++) {
            if (!want[k]) continue;
            *idx[k] = header_find(f, ncols, want[k]);
            if (*idx[k] < 0) {
                pb_lines_close(&l);
                return PB_ERR(PB_EFORMAT, "%s:1: the header lacks the column '%s' that %s reads", path, want[k],
                              s->full);
            }
        }
    }
    const long first = sp->rows.n;
    char msg[512];
    while (rc == 0 && pb_lines_next(&l, &line, NULL)) {
        if (l.line == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0) line += 3;
        int nf = pb_split_tabs(line, f, GLUE_MAX_FIELDS);
        if (nf != ncols) {
            rc = PB_ERR(PB_EFORMAT, "%s:%ld: %d field(s), expected %d tab-separated fields%s", path, l.line, nf, ncols,
                        nf < ncols ? " (a short or truncated row)" : "");
            break;
        }
        int label = 0;
        float score = 0;
        if (labeled) {
            if (s->n_labels) {
                label = glue_label_index(s, f[il]);
                if (label < 0) {
                    rc = PB_ERR(PB_EFORMAT, "%s:%ld: label '%s' is not one of %s's labels (%s%s%s%s%s)", path, l.line,
                                f[il], s->full, s->labels[0], s->n_labels > 1 ? ", " : "",
                                s->n_labels > 1 ? s->labels[1] : "", s->n_labels > 2 ? ", " : "",
                                s->n_labels > 2 ? s->labels[2] : "");
                    break;
                }
            } else {
                double v;
                if (parse_finite(f[il], &v) < 0) {
                    rc = PB_ERR(PB_EFORMAT, "%s:%ld: score '%s' is not a finite number", path, l.line, f[il]);
                    break;
                }
                score = (float)v;
            }
        }
        pb_encoding e;
        rc = pb_tok_encode_pair(tok, f[ia], ib >= 0 ? f[ib] : NULL, c->seq, PB_TRUNC_LONGEST_FIRST, &e);
        if (rc < 0) {
            snprintf(msg, sizeof msg, "%s", pb_error_msg());
            rc = PB_ERR(rc, "%s:%ld: %s", path, l.line, msg);
            break;
        }
        /* the label goes into slot rows.n, the row about to be pushed */
        rc = split_push_label(sp, s, label, score, path);
        if (rc == 0) rc = pb_rowstore_push(&sp->rows, &e);
        pb_encoding_free(&e);
    }
    if (rc == 0 && sp->rows.n == first)
        rc = PB_ERR(PB_EFORMAT, "%s:%ld: no examples%s", path, l.line + 1,
                    header ? " after the header" : " (empty file)");
    pb_lines_close(&l);
    return rc;
}

/* One split from its files (MNLI: two); a missing file is an error when required. */
static int glue_load_split(glue_ctx *c, const pb_tok *tok, const char *dir, int split, const char *const *names,
                           int n_names, int required) {
    glue_split *sp = &c->split[split];
    pb_rowstore_init(&sp->rows, c->seq, pb_tok_template(tok)->pad);
    sp->has_labels = split != PB_SPLIT_TEST;
    char path[4096];
    for (int i = 0; i < n_names; i++) {
        PB_TRY(pb_path_join(path, sizeof path, dir, names[i]));
        if (!pb_path_is_file(path)) {
            if (required)
                return PB_ERR(PB_EIO, "%s: missing file '%s' (%s split)", c->spec->full, path,
                              split == PB_SPLIT_TRAIN ? "train" : "dev");
            continue;
        }
        PB_TRY(glue_read_file(c, tok, path, sp->has_labels, sp));
        if (i == 0) sp->n_first = sp->rows.n;
    }
    return 0;
}

static long glue_count(void *ctx, int split) {
    const glue_ctx *c = ctx;
    return split >= 0 && split < 3 ? c->split[split].rows.n : 0;
}

static int glue_fill(void *ctx, int split, const long *idx, int n, pb_batch_buf *bb) {
    const glue_ctx *c = ctx;
    if (split < 0 || split > 2) return PB_ERR(PB_EINVAL, "%s: no split %d", c->spec->full, split);
    if (n > bb->cap_rows || c->seq > bb->cap_seq)
        return PB_ERR(PB_ERANGE, "%s: %d examples of %d tokens exceed the batch buffer %d x %d", c->spec->full, n,
                      c->seq, bb->cap_rows, bb->cap_seq);
    const glue_split *sp = &c->split[split];
    for (int r = 0; r < n; r++) {
        if (idx[r] < 0 || idx[r] >= sp->rows.n)
            return PB_ERR(PB_ERANGE, "%s: example %ld outside split %d of %ld", c->spec->full, idx[r], split,
                          sp->rows.n);
        const size_t o = (size_t)r * (size_t)c->seq;
        pb_rowstore_fill_row(&sp->rows, idx[r], bb->input_ids + o, bb->attention_mask + o, bb->token_type_ids + o);
        if (c->spec->n_labels)
            bb->labels[r] = sp->has_labels ? sp->labels[idx[r]] : 0;
        else
            bb->labels_f[r] = sp->has_labels ? sp->labels_f[idx[r]] : 0.0f;
    }
    const int cls = c->spec->n_labels > 0;
    pb_batch b = {n,
                  1,
                  c->seq,
                  bb->input_ids,
                  bb->attention_mask,
                  bb->token_type_ids,
                  cls ? bb->labels : NULL,
                  cls ? NULL : bb->labels_f,
                  NULL,
                  NULL};
    bb->b = b;
    return 0;
}

static int glue_evaluate(void *ctx, int split, const float *logits, pb_metrics *out) {
    const glue_ctx *c = ctx;
    const glue_spec *s = c->spec;
    if (split < 0 || split > 2) return PB_ERR(PB_EINVAL, "%s: no split %d", s->full, split);
    const glue_split *sp = &c->split[split];
    const long n = sp->rows.n;
    if (!sp->has_labels) return PB_ERR(PB_EINVAL, "%s: the test split has no labels to score", s->full);
    if (n == 0) return PB_ERR(PB_EINVAL, "%s: split %d has no examples to score", s->full, split);
    double *lab = malloc(sizeof(double) * 2 * (size_t)n);
    if (!lab) return PB_ERR(PB_ENOMEM, "%s: scoring %ld examples", s->full, n);
    double *pred = lab + n;
    for (long i = 0; i < n; i++) {
        if (s->n_labels) {
            lab[i] = sp->labels[i];
            pred[i] = pb_argmax(logits + (size_t)i * (size_t)s->n_labels, s->n_labels);
        } else {
            lab[i] = sp->labels_f[i];
            pred[i] = logits[i];
        }
    }
    if (strcmp(s->task, "mnli") == 0 && split == PB_SPLIT_DEV) {
        /* the official MNLI numbers: matched and mismatched separately */
        memset(out, 0, sizeof *out);
        metrics_put(out, "accuracy_m", pb_metric_accuracy(lab, pred, sp->n_first));
        metrics_put(out, "accuracy_mm", pb_metric_accuracy(lab + sp->n_first, pred + sp->n_first, n - sp->n_first));
    } else {
        glue_score(s, lab, pred, n, out);
    }
    free(lab);
    return 0;
}

int pb_task_glue_open(const char *name, const pb_task_opts *opts, pb_data_source *out) {
    const glue_spec *s = glue_find(name);
    /* GLUE tasks open by their full name; the suite's rows by their own */
    if (!s || strcmp(name, s->full) != 0) return glue_unknown(name);
    if (!opts || !opts->data_dir)
        return PB_ERR(PB_EINVAL, "%s: no data_dir (the folder of the GLUE TSV files)", s->full);
    if (!opts->tokenizer)
        return PB_ERR(PB_EINVAL, "%s: no tokenizer (a vocab.txt, tokenizer.json or model folder)", s->full);
    const int seq = opts->max_seq_length ? opts->max_seq_length : PB_GLUE_DEFAULT_SEQ;
    if (seq < 4 || seq > 65536) return PB_ERR(PB_EINVAL, "%s: max_seq_length %d outside [4, 65536]", s->full, seq);
    if (!pb_path_is_dir(opts->data_dir))
        return PB_ERR(PB_EIO, "%s: data_dir '%s' is not a folder", s->full, opts->data_dir);
    pb_tok *tok = NULL;
    PB_TRY(pb_tok_load(&tok, opts->tokenizer));
    glue_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        pb_tok_free(tok);
        return PB_ERR(PB_ENOMEM, "%s", s->full);
    }
    c->spec = s;
    c->seq = seq;
    const int mnli = strcmp(s->task, "mnli") == 0;
    static const char *const train[] = {"train.tsv"}, *const dev[] = {"dev.tsv"}, *const test[] = {"test.tsv"};
    static const char *const mdev[] = {"dev_matched.tsv", "dev_mismatched.tsv"}, *const mtest[] = {
                                                                                     "test_matched.tsv",
                                                                                     "test_mismatched.tsv"};
    int rc = glue_load_split(c, tok, opts->data_dir, PB_SPLIT_TRAIN, train, 1, 1);
    if (rc == 0) rc = glue_load_split(c, tok, opts->data_dir, PB_SPLIT_DEV, mnli ? mdev : dev, mnli ? 2 : 1, 1);
    if (rc == 0) rc = glue_load_split(c, tok, opts->data_dir, PB_SPLIT_TEST, mnli ? mtest : test, mnli ? 2 : 1, 0);
    const int32_t vocab = pb_tok_vocab_size(tok);
    pb_tok_free(tok);
    if (rc < 0) {
        glue_free(c);
        return rc;
    }
    memset(out, 0, sizeof *out);
    out->ctx = c;
    out->name = s->full;
    out->head = s->n_labels ? PB_HEAD_CLS : PB_HEAD_REG;
    out->num_labels = s->n_labels ? s->n_labels : 1;
    out->choices = 1;
    out->seq = seq;
    out->vocab_size = vocab;
    out->count = glue_count;
    out->fill = glue_fill;
    out->evaluate = glue_evaluate;
    out->free = glue_free;
    return 0;
}
