/* tsct/progress.h - progress of long steps: counts, rate and ETA, reported to a sink.
 *
 * A step that processes many units (frames, channels, voxels) keeps a tsct_progress in its own
 * memory and calls tsct_progress_add() as units finish, from any thread. At most every
 * `interval_s` seconds (and once at the end) the tracker hands a snapshot to the sink the
 * program supplied. The CLI's sink draws a bar with rate and ETA when stderr is a terminal and
 * does nothing otherwise, so CI logs stay clean; tsct_progress_format() builds that line.
 *
 * Thread safety: tsct_progress_add() is lock-free and may be called concurrently; the sink is
 * called by one thread at a time.
 */
#ifndef TSCT_PROGRESS_H
#define TSCT_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsct_progress_state {
    const char *label;   /* what is being counted, e.g. "integrate frames" */
    int64_t done;        /* units finished so far (including those skipped on resume) */
    int64_t total;       /* units in the step; 0 if unknown */
    double elapsed_s;    /* seconds since tsct_progress_begin() */
    double rate;         /* units per second over this run (resumed units excluded), 0 if unknown */
    double eta_s;        /* seconds left at that rate, -1 if unknown */
    int finished;        /* 1 on the final report from tsct_progress_end() */
} tsct_progress_state;

typedef void (*tsct_progress_fn)(void *user, const tsct_progress_state *state);

typedef struct tsct_progress_sink {
    tsct_progress_fn fn;  /* NULL: no reports */
    void *user;
    double interval_s;    /* minimum time between reports; <= 0 means 0.2 s */
} tsct_progress_sink;

/* The counters below are C11 atomics. C++ has no _Atomic before C++23: there the tracker is
 * declared with plain fields of the same size and alignment (x86-64 and AArch64 ABIs), so a
 * C++ caller can hold one in its memory and pass it to the library, which alone touches them. */
#ifdef __cplusplus
#define TSCT_PROGRESS_ATOMIC(T) T
#else
#define TSCT_PROGRESS_ATOMIC(T) _Atomic T
#endif

/* The tracker; lives in caller memory. Fields are private. */
typedef struct tsct_progress {
    const tsct_progress_sink *sink;
    const char *label;
    int64_t total;
    int64_t start_done;
    TSCT_PROGRESS_ATOMIC(int64_t) done;
    TSCT_PROGRESS_ATOMIC(int) reporting;
    TSCT_PROGRESS_ATOMIC(double) last_report;
    double t0;
} tsct_progress;

/* Start tracking `total` units of which `already_done` were done by an earlier, interrupted run.
 * sink may be NULL (nothing is reported). label must outlive the tracker. */
void tsct_progress_begin(tsct_progress *p, const tsct_progress_sink *sink, const char *label,
                         int64_t total, int64_t already_done);

/* Count n more finished units; may report. Thread-safe. p may be NULL. */
void tsct_progress_add(tsct_progress *p, int64_t n);

/* Send the final report (finished = 1). p may be NULL. */
void tsct_progress_end(tsct_progress *p);

/* Monotonic clock in seconds (arbitrary origin). */
double tsct_clock(void);

/* Format a one-line bar of about `width` columns:
 *   "integrate frames [########......]  57%  3840/6710  412/s  ETA 0:07"
 * into buf (always NUL-terminated). Returns the length written. */
size_t tsct_progress_format(const tsct_progress_state *state, int width, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_PROGRESS_H */
