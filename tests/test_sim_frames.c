/* test_sim_frames.c - detector frames of the simulator: Pilatus gaps, the Poisson sampler,
 * the noiseless image (pattern x solid angle x polarization x flat + dark), Poisson statistics
 * of noisy frames, single-crystal spots, and bad input. */
#include <math.h>

#include "tsct/geometry.h"
#include "tsct/simulate.h"
#include "tsct_test.h"

static void test_gaps(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const struct {
        int64_t rows, cols, modules;
    } det[] = {{1679, 1475, 24}, {1043, 981, 10}, {195, 1475, 3}};
    for (int d = 0; d < 3; d++) {
        int64_t npx = det[d].rows * det[d].cols;
        uint8_t *m = calloc((size_t)npx, 1);
        CHECK_OK(tsct_sim_pilatus_gaps(det[d].rows, det[d].cols, m, &err), &err);
        int64_t gaps = 0;
        for (int64_t k = 0; k < npx; k++)
            gaps += m[k];
        CHECK_MSG(gaps == npx - det[d].modules * 195 * 487, "%lld x %lld: %lld gap pixels",
                  (long long)det[d].rows, (long long)det[d].cols, (long long)gaps);
        free(m);
    }
    uint8_t small[100];
    CHECK_FAILS(tsct_sim_pilatus_gaps(10, 10, small, &err), TSCT_ERR_SHAPE, &err, "Pilatus modules");
}

static void test_poisson(void)
{
    tsct_sim_rng r;
    tsct_sim_rng_seed(&r, 11);
    const double lambdas[5] = {0.3, 3.0, 9.99, 25.0, 1000.0};
    const int N = 100000;
    for (int l = 0; l < 5; l++) {
        double lam = lambdas[l], s = 0, s2 = 0;
        int zeros = 0;
        for (int i = 0; i < N; i++) {
            double k = (double)tsct_sim_poisson(&r, lam);
            s += k;
            s2 += k * k;
            zeros += k == 0;
        }
        double mean = s / N, var = s2 / N - mean * mean;
        /* Mean within 5 standard errors; variance within 5 % (its standard error is about
         * sqrt(2 / N) relative, 0.45 %, plus the 4th-moment term). */
        CHECK_MSG(fabs(mean - lam) < 5 * sqrt(lam / N), "lambda %g: mean %.5g", lam, mean);
        CHECK_MSG(fabs(var - lam) < 0.05 * lam, "lambda %g: variance %.5g", lam, var);
        double p0 = exp(-lam);
        CHECK_MSG(fabs(zeros / (double)N - p0) < 5 * sqrt(p0 * (1 - p0) / N) + 1e-12,
                  "lambda %g: P(0) %.5g vs %.5g", lam, zeros / (double)N, p0);
    }
    CHECK(tsct_sim_poisson(&r, 0.0) == 0 && tsct_sim_poisson(&r, -1.0) == 0);
}

static tsct_poni small_detector(void)
{
    tsct_poni g = {"Detector", 1e-3, 1e-3, {40, 50}, 3, 0.05, 0.02, 0.025, 0.1, -0.05, 0.2,
                   0.5e-10};
    return g;
}

static void test_render(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_poni g = small_detector();
    const int64_t rows = 40, cols = 50, npx = rows * cols, nq = 300;
    uint8_t mask[40 * 50] = {0};
    mask[7] = 1;
    tsct_sim_render_plan *plan = NULL;
    CHECK_OK(tsct_sim_render_plan_create(&g, rows, cols, mask, 0.95, 1, &plan, &err), &err);
    if (!plan)
        return;
    double q[300];
    float I[300];
    for (int64_t j = 0; j < nq; j++) {
        q[j] = 0.5 + 0.03 * j;
        I[j] = (float)(100 + 900 * exp(-0.5 * pow((q[j] - 5.0) / 0.1, 2)));
    }
    float *dark = malloc((size_t)npx * sizeof *dark), *flat = malloc((size_t)npx * sizeof *flat);
    for (int64_t k = 0; k < npx; k++) {
        dark[k] = (float)(k % 3);
        flat[k] = 1.0f + 0.001f * (float)(k % 11);
    }
    float *f0 = malloc((size_t)npx * sizeof *f0);
    CHECK_OK(tsct_sim_render(plan, q, I, nq, 2.0, dark, flat, NULL, NULL, f0, &err), &err);
    /* The expected image, pixel by pixel, from the geometry module directly. */
    tsct_geometry_arrays *a = NULL;
    CHECK_OK(tsct_geometry_compute(&g, rows, cols, TSCT_UNIT_Q_A,
                                   TSCT_GEOM_RADIAL | TSCT_GEOM_CHI | TSCT_GEOM_TTH |
                                       TSCT_GEOM_SOLID_ANGLE,
                                   1, &a, &err),
             &err);
    int bad = 0;
    for (int64_t k = 0; k < npx && a; k++) {
        double x = a->radial[k], Iq = 0;
        if (x >= q[0] && x <= q[nq - 1]) {  /* outside the grid the pattern is 0 */
            int64_t j = (int64_t)((x - 0.5) / 0.03);
            if (j > nq - 2)
                j = nq - 2;
            double f = (x - q[j]) / 0.03;
            Iq = (1 - f) * I[j] + f * I[j + 1];
        }
        double want = 2.0 * Iq * a->solid_angle[k] *
                          tsct_geometry_polarization(a->tth[k], a->chi[k], 0.95, 0) * flat[k] +
                      dark[k];
        if (k == 7)
            want = -1;
        if (fabs(f0[k] - want) > 1e-4 * fabs(want) + 1e-6 && bad++ < 5)
            fprintf(stderr, "pixel %lld (q %.6g): %.9g vs %.9g\n", (long long)k, x, f0[k], want);
    }
    CHECK_MSG(bad == 0, "%d pixels differ from pattern x solid angle x polarization", bad);
    tsct_geometry_arrays_destroy(a);

    /* Noisy frames average to the expected image: the total over 300 frames within 5 sigma. */
    tsct_sim_rng rng;
    tsct_sim_rng_seed(&rng, 5);
    float *fn = malloc((size_t)npx * sizeof *fn);
    double sum = 0, expect = 0;
    for (int64_t k = 0; k < npx; k++)
        expect += k == 7 ? 0 : f0[k];
    int nonint = 0;
    for (int rep = 0; rep < 300; rep++) {
        CHECK_OK(tsct_sim_render(plan, q, I, nq, 2.0, dark, flat, NULL, &rng, fn, &err), &err);
        for (int64_t k = 0; k < npx; k++)
            if (k != 7) {
                sum += fn[k];
                nonint += fn[k] != floorf(fn[k]);
            }
        CHECK(fn[7] == -1.0f);
    }
    CHECK(nonint == 0);
    CHECK_MSG(fabs(sum / 300 - expect) < 5 * sqrt(expect / 300), "mean total %.6g vs %.6g",
              sum / 300, expect);

    /* Spots: every frame gets 3 bright blobs on the q = 5 ring. */
    double ring = 5.0;
    tsct_sim_spots spots = {1.0, 3, 1.0, 50.0, &ring, 1};
    CHECK_OK(tsct_sim_render(plan, q, I, nq, 2.0, dark, flat, &spots, &rng, fn, &err), &err);
    int bright = 0;
    for (int64_t k = 0; k < npx; k++)
        bright += k != 7 && fn[k] > 10 * f0[k] + 50;
    CHECK_MSG(bright >= 3, "%d spot pixels", bright);

    /* Bad input. */
    q[10] = q[9];
    CHECK_FAILS(tsct_sim_render(plan, q, I, nq, 1.0, NULL, NULL, NULL, NULL, fn, &err),
                TSCT_ERR_VALUE, &err, "q[10]");
    q[10] = 0.5 + 0.3;
    I[3] = NAN;
    CHECK_FAILS(tsct_sim_render(plan, q, I, nq, 1.0, NULL, NULL, NULL, NULL, fn, &err),
                TSCT_ERR_VALUE, &err, "pattern[3]");
    tsct_sim_render_plan *p2 = NULL;
    g.wavelength = 0;
    CHECK_FAILS(tsct_sim_render_plan_create(&g, rows, cols, NULL, 0.95, 1, &p2, &err),
                TSCT_ERR_VALUE, &err, "wavelength");
    free(dark);
    free(flat);
    free(f0);
    free(fn);
    tsct_sim_render_plan_destroy(plan);
}

int main(void)
{
    test_gaps();
    test_poisson();
    test_render();
    return tsct_test_finish("test_sim_frames");
}
