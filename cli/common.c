/* common.c - error and usage messages, number parsing and formatting for the subcommands. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int tsct_cli_fail(const tsct_cli *cli, const tsct_error *err)
{
    fprintf(stderr, "tsct %s: error: %s\n", cli->command,
            err->message[0] ? err->message : tsct_strerror(err->status));
    return TSCT_EXIT_FAIL;
}

int tsct_cli_up_to_date(const tsct_cli *cli, tsct_container *c, const char *name,
                        const char *fingerprint)
{
    if (!cli->skip_current || !tsct_step_is_current(c, name, fingerprint))
        return 0;
    tsct_log_msg(&cli->log, TSCT_LOG_INFO, "%s: up to date (inputs and settings unchanged)",
                 name);
    return 1;
}

int tsct_cli_usage_error(const tsct_cli *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "tsct %s: ", cli->command);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see 'tsct %s --help')\n", cli->command);
    va_end(ap);
    return TSCT_EXIT_USAGE;
}

int tsct_cli_parse_int64(const char *s, int64_t *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int tsct_cli_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

void tsct_cli_format_bytes(char *buf, size_t size, double bytes)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (bytes >= 1024 && u < 5) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}
