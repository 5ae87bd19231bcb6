/* tsct/stage_integrate.h - integration of detector frames into /entry/integrated.
 *
 * Part of the stage library: include "tsct/stage.h", which has the contract every stage
 * follows (params, context, report, errors, incremental runs, threads). */
#ifndef TSCT_STAGE_INTEGRATE_H
#define TSCT_STAGE_INTEGRATE_H

#include "tsct/stage_core.h"
#include "tsct/integrate.h"
#include "tsct/stage_pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- integrate -------------------------------------------------------------------------------
 * Detector frames -> /entry/integrated/data and sigma [nt][nz][na][ns][npt] (float32, counts
 * per pixel in the bin after the corrections) and /entry/integrated/q [npt] (in the unit
 * of the integration: "A^-1" for q_A^-1), with the scan axes /entry/scan/{angle [na] deg,
 * translation [ns] mm or steps, z [nz], time [nt]} and /entry/scan@zigzag, @fast_axis, and
 * the geometry (/entry/geometry, with the frames' shape). The frames are taken in
 * acquisition order (time step, slice, angle, translation); a snake scan's odd rows stay as
 * recorded (reversed), /entry/scan@zigzag says so and the sinogram stage flips them back.
 * One plan (tsct/integrate.h) serves every frame; its mask is the frame source's static mask,
 * the negative pixels of the first frame, the module gaps of the PONI's detector (as pyFAI's
 * detector mask; when the frames have its full shape) and the mask file. The unit of work is
 * one frame-row (one angle, every translation): an interrupted run resumes. docs/
 * integration.md. */

/* Where a per-frame number (a monitor, a transmission) is read from. */
typedef enum {
    TSCT_STAGE_FRAME_VALUE_NONE = 0, /* not measured */
    TSCT_STAGE_FRAME_VALUE_DATASET,  /* the dataset `path` [frames] of the HDF5 file holding the
                                  frame, at the frame's index in that file */
    TSCT_STAGE_FRAME_VALUE_HEADER    /* the number in header item `key` of the frame's image file
                                  (EDF: the key; CBF: the Pilatus line "# KEY VALUE") */
} tsct_stage_frame_value_source;

typedef struct tsct_stage_integrate_scan_params {
    const char *const *frames;   /* frame specs in acquisition order (tsct_frames_open: image
                                    files, folders, FILE.h5::/path[a:b], Dectris masters) */
    int64_t nframes;             /* number of specs, >= 1 */
    const char *poni;            /* PONI file (required) */
    const char *mask;            /* mask image, non-zero = masked; NULL: none */
    const char *dark, *flat;     /* dark (subtracted), flat (divides) images; NULL: none */
    tsct_integrate_params integrate; /* bins, unit, splitting, corrections, ranges; its filter
                                    fields are set from `filter`, nthreads from the context */
    const char *filter;          /* "mean" (NULL), "trimmed:LO,HI", "sigma:THRES[,ITER]"
                                    (tsct_integrate_filter_parse); recorded as written */
    int64_t angles;              /* na >= 1, evenly over angle_range (end excluded) */
    double angle_range;          /* deg, > 0 (180) */
    int64_t translations;        /* ns >= 1 */
    double translation_step;     /* mm between translations; 0: unit steps */
    int64_t slices;              /* nz >= 1 per time step */
    int zigzag;                  /* 1: snake scan, odd rows recorded backwards */
    int64_t time_offset;         /* >= 0: the frames are time steps T, T+1, ... appended to an
                                    experiment already in the container (operando); the scan
                                    axes are then left as they are */
    tsct_stage_frame_value_source monitor_source; /* each frame's pattern divided by its monitor */
    const char *monitor;         /* dataset path ("/...") or header key */
    tsct_stage_frame_value_source transmission_source; /* the sample's transmission at each frame,
                                    stored as /entry/scan/transmission [nt][nz][na][ns] */
    const char *transmission;    /* dataset path or header key */
} tsct_stage_integrate_scan_params;

#define TSCT_STAGE_INTEGRATE_SCAN_PARAMS_DEFAULT                                                   \
    {                                                                                              \
        NULL, 0, NULL, NULL, NULL, NULL, TSCT_INTEGRATE_PARAMS_DEFAULT, NULL, 0, 180.0, 0, 0.0, 1, \
            0, 0, TSCT_STAGE_FRAME_VALUE_NONE, NULL, TSCT_STAGE_FRAME_VALUE_NONE, NULL             \
    }

/* Integrate the frames of a scan into container (created when missing; its earlier results
 * are kept). Incremental runs skip a scan whose record has the same settings (the frames,
 * the scan's shape, the geometry and corrections named by their files). Errors: those of
 * the frame source, the PONI and image readers, the plan and the container;
 * TSCT_ERR_SHAPE (frames not a whole number of time steps, a mask / dark / flat of another
 * shape, a monitor dataset shorter than its file's frames), TSCT_ERR_VALUE (parameters out
 * of range, a bad filter, a dark or flat pixel not finite or a zero flat, a monitor or
 * transmission not finite and > 0). */
tsct_status tsct_stage_integrate(const char *container,
                                 const tsct_stage_integrate_scan_params *params,
                                 const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                 tsct_error *err);

/* Images -> text patterns (.xy): three columns (radial in the unit, intensity, sigma from the
 * Poisson model) under a '#' header with the geometry and the options, pyFAI-like. One plan
 * from the first image; every image must have its shape. */
typedef struct tsct_stage_integrate_files_params {
    const char *const *images;   /* image files (CBF, EDF, TIFF, npy) */
    int64_t nimages;             /* >= 1 */
    const char *output;          /* one image: the .xy file, or an existing folder that gets
                                    NAME.xy; several: a folder (created) that gets NAME.xy per
                                    image (NAME: the image's file name without extension) */
    const char *poni, *mask, *dark, *flat; /* as for a scan */
    tsct_integrate_params integrate;
    const char *filter;          /* as for a scan */
    double monitor;              /* every pattern divided by this factor, > 0 (1) */
} tsct_stage_integrate_files_params;

#define TSCT_STAGE_INTEGRATE_FILES_PARAMS_DEFAULT                                                  \
    {                                                                                              \
        NULL, 0, NULL, NULL, NULL, NULL, NULL, TSCT_INTEGRATE_PARAMS_DEFAULT, NULL, 1.0            \
    }

/* Each file is published atomically under the write rule of tsct/publish.h. Errors: as
 * tsct_stage_integrate's, TSCT_ERR_SHAPE (an image of another shape), TSCT_ERR_IO (the
 * folder cannot be made), TSCT_ERR_EXISTS and TSCT_ERR_VALUE of the write rule. */
tsct_status tsct_stage_integrate_files(const tsct_stage_integrate_files_params *params,
                                       const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                       tsct_error *err);

/* The settings record of a pipeline's integration (tsct_stage_settings, "v=2 frames=... "):
 * the version, the frames (fd's pattern and dataset) and every setting of p that changes an
 * integrated pattern or the scan's shape (geometry and correction files, bins, unit,
 * splitting, filter, polarization, solid angle, ranges, the scan, monitor, transmission), not
 * the frames of one call (p->frames, time_offset). `tsct run` stores it in the attribute
 * "run_settings" of /entry/process/integrate; a different record means that every time step
 * is integrated again. s: initialised by the caller. */
void tsct_stage_pipeline_integrate_settings(const tsct_stage_frames *fd,
                                            const tsct_stage_integrate_scan_params *p,
                                            tsct_stage_settings *s);

#ifdef __cplusplus
}
#endif

#endif /* TSCT_STAGE_INTEGRATE_H */
