/* fuzz_pattern.c - libFuzzer entry point for the text pattern reader (.xy, .chi, .dat, .gr:
 * tsct_pattern_read_text). The input is written to a scratch file and read back; a pattern
 * read must have n >= 1 finite points, and interpolating it (when x increases) must stay
 * within the range of y. Built and run by tests/fuzz/run.sh. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tsct/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4096];
    static const char *const suffix[] = {".chi", ".xy", ".dat", ".gr"};
    fuzz_write_temp(path, sizeof path, suffix[size % 4], data, size);
    double *x = NULL, *y = NULL;
    int64_t n = -1;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = tsct_pattern_read_text(path, &x, &y, &n, &err);
    FUZZ_CHECK_MESSAGE(st, err);
    if (st != TSCT_OK) {
        if (x || y || n != 0)
            __builtin_trap();
        return 0;
    }
    if (n < 1)
        __builtin_trap();
    int increasing = 1;
    double ylo = INFINITY, yhi = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            __builtin_trap();
        if (i > 0 && !(x[i] > x[i - 1]))
            increasing = 0;
        ylo = fmin(ylo, y[i]);
        yhi = fmax(yhi, y[i]);
    }
    if (increasing) {
        double at[3] = {x[0], 0.5 * x[0] + 0.5 * x[n - 1], x[n - 1]}, out[3];
        tsct_pattern_interp(x, y, n, at, 3, out);
        double tol = 1e-9 * (fabs(ylo) + fabs(yhi)) + 1e-300;
        for (int i = 0; i < 3; i++)
            if (isfinite(out[i]) && (out[i] < ylo - tol || out[i] > yhi + tol))
                __builtin_trap();
    }
    free(x);
    free(y);
    return 0;
}
