/* tomo_internal.h - private to lib/tomo: the shared geometry, the back-projection and
 * forward-projection kernels behind one function table, and their parallel drivers.
 *
 * Design: FBP and the projector pair use one pixel-driven, linear-interpolation geometry
 * (skimage's iradon conventions, see include/tsct/tomo.h and docs/tomo.md). The innermost
 * work is "for a pixel and an angle, add a linear interpolation of two detector bins to every
 * channel": the interpolation index and fraction are computed once per (pixel, angle) and
 * applied to a contiguous run of channels, which vectorises. The kernels process one image
 * tile (gather, for back projection) or one angle (scatter, for forward projection); the
 * drivers in tomo_geometry.c spread tiles / angles over an OpenMP team. SIMD variants of the
 * kernels live in their own files (tomo_kernels_*.c), compiled from one template
 * (tomo_kernel_template.h), and are chosen once when a plan is made. */
#ifndef TSCT_TOMO_INTERNAL_H
#define TSCT_TOMO_INTERNAL_H

#include <stdint.h>

#include "tsct/status.h"

/* Image tile edge (pixels), angles per pass over a tile, most channels per kernel call. */
#define TSCT__TOMO_TILE 16
#define TSCT__TOMO_ABLOCK 16
#define TSCT__TOMO_CH 64

/* Parallel-beam geometry shared by FBP and the projector pair. */
typedef struct tsct__tomo_geom {
    int64_t na;       /* angles */
    int64_t ns;       /* detector positions of the input sinogram */
    int64_t n;        /* image rows = columns */
    int64_t radius;   /* n / 2: the image centre (row and column index) */
    int circle;       /* 1: only pixels inside the inscribed circle are computed */
    double *cosv;     /* [na] cos(theta) */
    double *sinv;     /* [na] sin(theta) */
    int64_t *xlo;     /* [n] first column computed in each row */
    int64_t *xhi;     /* [n] one past the last column computed in each row (xhi <= xlo: none) */
} tsct__tomo_geom;

/* Validate and fill a geometry (`who` names the caller in error messages). Allocates; release
 * with tsct__tomo_geom_release(), also after a failure. */
tsct_status tsct__tomo_geom_init(tsct__tomo_geom *g, int64_t na, int64_t ns,
                                 const double *angles_deg, int64_t n, int circle,
                                 const char *who, tsct_error *err);
void tsct__tomo_geom_release(tsct__tomo_geom *g);

/* Detector data to back-project: bin b of angle a, channel c is
 * data[a * astride + b * bstride + c], b in [0, nbins). A pixel at offset t from the axis reads
 * coordinate u = t + u0; u outside [0, nbins - 1] contributes 0 (as numpy.interp with
 * left = right = 0); u = nbins - 1 exactly reads the last bin. nbins >= 2. */
typedef struct tsct__bp_src {
    const float *data;
    int64_t astride;
    int64_t bstride;
    int64_t nbins;
    double u0;
} tsct__bp_src;

/* Back-project channels [0, nch) (nch <= the table's ch) of src into the tile rows [r0, r1),
 * columns [c0, c1) (at most TSCT__TOMO_TILE each): every pixel of the tile is written,
 * image[(r * n + c) * ld + ch] = scale * sum over angles, or 0 outside the computed region. */
typedef void (*tsct__gather_tile_fn)(const tsct__tomo_geom *g, const tsct__bp_src *src,
                                     int64_t nch, int64_t r0, int64_t r1, int64_t c0,
                                     int64_t c1, float scale, float *image, int64_t ld);

/* Forward-project angle a: row[ns][nc] = sum over computed pixels of the linear-interpolation
 * scatter of image[n][n][nc] (the exact adjoint of the gather with u0 = ns / 2). */
typedef void (*tsct__scatter_angle_fn)(const tsct__tomo_geom *g, const float *image,
                                       int64_t nc, int64_t a, float *row);

typedef struct tsct__tomo_kernels {
    const char *name;
    int64_t ch; /* channels per gather call (its fast path); <= TSCT__TOMO_CH */
    tsct__gather_tile_fn gather_tile;
    tsct__scatter_angle_fn scatter_angle;
} tsct__tomo_kernels;

extern const tsct__tomo_kernels tsct__tomo_kernels_generic;
/* NULL name where the compiler cannot target AVX2 + FMA / AVX-512. */
extern const tsct__tomo_kernels tsct__tomo_kernels_avx2;
extern const tsct__tomo_kernels tsct__tomo_kernels_avx512;

/* The fastest kernels this CPU runs (chosen once per plan). The environment variable
 * TSCT_TOMO_KERNELS = generic | avx2 | avx512 caps the choice (for tests and benchmarks). */
const tsct__tomo_kernels *tsct__tomo_kernels_select(void);

/* Parallel drivers. backproject: image[n][n] pixels of ld floats, channels [0, nch) written. */
void tsct__tomo_backproject(const tsct__tomo_geom *g, const tsct__tomo_kernels *k,
                            const tsct__bp_src *src, int64_t nch, float scale, float *image,
                            int64_t ld, int nthreads);
/* forward: sino[na][ns][nc] = A image[n][n][nc]. */
void tsct__tomo_forward(const tsct__tomo_geom *g, const tsct__tomo_kernels *k,
                        const float *image, int64_t nc, float *sino, int nthreads);

/* A value with the index it came from, ordered by value then index (a stable order for
 * qsort): the Vo centre's angle order and the ring filter's sorted columns. */
typedef struct tsct__tomo_ranked {
    double key;
    int64_t index;
} tsct__tomo_ranked;

int tsct__tomo_ranked_cmp(const void *a, const void *b);

/* The k-th smallest of v[0 .. n-1], reordering v (Hoare's selection; tomo_sino.c). */
float tsct__tomo_select_kth(float *v, int64_t n, int64_t k);

#endif
