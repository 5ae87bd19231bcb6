/* tsct/sim_physics.h - the experiment's physics in simulated detector frames: parallax (each
 * voxel's rings drawn from its own position along the beam) and self-absorption (the incident
 * beam attenuated up to each voxel, the scattered beam from each voxel to every pixel).
 *
 * Geometry. The lab frame is pyFAI's (tsct/geometry.h): axis 3 along the beam, axis 1
 * vertical (detector rows), axis 2 horizontal; the sample's nominal scattering point (the
 * rotation axis on the beam) is the origin and the detector pixel centres lie at t = R p
 * (m). A slice is an n x n image in the coordinates of tsct_sim_project: at angle theta the
 * beam at translation t (voxels) is the line p(l) = (t cos, -t sin) + l (sin, cos), l the
 * position along the beam (voxels, increasing towards the detector), and +t points along lab
 * axis 2. A voxel at l scatters from lab (0, 0, l voxel): its ray to a pixel is
 * r' = t - (0, 0, l voxel), so
 *
 *   2theta' = atan2(hypot(r'1, r'2), r'3),  chi unchanged,
 *   solid angle (relative to a pixel at the PONI seen from the origin) =
 *       dist^2 (dist - l voxel u3) / |r'|^3,
 *
 * u3 = the beam's component along the detector normal (cos rot1 cos rot2), the exact solid
 * angle of a flat pixel; for l = 0 it is pyFAI's cos^3 alpha. Moving the sample by dz along the
 * beam is the same as the PONI geometry dist' = dist - dz u3, poni1,2' = poni1,2 + dz u1,2
 * (u = R^T e3): that is how the tests check it.
 *
 * Absorption. With mu(x, y) the slice's linear attenuation (1/mm), a voxel segment
 * [l0, l0 + len] on the beam contributes sum_c f_c len_eff with the incident attenuation
 * integrated exactly over the segment, len_eff = exp(-a) (1 - exp(-m)) / (m / len) (a the
 * attenuation before it, m = mu len voxel_mm); its scattered beam leaves along the direction of
 * r', whose horizontal part h (unit length 1 in 3-D has horizontal length |h|) crosses the slice
 * along the exit line from the voxel: A_out = exp(-voxel_mm L(phi) / |h|), L the line integral
 * of mu from the voxel to the slice's edge along horizontal direction phi (the sample is taken
 * as uniform over the height the scattered beam crosses, the slice's own mu). L is traced at
 * `nazimuth` horizontal angles spanning the detector and interpolated linearly between them.
 * Off, the rendered intensity is multiplied by the beam position's whole-path transmission T,
 * as tsct_sim_scan_patterns does (the pattern level's model).
 *
 * Depth bins. Voxel segments are grouped by their mid-point's l into bins of `depth_bin`
 * voxels; a bin scatters from the length-weighted mean l of its segments, and its outgoing
 * attenuation is traced from that point on the beam's centre line (the beam's own width is
 * neglected for the scattering position: it is below a voxel).
 *
 * Cost: a frame takes (pixels x occupied bins) pattern look-ups and (bins x nazimuth) exit
 * traces of at most 2n + 2 segments. The plan is read-only during execution; a workspace per
 * thread.
 */
#ifndef TSCT_SIM_PHYSICS_H
#define TSCT_SIM_PHYSICS_H

#include <stdint.h>

#include "tsct/poni.h"
#include "tsct/simulate.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsct_sim_physics_plan tsct_sim_physics_plan;
typedef struct tsct_sim_physics_work tsct_sim_physics_work;

/* Plan the frames of a detector (geometry g with wavelength; rows x cols; mask may be NULL,
 * copied; polarization factor -1 .. 1) for slices of n x n voxels of voxel_mm with nc
 * components, scanned with beam (NULL: a thin ray). Errors: TSCT_ERR_VALUE (params out of
 * range, n or nc < 1, voxel_mm <= 0, a detector pixel at or behind the plane of the sample's
 * farthest voxel: "the sample reaches the detector"), those of tsct_sim_render_plan_create,
 * TSCT_ERR_NOMEM. *out is NULL on error. */
tsct_status tsct_sim_physics_plan_create(const tsct_poni *g, int64_t rows, int64_t cols,
                                         const uint8_t *mask, double polarization,
                                         const tsct_sim_physics_params *params, int64_t n,
                                         int64_t nc, double voxel_mm, const tsct_sim_beam *beam,
                                         int nthreads, tsct_sim_physics_plan **out,
                                         tsct_error *err);
void tsct_sim_physics_plan_destroy(tsct_sim_physics_plan *plan);

/* The plan's detector at the nominal position (q, solid angle x polarization, mask): what
 * tsct_sim_render would draw with both effects off. Owned by the plan. */
const tsct_sim_render_plan *tsct_sim_physics_plan_render(const tsct_sim_physics_plan *plan);

/* A workspace for one thread, for patterns of at most nq channels. Errors: TSCT_ERR_NOMEM. */
tsct_status tsct_sim_physics_work_create(const tsct_sim_physics_plan *plan, int64_t nq,
                                         tsct_sim_physics_work **out, tsct_error *err);
void tsct_sim_physics_work_destroy(tsct_sim_physics_work *work);

/* One frame at angle theta_deg and translation t (voxels from the axis, as tsct_sim_project's
 * s - ns/2): expected counts
 *
 *   lambda(px) = scale T0 sum_bins sum_c F_bc pattern_c(q'_b(px)) Omega'_b(px) P'_b(px)
 *                A_out,b(px) flat(px) + dark(px)
 *
 * (T0 the whole-path transmission when absorption is off, else 1; F_bc the beam-weighted,
 * incident-attenuated path length of component c in bin b, voxels), then spots, masked pixels
 * -1 and Poisson noise as tsct_sim_render (spots and rng may be NULL). fractions: [n][n][nc];
 * mu: [n][n] 1/mm (NULL: no attenuation at all); patterns: [nc][nq] on the increasing grid
 * q[nq] (1/A), nq at most the workspace's. frame: [rows][cols]. Thread-safe for distinct
 * workspaces and rngs. Errors: TSCT_ERR_VALUE (q not increasing, nq out of range, scale < 0).
 */
tsct_status tsct_sim_physics_frame(const tsct_sim_physics_plan *plan, const float *fractions,
                                   const float *mu, const float *patterns, const double *q,
                                   int64_t nq, double theta_deg, double t, double scale,
                                   const float *dark, const float *flat,
                                   const tsct_sim_spots *spots, tsct_sim_rng *rng,
                                   tsct_sim_physics_work *work, float *frame, tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_SIM_PHYSICS_H */
