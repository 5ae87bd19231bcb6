/* edxrd.c - energy-dispersive diffraction (tsct/edxrd.h): E <-> d, q conversions, the
 * channel -> energy polynomial and 2theta fitted to peaks of known energy or d, the smooth
 * normalisation curve, and the rebinning of a spectrum onto a d or q axis.
 *
 * The calibration fits in the channel scaled to u = c / nchan (coefficients of order keV for
 * every power, so that the normal equations of a cubic over 8192 channels stay well
 * conditioned) and converts back. Peaks are located by Gaussians on a linear background,
 * fitted with the project's Levenberg-Marquardt (tsct_fit_lsq) in Poisson weights; peaks whose
 * windows overlap (the K alpha doublets) are fitted together.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fit/fit_internal.h"
#include "tsct/edxrd.h"
#include "tsct/fit.h"
#include "tsct/powder.h"

#define PI 3.14159265358979323846
#define FWHM_SIGMA 2.3548200450309493 /* FWHM of a Gaussian of unit sigma: 2 sqrt(2 ln 2) */

double tsct_edxrd_d(double e, double tth)
{
    if (!(e > 0) || !(tth > 0 && tth < 180))
        return NAN;
    return TSCT_HC_KEV_ANGSTROM / (2 * e * sin(tth * PI / 360));
}

double tsct_edxrd_q(double e, double tth)
{
    if (!(e > 0) || !(tth > 0 && tth < 180))
        return NAN;
    return 4 * PI * e * sin(tth * PI / 360) / TSCT_HC_KEV_ANGSTROM;
}

double tsct_edxrd_energy_of_d(double d, double tth)
{
    return tsct_edxrd_d(d, tth); /* the relation is symmetric in E and d */
}

double tsct_edxrd_energy(const tsct_edxrd_calibration *cal, double c)
{
    double e = 0;
    for (int k = cal->degree; k >= 0; k--)
        e = e * c + cal->coef[k];
    return e;
}

static double slope(const tsct_edxrd_calibration *cal, double c)
{
    double s = 0;
    for (int k = cal->degree; k >= 1; k--)
        s = s * c + k * cal->coef[k];
    return s;
}

double tsct_edxrd_channel(const tsct_edxrd_calibration *cal, double e)
{
    if (!(cal->coef[1] > 0) || !isfinite(e))
        return NAN;
    double c = (e - cal->coef[0]) / cal->coef[1];
    for (int it = 0; it < 50; it++) {
        const double s = slope(cal, c);
        if (!(s > 0))
            return NAN;
        const double dc = (tsct_edxrd_energy(cal, c) - e) / s;
        c -= dc;
        if (fabs(dc) < 1e-10 * (1 + fabs(c)))
            return c;
    }
    return NAN;
}

tsct_status tsct_edxrd_calibration_check(const tsct_edxrd_calibration *cal, int64_t nchan,
                                         tsct_error *err)
{
    if (cal->degree < 1 || cal->degree > TSCT_EDXRD_DEGREE_MAX)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "calibration", -1,
                              "polynomial degree %d: expected 1 .. %d", cal->degree,
                              TSCT_EDXRD_DEGREE_MAX);
    for (int k = 0; k <= cal->degree; k++)
        if (!isfinite(cal->coef[k]))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "calibration", k,
                                  "coefficient %d is not finite", k);
    if (!(cal->tth > 0 && cal->tth < 180))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "2theta", -1,
                              "%g degrees: expected 0 < 2theta < 180", cal->tth);
    /* Increasing over the channels: the slope is a polynomial of degree <= 2; checking it at
     * the ends and at its extremum covers the range. */
    double at[3] = {-0.5, (double)nchan - 0.5, -0.5};
    if (cal->degree == 3 && cal->coef[3] != 0)
        at[2] = -cal->coef[2] / (3 * cal->coef[3]);
    for (int i = 0; i < 3; i++)
        if (at[i] >= -0.5 && at[i] <= nchan - 0.5 && !(slope(cal, at[i]) > 0))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "calibration", -1,
                                  "the energy does not increase with the channel near channel "
                                  "%.1f (slope %g keV per channel)", at[i], slope(cal, at[i]));
    return TSCT_OK;
}

/* ---- fluorescence lines -------------------------------------------------------------------- */

static const struct {
    const char *element;
    double ka1, ka2, kb1;
} k_lines[] = {
    /* X-ray Data Booklet (LBNL, 2009), table 1-2, eV / 1000 */
    {"Fe", 6.40384, 6.39084, 7.05798},   {"Cu", 8.04778, 8.02783, 8.90529},
    {"Ge", 9.88642, 9.85532, 10.9821},   {"Mo", 17.47934, 17.3743, 19.6083},
    {"Ag", 22.16292, 21.9903, 24.9424},  {"Sn", 25.2713, 25.0440, 28.4860},
    {"Ba", 32.1936, 31.8171, 36.3784},   {"Ce", 34.7197, 34.2789, 39.2573},
    {"W", 59.31824, 57.9817, 67.2443},   {"Pt", 66.832, 65.112, 75.748},
    {"Au", 68.8037, 66.9895, 77.984},    {"Pb", 74.9694, 72.8042, 84.936},
};

int tsct_edxrd_lines(const char *element, double *kev)
{
    for (size_t i = 0; i < sizeof k_lines / sizeof k_lines[0]; i++)
        if (strcasecmp(element, k_lines[i].element) == 0) {
            kev[0] = k_lines[i].ka1, kev[1] = k_lines[i].ka2, kev[2] = k_lines[i].kb1;
            return 3;
        }
    return 0;
}

/* ---- peak location ------------------------------------------------------------------------- */

#define CLUSTER_MAX 8

/* A window [lo, hi) of the spectrum fitted with np Gaussians (centre, sigma, area each, in
 * channels and counts) on a linear background b0 + b1 (c - mid). */
struct cluster {
    const double *y;
    int64_t lo, hi;
    double mid;
    int np;
};

static tsct_status cluster_residuals(void *ctx, const double *p, double *r, double *jac,
                                     tsct_error *err)
{
    (void)err;
    const struct cluster *cl = ctx;
    const int m = 3 * cl->np + 2;
    for (int64_t c = cl->lo; c < cl->hi; c++) {
        const int64_t i = c - cl->lo;
        const double w = 1 / sqrt(cl->y[c] > 1 ? cl->y[c] : 1);
        const double x = (double)c - cl->mid;
        double model = p[3 * cl->np] + p[3 * cl->np + 1] * x;
        double *J = jac ? jac + i * m : NULL;
        for (int k = 0; k < cl->np; k++) {
            const double mu = p[3 * k], s = fabs(p[3 * k + 1]) + 1e-9, a = p[3 * k + 2];
            const double t = ((double)c - mu) / s;
            const double g = exp(-0.5 * t * t) / (s * sqrt(2 * PI));
            model += a * g;
            if (J) {
                J[3 * k] = -w * a * g * t / s;
                J[3 * k + 1] = -w * a * g * (t * t - 1) / s * (p[3 * k + 1] < 0 ? -1 : 1);
                J[3 * k + 2] = -w * g;
            }
        }
        if (J) {
            J[3 * cl->np] = -w;
            J[3 * cl->np + 1] = -w * x;
        }
        r[i] = (cl->y[c] - model) * w;
    }
    return TSCT_OK;
}

/* Fit the peaks idx[0 .. np) (predicted channels pc[], widths fw[] in channels) together. */
static void fit_cluster(const double *y, int64_t nchan, const double *pc, const double *fw,
                        const int *idx, int np, double window, double min_sig,
                        tsct_edxrd_peak *peaks)
{
    double lo = INFINITY, hi = -INFINITY, wmax = 0;
    for (int k = 0; k < np; k++) {
        lo = fmin(lo, pc[idx[k]] - window * fw[idx[k]]);
        hi = fmax(hi, pc[idx[k]] + window * fw[idx[k]]);
        wmax = fmax(wmax, fw[idx[k]]);
    }
    /* The cluster's shift: the offset within +- one FWHM that puts the most counts under the
     * predicted peaks (a starting guess one or two widths off still converges). */
    double best = -1, shift = 0;
    const int64_t steps = 40;
    for (int64_t s = -steps; s <= steps; s++) {
        const double off = wmax * (double)s / (double)steps;
        double sum = 0;
        for (int k = 0; k < np; k++) {
            const int64_t c = (int64_t)floor(pc[idx[k]] + off + 0.5);
            if (c >= 0 && c < nchan)
                sum += y[c];
        }
        if (sum > best)
            best = sum, shift = off;
    }
    struct cluster cl = {y, (int64_t)floor(lo + shift), (int64_t)ceil(hi + shift) + 1,
                         0.5 * (lo + hi) + shift, np};
    if (cl.lo < 0)
        cl.lo = 0;
    if (cl.hi > nchan)
        cl.hi = nchan;
    const int m = 3 * np + 2;
    if (cl.hi - cl.lo <= m + 2)
        return;
    double p[3 * CLUSTER_MAX + 2], cov[(3 * CLUSTER_MAX + 2) * (3 * CLUSTER_MAX + 2)];
    /* Background from the window's ends, areas from the counts above it. */
    const int64_t e = (cl.hi - cl.lo) / 8 + 1;
    double yl = 0, yr = 0;
    for (int64_t c = 0; c < e; c++)
        yl += y[cl.lo + c], yr += y[cl.hi - 1 - c];
    yl /= (double)e, yr /= (double)e;
    p[3 * np] = 0.5 * (yl + yr);
    p[3 * np + 1] = (yr - yl) / (double)(cl.hi - cl.lo);
    for (int k = 0; k < np; k++) {
        const double mu = pc[idx[k]] + shift, s = fw[idx[k]] / FWHM_SIGMA;
        const int64_t c = (int64_t)floor(mu + 0.5);
        const double h = c >= 0 && c < nchan ? y[c] - p[3 * np] : 0;
        p[3 * k] = mu, p[3 * k + 1] = s, p[3 * k + 2] = fmax(h, 1) * s * sqrt(2 * PI);
    }
    tsct_fit_params fp = TSCT_FIT_PARAMS_DEFAULT;
    tsct_fit_lsq_info info;
    tsct_status st = tsct_fit_lsq(cluster_residuals, &cl, cl.hi - cl.lo, m, p, &fp, cov, &info,
                                  NULL);
    if (st != TSCT_OK)
        return;
    const double scale = info.chi2 / (double)(cl.hi - cl.lo - m);
    for (int k = 0; k < np; k++) {
        tsct_edxrd_peak *pk = &peaks[idx[k]];
        const double mu = p[3 * k], s = fabs(p[3 * k + 1]), a = p[3 * k + 2];
        const double mu_esd = sqrt(cov[(3 * k) * m + 3 * k] * fmax(scale, 1.0));
        const double a_esd = sqrt(cov[(3 * k + 2) * m + 3 * k + 2] * fmax(scale, 1.0));
        if (!isfinite(mu) || !isfinite(mu_esd) || mu < (double)cl.lo || mu > (double)cl.hi ||
            !(a > 0) || !(a / a_esd >= min_sig) || !(s > 0.1 * fw[idx[k]] / FWHM_SIGMA) ||
            s > 4 * fw[idx[k]] / FWHM_SIGMA)
            continue;
        pk->channel = mu, pk->channel_esd = mu_esd, pk->fwhm = s * FWHM_SIGMA, pk->area = a;
        pk->used = 1;
    }
}

/* ---- the calibration fit ------------------------------------------------------------------ */

struct calfit {
    const tsct_edxrd_peak *peaks;
    const int *use;
    int n, degree, refine_tth;
    double nchan, tth;
    const double *sig; /* keV */
};

static double energy_u(const double *b, int degree, double u)
{
    double e = 0;
    for (int k = degree; k >= 0; k--)
        e = e * u + b[k];
    return e;
}

static tsct_status cal_residuals(void *ctx, const double *p, double *r, double *jac,
                                 tsct_error *err)
{
    (void)err;
    const struct calfit *f = ctx;
    const int m = f->degree + 1 + f->refine_tth;
    const double tth = f->refine_tth ? p[f->degree + 1] : f->tth;
    for (int i = 0; i < f->n; i++) {
        const tsct_edxrd_peak *pk = &f->peaks[f->use[i]];
        const double u = pk->channel / f->nchan, w = 1 / f->sig[i];
        const double target = pk->d > 0 ? tsct_edxrd_energy_of_d(pk->d, tth) : pk->energy_kev;
        r[i] = (energy_u(p, f->degree, u) - target) * w;
        if (jac) {
            double un = 1;
            for (int k = 0; k <= f->degree; k++, un *= u)
                jac[i * m + k] = un * w;
            if (f->refine_tth)
                jac[i * m + f->degree + 1] =
                    pk->d > 0 ? target / tan(tth * PI / 360) * (PI / 360) * w : 0;
        }
    }
    return TSCT_OK;
}

static tsct_status check_calibrate(const tsct_edxrd_calibrate_params *P, int64_t nchan,
                                   const tsct_edxrd_peak *peaks, int64_t npeak, tsct_error *err)
{
    TSCT_TRY(tsct_edxrd_calibration_check(&P->guess, nchan, err));
    if (!(P->fwhm_kev > 0) || !(P->window > 0.5) || !(P->min_significance >= 0) ||
        P->rounds < 1 || !(P->emin >= 0) || !(P->emax >= 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "calibration parameters", -1,
                              "expected fwhm > 0, window > 0.5, significance >= 0, rounds >= 1, "
                              "energy limits >= 0");
    if (npeak < 1 || npeak > TSCT_EDXRD_PEAKS_MAX)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "peaks", -1,
                              "%lld peaks: expected 1 .. %d", (long long)npeak,
                              TSCT_EDXRD_PEAKS_MAX);
    int lines = 0, refl = 0;
    for (int64_t i = 0; i < npeak; i++) {
        const int line = peaks[i].energy_kev > 0, hkl = peaks[i].d > 0;
        if (line == hkl || !isfinite(peaks[i].energy_kev) || !isfinite(peaks[i].d))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "peaks", i,
                                  "a peak needs either an energy (keV) or a d (A), > 0");
        lines += line, refl += hkl;
    }
    if (P->refine_tth && (!lines || !refl))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "peaks", -1,
                              "refining 2theta needs lines of known energy (the energy scale) "
                              "and reflections of known d; given %d lines, %d reflections",
                              lines, refl);
    return TSCT_OK;
}

/* Locate the peaks with the calibration cal: predicted channels, clusters, fits. */
static void locate(const double *y, int64_t nchan, const tsct_edxrd_calibrate_params *P,
                   const tsct_edxrd_calibration *cal, tsct_edxrd_peak *peaks, int64_t npeak,
                   double *pc, double *fw, int *order)
{
    const double emax = P->emax > 0 ? P->emax : INFINITY;
    int n = 0;
    for (int64_t i = 0; i < npeak; i++) {
        tsct_edxrd_peak *pk = &peaks[i];
        const double e = pk->d > 0 ? tsct_edxrd_energy_of_d(pk->d, cal->tth) : pk->energy_kev;
        pk->used = 0, pk->channel = pk->channel_esd = NAN;
        pc[i] = tsct_edxrd_channel(cal, e);
        /* The width: the one fitted in an earlier round, else the starting FWHM. */
        fw[i] = pk->fwhm > 0 ? pk->fwhm
                             : P->fwhm_kev / slope(cal, isfinite(pc[i]) ? pc[i] : 0);
        if (!(e >= P->emin && e <= emax) || !isfinite(pc[i]) || !(fw[i] > 0) ||
            pc[i] - P->window * fw[i] < 0 || pc[i] + P->window * fw[i] > (double)nchan - 1)
            continue;
        order[n++] = (int)i;
    }
    /* Sort by channel, then group peaks whose windows overlap. */
    for (int a = 1; a < n; a++)
        for (int b = a; b > 0 && pc[order[b]] < pc[order[b - 1]]; b--) {
            int t = order[b];
            order[b] = order[b - 1], order[b - 1] = t;
        }
    for (int a = 0; a < n;) {
        int b = a + 1;
        while (b < n && b - a < CLUSTER_MAX &&
               pc[order[b]] - P->window * fw[order[b]] <
                   pc[order[b - 1]] + P->window * fw[order[b - 1]])
            b++;
        fit_cluster(y, nchan, pc, fw, order + a, b - a, P->window, P->min_significance, peaks);
        a = b;
    }
}

/* A starting 2theta: the value within +- 5 % of the guess that puts the most counts (summed
 * over one FWHM) at the reflections' predicted channels, so that a nominal angle a few
 * hundredths of a degree off (tens of channels at 100 keV) still finds its peaks. The
 * reflections shift together with 2theta, so their pattern is matched as a whole. */
static double search_tth(const double *y, int64_t nchan, const tsct_edxrd_calibrate_params *P,
                         const tsct_edxrd_calibration *cal, const tsct_edxrd_peak *peaks,
                         int64_t npeak)
{
    double *cum = malloc((size_t)(nchan + 1) * sizeof *cum);
    if (!cum)
        return cal->tth;
    cum[0] = 0;
    for (int64_t c = 0; c < nchan; c++)
        cum[c + 1] = cum[c] + y[c];
    const double emax = P->emax > 0 ? P->emax : INFINITY;
    double best = -1, best_tth = cal->tth;
    const int steps = 2000;
    for (int s = -steps; s <= steps; s++) {
        const double tth = cal->tth * (1 + 0.05 * s / steps);
        double score = 0;
        for (int64_t i = 0; i < npeak; i++) {
            if (!(peaks[i].d > 0))
                continue;
            const double e = tsct_edxrd_energy_of_d(peaks[i].d, tth);
            const double c = tsct_edxrd_channel(cal, e);
            if (!(e >= P->emin && e <= emax) || !isfinite(c))
                continue;
            const double h = 0.5 * P->fwhm_kev / slope(cal, c);
            const int64_t lo = (int64_t)floor(c - h), hi = (int64_t)ceil(c + h);
            if (lo < 0 || hi >= nchan)
                continue;
            score += cum[hi + 1] - cum[lo];
        }
        if (score > best)
            best = score, best_tth = tth;
    }
    free(cum);
    return best_tth;
}

tsct_status tsct_edxrd_calibrate(const double *y, int64_t nchan,
                                 const tsct_edxrd_calibrate_params *P, tsct_edxrd_peak *peaks,
                                 int64_t npeak, tsct_edxrd_calibration *out, tsct_error *err)
{
    TSCT_TRY(check_calibrate(P, nchan, peaks, npeak, err));
    tsct_edxrd_calibration cal = P->guess;
    double pc[TSCT_EDXRD_PEAKS_MAX], fw[TSCT_EDXRD_PEAKS_MAX], sig[TSCT_EDXRD_PEAKS_MAX];
    int order[TSCT_EDXRD_PEAKS_MAX], use[TSCT_EDXRD_PEAKS_MAX];
    for (int64_t i = 0; i < npeak; i++)
        peaks[i].fwhm = 0, peaks[i].used = 0;
    const int deg = cal.degree, m = deg + 1 + (P->refine_tth ? 1 : 0);
    double cov[(TSCT_EDXRD_DEGREE_MAX + 2) * (TSCT_EDXRD_DEGREE_MAX + 2)];
    double p[TSCT_EDXRD_DEGREE_MAX + 2];
    double chi2 = 0;
    int n = 0;
    if (P->refine_tth)
        cal.tth = search_tth(y, nchan, P, &cal, peaks, npeak);
    for (int round = 0; round < P->rounds; round++) {
        locate(y, nchan, P, &cal, peaks, npeak, pc, fw, order);
        n = 0;
        int nl = 0, nr = 0;
        for (int64_t i = 0; i < npeak; i++)
            if (peaks[i].used) {
                use[n] = (int)i;
                sig[n++] = fmax(peaks[i].channel_esd, 1e-3) * slope(&cal, peaks[i].channel);
                nl += peaks[i].energy_kev > 0, nr += peaks[i].d > 0;
            }
        if (n < m + 1 || (P->refine_tth && (!nl || !nr)))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "calibration", -1,
                                  "found %d lines and %d reflections of the %lld peaks given: a "
                                  "polynomial of degree %d%s needs at least %d (a closer "
                                  "starting calibration, a wider window or fewer unknowns)",
                                  nl, nr, (long long)npeak, deg,
                                  P->refine_tth ? " and 2theta (lines and reflections)" : "",
                                  m + 1);
        const double nc = (double)nchan;
        double un = 1;
        for (int k = 0; k <= deg; k++, un *= nc)
            p[k] = cal.coef[k] * un;
        if (P->refine_tth)
            p[deg + 1] = cal.tth;
        struct calfit f = {peaks, use, n, deg, P->refine_tth, nc, cal.tth, sig};
        tsct_fit_params fp = TSCT_FIT_PARAMS_DEFAULT;
        tsct_fit_lsq_info info;
        TSCT_TRY(tsct_fit_lsq(cal_residuals, &f, n, m, p, &fp, cov, &info, err));
        chi2 = info.chi2;
        un = 1;
        for (int k = 0; k <= deg; k++, un *= nc)
            cal.coef[k] = p[k] / un;
        if (P->refine_tth)
            cal.tth = p[deg + 1];
        TSCT_TRY(tsct_edxrd_calibration_check(&cal, nchan, err));
    }
    /* ESDs from the peaks' channel ESDs, scaled up by the misfit when it exceeds them. */
    const double scale = n > m ? fmax(chi2 / (n - m), 1.0) : 1.0;
    double un = 1, rms = 0;
    for (int k = 0; k <= deg; k++, un *= (double)nchan)
        cal.coef_esd[k] = sqrt(cov[k * m + k] * scale) / un;
    cal.tth_esd = P->refine_tth ? sqrt(cov[(deg + 1) * m + deg + 1] * scale) : 0;
    for (int i = 0; i < n; i++) {
        const tsct_edxrd_peak *pk = &peaks[use[i]];
        const double t = pk->d > 0 ? tsct_edxrd_energy_of_d(pk->d, cal.tth) : pk->energy_kev;
        const double r = tsct_edxrd_energy(&cal, pk->channel) - t;
        rms += r * r;
    }
    cal.rms_kev = sqrt(rms / n);
    *out = cal;
    return TSCT_OK;
}

/* ---- the smooth curve ------------------------------------------------------------------------ */

tsct_status tsct_edxrd_smooth_fit(const double *x, const double *y, int64_t n, int degree,
                                  double clip, int rounds, double *curve, tsct_error *err)
{
    if (degree < 0 || degree > 8 || n <= degree + 1 || !(clip > 0) || rounds < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "smooth curve", -1,
                              "degree %d (0 .. 8) over %lld points, clip %g (> 0), rounds %d "
                              "(>= 1)", degree, (long long)n, clip, rounds);
    const int m = degree + 1;
    uint8_t *keep = malloc((size_t)n);
    if (!keep)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "smooth curve", -1, "%lld points",
                              (long long)n);
    const double x0 = x[0], span = x[n - 1] - x[0] != 0 ? x[n - 1] - x[0] : 1;
    for (int64_t i = 0; i < n; i++)
        keep[i] = isfinite(y[i]) && isfinite(x[i]);
    tsct_status st = TSCT_OK;
    for (int round = 0; round < rounds && st == TSCT_OK; round++) {
        /* Normal equations in Chebyshev polynomials of t in [-1, 1]. */
        double M[81] = {0}, b[9] = {0}, c[9], s[9], T[9];
        int64_t used = 0;
        for (int64_t i = 0; i < n; i++) {
            if (!keep[i])
                continue;
            const double t = 2 * (x[i] - x0) / span - 1;
            T[0] = 1, T[1] = t;
            for (int k = 2; k < m; k++)
                T[k] = 2 * t * T[k - 1] - T[k - 2];
            for (int j = 0; j < m; j++) {
                b[j] += T[j] * y[i];
                for (int k = 0; k < m; k++)
                    M[j * m + k] += T[j] * T[k];
            }
            used++;
        }
        if (used < m || tsct__fit_spd_solve(M, m, b, c, s) != 0) {
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "smooth curve", -1,
                                "%lld usable points for a polynomial of degree %d",
                                (long long)used, degree);
            break;
        }
        double ss = 0;
        for (int64_t i = 0; i < n; i++) {
            const double t = 2 * (x[i] - x0) / span - 1;
            double v = 0;
            T[0] = 1, T[1] = t;
            for (int k = 2; k < m; k++)
                T[k] = 2 * t * T[k - 1] - T[k - 2];
            for (int k = 0; k < m; k++)
                v += c[k] * T[k];
            curve[i] = v;
            if (keep[i])
                ss += (y[i] - v) * (y[i] - v);
        }
        const double sd = sqrt(ss / (double)used);
        for (int64_t i = 0; i < n; i++)
            keep[i] = isfinite(y[i]) && isfinite(x[i]) && y[i] <= curve[i] + clip * sd;
    }
    free(keep);
    return st;
}

/* ---- rebinning ---------------------------------------------------------------------------- */

/* The first bin whose upper edge exceeds v (nbin when none). */
static int64_t bin_above(const double *edges, int64_t nbin, double v)
{
    int64_t lo = 0, hi = nbin;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (edges[mid + 1] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

tsct_status tsct_edxrd_rebin(const tsct_edxrd_calibration *cal, int axis_d, const double *v,
                             const double *var, int64_t nchan, const double *edges,
                             int64_t nbin, double *out, double *var_out, tsct_error *err)
{
    double *w = calloc((size_t)nbin, sizeof *w);
    uint8_t *bad = calloc((size_t)nbin, 1);
    if (!w || !bad) {
        free(w), free(bad);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "rebinning", -1, "%lld bins",
                              (long long)nbin);
    }
    for (int64_t b = 0; b < nbin; b++) {
        out[b] = 0;
        if (var_out)
            var_out[b] = 0;
    }
    for (int64_t c = 0; c < nchan; c++) {
        const double e0 = tsct_edxrd_energy(cal, c - 0.5), e1 = tsct_edxrd_energy(cal, c + 0.5);
        if (!(e0 > 0))
            continue;
        double a = axis_d ? tsct_edxrd_d(e1, cal->tth) : tsct_edxrd_q(e0, cal->tth);
        double z = axis_d ? tsct_edxrd_d(e0, cal->tth) : tsct_edxrd_q(e1, cal->tth);
        if (!(z > a) || z <= edges[0] || a >= edges[nbin])
            continue;
        const double span = z - a;
        for (int64_t b = bin_above(edges, nbin, a); b < nbin && edges[b] < z; b++) {
            const double ov = fmin(z, edges[b + 1]) - fmax(a, edges[b]);
            if (!(ov > 0))
                continue;
            const double f = ov / span;
            if (!isfinite(v[c]) || (var && !isfinite(var[c]))) {
                bad[b] = 1;
                continue;
            }
            w[b] += f;
            out[b] += f * v[c];
            if (var && var_out)
                var_out[b] += f * f * var[c];
        }
    }
    for (int64_t b = 0; b < nbin; b++) {
        const int none = !(w[b] > 0) || bad[b];
        out[b] = none ? NAN : out[b] / w[b];
        if (var_out)
            var_out[b] = none || !var ? NAN : var_out[b] / (w[b] * w[b]);
    }
    free(w), free(bad);
    return TSCT_OK;
}
