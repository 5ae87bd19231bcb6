/* fuzz_echem.c - libFuzzer entry point for the electrochemistry reader (generic CSV and
 * BioLogic .mpt: tsct_echem_read). The input is written to a scratch file (.csv or .mpt by
 * its length) and read; a record read must have n >= 2 points with time never decreasing,
 * capacity >= 0 and half-cycle indices that never decrease; dQ/dV (refused, -1, only
 * beyond TSCT_ECHEM_DQDV_BINS_MAX bins) and a window are computed on it. Built and run by
 * tests/fuzz/run.sh. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "tsct/echem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4096];
    fuzz_write_temp(path, sizeof path, size & 1 ? ".mpt" : ".csv", data, size);
    tsct_echem_columns cols = TSCT_ECHEM_COLUMNS_DEFAULT;
    tsct_echem *e = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = tsct_echem_read(path, &cols, &e, &err);
    FUZZ_CHECK_MESSAGE(st, err);
    if (st != TSCT_OK) {
        if (e)
            __builtin_trap();
        return 0;
    }
    if (e->n < 2)
        __builtin_trap();
    for (int64_t i = 0; i < e->n; i++) {
        if (i > 0 && (!(e->time_s[i] >= e->time_s[i - 1]) ||
                      e->half_cycle[i] < e->half_cycle[i - 1]))
            __builtin_trap();
        if (e->capacity_mah[i] < 0)
            __builtin_trap();
    }
    double v[64], d[64];
    int64_t hc[64];
    int64_t m = tsct_echem_dqdv(e, 0.01, v, d, hc, 64);
    double vmin = INFINITY, vmax = -INFINITY;
    for (int64_t i = 0; i < e->n; i++) {
        vmin = fmin(vmin, e->voltage[i]);
        vmax = fmax(vmax, e->voltage[i]);
    }
    int too_wide = !((vmax - vmin) / 0.01 < (double)TSCT_ECHEM_DQDV_BINS_MAX);
    if (m < -1 || m > 64 || (m == -1) != too_wide)
        __builtin_trap();
    double cap = 0, volt = 0;
    int64_t half = 0;
    tsct_error werr = TSCT_ERROR_INIT;
    st = tsct_echem_window(e, e->time_s[0], e->time_s[e->n - 1], &cap, &volt, &half, &werr);
    FUZZ_CHECK_MESSAGE(st, werr);
    tsct_echem_destroy(e);
    return 0;
}
