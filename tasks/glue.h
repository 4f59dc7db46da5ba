/* The nine GLUE tasks from the TSV files of the GLUE distribution (as
 * download_glue_data.py writes them and Hugging Face's glue processors read
 * them), and their official metrics.
 *
 * Names: glue-cola, glue-sst2, glue-mrpc, glue-qqp, glue-stsb, glue-mnli,
 * glue-qnli, glue-rte, glue-wnli. Files in opts->data_dir: train.tsv, dev.tsv,
 * test.tsv; MNLI: train.tsv, dev_matched.tsv + dev_mismatched.tsv (the DEV
 * split is matched followed by mismatched), test_matched.tsv +
 * test_mismatched.tsv. Train and dev files are required; a missing test file
 * gives a TEST split of 0 examples; test files have no labels (evaluate on the
 * TEST split is PB_EINVAL).
 *
 * Reading follows HF's processors: csv with tab delimiter and no quoting (a
 * tab splits, quotes are literal), a leading UTF-8 BOM is dropped, the first
 * line is a header (except CoLA train/dev: 4 columns, no header). Columns are
 * found by their header names (the same positions HF indexes on upstream
 * files); every row must have as many fields as the header. Labels in HF's
 * order: cola/sst2/mrpc/qqp/wnli "0","1"; mnli contradiction, entailment,
 * neutral; qnli/rte entailment, not_entailment; stsb is a regression on the
 * float score (PB_HEAD_REG). Unlike HF's QQP processor, a QQP row with missing
 * fields is an error, not skipped.
 *
 * Featurized at open time with pb_tok_encode_pair (single-sentence tasks
 * without B), longest_first truncation, max_seq_length default 128.
 *
 * Metrics (x100, metrics.h): cola "mcc"; sst2/qnli/rte/wnli "accuracy";
 * mrpc/qqp "accuracy", "f1"; stsb "pearson", "spearmanr"; mnli "accuracy",
 * and on the DEV split "accuracy_m" and "accuracy_mm" (matched, mismatched). */
#ifndef PB_TASKS_GLUE_H
#define PB_TASKS_GLUE_H

#include "data.h"
#include "registry.h"

enum { PB_GLUE_DEFAULT_SEQ = 128 };

int pb_task_glue_open(const char *name, const pb_task_opts *opts, pb_data_source *out);

/* Label string k of a classification task ("cola" .. "wnli", with or without
 * the "glue-" prefix), as the GLUE files and submissions spell it
 * (mnli 0 = "contradiction"); NULL for stsb, an unknown task or k out of range. */
const char *pb_glue_label_name(const char *task, int k);

/* The official metrics of `task` ("cola" .. "wnli", with or without the
 * "glue-" prefix) for n >= 1 examples. Classification tasks take class
 * indices (integers in [0, num_labels)), stsb takes scores. */
int pb_glue_metric(const char *task, const double *labels, const double *preds, long n, pb_metrics *out);

/* The same from two files of one value per line: a class index or, for
 * mnli/qnli/rte, the label string ("entailment"); stsb a float. Errors name
 * the file and line (non-number, unknown label, empty file, count mismatch). */
int pb_glue_metric_files(const char *task, const char *labels_path, const char *pred_path, pb_metrics *out);

#endif
