#include "pb_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char pb_error_buf[1024];
static _Thread_local char pb_error_where_buf[160];

int pb_error_set(int code, const char *file, int line, const char *fmt, ...) {
    /* the message is what the user acts on; the kind and source location are
     * kept apart for --debug (pb_error_where) */
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pb_error_buf, sizeof pb_error_buf, fmt, ap);
    va_end(ap);
    snprintf(pb_error_where_buf, sizeof pb_error_where_buf, "%s; %s:%d", pb_error_name(code), base, line);
    return code;
}

const char *pb_error_msg(void) { return pb_error_buf; }
const char *pb_error_where(void) { return pb_error_where_buf; }
void pb_error_clear(void) {
    pb_error_buf[0] = '\0';
    pb_error_where_buf[0] = '\0';
}

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
