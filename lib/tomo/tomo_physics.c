/* tomo_physics.c - the projector pair with parallax (include/tsct/tomo_physics.h).
 *
 * Design: the pixel-driven geometry of tomo_projector.c (the same tsct__tomo_geom, the same
 * bin decisions), with each pixel's pattern passed through the resampling of its depth along
 * the ray before it is scattered into the two bins (forward), or the two bins' patterns passed
 * through the transposed resampling before they are added to the pixel (adjoint). The
 * resampling of every depth bin is a table of (lower channel, fraction, intensity ratio) per
 * output channel, computed once. Forward is parallel over angles (each thread owns its rows of
 * the sinogram), adjoint over image rows (each thread owns its pixels), as the plain pair.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "tomo/tomo_internal.h"
#include "tsct/threads.h"
#include "tsct/tomo_physics.h"
#include "tsct_config.h"

struct tsct_tomo_physics {
    tsct__tomo_geom geom;
    tsct_tomo_physics_params params;
    int64_t nq, nbins;
    double half;       /* tables cover l in [-half, half] pixels */
    int32_t *idx;      /* [nbins][nq] lower channel of q_true, -1: outside the grid */
    float *frac;       /* [nbins][nq] */
    float *ratio;      /* [nbins][nq] */
    float *scratch;    /* [nthreads][2 nq] */
    int nthreads;
};

void tsct_tomo_physics_destroy(tsct_tomo_physics *op)
{
    if (!op)
        return;
    tsct__tomo_geom_release(&op->geom);
    free(op->idx);
    free(op->frac);
    free(op->ratio);
    free(op->scratch);
    free(op);
}

/* Table b: where channel j's apparent q comes from for a voxel dz (mm) down the beam. */
static void fill_table(tsct_tomo_physics *op, const double *q, int64_t b, double dz)
{
    const tsct_tomo_physics_params *p = &op->params;
    const double D = p->distance_mm, Dz = D - dz, k = 4 * M_PI / p->wavelength_a;
    const int64_t nq = op->nq;
    for (int64_t j = 0; j < nq; j++) {
        const double tth_app = 2 * asin(fmin(q[j] / k, 1.0));
        const double rho = D * tan(tth_app), tth = atan2(rho, Dz);
        const double qt = k * sin(0.5 * tth);
        const double r = sqrt(D * D + rho * rho), rp = sqrt(Dz * Dz + rho * rho);
        int32_t lo = -1;
        float f = 0;
        if (qt >= q[0] && qt <= q[nq - 1]) {
            int64_t a = 0, c = nq - 1;
            while (c - a > 1) {
                int64_t m = (a + c) / 2;
                if (q[m] <= qt)
                    a = m;
                else
                    c = m;
            }
            lo = (int32_t)a;
            f = (float)((qt - q[a]) / (q[a + 1] - q[a]));
        }
        op->idx[b * nq + j] = lo;
        op->frac[b * nq + j] = f;
        op->ratio[b * nq + j] = (float)(Dz / D * pow(r / rp, 3));
    }
}

tsct_status tsct_tomo_physics_create(const tsct_tomo_physics_params *params, int64_t na,
                                     int64_t ns, int64_t n, const double *angles_deg,
                                     const double *q, int64_t nq, tsct_tomo_physics **out,
                                     tsct_error *err)
{
    *out = NULL;
    const tsct_tomo_physics_params *p = params;
    if (!p || !q || nq < 2 || nq > ((int64_t)1 << 28) || n < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "physics projector", -1,
                              "parameters, a channel grid of >= 2 points and n >= 0 needed");
    for (int64_t j = 1; j < nq; j++)
        if (!(q[j] > q[j - 1]))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "q", j,
                                  "the channel grid must increase, %g after %g", q[j], q[j - 1]);
    if (p->parallax && !(p->distance_mm > 0 && p->wavelength_a > 0 && p->voxel_mm > 0 &&
                         p->depth_bin > 0 && isfinite(p->distance_mm) &&
                         isfinite(p->wavelength_a) && isfinite(p->voxel_mm)))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "parallax", -1,
                              "needs a detector distance (%g mm), a wavelength (%g A), a voxel "
                              "size (%g mm) and a depth bin (%g voxels), all > 0",
                              p->distance_mm, p->wavelength_a, p->voxel_mm, p->depth_bin);
    tsct_tomo_physics *op = calloc(1, sizeof *op);
    if (!op)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "physics projector", -1, "state");
    op->params = *p;
    op->nq = nq;
    op->nthreads = tsct_threads_resolve(p->nthreads);
    tsct_status st = tsct__tomo_geom_init(&op->geom, na, ns, angles_deg, n > 0 ? n : ns, 1,
                                          "physics projector", err);
    const int64_t nn = op->geom.n;
    op->half = 0.5 * (double)nn * M_SQRT2 + 1.0;
    if (st == TSCT_OK && p->parallax && !(op->half * p->voxel_mm < p->distance_mm))
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "parallax", -1,
                            "the sample reaches the detector: %lld voxels of %g mm reach %g mm "
                            "down the beam, the detector is at %g mm",
                            (long long)nn, p->voxel_mm, op->half * p->voxel_mm,
                            p->distance_mm);
    op->nbins = p->parallax ? (int64_t)ceil(2 * op->half / p->depth_bin) + 1 : 0;
    if (st == TSCT_OK) {
        size_t tab = (size_t)(op->nbins * nq);
        op->scratch = malloc((size_t)op->nthreads * 2 * (size_t)nq * sizeof *op->scratch);
        if (tab) {
            op->idx = malloc(tab * sizeof *op->idx);
            op->frac = malloc(tab * sizeof *op->frac);
            op->ratio = malloc(tab * sizeof *op->ratio);
        }
        if (!op->scratch || (tab && (!op->idx || !op->frac || !op->ratio)))
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "physics projector", -1,
                                "%lld resampling tables of %lld channels",
                                (long long)op->nbins, (long long)nq);
    }
    for (int64_t b = 0; st == TSCT_OK && b < op->nbins; b++)
        fill_table(op, q, b, ((double)b * p->depth_bin - op->half) * p->voxel_mm);
    if (st != TSCT_OK) {
        tsct_tomo_physics_destroy(op);
        return st;
    }
    *out = op;
    return TSCT_OK;
}

/* The two bins pixel (r, c) falls on at angle (ca, sa): j and weight f of j + 1 (1 - f of j), as
 * the plain pair decides them; 0 when it projects outside the sinogram. */
static inline int bins_of(const tsct__tomo_geom *g, int64_t r, int64_t c, double ca, double sa,
                          int64_t *j, float *f)
{
    const double u = (double)(c - g->radius) * ca - (double)(r - g->radius) * sa +
                     (double)(g->ns / 2);
    if (!(u >= 0.0 && u <= (double)(g->ns - 1)))
        return 0;
    *j = (int64_t)u;
    if (*j > g->ns - 2)
        *j = g->ns - 2;
    *f = (float)(u - (double)*j);
    return 1;
}

/* The table of the depth l (pixels along the beam). */
static int64_t table_of(const tsct_tomo_physics *op, double l)
{
    int64_t b = (int64_t)floor((l + op->half) / op->params.depth_bin + 0.5);
    return b < 0 ? 0 : b >= op->nbins ? op->nbins - 1 : b;
}

void tsct_tomo_physics_forward(const tsct_tomo_physics *op, const float *image, float *sino)
{
    const tsct__tomo_geom *g = &op->geom;
    const int64_t nq = op->nq, R = g->radius, n = g->n;
#pragma omp parallel for schedule(dynamic, 1) num_threads(op->nthreads)
    for (int64_t a = 0; a < g->na; a++) {
        float *row = sino + a * g->ns * nq;
        float *pat = op->scratch + (size_t)tsct__thread_id() * 2 * (size_t)nq;
        const double ca = g->cosv[a], sa = g->sinv[a];
        memset(row, 0, (size_t)(g->ns * nq) * sizeof *row);
        for (int64_t r = 0; r < n; r++) {
            const double dy = (double)(r - R);
            for (int64_t c = g->xlo[r]; c < g->xhi[r]; c++) {
                int64_t j;
                float f;
                if (!bins_of(g, r, c, ca, sa, &j, &f))
                    continue;
                const float w0 = 1.0f - f;
                const float *px = image + (r * n + c) * nq;
                if (op->nbins) {
                    const int64_t b = table_of(op, (double)(c - R) * sa + dy * ca);
                    const int32_t *ix = op->idx + b * nq;
                    const float *fr = op->frac + b * nq, *ra = op->ratio + b * nq;
                    for (int64_t q = 0; q < nq; q++)
                        pat[q] = ix[q] < 0 ? 0.0f
                                           : ra[q] * ((1.0f - fr[q]) * px[ix[q]] +
                                                      fr[q] * px[ix[q] + 1]);
                    px = pat;
                }
                float *o0 = row + j * nq, *o1 = o0 + nq;
                for (int64_t q = 0; q < nq; q++) {
                    o0[q] += w0 * px[q];
                    o1[q] += f * px[q];
                }
            }
        }
    }
}

void tsct_tomo_physics_adjoint(const tsct_tomo_physics *op, const float *sino, float *image)
{
    const tsct__tomo_geom *g = &op->geom;
    const int64_t nq = op->nq, R = g->radius, n = g->n;
    memset(image, 0, (size_t)(n * n * nq) * sizeof *image);
#pragma omp parallel for schedule(dynamic, 1) num_threads(op->nthreads)
    for (int64_t r = 0; r < n; r++) {
        float *gsum = op->scratch + (size_t)tsct__thread_id() * 2 * (size_t)nq;
        const double dy = (double)(r - R);
        for (int64_t c = g->xlo[r]; c < g->xhi[r]; c++) {
            float *px = image + (r * n + c) * nq;
            for (int64_t a = 0; a < g->na; a++) {
                const double ca = g->cosv[a], sa = g->sinv[a];
                int64_t j;
                float f;
                if (!bins_of(g, r, c, ca, sa, &j, &f))
                    continue;
                const float w0 = 1.0f - f;
                const float *y0 = sino + (a * g->ns + j) * nq, *y1 = y0 + nq;
                if (!op->nbins) {
                    for (int64_t q = 0; q < nq; q++)
                        px[q] += w0 * y0[q] + f * y1[q];
                    continue;
                }
                for (int64_t q = 0; q < nq; q++)
                    gsum[q] = w0 * y0[q] + f * y1[q];
                const int64_t b = table_of(op, (double)(c - R) * sa + dy * ca);
                const int32_t *ix = op->idx + b * nq;
                const float *fr = op->frac + b * nq, *ra = op->ratio + b * nq;
                for (int64_t q = 0; q < nq; q++) {
                    if (ix[q] < 0)
                        continue;
                    const float v = ra[q] * gsum[q];
                    px[ix[q]] += (1.0f - fr[q]) * v;
                    px[ix[q] + 1] += fr[q] * v;
                }
            }
        }
    }
}

static double norm2(const float *v, int64_t n)
{
    double s = 0;
    for (int64_t k = 0; k < n; k++)
        s += (double)v[k] * v[k];
    return s;
}

tsct_status tsct_tomo_physics_cgls(const tsct_tomo_physics *op,
                                   const tsct_tomo_iter_params *params, const float *sino,
                                   float *image, double *residuals,
                                   tsct_tomo_iter_report *report, tsct_error *err)
{
    static const tsct_tomo_iter_params defaults = TSCT_TOMO_ITER_PARAMS_DEFAULT;
    const tsct_tomo_iter_params *p = params ? params : &defaults;
    if (!op || !sino || !image || p->max_iter < 1 || !(p->tol >= 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "cgls", -1,
                              "operator, data, image, max_iter >= 1 and tol >= 0 needed");
    const int64_t ni = op->geom.n * op->geom.n * op->nq, ny = op->geom.na * op->geom.ns * op->nq;
    float *r = malloc((size_t)ny * sizeof *r), *qv = malloc((size_t)ny * sizeof *qv);
    float *s = malloc((size_t)ni * sizeof *s), *pd = malloc((size_t)ni * sizeof *pd);
    if (!r || !qv || !s || !pd) {
        free(r), free(qv), free(s), free(pd);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "cgls", -1,
                              "2 sinograms and 2 images of %lld channels", (long long)op->nq);
    }
    /* r = b - A x, s = A^T r, p = s */
    tsct_tomo_physics_forward(op, image, qv);
    for (int64_t k = 0; k < ny; k++)
        r[k] = sino[k] - qv[k];
    const double bnorm = sqrt(norm2(sino, ny));
    tsct_tomo_physics_adjoint(op, r, s);
    memcpy(pd, s, (size_t)ni * sizeof *pd);
    double gamma = norm2(s, ni), res = bnorm > 0 ? sqrt(norm2(r, ny)) / bnorm : 0;
    int it = 0;
    tsct_status st = TSCT_NOT_CONVERGED;
    if (res <= p->tol || gamma == 0)
        st = TSCT_OK;
    while (st == TSCT_NOT_CONVERGED && it < p->max_iter) {
        tsct_tomo_physics_forward(op, pd, qv);
        const double qq = norm2(qv, ny);
        if (!(qq > 0)) {
            st = TSCT_OK;
            break;
        }
        const float alpha = (float)(gamma / qq);
        for (int64_t k = 0; k < ni; k++)
            image[k] += alpha * pd[k];
        for (int64_t k = 0; k < ny; k++)
            r[k] -= alpha * qv[k];
        tsct_tomo_physics_adjoint(op, r, s);
        const double gnew = norm2(s, ni);
        const float beta = (float)(gnew / gamma);
        for (int64_t k = 0; k < ni; k++)
            pd[k] = s[k] + beta * pd[k];
        gamma = gnew;
        const double prev = res;
        res = bnorm > 0 ? sqrt(norm2(r, ny)) / bnorm : 0;
        if (residuals)
            residuals[it] = res;
        it++;
        if (p->on_iteration)
            p->on_iteration(p->user, it, res);
        if (res <= p->tol || gamma == 0 || (p->stall_tol > 0 && prev - res < p->stall_tol * res))
            st = TSCT_OK;
    }
    if (report) {
        report->iterations = it;
        report->residual = res;
    }
    free(r), free(qv), free(s), free(pd);
    return st;
}
