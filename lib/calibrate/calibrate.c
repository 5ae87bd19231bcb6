/* calibrate.c - detector calibration on a powder calibrant (include/tsct/calibrate.h): the
 * driver (start, pick, refine, reject, pick again) and the least-squares refinement of the
 * PONI geometry on the control points' 2theta residuals.
 *
 * The residual of a point is pyFAI's: 2theta of the point's pixel position under the trial
 * geometry minus the ring's 2theta (pyFAI geometryRefinement.residu2). Its derivatives are
 * analytic (tsct_geometry_tth_gradient for the geometry, d(2 asin(lambda / 2d))/d(lambda) for
 * the wavelength); parameters are scaled so that a unit moves a ring by about one pixel.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calib_internal.h"
#include "tsct/fit.h"
#include "tsct/geometry.h"

static const char *const param_names[TSCT_CALIB_NPARAMS] = {
    "dist", "poni1", "poni2", "rot1", "rot2", "rot3", "wavelength"};

const char *tsct_calibrate_param_name(int i)
{
    return i >= 0 && i < TSCT_CALIB_NPARAMS ? param_names[i] : "?";
}

tsct_status tsct_calibrate_refine_parse(const char *list, unsigned *bits, tsct_error *err)
{
    unsigned b = 0;
    const char *s = list ? list : "";
    while (*s) {
        size_t n = strcspn(s, ",");
        int found = 0;
        if (n == 3 && strncasecmp(s, "all", 3) == 0)
            b |= TSCT_CALIB_DEFAULT_REFINE, found = 1;
        for (int i = 0; i < TSCT_CALIB_NPARAMS && !found; i++)
            if (strlen(param_names[i]) == n && strncasecmp(s, param_names[i], n) == 0)
                b |= 1u << i, found = 1;
        if (!found)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "refine", -1,
                                  "unknown parameter \"%.*s\": expected a comma-separated list "
                                  "of dist, poni1, poni2, rot1, rot2, wavelength (or all)",
                                  (int)n, s);
        s += n;
        if (*s == ',')
            s++;
    }
    if (b & TSCT_CALIB_ROT3)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "refine", -1,
                              "rot3 cannot be refined from rings: a rotation about the beam "
                              "leaves every 2theta unchanged");
    if (!b)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "refine", -1,
                              "no parameter to refine");
    *bits = b;
    return TSCT_OK;
}

void tsct_calibrate_result_destroy(tsct_calibrate_result *res)
{
    if (!res)
        return;
    free(res->points);
    free(res);
}

/* ---- refinement -------------------------------------------------------------------------- */

typedef struct refine_ctx {
    const calib_points *pts;
    const tsct_calibrant *cal;
    tsct_poni base;
    int m, idx[TSCT_CALIB_NPARAMS];
    double scale[TSCT_CALIB_NPARAMS];   /* parameter = base + scale * p */
    double *d1, *d2, *tth, *tth2;       /* [n] */
    double *grad;                       /* [n][6] */
} refine_ctx;

static double *field(tsct_poni *g, int i)
{
    switch (i) {
    case 0: return &g->dist;
    case 1: return &g->poni1;
    case 2: return &g->poni2;
    case 3: return &g->rot1;
    case 4: return &g->rot2;
    case 5: return &g->rot3;
    default: return &g->wavelength;
    }
}

static void geometry_at(const refine_ctx *c, const double *p, tsct_poni *g)
{
    *g = c->base;
    for (int a = 0; a < c->m; a++)
        *field(g, c->idx[a]) += c->scale[a] * p[a];
}

/* r_k = 2theta(point k) - 2theta(ring k) at geometry g into r. */
/* The ring's 2theta of every point (one asin per run of points of the same ring: the points
 * are grouped by ring) and, when dlam is not NULL, its derivative with respect to the
 * wavelength in m. */
static void ring_tth(const refine_ctx *c, double wavelength, double *t, double *dlam)
{
    const double lambda = wavelength * 1e10;
    const tsct_calibrant_ring *rings = c->cal->rings;
    int64_t ring = -1;
    double tr = 0, dr = 0;
    for (int64_t k = 0; k < c->pts->n; k++) {
        if (c->pts->p[k].ring != ring) {
            ring = c->pts->p[k].ring;
            const double x = lambda / (2 * rings[ring].d);
            tr = x < 1 ? 2 * asin(x) : M_PI;
            /* d(2 asin x)/d(lambda) = 2 / sqrt(1 - x^2) * 1e10 / (2 d) */
            dr = x < 1 ? 1e10 / (rings[ring].d * sqrt(1 - x * x)) : 0;
        }
        t[k] = tr;
        if (dlam)
            dlam[k] = dr;
    }
}

/* r_k = 2theta(point k) - 2theta(ring k) at geometry g into r. */
static void residuals(const refine_ctx *c, const tsct_poni *g, double *tth, double *r)
{
    const int64_t n = c->pts->n;
    tsct_geometry_tth_points(g, n, c->d1, c->d2, tth);
    ring_tth(c, g->wavelength, r, NULL);
    for (int64_t k = 0; k < n; k++)
        r[k] = tth[k] - r[k];
}

static tsct_status refine_fn(void *vctx, const double *p, double *r, double *jac, tsct_error *err)
{
    (void)err;
    refine_ctx *c = vctx;
    tsct_poni g;
    geometry_at(c, p, &g);
    const int64_t n = c->pts->n;
    if (!jac) {
        residuals(c, &g, c->tth, r);
        return TSCT_OK;
    }
    /* Analytic derivatives of 2theta (lib/geometry) and of the rings' 2theta. */
    tsct_geometry_tth_gradient(&g, n, c->d1, c->d2, c->tth, c->grad);
    ring_tth(c, g.wavelength, r, c->tth2);
    for (int64_t k = 0; k < n; k++) {
        r[k] = c->tth[k] - r[k];
        for (int a = 0; a < c->m; a++) {
            const int i = c->idx[a];
            const double d = i < 6 ? c->grad[k * 6 + i] : -c->tth2[k];
            jac[k * c->m + a] = d * c->scale[a];
        }
    }
    return TSCT_OK;
}

/* Refine the parameters `bits` of *g on the points; residuals into pts->p[].residual. */
static tsct_status refine(const calib_points *pts, const tsct_calibrant *cal, unsigned bits,
                          tsct_poni *g, double esd[TSCT_CALIB_NPARAMS], int *niter,
                          tsct_error *err)
{
    const int64_t n = pts->n;
    refine_ctx c = {pts, cal, *g, 0, {0}, {0}, NULL, NULL, NULL, NULL, NULL};
    /* Scales: the change that moves a ring by about one pixel. */
    const double pix = 0.5 * (g->pixel1 + g->pixel2);
    for (int i = 0; i < TSCT_CALIB_NPARAMS; i++)
        if (bits & (1u << i)) {
            c.idx[c.m] = i;
            c.scale[c.m] = i == 0 ? g->dist * 1e-3 : i <= 2 ? pix : i <= 5 ? pix / g->dist
                                                                 : g->wavelength * 1e-3;
            c.m++;
        }
    c.d1 = malloc((size_t)n * sizeof(double));
    c.d2 = malloc((size_t)n * sizeof(double));
    c.tth = malloc((size_t)n * sizeof(double));
    c.tth2 = malloc((size_t)n * sizeof(double));
    c.grad = malloc((size_t)n * 6 * sizeof(double));
    double *r = malloc((size_t)n * sizeof(double));
    tsct_status st = TSCT_OK;
    if (!c.d1 || !c.d2 || !c.tth || !c.tth2 || !c.grad || !r)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "calibration", -1, "%lld points",
                            (long long)n);
    double p[TSCT_CALIB_NPARAMS] = {0}, cov[TSCT_CALIB_NPARAMS * TSCT_CALIB_NPARAMS];
    tsct_fit_lsq_info info = {0};
    if (st == TSCT_OK) {
        for (int64_t k = 0; k < n; k++)
            c.d1[k] = pts->p[k].d1, c.d2[k] = pts->p[k].d2;
        tsct_fit_params fp = TSCT_FIT_PARAMS_DEFAULT;
        fp.max_iter = 100;
        st = tsct_fit_lsq(refine_fn, &c, n, c.m, p, &fp, cov, &info, err);
    }
    if (st == TSCT_OK || st == TSCT_NOT_CONVERGED) {
        geometry_at(&c, p, g);
        residuals(&c, g, c.tth, r);
        for (int64_t k = 0; k < n; k++)
            pts->p[k].residual = r[k];
        const double s2 = info.chi2 / (double)(n - c.m);
        for (int i = 0; i < TSCT_CALIB_NPARAMS; i++)
            esd[i] = 0;
        for (int a = 0; a < c.m; a++)
            esd[c.idx[a]] = c.scale[a] * sqrt(cov[a * c.m + a] * s2);
        *niter += info.niter;
    }
    free(c.d1), free(c.d2), free(c.tth), free(c.tth2), free(c.grad), free(r);
    return st;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Drop points whose residual exceeds 4 robust sigmas (at least floor_rad); returns how many. */
static int64_t reject(calib_points *pts, double floor_rad)
{
    const int64_t n = pts->n;
    double *a = malloc((size_t)(n > 0 ? n : 1) * sizeof *a);
    if (!a || n == 0) {
        free(a);
        return 0;
    }
    for (int64_t k = 0; k < n; k++)
        a[k] = fabs(pts->p[k].residual);
    qsort(a, (size_t)n, sizeof *a, cmp_double);
    const double lim = fmax(4 * 1.4826 * a[n / 2], floor_rad);
    free(a);
    int64_t m = 0;
    for (int64_t k = 0; k < n; k++)
        if (fabs(pts->p[k].residual) <= lim)
            pts->p[m++] = pts->p[k];
    const int64_t dropped = n - m;
    pts->n = m;
    return dropped;
}

static int64_t count_rings(const calib_points *pts, int64_t nrings)
{
    int64_t used = 0;
    uint8_t *seen = calloc((size_t)(nrings > 0 ? nrings : 1), 1);
    if (!seen)
        return 0;
    for (int64_t k = 0; k < pts->n; k++)
        if (!seen[pts->p[k].ring])
            seen[pts->p[k].ring] = 1, used++;
    free(seen);
    return used;
}

/* Refine with rejection until no point is dropped (at most 4 rounds). */
static tsct_status refine_robust(calib_points *pts, const tsct_calibrant *cal, unsigned bits,
                                 const tsct_calibrate_params *P, tsct_poni *g,
                                 double esd[TSCT_CALIB_NPARAMS], int *niter, tsct_error *err)
{
    tsct_status st = TSCT_OK;
    for (int round = 0; round < 4; round++) {
        int64_t nfree = 0;
        for (int i = 0; i < TSCT_CALIB_NPARAMS; i++)
            nfree += (bits >> i) & 1;
        if (pts->n < P->min_points || pts->n <= nfree)
            return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, "rings", -1,
                                  "no calibrant rings found: %lld control points on %lld rings "
                                  "(at least %lld needed); check the mask, the calibrant, the "
                                  "wavelength and the starting geometry",
                                  (long long)pts->n, (long long)count_rings(pts, cal->count),
                                  (long long)P->min_points);
        st = refine(pts, cal, bits, g, esd, niter, err);
        if (st != TSCT_OK && st != TSCT_NOT_CONVERGED)
            return st;
        const double pix = 0.5 * (g->pixel1 + g->pixel2);
        if (reject(pts, 0.1 * pix / g->dist) == 0)
            break;
    }
    return st;
}

static tsct_status check_params(const float *image, int64_t rows, int64_t cols,
                                const tsct_poni *g, const tsct_calibrant *cal,
                                const tsct_calibrate_params *P, tsct_error *err)
{
    if (!image || rows < 8 || cols < 8 || rows > (1 << 20) || cols > (1 << 20))
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "image", -1,
                              "%lld x %lld pixels: expected 8 .. 2^20 per side",
                              (long long)rows, (long long)cols);
    if (!cal || cal->count < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "calibrant", -1, "no rings");
    TSCT_TRY(tsct_geometry_check(g, 1, err));
    if (!(P->spacing > 0 && P->min_snr >= 0 && P->window_px > 0 && P->first_window_px > 0 &&
          P->min_points >= 1 && P->warn_px > 0 && P->max_rings >= 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "calibration parameters", -1,
                              "expected spacing > 0, min_snr >= 0, windows > 0, min_points "
                              ">= 1, warn_px > 0, max_rings >= 0");
    if (P->refine & TSCT_CALIB_ROT3)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "refine", -1,
                              "rot3 cannot be refined from rings: a rotation about the beam "
                              "leaves every 2theta unchanged");
    if (!(P->refine & ((1u << TSCT_CALIB_NPARAMS) - 1)))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "refine", -1, "no parameter to refine");
    return TSCT_OK;
}

static tsct_status make_valid(const float *image, const uint8_t *mask, int64_t n,
                              uint8_t **valid, tsct_error *err)
{
    uint8_t *v = malloc((size_t)n);
    if (!v)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "calibration", -1, "mask");
    for (int64_t k = 0; k < n; k++)
        v[k] = (!mask || !mask[k]) && isfinite(image[k]) && image[k] >= 0;
    *valid = v;
    return TSCT_OK;
}

tsct_status tsct_calibrate_residual(const float *image, const uint8_t *mask, int64_t rows,
                                    int64_t cols, const tsct_poni *geometry,
                                    const tsct_calibrant *calibrant,
                                    const tsct_calibrate_params *params, double *rms_deg,
                                    int64_t *npoints, tsct_error *err)
{
    const tsct_calibrate_params defaults = TSCT_CALIBRATE_PARAMS_DEFAULT;
    const tsct_calibrate_params *P = params ? params : &defaults;
    TSCT_TRY(check_params(image, rows, cols, geometry, calibrant, P, err));
    uint8_t *valid = NULL;
    TSCT_TRY(make_valid(image, mask, rows * cols, &valid, err));
    calib_image im = {image, valid, rows, cols};
    calib_points pts = {0};
    tsct_status st = tsct__calib_pick(&im, geometry, calibrant, P, P->window_px, &pts, err);
    if (st == TSCT_OK && pts.n == 0)
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, "rings", -1,
                            "no control points about the given geometry");
    if (st == TSCT_OK) {
        double s = 0;
        double *d1 = malloc((size_t)pts.n * sizeof *d1), *d2 = malloc((size_t)pts.n * sizeof *d2);
        double *tth = malloc((size_t)pts.n * sizeof *tth);
        if (!d1 || !d2 || !tth)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "calibration", -1, "points");
        else {
            for (int64_t k = 0; k < pts.n; k++)
                d1[k] = pts.p[k].d1, d2[k] = pts.p[k].d2;
            tsct_geometry_tth_points(geometry, pts.n, d1, d2, tth);
            for (int64_t k = 0; k < pts.n; k++) {
                const double r =
                    tth[k] - tsct_calibrant_tth(calibrant->rings[pts.p[k].ring].d,
                                                geometry->wavelength * 1e10);
                s += r * r;
            }
            *rms_deg = sqrt(s / pts.n) * 180 / M_PI;
            *npoints = pts.n;
        }
        free(d1), free(d2), free(tth);
    }
    free(pts.p);
    free(valid);
    return st;
}

/* Warnings: the RMS residual in pixels, and rings whose mean residual is off. */
static void assess(tsct_calibrate_result *res, const tsct_calibrant *cal,
                   const tsct_calibrate_params *P)
{
    const tsct_poni *g = &res->poni;
    const double pix_rad = 0.5 * (g->pixel1 + g->pixel2) / g->dist;
    double s = 0;
    for (int64_t k = 0; k < res->npoints; k++)
        s += res->points[k].residual * res->points[k].residual;
    const double rms = res->npoints > 0 ? sqrt(s / res->npoints) : NAN;
    res->rms_deg = rms * 180 / M_PI;
    res->rms_px = rms / pix_rad;
    res->nrings = 0;
    res->tth_max = 0;
    double worst = 0;
    int64_t worst_ring = -1;
    for (int64_t r = 0; r < cal->count; r++) {
        double sum = 0;
        int64_t n = 0;
        for (int64_t k = 0; k < res->npoints; k++)
            if (res->points[k].ring == r)
                sum += res->points[k].residual, n++;
        if (n == 0)
            continue;
        res->nrings++;
        res->tth_max = fmax(res->tth_max, tsct_calibrant_tth(cal->rings[r].d,
                                                             g->wavelength * 1e10));
        if (n < 30)
            continue;
        if (fabs(sum / n) > fabs(worst))
            worst = sum / n, worst_ring = r;
    }
    res->warning = 0;
    res->message[0] = '\0';
    /* The scatter of the points about their neighbours along a ring: the noise of a point,
     * without the slow structure that a wrong calibrant, wavelength or geometry leaves. */
    double sd = 0;
    int64_t nd = 0;
    for (int64_t k = 1; k < res->npoints; k++)
        if (res->points[k].ring == res->points[k - 1].ring) {
            const double d = res->points[k].residual - res->points[k - 1].residual;
            sd += d * d, nd++;
        }
    res->noise_px = nd > 0 ? sqrt(sd / (2.0 * nd)) / pix_rad : NAN;
    /* Scatter alone (a weak or grainy ring) is not a misfit: twice the limit for the RMS, the
     * limit itself for a ring's mean, which a wrong calibrant or wavelength moves. */
    if (res->rms_px > 2 * P->warn_px)
        res->warning = 1;
    /* Good fits leave residuals as rough as the points (RMS / noise 1.0 - 1.25 on the real
     * and simulated frames of the tests); misfits leave smooth structure (5 - 30). */
    if (res->rms_px > P->warn_px / 2 && res->rms_px > 3 * res->noise_px)
        res->warning = 1;
    if (fabs(worst) / pix_rad > P->warn_px)
        res->warning = 1;
    if (res->warning)
        snprintf(res->message, sizeof res->message,
                 "the rings do not fit well: RMS residual %.3g px (%.3g deg; the points' own "
                 "scatter %.2g px) on %lld points of %lld rings; ring %lld (d = %.5g A) is off "
                 "by %.3g px on average; check the calibrant (%s) and the wavelength (%.6g A)",
                 res->rms_px, res->rms_deg, res->noise_px, (long long)res->npoints,
                 (long long)res->nrings,
                 (long long)worst_ring, worst_ring >= 0 ? cal->rings[worst_ring].d : NAN,
                 worst / pix_rad, cal->name, g->wavelength * 1e10);
}

tsct_status tsct_calibrate(const float *image, const uint8_t *mask, int64_t rows, int64_t cols,
                           const tsct_poni *geometry, const tsct_calibrant *cal,
                           const tsct_calibrate_params *params, tsct_calibrate_result **out,
                           tsct_error *err)
{
    *out = NULL;
    const tsct_calibrate_params defaults = TSCT_CALIBRATE_PARAMS_DEFAULT;
    const tsct_calibrate_params *P = params ? params : &defaults;
    tsct_poni g = *geometry;
    if (!P->use_guess) {
        /* Only the detector, the wavelength and rot3 are taken from the geometry. */
        g.dist = 1, g.poni1 = g.poni2 = 0, g.rot1 = g.rot2 = 0;
    }
    TSCT_TRY(check_params(image, rows, cols, &g, cal, P, err));
    uint8_t *valid = NULL;
    TSCT_TRY(make_valid(image, mask, rows * cols, &valid, err));
    calib_image im = {image, valid, rows, cols};
    calib_points pts = {0};
    double esd[TSCT_CALIB_NPARAMS] = {0};
    int niter = 0, one_ring = 0;
    tsct_status st = TSCT_OK;
    if (!P->use_guess)
        st = tsct__calib_start(&im, cal, P, &g, err);
    /* Pass 1: wide windows about the start; without a guess the tilts wait for pass 2. */
    if (st == TSCT_OK)
        st = tsct__calib_pick(&im, &g, cal, P, P->first_window_px, &pts, err);
    if (st == TSCT_OK) {
        unsigned bits = P->refine;
        if (!P->use_guess)
            bits &= TSCT_CALIB_DIST | TSCT_CALIB_PONI1 | TSCT_CALIB_PONI2;
        if (!bits)
            bits = P->refine;
        /* One ring fixes where that ring lies, not the distance or the tilts: refine only
         * the PONI position (the beam centre) and keep the rest from the guess. */
        if (count_rings(&pts, cal->count) == 1 && (bits & (TSCT_CALIB_PONI1 | TSCT_CALIB_PONI2)))
            bits &= TSCT_CALIB_PONI1 | TSCT_CALIB_PONI2, one_ring = 1;
        st = refine_robust(&pts, cal, bits, P, &g, esd, &niter, err);
    }
    /* Passes 2 and 3: narrow windows about the refined geometry, every ring. */
    for (int pass = 0; pass < 2 && (st == TSCT_OK || st == TSCT_NOT_CONVERGED); pass++) {
        st = tsct__calib_pick(&im, &g, cal, P, P->window_px, &pts, err);
        unsigned bits = P->refine;
        if (st == TSCT_OK && count_rings(&pts, cal->count) == 1 &&
            (bits & (TSCT_CALIB_PONI1 | TSCT_CALIB_PONI2)))
            bits &= TSCT_CALIB_PONI1 | TSCT_CALIB_PONI2, one_ring = 1;
        if (st == TSCT_OK)
            st = refine_robust(&pts, cal, bits, P, &g, esd, &niter, err);
    }
    free(valid);
    if (st != TSCT_OK && st != TSCT_NOT_CONVERGED) {
        free(pts.p);
        return st;
    }
    tsct_calibrate_result *res = calloc(1, sizeof *res);
    if (!res) {
        free(pts.p);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "calibration", -1, "result");
    }
    res->poni = g;
    memcpy(res->esd, esd, sizeof esd);
    res->npoints = pts.n;
    res->points = pts.p;
    res->niter = niter;
    assess(res, cal, P);
    if (one_ring)
        snprintf(res->note, sizeof res->note,
                 "only one ring (d = %.5g A) on the detector: poni1 and poni2 refined, the "
                 "distance and tilts kept from the starting geometry",
                 res->npoints > 0 ? cal->rings[res->points[0].ring].d : NAN);
    *out = res;
    return st;
}
