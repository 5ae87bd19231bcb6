/* fuzz_stamps.c - libFuzzer entry point for the time-stamp strings that containers carry
 * ("END*COUNT;END*COUNT;...", the attribute time_stamps of every committed dataset; parsed by
 * tsct_time_stamps_count / _common, lib/io/stamps.c). The input is two strings split at the
 * first newline. Invariants: the count is >= 0, a string agrees with itself on no more steps
 * than it covers, and two strings agree on no more than either covers. Built and run by
 * tests/fuzz/run.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/container.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *a = malloc(size + 1);
    if (!a)
        return 0;
    memcpy(a, data, size);
    a[size] = '\0';
    char *nl = memchr(a, '\n', size);
    const char *b = "";
    if (nl) {
        *nl = '\0';
        b = nl + 1;
    }
    int64_t na = tsct_time_stamps_count(a), nb = tsct_time_stamps_count(b);
    int64_t ab = tsct_time_stamps_common(a, b), aa = tsct_time_stamps_common(a, a);
    if (na < 0 || nb < 0 || ab < 0 || ab > na || ab > nb || aa > na ||
        ab != tsct_time_stamps_common(b, a))
        __builtin_trap();
    free(a);
    return 0;
}
