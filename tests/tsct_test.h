/* tsct_test.h - the minimal harness shared by the C unit tests.
 *
 * Each test program is a main() that runs checks and returns tsct_test_finish(). A failed check
 * prints file, line, the expression and the values, and the program carries on so one run
 * shows every failure. Tolerances are stated at each check. */
#ifndef TSCT_TEST_H
#define TSCT_TEST_H

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tsct/status.h"

static int tsct_test_failures = 0;
static int tsct_test_checks = 0;

#define CHECK(cond)                                                              \
    do {                                                                         \
        tsct_test_checks++;                                                      \
        if (!(cond)) {                                                           \
            tsct_test_failures++;                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                        \
    } while (0)

#define CHECK_MSG(cond, ...)                                                     \
    do {                                                                         \
        tsct_test_checks++;                                                      \
        if (!(cond)) {                                                           \
            tsct_test_failures++;                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                 \
        }                                                                        \
    } while (0)

/* |a - b| <= tol, with both values printed on failure. */
#define CHECK_NEAR(a, b, tol)                                                    \
    do {                                                                         \
        double tsct_a_ = (double)(a), tsct_b_ = (double)(b);                     \
        CHECK_MSG(fabs(tsct_a_ - tsct_b_) <= (tol), "%.17g vs %.17g (tol %g)",   \
                  tsct_a_, tsct_b_, (double)(tol));                              \
    } while (0)

/* A call that must succeed; prints the error message otherwise. */
#define CHECK_OK(expr, errp)                                                     \
    do {                                                                         \
        tsct_status tsct_st_ = (expr);                                           \
        CHECK_MSG(tsct_st_ == TSCT_OK, "%s -> %s: %s", #expr,                    \
                  tsct_strerror(tsct_st_), (errp)->message);                     \
    } while (0)

/* A call that must fail with the given status and a message containing `needle`. */
#define CHECK_FAILS(expr, status, errp, needle)                                  \
    do {                                                                         \
        tsct_error_clear(errp);                                                  \
        tsct_status tsct_st_ = (expr);                                           \
        CHECK_MSG(tsct_st_ == (status), "%s -> %s, expected %s (%s)", #expr,     \
                  tsct_strerror(tsct_st_), tsct_strerror(status), (errp)->message); \
        CHECK_MSG(strstr((errp)->message, (needle)) != NULL,                     \
                  "message \"%s\" lacks \"%s\"", (errp)->message, (needle));     \
        tsct_error_clear(errp);                                                  \
    } while (0)

/* Make the per-test scratch folder (and its parents); returns its path. */
static inline const char *tsct_test_tmpdir(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0777);
            *p = '/';
        }
    }
    mkdir(buf, 0777);
    return dir;
}

/* Read a whole file into a malloc'ed buffer (NULL if it cannot be read); *size its length. */
static inline unsigned char *tsct_test_slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    *size = 0;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *size = b ? (size_t)n : 0;
    return b;
}

/* The text file at path equals expect (a failed check printing the file otherwise). */
static inline void tsct_test_check_text(const char *path, const char *expect)
{
    size_t size = 0;
    char *text = (char *)tsct_test_slurp(path, &size);
    if (text)
        text[size] = '\0';
    CHECK_MSG(text && strcmp(text, expect) == 0, "%s:\n%s", path, text ? text : "(none)");
    free(text);
}

/* Write n bytes to path; 0 on success. */
static inline int tsct_test_spit(const char *path, const void *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(buf, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

#ifdef TSCT_CRYSTAL_H
/* A crystal from a CIF the test needs (a failed read is a failed check; NULL then). */
static inline tsct_crystal *tsct_test_read_cif(const char *path)
{
    tsct_crystal *c = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_crystal_read_cif(&c, path, &err), &err);
    return c;
}
#endif

/* A uniform grid x[i] = x0 + i dx of n points (malloc'd; free() it). */
static inline double *tsct_test_grid(double x0, double dx, int64_t n)
{
    double *x = (double *)malloc((size_t)n * sizeof *x);
    for (int64_t i = 0; x && i < n; i++)
        x[i] = x0 + (double)i * dx;
    return x;
}

static inline int tsct_test_finish(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, tsct_test_checks, tsct_test_failures);
    return tsct_test_failures ? 1 : 0;
}

#endif
