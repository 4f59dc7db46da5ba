/* The WordNet 3.0 data-file parser (tasks/wordnet.c) on tiny fixtures in the
 * upstream wndb(5) layout: license header lines (two leading spaces), synset
 * lines with pointers, verb frames, adjective markers and glosses with quoted
 * examples. Expected values are read off the fixture lines by hand; the
 * gloss split follows NLTK's reader (quoted parts are examples, the rest
 * stripped of whitespace and "; " is the definition). */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "wordnet.h"

PB_TEST_TMPDIR_FIXTURE("wordnet")

static const char *const HEADER = "  1 This software and database is being provided to you, the LICENSEE, by  \n"
                                  "  2 Princeton University under the following license.  By obtaining, using  \n";

static const char *const NOUN =
    "00001740 03 n 01 entity 0 002 ~ 00002084 n 0000 = 00001740 a 0000 | that which is perceived or known; \"an "
    "entity of its own\"  \n"
    "00002084 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 1 003 @ 00001740 n 0000 ! 00003000 n 0101 + 00001000 v "
    "0301 | a member of the genus Canis; occurs in many breeds; \"the dog barked all night\"; \"a dog's life\"  \n"
    "00003000 05 n 01 cat 0 001 ! 00002084 n 0101 | feline \"not an example  \n";

static const char *const VERB = "00001000 32 v 01 bark 0 002 @ 00002000 v 0000 + 00002084 n 0103 02 + 02 00 + 08 01 | "
                                "make barking sounds; \"the dogs bark\"  \n"
                                "00002000 32 v 02 make_noise 0 noise 1 000 01 + 02 00 | emit a noise  \n";

static const char *const ADJ = "00001740 00 a 01 able 0 002 ! 00002098 a 0101 & 00002200 s 0000 | (usually followed "
                               "by `to') having the necessary means; \"able to swim\"; \"she was able to program\"  \n"
                               "00002098 00 a 01 unable 0 001 ! 00001740 a 0101 | not able  \n"
                               "00002200 00 s 03 abounding 0 galore(ip) 0 outback(a) 0 001 & 00001740 a 0000 | "
                               "existing in abundance; \"whiskey galore\"  \n";

/* Write the four data files into g_dir, each after the license header. */
static void write_wn(const char *noun, const char *verb, const char *adj, const char *adv) {
    const char *names[4] = {"data.noun", "data.verb", "data.adj", "data.adv"};
    const char *bodies[4] = {noun, verb, adj, adv};
    for (int f = 0; f < 4; f++) {
        char path[512], *text = malloc(strlen(HEADER) + strlen(bodies[f]) + 1);
        assert_non_null(text);
        strcpy(text, HEADER);
        strcat(text, bodies[f]);
        pb_test_write_file(path, sizeof path, g_dir, names[f], text);
        free(text);
    }
}

static void test_parse_fields(void **state) {
    (void)state;
    write_wn(NOUN, VERB, ADJ, "");
    pb_wordnet wn;
    assert_int_equal(pb_wordnet_load(&wn, g_dir), 0);
    assert_int_equal(wn.n, 8); /* 3 nouns, 2 verbs, 3 adjectives, no adverbs */
    assert_int_equal(wn.begin[PB_WN_NOUN], 0);
    assert_int_equal(wn.begin[PB_WN_VERB], 3);
    assert_int_equal(wn.begin[PB_WN_ADJ], 5);
    assert_int_equal(wn.begin[PB_WN_ADV], 8);
    assert_int_equal(wn.begin[PB_WN_FILES], 8);

    const int32_t d = pb_wordnet_find(&wn, 'n', 2084);
    assert_int_equal(d, 1);
    const pb_wn_synset *s = &wn.synsets[d];
    assert_string_equal(s->id, "n00002084");
    assert_int_equal(s->pos, 'n');
    assert_int_equal(s->lex_filenum, 5);
    assert_int_equal(s->line, 4); /* two header lines, then entity */
    assert_int_equal(s->n_lemmas, 3);
    assert_string_equal(s->lemmas[0], "dog");
    assert_string_equal(s->lemmas[1], "domestic_dog");
    assert_string_equal(s->lemmas[2], "Canis_familiaris");
    assert_int_equal(s->lex_ids[2], 1);
    assert_string_equal(s->markers[0], "");
    assert_string_equal(s->definition, "a member of the genus Canis; occurs in many breeds");
    assert_int_equal(s->n_examples, 2);
    assert_string_equal(s->examples[0], "the dog barked all night");
    assert_string_equal(s->examples[1], "a dog's life");
    assert_int_equal(s->n_ptrs, 3);
    assert_string_equal(s->ptrs[0].symbol, "@");
    assert_int_equal(s->ptrs[0].target, pb_wordnet_find_id(&wn, "n00001740"));
    assert_int_equal(s->ptrs[0].source, 0);
    assert_string_equal(s->ptrs[1].symbol, "!");
    assert_int_equal(s->ptrs[1].target, 2);
    assert_int_equal(s->ptrs[1].source, 1);
    assert_int_equal(s->ptrs[1].target_word, 1);
    assert_string_equal(s->ptrs[2].symbol, "+"); /* noun -> verb, word 3 -> word 1 */
    assert_int_equal(s->ptrs[2].target, pb_wordnet_find(&wn, 'v', 1000));
    assert_int_equal(s->ptrs[2].source, 3);
    assert_int_equal(s->ptrs[2].target_word, 1);

    /* entity's pointer "= 00001740 a" reaches the adjective with the same offset */
    s = &wn.synsets[pb_wordnet_find_id(&wn, "n00001740")];
    assert_string_equal(s->definition, "that which is perceived or known");
    assert_int_equal(s->ptrs[1].target, pb_wordnet_find_id(&wn, "a00001740"));
    /* an unpaired quote is no example (re.findall needs a pair) and stays in the definition */
    s = &wn.synsets[pb_wordnet_find_id(&wn, "n00003000")];
    assert_int_equal(s->n_examples, 0);
    assert_string_equal(s->definition, "feline \"not an example");

    /* verbs: frames are skipped, the gloss follows them */
    s = &wn.synsets[pb_wordnet_find_id(&wn, "v00002000")];
    assert_string_equal(s->lemmas[0], "make_noise");
    assert_int_equal(s->lex_ids[1], 1);
    assert_int_equal(s->n_ptrs, 0);
    assert_string_equal(s->definition, "emit a noise");
    s = &wn.synsets[pb_wordnet_find_id(&wn, "v00001000")];
    assert_string_equal(s->examples[0], "the dogs bark");

    /* adjectives: markers stripped, satellites keep ss_type s but live in data.adj */
    const int32_t g = pb_wordnet_find(&wn, 's', 2200);
    assert_int_equal(g, pb_wordnet_find(&wn, 'a', 2200));
    assert_int_equal(g, pb_wordnet_find_id(&wn, "s00002200"));
    assert_int_equal(pb_wordnet_find_id(&wn, "a00002200"), -1); /* its id says s */
    s = &wn.synsets[g];
    assert_string_equal(s->id, "s00002200");
    assert_string_equal(s->lemmas[1], "galore");
    assert_string_equal(s->markers[1], "ip");
    assert_string_equal(s->lemmas[2], "outback");
    assert_string_equal(s->markers[2], "a");
    assert_string_equal(s->definition, "existing in abundance");
    assert_string_equal(s->examples[0], "whiskey galore");
    s = &wn.synsets[pb_wordnet_find_id(&wn, "a00001740")];
    assert_string_equal(s->definition, "(usually followed by `to') having the necessary means");
    assert_int_equal(s->n_examples, 2);
    assert_string_equal(s->examples[1], "she was able to program");
    assert_string_equal(s->ptrs[1].symbol, "&");
    assert_int_equal(s->ptrs[1].target, g);
    assert_int_equal(pb_wordnet_find(&wn, 'r', 1740), -1);
    assert_int_equal(pb_wordnet_find(&wn, 'x', 1740), -1);
    pb_wordnet_free(&wn);
}

/* Lines in another order load the same synsets (sorted by offset). */
static void test_order_independent(void **state) {
    (void)state;
    const char *a = strchr(NOUN, '\n') + 1, *b = strchr(a, '\n') + 1;
    char noun[2048];
    snprintf(noun, sizeof noun, "%s%.*s%.*s", b, (int)(b - a), a, (int)(a - NOUN), NOUN);
    write_wn(noun, VERB, ADJ, "");
    pb_wordnet wn;
    assert_int_equal(pb_wordnet_load(&wn, g_dir), 0);
    assert_string_equal(wn.synsets[0].id, "n00001740");
    assert_string_equal(wn.synsets[1].id, "n00002084");
    assert_int_equal(wn.synsets[0].line, 5); /* entity is now the last line */
    assert_int_equal(wn.synsets[1].line, 4);
    assert_int_equal(wn.synsets[1].ptrs[1].target, 2);
    pb_wordnet_free(&wn);
}

static void expect_error(const char *noun, const char *adj, int code, const char *msg) {
    write_wn(noun, VERB, adj, "");
    pb_wordnet wn;
    assert_int_equal(pb_wordnet_load(&wn, g_dir), code);
    PB_ASSERT_MSG_HAS(msg);
    assert_null(wn.synsets);
}

static void test_errors(void **state) {
    (void)state;
    char where[600];
    snprintf(where, sizeof where, "%s/data.noun:3: w_cnt says 2 words but the line has 1 word/lex_id pairs", g_dir);
    expect_error("00001740 03 n 02 entity 0\n", ADJ, PB_EFORMAT, where);
    snprintf(where, sizeof where, "%s/data.noun:3: w_cnt says 2 words", g_dir);
    expect_error("00001740 03 n 02 entity 0 000 | gloss\n", ADJ, PB_EFORMAT,
                 where); /* "000" taken as a word, then "|" */
    snprintf(where, sizeof where, "%s/data.noun:3: p_cnt says 2 pointers but the line has 1 complete ones", g_dir);
    expect_error("00001740 03 n 01 entity 0 002 ~ 00001740 n 0000 | gloss\n", ADJ, PB_EFORMAT, where);
    snprintf(where, sizeof where, "%s/data.noun:3: expected '|' and the gloss", g_dir);
    expect_error("00001740 03 n 01 entity 0 000 gloss without bar\n", ADJ, PB_EFORMAT, where);
    snprintf(where, sizeof where, "%s/data.noun:4: pointer 1 ('@') targets synset 00009999 in data.noun", g_dir);
    expect_error("00001740 03 n 01 entity 0 000 | x\n00002000 03 n 01 thing 0 001 @ 00009999 n 0000 | y\n", ADJ,
                 PB_EFORMAT, where);
    snprintf(where, sizeof where, "%s/data.noun:3: expected ss_type n, got 'v'", g_dir);
    expect_error("00001740 03 v 01 entity 0 000 | x\n", ADJ, PB_EFORMAT, where);
    snprintf(where, sizeof where, "%s/data.noun:3: expected a 2-digit hexadecimal w_cnt above 0, got '0g'", g_dir);
    expect_error("00001740 03 n 0g entity 0 000 | x\n", ADJ, PB_EFORMAT, where);
    snprintf(where, sizeof where, "%s/data.noun:3: expected an 8-digit synset_offset, got '1740'", g_dir);
    expect_error("1740 03 n 01 entity 0 000 | x\n", ADJ, PB_EFORMAT, where);
    snprintf(where, sizeof where, "%s/data.noun:3: pointer 1: expected 4 hexadecimal digits source/target, got '00'",
             g_dir);
    expect_error("00001740 03 n 01 entity 0 001 ~ 00001740 n 00 | x\n", ADJ, PB_EFORMAT, where);
    snprintf(where, sizeof where, "%s/data.noun:4: synset_offset 00001740 already used on line 3", g_dir);
    expect_error("00001740 03 n 01 entity 0 000 | x\n00001740 03 n 01 thing 0 000 | y\n", ADJ, PB_EFORMAT, where);
    snprintf(where, sizeof where, "%s/data.adj:3: expected ss_type a or s, got 'n'", g_dir);
    expect_error(NOUN, "00001740 00 n 01 able 0 000 | x\n", PB_EFORMAT, where);
    /* verbs need their frame count */
    write_wn(NOUN, "00001000 32 v 01 bark 0 000 | make barking sounds\n", ADJ, "");
    pb_wordnet wn;
    assert_int_equal(pb_wordnet_load(&wn, g_dir), PB_EFORMAT);
    snprintf(where, sizeof where, "%s/data.verb:3: expected a 2-digit f_cnt (verb frames), got '|'", g_dir);
    PB_ASSERT_MSG_HAS(where);
    write_wn(NOUN, "00001000 32 v 01 bark 0 000 02 + 02 00 | make barking sounds\n", ADJ, "");
    assert_int_equal(pb_wordnet_load(&wn, g_dir), PB_EFORMAT);
    PB_ASSERT_MSG_HAS("f_cnt says 2 frames; frame 2 is not '+ f_num w_num'");
    /* a missing file */
    write_wn(NOUN, VERB, ADJ, "");
    char path[512];
    remove(pb_test_path(path, sizeof path, g_dir, "data.adv"));
    assert_int_equal(pb_wordnet_load(&wn, g_dir), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_order_independent),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
