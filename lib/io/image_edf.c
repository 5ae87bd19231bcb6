/* image_edf.c - ESRF Data Format (EDF) frames.
 *
 * An EDF file is a sequence of blocks, each an ASCII header followed by raw data:
 *
 *   {\n
 *   HeaderID = EH:000001:000000:000000 ;\n
 *   ByteOrder = LowByteFirst ;\n
 *   DataType = UnsignedShort ;\n
 *   Dim_1 = 1475 ;\n          (fast axis: columns)
 *   Dim_2 = 1679 ;\n          (slow axis: rows)
 *   Size = 4952950 ;\n        (bytes of data that follow)
 *   ...padding blanks...}\n
 *   <Size bytes>
 *
 * The header is written in 512-byte blocks; the data start right after the "}\n" (or "}\r\n")
 * that closes it, which is how fabio reads it (fabio/edfimage.py, _read_header_block). Keys
 * are matched ignoring case, as fabio does. DataType names are fabio's table (SignedLong and
 * UnsignedLong are 32-bit, the ESRF convention). A header that holds EDF_DataFormatVersion is a
 * general block: it is skipped and not counted as a frame (its keys are not merged into the
 * frames' headers). Compressed data and external binary files are refused.
 *
 * The same code reads memory (the fuzzing entry point) and files; files are read with pread so
 * that frame k of a large multi-frame file costs k header reads and one data read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsct/publish.h"
#include "io/image_internal.h"

#define EDF_BLOCK 512
#define EDF_MAX_HEADER (INT64_C(1) << 24)

typedef struct edf_src {
    const uint8_t *mem;   /* memory source, or NULL */
    int fd;               /* file source when mem is NULL */
    int64_t size;         /* total bytes */
} edf_src;

/* Read up to n bytes at off; returns the count (short at end of data) or -1 (errno set). */
static int64_t src_read(const edf_src *s, int64_t off, void *dst, int64_t n)
{
    if (off >= s->size || n <= 0)
        return 0;
    if (n > s->size - off)
        n = s->size - off;
    if (s->mem) {
        memcpy(dst, s->mem + off, (size_t)n);
        return n;
    }
    int64_t got = 0;
    while (got < n) {
        ssize_t r = pread(s->fd, (uint8_t *)dst + got, (size_t)(n - got), (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += r;
    }
    return got;
}

typedef struct edf_kv {
    const char *k, *v;
    size_t kl, vl;
} edf_kv;

typedef struct edf_block {
    char *text;          /* header text between '{' and '}' (owned) */
    size_t text_len;
    edf_kv *kv;          /* items pointing into text (owned array) */
    int64_t nkv;
    int64_t data_off;    /* first data byte */
    int64_t blob;        /* data bytes (Size / EDF_BinarySize) */
    int general;         /* EDF_DataFormatVersion block */
} edf_block;

static void block_free(edf_block *b)
{
    free(b->text);
    free(b->kv);
    memset(b, 0, sizeof *b);
}

static const edf_kv *kv_find(const edf_block *b, const char *key)
{
    size_t n = strlen(key);
    for (int64_t i = 0; i < b->nkv; i++)
        if (b->kv[i].kl == n && tsct__ascii_ncasecmp(b->kv[i].k, key, n) == 0)
            return &b->kv[i];
    return NULL;
}

static tsct_status kv_int(const edf_block *b, const char *key, int64_t frame, int64_t *out,
                          int *found, tsct_error *err)
{
    const edf_kv *kv = kv_find(b, key);
    *found = kv != NULL;
    if (!kv)
        return TSCT_OK;
    if (tsct__parse_int64(kv->v, kv->vl, out) != 0 || *out < 0)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, key, frame,
                              "expected a non-negative integer, found \"%.*s\"",
                              (int)(kv->vl > 40 ? 40 : kv->vl), kv->v);
    return TSCT_OK;
}

/* Split "key = value ; key = value ; ..." into items. */
static tsct_status split_items(edf_block *b, int64_t frame, tsct_error *err)
{
    int64_t cap = 0;
    const char *s = b->text, *end = b->text + b->text_len;
    while (s < end) {
        const char *semi = memchr(s, ';', (size_t)(end - s));
        const char *e = semi ? semi : end;
        const char *eq = memchr(s, '=', (size_t)(e - s));
        if (eq) {
            const char *k = s, *ke = eq, *v = eq + 1, *ve = e;
            while (k < ke && (*k == ' ' || *k == '\t' || *k == '\r' || *k == '\n'))
                k++;
            while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t' || ke[-1] == '\r' || ke[-1] == '\n'))
                ke--;
            while (v < ve && (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n'))
                v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r' || ve[-1] == '\n'))
                ve--;
            if (ke > k) {
                if (b->nkv == cap) {
                    cap = cap ? 2 * cap : 32;
                    void *p = realloc(b->kv, (size_t)cap * sizeof *b->kv);
                    if (!p)
                        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "header", frame,
                                              "cannot store header items");
                    b->kv = p;
                }
                b->kv[b->nkv++] = (edf_kv){k, v, (size_t)(ke - k), (size_t)(ve - v)};
            }
        }
        s = semi ? semi + 1 : end;
    }
    return TSCT_OK;
}

/* Parse the header that starts at `off`. *eof = 1 when only blanks (or nothing) remain. */
static tsct_status read_block(const edf_src *src, int64_t off, int64_t frame, edf_block *b,
                              int *eof, tsct_error *err)
{
    memset(b, 0, sizeof *b);
    *eof = 0;
    uint8_t *buf = NULL;
    int64_t len = 0, cap = 0, close_at = -1, data_at = -1;
    for (;;) {
        if (len + EDF_BLOCK > cap) {
            cap = cap ? 2 * cap : 4 * EDF_BLOCK;
            uint8_t *p = realloc(buf, (size_t)cap);
            if (!p) {
                free(buf);
                return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "header", frame,
                                      "cannot allocate the header");
            }
            buf = p;
        }
        int64_t r = src_read(src, off + len, buf + len, EDF_BLOCK);
        if (r < 0) {
            int e = errno;
            free(buf);
            return tsct_error_set(err, TSCT_ERR_IO, NULL, "header", frame, "read failed: %s",
                                  strerror(e));
        }
        int64_t from = len > 2 ? len - 2 : 0;
        len += r;
        if (from == 0) {
            /* first block: blanks, then '{' */
            int64_t i = 0;
            while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' ||
                               buf[i] == '\t' || buf[i] == '\0'))
                i++;
            if (i == len && r < EDF_BLOCK) {
                free(buf);
                *eof = 1;
                return TSCT_OK;
            }
            if (i < len && buf[i] != '{') {
                unsigned found = buf[i];
                free(buf);
                return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "header", frame,
                                      "expected '{' at byte %lld, found 0x%02x",
                                      (long long)(off + i), found);
            }
        }
        for (int64_t i = from; i < len; i++) {
            if (buf[i] != '}')
                continue;
            if (i + 1 < len && buf[i + 1] == '\n') {
                close_at = i;
                data_at = i + 2;
                break;
            }
            if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
                close_at = i;
                data_at = i + 3;
                break;
            }
        }
        if (close_at >= 0)
            break;
        if (r < EDF_BLOCK) {
            free(buf);
            return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "header", frame,
                                  "file ends inside the header that starts at byte %lld "
                                  "(no closing \"}\\n\"; truncated)", (long long)off);
        }
        if (len >= EDF_MAX_HEADER) {
            free(buf);
            return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "header", frame,
                                  "no closing \"}\\n\" in the first %lld bytes of the header",
                                  (long long)len);
        }
    }
    const uint8_t *open = memchr(buf, '{', (size_t)close_at);
    if (!open) {
        free(buf);
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "header", frame,
                              "no '{' before the closing \"}\" of the header at byte %lld",
                              (long long)off);
    }
    size_t tl = (size_t)(buf + close_at - (open + 1));
    memmove(buf, open + 1, tl);
    buf[tl] = '\0';
    b->text = (char *)buf;
    b->text_len = tl;
    b->data_off = off + data_at;
    tsct_status st = split_items(b, frame, err);
    if (st != TSCT_OK) {
        block_free(b);
        return st;
    }
    b->general = kv_find(b, "EDF_DataFormatVersion") != NULL;
    return TSCT_OK;
}

typedef struct edf_layout {
    tsct_image_dtype dtype;
    int swap;
    int64_t rows, cols;
    int64_t need;   /* bytes of data for the frame */
} edf_layout;

static const struct {
    const char *name;
    tsct_image_dtype dtype;
} edf_types[] = {
    {"SignedByte", TSCT_IMAGE_DTYPE_I8},       {"Signed8", TSCT_IMAGE_DTYPE_I8},
    {"UnsignedByte", TSCT_IMAGE_DTYPE_U8},     {"Unsigned8", TSCT_IMAGE_DTYPE_U8},
    {"SignedShort", TSCT_IMAGE_DTYPE_I16},     {"Signed16", TSCT_IMAGE_DTYPE_I16},
    {"UnsignedShort", TSCT_IMAGE_DTYPE_U16},   {"Unsigned16", TSCT_IMAGE_DTYPE_U16},
    {"UnsignedShortInteger", TSCT_IMAGE_DTYPE_U16},
    {"SignedInteger", TSCT_IMAGE_DTYPE_I32},   {"Signed32", TSCT_IMAGE_DTYPE_I32},
    {"UnsignedInteger", TSCT_IMAGE_DTYPE_U32}, {"Unsigned32", TSCT_IMAGE_DTYPE_U32},
    {"SignedLong", TSCT_IMAGE_DTYPE_I32},      {"UnsignedLong", TSCT_IMAGE_DTYPE_U32},
    {"Signed64", TSCT_IMAGE_DTYPE_I64},        {"Unsigned64", TSCT_IMAGE_DTYPE_U64},
    {"FloatValue", TSCT_IMAGE_DTYPE_F32},      {"Float", TSCT_IMAGE_DTYPE_F32},
    {"FloatIEEE32", TSCT_IMAGE_DTYPE_F32},     {"Float32", TSCT_IMAGE_DTYPE_F32},
    {"Double", TSCT_IMAGE_DTYPE_F64},          {"DoubleValue", TSCT_IMAGE_DTYPE_F64},
    {"FloatIEEE64", TSCT_IMAGE_DTYPE_F64},     {"DoubleIEEE64", TSCT_IMAGE_DTYPE_F64},
};

/* Interpret a frame block: data type, byte order, shape, data size. */
static tsct_status layout(const edf_block *b, int64_t frame, int64_t max_pixels, edf_layout *l,
                          tsct_error *err)
{
    memset(l, 0, sizeof *l);
    const edf_kv *dt = kv_find(b, "DataType");
    if (!dt)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "DataType", frame,
                              "required header item missing");
    for (size_t i = 0; i < sizeof edf_types / sizeof edf_types[0]; i++)
        if (strlen(edf_types[i].name) == dt->vl &&
            tsct__ascii_ncasecmp(edf_types[i].name, dt->v, dt->vl) == 0)
            l->dtype = edf_types[i].dtype;
    if (!l->dtype)
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "DataType", frame,
                              "unknown data type \"%.*s\" (expected UnsignedByte, SignedShort, "
                              "UnsignedShort, SignedInteger, UnsignedInteger, SignedLong, "
                              "FloatValue, DoubleValue, ...)",
                              (int)(dt->vl > 40 ? 40 : dt->vl), dt->v);
    const edf_kv *bo = kv_find(b, "ByteOrder");
    int big = 0;
    if (bo) {
        if (bo->vl == 13 && tsct__ascii_ncasecmp(bo->v, "HighByteFirst", 13) == 0)
            big = 1;
        else if (!(bo->vl == 12 && tsct__ascii_ncasecmp(bo->v, "LowByteFirst", 12) == 0))
            return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "ByteOrder", frame,
                                  "expected LowByteFirst or HighByteFirst, found \"%.*s\"",
                                  (int)(bo->vl > 40 ? 40 : bo->vl), bo->v);
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    l->swap = !big;
#else
    l->swap = big;
#endif
    const edf_kv *comp = kv_find(b, "Compression");
    if (comp && comp->vl && !(comp->vl >= 2 && tsct__ascii_ncasecmp(comp->v, "NO", 2) == 0))
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "Compression", frame,
                              "compressed EDF data (\"%.*s\") are not supported",
                              (int)(comp->vl > 40 ? 40 : comp->vl), comp->v);
    if (kv_find(b, "EDF_BinaryFileName"))
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "EDF_BinaryFileName", frame,
                              "data in an external file are not supported");
    int found;
    int64_t d1 = 0, d2 = 1, d3 = 1;
    TSCT_TRY(kv_int(b, "Dim_1", frame, &d1, &found, err));
    if (!found)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "Dim_1", frame,
                              "required header item missing");
    TSCT_TRY(kv_int(b, "Dim_2", frame, &d2, &found, err));
    TSCT_TRY(kv_int(b, "Dim_3", frame, &d3, &found, err));
    if (found && d3 != 1)
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "Dim_3", frame,
                              "3-D EDF blocks are not supported (found Dim_3 = %lld)",
                              (long long)d3);
    if (d1 < 1 || d2 < 1)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, d1 < 1 ? "Dim_1" : "Dim_2", frame,
                              "expected at least 1, found %lld", (long long)(d1 < 1 ? d1 : d2));
    if (d2 > max_pixels / d1)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "Dim_2", frame,
                              "image shape %lld x %lld exceeds the limit of %lld pixels",
                              (long long)d2, (long long)d1, (long long)max_pixels);
    l->rows = d2;
    l->cols = d1;
    l->need = d1 * d2 * (int64_t)tsct__dtype_size(l->dtype);
    return TSCT_OK;
}

/* Data size of a block: EDF_BinarySize, else Size, else what the shape needs. */
static tsct_status blob_size(edf_block *b, int64_t frame, int64_t max_pixels, tsct_error *err)
{
    int found;
    int64_t v;
    TSCT_TRY(kv_int(b, "EDF_BinarySize", frame, &v, &found, err));
    if (!found)
        TSCT_TRY(kv_int(b, "Size", frame, &v, &found, err));
    if (found) {
        b->blob = v;
        return TSCT_OK;
    }
    if (b->general) {
        b->blob = 0;
        return TSCT_OK;
    }
    edf_layout l;
    TSCT_TRY(layout(b, frame, max_pixels, &l, err));
    b->blob = l.need;
    return TSCT_OK;
}

/* Walk the blocks. With want >= 0, stop at frame `want` and leave it in *out (caller frees);
 * otherwise count frames into *count. */
static tsct_status walk(const edf_src *src, int64_t want, int64_t max_pixels, edf_block *out,
                        int64_t *count, tsct_error *err)
{
    int64_t off = 0, frame = 0;
    for (;;) {
        edf_block b;
        int eof;
        TSCT_TRY(read_block(src, off, frame, &b, &eof, err));
        if (eof) {
            if (count)
                *count = frame;
            if (want >= 0)
                return tsct_error_set(err, frame == 0 ? TSCT_ERR_FORMAT : TSCT_ERR_VALUE, NULL,
                                      "frame", want, frame == 0 ? "no EDF header in the file"
                                      : "frame out of range: the file holds %lld frames",
                                      (long long)frame);
            return TSCT_OK;
        }
        tsct_status st = blob_size(&b, frame, max_pixels, err);
        if (st != TSCT_OK) {
            block_free(&b);
            return st;
        }
        if (!b.general && frame == want) {
            *out = b;
            return TSCT_OK;
        }
        int64_t next = b.data_off + b.blob;
        int overflow = b.blob > INT64_MAX - b.data_off;
        int general = b.general;
        block_free(&b);
        if (overflow || next > src->size) {
            if (count && want < 0) {
                /* a truncated last block: count the complete ones */
                *count = frame;
                return TSCT_OK;
            }
            return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "Size", frame,
                                  "data block runs past the end of the file (truncated)");
        }
        if (!general)
            frame++;
        off = next;
    }
}

static tsct_status decode_src(tsct_image *img, const edf_src *src,
                              const tsct_image_read_params *p, tsct_error *err)
{
    if (p->frame < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "frame", p->frame,
                              "frame index must be >= 0");
    edf_block b;
    TSCT_TRY(walk(src, p->frame, p->max_pixels, &b, NULL, err));
    edf_layout l;
    tsct_status st = layout(&b, p->frame, p->max_pixels, &l, err);
    if (st == TSCT_OK && b.blob < l.need)
        st = tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "Size", p->frame,
                            "data block holds %lld bytes, Dim_1 x Dim_2 x %zu bytes need %lld",
                            (long long)b.blob, tsct__dtype_size(l.dtype), (long long)l.need);
    if (st == TSCT_OK && (b.blob > src->size || b.data_off > src->size - b.blob))
        st = tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "Size", p->frame,
                            "the header announces %lld bytes of data, the file holds %lld "
                            "(truncated)", (long long)b.blob,
                            (long long)(src->size - b.data_off));
    if (st == TSCT_OK && (l.need > src->size || b.data_off > src->size - l.need))
        st = tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "data", p->frame,
                            "file ends %lld bytes into the %lld bytes of data (truncated)",
                            (long long)(src->size - b.data_off), (long long)l.need);
    for (int64_t i = 0; st == TSCT_OK && i < b.nkv; i++)
        st = tsct__image_header_add(img, b.kv[i].k, b.kv[i].kl, b.kv[i].v, b.kv[i].vl, err);
    if (st == TSCT_OK)
        st = tsct__image_alloc(img, l.rows, l.cols, p->max_pixels, "Dim_2", err);
    if (st == TSCT_OK) {
        img->format = TSCT_IMAGE_FORMAT_EDF;
        img->raw_dtype = l.dtype;
        img->frame = p->frame;
        if (src->mem) {
            tsct__convert_to_float(img->data, src->mem + b.data_off, l.rows * l.cols, l.dtype,
                                   l.swap);
        } else if (tsct__dtype_size(l.dtype) == sizeof(float) && l.dtype == TSCT_IMAGE_DTYPE_F32 &&
                   !l.swap) {
            /* read float data straight into the image */
            int64_t r = src_read(src, b.data_off, img->data, l.need);
            if (r != l.need)
                st = tsct_error_set(err, r < 0 ? TSCT_ERR_IO : TSCT_ERR_FORMAT, NULL, "data",
                                    p->frame, "short read of the data");
        } else {
            uint8_t *raw = malloc((size_t)l.need);
            if (!raw) {
                st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "data", p->frame,
                                    "cannot allocate %lld bytes", (long long)l.need);
            } else {
                int64_t r = src_read(src, b.data_off, raw, l.need);
                if (r != l.need)
                    st = tsct_error_set(err, r < 0 ? TSCT_ERR_IO : TSCT_ERR_FORMAT, NULL, "data",
                                        p->frame, "short read of the data");
                else
                    tsct__convert_to_float(img->data, raw, l.rows * l.cols, l.dtype, l.swap);
                free(raw);
            }
        }
    }
    block_free(&b);
    return st;
}

tsct_status tsct__edf_decode(tsct_image *img, const uint8_t *buf, size_t size,
                             const tsct_image_read_params *p, tsct_error *err)
{
    edf_src src = {buf, -1, (int64_t)size};
    static const uint8_t empty[1] = {0};
    if (!buf)
        src.mem = empty;
    return decode_src(img, &src, p, err);
}

static tsct_status open_src(const char *path, edf_src *src, tsct_error *err)
{
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
    src->mem = NULL;
    src->fd = fd;
    src->size = (int64_t)st.st_size;
    return TSCT_OK;
}

tsct_status tsct__edf_read_file(tsct_image *img, const char *path,
                                const tsct_image_read_params *p, tsct_error *err)
{
    edf_src src;
    TSCT_TRY(open_src(path, &src, err));
    tsct_status st = decode_src(img, &src, p, err);
    close(src.fd);
    return st;
}

tsct_status tsct__edf_count(const uint8_t *buf, size_t size, const char *path, int64_t *n,
                            tsct_error *err)
{
    edf_src src = {buf, -1, (int64_t)size};
    if (!buf)
        TSCT_TRY(open_src(path, &src, err));
    tsct_status st = walk(&src, -1, TSCT_IMAGE_MAX_PIXELS_DEFAULT, NULL, n, err);
    if (!buf)
        close(src.fd);
    return st;
}

/* ---- writing ----------------------------------------------------------------------------- */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#error "the EDF writer assumes a little-endian machine (ByteOrder = LowByteFirst)"
#endif

/* One block as fabio writes it (fabio/edfimage.py, get_edf_block): the EDF_* keys, the
 * classic ones, then the caller's items, padded with blanks so that the header, "}\n"
 * included, fills a multiple of 512 bytes (EDF_HeaderSize); the data follow. */
static tsct_status edf_encode(const void *data, const char *type, size_t esize, int64_t rows,
                              int64_t cols, const tsct_image_header_entry *items,
                              int64_t nitems, uint8_t **buf, size_t *capacity, size_t *size,
                              tsct_error *err)
{
    *size = 0;
    if (rows < 1 || cols < 1 || rows > (INT64_C(1) << 62) / (int64_t)esize / cols)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "shape", -1,
                              "cannot write a %lld x %lld EDF", (long long)rows,
                              (long long)cols);
    size_t text = 512;
    TSCT_TRY(tsct__image_items_check(items, nitems, TSCT_IMAGE_FORMAT_EDF, &text, err));
    const int64_t n = rows * cols, nbytes = n * (int64_t)esize;
    /* The header's length depends on the digits of EDF_HeaderSize: settle it by iterating. */
    size_t body = 0, hsize = EDF_BLOCK;
    for (int pass = 0; pass < 3; pass++) {
        char tmp[64];
        body = 2 + (size_t)snprintf(tmp, sizeof tmp, "EDF_HeaderSize = %zu ;\n", hsize);
        body += (size_t)snprintf(NULL, 0,
                                 "EDF_DataBlockID = 1.Image.Psd ;\nEDF_BinarySize = %lld ;\n"
                                 "ByteOrder = LowByteFirst ;\nDataType = %s ;\nDim_1 = %lld ;\n"
                                 "Dim_2 = %lld ;\nImage = 1 ;\n"
                                 "HeaderID = EH:000001:000000:000000 ;\nSize = %lld ;\n",
                                 (long long)nbytes, type, (long long)cols, (long long)rows,
                                 (long long)nbytes);
        for (int64_t k = 0; k < nitems; k++)
            body += strlen(items[k].key) + strlen(items[k].value) + 6;
        size_t need = (body + 2 + EDF_BLOCK - 1) / EDF_BLOCK * EDF_BLOCK;
        if (need == hsize)
            break;
        hsize = need;
    }
    TSCT_TRY(tsct__buf_reserve(buf, capacity, hsize + (size_t)nbytes, err));
    char *h = (char *)*buf;
    size_t hl = 0;
#define EMIT(...) hl += (size_t)snprintf(h + hl, hsize + 1 - hl, __VA_ARGS__)
    EMIT("{\nEDF_DataBlockID = 1.Image.Psd ;\nEDF_BinarySize = %lld ;\n"
         "EDF_HeaderSize = %zu ;\nByteOrder = LowByteFirst ;\nDataType = %s ;\n"
         "Dim_1 = %lld ;\nDim_2 = %lld ;\nImage = 1 ;\n"
         "HeaderID = EH:000001:000000:000000 ;\nSize = %lld ;\n",
         (long long)nbytes, hsize, type, (long long)cols, (long long)rows, (long long)nbytes);
    for (int64_t k = 0; k < nitems; k++)
        EMIT("%s = %s ;\n", items[k].key, items[k].value);
#undef EMIT
    if (hl + 2 > hsize)
        return tsct_error_set(err, TSCT_ERR_STATE, NULL, "EDF_HeaderSize", -1,
                              "header of %zu bytes does not fit %zu", hl + 2, hsize);
    memset(h + hl, ' ', hsize - 2 - hl);
    h[hsize - 2] = '}';
    h[hsize - 1] = '\n';
    memcpy(*buf + hsize, data, (size_t)nbytes);
    *size = hsize + (size_t)nbytes;
    return TSCT_OK;
}

static tsct_status edf_write(const char *path, const void *data, const char *type,
                             size_t esize, int64_t rows, int64_t cols,
                             const tsct_image_header_entry *items, int64_t nitems,
                             tsct_error *err)
{
    uint8_t *buf = NULL;
    size_t cap = 0, size = 0;
    tsct_status st = edf_encode(data, type, esize, rows, cols, items, nitems, &buf, &cap, &size,
                                err);
    return tsct__image_publish(path, st, buf, size, err);
}

tsct_status tsct_image_write_edf(const char *path, const float *data, int64_t rows,
                                 int64_t cols, tsct_error *err)
{
    return edf_write(path, data, "FloatValue", 4, rows, cols, NULL, 0, err);
}

tsct_status tsct_image_write_edf_u8(const char *path, const uint8_t *mask, int64_t rows,
                                    int64_t cols, tsct_error *err)
{
    return edf_write(path, mask, "UnsignedByte", 1, rows, cols, NULL, 0, err);
}

tsct_status tsct_image_encode_edf(const int32_t *data, int64_t rows, int64_t cols,
                                  const tsct_image_header_entry *items, int64_t nitems,
                                  uint8_t **buf, size_t *capacity, size_t *size,
                                  tsct_error *err)
{
    return edf_encode(data, "SignedInteger", 4, rows, cols, items, nitems, buf, capacity, size,
                      err);
}

tsct_status tsct_image_write_edf_i32(const char *path, const int32_t *data, int64_t rows,
                                     int64_t cols, const tsct_image_header_entry *items,
                                     int64_t nitems, tsct_error *err)
{
    return edf_write(path, data, "SignedInteger", 4, rows, cols, items, nitems, err);
}

/* ---- header only ------------------------------------------------------------------------- */

tsct_status tsct__edf_read_header(tsct_image *img, const char *path,
                                  const tsct_image_read_params *p, tsct_error *err)
{
    if (p->frame < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, path, "frame", p->frame,
                              "frame index must be >= 0");
    edf_src src;
    TSCT_TRY(open_src(path, &src, err));
    edf_block b;
    tsct_status st = walk(&src, p->frame, p->max_pixels, &b, NULL, err);
    close(src.fd);
    if (st != TSCT_OK) {
        tsct_error_set_file(err, path);
        return st;
    }
    img->format = TSCT_IMAGE_FORMAT_EDF;
    img->frame = p->frame;
    for (int64_t i = 0; st == TSCT_OK && i < b.nkv; i++)
        st = tsct__image_header_add(img, b.kv[i].k, b.kv[i].kl, b.kv[i].v, b.kv[i].vl, err);
    block_free(&b);
    return st;
}
