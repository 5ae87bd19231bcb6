/* stage_edxrd.c - the edxrd stage (tsct/stage.h): energy-dispersive spectra of depth-resolved
 * operando measurements into the integrated cube, so that the steps after integration (peak
 * fits with source integrated, maps, echem alignment, figures) work on them unchanged.
 *
 * Each spectrum is put on the common axis by itself: counts / live time (dead-time
 * correction), divided by the normalisation (a smooth curve under the spectrum in the window,
 * or the measured incident spectrum), then rebinned from channels onto d or q bins with the
 * calibration (tsct_edxrd_rebin: overlap-weighted means, so values stay per channel). Layers
 * are the distinct z of the spectra; a layer's spectra in time order are its time steps.
 * The time axis is the round of layers; each spectrum's own time stamp is kept in
 * /entry/edxrd/time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/calibrant.h"
#include "tsct/edxrd.h"

#define EDXRD_TIME EDXRD_ROOT "/time"
#define EDXRD_ROOT "/entry/edxrd"

struct edx {
    const tsct_stage_edxrd_params *o;
    tsct_edxrd_source *src;
    int64_t n, nchan, nz, nt, nbin;
    tsct_edxrd_calibration cal;
    double *zs;          /* [nz] layer positions */
    int64_t *layer, *round; /* [n] */
    double *edges, *centres, *inc; /* [nbin + 1], [nbin], [nchan] or NULL */
    double emin, emax;   /* the window's energies */
    int64_t c0, c1;      /* its channels (with a margin), c0 <= c < c1 */
};

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static tsct_status check_params(const tsct_stage_edxrd_params *o, tsct_error *err)
{
    if (!o->spectra || o->nspectra < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "spectra", -1, "no spectra given");
    if (!(o->min < o->max) || !(o->min > 0) || o->bins < 2 || o->bins > TSCT_EDXRD_CHANNELS_MAX)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "axis", -1,
                              "expected 0 < min < max and 2 .. %lld bins, got %g .. %g, %lld",
                              (long long)TSCT_EDXRD_CHANNELS_MAX, o->min, o->max,
                              (long long)o->bins);
    if (!(o->beam_min >= 0) || !(o->beam_max >= 0) ||
        (o->beam_max > 0 && !(o->beam_max > o->beam_min)))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "beam", -1,
                              "expected 0 <= beam_min < beam_max keV, got %g .. %g",
                              o->beam_min, o->beam_max);
    if ((unsigned)o->norm > TSCT_STAGE_EDXRD_NORM_NONE || (unsigned)o->axis > 1 ||
        o->smooth_degree < 0 || o->smooth_degree > 8 ||
        (o->norm == TSCT_STAGE_EDXRD_NORM_INCIDENT && !o->incident) || !(o->fwhm_kev > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "edxrd parameters", -1,
                              "normalisation (incident needs its spectrum), smooth degree "
                              "0 .. 8 or FWHM > 0 out of range");
    return TSCT_OK;
}

/* One spectrum of a spec that must hold exactly one, into *y[nchan] (malloc'd). */
static tsct_status read_single(const char *spec, const char *what, double **y, int64_t *nchan,
                               double *live, tsct_error *err)
{
    tsct_edxrd_source *s = NULL;
    TSCT_TRY(tsct_edxrd_source_open(&spec, 1, &s, err));
    tsct_status st = TSCT_OK;
    if (tsct_edxrd_source_count(s) != 1)
        st = tsct_error_set(err, TSCT_ERR_SHAPE, spec, what, -1,
                            "expected one spectrum, found %lld",
                            (long long)tsct_edxrd_source_count(s));
    *nchan = tsct_edxrd_source_channels(s);
    if (live)
        *live = tsct_edxrd_source_live_time(s)[0];
    if (st == TSCT_OK && !(*y = malloc((size_t)*nchan * sizeof **y)))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, spec, what, -1, "spectrum");
    if (st == TSCT_OK)
        st = tsct_edxrd_source_read(s, 0, *y, err);
    tsct_edxrd_source_destroy(s);
    return st;
}

/* The calibration: given, or fitted to the calibrant spectrum from the given guess. */
static tsct_status calibrate(struct edx *r, const tsct_stage_ctx *ctx, tsct_error *err)
{
    const tsct_stage_edxrd_params *o = r->o;
    r->cal = o->calibration;
    if (!o->calibrant_spectrum)
        return tsct_edxrd_calibration_check(&r->cal, r->nchan, err);
    double *y = NULL;
    int64_t nchan = 0;
    tsct_status st = read_single(o->calibrant_spectrum, "calibrant", &y, &nchan, NULL, err);
    if (st == TSCT_OK && nchan != r->nchan)
        st = tsct_error_set(err, TSCT_ERR_SHAPE, o->calibrant_spectrum, NULL, -1,
                            "%lld channels, the spectra have %lld", (long long)nchan,
                            (long long)r->nchan);
    if (st == TSCT_OK)
        st = tsct_edxrd_calibration_check(&o->calibration, nchan, err);
    tsct_edxrd_peak peaks[TSCT_EDXRD_PEAKS_MAX];
    memset(peaks, 0, sizeof peaks);
    int np = 0, nlines = 0;
    char list[256];
    snprintf(list, sizeof list, "%s", o->lines ? o->lines : "");
    for (char *save = NULL, *el = strtok_r(list, ",", &save); el && st == TSCT_OK;
         el = strtok_r(NULL, ",", &save)) {
        double kev[3];
        if (tsct_edxrd_lines(el, kev) != 3)
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "lines", -1,
                                "no K lines known for '%s'", el);
        for (int k = 0; k < 3 && st == TSCT_OK && np < TSCT_EDXRD_PEAKS_MAX; k++)
            peaks[np++].energy_kev = kev[k], nlines++;
    }
    /* The calibrant's rings at energies the spectrum covers (and the beam holds). */
    const double etop = o->beam_max > 0 ? o->beam_max
                                        : tsct_edxrd_energy(&o->calibration, (double)nchan - 1);
    tsct_calibrant *cb = NULL;
    if (st == TSCT_OK)
        st = tsct_calibrant_create(o->calibrant ? o->calibrant : "CeO2",
                                   tsct_edxrd_d(etop * 1.05, o->calibration.tth), &cb, err);
    for (int64_t i = 0; st == TSCT_OK && i < cb->count && np < TSCT_EDXRD_PEAKS_MAX; i++)
        peaks[np++].d = cb->rings[i].d;
    tsct_calibrant_destroy(cb);
    tsct_edxrd_calibrate_params cp = TSCT_EDXRD_CALIBRATE_PARAMS_DEFAULT;
    cp.guess = o->calibration;
    cp.refine_tth = nlines > 0 && np > nlines;
    cp.fwhm_kev = o->fwhm_kev;
    /* Fluorescence lines lie below the beam (Ce K at 34 keV), so the peaks are not limited by
     * the beam's range: the rings were chosen from it above. */
    if (st == TSCT_OK)
        st = tsct_edxrd_calibrate(y, nchan, &cp, peaks, np, &r->cal, err);
    if (st != TSCT_OK)
        tsct_error_set_file(err, o->calibrant_spectrum);
    free(y);
    TSCT_TRY(st);
    int used = 0;
    for (int i = 0; i < np; i++)
        used += peaks[i].used;
    tsct_log_msg(ctx->log, TSCT_LOG_INFO,
                 "%s: E = %.6g + %.6g c + %.6g c^2 + %.6g c^3 keV, 2theta = %.5f +- %.5f deg%s, "
                 "rms %.2f eV over %d peaks", o->calibrant_spectrum, r->cal.coef[0],
                 r->cal.coef[1], r->cal.coef[2], r->cal.coef[3], r->cal.tth, r->cal.tth_esd,
                 cp.refine_tth ? "" : " (held)", r->cal.rms_kev * 1e3, used);
    return TSCT_OK;
}

/* The axis, its energies against the beam and the calibrated channels. */
static tsct_status axis(struct edx *r, tsct_error *err)
{
    const tsct_stage_edxrd_params *o = r->o;
    const int d = o->axis == TSCT_STAGE_EDXRD_AXIS_D;
    r->nbin = o->bins;
    r->edges = malloc((size_t)(r->nbin + 1) * sizeof *r->edges);
    r->centres = malloc((size_t)r->nbin * sizeof *r->centres);
    if (!r->edges || !r->centres)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "axis", -1, "%lld bins",
                              (long long)r->nbin);
    const double step = (o->max - o->min) / (double)r->nbin;
    for (int64_t b = 0; b <= r->nbin; b++)
        r->edges[b] = o->min + step * (double)b;
    for (int64_t b = 0; b < r->nbin; b++)
        r->centres[b] = o->min + step * ((double)b + 0.5);
    /* E of d is decreasing, E of q increasing. */
    const double qe = tsct_edxrd_q(1.0, r->cal.tth); /* q per keV */
    r->emin = d ? tsct_edxrd_energy_of_d(o->max, r->cal.tth) : o->min / qe;
    r->emax = d ? tsct_edxrd_energy_of_d(o->min, r->cal.tth) : o->max / qe;
    const double lo = tsct_edxrd_energy(&r->cal, -0.5);
    const double hi = tsct_edxrd_energy(&r->cal, (double)r->nchan - 0.5);
    const char *unit = d ? "A" : "1/A", *name = d ? "d" : "q";
    if (o->beam_max > 0 && (r->emin < o->beam_min || r->emax > o->beam_max))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "axis", -1,
                              "%s %g .. %g %s needs energies %.2f .. %.2f keV at 2theta = %g deg, "
                              "outside the beam's %g .. %g keV", name, o->min, o->max, unit,
                              r->emin, r->emax, r->cal.tth, o->beam_min, o->beam_max);
    if (r->emin < lo || r->emax > hi)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "axis", -1,
                              "%s %g .. %g %s needs energies %.2f .. %.2f keV at 2theta = %g deg, "
                              "outside the spectra's %.2f .. %.2f keV", name, o->min, o->max,
                              unit, r->emin, r->emax, r->cal.tth, lo, hi);
    /* Channels of the window with a margin of 2 % in energy (the smooth curve's support). */
    const double c0 = tsct_edxrd_channel(&r->cal, fmax(r->emin * 0.98, lo + 1e-9));
    const double c1 = tsct_edxrd_channel(&r->cal, fmin(r->emax * 1.02, hi - 1e-9));
    r->c0 = (int64_t)floor(fmax(c0, 0));
    r->c1 = (int64_t)ceil(fmin(c1 + 1, (double)r->nchan));
    if (r->c1 - r->c0 <= o->smooth_degree + 2)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "axis", -1,
                              "%s %g .. %g %s spans %lld channels: too few", name, o->min, o->max,
                              unit, (long long)(r->c1 - r->c0));
    return TSCT_OK;
}

/* Layers (distinct z, increasing) and rounds (each layer's spectra in time order); the live
 * times when the dead-time correction needs them. */
static tsct_status layers(struct edx *r, tsct_error *err)
{
    const double *z = tsct_edxrd_source_z(r->src), *tm = tsct_edxrd_source_time(r->src);
    const double *live = tsct_edxrd_source_live_time(r->src);
    char name[4400];
    int64_t nnan = 0;
    for (int64_t k = 0; k < r->n; k++) {
        nnan += isnan(z[k]);
        if (r->o->deadtime && !(live[k] > 0 && isfinite(live[k])))
            return tsct_error_set(err, TSCT_ERR_VALUE,
                                  tsct_edxrd_source_name(r->src, k, name, sizeof name),
                                  "live_time", k,
                                  "no live time (needed for the dead-time correction; give it "
                                  "in the spectrum's header or dataset, or turn the correction "
                                  "off)");
    }
    if (nnan && nnan != r->n)
        for (int64_t k = 0; k < r->n; k++)
            if (isnan(z[k]))
                return tsct_error_set(err, TSCT_ERR_VALUE,
                                      tsct_edxrd_source_name(r->src, k, name, sizeof name), "z",
                                      k, "no layer position z, while other spectra have one");
    r->zs = malloc((size_t)r->n * sizeof *r->zs);
    r->layer = malloc((size_t)r->n * sizeof *r->layer);
    r->round = malloc((size_t)r->n * sizeof *r->round);
    int64_t *order = malloc((size_t)r->n * sizeof *order);
    int64_t *count = calloc((size_t)r->n, sizeof *count);
    tsct_status st = TSCT_OK;
    if (!r->zs || !r->layer || !r->round || !order || !count)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "spectra", -1, "%lld", (long long)r->n);
    if (st == TSCT_OK) {
        for (int64_t k = 0; k < r->n; k++)
            r->zs[k] = nnan ? 0 : z[k];
        qsort(r->zs, (size_t)r->n, sizeof *r->zs, cmp_double);
        r->nz = 0;
        for (int64_t k = 0; k < r->n; k++)
            if (r->nz == 0 || r->zs[k] - r->zs[r->nz - 1] > 1e-9 * (1 + fabs(r->zs[k])))
                r->zs[r->nz++] = r->zs[k];
        /* Time order (stable: the spectra's order where times are equal or absent). */
        for (int64_t k = 0; k < r->n; k++)
            order[k] = k;
        for (int64_t a = 1; a < r->n; a++)
            for (int64_t b = a; b > 0 && tm[order[b]] < tm[order[b - 1]]; b--) {
                const int64_t t = order[b];
                order[b] = order[b - 1], order[b - 1] = t;
            }
        r->nt = 0;
        for (int64_t i = 0; i < r->n; i++) {
            const int64_t k = order[i];
            int64_t l = 0;
            while (!nnan && l + 1 < r->nz && r->zs[l] < z[k] - 1e-9 * (1 + fabs(z[k])))
                l++;
            r->layer[k] = l, r->round[k] = count[l]++;
            if (count[l] > r->nt)
                r->nt = count[l];
        }
    }
    free(order), free(count);
    return st;
}

/* Spectrum k on the axis: rate (counts / live), normalised, rebinned into out / sig. */
static tsct_status one_spectrum(struct edx *r, int64_t k, double *y, double *var, double *curve,
                                double *xe, double *out, double *vout, tsct_error *err)
{
    TSCT_TRY(tsct_edxrd_source_read(r->src, k, y, err));
    const double live = r->o->deadtime ? tsct_edxrd_source_live_time(r->src)[k] : 1.0;
    for (int64_t c = 0; c < r->nchan; c++) {
        var[c] = y[c] / (live * live);
        y[c] /= live;
        if (c < r->c0 || c >= r->c1)
            y[c] = var[c] = NAN;
    }
    if (r->o->norm == TSCT_STAGE_EDXRD_NORM_SMOOTH) {
        const int64_t m = r->c1 - r->c0;
        for (int64_t c = 0; c < m; c++)
            xe[c] = tsct_edxrd_energy(&r->cal, (double)(r->c0 + c));
        TSCT_TRY(tsct_edxrd_smooth_fit(xe, y + r->c0, m, r->o->smooth_degree, 2.0, 6, curve,
                                       err));
        for (int64_t c = 0; c < m; c++) {
            const double s = curve[c] > 0 ? curve[c] : NAN;
            y[r->c0 + c] /= s, var[r->c0 + c] /= s * s;
        }
    } else if (r->inc) {
        for (int64_t c = r->c0; c < r->c1; c++) {
            const double s = r->inc[c] > 0 ? r->inc[c] : NAN;
            y[c] /= s, var[c] /= s * s;
        }
    }
    return tsct_edxrd_rebin(&r->cal, r->o->axis == TSCT_STAGE_EDXRD_AXIS_D, y, var, r->nchan,
                            r->edges, r->nbin, out, vout, err);
}

static tsct_status incident(struct edx *r, tsct_error *err)
{
    if (r->o->norm != TSCT_STAGE_EDXRD_NORM_INCIDENT)
        return TSCT_OK;
    int64_t nchan = 0;
    TSCT_TRY(read_single(r->o->incident, "incident", &r->inc, &nchan, NULL, err));
    if (nchan != r->nchan)
        return tsct_error_set(err, TSCT_ERR_SHAPE, r->o->incident, "incident", -1,
                              "%lld channels, the spectra have %lld: the incident spectrum must "
                              "be measured with the same analyser settings", (long long)nchan,
                              (long long)r->nchan);
    double top = 0;
    for (int64_t c = 0; c < nchan; c++)
        top = fmax(top, r->inc[c]);
    if (!(top > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, r->o->incident, "incident", -1,
                              "no counts in the incident spectrum");
    for (int64_t c = 0; c < nchan; c++)
        r->inc[c] /= top;
    return TSCT_OK;
}

static void settings_of(const struct edx *r, tsct_stage_settings *s)
{
    const tsct_stage_edxrd_params *o = r->o;
    char name[4400];
    tsct_stage_settings_add(s, "spectra", "%lld", (long long)r->n);
    tsct_stage_settings_add(s, "first", "%s", tsct_edxrd_source_name(r->src, 0, name, sizeof name));
    tsct_stage_settings_add(s, "last", "%s",
                            tsct_edxrd_source_name(r->src, r->n - 1, name, sizeof name));
    for (int k = 0; k <= TSCT_EDXRD_DEGREE_MAX; k++)
        tsct_stage_settings_add(s, "coef", "%.17g", k <= r->cal.degree ? r->cal.coef[k] : 0.0);
    tsct_stage_settings_add(s, "tth", "%.17g", r->cal.tth);
    tsct_stage_settings_add(s, "axis", "%s", o->axis == TSCT_STAGE_EDXRD_AXIS_D ? "d" : "q");
    tsct_stage_settings_add(s, "range", "%.17g,%.17g", o->min, o->max);
    tsct_stage_settings_add(s, "bins", "%lld", (long long)o->bins);
    tsct_stage_settings_add(s, "norm", "%s",
                            o->norm == TSCT_STAGE_EDXRD_NORM_SMOOTH     ? "smooth"
                            : o->norm == TSCT_STAGE_EDXRD_NORM_INCIDENT ? o->incident
                                                                        : "none");
    tsct_stage_settings_add(s, "degree", "%d", o->smooth_degree);
    tsct_stage_settings_add(s, "deadtime", "%d", o->deadtime);
}

/* The step's outputs and the spectra through them. */
static tsct_status convert(struct edx *r, tsct_container *c, const char *fp,
                           const tsct_stage_ctx *ctx, int64_t *done, tsct_error *err)
{
    tsct_step *step = NULL;
    tsct_step_info info = {.name = "edxrd", .command = ctx->command_line, .fingerprint = fp,
                           .nunits = r->n};
    TSCT_TRY(tsct_step_begin(c, &info, ctx->log, &step, err));
    tsct_dataset *data = NULL, *sig = NULL, *tds = NULL;
    const int64_t shape[5] = {r->nt, r->nz, 1, 1, r->nbin}, tshape[2] = {r->nt, r->nz};
    tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
    const int d = r->o->axis == TSCT_STAGE_EDXRD_AXIS_D;
    double *ts = malloc((size_t)r->nt * sizeof *ts), zero = 0;
    double *buf = malloc((size_t)(4 * r->nchan + 2 * r->nbin) * sizeof *buf);
    float *row = malloc((size_t)r->nbin * sizeof *row);
    int64_t *tn = calloc((size_t)r->nt, sizeof *tn);
    tsct_status st = ts && buf && row && tn ? TSCT_OK
                                            : tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "edxrd",
                                                             -1, "buffers");
    const double *tm = tsct_edxrd_source_time(r->src);
    for (int64_t t = 0; st == TSCT_OK && t < r->nt; t++)
        ts[t] = 0;
    for (int64_t k = 0; st == TSCT_OK && k < r->n; k++)
        if (isfinite(tm[k]))
            ts[r->round[k]] += tm[k], tn[r->round[k]]++;
    for (int64_t t = 0; st == TSCT_OK && t < r->nt; t++)
        ts[t] = tn[t] ? ts[t] / (double)tn[t] : (double)t;
    if (st == TSCT_OK)
        st = tsct_step_vector(step, TSCT_PATH_INTEGRATED_Q, r->centres, r->nbin, d ? "A" : "A^-1",
                              err);
    if (st == TSCT_OK)
        st = tsct_step_vector(step, TSCT_PATH_SCAN "/angle", &zero, 1, "deg", err);
    if (st == TSCT_OK)
        st = tsct_step_vector(step, TSCT_PATH_SCAN "/translation", &zero, 1, "mm", err);
    if (st == TSCT_OK)
        st = tsct_step_vector(step, TSCT_PATH_SCAN "/z", r->zs, r->nz, "mm", err);
    if (st == TSCT_OK)
        st = tsct_step_vector(step, TSCT_PATH_SCAN "/time", ts, r->nt, "s", err);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, TSCT_PATH_INTEGRATED, 5, shape, -1, &dp, &data, err);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, TSCT_PATH_INTEGRATED_SIGMA, 5, shape, -1, &dp, &sig, err);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, EDXRD_TIME, 2, tshape, -1, &dp, &tds, err);
    double *y = buf, *var = buf + r->nchan, *curve = buf + 2 * r->nchan;
    double *xe = buf + 3 * r->nchan, *out = buf + 4 * r->nchan, *vout = out + r->nbin;
    tsct_stage_batch batch = {0};
    for (int64_t k = 0; st == TSCT_OK && k < r->n; k++) {
        if (tsct_step_is_done(step, k))
            continue;
        st = one_spectrum(r, k, y, var, curve, xe, out, vout, err);
        if (st != TSCT_OK) {
            char name[4400];
            tsct_error_set_file(err, tsct_edxrd_source_name(r->src, k, name, sizeof name));
            break;
        }
        const int64_t lead[4] = {r->round[k], r->layer[k], 0, 0};
        for (int64_t b = 0; b < r->nbin; b++)
            row[b] = (float)out[b];
        st = tsct_dataset_write_row(data, lead, row, err);
        for (int64_t b = 0; b < r->nbin; b++)
            row[b] = (float)sqrt(vout[b]);
        if (st == TSCT_OK)
            st = tsct_dataset_write_row(sig, lead, row, err);
        const int64_t start[2] = {r->round[k], r->layer[k]}, one[2] = {1, 1};
        const float t = (float)tm[k];
        if (st == TSCT_OK)
            st = tsct_dataset_write(tds, start, one, &t, err);
        if (st == TSCT_OK)
            st = tsct_stage_batch_add(step, &batch, k, err);
        (*done)++;
    }
    if (st == TSCT_OK)
        st = tsct_stage_batch_flush(step, &batch, err);
    tsct_dataset_close(data), tsct_dataset_close(sig), tsct_dataset_close(tds);
    if (st == TSCT_OK)
        st = tsct_step_commit(step, err);
    else
        tsct_step_close(step);
    free(ts), free(buf), free(row), free(tn);
    return st;
}

static tsct_status record_calibration(const struct edx *r, tsct_container *c, tsct_error *err)
{
    char coef[256], esd[256];
    snprintf(coef, sizeof coef, "%.17g,%.17g,%.17g,%.17g", r->cal.coef[0], r->cal.coef[1],
             r->cal.coef[2], r->cal.coef[3]);
    snprintf(esd, sizeof esd, "%.6g,%.6g,%.6g,%.6g", r->cal.coef_esd[0], r->cal.coef_esd[1],
             r->cal.coef_esd[2], r->cal.coef_esd[3]);
    TSCT_TRY(tsct_container_set_attr_string(c, EDXRD_ROOT, "coef", coef, err));
    TSCT_TRY(tsct_container_set_attr_string(c, EDXRD_ROOT, "coef_esd", esd, err));
    TSCT_TRY(tsct_container_set_attr_double(c, EDXRD_ROOT, "tth", r->cal.tth, err));
    TSCT_TRY(tsct_container_set_attr_double(c, EDXRD_ROOT, "tth_esd", r->cal.tth_esd,
                                            err));
    return tsct_container_set_attr_string(c, EDXRD_ROOT, "axis",
                                          r->o->axis == TSCT_STAGE_EDXRD_AXIS_D ? "d" : "q", err);
}

tsct_status tsct_stage_edxrd(const char *container, const tsct_stage_edxrd_params *params,
                             const tsct_stage_ctx *context, tsct_stage_report *report,
                             tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    tsct_stage_report rep_local, *rep = tsct__stage_report(report, &rep_local);
    if (!params || !container)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "edxrd", -1,
                              "parameters and a container are required");
    TSCT_TRY(check_params(params, err));
    struct edx r;
    memset(&r, 0, sizeof r);
    r.o = params;
    tsct_container *c = NULL;
    tsct_stage_settings set;
    tsct_stage_settings_init(&set);
    char *fp = NULL;
    int64_t done = 0;
    tsct_status st = tsct_edxrd_source_open(params->spectra, params->nspectra, &r.src, err);
    if (st == TSCT_OK) {
        r.n = tsct_edxrd_source_count(r.src);
        r.nchan = tsct_edxrd_source_channels(r.src);
        st = calibrate(&r, ctx, err);
    }
    if (st == TSCT_OK)
        st = axis(&r, err);
    if (st == TSCT_OK)
        st = layers(&r, err);
    if (st == TSCT_OK)
        st = incident(&r, err);
    if (st == TSCT_OK) {
        FILE *f = fopen(container, "rb");
        if (f)
            fclose(f);
        st = f ? tsct_container_open(container, TSCT_OPEN_WRITE, &c, err)
               : tsct_container_create(container, 0, &c, err);
    }
    if (st == TSCT_OK) {
        settings_of(&r, &set);
        fp = set.failed ? NULL : tsct_stage_fingerprint(c, NULL, set.text);
        if (!fp)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, container, "edxrd", -1, "settings");
    }
    int current = st == TSCT_OK && tsct_stage_up_to_date(ctx, c, "edxrd", fp);
    if (st == TSCT_OK && !current)
        st = convert(&r, c, fp, ctx, &done, err);
    if (st == TSCT_OK && !current)
        st = record_calibration(&r, c, err);
    if (st == TSCT_OK && !current)
        tsct__stage_ran(ctx, rep, done, 0, TSCT_LOG_INFO,
                        "%lld spectra of %lld layers x %lld rounds onto %lld %s bins into "
                        "%s:" TSCT_PATH_INTEGRATED, (long long)r.n, (long long)r.nz,
                        (long long)r.nt, (long long)r.nbin,
                        params->axis == TSCT_STAGE_EDXRD_AXIS_D ? "d" : "q", container);
    if (c) {
        tsct_status cst = tsct_container_close(c, st == TSCT_OK ? err : NULL);
        if (st == TSCT_OK)
            st = cst;
    }
    tsct_stage_settings_release(&set);
    free(fp);
    tsct_edxrd_source_destroy(r.src);
    free(r.zs), free(r.layer), free(r.round), free(r.edges), free(r.centres), free(r.inc);
    return st;
}
