/* `prunebench suite`: build the embedded default from its fetched assets
 * (driven by `make data`; see tasks/suite.h). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pb_error.h"
#include "suite.h"
#include "taskutil.h"
#include "suite_spam.h"
#include "suite_vocab.h"
#include "suite_wn.h"

static int suite_vocab(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    const pb_cli_opt opts[] = {{"--in", "vocab.json", &in}, {"--out", "vocab.txt", &out}};
    int st = pb_cli_parse("suite vocab", argc, argv, opts, 2, NULL, 0, NULL);
    if (st) return st;
    if (!in || !out) return pb_cli_usage_error("suite vocab: needs --in vocab.json and --out vocab.txt");
    if (pb_suite_vocab_convert(in, out) < 0) return pb_cli_fail();
    return 0;
}

static int suite_build(int argc, char **argv) {
    const char *cache = NULL, *spam = NULL, *wordnet = NULL;
    const pb_cli_opt opts[] = {{"--cache", "DIR", &cache}, {"--spam", "DIR", &spam}, {"--wordnet", "DIR", &wordnet}};
    int st = pb_cli_parse("suite build", argc, argv, opts, 3, NULL, 0, NULL);
    if (st) return st;
    if (!cache) cache = pb_suite_cache_root();
    if (!wordnet) wordnet = "/usr/share/wordnet";
    char spam_dir[4096], suite[4096], corpus[4096], ham[4200], wn[4200], spam_out[4200];
    if (!spam) {
        snprintf(spam_dir, sizeof spam_dir, "%s/data/spam/package/data", cache);
        spam = spam_dir;
    }
    snprintf(suite, sizeof suite, "%s/suite", cache);
    snprintf(corpus, sizeof corpus, "%s/suite/corpus", cache);
    snprintf(ham, sizeof ham, "%s/ham.txt", corpus);
    snprintf(wn, sizeof wn, "%s/wordnet.txt", corpus);
    snprintf(spam_out, sizeof spam_out, "%s/spam", suite);
    long nt = 0, nd = 0;
    const char *parts[2] = {ham, wn};
    if (pb_path_mkdir_p(corpus) < 0 || pb_path_mkdir_p(spam_out) < 0 ||
        pb_suite_spam_build(spam, spam_out, ham) < 0 || pb_suite_wn_build(wordnet, suite, wn) < 0 ||
        pb_suite_corpus_build(parts, 2, corpus, &nt, &nd) < 0)
        return pb_cli_fail();
    printf("%s: spam, wn-pair, wn-span, wn-choice, wn-blank (each with stats.json); corpus %ld train / %ld dev lines\n",
           suite, nt, nd);
    return 0;
}

int pb_cli_suite(int argc, char **argv) {
    if (argc < 1) return pb_cli_usage_error("suite: needs a subcommand (vocab or build)");
    if (!strcmp(argv[0], "vocab")) return suite_vocab(argc - 1, argv + 1);
    if (!strcmp(argv[0], "build")) return suite_build(argc - 1, argv + 1);
    return pb_cli_usage_error("suite: unknown subcommand '%s' (vocab or build)", argv[0]);
}
