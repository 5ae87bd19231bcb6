/* edxrd_read.c - spectrum sources of tsct/edxrd.h: text MCA files (one or two columns, '#'
 * header keys, the Amptek layout) and HDF5 / NeXus series read one spectrum at a time.
 *
 * A text source is opened by reading every file once (its length and header values), so
 * that a spectrum of another length is refused before any work; the counts are read again
 * when asked for. An HDF5 source keeps the file open and reads rows.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tsct/container.h"
#include "tsct/edxrd.h"

struct tsct_edxrd_source {
    int64_t n, nchan;
    char **files;             /* text: [n] paths; HDF5: NULL */
    char h5file[4096], h5path[1024];
    tsct_container *c;        /* HDF5 */
    tsct_dataset *data;
    int rank;
    double *live, *real, *z, *time, *x;
    float *row;               /* HDF5 row buffer */
};

/* Header values of one text spectrum. */
struct text_info {
    double live, real, z, time;
};

static int key_is(const char *key, size_t len, const char *name)
{
    return strlen(name) == len && strncasecmp(key, name, len) == 0;
}

/* A header line "KEY VALUE", "KEY: VALUE", "KEY = VALUE" or Amptek's "KEY - VALUE": the value of
 * a known key into info. */
static void header_line(const char *s, struct text_info *info)
{
    while (*s == '#' || isspace((unsigned char)*s))
        s++;
    const char *k = s;
    while (*s && (isalnum((unsigned char)*s) || *s == '_'))
        s++;
    size_t len = (size_t)(s - k);
    while (*s && (isspace((unsigned char)*s) || *s == ':' || *s == '=' || *s == '-'))
        s++;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno)
        return;
    if (key_is(k, len, "live_time") || key_is(k, len, "livetime"))
        info->live = v;
    else if (key_is(k, len, "real_time") || key_is(k, len, "realtime"))
        info->real = v;
    else if (key_is(k, len, "z"))
        info->z = v;
    else if (key_is(k, len, "time") || key_is(k, len, "timestamp"))
        info->time = v;
}

/* Read a text spectrum: its header into info, its counts (and first column of two) into
 * counts[*n] / x[*n] when not NULL (capacity cap). A first pass (counts NULL) only counts. */
static tsct_status text_read(const char *path, struct text_info *info, double *counts,
                             double *x, int64_t cap, int64_t *n, int *ncol, tsct_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return tsct_error_set(err, errno == ENOENT ? TSCT_ERR_NOT_FOUND : TSCT_ERR_IO, path,
                              NULL, -1, "cannot open the spectrum: %s", strerror(errno));
    info->live = info->real = info->z = info->time = NAN;
    char line[4096];
    int64_t lineno = 0, count = 0;
    int amptek = 0, in_data = 1, cols = 0;
    tsct_status st = TSCT_OK;
    while (fgets(line, sizeof line, f)) {
        if (++lineno > TSCT_EDXRD_TEXT_LINES_MAX) {
            st = tsct_error_set(err, TSCT_ERR_SHAPE, path, NULL, lineno,
                                "more than %lld lines", (long long)TSCT_EDXRD_TEXT_LINES_MAX);
            break;
        }
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        if (lineno == 1 && strncmp(s, "<<PMCA SPECTRUM>>", 17) == 0) {
            amptek = 1, in_data = 0;
            continue;
        }
        if (amptek && strncmp(s, "<<", 2) == 0) {
            in_data = strncmp(s, "<<DATA>>", 8) == 0;
            continue;
        }
        if (*s == '#' || !in_data) {
            header_line(s, info);
            continue;
        }
        if (*s == '\0')
            continue;
        double v[2];
        int k = 0;
        char *p = s, *end;
        while (k < 3) {
            while (isspace((unsigned char)*p) || *p == ',' || *p == ';')
                p++;
            if (*p == '\0' || *p == '#')
                break;
            errno = 0;
            double val = strtod(p, &end);
            if (end == p || k == 2) {
                k = -1;
                break;
            }
            v[k++] = val;
            p = end;
        }
        if (k <= 0 || (cols && k != cols)) {
            st = tsct_error_set(err, TSCT_ERR_FORMAT, path, NULL, lineno,
                                "expected %s numbers (counts, or channel / energy and counts)",
                                cols == 1 ? "one column of" : cols == 2 ? "two columns of"
                                                                        : "one or two");
            break;
        }
        cols = k;
        const double c = v[k - 1];
        if (!isfinite(c) || c < 0) {
            st = tsct_error_set(err, TSCT_ERR_FORMAT, path, NULL, lineno,
                                "counts must be finite and >= 0, found %g", c);
            break;
        }
        if (count >= TSCT_EDXRD_CHANNELS_MAX || (counts && count >= cap)) {
            st = tsct_error_set(err, TSCT_ERR_SHAPE, path, NULL, lineno,
                                "more than %lld channels", (long long)(counts ? cap
                                                                       : TSCT_EDXRD_CHANNELS_MAX));
            break;
        }
        if (counts)
            counts[count] = c;
        if (x && k == 2)
            x[count] = v[0];
        count++;
    }
    if (st == TSCT_OK && ferror(f))
        st = tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "read error");
    fclose(f);
    if (st == TSCT_OK && count == 0)
        st = tsct_error_set(err, TSCT_ERR_FORMAT, path, NULL, -1, "no counts in the file");
    *n = count;
    if (ncol)
        *ncol = cols;
    return st;
}

static tsct_status alloc_meta(tsct_edxrd_source *s, tsct_error *err)
{
    s->live = malloc((size_t)s->n * sizeof(double));
    s->real = malloc((size_t)s->n * sizeof(double));
    s->z = malloc((size_t)s->n * sizeof(double));
    s->time = malloc((size_t)s->n * sizeof(double));
    if (!s->live || !s->real || !s->z || !s->time)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "spectra", -1, "%lld spectra",
                              (long long)s->n);
    for (int64_t k = 0; k < s->n; k++)
        s->live[k] = s->real[k] = s->z[k] = s->time[k] = NAN;
    return TSCT_OK;
}

static tsct_status open_text(tsct_edxrd_source *s, const char *const *specs, tsct_error *err)
{
    s->files = calloc((size_t)s->n, sizeof *s->files);
    if (!s->files)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "spectra", -1, "file list");
    TSCT_TRY(alloc_meta(s, err));
    for (int64_t k = 0; k < s->n; k++) {
        if (!(s->files[k] = strdup(specs[k])))
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "spectra", -1, "file list");
        struct text_info info;
        int64_t len = 0;
        int cols = 0;
        TSCT_TRY(text_read(specs[k], &info, NULL, NULL, 0, &len, &cols, err));
        if (k == 0) {
            s->nchan = len;
            if (cols == 2 && !(s->x = malloc((size_t)len * sizeof(double))))
                return tsct_error_set(err, TSCT_ERR_NOMEM, specs[k], NULL, -1, "axis");
            if (s->x) {
                double *tmp = malloc((size_t)len * sizeof(double));
                if (!tmp)
                    return tsct_error_set(err, TSCT_ERR_NOMEM, specs[k], NULL, -1, "axis");
                tsct_status st = text_read(specs[k], &info, tmp, s->x, len, &len, NULL, err);
                free(tmp);
                TSCT_TRY(st);
            }
        } else if (len != s->nchan) {
            return tsct_error_set(err, TSCT_ERR_SHAPE, specs[k], NULL, -1,
                                  "%lld channels, but %s has %lld: every spectrum of a series "
                                  "must have the same length", (long long)len, specs[0],
                                  (long long)s->nchan);
        }
        s->live[k] = info.live, s->real[k] = info.real;
        s->z[k] = info.z, s->time[k] = info.time;
    }
    return TSCT_OK;
}

/* An optional [n] dataset beside the spectra: NaN when absent. */
static tsct_status h5_meta(tsct_edxrd_source *s, const char *name, double *v, tsct_error *err)
{
    char path[1200];
    const char *slash = strrchr(s->h5path, '/');
    snprintf(path, sizeof path, "%.*s/%s", (int)(slash ? slash - s->h5path : 0), s->h5path,
             name);
    if (!tsct_container_exists(s->c, path))
        return TSCT_OK;
    double *buf = NULL;
    int64_t n = 0;
    TSCT_TRY(tsct_container_read_vector(s->c, path, &buf, &n, err));
    if (n != s->n) {
        free(buf);
        return tsct_error_set(err, TSCT_ERR_SHAPE, s->h5file, path, -1,
                              "%lld values for %lld spectra", (long long)n, (long long)s->n);
    }
    memcpy(v, buf, (size_t)n * sizeof *v);
    free(buf);
    return TSCT_OK;
}

static tsct_status open_h5(tsct_edxrd_source *s, const char *spec, tsct_error *err)
{
    tsct_path_split(spec, s->h5file, sizeof s->h5file, s->h5path, sizeof s->h5path);
    if (!s->h5path[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, spec, NULL, -1,
                              "expected FILE.h5::/path/to/spectra");
    TSCT_TRY(tsct_h5file_open(s->h5file, TSCT_OPEN_READ, &s->c, err));
    TSCT_TRY(tsct_dataset_open(s->c, s->h5path, &s->data, err));
    int64_t shape[8];
    s->rank = tsct_dataset_shape(s->data, shape);
    if (s->rank != 1 && s->rank != 2)
        return tsct_error_set(err, TSCT_ERR_SHAPE, s->h5file, s->h5path, -1,
                              "expected spectra [nspec][nchan] or one spectrum [nchan], found "
                              "%d axes", s->rank);
    s->n = s->rank == 2 ? shape[0] : 1;
    s->nchan = shape[s->rank - 1];
    if (s->n < 1 || s->n > TSCT_EDXRD_SPECTRA_MAX || s->nchan < 1 ||
        s->nchan > TSCT_EDXRD_CHANNELS_MAX)
        return tsct_error_set(err, TSCT_ERR_SHAPE, s->h5file, s->h5path, -1,
                              "%lld spectra of %lld channels: expected 1 .. %lld of 1 .. %lld",
                              (long long)s->n, (long long)s->nchan,
                              (long long)TSCT_EDXRD_SPECTRA_MAX,
                              (long long)TSCT_EDXRD_CHANNELS_MAX);
    if (!(s->row = malloc((size_t)s->nchan * sizeof *s->row)))
        return tsct_error_set(err, TSCT_ERR_NOMEM, s->h5file, s->h5path, -1, "row");
    TSCT_TRY(alloc_meta(s, err));
    TSCT_TRY(h5_meta(s, "live_time", s->live, err));
    TSCT_TRY(h5_meta(s, "real_time", s->real, err));
    TSCT_TRY(h5_meta(s, "z", s->z, err));
    return h5_meta(s, "time", s->time, err);
}

tsct_status tsct_edxrd_source_open(const char *const *specs, int64_t n, tsct_edxrd_source **out,
                                   tsct_error *err)
{
    *out = NULL;
    if (!specs || n < 1 || n > TSCT_EDXRD_SPECTRA_MAX)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "spectra", -1,
                              "expected 1 .. %lld spectrum files, got %lld",
                              (long long)TSCT_EDXRD_SPECTRA_MAX, (long long)n);
    int h5 = 0;
    for (int64_t k = 0; k < n; k++)
        if (strstr(specs[k], "::"))
            h5 = 1;
    if (h5 && n > 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "spectra", -1,
                              "an HDF5 series (FILE.h5::/path) must be the only input");
    tsct_edxrd_source *s = calloc(1, sizeof *s);
    if (!s)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "spectra", -1, "source");
    s->n = n;
    tsct_status st = h5 ? open_h5(s, specs[0], err) : open_text(s, specs, err);
    if (st != TSCT_OK) {
        tsct_edxrd_source_destroy(s);
        return st;
    }
    *out = s;
    return TSCT_OK;
}

void tsct_edxrd_source_destroy(tsct_edxrd_source *s)
{
    if (!s)
        return;
    if (s->files)
        for (int64_t k = 0; k < s->n; k++)
            free(s->files[k]);
    free(s->files);
    tsct_dataset_close(s->data);
    tsct_container_close(s->c, NULL);
    free(s->live), free(s->real), free(s->z), free(s->time), free(s->x), free(s->row);
    free(s);
}

int64_t tsct_edxrd_source_count(const tsct_edxrd_source *s)
{
    return s->n;
}
int64_t tsct_edxrd_source_channels(const tsct_edxrd_source *s)
{
    return s->nchan;
}
const double *tsct_edxrd_source_live_time(const tsct_edxrd_source *s)
{
    return s->live;
}
const double *tsct_edxrd_source_real_time(const tsct_edxrd_source *s)
{
    return s->real;
}
const double *tsct_edxrd_source_z(const tsct_edxrd_source *s)
{
    return s->z;
}
const double *tsct_edxrd_source_time(const tsct_edxrd_source *s)
{
    return s->time;
}
const double *tsct_edxrd_source_x(const tsct_edxrd_source *s)
{
    return s->x;
}

const char *tsct_edxrd_source_name(const tsct_edxrd_source *s, int64_t k, char *buf,
                                   int64_t size)
{
    if (s->files && k >= 0 && k < s->n)
        snprintf(buf, (size_t)size, "%s", s->files[k]);
    else
        snprintf(buf, (size_t)size, "%s::%s[%lld]", s->h5file, s->h5path, (long long)k);
    return buf;
}

tsct_status tsct_edxrd_source_read(tsct_edxrd_source *s, int64_t k, double *counts,
                                   tsct_error *err)
{
    if (k < 0 || k >= s->n)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "spectrum", k,
                              "expected 0 .. %lld", (long long)s->n - 1);
    if (s->files) {
        struct text_info info;
        int64_t len = 0;
        TSCT_TRY(text_read(s->files[k], &info, counts, NULL, s->nchan, &len, NULL, err));
        if (len != s->nchan)
            return tsct_error_set(err, TSCT_ERR_SHAPE, s->files[k], NULL, -1,
                                  "%lld channels, expected %lld (the file changed)",
                                  (long long)len, (long long)s->nchan);
        return TSCT_OK;
    }
    int64_t start[2] = {k, 0}, count[2] = {1, s->nchan};
    if (s->rank == 1)
        start[0] = 0, count[0] = s->nchan;
    TSCT_TRY(tsct_dataset_read(s->data, start, count, s->row, err));
    for (int64_t c = 0; c < s->nchan; c++) {
        if (!isfinite(s->row[c]) || s->row[c] < 0)
            return tsct_error_set(err, TSCT_ERR_FORMAT, s->h5file, s->h5path, k,
                                  "channel %lld: counts must be finite and >= 0, found %g",
                                  (long long)c, (double)s->row[c]);
        counts[c] = s->row[c];
    }
    return TSCT_OK;
}
