/* test_image_write.c - the CBF and EDF integer-frame writers through tsct's own readers.
 *
 * 1. The byte-offset encoder: every delta width (1, 2 + 1, 4 + 3, 8 + 7 bytes) at the edges of
 *    its range (127 / 128, 32767 / 32768, the escape values -128, -32768, -2^31 themselves;
 *    differences wrap modulo 2^32, so INT32_MAX -> INT32_MIN is one byte), stream lengths
 *    exact, and encode -> decode gives back the int32 values exactly, for hand-picked values
 *    and 100 000 pseudo-random ones of every magnitude.
 * 2. CBF and EDF files of 37 x 53 int32 values including -1 / -2 (Pilatus masked pixels),
 *    counts above 32767 and 2^24, the extremes INT32_MIN / INT32_MAX (values chosen exactly
 *    representable in float32, which the readers return), and consecutive pixels whose
 *    difference needs each escape: read back by tsct_image_read equal exactly, stored type
 *    int32, the header items back through tsct_image_header_value / _number (CBF: Pilatus lines
 *    "# KEY VALUE"), Content-MD5 verified (check_md5 = 1) and wrong after a flipped data byte;
 *    tsct_image_read_header gives the items without pixels; EDF header a multiple of 512 bytes
 *    with EDF_HeaderSize / EDF_BinarySize / Size matching the file.
 * 3. A reused encoding buffer is not reallocated for a frame of the same size.
 * 4. Bad input: header items a format cannot hold (blank in a key, ';' in an EDF value, an
 *    empty value), zero shapes; truncated CBF and EDF files fail with "truncated" and the file
 *    name.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsct/image.h"
#include "tsct_test.h"

static char tmpdir[4096];

static const char *tmp(const char *name)
{
    static char buf[8][4200];
    static int k = 0;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

/* encode -> decode of n values; returns the encoded size. */
static size_t round_trip(const int32_t *v, int64_t n)
{
    tsct_error err = TSCT_ERROR_INIT;
    size_t need = 0, used = 0;
    CHECK_OK(tsct_image_cbf_byte_offset_encode(v, n, NULL, 0, &need, &err), &err);
    uint8_t *buf = malloc(need + 1);
    int32_t *back = malloc((size_t)(n > 0 ? n : 1) * sizeof *back);
    size_t size = 0;
    if (need > 0)
        CHECK_FAILS(tsct_image_cbf_byte_offset_encode(v, n, buf, need - 1, &size, &err),
                    TSCT_ERR_VALUE, &err, "bytes");
    CHECK_OK(tsct_image_cbf_byte_offset_encode(v, n, buf, need, &size, &err), &err);
    CHECK(size == need);
    CHECK_OK(tsct_image_cbf_byte_offset_decode(buf, size, back, n, &used, &err), &err);
    CHECK(used == size);
    CHECK(memcmp(back, v, (size_t)n * sizeof *v) == 0);
    free(buf);
    free(back);
    return need;
}

static void check_encoder(void)
{
    /* (previous, value, bytes): the difference value - previous modulo 2^32 picks the width. */
    static const struct {
        int32_t a, b;
        size_t bytes;
    } cases[] = {
        {0, 127, 1},           {0, -127, 1},          {0, 128, 3},
        {0, -128, 3},          {0, 32767, 3},         {0, -32767, 3},
        {0, 32768, 7},         {0, -32768, 7},        {0, INT32_MAX, 7},
        {0, -INT32_MAX, 7},    {0, INT32_MIN, 15},    {-1, INT32_MAX, 15},
        {-2, INT32_MAX, 7},    {INT32_MAX, INT32_MIN, 1}, {INT32_MIN, INT32_MAX, 1},
        {-40000, 2000000000, 7}, {2000000000, -2000000000, 7}, {100000, 100001, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int32_t v[2] = {cases[k].a, cases[k].b};
        int64_t d = cases[k].a;
        size_t first = d >= -127 && d <= 127 ? 1 : d >= -32767 && d <= 32767 ? 3
                       : d > INT32_MIN ? 7 : 15;
        size_t got = round_trip(v, 2);
        CHECK_MSG(got == first + cases[k].bytes, "case %zu: %d -> %d: %zu bytes, expected %zu",
                  k, cases[k].a, cases[k].b, got, first + cases[k].bytes);
    }
    /* Pseudo-random values of every magnitude. */
    const int64_t n = 100000;
    int32_t *v = malloc((size_t)n * sizeof *v);
    uint64_t s = 88172645463325252ull;
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        int shift = (int)(s % 32);
        v[i] = (int32_t)(uint32_t)(s >> 32) >> shift;
    }
    round_trip(v, n);
    round_trip(v, 0);
    free(v);
}

/* A frame whose values exercise every escape and stay exact in float32. */
static int32_t *test_frame(int64_t rows, int64_t cols)
{
    int32_t *d = malloc((size_t)(rows * cols) * sizeof *d);
    for (int64_t i = 0; i < rows * cols; i++)
        d[i] = (int32_t)((i * 37) % 1001);
    static const int32_t special[] = {-1, -2,      -1,      32767,   32768,   40000, -40000,
                                      1 << 24, -(1 << 24), 100000, 0,   INT32_MIN,
                                      2147483520 /* INT32_MAX rounded to float */, -1,
                                      1 << 30, -(1 << 30), 5, -2};
    memcpy(d + 100, special, sizeof special);
    for (int64_t c = 0; c < cols; c++)
        d[7 * cols + c] = -1;   /* a masked row, as a module gap */
    return d;
}

static void check_files(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_image img;
    tsct_image_init(&img);
    const int64_t R = 37, C = 53;
    int32_t *d = test_frame(R, C);
    float *want = malloc((size_t)(R * C) * sizeof *want);
    for (int64_t i = 0; i < R * C; i++)
        want[i] = (float)d[i];
    const tsct_image_header_entry items[] = {
        {"Detector:", "Pilatus2M, tsct test"},
        {"Flux", "0.98765432109876543"},
        {"Exposure_time", "0.01 s"},
        {"tsct_simulation", "preset=demo seed=4 set=nt=2,n=16"},
    };
    /* "Detector:" holds a colon, which a CBF key may not: the CBF gets "Detector" */
    tsct_image_header_entry cbf_items[4];
    memcpy(cbf_items, items, sizeof items);
    cbf_items[0].key = "Detector";
    tsct_image_header_entry edf_items[4];
    memcpy(edf_items, cbf_items, sizeof items);

    /* ---- CBF ---- */
    CHECK_OK(tsct_image_write_cbf(tmp("f.cbf"), d, R, C, cbf_items, 4, &err), &err);
    tsct_image_read_params p = TSCT_IMAGE_READ_PARAMS_DEFAULT;
    p.check_md5 = 1;
    CHECK_OK(tsct_image_read(&img, tmp("f.cbf"), &p, &err), &err);
    CHECK(img.format == TSCT_IMAGE_FORMAT_CBF && img.raw_dtype == TSCT_IMAGE_DTYPE_I32);
    CHECK(img.rows == R && img.cols == C);
    CHECK(img.rows == R && memcmp(img.data, want, (size_t)(R * C) * sizeof *want) == 0);
    double flux = 0;
    CHECK_OK(tsct_image_header_number(&img, "Flux", &flux, &err), &err);
    CHECK(flux == 0.98765432109876543);
    double expo = 0;
    CHECK_OK(tsct_image_header_number(&img, "exposure_time", &expo, &err), &err);
    CHECK(expo == 0.01);
    size_t len = 0;
    const char *fp = tsct_image_header_value(&img, "tsct_simulation", &len);
    CHECK(fp && len == strlen(items[3].value) && memcmp(fp, items[3].value, len) == 0);
    const char *det = tsct_image_header_value(&img, "Detector", &len);
    CHECK(det && len == 20 && memcmp(det, "Pilatus2M, tsct test", 20) == 0);
    CHECK(tsct_image_header_value(&img, "Flu", NULL) == NULL);
    CHECK_FAILS(tsct_image_header_number(&img, "Nothing", &flux, &err), TSCT_ERR_NOT_FOUND, &err,
                "Nothing");
    CHECK_FAILS(tsct_image_header_number(&img, "Detector", &flux, &err), TSCT_ERR_FORMAT, &err,
                "number");
    const char *type = tsct_image_header_get(&img, "X-Binary-Element-Type");
    CHECK(type && strcmp(type, "\"signed 32-bit integer\"") == 0);
    const char *md5 = tsct_image_header_get(&img, "Content-MD5");
    CHECK(md5 && strlen(md5) == 24 && md5[22] == '=' && md5[23] == '=');
    const char *pad = tsct_image_header_get(&img, "X-Binary-Size-Padding");
    CHECK(pad && strcmp(pad, "4095") == 0);

    /* header only: items, no pixels */
    CHECK_OK(tsct_image_read_header(&img, tmp("f.cbf"), NULL, &err), &err);
    CHECK(img.rows == 0 && img.cols == 0 && img.format == TSCT_IMAGE_FORMAT_CBF);
    CHECK_OK(tsct_image_header_number(&img, "Flux", &flux, &err), &err);
    CHECK(flux == 0.98765432109876543);
    p.frame = 1;
    CHECK_FAILS(tsct_image_read_header(&img, tmp("f.cbf"), &p, &err), TSCT_ERR_VALUE, &err,
                "one frame");
    p.frame = 0;

    /* a flipped data byte: Content-MD5 no longer matches */
    size_t size = 0;
    uint8_t *file = tsct_test_slurp(tmp("f.cbf"), &size);
    const uint8_t mk[4] = {0x0C, 0x1A, 0x04, 0xD5};
    uint8_t *bin = memmem(file, size, mk, 4);
    CHECK(bin != NULL);
    if (bin) {
        bin[4 + 10] ^= 0x01;
        tsct_test_spit(tmp("flip.cbf"), file, size);
        CHECK_FAILS(tsct_image_read(&img, tmp("flip.cbf"), &p, &err), TSCT_ERR_FORMAT, &err,
                    "Content-MD5");
        bin[4 + 10] ^= 0x01;
        /* truncated in the binary data: an error naming the file */
        size_t cut = (size_t)(bin - file) + 4 + 100;
        tsct_test_spit(tmp("cut.cbf"), file, cut);
        CHECK_FAILS(tsct_image_read(&img, tmp("cut.cbf"), NULL, &err), TSCT_ERR_FORMAT, &err,
                    "truncated");
        tsct_image_read(&img, tmp("cut.cbf"), NULL, &err);
        CHECK_MSG(strstr(err.message, "cut.cbf") != NULL, "%s", err.message);
        tsct_error_clear(&err);
        /* truncated in the MIME header */
        tsct_test_spit(tmp("cut2.cbf"), file, (size_t)(bin - file) - 60);
        CHECK_FAILS(tsct_image_read(&img, tmp("cut2.cbf"), NULL, &err), TSCT_ERR_FORMAT, &err,
                    "truncated");
    }
    free(file);

    /* the same file from memory, and from the encoder with a reused buffer */
    uint8_t *buf = NULL;
    size_t cap = 0, n1 = 0, n2 = 0;
    CHECK_OK(tsct_image_encode_cbf(d, R, C, cbf_items, 4, &buf, &cap, &n1, &err), &err);
    uint8_t *first = buf;
    size_t cap1 = cap;
    CHECK_OK(tsct_image_encode_cbf(d, R, C, cbf_items, 4, &buf, &cap, &n2, &err), &err);
    CHECK(buf == first && cap == cap1 && n1 == n2);
    file = tsct_test_slurp(tmp("f.cbf"), &size);
    CHECK(size == n1 && file && memcmp(file, buf, size) == 0);
    free(file);
    /* no header items: no header_contents block, still readable */
    CHECK_OK(tsct_image_encode_cbf(d, R, C, NULL, 0, &buf, &cap, &n1, &err), &err);
    CHECK_OK(tsct_image_decode(&img, buf, n1, &p, &err), &err);
    CHECK(img.rows == R && memcmp(img.data, want, (size_t)(R * C) * sizeof *want) == 0);
    CHECK(tsct_image_header_get(&img, "_array_data.header_contents") == NULL);
    free(buf);

    /* ---- EDF ---- */
    CHECK_OK(tsct_image_write_edf_i32(tmp("f.edf"), d, R, C, edf_items, 4, &err), &err);
    CHECK_OK(tsct_image_read(&img, tmp("f.edf"), NULL, &err), &err);
    CHECK(img.format == TSCT_IMAGE_FORMAT_EDF && img.raw_dtype == TSCT_IMAGE_DTYPE_I32);
    CHECK(img.rows == R && img.cols == C);
    CHECK(img.rows == R && memcmp(img.data, want, (size_t)(R * C) * sizeof *want) == 0);
    CHECK_OK(tsct_image_header_number(&img, "flux", &flux, &err), &err);
    CHECK(flux == 0.98765432109876543);
    fp = tsct_image_header_value(&img, "tsct_simulation", &len);
    CHECK(fp && strcmp(fp, items[3].value) == 0);
    file = tsct_test_slurp(tmp("f.edf"), &size);
    int64_t hsize = 0, bsize = 0, sz = 0;
    const char *h = tsct_image_header_get(&img, "EDF_HeaderSize");
    CHECK(h && sscanf(h, "%lld", (long long *)&hsize) == 1);
    h = tsct_image_header_get(&img, "EDF_BinarySize");
    CHECK(h && sscanf(h, "%lld", (long long *)&bsize) == 1);
    h = tsct_image_header_get(&img, "Size");
    CHECK(h && sscanf(h, "%lld", (long long *)&sz) == 1);
    CHECK_MSG(hsize % 512 == 0 && hsize + R * C * 4 == (int64_t)size && bsize == R * C * 4 &&
                  sz == bsize,
              "header %lld, binary %lld, size %lld, file %zu", (long long)hsize,
              (long long)bsize, (long long)sz, size);
    CHECK(file && hsize >= 2 && file[hsize - 2] == '}' && file[hsize - 1] == '\n');
    CHECK(file && hsize > 0 && memcmp(file + hsize, d, (size_t)(R * C) * 4) == 0);
    CHECK_OK(tsct_image_read_header(&img, tmp("f.edf"), NULL, &err), &err);
    CHECK(img.rows == 0 && img.format == TSCT_IMAGE_FORMAT_EDF);
    CHECK_OK(tsct_image_header_number(&img, "Flux", &flux, &err), &err);
    CHECK(flux == 0.98765432109876543);
    if (file) {
        tsct_test_spit(tmp("cut.edf"), file, (size_t)hsize + 100);
        CHECK_FAILS(tsct_image_read(&img, tmp("cut.edf"), NULL, &err), TSCT_ERR_FORMAT, &err,
                    "truncated");
        tsct_image_read(&img, tmp("cut.edf"), NULL, &err);
        CHECK_MSG(strstr(err.message, "cut.edf") != NULL, "%s", err.message);
        tsct_error_clear(&err);
    }
    free(file);
    /* a header that needs a second 512-byte block */
    char longv[700];
    memset(longv, 'x', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    tsct_image_header_entry big = {"Comment", longv};
    CHECK_OK(tsct_image_write_edf_i32(tmp("long.edf"), d, R, C, &big, 1, &err), &err);
    CHECK_OK(tsct_image_read(&img, tmp("long.edf"), NULL, &err), &err);
    h = tsct_image_header_get(&img, "EDF_HeaderSize");
    CHECK(h && strcmp(h, "1024") == 0);
    CHECK(img.rows == R && memcmp(img.data, want, (size_t)(R * C) * sizeof *want) == 0);
    h = tsct_image_header_get(&img, "Comment");
    CHECK(h && strcmp(h, longv) == 0);

    /* ---- bad input ---- */
    tsct_image_header_entry bad[] = {{"two words", "1"}, {"Key", "a;b"}, {"Key", ""},
                                     {"Key:", "1"}};
    CHECK_FAILS(tsct_image_write_cbf(tmp("b.cbf"), d, R, C, &bad[0], 1, &err), TSCT_ERR_VALUE,
                &err, "header item 0");
    CHECK_FAILS(tsct_image_write_edf_i32(tmp("b.edf"), d, R, C, &bad[1], 1, &err),
                TSCT_ERR_VALUE, &err, "Key");
    CHECK_FAILS(tsct_image_write_cbf(tmp("b.cbf"), d, R, C, &bad[2], 1, &err), TSCT_ERR_VALUE,
                &err, "non-empty");
    CHECK_FAILS(tsct_image_write_cbf(tmp("b.cbf"), d, R, C, &bad[3], 1, &err), TSCT_ERR_VALUE,
                &err, "Key:");
    CHECK_FAILS(tsct_image_write_cbf(tmp("b.cbf"), d, 0, C, NULL, 0, &err), TSCT_ERR_SHAPE, &err,
                "shape");
    CHECK_FAILS(tsct_image_write_edf_i32(tmp("b.edf"), d, R, 0, NULL, 0, &err), TSCT_ERR_SHAPE,
                &err, "shape");
    CHECK(access(tmp("b.cbf"), F_OK) != 0 && access(tmp("b.edf"), F_OK) != 0);

    tsct_image_release(&img);
    free(d);
    free(want);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s", tsct_test_tmpdir(TSCT_TEST_TMP));
    check_encoder();
    check_files();
    return tsct_test_finish("test_image_write");
}
