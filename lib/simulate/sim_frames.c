/* sim_frames.c - detector frames for the simulator: a 1-D pattern rendered onto an area
 * detector with pyFAI's geometry and corrections, Pilatus module gaps, exact Poisson counting
 * noise, dark and flat, and single-crystal spots (see include/tsct/simulate.h).
 *
 * The rendered intensity is multiplied by solid angle and polarization exactly as pyFAI
 * divides them out (lib/geometry agrees with pyFAI to float rounding), so integrating a
 * noiseless frame with those corrections returns the pattern.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"
#include "tsct/geometry.h"
#include "tsct/poni.h"
#include "tsct/simulate.h"

struct tsct_sim_render_plan {
    int64_t rows, cols;
    double *q;       /* [rows][cols], 1/A */
    double *factor;  /* solid angle x polarization */
    uint8_t *mask;   /* NULL: nothing masked */
};

tsct_status tsct_sim_pilatus_gaps(int64_t rows, int64_t cols, uint8_t *mask, tsct_error *err)
{
    if ((rows + 17) % (195 + 17) != 0 || (cols + 7) % (487 + 7) != 0)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "detector", -1,
                              "%lld x %lld pixels is not a whole number of Pilatus modules "
                              "(195 x 487 with 17- and 7-pixel gaps)",
                              (long long)rows, (long long)cols);
    /* The detector table's rule (pyFAI's calc_mask), on a Pilatus of this shape. */
    tsct_poni_detector pilatus;
    tsct_poni_detector_find("Pilatus2M", &pilatus, NULL);
    pilatus.shape[0] = rows;
    pilatus.shape[1] = cols;
    tsct_poni_detector_mask(&pilatus, rows, cols, mask);
    return TSCT_OK;
}

/* ---- Poisson ---------------------------------------------------------------------------- */

/* W. Hormann, "The transformed rejection method for generating Poisson random variables",
 * Insurance: Mathematics and Economics 12 (1993) 39-45, algorithm PTRS (lambda >= 10). */
static int64_t poisson_ptrs(tsct_sim_rng *r, double lambda)
{
    double slam = sqrt(lambda), loglam = log(lambda);
    double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        double U = tsct_sim_rng_uniform(r) - 0.5, V = tsct_sim_rng_uniform(r);
        double us = 0.5 - fabs(U);
        double k = floor((2 * a / us + b) * U + lambda + 0.43);
        if (us >= 0.07 && V <= vr)
            return (int64_t)k;
        if (k < 0 || (us < 0.013 && V > us))
            continue;
        if (log(V) + log(invalpha) - log(a / (us * us) + b) <=
            -lambda + k * loglam - lgamma(k + 1))
            return (int64_t)k;
    }
}

int64_t tsct_sim_poisson(tsct_sim_rng *r, double lambda)
{
    if (!(lambda > 0))
        return 0;
    if (lambda >= 10)
        return poisson_ptrs(r, lambda);
    /* Inversion by sequential search. */
    double p = exp(-lambda), cdf = p, u = tsct_sim_rng_uniform(r);
    int64_t k = 0;
    while (u > cdf && k < 1000) {
        k++;
        p *= lambda / (double)k;
        cdf += p;
    }
    return k;
}

/* ---- rendering --------------------------------------------------------------------------- */

void tsct_sim_render_plan_destroy(tsct_sim_render_plan *p)
{
    if (!p)
        return;
    free(p->q);
    free(p->factor);
    free(p->mask);
    free(p);
}

const double *tsct_sim_render_plan_q(const tsct_sim_render_plan *p)
{
    return p->q;
}

const double *tsct_sim_render_plan_factor(const tsct_sim_render_plan *p)
{
    return p->factor;
}

tsct_status tsct_sim_render_plan_create(const tsct_poni *g, int64_t rows, int64_t cols,
                                        const uint8_t *mask, double polarization, int nthreads,
                                        tsct_sim_render_plan **out, tsct_error *err)
{
    *out = NULL;
    if (!isfinite(polarization) || fabs(polarization) > 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "polarization", -1,
                              "factor %g: expected -1 .. 1", polarization);
    tsct_geometry_arrays *a = NULL;
    TSCT_TRY(tsct_geometry_compute(g, rows, cols, TSCT_UNIT_Q_A,
                                   TSCT_GEOM_RADIAL | TSCT_GEOM_CHI | TSCT_GEOM_TTH |
                                       TSCT_GEOM_SOLID_ANGLE,
                                   nthreads, &a, err));
    tsct_sim_render_plan *p = calloc(1, sizeof *p);
    int64_t npx = rows * cols;
    if (p) {
        p->factor = malloc((size_t)npx * sizeof *p->factor);
        if (mask)
            p->mask = malloc((size_t)npx);
    }
    if (!p || !p->factor || (mask && !p->mask)) {
        tsct_geometry_arrays_destroy(a);
        tsct_sim_render_plan_destroy(p);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "render plan", -1, "%lld pixels",
                              (long long)npx);
    }
    p->rows = rows;
    p->cols = cols;
    for (int64_t k = 0; k < npx; k++)
        p->factor[k] = a->solid_angle[k] *
                       tsct_geometry_polarization(a->tth[k], a->chi[k], polarization, 0.0);
    p->q = a->radial;  /* take ownership of the q array */
    a->radial = NULL;
    tsct_geometry_arrays_destroy(a);
    if (mask)
        memcpy(p->mask, mask, (size_t)npx);
    *out = p;
    return TSCT_OK;
}

/* Linear interpolation on an increasing grid; 0 outside. Uniform grids take one division. */
double tsct__sim_interp(const double *q, const float *I, int64_t nq, int uniform, double x)
{
    if (!(x >= q[0] && x <= q[nq - 1]))
        return 0.0;
    int64_t j;
    if (uniform) {
        j = (int64_t)((x - q[0]) / (q[1] - q[0]));
    } else {
        int64_t lo = 0, hi = nq - 1;
        while (hi - lo > 1) {
            int64_t mid = (lo + hi) / 2;
            if (q[mid] <= x)
                lo = mid;
            else
                hi = mid;
        }
        j = lo;
    }
    if (j >= nq - 1)
        j = nq - 2;
    double f = (x - q[j]) / (q[j + 1] - q[j]);
    return (1 - f) * I[j] + f * I[j + 1];
}

tsct_status tsct_sim_render(const tsct_sim_render_plan *p, const double *q, const float *I,
                            int64_t nq, double scale, const float *dark, const float *flat,
                            const tsct_sim_spots *spots, tsct_sim_rng *rng, float *frame,
                            tsct_error *err)
{
    if (nq < 2)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "pattern", -1,
                              "%lld points, expected at least 2", (long long)nq);
    int uniform = 1;
    int64_t bad = 0;
    for (int64_t j = 0; j < nq; j++)
        if (!isfinite(I[j]) || I[j] < 0)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "pattern", j,
                                  "intensity %g: expected finite and >= 0", (double)I[j]);
    if (!tsct__sim_grid_check(q, nq, &uniform, &bad))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "q", bad,
                              "the grid must increase, %g after %g", q[bad], q[bad - 1]);
    if (!isfinite(scale) || scale < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "scale", -1,
                              "%g: expected finite and >= 0", scale);
    const int64_t npx = p->rows * p->cols;
    for (int64_t k = 0; k < npx; k++) {
        double lam = scale * tsct__sim_interp(q, I, nq, uniform, p->q[k]) * p->factor[k];
        if (flat)
            lam *= flat[k];
        if (dark)
            lam += dark[k];
        frame[k] = (float)lam;
    }
    tsct__sim_render_finish(p, spots, rng, frame);
    return TSCT_OK;
}

int tsct__sim_grid_check(const double *q, int64_t nq, int *uniform, int64_t *bad)
{
    *uniform = 1;
    for (int64_t j = 1; j < nq; j++) {
        if (!(q[j] > q[j - 1])) {
            *bad = j;
            return 0;
        }
        if (j > 1 && fabs((q[j] - q[j - 1]) - (q[1] - q[0])) > 1e-9 * fabs(q[1] - q[0]))
            *uniform = 0;
    }
    return 1;
}

void tsct__sim_render_finish(const tsct_sim_render_plan *p, const tsct_sim_spots *spots,
                             tsct_sim_rng *rng, float *frame)
{
    const int64_t npx = p->rows * p->cols;
    if (rng && spots && spots->nring > 0 && spots->count > 0 &&
        tsct_sim_rng_uniform(rng) < spots->frame_fraction) {
        for (int s = 0; s < spots->count; s++) {
            double q0 = spots->ring_q[(int)(tsct_sim_rng_uniform(rng) * spots->nring) %
                                      spots->nring];
            /* A random pixel on that ring (a bounded number of tries). */
            int64_t at = -1;
            for (int tries = 0; tries < 100000 && at < 0; tries++) {
                int64_t k = (int64_t)(tsct_sim_rng_uniform(rng) * (double)npx);
                if (fabs(p->q[k] - q0) < 0.005 * q0 && !(p->mask && p->mask[k]))
                    at = k;
            }
            if (at < 0)
                continue;
            int64_t ci = at / p->cols, ck = at % p->cols;
            double peak = spots->height * fmax(frame[at], 1.0);
            int64_t rad = (int64_t)ceil(4 * spots->sigma_px);
            for (int64_t i = ci - rad; i <= ci + rad; i++)
                for (int64_t k = ck - rad; k <= ck + rad; k++) {
                    if (i < 0 || k < 0 || i >= p->rows || k >= p->cols)
                        continue;
                    double d2 = (double)((i - ci) * (i - ci) + (k - ck) * (k - ck));
                    frame[i * p->cols + k] +=
                        (float)(peak * exp(-0.5 * d2 / (spots->sigma_px * spots->sigma_px)));
                }
        }
    }
    for (int64_t k = 0; k < npx; k++) {
        if (p->mask && p->mask[k]) {
            frame[k] = -1.0f;
            continue;
        }
        if (rng)
            frame[k] = (float)tsct_sim_poisson(rng, frame[k]);
    }
}
