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
 * Special / added tokens written in the text, as HF's tokenizers: before
 * pre-tokenization the text is split on them, scanning left to right and
 * taking the longest token that matches at the earliest position (HF's
 * leftmost-longest Trie / Aho-Corasick); each match is its id, its offsets
 * [begin, end) covering the whitespace it absorbed; the pieces between are
 * pre-tokenized and BPE-encoded each on its own (so the GPT-2 pattern
 * restarts after a special token). Which tokens:
 *  - pb_bpe_load (vocab.json + merges.txt, RobertaTokenizer / GPT2Tokenizer):
 *    those of "<s>", "</s>", "<unk>", "<pad>", "<mask>", "<|endoftext|>" that
 *    vocab.json holds, with their vocab ids. "<mask>" has lstrip (RoBERTa's
 *    AddedToken(lstrip=True)): the whitespace right before it (Unicode
 *    White_Space, any amount) is absorbed into it, so "a <mask>" is "a" +
 *    <mask>; the others strip nothing.
 *  - pb_bpe_load_json (tokenizer.json): exactly its "added_tokens" (none when
 *    absent, as the tokenizers library), each with its "id" (which also
 *    becomes the id of its content for pb_bpe_token_id and counts in
 *    pb_bpe_vocab_size) and flags: lstrip (absorb the whitespace before it,
 *    but not whitespace an earlier match took), rstrip (absorb the whitespace
 *    after it), single_word (a match touching a word character, Rust regex's
 *    \w: letters, marks, Nd, Nl, Pc, ZWNJ/ZWJ, is dropped and its text stays
 *    plain; the scan resumes after it). Tokens with "normalized": false
 *    (default: special) are split out first and those with normalized true
 *    (default: not special) then in the pieces left, as the tokenizers
 *    library's two passes (no normalizer is applied to the pieces).
 * Empty contents are ignored.
 *
 * Known deviations from HF: no add_prefix_space; no BPE cache; a final token
 * missing from the vocabulary is an error (PB_EFORMAT naming it) rather than
 * <unk>; a special token missing from vocab.json is not recognized (HF would
 * give it a new id past the vocabulary); the slow tokenizers' lstrip uses
 * Python's str.rstrip whitespace, here Unicode White_Space (they differ on
 * U+001C-001F). */
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
 * model.merges as "a b" strings or [a, b] pairs) with its added_tokens (see
 * above; PB_EFORMAT naming added_tokens[i] when an entry lacks an integer id
 * or a string content). The pre-tokenizer and post-processor are taken to be
 * RoBERTa's (ByteLevel, <s> A </s></s> B </s>). */
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
