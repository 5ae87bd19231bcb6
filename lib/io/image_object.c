/* image_object.c - the tsct_image value and what the format readers share (see
 * image_internal.h): memory and header items, dtypes and conversion to float, whole-file
 * reads, masks, header lookups, publication of written images. The readers (image_cbf.c,
 * image_edf.c, image_tiff.c, image_npy.c) depend on this file, and image.c, which chooses
 * between the readers, depends on them: no file depends back on image.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/image_internal.h"
#include "tsct/publish.h"

void tsct_image_init(tsct_image *img)
{
    memset(img, 0, sizeof *img);
}

static void header_free(tsct_image *img)
{
    for (int64_t i = 0; i < img->nheader; i++) {
        free(img->header[i].key);
        free(img->header[i].value);
    }
    img->nheader = 0;
}

void tsct_image_release(tsct_image *img)
{
    if (!img)
        return;
    header_free(img);
    free(img->header);
    free(img->data);
    tsct_image_init(img);
}

void tsct__image_reset(tsct_image *img)
{
    header_free(img);
    img->rows = img->cols = 0;
    img->raw_dtype = TSCT_IMAGE_DTYPE_UNKNOWN;
    img->format = TSCT_IMAGE_FORMAT_AUTO;
    img->frame = 0;
}

tsct_image_read_params tsct__image_params(const tsct_image_read_params *params)
{
    tsct_image_read_params p = TSCT_IMAGE_READ_PARAMS_DEFAULT;
    if (params)
        p = *params;
    if (p.max_pixels <= 0)
        p.max_pixels = TSCT_IMAGE_MAX_PIXELS_DEFAULT;
    if (p.max_pixels > (INT64_C(1) << 40))   /* keeps pixel * 8-byte products far from overflow */
        p.max_pixels = INT64_C(1) << 40;
    return p;
}

tsct_status tsct__image_alloc(tsct_image *img, int64_t rows, int64_t cols, int64_t max_pixels,
                              const char *item, tsct_error *err)
{
    if (rows < 1 || cols < 1)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, item, -1,
                              "image shape must be at least 1 x 1, found %lld x %lld",
                              (long long)rows, (long long)cols);
    if (rows > max_pixels / cols)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, item, -1,
                              "image shape %lld x %lld exceeds the limit of %lld pixels",
                              (long long)rows, (long long)cols, (long long)max_pixels);
    int64_t n = rows * cols;
    if (n > img->data_capacity_) {
        free(img->data);
        img->data = NULL;
        img->data_capacity_ = 0;
        size_t bytes = (size_t)n * sizeof(float);
        bytes = (bytes + 63) & ~(size_t)63;
        void *p = NULL;
        if (posix_memalign(&p, 64, bytes) != 0 || !p)
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, item, -1,
                                  "cannot allocate %lld x %lld float pixels",
                                  (long long)rows, (long long)cols);
        img->data = p;
        img->data_capacity_ = n;
    }
    img->rows = rows;
    img->cols = cols;
    return TSCT_OK;
}

tsct_status tsct__image_header_add(tsct_image *img, const char *key, size_t klen,
                                   const char *value, size_t vlen, tsct_error *err)
{
    if (img->nheader == img->header_capacity_) {
        int64_t cap = img->header_capacity_ ? 2 * img->header_capacity_ : 16;
        void *p = realloc(img->header, (size_t)cap * sizeof *img->header);
        if (!p)
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "header", img->nheader,
                                  "cannot grow the header list");
        img->header = p;
        img->header_capacity_ = cap;
    }
    char *k = malloc(klen + 1), *v = malloc(vlen + 1);
    if (!k || !v) {
        free(k);
        free(v);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "header", img->nheader,
                              "cannot copy a header item");
    }
    memcpy(k, key, klen);
    k[klen] = '\0';
    memcpy(v, value, vlen);
    v[vlen] = '\0';
    img->header[img->nheader].key = k;
    img->header[img->nheader].value = v;
    img->nheader++;
    return TSCT_OK;
}

int tsct__ascii_ncasecmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = (unsigned char)a[i], cb = (unsigned char)b[i];
        if (ca >= 'A' && ca <= 'Z')
            ca += 'a' - 'A';
        if (cb >= 'A' && cb <= 'Z')
            cb += 'a' - 'A';
        if (ca != cb)
            return ca - cb;
        if (!ca)
            return 0;
    }
    return 0;
}

int tsct__ascii_casecmp(const char *a, const char *b)
{
    return tsct__ascii_ncasecmp(a, b, (size_t)-1);
}

int tsct__parse_int64(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    int neg = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i >= len || s[i] < '0' || s[i] > '9')
        return -1;
    uint64_t v = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        unsigned d = (unsigned)(s[i++] - '0');
        if (v > (UINT64_C(9223372036854775807) - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    if (i != len)
        return -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

const char *tsct_image_header_get(const tsct_image *img, const char *key)
{
    for (int64_t i = 0; i < img->nheader; i++)
        if (tsct__ascii_casecmp(img->header[i].key, key) == 0)
            return img->header[i].value;
    return NULL;
}

const char *tsct_image_format_name(tsct_image_format format)
{
    switch (format) {
    case TSCT_IMAGE_FORMAT_CBF: return "cbf";
    case TSCT_IMAGE_FORMAT_EDF: return "edf";
    case TSCT_IMAGE_FORMAT_TIFF: return "tiff";
    case TSCT_IMAGE_FORMAT_NPY: return "npy";
    default: return "auto";
    }
}

const char *tsct_image_dtype_name(tsct_image_dtype dtype)
{
    static const char *const names[] = {"unknown", "bool",   "uint8",  "int8",
                                        "uint16",  "int16",  "uint32", "int32",
                                        "uint64",  "int64",  "float32", "float64"};
    if ((int)dtype < 0 || (size_t)dtype >= sizeof names / sizeof names[0])
        return "unknown";
    return names[dtype];
}

size_t tsct__dtype_size(tsct_image_dtype dtype)
{
    switch (dtype) {
    case TSCT_IMAGE_DTYPE_BOOL:
    case TSCT_IMAGE_DTYPE_U8:
    case TSCT_IMAGE_DTYPE_I8: return 1;
    case TSCT_IMAGE_DTYPE_U16:
    case TSCT_IMAGE_DTYPE_I16: return 2;
    case TSCT_IMAGE_DTYPE_U32:
    case TSCT_IMAGE_DTYPE_I32:
    case TSCT_IMAGE_DTYPE_F32: return 4;
    case TSCT_IMAGE_DTYPE_U64:
    case TSCT_IMAGE_DTYPE_I64:
    case TSCT_IMAGE_DTYPE_F64: return 8;
    default: return 0;
    }
}

tsct_status tsct_image_view(const tsct_image *img, tsct_array *view, tsct_error *err)
{
    if (!img || !img->data || img->rows < 1 || img->cols < 1)
        return tsct_error_set(err, TSCT_ERR_STATE, NULL, "image", -1, "the image holds no frame");
    int64_t shape[2] = {img->rows, img->cols};
    return tsct_array_wrap(view, img->data, 2, shape, err);
}

/* ---- conversion ----------------------------------------------------------------------- */

/* Loads through memcpy: stored data need not be aligned, and the compiler turns each into
 * one (possibly byte-swapping) move. */
#define CONVERT_LOOP(T, BITS)                                                  \
    do {                                                                       \
        for (int64_t i = 0; i < n; i++) {                                      \
            uint##BITS##_t u;                                                  \
            memcpy(&u, s + (size_t)i * sizeof(T), sizeof u);                   \
            if (swap)                                                          \
                u = SWAP##BITS(u);                                             \
            T v;                                                               \
            memcpy(&v, &u, sizeof v);                                          \
            dst[i] = (float)v;                                                 \
        }                                                                      \
    } while (0)
#define SWAP16(x) __builtin_bswap16(x)
#define SWAP32(x) __builtin_bswap32(x)
#define SWAP64(x) __builtin_bswap64(x)

void tsct__convert_to_float(float *dst, const void *src, int64_t n, tsct_image_dtype dtype,
                            int swap)
{
    const uint8_t *s = src;
    switch (dtype) {
    case TSCT_IMAGE_DTYPE_BOOL:
        for (int64_t i = 0; i < n; i++)
            dst[i] = s[i] ? 1.0f : 0.0f;
        break;
    case TSCT_IMAGE_DTYPE_U8:
        for (int64_t i = 0; i < n; i++)
            dst[i] = (float)s[i];
        break;
    case TSCT_IMAGE_DTYPE_I8:
        for (int64_t i = 0; i < n; i++)
            dst[i] = (float)(int8_t)s[i];
        break;
    case TSCT_IMAGE_DTYPE_U16: CONVERT_LOOP(uint16_t, 16); break;
    case TSCT_IMAGE_DTYPE_I16: CONVERT_LOOP(int16_t, 16); break;
    case TSCT_IMAGE_DTYPE_U32: CONVERT_LOOP(uint32_t, 32); break;
    case TSCT_IMAGE_DTYPE_I32: CONVERT_LOOP(int32_t, 32); break;
    case TSCT_IMAGE_DTYPE_F32: CONVERT_LOOP(float, 32); break;
    case TSCT_IMAGE_DTYPE_U64: CONVERT_LOOP(uint64_t, 64); break;
    case TSCT_IMAGE_DTYPE_I64: CONVERT_LOOP(int64_t, 64); break;
    case TSCT_IMAGE_DTYPE_F64: CONVERT_LOOP(double, 64); break;
    default:
        for (int64_t i = 0; i < n; i++)
            dst[i] = 0.0f;
        break;
    }
}

/* ---- files ---------------------------------------------------------------------------- */

tsct_status tsct__file_read_all(const char *path, uint8_t **buf, size_t *size, tsct_error *err)
{
    *buf = NULL;
    *size = 0;
    tsct_publish_note_input(path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return tsct_error_set(err, e == ENOENT ? TSCT_ERR_NOT_FOUND : TSCT_ERR_IO, path, NULL,
                              -1, "cannot open: %s", strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "not a regular file");
    }
    size_t n = (size_t)st.st_size;
    uint8_t *p = malloc(n ? n : 1);
    if (!p) {
        close(fd);
        return tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1,
                              "cannot allocate %zu bytes to read the file", n);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(p);
            close(fd);
            return tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "read failed: %s",
                                  strerror(e));
        }
        if (r == 0)
            break;   /* the file shrank under us: decode what is there (and report truncation) */
        got += (size_t)r;
    }
    close(fd);
    *buf = p;
    *size = got;
    return TSCT_OK;
}

/* A Pilatus header line "# KEY VALUE" (or "# KEY: VALUE", "# KEY = VALUE") in the text block
 * s[0 .. n): the VALUE, to the end of its line. */
static const char *pilatus_line(const char *s, size_t n, const char *key, size_t *len)
{
    const size_t kl = strlen(key);
    const char *end = s + n;
    for (const char *line = s; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *le = nl ? nl : end;
        const char *q = line;
        while (q < le && (*q == ' ' || *q == '\t'))
            q++;
        if (q < le && *q == '#') {
            q++;
            while (q < le && (*q == ' ' || *q == '\t'))
                q++;
            if ((size_t)(le - q) > kl && tsct__ascii_ncasecmp(q, key, kl) == 0 &&
                strchr(" \t:=", q[kl])) {
                const char *v = q + kl;
                while (v < le && strchr(" \t:=", *v))
                    v++;
                const char *ve = le;
                while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                    ve--;
                *len = (size_t)(ve - v);
                return v;
            }
        }
        line = nl ? nl + 1 : end;
    }
    return NULL;
}

const char *tsct_image_header_value(const tsct_image *img, const char *key, size_t *len)
{
    const char *v = tsct_image_header_get(img, key);
    if (v) {
        if (len)
            *len = strlen(v);
        return v;
    }
    const char *block = tsct_image_header_get(img, "_array_data.header_contents");
    size_t l = 0;
    v = block && key && key[0] ? pilatus_line(block, strlen(block), key, &l) : NULL;
    if (len)
        *len = v ? l : 0;
    return v;
}

tsct_status tsct_image_header_number(const tsct_image *img, const char *key, double *value,
                                     tsct_error *err)
{
    size_t len = 0;
    const char *v = tsct_image_header_value(img, key, &len);
    if (!v)
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, key, img->frame,
                              "no header item %s", key);
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), v);
    char *endp = NULL;
    errno = 0;
    double x = strtod(buf, &endp);
    if (endp == buf || errno == ERANGE || (*endp && *endp != ' ' && *endp != '\t'))
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, key, img->frame,
                              "expected a number, found \"%.40s\"", buf);
    *value = x;
    return TSCT_OK;
}

/* ---- writing: what the CBF and EDF writers share ------------------------------------------ */

tsct_status tsct__image_items_check(const tsct_image_header_entry *items, int64_t nitems,
                                    tsct_image_format format, size_t *text, tsct_error *err)
{
    if (nitems < 0 || (nitems > 0 && !items))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "header", -1, "bad header item list");
    /* CBF: one Pilatus line "# KEY VALUE" each; EDF: "KEY = VALUE ;". */
    const char *bad_key = format == TSCT_IMAGE_FORMAT_EDF ? " \t=;{}" : " \t:=;";
    const char *bad_value = format == TSCT_IMAGE_FORMAT_EDF ? ";{}" : "";
    for (int64_t k = 0; k < nitems; k++) {
        const char *key = items[k].key, *value = items[k].value;
        int ok = key && key[0] && value && value[0] && value[0] != ' ';
        for (const char *c = key; ok && *c; c++)
            ok = (unsigned char)*c > 32 && (unsigned char)*c < 127 && !strchr(bad_key, *c);
        for (const char *c = value; ok && *c; c++)
            ok = (unsigned char)*c >= 32 && (unsigned char)*c < 127 &&
                 !(bad_value[0] && strchr(bad_value, *c));
        if (!ok)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, key ? key : "(null)", k,
                                  "header item %lld: expected a key without blanks or %s and a "
                                  "non-empty value of printable ASCII%s",
                                  (long long)k, bad_key + 2,
                                  format == TSCT_IMAGE_FORMAT_EDF ? " without ; { }" : "");
        *text += strlen(key) + strlen(value) + 8;
    }
    return TSCT_OK;
}

tsct_status tsct__buf_reserve(uint8_t **buf, size_t *capacity, size_t need, tsct_error *err)
{
    if (*buf && *capacity >= need)
        return TSCT_OK;
    uint8_t *p = realloc(*buf, need);
    if (!p)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "buffer", -1, "%zu bytes", need);
    *buf = p;
    *capacity = need;
    return TSCT_OK;
}

tsct_status tsct__image_publish(const char *path, tsct_status encoded, uint8_t *buf,
                                size_t size, tsct_error *err)
{
    tsct_status st = encoded;
    FILE *fp = NULL;
    tsct_publish pub;
    if (st != TSCT_OK)
        tsct_error_set_file(err, path);
    else
        st = tsct_publish_fopen(&pub, path, &fp, err);
    if (st == TSCT_OK && fwrite(buf, 1, size, fp) != size) {
        fclose(fp);
        tsct_publish_abort(&pub);
        st = tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "write failed");
    } else if (st == TSCT_OK) {
        st = tsct_publish_fclose(&pub, fp, err);
    }
    free(buf);
    return st;
}

/* ---- masks ---------------------------------------------------------------------------- */

static tsct_status mask_check(const tsct_image *img, const uint8_t *mask, tsct_error *err)
{
    if (!img || !img->data || img->rows < 1 || img->cols < 1)
        return tsct_error_set(err, TSCT_ERR_STATE, NULL, "image", -1, "the image holds no frame");
    if (!mask)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "mask", -1, "NULL mask buffer");
    return TSCT_OK;
}

tsct_status tsct_image_mask_negative(const tsct_image *img, uint8_t *mask, int64_t *nmasked,
                                     tsct_error *err)
{
    TSCT_TRY(mask_check(img, mask, err));
    int64_t n = img->rows * img->cols, count = 0;
    for (int64_t i = 0; i < n; i++) {
        uint8_t m = img->data[i] < 0.0f;
        mask[i] = m;
        count += m;
    }
    if (nmasked)
        *nmasked = count;
    return TSCT_OK;
}

tsct_status tsct_image_mask_nonzero(const tsct_image *img, uint8_t *mask, int64_t *nmasked,
                                    tsct_error *err)
{
    TSCT_TRY(mask_check(img, mask, err));
    int64_t n = img->rows * img->cols, count = 0;
    for (int64_t i = 0; i < n; i++) {
        uint8_t m = img->data[i] != 0.0f;   /* NaN != 0 is true: NaN is masked */
        mask[i] = m;
        count += m;
    }
    if (nmasked)
        *nmasked = count;
    return TSCT_OK;
}
