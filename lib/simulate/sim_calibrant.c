/* sim_calibrant.c - frames of a powder calibrant for any detector geometry (tilts, offsets,
 * noise), so that the calibration tests know the truth (include/tsct/simulate.h).
 *
 * The rings are Gaussians in 2theta on a flat background, laid on a q grid fine enough that
 * linear interpolation moves no ring (1/40 of the ring width per step) and rendered with the
 * frame renderer of sim_frames.c (pyFAI's geometry, solid angle, polarization, Poisson).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/calibrant.h"
#include "tsct/image.h"
#include "tsct/poni.h"
#include "tsct/simulate.h"

tsct_status tsct_sim_calibrant_frame(const tsct_poni *g, int64_t rows, int64_t cols,
                                     const uint8_t *mask, const double *d,
                                     const double *intensity, int64_t nring,
                                     const tsct_sim_calibrant_params *params, tsct_sim_rng *rng,
                                     float *frame, tsct_error *err)
{
    const tsct_sim_calibrant_params defaults = TSCT_SIM_CALIBRANT_PARAMS_DEFAULT;
    const tsct_sim_calibrant_params *P = params ? params : &defaults;
    if (nring < 1 || !d)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "rings", -1, "no d-spacing given");
    for (int64_t i = 0; i < nring; i++)
        if (!(isfinite(d[i]) && d[i] > 0) ||
            (intensity && !(isfinite(intensity[i]) && intensity[i] >= 0)))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "rings", i,
                                  "d = %g A, intensity %g: expected d > 0 and intensity >= 0",
                                  d[i], intensity ? intensity[i] : 1.0);
    if (!(P->fwhm_deg > 0 && P->peak_counts >= 0 && P->background >= 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "calibrant frame", -1,
                              "expected fwhm > 0 and counts >= 0");
    tsct_sim_render_plan *plan = NULL;
    TSCT_TRY(tsct_sim_render_plan_create(g, rows, cols, mask, P->polarization, P->nthreads,
                                         &plan, err));
    const double lambda = g->wavelength * 1e10;
    const double *qpix = tsct_sim_render_plan_q(plan);
    double qmax = 0;
    for (int64_t k = 0; k < rows * cols; k++)
        qmax = fmax(qmax, qpix[k]);
    qmax *= 1.001;
    /* Step: 1/40 of the ring width in q at the largest angle (dq = 2 pi cos(theta) dtth /
     * lambda <= 2 pi dtth / lambda). */
    const double w = P->fwhm_deg * M_PI / 180;
    const double dq = 2 * M_PI / lambda * w / 40;
    const int64_t nq = (int64_t)ceil(qmax / dq) + 2;
    double *q = malloc((size_t)nq * sizeof *q);
    float *I = malloc((size_t)nq * sizeof *I);
    tsct_status st = TSCT_OK;
    if (!q || !I)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "calibrant frame", -1, "%lld q points",
                            (long long)nq);
    if (st == TSCT_OK) {
        const double k4 = 4 * log(2) / (w * w);
        for (int64_t j = 0; j < nq; j++) {
            q[j] = j * dq;
            const double x = q[j] * lambda / (4 * M_PI);
            const double tth = x < 1 ? 2 * asin(x) : M_PI;
            double v = P->background;
            for (int64_t i = 0; i < nring; i++) {
                const double t = tsct_calibrant_tth(d[i], lambda);
                const double u = tth - t;
                if (isfinite(t) && u * u * k4 < 50)
                    v += P->peak_counts * (intensity ? intensity[i] : 1.0) * exp(-k4 * u * u);
            }
            I[j] = (float)v;
        }
        st = tsct_sim_render(plan, q, I, nq, 1.0, NULL, NULL, NULL, rng, frame, err);
    }
    free(q), free(I);
    tsct_sim_render_plan_destroy(plan);
    return st;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* frame [rows][cols] into output, in the format its extension names. */
static tsct_status write_frame(const char *output, const float *frame, int32_t *counts,
                               int64_t rows, int64_t cols, tsct_error *err)
{
    if (has_suffix(output, ".cbf")) {
        for (int64_t k = 0; k < rows * cols; k++)
            counts[k] = (int32_t)lrint(frame[k]);
        return tsct_image_write_cbf(output, counts, rows, cols, NULL, 0, err);
    }
    if (has_suffix(output, ".edf"))
        return tsct_image_write_edf(output, frame, rows, cols, err);
    if (has_suffix(output, ".tif") || has_suffix(output, ".tiff"))
        return tsct_image_write_tiff(output, frame, rows, cols, err);
    if (has_suffix(output, ".npy"))
        return tsct_image_write_npy(output, frame, rows, cols, err);
    return tsct_error_set(err, TSCT_ERR_VALUE, output, NULL, -1,
                          "expected a .cbf, .edf, .tif or .npy file name");
}

tsct_status tsct_sim_calibrant_image(const char *calibrant, const char *poni,
                                     const tsct_sim_calibrant_params *params, uint64_t seed,
                                     int noiseless, const char *output, char *detector,
                                     size_t size, tsct_error *err)
{
    tsct_poni g;
    tsct_poni_detector det;
    TSCT_TRY(tsct_poni_read(&g, poni, err));
    TSCT_TRY(tsct_poni_detector_find(g.detector, &det, err));
    if (detector && size > 0)
        snprintf(detector, size, "%s", g.detector);
    const int64_t rows = g.shape[0], cols = g.shape[1];
    if (rows < 1 || cols < 1 || !(g.wavelength > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, poni, NULL, -1,
                              "the geometry needs a detector of known shape and a wavelength");
    tsct_calibrant *cal = NULL;
    const double dmin = g.wavelength * 1e10 / 2 / sin(0.75);
    TSCT_TRY(tsct_calibrant_create(calibrant, dmin, &cal, err));
    const int64_t n = rows * cols;
    float *frame = malloc((size_t)n * sizeof *frame);
    int32_t *counts = malloc((size_t)n * sizeof *counts);
    uint8_t *mask = calloc((size_t)n, 1);
    double *d = malloc((size_t)cal->count * sizeof *d), *I = malloc((size_t)cal->count * sizeof *I);
    tsct_status st = TSCT_OK;
    if (!frame || !counts || !mask || !d || !I)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, output, NULL, -1, "frame");
    if (st == TSCT_OK) {
        tsct_poni_detector_mask(&det, rows, cols, mask);
        for (int64_t i = 0; i < cal->count; i++) {
            d[i] = cal->rings[i].d;
            const double m = cal->rings[i].multiplicity > 0 ? (double)cal->rings[i].multiplicity
                                                            : 24.0;
            I[i] = m / 24.0 * exp(-0.5 / (d[i] * d[i]));
        }
        tsct_sim_rng rng;
        tsct_sim_rng_seed(&rng, seed);
        st = tsct_sim_calibrant_frame(&g, rows, cols, mask, d, I, cal->count, params,
                                      noiseless ? NULL : &rng, frame, err);
    }
    if (st == TSCT_OK)
        st = write_frame(output, frame, counts, rows, cols, err);
    free(frame), free(counts), free(mask), free(d), free(I);
    tsct_calibrant_destroy(cal);
    return st;
}
