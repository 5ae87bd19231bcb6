/* tsct/status.h - status codes and the error context.
 *
 * Every tsct function that can fail returns a tsct_status (TSCT_OK = 0) and, where the caller
 * passes one, fills a tsct_error with a message that names what went wrong: the file, the item
 * (dataset, key, option), the index inside it, and what was expected against what was found.
 *
 * Rules (see STYLE.md, "Errors"):
 *  - the function that detects a problem fills the error; callers propagate the status without
 *    overwriting the message (the first error set wins until tsct_error_clear());
 *  - the library never prints and never exits; only the CLI turns a status into a message on
 *    stderr and an exit code;
 *  - TSCT_NOT_CONVERGED is a status, not an error: the result is usable, with a warning.
 *
 * Thread safety: a tsct_error belongs to its caller; do not share one between threads.
 */
#ifndef TSCT_STATUS_H
#define TSCT_STATUS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tsct_status {
    TSCT_OK = 0,
    TSCT_ERR_NOMEM,        /* allocation failed */
    TSCT_ERR_IO,           /* the operating system refused a read, write, rename or fsync */
    TSCT_ERR_NOT_FOUND,    /* file, dataset, key or item does not exist */
    TSCT_ERR_FORMAT,       /* the file exists but is not what was expected: corrupt, truncated,
                              not HDF5, not a tsct container, a bad header */
    TSCT_ERR_SHAPE,        /* array shapes disagree or exceed limits */
    TSCT_ERR_VALUE,        /* an argument or parameter is out of range, NaN, or inconsistent */
    TSCT_ERR_UNSUPPORTED,  /* valid input that this build or version cannot handle */
    TSCT_ERR_EXISTS,       /* refusing to overwrite something that exists */
    TSCT_ERR_STATE,        /* call out of order (e.g. committing a step with work left) */
    TSCT_ERR_INTERNAL,     /* a bug in tsct: please report it */
    TSCT_NOT_CONVERGED,    /* an iterative method stopped at its limit; results are usable */
    TSCT_STATUS_COUNT_     /* number of codes; not a status */
} tsct_status;

/* A short, static, English description of a status ("out of memory"). Never NULL. */
const char *tsct_strerror(tsct_status status);

/* The error context, owned by the caller (usually on the stack, initialised with
 * TSCT_ERROR_INIT or tsct_error_clear()). All strings are NUL-terminated and truncated to fit. */
typedef struct tsct_error {
    tsct_status status;   /* TSCT_OK while no error has been recorded */
    char file[512];       /* file involved, "" if none */
    char item[256];       /* dataset path, key, option or element, "" if none */
    int64_t index;        /* index within the item (frame, row, line), -1 if none */
    char detail[768];     /* what was expected and what was found */
    char message[1800];   /* all of the above as one line: "FILE: ITEM[INDEX]: DETAIL" */
} tsct_error;

#define TSCT_ERROR_INIT {TSCT_OK, "", "", -1, "", ""}

/* Make text (NUL-terminated, in a buffer of size bytes, at most 8 KiB) one printable line in
 * place: control bytes and bytes that are not UTF-8 become escapes (\n, \t, \xNN); the
 * result is cut to fit. Error messages pass through it when they are built. */
void tsct_text_printable(char *text, size_t size);

/* Reset an error context to "no error". err may be NULL. */
void tsct_error_clear(tsct_error *err);

/* Record an error and return `status`, so that detection reads
 *     return tsct_error_set(err, TSCT_ERR_SHAPE, path, "/entry/recon/data", -1,
 *                           "expected 5 dimensions, found %d", nd);
 * file and item may be NULL; index may be -1. err may be NULL (the status is still returned).
 * If err already holds an error, it is kept and only the status is returned: the first, most
 * specific, report wins. Setting TSCT_OK does nothing. */
tsct_status tsct_error_set(tsct_error *err, tsct_status status, const char *file,
                           const char *item, int64_t index, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* va_list form of tsct_error_set(). */
tsct_status tsct_error_setv(tsct_error *err, tsct_status status, const char *file,
                            const char *item, int64_t index, const char *fmt, va_list ap);

/* Fill in the file name of an error recorded without one (a parser that sees only bytes
 * reports the item; its caller knows the file). Rebuilds the message. No-op if err is NULL,
 * holds no error, or already names a file. */
void tsct_error_set_file(tsct_error *err, const char *file);

/* Propagate a failing status: `TSCT_TRY(f(...));` returns from the calling function with the
 * status of f when it is an error. TSCT_NOT_CONVERGED is not treated as an error. */
#define TSCT_TRY(expr)                                                  \
    do {                                                                \
        tsct_status tsct_try_st_ = (expr);                              \
        if (tsct_try_st_ != TSCT_OK && tsct_try_st_ != TSCT_NOT_CONVERGED) \
            return tsct_try_st_;                                        \
    } while (0)

#ifdef __cplusplus
}
#endif
#endif /* TSCT_STATUS_H */
