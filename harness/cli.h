/* Shared pieces of the command line (harness/main.c, harness/cli_*.c). */
#ifndef PB_CLI_H
#define PB_CLI_H

#include "cell.h"

/* Exit status of every command (shown by `prunebench help`). */
enum {
    EXIT_BAD_INPUT = 1,   /* an error, or some cells of a run failed */
    EXIT_USAGE = 2,       /* bad command line */
    EXIT_DIVERGED = 3,    /* training diverged (NaN or Inf loss) */
    EXIT_INTERRUPTED = 130 /* stopped by SIGINT or SIGTERM */
};

/* One option of a command. A flag (metavar NULL) sets *value to "1". */
typedef struct {
    const char *name;    /* "--jobs" */
    const char *metavar; /* "N"; NULL for a flag */
    const char **value;  /* where the value goes; NULL until given */
} pb_cli_opt;

/* Parse argv against opts[0..n_opts): "--name value", "--name=value" and
 * flags, anywhere among the positional arguments, which go to pos[0..max_pos)
 * (*n_pos of them; NULL pos/n_pos: none allowed). "--" ends the options.
 * Errors (unknown option, a missing value: "jobs needs a value", an option
 * given twice, too many positional arguments) print a usage error naming the
 * command `cmd` and return EXIT_USAGE; 0 when all is well. --help and -h never
 * reach a command: main prints the command's help. */
int pb_cli_parse(const char *cmd, int argc, char **argv, const pb_cli_opt *opts, int n_opts, const char **pos,
                 int max_pos, int *n_pos);
/* A positive int option value: 0 and *out set, or EXIT_USAGE after a usage
 * error "cmd: --name 'v': expected a positive integer". NULL s leaves *out. */
int pb_cli_positive_int(const char *cmd, const char *name, const char *s, int *out);

/* The command being run, named in usage hints ("run 'prunebench help CMD'"). */
void pb_cli_set_command(const char *name);
/* "prunebench: <message>" and a usage hint on stderr; returns EXIT_USAGE. */
int pb_cli_usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* The library's last error on stderr (with its kind and source location
 * under --debug); returns EXIT_BAD_INPUT. */
int pb_cli_fail(void);
/* --debug / PB_DEBUG: show where in the source an error was raised. */
void pb_cli_set_debug(int on);
/* A whole decimal int; -1 when s is not one. */
int pb_cli_parse_int(const char *s, int *out);

/* Hugging Face's loading report by tensor name on stderr: unused tensors
 * ("unexpected") and newly initialized ones ("missing"; a note when training,
 * where a new task head is expected, a warning when only evaluating). */
void pb_cli_print_load(const char *model, const pb_cell_load *l, int training);

/* Commands over tasks and data (cli_data.c). */
int pb_cli_tasks(int argc, char **argv);
int pb_cli_tokenize(int argc, char **argv);
int pb_cli_metric(int argc, char **argv);
int pb_cli_export(int argc, char **argv);
/* The embedded default's data (cli_suite.c). */
int pb_cli_suite(int argc, char **argv);
/* Experiments: run a spec, tables and figures of its store (cli_run.c). */
int pb_cli_run(int argc, char **argv);
int pb_cli_table(int argc, char **argv);
int pb_cli_plot(int argc, char **argv);
/* Score a checkpoint or Hugging Face folder on a task's dev split (cli_eval.c). */
int pb_cli_eval(int argc, char **argv);

#endif
