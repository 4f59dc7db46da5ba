/* Shared pieces of the command line (see cli.h). */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pb_error.h"

static const char *g_command = NULL;

void pb_cli_set_command(const char *name) { g_command = name; }

int pb_cli_usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "prunebench: ");
    vfprintf(stderr, fmt, ap);
    if (g_command) fprintf(stderr, "\nrun 'prunebench help %s' for usage\n", g_command);
    else fprintf(stderr, "\nrun 'prunebench help' for usage\n");
    va_end(ap);
    return EXIT_USAGE;
}

static int g_debug = 0;

void pb_cli_set_debug(int on) { g_debug = on; }

int pb_cli_fail(void) {
    if (g_debug && pb_error_where()[0]) fprintf(stderr, "prunebench: %s (%s)\n", pb_error_msg(), pb_error_where());
    else fprintf(stderr, "prunebench: %s\n", pb_error_msg());
    return EXIT_BAD_INPUT;
}

int pb_cli_parse_int(const char *s, int *out) {
    char *end;
    if (!s || !*s) return -1;
    long v = strtol(s, &end, 10);
    if (*end || v < INT_MIN || v > INT_MAX) return -1;
    *out = (int)v;
    return 0;
}

int pb_cli_parse(const char *cmd, int argc, char **argv, const pb_cli_opt *opts, int n_opts, const char **pos,
                 int max_pos, int *n_pos) {
    int np = 0, opts_done = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!opts_done && !strcmp(arg, "--")) {
            opts_done = 1;
            continue;
        }
        if (opts_done || arg[0] != '-' || !arg[1]) {
            if (!pos || np >= max_pos)
                return pb_cli_usage_error("%s: unexpected argument '%s'", cmd, arg);
            pos[np++] = arg;
            continue;
        }
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        int k;
        for (k = 0; k < n_opts; k++)
            if (strlen(opts[k].name) == len && !strncmp(arg, opts[k].name, len)) break;
        if (k == n_opts) return pb_cli_usage_error("%s: unknown option '%.*s'", cmd, (int)len, arg);
        const pb_cli_opt *o = &opts[k];
        if (*o->value) return pb_cli_usage_error("%s: option %s given twice", cmd, o->name);
        if (!o->metavar) {
            if (eq) return pb_cli_usage_error("%s: option %s takes no value", cmd, o->name);
            *o->value = "1";
        } else if (eq) {
            *o->value = eq + 1;
        } else {
            if (i + 1 >= argc) return pb_cli_usage_error("%s: %s needs a value (%s)", cmd, o->name, o->metavar);
            *o->value = argv[++i];
        }
    }
    if (n_pos) *n_pos = np;
    return 0;
}

int pb_cli_positive_int(const char *cmd, const char *name, const char *s, int *out) {
    int v;
    if (!s) return 0;
    if (pb_cli_parse_int(s, &v) < 0 || v <= 0)
        return pb_cli_usage_error("%s: %s '%s': expected a positive integer", cmd, name, s);
    *out = v;
    return 0;
}

void pb_cli_print_load(const char *model, const pb_cell_load *l, int training) {
    if (l->n_unexpected > 0)
        fprintf(stderr,
                "prunebench: warning: %d tensor%s of %s %s not used when initializing %s (unexpected): %s\n",
                l->n_unexpected, l->n_unexpected == 1 ? "" : "s", model, l->n_unexpected == 1 ? "was" : "were",
                l->architecture, l->unexpected);
    if (l->n_missing > 0)
        fprintf(stderr,
                "prunebench: %s: %d tensor%s of %s %s not in %s and %s newly initialized (missing): %s%s\n",
                training ? "note" : "warning", l->n_missing, l->n_missing == 1 ? "" : "s", l->architecture,
                l->n_missing == 1 ? "is" : "are", model, l->n_missing == 1 ? "was" : "were", l->missing,
                training ? "" : "; scores of an untrained head say little");
}
