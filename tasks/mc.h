/* SMC-Bench multiple-choice tasks: CommonsenseQA, WinoGrande and RACE from
 * their upstream files. Each example is `choices` rows (one per option, a
 * pair template around two segments), labelled with the right option's
 * index; head PB_HEAD_MC, metric "accuracy" in percent.
 *
 *   commonsenseqa  data_dir/{train_rand_split,dev_rand_split}.jsonl (required),
 *                  test_rand_split_no_answers.jsonl (optional, unlabelled);
 *                  5 choices, max_seq_length 128 by default.
 *   winogrande     data_dir/train_xl.jsonl (or the largest of train_l, _m, _s,
 *                  _xs, then train.jsonl) and dev.jsonl (required), test.jsonl
 *                  (optional, unlabelled); 2 choices, 128 by default.
 *   race, race-middle, race-high
 *                  data_dir/{train,dev}/{high,middle}/NAME.txt (required),
 *                  test/... (optional); 4 options, 512 by default.
 *
 * A split whose optional file or folder is absent has count 0; a split loaded
 * without answers may be predicted but evaluate returns PB_EINVAL. */
#ifndef PB_TASKS_MC_H
#define PB_TASKS_MC_H

#include "registry.h"

int pb_task_csqa_open(const char *name, const pb_task_opts *opts, pb_data_source *out);
int pb_task_winogrande_open(const char *name, const pb_task_opts *opts, pb_data_source *out);
int pb_task_race_open(const char *name, const pb_task_opts *opts, pb_data_source *out);

#endif
