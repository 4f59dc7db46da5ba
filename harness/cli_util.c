/* Shared pieces of the command line (see cli.h). */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "pb_error.h"

int pb_cli_usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "prunebench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nrun 'prunebench help' for usage\n");
    va_end(ap);
    return EXIT_USAGE;
}

int pb_cli_fail(void) {
    fprintf(stderr, "prunebench: %s\n", pb_error_msg());
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
