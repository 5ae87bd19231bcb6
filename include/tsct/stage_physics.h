/* tsct/stage_physics.h - stages of the reconstruction with the experiment's physics (issue 17):
 * the sample's attenuation map. Included by tsct/stage.h; self-contained.
 *
 * Container paths (docs/FORMAT.md):
 *   /entry/attenuation/mu   [nt][nz][n][n] float32, 1/mm: the linear attenuation coefficient of
 *                           every voxel (rows y, columns x as /entry/recon), attributes units
 *                           "1/mm", method, translation_step_mm
 *   /entry/recon/residuals  [nt][nz][iterations] float32: the physics reconstruction's relative
 *                           residual ||b - A x|| / ||b|| after every iteration
 */
#ifndef TSCT_STAGE_PHYSICS_H
#define TSCT_STAGE_PHYSICS_H

#include "tsct/stage.h"
#include "tsct/tomo.h"
#include "tsct/tomo_physics.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSCT_PATH_ATTENUATION "/entry/attenuation/mu"

/* ---- attenuation ----------------------------------------------------------------------------
 * /entry/scan/transmission [nt][nz][na][ns] (the sample's transmission T at every point, what a
 * diode behind the sample reads over the monitor; acquisition order, snake rows reversed when
 * /entry/scan@zigzag says so) -> /entry/attenuation/mu [nt][nz][ns][ns] in 1/mm: absorption CT
 * of -ln T, i.e. filtered back projection (tsct/tomo.h, skimage's iradon geometry: the rotation
 * axis at translation ns/2, angles /entry/scan/angle) of the line integrals of mu, divided by
 * the translation step (|translation[1] - translation[0]| of /entry/scan/translation, mm).
 * Through a resumable step "attenuation" whose unit is one (time, slice).
 * Errors: TSCT_ERR_NOT_FOUND (no transmission recorded, naming the file and dataset),
 * TSCT_ERR_SHAPE (transmission not [nt][nz][na][ns] with na angles and ns translations),
 * TSCT_ERR_VALUE (a transmission that is not finite or <= 0 is clipped at `floor`; a step of
 * 0, non-finite angles, floor out of (0, 1)), those of the container and FBP. */
typedef struct tsct_stage_attenuation_params {
    tsct_stage_zigzag_mode zigzag;  /* AUTO: /entry/scan attribute zigzag */
    tsct_tomo_fbp_filter filter;    /* default ramp */
    double floor;                   /* transmissions below it are taken as it (default 1e-6) */
} tsct_stage_attenuation_params;

#define TSCT_STAGE_ATTENUATION_PARAMS_DEFAULT                                                      \
    {TSCT_STAGE_ZIGZAG_AUTO, TSCT_TOMO_FBP_FILTER_RAMP, 1e-6}

tsct_status tsct_stage_attenuation(const char *container,
                                   const tsct_stage_attenuation_params *params,
                                   const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                   tsct_error *err);

/* ---- recon with the physics -----------------------------------------------------------------
 * /entry/sinograms/data [nt][nz][na][ns][nq] (centred: the axis at ns/2, as the sinogram stage
 * leaves it; q /entry/sinograms/q in 1/A, angles /entry/scan/angle, the voxel size the step of
 * /entry/scan/translation in mm, the detector distance and wavelength from /entry/geometry) ->
 * /entry/recon/data [nt][nz][n][n][nq] (and /entry/recon/q, /entry/recon/residuals): the
 * whole voxel-pattern cube of every (time, slice) by CGLS over the projector of
 * tsct/tomo_physics.h (parallax: each voxel's pattern resampled in q by its position along the
 * ray). A resumable step "recon" whose unit is one (time, slice); every iteration's residual
 * is logged and stored. With parallax off it is the plain pair's least-squares solution.
 * Errors: TSCT_ERR_NOT_FOUND (no sinograms, no q axis, or with parallax no geometry),
 * TSCT_ERR_VALUE ("a geometry without a detector distance", no wavelength, a translation
 * step of 0, parameters), TSCT_ERR_SHAPE (sinograms not 5-D or not matching the axes),
 * those of the projector and the container. */
typedef struct tsct_stage_recon_physics_params {
    int parallax;         /* 1: the parallax model (default 1) */
    int64_t iterations;   /* CGLS iterations (default 30), run until tol */
    double tol;           /* stop when the relative residual is below it (default 1e-6) */
    double depth_bin;     /* voxels between resampling tables (default 0.25) */
    int64_t size;         /* image size n; 0: ns */
    const char *coarse;   /* an interior scan's coarse container, or NULL: its
                             /entry/recon/data [nt][nz][m][m][nq] (same time steps, slices
                             and q), voxels of its own translation step, sampled at the fine
                             voxels outside the fine field of view (radius n/2), scaled by
                             the ratio of the steps, forward-projected onto the fine rays
                             (the plain pair, no parallax) and subtracted from the
                             sinograms before the reconstruction (the NMC study's
                             procedure). Errors: TSCT_ERR_VALUE when it does not contain the
                             fine field of view, TSCT_ERR_SHAPE when its axes differ. */
} tsct_stage_recon_physics_params;

#define TSCT_STAGE_RECON_PHYSICS_PARAMS_DEFAULT {1, 30, 1e-6, 0.25, 0, NULL}

tsct_status tsct_stage_recon_physics(const char *container,
                                     const tsct_stage_recon_physics_params *params,
                                     const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                     tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_STAGE_PHYSICS_H */
