/* integrate_plan.c - building the pixel -> bin map of an azimuthal integration plan.
 *
 * Design: every pixel is turned into a short list of (bin, weight) entries by one of pyFAI
 * 0.21's three rules (no splitting, bounding box, full splitting; see tsct/integrate.h and
 * docs/integration.md). The lists are built twice over the rows, in parallel: a first pass
 * counts the entries of each row, a prefix sum places every row, a second pass fills them, so
 * the pixel-major entry arrays come out in pixel order whatever the thread count. A counting
 * sort by bin then gives the bin-major CSR copy (pixels ascending within a bin).
 *
 * Binning is done in pyFAI's internal radial unit (q in 1/nm, 2theta in rad) with pyFAI's
 * formulas and rounding rules (truncation toward zero of (r - min) / delta, the upper bound
 * moved by one float32 epsilon), which is what makes the "no splitting" results agree with
 * pyFAI bin for bin. References: pyFAI 0.21 ext/histogram.pyx (histogram_preproc),
 * ext/splitBBox_common.pyx (calc_boundaries, calc_lut_1d), ext/splitpixel_common.pyx and
 * splitPixelFullCSR.pyx (full splitting), regrid_common.pxi (calc_upper_bound).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "integrate_internal.h"
#include "tsct/threads.h"

/* pyFAI's calc_upper_bound: the largest position must fall inside the last bin. */
static double upper_bound(double maxin)
{
    const double eps32 = 1.0 + (double)FLT_EPSILON;
    return maxin > 0 ? maxin * eps32 : maxin / eps32;
}

/* The unit binning happens in, and the factor from it to the output unit (pyFAI unit.scale). */
static void internal_unit(tsct_unit out, tsct_unit *in, double *scale)
{
    switch (out) {
    case TSCT_UNIT_Q_A: *in = TSCT_UNIT_Q_NM; *scale = 0.1; return;
    case TSCT_UNIT_2TH_DEG: *in = TSCT_UNIT_2TH_RAD; *scale = 180.0 / M_PI; return;
    default: *in = out; *scale = 1.0; return;
    }
}

/* Shared, read-only state of the per-pixel rules. */
struct builder {
    const tsct_integrate_params *p;
    const tsct_geometry_arrays *g;
    int64_t rows, cols, npt;
    double rmin, delta;           /* internal unit */
    int check_chi;
    double amin, amax;            /* rad */
};

/* Largest angular distance between a centre and the corners of its pixel (pyFAI deltaChi). */
static double chi_distance(double a, double b)
{
    double d = fmod(fabs(a - b), 2.0 * M_PI);
    return d > M_PI ? 2.0 * M_PI - d : d;
}

static void pixel_corners(const struct builder *B, int64_t i, int64_t j, double r[4], double c[4])
{
    /* pyFAI's corner order: (i, j), (i+1, j), (i+1, j+1), (i, j+1). */
    const int64_t w = B->cols + 1;
    const int64_t k[4] = {i * w + j, (i + 1) * w + j, (i + 1) * w + j + 1, i * w + j + 1};
    for (int m = 0; m < 4; m++) {
        r[m] = B->g->corner_radial[k[m]];
        c[m] = B->g->corner_chi[k[m]];
    }
}

static void bbox_extent(const struct builder *B, int64_t i, int64_t j, double *dr, double *dchi)
{
    double r[4], c[4];
    pixel_corners(B, i, j, r, c);
    const int64_t k = i * B->cols + j;
    double centre = B->g->radial[k];
    *dr = 0;
    *dchi = 0;
    for (int m = 0; m < 4; m++) {
        *dr = fmax(*dr, fabs(r[m] - centre));
        if (B->g->chi)
            *dchi = fmax(*dchi, chi_distance(c[m], B->g->chi[k]));
    }
}

/* Signed integral of y dx along the segment (x0, y0) -> (x1, y1), split over the unit bins
 * [b, b + 1) with lo <= b < hi, added to buf[b]. Summed over the closed outline of a polygon
 * it gives the polygon's area inside each bin (vertical strip), up to the orientation sign. */
static void integrate_edge(double *buf, int64_t lo, int64_t hi, double x0, double y0, double x1,
                           double y1)
{
    if (x0 == x1)
        return;
    double sign = x1 > x0 ? 1.0 : -1.0;
    double xa = fmin(x0, x1), xb = fmax(x0, x1);
    double slope = (y1 - y0) / (x1 - x0);
    int64_t b0 = (int64_t)floor(xa), b1 = (int64_t)floor(xb);
    if (b0 < lo)
        b0 = lo;
    if (b1 > hi - 1)
        b1 = hi - 1;
    for (int64_t b = b0; b <= b1; b++) {
        double u = fmax(xa, (double)b), v = fmin(xb, (double)(b + 1));
        if (v <= u)
            continue;
        double yu = y0 + slope * (u - x0), yv = y0 + slope * (v - x0);
        buf[b] += sign * (v - u) * 0.5 * (yu + yv);
    }
}

/* The entries of pixel (i, j): writes at most `cap` (bin, weight) pairs when bins/weights are
 * not NULL, returns how many there are. buf: npt + 1 doubles of scratch, zero on entry and on
 * return. */
static int64_t pixel_entries(const struct builder *B, int64_t i, int64_t j, int32_t *bins,
                             float *weights, double *buf)
{
    const int64_t k = i * B->cols + j, npt = B->npt;
    int64_t n = 0;
#define EMIT(b, w)                                   \
    do {                                             \
        if (bins) {                                  \
            bins[n] = (int32_t)(b);                  \
            weights[n] = (float)(w);                 \
        }                                            \
        n++;                                         \
    } while (0)

    switch (B->p->split) {
    case TSCT_INTEGRATE_SPLIT_NO: {
        /* histogram_preproc: bin = <int> ((r - min) / delta), chi range folded into the mask
         * with strict comparisons. */
        if (B->check_chi && (B->g->chi[k] > B->amax || B->g->chi[k] < B->amin))
            return 0;
        double f = (B->g->radial[k] - B->rmin) / B->delta;
        if (!(f > -1.0) || f >= (double)npt)
            return 0;
        EMIT((int64_t)f, 1.0);
        return n;
    }
    case TSCT_INTEGRATE_SPLIT_BBOX: {
        double d0, d1;
        bbox_extent(B, i, j, &d0, &d1);
        double c0 = B->g->radial[k];
        if (B->check_chi) {
            double c1 = B->g->chi[k];
            if (c1 + d1 < B->amin || c1 - d1 > B->amax)
                return 0;
        }
        double f0 = (c0 - d0 - B->rmin) / B->delta, f1 = (c0 + d0 - B->rmin) / B->delta;
        if (!(f1 > -1.0) || !(f0 < (double)npt))
            return 0;
        int64_t b0 = (int64_t)f0, b1 = (int64_t)f1; /* truncation, as pyFAI's cast */
        if (b1 < 0 || b0 >= npt)
            return 0;
        if (b1 > npt - 1)
            b1 = npt - 1;
        if (b0 < 0)
            b0 = 0;
        if (b0 == b1) {
            EMIT(b0, 1.0);
            return n;
        }
        double inv = 1.0 / (f1 - f0);
        EMIT(b0, inv * ((double)(b0 + 1) - f0));
        for (int64_t b = b0 + 1; b < b1; b++)
            EMIT(b, inv);
        EMIT(b1, inv * (f1 - (double)b1));
        return n;
    }
    case TSCT_INTEGRATE_SPLIT_FULL: {
        double r[4], c[4], x[4];
        pixel_corners(B, i, j, r, c);
        /* pyFAI _recenter: a pixel across the chi discontinuity at +-pi is moved to one side. */
        double cmin = fmin(fmin(c[0], c[1]), fmin(c[2], c[3]));
        double cmax = fmax(fmax(c[0], c[1]), fmax(c[2], c[3]));
        if (cmax - cmin > M_PI)
            for (int m = 0; m < 4; m++)
                if (c[m] < 0)
                    c[m] += 2.0 * M_PI;
        for (int m = 0; m < 4; m++)
            x[m] = (r[m] - B->rmin) / B->delta;
        double min0 = fmin(fmin(x[0], x[1]), fmin(x[2], x[3]));
        double max0 = fmax(fmax(x[0], x[1]), fmax(x[2], x[3]));
        if (max0 < 0 || min0 >= (double)npt)
            return 0;
        if (B->check_chi) {
            double min1 = fmin(fmin(c[0], c[1]), fmin(c[2], c[3]));
            double max1 = fmax(fmax(c[0], c[1]), fmax(c[2], c[3]));
            if (max1 < B->amin || min1 > B->amax)
                return 0;
        }
        int64_t b0 = (int64_t)floor(min0), b1 = (int64_t)floor(max0);
        if (b0 == b1) {
            EMIT(b0, 1.0);
            return n;
        }
        int64_t lo = b0 < 0 ? 0 : b0, hi = b1 + 1 > npt ? npt : b1 + 1;
        for (int m = 0; m < 4; m++)
            integrate_edge(buf, lo, hi, x[m], c[m], x[(m + 1) % 4], c[(m + 1) % 4]);
        double sum = 0;
        for (int64_t b = lo; b < hi; b++)
            sum += buf[b];
        for (int64_t b = lo; b < hi; b++) {
            double w = buf[b] / sum;
            buf[b] = 0;
            if (sum != 0 && w != 0)
                EMIT(b, w);
        }
        return n;
    }
    }
#undef EMIT
    return 0;
}

/* Default radial range (internal unit) as pyFAI's engines compute it. */
static void default_range(const struct builder *B, const uint8_t *mask, double *lo, double *hi)
{
    double mn = INFINITY, mx = -INFINITY;
    const int64_t n = B->rows * B->cols;
    const int nt = tsct_threads_resolve(B->p->nthreads);
    (void)nt;
    if (B->p->split == TSCT_INTEGRATE_SPLIT_NO) {
        /* histogram_preproc: min and max over every pixel, masked or not. */
#pragma omp parallel for reduction(min : mn) reduction(max : mx) num_threads(nt)
        for (int64_t k = 0; k < n; k++) {
            mn = fmin(mn, B->g->radial[k]);
            mx = fmax(mx, B->g->radial[k]);
        }
    } else {
#pragma omp parallel for reduction(min : mn) reduction(max : mx) num_threads(nt)
        for (int64_t i = 0; i < B->rows; i++)
            for (int64_t j = 0; j < B->cols; j++) {
                if (mask && mask[i * B->cols + j])
                    continue;
                if (B->p->split == TSCT_INTEGRATE_SPLIT_BBOX) {
                    double d0, d1, c = B->g->radial[i * B->cols + j];
                    bbox_extent(B, i, j, &d0, &d1);
                    mn = fmin(mn, c - d0);
                    mx = fmax(mx, c + d0);
                } else {
                    double r[4], c[4];
                    pixel_corners(B, i, j, r, c);
                    mn = fmin(mn, fmin(fmin(r[0], r[1]), fmin(r[2], r[3])));
                    mx = fmax(mx, fmax(fmax(r[0], r[1]), fmax(r[2], r[3])));
                }
            }
        /* allow_pos0_neg = False */
        mn = fmax(0.0, mn);
        mx = fmax(0.0, mx);
    }
    *lo = mn;
    *hi = mx;
}

static tsct_status check_params(const tsct_integrate_params *p, tsct_error *err)
{
#define BAD(field, ...) tsct_error_set(err, TSCT_ERR_VALUE, NULL, field, -1, __VA_ARGS__)
    if (p->npt < 1 || p->npt > (1 << 24))
        return BAD("npt", "number of bins %lld: expected 1 .. 2^24", (long long)p->npt);
    if ((unsigned)p->unit >= TSCT_UNIT_COUNT_)
        return BAD("unit", "unknown unit %d", (int)p->unit);
    if ((unsigned)p->split > TSCT_INTEGRATE_SPLIT_FULL)
        return BAD("split", "unknown pixel splitting %d", (int)p->split);
    if ((unsigned)p->filter > TSCT_INTEGRATE_SIGMA_CLIP)
        return BAD("filter", "unknown filter %d", (int)p->filter);
    if (p->filter == TSCT_INTEGRATE_TRIMMED &&
        !(p->trim_lo >= 0 && p->trim_lo <= p->trim_hi && p->trim_hi <= 1))
        return BAD("trimmed", "quantiles %g, %g: expected 0 <= lo <= hi <= 1", p->trim_lo,
                   p->trim_hi);
    if (p->filter == TSCT_INTEGRATE_SIGMA_CLIP &&
        (!(p->clip_thres >= 0 && isfinite(p->clip_thres)) || p->clip_iterations < 0))
        return BAD("sigma", "threshold %g and %d iterations: expected a threshold >= 0 and "
                   "iterations >= 0", p->clip_thres, p->clip_iterations);
    if (!isnan(p->polarization) && !(p->polarization >= -1 && p->polarization <= 1))
        return BAD("polarization", "factor %g: expected -1 .. 1 (NaN for none)", p->polarization);
    if (!isfinite(p->polarization_offset))
        return BAD("polarization_offset", "not a finite number");
    if (isnan(p->radial_min) != isnan(p->radial_max) ||
        (!isnan(p->radial_min) &&
         !(isfinite(p->radial_min) && isfinite(p->radial_max) && p->radial_min < p->radial_max)))
        return BAD("radial_range", "[%g, %g]: expected two finite values, min < max",
                   p->radial_min, p->radial_max);
    if (isnan(p->azimuth_min) != isnan(p->azimuth_max) ||
        (!isnan(p->azimuth_min) && !(p->azimuth_min >= -180 && p->azimuth_max <= 180 &&
                                     p->azimuth_min < p->azimuth_max)))
        return BAD("azimuth_range", "[%g, %g] deg: expected -180 <= min < max <= 180",
                   p->azimuth_min, p->azimuth_max);
    if (p->use_dummy && !(isfinite(p->dummy) && p->delta_dummy >= 0))
        return BAD("dummy", "dummy %g, delta %g: expected finite values, delta >= 0",
                   (double)p->dummy, (double)p->delta_dummy);
#undef BAD
    return TSCT_OK;
}

void tsct_integrate_plan_destroy(tsct_integrate_plan *plan)
{
    if (!plan)
        return;
    free(plan->radial);
    free(plan->norm);
    free(plan->dark);
    free(plan->pix);
    free(plan->bin);
    free(plan->weight);
    free(plan->row_ptr);
    free(plan->row_pix);
    free(plan->row_weight);
    free(plan);
}

tsct_status tsct_integrate_plan_create(const tsct_integrate_params *params,
                                       const tsct_poni *geometry, int64_t rows, int64_t cols,
                                       const uint8_t *mask, const float *dark,
                                       const float *flat, tsct_integrate_plan **out,
                                       tsct_error *err)
{
    *out = NULL;
    if (!params || !geometry)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "integrate", -1,
                              "parameters and geometry are required");
    TSCT_TRY(check_params(params, err));
    if (rows < 1 || cols < 1 || rows > INT32_MAX / cols)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "frame", -1,
                              "shape %lld x %lld: expected 1 .. 2^31 - 1 pixels",
                              (long long)rows, (long long)cols);
    const int64_t n = rows * cols, npt = params->npt;
    tsct_unit iu;
    double scale;
    internal_unit(params->unit, &iu, &scale);
    int check_chi = !isnan(params->azimuth_min);
    int do_pol = !isnan(params->polarization);
    unsigned what = TSCT_GEOM_RADIAL | TSCT_GEOM_PYFAI_F32;
    if (check_chi || do_pol)
        what |= TSCT_GEOM_CHI;
    if (do_pol)
        what |= TSCT_GEOM_TTH;
    if (params->solid_angle)
        what |= TSCT_GEOM_SOLID_ANGLE;
    if (params->split != TSCT_INTEGRATE_SPLIT_NO)
        what |= TSCT_GEOM_CORNERS;
    tsct_geometry_arrays *g = NULL;
    TSCT_TRY(tsct_geometry_compute(geometry, rows, cols, iu, what, params->nthreads, &g, err));

    tsct_integrate_plan *P = calloc(1, sizeof *P);
    int64_t *row_count = calloc((size_t)rows + 1, sizeof *row_count);
    if (!P || !row_count) {
        free(P);
        free(row_count);
        tsct_geometry_arrays_destroy(g);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "integrate plan", -1, "allocation");
    }
    tsct_status st = TSCT_OK;
    P->params = *params;
    P->rows = rows;
    P->cols = cols;
    P->npix = n;
    P->npt = npt;
    P->nthreads = tsct_threads_resolve(params->nthreads);
    P->unit_weights = params->split == TSCT_INTEGRATE_SPLIT_NO;
    const int nt = P->nthreads;
    (void)nt;

    struct builder B = {params, g, rows, cols, npt, 0, 0, check_chi, 0, 0};
    if (check_chi) {
        B.amin = params->azimuth_min * (M_PI / 180.0);
        B.amax = params->azimuth_max * (M_PI / 180.0);
    }
    double lo, hi;
    if (!isnan(params->radial_min)) {
        lo = params->radial_min / scale;
        hi = params->radial_max / scale;
    } else {
        default_range(&B, mask, &lo, &hi);
    }
    double top = upper_bound(hi);
    B.rmin = lo;
    B.delta = (top - lo) / (double)npt;
    if (!(B.delta > 0) || !isfinite(B.delta)) {
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "radial_range", -1,
                            "the radial range [%g, %g] %s is empty", lo * scale, hi * scale,
                            tsct_unit_name(params->unit));
        goto fail;
    }
    P->params.radial_min = lo * scale;
    P->params.radial_max = hi * scale;

    P->radial = malloc((size_t)npt * sizeof *P->radial);
    P->norm = malloc((size_t)n * sizeof *P->norm);
    if (dark)
        P->dark = malloc((size_t)n * sizeof *P->dark);
    if (!P->radial || !P->norm || (dark && !P->dark)) {
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "integrate plan", -1, "allocation");
        goto fail;
    }
    for (int64_t b = 0; b < npt; b++)
        P->radial[b] = (lo + ((double)b + 0.5) * B.delta) * scale;

    /* Per-pixel normalisation, as pyFAI's float32 preproc: flat * solid angle * polarization.
     * A pixel whose dark or flat cannot be used is left out of the map (norm 0). */
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t k = 0; k < n; k++) {
        float v = 1.0f;
        int ok = !(mask && mask[k]);
        if (flat) {
            ok = ok && isfinite(flat[k]) && flat[k] != 0.0f;
            v *= flat[k];
        }
        if (params->solid_angle)
            v *= (float)g->solid_angle[k];
        if (do_pol)
            v *= (float)tsct_geometry_polarization(g->tth[k], g->chi[k], params->polarization,
                                                   params->polarization_offset);
        if (dark) {
            ok = ok && isfinite(dark[k]);
            P->dark[k] = dark[k];
        }
        P->norm[k] = ok ? v : 0.0f;
    }

    /* Pass 1: entries per row. */
    double **bufs = calloc((size_t)nt, sizeof *bufs);
    int fail = !bufs;
    for (int t = 0; !fail && t < nt; t++)
        fail = !(bufs[t] = calloc((size_t)npt + 1, sizeof **bufs));
    if (!fail) {
#pragma omp parallel for schedule(dynamic, 16) num_threads(nt)
        for (int64_t i = 0; i < rows; i++) {
            double *buf = bufs[tsct__thread_id()];
            int64_t c = 0;
            for (int64_t j = 0; j < cols; j++)
                if (P->norm[i * cols + j] != 0.0f)
                    c += pixel_entries(&B, i, j, NULL, NULL, buf);
            row_count[i + 1] = c;
        }
        for (int64_t i = 0; i < rows; i++)
            row_count[i + 1] += row_count[i];
        P->nnz = row_count[rows];
        size_t m = (size_t)(P->nnz ? P->nnz : 1);
        P->pix = malloc(m * sizeof *P->pix);
        P->bin = malloc(m * sizeof *P->bin);
        P->weight = malloc(m * sizeof *P->weight);
        P->row_ptr = calloc((size_t)npt + 1, sizeof *P->row_ptr);
        P->row_pix = malloc(m * sizeof *P->row_pix);
        P->row_weight = malloc(m * sizeof *P->row_weight);
        fail = !P->pix || !P->bin || !P->weight || !P->row_ptr || !P->row_pix || !P->row_weight;
    }
    if (!fail) {
        /* Pass 2: fill, in pixel order. */
#pragma omp parallel for schedule(dynamic, 16) num_threads(nt)
        for (int64_t i = 0; i < rows; i++) {
            double *buf = bufs[tsct__thread_id()];
            int64_t e = row_count[i];
            for (int64_t j = 0; j < cols; j++) {
                int64_t k = i * cols + j;
                if (P->norm[k] == 0.0f)
                    continue;
                int64_t c = pixel_entries(&B, i, j, P->bin + e, P->weight + e, buf);
                for (int64_t q = 0; q < c; q++)
                    P->pix[e + q] = (int32_t)k;
                e += c;
            }
        }
        /* Bin-major copy by a counting sort (stable: pixels ascending within a bin). */
        for (int64_t e = 0; e < P->nnz; e++)
            P->row_ptr[P->bin[e] + 1]++;
        for (int64_t b = 0; b < npt; b++) {
            P->max_row = P->row_ptr[b + 1] > P->max_row ? P->row_ptr[b + 1] : P->max_row;
            P->row_ptr[b + 1] += P->row_ptr[b];
        }
        int64_t *next = row_count; /* reuse: rows + 1 >= 1; need npt slots */
        if (rows + 1 < npt) {
            next = realloc(row_count, (size_t)npt * sizeof *next);
            if (!next)
                fail = 1;
            else
                row_count = next;
        }
        if (!fail) {
            memcpy(next, P->row_ptr, (size_t)npt * sizeof *next);
            for (int64_t e = 0; e < P->nnz; e++) {
                int64_t d = next[P->bin[e]]++;
                P->row_pix[d] = P->pix[e];
                P->row_weight[d] = P->weight[e];
            }
        }
    }
    for (int t = 0; bufs && t < nt; t++)
        free(bufs[t]);
    free(bufs);
    if (fail) {
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "integrate plan", -1,
                            "pixel -> bin map of %lld x %lld pixels", (long long)rows,
                            (long long)cols);
        goto fail;
    }
    if (P->nnz == 0) {
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "radial_range", -1,
                            "no unmasked pixel falls in the radial range [%g, %g] %s",
                            lo * scale, hi * scale, tsct_unit_name(params->unit));
        goto fail;
    }
    free(row_count);
    tsct_geometry_arrays_destroy(g);
    *out = P;
    return TSCT_OK;

fail:
    free(row_count);
    tsct_geometry_arrays_destroy(g);
    tsct_integrate_plan_destroy(P);
    return st;
}
