/* test_simulate.c - the simulator's scan forward model: exact chord lengths, exact projections
 * of pixel blocks, mass conservation, agreement with skimage's radon, and reconstruction of a
 * simulated sinogram with tsct's FBP putting the phantom back in place. */
#include <math.h>

#include "tsct/simulate.h"
#include "tsct/tomo.h"
#include "tsct_test.h"

static void test_chords(void)
{
    /* n = 5: the centre pixel (2, 2) sits at the origin. */
    CHECK_NEAR(tsct_sim_chord(5, 2, 2, 0.0, 0.0), 1.0, 1e-12);
    CHECK_NEAR(tsct_sim_chord(5, 2, 2, 45.0, 0.0), sqrt(2.0), 1e-12);
    CHECK_NEAR(tsct_sim_chord(5, 2, 2, 30.0, 0.0), 1.0 / cos(M_PI / 6), 1e-12);
    CHECK_NEAR(tsct_sim_chord(5, 2, 2, 0.0, 0.6), 0.0, 1e-12);      /* misses */
    CHECK_NEAR(tsct_sim_chord(5, 2, 3, 0.0, 1.0), 1.0, 1e-12);      /* column k = 3 at t = 1 */
    /* At 45 degrees, a ray through a pixel's corner has zero length in it. */
    CHECK_NEAR(tsct_sim_chord(5, 2, 2, 45.0, sqrt(0.5)), 0.0, 1e-9);
    CHECK(tsct_sim_chord(5, 7, 2, 0.0, 0.0) == 0.0);
}

/* A thin ray through a block of ones of height hgt gives exactly hgt at theta = 0, and at
 * 90 degrees the block's width. */
static void test_block(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    int64_t n = 16, ns = 16;
    float img[16 * 16] = {0};
    for (int i = 3; i < 9; i++)        /* 6 rows */
        for (int k = 5; k < 8; k++)    /* 3 columns */
            img[i * n + k] = 1.0f;
    double angles[2] = {0.0, 90.0};
    float sino[2 * 16];
    tsct_sim_beam thin = {0.0, TSCT_SIM_BEAM_TOPHAT, 1};
    CHECK_OK(tsct_sim_project(img, n, 1, angles, 2, ns, &thin, 1, sino, &err), &err);
    for (int j = 0; j < 16; j++) {
        /* theta = 0: the ray at bin j is column k = j (n/2 = ns/2). */
        double want0 = (j >= 5 && j < 8) ? 6.0 : 0.0;
        CHECK_NEAR(sino[j], want0, 1e-9);
        /* theta = 90: (k-8)*0 - (i-8)*1 = j - 8, so row i = 16 - j. */
        int64_t i = 16 - j;
        double want90 = (i >= 3 && i < 9) ? 3.0 : 0.0;
        CHECK_NEAR(sino[16 + j], want90, 1e-9);
    }
}

/* With a top-hat beam one bin wide, the projection summed over the bins equals the image sum
 * at every angle (the sub-rays tile the detector; midpoint-rule error ~ 1/nsub^2). */
static void test_mass(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    int64_t n = 32, ns = 48, na = 7, nc = 2;
    float *img = calloc((size_t)(n * n * nc), sizeof *img);
    float *sino = calloc((size_t)(na * ns * nc), sizeof *sino);
    double total[2] = {0, 0};
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < n; k++) {
            double r = hypot(i - 16.0, k - 13.0);
            img[(i * n + k) * nc] = r < 9 ? 1.0f : 0.0f;
            img[(i * n + k) * nc + 1] = (float)((i * 7 + k * 3) % 5) * 0.25f;
            total[0] += img[(i * n + k) * nc];
            total[1] += img[(i * n + k) * nc + 1];
        }
    double angles[7] = {0, 13, 45, 77.7, 90, 133, 359};
    tsct_sim_beam beam = {1.0, TSCT_SIM_BEAM_TOPHAT, 64};
    CHECK_OK(tsct_sim_project(img, n, nc, angles, na, ns, &beam, 2, sino, &err), &err);
    for (int64_t a = 0; a < na; a++)
        for (int64_t c = 0; c < nc; c++) {
            double sum = 0;
            for (int64_t j = 0; j < ns; j++)
                sum += sino[(a * ns + j) * nc + c];
            CHECK_MSG(fabs(sum - total[c]) < 2e-4 * total[c], "angle %g channel %lld: %.8g vs %.8g",
                      angles[a], (long long)c, sum, total[c]);
        }
    /* A Gaussian beam conserves mass too. */
    tsct_sim_beam gauss = {2.0, TSCT_SIM_BEAM_GAUSSIAN, 96};
    CHECK_OK(tsct_sim_project(img, n, nc, angles, na, ns, &gauss, 2, sino, &err), &err);
    double sum = 0;
    for (int64_t j = 0; j < ns; j++)
        sum += sino[(2 * ns + j) * nc];
    CHECK_NEAR(sum, total[0], 2e-3 * total[0]);
    free(img);
    free(sino);
}

static void *read_raw(const char *name, size_t bytes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/sim_reference/%s", TSCT_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    void *buf = malloc(bytes);
    size_t got = f ? fread(buf, 1, bytes, f) : 0;
    if (f)
        fclose(f);
    CHECK_MSG(got == bytes, "%s: read %zu of %zu bytes", path, got, bytes);
    return buf;
}

/* skimage's radon rotates the image (bilinear) and sums columns; for a smooth image the two
 * line-integral models agree closely. Measured 8.9e-4 RMS and 1.2e-2 max of the sinogram
 * maximum (the max at the steepest flanks, where skimage's bilinear rotation smooths); allowed
 * 2e-3 RMS and 2e-2 max. */
static void test_radon_peer(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const int64_t n = 64, na = 45;
    float *img = read_raw("image.f32", n * n * sizeof(float));
    double *angles = read_raw("angles.f64", na * sizeof(double));
    float *ref = read_raw("radon.f32", na * n * sizeof(float));
    float *sino = calloc((size_t)(na * n), sizeof *sino);
    tsct_sim_beam thin = {0.0, TSCT_SIM_BEAM_TOPHAT, 1};
    CHECK_OK(tsct_sim_project(img, n, 1, angles, na, n, &thin, 2, sino, &err), &err);
    double mx = 0, ss = 0, worst = 0;
    for (int64_t k = 0; k < na * n; k++)
        mx = fmax(mx, fabs(ref[k]));
    for (int64_t k = 0; k < na * n; k++) {
        double d = sino[k] - ref[k];
        ss += d * d;
        worst = fmax(worst, fabs(d));
    }
    double rms = sqrt(ss / (double)(na * n)) / mx;
    printf("forward model vs skimage radon: RMS %.2e, max %.2e of the maximum\n", rms,
           worst / mx);
    CHECK(rms < 2e-3 && worst / mx < 2e-2);
    free(img);
    free(angles);
    free(ref);
    free(sino);
}

/* Simulate a sinogram of two discs and reconstruct it with FBP: the discs come back where they
 * were, in the same orientation (the coordinates of simulate.h and tomo.h agree). */
static void test_fbp_round_trip(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const int64_t n = 64, ns = 64, na = 180;
    float *img = calloc((size_t)(n * n), sizeof *img);
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < n; k++) {
            if (hypot(i - 20.0, k - 40.0) < 6)  /* upper right */
                img[i * n + k] = 1.0f;
            if (hypot(i - 44.0, k - 24.0) < 4)  /* lower left, brighter */
                img[i * n + k] = 2.0f;
        }
    double angles[180];
    for (int a = 0; a < na; a++)
        angles[a] = a * 1.0;
    float *sino = calloc((size_t)(na * ns), sizeof *sino);
    tsct_sim_beam beam = {1.0, TSCT_SIM_BEAM_TOPHAT, 8};
    CHECK_OK(tsct_sim_project(img, n, 1, angles, na, ns, &beam, 2, sino, &err), &err);
    tsct_tomo_fbp_params fp = TSCT_TOMO_FBP_PARAMS_DEFAULT;
    tsct_tomo_fbp_plan *plan = NULL;
    CHECK_OK(tsct_tomo_fbp_plan_create(&fp, na, ns, angles, &plan, &err), &err);
    if (!plan)
        return;
    size_t wb = tsct_tomo_fbp_workspace_size(plan);
    void *work = malloc(wb);
    float *rec = calloc((size_t)(n * n), sizeof *rec);
    CHECK_OK(tsct_tomo_fbp_execute(plan, sino, 1, 1, rec, 1, work, wb, &err), &err);
    /* Mean inside each disc (away from its edge) and far from both. */
    double in1 = 0, in2 = 0, out = 0;
    int c1 = 0, c2 = 0, c0 = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < n; k++) {
            double r1 = hypot(i - 20.0, k - 40.0), r2 = hypot(i - 44.0, k - 24.0);
            double rc = hypot(i - 32.0, k - 32.0);
            if (r1 < 4)
                in1 += rec[i * n + k], c1++;
            else if (r2 < 2.5)
                in2 += rec[i * n + k], c2++;
            else if (r1 > 9 && r2 > 7 && rc < 28)
                out += rec[i * n + k], c0++;
        }
    in1 /= c1;
    in2 /= c2;
    out /= c0;
    printf("FBP of the simulated sinogram: disc 1 %.3f (1), disc 2 %.3f (2), outside %.4f (0)\n",
           in1, in2, out);
    CHECK_NEAR(in1, 1.0, 0.05);
    CHECK_NEAR(in2, 2.0, 0.15);
    CHECK_NEAR(out, 0.0, 0.02);
    tsct_tomo_fbp_plan_destroy(plan);
    free(work);
    free(rec);
    free(sino);
    free(img);
}

/* The scan of a slice by linearity equals projecting every voxel's full pattern; zigzag,
 * monitor and attenuation act as documented. */
static void test_scan_patterns(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const int64_t n = 24, nc = 3, nq = 40, na = 6, ns = 30;
    float *frac = calloc((size_t)(n * n * nc), sizeof *frac);
    float *full = calloc((size_t)(n * n * nq), sizeof *full);
    float pat[3 * 40];
    for (int64_t c = 0; c < nc; c++)
        for (int64_t q = 0; q < nq; q++)
            pat[c * nq + q] = (float)(exp(-0.5 * pow((q - 10.0 * (c + 1)) / 2.0, 2)) + 0.1 * c);
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < n; k++) {
            double a = hypot(i - 12.0, k - 10.0) < 5 ? 1.0 : 0.0;
            double b = (i + k) % 3 == 0 ? 0.4 : 0.0;
            float *f = frac + (i * n + k) * nc;
            f[0] = (float)a;
            f[1] = (float)b;
            f[2] = (float)(1.0 - a - b > 0 ? 1.0 - a - b : 0.0);
            for (int64_t q = 0; q < nq; q++)
                for (int64_t c = 0; c < nc; c++)
                    full[(i * n + k) * nq + q] += f[c] * pat[c * nq + q];
        }
    double angles[6] = {0, 30, 60, 90, 120, 150};
    tsct_sim_scan scan = {na, ns, angles, {1.0, TSCT_SIM_BEAM_TOPHAT, 4}, 0.01, 0, 2, NULL, 1.0};
    float *data = malloc((size_t)(na * ns * nq) * sizeof *data);
    float *ref = malloc((size_t)(na * ns * nq) * sizeof *ref);
    float *sino = malloc((size_t)(na * ns * nc) * sizeof *sino);
    CHECK_OK(tsct_sim_scan_patterns(&scan, frac, n, nc, pat, nq, NULL, NULL, data, sino, &err),
             &err);
    CHECK_OK(tsct_sim_project(full, n, nq, angles, na, ns, &scan.beam, 2, ref, &err), &err);
    double worst = 0, mx = 0;
    for (int64_t k = 0; k < na * ns * nq; k++) {
        worst = fmax(worst, fabs(data[k] - ref[k]));
        mx = fmax(mx, fabs(ref[k]));
    }
    CHECK_MSG(worst < 1e-5 * mx, "linearity: %.3g of %.3g", worst, mx);

    /* Zigzag: odd angle rows reversed. A monitor scales each position. */
    float *zz = malloc((size_t)(na * ns * nq) * sizeof *zz);
    float *mon = malloc((size_t)(na * ns) * sizeof *mon);
    for (int64_t k = 0; k < na * ns; k++)
        mon[k] = 1.0f + 0.01f * (float)(k % 7);
    float *diode = malloc((size_t)(na * ns) * sizeof *diode);
    scan.zigzag = 1;
    scan.diode = diode;
    CHECK_OK(tsct_sim_scan_patterns(&scan, frac, n, nc, pat, nq, NULL, mon, zz, NULL, &err), &err);
    int bad = 0;
    for (int64_t a = 0; a < na; a++)
        for (int64_t j = 0; j < ns; j++) {
            int64_t jj = a % 2 ? ns - 1 - j : j;
            bad += diode[a * ns + jj] != 1.0f; /* no attenuation: T = 1, the monitor apart */
            for (int64_t q = 0; q < nq; q++)
                bad += fabsf(zz[(a * ns + jj) * nq + q] - mon[a * ns + j] * data[(a * ns + j) * nq + q]) >
                       1e-5f * (float)mx;
        }
    CHECK_MSG(bad == 0, "zigzag/monitor: %d values differ", bad);

    /* Attenuation by component 0 only: each position is scaled by exp(-mu * L0 * voxel_mm). */
    double mu[3] = {50.0, 0, 0};
    scan.zigzag = 1;
    CHECK_OK(tsct_sim_scan_patterns(&scan, frac, n, nc, pat, nq, mu, mon, zz, NULL, &err), &err);
    bad = 0;
    for (int64_t a = 0; a < na; a++)
        for (int64_t j = 0; j < ns; j++) {
            int64_t jj = a % 2 ? ns - 1 - j : j; /* acquisition order, like the patterns */
            bad += fabs(diode[a * ns + jj] - exp(-50.0 * sino[(a * ns + j) * nc] * 0.01)) > 1e-6;
        }
    CHECK_MSG(bad == 0, "transmission in acquisition order: %d values differ", bad);
    scan.zigzag = 0;
    CHECK_OK(tsct_sim_scan_patterns(&scan, frac, n, nc, pat, nq, mu, NULL, zz, NULL, &err), &err);
    bad = 0;
    for (int64_t a = 0; a < na; a++)
        for (int64_t j = 0; j < ns; j++) {
            double T = exp(-50.0 * sino[(a * ns + j) * nc] * 0.01);
            bad += fabs(diode[a * ns + j] - T) > 1e-6; /* the diode reads the transmission */
            for (int64_t q = 0; q < nq; q++)
                bad += fabs(zz[(a * ns + j) * nq + q] - T * data[(a * ns + j) * nq + q]) > 1e-5 * mx;
        }
    CHECK_MSG(bad == 0, "attenuation: %d values differ", bad);
    mu[1] = -1;
    CHECK_FAILS(tsct_sim_scan_patterns(&scan, frac, n, nc, pat, nq, mu, NULL, zz, NULL, &err),
                TSCT_ERR_VALUE, &err, "mu[1]");
    free(diode);
    free(frac);
    free(full);
    free(data);
    free(ref);
    free(sino);
    free(zz);
    free(mon);
}

static void test_errors(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    float img[4] = {1, 1, 1, 1}, sino[8];
    double angles[2] = {0, NAN};
    tsct_sim_beam beam = TSCT_SIM_BEAM_DEFAULT;
    CHECK_FAILS(tsct_sim_project(img, 2, 1, angles, 2, 4, &beam, 1, sino, &err), TSCT_ERR_VALUE,
                &err, "angles[1]");
    angles[1] = 10;
    CHECK_FAILS(tsct_sim_project(img, 0, 1, angles, 2, 4, &beam, 1, sino, &err), TSCT_ERR_VALUE,
                &err, "sizes must be >= 1");
    beam.width = -1;
    CHECK_FAILS(tsct_sim_project(img, 2, 1, angles, 2, 4, &beam, 1, sino, &err), TSCT_ERR_VALUE,
                &err, "width");
    beam.width = 1;
    beam.nsub = 0;
    CHECK_FAILS(tsct_sim_project(img, 2, 1, angles, 2, 4, &beam, 1, sino, &err), TSCT_ERR_VALUE,
                &err, "sub-rays");
}

int main(void)
{
    test_chords();
    test_block();
    test_mass();
    test_radon_peer();
    test_fbp_round_trip();
    test_scan_patterns();
    test_errors();
    return tsct_test_finish("test_simulate");
}
