/* test_tomo_physics.c - the projector pair with parallax (tsct/tomo_physics.h):
 *
 * - adjoint: <A x, y> = <x, A^T y> to 1e-5 relative with parallax (random cubes);
 * - parallax off: A and A^T equal tsct_tomo_projector's to 1e-6 of max;
 * - against the simulator: a single voxel off the axis rendered by tsct_sim_physics_frame on an
 *   untilted detector and azimuthally averaged with the nominal geometry gives the pattern
 *   that A predicts for it, compared at each bin's mean pixel q (1 % of the peak: linear
 *   interpolation of a broad peak), where the on-axis pattern is off by far more;
 * - CGLS: a cube projected with parallax is recovered by the parallax-aware CGLS to a small
 *   fraction of the error left by the plain model.
 */
#include <math.h>

#include "tsct/geometry.h"
#include "tsct/sim_physics.h"
#include "tsct/simulate.h"
#include "tsct/tomo.h"
#include "tsct/tomo_physics.h"
#include "tsct_test.h"

enum { N = 16, NA = 24, NQ = 64 };

static double dot(const float *a, const float *b, int64_t n)
{
    double s = 0;
    for (int64_t k = 0; k < n; k++)
        s += (double)a[k] * b[k];
    return s;
}

static void grid(double *q)
{
    for (int j = 0; j < NQ; j++)
        q[j] = 1.0 + 4.0 * j / (NQ - 1.0);
}

static void test_adjoint_and_off(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    double ang[NA], q[NQ];
    for (int a = 0; a < NA; a++)
        ang[a] = 180.0 * a / NA;
    grid(q);
    static float x[N * N * NQ], y[NA * N * NQ], Ax[NA * N * NQ], Aty[N * N * NQ];
    static float Bx[NA * N * NQ], Bty[N * N * NQ];
    tsct_sim_rng rng;
    tsct_sim_rng_seed(&rng, 3);
    for (int k = 0; k < N * N * NQ; k++)
        x[k] = (float)tsct_sim_rng_uniform(&rng);
    for (int k = 0; k < NA * N * NQ; k++)
        y[k] = (float)tsct_sim_rng_uniform(&rng);
    tsct_tomo_physics_params pp = TSCT_TOMO_PHYSICS_PARAMS_DEFAULT;
    pp.parallax = 1;
    pp.distance_mm = 60.0;
    pp.wavelength_a = 0.12;
    pp.voxel_mm = 0.5;
    pp.nthreads = 2;
    tsct_tomo_physics *op = NULL;
    CHECK_OK(tsct_tomo_physics_create(&pp, NA, N, 0, ang, q, NQ, &op, &err), &err);
    if (op) {
        tsct_tomo_physics_forward(op, x, Ax);
        tsct_tomo_physics_adjoint(op, y, Aty);
        double l = dot(Ax, y, NA * N * NQ), r = dot(x, Aty, N * N * NQ);
        CHECK_MSG(fabs(l - r) <= 1e-5 * fabs(l), "<Ax, y> %.9g vs <x, A'y> %.9g", l, r);
    }
    tsct_tomo_physics_destroy(op);
    /* parallax off: the plain pair */
    pp.parallax = 0;
    op = NULL;
    tsct_tomo_projector *plain = NULL;
    CHECK_OK(tsct_tomo_physics_create(&pp, NA, N, 0, ang, q, NQ, &op, &err), &err);
    CHECK_OK(tsct_tomo_projector_create(NULL, NA, N, ang, &plain, &err), &err);
    if (op && plain) {
        tsct_tomo_physics_forward(op, x, Ax);
        tsct_tomo_physics_adjoint(op, y, Aty);
        CHECK_OK(tsct_tomo_projector_forward(plain, x, NQ, Bx, &err), &err);
        CHECK_OK(tsct_tomo_projector_adjoint(plain, y, NQ, Bty, &err), &err);
        double d1 = 0, d2 = 0, m1 = 0, m2 = 0;
        for (int k = 0; k < NA * N * NQ; k++) {
            d1 = fmax(d1, fabs(Ax[k] - Bx[k]));
            m1 = fmax(m1, fabs(Bx[k]));
        }
        for (int k = 0; k < N * N * NQ; k++) {
            d2 = fmax(d2, fabs(Aty[k] - Bty[k]));
            m2 = fmax(m2, fabs(Bty[k]));
        }
        CHECK_MSG(d1 <= 1e-6 * m1 && d2 <= 1e-6 * m2, "off vs the plain pair: %.3g, %.3g", d1 / m1,
                  d2 / m2);
    }
    tsct_tomo_projector_destroy(plain);
    tsct_tomo_physics_destroy(op);
    /* bad input */
    pp.parallax = 1;
    pp.distance_mm = 0;
    CHECK_FAILS(tsct_tomo_physics_create(&pp, NA, N, 0, ang, q, NQ, &op, &err), TSCT_ERR_VALUE,
                &err, "detector distance");
    pp.distance_mm = 5.0;
    CHECK_FAILS(tsct_tomo_physics_create(&pp, NA, N, 0, ang, q, NQ, &op, &err), TSCT_ERR_VALUE,
                &err, "reaches the detector");
}

/* One voxel, one angle: the simulator's frame, integrated on the axis, against A. */
static void test_against_simulator(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    enum { R = 120, C = 120, M = 21 };
    const double voxel_mm = 0.4, dist = 0.08;  /* m */
    tsct_poni g = {"Detector", 1e-3, 1e-3, {R, C}, 3, dist, 0.06, 0.06, 0, 0, 0, 0.3e-10};
    double q[NQ];
    static float P[NQ];
    grid(q);
    for (int j = 0; j < NQ; j++)
        P[j] = (float)(0.2 + exp(-0.5 * pow((q[j] - 3.0) / 0.25, 2)));
    tsct_sim_physics_params sp = TSCT_SIM_PHYSICS_PARAMS_DEFAULT;
    sp.parallax = 1;
    sp.depth_bin = 0.25;
    tsct_sim_physics_plan *plan = NULL;
    tsct_sim_physics_work *work = NULL;
    CHECK_OK(tsct_sim_physics_plan_create(&g, R, C, NULL, 0.0, &sp, M, 1, voxel_mm, NULL, 1,
                                          &plan, &err), &err);
    if (!plan)
        return;
    CHECK_OK(tsct_sim_physics_work_create(plan, NQ, &work, &err), &err);
    static float frac[M * M], frame[R * C], image[M * M * NQ], sino[M * NQ];
    const int i = 4, k = 13;          /* (row, column): 6 voxels up the beam at 0 degrees */
    frac[i * M + k] = 1.0f;
    const double t = k - M / 2;   /* angle 0: t = x, l = y = i - M/2 = -6 */
    CHECK_OK(tsct_sim_physics_frame(plan, frac, NULL, P, q, NQ, 0.0, t, 1.0, NULL, NULL, NULL,
                                    NULL, work, frame, &err), &err);
    /* the integration's view: mean of frame / factor in q bins around the channels */
    const tsct_sim_render_plan *rp = tsct_sim_physics_plan_render(plan);
    const double *q0 = tsct_sim_render_plan_q(rp), *f0 = tsct_sim_render_plan_factor(rp);
    double sum[NQ] = {0}, cnt[NQ] = {0}, qsum[NQ] = {0};
    const double dq = q[1] - q[0];
    for (int px = 0; px < R * C; px++) {
        int j = (int)floor((q0[px] - q[0]) / dq + 0.5);
        if (j >= 0 && j < NQ) {
            sum[j] += frame[px] / f0[px];
            qsum[j] += q0[px];
            cnt[j] += 1;
        }
    }
    /* A's prediction: the voxel's pattern through the resampling, over its chord */
    tsct_tomo_physics_params pp = TSCT_TOMO_PHYSICS_PARAMS_DEFAULT;
    pp.parallax = 1;
    pp.distance_mm = dist * 1e3;
    pp.wavelength_a = 0.3;
    pp.voxel_mm = voxel_mm;
    const double ang = 0.0;
    tsct_tomo_physics *op = NULL;
    CHECK_OK(tsct_tomo_physics_create(&pp, 1, M, M, &ang, q, NQ, &op, &err), &err);
    for (int j = 0; j < NQ; j++)
        image[(i * M + k) * NQ + j] = P[j];
    if (op)
        tsct_tomo_physics_forward(op, image, sino);
    /* at angle 0 the voxel falls on one bin, t + M/2, with the chord 1 */
    const float *pred = sino + (int)(t + M / 2) * NQ;
    double worst = 0, axis = 0, peak = 0;
    int used = 0;
    for (int j = 2; j < NQ - 2; j++) {
        if (cnt[j] < 20)
            continue;
        /* compared at the bin's mean pixel q: bins cut by the detector's edges are lopsided */
        double got = sum[j] / cnt[j], qm = qsum[j] / cnt[j];
        int lo = (int)floor((qm - q[0]) / dq);
        double f = (qm - q[lo]) / dq;
        worst = fmax(worst, fabs(got - ((1 - f) * pred[lo] + f * pred[lo + 1])));
        axis = fmax(axis, fabs(got - ((1 - f) * P[lo] + f * P[lo + 1])));
        peak = fmax(peak, P[j]);
        used++;
    }
    CHECK_MSG(used > 20 && worst < 0.01 * peak && axis > 0.05 * peak,
              "%d channels: simulator vs A %.4f of the peak (the on-axis pattern: %.4f)", used,
              worst / peak, axis / peak);
    printf("voxel 2.4 mm up the beam at 80 mm: simulator vs A %.4f, vs on-axis %.4f of peak\n",
           worst / peak, axis / peak);
    tsct_tomo_physics_destroy(op);
    tsct_sim_physics_work_destroy(work);
    tsct_sim_physics_plan_destroy(plan);
}

static void test_cgls(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    double ang[NA], q[NQ];
    for (int a = 0; a < NA; a++)
        ang[a] = 180.0 * a / NA;
    grid(q);
    static float truth[N * N * NQ], sino[NA * N * NQ], rec[N * N * NQ], plain[N * N * NQ];
    for (int r = 0; r < N; r++)
        for (int c = 0; c < N; c++) {
            double d = hypot(r - N / 2, c - N / 2);
            if (d > N / 2 - 1)
                continue;
            double pos = 3.0 + 0.04 * (c - N / 2);   /* a peak that moves across the slice */
            for (int j = 0; j < NQ; j++)
                truth[(r * N + c) * NQ + j] =
                    (float)(0.3 + exp(-0.5 * pow((q[j] - pos) / 0.12, 2)));
        }
    tsct_tomo_physics_params pp = TSCT_TOMO_PHYSICS_PARAMS_DEFAULT;
    pp.parallax = 1;
    pp.distance_mm = 40.0;
    pp.wavelength_a = 0.12;
    pp.voxel_mm = 0.5;
    tsct_tomo_physics *op = NULL, *op0 = NULL;
    CHECK_OK(tsct_tomo_physics_create(&pp, NA, N, 0, ang, q, NQ, &op, &err), &err);
    pp.parallax = 0;
    CHECK_OK(tsct_tomo_physics_create(&pp, NA, N, 0, ang, q, NQ, &op0, &err), &err);
    if (!op || !op0)
        return;
    tsct_tomo_physics_forward(op, truth, sino);
    tsct_tomo_iter_params ip = TSCT_TOMO_ITER_PARAMS_DEFAULT;
    ip.max_iter = 60;
    double res[60];
    tsct_tomo_iter_report rep;
    tsct_status st = tsct_tomo_physics_cgls(op, &ip, sino, rec, res, &rep, &err);
    CHECK(st == TSCT_OK || st == TSCT_NOT_CONVERGED);
    CHECK(rep.iterations >= 1 && res[rep.iterations - 1] < res[0]);
    st = tsct_tomo_physics_cgls(op0, &ip, sino, plain, NULL, NULL, &err);
    double e1 = 0, e0 = 0, t2 = 0;
    for (int k = 0; k < N * N * NQ; k++) {
        e1 += pow(rec[k] - truth[k], 2);
        e0 += pow(plain[k] - truth[k], 2);
        t2 += (double)truth[k] * truth[k];
    }
    e1 = sqrt(e1 / t2);
    e0 = sqrt(e0 / t2);
    CHECK_MSG(e1 < 0.3 * e0, "CGLS relative error with parallax %.4f, plain %.4f", e1, e0);
    printf("CGLS (%d iterations, residual %.2e): relative error %.4f with parallax, %.4f "
           "without\n", rep.iterations, rep.residual, e1, e0);
    tsct_tomo_physics_destroy(op);
    tsct_tomo_physics_destroy(op0);
}

int main(void)
{
    test_adjoint_and_off();
    test_against_simulator();
    test_cgls();
    return tsct_test_finish("test_tomo_physics");
}
