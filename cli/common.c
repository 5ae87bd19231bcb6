/* common.c - error and usage messages, number parsing and formatting for the subcommands. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int tsct_cli_fail(const tsct_cli *cli, const tsct_error *err)
{
    /* Under mpirun the ranks agree on a failure and rank 0 reports it, naming the rank. */
    if (tsct_mpi_rank(cli->mpi) != 0)
        return TSCT_EXIT_FAIL;
    fprintf(stderr, "tsct %s: error: %s%s\n", cli->command,
            err->message[0] ? err->message : tsct_strerror(err->status),
            err->status == TSCT_ERR_EXISTS ? " (--force replaces it)" : "");
    return TSCT_EXIT_FAIL;
}

tsct_stage_ctx tsct_cli_stage_ctx(const tsct_cli *cli)
{
    tsct_stage_ctx ctx = {cli->nthreads, &cli->log, &cli->progress, cli->skip_current,
                          cli->command_line, cli->mpi};
    return ctx;
}

int tsct_cli_rank_idle(const tsct_cli *cli)
{
    return tsct_mpi_rank(cli->mpi) != 0;
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
    return tsct_stage_parse_int64(s, out);
}

int tsct_cli_parse_double(const char *s, double *out)
{
    return tsct_stage_parse_double(s, out);
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

int tsct_cli_stage_options(tsct_cli *cli, int argc, char **argv, tsct_stage_id stage,
                           void *params, const tsct_stage_option *own,
                           int (*on_own)(tsct_cli *cli, void *data, const char *name,
                                         const char *value),
                           void *data)
{
    enum { MAXOPT = 96, BASE = 0x10000 };
    const tsct_stage_option *all[MAXOPT];
    int n = 0;
    for (const tsct_stage_option *o = own; o && o->name && n < MAXOPT; o++)
        all[n++] = o;
    const int nown = n;
    for (const tsct_stage_option *o = tsct_stage_options(stage); o && o->name && n < MAXOPT; o++)
        all[n++] = o;
    struct option lo[MAXOPT + 1];
    char shorts[2 * MAXOPT + 2] = ":";
    size_t ns = 1;
    for (int i = 0; i < n; i++) {
        const int flag = all[i]->kind == TSCT_STAGE_OPTION_FLAG;
        lo[i] = (struct option){all[i]->name, flag ? no_argument : required_argument, NULL,
                                BASE + i};
        if (all[i]->short_name) {
            shorts[ns++] = all[i]->short_name;
            if (!flag)
                shorts[ns++] = ':';
        }
    }
    lo[n] = (struct option){NULL, 0, NULL, 0};
    shorts[ns] = '\0';
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
        int i = ch >= BASE ? ch - BASE : -1;
        for (int j = 0; i < 0 && j < n; j++)
            if (ch != ':' && ch != '?' && all[j]->short_name == ch)
                i = j;
        if (ch == ':')
            return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        if (i < 0)
            return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        const tsct_stage_option *o = all[i];
        const char *value = o->kind == TSCT_STAGE_OPTION_FLAG ? NULL : optarg;
        char two[512];
        if (o->kind == TSCT_STAGE_OPTION_PAIR && optind < argc) {
            /* getopt takes one value per option: the second number is the next argument */
            snprintf(two, sizeof two, "%s %s", optarg, argv[optind++]);
            value = two;
        }
        if (i < nown || o->front) {
            int rc = on_own ? on_own(cli, data, o->name, value) : 0;
            if (rc)
                return rc;
            continue;
        }
        tsct_error err = TSCT_ERROR_INIT;
        if (tsct_stage_option_set(stage, params, o->name, value, &err) != TSCT_OK)
            return err.status == TSCT_ERR_VALUE && strncmp(err.item, "--", 2) == 0
                       ? tsct_cli_usage_error(cli, "%s", err.detail)
                       : tsct_cli_fail(cli, &err);
    }
    return 0;
}

int tsct_cli_stage_check(tsct_cli *cli, tsct_stage_id stage, const void *params)
{
    tsct_error err = TSCT_ERROR_INIT;
    if (tsct_stage_options_check(stage, params, &err) != TSCT_OK)
        return tsct_cli_usage_error(cli, "%s", err.detail);
    return 0;
}
