/* image.c - format detection and dispatch: the public entry points that read, decode and
 * count images choose the reader of each format (image_cbf.c, image_edf.c, image_tiff.c,
 * image_npy.c); the tsct_image value and what the readers share are in image_object.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/image_internal.h"
#include "tsct/publish.h"

tsct_image_format tsct__image_detect_magic(const uint8_t *buf, size_t size)
{
    if (size >= 6 && memcmp(buf, "\x93NUMPY", 6) == 0)
        return TSCT_IMAGE_FORMAT_NPY;
    if (size >= 4 && (memcmp(buf, "II*\0", 4) == 0 || memcmp(buf, "MM\0*", 4) == 0 ||
                      memcmp(buf, "II+\0", 4) == 0 || memcmp(buf, "MM\0+", 4) == 0))
        return TSCT_IMAGE_FORMAT_TIFF;
    if (size >= 6 && memcmp(buf, "###CBF", 6) == 0)
        return TSCT_IMAGE_FORMAT_CBF;
    /* EDF: optional blanks, then '{'. */
    size_t i = 0;
    while (i < size && i < 512 && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' ||
                                    buf[i] == '\t'))
        i++;
    if (i < size && buf[i] == '{')
        return TSCT_IMAGE_FORMAT_EDF;
    /* CIF files written without the "###CBF" banner still carry a binary section. */
    size_t lim = size < 65536 ? size : 65536;
    static const char sect[] = "--CIF-BINARY-FORMAT-SECTION--";
    if (lim >= sizeof sect - 1 && memmem(buf, lim, sect, sizeof sect - 1))
        return TSCT_IMAGE_FORMAT_CBF;
    return TSCT_IMAGE_FORMAT_AUTO;
}

static tsct_image_format detect_extension(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return TSCT_IMAGE_FORMAT_AUTO;
    dot++;
    if (tsct__ascii_casecmp(dot, "cbf") == 0)
        return TSCT_IMAGE_FORMAT_CBF;
    if (tsct__ascii_casecmp(dot, "edf") == 0)
        return TSCT_IMAGE_FORMAT_EDF;
    if (tsct__ascii_casecmp(dot, "tif") == 0 || tsct__ascii_casecmp(dot, "tiff") == 0)
        return TSCT_IMAGE_FORMAT_TIFF;
    if (tsct__ascii_casecmp(dot, "npy") == 0)
        return TSCT_IMAGE_FORMAT_NPY;
    return TSCT_IMAGE_FORMAT_AUTO;
}

tsct_status tsct_image_detect(const char *path, tsct_image_format *format, tsct_error *err)
{
    *format = TSCT_IMAGE_FORMAT_AUTO;
    tsct_publish_note_input(path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return tsct_error_set(err, e == ENOENT ? TSCT_ERR_NOT_FOUND : TSCT_ERR_IO, path, NULL,
                              -1, "cannot open: %s", strerror(e));
    }
    uint8_t head[4096];
    ssize_t n;
    do
        n = pread(fd, head, sizeof head, 0);
    while (n < 0 && errno == EINTR);
    int e = errno;
    close(fd);
    if (n < 0)
        return tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "read failed: %s", strerror(e));
    *format = tsct__image_detect_magic(head, (size_t)n);
    if (*format == TSCT_IMAGE_FORMAT_AUTO)
        *format = detect_extension(path);
    return TSCT_OK;
}

static tsct_status decode_format(tsct_image *img, tsct_image_format f, const uint8_t *buf,
                                 size_t size, const tsct_image_read_params *p, tsct_error *err)
{
    switch (f) {
    case TSCT_IMAGE_FORMAT_CBF: return tsct__cbf_decode(img, buf, size, p, err);
    case TSCT_IMAGE_FORMAT_EDF: return tsct__edf_decode(img, buf, size, p, err);
    case TSCT_IMAGE_FORMAT_TIFF: return tsct__tiff_decode(img, buf, size, p, err);
    case TSCT_IMAGE_FORMAT_NPY: return tsct__npy_decode(img, buf, size, p, err);
    default:
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "format", -1,
                              "not a CBF, EDF, TIFF or npy image (unrecognised first bytes)");
    }
}

tsct_status tsct_image_decode(tsct_image *img, const void *buf, size_t size,
                              const tsct_image_read_params *params, tsct_error *err)
{
    tsct_image_read_params p = tsct__image_params(params);
    tsct__image_reset(img);
    tsct_image_format f = p.format;
    if (f == TSCT_IMAGE_FORMAT_AUTO)
        f = tsct__image_detect_magic(buf, size);
    tsct_status st = decode_format(img, f, buf, size, &p, err);
    if (st != TSCT_OK)
        tsct__image_reset(img);
    return st;
}

/* Read a file whose decoder works on memory (CBF and npy are read whole anyway). */
static tsct_status read_whole(tsct_image *img, const char *path, tsct_image_format f,
                              const tsct_image_read_params *p, tsct_error *err)
{
    uint8_t *buf;
    size_t size;
    TSCT_TRY(tsct__file_read_all(path, &buf, &size, err));
    tsct_status st = decode_format(img, f, buf, size, p, err);
    free(buf);
    return st;
}

static tsct_status read_format(tsct_image *img, const char *path, tsct_image_format f,
                               const tsct_image_read_params *params, tsct_error *err)
{
    tsct_image_read_params p = tsct__image_params(params);
    tsct__image_reset(img);
    if (!path || !path[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "path", -1, "empty file name");
    tsct_status st;
    if (f == TSCT_IMAGE_FORMAT_AUTO) {
        st = tsct_image_detect(path, &f, err);
        if (st != TSCT_OK)
            return st;
        if (f == TSCT_IMAGE_FORMAT_AUTO)
            return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, path, "format", -1,
                                  "not a CBF, EDF, TIFF or npy image (first bytes and "
                                  "extension unrecognised)");
    }
    if (f == TSCT_IMAGE_FORMAT_EDF)
        st = tsct__edf_read_file(img, path, &p, err);
    else if (f == TSCT_IMAGE_FORMAT_TIFF)
        st = tsct__tiff_read_file(img, path, &p, err);
    else
        st = read_whole(img, path, f, &p, err);
    if (st != TSCT_OK) {
        tsct_error_set_file(err, path);
        tsct__image_reset(img);
    }
    return st;
}

tsct_status tsct_image_read(tsct_image *img, const char *path,
                            const tsct_image_read_params *params, tsct_error *err)
{
    return read_format(img, path, params ? params->format : TSCT_IMAGE_FORMAT_AUTO, params,
                       err);
}

tsct_status tsct_image_read_cbf(tsct_image *img, const char *path,
                                const tsct_image_read_params *params, tsct_error *err)
{
    return read_format(img, path, TSCT_IMAGE_FORMAT_CBF, params, err);
}

tsct_status tsct_image_read_edf(tsct_image *img, const char *path,
                                const tsct_image_read_params *params, tsct_error *err)
{
    return read_format(img, path, TSCT_IMAGE_FORMAT_EDF, params, err);
}

tsct_status tsct_image_read_tiff(tsct_image *img, const char *path,
                                 const tsct_image_read_params *params, tsct_error *err)
{
    return read_format(img, path, TSCT_IMAGE_FORMAT_TIFF, params, err);
}

tsct_status tsct_image_read_npy(tsct_image *img, const char *path,
                                const tsct_image_read_params *params, tsct_error *err)
{
    return read_format(img, path, TSCT_IMAGE_FORMAT_NPY, params, err);
}

tsct_status tsct_image_count_frames(const char *path, const tsct_image_read_params *params,
                                    int64_t *nframes, tsct_error *err)
{
    *nframes = 0;
    tsct_image_format f = params ? params->format : TSCT_IMAGE_FORMAT_AUTO;
    if (f == TSCT_IMAGE_FORMAT_AUTO) {
        TSCT_TRY(tsct_image_detect(path, &f, err));
        if (f == TSCT_IMAGE_FORMAT_AUTO)
            return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, path, "format", -1,
                                  "not a CBF, EDF, TIFF or npy image");
    }
    tsct_status st = TSCT_OK;
    if (f == TSCT_IMAGE_FORMAT_EDF) {
        st = tsct__edf_count(NULL, 0, path, nframes, err);
    } else if (f == TSCT_IMAGE_FORMAT_TIFF) {
        st = tsct__tiff_count(path, nframes, err);
    } else if (f == TSCT_IMAGE_FORMAT_NPY) {
        uint8_t *buf;
        size_t size;
        TSCT_TRY(tsct__file_read_all(path, &buf, &size, err));
        st = tsct__npy_count(buf, size, nframes, err);
        free(buf);
    } else {
        *nframes = 1;
    }
    tsct_error_set_file(err, path);
    return st;
}

/* ---- header only ------------------------------------------------------------------------ */

tsct_status tsct_image_read_header(tsct_image *img, const char *path,
                                   const tsct_image_read_params *params, tsct_error *err)
{
    tsct_image_read_params p = tsct__image_params(params);
    tsct__image_reset(img);
    if (!path || !path[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "path", -1, "empty file name");
    tsct_image_format f = p.format;
    if (f == TSCT_IMAGE_FORMAT_AUTO) {
        TSCT_TRY(tsct_image_detect(path, &f, err));
        if (f == TSCT_IMAGE_FORMAT_AUTO)
            return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, path, "format", -1,
                                  "not a CBF, EDF, TIFF or npy image (first bytes and "
                                  "extension unrecognised)");
    }
    tsct_status st;
    if (f == TSCT_IMAGE_FORMAT_CBF) {
        st = tsct__cbf_read_header(img, path, &p, err);
    } else if (f == TSCT_IMAGE_FORMAT_EDF) {
        st = tsct__edf_read_header(img, path, &p, err);
    } else {
        /* TIFF and npy: the frame is read whole; only its header is kept. */
        st = read_format(img, path, f, &p, err);
        img->rows = img->cols = 0;
    }
    if (st != TSCT_OK)
        tsct__image_reset(img);
    return st;
}

