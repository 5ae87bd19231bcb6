/* fuzz_mca.c - libFuzzer entry point for the text MCA spectrum reader of tsct/edxrd.h (one or
 * two columns, '#' header keys, the Amptek layout: tsct_edxrd_source_open). The input is
 * written to a scratch file and opened as a one-spectrum source; a source opened must have
 * 1 .. TSCT_EDXRD_CHANNELS_MAX channels, and its spectrum must read back with every count
 * finite and >= 0 and the same length. Built and run by tests/fuzz/run.sh. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "tsct/edxrd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4096];
    fuzz_write_temp(path, sizeof path, ".mca", data, size);
    const char *spec = path;
    tsct_edxrd_source *src = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = tsct_edxrd_source_open(&spec, 1, &src, &err);
    FUZZ_CHECK_MESSAGE(st, err);
    if (st != TSCT_OK) {
        if (src)
            __builtin_trap();
        return 0;
    }
    const int64_t n = tsct_edxrd_source_channels(src);
    if (tsct_edxrd_source_count(src) != 1 || n < 1 || n > TSCT_EDXRD_CHANNELS_MAX)
        __builtin_trap();
    double *y = malloc((size_t)n * sizeof *y);
    if (!y)
        __builtin_trap();
    st = tsct_edxrd_source_read(src, 0, y, &err);
    FUZZ_CHECK_MESSAGE(st, err);
    if (st != TSCT_OK)
        __builtin_trap();
    for (int64_t c = 0; c < n; c++)
        if (!isfinite(y[c]) || y[c] < 0)
            __builtin_trap();
    const double live = tsct_edxrd_source_live_time(src)[0];
    (void)live;
    free(y);
    tsct_edxrd_source_destroy(src);
    return 0;
}
