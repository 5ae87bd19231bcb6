/* test_powder.c - calculated powder patterns (tsct/powder.h).
 *
 * Layers (STYLE.md 15):
 *  - exact answers: L P of a reflection, the Caglioti and Scherrer widths, the area of a
 *    Gaussian and of a windowed Lorentzian peak, the Chebyshev background, a Q grid equal to a
 *    2theta grid at the same angles;
 *  - derivatives: every analytic column against central finite differences, for a cubic, a
 *    monoclinic and a triclinic cell (all six cell parameters move);
 *  - the window: the windowed pattern differs from the untruncated one by less than the
 *    Lorentzian tails left out;
 *  - peer: line positions and L P-weighted intensities of every CIF against xrayutilities'
 *    powder model (tests/data/powder_reference, see make_reference.py);
 *  - bad input: wavelength, grid, parameters, zero-volume cells, impossible widths. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/crystal.h"
#include "tsct/powder.h"
#include "tsct_test.h"

#define REF TSCT_TEST_DATA "/powder_reference"
#define CIFDIR TSCT_TEST_DATA "/cif"
#define STRUCTDIR TSCT_TEST_DATA "/../../data/structures"
#define DEG (M_PI / 180.0)

static tsct_crystal *read_cif(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.cif", dir, name);
    tsct_crystal *c = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_crystal_read_cif(&c, path, &err), &err);
    return c;
}

/* A triclinic P1 crystal with two atoms: every cell parameter changes every d. */
static tsct_crystal *triclinic(void)
{
    tsct_cell cell = {5.1, 6.3, 7.2, 81.0, 97.0, 104.0};
    tsct_site sites[2] = {{"Fe1", "Fe", {0.1, 0.2, 0.3}, 1.0, 0.005},
                          {"O1", "O", {0.6, 0.45, 0.8}, 1.0, 0.01}};
    tsct_crystal *c = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_crystal_create(&c, &cell, "P 1", NULL, 0, sites, 2, &err), &err);
    return c;
}

static double *grid(double x0, double x1, int64_t n)
{
    double *x = malloc((size_t)n * sizeof *x);
    for (int64_t i = 0; i < n; i++)
        x[i] = x0 + (x1 - x0) * (double)i / (double)(n - 1);
    return x;
}

/* ---- exact answers -------------------------------------------------------------------------- */

static void test_peaks_exact(void)
{
    tsct_crystal *c = read_cif(CIFDIR, "CeO2_COD9009008");
    if (!c)
        return;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_powder_params pp = TSCT_POWDER_PARAMS_DEFAULT;
    pp.wavelength = 0.5;
    pp.qmax = 6.0;
    pp.polarization = TSCT_POWDER_POLARIZATION_UNPOLARIZED;
    tsct_powder_plan *plan = NULL;
    CHECK_OK(tsct_powder_plan_create(&plan, c, NULL, 0, &pp, &err), &err);
    tsct_reflection_params rp = TSCT_REFLECTION_PARAMS_DEFAULT;
    rp.qmax = 6.0;
    tsct_reflection_list *list = NULL;
    CHECK_OK(tsct_crystal_reflections_create(&list, c, &rp, &err), &err);
    if (!plan || !list)
        goto done;
    CHECK(tsct_powder_plan_reflection_count(plan) == list->count);
    CHECK(tsct_powder_plan_nparams(plan) == TSCT_POWDER_NPARAMS_BASE);
    double p[TSCT_POWDER_NPARAMS_BASE];
    tsct_powder_plan_default_params(plan, p);
    p[TSCT_POWDER_P_SCALE] = 2.5;
    p[TSCT_POWDER_P_U] = 0.01;
    p[TSCT_POWDER_P_V] = -0.002;
    p[TSCT_POWDER_P_W] = 0.0005;
    p[TSCT_POWDER_P_SIZE] = 500.0;
    tsct_powder_peak *pk = malloc((size_t)list->count * sizeof *pk);
    int64_t np = 0;
    CHECK_OK(tsct_powder_peaks(plan, p, pk, &np, &err), &err);
    CHECK(np == list->count);
    for (int64_t k = 0; k < np && k < list->count; k++) {
        const tsct_reflection *r = &list->items[k];
        /* the same reflection, d and |F|^2 as the crystal module; L P in closed form */
        CHECK(pk[k].h == r->h && pk[k].k == r->k && pk[k].l == r->l);
        CHECK(pk[k].multiplicity == r->multiplicity);
        CHECK_NEAR(pk[k].d, r->d, 1e-12 * r->d);
        CHECK(pk[k].f2 == r->f2);
        double th = asin(0.5 / (2.0 * r->d));
        CHECK_NEAR(pk[k].two_theta, 2.0 * th / DEG, 1e-12);
        double lp = (1.0 + cos(2 * th) * cos(2 * th)) / 2.0 / (sin(th) * sin(th) * cos(th));
        CHECK_NEAR(pk[k].lp, lp, 1e-12 * lp);
        CHECK_NEAR(pk[k].intensity, 2.5 * r->multiplicity * r->f2 * lp,
                   1e-12 * pk[k].intensity);
        /* Caglioti plus Scherrer in quadrature: H^2 = U tan^2 + V tan + W + (K lambda /
         * (L cos))^2, degrees */
        double s = 0.9 * 0.5 / (500.0 * cos(th)) / DEG;
        double h2 = 0.01 * tan(th) * tan(th) - 0.002 * tan(th) + 0.0005 + s * s;
        CHECK_NEAR(pk[k].fwhm, sqrt(h2), 1e-12);
    }
    /* CeO2 111: m = 8, F = 4 f_Ce + 0 (the O contributions cancel) */
    CHECK(np > 0 && pk[0].h == 1 && pk[0].k == 1 && pk[0].l == 1 && pk[0].multiplicity == 8);
    free(pk);
done:
    tsct_crystal_reflections_destroy(list);
    tsct_powder_plan_destroy(plan);
    tsct_crystal_destroy(c);
}

/* Area of one peak, grid in 2theta. */
static void test_peak_area(void)
{
    tsct_cell cell = {3.0, 3.0, 4.0, 90, 90, 90};
    tsct_site site = {"Cu1", "Cu", {0, 0, 0}, 1.0, 0.0};
    tsct_crystal *c = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_crystal_create(&c, &cell, NULL, NULL, 0, &site, 1, &err), &err);
    if (!c)
        return;
    /* P1, a = b = 3, c = 4: only the class 001 (with 00-1) at Q = 2 pi / 4 below qmax 1.7 */
    const int64_t n = 40001;
    double *x = grid(0.5, 12.5, n);   /* 001 at 2theta = 7.166 degrees for lambda 0.5 */
    tsct_powder_params pp = TSCT_POWDER_PARAMS_DEFAULT;
    pp.wavelength = 0.5;
    pp.axis = TSCT_POWDER_AXIS_2THETA;
    pp.qmax = 1.7;
    pp.window = 10.0;
    pp.nbackground = 3;
    tsct_powder_plan *plan = NULL;
    CHECK_OK(tsct_powder_plan_create(&plan, c, x, n, &pp, &err), &err);
    double *y = malloc((size_t)n * sizeof *y);
    if (plan && y) {
        CHECK(tsct_powder_plan_reflection_count(plan) == 1);
        double p[TSCT_POWDER_NPARAMS_BASE + 3];
        tsct_powder_plan_default_params(plan, p);
        p[TSCT_POWDER_P_W] = 0.01;   /* FWHM 0.1 degree: 333 points per FWHM */
        tsct_powder_peak pk;
        int64_t np = 0;
        CHECK_OK(tsct_powder_peaks(plan, p, &pk, &np, &err), &err);
        const double dx = x[1] - x[0];
        for (int e = 0; e <= 2; e++) {
            p[TSCT_POWDER_P_ETA] = e / 2.0;
            CHECK_OK(tsct_powder_evaluate(plan, p, y, NULL, &err), &err);
            double area = 0.0;
            for (int64_t i = 0; i < n; i++)
                area += y[i] * dx;
            /* the window keeps +-10 FWHM: all of the Gaussian, (2/pi) atan(2 * 10) of the
             * Lorentzian. The Riemann sum of the Gaussian is exact to far below 1e-9 of the
             * area; the Lorentzian stops with a step at each end of the window, which costs
             * at most one grid step times its height there at each end. */
            double eta = p[TSCT_POWDER_P_ETA];
            double keep = (1.0 - eta) + eta * 2.0 / M_PI * atan(20.0);
            double edge = 2.0 * dx * pk.intensity * eta * 2.0 / (M_PI * 0.1) / (1.0 + 400.0);
            CHECK_MSG(fabs(area - pk.intensity * keep) <= 1e-9 * pk.intensity + edge,
                      "eta %g: area %.12g, expected %.12g", p[TSCT_POWDER_P_ETA], area,
                      pk.intensity * keep);
        }
        /* the maximum of a Gaussian of unit area and FWHM H is 2 sqrt(ln 2 / pi) / H */
        p[TSCT_POWDER_P_ETA] = 0.0;
        p[TSCT_POWDER_P_SCALE] = 3.0;
        CHECK_OK(tsct_powder_evaluate(plan, p, y, NULL, &err), &err);
        double ymax = 0.0;
        for (int64_t i = 0; i < n; i++)
            ymax = y[i] > ymax ? y[i] : ymax;
        CHECK_NEAR(ymax, 3.0 * pk.intensity * 2.0 * sqrt(log(2.0) / M_PI) / 0.1,
                   1e-6 * ymax);
        /* background alone: Chebyshev T0 + 2 T1 - 0.5 T2 with t spanning the grid */
        p[TSCT_POWDER_P_SCALE] = 0.0;
        p[TSCT_POWDER_P_BACKGROUND] = 1.0;
        p[TSCT_POWDER_P_BACKGROUND + 1] = 2.0;
        p[TSCT_POWDER_P_BACKGROUND + 2] = -0.5;
        CHECK_OK(tsct_powder_evaluate(plan, p, y, NULL, &err), &err);
        for (int64_t i = 0; i < n; i += 997) {
            double t = 2.0 * (x[i] - x[0]) / (x[n - 1] - x[0]) - 1.0;
            CHECK_NEAR(y[i], 1.0 + 2.0 * t - 0.5 * (2.0 * t * t - 1.0), 1e-12);
        }
    }
    free(y);
    free(x);
    tsct_powder_plan_destroy(plan);
    tsct_crystal_destroy(c);
}

/* The pattern on a Q grid is the 2theta pattern at 2theta(Q). */
static void test_q_grid(void)
{
    tsct_crystal *c = read_cif(CIFDIR, "Si_COD9008566");
    if (!c)
        return;
    const double lambda = 0.2;
    const int64_t n = 3000;
    double *q = grid(0.5, 9.0, n), *tth = malloc((size_t)n * sizeof *tth);
    for (int64_t i = 0; i < n; i++)
        tth[i] = 2.0 * asin(q[i] * lambda / (4.0 * M_PI)) / DEG;
    tsct_powder_params pp = TSCT_POWDER_PARAMS_DEFAULT;
    pp.wavelength = lambda;
    pp.polarization = TSCT_POWDER_POLARIZATION_UNPOLARIZED;
    tsct_powder_plan *pq = NULL, *pt = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_powder_plan_create(&pq, c, q, n, &pp, &err), &err);
    pp.axis = TSCT_POWDER_AXIS_2THETA;
    CHECK_OK(tsct_powder_plan_create(&pt, c, tth, n, &pp, &err), &err);
    double *yq = malloc((size_t)n * sizeof *yq), *yt = malloc((size_t)n * sizeof *yt);
    if (pq && pt) {
        CHECK(tsct_powder_plan_reflection_count(pq) == tsct_powder_plan_reflection_count(pt));
        double p[TSCT_POWDER_NPARAMS_BASE];
        tsct_powder_plan_default_params(pq, p);
        p[TSCT_POWDER_P_W] = 0.003;
        CHECK_OK(tsct_powder_evaluate(pq, p, yq, NULL, &err), &err);
        CHECK_OK(tsct_powder_evaluate(pt, p, yt, NULL, &err), &err);
        double ymax = 0.0, dmax = 0.0;
        for (int64_t i = 0; i < n; i++) {
            ymax = fmax(ymax, fabs(yt[i]));
            dmax = fmax(dmax, fabs(yq[i] - yt[i]));
        }
        /* same angles up to asin round-off: 1e-10 of the maximum */
        CHECK_MSG(dmax <= 1e-10 * ymax && ymax > 0.0, "max |yq - yt| = %g of %g", dmax, ymax);
    }
    free(yq);
    free(yt);
    free(q);
    free(tth);
    tsct_powder_plan_destroy(pq);
    tsct_powder_plan_destroy(pt);
    tsct_crystal_destroy(c);
}

/* ---- derivatives ---------------------------------------------------------------------------- */

static void check_derivatives(const char *what, tsct_crystal *c, const double *set, int64_t nset,
                              tsct_powder_axis axis, double x0, double x1)
{
    if (!c)
        return;
    const int64_t n = 1500, nbg = 2;
    double *x = grid(x0, x1, n);
    tsct_powder_params pp = TSCT_POWDER_PARAMS_DEFAULT;
    pp.wavelength = 0.7;
    pp.axis = axis;
    pp.polarization = TSCT_POWDER_POLARIZATION_UNPOLARIZED;
    pp.window = 1e6;   /* no truncation: the model is smooth in every parameter */
    pp.nbackground = nbg;
    tsct_powder_plan *plan = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_powder_plan_create(&plan, c, x, n, &pp, &err), &err);
    if (!plan) {
        free(x);
        return;
    }
    const int64_t np = tsct_powder_plan_nparams(plan);
    double p[TSCT_POWDER_NPARAMS_BASE + 2];
    tsct_powder_plan_default_params(plan, p);
    for (int64_t j = 0; j < nset; j++)
        p[j] = set[j];
    p[TSCT_POWDER_P_BACKGROUND] = 10.0;
    p[TSCT_POWDER_P_BACKGROUND + 1] = -3.0;
    double *y = malloc((size_t)n * sizeof *y), *jac = malloc((size_t)(np * n) * sizeof *jac);
    double *yp = malloc((size_t)n * sizeof *yp), *ym = malloc((size_t)n * sizeof *ym);
    CHECK_OK(tsct_powder_evaluate(plan, p, y, jac, &err), &err);
    /* the Jacobian does not change the pattern */
    CHECK_OK(tsct_powder_evaluate(plan, p, yp, NULL, &err), &err);
    CHECK(memcmp(y, yp, (size_t)n * sizeof *y) == 0);
    for (int64_t j = 0; j < np; j++) {
        /* central differences, step 1e-6 of the parameter's scale: truncation error
         * ~ h^2 y''' (~1e-10 of the column) plus round-off ~ eps |y| / h; allow 1e-6 of the
         * column plus 10 eps max|y| / h */
        double scale = fabs(p[j]) > 1e-3 ? fabs(p[j]) : 1e-3;
        double h = 1e-6 * scale, keep = p[j];
        p[j] = keep + h;
        CHECK_OK(tsct_powder_evaluate(plan, p, yp, NULL, &err), &err);
        p[j] = keep - h;
        CHECK_OK(tsct_powder_evaluate(plan, p, ym, NULL, &err), &err);
        p[j] = keep;
        double cmax = 0.0, dmax = 0.0, ymax = 0.0;
        for (int64_t i = 0; i < n; i++) {
            double fd = (yp[i] - ym[i]) / (2.0 * h);
            cmax = fmax(cmax, fabs(jac[j * n + i]));
            dmax = fmax(dmax, fabs(fd - jac[j * n + i]));
            ymax = fmax(ymax, fabs(y[i]));
        }
        CHECK_MSG(cmax > 0.0 && dmax <= 1e-6 * cmax + 10.0 * 2.2e-16 * ymax / h,
                  "%s: parameter %lld: max |FD - analytic| %.3g of max |column| %.3g", what,
                  (long long)j, dmax, cmax);
    }
    free(y);
    free(yp);
    free(ym);
    free(jac);
    free(x);
    tsct_powder_plan_destroy(plan);
}

static void test_derivatives(void)
{
    /* scale, a, b, c, alpha, beta, gamma, size (Angstrom), U, V, W, eta, zero */
    tsct_crystal *c = read_cif(CIFDIR, "CeO2_COD9009008");
    double cubic[] = {1.3, 5.41, 5.41, 5.41, 90, 90, 90, 300.0, 0.02, -0.004, 0.003, 0.4, 0.01};
    check_derivatives("CeO2 (Q grid)", c, cubic, 13, TSCT_POWDER_AXIS_Q, 1.0, 7.0);
    check_derivatives("CeO2 (2theta grid)", c, cubic, 13, TSCT_POWDER_AXIS_2THETA, 5.0, 40.0);
    tsct_crystal_destroy(c);
    c = read_cif(STRUCTDIR, "BiVO4_monoclinic_scheelite");
    if (c) {
        const tsct_cell *cl = tsct_crystal_cell(c);
        double mono[] = {0.7, cl->a, cl->b, cl->c, cl->alpha, cl->beta, cl->gamma, 800.0,
                         0.01, 0.0, 0.002, 0.6, -0.02};
        check_derivatives("BiVO4", c, mono, 13, TSCT_POWDER_AXIS_Q, 1.0, 5.0);
        tsct_crystal_destroy(c);
    }
    c = triclinic();
    double tric[] = {1.0, 5.1, 6.3, 7.2, 81.0, 97.0, 104.0, 200.0, 0.03, 0.002, 0.001, 0.3, 0.0};
    check_derivatives("triclinic", c, tric, 13, TSCT_POWDER_AXIS_2THETA, 4.0, 30.0);
    /* no size broadening: the size column is zero */
    tric[TSCT_POWDER_P_SIZE] = 0.0;
    tsct_powder_params pp = TSCT_POWDER_PARAMS_DEFAULT;
    pp.wavelength = 0.7;
    double x[3] = {10.0, 11.0, 12.0}, y[3], jac[3 * TSCT_POWDER_NPARAMS_BASE];
    pp.axis = TSCT_POWDER_AXIS_2THETA;
    tsct_powder_plan *plan = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_powder_plan_create(&plan, c, x, 3, &pp, &err), &err);
    if (plan) {
        CHECK_OK(tsct_powder_evaluate(plan, tric, y, jac, &err), &err);
        CHECK(jac[TSCT_POWDER_P_SIZE * 3] == 0.0 && jac[TSCT_POWDER_P_SIZE * 3 + 2] == 0.0);
    }
    tsct_powder_plan_destroy(plan);
    tsct_crystal_destroy(c);
}

/* ---- window --------------------------------------------------------------------------------- */

static void test_window(void)
{
    tsct_crystal *c = read_cif(CIFDIR, "Ni_COD9008476");
    if (!c)
        return;
    const int64_t n = 20000;
    double *x = grid(2.0, 40.0, n);
    tsct_powder_params pp = TSCT_POWDER_PARAMS_DEFAULT;
    pp.wavelength = 0.5;
    pp.axis = TSCT_POWDER_AXIS_2THETA;
    tsct_powder_plan *pw = NULL, *pf = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_powder_plan_create(&pw, c, x, n, &pp, &err), &err);
    pp.window = 1e9;
    CHECK_OK(tsct_powder_plan_create(&pf, c, x, n, &pp, &err), &err);
    double *yw = malloc((size_t)n * sizeof *yw), *yf = malloc((size_t)n * sizeof *yf);
    if (pw && pf) {
        double p[TSCT_POWDER_NPARAMS_BASE];
        tsct_powder_plan_default_params(pw, p);
        p[TSCT_POWDER_P_ETA] = 1.0;
        CHECK_OK(tsct_powder_evaluate(pw, p, yw, NULL, &err), &err);
        CHECK_OK(tsct_powder_evaluate(pf, p, yf, NULL, &err), &err);
        /* bound: each peak drops its Lorentzian beyond window*H, whose height there is
         * A (2 / (pi H)) / (1 + 4 window^2) */
        int64_t nk = tsct_powder_plan_reflection_count(pw), np = 0;
        tsct_powder_peak *pk = malloc((size_t)nk * sizeof *pk);
        CHECK_OK(tsct_powder_peaks(pw, p, pk, &np, &err), &err);
        double bound = 0.0;
        for (int64_t k = 0; k < np; k++)
            bound += pk[k].intensity * 2.0 / (M_PI * pk[k].fwhm) / (1.0 + 4.0 * 50.0 * 50.0);
        double dmax = 0.0, ymax = 0.0;
        int differs = 0;
        for (int64_t i = 0; i < n; i++) {
            dmax = fmax(dmax, fabs(yw[i] - yf[i]));
            ymax = fmax(ymax, yf[i]);
            differs |= yw[i] != yf[i];
        }
        CHECK_MSG(dmax <= bound, "windowed vs full: %g > bound %g", dmax, bound);
        CHECK(differs);   /* the window did leave something out */
        CHECK_MSG(bound < 1e-3 * ymax, "bound %g, max %g", bound, ymax);
        free(pk);
    }
    free(yw);
    free(yf);
    free(x);
    tsct_powder_plan_destroy(pw);
    tsct_powder_plan_destroy(pf);
    tsct_crystal_destroy(c);
}

/* ---- peer ----------------------------------------------------------------------------------- */

typedef struct line {
    double tth, q, r_model, r_f0;
} line;

static int compare_lines(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, REF "/lines_%s.txt", name);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "%s", path);
    if (!f)
        return 0;
    line *ln = NULL;
    int64_t nl = 0, cap = 0;
    char buf[512];
    while (fgets(buf, sizeof buf, f)) {
        line l;
        if (buf[0] == '#' || sscanf(buf, "%lf %lf %lf %lf", &l.tth, &l.q, &l.r_model, &l.r_f0)
                                 != 4)
            continue;
        if (nl == cap) {
            cap = cap ? 2 * cap : 64;
            ln = realloc(ln, (size_t)cap * sizeof *ln);
        }
        ln[nl++] = l;
    }
    fclose(f);
    snprintf(path, sizeof path, CIFDIR "/%s.cif", name);
    f = fopen(path, "r");
    if (f)
        fclose(f);
    tsct_crystal *c = read_cif(f ? CIFDIR : STRUCTDIR, name);
    CHECK_MSG(c != NULL && nl > 0, "%s", name);
    if (!c) {
        free(ln);
        return 0;
    }
    /* comparable settings: xrayutilities' neutral-atom tables, L P as ours, no ADP in r_f0 */
    tsct_powder_params pp = TSCT_POWDER_PARAMS_DEFAULT;
    pp.wavelength = 0.5;
    pp.qmax = 8.0;
    pp.polarization = TSCT_POWDER_POLARIZATION_UNPOLARIZED;
    pp.neutral_atoms = 1;
    pp.apply_adp = 0;
    tsct_powder_plan *plan = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_powder_plan_create(&plan, c, NULL, 0, &pp, &err), &err);
    int64_t nk = plan ? tsct_powder_plan_reflection_count(plan) : 0, np = 0;
    tsct_powder_peak *pk = malloc((size_t)(nk + 1) * sizeof *pk);
    double p[TSCT_POWDER_NPARAMS_BASE];
    if (plan) {
        tsct_powder_plan_default_params(plan, p);
        CHECK_OK(tsct_powder_peaks(plan, p, pk, &np, &err), &err);
    }
    /* group tsct's classes into lines: 2theta equal to 1e-7 degree (coincident d such as
     * cubic 333 / 511, or hexagonal classes split by the Laue group) */
    double *gt = malloc((size_t)(np + 1) * sizeof *gt), *gi = malloc((size_t)(np + 1) * sizeof *gi);
    double *gd = malloc((size_t)(np + 1) * sizeof *gd);
    int64_t ng = 0;
    double imax = 0.0, rmax = 0.0;
    for (int64_t k = 0; k < np; k++) {
        if (ng > 0 && fabs(pk[k].two_theta - gt[ng - 1]) < 1e-7) {
            gi[ng - 1] += pk[k].intensity;
            continue;
        }
        gt[ng] = pk[k].two_theta;
        gd[ng] = pk[k].d;
        gi[ng] = pk[k].intensity;
        ng++;
    }
    for (int64_t g = 0; g < ng; g++)
        imax = fmax(imax, gi[g]);
    for (int64_t i = 0; i < nl; i++)
        rmax = fmax(rmax, ln[i].r_f0);
    /* every line with r_f0 > 1e-6 of the strongest (xrayutilities also lists absent ones
     * at ~1e-27) must be one of ours and vice versa, at the same d to 1e-5 relative (both
     * compute d from the same cell: agreement is to round-off); strong lines (> 1 % of the
     * strongest) must carry the same |F|^2 m L P within 1 %: the two neutral-atom f0 tables
     * (Waasmaier-Kirfel vs xrayutilities' f0_xop fit to RTAB) differ by < 0.5 % in f0 for
     * s <= 0.64 1/Angstrom here, which |F|^2 doubles; weaker lines, where F is a difference
     * of large terms, within 5 % of themselves + 1e-4 of the strongest. */
    int64_t matched = 0, used = 0;
    double worst = 0.0;
    for (int64_t i = 0; i < nl; i++) {
        if (ln[i].r_f0 <= 1e-6 * rmax || ln[i].q > 8.0 * (1.0 - 1e-9))
            continue;
        used++;
        int64_t best = -1;
        for (int64_t g = 0; g < ng; g++)
            if (best < 0 || fabs(gt[g] - ln[i].tth) < fabs(gt[best] - ln[i].tth))
                best = g;
        double dpeer = 2.0 * M_PI / ln[i].q;
        if (best < 0 || fabs(gd[best] - dpeer) > 1e-5 * dpeer) {
            CHECK_MSG(0, "%s: xrayutilities line at 2theta %.6f (d %.6f) not found", name,
                      ln[i].tth, dpeer);
            continue;
        }
        matched++;
        double rel = fabs(gi[best] / ln[i].r_f0 - 1.0);
        if (ln[i].r_f0 > 0.01 * rmax) {
            worst = fmax(worst, rel);
            CHECK_MSG(rel <= 0.01, "%s: line at 2theta %.5f: tsct %.8g, xrayutilities %.8g "
                      "(%.3f %%)", name, ln[i].tth, gi[best], ln[i].r_f0, 100 * rel);
        } else {
            CHECK_MSG(fabs(gi[best] - ln[i].r_f0) <= 0.05 * ln[i].r_f0 + 1e-4 * rmax,
                      "%s: weak line at 2theta %.5f: tsct %.8g, xrayutilities %.8g", name,
                      ln[i].tth, gi[best], ln[i].r_f0);
        }
    }
    int64_t ours = 0;
    for (int64_t g = 0; g < ng; g++)
        ours += gi[g] > 1e-6 * imax;
    CHECK_MSG(ours == used && matched == used, "%s: %lld tsct lines, %lld peer lines, %lld "
              "matched", name, (long long)ours, (long long)used, (long long)matched);
    printf("%-36s %4lld lines, strong lines within %.3f %% of xrayutilities\n", name,
           (long long)matched, 100 * worst);
    free(gt);
    free(gi);
    free(gd);
    free(pk);
    free(ln);
    tsct_powder_plan_destroy(plan);
    tsct_crystal_destroy(c);
    return 1;
}

static void test_peer(void)
{
    static const char *const names[] = {
        "Al_COD9008460", "Bi_COD9008576", "CeO2_COD9009008", "Cu_COD9008468",
        "Fe-alpha_COD9008536", "LiCoO2_COD1533825", "Li_COD9008542", "Ni_COD9008476",
        "Si_COD9008566", "V2O5_COD9012221", "graphite_COD9008569", "LaB6", "Li3Bi", "LiBi",
        "LiC6", "LixV2O5_epsilon_Li0.5", "NMC111_LiNi1_3Mn1_3Co1_3O2", "Li15Si4"};
    int n = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        n += compare_lines(names[i]);
    CHECK(n == 18);
}

/* ---- bad input ------------------------------------------------------------------------------ */

static void test_errors(void)
{
    tsct_crystal *c = read_cif(CIFDIR, "Cu_COD9008468");
    if (!c)
        return;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_powder_plan *plan = NULL;
    tsct_powder_params pp = TSCT_POWDER_PARAMS_DEFAULT;
    double x[4] = {1.0, 2.0, 3.0, 4.0};
    CHECK_FAILS(tsct_powder_plan_create(&plan, c, x, 4, &pp, &err), TSCT_ERR_VALUE, &err,
                "wavelength");
    CHECK(plan == NULL);
    pp.wavelength = 0.5;
    CHECK_FAILS(tsct_powder_plan_create(&plan, c, NULL, 0, &pp, &err), TSCT_ERR_VALUE, &err,
                "qmax");
    double bad[4] = {1.0, 3.0, 2.0, 4.0};
    CHECK_FAILS(tsct_powder_plan_create(&plan, c, bad, 4, &pp, &err), TSCT_ERR_VALUE, &err,
                "grid[2]");
    double far[2] = {1.0, 30.0};   /* 4 pi / 0.5 = 25.1 */
    CHECK_FAILS(tsct_powder_plan_create(&plan, c, far, 2, &pp, &err), TSCT_ERR_VALUE, &err,
                "2theta <= 180");
    pp.window = 0.0;
    CHECK_FAILS(tsct_powder_plan_create(&plan, c, x, 4, &pp, &err), TSCT_ERR_VALUE, &err,
                "window");
    pp.window = 50.0;
    CHECK_OK(tsct_powder_plan_create(&plan, c, x, 4, &pp, &err), &err);
    if (plan) {
        double p[TSCT_POWDER_NPARAMS_BASE], y[4];
        tsct_powder_plan_default_params(plan, p);
        p[TSCT_POWDER_P_ALPHA] = p[TSCT_POWDER_P_BETA] = p[TSCT_POWDER_P_GAMMA] = 120.0;
        CHECK_FAILS(tsct_powder_evaluate(plan, p, y, NULL, &err), TSCT_ERR_VALUE, &err,
                    "zero volume");
        tsct_powder_plan_default_params(plan, p);
        p[TSCT_POWDER_P_A] = 0.0;
        CHECK_FAILS(tsct_powder_evaluate(plan, p, y, NULL, &err), TSCT_ERR_VALUE, &err,
                    "_cell_length_a");
        tsct_powder_plan_default_params(plan, p);
        p[TSCT_POWDER_P_W] = -1.0;
        CHECK_FAILS(tsct_powder_evaluate(plan, p, y, NULL, &err), TSCT_ERR_VALUE, &err,
                    "FWHM");
        tsct_powder_plan_default_params(plan, p);
        p[TSCT_POWDER_P_ETA] = NAN;
        CHECK_FAILS(tsct_powder_evaluate(plan, p, y, NULL, &err), TSCT_ERR_VALUE, &err,
                    "eta");
        tsct_powder_peak pk[64];
        int64_t np = 5;
        p[TSCT_POWDER_P_ETA] = 0.5;
        p[TSCT_POWDER_P_C] = -2.0;
        CHECK_FAILS(tsct_powder_peaks(plan, p, pk, &np, &err), TSCT_ERR_VALUE, &err,
                    "_cell_length_c");
        CHECK(np == 0);
    }
    tsct_powder_plan_destroy(plan);
    tsct_powder_plan_destroy(NULL);
    tsct_crystal_destroy(c);
}

int main(void)
{
    test_peaks_exact();
    test_peak_area();
    test_q_grid();
    test_derivatives();
    test_window();
    test_peer();
    test_errors();
    return tsct_test_finish("test_powder");
}
