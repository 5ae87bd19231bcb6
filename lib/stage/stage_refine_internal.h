/* stage_refine_internal.h - shared inside the refinement stage: the configuration of
 * stage_refine.c (one pattern) as the series (stage_refine_series.c) and the volume
 * (stage_refine_volume.c: every voxel of /entry/recon) reuse it.
 *
 * A configuration is read in three moves: tsct_ini_read into cfg->ini; the pattern into
 * cfg->x, y, n (and cfg->axis, xscale for a text file) then tsct__refine_data_finish (unit,
 * wavelength, range, exclusions, weights: cfg->w); tsct__refine_configure (the components and
 * the model cfg->m on that grid, every value, limit and refine list of the configuration).
 * A series repeats the second move for every time step on the model of the first.
 */
#ifndef TSCT_STAGE_REFINE_INTERNAL_H
#define TSCT_STAGE_REFINE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tsct/ini.h"
#include "tsct/refine.h"
#include "tsct/stage.h"

#define TSCT__REFINE_MAX_COMPONENTS                                                         \
    (TSCT_REFINE_MAX_PHASES + TSCT_REFINE_MAX_PEAKS + TSCT_REFINE_MAX_BROAD)

#define TSCT__REFINE_MAXC TSCT__REFINE_MAX_COMPONENTS

/* A configuration read (tsct__refine_read_data) and turned into a model
 * (tsct__refine_configure). Zero it before use; tsct__refine_cfg_release frees it. */
typedef struct tsct__refine_cfg {
    tsct_ini ini;
    char path[TSCT_INI_PATH_MAX];       /* the pattern */
    double *x, *y, *w;                  /* the refined points [n] (in range), w = 1 / sigma^2 */
    int64_t n;
    tsct_powder_axis axis;
    double xscale;                      /* data x -> model x (q_nm^-1: 0.1) */
    double wavelength;
    int preloaded;                      /* 1: x, y, n, axis, xscale and wavelength (the
                                           default) were set by the caller, [data] names no
                                           pattern; unit weights unless [data] sigma says */
    int nph, npk, nbr;
    char sec[TSCT__REFINE_MAX_COMPONENTS][TSCT_INI_SECTION_MAX]; /* sections, phases first */
    char cif[TSCT_REFINE_MAX_PHASES][TSCT_INI_PATH_MAX];
    double *broad[TSCT_REFINE_MAX_BROAD];
    tsct_refine_model *m;
    tsct_refine_result res;
    double *calc;
    char calibrant[256];
    double cal_a;
    int rspace;                         /* [data] space = r: G(r) (stage_refine_pdf.c) */
    double qmax;                        /* its termination (1/A), 0: none */
    double radius[TSCT_REFINE_MAX_PHASES];
} tsct__refine_cfg;

/* Free what a configuration holds (a zeroed one is fine). */
void tsct__refine_cfg_release(tsct__refine_cfg *c);

/* A path of the configuration: as written if absolute, else relative to its folder ("" when
 * too long for size). */
void tsct__refine_cfg_path(const tsct_ini *ini, const char *v, char *out, size_t size);

/* The unit of a text pattern's x from its header (2theta, Q in 1/nm: scale 0.1, else Q). */
void tsct__refine_header_unit(const char *path, tsct_powder_axis *axis, double *scale);

/* [data] applied to the pattern c->x, y [c->n] (malloc'd, owned by c) as read: x in the
 * model's unit, the wavelength (the configuration's, else container_wl when > 0), the points
 * in range, excluded ranges and weights into c->w (malloc'd here). ce: the [data] container
 * entry when the pattern came from a container (weights then Poisson), else NULL (weights
 * from the file c->path's sigma column when it has one). */
tsct_status tsct__refine_data_finish(tsct__refine_cfg *c, const tsct_ini_entry *ce,
                                     double container_wl, tsct_error *err);

/* The components, the model on the grid c->x [c->n] and every setting of the configuration. */
tsct_status tsct__refine_configure(tsct__refine_cfg *c, const tsct_stage_refine_params *p,
                                   const tsct_stage_ctx *ctx, tsct_error *err);

/* [refine] max_iter and corr_flag into rp (left as they are when absent). */
tsct_status tsct__refine_params_read(const tsct_ini *ini, tsct_refine_params *rp,
                                    tsct_error *err);

const char *tsct__refine_status_name(tsct_refine_status s);

/* The outputs' prefix: p->output, else the configuration's path without ".cfg" plus suffix. */
void tsct__refine_prefix(const tsct_stage_refine_params *p, const char *suffix, char *out,
                         size_t size);

/* 1 when the configuration file has a [series] section (a file that cannot be read: 0, and
 * the refinement of one pattern reports it). */
int tsct__refine_is_series(const char *config);

/* [data] (c->ini read): the pattern (or the preloaded one), its unit, wavelength, range,
 * exclusions and weights; keeps the points in range (in order). */
tsct_status tsct__refine_read_data(tsct__refine_cfg *c, tsct_error *err);

#endif
