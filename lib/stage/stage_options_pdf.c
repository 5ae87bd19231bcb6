/* stage_options_pdf.c - the options of the pdf stage (tsct_stage_pdf_setup, tsct/stage_pdf.h)
 * as keys and values, for the option layer of stage_options.c: `tsct pdf` parses its command
 * line through them and the [pdf] step of `tsct run` its section. Most options are PDFgetX3
 * keys that override the configuration file; they are kept in order and applied after the
 * file is read (tsct_stage_pdf_setup_load), as PDFgetX3 does with its command line.
 */
#include <stdio.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/pdf.h"
#include "tsct/stage.h"

const tsct_stage_option tsct__stage_pdf_options[] = {
    {"config", 'c', TSCT_STAGE_OPTION_VALUE, 1, 0, "FILE: PDFgetX3 configuration (required)"},
    {"section", 's', TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME: apply [NAME] after [DEFAULT]"},
    {"output", 'o', TSCT_STAGE_OPTION_VALUE, 1, 0, "PATH: output file, folder or template"},
    {"outputtypes", 't', TSCT_STAGE_OPTION_VALUE, 0, 0, "LIST: iq,sq,fq,gr"},
    {"format", 'f', TSCT_STAGE_OPTION_VALUE, 0, 0, "twotheta | QA | Qnm"},
    {"background", 'b', TSCT_STAGE_OPTION_VALUE, 0, 0, "LIST: background pattern(s)"},
    {"bgscale", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "LIST: background scale(s)"},
    {"wavelength", 'w', TSCT_STAGE_OPTION_VALUE, 0, 0, "A: wavelength (twotheta data)"},
    {"twothetazero", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "DEG: 2theta zero offset"},
    {"composition", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "F: sample formula"},
    {"qmin", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "Q: 1/A"},
    {"qmax", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "Q: 1/A"},
    {"qmaxinst", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "Q: 1/A"},
    {"rmin", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "R: A"},
    {"rmax", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "R: A"},
    {"rstep", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "R: A"},
    {"rpoly", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "R: A (0: no polynomial correction)"},
    {"lorch", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "Lorch window on F(Q)"},
    {"threshold", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "F: per voxel, fraction of the largest"},
    {"reference", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "T: dPDF reference time step"},
    {"region", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME: the PDFs of /entry/regions/NAME"},
    {NULL, 0, 0, 0, 0, NULL}};

/* Options that are PDFgetX3 keys of another name. */
static const char *pdfgetx3_key(const char *option)
{
    static const char *const names[][2] = {
        {"outputtypes", "outputtype"}, {"format", "dataformat"}, {"background", "backgroundfile"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(option, names[i][0]) == 0)
            return names[i][1];
    return option;
}

tsct_status tsct__stage_pdf_set(void *params, const char *k, const char *v, tsct_error *err)
{
    tsct_stage_pdf_setup *s = params;
    if (strcmp(k, "config") == 0) {
        s->config_file = v;
    } else if (strcmp(k, "section") == 0) {
        s->section = v;
    } else if (strcmp(k, "output") == 0) {
        s->p.output = v;
        s->p.output_dir = v;
    } else if (strcmp(k, "threshold") == 0) {
        if (tsct_stage_parse_double(v, &s->p.threshold) != 0 || s->p.threshold < 0 ||
            s->p.threshold > 1)
            return tsct__stage_refuse(err, k, "--threshold expects a fraction 0..1, got '%s'", v);
    } else if (strcmp(k, "reference") == 0) {
        if (tsct_stage_parse_int64(v, &s->p.reference) != 0 || s->p.reference < 0)
            return tsct__stage_refuse(err, k, "--reference expects a time step >= 0, got '%s'",
                                      v);
    } else if (strcmp(k, "region") == 0) {
        s->p.region = v;
    } else {
        if (s->noverrides == TSCT_STAGE_PDF_MAX_OVERRIDES)
            return tsct__stage_refuse(err, k, "at most %d PDFgetX3 settings",
                                      TSCT_STAGE_PDF_MAX_OVERRIDES);
        s->key[s->noverrides] = pdfgetx3_key(k);
        s->value[s->noverrides++] = v ? v : "yes";
    }
    return TSCT_OK;
}

tsct_status tsct__stage_pdf_check(const tsct_stage_pdf_setup *s, tsct_error *err)
{
    if (!s->config_file)
        return tsct__stage_refuse(err, "config", "missing -c CONFIG (a PDFgetX3 .cfg file)");
    return TSCT_OK;
}

tsct_status tsct_stage_pdf_setup_load(tsct_stage_pdf_setup *s, int container, int *force,
                                      tsct_error *err)
{
    if (!s->config)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "config", -1,
                              "tsct_stage_pdf_setup_load: no configuration memory");
    TSCT_TRY(tsct__stage_pdf_check(s, err));
    tsct_pdf_config *cfg = s->config;
    tsct_pdf_config_init(cfg);
    TSCT_TRY(tsct_pdf_config_read(cfg, s->config_file, s->section, err));
    for (int i = 0; i < s->noverrides; i++)
        TSCT_TRY(tsct_pdf_config_set(cfg, s->key[i], s->value[i], NULL, -1, err));
    TSCT_TRY(tsct_pdf_config_check(cfg, err));
    if (container && cfg->nbackgroundfile > 0)
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, cfg->source, "backgroundfile", -1,
                              "--container works on reconstructed patterns: subtract the "
                              "background before reconstruction");
    if (!container && !s->p.output && cfg->output[0])
        s->p.output = cfg->output;
    if (force)
        *force = cfg->force;
    s->p.config = cfg;
    return TSCT_OK;
}
