/* tsct/tomo_physics.h - a projector pair with the experiment's physics for the reconstruction
 * of whole voxel-pattern cubes (issue 17, docs/tomo.md "The experiment's physics"): each
 * voxel's pattern is resampled in q by its position along the ray (parallax), so that an
 * iterative solver recovers the patterns as scattered from the voxels' true positions.
 *
 * Geometry: that of the pixel-driven pair of tsct/tomo.h (skimage's; pixel (i, k) projects at
 * s = (k - n/2) cos - (i - n/2) sin + ns/2, linear interpolation between bins, only pixels in
 * the inscribed circle), and its position along the beam is l = (k - n/2) sin + (i - n/2) cos
 * (pixels, increasing towards the detector; the simulator's convention, tsct/sim_physics.h).
 * A voxel at dz = l voxel_mm seen by an integration that assumes the axis, on a detector normal
 * to the beam at distance D: the ring of true angle 2theta appears at tan 2theta_app =
 * (D - dz) / D tan 2theta, with the intensity scaled by the solid-angle ratio
 * (D - dz) / D (|r| / |r'|)^3 (|r|^2 = D^2 + rho^2, |r'|^2 = (D - dz)^2 + rho^2, rho = D tan
 * 2theta_app). So the forward model of channel q_j is
 *
 *   (A x)[a][s][j] = sum_v w_a(s, v) ratio(q_j, dz_av) x_v(q_true(q_j, dz_av))
 *
 * with x_v linearly interpolated on the channel grid (0 outside it) and w the pair's bin
 * weights. The resampling is tabulated every `depth_bin` voxels along the beam (nearest
 * table: a q error below depth_bin voxel_mm / (2 D) relative). Approximations: the detector's
 * tilts and the polarization's change with 2theta are neglected (both below 1e-4 relative for
 * the studies' geometries). With parallax off the pair equals tsct_tomo_projector's.
 *
 * Arrays are channel-last and packed: image [n][n][nq], sinogram [na][ns][nq], float32.
 * Forward runs OpenMP over angles, adjoint over image rows; both are exact adjoints of each
 * other (to float rounding). Calls on one operator must not overlap (it holds its threads'
 * scratch rows); distinct operators are independent.
 */
#ifndef TSCT_TOMO_PHYSICS_H
#define TSCT_TOMO_PHYSICS_H

#include <stdint.h>

#include "tsct/status.h"
#include "tsct/tomo.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsct_tomo_physics_params {
    int parallax;           /* 1: resample each voxel's pattern by its position along the ray */
    double distance_mm;     /* rotation axis to detector along the beam (> 0 with parallax) */
    double wavelength_a;    /* A (> 0 with parallax) */
    double voxel_mm;        /* voxel size = translation step, mm (> 0 with parallax) */
    double depth_bin;       /* voxels between resampling tables (> 0; default 0.25) */
    int nthreads;           /* OpenMP threads, 0 = all cores */
} tsct_tomo_physics_params;

#define TSCT_TOMO_PHYSICS_PARAMS_DEFAULT {0, 0.0, 0.0, 0.0, 0.25, 0}

typedef struct tsct_tomo_physics tsct_tomo_physics;

/* The operator for na angles (angles_deg, degrees, copied), ns translations, an n x n image
 * (0 = ns) and the increasing channel grid q[nq] (1/A, copied). Errors: TSCT_ERR_VALUE
 * (parameters; "the sample reaches the detector" when n voxels do), TSCT_ERR_SHAPE, those of
 * the projector's geometry, TSCT_ERR_NOMEM. */
tsct_status tsct_tomo_physics_create(const tsct_tomo_physics_params *params, int64_t na,
                                     int64_t ns, int64_t n, const double *angles_deg,
                                     const double *q, int64_t nq, tsct_tomo_physics **out,
                                     tsct_error *err);
void tsct_tomo_physics_destroy(tsct_tomo_physics *op);

/* sino = A image, image = A^T sino (outputs overwritten; no overlap). Never allocate. */
void tsct_tomo_physics_forward(const tsct_tomo_physics *op, const float *image, float *sino);
void tsct_tomo_physics_adjoint(const tsct_tomo_physics *op, const float *sino, float *image);

/* CGLS on the whole cube (one recursion for all channels, which the resampling couples):
 * image holds the starting point (zeros for a cold start) and receives the result; stops when
 * ||b - A x|| <= tol ||b|| or after max_iter (TSCT_NOT_CONVERGED, image usable);
 * params->on_iteration receives the relative residual after every iteration (the
 * convergence record), residuals[max_iter] too when not NULL. relax and nonneg are ignored.
 * Allocates 2 sinograms and 2 images. Errors: TSCT_ERR_VALUE, TSCT_ERR_NOMEM. */
tsct_status tsct_tomo_physics_cgls(const tsct_tomo_physics *op,
                                   const tsct_tomo_iter_params *params, const float *sino,
                                   float *image, double *residuals,
                                   tsct_tomo_iter_report *report, tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_TOMO_PHYSICS_H */
