/* tsct/calibrate.h - detector calibration: the PONI geometry from a frame of a powder
 * calibrant (CeO2, LaB6, Si, ...), as pyFAI-calib2 finds it.
 *
 * Method (docs/calibrate.md):
 *  1. Starting geometry. Without a guess (the beam centre on or near the detector): the beam
 *     centre is the point about which the image's azimuthal average is sharpest (the
 *     between-radius variance of sqrt(counts) is largest), found on a grid over the detector
 *     and its margins, then refined; the distance follows from the radial profile about that
 *     centre, whose peaks are matched to the calibrant's rings (the scale that explains the
 *     most peaks and predicts the fewest missing rings); no tilt. With a guess (any geometry,
 *     also strongly tilted or off-centre detectors) it is used as it is.
 *  2. Control points. Along each ring that the detector sees, every `spacing` pixels of arc:
 *     the image is sampled across the ring along the straight line of constant azimuth
 *     between 2theta_ring -+ w (every quarter pixel, bilinearly between pixel centres); the
 *     ring's position is the centroid in 2theta of the samples above half the maximum over a
 *     linear background, weighted by their height above half maximum. A point is kept when its
 *     peak stands `min_snr` Poisson sigmas above the background, no sample touches a masked or
 *     negative pixel (module gaps, the beam stop), and the peak is neither at the window's
 *     edge nor as wide as the window. w is the window (first_window_px, then window_px) but at
 *     most 0.45 of the gap to the neighbouring rings; rings whose window would be narrower
 *     than 3 pixels are left out. Each point belongs to the ring whose window it was found in.
 *  3. Refinement: least squares (tsct_fit_lsq) of the points' 2theta residuals
 *        r_k = 2theta(d1_k, d2_k; geometry) - 2 asin(lambda / 2 d_ring(k))
 *     over the chosen parameters, with lib/geometry's (pyFAI's) formulas and their analytic
 *     derivatives (tsct_geometry_tth_gradient); without a guess the first pass refines only
 *     dist, poni1 and poni2. Points whose residual exceeds 4 robust sigmas (1.4826 MAD, at
 *     least a tenth of a pixel) are dropped and the fit repeated; then control points are
 *     picked again about the refined geometry in the narrower windows, on every ring, and
 *     refined again (twice).
 *     rot3 (a rotation about the beam) leaves every 2theta unchanged: it cannot be refined
 *     from rings and is kept at its starting value.
 *  ESDs: sqrt(diag((J^T J)^-1) chi2 / (n - m)), the residual's scatter carried to the
 *  parameters (as pyFAI's and scipy's least squares report them).
 *
 * Checks on the result: fewer than `min_points` points or no ring with points gives
 * TSCT_ERR_NOT_FOUND ("no calibrant rings found"); a calibrant whose rings do not match the
 * radial profile (without a guess) gives TSCT_ERR_VALUE naming the calibrant and how many of
 * its rings were found; an RMS residual larger than 2 `warn_px` pixels (in 2theta at the PONI
 * distance), or larger than `warn_px` / 2 and three times the points' own scatter (noise_px:
 * a smooth misfit), or a ring whose mean residual is off by more than `warn_px` sets
 * result->warning with the figures (a wrong wavelength or calibrant shows this way; rings with
 * fewer than 30 points are not judged by their mean). With a single ring on the detector only
 * poni1 and poni2 are refined (a ring fixes where it lies, not the distance or the tilts) and
 * result->note says so.
 *
 * Units: SI (metres, radians) as tsct_poni; d-spacings and the calibrant in Angstrom.
 * Images are [rows][cols] float32, row = pyFAI axis 1 (poni1), column = axis 2 (poni2).
 * Thread safety: reentrant; nthreads OpenMP threads for the centre search.
 */
#ifndef TSCT_CALIBRATE_H
#define TSCT_CALIBRATE_H

#include <stdint.h>

#include "tsct/calibrant.h"
#include "tsct/poni.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parameters that may be refined (bits of tsct_calibrate_params.refine), in this order in the
 * result's esd[]. */
enum {
    TSCT_CALIB_DIST = 1u << 0,
    TSCT_CALIB_PONI1 = 1u << 1,
    TSCT_CALIB_PONI2 = 1u << 2,
    TSCT_CALIB_ROT1 = 1u << 3,
    TSCT_CALIB_ROT2 = 1u << 4,
    TSCT_CALIB_ROT3 = 1u << 5,
    TSCT_CALIB_WAVELENGTH = 1u << 6,
};
#define TSCT_CALIB_NPARAMS 7
#define TSCT_CALIB_DEFAULT_REFINE                                                             \
    (TSCT_CALIB_DIST | TSCT_CALIB_PONI1 | TSCT_CALIB_PONI2 | TSCT_CALIB_ROT1 | TSCT_CALIB_ROT2)

/* Parse "dist,poni1,poni2,rot1,rot2,rot3,wavelength" (any subset, comma-separated, also
 * "all" = the first five) into bits. Errors: TSCT_ERR_VALUE naming the unknown name, and for
 * rot3 (not determined by rings). */
tsct_status tsct_calibrate_refine_parse(const char *list, unsigned *bits, tsct_error *err);

/* The name of parameter i (0 .. 6): "dist", "poni1", ..., "wavelength". */
const char *tsct_calibrate_param_name(int i);

typedef struct tsct_calibrate_params {
    int use_guess;          /* 1: start from the geometry given (else: find it, step 1) */
    unsigned refine;        /* TSCT_CALIB_* bits; rot3 is refused */
    double spacing;         /* pixels of arc between control points (> 0; default 3) */
    double min_snr;         /* peak above background in Poisson sigmas (default 6) */
    double window_px;       /* half width of the search across a ring after the first
                               refinement, pixels (default 6) */
    double first_window_px; /* the same for the first pass about the starting geometry
                               (default 25; bounded by 0.45 of the gap to the next ring) */
    int64_t min_points;     /* fewer points is "no rings found" (default 20) */
    double warn_px;         /* ring offset (twice it: RMS residual) that raises a warning,
                               pixels (default 0.6) */
    int max_rings;          /* use at most this many rings, innermost first (0: all) */
    int nthreads;           /* 0: all cores */
} tsct_calibrate_params;

#define TSCT_CALIBRATE_PARAMS_DEFAULT                                                        \
    {0, TSCT_CALIB_DEFAULT_REFINE, 3.0, 6.0, 6.0, 25.0, 20, 0.6, 0, 0}

/* One control point: fractional pixel coordinates (centre of pixel (i, j) = (i + .5, j + .5)),
 * the ring it belongs to (index into the calibrant) and its residual at the result, rad. */
typedef struct tsct_calibrate_point {
    double d1, d2;
    int64_t ring;
    double residual;
    float height;           /* peak above background, counts */
} tsct_calibrate_point;

typedef struct tsct_calibrate_result {
    tsct_poni poni;             /* the refined geometry (detector, pixels, shape as given) */
    double esd[TSCT_CALIB_NPARAMS];  /* 0 for parameters not refined; NaN if undetermined */
    double rms_deg;             /* RMS of the points' 2theta residuals, degrees */
    double rms_px;              /* the same in pixels at the PONI distance */
    double noise_px;            /* the points' scatter about their neighbours along a ring,
                                   pixels: sqrt(mean((r_k - r_k-1)^2) / 2) */
    int64_t npoints;
    tsct_calibrate_point *points;   /* npoints, owned by the result */
    int64_t nrings;             /* rings with control points */
    double tth_max;             /* largest 2theta of a used ring, rad */
    int niter;                  /* least-squares iterations, all passes */
    int warning;                /* 1: the rings do not fit well (see message) */
    char message[512];          /* the warning (empty when none) */
    char note[256];             /* what was done differently (one ring: only poni1, poni2
                                   refined); empty when nothing */
} tsct_calibrate_result;

/* Calibrate: image [rows][cols] (float32 counts), mask [rows][cols] (nonzero = masked; may be
 * NULL; negative and non-finite pixels are masked in any case), geometry: the detector (pixel1,
 * pixel2, name, shape), the wavelength (m, required) and, with params->use_guess, the starting
 * geometry (with use_guess 0 only rot3 is taken from it). Result allocated into *out (free
 * with tsct_calibrate_result_destroy). Errors: TSCT_ERR_VALUE (bad parameters or geometry,
 * wavelength missing, a calibrant that does not match), TSCT_ERR_SHAPE (image shape),
 * TSCT_ERR_NOT_FOUND (no rings found), TSCT_ERR_NOMEM; TSCT_NOT_CONVERGED (result usable).
 * On error *out is NULL. */
tsct_status tsct_calibrate(const float *image, const uint8_t *mask, int64_t rows, int64_t cols,
                           const tsct_poni *geometry, const tsct_calibrant *calibrant,
                           const tsct_calibrate_params *params, tsct_calibrate_result **out,
                           tsct_error *err);

/* The ring residual of a given geometry on an image, measured as tsct_calibrate measures its
 * own: control points picked about `geometry` (params->window_px, no refinement), their RMS
 * 2theta residual in *rms_deg and their count in *npoints. For comparing a calibration with
 * another one (a shipped PONI). Errors as tsct_calibrate. */
tsct_status tsct_calibrate_residual(const float *image, const uint8_t *mask, int64_t rows,
                                    int64_t cols, const tsct_poni *geometry,
                                    const tsct_calibrant *calibrant,
                                    const tsct_calibrate_params *params, double *rms_deg,
                                    int64_t *npoints, tsct_error *err);

void tsct_calibrate_result_destroy(tsct_calibrate_result *res);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_CALIBRATE_H */
