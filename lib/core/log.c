/* log.c - formatting of log lines for the program's sink (see include/tsct/log.h). */
#include <stdio.h>

#include "tsct/log.h"

const char *tsct_log_level_name(tsct_log_level level)
{
    switch (level) {
    case TSCT_LOG_ERROR: return "error";
    case TSCT_LOG_WARN: return "warning";
    case TSCT_LOG_INFO: return "info";
    case TSCT_LOG_DEBUG: return "debug";
    }
    return "log";
}

void tsct_log_msgv(const tsct_log *log, tsct_log_level level, const char *fmt, va_list ap)
{
    if (!log || !log->fn || level > log->level)
        return;
    char line[2048];
    vsnprintf(line, sizeof line, fmt, ap);
    log->fn(log->user, level, line);
}

void tsct_log_msg(const tsct_log *log, tsct_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tsct_log_msgv(log, level, fmt, ap);
    va_end(ap);
}
