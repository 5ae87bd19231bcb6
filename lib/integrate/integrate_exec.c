/* integrate_exec.c - running an integration plan on frames: the weighted mean, the trimmed
 * mean and sigma clipping (definitions in tsct/integrate.h and docs/integration.md).
 *
 * The mean streams the pixel-major entries (pixel ascending, so the frame, the dark and the
 * normalisation are read once, in order) and scatters into per-thread accumulators of npt x
 * {signal, variance, normalisation, count} doubles that stay in cache (64 KB for 2000 bins);
 * the threads' partial sums are added at the end. This reads about 16 bytes per pixel and
 * frame (entry pixel and bin, frame value, normalisation), against the 12 bytes of a CSR
 * gather that would jump around the frame.
 *
 * The robust filters need the pixels of one bin together, so they walk the bin-major CSR copy,
 * one bin per task (OpenMP dynamic schedule), with per-thread scratch from the caller's
 * workspace. The trimmed mean sorts by corrected intensity with an LSD radix sort on the
 * float's order-preserving bit pattern (key << 32 | position), four 8-bit passes.
 *
 * Several frames (tsct_integrate_execute_many) are spread over the threads one frame each, so
 * the per-frame reduction and the OpenMP fork are paid once per batch.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "integrate_internal.h"

static size_t align64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

/* Bytes of one thread's scratch. */
static size_t slice_bytes(const tsct_integrate_plan *P)
{
    size_t mean = (size_t)P->npt * 4 * sizeof(double);
    size_t m = (size_t)P->max_row;
    size_t filt = 0;
    if (P->params.filter == TSCT_INTEGRATE_TRIMMED)
        filt = align64(2 * m * sizeof(uint64_t)) + 3 * align64(m * sizeof(float));
    else if (P->params.filter == TSCT_INTEGRATE_SIGMA_CLIP)
        filt = 4 * align64(m * sizeof(float)) + align64(m);
    return align64(mean > filt ? mean : filt);
}

size_t tsct_integrate_workspace_size(const tsct_integrate_plan *plan)
{
    return plan ? (size_t)plan->nthreads * slice_bytes(plan) : 0;
}

int64_t tsct_integrate_plan_npt(const tsct_integrate_plan *plan) { return plan ? plan->npt : 0; }
int64_t tsct_integrate_plan_npixels(const tsct_integrate_plan *plan)
{
    return plan ? plan->npix : 0;
}
int64_t tsct_integrate_plan_nnz(const tsct_integrate_plan *plan) { return plan ? plan->nnz : 0; }
const double *tsct_integrate_plan_radial(const tsct_integrate_plan *plan)
{
    return plan ? plan->radial : NULL;
}
const tsct_integrate_params *tsct_integrate_plan_params(const tsct_integrate_plan *plan)
{
    return plan ? &plan->params : NULL;
}

/* Per-frame constants of the pixel test and corrections. */
struct frame_ctx {
    const tsct_integrate_plan *P;
    const float *frame;
    double monitor;
    int use_dummy;
    float dummy, ddummy;
};

/* pyFAI preproc: NaN is always invalid; a dummy value too when one is set. */
static inline int pixel_valid(const struct frame_ctx *F, float x)
{
    if (isnan(x))
        return 0;
    if (F->use_dummy)
        return F->ddummy == 0.0f ? x != F->dummy : !(fabsf(x - F->dummy) <= F->ddummy);
    return 1;
}

static void finish_bin(const struct frame_ctx *F, double S, double V, double N, double C,
                       float *intensity, float *sigma, int64_t b)
{
    const float empty = F->use_dummy ? F->dummy : F->P->params.empty;
    if (C > 0 && N != 0) {
        intensity[b] = (float)(S / N);
        if (sigma)
            sigma[b] = (float)(sqrt(V) / N);
    } else {
        intensity[b] = empty;
        if (sigma)
            sigma[b] = empty;
    }
}

/* ---- mean ------------------------------------------------------------------------------ */

/* Scatter the entries e0 .. e1 - 1 into acc[npt][4] (zeroed here). */
static void mean_scatter(const struct frame_ctx *F, int64_t e0, int64_t e1, double *acc)
{
    const tsct_integrate_plan *P = F->P;
    memset(acc, 0, (size_t)P->npt * 4 * sizeof *acc);
    const float *frame = F->frame, *norm = P->norm, *dark = P->dark, *weight = P->weight;
    const int32_t *pix = P->pix, *bin = P->bin;
    const int unit = P->unit_weights;
    for (int64_t e = e0; e < e1; e++) {
        const int32_t p = pix[e];
        const float x = frame[p];
        if (!pixel_valid(F, x))
            continue;
        const float s = dark ? x - dark[p] : x;
        const float v = x > 1.0f ? x : 1.0f;
        double *a = acc + 4 * (int64_t)bin[e];
        if (unit) {
            a[0] += s;
            a[1] += v;
            a[2] += norm[p];
            a[3] += 1.0;
        } else {
            const double w = weight[e];
            a[0] += w * s;
            a[1] += w * w * v;
            a[2] += w * norm[p];
            a[3] += w;
        }
    }
}

static void mean_frame(const struct frame_ctx *F, char *work, size_t slice, int nt,
                       float *intensity, float *sigma)
{
    const tsct_integrate_plan *P = F->P;
    const int64_t npt = P->npt;
    if (nt <= 1) {
        double *acc = (double *)work;
        mean_scatter(F, 0, P->nnz, acc);
        for (int64_t b = 0; b < npt; b++)
            finish_bin(F, acc[4 * b], acc[4 * b + 1], acc[4 * b + 2] * F->monitor,
                       acc[4 * b + 3], intensity, sigma, b);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        const int t = tsct__thread_id(), n = tsct__thread_count();
        int64_t e0 = P->nnz * t / n, e1 = P->nnz * (t + 1) / n;
        mean_scatter(F, e0, e1, (double *)(work + (size_t)t * slice));
#pragma omp barrier
#pragma omp for schedule(static)
        for (int64_t b = 0; b < npt; b++) {
            double s[4] = {0, 0, 0, 0};
            for (int u = 0; u < n; u++) {
                const double *a = (const double *)(work + (size_t)u * slice) + 4 * b;
                s[0] += a[0];
                s[1] += a[1];
                s[2] += a[2];
                s[3] += a[3];
            }
            finish_bin(F, s[0], s[1], s[2] * F->monitor, s[3], intensity, sigma, b);
        }
    }
}

/* ---- trimmed mean ---------------------------------------------------------------------- */

static inline uint32_t float_order(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/* Sort n keys by their upper 32 bits (stable), using tmp of the same size. */
static void sort_keys(uint64_t *keys, uint64_t *tmp, int64_t n)
{
    if (n < 48) {
        for (int64_t i = 1; i < n; i++) {
            uint64_t k = keys[i];
            int64_t j = i - 1;
            while (j >= 0 && (keys[j] >> 32) > (k >> 32)) {
                keys[j + 1] = keys[j];
                j--;
            }
            keys[j + 1] = k;
        }
        return;
    }
    uint64_t *src = keys, *dst = tmp;
    for (int shift = 32; shift < 64; shift += 8) {
        int64_t count[257] = {0};
        for (int64_t i = 0; i < n; i++)
            count[((src[i] >> shift) & 0xff) + 1]++;
        if (count[((src[0] >> shift) & 0xff) + 1] == n)
            continue; /* every key has this digit: the pass would not move anything */
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (int64_t i = 0; i < n; i++)
            dst[count[(src[i] >> shift) & 0xff]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != keys)
        memcpy(keys, src, (size_t)n * sizeof *keys);
}

static void trimmed_bin(const struct frame_ctx *F, int64_t b, char *ws, float *intensity,
                        float *sigma)
{
    const tsct_integrate_plan *P = F->P;
    const size_t m = (size_t)P->max_row;
    uint64_t *keys = (uint64_t *)ws, *tmp = keys + m;
    float *s1 = (float *)(ws + align64(2 * m * sizeof(uint64_t)));
    float *s2 = (float *)((char *)s1 + align64(m * sizeof(float)));
    float *s3 = (float *)((char *)s2 + align64(m * sizeof(float)));
    int64_t n = 0;
    double total = 0;
    for (int64_t e = P->row_ptr[b]; e < P->row_ptr[b + 1]; e++) {
        const int32_t p = P->row_pix[e];
        const float x = F->frame[p];
        if (!pixel_valid(F, x))
            continue;
        const float w = P->row_weight[e];
        const float s = P->dark ? x - P->dark[p] : x;
        const float v = x > 1.0f ? x : 1.0f;
        const float nrm = (float)(P->norm[p] * F->monitor);
        s1[n] = s * w;
        s2[n] = v * w * w;
        s3[n] = nrm * w;
        if (s3[n] == 0.0f)
            continue;
        keys[n] = ((uint64_t)float_order(s / nrm) << 32) | (uint64_t)n;
        total += s3[n];
        n++;
    }
    sort_keys(keys, tmp, n);
    const double qlo = P->params.trim_lo * total, qhi = P->params.trim_hi * total;
    double cum = 0, S = 0, V = 0, N = 0, C = 0;
    for (int64_t i = 0; i < n; i++) {
        const uint32_t k = (uint32_t)keys[i];
        const double before = cum;
        cum += s3[k];
        if ((qlo <= before && cum <= qhi) || (qlo >= before && cum >= qhi)) {
            S += s1[k];
            V += s2[k];
            N += s3[k];
            C += 1;
        }
    }
    finish_bin(F, S, V, N, C, intensity, sigma, b);
}

/* ---- sigma clipping -------------------------------------------------------------------- */

static void sigma_bin(const struct frame_ctx *F, int64_t b, char *ws, float *intensity,
                      float *sigma)
{
    const tsct_integrate_plan *P = F->P;
    const size_t m = (size_t)P->max_row;
    float *sv = (float *)ws;
    float *vv = (float *)((char *)sv + align64(m * sizeof(float)));
    float *nv = (float *)((char *)vv + align64(m * sizeof(float)));
    float *wv = (float *)((char *)nv + align64(m * sizeof(float)));
    uint8_t *keep = (uint8_t *)((char *)wv + align64(m * sizeof(float)));
    int64_t n = 0;
    for (int64_t e = P->row_ptr[b]; e < P->row_ptr[b + 1]; e++) {
        const int32_t p = P->row_pix[e];
        const float x = F->frame[p];
        if (!pixel_valid(F, x))
            continue;
        sv[n] = P->dark ? x - P->dark[p] : x;
        vv[n] = x > 1.0f ? x : 1.0f;
        nv[n] = (float)(P->norm[p] * F->monitor);
        wv[n] = P->row_weight[e];
        keep[n] = 1;
        n++;
    }
    double S = 0, V = 0, N = 0, C = 0;
    for (int64_t i = 0; i < n; i++) {
        const double w = wv[i];
        S += w * sv[i];
        V += w * w * vv[i];
        N += w * nv[i];
        C += w;
    }
    double aver = N > 0 ? S / N : NAN, std = N > 0 ? sqrt(V / N) : NAN;
    /* pyFAI 0.21 CsrIntegrator.sigma_clip: the cut-off is the larger of the threshold and
     * Chauvenet's criterion sqrt(2 ln(C / sqrt(2 pi))) for the current pixel count. */
    for (int c = 0; c < P->params.clip_iterations; c++) {
        if (N == 0 || C == 0)
            break;
        double cnt = C > 3.0 ? C : 3.0;
        double cut = fmax(P->params.clip_thres, sqrt(2.0 * log(cnt / sqrt(2.0 * M_PI)))) * std;
        for (int64_t i = 0; i < n; i++)
            if (keep[i] && nv[i] > 0 && fabs((double)sv[i] / nv[i] - aver) > cut)
                keep[i] = 0;
        S = V = N = C = 0;
        for (int64_t i = 0; i < n; i++) {
            if (!keep[i])
                continue;
            const double w = wv[i];
            S += w * sv[i];
            V += w * w * vv[i];
            N += w * nv[i];
            C += w;
        }
        aver = N > 0 ? S / N : NAN;
        std = N > 0 ? sqrt(V / N) : NAN;
    }
    finish_bin(F, S, V, N, C, intensity, sigma, b);
}

static void filter_frame(const struct frame_ctx *F, char *work, size_t slice, int nt,
                         float *intensity, float *sigma)
{
    const tsct_integrate_plan *P = F->P;
    const int trimmed = P->params.filter == TSCT_INTEGRATE_TRIMMED;
#pragma omp parallel for schedule(dynamic, 8) num_threads(nt) if (nt > 1)
    for (int64_t b = 0; b < P->npt; b++) {
        char *ws = work + (size_t)(nt > 1 ? tsct__thread_id() : 0) * slice;
        if (trimmed)
            trimmed_bin(F, b, ws, intensity, sigma);
        else
            sigma_bin(F, b, ws, intensity, sigma);
    }
}

/* ---- entry points ---------------------------------------------------------------------- */

static void run_frame(const tsct_integrate_plan *P, const float *frame, double monitor,
                      float *intensity, float *sigma, char *work, size_t slice, int nt)
{
    struct frame_ctx F = {P, frame, monitor, P->params.use_dummy, P->params.dummy,
                          P->params.delta_dummy};
    if (P->params.filter == TSCT_INTEGRATE_MEAN)
        mean_frame(&F, work, slice, nt, intensity, sigma);
    else
        filter_frame(&F, work, slice, nt, intensity, sigma);
}

static tsct_status check_call(const tsct_integrate_plan *plan, const void *frames,
                              const float *intensity, const void *work, size_t work_size,
                              tsct_error *err)
{
    if (!plan || !frames || !intensity)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "integrate", -1,
                              "plan, frame and intensity are required");
    if (!work || work_size < tsct_integrate_workspace_size(plan))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "workspace", -1,
                              "%zu bytes given, %zu needed", work ? work_size : 0,
                              tsct_integrate_workspace_size(plan));
    return TSCT_OK;
}

static tsct_status check_monitor(double monitor, int64_t index, tsct_error *err)
{
    if (!(monitor > 0) || !isfinite(monitor))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "monitor", index,
                              "normalisation factor %g: expected a finite value > 0", monitor);
    return TSCT_OK;
}

tsct_status tsct_integrate_execute(const tsct_integrate_plan *plan, const float *frame,
                                   double monitor, float *intensity, float *sigma, void *work,
                                   size_t work_size, tsct_error *err)
{
    TSCT_TRY(check_call(plan, frame, intensity, work, work_size, err));
    TSCT_TRY(check_monitor(monitor, -1, err));
    run_frame(plan, frame, monitor, intensity, sigma, work, slice_bytes(plan), plan->nthreads);
    return TSCT_OK;
}

tsct_status tsct_integrate_execute_many(const tsct_integrate_plan *plan, int64_t nframes,
                                        const float *frames, const double *monitors,
                                        float *intensity, float *sigma, void *work,
                                        size_t work_size, tsct_error *err)
{
    if (nframes < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "nframes", -1, "%lld < 0",
                              (long long)nframes);
    if (nframes == 0)
        return TSCT_OK;
    TSCT_TRY(check_call(plan, frames, intensity, work, work_size, err));
    for (int64_t f = 0; monitors && f < nframes; f++)
        TSCT_TRY(check_monitor(monitors[f], f, err));
    const size_t slice = slice_bytes(plan);
    const int64_t npix = plan->npix, npt = plan->npt;
    const int nt = plan->nthreads;
    if (nt <= 1 || nframes < nt) {
        for (int64_t f = 0; f < nframes; f++)
            run_frame(plan, frames + f * npix, monitors ? monitors[f] : 1.0,
                      intensity + f * npt, sigma ? sigma + f * npt : NULL, work, slice, nt);
        return TSCT_OK;
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int64_t f = 0; f < nframes; f++)
        run_frame(plan, frames + f * npix, monitors ? monitors[f] : 1.0, intensity + f * npt,
                  sigma ? sigma + f * npt : NULL,
                  (char *)work + (size_t)tsct__thread_id() * slice, slice, 1);
    return TSCT_OK;
}

/* ---- names ----------------------------------------------------------------------------- */

static const char *const split_names[] = {"no", "bbox", "full"};

const char *tsct_integrate_split_name(tsct_integrate_split split)
{
    return (unsigned)split <= TSCT_INTEGRATE_SPLIT_FULL ? split_names[split] : "?";
}

tsct_status tsct_integrate_split_parse(const char *name, tsct_integrate_split *split,
                                       tsct_error *err)
{
    for (int i = 0; i <= TSCT_INTEGRATE_SPLIT_FULL; i++)
        if (name && strcmp(name, split_names[i]) == 0) {
            *split = (tsct_integrate_split)i;
            return TSCT_OK;
        }
    return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "method", -1,
                          "unknown pixel splitting \"%s\": expected no, bbox or full",
                          name ? name : "");
}

/* Read "A" or "A,B" as one or two finite numbers; returns how many, or -1. */
static int parse_numbers(const char *s, double v[2])
{
    char *end;
    int n = 0;
    while (n < 2) {
        v[n] = strtod(s, &end);
        if (end == s || !isfinite(v[n]))
            return -1;
        n++;
        if (*end == '\0')
            return n;
        if (*end != ',')
            return -1;
        s = end + 1;
    }
    return -1;
}

tsct_status tsct_integrate_filter_parse(const char *spec, tsct_integrate_params *params,
                                        tsct_error *err)
{
    double v[2];
    int n;
    if (!spec)
        spec = "";
    if (strcmp(spec, "mean") == 0) {
        params->filter = TSCT_INTEGRATE_MEAN;
        return TSCT_OK;
    }
    if (strcmp(spec, "median") == 0) {
        params->filter = TSCT_INTEGRATE_TRIMMED;
        params->trim_lo = params->trim_hi = 0.5;
        return TSCT_OK;
    }
    if (strncmp(spec, "trimmed:", 8) == 0) {
        n = parse_numbers(spec + 8, v);
        if (n == 2 && v[0] >= 0 && v[0] <= v[1] && v[1] <= 100) {
            params->filter = TSCT_INTEGRATE_TRIMMED;
            params->trim_lo = v[0] / 100.0;
            params->trim_hi = v[1] / 100.0;
            return TSCT_OK;
        }
    } else if (strncmp(spec, "sigma:", 6) == 0) {
        n = parse_numbers(spec + 6, v);
        if (n >= 1 && v[0] >= 0 && (n == 1 || (v[1] >= 0 && v[1] <= 1000 && v[1] == floor(v[1])))) {
            params->filter = TSCT_INTEGRATE_SIGMA_CLIP;
            params->clip_thres = v[0];
            if (n == 2)
                params->clip_iterations = (int)v[1];
            return TSCT_OK;
        }
    }
    return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "filter", -1,
                          "\"%s\": expected mean, median, trimmed:LO,HI (percent, 0 <= LO <= "
                          "HI <= 100) or sigma:THRES[,ITERATIONS]",
                          spec);
}
