/* fit_lsq.c - general nonlinear least squares by Levenberg-Marquardt over a residual callback
 * (include/tsct/fit.h): the solver of the peak fits (fit_lm.c) for problems whose model is not
 * a sum of peaks, such as the detector geometry of a calibration.
 *
 * Step: (J^T J + lambda D^2) delta = -J^T r with D the running maximum of the column norms of
 * J (Moré 1978, "The Levenberg-Marquardt algorithm: implementation and theory"); lambda is
 * lowered after a successful step by the gain ratio (Nielsen's rule, as fit_lm.c) and raised
 * otherwise. Convergence as MINPACK's lmder: relative reduction <= ftol, scaled step <= xtol.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fit_internal.h"
#include "tsct/fit.h"

static double sumsq(const double *r, int64_t n)
{
    double c = 0;
    for (int64_t i = 0; i < n; i++)
        c += r[i] * r[i];
    return c;
}

/* A = J^T J and g = -J^T r. */
static void normal_equations(const double *J, const double *r, int64_t n, int m, double *A,
                             double *g)
{
    memset(A, 0, (size_t)m * (size_t)m * sizeof *A);
    memset(g, 0, (size_t)m * sizeof *g);
    for (int64_t i = 0; i < n; i++) {
        const double *Ji = J + i * m;
        for (int a = 0; a < m; a++) {
            g[a] -= Ji[a] * r[i];
            for (int b = 0; b <= a; b++)
                A[a * m + b] += Ji[a] * Ji[b];
        }
    }
    for (int a = 0; a < m; a++)
        for (int b = 0; b < a; b++)
            A[b * m + a] = A[a * m + b];
}

tsct_status tsct_fit_lsq(tsct_fit_lsq_fn fn, void *ctx, int64_t n, int m, double *p,
                         const tsct_fit_params *params, double *cov, tsct_fit_lsq_info *info,
                         tsct_error *err)
{
    const tsct_fit_params defaults = TSCT_FIT_PARAMS_DEFAULT;
    const tsct_fit_params *P = params ? params : &defaults;
    if (m < 1 || m > TSCT_FIT_MAX_PARAMS || n <= m)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "least squares", -1,
                              "%lld residuals for %d parameters: expected more residuals than "
                              "parameters and 1 .. %d parameters",
                              (long long)n, m, TSCT_FIT_MAX_PARAMS);
    double *J = malloc((size_t)n * (size_t)m * sizeof *J);
    double *r = malloc((size_t)n * sizeof *r);
    double *rt = malloc((size_t)n * sizeof *rt);
    if (!J || !r || !rt) {
        free(J), free(r), free(rt);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "least squares", -1,
                              "%lld x %d Jacobian", (long long)n, m);
    }
    double A[TSCT_FIT_MAX_PARAMS * TSCT_FIT_MAX_PARAMS], M[TSCT_FIT_MAX_PARAMS * TSCT_FIT_MAX_PARAMS];
    double g[TSCT_FIT_MAX_PARAMS], D[TSCT_FIT_MAX_PARAMS], d[TSCT_FIT_MAX_PARAMS];
    double pt[TSCT_FIT_MAX_PARAMS], s[TSCT_FIT_MAX_PARAMS], rhs[TSCT_FIT_MAX_PARAMS];
    tsct_fit_lsq_info inf = {NAN, 0, 0};
    tsct_status st = fn(ctx, p, r, J, err);
    inf.nfev = inf.niter = 1;
    double chi2 = st == TSCT_OK ? sumsq(r, n) : NAN;
    if (st == TSCT_OK && !isfinite(chi2))
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "least squares", -1,
                            "a residual is not finite at the starting point");
    int converged = 0;
    if (st == TSCT_OK) {
        normal_equations(J, r, n, m, A, g);
        for (int a = 0; a < m; a++)
            D[a] = A[a * m + a] > 0 ? sqrt(A[a * m + a]) : 1.0;
        double lambda = 1e-3, nu = 2;
        while (!converged && chi2 > 0 && inf.niter < P->max_iter) {
            for (int a = 0; a < m; a++)
                D[a] = fmax(D[a], sqrt(A[a * m + a]));
            int accepted = 0;
            while (!accepted && !converged) {
                memcpy(M, A, (size_t)m * (size_t)m * sizeof *M);
                for (int a = 0; a < m; a++) {
                    M[a * m + a] += lambda * D[a] * D[a];
                    rhs[a] = g[a];
                }
                if (tsct__fit_spd_solve(M, m, rhs, d, s) != 0) {
                    if (lambda > 1e30) {
                        converged = 1;
                        break;
                    }
                    lambda *= nu, nu *= 2;
                    continue;
                }
                double dnorm = 0, xnorm = 0, pred = 0;
                for (int a = 0; a < m; a++) {
                    pt[a] = p[a] + d[a];
                    dnorm += (D[a] * d[a]) * (D[a] * d[a]);
                    xnorm += (D[a] * p[a]) * (D[a] * p[a]);
                    double Ad = 0;
                    for (int b = 0; b < m; b++)
                        Ad += A[a * m + b] * d[b];
                    pred += d[a] * (2 * g[a] - Ad);
                }
                dnorm = sqrt(dnorm), xnorm = sqrt(xnorm);
                st = fn(ctx, pt, rt, NULL, err);
                inf.nfev++;
                if (st != TSCT_OK)
                    break;
                accepted = tsct__fit_lm_step(P, chi2, sumsq(rt, n), pred, dnorm, xnorm, &lambda,
                                             &nu, &converged);
                if (accepted)
                    memcpy(p, pt, (size_t)m * sizeof *p);
                if (!accepted && inf.nfev > 20 * P->max_iter)
                    break;
            }
            if (st != TSCT_OK || !accepted)
                break;
            st = fn(ctx, p, r, J, err);
            inf.niter++, inf.nfev++;
            if (st != TSCT_OK)
                break;
            chi2 = sumsq(r, n);
            normal_equations(J, r, n, m, A, g);
        }
    }
    if (st == TSCT_OK && cov) {
        for (int a = 0; a < m; a++) {
            double e[TSCT_FIT_MAX_PARAMS], c[TSCT_FIT_MAX_PARAMS];
            for (int b = 0; b < m; b++)
                e[b] = a == b;
            memcpy(M, A, (size_t)m * (size_t)m * sizeof *M);
            if (tsct__fit_spd_solve(M, m, e, c, s) != 0) {
                for (int b = 0; b < m * m; b++)
                    cov[b] = NAN;
                break;
            }
            for (int b = 0; b < m; b++)
                cov[b * m + a] = c[b];
        }
    }
    inf.chi2 = chi2;
    if (info)
        *info = inf;
    free(J), free(r), free(rt);
    if (st != TSCT_OK)
        return st;
    return converged || chi2 == 0 ? TSCT_OK : TSCT_NOT_CONVERGED;
}
