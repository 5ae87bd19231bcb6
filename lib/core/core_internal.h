/* core_internal.h - what lib/core offers the other library modules and nothing else.
 *
 * The FFTW planner is not thread-safe (FFTW manual, "Thread safety": only fftw_execute is).
 * Every module that creates or destroys FFTW plans does so between tsct__fftw_lock() and
 * tsct__fftw_unlock(), one lock for the whole process, as libvips does. Executing plans needs
 * no lock. lib/core does not include fftw3.h: this is only a mutex.
 *
 * It also hides OpenMP's thread numbering behind two calls (threads.c).
 */
#ifndef TSCT_CORE_INTERNAL_H
#define TSCT_CORE_INTERNAL_H

void tsct__fftw_lock(void);
void tsct__fftw_unlock(void);

/* Inside an OpenMP parallel region: this thread's number (0 .. team size - 1) and the team
 * size; 0 and 1 in a build without OpenMP or outside a region. One place for the guard, so
 * that kernels index their per-thread workspaces without #if blocks of their own. */
int tsct__thread_id(void);
int tsct__thread_count(void);

#endif
