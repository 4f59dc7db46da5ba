/* The data commands of bin/prunebench: `tasks` lists the registry, `tokenize`
 * prints the ids of stdin lines with a WordPiece vocabulary or a byte-level
 * BPE tokenizer.json (ids worked out by hand from the fixtures' vocabularies),
 * `export` writes a Hugging Face folder that loads back bit-exact, `metric`
 * scores prediction files; bad input exits 1 or 2 naming what is wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "registry.h"
#include "safetensors.h"
#include "testutil.h"

PB_TEST_TMPDIR_FIXTURE("clidata")

static const char *const WORDS[] = {"the", "cat", "sat", "##s", ",", NULL};

static void test_tasks(void **state) {
    (void)state;
    char *out = NULL;
    assert_int_equal(pb_test_run_cli(g_dir, "tasks", &out, NULL), 0);
    PB_ASSERT_HAS(out, "task\tkind\tfiles\tmetric\n");
    int n;
    const pb_task_info *t = pb_task_list(&n);
    for (int i = 0; i < n; i++) {
        char line[512];
        snprintf(line, sizeof line, "\n%s\t%s\t", t[i].name, t[i].kind);
        PB_ASSERT_HAS(out, line);
    }
    free(out);
    assert_int_equal(pb_test_run_cli(g_dir, "tasks extra", NULL, NULL), 2);
}

static void test_tokenize_wordpiece(void **state) {
    (void)state;
    char vocab[512], in[512], args[2048];
    pb_test_write_vocab(g_dir, WORDS);
    pb_test_path(vocab, sizeof vocab, g_dir, "vocab.txt");
    pb_test_write_file(in, sizeof in, g_dir, "in.txt", "The cats, sat\tcat\n\ncat\r\n");
    snprintf(args, sizeof args, "tokenize --tokenizer '%s' --pair <'%s'", vocab, in);
    char *out = NULL;
    assert_int_equal(pb_test_run_cli(g_dir, args, &out, NULL), 0);
    /* [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4 the=5 cat=6 sat=7 ##s=8 ,=9:
     * [CLS] the cat ##s , sat [SEP] cat [SEP]; an empty line is [CLS] [SEP];
     * "\r\n" ends a line like "\n" */
    assert_string_equal(out, "2 5 6 8 9 7 3 6 3\n2 3\n2 6 3\n");
    free(out);
    /* --max-length 5 truncates the longer side first: A has 5, B 1 -> A keeps 2 */
    snprintf(args, sizeof args, "tokenize --tokenizer '%s' --pair --max-length 5 <'%s'", vocab, in);
    assert_int_equal(pb_test_run_cli(g_dir, args, &out, NULL), 0);
    assert_string_equal(out, "2 5 3 6 3\n2 3\n2 6 3\n");
    free(out);
    char *err = NULL;
    snprintf(args, sizeof args, "tokenize --tokenizer '%s/none.txt' <'%s'", g_dir, in);
    assert_int_equal(pb_test_run_cli(g_dir, args, NULL, &err), 1);
    PB_ASSERT_HAS(err, "none.txt");
    free(err);
    assert_int_equal(pb_test_run_cli(g_dir, "tokenize", NULL, NULL), 2);
}

static void test_tokenize_bpe(void **state) {
    (void)state;
    char tj[512], in[512], args[2048];
    /* "Ġ" (U+0120) is GPT-2's symbol for the space byte */
    pb_test_write_file(tj, sizeof tj, g_dir, "tokenizer.json",
                       "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"<s>\": 0, \"<pad>\": 1, \"</s>\": 2, \"a\": 3, "
                       "\"b\": 4, \"ab\": 5, \"\\u0120\": 6, \"\\u0120ab\": 7}, \"merges\": [\"a b\", \"\\u0120 ab\"]}}");
    pb_test_write_file(in, sizeof in, g_dir, "in.txt", "ab ab\nab\tb\n");
    snprintf(args, sizeof args, "tokenize --tokenizer '%s' --pair <'%s'", tj, in);
    char *out = NULL;
    int rc = pb_test_run_cli(g_dir, args, &out, NULL);
    /* "ab ab" pre-tokenizes to "ab", " ab"; a+b merge first (rank 0), then
     * Ġ+ab (rank 1): <s> ab Ġab </s>; the pair: <s> ab </s></s> b </s> */
    assert_int_equal(rc, 0);
    assert_string_equal(out, "0 5 7 2\n0 5 2 2 4 2\n");
    free(out);
    remove(tj);
}

static void test_export(void **state) {
    (void)state;
    char ck[512], dir[512], vocab[512], args[2048];
    pb_model m, back;
    pb_test_random_model(&m, PB_MODEL_BERT, PB_HEAD_SPAN, 4);
    assert_int_equal(pb_io_save_checkpoint(&m, pb_test_path(ck, sizeof ck, g_dir, "m.h5")), 0);
    pb_test_write_vocab(g_dir, WORDS);
    pb_test_path(vocab, sizeof vocab, g_dir, "vocab.txt");
    pb_test_path(dir, sizeof dir, g_dir, "hf");
    snprintf(args, sizeof args, "export --checkpoint '%s' --head span --tokenizer '%s' --out '%s'", ck, vocab, dir);
    char *err = NULL;
    int rc = pb_test_run_cli(g_dir, args, NULL, &err);
    if (rc) print_error("%s\n", err);
    free(err);
    assert_int_equal(rc, 0);
    char p[1024];
    assert_true(pb_test_path(p, sizeof p, dir, "vocab.txt") && access(p, R_OK) == 0);
    char *cfg = pb_test_slurp(pb_test_path(p, sizeof p, dir, "config.json"));
    PB_ASSERT_HAS(cfg, "\"BertForQuestionAnswering\"");
    free(cfg);
    assert_int_equal(pb_hf_folder_load(&back, dir, PB_HEAD_SPAN, 0, 2, 8, 1, NULL), 0);
    assert_memory_equal(back.params_mem, m.params_mem, sizeof(float) * m.n_floats);
    pb_model_free(&back);
    pb_model_free(&m);
    /* a head the checkpoint lacks, a missing file: exit 1 naming it */
    snprintf(args, sizeof args, "export --checkpoint '%s' --head mlm --out '%s'", ck, dir);
    assert_int_equal(pb_test_run_cli(g_dir, args, NULL, &err), 1);
    PB_ASSERT_HAS(err, "cls.predictions");
    free(err);
    snprintf(args, sizeof args, "export --checkpoint '%s/absent.h5' --out '%s'", g_dir, dir);
    assert_int_equal(pb_test_run_cli(g_dir, args, NULL, &err), 1);
    PB_ASSERT_HAS(err, "absent.h5");
    free(err);
    assert_int_equal(pb_test_run_cli(g_dir, "export --out x", NULL, NULL), 2);
}

static void test_metric_glue(void **state) {
    (void)state;
    char l[512], pr[512], args[2048];
    pb_test_write_file(l, sizeof l, g_dir, "labels.txt", "1\n0\n1\n1\n");
    pb_test_write_file(pr, sizeof pr, g_dir, "pred.txt", "1\n1\n1\n0\n");
    char *out = NULL, *err = NULL;
    /* MRPC: 2 of 4 right; TP 2, FP 1, FN 1 -> F1 = 2*2/(2*2+1+1) = 2/3 */
    snprintf(args, sizeof args, "metric glue-mrpc --labels '%s' --pred '%s'", l, pr);
    assert_int_equal(pb_test_run_cli(g_dir, args, &out, NULL), 0);
    assert_string_equal(out, "{\"accuracy\": 50, \"f1\": 66.66666666666667}\n");
    free(out);
    /* STS-B, constant predictions: Pearson is undefined (scipy: nan) -> null */
    pb_test_write_file(pr, sizeof pr, g_dir, "pred.txt", "2.5\n2.5\n2.5\n2.5\n");
    snprintf(args, sizeof args, "metric glue-stsb --labels '%s' --pred '%s'", l, pr);
    assert_int_equal(pb_test_run_cli(g_dir, args, &out, NULL), 0);
    assert_string_equal(out, "{\"pearson\": null, \"spearmanr\": null}\n");
    free(out);
    /* a bad line is named */
    pb_test_write_file(pr, sizeof pr, g_dir, "pred.txt", "1\nx\n1\n0\n");
    snprintf(args, sizeof args, "metric glue-rte --labels '%s' --pred '%s'", l, pr);
    assert_int_equal(pb_test_run_cli(g_dir, args, NULL, &err), 1);
    PB_ASSERT_HAS(err, "pred.txt:2");
    free(err);
    assert_int_equal(pb_test_run_cli(g_dir, "metric glue-rte", NULL, NULL), 2);
    assert_int_equal(pb_test_run_cli(g_dir, "metric nope --pred x --labels y", NULL, NULL), 2);
}

static void test_metric_squad(void **state) {
    (void)state;
    char d[512], pr[512], args[2048];
    pb_test_write_file(d, sizeof d, g_dir, "dev-v1.1.json",
                       "{\"version\": \"1.1\", \"data\": [{\"title\": \"t\", \"paragraphs\": [{\"context\": "
                       "\"The black cat sat.\", \"qas\": [{\"id\": \"q1\", \"question\": \"Who sat?\", \"answers\": "
                       "[{\"text\": \"The black cat\", \"answer_start\": 0}, {\"text\": \"cat\", \"answer_start\": 10}]},"
                       "{\"id\": \"q2\", \"question\": \"What?\", \"answers\": [{\"text\": \"the black cat\", "
                       "\"answer_start\": 0}]}]}]}]}");
    pb_test_write_file(pr, sizeof pr, g_dir, "pred.json", "{\"q1\": \"a cat!\", \"q2\": \"black dog\"}");
    /* official evaluate-v1.1.py: q1 "a cat!" normalizes to "cat" = the second
     * gold: EM 1, F1 1; q2 "black dog" vs "black cat": EM 0, one shared token,
     * P = R = 1/2, F1 = 0.5 -> exact_match 50.0, f1 = 100 * 1.5 / 2 = 75.0 */
    snprintf(args, sizeof args, "metric squad --data '%s' --pred '%s'", d, pr);
    char *out = NULL, *err = NULL;
    assert_int_equal(pb_test_run_cli(g_dir, args, &out, NULL), 0);
    assert_string_equal(out, "{\"exact_match\": 50.0, \"f1\": 75.0}\n");
    free(out);
    pb_test_write_file(pr, sizeof pr, g_dir, "pred.json", "{\"q1\": \"cat\",");
    assert_int_equal(pb_test_run_cli(g_dir, args, NULL, &err), 1);
    PB_ASSERT_HAS(err, "pred.json:1:");
    free(err);
    assert_int_equal(pb_test_run_cli(g_dir, "metric squad --data x", NULL, NULL), 2);
}

int main(void) {
    if (access(pb_test_cli(), X_OK) != 0) {
        fprintf(stderr, "test_cli_data: %s is not an executable (build it with make, or set PB_CLI)\n", pb_test_cli());
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tasks),
        cmocka_unit_test(test_tokenize_wordpiece),
        cmocka_unit_test(test_tokenize_bpe),
        cmocka_unit_test(test_export),
        cmocka_unit_test(test_metric_glue),
        cmocka_unit_test(test_metric_squad),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
