/* refine_run.c - the refinement of tsct/refine.h: Levenberg-Marquardt over the nonlinear
 * parameters with the linear ones projected out (variable projection).
 *
 * At every nonlinear point theta the linear coefficients c (scales, areas, background) solve
 * the weighted least squares min |W^1/2 (y - Phi(theta) c)|^2 exactly, by Cholesky on the
 * column-scaled normal equations, with the scales and areas kept >= 0 by an active set
 * (a negative coefficient is set to 0 and the rest solved again). The residual handed to the
 * Levenberg-Marquardt (tsct_fit_lsq) is r(theta) = W^1/2 (y - Phi c(theta)) and its
 * Jacobian Kaufman's approximation J_j = -(I - P_A) W^1/2 dPhi/dtheta_j c, P_A the projector
 * on the active columns (Golub & LeVeque 1979; Kaufman, BIT 15 (1975) 49): the search runs in
 * the few nonlinear dimensions only and a scale never needs a starting value.
 *
 * Bounds: a trial point outside a parameter's box is evaluated clipped to it (that column of
 * the Jacobian is then 0, so the parameter stays put); a parameter ending on a bound is
 * reported at_bound and left out of the covariance.
 *
 * ESDs: the full Jacobian over every refined parameter (nonlinear derivatives at the solved
 * c, linear columns) gives C = (J^T W J)^-1, scaled by chi2 / (N - P) (the GoF^2), as GSAS-II
 * and TOPAS report them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "refine_internal.h"

enum { MAXCOL = TSCT_REFINE_MAX_PHASES + TSCT_REFINE_MAX_PEAKS + TSCT_REFINE_MAX_BROAD +
                TSCT_REFINE_MAX_BACKGROUND };

typedef struct vp {
    tsct_refine_model *m;
    const double *y;
    int64_t N;
    int64_t *idx;           /* active points [N] */
    double *sw;             /* sqrt of their weights [N] */
    int nnl, nl[TSCT_REFINE_MAX_NONLINEAR];     /* free nonlinear parameters */
    int nlin, lin[MAXCOL];                      /* free linear parameters */
    int lin_col[MAXCOL], nonneg[MAXCOL], active[MAXCOL];
    double coef[MAXCOL];    /* every column's coefficient */
    double *A;              /* [N][nlin] weighted free columns (row-major) */
    double *b, *v, *full;   /* [N], [N], [n] */
    double M[MAXCOL * MAXCOL], s[MAXCOL];
    int nact, act[MAXCOL];
    int failed_eval;
} vp;

/* In-place Cholesky of the m x m matrix M (lower triangle); -1 if not positive definite. */
static int chol(double *M, int m)
{
    for (int j = 0; j < m; j++) {
        double d = M[j * m + j];
        for (int k = 0; k < j; k++)
            d -= M[j * m + k] * M[j * m + k];
        if (!(d > 1e-13))
            return -1;
        d = sqrt(d);
        M[j * m + j] = d;
        for (int i = j + 1; i < m; i++) {
            double s = M[i * m + j];
            for (int k = 0; k < j; k++)
                s -= M[i * m + k] * M[j * m + k];
            M[i * m + j] = s / d;
        }
    }
    return 0;
}

static void chol_solve(const double *L, int m, double *b)
{
    for (int i = 0; i < m; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++)
            s -= L[i * m + k] * b[k];
        b[i] = s / L[i * m + i];
    }
    for (int i = m - 1; i >= 0; i--) {
        double s = b[i];
        for (int k = i + 1; k < m; k++)
            s -= L[k * m + i] * b[k];
        b[i] = s / L[i * m + i];
    }
}

/* Factor the column-scaled normal matrix of the active columns into V->M (scales in V->s).
 * A is row-major [N][nlin]: one pass over the points accumulates the lower triangle. */
static int normal_factor(vp *V)
{
    const int na = V->nact, nl = V->nlin;
    for (int a = 0; a < na * na; a++)
        V->M[a] = 0;
    for (int64_t i = 0; i < V->N; i++) {
        const double *row = V->A + i * nl;
        double g[MAXCOL];
        for (int a = 0; a < na; a++)
            g[a] = row[V->act[a]];
        for (int a = 0; a < na; a++) {
            double *Ma = V->M + a * na;
            const double ga = g[a];
            for (int c = 0; c <= a; c++)
                Ma[c] += ga * g[c];
        }
    }
    for (int a = 0; a < na; a++)
        for (int c = 0; c < a; c++)
            V->M[c * na + a] = V->M[a * na + c];
    for (int a = 0; a < na; a++)
        V->s[a] = V->M[a * na + a] > 0 ? 1 / sqrt(V->M[a * na + a]) : 1;
    for (int a = 0; a < na; a++)
        for (int c = 0; c < na; c++)
            V->M[a * na + c] *= V->s[a] * V->s[c];
    return chol(V->M, na);
}

/* z = (A^T A)^-1 A^T u over the active columns (z[nact]). */
static void normal_solve(const vp *V, const double *u, double *z)
{
    const int na = V->nact, nl = V->nlin;
    for (int a = 0; a < na; a++)
        z[a] = 0;
    for (int64_t i = 0; i < V->N; i++) {
        const double *row = V->A + i * nl;
        for (int a = 0; a < na; a++)
            z[a] += row[V->act[a]] * u[i];
    }
    for (int a = 0; a < na; a++)
        z[a] *= V->s[a];
    chol_solve(V->M, na, z);
    for (int a = 0; a < na; a++)
        z[a] *= V->s[a];
}

/* u - A z over the active columns, into out[N]. */
static void project_out(const vp *V, const double *u, const double *z, double *out)
{
    const int na = V->nact, nl = V->nlin;
    for (int64_t i = 0; i < V->N; i++) {
        const double *row = V->A + i * nl;
        double f = 0;
        for (int a = 0; a < na; a++)
            f += row[V->act[a]] * z[a];
        out[i] = u[i] - f;
    }
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Solve the linear coefficients at the current columns; r = b - A c. */
static tsct_status solve_linear(vp *V, double *r, tsct_error *err)
{
    tsct_refine_model *m = V->m;
    const int64_t n = m->n;
    /* b: the data less the held linear components (the free ones are being solved) */
    int held[MAXCOL], nheld = 0;
    for (int c = 0; c < m->ncol; c++) {
        int is_free = 0;
        for (int j = 0; j < V->nlin && !is_free; j++)
            is_free = V->lin_col[j] == c;
        if (!is_free && V->coef[c] != 0)
            held[nheld++] = c;
    }
    for (int64_t i = 0; i < V->N; i++) {
        int64_t k = V->idx[i];
        double f = 0;
        for (int h = 0; h < nheld; h++)
            f += V->coef[held[h]] * m->col[(int64_t)held[h] * n + k];
        V->b[i] = V->sw[i] * (V->y[k] - f);
    }
    for (int j = 0; j < V->nlin; j++) {
        const double *c = m->col + (int64_t)V->lin_col[j] * n;
        for (int64_t i = 0; i < V->N; i++)
            V->A[i * V->nlin + j] = V->sw[i] * c[V->idx[i]];
        V->active[j] = 1;
    }
    double z[MAXCOL];
    for (int pass = 0; pass <= V->nlin; pass++) {
        V->nact = 0;
        for (int j = 0; j < V->nlin; j++)
            if (V->active[j])
                V->act[V->nact++] = j;
        if (V->nact == 0)
            break;
        if (normal_factor(V) != 0) {
            /* a column the data do not determine (a phase without reflections in range, a
             * peak outside): drop the weakest constrained one, else fail */
            int drop = -1;
            for (int a = 0; a < V->nact && drop < 0; a++) {
                double s = 0;
                for (int64_t i = 0; i < V->N; i++)
                    s += V->A[i * V->nlin + V->act[a]] * V->A[i * V->nlin + V->act[a]];
                if (!(s > 0))
                    drop = V->act[a];
            }
            if (drop < 0)
                return tsct_error_set(err, TSCT_ERR_VALUE, NULL, NULL, -1,
                                      "the linear parameters (scales, areas, background) are "
                                      "not determined by the data: two components have the "
                                      "same shape");
            V->active[drop] = 0;
            continue;
        }
        normal_solve(V, V->b, z);
        int neg = 0;
        for (int a = 0; a < V->nact; a++)
            if (V->nonneg[V->act[a]] && z[a] < 0) {
                V->active[V->act[a]] = 0;
                neg = 1;
            }
        if (!neg)
            break;
    }
    for (int j = 0; j < V->nlin; j++)
        V->coef[V->lin_col[j]] = 0;
    for (int a = 0; a < V->nact; a++)
        V->coef[V->lin_col[V->act[a]]] = z[a];
    if (V->nact > 0)
        project_out(V, V->b, z, r);
    else
        memcpy(r, V->b, (size_t)V->N * sizeof *r);
    return TSCT_OK;
}

static tsct_status vp_residual(void *ctx, const double *p, double *r, double *jac,
                               tsct_error *err)
{
    vp *V = ctx;
    tsct_refine_model *m = V->m;
    for (int j = 0; j < V->nnl; j++) {
        tsct_refine_param *q = &m->par[V->nl[j]];
        q->value = clampd(p[j], q->lo, q->hi);
    }
    tsct_error e2 = TSCT_ERROR_INIT;
    tsct_status st = tsct__refine_columns(m, jac != NULL, jac ? err : &e2);
    if (st != TSCT_OK) {
        if (jac)
            return st;
        /* a trial point without a pattern (a width^2 <= 0): reject it */
        V->failed_eval++;
        for (int64_t i = 0; i < V->N; i++)
            r[i] = 1e100;
        return TSCT_OK;
    }
    TSCT_TRY(solve_linear(V, r, err));
    if (!jac)
        return TSCT_OK;
    double z[MAXCOL];
    for (int j = 0; j < V->nnl; j++) {
        const tsct_refine_param *q = &m->par[V->nl[j]];
        int pinned = p[j] < q->lo || p[j] > q->hi;
        tsct__refine_dnonlinear(m, V->nl[j], V->coef, V->full);
        for (int64_t i = 0; i < V->N; i++)
            V->v[i] = V->sw[i] * V->full[V->idx[i]];
        if (V->nact > 0) {
            normal_solve(V, V->v, z);
            project_out(V, V->v, z, V->v);
        }
        for (int64_t i = 0; i < V->N; i++)
            jac[i * V->nnl + j] = pinned ? 0 : -V->v[i];
    }
    return TSCT_OK;
}

/* Covariance over the refined parameters not on a bound (index[P]); corr and esd filled. */
static tsct_status covariance(vp *V, double redchi2, tsct_refine_result *res, double *cov_s,
                              int *sidx, tsct_error *err)
{
    tsct_refine_model *m = V->m;
    int P = 0;
    for (int i = 0; i < m->np; i++) {
        tsct_refine_param *q = &m->par[i];
        q->esd = NAN;
        if (q->refine && !q->at_bound && m->info[i].kind != PK_UNUSED)
            m->corr_index[P++] = i;
    }
    res->nrefined = P;
    res->index = m->corr_index;
    res->corr = m->corr;
    if (P == 0)
        return TSCT_OK;
    TSCT_TRY(tsct__refine_columns(m, 1, err));
    double *J = malloc((size_t)P * (size_t)V->N * sizeof *J);
    double *C = malloc((size_t)P * P * sizeof *C);
    double *L = malloc((size_t)P * P * sizeof *L);
    double *sc = malloc((size_t)P * sizeof *sc);
    if (!J || !C || !L || !sc) {
        free(J), free(C), free(L), free(sc);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    }
    for (int a = 0; a < P; a++) {
        int i = m->corr_index[a];
        int c = tsct__refine_param_column(m, i);
        if (c >= 0)
            memcpy(V->full, m->col + (int64_t)c * m->n, (size_t)m->n * sizeof *V->full);
        else
            tsct__refine_dnonlinear(m, i, V->coef, V->full);
        for (int64_t k = 0; k < V->N; k++)
            J[(int64_t)a * V->N + k] = V->sw[k] * V->full[V->idx[k]];
    }
    for (int a = 0; a < P; a++)
        for (int b = 0; b <= a; b++) {
            double s = 0;
            for (int64_t k = 0; k < V->N; k++)
                s += J[(int64_t)a * V->N + k] * J[(int64_t)b * V->N + k];
            L[a * P + b] = L[b * P + a] = s;
        }
    for (int a = 0; a < P; a++)
        sc[a] = L[a * P + a] > 0 ? 1 / sqrt(L[a * P + a]) : 0;
    int singular = 0;
    for (int a = 0; a < P; a++) {
        if (sc[a] == 0)
            singular = 1;
        for (int b = 0; b < P; b++)
            L[a * P + b] *= sc[a] * sc[b];
    }
    if (!singular && chol(L, P) != 0)
        singular = 1;
    if (!singular) {
        for (int b = 0; b < P; b++) {
            double *e = C + (int64_t)b * P;
            for (int a = 0; a < P; a++)
                e[a] = a == b;
            chol_solve(L, P, e);
        }
        for (int a = 0; a < P; a++)
            for (int b = 0; b < P; b++)
                C[a * P + b] *= sc[a] * sc[b];
        for (int a = 0; a < P; a++) {
            m->par[m->corr_index[a]].esd = sqrt(C[a * P + a] * redchi2);
            for (int b = 0; b < P; b++)
                m->corr[a * P + b] = C[a * P + b] / sqrt(C[a * P + a] * C[b * P + b]);
        }
        /* the scales' block, for the weight fractions */
        for (int p = 0; p < m->nphases; p++) {
            sidx[p] = -1;
            for (int a = 0; a < P; a++)
                if (m->corr_index[a] == m->phase[p].i_scale)
                    sidx[p] = a;
        }
        for (int p = 0; p < m->nphases; p++)
            for (int q = 0; q < m->nphases; q++)
                cov_s[p * m->nphases + q] =
                    sidx[p] >= 0 && sidx[q] >= 0 ? C[sidx[p] * P + sidx[q]] * redchi2 : 0;
    } else {
        for (int a = 0; a < P * P; a++)
            m->corr[a] = NAN;
        res->status = TSCT_REFINE_SINGULAR;
        for (int a = 0; a < m->nphases * m->nphases; a++)
            cov_s[a] = NAN;
    }
    free(J), free(C), free(L), free(sc);
    return TSCT_OK;
}

static void weight_fractions(const tsct_refine_model *m, const double *cov_s,
                             tsct_refine_result *res)
{
    int np = m->nphases;
    double k[TSCT_REFINE_MAX_PHASES], S[TSCT_REFINE_MAX_PHASES], sum = 0;
    for (int p = 0; p < np; p++) {
        k[p] = m->phase[p].mass * tsct_refine_model_phase_volume(m, p);
        S[p] = m->par[m->phase[p].i_scale].value;
        sum += S[p] * k[p];
    }
    for (int p = 0; p < np; p++) {
        res->weight_fraction[p] = sum > 0 ? S[p] * k[p] / sum : NAN;
        double var = 0;
        for (int a = 0; a < np; a++)
            for (int b = 0; b < np; b++) {
                double ga = ((a == p) * k[p] * sum - S[p] * k[p] * k[a]) / (sum * sum);
                double gb = ((b == p) * k[p] * sum - S[p] * k[p] * k[b]) / (sum * sum);
                var += ga * gb * cov_s[a * np + b];
            }
        res->weight_fraction_esd[p] = sum > 0 ? sqrt(fmax(var, 0)) : NAN;
    }
}

tsct_status tsct_refine_run(tsct_refine_model *m, const double *y, const double *w,
                            const tsct_refine_params *params, tsct_refine_result *res,
                            double *calc, tsct_error *err)
{
    tsct_refine_params P = params ? *params : (tsct_refine_params)TSCT_REFINE_PARAMS_DEFAULT;
    memset(res, 0, sizeof *res);
    const int64_t n = m->n;
    vp V;
    memset(&V, 0, sizeof V);
    V.m = m;
    V.y = y;
    double ymax = 0;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(y[i]) && fabs(y[i]) > ymax)
            ymax = fabs(y[i]);
    V.idx = malloc((size_t)n * sizeof *V.idx);
    V.sw = malloc((size_t)n * sizeof *V.sw);
    V.b = malloc((size_t)n * sizeof *V.b);
    V.v = malloc((size_t)n * sizeof *V.v);
    V.full = malloc((size_t)n * sizeof *V.full);
    double *r = malloc((size_t)n * sizeof *r);
    tsct_status st = TSCT_OK;
    if (!V.idx || !V.sw || !V.b || !V.v || !V.full || !r) {
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
        goto done;
    }
    double swy2 = 0;
    for (int64_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1 / fmax(fabs(y[i]), 1e-12 * ymax);
        if (!(wi > 0) && w)
            continue;
        if (!isfinite(y[i]) || !isfinite(wi) || (!w && !(ymax > 0))) {
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "y", i,
                                "point %lld: intensity %g or weight %g is not finite",
                                (long long)i, y[i], wi);
            goto done;
        }
        V.idx[V.N] = i;
        V.sw[V.N++] = sqrt(wi);
        swy2 += wi * y[i] * y[i];
    }
    for (int i = 0; i < m->np; i++) {
        tsct_refine_param *q = &m->par[i];
        q->at_bound = 0;
        q->esd = NAN;
        if (!q->refine || m->info[i].kind == PK_UNUSED)
            continue;
        int c = tsct__refine_param_column(m, i);
        if (c >= 0) {
            V.lin_col[V.nlin] = c;
            V.nonneg[V.nlin] = q->lo >= 0;
            V.lin[V.nlin++] = i;
        } else {
            if (V.nnl == TSCT_REFINE_MAX_NONLINEAR) {
                st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, q->name, -1,
                                    "at most %d nonlinear parameters may be refined",
                                    TSCT_REFINE_MAX_NONLINEAR);
                goto done;
            }
            if (!isfinite(q->value)) {
                st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, q->name, -1,
                                    "%s is refined but has no finite starting value (%g)",
                                    q->name, q->value);
                goto done;
            }
            V.nl[V.nnl++] = i;
        }
    }
    /* only the derivative slots of the refined nonlinear parameters are computed */
    for (int p = 0; p < m->nphases; p++)
        m->phase[p].need = 0;
    for (int j = 0; j < V.nnl; j++) {
        const refine_info *in = &m->info[V.nl[j]];
        for (int p = 0; p < m->nphases; p++)
            if (in->kind == PK_INSTR || (in->kind == PK_PHASE_NL && in->owner == p))
                m->phase[p].need |= 1u << in->slot;
    }
    if (V.nnl + V.nlin == 0) {
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, NULL, -1, "no parameter is refined");
        goto done;
    }
    if (V.N <= V.nnl + V.nlin) {
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, NULL, -1,
                            "%lld points for %d refined parameters", (long long)V.N,
                            V.nnl + V.nlin);
        goto done;
    }
    V.A = malloc((size_t)(V.nlin > 0 ? V.nlin : 1) * (size_t)V.N * sizeof *V.A);
    if (!V.A) {
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
        goto done;
    }
    for (int c = 0; c < m->ncol; c++)
        V.coef[c] = tsct__refine_coef(m, c);
    double p0[TSCT_REFINE_MAX_NONLINEAR];
    for (int j = 0; j < V.nnl; j++)
        p0[j] = m->par[V.nl[j]].value;
    tsct_fit_lsq_info info = {0};
    if (V.nnl > 0) {
        tsct_fit_params fp = TSCT_FIT_PARAMS_DEFAULT;
        fp.ftol = P.ftol;
        fp.xtol = P.xtol;
        fp.max_iter = P.max_iter;
        /* the start must have a pattern */
        st = vp_residual(&V, p0, r, NULL, err);
        if (st == TSCT_OK && V.failed_eval) {
            st = tsct__refine_columns(m, 0, err);
            goto done;
        }
        if (st != TSCT_OK)
            goto done;
        st = tsct_fit_lsq(vp_residual, &V, V.N, V.nnl, p0, &fp, NULL, &info, err);
        if (st != TSCT_OK && st != TSCT_NOT_CONVERGED)
            goto done;
        res->status = st == TSCT_NOT_CONVERGED ? TSCT_REFINE_MAX_ITER : TSCT_REFINE_CONVERGED;
    }
    /* the final point: clipped values, their exact linear solution */
    V.failed_eval = 0;
    tsct_status st2 = vp_residual(&V, p0, r, NULL, err);
    if (st2 == TSCT_OK && V.failed_eval)
        st2 = tsct__refine_columns(m, 0, err);
    if (st2 != TSCT_OK) {
        st = st2;
        goto done;
    }
    for (int j = 0; j < V.nlin; j++) {
        tsct_refine_param *q = &m->par[V.lin[j]];
        q->value = V.coef[V.lin_col[j]];
        q->at_bound = V.nonneg[j] && !V.active[j];
    }
    for (int j = 0; j < V.nnl; j++) {
        tsct_refine_param *q = &m->par[V.nl[j]];
        q->at_bound = q->value <= q->lo || q->value >= q->hi;
    }
    double chi2 = 0;
    for (int64_t i = 0; i < V.N; i++)
        chi2 += r[i] * r[i];
    res->chi2 = chi2;
    res->npoints = V.N;
    res->niter = info.niter;
    res->nfev = info.nfev + 1;
    double cov_s[TSCT_REFINE_MAX_PHASES * TSCT_REFINE_MAX_PHASES];
    int sidx[TSCT_REFINE_MAX_PHASES];
    /* degrees of freedom from the refined parameters off their bounds */
    int Pn = 0;
    for (int i = 0; i < m->np; i++)
        Pn += m->par[i].refine && !m->par[i].at_bound && m->info[i].kind != PK_UNUSED;
    res->redchi2 = chi2 / (double)(V.N - Pn);
    res->rwp = sqrt(chi2 / swy2);
    res->rexp = sqrt((double)(V.N - Pn) / swy2);
    res->gof = sqrt(res->redchi2);
    tsct_status st3 = covariance(&V, res->redchi2, res, cov_s, sidx, err);
    if (st3 != TSCT_OK) {
        st = st3;
        goto done;
    }
    weight_fractions(m, cov_s, res);
    if (calc) {
        tsct_status st4 = tsct_refine_model_evaluate(m, calc, NULL, err);
        if (st4 != TSCT_OK)
            st = st4;
    }
done:
    for (int p = 0; p < m->nphases; p++)
        m->phase[p].need = (1u << NSLOT) - 1;
    free(V.idx), free(V.sw), free(V.b), free(V.v), free(V.full), free(V.A), free(r);
    return st;
}
