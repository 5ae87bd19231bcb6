/* sim_calibrant.c - frames of a powder calibrant for any detector geometry (tilts, offsets,
 * noise), so that the calibration tests know the truth (include/tsct/simulate.h).
 *
 * The rings are Gaussians in 2theta on a flat background, laid on a q grid fine enough that
 * linear interpolation moves no ring (1/40 of the ring width per step) and rendered with the
 * frame renderer of sim_frames.c (pyFAI's geometry, solid angle, polarization, Poisson).
 */
#include <math.h>
#include <stdlib.h>

#include "tsct/calibrant.h"
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
