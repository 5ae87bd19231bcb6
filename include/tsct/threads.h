/* tsct/threads.h - how many threads a kernel uses.
 *
 * Parallel kernels take `nthreads` in their parameter structs (never from a global) and run an
 * OpenMP team of that size over their leading axis. 0 means "all cores": the number of
 * processors available to this process (respecting CPU affinity / cgroup limits as OpenMP
 * reports them).
 */
#ifndef TSCT_THREADS_H
#define TSCT_THREADS_H

#ifdef __cplusplus
extern "C" {
#endif

/* The thread count to use for a request: requested > 0 is returned as is; 0 or negative gives
 * the number of available processors (at least 1). */
int tsct_threads_resolve(int requested);

/* 1 if tsct was built with OpenMP, else 0 (then every kernel runs on one thread). */
int tsct_threads_openmp(void);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_THREADS_H */
