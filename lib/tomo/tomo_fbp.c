/* tomo_fbp.c - filtered back projection of multi-channel sinograms, matching
 * skimage.transform.iradon (0.19) with linear interpolation.
 *
 * Design. The plan reproduces iradon's preprocessing exactly: with `circle` the sinogram is
 * zero-padded to nd = ceil(sqrt(2) ns) bins (pad_before = nd/2 - ns/2 in front), then to
 * P = max(64, next power of two >= 2 nd) for the FFT; the filter is skimage's real-space ramp
 * (Kak & Slaney 1988, ch. 3 eq. 61) times a window. skimage multiplies the full complex
 * spectrum by a real filter that is not always even (its hamming and hann windows are shifted
 * by one bin) and keeps the real part of the inverse transform; for real data that equals
 * filtering with the even part (H[k] + H[P-k]) / 2, which is what the plan stores, so the
 * half-spectrum real FFTs of FFTW give iradon's numbers.
 *
 * Execution works on blocks of `channel_block` channels: (1) filter: the OpenMP team takes
 * angles; each thread transposes one angle's [ns][block] slab into `block` zero-padded rows
 * of P floats (contiguous rows transform several times faster in FFTW than a strided batch),
 * runs FFTW's batched r2c / c2r plans (FFTW_MEASURE, planned once) with the new-array
 * interface (thread-safe), and transposes back only the detector bins that some pixel reads;
 * (2) back-project the filtered block with the shared tile kernels (tomo_geometry.c).
 * The FFTW planner is not thread-safe: plans are made and destroyed under one lock. */
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tomo/tomo_internal.h"
#include "tsct/threads.h"
#include "core/core_internal.h"
#include "tsct/tomo.h"
#include "tsct_config.h"

#if TSCT_HAVE_OPENMP
#include <omp.h>
#endif

struct tsct_tomo_fbp_plan {
    tsct_tomo_fbp_params params; /* resolved: output_size, channel_block, nthreads > 0 */
    tsct__tomo_geom geom;
    const tsct__tomo_kernels *kern;
    int64_t nd;                      /* detector bins after iradon's circle padding */
    int64_t pad_before;              /* bins of padding in front of the measured ones */
    int64_t fft_size;                /* P */
    int64_t nfreq;                   /* P / 2 + 1 */
    int64_t jlo, nbins;              /* stored filtered bins: padded indices jlo .. jlo+nbins-1 */
    float *filter;                   /* [nfreq] even part of the filter, divided by P */
    fftwf_plan r2c, c2r;             /* batches of `block` rows of P (complex: nfreq); NULL
                                        for TSCT_TOMO_FBP_FILTER_NONE */
    float scale;                     /* pi / (2 na), iradon's */
    size_t filt_bytes;               /* filtered block [na][nbins][block] */
    size_t thread_bytes;             /* per thread: real [block][P] + complex [block][nfreq] */
    size_t work_bytes;
};

static const char *const filter_names[TSCT_TOMO_FBP_FILTER_COUNT_] = {
    "ramp", "shepp-logan", "cosine", "hamming", "hann", "none",
};

const char *tsct_tomo_fbp_filter_name(tsct_tomo_fbp_filter filter)
{
    if ((int)filter < 0 || filter >= TSCT_TOMO_FBP_FILTER_COUNT_)
        return "unknown";
    return filter_names[filter];
}

tsct_status tsct_tomo_fbp_filter_parse(const char *name, tsct_tomo_fbp_filter *filter,
                                       tsct_error *err)
{
    if (!name || !filter)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "filter", -1, "NULL argument");
    for (int i = 0; i < TSCT_TOMO_FBP_FILTER_COUNT_; i++) {
        if (strcmp(name, filter_names[i]) == 0) {
            *filter = (tsct_tomo_fbp_filter)i;
            return TSCT_OK;
        }
    }
    return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "filter", -1,
                          "unknown filter \"%s\"; expected ramp, shepp-logan, cosine, "
                          "hamming, hann or none",
                          name);
}

static size_t align64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

tsct_status tsct_tomo_fbp_filter_response(tsct_tomo_fbp_filter filter, int64_t size,
                                          double *response, tsct_error *err)
{
    if (!response)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "filter", -1, "response is NULL");
    if ((int)filter < 0 || filter >= TSCT_TOMO_FBP_FILTER_COUNT_)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "filter", -1, "unknown filter %d",
                              (int)filter);
    if (size < 2 || size % 2 != 0 || size > (INT64_C(1) << 28))
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "filter", -1,
                              "filter size must be even, >= 2 and <= 2^28, got %lld",
                              (long long)size);
    const int64_t P = size, half = P / 2;
    if (filter == TSCT_TOMO_FBP_FILTER_NONE) {
        for (int64_t k = 0; k < P; k++)
            response[k] = 1.0;
        return TSCT_OK;
    }
    /* Real-space ramp: f[0] = 1/4, f[k] = -1/(pi n)^2 for odd k, n = min(k, P - k); its DFT is
     * real because f is even. */
    double *f = fftw_malloc((size_t)P * sizeof *f);
    fftw_complex *F = fftw_malloc((size_t)(half + 1) * sizeof *F);
    if (!f || !F) {
        fftw_free(f);
        fftw_free(F);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "filter", -1,
                              "allocating %lld-point filter", (long long)P);
    }
    tsct__fftw_lock();
    fftw_plan p = fftw_plan_dft_r2c_1d((int)P, f, F, FFTW_ESTIMATE);
    tsct__fftw_unlock();
    if (!p) {
        fftw_free(f);
        fftw_free(F);
        return tsct_error_set(err, TSCT_ERR_INTERNAL, NULL, "filter", -1,
                              "FFTW could not plan a %lld-point transform", (long long)P);
    }
    for (int64_t k = 0; k < P; k++) {
        if (k == 0) {
            f[k] = 0.25;
        } else if (k % 2 == 1) {
            const double nk = (double)(k <= half ? k : P - k);
            f[k] = -1.0 / ((M_PI * nk) * (M_PI * nk));
        } else {
            f[k] = 0.0;
        }
    }
    fftw_execute(p);
    tsct__fftw_lock();
    fftw_destroy_plan(p);
    tsct__fftw_unlock();
    for (int64_t k = 0; k <= half; k++)
        response[k] = 2.0 * F[k][0];
    for (int64_t k = half + 1; k < P; k++)
        response[k] = 2.0 * F[P - k][0];
    fftw_free(f);
    fftw_free(F);

    /* Windows, exactly as skimage's _get_fourier_filter builds them (numpy definitions). */
    for (int64_t k = 0; k < P; k++) {
        double w = 1.0;
        /* fftshift: element k of the shifted array is element (k + P/2) mod P. */
        const int64_t m = (k + half) % P;
        switch (filter) {
        case TSCT_TOMO_FBP_FILTER_SHEPP_LOGAN:
            if (k > 0) {
                const double fr = (double)(k < half ? k : k - P) / (double)P; /* fftfreq */
                const double om = M_PI * fr;
                w = sin(om) / om;
            }
            break;
        case TSCT_TOMO_FBP_FILTER_COSINE:
            w = sin(M_PI * (double)m / (double)P);
            break;
        case TSCT_TOMO_FBP_FILTER_HAMMING:
            w = 0.54 - 0.46 * cos(2.0 * M_PI * (double)m / (double)(P - 1));
            break;
        case TSCT_TOMO_FBP_FILTER_HANN:
            w = 0.5 - 0.5 * cos(2.0 * M_PI * (double)m / (double)(P - 1));
            break;
        default:
            break;
        }
        response[k] *= w;
    }
    return TSCT_OK;
}

void tsct_tomo_fbp_plan_destroy(tsct_tomo_fbp_plan *plan)
{
    if (!plan)
        return;
    tsct__fftw_lock();
    if (plan->r2c)
        fftwf_destroy_plan(plan->r2c);
    if (plan->c2r)
        fftwf_destroy_plan(plan->c2r);
    tsct__fftw_unlock();
    fftwf_free(plan->filter);
    tsct__tomo_geom_release(&plan->geom);
    free(plan);
}

int64_t tsct_tomo_fbp_plan_output_size(const tsct_tomo_fbp_plan *plan)
{
    return plan ? plan->geom.n : 0;
}

size_t tsct_tomo_fbp_workspace_size(const tsct_tomo_fbp_plan *plan)
{
    return plan ? plan->work_bytes : 0;
}

/* The range of padded detector coordinates u = t + nd/2 that computed pixels reach, so that
 * only the bins they read are kept after filtering. t is linear along a row, so its extremes
 * over a row lie at the row's first and last computed columns. */
static void touched_range(const tsct__tomo_geom *g, double *umin, double *umax)
{
    double lo = INFINITY, hi = -INFINITY;
    const int64_t R = g->radius;
    for (int64_t a = 0; a < g->na; a++) {
        for (int64_t r = 0; r < g->n; r++) {
            if (g->xhi[r] <= g->xlo[r])
                continue;
            const double dy = (double)(r - R);
            const double t0 = (double)(g->xlo[r] - R) * g->cosv[a] - dy * g->sinv[a];
            const double t1 = (double)(g->xhi[r] - 1 - R) * g->cosv[a] - dy * g->sinv[a];
            lo = fmin(lo, fmin(t0, t1));
            hi = fmax(hi, fmax(t0, t1));
        }
    }
    *umin = lo;
    *umax = hi;
}

tsct_status tsct_tomo_fbp_plan_create(const tsct_tomo_fbp_params *params, int64_t na, int64_t ns,
                                      const double *angles_deg, tsct_tomo_fbp_plan **plan_out,
                                      tsct_error *err)
{
    static const tsct_tomo_fbp_params defaults = TSCT_TOMO_FBP_PARAMS_DEFAULT;
    if (!plan_out)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "fbp", -1, "plan pointer is NULL");
    *plan_out = NULL;
    tsct_tomo_fbp_params p = params ? *params : defaults;
    if ((int)p.filter < 0 || p.filter >= TSCT_TOMO_FBP_FILTER_COUNT_)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "fbp", -1, "unknown filter %d",
                              (int)p.filter);
    if (p.output_size < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "fbp", -1,
                              "output_size must be >= 0 (0 = default), got %lld",
                              (long long)p.output_size);
    if (p.channel_block <= 0)
        p.channel_block = 64;
    if (p.channel_block > (INT64_C(1) << 20))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "fbp", -1,
                              "channel_block must be <= 2^20, got %lld",
                              (long long)p.channel_block);
    if (ns < 2)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "fbp", -1,
                              "need at least 2 detector positions, got ns = %lld",
                              (long long)ns);
    if (p.output_size == 0)
        p.output_size = p.circle ? ns : (int64_t)floor(sqrt((double)ns * (double)ns / 2.0));
    if (p.output_size < 1)
        p.output_size = 1;
    p.nthreads = tsct_threads_resolve(p.nthreads);
    p.circle = p.circle ? 1 : 0;

    tsct_tomo_fbp_plan *plan = calloc(1, sizeof *plan);
    if (!plan)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "fbp", -1, "allocating the plan");
    plan->params = p;
    tsct_status st = tsct__tomo_geom_init(&plan->geom, na, ns, angles_deg, p.output_size,
                                          p.circle, "fbp", err);
    if (st != TSCT_OK) {
        tsct_tomo_fbp_plan_destroy(plan);
        return st;
    }
    plan->kern = tsct__tomo_kernels_select();
    plan->scale = (float)(M_PI / (2.0 * (double)na));

    /* iradon: circle pads the sinogram to the diagonal, then to a power of two >= 2 nd. */
    plan->nd = p.circle ? (int64_t)ceil(M_SQRT2 * (double)ns) : ns;
    plan->pad_before = plan->nd / 2 - ns / 2;
    int64_t P = 64;
    while (P < 2 * plan->nd)
        P *= 2;
    plan->fft_size = P;
    plan->nfreq = P / 2 + 1;

    double umin, umax;
    touched_range(&plan->geom, &umin, &umax);
    const double off = (double)(plan->nd / 2);
    int64_t jlo = (int64_t)floor(umin + off), jhi = (int64_t)floor(umax + off) + 1;
    if (!(umin <= umax)) /* no computed pixel at all */
        jlo = 0, jhi = 1;
    if (jlo < 0)
        jlo = 0;
    if (jhi > plan->nd - 1)
        jhi = plan->nd - 1;
    if (jlo > jhi - 1)
        jlo = jhi - 1 >= 0 ? jhi - 1 : 0;
    if (jhi < jlo + 1)
        jhi = jlo + 1;
    plan->jlo = jlo;
    plan->nbins = jhi - jlo + 1;

    const int64_t B = p.channel_block;
    if ((double)na * (double)plan->nbins * (double)B > 0x1p60 ||
        (double)P * (double)B * (double)p.nthreads > 0x1p60) {
        tsct_tomo_fbp_plan_destroy(plan);
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "fbp", -1,
                              "workspace for na = %lld, %lld bins, channel_block = %lld does "
                              "not fit in memory; lower channel_block",
                              (long long)na, (long long)plan->nbins, (long long)B);
    }
    plan->filt_bytes = align64((size_t)(na * plan->nbins * B) * sizeof(float));
    if (p.filter != TSCT_TOMO_FBP_FILTER_NONE)
        plan->thread_bytes = align64((size_t)(P * B) * sizeof(float)) +
                             align64((size_t)(plan->nfreq * B) * sizeof(fftwf_complex));
    plan->work_bytes = 64 + plan->filt_bytes + (size_t)p.nthreads * plan->thread_bytes;

    if (p.filter != TSCT_TOMO_FBP_FILTER_NONE) {
        double *H = malloc((size_t)P * sizeof *H);
        plan->filter = fftwf_malloc((size_t)plan->nfreq * sizeof *plan->filter);
        if (!H || !plan->filter) {
            free(H);
            tsct_tomo_fbp_plan_destroy(plan);
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "fbp", -1,
                                  "allocating the filter");
        }
        st = tsct_tomo_fbp_filter_response(p.filter, P, H, err);
        if (st != TSCT_OK) {
            free(H);
            tsct_tomo_fbp_plan_destroy(plan);
            return st;
        }
        for (int64_t k = 0; k < plan->nfreq; k++)
            plan->filter[k] = (float)(0.5 * (H[k] + H[(P - k) % P]) / (double)P);
        free(H);

        float *in = fftwf_malloc((size_t)(P * B) * sizeof *in);
        fftwf_complex *out = fftwf_malloc((size_t)(plan->nfreq * B) * sizeof *out);
        if (!in || !out) {
            fftwf_free(in);
            fftwf_free(out);
            tsct_tomo_fbp_plan_destroy(plan);
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "fbp", -1,
                                  "allocating FFT planning buffers (%lld x %lld)",
                                  (long long)P, (long long)B);
        }
        const int n = (int)P, howmany = (int)B;
        tsct__fftw_lock();
        const int nf = (int)plan->nfreq;
        plan->r2c = fftwf_plan_many_dft_r2c(1, &n, howmany, in, NULL, 1, n, out, NULL, 1, nf,
                                            FFTW_MEASURE);
        plan->c2r = fftwf_plan_many_dft_c2r(1, &n, howmany, out, NULL, 1, nf, in, NULL, 1, n,
                                            FFTW_MEASURE);
        tsct__fftw_unlock();
        fftwf_free(in);
        fftwf_free(out);
        if (!plan->r2c || !plan->c2r) {
            tsct_tomo_fbp_plan_destroy(plan);
            return tsct_error_set(err, TSCT_ERR_INTERNAL, NULL, "fbp", -1,
                                  "FFTW could not plan %lld transforms of %lld points",
                                  (long long)B, (long long)P);
        }
    }
    *plan_out = plan;
    return TSCT_OK;
}

/* Filter channels [0, cb) of every angle into filt[na][nbins][block]. */
static void filter_block(const tsct_tomo_fbp_plan *plan, const float *sino, int64_t ld_sino,
                         int64_t cb, float *filt, unsigned char *thread_mem)
{
    const int64_t na = plan->geom.na, ns = plan->geom.ns, B = plan->params.channel_block;
    const int64_t nbins = plan->nbins, jlo = plan->jlo, pad = plan->pad_before;
    const int64_t P = plan->fft_size, nfreq = plan->nfreq;
    const int nthreads = plan->params.nthreads;
    (void)nthreads;

#if TSCT_HAVE_OPENMP
#pragma omp parallel num_threads(nthreads)
#endif
    {
        const int tid = tsct__thread_id();
        float *in = NULL;
        fftwf_complex *out = NULL;
        if (plan->r2c) {
            unsigned char *mem = thread_mem + (size_t)tid * plan->thread_bytes;
            in = (float *)mem;
            out = (fftwf_complex *)(mem + align64((size_t)(P * B) * sizeof(float)));
        }
#if TSCT_HAVE_OPENMP
#pragma omp for schedule(dynamic, 4)
#endif
        for (int64_t a = 0; a < na; a++) {
            const float *sa = sino + a * ns * ld_sino;
            float *fa = filt + a * nbins * B;
            if (!plan->r2c) {
                /* No filter: iradon back-projects the padded sinogram itself. */
                for (int64_t b = 0; b < nbins; b++) {
                    const int64_t s = jlo + b - pad;
                    float *dst = fa + b * B;
                    if (s >= 0 && s < ns)
                        memcpy(dst, sa + s * ld_sino, (size_t)cb * sizeof *dst);
                    else
                        memset(dst, 0, (size_t)cb * sizeof *dst);
                }
                continue;
            }
            /* Transpose the [ns][cb] slab into cb zero-padded rows of P; the channels cb .. B
             * of a last, partial block are zero rows. */
            for (int64_t c = 0; c < B; c++) {
                float *row = in + c * P;
                memset(row, 0, (size_t)pad * sizeof *row);
                memset(row + pad + ns, 0, (size_t)(P - pad - ns) * sizeof *row);
                if (c >= cb)
                    memset(row + pad, 0, (size_t)ns * sizeof *row);
            }
            for (int64_t s0 = 0; s0 < ns; s0 += 16) {
                const int64_t s1 = s0 + 16 < ns ? s0 + 16 : ns;
                for (int64_t c = 0; c < cb; c++)
                    for (int64_t s = s0; s < s1; s++)
                        in[c * P + pad + s] = sa[s * ld_sino + c];
            }
            fftwf_execute_dft_r2c(plan->r2c, in, out);
            for (int64_t c = 0; c < cb; c++) {
                float *o = (float *)(out + c * nfreq);
                for (int64_t k = 0; k < nfreq; k++) {
                    o[2 * k] *= plan->filter[k];
                    o[2 * k + 1] *= plan->filter[k];
                }
            }
            fftwf_execute_dft_c2r(plan->c2r, out, in);
            for (int64_t b0 = 0; b0 < nbins; b0 += 16) {
                const int64_t b1 = b0 + 16 < nbins ? b0 + 16 : nbins;
                for (int64_t b = b0; b < b1; b++)
                    for (int64_t c = 0; c < cb; c++)
                        fa[b * B + c] = in[c * P + jlo + b];
            }
        }
    }
}

tsct_status tsct_tomo_fbp_execute(const tsct_tomo_fbp_plan *plan, const float *sino, int64_t nc,
                                  int64_t ld_sino, float *image, int64_t ld_image, void *work,
                                  size_t work_bytes, tsct_error *err)
{
    if (!plan || !sino || !image || !work)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "fbp", -1,
                              "NULL %s", !plan ? "plan" : !sino ? "sinogram"
                                                      : !image ? "image" : "workspace");
    if (nc < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "fbp", -1,
                              "need at least 1 channel, got nc = %lld", (long long)nc);
    if (ld_sino == 0)
        ld_sino = nc;
    if (ld_image == 0)
        ld_image = nc;
    if (ld_sino < nc || ld_image < nc)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "fbp", -1,
                              "leading dimensions (sinogram %lld, image %lld) must be >= nc = "
                              "%lld",
                              (long long)ld_sino, (long long)ld_image, (long long)nc);
    if (work_bytes < plan->work_bytes)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "fbp", -1,
                              "workspace has %zu bytes, the plan needs %zu "
                              "(tsct_tomo_fbp_workspace_size)",
                              work_bytes, plan->work_bytes);
    unsigned char *base = (unsigned char *)work;
    base += (64 - ((uintptr_t)base & 63)) & 63;
    float *filt = (float *)base;
    unsigned char *thread_mem = base + plan->filt_bytes;

    const int64_t B = plan->params.channel_block;
    tsct__bp_src src = {filt, plan->nbins * B, B, plan->nbins,
                        (double)(plan->nd / 2 - plan->jlo)};
    for (int64_t c0 = 0; c0 < nc; c0 += B) {
        const int64_t cb = nc - c0 < B ? nc - c0 : B;
        filter_block(plan, sino + c0, ld_sino, cb, filt, thread_mem);
        tsct__tomo_backproject(&plan->geom, plan->kern, &src, cb, plan->scale, image + c0,
                               ld_image, plan->params.nthreads);
    }
    return TSCT_OK;
}
