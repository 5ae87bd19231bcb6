/* stage_common.c - what every stage shares (see include/tsct/stage.h): the settings record,
 * the fingerprint, the incremental checks, batched unit records, the wavelength of a
 * container.
 *
 * These were the command line's until the stages moved into the library; their records are
 * byte for byte those the commands wrote, so a container made before the move reads as up to
 * date. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stage_internal.h"
#include "tsct/maps.h"
#include "tsct/poni.h"
#include "tsct/publish.h"
#include "stage_internal.h"

const tsct_stage_ctx *tsct__stage_ctx(const tsct_stage_ctx *ctx)
{
    static const tsct_stage_ctx defaults = TSCT_STAGE_CTX_DEFAULT;
    return ctx ? ctx : &defaults;
}

tsct_stage_report *tsct__stage_report(tsct_stage_report *report, tsct_stage_report *local)
{
    tsct_stage_report *r = report ? report : local;
    memset(r, 0, sizeof *r);
    return r;
}

tsct_status tsct__stage_commit_whole(tsct_step *step, tsct_status st, tsct_error *err)
{
    if (st == TSCT_OK)
        st = tsct_step_mark_done(step, 0, 1, err);
    if (st == TSCT_OK) {
        st = tsct_step_commit(step, err);
        step = NULL;
    }
    tsct_step_close(step);
    return st;
}

void tsct_stage_settings_init(tsct_stage_settings *s)
{
    memset(s, 0, sizeof *s);
}

void tsct_stage_settings_release(tsct_stage_settings *s)
{
    if (!s)
        return;
    free(s->text);
    memset(s, 0, sizeof *s);
}

/* Room for n more bytes and the NUL. */
static int reserve(tsct_stage_settings *s, size_t n)
{
    if (s->len + n + 1 <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 256;
    while (cap < s->len + n + 1)
        cap *= 2;
    char *t = realloc(s->text, cap);
    if (!t) {
        s->failed = 1;
        return -1;
    }
    s->text = t;
    s->cap = cap;
    return 0;
}

void tsct_stage_settings_add(tsct_stage_settings *s, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(s, strlen(key) + 2 + (size_t)n) != 0) {
        s->failed = 1;
        return;
    }
    s->len += (size_t)sprintf(s->text + s->len, "%s%s=", s->len ? " " : "", key);
    va_start(ap, fmt);
    vsnprintf(s->text + s->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    s->len += (size_t)n;
}

char *tsct_stage_fingerprint(tsct_container *c, const char *const *records,
                             const char *settings)
{
    char ids[1024];
    tsct_step_inputs_id(c, records, ids, sizeof ids);
    const size_t n = strlen(ids) + strlen(settings ? settings : "") + 2;
    char *fp = malloc(n);
    if (fp)
        snprintf(fp, n, "%s %s", ids, settings ? settings : "");
    return fp;
}

int tsct_stage_up_to_date(const tsct_stage_ctx *ctx, tsct_container *c, const char *name,
                          const char *fingerprint)
{
    if (!ctx->incremental || !tsct_step_is_current(c, name, fingerprint))
        return 0;
    tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s: up to date (inputs and settings unchanged)",
                 name);
    return 1;
}

int64_t tsct_stage_keep_time_steps(const tsct_stage_ctx *ctx, tsct_container *c,
                                   const char *name, const char *settings,
                                   const char *const *inputs, const char *output, int64_t nt,
                                   char **stamps, char **fingerprint)
{
    *stamps = tsct_step_input_stamps(c, inputs);
    if (!ctx->incremental || !*stamps)
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
        tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s: time steps 0-%lld unchanged and kept; "
                     "computing %lld-%lld", name, (long long)keep - 1, (long long)keep,
                     (long long)nt - 1);
        const size_t used = strlen(*fingerprint);
        char *fp = realloc(*fingerprint, used + 32);
        if (!fp)
            return 0; /* no room to say so: compute everything */
        snprintf(fp + used, 32, " from=%lld", (long long)keep);
        *fingerprint = fp;
    } else if (keep == nt) {
        tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s: up to date (every time step's input and "
                     "the settings unchanged)", name);
    }
    return keep;
}

int tsct_stage_name_valid(const char *name, size_t max_len, const char *also)
{
    if (!name || !*name || strlen(name) > max_len)
        return 0;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(also, *p))
            return 0;
    return 1;
}

double tsct_stage_wavelength(tsct_container *c)
{
    tsct_poni g;
    double m = 0;
    if (!c)
        return 0;
    if (tsct_container_exists(c, TSCT_PATH_GEOMETRY) &&
        tsct_container_read_geometry(c, &g, NULL) == TSCT_OK && g.wavelength > 0)
        return g.wavelength * 1e10;
    if (tsct_container_exists(c, TSCT_PATH_SCAN) &&
        tsct_container_get_attr_double(c, TSCT_PATH_SCAN, "wavelength", &m, NULL) == TSCT_OK &&
        m > 0 && isfinite(m))
        return m * 1e10;
    return 0;
}

tsct_status tsct_stage_batch_add(tsct_step *step, tsct_stage_batch *b, int64_t unit,
                                 tsct_error *err)
{
    if (b->n && b->first + b->n != unit) {
        TSCT_TRY(tsct_step_mark_done(step, b->first, b->n, err));
        b->n = 0;
    }
    if (!b->n)
        b->first = unit;
    b->n++;
    double now = tsct_clock();
    if (now - b->last > 1.0) {
        int64_t n = b->n;
        b->n = 0;
        b->last = now;
        return tsct_step_mark_done(step, b->first, n, err);
    }
    return TSCT_OK;
}

tsct_status tsct_stage_batch_flush(tsct_step *step, tsct_stage_batch *b, tsct_error *err)
{
    int64_t n = b->n;
    b->n = 0;
    return n ? tsct_step_mark_done(step, b->first, n, err) : TSCT_OK;
}

tsct_status tsct_stage_max_total(tsct_dataset *d, double *max_total, tsct_error *err)
{
    int64_t shape[8] = {0};
    if (tsct_dataset_shape(d, shape) != 5)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "volume", -1,
                              "expected [nt][nz][ny][nx][nq]");
    float *row = malloc((size_t)(shape[3] * shape[4]) * sizeof *row);
    if (!row)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "volume", -1, "one row");
    double m = 0;
    tsct_status st = TSCT_OK;
    for (int64_t t = 0; st == TSCT_OK && t < shape[0]; t++)
        for (int64_t z = 0; st == TSCT_OK && z < shape[1]; z++)
            for (int64_t y = 0; st == TSCT_OK && y < shape[2]; y++) {
                int64_t lead[3] = {t, z, y};
                st = tsct_dataset_read_row(d, lead, row, err);
                for (int64_t x = 0; st == TSCT_OK && x < shape[3]; x++) {
                    double s = 0;
                    for (int64_t k = 0; k < shape[4]; k++)
                        s += row[x * shape[4] + k];
                    if (isfinite(s) && s > m)
                        m = s;
                }
            }
    free(row);
    *max_total = m;
    return st;
}

int64_t tsct_stage_sample_mask(const float *row, int64_t nx, int64_t nq, double cut,
                               uint8_t *mask)
{
    int64_t n = 0;
    for (int64_t x = 0; x < nx; x++) {
        double s = 0;
        for (int64_t k = 0; k < nq; k++)
            s += row[x * nq + k];
        mask[x] = isfinite(s) && s > 0 && s >= cut;
        n += mask[x];
    }
    return n;
}

tsct_status tsct__stage_threshold(const tsct_stage_threshold *th, const float *v, int64_t n,
                                  double *thr, tsct_error *err)
{
    switch (th->rule) {
    case TSCT_STAGE_THRESHOLD_OTSU:
        *thr = tsct_maps_otsu(v, n, 256);
        break;
    case TSCT_STAGE_THRESHOLD_ABSOLUTE:
        *thr = th->value;
        break;
    case TSCT_STAGE_THRESHOLD_PERCENTILE:
        *thr = th->fraction * tsct_maps_percentile(v, n, th->percentile);
        break;
    default:
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "threshold", -1, "unknown rule %d",
                              (int)th->rule);
    }
    return TSCT_OK;
}

tsct_status tsct__stage_threshold_check(const tsct_stage_threshold *th, tsct_error *err)
{
    if ((unsigned)th->rule > TSCT_STAGE_THRESHOLD_PERCENTILE ||
        (th->rule == TSCT_STAGE_THRESHOLD_ABSOLUTE && !isfinite(th->value)) ||
        (th->rule == TSCT_STAGE_THRESHOLD_PERCENTILE &&
         (!(th->percentile >= 0 && th->percentile <= 100) || !(th->fraction > 0) ||
          !isfinite(th->fraction))))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "threshold", -1,
                              "expected otsu, a finite value, or a fraction > 0 of a "
                              "percentile 0-100");
    return TSCT_OK;
}

const char *tsct__stage_threshold_text(const tsct_stage_threshold *th, int short_form,
                                       char *buf, size_t size)
{
    if (th->rule == TSCT_STAGE_THRESHOLD_OTSU)
        snprintf(buf, size, "otsu");
    else if (th->rule == TSCT_STAGE_THRESHOLD_ABSOLUTE)
        snprintf(buf, size, "abs:%g", th->value);
    else if (short_form && th->percentile == 99.5)
        snprintf(buf, size, "%g", th->fraction);
    else if (th->fraction == 1.0)
        snprintf(buf, size, "pct:%g", th->percentile);
    else
        snprintf(buf, size, "pct:%g:%g", th->percentile, th->fraction);
    return buf;
}

void tsct__stage_ran(const tsct_stage_ctx *ctx, tsct_stage_report *rep, int64_t units,
                     int64_t time_first, tsct_log_level level, const char *fmt, ...)
{
    va_list ap;
    rep->ran = 1;
    rep->units = units;
    rep->time_first = time_first;
    va_start(ap, fmt);
    vsnprintf(rep->what, sizeof rep->what, fmt, ap);
    va_end(ap);
    tsct_log_msg(ctx->log, level, "%s", rep->what);
}

tsct_status tsct__stage_map_open(tsct_container *c, const char *path, const char *name,
                                 char *dset, size_t size, tsct_dataset **d, int64_t *shape,
                                 tsct_error *err)
{
    if (strncmp(name, "refine/", 7) == 0) /* a per-voxel refinement's map */
        snprintf(dset, size, TSCT_STAGE_REFINE_PATH "/%s", name + 7);
    else
        snprintf(dset, size, TSCT_PATH_MAPS "/%s", name);
    if (!tsct_container_exists(c, dset))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, path, dset, -1, "no such map");
    TSCT_TRY(tsct_dataset_open(c, dset, d, err));
    if (tsct_dataset_shape(*d, shape) == 4)
        return TSCT_OK;
    tsct_dataset_close(*d);
    *d = NULL;
    return tsct_error_set(err, TSCT_ERR_SHAPE, path, dset, -1, "expected [nt][nz][ny][nx]");
}

tsct_status tsct__stage_output_dir(const char *dir, const char *what, tsct_error *err)
{
    struct stat sb;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return tsct_error_set(err, TSCT_ERR_IO, dir, what, -1, "cannot make the folder: %s",
                              strerror(errno));
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return tsct_error_set(err, TSCT_ERR_IO, dir, what, -1, "exists and is not a folder");
    return TSCT_OK;
}

void tsct__stage_series_path(char *buf, size_t size, const char *dir, const char *name,
                             int64_t t, const char *ext)
{
    snprintf(buf, size, "%s/%s_t%04lld.%s", dir, name, (long long)t, ext);
}

tsct_status tsct__stage_series_check(const char *dir, const char *name, const char *ext,
                                     int64_t nt, tsct_error *err)
{
    TSCT_TRY(tsct__stage_output_dir(dir, "-o", err));
    for (int64_t t = 0; t < nt; t++) {
        char path[TSCT_PATH_MAX];
        tsct__stage_series_path(path, sizeof path, dir, name, t, ext);
        TSCT_TRY(tsct_publish_check(path, err));
    }
    return TSCT_OK;
}
