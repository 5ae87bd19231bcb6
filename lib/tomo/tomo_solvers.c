/* tomo_solvers.c - SIRT and CGLS on the projector pair, for all channels at once.
 *
 * Every channel is an independent least-squares problem sharing A. SIRT's weights R and C
 * depend on the geometry only and are broadcast over channels; CGLS runs one conjugate-gradient
 * recursion per channel (its step lengths alpha, beta are vectors over channels), so a channel
 * that converges early does not slow the others down. The stopping rules use the Frobenius norm
 * over all channels. References: Gregor & Benson, IEEE TMI 27 (2008) 918 (SIRT as a weighted
 * least-squares iteration); Bjorck, Numerical Methods for Least Squares Problems (SIAM 1996),
 * algorithm CGLS. The workspace layout is fixed by layout() and shared by both solvers. */
#include <math.h>
#include <string.h>

#include "core/core_internal.h"
#include "tomo/tomo_projector_internal.h"
#include "tsct_config.h"

#if TSCT_HAVE_OPENMP
#include <omp.h>
#endif

typedef struct solver_ws {
    float *r, *q;       /* [na][ns][nc] */
    float *s, *p;       /* [n][n][nc] */
    float *rw;          /* [na][ns] SIRT row weights */
    float *cw;          /* [n][n] SIRT column weights */
    double *gamma;      /* [nc] */
    double *tmp;        /* [nc] */
    double *alpha;      /* [nc] */
    double *partial;    /* [nthreads][nc] */
} solver_ws;

static size_t a64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

/* Lay the workspace out from `base` (NULL: just count); returns the bytes used. */
static size_t layout(const tsct_tomo_projector *proj, int64_t nc, unsigned char *base,
                     solver_ws *ws)
{
    const tsct__tomo_geom *g = &proj->geom;
    const size_t nsino = (size_t)(g->na * g->ns), nimg = (size_t)(g->n * g->n);
    const size_t sizes[] = {
        a64(nsino * (size_t)nc * sizeof(float)), a64(nsino * (size_t)nc * sizeof(float)),
        a64(nimg * (size_t)nc * sizeof(float)),  a64(nimg * (size_t)nc * sizeof(float)),
        a64(nsino * sizeof(float)),              a64(nimg * sizeof(float)),
        a64((size_t)nc * sizeof(double)),        a64((size_t)nc * sizeof(double)),
        a64((size_t)nc * sizeof(double)),
        a64((size_t)proj->params.nthreads * (size_t)nc * sizeof(double)),
    };
    void **slots[] = {
        (void **)&ws->r,  (void **)&ws->q,     (void **)&ws->s,   (void **)&ws->p,
        (void **)&ws->rw, (void **)&ws->cw,    (void **)&ws->gamma, (void **)&ws->tmp,
        (void **)&ws->alpha, (void **)&ws->partial,
    };
    size_t off = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (base)
            *slots[i] = base + off;
        off += sizes[i];
    }
    return off;
}

size_t tsct_tomo_solver_workspace_size(const tsct_tomo_projector *proj, int64_t nc)
{
    if (!proj || nc < 1)
        return 0;
    solver_ws ws;
    return 64 + layout(proj, nc, NULL, &ws);
}

/* out[c] = sum over the npix rows of x[i][c] * y[i][c] (x == y for a squared norm). */
static void dot_channels(const float *x, const float *y, int64_t npix, int64_t nc, double *out,
                         double *partial, int nthreads)
{
    (void)nthreads;
    memset(partial, 0, (size_t)nthreads * (size_t)nc * sizeof *partial);
#if TSCT_HAVE_OPENMP
#pragma omp parallel num_threads(nthreads)
#endif
    {
        double *acc = partial + (size_t)tsct__thread_id() * (size_t)nc;
#if TSCT_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t i = 0; i < npix; i++) {
            const float *xi = x + i * nc, *yi = y + i * nc;
            for (int64_t c = 0; c < nc; c++)
                acc[c] += (double)xi[c] * (double)yi[c];
        }
    }
    for (int64_t c = 0; c < nc; c++) {
        double s = 0.0;
        for (int t = 0; t < nthreads; t++)
            s += partial[(size_t)t * (size_t)nc + (size_t)c];
        out[c] = s;
    }
}

static double sum(const double *v, int64_t n)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += v[i];
    return s;
}

/* r = b - A x */
static void residual(const tsct_tomo_projector *proj, const float *b, const float *x, int64_t nc,
                     float *r)
{
    const int64_t m = proj->geom.na * proj->geom.ns * nc;
    tsct__projector_forward(proj, x, nc, r);
#if TSCT_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(proj->params.nthreads)
#endif
    for (int64_t i = 0; i < m; i++)
        r[i] = b[i] - r[i];
}

/* Zero the pixels that are not unknowns (outside the circle). */
static void zero_outside(const tsct__tomo_geom *g, float *x, int64_t nc)
{
    for (int64_t r = 0; r < g->n; r++) {
        float *row = x + r * g->n * nc;
        if (g->xhi[r] <= g->xlo[r]) {
            memset(row, 0, (size_t)(g->n * nc) * sizeof *row);
            continue;
        }
        memset(row, 0, (size_t)(g->xlo[r] * nc) * sizeof *row);
        memset(row + g->xhi[r] * nc, 0, (size_t)((g->n - g->xhi[r]) * nc) * sizeof *row);
    }
}

static tsct_status check(const tsct_tomo_projector *proj, const tsct_tomo_iter_params *p,
                         const float *sino, int64_t nc, const float *image, const void *work,
                         size_t work_bytes, const char *who, tsct_error *err)
{
    if (!proj || !p || !sino || !image || !work)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, who, -1, "NULL %s",
                              !proj ? "projector" : !p ? "parameters" : !sino ? "sinogram"
                                                    : !image ? "image" : "workspace");
    if (nc < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, who, -1,
                              "need at least 1 channel, got nc = %lld", (long long)nc);
    if (p->max_iter < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, who, -1,
                              "max_iter must be >= 1, got %d", p->max_iter);
    if (!(p->tol >= 0.0) || !isfinite(p->tol) || !(p->stall_tol >= 0.0) ||
        !isfinite(p->stall_tol))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, who, -1,
                              "tolerances must be finite and >= 0, got tol = %g, "
                              "stall_tol = %g",
                              p->tol, p->stall_tol);
    if (!(p->relax > 0.0 && p->relax < 2.0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, who, -1,
                              "relax must be in (0, 2), got %g", p->relax);
    const size_t need = tsct_tomo_solver_workspace_size(proj, nc);
    if (work_bytes < need)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, who, -1,
                              "workspace has %zu bytes, %lld channels need %zu "
                              "(tsct_tomo_solver_workspace_size)",
                              work_bytes, (long long)nc, need);
    return TSCT_OK;
}

static unsigned char *aligned_base(void *work)
{
    unsigned char *b = work;
    return b + ((64 - ((uintptr_t)b & 63)) & 63);
}

/* Shared bookkeeping of the stopping rules: returns 1 to stop (converged), 0 to go on. */
static int stop_now(const tsct_tomo_iter_params *p, double res, double prev)
{
    if (res <= p->tol)
        return 1;
    if (p->stall_tol > 0.0 && prev - res <= p->stall_tol * prev)
        return 1;
    return 0;
}

tsct_status tsct_tomo_sirt(const tsct_tomo_projector *proj, const tsct_tomo_iter_params *params,
                           const float *sino, int64_t nc, float *image, double *residuals,
                           tsct_tomo_iter_report *report, void *work, size_t work_bytes,
                           tsct_error *err)
{
    TSCT_TRY(check(proj, params, sino, nc, image, work, work_bytes, "sirt", err));
    const tsct__tomo_geom *g = &proj->geom;
    const int nt = proj->params.nthreads;
    const int64_t nbin = g->na * g->ns, npix = g->n * g->n;
    solver_ws ws;
    layout(proj, nc, aligned_base(work), &ws);

    /* R = 1 / (A 1), C = 1 / (A^T 1), 0 where the sum is 0 (bins no pixel reaches, pixels
     * outside the circle). */
    for (int64_t i = 0; i < npix; i++)
        ws.s[i] = 1.0f;
    tsct__projector_forward(proj, ws.s, 1, ws.rw);
    for (int64_t i = 0; i < nbin; i++)
        ws.r[i] = 1.0f;
    tsct__projector_adjoint(proj, ws.r, 1, ws.cw);
    for (int64_t i = 0; i < nbin; i++)
        ws.rw[i] = ws.rw[i] > 0.0f ? 1.0f / ws.rw[i] : 0.0f;
    const float relax = (float)params->relax;
    for (int64_t i = 0; i < npix; i++)
        ws.cw[i] = ws.cw[i] > 0.0f ? relax / ws.cw[i] : 0.0f;

    dot_channels(sino, sino, nbin, nc, ws.gamma, ws.partial, nt);
    const double bn = sqrt(sum(ws.gamma, nc)), bscale = bn > 0.0 ? 1.0 / bn : 1.0;

    zero_outside(g, image, nc);
    residual(proj, sino, image, nc, ws.r);
    dot_channels(ws.r, ws.r, nbin, nc, ws.tmp, ws.partial, nt);
    double prev = sqrt(sum(ws.tmp, nc)) * bscale;
    tsct_status st = TSCT_NOT_CONVERGED;
    int it = 0;
    while (it < params->max_iter) {
        if (prev <= params->tol) {
            st = TSCT_OK;
            break;
        }
#if TSCT_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(nt)
#endif
        for (int64_t i = 0; i < nbin; i++)
            for (int64_t c = 0; c < nc; c++)
                ws.r[i * nc + c] *= ws.rw[i];
        tsct__projector_adjoint(proj, ws.r, nc, ws.s);
        const int nonneg = params->nonneg;
#if TSCT_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(nt)
#endif
        for (int64_t i = 0; i < npix; i++) {
            const float w = ws.cw[i];
            float *xi = image + i * nc;
            const float *si = ws.s + i * nc;
            for (int64_t c = 0; c < nc; c++) {
                float v = xi[c] + w * si[c];
                xi[c] = nonneg && v < 0.0f ? 0.0f : v;
            }
        }
        residual(proj, sino, image, nc, ws.r);
        dot_channels(ws.r, ws.r, nbin, nc, ws.tmp, ws.partial, nt);
        const double res = sqrt(sum(ws.tmp, nc)) * bscale;
        if (residuals)
            residuals[it] = res;
        it++;
        if (params->on_iteration)
            params->on_iteration(params->user, it, res);
        const int done = stop_now(params, res, prev);
        prev = res;
        if (done) {
            st = TSCT_OK;
            break;
        }
    }
    if (report) {
        report->iterations = it;
        report->residual = prev;
    }
    return st;
}

tsct_status tsct_tomo_cgls(const tsct_tomo_projector *proj, const tsct_tomo_iter_params *params,
                           const float *sino, int64_t nc, float *image, double *residuals,
                           tsct_tomo_iter_report *report, void *work, size_t work_bytes,
                           tsct_error *err)
{
    TSCT_TRY(check(proj, params, sino, nc, image, work, work_bytes, "cgls", err));
    const tsct__tomo_geom *g = &proj->geom;
    const int nt = proj->params.nthreads;
    const int64_t nbin = g->na * g->ns, npix = g->n * g->n;
    solver_ws ws;
    layout(proj, nc, aligned_base(work), &ws);

    dot_channels(sino, sino, nbin, nc, ws.tmp, ws.partial, nt);
    const double bn = sqrt(sum(ws.tmp, nc)), bscale = bn > 0.0 ? 1.0 / bn : 1.0;

    /* r = b - A x, s = A^T r, p = s, gamma = |s|^2 per channel. */
    zero_outside(g, image, nc);
    residual(proj, sino, image, nc, ws.r);
    tsct__projector_adjoint(proj, ws.r, nc, ws.s);
    memcpy(ws.p, ws.s, (size_t)(npix * nc) * sizeof *ws.p);
    dot_channels(ws.s, ws.s, npix, nc, ws.gamma, ws.partial, nt);
    dot_channels(ws.r, ws.r, nbin, nc, ws.tmp, ws.partial, nt);
    double prev = sqrt(sum(ws.tmp, nc)) * bscale;

    tsct_status st = TSCT_NOT_CONVERGED;
    int it = 0;
    while (it < params->max_iter) {
        if (prev <= params->tol || sum(ws.gamma, nc) == 0.0) {
            st = TSCT_OK;
            break;
        }
        tsct__projector_forward(proj, ws.p, nc, ws.q);
        dot_channels(ws.q, ws.q, nbin, nc, ws.tmp, ws.partial, nt);
        for (int64_t c = 0; c < nc; c++)
            ws.alpha[c] = ws.tmp[c] > 0.0 ? ws.gamma[c] / ws.tmp[c] : 0.0;
#if TSCT_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(nt)
#endif
        for (int64_t i = 0; i < npix; i++)
            for (int64_t c = 0; c < nc; c++)
                image[i * nc + c] += (float)ws.alpha[c] * ws.p[i * nc + c];
#if TSCT_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(nt)
#endif
        for (int64_t i = 0; i < nbin; i++)
            for (int64_t c = 0; c < nc; c++)
                ws.r[i * nc + c] -= (float)ws.alpha[c] * ws.q[i * nc + c];
        tsct__projector_adjoint(proj, ws.r, nc, ws.s);
        dot_channels(ws.s, ws.s, npix, nc, ws.tmp, ws.partial, nt);
        for (int64_t c = 0; c < nc; c++) {
            const double beta = ws.gamma[c] > 0.0 ? ws.tmp[c] / ws.gamma[c] : 0.0;
            ws.alpha[c] = beta; /* reused as beta below */
            ws.gamma[c] = ws.tmp[c];
        }
#if TSCT_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(nt)
#endif
        for (int64_t i = 0; i < npix; i++)
            for (int64_t c = 0; c < nc; c++)
                ws.p[i * nc + c] = ws.s[i * nc + c] + (float)ws.alpha[c] * ws.p[i * nc + c];
        dot_channels(ws.r, ws.r, nbin, nc, ws.tmp, ws.partial, nt);
        const double res = sqrt(sum(ws.tmp, nc)) * bscale;
        if (residuals)
            residuals[it] = res;
        it++;
        if (params->on_iteration)
            params->on_iteration(params->user, it, res);
        const int done = stop_now(params, res, prev);
        prev = res;
        if (done) {
            st = TSCT_OK;
            break;
        }
    }
    if (report) {
        report->iterations = it;
        report->residual = prev;
    }
    return st;
}
