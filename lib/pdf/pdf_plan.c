/* pdf_plan.c - I(Q) -> S(Q) -> F(Q) -> G(r): the plan, the reference path and the batch path.
 *
 * The intensity scale is PDFgetX3's: alpha minimises the integral of (S - 1)^2 over the fit
 * points, alpha = sum sw <f^2> I / sum sw I^2 with sw = quadrature weight / <f>^4 (two sums
 * per pattern). Everything after alpha is linear in I, so the plan precomputes it:
 *   t = (1 - Pi) (w I),  w = Q / <f>^2,  Pi = projection on the polynomial basis (fit points)
 *   F = alpha t - h0,    h0 = (1 - Pi)(Q <f^2> / <f>^2)
 *   G = T F              T = trapezoid x window x (2/pi) x sin(Q r)
 * The basis Q T_k(2Q/qmaxinst - 1) is orthonormalised over the fit points (modified
 * Gram-Schmidt, twice, in double), so Pi costs 2 n nq operations per pattern.
 *
 * T: with equally spaced Q_k = Q0 + k h and r_j = r0 + j d, exp(i Q_k r_j) =
 * exp(i Q0 r_j) exp(i k h r0) exp(i phi k j), phi = h d, and k j = (k^2 + j^2 - (j-k)^2) / 2
 * turns the sum into a convolution with the chirp exp(-i phi m^2 / 2) (Bluestein 1970; the
 * chirp-z transform of Rabiner, Schafer & Rader 1969): two FFTs of length L >= nk + nr - 1 per
 * pattern, O(L log L) instead of O(nk nr), exact for any r grid. Unequal Q steps fall back to
 * the sine matrix. The FFTW planner is not thread-safe: plans are made and destroyed under
 * the process-wide lock (lib/core/core_internal.h). */
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "tsct/pdf.h"
#include "tsct/threads.h"
#include "tsct_config.h"

#if TSCT_HAVE_OPENMP
#include <omp.h>
#endif

/* Patterns per block of the direct path, and r values per accumulator chunk: 32 x 64 floats
 * of accumulators (8 KiB) stay in L1 while a [nk][64] slab of the matrix streams through. */
#define PDF_DIRECT_BLOCK 32
#define PDF_DIRECT_RCHUNK 64

struct tsct_pdf_plan {
    tsct_pdf_params p;  /* resolved */
    int64_t nq, nr;
    double *q, *r;
    int64_t ninst;          /* points 0 .. ninst-1 have Q <= qmaxinst */
    int64_t ifit0;          /* fit points: ifit0 .. ninst-1 (Q >= qmin) */
    int64_t it0, nk;        /* transform points: it0 .. it0+nk-1 (qmin <= Q <= qmax) */
    double *sw, *swf2;      /* [ninst] scale weights: quadrature weight / <f>^4 over the
                               fit points (0 elsewhere), and the same times <f^2> */
    double *f2, *fm2;       /* [ninst] <f^2>, <f>^2 */
    double *w, *h0;         /* [ninst] */
    int deg;
    double *basis;          /* [deg][ninst], orthonormal over the fit points */
    double *tw;             /* [nk] transform weights */
    float *w_f, *h0_f, *basis_f;
    float *sinT;            /* direct: [nk][nr_pad] weights x sin(Q r) */
    int64_t nr_pad;         /* nr rounded up to PDF_DIRECT_RCHUNK */
    int64_t L;              /* chirp-z FFT length; 0 for direct */
    fftwf_complex *pre, *kern, *post;
    fftwf_plan fwd, bwd;
};

struct tsct_pdf_workspace {
    const tsct_pdf_plan *plan;
    int nthreads;
    size_t per_thread;  /* floats */
    float *mem;
};

static int64_t good_fft_size(int64_t n)
{
    /* Smallest 2^a 3^b 5^c 7^d >= n: FFTW's fast sizes. */
    int64_t best = INT64_MAX;
    for (int64_t a = 1; a < 2 * n + 2; a *= 2)
        for (int64_t b = a; b < 2 * n + 2; b *= 3)
            for (int64_t c = b; c < 2 * n + 2; c *= 5)
                for (int64_t d = c; d < 2 * n + 2; d *= 7)
                    if (d >= n && d < best)
                        best = d;
    return best;
}

/* exp(i x) for possibly large x, reduced in double. */
static void cis(double x, fftwf_complex z)
{
    x = fmod(x, 2.0 * M_PI);
    z[0] = (float)cos(x);
    z[1] = (float)sin(x);
}

void tsct_pdf_plan_destroy(tsct_pdf_plan *plan)
{
    if (!plan)
        return;
    if (plan->fwd || plan->bwd) {
        tsct__fftw_lock();
        if (plan->fwd)
            fftwf_destroy_plan(plan->fwd);
        if (plan->bwd)
            fftwf_destroy_plan(plan->bwd);
        tsct__fftw_unlock();
    }
    fftwf_free(plan->pre);
    fftwf_free(plan->kern);
    fftwf_free(plan->post);
    free(plan->q);
    free(plan->r);
    free(plan->f2);
    free(plan->fm2);
    free(plan->w);
    free(plan->h0);
    free(plan->sw);
    free(plan->swf2);
    free(plan->basis);
    free(plan->tw);
    free(plan->w_f);
    free(plan->h0_f);
    free(plan->basis_f);
    free(plan->sinT);
    free(plan);
}

static tsct_status check_params(tsct_pdf_params *p, const double *q, int64_t nq,
                                tsct_error *err)
{
    if (!q || nq < 2)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "q", -1,
                              "need at least 2 points, got %lld", (long long)nq);
    for (int64_t i = 0; i < nq; i++)
        if (!isfinite(q[i]) || q[i] < 0 || (i && !(q[i] > q[i - 1])))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "q", i,
                                  "Q must be finite, >= 0 and strictly increasing, found %g "
                                  "after %g", q[i], i ? q[i - 1] : 0.0);
    const double qlast = q[nq - 1];
    /* 0 means "not set", as in PDFgetX3's headers; a negative limit is a mistake, not a
     * request for the default. */
    if (!(p->qmaxinst >= 0) || !(p->qmax >= 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, p->qmax >= 0 ? "qmaxinst" : "qmax", -1,
                              "expected 0 (the end of the data) or a positive Q, got %g",
                              p->qmax >= 0 ? p->qmaxinst : p->qmax);
    if (p->qmaxinst == 0)
        p->qmaxinst = qlast;
    if (p->qmax == 0)
        p->qmax = p->qmaxinst;
    if (!isfinite(p->qmin) || p->qmin < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "qmin", -1,
                              "expected a value >= 0, got %g", p->qmin);
    /* A limit may pass the last point by less than a step (a round number at the end of the
     * data; every point then counts); beyond that it is an error. */
    const double top = qlast + (q[nq - 1] - q[nq - 2]) + 1e-12 * qlast;
    if (!isfinite(p->qmaxinst) || p->qmaxinst > top)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "qmaxinst", -1,
                              "qmaxinst = %g is above the data, which end at Q = %g 1/A",
                              p->qmaxinst, qlast);
    const double qcap = p->qmaxinst >= qlast ? fmax(p->qmaxinst, top) : p->qmaxinst;
    if (!isfinite(p->qmax) || p->qmax > qcap * (1 + 1e-12))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "qmax", -1,
                              "qmax = %g is above %s = %g 1/A", p->qmax,
                              p->qmaxinst < qlast ? "qmaxinst" : "the data, which end at Q",
                              p->qmaxinst);
    if (!(p->qmin < p->qmax))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "qmin", -1,
                              "qmin = %g must be below qmax = %g", p->qmin, p->qmax);
    if (!(isfinite(p->rstep) && p->rstep > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "rstep", -1,
                              "expected a value > 0, got %g", p->rstep);
    if (!(isfinite(p->rmin) && p->rmin >= 0 && isfinite(p->rmax) && p->rmax >= p->rmin))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "rmax", -1,
                              "expected 0 <= rmin <= rmax, got rmin = %g, rmax = %g", p->rmin,
                              p->rmax);
    if (!((p->rmax - p->rmin) / p->rstep < (double)TSCT_PDF_R_MAX))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "rstep", -1,
                              "(%g - %g) / %g r points: more than the limit %lld "
                              "(TSCT_PDF_R_MAX)", p->rmax, p->rmin, p->rstep,
                              (long long)TSCT_PDF_R_MAX);
    if (!(isfinite(p->rpoly) && p->rpoly >= 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "rpoly", -1,
                              "expected a value >= 0, got %g", p->rpoly);
    if (!(isfinite(p->scale) && p->scale >= 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "scale", -1,
                              "expected a value >= 0, got %g", p->scale);
    if (p->method < TSCT_PDF_AUTO || p->method > TSCT_PDF_CHIRPZ)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "method", -1, "unknown method %d",
                              (int)p->method);
    p->nthreads = tsct_threads_resolve(p->nthreads);
    return TSCT_OK;
}

/* Orthonormalise the polynomial basis over the fit points (modified Gram-Schmidt, two
 * passes: the Chebyshev basis is well conditioned, the second pass removes what rounding
 * left). */
static tsct_status make_basis(tsct_pdf_plan *pl, tsct_error *err)
{
    const int64_t n = pl->ninst, a = pl->ifit0, deg = pl->deg;
    if (deg > n - a)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "rpoly", -1,
                              "rpoly = %g asks for a polynomial of degree %lld but only %lld "
                              "points lie in [qmin, qmaxinst]", pl->p.rpoly, (long long)deg,
                              (long long)(n - a));
    for (int64_t d = 0; d < deg; d++) {
        double *b = pl->basis + d * n;
        for (int64_t i = 0; i < n; i++) {
            double x = 2.0 * pl->q[i] / pl->p.qmaxinst - 1.0;
            b[i] = pl->q[i] / pl->p.qmaxinst * cos((double)d * acos(fmax(-1.0, fmin(1.0, x))));
        }
        for (int pass = 0; pass < 2; pass++) {
            for (int64_t e = 0; e < d; e++) {
                const double *u = pl->basis + e * n;
                double dot = 0;
                for (int64_t i = a; i < n; i++)
                    dot += u[i] * b[i];
                for (int64_t i = 0; i < n; i++)
                    b[i] -= dot * u[i];
            }
        }
        double nrm = 0;
        for (int64_t i = a; i < n; i++)
            nrm += b[i] * b[i];
        if (!(nrm > 0))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "rpoly", -1,
                                  "polynomial term %lld is degenerate on the fit points",
                                  (long long)d);
        nrm = 1.0 / sqrt(nrm);
        for (int64_t i = 0; i < n; i++)
            b[i] *= nrm;
    }
    return TSCT_OK;
}

/* v <- (1 - Pi) v over 0 .. ninst-1 (double). */
static void project_out(const tsct_pdf_plan *pl, double *v)
{
    const int64_t n = pl->ninst;
    for (int d = 0; d < pl->deg; d++) {
        const double *u = pl->basis + d * n;
        double c = 0;
        for (int64_t i = pl->ifit0; i < n; i++)
            c += u[i] * v[i];
        for (int64_t i = 0; i < n; i++)
            v[i] -= c * u[i];
    }
}

static tsct_status make_chirpz(tsct_pdf_plan *pl, tsct_error *err)
{
    const int64_t K = pl->nk, J = pl->nr;
    const double h = pl->q[pl->it0 + 1] - pl->q[pl->it0];
    const double Q0 = pl->q[pl->it0], r0 = pl->r[0], phi = h * pl->p.rstep;
    const int64_t L = good_fft_size(K + J - 1);
    if (L > INT32_MAX)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "rstep", -1,
                              "transform of %lld points is too long", (long long)L);
    pl->L = L;
    pl->pre = fftwf_malloc((size_t)K * sizeof *pl->pre);
    pl->kern = fftwf_malloc((size_t)L * sizeof *pl->kern);
    pl->post = fftwf_malloc((size_t)J * sizeof *pl->post);
    if (!pl->pre || !pl->kern || !pl->post)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pdf plan", -1, "chirp-z tables");
    /* Equal steps: Q_k is recomputed from Q0 + k h, the grid the transform assumes. */
    for (int64_t k = 0; k < K; k++) {
        fftwf_complex z;
        cis((double)k * h * r0 + 0.5 * phi * (double)k * (double)k, z);
        pl->pre[k][0] = (float)(pl->tw[k] * z[0]);
        pl->pre[k][1] = (float)(pl->tw[k] * z[1]);
    }
    for (int64_t j = 0; j < J; j++)
        cis(Q0 * pl->r[j] + 0.5 * phi * (double)j * (double)j, pl->post[j]);
    memset(pl->kern, 0, (size_t)L * sizeof *pl->kern);
    for (int64_t m = -(K - 1); m <= J - 1; m++) {
        fftwf_complex z;
        cis(-0.5 * phi * (double)m * (double)m, z);
        int64_t i = m < 0 ? m + L : m;
        pl->kern[i][0] = z[0] / (float)L;
        pl->kern[i][1] = z[1] / (float)L;
    }
    fftwf_complex *tmp = fftwf_malloc((size_t)L * sizeof *tmp);
    if (!tmp)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pdf plan", -1, "FFT buffer");
    tsct__fftw_lock();
    pl->fwd = fftwf_plan_dft_1d((int)L, tmp, tmp, FFTW_FORWARD, FFTW_MEASURE);
    pl->bwd = fftwf_plan_dft_1d((int)L, tmp, tmp, FFTW_BACKWARD, FFTW_MEASURE);
    fftwf_plan kp = fftwf_plan_dft_1d((int)L, pl->kern, pl->kern, FFTW_FORWARD, FFTW_ESTIMATE);
    tsct__fftw_unlock();
    if (!pl->fwd || !pl->bwd || !kp) {
        fftwf_free(tmp);
        return tsct_error_set(err, TSCT_ERR_INTERNAL, NULL, "pdf plan", -1,
                              "FFTW could not plan a transform of length %lld", (long long)L);
    }
    fftwf_execute(kp);
    tsct__fftw_lock();
    fftwf_destroy_plan(kp);
    tsct__fftw_unlock();
    fftwf_free(tmp);
    return TSCT_OK;
}

static tsct_status make_direct(tsct_pdf_plan *pl, tsct_error *err)
{
    pl->nr_pad = (pl->nr + PDF_DIRECT_RCHUNK - 1) / PDF_DIRECT_RCHUNK * PDF_DIRECT_RCHUNK;
    if (pl->nk > TSCT_PDF_DIRECT_MAX / pl->nr_pad)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "rstep", -1,
                              "the direct transform's sine matrix of %lld Q x %lld r points "
                              "is more than the limit %lld (TSCT_PDF_DIRECT_MAX): use equally "
                              "spaced Q (chirp-z) or fewer r points", (long long)pl->nk,
                              (long long)pl->nr, (long long)TSCT_PDF_DIRECT_MAX);
    pl->sinT = malloc((size_t)(pl->nk * pl->nr_pad) * sizeof *pl->sinT);
    if (!pl->sinT)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pdf plan", -1,
                              "sine matrix of %lld x %lld", (long long)pl->nk,
                              (long long)pl->nr_pad);
    for (int64_t k = 0; k < pl->nk; k++) {
        float *row = pl->sinT + k * pl->nr_pad;
        const double qk = pl->q[pl->it0 + k];
        for (int64_t j = 0; j < pl->nr_pad; j++)
            row[j] = j < pl->nr ? (float)(pl->tw[k] * sin(qk * pl->r[j])) : 0.0f;
    }
    return TSCT_OK;
}

tsct_status tsct_pdf_plan_create(const tsct_pdf_params *params, const tsct_composition *comp,
                                 const double *q, int64_t nq, tsct_pdf_plan **out,
                                 tsct_error *err)
{
    *out = NULL;
    tsct_pdf_params p = params ? *params : (tsct_pdf_params)TSCT_PDF_PARAMS_DEFAULT;
    TSCT_TRY(check_params(&p, q, nq, err));
    if (!comp)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "composition", -1,
                              "a composition is required");
    tsct_pdf_plan *pl = calloc(1, sizeof *pl);
    if (!pl)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pdf plan", -1, "plan");
    pl->p = p;
    pl->nq = nq;
    pl->nr = (int64_t)floor((p.rmax - p.rmin) / p.rstep + 1e-9) + 1;
    tsct_status st = TSCT_OK;
    pl->q = malloc((size_t)nq * sizeof *pl->q);
    pl->r = malloc((size_t)pl->nr * sizeof *pl->r);
    if (!pl->q || !pl->r) {
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pdf plan", -1, "grids");
        goto fail;
    }
    memcpy(pl->q, q, (size_t)nq * sizeof *q);
    for (int64_t j = 0; j < pl->nr; j++)
        pl->r[j] = p.rmin + (double)j * p.rstep;

    /* Index ranges; a point counts as inside a limit within 1e-9 relative (limits are often
     * typed as round numbers that the grid hits up to rounding). */
    const double eps = 1e-9;
    int64_t n = 0;
    while (n < nq && q[n] <= p.qmaxinst * (1 + eps))
        n++;
    pl->ninst = n;
    int64_t a = 0;
    while (a < n && q[a] < p.qmin * (1 - eps))
        a++;
    pl->ifit0 = pl->it0 = a;
    int64_t e = a;
    while (e < n && q[e] <= p.qmax * (1 + eps))
        e++;
    pl->nk = e - a;
    if (pl->nk < 2) {
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "qmin", -1,
                            "fewer than 2 data points in [qmin, qmax] = [%g, %g]", p.qmin,
                            p.qmax);
        goto fail;
    }
    pl->deg = (int)floor(p.rpoly * p.qmaxinst / M_PI + 0.5);

    pl->f2 = malloc((size_t)n * sizeof *pl->f2);
    pl->fm2 = malloc((size_t)n * sizeof *pl->fm2);
    pl->w = malloc((size_t)n * sizeof *pl->w);
    pl->h0 = malloc((size_t)n * sizeof *pl->h0);
    pl->sw = calloc((size_t)n, sizeof *pl->sw);
    pl->swf2 = calloc((size_t)n, sizeof *pl->swf2);
    pl->basis = malloc((size_t)(pl->deg * n + 1) * sizeof *pl->basis);
    pl->tw = malloc((size_t)pl->nk * sizeof *pl->tw);
    pl->w_f = malloc((size_t)n * sizeof *pl->w_f);
    pl->h0_f = malloc((size_t)n * sizeof *pl->h0_f);
    pl->basis_f = malloc((size_t)(pl->deg * n + 1) * sizeof *pl->basis_f);
    if (!pl->f2 || !pl->fm2 || !pl->w || !pl->h0 || !pl->sw || !pl->swf2 || !pl->basis ||
        !pl->tw || !pl->w_f || !pl->h0_f || !pl->basis_f) {
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pdf plan", -1, "tables");
        goto fail;
    }
    tsct_composition_f_average(comp, q, n, pl->fm2, pl->f2);
    for (int64_t i = 0; i < n; i++) {
        pl->fm2[i] *= pl->fm2[i];
        if (!(pl->fm2[i] > 0)) {
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "composition", -1,
                                "<f>^2 = %g at Q = %g", pl->fm2[i], q[i]);
            goto fail;
        }
        pl->w[i] = q[i] / pl->fm2[i];
        pl->h0[i] = q[i] * pl->f2[i] / pl->fm2[i];
    }
    /* Scale weights: the trapezoid rule over the fit points [qmin, qmaxinst] divided by
     * <f>^4, so that alpha = sum sw <f^2> I / sum sw I^2 minimises the integral of
     * (S - 1)^2 = [(alpha I - <f^2>) / <f>^2]^2 (docs/pdf.md, "Scale"). */
    for (int64_t i = pl->ifit0; i < n; i++) {
        const double lo = i > pl->ifit0 ? q[i - 1] : q[i], hi = i + 1 < n ? q[i + 1] : q[i];
        pl->sw[i] = 0.5 * (hi - lo) / (pl->fm2[i] * pl->fm2[i]);
        pl->swf2[i] = pl->sw[i] * pl->f2[i];
    }
    st = make_basis(pl, err);
    if (st != TSCT_OK)
        goto fail;
    project_out(pl, pl->h0);
    for (int64_t i = 0; i < n; i++) {
        pl->w_f[i] = (float)pl->w[i];
        pl->h0_f[i] = (float)pl->h0[i];
    }
    for (int64_t i = 0; i < pl->deg * n; i++)
        pl->basis_f[i] = (float)pl->basis[i];

    /* Trapezoid weights over the transform points, the window and 2/pi. */
    for (int64_t k = 0; k < pl->nk; k++) {
        const int64_t i = pl->it0 + k;
        double wk = 0.5 * ((k + 1 < pl->nk ? q[i + 1] : q[i]) - (k > 0 ? q[i - 1] : q[i]));
        if (p.lorch) {
            double x = M_PI * q[i] / p.qmax;
            wk *= x > 0 ? sin(x) / x : 1.0;
        }
        pl->tw[k] = wk * 2.0 / M_PI;
    }

    int uniform = 1;
    const double h = q[pl->it0 + 1] - q[pl->it0];
    for (int64_t k = 1; k < pl->nk; k++)
        if (fabs(q[pl->it0 + k] - q[pl->it0] - (double)k * h) > 1e-6 * h)
            uniform = 0;
    if (p.method == TSCT_PDF_CHIRPZ && !uniform) {
        st = tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "method", -1,
                            "the chirp-z transform needs equally spaced Q in [qmin, qmax]");
        goto fail;
    }
    if (p.method == TSCT_PDF_AUTO)
        p.method = uniform ? TSCT_PDF_CHIRPZ : TSCT_PDF_DIRECT;
    pl->p.method = p.method;
    st = p.method == TSCT_PDF_CHIRPZ ? make_chirpz(pl, err) : make_direct(pl, err);
    if (st != TSCT_OK)
        goto fail;
    *out = pl;
    return TSCT_OK;
fail:
    tsct_pdf_plan_destroy(pl);
    return st;
}

const tsct_pdf_params *tsct_pdf_plan_params(const tsct_pdf_plan *plan) { return &plan->p; }
int64_t tsct_pdf_plan_nr(const tsct_pdf_plan *plan) { return plan->nr; }
const double *tsct_pdf_plan_r(const tsct_pdf_plan *plan) { return plan->r; }
int64_t tsct_pdf_plan_nq(const tsct_pdf_plan *plan) { return plan->nq; }
int tsct_pdf_plan_degree(const tsct_pdf_plan *plan) { return plan->deg; }

/* ---- the reference path -------------------------------------------------------------- */

tsct_status tsct_pdf_execute_one(const tsct_pdf_plan *pl, const double *iq, double *sq,
                                 double *fq, double *gr, double *alpha_out, tsct_error *err)
{
    const int64_t n = pl->ninst;
    double alpha = pl->p.scale;
    if (!(alpha > 0)) {
        double num = 0, den = 0;
        for (int64_t i = pl->ifit0; i < n; i++) {
            num += pl->swf2[i] * iq[i];
            den += pl->sw[i] * iq[i] * iq[i];
        }
        alpha = num / den;
    }
    if (alpha_out)
        *alpha_out = alpha;
    if (!(isfinite(alpha) && alpha > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "intensity", -1,
                              "cannot scale the pattern: the least-squares match of its "
                              "intensity to <f^2> over Q = %g .. %g 1/A gives %g (expected "
                              "> 0: an empty or negative pattern)", pl->q[pl->ifit0],
                              pl->q[n - 1], alpha);
    /* F lives in the caller's fq when given, else in a scratch buffer. */
    double *F = fq;
    double *scratch = NULL;
    if (!F) {
        scratch = malloc((size_t)n * sizeof *scratch);
        if (!scratch)
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pdf", -1, "F(Q) buffer");
        F = scratch;
    }
    for (int64_t i = 0; i < n; i++)
        F[i] = pl->w[i] * iq[i];
    project_out(pl, F);
    for (int64_t i = 0; i < n; i++)
        F[i] = alpha * F[i] - pl->h0[i];
    if (sq)
        for (int64_t i = 0; i < pl->nq; i++)
            sq[i] = i < n && pl->q[i] > 0 ? 1.0 + F[i] / pl->q[i] : NAN;
    if (gr)
        for (int64_t j = 0; j < pl->nr; j++) {
            double g = 0;
            for (int64_t k = 0; k < pl->nk; k++)
                g += pl->tw[k] * F[pl->it0 + k] * sin(pl->q[pl->it0 + k] * pl->r[j]);
            gr[j] = g;
        }
    if (fq)
        for (int64_t i = n; i < pl->nq; i++)
            fq[i] = NAN;
    free(scratch);
    return TSCT_OK;
}

/* ---- the batch path ----------------------------------------------------------------- */

tsct_status tsct_pdf_workspace_create(const tsct_pdf_plan *plan, int nthreads,
                                      tsct_pdf_workspace **out, tsct_error *err)
{
    *out = NULL;
    tsct_pdf_workspace *ws = calloc(1, sizeof *ws);
    if (!ws)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pdf workspace", -1, "workspace");
    ws->plan = plan;
    ws->nthreads = tsct_threads_resolve(nthreads);
    /* Per thread: F of a block of patterns, plus the complex FFT buffer (chirp-z) or the
     * block's accumulators (direct); rounded to 64 bytes. */
    size_t fl = (size_t)(PDF_DIRECT_BLOCK * plan->ninst);
    size_t extra = plan->L ? (size_t)(2 * plan->L) : (size_t)(PDF_DIRECT_BLOCK * PDF_DIRECT_RCHUNK);
    ws->per_thread = (fl + extra + 15) / 16 * 16;
    ws->mem = fftwf_malloc(ws->per_thread * (size_t)ws->nthreads * sizeof(float));
    if (!ws->mem) {
        size_t per = ws->per_thread;
        free(ws);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pdf workspace", -1,
                              "%d threads x %zu floats", nthreads, per);
    }
    *out = ws;
    return TSCT_OK;
}

void tsct_pdf_workspace_destroy(tsct_pdf_workspace *ws)
{
    if (!ws)
        return;
    fftwf_free(ws->mem);
    free(ws);
}

/* F of one pattern into F[ninst]; returns 0 if the pattern cannot be scaled. */
static int pattern_fq(const tsct_pdf_plan *pl, const float *iq, float *F)
{
    const int64_t n = pl->ninst;
    double alpha = pl->p.scale;
    if (!(alpha > 0)) {
        double num = 0, den = 0;
        for (int64_t i = pl->ifit0; i < n; i++) {
            num += pl->swf2[i] * iq[i];
            den += pl->sw[i] * (double)iq[i] * iq[i];
        }
        alpha = num / den;
    }
    if (!(isfinite(alpha) && alpha > 0))
        return 0;
    for (int64_t i = 0; i < n; i++)
        F[i] = pl->w_f[i] * iq[i];
    for (int d = 0; d < pl->deg; d++) {
        const float *u = pl->basis_f + d * n;
        double c = 0;
        for (int64_t i = pl->ifit0; i < n; i++)
            c += (double)u[i] * F[i];
        const float cf = (float)c;
        for (int64_t i = 0; i < n; i++)
            F[i] -= cf * u[i];
    }
    const float af = (float)alpha;
    for (int64_t i = 0; i < n; i++)
        F[i] = af * F[i] - pl->h0_f[i];
    return 1;
}

static void chirpz_one(const tsct_pdf_plan *pl, const float *F, fftwf_complex *buf, float *g)
{
    const int64_t K = pl->nk, L = pl->L;
    const float *Fk = F + pl->it0;
    for (int64_t k = 0; k < K; k++) {
        buf[k][0] = pl->pre[k][0] * Fk[k];
        buf[k][1] = pl->pre[k][1] * Fk[k];
    }
    memset(buf + K, 0, (size_t)(L - K) * sizeof *buf);
    fftwf_execute_dft(pl->fwd, buf, buf);
    for (int64_t i = 0; i < L; i++) {
        const float re = buf[i][0] * pl->kern[i][0] - buf[i][1] * pl->kern[i][1];
        const float im = buf[i][0] * pl->kern[i][1] + buf[i][1] * pl->kern[i][0];
        buf[i][0] = re;
        buf[i][1] = im;
    }
    fftwf_execute_dft(pl->bwd, buf, buf);
    for (int64_t j = 0; j < pl->nr; j++)
        g[j] = pl->post[j][0] * buf[j][1] + pl->post[j][1] * buf[j][0];
}

/* G of nb patterns whose F are in F[nb][ninst]: accumulators acc[nb][RCHUNK] per r chunk,
 * the matrix slab streamed once per block (axpy form, which compilers vectorise without
 * reassociating sums). */
static void direct_block(const tsct_pdf_plan *pl, const float *F, int64_t nb, float *acc,
                         float *const *g)
{
    const int64_t n = pl->ninst, R = PDF_DIRECT_RCHUNK;
    for (int64_t j0 = 0; j0 < pl->nr; j0 += R) {
        memset(acc, 0, (size_t)(nb * R) * sizeof *acc);
        for (int64_t k = 0; k < pl->nk; k++) {
            const float *restrict m = pl->sinT + k * pl->nr_pad + j0;
            for (int64_t b = 0; b < nb; b++) {
                const float f = F[b * n + pl->it0 + k];
                float *restrict a = acc + b * R;
                for (int64_t j = 0; j < R; j++)
                    a[j] += f * m[j];
            }
        }
        const int64_t nj = pl->nr - j0 < R ? pl->nr - j0 : R;
        for (int64_t b = 0; b < nb; b++)
            if (g[b])
                memcpy(g[b] + j0, acc + b * R, (size_t)nj * sizeof *acc);
    }
}

tsct_status tsct_pdf_execute(const tsct_pdf_plan *pl, const float *iq, int64_t npat,
                             const uint8_t *mask, float *g, tsct_pdf_workspace *ws,
                             tsct_error *err)
{
    if (!ws || ws->plan != pl)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "workspace", -1,
                              "the workspace was made for another plan");
    int nthreads = pl->p.nthreads < ws->nthreads ? pl->p.nthreads : ws->nthreads;
    const int64_t nq = pl->nq, nr = pl->nr, n = pl->ninst, B = PDF_DIRECT_BLOCK;
    const int64_t nblocks = (npat + B - 1) / B;
#if TSCT_HAVE_OPENMP
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, 1)
#else
    (void)nthreads;
#endif
    for (int64_t blk = 0; blk < nblocks; blk++) {
        const int tid = tsct__thread_id();
        float *mem = ws->mem + ws->per_thread * (size_t)tid;
        float *F = mem;
        float *extra = mem + (size_t)(B * n);
        const int64_t p0 = blk * B, nb = npat - p0 < B ? npat - p0 : B;
        float *gout[PDF_DIRECT_BLOCK];
        for (int64_t b = 0; b < nb; b++) {
            const int64_t p = p0 + b;
            float *gp = g + p * nr;
            gout[b] = gp;
            if ((mask && !mask[p]) || !pattern_fq(pl, iq + p * nq, F + b * n)) {
                for (int64_t j = 0; j < nr; j++)
                    gp[j] = NAN;
                gout[b] = NULL;
                memset(F + b * n, 0, (size_t)n * sizeof *F);
            } else if (pl->L) {
                chirpz_one(pl, F + b * n, (fftwf_complex *)extra, gp);
            }
        }
        if (!pl->L)
            direct_block(pl, F, nb, extra, gout);
    }
    return TSCT_OK;
}
