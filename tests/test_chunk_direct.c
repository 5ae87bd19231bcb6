/* test_chunk_direct.c - chunks compressed and decompressed by tsct's own threads
 * (lib/io/chunk_direct.c) against HDF5's filter plugins, for every compression choice.
 *
 * For none, lz4, zstd (Blosc), deflate and deflate:9 the same data (smooth values, random bits
 * no codec can shrink, an all-zero chunk, NaN and infinities, edge chunks cut by the extent)
 * go into two files: one written through tsct's own codecs with 2 threads, one through HDF5's
 * filters (TSCT_DIRECT_CHUNKS=0). tsct reads both back bit for bit, whole, by aligned slabs
 * (own codecs) and by slabs that cut chunks (HDF5's path); rows written through HDF5's chunk
 * cache and not yet flushed are read back by the direct path. Then tests/chunk_direct_check.py
 * (h5py with the Debian plugins, and silx) reads every file bit for bit against the expected
 * values and compares the stored chunks of both files byte for byte.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/container.h"
#include "tsct_test.h"

#define NT 9
#define NY 50
#define NX 1000
#define NALL ((size_t)NT * NY * NX)

static void fill_data(float *v)
{
    const uint32_t s = 12345u;
    for (size_t i = 0; i < NALL; i++) {
        size_t t = i / (NY * NX), x = i % NX;
        if (t == 3 && x < 300) {
            v[i] = 0.0f; /* one chunk all zero */
        } else if (t >= 6) {
            /* random bits (a 32-bit mix of the index): incompressible */
            uint32_t b = (uint32_t)i * 0x9e3779b9u + s;
            b = (b ^ (b >> 16)) * 0x85ebca6bu;
            b = (b ^ (b >> 13)) * 0xc2b2ae35u;
            b ^= b >> 16;
            if ((b & 0x7f800000u) == 0x7f800000u)
                b &= ~0x00800000u; /* keep them finite and not NaN */
            memcpy(&v[i], &b, sizeof b);
        } else {
            v[i] = (float)(100.0 * sin(0.001 * (double)i) + t);
        }
    }
    v[17] = NAN;
    v[NALL / 2] = INFINITY;
    v[NALL - 1] = -INFINITY;
}

/* Elements equal as bits (NaN payloads included). */
static int same_bits(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* Copy slab start/count of the full [NT][NY][NX] array v into out. */
static void slab_of(const float *v, const int64_t *s, const int64_t *c, float *out)
{
    size_t k = 0;
    for (int64_t t = s[0]; t < s[0] + c[0]; t++)
        for (int64_t y = s[1]; y < s[1] + c[1]; y++) {
            memcpy(out + k, v + ((size_t)t * NY + (size_t)y) * NX + s[2],
                   (size_t)c[2] * sizeof *out);
            k += (size_t)c[2];
        }
}

static void write_file(const char *path, const char *choice, int direct, const float *v,
                       float *back)
{
    tsct_error err = {0};
    tsct_compression kind;
    int level;
    setenv("TSCT_DIRECT_CHUNKS", direct ? "1" : "0", 1);
    CHECK_OK(tsct_compression_parse(choice, &kind, &level, &err), &err);
    tsct_compression_set_default(kind, level);
    tsct_container *c = NULL;
    CHECK_OK(tsct_container_create(path, 1, &c, &err), &err);
    if (!c)
        return;
    tsct_dataset_params p = TSCT_DATASET_PARAMS_DEFAULT;
    p.row_rank = 2;
    p.chunk_last = 300; /* chunks [1][50][300]: the last one on each row cut to 100 */
    p.chunk_axes = -1;
    const int64_t shape[3] = {NT, NY, NX}, zero[3] = {0, 0, 0};
    tsct_dataset *d = NULL, *m = NULL;
    CHECK_OK(tsct_dataset_create(c, "/data", 3, shape, &p, &d, &err), &err);
    CHECK_OK(tsct_dataset_create(c, "/mixed", 3, shape, &p, &m, &err), &err);
    if (d && m) {
        tsct_dataset_set_threads(d, 2);
        tsct_dataset_set_threads(m, 2);
        CHECK_OK(tsct_dataset_write(d, zero, shape, v, &err), &err);
        /* /mixed: time steps 0..4 by half rows, which cut chunks (HDF5's chunk cache keeps
         * them, unflushed), the rest in one aligned slab; then read back whole at once. */
        float *half = malloc((size_t)25 * NX * sizeof *half);
        for (int64_t t = 0; half && t < 5; t++)
            for (int64_t y0 = 0; y0 < NY; y0 += 25) {
                const int64_t s[3] = {t, y0, 0}, n[3] = {1, 25, NX};
                slab_of(v, s, n, half);
                CHECK_OK(tsct_dataset_write(m, s, n, half, &err), &err);
            }
        free(half);
        const int64_t s5[3] = {5, 0, 0}, n5[3] = {NT - 5, NY, NX};
        CHECK_OK(tsct_dataset_write(m, s5, n5, v + (size_t)5 * NY * NX, &err), &err);
        memset(back, 0, NALL * sizeof *back);
        CHECK_OK(tsct_dataset_read(m, zero, shape, back, &err), &err);
        CHECK_MSG(same_bits(back, v, NALL), "%s (%s): unflushed rows read back", choice,
                  direct ? "direct" : "filters");
    }
    tsct_dataset_close(d);
    tsct_dataset_close(m);
    CHECK_OK(tsct_container_close(c, &err), &err);
}

static void read_file(const char *path, const char *choice, const float *v, float *back)
{
    tsct_error err = {0};
    setenv("TSCT_DIRECT_CHUNKS", "1", 1);
    tsct_container *c = NULL;
    CHECK_OK(tsct_h5file_open(path, TSCT_OPEN_READ, &c, &err), &err);
    tsct_dataset *d = NULL;
    if (c)
        CHECK_OK(tsct_dataset_open(c, "/data", &d, &err), &err);
    if (d) {
        tsct_dataset_set_threads(d, 2);
        const int64_t zero[3] = {0, 0, 0}, shape[3] = {NT, NY, NX};
        memset(back, 0, NALL * sizeof *back);
        CHECK_OK(tsct_dataset_read(d, zero, shape, back, &err), &err);
        CHECK_MSG(same_bits(back, v, NALL), "%s: %s read back whole", choice, path);
        /* aligned (own codecs, the edge chunk included) and cutting (HDF5's filters) */
        const int64_t sa[3] = {2, 0, 300}, na[3] = {3, NY, 700};
        const int64_t sc[3] = {5, 7, 123}, nc[3] = {3, 20, 555};
        const int64_t *ss[2] = {sa, sc}, *nn[2] = {na, nc};
        float *want = malloc(NALL * sizeof *want);
        for (int k = 0; want && k < 2; k++) {
            slab_of(v, ss[k], nn[k], want);
            size_t n = (size_t)(nn[k][0] * nn[k][1] * nn[k][2]);
            memset(back, 0, n * sizeof *back);
            CHECK_OK(tsct_dataset_read(d, ss[k], nn[k], back, &err), &err);
            CHECK_MSG(same_bits(back, want, n), "%s: %s slab %d", choice, path, k);
        }
        free(want);
    }
    tsct_dataset_close(d);
    if (c)
        CHECK_OK(tsct_container_close(c, &err), &err);
}

/* A chunk with bytes flipped reads as an error naming the dataset, never as a read outside
 * the buffers (the sanitizer build checks). */
static void corrupt_chunk(const char *dir, const float *v, float *back)
{
    char path[4200], where[4200], cmd[9000];
    snprintf(path, sizeof path, "%s/corrupt.h5", dir);
    snprintf(where, sizeof where, "%s/corrupt.txt", dir);
    write_file(path, "lz4", 1, v, back);
    /* h5py says where the first chunk of /data lies and how long it is */
    const char *py = getenv("PYTHON"), *src = getenv("TSCT_SRC");
    if (!py || !src)
        return;
    snprintf(cmd, sizeof cmd, "%s %s/tests/chunk_direct_check.py --locate %s %s", py, src, path,
             where);
    CHECK_MSG(system(cmd) == 0, "%s", cmd);
    FILE *f = fopen(where, "r");
    unsigned long long off = 0, len = 0;
    CHECK(f && fscanf(f, "%llu %llu", &off, &len) == 2 && len > 64);
    if (f)
        fclose(f);
    size_t n = 0;
    unsigned char *bytes = tsct_test_slurp(path, &n);
    CHECK(bytes && off + len <= n);
    if (!bytes || off + len > n || len <= 64) {
        free(bytes);
        return;
    }
    /* the first block's compressed size (after the 12-byte header) and its first tokens */
    for (size_t i = (size_t)off + 12; i < off + 48; i++)
        bytes[i] ^= 0x5a;
    tsct_test_spit(path, bytes, n);
    free(bytes);
    tsct_error err = {0};
    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    CHECK_OK(tsct_h5file_open(path, TSCT_OPEN_READ, &c, &err), &err);
    if (c)
        CHECK_OK(tsct_dataset_open(c, "/data", &d, &err), &err);
    if (d) {
        const int64_t zero[3] = {0, 0, 0}, shape[3] = {NT, NY, NX};
        tsct_dataset_set_threads(d, 2);
        tsct_status st = tsct_dataset_read(d, zero, shape, back, &err);
        CHECK_MSG(st == TSCT_ERR_FORMAT && strstr(err.message, "/data") &&
                      strstr(err.message, "corrupt"),
                  "corrupt chunk: %s", err.message);
    }
    tsct_dataset_close(d);
    if (c)
        tsct_container_close(c, &err);
}

int main(void)
{
    const char *dir = tsct_test_tmpdir(TSCT_TEST_TMP);
    float *v = malloc(NALL * sizeof *v), *back = malloc(NALL * sizeof *back);
    CHECK(v && back);
    if (!v || !back)
        return tsct_test_finish("test_chunk_direct");
    fill_data(v);
    char path[4200];
    snprintf(path, sizeof path, "%s/expected.f32", dir);
    CHECK(tsct_test_spit(path, v, NALL * sizeof *v) == 0);
    static const char *choices[5] = {"none", "lz4", "zstd", "deflate", "deflate:9"};
    static const char *names[5] = {"none", "lz4", "zstd", "deflate", "deflate9"};
    for (int k = 0; k < 5; k++)
        for (int direct = 0; direct < 2; direct++) {
            snprintf(path, sizeof path, "%s/%s_%s.h5", dir, names[k],
                     direct ? "direct" : "filters");
            write_file(path, choices[k], direct, v, back);
            read_file(path, choices[k], v, back);
        }
    corrupt_chunk(dir, v, back);
    tsct_compression_set_default(TSCT_COMPRESSION_DEFAULT, 1);
    free(v);
    free(back);

    /* h5py (Debian's plugins) and silx read the files; stored chunks compared byte for byte */
    const char *py = getenv("PYTHON"), *src = getenv("TSCT_SRC");
    if (py && src) {
        char cmd[9000];
        snprintf(cmd, sizeof cmd, "%s %s/tests/chunk_direct_check.py %s", py, src, dir);
        CHECK_MSG(system(cmd) == 0, "%s", cmd);
    } else {
        CHECK_MSG(0, "PYTHON and TSCT_SRC must be set (ctest sets them)");
    }
    return tsct_test_finish("test_chunk_direct");
}
