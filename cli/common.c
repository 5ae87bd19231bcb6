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

int tsct_cli_up_to_date(const tsct_cli *cli, tsct_container *c, const char *name,
                        const char *fingerprint)
{
    if (!cli->skip_current || !tsct_step_is_current(c, name, fingerprint))
        return 0;
    tsct_log_msg(&cli->log, TSCT_LOG_INFO, "%s: up to date (inputs and settings unchanged)",
                 name);
    return 1;
}

int64_t tsct_cli_keep_time_steps(const tsct_cli *cli, tsct_container *c, const char *name,
                                 const char *settings, const char *const *inputs,
                                 const char *output, int64_t nt, char **stamps, char *fp,
                                 size_t fp_size)
{
    *stamps = tsct_step_input_stamps(c, inputs);
    if (!cli->skip_current || !*stamps)
        return 0;
    int64_t keep = tsct_step_reusable_time_steps(c, name, settings, *stamps);
    if (keep <= 0)
        return 0;
    tsct_dataset *d = NULL;
    int64_t shape[8] = {0};
    if (tsct_dataset_open(c, output, &d, NULL) != TSCT_OK)
        return 0;
    tsct_dataset_shape(d, shape);
    tsct_dataset_close(d);
    if (shape[0] > nt) /* the input lost time steps: start afresh */
        return 0;
    if (keep > shape[0])
        keep = shape[0];
    if (keep > nt)
        keep = nt;
    if (keep > 0 && keep < nt) {
        tsct_log_msg(&cli->log, TSCT_LOG_INFO, "%s: time steps 0-%lld unchanged and kept; "
                     "computing %lld-%lld", name, (long long)keep - 1, (long long)keep,
                     (long long)nt - 1);
        const size_t used = strlen(fp);
        if (used < fp_size)
            snprintf(fp + used, fp_size - used, " from=%lld", (long long)keep);
    } else if (keep == nt) {
        tsct_log_msg(&cli->log, TSCT_LOG_INFO, "%s: up to date (every time step's input and "
                     "the settings unchanged)", name);
    }
    return keep;
}

double tsct_cli_wavelength(tsct_container *c)
{
    return tsct_stage_wavelength(c);
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
