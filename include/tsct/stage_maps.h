/* tsct/stage_maps.h - the analyses of the reconstructed volume: maps, peak fits per voxel,
 * regions, coverage, particles, and scores against a simulation's ground truth.
 *
 * Part of the stage library: include "tsct/stage.h", which has the contract every stage
 * follows (params, context, report, errors, incremental runs, threads). */
#ifndef TSCT_STAGE_MAPS_H
#define TSCT_STAGE_MAPS_H

#include "tsct/stage_core.h"
#include "tsct/fit.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/* Series mode: params->model (with params->fit; the rest unused) fitted to every pattern of
 * inputs[ninputs], in order - "FILE.h5::/dataset" ([nt][nx] or [nx], its axis the sibling q
 * or r of that length: r for datasets named like a PDF, pdf, dpdf or G) or a text pattern
 * (.xy, .chi, .gr) - one CSV row per pattern to table: index, source, [capacity, voltage,]
 * every parameter and its ESD, redchi2, rwp, status (capacity and voltage when the file's
 * /entry/echem has tomogram_capacity and tomogram_voltage of nt values). A pattern whose fit
 * fails is a row with its status. report->units = the rows. Errors: the readers' (naming the
 * file and dataset), TSCT_ERR_SHAPE (rank other than 1 or 2), TSCT_ERR_NOT_FOUND (no axis
 * beside the dataset), those of tsct_fit_plan_create (a window outside an input's axis). */
tsct_status tsct_stage_fit_series(const char *const *inputs, int ninputs,
                                  const tsct_stage_fit_voxels_params *params, FILE *table,
                                  const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                  tsct_error *err);

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

#ifdef __cplusplus
}
#endif

#endif /* TSCT_STAGE_MAPS_H */
