/* tsct/stage_pdf.h - pair distribution functions of voxels, regions and files.
 *
 * Part of the stage library: include "tsct/stage.h", which has the contract every stage
 * follows (params, context, report, errors, incremental runs, threads). */
#ifndef TSCT_STAGE_PDF_H
#define TSCT_STAGE_PDF_H

#include "tsct/stage_core.h"
#include "tsct/pdf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- pdf ------------------------------------------------------------------------------------
 * Per voxel: /entry/recon [nt][nz][ny][nx][nq] -> /entry/pdf/G [nt][nz][ny][nx][nr] and
 * /entry/pdf/r (A), G in A^-2 as PDFgetX3 normalises it (docs/pdf.md), for voxels whose
 * total intensity is at least threshold x the largest in the volume (others NaN); with a
 * reference time step T also /entry/pdf/dpdf = G_t - G_T. Every setting is an attribute of
 * the datasets. Region: /entry/regions/NAME/pattern [nt][nq] (q: /entry/regions/NAME/q, else
 * /entry/recon/q) -> /entry/regions/NAME/{pdf, dpdf} [nt][nr] and r, and with output_dir one
 * .gr file per time step, DIR/NAME_tNNNN.gr, headed by the configuration (DIR is made when
 * missing, and the files are checked against the write rule before anything is written). */

typedef struct tsct_stage_pdf_params {
    const tsct_pdf_config *config;  /* required: the resolved configuration (tsct/pdf.h) */
    double threshold;               /* 0..1, per voxel (default 0.05) */
    int64_t reference;              /* dPDF reference time step; -1: none (region: 0) */
    const char *region;             /* tsct_stage_pdf_region: the region's name */
    const char *output_dir;         /* tsct_stage_pdf_region: .gr files here (NULL: none) */
    const char *output;             /* tsct_stage_pdf_files: NULL (NAME.TYPE in the current
                                       folder), a folder (made when it ends in '/'), a file
                                       name whose extension is replaced, or a PDFgetX3
                                       template with @b / @o */
} tsct_stage_pdf_params;

#define TSCT_STAGE_PDF_PARAMS_DEFAULT                                                              \
    {                                                                                              \
        NULL, 0.05, -1, NULL, NULL, NULL                                                           \
    }

/* Errors: TSCT_ERR_SHAPE (recon not 5-D or its q of another length), TSCT_ERR_VALUE (a
 * reference at or beyond nt, a threshold out of 0..1, a configuration the data cannot
 * satisfy), those of the PDF planner, the container and steps. */
tsct_status tsct_stage_pdf(const char *container, const tsct_stage_pdf_params *params,
                           const tsct_stage_ctx *ctx, tsct_stage_report *report, tsct_error *err);
/* Text patterns inputs[ninputs] (two columns, x in the configuration's dataformat) to the
 * configuration's output types (.iq, .sq, .fq, .gr), each headed by the resolved
 * configuration, named from params->output; the configuration's backgrounds (each scaled by
 * its bgscale) are subtracted first. Errors: those of the text reader (x must increase), of
 * tsct_pdf_config_check_q and the planner (naming the configuration), TSCT_ERR_VALUE (a
 * background that does not cover the data, several inputs without an output folder),
 * TSCT_ERR_IO, the write rule's (tsct/publish.h). */
tsct_status tsct_stage_pdf_files(const char *const *inputs, int ninputs,
                                 const tsct_stage_pdf_params *params, const tsct_stage_ctx *ctx,
                                 tsct_stage_report *report, tsct_error *err);
/* Errors as tsct_stage_pdf, and TSCT_ERR_VALUE for a region name with '/'. A time step
 * whose pattern cannot be normalised (empty region) gets NaN and a warning. */
tsct_status tsct_stage_pdf_region(const char *container, const tsct_stage_pdf_params *params,
                                  const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                  tsct_error *err);

/* The options of `tsct pdf` and of the [pdf] step of `tsct run` (TSCT_STAGE_ID_PDF in the
 * option layer, tsct/stage_core.h): the stage's params, the PDFgetX3 configuration file and
 * the PDFgetX3 keys the options override, in the order given. tsct_stage_pdf_setup_load reads
 * the file into *config (caller memory: a tsct_pdf_config is large), applies the overrides
 * and points p.config at it. Strings are borrowed. */
#define TSCT_STAGE_PDF_MAX_OVERRIDES 32

typedef struct tsct_stage_pdf_setup {
    tsct_stage_pdf_params p;        /* first: the params the option setter fills */
    const char *config_file;        /* -c, --config: required */
    const char *section;            /* -s, --section: applied after [DEFAULT] (NULL: none) */
    int noverrides;
    const char *key[TSCT_STAGE_PDF_MAX_OVERRIDES];   /* PDFgetX3 names (outputtype, qmax, ...) */
    const char *value[TSCT_STAGE_PDF_MAX_OVERRIDES];
    tsct_pdf_config *config;        /* caller memory, receives the configuration */
} tsct_stage_pdf_setup;

#define TSCT_STAGE_PDF_SETUP_DEFAULT                                                               \
    {                                                                                              \
        TSCT_STAGE_PDF_PARAMS_DEFAULT, NULL, NULL, 0, {NULL}, {NULL}, NULL                         \
    }

/* Read s->config_file (its s->section) into *s->config, apply the overrides and check the
 * result; container: the per-voxel or region mode, which refuses background files (subtract
 * them before reconstruction). Without container, the configuration's output key gives
 * p.output when none was set. *force (may be NULL) receives the configuration's force key.
 * Errors: those of tsct_pdf_config_read, _set and _check (naming the file and key),
 * TSCT_ERR_UNSUPPORTED (background files with container). */
tsct_status tsct_stage_pdf_setup_load(tsct_stage_pdf_setup *s, int container, int *force,
                                      tsct_error *err);

#ifdef __cplusplus
}
#endif

#endif /* TSCT_STAGE_PDF_H */
