/* frames.c - the frame source (include/tsct/frames.h): specs and slices, image files, the
 * index of sources, masks. HDF5 sources live in frames_h5.c, the list of sources in
 * frames_source.c.
 *
 * Design: opening resolves every spec into sources and their frame counts, so that frame k is
 * found by a binary search over the sources' first indices and read without any shared
 * mutable state: image files are decoded straight into the caller's buffer (a tsct_image that
 * borrows it, with max_pixels set to the frame size so that a reader can never free or grow
 * it), HDF5 frames through the lib/io lock. CBF files are assumed to hold one frame without
 * being decoded (the CBF reader refuses anything else), so a scan of 10^5 CBF files opens in
 * the time it takes to read their first bytes; other image formats are opened to count their
 * frames. A folder spec lists its image files in natural name order (frame_2 before
 * frame_10).
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/frames_internal.h"
#include "io/image_internal.h"
#include "tsct/container.h"
#include "tsct/publish.h"

/* ---- specs ------------------------------------------------------------------------------- */

typedef struct slice {
    int present;
    int single;                 /* "[i]" */
    int has_start, has_stop;
    int64_t start, stop, step;
} slice;

/* Split a trailing "[...]" off spec into *sl. The spec is taken whole when it names an
 * existing file (a file name may contain brackets). */
static tsct_status split_slice(const char *spec, char *base, size_t base_size, slice *sl,
                               tsct_error *err)
{
    memset(sl, 0, sizeof *sl);
    sl->step = 1;
    snprintf(base, base_size, "%s", spec);
    size_t n = strlen(base);
    struct stat st;
    if (n == 0 || base[n - 1] != ']' || stat(base, &st) == 0)
        return TSCT_OK;
    char *open = strrchr(base, '[');
    if (!open)
        return TSCT_OK;
    char body[128];
    size_t bl = (size_t)(base + n - 1 - (open + 1));
    if (bl >= sizeof body)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, spec, -1,
                              "frame slice too long: expected [start:stop:step]");
    memcpy(body, open + 1, bl);
    body[bl] = '\0';
    char *fields[3] = {body, NULL, NULL};
    int nf = 1;
    for (char *c = body; *c; c++)
        if (*c == ':') {
            if (nf == 3)
                return tsct_error_set(err, TSCT_ERR_VALUE, NULL, spec, -1,
                                      "frame slice [%s]: expected [start:stop:step]", body);
            *c = '\0';
            fields[nf++] = c + 1;
        }
    int64_t v[3] = {0, 0, 1};
    int has[3] = {0, 0, 0};
    for (int k = 0; k < nf; k++) {
        size_t len = strlen(fields[k]);
        if (len == 0)
            continue;
        if (tsct__parse_int64(fields[k], len, &v[k]) != 0)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, spec, -1,
                                  "frame slice: \"%s\" is not an integer", fields[k]);
        has[k] = 1;
    }
    if (nf == 1 && !has[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, spec, -1,
                              "empty frame slice []: expected [index] or [start:stop:step]");
    if (has[2] && v[2] < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, spec, -1,
                              "frame slice step must be >= 1, found %lld", (long long)v[2]);
    sl->present = 1;
    sl->single = nf == 1;
    sl->has_start = has[0];
    sl->has_stop = has[1];
    sl->start = v[0];
    sl->stop = v[1];
    sl->step = has[2] ? v[2] : 1;
    *open = '\0';
    return TSCT_OK;
}

/* Apply a slice to sources [s0, nsrc) of one spec, holding `total` frames in all. */
static tsct_status apply_slice(tsct_frames *f, int64_t s0, const slice *sl, const char *spec,
                               tsct_error *err)
{
    int64_t total = 0;
    for (int64_t s = s0; s < f->nsrc; s++)
        total += f->src[s].nframes;
    if (!sl->present)
        return TSCT_OK;
    int64_t start, stop, step = sl->step;
    if (sl->single) {
        start = sl->start < 0 ? sl->start + total : sl->start;
        if (start < 0 || start >= total)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, spec, sl->start,
                                  "frame index out of range: the source has %lld frames",
                                  (long long)total);
        stop = start + 1;
    } else {
        start = !sl->has_start ? 0 : sl->start < 0 ? sl->start + total : sl->start;
        stop = !sl->has_stop ? total : sl->stop < 0 ? sl->stop + total : sl->stop;
        start = start < 0 ? 0 : start > total ? total : start;
        stop = stop < 0 ? 0 : stop > total ? total : stop;
    }
    if (stop <= start)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, spec, -1,
                              "the frame slice selects no frame of %lld", (long long)total);
    /* Frames g = start + j * step, g < stop, distributed over the sources in order. A source
     * left without frames stays in the list (its HDF5 handles are closed with the others). */
    int64_t a = 0;
    for (int64_t s = s0; s < f->nsrc; s++) {
        tsct__frames_source *src = &f->src[s];
        int64_t offset = a, len = src->nframes;
        a += len;
        int64_t lo = offset > start ? offset : start, hi = a < stop ? a : stop;
        int64_t g0 = start + (lo - start + step - 1) / step * step;
        if (g0 >= hi) {
            src->nframes = 0;
            continue;
        }
        src->nframes = (hi - g0 + step - 1) / step;
        src->start += (g0 - offset) * src->step;
        src->step *= step;
    }
    return TSCT_OK;
}

static const char *file_ext(const char *path)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    return dot && (!slash || dot > slash) ? dot + 1 : "";
}

/* An image file: count its frames, and read its first frame when it is the first image of a
 * series without a shape yet (that also proves the format). */
static tsct_status add_image(tsct_frames *f, const char *file, tsct_error *err)
{
    tsct_image_format fmt;
    TSCT_TRY(tsct_image_detect(file, &fmt, err));
    if (fmt == TSCT_IMAGE_FORMAT_AUTO)
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, file, "format", -1,
                              "not a CBF, EDF, TIFF, npy or HDF5 file (first bytes and "
                              "extension unrecognised)");
    tsct_image_read_params ip = TSCT_IMAGE_READ_PARAMS_DEFAULT;
    ip.format = fmt;
    ip.check_md5 = f->params.check_md5;
    ip.max_pixels = f->params.max_pixels;
    int64_t n = 1;
    if (fmt != TSCT_IMAGE_FORMAT_CBF)
        TSCT_TRY(tsct_image_count_frames(file, &ip, &n, err));
    if (n < 1)
        return tsct_error_set(err, TSCT_ERR_FORMAT, file, NULL, -1, "the file holds no frame");
    tsct__frames_source *s = tsct__frames_add(f, TSCT__SRC_IMAGE, file, "", "", n);
    if (!s)
        return tsct_error_set(err, TSCT_ERR_NOMEM, file, NULL, -1, "source list");
    s->format = fmt;
    s->mask_negative = f->params.mask_negative < 0 ? 1 : f->params.mask_negative;
    s->mask_overflow = f->params.mask_overflow > 0 ? f->params.mask_overflow : 0.0;
    if (f->rows == 0) {
        tsct_image img;
        tsct_image_init(&img);
        tsct_status st = tsct_image_read(&img, file, &ip, err);
        if (st == TSCT_OK) {
            f->rows = img.rows;
            f->cols = img.cols;
            s->dtype = img.raw_dtype;
        }
        tsct_image_release(&img);
        return st;
    }
    return TSCT_OK;
}

/* Names compared with runs of digits taken as numbers ("f_2.cbf" < "f_10.cbf"), then byte
 * by byte, so zero-padded and unpadded numbering both give acquisition order. */
static int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            while (*a == '0' && a[1] >= '0' && a[1] <= '9')
                a++;
            while (*b == '0' && b[1] >= '0' && b[1] <= '9')
                b++;
            size_t la = 0, lb = 0;
            while (a[la] >= '0' && a[la] <= '9')
                la++;
            while (b[lb] >= '0' && b[lb] <= '9')
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = memcmp(a, b, la);
            if (c)
                return c;
            a += la;
            b += lb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int natural_qsort(const void *x, const void *y)
{
    const char *a = *(const char *const *)x, *b = *(const char *const *)y;
    int c = natural_cmp(a, b);
    return c ? c : strcmp(a, b);
}

static int image_name(const char *name)
{
    if (name[0] == '.')
        return 0;
    const char *ext = file_ext(name);
    static const char *const exts[] = {"cbf", "edf", "tif", "tiff", "npy"};
    for (size_t k = 0; k < sizeof exts / sizeof exts[0]; k++)
        if (tsct__ascii_casecmp(ext, exts[k]) == 0)
            return 1;
    return 0;
}

/* A folder: its image files (.cbf, .edf, .tif, .tiff, .npy, any case; not hidden files) in
 * natural name order. Other files (temporary ".partial." files, notes) are not frames. */
static tsct_status add_folder(tsct_frames *f, const char *dir, tsct_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return tsct_error_set(err, TSCT_ERR_IO, dir, NULL, -1, "cannot list the folder: %s",
                              strerror(errno));
    char **names = NULL;
    int64_t n = 0, cap = 0;
    tsct_status st = TSCT_OK;
    struct dirent *e;
    while (st == TSCT_OK && (e = readdir(d)) != NULL) {
        if (!image_name(e->d_name))
            continue;
        if (n == cap) {
            int64_t nc = cap ? 2 * cap : 256;
            char **p = realloc(names, (size_t)nc * sizeof *names);
            if (!p) {
                st = tsct_error_set(err, TSCT_ERR_NOMEM, dir, NULL, -1, "file list");
                break;
            }
            names = p;
            cap = nc;
        }
        if (!(names[n] = tsct__frames_strdup(e->d_name)))
            st = tsct_error_set(err, TSCT_ERR_NOMEM, dir, NULL, -1, "file list");
        else
            n++;
    }
    closedir(d);
    if (st == TSCT_OK && n == 0)
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, dir, NULL, -1,
                            "no image files (.cbf, .edf, .tif, .tiff, .npy) in the folder");
    if (st == TSCT_OK)
        qsort(names, (size_t)n, sizeof *names, natural_qsort);
    char path[TSCT_PATH_MAX];
    for (int64_t i = 0; st == TSCT_OK && i < n; i++) {
        if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= (int)sizeof path)
            st = tsct_error_set(err, TSCT_ERR_VALUE, dir, names[i], -1, "path too long");
        else
            st = add_image(f, path, err);
    }
    for (int64_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return st;
}

static tsct_status add_spec(tsct_frames *f, const char *spec, tsct_error *err)
{
    char base[TSCT_PATH_MAX + 1100], file[TSCT_PATH_MAX], dset[1024];
    slice sl;
    TSCT_TRY(split_slice(spec, base, sizeof base, &sl, err));
    tsct_path_split(base, file, sizeof file, dset, sizeof dset);
    if (!file[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, spec, -1, "empty file name");
    int64_t s0 = f->nsrc;
    const char *ext = file_ext(file);
    int is_h5 = dset[0] || tsct__frames_is_hdf5(file) || tsct__ascii_casecmp(ext, "h5") == 0 ||
                tsct__ascii_casecmp(ext, "hdf5") == 0 || tsct__ascii_casecmp(ext, "nxs") == 0;
    struct stat sb;
    if (!dset[0] && stat(file, &sb) == 0 && S_ISDIR(sb.st_mode))
        TSCT_TRY(add_folder(f, file, err));
    else if (is_h5)
        TSCT_TRY(tsct__frames_h5_add(f, file, dset, err));
    else
        TSCT_TRY(add_image(f, file, err));
    return apply_slice(f, s0, &sl, spec, err);
}

/* ---- open / close ------------------------------------------------------------------------ */

tsct_status tsct_frames_open(const char *const *specs, int64_t nspecs,
                             const tsct_frames_params *params, tsct_frames **out,
                             tsct_error *err)
{
    *out = NULL;
    if (nspecs < 1 || !specs)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "specs", -1,
                              "no frame source given");
    tsct_frames *f = calloc(1, sizeof *f);
    if (!f)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "frames", -1, "frame source");
    tsct_frames_params p = TSCT_FRAMES_PARAMS_DEFAULT;
    if (params)
        p = *params;
    if (p.max_pixels <= 0)
        p.max_pixels = TSCT_IMAGE_MAX_PIXELS_DEFAULT;
    f->params = p;
    f->info.pixel_mask_count = -1;
    tsct_status st = TSCT_OK;
    int kinds = 0;
    for (int64_t i = 0; i < nspecs && st == TSCT_OK; i++) {
        if (!specs[i]) {
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "specs", i, "NULL spec");
            break;
        }
        int64_t s0 = f->nsrc;
        int had_meta = f->have_detector_meta;
        st = add_spec(f, specs[i], err);
        if (st == TSCT_OK && f->nsrc > s0)
            kinds |= f->src[s0].kind == TSCT__SRC_IMAGE          ? 1
                     : f->have_detector_meta && !had_meta        ? 4
                                                                  : 2;
    }
    int64_t total = 0;
    for (int64_t s = 0; s < f->nsrc; s++)
        total += f->src[s].nframes;
    if (st == TSCT_OK && total == 0)
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "specs", -1, "no frames selected");
    if (st == TSCT_OK) {
        f->first = malloc((size_t)(f->nsrc + 1) * sizeof *f->first);
        if (!f->first)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "frames", -1, "frame index");
    }
    if (st != TSCT_OK) {
        tsct_frames_close(f);
        return st;
    }
    total = 0;
    for (int64_t s = 0; s < f->nsrc; s++) {
        f->first[s] = total;
        total += f->src[s].nframes;
    }
    f->first[f->nsrc] = total;
    f->nframes = total;
    tsct_frames_info *in = &f->info;
    in->nframes = total;
    in->rows = f->rows;
    in->cols = f->cols;
    in->dtype = f->src[0].dtype;
    in->kind = kinds == 1 ? "images" : kinds == 2 ? "hdf5" : kinds == 4 ? "dectris" : "mixed";
    in->mask_negative = f->src[0].mask_negative;
    in->mask_overflow = f->src[0].mask_overflow;
    *out = f;
    return TSCT_OK;
}

void tsct_frames_close(tsct_frames *f)
{
    if (!f)
        return;
    tsct__frames_h5_close(f);
    for (int64_t s = 0; s < f->nsrc; s++)
        tsct__frames_source_free(&f->src[s]);
    free(f->src);
    free(f->first);
    free(f->pixel_mask);
    free(f);
}

int64_t tsct_frames_count(const tsct_frames *f)
{
    return f->nframes;
}

void tsct_frames_shape(const tsct_frames *f, int64_t *rows, int64_t *cols)
{
    *rows = f->rows;
    *cols = f->cols;
}

void tsct_frames_info_get(const tsct_frames *f, tsct_frames_info *info)
{
    *info = f->info;
}

const uint8_t *tsct_frames_pixel_mask(const tsct_frames *f)
{
    return f->pixel_mask;
}

/* ---- reading ----------------------------------------------------------------------------- */

static tsct_status find(const tsct_frames *f, int64_t index, int64_t *s, tsct_error *err)
{
    if (index < 0 || index >= f->nframes)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "frame", index,
                              "frame index out of range: the series has %lld frames",
                              (long long)f->nframes);
    int64_t lo = 0, hi = f->nsrc - 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo + 1) / 2;
        if (f->first[mid] <= index)
            lo = mid;
        else
            hi = mid - 1;
    }
    *s = lo;
    return TSCT_OK;
}

tsct_status tsct_frames_locate(const tsct_frames *f, int64_t index, const char **file,
                               const char **dataset, int64_t *local_index, tsct_error *err)
{
    int64_t s = 0;
    TSCT_TRY(find(f, index, &s, err));
    const tsct__frames_source *src = &f->src[s];
    if (file)
        *file = src->file;
    if (dataset)
        *dataset = src->dataset;
    if (local_index)
        *local_index = src->start + (index - f->first[s]) * src->step;
    return TSCT_OK;
}

static tsct_status read_image(const tsct_frames *f, const tsct__frames_source *s, int64_t local,
                              int64_t global, float *buf, tsct_error *err)
{
    const int64_t n = f->rows * f->cols;
    tsct_image img;
    tsct_image_init(&img);
    img.data = buf;              /* borrowed: max_pixels = n keeps the reader from freeing it */
    img.data_capacity_ = n;
    tsct_image_read_params ip = TSCT_IMAGE_READ_PARAMS_DEFAULT;
    ip.format = s->format;
    ip.frame = local;
    ip.check_md5 = f->params.check_md5;
    ip.max_pixels = n;
    tsct_error e = TSCT_ERROR_INIT;
    tsct_status st = tsct_image_read(&img, s->file, &ip, &e);
    int64_t rows = img.rows, cols = img.cols;
    img.data = NULL;
    img.data_capacity_ = 0;
    tsct_image_release(&img);
    if (st == TSCT_ERR_SHAPE)
        return tsct_error_set(err, st, e.file, e.item, local,
                              "frame %lld of the series: expected a %lld x %lld frame like the "
                              "first one: %s", (long long)global, (long long)f->rows,
                              (long long)f->cols, e.detail);
    if (st != TSCT_OK)
        return tsct_error_set(err, st, e.file[0] ? e.file : s->file, e.item,
                              e.index >= 0 ? e.index : local, "frame %lld of the series: %s",
                              (long long)global, e.detail);
    if (rows != f->rows || cols != f->cols)
        return tsct_error_set(err, TSCT_ERR_SHAPE, s->file, "frame", local,
                              "frame %lld of the series is %lld x %lld, the first frame is "
                              "%lld x %lld", (long long)global, (long long)rows,
                              (long long)cols, (long long)f->rows, (long long)f->cols);
    return TSCT_OK;
}

tsct_status tsct_frames_read(const tsct_frames *f, int64_t index, float *buf, tsct_error *err)
{
    int64_t s = 0;
    TSCT_TRY(find(f, index, &s, err));
    const tsct__frames_source *src = &f->src[s];
    int64_t local = src->start + (index - f->first[s]) * src->step;
    if (src->kind == TSCT__SRC_H5)
        return tsct__frames_h5_read(f, src, local, index, buf, err);
    return read_image(f, src, local, index, buf, err);
}

tsct_status tsct_frames_header_number(const tsct_frames *f, int64_t index, const char *key,
                                      double *value, tsct_error *err)
{
    int64_t s = 0;
    TSCT_TRY(find(f, index, &s, err));
    const tsct__frames_source *src = &f->src[s];
    const int64_t local = src->start + (index - f->first[s]) * src->step;
    if (src->kind == TSCT__SRC_H5)
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, src->file, key, local,
                              "frame %lld of the series is in an HDF5 dataset, which has no "
                              "per-frame header: give the values as a dataset",
                              (long long)index);
    tsct_image img;
    tsct_image_init(&img);
    tsct_image_read_params ip = TSCT_IMAGE_READ_PARAMS_DEFAULT;
    ip.format = src->format;
    ip.frame = local;
    tsct_status st = tsct_image_read_header(&img, src->file, &ip, err);
    if (st == TSCT_OK) {
        st = tsct_image_header_number(&img, key, value, err);
        if (st != TSCT_OK)
            tsct_error_set_file(err, src->file);
    }
    tsct_image_release(&img);
    return st;
}

/* ---- masks ------------------------------------------------------------------------------- */

tsct_status tsct_frames_mask(const tsct_frames *f, int64_t index, const float *frame,
                             uint8_t *mask, int64_t *nmasked, tsct_error *err)
{
    int64_t s = 0;
    TSCT_TRY(find(f, index, &s, err));
    const tsct__frames_source *src = &f->src[s];
    const int64_t n = f->rows * f->cols;
    const uint8_t *pm = f->pixel_mask;
    const int neg = src->mask_negative;
    /* Compared as float: 2^32 - 1 stored as uint32 reads back as 2^32 in float32. */
    const float over = src->mask_overflow > 0 ? (float)src->mask_overflow : INFINITY;
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        const float v = frame[i];
        uint8_t m = (uint8_t)((pm && pm[i]) | (neg & (v < 0.0f)) | (v >= over));
        mask[i] = m;
        count += m;
    }
    if (nmasked)
        *nmasked = count;
    return TSCT_OK;
}
