/* test_sim_physics.c - detector frames with parallax and self-absorption
 * (include/tsct/sim_physics.h), against exact answers:
 *
 * - parallax: one scattering voxel off the axis along the beam, on a tilted detector, draws
 *   exactly the frame of the same pattern seen from the origin by the PONI geometry moved by
 *   the voxel's offset (dist - dz u3, poni + dz u1,2; u the beam in the detector's frame),
 *   i.e. every pixel at the analytic 2theta of the displaced point, with the solid angle
 *   scaled by (dist / dist')^2 (1e-6 relative);
 * - absorption: the centre voxel of a uniform square slab is attenuated by Beer-Lambert on the
 *   way in (exactly integrated over its own segment) and, towards each pixel, by
 *   exp(-mu (n/2) / cos(phi) / |h|), phi the pixel's horizontal angle and |h| the horizontal
 *   share of its unit direction (1e-5 relative);
 * - both off: the frame of tsct_sim_render from the pattern level's data (beam of finite
 *   width, two components, whole-path transmission) to 1e-5 relative;
 * - bad input: a sample that reaches the detector, a depth bin of 0.
 */
#include <math.h>

#include "tsct/geometry.h"
#include "tsct/sim_physics.h"
#include "tsct/simulate.h"
#include "tsct_test.h"

enum { ROWS = 40, COLS = 50, NPX = ROWS * COLS, NQ = 400 };

static tsct_poni tilted(void)
{
    tsct_poni g = {"Detector", 1e-3, 1e-3, {ROWS, COLS}, 3, 0.05, 0.02, 0.025, 0.1, -0.05, 0.2,
                   0.5e-10};
    return g;
}

/* A smooth pattern with a sharp-ish peak: I(q) on q = 0.5 .. 9 1/A. */
static void pattern(double *q, float *I)
{
    for (int j = 0; j < NQ; j++) {
        q[j] = 0.5 + 8.5 * j / (NQ - 1.0);
        I[j] = (float)(1.0 + 0.2 * q[j] + 5.0 * exp(-0.5 * pow((q[j] - 4.0) / 0.15, 2)));
    }
}

static double max_rel(const float *a, const float *b, int64_t n)
{
    double worst = 0, scale = 0;
    for (int64_t k = 0; k < n; k++)
        scale = fmax(scale, fabs(b[k]));
    for (int64_t k = 0; k < n; k++)
        worst = fmax(worst, fabs((double)a[k] - b[k]) / scale);
    return worst;
}

static void test_parallax(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_poni g = tilted();
    const int64_t n = 21;
    const double voxel_mm = 0.5;
    static double q[NQ];
    static float I[NQ], got[NPX], want[NPX];
    pattern(q, I);
    /* u = R^T e3 from the lab positions of pixel steps and of the PONI. */
    double a[3], b1[3], b2[3], c[3];
    tsct_geometry_point(&g, 3.0, 4.0, a);
    tsct_geometry_point(&g, 4.0, 4.0, b1);
    tsct_geometry_point(&g, 3.0, 5.0, b2);
    tsct_geometry_point(&g, g.poni1 / g.pixel1, g.poni2 / g.pixel2, c);
    const double u[3] = {(b1[2] - a[2]) / g.pixel1, (b2[2] - a[2]) / g.pixel2, c[2] / g.dist};
    tsct_sim_physics_params pp = TSCT_SIM_PHYSICS_PARAMS_DEFAULT;
    pp.parallax = 1;
    pp.depth_bin = 0.25;
    tsct_sim_physics_plan *plan = NULL;
    tsct_sim_physics_work *work = NULL;
    CHECK_OK(tsct_sim_physics_plan_create(&g, ROWS, COLS, NULL, 0.95, &pp, n, 1, voxel_mm, NULL,
                                          1, &plan, &err), &err);
    if (!plan)
        return;
    CHECK_OK(tsct_sim_physics_work_create(plan, NQ, &work, &err), &err);
    static float frac[21 * 21];
    const int voxels[3][2] = {{3, 15}, {10, 10}, {17, 2}};   /* (row i, column k) */
    const double angles[3] = {30.0, 0.0, 115.0};
    for (int v = 0; v < 3; v++) {
        memset(frac, 0, sizeof frac);
        const int i = voxels[v][0], k = voxels[v][1];
        frac[i * n + k] = 1.0f;
        const double th = angles[v] * M_PI / 180, cs = cos(th), sn = sin(th);
        const double x = k - n / 2, y = i - n / 2;
        const double t = x * cs - y * sn, l = x * sn + y * cs;  /* the ray through its centre */
        const double len = tsct_sim_chord(n, i, k, angles[v], t);
        CHECK_OK(tsct_sim_physics_frame(plan, frac, NULL, I, q, NQ, angles[v], t, 3.0, NULL,
                                        NULL, NULL, NULL, work, got, &err), &err);
        /* The same pattern seen from the origin by the moved geometry. */
        const double dz = l * voxel_mm * 1e-3;
        tsct_poni moved = g;
        moved.dist = g.dist - dz * u[2];
        moved.poni1 = g.poni1 + dz * u[0];
        moved.poni2 = g.poni2 + dz * u[1];
        tsct_sim_render_plan *rp = NULL;
        CHECK_OK(tsct_sim_render_plan_create(&moved, ROWS, COLS, NULL, 0.95, 1, &rp, &err), &err);
        if (!rp)
            continue;
        const double ratio = g.dist / moved.dist;
        CHECK_OK(tsct_sim_render(rp, q, I, NQ, 3.0 * len * ratio * ratio, NULL, NULL, NULL, NULL,
                                 want, &err), &err);
        double rel = max_rel(got, want, NPX);
        CHECK_MSG(rel < 1e-6 && fabs(dz) > (v == 1 ? -1 : 1e-3),
                  "voxel (%d, %d) at %g deg, %.2f mm along the beam: max difference %.3g of "
                  "the peak",
                  i, k, angles[v], dz * 1e3, rel);
        /* And the apparent ring moves: the nominal frame differs by far more. */
        if (v != 1) {
            CHECK_OK(tsct_sim_render(tsct_sim_physics_plan_render(plan), q, I, NQ, 3.0 * len,
                                     NULL, NULL, NULL, NULL, want, &err), &err);
            CHECK_MSG(max_rel(got, want, NPX) > 1e-2, "voxel %d: parallax visible (%.3g)", v,
                      max_rel(got, want, NPX));
        }
        tsct_sim_render_plan_destroy(rp);
    }
    tsct_sim_physics_work_destroy(work);
    tsct_sim_physics_plan_destroy(plan);
}

static void test_absorption(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_poni g = tilted();
    const int64_t n = 21;
    const double voxel_mm = 0.5, mu0 = 0.2;
    static double q[NQ];
    static float I[NQ], got[NPX], frac[21 * 21], mu[21 * 21];
    pattern(q, I);
    for (int v = 0; v < n * n; v++)
        mu[v] = (float)mu0;
    memset(frac, 0, sizeof frac);
    frac[10 * n + 10] = 1.0f;
    tsct_sim_physics_params pp = TSCT_SIM_PHYSICS_PARAMS_DEFAULT;
    pp.absorption = 1;
    pp.nazimuth = 512;
    tsct_sim_physics_plan *plan = NULL;
    tsct_sim_physics_work *work = NULL;
    CHECK_OK(tsct_sim_physics_plan_create(&g, ROWS, COLS, NULL, 0.95, &pp, n, 1, voxel_mm, NULL,
                                          1, &plan, &err), &err);
    if (!plan)
        return;
    CHECK_OK(tsct_sim_physics_work_create(plan, NQ, &work, &err), &err);
    CHECK_OK(tsct_sim_physics_frame(plan, frac, mu, I, q, NQ, 0.0, 0.0, 2.0, NULL, NULL, NULL,
                                    NULL, work, got, &err), &err);
    const tsct_sim_render_plan *rp = tsct_sim_physics_plan_render(plan);
    const double *q0 = tsct_sim_render_plan_q(rp), *f0 = tsct_sim_render_plan_factor(rp);
    /* In: 10 voxels of slab, then the voxel's own length integrated. */
    const double m = mu0 * voxel_mm;
    const double in = exp(-10 * m) * (1 - exp(-m)) / m;
    double worst = 0, lo = 1, hi = 0;
    for (int64_t px = 0; px < NPX; px++) {
        double t[3];
        tsct_geometry_point(&g, (double)(px / COLS) + 0.5, (double)(px % COLS) + 0.5, t);
        double phi = atan2(t[1], t[2]);
        double share = hypot(t[1], t[2]) / sqrt(t[0] * t[0] + t[1] * t[1] + t[2] * t[2]);
        double out = exp(-mu0 * voxel_mm * 10.5 / cos(phi) / share);
        /* the slab's side faces are beyond 45 degrees: the exit is through the far face */
        CHECK(fabs(phi) < M_PI / 4);
        if (q0[px] < q[0] || q0[px] > q[NQ - 1]) {   /* no pattern there */
            CHECK(got[px] == 0.0f);
            continue;
        }
        int64_t j = (int64_t)((q0[px] - q[0]) / (q[1] - q[0]));
        double f = (q0[px] - q[j]) / (q[1] - q[0]);
        double Iq = (1 - f) * I[j] + f * I[j + 1];
        double want = 2.0 * Iq * f0[px] * in * out;
        worst = fmax(worst, fabs(got[px] - want) / want);
        lo = fmin(lo, out);
        hi = fmax(hi, out);
    }
    CHECK_MSG(worst < 1e-5 && hi - lo > 0.01,
              "slab: max relative difference %.3g from Beer-Lambert (outgoing %.4f .. %.4f)",
              worst, lo, hi);
    tsct_sim_physics_work_destroy(work);
    tsct_sim_physics_plan_destroy(plan);
}

static void test_both_off(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_poni g = tilted();
    const int64_t n = 16, nc = 2;
    const double voxel_mm = 0.3, muc[2] = {0.5, 0.1};
    static double q[NQ];
    static float P[2 * NQ], got[NPX], want[NPX], frac[16 * 16 * 2], mu[16 * 16];
    static float data[4 * NQ];
    pattern(q, P);
    for (int j = 0; j < NQ; j++)
        P[NQ + j] = (float)(0.5 + 2.0 * exp(-0.5 * pow((q[j] - 6.0) / 0.1, 2)));
    tsct_sim_rng rng;
    tsct_sim_rng_seed(&rng, 5);
    for (int v = 0; v < n * n; v++) {
        frac[2 * v] = (float)tsct_sim_rng_uniform(&rng);
        frac[2 * v + 1] = (float)tsct_sim_rng_uniform(&rng);
        mu[v] = (float)(muc[0] * frac[2 * v] + muc[1] * frac[2 * v + 1]);
    }
    tsct_sim_beam beam = TSCT_SIM_BEAM_DEFAULT;
    const double angle = 40.0;
    float diode[4];
    tsct_sim_scan scan = {1, 4, &angle, beam, voxel_mm, 0, 1, diode, 1.0};
    CHECK_OK(tsct_sim_scan_patterns(&scan, frac, n, nc, P, NQ, muc, NULL, data, NULL, &err),
             &err);
    tsct_sim_physics_params pp = TSCT_SIM_PHYSICS_PARAMS_DEFAULT;
    tsct_sim_physics_plan *plan = NULL;
    tsct_sim_physics_work *work = NULL;
    CHECK_OK(tsct_sim_physics_plan_create(&g, ROWS, COLS, NULL, 0.95, &pp, n, nc, voxel_mm, &beam,
                                          1, &plan, &err), &err);
    if (!plan)
        return;
    CHECK_OK(tsct_sim_physics_work_create(plan, NQ, &work, &err), &err);
    for (int j = 0; j < 4; j++) {
        /* The scan's translation j of 4 is j - 2 voxels from the axis. */
        CHECK_OK(tsct_sim_physics_frame(plan, frac, mu, P, q, NQ, angle, j - 2.0, 7.0, NULL,
                                        NULL, NULL, NULL, work, got, &err), &err);
        CHECK_OK(tsct_sim_render(tsct_sim_physics_plan_render(plan), q, data + j * NQ, NQ, 7.0,
                                 NULL, NULL, NULL, NULL, want, &err), &err);
        double rel = max_rel(got, want, NPX);
        CHECK_MSG(rel < 1e-5 && diode[j] < 0.99, "both off, translation %d: %.3g (T %.4f)", j,
                  rel, diode[j]);
    }
    tsct_sim_physics_work_destroy(work);
    tsct_sim_physics_plan_destroy(plan);
}

/* A coarse scan (translation step k, beam k times as wide) sees exactly the rays of a fine scan
 * of a beam k times as wide at every k-th translation; an interior scan (ns < n) the central
 * rays of the whole scan. */
static void test_coarse_interior(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    enum { N = 24, NC = 2, NA = 3 };
    static float img[N * N * NC], coarse[NA * 6 * NC], fine[NA * 24 * NC], roi[NA * 10 * NC];
    static float patterns[NC * 16], data[NA * 24 * 16];
    const double angles[NA] = {0.0, 33.0, 101.0};
    tsct_sim_rng rng;
    tsct_sim_rng_seed(&rng, 9);
    for (int v = 0; v < N * N * NC; v++)
        img[v] = (float)tsct_sim_rng_uniform(&rng);
    for (int j = 0; j < NC * 16; j++)
        patterns[j] = (float)(j % 16 == 3 || j % 16 == 16 - 1 - 3 * (j / 16));
    tsct_sim_beam beam = {1.0, TSCT_SIM_BEAM_TOPHAT, 8}, wide = {4.0, TSCT_SIM_BEAM_TOPHAT, 8};
    tsct_sim_scan scan = {NA, 6, angles, beam, 0.01, 0, 1, NULL, 4.0};
    /* patterns = identity on channels 3 and 12: data carries the projections */
    CHECK_OK(tsct_sim_scan_patterns(&scan, img, N, NC, patterns, 16, NULL, NULL, data, coarse,
                                    &err), &err);
    CHECK_OK(tsct_sim_project(img, N, NC, angles, NA, 24, &wide, 1, fine, &err), &err);
    double worst = 0;
    for (int a = 0; a < NA; a++)
        for (int j = 0; j < 6; j++)
            for (int c = 0; c < NC; c++)
                worst = fmax(worst, fabs(coarse[(a * 6 + j) * NC + c] -
                                         fine[(a * 24 + 4 * j) * NC + c]));
    CHECK_MSG(worst < 1e-5, "coarse scan vs every 4th wide ray: %.3g", worst);
    CHECK_OK(tsct_sim_project(img, N, NC, angles, NA, 24, &beam, 1, fine, &err), &err);
    CHECK_OK(tsct_sim_project(img, N, NC, angles, NA, 10, &beam, 1, roi, &err), &err);
    worst = 0;
    for (int a = 0; a < NA; a++)
        for (int j = 0; j < 10; j++)
            for (int c = 0; c < NC; c++)
                worst = fmax(worst, fabs(roi[(a * 10 + j) * NC + c] -
                                         fine[(a * 24 + j + 7) * NC + c]));
    CHECK_MSG(worst == 0, "interior scan vs the central rays: %.3g", worst);
    scan.step = -1;
    CHECK_FAILS(tsct_sim_scan_patterns(&scan, img, N, NC, patterns, 16, NULL, NULL, data, NULL,
                                       &err),
                TSCT_ERR_VALUE, &err, "translation step");
}

static void test_bad(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_poni g = tilted();
    tsct_sim_physics_params pp = TSCT_SIM_PHYSICS_PARAMS_DEFAULT;
    tsct_sim_physics_plan *plan = NULL;
    pp.parallax = 1;
    /* 201 voxels of 0.5 mm reach 71 mm down the beam; the detector is 50 mm away. */
    CHECK_FAILS(tsct_sim_physics_plan_create(&g, ROWS, COLS, NULL, 0.95, &pp, 201, 1, 0.5, NULL,
                                             1, &plan, &err),
                TSCT_ERR_VALUE, &err, "reaches the detector");
    CHECK(plan == NULL);
    pp.depth_bin = 0;
    CHECK_FAILS(tsct_sim_physics_plan_create(&g, ROWS, COLS, NULL, 0.95, &pp, 11, 1, 0.5, NULL,
                                             1, &plan, &err),
                TSCT_ERR_VALUE, &err, "depth bin");
    tsct_sim_physics_plan_destroy(NULL);
    tsct_sim_physics_work_destroy(NULL);
}

int main(void)
{
    test_parallax();
    test_absorption();
    test_both_off();
    test_coarse_interior();
    test_bad();
    return tsct_test_finish("test_sim_physics");
}
