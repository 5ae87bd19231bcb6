/* tsct/stage_figure.h - figures of a container: maps, composites, plots, series.
 *
 * Part of the stage library: include "tsct/stage.h", which has the contract every stage
 * follows (params, context, report, errors, incremental runs, threads). */
#ifndef TSCT_STAGE_FIGURE_H
#define TSCT_STAGE_FIGURE_H

#include "tsct/stage_core.h"
#include "tsct/figure.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/* The kind a word names (map, grid, composite, film, patterns, fit, plot, all, image).
 * Errors: TSCT_ERR_VALUE listing the words. */
tsct_status tsct_stage_figure_kind_parse(const char *word, tsct_stage_figure_kind *kind,
                                         tsct_error *err);

/* 1 if params->input is a container the figure reads (an .h5, .hdf5, .nxs or .hdf file, for
 * every kind but PLOT), 0 otherwise. */
int tsct_stage_figure_input_is_container(const tsct_stage_figure_params *params);

#ifdef __cplusplus
}
#endif

#endif /* TSCT_STAGE_FIGURE_H */
