/* tsct/stage_calibrate.h - detector calibration from a calibrant frame (tsct/calibrate.h)
 * as a stage.
 *
 * Part of the stage library: include "tsct/stage.h", which has the contract every stage
 * follows (params, context, report, errors, incremental runs, threads). */
#ifndef TSCT_STAGE_CALIBRATE_H
#define TSCT_STAGE_CALIBRATE_H

#include "tsct/stage_core.h"
#include "tsct/poni.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- calibration ----------------------------------------------------------------------------
 * What `tsct calibrate` reads and draws around tsct_calibrate (include/tsct/calibrate.h). */

struct tsct_calibrate_result;
struct tsct_calibrant;
struct tsct_image;

/* Read the calibrant frame at image into img (caller memory, tsct_image_init'd) and its mask
 * into *mask ([rows][cols], 1 = masked, malloc'd: the caller frees): negative pixels, the
 * module gaps of g's detector when g names one with a shape, and the non-zero pixels of the
 * image at mask_path (or NULL). flip: turn image and mask upside down (Dioptas' TIFFs).
 * Errors: those of the image reader; TSCT_ERR_SHAPE (the image or the mask of another shape
 * than the detector or the image), TSCT_ERR_NOMEM. */
tsct_status tsct_stage_calibration_image(const char *image, const char *mask_path, int flip,
                                          const tsct_poni *g, struct tsct_image *img,
                                          uint8_t **mask, tsct_error *err);

/* The refined geometry as `tsct calibrate` prints it, to out: the calibrant, its reference,
 * the rings and control points used; one line per parameter of tsct_calibrate (name, value
 * %.9g, "+- ESD", "(fixed)" for a fixed one); the 2theta residual in degrees RMS and pixels.
 * Errors: TSCT_ERR_IO (the stream). */
tsct_status tsct_stage_calibration_table(FILE *out, const struct tsct_calibrate_result *res,
                                         const struct tsct_calibrant *cal, tsct_error *err);

/* A PNG at path: log10(counts + 1) of img binned to at most ~900 pixels a side (masked pixels
 * left out), the control points of res in red, the calculated rings of cal at res's geometry
 * in yellow, axes in pixels. Errors: TSCT_ERR_NOMEM, those of tsct_figure_map_overlay. */
tsct_status tsct_stage_calibration_png(const struct tsct_image *img, const uint8_t *mask,
                                        const struct tsct_calibrate_result *res,
                                        const struct tsct_calibrant *cal, const char *path,
                                        tsct_error *err);

/* The whole calibration of `tsct calibrate`: the frame and its mask, the calibrant's rings
 * down to the detector's largest 2theta, tsct_calibrate from the starting geometry, then the
 * PONI (pyFAI version 2) and optionally the PNG. */
typedef struct tsct_stage_calibrate_params {
    const char *image;       /* the calibrant frame (required) */
    const char *calibrant;   /* CeO2, LaB6, Si, ..., a pyFAI .D file or a CIF (required) */
    const char *detector;    /* pyFAI detector name; NULL: the guess PONI's */
    double pixel_um;         /* pixel size in micrometres of a generic Detector (0: the
                                detector's) */
    double wavelength;       /* Angstrom; 0: from energy_kev or the guess */
    double energy_kev;       /* keV instead of the wavelength (0: not given) */
    const char *guess;       /* starting geometry, a PONI file (NULL: none) */
    double distance;         /* m: > 0 gives a starting geometry without tilt with the beam
                                centre below (instead of guess) */
    double centre[2];        /* beam centre X (column), Y (row), pixels, with distance */
    const char *mask;        /* mask image (non-zero = masked) or NULL */
    int flip;                /* 1: the frame upside down first (Dioptas' TIFFs) */
    const char *refine;      /* "dist,poni1,...", NULL: TSCT_CALIB_DEFAULT_REFINE */
    int max_rings;           /* 0: every ring on the detector */
    const char *output;      /* the PONI to write (required) */
    const char *png;         /* the frame with points and rings, or NULL */
    int accept_misfit;       /* 1: write even when the rings do not fit well */
    const char *note;        /* one line for the PONI's comment (tsct_poni_write_v2_noted),
                                or NULL */
} tsct_stage_calibrate_params;

#define TSCT_STAGE_CALIBRATE_PARAMS_DEFAULT                                                  \
    {NULL, NULL, NULL, 0.0, 0.0, 0.0, NULL, 0.0, {0.0, 0.0}, NULL, 0, NULL, 0, NULL, NULL, 0, \
     NULL}

/* Calibrate as params say, with ctx's threads. *result (may be NULL) receives the
 * calibration (free with tsct_calibrate_result_destroy) and *calibrant (may be NULL) the rings
 * used (tsct_calibrant_destroy), also when the rings fit badly. report->what: the RMS ring
 * residual. Errors: TSCT_ERR_VALUE (a missing image, calibrant, output, detector or
 * wavelength; both a guess and a beam centre; the rings do not fit well and accept_misfit is
 * 0: nothing written, the result still returned), those of tsct_stage_calibration_image,
 * tsct_calibrant_create, tsct_calibrate and the writers; TSCT_NOT_CONVERGED is reported as a
 * warning and the PONI written. */
tsct_status tsct_stage_calibrate(const tsct_stage_calibrate_params *params,
                                 const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                 struct tsct_calibrate_result **result,
                                 struct tsct_calibrant **calibrant, tsct_error *err);

#ifdef __cplusplus
}
#endif

#endif /* TSCT_STAGE_CALIBRATE_H */
