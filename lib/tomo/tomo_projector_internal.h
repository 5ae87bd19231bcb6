/* tomo_projector_internal.h - the projector object, shared by tomo_projector.c and the
 * solvers in tomo_solvers.c. Private to lib/tomo. */
#ifndef TSCT_TOMO_PROJECTOR_INTERNAL_H
#define TSCT_TOMO_PROJECTOR_INTERNAL_H

#include "tomo/tomo_internal.h"
#include "tsct/tomo.h"

struct tsct_tomo_projector {
    tsct_tomo_projector_params params; /* resolved: image_size, nthreads > 0 */
    tsct__tomo_geom geom;
    const tsct__tomo_kernels *kern;
};

/* Unchecked forms of the public calls (arguments already validated). */
void tsct__projector_forward(const tsct_tomo_projector *proj, const float *image, int64_t nc,
                             float *sino);
void tsct__projector_adjoint(const tsct_tomo_projector *proj, const float *sino, int64_t nc,
                             float *image);

#endif
