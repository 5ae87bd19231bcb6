/* tsct/stage_refine.h - full-profile refinement (tsct/refine.h) as a stage.
 *
 * Part of the stage library: include "tsct/stage.h", which has the contract every stage
 * follows (params, context, report, errors, incremental runs, threads). */
#ifndef TSCT_STAGE_REFINE_H
#define TSCT_STAGE_REFINE_H

#include "tsct/stage_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- refine: full-profile refinement of one pattern (tsct/refine.h) -------------------------
 * The configuration params->config (INI, docs/refine.md) names the pattern ([data] file: .xy,
 * .chi, .dat; x in Q 1/A, Q 1/nm or 2theta degrees, from the header or [data] x; or
 * container = EXP.h5 with region = NAME, time = T: /entry/regions/NAME/pattern[T]), the
 * wavelength ([data] wavelength or poni), the phases ([phase.NAME] cif = FILE), single peaks
 * ([peak.NAME]), broad components ([broad.NAME] file = PATTERN), the background
 * ([background] terms), the instrument ([instrument] file = an instrument file and/or U V W
 * X Y zero), which parameters are refined (refine = ...), limits (limit.P = LO HI) and
 * excluded ranges. Writes PREFIX.txt (the report: parameters with ESDs, Rwp, Rexp, GoF, chi2,
 * weight fractions, correlations above the flag), PREFIX.cfg (the configuration with the
 * refined values) and, with png, PREFIX.png (observed, calculated, difference, reflection
 * ticks). With instrument: one [phase.NAME] with calibrant = CeO2 | LaB6 | Si (a built-in
 * standard of tsct/calibrant.h) has its lattice fixed at the certified value; U V W X Y zero
 * are refined (unless [instrument] refine says otherwise) and PREFIX.cfg is the instrument
 * file ([instrument] wavelength, U .. zero) that [instrument] file = loads.
 * Every run also writes the refined parameters as CSV (name,value,esd; then Rw): to
 * PREFIX-parameters.csv, or, when output names a folder (existing, or ending in '/': made),
 * to FOLDER/parameters.csv beside FOLDER/NAME-refined.{txt,cfg,png}.
 * [data] space = r refines G(r) instead (docs/refine.md "Real space"): file = a .gr (dG, its
 * fourth column when present, weighs), or container + region + time (/entry/regions/NAME/pdf
 * against its r), range (within the data), rstep, qmax (else the .gr header's); phases are
 * crystals (cif) or clusters (xyz = FILE, or cif with radius = R) with the parameters of
 * tsct/refine.h's real-space model; [instrument] qdamp, qbroad.
 * Errors name the configuration, line and key: TSCT_ERR_VALUE (an unknown section or key, a
 * parameter the component does not have, a value or limit outside physics, a fit range outside
 * the data), those of the CIF and .xyz readers (with the file), the pattern reader, the
 * refinement, the publication (an existing output without --force). */
typedef struct tsct_stage_refine_params {
    const char *config;     /* REFINE.cfg (required) */
    const char *output;     /* PREFIX or FOLDER/; NULL: the configuration without .cfg, plus
                               "-refined" (or "-instrument") */
    int instrument;         /* 1: instrument profile from a calibrant (above) */
    int png;                /* 1: write PREFIX.png (default 1) */
    FILE *report;           /* the report also goes here (NULL: only to PREFIX.txt) */
} tsct_stage_refine_params;

#define TSCT_STAGE_REFINE_PARAMS_DEFAULT {NULL, NULL, 0, 1, NULL}

tsct_status tsct_stage_refine_pattern(const tsct_stage_refine_params *params,
                                      const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                      tsct_error *err);

#ifdef __cplusplus
}
#endif

#endif /* TSCT_STAGE_REFINE_H */
