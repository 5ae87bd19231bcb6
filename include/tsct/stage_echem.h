/* tsct/stage_echem.h - electrochemistry aligned with the time steps (/entry/echem).
 *
 * Part of the stage library: include "tsct/stage.h", which has the contract every stage
 * follows (params, context, report, errors, incremental runs, threads). */
#ifndef TSCT_STAGE_ECHEM_H
#define TSCT_STAGE_ECHEM_H

#include "tsct/stage_core.h"
#include "tsct/echem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- echem -----------------------------------------------------------------------------------
 * A potentiostat export (tsct_echem_read) -> /entry/echem (paths TSCT_PATH_ECHEM_* of
 * tsct/container.h, read back with tsct_echem_stored_read): the record {time, voltage,
 * current, capacity (mAh/g, within the half cycle)} [n] and, for each tomogram t (the time
 * steps of the first of /entry/integrated, sinograms, recon present), acquired from start
 * to end, the time-weighted mean capacity (mAh/g) and voltage over that window and the half
 * cycle at its middle [nt]. Replaces an earlier /entry/echem; no process record. */
typedef struct tsct_stage_echem_params {
    const char *file;            /* the potentiostat export (.csv, .mpt); required */
    tsct_echem_columns columns;  /* which columns, the time unit */
    double mass_mg;              /* active mass, > 0 (capacities in mAh/g) */
    double period;               /* tomogram t from start + t * period (s), > 0 ... */
    double start;                /* ... >= 0 ... */
    double duration;             /* ... for duration s (0: the period) */
    const char *windows;         /* or (not NULL) a two-column text file: start and end (s) of
                                    each tomogram, at least nt rows */
} tsct_stage_echem_params;

#define TSCT_STAGE_ECHEM_PARAMS_DEFAULT                                                            \
    {                                                                                              \
        NULL, TSCT_ECHEM_COLUMNS_DEFAULT, 0.0, 0.0, 0.0, 0.0, NULL                                 \
    }

/* Errors: those of tsct_echem_read and the container; TSCT_ERR_NOT_FOUND (no stage with
 * time steps), TSCT_ERR_SHAPE (fewer windows than tomograms), TSCT_ERR_VALUE (a window
 * outside the record, naming the tomogram; parameters out of range). */
tsct_status tsct_stage_echem(const char *container, const tsct_stage_echem_params *params,
                             const tsct_stage_ctx *ctx, tsct_stage_report *report, tsct_error *err);

/* The table of the tomograms' state of charge, read back from /entry/echem of container
 * (tsct_echem_stored_read) as CSV to out: a header line "t,start_s,end_s,capacity_mAh_g,
 * voltage_V,half_cycle" (after "# " when commented, as `tsct echem` prints it on a terminal),
 * then one row per tomogram. Errors: those of the container and the reader,
 * TSCT_ERR_NOT_FOUND (a tomogram_* vector missing), TSCT_ERR_IO (the stream). */
tsct_status tsct_stage_echem_table(const char *container, FILE *out, int commented,
                                   tsct_error *err);

#ifdef __cplusplus
}
#endif

#endif /* TSCT_STAGE_ECHEM_H */
