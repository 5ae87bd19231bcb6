/* common.c - error and usage messages, number parsing and formatting for the subcommands. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int tsct_cli_fail(const tsct_cli *cli, const tsct_error *err)
{
    fprintf(stderr, "tsct %s: error: %s%s\n", cli->command,
            err->message[0] ? err->message : tsct_strerror(err->status),
            err->status == TSCT_ERR_EXISTS ? " (--force replaces it)" : "");
    return TSCT_EXIT_FAIL;
}

tsct_status tsct_cli_table_open(tsct_cli_table *t, const char *path, FILE *fallback,
                                tsct_error *err)
{
    t->f = fallback;
    t->file = path != NULL;
    return path ? tsct_publish_fopen(&t->pub, path, &t->f, err) : TSCT_OK;
}

tsct_status tsct_cli_table_close(tsct_cli_table *t, tsct_status st, tsct_error *err)
{
    if (!t->file) {
        if (t->f)
            fflush(t->f);
    } else if (st == TSCT_OK) {
        st = tsct_publish_fclose(&t->pub, t->f, err);
    } else {
        fclose(t->f);
        tsct_publish_abort(&t->pub);
    }
    t->f = NULL;
    t->file = 0;
    return st;
}

tsct_stage_ctx tsct_cli_stage_ctx(const tsct_cli *cli)
{
    tsct_stage_ctx ctx = {cli->nthreads, &cli->log, &cli->progress, cli->skip_current,
                          cli->command_line};
    return ctx;
}

int tsct_cli_usage_error(const tsct_cli *cli, const char *fmt, ...)
{
    /* One printable line whatever the arguments held (a newline or binary bytes in an
     * option value). */
    char msg[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tsct_text_printable(msg, sizeof msg);
    fprintf(stderr, "tsct %s: %s\n(see 'tsct %s --help')\n", cli->command, msg, cli->command);
    return TSCT_EXIT_USAGE;
}

const char *tsct_cli_option_name(char **argv, int ind, const char *arg)
{
    static char name[80];
    const char *w = ind >= 2 && arg && argv[ind - 1] == arg ? argv[ind - 2]
                    : ind >= 1                              ? argv[ind - 1]
                                                            : "";
    size_t n = strcspn(w, "=");
    if (n >= sizeof name)
        n = sizeof name - 1;
    memcpy(name, w, n);
    name[n] = '\0';
    return name;
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
