/* threads.c - resolution of the thread count (see include/tsct/threads.h). */
#include <unistd.h>

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
