/* figure_cli.h - shared inside `tsct figure` (cmd_figure.c: options, maps, composites, all;
 * figure_series.c: film plots, patterns with reflection ticks, fitted parameters;
 * figure_plot.c: what both use: titles, colours, CSV line plots). */
#ifndef TSCT_FIGURE_CLI_H
#define TSCT_FIGURE_CLI_H

#include <stdint.h>

#include "cli.h"
#include "tsct/figure.h"

#define TSCT_FIG_MAX_INPUTS 32
#define TSCT_FIG_MAX_STEPS 64
#define TSCT_FIG_MAX_TICKS 16

struct fig_opts {
    const char *kind, *input, *output, *map, *x, *y, *errs, *where, *split, *composite;
    const char *inputs[TSCT_FIG_MAX_INPUTS]; /* patterns: text patterns, or one container */
    int ninputs;
    const char *phase[16];
    int nphase;
    const char *ticks[TSCT_FIG_MAX_TICKS]; /* --ticks values (each a comma list) */
    int nticks;
    int64_t t, z;                          /* --t (its first value), --z */
    int64_t steps[TSCT_FIG_MAX_STEPS];     /* --t as a list (patterns) */
    int nsteps;
    const char *region, *source, *fit, *param;
    int64_t voxel[2];
    int have_voxel, have_range, have_size, no_echem;
    double range[2], wavelength, offset;
    tsct_figure_params p;
};

/* A container's value at time step t for titles: "t = 3" or "t = 3, 412 mAh/g, 0.80 V". */
void tsct__figure_step_title(tsct_container *c, int64_t t, char *buf, size_t size);

/* Parse a colour name (red, green, blue, grey, yellow, magenta, cyan, orange) or #rrggbb;
 * 0 on success. The composite's default order is tsct__figure_default_colours. */
int tsct__figure_parse_colour(const char *s, double rgb[3]);
extern const char *const tsct__figure_default_colours[8];

/* tsct figure film | patterns | fit (figure_series.c). `out` is the PNG path. */
tsct_status tsct__figure_film(tsct_container *c, const struct fig_opts *o, const char *region,
                              const char *source, const char *out, tsct_error *err);
tsct_status tsct__figure_patterns(tsct_container *c, const struct fig_opts *o,
                                  const char *region, const char *out, tsct_error *err);
tsct_status tsct__figure_fit(tsct_container *c, const struct fig_opts *o, const char *fit,
                             const char *param, const char *out, tsct_error *err);

/* CSV tables: plot (figure_plot.c), and fit tables of `tsct fit peak --series`. */
tsct_status tsct__figure_plot(const struct fig_opts *o, tsct_error *err);
tsct_status tsct__figure_fit_table(const struct fig_opts *o, tsct_error *err);

/* The parameter names of /entry/fits/NAME (comma list into buf); TSCT_ERR_NOT_FOUND if none. */
tsct_status tsct__figure_fit_parameters(tsct_container *c, const char *path, const char *fit,
                                        char *buf, size_t size, tsct_error *err);

#endif
