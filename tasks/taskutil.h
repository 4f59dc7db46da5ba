/* Shared pieces of the task loaders: files read whole with their line
 * numbers, tab-separated fields, JSON with positions in errors, and a compact
 * store of featurized rows that fills batches. */
#ifndef PB_TASKS_TASKUTIL_H
#define PB_TASKS_TASKUTIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "data.h"
#include "tokenizer.h"

/* dir/name into out (PB_ERANGE when it does not fit). */
int pb_path_join(char *out, size_t cap, const char *dir, const char *name);
int pb_path_is_file(const char *path);
int pb_path_is_dir(const char *path);
/* Make dir and its parents (like mkdir -p). */
int pb_path_mkdir_p(const char *dir);

/* Lines of a text file read whole. Each line is NUL-terminated in place
 * without its "\n" or "\r\n". A file that is empty or does not end in "\n"
 * is accepted (the caller decides whether an empty file is an error). */
typedef struct {
    char *buf;
    size_t len, pos;
    long line; /* 1-based number of the line last returned */
    const char *path;
} pb_lines;

int pb_lines_open(pb_lines *l, const char *path);
/* 1 with *line set, 0 at the end. */
int pb_lines_next(pb_lines *l, char **line, size_t *len);
void pb_lines_close(pb_lines *l);

/* Split line in place at tabs into at most max fields; returns the number of
 * fields found (which may exceed max: the extra fields are not stored). */
int pb_split_tabs(char *line, char **fields, int max);

/* json_load_file with errors "path:line:column: text" (PB_EIO when the file
 * cannot be opened, PB_EFORMAT for bad JSON). */
int pb_json_load(const char *path, json_t **out);
/* One JSON value from a line of a JSONL file: errors "path:line:column: text". */
int pb_json_line(const char *path, long line, const char *text, size_t len, json_t **out);

/* Featurized rows of one split, each a pb_encoding's non-padding prefix:
 * ids, token types (and optionally byte offsets), padded on fill. */
typedef struct {
    int seq;        /* padded length of every row */
    int32_t pad_id;
    long n;         /* rows */
    long cap;
    size_t *start;  /* [n + 1] into ids / types */
    size_t n_tok, cap_tok;
    int32_t *ids;
    uint8_t *types;
} pb_rowstore;

void pb_rowstore_init(pb_rowstore *s, int seq, int32_t pad_id);
void pb_rowstore_free(pb_rowstore *s);
/* Append the first e->n_tokens tokens of e (e->max_len must be <= s->seq). */
int pb_rowstore_push(pb_rowstore *s, const pb_encoding *e);
/* Row r into ids/mask/types (each seq long): tokens, then pad_id with mask 0. */
void pb_rowstore_fill_row(const pb_rowstore *s, long r, int32_t *ids, int32_t *mask, int32_t *types);

/* Index of the largest of x[0..n) (the first on ties). */
int pb_argmax(const float *x, int n);

#endif
