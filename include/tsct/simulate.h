/* tsct/simulate.h - synthetic XRD-CT / TSCT experiments with known ground truth.
 *
 * The simulator builds what a beamline would measure from a phantom whose every voxel's
 * content is known, so each stage of tsct can be scored against the truth. This header holds
 * the pieces in the order data flow through them:
 *
 *   scan forward model   line integrals of per-voxel quantities (phase fractions, patterns,
 *                        attenuation) along a pencil beam of finite width, for every angle
 *                        and translation, in the coordinates of tsct's reconstruction
 *
 * Coordinates are those of include/tsct/tomo.h (scikit-image's): the image is [n][n] (row i,
 * column k), the rotation axis is at pixel (n/2, n/2) (integer division), and at angle theta
 * (degrees) the ray with detector coordinate s (translation bin; the axis at ns/2) is the line
 *     (k - n/2) cos(theta) - (i - n/2) sin(theta) = s - ns/2
 * so reconstructing a simulated sinogram with tsct_fbp_execute() puts every voxel back where
 * it was. Lengths are in pixels: multiply by the voxel size for physical path lengths.
 *
 * Thread safety: functions are reentrant; projections run OpenMP over angles.
 */
#ifndef TSCT_SIMULATE_H
#define TSCT_SIMULATE_H

#include <stdint.h>

#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the pencil beam and the scan forward model ---------------------------------------- */

typedef enum tsct_sim_profile {
    TSCT_SIM_BEAM_TOPHAT = 0,   /* uniform over the full width */
    TSCT_SIM_BEAM_GAUSSIAN = 1, /* Gaussian with the width as FWHM, cut at +-1.5 FWHM */
} tsct_sim_profile;

typedef struct tsct_sim_beam {
    double width;          /* beam width across the translation direction, in pixels (voxel
                              sizes); 0 = an infinitely thin ray */
    tsct_sim_profile profile;
    int nsub;              /* sub-rays sampling the profile (>= 1; ignored for width 0);
                              the line integral error falls as 1/nsub^2 for smooth objects */
} tsct_sim_beam;

#define TSCT_SIM_BEAM_DEFAULT {1.0, TSCT_SIM_BEAM_TOPHAT, 8}

/* Line integrals of a multi-channel image along every ray of a parallel-beam scan:
 *
 *   sino[a][s][c] = sum_m w_m * integral over the ray (theta_a, s + u_m) of image(., ., c)
 *
 * where the beam profile is sampled at offsets u_m (m = 1 .. nsub, centred, spanning the
 * width; weights w_m summing to 1) and each ray integral is exact for the pixelated image
 * (Siddon's algorithm: the image is constant over each unit square pixel; the integral is the
 * sum of intersection length x value). Pixels outside the inscribed circle are included.
 *
 * image: [n][n][nc] float32, C order, channels contiguous. angles_deg: [na]. sino: [na][ns][nc]
 * (overwritten). nthreads: OpenMP threads, 0 = all cores.
 * Errors: TSCT_ERR_VALUE (n, ns, na, nc < 1; non-finite angle; negative width; nsub < 1),
 * TSCT_ERR_NOMEM. Never reads outside the arrays. */
tsct_status tsct_sim_project(const float *image, int64_t n, int64_t nc, const double *angles_deg,
                             int64_t na, int64_t ns, const tsct_sim_beam *beam, int nthreads,
                             float *sino, tsct_error *err);

/* Exact length (pixels) of the intersection of the line (k - n/2) cos(theta) - (i - n/2)
 * sin(theta) = t with pixel (i, k) of an n x n grid, theta in degrees. For tests and for
 * callers that need single path lengths (e.g. self-absorption). */
double tsct_sim_chord(int64_t n, int64_t i, int64_t k, double theta_deg, double t);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_SIMULATE_H */
