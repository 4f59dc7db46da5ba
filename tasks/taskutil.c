/* Shared pieces of the task loaders (see taskutil.h). */
#include "taskutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pb_error.h"

int pb_path_join(char *out, size_t cap, const char *dir, const char *name) {
    int n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap) return PB_ERR(PB_ERANGE, "path '%s/%s' too long", dir, name);
    return 0;
}

int pb_path_is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int pb_path_is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int pb_lines_open(pb_lines *l, const char *path) {
    memset(l, 0, sizeof *l);
    l->path = path;
    FILE *f = fopen(path, "rb");
    if (!f) return PB_ERR(PB_EIO, "cannot open '%s': %s", path, strerror(errno));
    size_t cap = 0;
    int rc = 0;
    for (;;) {
        if (l->len + 1 >= cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(l->buf, cap);
            if (!nb) {
                rc = PB_ERR(PB_ENOMEM, "reading '%s'", path);
                break;
            }
            l->buf = nb;
        }
        size_t r = fread(l->buf + l->len, 1, cap - 1 - l->len, f);
        l->len += r;
        if (r == 0) break;
    }
    if (rc == 0 && ferror(f)) rc = PB_ERR(PB_EIO, "read error in '%s'", path);
    fclose(f);
    if (rc < 0) {
        free(l->buf);
        memset(l, 0, sizeof *l);
        return rc;
    }
    l->buf[l->len] = '\0';
    return 0;
}

int pb_lines_next(pb_lines *l, char **line, size_t *len) {
    if (l->pos >= l->len) return 0;
    char *b = l->buf + l->pos, *nl = memchr(b, '\n', l->len - l->pos);
    size_t n = nl ? (size_t)(nl - b) : l->len - l->pos;
    l->pos += n + (nl != NULL);
    if (n && b[n - 1] == '\r') n--;
    b[n] = '\0';
    l->line++;
    *line = b;
    if (len) *len = n;
    return 1;
}

void pb_lines_close(pb_lines *l) {
    free(l->buf);
    memset(l, 0, sizeof *l);
}

int pb_split_tabs(char *line, char **fields, int max) {
    int n = 0;
    char *p = line;
    for (;;) {
        char *t = strchr(p, '\t');
        if (n < max) fields[n] = p;
        n++;
        if (!t) break;
        *t = '\0';
        p = t + 1;
    }
    return n;
}

int pb_json_load(const char *path, json_t **out) {
    json_error_t je;
    *out = json_load_file(path, 0, &je);
    if (*out) return 0;
    if (!pb_path_is_file(path)) return PB_ERR(PB_EIO, "cannot open '%s'", path);
    return PB_ERR(PB_EFORMAT, "%s:%d:%d: %s", path, je.line, je.column, je.text);
}

int pb_json_line(const char *path, long line, const char *text, size_t len, json_t **out) {
    json_error_t je;
    *out = json_loadb(text, len, 0, &je);
    if (*out) return 0;
    return PB_ERR(PB_EFORMAT, "%s:%ld:%d: %s", path, line, je.column, je.text);
}

void pb_rowstore_init(pb_rowstore *s, int seq, int32_t pad_id) {
    memset(s, 0, sizeof *s);
    s->seq = seq;
    s->pad_id = pad_id;
}

void pb_rowstore_free(pb_rowstore *s) {
    free(s->start);
    free(s->ids);
    free(s->types);
    memset(s, 0, sizeof *s);
}

int pb_rowstore_push(pb_rowstore *s, const pb_encoding *e) {
    if (e->max_len > s->seq || e->n_tokens > e->max_len)
        return PB_ERR(PB_ERANGE, "row of %d tokens exceeds the store's length %d", e->n_tokens, s->seq);
    if (s->n + 2 > s->cap) {
        long nc = s->cap ? s->cap * 2 : 1024;
        size_t *ns = realloc(s->start, sizeof *ns * (size_t)nc);
        if (!ns) return PB_ERR(PB_ENOMEM, "row store of %ld rows", nc);
        s->start = ns;
        s->cap = nc;
        if (s->n == 0) s->start[0] = 0;
    }
    const size_t k = (size_t)e->n_tokens;
    if (s->n_tok + k > s->cap_tok) {
        size_t nc = s->cap_tok ? s->cap_tok * 2 : 65536;
        while (nc < s->n_tok + k) nc *= 2;
        int32_t *ni = realloc(s->ids, sizeof *ni * nc);
        if (!ni) return PB_ERR(PB_ENOMEM, "row store of %zu tokens", nc);
        s->ids = ni;
        uint8_t *nt = realloc(s->types, nc);
        if (!nt) return PB_ERR(PB_ENOMEM, "row store of %zu tokens", nc);
        s->types = nt;
        s->cap_tok = nc;
    }
    memcpy(s->ids + s->n_tok, e->input_ids, sizeof(int32_t) * k);
    for (size_t i = 0; i < k; i++) s->types[s->n_tok + i] = (uint8_t)e->token_type_ids[i];
    s->n_tok += k;
    s->n++;
    s->start[s->n] = s->n_tok;
    return 0;
}

void pb_rowstore_fill_row(const pb_rowstore *s, long r, int32_t *ids, int32_t *mask, int32_t *types) {
    const size_t b = s->start[r], k = s->start[r + 1] - b;
    for (size_t i = 0; i < (size_t)s->seq; i++) {
        const int in = i < k;
        ids[i] = in ? s->ids[b + i] : s->pad_id;
        mask[i] = in;
        types[i] = in ? s->types[b + i] : 0;
    }
}

int pb_argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

int pb_path_mkdir_p(const char *dir) {
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s", dir);
    if (n < 0 || (size_t)n >= sizeof tmp) return PB_ERR(PB_ERANGE, "path '%s' too long", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return PB_ERR(PB_EIO, "cannot create '%s': %s", tmp, strerror(errno));
            *p = '/';
        }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return PB_ERR(PB_EIO, "cannot create '%s': %s", tmp, strerror(errno));
    return 0;
}
