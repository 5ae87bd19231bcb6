/* image_tiff.c - TIFF frames through libtiff, and the float32 TIFF writer.
 *
 * libtiff does the container work (IFDs, strips or tiles, every compression it was built with,
 * predictors, byte swapping to the machine order); this file checks what it reports (one
 * sample per pixel, a supported SampleFormat x BitsPerSample pair, a shape within limits)
 * and converts the decoded rows to float.
 *
 * libtiff reports problems through handlers that print to stderr by default. Each TIFF handle
 * here gets its own error and warning handlers (libtiff >= 4.5, TIFFOpenOptions) that copy the
 * first error message into the tsct_error and swallow warnings; because a few messages are
 * emitted before a handle exists, the process-wide handlers are also replaced, once, by
 * silent ones (pthread_once), as the library never prints.
 *
 * Memory sources (the fuzzing entry point) use TIFFClientOpenExt with read/seek procedures
 * over the caller's buffer. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tiffio.h>

#include "io/image_internal.h"
#include "tsct/publish.h"

typedef struct tiff_ctx {
    char msg[512];        /* first libtiff error */
} tiff_ctx;

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    tiff_ctx *c = user;
    if (c && !c->msg[0]) {
        char tmp[400];
        vsnprintf(tmp, sizeof tmp, fmt, ap);
        snprintf(c->msg, sizeof c->msg, "libtiff: %s%s%s", module ? module : "",
                 module ? ": " : "", tmp);
    }
    return 1;   /* handled: do not call the global handler */
}

static int on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    (void)user;
    (void)module;
    (void)fmt;
    (void)ap;
    return 1;
}

static pthread_once_t silence_once = PTHREAD_ONCE_INIT;

static void silence_globals(void)
{
    TIFFSetErrorHandler(NULL);
    TIFFSetWarningHandler(NULL);
}

static TIFFOpenOptions *make_options(tiff_ctx *ctx, int64_t max_pixels)
{
    pthread_once(&silence_once, silence_globals);
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (!o)
        return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(o, on_error, ctx);
    TIFFOpenOptionsSetWarningHandlerExtR(o, on_warning, ctx);
    /* Bound libtiff's own allocations (strip arrays, decode buffers) by what a frame of the
     * allowed size could need. */
    int64_t lim = max_pixels > (INT64_C(1) << 36) ? (INT64_C(1) << 39) : max_pixels * 8;
    if (lim < (INT64_C(64) << 20))
        lim = INT64_C(64) << 20;
    TIFFOpenOptionsSetMaxSingleMemAlloc(o, (tmsize_t)lim);
    return o;
}

static tsct_status tiff_fail(tsct_error *err, const tiff_ctx *c, tsct_status st,
                             const char *item, int64_t index, const char *what)
{
    return tsct_error_set(err, st, NULL, item, index, "%s%s%s", what, c->msg[0] ? ": " : "",
                          c->msg);
}

/* ---- memory source ---------------------------------------------------------------------- */

typedef struct mem_file {
    const uint8_t *buf;
    uint64_t size, pos;
} mem_file;

static tmsize_t mem_read(thandle_t h, void *dst, tmsize_t n)
{
    mem_file *m = (mem_file *)h;
    if (n <= 0 || m->pos >= m->size)
        return 0;
    uint64_t k = (uint64_t)n;
    if (k > m->size - m->pos)
        k = m->size - m->pos;
    memcpy(dst, m->buf + m->pos, (size_t)k);
    m->pos += k;
    return (tmsize_t)k;
}

static tmsize_t mem_write(thandle_t h, void *src, tmsize_t n)
{
    (void)h;
    (void)src;
    (void)n;
    return 0;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
    mem_file *m = (mem_file *)h;
    uint64_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->size : 0;
    /* off is unsigned; libtiff passes negative SEEK_CUR offsets as two's complement */
    uint64_t np = base + (uint64_t)off;
    if (whence == SEEK_SET)
        np = (uint64_t)off;
    if (np > (UINT64_C(1) << 62))
        return (toff_t)-1;
    m->pos = np;
    return (toff_t)np;
}

static int mem_close(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t mem_size(thandle_t h)
{
    return (toff_t)((mem_file *)h)->size;
}

static int mem_map(thandle_t h, void **base, toff_t *size)
{
    (void)h;
    (void)base;
    (void)size;
    return 0;
}

static void mem_unmap(thandle_t h, void *base, toff_t size)
{
    (void)h;
    (void)base;
    (void)size;
}

/* ---- reading ----------------------------------------------------------------------------- */

static tsct_status keep_tags(tsct_image *img, TIFF *tif, tsct_error *err)
{
    static const struct {
        ttag_t tag;
        const char *name;
    } tags[] = {{TIFFTAG_IMAGEDESCRIPTION, "ImageDescription"},
                {TIFFTAG_SOFTWARE, "Software"},
                {TIFFTAG_DATETIME, "DateTime"},
                {TIFFTAG_MAKE, "Make"},
                {TIFFTAG_MODEL, "Model"},
                {TIFFTAG_ARTIST, "Artist"},
                {TIFFTAG_DOCUMENTNAME, "DocumentName"}};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        const char *v = NULL;
        if (TIFFGetField(tif, tags[i].tag, &v) == 1 && v)
            TSCT_TRY(tsct__image_header_add(img, tags[i].name, strlen(tags[i].name), v,
                                            strnlen(v, 1 << 20), err));
    }
    return TSCT_OK;
}

static tsct_status read_dir(tsct_image *img, TIFF *tif, tiff_ctx *c,
                            const tsct_image_read_params *p, tsct_error *err)
{
    int64_t frame = p->frame;
    if (frame < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "frame", frame,
                              "frame index must be >= 0");
    if (frame > 0) {
        if (frame > 65535 || !TIFFSetDirectory(tif, (tdir_t)frame)) {
            c->msg[0] = '\0';
            tdir_t nd = TIFFNumberOfDirectories(tif);
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "frame", frame,
                                  "page out of range: the file holds %u pages", (unsigned)nd);
        }
    }
    uint32_t w = 0, h = 0;
    uint16_t spp = 1, bps = 1, fmt = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w))
        return tiff_fail(err, c, TSCT_ERR_FORMAT, "ImageWidth", frame, "tag missing");
    if (!TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h))
        return tiff_fail(err, c, TSCT_ERR_FORMAT, "ImageLength", frame, "tag missing");
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &fmt);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    if (spp != 1)
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "SamplesPerPixel", frame,
                              "expected 1 (a grey-level detector frame), found %u",
                              (unsigned)spp);
    tsct_image_dtype dt = TSCT_IMAGE_DTYPE_UNKNOWN;
    if (fmt == SAMPLEFORMAT_UINT || fmt == SAMPLEFORMAT_VOID) {
        dt = bps == 8 ? TSCT_IMAGE_DTYPE_U8 : bps == 16 ? TSCT_IMAGE_DTYPE_U16
           : bps == 32 ? TSCT_IMAGE_DTYPE_U32 : bps == 64 ? TSCT_IMAGE_DTYPE_U64
           : TSCT_IMAGE_DTYPE_UNKNOWN;
    } else if (fmt == SAMPLEFORMAT_INT) {
        dt = bps == 8 ? TSCT_IMAGE_DTYPE_I8 : bps == 16 ? TSCT_IMAGE_DTYPE_I16
           : bps == 32 ? TSCT_IMAGE_DTYPE_I32 : bps == 64 ? TSCT_IMAGE_DTYPE_I64
           : TSCT_IMAGE_DTYPE_UNKNOWN;
    } else if (fmt == SAMPLEFORMAT_IEEEFP) {
        dt = bps == 32 ? TSCT_IMAGE_DTYPE_F32 : bps == 64 ? TSCT_IMAGE_DTYPE_F64
           : TSCT_IMAGE_DTYPE_UNKNOWN;
    }
    if (!dt)
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "BitsPerSample", frame,
                              "SampleFormat %u with %u bits per sample is not supported "
                              "(expected 8/16/32/64-bit integers or 32/64-bit floats)",
                              (unsigned)fmt, (unsigned)bps);
    TSCT_TRY(tsct__image_alloc(img, (int64_t)h, (int64_t)w, p->max_pixels, "ImageLength", err));
    img->raw_dtype = dt;
    img->format = TSCT_IMAGE_FORMAT_TIFF;
    img->frame = frame;
    TSCT_TRY(keep_tags(img, tif, err));
    int64_t esize = (int64_t)tsct__dtype_size(dt);
    int64_t width = w, length = h;
    tsct_status st = TSCT_OK;
    if (TIFFIsTiled(tif)) {
        uint32_t tw = 0, th = 0;
        if (!TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw) || !TIFFGetField(tif, TIFFTAG_TILELENGTH, &th) ||
            tw == 0 || th == 0)
            return tiff_fail(err, c, TSCT_ERR_FORMAT, "TileWidth", frame, "bad tile size");
        int64_t tile_px = (int64_t)tw * th;
        if (tile_px > (INT64_C(1) << 28))
            return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "TileWidth", frame,
                                  "tiles of %u x %u pixels are implausibly large", tw, th);
        int64_t tbytes = tile_px * esize;
        int64_t alloc = tbytes;
        tmsize_t ts = TIFFTileSize(tif);
        if (ts > alloc)
            alloc = ts;
        uint8_t *buf = malloc((size_t)alloc);
        if (!buf)
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "tile", frame, "cannot allocate");
        for (int64_t y = 0; st == TSCT_OK && y < length; y += th) {
            for (int64_t x = 0; st == TSCT_OK && x < width; x += tw) {
                uint32_t t = TIFFComputeTile(tif, (uint32_t)x, (uint32_t)y, 0, 0);
                tmsize_t got = TIFFReadEncodedTile(tif, t, buf, (tmsize_t)tbytes);
                if (got < (tmsize_t)tbytes) {
                    st = tiff_fail(err, c, TSCT_ERR_FORMAT, "tile", (int64_t)t,
                                   "cannot decode the tile (corrupt or truncated data)");
                    break;
                }
                int64_t nr = length - y < th ? length - y : th;
                int64_t nc = width - x < tw ? width - x : tw;
                for (int64_t r = 0; r < nr; r++)
                    tsct__convert_to_float(img->data + (y + r) * width + x,
                                           buf + r * (int64_t)tw * esize, nc, dt, 0);
            }
        }
        free(buf);
    } else {
        uint32_t rps = 0;
        TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
        if (rps == 0 || rps > h)
            rps = h;
        int64_t row_bytes = width * esize;
        int64_t sbytes = (int64_t)rps * row_bytes;
        int64_t alloc = sbytes;
        tmsize_t ss = TIFFStripSize(tif);
        if (ss > alloc)
            alloc = ss;
        uint8_t *buf = malloc((size_t)alloc);
        if (!buf)
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "strip", frame, "cannot allocate");
        for (int64_t y = 0; y < length; y += rps) {
            uint32_t s = TIFFComputeStrip(tif, (uint32_t)y, 0);
            int64_t nr = length - y < (int64_t)rps ? length - y : (int64_t)rps;
            tmsize_t need = (tmsize_t)(nr * row_bytes);
            tmsize_t got = TIFFReadEncodedStrip(tif, s, buf, need);
            if (got < need) {
                st = tiff_fail(err, c, TSCT_ERR_FORMAT, "strip", (int64_t)s,
                               "cannot decode the strip (corrupt or truncated data)");
                break;
            }
            tsct__convert_to_float(img->data + y * width, buf, nr * width, dt, 0);
        }
        free(buf);
    }
    return st;
}

static tsct_status with_tiff(tsct_image *img, TIFF *tif, tiff_ctx *c,
                             const tsct_image_read_params *p, tsct_error *err)
{
    if (!tif)
        return tiff_fail(err, c, TSCT_ERR_FORMAT, "TIFF header", -1, "not a readable TIFF file");
    tsct_status st = read_dir(img, tif, c, p, err);
    TIFFClose(tif);
    return st;
}

tsct_status tsct__tiff_decode(tsct_image *img, const uint8_t *buf, size_t size,
                              const tsct_image_read_params *p, tsct_error *err)
{
    tiff_ctx c = {""};
    mem_file m = {buf, size, 0};
    TIFFOpenOptions *o = make_options(&c, p->max_pixels);
    if (!o)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "TIFF", -1, "cannot allocate options");
    TIFF *tif = TIFFClientOpenExt("memory", "rm", (thandle_t)&m, mem_read, mem_write, mem_seek,
                                  mem_close, mem_size, mem_map, mem_unmap, o);
    TIFFOpenOptionsFree(o);
    return with_tiff(img, tif, &c, p, err);
}

static TIFF *open_path(const char *path, tiff_ctx *c, int64_t max_pixels, tsct_error *err,
                       tsct_status *st)
{
    *st = TSCT_OK;
    tsct_publish_note_input(path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        *st = tsct_error_set(err, e == ENOENT ? TSCT_ERR_NOT_FOUND : TSCT_ERR_IO, path, NULL, -1,
                             "cannot open: %s", strerror(e));
        return NULL;
    }
    TIFFOpenOptions *o = make_options(c, max_pixels);
    if (!o) {
        close(fd);
        *st = tsct_error_set(err, TSCT_ERR_NOMEM, path, "TIFF", -1, "cannot allocate options");
        return NULL;
    }
    TIFF *tif = TIFFFdOpenExt(fd, path, "r", o);
    TIFFOpenOptionsFree(o);
    if (!tif) {
        close(fd);
        *st = tiff_fail(err, c, TSCT_ERR_FORMAT, "TIFF header", -1, "not a readable TIFF file");
    }
    return tif;
}

tsct_status tsct__tiff_read_file(tsct_image *img, const char *path,
                                 const tsct_image_read_params *p, tsct_error *err)
{
    tiff_ctx c = {""};
    tsct_status st;
    TIFF *tif = open_path(path, &c, p->max_pixels, err, &st);
    if (!tif)
        return st;
    return with_tiff(img, tif, &c, p, err);
}

tsct_status tsct__tiff_count(const char *path, int64_t *n, tsct_error *err)
{
    tiff_ctx c = {""};
    tsct_status st;
    TIFF *tif = open_path(path, &c, TSCT_IMAGE_MAX_PIXELS_DEFAULT, err, &st);
    if (!tif)
        return st;
    *n = (int64_t)TIFFNumberOfDirectories(tif);
    TIFFClose(tif);
    return TSCT_OK;
}

/* ---- writing ----------------------------------------------------------------------------- */

tsct_status tsct_image_write_tiff(const char *path, const float *data, int64_t rows,
                                  int64_t cols, tsct_error *err)
{
    if (rows < 1 || cols < 1 || rows > UINT32_MAX || cols > UINT32_MAX ||
        rows > (INT64_C(1) << 62) / 4 / cols)
        return tsct_error_set(err, TSCT_ERR_SHAPE, path, "shape", -1,
                              "cannot write a %lld x %lld TIFF", (long long)rows,
                              (long long)cols);
    tsct_publish pub;
    TSCT_TRY(tsct_publish_begin(&pub, path, err));
    tiff_ctx c = {""};
    TIFFOpenOptions *o = make_options(&c, rows * cols);
    if (!o) {
        tsct_publish_abort(&pub);
        return tsct_error_set(err, TSCT_ERR_NOMEM, path, "TIFF", -1, "cannot allocate options");
    }
    /* classic TIFF up to 4 GB of pixels, BigTIFF beyond */
    const char *mode = rows * cols * 4 > (INT64_C(4000) << 20) ? "w8l" : "wl";
    TIFF *tif = TIFFOpenExt(tsct_publish_tmp_path(&pub), mode, o);
    TIFFOpenOptionsFree(o);
    if (!tif) {
        tsct_publish_abort(&pub);
        return tiff_fail(err, &c, TSCT_ERR_IO, "TIFF", -1, "cannot create the file");
    }
    int64_t rps = (INT64_C(1) << 16) / (cols * 4);
    if (rps < 1)
        rps = 1;
    int ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)cols) &&
             TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)rows) &&
             TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)1) &&
             TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)32) &&
             TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, (uint16_t)SAMPLEFORMAT_IEEEFP) &&
             TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, (uint16_t)PHOTOMETRIC_MINISBLACK) &&
             TIFFSetField(tif, TIFFTAG_PLANARCONFIG, (uint16_t)PLANARCONFIG_CONTIG) &&
             TIFFSetField(tif, TIFFTAG_COMPRESSION, (uint16_t)COMPRESSION_NONE) &&
             TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, (uint32_t)rps) &&
             TIFFSetField(tif, TIFFTAG_SOFTWARE, "tsct");
    for (int64_t y = 0; ok && y < rows; y += rps) {
        int64_t nr = rows - y < rps ? rows - y : rps;
        tmsize_t bytes = (tmsize_t)(nr * cols * 4);
        ok = TIFFWriteEncodedStrip(tif, TIFFComputeStrip(tif, (uint32_t)y, 0),
                                   (void *)(data + y * cols), bytes) == bytes;
    }
    if (ok)
        ok = TIFFFlush(tif);
    TIFFClose(tif);
    if (!ok) {
        tsct_publish_abort(&pub);
        return tiff_fail(err, &c, TSCT_ERR_IO, "TIFF", -1, "write failed");
    }
    return tsct_publish_commit(&pub, err);
}
