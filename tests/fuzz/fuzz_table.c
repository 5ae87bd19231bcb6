/* fuzz_table.c - libFuzzer entry point for the scan table of a pattern stack
 * (tsct_pattern_table_read, the CSV of tsct import --layout xy). The input is written to a
 * scratch file and read; a table read must have 1 <= n <= TSCT_PATTERN_TABLE_ROWS_MAX rows,
 * a non-empty file name and finite numbers in every row. Built and run by tests/fuzz/run.sh. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "tsct/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4096];
    fuzz_write_temp(path, sizeof path, ".csv", data, size);
    tsct_pattern_table *t = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = tsct_pattern_table_read(path, &t, &err);
    FUZZ_CHECK_MESSAGE(st, err);
    if (st != TSCT_OK) {
        if (t)
            __builtin_trap();
        return 0;
    }
    if (t->n < 1 || t->n > TSCT_PATTERN_TABLE_ROWS_MAX)
        __builtin_trap();
    for (int64_t i = 0; i < t->n; i++) {
        if (!t->file[i] || !t->file[i][0] || !isfinite(t->angle[i]) ||
            !isfinite(t->translation[i]) || (t->time && !isfinite(t->time[i])) ||
            (t->slice && !isfinite(t->slice[i])))
            __builtin_trap();
    }
    tsct_pattern_table_destroy(t);
    return 0;
}
