/* calib_internal.h - what the parts of the calibration share: the image with its validity
 * mask, the control-point list, the starting-geometry search (calib_centre.c) and the point
 * picker (calib_points.c), driven by calibrate.c. */
#ifndef TSCT_CALIB_INTERNAL_H
#define TSCT_CALIB_INTERNAL_H

#include <stdint.h>

#include "tsct/calibrate.h"

typedef struct calib_image {
    const float *data;      /* [rows][cols] */
    const uint8_t *valid;   /* [rows][cols], 1 where the pixel may be used */
    int64_t rows, cols;
} calib_image;

typedef struct calib_points {
    tsct_calibrate_point *p;
    int64_t n, cap;
} calib_points;

/* The starting geometry without a guess: beam centre, then distance from the radial profile
 * matched to the calibrant (rot1 = rot2 = 0; rot3, pixels and wavelength from g). Errors:
 * TSCT_ERR_NOT_FOUND (no ring peaks in the profile), TSCT_ERR_VALUE (the peaks do not match
 * the calibrant), TSCT_ERR_NOMEM. */
tsct_status tsct__calib_start(const calib_image *im, const tsct_calibrant *cal,
                              const tsct_calibrate_params *params, tsct_poni *g,
                              tsct_error *err);

/* Replace pts by the control points picked about geometry g with half windows of window_px
 * pixels (bounded by 0.45 of the gap to the neighbouring rings). Errors: TSCT_ERR_NOMEM. */
tsct_status tsct__calib_pick(const calib_image *im, const tsct_poni *g, const tsct_calibrant *cal,
                             const tsct_calibrate_params *params, double window_px,
                             calib_points *pts, tsct_error *err);

/* 2theta range (rad) seen by the detector under geometry g (sampled on a grid of pixel
 * corners every 8 pixels and the edges). */
void tsct__calib_tth_range(const tsct_poni *g, int64_t rows, int64_t cols, double *tmin,
                           double *tmax);

#endif
