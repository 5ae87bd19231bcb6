/* fit_lm.c - Levenberg-Marquardt least squares for the peak models of fit_model.c, automatic
 * starting values, and the batch driver over voxels.
 *
 * The iteration is Marquardt's damped Gauss-Newton step on the normal equations,
 *   (J^T W J + lambda D^2) d = J^T W (y - f),
 * with D the running maximum of the column norms of W^1/2 J (Moré, "The Levenberg-Marquardt
 * algorithm: implementation and theory", Lecture Notes in Mathematics 630 (1978) 105: the
 * scaling that makes the method invariant to the parameters' units) and lambda updated from
 * the ratio of actual to predicted reduction (Nielsen's rule: H. B. Nielsen, IMM-REP-1999-05).
 * The systems are at most TSCT_FIT_MAX_PARAMS square and are solved by a Cholesky
 * factorisation after symmetric diagonal equilibration; with double precision and scaled
 * columns this is as accurate as the QR of MINPACK for these small, well-posed problems (the
 * tests recover noiseless parameters to 1e-8 and agree with MINPACK through curve_fit).
 *
 * Bounds by projection: the trial point p + d is clipped to the box, and a free parameter
 * lying on a bound with its gradient component pointing out of the box is held for that
 * iteration (an active set), so the step of the others is the unconstrained one.
 *
 * Stopping rules are MINPACK lmder's (ftol, xtol, gtol, an iteration limit), restated in
 * include/tsct/fit.h and docs/fit.md. Nothing here allocates: the workspace holds every
 * buffer, one slot per thread.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "fit_internal.h"
#include "tsct_config.h"

#if TSCT_HAVE_OPENMP
#include <omp.h>
#endif

struct tsct_fit_workspace {
    const tsct_fit_plan *plan;
    int nslots;
    size_t per_slot;   /* doubles per slot */
    double *mem;
};

/* One slot's buffers, carved from the workspace. */
struct slot {
    double *y, *sw, *f, *ft, *z, *J;     /* [n], [n], [n], [n], [n], [n * k] */
    double *A, *M;                       /* [m * m] normal matrix and its damped copy */
    double *g, *d, *D, *p, *pt, *s;      /* [k] */
};

static size_t slot_size(const tsct_fit_plan *pl)
{
    const size_t n = (size_t)pl->n, k = (size_t)pl->k;
    return 5 * n + n * k + 2 * k * k + 6 * k;
}

static void slot_get(const tsct_fit_workspace *ws, int i, struct slot *s)
{
    const size_t n = (size_t)ws->plan->n, k = (size_t)ws->plan->k;
    double *m = ws->mem + ws->per_slot * (size_t)i;
    s->y = m, m += n;
    s->sw = m, m += n;
    s->f = m, m += n;
    s->ft = m, m += n;
    s->z = m, m += n;
    s->J = m, m += n * k;
    s->A = m, m += k * k;
    s->M = m, m += k * k;
    s->g = m, m += k;
    s->d = m, m += k;
    s->D = m, m += k;
    s->p = m, m += k;
    s->pt = m, m += k;
    s->s = m;
}

tsct_status tsct_fit_workspace_create(const tsct_fit_plan *plan, int nslots,
                                      tsct_fit_workspace **out, tsct_error *err)
{
    *out = NULL;
    if (nslots < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "workspace", -1,
                              "at least one slot is needed, asked for %d", nslots);
    tsct_fit_workspace *ws = calloc(1, sizeof *ws);
    if (!ws)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "fit workspace", -1, "out of memory");
    ws->plan = plan;
    ws->nslots = nslots;
    /* Round each slot to a cache line so threads do not share one. */
    ws->per_slot = (slot_size(plan) + 7) / 8 * 8;
    ws->mem = malloc(ws->per_slot * (size_t)nslots * sizeof *ws->mem);
    if (!ws->mem) {
        free(ws);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "fit workspace", -1, "out of memory");
    }
    *out = ws;
    return TSCT_OK;
}

void tsct_fit_workspace_destroy(tsct_fit_workspace *ws)
{
    if (!ws)
        return;
    free(ws->mem);
    free(ws);
}

static double clip(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* ---- starting values --------------------------------------------------------------------- */

/* Starting values from the data in s->y (window points), into s->p; z is scratch. */
static void start_values(const tsct_fit_plan *pl, struct slot *s)
{
    const int64_t n = pl->n;
    const double *x = pl->x, *y = s->y;
    double *z = s->z, *p = s->p;
    /* Edges: the mean of up to three points at each end of the window. */
    const int64_t e = n >= 6 ? 3 : 1;
    double xa = 0, ya = 0, xb = 0, yb = 0;
    for (int64_t i = 0; i < e; i++) {
        xa += x[i], ya += y[i];
        xb += x[n - 1 - i], yb += y[n - 1 - i];
    }
    xa /= (double)e, ya /= (double)e, xb /= (double)e, yb /= (double)e;
    const double slope = (yb - ya) / (xb - xa);
    double total = 0;
    for (int64_t i = 0; i < n; i++) {
        z[i] = y[i] - (ya + slope * (x[i] - xa));
        if (i > 0)
            total += 0.5 * (z[i] + z[i - 1]) * (x[i] - x[i - 1]);
    }
    for (int j = 0; j < pl->k; j++)
        p[j] = 0;
    if (pl->model.bg_degree == 0)
        p[pl->bgoff] = 0.5 * (ya + yb);
    else if (pl->model.bg_degree >= 1) {
        p[pl->bgoff] = ya + slope * (pl->xc - xa);
        p[pl->bgoff + 1] = slope;
    }
    double zmax = 0;
    for (int64_t i = 0; i < n; i++)
        zmax = fmax(zmax, fabs(z[i]));
    double hsum = 0;
    for (int pk = 0; pk < pl->model.npeaks; pk++) {
        const int o = pl->poff[pk];
        const tsct_fit_profile prof = pl->model.peaks[pk].profile;
        /* Position: the given one, else the maximum of what earlier peaks left. */
        int64_t m = 0;
        if (!isnan(pl->value[o + 1])) {
            while (m + 1 < n && fabs(x[m + 1] - pl->value[o + 1]) < fabs(x[m] - pl->value[o + 1]))
                m++;
            p[o + 1] = pl->value[o + 1];
        } else {
            for (int64_t i = 1; i < n; i++)
                if (z[i] > z[m])
                    m = i;
            p[o + 1] = x[m];
        }
        p[o + 1] = clip(p[o + 1], pl->lo[o + 1], pl->hi[o + 1]);
        const double h = z[m];
        /* FWHM: the half-height crossings on both sides, interpolated linearly. */
        double w = isnan(pl->value[o + 2]) ? NAN : pl->value[o + 2];
        if (isnan(w)) {
            double xl = NAN, xr = NAN;
            if (h > 0) {
                for (int64_t i = m; i > 0; i--)
                    if (z[i - 1] <= 0.5 * h) {
                        xl = x[i - 1] +
                             (0.5 * h - z[i - 1]) / (z[i] - z[i - 1]) * (x[i] - x[i - 1]);
                        break;
                    }
                for (int64_t i = m; i + 1 < n; i++)
                    if (z[i + 1] <= 0.5 * h) {
                        xr = x[i] + (z[i] - 0.5 * h) / (z[i] - z[i + 1]) * (x[i + 1] - x[i]);
                        break;
                    }
            }
            w = !isnan(xl) && !isnan(xr) ? xr - xl
                : !isnan(xl)             ? 2 * (x[m] - xl)
                : !isnan(xr)             ? 2 * (xr - x[m])
                                         : 0.25 * (pl->model.xmax - pl->model.xmin);
        }
        p[o + 2] = w = clip(w, pl->lo[o + 2], pl->hi[o + 2]);
        double eta = 0.5;
        if (prof == TSCT_FIT_PSEUDO_VOIGT) {
            if (!isnan(pl->value[o + 3]))
                eta = pl->value[o + 3];
            p[o + 3] = eta = clip(eta, pl->lo[o + 3], pl->hi[o + 3]);
        }
        /* Area from the height; the starting profile is removed before the next peak. */
        const double fac = tsct__fit_height_factor(prof, eta);
        double A = h > 0 ? h * w / fac : 0;
        p[o] = A;
        hsum += A;
        for (int64_t i = 0; i < n; i++) {
            const double u = (x[i] - p[o + 1]) / w;
            const double v = eta * 0.63661977236758134308 / (1 + 4 * u * u) +
                             (1 - eta) * 0.93943727869965133377 * exp(-2.772588722239781 * u * u);
            z[i] -= A / w * v;
        }
    }
    /* Scale the areas to the trapezoid sum above the edge line (one peak: that sum). */
    const double scale = total > 0 && hsum > 0 ? total / hsum : 1;
    const double tiny = 1e-3 * pl->dx * (zmax > 0 ? zmax : 1);
    for (int pk = 0; pk < pl->model.npeaks; pk++) {
        const int o = pl->poff[pk];
        double A = isnan(pl->value[o]) ? p[o] * scale : pl->value[o];
        if (isnan(pl->value[o]) && !(A > tiny))
            A = tiny;
        p[o] = clip(A, pl->lo[o], pl->hi[o]);
    }
    for (int j = 0; j <= pl->model.bg_degree; j++)
        if (!isnan(pl->value[pl->bgoff + j]))
            p[pl->bgoff + j] = pl->value[pl->bgoff + j];
    for (int j = 0; j < pl->k; j++)
        p[j] = clip(p[j], pl->lo[j], pl->hi[j]);
}

/* ---- linear algebra -------------------------------------------------------------------- */

/* Solve the m x m symmetric positive definite system M d = b (M overwritten) after scaling it
 * to unit diagonal (s: scratch [m]). Returns -1 if M is not positive definite. */
int tsct__fit_spd_solve(double *M, int m, const double *b, double *d, double *s)
{
    for (int i = 0; i < m; i++) {
        if (!(M[i * m + i] > 0))
            return -1;
        s[i] = 1.0 / sqrt(M[i * m + i]);
    }
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++)
            M[i * m + j] *= s[i] * s[j];
    for (int j = 0; j < m; j++) {
        double v = M[j * m + j];
        for (int l = 0; l < j; l++)
            v -= M[j * m + l] * M[j * m + l];
        if (!(v > 64 * DBL_EPSILON))
            return -1;
        M[j * m + j] = sqrt(v);
        for (int i = j + 1; i < m; i++) {
            double u = M[i * m + j];
            for (int l = 0; l < j; l++)
                u -= M[i * m + l] * M[j * m + l];
            M[i * m + j] = u / M[j * m + j];
        }
    }
    for (int i = 0; i < m; i++) {
        double v = b[i] * s[i];
        for (int l = 0; l < i; l++)
            v -= M[i * m + l] * d[l];
        d[i] = v / M[i * m + i];
    }
    for (int i = m - 1; i >= 0; i--) {
        double v = d[i];
        for (int l = i + 1; l < m; l++)
            v -= M[l * m + i] * d[l];
        d[i] = v / M[i * m + i];
    }
    for (int i = 0; i < m; i++)
        d[i] *= s[i];
    return 0;
}

int tsct__fit_lm_step(const tsct_fit_params *P, double chi2, double ct, double pred,
                      double dnorm, double xnorm, double *lambda, double *nu, int *converged)
{
    const double actred = isfinite(ct) ? chi2 - ct : -INFINITY;
    const double ratio = pred > 0 ? actred / pred : 0;
    const int accepted = actred > 0;
    if (accepted) {
        const double t = 2 * ratio - 1;
        *lambda *= fmax(1.0 / 3, 1 - t * t * t);
        *nu = 2;
    } else {
        *lambda *= *nu, *nu *= 2;
    }
    /* MINPACK's tests (lmder info 1 and 2), on accepted and rejected steps alike. */
    *converged = (fabs(actred) <= P->ftol * chi2 && pred <= P->ftol * chi2 && ratio <= 2) ||
                 dnorm <= P->xtol * xnorm || dnorm <= DBL_EPSILON * xnorm;
    return accepted;
}

/* ---- one fit --------------------------------------------------------------------------- */

/* chi2 of the model at p; f receives the model. */
static double chi2_at(const tsct_fit_plan *pl, const struct slot *s, const double *p, double *f)
{
    tsct_fit_plan_model(pl, p, f, NULL);
    double c = 0;
    for (int64_t i = 0; i < pl->n; i++) {
        const double r = s->sw[i] * (s->y[i] - f[i]);
        c += r * r;
    }
    return c;
}

/* Model, Jacobian, chi2, normal matrix A = J^T W J and gradient g = J^T W (y - f) over the free
 * parameters at s->p. */
static double linearise(const tsct_fit_plan *pl, struct slot *s)
{
    const int64_t n = pl->n;
    const int k = pl->k, m = pl->nfree;
    tsct_fit_plan_model(pl, s->p, s->f, s->J);
    double c = 0;
    for (int a = 0; a < m * m; a++)
        s->A[a] = 0;
    for (int a = 0; a < m; a++)
        s->g[a] = 0;
    for (int64_t i = 0; i < n; i++) {
        const double w = s->sw[i], r = w * (s->y[i] - s->f[i]);
        const double *Ji = s->J + i * k;
        double jw[TSCT_FIT_MAX_PARAMS];
        for (int a = 0; a < m; a++)
            jw[a] = w * Ji[pl->free_idx[a]];
        c += r * r;
        for (int a = 0; a < m; a++) {
            s->g[a] += jw[a] * r;
            for (int b = 0; b <= a; b++)
                s->A[a * m + b] += jw[a] * jw[b];
        }
    }
    for (int a = 0; a < m; a++)
        for (int b = 0; b < a; b++)
            s->A[b * m + a] = s->A[a * m + b];
    return c;
}

/* Reset a result to "no fit". */
static void result_clear(tsct_fit_result *res)
{
    res->status = TSCT_FIT_FAILED;
    res->niter = res->nfev = 0;
    res->chi2 = res->redchi2 = res->rwp = NAN;
    for (int j = 0; j < TSCT_FIT_MAX_PARAMS; j++)
        res->p[j] = res->esd[j] = NAN;
}

/* The fit of the window data already in the slot (s->y, s->sw); wy2 = sum w y^2;
 * absolute: ESDs from the unscaled covariance (sigma given). */
static tsct_status fit_window(const tsct_fit_plan *pl, struct slot *sp, double wy2,
                              int absolute, tsct_fit_result *res)
{
    struct slot s = *sp;
    const int64_t n = pl->n;
    const int k = pl->k, m = pl->nfree;
    start_values(pl, &s);
    const tsct_fit_params *P = &pl->params;
    double chi2 = linearise(pl, &s);
    res->nfev = res->niter = 1;
    for (int a = 0; a < m; a++)
        s.D[a] = s.A[a * m + a] > 0 ? sqrt(s.A[a * m + a]) : 1.0;
    double lambda = 1e-3, nu = 2;
    tsct_fit_status outcome = TSCT_FIT_MAX_ITER;
    int active[TSCT_FIT_MAX_PARAMS];
    while (outcome == TSCT_FIT_MAX_ITER) {
        if (chi2 == 0) {
            outcome = TSCT_FIT_CONVERGED;
            break;
        }
        if (P->gtol > 0) {
            double gmax = 0;
            for (int a = 0; a < m; a++)
                if (s.A[a * m + a] > 0)
                    gmax = fmax(gmax, fabs(s.g[a]) / sqrt(s.A[a * m + a] * chi2));
            if (gmax <= P->gtol) {
                outcome = TSCT_FIT_CONVERGED;
                break;
            }
        }
        for (int a = 0; a < m; a++) {
            const int j = pl->free_idx[a];
            s.D[a] = fmax(s.D[a], sqrt(s.A[a * m + a]));
            active[a] = (s.p[j] <= pl->lo[j] && s.g[a] < 0) || (s.p[j] >= pl->hi[j] && s.g[a] > 0);
        }
        /* Inner loop: raise lambda until a step lowers chi2 or a tolerance is met. */
        int accepted = 0;
        while (!accepted && outcome == TSCT_FIT_MAX_ITER) {
            int mm = 0, map[TSCT_FIT_MAX_PARAMS];
            for (int a = 0; a < m; a++)
                if (!active[a])
                    map[mm++] = a;
            double rhs[TSCT_FIT_MAX_PARAMS], dd[TSCT_FIT_MAX_PARAMS];
            for (int a = 0; a < mm; a++) {
                rhs[a] = s.g[map[a]];
                for (int b = 0; b < mm; b++)
                    s.M[a * mm + b] = s.A[map[a] * m + map[b]];
                s.M[a * mm + a] += lambda * s.D[map[a]] * s.D[map[a]];
            }
            for (int a = 0; a < m; a++)
                s.d[a] = 0;
            if (mm == 0 || tsct__fit_spd_solve(s.M, mm, rhs, dd, s.s) != 0) {
                if (mm == 0 || lambda > 1e30) {
                    outcome = TSCT_FIT_CONVERGED;  /* no direction left: a bound vertex */
                    break;
                }
                lambda *= nu, nu *= 2;
                continue;
            }
            for (int a = 0; a < mm; a++)
                s.d[map[a]] = dd[a];
            for (int j = 0; j < k; j++)
                s.pt[j] = s.p[j];
            double dnorm = 0, xnorm = 0;
            for (int a = 0; a < m; a++) {
                const int j = pl->free_idx[a];
                s.pt[j] = clip(s.p[j] + s.d[a], pl->lo[j], pl->hi[j]);
                s.d[a] = s.pt[j] - s.p[j];
                dnorm += (s.D[a] * s.d[a]) * (s.D[a] * s.d[a]);
                xnorm += (s.D[a] * s.p[j]) * (s.D[a] * s.p[j]);
            }
            dnorm = sqrt(dnorm), xnorm = sqrt(xnorm);
            /* Predicted reduction of the linear model for the (clipped) step d:
             * |r|^2 - |r - J d|^2 = 2 d.g - d.A.d */
            double pred = 0;
            for (int a = 0; a < m; a++) {
                double Ad = 0;
                for (int b = 0; b < m; b++)
                    Ad += s.A[a * m + b] * s.d[b];
                pred += s.d[a] * (2 * s.g[a] - Ad);
            }
            const double ct = chi2_at(pl, &s, s.pt, s.ft);
            res->nfev++;
            int converged = 0;
            accepted = tsct__fit_lm_step(P, chi2, ct, pred, dnorm, xnorm, &lambda, &nu,
                                         &converged);
            if (accepted)
                for (int j = 0; j < k; j++)
                    s.p[j] = s.pt[j];
            if (converged)
                outcome = TSCT_FIT_CONVERGED;
            if (accepted) {
                chi2 = linearise(pl, &s);
                res->niter++;
                if (outcome == TSCT_FIT_MAX_ITER && res->niter >= P->max_iter)
                    break;
            }
            if (!accepted && res->nfev > 20 * P->max_iter)
                break;
        }
        if (outcome == TSCT_FIT_MAX_ITER && (res->niter >= P->max_iter ||
                                             res->nfev > 20 * P->max_iter))
            break;
    }
    /* Covariance over the free parameters: (J^T W J)^-1 column by column. */
    const double dof = (double)(n - m);
    res->chi2 = chi2;
    res->redchi2 = chi2 / dof;
    res->rwp = wy2 > 0 ? sqrt(chi2 / wy2) : NAN;
    const double scale = absolute ? 1.0 : res->redchi2;
    for (int j = 0; j < k; j++) {
        res->p[j] = s.p[j];
        res->esd[j] = pl->fixed[j] ? 0.0 : NAN;
    }
    for (int a = 0; a < m; a++) {
        double e[TSCT_FIT_MAX_PARAMS], c[TSCT_FIT_MAX_PARAMS];
        for (int b = 0; b < m; b++)
            e[b] = a == b;
        for (int b = 0; b < m * m; b++)
            s.M[b] = s.A[b];
        if (tsct__fit_spd_solve(s.M, m, e, c, s.s) != 0)
            break;
        res->esd[pl->free_idx[a]] = sqrt(c[a] * scale);
    }
    int at_bound = 0;
    for (int a = 0; a < m; a++) {
        const int j = pl->free_idx[a];
        at_bound |= s.p[j] <= pl->lo[j] || s.p[j] >= pl->hi[j];
    }
    res->status = outcome == TSCT_FIT_CONVERGED && at_bound ? TSCT_FIT_AT_BOUND : outcome;
    return outcome == TSCT_FIT_MAX_ITER ? TSCT_NOT_CONVERGED : TSCT_OK;
}

tsct_status tsct_fit_execute(const tsct_fit_plan *pl, const double *y, const double *sigma,
                             tsct_fit_workspace *ws, int slot, tsct_fit_result *res,
                             tsct_error *err)
{
    result_clear(res);
    if (!ws || ws->plan != pl || slot < 0 || slot >= ws->nslots)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "workspace", slot,
                              "the workspace was made for another plan or has no such slot");
    struct slot s;
    slot_get(ws, slot, &s);
    double wy2 = 0;
    for (int64_t i = 0; i < pl->n; i++) {
        const double v = y[pl->first + i];
        const double sg = sigma ? sigma[pl->first + i] : 1.0;
        if (!isfinite(v) || !(sg > 0) || !isfinite(sg))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, !isfinite(v) ? "y" : "sigma",
                                  pl->first + i, "%s at x = %g: %g",
                                  !isfinite(v) ? "non-finite value"
                                               : "sigma must be finite and > 0",
                                  pl->x[i], !isfinite(v) ? v : sg);
        s.y[i] = v;
        s.sw[i] = 1.0 / sg;
        wy2 += v * v / (sg * sg);
    }
    return fit_window(pl, &s, wy2, sigma != NULL, res);
}

void tsct_fit_execute_many(const tsct_fit_plan *pl, const float *patterns, int64_t npix,
                           int64_t ld, const uint8_t *mask, tsct_fit_workspace *ws,
                           float *params, float *esd, float *rwp, float *redchi2,
                           float *status, int64_t counts[4])
{
    const int k = pl->k;
    int nthreads = pl->params.nthreads < ws->nslots ? pl->params.nthreads : ws->nslots;
    int64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
#if TSCT_HAVE_OPENMP
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, 8) reduction(+ : c0, c1, c2, c3)
#else
    (void)nthreads;
#endif
    for (int64_t px = 0; px < npix; px++) {
        const int tid = tsct__thread_id();
        tsct_fit_result r;
        result_clear(&r);
        int fitted = !mask || mask[px];
        if (fitted) {
            struct slot s;
            slot_get(ws, tid, &s);
            const float *src = patterns + px * ld + pl->first;
            double wy2 = 0;
            int finite = 1;
            for (int64_t i = 0; i < pl->n; i++) {
                s.y[i] = src[i];
                s.sw[i] = 1;
                wy2 += s.y[i] * s.y[i];
                finite &= isfinite(src[i]) != 0;
            }
            if (finite)
                fit_window(pl, &s, wy2, 0, &r);
        }
        const int ok = fitted && r.status != TSCT_FIT_FAILED;
        for (int j = 0; j < k; j++) {
            if (params)
                params[px * k + j] = ok ? (float)r.p[j] : NAN;
            if (esd)
                esd[px * k + j] = ok ? (float)r.esd[j] : NAN;
        }
        if (rwp)
            rwp[px] = ok ? (float)r.rwp : NAN;
        if (redchi2)
            redchi2[px] = ok ? (float)r.redchi2 : NAN;
        if (status)
            status[px] = fitted ? (float)r.status : NAN;
        if (fitted) {
            c0 += r.status == TSCT_FIT_CONVERGED;
            c1 += r.status == TSCT_FIT_AT_BOUND;
            c2 += r.status == TSCT_FIT_MAX_ITER;
            c3 += r.status == TSCT_FIT_FAILED;
        }
    }
    if (counts) {
        counts[0] = c0, counts[1] = c1, counts[2] = c2, counts[3] = c3;
    }
}
