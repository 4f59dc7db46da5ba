/* One tokenizer interface over WordPiece and byte-level BPE (see tok.h). */
#include "tok.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpe.h"
#include "pb_error.h"
#include "taskutil.h"

enum { TOK_MAX_FILES = 3 };

struct pb_tok {
    pb_tok_kind kind;
    pb_tokenizer *wp;
    pb_bpe *bpe;
    int32_t special[PB_TOK_N_SPECIAL];
    pb_pair_template tpl;
    int n_files;
    char *files[TOK_MAX_FILES]; /* source files, for export */
};

static int add_file(pb_tok *t, const char *path) {
    if (t->n_files >= TOK_MAX_FILES) return PB_ERR(PB_EINVAL, "tokenizer: too many source files");
    t->files[t->n_files] = strdup(path);
    if (!t->files[t->n_files]) return PB_ERR(PB_ENOMEM, "tokenizer path");
    t->n_files++;
    return 0;
}

/* model.type of a tokenizer.json ("WordPiece", "BPE", ...), copied into type. */
static int json_model_type(const char *path, char *type, size_t cap) {
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        if (!pb_path_is_file(path)) return PB_ERR(PB_EIO, "%s: cannot open", path);
        return PB_ERR(PB_EFORMAT, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    }
    const char *s = json_string_value(json_object_get(json_object_get(root, "model"), "type"));
    int rc = 0;
    if (!s) rc = PB_ERR(PB_EFORMAT, "%s: no model.type; expected \"WordPiece\" or \"BPE\"", path);
    else snprintf(type, cap, "%s", s);
    json_decref(root);
    return rc;
}

/* tokenizer_config.json's do_lower_case for a bare vocab.txt (absent: keep the default). */
static int folder_lowercase(const char *dir, int *lower) {
    char p[4096];
    snprintf(p, sizeof p, "%s/tokenizer_config.json", dir);
    if (!pb_path_is_file(p)) return 0;
    json_error_t je;
    json_t *root = json_load_file(p, 0, &je);
    if (!root) return PB_ERR(PB_EFORMAT, "%s:%d:%d: %s", p, je.line, je.column, je.text);
    json_t *v = json_object_get(root, "do_lower_case");
    if (json_is_boolean(v)) *lower = json_is_true(v);
    json_decref(root);
    return 0;
}

static int load_parts(pb_tok *t, const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return PB_ERR(PB_EIO, "tokenizer '%s': %s", path, strerror(errno));
    char p[4096], q[4096];
    if (S_ISDIR(st.st_mode)) {
        snprintf(p, sizeof p, "%s/tokenizer.json", path);
        if (pb_path_is_file(p)) return load_parts(t, p);
        snprintf(p, sizeof p, "%s/vocab.txt", path);
        if (pb_path_is_file(p)) {
            int lower = 1;
            PB_TRY(folder_lowercase(path, &lower));
            PB_TRY(load_parts(t, p));
            if (!lower) pb_tokenizer_set_case(t->wp, 0, 0);
            return 0;
        }
        snprintf(p, sizeof p, "%s/vocab.json", path);
        snprintf(q, sizeof q, "%s/merges.txt", path);
        if (pb_path_is_file(p) && pb_path_is_file(q)) {
            t->kind = PB_TOK_BPE;
            PB_TRY(pb_bpe_load(&t->bpe, p, q));
            PB_TRY(add_file(t, p));
            return add_file(t, q);
        }
        return PB_ERR(PB_ENOTFOUND, "folder '%s' has no tokenizer: expected tokenizer.json, vocab.txt, or vocab.json with merges.txt",
                      path);
    }
    size_t n = strlen(path);
    if (n >= 5 && strcmp(path + n - 5, ".json") == 0) {
        char type[64];
        PB_TRY(json_model_type(path, type, sizeof type));
        if (strcmp(type, "BPE") == 0) {
            t->kind = PB_TOK_BPE;
            PB_TRY(pb_bpe_load_json(&t->bpe, path));
        } else if (strcmp(type, "WordPiece") == 0) {
            t->kind = PB_TOK_WORDPIECE;
            PB_TRY(pb_tokenizer_load(&t->wp, path));
        } else return PB_ERR(PB_EFORMAT, "%s: model.type '%s'; expected \"WordPiece\" or \"BPE\"", path, type);
        return add_file(t, path);
    }
    t->kind = PB_TOK_WORDPIECE;
    PB_TRY(pb_tokenizer_load(&t->wp, path));
    return add_file(t, path);
}

static int32_t lookup(const pb_tok *t, const char *wp_name, const char *bpe_name) {
    return t->kind == PB_TOK_WORDPIECE ? pb_tokenizer_token_id(t->wp, wp_name) : pb_bpe_token_id(t->bpe, bpe_name);
}

int pb_tok_load(pb_tok **out, const char *path) {
    if (!out || !path) return PB_ERR(PB_EINVAL, "pb_tok_load: NULL argument");
    *out = NULL;
    pb_tok *t = calloc(1, sizeof *t);
    if (!t) return PB_ERR(PB_ENOMEM, "tokenizer");
    int rc = load_parts(t, path);
    if (rc < 0) {
        pb_tok_free(t);
        return rc;
    }
    t->special[PB_TOK_CLS] = lookup(t, "[CLS]", "<s>");
    t->special[PB_TOK_SEP] = lookup(t, "[SEP]", "</s>");
    t->special[PB_TOK_PAD] = lookup(t, "[PAD]", "<pad>");
    t->special[PB_TOK_MASK] = lookup(t, "[MASK]", "<mask>");
    t->special[PB_TOK_UNK] = lookup(t, "[UNK]", "<unk>");
    const int32_t cls = t->special[PB_TOK_CLS], sep = t->special[PB_TOK_SEP], pad = t->special[PB_TOK_PAD];
    if (cls < 0 || sep < 0 || pad < 0) {
        rc = PB_ERR(PB_EFORMAT, "tokenizer '%s': vocabulary lacks %s", path,
                    t->kind == PB_TOK_WORDPIECE ? "[CLS], [SEP] or [PAD]" : "<s>, </s> or <pad>");
        pb_tok_free(t);
        return rc;
    }
    if (t->kind == PB_TOK_WORDPIECE) {
        const pb_pair_template tpl = {cls, {sep, 0}, {0, 0}, {sep, 0}, 1, 0, 1, 1, pad};
        t->tpl = tpl;
    } else {
        const pb_pair_template tpl = {cls, {sep, 0}, {sep, 0}, {sep, 0}, 1, 1, 1, 0, pad};
        t->tpl = tpl;
    }
    *out = t;
    return 0;
}

void pb_tok_free(pb_tok *t) {
    if (!t) return;
    pb_tokenizer_free(t->wp);
    pb_bpe_free(t->bpe);
    for (int i = 0; i < t->n_files; i++) free(t->files[i]);
    free(t);
}

pb_tok_kind pb_tok_get_kind(const pb_tok *t) { return t->kind; }

int32_t pb_tok_vocab_size(const pb_tok *t) {
    return t->kind == PB_TOK_WORDPIECE ? pb_tokenizer_vocab_size(t->wp) : pb_bpe_vocab_size(t->bpe);
}

int32_t pb_tok_special(const pb_tok *t, pb_tok_special_kind k) {
    return k >= 0 && k < PB_TOK_N_SPECIAL ? t->special[k] : -1;
}

const pb_pair_template *pb_tok_template(const pb_tok *t) { return &t->tpl; }

int pb_tok_encode(const pb_tok *t, const char *text, size_t len, int32_t **ids, size_t *n, int32_t **offsets) {
    return t->kind == PB_TOK_WORDPIECE ? pb_tokenizer_encode(t->wp, text, len, ids, n, offsets)
                                       : pb_bpe_encode(t->bpe, text, len, ids, n, offsets);
}

int pb_tok_encode_pair(const pb_tok *t, const char *a, const char *b, int max_len, int truncation, pb_encoding *out) {
    return t->kind == PB_TOK_WORDPIECE ? pb_tokenizer_encode_pair(t->wp, a, b, max_len, truncation, out)
                                       : pb_bpe_encode_pair(t->bpe, a, b, max_len, truncation, out);
}

static int copy_file(const char *src, const char *dst) {
    FILE *in = fopen(src, "rb");
    if (!in) return PB_ERR(PB_EIO, "cannot read '%s': %s", src, strerror(errno));
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    FILE *out = fopen(tmp, "wb");
    if (!out) {
        fclose(in);
        return PB_ERR(PB_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    }
    char buf[65536];
    size_t r;
    int rc = 0;
    while (rc == 0 && (r = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, r, out) != r) rc = PB_ERR(PB_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    if (rc == 0 && ferror(in)) rc = PB_ERR(PB_EIO, "read error in '%s'", src);
    fclose(in);
    if (fclose(out) != 0 && rc == 0) rc = PB_ERR(PB_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, dst) != 0) rc = PB_ERR(PB_EIO, "cannot rename '%s': %s", tmp, strerror(errno));
    if (rc < 0) remove(tmp);
    return rc;
}

int pb_tok_save_files(const pb_tok *t, const char *dir) {
    for (int i = 0; i < t->n_files; i++) {
        const char *base = strrchr(t->files[i], '/');
        base = base ? base + 1 : t->files[i];
        /* a renamed vocabulary keeps its role's upstream name in the folder */
        const char *name = t->kind == PB_TOK_WORDPIECE && strstr(base, ".txt") ? "vocab.txt" : base;
        if (t->kind == PB_TOK_BPE && t->n_files == 1) name = "tokenizer.json";
        else if (t->kind == PB_TOK_WORDPIECE && strstr(base, ".json")) name = "tokenizer.json";
        else if (t->kind == PB_TOK_BPE) name = i == 0 ? "vocab.json" : "merges.txt";
        char dst[4096];
        snprintf(dst, sizeof dst, "%s/%s", dir, name);
        PB_TRY(copy_file(t->files[i], dst));
    }
    return 0;
}
