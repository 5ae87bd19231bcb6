/* sim_project.c - exact line integrals through a pixel grid along a pencil beam of finite
 * width: the scan forward model of the simulator (see include/tsct/simulate.h).
 *
 * Each ray is traced with Siddon's method (R. L. Siddon, "Fast calculation of the exact
 * radiological path for a three-dimensional CT array", Med. Phys. 12 (1985) 252): the
 * parameters at which the ray crosses the vertical and the horizontal grid lines are two
 * monotone sequences; merging them cuts the ray into segments that each lie in one pixel, and
 * the line integral is the sum of segment length x pixel value, exact for a pixelated image.
 * A beam of finite width is sampled by sub-rays across it, weighted by the beam profile.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "sim_internal.h"
#include "tsct/simulate.h"
#include "tsct/threads.h"
#include "tsct_config.h"

#if TSCT_HAVE_OPENMP
#include <omp.h>
#endif

/* The ray: points p(l) = (x, y) = (t cos, -t sin) + l (sin, cos), in pixel units with the
 * origin at the centre of pixel (n/2, n/2), x along columns and y along rows. Pixel (i, k)
 * covers x in [k - h - 1/2, k - h + 1/2], y in [i - h - 1/2, i - h + 1/2], h = n/2. */
struct ray {
    double x0, y0, dx, dy;
};

static struct ray make_ray(double c, double s, double t)
{
    struct ray r = {t * c, -t * s, s, c};
    return r;
}

/* Parameter interval [lo, hi] of the ray inside the slab a <= p0 + l d <= b. Returns 0 if the
 * ray misses it. */
static int clip(double p0, double d, double a, double b, double *lo, double *hi)
{
    if (fabs(d) < 1e-12) {
        if (p0 < a || p0 > b)
            return 0;
        *lo = -INFINITY;
        *hi = INFINITY;
        return 1;
    }
    double la = (a - p0) / d, lb = (b - p0) / d;
    *lo = fmin(la, lb);
    *hi = fmax(la, lb);
    return 1;
}

int64_t tsct__sim_ray_segments(int64_t n, double x0, double y0, double dx, double dy,
                               int64_t *voxel, double *l0, double *len)
{
    const double h = (double)(n / 2);
    const double g0 = -h - 0.5, g1 = (double)n - h - 0.5;  /* grid bounds in x and y */
    double lx0, lx1, ly0, ly1;
    if (!clip(x0, dx, g0, g1, &lx0, &lx1) || !clip(y0, dy, g0, g1, &ly0, &ly1))
        return 0;
    double lmin = fmax(lx0, ly0), lmax = fmin(lx1, ly1);
    if (!(lmax > lmin))
        return 0;
    /* Next grid-line crossings in x and y after lmin, and the steps between them. */
    double step_x = fabs(dx) > 1e-12 ? 1.0 / fabs(dx) : INFINITY;
    double step_y = fabs(dy) > 1e-12 ? 1.0 / fabs(dy) : INFINITY;
    double next_x = INFINITY, next_y = INFINITY;
    double xs = x0 + lmin * dx, ys = y0 + lmin * dy;
    if (step_x < INFINITY) {
        double line = dx > 0 ? floor(xs - g0 + 1e-12) + 1 : ceil(xs - g0 - 1e-12) - 1;
        next_x = (line + g0 - x0) / dx;
    }
    if (step_y < INFINITY) {
        double line = dy > 0 ? floor(ys - g0 + 1e-12) + 1 : ceil(ys - g0 - 1e-12) - 1;
        next_y = (line + g0 - y0) / dy;
    }
    int64_t m = 0;
    double l = lmin;
    while (l < lmax && m < 2 * n + 2) {
        double lnext = fmin(fmin(next_x, next_y), lmax);
        double seg = lnext - l;
        if (seg > 0) {
            double lm = 0.5 * (l + lnext);
            int64_t k = (int64_t)floor(x0 + lm * dx - g0);
            int64_t i = (int64_t)floor(y0 + lm * dy - g0);
            if (i >= 0 && i < n && k >= 0 && k < n) {
                voxel[m] = i * n + k;
                l0[m] = l;
                len[m] = seg;
                m++;
            }
        }
        if (lnext == next_x)
            next_x += step_x;
        if (lnext == next_y)
            next_y += step_y;
        l = lnext;
    }
    return m;
}

/* Trace one ray and add weight * (length x image) for every pixel crossed to out[nc]; seg:
 * room for 2n + 2 segments (voxel indices, then starts and lengths as doubles). */
static void trace(const float *image, int64_t n, int64_t nc, const struct ray *r, double weight,
                  int64_t *vox, double *l0, double *len, double *out)
{
    int64_t m = tsct__sim_ray_segments(n, r->x0, r->y0, r->dx, r->dy, vox, l0, len);
    for (int64_t s = 0; s < m; s++) {
        const float *px = image + vox[s] * nc;
        double wl = weight * len[s];
        for (int64_t c = 0; c < nc; c++)
            out[c] += wl * px[c];
    }
}

double tsct_sim_chord(int64_t n, int64_t i, int64_t k, double theta_deg, double t)
{
    if (n < 1 || i < 0 || k < 0 || i >= n || k >= n)
        return 0.0;
    double th = theta_deg * (M_PI / 180.0);
    struct ray r = make_ray(cos(th), sin(th), t);
    /* A one-pixel image with a single channel picks out that pixel's length. */
    double h = (double)(n / 2);
    double lx0, lx1, ly0, ly1;
    if (!clip(r.x0, r.dx, k - h - 0.5, k - h + 0.5, &lx0, &lx1) ||
        !clip(r.y0, r.dy, i - h - 0.5, i - h + 0.5, &ly0, &ly1))
        return 0.0;
    double len = fmin(lx1, ly1) - fmax(lx0, ly0);
    return len > 0 ? len : 0.0;
}

/* Offsets (pixels) and weights of the sub-rays across the beam (sim_internal.h). */
int tsct__sim_beam_samples(const tsct_sim_beam *b, double *u, double *w)
{
    if (b->width <= 0 || b->nsub <= 1) {
        u[0] = 0;
        w[0] = 1;
        return 1;
    }
    int m = b->nsub;
    double sum = 0;
    for (int j = 0; j < m; j++) {
        double f = (j + 0.5) / m - 0.5;  /* -1/2 .. 1/2 */
        if (b->profile == TSCT_SIM_BEAM_GAUSSIAN) {
            double sigma = b->width / (2.0 * sqrt(2.0 * log(2.0)));
            u[j] = 3.0 * b->width * f;  /* +-1.5 FWHM */
            w[j] = exp(-0.5 * u[j] * u[j] / (sigma * sigma));
        } else {
            u[j] = b->width * f;
            w[j] = 1.0;
        }
        sum += w[j];
    }
    for (int j = 0; j < m; j++)
        w[j] /= sum;
    return m;
}

/* tsct_sim_project with translations `step` voxels apart and the beam's width scaled by it. */
static tsct_status project(const float *image, int64_t n, int64_t nc, const double *angles_deg,
                           int64_t na, int64_t ns, const tsct_sim_beam *beam, double step,
                           int nthreads, float *sino, tsct_error *err)
{
    static const tsct_sim_beam thin = {0, TSCT_SIM_BEAM_TOPHAT, 1};
    tsct_sim_beam scaled = beam ? *beam : thin;
    if (!(step > 0) || !isfinite(step) || step > 1e4)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "translation step", -1,
                              "%g voxels: expected 0 < step <= 10000", step);
    scaled.width *= step;
    const tsct_sim_beam *b = &scaled;
    if (n < 1 || nc < 1 || na < 1 || ns < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "projection", -1,
                              "sizes must be >= 1: n %lld, channels %lld, angles %lld, "
                              "translations %lld",
                              (long long)n, (long long)nc, (long long)na, (long long)ns);
    if (!(b->width >= 0) || !isfinite(b->width) || b->nsub < 1 || b->nsub > 4096)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "beam", -1,
                              "width %g must be >= 0 and sub-rays %d in 1..4096", b->width,
                              b->nsub);
    for (int64_t a = 0; a < na; a++)
        if (!isfinite(angles_deg[a]))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "angles", a,
                                  "angle is not a finite number");
    double *u = malloc((size_t)b->nsub * sizeof *u), *w = malloc((size_t)b->nsub * sizeof *w);
    int nt = tsct_threads_resolve(nthreads);
    double *acc = malloc((size_t)nt * (size_t)nc * sizeof *acc);
    const size_t nseg = (size_t)(2 * n + 2);
    int64_t *vox = malloc((size_t)nt * nseg * sizeof *vox);
    double *segs = malloc((size_t)nt * 2 * nseg * sizeof *segs);
    if (!u || !w || !acc || !vox || !segs) {
        free(u);
        free(w);
        free(acc);
        free(vox);
        free(segs);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "projection", -1, "work arrays");
    }
    int m = tsct__sim_beam_samples(b, u, w);
    const double s_axis = (double)(ns / 2);

#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int64_t a = 0; a < na; a++) {
        const size_t id = (size_t)tsct__thread_id();
        double *out = acc + id * (size_t)nc;
        int64_t *tv = vox + id * nseg;
        double *tl0 = segs + id * 2 * nseg, *tlen = tl0 + nseg;
        double th = angles_deg[a] * (M_PI / 180.0);
        double c = cos(th), s = sin(th);
        for (int64_t j = 0; j < ns; j++) {
            memset(out, 0, (size_t)nc * sizeof *out);
            for (int q = 0; q < m; q++) {
                struct ray r = make_ray(c, s, ((double)j - s_axis) * step + u[q]);
                trace(image, n, nc, &r, w[q], tv, tl0, tlen, out);
            }
            float *dst = sino + (a * ns + j) * nc;
            for (int64_t ch = 0; ch < nc; ch++)
                dst[ch] = (float)out[ch];
        }
    }
    free(u);
    free(w);
    free(acc);
    free(vox);
    free(segs);
    return TSCT_OK;
}

tsct_status tsct_sim_project(const float *image, int64_t n, int64_t nc, const double *angles_deg,
                             int64_t na, int64_t ns, const tsct_sim_beam *beam, int nthreads,
                             float *sino, tsct_error *err)
{
    return project(image, n, nc, angles_deg, na, ns, beam, 1.0, nthreads, sino, err);
}

tsct_status tsct_sim_scan_patterns(const tsct_sim_scan *scan, const float *fractions, int64_t n,
                                   int64_t nc, const float *patterns, int64_t nq,
                                   const double *mu, const float *monitor, float *data,
                                   float *noiseless_sino, tsct_error *err)
{
    const int64_t na = scan->na, ns = scan->ns;
    if (nq < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "patterns", -1,
                              "%lld channels, expected >= 1", (long long)nq);
    for (int64_t k = 0; k < nc * nq; k++)
        if (!isfinite(patterns[k]))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "patterns", k,
                                  "pattern value is not finite");
    for (int64_t c = 0; mu && c < nc; c++)
        if (!isfinite(mu[c]) || mu[c] < 0)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "mu", c,
                                  "attenuation %g 1/mm: expected finite and >= 0", mu[c]);
    float *proj = noiseless_sino;
    if (!proj && !(proj = malloc((size_t)(na * ns * nc) * sizeof *proj)))
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "scan", -1, "projections");
    tsct_status st = project(fractions, n, nc, scan->angles_deg, na, ns, &scan->beam,
                             scan->step == 0 ? 1.0 : scan->step, scan->nthreads, proj, err);
    if (st == TSCT_OK) {
        int nt = tsct_threads_resolve(scan->nthreads);
        (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
        for (int64_t a = 0; a < na; a++)
            for (int64_t j = 0; j < ns; j++) {
                const float *pf = proj + (a * ns + j) * nc;
                double T = 1.0;
                if (mu) {
                    double path = 0;
                    for (int64_t c = 0; c < nc; c++)
                        path += mu[c] * pf[c];
                    T = exp(-path * scan->voxel_mm);
                }
                const double scale = (monitor ? monitor[a * ns + j] : 1.0) * T;
                /* Snake scans record odd rows backwards. */
                int64_t jj = scan->zigzag && (a % 2) ? ns - 1 - j : j;
                if (scan->diode)
                    scan->diode[a * ns + jj] = (float)T;
                float *dst = data + (a * ns + jj) * nq;
                for (int64_t q = 0; q < nq; q++) {
                    double v = 0;
                    for (int64_t c = 0; c < nc; c++)
                        v += pf[c] * patterns[c * nq + q];
                    dst[q] = (float)(scale * v);
                }
            }
    }
    if (proj != noiseless_sino)
        free(proj);
    return st;
}
