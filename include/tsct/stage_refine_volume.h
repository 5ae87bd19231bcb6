/* tsct/stage_refine_volume.h - full-profile refinement of every voxel of /entry/recon (the
 * studies' workflow for lattice-parameter and phase-fraction maps), a stage of tsct/stage.h.
 *
 * The configuration is that of one pattern (tsct_stage_refine_pattern, docs/refine.md) with
 * no pattern named in [data] (the patterns are the container's), plus:
 *   - `voxel = LIST` in a component's section ([phase.NAME], [peak.NAME], [broad.NAME],
 *     [background], [instrument]): the parameters refined in every voxel (`all`: every one of
 *     the component); all others are held at the global result;
 *   - `mask = MAP` in a [phase.NAME]: the phase is in the model only where /entry/maps/MAP
 *     ([nt or 1][nz][ny][nx]) is > 0 (e.g. a scale map of a first pass, thresholded);
 *   - [voxel] pattern = mean | sum (the global pattern of the sample's voxels, mean default),
 *     absent_below = W (a phase whose weight fraction in a voxel comes out below W is
 *     removed and the voxel refined again without it; 0, the default: never), prefit = yes |
 *     no (voxels also refined from a broad-peak start, the lower chi2 kept; yes), max_iter =
 *     N (the voxels' iterations at most; default [refine] max_iter).
 * For every time step: the mean (or sum) pattern of the sample's voxels is refined with the
 * configuration's refine lists (the global parameters), then every sample voxel from that
 * result with only its `voxel` parameters free.
 */
#ifndef TSCT_STAGE_REFINE_VOLUME_H
#define TSCT_STAGE_REFINE_VOLUME_H

#include "tsct/stage.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where the results go: TSCT_STAGE_REFINE_PATH/NAME. */
#define TSCT_STAGE_REFINE_PATH "/entry/refine"

/* Status map codes (NaN outside the mask). */
#define TSCT_STAGE_REFINE_VOXEL_CONVERGED 0
#define TSCT_STAGE_REFINE_VOXEL_MAX_ITER 1
#define TSCT_STAGE_REFINE_VOXEL_SINGULAR 2
#define TSCT_STAGE_REFINE_VOXEL_FAILED 3   /* no finite data, or a model that cannot be
                                              evaluated at the voxel's values */

typedef struct tsct_stage_refine_volume_params {
    const char *config;     /* REFINE.cfg (required) */
    const char *name;       /* results under /entry/refine/NAME: 1-48 letters, digits, '_'
                               ("refine") */
    const char *mask_map;   /* sample voxels: /entry/maps/MASK_MAP > 0; NULL: voxels whose
                               total intensity is >= threshold x the largest (as tsct fit) */
    double threshold;       /* 0 .. 1 (0.05) */
} tsct_stage_refine_volume_params;

#define TSCT_STAGE_REFINE_VOLUME_PARAMS_DEFAULT {NULL, "refine", NULL, 0.05}

/* Refine every sample voxel of container's /entry/recon/data [nt][nz][ny][nx][nq] against
 * /entry/recon/q (1/A), at the container's wavelength (or [data] wavelength / poni), on the
 * points of [data] range less [data] exclude, with unit weights (reconstructed voxels have no
 * counting statistics): ESDs are then sqrt(diag C) x GoF x sqrt((1 + rho) / (1 - rho)), rho
 * the lag-1 serial correlation of the residuals (1 for rho <= 0; docs/refine.md). Writes,
 * through a resumable step "refine_NAME" (one voxel row a unit; an incremental rerun with the
 * same settings keeps the time steps whose /entry/recon is unchanged):
 *   /entry/refine/NAME/COMP/PARAM, COMP/PARAM_esd   [nt][nz][ny][nx] for every parameter of a
 *       `voxel` list (COMP a phase, peak or broad component, "bg" or "instrument"; PARAM as
 *       tsct/refine.h names it: a, c, scale, 0 .. N-1, ...); the ESD NaN where the parameter
 *       was not refined (outside the mask, its phase absent, on a limit, singular); the value
 *       NaN outside the mask and where its phase is absent;
 *   /entry/refine/NAME/PHASE/weight_fraction, weight_fraction_esd (0 .. 1, Hill & Howard;
 *       0 where the phase is absent), PHASE/volume (A^3; NaN where absent)  for every phase;
 *   /entry/refine/NAME/rwp, gof, status (the TSCT_STAGE_REFINE_VOXEL_* codes), iterations;
 *   /entry/refine/NAME/global [nt][nparams]: the global result of each time step (attributes
 *       "parameters": the names, comma-separated; "rwp", "gof" of the last time step);
 *   /entry/process/refine_NAME: the settings (the configuration, mask, threshold).
 * Threads: ctx->nthreads, one model clone each. Errors: those of the configuration (as
 * tsct_stage_refine_pattern, naming its line and key; also a [data] file or container given,
 * a `voxel` parameter the component does not have, an unknown [voxel] key), TSCT_ERR_NOT_FOUND
 * (no /entry/recon, no such map), TSCT_ERR_SHAPE (a map of another grid), TSCT_ERR_VALUE (an
 * empty mask, a global refinement that fails), the container's. A voxel that fails is a
 * status entry, never an error. */
tsct_status tsct_stage_refine_volume(const char *container,
                                     const tsct_stage_refine_volume_params *params,
                                     const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                     tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_STAGE_REFINE_VOLUME_H */
