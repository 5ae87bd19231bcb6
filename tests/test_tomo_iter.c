/* test_tomo_iter.c - the projector pair (adjoint identity, agreement with
 * skimage.transform.radon on reference phantoms) and the iterative solvers SIRT and CGLS
 * (monotone residuals, multi-channel, beating FBP on a sparse 30-angle scan, stopping rules,
 * bad input). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tomo_test_util.h"
#include "tsct/tomo.h"
#include "tsct_test.h"

static double dot(const float *a, const float *b, int64_t n)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += (double)a[i] * (double)b[i];
    return s;
}

/* <A x, y> = <x, A^T y> for random x, y; nc = 1, 5 and 70 (vector paths + remainder), circle
 * on and off, non-uniform angles over 360 degrees, image size different from ns. */
static void test_adjoint(void)
{
    uint64_t rng = 12345;
    const int64_t na = 23, ns = 41;
    double theta[23];
    for (int64_t a = 0; a < na; a++)
        theta[a] = 360.0 * tomo_rand(&rng);
    const int64_t ncs[3] = {1, 5, 70};
    for (int circle = 0; circle <= 1; circle++) {
        for (int k = 0; k < 3; k++) {
            const int64_t nc = ncs[k], n = circle ? 41 : 30;
            tsct_error err = TSCT_ERROR_INIT;
            tsct_tomo_projector_params pp = TSCT_TOMO_PROJECTOR_PARAMS_DEFAULT;
            pp.image_size = n;
            pp.circle = circle;
            tsct_tomo_projector *P = NULL;
            CHECK_OK(tsct_tomo_projector_create(&pp, na, ns, theta, &P, &err), &err);
            const int64_t nimg = n * n * nc, nsino = na * ns * nc;
            float *x = malloc((size_t)nimg * sizeof *x), *ax = malloc((size_t)nsino * 4);
            float *y = malloc((size_t)nsino * sizeof *y), *aty = malloc((size_t)nimg * 4);
            for (int64_t i = 0; i < nimg; i++)
                x[i] = (float)(tomo_rand(&rng) - 0.5);
            for (int64_t i = 0; i < nsino; i++)
                y[i] = (float)(tomo_rand(&rng) - 0.5);
            CHECK_OK(tsct_tomo_projector_forward(P, x, nc, ax, &err), &err);
            CHECK_OK(tsct_tomo_projector_adjoint(P, y, nc, aty, &err), &err);
            const double lhs = dot(ax, y, nsino), rhs = dot(x, aty, nimg);
            const double scale = sqrt(dot(ax, ax, nsino) * dot(y, y, nsino));
            CHECK_MSG(fabs(lhs - rhs) <= 1e-6 * scale,
                      "circle %d nc %lld: <Ax,y> = %.9g, <x,A'y> = %.9g, |diff| / (|Ax||y|) "
                      "= %.3g",
                      circle, (long long)nc, lhs, rhs, fabs(lhs - rhs) / scale);
            if (k == 2 && circle)
                printf("adjoint identity: |<Ax,y> - <x,A'y>| / (|Ax| |y|) = %.2g\n",
                       fabs(lhs - rhs) / scale);
            free(x);
            free(ax);
            free(y);
            free(aty);
            tsct_tomo_projector_destroy(P);
        }
    }
}

/* A x against skimage.transform.radon(x) (which rotates the image with bilinear interpolation
 * and sums columns): relative RMS and max differences, smooth and sharp-edged phantoms. */
static void compare_radon(const char *label, const char *prefix, int64_t na, int64_t ns,
                          int64_t nc, double tol_rms, double tol_max)
{
    char f[128];
    snprintf(f, sizeof f, "%s_angles.f64", prefix);
    double *theta = tomo_read(f, sizeof(double), (size_t)na);
    snprintf(f, sizeof f, "%s_phantom.f32", prefix);
    float *ph = tomo_read(f, sizeof(float), (size_t)(ns * ns * nc));
    snprintf(f, sizeof f, "%s_sino.f32", prefix);
    float *ref = tomo_read(f, sizeof(float), (size_t)(na * ns * nc));
    CHECK(theta && ph && ref);
    if (theta && ph && ref) {
        tsct_error err = TSCT_ERROR_INIT;
        tsct_tomo_projector *P = NULL;
        CHECK_OK(tsct_tomo_projector_create(NULL, na, ns, theta, &P, &err), &err);
        float *s = malloc((size_t)(na * ns * nc) * sizeof *s);
        CHECK_OK(tsct_tomo_projector_forward(P, ph, nc, s, &err), &err);
        for (int64_t c = 0; c < nc; c++) {
            const double mx = tomo_max_abs(ref, na * ns, nc, c);
            const double rms = tomo_rms_diff(s, ref, na * ns, nc, c) / mx;
            double dmax = 0.0;
            for (int64_t i = 0; i < na * ns; i++)
                dmax = fmax(dmax, fabs((double)s[i * nc + c] - ref[i * nc + c]));
            dmax /= mx;
            printf("forward vs radon, %s channel %lld: RMS %.2e, max %.2e of the sinogram "
                   "maximum\n",
                   label, (long long)c, rms, dmax);
            CHECK_MSG(rms <= tol_rms && dmax <= tol_max, "%s channel %lld: rms %.3g max %.3g",
                      label, (long long)c, rms, dmax);
        }
        free(s);
        tsct_tomo_projector_destroy(P);
    }
    free(theta);
    free(ph);
    free(ref);
}

static void test_forward_vs_radon(void)
{
    compare_radon("smooth", "smooth", 30, 64, 1, 1.5e-3, 1.5e-2);
    compare_radon("ellipses", "even180", 45, 64, 3, 1e-2, 0.15);
}

static double rms_err_inside(const float *x, const float *truth, int64_t n, int64_t nc,
                             int64_t c)
{
    double s = 0.0;
    int64_t m = 0;
    for (int64_t r = 0; r < n; r++)
        for (int64_t k = 0; k < n; k++) {
            const int64_t dr = r - n / 2, dk = k - n / 2;
            if (dr * dr + dk * dk > (n / 2) * (n / 2))
                continue;
            const double d = (double)x[(r * n + k) * nc + c] - truth[(r * n + k) * nc + c];
            s += d * d;
            m++;
        }
    return sqrt(s / (double)m);
}

/* 30 non-uniform angles over 180 degrees: the smooth phantom's radon sinogram (skimage, so not
 * the solvers' own model) and a 3-channel ellipse phantom projected with A. Residuals must
 * fall monotonically and the iterative images must be closer to the truth than FBP's. */
static void test_solvers(void)
{
    const int64_t na = 30, ns = 64, n = 64;
    double *theta = tomo_read("smooth_angles.f64", sizeof(double), (size_t)na);
    float *truth1 = tomo_read("smooth_phantom.f32", sizeof(float), (size_t)(n * n));
    float *sino1 = tomo_read("smooth_sino.f32", sizeof(float), (size_t)(na * ns));
    float *truth3 = tomo_read("even180_phantom.f32", sizeof(float), (size_t)(n * n * 3));
    CHECK(theta && truth1 && sino1 && truth3);
    if (!theta || !truth1 || !sino1 || !truth3)
        goto out;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_tomo_projector *P = NULL;
    CHECK_OK(tsct_tomo_projector_create(NULL, na, ns, theta, &P, &err), &err);
    float *sino3 = malloc((size_t)(na * ns * 3) * sizeof *sino3);
    CHECK_OK(tsct_tomo_projector_forward(P, truth3, 3, sino3, &err), &err);

    const float *sinos[2] = {sino1, sino3};
    const float *truths[2] = {truth1, truth3};
    const int64_t ncs[2] = {1, 3};
    const char *names[2] = {"smooth (radon data)", "ellipses (3 channels)"};
    for (int d = 0; d < 2; d++) {
        const int64_t nc = ncs[d];
        /* FBP (ramp) on the same data. */
        tsct_tomo_fbp_plan *fp = NULL;
        CHECK_OK(tsct_tomo_fbp_plan_create(NULL, na, ns, theta, &fp, &err), &err);
        size_t fw = tsct_tomo_fbp_workspace_size(fp);
        void *fwork = malloc(fw);
        float *xf = malloc((size_t)(n * n * nc) * sizeof *xf);
        CHECK_OK(tsct_tomo_fbp_execute(fp, sinos[d], nc, 0, xf, 0, fwork, fw, &err), &err);
        free(fwork);
        tsct_tomo_fbp_plan_destroy(fp);

        size_t wsz = tsct_tomo_solver_workspace_size(P, nc);
        void *work = malloc(wsz);
        for (int method = 0; method < 3; method++) {
            const char *mname = method == 0 ? "SIRT" : method == 1 ? "SIRT+nonneg" : "CGLS";
            tsct_tomo_iter_params ip = TSCT_TOMO_ITER_PARAMS_DEFAULT;
            ip.max_iter = method == 2 ? 40 : 300;
            ip.nonneg = method == 1;
            ip.tol = 0.0;
            double res[300];
            tsct_tomo_iter_report rep = {0, 0};
            float *x = calloc((size_t)(n * n * nc), sizeof *x);
            tsct_status st = method < 2 ? tsct_tomo_sirt(P, &ip, sinos[d], nc, x, res, &rep,
                                                         work, wsz, &err)
                                        : tsct_tomo_cgls(P, &ip, sinos[d], nc, x, res, &rep,
                                                         work, wsz, &err);
            CHECK_MSG(st == TSCT_NOT_CONVERGED, "%s: status %s (%s)", mname, tsct_strerror(st),
                      err.message);
            CHECK(rep.iterations == ip.max_iter);
            CHECK_NEAR(rep.residual, res[rep.iterations - 1], 0.0);
            int mono = 1;
            for (int k = 1; k < rep.iterations; k++)
                mono &= res[k] <= res[k - 1] * (1.0 + 1e-6);
            CHECK_MSG(mono, "%s on %s: residual not monotone", mname, names[d]);
            CHECK(res[rep.iterations - 1] < 0.5 * res[0]);
            for (int64_t c = 0; c < nc; c++) {
                const double ef = rms_err_inside(xf, truths[d], n, nc, c);
                const double ei = rms_err_inside(x, truths[d], n, nc, c);
                const double mx = tomo_max_abs(truths[d], n * n, nc, c);
                printf("%s, %s, channel %lld: %d iterations, residual %.2e -> %.2e; RMS error "
                       "/ max: FBP %.4f, %s %.4f\n",
                       names[d], mname, (long long)c, rep.iterations, res[0],
                       res[rep.iterations - 1], ef / mx, mname, ei / mx);
                CHECK_MSG(ei < 0.8 * ef, "%s channel %lld: %s error %.4g, FBP %.4g", names[d],
                          (long long)c, mname, ei, ef);
            }
            if (method == 1) {
                int neg = 0;
                for (int64_t i = 0; i < n * n * nc; i++)
                    neg |= x[i] < 0.0f;
                CHECK(!neg);
            }
            free(x);
        }
        free(work);
        free(xf);
    }

    /* Stopping rules: a loose tolerance converges (TSCT_OK) early; stall_tol too. */
    {
        size_t wsz = tsct_tomo_solver_workspace_size(P, 1);
        void *work = malloc(wsz);
        float *x = calloc((size_t)(n * n), sizeof *x);
        tsct_tomo_iter_params ip = TSCT_TOMO_ITER_PARAMS_DEFAULT;
        ip.tol = 0.05;
        tsct_tomo_iter_report rep;
        CHECK_OK(tsct_tomo_cgls(P, &ip, sino1, 1, x, NULL, &rep, work, wsz, &err), &err);
        CHECK(rep.iterations > 0 && rep.iterations < 20 && rep.residual <= 0.05);
        memset(x, 0, (size_t)(n * n) * sizeof *x);
        ip.tol = 0.0;
        ip.stall_tol = 1e-2;
        CHECK_OK(tsct_tomo_sirt(P, &ip, sino1, 1, x, NULL, &rep, work, wsz, &err), &err);
        CHECK(rep.iterations > 1 && rep.iterations < 100);
        /* Bad input. */
        ip = (tsct_tomo_iter_params)TSCT_TOMO_ITER_PARAMS_DEFAULT;
        ip.max_iter = 0;
        CHECK_FAILS(tsct_tomo_sirt(P, &ip, sino1, 1, x, NULL, NULL, work, wsz, &err),
                    TSCT_ERR_VALUE, &err, "max_iter");
        ip.max_iter = 10;
        ip.relax = 2.0;
        CHECK_FAILS(tsct_tomo_sirt(P, &ip, sino1, 1, x, NULL, NULL, work, wsz, &err),
                    TSCT_ERR_VALUE, &err, "relax");
        ip.relax = 1.0;
        ip.tol = NAN;
        CHECK_FAILS(tsct_tomo_cgls(P, &ip, sino1, 1, x, NULL, NULL, work, wsz, &err),
                    TSCT_ERR_VALUE, &err, "tolerances");
        ip.tol = 1e-6;
        CHECK_FAILS(tsct_tomo_cgls(P, &ip, sino1, 1, x, NULL, NULL, work, wsz - 1, &err),
                    TSCT_ERR_SHAPE, &err, "workspace");
        CHECK_FAILS(tsct_tomo_cgls(P, &ip, sino1, 0, x, NULL, NULL, work, wsz, &err),
                    TSCT_ERR_VALUE, &err, "nc = 0");
        CHECK_FAILS(tsct_tomo_projector_forward(P, NULL, 1, sino1, &err), TSCT_ERR_VALUE, &err,
                    "NULL");
        free(x);
        free(work);
    }
    free(sino3);
    tsct_tomo_projector_destroy(P);
out:
    free(theta);
    free(truth1);
    free(sino1);
    free(truth3);
}

static void test_projector_bad_input(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_tomo_projector *P = NULL;
    double theta[3] = {0, 60, NAN};
    CHECK_FAILS(tsct_tomo_projector_create(NULL, 3, 16, theta, &P, &err), TSCT_ERR_VALUE, &err,
                "angles[2]");
    CHECK(P == NULL);
    CHECK_FAILS(tsct_tomo_projector_create(NULL, 0, 16, theta, &P, &err), TSCT_ERR_SHAPE, &err,
                "na = 0");
    CHECK_FAILS(tsct_tomo_projector_create(NULL, 2, 1, theta, &P, &err), TSCT_ERR_SHAPE, &err,
                "ns = 1");
    tsct_tomo_projector_params pp = TSCT_TOMO_PROJECTOR_PARAMS_DEFAULT;
    pp.image_size = -1;
    CHECK_FAILS(tsct_tomo_projector_create(&pp, 2, 16, theta, &P, &err), TSCT_ERR_VALUE, &err,
                "image_size");
    CHECK_OK(tsct_tomo_projector_create(NULL, 2, 16, theta, &P, &err), &err);
    int64_t na, ns, n;
    tsct_tomo_projector_shape(P, &na, &ns, &n);
    CHECK(na == 2 && ns == 16 && n == 16);
    tsct_tomo_projector_destroy(P);
    tsct_tomo_projector_destroy(NULL);
}

int main(void)
{
    const char *kernels[3] = {"generic", "avx2", "avx512"};
    for (int k = 0; k < 3; k++) {
        setenv("TSCT_TOMO_KERNELS", kernels[k], 1);
        test_adjoint();
    }
    unsetenv("TSCT_TOMO_KERNELS");
    test_forward_vs_radon();
    test_solvers();
    test_projector_bad_input();
    return tsct_test_finish("test_tomo_iter");
}
