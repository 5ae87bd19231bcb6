/* tsct/stage_refine_series.h - the sequential refinement of a series: `tsct refine -c CFG`
 * when the configuration has a [series] section (docs/refine.md, "Series").
 *
 * The configuration is that of one pattern (tsct_stage_refine_pattern in tsct/stage.h) plus
 *
 *   [series]
 *   source = region | integrated | files   (default: files when `files` is given, region
 *                                           when [data] region is, else integrated)
 *   files  = PATTERNS    files or glob patterns (each sorted), in order: one time step each
 *   output = EXP.h5      files only: the container the results go to (made when absent);
 *                        a container's series writes into [data] container
 *   name   = NAME        the results' group /entry/refine/NAME (default "series")
 *   start  = previous | first   each step starts from the previous step's result (default)
 *                               or from the configuration's values
 *   absent_below = W      a phase under weight fraction W (0 .. 0.5; 0: off) after a step's
 *                         refinement is absent from it: scale held at 0, its other
 *                         parameters at the step's start, the step refined again; its values
 *                         NaN, its weight fraction 0
 *
 * region: /entry/regions/REGION/pattern [nt][nq] of [data] container, region = REGION;
 * integrated: /entry/integrated/data [nt][nz][na][ns][nq] summed over each time step's frames
 * (a bin empty in every frame left out). Every pattern must share the first one's grid after
 * [data] range. The model is built once; the same parameters are refined at every step.
 */
#ifndef TSCT_STAGE_REFINE_SERIES_H
#define TSCT_STAGE_REFINE_SERIES_H

#include "tsct/stage.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Refine every time step of the series of params->config (params->instrument must be 0).
 * Writes, through one container step "refine_NAME" (lower case; resumable: an interrupted
 * series continues after the last finished time step, starting from its stored values), in
 * the map layout [nt][nz][ny][nx] with nz = ny = nx = 1, float32, NaN where not refined:
 *   /entry/refine/NAME/COMP/PARAM and PARAM_esd   every refined parameter (COMP a phase,
 *        instrument, bg, a peak or a broad component: .../NMC111/a, .../bg/0); the value
 *        in the unit of tsct/refine.h (A, degrees, nm), the ESD NaN at a bound or singular
 *   /entry/refine/NAME/PHASE/weight_fraction, weight_fraction_esd (0 .. 1; Hill & Howard),
 *        volume (A^3)
 *   /entry/refine/NAME/rwp, gof, status (0 converged, 1 iteration limit, 2 singular, 3 the
 *        step could not be refined: its values NaN, the next step starts from the last good)
 * then PREFIX-parameters.csv (params->output, default the configuration without .cfg plus
 * "-series"): a comment line, the header "step,time,capacity,voltage,NAME,NAME_esd,...",
 * one row per time step (time in s: /entry/echem's tomogram windows' middles, else
 * /entry/scan/time; capacity mAh/g and voltage V of /entry/echem's tomograms; "nan" where
 * unknown), and with params->png one PNG per nonlinear refined parameter and (two phases or
 * more) weight fraction, PREFIX-COMP.PARAM.png, against time in h (else the time step), and
 * PREFIX-voltage.png, the voltage record on the same time span. With ctx->incremental and a
 * complete record of the same configuration and inputs, nothing is done. A line per step goes
 * to params->report when given. Errors: those of tsct_stage_refine_pattern (naming the
 * configuration, line and key), TSCT_ERR_VALUE ([series] keys: unknown, a source without its
 * data, files with a container), TSCT_ERR_NOT_FOUND (no file matches, no such dataset),
 * TSCT_ERR_SHAPE (a pattern off the first one's grid, naming it and the point), those of the
 * container and of the publication (an existing output without --force). */
tsct_status tsct_stage_refine_series(const tsct_stage_refine_params *params,
                                     const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                     tsct_error *err);

#ifdef __cplusplus
}
#endif

#endif /* TSCT_STAGE_REFINE_SERIES_H */
