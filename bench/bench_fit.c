/* bench_fit.c - peak fits per second: one pseudo-Voigt on a linear background over 60-point
 * windows, the per-voxel workload of `tsct fit peak` (bench/METHOD_fit.md).
 *
 * Makes `nfit` synthetic voxel patterns (a pseudo-Voigt with random area, position, width and
 * eta on a random line, Gaussian noise of 2 % of the peak height), plans the fit once, runs
 * one untimed warm-up and `repeats` timed tsct_fit_execute_many() calls over all of them, and
 * prints: the median time, fits per second, the time 300 000 voxels would take, the mean
 * iterations and model evaluations per fit, an operation count per fit (below) and the rate
 * it implies, against the machine's measured multiply-add rate (an in-cache FMA loop on the
 * same threads). With --dump FILE it writes x and the patterns (float64) and the fitted
 * parameters for bench_fit.py, which times scipy.optimize.curve_fit on the same data.
 *
 * Operation count (counted from fit_model.c / fit_lm.c, per window point): the model and its
 * Jacobian 70 flops (an exp and a division counted as 10 each), the model alone 40, the normal
 * matrix and gradient of m = 6 free parameters m (m + 1) + 2 m = 54; per fit:
 *   n [niter (70 + 54) + (nfev - niter) 40].
 *
 * usage: bench_fit [--nfit 20000] [--threads 2] [--repeats 5] [--dump FILE] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/fit.h"
#include "tsct/progress.h"

#include "bench_util.h"

#if defined(_OPENMP)
#include <omp.h>
#endif


static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Multiply-adds per second on `threads` threads: 8 independent chains of 8 doubles each per
 * thread (enough to fill two FMA pipes), in registers. */
static double fma_rate(int threads)
{
    const int64_t iters = 20000000;
    double t0 = tsct_clock(), sink = 0;
#if defined(_OPENMP)
#pragma omp parallel num_threads(threads) reduction(+ : sink)
#endif
    {
        double a[64], b = 1.0000001, c = 1e-9;
        for (int i = 0; i < 64; i++)
            a[i] = i;
        for (int64_t it = 0; it < iters; it++)
#if defined(_OPENMP)
#pragma omp simd
#endif
            for (int i = 0; i < 64; i++)
                a[i] = a[i] * b + c;
        for (int i = 0; i < 64; i++)
            sink += a[i];
    }
    double dt = tsct_clock() - t0;
    if (sink == 42)
        printf(" ");
    return 2.0 * 64 * (double)iters * threads / dt;
}

int main(int argc, char **argv)
{
    int64_t nfit = 20000;
    int threads = 2, repeats = 5;
    const char *dump = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--nfit"))
            nfit = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--repeats"))
            repeats = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--dump"))
            dump = argv[i + 1];
        else {
            fprintf(stderr, "bench_fit: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (nfit < 1 || threads < 1 || repeats < 1 || repeats > 100) {
        fprintf(stderr, "bench_fit: bad sizes\n");
        return 2;
    }
    const int64_t n = 60;
    double x[60];
    for (int64_t i = 0; i < n; i++)
        x[i] = 1.2 + 0.01 * (double)i;  /* 1.2 .. 1.79 1/A */
    float *pat = malloc((size_t)(nfit * n) * sizeof *pat);
    if (!pat)
        return 1;
    for (int64_t p = 0; p < nfit; p++) {
        const double A = 0.5 + bench_unif(), x0 = 1.45 + 0.1 * bench_unif();
        const double w = 0.04 + 0.04 * bench_unif();
        const double eta = 0.2 + 0.6 * bench_unif(), c0 = 1 + bench_unif(), c1 = bench_unif() - 0.5;
        const double h = A / w * (eta * 0.6366 + (1 - eta) * 0.9394);
        for (int64_t i = 0; i < n; i++) {
            const double u = (x[i] - x0) / w;
            const double v = eta * 0.63661977236758134 / w / (1 + 4 * u * u) +
                             (1 - eta) * 0.93943727869965133 / w * exp(-2.772588722239781 * u * u);
            pat[p * n + i] = (float)(A * v + c0 + c1 * (x[i] - 1.495) + 0.02 * h * bench_gauss());
        }
    }
    tsct_error err = TSCT_ERROR_INIT;
    tsct_fit_model m;
    tsct_fit_model_init(&m, x[0], x[n - 1]);
    m.bg_degree = 1;
    tsct_fit_params par = TSCT_FIT_PARAMS_DEFAULT;
    par.nthreads = threads;
    tsct_fit_plan *pl = NULL;
    tsct_fit_workspace *ws = NULL;
    if (tsct_fit_model_add_peak(&m, "pv", &err) != TSCT_OK ||
        tsct_fit_plan_create(&m, &par, x, n, &pl, &err) != TSCT_OK ||
        tsct_fit_workspace_create(pl, threads, &ws, &err) != TSCT_OK) {
        fprintf(stderr, "bench_fit: %s\n", err.message);
        return 1;
    }
    const int k = tsct_fit_plan_nparams(pl);
    float *out = malloc((size_t)(nfit * k) * sizeof *out);
    float *stat = malloc((size_t)nfit * sizeof *stat);
    double *times = malloc((size_t)repeats * sizeof *times);
    int64_t counts[4];
    tsct_fit_execute_many(pl, pat, nfit, n, NULL, ws, out, NULL, NULL, NULL, stat, counts);
    for (int r = 0; r < repeats; r++) {
        double t0 = tsct_clock();
        tsct_fit_execute_many(pl, pat, nfit, n, NULL, ws, out, NULL, NULL, NULL, stat, counts);
        times[r] = tsct_clock() - t0;
    }
    qsort(times, (size_t)repeats, sizeof *times, cmp_double);
    const double med = times[repeats / 2], rate = (double)nfit / med;
    /* Iterations and evaluations: one more pass, single fits (not timed). */
    double niter = 0, nfev = 0, y[60];
    for (int64_t p = 0; p < nfit; p++) {
        tsct_fit_result r;
        for (int64_t i = 0; i < n; i++)
            y[i] = pat[p * n + i];
        tsct_fit_execute(pl, y, NULL, ws, 0, &r, NULL);
        niter += r.niter, nfev += r.nfev;
    }
    niter /= (double)nfit, nfev /= (double)nfit;
    const double flops = (double)n * (niter * (70 + 54) + (nfev - niter) * 40);
    const double peak = fma_rate(threads);
    printf("bench_fit: %lld fits of a pseudo-Voigt + linear background, %lld-point windows, "
           "%d threads, median of %d\n", (long long)nfit, (long long)n, threads, repeats);
    printf("  statuses: %lld converged, %lld at a bound, %lld not converged, %lld failed\n",
           (long long)counts[0], (long long)counts[1], (long long)counts[2],
           (long long)counts[3]);
    printf("  time %.4f s: %.0f fits/s; 300 000 voxels: %.1f s\n", med, rate, 300000 / rate);
    printf("  per fit: %.2f iterations, %.2f model evaluations, ~%.0f flop\n", niter, nfev, flops);
    printf("  achieved %.2f Gflop/s; machine multiply-add rate %.1f Gflop/s (%d threads): "
           "%.1f %%\n", rate * flops * 1e-9, peak * 1e-9, threads, 100 * rate * flops / peak);
    printf("tsct_fits_per_s %.1f\n", rate);
    if (dump) {
        FILE *f = fopen(dump, "wb");
        if (!f) {
            fprintf(stderr, "bench_fit: cannot write %s\n", dump);
            return 1;
        }
        const int64_t hdr[3] = {nfit, n, k};
        fwrite(hdr, sizeof hdr, 1, f);
        fwrite(x, sizeof *x, (size_t)n, f);
        for (int64_t i = 0; i < nfit * n; i++) {
            double v = pat[i];
            fwrite(&v, sizeof v, 1, f);
        }
        for (int64_t i = 0; i < nfit * k; i++) {
            double v = out[i];
            fwrite(&v, sizeof v, 1, f);
        }
        fclose(f);
    }
    free(pat), free(out), free(stat), free(times);
    tsct_fit_workspace_destroy(ws);
    tsct_fit_plan_destroy(pl);
    return 0;
}
