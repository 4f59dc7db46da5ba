#include "data.h"

#include <stdlib.h>
#include <string.h>

#include "pb_error.h"

int pb_batch_buf_init(pb_batch_buf *bb, int cap_rows, int cap_seq) {
    memset(bb, 0, sizeof *bb);
    if (cap_rows <= 0 || cap_seq <= 0) return PB_ERR(PB_EINVAL, "batch buffer %d x %d must be positive", cap_rows, cap_seq);
    const size_t n = (size_t)cap_rows * (size_t)cap_seq;
    bb->cap_rows = cap_rows;
    bb->cap_seq = cap_seq;
    bb->input_ids = calloc(n, sizeof(int32_t));
    bb->attention_mask = calloc(n, sizeof(int32_t));
    bb->token_type_ids = calloc(n, sizeof(int32_t));
    bb->labels = calloc(n, sizeof(int32_t)); /* [rows, seq] covers mlm; cls/mc use the first rows */
    bb->start_positions = calloc((size_t)cap_rows, sizeof(int32_t));
    bb->end_positions = calloc((size_t)cap_rows, sizeof(int32_t));
    bb->labels_f = calloc((size_t)cap_rows, sizeof(float));
    if (!bb->input_ids || !bb->attention_mask || !bb->token_type_ids || !bb->labels || !bb->start_positions ||
        !bb->end_positions || !bb->labels_f) {
        pb_batch_buf_free(bb);
        return PB_ERR(PB_ENOMEM, "batch buffer %d x %d", cap_rows, cap_seq);
    }
    return 0;
}

void pb_batch_buf_free(pb_batch_buf *bb) {
    free(bb->input_ids);
    free(bb->attention_mask);
    free(bb->token_type_ids);
    free(bb->labels);
    free(bb->start_positions);
    free(bb->end_positions);
    free(bb->labels_f);
    memset(bb, 0, sizeof *bb);
}

int pb_batch_longest(const pb_batch *b, int first, int n) {
    const int S = b->seq;
    int L = 0;
    for (int r = first; r < first + n; r++)
        for (int t = S - 1; t >= L; t--)
            if (b->attention_mask[(size_t)r * S + t]) {
                L = t + 1;
                break;
            }
    return L;
}

void pb_batch_trim_padding(pb_batch_buf *bb, pb_head_kind head) {
    pb_batch *b = &bb->b;
    if (b->attention_mask != bb->attention_mask) return;
    const int rows = b->n * (b->choices > 0 ? b->choices : 1), S = b->seq;
    int L = pb_batch_longest(b, 0, rows);
    if (L < 1) L = 1; /* an all-padding batch keeps one position */
    if (L >= S) return;
    /* the per-token arrays the batch uses (masked-LM labels are per token too) */
    int32_t *arrs[4] = {b->input_ids == bb->input_ids ? bb->input_ids : NULL, bb->attention_mask,
                        b->token_type_ids == bb->token_type_ids ? bb->token_type_ids : NULL,
                        head == PB_HEAD_MLM && b->labels == bb->labels ? bb->labels : NULL};
    if (!arrs[0] || (b->token_type_ids && !arrs[2]) || (head == PB_HEAD_MLM && !arrs[3])) return;
    for (int a = 0; a < 4; a++) {
        if (!arrs[a]) continue;
        for (int r = 1; r < rows; r++)
            memmove(arrs[a] + (size_t)r * L, arrs[a] + (size_t)r * S, sizeof(int32_t) * (size_t)L);
    }
    b->seq = L;
}
