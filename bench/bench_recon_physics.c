/* bench_recon_physics.c - time one CGLS iteration of the parallax-aware projector pair
 * (tsct/tomo_physics.h) against the plain multichannel pair (tsct/tomo.h) in the same run,
 * and extrapolate to the cylindrical-cell study's full case (bench/RESULTS.md).
 *
 * A CGLS iteration is one forward and one adjoint projection plus a few vector updates; the
 * projections dominate and scale as na x n^2 x nq. The bench makes a random cube [n][n][nq],
 * runs one untimed warm-up forward + adjoint per operator, then `repeats` timed pairs, and
 * prints the median wall and CPU seconds of a pair for the parallax operator and the plain
 * pair, their ratio, and the extrapolation of the parallax pair to --full-n, --full-na,
 * --full-nq (default 550, 400, 2000) as seconds per iteration (stated as an extrapolation),
 * with the memory CGLS holds there: the sinogram, 2 sinogram-sized and 3 image-sized float
 * arrays, and the resampling tables.
 *
 * usage: bench_recon_physics [--n 96] [--na 96] [--nq 256] [--threads 0] [--repeats 3]
 *                            [--full-n 550] [--full-na 400] [--full-nq 2000] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tsct/threads.h"
#include "tsct/tomo.h"
#include "tsct/tomo_physics.h"

static double now(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int64_t arg(int argc, char **argv, const char *name, int64_t def)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return strtoll(argv[i + 1], NULL, 10);
    return def;
}

int main(int argc, char **argv)
{
    const int64_t n = arg(argc, argv, "--n", 96), na = arg(argc, argv, "--na", 96);
    const int64_t nq = arg(argc, argv, "--nq", 256), reps = arg(argc, argv, "--repeats", 3);
    const int threads = tsct_threads_resolve((int)arg(argc, argv, "--threads", 0));
    const double fn = (double)arg(argc, argv, "--full-n", 550);
    const double fna = (double)arg(argc, argv, "--full-na", 400);
    const double fnq = (double)arg(argc, argv, "--full-nq", 2000);
    if (n < 8 || na < 1 || nq < 2 || reps < 1 || reps > 100) {
        fprintf(stderr, "bench_recon_physics: sizes out of range\n");
        return 2;
    }
    double *ang = malloc((size_t)na * sizeof *ang), *q = malloc((size_t)nq * sizeof *q);
    float *x = malloc((size_t)(n * n * nq) * sizeof *x);
    float *y = malloc((size_t)(na * n * nq) * sizeof *y);
    float *z = malloc((size_t)(n * n * nq) * sizeof *z);
    if (!ang || !q || !x || !y || !z) {
        fprintf(stderr, "bench_recon_physics: out of memory\n");
        return 1;
    }
    for (int64_t a = 0; a < na; a++)
        ang[a] = 180.0 * (double)a / (double)na;
    for (int64_t j = 0; j < nq; j++)
        q[j] = 0.8 + 5.7 * (double)j / (double)(nq - 1);   /* the study's 0.8 .. 6.5 1/A */
    uint64_t s = 1;
    for (int64_t k = 0; k < n * n * nq; k++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[k] = (float)((double)(s >> 11) * (1.0 / 9007199254740992.0));
    }
    /* The study's geometry: 103.5 keV, 2 m, 20 um voxels. */
    tsct_tomo_physics_params pp = TSCT_TOMO_PHYSICS_PARAMS_DEFAULT;
    pp.parallax = 1;
    pp.distance_mm = 2000.0;
    pp.wavelength_a = 12.398419843320026 / 103.5;
    pp.voxel_mm = 0.02;
    pp.nthreads = threads;
    tsct_tomo_physics *op = NULL;
    tsct_tomo_projector *plain = NULL;
    tsct_tomo_projector_params qp = TSCT_TOMO_PROJECTOR_PARAMS_DEFAULT;
    qp.nthreads = threads;
    tsct_error err = TSCT_ERROR_INIT;
    if (tsct_tomo_physics_create(&pp, na, n, 0, ang, q, nq, &op, &err) != TSCT_OK ||
        tsct_tomo_projector_create(&qp, na, n, ang, &plain, &err) != TSCT_OK) {
        fprintf(stderr, "bench_recon_physics: %s\n", err.message);
        return 1;
    }
    double wall[2][100], cpu[2][100];
    for (int which = 0; which < 2; which++)
        for (int64_t r = -1; r < reps; r++) {
            double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
            if (which == 0) {
                tsct_tomo_physics_forward(op, x, y);
                tsct_tomo_physics_adjoint(op, y, z);
            } else {
                tsct_tomo_projector_forward(plain, x, nq, y, NULL);
                tsct_tomo_projector_adjoint(plain, y, nq, z, NULL);
            }
            if (r >= 0) {
                wall[which][r] = now(CLOCK_MONOTONIC) - w0;
                cpu[which][r] = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
            }
        }
    for (int which = 0; which < 2; which++) {
        qsort(wall[which], (size_t)reps, sizeof(double), cmp_double);
        qsort(cpu[which], (size_t)reps, sizeof(double), cmp_double);
    }
    const double mw = wall[0][reps / 2], mc = cpu[0][reps / 2];
    const double pw = wall[1][reps / 2], pc = cpu[1][reps / 2];
    const double scale = (fna * fn * fn * fnq) / ((double)na * (double)n * (double)n * (double)nq);
    const double bytes = 4.0 * (3 * fna * fn * fnq + 3 * fn * fn * fnq) +
                         12.0 * (ceil((fn * M_SQRT2 + 2) / pp.depth_bin) + 1) * fnq;
    printf("case n=%lld na=%lld nq=%lld threads=%d repeats=%lld\n", (long long)n,
           (long long)na, (long long)nq, threads, (long long)reps);
    printf("parallax pair: wall %.3f s, cpu %.3f s per forward+adjoint\n", mw, mc);
    printf("plain pair:    wall %.3f s, cpu %.3f s per forward+adjoint\n", pw, pc);
    printf("ratio parallax/plain: wall %.2f, cpu %.2f\n", mw / pw, mc / pc);
    printf("extrapolated to n=%.0f na=%.0f nq=%.0f (x%.0f): %.0f s wall per iteration on %d "
           "threads (cpu %.0f s); CGLS memory %.1f GB\n",
           fn, fna, fnq, scale, mw * scale, threads, mc * scale, bytes / 1e9);
    tsct_tomo_physics_destroy(op);
    tsct_tomo_projector_destroy(plain);
    free(ang), free(q), free(x), free(y), free(z);
    return 0;
}
