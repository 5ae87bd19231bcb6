/* tsct/stage.h - the pipeline: one library call per stage on an experiment container.
 *
 * A stage reads one part of the container (DESIGN.md's table: integrated -> sinograms ->
 * recon -> pdf / maps / fits) and writes the next through a resumable step
 * (include/tsct/container.h, "steps"), so every front end (the tsct program, `tsct run`, MPI
 * ranks, the Python module) produces the same datasets, the same provenance records and the
 * same fingerprints by making the same call:
 *
 *     tsct_stage_ctx ctx = TSCT_STAGE_CTX_DEFAULT;
 *     tsct_sinogram_params p = TSCT_SINOGRAM_PARAMS_DEFAULT;
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

#include <stddef.h>
#include <stdint.h>

#include "tsct/container.h"
#include "tsct/echem.h"
#include "tsct/integrate.h"
#include "tsct/log.h"
#include "tsct/progress.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- context and report -------------------------------------------------------------------- */

typedef struct tsct_stage_ctx {
    int nthreads;                        /* OpenMP threads; 0 = all cores */
    const tsct_log *log;                 /* messages (NULL: none) */
    const tsct_progress_sink *progress;  /* progress of long loops (NULL: none) */
    int incremental;                     /* 1: skip up-to-date stages and kept time steps */
    const char *command_line;            /* provenance: the request as the user made it */
} tsct_stage_ctx;

#define TSCT_STAGE_CTX_DEFAULT {0, NULL, NULL, 0, ""}

typedef struct tsct_stage_report {
    int ran;              /* 1: computed and committed; 0: up to date, nothing written */
    int64_t units;        /* units of work computed by this call (resumed ones excluded) */
    int64_t time_first;   /* first time step computed; earlier ones were kept (0: none kept) */
    char what[512];       /* one line: what was written where ("" when up to date) */
} tsct_stage_report;

/* ---- the shared pieces of every stage --------------------------------------------------------
 * Public so that a stage written outside the library (a plug-in, a Python prototype) records
 * the same way. */

/* A settings record: "key=value key=value ...", grown as needed (never truncated). Values are
 * written as given; a stage formats its numbers with %.17g or %lld so that a rerun with the
 * same settings gives the same record. The text is the fingerprint's settings part and is
 * stored in /entry/process/NAME "settings". */
typedef struct tsct_stage_settings {
    char *text;   /* NUL-terminated, malloc'd; "" before the first add */
    size_t len, cap;
    int failed;   /* 1 after an allocation failed (the record is then incomplete) */
} tsct_stage_settings;

void tsct_stage_settings_init(tsct_stage_settings *s);
void tsct_stage_settings_release(tsct_stage_settings *s);
/* Append " key=VALUE" (no leading space for the first), VALUE formatted by fmt. */
void tsct_stage_settings_add(tsct_stage_settings *s, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The fingerprint of a step: "container=ID inputs=STEP=END;... SETTINGS", the container's
 * identity, the end time of every step in records (NULL-terminated names of the steps whose
 * output this stage reads: a rewritten input changes it) and the settings. malloc'd, the
 * caller frees; NULL without memory. */
char *tsct_stage_fingerprint(tsct_container *c, const char *const *records,
                             const char *settings);

/* 1 when ctx is incremental and step name of c is complete with this fingerprint (logs
 * "up to date"); the stage then returns without work. */
int tsct_stage_up_to_date(const tsct_stage_ctx *ctx, tsct_container *c, const char *name,
                          const char *fingerprint);

/* Incremental runs: how many leading time steps of step name's output dataset `output` a run
 * with these settings may keep, given the time stamps of the datasets it reads (`inputs`,
 * NULL-terminated paths): tsct_step_reusable_time_steps, bounded by the output's time steps
 * and by nt (the inputs' time steps); 0 when the output has more than nt (the input shrank)
 * or the run is not incremental; nt means up to date. *stamps gets the inputs' stamps for
 * tsct_step_info.inputs (malloc'd, the caller frees; NULL without memory). A partial keep
 * appends " from=T" to *fingerprint (reallocated), so that only an interrupted run of the
 * same plan resumes. Logs what is kept. */
int64_t tsct_stage_keep_time_steps(const tsct_stage_ctx *ctx, tsct_container *c,
                                   const char *name, const char *settings,
                                   const char *const *inputs, const char *output, int64_t nt,
                                   char **stamps, char **fingerprint);

/* The beam's wavelength in A recorded in the container: the detector geometry's, else the
 * attribute "wavelength" (m) of /entry/scan (the simulator's pattern level); 0 if neither. */
double tsct_stage_wavelength(tsct_container *c);

/* Finished units of a step, recorded in contiguous runs at most once a second (a per-unit
 * record costs a flush; a voxel stage finishes thousands of units a second). Caller memory,
 * zeroed to start; flush before the commit. */
typedef struct tsct_stage_batch {
    int64_t first, n;
    double last;
} tsct_stage_batch;

tsct_status tsct_stage_batch_add(tsct_step *step, tsct_stage_batch *b, int64_t unit,
                                 tsct_error *err);
tsct_status tsct_stage_batch_flush(tsct_step *step, tsct_stage_batch *b, tsct_error *err);

/* The sample: voxels whose pattern's total intensity exceeds `fraction` of the largest total
 * in the volume [nt][nz][ny][nx][nq] of dataset d (NaN totals are not sample). One streaming
 * pass for the largest total: *max_total. */
tsct_status tsct_stage_max_total(tsct_dataset *d, double *max_total, tsct_error *err);

/* ---- sinogram -------------------------------------------------------------------------------
 * /entry/integrated/data [nt][nz][na][ns][nq] -> /entry/sinograms/data [nt][nz][na][ms][mq]
 * (and /entry/sinograms/q, /entry/sinograms/centre [nt*nz]): zigzag rows flipped back, bad
 * channels and zingers filtered, air scatter subtracted, projections normalised, centre-of-
 * mass jitter removed, centred on the rotation axis and cropped, binned. docs/tomo.md. */

typedef enum { TSCT_ZIGZAG_AUTO = 0, TSCT_ZIGZAG_YES, TSCT_ZIGZAG_NO } tsct_zigzag_mode;
typedef enum { TSCT_AIR_BOTH = 0, TSCT_AIR_FIRST, TSCT_AIR_LAST } tsct_air_side;
typedef enum {
    TSCT_NORMALISE_NONE = 0,      /* as measured */
    TSCT_NORMALISE_TOTAL,         /* each projection to the same total */
    TSCT_NORMALISE_TRANSMISSION,  /* divide by /entry/scan/transmission at every point */
    TSCT_NORMALISE_MONITOR        /* divide by the monitor in `monitor` (FILE.h5::/path) */
} tsct_normalise_mode;
typedef enum {
    TSCT_CENTRE_AUTO = 0,  /* 0/180 degree pairs, Vo's method reported beside (or used when
                              the scan has no pairs) */
    TSCT_CENTRE_PAIR = 1,  /* 0/180 degree pairs */
    TSCT_CENTRE_VO = 2,    /* Vo et al., Opt. Express 22 (2014) 19078 */
    TSCT_CENTRE_NONE = 3,  /* not centred */
    TSCT_CENTRE_FIXED = 4, /* centre_value, bins of the translation axis */
    TSCT_CENTRE_DEFAULT = 5 /* recon: AUTO for sinograms not centred by the sinogram stage,
                               NONE for those */
} tsct_centre_mode;

typedef struct tsct_sinogram_params {
    tsct_zigzag_mode zigzag;       /* AUTO: /entry/scan attribute zigzag */
    int64_t air;                   /* translations at the edges taken as air (0: none) */
    tsct_air_side air_side;
    int air_per_angle;             /* 1: one air pattern per projection */
    tsct_normalise_mode normalise;
    const char *monitor;           /* TSCT_NORMALISE_MONITOR: FILE.h5::/dataset, [na] or
                                      [na][ns] values */
    int com;                       /* 1: remove centre-of-mass jitter */
    tsct_centre_mode centre;
    double centre_value;           /* TSCT_CENTRE_FIXED: the centre, translation bins */
    int crop;                      /* 1: crop symmetrically about the centre */
    int64_t bin_translation;       /* >= 1 */
    int64_t bin_channels;          /* >= 1 */
    double bad_channels;           /* > 0: threshold of the bad-channel filter (0: off) */
    double zingers;                /* > 0: threshold of the zinger filter (0: off) */
    int64_t block;                 /* channels per unit of work (rounded up to whole bins) */
    int deflate;                   /* 0-9 */
} tsct_sinogram_params;

#define TSCT_SINOGRAM_PARAMS_DEFAULT                                                          \
    {TSCT_ZIGZAG_AUTO, 0, TSCT_AIR_BOTH, 0, TSCT_NORMALISE_NONE, NULL, 0, TSCT_CENTRE_AUTO,   \
     0.0, 1, 1, 1, 0.0, 0.0, 256, 1}

/* Errors: those of the container and steps; TSCT_ERR_SHAPE (integrated not 5-D, angles or
 * transmission of another length, a centre that leaves no positions), TSCT_ERR_VALUE
 * (non-finite angles, binning beyond the data, parameters out of range), TSCT_ERR_NOT_FOUND
 * (transmission asked for but not measured). */
tsct_status tsct_stage_sinogram(const char *container, const tsct_sinogram_params *params,
                                const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                tsct_error *err);

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
    TSCT_FRAME_VALUE_NONE = 0,  /* not measured */
    TSCT_FRAME_VALUE_DATASET,   /* the dataset `path` [frames] of the HDF5 file holding the
                                   frame, at the frame's index in that file */
    TSCT_FRAME_VALUE_HEADER     /* the number in header item `key` of the frame's image file
                                   (EDF: the key; CBF: the Pilatus line "# KEY VALUE") */
} tsct_frame_value_source;

typedef struct tsct_integrate_scan_params {
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
    tsct_frame_value_source monitor_source; /* each frame's pattern divided by its monitor */
    const char *monitor;         /* dataset path ("/...") or header key */
    tsct_frame_value_source transmission_source; /* the sample's transmission at each frame,
                                    stored as /entry/scan/transmission [nt][nz][na][ns] */
    const char *transmission;    /* dataset path or header key */
} tsct_integrate_scan_params;

#define TSCT_INTEGRATE_SCAN_PARAMS_DEFAULT                                                    \
    {NULL, 0, NULL, NULL, NULL, NULL, TSCT_INTEGRATE_PARAMS_DEFAULT, NULL, 0, 180.0, 0, 0.0, \
     1, 0, 0, TSCT_FRAME_VALUE_NONE, NULL, TSCT_FRAME_VALUE_NONE, NULL}

/* Integrate the frames of a scan into container (created when missing; its earlier results
 * are kept). Incremental runs skip a scan whose record has the same settings (the frames,
 * the scan's shape, the geometry and corrections named by their files). Errors: those of
 * the frame source, the PONI and image readers, the plan and the container;
 * TSCT_ERR_SHAPE (frames not a whole number of time steps, a mask / dark / flat of another
 * shape, a monitor dataset shorter than its file's frames), TSCT_ERR_VALUE (parameters out
 * of range, a bad filter, a dark or flat pixel not finite or a zero flat, a monitor or
 * transmission not finite and > 0). */
tsct_status tsct_stage_integrate(const char *container, const tsct_integrate_scan_params *params,
                                 const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                 tsct_error *err);

/* Images -> text patterns (.xy): three columns (radial in the unit, intensity, sigma from the
 * Poisson model) under a '#' header with the geometry and the options, pyFAI-like. One plan
 * from the first image; every image must have its shape. */
typedef struct tsct_integrate_files_params {
    const char *const *images;   /* image files (CBF, EDF, TIFF, npy) */
    int64_t nimages;             /* >= 1 */
    const char *output;          /* one image: the .xy file, or an existing folder that gets
                                    NAME.xy; several: a folder (created) that gets NAME.xy per
                                    image (NAME: the image's file name without extension) */
    const char *poni, *mask, *dark, *flat; /* as for a scan */
    tsct_integrate_params integrate;
    const char *filter;          /* as for a scan */
    double monitor;              /* every pattern divided by this factor, > 0 (1) */
} tsct_integrate_files_params;

#define TSCT_INTEGRATE_FILES_PARAMS_DEFAULT                                                   \
    {NULL, 0, NULL, NULL, NULL, NULL, NULL, TSCT_INTEGRATE_PARAMS_DEFAULT, NULL, 1.0}

/* Each file is published atomically under the write rule of tsct/publish.h. Errors: as
 * tsct_stage_integrate's, TSCT_ERR_SHAPE (an image of another shape), TSCT_ERR_IO (the
 * folder cannot be made), TSCT_ERR_EXISTS and TSCT_ERR_VALUE of the write rule. */
tsct_status tsct_stage_integrate_files(const tsct_integrate_files_params *params,
                                       const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                       tsct_error *err);

/* ---- echem -----------------------------------------------------------------------------------
 * A potentiostat export (tsct_echem_read) -> /entry/echem (paths TSCT_PATH_ECHEM_* of
 * tsct/container.h, read back with tsct_echem_stored_read): the record {time, voltage,
 * current, capacity (mAh/g, within the half cycle)} [n] and, for each tomogram t (the time
 * steps of the first of /entry/integrated, sinograms, recon present), acquired from start
 * to end, the time-weighted mean capacity (mAh/g) and voltage over that window and the half
 * cycle at its middle [nt]. Replaces an earlier /entry/echem; no process record. */
typedef struct tsct_echem_params {
    const char *file;            /* the potentiostat export (.csv, .mpt); required */
    tsct_echem_columns columns;  /* which columns, the time unit */
    double mass_mg;              /* active mass, > 0 (capacities in mAh/g) */
    double period;               /* tomogram t from start + t * period (s), > 0 ... */
    double start;                /* ... >= 0 ... */
    double duration;             /* ... for duration s (0: the period) */
    const char *windows;         /* or (not NULL) a two-column text file: start and end (s) of
                                    each tomogram, at least nt rows */
} tsct_echem_params;

#define TSCT_ECHEM_PARAMS_DEFAULT {NULL, TSCT_ECHEM_COLUMNS_DEFAULT, 0.0, 0.0, 0.0, 0.0, NULL}

/* Errors: those of tsct_echem_read and the container; TSCT_ERR_NOT_FOUND (no stage with
 * time steps), TSCT_ERR_SHAPE (fewer windows than tomograms), TSCT_ERR_VALUE (a window
 * outside the record, naming the tomogram; parameters out of range). */
tsct_status tsct_stage_echem(const char *container, const tsct_echem_params *params,
                             const tsct_stage_ctx *ctx, tsct_stage_report *report,
                             tsct_error *err);

#ifdef __cplusplus
}
#endif

#endif /* TSCT_STAGE_H */
