#include "registry.h"

#include <stdio.h>
#include <string.h>

#include "glue.h"
#include "mc.h"
#include "mlm.h"
#include "pb_error.h"
#include "squad.h"

/* Adding a task: one loader file plus one line here. */
static const pb_task_info TASKS[] = {
    {"toy", "single", "(generated)", "accuracy", pb_task_toy_open},
    {"glue-cola", "single", "train.tsv dev.tsv [test.tsv]", "mcc", pb_task_glue_open},
    {"glue-sst2", "single", "train.tsv dev.tsv [test.tsv]", "accuracy", pb_task_glue_open},
    {"glue-mrpc", "pair", "train.tsv dev.tsv [test.tsv]", "accuracy, f1", pb_task_glue_open},
    {"glue-qqp", "pair", "train.tsv dev.tsv [test.tsv]", "accuracy, f1", pb_task_glue_open},
    {"glue-stsb", "regression", "train.tsv dev.tsv [test.tsv]", "pearson, spearmanr", pb_task_glue_open},
    {"glue-mnli", "pair", "train.tsv dev_matched.tsv dev_mismatched.tsv [test_matched.tsv test_mismatched.tsv]",
     "accuracy_m, accuracy_mm", pb_task_glue_open},
    {"glue-qnli", "pair", "train.tsv dev.tsv [test.tsv]", "accuracy", pb_task_glue_open},
    {"glue-rte", "pair", "train.tsv dev.tsv [test.tsv]", "accuracy", pb_task_glue_open},
    {"glue-wnli", "pair", "train.tsv dev.tsv [test.tsv]", "accuracy", pb_task_glue_open},
    {"squad", "span", "train-v1.1.json dev-v1.1.json", "exact_match, f1 (evaluate-v1.1.py)", pb_task_squad_open},
    {"squad_v2", "span", "train-v2.0.json dev-v2.0.json", "exact, f1, HasAns, NoAns (evaluate-v2.0.py)",
     pb_task_squad_open},
    {"commonsenseqa", "choice", "train_rand_split.jsonl dev_rand_split.jsonl [test_rand_split_no_answers.jsonl]",
     "accuracy", pb_task_csqa_open},
    {"winogrande", "choice", "train_xl.jsonl (or train_l/m/s/xs) dev.jsonl [test.jsonl]", "accuracy",
     pb_task_winogrande_open},
    {"race", "choice", "{train,dev,test}/{high,middle}/*.txt", "accuracy", pb_task_race_open},
    {"race-middle", "choice", "{train,dev,test}/middle/*.txt", "accuracy", pb_task_race_open},
    {"race-high", "choice", "{train,dev,test}/high/*.txt", "accuracy", pb_task_race_open},
    {"mlm", "mlm", "train.txt dev.txt [test.txt]", "accuracy, perplexity", pb_task_mlm_open},
};
enum { N_TASKS = sizeof TASKS / sizeof *TASKS };

const pb_task_info *pb_task_list(int *n) {
    *n = N_TASKS;
    return TASKS;
}

const pb_task_info *pb_task_find(const char *name) {
    for (int i = 0; name && i < N_TASKS; i++)
        if (strcmp(name, TASKS[i].name) == 0) return &TASKS[i];
    return NULL;
}

int pb_task_open(const char *name, const pb_task_opts *opts, pb_data_source *out) {
    memset(out, 0, sizeof *out);
    const pb_task_info *t = pb_task_find(name);
    if (t) return t->open(t->name, opts, out);
    char known[1024] = "";
    for (int i = 0; i < N_TASKS; i++) {
        if (i) strncat(known, ", ", sizeof known - strlen(known) - 1);
        strncat(known, TASKS[i].name, sizeof known - strlen(known) - 1);
    }
    return PB_ERR(PB_ENOTFOUND, "unknown task '%s' (known: %s)", name ? name : "(null)", known);
}
