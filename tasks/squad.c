/* SQuAD v1.1 / v2.0 loader, features and post-processing (see squad.h for
 * the rules and where they come from). Each paragraph's context is tokenized
 * once; a feature is (question, first context token, token count), and rows
 * are assembled with the pair template on fill, so no padded copy of a split
 * is kept. */
#include "squad.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "pb_error.h"
#include "taskutil.h"
#include "tok.h"

typedef struct {
    char *text;
    size_t len;
    size_t tok0; /* into the split's context token pool */
    int32_t ntok;
} sq_para;

typedef struct {
    char *id;
    size_t para;
    size_t q0; /* into the question token pool */
    int nq;
    int32_t ans_b, ans_e; /* byte span of the first answer; -1: none (label [CLS]) */
    size_t g0;            /* into golds */
    int ng;
    int has_ans; /* bool(qa["answers"]) */
    size_t f0;   /* first feature */
    int nf;
} sq_ex;

typedef struct {
    size_t ex;
    int32_t tok0, ntok; /* context tokens of the window, relative to the paragraph */
    int32_t start, end;
    int32_t window;
} sq_feat;

typedef struct {
    sq_para *paras;
    size_t n_paras, cap_paras;
    sq_ex *exs;
    size_t n_ex, cap_ex;
    sq_feat *feats;
    size_t n_feat, cap_feat;
    int32_t *c_ids, *c_offs;
    size_t n_c, cap_c, cap_co;
    int32_t *q_ids;
    size_t n_q, cap_q;
    char **golds;
    size_t n_g, cap_g;
    long mismatched;
} sq_split;

typedef struct {
    int v2, seq, stride, max_query;
    pb_pair_template tpl;
    int n_special; /* template tokens around a pair */
    int ctx_base;  /* row position of the context = ctx_base + question tokens */
    sq_split sp[2];
} sq_ctx;

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < need) nc *= 2;
    void *q = realloc(*p, nc * elem);
    if (!q) return PB_ERR(PB_ENOMEM, "squad: %zu items", nc);
    *p = q;
    *cap = nc;
    return 0;
}

static void split_free(sq_split *s) {
    for (size_t i = 0; i < s->n_paras; i++) free(s->paras[i].text);
    for (size_t i = 0; i < s->n_ex; i++) free(s->exs[i].id);
    for (size_t i = 0; i < s->n_g; i++) free(s->golds[i]);
    free(s->paras);
    free(s->exs);
    free(s->feats);
    free(s->c_ids);
    free(s->c_offs);
    free(s->q_ids);
    free(s->golds);
    memset(s, 0, sizeof *s);
}

static void sq_free(void *ctx) {
    sq_ctx *c = ctx;
    if (!c) return;
    split_free(&c->sp[0]);
    split_free(&c->sp[1]);
    free(c);
}

static char *dup_str(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static size_t utf8_chars(const char *s, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

/* Byte offset of character `ch` of s (n bytes); n when ch is the end. */
static size_t char_to_byte(const char *s, size_t n, size_t ch) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (k == ch) return i;
            k++;
        }
    return n;
}

/* Windows of one question over its paragraph's tokens (HF's overflow with
 * stride), with their labels. */
static int add_windows(sq_ctx *c, sq_split *s, size_t ex, const char *path, const char *where) {
    sq_ex *e = &s->exs[ex];
    const sq_para *p = &s->paras[e->para];
    const int L = c->seq - e->nq - c->n_special;
    if (L <= 0)
        return PB_ERR(PB_ERANGE, "%s: %s: a question of %d tokens leaves no room for context in max_seq_length %d",
                      path, where, e->nq, c->seq);
    if (p->ntok > L && c->stride >= L)
        return PB_ERR(PB_EINVAL,
                      "%s: %s: doc_stride %d must be below the %d context tokens a window of max_seq_length %d holds",
                      path, where, c->stride, L, c->seq);
    const int32_t *offs = s->c_offs + 2 * p->tok0;
    const int step = L - c->stride;
    e->f0 = s->n_feat;
    e->nf = 0;
    for (int32_t start = 0;; start += step) {
        const int32_t stop = start + L < p->ntok ? start + L : p->ntok;
        PB_TRY(grow((void **)&s->feats, &s->cap_feat, s->n_feat + 1, sizeof *s->feats));
        sq_feat *f = &s->feats[s->n_feat++];
        f->ex = ex;
        f->tok0 = start;
        f->ntok = stop - start;
        f->window = e->nf++;
        f->start = f->end = 0;
        if (e->ans_b >= 0 && offs[2 * start] <= e->ans_b && offs[2 * (stop - 1) + 1] >= e->ans_e) {
            int32_t ts = start, te = stop - 1;
            while (ts + 1 < stop && offs[2 * (ts + 1)] <= e->ans_b) ts++;
            while (te - 1 >= start && offs[2 * (te - 1) + 1] >= e->ans_e) te--;
            const int32_t pos = c->ctx_base + e->nq - start;
            f->start = pos + ts;
            f->end = pos + te;
        }
        if (stop == p->ntok) break;
    }
    return 0;
}

static int add_question(sq_ctx *c, const pb_tok *tok, sq_split *s, int train, json_t *qa, const char *path,
                        const char *where) {
    const sq_para *p = &s->paras[s->n_paras - 1];
    json_t *id = json_is_object(qa) ? json_object_get(qa, "id") : NULL;
    if (!json_is_string(id)) return PB_ERR(PB_EFORMAT, "%s: %s: expected a string \"id\"", path, where);
    const char *qid = json_string_value(id);
    json_t *q = json_object_get(qa, "question"), *answers = json_object_get(qa, "answers");
    if (!json_is_string(q))
        return PB_ERR(PB_EFORMAT, "%s: %s (id '%s'): expected a string \"question\"", path, where, qid);
    if (!json_is_array(answers))
        return PB_ERR(PB_EFORMAT, "%s: %s (id '%s'): expected an array \"answers\"", path, where, qid);
    json_t *imp = json_object_get(qa, "is_impossible");
    if (imp && !json_is_boolean(imp))
        return PB_ERR(PB_EFORMAT, "%s: %s (id '%s'): \"is_impossible\" must be true or false", path, where, qid);
    PB_TRY(grow((void **)&s->exs, &s->cap_ex, s->n_ex + 1, sizeof *s->exs));
    sq_ex *e = &s->exs[s->n_ex];
    memset(e, 0, sizeof *e);
    e->para = s->n_paras - 1;
    e->ans_b = e->ans_e = -1;
    e->id = dup_str(qid, strlen(qid));
    if (!e->id) return PB_ERR(PB_ENOMEM, "squad: question id");
    s->n_ex++; /* owned from here on */
    /* question: left-stripped (str.lstrip), cut to max_query_length tokens */
    const char *qt = json_string_value(q);
    size_t qlen = json_string_length(q), skip = 0;
    while (skip < qlen) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)qt + skip, (utf8proc_ssize_t)(qlen - skip), &cp);
        if (k <= 0 || !pb_squad_py_space(cp)) break;
        skip += (size_t)k;
    }
    int32_t *ids = NULL;
    size_t nq = 0;
    PB_TRY(pb_tok_encode(tok, qt + skip, qlen - skip, &ids, &nq, NULL));
    if (nq > (size_t)c->max_query) nq = (size_t)c->max_query;
    int rc = grow((void **)&s->q_ids, &s->cap_q, s->n_q + nq, sizeof *s->q_ids);
    if (rc == 0 && nq) memcpy(s->q_ids + s->n_q, ids, nq * sizeof *ids);
    free(ids);
    PB_TRY(rc);
    e->q0 = s->n_q;
    e->nq = (int)nq;
    s->n_q += nq;
    /* gold texts, and the first answer's byte span */
    size_t g;
    json_t *ans;
    e->g0 = s->n_g;
    PB_TRY(grow((void **)&s->golds, &s->cap_g, s->n_g + json_array_size(answers), sizeof *s->golds));
    json_array_foreach(answers, g, ans) {
        json_t *t = json_is_object(ans) ? json_object_get(ans, "text") : NULL;
        if (!json_is_string(t))
            return PB_ERR(PB_EFORMAT, "%s: %s.answers[%zu] (id '%s'): expected a string \"text\"", path, where, g, qid);
        s->golds[s->n_g] = dup_str(json_string_value(t), json_string_length(t));
        if (!s->golds[s->n_g]) return PB_ERR(PB_ENOMEM, "squad: answer text");
        s->n_g++;
        e->ng++;
    }
    e->has_ans = json_array_size(answers) > 0;
    const int impossible = json_is_true(imp);
    if (e->has_ans && !impossible) {
        json_t *a0 = json_array_get(answers, 0), *st = json_object_get(a0, "answer_start");
        json_t *t0 = json_object_get(a0, "text");
        const size_t nchars = utf8_chars(json_string_value(t0), json_string_length(t0));
        const size_t ctx_chars = utf8_chars(p->text, p->len);
        if (!json_is_integer(st)) {
            if (train)
                return PB_ERR(PB_EFORMAT, "%s: %s.answers[0] (id '%s'): expected an integer \"answer_start\"", path,
                              where, qid);
        } else if (json_integer_value(st) < 0 || (size_t)json_integer_value(st) + nchars > ctx_chars) {
            if (train)
                return PB_ERR(PB_ERANGE,
                              "%s: %s.answers[0] (id '%s'): answer_start %lld + %zu characters is outside the "
                              "context of %zu characters",
                              path, where, qid, (long long)json_integer_value(st), nchars, ctx_chars);
        } else { /* characters -> bytes; trust answer_start and the length as run_qa.py does */
            const size_t cs = (size_t)json_integer_value(st);
            const size_t b = char_to_byte(p->text, p->len, cs), en = char_to_byte(p->text, p->len, cs + nchars);
            e->ans_b = (int32_t)b;
            e->ans_e = (int32_t)en;
            if (en - b != json_string_length(t0) || memcmp(p->text + b, json_string_value(t0), en - b) != 0)
                s->mismatched++;
        }
    }
    return add_windows(c, s, s->n_ex - 1, path, where);
}

static int add_paragraph(sq_ctx *c, const pb_tok *tok, sq_split *s, int train, json_t *par, const char *path,
                         const char *where) {
    json_t *ctx = json_is_object(par) ? json_object_get(par, "context") : NULL;
    json_t *qas = json_is_object(par) ? json_object_get(par, "qas") : NULL;
    if (!json_is_string(ctx)) return PB_ERR(PB_EFORMAT, "%s: %s: expected a string \"context\"", path, where);
    if (!json_is_array(qas)) return PB_ERR(PB_EFORMAT, "%s: %s: expected an array \"qas\"", path, where);
    PB_TRY(grow((void **)&s->paras, &s->cap_paras, s->n_paras + 1, sizeof *s->paras));
    sq_para *p = &s->paras[s->n_paras];
    p->len = json_string_length(ctx);
    p->text = dup_str(json_string_value(ctx), p->len);
    if (!p->text) return PB_ERR(PB_ENOMEM, "squad: context");
    s->n_paras++;
    int32_t *ids = NULL, *offs = NULL;
    size_t n = 0;
    PB_TRY(pb_tok_encode(tok, p->text, p->len, &ids, &n, &offs));
    int rc = n == 0 ? PB_ERR(PB_EFORMAT, "%s: %s: the context has no tokens", path, where) : 0;
    if (rc == 0 && n > INT32_MAX / 2) rc = PB_ERR(PB_ERANGE, "%s: %s: context of %zu tokens", path, where, n);
    if (rc == 0) rc = grow((void **)&s->c_ids, &s->cap_c, s->n_c + n, sizeof *s->c_ids);
    if (rc == 0) rc = grow((void **)&s->c_offs, &s->cap_co, 2 * (s->n_c + n), sizeof *s->c_offs);
    if (rc == 0) {
        memcpy(s->c_ids + s->n_c, ids, n * sizeof *ids);
        memcpy(s->c_offs + 2 * s->n_c, offs, 2 * n * sizeof *offs);
        p->tok0 = s->n_c;
        p->ntok = (int32_t)n;
        s->n_c += n;
    }
    free(ids);
    free(offs);
    PB_TRY(rc);
    size_t k;
    json_t *qa;
    char w[192];
    json_array_foreach(qas, k, qa) {
        snprintf(w, sizeof w, "%s.qas[%zu]", where, k);
        PB_TRY(add_question(c, tok, s, train, qa, path, w));
    }
    return 0;
}

static int load_split(sq_ctx *c, const pb_tok *tok, const char *path, int train, sq_split *s) {
    if (!pb_path_is_file(path)) return PB_ERR(PB_EIO, "squad: missing %s file '%s'", train ? "training" : "dev", path);
    json_t *root;
    PB_TRY(pb_json_load(path, &root));
    json_t *data = json_is_object(root) ? json_object_get(root, "data") : NULL;
    int rc = json_is_array(data) ? 0 : PB_ERR(PB_EFORMAT, "%s: expected an array \"data\" at the top level", path);
    size_t i, j;
    json_t *art, *par;
    char where[160];
    if (rc == 0) json_array_foreach(data, i, art) {
            json_t *pars = json_is_object(art) ? json_object_get(art, "paragraphs") : NULL;
            if (!json_is_array(pars)) {
                rc = PB_ERR(PB_EFORMAT, "%s: data[%zu]: expected an array \"paragraphs\"", path, i);
                break;
            }
            json_array_foreach(pars, j, par) {
                snprintf(where, sizeof where, "data[%zu].paragraphs[%zu]", i, j);
                if ((rc = add_paragraph(c, tok, s, train, par, path, where)) < 0) break;
            }
            if (rc < 0) break;
        }
    if (rc == 0 && s->n_ex == 0) rc = PB_ERR(PB_EFORMAT, "%s: no questions in \"data\"", path);
    json_decref(root);
    return rc;
}

static long sq_count(void *ctx, int split) {
    const sq_ctx *c = ctx;
    return split == PB_SPLIT_TRAIN || split == PB_SPLIT_DEV ? (long)c->sp[split].n_feat : 0;
}

static int sq_fill(void *ctx, int split, const long *idx, int n, pb_batch_buf *bb) {
    const sq_ctx *c = ctx;
    const long cnt = sq_count(ctx, split);
    if (n > bb->cap_rows || c->seq > bb->cap_seq)
        return PB_ERR(PB_ERANGE, "squad: %d features of %d tokens exceed the batch buffer %d x %d", n, c->seq,
                      bb->cap_rows, bb->cap_seq);
    const sq_split *s = &c->sp[split == PB_SPLIT_DEV];
    for (int r = 0; r < n; r++) {
        if (idx[r] < 0 || idx[r] >= cnt)
            return PB_ERR(PB_ERANGE, "squad: feature %ld outside split %d of %ld", idx[r], split, cnt);
        const sq_feat *f = &s->feats[idx[r]];
        const sq_ex *e = &s->exs[f->ex];
        const sq_para *p = &s->paras[e->para];
        pb_encoding enc;
        /* an empty (whitespace) question has no tokens; when no question of the
         * split has any, the pool is NULL and must not be offset */
        const int32_t *q = e->nq ? s->q_ids + e->q0 : NULL;
        PB_TRY(pb_encoding_build(&c->tpl, q, NULL, (size_t)e->nq, s->c_ids + p->tok0 + f->tok0, NULL, (size_t)f->ntok,
                                 1, c->seq, PB_TRUNC_ONLY_SECOND, "squad", &enc));
        const size_t o = (size_t)r * (size_t)c->seq, sz = sizeof(int32_t) * (size_t)c->seq;
        memcpy(bb->input_ids + o, enc.input_ids, sz);
        memcpy(bb->attention_mask + o, enc.attention_mask, sz);
        memcpy(bb->token_type_ids + o, enc.token_type_ids, sz);
        bb->start_positions[r] = f->start;
        bb->end_positions[r] = f->end;
        pb_encoding_free(&enc);
    }
    bb->b = (pb_batch){.n = n,
                       .choices = 1,
                       .seq = c->seq,
                       .input_ids = bb->input_ids,
                       .attention_mask = bb->attention_mask,
                       .token_type_ids = bb->token_type_ids,
                       .start_positions = bb->start_positions,
                       .end_positions = bb->end_positions};
    return 0;
}

/* The k largest of x[0], x[stride], ... (n values), largest first; equal
 * values: the later index first (a stable ascending argsort, reversed). */
static int top_k(const float *x, int stride, int n, int k, int *out) {
    float val[PB_SQUAD_N_BEST];
    int cnt = 0;
    for (int i = 0; i < n; i++) {
        const float v = x[(size_t)i * (size_t)stride];
        if (cnt == k && !(v >= val[cnt - 1])) continue;
        int p = cnt < k ? cnt : k - 1;
        while (p > 0 && v >= val[p - 1]) {
            val[p] = val[p - 1];
            out[p] = out[p - 1];
            p--;
        }
        val[p] = v;
        out[p] = i;
        if (cnt < k) cnt++;
    }
    return cnt;
}

/* One question's answer as a byte range of its context; b < 0: a fixed
 * string (-1 "empty", -2 ""). */
static void best_span(const sq_ctx *c, const sq_split *s, const sq_ex *e, const float *logits, int32_t *b_out,
                      int32_t *e_out) {
    int found = 0;
    float best = 0, best_s = 0, best_e = 0, min_null = 0;
    int32_t bb = 0, be = 0;
    const int32_t *offs = s->c_offs + 2 * s->paras[e->para].tok0;
    for (int j = 0; j < e->nf; j++) {
        const sq_feat *f = &s->feats[e->f0 + (size_t)j];
        const float *L = logits + (e->f0 + (size_t)j) * (size_t)c->seq * 2;
        const float null = L[0] + L[1];
        if (j == 0 || min_null > null) min_null = null;
        int si[PB_SQUAD_N_BEST], ei[PB_SQUAD_N_BEST];
        const int ns = top_k(L, 2, c->seq, PB_SQUAD_N_BEST, si), ne = top_k(L + 1, 2, c->seq, PB_SQUAD_N_BEST, ei);
        const int lo = c->ctx_base + e->nq, hi = lo + f->ntok; /* context positions [lo, hi) */
        for (int a = 0; a < ns; a++) {
            if (si[a] < lo || si[a] >= hi) continue;
            for (int z = 0; z < ne; z++) {
                if (ei[z] < lo || ei[z] >= hi || ei[z] < si[a] || ei[z] - si[a] + 1 > PB_SQUAD_MAX_ANSWER) continue;
                const float score = L[2 * si[a]] + L[2 * ei[z] + 1];
                if (found && !(score > best)) continue; /* the first of equal scores, as a stable sort */
                found = 1;
                best = score;
                best_s = L[2 * si[a]];
                best_e = L[2 * ei[z] + 1];
                bb = offs[2 * (f->tok0 + si[a] - lo)];
                be = offs[2 * (f->tok0 + ei[z] - lo) + 1];
            }
        }
    }
    if (c->v2) { /* utils_qa.py: score_diff = null_score - start_logit - end_logit ("empty" scores 0, 0) */
        const float diff = found ? min_null - best_s - best_e : min_null;
        if (diff > 0.0f) {
            *b_out = -2;
            return;
        }
    }
    *b_out = found ? bb : -1;
    *e_out = found ? be : -1;
}

static int predict_split(const sq_ctx *c, int split, const float *logits, const char ***answers) {
    *answers = NULL;
    if (split != PB_SPLIT_TRAIN && split != PB_SPLIT_DEV)
        return PB_ERR(PB_EINVAL, "squad: split %d has no examples (there is no test split)", split);
    const sq_split *s = &c->sp[split];
    if (s->n_ex == 0) return PB_ERR(PB_EINVAL, "squad: split %d has no examples", split);
    int32_t *r = malloc(sizeof(int32_t) * 2 * s->n_ex);
    if (!r) return PB_ERR(PB_ENOMEM, "squad: predictions");
    size_t text = 0;
    for (size_t i = 0; i < s->n_ex; i++) {
        best_span(c, s, &s->exs[i], logits, &r[2 * i], &r[2 * i + 1]);
        if (r[2 * i] >= 0) text += (size_t)(r[2 * i + 1] - r[2 * i]) + 1;
    }
    /* one block: the pointer array, then the answer texts */
    char *blk = malloc(sizeof(char *) * s->n_ex + text + 1);
    if (!blk) {
        free(r);
        return PB_ERR(PB_ENOMEM, "squad: predictions");
    }
    const char **ptr = (const char **)(void *)blk;
    char *w = blk + sizeof(char *) * s->n_ex;
    for (size_t i = 0; i < s->n_ex; i++) {
        const int32_t b = r[2 * i], en = r[2 * i + 1];
        if (b == -1) {
            ptr[i] = "empty"; /* utils_qa.py's stand-in when no span is valid */
        } else if (b < 0) {
            ptr[i] = "";
        } else {
            const size_t n = en > b ? (size_t)(en - b) : 0;
            memcpy(w, s->paras[s->exs[i].para].text + b, n);
            w[n] = '\0';
            ptr[i] = w;
            w += n + 1;
        }
    }
    free(r);
    *answers = ptr;
    return 0;
}

static int sq_evaluate(void *ctx, int split, const float *logits, pb_metrics *out) {
    const sq_ctx *c = ctx;
    const char **ans;
    PB_TRY(predict_split(c, split, logits, &ans));
    const sq_split *s = &c->sp[split];
    pb_squad_acc acc;
    memset(&acc, 0, sizeof acc);
    acc.v2 = c->v2;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->n_ex; i++) {
        const sq_ex *e = &s->exs[i];
        const char *const *golds = e->ng ? (const char *const *)(s->golds + e->g0) : NULL; /* pool NULL when empty */
        rc = pb_squad_acc_add(&acc, e->id, ans[i], golds, e->ng, e->has_ans);
    }
    free(ans);
    if (rc == 0) rc = pb_squad_acc_metrics(&acc, out);
    return rc;
}

static const sq_ctx *ctx_of(const pb_data_source *ds) {
    return ds && ds->evaluate == sq_evaluate ? ds->ctx : NULL;
}

int pb_squad_predict(const pb_data_source *ds, int split, const float *logits, const char ***answers) {
    const sq_ctx *c = ctx_of(ds);
    if (!c) return PB_ERR(PB_EINVAL, "not a SQuAD data source");
    return predict_split(c, split, logits, answers);
}

int pb_squad_predictions_json(const pb_data_source *ds, int split, const float *logits, char **json_out) {
    *json_out = NULL;
    const char **ans;
    PB_TRY(pb_squad_predict(ds, split, logits, &ans));
    const sq_split *s = &ctx_of(ds)->sp[split];
    json_t *o = json_object();
    int rc = o ? 0 : PB_ERR(PB_ENOMEM, "squad: predictions");
    for (size_t i = 0; rc == 0 && i < s->n_ex; i++)
        if (json_object_set_new(o, s->exs[i].id, json_string(ans[i])) != 0)
            rc = PB_ERR(PB_ENOMEM, "squad: predictions");
    char *txt = rc == 0 ? json_dumps(o, JSON_INDENT(4) | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER) : NULL;
    if (rc == 0 && !txt) rc = PB_ERR(PB_ENOMEM, "squad: predictions");
    if (rc == 0) { /* HF writes json.dumps(..., indent=4) + "\n" */
        const size_t n = strlen(txt);
        *json_out = malloc(n + 2);
        if (*json_out) {
            memcpy(*json_out, txt, n);
            memcpy(*json_out + n, "\n", 2);
        } else {
            rc = PB_ERR(PB_ENOMEM, "squad: predictions");
        }
    }
    free(txt);
    json_decref(o);
    free(ans);
    return rc;
}

int pb_squad_info_get(const pb_data_source *ds, pb_squad_info *out) {
    const sq_ctx *c = ctx_of(ds);
    if (!c) return PB_ERR(PB_EINVAL, "not a SQuAD data source");
    out->v2 = c->v2;
    for (int i = 0; i < 2; i++) {
        out->examples[i] = (long)c->sp[i].n_ex;
        out->features[i] = (long)c->sp[i].n_feat;
        out->mismatched[i] = c->sp[i].mismatched;
    }
    return 0;
}

int pb_squad_feature_get(const pb_data_source *ds, int split, long f, pb_squad_feature *out) {
    const sq_ctx *c = ctx_of(ds);
    if (!c) return PB_ERR(PB_EINVAL, "not a SQuAD data source");
    if (f < 0 || f >= sq_count(ds->ctx, split))
        return PB_ERR(PB_ERANGE, "squad: feature %ld outside split %d", f, split);
    const sq_split *s = &c->sp[split];
    const sq_feat *x = &s->feats[f];
    *out = (pb_squad_feature){.example = (long)x->ex,
                              .window = x->window,
                              .tok_begin = x->tok0,
                              .n_tok = x->ntok,
                              .ctx_pos = c->ctx_base + s->exs[x->ex].nq,
                              .start = x->start,
                              .end = x->end};
    return 0;
}

int pb_task_squad_open(const char *name, const pb_task_opts *opts, pb_data_source *out) {
    memset(out, 0, sizeof *out);
    const int v2 = name && strcmp(name, "squad_v2") == 0;
    if (!v2 && !(name && strcmp(name, "squad") == 0))
        return PB_ERR(PB_EINVAL, "squad: unknown task '%s' (squad, squad_v2)", name ? name : "(null)");
    if (!opts || !opts->data_dir) return PB_ERR(PB_EINVAL, "%s: data_dir is required", name);
    if (!opts->tokenizer) return PB_ERR(PB_EINVAL, "%s: a tokenizer is required", name);
    const int seq = opts->max_seq_length ? opts->max_seq_length : PB_SQUAD_DEFAULT_SEQ;
    const int stride = opts->doc_stride ? opts->doc_stride : PB_SQUAD_DEFAULT_STRIDE;
    const int mq = opts->max_query_length ? opts->max_query_length : PB_SQUAD_DEFAULT_QUERY;
    if (seq < 8 || seq > 4096) return PB_ERR(PB_EINVAL, "%s: max_seq_length %d outside [8, 4096]", name, seq);
    if (stride < 0 || mq < 0)
        return PB_ERR(PB_EINVAL, "%s: doc_stride %d and max_query_length %d must not be negative", name, stride, mq);
    char train[4096], dev[4096];
    PB_TRY(pb_path_join(train, sizeof train, opts->data_dir, v2 ? "train-v2.0.json" : "train-v1.1.json"));
    PB_TRY(pb_path_join(dev, sizeof dev, opts->data_dir, v2 ? "dev-v2.0.json" : "dev-v1.1.json"));
    if (!pb_path_is_file(train)) return PB_ERR(PB_EIO, "%s: missing training file '%s'", name, train);
    if (!pb_path_is_file(dev)) return PB_ERR(PB_EIO, "%s: missing dev file '%s'", name, dev);
    sq_ctx *c = calloc(1, sizeof *c);
    if (!c) return PB_ERR(PB_ENOMEM, "%s", name);
    c->v2 = v2;
    c->seq = seq;
    c->stride = stride;
    c->max_query = mq;
    pb_tok *tok = NULL;
    int rc = pb_tok_load(&tok, opts->tokenizer);
    if (rc == 0) {
        c->tpl = *pb_tok_template(tok);
        c->ctx_base = 1 + c->tpl.n_after_a + c->tpl.n_between;
        c->n_special = c->ctx_base + c->tpl.n_after_b;
        rc = load_split(c, tok, train, 1, &c->sp[0]);
    }
    if (rc == 0) rc = load_split(c, tok, dev, 0, &c->sp[1]);
    if (rc == 0) {
        out->vocab_size = pb_tok_vocab_size(tok);
        out->ctx = c;
        out->name = v2 ? "squad_v2" : "squad";
        out->head = PB_HEAD_SPAN;
        out->num_labels = 2;
        out->choices = 1;
        out->seq = seq;
        out->count = sq_count;
        out->fill = sq_fill;
        out->evaluate = sq_evaluate;
        out->free = sq_free;
    } else {
        sq_free(c);
    }
    pb_tok_free(tok);
    return rc;
}
