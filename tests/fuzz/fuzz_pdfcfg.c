/* fuzz_pdfcfg.c - libFuzzer entry point for the PDFgetX3 configuration reader
 * (tsct_pdf_config_read, _check, _format). The input is written to a scratch .cfg file and
 * read with the [DEFAULT] section, then a named section; a configuration that passes the
 * check is formatted, and the formatted block must read back and format to the same text.
 * Built and run by tests/fuzz/run.sh. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "tsct/pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tsct_pdf_config cfg, again;
static char text[1 << 17], text2[1 << 17];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4096];
    fuzz_write_temp(path, sizeof path, ".cfg", data, size);
    tsct_pdf_config_init(&cfg);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = tsct_pdf_config_read(&cfg, path, size & 1 ? "sample" : NULL, &err);
    FUZZ_CHECK_MESSAGE(st, err);
    if (st != TSCT_OK)
        return 0;
    if (cfg.ninputfile < 0 || cfg.ninputfile > 64 || cfg.noutputtypes < 0 ||
        cfg.noutputtypes > 4 || !memchr(cfg.composition, 0, sizeof cfg.composition))
        __builtin_trap();
    tsct_error cerr = TSCT_ERROR_INIT;
    st = tsct_pdf_config_check(&cfg, &cerr);
    FUZZ_CHECK_MESSAGE(st, cerr);
    int64_t len = tsct_pdf_config_format(&cfg, "fuzz", text, sizeof text);
    if (len < 0 || len >= (int64_t)sizeof text || text[len] != '\0')
        __builtin_trap();
    if (st != TSCT_OK)
        return 0;
    fuzz_write_temp(path, sizeof path, ".cfg", (const uint8_t *)text, (size_t)len);
    tsct_pdf_config_init(&again);
    tsct_error rerr = TSCT_ERROR_INIT;
    if (tsct_pdf_config_read(&again, path, NULL, &rerr) != TSCT_OK)
        __builtin_trap();   /* what we write must read back */
    int64_t len2 = tsct_pdf_config_format(&again, "fuzz", text2, sizeof text2);
    if (len2 != len || memcmp(text, text2, (size_t)len) != 0)
        __builtin_trap();
    return 0;
}
