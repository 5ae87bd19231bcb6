/* test_image.c - detector image readers against fabio, round trips, and bad input.
 *
 * 1. Every shared test image is read with tsct and compared with the statistics and pixel
 *    samples that fabio produced (tests/data/image_reference/reference.txt, regenerated and
 *    checked against fabio by test_image_reference.py): shape and stored dtype exactly; min,
 *    max, counts and the 64 samples exactly (all test images hold integer values, which
 *    float32 represents exactly); sums to a relative 1e-12 (summation order).
 * 2. The byte-offset decoder on hand-made streams with every escape width (exact values).
 * 3. Writers (npy, TIFF, EDF) read back bit for bit; multi-frame EDF, multi-page tiled and
 *    compressed TIFF, npy versions 1-3, both byte orders.
 * 4. Bad input: truncation at many cut points, wrong header sizes, corrupt byte-offset data,
 *    unknown dtypes, zero and huge dimensions: each must fail with the right status and a
 *    message naming the item (and the file when read from disk), never crash (the sanitizer
 *    build runs this too). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tiffio.h>

#include "tsct/image.h"
#include "tsct_test.h"

#define DATA TSCT_TEST_DATA
#define CBF_PATH DATA "/detector_images/ndtomo_CeO2_Pilatus2M/CeO2.cbf"
#define EDF_PATH DATA "/detector_images/ndtomo_CeO2_Pilatus2M/mask.edf"
#define TIF_PATH DATA "/detector_images/dioptas_CeO2_Pilatus1M/CeO2_Pilatus1M.tif"

static char tmpdir[4096];

static const char *tmp(const char *name)
{
    static char buf[8][4200];
    static int k = 0;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}


/* ---- 1. reference images ---------------------------------------------------------------- */

static void check_reference(void)
{
    FILE *f = fopen(DATA "/image_reference/reference.txt", "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[1024], rel[512] = "";
    tsct_image img;
    tsct_image_init(&img);
    tsct_error err = TSCT_ERROR_INIT;
    int loaded = 0, nimages = 0;
    long long frame = 0;
    while (fgets(line, sizeof line, f)) {
        long long r, c, nneg, nnz;
        double mn, mx, sum, wsum, v;
        char name[64];
        if (sscanf(line, "image %511s %lld", rel, &frame) == 2) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", DATA, rel);
            tsct_image_read_params p = TSCT_IMAGE_READ_PARAMS_DEFAULT;
            p.frame = frame;
            p.check_md5 = 1;
            tsct_error_clear(&err);
            tsct_status st = tsct_image_read(&img, path, &p, &err);
            CHECK_MSG(st == TSCT_OK, "%s: %s", rel, err.message);
            loaded = st == TSCT_OK;
            nimages++;
        } else if (!loaded) {
            continue;
        } else if (sscanf(line, "shape %lld %lld", &r, &c) == 2) {
            CHECK_MSG(img.rows == r && img.cols == c, "%s: shape %lld x %lld, fabio %lld x %lld",
                      rel, (long long)img.rows, (long long)img.cols, r, c);
            if (img.rows != r || img.cols != c)
                loaded = 0;
        } else if (sscanf(line, "dtype %63s", name) == 1) {
            CHECK_MSG(strcmp(tsct_image_dtype_name(img.raw_dtype), name) == 0, "%s: dtype %s, fabio %s",
                      rel, tsct_image_dtype_name(img.raw_dtype), name);
        } else if (sscanf(line, "stats %lf %lf %lf %lf %lld %lld", &mn, &mx, &sum, &wsum, &nneg,
                          &nnz) == 6) {
            int64_t n = img.rows * img.cols, cneg = 0, cnz = 0;
            double lo = img.data[0], hi = img.data[0], s = 0, ws = 0;
            for (int64_t i = 0; i < n; i++) {
                double x = img.data[i];
                lo = x < lo ? x : lo;
                hi = x > hi ? x : hi;
                s += x;
                ws += x * (double)((i * 7919) % 1009 + 1);
                cneg += x < 0;
                cnz += x != 0;
            }
            CHECK_NEAR(lo, mn, 0);
            CHECK_NEAR(hi, mx, 0);
            CHECK_NEAR(s, sum, 1e-12 * fabs(sum));
            CHECK_NEAR(ws, wsum, 1e-12 * fabs(wsum));
            CHECK_MSG(cneg == nneg && cnz == nnz, "%s: %lld negative, %lld non-zero; fabio %lld, %lld",
                      rel, (long long)cneg, (long long)cnz, nneg, nnz);
            /* the mask helpers agree with the counts */
            uint8_t *m = malloc((size_t)n);
            int64_t k = -1;
            CHECK_OK(tsct_image_mask_negative(&img, m, &k, &err), &err);
            CHECK(k == nneg);
            CHECK_OK(tsct_image_mask_nonzero(&img, m, &k, &err), &err);
            CHECK(k == nnz);
            free(m);
        } else if (sscanf(line, "sample %lld %lld %lf", &r, &c, &v) == 3) {
            CHECK_MSG(img.data[r * img.cols + c] == (float)v, "%s: pixel (%lld, %lld) = %.9g, fabio %.9g",
                      rel, r, c, (double)img.data[r * img.cols + c], v);
        }
    }
    fclose(f);
    CHECK(nimages == 7);
    tsct_image_release(&img);
}

/* Header items and the per-format entry points on the real files. */
static void check_headers(void)
{
    tsct_image img;
    tsct_image_init(&img);
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_image_read_cbf(&img, CBF_PATH, NULL, &err), &err);
    CHECK(img.format == TSCT_IMAGE_FORMAT_CBF);
    const char *v = tsct_image_header_get(&img, "x-binary-size");
    CHECK(v && strcmp(v, "3243437") == 0);
    v = tsct_image_header_get(&img, "_array_data.header_contents");
    CHECK(v == NULL);   /* this CBFlib file has no Pilatus header block */
    tsct_array view;
    CHECK_OK(tsct_image_view(&img, &view, &err), &err);
    CHECK(view.ndim == 2 && view.shape[0] == 1679 && view.shape[1] == 1475 && !view.owns_data);

    CHECK_OK(tsct_image_read_edf(&img, EDF_PATH, NULL, &err), &err);
    v = tsct_image_header_get(&img, "DataType");
    CHECK(v && strcmp(v, "UnsignedByte") == 0);
    v = tsct_image_header_get(&img, "EDF_DataBlockID");
    CHECK(v && strcmp(v, "0.Image.Psd") == 0);
    int64_t n = 0;
    CHECK_OK(tsct_image_count_frames(EDF_PATH, NULL, &n, &err), &err);
    CHECK(n == 1);

    CHECK_OK(tsct_image_read_tiff(&img, TIF_PATH, NULL, &err), &err);
    v = tsct_image_header_get(&img, "ImageDescription");
    CHECK(v && strstr(v, "Exposure_time") != NULL);
    CHECK_OK(tsct_image_count_frames(TIF_PATH, NULL, &n, &err), &err);
    CHECK(n == 1);

    tsct_image_format fmt;
    CHECK_OK(tsct_image_detect(CBF_PATH, &fmt, &err), &err);
    CHECK(fmt == TSCT_IMAGE_FORMAT_CBF);
    CHECK_OK(tsct_image_detect(EDF_PATH, &fmt, &err), &err);
    CHECK(fmt == TSCT_IMAGE_FORMAT_EDF);

    /* Content-MD5: the real file verifies; one flipped bit in the binary does not */
    size_t size;
    uint8_t *buf = tsct_test_slurp(CBF_PATH, &size);
    tsct_image_read_params p = TSCT_IMAGE_READ_PARAMS_DEFAULT;
    p.check_md5 = 1;
    CHECK_OK(tsct_image_decode(&img, buf, size, &p, &err), &err);
    buf[size / 2] ^= 0x10;
    CHECK_FAILS(tsct_image_decode(&img, buf, size, &p, &err), TSCT_ERR_FORMAT, &err, "Content-MD5");
    CHECK(img.rows == 0 && img.cols == 0);
    free(buf);

    CHECK_FAILS(tsct_image_read(&img, DATA "/no/such/file.cbf", NULL, &err), TSCT_ERR_NOT_FOUND,
                &err, "no/such/file.cbf");
    CHECK_FAILS(tsct_image_read(&img, DATA "/detector_images/ndtomo_CeO2_Pilatus2M/CeO2.poni",
                                NULL, &err), TSCT_ERR_UNSUPPORTED, &err, "CeO2.poni");
    CHECK_FAILS(tsct_image_read_cbf(&img, EDF_PATH, NULL, &err), TSCT_ERR_FORMAT, &err, "mask.edf");
    tsct_image_release(&img);
    tsct_image_release(NULL);
}

/* ---- 2. byte-offset decoder -------------------------------------------------------------- */

static size_t bo_put(uint8_t *p, int64_t delta)
{
    if (delta > -128 && delta < 128) {
        p[0] = (uint8_t)(int8_t)delta;
        return 1;
    }
    p[0] = 0x80;
    if (delta > -32768 && delta < 32768) {
        p[1] = (uint8_t)(delta & 0xff);
        p[2] = (uint8_t)((delta >> 8) & 0xff);
        return 3;
    }
    p[1] = 0x00;
    p[2] = 0x80;
    if (delta > INT32_MIN && delta <= INT32_MAX) {
        uint32_t u = (uint32_t)(int32_t)delta;
        for (int k = 0; k < 4; k++)
            p[3 + k] = (uint8_t)(u >> (8 * k));
        return 7;
    }
    p[3] = p[4] = p[5] = 0;
    p[6] = 0x80;
    uint64_t u = (uint64_t)delta;
    for (int k = 0; k < 8; k++)
        p[7 + k] = (uint8_t)(u >> (8 * k));
    return 15;
}

static void check_byte_offset(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const int32_t want[] = {0, 1, -1, 127, -128, -127, 200, -32767, 32767, 40000, -40000,
                            2147483647, -2147483647 - 1, 5, 0, -2, -1, 1140729, 3, 3};
    int n = (int)(sizeof want / sizeof want[0]);
    uint8_t stream[400];
    size_t len = 0;
    int64_t prev = 0;
    for (int i = 0; i < n; i++) {
        len += bo_put(stream + len, (int64_t)want[i] - prev);
        prev = want[i];
    }
    /* a 64-bit escape with a delta that only wraps modulo 2^32 */
    len += bo_put(stream + len, INT64_C(0x100000000) + 7);
    int32_t out[32];
    size_t used = 0;
    CHECK_OK(tsct_image_cbf_byte_offset_decode(stream, len, out, n + 1, &used, &err), &err);
    CHECK(used == len);
    for (int i = 0; i < n; i++)
        CHECK_MSG(out[i] == want[i], "element %d: %d vs %d", i, out[i], want[i]);
    CHECK(out[n] == 3 + 7);
    /* every truncation of the stream fails and names the element where it stopped */
    for (size_t cut = 0; cut < len; cut++) {
        tsct_error_clear(&err);
        tsct_status st = tsct_image_cbf_byte_offset_decode(stream, cut, out, n + 1, &used, &err);
        CHECK_MSG(st == TSCT_ERR_FORMAT && strstr(err.message, "x-CBF_BYTE_OFFSET["),
                  "cut %zu: %s", cut, err.message);
    }
}

/* ---- 3. writers, multi-frame files, npy variants ------------------------------------------ */

static void check_round_trips(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_image img;
    tsct_image_init(&img);
    const int64_t R = 37, C = 53;
    float *d = malloc(sizeof(float) * R * C);
    for (int64_t i = 0; i < R * C; i++)
        d[i] = (float)((i * 37) % 1001) * 0.37f - 100.0f;
    d[5] = -1.0f;
    d[6] = 1e30f;
    struct {
        const char *name;
        tsct_status (*write)(const char *, const float *, int64_t, int64_t, tsct_error *);
        tsct_image_format fmt;
    } w[] = {{"rt.npy", tsct_image_write_npy, TSCT_IMAGE_FORMAT_NPY},
             {"rt.tif", tsct_image_write_tiff, TSCT_IMAGE_FORMAT_TIFF},
             {"rt.edf", tsct_image_write_edf, TSCT_IMAGE_FORMAT_EDF}};
    for (size_t k = 0; k < 3; k++) {
        CHECK_OK(w[k].write(tmp(w[k].name), d, R, C, &err), &err);
        CHECK_OK(tsct_image_read(&img, tmp(w[k].name), NULL, &err), &err);
        CHECK(img.format == w[k].fmt && img.raw_dtype == TSCT_IMAGE_DTYPE_F32);
        CHECK(img.rows == R && img.cols == C);
        CHECK(img.rows == R && memcmp(img.data, d, sizeof(float) * R * C) == 0);
        CHECK_FAILS(w[k].write(tmp(w[k].name), d, 0, C, &err), TSCT_ERR_SHAPE, &err, "shape");
    }
    /* uint8 mask through npy */
    uint8_t m[6] = {0, 1, 1, 0, 0, 1};
    CHECK_OK(tsct_image_write_npy_u8(tmp("m.npy"), m, 2, 3, &err), &err);
    CHECK_OK(tsct_image_read_npy(&img, tmp("m.npy"), NULL, &err), &err);
    CHECK(img.raw_dtype == TSCT_IMAGE_DTYPE_U8 && img.rows == 2 && img.cols == 3);
    CHECK(img.data[1] == 1.0f && img.data[3] == 0.0f && img.data[5] == 1.0f);

    /* two EDF blocks in one file: the second is frame 1 */
    size_t s1, s2;
    uint8_t *e1 = tsct_test_slurp(tmp("rt.edf"), &s1);
    for (int64_t i = 0; i < R * C; i++)
        d[i] = -d[i];
    CHECK_OK(tsct_image_write_edf(tmp("rt2.edf"), d, R, C, &err), &err);
    uint8_t *e2 = tsct_test_slurp(tmp("rt2.edf"), &s2);
    uint8_t *both = malloc(s1 + s2);
    memcpy(both, e1, s1);
    memcpy(both + s1, e2, s2);
    tsct_test_spit(tmp("two.edf"), both, s1 + s2);
    int64_t nf = 0;
    CHECK_OK(tsct_image_count_frames(tmp("two.edf"), NULL, &nf, &err), &err);
    CHECK(nf == 2);
    tsct_image_read_params p = TSCT_IMAGE_READ_PARAMS_DEFAULT;
    p.frame = 1;
    CHECK_OK(tsct_image_read(&img, tmp("two.edf"), &p, &err), &err);
    CHECK(img.frame == 1 && memcmp(img.data, d, sizeof(float) * R * C) == 0);
    p.frame = 2;
    CHECK_FAILS(tsct_image_read(&img, tmp("two.edf"), &p, &err), TSCT_ERR_VALUE, &err, "frame[2]");
    free(e1);
    free(e2);
    free(both);

    /* big-endian signed short EDF written by hand */
    {
        char h[512];
        memset(h, ' ', sizeof h);
        const char *body = "{\nByteOrder = HighByteFirst ;\nDataType = SignedShort ;\n"
                           "Dim_1 = 3 ;\nDim_2 = 2 ;\nSize = 12 ;\n";
        memcpy(h, body, strlen(body));
        h[510] = '}';
        h[511] = '\n';
        uint8_t buf[524];
        memcpy(buf, h, 512);
        const int16_t v[6] = {1, -2, 300, -32768, 32767, 0};
        for (int i = 0; i < 6; i++) {
            buf[512 + 2 * i] = (uint8_t)((uint16_t)v[i] >> 8);
            buf[513 + 2 * i] = (uint8_t)((uint16_t)v[i] & 0xff);
        }
        CHECK_OK(tsct_image_decode(&img, buf, sizeof buf, NULL, &err), &err);
        CHECK(img.raw_dtype == TSCT_IMAGE_DTYPE_I16 && img.rows == 2 && img.cols == 3);
        for (int i = 0; i < 6; i++)
            CHECK(img.data[i] == (float)v[i]);
    }

    /* npy: versions 2.0 and 3.0, big-endian int16, bool, 3-D stack */
    {
        uint8_t buf[256];
        const char *dict = "{'descr': '>i2', 'fortran_order': False, 'shape': (2, 2, 3), }";
        for (int ver = 1; ver <= 3; ver++) {
            size_t pre = ver == 1 ? 10 : 12, dl = strlen(dict);
            size_t hl = ((pre + dl + 1 + 15) / 16) * 16 - pre;
            memset(buf, ' ', sizeof buf);
            memcpy(buf, "\x93NUMPY", 6);
            buf[6] = (uint8_t)ver;
            buf[7] = 0;
            buf[8] = (uint8_t)hl;
            buf[9] = 0;
            if (ver > 1)
                buf[10] = buf[11] = 0;
            memcpy(buf + pre, dict, dl);
            buf[pre + hl - 1] = '\n';
            uint8_t *data = buf + pre + hl;
            for (int i = 0; i < 12; i++) {
                int16_t x = (int16_t)(i * 1000 - 5000);
                data[2 * i] = (uint8_t)((uint16_t)x >> 8);
                data[2 * i + 1] = (uint8_t)((uint16_t)x & 0xff);
            }
            p.frame = 1;
            CHECK_OK(tsct_image_decode(&img, buf, pre + hl + 24, &p, &err), &err);
            CHECK(img.rows == 2 && img.cols == 3 && img.raw_dtype == TSCT_IMAGE_DTYPE_I16);
            CHECK(img.data[0] == 6 * 1000 - 5000 && img.data[5] == 11 * 1000 - 5000);
            p.frame = 2;
            CHECK_FAILS(tsct_image_decode(&img, buf, pre + hl + 24, &p, &err), TSCT_ERR_VALUE,
                        &err, "frame");
        }
        p.frame = 0;
    }

    /* TIFF: two pages, tiled, deflate, big-endian int16; page 1 is read */
    {
        TIFF *t = TIFFOpen(tmp("tiles.tif"), "wb");
        CHECK(t != NULL);
        const uint32_t W = 40, H = 35;
        for (int page = 0; t && page < 2; page++) {
            TIFFSetField(t, TIFFTAG_IMAGEWIDTH, W);
            TIFFSetField(t, TIFFTAG_IMAGELENGTH, H);
            TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
            TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 16);
            TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_INT);
            TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
            TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
            TIFFSetField(t, TIFFTAG_TILEWIDTH, 16);
            TIFFSetField(t, TIFFTAG_TILELENGTH, 16);
            int16_t tile[256];
            for (uint32_t y = 0; y < H; y += 16)
                for (uint32_t x = 0; x < W; x += 16) {
                    for (uint32_t r = 0; r < 16; r++)
                        for (uint32_t c = 0; c < 16; c++)
                            tile[r * 16 + c] = (int16_t)((y + r) * 100 - (int)(x + c) * 3 -
                                                         page * 7);
                    TIFFWriteTile(t, tile, x, y, 0, 0);
                }
            TIFFWriteDirectory(t);
        }
        if (t)
            TIFFClose(t);
        CHECK_OK(tsct_image_count_frames(tmp("tiles.tif"), NULL, &nf, &err), &err);
        CHECK(nf == 2);
        p.frame = 1;
        CHECK_OK(tsct_image_read(&img, tmp("tiles.tif"), &p, &err), &err);
        CHECK(img.rows == H && img.cols == W && img.raw_dtype == TSCT_IMAGE_DTYPE_I16);
        int bad = 0;
        for (uint32_t y = 0; y < H; y++)
            for (uint32_t x = 0; x < W; x++)
                bad += img.data[y * W + x] != (float)(int16_t)(y * 100 - (int)x * 3 - 7);
        CHECK(bad == 0);
        p.frame = 5;
        CHECK_FAILS(tsct_image_read(&img, tmp("tiles.tif"), &p, &err), TSCT_ERR_VALUE, &err,
                    "2 pages");
        p.frame = 0;
    }
    free(d);
    tsct_image_release(&img);
}

/* ---- 4. bad input ------------------------------------------------------------------------- */

/* Decode every prefix at `ncuts` cut points below `good_from`: each must fail cleanly. */
static void check_cuts(const char *what, const uint8_t *buf, size_t good_from, int ncuts)
{
    tsct_image img;
    tsct_image_init(&img);
    tsct_error err = TSCT_ERROR_INIT;
    int failures = 0;
    for (int k = 0; k < ncuts; k++) {
        /* dense near the start (headers), spread over the data */
        size_t cut = k < ncuts / 2 ? (size_t)k * 7 : (size_t)((double)(k - ncuts / 2) /
                                                               (ncuts / 2) * good_from);
        if (cut >= good_from)
            continue;
        uint8_t *copy = malloc(cut ? cut : 1);   /* exact-size copy: ASan sees any overread */
        memcpy(copy, buf, cut);
        tsct_error_clear(&err);
        tsct_status st = tsct_image_decode(&img, copy, cut, NULL, &err);
        if (st == TSCT_OK || err.message[0] == '\0') {
            failures++;
            fprintf(stderr, "%s cut at %zu: status %s, message \"%s\"\n", what, cut,
                    tsct_strerror(st), err.message);
        }
        free(copy);
    }
    CHECK_MSG(failures == 0, "%s: %d truncated inputs were accepted", what, failures);
    tsct_image_release(&img);
}

static void replace(uint8_t *buf, size_t size, const char *from, const char *to)
{
    uint8_t *p = memmem(buf, size, from, strlen(from));
    CHECK(p != NULL && strlen(from) == strlen(to));
    if (p)
        memcpy(p, to, strlen(to));
}

static void check_bad_cbf(void)
{
    size_t size;
    uint8_t *buf = tsct_test_slurp(CBF_PATH, &size);
    CHECK(buf != NULL);
    if (!buf)
        return;
    uint8_t *bin = memmem(buf, size, "\x0c\x1a\x04\xd5", 4);
    size_t bin_end = (size_t)(bin + 4 - buf) + 3243437;
    check_cuts("CBF", buf, bin_end, 200);

    tsct_image img;
    tsct_image_init(&img);
    tsct_error err = TSCT_ERROR_INIT;
    uint8_t *c = malloc(size);
#define MUTATE(from, to, status, needle)                                         \
    do {                                                                         \
        memcpy(c, buf, size);                                                    \
        replace(c, size, from, to);                                              \
        CHECK_FAILS(tsct_image_decode(&img, c, size, NULL, &err), status, &err, needle); \
    } while (0)
    MUTATE("X-Binary-Size: 3243437", "X-Binary-Size: 3243438", TSCT_ERR_FORMAT, "X-Binary-Size");
    MUTATE("X-Binary-Size: 3243437", "X-Binary-Size: 3243436", TSCT_ERR_FORMAT, "x-CBF_BYTE_OFFSET");
    MUTATE("X-Binary-Size: 3243437", "X-Binary-Size: 9243437", TSCT_ERR_FORMAT, "truncated");
    MUTATE("X-Binary-Size: 3243437", "X-Binary-Size: -243437", TSCT_ERR_FORMAT, "X-Binary-Size");
    MUTATE("Fastest-Dimension: 1475", "Fastest-Dimension: 1476", TSCT_ERR_FORMAT,
           "X-Binary-Number-of-Elements");
    MUTATE("X-Binary-Number-of-Elements: 2476525", "X-Binary-Number-of-Elements: 2476526",
           TSCT_ERR_FORMAT, "X-Binary-Number-of-Elements");
    MUTATE("X-Binary-Number-of-Elements: 2476525", "X-Binary-Number-of-Elements: 0000000",
           TSCT_ERR_FORMAT, "X-Binary-Number-of-Elements");
    MUTATE("Fastest-Dimension: 1475", "Fastest-Dimension: 0000", TSCT_ERR_SHAPE,
           "X-Binary-Size-Second-Dimension");
    MUTATE("Second-Dimension: 1679", "Second-Dimension: 9e99", TSCT_ERR_FORMAT,
           "Second-Dimension");
    MUTATE("x-CBF_BYTE_OFFSET", "x-CBF_PACKED_V2__", TSCT_ERR_UNSUPPORTED, "Content-Type");
    MUTATE("signed 32-bit integer", "signed 32-bit real   ", TSCT_ERR_UNSUPPORTED,
           "X-Binary-Element-Type");
    MUTATE("X-Binary-Size:", "X-Binary-Sise:", TSCT_ERR_FORMAT, "X-Binary-Size");
    /* corrupt stream: an escape at the very end of the data overruns */
    memcpy(c, buf, size);
    memset(bin + 4 - buf + c + 3243437 - 40, 0x80, 40);
    CHECK_FAILS(tsct_image_decode(&img, c, size, NULL, &err), TSCT_ERR_FORMAT, &err,
                "x-CBF_BYTE_OFFSET[");
    /* a huge image is refused before allocation */
    memcpy(c, buf, size);
    replace(c, size, "Fastest-Dimension: 1475", "Fastest-Dimension: 9999");
    replace(c, size, "Second-Dimension: 1679", "Second-Dimension: 9999");
    tsct_image_read_params p = TSCT_IMAGE_READ_PARAMS_DEFAULT;
    p.max_pixels = 1000000;
    CHECK_FAILS(tsct_image_decode(&img, c, size, &p, &err), TSCT_ERR_SHAPE, &err, "limit");
    /* a file on disk: the message names it */
    memcpy(c, buf, size);
    replace(c, size, "X-Binary-Size: 3243437", "X-Binary-Size: 3243436");
    tsct_test_spit(tmp("bad.cbf"), c, size);
    CHECK_FAILS(tsct_image_read(&img, tmp("bad.cbf"), NULL, &err), TSCT_ERR_FORMAT, &err, "bad.cbf");
    free(c);
    free(buf);
    tsct_image_release(&img);
}

static void check_bad_edf(void)
{
    size_t size;
    uint8_t *buf = tsct_test_slurp(EDF_PATH, &size);
    CHECK(buf != NULL);
    if (!buf)
        return;
    check_cuts("EDF", buf, size, 200);
    tsct_image img;
    tsct_image_init(&img);
    tsct_error err = TSCT_ERROR_INIT;
    uint8_t *c = malloc(size);
    MUTATE("Dim_1 = 1475", "Dim_1 = 1476", TSCT_ERR_FORMAT, "Size");
    MUTATE("Dim_1 = 1475", "Dim_1 = 0000", TSCT_ERR_SHAPE, "Dim_1");
    MUTATE("Dim_1 = 1475", "Dim_1 = -147", TSCT_ERR_FORMAT, "Dim_1");
    MUTATE("Dim_2 = 1679 ;", "Dim_2 = 9e99 ;", TSCT_ERR_FORMAT, "Dim_2");
    MUTATE("DataType = UnsignedByte", "DataType = UnsignedBits", TSCT_ERR_UNSUPPORTED, "DataType");
    MUTATE("DataType", "DataKind", TSCT_ERR_FORMAT, "DataType");
    MUTATE("ByteOrder = LowByteFirst", "ByteOrder = MidByteFirst", TSCT_ERR_FORMAT, "ByteOrder");
    MUTATE("EDF_BinarySize = 2476525", "EDF_BinarySize = 2476524", TSCT_ERR_FORMAT, "Size");
    MUTATE("EDF_BinarySize = 2476525", "EDF_BinarySize = 9476525", TSCT_ERR_FORMAT, "truncated");
    MUTATE("DataType = UnsignedByte", "DataType = DoubleValue ", TSCT_ERR_FORMAT, "Size");
    MUTATE("{", "x", TSCT_ERR_UNSUPPORTED, "format");
    /* huge dimensions: refused by the pixel limit, no overflow */
    memcpy(c, buf, size);
    replace(c, size, "Dim_1 = 1475 ;\nDim_2 = 1679", "Dim_1 = 4e9  ;\nDim_2 = 9999");
    CHECK_FAILS(tsct_image_decode(&img, c, size, NULL, &err), TSCT_ERR_FORMAT, &err, "Dim_1");
    memcpy(c, buf, size);
    replace(c, size, "Dim_1 = 1475 ;\nDim_2 = 1679 ;", "Dim_1=1099511627776;Dim_2=99;");
    CHECK_FAILS(tsct_image_decode(&img, c, size, NULL, &err), TSCT_ERR_SHAPE, &err, "Dim_2");
    /* the 2nd block of a two-frame file truncated: frame 0 reads, frame 1 fails */
    uint8_t *two = malloc(2 * size);
    memcpy(two, buf, size);
    memcpy(two + size, buf, size - 1000);
    tsct_image_read_params p = TSCT_IMAGE_READ_PARAMS_DEFAULT;
    CHECK_OK(tsct_image_decode(&img, two, 2 * size - 1000, &p, &err), &err);
    p.frame = 1;
    CHECK_FAILS(tsct_image_decode(&img, two, 2 * size - 1000, &p, &err), TSCT_ERR_FORMAT, &err,
                "truncated");
    free(two);
    free(c);
    free(buf);
    tsct_image_release(&img);
}

static void check_bad_tiff(void)
{
    const char *files[] = {TIF_PATH, DATA "/tomography/sarepy_sinogram_360_neutron_image.tif",
                           DATA "/detector_images/lightform_Pixium_DLS_I12/DLS_CeO2_1200mm.mask.tif"};
    for (int k = 0; k < 3; k++) {
        size_t size;
        uint8_t *buf = tsct_test_slurp(files[k], &size);
        CHECK(buf != NULL);
        if (!buf)
            continue;
        check_cuts(files[k], buf, size, 120);
        free(buf);
    }
    /* random garbage after a TIFF magic */
    tsct_image img;
    tsct_image_init(&img);
    tsct_error err = TSCT_ERROR_INIT;
    uint8_t junk[256];
    for (int i = 0; i < 256; i++)
        junk[i] = (uint8_t)(i * 73 + 11);
    memcpy(junk, "II*\0", 4);
    /* libtiff's complaints go into the error, never to stderr */
    fflush(stderr);
    int saved = dup(2);
    FILE *cap = fopen(tmp("stderr.txt"), "w+");
    dup2(fileno(cap), 2);
    tsct_error_clear(&err);
    tsct_status st = tsct_image_decode(&img, junk, sizeof junk, NULL, &err);
    size_t tsize;
    uint8_t *tif = tsct_test_slurp(TIF_PATH, &tsize);
    tsct_test_spit(tmp("cut.tif"), tif, tsize / 2);
    tsct_error e2 = TSCT_ERROR_INIT;
    tsct_status st2 = tsct_image_read(&img, tmp("cut.tif"), NULL, &e2);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    long printed = ftell(cap);
    fclose(cap);
    CHECK_MSG(st == TSCT_ERR_FORMAT && strstr(err.message, "TIFF"), "%s", err.message);
    CHECK_MSG(st2 == TSCT_ERR_FORMAT && strstr(e2.message, "cut.tif") && strstr(e2.message, "libtiff"),
              "%s", e2.message);
    CHECK_MSG(printed == 0, "libtiff printed %ld bytes to stderr", printed);
    free(tif);
    /* truncated EDF on disk (the pread path) */
    size_t esize;
    uint8_t *edf = tsct_test_slurp(EDF_PATH, &esize);
    tsct_test_spit(tmp("cut.edf"), edf, esize - 1);
    CHECK_FAILS(tsct_image_read(&img, tmp("cut.edf"), NULL, &err), TSCT_ERR_FORMAT, &err, "cut.edf");
    tsct_test_spit(tmp("cut.edf"), edf, 300);
    CHECK_FAILS(tsct_image_read(&img, tmp("cut.edf"), NULL, &err), TSCT_ERR_FORMAT, &err, "truncated");
    free(edf);
    tsct_image_release(&img);
}

static void check_bad_npy(void)
{
    tsct_image img;
    tsct_image_init(&img);
    tsct_error err = TSCT_ERROR_INIT;
    float d[6] = {1, 2, 3, 4, 5, 6};
    CHECK_OK(tsct_image_write_npy(tmp("ok.npy"), d, 2, 3, &err), &err);
    size_t size;
    uint8_t *buf = tsct_test_slurp(tmp("ok.npy"), &size);
    check_cuts("npy", buf, size, 80);
    uint8_t *c = malloc(size);
    MUTATE("'<f4'", "'<c8'", TSCT_ERR_UNSUPPORTED, "descr");
    MUTATE("'<f4'", "'<f2'", TSCT_ERR_UNSUPPORTED, "descr");
    MUTATE("'<f4'", "'<U4'", TSCT_ERR_UNSUPPORTED, "descr");
    MUTATE("False", "True ", TSCT_ERR_UNSUPPORTED, "fortran_order");
    MUTATE("(2, 3)", "(0, 3)", TSCT_ERR_SHAPE, "shape");
    MUTATE("(2, 3)", "(2, 4)", TSCT_ERR_FORMAT, "truncated");
    MUTATE("(2, 3)", "(2,)  ", TSCT_ERR_SHAPE, "shape");
    MUTATE("(2, 3)", "(2; 3)", TSCT_ERR_FORMAT, "shape");
    MUTATE("'descr'", "'dascr'", TSCT_ERR_FORMAT, "dascr");
    free(c);
    /* huge shapes: no overflow, refused by the limit */
    const char *huge[] = {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
                          "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 2), }",
                          "{'descr': '<f8', 'fortran_order': False, 'shape': (1048576, 65536, 65536), }"};
    for (int k = 0; k < 3; k++) {
        uint8_t h[256];
        size_t dl = strlen(huge[k]);
        memcpy(h, "\x93NUMPY\x01\x00", 8);
        h[8] = (uint8_t)(dl + 1);
        h[9] = 0;
        memcpy(h + 10, huge[k], dl);
        h[10 + dl] = '\n';
        tsct_error_clear(&err);
        tsct_status st = tsct_image_decode(&img, h, 11 + dl, NULL, &err);
        CHECK_MSG(st == TSCT_ERR_SHAPE || st == TSCT_ERR_FORMAT, "huge %d: %s", k, err.message);
        CHECK(strstr(err.message, "shape") != NULL);
    }
    free(buf);
    tsct_image_release(&img);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s", tsct_test_tmpdir(TSCT_TEST_TMP));
    check_reference();
    check_headers();
    check_byte_offset();
    check_round_trips();
    check_bad_cbf();
    check_bad_edf();
    check_bad_tiff();
    check_bad_npy();
    return tsct_test_finish("test_image");
}
