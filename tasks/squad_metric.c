/* The official SQuAD metric: evaluate-v1.1.py and evaluate-v2.0.py in C.
 *
 * normalize_answer = white_space_fix(remove_articles(remove_punc(lower(s))))
 * with Python 3 string semantics on code points: str.lower (simple mappings
 * from utf8proc plus U+0130's full mapping and the Final_Sigma rule),
 * string.punctuation (ASCII only), re.sub(r'\b(a|an|the)\b', ' ') with
 * Unicode word characters (letters, numbers, '_'), and str.split()'s
 * whitespace. Sums run question by question in file order with plain double
 * additions, as Python 3.11's sum() (3.12 switched sum() of floats to a
 * compensated sum, which can change the last digits of the v2 numbers). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "pb_error.h"
#include "squad.h"
#include "taskutil.h"

/* str.isspace(): bidi classes WS, B, S and category Zs (Python 3). */
int pb_squad_py_space(int32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* re's Unicode \w: str.isalnum() or '_'. */
static int py_word(int32_t c) {
    if (c == '_') return 1;
    if (c < 128) return isalnum(c) != 0;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return 1;
    default:
        return 0;
    }
}

/* Unicode Cased and Case_Ignorable, approximated from categories and case
 * mappings (used only by the Final_Sigma rule). */
static int is_cased(int32_t c) {
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LL || k == UTF8PROC_CATEGORY_LT ||
           utf8proc_tolower(c) != c || utf8proc_toupper(c) != c;
}

static int is_case_ignorable(int32_t c) {
    static const int32_t extra[] = {0x27,   0x2E,   0x3A,   0xB7,   0x387,  0x55F,  0x5F4,  0x2018, 0x2019,
                                    0x2024, 0x2027, 0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A};
    for (size_t i = 0; i < sizeof extra / sizeof *extra; i++)
        if (c == extra[i]) return 1;
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_MN || k == UTF8PROC_CATEGORY_ME || k == UTF8PROC_CATEGORY_CF ||
           k == UTF8PROC_CATEGORY_LM || k == UTF8PROC_CATEGORY_SK;
}

/* Python's handle_capital_sigma: final sigma when a cased letter precedes
 * (skipping case-ignorables) and none follows. */
static int32_t lower_sigma(const int32_t *a, size_t n, size_t i) {
    size_t j = i;
    int32_t c = 0;
    int found = 0;
    while (j > 0) {
        c = a[--j];
        if (!is_case_ignorable(c)) {
            found = 1;
            break;
        }
    }
    int final = found && is_cased(c);
    if (final) {
        for (j = i + 1; j < n; j++)
            if (!is_case_ignorable(a[j])) break;
        final = j == n || !is_cased(a[j]);
    }
    return final ? 0x3C2 : 0x3C3;
}

static int is_punct(int32_t c) {
    return c < 128 && c > 0 && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", (int)c);
}

int pb_squad_normalize(const char *s, char **out) {
    *out = NULL;
    const size_t len = strlen(s);
    /* each code point takes >= 1 byte; U+0130 (2 bytes) lowers to 2 code points */
    int32_t *a = malloc(sizeof(int32_t) * (len + 1)), *b = malloc(sizeof(int32_t) * (len + 1));
    char *o = malloc(4 * len + 1);
    if (!a || !b || !o) {
        free(a);
        free(b);
        free(o);
        return PB_ERR(PB_ENOMEM, "normalize_answer of %zu bytes", len);
    }
    size_t n = 0;
    for (size_t p = 0; p < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + p, (utf8proc_ssize_t)(len - p), &cp);
        if (k <= 0) { /* invalid UTF-8 (a Python str cannot hold it): U+FFFD per byte */
            cp = 0xFFFD;
            k = 1;
        }
        a[n++] = cp;
        p += (size_t)k;
    }
    /* lower */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i] == 0x130) {
            b[m++] = 0x69;
            b[m++] = 0x307;
        } else if (a[i] == 0x3A3) {
            b[m++] = lower_sigma(a, n, i);
        } else {
            b[m++] = utf8proc_tolower(a[i]);
        }
    }
    /* remove_punc */
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        if (!is_punct(b[i])) b[k++] = b[i];
    m = k;
    /* remove_articles: scan left to right; \b checks see the original text */
    n = 0;
    for (size_t i = 0; i < m;) {
        size_t hit = 0;
        if (i == 0 || !py_word(b[i - 1])) {
            if (b[i] == 'a' && (i + 1 == m || !py_word(b[i + 1])))
                hit = 1;
            else if (b[i] == 'a' && i + 1 < m && b[i + 1] == 'n' && (i + 2 == m || !py_word(b[i + 2])))
                hit = 2;
            else if (b[i] == 't' && i + 2 < m && b[i + 1] == 'h' && b[i + 2] == 'e' &&
                     (i + 3 == m || !py_word(b[i + 3])))
                hit = 3;
        }
        if (hit) {
            a[n++] = ' ';
            i += hit;
        } else {
            a[n++] = b[i++];
        }
    }
    /* white_space_fix: ' '.join(text.split()) */
    size_t w = 0;
    int pending = 0;
    for (size_t i = 0; i < n; i++) {
        if (pb_squad_py_space(a[i])) {
            pending = w > 0;
            continue;
        }
        if (pending) o[w++] = ' ';
        pending = 0;
        w += (size_t)utf8proc_encode_char(a[i], (utf8proc_uint8_t *)o + w);
    }
    o[w] = '\0';
    free(a);
    free(b);
    *out = o;
    return 0;
}

double pb_squad_exact(const char *pred, const char *gold) {
    char *p, *g;
    if (pb_squad_normalize(pred, &p) < 0) return NAN;
    if (pb_squad_normalize(gold, &g) < 0) {
        free(p);
        return NAN;
    }
    double r = strcmp(p, g) == 0 ? 1.0 : 0.0;
    free(p);
    free(g);
    return r;
}

/* Split a normalized string (single spaces) in place into sorted tokens. */
static int cmp_str(const void *x, const void *y) {
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static char **tokens(char *s, size_t *n) {
    size_t cap = 1;
    for (char *c = s; *c; c++) cap += *c == ' ';
    char **t = malloc(sizeof(char *) * cap);
    if (!t) return NULL;
    *n = 0;
    for (char *c = s; *c;) {
        t[(*n)++] = c;
        char *sp = strchr(c, ' ');
        if (!sp) break;
        *sp = '\0';
        c = sp + 1;
    }
    qsort(t, *n, sizeof *t, cmp_str);
    return t;
}

/* version 2: evaluate-v2.0.py's compute_f1; else evaluate-v1.1.py's f1_score. */
static double f1_any(const char *pred, const char *gold, int v2) {
    char *p, *g;
    if (pb_squad_normalize(pred, &p) < 0) return NAN;
    if (pb_squad_normalize(gold, &g) < 0) {
        free(p);
        return NAN;
    }
    size_t np = 0, ng = 0;
    char **tp = tokens(p, &np), **tg = tokens(g, &ng);
    double r = NAN;
    if (tp && tg) {
        size_t same = 0;
        for (size_t i = 0, j = 0; i < np && j < ng;) { /* Counter(pred) & Counter(gold) */
            int c = strcmp(tp[i], tg[j]);
            if (c == 0) {
                same++;
                i++;
                j++;
            } else if (c < 0) {
                i++;
            } else {
                j++;
            }
        }
        if (v2 && (np == 0 || ng == 0)) {
            r = np == ng ? 1.0 : 0.0;
        } else if (same == 0) {
            r = 0.0;
        } else {
            double precision = 1.0 * (double)same / (double)np, recall = 1.0 * (double)same / (double)ng;
            r = (2 * precision * recall) / (precision + recall);
        }
    }
    free(tp);
    free(tg);
    free(p);
    free(g);
    return r;
}

double pb_squad_f1(const char *pred, const char *gold) {
    return f1_any(pred, gold, 1);
}
double pb_squad_f1_v11(const char *pred, const char *gold) {
    return f1_any(pred, gold, 0);
}

int pb_squad_acc_add(pb_squad_acc *a, const char *qid, const char *pred, const char *const *golds, int n_golds,
                     int has_ans) {
    double em = 0.0, f1 = 0.0;
    if (!a->v2) {
        a->total++;
        if (!pred) { /* "Unanswered question ... will receive score 0." */
            a->missing++;
            return 0;
        }
        if (n_golds <= 0)
            return PB_ERR(PB_EFORMAT, "question '%s' has no answers (evaluate-v1.1.py needs at least one)", qid);
        for (int i = 0; i < n_golds; i++) {
            double e = pb_squad_exact(pred, golds[i]), f = pb_squad_f1_v11(pred, golds[i]);
            if (isnan(e) || isnan(f)) return PB_ERR(PB_ENOMEM, "scoring question '%s'", qid);
            if (i == 0 || e > em) em = e;
            if (i == 0 || f > f1) f1 = f;
        }
        a->exact += em;
        a->f1 += f1;
        return 0;
    }
    if (!pred)
        return PB_ERR(PB_EINVAL, "no prediction for question '%s' (evaluate-v2.0.py stops with a KeyError)", qid);
    int used = 0;
    for (int i = 0; i < n_golds; i++) {
        char *g;
        PB_TRY(pb_squad_normalize(golds[i], &g));
        const int keep = g[0] != '\0'; /* gold_answers: only those that normalize to text */
        free(g);
        if (!keep) continue;
        double e = pb_squad_exact(pred, golds[i]), f = pb_squad_f1(pred, golds[i]);
        if (isnan(e) || isnan(f)) return PB_ERR(PB_ENOMEM, "scoring question '%s'", qid);
        if (!used || e > em) em = e;
        if (!used || f > f1) f1 = f;
        used++;
    }
    if (!used) { /* unanswerable: the only correct answer is "" */
        em = pb_squad_exact(pred, "");
        f1 = pb_squad_f1(pred, "");
        if (isnan(em) || isnan(f1)) return PB_ERR(PB_ENOMEM, "scoring question '%s'", qid);
    }
    a->total++;
    a->exact += em;
    a->f1 += f1;
    if (has_ans) {
        a->has_total++;
        a->has_exact += em;
        a->has_f1 += f1;
    } else {
        a->no_total++;
        a->no_exact += em;
        a->no_f1 += f1;
    }
    return 0;
}

void pb_squad_float_repr(double x, char *buf, size_t cap) {
    if (isnan(x)) {
        snprintf(buf, cap, "NaN");
        return;
    }
    if (isinf(x)) {
        snprintf(buf, cap, x > 0 ? "Infinity" : "-Infinity");
        return;
    }
    if (x == 0.0) {
        snprintf(buf, cap, signbit(x) ? "-0.0" : "0.0");
        return;
    }
    char tmp[48];
    int p = 1;
    for (; p <= 17; p++) { /* the shortest digits that read back to x (repr's rule) */
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, x);
        if (strtod(tmp, NULL) == x) break;
    }
    if (p > 17) p = 17;
    const int e10 = atoi(strchr(tmp, 'e') + 1);
    if (e10 < -4 || e10 >= 16) { /* repr switches to exponent form: 1e-05, 1.5e+16 */
        snprintf(buf, cap, "%s", tmp);
        return;
    }
    int dec = p - 1 - e10;
    snprintf(buf, cap, "%.*f", dec > 0 ? dec : 0, x);
    if (!strchr(buf, '.') && strlen(buf) + 3 <= cap) strcat(buf, ".0");
}

int pb_squad_acc_json(const pb_squad_acc *a, char **json_out) {
    *json_out = NULL;
    if (a->total <= 0)
        return PB_ERR(PB_EINVAL, "squad metric: no questions scored (the official script divides by zero)");
    char *o = malloc(1024);
    if (!o) return PB_ERR(PB_ENOMEM, "squad metric output");
    char x[64], y[64];
    if (!a->v2) {
        pb_squad_float_repr(100.0 * a->exact / (double)a->total, x, sizeof x);
        pb_squad_float_repr(100.0 * a->f1 / (double)a->total, y, sizeof y);
        snprintf(o, 1024, "{\"exact_match\": %s, \"f1\": %s}\n", x, y);
        *json_out = o;
        return 0;
    }
    size_t w = 0;
    pb_squad_float_repr(100.0 * a->exact / (double)a->total, x, sizeof x);
    pb_squad_float_repr(100.0 * a->f1 / (double)a->total, y, sizeof y);
    w += (size_t)snprintf(o + w, 1024 - w, "{\n  \"exact\": %s,\n  \"f1\": %s,\n  \"total\": %ld", x, y, a->total);
    if (a->has_total) {
        pb_squad_float_repr(100.0 * a->has_exact / (double)a->has_total, x, sizeof x);
        pb_squad_float_repr(100.0 * a->has_f1 / (double)a->has_total, y, sizeof y);
        w += (size_t)snprintf(o + w, 1024 - w,
                              ",\n  \"HasAns_exact\": %s,\n  \"HasAns_f1\": %s,\n  \"HasAns_total\": %ld", x, y,
                              a->has_total);
    }
    if (a->no_total) {
        pb_squad_float_repr(100.0 * a->no_exact / (double)a->no_total, x, sizeof x);
        pb_squad_float_repr(100.0 * a->no_f1 / (double)a->no_total, y, sizeof y);
        w += (size_t)snprintf(o + w, 1024 - w, ",\n  \"NoAns_exact\": %s,\n  \"NoAns_f1\": %s,\n  \"NoAns_total\": %ld",
                              x, y, a->no_total);
    }
    snprintf(o + w, 1024 - w, "\n}\n");
    *json_out = o;
    return 0;
}

static void put_metric(pb_metrics *m, const char *name, double v) {
    snprintf(m->name[m->n], sizeof m->name[m->n], "%s", name);
    m->value[m->n++] = v;
}

int pb_squad_acc_metrics(const pb_squad_acc *a, pb_metrics *out) {
    memset(out, 0, sizeof *out);
    if (a->total <= 0) return PB_ERR(PB_EINVAL, "squad metric: no questions scored");
    if (!a->v2) {
        put_metric(out, "exact_match", 100.0 * a->exact / (double)a->total);
        put_metric(out, "f1", 100.0 * a->f1 / (double)a->total);
        return 0;
    }
    put_metric(out, "exact", 100.0 * a->exact / (double)a->total);
    put_metric(out, "f1", 100.0 * a->f1 / (double)a->total);
    if (a->has_total) put_metric(out, "HasAns_f1", 100.0 * a->has_f1 / (double)a->has_total);
    if (a->no_total) put_metric(out, "NoAns_f1", 100.0 * a->no_f1 / (double)a->no_total);
    return 0;
}

/* ---- files ---- */

static int array_at(const char *path, json_t *obj, const char *key, const char *where, json_t **out) {
    *out = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!json_is_array(*out)) return PB_ERR(PB_EFORMAT, "%s: %s: expected an array \"%s\"", path, where, key);
    return 0;
}

/* Is any question marked "is_impossible" (a v2.0 file)? */
static int has_impossible(json_t *data) {
    size_t i, j, k;
    json_t *art, *par, *qa;
    json_array_foreach(data, i, art) {
        json_t *pars = json_is_object(art) ? json_object_get(art, "paragraphs") : NULL;
        json_array_foreach(pars, j, par) {
            json_t *qas = json_is_object(par) ? json_object_get(par, "qas") : NULL;
            json_array_foreach(qas, k, qa) if (json_is_object(qa) && json_object_get(qa, "is_impossible")) return 1;
        }
    }
    return 0;
}

static int score_files(const char *data_json, json_t *root, const char *pred_json, json_t *preds, char **json_out) {
    json_t *data = json_object_get(root, "data");
    if (!json_is_array(data)) return PB_ERR(PB_EFORMAT, "%s: expected an array \"data\" at the top level", data_json);
    if (!json_is_object(preds))
        return PB_ERR(PB_EFORMAT, "%s: expected an object {\"question id\": \"answer\", ...}", pred_json);
    pb_squad_acc acc;
    memset(&acc, 0, sizeof acc);
    json_t *ver = json_object_get(root, "version");
    acc.v2 = json_is_string(ver) ? strchr(json_string_value(ver), '2') != NULL : has_impossible(data);
    const char **golds = NULL;
    size_t cap = 0, i, j, k, g;
    json_t *art, *par, *qa, *ans;
    int rc = 0;
    char where[160];
    json_array_foreach(data, i, art) {
        json_t *pars;
        snprintf(where, sizeof where, "data[%zu]", i);
        if ((rc = array_at(data_json, art, "paragraphs", where, &pars)) < 0) goto done;
        json_array_foreach(pars, j, par) {
            json_t *qas;
            snprintf(where, sizeof where, "data[%zu].paragraphs[%zu]", i, j);
            if ((rc = array_at(data_json, par, "qas", where, &qas)) < 0) goto done;
            json_array_foreach(qas, k, qa) {
                snprintf(where, sizeof where, "data[%zu].paragraphs[%zu].qas[%zu]", i, j, k);
                json_t *id = json_is_object(qa) ? json_object_get(qa, "id") : NULL, *answers;
                if (!json_is_string(id)) {
                    rc = PB_ERR(PB_EFORMAT, "%s: %s: expected a string \"id\"", data_json, where);
                    goto done;
                }
                if ((rc = array_at(data_json, qa, "answers", where, &answers)) < 0) goto done;
                const char *qid = json_string_value(id);
                if (json_array_size(answers) > cap) {
                    cap = json_array_size(answers) * 2;
                    const char **ng = realloc(golds, sizeof *ng * cap);
                    if (!ng) {
                        rc = PB_ERR(PB_ENOMEM, "gold answers");
                        goto done;
                    }
                    golds = ng;
                }
                json_array_foreach(answers, g, ans) {
                    json_t *t = json_is_object(ans) ? json_object_get(ans, "text") : NULL;
                    if (!json_is_string(t)) {
                        rc = PB_ERR(PB_EFORMAT, "%s: %s.answers[%zu]: expected a string \"text\" (question '%s')",
                                    data_json, where, g, qid);
                        goto done;
                    }
                    golds[g] = json_string_value(t);
                }
                json_t *p = json_object_get(preds, qid);
                if (p && !json_is_string(p)) {
                    rc = PB_ERR(PB_EFORMAT, "%s: the prediction of question '%s' is not a string", pred_json, qid);
                    goto done;
                }
                rc = pb_squad_acc_add(&acc, qid, p ? json_string_value(p) : NULL, golds, (int)json_array_size(answers),
                                      json_array_size(answers) > 0);
                if (rc < 0) {
                    char why[512];
                    snprintf(why, sizeof why, "%s", pb_error_msg());
                    PB_ERR(rc, "%s: %s: %s (predictions %s)", data_json, where, why, pred_json);
                    goto done;
                }
            }
        }
    }
    rc = pb_squad_acc_json(&acc, json_out);
    if (rc < 0) PB_ERR(rc, "%s: no questions to score", data_json);
done:
    free(golds);
    return rc;
}

int pb_squad_eval_files(const char *data_json, const char *pred_json, char **json_out) {
    *json_out = NULL;
    json_t *root, *preds;
    PB_TRY(pb_json_load(data_json, &root));
    int rc = pb_json_load(pred_json, &preds);
    if (rc < 0) {
        json_decref(root);
        return rc;
    }
    rc = json_is_object(root) ? score_files(data_json, root, pred_json, preds, json_out)
                              : PB_ERR(PB_EFORMAT, "%s: expected an object with \"data\" at the top level", data_json);
    json_decref(root);
    json_decref(preds);
    return rc;
}
