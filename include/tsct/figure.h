/* tsct/figure.h - PNG figures: maps with axes, colour bars and scale bars, grids of maps over
 * time, multi-phase colour composites, and line plots with error bars.
 *
 * Figures are drawn with cairo (text, axes, antialiasing) and written atomically (temporary
 * name, then rename) as 8-bit RGB PNG files. Colour maps are perceptually uniform (viridis by
 * default, magma) or greys; NaN pixels are drawn light grey, and the colour bar says so.
 * Colour limits default to the 1st and 99th percentiles of the finite values.
 *
 * Images are row-major [ny][nx] float32 with row 0 drawn at the top (as the reconstruction's
 * voxel (i, k) is drawn at row i, column k). Nothing is kept between calls: every function is
 * thread-safe. Without cairo in the build, every drawing function returns
 * TSCT_ERR_UNSUPPORTED.
 */
#ifndef TSCT_FIGURE_H
#define TSCT_FIGURE_H

#include <math.h>
#include <stdint.h>

#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tsct_colormap {
    TSCT_CMAP_VIRIDIS = 0,
    TSCT_CMAP_MAGMA,
    TSCT_CMAP_GREYS
} tsct_colormap;

/* The colour of v in 0 .. 1 (clamped; NaN gives the NaN colour), 0 .. 255 per channel. */
void tsct_colormap_rgb(tsct_colormap cmap, double v, uint8_t rgb[3]);

/* Parse "viridis", "magma", "greys". Errors: TSCT_ERR_VALUE naming the choices. */
tsct_status tsct_colormap_parse(const char *name, tsct_colormap *out, tsct_error *err);

/* "Nice" axis ticks for [lo, hi]: steps of 1, 2 or 5 times a power of ten, at most max_ticks
 * (>= 2) of them, all inside [lo, hi]. Returns the count written to ticks. */
int tsct_figure_ticks(double lo, double hi, int max_ticks, double *ticks);

typedef struct tsct_figure_params {
    int width, height;         /* pixels of the whole figure (default 720 x 600) */
    const char *title;         /* above the plot; NULL = none */
    const char *label;         /* colour bar / y label: quantity and unit; NULL = none */
    const char *xlabel;        /* NULL: "x (mm)" or "x (voxels)" for maps */
    const char *ylabel;        /* NULL: "y (mm)" or "y (voxels)" for maps */
    double pixel_mm;           /* map pixel size; 0 = axes in pixels */
    double x0, x1, y0, y1;     /* axis extents for images (film plots); all 0 = from pixel_mm */
    double vmin, vmax;         /* colour limits; NaN = 1st / 99th percentile */
    tsct_colormap cmap;
} tsct_figure_params;

#define TSCT_FIGURE_PARAMS_DEFAULT                                                          \
    {720, 600, NULL, NULL, NULL, NULL, 0.0, 0.0, 0.0, 0.0, 0.0, NAN, NAN, TSCT_CMAP_VIRIDIS}

/* One image [ny][nx] with axes, colour bar and (for maps with pixel_mm > 0) a scale bar. */
tsct_status tsct_figure_map(const float *image, int64_t ny, int64_t nx,
                            const tsct_figure_params *params, const char *png_path,
                            tsct_error *err);

/* n images [n][ny][nx] side by side in rows of `columns` (0 = automatic), each titled
 * titles[i] (may be NULL), with one colour scale and one colour bar. */
tsct_status tsct_figure_grid(const float *images, int n, int columns, const char *const *titles,
                             int64_t ny, int64_t nx, const tsct_figure_params *params,
                             const char *png_path, tsct_error *err);

/* An additive colour composite of n maps (each [ny][nx], scaled to 0 .. 1 from 0 to
 * full[i], or to its own 99th percentile where full is NULL or full[i] is not > 0; negative
 * values and NaN count as 0) with colours rgb[i] (0 .. 1) and a legend of names[i]. Give full
 * from all time steps so that a phase that is absent stays dark. */
tsct_status tsct_figure_composite(const float *const *maps, int n, const char *const *names,
                                  const double (*rgb)[3], const double *full, int64_t ny,
                                  int64_t nx,
                                  const tsct_figure_params *params, const char *png_path,
                                  tsct_error *err);

/* Line plot: nseries series of npoints (x[i], y[i][j]) with optional error bars err_y[i][j]
 * (NULL = none; NaN points are skipped), legend names[i], axes labels from params. */
tsct_status tsct_figure_lines(const double *x, int64_t npoints, const double *const *y,
                              const double *const *err_y, int nseries, const char *const *names,
                              const tsct_figure_params *params, const char *png_path,
                              tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif
