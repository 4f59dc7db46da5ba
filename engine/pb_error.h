/* Error handling: integer status codes through one macro, message with context.
 * Library functions return 0 on success or a negative PB_E* code and record a
 * message (thread-local, so concurrent runs in one process do not mix them). */
#ifndef PB_ERROR_H
#define PB_ERROR_H

#if defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__
#error "prunebench must not be built with -ffast-math / -ffinite-math-only"
#endif

enum {
    PB_OK = 0,
    PB_EINVAL = -1,   /* invalid argument or value */
    PB_ENOMEM = -2,   /* allocation failed */
    PB_EIO = -3,      /* file could not be read or written */
    PB_EFORMAT = -4,  /* file content malformed */
    PB_ESHAPE = -5,   /* tensor shape disagrees with the config */
    PB_ERANGE = -6,   /* size overflow or index out of range */
    PB_ENOTFOUND = -7 /* named item missing */
};

/* Record a formatted message (with the caller's source location) and return code. */
int pb_error_set(int code, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Last message recorded on this thread ("" if none): what went wrong and
 * where in the user's input, without the source location. */
const char *pb_error_msg(void);
/* The last error's kind and source location, "invalid; runconfig.c:256" ("" if none). */
const char *pb_error_where(void);
void pb_error_clear(void);
const char *pb_error_name(int code);

#define PB_ERR(code, ...) pb_error_set((code), __FILE__, __LINE__, __VA_ARGS__)
/* Propagate a failing status. */
#define PB_TRY(expr)                  \
    do {                              \
        int pb_try_rc_ = (expr);      \
        if (pb_try_rc_ < 0) return pb_try_rc_; \
    } while (0)

#endif
