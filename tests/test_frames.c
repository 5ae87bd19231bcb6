/* test_frames.c - frame sources (tsct/frames.h) and the CBF byte-offset kernels.
 *
 * 1. Every CBF kernel variant gives the reference loop's values, element count and consumed
 *    bytes, exactly, on random streams of every escape width (1, 2, 4, 8 bytes, with sums
 *    that wrap), on every truncation of them, and on the real Pilatus 2M frame.
 * 2. Frames from image files, HDF5 datasets (any type, slices), a Dectris master (bitshuffle-LZ4
 *    and LZ4 data files, metadata, pixel mask, overflow rule) and a BLISS virtual dataset equal
 *    h5py's reading of the same files exactly (tests/data/frames/reference_*.npy, written by
 *    make_frames.py; test_frames_peer.py checks they are still what h5py reads).
 * 3. Bad input: a missing data file, a missing VDS source, corrupt and truncated chunks, byte
 *    flips inside chunks (fault injection, 300 cases), bad slices and indices: a status and a
 *    message naming the file, dataset and frame, never a crash or silent zeros.
 * 4. Two threads reading the same series at once get the same frames. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/image_internal.h"
#include "tsct/frames.h"
#include "tsct/image.h"
#include "tsct_test.h"

#define DATA TSCT_TEST_DATA
#define FR DATA "/frames/"
#define CBF_PATH DATA "/detector_images/ndtomo_CeO2_Pilatus2M/CeO2.cbf"
enum { R = 23, C = 17 };

static const char *tmp(const char *name)
{
    static char buf[8][4096];
    static int k = 0;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tsct_test_tmpdir(TSCT_TEST_TMP), name);
    return buf[k];
}


static void copy(const char *from, const char *to)
{
    size_t n;
    uint8_t *b = tsct_test_slurp(from, &n);
    CHECK_MSG(b && tsct_test_spit(to, b, n) == 0, "copy %s -> %s", from, to);
    free(b);
}

/* ---- 1. CBF kernels ------------------------------------------------------------------------ */

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Append one delta with the escape width w (1, 2, 4, 8 bytes). */
static size_t put_delta(uint8_t *p, int w, int64_t d)
{
    if (w == 1) {
        p[0] = (uint8_t)(int8_t)d;
        return 1;
    }
    p[0] = 0x80;
    if (w == 2) {
        p[1] = (uint8_t)d;
        p[2] = (uint8_t)(d >> 8);
        return 3;
    }
    p[1] = 0x00;
    p[2] = 0x80;
    if (w == 4) {
        for (int k = 0; k < 4; k++)
            p[3 + k] = (uint8_t)((uint64_t)d >> (8 * k));
        return 7;
    }
    p[3] = p[4] = p[5] = 0;
    p[6] = 0x80;
    for (int k = 0; k < 8; k++)
        p[7 + k] = (uint8_t)((uint64_t)d >> (8 * k));
    return 15;
}

/* A stream of n elements: runs of one-byte deltas and clusters of escapes of every width;
 * one-byte deltas include 0x7F/0x81 neighbours of the escape byte, two-byte payloads include
 * 0x80 bytes (which must not be taken for escapes). */
static size_t make_stream(uint8_t *s, int64_t n, int mix)
{
    size_t len = 0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t r = rnd();
        int w = 1;
        int pct = (int)(r % 100);
        if (pct < mix)
            w = pct % 7 == 0 ? 4 : pct % 11 == 0 ? 8 : 2;
        int64_t d;
        if (w == 1) {
            d = (int64_t)((r >> 8) % 255) - 127;   /* -127 .. 127: never 0x80 */
        } else if (w == 2) {
            static const int64_t special[] = {0x0080, -0x7f80, 0x7fff, -0x7fff, 0x1280, -200};
            d = (r >> 20) % 3 == 0 ? special[(r >> 24) % 6] : (int64_t)((r >> 8) % 65535) - 32767;
        } else if (w == 4) {
            d = (int64_t)(int32_t)(uint32_t)(r >> 16);
            if (d == INT32_MIN)
                d = 1;
        } else {
            d = (int64_t)(r >> 3) - (INT64_C(1) << 59);   /* wraps modulo 2^32 */
        }
        len += put_delta(s + len, w, d);
    }
    return len;
}

static void check_cbf_kernels(void)
{
    const tsct__cbf_kernels *ref = &tsct__cbf_kernels_reference;
    const tsct__cbf_kernels *var[] = {&tsct__cbf_kernels_avx2};
    const int64_t nmax = 4000;
    uint8_t *s = malloc((size_t)nmax * 15 + 64);
    int32_t *a = malloc(sizeof(int32_t) * (size_t)nmax), *b = malloc(sizeof(int32_t) * (size_t)nmax);
    float *fa = malloc(sizeof(float) * (size_t)nmax), *fb = malloc(sizeof(float) * (size_t)nmax);
    int variants_run = 0;
    for (size_t v = 0; v < sizeof var / sizeof var[0]; v++) {
        if (!var[v]->name)
            continue;
        variants_run++;
        for (int trial = 0; trial < 400; trial++) {
            int64_t n = 1 + (int64_t)(rnd() % (uint64_t)nmax);
            int mix = (int)(rnd() % 5) == 0 ? 0 : (int)(rnd() % 101);
            size_t len = make_stream(s, n, mix);
            /* whole, truncated anywhere, and asked for more elements than the stream holds */
            size_t cut = trial % 3 == 0 ? (size_t)(rnd() % (len + 1)) : len;
            int64_t want = trial % 5 == 0 ? n + 3 : n;
            if (want > nmax)
                want = nmax;
            size_t ua = 0, ub = 0;
            int64_t ga = ref->decode_i32(s, cut, a, want, &ua);
            int64_t gb = var[v]->decode_i32(s, cut, b, want, &ub);
            CHECK_MSG(ga == gb && ua == ub, "%s trial %d: %lld/%zu vs reference %lld/%zu",
                      var[v]->name, trial, (long long)gb, ub, (long long)ga, ua);
            CHECK_MSG(memcmp(a, b, sizeof *a * (size_t)(ga < gb ? ga : gb)) == 0,
                      "%s trial %d: int32 values differ", var[v]->name, trial);
            ga = ref->decode_f32(s, cut, fa, want, &ua);
            gb = var[v]->decode_f32(s, cut, fb, want, &ub);
            CHECK_MSG(ga == gb && ua == ub && memcmp(fa, fb, sizeof *fa * (size_t)ga) == 0,
                      "%s trial %d: float path differs", var[v]->name, trial);
        }
        /* the real frame */
        size_t size;
        uint8_t *file = tsct_test_slurp(CBF_PATH, &size);
        const uint8_t *mark = file ? memmem(file, size, "\x0c\x1a\x04\xd5", 4) : NULL;
        CHECK(mark != NULL);
        if (mark) {
            const uint8_t *bin = mark + 4;
            size_t bsize = 3243437;   /* X-Binary-Size of CeO2.cbf */
            int64_t n = 1679 * 1475;
            float *x = malloc(sizeof(float) * (size_t)n), *y = malloc(sizeof(float) * (size_t)n);
            size_t ux, uy;
            CHECK(ref->decode_f32(bin, bsize, x, n, &ux) == n && ux == bsize);
            CHECK(var[v]->decode_f32(bin, bsize, y, n, &uy) == n && uy == bsize);
            CHECK(memcmp(x, y, sizeof(float) * (size_t)n) == 0);
            free(x);
            free(y);
        }
        free(file);
    }
#if defined(__x86_64__)
    /* On this project's machines the AVX2 kernel exists and is the one chosen. */
    CHECK(variants_run == 1);
    if (__builtin_cpu_supports("avx2") && !getenv("TSCT_CBF_KERNELS"))
        CHECK(strcmp(tsct__cbf_kernels_select()->name, "avx2") == 0);
#endif
    free(s);
    free(a);
    free(b);
    free(fa);
    free(fb);
}

/* ---- 2. sources against h5py ----------------------------------------------------------------- */

/* Reference stack (float32 [n][R][C] npy) read by tsct's npy reader, frame by frame. */
static float *load_ref(const char *name, int64_t *n)
{
    tsct_error err = TSCT_ERROR_INIT;
    char path[4096];
    snprintf(path, sizeof path, FR "%s", name);
    CHECK_OK(tsct_image_count_frames(path, NULL, n, &err), &err);
    float *all = malloc(sizeof(float) * (size_t)(*n > 0 ? *n : 1) * R * C);
    tsct_image img;
    tsct_image_init(&img);
    for (int64_t k = 0; k < *n; k++) {
        tsct_image_read_params p = TSCT_IMAGE_READ_PARAMS_DEFAULT;
        p.frame = k;
        CHECK_OK(tsct_image_read(&img, path, &p, &err), &err);
        CHECK(img.rows == R && img.cols == C);
        if (img.rows == R && img.cols == C)
            memcpy(all + k * R * C, img.data, sizeof(float) * R * C);
    }
    tsct_image_release(&img);
    return all;
}

/* Open spec, expect nframes frames equal to reference frames idx[0..n-1] of `ref`. */
static void expect_frames(const char *spec, const float *ref, const int64_t *idx, int64_t n)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_frames *f = NULL;
    CHECK_OK(tsct_frames_open(&spec, 1, NULL, &f, &err), &err);
    if (!f)
        return;
    CHECK_MSG(tsct_frames_count(f) == n, "%s: %lld frames, expected %lld", spec,
              (long long)tsct_frames_count(f), (long long)n);
    int64_t rows, cols;
    tsct_frames_shape(f, &rows, &cols);
    CHECK(rows == R && cols == C);
    float buf[R * C];
    for (int64_t k = 0; k < n && k < tsct_frames_count(f); k++) {
        CHECK_OK(tsct_frames_read(f, k, buf, &err), &err);
        CHECK_MSG(memcmp(buf, ref + idx[k] * R * C, sizeof buf) == 0,
                  "%s: frame %lld differs from h5py's frame %lld", spec, (long long)k,
                  (long long)idx[k]);
    }
    tsct_frames_close(f);
}

static void check_hdf5_datasets(void)
{
    int64_t n;
    float *f64 = load_ref("reference_float64.npy", &n);
    CHECK(n == 4);
    const int64_t all[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    expect_frames(FR "stack.h5::/float64", f64, all, 4);
    /* the npy reference itself is an image source of 4 frames */
    expect_frames(FR "reference_float64.npy", f64, all, 4);
    const int64_t odd[2] = {1, 3};
    expect_frames(FR "reference_float64.npy[1::2]", f64, odd, 2);
    free(f64);

    float *i16 = load_ref("reference_int16.npy", &n);
    CHECK(n == 6);
    expect_frames(FR "stack.h5::/int16", i16, all, 6);
    const int64_t even[3] = {0, 2, 4}, last[1] = {5}, mid[3] = {1, 2, 3}, rev[2] = {3, 4};
    expect_frames(FR "stack.h5::/int16[::2]", i16, even, 3);
    expect_frames(FR "stack.h5::/int16[-1]", i16, last, 1);
    expect_frames(FR "stack.h5::/int16[1:4]", i16, mid, 3);
    expect_frames(FR "stack.h5::/int16[-3:-1]", i16, rev, 2);
    expect_frames(FR "stack.h5::/int16[3:100]", i16, (const int64_t[]){3, 4, 5}, 3);
    free(i16);

    float *one = load_ref("reference_single.npy", &n);
    expect_frames(FR "stack.h5::/single", one, all, 1);
    free(one);

    /* several specs: one series */
    tsct_error err = TSCT_ERROR_INIT;
    tsct_frames *f = NULL;
    const char *two[2] = {FR "stack.h5::/int16[0:2]", FR "stack.h5::/float64[3]"};
    CHECK_OK(tsct_frames_open(two, 2, NULL, &f, &err), &err);
    if (f) {
        CHECK(tsct_frames_count(f) == 3);
        const char *file, *dset;
        int64_t local;
        CHECK_OK(tsct_frames_locate(f, 2, &file, &dset, &local, &err), &err);
        CHECK(strstr(file, "stack.h5") && strcmp(dset, "/float64") == 0 && local == 3);
        tsct_frames_info info;
        tsct_frames_info_get(f, &info);
        CHECK(strcmp(info.kind, "hdf5") == 0 && info.dtype == TSCT_IMAGE_DTYPE_I16);
        CHECK(info.mask_negative == 1 && info.pixel_mask_count == -1);
        CHECK(tsct_frames_pixel_mask(f) == NULL);
        /* float data: negatives are not masked by default; int16: they are */
        float buf[R * C];
        uint8_t m[R * C];
        int64_t nm = -1, neg = 0;
        CHECK_OK(tsct_frames_read(f, 2, buf, &err), &err);
        CHECK_OK(tsct_frames_mask(f, 2, buf, m, &nm, &err), &err);
        CHECK(nm == 0);
        CHECK_OK(tsct_frames_read(f, 0, buf, &err), &err);
        for (int i = 0; i < R * C; i++)
            neg += buf[i] < 0;
        CHECK_OK(tsct_frames_mask(f, 0, buf, m, &nm, &err), &err);
        CHECK(neg > 0 && nm == neg);
        CHECK_FAILS(tsct_frames_read(f, 3, buf, &err), TSCT_ERR_VALUE, &err, "has 3 frames");
        CHECK_FAILS(tsct_frames_read(f, -1, buf, &err), TSCT_ERR_VALUE, &err, "out of range");
        tsct_frames_close(f);
    }
}

static void check_dectris(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    int64_t n;
    float *ref = load_ref("reference_dectris.npy", &n);
    CHECK(n == 5);
    const int64_t all[5] = {0, 1, 2, 3, 4};
    expect_frames(FR "dectris_master.h5", ref, all, 5);
    const int64_t sl[3] = {0, 2, 4}, across[3] = {2, 3, 4};
    expect_frames(FR "dectris_master.h5[::2]", ref, sl, 3);
    expect_frames(FR "dectris_master.h5[2:]", ref, across, 3);
    /* a data file alone, as any dataset */
    expect_frames(FR "dectris_data_000002.h5::/entry/data/data", ref, across + 1, 2);

    tsct_frames *f = NULL;
    const char *spec = FR "dectris_master.h5[::2]";
    CHECK_OK(tsct_frames_open(&spec, 1, NULL, &f, &err), &err);
    if (f) {
        tsct_frames_info in;
        tsct_frames_info_get(f, &in);
        CHECK(strcmp(in.kind, "dectris") == 0);
        CHECK(in.nframes == 3 && in.rows == R && in.cols == C);
        CHECK(in.dtype == TSCT_IMAGE_DTYPE_U32);
        CHECK_NEAR(in.pixel1, 75e-6, 0);
        CHECK_NEAR(in.pixel2, 75e-6, 0);
        CHECK_NEAR(in.distance, 0.1873, 0);
        CHECK_NEAR(in.count_time, 0.0999, 0);
        CHECK_NEAR(in.wavelength, 0.7085e-10, 1e-25);   /* 0.7085 A times 1e-10, rounded once */
        CHECK_NEAR(in.beam_center_x, 8.25, 0);
        CHECK_NEAR(in.beam_center_y, 11.5, 0);
        CHECK(in.bit_depth == 32);
        CHECK(strstr(in.detector, "EIGER2") != NULL);
        CHECK_NEAR(in.mask_overflow, 4294967295.0, 0);
        CHECK(in.mask_negative == 1);
        /* the pixel mask is h5py's pixel_mask != 0 */
        tsct_image mimg;
        tsct_image_init(&mimg);
        CHECK_OK(tsct_image_read(&mimg, FR "reference_dectris_mask.npy", NULL, &err), &err);
        const uint8_t *pm = tsct_frames_pixel_mask(f);
        CHECK(pm != NULL);
        int64_t npm = 0, same = 0;
        for (int i = 0; pm && i < R * C; i++) {
            npm += pm[i];
            same += pm[i] == (mimg.data[i] != 0);
        }
        CHECK(same == R * C && npm == in.pixel_mask_count && npm == R + 1);
        tsct_image_release(&mimg);
        /* frame 2 of the slice is frame 1 of the second data file */
        const char *file, *dset;
        int64_t local;
        CHECK_OK(tsct_frames_locate(f, 2, &file, &dset, &local, &err), &err);
        CHECK(strstr(file, "dectris_data_000002.h5") && strcmp(dset, "/entry/data/data") == 0 &&
              local == 1);
        /* mask of the last frame: pixel mask, hot pixel, saturated patch (2^32 - 1) */
        float buf[R * C];
        uint8_t m[R * C];
        int64_t nm = 0, want = 0;
        CHECK_OK(tsct_frames_read(f, 2, buf, &err), &err);
        CHECK_OK(tsct_frames_mask(f, 2, buf, m, &nm, &err), &err);
        for (int i = 0; i < R * C; i++)
            want += pm[i] || ref[4 * R * C + i] == 4294967296.0f;
        CHECK_MSG(nm == want && want == R + 1 + 1 + 12 - (pm[5 * C + 7] ? 1 : 0),
                  "masked %lld, expected %lld", (long long)nm, (long long)want);
        tsct_frames_close(f);
    }
    free(ref);

    /* LZ4 (32004), uint16, bit depth 16: overflow 65535 */
    float *lz = load_ref("reference_lz4.npy", &n);
    CHECK(n == 4);
    expect_frames(FR "lz4_master.h5", lz, all, 4);
    spec = FR "lz4_master.h5";
    f = NULL;
    CHECK_OK(tsct_frames_open(&spec, 1, NULL, &f, &err), &err);
    if (f) {
        tsct_frames_info in;
        tsct_frames_info_get(f, &in);
        CHECK(in.bit_depth == 16 && in.mask_overflow == 65535.0 &&
              in.dtype == TSCT_IMAGE_DTYPE_U16);
        /* parameters: no overflow rule, no pixel mask */
        tsct_frames_close(f);
        tsct_frames_params p = TSCT_FRAMES_PARAMS_DEFAULT;
        p.mask_overflow = 0;
        p.use_pixel_mask = 0;
        f = NULL;
        CHECK_OK(tsct_frames_open(&spec, 1, &p, &f, &err), &err);
        float buf[R * C];
        uint8_t m[R * C];
        int64_t nm = -1;
        CHECK(f && tsct_frames_pixel_mask(f) == NULL);
        if (f) {
            CHECK_OK(tsct_frames_read(f, 0, buf, &err), &err);
            CHECK_OK(tsct_frames_mask(f, 0, buf, m, &nm, &err), &err);
            CHECK(nm == 0);
        }
        tsct_frames_close(f);
    }
    free(lz);
}

static void check_bliss(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    int64_t n;
    float *ref = load_ref("reference_bliss.npy", &n);
    CHECK(n == 5);
    const int64_t all[5] = {0, 1, 2, 3, 4}, tail[2] = {3, 4};
    expect_frames(FR "bliss.h5::/1.1/measurement/pilatus", ref, all, 5);
    expect_frames(FR "bliss.h5::/1.1/measurement/pilatus[3:]", ref, tail, 2);
    tsct_frames *f = NULL;
    const char *spec = FR "bliss.h5::/1.1/measurement/pilatus";
    CHECK_OK(tsct_frames_open(&spec, 1, NULL, &f, &err), &err);
    if (f) {
        tsct_frames_info in;
        tsct_frames_info_get(f, &in);
        CHECK(in.virtual_dataset == 1 && in.dtype == TSCT_IMAGE_DTYPE_I32 &&
              in.mask_negative == 1);
        float buf[R * C];
        uint8_t m[R * C];
        int64_t nm;
        CHECK_OK(tsct_frames_read(f, 4, buf, &err), &err);
        CHECK_OK(tsct_frames_mask(f, 4, buf, m, &nm, &err), &err);
        CHECK(nm == R + 1);   /* gap column -1, bad pixel -2 */
        tsct_frames_close(f);
    }
    free(ref);

    /* a missing source file: an error naming it, not frames of zeros */
    mkdir(tmp("vds"), 0777);
    mkdir(tmp("vds/scan0001"), 0777);
    copy(FR "bliss.h5", tmp("vds/bliss.h5"));
    copy(FR "scan0001/pilatus_0000.h5", tmp("vds/scan0001/pilatus_0000.h5"));
    unlink(tmp("vds/scan0001/pilatus_0001.h5"));
    char sp[4200];
    snprintf(sp, sizeof sp, "%s::/1.1/measurement/pilatus", tmp("vds/bliss.h5"));
    const char *s2 = sp;
    f = NULL;
    CHECK_FAILS(tsct_frames_open(&s2, 1, NULL, &f, &err), TSCT_ERR_NOT_FOUND, &err,
                "scan0001/pilatus_0001.h5::/entry_0000/measurement/data, and that file is missing");
    CHECK(f == NULL);
}

/* ---- 3. bad input ---------------------------------------------------------------------------- */

static void check_bad_input(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_frames *f = NULL;
    const char *s;
#define OPEN_FAILS(spec, status, needle)                                                  \
    do {                                                                                  \
        s = (spec);                                                                       \
        f = NULL;                                                                         \
        CHECK_FAILS(tsct_frames_open(&s, 1, NULL, &f, &err), status, &err, needle);       \
        CHECK(f == NULL);                                                                 \
    } while (0)
    OPEN_FAILS(FR "stack.h5::/nothing", TSCT_ERR_NOT_FOUND, "stack.h5: /nothing: no such dataset");
    OPEN_FAILS(FR "stack.h5::/rank4", TSCT_ERR_SHAPE, "found 4 axes");
    OPEN_FAILS(FR "stack.h5::/text", TSCT_ERR_UNSUPPORTED, "expected integer or float pixels");
    OPEN_FAILS(FR "stack.h5", TSCT_ERR_NOT_FOUND, "not a Dectris master file");
    OPEN_FAILS(FR "stack.h5::/int16[1:2:0]", TSCT_ERR_VALUE, "step must be >= 1");
    OPEN_FAILS(FR "stack.h5::/int16[x]", TSCT_ERR_VALUE, "\"x\" is not an integer");
    OPEN_FAILS(FR "stack.h5::/int16[]", TSCT_ERR_VALUE, "empty frame slice");
    OPEN_FAILS(FR "stack.h5::/int16[6]", TSCT_ERR_VALUE, "the source has 6 frames");
    OPEN_FAILS(FR "stack.h5::/int16[4:2]", TSCT_ERR_VALUE, "selects no frame of 6");
    OPEN_FAILS(FR "stack.h5::/int16[1:2:3:4]", TSCT_ERR_VALUE, "expected [start:stop:step]");
    OPEN_FAILS(FR "nothing.h5::/data", TSCT_ERR_NOT_FOUND, "nothing.h5: no such file");
    OPEN_FAILS(FR "nothing.cbf", TSCT_ERR_NOT_FOUND, "nothing.cbf");
    OPEN_FAILS(FR "make_frames.py", TSCT_ERR_UNSUPPORTED, "make_frames.py: format");
    OPEN_FAILS(FR "chunks.txt::/data", TSCT_ERR_FORMAT, "chunks.txt: not an HDF5 file");
    /* shapes must agree */
    const char *mixed[2] = {FR "stack.h5::/int16", CBF_PATH};
    f = NULL;
    CHECK_OK(tsct_frames_open(mixed, 2, NULL, &f, &err), &err);
    if (f) {
        CHECK(tsct_frames_count(f) == 7);
        float buf[R * C];
        CHECK_FAILS(tsct_frames_read(f, 6, buf, &err), TSCT_ERR_SHAPE, &err,
                    "CeO2.cbf: X-Binary-Size-Second-Dimension[0]: frame 6 of the series: "
                    "expected a 23 x 17 frame");
        tsct_frames_close(f);
    }
    const char *mixed2[2] = {CBF_PATH, FR "stack.h5::/int16"};
    f = NULL;
    CHECK_FAILS(tsct_frames_open(mixed2, 2, NULL, &f, &err), TSCT_ERR_SHAPE, &err,
                "frames are 23 x 17, the first frames of the series are 1679 x 1475");

    /* Dectris: a missing data file */
    mkdir(tmp("eiger"), 0777);
    copy(FR "dectris_master.h5", tmp("eiger/dectris_master.h5"));
    copy(FR "dectris_data_000001.h5", tmp("eiger/dectris_data_000001.h5"));
    unlink(tmp("eiger/dectris_data_000002.h5"));
    OPEN_FAILS(tmp("eiger/dectris_master.h5"), TSCT_ERR_NOT_FOUND,
               "eiger/dectris_data_000002.h5: /entry/data/data: data file 2 of the master");

    /* a corrupt chunk: frame 1 of data file 2 (chunk offsets from chunks.txt) */
    int64_t off = -1, size = 0;
    FILE *t = fopen(FR "chunks.txt", "r");
    char name[256];
    long long fr, o, sz;
    while (t && fscanf(t, "%255s %lld %lld %lld", name, &fr, &o, &sz) == 4)
        if (strcmp(name, "dectris_data_000002.h5") == 0 && fr == 1) {
            off = o;
            size = sz;
        }
    if (t)
        fclose(t);
    CHECK(off > 0 && size > 16);
    size_t n;
    uint8_t *orig = tsct_test_slurp(FR "dectris_data_000002.h5", &n);
    CHECK(orig && (size_t)(off + size) <= n);
    uint8_t *bad = malloc(n);
    if (orig && off > 0 && (size_t)(off + size) <= n) {
        memcpy(bad, orig, n);
        memset(bad + off + 12, 0xA5, (size_t)size - 12);   /* keep bitshuffle's 12-byte header */
        char master[4096], data2[4096];
        snprintf(master, sizeof master, "%s", tmp("eiger/dectris_master.h5"));
        snprintf(data2, sizeof data2, "%s", tmp("eiger/dectris_data_000002.h5"));
        tsct_test_spit(data2, bad, n);
        s = master;
        f = NULL;
        CHECK_OK(tsct_frames_open(&s, 1, NULL, &f, &err), &err);
        if (f) {
            float buf[R * C];
            for (int k = 0; k < 4; k++)
                CHECK_OK(tsct_frames_read(f, k, buf, &err), &err);
            CHECK_FAILS(tsct_frames_read(f, 4, buf, &err), TSCT_ERR_FORMAT, &err,
                        "eiger/dectris_data_000002.h5: /entry/data/data[1]: cannot read frame 1 "
                        "(frame 4 of the series)");
            tsct_frames_close(f);
        }
        /* truncated inside the last chunk */
        tsct_test_spit(data2, orig, (size_t)(off + size / 2));
        f = NULL;
        tsct_error_clear(&err);
        tsct_status st = tsct_frames_open(&s, 1, NULL, &f, &err);
        if (st == TSCT_OK) {
            float buf[R * C];
            CHECK_FAILS(tsct_frames_read(f, 4, buf, &err), TSCT_ERR_FORMAT, &err,
                        "dectris_data_000002.h5: /entry/data/data[1]");
        } else {
            CHECK_MSG(st == TSCT_ERR_FORMAT && strstr(err.message, "dectris_data_000002.h5"),
                      "%s", err.message);
        }
        tsct_frames_close(f);

        /* Fault injection: bits flipped inside the chunks of data file 2. LZ4 has no checksum,
         * so a flipped literal decodes to other values; a broken block structure or header
         * must give an error. Either way: no crash, no other status. */
        int64_t nref;
        float *ref = load_ref("reference_dectris.npy", &nref);
        int errors = 0, changed = 0;
        for (int trial = 0; trial < 300; trial++) {
            memcpy(bad, orig, n);
            int nflip = 1 + (int)(rnd() % 4);
            for (int k = 0; k < nflip; k++) {
                size_t at = 6752 + (size_t)(rnd() % (uint64_t)(off + size - 6752));
                bad[at] ^= (uint8_t)(1u << (rnd() % 8));
            }
            tsct_test_spit(data2, bad, n);
            f = NULL;
            /* opening reads no chunk */
            CHECK_OK(tsct_frames_open(&s, 1, NULL, &f, &err), &err);
            if (!f)
                continue;
            float buf[R * C];
            for (int k = 3; k < 5; k++) {
                tsct_error_clear(&err);
                tsct_status rs = tsct_frames_read(f, k, buf, &err);
                CHECK_MSG(rs == TSCT_OK || (rs == TSCT_ERR_FORMAT &&
                                            strstr(err.message, "dectris_data_000002.h5")),
                          "trial %d frame %d: %s", trial, k, err.message);
                errors += rs != TSCT_OK;
                changed += rs == TSCT_OK && memcmp(buf, ref + k * R * C, sizeof buf) != 0;
            }
            tsct_frames_close(f);
        }
        printf("fault injection: %d reads failed cleanly, %d read other values\n", errors,
               changed);
        CHECK_MSG(errors > 0 && changed > 0, "the flips did not reach the data: %d errors, "
                  "%d changed frames", errors, changed);
        free(ref);
    }
    free(orig);
    free(bad);
}

/* ---- 4. threads -------------------------------------------------------------------------------- */

typedef struct reader {
    const tsct_frames *f;
    float *out;
    int failures;
} reader;

static void *read_all(void *arg)
{
    reader *r = arg;
    tsct_error err = TSCT_ERROR_INIT;
    int64_t n = tsct_frames_count(r->f);
    for (int round = 0; round < 3; round++)
        for (int64_t k = 0; k < n; k++)
            r->failures += tsct_frames_read(r->f, k, r->out + k * R * C, &err) != TSCT_OK;
    return NULL;
}

static void check_threads(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const char *specs[3] = {FR "dectris_master.h5", FR "bliss.h5::/1.1/measurement/pilatus",
                            FR "reference_int16.npy"};
    tsct_frames *f = NULL;
    CHECK_OK(tsct_frames_open(specs, 3, NULL, &f, &err), &err);
    if (!f)
        return;
    int64_t n = tsct_frames_count(f);
    CHECK(n == 16);
    tsct_frames_info in;
    tsct_frames_info_get(f, &in);
    CHECK(strcmp(in.kind, "mixed") == 0);
    reader r[2];
    pthread_t th[2];
    for (int t = 0; t < 2; t++) {
        r[t] = (reader){f, malloc(sizeof(float) * (size_t)n * R * C), 0};
        pthread_create(&th[t], NULL, read_all, &r[t]);
    }
    for (int t = 0; t < 2; t++)
        pthread_join(th[t], NULL);
    CHECK(r[0].failures == 0 && r[1].failures == 0);
    CHECK(memcmp(r[0].out, r[1].out, sizeof(float) * (size_t)n * R * C) == 0);
    int64_t nref;
    float *ref = load_ref("reference_int16.npy", &nref);
    CHECK(memcmp(r[0].out + 10 * R * C, ref, sizeof(float) * 6 * R * C) == 0);
    free(ref);
    free(r[0].out);
    free(r[1].out);
    tsct_frames_close(f);
}

/* ---- image files --------------------------------------------------------------------------------- */

static void check_image_files(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_image img;
    tsct_image_init(&img);
    CHECK_OK(tsct_image_read(&img, CBF_PATH, NULL, &err), &err);
    const char *specs[2] = {CBF_PATH, CBF_PATH};
    tsct_frames *f = NULL;
    CHECK_OK(tsct_frames_open(specs, 2, NULL, &f, &err), &err);
    if (f) {
        int64_t rows, cols;
        tsct_frames_shape(f, &rows, &cols);
        CHECK(tsct_frames_count(f) == 2 && rows == 1679 && cols == 1475);
        tsct_frames_info in;
        tsct_frames_info_get(f, &in);
        CHECK(strcmp(in.kind, "images") == 0 && in.dtype == TSCT_IMAGE_DTYPE_I32 &&
              in.mask_negative == 1 && in.mask_overflow == 0 && in.bit_depth == 0);
        float *buf = malloc(sizeof(float) * 1679 * 1475);
        uint8_t *m = malloc(1679 * 1475), *m2 = malloc(1679 * 1475);
        CHECK_OK(tsct_frames_read(f, 1, buf, &err), &err);
        CHECK(memcmp(buf, img.data, sizeof(float) * 1679 * 1475) == 0);
        int64_t nm, nm2;
        CHECK_OK(tsct_frames_mask(f, 1, buf, m, &nm, &err), &err);
        CHECK_OK(tsct_image_mask_negative(&img, m2, &nm2, &err), &err);
        CHECK(nm == nm2 && nm > 0 && memcmp(m, m2, 1679 * 1475) == 0);
        free(buf);
        free(m);
        free(m2);
        tsct_frames_close(f);
    }
    tsct_image_release(&img);
    tsct_frames_close(NULL);
}

int main(void)
{
    check_cbf_kernels();
    check_image_files();
    check_hdf5_datasets();
    check_dectris();
    check_bliss();
    check_bad_input();
    check_threads();
    return tsct_test_finish("test_frames");
}
