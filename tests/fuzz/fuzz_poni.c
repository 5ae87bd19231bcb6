/* fuzz_poni.c - libFuzzer entry point for the PONI reader (tsct_poni_parse), including the
 * Detector_config JSON scanner. Built and run by tests/fuzz/run.sh, not by CMake. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tsct/poni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsct_poni p;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = tsct_poni_parse(&p, (const char *)data, size, &err);
    if (st == TSCT_OK) {
        if (!(p.pixel1 > 0) || !(p.pixel2 > 0) || !isfinite(p.dist) ||
            memchr(p.detector, '\0', sizeof p.detector) == NULL)
            __builtin_trap();
    } else if (!err.message[0]) {
        __builtin_trap();
    }
    return 0;
}
