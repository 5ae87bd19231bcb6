/* stage_figure_internal.h - shared inside the figure stage (stage_figure.c: maps, grids,
 * composites, all, the dispatch; stage_figure_series.c: film plots, patterns with reflection
 * ticks, fitted parameters; stage_figure_plot.c: what both use: titles, colours, CSV line
 * plots; stage_figure_image.c: image files and detector frames). */
#ifndef TSCT_STAGE_FIGURE_INTERNAL_H
#define TSCT_STAGE_FIGURE_INTERNAL_H

#include <stdint.h>

#include "tsct/container.h"
#include "tsct/figure.h"
#include "tsct/stage.h"

#define TSCT_FIG_MAX_INPUTS TSCT_STAGE_FIGURE_MAX_INPUTS
#define TSCT_FIG_MAX_STEPS TSCT_STAGE_FIGURE_MAX_STEPS
#define TSCT_FIG_MAX_TICKS TSCT_STAGE_FIGURE_MAX_TICKS

/* A container's value at time step t for titles: "t = 3" or "t = 3, 412 mAh/g, 0.80 V". */
void tsct__figure_step_title(tsct_container *c, int64_t t, char *buf, size_t size);

/* Parse a colour name (red, green, blue, grey, yellow, magenta, cyan, orange) or #rrggbb;
 * 0 on success. The composite's default order is tsct__figure_default_colours. */
int tsct__figure_parse_colour(const char *s, double rgb[3]);
extern const char *const tsct__figure_default_colours[8];

/* The dataset name of a source: "pattern" (DEFAULT too), "pdf", "dpdf"; NULL when unknown. */
const char *tsct__figure_source_name(tsct_stage_figure_source source);

/* film | patterns | fit of a container (stage_figure_series.c). `out` is the PNG path. */
tsct_status tsct__figure_film(tsct_container *c, const tsct_stage_figure_params *o,
                              const char *region, const char *source, const char *out,
                              tsct_error *err);
tsct_status tsct__figure_patterns(tsct_container *c, const tsct_stage_figure_params *o,
                                  const char *region, const char *out, tsct_error *err);
tsct_status tsct__figure_fit(tsct_container *c, const tsct_stage_figure_params *o, const char *fit,
                             const char *param, const char *out, tsct_error *err);

/* CSV tables: plot (stage_figure_plot.c), and fit tables of `tsct fit peak --series`. */
tsct_status tsct__figure_plot(const tsct_stage_figure_params *o, tsct_error *err);
tsct_status tsct__figure_fit_table(const tsct_stage_figure_params *o, tsct_error *err);

/* IMAGE: an image file, a plain array or a detector frame with its rings (stage_figure_image.c). */
tsct_status tsct__figure_image(const tsct_stage_figure_params *o, tsct_error *err);

/* The reflections of the --ticks phases (o->ticks, NAME=FILE.cif[:COLOUR], comma lists) with
 * qmin <= q <= qmax (1/A): one row per phase, its name, colour and q positions
 * (stage_figure_series.c). Free with tsct__figure_ticks_free. */
typedef struct tsct__figure_ticks {
    tsct_figure_tick_row rows[TSCT_FIG_MAX_TICKS];
    char names[TSCT_FIG_MAX_TICKS][64];
    double *pos[TSCT_FIG_MAX_TICKS];
    int n;
} tsct__figure_ticks;
tsct_status tsct__figure_ticks_read(const tsct_stage_figure_params *o, double qmin, double qmax,
                                    tsct__figure_ticks *ts, tsct_error *err);
void tsct__figure_ticks_free(tsct__figure_ticks *ts);

/* The parameter names of /entry/fits/NAME (comma list into buf); TSCT_ERR_NOT_FOUND if none. */
/* Index of name in a comma list (at most 1023 characters), or -1. */
int tsct__figure_list_index(const char *list, const char *name);

tsct_status tsct__figure_fit_parameters(tsct_container *c, const char *path, const char *fit,
                                        char *buf, size_t size, tsct_error *err);

#endif
