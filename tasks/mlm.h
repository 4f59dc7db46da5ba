/* Masked language modelling on a plain-text corpus: data_dir/train.txt and
 * dev.txt (required), test.txt (optional), one sentence or paragraph per line.
 * Lines are packed greedily into rows of max_seq_length (default 128) tokens
 * and masked as BERT / Hugging Face's DataCollatorForLanguageModeling (15%
 * chosen; 80% [MASK], 10% random, 10% kept), statically: the masks of a row
 * are a pure function of (seed, split, row). Head PB_HEAD_MLM; evaluate
 * reports "accuracy" (masked-token accuracy, %) and "perplexity" over the
 * masked tokens, through the reduce callback. See mlm.c for the details. */
#ifndef PB_TASKS_MLM_H
#define PB_TASKS_MLM_H

#include "registry.h"

int pb_task_mlm_open(const char *name, const pb_task_opts *opts, pb_data_source *out);

#endif
