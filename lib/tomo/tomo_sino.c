/* tomo_sino.c - sinogram processing before reconstruction (include/tsct/sino.h).
 *
 * Design: every operation works on packed [na][ns][nc] float arrays (channels last), so the
 * CLI can apply them to one block of channels at a time, with the quantities that need all
 * channels (air pattern, normalisation totals, the channel-summed profile used for the
 * jitter and the centre of rotation) computed beforehand from the whole scan. The
 * conventions are nDTomo's (docs/tomo.md); the two centre-of-rotation methods work on one
 * profile [na][ns] and search centres on a half-bin grid, where mirroring is exact, then
 * refine with a parabola.
 */
#include <complex.h>
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "tsct/sino.h"
#include "tomo/tomo_internal.h"
#include "tsct/threads.h"
#include "tsct_config.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define WHO "sinogram"

static tsct_status check_dims(int64_t na, int64_t ns, int64_t nc, const void *p,
                              const char *item, tsct_error *err)
{
    if (!p)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, item, -1, "NULL array");
    if (na < 1 || ns < 1 || nc < 1 || na > INT64_MAX / ns || na * ns > INT64_MAX / nc / 4)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, item, -1,
                              "expected sizes >= 1, found [%lld][%lld][%lld]", (long long)na,
                              (long long)ns, (long long)nc);
    return TSCT_OK;
}

/* ---- scan order, air, normalisation ----------------------------------------------------- */

tsct_status tsct_sino_zigzag(float *sino, int64_t na, int64_t ns, int64_t nc, int parity,
                             tsct_error *err)
{
    TSCT_TRY(check_dims(na, ns, nc, sino, "zigzag", err));
    if (parity != 0 && parity != 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "zigzag parity", -1,
                              "expected 0 or 1, found %d", parity);
    for (int64_t a = parity; a < na; a += 2) {
        float *row = sino + a * ns * nc;
        for (int64_t i = 0, j = ns - 1; i < j; i++, j--)
            for (int64_t c = 0; c < nc; c++) {
                const float t = row[i * nc + c];
                row[i * nc + c] = row[j * nc + c];
                row[j * nc + c] = t;
            }
    }
    return TSCT_OK;
}

tsct_status tsct_sino_air_estimate(const float *sino, int64_t na, int64_t ns, int64_t nc,
                                   tsct_sino_air_side side, int64_t count, int per_angle,
                                   double *air, tsct_error *err)
{
    TSCT_TRY(check_dims(na, ns, nc, sino, "air", err));
    if (!air)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "air", -1, "NULL output");
    if (side != TSCT_SINO_AIR_BOTH && side != TSCT_SINO_AIR_FIRST && side != TSCT_SINO_AIR_LAST)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "air side", -1, "unknown side %d",
                              (int)side);
    const int64_t need = side == TSCT_SINO_AIR_BOTH ? 2 * count : count;
    if (count < 1 || need > ns)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "air count", -1,
                              "expected 1 .. %lld positions per side for %lld translations, "
                              "found %lld",
                              (long long)(side == TSCT_SINO_AIR_BOTH ? ns / 2 : ns),
                              (long long)ns, (long long)count);
    double *sum = calloc((size_t)(4 * nc), sizeof *sum);
    if (!sum)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "air", -1, "%lld values",
                              (long long)(4 * nc));
    /* sums and counts of the first / last positions: [first sum, first n, last sum, last n] */
    double *acc = sum;
    for (int64_t a = 0; a < na; a++) {
        if (per_angle)
            memset(acc, 0, (size_t)(4 * nc) * sizeof *acc);
        for (int part = 0; part < 2; part++) {
            if ((part == 0 && side == TSCT_SINO_AIR_LAST) ||
                (part == 1 && side == TSCT_SINO_AIR_FIRST))
                continue;
            const int64_t s0 = part == 0 ? 0 : ns - count;
            for (int64_t s = s0; s < s0 + count; s++) {
                const float *p = sino + (a * ns + s) * nc;
                for (int64_t c = 0; c < nc; c++)
                    if (isfinite(p[c])) {
                        acc[(2 * part) * nc + c] += p[c];
                        acc[(2 * part + 1) * nc + c] += 1.0;
                    }
            }
        }
        if (per_angle || a == na - 1) {
            for (int64_t c = 0; c < nc; c++) {
                const double first = acc[c] / acc[nc + c], last = acc[2 * nc + c] / acc[3 * nc + c];
                const double v = side == TSCT_SINO_AIR_BOTH    ? 0.5 * (first + last)
                                 : side == TSCT_SINO_AIR_FIRST ? first
                                                               : last;
                if (per_angle)
                    air[a * nc + c] = v;
                else
                    for (int64_t b = 0; b < na; b++)
                        air[b * nc + c] = v;
            }
        }
    }
    free(sum);
    return TSCT_OK;
}

tsct_status tsct_sino_air_subtract(float *sino, int64_t na, int64_t ns, int64_t nc,
                                   const double *air, tsct_error *err)
{
    TSCT_TRY(check_dims(na, ns, nc, sino, "air", err));
    if (!air)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "air", -1, "NULL air pattern");
    for (int64_t a = 0; a < na; a++)
        for (int64_t s = 0; s < ns; s++) {
            float *p = sino + (a * ns + s) * nc;
            const double *q = air + a * nc;
            for (int64_t c = 0; c < nc; c++)
                p[c] = (float)(p[c] - q[c]);
        }
    return TSCT_OK;
}

tsct_status tsct_sino_scale_factors(const float *profile, int64_t na, int64_t ns,
                                    double *total, double *scale, tsct_error *err)
{
    TSCT_TRY(check_dims(na, ns, 1, profile, "normalisation", err));
    if (!scale)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "normalisation", -1, "NULL output");
    double mx = -INFINITY;
    for (int64_t a = 0; a < na; a++) {
        double t = 0.0;
        for (int64_t s = 0; s < ns; s++)
            if (isfinite(profile[a * ns + s]))
                t += profile[a * ns + s];
        scale[a] = t;
        if (total)
            total[a] = t;
        mx = fmax(mx, t);
    }
    if (!(mx > 0.0) || !isfinite(mx))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "normalisation", -1,
                              "the largest projection total is %g: nothing to normalise by",
                              mx);
    for (int64_t a = 0; a < na; a++) {
        scale[a] /= mx;
        if (!(scale[a] > 0.0))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "projection total", a,
                                  "expected > 0, found %g (of a largest %g)", scale[a] * mx,
                                  mx);
    }
    return TSCT_OK;
}

/* Multiply the values of every row a (or of every point a * ns + s) by factor[...]. */
static void scale_points(float *sino, int64_t npoints, int64_t per_factor, int64_t nc,
                         const double *factor)
{
    for (int64_t i = 0; i < npoints; i++) {
        const float f = (float)factor[i / per_factor];
        float *p = sino + i * nc;
        for (int64_t c = 0; c < nc; c++)
            p[c] *= f;
    }
}

tsct_status tsct_sino_scale_rows(float *sino, int64_t na, int64_t ns, int64_t nc,
                                 const double *scale, tsct_error *err)
{
    TSCT_TRY(check_dims(na, ns, nc, sino, "normalisation", err));
    double *inv = malloc((size_t)na * sizeof *inv);
    if (!inv)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "normalisation", -1, "%lld values",
                              (long long)na);
    for (int64_t a = 0; a < na; a++) {
        if (!(scale[a] > 0.0) || !isfinite(scale[a])) {
            free(inv);
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "scale factor", a,
                                  "expected a finite value > 0, found %g", scale[a]);
        }
        inv[a] = 1.0 / scale[a];
    }
    scale_points(sino, na * ns, ns, nc, inv);
    free(inv);
    return TSCT_OK;
}

/* Divide sino by a record measured per projection (nrec = na) or per point (na * ns):
 * by rec / mean(rec) (a monitor: only its fluctuation matters), or by rec itself (relative:
 * a transmission). Every value must be finite and > 0. */
static tsct_status scale_by_record(float *sino, int64_t na, int64_t ns, int64_t nc,
                                   const float *rec, int64_t nrec, int relative,
                                   const char *what, tsct_error *err)
{
    TSCT_TRY(check_dims(na, ns, nc, sino, what, err));
    if (!rec)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, what, -1, "NULL %s", what);
    if (nrec != na && nrec != na * ns)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, what, -1,
                              "expected %lld (one per projection) or %lld (one per point) "
                              "values, found %lld",
                              (long long)na, (long long)(na * ns), (long long)nrec);
    double mean = 0.0;
    for (int64_t i = 0; i < nrec; i++) {
        if (!(rec[i] > 0.0f) || !isfinite(rec[i]))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, what, i,
                                  "expected a finite value > 0, found %g", (double)rec[i]);
        mean += rec[i];
    }
    mean = relative ? 1.0 : mean / (double)nrec;
    double *f = malloc((size_t)nrec * sizeof *f);
    if (!f)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, what, -1, "%lld values",
                              (long long)nrec);
    for (int64_t i = 0; i < nrec; i++)
        f[i] = mean / rec[i];
    scale_points(sino, na * ns, nrec == na ? ns : 1, nc, f);
    free(f);
    return TSCT_OK;
}

tsct_status tsct_sino_scale_transmission(float *sino, int64_t na, int64_t ns, int64_t nc,
                                         const float *diode, tsct_error *err)
{
    return scale_by_record(sino, na, ns, nc, diode, na * ns, 1, "transmission", err);
}

tsct_status tsct_sino_scale_monitor(float *sino, int64_t na, int64_t ns, int64_t nc,
                                    const float *monitor, int64_t nmon, tsct_error *err)
{
    return scale_by_record(sino, na, ns, nc, monitor, nmon, 0, "monitor", err);
}

/* ---- profiles, resampling, jitter ------------------------------------------------------- */

tsct_status tsct_sino_profile(const float *sino, int64_t na, int64_t ns, int64_t nc,
                              const uint8_t *skip, float *profile, tsct_error *err)
{
    TSCT_TRY(check_dims(na, ns, nc, sino, "profile", err));
    if (!profile)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "profile", -1, "NULL output");
    for (int64_t i = 0; i < na * ns; i++) {
        const float *p = sino + i * nc;
        double t = 0.0;
        for (int64_t c = 0; c < nc; c++)
            if ((!skip || !skip[c]) && isfinite(p[c]))
                t += p[c];
        profile[i] = (float)t;
    }
    return TSCT_OK;
}

tsct_status tsct_sino_resample(const float *in, int64_t na, int64_t ns, int64_t nc,
                               const double *origin, int64_t ns_out, float *out, int nthreads,
                               tsct_error *err)
{
    TSCT_TRY(check_dims(na, ns, nc, in, "resample", err));
    TSCT_TRY(check_dims(na, ns_out, nc, out, "resample output", err));
    if (!origin)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "resample", -1, "NULL origin");
    for (int64_t a = 0; a < na; a++)
        if (!isfinite(origin[a]) || fabs(origin[a]) > 1e15)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "resample origin", a,
                                  "expected a finite shift, found %g", origin[a]);
    (void)nthreads;
#pragma omp parallel for schedule(static) num_threads(tsct_threads_resolve(nthreads))
    for (int64_t a = 0; a < na; a++) {
        const float *src = in + a * ns * nc;
        float *dst = out + a * ns_out * nc;
        for (int64_t j = 0; j < ns_out; j++) {
            /* numpy.interp(x, arange(ns), row, left=0, right=0) */
            const double x = origin[a] + (double)j;
            float *o = dst + j * nc;
            if (!(x >= 0.0) || x > (double)(ns - 1)) {
                memset(o, 0, (size_t)nc * sizeof *o);
                continue;
            }
            int64_t i = (int64_t)floor(x);
            if (i >= ns - 1)
                i = ns - 1;
            const double f = x - (double)i;
            const float *p = src + i * nc;
            if (f == 0.0 || i == ns - 1) {
                memcpy(o, p, (size_t)nc * sizeof *o);
                continue;
            }
            for (int64_t c = 0; c < nc; c++)
                o[c] = (float)((1.0 - f) * p[c] + f * p[nc + c]);
        }
    }
    return TSCT_OK;
}

tsct_status tsct_sino_com_shifts(const float *profile, int64_t na, int64_t ns, double *shift,
                                 tsct_error *err)
{
    TSCT_TRY(check_dims(na, ns, 1, profile, "centre of mass", err));
    if (!shift)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "centre of mass", -1, "NULL output");
    double com0 = 0.0;
    for (int64_t a = 0; a < na; a++) {
        double m = 0.0, ms = 0.0;
        for (int64_t s = 0; s < ns; s++) {
            m += profile[a * ns + s];
            ms += (double)s * profile[a * ns + s];
        }
        if (m == 0.0 || !isfinite(m) || !isfinite(ms))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "projection", a,
                                  "centre of mass undefined: the profile sums to %g", m);
        if (a == 0)
            com0 = ms / m;
        shift[a] = ms / m - com0;
    }
    return TSCT_OK;
}

/* ---- centre of rotation ----------------------------------------------------------------- */

static double wrap180(double d)
{
    d = fmod(d, 360.0);
    if (d > 180.0)
        d -= 360.0;
    if (d <= -180.0)
        d += 360.0;
    return d;
}

/* Vertex offset (in grid steps, within [-1, 1]) of the parabola through (-1, y0), (0, y1),
 * (1, y2); 0 if the three points are not convex. */
static double parabola_vertex(double y0, double y1, double y2)
{
    const double den = y0 - 2.0 * y1 + y2;
    if (!(den > 0.0))
        return 0.0;
    const double v = 0.5 * (y0 - y2) / den;
    return v < -1.0 ? -1.0 : v > 1.0 ? 1.0 : v;
}

/* PAIR cost at t = 2c for every candidate t[i] = t0 + i. */
static tsct_status pair_costs(const float *p, int64_t na, int64_t ns, const double *theta,
                              int64_t t0, int64_t nt, double *cost,
                              tsct_sino_centre_report *rep, int nthreads, tsct_error *err)
{
    double best = INFINITY;
    for (int64_t a = 0; a < na; a++)
        for (int64_t b = a + 1; b < na; b++)
            best = fmin(best, fabs(wrap180(theta[b] - theta[a] - 180.0)));
    int64_t *pairs = malloc((size_t)(2 * na) * sizeof *pairs), np = 0;
    if (!pairs)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "centre", -1, "pair list");
    /* every pair at the best mismatch, each projection used once */
    uint8_t *used = calloc((size_t)na, 1);
    for (int64_t a = 0; a < na && used; a++)
        for (int64_t b = a + 1; b < na; b++)
            if (!used[a] && !used[b] &&
                fabs(wrap180(theta[b] - theta[a] - 180.0)) <= best + 1e-6) {
                pairs[2 * np] = a;
                pairs[2 * np + 1] = b;
                used[a] = used[b] = 1;
                np++;
                break;
            }
    free(used);
    if (np == 0) {
        free(pairs);
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "angles", -1,
                              "no pair of projections to compare");
    }
    rep->mismatch_deg = best;
    rep->npairs = np;
    (void)nthreads;
#pragma omp parallel for schedule(dynamic, 4) num_threads(tsct_threads_resolve(nthreads))
    for (int64_t i = 0; i < nt; i++) {
        const int64_t t = t0 + i;
        /* overlap: 0 <= x < ns and 0 <= t - x < ns */
        const int64_t xlo = t - (ns - 1) > 0 ? t - (ns - 1) : 0;
        const int64_t xhi = t < ns - 1 ? t : ns - 1;
        double c = 0.0;
        for (int64_t k = 0; k < np; k++) {
            const float *pa = p + pairs[2 * k] * ns, *pb = p + pairs[2 * k + 1] * ns;
            double s = 0.0;
            for (int64_t x = xlo; x <= xhi; x++) {
                const double d = (double)pa[x] - (double)pb[t - x];
                s += d * d;
            }
            c += s / (double)(xhi - xlo + 1);
        }
        cost[i] = c;
    }
    free(pairs);
    return TSCT_OK;
}

int tsct__tomo_ranked_cmp(const void *x, const void *y)
{
    const tsct__tomo_ranked *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

/* VO metric at t = 2c for every candidate t = tv[i] (any real t: the mirror image is shifted
 * by a phase ramp, exact for whole t and band-limited interpolation between). */
static tsct_status vo_costs(const float *p, int64_t na, int64_t ns, const double *theta,
                            const tsct_sino_centre_params *prm, const double *tv, int64_t nt,
                            double *cost, tsct_sino_centre_report *rep, tsct_error *err)
{
    tsct__tomo_ranked *ord = malloc((size_t)na * sizeof *ord);
    if (!ord)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "centre", -1, "angle order");
    int64_t n1 = 0;
    for (int64_t a = 0; a < na; a++) {
        double k = fmod(theta[a] - theta[0], 360.0);
        if (k < 0.0)
            k += 360.0;
        if (k < 180.0 - 1e-9)
            ord[n1++] = (tsct__tomo_ranked){k, a};
    }
    qsort(ord, (size_t)n1, sizeof *ord, tsct__tomo_ranked_cmp);
    if (n1 < 2) {
        free(ord);
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "angles", -1,
                              "the Vo method needs >= 2 projections within 180 degrees of "
                              "the first, found %lld", (long long)n1);
    }
    rep->npairs = n1;
    const int64_t nrow = 2 * n1, W = 2 * ns, nk = W / 2 + 1;
    double *in = fftw_malloc((size_t)(nrow * W) * sizeof *in);
    fftw_complex *A = fftw_malloc((size_t)(nrow * nk) * sizeof *A);
    fftw_complex *B = fftw_malloc((size_t)(nrow * nk) * sizeof *B);
    int64_t *mrow = malloc((size_t)(nrow * nk) * sizeof *mrow);
    int64_t *mk = malloc((size_t)(nrow * nk) * sizeof *mk);
    if (!in || !A || !B || !mrow || !mk) {
        fftw_free(in);
        fftw_free(A);
        fftw_free(B);
        free(mrow);
        free(mk);
        free(ord);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "centre", -1, "Vo FFT of %lld x %lld",
                              (long long)nrow, (long long)W);
    }
    tsct__fftw_lock();
    fftw_plan plan = fftw_plan_dft_r2c_2d((int)nrow, (int)W, in, A, FFTW_ESTIMATE);
    tsct__fftw_unlock();
    /* A: the measured half on top, zeros below; B: its mirror image x -> -x (mod W) below. */
    memset(in, 0, (size_t)(nrow * W) * sizeof *in);
    for (int64_t r = 0; r < n1; r++)
        for (int64_t x = 0; x < ns; x++)
            in[r * W + x] = p[ord[r].index * ns + x];
    fftw_execute_dft_r2c(plan, in, A);
    memset(in, 0, (size_t)(nrow * W) * sizeof *in);
    for (int64_t r = 0; r < n1; r++)
        for (int64_t x = 0; x < ns; x++)
            in[(n1 + r) * W + (W - x) % W] = p[ord[r].index * ns + x];
    fftw_execute_dft_r2c(plan, in, B);
    tsct__fftw_lock();
    fftw_destroy_plan(plan);
    tsct__fftw_unlock();
    fftw_free(in);
    free(ord);

    /* Outside the double wedge: |n| W > 2 pi R |k|, |n| > drop, |k| >= 2. */
    const double R = prm->vo_ratio * 0.5 * (double)ns;
    int64_t drop = prm->vo_drop, dmax = (int64_t)ceil(0.05 * (double)nrow);
    if (drop > dmax)
        drop = dmax;
    int64_t nm = 0;
    double wsum = 0.0;
    for (int64_t r = 0; r < nrow; r++) {
        const int64_t n = r <= nrow / 2 ? r : r - nrow;
        if (llabs(n) <= drop)
            continue;
        for (int64_t k = 2; k < nk; k++)
            if ((double)llabs(n) * (double)W > 2.0 * M_PI * R * (double)k) {
                mrow[nm] = r;
                mk[nm] = k;
                wsum += (2 * k == W) ? 1.0 : 2.0;
                nm++;
            }
    }
    tsct_status st = TSCT_OK;
    if (nm == 0)
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "Vo mask", -1,
                            "no Fourier coefficient lies outside the double wedge (ratio %g, "
                            "%lld rows): use more angles or a larger ratio",
                            prm->vo_ratio, (long long)nrow);
    else {
#pragma omp parallel num_threads(tsct_threads_resolve(prm->nthreads))
        {
            double complex *ph = malloc((size_t)nk * sizeof *ph);
#pragma omp for schedule(dynamic, 2)
            for (int64_t i = 0; i < nt; i++) {
                if (!ph) {
                    cost[i] = NAN;
                    continue;
                }
                /* B shifted by t: mirror about c = t / 2 */
                const double t = tv[i];
                for (int64_t k = 0; k < nk; k++)
                    ph[k] = cexp(-2.0 * M_PI * I * (double)k * t / (double)W);
                double s = 0.0;
                for (int64_t m = 0; m < nm; m++) {
                    const int64_t e = mrow[m] * nk + mk[m];
                    /* complex.h comes before fftw3.h: fftw_complex is double complex */
                    s += ((2 * mk[m] == W) ? 1.0 : 2.0) * cabs(A[e] + B[e] * ph[mk[m]]);
                }
                cost[i] = s / wsum;
            }
            free(ph);
        }
        for (int64_t i = 0; i < nt; i++)
            if (isnan(cost[i]))
                st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "centre", -1, "phase table");
    }
    fftw_free(A);
    fftw_free(B);
    free(mrow);
    free(mk);
    return st;
}

tsct_status tsct_sino_centre_find(const float *profile, int64_t na, int64_t ns,
                                  const double *angles_deg,
                                  const tsct_sino_centre_params *params,
                                  tsct_sino_centre_report *report, tsct_error *err)
{
    const tsct_sino_centre_params defaults = TSCT_SINO_CENTRE_PARAMS_DEFAULT;
    const tsct_sino_centre_params *prm = params ? params : &defaults;
    TSCT_TRY(check_dims(na, ns, 1, profile, "centre", err));
    if (!angles_deg || !report)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "centre", -1, "NULL argument");
    if (na < 2 || ns < 8)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "centre", -1,
                              "expected >= 2 angles and >= 8 translations, found %lld x %lld",
                              (long long)na, (long long)ns);
    for (int64_t a = 0; a < na; a++)
        if (!isfinite(angles_deg[a]))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "angle", a,
                                  "expected a finite angle, found %g", angles_deg[a]);
    if (prm->method != TSCT_SINO_CENTRE_PAIR && prm->method != TSCT_SINO_CENTRE_VO)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "centre method", -1, "unknown %d",
                              (int)prm->method);
    if (prm->method == TSCT_SINO_CENTRE_VO && !(prm->vo_ratio > 0.0 && prm->vo_ratio <= 1.0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "Vo ratio", -1,
                              "expected 0 < ratio <= 1, found %g", prm->vo_ratio);
    double lo = prm->search_min, hi = prm->search_max;
    if (lo == 0.0 && hi == 0.0) {
        lo = 0.25 * (double)ns;
        hi = 0.75 * (double)ns;
    }
    if (!(lo >= 1.0 && hi <= (double)ns - 2.0 && hi - lo >= 1.0))
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "centre search range", -1,
                              "expected 1 <= min, max <= %lld, max - min >= 1; found %g .. %g",
                              (long long)(ns - 2), lo, hi);
    const int64_t t0 = (int64_t)ceil(2.0 * lo), t1 = (int64_t)floor(2.0 * hi);
    int64_t nt = t1 - t0 + 1;
    /* The Vo refinement below evaluates VO_FINE candidates into the same buffers, which a
     * narrow scan (8-19 translations) makes longer than the coarse grid. */
    enum { VO_FINE = 21 };
    const int64_t ncap = nt > VO_FINE ? nt : VO_FINE;
    double *cost = malloc((size_t)ncap * sizeof *cost);
    if (!cost)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "centre", -1, "%lld candidates",
                              (long long)nt);
    memset(report, 0, sizeof *report);
    double *tv = malloc((size_t)ncap * sizeof *tv);
    if (!tv) {
        free(cost);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "centre", -1, "%lld candidates",
                              (long long)nt);
    }
    for (int64_t i = 0; i < nt; i++)
        tv[i] = (double)(t0 + i);
    tsct_status st = prm->method == TSCT_SINO_CENTRE_PAIR
                         ? pair_costs(profile, na, ns, angles_deg, t0, nt, cost, report,
                                      prm->nthreads, err)
                         : vo_costs(profile, na, ns, angles_deg, prm, tv, nt, cost, report,
                                    err);
    int64_t best = 0;
    for (int64_t i = 1; st == TSCT_OK && i < nt; i++)
        if (cost[i] < cost[best])
            best = i;
    double t_best = tv[best], step = 1.0;
    /* VO: the metric is V-shaped; resample it at 1/10 of the half-bin grid around the best
     * candidate (fractional shifts by phase ramps) before the parabola. */
    if (st == TSCT_OK && prm->method == TSCT_SINO_CENTRE_VO && best > 0 && best < nt - 1) {
        const int64_t nf = VO_FINE;
        for (int64_t i = 0; i < nf; i++)
            tv[i] = t_best + 0.1 * (double)(i - nf / 2);
        st = vo_costs(profile, na, ns, angles_deg, prm, tv, nf, cost, report, err);
        nt = nf;
        best = nf / 2;
        for (int64_t i = 0; st == TSCT_OK && i < nf; i++)
            if (cost[i] < cost[best])
                best = i;
        t_best = tv[best];
        step = 0.1;
    }
    if (st == TSCT_OK) {
        double off = 0.0;
        if (best > 0 && best < nt - 1)
            off = parabola_vertex(cost[best - 1], cost[best], cost[best + 1]);
        report->centre = 0.5 * (t_best + step * off);
        report->metric = cost[best];
        if (!isfinite(cost[best]))
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "centre", -1,
                                "the cost is not finite: NaN or infinite values in the profile");
    }
    free(tv);
    free(cost);
    return st;
}

int64_t tsct_sino_centre_crop_width(int64_t ns, double centre)
{
    const double h = fmin(centre, (double)(ns - 1) - centre);
    if (!(h >= 0.0))
        return 1;
    return 2 * (int64_t)floor(h) + 1;
}

double tsct_sino_centre_origin(double centre, int64_t ns_out)
{
    return centre - (double)(ns_out / 2);
}

/* ---- downsampling, bad channels, zingers ------------------------------------------------ */

tsct_status tsct_sino_downsample(const float *in, int64_t na, int64_t ns, int64_t nc,
                                 int64_t fs, int64_t fc, float *out, tsct_error *err)
{
    TSCT_TRY(check_dims(na, ns, nc, in, "downsample", err));
    if (fs < 1 || fc < 1 || fs > ns || fc > nc)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "downsample", -1,
                              "expected factors 1 .. %lld (translations) and 1 .. %lld "
                              "(channels), found %lld and %lld",
                              (long long)ns, (long long)nc, (long long)fs, (long long)fc);
    if (!out)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "downsample", -1, "NULL output");
    const int64_t ms = ns / fs, mc = nc / fc;
    const double w = 1.0 / (double)(fs * fc);
    for (int64_t a = 0; a < na; a++)
        for (int64_t j = 0; j < ms; j++)
            for (int64_t k = 0; k < mc; k++) {
                double s = 0.0;
                for (int64_t u = 0; u < fs; u++) {
                    const float *p = in + (a * ns + j * fs + u) * nc + k * fc;
                    for (int64_t v = 0; v < fc; v++)
                        s += p[v];
                }
                out[(a * ms + j) * mc + k] = (float)(s * w);
            }
    return TSCT_OK;
}

static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

tsct_status tsct_sino_bad_channels_find(const double *total, const int64_t *nonfinite,
                                        int64_t nc, double threshold, uint8_t *bad,
                                        int64_t *nbad, tsct_error *err)
{
    if (!total || !bad || nc < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "bad channels", -1,
                              "NULL array or no channels");
    if (!(threshold > 0.0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "bad channel threshold", -1,
                              "expected > 0, found %g", threshold);
    enum { HALF = 5 };
    double win[2 * HALF + 1], dev[2 * HALF + 1];
    int64_t count = 0;
    for (int64_t c = 0; c < nc; c++) {
        int64_t lo = c - HALF < 0 ? 0 : c - HALF, hi = c + HALF >= nc ? nc - 1 : c + HALF;
        int64_t n = 0;
        for (int64_t k = lo; k <= hi; k++)
            win[n++] = total[k];
        qsort(win, (size_t)n, sizeof *win, cmp_double);
        const double med = n % 2 ? win[n / 2] : 0.5 * (win[n / 2 - 1] + win[n / 2]);
        for (int64_t k = 0; k < n; k++)
            dev[k] = fabs(win[k] - med);
        qsort(dev, (size_t)n, sizeof *dev, cmp_double);
        const double mad = n % 2 ? dev[n / 2] : 0.5 * (dev[n / 2 - 1] + dev[n / 2]);
        const double d = fabs(total[c] - med);
        const int b = (nonfinite && nonfinite[c] > 0) || !isfinite(total[c]) ||
                      (mad > 0.0 ? d > threshold * 1.4826 * mad : d > 1e-6 * fabs(med));
        bad[c] = (uint8_t)b;
        count += b;
    }
    if (nbad)
        *nbad = count;
    return TSCT_OK;
}

tsct_status tsct_sino_bad_channels_fix(float *data, int64_t npat, int64_t nc,
                                       const uint8_t *bad, tsct_error *err)
{
    TSCT_TRY(check_dims(npat, nc, 1, data, "bad channels", err));
    if (!bad)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "bad channels", -1, "NULL mask");
    int64_t ngood = 0;
    for (int64_t c = 0; c < nc; c++)
        ngood += !bad[c];
    if (ngood == 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "bad channels", -1,
                              "all %lld channels are bad", (long long)nc);
    for (int64_t c = 0; c < nc; c++) {
        if (!bad[c])
            continue;
        int64_t l = c - 1, r = c + 1;
        while (l >= 0 && bad[l])
            l--;
        while (r < nc && bad[r])
            r++;
        for (int64_t i = 0; i < npat; i++) {
            float *p = data + i * nc;
            if (l < 0)
                p[c] = p[r];
            else if (r >= nc)
                p[c] = p[l];
            else {
                const double f = (double)(c - l) / (double)(r - l);
                p[c] = (float)((1.0 - f) * p[l] + f * p[r]);
            }
        }
    }
    return TSCT_OK;
}

/* k-th smallest of v[0 .. n-1] (reorders v; Hoare's selection): the zinger filter here
 * and the ring filter (tomo_rings.c). */
float tsct__tomo_select_kth(float *v, int64_t n, int64_t k)
{
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        const float pivot = v[lo + (hi - lo) / 2];
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                const float t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

tsct_status tsct_sino_zingers(float *sino, int64_t na, int64_t ns, int64_t nc,
                              double threshold, int nthreads, int64_t *nfixed,
                              tsct_error *err)
{
    TSCT_TRY(check_dims(na, ns, nc, sino, "zingers", err));
    if (!(threshold > 0.0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "zinger threshold", -1,
                              "expected > 0, found %g", threshold);
    const int64_t n = na * ns;
    int64_t fixed = 0, failed = 0;
#pragma omp parallel num_threads(tsct_threads_resolve(nthreads)) reduction(+ : fixed, failed)
    {
        float *med = malloc((size_t)n * sizeof *med), *res = malloc((size_t)n * sizeof *res);
        float *loc = malloc((size_t)n * sizeof *loc);
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = 0; c < nc; c++) {
            if (!med || !res || !loc) {
                failed++;
                continue;
            }
            for (int64_t a = 0; a < na; a++)
                for (int64_t s = 0; s < ns; s++) {
                    float w[9];
                    int m = 0;
                    for (int64_t da = -1; da <= 1; da++)
                        for (int64_t ds = -1; ds <= 1; ds++) {
                            const int64_t aa = a + da, ss = s + ds;
                            if (aa >= 0 && aa < na && ss >= 0 && ss < ns)
                                w[m++] = sino[(aa * ns + ss) * nc + c];
                        }
                    const float md = tsct__tomo_select_kth(w, m, m / 2);
                    /* local spread: a smooth peak's curvature is not a zinger */
                    for (int k = 0; k < m; k++)
                        w[k] = fabsf(w[k] - md);
                    med[a * ns + s] = md;
                    res[a * ns + s] = sino[(a * ns + s) * nc + c] - md;
                    loc[a * ns + s] = 1.4826f * tsct__tomo_select_kth(w, m, m / 2);
                }
            float rmed = tsct__tomo_select_kth(res, n, n / 2);
            for (int64_t i = 0; i < n; i++)
                res[i] = fabsf(sino[i * nc + c] - med[i] - rmed);
            const double sigma0 = 1.4826 * tsct__tomo_select_kth(res, n, n / 2);
            for (int64_t i = 0; i < n; i++) {
                const double r = (double)sino[i * nc + c] - med[i];
                const double sigma = fmax(sigma0, (double)loc[i]);
                if (sigma > 0.0 ? r > threshold * sigma : r > 1e-6 * fabs((double)med[i])) {
                    sino[i * nc + c] = med[i];
                    fixed++;
                }
            }
        }
        free(med);
        free(res);
        free(loc);
    }
    if (failed)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "zingers", -1,
                              "scratch of %lld floats per thread", (long long)(3 * n));
    if (nfixed)
        *nfixed = fixed;
    return TSCT_OK;
}

/* ---- absorption CT ---------------------------------------------------------------------- */

tsct_status tsct_sino_flat_dark(float *data, int64_t n, const float *flat, const float *dark,
                                int64_t *nbad, tsct_error *err)
{
    if (!data || !flat || n < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "flat field", -1,
                              "NULL array or no values");
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++) {
        const double d = dark ? dark[i] : 0.0, den = (double)flat[i] - d;
        if (den > 0.0)
            data[i] = (float)(((double)data[i] - d) / den);
        else {
            data[i] = NAN;
            bad++;
        }
    }
    if (nbad)
        *nbad = bad;
    return TSCT_OK;
}

tsct_status tsct_sino_neglog(float *data, int64_t n, double floor_value, int64_t *nclamped,
                             tsct_error *err)
{
    if (!data || n < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "-log", -1, "NULL array or no values");
    if (!(floor_value > 0.0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "-log floor", -1,
                              "expected > 0, found %g", floor_value);
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = data[i];
        if (v < floor_value) {
            v = floor_value;
            k++;
        }
        data[i] = (float)-log(v);
    }
    if (nclamped)
        *nclamped = k;
    return TSCT_OK;
}
