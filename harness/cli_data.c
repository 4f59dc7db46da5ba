/* Commands over tasks and data: tasks, tokenize, metric, export. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "glue.h"
#include "io.h"
#include "model.h"
#include "pb_error.h"
#include "registry.h"
#include "safetensors.h"
#include "squad.h"
#include "tok.h"

int pb_cli_tasks(int argc, char **argv) {
    int st = pb_cli_parse("tasks", argc, argv, NULL, 0, NULL, 0, NULL);
    if (st) return st;
    int n;
    const pb_task_info *t = pb_task_list(&n);
    printf("task\tkind\tfiles\tmetric\n");
    for (int i = 0; i < n; i++) printf("%s\t%s\t%s\t%s\n", t[i].name, t[i].kind, t[i].files, t[i].metric);
    return 0;
}

/* Ids of each stdin line (pairs split at the first tab with --pair), with the
 * model's template as Hugging Face's tokenizer(text) adds it. */
int pb_cli_tokenize(int argc, char **argv) {
    const char *path = NULL, *pair_s = NULL, *max_s = NULL;
    int max_len = 512;
    const pb_cli_opt opts[] = {{"--tokenizer", "PATH", &path}, {"--pair", NULL, &pair_s}, {"--max-length", "N", &max_s}};
    int st = pb_cli_parse("tokenize", argc, argv, opts, 3, NULL, 0, NULL);
    if (st) return st;
    if (max_s && (pb_cli_parse_int(max_s, &max_len) || max_len < 4))
        return pb_cli_usage_error("tokenize: --max-length '%s': expected an integer >= 4", max_s);
    const int pair = pair_s != NULL;
    if (!path) return pb_cli_usage_error("tokenize: needs --tokenizer PATH (vocab.txt, tokenizer.json or a model folder)");
    pb_tok *t = NULL;
    if (pb_tok_load(&t, path) < 0) return pb_cli_fail();
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        if (n > 0 && line[n - 1] == '\n') line[--n] = 0;
        if (n > 0 && line[n - 1] == '\r') line[--n] = 0;
        char *b = NULL;
        if (pair && (b = strchr(line, '\t'))) *b++ = 0;
        pb_encoding e;
        rc = pb_tok_encode_pair(t, line, b, max_len, PB_TRUNC_LONGEST_FIRST, &e);
        if (rc < 0) {
            fprintf(stderr, "prunebench: stdin line %ld: %s\n", lineno, pb_error_msg());
            break;
        }
        for (int i = 0; i < e.n_tokens; i++) printf(i ? " %d" : "%d", e.input_ids[i]);
        putchar('\n');
        pb_encoding_free(&e);
    }
    free(line);
    pb_tok_free(t);
    return rc < 0 ? EXIT_BAD_INPUT : 0;
}

int pb_cli_export(int argc, char **argv) {
    const char *ckpt = NULL, *out = NULL, *tokp = NULL, *head_name = NULL;
    const pb_cli_opt opts[] = {{"--checkpoint", "MODEL.h5", &ckpt},
                               {"--out", "DIR", &out},
                               {"--tokenizer", "PATH", &tokp},
                               {"--head", "cls|reg|span|mc|mlm", &head_name}};
    int st = pb_cli_parse("export", argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), NULL, 0, NULL);
    if (st) return st;
    if (!ckpt) return pb_cli_usage_error("export: needs --checkpoint MODEL.h5");
    if (!out) return pb_cli_usage_error("export: needs --out DIR");
    pb_head_kind head = PB_HEAD_CLS;
    if (head_name && pb_head_from_name(head_name, &head) < 0)
        return pb_cli_usage_error("export: --head '%s': expected one of cls, reg, span, mc, mlm", head_name);
    pb_config cfg;
    if (pb_io_read_checkpoint_config(ckpt, &cfg) < 0) return pb_cli_fail();
    /* the tokenizer: --tokenizer, else the files the checkpoint remembers */
    pb_tok *tok = NULL;
    pb_io_tokenizer kept;
    memset(&kept, 0, sizeof kept);
    if (tokp && pb_tok_load(&tok, tokp) < 0) return pb_cli_fail();
    if (!tokp && pb_io_read_checkpoint_tokenizer(ckpt, &kept) < 0) return pb_cli_fail();
    pb_config_labels labels;
    if (pb_io_read_checkpoint_labels(ckpt, &labels) < 0) {
        pb_tok_free(tok);
        pb_io_tokenizer_free(&kept);
        return pb_cli_fail();
    }
    pb_model m;
    int rc = pb_model_init(&m, &cfg, head, 1, 8);
    if (rc == 0) {
        rc = pb_io_load_checkpoint(&m, ckpt, 0, NULL, NULL);
        if (rc == 0) rc = pb_hf_folder_save_labels(&m, out, &labels);
        if (rc == 0 && tok) rc = pb_tok_save_files(tok, out);
        if (rc == 0 && kept.n > 0) rc = pb_io_tokenizer_write(&kept, out);
        pb_model_free(&m);
    }
    const int given = tok != NULL, n_kept = kept.n;
    pb_tok_free(tok);
    pb_io_tokenizer_free(&kept);
    pb_config_labels_free(&labels);
    if (rc < 0) return pb_cli_fail();
    if (given || n_kept)
        printf("%s: config.json, model.safetensors and the tokenizer files%s\n", out,
               given ? "" : " the checkpoint remembers");
    else {
        printf("%s: config.json, model.safetensors\n", out);
        fprintf(stderr,
                "prunebench: warning: %s remembers no tokenizer and no --tokenizer was given: %s has no tokenizer "
                "files\n",
                ckpt, out);
    }
    return 0;
}

/* pb_metrics as one JSON object; a NaN (a correlation of constant input) is null. */
static void print_metrics_json(const pb_metrics *m) {
    putchar('{');
    for (int i = 0; i < m->n; i++) {
        printf("%s\"%s\": ", i ? ", " : "", m->name[i]);
        if (isfinite(m->value[i])) {
            char buf[40]; /* the shortest decimal that reads back to the same double */
            for (int prec = 15; prec <= 17; prec++) {
                snprintf(buf, sizeof buf, "%.*g", prec, m->value[i]);
                if (strtod(buf, NULL) == m->value[i]) break;
            }
            fputs(buf, stdout);
        }
        else fputs("null", stdout);
    }
    puts("}");
}

int pb_cli_metric(int argc, char **argv) {
    const char *data = NULL, *pred = NULL, *labels = NULL, *pos[1];
    const pb_cli_opt opts[] = {{"--data", "DEV.json", &data}, {"--pred", "FILE", &pred}, {"--labels", "FILE", &labels}};
    int n_pos = 0;
    int st = pb_cli_parse("metric", argc, argv, opts, 3, pos, 1, &n_pos);
    if (st) return st;
    if (n_pos < 1) return pb_cli_usage_error("metric: needs a task (squad, squad_v2 or glue-<task>)");
    const char *task = pos[0];
    if (!strcmp(task, "squad") || !strcmp(task, "squad_v2")) {
        if (!data || !pred) return pb_cli_usage_error("metric %s: needs --data DEV.json and --pred PREDICTIONS.json", task);
        char *json = NULL;
        if (pb_squad_eval_files(data, pred, &json) < 0) return pb_cli_fail();
        fputs(json, stdout); /* the official script's printed dict, newline included */
        free(json);
        return 0;
    }
    if (!strncmp(task, "glue-", 5)) {
        if (!labels || !pred) return pb_cli_usage_error("metric %s: needs --labels FILE and --pred FILE", task);
        pb_metrics m;
        if (pb_glue_metric_files(task, labels, pred, &m) < 0) return pb_cli_fail();
        print_metrics_json(&m);
        return 0;
    }
    return pb_cli_usage_error("metric: unknown task '%s'; expected squad, squad_v2 or glue-<task>", task);
}
