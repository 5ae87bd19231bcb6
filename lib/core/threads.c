/* threads.c - resolution of the thread count (see include/tsct/threads.h). */
#include <unistd.h>

#include "core_internal.h"
#include "tsct/threads.h"
#include "tsct_config.h"

#if TSCT_HAVE_OPENMP
#include <omp.h>
#endif

int tsct_threads_resolve(int requested)
{
    if (requested > 0)
        return requested;
#if TSCT_HAVE_OPENMP
    int n = omp_get_num_procs();
#else
    long n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
    return n > 0 ? (int)n : 1;
}

int tsct_threads_openmp(void)
{
    return TSCT_HAVE_OPENMP;
}

int tsct__thread_id(void)
{
#if TSCT_HAVE_OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

int tsct__thread_count(void)
{
#if TSCT_HAVE_OPENMP
    return omp_get_num_threads();
#else
    return 1;
#endif
}
