/* image_npy.c - NumPy .npy arrays (masks, flats, darks, outputs), reader and writers.
 *
 * Layout (numpy/lib/format.py, "NEP 1: A simple file format for NumPy arrays"):
 *
 *   "\x93NUMPY" major minor
 *   header length: uint16 LE (1.0) or uint32 LE (2.0, 3.0)
 *   header: a Python dict literal, e.g.
 *     {'descr': '<f4', 'fortran_order': False, 'shape': (1679, 1475), }
 *   padded with spaces and a final '\n' so that the data start on a multiple of 64 (16 in old
 *   files); then the raw data in C order (Fortran order is refused here).
 *
 * The dict is parsed by a small scanner that accepts exactly what numpy writes (single or
 * double quoted keys and strings, True/False, a tuple of non-negative integers) in any order
 * and with any spacing; anything else is reported with the offending text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/image_internal.h"
#include "tsct/publish.h"

typedef struct npy_header {
    char descr[32];
    int fortran;
    int ndim;
    int64_t shape[8];
    int64_t data_off;
    int have_descr, have_fortran, have_shape;
} npy_header;

static void skip_ws(const char **s, const char *end)
{
    while (*s < end && (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r'))
        (*s)++;
}

/* A quoted string into out (truncated to size-1); returns 0 on success. */
static int parse_str(const char **s, const char *end, char *out, size_t size)
{
    if (*s >= end || (**s != '\'' && **s != '"'))
        return -1;
    char q = *(*s)++;
    size_t n = 0;
    while (*s < end && **s != q) {
        if (n + 1 < size)
            out[n++] = **s;
        (*s)++;
    }
    if (*s >= end)
        return -1;
    (*s)++;
    out[n] = '\0';
    return 0;
}

static tsct_status bad_header(tsct_error *err, const char *item, const char *at, const char *end)
{
    int n = (int)(end - at > 40 ? 40 : end - at);
    return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, item, -1,
                          "cannot parse the npy header dictionary at \"%.*s\"", n, at);
}

static tsct_status parse_dict(const char *s, const char *end, npy_header *h, tsct_error *err)
{
    skip_ws(&s, end);
    if (s >= end || *s != '{')
        return bad_header(err, "header", s, end);
    s++;
    for (;;) {
        skip_ws(&s, end);
        if (s < end && *s == '}')
            break;
        char key[32];
        const char *at = s;
        if (parse_str(&s, end, key, sizeof key) != 0)
            return bad_header(err, "header", at, end);
        skip_ws(&s, end);
        if (s >= end || *s != ':')
            return bad_header(err, key, s, end);
        s++;
        skip_ws(&s, end);
        at = s;
        if (strcmp(key, "descr") == 0) {
            if (parse_str(&s, end, h->descr, sizeof h->descr) != 0)
                return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "descr", -1,
                                      "structured dtypes are not supported (found \"%.*s\")",
                                      (int)(end - at > 40 ? 40 : end - at), at);
            h->have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (end - s >= 4 && memcmp(s, "True", 4) == 0) {
                h->fortran = 1;
                s += 4;
            } else if (end - s >= 5 && memcmp(s, "False", 5) == 0) {
                h->fortran = 0;
                s += 5;
            } else {
                return bad_header(err, "fortran_order", at, end);
            }
            h->have_fortran = 1;
        } else if (strcmp(key, "shape") == 0) {
            if (s >= end || *s != '(')
                return bad_header(err, "shape", at, end);
            s++;
            h->ndim = 0;
            for (;;) {
                skip_ws(&s, end);
                if (s < end && *s == ')') {
                    s++;
                    break;
                }
                const char *d = s;
                while (s < end && *s >= '0' && *s <= '9')
                    s++;
                int64_t v;
                if (s == d || tsct__parse_int64(d, (size_t)(s - d), &v) != 0)
                    return bad_header(err, "shape", d, end);
                if (h->ndim == 8)
                    return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "shape", -1,
                                          "more than 8 dimensions");
                h->shape[h->ndim++] = v;
                skip_ws(&s, end);
                if (s < end && *s == ',')
                    s++;
                else if (!(s < end && *s == ')'))
                    return bad_header(err, "shape", s, end);
            }
            h->have_shape = 1;
        } else {
            return bad_header(err, key, at, end);
        }
        skip_ws(&s, end);
        if (s < end && *s == ',') {
            s++;
            continue;
        }
        skip_ws(&s, end);
        if (s < end && *s == '}')
            break;
        return bad_header(err, key, s, end);
    }
    if (!h->have_descr)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "descr", -1, "header item missing");
    if (!h->have_fortran)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "fortran_order", -1,
                              "header item missing");
    if (!h->have_shape)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "shape", -1, "header item missing");
    return TSCT_OK;
}

static tsct_status parse_header(const uint8_t *buf, size_t size, npy_header *h, tsct_error *err)
{
    memset(h, 0, sizeof *h);
    if (size < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "magic", -1,
                              "not an npy file (expected \\x93NUMPY, %zu bytes)", size);
    unsigned major = buf[6];
    int64_t hlen, start;
    if (major == 1) {
        hlen = buf[8] | (buf[9] << 8);
        start = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12)
            return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "header length", -1,
                                  "file ends in the preamble (truncated)");
        hlen = (int64_t)buf[8] | ((int64_t)buf[9] << 8) | ((int64_t)buf[10] << 16) |
               ((int64_t)buf[11] << 24);
        start = 12;
    } else {
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "version", -1,
                              "npy format version %u.%u (expected 1.0, 2.0 or 3.0)", major,
                              buf[7]);
    }
    if (hlen > (int64_t)size - start)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "header length", -1,
                              "header of %lld bytes runs past the end of the %zu-byte file "
                              "(truncated)", (long long)hlen, size);
    const char *s = (const char *)buf + start;
    TSCT_TRY(parse_dict(s, s + hlen, h, err));
    h->data_off = start + hlen;
    return TSCT_OK;
}

static tsct_status dtype_of(const npy_header *h, tsct_image_dtype *dt, int *swap,
                            tsct_error *err)
{
    const char *d = h->descr;
    size_t n = strlen(d);
    *dt = TSCT_IMAGE_DTYPE_UNKNOWN;
    *swap = 0;
    if (n >= 3 && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=')) {
        char kind = d[1];
        int64_t size;
        if (tsct__parse_int64(d + 2, n - 2, &size) == 0) {
            if (kind == 'b' && size == 1)
                *dt = TSCT_IMAGE_DTYPE_BOOL;
            else if (kind == 'u')
                *dt = size == 1 ? TSCT_IMAGE_DTYPE_U8 : size == 2 ? TSCT_IMAGE_DTYPE_U16
                    : size == 4 ? TSCT_IMAGE_DTYPE_U32 : size == 8 ? TSCT_IMAGE_DTYPE_U64
                    : TSCT_IMAGE_DTYPE_UNKNOWN;
            else if (kind == 'i')
                *dt = size == 1 ? TSCT_IMAGE_DTYPE_I8 : size == 2 ? TSCT_IMAGE_DTYPE_I16
                    : size == 4 ? TSCT_IMAGE_DTYPE_I32 : size == 8 ? TSCT_IMAGE_DTYPE_I64
                    : TSCT_IMAGE_DTYPE_UNKNOWN;
            else if (kind == 'f')
                *dt = size == 4 ? TSCT_IMAGE_DTYPE_F32 : size == 8 ? TSCT_IMAGE_DTYPE_F64
                    : TSCT_IMAGE_DTYPE_UNKNOWN;
        }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        *swap = d[0] == '<';
#else
        *swap = d[0] == '>';
#endif
    }
    if (!*dt)
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "descr", -1,
                              "unsupported dtype '%s' (expected b1, i1, u1, i2, u2, i4, u4, "
                              "i8, u8, f4 or f8)", d);
    return TSCT_OK;
}

tsct_status tsct__npy_count(const uint8_t *buf, size_t size, int64_t *n, tsct_error *err)
{
    npy_header h;
    TSCT_TRY(parse_header(buf, size, &h, err));
    *n = h.ndim == 3 ? h.shape[0] : 1;
    return TSCT_OK;
}

tsct_status tsct__npy_decode(tsct_image *img, const uint8_t *buf, size_t size,
                             const tsct_image_read_params *p, tsct_error *err)
{
    npy_header h;
    TSCT_TRY(parse_header(buf, size, &h, err));
    tsct_image_dtype dt;
    int swap;
    TSCT_TRY(dtype_of(&h, &dt, &swap, err));
    if (h.fortran)
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "fortran_order", -1,
                              "Fortran-order arrays are not supported: save the array with "
                              "numpy.ascontiguousarray() (C order)");
    int64_t nframes = 1, rows, cols;
    if (h.ndim == 2) {
        rows = h.shape[0];
        cols = h.shape[1];
    } else if (h.ndim == 3) {
        nframes = h.shape[0];
        rows = h.shape[1];
        cols = h.shape[2];
    } else {
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "shape", -1,
                              "expected a 2-D image or a 3-D stack, found %d dimensions", h.ndim);
    }
    if (p->frame < 0 || p->frame >= nframes)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "frame", p->frame,
                              "frame out of range: the array holds %lld frames",
                              (long long)nframes);
    TSCT_TRY(tsct__image_alloc(img, rows, cols, p->max_pixels, "shape", err));
    int64_t esize = (int64_t)tsct__dtype_size(dt);
    int64_t fbytes = rows * cols * esize;
    int64_t avail = (int64_t)size - h.data_off;
    if (nframes > (INT64_MAX / 2) / fbytes || nframes * fbytes > avail)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "data", -1,
                              "shape and dtype '%s' need %lld x %lld bytes, the file holds %lld "
                              "after the header (truncated)",
                              h.descr, (long long)nframes, (long long)fbytes, (long long)avail);
    img->format = TSCT_IMAGE_FORMAT_NPY;
    img->raw_dtype = dt;
    img->frame = p->frame;
    char shape[64];
    int sl = h.ndim == 2 ? snprintf(shape, sizeof shape, "(%lld, %lld)", (long long)rows,
                                    (long long)cols)
                         : snprintf(shape, sizeof shape, "(%lld, %lld, %lld)",
                                    (long long)nframes, (long long)rows, (long long)cols);
    TSCT_TRY(tsct__image_header_add(img, "descr", 5, h.descr, strlen(h.descr), err));
    TSCT_TRY(tsct__image_header_add(img, "fortran_order", 13, "False", 5, err));
    TSCT_TRY(tsct__image_header_add(img, "shape", 5, shape, (size_t)sl, err));
    tsct__convert_to_float(img->data, buf + h.data_off + p->frame * fbytes, rows * cols, dt, swap);
    return TSCT_OK;
}

/* ---- writing ----------------------------------------------------------------------------- */

static tsct_status write_npy(const char *path, const void *data, const char *descr,
                             size_t esize, int64_t rows, int64_t cols, tsct_error *err)
{
    if (rows < 1 || cols < 1 || rows > (INT64_C(1) << 62) / (int64_t)esize / cols)
        return tsct_error_set(err, TSCT_ERR_SHAPE, path, "shape", -1,
                              "cannot write a %lld x %lld array", (long long)rows,
                              (long long)cols);
    char dict[160];
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, "
                      "'shape': (%lld, %lld), }", descr, (long long)rows, (long long)cols);
    /* pad so that preamble + header is a multiple of 64, ending in '\n' (numpy >= 1.17) */
    size_t total = 10 + (size_t)dl + 1;
    size_t padded = (total + 63) / 64 * 64;
    size_t hlen = padded - 10;
    uint8_t pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (uint8_t)(hlen & 0xff),
                       (uint8_t)(hlen >> 8)};
    char hdr[256];
    memset(hdr, ' ', sizeof hdr);
    memcpy(hdr, dict, (size_t)dl);
    hdr[hlen - 1] = '\n';
    FILE *fp;
    tsct_publish pub;
    TSCT_TRY(tsct_publish_fopen(&pub, path, &fp, err));
    size_t n = (size_t)(rows * cols);
    int ok = fwrite(pre, 1, 10, fp) == 10 && fwrite(hdr, 1, hlen, fp) == hlen;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#error "the npy writer assumes a little-endian machine"
#endif
    if (ok)
        ok = fwrite(data, esize, n, fp) == n;
    if (!ok) {
        fclose(fp);
        tsct_publish_abort(&pub);
        return tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "write failed");
    }
    return tsct_publish_fclose(&pub, fp, err);
}

tsct_status tsct_image_write_npy(const char *path, const float *data, int64_t rows,
                                 int64_t cols, tsct_error *err)
{
    return write_npy(path, data, "<f4", 4, rows, cols, err);
}

tsct_status tsct_image_write_npy_u8(const char *path, const uint8_t *mask, int64_t rows,
                                    int64_t cols, tsct_error *err)
{
    return write_npy(path, mask, "|u1", 1, rows, cols, err);
}
