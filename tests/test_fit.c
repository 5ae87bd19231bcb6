/* test_fit.c - peak fitting (include/tsct/fit.h): the profiles against their definitions, the
 * analytic Jacobian against central differences, exact recovery of noiseless peaks, bounds and
 * fixed parameters, ESD honesty over noise repeats, agreement with scipy.optimize.curve_fit
 * (tests/data/fit_reference), the batch driver, and bad inputs. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/fit.h"
#include "tsct_test.h"

/* splitmix64 and Box-Muller: reproducible Gaussian noise without libc's rand(). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static double uniform01(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss01(void)
{
    return sqrt(-2 * log(uniform01())) * cos(6.283185307179586 * uniform01());
}

static double *linspace(double a, double b, int64_t n)
{
    double *x = malloc((size_t)n * sizeof *x);
    for (int64_t i = 0; i < n; i++)
        x[i] = a + (b - a) * (double)i / (double)(n - 1);
    return x;
}

/* Profiles: unit area (trapezoid over +-200 w, plus the Lorentzian's tails outside),
 * height c/w at the centre, half of it at x0 +- w/2. */
static void test_profiles(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const int64_t n = 400001;
    double *x = linspace(-200, 200, n);
    const char *spec[3] = {"g@0,area=1:fixed,fwhm=1:fixed", "l@0,area=1:fixed,fwhm=1:fixed",
                           "pv@0,area=1:fixed,fwhm=1:fixed,eta=0.3:fixed"};
    /* The Lorentzian's area beyond |x| > 200 w: (2 / pi) atan(1 / 400). */
    const double ltail = 2 / 3.141592653589793 * atan(1.0 / 400);
    for (int pr = 0; pr < 3; pr++) {
        tsct_fit_model m;
        tsct_fit_model_init(&m, -200, 200);
        m.bg_degree = 0;
        CHECK_OK(tsct_fit_model_add_peak(&m, spec[pr], &err), &err);
        tsct_fit_plan *pl = NULL;
        CHECK_OK(tsct_fit_plan_create(&m, NULL, x, n, &pl, &err), &err);
        if (!pl)
            continue;
        double p[5] = {1, 0, 1, 0.3, 0};
        if (pr < 2)
            p[3] = 0;
        double *f = malloc((size_t)n * sizeof *f);
        tsct_fit_plan_model(pl, p, f, NULL);
        double area = 0;
        for (int64_t i = 1; i < n; i++)
            area += 0.5 * (f[i] + f[i - 1]) * (x[i] - x[i - 1]);
        const double missing = pr == 1 ? ltail : pr == 2 ? 0.3 * ltail : 0;
        CHECK_NEAR(area + missing, 1.0, 1e-8);
        const double hg = 0.93943727869965133, hl = 0.63661977236758134;
        const double h = pr == 0 ? hg : pr == 1 ? hl : 0.3 * hl + 0.7 * hg;
        CHECK_NEAR(f[(n - 1) / 2], h, 1e-14);
        /* x = 0.5 is index (n-1)/2 + 500 (step 0.001). */
        CHECK_NEAR(f[(n - 1) / 2 + 500], 0.5 * h, 1e-12);
        CHECK_NEAR(f[(n - 1) / 2 - 500], 0.5 * h, 1e-12);
        free(f);
        tsct_fit_plan_destroy(pl);
    }
    free(x);
}

/* Analytic Jacobian of every parameter against central differences, h = 1e-5 x scale. */
static void test_jacobian(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const int64_t n = 50;
    double *x = linspace(1.0, 2.0, n);
    tsct_fit_model m;
    tsct_fit_model_init(&m, 1.0, 2.0);
    m.bg_degree = 3;
    CHECK_OK(tsct_fit_model_add_peak(&m, "g@1.3", &err), &err);
    CHECK_OK(tsct_fit_model_add_peak(&m, "l@1.5", &err), &err);
    CHECK_OK(tsct_fit_model_add_peak(&m, "pv@1.7", &err), &err);
    tsct_fit_plan *pl = NULL;
    CHECK_OK(tsct_fit_plan_create(&m, NULL, x, n, &pl, &err), &err);
    if (!pl) {
        free(x);
        return;
    }
    const int k = tsct_fit_plan_nparams(pl);
    CHECK(k == 3 + 3 + 4 + 4);
    CHECK(strcmp(tsct_fit_plan_names(pl),
                 "area_1,position_1,fwhm_1,area_2,position_2,fwhm_2,"
                 "area_3,position_3,fwhm_3,eta_3,bg_0,bg_1,bg_2,bg_3") == 0);
    double p[14] = {1.1, 1.31, 0.07, 0.6, 1.52, 0.09, 2.0, 1.68, 0.05, 0.4, 3.0, -1.0, 0.5, 2.0};
    double *J = malloc((size_t)(n * k) * sizeof *J), *f1 = malloc((size_t)n * sizeof *f1),
           *f2 = malloc((size_t)n * sizeof *f2), *f0 = malloc((size_t)n * sizeof *f0);
    tsct_fit_plan_model(pl, p, f0, J);
    double worst = 0;
    for (int j = 0; j < k; j++) {
        const double h = 1e-5 * fmax(fabs(p[j]), 0.01);
        double q[14];
        memcpy(q, p, sizeof q);
        q[j] = p[j] + h;
        tsct_fit_plan_model(pl, q, f1, NULL);
        q[j] = p[j] - h;
        tsct_fit_plan_model(pl, q, f2, NULL);
        double scale = 0;
        for (int64_t i = 0; i < n; i++)
            scale = fmax(scale, fabs(J[i * k + j]));
        for (int64_t i = 0; i < n; i++) {
            const double fd = (f1[i] - f2[i]) / (2 * h);
            worst = fmax(worst, fabs(fd - J[i * k + j]) / scale);
        }
    }
    /* Central differences err by O(h^2 f''') ~ 1e-8 relative and O(eps f / h) ~ 1e-10. */
    CHECK_MSG(worst < 1e-6, "worst relative Jacobian error %g", worst);
    free(J), free(f0), free(f1), free(f2), free(x);
    tsct_fit_plan_destroy(pl);
}

/* Noiseless data from the model at p: the fit must return p to 1e-8 relative (scaled by the
 * largest parameter of each kind so a zero background coefficient is measured sensibly). */
static void recover(const char *const *specs, int npeaks, int deg, const double *ptrue,
                    int64_t n, double xmin, double xmax, const char *label)
{
    tsct_error err = TSCT_ERROR_INIT;
    double *x = linspace(xmin - 0.1, xmax + 0.1, n);
    tsct_fit_model m;
    tsct_fit_model_init(&m, xmin, xmax);
    m.bg_degree = deg;
    for (int i = 0; i < npeaks; i++)
        CHECK_OK(tsct_fit_model_add_peak(&m, specs[i], &err), &err);
    tsct_fit_params par = TSCT_FIT_PARAMS_DEFAULT;
    par.nthreads = 1;
    tsct_fit_plan *pl = NULL;
    tsct_fit_workspace *ws = NULL;
    CHECK_OK(tsct_fit_plan_create(&m, &par, x, n, &pl, &err), &err);
    if (pl)
        CHECK_OK(tsct_fit_workspace_create(pl, 1, &ws, &err), &err);
    if (!pl || !ws) {
        free(x);
        tsct_fit_plan_destroy(pl);
        return;
    }
    /* The model over the whole axis: a plan whose window covers everything. */
    tsct_fit_model mall = m;
    mall.xmin = x[0];
    mall.xmax = x[n - 1];
    for (int i = 0; i < npeaks; i++)
        mall.peaks[i].position.value = NAN;
    tsct_fit_plan *pall = NULL;
    CHECK_OK(tsct_fit_plan_create(&mall, &par, x, n, &pall, &err), &err);
    double *y = malloc((size_t)n * sizeof *y);
    /* The background is centred on the fit window, the full plan's on the full axis (the
     * same centre: the axis extends the window by 0.1 on both sides). */
    tsct_fit_plan_model(pall, ptrue, y, NULL);
    tsct_fit_result r;
    tsct_status st = tsct_fit_execute(pl, y, NULL, ws, 0, &r, &err);
    CHECK_MSG(st == TSCT_OK && r.status == TSCT_FIT_CONVERGED, "%s: %s, status %d (%s)", label,
              tsct_strerror(st), (int)r.status, err.message);
    const int k = tsct_fit_plan_nparams(pl);
    double worst = 0;
    for (int j = 0; j < k; j++) {
        const double scale = fmax(fabs(ptrue[j]), 1.0);
        worst = fmax(worst, fabs(r.p[j] - ptrue[j]) / scale);
    }
    CHECK_MSG(worst < 1e-8, "%s: worst relative error %g after %d iterations", label, worst,
              r.niter);
    CHECK_MSG(r.rwp < 1e-8, "%s: R_wp %g", label, r.rwp);
    free(y), free(x);
    tsct_fit_workspace_destroy(ws);
    tsct_fit_plan_destroy(pl);
    tsct_fit_plan_destroy(pall);
}

static void test_recovery(void)
{
    const int64_t n = 121;
    /* One peak of every profile, on every background degree; automatic starting values. */
    const char *one[3] = {"g", "l", "pv"};
    for (int pr = 0; pr < 3; pr++)
        for (int deg = -1; deg <= 3; deg++) {
            double p[9] = {1.7, 1.47, 0.09, 0.35};
            int o = pr == 2 ? 4 : 3;
            const double bg[4] = {0.8, -0.6, 1.5, -2.0};
            for (int j = 0; j <= deg; j++)
                p[o + j] = bg[j];
            char label[64];
            snprintf(label, sizeof label, "%s, background degree %d", one[pr], deg);
            recover(one + pr, 1, deg, p, n, 1.1, 1.9, label);
        }
    /* Two and three peaks, positions given roughly (0.01 off). */
    const char *two[2] = {"g@1.30", "pv@1.60"};
    const double p2[9] = {1.0, 1.31, 0.08, 2.0, 1.59, 0.1, 0.6, 0.5, 0.2};
    recover(two, 2, 1, p2, 161, 1.1, 1.9, "gaussian + pseudo-voigt, linear background");
    const char *three[3] = {"l@1.25", "pv@1.50", "g@1.72"};
    const double p3[13] = {0.5, 1.26, 0.06, 1.5, 1.49, 0.07, 0.2, 0.9, 1.71, 0.05, 0.3, 0.1,
                           -0.4};
    recover(three, 3, 2, p3, 201, 1.1, 1.9, "three peaks, quadratic background");
    /* Three peaks without positions: the greedy starting values find them. */
    const char *three_auto[3] = {"g", "g", "g"};
    const double p4[11] = {2.0, 1.30, 0.06, 1.2, 1.55, 0.06, 0.6, 1.75, 0.05, 0.1, 0.0};
    recover(three_auto, 3, 1, p4, 201, 1.1, 1.9, "three gaussians, automatic positions");
}

/* Bounds: an upper bound below the true width holds the width on it (status AT_BOUND), every
 * parameter stays inside its box, a fixed parameter keeps its value and ESD 0. */
static void test_bounds(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const int64_t n = 81;
    double *x = linspace(0.0, 1.0, n), *y = malloc((size_t)n * sizeof *y);
    for (int64_t i = 0; i < n; i++) {
        const double u = (x[i] - 0.52) / 0.1;
        y[i] = 0.3 + 2.0 * 0.9394372786996513 / 0.1 * exp(-2.772588722239781 * u * u);
    }
    tsct_fit_model m;
    tsct_fit_model_init(&m, 0.0, 1.0);
    m.bg_degree = 0;
    CHECK_OK(tsct_fit_model_add_peak(&m, "pv@0.5:0.45:0.55,fwhm=:0.01:0.08,eta=0.2:fixed", &err),
             &err);
    tsct_fit_plan *pl = NULL;
    tsct_fit_workspace *ws = NULL;
    CHECK_OK(tsct_fit_plan_create(&m, NULL, x, n, &pl, &err), &err);
    if (pl)
        CHECK_OK(tsct_fit_workspace_create(pl, 1, &ws, &err), &err);
    if (ws) {
        tsct_fit_result r;
        tsct_status st = tsct_fit_execute(pl, y, NULL, ws, 0, &r, &err);
        CHECK(st == TSCT_OK);
        CHECK(r.status == TSCT_FIT_AT_BOUND);
        CHECK(r.p[2] == 0.08);               /* fwhm on its upper bound, exactly */
        CHECK(r.p[1] >= 0.45 && r.p[1] <= 0.55);
        CHECK(r.p[3] == 0.2 && r.esd[3] == 0);  /* eta fixed */
        CHECK(r.p[0] >= 0);
    }
    /* A peak pushed to negative area by the data (a dip) stops at area 0. */
    for (int64_t i = 0; i < n; i++) {
        const double u = (x[i] - 0.5) / 0.1;
        y[i] = 1.0 - 0.5 * exp(-2.772588722239781 * u * u);
    }
    if (ws) {
        tsct_fit_result r;
        tsct_fit_execute(pl, y, NULL, ws, 0, &r, &err);
        CHECK_MSG(r.p[0] == 0 && r.status == TSCT_FIT_AT_BOUND, "area %g status %d", r.p[0],
                  (int)r.status);
    }
    free(x), free(y);
    tsct_fit_workspace_destroy(ws);
    tsct_fit_plan_destroy(pl);
}

/* ESD honesty: 200 noisy repeats of one pseudo-Voigt on a line; the standard deviation of each
 * fitted parameter over the repeats must match the mean reported ESD within a factor 1.5 (the
 * issue's criterion), with unit weights (ESDs scaled by the reduced chi2) and with sigma. */
static void test_esd_honesty(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const int64_t n = 60;
    const int R = 200;
    double *x = linspace(1.2, 1.8, n), *y = malloc((size_t)n * sizeof *y),
           *clean = malloc((size_t)n * sizeof *clean), *sig = malloc((size_t)n * sizeof *sig);
    tsct_fit_model m;
    tsct_fit_model_init(&m, 1.2, 1.8);
    CHECK_OK(tsct_fit_model_add_peak(&m, "pv", &err), &err);
    tsct_fit_plan *pl = NULL;
    tsct_fit_workspace *ws = NULL;
    CHECK_OK(tsct_fit_plan_create(&m, NULL, x, n, &pl, &err), &err);
    if (pl)
        CHECK_OK(tsct_fit_workspace_create(pl, 1, &ws, &err), &err);
    if (!ws) {
        free(x), free(y), free(clean), free(sig);
        tsct_fit_plan_destroy(pl);
        return;
    }
    const double truth[6] = {1.0, 1.49, 0.08, 0.4, 0.5, 0.2};
    tsct_fit_plan_model(pl, truth, clean, NULL);
    const double noise = 0.15;  /* about 2 % of the peak height (~9.6) */
    for (int64_t i = 0; i < n; i++)
        sig[i] = noise;
    for (int weighted = 0; weighted < 2; weighted++) {
        double sum[6] = {0}, sum2[6] = {0}, esd[6] = {0};
        int good = 0;
        for (int rep = 0; rep < R; rep++) {
            for (int64_t i = 0; i < n; i++)
                y[i] = clean[i] + noise * gauss01();
            tsct_fit_result r;
            if (tsct_fit_execute(pl, y, weighted ? sig : NULL, ws, 0, &r, &err) != TSCT_OK ||
                r.status != TSCT_FIT_CONVERGED)
                continue;
            good++;
            for (int j = 0; j < 6; j++) {
                sum[j] += r.p[j];
                sum2[j] += r.p[j] * r.p[j];
                esd[j] += r.esd[j];
            }
        }
        CHECK_MSG(good == R, "%d of %d fits converged inside the bounds", good, R);
        static const char *nm[6] = {"area", "position", "fwhm", "eta", "bg_0", "bg_1"};
        for (int j = 0; j < 6; j++) {
            const double mean = sum[j] / good;
            const double sd = sqrt((sum2[j] - good * mean * mean) / (good - 1));
            const double ratio = sd / (esd[j] / good);
            printf("ESD honesty (%s): %-8s std %.4g, mean ESD %.4g, ratio %.3f\n",
                   weighted ? "sigma" : "unit weights", nm[j], sd, esd[j] / good, ratio);
            CHECK_MSG(ratio > 1 / 1.5 && ratio < 1.5, "%s: std / mean ESD = %g", nm[j], ratio);
            /* And unbiased: the mean within 4 standard errors of the truth. */
            CHECK_MSG(fabs(mean - truth[j]) < 4 * sd / sqrt(good), "%s: mean %g, truth %g",
                      nm[j], mean, truth[j]);
        }
    }
    free(x), free(y), free(clean), free(sig);
    tsct_fit_workspace_destroy(ws);
    tsct_fit_plan_destroy(pl);
}

static double *read_f64(const char *name, int64_t *count)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/fit_reference/%s", TSCT_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    double *v = malloc((size_t)sz);
    *count = (int64_t)(fread(v, 1, (size_t)sz, f) / sizeof *v);
    fclose(f);
    return v;
}

/* scipy.optimize.curve_fit on the same data: parameters to 1e-6 relative (of each parameter's
 * magnitude, floored at its ESD x 1e-3 for values near zero), ESDs to 1e-3 relative. Both
 * minimise the same chi2 from nearby starts with tight tolerances, so they meet at the same
 * minimum; the ESDs differ only by the QR (MINPACK) versus Cholesky route to the same
 * (J^T W J)^-1. */
static void test_peer(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/fit_reference/cases.txt", TSCT_TEST_DATA);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f)
        return;
    char line[512];
    int ncases = 0;
    while (fgets(line, sizeof line, f)) {
        char name[64], specs[4][64];
        double xmin, xmax;
        int deg, weighted;
        int got = sscanf(line, "%63s %lf %lf %d %d %63s %63s %63s", name, &xmin, &xmax, &deg,
                         &weighted, specs[0], specs[1], specs[2]);
        CHECK(got >= 6);
        if (got < 6)
            continue;
        tsct_error err = TSCT_ERROR_INIT;
        tsct_fit_model m;
        tsct_fit_model_init(&m, xmin, xmax);
        m.bg_degree = deg;
        for (int i = 0; i < got - 5; i++)
            CHECK_OK(tsct_fit_model_add_peak(&m, specs[i], &err), &err);
        char fname[128];
        int64_t nd = 0, nf = 0;
        snprintf(fname, sizeof fname, "%s_data.f64", name);
        double *data = read_f64(fname, &nd);
        snprintf(fname, sizeof fname, "%s_fit.f64", name);
        double *ref = read_f64(fname, &nf);
        CHECK(data && ref);
        if (!data || !ref) {
            free(data), free(ref);
            continue;
        }
        const int64_t n = nd / 3;
        double *x = malloc((size_t)n * 3 * sizeof *x), *y = x + n, *s = x + 2 * n;
        for (int64_t i = 0; i < n; i++)
            x[i] = data[3 * i], y[i] = data[3 * i + 1], s[i] = data[3 * i + 2];
        tsct_fit_params par = TSCT_FIT_PARAMS_DEFAULT;
        par.ftol = par.xtol = 1e-15;
        tsct_fit_plan *pl = NULL;
        tsct_fit_workspace *ws = NULL;
        CHECK_OK(tsct_fit_plan_create(&m, &par, x, n, &pl, &err), &err);
        if (pl)
            CHECK_OK(tsct_fit_workspace_create(pl, 1, &ws, &err), &err);
        if (ws) {
            const int k = tsct_fit_plan_nparams(pl);
            CHECK_MSG(nf == 2 * k, "%s: %lld reference values for %d parameters", name,
                      (long long)nf, k);
            tsct_fit_result r;
            tsct_status st = tsct_fit_execute(pl, y, weighted ? s : NULL, ws, 0, &r, &err);
            CHECK_MSG(st == TSCT_OK && r.status == TSCT_FIT_CONVERGED, "%s: status %d", name,
                      (int)r.status);
            double wp = 0, we = 0;
            for (int j = 0; j < k && nf == 2 * k; j++) {
                const double scale = fmax(fabs(ref[j]), 1e-3 * ref[k + j]);
                wp = fmax(wp, fabs(r.p[j] - ref[j]) / scale);
                we = fmax(we, fabs(r.esd[j] - ref[k + j]) / ref[k + j]);
            }
            printf("curve_fit %s: worst relative difference %.2g (parameters), %.2g (ESDs), "
                   "%d iterations\n", name, wp, we, r.niter);
            CHECK_MSG(wp < 1e-6, "%s: parameters differ by %g relative", name, wp);
            CHECK_MSG(we < 1e-3, "%s: ESDs differ by %g relative", name, we);
        }
        ncases++;
        tsct_fit_workspace_destroy(ws);
        tsct_fit_plan_destroy(pl);
        free(x), free(data), free(ref);
    }
    fclose(f);
    CHECK(ncases == 3);
}

/* The batch driver: masked voxels and NaN patterns give NaN (status NaN / FAILED), the others
 * the same numbers as single fits, on 2 threads. */
static void test_many(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const int64_t n = 70, npix = 40;
    double *x = linspace(0.5, 1.5, n), *yd = malloc((size_t)n * sizeof *yd);
    float *pat = malloc((size_t)(n * npix) * sizeof *pat);
    uint8_t mask[40];
    tsct_fit_model m;
    tsct_fit_model_init(&m, 0.6, 1.4);
    CHECK_OK(tsct_fit_model_add_peak(&m, "pv@1.0", &err), &err);
    tsct_fit_params par = TSCT_FIT_PARAMS_DEFAULT;
    par.nthreads = 2;
    tsct_fit_plan *pl = NULL;
    tsct_fit_workspace *ws = NULL;
    CHECK_OK(tsct_fit_plan_create(&m, &par, x, n, &pl, &err), &err);
    if (pl)
        CHECK_OK(tsct_fit_workspace_create(pl, 2, &ws, &err), &err);
    if (!ws) {
        free(x), free(yd), free(pat);
        tsct_fit_plan_destroy(pl);
        return;
    }
    for (int64_t p = 0; p < npix; p++) {
        mask[p] = p % 5 != 3;
        for (int64_t i = 0; i < n; i++) {
            const double u = (x[i] - 0.95 - 0.002 * (double)p) / 0.07;
            pat[p * n + i] = (float)(0.2 + 1.5 * exp(-2.772588722239781 * u * u) +
                                     0.01 * gauss01());
        }
    }
    for (int64_t i = 0; i < n; i++)
        pat[7 * n + i] = NAN;  /* a voxel without data inside the mask */
    const int k = tsct_fit_plan_nparams(pl);
    float *par_out = malloc((size_t)(npix * k) * sizeof *par_out),
          *esd = malloc((size_t)(npix * k) * sizeof *esd), rwp[40], rc[40], stat[40];
    int64_t counts[4];
    tsct_fit_execute_many(pl, pat, npix, n, mask, ws, par_out, esd, rwp, rc, stat, counts);
    CHECK(counts[0] + counts[1] + counts[2] == 31 && counts[3] == 1);
    for (int64_t p = 0; p < npix; p++) {
        if (!mask[p]) {
            CHECK(isnan(stat[p]) && isnan(par_out[p * k]) && isnan(rwp[p]) && isnan(esd[p * k]));
            continue;
        }
        if (p == 7) {
            CHECK(stat[p] == TSCT_FIT_FAILED && isnan(par_out[p * k]) && isnan(rc[p]));
            continue;
        }
        for (int64_t i = 0; i < n; i++)
            yd[i] = pat[p * n + i];
        tsct_fit_result r;
        tsct_fit_execute(pl, yd, NULL, ws, 1, &r, &err);
        CHECK(stat[p] == (float)r.status);
        for (int j = 0; j < k; j++) {
            CHECK(par_out[p * k + j] == (float)r.p[j]);
            CHECK(esd[p * k + j] == (float)r.esd[j]);
        }
        CHECK(rwp[p] == (float)r.rwp && rc[p] == (float)r.redchi2);
        CHECK_NEAR(r.p[1], 0.95 + 0.002 * (double)p, 5 * r.esd[1] + 1e-4);
    }
    free(x), free(yd), free(pat), free(par_out), free(esd);
    tsct_fit_workspace_destroy(ws);
    tsct_fit_plan_destroy(pl);
}

static void test_bad_inputs(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    double *x = linspace(0.5, 4.0, 100), y[100];
    tsct_fit_model m;
    tsct_fit_plan *pl = NULL;
    tsct_fit_model_init(&m, 5.0, 6.0);
    CHECK_FAILS(tsct_fit_model_add_peak(&m, "voigt@1", &err), TSCT_ERR_VALUE, &err,
                "unknown profile \"voigt\"");
    CHECK_FAILS(tsct_fit_model_add_peak(&m, "pv@1,width=2", &err), TSCT_ERR_VALUE, &err,
                "unknown parameter \"width\"");
    CHECK_FAILS(tsct_fit_model_add_peak(&m, "g@1,eta=0.5", &err), TSCT_ERR_VALUE, &err,
                "pseudo-voigt peaks only");
    CHECK_FAILS(tsct_fit_model_add_peak(&m, "pv@abc", &err), TSCT_ERR_VALUE, &err,
                "position \"abc\"");
    CHECK_FAILS(tsct_fit_model_add_peak(&m, "pv@1,fwhm=0.1:2:3:4", &err), TSCT_ERR_VALUE, &err,
                "fwhm \"0.1:2:3:4\"");
    CHECK(m.npeaks == 0);
    CHECK_OK(tsct_fit_model_add_peak(&m, "pv", &err), &err);
    CHECK_FAILS(tsct_fit_plan_create(&m, NULL, x, 100, &pl, &err), TSCT_ERR_VALUE, &err,
                "window 5..6 holds 0 points of the axis 0.5..4");
    CHECK(pl == NULL);
    tsct_fit_model_init(&m, 1.0, 2.0);
    CHECK_OK(tsct_fit_model_add_peak(&m, "pv@2.5", &err), &err);
    CHECK_FAILS(tsct_fit_plan_create(&m, NULL, x, 100, &pl, &err), TSCT_ERR_VALUE, &err,
                "peak 1 at 2.5 lies outside the window 1..2");
    tsct_fit_model_init(&m, 1.0, 2.0);
    CHECK_OK(tsct_fit_model_add_peak(&m, "pv,eta=0.5:0.6:0.9", &err), &err);
    CHECK_FAILS(tsct_fit_plan_create(&m, NULL, x, 100, &pl, &err), TSCT_ERR_VALUE, &err,
                "eta_1: value 0.5 outside its bounds 0.6..0.9");
    tsct_fit_model_init(&m, 1.0, 2.0);
    CHECK_OK(tsct_fit_model_add_peak(&m, "g,fwhm=0.1:0:1", &err), &err);
    CHECK_FAILS(tsct_fit_plan_create(&m, NULL, x, 100, &pl, &err), TSCT_ERR_VALUE, &err,
                "fwhm_1: the width's lower bound must be > 0, found 0");
    tsct_fit_model_init(&m, 1.0, 2.0);
    CHECK_OK(tsct_fit_model_add_peak(&m, "pv,eta=:0:1.5", &err), &err);
    CHECK_FAILS(tsct_fit_plan_create(&m, NULL, x, 100, &pl, &err), TSCT_ERR_VALUE, &err,
                "eta's bounds must lie in 0..1");
    tsct_fit_model_init(&m, 1.0, 1.1);
    m.bg_degree = 3;
    CHECK_OK(tsct_fit_model_add_peak(&m, "pv", &err), &err);
    CHECK_FAILS(tsct_fit_plan_create(&m, NULL, x, 100, &pl, &err), TSCT_ERR_VALUE, &err,
                "8 free parameters need at least 9");
    tsct_fit_model_init(&m, 1.0, 2.0);
    m.bg_degree = 4;
    CHECK_OK(tsct_fit_model_add_peak(&m, "pv", &err), &err);
    CHECK_FAILS(tsct_fit_plan_create(&m, NULL, x, 100, &pl, &err), TSCT_ERR_VALUE, &err,
                "degree must be -1 (none) .. 3, found 4");
    x[10] = x[9];
    m.bg_degree = 1;
    CHECK_FAILS(tsct_fit_plan_create(&m, NULL, x, 100, &pl, &err), TSCT_ERR_VALUE, &err,
                "x[10]: the axis must be finite and strictly increasing");
    free(x);
    x = linspace(0.5, 4.0, 100);
    tsct_fit_params bad = TSCT_FIT_PARAMS_DEFAULT;
    bad.max_iter = 0;
    CHECK_FAILS(tsct_fit_plan_create(&m, &bad, x, 100, &pl, &err), TSCT_ERR_VALUE, &err,
                "max_iter 0");
    /* Non-finite data and sigma <= 0 inside the window: FAILED, naming the point. */
    tsct_fit_workspace *ws = NULL;
    CHECK_OK(tsct_fit_plan_create(&m, NULL, x, 100, &pl, &err), &err);
    if (pl) {
        CHECK_FAILS(tsct_fit_workspace_create(pl, 0, &ws, &err), TSCT_ERR_VALUE, &err, "slot");
        CHECK_OK(tsct_fit_workspace_create(pl, 1, &ws, &err), &err);
    }
    if (ws) {
        for (int i = 0; i < 100; i++)
            y[i] = 1;
        y[40] = NAN;
        tsct_fit_result r;
        CHECK_FAILS(tsct_fit_execute(pl, y, NULL, ws, 0, &r, &err), TSCT_ERR_VALUE, &err,
                    "y[40]: non-finite value");
        CHECK(r.status == TSCT_FIT_FAILED && isnan(r.p[0]));
        y[40] = 1;
        double s[100];
        for (int i = 0; i < 100; i++)
            s[i] = i == 25 ? 0 : 1;
        CHECK_FAILS(tsct_fit_execute(pl, y, s, ws, 0, &r, &err), TSCT_ERR_VALUE, &err,
                    "sigma[25]: sigma must be finite and > 0");
        CHECK_FAILS(tsct_fit_execute(pl, y, NULL, ws, 1, &r, &err), TSCT_ERR_VALUE, &err,
                    "no such slot");
    }
    tsct_fit_workspace_destroy(ws);
    tsct_fit_plan_destroy(pl);
    tsct_fit_plan_destroy(NULL);
    tsct_fit_workspace_destroy(NULL);
    free(x);
}

int main(void)
{
    test_profiles();
    test_jacobian();
    test_recovery();
    test_bounds();
    test_esd_honesty();
    test_peer();
    test_many();
    test_bad_inputs();
    return tsct_test_finish("test_fit");
}
