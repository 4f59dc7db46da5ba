/* SMC-Bench multiple-choice tasks (see mc.h): CommonsenseQA, WinoGrande and
 * RACE, featurized at open time; an example is `choices` consecutive rows,
 * each the tokenizer's pair template around (segment A, segment B) with
 * Hugging Face's longest_first truncation, padded to the task's length on
 * fill. Segment A is tokenized and stored once per example (once per file for
 * RACE, whose article is shared by all its questions): rows keep only their
 * truncated lengths, so RACE costs its articles once instead of about
 * 4 x questions x 512 tokens.
 *
 * Featurization, following each task's reference fine-tuning code:
 *   - CommonsenseQA: (question.stem, choice text), as the dataset authors'
 *     BERT baseline and Hugging Face's multiple-choice examples pair a
 *     question with each answer; label = index of answerKey among the
 *     choices' labels.
 *   - WinoGrande: the authors' WinograndeProcessor (allenai/winogrande,
 *     scripts/utils.py): with i the position of the "_", A = sentence[:i]
 *     (not stripped) and B = option + " " + sentence[i+1:].strip(); label =
 *     answer "1" / "2" minus one. Python's strip() removes Unicode
 *     whitespace; here ASCII whitespace (" \t\n\v\f\r") is stripped.
 *   - RACE: Hugging Face's utils_multiple_choice.py (RaceProcessor and
 *     convert_examples_to_features): A = article; B = question with every
 *     "_" replaced by the option when the question has a "_" (cloze), else
 *     question + " " + option; label = answer letter - 'A'.
 *
 * Reading: JSONL files one object per line (a UTF-8 byte-order mark on the
 * first line is skipped, as the authors read with utf-8-sig; lines of only
 * whitespace are skipped); RACE one JSON object per .txt file. Errors name
 * the file and line (JSONL) or the file (RACE), the key, and what was
 * expected. */
#include "mc.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pb_error.h"
#include "taskutil.h"
#include "tok.h"

enum { MC_SEQ_MIN = 8, MC_SEQ_MAX = 8192, MC_WHERE = 4200 };

static const char *const SPLIT_NAME[3] = {"train", "dev", "test"};

/* One row: the template around A = tok[a, a + na) and B = tok[b, b + nb),
 * both already truncated (prefixes, as Hugging Face truncates from the end). */
typedef struct {
    size_t a, b;
    int32_t na, nb;
} mc_row;

/* A split's examples: rows point into one token pool where each A segment is
 * stored once (RACE's article once per file, shared by all its questions and
 * options) and each B segment once, so an example costs its tokens, not
 * choices x seq. */
typedef struct {
    int32_t *tok;
    size_t n_tok, cap_tok;
    mc_row *rows; /* [n * choices] */
    long n_rows, cap_rows;
    int32_t *labels; /* [n]; -1 where unlabelled */
    long n, cap;
} mc_split;

typedef struct {
    char name[32];
    int choices, seq;
    pb_pair_template tpl;
    const pb_tok *tok; /* during open only */
    mc_split sp[3];
    int labelled[3];
    char src[3][256]; /* what each split was read from, for messages */
} mc_ctx;

/* ---- the data source ------------------------------------------------------ */

static long mc_count(void *ctx, int split) {
    const mc_ctx *c = ctx;
    return split >= 0 && split < 3 ? c->sp[split].n : 0;
}

/* The template of pb_encoding_build around a stored row, padded to seq. */
static void mc_assemble(const mc_ctx *c, const mc_split *sp, const mc_row *w, int32_t *ids, int32_t *mask,
                        int32_t *types) {
    const pb_pair_template *t = &c->tpl;
    int p = 0;
#define MC_PUT(id, type) (ids[p] = (id), types[p] = (type), mask[p] = 1, p++)
    MC_PUT(t->first, 0);
    for (int32_t i = 0; i < w->na; i++) MC_PUT(sp->tok[w->a + (size_t)i], 0);
    for (int i = 0; i < t->n_after_a; i++) MC_PUT(t->after_a[i], 0);
    for (int i = 0; i < t->n_between; i++) MC_PUT(t->between[i], t->type_b);
    for (int32_t i = 0; i < w->nb; i++) MC_PUT(sp->tok[w->b + (size_t)i], t->type_b);
    for (int i = 0; i < t->n_after_b; i++) MC_PUT(t->after_b[i], t->type_b);
#undef MC_PUT
    for (; p < c->seq; p++) ids[p] = t->pad, types[p] = 0, mask[p] = 0;
}

static int mc_fill(void *ctx, int split, const long *idx, int n, pb_batch_buf *bb) {
    const mc_ctx *c = ctx;
    if (split < 0 || split > 2) return PB_ERR(PB_EINVAL, "%s: split %d unknown", c->name, split);
    if ((long)n * c->choices > bb->cap_rows || c->seq > bb->cap_seq)
        return PB_ERR(PB_ERANGE, "%s: %d examples of %d rows x %d tokens exceed the batch buffer %d x %d", c->name, n,
                      c->choices, c->seq, bb->cap_rows, bb->cap_seq);
    const mc_split *sp = &c->sp[split];
    const size_t S = (size_t)c->seq;
    for (int r = 0; r < n; r++) {
        if (idx[r] < 0 || idx[r] >= sp->n)
            return PB_ERR(PB_ERANGE, "%s: example %ld outside the %s split of %ld", c->name, idx[r], SPLIT_NAME[split],
                          sp->n);
        for (int k = 0; k < c->choices; k++) {
            const size_t o = ((size_t)r * (size_t)c->choices + (size_t)k) * S;
            mc_assemble(c, sp, &sp->rows[idx[r] * c->choices + k], bb->input_ids + o, bb->attention_mask + o,
                        bb->token_type_ids + o);
        }
        bb->labels[r] = sp->labels[idx[r]];
    }
    const int32_t *labels = c->labelled[split] ? bb->labels : NULL; /* unlabelled splits: predict only */
    pb_batch b = {n,      c->choices, c->seq, bb->input_ids, bb->attention_mask, bb->token_type_ids,
                  labels, NULL,       NULL,   NULL};
    bb->b = b;
    return 0;
}

static int mc_evaluate(void *ctx, int split, const float *logits, pb_metrics *out) {
    const mc_ctx *c = ctx;
    if (split < 0 || split > 2) return PB_ERR(PB_EINVAL, "%s: split %d unknown", c->name, split);
    const mc_split *sp = &c->sp[split];
    if (sp->n == 0) return PB_ERR(PB_EINVAL, "%s: the %s split has no examples", c->name, SPLIT_NAME[split]);
    if (!c->labelled[split])
        return PB_ERR(PB_EINVAL, "%s: the %s split (%s) has no labels", c->name, SPLIT_NAME[split], c->src[split]);
    long correct = 0;
    for (long i = 0; i < sp->n; i++)
        correct += pb_argmax(logits + (size_t)i * (size_t)c->choices, c->choices) == sp->labels[i];
    memset(out, 0, sizeof *out);
    out->n = 1;
    strcpy(out->name[0], "accuracy");
    out->value[0] = 100.0 * (double)correct / (double)sp->n;
    return 0;
}

static void mc_free(void *ctx) {
    mc_ctx *c = ctx;
    if (!c) return;
    for (int s = 0; s < 3; s++) {
        free(c->sp[s].tok);
        free(c->sp[s].rows);
        free(c->sp[s].labels);
    }
    free(c);
}

/* ---- featurization ---------------------------------------------------------- */

static int mc_push_label(mc_ctx *c, int split, int32_t label) {
    mc_split *sp = &c->sp[split];
    if (sp->n == sp->cap) {
        long nc = sp->cap ? 2 * sp->cap : 1024;
        int32_t *nl = realloc(sp->labels, sizeof *nl * (size_t)nc);
        if (!nl) return PB_ERR(PB_ENOMEM, "%s: labels of %ld examples", c->name, nc);
        sp->labels = nl;
        sp->cap = nc;
    }
    sp->labels[sp->n++] = label;
    return 0;
}

/* Append ids[0, n) to the split's token pool; *off = where they start. */
static int mc_push_tokens(mc_ctx *c, int split, const int32_t *ids, size_t n, size_t *off) {
    mc_split *sp = &c->sp[split];
    if (sp->n_tok + n > sp->cap_tok) {
        size_t nc = sp->cap_tok ? 2 * sp->cap_tok : 65536;
        while (nc < sp->n_tok + n) nc *= 2;
        int32_t *nt = realloc(sp->tok, sizeof *nt * nc);
        if (!nt) return PB_ERR(PB_ENOMEM, "%s: %zu tokens", c->name, nc);
        sp->tok = nt;
        sp->cap_tok = nc;
    }
    if (n) memcpy(sp->tok + sp->n_tok, ids, sizeof *ids * n);
    *off = sp->n_tok;
    sp->n_tok += n;
    return 0;
}

/* One row: A = the pool's [a, a + na) (pushed before), B = b_text tokenized;
 * truncated as pb_encoding_build's longest_first (one token at a time from
 * the longer, ties from B) so that the template fits seq. */
static int mc_add_row(mc_ctx *c, int split, size_t a, size_t na, const char *b_text, size_t b_len) {
    int32_t *b = NULL;
    size_t nb = 0;
    PB_TRY(pb_tok_encode(c->tok, b_text, b_len, &b, &nb, NULL));
    const pb_pair_template *t = &c->tpl;
    const size_t n_special = 1 + (size_t)(t->n_after_a + t->n_between + t->n_after_b), S = (size_t)c->seq;
    if (na + nb + n_special > S) {
        for (size_t remove = na + nb + n_special - S; remove > 0; remove--) {
            if (na > nb)
                na--;
            else
                nb--;
        }
    }
    mc_row w = {a, 0, (int32_t)na, (int32_t)nb};
    int rc = mc_push_tokens(c, split, b, nb, &w.b);
    free(b);
    mc_split *sp = &c->sp[split];
    if (rc == 0 && sp->n_rows == sp->cap_rows) {
        long nc = sp->cap_rows ? 2 * sp->cap_rows : 4096;
        mc_row *nr = realloc(sp->rows, sizeof *nr * (size_t)nc);
        if (!nr)
            rc = PB_ERR(PB_ENOMEM, "%s: %ld rows", c->name, nc);
        else {
            sp->rows = nr;
            sp->cap_rows = nc;
        }
    }
    if (rc == 0) sp->rows[sp->n_rows++] = w;
    return rc;
}

/* Rows (A, B_k) for k < choices; A is tokenized and stored once. */
static int mc_add_example(mc_ctx *c, int split, const char *a_text, size_t a_len, const char *const *b_text,
                          const size_t *b_len) {
    int32_t *a = NULL;
    size_t na = 0, off = 0;
    PB_TRY(pb_tok_encode(c->tok, a_text, a_len, &a, &na, NULL));
    int rc = mc_push_tokens(c, split, a, na, &off);
    free(a);
    for (int k = 0; rc == 0 && k < c->choices; k++) rc = mc_add_row(c, split, off, na, b_text[k], b_len[k]);
    return rc;
}

/* A string member of obj, with its length; NULL when absent or not a string. */
static const char *jstr(const json_t *obj, const char *key, size_t *len) {
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) return NULL;
    if (len) *len = json_string_length(v);
    return json_string_value(v);
}

/* Validate one JSONL record and add its rows; *label = answer index, or -1
 * when the record has no answer. */
typedef int (*mc_record_fn)(mc_ctx *c, int split, const json_t *rec, const char *where, int32_t *label);

static int is_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n\v\f", s[i])) return 0;
    return 1;
}

static void set_src(mc_ctx *c, int split, const char *what) {
    snprintf(c->src[split], sizeof c->src[split], "%s", what);
}

static int mc_read_jsonl(mc_ctx *c, int split, const char *path, mc_record_fn fn, const char *answer_key) {
    pb_lines l;
    PB_TRY(pb_lines_open(&l, path));
    char *line, where[MC_WHERE];
    size_t len;
    long records = 0, first_line = 0;
    int rc = 0;
    while (rc == 0 && pb_lines_next(&l, &line, &len)) {
        if (l.line == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) line += 3, len -= 3;
        if (is_blank(line, len)) continue;
        snprintf(where, sizeof where, "%s:%ld", path, l.line);
        json_t *rec;
        rc = pb_json_line(path, l.line, line, len, &rec);
        if (rc < 0) break;
        int32_t label = -1;
        if (!json_is_object(rec))
            rc = PB_ERR(PB_EFORMAT, "%s: expected a JSON object", where);
        else
            rc = fn(c, split, rec, where, &label);
        json_decref(rec);
        if (rc < 0) break;
        const int has = label >= 0;
        if (!has && split != PB_SPLIT_TEST)
            rc = PB_ERR(PB_EFORMAT, "%s: missing \"%s\"; the %s split needs answers", where, answer_key,
                        SPLIT_NAME[split]);
        else if (records == 0) {
            c->labelled[split] = has;
            first_line = l.line;
        } else if (has != c->labelled[split])
            rc = PB_ERR(PB_EFORMAT, "%s: %s \"%s\" but line %ld %s; expected all or none", where, has ? "has" : "lacks",
                        answer_key, first_line, has ? "lacks it" : "has it");
        if (rc == 0) rc = mc_push_label(c, split, label);
        records++;
    }
    if (rc == 0 && records == 0) rc = PB_ERR(PB_EFORMAT, "%s: empty file; expected one JSON object per line", path);
    pb_lines_close(&l);
    if (rc == 0) {
        const char *base = strrchr(path, '/');
        set_src(c, split, base ? base + 1 : path);
    }
    return rc;
}

/* ---- opening ---------------------------------------------------------------- */

static int mc_create(const char *name, const pb_task_opts *opts, int choices, int def_seq, mc_ctx **out, pb_tok **tok) {
    *out = NULL;
    *tok = NULL;
    if (!opts || !opts->data_dir) return PB_ERR(PB_EINVAL, "%s: data_dir is not set", name);
    if (!opts->tokenizer) return PB_ERR(PB_EINVAL, "%s: tokenizer is not set", name);
    const int seq = opts->max_seq_length ? opts->max_seq_length : def_seq;
    if (seq < MC_SEQ_MIN || seq > MC_SEQ_MAX)
        return PB_ERR(PB_EINVAL, "%s: max_seq_length %d outside [%d, %d]", name, seq, MC_SEQ_MIN, MC_SEQ_MAX);
    if (!pb_path_is_dir(opts->data_dir))
        return PB_ERR(PB_ENOTFOUND, "%s: data_dir '%s' is not a folder", name, opts->data_dir);
    PB_TRY(pb_tok_load(tok, opts->tokenizer));
    mc_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        pb_tok_free(*tok);
        *tok = NULL;
        return PB_ERR(PB_ENOMEM, "%s task", name);
    }
    snprintf(c->name, sizeof c->name, "%s", name);
    c->choices = choices;
    c->seq = seq;
    c->tok = *tok;
    c->tpl = *pb_tok_template(*tok);
    *out = c;
    return 0;
}

/* Hand c to out on success; free everything on failure. */
static int mc_finish(int rc, mc_ctx *c, pb_tok *tok, pb_data_source *out) {
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        out->ctx = c;
        out->name = c->name;
        out->head = PB_HEAD_MC;
        out->num_labels = c->choices;
        out->choices = c->choices;
        out->seq = c->seq;
        out->vocab_size = pb_tok_vocab_size(tok);
        out->count = mc_count;
        out->fill = mc_fill;
        out->evaluate = mc_evaluate;
        out->free = mc_free;
        c->tok = NULL;
    } else
        mc_free(c);
    pb_tok_free(tok);
    return rc;
}

/* ---- CommonsenseQA ------------------------------------------------------------ */

enum { CSQA_CHOICES = 5 };

static int csqa_record(mc_ctx *c, int split, const json_t *rec, const char *where, int32_t *label) {
    json_t *q = json_object_get(rec, "question");
    if (!json_is_object(q)) return PB_ERR(PB_EFORMAT, "%s: missing object \"question\"", where);
    size_t stem_len;
    const char *stem = jstr(q, "stem", &stem_len);
    if (!stem) return PB_ERR(PB_EFORMAT, "%s: missing string \"question.stem\"", where);
    json_t *ch = json_object_get(q, "choices");
    if (!json_is_array(ch)) return PB_ERR(PB_EFORMAT, "%s: missing array \"question.choices\"", where);
    if (json_array_size(ch) != CSQA_CHOICES)
        return PB_ERR(PB_EFORMAT, "%s: \"question.choices\" has %zu entries; expected %d", where, json_array_size(ch),
                      CSQA_CHOICES);
    const char *lab[CSQA_CHOICES], *text[CSQA_CHOICES];
    size_t text_len[CSQA_CHOICES];
    for (int k = 0; k < CSQA_CHOICES; k++) {
        json_t *e = json_array_get(ch, (size_t)k);
        lab[k] = jstr(e, "label", NULL);
        text[k] = jstr(e, "text", &text_len[k]);
        if (!lab[k] || !text[k])
            return PB_ERR(PB_EFORMAT, "%s: \"question.choices[%d]\" needs strings \"label\" and \"text\"", where, k);
    }
    *label = -1;
    json_t *ak = json_object_get(rec, "answerKey");
    /* the upstream test file has no answerKey; Hugging Face's copy has "" */
    if (ak && !(json_is_string(ak) && json_string_length(ak) == 0)) {
        const char *a = json_string_value(ak);
        if (!a) return PB_ERR(PB_EFORMAT, "%s: \"answerKey\" is not a string", where);
        for (int k = 0; k < CSQA_CHOICES && *label < 0; k++)
            if (strcmp(a, lab[k]) == 0) *label = k;
        if (*label < 0)
            return PB_ERR(PB_EFORMAT, "%s: answerKey \"%s\" is not one of the choice labels %s, %s, %s, %s, %s", where,
                          a, lab[0], lab[1], lab[2], lab[3], lab[4]);
    }
    return mc_add_example(c, split, stem, stem_len, text, text_len);
}

int pb_task_csqa_open(const char *name, const pb_task_opts *opts, pb_data_source *out) {
    static const char *const FILES[3] = {"train_rand_split.jsonl", "dev_rand_split.jsonl",
                                         "test_rand_split_no_answers.jsonl"};
    mc_ctx *c;
    pb_tok *tok;
    PB_TRY(mc_create(name ? name : "commonsenseqa", opts, CSQA_CHOICES, 128, &c, &tok));
    int rc = 0;
    char path[4096];
    for (int s = 0; rc == 0 && s < 3; s++) {
        rc = pb_path_join(path, sizeof path, opts->data_dir, FILES[s]);
        if (rc < 0) break;
        if (s == PB_SPLIT_TEST && !pb_path_is_file(path)) continue;
        if (!pb_path_is_file(path))
            rc = PB_ERR(PB_ENOTFOUND, "%s: missing file '%s'; expected CommonsenseQA's %s", c->name, path, FILES[s]);
        else
            rc = mc_read_jsonl(c, s, path, csqa_record, "answerKey");
    }
    return mc_finish(rc, c, tok, out);
}

/* ---- WinoGrande --------------------------------------------------------------- */

static int wino_record(mc_ctx *c, int split, const json_t *rec, const char *where, int32_t *label) {
    size_t n, len[2];
    const char *s = jstr(rec, "sentence", &n);
    if (!s) return PB_ERR(PB_EFORMAT, "%s: missing string \"sentence\"", where);
    const char *opt[2] = {jstr(rec, "option1", &len[0]), jstr(rec, "option2", &len[1])};
    for (int k = 0; k < 2; k++)
        if (!opt[k]) return PB_ERR(PB_EFORMAT, "%s: missing string \"option%d\"", where, k + 1);
    size_t blank = n, blanks = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '_') {
            if (!blanks++) blank = i;
        }
    if (blanks != 1)
        return PB_ERR(PB_EFORMAT, "%s: \"sentence\" has %zu \"_\"; expected exactly one blank", where, blanks);
    *label = -1;
    json_t *an = json_object_get(rec, "answer");
    /* test.jsonl has no "answer"; Hugging Face's copy of it has "" */
    if (an && !(json_is_string(an) && json_string_length(an) == 0)) {
        const char *a = json_string_value(an);
        if (!a || (strcmp(a, "1") != 0 && strcmp(a, "2") != 0))
            return PB_ERR(PB_EFORMAT, "%s: \"answer\" is %s%s%s; expected \"1\" or \"2\"", where, a ? "\"" : "",
                          a ? a : "not a string", a ? "\"" : "");
        *label = a[0] - '1';
    }
    /* B = option + " " + sentence[blank+1:].strip() */
    const char *rest = s + blank + 1, *end = s + n;
    while (rest < end && strchr(" \t\n\v\f\r", *rest) && *rest) rest++;
    while (end > rest && strchr(" \t\n\v\f\r", end[-1]) && end[-1]) end--;
    const size_t rest_len = (size_t)(end - rest);
    char *b[2] = {NULL, NULL};
    size_t b_len[2];
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        b_len[k] = len[k] + 1 + rest_len;
        b[k] = malloc(b_len[k] + 1);
        if (!b[k]) {
            rc = PB_ERR(PB_ENOMEM, "%s: option text", where);
            break;
        }
        memcpy(b[k], opt[k], len[k]);
        b[k][len[k]] = ' ';
        memcpy(b[k] + len[k] + 1, rest, rest_len);
        b[k][b_len[k]] = '\0';
    }
    if (rc == 0) rc = mc_add_example(c, split, s, blank, (const char *const *)b, b_len);
    free(b[0]);
    free(b[1]);
    return rc;
}

int pb_task_winogrande_open(const char *name, const pb_task_opts *opts, pb_data_source *out) {
    /* the largest training size present; train.jsonl is the name the authors' script reads */
    static const char *const TRAIN[] = {"train_xl.jsonl", "train_l.jsonl",  "train_m.jsonl",
                                        "train_s.jsonl",  "train_xs.jsonl", "train.jsonl"};
    static const char *const FILES[3] = {NULL, "dev.jsonl", "test.jsonl"};
    mc_ctx *c;
    pb_tok *tok;
    PB_TRY(mc_create(name ? name : "winogrande", opts, 2, 128, &c, &tok));
    int rc = 0;
    char path[4096];
    for (int s = 0; rc == 0 && s < 3; s++) {
        if (s == PB_SPLIT_TRAIN) {
            int found = 0;
            for (size_t i = 0; rc == 0 && !found && i < sizeof TRAIN / sizeof *TRAIN; i++) {
                rc = pb_path_join(path, sizeof path, opts->data_dir, TRAIN[i]);
                found = rc == 0 && pb_path_is_file(path);
            }
            if (rc == 0 && !found)
                rc = PB_ERR(PB_ENOTFOUND,
                            "%s: no training file in '%s'; expected one of train_xl.jsonl, train_l.jsonl, "
                            "train_m.jsonl, train_s.jsonl, train_xs.jsonl, train.jsonl",
                            c->name, opts->data_dir);
        } else {
            rc = pb_path_join(path, sizeof path, opts->data_dir, FILES[s]);
            if (rc == 0 && s == PB_SPLIT_TEST && !pb_path_is_file(path)) continue;
            if (rc == 0 && !pb_path_is_file(path))
                rc = PB_ERR(PB_ENOTFOUND, "%s: missing file '%s'; expected WinoGrande's %s", c->name, path, FILES[s]);
        }
        if (rc == 0) rc = mc_read_jsonl(c, s, path, wino_record, "answer");
    }
    return mc_finish(rc, c, tok, out);
}

/* ---- RACE ----------------------------------------------------------------------- */

enum { RACE_OPTIONS = 4 };

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* The *.txt regular files of dir, sorted bytewise so the order never depends on readdir. */
static int race_list(const char *dir, char ***out, size_t *n_out) {
    *out = NULL;
    *n_out = 0;
    DIR *d = opendir(dir);
    if (!d) return PB_ERR(PB_ENOTFOUND, "race: cannot open folder '%s'", dir);
    char **names = NULL, path[4096];
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        const size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 4, ".txt") != 0) continue;
        rc = pb_path_join(path, sizeof path, dir, e->d_name);
        if (rc < 0 || !pb_path_is_file(path)) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            char **nn = realloc(names, sizeof *nn * cap);
            if (!nn) {
                rc = PB_ERR(PB_ENOMEM, "race: file list of '%s'", dir);
                break;
            }
            names = nn;
        }
        names[n] = strdup(e->d_name);
        if (!names[n])
            rc = PB_ERR(PB_ENOMEM, "race: file list of '%s'", dir);
        else
            n++;
    }
    closedir(d);
    if (rc == 0 && n == 0) rc = PB_ERR(PB_EFORMAT, "race: folder '%s' has no .txt files", dir);
    if (rc < 0) {
        free_names(names, n);
        return rc;
    }
    qsort(names, n, sizeof *names, cmp_str);
    *out = names;
    *n_out = n;
    return 0;
}

/* B of RACE: question with each "_" replaced by the option (cloze), else question + " " + option. */
static char *race_second(const char *q, size_t q_len, const char *o, size_t o_len, size_t *len) {
    size_t blanks = 0;
    for (size_t i = 0; i < q_len; i++) blanks += q[i] == '_';
    const size_t n = blanks ? q_len - blanks + blanks * o_len : q_len + 1 + o_len;
    char *b = malloc(n + 1), *p = b;
    if (!b) return NULL;
    if (blanks) {
        for (size_t i = 0; i < q_len; i++) {
            if (q[i] == '_') {
                memcpy(p, o, o_len);
                p += o_len;
            } else
                *p++ = q[i];
        }
    } else {
        memcpy(p, q, q_len);
        p += q_len;
        *p++ = ' ';
        memcpy(p, o, o_len);
        p += o_len;
    }
    *p = '\0';
    *len = n;
    return b;
}

static int race_file(mc_ctx *c, int split, const char *path) {
    struct stat st;
    if (stat(path, &st) == 0 && st.st_size == 0)
        return PB_ERR(PB_EFORMAT, "%s: empty file; expected one RACE JSON object", path);
    json_t *root;
    PB_TRY(pb_json_load(path, &root));
    int rc = 0;
    size_t art_len = 0;
    const char *art = jstr(root, "article", &art_len);
    json_t *qs = json_object_get(root, "questions"), *os = json_object_get(root, "options"),
           *as = json_object_get(root, "answers");
    if (!json_is_object(root))
        rc = PB_ERR(PB_EFORMAT, "%s: expected a JSON object", path);
    else if (!art)
        rc = PB_ERR(PB_EFORMAT, "%s: missing string \"article\"", path);
    else if (!json_is_array(qs))
        rc = PB_ERR(PB_EFORMAT, "%s: missing array \"questions\"", path);
    else if (!json_is_array(os))
        rc = PB_ERR(PB_EFORMAT, "%s: missing array \"options\"", path);
    else if (!json_is_array(as))
        rc = PB_ERR(PB_EFORMAT, "%s: missing array \"answers\"", path);
    else if (json_array_size(os) != json_array_size(qs) || json_array_size(as) != json_array_size(qs))
        rc = PB_ERR(PB_EFORMAT, "%s: %zu questions, %zu options lists and %zu answers; expected equal counts", path,
                    json_array_size(qs), json_array_size(os), json_array_size(as));
    const size_t nq = rc == 0 ? json_array_size(qs) : 0;
    /* validate the whole file before featurizing it */
    for (size_t i = 0; rc == 0 && i < nq; i++) {
        json_t *o = json_array_get(os, i);
        const char *a = json_string_value(json_array_get(as, i));
        if (!json_is_string(json_array_get(qs, i)))
            rc = PB_ERR(PB_EFORMAT, "%s: \"questions[%zu]\" is not a string", path, i);
        else if (!json_is_array(o) || json_array_size(o) != RACE_OPTIONS)
            rc = PB_ERR(PB_EFORMAT, "%s: \"options[%zu]\" has %zu entries; expected %d strings", path, i,
                        json_is_array(o) ? json_array_size(o) : 0, RACE_OPTIONS);
        else if (!a || strlen(a) != 1 || a[0] < 'A' || a[0] >= 'A' + RACE_OPTIONS)
            rc = PB_ERR(PB_EFORMAT, "%s: \"answers[%zu]\" is %s%s%s; expected \"A\", \"B\", \"C\" or \"D\"", path, i,
                        a ? "\"" : "", a ? a : "not a string", a ? "\"" : "");
        for (size_t k = 0; rc == 0 && k < RACE_OPTIONS; k++)
            if (!json_is_string(json_array_get(o, k)))
                rc = PB_ERR(PB_EFORMAT, "%s: \"options[%zu][%zu]\" is not a string", path, i, k);
    }
    /* the article is tokenized and stored once for all its questions and options */
    int32_t *a_ids = NULL;
    size_t na = 0, a_off = 0;
    if (rc == 0 && nq) rc = pb_tok_encode(c->tok, art, art_len, &a_ids, &na, NULL);
    if (rc == 0 && nq) rc = mc_push_tokens(c, split, a_ids, na, &a_off);
    free(a_ids);
    for (size_t i = 0; rc == 0 && i < nq; i++) {
        json_t *qv = json_array_get(qs, i), *o = json_array_get(os, i);
        for (size_t k = 0; rc == 0 && k < RACE_OPTIONS; k++) {
            json_t *ov = json_array_get(o, k);
            size_t b_len;
            char *b = race_second(json_string_value(qv), json_string_length(qv), json_string_value(ov),
                                  json_string_length(ov), &b_len);
            if (!b)
                rc = PB_ERR(PB_ENOMEM, "%s: option text", path);
            else
                rc = mc_add_row(c, split, a_off, na, b, b_len);
            free(b);
        }
        if (rc == 0) rc = mc_push_label(c, split, json_string_value(json_array_get(as, i))[0] - 'A');
    }
    json_decref(root);
    return rc;
}

int pb_task_race_open(const char *name, const pb_task_opts *opts, pb_data_source *out) {
    static const char *const SPLIT_DIR[3] = {"train", "dev", "test"};
    /* "race" is both levels, high first (bytewise order, and Hugging Face's RaceProcessor reads high + middle) */
    const char *levels[2] = {"high", "middle"};
    int n_levels = 2;
    if (!name) name = "race";
    if (strcmp(name, "race-middle") == 0)
        levels[0] = "middle", n_levels = 1;
    else if (strcmp(name, "race-high") == 0)
        n_levels = 1;
    else if (strcmp(name, "race") != 0)
        return PB_ERR(PB_ENOTFOUND, "race: unknown task '%s'; expected race, race-middle or race-high", name);
    mc_ctx *c;
    pb_tok *tok;
    PB_TRY(mc_create(name, opts, RACE_OPTIONS, 512, &c, &tok));
    int rc = 0;
    char dir[4096], level_dir[4096], path[4096];
    for (int s = 0; rc == 0 && s < 3; s++) {
        rc = pb_path_join(dir, sizeof dir, opts->data_dir, SPLIT_DIR[s]);
        if (rc < 0) break;
        if (!pb_path_is_dir(dir)) {
            if (s != PB_SPLIT_TEST)
                rc = PB_ERR(PB_ENOTFOUND, "%s: missing folder '%s'; expected RACE's %s/{high,middle}/*.txt", c->name,
                            dir, SPLIT_DIR[s]);
            continue;
        }
        for (int l = 0; rc == 0 && l < n_levels; l++) {
            rc = pb_path_join(level_dir, sizeof level_dir, dir, levels[l]);
            if (rc == 0 && !pb_path_is_dir(level_dir))
                rc = PB_ERR(PB_ENOTFOUND, "%s: missing folder '%s'; expected RACE's %s/%s/*.txt", c->name, level_dir,
                            SPLIT_DIR[s], levels[l]);
            char **names = NULL;
            size_t n = 0;
            if (rc == 0) rc = race_list(level_dir, &names, &n);
            for (size_t i = 0; rc == 0 && i < n; i++) {
                rc = pb_path_join(path, sizeof path, level_dir, names[i]);
                if (rc == 0) rc = race_file(c, s, path);
            }
            free_names(names, n);
        }
        if (rc == 0) {
            c->labelled[s] = 1;
            snprintf(c->src[s], sizeof c->src[s], "%s/", SPLIT_DIR[s]);
        }
    }
    return mc_finish(rc, c, tok, out);
}
