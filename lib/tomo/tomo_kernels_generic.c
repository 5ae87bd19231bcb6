/* tomo_kernels_generic.c - the projection kernels for any CPU (the reference the SIMD variants
 * are tested against); see tomo_kernel_template.h. */
#include "tomo/tomo_internal.h"

#define TSCT__KNAME(name) name##_generic
#include "tomo/tomo_kernel_template.h"

const tsct__tomo_kernels tsct__tomo_kernels_generic = {
    "generic", 32, gather_tile_generic, scatter_angle_generic,
};
