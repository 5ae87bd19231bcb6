/* sim_edxrd.c - simulated energy-dispersive diffraction (tsct/sim_edxrd.h): Ge detector
 * response, white beam, steel case, a calibrant's spectrum, and the v2o5 preset of the
 * depth-resolved operando EDXRD study of a V2O5 electrode with its ground truth.
 *
 * Peaks are rendered as the exact integral of their Gaussian over each channel's energy span
 * (erf at the channel edges), so the rendered centre is the peak's energy to machine
 * precision: a calibration test can demand an eV at 100 keV. Every spectrum's noise comes
 * from its own generator (seed, spectrum index), so a spectrum does not depend on the others.
 *
 * The phases' reflections are those of the V2O5 framework (the COD CIF's |F|^2 and
 * multiplicities) placed at the d of each phase's cell; the EDXRD intensity of a reflection
 * is taken as fraction x m |F|^2 d^2 x incident(E) x case transmission(E) (the d^2 of the
 * energy-dispersive Lorentz factor; absorption by the electrode itself is folded into the
 * smooth case term). What the analysis is judged on - positions, onsets, lags - does not
 * depend on these intensity factors.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/calibrant.h"
#include "tsct/container.h"
#include "tsct/crystal.h"
#include "tsct/phase.h"
#include "tsct/sim_edxrd.h"
#include "tsct/version.h"

#define FWHM_SIGMA 2.3548200450309493
#define GE_KA 9.88642 /* keV, X-ray Data Booklet */
#define GE_KB 10.9821

double tsct_sim_edxrd_fwhm(const tsct_sim_edxrd_detector *det, double e)
{
    return sqrt(det->noise_kev * det->noise_kev + FWHM_SIGMA * FWHM_SIGMA * det->fano *
                det->pair_kev * e + det->rel * det->rel * e * e);
}

/* A Gaussian of `area` at e (sigma s, keV) integrated over every channel within 6 sigma. */
static void add_gaussian(const tsct_edxrd_calibration *cal, double e, double s, double area,
                         double *y, int64_t nchan)
{
    const double c0 = tsct_edxrd_channel(cal, e - 6 * s), c1 = tsct_edxrd_channel(cal, e + 6 * s);
    if (!isfinite(c0) || !isfinite(c1))
        return;
    int64_t lo = (int64_t)floor(c0 + 0.5), hi = (int64_t)floor(c1 + 0.5);
    if (hi < 0 || lo >= nchan)
        return;
    lo = lo < 0 ? 0 : lo, hi = hi >= nchan ? nchan - 1 : hi;
    double prev = erf((tsct_edxrd_energy(cal, (double)lo - 0.5) - e) / (s * sqrt(2.0)));
    for (int64_t c = lo; c <= hi; c++) {
        const double next = erf((tsct_edxrd_energy(cal, (double)c + 0.5) - e) / (s * sqrt(2.0)));
        y[c] += area * 0.5 * (next - prev);
        prev = next;
    }
}

void tsct_sim_edxrd_add_peak(const tsct_edxrd_calibration *cal,
                             const tsct_sim_edxrd_detector *det, double e, double area,
                             double *y, int64_t nchan)
{
    const double esc = e > 11.1 ? det->escape * (20 / e) * (20 / e) : 0;
    add_gaussian(cal, e, tsct_sim_edxrd_fwhm(det, e) / FWHM_SIGMA, area * (1 - esc), y, nchan);
    if (esc > 0) {
        const double ea = e - GE_KA, eb = e - GE_KB;
        add_gaussian(cal, ea, tsct_sim_edxrd_fwhm(det, ea) / FWHM_SIGMA, area * esc * 0.87, y,
                     nchan);
        add_gaussian(cal, eb, tsct_sim_edxrd_fwhm(det, eb) / FWHM_SIGMA, area * esc * 0.13, y,
                     nchan);
    }
}

double tsct_sim_edxrd_incident(double e, double emin, double emax)
{
    const double w = 2.0;
    return exp(-(e - emin) / 60.0) / (1 + exp(-(e - emin) / w)) / (1 + exp((e - emax) / w));
}

double tsct_sim_edxrd_steel(double e, double t_mm)
{
    const double mu_rho = 0.14 + 2.3e5 / (e * e * e); /* cm^2/g */
    return exp(-mu_rho * 7.87 * t_mm * 0.1);
}

/* The continuum under the beam, noise, and the spectrum's floor. */
static void finish(const tsct_edxrd_calibration *cal, double emin, double emax, double bg,
                   tsct_sim_rng *rng, double *y, int64_t nchan)
{
    const double peak = tsct_sim_edxrd_incident(emin + 2, emin, emax);
    for (int64_t c = 0; c < nchan; c++) {
        const double e = tsct_edxrd_energy(cal, (double)c);
        y[c] += bg * tsct_sim_edxrd_incident(e, emin, emax) / peak;
        if (rng)
            y[c] = (double)tsct_sim_poisson(rng, y[c]);
    }
}

tsct_status tsct_sim_edxrd_calibrant(const tsct_edxrd_calibration *cal,
                                     const tsct_sim_edxrd_detector *det, const char *calibrant,
                                     const char *elements, double emin, double emax,
                                     double counts, double background, tsct_sim_rng *rng,
                                     double *y, int64_t nchan, tsct_error *err)
{
    if (!(emax > emin) || !(emin > 0) || !(counts > 0) || !(background >= 0) || nchan < 2)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "calibrant spectrum", -1,
                              "expected 0 < emin < emax, counts > 0, background >= 0");
    TSCT_TRY(tsct_edxrd_calibration_check(cal, nchan, err));
    tsct_calibrant *cb = NULL;
    const double dmin = tsct_edxrd_d(emax + 10, cal->tth);
    TSCT_TRY(tsct_calibrant_create(calibrant, dmin, &cb, err));
    for (int64_t c = 0; c < nchan; c++)
        y[c] = 0;
    double strongest = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int64_t i = 0; i < cb->count; i++) {
            const double d = cb->rings[i].d, e = tsct_edxrd_energy_of_d(d, cal->tth);
            const double m = cb->rings[i].multiplicity > 0 ? (double)cb->rings[i].multiplicity
                                                           : 8;
            const double a = m * d * d * tsct_sim_edxrd_incident(e, emin, emax);
            if (pass == 0)
                strongest = fmax(strongest, a);
            else if (strongest > 0)
                tsct_sim_edxrd_add_peak(cal, det, e, counts * a / strongest, y, nchan);
        }
    tsct_calibrant_destroy(cb);
    /* Fluorescence: K lines at 100 : 54 : 20, the K alpha1 as strong as the strongest ring. */
    char list[256];
    snprintf(list, sizeof list, "%s", elements ? elements : "");
    for (char *save = NULL, *el = strtok_r(list, ",", &save); el;
         el = strtok_r(NULL, ",", &save)) {
        double kev[3];
        if (tsct_edxrd_lines(el, kev) != 3)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "elements", -1,
                                  "no K lines known for '%s'", el);
        const double rel[3] = {1.0, 0.54, 0.20};
        for (int k = 0; k < 3; k++)
            tsct_sim_edxrd_add_peak(cal, det, kev[k], counts * rel[k], y, nchan);
    }
    finish(cal, emin, emax, background, rng, y, nchan);
    return TSCT_OK;
}

/* ---- the v2o5 preset ------------------------------------------------------------------------- */

void tsct_sim_edxrd_preset_v2o5(tsct_sim_edxrd_preset *p)
{
    memset(p, 0, sizeof *p);
    p->layers = 7;
    p->layer_mm = 0.03;
    p->interval_s = 40;
    p->cycles = 2;
    p->half_cycle_h = 10;
    p->lag = 0.03;
    p->x_max = 0.95, p->x_min = 0.05;
    p->nchan = 4096;
    p->cal.degree = 2;
    p->cal.coef[0] = 0.085, p->cal.coef[1] = 0.0400, p->cal.coef[2] = 2.0e-8;
    p->cal.tth = 2.29;
    p->emin = 50, p->emax = 160;
    p->counts = 3000;
    p->background = 40;
    p->dead = 0.03;
    p->steel_mm = 0.5;
    tsct_sim_edxrd_detector det = TSCT_SIM_EDXRD_DETECTOR_DEFAULT;
    p->det = det;
    p->series_interval_s = 900;
    p->series_nq = 1800;
}

tsct_status tsct_sim_edxrd_set(tsct_sim_edxrd_preset *p, const char *key, const char *value,
                               tsct_error *err)
{
    char *end;
    const double v = strtod(value, &end);
    if (end == value || *end || !isfinite(v))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, key, -1, "expected a number, got '%s'",
                              value);
    struct {
        const char *key;
        double lo, hi;
        int integer;
    } keys[] = {{"layers", 1, 64, 1},     {"interval", 1, 3600, 0}, {"cycles", 1, 20, 1},
                {"hours", 0.1, 100, 0},   {"lag", 0, 0.3, 0},        {"nchan", 512, 65536, 1},
                {"counts", 1, 1e9, 0},    {"background", 0, 1e9, 0}, {"dead", 0, 0.9, 0},
                {"steel", 0, 5, 0},       {"series_interval", 10, 86400, 0},
                {"series_nq", 100, 100000, 1}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(key, keys[i].key) != 0)
            continue;
        if (!(v >= keys[i].lo && v <= keys[i].hi) || (keys[i].integer && v != floor(v)))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, key, -1,
                                  "expected %s %g .. %g, got '%s'",
                                  keys[i].integer ? "a whole number" : "a number", keys[i].lo,
                                  keys[i].hi, value);
        switch (i) {
        case 0: p->layers = (int64_t)v; break;
        case 1: p->interval_s = v; break;
        case 2: p->cycles = (int64_t)v; break;
        case 3: p->half_cycle_h = v; break;
        case 4: p->lag = v; break;
        case 5: p->nchan = (int64_t)v; p->cal.coef[1] = 0.04 * 4096 / v; break;
        case 6: p->counts = v; break;
        case 7: p->background = v; break;
        case 8: p->dead = v; break;
        case 9: p->steel_mm = v; break;
        case 10: p->series_interval_s = v; break;
        default: p->series_nq = (int64_t)v; break;
        }
        return TSCT_OK;
    }
    return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, key, -1,
                          "unknown key of the v2o5 preset; known: layers, interval, cycles, "
                          "hours, lag, nchan, counts, background, dead, steel, "
                          "series_interval, series_nq");
}

/* The cell's lithium content at time tau (s) of the cycling: 0 before the start, rising to
 * x_max over each discharge, falling to x_min over each charge; and the largest so far. */
static double cell_x(const tsct_sim_edxrd_preset *p, double tau, double *peak)
{
    const double h = p->half_cycle_h * 3600;
    *peak = 0;
    if (tau <= 0)
        return 0;
    const double end = 2 * h * (double)p->cycles;
    if (tau > end)
        tau = end;
    const int64_t k = (int64_t)floor(tau / (2 * h));
    double r = tau - 2 * h * (double)k;
    if (k == p->cycles)
        r = 2 * h, *peak = p->x_max;
    const double start = k == 0 ? 0 : p->x_min;
    if (r <= h) {
        *peak = k == 0 ? start + (p->x_max - start) * r / h : p->x_max;
        return start + (p->x_max - start) * r / h;
    }
    *peak = p->x_max;
    return p->x_max - (p->x_max - p->x_min) * (r - h) / h;
}

/* Fractions of alpha, epsilon, epsilon' without delta at x <= 0.85, and c of alpha and
 * epsilon. */
static void nondelta(double x, double *f, double *c)
{
    x = fmin(x, 0.85);
    f[0] = f[1] = f[2] = 0;
    c[0] = 4.368 + 0.12 * fmin(x, 0.1);
    c[1] = 4.46 + 0.07 * fmin(fmax(x - 0.35, 0), 0.35) / 0.35;
    c[2] = 4.62;
    if (x < 0.1) {
        f[0] = 1;
    } else if (x < 0.35) {
        f[1] = (x - 0.1) / 0.25, f[0] = 1 - f[1];
    } else if (x < 0.7) {
        f[1] = 1;
    } else {
        f[2] = (x - 0.7) / 0.15, f[1] = 1 - f[2];
    }
}

void tsct_sim_edxrd_state(const tsct_sim_edxrd_preset *p, int64_t layer, double s, double *x,
                          double *f, double *c)
{
    double peak;
    *x = cell_x(p, s - p->lag * (double)layer * p->half_cycle_h * 3600, &peak);
    const double delta = fmin(fmax((peak - 0.85) / 0.15, 0), 1);
    nondelta(*x, f, c);
    for (int k = 0; k < 3; k++)
        f[k] *= 1 - delta;
    f[3] = delta;
    c[3] = 4.955;
    for (int k = 0; k < TSCT_SIM_EDXRD_NPHASE; k++)
        if (!(f[k] > 1e-12))
            f[k] = 0;
}

/* Voltage of the cell at lithium content x, discharging or charging. */
static double voltage(double x, int charging)
{
    static const double xs[6] = {0.0, 0.1, 0.35, 0.7, 0.85, 0.95};
    static const double vd[6] = {3.8, 3.4, 3.35, 3.2, 2.4, 2.2};
    static const double vc[6] = {4.0, 3.5, 3.45, 3.35, 3.3, 2.5};
    const double *v = charging ? vc : vd;
    if (x <= xs[0])
        return v[0];
    for (int i = 1; i < 6; i++)
        if (x <= xs[i])
            return v[i - 1] + (v[i] - v[i - 1]) * (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
    return v[5];
}

static tsct_status write_echem(const tsct_sim_edxrd_preset *p, const char *path, tsct_error *err)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.partial", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return tsct_error_set(err, TSCT_ERR_IO, tmp, NULL, -1, "cannot write the CSV");
    /* 5 mg of V2O5, 147.4 mAh/g per Li per V2O5 (F / 181.88 g/mol / 3.6). */
    const double mass_mg = 5, per_x = 147.4 * mass_mg * 1e-3; /* mAh */
    const double h = p->half_cycle_h * 3600, end = 2 * h * (double)p->cycles;
    fprintf(f, "# simulated by tsct %s, preset v2o5: galvanostatic cycling, %g mg V2O5\n",
            tsct_version(), mass_mg);
    fprintf(f, "time/s,Ewe/V,<I>/mA,capacity/mA.h\n");
    for (double t = 0; t <= end + 1e-6; t += 60) {
        double peak;
        const double x = cell_x(p, t, &peak);
        const int64_t half = (int64_t)fmin(floor(t / h), 2 * (double)p->cycles - 1);
        const int charging = half % 2 == 1;
        const double start = half == 0 ? 0 : charging ? p->x_max : p->x_min;
        const double cur = (charging ? -1 : 1) * (p->x_max - (half == 0 ? 0 : p->x_min)) *
                           per_x / p->half_cycle_h;
        fprintf(f, "%.1f,%.6f,%.9g,%.9g\n", t, voltage(x, charging), cur,
                fabs(x - start) * per_x);
    }
    const int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        remove(tmp);
        return tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "cannot write the CSV");
    }
    return TSCT_OK;
}

/* The V2O5 framework's reflections: hkl, m |F|^2. */
struct framework {
    tsct_reflection_list *refl;
};

static double d_ortho(double a, double b, double c, const tsct_reflection *r)
{
    return 1 / sqrt(r->h * r->h / (a * a) + r->k * r->k / (b * b) + r->l * r->l / (c * c));
}

/* One spectrum of a layer in the state (f, c) into y (counts expected for live_s). */
static void render_layer(const tsct_sim_edxrd_preset *p, const tsct_reflection_list *refl,
                         double scale, const double *f, const double *c, double live_s,
                         double *y)
{
    static const double a[4] = {11.512, 11.38, 11.30, 11.24}, b[4] = {3.564, 3.57, 3.58, 3.60};
    for (int64_t i = 0; i < p->nchan; i++)
        y[i] = 0;
    for (int ph = 0; ph < TSCT_SIM_EDXRD_NPHASE; ph++) {
        if (!(f[ph] > 0))
            continue;
        for (int64_t i = 0; i < refl->count; i++) {
            const tsct_reflection *r = &refl->items[i];
            const double d = d_ortho(a[ph], b[ph], c[ph], r);
            const double e = tsct_edxrd_energy_of_d(d, p->cal.tth);
            if (!(e > p->emin - 8 && e < p->emax + 8))
                continue;
            const double area = scale * f[ph] * (double)r->multiplicity * r->f2 * d * d *
                                tsct_sim_edxrd_incident(e, p->emin, p->emax) *
                                tsct_sim_edxrd_steel(e, p->steel_mm) * live_s;
            tsct_sim_edxrd_add_peak(&p->cal, &p->det, e, area, y, p->nchan);
        }
    }
    /* The continuum, through the case, per second of live time (background is per spectrum
     * of the nominal live time). */
    const double nominal = p->interval_s * (1 - p->dead);
    for (int64_t i = 0; i < p->nchan; i++) {
        const double e = tsct_edxrd_energy(&p->cal, (double)i);
        y[i] += p->background * live_s / nominal * tsct_sim_edxrd_incident(e, p->emin, p->emax) /
                tsct_sim_edxrd_incident(p->emin + 2, p->emin, p->emax) *
                tsct_sim_edxrd_steel(e, p->steel_mm);
    }
}

static tsct_status framework_open(const char *dirs, tsct_reflection_list **out, tsct_error *err)
{
    char path[4096];
    if (!tsct_phase_find_file(dirs ? dirs : tsct_phase_default_dirs(), "V2O5_COD9012221.cif",
                              path, sizeof path))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, "V2O5_COD9012221.cif", NULL, -1,
                              "not found in the structure folders %s",
                              dirs ? dirs : tsct_phase_default_dirs());
    tsct_crystal *cr = NULL;
    TSCT_TRY(tsct_crystal_read_cif(&cr, path, err));
    tsct_reflection_params rp = TSCT_REFLECTION_PARAMS_DEFAULT;
    rp.qmax = 2.5; /* d >= 2.5 A: the window 3.8 .. 5.2 A and beyond */
    tsct_status st = tsct_crystal_reflections_create(out, cr, &rp, err);
    tsct_crystal_destroy(cr);
    return st;
}

/* The spectra file: /entry/mca/{data, live_time, real_time, z, time}, /entry/incident/data. */
static tsct_status write_spectra(const tsct_sim_edxrd_preset *p, const char *path,
                                 const tsct_reflection_list *refl, double scale, uint64_t seed,
                                 int64_t nt, tsct_container *truth, tsct_error *err)
{
    const int64_t nz = p->layers, n = nt * nz;
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.partial", path);
    tsct_container *c = NULL;
    tsct_dataset *d = NULL, *gf = NULL, *gd = NULL, *gt = NULL, *gx = NULL;
    double *y = malloc((size_t)p->nchan * sizeof *y);
    float *row = malloc((size_t)p->nchan * sizeof *row);
    double *live = malloc((size_t)n * sizeof *live), *real = malloc((size_t)n * sizeof *real);
    double *z = malloc((size_t)n * sizeof *z), *tm = malloc((size_t)n * sizeof *tm);
    tsct_status st = TSCT_OK;
    if (!y || !row || !live || !real || !z || !tm)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "%lld spectra", (long long)n);
    tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
    dp.deflate = 4;
    if (st == TSCT_OK)
        st = tsct_container_create(tmp, 1, &c, err);
    const int64_t shape[2] = {n, p->nchan};
    if (st == TSCT_OK)
        st = tsct_dataset_create(c, "/entry/mca/data", 2, shape, &dp, &d, err);
    const int64_t gs3[3] = {nt, nz, TSCT_SIM_EDXRD_NPHASE}, gs2[2] = {nt, nz};
    if (st == TSCT_OK)
        st = tsct_dataset_create(truth, "/ground_truth/edxrd/fraction", 3, gs3, NULL, &gf, err);
    if (st == TSCT_OK)
        st = tsct_dataset_create(truth, "/ground_truth/edxrd/d001", 3, gs3, NULL, &gd, err);
    if (st == TSCT_OK)
        st = tsct_dataset_create(truth, "/ground_truth/edxrd/time", 2, gs2, NULL, &gt, err);
    if (st == TSCT_OK)
        st = tsct_dataset_create(truth, "/ground_truth/edxrd/x", 2, gs2, NULL, &gx, err);
    for (int64_t k = 0; k < n && st == TSCT_OK; k++) {
        const int64_t t = k / nz, l = k % nz;
        tm[k] = ((double)k + 0.5) * p->interval_s;
        real[k] = p->interval_s;
        /* The dead fraction varies a little from spectrum to spectrum. */
        tsct_sim_rng rng;
        tsct_sim_rng_seed(&rng, seed * 1000003u + (uint64_t)k * 7919u + 17u);
        live[k] = p->interval_s * (1 - p->dead * (0.8 + 0.4 * tsct_sim_rng_uniform(&rng)));
        z[k] = p->layer_mm * (double)l;
        double x, f[TSCT_SIM_EDXRD_NPHASE], cc[TSCT_SIM_EDXRD_NPHASE];
        tsct_sim_edxrd_state(p, l, tm[k], &x, f, cc);
        render_layer(p, refl, scale, f, cc, live[k], y);
        for (int64_t i = 0; i < p->nchan; i++)
            row[i] = (float)tsct_sim_poisson(&rng, y[i]);
        const int64_t start[2] = {k, 0}, count[2] = {1, p->nchan};
        st = tsct_dataset_write(d, start, count, row, err);
        float tf[TSCT_SIM_EDXRD_NPHASE], td[TSCT_SIM_EDXRD_NPHASE];
        for (int ph = 0; ph < TSCT_SIM_EDXRD_NPHASE; ph++) {
            tf[ph] = (float)f[ph];
            td[ph] = f[ph] > 0 ? (float)cc[ph] : NAN;
        }
        const int64_t s3[3] = {t, l, 0}, n3[3] = {1, 1, TSCT_SIM_EDXRD_NPHASE};
        const int64_t s2[2] = {t, l}, n2[2] = {1, 1};
        const float ftm = (float)tm[k], fx = (float)x;
        if (st == TSCT_OK)
            st = tsct_dataset_write(gf, s3, n3, tf, err);
        if (st == TSCT_OK)
            st = tsct_dataset_write(gd, s3, n3, td, err);
        if (st == TSCT_OK)
            st = tsct_dataset_write(gt, s2, n2, &ftm, err);
        if (st == TSCT_OK)
            st = tsct_dataset_write(gx, s2, n2, &fx, err);
    }
    tsct_dataset_close(d), tsct_dataset_close(gf), tsct_dataset_close(gd);
    tsct_dataset_close(gt), tsct_dataset_close(gx);
    if (st == TSCT_OK)
        st = tsct_container_write_vector(c, "/entry/mca/live_time", live, n, "s", err);
    if (st == TSCT_OK)
        st = tsct_container_write_vector(c, "/entry/mca/real_time", real, n, "s", err);
    if (st == TSCT_OK)
        st = tsct_container_write_vector(c, "/entry/mca/z", z, n, "mm", err);
    if (st == TSCT_OK)
        st = tsct_container_write_vector(c, "/entry/mca/time", tm, n, "s", err);
    if (st == TSCT_OK) {
        /* The incident spectrum through the empty cell: the beam and the case, noiseless. */
        for (int64_t i = 0; i < p->nchan; i++) {
            const double e = tsct_edxrd_energy(&p->cal, (double)i);
            y[i] = 1e4 * tsct_sim_edxrd_incident(e, p->emin, p->emax) *
                   tsct_sim_edxrd_steel(e, p->steel_mm);
        }
        st = tsct_container_write_vector(c, "/entry/incident/data", y, p->nchan, "counts", err);
    }
    tsct_status cst = tsct_container_close(c, err);
    if (st == TSCT_OK)
        st = cst;
    if (st == TSCT_OK && rename(tmp, path) != 0)
        st = tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "cannot rename %s", tmp);
    if (st != TSCT_OK)
        remove(tmp);
    free(y), free(row), free(live), free(real), free(z), free(tm);
    return st;
}

/* The calibrant spectrum in the Amptek MCA text layout. */
static tsct_status write_calibrant(const tsct_sim_edxrd_preset *p, const char *path,
                                   uint64_t seed, tsct_error *err)
{
    double *y = malloc((size_t)p->nchan * sizeof *y);
    if (!y)
        return tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "spectrum");
    tsct_sim_rng rng;
    tsct_sim_rng_seed(&rng, seed + 99991u);
    tsct_status st = tsct_sim_edxrd_calibrant(&p->cal, &p->det, "CeO2", "Ce,Pb", p->emin,
                                              p->emax, 1e7, 200, &rng, y, p->nchan, err);
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.partial", path);
    FILE *f = st == TSCT_OK ? fopen(tmp, "w") : NULL;
    if (st == TSCT_OK && !f)
        st = tsct_error_set(err, TSCT_ERR_IO, tmp, NULL, -1, "cannot write the spectrum");
    if (f) {
        fprintf(f, "<<PMCA SPECTRUM>>\nTAG - CeO2 calibrant, simulated by tsct %s\n"
                   "LIVE_TIME - 600\nREAL_TIME - 620\n<<DATA>>\n", tsct_version());
        for (int64_t i = 0; i < p->nchan; i++)
            fprintf(f, "%.0f\n", y[i]);
        fprintf(f, "<<END>>\n");
        const int bad = ferror(f);
        if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
            remove(tmp);
            st = tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "cannot write the spectrum");
        }
    }
    free(y);
    return st;
}

/* Onsets: the first time each phase reaches half its largest fraction in the layer, from
 * the state on a 1 s grid. */
static tsct_status write_onsets(const tsct_sim_edxrd_preset *p, tsct_container *truth,
                                tsct_error *err)
{
    const int64_t nz = p->layers;
    const double end = 2 * p->half_cycle_h * 3600 * (double)p->cycles;
    float *on = malloc((size_t)nz * TSCT_SIM_EDXRD_NPHASE * sizeof *on);
    if (!on)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "onsets", -1, "%lld layers",
                              (long long)nz);
    for (int64_t l = 0; l < nz; l++) {
        double fmaxv[TSCT_SIM_EDXRD_NPHASE] = {0}, x, f[4], c[4];
        for (double s = 0; s <= end; s += 1) {
            tsct_sim_edxrd_state(p, l, s, &x, f, c);
            for (int k = 0; k < TSCT_SIM_EDXRD_NPHASE; k++)
                fmaxv[k] = fmax(fmaxv[k], f[k]);
        }
        for (int k = 0; k < TSCT_SIM_EDXRD_NPHASE; k++)
            on[l * TSCT_SIM_EDXRD_NPHASE + k] = NAN;
        for (double s = 0; s <= end; s += 1) {
            tsct_sim_edxrd_state(p, l, s, &x, f, c);
            for (int k = 1; k < TSCT_SIM_EDXRD_NPHASE; k++)
                if (fmaxv[k] > 0 && isnan(on[l * TSCT_SIM_EDXRD_NPHASE + k]) &&
                    f[k] >= 0.5 * fmaxv[k])
                    on[l * TSCT_SIM_EDXRD_NPHASE + k] = (float)s;
        }
    }
    const int64_t shape[2] = {nz, TSCT_SIM_EDXRD_NPHASE}, start[2] = {0, 0};
    tsct_dataset *d = NULL;
    tsct_status st = tsct_dataset_create(truth, "/ground_truth/edxrd/onset", 2, shape, NULL, &d,
                                         err);
    if (st == TSCT_OK)
        st = tsct_dataset_write(d, start, shape, on, err);
    tsct_dataset_close(d);
    free(on);
    return st;
}

tsct_status tsct_sim_edxrd_run(const tsct_sim_edxrd_preset *p, const char *path,
                               const char *data_dirs, uint64_t seed, tsct_error *err)
{
    TSCT_TRY(tsct_edxrd_calibration_check(&p->cal, p->nchan, err));
    const double total = 2 * p->half_cycle_h * 3600 * (double)p->cycles;
    const int64_t nt = (int64_t)floor(total / (p->interval_s * (double)p->layers));
    if (nt < 1 || p->layers < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "v2o5", -1,
                              "the cycling (%g s) is shorter than one round of %lld layers",
                              total, (long long)p->layers);
    char stem[4096], spectra[4200], mca[4200], csv[4200], series[4200];
    size_t len = strlen(path);
    if (len > 3 && strcmp(path + len - 3, ".h5") == 0)
        len -= 3;
    snprintf(stem, sizeof stem, "%.*s", (int)len, path);
    snprintf(spectra, sizeof spectra, "%s_spectra.h5", stem);
    snprintf(mca, sizeof mca, "%s_CeO2.mca", stem);
    snprintf(csv, sizeof csv, "%s_echem.csv", stem);
    snprintf(series, sizeof series, "%s_series.h5", stem);
    tsct_reflection_list *refl = NULL;
    TSCT_TRY(framework_open(data_dirs, &refl, err));
    /* Scale: alpha's (001) at full fraction has p->counts counts in a nominal spectrum. */
    double scale = 0;
    for (int64_t i = 0; i < refl->count; i++) {
        const tsct_reflection *r = &refl->items[i];
        if (r->h == 0 && r->k == 0 && r->l == 1) {
            const double d = d_ortho(11.512, 3.564, 4.368, r);
            const double e = tsct_edxrd_energy_of_d(d, p->cal.tth);
            scale = p->counts / ((double)r->multiplicity * r->f2 * d * d *
                                 tsct_sim_edxrd_incident(e, p->emin, p->emax) *
                                 tsct_sim_edxrd_steel(e, p->steel_mm) * p->interval_s *
                                 (1 - p->dead));
        }
    }
    tsct_container *c = NULL;
    tsct_status st = scale > 0 ? TSCT_OK
                               : tsct_error_set(err, TSCT_ERR_FORMAT, "V2O5_COD9012221.cif",
                                                NULL, -1, "no (001) reflection");
    if (st == TSCT_OK)
        st = tsct_container_create(path, 1, &c, err);
    if (st == TSCT_OK)
        st = write_spectra(p, spectra, refl, scale, seed, nt, c, err);
    if (st == TSCT_OK)
        st = write_onsets(p, c, err);
    if (st == TSCT_OK)
        st = tsct_container_set_attr_string(c, "/ground_truth/edxrd", "phases",
                                            "alpha,epsilon,epsilon_prime,delta", err);
    if (st == TSCT_OK)
        st = tsct_container_set_attr_double(c, "/ground_truth/edxrd", "tth", p->cal.tth, err);
    if (st == TSCT_OK) {
        char calib[256];
        snprintf(calib, sizeof calib, "%.17g,%.17g,%.17g", p->cal.coef[0], p->cal.coef[1],
                 p->cal.coef[2]);
        st = tsct_container_set_attr_string(c, "/ground_truth/edxrd", "calibration", calib,
                                            err);
    }
    tsct_status cst = tsct_container_close(c, err);
    if (st == TSCT_OK)
        st = cst;
    tsct_crystal_reflections_destroy(refl);
    if (st == TSCT_OK)
        st = write_calibrant(p, mca, seed, err);
    if (st == TSCT_OK)
        st = write_echem(p, csv, err);
    if (st == TSCT_OK)
        st = tsct_sim_edxrd_series(p, series, data_dirs, seed, err);
    return st;
}
