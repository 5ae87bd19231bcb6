/* bench_util.h - what the C benchmarks share: a wall clock and a seeded random generator
 * (xorshift64, fixed seed, so that every run times the same inputs). Header-only: each
 * benchmark is one program. */
#ifndef TSCT_BENCH_UTIL_H
#define TSCT_BENCH_UTIL_H

#include <math.h>
#include <stdint.h>
#include <time.h>

#if defined(_OPENMP)
#include <omp.h>
#endif

/* Seconds on a wall clock (OpenMP's when built with it, else the process CPU clock). */
static inline double bench_now(void)
{
#if defined(_OPENMP)
    return omp_get_wtime();
#else
    return (double)clock() / CLOCKS_PER_SEC;
#endif
}

static uint64_t bench_rng = 88172645463325252ull;

/* Uniform in (0, 1). */
static inline double bench_unif(void)
{
    bench_rng ^= bench_rng << 13, bench_rng ^= bench_rng >> 7, bench_rng ^= bench_rng << 17;
    return ((double)(bench_rng >> 11) + 0.5) / 9007199254740992.0;
}

/* Standard normal (Box-Muller). */
static inline double bench_gauss(void)
{
    return sqrt(-2 * log(bench_unif())) * cos(6.283185307179586 * bench_unif());
}

#endif
