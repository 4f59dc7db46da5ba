/* Shared pieces of the command line (harness/main.c, harness/cli_*.c). */
#ifndef PB_CLI_H
#define PB_CLI_H

enum { EXIT_BAD_INPUT = 1, EXIT_USAGE = 2 };

/* "prunebench: <message>" and a usage hint on stderr; returns EXIT_USAGE. */
int pb_cli_usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* The library's last error on stderr; returns EXIT_BAD_INPUT. */
int pb_cli_fail(void);
/* A whole decimal int; -1 when s is not one. */
int pb_cli_parse_int(const char *s, int *out);

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

#endif
