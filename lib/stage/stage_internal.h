/* stage_internal.h - pieces shared by the stages of lib/stage (not public). */
#ifndef TSCT_STAGE_INTERNAL_H
#define TSCT_STAGE_INTERNAL_H

#include "tsct/stage.h"

/* Find the centre of a profile [na][ns] as mode asks (value: TSCT_CENTRE_FIXED's); logs both
 * methods for AUTO under the label what. *centre = -1 when no centring is wanted (NONE). */
tsct_status tsct__stage_find_centre(const tsct_stage_ctx *ctx, const char *what,
                                    tsct_centre_mode mode, double value, const float *profile,
                                    int64_t na, int64_t ns, const double *th, double *centre,
                                    tsct_error *err);

/* A whole array from FILE.h5::/dataset, or from an image file (TIFF, EDF, ...) when spec has
 * no "::": *ndim axes in shape, the values as float in *data (malloc'd, the caller frees).
 * what names the array in messages. */
tsct_status tsct__stage_read_array(const char *spec, const char *what, int *ndim,
                                   int64_t *shape, float **data, tsct_error *err);

#endif
