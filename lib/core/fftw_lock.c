/* fftw_lock.c - the one process-wide lock around FFTW planning (see core_internal.h). */
#include <pthread.h>

#include "core/core_internal.h"

static pthread_mutex_t fftw_planner = PTHREAD_MUTEX_INITIALIZER;

void tsct__fftw_lock(void)
{
    pthread_mutex_lock(&fftw_planner);
}

void tsct__fftw_unlock(void)
{
    pthread_mutex_unlock(&fftw_planner);
}
