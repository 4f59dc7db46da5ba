/* The nine GLUE tasks (tasks/glue.h) from tiny fixtures in the upstream TSV
 * layouts (headers as the GLUE distribution writes them, columns as Hugging
 * Face's glue processors read them): counts per split, head, exact ids of one
 * row per task (computed by hand from the vocabulary below), labels, metrics
 * on constructed logits, every error path, and a few training steps on a
 * sentence-pair classification (RTE) and a regression (STS-B) task. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "glue.h"
#include "testutil.h"
#include "trainer.h"

static char g_dir[128];
static char g_vocab[256];

/* clang-format off */
/* BERT vocab: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then these from 5. */
static const char *const WORDS[] = {"the", "cat", "sat", "a",    "dog",  "ran", "is", "good", "bad",
                                    "?",   ".",   "movie", "what", "who", "it",  "he", "she",  NULL};
enum {
    CLS = 2, SEP = 3, UNK = 1,
    THE = 5, CAT, SAT, A, DOG, RAN, IS, GOOD, BAD, QM, DOT, MOVIE, WHAT, WHO, IT, HE, SHE
};
enum { SEQ = 16 };

/* clang-format on */
static const char *const SUBDIRS[] = {"cola", "sst2", "mrpc", "qqp", "stsb", "mnli",
                                      "qnli", "rte",  "wnli", "err", NULL};

static int setup(void **state) {
    (void)state;
    if (pb_test_tmpdir_create(g_dir, sizeof g_dir, "glue") != 0) return -1;
    pb_test_write_vocab(g_dir, WORDS);
    snprintf(g_vocab, sizeof g_vocab, "%s/vocab.txt", g_dir);
    for (int i = 0; SUBDIRS[i]; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s/%s", g_dir, SUBDIRS[i]);
        if (mkdir(p, 0700) != 0) return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    for (int i = 0; SUBDIRS[i]; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s/%s", g_dir, SUBDIRS[i]);
        pb_test_tmpdir_remove(p);
    }
    pb_test_tmpdir_remove(g_dir);
    return 0;
}

/* ---- fixtures ------------------------------------------------------------- */

#define STSB_HDR "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2"
#define STSB_ROW(i, a, b) i "\tmain-captions\tMSRvid\t2012test\t000" i "\tnone\tnone\t" a "\t" b
#define MNLI_HDR                                                                                                       \
    "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_"      \
    "parse\tsentence1\tsentence2"
#define MNLI_ROW(i, a, b) i "\t1" i "\t1" i "e\tgov\t( a )\t( b )\t(ROOT a)\t(ROOT b)\t" a "\t" b

typedef struct {
    const char *name, *sub;
    const char *files[5][2]; /* file name, text; unused slots NULL */
    long count[3];           /* train, dev, test */
    pb_head_kind head;
    int num_labels;
    int32_t dev0[SEQ];   /* ids of dev example 0, zero (= [PAD]) after n0 */
    int n0, na0;         /* its tokens; of which segment A (type 0) */
    int dev_labels[4];   /* classification */
    float dev_scores[4]; /* regression */
} glue_case;

/* clang-format off */
static const glue_case CASES[] = {
    {"glue-cola", "cola",
     /* train/dev: no header; source, label, original mark, sentence */
     {{"train.tsv", "gj04\t1\t\tThe cat sat.\ngj04\t0\t*\tCat the sat.\ngj04\t1\t\tA dog ran.\n"},
      {"dev.tsv", "cj99\t1\t\tThe dog ran.\ncj99\t0\t*\tDog the ran.\n"},
      {"test.tsv", "index\tsentence\n0\tIt is good.\n1\tIt is bad.\n"}},
     {3, 2, 2}, PB_HEAD_CLS, 2,
     /* [CLS] the dog ran . [SEP] */
     {CLS, THE, DOG, RAN, DOT, SEP}, 6, 6, {1, 0}, {0}},
    {"glue-sst2", "sst2",
     /* sentences keep SST-2's trailing space */
     {{"train.tsv", "sentence\tlabel\ngood movie \t1\nbad movie \t0\n"},
      {"dev.tsv", "sentence\tlabel\nit is a good movie \t1\nit is bad \t0\nthe movie \t1\n"},
      {"test.tsv", "index\tsentence\n0\tgood\n"}},
     {2, 3, 1}, PB_HEAD_CLS, 2,
     {CLS, IT, IS, A, GOOD, MOVIE, SEP}, 7, 7, {1, 0, 1}, {0}},
    {"glue-mrpc", "mrpc",
     /* GLUE's MRPC train.tsv keeps the BOM of msr_paraphrase_train.txt */
     {{"train.tsv", "\xEF\xBB\xBFQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\tThe cat sat.\tA cat sat.\n"
                    "0\t3\t4\tThe dog ran.\tThe cat sat.\n"},
      {"dev.tsv", "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t5\t6\tThe cat ran.\tA cat ran.\n"
                  "0\t7\t8\tHe sat.\tShe ran.\n1\t9\t10\tIt is good.\tIt is good.\n1\t11\t12\tWho?\tWhat?\n"},
      {"test.tsv", "index\t#1 ID\t#2 ID\t#1 String\t#2 String\n0\t1\t2\tgood\tbad\n"}},
     {2, 4, 1}, PB_HEAD_CLS, 2,
     /* [CLS] the cat ran . [SEP] a cat ran . [SEP] */
     {CLS, THE, CAT, RAN, DOT, SEP, A, CAT, RAN, DOT, SEP}, 11, 6, {1, 0, 1, 1}, {0}},
    {"glue-qqp", "qqp",
     {{"train.tsv", "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n0\t1\t2\tWho ran?\tWho sat?\t0\n"
                    "1\t3\t4\tWhat is it?\tWhat is it?\t1\n"},
      {"dev.tsv", "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n5\t5\t6\tWho is he?\tWho is she?\t0\n"
                  "6\t7\t8\tWhat ran?\tWho ran?\t1\n"},
      {"test.tsv", "id\tquestion1\tquestion2\n0\tWho?\tWhat?\n1\tgood?\tbad?\n2\tit?\the?\n"}},
     {2, 2, 3}, PB_HEAD_CLS, 2,
     {CLS, WHO, IS, HE, QM, SEP, WHO, IS, SHE, QM, SEP}, 11, 6, {0, 1}, {0}},
    {"glue-stsb", "stsb",
     {{"train.tsv", STSB_HDR "\tscore\n" STSB_ROW("0", "A cat sat.", "The cat sat.") "\t5.000\n" STSB_ROW(
                        "1", "A dog ran.", "A cat sat.") "\t0.500\n"},
      {"dev.tsv", STSB_HDR "\tscore\n" STSB_ROW("0", "A dog.", "The dog.") "\t5.000\n" STSB_ROW(
                      "1", "A cat.", "She ran.") "\t0.000\n" STSB_ROW("2", "He ran.", "She ran.") "\t2.500\n"},
      {"test.tsv", STSB_HDR "\n" STSB_ROW("0", "He sat.", "She sat.") "\n"}},
     {2, 3, 1}, PB_HEAD_REG, 1,
     /* [CLS] a dog . [SEP] the dog . [SEP] */
     {CLS, A, DOG, DOT, SEP, THE, DOG, DOT, SEP}, 9, 5, {0}, {5.0f, 0.0f, 2.5f}},
    {"glue-mnli", "mnli",
     /* train: 12 columns (label1, gold_label); dev: 16 (label1..5, gold_label); test: 10 */
     {{"train.tsv",
       MNLI_HDR "\tlabel1\tgold_label\n"
       MNLI_ROW("0", "The cat sat.", "A cat sat.") "\tentailment\tentailment\n"
       MNLI_ROW("1", "The cat sat.", "The dog ran.") "\tcontradiction\tcontradiction\n"
       MNLI_ROW("2", "A dog ran.", "The dog is good.") "\tneutral\tneutral\n"},
      {"dev_matched.tsv",
       MNLI_HDR "\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label\n"
       MNLI_ROW("0", "He ran.", "He sat.") "\tneutral\tneutral\tcontradiction\tneutral\tneutral\tneutral\n"
       MNLI_ROW("1", "She ran.", "She ran.") "\tentailment\tentailment\tentailment\tentailment\tentailment"
       "\tentailment\n"},
      {"dev_mismatched.tsv",
       MNLI_HDR "\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label\n"
       MNLI_ROW("0", "It is good.", "It is bad.") "\tcontradiction\tcontradiction\tneutral\t\t\tcontradiction\n"
       MNLI_ROW("1", "A cat.", "A cat.") "\tentailment\tentailment\tentailment\t\t\tentailment\n"},
      {"test_matched.tsv", MNLI_HDR "\n" MNLI_ROW("0", "He sat.", "She sat.") "\n"},
      {"test_mismatched.tsv", MNLI_HDR "\n" MNLI_ROW("0", "Who sat?", "It sat.") "\n"}},
     {3, 4, 2}, PB_HEAD_CLS, 3,
     /* [CLS] he ran . [SEP] he sat . [SEP]; labels contradiction 0, entailment 1, neutral 2 */
     {CLS, HE, RAN, DOT, SEP, HE, SAT, DOT, SEP}, 9, 5, {2, 1, 0, 1}, {0}},
    {"glue-qnli", "qnli",
     /* no test.tsv: the TEST split is empty */
     {{"train.tsv", "index\tquestion\tsentence\tlabel\n0\tWho ran?\tThe dog ran.\tentailment\n"
                    "1\tWho sat?\tThe dog ran.\tnot_entailment\n"},
      {"dev.tsv", "index\tquestion\tsentence\tlabel\n0\tWhat is good?\tThe movie is good.\tentailment\n"
                  "1\tWhat sat?\tThe dog ran.\tnot_entailment\n"}},
     {2, 2, 0}, PB_HEAD_CLS, 2,
     {CLS, WHAT, IS, GOOD, QM, SEP, THE, MOVIE, IS, GOOD, DOT, SEP}, 12, 6, {0, 1}, {0}},
    {"glue-rte", "rte",
     {{"train.tsv", "index\tsentence1\tsentence2\tlabel\n0\tThe cat sat.\tA cat sat.\tentailment\n"
                    "1\tThe dog ran.\tThe cat ran.\tnot_entailment\n2\tIt is good.\tIt is good.\tentailment\n"
                    "3\tHe sat.\tShe ran.\tnot_entailment\n"},
      {"dev.tsv", "index\tsentence1\tsentence2\tlabel\n0\tThe cat sat.\tA dog ran.\tnot_entailment\n"
                  "1\tA dog ran.\tA dog ran.\tentailment\n2\tShe is good.\tShe is bad.\tnot_entailment\n"},
      {"test.tsv", "index\tsentence1\tsentence2\n0\tHe ran.\tShe ran.\n"}},
     {4, 3, 1}, PB_HEAD_CLS, 2,
     {CLS, THE, CAT, SAT, DOT, SEP, A, DOG, RAN, DOT, SEP}, 11, 6, {1, 0, 1}, {0}},
    {"glue-wnli", "wnli",
     {{"train.tsv", "index\tsentence1\tsentence2\tlabel\n0\tThe cat sat.\tIt sat.\t1\n"
                    "1\tThe dog ran.\tThe cat ran.\t0\n"},
      {"dev.tsv", "index\tsentence1\tsentence2\tlabel\n0\tThe dog sat.\tIt sat.\t1\n1\tThe cat ran.\tIt is good.\t0\n"},
      {"test.tsv", "index\tsentence1\tsentence2\n0\tZebra ran.\tIt ran.\n"}},
     {2, 2, 1}, PB_HEAD_CLS, 2,
     {CLS, THE, DOG, SAT, DOT, SEP, IT, SAT, DOT, SEP}, 10, 6, {1, 0}, {0}},
};
/* clang-format on */
enum { N_CASES = sizeof CASES / sizeof CASES[0] };

static void write_case(const glue_case *c) {
    char dir[256], p[512];
    snprintf(dir, sizeof dir, "%s/%s", g_dir, c->sub);
    for (int f = 0; f < 5 && c->files[f][0]; f++) pb_test_write_file(p, sizeof p, dir, c->files[f][0], c->files[f][1]);
}

static int open_sub(const char *name, const char *sub, int seq, pb_data_source *ds) {
    char dir[256];
    snprintf(dir, sizeof dir, "%s/%s", g_dir, sub);
    pb_task_opts o = {.seed = 1, .max_seq_length = seq, .data_dir = dir, .tokenizer = g_vocab};
    return pb_task_glue_open(name, &o, ds);
}

/* Every task: counts, head, the exact ids / types / mask of dev example 0, the
 * labels of the dev split, and perfect logits scoring 100 on every metric. */
static void test_tasks_load(void **state) {
    (void)state;
    for (int t = 0; t < N_CASES; t++) {
        const glue_case *c = &CASES[t];
        write_case(c);
        pb_data_source ds;
        int rc = open_sub(c->name, c->sub, SEQ, &ds);
        if (rc) print_error("%s: %s\n", c->name, pb_error_msg());
        assert_int_equal(rc, 0);
        assert_string_equal(ds.name, c->name);
        assert_int_equal(ds.head, c->head);
        assert_int_equal(ds.num_labels, c->num_labels);
        assert_int_equal(ds.choices, 1);
        assert_int_equal(ds.seq, SEQ);
        assert_int_equal(ds.vocab_size, 22); /* 5 specials + 17 words */
        for (int s = 0; s < 3; s++) assert_int_equal(ds.count(ds.ctx, s), c->count[s]);

        pb_batch_buf bb;
        assert_int_equal(pb_batch_buf_init(&bb, 8, SEQ), 0);
        const long n = c->count[PB_SPLIT_DEV];
        long idx[8];
        for (long i = 0; i < n; i++) idx[i] = i;
        assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_DEV, idx, (int)n, &bb), 0);
        assert_int_equal(bb.b.n, n);
        assert_int_equal(bb.b.seq, SEQ);
        for (int i = 0; i < SEQ; i++) {
            if (bb.b.input_ids[i] != c->dev0[i])
                print_error("%s: id %d: %d want %d\n", c->name, i, bb.b.input_ids[i], c->dev0[i]);
            assert_int_equal(bb.b.input_ids[i], c->dev0[i]);
            assert_int_equal(bb.b.attention_mask[i], i < c->n0);
            assert_int_equal(bb.b.token_type_ids[i], i >= c->na0 && i < c->n0);
        }
        /* logits that pick the gold label (regression: the gold score) */
        float logits[8 * 3];
        memset(logits, 0, sizeof logits);
        for (long i = 0; i < n; i++) {
            if (c->head == PB_HEAD_REG) {
                assert_null(bb.b.labels);
                assert_true(bb.b.labels_f[i] == c->dev_scores[i]);
                logits[i] = c->dev_scores[i];
            } else {
                assert_null(bb.b.labels_f);
                assert_int_equal(bb.b.labels[i], c->dev_labels[i]);
                logits[i * c->num_labels + c->dev_labels[i]] = 1.0f;
            }
        }
        pb_metrics m;
        assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_DEV, logits, &m), 0);
        assert_true(m.n >= 1);
        for (int k = 0; k < m.n; k++) {
            if (fabs(m.value[k] - 100.0) > 1e-9) print_error("%s %s = %g\n", c->name, m.name[k], m.value[k]);
            assert_true(fabs(m.value[k] - 100.0) < 1e-9);
        }
        /* the test split loads without labels and cannot be scored */
        if (c->count[PB_SPLIT_TEST]) {
            assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TEST, idx, 1, &bb), 0);
            assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_TEST, logits, &m), PB_EINVAL);
            PB_ASSERT_MSG_HAS("no labels");
        }
        pb_batch_buf_free(&bb);
        ds.free(ds.ctx);
    }
}

/* Metric names per task and values on non-trivial logits (metrics.h definitions). */
static void test_tasks_metrics(void **state) {
    (void)state;
    pb_data_source ds;
    pb_metrics m;
    /* MRPC dev labels (1, 0, 1, 1), predictions (1, 1, 0, 1): accuracy 2/4;
     * tp = 2, fp = 1, fn = 1: F1 = 4/6 */
    write_case(&CASES[2]);
    assert_int_equal(open_sub("glue-mrpc", "mrpc", SEQ, &ds), 0);
    const float mrpc[] = {0, 1, 0, 1, 1, 0, 0, 1};
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_DEV, mrpc, &m), 0);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.name[0], "accuracy");
    assert_string_equal(m.name[1], "f1");
    assert_true(fabs(m.value[0] - 50.0) < 1e-9);
    assert_true(fabs(m.value[1] - 400.0 / 6.0) < 1e-9);
    ds.free(ds.ctx);
    /* CoLA dev labels (1, 0), predictions (0, 0): MCC's denominator is 0 -> 0 (sklearn) */
    write_case(&CASES[0]);
    assert_int_equal(open_sub("glue-cola", "cola", SEQ, &ds), 0);
    const float cola[] = {2, 1, 3, -1};
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_DEV, cola, &m), 0);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.name[0], "mcc");
    assert_true(m.value[0] == 0.0);
    ds.free(ds.ctx);
    /* STS-B dev scores (5, 0, 2.5), predictions (4, 1, 3): deviations (2.5, -2.5, 0)
     * and (4/3, -5/3, 1/3): sxy = 7.5, sxx = 12.5, syy = 14/3, r = 7.5 / sqrt(12.5 * 14/3);
     * the ranks agree (3, 1, 2): rho = 1 */
    write_case(&CASES[4]);
    assert_int_equal(open_sub("glue-stsb", "stsb", SEQ, &ds), 0);
    const float stsb[] = {4, 1, 3};
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_DEV, stsb, &m), 0);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.name[0], "pearson");
    assert_string_equal(m.name[1], "spearmanr");
    assert_true(fabs(m.value[0] - 750.0 / sqrt(12.5 * 14.0 / 3.0)) < 1e-9);
    assert_true(fabs(m.value[1] - 100.0) < 1e-9);
    /* constant predictions: the correlations are undefined (NaN, as scipy) */
    const float flat[] = {1, 1, 1};
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_DEV, flat, &m), 0);
    assert_true(isnan(m.value[0]) && isnan(m.value[1]));
    ds.free(ds.ctx);
    /* MNLI dev = matched (neutral, entailment) then mismatched (contradiction,
     * entailment); predictions (neutral, entailment | entailment, entailment):
     * matched 2/2, mismatched 1/2; the training split reports plain accuracy */
    write_case(&CASES[5]);
    assert_int_equal(open_sub("glue-mnli", "mnli", SEQ, &ds), 0);
    const float mnli[] = {0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0};
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_DEV, mnli, &m), 0);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.name[0], "accuracy_m");
    assert_string_equal(m.name[1], "accuracy_mm");
    assert_true(fabs(m.value[0] - 100.0) < 1e-9);
    assert_true(fabs(m.value[1] - 50.0) < 1e-9);
    /* train labels (entailment, contradiction, neutral); all predicted entailment: 1/3 */
    const float mtrain[] = {0, 1, 0, 0, 1, 0, 0, 1, 0};
    assert_int_equal(ds.evaluate(ds.ctx, PB_SPLIT_TRAIN, mtrain, &m), 0);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.name[0], "accuracy");
    assert_true(fabs(m.value[0] - 100.0 / 3.0) < 1e-9);
    ds.free(ds.ctx);
}

/* Test rows: the [UNK] of an unknown word; longest_first truncation (ties
 * from B); the 128 default. */
static void test_test_split_and_truncation(void **state) {
    (void)state;
    pb_data_source ds;
    pb_batch_buf bb;
    assert_int_equal(pb_batch_buf_init(&bb, 4, 128), 0);
    long idx[1] = {0};
    write_case(&CASES[8]);
    assert_int_equal(open_sub("glue-wnli", "wnli", SEQ, &ds), 0);
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_TEST, idx, 1, &bb), 0);
    /* "Zebra ran." / "It ran.": [CLS] [UNK] ran . [SEP] it ran . [SEP] */
    const int32_t want[] = {CLS, UNK, RAN, DOT, SEP, IT, RAN, DOT, SEP, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < SEQ; i++) assert_int_equal(bb.b.input_ids[i], want[i]);
    assert_int_equal(bb.b.labels[0], 0); /* no label: a placeholder 0 */
    ds.free(ds.ctx);
    /* RTE dev 0 at 8 tokens: 5 for "the cat sat ." (4) and "a dog ran ." (4):
     * (4,4) tie -> B 3; (4,3) -> A 3; (3,3) tie -> B 2:
     * [CLS] the cat sat [SEP] a dog [SEP] */
    write_case(&CASES[7]);
    assert_int_equal(open_sub("glue-rte", "rte", 8, &ds), 0);
    assert_int_equal(ds.seq, 8);
    assert_int_equal(ds.fill(ds.ctx, PB_SPLIT_DEV, idx, 1, &bb), 0);
    const int32_t want8[] = {CLS, THE, CAT, SAT, SEP, A, DOG, SEP};
    for (int i = 0; i < 8; i++) assert_int_equal(bb.b.input_ids[i], want8[i]);
    ds.free(ds.ctx);
    assert_int_equal(open_sub("glue-rte", "rte", 0, &ds), 0);
    assert_int_equal(ds.seq, PB_GLUE_DEFAULT_SEQ);
    assert_int_equal(PB_GLUE_DEFAULT_SEQ, 128);
    ds.free(ds.ctx);
    pb_batch_buf_free(&bb);
}

/* ---- errors ------------------------------------------------------------- */

#define RTE_HDR "index\tsentence1\tsentence2\tlabel\n"
static const char *const RTE_OK = RTE_HDR "0\tThe cat sat.\tA cat sat.\tentailment\n";

/* Write the err folder's train.tsv and dev.tsv (NULL: remove the file). */
static void write_err(const char *train, const char *dev, const char *test) {
    char dir[256], p[512];
    snprintf(dir, sizeof dir, "%s/err", g_dir);
    const char *names[3] = {"train.tsv", "dev.tsv", "test.tsv"}, *texts[3] = {train, dev, test};
    for (int i = 0; i < 3; i++) {
        if (texts[i])
            pb_test_write_file(p, sizeof p, dir, names[i], texts[i]);
        else
            remove(pb_test_path(p, sizeof p, dir, names[i]));
    }
}

static void expect_err(const char *task, int code, const char *n1, const char *n2) {
    pb_data_source ds;
    int rc = open_sub(task, "err", SEQ, &ds);
    if (rc != code) print_error("%s: rc %d, want %d: %s\n", task, rc, code, pb_error_msg());
    assert_int_equal(rc, code);
    PB_ASSERT_MSG_HAS(n1);
    if (n2) PB_ASSERT_MSG_HAS(n2);
}

static void test_errors(void **state) {
    (void)state;
    /* wrong column count: a row of 3 fields */
    write_err(RTE_OK, RTE_HDR "0\ta.\tb.\tentailment\n1\ta.\tentailment\n", NULL);
    expect_err("glue-rte", PB_EFORMAT, "err/dev.tsv:3:", "3 field(s), expected 4");
    /* too many fields (a stray tab) */
    write_err(RTE_OK, RTE_HDR "0\ta.\tb.\tc.\tentailment\n", NULL);
    expect_err("glue-rte", PB_EFORMAT, "err/dev.tsv:2:", "5 field(s), expected 4");
    /* a file cut mid-line: the short last row */
    write_err(RTE_OK, RTE_HDR "0\ta.\tb.\tentailment\n1\tThe cat", NULL);
    expect_err("glue-rte", PB_EFORMAT, "err/dev.tsv:3:", "truncated");
    /* missing header column */
    write_err("index\tsentence1\tsentence_2\tlabel\n0\ta\tb\tentailment\n", RTE_OK, NULL);
    expect_err("glue-rte", PB_EFORMAT, "err/train.tsv:1:", "'sentence2'");
    /* label outside the label set */
    write_err(RTE_OK, RTE_HDR "0\ta.\tb.\tmaybe\n", NULL);
    expect_err("glue-rte", PB_EFORMAT, "err/dev.tsv:2:", "'maybe'");
    write_err(RTE_HDR "0\ta.\tb.\t1\n", RTE_OK, NULL); /* RTE labels are strings, not indices */
    expect_err("glue-rte", PB_EFORMAT, "err/train.tsv:2:", "entailment, not_entailment");
    /* empty file; header only */
    write_err(RTE_OK, "", NULL);
    expect_err("glue-rte", PB_EFORMAT, "err/dev.tsv:1:", "empty file");
    write_err(RTE_OK, RTE_HDR, NULL);
    expect_err("glue-rte", PB_EFORMAT, "err/dev.tsv:2:", "no examples");
    /* a malformed test file is an error too */
    write_err(RTE_OK, RTE_OK, "index\tsentence1\tsentence2\n0\tonly one\n");
    expect_err("glue-rte", PB_EFORMAT, "err/test.tsv:2:", "2 field(s), expected 3");
    /* missing train / dev files name the path */
    write_err(NULL, RTE_OK, NULL);
    expect_err("glue-rte", PB_EIO, "err/train.tsv", "missing");
    write_err(RTE_OK, NULL, NULL);
    expect_err("glue-rte", PB_EIO, "err/dev.tsv", "missing");
    /* STS-B: a score that is not a number */
    write_err(STSB_HDR "\tscore\n" STSB_ROW("0", "a", "b") "\t1.5\n" STSB_ROW("1", "a", "b") "\tn/a\n",
              STSB_HDR "\tscore\n" STSB_ROW("0", "a", "b") "\t1\n", NULL);
    expect_err("glue-stsb", PB_EFORMAT, "err/train.tsv:3:", "'n/a'");
    /* CoLA without header: 4 columns */
    write_err("gj04\t1\t\tThe cat sat.\ngj04\t0\tThe cat sat.\n", "cj\t1\t\tok\n", NULL);
    expect_err("glue-cola", PB_EFORMAT, "err/train.tsv:2:", "3 field(s), expected 4");
    write_err("gj04\t2\t\tThe cat sat.\n", "cj\t1\t\tok\n", NULL);
    expect_err("glue-cola", PB_EFORMAT, "err/train.tsv:1:", "'2'");
    write_err("gj04\t1\t\tThe cat sat.\n", "", NULL);
    expect_err("glue-cola", PB_EFORMAT, "err/dev.tsv:1:", "empty file");
    /* MNLI: dev_mismatched is required too; a bad gold label in dev_matched */
    char p[512], dir[256];
    snprintf(dir, sizeof dir, "%s/err", g_dir);
    write_err(CASES[5].files[0][1], NULL, NULL);
    pb_test_write_file(p, sizeof p, dir, "dev_matched.tsv", CASES[5].files[1][1]);
    expect_err("glue-mnli", PB_EIO, "err/dev_mismatched.tsv", "missing");
    pb_test_write_file(p, sizeof p, dir, "dev_mismatched.tsv", CASES[5].files[2][1]);
    pb_test_write_file(p, sizeof p, dir, "dev_matched.tsv",
                       MNLI_HDR "\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label\n" MNLI_ROW(
                           "0", "a", "b") "\tneutral\t\t\t\t\t-\n");
    expect_err("glue-mnli", PB_EFORMAT, "err/dev_matched.tsv:2:", "'-'");
    /* the whole fixture again, now correct: opens (test files absent: 0) */
    pb_test_write_file(p, sizeof p, dir, "dev_matched.tsv", CASES[5].files[1][1]);
    pb_data_source ds;
    assert_int_equal(open_sub("glue-mnli", "err", SEQ, &ds), 0);
    assert_int_equal(ds.count(ds.ctx, PB_SPLIT_TEST), 0);
    ds.free(ds.ctx);
    remove(pb_test_path(p, sizeof p, dir, "dev_matched.tsv"));
    remove(pb_test_path(p, sizeof p, dir, "dev_mismatched.tsv"));
    /* bad names and options */
    expect_err("glue-foo", PB_ENOTFOUND, "'glue-foo'", "known:");
    expect_err("rte", PB_ENOTFOUND, "'rte'", NULL); /* the registry name has the prefix */
    write_err(RTE_OK, RTE_OK, NULL);
    pb_task_opts o = {.max_seq_length = 2, .data_dir = dir, .tokenizer = g_vocab};
    assert_int_equal(pb_task_glue_open("glue-rte", &o, &ds), PB_EINVAL);
    PB_ASSERT_MSG_HAS("max_seq_length 2");
    o.max_seq_length = 0;
    o.data_dir = NULL;
    assert_int_equal(pb_task_glue_open("glue-rte", &o, &ds), PB_EINVAL);
    PB_ASSERT_MSG_HAS("data_dir");
    o.data_dir = "/nonexistent/glue";
    assert_int_equal(pb_task_glue_open("glue-rte", &o, &ds), PB_EIO);
    PB_ASSERT_MSG_HAS("/nonexistent/glue");
}

/* ---- training ------------------------------------------------------------ */

static void train_few_steps(const glue_case *c) {
    write_case(c);
    pb_data_source ds;
    assert_int_equal(open_sub(c->name, c->sub, SEQ, &ds), 0);
    pb_config cfg;
    pb_test_config(&cfg, PB_MODEL_BERT, ds.vocab_size, 16, 2, 2, 32, 32);
    cfg.num_labels = ds.num_labels;
    pb_model m;
    assert_int_equal(pb_model_init(&m, &cfg, ds.head, 4, SEQ), 0);
    pb_model_init_weights(&m, 7);
    pb_train_spec s;
    pb_test_train_spec(&s, 2, 2, 1e-4, 1);
    pb_train_result r;
    pb_test_train_ok(&m, &ds, &s, &r);
    /* ceil(train count / 2) steps per epoch */
    assert_int_equal(r.steps, 2 * ((c->count[0] + 1) / 2));
    assert_int_equal(r.n_evals, 2);
    assert_int_equal(r.final_metrics.n, c->head == PB_HEAD_REG ? 2 : 1);
    for (int k = 0; k < r.final_metrics.n; k++) {
        printf("%s: %s %.3f after %ld steps\n", c->name, r.final_metrics.name[k], r.final_metrics.value[k], r.steps);
        assert_true(isfinite(r.final_metrics.value[k]));
    }
    pb_train_result_free(&r);
    pb_model_free(&m);
    ds.free(ds.ctx);
}

static void test_train_rte(void **state) {
    (void)state;
    train_few_steps(&CASES[7]);
}

static void test_train_stsb(void **state) {
    (void)state;
    train_few_steps(&CASES[4]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tasks_load),
        cmocka_unit_test(test_tasks_metrics),
        cmocka_unit_test(test_test_split_and_truncation),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_train_rte),
        cmocka_unit_test(test_train_stsb),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
