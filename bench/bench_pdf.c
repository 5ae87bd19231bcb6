/* bench_pdf.c - voxel PDFs per second: the chirp-z and the sine-matrix paths of lib/pdf
 * (bench/METHOD_pdf.md).
 *
 * Makes `nvox` synthetic voxel patterns on an equally spaced Q grid (a damped fcc Ni F(Q) at
 * a random scale plus a smooth background and noise), plans each method once, runs one
 * untimed warm-up and `repeats` timed executions of the whole block, and prints per method:
 * median seconds, voxel PDFs per second, and the rate against its operation count (direct:
 * 2 nk nr flops per voxel; chirp-z: 2 x 5 L log2 L flops of two complex FFTs per voxel), and
 * the largest difference between the two paths relative to max |G|.
 *
 * usage: bench_pdf [--nq 2000] [--nr 1500] [--nvox 4096] [--threads 2] [--repeats 5] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/composition.h"
#include "tsct/pdf.h"
#include "tsct/progress.h"

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int64_t nq = 2000, nr = 1500, nvox = 4096;
    int threads = 2, repeats = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--nq"))
            nq = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--nr"))
            nr = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--nvox"))
            nvox = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--repeats"))
            repeats = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "bench_pdf: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (nq < 16 || nr < 2 || nvox < 1 || repeats < 1 || repeats > 100) {
        fprintf(stderr, "bench_pdf: bad sizes\n");
        return 2;
    }
    tsct_error err = TSCT_ERROR_INIT;
    tsct_composition *comp = NULL;
    if (tsct_composition_parse(&comp, "Ni", &err) != TSCT_OK) {
        fprintf(stderr, "bench_pdf: %s\n", err.message);
        return 1;
    }
    /* Q = 0.0125 .. 25 1/A; r = 0 .. 30 A in nr points (rstep 30 / (nr - 1)). */
    double *q = malloc((size_t)nq * sizeof *q), *fm = malloc((size_t)nq * sizeof *fm),
           *f2 = malloc((size_t)nq * sizeof *f2);
    float *iq = malloc((size_t)(nq * nvox) * sizeof *iq);
    float *g[2] = {malloc((size_t)(nr * nvox) * sizeof(float)),
                   malloc((size_t)(nr * nvox) * sizeof(float))};
    if (!q || !fm || !f2 || !iq || !g[0] || !g[1]) {
        fprintf(stderr, "bench_pdf: out of memory\n");
        return 1;
    }
    for (int64_t k = 0; k < nq; k++)
        q[k] = 25.0 * (double)(k + 1) / (double)nq;
    tsct_composition_f_average(comp, q, nq, fm, f2);
    uint64_t s = 12345;
    for (int64_t v = 0; v < nvox; v++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        const double scale = 0.5 + (double)(s >> 11) / 9007199254740992.0;
        for (int64_t k = 0; k < nq; k++) {
            const double a = 3.524, Q = q[k];
            double sq = 0;
            for (int m = 1; m <= 6; m++) { /* first fcc shells, coordination 12, 6, 24, ... */
                static const double cn[7] = {0, 12, 6, 24, 12, 24, 8};
                double d = a * sqrt(m / 2.0);
                sq += cn[m] * sin(Q * d) / (Q * d);
            }
            sq *= exp(-0.01 * Q * Q);
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            const double noise = 0.01 * ((double)(s >> 11) / 9007199254740992.0 - 0.5);
            iq[v * nq + k] = (float)(scale * (f2[k] + fm[k] * fm[k] * (sq + noise)) +
                                     0.1 * scale * f2[0] * exp(-Q / 10));
        }
    }
    double median[2] = {0, 0};
    int64_t L = 0;
    for (int m = 0; m < 2; m++) {
        tsct_pdf_params p = TSCT_PDF_PARAMS_DEFAULT;
        p.rmax = 30;
        p.rstep = 30.0 / (double)(nr - 1);
        p.nthreads = threads;
        p.method = m == 0 ? TSCT_PDF_CHIRPZ : TSCT_PDF_DIRECT;
        tsct_pdf_plan *plan = NULL;
        tsct_pdf_workspace *ws = NULL;
        if (tsct_pdf_plan_create(&p, comp, q, nq, &plan, &err) != TSCT_OK ||
            tsct_pdf_workspace_create(plan, threads, &ws, &err) != TSCT_OK) {
            fprintf(stderr, "bench_pdf: %s\n", err.message);
            return 1;
        }
        if (tsct_pdf_plan_nr(plan) != nr) {
            fprintf(stderr, "bench_pdf: nr %lld, expected %lld\n",
                    (long long)tsct_pdf_plan_nr(plan), (long long)nr);
            return 1;
        }
        tsct_pdf_execute(plan, iq, nvox, NULL, g[m], ws, &err); /* warm-up */
        double t[100];
        for (int rep = 0; rep < repeats; rep++) {
            double t0 = tsct_clock();
            tsct_pdf_execute(plan, iq, nvox, NULL, g[m], ws, &err);
            t[rep] = tsct_clock() - t0;
        }
        qsort(t, (size_t)repeats, sizeof t[0], cmp_double);
        median[m] = t[repeats / 2];
        if (m == 0) {
            /* The FFT length the plan chose: the smallest 2^a 3^b 5^c 7^d >= nq + nr - 1. */
            L = INT64_MAX;
            for (int64_t a = 1; a < 4 * (nq + nr); a *= 2)
                for (int64_t b = a; b < 4 * (nq + nr); b *= 3)
                    for (int64_t c = b; c < 4 * (nq + nr); c *= 5)
                        for (int64_t d = c; d < 4 * (nq + nr); d *= 7)
                            if (d >= nq + nr - 1 && d < L)
                                L = d;
        }
        tsct_pdf_workspace_destroy(ws);
        tsct_pdf_plan_destroy(plan);
    }
    double dmax = 0, gmax = 0;
    for (int64_t i = 0; i < nr * nvox; i++) {
        dmax = fmax(dmax, fabs((double)g[0][i] - g[1][i]));
        gmax = fmax(gmax, fabs((double)g[1][i]));
    }
    const double fl_direct = 2.0 * (double)nq * (double)nr;
    const double fl_chirp = 2.0 * 5.0 * (double)L * log2((double)L);
    printf("bench_pdf nq=%lld nr=%lld nvox=%lld threads=%d repeats=%d fft_length=%lld\n",
           (long long)nq, (long long)nr, (long long)nvox, threads, repeats, (long long)L);
    printf("chirpz: median_s=%.4f voxels_per_s=%.0f gflops=%.2f (2 complex FFTs of %lld)\n",
           median[0], (double)nvox / median[0], fl_chirp * (double)nvox / median[0] / 1e9,
           (long long)L);
    printf("direct: median_s=%.4f voxels_per_s=%.0f gflops=%.2f (2 nq nr per voxel)\n",
           median[1], (double)nvox / median[1], fl_direct * (double)nvox / median[1] / 1e9);
    printf("ratio chirpz/direct speed=%.2f  max|G_chirpz - G_direct|/max|G|=%.2e\n",
           median[1] / median[0], dmax / gmax);
    free(q);
    free(fm);
    free(f2);
    free(iq);
    free(g[0]);
    free(g[1]);
    tsct_composition_destroy(comp);
    return 0;
}
