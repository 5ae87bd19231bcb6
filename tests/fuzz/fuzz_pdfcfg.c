/* fuzz_pdfcfg.c - libFuzzer entry point for the PDFgetX3 configuration reader
 * (tsct_pdf_config_read, with it the composition parser). The input is written to a scratch
 * file, read as [DEFAULT] and as [DEFAULT] + [s]; whatever reads must pass or fail the checks
 * with a message, and the header of a configuration that passes must read back. Built and run by
 * tests/fuzz/run.sh, not by CMake. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsct/composition.h"
#include "tsct/pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_all(const char *path, const void *data, size_t size)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        __builtin_trap();
    if (size && fwrite(data, 1, size, fp) != size)
        __builtin_trap();
    fclose(fp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tsct_pdf_config cfg, back;
    static char text[1 << 17];
    char path[64], path2[64];
    snprintf(path, sizeof path, "/tmp/fuzz_pdfcfg_%d.cfg", (int)getpid());
    snprintf(path2, sizeof path2, "/tmp/fuzz_pdfcfg_%d_back.cfg", (int)getpid());
    write_all(path, data, size);
    for (int pass = 0; pass < 2; pass++) {
        tsct_error err = TSCT_ERROR_INIT;
        tsct_pdf_config_init(&cfg);
        tsct_status st = tsct_pdf_config_read(&cfg, path, pass ? "s" : NULL, &err);
        if (st != TSCT_OK) {
            if (!err.message[0])
                __builtin_trap();
            continue;
        }
        if (tsct_pdf_config_check(&cfg, &err) != TSCT_OK) {
            if (!err.message[0])
                __builtin_trap();
            continue; /* not runnable: no header is written for it */
        }
        const double qs[3] = {0.0, 15.0, 30.0};
        if (tsct_pdf_config_check_q(&cfg, qs, 3, "x", &err) != TSCT_OK && !err.message[0])
            __builtin_trap();
        int64_t n = tsct_pdf_config_format(&cfg, "fuzz", text, sizeof text);
        if (n < 0 || (size_t)n >= sizeof text || text[n] != '\0')
            __builtin_trap();
        write_all(path2, text, (size_t)n);
        tsct_error_clear(&err);
        tsct_pdf_config_init(&back);
        /* The header of what was read is itself a configuration with the same numbers. */
        if (tsct_pdf_config_read(&back, path2, NULL, &err) != TSCT_OK ||
            back.params.qmax != cfg.params.qmax || back.params.rpoly != cfg.params.rpoly ||
            back.nbackgroundfile != cfg.nbackgroundfile)
            __builtin_trap();
    }
    /* The composition parser on the raw bytes. */
    char *formula = malloc(size + 1);
    if (!formula)
        return 0;
    memcpy(formula, data, size);
    formula[size] = '\0';
    tsct_composition *c = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    if (tsct_composition_parse(&c, formula, &err) == TSCT_OK) {
        if (!c || !(tsct_composition_atoms(c) > 0))
            __builtin_trap();
    } else if (c || !err.message[0]) {
        __builtin_trap();
    }
    tsct_composition_destroy(c);
    free(formula);
    unlink(path);
    unlink(path2);
    return 0;
}
