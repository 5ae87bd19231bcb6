/* core_internal.h - what lib/core offers the other library modules and nothing else.
 *
 * The FFTW planner is not thread-safe (FFTW manual, "Thread safety": only fftw_execute is).
 * Every module that creates or destroys FFTW plans does so between tsct__fftw_lock() and
 * tsct__fftw_unlock(), one lock for the whole process, as libvips does. Executing plans needs
 * no lock. lib/core does not include fftw3.h: this is only a mutex.
 *
 * It also hides OpenMP's thread numbering behind two calls (threads.c), and reads whole text
 * files for the parsers (text_file.c).
 */
#ifndef TSCT_CORE_INTERNAL_H
#define TSCT_CORE_INTERNAL_H

#include <stddef.h>

#include "tsct/status.h"

void tsct__fftw_lock(void);
void tsct__fftw_unlock(void);

/* Inside an OpenMP parallel region: this thread's number (0 .. team size - 1) and the team
 * size; 0 and 1 in a build without OpenMP or outside a region. One place for the guard, so
 * that kernels index their per-thread workspaces without #if blocks of their own. */
int tsct__thread_id(void);
int tsct__thread_count(void);

/* The whole file at path, NUL-terminated, into *out, a malloc'ed buffer the caller frees;
 * *size the bytes read. The path is noted as an input (tsct/publish.h). Errors (*out NULL):
 * TSCT_ERR_NOT_FOUND, TSCT_ERR_IO (naming the file and the system's reason), TSCT_ERR_NOMEM. */
tsct_status tsct__read_text(const char *path, char **out, size_t *size, tsct_error *err);

#endif
