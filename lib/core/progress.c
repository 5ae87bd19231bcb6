/* progress.c - counting, rate, ETA and throttled reports (see include/tsct/progress.h).
 *
 * tsct_progress_add() is called from the worker threads of a kernel: it does one atomic add,
 * and only when the report interval has passed does one thread (the one that wins an atomic
 * flag) build a snapshot and call the sink. Losers simply carry on, so workers never wait. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tsct/progress.h"

/* C++ callers see the tracker's counters as plain fields (progress.h): same layout. */
_Static_assert(sizeof(_Atomic int64_t) == sizeof(int64_t) &&
                   _Alignof(_Atomic int64_t) == _Alignof(int64_t),
               "atomic int64_t layout");
_Static_assert(sizeof(_Atomic int) == sizeof(int) && _Alignof(_Atomic int) == _Alignof(int),
               "atomic int layout");
_Static_assert(sizeof(_Atomic double) == sizeof(double) &&
                   _Alignof(_Atomic double) == _Alignof(double),
               "atomic double layout");

double tsct_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void tsct_progress_begin(tsct_progress *p, const tsct_progress_sink *sink, const char *label,
                         int64_t total, int64_t already_done)
{
    p->sink = sink;
    p->label = label ? label : "";
    p->total = total;
    p->start_done = already_done;
    atomic_init(&p->done, already_done);
    atomic_init(&p->reporting, 0);
    p->t0 = tsct_clock();
    atomic_init(&p->last_report, p->t0);
}

static void snapshot(const tsct_progress *p, tsct_progress_state *s, double now, int finished)
{
    s->label = p->label;
    s->done = atomic_load(&((tsct_progress *)p)->done);
    s->total = p->total;
    s->elapsed_s = now - p->t0;
    int64_t fresh = s->done - p->start_done;
    s->rate = s->elapsed_s > 0 && fresh > 0 ? (double)fresh / s->elapsed_s : 0.0;
    if (s->rate > 0 && s->total > 0)
        s->eta_s = (double)(s->total - s->done) / s->rate;
    else
        s->eta_s = -1;
    if (s->eta_s < 0 && s->total > 0 && s->done >= s->total)
        s->eta_s = 0;
    s->finished = finished;
}

void tsct_progress_add(tsct_progress *p, int64_t n)
{
    if (!p)
        return;
    atomic_fetch_add(&p->done, n);
    if (!p->sink || !p->sink->fn)
        return;
    double interval = p->sink->interval_s > 0 ? p->sink->interval_s : 0.2;
    double now = tsct_clock();
    if (now - atomic_load(&p->last_report) < interval)
        return;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&p->reporting, &expected, 1))
        return;
    atomic_store(&p->last_report, now);
    tsct_progress_state s;
    snapshot(p, &s, now, 0);
    p->sink->fn(p->sink->user, &s);
    atomic_store(&p->reporting, 0);
}

void tsct_progress_end(tsct_progress *p)
{
    if (!p || !p->sink || !p->sink->fn)
        return;
    tsct_progress_state s;
    snapshot(p, &s, tsct_clock(), 1);
    p->sink->fn(p->sink->user, &s);
}

static void format_duration(char *buf, size_t size, double s)
{
    if (s < 0) {
        snprintf(buf, size, "--:--");
        return;
    }
    long long t = (long long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, size, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, size, "%lld:%02lld", t / 60, t % 60);
}

static void format_rate(char *buf, size_t size, double r)
{
    if (r >= 1e6)
        snprintf(buf, size, "%.1fM/s", r / 1e6);
    else if (r >= 1e4)
        snprintf(buf, size, "%.1fk/s", r / 1e3);
    else if (r >= 10)
        snprintf(buf, size, "%.0f/s", r);
    else
        snprintf(buf, size, "%.2f/s", r);
}

size_t tsct_progress_format(const tsct_progress_state *s, int width, char *buf, size_t size)
{
    char eta[32], rate[32], tail[160];
    format_duration(eta, sizeof eta, s->finished ? s->elapsed_s : s->eta_s);
    format_rate(rate, sizeof rate, s->rate);
    double frac = s->total > 0 ? (double)s->done / (double)s->total : 0.0;
    if (frac > 1)
        frac = 1;
    if (s->total > 0)
        snprintf(tail, sizeof tail, " %3d%%  %lld/%lld  %s  %s %s", (int)(100 * frac),
                 (long long)s->done, (long long)s->total, rate, s->finished ? "took" : "ETA",
                 eta);
    else
        snprintf(tail, sizeof tail, "  %lld  %s  %s", (long long)s->done, rate,
                 s->finished ? "done" : "");
    int bar = width - (int)strlen(s->label) - (int)strlen(tail) - 3;
    if (bar > 40)
        bar = 40;
    char bars[48] = "";
    if (bar >= 5 && s->total > 0) {
        int fill = (int)(frac * bar);
        bars[0] = '[';
        for (int i = 0; i < bar; i++)
            bars[1 + i] = i < fill ? '#' : '.';
        bars[bar + 1] = ']';
        bars[bar + 2] = '\0';
    }
    int n = snprintf(buf, size, "%s %s%s", s->label, bars, tail);
    return n < 0 ? 0 : ((size_t)n < size ? (size_t)n : size - 1);
}
