/* tsct/figure.h - PNG figures: maps with axes, colour bars and scale bars, grids of maps over
 * time, multi-phase colour composites, film plots with a side panel (the voltage curve), and
 * line plots with error bars and rows of reflection tick marks.
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

/* viridis and magma are perceptually uniform sequential maps (for intensities, phase
 * fractions); DIVERGING is for signed differences (difference PDFs, difference maps): dark blue
 * - white - dark red (ColorBrewer's RdBu, reversed), and colour limits left to the figure
 * (vmin, vmax NaN) are symmetric about 0, +-max(|1st|, |99th| percentile), so 0 is white. */
typedef enum tsct_colormap {
    TSCT_CMAP_VIRIDIS = 0,
    TSCT_CMAP_MAGMA,
    TSCT_CMAP_GREYS,
    TSCT_CMAP_DIVERGING
} tsct_colormap;

/* The colour of v in 0 .. 1 (clamped; NaN gives the NaN colour), 0 .. 255 per channel. */
void tsct_colormap_rgb(tsct_colormap cmap, double v, uint8_t rgb[3]);

/* Parse "viridis", "magma", "greys", "diverging". Errors: TSCT_ERR_VALUE naming the choices. */
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
    double x0, x1, y0, y1;     /* maps and grids: axis values at the left, right, top (row 0)
                                  and bottom edges; all 0 = from pixel_mm. Film: x0, x1 are
                                  the x values of the first and last columns' centres */
    double vmin, vmax;         /* colour limits; NaN = 1st / 99th percentile */
    tsct_colormap cmap;
    int sequential;            /* line plots: 1 = series in viridis from dark (first) to light
                                  (last), for series in time order; 0 = tab10 (default) */
} tsct_figure_params;

#define TSCT_FIGURE_PARAMS_DEFAULT                                                          \
    {720, 600, NULL, NULL, NULL, NULL, 0.0, 0.0, 0.0, 0.0, 0.0, NAN, NAN, TSCT_CMAP_VIRIDIS, 0}

/* One image [ny][nx] with axes, colour bar and (for maps with pixel_mm > 0) a scale bar. */
tsct_status tsct_figure_map(const float *image, int64_t ny, int64_t nx,
                            const tsct_figure_params *params, const char *png_path,
                            tsct_error *err);

/* Marks and curves drawn over an image (tsct_figure_map_overlay), in image pixel units: col
 * from 0 at the left edge to nx at the right, row from 0 at the top edge to ny at the bottom
 * (the centre of pixel (i, k) is row i + 0.5, col k + 0.5). Colours 0 .. 1. */
typedef struct tsct_figure_marks {
    const double *row, *col;   /* n points; NaN points are skipped */
    int64_t n;
    double rgb[3];
    double radius;             /* dot radius in figure pixels (0: 1.5) */
} tsct_figure_marks;

typedef struct tsct_figure_curve {
    const double *row, *col;   /* n vertices of a polyline; a NaN vertex breaks the line */
    int64_t n;
    double rgb[3];
    double width;              /* line width in figure pixels (0: 1) */
} tsct_figure_curve;

typedef struct tsct_figure_overlay {
    const tsct_figure_curve *curves;
    int ncurves;
    const tsct_figure_marks *marks;
    int nmarks;
} tsct_figure_overlay;

/* tsct_figure_map with curves (drawn first) and marks over the image, clipped to it. */
tsct_status tsct_figure_map_overlay(const float *image, int64_t ny, int64_t nx,
                                    const tsct_figure_params *params,
                                    const tsct_figure_overlay *overlay, const char *png_path,
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

/* The narrow panel beside a film plot, sharing its y axis: a curve (x[i], y[i]), i < n, with y
 * in the film's y units (NaN breaks the line; the part outside the film's y range is clipped),
 * e.g. the voltage against time; optionally one marker per film row at (mark_x[j], the row's
 * centre), e.g. each tomogram's mean voltage. The panel's x axis runs from the smallest to the
 * largest x of the points inside the y range and of the markers, widened by 5 % of that span
 * on both sides; its ticks and xlabel are drawn under it. The curve is drawn 1.5 px wide in
 * TSCT_FIGURE_SIDE_RGB, the markers in TSCT_FIGURE_MARK_RGB. */
typedef struct tsct_figure_side {
    const double *x, *y;
    int64_t n;
    const double *mark_x; /* [nrows] or NULL */
    const char *xlabel;   /* e.g. "voltage (V)"; NULL = none */
} tsct_figure_side;

#define TSCT_FIGURE_SIDE_RGB {31, 119, 180}
#define TSCT_FIGURE_MARK_RGB {214, 39, 40}

/* A film plot: nrows patterns [nrows][nx] as rows of colour (x from params->x0 at the first
 * column's centre to params->x1 at the last's), row j covering y from row_lo[j] to row_hi[j]
 * in axis units (NULL, NULL: row j covers j - 0.5 .. j + 0.5, the time step), y growing
 * upwards (the first row at the bottom when the y values grow with j). The y axis runs from
 * the smallest row_lo to the largest row_hi; rows may leave gaps (drawn white) but must not
 * be empty (row_hi > row_lo). With side != NULL, a panel a quarter of the plot wide stands
 * between the film and the colour bar (tsct_figure_side). Labels: params->xlabel, ylabel,
 * label (colour bar), title. Errors: TSCT_ERR_SHAPE (no rows or columns), TSCT_ERR_VALUE
 * (x1 <= x0 with nx > 1, an empty or non-finite row interval), as the other figures. */
tsct_status tsct_figure_film(const float *image, int64_t nrows, int64_t nx, const double *row_lo,
                             const double *row_hi, const tsct_figure_side *side,
                             const tsct_figure_params *params, const char *png_path,
                             tsct_error *err);

/* Line plot: nseries series of npoints (x[i], y[i][j]) with optional error bars err_y[i][j]
 * (NULL = none; NaN points are skipped), legend names[i], axes labels from params.
 *
 * Layout (for tests that read the pixels): a black frame whose left and right edges are the
 * smallest and largest finite x (widened by 3 % of that span on both sides when there are at
 * most 200 points, which get dots), and whose top and bottom edges are the largest and
 * smallest y (y +- err_y where given), widened by 5 % of that span on both sides; frame
 * edges lie on whole pixels (xlo on the frame's left column, xhi on its right column, and
 * likewise for y). Series are drawn 2 px wide, with a dot at every point when there are at
 * most 200, in the colours
 * of matplotlib's "tab10" cycle for up to 8 series (#1f77b4, #ff7f0e, #2ca02c, #d62728,
 * #9467bd, #8c564b, #e377c2, #7f7f7f), else (or with params->sequential) in viridis from 0
 * (first) to 0.85 (last; the lightest yellows are left out, pale on white); an
 * error bar is a line 1 px wide on the column of floor(x pixel), from y - e to y + e, with
 * caps. */
tsct_status tsct_figure_lines(const double *x, int64_t npoints, const double *const *y,
                              const double *const *err_y, int nseries, const char *const *names,
                              const tsct_figure_params *params, const char *png_path,
                              tsct_error *err);

/* A row of tick marks under the curves of a line plot: reflection positions of one phase. */
typedef struct tsct_figure_tick_row {
    const char *name;   /* legend, e.g. the phase */
    const double *pos;  /* n positions in x units; those outside the x range are left out */
    int64_t n;
    double rgb[3];      /* 0 .. 1 */
} tsct_figure_tick_row;

/* tsct_figure_lines with nrows rows of tick marks (rows may be NULL when nrows is 0) in a band
 * under the curves, inside the frame: the curves' y range (as tsct_figure_lines) maps onto the
 * frame's height less the band of 1.4 font heights per row; row r (0 at the top) holds a
 * vertical line 1 px wide and 0.9 font heights tall at each position, at the column where the
 * x axis maps pos, with its colour swatch and name to the right of the frame. */
tsct_status tsct_figure_lines_ticks(const double *x, int64_t npoints, const double *const *y,
                                    const double *const *err_y, int nseries,
                                    const char *const *names, const tsct_figure_tick_row *rows,
                                    int nrows, const tsct_figure_params *params,
                                    const char *png_path, tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif
