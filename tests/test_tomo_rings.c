/* test_tomo_rings.c - ring-artefact removal by sorting (tsct_tomo_rings_sort, tsct/tomo.h).
 *
 *  - exact: a sinogram whose detector positions all hold the same values in different angle
 *    orders (no stripe) comes back bit for bit;
 *  - stripes: offsets added to four positions of a smooth sinogram (two balls, one off the
 *    axis) are removed: each ring (a position's mean offset) falls at least 6.7-fold and the
 *    RMS error of the sinogram 4-fold (scipy's median_filter on the sorted sinogram, the
 *    method's published form, gives the same figures: rings 0.3 -> 0.015, 0.15 -> 0.021,
 *    RMS 0.046 -> 0.010);
 *  - channels: with nc = 3 in a stride of 4 each channel equals its own single-channel run,
 *    with 1 and 2 threads, and the fourth value of each stride is untouched;
 *  - bad input: even or too large a size, a NaN (named with its position). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/tomo.h"
#include "tsct_test.h"

enum { NA = 180, NS = 101 };

/* A sample like a cell's: a centred ball of radius 40 holding an off-centre ball of radius
 * 15 whose trace is a sine over 360 degrees; densities 1 - r^2 / R^2 (smooth edges, as real
 * samples seen through a finite beam), projected: (R^2 - d^2)^(3/2) / R^2 up to a factor. */
static double ball(double d, double radius)
{
    return d * d < radius * radius ? pow(radius * radius - d * d, 1.5) / (radius * radius) : 0.0;
}

static float smooth(int64_t a, int64_t j)
{
    const double th = 2.0 * M_PI * (double)a / NA;
    const double s = 50.0 + 12.0 * cos(th) - 5.0 * sin(th);
    return (float)(0.01 * ball((double)j - 50.0, 40.0) + 0.02 * ball((double)j - s, 15.0));
}

static void test_exact(void)
{
    float *sino = malloc(NA * NS * sizeof *sino), *ref = malloc(NA * NS * sizeof *ref);
    for (int64_t a = 0; a < NA; a++)
        for (int64_t j = 0; j < NS; j++) /* value (a + 7 j) mod NA: a permutation per column */
            ref[a * NS + j] = sino[a * NS + j] = (float)((a + 7 * j) % NA) * 0.25f;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_tomo_rings_sort(sino, NA, NS, 1, 0, 21, 1, &err), &err);
    CHECK(memcmp(sino, ref, NA * NS * sizeof *sino) == 0);
    free(sino);
    free(ref);
}

static void test_stripes(void)
{
    float *sino = malloc(NA * NS * sizeof *sino);
    const int striped[4] = {20, 21, 63, 75};
    const float offset[4] = {0.3f, -0.2f, 0.25f, 0.15f};
    for (int64_t a = 0; a < NA; a++)
        for (int64_t j = 0; j < NS; j++) {
            sino[a * NS + j] = smooth(a, j);
            for (int k = 0; k < 4; k++)
                if (j == striped[k])
                    sino[a * NS + j] += offset[k];
        }
    /* The ring: each striped position's mean offset over the angles; and the RMS error. */
    double before = 0.0, after = 0.0, ring_before[4] = {0}, ring_after[4] = {0};
    for (int64_t a = 0; a < NA; a++)
        for (int64_t j = 0; j < NS; j++) {
            const double e = sino[a * NS + j] - smooth(a, j);
            before += e * e;
            for (int k = 0; k < 4; k++)
                ring_before[k] += j == striped[k] ? e / NA : 0.0;
        }
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_tomo_rings_sort(sino, NA, NS, 1, 0, 11, 0, &err), &err);
    for (int64_t a = 0; a < NA; a++)
        for (int64_t j = 0; j < NS; j++) {
            const double e = sino[a * NS + j] - smooth(a, j);
            after += e * e;
            for (int k = 0; k < 4; k++)
                ring_after[k] += j == striped[k] ? e / NA : 0.0;
        }
    before = sqrt(before / (NA * NS));
    after = sqrt(after / (NA * NS));
    printf("  stripes: RMS error %.5f -> %.5f; rings", before, after);
    for (int k = 0; k < 4; k++) {
        printf(" %+.3f -> %+.4f", ring_before[k], ring_after[k]);
        CHECK_MSG(fabs(ring_after[k]) <= 0.15 * fabs(ring_before[k]), "position %d",
                  striped[k]);
    }
    printf("\n");
    CHECK(after <= 0.25 * before);
    free(sino);
}

static void test_channels(void)
{
    const int64_t nc = 3, ld = 4;
    float *multi = malloc(NA * NS * ld * sizeof *multi), *one = malloc(NA * NS * sizeof *one);
    for (int64_t p = 0; p < NA * NS; p++)
        for (int64_t c = 0; c < ld; c++)
            multi[p * ld + c] = smooth(p / NS, p % NS) * (float)(c + 1) +
                                (p % NS == 30 ? 0.1f * (float)c : 0.0f) + (c == 3 ? 99.0f : 0.0f);
    for (int threads = 1; threads <= 2; threads++) {
        float *m = malloc(NA * NS * ld * sizeof *m);
        memcpy(m, multi, NA * NS * ld * sizeof *m);
        tsct_error err = TSCT_ERROR_INIT;
        CHECK_OK(tsct_tomo_rings_sort(m, NA, NS, nc, ld, 9, threads, &err), &err);
        for (int64_t c = 0; c < ld; c++) {
            for (int64_t p = 0; p < NA * NS; p++)
                one[p] = multi[p * ld + c];
            if (c < nc)
                CHECK_OK(tsct_tomo_rings_sort(one, NA, NS, 1, 0, 9, 1, &err), &err);
            int same = 1;
            for (int64_t p = 0; p < NA * NS; p++)
                same &= m[p * ld + c] == one[p];
            CHECK_MSG(same, "channel %lld with %d threads", (long long)c, threads);
        }
        free(m);
    }
    free(multi);
    free(one);
}

static void test_bad_input(void)
{
    float sino[4 * 5] = {0};
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_FAILS(tsct_tomo_rings_sort(sino, 4, 5, 1, 0, 4, 1, &err), TSCT_ERR_VALUE, &err,
                "must be odd");
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_tomo_rings_sort(sino, 4, 5, 1, 0, 7, 1, &err), TSCT_ERR_VALUE, &err,
                "3 .. 5");
    sino[2 * 5 + 3] = NAN;
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_tomo_rings_sort(sino, 4, 5, 1, 0, 3, 1, &err), TSCT_ERR_VALUE, &err,
                "angle 2, position 3");
}

int main(void)
{
    test_exact();
    test_stripes();
    test_channels();
    test_bad_input();
    return tsct_test_finish("test_tomo_rings");
}
