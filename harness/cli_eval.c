/* prunebench eval: score a model on a task's dev split without training
 * (the library's pb_cell_eval, harness/cell.h; this file parses and prints).
 *
 * Help text, for the command table in main.c:
 *
 *   "usage: prunebench eval --model PATH --task T [--data DIR] [--tokenizer PATH] [--out DIR]\n"
 *   "                       [--threads N] [--batch-size N] [--max-seq-length N]\n"
 *   "\n"
 *   "Score a checkpoint (model.h5) or a Hugging Face folder, dense or sparse, on a task's dev\n"
 *   "split with its official metric, without training; prints the metrics.\n"
 *   "  --model PATH        model.h5, or a folder with config.json, model.safetensors and the\n"
 *   "                      tokenizer files; a head the file lacks (a pretraining checkpoint's)\n"
 *   "                      is newly initialized, with a warning naming the tensors\n"
 *   "  --task T            a registered task (prunebench tasks)\n"
 *   "  --data DIR          the task's upstream files (not needed by built-in tasks)\n"
 *   "  --tokenizer PATH    vocab.txt, tokenizer.json or a folder (default: the model folder's,\n"
 *   "                      or the one a model.h5 remembers)\n"
 *   "  --out DIR           write DIR/result.h5: the schema of a trained cell (results/SCHEMA.md)\n"
 *   "                      with no training steps, the sparsity audit and the provenance\n"
 *   "  --threads N         OpenMP and OpenBLAS threads (default: OMP_NUM_THREADS, else the cores)\n"
 *   "  --batch-size N      examples per forward pass (default 32); a trained cell's\n"
 *   "                      train.batch_size gives its final evaluation's numbers exactly\n"
 *   "  --max-seq-length N  featurized length (default: the task's, as train.max_seq_length)\n",
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include "cli.h"
#include "pb_error.h"
#include "runconfig.h"

/* A copy of s into *dst (NULL stays NULL); -1 when out of memory. */
static int dup_opt(char **dst, const char *s) {
    *dst = NULL;
    if (!s) return 0;
    *dst = strdup(s);
    return *dst ? 0 : -1;
}

int pb_cli_eval(int argc, char **argv) {
    const char *model = NULL, *task = NULL, *data = NULL, *tokenizer = NULL, *out = NULL, *threads_s = NULL,
               *batch_s = NULL, *seq_s = NULL;
    const pb_cli_opt opts[] = {
        {"--model", "PATH", &model},     {"--task", "T", &task},           {"--data", "DIR", &data},
        {"--tokenizer", "PATH", &tokenizer}, {"--out", "DIR", &out},      {"--threads", "N", &threads_s},
        {"--batch-size", "N", &batch_s}, {"--max-seq-length", "N", &seq_s},
    };
    int st = pb_cli_parse("eval", argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), NULL, 0, NULL);
    if (st) return st;
    if (!model) return pb_cli_usage_error("eval: needs --model PATH (model.h5 or a Hugging Face folder)");
    if (!task) return pb_cli_usage_error("eval: needs --task T (prunebench tasks lists them)");
    pb_runconfig rc;
    pb_runconfig_init(&rc);
    if ((st = pb_cli_positive_int("eval", "--threads", threads_s, &rc.threads)) ||
        (st = pb_cli_positive_int("eval", "--batch-size", batch_s, &rc.train.batch_size)) ||
        (st = pb_cli_positive_int("eval", "--max-seq-length", seq_s, &rc.train.max_seq_length)))
        return st;
    if (dup_opt(&rc.model.checkpoint, model) || dup_opt(&rc.task, task) || dup_opt(&rc.data.dir, data) ||
        dup_opt(&rc.data.tokenizer, tokenizer)) {
        pb_runconfig_free(&rc);
        fprintf(stderr, "prunebench: eval: out of memory\n");
        return EXIT_BAD_INPUT;
    }
    pb_cell_eval_opts o = {.out_dir = out};
    pb_cell_eval_outcome oc;
    int r = pb_cell_eval(&rc, &o, &oc);
    pb_runconfig_free(&rc);
    if (r < 0) return pb_cli_fail();
    pb_cli_print_load(model, &oc.load, 0);
    printf("eval: %s on %s (%ld dev examples)", model, task, oc.examples);
    for (int i = 0; i < oc.metrics.n; i++) printf("%s %s %.2f", i ? "," : ":", oc.metrics.name[i], oc.metrics.value[i]);
    if (oc.pruned) printf(", encoder sparsity %.4f", oc.encoder_sparsity);
    if (out) printf(" -> %s/result.h5", out);
    putchar('\n');
    return 0;
}
