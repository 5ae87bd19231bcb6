/* sim_internal.h - what sim_run.c and sim_run_frames.c share; private to lib/simulate.
 *
 * The frame level of a run (sim_run_frames.c): the detector and its files in the frames
 * folder, and the rendering of each slice's noiseless patterns into the time step's frame
 * file. sim_run.c drives it time step by time step:
 *
 *   create -> have(t) for every t -> write_aux -> { begin(t) -> slice(z) ... -> end } ...
 */
#ifndef TSCT_SIM_INTERNAL_H
#define TSCT_SIM_INTERNAL_H

#include "tsct/progress.h"
#include "tsct/simulate.h"

typedef struct tsct__sim_frames tsct__sim_frames;

/* Resolve the detector, make the folder (one level), remove temporary files of interrupted
 * runs, build the render plan, mask, dark and flat. fingerprint identifies the simulation (it
 * is stored in every frame file). q: [nq] the patterns' grid (1/A). */
tsct_status tsct__sim_frames_create(const tsct_sim_preset *preset,
                                    const tsct_sim_run_params *run,
                                    const tsct_sim_frames_params *params,
                                    const char *fingerprint, int64_t nt, int64_t nz,
                                    const double *q, int64_t nq, tsct__sim_frames **out,
                                    tsct_error *err);
void tsct__sim_frames_destroy(tsct__sim_frames *f);

/* *have = 1 if time step t's frame file exists (complete, as files appear by rename) and was
 * written by this simulation; TSCT_ERR_EXISTS if it was written by another. */
tsct_status tsct__sim_frames_have(const tsct__sim_frames *f, int64_t t, int *have,
                                  tsct_error *err);

/* Write detector.poni, mask.edf, dark.edf / flat.edf and scan.ini (each atomically). */
tsct_status tsct__sim_frames_write_aux(const tsct__sim_frames *f, tsct_error *err);

/* Start time step t's file; render slice z's frames from its noiseless patterns
 * data[na][ns][nq] (acquisition order), monitor[na][ns] (sinogram order) and the sample's
 * transmission[na][ns] (acquisition order; stored per frame), counting frames into progress
 * (fractions, patterns and mu: see tsct__sim_frames_physics; unused when it did nothing);
 * publish the file once every slice is in. */
tsct_status tsct__sim_frames_begin(tsct__sim_frames *f, int64_t t, tsct_error *err);
tsct_status tsct__sim_frames_slice(tsct__sim_frames *f, int64_t z, const float *data,
                                   const float *monitor, const float *transmission,
                                   const float *fractions, const float *patterns,
                                   const double *mu, tsct_progress *progress, tsct_error *err);

/* When the preset's physics has parallax or absorption on: plan the frames of slices of n x n
 * voxels with nc components scanned at angles[na] (degrees, kept), so that
 * tsct__sim_frames_slice draws each frame from the slice's fractions [n][n][nc], component
 * patterns [nc][nq] and attenuation coefficients mu[nc] (1/mm) with tsct/sim_physics.h
 * instead of from its on-axis pattern. Nothing to do otherwise. */
tsct_status tsct__sim_frames_physics(tsct__sim_frames *f, int64_t n, int64_t nc,
                                     const double *angles, tsct_error *err);
tsct_status tsct__sim_frames_end(tsct__sim_frames *f, tsct_error *err);

/* The number of single-crystal spots in each frame of slice z at time step t, out[na][ns]
 * (acquisition order), from the slice's noiseless patterns (whose peaks carry the spots);
 * what tsct__sim_frames_slice() renders, without rendering. */
void tsct__sim_frames_spot_map(tsct__sim_frames *f, int64_t t, int64_t z, const float *data,
                               float *out);

/* ---- shared by the scan (sim_project.c), the renderer (sim_frames.c) and the physics of the
 * frame level (sim_physics.c) ---- */

/* The segments of the line p(l) = (x0, y0) + l (dx, dy) ((dx, dy) a unit vector; pixel units,
 * origin at the centre of pixel (n/2, n/2), x along columns, y along rows) through an n x n
 * grid, in increasing l (Siddon's method): the pixel voxel[m] = i * n + k holds the segment
 * [l0[m], l0[m] + len[m]]. Returns the count m, at most 2n + 2 (the arrays' size). */
int64_t tsct__sim_ray_segments(int64_t n, double x0, double y0, double dx, double dy,
                               int64_t *voxel, double *l0, double *len);

/* The offsets u[m] (pixels) and weights w[m] (summing to 1) of the sub-rays across the beam;
 * returns m (1 for a thin beam, else beam->nsub). u and w hold beam->nsub (>= 1) values. */
int tsct__sim_beam_samples(const tsct_sim_beam *beam, double *u, double *w);

/* Linear interpolation of I on the increasing grid q[nq] at x, 0 outside; uniform = 1 when the
 * grid is evenly spaced (one division instead of a bisection). */
double tsct__sim_interp(const double *q, const float *I, int64_t nq, int uniform, double x);

/* 1 if the grid q[nq] (nq >= 2) increases, with *uniform set when it is evenly spaced;
 * otherwise 0 and the offending index in *bad. */
int tsct__sim_grid_check(const double *q, int64_t nq, int *uniform, int64_t *bad);

/* The end of tsct_sim_render on a frame of expected counts: spots (spots and rng not NULL),
 * masked pixels -1, Poisson noise (rng not NULL). */
void tsct__sim_render_finish(const tsct_sim_render_plan *plan, const tsct_sim_spots *spots,
                             tsct_sim_rng *rng, float *frame);

#endif
