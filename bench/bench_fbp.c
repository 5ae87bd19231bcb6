/* bench_fbp.c - time tsct's multi-channel filtered back projection (bench/METHOD_fbp.md).
 *
 * Makes a synthetic XRD-CT sinogram [na][ns][nc] analytically (ellipses, each with its own
 * spectrum over the channels), plans once, runs one untimed warm-up execution and `repeats`
 * timed ones, and prints one line of key=value figures: median and min seconds, seconds per
 * channel, and the rate in multiply-adds per second against the back-projection bound
 * n * n * na * nc. With --dump DIR it also writes the first --dump-channels channels of the
 * input and of tsct's result, so that bench_fbp.py can run skimage's iradon on the very same
 * data and check agreement.
 *
 * usage: bench_fbp [--ns 550] [--na 400] [--nc 2000] [--threads 0] [--block 64]
 *                  [--repeats 3] [--filter ramp] [--dump DIR] [--dump-channels 4] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/progress.h"
#include "tsct/threads.h"
#include "tsct/tomo.h"

#define NELL 6

typedef struct ellipse {
    double cx, cy, a, b, phi;
} ellipse;

static double lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) * (1.0 / 9007199254740992.0);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int write_raw(const char *dir, const char *name, const void *data, size_t bytes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, bytes, f) != bytes) {
        fprintf(stderr, "bench_fbp: cannot write %s\n", path);
        if (f)
            fclose(f);
        return -1;
    }
    return fclose(f);
}

int main(int argc, char **argv)
{
    int64_t ns = 550, na = 400, nc = 2000, block = 64, dump_nc = 4;
    int threads = 0, repeats = 3;
    const char *filter_name = "ramp", *dump = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--ns")) ns = atoll(v);
        else if (!strcmp(k, "--na")) na = atoll(v);
        else if (!strcmp(k, "--nc")) nc = atoll(v);
        else if (!strcmp(k, "--threads")) threads = atoi(v);
        else if (!strcmp(k, "--block")) block = atoll(v);
        else if (!strcmp(k, "--repeats")) repeats = atoi(v);
        else if (!strcmp(k, "--filter")) filter_name = v;
        else if (!strcmp(k, "--dump")) dump = v;
        else if (!strcmp(k, "--dump-channels")) dump_nc = atoll(v);
        else {
            fprintf(stderr, "bench_fbp: unknown option %s\n", k);
            return 2;
        }
    }
    if (ns < 2 || na < 1 || nc < 1 || repeats < 1 || repeats > 1000) {
        fprintf(stderr, "bench_fbp: bad sizes\n");
        return 2;
    }
    threads = tsct_threads_resolve(threads);
    if (dump_nc > nc)
        dump_nc = nc;

    /* Angles over 180 degrees, uniform as in a real scan. */
    double *theta = malloc((size_t)na * sizeof *theta);
    for (int64_t a = 0; a < na; a++)
        theta[a] = 180.0 * (double)a / (double)na;

    /* Phantom: NELL ellipses inside the circle, each with a spectrum of a few peaks. */
    uint64_t seed = 42;
    ellipse e[NELL];
    const double R = 0.5 * (double)ns;
    for (int k = 0; k < NELL; k++) {
        const double r = 0.5 * R * lcg(&seed), ang = 2 * M_PI * lcg(&seed);
        e[k] = (ellipse){r * cos(ang), r * sin(ang), (0.08 + 0.2 * lcg(&seed)) * R,
                         (0.08 + 0.2 * lcg(&seed)) * R, M_PI * lcg(&seed)};
    }
    float *spec = malloc((size_t)(NELL * nc) * sizeof *spec);
    for (int k = 0; k < NELL; k++) {
        const double q1 = (double)nc * lcg(&seed), q2 = (double)nc * lcg(&seed);
        const double w = 2.0 + 0.01 * (double)nc * lcg(&seed);
        for (int64_t c = 0; c < nc; c++)
            spec[k * nc + c] = (float)(0.1 + exp(-0.5 * pow(((double)c - q1) / w, 2)) +
                                       0.5 * exp(-0.5 * pow(((double)c - q2) / w, 2)));
    }
    const size_t sino_n = (size_t)(na * ns * nc);
    float *sino = malloc(sino_n * sizeof *sino);
    const int64_t n_out = ns;
    float *image = malloc((size_t)(n_out * n_out * nc) * sizeof *image);
    if (!theta || !spec || !sino || !image) {
        fprintf(stderr, "bench_fbp: out of memory\n");
        return 1;
    }
    double t0 = tsct_clock();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t a = 0; a < na; a++) {
        const double th = theta[a] * M_PI / 180.0, ct = cos(th), st = sin(th);
        for (int64_t s = 0; s < ns; s++) {
            double chord[NELL];
            const double t = (double)(s - ns / 2);
            for (int k = 0; k < NELL; k++) {
                /* Line integral of the ellipse's indicator at t = x cos - y sin. */
                const double eu = ct * cos(e[k].phi) - st * sin(e[k].phi);
                const double ev = -ct * sin(e[k].phi) - st * cos(e[k].phi);
                const double w2 = e[k].a * e[k].a * eu * eu + e[k].b * e[k].b * ev * ev;
                const double tau = t - (e[k].cx * ct - e[k].cy * st);
                chord[k] = tau * tau < w2 ? 2.0 * e[k].a * e[k].b * sqrt(w2 - tau * tau) / w2
                                          : 0.0;
            }
            float *out = sino + (a * ns + s) * nc;
            for (int64_t c = 0; c < nc; c++) {
                double v = 0.0;
                for (int k = 0; k < NELL; k++)
                    v += chord[k] * spec[k * nc + c];
                out[c] = (float)v;
            }
        }
    }
    const double t_make = tsct_clock() - t0;

    tsct_error err = TSCT_ERROR_INIT;
    tsct_tomo_fbp_params p = TSCT_TOMO_FBP_PARAMS_DEFAULT;
    p.nthreads = threads;
    p.channel_block = block;
    if (tsct_tomo_fbp_filter_parse(filter_name, &p.filter, &err) != TSCT_OK) {
        fprintf(stderr, "bench_fbp: %s\n", err.message);
        return 2;
    }
    tsct_tomo_fbp_plan *plan = NULL;
    t0 = tsct_clock();
    if (tsct_tomo_fbp_plan_create(&p, na, ns, theta, &plan, &err) != TSCT_OK) {
        fprintf(stderr, "bench_fbp: %s\n", err.message);
        return 1;
    }
    const double t_plan = tsct_clock() - t0;
    const size_t wsz = tsct_tomo_fbp_workspace_size(plan);
    void *work = malloc(wsz);
    if (!work) {
        fprintf(stderr, "bench_fbp: out of memory for the workspace\n");
        return 1;
    }
    /* Warm-up: pages in the image and workspace, warms caches and the thread team. */
    if (tsct_tomo_fbp_execute(plan, sino, nc, 0, image, 0, work, wsz, &err) != TSCT_OK) {
        fprintf(stderr, "bench_fbp: %s\n", err.message);
        return 1;
    }
    double *times = malloc((size_t)repeats * sizeof *times);
    for (int r = 0; r < repeats; r++) {
        t0 = tsct_clock();
        tsct_tomo_fbp_execute(plan, sino, nc, 0, image, 0, work, wsz, &err);
        times[r] = tsct_clock() - t0;
    }
    qsort(times, (size_t)repeats, sizeof *times, cmp_double);
    const double med = repeats % 2 ? times[repeats / 2]
                                   : 0.5 * (times[repeats / 2 - 1] + times[repeats / 2]);
    const double mads = (double)n_out * (double)n_out * (double)na * (double)nc;
    printf("tsct_fbp ns=%lld na=%lld nc=%lld n=%lld filter=%s threads=%d block=%lld "
           "repeats=%d make_s=%.3f plan_s=%.4f median_s=%.4f min_s=%.4f per_channel_ms=%.4f "
           "gmad_per_s=%.2f workspace_mb=%.1f\n",
           (long long)ns, (long long)na, (long long)nc, (long long)n_out, filter_name, threads,
           (long long)block, repeats, t_make, t_plan, med, times[0], 1e3 * med / (double)nc,
           mads / med * 1e-9, (double)wsz / 1048576.0);

    if (dump) {
        /* First dump_nc channels of the input and the result, packed. */
        float *s = malloc((size_t)(na * ns * dump_nc) * sizeof *s);
        float *im = malloc((size_t)(n_out * n_out * dump_nc) * sizeof *im);
        for (int64_t i = 0; i < na * ns; i++)
            memcpy(s + i * dump_nc, sino + i * nc, (size_t)dump_nc * sizeof *s);
        for (int64_t i = 0; i < n_out * n_out; i++)
            memcpy(im + i * dump_nc, image + i * nc, (size_t)dump_nc * sizeof *im);
        int bad = write_raw(dump, "angles.f64", theta, (size_t)na * sizeof *theta) ||
                  write_raw(dump, "sino.f32", s, (size_t)(na * ns * dump_nc) * sizeof *s) ||
                  write_raw(dump, "recon.f32", im, (size_t)(n_out * n_out * dump_nc) * 4);
        free(s);
        free(im);
        if (bad)
            return 1;
    }
    free(times);
    free(work);
    tsct_tomo_fbp_plan_destroy(plan);
    free(image);
    free(sino);
    free(spec);
    free(theta);
    return 0;
}
