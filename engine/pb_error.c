#include "pb_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char pb_error_buf[1024];

int pb_error_set(int code, const char *file, int line, const char *fmt, ...) {
    /* the message a user acts on first; the error kind and source location after it */
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(pb_error_buf, sizeof pb_error_buf, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n < sizeof pb_error_buf)
        snprintf(pb_error_buf + n, sizeof pb_error_buf - (size_t)n, " (%s; %s:%d)", pb_error_name(code), base, line);
    return code;
}

const char *pb_error_msg(void) { return pb_error_buf; }
void pb_error_clear(void) { pb_error_buf[0] = '\0'; }

const char *pb_error_name(int code) {
    switch (code) {
    case PB_OK: return "ok";
    case PB_EINVAL: return "invalid";
    case PB_ENOMEM: return "out of memory";
    case PB_EIO: return "i/o error";
    case PB_EFORMAT: return "bad format";
    case PB_ESHAPE: return "shape mismatch";
    case PB_ERANGE: return "out of range";
    case PB_ENOTFOUND: return "not found";
    default: return "error";
    }
}
