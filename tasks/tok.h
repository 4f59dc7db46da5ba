/* One tokenizer interface over WordPiece (BERT) and byte-level BPE (RoBERTa),
 * as the tasks use it: text -> ids with byte offsets, the model's pair
 * template, and its special-token ids. */
#ifndef PB_TASKS_TOK_H
#define PB_TASKS_TOK_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"

typedef struct pb_tok pb_tok;

typedef enum { PB_TOK_WORDPIECE = 0, PB_TOK_BPE = 1 } pb_tok_kind;

/* Special tokens; pb_tok_special gives -1 where the vocabulary lacks one. */
typedef enum { PB_TOK_CLS = 0, PB_TOK_SEP, PB_TOK_PAD, PB_TOK_MASK, PB_TOK_UNK, PB_TOK_N_SPECIAL } pb_tok_special_kind;

/* Load from a file or a model folder. A folder is searched in this order:
 * tokenizer.json (WordPiece or BPE model), vocab.txt (WordPiece),
 * vocab.json + merges.txt (BPE). A file: *.txt = vocab.txt, *.json =
 * tokenizer.json. A folder's tokenizer_config.json, when present, may set
 * do_lower_case for a vocab.txt. Errors name the path and what was looked for. */
int pb_tok_load(pb_tok **out, const char *path);
void pb_tok_free(pb_tok *t);

pb_tok_kind pb_tok_get_kind(const pb_tok *t);
int32_t pb_tok_vocab_size(const pb_tok *t);
int32_t pb_tok_special(const pb_tok *t, pb_tok_special_kind k);
/* The model's pair template: [CLS] A [SEP] B [SEP] or <s> A </s></s> B </s>. */
const pb_pair_template *pb_tok_template(const pb_tok *t);

/* text[0, len) -> *ids and, when offsets is not NULL, *offsets ([n][2] byte
 * ranges [begin, end) into text); malloc'ed, free() them. Empty input gives
 * *n = 0 and possibly NULL arrays. */
int pb_tok_encode(const pb_tok *t, const char *text, size_t len, int32_t **ids, size_t *n, int32_t **offsets);
/* Template around a (and b when not NULL), truncated and padded to max_len. */
int pb_tok_encode_pair(const pb_tok *t, const char *a, const char *b, int max_len, int truncation, pb_encoding *out);

/* Copy the files the tokenizer was loaded from into dir (for a Hugging Face
 * model folder export); dir must exist. */
int pb_tok_save_files(const pb_tok *t, const char *dir);

#endif
