/* tomo_test_util.h - helpers shared by the tomo tests: raw little-endian reference files from
 * tests/data/tomo_reference/ (see make_reference.py there) and error measures. */
#ifndef TOMO_TEST_UTIL_H
#define TOMO_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define TOMO_REF_DIR TSCT_TEST_DATA "/tomo_reference"

/* Read exactly `count` items of `size` bytes from TOMO_REF_DIR/name into a new buffer; NULL
 * (and a message) if the file is missing or has another length. */
static inline void *tomo_read(const char *name, size_t size, size_t count)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TOMO_REF_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    void *buf = malloc(size * count + 1);
    size_t got = buf ? fread(buf, size, count + 1, f) : 0;
    fclose(f);
    if (got != count) {
        fprintf(stderr, "%s: expected %zu items, read %zu\n", path, count, got);
        free(buf);
        return NULL;
    }
    return buf;
}

/* RMS over pixels of channel c of (a - b), [npix][nc] arrays. */
static inline double tomo_rms_diff(const float *a, const float *b, int64_t npix, int64_t nc,
                            int64_t c)
{
    double s = 0.0;
    for (int64_t i = 0; i < npix; i++) {
        const double d = (double)a[i * nc + c] - (double)b[i * nc + c];
        s += d * d;
    }
    return sqrt(s / (double)npix);
}

static inline double tomo_max_abs(const float *a, int64_t npix, int64_t nc, int64_t c)
{
    double m = 0.0;
    for (int64_t i = 0; i < npix; i++)
        m = fmax(m, fabs((double)a[i * nc + c]));
    return m;
}

/* Deterministic uniform numbers in [0, 1) (xorshift64*). */
static inline double tomo_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
