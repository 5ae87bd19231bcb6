/* integrate_internal.h - the integration plan's layout, shared by integrate_plan.c (which
 * builds it) and integrate_exec.c (which runs it). Not part of the public API. */
#ifndef TSCT_INTEGRATE_INTERNAL_H
#define TSCT_INTEGRATE_INTERNAL_H

#include <stdint.h>

#include "tsct/integrate.h"

struct tsct_integrate_plan {
    tsct_integrate_params params;   /* as given, radial range filled in (output unit) */
    int64_t rows, cols, npix, npt;
    int nthreads;                   /* resolved */
    int unit_weights;               /* every weight is 1 (no splitting) */
    double *radial;                 /* [npt] bin centres, output unit */
    float *norm;                    /* [npix] flat * solid angle * polarization; 0 = unused */
    float *dark;                    /* [npix] or NULL */
    /* pixel-major entries (pixel ascending): pixel, bin, weight */
    int64_t nnz;
    int32_t *pix, *bin;
    float *weight;
    /* bin-major copy (CSR): entries of bin b are row_ptr[b] .. row_ptr[b + 1] - 1 */
    int64_t *row_ptr;
    int32_t *row_pix;
    float *row_weight;
    int64_t max_row;                /* most entries in one bin */
};

#endif
