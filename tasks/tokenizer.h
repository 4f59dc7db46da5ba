/* BERT WordPiece tokenizer, mirroring Hugging Face's (slow) BertTokenizer:
 * basic tokenizer (clean text, CJK spacing, whitespace split, lowercase and
 * accent stripping, punctuation split, special tokens never split) followed by
 * greedy longest-match-first WordPiece. No global state.
 *
 * Invalid UTF-8: each byte that does not start a valid sequence is replaced by
 * U+FFFD before cleaning, and cleaning drops U+FFFD (as HF drops it), so
 * invalid bytes vanish from the token stream and never crash.
 *
 * Lowercasing is Python's str.lower() on each whitespace token for vocab.txt
 * (full mappings such as U+0130 -> i + U+0307, and the Final_Sigma rule:
 * "ΟΔΟΣ" -> "οδος", as BertTokenizer gives); a tokenizer.json lowercases one
 * character at a time, as HF's fast BertNormalizer does (Σ -> σ always).
 * A vocab.txt entry that is not valid UTF-8 is refused naming its line.
 *
 * Known deviations from HF: HF's NFC step before the whitespace split is not
 * applied; the Unicode tables are utf8proc's (a few code points Unicode 15
 * added or changed may case differently from Python 3.11). */
#ifndef PB_TASKS_TOKENIZER_H
#define PB_TASKS_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

typedef struct pb_tokenizer pb_tokenizer;

enum { PB_TRUNC_LONGEST_FIRST = 0, PB_TRUNC_ONLY_SECOND = 1 };

/* One pair-template encoding of fixed length max_len (arrays owned; free with
 * pb_encoding_free). offsets[2*i], offsets[2*i+1]: byte range [begin, end) of
 * token i in its own source string (a for type 0, b for type 1); special and
 * padding tokens get [0, 0]. */
typedef struct {
    int32_t *input_ids;
    int32_t *token_type_ids;
    int32_t *attention_mask;
    int32_t *offsets;
    int max_len;
    int n_tokens; /* non-padding tokens */
} pb_encoding;

/* Load a vocab.txt (one token per line, id = line index; \n, \r\n and \r end
 * a line as in Python's text mode; empty lines are tokens; a repeated token
 * maps to its last line) or a Hugging Face tokenizer.json with a WordPiece
 * model (a ".json" name, or a leading '{' unless the name ends in ".txt").
 * Errors: PB_EIO, PB_EFORMAT (no [UNK], bad JSON, non-WordPiece model,
 * normalizer other than BertNormalizer/null). A vocab.txt loads as uncased (do_lower_case = true, HF's
 * default); tokenizer.json takes its BertNormalizer settings. */
int pb_tokenizer_load(pb_tokenizer **out, const char *path);
void pb_tokenizer_free(pb_tokenizer *t);
/* Override the normalization: lowercase 0/1; strip_accents -1 (follow
 * lowercase, HF's None), 0 or 1. */
void pb_tokenizer_set_case(pb_tokenizer *t, int lowercase, int strip_accents);
int32_t pb_tokenizer_vocab_size(const pb_tokenizer *t);

/* Tokenize text[0, len): *ids (and *offsets, [n][2] byte ranges into text,
 * when offsets is not NULL) are malloc'ed; free them with free(). Empty input
 * gives *n_ids = 0 (the arrays may be NULL). */
int pb_tokenizer_encode(const pb_tokenizer *t, const char *text, size_t len, int32_t **ids, size_t *n_ids,
                        int32_t **offsets);
/* Id of `token`, or -1 if not in the vocabulary. */
int pb_tokenizer_token_id(const pb_tokenizer *t, const char *token);
/* Token of `id`, or NULL when out of range. */
const char *pb_tokenizer_id_token(const pb_tokenizer *t, int32_t id);

/* [CLS] A [SEP] (B [SEP]), token types 0/1, attention mask, [PAD] up to
 * max_len; truncation as HF (longest_first: one token at a time from the
 * longer, ties from B; only_second: only B, PB_ERANGE if impossible). */
int pb_tokenizer_encode_pair(const pb_tokenizer *t, const char *a, const char *b, int max_len, int truncation,
                             pb_encoding *out);
void pb_encoding_free(pb_encoding *e);

/* A growing list of token ids with [n][2] byte offsets (tokenizers' output). */
typedef struct {
    int32_t *ids, *offs;
    size_t n, cap;
} pb_token_buf;
int pb_token_buf_push(pb_token_buf *o, int32_t id, size_t begin, size_t end);

/* A tokenizer's pair template: first A after_a (between B after_b); the
 * second segment (between, B, after_b) gets token type type_b.
 * BERT: [CLS] A [SEP] B [SEP], type_b 1; RoBERTa: <s> A </s> </s> B </s>, type_b 0. */
typedef struct {
    int32_t first;
    int32_t after_a[2], between[2], after_b[2];
    int n_after_a, n_between, n_after_b;
    int32_t type_b;
    int32_t pad;
} pb_pair_template;

/* Assemble the template around A (na ids with [n][2] byte offsets, or NULL)
 * and, when has_b, B; truncate as Hugging Face (longest_first: one token at
 * a time from the longer, ties from B; only_second: B only, PB_ERANGE when
 * impossible); pad to max_len. `who` names the caller in errors. */
int pb_encoding_build(const pb_pair_template *tpl, const int32_t *a_ids, const int32_t *a_offs, size_t na,
                      const int32_t *b_ids, const int32_t *b_offs, size_t nb, int has_b, int max_len, int truncation,
                      const char *who, pb_encoding *out);

/* A tokenizer's text -> token buffer step (the two tokenizers' encode_buf). */
typedef int (*pb_token_encode_fn)(const void *tok, const char *text, size_t len, pb_token_buf *out);
/* encode into malloc'ed *ids (and *offsets when not NULL), as the public encode functions return them. */
int pb_token_encode_text(pb_token_encode_fn encode, const void *tok, const char *text, size_t len, int32_t **ids,
                         size_t *n, int32_t **offsets);
/* encode a (and b when not NULL) and assemble tpl around them (pb_encoding_build). */
int pb_token_encode_pair(pb_token_encode_fn encode, const void *tok, const pb_pair_template *tpl, const char *a,
                         const char *b, int max_len, int truncation, const char *who, pb_encoding *out);

#endif
