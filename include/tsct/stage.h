/* tsct/stage.h - the pipeline: one library call per stage on an experiment container.
 *
 * A stage reads one part of the container (DESIGN.md's table: integrated -> sinograms ->
 * recon -> pdf / maps / fits) and writes the next through a resumable step
 * (include/tsct/container.h, "steps"), so every front end (the tsct program, `tsct run`, MPI
 * ranks, the Python module) produces the same datasets, the same provenance records and the
 * same fingerprints by making the same call:
 *
 *     tsct_stage_ctx ctx = TSCT_STAGE_CTX_DEFAULT;
 *     tsct_stage_sinogram_params p = TSCT_STAGE_SINOGRAM_PARAMS_DEFAULT;
 *     p.air = 4;
 *     tsct_stage_report rep;
 *     st = tsct_stage_sinogram("exp.h5", &p, &ctx, &rep, &err);
 *
 * Every stage follows the same contract:
 *  - params: a struct with a documented _PARAMS_DEFAULT; enums where a front end has words;
 *  - ctx: threads, where messages and progress go, and whether the run is incremental;
 *  - report: what the call did (ran or up to date, units computed, time steps kept, a line
 *    saying what was written where), filled on success; may be NULL;
 *  - errors: a tsct_status with the detailed message in err (file, dataset, index,
 *    expected); the container keeps every earlier result and a step's finished units.
 *
 * Incremental runs (ctx->incremental = 1, as `tsct run` sets): a stage whose record in
 * /entry/process/NAME has the same fingerprint (the container's identity, the end times of
 * the steps it reads, its settings) returns at once with report->ran = 0; a stage whose
 * earlier time steps are unchanged (their inputs' time stamps) computes only the new ones.
 *
 * Thread safety: a stage may be called from any thread, one stage per container at a time.
 * Stages use ctx->nthreads OpenMP threads; HDF5 is called behind the library's lock.
 */
#ifndef TSCT_STAGE_H
#define TSCT_STAGE_H

#include "tsct/stage_core.h"
#include "tsct/stage_pipeline.h"
#include "tsct/stage_integrate.h"
#include "tsct/stage_calibrate.h"
#include "tsct/stage_tomo.h"
#include "tsct/stage_pdf.h"
#include "tsct/stage_maps.h"
#include "tsct/stage_echem.h"
#include "tsct/stage_import.h"
#include "tsct/stage_edxrd.h"
#include "tsct/stage_figure.h"
#include "tsct/stage_refine.h"
#include "tsct/stage_physics.h"
#include "tsct/stage_refine_series.h"
#include "tsct/stage_refine_volume.h"
#include "tsct/stage_powder.h"

#endif /* TSCT_STAGE_H */
