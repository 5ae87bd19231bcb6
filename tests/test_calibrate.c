/* test_calibrate.c - detector calibration (include/tsct/calibrate.h, calibrant.h) on exact
 * answers and simulated frames of known geometry:
 *  - built-in calibrants against pyFAI's .D files (d within 1e-7 relative), the .D reader, a
 *    CIF through lib/physics (CeO2 COD 9009008: d = a / sqrt(h^2 + k^2 + l^2), F-centred);
 *  - tsct_geometry_pixel_of inverts tsct_geometry_point (1e-9 pixel); the analytic 2theta
 *    gradient agrees with central differences (1e-6 relative), 0 for rot3;
 *  - tsct_fit_lsq on a straight line: the least-squares solution and covariance in closed form;
 *  - simulated CeO2 frames of random geometries (distance 0.2-1.5 m, tilts up to 10 deg,
 *    beam centre on and off the detector, Poisson noise): started from a rough guess, and
 *    without any for centres on or near the detector; every parameter's pull (error / ESD) over all
 *    trials has a standard deviation below 1.5 and the 2theta of every pixel is within
 *    0.001 deg of the truth;
 *  - bad input: no rings, the wrong calibrant, a wavelength off by 10 % (error or warning
 *    with the residual), rot3 refused.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/calibrate.h"
#include "tsct/fit.h"
#include "tsct/geometry.h"
#include "tsct/simulate.h"
#include "tsct/stage.h"
#include "tsct_test.h"

static void test_calibrants(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const struct {
        const char *name, *file;
    } pairs[] = {{"CeO2", "CeO2.D"}, {"LaB6", "LaB6.D"}, {"Si", "Si.D"},
                 {"LaB6_SRM660a", "LaB6_SRM660a.D"}, {"Si_SRM640e", "Si_SRM640e.D"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/calibrant_dspacing/%s", TSCT_TEST_DATA, pairs[i].file);
        tsct_calibrant *a = NULL, *b = NULL;
        CHECK_OK(tsct_calibrant_create(pairs[i].name, 0.5, &a, &err), &err);
        CHECK_OK(tsct_calibrant_create(path, 0.5, &b, &err), &err);
        if (!a || !b)
            continue;
        /* pyFAI merges nothing: rings of equal d (Si 333 / 511) are listed once per hkl
         * family; ours once. Compare the distinct values. */
        int64_t nb = 0;
        for (int64_t k = 0; k < b->count; k++)
            nb += k == 0 || b->rings[k].d < b->rings[k - 1].d * (1 - 1e-6);
        CHECK_MSG(a->count == nb || strstr(pairs[i].file, "640e"),
                  "%s: %lld rings, the .D file %lld", pairs[i].name, (long long)a->count,
                  (long long)nb);
        /* Compare the distinct values of the file (some files stop early: a prefix). */
        int64_t j = 0;
        for (int64_t k = 0; k < b->count && j < a->count; k++) {
            if (k > 0 && b->rings[k].d >= b->rings[k - 1].d * (1 - 1e-6))
                continue;
            CHECK_NEAR(a->rings[j].d / b->rings[k].d, 1.0, 1e-7);
            j++;
        }
        tsct_calibrant_destroy(a);
        tsct_calibrant_destroy(b);
    }
    /* Reflection conditions and multiplicities. */
    tsct_calibrant *c = NULL;
    CHECK_OK(tsct_calibrant_create("Si", 1.0, &c, &err), &err);
    if (c) {
        CHECK(c->rings[0].h == 1 && c->rings[0].k == 1 && c->rings[0].l == 1);
        CHECK(c->rings[0].multiplicity == 8);
        CHECK(c->rings[1].h == 2 && c->rings[1].k == 2 && c->rings[1].l == 0);  /* no 200 */
        CHECK(c->rings[1].multiplicity == 12);
        CHECK_NEAR(c->a, 5.4311946, 0);
    }
    tsct_calibrant_destroy(c);
    /* A CIF: the COD cerianite, F m -3 m, a = 5.4110. */
    char cif[1024];
    snprintf(cif, sizeof cif, "%s/cif/CeO2_COD9009008.cif", TSCT_TEST_DATA);
    CHECK_OK(tsct_calibrant_create(cif, 0.8, &c, &err), &err);
    tsct_calibrant *ref = NULL;
    CHECK_OK(tsct_calibrant_create_cubic("CeO2", 5.4110, 0.8, &ref, &err), &err);
    if (c && ref) {
        CHECK(c->count == ref->count);
        for (int64_t k = 0; k < c->count && k < ref->count; k++)
            CHECK_NEAR(c->rings[k].d, ref->rings[k].d, 1e-9);
    }
    tsct_calibrant_destroy(c);
    tsct_calibrant_destroy(ref);
    /* Bad input. */
    CHECK_FAILS(tsct_calibrant_create("Unobtainium", 0.5, &c, &err), TSCT_ERR_NOT_FOUND, &err,
                "neither a built-in calibrant");
    CHECK_FAILS(tsct_calibrant_create("CeO2", 0, &c, &err), TSCT_ERR_VALUE, &err, "dmin");
    char bad[1024];
    snprintf(bad, sizeof bad, "%s/bad.D", tsct_test_tmpdir(TSCT_TEST_TMP));
    FILE *f = fopen(bad, "w");
    if (f) {
        fputs("# header\n3.1\nabc\n", f);
        fclose(f);
    }
    CHECK_FAILS(tsct_calibrant_create(bad, 0, &c, &err), TSCT_ERR_FORMAT, &err, "line[3]");
    CHECK(c == NULL);
}

static void test_inverse(void)
{
    tsct_poni g;
    tsct_poni_init(&g);
    g.pixel1 = g.pixel2 = 172e-6;
    g.dist = 0.4, g.poni1 = 0.03, g.poni2 = 0.2, g.rot1 = 0.12, g.rot2 = -0.17, g.rot3 = 0.4;
    double worst = 0;
    for (int i = 0; i < 50; i++) {
        const double d1 = -300 + 37.3 * i, d2 = 1500 - 29.1 * i;
        double t[3], e1, e2;
        tsct_geometry_point(&g, d1, d2, t);
        const double tth = atan2(hypot(t[0], t[1]), t[2]), chi = atan2(t[0], t[1]);
        CHECK(tsct_geometry_pixel_of(&g, tth, chi, &e1, &e2) == 1);
        worst = fmax(worst, fmax(fabs(e1 - d1), fabs(e2 - d2)));
        double tt;
        tsct_geometry_tth_points(&g, 1, &d1, &d2, &tt);
        CHECK_NEAR(tt, tth, 1e-15);
    }
    CHECK_MSG(worst < 1e-9, "pixel_of round trip off by %g px", worst);
    /* The analytic gradient against central differences (steps 1e-7 m, 1e-7 rad). */
    const double pd1[3] = {10.5, 500.25, -40}, pd2[3] = {900.5, 3.75, 1200};
    double tth3[3], grad[18], gmax = 0, dmax = 0;
    tsct_geometry_tth_gradient(&g, 3, pd1, pd2, tth3, grad);
    for (int j = 0; j < 6; j++) {
        double *q = j == 0 ? &g.dist : j == 1 ? &g.poni1 : j == 2 ? &g.poni2
                  : j == 3 ? &g.rot1 : j == 4 ? &g.rot2 : &g.rot3;
        const double q0 = *q, h = 1e-7;
        double tp[3], tm[3];
        *q = q0 + h;
        tsct_geometry_tth_points(&g, 3, pd1, pd2, tp);
        *q = q0 - h;
        tsct_geometry_tth_points(&g, 3, pd1, pd2, tm);
        *q = q0;
        for (int i = 0; i < 3; i++) {
            dmax = fmax(dmax, fabs(grad[i * 6 + j] - (tp[i] - tm[i]) / (2 * h)));
            gmax = fmax(gmax, fabs(grad[i * 6 + j]));
        }
    }
    CHECK_MSG(dmax < 1e-6 * gmax, "gradient off by %g (largest %g)", dmax, gmax);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(grad[i * 6 + 5], 0.0, 1e-12);   /* rot3 leaves 2theta unchanged */
    double e1, e2;
    CHECK(tsct_geometry_pixel_of(&g, 2.9, 0.0, &e1, &e2) == 0 && isnan(e1));
}

/* y = a + b x: residuals a + b x_i - y_i. */
typedef struct line_data {
    double x[20], y[20];
} line_data;

static tsct_status line_fn(void *ctx, const double *p, double *r, double *jac, tsct_error *err)
{
    (void)err;
    const line_data *L = ctx;
    for (int i = 0; i < 20; i++) {
        r[i] = p[0] + p[1] * L->x[i] - L->y[i];
        if (jac)
            jac[2 * i] = 1, jac[2 * i + 1] = L->x[i];
    }
    return TSCT_OK;
}

static void test_lsq(void)
{
    line_data L;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < 20; i++) {
        L.x[i] = i * 0.5;
        L.y[i] = 3 - 2 * L.x[i] + 0.1 * sin(7.0 * i);
        sx += L.x[i], sy += L.y[i], sxx += L.x[i] * L.x[i], sxy += L.x[i] * L.y[i];
    }
    const double det = 20 * sxx - sx * sx;
    const double b = (20 * sxy - sx * sy) / det, a = (sy - b * sx) / 20;
    double p[2] = {0, 0}, cov[4];
    tsct_fit_lsq_info info;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_fit_lsq(line_fn, &L, 20, 2, p, NULL, cov, &info, &err), &err);
    CHECK_NEAR(p[0], a, 1e-10);
    CHECK_NEAR(p[1], b, 1e-10);
    /* (J^T J)^-1 of a straight line in closed form. */
    CHECK_NEAR(cov[0], sxx / det, 1e-12);
    CHECK_NEAR(cov[3], 20 / det, 1e-12);
    CHECK_NEAR(cov[1], -sx / det, 1e-12);
    CHECK_FAILS(tsct_fit_lsq(line_fn, &L, 2, 2, p, NULL, cov, &info, &err), TSCT_ERR_VALUE, &err,
                "more residuals than parameters");
}

/* ---- simulated frames ------------------------------------------------------------------- */

typedef struct sim {
    tsct_poni_detector det;
    int64_t rows, cols;
    uint8_t *mask;
    float *frame;
    tsct_calibrant *cal;
    double *d, *I;
} sim;

static void sim_init(sim *s, const char *detector)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_poni_detector_find(detector, &s->det, &err);
    s->rows = s->det.shape[0], s->cols = s->det.shape[1];
    s->mask = calloc((size_t)(s->rows * s->cols), 1);
    s->frame = malloc((size_t)(s->rows * s->cols) * sizeof *s->frame);
    tsct_poni_detector_mask(&s->det, s->rows, s->cols, s->mask);
    tsct_calibrant_create("CeO2", 0.35, &s->cal, &err);
    s->d = malloc((size_t)s->cal->count * sizeof *s->d);
    s->I = malloc((size_t)s->cal->count * sizeof *s->I);
    for (int64_t i = 0; i < s->cal->count; i++) {
        s->d[i] = s->cal->rings[i].d;
        s->I[i] = (double)s->cal->rings[i].multiplicity / 24 * exp(-0.5 / (s->d[i] * s->d[i]));
    }
}

static void sim_release(sim *s)
{
    free(s->mask), free(s->frame), free(s->d), free(s->I);
    tsct_calibrant_destroy(s->cal);
}

static double uniform(tsct_sim_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * tsct_sim_rng_uniform(r);
}

/* Rings of the calibrant between the smallest and largest 2theta of the detector's border. */
static int rings_on(const sim *s, const tsct_poni *g)
{
    double lo = INFINITY, hi = 0;
    for (int64_t k = 0; k <= 2 * (s->rows + s->cols); k += 8) {
        double d1, d2, t[3];
        if (k <= s->cols)
            d1 = 0, d2 = (double)k;
        else if (k <= s->cols + s->rows)
            d1 = (double)(k - s->cols), d2 = (double)s->cols;
        else if (k <= 2 * s->cols + s->rows)
            d1 = (double)s->rows, d2 = (double)(k - s->cols - s->rows);
        else
            d1 = (double)(k - 2 * s->cols - s->rows), d2 = 0;
        tsct_geometry_point(g, d1, d2, t);
        const double tth = atan2(hypot(t[0], t[1]), t[2]);
        lo = fmin(lo, tth), hi = fmax(hi, tth);
    }
    double d1, d2;
    if (tsct_geometry_pixel_of(g, 0, 0, &d1, &d2) && d1 > 0 && d1 < s->rows && d2 > 0 &&
        d2 < s->cols)
        lo = 0;
    int n = 0;
    for (int64_t i = 0; i < s->cal->count; i++) {
        const double t = tsct_calibrant_tth(s->d[i], g->wavelength * 1e10);
        n += t > lo && t < hi;
    }
    return n;
}

static void test_simulated(void)
{
    sim s;
    sim_init(&s, "Pilatus1M");
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_rng rng;
    tsct_sim_rng_seed(&rng, 2026);
    /* 14 trials (10 from a rough guess, 4 from nothing); 5 under the sanitizers, which are
     * ten times slower. */
    enum { MAXTRIAL = 14 };
    const char *san = getenv("TSCT_SANITIZE");
    const int NTRIAL = san && strcmp(san, "ON") == 0 ? 5 : MAXTRIAL;
    const int nguess = NTRIAL == MAXTRIAL ? 10 : 3;
    double pulls[5][MAXTRIAL];
    int np = 0;
    double worst_all = 0;
    int redraws = 0;
    for (int t = 0; t < NTRIAL; t++) {
        const int guess = t < nguess;   /* the last ones start from nothing */
        tsct_poni g;
        tsct_poni_init(&g);
        snprintf(g.detector, sizeof g.detector, "%s", s.det.name);
        g.pixel1 = s.det.pixel1, g.pixel2 = s.det.pixel2;
        g.shape[0] = s.rows, g.shape[1] = s.cols;
        g.dist = uniform(&rng, 0.2, 1.5);
        const double h = s.rows * g.pixel1, w = s.cols * g.pixel2;
        /* With a guess the PONI may lie off the detector (by up to half its size), and the
         * tilts of up to 10 deg move the beam centre further; without one the centre lies on
         * the detector or near it (up to a tenth of its size beyond an edge). */
        const double off = guess ? 1.0 : 0.6;
        g.poni1 = h * uniform(&rng, 0.5 - off, 0.5 + off);
        g.poni2 = w * uniform(&rng, 0.5 - off, 0.5 + off);
        const double tilt = (guess ? 10.0 : 2.0) * M_PI / 180;
        g.rot1 = uniform(&rng, -tilt, tilt);
        g.rot2 = uniform(&rng, -tilt, tilt);
        g.rot3 = uniform(&rng, -0.5, 0.5);
        g.wavelength = uniform(&rng, 0.15, 0.7) * 1e-10;
        /* Enough rings for five parameters: lengthen the wavelength until five are seen. */
        while (rings_on(&s, &g) < 5 && g.wavelength < 2e-10)
            g.wavelength *= 1.1;
        if (rings_on(&s, &g) < 5 && redraws++ < 100) {
            t--;   /* no wavelength up to 2 A puts five rings there: draw another geometry */
            continue;
        }
        tsct_sim_calibrant_params sp = TSCT_SIM_CALIBRANT_PARAMS_DEFAULT;
        sp.fwhm_deg = 2.5 * g.pixel1 / g.dist * 180 / M_PI;   /* 2.5 pixels wide */
        CHECK_OK(tsct_sim_calibrant_frame(&g, s.rows, s.cols, s.mask, s.d, s.I, s.cal->count,
                                          &sp, &rng, s.frame, &err),
                 &err);
        tsct_poni start = g;
        /* A rough guess: rings within about ten pixels of where they are. */
        start.dist *= uniform(&rng, 0.99, 1.01);
        start.poni1 += uniform(&rng, -1e-3, 1e-3), start.poni2 += uniform(&rng, -1e-3, 1e-3);
        start.rot1 += uniform(&rng, -1e-3, 1e-3), start.rot2 += uniform(&rng, -1e-3, 1e-3);
        tsct_calibrate_params P = TSCT_CALIBRATE_PARAMS_DEFAULT;
        P.use_guess = guess;
        P.nthreads = 2;
        tsct_calibrate_result *res = NULL;
        tsct_status st = tsct_calibrate(s.frame, s.mask, s.rows, s.cols, &start, s.cal, &P, &res,
                                        &err);
        CHECK_MSG(st == TSCT_OK, "trial %d (dist %.3f m, PONI %.1f, %.1f mm, rot %.2f, %.2f "
                  "deg, wavelength %.4f A, guess %d): %s", t, g.dist, g.poni1 * 1e3,
                  g.poni2 * 1e3, g.rot1 * 180 / M_PI, g.rot2 * 180 / M_PI, g.wavelength * 1e10,
                  guess, err.message);
        tsct_error_clear(&err);
        if (!res)
            continue;
        CHECK_MSG(!res->warning, "trial %d: %s", t, res->message);
        const tsct_poni *o = &res->poni;
        const double e[5] = {o->dist - g.dist, o->poni1 - g.poni1, o->poni2 - g.poni2,
                             o->rot1 - g.rot1, o->rot2 - g.rot2};
        for (int k = 0; k < 5; k++)
            pulls[k][np] = e[k] / res->esd[k];
        np++;
        /* 2theta of every pixel centre against the truth. */
        tsct_geometry_arrays *a = NULL, *b = NULL;
        CHECK_OK(tsct_geometry_compute(o, s.rows, s.cols, TSCT_UNIT_2TH_DEG, TSCT_GEOM_RADIAL, 1,
                                       &a, &err), &err);
        CHECK_OK(tsct_geometry_compute(&g, s.rows, s.cols, TSCT_UNIT_2TH_DEG, TSCT_GEOM_RADIAL, 1,
                                       &b, &err), &err);
        double worst = 0;
        for (int64_t k = 0; a && b && k < s.rows * s.cols; k++)
            worst = fmax(worst, fabs(a->radial[k] - b->radial[k]));
        worst_all = fmax(worst_all, worst);
        CHECK_MSG(worst < 0.001, "trial %d: 2theta off by %.5f deg", t, worst);
        printf("trial %2d: dist %.3f m, beam centre %s, %lld rings, %lld points, RMS %.3f px, "
               "worst 2theta %.5f deg, pulls %+.2f %+.2f %+.2f %+.2f %+.2f\n",
               t, g.dist, guess ? "anywhere, rough guess" : "on or near the detector, no guess",
               (long long)res->nrings, (long long)res->npoints, res->rms_px, worst,
               pulls[0][np - 1], pulls[1][np - 1], pulls[2][np - 1], pulls[3][np - 1],
               pulls[4][np - 1]);
        tsct_geometry_arrays_destroy(a);
        tsct_geometry_arrays_destroy(b);
        tsct_calibrate_result_destroy(res);
    }
    CHECK(np == NTRIAL);
    double s2 = 0, m = 0;
    for (int k = 0; k < 5; k++)
        for (int i = 0; i < np; i++)
            s2 += pulls[k][i] * pulls[k][i], m += pulls[k][i];
    const double n = 5.0 * np, sd = sqrt(s2 / n - (m / n) * (m / n));
    printf("pulls of all parameters: mean %.2f, standard deviation %.2f (%d trials); worst "
           "2theta %.5f deg\n", m / n, sd, np, worst_all);
    CHECK_MSG(sd < 1.5, "pull standard deviation %.2f", sd);
    CHECK_MSG(fabs(m / n) < 0.5, "pull mean %.2f", m / n);
    sim_release(&s);
}

static void test_bad_input(void)
{
    sim s;
    sim_init(&s, "Pilatus1M");
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_rng rng;
    tsct_sim_rng_seed(&rng, 7);
    tsct_poni g;
    tsct_poni_init(&g);
    g.pixel1 = s.det.pixel1, g.pixel2 = s.det.pixel2;
    g.dist = 0.3, g.poni1 = 0.09, g.poni2 = 0.08, g.rot1 = 0.01, g.rot2 = -0.02;
    tsct_calibrant *lab6 = NULL;
    tsct_calibrant_create("LaB6", 0.35, &lab6, &err);
    /* Over all of a Pilatus 1M at 0.3 m, 0.4 A: 2theta up to 23 deg, 16 CeO2 rings. */
    g.wavelength = 0.4e-10;
    tsct_sim_calibrant_params sp = TSCT_SIM_CALIBRANT_PARAMS_DEFAULT;
    sp.fwhm_deg = 0.1;
    tsct_calibrate_params P = TSCT_CALIBRATE_PARAMS_DEFAULT;
    tsct_calibrate_result *res = NULL;
    /* Noise only: no rings, with and without a guess. */
    sp.peak_counts = 0;
    tsct_sim_calibrant_frame(&g, s.rows, s.cols, s.mask, s.d, NULL, s.cal->count, &sp, &rng,
                             s.frame, &err);
    CHECK_FAILS(tsct_calibrate(s.frame, s.mask, s.rows, s.cols, &g, s.cal, &P, &res, &err),
                TSCT_ERR_NOT_FOUND, &err, "no calibrant rings found");
    P.use_guess = 1;
    CHECK_FAILS(tsct_calibrate(s.frame, s.mask, s.rows, s.cols, &g, s.cal, &P, &res, &err),
                TSCT_ERR_NOT_FOUND, &err, "no calibrant rings found");
    CHECK(res == NULL);
    /* CeO2 rings calibrated as LaB6, or with the wavelength 10 % off: a warning that gives the
     * residual, with and without a guess. */
    sp.peak_counts = 2000;
    tsct_sim_calibrant_frame(&g, s.rows, s.cols, s.mask, s.d, NULL, s.cal->count, &sp, &rng,
                             s.frame, &err);
    tsct_poni w = g;
    w.wavelength *= 1.1;
    for (int guess = 0; guess < 2; guess++) {
        P.use_guess = guess;
        for (int c = 0; c < 2; c++) {
            tsct_status st = tsct_calibrate(s.frame, s.mask, s.rows, s.cols, c ? &w : &g,
                                            c ? s.cal : lab6, &P, &res, &err);
            CHECK_MSG((st == TSCT_OK && res && res->warning &&
                       strstr(res->message, "RMS residual")) ||
                          (st == TSCT_ERR_VALUE && strstr(err.message, "do not match")),
                      "%s, guess %d: status %s, %s %s", c ? "wavelength +10 %" : "LaB6", guess,
                      tsct_strerror(st), err.message, res ? res->message : "");
            printf("%s, %s: %s\n", c ? "wavelength +10 %" : "CeO2 as LaB6",
                   guess ? "guess" : "no guess", res ? res->message : err.message);
            tsct_calibrate_result_destroy(res);
            res = NULL;
            tsct_error_clear(&err);
        }
    }
    /* The right calibrant and wavelength: no warning. */
    P.use_guess = 0;
    CHECK_OK(tsct_calibrate(s.frame, s.mask, s.rows, s.cols, &g, s.cal, &P, &res, &err), &err);
    CHECK(res && !res->warning && res->rms_px < 0.1);
    tsct_calibrate_result_destroy(res);
    /* The wavelength refined with the geometry, from a start 0.3 % off. */
    P.use_guess = 1;
    P.refine = TSCT_CALIB_DEFAULT_REFINE | TSCT_CALIB_WAVELENGTH;
    tsct_poni wl = g;
    wl.wavelength *= 1.003;
    CHECK_OK(tsct_calibrate(s.frame, s.mask, s.rows, s.cols, &wl, s.cal, &P, &res, &err), &err);
    if (res) {
        const double e = res->poni.wavelength - g.wavelength;
        printf("wavelength refined: %.6f A, truth %.6f A, ESD %.2g A\n",
               res->poni.wavelength * 1e10, g.wavelength * 1e10, res->esd[6] * 1e10);
        CHECK_MSG(fabs(e) < 4 * res->esd[6] && fabs(e) < 2e-4 * g.wavelength,
                  "wavelength off by %g A (ESD %g)", e * 1e10, res->esd[6] * 1e10);
    }
    tsct_calibrate_result_destroy(res);
    res = NULL;
    P.refine = TSCT_CALIB_DEFAULT_REFINE;
    P.use_guess = 0;
    /* Parameters. */
    unsigned bits;
    CHECK_FAILS(tsct_calibrate_refine_parse("dist,rot3", &bits, &err), TSCT_ERR_VALUE, &err,
                "rot3 cannot be refined");
    CHECK_FAILS(tsct_calibrate_refine_parse("dist,tilt", &bits, &err), TSCT_ERR_VALUE, &err,
                "unknown parameter \"tilt\"");
    CHECK_OK(tsct_calibrate_refine_parse("poni1,wavelength", &bits, &err), &err);
    CHECK(bits == (TSCT_CALIB_PONI1 | TSCT_CALIB_WAVELENGTH));
    tsct_poni nowl = g;
    nowl.wavelength = 0;
    CHECK_FAILS(tsct_calibrate(s.frame, s.mask, s.rows, s.cols, &nowl, s.cal, &P, &res, &err),
                TSCT_ERR_VALUE, &err, "wavelength");
    CHECK_FAILS(tsct_calibrate(s.frame, s.mask, 4, 4, &g, s.cal, &P, &res, &err),
                TSCT_ERR_SHAPE, &err, "image");
    tsct_calibrant_destroy(lab6);
    sim_release(&s);
}

/* The table tsct calibrate prints (tsct_stage_calibration_table), line by line. */
static void test_table(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_calibrant *cal = NULL;
    CHECK_OK(tsct_calibrant_create("CeO2", 1.0, &cal, &err), &err);
    tsct_calibrate_result res;
    memset(&res, 0, sizeof res);
    tsct_poni_init(&res.poni);
    res.poni.dist = 0.25, res.poni.poni1 = 0.035, res.poni.rot3 = 0, res.poni.wavelength = 4e-11;
    res.esd[0] = 1.5e-5, res.esd[1] = 2e-6;
    res.rms_deg = 0.0123, res.rms_px = 0.31, res.npoints = 1200, res.nrings = 7;
    char path[4096], line[256];
    snprintf(path, sizeof path, "%s/table.txt", tsct_test_tmpdir(TSCT_TEST_TMP));
    FILE *f = fopen(path, "w+");
    CHECK(f != NULL && cal != NULL);
    if (!f || !cal)
        return;
    CHECK_OK(tsct_stage_calibration_table(f, &res, cal, &err), &err);
    rewind(f);
    const char *want[] = {NULL, "dist        0.25 +- 1.5e-05\n", "poni1       0.035 +- 2e-06\n",
                          "poni2       0 +- 0 (fixed)\n"};
    for (int i = 0; i < 4 && fgets(line, sizeof line, f); i++)
        CHECK_MSG(i == 0 ? strstr(line, "7 rings with points, 1200 control points") != NULL
                         : strcmp(line, want[i]) == 0,
                  "line %d: %s", i, line);
    int n = 4;
    while (fgets(line, sizeof line, f))
        n++;
    CHECK_MSG(n == 2 + TSCT_CALIB_NPARAMS && strcmp(line, "residual    0.0123 deg RMS (0.31 px) "
                                                          "in 2theta\n") == 0,
              "%d lines, last %s", n, line);
    fclose(f);
    tsct_calibrant_destroy(cal);
}

int main(void)
{
    test_calibrants();
    test_inverse();
    test_lsq();
    test_simulated();
    test_bad_input();
    test_table();
    return tsct_test_finish("test_calibrate");
}
