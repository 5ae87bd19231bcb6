/* calib_points.c - control points along the calibrant rings (include/tsct/calibrate.h, step 2).
 *
 * A line of constant azimuth chi on a flat detector is straight (the half-plane through the
 * beam axis at chi meets the detector plane in a line), so the image is sampled across a
 * ring along the straight segment between the pixels of 2theta_ring - w and 2theta_ring + w at
 * that chi, every quarter pixel, bilinearly between pixel centres; the sub-pixel position is
 * a point of that segment, and its 2theta under any other geometry follows from its pixel
 * coordinates alone.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calib_internal.h"
#include "tsct/geometry.h"

#define MAX_SAMPLES 1024

void tsct__calib_tth_range(const tsct_poni *g, int64_t rows, int64_t cols, double *tmin,
                           double *tmax)
{
    double lo = INFINITY, hi = 0;
    for (int64_t i = 0;; i = i + 8 < rows ? i + 8 : rows) {
        for (int64_t j = 0;; j = j + 8 < cols ? j + 8 : cols) {
            double t[3];
            tsct_geometry_point(g, (double)i, (double)j, t);
            double tth = atan2(sqrt(t[0] * t[0] + t[1] * t[1]), t[2]);
            lo = fmin(lo, tth), hi = fmax(hi, tth);
            if (j == cols)
                break;
        }
        if (i == rows)
            break;
    }
    /* The beam itself may hit the detector: then 2theta reaches 0 inside. */
    double d1, d2;
    if (tsct_geometry_pixel_of(g, 0, 0, &d1, &d2) && d1 >= 0 && d1 <= rows && d2 >= 0 &&
        d2 <= cols)
        lo = 0;
    *tmin = lo, *tmax = hi;
}

/* Bilinear value at fractional pixel coordinates (pixel centres at i + 0.5); 0 and *ok = 0
 * when a neighbour is outside or invalid. */
static double sample(const calib_image *im, double d1, double d2, int *ok)
{
    const double y = d1 - 0.5, x = d2 - 0.5;
    const double fy = floor(y), fx = floor(x);
    const int64_t i = (int64_t)fy, j = (int64_t)fx;
    if (!(fy >= 0 && fx >= 0 && i + 1 < im->rows && j + 1 < im->cols)) {
        *ok = 0;
        return 0;
    }
    const int64_t k = i * im->cols + j;
    if (!(im->valid[k] && im->valid[k + 1] && im->valid[k + im->cols] &&
          im->valid[k + im->cols + 1])) {
        *ok = 0;
        return 0;
    }
    const double u = y - fy, v = x - fx;
    return (1 - u) * ((1 - v) * im->data[k] + v * im->data[k + 1]) +
           u * ((1 - v) * im->data[k + im->cols] + v * im->data[k + im->cols + 1]);
}

static tsct_status push(calib_points *pts, const tsct_calibrate_point *p, tsct_error *err)
{
    if (pts->n == pts->cap) {
        int64_t cap = pts->cap ? 2 * pts->cap : 4096;
        tsct_calibrate_point *q = realloc(pts->p, (size_t)cap * sizeof *q);
        if (!q)
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "control points", -1,
                                  "%lld points", (long long)cap);
        pts->p = q, pts->cap = cap;
    }
    pts->p[pts->n++] = *p;
    return TSCT_OK;
}

/* The peak across one ring: samples v[n] along the segment; the samples lo .. hi above half
 * the peak's height over a linear background through the window's ends, with their heights
 * above half maximum in w[] (0 .. n - 1). Returns the peak height, or -1 when there is no
 * peak: too weak, at the window's edge, or as wide as the window (background structure). */
static double peak_across(const double *v, int n, double min_snr, int *lo_out, int *hi_out,
                          double *w)
{
    const int e = n >= 24 ? 3 : 2;
    double a = 0, b = 0;
    for (int s = 0; s < e; s++)
        a += v[s], b += v[n - 1 - s];
    a /= e, b /= e;
    const double slope = (b - a) / (n - e), at0 = (e - 1) / 2.0;
    int imax = -1;
    double hmax = -INFINITY;
    for (int s = 0; s < n; s++) {
        w[s] = v[s] - (a + slope * (s - at0));
        if (w[s] > hmax)
            hmax = w[s], imax = s;
    }
    if (imax < e || imax > n - 1 - e)
        return -1;
    const double bgmax = a + slope * (imax - at0);
    if (!(hmax > min_snr * sqrt(fmax(bgmax, 1.0))))
        return -1;
    int lo = imax, hi = imax;
    while (lo > 0 && w[lo - 1] >= hmax / 2)
        lo--;
    while (hi < n - 1 && w[hi + 1] >= hmax / 2)
        hi++;
    if (lo == 0 || hi == n - 1 || hi - lo > (n * 2) / 3)
        return -1;
    /* Weights above half maximum: continuous where samples enter or leave the region, so the
     * centroid moves smoothly with the ring's sub-pixel position. */
    for (int s = lo; s <= hi; s++)
        w[s] -= hmax / 2;
    *lo_out = lo, *hi_out = hi;
    return hmax;
}

tsct_status tsct__calib_pick(const calib_image *im, const tsct_poni *g, const tsct_calibrant *cal,
                             const tsct_calibrate_params *P, double window_px,
                             calib_points *pts, tsct_error *err)
{
    pts->n = 0;
    const double lambda = g->wavelength * 1e10;
    double tmin, tmax;
    tsct__calib_tth_range(g, im->rows, im->cols, &tmin, &tmax);
    const double pix = 0.5 * (g->pixel1 + g->pixel2);
    int nused = 0;
    double v[MAX_SAMPLES], wt[MAX_SAMPLES], s1[MAX_SAMPLES], s2[MAX_SAMPLES], st[MAX_SAMPLES];
    for (int64_t r = 0; r < cal->count; r++) {
        const double tth = tsct_calibrant_tth(cal->rings[r].d, lambda);
        if (!isfinite(tth) || tth <= tmin || tth >= tmax || tth > 1.5)
            continue;
        if (P->max_rings > 0 && nused >= P->max_rings)
            break;
        nused++;
        /* Angle per pixel across the ring at normal incidence: cos^2(2theta) pixel / dist. */
        const double cs = cos(tth);
        const double apx = cs * cs * pix / g->dist;
        double gap = INFINITY;
        if (r > 0)
            gap = fmin(gap, tth - tsct_calibrant_tth(cal->rings[r - 1].d, lambda));
        if (r + 1 < cal->count && isfinite(tsct_calibrant_tth(cal->rings[r + 1].d, lambda)))
            gap = fmin(gap, tsct_calibrant_tth(cal->rings[r + 1].d, lambda) - tth);
        double w = fmin(window_px * apx, 0.45 * gap);
        if (w < 3.0 * apx)
            continue;  /* too close to a neighbour to tell them apart */
        w = fmin(w, fmin(tth, 1.5 - tth));
        /* Azimuth step for `spacing` pixels of arc on a circle of the ring's radius. */
        const double radius_px = g->dist * tan(tth) / pix;
        const double dchi = P->spacing / fmax(radius_px, 1.0);
        const int64_t nchi = (int64_t)ceil(2 * M_PI / dchi);
        for (int64_t c = 0; c < nchi; c++) {
            const double chi = -M_PI + (c + 0.5) * (2 * M_PI / nchi);
            double a1, a2, b1, b2;
            if (!tsct_geometry_pixel_of(g, tth - w, chi, &a1, &a2) ||
                !tsct_geometry_pixel_of(g, tth + w, chi, &b1, &b2))
                continue;
            /* Cheap rejection: both ends and the middle outside the detector. */
            if ((a1 < 0 && b1 < 0) || (a2 < 0 && b2 < 0) || (a1 > im->rows && b1 > im->rows) ||
                (a2 > im->cols && b2 > im->cols))
                continue;
            const double len = hypot(b1 - a1, b2 - a2);
            int n = (int)ceil(len * 4) + 1;
            if (n < 9)
                n = 9;
            if (n > MAX_SAMPLES)
                n = MAX_SAMPLES;
            int ok = 1;
            for (int s = 0; s < n && ok; s++) {
                const double f = (double)s / (n - 1);
                v[s] = sample(im, a1 + f * (b1 - a1), a2 + f * (b2 - a2), &ok);
            }
            if (!ok)
                continue;
            int lo, hi;
            const double height = peak_across(v, n, P->min_snr, &lo, &hi, wt);
            if (height < 0)
                continue;
            /* The centroid in 2theta, not along the line: a ring symmetric in 2theta is skewed
             * in pixels at high angles. Each sample weighs with its share of 2theta. */
            const int m = hi - lo + 3;
            for (int k = 0; k < m; k++) {
                const double f = (double)(lo - 1 + k) / (n - 1);
                s1[k] = a1 + f * (b1 - a1), s2[k] = a2 + f * (b2 - a2);
            }
            tsct_geometry_tth_points(g, m, s1, s2, st);
            double sw = 0, stt = 0;
            for (int k = 1; k < m - 1; k++) {
                const double share = 0.5 * fabs(st[k + 1] - st[k - 1]) * wt[lo - 1 + k];
                sw += share, stt += share * st[k];
            }
            if (!(sw > 0))
                continue;
            const double tc = stt / sw;
            /* Back to the line: 2theta is monotonic along it within the window. */
            int k = 1;
            while (k < m - 2 && (st[k + 1] - tc) * (st[m - 1] - st[0]) < 0)
                k++;
            const double u = st[k + 1] != st[k] ? (tc - st[k]) / (st[k + 1] - st[k]) : 0;
            const double f = (lo - 1 + k + u) / (n - 1);
            tsct_calibrate_point p = {a1 + f * (b1 - a1), a2 + f * (b2 - a2), r, NAN,
                                      (float)height};
            TSCT_TRY(push(pts, &p, err));
        }
    }
    return TSCT_OK;
}
