/* image_cbf.c - Pilatus / CBFlib mini-CBF frames with x-CBF_BYTE_OFFSET compression.
 *
 * A CBF file is CIF text; the frame is one binary section:
 *
 *   _array_data.header_contents      (Pilatus: ";\n# Detector: ...\n;" text block)
 *   _array_data.data
 *   ;
 *   --CIF-BINARY-FORMAT-SECTION--
 *   Content-Type: application/octet-stream;
 *        conversions="x-CBF_BYTE_OFFSET"
 *   X-Binary-Size: 3243437                       (compressed bytes)
 *   X-Binary-Element-Type: "signed 32-bit integer"
 *   Content-MD5: ...                             (base64 of the MD5 of the compressed bytes)
 *   X-Binary-Size-Fastest-Dimension: 1475        (columns)
 *   X-Binary-Size-Second-Dimension: 1679         (rows)
 *   <blank line>
 *   0x0C 0x1A 0x04 0xD5                          (start-of-binary marker)
 *   <X-Binary-Size bytes>
 *
 * References: CBFlib documentation, "CBF/imgCIF extensions" (Bernstein & Ellis), section on
 * the byte-offset compression; Dectris, "Pilatus CBF header specification". The header is
 * parsed line by line with every length checked against the buffer; the decoder consumes
 * exactly X-Binary-Size bytes for exactly fastest * second elements, anything else is
 * reported as a corrupt stream.
 *
 * Speed: decoding is one pass over the compressed bytes through a kernel chosen once per
 * process (image_cbf_kernel.h): the plain reference loop, or the AVX2 kernel
 * (image_cbf_avx2.c) that decodes 8 or 16 elements per step with vector prefix sums. Deltas
 * accumulate in a uint32_t: the format wraps modulo 2^32 for 32-bit elements, and unsigned
 * arithmetic keeps corrupt input free of undefined behaviour. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/publish.h"
#include "io/image_cbf_kernel.h"
#include "io/image_internal.h"

/* ---- byte-offset kernels ----------------------------------------------------------------- */

/* The reference: the plain loop of image_cbf_kernel.h, one element per step. */
#define REFERENCE(NAME, OUT_T, CONV)                                                      \
    static int64_t NAME(const uint8_t *src, size_t size, OUT_T *dst, int64_t n,           \
                        size_t *used)                                                     \
    {                                                                                     \
        const uint8_t *p = src, *end = src + size;                                        \
        uint32_t acc = 0;                                                                 \
        int64_t i = 0;                                                                    \
        BO_REFERENCE_LOOP(dst[i] = CONV(acc));                                            \
        *used = (size_t)(p - src);                                                        \
        return i;                                                                         \
    }
REFERENCE(ref_i32, int32_t, BO_CONV_I32)
REFERENCE(ref_f32, float, BO_CONV_F32)
REFERENCE(ref_f32u, float, BO_CONV_F32U)

const tsct__cbf_kernels tsct__cbf_kernels_reference = {"reference", ref_i32, ref_f32};

static const tsct__cbf_kernels *cbf_selected = &tsct__cbf_kernels_reference;
static pthread_once_t cbf_once = PTHREAD_ONCE_INIT;

static void cbf_select_once(void)
{
    /* TSCT_CBF_KERNELS = reference caps the choice (tests, benchmarks). */
    const char *cap = getenv("TSCT_CBF_KERNELS");
    if (cap && strcmp(cap, "reference") == 0)
        return;
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (tsct__cbf_kernels_avx2.name && __builtin_cpu_supports("avx2"))
        cbf_selected = &tsct__cbf_kernels_avx2;
#endif
}

const tsct__cbf_kernels *tsct__cbf_kernels_select(void)
{
    pthread_once(&cbf_once, cbf_select_once);
    return cbf_selected;
}

tsct_status tsct_image_cbf_byte_offset_decode(const void *src, size_t size, int32_t *dst,
                                              int64_t n, size_t *used, tsct_error *err)
{
    size_t u = 0;
    int64_t got = n > 0 ? tsct__cbf_kernels_select()->decode_i32(src, size, dst, n, &u) : 0;
    if (used)
        *used = u;
    if (got < n)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "x-CBF_BYTE_OFFSET", got,
                              "compressed stream of %zu bytes ends after %lld of %lld elements",
                              size, (long long)got, (long long)n);
    return TSCT_OK;
}

/* ---- MD5 (RFC 1321), for Content-MD5 ------------------------------------------------ */

typedef struct md5_ctx {
    uint32_t a, b, c, d;
} md5_ctx;

static uint32_t rol(uint32_t x, int c)
{
    return (x << c) | (x >> (32 - c));
}

static void md5_block(md5_ctx *m, const uint8_t *blk)
{
    static const uint32_t K[64] = {
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
        0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
        0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
        0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
        0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
        0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391};
    static const int R[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                              5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                              4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                              6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
    uint32_t w[16];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)blk[4 * i] | ((uint32_t)blk[4 * i + 1] << 8) |
               ((uint32_t)blk[4 * i + 2] << 16) | ((uint32_t)blk[4 * i + 3] << 24);
    uint32_t a = m->a, b = m->b, c = m->c, d = m->d;
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g;
        if (i < 16) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (i < 32) {
            f = (d & b) | (~d & c);
            g = (5 * i + 1) & 15;
        } else if (i < 48) {
            f = b ^ c ^ d;
            g = (3 * i + 5) & 15;
        } else {
            f = c ^ (b | ~d);
            g = (7 * i) & 15;
        }
        uint32_t t = d;
        d = c;
        c = b;
        b = b + rol(a + f + K[i] + w[g], R[i]);
        a = t;
    }
    m->a += a;
    m->b += b;
    m->c += c;
    m->d += d;
}

static void md5(const uint8_t *data, size_t len, uint8_t out[16])
{
    md5_ctx m = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    size_t i = 0;
    for (; i + 64 <= len; i += 64)
        md5_block(&m, data + i);
    uint8_t tail[128] = {0};
    size_t rem = len - i;
    memcpy(tail, data + i, rem);
    tail[rem] = 0x80;
    size_t tl = rem + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int k = 0; k < 8; k++)
        tail[tl - 8 + k] = (uint8_t)(bits >> (8 * k));
    md5_block(&m, tail);
    if (tl == 128)
        md5_block(&m, tail + 64);
    uint32_t v[4] = {m.a, m.b, m.c, m.d};
    for (int k = 0; k < 16; k++)
        out[k] = (uint8_t)(v[k / 4] >> (8 * (k % 4)));
}

static void base64_16(const uint8_t in[16], char out[25])
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int o = 0;
    for (int i = 0; i < 16; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < 16)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < 16)
            v |= in[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < 16 ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < 16 ? tab[v & 63] : '=';
    }
    out[o] = '\0';
}

/* ---- header ---------------------------------------------------------------------------- */

typedef struct cbf_fields {
    const char *conversions; size_t conversions_len;
    const char *elem_type;   size_t elem_type_len;
    const char *byte_order;  size_t byte_order_len;
    const char *md5;         size_t md5_len;
    int64_t binary_size, fastest, second, third, nelements;
    int have_size, have_fastest, have_second, have_nelements;
} cbf_fields;

static int contains_ci(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (tsct__ascii_ncasecmp(s + i, needle, m) == 0)
            return 1;
    return 0;
}

static const char *find_bytes(const uint8_t *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0 || n < m)
        return NULL;
    return memmem(hay, n, needle, m);
}

static tsct_status int_field(const char *v, size_t vl, const char *key, int64_t *out,
                             tsct_error *err)
{
    if (tsct__parse_int64(v, vl, out) != 0 || *out < 0)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, key, -1,
                              "expected a non-negative integer, found \"%.*s\"",
                              (int)(vl > 40 ? 40 : vl), v);
    return TSCT_OK;
}

/* Store the Pilatus text block "_array_data.header_contents\n;\n...\n;" if present. */
static tsct_status keep_header_contents(tsct_image *img, const uint8_t *buf, size_t n,
                                        tsct_error *err)
{
    static const char key[] = "_array_data.header_contents";
    const char *k = find_bytes(buf, n, key, sizeof key - 1);
    if (!k)
        return TSCT_OK;
    const char *end = (const char *)buf + n;
    const char *open = memchr(k, ';', (size_t)(end - k));
    if (!open)
        return TSCT_OK;
    const char *body = open + 1;
    const char *close = NULL;
    for (const char *q = body; q + 1 < end; q++)
        if (q[0] == '\n' && q[1] == ';') {
            close = q + 1;
            break;
        }
    if (!close)
        return TSCT_OK;
    while (body < close && (*body == '\r' || *body == '\n'))
        body++;
    return tsct__image_header_add(img, key, sizeof key - 1, body, (size_t)(close - body), err);
}

/* The CIF text and the MIME header of the binary section: the header items go into img, the
 * fields into *f, and *after points past the blank line that ends the MIME header (where the
 * start-of-binary marker is looked for). */
static tsct_status cbf_parse_header(tsct_image *img, const uint8_t *buf, size_t size,
                                    cbf_fields *f, const char **after, tsct_error *err)
{
    static const char sect[] = "--CIF-BINARY-FORMAT-SECTION--";
    const char *s = find_bytes(buf, size, sect, sizeof sect - 1);
    if (!s)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "--CIF-BINARY-FORMAT-SECTION--", -1,
                              "no binary section in %zu bytes: not a CBF image", size);
    img->format = TSCT_IMAGE_FORMAT_CBF;
    size_t text_len = (size_t)((const uint8_t *)s - buf);
    TSCT_TRY(keep_header_contents(img, buf, text_len, err));

    /* MIME header: lines after the section marker up to the first blank line. A line starting
     * with blanks continues the previous one (Content-Type's conversions=...). */
    const char *end = (const char *)buf + size;
    const char *q = s + sizeof sect - 1;
    memset(f, 0, sizeof *f);
    f->third = 1;
    const char *last_key = NULL;
    size_t last_klen = 0;
    int blank = 0;
    while (q < end) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        const char *le = nl ? nl : end;
        const char *lend = le;
        if (lend > q && lend[-1] == '\r')
            lend--;
        const char *next = nl ? nl + 1 : end;
        if (lend == q) {
            if (last_key) { /* blank line after the header: binary follows */
                blank = 1;
                q = next;
                break;
            }
            q = next;
            continue;
        }
        if (*q == ' ' || *q == '\t') {
            /* continuation of the previous line: only conversions= matters */
            if (last_key && last_klen == 12 && tsct__ascii_ncasecmp(last_key, "Content-Type", 12) == 0 &&
                contains_ci(q, (size_t)(lend - q), "conversions")) {
                f->conversions = q;
                f->conversions_len = (size_t)(lend - q);
            }
            q = next;
            continue;
        }
        const char *colon = memchr(q, ':', (size_t)(lend - q));
        if (!colon) {
            q = next;
            continue;
        }
        const char *k = q, *v = colon + 1;
        size_t kl = (size_t)(colon - q);
        while (v < lend && (*v == ' ' || *v == '\t'))
            v++;
        size_t vl = (size_t)(lend - v);
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            vl--;
        TSCT_TRY(tsct__image_header_add(img, k, kl, v, vl, err));
        last_key = k;
        last_klen = kl;
#define KEY_IS(name) (kl == sizeof(name) - 1 && tsct__ascii_ncasecmp(k, name, kl) == 0)
        if (KEY_IS("Content-Type")) {
            if (contains_ci(v, vl, "conversions")) {
                f->conversions = v;
                f->conversions_len = vl;
            }
        } else if (KEY_IS("X-Binary-Size")) {
            TSCT_TRY(int_field(v, vl, "X-Binary-Size", &f->binary_size, err));
            f->have_size = 1;
        } else if (KEY_IS("X-Binary-Element-Type")) {
            f->elem_type = v;
            f->elem_type_len = vl;
        } else if (KEY_IS("X-Binary-Element-Byte-Order")) {
            f->byte_order = v;
            f->byte_order_len = vl;
        } else if (KEY_IS("Content-MD5")) {
            f->md5 = v;
            f->md5_len = vl;
        } else if (KEY_IS("X-Binary-Number-of-Elements")) {
            TSCT_TRY(int_field(v, vl, "X-Binary-Number-of-Elements", &f->nelements, err));
            f->have_nelements = 1;
        } else if (KEY_IS("X-Binary-Size-Fastest-Dimension")) {
            TSCT_TRY(int_field(v, vl, "X-Binary-Size-Fastest-Dimension", &f->fastest, err));
            f->have_fastest = 1;
        } else if (KEY_IS("X-Binary-Size-Second-Dimension")) {
            TSCT_TRY(int_field(v, vl, "X-Binary-Size-Second-Dimension", &f->second, err));
            f->have_second = 1;
        } else if (KEY_IS("X-Binary-Size-Third-Dimension")) {
            TSCT_TRY(int_field(v, vl, "X-Binary-Size-Third-Dimension", &f->third, err));
        }
#undef KEY_IS
        q = next;
    }
    if (!blank)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "MIME header", -1,
                              "file ends inside the binary section header (truncated)");
    *after = q;
    return TSCT_OK;
}

tsct_status tsct__cbf_decode(tsct_image *img, const uint8_t *buf, size_t size,
                             const tsct_image_read_params *p, tsct_error *err)
{
    if (p->frame != 0 && find_bytes(buf, size, "--CIF-BINARY-FORMAT-SECTION--", 29))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "frame", p->frame,
                              "a CBF file holds one frame (frame 0)");
    cbf_fields f;
    const char *q;
    TSCT_TRY(cbf_parse_header(img, buf, size, &f, &q, err));
    const char *end = (const char *)buf + size;
    if (!f.conversions || !contains_ci(f.conversions, f.conversions_len, "x-CBF_BYTE_OFFSET"))
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "Content-Type", -1,
                              "only conversions=\"x-CBF_BYTE_OFFSET\" is supported, found %.*s",
                              (int)(f.conversions ? (f.conversions_len > 60 ? 60 : f.conversions_len) : 6),
                              f.conversions ? f.conversions : "(none)");
    if (!f.have_size)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "X-Binary-Size", -1,
                              "required header item missing");
    if (!f.have_fastest)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "X-Binary-Size-Fastest-Dimension", -1,
                              "required header item missing");
    if (!f.have_second)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "X-Binary-Size-Second-Dimension", -1,
                              "required header item missing");
    if (f.third != 1)
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "X-Binary-Size-Third-Dimension",
                              -1, "expected 1 (one 2-D frame), found %lld", (long long)f.third);
    int is_unsigned = 0;
    img->raw_dtype = TSCT_IMAGE_DTYPE_I32;
    if (f.elem_type) {
        is_unsigned = contains_ci(f.elem_type, f.elem_type_len, "unsigned");
        int bits = contains_ci(f.elem_type, f.elem_type_len, "32-bit")   ? 32
                   : contains_ci(f.elem_type, f.elem_type_len, "16-bit") ? 16
                   : contains_ci(f.elem_type, f.elem_type_len, "8-bit")  ? 8
                                                                          : 0;
        if (!bits || !contains_ci(f.elem_type, f.elem_type_len, "integer"))
            return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "X-Binary-Element-Type", -1,
                                  "expected a signed or unsigned 8/16/32-bit integer, found %.*s",
                                  (int)(f.elem_type_len > 60 ? 60 : f.elem_type_len), f.elem_type);
        static const tsct_image_dtype t[2][3] = {
            {TSCT_IMAGE_DTYPE_I8, TSCT_IMAGE_DTYPE_I16, TSCT_IMAGE_DTYPE_I32},
            {TSCT_IMAGE_DTYPE_U8, TSCT_IMAGE_DTYPE_U16, TSCT_IMAGE_DTYPE_U32}};
        img->raw_dtype = t[is_unsigned][bits == 8 ? 0 : bits == 16 ? 1 : 2];
    }
    if (f.byte_order && !contains_ci(f.byte_order, f.byte_order_len, "LITTLE_ENDIAN"))
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "X-Binary-Element-Byte-Order", -1,
                              "expected LITTLE_ENDIAN, found %.*s",
                              (int)(f.byte_order_len > 40 ? 40 : f.byte_order_len), f.byte_order);

    /* The binary starts after the 4-byte marker that follows the blank line. */
    static const char marker[4] = {0x0C, 0x1A, 0x04, (char)0xD5};
    size_t remaining = (size_t)(end - q);
    size_t look = remaining < 64 ? remaining : 64;
    const char *m = find_bytes((const uint8_t *)q, look, marker, 4);
    if (!m)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "binary marker", -1,
                              "start-of-binary bytes 0C 1A 04 D5 not found after the header%s",
                              remaining < 4 ? " (truncated)" : "");
    const uint8_t *bin = (const uint8_t *)m + 4;
    size_t avail = (size_t)((const uint8_t *)end - bin);
    if ((uint64_t)f.binary_size > avail)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "X-Binary-Size", -1,
                              "header announces %lld compressed bytes, file holds %zu "
                              "(truncated)", (long long)f.binary_size, avail);
    TSCT_TRY(tsct__image_alloc(img, f.second, f.fastest, p->max_pixels,
                               "X-Binary-Size-Second-Dimension", err));
    int64_t n = f.second * f.fastest;
    if (f.have_nelements && f.nelements != n)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "X-Binary-Number-of-Elements", -1,
                              "expected %lld (fastest x second dimension), found %lld",
                              (long long)n, (long long)f.nelements);
    /* Every element takes at least one byte: refuse impossible shapes before decoding. */
    if (n > f.binary_size)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "X-Binary-Size", -1,
                              "%lld compressed bytes cannot hold %lld elements",
                              (long long)f.binary_size, (long long)n);
    if (p->check_md5 && f.md5) {
        uint8_t dig[16];
        char b64[25];
        md5(bin, (size_t)f.binary_size, dig);
        base64_16(dig, b64);
        if (f.md5_len != 24 || memcmp(f.md5, b64, 24) != 0)
            return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "Content-MD5", -1,
                                  "expected %.*s, the binary data give %s (corrupt data)",
                                  (int)(f.md5_len > 40 ? 40 : f.md5_len), f.md5, b64);
    }
    size_t used = 0;
    /* Unsigned elements take the reference loop: (float)uint32 differs from the signed
     * conversion the fast kernels make only above 2^31, and Pilatus writes signed. */
    int64_t got = is_unsigned
                      ? ref_f32u(bin, (size_t)f.binary_size, img->data, n, &used)
                      : tsct__cbf_kernels_select()->decode_f32(bin, (size_t)f.binary_size,
                                                               img->data, n, &used);
    if (got < n)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "x-CBF_BYTE_OFFSET", got,
                              "compressed stream of %lld bytes ends after %lld of %lld elements "
                              "(corrupt or truncated data)",
                              (long long)f.binary_size, (long long)got, (long long)n);
    if (used != (size_t)f.binary_size)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "x-CBF_BYTE_OFFSET", n,
                              "%lld elements decoded from %zu bytes, X-Binary-Size says %lld "
                              "(corrupt data)", (long long)n, used, (long long)f.binary_size);
    return TSCT_OK;
}

/* ---- header only ------------------------------------------------------------------------- */

tsct_status tsct__cbf_read_header(tsct_image *img, const char *path,
                                  const tsct_image_read_params *p, tsct_error *err)
{
    if (p->frame != 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, path, "frame", p->frame,
                              "a CBF file holds one frame (frame 0)");
    /* Read the file's beginning until the start-of-binary marker that follows the binary
     * section's MIME header (Pilatus: about 1.5 kB), doubling the read up to 16 MB. */
    static const char sect[] = "--CIF-BINARY-FORMAT-SECTION--";
    static const char marker[4] = {0x0C, 0x1A, 0x04, (char)0xD5};
    tsct_publish_note_input(path);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        int e = errno;
        return tsct_error_set(err, e == ENOENT ? TSCT_ERR_NOT_FOUND : TSCT_ERR_IO, path, NULL,
                              -1, "cannot open: %s", strerror(e));
    }
    size_t cap = 8192, have = 0;
    uint8_t *buf = NULL;
    tsct_status st = TSCT_OK;
    int eof = 0;
    for (;;) {
        uint8_t *nb = realloc(buf, cap);
        if (!nb) {
            st = tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "%zu bytes", cap);
            break;
        }
        buf = nb;
        size_t want = cap - have, got = fread(buf + have, 1, want, fp);
        have += got;
        if (got < want) {
            if (ferror(fp)) {
                st = tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "read failed");
                break;
            }
            eof = 1;
        }
        const char *s = find_bytes(buf, have, sect, sizeof sect - 1);
        if ((s && find_bytes((const uint8_t *)s, (size_t)((const char *)buf + have - s), marker,
                             4)) ||
            eof)
            break;
        if (cap >= (size_t)16 << 20) {
            st = tsct_error_set(err, TSCT_ERR_FORMAT, path, "--CIF-BINARY-FORMAT-SECTION--", -1,
                                "no binary data in the first %zu bytes", have);
            break;
        }
        cap *= 2;
    }
    fclose(fp);
    if (st == TSCT_OK) {
        cbf_fields f;
        const char *after;
        st = cbf_parse_header(img, buf, have, &f, &after, err);
        if (st != TSCT_OK)
            tsct_error_set_file(err, path);
    }
    free(buf);
    return st;
}

/* ---- writing ----------------------------------------------------------------------------- */

/* Encoded size of one delta: 1 byte, or the escape 0x80 and 2 bytes, or 0x80 0x8000 and 4,
 * or 0x80 0x8000 0x80000000 and 8. The escapes themselves (-128, -32768, -2^31) are never
 * stored as plain deltas. */
static size_t bo_len(int32_t d)
{
    return d >= -127 && d <= 127 ? 1 : d >= -32767 && d <= 32767 ? 3 : d != INT32_MIN ? 7 : 15;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int k = 0; k < bytes; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

/* The difference to the previous value modulo 2^32, as int32. Decoders that add in 32 bits
 * (Dectris' reader, fabio's dec_cbf32, tsct) need no wider delta; a 64-bit delta beyond the
 * int32 range is mishandled by some of them (fabio 0.14 saturates it), so it is never
 * written: only a difference of exactly -2^31 (the 4-byte escape value) takes 8 bytes. */
static int32_t bo_delta(int32_t v, int32_t prev)
{
    uint32_t u = (uint32_t)v - (uint32_t)prev;
    return u <= (uint32_t)INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
}

static size_t bo_encode(const int32_t *src, int64_t n, uint8_t *dst)
{
    uint8_t *p = dst;
    int32_t prev = 0;
    for (int64_t i = 0; i < n; i++) {
        int32_t d = bo_delta(src[i], prev);
        prev = src[i];
        switch (bo_len(d)) {
        case 1: *p++ = (uint8_t)(int8_t)d; break;
        case 3:
            p[0] = 0x80;
            put_le(p + 1, (uint64_t)(int64_t)d, 2);
            p += 3;
            break;
        case 7:
            p[0] = 0x80;
            p[1] = 0x00;
            p[2] = 0x80;
            put_le(p + 3, (uint64_t)(int64_t)d, 4);
            p += 7;
            break;
        default:
            p[0] = 0x80;
            p[1] = 0x00;
            p[2] = 0x80;
            put_le(p + 3, 0x80000000u, 4);
            put_le(p + 7, (uint64_t)(int64_t)d, 8);
            p += 15;
        }
    }
    return (size_t)(p - dst);
}

static size_t bo_size(const int32_t *src, int64_t n)
{
    size_t size = 0;
    int32_t prev = 0;
    for (int64_t i = 0; i < n; i++) {
        size += bo_len(bo_delta(src[i], prev));
        prev = src[i];
    }
    return size;
}

tsct_status tsct_image_cbf_byte_offset_encode(const int32_t *src, int64_t n, void *dst,
                                              size_t capacity, size_t *size, tsct_error *err)
{
    if (n < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "x-CBF_BYTE_OFFSET", n,
                              "negative element count");
    size_t need = bo_size(src, n);
    *size = need;
    if (!dst)
        return TSCT_OK;
    if (capacity < need)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "x-CBF_BYTE_OFFSET", n,
                              "%lld elements need %zu bytes, the buffer holds %zu",
                              (long long)n, need, capacity);
    bo_encode(src, n, dst);
    return TSCT_OK;
}

/* Pilatus writes 4095 zero bytes after the binary data (X-Binary-Size-Padding). */
#define CBF_PADDING 4095

tsct_status tsct_image_encode_cbf(const int32_t *data, int64_t rows, int64_t cols,
                                  const tsct_image_header_entry *items, int64_t nitems,
                                  uint8_t **buf, size_t *capacity, size_t *size,
                                  tsct_error *err)
{
    *size = 0;
    if (rows < 1 || cols < 1 || rows > (INT64_C(1) << 31) / cols)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "shape", -1,
                              "cannot write a %lld x %lld CBF (1 .. 2^31 pixels)",
                              (long long)rows, (long long)cols);
    size_t text = 1024;
    TSCT_TRY(tsct__image_items_check(items, nitems, TSCT_IMAGE_FORMAT_CBF, &text, err));
    const int64_t n = rows * cols;
    const size_t nbin = bo_size(data, n);
    static const char trailer[] = "\r\n--CIF-BINARY-FORMAT-SECTION----\r\n;\r\n\r\n";
    TSCT_TRY(tsct__buf_reserve(buf, capacity, text + 4 + nbin + CBF_PADDING + sizeof trailer,
                               err));
    char *h = (char *)*buf;
    size_t hl = 0;
#define EMIT(...) hl += (size_t)snprintf(h + hl, text - hl, __VA_ARGS__)
    EMIT("###CBF: VERSION 1.5, tsct mini-CBF (CBFlib conventions)\r\n\r\ndata_image\r\n\r\n");
    if (nitems > 0) {
        EMIT("_array_data.header_convention \"PILATUS_1.2\"\r\n"
             "_array_data.header_contents\r\n;\r\n");
        for (int64_t k = 0; k < nitems; k++)
            EMIT("# %s %s\r\n", items[k].key, items[k].value);
        EMIT(";\r\n\r\n");
    }
    EMIT("_array_data.data\r\n;\r\n--CIF-BINARY-FORMAT-SECTION--\r\n"
         "Content-Type: application/octet-stream;\r\n"
         "     conversions=\"x-CBF_BYTE_OFFSET\"\r\n"
         "Content-Transfer-Encoding: BINARY\r\n"
         "X-Binary-Size: %zu\r\n"
         "X-Binary-ID: 1\r\n"
         "X-Binary-Element-Type: \"signed 32-bit integer\"\r\n"
         "X-Binary-Element-Byte-Order: LITTLE_ENDIAN\r\n"
         "Content-MD5: ",
         nbin);
    size_t md5_at = hl;
    EMIT("########################\r\n"
         "X-Binary-Number-of-Elements: %lld\r\n"
         "X-Binary-Size-Fastest-Dimension: %lld\r\n"
         "X-Binary-Size-Second-Dimension: %lld\r\n"
         "X-Binary-Size-Padding: %d\r\n\r\n",
         (long long)n, (long long)cols, (long long)rows, CBF_PADDING);
#undef EMIT
    uint8_t *o = *buf + hl;
    static const uint8_t marker[4] = {0x0C, 0x1A, 0x04, 0xD5};
    memcpy(o, marker, 4);
    o += 4;
    bo_encode(data, n, o);
    uint8_t dig[16];
    char b64[25];
    md5(o, nbin, dig);
    base64_16(dig, b64);
    memcpy(*buf + md5_at, b64, 24);
    o += nbin;
    memset(o, 0, CBF_PADDING);
    o += CBF_PADDING;
    memcpy(o, trailer, sizeof trailer - 1);
    o += sizeof trailer - 1;
    *size = (size_t)(o - *buf);
    return TSCT_OK;
}

tsct_status tsct_image_write_cbf(const char *path, const int32_t *data, int64_t rows,
                                 int64_t cols, const tsct_image_header_entry *items,
                                 int64_t nitems, tsct_error *err)
{
    uint8_t *buf = NULL;
    size_t cap = 0, size = 0;
    tsct_status st = tsct_image_encode_cbf(data, rows, cols, items, nitems, &buf, &cap, &size,
                                           err);
    return tsct__image_publish(path, st, buf, size, err);
}
