/* stamps.c - time stamps: which time steps of a result a later run may keep.
 *
 * Every dataset a step writes carries the attribute "time_stamps": for each index of its axis
 * 0 (the time step) the end time of the step run that wrote it, run-length coded as
 * "END*COUNT;END*COUNT;...". A full run gives one segment; a run that appends or rewrites
 * time steps from T on keeps the first T stamps and adds its own. "?" stands for a time step
 * whose origin is unknown and never equals anything, itself included.
 *
 * A step records the stamps of the datasets it read (its "inputs") and its settings in
 * /entry/process/NAME. A later run with the same settings compares the recorded input stamps
 * with the current ones: the time steps before the first difference were computed from the
 * same data with the same settings and need not be computed again (tsct run on an operando
 * experiment: only the new tomograms go through sinogram, recon, pdf and map).
 *
 * Stamp strings are attributes, so they stay below HDF5's 64 KiB object-header limit: a
 * string that would grow past TSCT__STAMPS_MAX (a few thousand appending runs) is recorded as
 * "" (unknown), which costs a full run of the steps after it, never a wrong result.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5_internal.h"

/* One segment "END*COUNT": the stamp is s[0 .. len), repeated count times. */
struct seg {
    const char *s;
    size_t len;
    int64_t count;
};

/* Parse the next segment at *p; 0 at the end or on malformed text (the rest is unknown). */
static int next_seg(const char **p, struct seg *g)
{
    const char *s = *p;
    while (*s == ';')
        s++;
    if (!*s)
        return 0;
    const char *star = strchr(s, '*');
    const char *semi = strchr(s, ';');
    if (!star || (semi && semi < star))
        return 0;
    char *end = NULL;
    long long n = strtoll(star + 1, &end, 10);
    /* counts come from a file: bounded, so that sums over a string cannot overflow */
    if (end == star + 1 || n < 1 || n > TSCT_TIME_STAMPS_STEPS_MAX || (*end && *end != ';'))
        return 0;
    g->s = s;
    g->len = (size_t)(star - s);
    g->count = (int64_t)n;
    *p = end;
    return 1;
}

int64_t tsct_time_stamps_count(const char *a)
{
    int64_t n = 0;
    struct seg g;
    const char *p = a ? a : "";
    while (next_seg(&p, &g)) {
        if (g.count > INT64_MAX - n)
            return INT64_MAX;   /* a string of over 2^23 segments: saturate */
        n += g.count;
    }
    return n;
}

static int seg_known(const struct seg *g)
{
    return g->len > 0 && !(g->len == 1 && g->s[0] == '?');
}

int64_t tsct_time_stamps_common(const char *a, const char *b)
{
    const char *pa = a ? a : "", *pb = b ? b : "";
    struct seg ga, gb;
    int64_t n = 0, left_a = 0, left_b = 0;
    for (;;) {
        if (left_a == 0) {
            if (!next_seg(&pa, &ga))
                return n;
            left_a = ga.count;
        }
        if (left_b == 0) {
            if (!next_seg(&pb, &gb))
                return n;
            left_b = gb.count;
        }
        if (!seg_known(&ga) || ga.len != gb.len || memcmp(ga.s, gb.s, ga.len) != 0)
            return n;
        const int64_t k = left_a < left_b ? left_a : left_b;
        if (k > INT64_MAX - n)
            return INT64_MAX;
        n += k;
        left_a -= k;
        left_b -= k;
    }
}

struct out {
    char *buf;
    size_t size, used, last_at;
    const char *last; /* the last segment's stamp (NULL: none, or "?") */
    size_t last_len;
    int64_t last_count;
    int full;
};

/* Append "STAMP*COUNT;" (merging with an equal last segment); sets full if it does not fit. */
static void put_seg(struct out *o, const char *s, size_t len, int64_t count)
{
    if (count <= 0 || o->full)
        return;
    const int unknown = len == 1 && s[0] == '?';
    size_t at = o->used;
    if (o->last && !unknown && o->last_len == len && memcmp(o->last, s, len) == 0) {
        count += o->last_count;
        at = o->last_at;
    }
    int w = snprintf(o->buf + at, o->size - at, "%.*s*%lld;", (int)len, s, (long long)count);
    if (w < 0 || (size_t)w >= o->size - at) {
        o->full = 1;
        return;
    }
    o->last_at = at;
    o->used = at + (size_t)w;
    o->last = unknown ? NULL : o->buf + at;
    o->last_len = len;
    o->last_count = count;
}

/* The stamps of time steps [from, to) of `old`, "?" where it has none. */
static void put_range(struct out *o, const char *old, int64_t from, int64_t to)
{
    const char *p = old ? old : "";
    struct seg g;
    int64_t t = 0;
    while (t < to && next_seg(&p, &g)) {
        const int64_t a = t > from ? t : from, b = t + g.count < to ? t + g.count : to;
        if (b > a)
            put_seg(o, g.s, g.len, b - a);
        t += g.count;
    }
    if (t < to)
        put_seg(o, "?", 1, to - (t > from ? t : from));
}

char *tsct__time_stamps_splice(const char *old, int64_t old_n, int64_t first, int64_t count,
                               const char *run)
{
    struct out o = {malloc(TSCT__STAMPS_MAX), TSCT__STAMPS_MAX, 0, 0, NULL, 0, 0, 0};
    if (!o.buf)
        return NULL;
    o.buf[0] = '\0';
    put_range(&o, old, 0, first);
    put_seg(&o, run, strlen(run), count);
    put_range(&o, old, first + count, old_n); /* a rewrite in the middle keeps the rest */
    if (o.full)
        o.buf[0] = '\0'; /* too long: unknown (see the file header) */
    else if (o.used > 0)
        o.buf[o.used - 1] = '\0'; /* no trailing ';' */
    return o.buf;
}

/* The attribute "time_stamps" of the dataset at path, "" if none; NULL without memory. */
char *tsct__time_stamps_read(hid_t file, const char *path)
{
    char *buf = calloc(1, TSCT__STAMPS_MAX);
    if (!buf)
        return NULL;
    if (tsct__h5_exists(file, path)) {
        hid_t d = H5Oopen(file, path, H5P_DEFAULT);
        if (d >= 0) {
            if (H5Aexists(d, "time_stamps") > 0 &&
                tsct__h5_get_attr_string(d, "time_stamps", buf, TSCT__STAMPS_MAX) < 0)
                buf[0] = '\0';
            H5Oclose(d);
        }
        H5Eclear2(H5E_DEFAULT);
    }
    return buf;
}

char *tsct_step_input_stamps(tsct_container *c, const char *const *paths)
{
    size_t size = 1, used = 0;
    char *out = malloc(size);
    if (!out)
        return NULL;
    out[0] = '\0';
    for (int i = 0; paths && paths[i]; i++) {
        TSCT__H5_LOCK();
        char *s = tsct__time_stamps_read(c->file, paths[i]);
        TSCT__H5_UNLOCK();
        if (!s) {
            free(out);
            return NULL;
        }
        size_t need = strlen(paths[i]) + strlen(s) + 3;
        char *grown = realloc(out, size + need);
        if (!grown) {
            free(s);
            free(out);
            return NULL;
        }
        out = grown;
        size += need;
        used += (size_t)snprintf(out + used, size - used, "%s=%s\n", paths[i], s);
        free(s);
    }
    return out;
}

/* The stamps of `path` in a text of "PATH=STAMPS" lines, copied into buf; 0 if absent. */
static int find_input(const char *text, const char *path, char *buf, size_t size)
{
    const size_t n = strlen(path);
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        const size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > n && strncmp(line, path, n) == 0 && line[n] == '=') {
            snprintf(buf, size, "%.*s", (int)(len - n - 1), line + n + 1);
            return 1;
        }
        line = end ? end + 1 : NULL;
    }
    return 0;
}

int64_t tsct_step_reusable_time_steps(tsct_container *c, const char *name, const char *settings,
                                      const char *inputs)
{
    char path[256], status[32] = "";
    if (!c || !name || !settings || !*settings || !inputs || !*inputs ||
        snprintf(path, sizeof path, TSCT_PATH_PROCESS "/%s", name) >= (int)sizeof path ||
        !tsct_container_exists(c, path) ||
        tsct_container_get_attr_string(c, path, "status", status, sizeof status, NULL) != TSCT_OK ||
        strcmp(status, "complete") != 0)
        return 0;
    const size_t big = TSCT__STAMPS_MAX * 4;
    char *rec_settings = calloc(1, big), *rec_inputs = calloc(1, big);
    char *was = calloc(1, TSCT__STAMPS_MAX), *now = calloc(1, TSCT__STAMPS_MAX);
    int64_t keep = 0;
    if (!rec_settings || !rec_inputs || !was || !now)
        goto done;
    if (tsct_container_get_attr_string(c, path, "settings", rec_settings, big, NULL) != TSCT_OK ||
        strcmp(rec_settings, settings) != 0 ||
        tsct_container_get_attr_string(c, path, "inputs", rec_inputs, big, NULL) != TSCT_OK)
        goto done;
    keep = INT64_MAX;
    for (const char *line = inputs; *line && keep > 0;) {
        const char *eq = strchr(line, '=');
        const char *end = strchr(line, '\n');
        if (!eq || (end && end < eq)) {
            keep = 0;
            break;
        }
        const char *stop = end ? end : eq + strlen(eq);
        char p[512];
        snprintf(p, sizeof p, "%.*s", (int)(eq - line), line);
        snprintf(now, TSCT__STAMPS_MAX, "%.*s", (int)(stop - eq - 1), eq + 1);
        if (!find_input(rec_inputs, p, was, TSCT__STAMPS_MAX)) {
            keep = 0;
            break;
        }
        const int64_t k = tsct_time_stamps_common(was, now);
        if (k < keep)
            keep = k;
        line = end ? end + 1 : stop;
    }
    if (keep == INT64_MAX)
        keep = 0;
done:
    free(rec_settings);
    free(rec_inputs);
    free(was);
    free(now);
    return keep;
}
