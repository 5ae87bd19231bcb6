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
 * transmission[na][ns] (acquisition order; stored per frame), counting frames into progress;
 * publish the file once every slice is in. */
tsct_status tsct__sim_frames_begin(tsct__sim_frames *f, int64_t t, tsct_error *err);
tsct_status tsct__sim_frames_slice(tsct__sim_frames *f, int64_t z, const float *data,
                                   const float *monitor, const float *transmission,
                                   tsct_progress *progress, tsct_error *err);
tsct_status tsct__sim_frames_end(tsct__sim_frames *f, tsct_error *err);

/* The number of single-crystal spots in each frame of slice z at time step t, out[na][ns]
 * (acquisition order), from the slice's noiseless patterns (whose peaks carry the spots);
 * what tsct__sim_frames_slice() renders, without rendering. */
void tsct__sim_frames_spot_map(tsct__sim_frames *f, int64_t t, int64_t z, const float *data,
                               float *out);

#endif
