/* The WordNet task generators (tasks/suite_wn.c) on a small WordNet written in
 * the upstream wndb(5) layout: a canine with 5 hyponyms (dog, wolf, fox,
 * jackal, coyote), a feline (cousins), a bird (the only synset of noun.animal
 * unrelated to dog), a hound under dog with 60 hyponyms (so every split has
 * items for the loaders), able/unable antonyms with a satellite "skilled",
 * and a few verbs. Expected items are worked out by hand from the design in
 * suite_wn.h; where the design ranks candidates by pb_suite_hash of a
 * documented key ("<anchor>/<tag>/<other id>"), the test computes that hash. */
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "mc.h"
#include "squad.h"
#include "suite.h"
#include "suite_wn.h"
#include "testutil.h"
#include "wordnet.h"

static char g_dir[128];

static int setup(void **state) {
    (void)state;
    return pb_test_tmpdir_create(g_dir, sizeof g_dir, "suitewn");
}

static int teardown(void **state) {
    (void)state;
    pb_test_tmpdir_remove(g_dir);
    return 0;
}

static const char *const HEADER = "  1 This software and database is being provided to you, the LICENSEE, by  \n"
                                  "  2 Princeton University under the following license.  By obtaining, using  \n";

/* One data line: offset, lex_filenum, ss_type, w_cnt, words, p_cnt, pointers (and frames), gloss. */
static void line(pb_strbuf *b, unsigned off, int lex, char pos, int wc, const char *words, int pc, const char *ptrs,
                 const char *gloss) {
    assert_int_equal(pb_strbuf_printf(b, "%08u %02d %c %02x %s %03d%s%s | %s  \n", off, lex, pos, wc, words, pc,
                                      *ptrs ? " " : "", ptrs, gloss),
                     0);
}

enum { N_HOUNDS = 60 };

/* The fixture's data.noun lines (without the header); reversed = lines in reverse order. */
static void noun_lines(pb_strbuf *b, int reversed, unsigned x_train, unsigned x_held) {
    pb_strbuf l[20 + N_HOUNDS];
    memset(l, 0, sizeof l);
    int n = 0;
    line(&l[n++], 1000, 3, 'n', 1, "entity 0", 1, "~ 00002000 n 0000", "that which exists");
    line(&l[n++], 2000, 5, 'n', 1, "animal 0", 3, "@ 00001000 n 0000 ~ 00003000 n 0000 ~ 00013000 n 0000",
         "a living organism that moves");
    line(&l[n++], 3000, 5, 'n', 1, "carnivore 0", 3, "@ 00002000 n 0000 ~ 00004000 n 0000 ~ 00010000 n 0000",
         "an animal that eats meat");
    line(&l[n++], 4000, 5, 'n', 1, "canine 0", 6,
         "@ 00003000 n 0000 ~ 00005000 n 0000 ~ 00006000 n 0000 ~ 00007000 n 0000 ~ 00008000 n 0000 ~ 00009000 n 0000",
         "a fissiped mammal with nonretractile claws");
    line(&l[n++], 5000, 5, 'n', 2, "dog 0 domestic_dog 0", 2, "@ 00004000 n 0000 ~ 00020000 n 0000",
         "a domesticated canine kept as a pet; \"the dog barked all night\"");
    line(&l[n++], 6000, 5, 'n', 1, "wolf 0", 1, "@ 00004000 n 0000",
         "a wild canine that hunts in packs; \"a wolf howled at the moon\"");
    line(&l[n++], 7000, 5, 'n', 1, "fox 0", 1, "@ 00004000 n 0000", "a small canine with a bushy tail");
    line(&l[n++], 8000, 5, 'n', 1, "jackal 0", 1, "@ 00004000 n 0000", "a canine that scavenges in Africa");
    line(&l[n++], 9000, 5, 'n', 1, "coyote 0", 1, "@ 00004000 n 0000",
         "a small wolf of North America; \"the Coyote ran off\"");
    line(&l[n++], 10000, 5, 'n', 1, "feline 0", 3, "@ 00003000 n 0000 ~ 00011000 n 0000 ~ 00012000 n 0000",
         "a cat of the family Felidae");
    line(&l[n++], 11000, 5, 'n', 1, "cat 0", 1, "@ 00010000 n 0000", "a small domesticated feline; \"the cat purred\"");
    line(&l[n++], 12000, 5, 'n', 1, "lion 0", 1, "@ 00010000 n 0000",
         "a large feline of Africa; \"the lion fought another lion\"; \"a lion roared\"");
    line(&l[n++], 13000, 5, 'n', 1, "bird 0", 1, "@ 00002000 n 0000", "a warm-blooded egg-laying vertebrate");
    pb_strbuf hp = {0};
    assert_int_equal(pb_strbuf_printf(&hp, "@ 00005000 n 0000"), 0);
    for (int k = 1; k <= N_HOUNDS; k++) assert_int_equal(pb_strbuf_printf(&hp, " ~ %08u n 0000", 30000u + 100u * k), 0);
    line(&l[n++], 20000, 5, 'n', 1, "hound 0", 1 + N_HOUNDS, hp.s, "a dog that hunts by scent");
    pb_strbuf_free(&hp);
    for (int k = 1; k <= N_HOUNDS; k++) {
        char w[32], g[128];
        snprintf(w, sizeof w, "hound%02d 0", k);
        snprintf(g, sizeof g, "a hound of kind %d with a long nose; \"the hound%02d bayed\"", k, k);
        line(&l[n++], 30000u + 100u * (unsigned)k, 5, 'n', 1, w, 1, "@ 00020000 n 0000", g);
    }
    /* two synsets sharing an example: one in train, one held out */
    line(&l[n++], x_train, 4, 'n', 1, "xtrain 0", 0, "", "a train-split thing; \"a shared example sentence\"");
    line(&l[n++], x_held, 4, 'n', 1, "xheld 0", 0, "", "a held-out thing; \"a shared example sentence\"");
    assert_int_equal(pb_strbuf_add(b, HEADER, strlen(HEADER)), 0);
    for (int i = 0; i < n; i++) {
        pb_strbuf *s = &l[reversed ? n - 1 - i : i];
        assert_int_equal(pb_strbuf_add(b, s->s, s->n), 0);
        pb_strbuf_free(s);
    }
}

static unsigned g_x_train, g_x_held; /* offsets found once (fixed by the hash) */

static void write_fixture(const char *dir, int reversed) {
    char path[512];
    mkdir(dir, 0700);
    if (!g_x_train) /* the first offsets >= 90000 (step 100) whose n-ids hash into train / dev-or-test */
        for (unsigned off = 90000; !g_x_train || !g_x_held; off += 100) {
            char id[16];
            snprintf(id, sizeof id, "n%08u", off);
            if (pb_suite_split(id) == 0 && !g_x_train) g_x_train = off;
            if (pb_suite_split(id) != 0 && !g_x_held) g_x_held = off;
        }
    pb_strbuf b = {0};
    noun_lines(&b, reversed, g_x_train, g_x_held);
    pb_test_write_file(path, sizeof path, dir, "data.noun", b.s);
    pb_strbuf_free(&b);
    pb_strbuf v = {0}, a = {0}, r = {0};
    assert_int_equal(pb_strbuf_add(&v, HEADER, strlen(HEADER)), 0);
    line(&v, 1000, 32, 'v', 1, "bark 0", 1, "@ 00003000 v 0000 01 + 02 00", "make barking sounds; \"the dogs bark\"");
    line(&v, 2000, 32, 'v', 1, "howl 0", 1, "@ 00003000 v 0000 01 + 02 00", "emit a long wailing sound");
    line(&v, 3000, 32, 'v', 2, "make_noise 0 noise 1", 2, "~ 00001000 v 0000 ~ 00002000 v 0000 01 + 02 00",
         "emit a noise");
    pb_test_write_file(path, sizeof path, dir, "data.verb", v.s);
    assert_int_equal(pb_strbuf_add(&a, HEADER, strlen(HEADER)), 0);
    line(&a, 1000, 0, 'a', 1, "able 0", 2, "! 00002000 a 0101 & 00003000 s 0000",
         "having the necessary means; \"able to swim\"");
    line(&a, 2000, 0, 'a', 1, "unable 0", 1, "! 00001000 a 0101", "not having the necessary means");
    line(&a, 3000, 0, 's', 1, "skilled(a) 0", 1, "& 00001000 a 0000", "having skill; \"a skilled worker\"");
    pb_test_write_file(path, sizeof path, dir, "data.adj", a.s);
    assert_int_equal(pb_strbuf_add(&r, HEADER, strlen(HEADER)), 0);
    line(&r, 1000, 2, 'r', 1, "well 0", 0, "", "in a good manner; \"the children behaved well\"");
    pb_test_write_file(path, sizeof path, dir, "data.adv", r.s);
    pb_strbuf_free(&v);
    pb_strbuf_free(&a);
    pb_strbuf_free(&r);
}

static char *slurp2(const char *a, const char *b, const char *c) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s/%s", a, b, c);
    return pb_test_slurp(p);
}

static const char *const SPLIT_FILE[4][3] = {
    {"train.tsv", "dev.tsv", "test.tsv"},
    {"train-v1.1.json", "dev-v1.1.json", "test-v1.1.json"},
    {"train_rand_split.jsonl", "dev_rand_split.jsonl", "test_rand_split_no_answers.jsonl"},
    {"train_xl.jsonl", "dev.jsonl", "test.jsonl"},
};
static const char *const TASK[4] = {"wn-pair", "wn-span", "wn-choice", "wn-blank"};

static void build(const char *name) {
    char wn[512], out[512], corpus[512];
    snprintf(wn, sizeof wn, "%s/wn", g_dir);
    snprintf(out, sizeof out, "%s/%s", g_dir, name);
    snprintf(corpus, sizeof corpus, "%s/%s/corpus.txt", g_dir, name);
    write_fixture(wn, 0);
    int rc = pb_suite_wn_build(wn, out, corpus);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
}

static uint64_t h3(const char *a, const char *tag, const char *b) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s/%s/%s", a, tag, b);
    return pb_suite_hash(buf);
}

/* ids sorted by h3(anchor, tag, id) */
static void rank(const char *anchor, const char *tag, const char **ids, int n) {
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && h3(anchor, tag, ids[j]) < h3(anchor, tag, ids[j - 1]); j--) {
            const char *t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
}

static const char *word_of(const char *id) {
    static const char *const map[][2] = {
        {"n00006000", "wolf"}, {"n00007000", "fox"}, {"n00008000", "jackal"}, {"n00009000", "coyote"}};
    for (int i = 0; i < 4; i++)
        if (strcmp(map[i][0], id) == 0) return map[i][1];
    return "?";
}

static const char *def_of(const char *id) {
    static const char *const map[][2] = {{"n00006000", "a wild canine that hunts in packs"},
                                         {"n00007000", "a small canine with a bushy tail"},
                                         {"n00008000", "a canine that scavenges in Africa"},
                                         {"n00009000", "a small wolf of North America"}};
    for (int i = 0; i < 4; i++)
        if (strcmp(map[i][0], id) == 0) return map[i][1];
    return "?";
}

static void test_items(void **state) {
    (void)state;
    build("out1");
    char out[512];
    snprintf(out, sizeof out, "%s/out1", g_dir);
    const char *dog = "n00005000";
    const int sp = pb_suite_split(dog);
    const char *sibs[4] = {"n00006000", "n00007000", "n00008000", "n00009000"};

    /* wn-pair: canine is dog's only hypernym, bird its only unrelated synset of
     * noun.animal (the rest are ancestors, siblings, cousins or descendants),
     * the sibling is the co-hyponym first by h3(dog, "pair-s", id) */
    char *pair = slurp2(out, "wn-pair", SPLIT_FILE[0][sp]);
    PB_ASSERT_HAS(pair, "index\tsentence1\tsentence2\tlabel\n");
    PB_ASSERT_HAS(pair, "\tdog: a domesticated canine kept as a pet\tcanine: a fissiped mammal with nonretractile "
                        "claws\thypernym\n");
    PB_ASSERT_HAS(pair, "\tdog: a domesticated canine kept as a pet\tbird: a warm-blooded egg-laying "
                        "vertebrate\tunrelated\n");
    const char *ps[4] = {sibs[0], sibs[1], sibs[2], sibs[3]};
    rank(dog, "pair-s", ps, 4);
    char want[2048];
    snprintf(want, sizeof want, "\tdog: a domesticated canine kept as a pet\t%s: %s\tsibling\n", word_of(ps[0]),
             def_of(ps[0]));
    PB_ASSERT_HAS(pair, want);
    free(pair);

    /* wn-choice for hound01 ("a hound of kind 1 ..."): the answer is the genus
     * "hound" (its hypernym's lemma, named in its gloss), the stem
     * "hound01 is a kind of"; the distractors are the other genus words of
     * noun.animal's synsets: canine (wolf, fox, jackal), feline (cat, lion),
     * animal (carnivore), dog (hound) - "hound" itself is the answer and
     * coyote, bird, canine, feline name no hypernym; the answer at
     * h3(hound01, "choice-pos", "") % 5 */
    const char *h1 = "n00030100";
    char *choice = slurp2(out, "wn-choice", SPLIT_FILE[2][pb_suite_split(h1)]);
    const char *at = strstr(choice, "\"id\": \"n00030100\"");
    assert_non_null(at);
    const char *ls = at;
    while (ls > choice && ls[-1] != '\n') ls--;
    const char *le = strchr(at, '\n');
    json_t *item = json_loadb(ls, (size_t)(le - ls), 0, NULL);
    assert_non_null(item);
    const int pos = (int)(h3(h1, "choice-pos", "") % 5);
    const char key_want[2] = {(char)('A' + pos), 0};
    assert_string_equal(json_string_value(json_object_get(item, "answerKey")), key_want);
    json_t *q = json_object_get(item, "question");
    assert_string_equal(json_string_value(json_object_get(q, "stem")), "hound01 is a kind of");
    assert_string_equal(json_string_value(json_object_get(q, "question_concept")), "hound01");
    json_t *chs = json_object_get(q, "choices");
    assert_int_equal(json_array_size(chs), 5);
    const char *others[4] = {"canine", "feline", "animal", "dog"};
    int seen[4] = {0, 0, 0, 0};
    for (size_t k = 0; k < 5; k++) {
        const char *txt = json_string_value(json_object_get(json_array_get(chs, k), "text"));
        char lab[2] = {(char)('A' + k), 0};
        assert_string_equal(json_string_value(json_object_get(json_array_get(chs, k), "label")), lab);
        if ((int)k == pos) {
            assert_string_equal(txt, "hound");
            continue;
        }
        int hit = -1;
        for (int j = 0; j < 4; j++)
            if (strcmp(txt, others[j]) == 0) hit = j;
        assert_true(hit >= 0);
        seen[hit]++;
    }
    for (int j = 0; j < 4; j++) assert_int_equal(seen[j], 1);
    json_decref(item);
    free(choice);
    /* coyote ("a small wolf of North America") names no lemma of canine: no item */
    for (int sp2 = 0; sp2 < 3; sp2++) {
        choice = slurp2(out, "wn-choice", SPLIT_FILE[2][sp2]);
        assert_null(strstr(choice, "\"n00009000\""));
        free(choice);
    }

    /* wn-span: dog's entry with its example; the question asks for its kind;
     * the answer is "canine" at 5 ("dog: ") + 15 ("a domesticated ") */
    const char *ctx_want = "dog: a domesticated canine kept as a pet; \"the dog barked all night\".";
    char path[1024];
    snprintf(path, sizeof path, "%s/wn-span/%s", out, SPLIT_FILE[1][sp]);
    json_t *root = json_load_file(path, 0, NULL), *art;
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "version")), "1.1");
    size_t i;
    int found = 0;
    json_array_foreach(json_object_get(root, "data"), i, art) {
        if (strcmp(json_string_value(json_object_get(art, "title")), dog) != 0) continue;
        found = 1;
        json_t *par = json_array_get(json_object_get(art, "paragraphs"), 0);
        assert_string_equal(json_string_value(json_object_get(par, "context")), ctx_want);
        json_t *qa = json_array_get(json_object_get(par, "qas"), 0);
        assert_string_equal(json_string_value(json_object_get(qa, "id")), dog);
        assert_string_equal(json_string_value(json_object_get(qa, "question")), "What kind of thing is dog?");
        json_t *an = json_array_get(json_object_get(qa, "answers"), 0);
        assert_string_equal(json_string_value(json_object_get(an, "text")), "canine");
        assert_int_equal(json_integer_value(json_object_get(an, "answer_start")), 20);
    }
    assert_true(found);
    json_decref(root);
    /* the verb bark ("make barking sounds"; hypernym "make noise, noise"):
     * no lemma of it in the gloss, nor the last word "noise": no item */
    for (int sp2 = 0; sp2 < 3; sp2++) {
        char *sj = slurp2(out, "wn-span", SPLIT_FILE[1][sp2]);
        assert_null(strstr(sj, "\"v00001000\""));
        free(sj);
    }

    /* wn-blank: dog has no antonym, so the distractor is the co-hyponym first by h3(dog, "blank", id) */
    const char *bs[4] = {sibs[0], sibs[1], sibs[2], sibs[3]};
    rank(dog, "blank", bs, 4);
    const int ans = (int)(h3(dog, "blank-pos", "") % 2);
    char *blank = slurp2(out, "wn-blank", SPLIT_FILE[3][sp]);
    snprintf(want, sizeof want,
             "{\"qID\": \"n00005000\", \"sentence\": \"the _ barked all night\", \"option1\": \"%s\", \"option2\": "
             "\"%s\", \"answer\": \"%d\"}\n",
             ans ? word_of(bs[0]) : "dog", ans ? "dog" : word_of(bs[0]), ans + 1);
    PB_ASSERT_HAS(blank, want);
    free(blank);
    /* coyote: the occurrence keeps its capital and so does the distractor */
    const char *cy = "n00009000", *co[4] = {"n00005000", "n00006000", "n00007000", "n00008000"};
    rank(cy, "blank", co, 4);
    const char *cd = strcmp(co[0], dog) == 0           ? "Dog"
                     : strcmp(co[0], "n00006000") == 0 ? "Wolf"
                     : strcmp(co[0], "n00007000") == 0 ? "Fox"
                                                       : "Jackal";
    const int ca = (int)(h3(cy, "blank-pos", "") % 2);
    blank = slurp2(out, "wn-blank", SPLIT_FILE[3][pb_suite_split(cy)]);
    snprintf(want, sizeof want,
             "\"sentence\": \"the _ ran off\", \"option1\": \"%s\", \"option2\": \"%s\", \"answer\": \"%d\"",
             ca ? cd : "Coyote", ca ? "Coyote" : cd, ca + 1);
    PB_ASSERT_HAS(blank, want);
    free(blank);
    /* able: its antonym; skilled (satellite of able): its head's antonym, with the article blanked too */
    blank = slurp2(out, "wn-blank", SPLIT_FILE[3][pb_suite_split("a00001000")]);
    const int aa = (int)(h3("a00001000", "blank-pos", "") % 2);
    snprintf(want, sizeof want,
             "{\"qID\": \"a00001000\", \"sentence\": \"_ to swim\", \"option1\": \"%s\", "
             "\"option2\": \"%s\", \"answer\": \"%d\"}",
             aa ? "unable" : "able", aa ? "able" : "unable", aa + 1);
    PB_ASSERT_HAS(blank, want);
    free(blank);
    blank = slurp2(out, "wn-blank", SPLIT_FILE[3][pb_suite_split("s00003000")]);
    const int sa = (int)(h3("s00003000", "blank-pos", "") % 2);
    snprintf(want, sizeof want,
             "{\"qID\": \"s00003000\", \"sentence\": \"_ worker\", \"option1\": \"%s\", "
             "\"option2\": \"%s\", \"answer\": \"%d\"}",
             sa ? "an unable" : "a skilled", sa ? "a skilled" : "an unable", sa + 1);
    PB_ASSERT_HAS(blank, want);
    free(blank);
    /* lion: its first example names it twice, so the second is used, with its article */
    blank = slurp2(out, "wn-blank", SPLIT_FILE[3][pb_suite_split("n00012000")]);
    const int la = (int)(h3("n00012000", "blank-pos", "") % 2);
    snprintf(want, sizeof want,
             "{\"qID\": \"n00012000\", \"sentence\": \"_ roared\", \"option1\": \"%s\", \"option2\": \"%s\", "
             "\"answer\": \"%d\"}",
             la ? "a cat" : "a lion", la ? "a lion" : "a cat", la + 1);
    PB_ASSERT_HAS(blank, want);
    free(blank);
    /* no item for the adverb (no antonym, sibling or cluster) nor for unable (no lemma in an example) */
    for (int s = 0; s < 3; s++) {
        blank = slurp2(out, "wn-blank", SPLIT_FILE[3][s]);
        assert_null(strstr(blank, "r00001000"));
        assert_null(strstr(blank, "a00002000"));
        free(blank);
    }
}

/* Same files from a second build and from the lines in reverse order. */
static void test_determinism(void **state) {
    (void)state;
    build("out1");
    char wn[512], out[512], corpus[512];
    snprintf(wn, sizeof wn, "%s/wn", g_dir);
    write_fixture(wn, 1);
    snprintf(out, sizeof out, "%s/out2", g_dir);
    snprintf(corpus, sizeof corpus, "%s/out2/corpus.txt", g_dir);
    assert_int_equal(pb_suite_wn_build(wn, out, corpus), 0);
    char o1[512];
    snprintf(o1, sizeof o1, "%s/out1", g_dir);
    for (int t = 0; t < 4; t++)
        for (int s = 0; s < 4; s++) {
            const char *f = s < 3 ? SPLIT_FILE[t][s] : "stats.json";
            char *a = slurp2(o1, TASK[t], f), *b = slurp2(out, TASK[t], f);
            assert_true(strlen(a) > 0);
            assert_string_equal(a, b);
            free(a);
            free(b);
        }
    char *a = slurp2(o1, ".", "corpus.txt"), *b = slurp2(out, ".", "corpus.txt");
    assert_string_equal(a, b);
    free(a);
    free(b);
}

/* Every item sits in the split of its anchor; so ids never cross splits. */
static void test_splits(void **state) {
    (void)state;
    build("out1");
    char out[512];
    snprintf(out, sizeof out, "%s/out1", g_dir);
    for (int t = 2; t < 4; t++)
        for (int s = 0; s < 3; s++) {
            char *text = slurp2(out, TASK[t], SPLIT_FILE[t][s]);
            int n = 0;
            for (char *p = text; *p; n++) {
                char *nl = strchr(p, '\n');
                assert_non_null(nl);
                json_t *o = json_loadb(p, (size_t)(nl - p), 0, NULL);
                assert_non_null(o);
                const char *id = json_string_value(json_object_get(o, t == 2 ? "id" : "qID"));
                assert_non_null(id);
                assert_int_equal(pb_suite_split(id), s);
                json_decref(o);
                p = nl + 1;
            }
            assert_true(n > 0);
            free(text);
        }
    for (int s = 0; s < 3; s++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/wn-span/%s", out, SPLIT_FILE[1][s]);
        json_t *root = json_load_file(path, 0, NULL), *art;
        assert_non_null(root);
        size_t i;
        assert_true(json_array_size(json_object_get(root, "data")) > 0);
        json_array_foreach(json_object_get(root, "data"), i, art)
            assert_int_equal(pb_suite_split(json_string_value(json_object_get(art, "title"))), s);
        json_decref(root);
    }
    /* wn-pair: sentence1 starts with the anchor's word; the hounds' words name their ids */
    for (int s = 0; s < 3; s++) {
        char *text = slurp2(out, "wn-pair", SPLIT_FILE[0][s]), *p = strchr(text, '\n') + 1;
        long rows = 0;
        while (*p) {
            char *tab = strchr(p, '\t'), *colon = strchr(tab, ':');
            int k;
            if (sscanf(tab + 1, "hound%d:", &k) == 1) {
                char id[16];
                snprintf(id, sizeof id, "n%08u", 30000u + 100u * (unsigned)k);
                assert_int_equal(pb_suite_split(id), s);
            }
            assert_non_null(colon);
            p = strchr(p, '\n') + 1;
            rows++;
        }
        assert_int_equal(rows % 3, 0);
        free(text);
    }
}

static void test_corpus_and_stats(void **state) {
    (void)state;
    build("out1");
    char wnd[512], out[512];
    snprintf(wnd, sizeof wnd, "%s/wn", g_dir);
    snprintf(out, sizeof out, "%s/out1", g_dir);
    char *corpus = slurp2(out, ".", "corpus.txt");
    size_t cl = strlen(corpus);
    char *nc = malloc(cl + 2); /* "\n" + corpus, so every line is "\n...\n" */
    nc[0] = '\n';
    memcpy(nc + 1, corpus, cl + 1);
    pb_wordnet wn;
    assert_int_equal(pb_wordnet_load(&wn, wnd), 0);
    int n_train = 0, n_held = 0;
    for (int32_t i = 0; i < wn.n; i++) {
        const pb_wn_synset *s = &wn.synsets[i];
        char want[1024];
        if (pb_suite_split(s->id) == 0 && s->offset != g_x_train) {
            /* "lemma, lemma: definition" with spaces for '_', then each example */
            size_t n = 0;
            want[n++] = '\n';
            for (int k = 0; k < s->n_lemmas; k++)
                n += (size_t)snprintf(want + n, sizeof want - n, "%s%s", k ? ", " : "", s->lemmas[k]);
            snprintf(want + n, sizeof want - n, ": %s\n", s->definition);
            for (char *p = want; *p; p++)
                if (*p == '_') *p = ' ';
            PB_ASSERT_HAS(nc, want);
            for (int e = 0; e < s->n_examples; e++) {
                snprintf(want, sizeof want, "\n%s\n", s->examples[e]);
                PB_ASSERT_HAS(nc, want);
            }
            n_train++;
        } else if (pb_suite_split(s->id) != 0) {
            snprintf(want, sizeof want, ": %s\n", s->definition);
            assert_null(strstr(nc, want));
            for (int e = 0; e < s->n_examples; e++) {
                snprintf(want, sizeof want, "\n%s\n", s->examples[e]);
                assert_null(strstr(nc, want));
            }
            n_held++;
        }
    }
    assert_true(n_train > 0 && n_held > 0);
    /* xtrain's gloss line is there, its example (shared with a held-out synset) is not */
    PB_ASSERT_HAS(nc, "\nxtrain: a train-split thing\n");
    assert_null(strstr(nc, "a shared example sentence"));
    pb_wordnet_free(&wn);
    free(nc);
    free(corpus);

    /* stats.json: counts agree with the files; wn-pair's classes are equal */
    char *st = slurp2(out, "wn-pair", "stats.json");
    json_t *o = json_loads(st, 0, NULL);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "task")), "wn-pair");
    json_t *lab = json_object_get(json_object_get(json_object_get(o, "splits"), "train"), "labels");
    const json_int_t h = json_integer_value(json_object_get(lab, "hypernym"));
    assert_true(h > 0);
    assert_int_equal(json_integer_value(json_object_get(lab, "sibling")), h);
    assert_int_equal(json_integer_value(json_object_get(lab, "unrelated")), h);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(json_object_get(o, "splits"), "train"), "examples")), 3 * h);
    json_decref(o);
    free(st);
    for (int t = 1; t < 4; t++) {
        st = slurp2(out, TASK[t], "stats.json");
        o = json_loads(st, 0, NULL);
        assert_non_null(o);
        assert_string_equal(json_string_value(json_object_get(o, "task")), TASK[t]);
        for (int s = 0; s < 3; s++) {
            static const char *const SN[3] = {"train", "dev", "test"};
            char *text = slurp2(out, TASK[t], SPLIT_FILE[t][s]);
            long items = 0;
            if (t == 1) {
                for (char *p = text; (p = strstr(p, "\"title\"")) != NULL; p++) items++;
            } else
                for (char *p = text; *p; p++) items += *p == '\n';
            assert_int_equal(
                json_integer_value(json_object_get(json_object_get(json_object_get(o, "splits"), SN[s]), "examples")),
                items);
            free(text);
        }
        json_decref(o);
        free(st);
    }
}

/* The folders open through their loaders (wn-pair waits for its GLUE spec). */
static void test_loaders(void **state) {
    (void)state;
    build("out1");
    static const char *const words[] = {"dog", "wolf", "fox", "a", "the", "canine", ":", ";", "(", ")", NULL};
    pb_test_write_vocab(g_dir, words);
    char vocab[512], dir[512];
    snprintf(vocab, sizeof vocab, "%s/vocab.txt", g_dir);
    pb_task_opts o = {.seed = 1, .tokenizer = vocab, .data_dir = dir};
    pb_data_source ds;

    snprintf(dir, sizeof dir, "%s/out1/wn-span", g_dir);
    int rc = pb_task_squad_open("squad", &o, &ds);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    pb_squad_info info;
    assert_int_equal(pb_squad_info_get(&ds, &info), 0);
    assert_true(info.examples[0] > 0 && info.examples[1] > 0);
    assert_int_equal(info.mismatched[0] + info.mismatched[1], 0); /* every answer_start points at its text */
    ds.free(ds.ctx);

    snprintf(dir, sizeof dir, "%s/out1/wn-choice", g_dir);
    rc = pb_task_csqa_open("wn-choice", &o, &ds);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_true(ds.count(ds.ctx, PB_SPLIT_TRAIN) > 0 && ds.count(ds.ctx, PB_SPLIT_DEV) > 0 &&
                ds.count(ds.ctx, PB_SPLIT_TEST) > 0);
    ds.free(ds.ctx);

    snprintf(dir, sizeof dir, "%s/out1/wn-blank", g_dir);
    rc = pb_task_winogrande_open("wn-blank", &o, &ds);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_true(ds.count(ds.ctx, PB_SPLIT_TRAIN) > 0 && ds.count(ds.ctx, PB_SPLIT_DEV) > 0);
    ds.free(ds.ctx);
}

static void test_missing(void **state) {
    (void)state;
    char empty[512], out[512], corpus[512];
    snprintf(empty, sizeof empty, "%s/empty", g_dir);
    mkdir(empty, 0700);
    snprintf(out, sizeof out, "%s/out3", g_dir);
    snprintf(corpus, sizeof corpus, "%s/out3/corpus.txt", g_dir);
    assert_int_equal(pb_suite_wn_build(empty, out, corpus), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("empty/data.noun");
    PB_ASSERT_MSG_HAS("make data");
    /* a malformed file: the parser's file:line error comes through */
    char path[1100];
    write_fixture(empty, 0);
    pb_test_write_file(path, sizeof path, empty, "data.adv", "00001000 02 r 01 well 0\n");
    assert_int_equal(pb_suite_wn_build(empty, out, corpus), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("data.adv:1:");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items),   cmocka_unit_test(test_determinism),      cmocka_unit_test(test_splits),
        cmocka_unit_test(test_loaders), cmocka_unit_test(test_corpus_and_stats), cmocka_unit_test(test_missing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
