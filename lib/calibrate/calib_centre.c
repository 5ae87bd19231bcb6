/* calib_centre.c - the starting geometry of a calibration without a guess
 * (include/tsct/calibrate.h, step 1): the beam centre from the sharpness of the azimuthal
 * average, the distance from the radial profile's peaks matched to the calibrant's rings.
 *
 * Sharpness: for a trial centre, the pixels (sqrt of counts, binned) are grouped by their
 * radius in one-bin rings; the between-ring sum of squares minus its expectation under noise
 * alone ((B - 1) times the within-ring variance, B rings) is largest when the rings of the
 * image are concentric with the trial centre. It is searched on a grid over the detector and a
 * fifth of its size around it, then by a compass search that halves its step, and repeated on
 * a finer binning.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calib_internal.h"
#include "tsct/threads.h"

typedef struct binned {
    float *v;          /* [rows][cols], NaN where too few valid pixels */
    int64_t rows, cols;
    int b;             /* binning */
} binned;

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static tsct_status bin_image(const calib_image *im, int b, binned *out, tsct_error *err)
{
    out->b = b;
    out->rows = im->rows / b, out->cols = im->cols / b;
    const int64_t n = out->rows * out->cols;
    out->v = malloc((size_t)(n > 0 ? n : 1) * sizeof *out->v);
    float *tmp = malloc((size_t)(n > 0 ? n : 1) * sizeof *tmp);
    if (!out->v || !tmp) {
        free(out->v), free(tmp);
        out->v = NULL;
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "calibration", -1, "binned image");
    }
    int64_t nf = 0;
    for (int64_t I = 0; I < out->rows; I++)
        for (int64_t J = 0; J < out->cols; J++) {
            double s = 0;
            int c = 0;
            for (int64_t i = I * b; i < (I + 1) * b; i++)
                for (int64_t j = J * b; j < (J + 1) * b; j++) {
                    const int64_t k = i * im->cols + j;
                    if (im->valid[k])
                        s += im->data[k], c++;
                }
            float val = 2 * c >= b * b ? (float)sqrt(fmax(s / c, 0)) : NAN;
            out->v[I * out->cols + J] = val;
            if (!isnan(val))
                tmp[nf++] = val;
        }
    /* Clip at the 99.5th percentile: single-crystal spots and hot pixels would otherwise
     * decide the centre. */
    if (nf > 0) {
        qsort(tmp, (size_t)nf, sizeof *tmp, cmp_float);
        const float top = tmp[(int64_t)(0.995 * (nf - 1))];
        for (int64_t k = 0; k < n; k++)
            if (out->v[k] > top)
                out->v[k] = top;
    }
    free(tmp);
    return TSCT_OK;
}

/* The sharpness of the azimuthal average about (c1, c2) in binned pixel units; work holds
 * 2 * nbins doubles. */
static double sharpness(const binned *B, double c1, double c2, double *work, int64_t nbins)
{
    double *sum = work, *cnt = work + nbins;
    memset(work, 0, (size_t)(2 * nbins) * sizeof *work);
    double S = 0, S2 = 0, N = 0;
    for (int64_t I = 0; I < B->rows; I++) {
        const double y = I + 0.5 - c1;
        for (int64_t J = 0; J < B->cols; J++) {
            const float v = B->v[I * B->cols + J];
            if (isnan(v))
                continue;
            const double x = J + 0.5 - c2;
            int64_t k = (int64_t)sqrt(x * x + y * y);
            if (k >= nbins)
                k = nbins - 1;
            sum[k] += v, cnt[k] += 1;
            S += v, S2 += (double)v * v, N += 1;
        }
    }
    double between = 0;
    int64_t nb = 0;
    for (int64_t k = 0; k < nbins; k++)
        if (cnt[k] > 0)
            between += sum[k] * sum[k] / cnt[k], nb++;
    if (N <= nb + 1)
        return -INFINITY;
    const double within = (S2 - between) / (N - nb);
    return (between - S * S / N) - (nb - 1) * within;
}

/* Compass search from (c1, c2) with the first step `step` down to `last` (binned units). */
static void compass(const binned *B, double *c1, double *c2, double step, double last,
                    double *work, int64_t nbins)
{
    double best = sharpness(B, *c1, *c2, work, nbins);
    while (step >= last) {
        int moved = 0;
        double b1 = *c1, b2 = *c2;
        for (int d = 0; d < 8; d++) {
            static const int dy[8] = {-1, -1, -1, 0, 0, 1, 1, 1}, dx[8] = {-1, 0, 1, -1, 1, -1, 0, 1};
            const double t1 = *c1 + dy[d] * step, t2 = *c2 + dx[d] * step;
            const double s = sharpness(B, t1, t2, work, nbins);
            if (s > best)
                best = s, b1 = t1, b2 = t2, moved = 1;
        }
        *c1 = b1, *c2 = b2;
        if (!moved)
            step /= 2;
    }
}

static tsct_status find_centre(const calib_image *im, const tsct_calibrate_params *P,
                               double *c1, double *c2, tsct_error *err)
{
    const int64_t side = im->rows < im->cols ? im->rows : im->cols;
    int bc = (int)(side / 100);
    if (bc < 1)
        bc = 1;
    binned coarse = {0}, fine = {0};
    TSCT_TRY(bin_image(im, bc, &coarse, err));
    const int bf = bc / 4 > 1 ? bc / 4 : 1;
    tsct_status st = bin_image(im, bf, &fine, err);
    if (st != TSCT_OK) {
        free(coarse.v);
        return st;
    }
    /* The grid: the detector and a fifth of it on every side, ~48 x 48 points. */
    const int ng = 48;
    const double lo1 = -0.2 * coarse.rows, lo2 = -0.2 * coarse.cols;
    const double st1 = 1.4 * coarse.rows / (ng - 1), st2 = 1.4 * coarse.cols / (ng - 1);
    const int64_t nbins_c = (int64_t)(2.0 * hypot(coarse.rows, coarse.cols)) + 2;
    const int64_t nbins_f = (int64_t)(2.0 * hypot(fine.rows, fine.cols)) + 2;
    const int nt = tsct_threads_resolve(P->nthreads);
    double *scores = malloc((size_t)ng * ng * sizeof *scores);
    double *work = malloc((size_t)(2 * (nbins_f > nbins_c ? nbins_f : nbins_c)) * sizeof *work);
    int fail = !scores || !work;
#pragma omp parallel num_threads(nt) if (!fail)
    {
        double *w = malloc((size_t)(2 * nbins_c) * sizeof *w);
#pragma omp for schedule(dynamic)
        for (int g = 0; g < ng * ng; g++)
            scores[g] = w ? sharpness(&coarse, lo1 + (g / ng) * st1, lo2 + (g % ng) * st2, w,
                                      nbins_c)
                          : NAN;
        free(w);
    }
    if (!fail) {
        int best = 0;
        for (int g = 0; g < ng * ng; g++) {
            if (isnan(scores[g]))
                fail = 1;
            else if (scores[g] > scores[best])
                best = g;
        }
        double y = lo1 + (best / ng) * st1, x = lo2 + (best % ng) * st2;
        if (!fail) {
            compass(&coarse, &y, &x, fmax(st1, st2) / 2, 0.25, work, nbins_c);
            const double r = (double)bc / bf;
            y *= r, x *= r;
            compass(&fine, &y, &x, r / 2, 0.25, work, nbins_f);
            *c1 = y * bf, *c2 = x * bf;
        }
    }
    free(scores), free(work), free(coarse.v), free(fine.v);
    if (fail)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "calibration", -1, "centre search");
    return TSCT_OK;
}

/* ---- distance from the radial profile ------------------------------------------------------ */

typedef struct peak {
    double r;       /* pixels */
    double h;       /* above the background */
} peak;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_peak_h(const void *a, const void *b)
{
    const peak *x = a, *y = b;
    return x->h > y->h ? -1 : x->h < y->h;
}

/* Peaks of the radial profile about (c1, c2), pixels. */
static tsct_status profile_peaks(const calib_image *im, double c1, double c2, peak **out,
                                 int *npk, double *rmin, double *rmax, tsct_error *err)
{
    const int64_t nb = (int64_t)hypot(im->rows, im->cols) + 2;
    double *sum = calloc((size_t)nb, sizeof *sum), *cnt = calloc((size_t)nb, sizeof *cnt);
    double *y = malloc((size_t)nb * sizeof *y), *bg = malloc((size_t)nb * sizeof *bg);
    double *win = malloc(101 * sizeof *win);
    peak *pk = malloc((size_t)nb * sizeof *pk);
    if (!sum || !cnt || !y || !bg || !win || !pk) {
        free(sum), free(cnt), free(y), free(bg), free(win), free(pk);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "calibration", -1, "radial profile");
    }
    for (int64_t i = 0; i < im->rows; i++)
        for (int64_t j = 0; j < im->cols; j++) {
            const int64_t k = i * im->cols + j;
            if (!im->valid[k])
                continue;
            int64_t b = (int64_t)hypot(i + 0.5 - c1, j + 0.5 - c2);
            if (b < nb)
                sum[b] += im->data[k], cnt[b] += 1;
        }
    *rmin = INFINITY, *rmax = 0;
    for (int64_t b = 0; b < nb; b++) {
        y[b] = cnt[b] >= 8 ? sum[b] / cnt[b] : NAN;
        if (!isnan(y[b]))
            *rmin = fmin(*rmin, (double)b), *rmax = fmax(*rmax, (double)b);
    }
    /* Background: the running median over +-25 bins. */
    for (int64_t b = 0; b < nb; b++) {
        int m = 0;
        for (int64_t k = b - 25; k <= b + 25; k++)
            if (k >= 0 && k < nb && !isnan(y[k]))
                win[m++] = y[k];
        if (m < 5) {
            bg[b] = NAN;
            continue;
        }
        qsort(win, (size_t)m, sizeof *win, cmp_double);
        bg[b] = win[m / 2];
    }
    /* Noise: the median absolute deviation of the profile above its background. */
    int m = 0;
    double *dev = sum;  /* reuse */
    for (int64_t b = 0; b < nb; b++)
        if (!isnan(y[b]) && !isnan(bg[b]))
            dev[m++] = fabs(y[b] - bg[b]);
    qsort(dev, (size_t)m, sizeof *dev, cmp_double);
    const double noise = m > 0 ? 1.4826 * dev[m / 2] : 0;
    int n = 0;
    double hmax = 0;
    for (int64_t b = 3; b + 3 < nb; b++) {
        const double h = y[b] - bg[b];
        if (!(h > 5 * noise) || isnan(h))
            continue;
        int is_max = 1;
        for (int64_t k = b - 3; k <= b + 3 && is_max; k++)
            if (k != b && !(isnan(y[k]) || y[k] < y[b] || (y[k] == y[b] && k > b)))
                is_max = 0;
        if (!is_max)
            continue;
        double sw = 0, sr = 0;
        for (int64_t k = b - 2; k <= b + 2; k++) {
            const double w = isnan(y[k]) ? 0 : fmax(y[k] - bg[k] - h / 2, 0);
            sw += w, sr += w * (k + 0.5);
        }
        pk[n].r = sw > 0 ? sr / sw : b + 0.5;
        pk[n].h = h;
        hmax = fmax(hmax, h);
        n++;
    }
    /* Keep the peaks above 1 % of the strongest. */
    int k = 0;
    for (int i = 0; i < n; i++)
        if (pk[i].h >= 0.01 * hmax)
            pk[k++] = pk[i];
    free(sum), free(cnt), free(y), free(bg), free(win);
    *out = pk;
    *npk = k;
    return TSCT_OK;
}

/* Score of a distance D (pixels): rings predicted inside the profile's range that have a peak
 * within tolerance count +1, predicted rings without one -0.3, strong peaks (the 12 strongest)
 * that no ring explains -0.5. */
static double match_score(const peak *pk, int npk, int nstrong, const double *tth, int nring,
                          double D, double rmin, double rmax, int *nmatched, int *npredicted)
{
    double score = 0;
    int matched = 0, predicted = 0;
    for (int i = 0; i < nring; i++) {
        const double r = D * tan(tth[i]);
        if (r < rmin + 5 || r > rmax - 5)
            continue;
        predicted++;
        const double tol = fmax(3.0, 0.01 * r);
        int hit = 0;
        for (int j = 0; j < npk && !hit; j++)
            hit = fabs(pk[j].r - r) <= tol;
        matched += hit;
        score += hit ? 1.0 : -0.3;
    }
    for (int j = 0; j < nstrong; j++) {
        int explained = 0;
        for (int i = 0; i < nring && !explained; i++) {
            const double r = D * tan(tth[i]);
            explained = fabs(pk[j].r - r) <= fmax(3.0, 0.01 * r);
        }
        if (!explained)
            score -= 0.5;
    }
    *nmatched = matched, *npredicted = predicted;
    return score;
}

tsct_status tsct__calib_start(const calib_image *im, const tsct_calibrant *cal,
                              const tsct_calibrate_params *P, tsct_poni *g, tsct_error *err)
{
    double c1 = NAN, c2 = NAN;
    TSCT_TRY(find_centre(im, P, &c1, &c2, err));
    peak *pk = NULL;
    int npk = 0;
    double rmin, rmax;
    TSCT_TRY(profile_peaks(im, c1, c2, &pk, &npk, &rmin, &rmax, err));
    if (npk == 0) {
        free(pk);
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, "rings", -1,
                              "no calibrant rings found: the radial profile about the most "
                              "likely beam centre (%.1f, %.1f) px has no peaks",
                              c2, c1);
    }
    /* Rings beyond the outermost peak are not missing: high orders fade into the noise. */
    double rlast = 0;
    for (int j = 0; j < npk; j++)
        rlast = fmax(rlast, pk[j].r);
    rmax = fmin(rmax, rlast + 10);
    /* Strongest peaks first for the hypotheses; the rest stays sorted by strength. */
    qsort(pk, (size_t)npk, sizeof *pk, cmp_peak_h);
    const int nstrong = npk < 12 ? npk : 12;
    const double lambda = g->wavelength * 1e10;
    int nring = 0;
    double tth[16];
    /* The 16 innermost rings: well separated, and the strongest for the usual standards. */
    for (int64_t i = 0; i < cal->count && nring < 16; i++) {
        const double t = tsct_calibrant_tth(cal->rings[i].d, lambda);
        if (isfinite(t) && t < 1.4)
            tth[nring++] = t;
    }
    double bestD = NAN, best = -INFINITY;
    int best_m = 0, best_p = 0;
    for (int j = 0; j < (npk < 8 ? npk : 8); j++)
        for (int i = 0; i < (nring < 12 ? nring : 12); i++) {
            const double D = pk[j].r / tan(tth[i]);
            int m, p;
            const double s = match_score(pk, npk, nstrong, tth, nring, D, rmin, rmax, &m, &p);
            if (s > best)
                best = s, bestD = D, best_m = m, best_p = p;
        }
    if (!(best_m >= 2 || (best_m >= 1 && best_p == 1)) || 2 * best_m < best_p) {
        free(pk);
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "calibrant", -1,
                              "the rings do not match %s at %.5g A: at best %d of the %d rings "
                              "it predicts on the detector are found in the radial profile "
                              "(%d peaks about the beam centre %.1f, %.1f px); check the "
                              "calibrant and the wavelength, or give a starting geometry",
                              cal->name, lambda, best_m, best_p, npk, c2, c1);
    }
    /* The distance from every matched peak: least squares of r = D tan(2theta). */
    double num = 0, den = 0;
    for (int i = 0; i < nring; i++) {
        const double r = bestD * tan(tth[i]);
        for (int j = 0; j < npk; j++)
            if (fabs(pk[j].r - r) <= fmax(3.0, 0.01 * r)) {
                num += pk[j].r * tan(tth[i]), den += tan(tth[i]) * tan(tth[i]);
                break;
            }
    }
    free(pk);
    const double D = den > 0 ? num / den : bestD;
    const double pix = 0.5 * (g->pixel1 + g->pixel2);
    g->dist = D * pix;
    g->poni1 = c1 * g->pixel1;
    g->poni2 = c2 * g->pixel2;
    g->rot1 = g->rot2 = 0;
    return TSCT_OK;
}
