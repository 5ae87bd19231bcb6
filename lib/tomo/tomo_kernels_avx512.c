/* tomo_kernels_avx512.c - the projection kernels compiled for x86-64 AVX-512 (16-float
 * vectors, fused multiply-adds allowed), chosen at plan time when the CPU has AVX-512F/VL;
 * see tomo_kernel_template.h. Elsewhere this file defines an empty table. */
#include "tomo/tomo_internal.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
/* GCC takes the target for the whole file; clang ignores that pragma (the kernels would
 * compile as generic code) and needs it as an attribute on every function. */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx2,fma"))), apply_to = function)
#pragma clang fp contract(fast)
#else
#pragma GCC target("avx512f,avx512vl,avx2,fma")
#pragma GCC optimize("fp-contract=fast")
#endif
#define TSCT__KNAME(name) name##_avx512
#define TSCT__VW 16
#include "tomo/tomo_kernel_template.h"
#if defined(__clang__)
#pragma clang attribute pop
#endif

const tsct__tomo_kernels tsct__tomo_kernels_avx512 = {
    "avx512", 64, gather_tile_avx512, scatter_angle_avx512,
};
#else
const tsct__tomo_kernels tsct__tomo_kernels_avx512 = {NULL, 0, NULL, NULL};
#endif
