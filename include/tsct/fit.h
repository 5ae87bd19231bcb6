/* tsct/fit.h - peak fitting: profiles on a polynomial background by Levenberg-Marquardt.
 *
 * The model over an x window [xmin, xmax] (q in 1/A, r in A, or any increasing axis) is
 *
 *   f(x) = sum_i A_i P_i(x; x0_i, w_i[, eta_i]) + sum_{j=0}^{d} c_j (x - xc)^j,
 *   xc = (xmin + xmax) / 2   (the window centre: keeps the background columns well conditioned)
 *
 * with area-normalised profiles of full width at half maximum w (u = (x - x0) / w):
 *   Gaussian     G(x) = sqrt(4 ln 2 / pi) / w * exp(-4 ln 2 u^2)
 *   Lorentzian   L(x) = (2 / pi) / w / (1 + 4 u^2)
 *   pseudo-Voigt V(x) = eta L(x) + (1 - eta) G(x)      (same w for both; 0 <= eta <= 1)
 * so A_i is the integrated area of peak i (docs/fit.md).
 *
 * Parameter layout (k values, the last axis of /entry/fits/NAME/parameters): for each peak
 * i = 1..npeaks: area_i, position_i, fwhm_i, and eta_i for pseudo-Voigt peaks only; then
 * bg_0 .. bg_d. tsct_fit_plan_names() spells it ("area_1,position_1,fwhm_1,eta_1,bg_0,bg_1").
 *
 * Least squares: minimise chi2 = sum_n w_n (y_n - f(x_n))^2 over the points of the window, with
 * w_n = 1 / sigma_n^2 when sigma is given and w_n = 1 otherwise, by Levenberg-Marquardt with
 * analytic derivatives, Moré's column scaling and bounds by projection (each trial point is
 * clipped to the box; a parameter on a bound whose gradient points outward is held for that
 * iteration). Convergence as MINPACK's lmder (Moré 1978): ftol on the actual and predicted
 * relative reductions of chi2, xtol on the relative size of the scaled step, gtol on the
 * cosine between the residual and the Jacobian's columns; max_iter iterations at most.
 *
 * ESDs: sqrt of the diagonal of C = (J^T W J)^-1 over the free (not fixed) parameters at the
 * solution; with sigma given C is used as it is (absolute sigma), without sigma it is scaled by
 * the reduced chi2 = chi2 / (n - nfree), as scipy.optimize.curve_fit does by default. Fixed
 * parameters have ESD 0; when J^T W J is singular at the solution (e.g. a peak of area 0 has
 * no defined position) the ESDs are NaN. Goodness of fit: reduced chi2 and
 * R_wp = sqrt(chi2 / sum w y^2).
 *
 * Plan once, execute many: a plan holds the window indices, the model layout, the centred
 * powers of x and the bounds; a workspace holds per-thread scratch. Execution never allocates,
 * takes a const plan and its own workspace slot: plans are shared between threads.
 * Ownership: _create allocates, _destroy frees (NULL is a no-op). Plans copy their inputs.
 */
#ifndef TSCT_FIT_H
#define TSCT_FIT_H

#include <stdint.h>

#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSCT_FIT_MAX_PEAKS 8
#define TSCT_FIT_MAX_BG_DEGREE 3
/* At most 4 parameters per peak plus the background. */
#define TSCT_FIT_MAX_PARAMS (4 * TSCT_FIT_MAX_PEAKS + TSCT_FIT_MAX_BG_DEGREE + 1)

typedef enum tsct_fit_profile {
    TSCT_FIT_GAUSSIAN = 0,
    TSCT_FIT_LORENTZIAN = 1,
    TSCT_FIT_PSEUDO_VOIGT = 2,
} tsct_fit_profile;

/* One parameter's settings. value: starting value (NaN: automatic, see below), or the held value
 * when fixed (then it must be finite). lo, hi: bounds (NaN: the automatic bound below; use
 * -INFINITY / INFINITY for none); lo <= value <= hi. */
typedef struct tsct_fit_param_spec {
    double value, lo, hi;
    int fixed;
} tsct_fit_param_spec;

#define TSCT_FIT_PARAM_SPEC_AUTO {NAN, NAN, NAN, 0}

/* Automatic starting values (from the data of each fit; the background line L(x) is the straight
 * line through the mean of the first three and of the last three window points):
 *   position  the given value, else the x of the largest y - L inside the window (with several
 *             peaks, of y - L minus the earlier peaks' starting profiles)
 *   fwhm      the width at half of that height above L, by linear interpolation between points
 *             (a quarter of the window when the half height is not crossed)
 *   area      one peak: the trapezoid sum of y - L over the window; several: height x width x
 *             profile factor per peak, scaled so that their sum is that trapezoid sum (if > 0)
 *   eta       0.5
 *   bg        L(x) as c_0, c_1 (c_0 only for degree 0: the mean of the two edges), higher 0
 * Automatic bounds: area >= 0, position in [xmin, xmax], fwhm in [dx / 4, xmax - xmin] with dx
 * the mean point spacing in the window, eta in [0, 1], background unbounded. Starting values
 * are clipped to the bounds. */
typedef struct tsct_fit_peak {
    tsct_fit_profile profile;
    tsct_fit_param_spec area, position, fwhm, eta;  /* eta is used by pseudo-Voigt only */
} tsct_fit_peak;

typedef struct tsct_fit_model {
    double xmin, xmax;      /* the window, in the units of x; the points with xmin <= x <= xmax */
    int npeaks;             /* 1 .. TSCT_FIT_MAX_PEAKS */
    tsct_fit_peak peaks[TSCT_FIT_MAX_PEAKS];
    int bg_degree;          /* 0 .. 3; -1: no background */
    tsct_fit_param_spec bg[TSCT_FIT_MAX_BG_DEGREE + 1];
} tsct_fit_model;

/* Set a model to: window [xmin, xmax], no peaks, background degree 1, every spec automatic. */
void tsct_fit_model_init(tsct_fit_model *model, double xmin, double xmax);

/* Parse a peak description "PROFILE[@POSITION][,NAME=SPEC]..." and append it to the model.
 * PROFILE: g | gauss | gaussian, l | lorentz | lorentzian, pv | pvoigt | pseudo-voigt.
 * NAME: area, position, fwhm, eta. SPEC: V (start value), V:fixed (held at V), V:LO:HI (start
 * and bounds), :LO:HI (bounds, automatic start). Example: "pv@2.31,fwhm=0.03,eta=0.5:fixed".
 * Errors: TSCT_ERR_VALUE naming the spec and the part that is wrong (unknown profile or name,
 * not a number, too many peaks). */
tsct_status tsct_fit_model_add_peak(tsct_fit_model *model, const char *spec, tsct_error *err);

/* Profile name ("gaussian", "lorentzian", "pseudo-voigt"). */
const char *tsct_fit_profile_name(tsct_fit_profile profile);

typedef struct tsct_fit_params {
    double ftol;     /* stop when both the actual and predicted relative reductions of chi2 in
                        an iteration are <= ftol (>= 0) */
    double xtol;     /* stop when the scaled step is <= xtol times the scaled parameters */
    double gtol;     /* stop when every |cos(residual, Jacobian column)| <= gtol (0: off) */
    int max_iter;    /* iterations (Jacobian evaluations) at most; then TSCT_NOT_CONVERGED */
    int nthreads;    /* threads of tsct_fit_execute_many (0: all cores) */
} tsct_fit_params;

/* ftol = xtol = 1e-10, gtol = 0, 200 iterations, all cores. */
#define TSCT_FIT_PARAMS_DEFAULT {1e-10, 1e-10, 0.0, 200, 0}

/* Outcome of one fit, also stored in /entry/fits/NAME/status (as float; NaN = not fitted). */
typedef enum tsct_fit_status {
    TSCT_FIT_CONVERGED = 0,  /* a tolerance was met, every parameter inside its bounds */
    TSCT_FIT_AT_BOUND = 1,   /* converged with at least one free parameter on a bound */
    TSCT_FIT_MAX_ITER = 2,   /* max_iter reached: the best point found is returned */
    TSCT_FIT_FAILED = 3,     /* no fit: non-finite or non-positive-sigma data in the window
                                (parameters and ESDs are NaN) */
} tsct_fit_status;

typedef struct tsct_fit_result {
    double p[TSCT_FIT_MAX_PARAMS];    /* parameters in the layout order */
    double esd[TSCT_FIT_MAX_PARAMS];  /* their ESDs (above) */
    double chi2, redchi2, rwp;
    int niter;                        /* Jacobian evaluations */
    int nfev;                         /* model evaluations */
    tsct_fit_status status;
} tsct_fit_result;

typedef struct tsct_fit_plan tsct_fit_plan;
typedef struct tsct_fit_workspace tsct_fit_workspace;

/* Plan fits of the model on patterns sampled at x[nx] (strictly increasing, finite; copied).
 * Errors: TSCT_ERR_VALUE with a message naming the offending item: x not increasing, a bad
 * parameter (tolerance < 0, max_iter < 1), npeaks or bg_degree out of range, a window outside
 * the axis or holding fewer points than parameters + 1 ("window 5..6 holds 0 points of the axis
 * 0.5..4"), a peak position (given) outside the window, lo > hi, a width bound <= 0, eta
 * bounds outside 0..1, a value not finite when fixed or outside its bounds, every parameter
 * fixed; TSCT_ERR_NOMEM. */
tsct_status tsct_fit_plan_create(const tsct_fit_model *model, const tsct_fit_params *params,
                                 const double *x, int64_t nx, tsct_fit_plan **out,
                                 tsct_error *err);
void tsct_fit_plan_destroy(tsct_fit_plan *plan);

/* k, the number of parameters; the number of free ones; the window's first index and count. */
int tsct_fit_plan_nparams(const tsct_fit_plan *plan);
int tsct_fit_plan_nfree(const tsct_fit_plan *plan);
void tsct_fit_plan_window(const tsct_fit_plan *plan, int64_t *first, int64_t *count);

/* The comma-separated parameter names in layout order (owned by the plan). */
const char *tsct_fit_plan_names(const tsct_fit_plan *plan);

/* A one-line description of the model and settings for provenance (owned by the plan). */
const char *tsct_fit_plan_describe(const tsct_fit_plan *plan);

/* Scratch for nslots concurrent fits (one per thread). Errors: TSCT_ERR_VALUE (nslots < 1),
 * TSCT_ERR_NOMEM. */
tsct_status tsct_fit_workspace_create(const tsct_fit_plan *plan, int nslots,
                                      tsct_fit_workspace **out, tsct_error *err);
void tsct_fit_workspace_destroy(tsct_fit_workspace *ws);

/* The model f(x) and, if jac is not NULL, its derivatives jac[n * k + j] = df(x_n)/dp_j (every
 * parameter, fixed ones included) at p[k], for the window points n = 0 .. count - 1 (f[count]).
 * Used by the fit and exposed for tests. Thread-safe. */
void tsct_fit_plan_model(const tsct_fit_plan *plan, const double *p, double *f, double *jac);

/* Fit one pattern: y[nx] (and sigma[nx], or NULL for unit weights) on the plan's axis; only
 * the window's points are read. Uses workspace slot `slot` (one thread per slot). Returns
 * TSCT_OK (status CONVERGED or AT_BOUND), TSCT_NOT_CONVERGED (MAX_ITER, result usable), or
 * TSCT_ERR_VALUE (FAILED; the message names the point: non-finite y, sigma <= 0; also for a
 * workspace of another plan or a slot out of range). Never allocates. */
tsct_status tsct_fit_execute(const tsct_fit_plan *plan, const double *y, const double *sigma,
                             tsct_fit_workspace *ws, int slot, tsct_fit_result *res,
                             tsct_error *err);

/* Fit npix float patterns (pattern p at patterns + p * ld, nx of the plan's axis each) in
 * parallel over min(nthreads, slots) threads; pixels with mask[p] == 0 (mask may be NULL) and
 * failed fits are NaN in every output except status (NaN only outside the mask). Outputs (any
 * may be NULL): params[npix][k], esd[npix][k], rwp[npix], redchi2[npix], status[npix].
 * Returns the number of fits per status in counts[4] (may be NULL). Never allocates. */
void tsct_fit_execute_many(const tsct_fit_plan *plan, const float *patterns, int64_t npix,
                           int64_t ld, const uint8_t *mask, tsct_fit_workspace *ws,
                           float *params, float *esd, float *rwp, float *redchi2,
                           float *status, int64_t counts[4]);

/* ---- general nonlinear least squares ---------------------------------------------------- */

/* Residuals of a problem with m parameters at p[m]: r[n], and, when jac is not NULL, the
 * Jacobian jac[i * m + j] = d r_i / d p_j. Return TSCT_OK, or an error (with err filled) to
 * stop the fit. */
typedef tsct_status (*tsct_fit_lsq_fn)(void *ctx, const double *p, double *r, double *jac,
                                       tsct_error *err);

typedef struct tsct_fit_lsq_info {
    double chi2;    /* sum of r_i^2 at the solution */
    int niter;      /* Jacobian evaluations */
    int nfev;       /* residual evaluations */
} tsct_fit_lsq_info;

/* Minimise sum r_i(p)^2 over p[m] (1 <= m <= TSCT_FIT_MAX_PARAMS, n > m) by the same
 * Levenberg-Marquardt as the peak fits (Moré's scaling, MINPACK's ftol / xtol tests from
 * params; gtol and nthreads are not used), starting from p, which receives the solution.
 * cov (may be NULL) receives (J^T J)^-1 [m][m] at the solution, unscaled: multiply by
 * chi2 / (n - m) for ESDs from the scatter; NaN when J^T J is singular (a parameter the data do
 * not determine). Allocates its scratch (O(n m)). Returns TSCT_OK, TSCT_NOT_CONVERGED (max_iter
 * reached; p is the best point found), TSCT_ERR_VALUE (bad sizes, a non-finite residual at the
 * start), TSCT_ERR_NOMEM or the callback's error. Reentrant. */
tsct_status tsct_fit_lsq(tsct_fit_lsq_fn fn, void *ctx, int64_t n, int m, double *p,
                         const tsct_fit_params *params, double *cov, tsct_fit_lsq_info *info,
                         tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_FIT_H */
