/* SQuAD v1.1 and v2.0: span extraction features as Hugging Face's run_qa.py
 * builds them, its post-processing (utils_qa.py), and the official metric of
 * evaluate-v1.1.py / evaluate-v2.0.py.
 *
 * Features: the question is left-stripped (Python's str.lstrip whitespace) and
 * cut to max_query_length tokens (as HF's squad_convert_examples_to_features;
 * run_qa.py itself does not cut questions); a question that is empty or all
 * whitespace has no tokens and is kept (row [CLS] [SEP] context [SEP], as HF
 * tokenizes question=""), even when it is the only one of its file; the context is split into windows
 * as HF's tokenizer with truncation only_second and stride = doc_stride: a
 * window holds L = max_seq_length - question - special tokens context tokens,
 * consecutive windows OVERLAP by doc_stride tokens (starts 0, L - doc_stride,
 * ...; the last window ends at the context's end). Google's original
 * run_squad.py instead uses doc_stride as the step between window starts.
 * doc_stride must be below L (HF fails the same way). Labels: the tokens
 * holding the first answer's first and last characters when the answer lies
 * fully in the window, else 0 ([CLS]); v2 questions without answers: 0.
 * answer_start is a character (code point) index and is converted to a byte
 * offset; like run_qa.py the loader trusts answer_start and the text's length
 * even when the context there differs from the text (counted, see
 * pb_squad_info). One deviation from run_qa.py: when the answer starts in the
 * last context token of a window, run_qa.py's start scan runs past the
 * context into [SEP]/padding (their offsets are (0, 0)) and labels the last
 * position; here the start is that last context token. */
#ifndef PB_TASKS_SQUAD_H
#define PB_TASKS_SQUAD_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"
#include "registry.h"

enum { PB_SQUAD_DEFAULT_SEQ = 384, PB_SQUAD_DEFAULT_STRIDE = 128, PB_SQUAD_DEFAULT_QUERY = 64 };
enum { PB_SQUAD_N_BEST = 20, PB_SQUAD_MAX_ANSWER = 30 };

/* "squad": data_dir/train-v1.1.json, dev-v1.1.json; "squad_v2":
 * train-v2.0.json, dev-v2.0.json. Both files are required; there is no test
 * split (count 0). Head PB_HEAD_SPAN; count(split) = features (windows). */
int pb_task_squad_open(const char *name, const pb_task_opts *opts, pb_data_source *out);

/* One feature (window) of an open SQuAD source, for inspection and tests. */
typedef struct {
    long example;   /* question index in file order */
    int window;     /* window number within the question */
    int tok_begin;  /* first context token (index into the context's tokens) */
    int n_tok;      /* context tokens in the window */
    int ctx_pos;    /* position of the first context token in the row */
    int start, end; /* training labels (0 = [CLS]) */
} pb_squad_feature;

typedef struct {
    int v2;
    long examples[2];   /* questions of train, dev */
    long features[2];   /* windows of train, dev */
    long mismatched[2]; /* answers whose context text differs from "text" */
} pb_squad_info;

/* PB_EINVAL when ds is not a SQuAD source. */
int pb_squad_info_get(const pb_data_source *ds, pb_squad_info *out);
int pb_squad_feature_get(const pb_data_source *ds, int split, long f, pb_squad_feature *out);

/* HF's post-processing of a split's logits ([features, seq, 2]: start, end)
 * into one answer per question: n-best 20 starts x 20 ends per feature,
 * spans inside the context, end >= start, at most 30 tokens; score = start +
 * end logit; text = the context from the start token's first byte to the end
 * token's last. v1.1: the best span, "empty" when there is none (as HF). v2:
 * "" when min over features of (start[0] + end[0]) minus the best span's
 * score (float, as HF) is > 0. *answers[i] point into the source (valid
 * until it is freed) or to static strings; free(*answers) only. */
int pb_squad_predict(const pb_data_source *ds, int split, const float *logits, const char ***answers);
/* The official predictions.json form {"qid": "answer", ...} (indent 4,
 * ASCII escapes, as HF writes it); malloc'ed. */
int pb_squad_predictions_json(const pb_data_source *ds, int split, const float *logits, char **json_out);

/* ---- the official metric (squad_metric.c) ---- */

/* normalize_answer: lowercase (Python's str.lower), drop ASCII punctuation
 * (string.punctuation), replace \b(a|an|the)\b by a space, collapse Python
 * whitespace. malloc'ed into *out. */
int pb_squad_normalize(const char *s, char **out);
/* 1.0 when the normalized strings are equal, else 0.0 (both scripts). */
double pb_squad_exact(const char *pred, const char *gold);
/* Token F1 as evaluate-v2.0.py: when either side has no tokens, 1.0 if both
 * have none, else 0.0. */
double pb_squad_f1(const char *pred, const char *gold);
/* Token F1 as evaluate-v1.1.py: 0.0 whenever no token is shared (two empty
 * answers included). */
double pb_squad_f1_v11(const char *pred, const char *gold);

/* Running totals of either script, question by question in file order. */
typedef struct {
    int v2;
    long total, has_total, no_total, missing;
    double exact, f1, has_exact, has_f1, no_exact, no_f1; /* sums */
} pb_squad_acc;

/* One question: pred (NULL = no prediction), its gold texts, and (v2)
 * whether it has answers (bool(qa["answers"])). v1.1: a missing prediction
 * scores 0 and still counts; no gold answers is an error (the script's
 * max() of nothing). v2: golds that normalize to "" are dropped, none left
 * means [""]; a missing prediction is an error (the script stops with a
 * KeyError). */
int pb_squad_acc_add(pb_squad_acc *a, const char *qid, const char *pred, const char *const *golds, int n_golds,
                     int has_ans);
/* The printed dict: v1.1 {"exact_match": .., "f1": ..}; v2 (indent 2) exact,
 * f1, total, then HasAns_* / NoAns_* when there are such questions. Floats
 * as Python's repr; ends in "\n" like print(). malloc'ed. */
int pb_squad_acc_json(const pb_squad_acc *a, char **json_out);
/* v1.1: exact_match, f1; v2: exact, f1, HasAns_f1, NoAns_f1 (those present). */
int pb_squad_acc_metrics(const pb_squad_acc *a, pb_metrics *out);

/* Score an official predictions file against a SQuAD data file, as the
 * official script for the data's version ("version" containing "2", or any
 * question with "is_impossible", means v2.0) would print it. */
int pb_squad_eval_files(const char *data_json, const char *pred_json, char **json_out);

/* Python's str.isspace() for one code point (str.split / str.lstrip). */
int pb_squad_py_space(int32_t c);
/* Python's repr of a double into buf (at least 32 bytes). */
void pb_squad_float_repr(double x, char *buf, size_t cap);

#endif
