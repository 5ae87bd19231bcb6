/* fuzz_pipeline.c - libFuzzer harness of the configuration files of `tsct run`: the input is
 * read as INI text (include/tsct/ini.h) and checked as a pipeline file and as a scan.ini
 * (include/tsct/stage.h). Nothing may crash, leak or read out of bounds; every rejection is a
 * status with a message. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tsct/ini.h"
#include "tsct/stage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsct_ini ini;
    tsct_error err = TSCT_ERROR_INIT;
    if (tsct_ini_parse(&ini, "fuzz/pipeline.cfg", (const char *)data, size, &err) != TSCT_OK)
        return 0;
    tsct_stage_pipeline_check(&ini, &err);
    tsct_error_clear(&err);
    tsct_stage_scan_ini_check(&ini, &err);
    for (int64_t i = 0; i < ini.n; i++) {
        int64_t v;
        double d;
        int b;
        tsct_error e = TSCT_ERROR_INIT;
        tsct_ini_value_int(&ini, &ini.e[i], -5, 5, &v, &e);
        tsct_ini_value_double(&ini, &ini.e[i], -1e300, 1e300, &d, NULL);
        tsct_ini_value_bool(&ini, &ini.e[i], &b, NULL);
    }
    tsct_ini_release(&ini);
    return 0;
}
