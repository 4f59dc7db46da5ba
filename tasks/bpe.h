/* GPT-2 / RoBERTa byte-level BPE tokenizer, mirroring Hugging Face's (slow)
 * GPT2Tokenizer / RobertaTokenizer: the text is split with GPT-2's pattern
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * (implemented by hand: letters are utf8proc categories L*, numbers N*,
 * whitespace is Zs/Zl/Zp plus \t\n\v\f\r and U+0085, the Unicode White_Space
 * set of the `regex` module HF uses), each
 * piece's UTF-8 bytes are mapped through GPT-2's byte-to-unicode table, and
 * the lowest-ranked adjacent pair is merged (all its non-overlapping
 * occurrences, left to right, as HF's bpe()) until no pair has a rank. No
 * global state.
 *
 * Invalid UTF-8: bytes are bytes. A byte that does not start a valid UTF-8
 * sequence is one "other symbol" character for the pre-tokenizer (so it
 * joins a ` ?[^\s\p{L}\p{N}]+` run) and is encoded as its byte symbol, as
 * GPT-2 does when given bytes. Nothing is dropped or replaced.
 *
 * Known deviations from HF: special tokens written in the text (e.g. "<s>")
 * are not recognized but tokenized as plain text; no add_prefix_space; no
 * BPE cache; a final token missing from the vocabulary is an error
 * (PB_EFORMAT naming it) rather than <unk>. */
#ifndef PB_TASKS_BPE_H
#define PB_TASKS_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h" /* pb_encoding, PB_TRUNC_* */

typedef struct pb_bpe pb_bpe;

/* Load vocab.json (an object token -> id) and merges.txt (one "a b" pair a
 * line, rank = line order among pairs; a first line starting with "#version"
 * and empty lines are skipped; \r\n accepted; a repeated pair keeps its last
 * rank as HF's dict). Errors: PB_EIO, PB_EFORMAT (bad JSON, non-integer id, a
 * merge line without exactly two fields). */
int pb_bpe_load(pb_bpe **out, const char *vocab_json, const char *merges_txt);
/* Load a Hugging Face tokenizer.json whose model is BPE (model.vocab, and
 * model.merges as "a b" strings or [a, b] pairs). The pre-tokenizer and
 * post-processor are taken to be RoBERTa's (ByteLevel, <s> A </s></s> B </s>). */
int pb_bpe_load_json(pb_bpe **out, const char *tokenizer_json);
void pb_bpe_free(pb_bpe *t);
/* Largest id + 1. */
int32_t pb_bpe_vocab_size(const pb_bpe *t);

/* Id of `token` (byte-level form, e.g. "\xc4\xa0the" for " the"), or -1. */
int pb_bpe_token_id(const pb_bpe *t, const char *token);

/* Tokenize text[0, len): *ids (and *offsets, [n][2] byte ranges [begin, end)
 * into text, when offsets is not NULL) are malloc'ed; free them with free().
 * A token's range covers the source bytes it encodes (a leading space
 * included). Empty input gives *n = 0 (the arrays may be NULL). */
int pb_bpe_encode(const pb_bpe *t, const char *text, size_t len, int32_t **ids, size_t *n, int32_t **offsets);

/* RoBERTa template: <s> A </s> without b, <s> A </s></s> B </s> with b; token
 * types all 0; attention mask; <pad> up to max_len; offsets as pb_encoding
 * (specials and padding [0, 0]). Truncation as tokenizer.h (longest_first one
 * token at a time from the longer, ties from B; only_second PB_ERANGE when
 * impossible). PB_ENOTFOUND when the vocabulary lacks <s>, </s> or <pad>. */
int pb_bpe_encode_pair(const pb_bpe *t, const char *a, const char *b, int max_len, int truncation,
                       pb_encoding *out);

#endif
