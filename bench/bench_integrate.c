/* bench_integrate.c - throughput of tsct's azimuthal integration on a real CBF frame.
 *
 * usage: bench_integrate CBF PONI MASK [--frames N] [--npt 2000] [--threads T]
 *                        [--repeats R] [--dump DIR]
 *
 * For each configuration (splitting no / bbox / full with the mean; no splitting with the 10 %
 * trimmed mean and with sigma clipping 5, 5 iterations) it builds one plan and times, median of
 * R repeats after a warm-up:
 *  - "cbf+integrate": T threads, each reading the CBF file from disk (page cache) and
 *    integrating it, N frames in all, as `tsct integrate` of many frames would;
 *  - "integrate": the kernel alone, tsct_integrate_execute_many on N decoded frames.
 * and, once, "cbf decode" alone. It prints one line per figure:
 *     tsct NAME PHASE frames_per_s X ms_per_frame Y GB_per_s Z
 * where GB/s counts the bytes the mean must read per frame (frame + normalisation floats and
 * the pixel/bin(/weight) entries), to compare with the machine's memory bandwidth. With --dump,
 * each configuration's pattern is written to DIR/NAME.f32 (intensity then sigma, float32) for
 * bench_integrate.py to compare with pyFAI. Method and figures: bench/METHOD_integrate.md,
 * bench/RESULTS.md.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/image.h"
#include "tsct/integrate.h"
#include "tsct/poni.h"
#include "tsct/progress.h"

static const char *cbf_path;

typedef struct worker {
    const tsct_integrate_plan *plan;
    int64_t nframes;
    float *inten, *sig;
    void *work;
    size_t ws;
    int ok;
} worker;

static void *run_worker(void *arg)
{
    worker *w = arg;
    tsct_image img;
    tsct_image_init(&img);
    tsct_error err = TSCT_ERROR_INIT;
    w->ok = 1;
    for (int64_t f = 0; f < w->nframes; f++) {
        if (tsct_image_read(&img, cbf_path, NULL, &err) != TSCT_OK ||
            tsct_integrate_execute(w->plan, img.data, 1.0, w->inten, w->sig, w->work, w->ws,
                                   &err) != TSCT_OK) {
            fprintf(stderr, "bench_integrate: %s\n", err.message);
            w->ok = 0;
            break;
        }
    }
    tsct_image_release(&img);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void report(const char *name, const char *phase, double seconds, int64_t nframes,
                   double bytes_per_frame)
{
    double per = seconds / (double)nframes;
    printf("tsct %s %s frames_per_s %.2f ms_per_frame %.3f GB_per_s %.2f\n", name, phase,
           1.0 / per, 1e3 * per, bytes_per_frame / per * 1e-9);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_integrate CBF PONI MASK [--frames N] [--npt 2000] "
                        "[--threads T] [--repeats R] [--dump DIR]\n");
        return 2;
    }
    cbf_path = argv[1];
    int64_t nframes = 16, npt = 2000;
    int threads = 2, repeats = 3;
    const char *dump = NULL;
    for (int i = 4; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--frames") == 0) nframes = atoll(argv[i + 1]);
        else if (strcmp(argv[i], "--npt") == 0) npt = atoll(argv[i + 1]);
        else if (strcmp(argv[i], "--threads") == 0) threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--repeats") == 0) repeats = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--dump") == 0) dump = argv[i + 1];
    }
    if (nframes < threads || threads < 1 || repeats < 1 || repeats > 100) {
        fprintf(stderr, "bench_integrate: need frames >= threads >= 1, 1 <= repeats <= 100\n");
        return 2;
    }
    tsct_error err = TSCT_ERROR_INIT;
    tsct_poni g;
    tsct_image img, mimg;
    tsct_image_init(&img);
    tsct_image_init(&mimg);
    if (tsct_poni_read(&g, argv[2], &err) || tsct_image_read(&img, argv[1], NULL, &err) ||
        tsct_image_read(&mimg, argv[3], NULL, &err)) {
        fprintf(stderr, "bench_integrate: %s\n", err.message);
        return 1;
    }
    const int64_t n = img.rows * img.cols;
    uint8_t *mask = malloc((size_t)n);
    tsct_image_mask_negative(&img, mask, NULL, &err);
    for (int64_t k = 0; k < n; k++)
        mask[k] |= mimg.data[k] != 0;
    float *frames = malloc((size_t)(n * nframes) * sizeof *frames);
    for (int64_t f = 0; f < nframes; f++)
        memcpy(frames + f * n, img.data, (size_t)n * sizeof *frames);
    printf("# bench_integrate: %s, %lld x %lld pixels (%s), %lld bins, %lld frames, %d threads, "
           "median of %d\n", argv[1], (long long)img.rows, (long long)img.cols,
           tsct_image_dtype_name(img.raw_dtype), (long long)npt, (long long)nframes, threads,
           repeats);

    double t[100];
    for (int r = 0; r <= repeats; r++) {
        double t0 = tsct_clock();
        for (int64_t f = 0; f < nframes; f++)
            tsct_image_read(&img, argv[1], NULL, &err);
        if (r > 0)
            t[r - 1] = tsct_clock() - t0;
    }
    report("cbf", "decode_1thread", median(t, repeats), nframes, 4.0 * (double)n);

    struct {
        const char *name;
        tsct_integrate_split split;
        const char *filter;
    } configs[] = {
        {"no_mean", TSCT_INTEGRATE_SPLIT_NO, "mean"},
        {"bbox_mean", TSCT_INTEGRATE_SPLIT_BBOX, "mean"},
        {"full_mean", TSCT_INTEGRATE_SPLIT_FULL, "mean"},
        {"no_trimmed10", TSCT_INTEGRATE_SPLIT_NO, "trimmed:10,90"},
        {"no_sigma5", TSCT_INTEGRATE_SPLIT_NO, "sigma:5,5"},
    };
    float *inten = malloc((size_t)(npt * nframes) * sizeof *inten);
    float *sig = malloc((size_t)(npt * nframes) * sizeof *sig);
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
        tsct_integrate_params p = TSCT_INTEGRATE_PARAMS_DEFAULT;
        p.npt = npt;
        p.split = configs[c].split;
        p.nthreads = threads;
        p.polarization = 0.99;
        tsct_integrate_filter_parse(configs[c].filter, &p, &err);
        tsct_integrate_plan *plan = NULL, *plan1 = NULL;
        double t0 = tsct_clock();
        if (tsct_integrate_plan_create(&p, &g, img.rows, img.cols, mask, NULL, NULL, &plan,
                                       &err)) {
            fprintf(stderr, "bench_integrate: %s\n", err.message);
            return 1;
        }
        printf("# %s: plan %.3f s, %lld entries\n", configs[c].name, tsct_clock() - t0,
               (long long)tsct_integrate_plan_nnz(plan));
        p.nthreads = 1;
        tsct_integrate_plan_create(&p, &g, img.rows, img.cols, mask, NULL, NULL, &plan1, &err);
        double bytes = 8.0 * (double)n + (double)tsct_integrate_plan_nnz(plan) *
                                             (configs[c].split ? 12.0 : 8.0);
        size_t ws = tsct_integrate_workspace_size(plan);
        void *work = malloc(ws);
        for (int r = 0; r <= repeats; r++) {
            double t1 = tsct_clock();
            tsct_integrate_execute_many(plan, nframes, frames, NULL, inten, sig, work, ws, &err);
            if (r > 0)
                t[r - 1] = tsct_clock() - t1;
        }
        report(configs[c].name, "integrate", median(t, repeats), nframes, bytes);
        /* read + integrate, frame-parallel */
        size_t ws1 = tsct_integrate_workspace_size(plan1);
        worker *w = calloc((size_t)threads, sizeof *w);
        pthread_t *th = calloc((size_t)threads, sizeof *th);
        for (int k = 0; k < threads; k++) {
            w[k].plan = plan1;
            w[k].nframes = nframes / threads + (k < nframes % threads);
            w[k].inten = inten + (int64_t)k * npt;
            w[k].sig = sig + (int64_t)k * npt;
            w[k].work = malloc(ws1);
            w[k].ws = ws1;
        }
        for (int r = 0; r <= repeats; r++) {
            double t1 = tsct_clock();
            for (int k = 0; k < threads; k++)
                pthread_create(&th[k], NULL, run_worker, &w[k]);
            for (int k = 0; k < threads; k++)
                pthread_join(th[k], NULL);
            if (r > 0)
                t[r - 1] = tsct_clock() - t1;
        }
        report(configs[c].name, "cbf+integrate", median(t, repeats), nframes, bytes);
        if (dump) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s.f32", dump, configs[c].name);
            FILE *f = fopen(path, "wb");
            if (f) {
                fwrite(w[0].inten, sizeof(float), (size_t)npt, f);
                fwrite(w[0].sig, sizeof(float), (size_t)npt, f);
                fwrite(tsct_integrate_plan_radial(plan), sizeof(double), (size_t)npt, f);
                fclose(f);
            }
        }
        for (int k = 0; k < threads; k++)
            free(w[k].work);
        free(w);
        free(th);
        free(work);
        tsct_integrate_plan_destroy(plan);
        tsct_integrate_plan_destroy(plan1);
    }
    free(inten);
    free(sig);
    free(frames);
    free(mask);
    tsct_image_release(&img);
    tsct_image_release(&mimg);
    return 0;
}
