/* Model configuration: defaults, validation and config.json through jansson. */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_error.h"

/* config.json files are a few hundred bytes; anything this large is not one. */
#define PB_CONFIG_MAX_BYTES (16u << 20)

void pb_config_default(pb_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->model_type = PB_MODEL_BERT;
    cfg->vocab_size = 30522;
    cfg->hidden_size = 768;
    cfg->num_hidden_layers = 12;
    cfg->num_attention_heads = 12;
    cfg->intermediate_size = 3072;
    cfg->max_position_embeddings = 512;
    cfg->type_vocab_size = 2;
    cfg->layer_norm_eps = 1e-12f;
    cfg->hidden_dropout_prob = 0.1f;
    cfg->attention_probs_dropout_prob = 0.1f;
    cfg->pad_token_id = 0;
    cfg->num_labels = 2;
}

/* Hugging Face class defaults per model type (RobertaConfig differs from
 * BertConfig only in vocab_size and pad_token_id). */
static void config_default_for(pb_config *cfg, pb_model_type t) {
    pb_config_default(cfg);
    cfg->model_type = t;
    if (t == PB_MODEL_ROBERTA) {
        cfg->vocab_size = 50265;
        cfg->pad_token_id = 1;
    }
}

static const char *model_type_name(pb_model_type t) {
    switch (t) {
    case PB_MODEL_BERT: return "bert";
    case PB_MODEL_ROBERTA: return "roberta";
    }
    return "?";
}

/* a * b (* c) in size_t; nonzero when it overflows or exceeds `limit`. */
static int product_exceeds(size_t limit, size_t a, size_t b, size_t c, size_t *out) {
    size_t p = a;
    if (b && p > SIZE_MAX / b) return 1;
    p *= b;
    if (c && p > SIZE_MAX / c) return 1;
    p *= c;
    if (out) *out = p;
    return p > limit;
}

/* `src` prefixes every message: "" or "<file>: ". */
static int validate(const pb_config *cfg, const char *src) {
    if (cfg->model_type != PB_MODEL_BERT && cfg->model_type != PB_MODEL_ROBERTA)
        return PB_ERR(PB_EINVAL, "%smodel_type %d: expected bert or roberta", src, (int)cfg->model_type);
    const struct {
        const char *name;
        int value;
    } sizes[] = {
        {"vocab_size", cfg->vocab_size},
        {"hidden_size", cfg->hidden_size},
        {"num_hidden_layers", cfg->num_hidden_layers},
        {"num_attention_heads", cfg->num_attention_heads},
        {"intermediate_size", cfg->intermediate_size},
        {"max_position_embeddings", cfg->max_position_embeddings},
        {"type_vocab_size", cfg->type_vocab_size},
        {"num_labels", cfg->num_labels},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i].value <= 0)
            return PB_ERR(PB_EINVAL, "%s%s = %d: expected a positive integer", src, sizes[i].name, sizes[i].value);
    if (cfg->hidden_size % cfg->num_attention_heads != 0)
        return PB_ERR(PB_EINVAL, "%shidden_size = %d is not divisible by num_attention_heads = %d", src, cfg->hidden_size,
                      cfg->num_attention_heads);
    if (!(cfg->layer_norm_eps > 0.0f) || !isfinite(cfg->layer_norm_eps))
        return PB_ERR(PB_EINVAL, "%slayer_norm_eps = %g: expected a finite value > 0", src, (double)cfg->layer_norm_eps);
    if (!(cfg->hidden_dropout_prob >= 0.0f && cfg->hidden_dropout_prob < 1.0f))
        return PB_ERR(PB_EINVAL, "%shidden_dropout_prob = %g: expected a probability in [0, 1)", src,
                      (double)cfg->hidden_dropout_prob);
    if (!(cfg->attention_probs_dropout_prob >= 0.0f && cfg->attention_probs_dropout_prob < 1.0f))
        return PB_ERR(PB_EINVAL, "%sattention_probs_dropout_prob = %g: expected a probability in [0, 1)", src,
                      (double)cfg->attention_probs_dropout_prob);
    if (cfg->pad_token_id < 0 || cfg->pad_token_id >= cfg->vocab_size)
        return PB_ERR(PB_ERANGE, "%spad_token_id = %d: expected a token id in [0, vocab_size = %d)", src, cfg->pad_token_id,
                      cfg->vocab_size);
    if (cfg->model_type == PB_MODEL_ROBERTA && cfg->max_position_embeddings <= cfg->pad_token_id + 1)
        return PB_ERR(PB_ERANGE,
                      "%smax_position_embeddings = %d: RoBERTa positions start after pad_token_id + 1 = %d, so expected "
                      "more than %d", src,
                      cfg->max_position_embeddings, cfg->pad_token_id + 1, cfg->pad_token_id + 1);

    /* Every tensor must be addressable with int element counts (the kernels and
     * BLAS take int dimensions); the total must fit in size_t. */
    const size_t V = (size_t)cfg->vocab_size, H = (size_t)cfg->hidden_size, L = (size_t)cfg->num_hidden_layers;
    const size_t I = (size_t)cfg->intermediate_size, P = (size_t)cfg->max_position_embeddings;
    const size_t T = (size_t)cfg->type_vocab_size, C = (size_t)cfg->num_labels;
    const struct {
        const char *what;
        size_t a, b, c;
    } prods[] = {
        {"vocab_size * hidden_size (word embeddings)", V, H, 1},
        {"max_position_embeddings * hidden_size (position embeddings)", P, H, 1},
        {"type_vocab_size * hidden_size (token type embeddings)", T, H, 1},
        {"hidden_size * hidden_size (attention projections)", H, H, 1},
        {"intermediate_size * hidden_size (feed-forward weights)", I, H, 1},
        {"num_labels * hidden_size (classifier)", C, H, 1},
        {"num_hidden_layers * hidden_size * intermediate_size (encoder feed-forward)", L, H, I},
        {"num_hidden_layers * hidden_size * hidden_size (encoder attention)", L, H, 4 * H},
    };
    for (size_t i = 0; i < sizeof prods / sizeof prods[0]; i++)
        if (product_exceeds((size_t)INT_MAX, prods[i].a, prods[i].b, prods[i].c, NULL))
        {
            char third[32] = "";
            if (prods[i].c != 1) snprintf(third, sizeof third, " x %zu", prods[i].c);
            return PB_ERR(PB_ERANGE, "%s%s = %zu x %zu%s elements: expected at most %d (INT_MAX)", src, prods[i].what,
                          prods[i].a, prods[i].b, third, INT_MAX);
        }
    /* Total parameter count: each term is bounded by INT_MAX above, so the sum fits in size_t on 64-bit;
     * check it anyway against SIZE_MAX / sizeof(float) for 32-bit hosts. */
    size_t total = 0, term;
    const size_t terms[][3] = {{V + P + T + 4, H, 1}, {L, H, 4 * H + 2 * I + 9}, {H + C + V + 4, H, 1}};
    for (size_t i = 0; i < 3; i++) {
        if (product_exceeds(SIZE_MAX / sizeof(float), terms[i][0], terms[i][1], terms[i][2], &term) ||
            total > SIZE_MAX / sizeof(float) - term)
            return PB_ERR(PB_ERANGE, "%stotal parameter count overflows memory sizes (layers %d, hidden %d, "
                                     "intermediate %d, vocab %d)", src,
                          cfg->num_hidden_layers, cfg->hidden_size, cfg->intermediate_size, cfg->vocab_size);
        total += term;
    }
    return 0;
}

int pb_config_validate(const pb_config *cfg) {
    if (!cfg) return PB_ERR(PB_EINVAL, "config is NULL");
    return validate(cfg, "");
}

/* ---- JSON ---------------------------------------------------------------- */

static const char *json_type_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

/* Optional integer key; absent keeps *out. */
static int get_int(const json_t *root, const char *key, int *out, const char *source) {
    const json_t *v = json_object_get(root, key);
    if (!v) return 0;
    if (!json_is_integer(v))
        return PB_ERR(PB_EFORMAT, "%s: key \"%s\" is %s; expected an integer", source, key, json_type_name(v));
    json_int_t x = json_integer_value(v);
    if (x < INT_MIN || x > INT_MAX)
        return PB_ERR(PB_ERANGE, "%s: key \"%s\" = %" JSON_INTEGER_FORMAT " does not fit in a 32-bit int", source, key,
                      x);
    *out = (int)x;
    return 0;
}

/* Optional number key (integer or real); absent keeps *out. */
static int get_float(const json_t *root, const char *key, float *out, const char *source) {
    const json_t *v = json_object_get(root, key);
    if (!v) return 0;
    if (!json_is_number(v))
        return PB_ERR(PB_EFORMAT, "%s: key \"%s\" is %s; expected a number", source, key, json_type_name(v));
    *out = (float)json_number_value(v);
    return 0;
}

/* Optional string key that must equal `want` when present (features the engine lacks). */
static int check_string(const json_t *root, const char *key, const char *want, const char *source) {
    const json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v))
        return PB_ERR(PB_EFORMAT, "%s: key \"%s\" is %s; expected a string", source, key, json_type_name(v));
    if (strcmp(json_string_value(v), want) != 0)
        return PB_ERR(PB_EINVAL, "%s: key \"%s\" = \"%s\" is not supported; expected \"%s\"", source, key,
                      json_string_value(v), want);
    return 0;
}

static int parse_object(pb_config *cfg, const json_t *root, const char *source) {
    if (!json_is_object(root))
        return PB_ERR(PB_EFORMAT, "%s: top level is %s; expected a JSON object", source, json_type_name(root));
    const json_t *mt = json_object_get(root, "model_type");
    if (!mt) return PB_ERR(PB_ENOTFOUND, "%s: key \"model_type\" missing; expected \"bert\" or \"roberta\"", source);
    if (!json_is_string(mt))
        return PB_ERR(PB_EFORMAT, "%s: key \"model_type\" is %s; expected the string \"bert\" or \"roberta\"", source,
                      json_type_name(mt));
    pb_model_type t;
    if (strcmp(json_string_value(mt), "bert") == 0) t = PB_MODEL_BERT;
    else if (strcmp(json_string_value(mt), "roberta") == 0) t = PB_MODEL_ROBERTA;
    else
        return PB_ERR(PB_EINVAL, "%s: key \"model_type\" = \"%s\" is not supported; expected \"bert\" or \"roberta\"",
                      source, json_string_value(mt));
    pb_config c;
    config_default_for(&c, t);
    PB_TRY(get_int(root, "vocab_size", &c.vocab_size, source));
    PB_TRY(get_int(root, "hidden_size", &c.hidden_size, source));
    PB_TRY(get_int(root, "num_hidden_layers", &c.num_hidden_layers, source));
    PB_TRY(get_int(root, "num_attention_heads", &c.num_attention_heads, source));
    PB_TRY(get_int(root, "intermediate_size", &c.intermediate_size, source));
    PB_TRY(get_int(root, "max_position_embeddings", &c.max_position_embeddings, source));
    PB_TRY(get_int(root, "type_vocab_size", &c.type_vocab_size, source));
    PB_TRY(get_int(root, "pad_token_id", &c.pad_token_id, source));
    PB_TRY(get_float(root, "layer_norm_eps", &c.layer_norm_eps, source));
    PB_TRY(get_float(root, "hidden_dropout_prob", &c.hidden_dropout_prob, source));
    PB_TRY(get_float(root, "attention_probs_dropout_prob", &c.attention_probs_dropout_prob, source));
    /* The engine implements exactly these; a config asking for others would compute something else. */
    PB_TRY(check_string(root, "hidden_act", "gelu", source));
    PB_TRY(check_string(root, "position_embedding_type", "absolute", source));

    /* num_labels: the key, or the size of id2label (what Hugging Face writes); both must agree. */
    const json_t *id2label = json_object_get(root, "id2label");
    const int have_num = json_object_get(root, "num_labels") != NULL;
    PB_TRY(get_int(root, "num_labels", &c.num_labels, source));
    if (id2label && !json_is_null(id2label)) {
        if (!json_is_object(id2label))
            return PB_ERR(PB_EFORMAT, "%s: key \"id2label\" is %s; expected an object mapping label ids to names",
                          source, json_type_name(id2label));
        size_t k = json_object_size(id2label);
        if (k > INT_MAX) return PB_ERR(PB_ERANGE, "%s: key \"id2label\" has too many entries (%zu)", source, k);
        if (have_num && c.num_labels != (int)k)
            return PB_ERR(PB_EINVAL, "%s: key \"num_labels\" = %d disagrees with \"id2label\", which has %zu entr%s",
                          source, c.num_labels, k, k == 1 ? "y" : "ies");
        c.num_labels = (int)k;
    }
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s: ", source);
    PB_TRY(validate(&c, prefix));
    *cfg = c;
    return 0;
}

int pb_config_parse_json(pb_config *cfg, const char *json_text, const char *source) {
    if (!source) source = "config.json";
    if (!cfg || !json_text) return PB_ERR(PB_EINVAL, "%s: no config or no JSON text", source);
    json_error_t err;
    json_t *root = json_loads(json_text, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return PB_ERR(PB_EFORMAT, "%s:%d:%d: JSON syntax error: %s", source, err.line, err.column, err.text);
    int rc = parse_object(cfg, root, source);
    json_decref(root);
    return rc;
}

int pb_config_load_json(pb_config *cfg, const char *path) {
    if (!cfg || !path) return PB_ERR(PB_EINVAL, "pb_config_load_json: NULL argument");
    FILE *f = fopen(path, "rb");
    if (!f) return PB_ERR(PB_EIO, "cannot open config '%s': %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return PB_ERR(PB_ENOMEM, "reading config '%s'", path);
    }
    for (;;) {
        if (len + 1 >= cap) {
            if (cap >= PB_CONFIG_MAX_BYTES) {
                free(buf);
                fclose(f);
                return PB_ERR(PB_EFORMAT, "config '%s' is larger than %u bytes; expected a config.json file", path,
                              PB_CONFIG_MAX_BYTES);
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return PB_ERR(PB_ENOMEM, "reading config '%s'", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - 1 - len, f);
        len += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return PB_ERR(PB_EIO, "cannot read config '%s'", path);
    }
    buf[len] = '\0';
    if (memchr(buf, '\0', len)) {
        free(buf);
        return PB_ERR(PB_EFORMAT, "config '%s' contains NUL bytes; expected JSON text", path);
    }
    int rc = pb_config_parse_json(cfg, buf, path);
    free(buf);
    return rc;
}

/* Shortest decimal that reads back (through strtod, as jansson and Python do) to
 * the same float: the first of %.1g .. %.17g that does (1e-12, not the
 * 9.9999999999999998e-13 of a double printed with %.17g). */
static void format_float(char *buf, size_t size, float x) {
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, (double)x);
        if ((float)strtod(buf, NULL) == x) break;
    }
    if (!strpbrk(buf, ".eEn")) { /* keep it a JSON real: 0 -> 0.0 */
        size_t n = strlen(buf);
        if (n + 2 < size) memcpy(buf + n, ".0", 3);
    }
}

int pb_config_to_json(const pb_config *cfg, char **out_text) {
    if (!out_text) return PB_ERR(PB_EINVAL, "pb_config_to_json: NULL output");
    *out_text = NULL;
    PB_TRY(pb_config_validate(cfg));
    char eps[40], hd[40], ad[40];
    format_float(eps, sizeof eps, cfg->layer_norm_eps);
    format_float(hd, sizeof hd, cfg->hidden_dropout_prob);
    format_float(ad, sizeof ad, cfg->attention_probs_dropout_prob);
    const char *fmt = "{\n"
                      "  \"model_type\": \"%s\",\n"
                      "  \"vocab_size\": %d,\n"
                      "  \"hidden_size\": %d,\n"
                      "  \"num_hidden_layers\": %d,\n"
                      "  \"num_attention_heads\": %d,\n"
                      "  \"intermediate_size\": %d,\n"
                      "  \"max_position_embeddings\": %d,\n"
                      "  \"type_vocab_size\": %d,\n"
                      "  \"layer_norm_eps\": %s,\n"
                      "  \"hidden_dropout_prob\": %s,\n"
                      "  \"attention_probs_dropout_prob\": %s,\n"
                      "  \"pad_token_id\": %d,\n"
                      "  \"num_labels\": %d,\n"
                      "  \"hidden_act\": \"gelu\"\n"
                      "}\n";
#define PB_CONFIG_ARGS                                                                                             \
    model_type_name(cfg->model_type), cfg->vocab_size, cfg->hidden_size, cfg->num_hidden_layers,                   \
        cfg->num_attention_heads, cfg->intermediate_size, cfg->max_position_embeddings, cfg->type_vocab_size, eps, \
        hd, ad, cfg->pad_token_id, cfg->num_labels
    int n = snprintf(NULL, 0, fmt, PB_CONFIG_ARGS);
    if (n < 0) return PB_ERR(PB_EINVAL, "formatting config.json failed");
    char *text = malloc((size_t)n + 1);
    if (!text) return PB_ERR(PB_ENOMEM, "config.json text (%d bytes)", n + 1);
    snprintf(text, (size_t)n + 1, fmt, PB_CONFIG_ARGS);
#undef PB_CONFIG_ARGS
    *out_text = text;
    return 0;
}

/* ---- labels (id2label / label2id) ------------------------------------------ */

void pb_config_labels_free(pb_config_labels *l) {
    if (!l) return;
    for (int i = 0; i < l->n; i++) free(l->names[i]);
    free(l->names);
    l->names = NULL;
    l->n = 0;
}

int pb_config_parse_labels(const char *json_text, const char *source, pb_config_labels *out) {
    if (!source) source = "config.json";
    if (!out) return PB_ERR(PB_EINVAL, "%s: pb_config_parse_labels: NULL output", source);
    out->n = 0;
    out->names = NULL;
    if (!json_text) return PB_ERR(PB_EINVAL, "%s: no JSON text", source);
    json_error_t err;
    json_t *root = json_loads(json_text, 0, &err);
    if (!root) return PB_ERR(PB_EFORMAT, "%s:%d:%d: JSON syntax error: %s", source, err.line, err.column, err.text);
    const json_t *m = json_is_object(root) ? json_object_get(root, "id2label") : NULL;
    int rc = 0;
    const size_t k = m && json_is_object(m) ? json_object_size(m) : 0;
    if (k > 0 && k <= (size_t)INT_MAX) {
        out->names = calloc(k, sizeof *out->names);
        if (!out->names) rc = PB_ERR(PB_ENOMEM, "%s: id2label of %zu labels", source, k);
        /* the names in id order; keys that are not exactly "0" .. "k-1" give no names */
        for (size_t i = 0; rc == 0 && i < k; i++) {
            char key[24];
            snprintf(key, sizeof key, "%zu", i);
            const json_t *v = json_object_get(m, key);
            if (!v || !json_is_string(v)) break;
            out->names[i] = strdup(json_string_value(v));
            if (!out->names[i]) rc = PB_ERR(PB_ENOMEM, "%s: id2label", source);
            else out->n = (int)i + 1;
        }
        if (rc < 0 || (size_t)out->n != k) pb_config_labels_free(out);
    }
    json_decref(root);
    return rc;
}

/* n bytes of s appended to the growing text *buf. */
static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 1024;
        while (*len + n + 1 > c) c *= 2;
        char *b = realloc(*buf, c);
        if (!b) return PB_ERR(PB_ENOMEM, "config.json text (%zu bytes)", c);
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

static int append_str(char **buf, size_t *len, size_t *cap, const char *s) {
    return append(buf, len, cap, s, strlen(s));
}

/* s as a JSON string literal (quotes included, escaped). */
static int append_json_string(char **buf, size_t *len, size_t *cap, const char *s) {
    json_t *j = json_string(s);
    char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (!t) return PB_ERR(PB_EINVAL, "config.json: label name '%s' is not valid UTF-8", s);
    int rc = append_str(buf, len, cap, t);
    free(t);
    return rc;
}

/* The names to write: labels when it has num_labels distinct names, else LABEL_<i>. */
static int labels_usable(const pb_config *cfg, const pb_config_labels *labels) {
    if (!labels || labels->n != cfg->num_labels || !labels->names) return 0;
    for (int i = 0; i < labels->n; i++) {
        json_t *j = labels->names[i] ? json_string(labels->names[i]) : NULL;
        if (!j) return 0; /* NULL or not UTF-8 */
        json_decref(j);
        for (int k = 0; k < i; k++)
            if (strcmp(labels->names[i], labels->names[k]) == 0) return 0; /* label2id needs unique keys */
    }
    return 1;
}

int pb_config_to_hf_json(const pb_config *cfg, const char *architecture, const pb_config_labels *labels,
                         char **out_text) {
    if (!out_text) return PB_ERR(PB_EINVAL, "pb_config_to_hf_json: NULL output");
    *out_text = NULL;
    char *base = NULL;
    PB_TRY(pb_config_to_json(cfg, &base));
    /* pb_config_to_json ends with "\n}\n": the extra keys go before it */
    size_t blen = strlen(base);
    if (blen < 3 || strcmp(base + blen - 3, "\n}\n") != 0) {
        free(base);
        return PB_ERR(PB_EINVAL, "config.json: unexpected pb_config_to_json layout");
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = append(&buf, &len, &cap, base, blen - 3);
    free(base);
    if (rc == 0 && architecture) {
        rc = append_str(&buf, &len, &cap, ",\n  \"architectures\": [\n    ");
        if (rc == 0) rc = append_json_string(&buf, &len, &cap, architecture);
        if (rc == 0) rc = append_str(&buf, &len, &cap, "\n  ]");
    }
    const int named = labels_usable(cfg, labels);
    for (int pass = 0; rc == 0 && pass < 2; pass++) {
        rc = append_str(&buf, &len, &cap, pass == 0 ? ",\n  \"id2label\": {" : ",\n  \"label2id\": {");
        for (int i = 0; rc == 0 && i < cfg->num_labels; i++) {
            char id[24], dflt[32];
            snprintf(id, sizeof id, "%d", i);
            snprintf(dflt, sizeof dflt, "LABEL_%d", i);
            const char *name = named ? labels->names[i] : dflt;
            rc = append_str(&buf, &len, &cap, i ? ",\n    " : "\n    ");
            if (pass == 0) {
                if (rc == 0) rc = append_json_string(&buf, &len, &cap, id);
                if (rc == 0) rc = append_str(&buf, &len, &cap, ": ");
                if (rc == 0) rc = append_json_string(&buf, &len, &cap, name);
            } else {
                if (rc == 0) rc = append_json_string(&buf, &len, &cap, name);
                if (rc == 0) rc = append_str(&buf, &len, &cap, ": ");
                if (rc == 0) rc = append_str(&buf, &len, &cap, id);
            }
        }
        if (rc == 0) rc = append_str(&buf, &len, &cap, "\n  }");
    }
    if (rc == 0) rc = append_str(&buf, &len, &cap, "\n}\n");
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *out_text = buf;
    return 0;
}
