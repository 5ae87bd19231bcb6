/* test_pdf.c - lib/pdf against exact answers, identities, a Debye-sum nanoparticle and
 * PDFgetX3's own output; the configuration reader on good and bad files. */
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>

#include "tsct/composition.h"
#include "tsct/formfactor.h"
#include "tsct/pattern.h"
#include "tsct/pdf.h"
#include "tsct_test.h"

#define NI_DIR TSCT_TEST_DATA "/pdf/ni_xpd_pdfstream"
#define X2_DIR TSCT_TEST_DATA "/pdf/diffpy_srfit_aps_mucat"
#define NI_A 3.524 /* A, fcc Ni at 300 K */

/* I(Q) per atom that makes F_m = Q (I - <f^2>) / <f>^2 equal F (scale 1, single element). */
static void intensity_from_f(const tsct_composition *c, const double *q, int64_t n,
                             const double *F, double *I)
{
    double *fm = malloc((size_t)n * sizeof *fm), *f2 = malloc((size_t)n * sizeof *f2);
    tsct_composition_f_average(c, q, n, fm, f2);
    for (int64_t i = 0; i < n; i++)
        I[i] = f2[i] + fm[i] * fm[i] * F[i] / q[i];
    free(fm);
    free(f2);
}

static double pearson(const double *a, const double *b, int64_t n)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (int64_t i = 0; i < n; i++) {
        sa += a[i];
        sb += b[i];
        saa += a[i] * a[i];
        sbb += b[i] * b[i];
        sab += a[i] * b[i];
    }
    double c = sab / n - sa * sb / n / n;
    return c / sqrt((saa / n - sa * sa / n / n) * (sbb / n - sb * sb / n / n));
}

/* Position of the maximum of g near r0 (+- 0.15 A), refined by a parabola. */
static double peak_near(const double *r, const double *g, int64_t nr, double r0)
{
    int64_t best = -1;
    for (int64_t j = 1; j < nr - 1; j++)
        if (fabs(r[j] - r0) <= 0.15 && (best < 0 || g[j] > g[best]))
            best = j;
    if (best < 1 || best >= nr - 1)
        return NAN;
    double a = g[best - 1], b = g[best], c = g[best + 1];
    return r[best] + 0.5 * (a - c) / (a - 2 * b + c) * (r[1] - r[0]);
}

/* Coordination number of fcc Ni's first shell from G: N1 = int (r G + 4 pi rho0 r^2) dr over
 * [2.15, 2.85] A (between the minima around a / sqrt 2), rho0 = 4 / a^3. It is 12 when G is on
 * the absolute scale of G = 4 pi r [rho(r) - rho0]; it measures the normalisation of G. */
static double ni_first_shell(const double *r, const double *g, int64_t nr)
{
    const double rho0 = 4.0 / (NI_A * NI_A * NI_A);
    double s = 0;
    for (int64_t j = 0; j + 1 < nr; j++)
        if (r[j] >= 2.15 - 1e-9 && r[j + 1] <= 2.85 + 1e-9) {
            double a = r[j] * g[j] + 4 * M_PI * rho0 * r[j] * r[j];
            double b = r[j + 1] * g[j + 1] + 4 * M_PI * rho0 * r[j + 1] * r[j + 1];
            s += 0.5 * (a + b) * (r[j + 1] - r[j]);
        }
    return s;
}

/* The XPD Ni pattern with its one-point outlier at Q = 15.872 (2226 counts between
 * neighbours of ~100) replaced by its neighbours' mean: PDFgetX3's F(Q), recovered as
 * int G sin(Qr) dr, has no trace of it. Returns the number of points replaced. */
static int64_t read_ni_chi(double **q, double **I, int64_t *n)
{
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_pattern_read_text(NI_DIR "/Ni_chi_file.chi", q, I, n, &err), &err);
    int64_t spikes = 0;
    double *y = *I;
    for (int64_t i = 2; i < *n - 2; i++)
        if (y[i] > 10 * y[i - 2] && y[i] > 10 * y[i + 2]) {
            y[i] = 0.5 * (y[i - 1] + y[i + 1]);
            spikes++;
        }
    return spikes;
}

/* Transform of a Gaussian pair peak: F = sin(Q a) exp(-s^2 Q^2 / 2) gives
 * G = [exp(-(r-a)^2 / 2s^2) - exp(-(r+a)^2 / 2s^2)] / (s sqrt(2 pi)) for qmax -> infinity;
 * also Parseval (int G^2 dr = (2/pi) int F^2 dQ) and the batch paths against the reference. */
static void test_analytic(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_composition *c = NULL;
    CHECK_OK(tsct_composition_parse(&c, "Ni", &err), &err);
    const double a = 2.5, s = 0.1, h = 0.01;
    const int64_t n = 5000; /* Q = 0.01 .. 50: exp(-s^2 Q^2 / 2) < 4e-6 at the end */
    double *q = malloc(n * sizeof *q), *F = malloc(n * sizeof *F), *I = malloc(n * sizeof *I);
    for (int64_t i = 0; i < n; i++) {
        q[i] = h * (double)(i + 1);
        F[i] = sin(q[i] * a) * exp(-0.5 * s * s * q[i] * q[i]);
    }
    intensity_from_f(c, q, n, F, I);
    tsct_pdf_params p = TSCT_PDF_PARAMS_DEFAULT;
    p.rpoly = 0;
    p.scale = 1;
    p.rmax = 20;
    p.nthreads = 2;
    tsct_pdf_plan *plan = NULL;
    CHECK_OK(tsct_pdf_plan_create(&p, c, q, n, &plan, &err), &err);
    if (!plan)
        return;
    CHECK(tsct_pdf_plan_params(plan)->method == TSCT_PDF_CHIRPZ);
    const int64_t nr = tsct_pdf_plan_nr(plan);
    CHECK(nr == 2001);
    const double *r = tsct_pdf_plan_r(plan);
    double *g = malloc(nr * sizeof *g), alpha = 0;
    CHECK_OK(tsct_pdf_execute_one(plan, I, NULL, NULL, g, &alpha, &err), &err);
    CHECK_NEAR(alpha, 1.0, 0);
    /* Trapezoid over a smooth integrand with step 0.01, from Q = 0.01 instead of 0 (the
     * missing sliver is O(h^2 a r) ~ 1e-4 / (2 pi)): 1e-4 absolute on a peak of 3.99. */
    double maxerr = 0, e2 = 0, f2 = 0;
    for (int64_t j = 0; j < nr; j++) {
        double ex = (exp(-(r[j] - a) * (r[j] - a) / (2 * s * s)) -
                     exp(-(r[j] + a) * (r[j] + a) / (2 * s * s))) / (s * sqrt(2 * M_PI));
        maxerr = fmax(maxerr, fabs(g[j] - ex));
        e2 += g[j] * g[j] * 0.01;
    }
    CHECK_MSG(maxerr < 1e-4, "max |G - exact| = %g", maxerr);
    for (int64_t i = 0; i < n; i++)
        f2 += F[i] * F[i] * h;
    /* Parseval: both sides 1/(2 s sqrt(pi)) = 2.8209; rectangle sums, 1e-4 relative. */
    CHECK_NEAR(e2 / (2.0 / M_PI * f2), 1.0, 1e-4);
    CHECK_NEAR(e2, 1.0 / (2 * s * sqrt(M_PI)), 1e-3);

    /* Batch paths (float32): chirp-z and direct agree with the double reference to 1e-5 of
     * max |G| (float rounding over 5000-term sums and FFTs of 8000 points). */
    float *If = malloc(3 * n * sizeof *If), *gf = malloc(3 * nr * sizeof *gf);
    for (int64_t k = 0; k < 3; k++)
        for (int64_t i = 0; i < n; i++)
            If[k * n + i] = (float)(I[i] * (k + 1.0));
    uint8_t mask[3] = {1, 0, 1};
    for (int m = 1; m <= 2; m++) {
        tsct_pdf_params pm = p;
        pm.method = (tsct_pdf_method)m;
        pm.scale = 0; /* automatic: the pattern scaled by k+1 must give the same G */
        tsct_pdf_plan *pl2 = NULL;
        tsct_pdf_workspace *ws = NULL;
        CHECK_OK(tsct_pdf_plan_create(&pm, c, q, n, &pl2, &err), &err);
        CHECK_OK(tsct_pdf_workspace_create(pl2, 2, &ws, &err), &err);
        CHECK_OK(tsct_pdf_execute(pl2, If, 3, mask, gf, ws, &err), &err);
        double *gref = malloc(nr * sizeof *gref);
        CHECK_OK(tsct_pdf_execute_one(pl2, I, NULL, NULL, gref, NULL, &err), &err);
        double d0 = 0, d2 = 0, gmax = 0;
        for (int64_t j = 0; j < nr; j++) {
            gmax = fmax(gmax, fabs(gref[j]));
            d0 = fmax(d0, fabs(gf[j] - gref[j]));
            d2 = fmax(d2, fabs(gf[2 * nr + j] - gref[j]));
        }
        CHECK_MSG(d0 < 1e-5 * gmax && d2 < 1e-5 * gmax, "method %d: %g %g of %g", m, d0, d2,
                  gmax);
        CHECK(isnan(gf[nr]) && isnan(gf[2 * nr - 1]));
        free(gref);
        tsct_pdf_workspace_destroy(ws);
        tsct_pdf_plan_destroy(pl2);
    }
    /* A workspace of another plan is refused. */
    tsct_pdf_workspace *ws = NULL;
    tsct_pdf_plan *other = NULL;
    CHECK_OK(tsct_pdf_plan_create(&p, c, q, n, &other, &err), &err);
    CHECK_OK(tsct_pdf_workspace_create(other, 1, &ws, &err), &err);
    CHECK_FAILS(tsct_pdf_execute(plan, If, 1, NULL, gf, ws, &err), TSCT_ERR_VALUE, &err,
                "another plan");
    tsct_pdf_workspace_destroy(ws);
    tsct_pdf_plan_destroy(other);
    free(If);
    free(gf);
    free(g);
    free(q);
    free(F);
    free(I);
    tsct_pdf_plan_destroy(plan);
    tsct_composition_destroy(c);
}

/* The polynomial correction removes any F_m = Q p(Q) with deg(Q p) <= n exactly, and the
 * unequal-grid path agrees with the equal-grid one. */
static void test_polynomial(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_composition *c = NULL;
    CHECK_OK(tsct_composition_parse(&c, "CeO2", &err), &err);
    const int64_t n = 1250;
    double *q = malloc(n * sizeof *q), *F = malloc(n * sizeof *F), *I = malloc(n * sizeof *I);
    for (int64_t i = 0; i < n; i++) {
        q[i] = 0.02 * (double)(i + 1);
        double x = q[i] / 24.0;
        F[i] = q[i] * (3.0 - 5.0 * x + 2.0 * x * x * x) + 0.5 * sin(3.0 * q[i]);
    }
    intensity_from_f(c, q, n, F, I);
    tsct_pdf_params p = TSCT_PDF_PARAMS_DEFAULT;
    p.qmaxinst = 24;
    p.qmin = 0.5;
    p.rpoly = 0.9; /* degree round(0.9 * 24 / pi) = 7 */
    p.scale = 1;
    tsct_pdf_plan *plan = NULL;
    CHECK_OK(tsct_pdf_plan_create(&p, c, q, n, &plan, &err), &err);
    if (!plan)
        return;
    CHECK(tsct_pdf_plan_degree(plan) == 7);
    double *fq = malloc(n * sizeof *fq), *sq = malloc(n * sizeof *sq);
    CHECK_OK(tsct_pdf_execute_one(plan, I, sq, fq, NULL, NULL, &err), &err);
    /* What remains is the sine minus its own degree-7 projection, and the correction is
     * a polynomial: compare with the fit of the sine alone. */
    double *Fs = malloc(n * sizeof *Fs), *Is = malloc(n * sizeof *Is), *fs = malloc(n * sizeof *fs);
    for (int64_t i = 0; i < n; i++)
        Fs[i] = 0.5 * sin(3.0 * q[i]);
    intensity_from_f(c, q, n, Fs, Is);
    CHECK_OK(tsct_pdf_execute_one(plan, Is, NULL, fs, NULL, NULL, &err), &err);
    double d = 0;
    for (int64_t i = 0; i < n && q[i] <= 24; i++)
        d = fmax(d, fabs(fq[i] - fs[i]));
    CHECK_MSG(d < 1e-9, "the cubic survived the correction: %g", d);
    CHECK(isnan(fq[n - 1]) && isnan(sq[n - 1])); /* above qmaxinst */
    CHECK_NEAR(sq[100], 1.0 + fq[100] / q[100], 1e-12);

    /* Unequal steps (a twotheta grid): the direct path, refused by chirp-z. */
    for (int64_t i = 0; i < n; i++)
        q[i] = 4 * M_PI * sin(0.5 * (0.1 + 0.02 * (double)i) * M_PI / 180) / 0.1;
    tsct_pdf_plan *pu = NULL;
    p.qmaxinst = p.qmax = 20;
    p.method = TSCT_PDF_CHIRPZ;
    CHECK_FAILS(tsct_pdf_plan_create(&p, c, q, n, &pu, &err), TSCT_ERR_UNSUPPORTED, &err,
                "equally spaced");
    p.method = TSCT_PDF_AUTO;
    CHECK_OK(tsct_pdf_plan_create(&p, c, q, n, &pu, &err), &err);
    CHECK(pu && tsct_pdf_plan_params(pu)->method == TSCT_PDF_DIRECT);
    tsct_pdf_plan_destroy(pu);
    free(q);
    free(F);
    free(I);
    free(fq);
    free(sq);
    free(Fs);
    free(Is);
    free(fs);
    tsct_pdf_plan_destroy(plan);
    tsct_composition_destroy(c);
}

/* Difference PDFs. With a fixed scale alpha every step up to G is affine in I,
 * G(I) = L I + G(0), so G(I1) - G(I2) = G(I1 - I2) - G(0): the dPDF of two patterns is the PDF
 * of their difference less the PDF of an empty pattern (the transform of -h0, the ad hoc
 * correction of the self-scattering). With the automatic scale it is not (alpha depends on
 * each pattern), but G(c I) = G(I) for any c > 0: a change of intensity alone leaves no dPDF. */
static void test_difference(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_composition *c = NULL;
    CHECK_OK(tsct_composition_parse(&c, "LiCoO2", &err), &err);
    const int64_t n = 1200;
    double *q = malloc(n * sizeof *q), *I1 = malloc(n * sizeof *I1), *I2 = malloc(n * sizeof *I2);
    double *dI = malloc(n * sizeof *dI), *zero = calloc(n, sizeof *zero);
    for (int64_t i = 0; i < n; i++) {
        q[i] = 0.02 * (double)(i + 1);
        double bg = 30.0 * exp(-0.05 * q[i]) + 5.0;
        I1[i] = bg + 100.0 * exp(-0.5 * pow((q[i] - 4.4) / 0.05, 2)) + 2.0 * sin(2.9 * q[i]);
        I2[i] = 0.8 * bg + 60.0 * exp(-0.5 * pow((q[i] - 6.1) / 0.05, 2));
        dI[i] = I1[i] - I2[i];
    }
    tsct_pdf_params p = TSCT_PDF_PARAMS_DEFAULT;
    p.qmin = 0.5;
    p.qmaxinst = 22;
    p.rmax = 15;
    p.scale = 0.7;
    tsct_pdf_plan *plan = NULL;
    CHECK_OK(tsct_pdf_plan_create(&p, c, q, n, &plan, &err), &err);
    if (!plan)
        return;
    const int64_t nr = tsct_pdf_plan_nr(plan);
    double *g1 = malloc(nr * sizeof *g1), *g2 = malloc(nr * sizeof *g2);
    double *gd = malloc(nr * sizeof *gd), *g0 = malloc(nr * sizeof *g0);
    CHECK_OK(tsct_pdf_execute_one(plan, I1, NULL, NULL, g1, NULL, &err), &err);
    CHECK_OK(tsct_pdf_execute_one(plan, I2, NULL, NULL, g2, NULL, &err), &err);
    CHECK_OK(tsct_pdf_execute_one(plan, dI, NULL, NULL, gd, NULL, &err), &err);
    CHECK_OK(tsct_pdf_execute_one(plan, zero, NULL, NULL, g0, NULL, &err), &err);
    /* Double rounding over sums of ~1000 terms: 1e-12 of max |G|. */
    double dmax = 0, gmax = 0, g0max = 0;
    for (int64_t j = 0; j < nr; j++) {
        gmax = fmax(gmax, fabs(g1[j]));
        g0max = fmax(g0max, fabs(g0[j]));
        dmax = fmax(dmax, fabs((g1[j] - g2[j]) - (gd[j] - g0[j])));
    }
    CHECK_MSG(dmax <= 1e-12 * gmax, "dPDF vs PDF of the difference: %g of %g", dmax, gmax);
    CHECK_MSG(g0max > 1e-3 * gmax, "G(0) = %g should not vanish here", g0max); /* -T h0 */

    /* The batch path (float32) obeys the same identity to its own rounding, 1e-5. */
    float *If = malloc(4 * n * sizeof *If), *gf = malloc(4 * nr * sizeof *gf);
    for (int64_t i = 0; i < n; i++) {
        If[i] = (float)I1[i];
        If[n + i] = (float)I2[i];
        If[2 * n + i] = If[i] - If[n + i];
        If[3 * n + i] = 0.0f;
    }
    tsct_pdf_workspace *ws = NULL;
    CHECK_OK(tsct_pdf_workspace_create(plan, 1, &ws, &err), &err);
    CHECK_OK(tsct_pdf_execute(plan, If, 4, NULL, gf, ws, &err), &err);
    double fmaxd = 0;
    for (int64_t j = 0; j < nr; j++)
        fmaxd = fmax(fmaxd, fabs((double)(gf[j] - gf[nr + j]) - (gf[2 * nr + j] - gf[3 * nr + j])));
    CHECK_MSG(fmaxd <= 1e-5 * gmax, "float dPDF identity: %g of %g", fmaxd, gmax);
    tsct_pdf_workspace_destroy(ws);
    tsct_pdf_plan_destroy(plan);

    /* Automatic scale: 3.7 x the intensity gives the same G to rounding (1e-12). */
    p.scale = 0;
    CHECK_OK(tsct_pdf_plan_create(&p, c, q, n, &plan, &err), &err);
    for (int64_t i = 0; i < n; i++)
        dI[i] = 3.7 * I1[i];
    CHECK_OK(tsct_pdf_execute_one(plan, I1, NULL, NULL, g1, NULL, &err), &err);
    CHECK_OK(tsct_pdf_execute_one(plan, dI, NULL, NULL, g2, NULL, &err), &err);
    dmax = gmax = 0;
    for (int64_t j = 0; j < nr; j++) {
        gmax = fmax(gmax, fabs(g1[j]));
        dmax = fmax(dmax, fabs(g1[j] - g2[j]));
    }
    CHECK_MSG(dmax <= 1e-12 * gmax, "G(3.7 I) - G(I) = %g of %g", dmax, gmax);
    tsct_pdf_plan_destroy(plan);
    free(If);
    free(gf);
    free(g1);
    free(g2);
    free(gd);
    free(g0);
    free(q);
    free(I1);
    free(I2);
    free(dI);
    free(zero);
    tsct_composition_destroy(c);
}

/* Bad parameters name the parameter and both values. */
static void test_bad_params(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_composition *c = NULL;
    CHECK_OK(tsct_composition_parse(&c, "Ni", &err), &err);
    double q[100];
    for (int i = 0; i < 100; i++)
        q[i] = 0.1 * (i + 1);
    tsct_pdf_plan *pl = NULL;
    tsct_pdf_params p = TSCT_PDF_PARAMS_DEFAULT;
    p.qmax = 12;
    CHECK_FAILS(tsct_pdf_plan_create(&p, c, q, 100, &pl, &err), TSCT_ERR_VALUE, &err,
                "qmax = 12 is above the data, which end at Q = 10");
    p = (tsct_pdf_params)TSCT_PDF_PARAMS_DEFAULT;
    p.qmaxinst = 11;
    CHECK_FAILS(tsct_pdf_plan_create(&p, c, q, 100, &pl, &err), TSCT_ERR_VALUE, &err,
                "qmaxinst = 11 is above the data");
    p = (tsct_pdf_params)TSCT_PDF_PARAMS_DEFAULT;
    p.qmaxinst = 8;
    p.qmax = 9;
    CHECK_FAILS(tsct_pdf_plan_create(&p, c, q, 100, &pl, &err), TSCT_ERR_VALUE, &err,
                "qmax = 9 is above qmaxinst = 8");
    p = (tsct_pdf_params)TSCT_PDF_PARAMS_DEFAULT;
    p.qmax = -1; /* once silently replaced by qmaxinst */
    CHECK_FAILS(tsct_pdf_plan_create(&p, c, q, 100, &pl, &err), TSCT_ERR_VALUE, &err,
                "qmax: expected 0 (the end of the data) or a positive Q, got -1");
    p = (tsct_pdf_params)TSCT_PDF_PARAMS_DEFAULT;
    p.qmaxinst = -5;
    CHECK_FAILS(tsct_pdf_plan_create(&p, c, q, 100, &pl, &err), TSCT_ERR_VALUE, &err,
                "qmaxinst: expected 0");
    p = (tsct_pdf_params)TSCT_PDF_PARAMS_DEFAULT;
    p.rstep = 0;
    CHECK_FAILS(tsct_pdf_plan_create(&p, c, q, 100, &pl, &err), TSCT_ERR_VALUE, &err, "rstep");
    p = (tsct_pdf_params)TSCT_PDF_PARAMS_DEFAULT;
    p.rpoly = 40;
    CHECK_FAILS(tsct_pdf_plan_create(&p, c, q, 100, &pl, &err), TSCT_ERR_VALUE, &err,
                "only 100 points");
    q[50] = q[49];
    p = (tsct_pdf_params)TSCT_PDF_PARAMS_DEFAULT;
    CHECK_FAILS(tsct_pdf_plan_create(&p, c, q, 100, &pl, &err), TSCT_ERR_VALUE, &err,
                "strictly increasing");
    CHECK(pl == NULL);
    tsct_composition_destroy(c);
}

/* A fcc Ni cluster from a direct Debye double sum: G has its peaks at the interatomic
 * distances and, below the first one, the baseline -4 pi rho0 r gamma0(r). */
static void test_debye_nanoparticle(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const double a = 3.524, Rc = 10.0, sig2 = 0.006; /* sig2: Debye-Waller, A^2 */
    double (*pos)[3] = malloc(4000 * sizeof *pos);
    int64_t N = 0;
    const double basis[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
    for (int i = -4; i <= 4; i++)
        for (int j = -4; j <= 4; j++)
            for (int k = -4; k <= 4; k++)
                for (int b = 0; b < 4; b++) {
                    double x = (i + basis[b][0]) * a, y = (j + basis[b][1]) * a,
                           z = (k + basis[b][2]) * a;
                    if (x * x + y * y + z * z <= Rc * Rc) {
                        pos[N][0] = x;
                        pos[N][1] = y;
                        pos[N][2] = z;
                        N++;
                    }
                }
    /* Pair distances with their counts (fcc distances are sqrt(m / 2) a). */
    const int64_t nbin = 200;
    double *cnt = calloc(nbin, sizeof *cnt);
    for (int64_t i = 0; i < N; i++)
        for (int64_t j = 0; j < N; j++)
            if (i != j) {
                double dx = pos[i][0] - pos[j][0], dy = pos[i][1] - pos[j][1],
                       dz = pos[i][2] - pos[j][2];
                int64_t m = (int64_t)floor(2 * (dx * dx + dy * dy + dz * dz) / (a * a) + 0.5);
                if (m < nbin)
                    cnt[m] += 1;
            }
    const double rho0 = 4 / (a * a * a), R = cbrt(3.0 * N / (4 * M_PI * rho0));
    const int64_t n = 2500;
    double *q = malloc(n * sizeof *q), *I = malloc(n * sizeof *I), *f = malloc(n * sizeof *f);
    const tsct_formfactor *ff = NULL;
    CHECK_OK(tsct_formfactor_find("Ni", &ff, &err), &err);
    for (int64_t i = 0; i < n; i++) {
        q[i] = 0.01 * (double)(i + 1);
        double s = 0;
        for (int64_t m = 1; m < nbin; m++)
            if (cnt[m] > 0) {
                double d = a * sqrt(m / 2.0);
                s += cnt[m] * sin(q[i] * d) / (q[i] * d);
            }
        /* S - 1 of the cluster, less the small-angle scattering of a uniform sphere of the
         * same N and density (whose transform is 4 pi r rho0 gamma0(r)). */
        double x = q[i] * R, phi = 3 * (sin(x) - x * cos(x)) / (x * x * x);
        double sm1 = s / N * exp(-sig2 * q[i] * q[i]) - N * phi * phi;
        double fi = tsct_formfactor_f0(ff, q[i]);
        I[i] = fi * fi * (1 + sm1);
    }
    tsct_composition *c = NULL;
    CHECK_OK(tsct_composition_parse(&c, "Ni", &err), &err);
    tsct_pdf_params p = TSCT_PDF_PARAMS_DEFAULT;
    p.rpoly = 0;
    p.rmax = 10;
    p.qmin = 0.5; /* above the residual small-angle mismatch of a faceted cluster */
    tsct_pdf_plan *plan = NULL;
    CHECK_OK(tsct_pdf_plan_create(&p, c, q, n, &plan, &err), &err);
    if (!plan)
        return;
    const int64_t nr = tsct_pdf_plan_nr(plan);
    double *g = malloc(nr * sizeof *g), alpha;
    CHECK_OK(tsct_pdf_execute_one(plan, I, NULL, NULL, g, &alpha, &err), &err);
    /* The automatic scale is PDFgetX3's least-squares match of S to 1 over [qmin, qmaxinst]:
     * alpha = int I f^2 / f^4 dQ / int I^2 / f^4 dQ (trapezoid rule), recomputed here. It is
     * below 1 (measured 0.825) because the cluster's S oscillates strongly: the least squares
     * shrink alpha by 1 / (1 + mean square of S - 1), as PDFgetX3 does. */
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        if (q[i] < 0.5 - 1e-12)
            continue;
        double fi = tsct_formfactor_f0(ff, q[i]), f4 = fi * fi * fi * fi;
        const double lo = q[i - 1] >= 0.5 - 1e-12 ? q[i - 1] : q[i];
        const double wq = 0.5 * ((i + 1 < n ? q[i + 1] : q[i]) - lo);
        num += wq * I[i] * fi * fi / f4;
        den += wq * I[i] * I[i] / f4;
    }
    CHECK_MSG(fabs(alpha / (num / den) - 1) < 1e-12, "alpha %.15g, definition %.15g", alpha,
              num / den);
    CHECK_MSG(alpha > 0.78 && alpha < 0.87, "alpha %.4f", alpha);
    /* The transform on ideal data: with the exact scale 1 the peaks sit at the interatomic
     * distances and the baseline is the density's. */
    tsct_pdf_plan_destroy(plan);
    p.scale = 1;
    CHECK_OK(tsct_pdf_plan_create(&p, c, q, n, &plan, &err), &err);
    if (!plan)
        return;
    const double *r = tsct_pdf_plan_r(plan);
    CHECK_OK(tsct_pdf_execute_one(plan, I, NULL, NULL, g, NULL, &err), &err);
    const double dist[4] = {a / sqrt(2), a, a * sqrt(1.5), a * sqrt(2)};
    for (int k = 0; k < 4; k++) {
        double pk = peak_near(r, g, nr, dist[k]);
        CHECK_MSG(fabs(pk - dist[k]) <= 0.01, "peak %d at %.4f, expected %.4f", k, pk, dist[k]);
    }
    /* Low-r slope: least squares of G = k r over 0.6 .. 1.8 A against -4 pi rho0 times the
     * sphere's gamma0(r) = 1 - 3r/4R + r^3/16R^3 (the particle's finite size). 5 %: the
     * cluster is a faceted sphere, and Q < 0.5 is left out (a -0.03 r error, 2.5 %). */
    double sxy = 0, sxx = 0, sey = 0;
    for (int64_t j = 0; j < nr; j++)
        if (r[j] >= 0.6 && r[j] <= 1.8) {
            double gam = 1 - 0.75 * r[j] / R + pow(r[j] / R, 3) / 16;
            sxy += r[j] * g[j];
            sxx += r[j] * r[j];
            sey += r[j] * r[j] * gam;
        }
    double slope = sxy / sxx, expect = -4 * M_PI * rho0 * sey / sxx;
    CHECK_MSG(fabs(slope / expect - 1) < 0.05, "slope %.4f, expected %.4f (N = %lld, R = %.2f)",
              slope, expect, (long long)N, R);
    free(g);
    free(q);
    free(I);
    free(f);
    free(cnt);
    free(pos);
    tsct_pdf_plan_destroy(plan);
    tsct_composition_destroy(c);
}

/* The Ni pattern of xpdAcq/PDFstream with the settings in the header of the PDFgetX3 .gr
 * shipped beside it. The .gr was not made from this .chi (docs/pdf.md, "Agreement with
 * PDFgetX3", and docs/pdf_agreement.py): the bounds below are the measured figures, which no
 * variant of the ad hoc method reaches beyond r = 0.987, so that they catch regressions. */
static void test_ni_pdfgetx3(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    static tsct_pdf_config cfg;
    tsct_pdf_config_init(&cfg);
    CHECK_OK(tsct_pdf_config_read(&cfg, NI_DIR "/Ni_gr_file.gr", NULL, &err), &err);
    CHECK(!strcmp(cfg.composition, "Ni") && !strcmp(cfg.dataformat, "QA"));
    CHECK(cfg.params.qmax == 24 && cfg.params.qmaxinst == 25 && cfg.params.rpoly == 2 &&
          cfg.params.rmax == 60 && cfg.params.rstep == 0.01 && cfg.nbackgroundfile == 0);
    double *q, *I, *rx, *gx;
    int64_t n, nx;
    CHECK(read_ni_chi(&q, &I, &n) == 1);
    CHECK_OK(tsct_pattern_read_text(NI_DIR "/Ni_gr_file.gr", &rx, &gx, &nx, &err), &err);
    CHECK(n == 1480 && nx == 6001);
    tsct_composition *c = NULL;
    CHECK_OK(tsct_composition_parse(&c, cfg.composition, &err), &err);
    tsct_pdf_plan *plan = NULL;
    CHECK_OK(tsct_pdf_plan_create(&cfg.params, c, q, n, &plan, &err), &err);
    if (plan && nx == tsct_pdf_plan_nr(plan)) {
        CHECK(tsct_pdf_plan_degree(plan) == 16); /* round(2 x 25 / pi) */
        double *g = malloc(nx * sizeof *g);
        CHECK_OK(tsct_pdf_execute_one(plan, I, NULL, NULL, g, NULL, &err), &err);
        const double *r = tsct_pdf_plan_r(plan);
        int64_t j0 = 150, j1 = 3000; /* 1.5 .. 30 A */
        CHECK_NEAR(r[j0], 1.5, 1e-12);
        CHECK_NEAR(rx[j1], 30, 1e-12);
        double pr = pearson(g + j0, gx + j0, j1 - j0 + 1);
        double sxy = 0, sxx = 0, d2 = 0, gmax = 0;
        for (int64_t j = j0; j <= j1; j++) {
            sxy += g[j] * gx[j];
            sxx += g[j] * g[j];
            gmax = fmax(gmax, fabs(gx[j]));
        }
        const double k = sxy / sxx;
        for (int64_t j = j0; j <= j1; j++)
            d2 += (k * g[j] - gx[j]) * (k * g[j] - gx[j]);
        const double rms = sqrt(d2 / (double)(j1 - j0 + 1)) / gmax;
        /* Measured: Pearson 0.9773, RMS 5.66 % of max |G| after the best scale k = 0.9017
         * (0.363 with the former scale, I -> <f^2> over [qmaxinst / 2, qmaxinst]). The .gr
         * was made from other intensities: PDFgetX3's own examples are the agreement test
         * (tests/test_pdfgetx3_examples.py). */
        CHECK_MSG(pr >= 0.976, "Pearson r = %.5f over 1.5-30 A", pr);
        CHECK_MSG(rms <= 0.058, "RMS after scaling = %.4f of max |G|", rms);
        CHECK_MSG(k > 0.89 && k < 0.915, "PDFgetX3 / tsct scale = %.4f", k);
        /* Absolute scale: the first shell of fcc Ni holds 12 atoms; tsct's G gives 7.09 and
         * the PDFgetX3 .gr 7.26 (PDFgetX3's least-squares scale shrinks G by the mean square
         * of S - 1 and keeps the Compton scattering in I); PDFgetX2's Ni (test_ni_pdfgetx2),
         * fully corrected, 11.6. */
        double n1 = ni_first_shell(r, g, nx), n1x = ni_first_shell(rx, gx, nx);
        CHECK_MSG(n1 > 6.9 && n1 < 7.3, "first-shell coordination %.3f", n1);
        CHECK_MSG(n1x < 7.5, "PDFgetX3's first shell %.3f", n1x);
        /* Peaks 2 and 3 agree within 0.01 A; the first (a / sqrt 2 = 2.492 A by the Bragg
         * peaks of this .chi) comes out at 2.517 A here and 2.487 A in PDFgetX3's .gr, from
         * the Q > 12 1/A part of the data (docs/pdf.md): bounded at its measured 0.0305 A. */
        for (int pk = 0; pk < 3; pk++) {
            const double d = NI_A * sqrt((pk + 1) / 2.0);
            double ours = peak_near(r, g, nx, d), theirs = peak_near(rx, gx, nx, d);
            CHECK_MSG(fabs(ours - theirs) <= (pk ? 0.01 : 0.032),
                      "peak near %.3f: %.4f vs PDFgetX3 %.4f", d, ours, theirs);
        }
        free(g);
    }
    tsct_pdf_plan_destroy(plan);
    tsct_composition_destroy(c);
    free(q);
    free(I);
    free(rx);
    free(gx);
}

/* PDFgetX2's Ni (diffpy.srfit's tutorial data: APS MU-CAT, 86.8 keV, Kapton background, full
 * corrections with Compton scattering, qmax 27). Its input .chi is not public, so only what
 * does not need it is tested: the file reads (its header holds rows of numbers before
 * "##### start data"), its r grid, its absolute scale (first shell 11.6 of 12 atoms), and
 * tsct's G of the XPD Ni pattern against it: the same material at the same temperature. */
static void test_ni_pdfgetx2(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    double *r2, *g2, *q, *I;
    int64_t n2, n;
    CHECK_OK(tsct_pattern_read_text(X2_DIR "/ni-q27r60-xray.gr", &r2, &g2, &n2, &err), &err);
    CHECK_MSG(n2 == 5999, "%lld points", (long long)n2);
    if (n2 != 5999)
        return;
    CHECK_NEAR(r2[0], 0.01, 1e-12);
    CHECK_NEAR(r2[n2 - 1], 59.99, 1e-9);
    CHECK_NEAR(g2[0], 6.873431e-002, 1e-12);
    const double n1x2 = ni_first_shell(r2, g2, n2);
    CHECK_MSG(fabs(n1x2 - 12) < 0.6, "PDFgetX2 first shell %.3f", n1x2); /* measured 11.62 */

    static tsct_pdf_config cfg;
    tsct_pdf_config_init(&cfg);
    CHECK_OK(tsct_pdf_config_read(&cfg, NI_DIR "/Ni_gr_file.gr", NULL, &err), &err);
    cfg.params.rmin = 0.01; /* PDFgetX2's grid: 0.01 .. 59.99 */
    cfg.params.rmax = 59.99;
    CHECK(read_ni_chi(&q, &I, &n) == 1);
    tsct_composition *c = NULL;
    CHECK_OK(tsct_composition_parse(&c, "Ni", &err), &err);
    tsct_pdf_plan *plan = NULL;
    CHECK_OK(tsct_pdf_plan_create(&cfg.params, c, q, n, &plan, &err), &err);
    if (plan && tsct_pdf_plan_nr(plan) == n2) {
        const double *r = tsct_pdf_plan_r(plan);
        double dr = 0;
        for (int64_t j = 0; j < n2; j++)
            dr = fmax(dr, fabs(r[j] - r2[j]));
        CHECK_MSG(dr < 1e-9, "r grids differ by %g", dr);
        double *g = malloc(n2 * sizeof *g);
        CHECK_OK(tsct_pdf_execute_one(plan, I, NULL, NULL, g, NULL, &err), &err);
        /* PDFgetX3's ad hoc scale against PDFgetX2's explicit corrections: measured
         * 7.09 / 11.62 = 0.610 (docs/pdf.md: the least-squares scale is below the absolute
         * one by the mean square of S - 1 and the Compton fraction at high Q). */
        double ratio = ni_first_shell(r, g, n2) / n1x2;
        CHECK_MSG(ratio > 0.59 && ratio < 0.63, "first shell tsct / PDFgetX2 = %.4f", ratio);
        /* Strong shells 2 and 3 (6 and 24 atoms) within 0.01 A of PDFgetX2's. */
        for (int pk = 1; pk < 3; pk++) {
            const double d = NI_A * sqrt((pk + 1) / 2.0);
            double ours = peak_near(r, g, n2, d), theirs = peak_near(r2, g2, n2, d);
            CHECK_MSG(fabs(ours - theirs) <= 0.01, "peak near %.3f: %.4f vs PDFgetX2 %.4f", d,
                      ours, theirs);
        }
        free(g);
    }
    tsct_pdf_plan_destroy(plan);
    tsct_composition_destroy(c);
    free(q);
    free(I);
    free(r2);
    free(g2);
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    fputs(text, fp);
    fclose(fp);
}

static void test_config(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const char *dir = tsct_test_tmpdir(TSCT_TEST_TMP);
    char path[4096], want[4200];
    static tsct_pdf_config cfg;
    /* The whole language: comments, [DEFAULT] and a named section, "=" and ":", keys in any
     * case, plural aliases, a value continued on indented lines (also after a comment or a
     * blank line, as in ConfigParser), lists split on commas, spaces and line ends, the
     * display keys, datapath searched for a file that is not in the configuration's folder
     * (c.chi lives in data/). */
    snprintf(path, sizeof path, "%s/data", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/data/c.chi", dir);
    write_file(path, "1 1\n2 2\n");
    snprintf(path, sizeof path, "%s/good.cfg", dir);
    write_file(path, "# comment\n[DEFAULT]\ndataformat = twotheta\nwavelength = 0.1427\n"
                     "composition = Li Co\n    O2\ninputfile = a.chi\n# inside a list\n\n"
                     "    sub/b.chi c.chi\n"
                     "backgroundfiles = bg.chi, bg2.chi\nbgscales: 0.5 0.25\n"
                     "outputtypes = gr, sq\ndatapath = data\nplot = gr, fq\ninteract = no\n"
                     "verbose = info\nforce = yes\noutput = out\nrpoly = 1.1\nQMAX = 25\n"
                     "\n[hot]\ncomposition = CeO2\nqmax = 20\n");
    tsct_pdf_config_init(&cfg);
    CHECK_OK(tsct_pdf_config_read(&cfg, path, "hot", &err), &err);
    CHECK(!strcmp(cfg.dataformat, "twotheta") && cfg.wavelength == 0.1427);
    CHECK(!strcmp(cfg.composition, "CeO2") && cfg.params.qmax == 20);
    CHECK(tsct_pdf_config_line(&cfg, "qmax") == 25 && tsct_pdf_config_line(&cfg, "bgscales") == 12);
    CHECK(tsct_pdf_config_line(&cfg, "qmin") == -1);
    CHECK(cfg.nbackgroundfile == 2 && cfg.nbgscale == 2 &&
          tsct_pdf_config_bgscale(&cfg, 0) == 0.5 && tsct_pdf_config_bgscale(&cfg, 1) == 0.25);
    CHECK(cfg.force == 1 && !strcmp(cfg.output, "out") && cfg.ndatapath == 1);
    CHECK_MSG(cfg.ninputfile == 3, "%d input files", cfg.ninputfile);
    snprintf(want, sizeof want, "%s/sub/b.chi", dir);
    CHECK_MSG(!strcmp(cfg.inputfile[1], want), "%s", cfg.inputfile[1]);
    snprintf(want, sizeof want, "%s/data/c.chi", dir);
    CHECK_MSG(!strcmp(cfg.inputfile[2], want), "%s", cfg.inputfile[2]);
    snprintf(want, sizeof want, "%s/bg2.chi", dir);
    CHECK(!strcmp(cfg.backgroundfile[1], want));
    CHECK(cfg.noutputtypes == 2 && !strcmp(cfg.outputtypes[0], "sq") &&
          !strcmp(cfg.outputtypes[1], "gr"));
    CHECK_OK(tsct_pdf_config_check(&cfg, &err), &err);
    /* Without the section: [DEFAULT]'s composition (continued on the next line) and qmax. */
    static tsct_pdf_config def;
    tsct_pdf_config_init(&def);
    CHECK_OK(tsct_pdf_config_read(&def, path, NULL, &err), &err);
    CHECK_MSG(!strcmp(def.composition, "Li Co O2") && def.params.qmax == 25, "'%s' %g",
              def.composition, def.params.qmax);
    /* The written header reads back to the same settings. */
    char text[8192];
    tsct_pdf_config_format(&cfg, "test", text, sizeof text);
    snprintf(path, sizeof path, "%s/back.cfg", dir);
    write_file(path, text);
    static tsct_pdf_config back;
    tsct_pdf_config_init(&back);
    CHECK_OK(tsct_pdf_config_read(&back, path, NULL, &err), &err);
    CHECK(back.params.qmax == 20 && back.params.rpoly == 1.1 && back.wavelength == 0.1427 &&
          !strcmp(back.composition, "CeO2") && back.noutputtypes == 2 &&
          back.nbackgroundfile == 2 && !strcmp(back.backgroundfile[1], cfg.backgroundfile[1]) &&
          back.nbgscale == 2 && back.bgscale[1] == 0.25);
    /* One scale for several backgrounds scales each (PDFgetX3's rule); force = once. */
    snprintf(path, sizeof path, "%s/one.cfg", dir);
    write_file(path, "[DEFAULT]\ncomposition = Ni\nbackgroundfiles = a.chi\n    b.chi\n"
                     "bgscale = 0.5\nforce = once\n");
    tsct_pdf_config_init(&cfg);
    CHECK_OK(tsct_pdf_config_read(&cfg, path, NULL, &err), &err);
    CHECK_OK(tsct_pdf_config_check(&cfg, &err), &err);
    CHECK(cfg.nbackgroundfile == 2 && tsct_pdf_config_bgscale(&cfg, 0) == 0.5 &&
          tsct_pdf_config_bgscale(&cfg, 1) == 0.5 && cfg.force == 1);
    CHECK(tsct_pdf_config_background_used(&cfg, 0) && tsct_pdf_config_background_used(&cfg, 1) &&
          !tsct_pdf_config_background_used(&cfg, 2));
    /* A file named twice is one background (PDFgetX3 keeps one instance): the last entry. */
    CHECK_OK(tsct_pdf_config_set(&cfg, "backgroundfile", "a.chi, b.chi a.chi", NULL, -1, &err),
             &err);
    CHECK(cfg.nbackgroundfile == 3 && !tsct_pdf_config_background_used(&cfg, 0) &&
          tsct_pdf_config_background_used(&cfg, 1) && tsct_pdf_config_background_used(&cfg, 2));
    /* PDFgetX3's output templates. */
    char name[256];
    CHECK(tsct_pdf_output_expand("series1/foo@b-01.@o", "dir1/dir2/filename.dat", "gr", name,
                                 sizeof name) == 25 &&
          !strcmp(name, "series1/foofilename-01.gr"));
    tsct_pdf_output_expand("@f|@h|@r|@e|@t|@b|@o|@x@", "dir1/dir2/filename.dat", "fq", name,
                           sizeof name);
    CHECK_MSG(!strcmp(name, "dir1/dir2/filename.dat|dir1/dir2|dir1/dir2/filename|dat|"
                            "filename.dat|filename|fq|@x@"), "%s", name);
    tsct_pdf_output_expand("@h/@b.@o", "x", "gr", name, sizeof name);
    CHECK_MSG(!strcmp(name, "./x.gr"), "%s", name);
    CHECK(tsct_pdf_output_expand("series1/@b.@o", "a.chi", "gr", name, 5) == 4 &&
          !strcmp(name, "seri"));
    /* PDFgetX3's defaults for every key a file leaves out. */
    snprintf(path, sizeof path, "%s/min.cfg", dir);
    write_file(path, "[DEFAULT]\ncomposition = Ni\n");
    tsct_pdf_config_init(&cfg);
    CHECK_OK(tsct_pdf_config_read(&cfg, path, NULL, &err), &err);
    CHECK(!strcmp(cfg.dataformat, "QA") && cfg.nbackgroundfile == 0 &&
          tsct_pdf_config_bgscale(&cfg, 0) == 1 && cfg.twothetazero == 0 &&
          cfg.noutputtypes == 1 && !strcmp(cfg.outputtypes[0], "gr") &&
          !strcmp(cfg.mode, "xray") && cfg.params.rpoly == 0.9 && cfg.params.qmin == 0 &&
          cfg.params.qmax == 0 && cfg.params.qmaxinst == 0 && cfg.params.rmin == 0 &&
          cfg.params.rmax == 30 && cfg.params.rstep == 0.01 && !cfg.force);
    CHECK_OK(tsct_pdf_config_check(&cfg, &err), &err);

    /* Errors found while reading: file, key, line. */
    struct {
        const char *text, *needle;
        tsct_status st;
    } bad[] = {
        {"[DEFAULT]\ncomposition = Ni\nqmaxinstt = 25\n", "bad.cfg: qmaxinstt[3]: unknown key",
         TSCT_ERR_VALUE},
        {"[DEFAULT]\ncomposition =\n", "composition[2]: empty composition", TSCT_ERR_VALUE},
        {"[DEFAULT]\nqmax = 2x\n", "qmax[2]: expected a number, found '2x'", TSCT_ERR_VALUE},
        {"[DEFAULT]\n\nqmax = -1\n", "bad.cfg: qmax[3]: expected 0 (qmaxinst", TSCT_ERR_VALUE},
        {"[DEFAULT]\nrstep = 0\n", "rstep[2]: expected a step > 0", TSCT_ERR_VALUE},
        {"[DEFAULT]\nbgscale = 1, x\n", "bgscale[2]: expected a number, found 'x'",
         TSCT_ERR_VALUE},
        {"[DEFAULT]\ndataformat = tth\n", "dataformat[2]: expected twotheta, QA or Qnm",
         TSCT_ERR_VALUE},
        {"[DEFAULT]\nmode = neutron\n", "mode[2]: mode 'neutron' is not supported",
         TSCT_ERR_UNSUPPORTED},
        {"[DEFAULT]\nmode = sas\n", "mode[2]: mode 'sas' is not supported",
         TSCT_ERR_UNSUPPORTED},
        {"[DEFAULT]\nmode = electron\n", "mode[2]: mode 'electron' is not supported",
         TSCT_ERR_UNSUPPORTED},
        {"[DEFAULT]\nmode = xrays\n", "mode[2]: expected xray", TSCT_ERR_VALUE},
        {"[DEFAULT]\nforce = maybe\n", "force[2]: expected yes or no", TSCT_ERR_VALUE},
        {"[DEFAULT]\noutput = -\n", "output[2]: output '-' (the standard output) is not",
         TSCT_ERR_UNSUPPORTED},
        {"composition = Ni\n", "start the file with [DEFAULT]", TSCT_ERR_VALUE},
        {"[DEFAULT]\ncomposition = Xx2\n", "composition[2]", TSCT_ERR_VALUE},
        {"[DEFAULT]\noutputtype = gr, pdf\n", "found 'pdf'", TSCT_ERR_VALUE},
        {"[DEFAULT\n", "expected [NAME]", TSCT_ERR_VALUE},
    };
    snprintf(path, sizeof path, "%s/bad.cfg", dir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path, bad[i].text);
        tsct_pdf_config_init(&cfg);
        CHECK_FAILS(tsct_pdf_config_read(&cfg, path, NULL, &err), bad[i].st, &err,
                    bad[i].needle);
    }
    /* Errors found by the checks, still naming the line of the key. */
    struct {
        const char *text, *needle;
    } inconsistent[] = {
        {"[DEFAULT]\ncomposition = Ni\nbackgroundfile = a.chi\n  b.chi\nbgscale = 0.5 1 2\n",
         "bgscale[5]: 3 scales for 2 background files (backgroundfile, line 3)"},
        {"[DEFAULT]\ncomposition = Ni\nqmaxinst = 25\nqmax = 30\n",
         "qmax[4]: qmax = 30 is above qmaxinst = 25, line 3:"},
        {"[DEFAULT]\ncomposition = Ni\nqmin = 12\nqmax = 10\n", "qmin[3]: qmin = 12 must be"},
        {"[DEFAULT]\ncomposition = Ni\nbgscale = 2, 3\n", "bgscale[3]: 2 scales for 0"},
    };
    for (size_t i = 0; i < sizeof inconsistent / sizeof inconsistent[0]; i++) {
        write_file(path, inconsistent[i].text);
        tsct_pdf_config_init(&cfg);
        CHECK_OK(tsct_pdf_config_read(&cfg, path, NULL, &err), &err);
        CHECK_FAILS(tsct_pdf_config_check(&cfg, &err), TSCT_ERR_VALUE, &err,
                    inconsistent[i].needle);
    }
    /* Against the data: qmaxinst or qmax beyond the last Q. */
    write_file(path, "[DEFAULT]\ncomposition = Ni\nqmaxinst = 25\n");
    tsct_pdf_config_init(&cfg);
    CHECK_OK(tsct_pdf_config_read(&cfg, path, NULL, &err), &err);
    const double q25[3] = {0.1, 24.99, 25.0}, q20[3] = {0.1, 19.99, 20.0};
    const double q2499[3] = {0.1, 24.98, 24.99}, q2497[3] = {0.1, 24.96, 24.97};
    CHECK_OK(tsct_pdf_config_check_q(&cfg, q25, 3, "x.chi", &err), &err);
    /* A round limit within a step of the end passes; more than a step above does not. */
    CHECK_OK(tsct_pdf_config_check_q(&cfg, q2499, 3, "x.chi", &err), &err);
    CHECK_FAILS(tsct_pdf_config_check_q(&cfg, q2497, 3, "x.chi", &err), TSCT_ERR_VALUE, &err,
                "qmaxinst = 25 is above the data: x.chi ends at Q = 24.97");
    CHECK_FAILS(tsct_pdf_config_check_q(&cfg, q20, 3, "x.chi", &err), TSCT_ERR_VALUE, &err,
                "bad.cfg: qmaxinst[3]: qmaxinst = 25 is above the data: x.chi ends at Q = 20");
    write_file(path, "[DEFAULT]\ncomposition = Ni\n\nqmax = 26\n");
    tsct_pdf_config_init(&cfg);
    CHECK_OK(tsct_pdf_config_read(&cfg, path, NULL, &err), &err);
    CHECK_FAILS(tsct_pdf_config_check_q(&cfg, q25, 3, "x.chi", &err), TSCT_ERR_VALUE, &err,
                "qmax[4]: qmax = 26 is above the data");

    write_file(path, "[DEFAULT]\nrpoly = 1\n");
    tsct_pdf_config_init(&cfg);
    CHECK_FAILS(tsct_pdf_config_read(&cfg, path, "nosuch", &err), TSCT_ERR_NOT_FOUND, &err,
                "no section [nosuch]");
    CHECK_OK(tsct_pdf_config_read(&cfg, path, NULL, &err), &err);
    CHECK_FAILS(tsct_pdf_config_check(&cfg, &err), TSCT_ERR_VALUE, &err, "no composition");
    CHECK_OK(tsct_pdf_config_set(&cfg, "dataformat", "twotheta", NULL, -1, &err), &err);
    CHECK_OK(tsct_pdf_config_set(&cfg, "composition", "Ni", NULL, -1, &err), &err);
    CHECK_FAILS(tsct_pdf_config_check(&cfg, &err), TSCT_ERR_VALUE, &err, "wavelength");
    CHECK_FAILS(tsct_pdf_config_read(&cfg, TSCT_TEST_TMP "/none.cfg", NULL, &err),
                TSCT_ERR_NOT_FOUND, &err, "none.cfg");
}

static void test_text_pattern(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const char *dir = tsct_test_tmpdir(TSCT_TEST_TMP);
    char path[4096];
    snprintf(path, sizeof path, "%s/fit2d.chi", dir);
    write_file(path, "title\n2-Theta Angle (Degrees)\nIntensity\n       3\n 1.0 10\n"
                     "2.0  20 5\n# note\n3.0,30\n");
    double *x, *y;
    int64_t n;
    CHECK_OK(tsct_pattern_read_text(path, &x, &y, &n, &err), &err);
    CHECK(n == 3 && x[2] == 3.0 && y[1] == 20);
    double at[4] = {0.5, 1.5, 3.0, 2.25}, out[4];
    tsct_pattern_interp(x, y, n, at, 4, out);
    CHECK(isnan(out[0]) && out[1] == 15 && out[2] == 30 && out[3] == 22.5);
    free(x);
    free(y);
    /* PDFgetX2's header holds rows of numbers (settings) before "##### start data". */
    write_file(path, "History written: today\n  0    1    0    1    3    0.6    35.0\n"
                     "##### start data\n#L r(A) G(r) d_r d_Gr\n  1.0e-002 6.8e-002 0 0\n"
                     "  2.0e-002 1.4e-001 0 0\n");
    CHECK_OK(tsct_pattern_read_text(path, &x, &y, &n, &err), &err);
    CHECK(n == 2 && x[0] == 0.01 && y[1] == 0.14);
    free(x);
    free(y);
    write_file(path, "# only a header\n");
    CHECK_FAILS(tsct_pattern_read_text(path, &x, &y, &n, &err), TSCT_ERR_FORMAT, &err,
                "no data");
    write_file(path, "1 2\n2 nan\n");
    CHECK_FAILS(tsct_pattern_read_text(path, &x, &y, &n, &err), TSCT_ERR_FORMAT, &err,
                "line[2]");
}

int main(void)
{
    test_analytic();
    test_polynomial();
    test_difference();
    test_bad_params();
    test_debye_nanoparticle();
    test_ni_pdfgetx3();
    test_ni_pdfgetx2();
    test_config();
    test_text_pattern();
    return tsct_test_finish("test_pdf");
}
