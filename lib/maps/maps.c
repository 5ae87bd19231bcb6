/* maps.c - map plans (windows, values, totals), thresholds, morphology, components, ROIs,
 * region sums and the Euclidean distance transform (see include/tsct/maps.h).
 *
 * Peer conventions followed exactly where users compare with them: numpy's percentile
 * (linear), scikit-image's threshold_otsu (256-bin histogram over [min, max]), binary erosion
 * and dilation (disk footprints; erosion with the border set, dilation with it clear),
 * remove_small_objects, and scipy's distance_transform_edt.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/maps.h"
#include "tsct/threads.h"

struct tsct_maps_plan {
    int64_t first, count;  /* bins first .. first + count - 1 */
    double *w;             /* their weights */
    char describe[256];
};

void tsct_maps_plan_destroy(tsct_maps_plan *p)
{
    if (!p)
        return;
    free(p->w);
    free(p);
}

const char *tsct_maps_plan_describe(const tsct_maps_plan *p)
{
    return p->describe;
}

/* Trapezoid weights of bins a..b (inclusive) of x, added into w (indexed from a). */
static void trapezoid(const double *x, int64_t a, int64_t b, double scale, double *w)
{
    for (int64_t j = a; j < b; j++) {
        double h = 0.5 * (x[j + 1] - x[j]) * scale;
        w[j - a] += h;
        w[j + 1 - a] += h;
    }
}

tsct_status tsct_maps_plan_create(const tsct_maps_def *def, const double *x, int64_t nx,
                                  tsct_maps_plan **out, tsct_error *err)
{
    *out = NULL;
    const char *name = def->name[0] ? def->name : "map";
    if (nx < 2)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1,
                              "the pattern axis has %lld points", (long long)nx);
    for (int64_t j = 1; j < nx; j++)
        if (!(x[j] > x[j - 1]))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, j,
                                  "the pattern axis must increase (%g after %g)", x[j],
                                  x[j - 1]);
    if (!isfinite(def->lo) || !isfinite(def->hi))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1, "limits must be finite");
    tsct_maps_plan *p = calloc(1, sizeof *p);
    if (!p)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, name, -1, "plan");
    tsct_status st = TSCT_OK;
    if (def->kind == TSCT_MAPS_TOTAL) {
        p->first = 0;
        p->count = nx;
        p->w = malloc((size_t)nx * sizeof *p->w);
        if (p->w)
            for (int64_t j = 0; j < nx; j++)
                p->w[j] = 1.0;
        snprintf(p->describe, sizeof p->describe, "total intensity: sum over all %lld bins",
                 (long long)nx);
    } else if (def->kind == TSCT_MAPS_WINDOW) {
        if (!(def->hi > def->lo)) {
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1,
                                "window %g..%g is empty", def->lo, def->hi);
            goto fail;
        }
        int64_t a = 0, b = nx - 1;
        while (a < nx && x[a] < def->lo)
            a++;
        while (b >= 0 && x[b] > def->hi)
            b--;
        if (b - a + 1 < 2) {
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1,
                                "window %g..%g holds %lld bins of the axis %g..%g (at least 2 "
                                "needed)",
                                def->lo, def->hi, (long long)(b >= a ? b - a + 1 : 0), x[0],
                                x[nx - 1]);
            goto fail;
        }
        p->first = a;
        p->count = b - a + 1;
        p->w = calloc((size_t)p->count, sizeof *p->w);
        if (!p->w)
            goto nomem;
        trapezoid(x, a, b, 1.0, p->w);
        if (def->background) {
            /* Integral of the line through (x_a, I_a) and (x_b, I_b) over [x_a, x_b]:
             * (I_a + I_b) / 2 * (x_b - x_a), removed from the edge weights. */
            double half = 0.5 * (x[b] - x[a]);
            p->w[0] -= half;
            p->w[p->count - 1] -= half;
        }
        snprintf(p->describe, sizeof p->describe,
                 "peak area %g-%g (%lld bins, trapezoid rule)%s", def->lo, def->hi,
                 (long long)p->count,
                 def->background ? " minus the linear background through the window edges"
                                 : ", no background");
    } else if (def->kind == TSCT_MAPS_VALUE) {
        double lo = def->lo - fmax(def->hi, 0), hi = def->lo + fmax(def->hi, 0);
        if (lo < x[0] || hi > x[nx - 1]) {
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1,
                                "%g +- %g lies outside the axis %g..%g", def->lo,
                                fmax(def->hi, 0), x[0], x[nx - 1]);
            goto fail;
        }
        if (def->hi <= 0) {
            int64_t j = 0;
            while (j < nx - 2 && x[j + 1] < def->lo)
                j++;
            double f = (def->lo - x[j]) / (x[j + 1] - x[j]);
            p->first = j;
            p->count = 2;
            p->w = malloc(2 * sizeof *p->w);
            if (!p->w)
                goto nomem;
            p->w[0] = 1 - f;
            p->w[1] = f;
            snprintf(p->describe, sizeof p->describe, "value at %g (linear interpolation)",
                     def->lo);
        } else {
            /* Mean over [lo, hi]: trapezoid over the bins inside plus linear end pieces, the
             * whole divided by the width. Done on the bins from the one below lo to the one
             * above hi. */
            int64_t a = 0, b = nx - 1;
            while (a < nx - 1 && x[a + 1] <= lo)
                a++;
            while (b > 0 && x[b - 1] >= hi)
                b--;
            p->first = a;
            p->count = b - a + 1;
            p->w = calloc((size_t)p->count, sizeof *p->w);
            if (!p->w)
                goto nomem;
            double width = hi - lo;
            for (int64_t j = a; j < b; j++) {
                /* Segment [x_j, x_j+1] clipped to [lo, hi]; I linear on it. */
                double s0 = fmax(x[j], lo), s1 = fmin(x[j + 1], hi);
                if (!(s1 > s0))
                    continue;
                double h = x[j + 1] - x[j];
                double u0 = (s0 - x[j]) / h, u1 = (s1 - x[j]) / h;
                /* integral of (1-u) I_j + u I_j+1 over u0..u1, times h */
                double wj = h * ((u1 - u0) - 0.5 * (u1 * u1 - u0 * u0));
                double wj1 = h * 0.5 * (u1 * u1 - u0 * u0);
                p->w[j - a] += wj / width;
                p->w[j + 1 - a] += wj1 / width;
            }
            snprintf(p->describe, sizeof p->describe, "mean over %g +- %g", def->lo, def->hi);
        }
    } else {
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1, "unknown map kind %d",
                            (int)def->kind);
        goto fail;
    }
    if (!p->w)
        goto nomem;
    *out = p;
    return TSCT_OK;
nomem:
    st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, name, -1, "weights");
fail:
    tsct_maps_plan_destroy(p);
    return st;
}

void tsct_maps_plan_apply(const tsct_maps_plan *p, const float *patterns, int64_t npix, int64_t ld,
                          int nthreads, float *out)
{
    int nt = tsct_threads_resolve(nthreads);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t k = 0; k < npix; k++) {
        const float *v = patterns + k * ld + p->first;
        double s = 0;
        for (int64_t j = 0; j < p->count; j++)
            s += p->w[j] * v[j];
        out[k] = (float)s;
    }
}

/* ---- thresholds --------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double tsct_maps_percentile(const float *v, int64_t n, double p)
{
    double *s = malloc((size_t)(n > 0 ? n : 1) * sizeof *s);
    if (!s)
        return NAN;
    int64_t m = 0;
    for (int64_t k = 0; k < n; k++)
        if (isfinite(v[k]))
            s[m++] = v[k];
    double r = NAN;
    if (m > 0) {
        qsort(s, (size_t)m, sizeof *s, cmp_double);
        double h = (double)(m - 1) * fmin(fmax(p, 0.0), 100.0) / 100.0;
        int64_t lo = (int64_t)floor(h);
        int64_t hi = lo + 1 < m ? lo + 1 : lo;
        r = s[lo] + (h - (double)lo) * (s[hi] - s[lo]);
    }
    free(s);
    return r;
}

double tsct_maps_otsu(const float *v, int64_t n, int nbins)
{
    if (nbins < 2)
        nbins = 256;
    double lo = INFINITY, hi = -INFINITY;
    int64_t m = 0;
    for (int64_t k = 0; k < n; k++)
        if (isfinite(v[k])) {
            lo = fmin(lo, v[k]);
            hi = fmax(hi, v[k]);
            m++;
        }
    if (m == 0)
        return NAN;
    if (lo == hi)
        return lo;
    double *counts = calloc((size_t)nbins, sizeof *counts);
    double *centre = malloc((size_t)nbins * sizeof *centre);
    if (!counts || !centre) {
        free(counts);
        free(centre);
        return NAN;
    }
    /* numpy.histogram with range (lo, hi): bin = floor((v - lo) * nbins / (hi - lo)), the top
     * edge belonging to the last bin. Edges as numpy builds them (linspace). */
    double norm = nbins / (hi - lo);
    for (int64_t k = 0; k < n; k++) {
        if (!isfinite(v[k]))
            continue;
        int64_t b = (int64_t)((v[k] - lo) * norm);
        if (b >= nbins)
            b = nbins - 1;
        counts[b] += 1;
    }
    for (int b = 0; b < nbins; b++) {
        double e0 = lo + (hi - lo) * b / nbins, e1 = lo + (hi - lo) * (b + 1) / nbins;
        centre[b] = 0.5 * (e0 + e1);
    }
    /* Between-class variance for a split after bin b, as skimage computes it. */
    double w1 = 0, s1 = 0, total_w = 0, total_s = 0;
    for (int b = 0; b < nbins; b++) {
        total_w += counts[b];
        total_s += counts[b] * centre[b];
    }
    double best = -1, thr = centre[0];
    for (int b = 0; b < nbins - 1; b++) {
        w1 += counts[b];
        s1 += counts[b] * centre[b];
        double w2 = total_w - w1, s2 = total_s - s1;
        if (w1 <= 0 || w2 <= 0)
            continue;
        double d = s1 / w1 - s2 / w2;
        double var = w1 * w2 * d * d;
        if (var > best) {
            best = var;
            thr = centre[b];
        }
    }
    free(counts);
    free(centre);
    return thr;
}

int64_t tsct_maps_threshold(const float *v, int64_t n, double threshold, uint8_t *mask)
{
    int64_t c = 0;
    for (int64_t k = 0; k < n; k++) {
        mask[k] = v[k] > threshold;  /* false for NaN */
        c += mask[k];
    }
    return c;
}

/* ---- morphology ------------------------------------------------------------------------- */

int64_t tsct_maps_half_max_mask(const float *v, int64_t ny, int64_t nx, int64_t r, double level,
                                uint8_t *mask)
{
    int64_t count = 0;
    for (int64_t y = 0; y < ny; y++)
        for (int64_t x = 0; x < nx; x++) {
            double top = 0;
            for (int64_t i = y - r > 0 ? y - r : 0; i <= y + r && i < ny; i++)
                for (int64_t k = x - r > 0 ? x - r : 0; k <= x + r && k < nx; k++) {
                    const float u = v[i * nx + k];
                    if (isfinite(u) && u > top)
                        top = u;
                }
            const float u = v[y * nx + x];
            const int set = top > level && isfinite(u) && u >= 0.5 * top;
            mask[y * nx + x] = (uint8_t)set;
            count += set;
        }
    return count;
}

static tsct_status morph(uint8_t *mask, int64_t ny, int64_t nx, int radius, int erode,
                         tsct_error *err)
{
    if (radius < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "radius", -1,
                              "footprint radius %d must be >= 0", radius);
    if (radius == 0)
        return TSCT_OK;
    uint8_t *src = malloc((size_t)(ny * nx));
    if (!src)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "mask", -1, "work buffer");
    memcpy(src, mask, (size_t)(ny * nx));
    const int r = radius;
    for (int64_t i = 0; i < ny; i++)
        for (int64_t k = 0; k < nx; k++) {
            /* erosion: all footprint pixels set (outside counts as set);
             * dilation: any footprint pixel set (outside counts as clear). */
            int result = erode ? 1 : 0;
            for (int di = -r; di <= r && result == erode; di++)
                for (int dk = -r; dk <= r; dk++) {
                    if (di * di + dk * dk > r * r)
                        continue;
                    int64_t y = i + di, x = k + dk;
                    int inside = y >= 0 && y < ny && x >= 0 && x < nx;
                    int set = inside ? src[y * nx + x] != 0 : erode;
                    if (erode && !set) {
                        result = 0;
                        break;
                    }
                    if (!erode && set) {
                        result = 1;
                        break;
                    }
                }
            mask[i * nx + k] = (uint8_t)result;
        }
    free(src);
    return TSCT_OK;
}

tsct_status tsct_maps_erode(uint8_t *mask, int64_t ny, int64_t nx, int radius, tsct_error *err)
{
    return morph(mask, ny, nx, radius, 1, err);
}

tsct_status tsct_maps_dilate(uint8_t *mask, int64_t ny, int64_t nx, int radius, tsct_error *err)
{
    return morph(mask, ny, nx, radius, 0, err);
}

tsct_status tsct_maps_open(uint8_t *mask, int64_t ny, int64_t nx, int radius, tsct_error *err)
{
    TSCT_TRY(morph(mask, ny, nx, radius, 1, err));
    return morph(mask, ny, nx, radius, 0, err);
}

tsct_status tsct_maps_close(uint8_t *mask, int64_t ny, int64_t nx, int radius, tsct_error *err)
{
    TSCT_TRY(morph(mask, ny, nx, radius, 0, err));
    return morph(mask, ny, nx, radius, 1, err);
}

/* ---- components ---------------------------------------------------------------------- */

int64_t tsct_maps_label(const uint8_t *mask, int64_t ny, int64_t nx, int connectivity,
                        int32_t *labels)
{
    int64_t n = ny * nx;
    int64_t *stack = malloc((size_t)(n > 0 ? n : 1) * sizeof *stack);
    if (!stack)
        return -1;
    for (int64_t k = 0; k < n; k++)
        labels[k] = 0;
    int32_t next = 0;
    static const int d8[8][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1},
                                 {-1, -1}, {-1, 1}, {1, -1}, {1, 1}};
    int nd = connectivity == 8 ? 8 : 4;
    for (int64_t s = 0; s < n; s++) {
        if (!mask[s] || labels[s])
            continue;
        labels[s] = ++next;
        int64_t top = 0;
        stack[top++] = s;
        while (top) {
            int64_t v = stack[--top];
            int64_t i = v / nx, k = v % nx;
            for (int d = 0; d < nd; d++) {
                int64_t y = i + d8[d][0], x = k + d8[d][1];
                if (y < 0 || y >= ny || x < 0 || x >= nx)
                    continue;
                int64_t u = y * nx + x;
                if (mask[u] && !labels[u]) {
                    labels[u] = next;
                    stack[top++] = u;
                }
            }
        }
    }
    free(stack);
    return next;
}

int64_t tsct_maps_remove_small(uint8_t *mask, int64_t ny, int64_t nx, int64_t min_size,
                               int connectivity)
{
    int64_t n = ny * nx;
    int32_t *lab = malloc((size_t)(n > 0 ? n : 1) * sizeof *lab);
    if (!lab)
        return -1;
    int64_t count = tsct_maps_label(mask, ny, nx, connectivity, lab);
    int64_t *size = count >= 0 ? calloc((size_t)count + 1, sizeof *size) : NULL;
    if (!size) {
        free(lab);
        return -1;
    }
    for (int64_t k = 0; k < n; k++)
        size[lab[k]]++;
    int64_t kept = 0;
    for (int64_t c = 1; c <= count; c++)
        kept += size[c] >= min_size;
    for (int64_t k = 0; k < n; k++)
        if (lab[k] && size[lab[k]] < min_size)
            mask[k] = 0;
    free(size);
    free(lab);
    return kept;
}

int64_t tsct_maps_circle(uint8_t *mask, int64_t ny, int64_t nx, double dx, double dy,
                         double radius)
{
    double cx = (double)(nx / 2) + dx, cy = (double)(ny / 2) + dy;
    int64_t c = 0;
    for (int64_t i = 0; i < ny; i++)
        for (int64_t k = 0; k < nx; k++) {
            int in = (k - cx) * (k - cx) + (i - cy) * (i - cy) <= radius * radius;
            mask[i * nx + k] = (uint8_t)in;
            c += in;
        }
    return c;
}

/* ---- distance transform ------------------------------------------------------------------ */

/* 1-D squared distance transform of f[0..n-1] (Felzenszwalb & Huttenlocher): d[q] =
 * min_p (q - p)^2 + f[p], the lower envelope of parabolas. v, z: work of n and n + 1 entries.
 * Set pixels hold FAR, a finite stand-in for infinity (keeps the parabola arithmetic finite);
 * results of FAR or more mean "no clear pixel anywhere" and become infinity. */
#define FAR 1e20

static void dt1d(const double *f, int64_t n, double *d, int64_t *v, double *z)
{
    int64_t k = 0;
    v[0] = 0;
    z[0] = -INFINITY;
    z[1] = INFINITY;
    for (int64_t q = 1; q < n; q++) {
        double s;
        for (;;) {
            int64_t p = v[k];
            s = ((f[q] + (double)q * (double)q) - (f[p] + (double)p * (double)p)) /
                (2.0 * (double)(q - p));
            if (s <= z[k] && k > 0) {
                k--;
                continue;
            }
            break;
        }
        k++;
        v[k] = q;
        z[k] = s;
        z[k + 1] = INFINITY;
    }
    k = 0;
    for (int64_t q = 0; q < n; q++) {
        while (z[k + 1] < (double)q)
            k++;
        int64_t p = v[k];
        d[q] = (double)(q - p) * (double)(q - p) + f[p];
    }
}

tsct_status tsct_maps_distance(const uint8_t *mask, int64_t ny, int64_t nx, float *dist,
                               tsct_error *err)
{
    int64_t m = ny > nx ? ny : nx;
    double *g = malloc((size_t)(ny * nx) * sizeof *g);
    double *f = calloc((size_t)m, sizeof *f), *d = calloc((size_t)m, sizeof *d);
    double *z = malloc((size_t)(m + 1) * sizeof *z);
    int64_t *v = malloc((size_t)m * sizeof *v);
    if (!g || !f || !d || !z || !v) {
        free(g);
        free(f);
        free(d);
        free(z);
        free(v);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "distance", -1, "work arrays");
    }
    for (int64_t k = 0; k < ny * nx; k++)
        g[k] = mask[k] ? FAR : 0.0;
    for (int64_t k = 0; k < nx; k++) {  /* columns */
        for (int64_t i = 0; i < ny; i++)
            f[i] = g[i * nx + k];
        dt1d(f, ny, d, v, z);
        for (int64_t i = 0; i < ny; i++)
            g[i * nx + k] = d[i];
    }
    for (int64_t i = 0; i < ny; i++) {  /* rows */
        dt1d(g + i * nx, nx, d, v, z);
        memcpy(g + i * nx, d, (size_t)nx * sizeof *d);
    }
    for (int64_t k = 0; k < ny * nx; k++)
        dist[k] = g[k] >= FAR ? INFINITY : (float)sqrt(g[k]);
    free(g);
    free(f);
    free(d);
    free(z);
    free(v);
    return TSCT_OK;
}

/* ---- regions ------------------------------------------------------------------------------ */

int64_t tsct_maps_region_sum(const float *patterns, const uint8_t *mask, int64_t npix,
                             int64_t nx, double *sum, double *mean)
{
    for (int64_t j = 0; j < nx; j++) {
        sum[j] = 0;
        if (mean)
            mean[j] = 0;
    }
    int64_t used = 0;
    for (int64_t k = 0; k < npix; k++) {
        if (!mask[k])
            continue;
        const float *v = patterns + k * nx;
        int ok = 1;
        for (int64_t j = 0; j < nx && ok; j++)
            ok = isfinite(v[j]);
        if (!ok)
            continue;
        for (int64_t j = 0; j < nx; j++)
            sum[j] += v[j];
        used++;
    }
    if (mean && used)
        for (int64_t j = 0; j < nx; j++)
            mean[j] = sum[j] / (double)used;
    return used;
}

void tsct_maps_difference(const float *a, const float *b, int64_t n, float *out)
{
    for (int64_t k = 0; k < n; k++)
        out[k] = a[k] - b[k];
}

void tsct_maps_by_distance(const float *v, const float *dist, int64_t n, int nshell,
                           double *mean, int64_t *count)
{
    for (int s = 0; s < nshell; s++) {
        mean[s] = 0;
        count[s] = 0;
    }
    for (int64_t k = 0; k < n; k++) {
        if (!(dist[k] > 0) || !isfinite(v[k]))
            continue;
        int s = (int)floor(dist[k]);
        if (s >= nshell)
            continue;
        mean[s] += v[k];
        count[s]++;
    }
    for (int s = 0; s < nshell; s++)
        mean[s] = count[s] ? mean[s] / (double)count[s] : NAN;
}
