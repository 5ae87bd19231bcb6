/* stage_refine_internal.h - the refinement configuration of stage_refine.c (one pattern),
 * shared with the stages that refine many patterns from the same configuration
 * (stage_refine_volume.c: every voxel of /entry/recon). Not public. */
#ifndef TSCT_STAGE_REFINE_INTERNAL_H
#define TSCT_STAGE_REFINE_INTERNAL_H

#include "tsct/ini.h"
#include "tsct/refine.h"
#include "tsct/stage.h"

#define TSCT__REFINE_MAXC (TSCT_REFINE_MAX_PHASES + TSCT_REFINE_MAX_PEAKS + TSCT_REFINE_MAX_BROAD)

/* A configuration read (tsct__refine_read_data) and turned into a model
 * (tsct__refine_configure). Zero it before use; tsct__refine_cfg_release frees it. */
struct tsct__refine_cfg {
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
    char sec[TSCT__REFINE_MAXC][TSCT_INI_SECTION_MAX];  /* each component's section, phases
                                                           first */
    char cif[TSCT_REFINE_MAX_PHASES][TSCT_INI_PATH_MAX];
    double *broad[TSCT_REFINE_MAX_BROAD];
    tsct_refine_model *m;
    tsct_refine_result res;
    double *calc;
    char calibrant[256];
    double cal_a;
};

void tsct__refine_cfg_release(struct tsct__refine_cfg *c);
/* [data] (c->ini read): the pattern (or the preloaded one), its unit, wavelength, range,
 * exclusions and weights; keeps the points in range (in order). */
tsct_status tsct__refine_read_data(struct tsct__refine_cfg *c, tsct_error *err);
/* The components, the model, every value, refine list and limit of the configuration. */
tsct_status tsct__refine_configure(struct tsct__refine_cfg *c, const tsct_stage_refine_params *p,
                                   const tsct_stage_ctx *ctx, tsct_error *err);

#endif
