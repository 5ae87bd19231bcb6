/* tsct/stage_edxrd.h - energy-dispersive spectra into the integrated cube, and their figures.
 *
 * Part of the stage library: include "tsct/stage.h", which has the contract every stage
 * follows (params, context, report, errors, incremental runs, threads). */
#ifndef TSCT_STAGE_EDXRD_H
#define TSCT_STAGE_EDXRD_H

#include "tsct/stage_core.h"
#include "tsct/edxrd.h"
#include "tsct/figure.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- edxrd: energy-dispersive spectra into the integrated cube ------------------------------
 * A series of MCA spectra (tsct/edxrd.h: text files or FILE.h5::/path with live_time, z, time)
 * -> /entry/integrated/data and sigma [nt][nz][1][1][nbin] (float32, per second of live time,
 * divided by the normalisation) on a common axis /entry/integrated/q [nbin] (bin centres: d
 * in A, attribute units "A", or q in 1/A), with /entry/scan/z [nz] (mm: the layers, the
 * distinct z of the spectra in increasing order), /entry/scan/time [nt] (s: the mean time of
 * each round of layers), angle and translation [1], /entry/edxrd/time [nt][nz] (s: each
 * spectrum's time stamp; NaN where a round lacks a layer, whose pattern is NaN) and the
 * calibration as attributes of /entry/edxrd (coef, tth, their ESDs). The spectra of a layer
 * are its time steps in the order of their time stamps. One step, /entry/process/edxrd, one
 * unit per spectrum. docs/edxrd.md. */

typedef enum {
    TSCT_STAGE_EDXRD_AXIS_D = 0, /* d, A, increasing */
    TSCT_STAGE_EDXRD_AXIS_Q      /* q, 1/A, increasing */
} tsct_stage_edxrd_axis;

typedef enum {
    TSCT_STAGE_EDXRD_NORM_SMOOTH = 0, /* a smooth curve fitted under each spectrum in the window
                                         (tsct_edxrd_smooth_fit, degree smooth_degree) */
    TSCT_STAGE_EDXRD_NORM_INCIDENT,   /* the measured incident spectrum `incident` (same channels),
                                         scaled to a maximum of 1 */
    TSCT_STAGE_EDXRD_NORM_NONE
} tsct_stage_edxrd_norm;

typedef struct tsct_stage_edxrd_params {
    const char *const *spectra;   /* specs (required) */
    int64_t nspectra;             /* >= 1 */
    tsct_edxrd_calibration calibration; /* channel -> energy and 2theta; with a calibrant
                                     spectrum, the starting guess */
    const char *calibrant_spectrum; /* a spectrum to calibrate from (NULL: use calibration) */
    const char *calibrant;        /* its reflections (tsct/calibrant.h; default "CeO2") */
    const char *lines;            /* elements whose K lines it shows, comma-separated ("Ce,Pb";
                                     NULL: none, and then 2theta is not refined) */
    double fwhm_kev;              /* the peaks' starting FWHM for the calibration (0.5) */
    tsct_stage_edxrd_axis axis;
    double min, max;              /* the axis range (d in A or q in 1/A), min < max */
    int64_t bins;                 /* >= 2 (700) */
    double beam_min, beam_max;    /* keV: the white beam's range; the axis' energies must lie
                                     inside (0, 0: the calibrated spectrum's range) */
    tsct_stage_edxrd_norm norm;
    const char *incident;         /* INCIDENT: a spectrum spec */
    int smooth_degree;            /* SMOOTH: 0 .. 8 (3) */
    int deadtime;                 /* 1: divide by each spectrum's live time (required then) */
} tsct_stage_edxrd_params;

#define TSCT_STAGE_EDXRD_PARAMS_DEFAULT                                                            \
    {                                                                                              \
        NULL, 0, {1, {0, 0, 0, 0}, 0, {0, 0, 0, 0}, 0, 0}, NULL, "CeO2", NULL, 0.5,                \
            TSCT_STAGE_EDXRD_AXIS_D, 0, 0, 700, 0, 0, TSCT_STAGE_EDXRD_NORM_SMOOTH, NULL, 3, 1     \
    }

/* The container is created when missing (its other results are kept). report->units: spectra
 * converted. Errors: TSCT_ERR_VALUE (parameters out of range; a spectrum without a live time
 * with deadtime, naming it; the axis' energies outside the beam's range or the calibrated
 * channels; no z on spectra of several layers), TSCT_ERR_SHAPE (a spectrum or the incident
 * spectrum of another length), those of the readers, the calibration, the container and
 * steps. */
tsct_status tsct_stage_edxrd(const char *container, const tsct_stage_edxrd_params *params,
                             const tsct_stage_ctx *ctx, tsct_stage_report *report,
                             tsct_error *err);

/* The figures of an EDXRD experiment (the V2O5 study's), drawn by lib/figure from what tsct
 * edxrd, tsct fit --source integrated and tsct echem wrote:
 *  LAYER   one layer's patterns /entry/integrated[:][layer] as a film, intensity in d (or q)
 *          against time (h), each row at its spectrum's time stamp (/entry/edxrd/time; rows
 *          span the midpoints to the neighbouring spectra of the layer), with the voltage
 *          record of /entry/echem in a panel beside it when present;
 *  FRONTS  the parameter `param` of /entry/fits/FIT against time (each round's mean time, h),
 *          one curve per layer with ESD bars; points whose fit failed (status > 1) or whose
 *          area_1 is under 5 ESDs (the reflection absent) are left out.
 * The container is opened read-only. */
typedef enum {
    TSCT_STAGE_EDXRD_FIGURE_LAYER = 0,
    TSCT_STAGE_EDXRD_FIGURE_FRONTS
} tsct_stage_edxrd_figure_kind;

typedef struct tsct_stage_edxrd_figure_params {
    tsct_stage_edxrd_figure_kind kind;
    const char *input;       /* the container (required) */
    const char *output;      /* the PNG (required) */
    int64_t layer;           /* LAYER: the layer (z index), >= 0 */
    int have_range;          /* LAYER: only the axis from range[0] to range[1] */
    double range[2];
    const char *fit;         /* FRONTS: /entry/fits/FIT (required) */
    const char *param;       /* FRONTS: e.g. "position_1" (required) */
    tsct_figure_params p;    /* size, labels, colour map */
} tsct_stage_edxrd_figure_params;

#define TSCT_STAGE_EDXRD_FIGURE_PARAMS_DEFAULT                                                     \
    {                                                                                              \
        TSCT_STAGE_EDXRD_FIGURE_LAYER, NULL, NULL, 0, 0, {0, 0}, NULL, NULL,                       \
            TSCT_FIGURE_PARAMS_DEFAULT                                                             \
    }

/* Errors: TSCT_ERR_VALUE (missing fields, a layer beyond the experiment, a range holding under
 * two axis values, an unknown parameter, naming the fit's), TSCT_ERR_NOT_FOUND (no
 * /entry/edxrd/time: not an EDXRD experiment; no such fit), TSCT_ERR_SHAPE (data not as tsct
 * edxrd writes them), TSCT_ERR_IO (the PNG), those of the container. */
tsct_status tsct_stage_edxrd_figure(const tsct_stage_edxrd_figure_params *params,
                                    const tsct_stage_ctx *ctx, tsct_error *err);

#ifdef __cplusplus
}
#endif

#endif /* TSCT_STAGE_EDXRD_H */
