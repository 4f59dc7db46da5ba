/* The embedded default suite: tasks generated from assets Debian and npm ship
 * (the SpamAssassin corpus, WordNet 3.0), written in the upstream formats of
 * the registry's loaders and opened through them:
 *
 *   spam       SST-2-style TSV            (glue.c)     single-sentence classification
 *   wn-pair    3-class pair TSV           (glue.c)     sentence-pair classification
 *   wn-span    SQuAD v1.1 JSON            (squad.c)    span extraction
 *   wn-choice  CommonsenseQA JSONL        (mc.c)       5-way multiple choice
 *   wn-blank   WinoGrande JSONL           (mc.c)       2-option fill-in-the-blank
 *
 * plus the masked-LM pretraining corpus. Everything lives under a cache root
 * (default "cache", or $PB_CACHE): cache/data (fetched assets), cache/suite/<task>
 * (generated files), cache/suite/corpus (pretraining text), cache/model (the
 * pretrained model). */
#ifndef PB_TASKS_SUITE_H
#define PB_TASKS_SUITE_H

#include <stddef.h>
#include <stdint.h>

#include "registry.h"

/* Split of an item by a hash of its stable id (FNV-1a 64 of the bytes, bucket
 * = hash % 100): buckets 0-79 train, 80-89 dev, 90-99 test. Never by file order. */
int pb_suite_split(const char *id);
/* FNV-1a 64 of a NUL-terminated string (also used to order items within a split). */
uint64_t pb_suite_hash(const char *s);

/* What a generator reports of one task, written as <dir>/stats.json. */
enum { PB_SUITE_MAX_LABELS = 8 };
typedef struct {
    const char *task;       /* e.g. "spam" */
    const char *provenance; /* one sentence: where the items come from */
    int n_labels;           /* classes, or choices for multiple choice; 0 for span */
    const char *labels[PB_SUITE_MAX_LABELS];
    long count[3];                             /* examples per split (train, dev, test) */
    long label_count[3][PB_SUITE_MAX_LABELS]; /* per split and class (or right-choice position) */
    /* span tasks (n_labels 0): dev exact match, in percent, of a uniformly
     * random word of the context (chance) and of a named heuristic; < 0: none */
    double span_chance_percent, span_heuristic_percent;
    const char *span_heuristic;
} pb_suite_stats;

/* Write st as JSON to dir/stats.json (atomic), with the dev majority-class
 * and chance baselines in percent. */
int pb_suite_stats_write(const pb_suite_stats *st, const char *dir);

/* The cache root: $PB_CACHE when set and non-empty, else "cache". */
const char *pb_suite_cache_root(void);

/* Write text to path atomically (temp file + rename); errors name the path. */
int pb_suite_write_file(const char *path, const char *text, size_t len);

/* A growing text buffer for generators. */
typedef struct {
    char *s;
    size_t n, cap;
} pb_strbuf;
int pb_strbuf_add(pb_strbuf *b, const char *s, size_t n);
int pb_strbuf_printf(pb_strbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void pb_strbuf_free(pb_strbuf *b);

/* Registry entry for the five suite tasks: defaults data_dir to
 * <cache>/suite/<name> and the tokenizer to <cache>/model/bert-tiny (or
 * <cache>/data/vocab.txt before pretraining), a short max_seq_length per task,
 * and opens the task's files through its loader under its own name. Missing
 * files give PB_ENOTFOUND telling the user to run `make data`. */
int pb_task_suite_open(const char *name, const pb_task_opts *opts, pb_data_source *out);
/* The data folder pb_task_suite_open reads for `name` without a data_dir:
 * 1 with buf set when name is a suite task, else 0. */
int pb_suite_data_dir(const char *name, char *buf, size_t cap);

/* The masked-LM pretraining corpus: the non-empty lines of parts[] (each
 * generator's train-only text) into out_dir/train.txt and dev.txt, 2% of the
 * lines (by a hash of their text) held out as dev, order kept. */
int pb_suite_corpus_build(const char *const *parts, int n_parts, const char *out_dir, long *n_train, long *n_dev);

#endif
