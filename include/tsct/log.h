/* tsct/log.h - levelled log messages routed to a sink the program chooses.
 *
 * The library never prints. Functions that have something to say (a warning about a suspicious
 * input, the centre of rotation they found, a resumed step) take a `const tsct_log *` and send a
 * formatted line to its callback, which the program (the CLI: stderr, honouring -q / -v) or an
 * embedding application owns. A NULL log, or one with a NULL callback, discards messages.
 *
 * Thread safety: tsct_log_msg() may be called from several threads at once if the callback is
 * thread-safe; the CLI's is (one fputs per line).
 */
#ifndef TSCT_LOG_H
#define TSCT_LOG_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tsct_log_level {
    TSCT_LOG_ERROR = 0,
    TSCT_LOG_WARN = 1,
    TSCT_LOG_INFO = 2,   /* default: what a user wants to know about a run */
    TSCT_LOG_DEBUG = 3   /* -v: details for diagnosing a run */
} tsct_log_level;

typedef void (*tsct_log_fn)(void *user, tsct_log_level level, const char *line);

typedef struct tsct_log {
    tsct_log_level level;  /* messages above this level are dropped before formatting */
    tsct_log_fn fn;        /* receives one line without trailing newline; may be NULL */
    void *user;            /* passed to fn */
} tsct_log;

/* Format and send one line if log != NULL, log->fn != NULL and level <= log->level. Lines are
 * truncated at 2047 bytes. */
void tsct_log_msg(const tsct_log *log, tsct_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void tsct_log_msgv(const tsct_log *log, tsct_log_level level, const char *fmt, va_list ap);

/* "error", "warning", "info", "debug". */
const char *tsct_log_level_name(tsct_log_level level);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_LOG_H */
