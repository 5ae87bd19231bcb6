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

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tsct/container.h"
#include "tsct/ini.h"
#include "tsct/fit.h"
#include "tsct/echem.h"
#include "tsct/edxrd.h"
#include "tsct/figure.h"
#include "tsct/integrate.h"
#include "tsct/log.h"
#include "tsct/poni.h"
#include "tsct/pdf.h"
#include "tsct/progress.h"
#include "tsct/status.h"
#include "tsct/tomo.h"

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

/* 1 when name is 1..max_len characters, each a letter, a digit or one of `also` (the names a
 * stage puts in container paths: fits "_" and 48, regions "_-." and 63); 0 otherwise. */
int tsct_stage_name_valid(const char *name, size_t max_len, const char *also);

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

/* The sample: voxels whose pattern's total intensity (the sum over its channels) is at least
 * a fraction of the largest total in the volume (NaN totals are not sample).
 *
 * tsct_stage_max_total: the largest total of the volume [nt][nz][ny][nx][nq] of dataset d,
 * in one streaming pass (0 when no total is positive and finite). Errors: TSCT_ERR_SHAPE (d
 * not 5-D), TSCT_ERR_NOMEM, those of the reader.
 *
 * tsct_stage_sample_mask: mask[x] = 1 where the total of pattern x of row [nx][nq] is finite,
 * positive and >= cut (cut = fraction x the largest total), 0 elsewhere; returns the count.
 * Totals are summed in double in channel order, so a caller that rounds them to float
 * (a stored map) gets the same totals. Never fails; thread-safe. */
tsct_status tsct_stage_max_total(tsct_dataset *d, double *max_total, tsct_error *err);
int64_t tsct_stage_sample_mask(const float *row, int64_t nx, int64_t nq, double cut,
                               uint8_t *mask);

/* A threshold on a map's values, as the map stages (region, coverage, particles) take it:
 * Otsu's (256 bins), an absolute value, or a fraction of a percentile of the values. */
typedef enum {
    TSCT_STAGE_THRESHOLD_OTSU = 0,  /* Otsu's threshold of the values (tsct_maps_otsu) */
    TSCT_STAGE_THRESHOLD_ABSOLUTE,  /* value */
    TSCT_STAGE_THRESHOLD_PERCENTILE /* fraction x the percentile-th percentile (0-100) */
} tsct_stage_threshold_rule;

typedef struct tsct_stage_threshold {
    tsct_stage_threshold_rule rule;
    double value;       /* ABSOLUTE */
    double percentile;  /* PERCENTILE: 0-100 */
    double fraction;    /* PERCENTILE: > 0 */
} tsct_stage_threshold;

#define TSCT_STAGE_THRESHOLD_DEFAULT                                                               \
    {                                                                                              \
        TSCT_STAGE_THRESHOLD_OTSU, 0.0, 99.5, 1.0                                                  \
    }
/* F x the 99.5th percentile, the default of tsct region and tsct particles (F = 0.5) */
#define TSCT_STAGE_THRESHOLD_P995(F)                                                               \
    {                                                                                              \
        TSCT_STAGE_THRESHOLD_PERCENTILE, 0.0, 99.5, (F)                                            \
    }

/* ---- sinogram -------------------------------------------------------------------------------
 * /entry/integrated/data [nt][nz][na][ns][nq] -> /entry/sinograms/data [nt][nz][na][ms][mq]
 * (and /entry/sinograms/q, /entry/sinograms/centre [nt*nz]): zigzag rows flipped back, bad
 * channels and zingers filtered, air scatter subtracted, projections normalised, centre-of-
 * mass jitter removed, centred on the rotation axis and cropped, binned. docs/tomo.md. */

typedef enum {
    TSCT_STAGE_ZIGZAG_AUTO = 0,
    TSCT_STAGE_ZIGZAG_YES,
    TSCT_STAGE_ZIGZAG_NO
} tsct_stage_zigzag_mode;
typedef enum {
    TSCT_STAGE_AIR_BOTH = 0,
    TSCT_STAGE_AIR_FIRST,
    TSCT_STAGE_AIR_LAST
} tsct_stage_air_side;
typedef enum {
    TSCT_STAGE_NORMALISE_NONE = 0,     /* as measured */
    TSCT_STAGE_NORMALISE_TOTAL,        /* each projection to the same total */
    TSCT_STAGE_NORMALISE_TRANSMISSION, /* divide by /entry/scan/transmission at every point */
    TSCT_STAGE_NORMALISE_MONITOR       /* divide by the monitor in `monitor` (FILE.h5::/path) */
} tsct_stage_normalise_mode;
typedef enum {
    TSCT_STAGE_CENTRE_AUTO = 0,   /* 0/180 degree pairs, Vo's method reported beside (or used when
                               the scan has no pairs) */
    TSCT_STAGE_CENTRE_PAIR = 1,   /* 0/180 degree pairs */
    TSCT_STAGE_CENTRE_VO = 2,     /* Vo et al., Opt. Express 22 (2014) 19078 */
    TSCT_STAGE_CENTRE_NONE = 3,   /* not centred */
    TSCT_STAGE_CENTRE_FIXED = 4,  /* centre_value, bins of the translation axis */
    TSCT_STAGE_CENTRE_DEFAULT = 5 /* recon: AUTO for sinograms not centred by the sinogram stage,
                               NONE for those */
} tsct_stage_centre_mode;

typedef struct tsct_stage_sinogram_params {
    tsct_stage_zigzag_mode zigzag; /* AUTO: /entry/scan attribute zigzag */
    int64_t air;                   /* translations at the edges taken as air (0: none) */
    tsct_stage_air_side air_side;
    int air_per_angle;             /* 1: one air pattern per projection */
    tsct_stage_normalise_mode normalise;
    const char *monitor;           /* TSCT_STAGE_NORMALISE_MONITOR: FILE.h5::/dataset, [na] or
                                      [na][ns] values */
    int com;                       /* 1: remove centre-of-mass jitter */
    tsct_stage_centre_mode centre;
    double centre_value;           /* TSCT_STAGE_CENTRE_FIXED: the centre, translation bins */
    int crop;                      /* 1: crop symmetrically about the centre */
    int64_t bin_translation;       /* >= 1 */
    int64_t bin_channels;          /* >= 1 */
    double bad_channels;           /* > 0: threshold of the bad-channel filter (0: off) */
    double zingers;                /* > 0: threshold of the zinger filter (0: off) */
    int64_t block;                 /* channels per unit of work (rounded up to whole bins) */
    int deflate;                   /* 0-9 */
} tsct_stage_sinogram_params;

#define TSCT_STAGE_SINOGRAM_PARAMS_DEFAULT                                                         \
    {                                                                                              \
        TSCT_STAGE_ZIGZAG_AUTO, 0, TSCT_STAGE_AIR_BOTH, 0, TSCT_STAGE_NORMALISE_NONE, NULL, 0,     \
            TSCT_STAGE_CENTRE_AUTO, 0.0, 1, 1, 1, 0.0, 0.0, 256, 1                                 \
    }

/* Errors: those of the container and steps; TSCT_ERR_SHAPE (integrated not 5-D, angles or
 * transmission of another length, a centre that leaves no positions), TSCT_ERR_VALUE
 * (non-finite angles, binning beyond the data, parameters out of range), TSCT_ERR_NOT_FOUND
 * (transmission asked for but not measured). */
tsct_status tsct_stage_sinogram(const char *container, const tsct_stage_sinogram_params *params,
                                const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                tsct_error *err);

/* ---- recon ----------------------------------------------------------------------------------
 * /entry/sinograms/data [nt][nz][na][ns][nq] (angles /entry/scan/angle [na], degrees) ->
 * /entry/recon/data [nt][nz][n][n][nq] (and /entry/recon/q [nq] when /entry/sinograms/q
 * exists): every channel of every (time, slice) reconstructed by filtered back projection
 * (skimage's iradon) or by SIRT / CGLS (ASTRA's), through a resumable step "recon" whose unit
 * is one block of `block` channels of one (time, slice). The centre of rotation is found once,
 * on the channel sum of the first (time, slice), and the sinograms are resampled about it and
 * cropped symmetrically (tsct_sino_centre_crop_width) before reconstruction. docs/tomo.md. */

typedef enum {
    TSCT_STAGE_RECON_FBP = 0, /* filtered back projection (params.filter) */
    TSCT_STAGE_RECON_SIRT =
        1, /* simultaneous iterative reconstruction (params.iterations, nonneg) */
    TSCT_STAGE_RECON_CGLS = 2 /* conjugate gradient least squares (params.iterations) */
} tsct_stage_recon_method;

typedef struct tsct_stage_recon_params {
    tsct_stage_recon_method method;
    tsct_tomo_fbp_filter filter; /* FBP's filter (include/tsct/tomo.h) */
    int64_t iterations;        /* SIRT / CGLS iterations, run in full (no tolerance); 0: 100
                                  for SIRT, 30 for CGLS (and recorded as 100 for FBP) */
    int nonneg;                /* SIRT: clip to >= 0 after each update */
    int64_t size;              /* image size n; 0: the sinogram width after centring */
    int circle;                /* 1: only the inscribed circle (pixels outside are 0) */
    tsct_stage_centre_mode centre; /* DEFAULT: AUTO for sinograms without /entry/sinograms/centre,
                                NONE for those the sinogram stage centred (and for plain
                                arrays AUTO) */
    double centre_value;           /* TSCT_STAGE_CENTRE_FIXED: the centre, translation bins */
    int64_t block;             /* channels per unit of work (and per chunk), >= 1 */
    int deflate;               /* 0-9 */
    int64_t rings;             /* ring-artefact removal first (tsct_tomo_rings_sort): the odd
                                  window in detector positions; 0: none */
} tsct_stage_recon_params;

#define TSCT_STAGE_RECON_PARAMS_DEFAULT                                                            \
    {                                                                                              \
        TSCT_STAGE_RECON_FBP, TSCT_TOMO_FBP_FILTER_RAMP, 0, 0, 0, 1, TSCT_STAGE_CENTRE_DEFAULT,    \
            0.0, 256, 1, 0                                                                         \
    }

/* Reconstruct the container's sinograms into /entry/recon. The settings record (and so the
 * fingerprint) holds the method, filter, iterations, nonneg, the image size n, circle, the
 * centre used (-1: none), the block and deflate; the step's inputs are the sinogram and
 * import_sinograms steps. Incremental runs (ctx->incremental) keep unchanged leading time
 * steps (see the top of this file). report->units counts the channel blocks computed.
 * Errors: those of the container and steps; TSCT_ERR_SHAPE (sinograms not 5-D, a number of
 * angles other than na), TSCT_ERR_VALUE (non-finite angles, parameters out of range, a fixed
 * centre outside the positions or one that leaves fewer than 2 of them), TSCT_ERR_NOMEM. A
 * SIRT / CGLS run that stops before convergence is not an error (it runs its iterations). */
tsct_status tsct_stage_recon(const char *container, const tsct_stage_recon_params *params,
                             const tsct_stage_ctx *ctx, tsct_stage_report *report, tsct_error *err);

/* A plain sinogram (or a row of a projection stack) outside any container: where it comes
 * from, its angles and the absorption corrections it needs. */
typedef struct tsct_stage_recon_array_params {
    const char *angles;        /* FILE.h5::/dataset of na angles in degrees, or NULL: */
    double angle_range[2];     /* na angles A + i (B - A) / na, A = [0], B = [1] (A != B) */
    int64_t row;               /* >= 0: the input is a projection stack [na][ny][nx]: use row
                                  `row` as the sinogram [na][nx]; -1: the input is a sinogram */
    const char *flat;          /* flat field FILE.h5::/dataset (or image): [ns], [k][ns] or,
                                  with row, [k][ny][ns], averaged over k; NULL: none */
    const char *dark;          /* dark field, as flat (needs flat); NULL: none */
    int neglog;                /* 1: -log of the (flat-normalised) transmission */
    int64_t air;               /* > 0: subtract the air of the first / last `air` positions,
                                  one air value per angle and channel (0: none) */
} tsct_stage_recon_array_params;

#define TSCT_STAGE_RECON_ARRAY_PARAMS_DEFAULT                                                      \
    {                                                                                              \
        NULL, {0.0, 180.0}, -1, NULL, NULL, 0, 0                                                   \
    }

/* Reconstruct a plain array into a new HDF5 file: input is FILE.h5::/dataset or an image file
 * (TIFF, EDF, ...) holding a sinogram [na][ns] or [na][ns][nc] (or with array->row a stack
 * [na][ny][ns]); the corrections run in the order flat / dark, -log, air, then the centre
 * (params->centre, DEFAULT meaning AUTO) and the reconstruction of params (block unused).
 * The image goes to /entry/image/data of `output` (TSCT_PATH_IMAGE; /data is
 * a soft link to it, the path of earlier versions), [n][n] (a 2-D input or a row) or
 * [n][n][nc], float32, with its voxel axes y and x (translation steps from the rotation
 * axis), the angles in /entry/scan/angle and attributes method, filter, iterations and
 * centre (input positions; -1 when not centred): an NXdata that viewers plot. The file is
 * written under a temporary name and renamed (include/tsct/publish.h): a failed run leaves
 * none; an existing output is replaced only as tsct_publish_set_replace() allows, an input
 * never. In memory: the whole sinogram and image. report->units = nc.
 * Errors: TSCT_ERR_EXISTS (output exists), TSCT_ERR_SHAPE (input rank, row out of range, fewer than 1 angle
 * or 2 positions, angles or fields of another length), TSCT_ERR_VALUE (angle range A == B,
 * non-finite angles, dark without flat, the centre), TSCT_ERR_UNSUPPORTED (flat fields of a
 * multi-channel sinogram), the file errors of the readers and the writer, TSCT_ERR_NOMEM. */
tsct_status tsct_stage_recon_array(const char *input, const char *output,
                                   const tsct_stage_recon_params *params,
                                   const tsct_stage_recon_array_params *array,
                                   const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                   tsct_error *err);

/* A sinogram held in memory (the Python module's numpy path), reconstructed as
 * tsct_stage_recon_array does once it has read and corrected its input, so both give the same
 * image: sino [na][ns][nc] float32, C order, not modified (copied: na x ns x nc floats more);
 * angles_deg [na] in degrees. Centred as params->centre asks (DEFAULT meaning AUTO), then
 * reconstructed by params' method (block and deflate unused). *image receives the image
 * [n][n][nc] (malloc'd: the caller frees it with free(), or tsct_bind_free from a front end
 * that cannot call free), *n its size, *centre (may be NULL) the centre used in translation
 * bins (-1: not centred). Thread-safe for distinct outputs. Errors: TSCT_ERR_VALUE (NULL
 * pointers, a non-finite angle, parameters out of range, the centre), TSCT_ERR_SHAPE (fewer
 * than 1 angle, 2 positions or 1 channel), TSCT_ERR_NOMEM; *image is NULL on error. */
tsct_status tsct_stage_recon_memory(const float *sino, int64_t na, int64_t ns, int64_t nc,
                                    const double *angles_deg,
                                    const tsct_stage_recon_params *params,
                                    const tsct_stage_ctx *ctx, float **image, int64_t *n,
                                    double *centre, tsct_error *err);

/* ---- map ------------------------------------------------------------------------------------
 * /entry/recon [nt][nz][ny][nx][nq] (and /entry/pdf for G(r) maps) -> /entry/maps/NAME
 * [nt][nz][ny][nx], each with an attribute "method" saying how it was made; with unmix maps
 * also /entry/maps/unmix_residual. Maps are defined by lines "NAME = KIND ARGS"
 * (docs/maps.md): window LO HI [nobg], value X [DX], gr R [DR], total, ratio A B,
 * normalise A, unmix SOURCE (cif:FILE:SIZE_NM[:strain=..][:grow=..], nano:FILE:RADIUS_NM,
 * broad:NAME, xy:FILE). A map may use maps defined before it. */

/* The definitions of a map run, in order (at most 64 maps, 16 KiB of text). */
typedef struct tsct_stage_map_defs tsct_stage_map_defs;

tsct_stage_map_defs *tsct_stage_map_defs_create(void);  /* NULL without memory */
void tsct_stage_map_defs_destroy(tsct_stage_map_defs *defs);
/* Add one definition line; NULL when accepted, else a static text saying why not (the
 * definitions are then unchanged). */
const char *tsct_stage_map_defs_add(tsct_stage_map_defs *defs, const char *line);
/* The option form of a line: kind "window" and arg "NAME=LO:HI[:nobg]" (value NAME=X[:DX],
 * gr NAME=R[:DR], total NAME, ratio NAME=A/B, normalise NAME=A, unmix NAME=SOURCE). */
const char *tsct_stage_map_defs_add_option(tsct_stage_map_defs *defs, const char *kind,
                                           const char *arg);
/* Add the lines of a definitions file (one definition per line; '#' starts a comment; blank
 * lines skipped), in order. Errors: TSCT_ERR_NOT_FOUND (cannot open), TSCT_ERR_VALUE naming
 * the file and the line (a line longer than 2046 characters, a definition refused, saying
 * why); the lines before it stay added. */
tsct_status tsct_stage_map_defs_read(tsct_stage_map_defs *defs, const char *path,
                                     tsct_error *err);
int tsct_stage_map_defs_count(const tsct_stage_map_defs *defs);
/* Every line added, each ending in a newline: the step's settings. */
const char *tsct_stage_map_defs_text(const tsct_stage_map_defs *defs);

typedef struct tsct_stage_map_params {
    const tsct_stage_map_defs *definitions;  /* required, not changed by the stage */
    int unmix_background;   /* unmixing background terms: 0 none, 1 constant, 2 linear */
    double wavelength;      /* A, for cif and nano components (0: the container's) */
    const char *data_dirs;  /* folders of the CIF files, colon-separated (NULL: default) */
} tsct_stage_map_params;

#define TSCT_STAGE_MAP_PARAMS_DEFAULT                                                              \
    {                                                                                              \
        NULL, 1, 0.0, NULL                                                                         \
    }

/* Errors: TSCT_ERR_VALUE (no maps, a combination of a map not defined before it, parameters
 * out of range), TSCT_ERR_SHAPE (q or r axes of another length, PDF voxels on another grid),
 * TSCT_ERR_NOT_FOUND (recon, pdf, a CIF, a wavelength), those of the container and steps. */
tsct_status tsct_stage_map(const char *container, const tsct_stage_map_params *params,
                           const tsct_stage_ctx *ctx, tsct_stage_report *report, tsct_error *err);

/* ---- pdf ------------------------------------------------------------------------------------
 * Per voxel: /entry/recon [nt][nz][ny][nx][nq] -> /entry/pdf/G [nt][nz][ny][nx][nr] and
 * /entry/pdf/r (A), G in A^-2 as PDFgetX3 normalises it (docs/pdf.md), for voxels whose
 * total intensity is at least threshold x the largest in the volume (others NaN); with a
 * reference time step T also /entry/pdf/dpdf = G_t - G_T. Every setting is an attribute of
 * the datasets. Region: /entry/regions/NAME/pattern [nt][nq] (q: /entry/regions/NAME/q, else
 * /entry/recon/q) -> /entry/regions/NAME/{pdf, dpdf} [nt][nr] and r, and with output_dir one
 * .gr file per time step, DIR/NAME_tNNNN.gr, headed by the configuration (DIR is made when
 * missing, and the files are checked against the write rule before anything is written). */

typedef struct tsct_stage_pdf_params {
    const tsct_pdf_config *config;  /* required: the resolved configuration (tsct/pdf.h) */
    double threshold;               /* 0..1, per voxel (default 0.05) */
    int64_t reference;              /* dPDF reference time step; -1: none (region: 0) */
    const char *region;             /* tsct_stage_pdf_region: the region's name */
    const char *output_dir;         /* tsct_stage_pdf_region: .gr files here (NULL: none) */
    const char *output;             /* tsct_stage_pdf_files: NULL (NAME.TYPE in the current
                                       folder), a folder (made when it ends in '/'), a file
                                       name whose extension is replaced, or a PDFgetX3
                                       template with @b / @o */
} tsct_stage_pdf_params;

#define TSCT_STAGE_PDF_PARAMS_DEFAULT                                                              \
    {                                                                                              \
        NULL, 0.05, -1, NULL, NULL, NULL                                                           \
    }

/* Errors: TSCT_ERR_SHAPE (recon not 5-D or its q of another length), TSCT_ERR_VALUE (a
 * reference at or beyond nt, a threshold out of 0..1, a configuration the data cannot
 * satisfy), those of the PDF planner, the container and steps. */
tsct_status tsct_stage_pdf(const char *container, const tsct_stage_pdf_params *params,
                           const tsct_stage_ctx *ctx, tsct_stage_report *report, tsct_error *err);
/* Text patterns inputs[ninputs] (two columns, x in the configuration's dataformat) to the
 * configuration's output types (.iq, .sq, .fq, .gr), each headed by the resolved
 * configuration, named from params->output; the configuration's backgrounds (each scaled by
 * its bgscale) are subtracted first. Errors: those of the text reader (x must increase), of
 * tsct_pdf_config_check_q and the planner (naming the configuration), TSCT_ERR_VALUE (a
 * background that does not cover the data, several inputs without an output folder),
 * TSCT_ERR_IO, the write rule's (tsct/publish.h). */
tsct_status tsct_stage_pdf_files(const char *const *inputs, int ninputs,
                                 const tsct_stage_pdf_params *params, const tsct_stage_ctx *ctx,
                                 tsct_stage_report *report, tsct_error *err);
/* Errors as tsct_stage_pdf, and TSCT_ERR_VALUE for a region name with '/'. A time step
 * whose pattern cannot be normalised (empty region) gets NaN and a warning. */
tsct_status tsct_stage_pdf_region(const char *container, const tsct_stage_pdf_params *params,
                                  const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                  tsct_error *err);

/* ---- calibration ----------------------------------------------------------------------------
 * What `tsct calibrate` reads and draws around tsct_calibrate (include/tsct/calibrate.h). */

struct tsct_calibrate_result;
struct tsct_calibrant;
struct tsct_image;

/* Read the calibrant frame at image into img (caller memory, tsct_image_init'd) and its mask
 * into *mask ([rows][cols], 1 = masked, malloc'd: the caller frees): negative pixels, the
 * module gaps of g's detector when g names one with a shape, and the non-zero pixels of the
 * image at mask_path (or NULL). flip: turn image and mask upside down (Dioptas' TIFFs).
 * Errors: those of the image reader; TSCT_ERR_SHAPE (the image or the mask of another shape
 * than the detector or the image), TSCT_ERR_NOMEM. */
tsct_status tsct_stage_calibration_image(const char *image, const char *mask_path, int flip,
                                          const tsct_poni *g, struct tsct_image *img,
                                          uint8_t **mask, tsct_error *err);

/* The refined geometry as `tsct calibrate` prints it, to out: the calibrant, its reference,
 * the rings and control points used; one line per parameter of tsct_calibrate (name, value
 * %.9g, "+- ESD", "(fixed)" for a fixed one); the 2theta residual in degrees RMS and pixels.
 * Errors: TSCT_ERR_IO (the stream). */
tsct_status tsct_stage_calibration_table(FILE *out, const struct tsct_calibrate_result *res,
                                         const struct tsct_calibrant *cal, tsct_error *err);

/* A PNG at path: log10(counts + 1) of img binned to at most ~900 pixels a side (masked pixels
 * left out), the control points of res in red, the calculated rings of cal at res's geometry
 * in yellow, axes in pixels. Errors: TSCT_ERR_NOMEM, those of tsct_figure_map_overlay. */
tsct_status tsct_stage_calibration_png(const struct tsct_image *img, const uint8_t *mask,
                                        const struct tsct_calibrate_result *res,
                                        const struct tsct_calibrant *cal, const char *path,
                                        tsct_error *err);

/* The whole calibration of `tsct calibrate`: the frame and its mask, the calibrant's rings
 * down to the detector's largest 2theta, tsct_calibrate from the starting geometry, then the
 * PONI (pyFAI version 2) and optionally the PNG. */
typedef struct tsct_stage_calibrate_params {
    const char *image;       /* the calibrant frame (required) */
    const char *calibrant;   /* CeO2, LaB6, Si, ..., a pyFAI .D file or a CIF (required) */
    const char *detector;    /* pyFAI detector name; NULL: the guess PONI's */
    double pixel_um;         /* pixel size in micrometres of a generic Detector (0: the
                                detector's) */
    double wavelength;       /* Angstrom; 0: from energy_kev or the guess */
    double energy_kev;       /* keV instead of the wavelength (0: not given) */
    const char *guess;       /* starting geometry, a PONI file (NULL: none) */
    double distance;         /* m: > 0 gives a starting geometry without tilt with the beam
                                centre below (instead of guess) */
    double centre[2];        /* beam centre X (column), Y (row), pixels, with distance */
    const char *mask;        /* mask image (non-zero = masked) or NULL */
    int flip;                /* 1: the frame upside down first (Dioptas' TIFFs) */
    const char *refine;      /* "dist,poni1,...", NULL: TSCT_CALIB_DEFAULT_REFINE */
    int max_rings;           /* 0: every ring on the detector */
    const char *output;      /* the PONI to write (required) */
    const char *png;         /* the frame with points and rings, or NULL */
    int accept_misfit;       /* 1: write even when the rings do not fit well */
    const char *note;        /* one line for the PONI's comment (tsct_poni_write_v2_noted),
                                or NULL */
} tsct_stage_calibrate_params;

#define TSCT_STAGE_CALIBRATE_PARAMS_DEFAULT                                                  \
    {NULL, NULL, NULL, 0.0, 0.0, 0.0, NULL, 0.0, {0.0, 0.0}, NULL, 0, NULL, 0, NULL, NULL, 0, \
     NULL}

/* Calibrate as params say, with ctx's threads. *result (may be NULL) receives the
 * calibration (free with tsct_calibrate_result_destroy) and *calibrant (may be NULL) the rings
 * used (tsct_calibrant_destroy), also when the rings fit badly. report->what: the RMS ring
 * residual. Errors: TSCT_ERR_VALUE (a missing image, calibrant, output, detector or
 * wavelength; both a guess and a beam centre; the rings do not fit well and accept_misfit is
 * 0: nothing written, the result still returned), those of tsct_stage_calibration_image,
 * tsct_calibrant_create, tsct_calibrate and the writers; TSCT_NOT_CONVERGED is reported as a
 * warning and the PONI written. */
tsct_status tsct_stage_calibrate(const tsct_stage_calibrate_params *params,
                                 const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                 struct tsct_calibrate_result **result,
                                 struct tsct_calibrant **calibrant, tsct_error *err);

/* ---- options: one key / value layer for every front end -------------------------------------
 * Each stage has a table of its options, named as the tsct program spells its long options
 * ("air-side", "radial-range"), and one setter that parses a value into the stage's params
 * struct with the checks and messages the program gives. The program's commands parse their
 * command lines through it and `tsct run` fills the params from its pipeline file through it
 * (docs/pipeline.md), so the two cannot drift; a third front end (Python, a GUI) gets the
 * same names, the same checks and the same messages.
 *
 *     tsct_stage_sinogram_params p = TSCT_STAGE_SINOGRAM_PARAMS_DEFAULT;
 *     st = tsct_stage_option_set(TSCT_STAGE_ID_SINOGRAM, &p, "air", "4", &err);
 *
 * Strings in params point into the values given (they must outlive the params). */

/* A whole decimal number / a finite number, the whole text, as the setters read values; 0 on
 * success, -1 otherwise (out untouched). */
int tsct_stage_parse_int64(const char *s, int64_t *out);
int tsct_stage_parse_double(const char *s, double *out);

/* The stages with an option table, and the params struct each one's setter takes. */
typedef enum tsct_stage_id {
    TSCT_STAGE_ID_INTEGRATE = 0, /* tsct_stage_integrate_scan_params (a scan) */
    TSCT_STAGE_ID_SINOGRAM,      /* tsct_stage_sinogram_params */
    TSCT_STAGE_ID_RECON,         /* tsct_stage_recon_params (a container's sinograms) */
    TSCT_STAGE_ID_REGION,        /* tsct_stage_region_params */
    TSCT_STAGE_ID_MAP,           /* tsct_stage_map_params; definitions: a tsct_stage_map_defs
                                    the caller created, to which definitions are added */
    TSCT_STAGE_ID_PARTICLES,     /* tsct_stage_particles_params */
    TSCT_STAGE_ID_COVERAGE,      /* tsct_stage_coverage_params */
    TSCT_STAGE_ID_ECHEM,         /* tsct_stage_echem_params */
    TSCT_STAGE_ID_FIT,           /* tsct_stage_fit_voxels_params; model: a tsct_fit_model the
                                    caller made with tsct_fit_model_init(m, NAN, NAN) (no
                                    window yet), which window, peak and background change */
    TSCT_STAGE_ID_COUNT
} tsct_stage_id;

typedef enum tsct_stage_option_kind {
    TSCT_STAGE_OPTION_FLAG = 0, /* no value (NULL, "yes" or "true" set it) */
    TSCT_STAGE_OPTION_VALUE,    /* one value */
    TSCT_STAGE_OPTION_PAIR      /* two numbers, "A B" (on a command line: two arguments) */
} tsct_stage_option_kind;

typedef struct tsct_stage_option {
    const char *name;           /* the long option without dashes; NULL ends a table */
    char short_name;            /* the program's one-letter form, or 0 */
    tsct_stage_option_kind kind;
    int path;                   /* 1: the value is a file (a pipeline file resolves it against
                                   its folder) */
    int front;                  /* 1: a file the front end writes (a table's destination): not
                                   in the params, refused by tsct_stage_option_set */
    const char *help;           /* one line: the value and its meaning */
} tsct_stage_option;

/* The stage's table (NULL for an id out of range). */
const tsct_stage_option *tsct_stage_options(tsct_stage_id stage);
/* The stage's name as the program spells it ("sinogram"; "" out of range). */
const char *tsct_stage_id_name(tsct_stage_id stage);
/* The option named key in the stage's table, or NULL. */
const tsct_stage_option *tsct_stage_option_find(tsct_stage_id stage, const char *key);

/* Parse value into params (the struct of the stage, see tsct_stage_id). Errors:
 * TSCT_ERR_VALUE with item "--KEY" and a detail naming the option, what it expects and the
 * value ("--air expects an integer 0..1152921504606846975, got 'x'"): an unknown key ("no
 * option --KEY"), a value out of range, a flag given a value other than yes / true, an option
 * repeated where it excludes another (--monitor-dataset and --monitor-header);
 * TSCT_ERR_UNSUPPORTED for a front end's option (front = 1). */
tsct_status tsct_stage_option_set(tsct_stage_id stage, void *params, const char *key,
                                  const char *value, tsct_error *err);

/* The rules between options, once every option is set: a region of exactly one kind, the map
 * of coverage and particles, at least one map definition, echem's file, mass and tomogram
 * times, a fit's window, peaks and name. Errors: TSCT_ERR_VALUE naming the
 * options. */
tsct_status tsct_stage_options_check(tsct_stage_id stage, const void *params, tsct_error *err);

/* ---- the pipeline file of tsct run ----------------------------------------------------------
 * An INI file (include/tsct/ini.h; docs/pipeline.md): [experiment] container = EXP.h5,
 * [frames] (or scan = scan.ini, the simulator's description) and one section per step. */

#define TSCT_STAGE_PATH_MAX 4096

/* The step sections a pipeline file may hold, in the order they run (NULL-terminated). */
extern const char *const tsct_stage_pipeline_sections[];

/* Every section and [experiment] / [frames] key known, every [frames] value of its kind
 * (numbers in range, yes/no, 180 or 360, formats, the frames pattern), enabled = yes/no,
 * [experiment] container present. Errors: TSCT_ERR_VALUE naming the file, line and key with
 * the allowed values. */
tsct_status tsct_stage_pipeline_check(const tsct_ini *cfg, tsct_error *err);

/* The simulator's scan.ini (or one written by hand): section [scan] only, its keys those of
 * [frames] plus format, frame_files and counts, each value of its kind. Errors as above. */
tsct_status tsct_stage_scan_ini_check(const tsct_ini *scan, tsct_error *err);

/* A path from cfg, relative to cfg's folder unless absolute (cut to size - 1 bytes). */
void tsct_stage_path_resolve(const tsct_ini *cfg, const char *value, char *buf, size_t size);

/* The value of key from cfg with the files named inside it resolved against cfg's folder
 * when they are there (otherwise as written: the stage searches its structure folders):
 * ticks = NAME=FILE[:COLOUR], unmix = NAME=KIND:FILE[:...] (cif, nano, xy); other keys and
 * values as written. */
void tsct_stage_path_resolve_embedded(const tsct_ini *cfg, const char *key, const char *value,
                                      char *buf, size_t size);

/* A step section into a stage's params. */

#define TSCT_STAGE_PIPELINE_FILES 4

/* What tsct_stage_pipeline_section keeps for the params it fills: the values the params
 * point into (resolved paths), and the files of the front end's options (front = 1, e.g. a
 * table's output). Caller memory, zeroed to start; released with
 * tsct_stage_pipeline_values_release after the stage call. */
typedef struct tsct_stage_pipeline_values {
    char **s;                                     /* private */
    int64_t n, cap;                               /* private */
    const char *file_name[TSCT_STAGE_PIPELINE_FILES]; /* option names ("output") */
    const char *file_path[TSCT_STAGE_PIPELINE_FILES]; /* their paths, resolved */
    int nfiles;
} tsct_stage_pipeline_values;

void tsct_stage_pipeline_values_release(tsct_stage_pipeline_values *values);
/* A copy of text kept with values (NULL without memory). */
const char *tsct_stage_pipeline_keep(tsct_stage_pipeline_values *values, const char *text);
/* The path of the front end's option name in values, or NULL. */
const char *tsct_stage_pipeline_file(const tsct_stage_pipeline_values *values, const char *name);
/* Append " WORD" to the command line `line` (cut at its size, as a command line is). */
void tsct_stage_line_add(char *line, size_t size, const char *word);

/* Fill params of stage (its struct, see tsct_stage_id) from the entries of [section] of cfg,
 * in order, through tsct_stage_option_set: each key is an option of the stage's table
 * (enabled is skipped); "no" / "false" leave the option out; "yes" / "true" set a flag; the
 * words of a value are resolved (path options against cfg's folder, files inside values by
 * tsct_stage_path_resolve_embedded) and given as one value ("0.8 4.5" for a pair); the files
 * of front-end options go to values. The equivalent command line's words (" --key value")
 * are appended to line. Errors: TSCT_ERR_VALUE naming the file, line, section and key (a key
 * that is not an option: "'tsct STAGE' has no option --KEY"; a value refused, with the
 * setter's message), the setter's other errors, TSCT_ERR_NOMEM. */
tsct_status tsct_stage_pipeline_section(const tsct_ini *cfg, const char *section,
                                        tsct_stage_id stage, void *params,
                                        tsct_stage_pipeline_values *values, char *line,
                                        size_t line_size, tsct_error *err);

/* The frames of an experiment: [frames] keys over those of the scan.ini it names (whose
 * paths are relative to the scan.ini). Strings as written ("" when absent), paths
 * resolved. */
typedef struct tsct_stage_frames {
    char pattern[TSCT_STAGE_PATH_MAX];  /* frames path with one time-step field (see below) */
    char dataset[256], monitor[256], monitor_header[64], transmission[256],
        transmission_header[64];
    char poni[TSCT_STAGE_PATH_MAX], mask[TSCT_STAGE_PATH_MAX], dark[TSCT_STAGE_PATH_MAX],
        flat[TSCT_STAGE_PATH_MAX];
    char slices[32], angles[32], angle_range[32], translations[32], translation_step[32],
        zigzag[8], npt[32], qmin[64], qmax[64], polarization[32];
    /* A calibrant frame in place of the PONI: poni is then where its calibration is written
     * (default calibration.poni beside the pipeline file); see tsct_stage_frames_calibrate. */
    char calibrant_image[TSCT_STAGE_PATH_MAX], calibrant[256], detector[64], wavelength[32],
        energy_kev[32], pixel_um[32];
    /* The time-step field of pattern: its offset (-1: none, one time step), its length in
     * the pattern, the printed width and whether it is zero-padded. */
    int64_t field_at, field_len;
    int width, zero;
} tsct_stage_frames;

/* Fill fd from cfg's [frames] (and its scan.ini, checked key by key too). Errors: a missing
 * frames / poni / angles / translations (TSCT_ERR_VALUE), a frames pattern that is not one
 * (TSCT_ERR_VALUE), a frames folder that does not exist (TSCT_ERR_NOT_FOUND), those of the
 * INI reader. */
tsct_status tsct_stage_frames_describe(const tsct_ini *cfg, tsct_stage_frames *fd,
                                       tsct_error *err);
/* With [frames] calibrant_image (and calibrant, detector, wavelength or energy_kev; the
 * frames' mask is the calibration's), the PONI fd->poni is made by tsct_stage_calibrate when
 * it does not exist or was made from another image or other settings (its note, see
 * tsct_poni_write_v2_noted, holds a hash of the image's path, size and time and the
 * settings); *ran says whether it ran. Without calibrant_image nothing happens. Errors: those
 * of tsct_stage_calibrate (the rings do not fit well: nothing written). */
tsct_status tsct_stage_frames_calibrate(const tsct_stage_frames *fd, const tsct_stage_ctx *ctx,
                                        int *ran, tsct_error *err);

/* The path of time step t's frame file or folder. */
void tsct_stage_frames_path(const tsct_stage_frames *fd, int64_t t, char *buf, size_t size);
/* Time steps whose frames exist, counted from 0 without gaps (a pattern without a time-step
 * field names one time step). */
int64_t tsct_stage_frames_available(const tsct_stage_frames *fd);
/* ---- fit: peak fits per voxel --------------------------------------------------------------
 * /entry/recon/data (x = /entry/recon/q, 1/A) or /entry/pdf/G (x = /entry/pdf/r, A),
 * [nt][nz][ny][nx][nc] -> /entry/fits/NAME/parameters and esd [nt][nz][ny][nx][k] (attribute
 * "parameters" names the k values), rwp, redchi2 and status [nt][nz][ny][nx] (0 converged,
 * 1 converged with a parameter on a bound, 2 not converged, 3 failed; NaN outside the mask),
 * and with `maps` plain maps /entry/maps/NAME_PARAMETER [nt][nz][ny][nx]. One unit of the
 * step /entry/process/fit_name (lower case) is one voxel row; its voxels are fitted in
 * parallel (tsct_fit_execute_many). docs/fit.md.
 *
 * The mask: voxels where /entry/maps/MASK_MAP ([nt or 1][nz][ny][nx]) is > 0; else the sample
 * of /entry/recon (tsct_stage_sample_mask, with threshold x the largest total rounded to
 * float as `tsct map --total` stores it); else (a PDF without /entry/recon) voxels with finite
 * data in the window. An empty mask is an error before any work. */

/* INTEGRATED: /entry/integrated/data with x = /entry/integrated/q (q, or d for the patterns of
 * tsct edxrd), its [na][ns] taken as the voxel grid, the sample from its own totals. */
typedef enum {
    TSCT_STAGE_FIT_SOURCE_RECON = 0,
    TSCT_STAGE_FIT_SOURCE_PDF,
    TSCT_STAGE_FIT_SOURCE_INTEGRATED
} tsct_stage_fit_source;

typedef struct tsct_stage_fit_voxels_params {
    const char *name;             /* /entry/fits/NAME: 1-48 letters, digits, '_' (required) */
    const tsct_fit_model *model;  /* the peaks and background (required; fit.h) */
    tsct_fit_params fit;          /* tolerances and iterations; nthreads is ctx's */
    tsct_stage_fit_source source;
    double threshold;             /* the sample's fraction of the largest total, 0..1 */
    const char *mask_map;         /* fit where /entry/maps/MASK_MAP > 0 (NULL: the sample) */
    const char *maps;             /* parameters also stored as maps: "all" or a comma list
                                     of names (area_1,position_1,...); NULL: none */
} tsct_stage_fit_voxels_params;

#define TSCT_STAGE_FIT_VOXELS_PARAMS_DEFAULT                                                       \
    {                                                                                              \
        NULL, NULL, TSCT_FIT_PARAMS_DEFAULT, TSCT_STAGE_FIT_SOURCE_RECON, 0.05, NULL, NULL         \
    }

/* Incremental runs keep the time steps whose source (and mask input) did not change.
 * report->units: voxel rows fitted. Errors: TSCT_ERR_VALUE (name, threshold, a --maps name the
 * model lacks, an empty mask), TSCT_ERR_SHAPE (source not 5-D or its axis of another length,
 * a mask map or /entry/recon on another voxel grid), TSCT_ERR_NOT_FOUND (source, axis or mask
 * map absent), those of tsct_fit_plan_create (the model against the axis), the container and
 * steps. */
tsct_status tsct_stage_fit(const char *container, const tsct_stage_fit_voxels_params *params,
                           const tsct_stage_ctx *ctx, tsct_stage_report *report, tsct_error *err);

/* ---- region: the mean pattern of a region of voxels ------------------------------------------
 * /entry/recon/data [nt][nz][ny][nx][nq] -> /entry/regions/NAME/pattern [nt][nq] (the mean
 * over the region's voxels whose pattern is finite; NaN for a time step without one),
 * /entry/regions/NAME/mask [nz][ny][nx] (1 inside, 0 outside), /entry/regions/NAME/q
 * (1/A); attributes "definition" and "reduction". One step, /entry/process/region_name
 * (lower case, other characters '_'), replaced whole. Optionally one text file per time step,
 * XY_DIR/NAME_tNNNN.xy (q, mean), each published atomically. */

typedef enum {
    TSCT_STAGE_REGION_CIRCLE = 0, /* a disc in every slice: centre (dx, dy) voxels from the slice's
                               centre, radius voxels */
    TSCT_STAGE_REGION_MAP,        /* /entry/maps/MAP at time step map_time above threshold */
    TSCT_STAGE_REGION_FILE        /* an image [ny][nx] (TIFF, EDF, npy; non-zero = inside) for
                               every slice */
} tsct_stage_region_kind;

typedef struct tsct_stage_region_params {
    const char *name;        /* 1-63 letters, digits, '_', '-', '.' (required) */
    tsct_stage_region_kind kind;
    double dx, dy, radius;   /* CIRCLE: voxels, radius > 0 */
    const char *map;         /* MAP: the map's name */
    int64_t map_time;        /* MAP: its time step */
    tsct_stage_threshold threshold; /* MAP: default 0.5 x its 99.5th percentile */
    const char *file;        /* FILE: the image */
    const char *xy_dir;      /* the folder of DIR/NAME_tNNNN.xy (q, mean intensity), made when
                                missing; each file is checked against the write rule of
                                tsct/publish.h before the region is written. NULL: none */
} tsct_stage_region_params;

#define TSCT_STAGE_REGION_PARAMS_DEFAULT                                                           \
    {                                                                                              \
        NULL, TSCT_STAGE_REGION_CIRCLE, 0.0, 0.0, 0.0, NULL, 0, TSCT_STAGE_THRESHOLD_P995(0.5),    \
            NULL, NULL                                                                             \
    }

/* report->units: voxels in the region. Errors: TSCT_ERR_VALUE (name, radius, an empty
 * region), TSCT_ERR_NOT_FOUND (the map), TSCT_ERR_SHAPE (recon not 5-D or its q of another
 * length, a map or image not on the recon's voxel grid, map_time beyond the map), those of the
 * image reader, the container, steps and publication of the text files. */
tsct_status tsct_stage_region(const char *container, const tsct_stage_region_params *params,
                              const tsct_stage_ctx *ctx, tsct_stage_report *report,
                              tsct_error *err);

/* ---- coverage: a phase's voxel count over time --------------------------------------------
 * /entry/maps/MAP [nt][nz][ny][nx] thresholded per time step and slice with one threshold for
 * the series (computed on time step threshold_time, so counts compare over time), optionally
 * opened, closed (disks of radius open / close voxels) and rid of 8-connected components
 * under min_size voxels; the voxels counted. Writes, through the step /entry/process/coverage
 * (only when it writes a dataset): /entry/maps/MAP_mask (0/1) with `masks`, and with
 * difference = REF >= 0, /entry/maps/MAP_diff = MAP minus its time step REF. The table goes to
 * `table` (the caller's stream; NULL: none) as CSV, after a comment line: time_step, slice,
 * voxels, fraction_of_initial (of the same slice at time step 0), and with the
 * electrochemistry of tsct echem, capacity_mAh_g, voltage_V and half_cycle. */

typedef struct tsct_stage_coverage_params {
    const char *map;                 /* the map's name (required) */
    tsct_stage_threshold threshold;  /* default Otsu */
    int64_t threshold_time;          /* >= 0; -1: the time step with the largest 99.5th
                                        percentile (a phase absent at first) */
    int64_t open, close;             /* radii, voxels (0: none) */
    int64_t min_size;                /* voxels (0 or 1: none) */
    int masks;                       /* 1: store MAP_mask */
    int64_t difference;              /* the reference time step of MAP_diff (-1: none) */
    FILE *table;                     /* where the CSV goes (NULL: nowhere) */
} tsct_stage_coverage_params;

#define TSCT_STAGE_COVERAGE_PARAMS_DEFAULT                                                         \
    {                                                                                              \
        NULL, TSCT_STAGE_THRESHOLD_DEFAULT, 0, 0, 0, 0, 0, -1, NULL                                \
    }

/* report->units: time steps x slices counted. Errors: TSCT_ERR_NOT_FOUND (the map),
 * TSCT_ERR_SHAPE (not 4-D), TSCT_ERR_VALUE (threshold_time or difference beyond the map, a
 * threshold that is not finite there, parameters out of range), TSCT_ERR_IO (the table), those
 * of the container and steps. */
tsct_status tsct_stage_coverage(const char *container, const tsct_stage_coverage_params *params,
                                const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                tsct_error *err);

/* ---- particles: sizes and depth profiles ----------------------------------------------------
 * /entry/maps/MAP [nt][nz][ny][nx] thresholded once for the series (the threshold over every
 * time step), components under min_size voxels removed, 8-connected particles labelled per
 * slice and time step -> /entry/maps/MAP_particles (labels 1, 2, ... per slice; 0 outside)
 * and /entry/maps/MAP_depth (the Euclidean distance of each particle voxel to the nearest voxel
 * outside, voxels: 1 for the outermost; tsct_maps_distance), through the step
 * /entry/process/particles. The particle table (CSV t, z, label, voxels,
 * equivalent_diameter_voxels) goes to `table`; with `parameter` (another map of the same
 * shape), its mean over shells of depth [k, k + 1) voxels, k < shells, to `by_depth` (CSV t,
 * shell, mean_depth_voxels, mean, sd, count). Streams are the caller's; NULL: none. */

typedef struct tsct_stage_particles_params {
    const char *map;                 /* the phase map's name (required) */
    tsct_stage_threshold threshold;  /* default 0.5 x the 99.5th percentile */
    int64_t min_size;                /* smallest particle, voxels, >= 1 */
    const char *parameter;           /* a map to average by depth (NULL: none) */
    int64_t shells;                  /* >= 1 */
    FILE *table, *by_depth;
} tsct_stage_particles_params;

#define TSCT_STAGE_PARTICLES_PARAMS_DEFAULT                                                        \
    {                                                                                              \
        NULL, TSCT_STAGE_THRESHOLD_P995(0.5), 4, NULL, 10, NULL, NULL                              \
    }

/* report->units: particles found. Errors: TSCT_ERR_NOT_FOUND (a map), TSCT_ERR_SHAPE (a map
 * not 4-D, the parameter map of another shape), TSCT_ERR_VALUE (parameters out of range),
 * TSCT_ERR_NOMEM, those of the container and steps. */
tsct_status tsct_stage_particles(const char *container, const tsct_stage_particles_params *params,
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

/* ---- echem -----------------------------------------------------------------------------------
 * A potentiostat export (tsct_echem_read) -> /entry/echem (paths TSCT_PATH_ECHEM_* of
 * tsct/container.h, read back with tsct_echem_stored_read): the record {time, voltage,
 * current, capacity (mAh/g, within the half cycle)} [n] and, for each tomogram t (the time
 * steps of the first of /entry/integrated, sinograms, recon present), acquired from start
 * to end, the time-weighted mean capacity (mAh/g) and voltage over that window and the half
 * cycle at its middle [nt]. Replaces an earlier /entry/echem; no process record. */
typedef struct tsct_stage_echem_params {
    const char *file;            /* the potentiostat export (.csv, .mpt); required */
    tsct_echem_columns columns;  /* which columns, the time unit */
    double mass_mg;              /* active mass, > 0 (capacities in mAh/g) */
    double period;               /* tomogram t from start + t * period (s), > 0 ... */
    double start;                /* ... >= 0 ... */
    double duration;             /* ... for duration s (0: the period) */
    const char *windows;         /* or (not NULL) a two-column text file: start and end (s) of
                                    each tomogram, at least nt rows */
} tsct_stage_echem_params;

#define TSCT_STAGE_ECHEM_PARAMS_DEFAULT                                                            \
    {                                                                                              \
        NULL, TSCT_ECHEM_COLUMNS_DEFAULT, 0.0, 0.0, 0.0, 0.0, NULL                                 \
    }

/* Errors: those of tsct_echem_read and the container; TSCT_ERR_NOT_FOUND (no stage with
 * time steps), TSCT_ERR_SHAPE (fewer windows than tomograms), TSCT_ERR_VALUE (a window
 * outside the record, naming the tomogram; parameters out of range). */
tsct_status tsct_stage_echem(const char *container, const tsct_stage_echem_params *params,
                             const tsct_stage_ctx *ctx, tsct_stage_report *report, tsct_error *err);

/* The table of the tomograms' state of charge, read back from /entry/echem of container
 * (tsct_echem_stored_read) as CSV to out: a header line "t,start_s,end_s,capacity_mAh_g,
 * voltage_V,half_cycle" (after "# " when commented, as `tsct echem` prints it on a terminal),
 * then one row per tomogram. Errors: those of the container and the reader,
 * TSCT_ERR_NOT_FOUND (a tomogram_* vector missing), TSCT_ERR_IO (the stream). */
tsct_status tsct_stage_echem_table(const char *container, FILE *out, int commented,
                                   tsct_error *err);

/* ---- score: phase maps against a simulated experiment's ground truth ------------------------
 * Reads only: /ground_truth/phase_fraction [nt][nz][n][n][nphase] (float32, fractions of the
 * voxel; its attribute "phases" names them, comma-separated) and /entry/maps/MAP
 * [nt][nz][ny][nx] (ny, nx <= n; reconstruction voxel (i, k) is ground-truth voxel
 * (i + n/2 - ny/2, k + n/2 - nx/2), docs/FORMAT.md), at slice `slice`. Per map and time step:
 * the Dice coefficient of the map's region and the true region (true fraction > truth), the
 * same outside the band (true fractions within band of the level left out), voxel counts,
 * coverage and amount relative to one reference time step (0, or the truth's largest where
 * step 0 has less than half of it). The map's unit K is the least-squares slope through the
 * origin of map value against true fraction over the phase's interior voxels (present in the
 * voxel and its four neighbours); the map / K is thresholded at truth with half-height edges
 * within `edge` voxels (tsct_maps_half_max_mask). With threshold > 0 instead: the map above
 * threshold x its 99.5th percentile over every time step (no unit, no edge rule).
 * The text table (one row per map and time step, then a summary: the largest coverage and
 * amount errors, the rule, each map's unit and rms fraction error) goes to `table`; the CSV
 * (header phase,map,t,dice,predicted,true,coverage,true_coverage,dice_band,amount,
 * true_amount) to `csv`. Streams are the caller's; NULL: none. Nothing is written to the
 * container. */

#define TSCT_STAGE_SCORE_MAPS_MAX 32

typedef struct tsct_stage_score_params {
    const char *const *phases;  /* [n] phases of the ground truth to score (n = 0: every phase
                                   with a map of its name, at most TSCT_STAGE_SCORE_MAPS_MAX) */
    const char *const *maps;    /* [n] the map scored as phases[i] (NULL: the phase's name) */
    int64_t n;                  /* 0 .. TSCT_STAGE_SCORE_MAPS_MAX */
    double truth;               /* the level, 0 <= truth < 1 */
    double band;                /* 0 <= band < 1 */
    int64_t edge;               /* half-height edges within edge voxels, 0 .. 16 */
    double threshold;           /* > 0: the former rule (a fraction of the 99.5th percentile);
                                   0: fraction units */
    int64_t slice;              /* >= 0 */
    FILE *table;                /* the text table (NULL: none) */
    FILE *csv;                  /* the CSV table (NULL: none) */
} tsct_stage_score_params;

#define TSCT_STAGE_SCORE_PARAMS_DEFAULT                                                            \
    {                                                                                              \
        NULL, NULL, 0, 0.25, 0.05, 1, 0.0, 0, NULL, NULL                                           \
    }

/* report->units: maps scored; report->ran = 1. Errors: TSCT_ERR_NOT_FOUND (no ground truth,
 * a phase not in it, a map, no map named after a phase), TSCT_ERR_FORMAT (phase_fraction not
 * [nt][nz][n][n][nphase] as its attribute says), TSCT_ERR_SHAPE (a map not [nt][nz][<=n][<=n]),
 * TSCT_ERR_VALUE (slice beyond the experiment, parameters out of range), TSCT_ERR_NOMEM, those
 * of the container. Rows already written stay written when an error comes later. */
tsct_status tsct_stage_score(const char *container, const tsct_stage_score_params *params,
                             const tsct_stage_ctx *ctx, tsct_stage_report *report, tsct_error *err);

/* ---- import: data of other programs into a stage of the container -------------------------
 * For data produced elsewhere (patterns integrated by pyFAI, sinograms or reconstructions from
 * nDTomo scripts) the source is read in one of these layouts (docs/import.md):
 *  - ARRAY: params->source "FILE.h5::/dataset" (integer or float, rank 1 to 5, not empty) is
 *    the stage's array; an array of rank < 5 gets leading axes of length 1 ([ny][nx][nq]
 *    becomes [1][1][ny][nx][nq]);
 *  - PYFAI: the output of pyFAI's HDF5Writer (pyFAI-integrate, the pyFAI worker): source
 *    "FILE.h5" (or "FILE.h5::/group" naming its NXdata) holds the NXdata named by the @default
 *    attributes of the file and its entry (e.g. /entry_0000/integrate/results) with the
 *    signal (@signal, e.g. I) [nframes][nq] or [nslow][fast][nq] and the radial axis
 *    "radial" in its @unit (q in nm^-1 or A^-1, or 2theta in deg with a wavelength); the
 *    frames, in acquisition order (slice, angle, translation), are cut into the scan
 *    [nt][nz][na][ns] given by the angles, translations and slices;
 *  - NDTOMO: an nDTomo sinogram cube "FILE.h5::/dataset" [ns][na][nq] (translations first,
 *    nDTomo's order) or [nz][ns][na][nq], stored as [1][nz][na][ns][nq]; its axis is
 *    params->axis or, when NULL, the dataset "q" beside it;
 *  - XY: a stack of text patterns (.xy, .chi, .dat: tsct/pattern.h) listed by a scan table,
 *    source "TABLE.csv" (tsct_pattern_table_read: file, angle, translation, and optionally
 *    time and slice of every pattern): the distinct values of each column, sorted, are the
 *    scan's axes (in the params' units, else deg, mm, s), every pattern lands at its place
 *    (one per place: a missing or doubled one is refused, naming it), all patterns must share
 *    the first one's x (its first column, relative 1e-6), which is the axis in
 *    params->axis_units (else A^-1). Stored in standard order (zigzag 0).
 * The array is copied row by row (never whole) as float32 into the target's dataset
 * [nt][nz][n2][n3][n] (integrated, sinograms, recon: /entry/STAGE/data; pdf: /entry/pdf/G).
 * The last axis' values (params->axis "FILE.h5::/dataset", or the layout's) are written to
 * /entry/STAGE/q (or /entry/pdf/r) in A^-1 (A for pdf): values in nm^-1, or 2theta (deg, rad)
 * with a wavelength, are converted. The scan axes come from params (integrated and sinograms
 * only): angles (deg), translations (mm), times (s) as "FILE.h5::/dataset" ("::/dataset":
 * in the source file) in their "units" attribute or the params' units (angle: deg, rad;
 * translation: mm, um, m; time: s, min, h), or as ranges "A:B:N" (angles: N values A + i
 * (B - A) / N, B excluded; translations: N values from A to B, both included), each checked
 * against the data's axis; they go to /entry/scan/{angle,translation,time,z}, and
 * /entry/scan@zigzag, @fast_axis and @wavelength (m) are set, so the sinogram stage takes
 * the container as it takes an integrated scan. The container is created when missing. The
 * copy is the resumable step /entry/process/import_STAGE (one unit per row, fingerprinted by
 * the source's path, size, modification time, the shape and the settings): the same call
 * after an interruption continues where it stopped, and the stage appears only when
 * complete. Non-finite values are kept (a warning to ctx->log counts them). */

typedef enum {
    TSCT_STAGE_IMPORT_INTEGRATED = 0,
    TSCT_STAGE_IMPORT_SINOGRAMS,
    TSCT_STAGE_IMPORT_RECON,
    TSCT_STAGE_IMPORT_PDF
} tsct_stage_import_target;

typedef enum {
    TSCT_STAGE_IMPORT_ARRAY = 0,
    TSCT_STAGE_IMPORT_PYFAI,
    TSCT_STAGE_IMPORT_NDTOMO,
    TSCT_STAGE_IMPORT_XY
} tsct_stage_import_layout;

typedef struct tsct_stage_import_params {
    const char *source;          /* the layout's source (required) */
    tsct_stage_import_target target; /* default TSCT_STAGE_IMPORT_RECON */
    const char *axis;            /* FILE.h5::/dataset of the last axis' values, or NULL */
    const char *axis_units;      /* NULL: the dataset's units attribute, else A^-1 (A for pdf) */
    int64_t time;                /* >= 0: store as time steps time, time + 1, ... of an existing
                                    stage (operando: append); -1: replace the stage */
    int deflate;                 /* 0..9 (0: no compression) */
    tsct_stage_import_layout layout; /* default ARRAY */
    const char *angles;          /* scan axes (above), or NULL */
    const char *translations;
    const char *times;
    const char *angle_units;     /* NULL: the dataset's, else deg */
    const char *translation_units; /* NULL: the dataset's, else mm */
    const char *time_units;      /* NULL: the dataset's, else s */
    int64_t slices;              /* PYFAI: slices of the scan (>= 1) */
    int zigzag;                  /* 1: odd angle rows recorded backwards (snake scan) */
    double wavelength;           /* A (0: unknown): /entry/scan@wavelength, 2theta axes */
} tsct_stage_import_params;

#define TSCT_STAGE_IMPORT_PARAMS_DEFAULT                                                           \
    {                                                                                              \
        NULL, TSCT_STAGE_IMPORT_RECON, NULL, NULL, -1, 1, TSCT_STAGE_IMPORT_ARRAY, NULL, NULL,     \
            NULL, NULL, NULL, NULL, 1, 0, 0.0                                                      \
    }

/* report->units: rows copied by this call (resumed ones excluded). Errors: TSCT_ERR_VALUE (a
 * spec without "::/dataset", parameters out of range, unknown units, a 2theta axis without a
 * wavelength, scan axes for recon or pdf or with time >= 0), TSCT_ERR_NOT_FOUND (no NXdata
 * in a pyFAI file), TSCT_ERR_SHAPE (more than 5 axes, an empty array, an axis of another
 * length than the data's, frames that do not fill whole scans, a resumed run of another shape),
 * TSCT_ERR_NOMEM, those of the HDF5 reader, the container and steps. */
tsct_status tsct_stage_import(const char *container, const tsct_stage_import_params *params,
                              const tsct_stage_ctx *ctx, tsct_stage_report *report,
                              tsct_error *err);

/* ---- edxrd: energy-dispersive spectra into the integrated cube ------------------------------
 * A series of MCA spectra (tsct/edxrd.h: text files or FILE.h5::/path with live_time, z, time)
 * -> /entry/integrated/data and sigma [nt][nz][1][1][nbin] (float32, per second of live time,
 * divided by the normalisation) on a common axis /entry/integrated/q [nbin] (bin centres: d
 * in A, attribute units "A", or q in 1/A), with /entry/scan/z [nz] (mm: the layers, the
 * distinct z of the spectra in increasing order), /entry/scan/time [nt] (s: the mean time of
 * each round of layers), angle and translation [1], /entry/edxrd/time [nt][nz] (s: each
 * spectrum's time stamp; NaN where a round lacks a layer, whose pattern is NaN) and the
 * calibration as attributes of /entry/edxrd (coef, tth, their ESDs). The spectra of a layer
 * are its time steps in the order of their time stamps. One step, /entry/process/edxrd, one
 * unit per spectrum. docs/edxrd.md. */

typedef enum {
    TSCT_STAGE_EDXRD_AXIS_D = 0, /* d, A, increasing */
    TSCT_STAGE_EDXRD_AXIS_Q      /* q, 1/A, increasing */
} tsct_stage_edxrd_axis;

typedef enum {
    TSCT_STAGE_EDXRD_NORM_SMOOTH = 0, /* a smooth curve fitted under each spectrum in the window
                                         (tsct_edxrd_smooth_fit, degree smooth_degree) */
    TSCT_STAGE_EDXRD_NORM_INCIDENT,   /* the measured incident spectrum `incident` (same channels),
                                         scaled to a maximum of 1 */
    TSCT_STAGE_EDXRD_NORM_NONE
} tsct_stage_edxrd_norm;

typedef struct tsct_stage_edxrd_params {
    const char *const *spectra;   /* specs (required) */
    int64_t nspectra;             /* >= 1 */
    tsct_edxrd_calibration calibration; /* channel -> energy and 2theta; with a calibrant
                                     spectrum, the starting guess */
    const char *calibrant_spectrum; /* a spectrum to calibrate from (NULL: use calibration) */
    const char *calibrant;        /* its reflections (tsct/calibrant.h; default "CeO2") */
    const char *lines;            /* elements whose K lines it shows, comma-separated ("Ce,Pb";
                                     NULL: none, and then 2theta is not refined) */
    double fwhm_kev;              /* the peaks' starting FWHM for the calibration (0.5) */
    tsct_stage_edxrd_axis axis;
    double min, max;              /* the axis range (d in A or q in 1/A), min < max */
    int64_t bins;                 /* >= 2 */
    double beam_min, beam_max;    /* keV: the white beam's range; the axis' energies must lie
                                     inside (0, 0: the calibrated spectrum's range) */
    tsct_stage_edxrd_norm norm;
    const char *incident;         /* INCIDENT: a spectrum spec */
    int smooth_degree;            /* SMOOTH: 0 .. 8 (3) */
    int deadtime;                 /* 1: divide by each spectrum's live time (required then) */
} tsct_stage_edxrd_params;

#define TSCT_STAGE_EDXRD_PARAMS_DEFAULT                                                            \
    {                                                                                              \
        NULL, 0, {1, {0, 0, 0, 0}, 0, {0, 0, 0, 0}, 0, 0}, NULL, "CeO2", NULL, 0.5,                \
            TSCT_STAGE_EDXRD_AXIS_D, 0, 0, 0, 0, 0, TSCT_STAGE_EDXRD_NORM_SMOOTH, NULL, 3, 1       \
    }

/* The container is created when missing (its other results are kept). report->units: spectra
 * converted. Errors: TSCT_ERR_VALUE (parameters out of range; a spectrum without a live time
 * with deadtime, naming it; the axis' energies outside the beam's range or the calibrated
 * channels; no z on spectra of several layers), TSCT_ERR_SHAPE (a spectrum or the incident
 * spectrum of another length), those of the readers, the calibration, the container and
 * steps. */
tsct_status tsct_stage_edxrd(const char *container, const tsct_stage_edxrd_params *params,
                             const tsct_stage_ctx *ctx, tsct_stage_report *report,
                             tsct_error *err);

/* The figures of an EDXRD experiment (the V2O5 study's), drawn by lib/figure from what tsct
 * edxrd, tsct fit --source integrated and tsct echem wrote:
 *  LAYER   one layer's patterns /entry/integrated[:][layer] as a film, intensity in d (or q)
 *          against time (h), each row at its spectrum's time stamp (/entry/edxrd/time; rows
 *          span the midpoints to the neighbouring spectra of the layer), with the voltage
 *          record of /entry/echem in a panel beside it when present;
 *  FRONTS  the parameter `param` of /entry/fits/FIT against time (each round's mean time, h),
 *          one curve per layer with ESD bars; points whose fit failed (status > 1) or whose
 *          area_1 is under 5 ESDs (the reflection absent) are left out.
 * The container is opened read-only. */
typedef enum {
    TSCT_STAGE_EDXRD_FIGURE_LAYER = 0,
    TSCT_STAGE_EDXRD_FIGURE_FRONTS
} tsct_stage_edxrd_figure_kind;

typedef struct tsct_stage_edxrd_figure_params {
    tsct_stage_edxrd_figure_kind kind;
    const char *input;       /* the container (required) */
    const char *output;      /* the PNG (required) */
    int64_t layer;           /* LAYER: the layer (z index), >= 0 */
    int have_range;          /* LAYER: only the axis from range[0] to range[1] */
    double range[2];
    const char *fit;         /* FRONTS: /entry/fits/FIT (required) */
    const char *param;       /* FRONTS: e.g. "position_1" (required) */
    tsct_figure_params p;    /* size, labels, colour map */
} tsct_stage_edxrd_figure_params;

#define TSCT_STAGE_EDXRD_FIGURE_PARAMS_DEFAULT                                                     \
    {                                                                                              \
        TSCT_STAGE_EDXRD_FIGURE_LAYER, NULL, NULL, 0, 0, {0, 0}, NULL, NULL,                       \
            TSCT_FIGURE_PARAMS_DEFAULT                                                             \
    }

/* Errors: TSCT_ERR_VALUE (missing fields, a layer beyond the experiment, a range holding under
 * two axis values, an unknown parameter, naming the fit's), TSCT_ERR_NOT_FOUND (no
 * /entry/edxrd/time: not an EDXRD experiment; no such fit), TSCT_ERR_SHAPE (data not as tsct
 * edxrd writes them), TSCT_ERR_IO (the PNG), those of the container. */
tsct_status tsct_stage_edxrd_figure(const tsct_stage_edxrd_figure_params *params,
                                    const tsct_stage_ctx *ctx, tsct_error *err);

/* ---- figures --------------------------------------------------------------------------------
 * PNG figures of a container (docs/figures.md), drawn by lib/figure (include/tsct/figure.h):
 * what `tsct figure` and the [figures] step of `tsct run` make. Nothing is written to the
 * container. */

typedef enum tsct_stage_figure_kind {
    TSCT_STAGE_FIGURE_KIND_MAP,  /* one map of /entry/maps (map) at time step t, slice z, axes in
                              mm, colour bar, scale bar */
    TSCT_STAGE_FIGURE_KIND_GRID, /* the map at every time step of slice z, one colour scale */
    TSCT_STAGE_FIGURE_KIND_COMPOSITE, /* the maps phase[] as additive colours at time step t */
    TSCT_STAGE_FIGURE_KIND_FILM,      /* patterns or G(r) (source) of a region or of the sample's
                                   voxel mean against time, with the voltage of /entry/echem */
    TSCT_STAGE_FIGURE_KIND_PATTERNS,  /* curves of time steps steps[] (or of text patterns inputs[])
                                   with a row of reflection ticks per ticks[] phase */
    TSCT_STAGE_FIGURE_KIND_FIT,       /* a fitted parameter (param) of /entry/fits/NAME, or a column
                                   of a `tsct fit peak --series` CSV table, with ESD bars */
    TSCT_STAGE_FIGURE_KIND_PLOT, /* columns y of a CSV table against column x, error bars errs */
    TSCT_STAGE_FIGURE_KIND_ALL,  /* into the folder output: a grid of every map, a composite per
                              time step (composite), the films, every region's patterns,
                              every fit's peak parameters */
    TSCT_STAGE_FIGURE_KIND_IMAGE /* a quick look at a file that is no container: an image [ny][nx]
                              (TIFF, EDF, CBF, npy, FILE.h5::/dataset; a plain `tsct recon`
                              output FILE.h5 is its /data), a 3-D [ny][nx][nc] as its sum
                              over the last axis, axes in pixels, log10(max(v, 0) + 1) with
                              log_scale; with poni, a detector frame: log10(counts + 1)
                              binned to ~900 pixels, negative pixels, the detector's module
                              gaps and mask masked, and the rings of calibrant (yellow) and
                              of the ticks[] phases (their colours) at the PONI's geometry */
} tsct_stage_figure_kind;

/* What a film or patterns figure draws: I(q) (/entry/recon, a region's "pattern"), G(r)
 * (/entry/pdf, a region's "pdf") or a region's difference PDF "dpdf" (film only). DEFAULT is
 * the pattern, as not chosen. */
typedef enum tsct_stage_figure_source {
    TSCT_STAGE_FIGURE_SOURCE_DEFAULT,
    TSCT_STAGE_FIGURE_SOURCE_PATTERN,
    TSCT_STAGE_FIGURE_SOURCE_PDF,
    TSCT_STAGE_FIGURE_SOURCE_DPDF
} tsct_stage_figure_source;

#define TSCT_STAGE_FIGURE_MAX_INPUTS 32
#define TSCT_STAGE_FIGURE_MAX_STEPS 64
#define TSCT_STAGE_FIGURE_MAX_TICKS 16
#define TSCT_STAGE_FIGURE_MAX_PHASES 16

/* What to draw. Strings are borrowed for the call; NULL means "not given" (the default said).
 * Phase, tick and colour specifications are those of `tsct figure --help`:
 * phase[i] "NAME[:COLOUR]", ticks[i] "NAME=FILE.cif[:COLOUR],..." (a CIF as given, then in the
 * structure folders, TSCT_STRUCTURES), COLOUR a name (red, green, blue, grey, yellow, magenta,
 * cyan, orange) or #rrggbb. */
typedef struct tsct_stage_figure_params {
    tsct_stage_figure_kind kind;
    const char *input;      /* the container (.h5), CSV table (fit, plot) or first text pattern */
    const char *output;     /* the PNG file; with ALL a folder (created) */
    tsct_figure_params p;   /* size, title, label, colour map and limits (figure.h) */
    int have_size;          /* 1: p.width, p.height were chosen (patterns with a legend are
                               otherwise 960 x 600) */
    const char *map;        /* MAP, GRID: /entry/maps/NAME; required */
    const char *composite;  /* ALL: the composite's phase specifications, comma-separated */
    const char *x;          /* PLOT: the x column; FIT: capacity, voltage, time, step or a
                               table column (NULL: capacity with /entry/echem, else step) */
    const char *y;          /* PLOT: y columns, comma-separated; FILM: time, step, capacity */
    const char *errs;       /* PLOT: error columns, one per y column */
    const char *where;      /* PLOT: COL=VALUE, only those rows */
    const char *split;      /* PLOT: one curve per value of this column (at most 8) */
    const char *region;     /* FILM, PATTERNS: /entry/regions/NAME instead of the voxel mean */
    tsct_stage_figure_source source; /* FILM, PATTERNS: what the curves are */
    const char *fit;        /* FIT: /entry/fits/NAME (NULL: the only one) */
    const char *param;      /* FIT: the parameter, e.g. "position_1"; required */
    int64_t t, z;           /* time step (MAP, COMPOSITE) and slice, >= 0 */
    int64_t voxel[2];       /* FIT with have_voxel: row, column of the slice */
    int have_voxel;
    int no_echem;           /* FILM: no voltage panel */
    int have_range;         /* FILM, PATTERNS: x (q in 1/A or r in A) only in range[0] .. [1] */
    double range[2];
    double wavelength;      /* PATTERNS: A, for the ticks' q limit (0: the container's) */
    double offset;          /* PATTERNS: curve i shifted up by i offset (max - min) */
    int ninputs;            /* PATTERNS of text patterns: inputs[0 .. ninputs) (.xy, .chi, .gr);
                               otherwise 1 with inputs[0] = input */
    const char *inputs[TSCT_STAGE_FIGURE_MAX_INPUTS];
    int nphase;             /* COMPOSITE: phase[0 .. nphase), required */
    const char *phase[TSCT_STAGE_FIGURE_MAX_PHASES];
    int nticks;             /* PATTERNS, ALL: ticks[0 .. nticks) */
    const char *ticks[TSCT_STAGE_FIGURE_MAX_TICKS];
    int nsteps;             /* PATTERNS: steps[0 .. nsteps) (0: all, or 8 spread over them) */
    int64_t steps[TSCT_STAGE_FIGURE_MAX_STEPS];
    const char *poni;       /* IMAGE: the input is a detector frame of this geometry */
    const char *mask;       /* IMAGE with poni: a mask image (non-zero = masked) */
    const char *calibrant;  /* IMAGE with poni: its rings (tsct_calibrant_create: CeO2, LaB6,
                               Si, ... or a .D or .cif file) */
    int log_scale;          /* IMAGE without poni: log10(max(v, 0) + 1) */
} tsct_stage_figure_params;

#define TSCT_STAGE_FIGURE_PARAMS_DEFAULT                                                           \
    {                                                                                              \
        TSCT_STAGE_FIGURE_KIND_MAP, NULL, NULL, TSCT_FIGURE_PARAMS_DEFAULT, 0, NULL, NULL, NULL,   \
            NULL, NULL, NULL, NULL, NULL, TSCT_STAGE_FIGURE_SOURCE_DEFAULT, NULL, NULL, 0, 0,      \
            {0, 0}, 0, 0, 0, {0.0, 0.0}, 0.0, 0.0, 0, {NULL}, 0, {NULL}, 0, {NULL}, 0, {0}, NULL,  \
            NULL, NULL, 0                                                                          \
    }

/* Draw one figure (or, with ALL, every figure the container supports) from params->input into
 * params->output. The container is opened read-only and left unchanged; ctx->log gets one line
 * saying how many figures ALL wrote. Not thread-safe with respect to the same output path.
 * Errors: TSCT_ERR_VALUE (a required field missing or out of range, an unknown parameter or
 * column, naming the known ones; a time step past the data), TSCT_ERR_NOT_FOUND (no such map,
 * region, fit, CIF, or nothing to draw), TSCT_ERR_IO (the PNG or folder cannot be written),
 * and those of the container and the text readers. */
tsct_status tsct_stage_figure(const tsct_stage_figure_params *params, const tsct_stage_ctx *ctx,
                              tsct_error *err);

/* ---- refine: full-profile refinement of one pattern (tsct/refine.h) -------------------------
 * The configuration params->config (INI, docs/refine.md) names the pattern ([data] file: .xy,
 * .chi, .dat; x in Q 1/A, Q 1/nm or 2theta degrees, from the header or [data] x; or
 * container = EXP.h5 with region = NAME, time = T: /entry/regions/NAME/pattern[T]), the
 * wavelength ([data] wavelength or poni), the phases ([phase.NAME] cif = FILE), single peaks
 * ([peak.NAME]), broad components ([broad.NAME] file = PATTERN), the background
 * ([background] terms), the instrument ([instrument] file = an instrument file and/or U V W
 * X Y zero), which parameters are refined (refine = ...), limits (limit.P = LO HI) and
 * excluded ranges. Writes PREFIX.txt (the report: parameters with ESDs, Rwp, Rexp, GoF, chi2,
 * weight fractions, correlations above the flag), PREFIX.cfg (the configuration with the
 * refined values) and, with png, PREFIX.png (observed, calculated, difference, reflection
 * ticks). With instrument: one [phase.NAME] with calibrant = CeO2 | LaB6 | Si (a built-in
 * standard of tsct/calibrant.h) has its lattice fixed at the certified value; U V W X Y zero
 * are refined (unless [instrument] refine says otherwise) and PREFIX.cfg is the instrument
 * file ([instrument] wavelength, U .. zero) that [instrument] file = loads.
 * Errors name the configuration, line and key: TSCT_ERR_VALUE (an unknown section or key, a
 * parameter the component does not have, a value or limit outside physics), those of the CIF
 * reader (with the CIF), the pattern reader, the refinement, the publication (an existing
 * output without --force). */
typedef struct tsct_stage_refine_params {
    const char *config;     /* REFINE.cfg (required) */
    const char *output;     /* PREFIX; NULL: the configuration without .cfg, plus "-refined"
                               (or "-instrument") */
    int instrument;         /* 1: instrument profile from a calibrant (above) */
    int png;                /* 1: write PREFIX.png (default 1) */
    FILE *report;           /* the report also goes here (NULL: only to PREFIX.txt) */
} tsct_stage_refine_params;

#define TSCT_STAGE_REFINE_PARAMS_DEFAULT {NULL, NULL, 0, 1, NULL}

tsct_status tsct_stage_refine_pattern(const tsct_stage_refine_params *params,
                                      const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                      tsct_error *err);

#ifdef __cplusplus
}
#endif

#include "tsct/stage_refine_volume.h" /* tsct_stage_refine_volume */

#endif /* TSCT_STAGE_H */
