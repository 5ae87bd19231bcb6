/* fuzz_pdfcfg.c - libFuzzer entry point for the PDFgetX3 configuration reader
 * (tsct_pdf_config_read, _check, _format). The input is written to a scratch .cfg file and
 * read with the [DEFAULT] section, then a named section; a configuration that passes the
 * check is formatted, and the formatted block must read back and format to the same text.
 * Its composition and r grid then plan a PDF over a synthetic Q grid (equally spaced or not,
 * so both transforms are planned) and convert one pattern: the plan's limits (TSCT_PDF_R_MAX,
 * TSCT_PDF_DIRECT_MAX) must refuse what would not fit, and G(r) must be finite. Built and run
 * by tests/fuzz/run.sh. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tsct/composition.h"
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

    tsct_composition *comp = NULL;
    tsct_error perr = TSCT_ERROR_INIT;
    st = tsct_composition_parse(&comp, cfg.composition, &perr);
    FUZZ_CHECK_MESSAGE(st, perr);
    if (st != TSCT_OK)
        return 0;
    /* r points as the plan counts them; the largest grids are left to the plan's limit */
    tsct_pdf_params p = cfg.params;
    p.nthreads = 1;
    double nr = (p.rmax - p.rmin) / p.rstep;
    static double q[400], iq[400];
    for (int i = 0; i < 400; i++) {
        q[i] = 0.3 + 0.06 * i + (size & 2 ? 1e-4 * (i % 3) : 0.0);
        iq[i] = 1.0 + 0.5 * i / 400.0;
    }
    if (!(nr < 2e5) && !(nr >= (double)TSCT_PDF_R_MAX)) {
        tsct_composition_destroy(comp);
        return 0;
    }
    tsct_pdf_plan *plan = NULL;
    tsct_error lerr = TSCT_ERROR_INIT;
    st = tsct_pdf_plan_create(&p, comp, q, 400, &plan, &lerr);
    FUZZ_CHECK_MESSAGE(st, lerr);
    if (st == TSCT_OK) {
        int64_t n = tsct_pdf_plan_nr(plan);
        if (n < 1 || n > TSCT_PDF_R_MAX)
            __builtin_trap();
        double *g = malloc((size_t)n * sizeof *g);
        static double sq[400], fq[400];
        double alpha = 0;
        tsct_error xerr = TSCT_ERROR_INIT;
        st = tsct_pdf_execute_one(plan, iq, sq, fq, g, &alpha, &xerr);
        FUZZ_CHECK_MESSAGE(st, xerr);
        for (int64_t j = 0; st == TSCT_OK && j < n; j++)
            if (!isfinite(g[j]))
                __builtin_trap();
        free(g);
    }
    tsct_pdf_plan_destroy(plan);
    tsct_composition_destroy(comp);
    return 0;
}
