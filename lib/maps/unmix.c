/* unmix.c - whole-pattern phase maps: non-negative least squares per voxel.
 *
 * The plan holds the columns A = [c_1 .. c_k, background] and their Gram matrix G = A^T A.
 * Each voxel needs b = A^T y (k dot products over the channels) and the Lawson-Hanson
 * active-set iteration on (G, b): move the column with the largest positive gradient
 * b - G w into the passive set, solve the unconstrained problem on the passive set by
 * Cholesky, and step back towards the feasible region while any passive weight would turn
 * negative. The number of columns is small (<= 64), so the inner solves cost nothing next to
 * the dot products.
 *
 * Columns may come in groups (tsct_maps_unmix_plan_create_grouped): variants of one phase's pattern
 * (lattice scaled, other crystallite sizes) whose non-negative combination follows a peak that
 * moves or narrows between the variants. The fit is the same NNLS over all columns; a group's
 * weight is the sum of its columns' weights, which stays well determined even where the split
 * among neighbouring variants is not.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/maps.h"

struct tsct_maps_unmix_plan {
    int k, m; /* component columns, columns (component columns + background) */
    int ngroup; /* reported weights of components (groups of columns) */
    int group[TSCT_MAPS_UNMIX_MAX_COLUMNS]; /* group of each component column */
    int64_t nq;
    float *cols; /* [m][nq] */
    double *gram; /* [m][m] */
};

int tsct_maps_unmix_plan_columns(const tsct_maps_unmix_plan *plan)
{
    return plan->ngroup + (plan->m - plan->k);
}

int64_t tsct_maps_unmix_plan_work_size(const tsct_maps_unmix_plan *plan)
{
    return (int64_t)plan->m * plan->m + 5 * (int64_t)plan->m;
}

void tsct_maps_unmix_plan_destroy(tsct_maps_unmix_plan *plan)
{
    if (!plan)
        return;
    free(plan->cols);
    free(plan->gram);
    free(plan);
}

/* Cholesky solve of the passive-set system G_PP s_P = b_P in place; 0 on success. */
static int solve_passive(const double *G, int m, const int *P, int np, const double *b, double *s,
                         double *L)
{
    for (int i = 0; i < np; i++)
        for (int j = 0; j <= i; j++) {
            double v = G[P[i] * m + P[j]];
            for (int t = 0; t < j; t++)
                v -= L[i * np + t] * L[j * np + t];
            if (i == j) {
                if (!(v > 0))
                    return -1;
                L[i * np + i] = sqrt(v);
            } else {
                L[i * np + j] = v / L[j * np + j];
            }
        }
    for (int i = 0; i < np; i++) { /* forward */
        double v = b[P[i]];
        for (int t = 0; t < i; t++)
            v -= L[i * np + t] * s[t];
        s[i] = v / L[i * np + i];
    }
    for (int i = np - 1; i >= 0; i--) { /* backward */
        double v = s[i];
        for (int t = i + 1; t < np; t++)
            v -= L[t * np + i] * s[t];
        s[i] = v / L[i * np + i];
    }
    return 0;
}

tsct_status tsct_maps_unmix_plan_create(const float *components, int k, int64_t nq, const double *q,
                                        int background, tsct_maps_unmix_plan **out, tsct_error *err)
{
    return tsct_maps_unmix_plan_create_grouped(components, k, NULL, k, nq, q, background, out, err);
}

tsct_status tsct_maps_unmix_plan_create_grouped(const float *components, int k, const int *group,
                                                int ngroup, int64_t nq, const double *q,
                                                int background, tsct_maps_unmix_plan **out,
                                                tsct_error *err)
{
    *out = NULL;
    if (k < 1 || nq < 1 || background < 0 || background > 2 ||
        k + background > TSCT_MAPS_UNMIX_MAX_COLUMNS || (background == 2 && !q) || ngroup < 1 ||
        ngroup > k || (!group && ngroup != k))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "unmix", -1,
                              "expected 1 to %d component columns in 1 to k groups and "
                              "background 0, 1 or 2 (with q), got %d columns, %d groups and %d",
                              TSCT_MAPS_UNMIX_MAX_COLUMNS - background, k, ngroup, background);
    int seen[TSCT_MAPS_UNMIX_MAX_COLUMNS] = {0};
    for (int j = 0; group && j < k; j++) {
        if (group[j] < 0 || group[j] >= ngroup)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "unmix group", j,
                                  "column %d in group %d: expected 0 to %d", j, group[j],
                                  ngroup - 1);
        seen[group[j]] = 1;
    }
    for (int g = 0; group && g < ngroup; g++)
        if (!seen[g])
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "unmix group", g,
                                  "group %d has no column", g);
    tsct_maps_unmix_plan *p = calloc(1, sizeof *p);
    const int m = k + background;
    if (p) {
        p->cols = malloc((size_t)m * (size_t)nq * sizeof *p->cols);
        p->gram = malloc((size_t)(m * m) * sizeof *p->gram);
    }
    if (!p || !p->cols || !p->gram) {
        tsct_maps_unmix_plan_destroy(p);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "unmix", -1, "%d x %lld columns", m,
                              (long long)nq);
    }
    p->k = k, p->m = m, p->nq = nq, p->ngroup = ngroup;
    for (int j = 0; j < k; j++)
        p->group[j] = group ? group[j] : j;
    for (int j = 0; j < k; j++)
        for (int64_t i = 0; i < nq; i++) {
            float v = components[(int64_t)j * nq + i];
            if (!isfinite(v)) {
                tsct_maps_unmix_plan_destroy(p);
                return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "component", j,
                                      "value %g at channel %lld is not finite", v, (long long)i);
            }
            p->cols[(int64_t)j * nq + i] = v;
        }
    double qmax = 0;
    for (int64_t i = 0; background == 2 && i < nq; i++)
        qmax = fabs(q[i]) > qmax ? fabs(q[i]) : qmax;
    for (int64_t i = 0; i < nq; i++) {
        if (background >= 1)
            p->cols[(int64_t)k * nq + i] = 1.0f;
        if (background == 2)
            p->cols[(int64_t)(k + 1) * nq + i] = (float)(qmax > 0 ? q[i] / qmax : 0);
    }
    for (int a = 0; a < m; a++)
        for (int b = 0; b <= a; b++) {
            double s = 0;
            for (int64_t i = 0; i < nq; i++)
                s += (double)p->cols[(int64_t)a * nq + i] * p->cols[(int64_t)b * nq + i];
            p->gram[a * m + b] = p->gram[b * m + a] = s;
        }
    /* Independence: the Cholesky factor of the whole Gram matrix must exist with pivots not
     * negligible against the column norms. */
    double *L = malloc((size_t)(m * m) * sizeof *L);
    int P[TSCT_MAPS_UNMIX_MAX_COLUMNS];
    for (int j = 0; j < m; j++)
        P[j] = j;
    int bad = -1;
    if (L) {
        for (int np = 1; np <= m && bad < 0; np++) {
            double s[TSCT_MAPS_UNMIX_MAX_COLUMNS], b[TSCT_MAPS_UNMIX_MAX_COLUMNS] = {0};
            if (solve_passive(p->gram, m, P, np, b, s, L) != 0 ||
                L[(np - 1) * np + np - 1] <= 1e-7 * sqrt(p->gram[(np - 1) * m + np - 1]))
                bad = np - 1;
        }
    }
    free(L);
    if (!L || bad >= 0) {
        tsct_maps_unmix_plan_destroy(p);
        if (!L)
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "unmix", -1, "Gram factor");
        if (bad >= k)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "component", bad,
                                  "background term %d is a combination of the components",
                                  bad - k);
        if (ngroup == k)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "component", bad,
                                  "column %d is zero or a combination of the ones before it",
                                  bad);
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "component", group[bad],
                              "column %d is zero or a combination of the ones before it (a "
                              "variant of component %d)", bad, group[bad]);
    }
    *out = p;
    return TSCT_OK;
}

void tsct_maps_unmix_execute(const tsct_maps_unmix_plan *p, const float *y, double *wout,
                             double *rms, double *work)
{
    const int m = p->m;
    const int64_t nq = p->nq;
    double *b = work, *s = work + m, *grad = work + 2 * m, *wt = work + 3 * m, *w = work + 4 * m,
           *L = work + 5 * m;
    double yy = 0;
    for (int64_t i = 0; i < nq; i++) {
        if (!isfinite(y[i])) {
            for (int j = 0; j < tsct_maps_unmix_plan_columns(p); j++)
                wout[j] = NAN;
            *rms = NAN;
            return;
        }
        yy += (double)y[i] * y[i];
    }
    for (int j = 0; j < m; j++) {
        double v = 0;
        const float *c = p->cols + (int64_t)j * nq;
        for (int64_t i = 0; i < nq; i++)
            v += (double)c[i] * y[i];
        b[j] = v;
        w[j] = 0;
    }
    int passive[TSCT_MAPS_UNMIX_MAX_COLUMNS] = {0}, P[TSCT_MAPS_UNMIX_MAX_COLUMNS], np = 0;
    double gmax_all = 0;
    for (int j = 0; j < m; j++)
        gmax_all = fabs(b[j]) > gmax_all ? fabs(b[j]) : gmax_all;
    const double tol = 1e-12 * (gmax_all > 0 ? gmax_all : 1);
    for (int iter = 0; iter < 3 * m + 10; iter++) {
        int jmax = -1;
        double gmax = tol;
        for (int j = 0; j < m; j++) {
            double g = b[j];
            for (int t = 0; t < m; t++)
                g -= p->gram[j * m + t] * w[t];
            grad[j] = g;
            if (!passive[j] && g > gmax) {
                gmax = g;
                jmax = j;
            }
        }
        if (jmax < 0)
            break;
        passive[jmax] = 1;
        for (int inner = 0; inner < 3 * m + 10; inner++) {
            np = 0;
            for (int j = 0; j < m; j++)
                if (passive[j])
                    P[np++] = j;
            if (np == 0 || solve_passive(p->gram, m, P, np, b, s, L) != 0)
                break;
            int feasible = 1;
            for (int i = 0; i < np; i++)
                feasible &= s[i] > 0;
            if (feasible) {
                for (int j = 0; j < m; j++)
                    w[j] = 0;
                for (int i = 0; i < np; i++)
                    w[P[i]] = s[i];
                break;
            }
            double alpha = 1.0;
            for (int i = 0; i < np; i++)
                if (s[i] <= 0) {
                    double a = w[P[i]] / (w[P[i]] - s[i]);
                    alpha = a < alpha ? a : alpha;
                }
            for (int j = 0; j < m; j++)
                wt[j] = 0;
            for (int i = 0; i < np; i++)
                wt[P[i]] = s[i];
            for (int j = 0; j < m; j++) {
                w[j] += alpha * (wt[j] - w[j]);
                if (passive[j] && w[j] <= 1e-15 * (fabs(wt[j]) + 1e-300)) {
                    w[j] = 0;
                    passive[j] = 0;
                }
            }
        }
    }
    /* ||Aw - y||^2 = w^T G w - 2 w^T b + y^T y */
    double r2 = yy;
    for (int a = 0; a < m; a++) {
        r2 -= 2 * w[a] * b[a];
        for (int c = 0; c < m; c++)
            r2 += w[a] * p->gram[a * m + c] * w[c];
    }
    *rms = sqrt(r2 > 0 ? r2 / (double)nq : 0);
    for (int g = 0; g < p->ngroup; g++)
        wout[g] = 0;
    for (int j = 0; j < p->k; j++)
        wout[p->group[j]] += w[j];
    for (int j = p->k; j < m; j++)
        wout[p->ngroup + j - p->k] = w[j];
}
