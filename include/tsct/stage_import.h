/* tsct/stage_import.h - data of other programs into a stage of the container.
 *
 * Part of the stage library: include "tsct/stage.h", which has the contract every stage
 * follows (params, context, report, errors, incremental runs, threads). */
#ifndef TSCT_STAGE_IMPORT_H
#define TSCT_STAGE_IMPORT_H

#include "tsct/stage_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- import: data of other programs into a stage of the container -------------------------
 * For data produced elsewhere (patterns integrated by pyFAI, sinograms or reconstructions from
 * nDTomo scripts) the source is read in one of these layouts (docs/import.md):
 *  - ARRAY: params->source "FILE.h5::/dataset" (integer or float, rank 1 to 5, not empty) is
 *    the stage's array; an array of rank < 5 gets leading axes of length 1 ([ny][nx][nq]
 *    becomes [1][1][ny][nx][nq]);
 *  - PYFAI: the output of pyFAI's HDF5Writer (pyFAI-integrate, the pyFAI worker): source
 *    "FILE.h5" (or "FILE.h5::/group" naming its NXdata) holds the NXdata named by the @default
 *    attributes of the file and its entry (e.g. /entry_0000/integrate/results) with the
 *    signal (@signal, e.g. I) [nframes][nq] or [nslow][fast][nq] and the radial axis
 *    "radial" in its @unit (q in nm^-1 or A^-1, or 2theta in deg with a wavelength); the
 *    frames, in acquisition order (slice, angle, translation), are cut into the scan
 *    [nt][nz][na][ns] given by the angles, translations and slices;
 *  - NDTOMO: an nDTomo sinogram cube "FILE.h5::/dataset" [ns][na][nq] (translations first,
 *    nDTomo's order) or [nz][ns][na][nq], stored as [1][nz][na][ns][nq]; its axis is
 *    params->axis or, when NULL, the dataset "q" beside it;
 *  - XY: a stack of text patterns (.xy, .chi, .dat: tsct/pattern.h) listed by a scan table,
 *    source "TABLE.csv" (tsct_pattern_table_read: file, angle, translation, and optionally
 *    time and slice of every pattern): the distinct values of each column, sorted, are the
 *    scan's axes (in the params' units, else deg, mm, s), every pattern lands at its place
 *    (one per place: a missing or doubled one is refused, naming it), all patterns must share
 *    the first one's x (its first column, relative 1e-6), which is the axis in
 *    params->axis_units (else A^-1). Stored in standard order (zigzag 0).
 * The array is copied row by row (never whole) as float32 into the target's dataset
 * [nt][nz][n2][n3][n] (integrated, sinograms, recon: /entry/STAGE/data; pdf: /entry/pdf/G).
 * The last axis' values (params->axis "FILE.h5::/dataset", or the layout's) are written to
 * /entry/STAGE/q (or /entry/pdf/r) in A^-1 (A for pdf): values in nm^-1, or 2theta (deg, rad)
 * with a wavelength, are converted. The scan axes come from params (integrated and sinograms
 * only): angles (deg), translations (mm), times (s) as "FILE.h5::/dataset" ("::/dataset":
 * in the source file) in their "units" attribute or the params' units (angle: deg, rad;
 * translation: mm, um, m; time: s, min, h), or as ranges "A:B:N" (angles: N values A + i
 * (B - A) / N, B excluded; translations: N values from A to B, both included), each checked
 * against the data's axis; they go to /entry/scan/{angle,translation,time,z}, and
 * /entry/scan@zigzag, @fast_axis and @wavelength (m) are set, so the sinogram stage takes
 * the container as it takes an integrated scan. The container is created when missing. The
 * copy is the resumable step /entry/process/import_STAGE (one unit per row, fingerprinted by
 * the source's path, size, modification time, the shape and the settings): the same call
 * after an interruption continues where it stopped, and the stage appears only when
 * complete. Non-finite values are kept (a warning to ctx->log counts them). */

typedef enum {
    TSCT_STAGE_IMPORT_INTEGRATED = 0,
    TSCT_STAGE_IMPORT_SINOGRAMS,
    TSCT_STAGE_IMPORT_RECON,
    TSCT_STAGE_IMPORT_PDF
} tsct_stage_import_target;

typedef enum {
    TSCT_STAGE_IMPORT_ARRAY = 0,
    TSCT_STAGE_IMPORT_PYFAI,
    TSCT_STAGE_IMPORT_NDTOMO,
    TSCT_STAGE_IMPORT_XY
} tsct_stage_import_layout;

typedef struct tsct_stage_import_params {
    const char *source;          /* the layout's source (required) */
    tsct_stage_import_target target; /* default TSCT_STAGE_IMPORT_RECON */
    const char *axis;            /* FILE.h5::/dataset of the last axis' values, or NULL */
    const char *axis_units;      /* NULL: the dataset's units attribute, else A^-1 (A for pdf) */
    int64_t time;                /* >= 0: store as time steps time, time + 1, ... of an existing
                                    stage (operando: append); -1: replace the stage */
    int deflate;                 /* 0..9 (0: no compression) */
    tsct_stage_import_layout layout; /* default ARRAY */
    const char *angles;          /* scan axes (above), or NULL */
    const char *translations;
    const char *times;
    const char *angle_units;     /* NULL: the dataset's, else deg */
    const char *translation_units; /* NULL: the dataset's, else mm */
    const char *time_units;      /* NULL: the dataset's, else s */
    int64_t slices;              /* PYFAI: slices of the scan (>= 1) */
    int zigzag;                  /* 1: odd angle rows recorded backwards (snake scan) */
    double wavelength;           /* A (0: unknown): /entry/scan@wavelength, 2theta axes */
} tsct_stage_import_params;

#define TSCT_STAGE_IMPORT_PARAMS_DEFAULT                                                           \
    {                                                                                              \
        NULL, TSCT_STAGE_IMPORT_RECON, NULL, NULL, -1, 1, TSCT_STAGE_IMPORT_ARRAY, NULL, NULL,     \
            NULL, NULL, NULL, NULL, 1, 0, 0.0                                                      \
    }

/* report->units: rows copied by this call (resumed ones excluded). Errors: TSCT_ERR_VALUE (a
 * spec without "::/dataset", parameters out of range, unknown units, a 2theta axis without a
 * wavelength, scan axes for recon or pdf or with time >= 0), TSCT_ERR_NOT_FOUND (no NXdata
 * in a pyFAI file), TSCT_ERR_SHAPE (more than 5 axes, an empty array, an axis of another
 * length than the data's, frames that do not fill whole scans, a resumed run of another shape),
 * TSCT_ERR_NOMEM, those of the HDF5 reader, the container and steps. */
tsct_status tsct_stage_import(const char *container, const tsct_stage_import_params *params,
                              const tsct_stage_ctx *ctx, tsct_stage_report *report,
                              tsct_error *err);

#ifdef __cplusplus
}
#endif

#endif /* TSCT_STAGE_IMPORT_H */
