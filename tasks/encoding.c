/* The pair template shared by the tokenizers: special tokens around one or two
 * token sequences, Hugging Face's truncation, padding, masks and offsets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pb_error.h"
#include "tokenizer.h"

void pb_encoding_free(pb_encoding *e) {
    if (!e) return;
    free(e->input_ids);
    free(e->token_type_ids);
    free(e->attention_mask);
    free(e->offsets);
    memset(e, 0, sizeof *e);
}

int pb_token_buf_push(pb_token_buf *o, int32_t id, size_t begin, size_t end) {
    if (o->n == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 64;
        int32_t *ni = realloc(o->ids, nc * sizeof *ni);
        if (!ni) return PB_ERR(PB_ENOMEM, "tokenizer output of %zu tokens", nc);
        o->ids = ni;
        int32_t *no = realloc(o->offs, nc * 2 * sizeof *no);
        if (!no) return PB_ERR(PB_ENOMEM, "tokenizer output of %zu tokens", nc);
        o->offs = no;
        o->cap = nc;
    }
    if (begin > INT32_MAX || end > INT32_MAX) return PB_ERR(PB_ERANGE, "tokenizer: text beyond 2 GiB");
    o->ids[o->n] = id;
    o->offs[2 * o->n] = (int32_t)begin;
    o->offs[2 * o->n + 1] = (int32_t)end;
    o->n++;
    return 0;
}

static size_t put(pb_encoding *out, size_t p, const int32_t *ids, const int32_t *offs, size_t n, int32_t type) {
    for (size_t i = 0; i < n; i++, p++) {
        out->input_ids[p] = ids[i];
        out->token_type_ids[p] = type;
        out->offsets[2 * p] = offs ? offs[2 * i] : 0;
        out->offsets[2 * p + 1] = offs ? offs[2 * i + 1] : 0;
    }
    return p;
}

int pb_encoding_build(const pb_pair_template *tpl, const int32_t *a_ids, const int32_t *a_offs, size_t na,
                      const int32_t *b_ids, const int32_t *b_offs, size_t nb, int has_b, int max_len, int truncation,
                      const char *who, pb_encoding *out) {
    memset(out, 0, sizeof *out);
    if (truncation != PB_TRUNC_LONGEST_FIRST && truncation != PB_TRUNC_ONLY_SECOND)
        return PB_ERR(PB_EINVAL, "%s: truncation %d unknown", who, truncation);
    const size_t n_special = 1 + tpl->n_after_a + (has_b ? tpl->n_between + tpl->n_after_b : 0);
    if (max_len < (int)n_special)
        return PB_ERR(PB_ERANGE, "%s: max_len %d below the %zu special tokens", who, max_len, n_special);
    if (!has_b) nb = 0;
    const size_t total = na + nb + n_special;
    if (total > (size_t)max_len) {
        size_t remove = total - (size_t)max_len;
        if (truncation == PB_TRUNC_ONLY_SECOND) {
            if (!has_b || nb <= remove) /* HF: len(pair_ids) > num_tokens_to_remove */
                return PB_ERR(PB_ERANGE, "%s: only_second cannot remove %zu tokens from a second sequence of %zu", who,
                              remove, nb);
            nb -= remove;
        } else {
            for (; remove > 0; remove--) { /* one at a time from the longer; ties from the second */
                if (na > nb) na--;
                else nb--;
            }
        }
    }
    const size_t L = (size_t)max_len;
    out->input_ids = malloc(L * sizeof(int32_t));
    out->token_type_ids = calloc(L, sizeof(int32_t));
    out->attention_mask = calloc(L, sizeof(int32_t));
    out->offsets = calloc(2 * L, sizeof(int32_t));
    if (!out->input_ids || !out->token_type_ids || !out->attention_mask || !out->offsets) {
        pb_encoding_free(out);
        return PB_ERR(PB_ENOMEM, "%s: %d tokens", who, max_len);
    }
    size_t p = put(out, 0, &tpl->first, NULL, 1, 0); /* special tokens get offsets [0, 0] */
    p = put(out, p, a_ids, a_offs, na, 0);
    p = put(out, p, tpl->after_a, NULL, (size_t)tpl->n_after_a, 0);
    if (has_b) {
        p = put(out, p, tpl->between, NULL, (size_t)tpl->n_between, tpl->type_b);
        p = put(out, p, b_ids, b_offs, nb, tpl->type_b);
        p = put(out, p, tpl->after_b, NULL, (size_t)tpl->n_after_b, tpl->type_b);
    }
    for (size_t i = 0; i < p; i++) out->attention_mask[i] = 1;
    out->n_tokens = (int)p;
    for (; p < L; p++) out->input_ids[p] = tpl->pad;
    out->max_len = max_len;
    return 0;
}

int pb_token_encode_text(pb_token_encode_fn encode, const void *tok, const char *text, size_t len, int32_t **ids,
                         size_t *n, int32_t **offsets) {
    *ids = NULL, *n = 0;
    if (offsets) *offsets = NULL;
    pb_token_buf o = {0};
    int rc = encode(tok, text, len, &o);
    if (rc < 0) {
        free(o.ids);
        free(o.offs);
        return rc;
    }
    *ids = o.ids, *n = o.n;
    if (offsets) *offsets = o.offs;
    else free(o.offs);
    return 0;
}

int pb_token_encode_pair(pb_token_encode_fn encode, const void *tok, const pb_pair_template *tpl, const char *a,
                         const char *b, int max_len, int truncation, const char *who, pb_encoding *out) {
    pb_token_buf oa = {0}, ob = {0};
    int rc = encode(tok, a, strlen(a), &oa);
    if (rc == 0 && b) rc = encode(tok, b, strlen(b), &ob);
    if (rc == 0)
        rc = pb_encoding_build(tpl, oa.ids, oa.offs, oa.n, ob.ids, ob.offs, ob.n, b != NULL, max_len, truncation, who,
                               out);
    free(oa.ids);
    free(oa.offs);
    free(ob.ids);
    free(ob.offs);
    return rc;
}
