/* figure.c - PNG figures drawn with cairo: maps, grids, composites, line plots.
 *
 * Layout of an image figure: a title band at the top, the image area (pixels drawn as
 * rectangles, nearest neighbour, aspect ratio kept), tick marks and labels on the left and
 * bottom edges, a colour bar on the right with its own ticks and label, and for maps with a
 * pixel size a scale bar in the lower left corner of the image. Everything is computed from
 * the figure size, so figures of any size keep their proportions.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figure_internal.h"
#include "tsct/figure.h"
#include "tsct/maps.h"
#include "tsct/publish.h"
#include "tsct_config.h"

#if TSCT_HAVE_CAIRO
#include <cairo.h>
#endif

static const uint8_t nan_rgb[3] = {216, 216, 216};

void tsct_colormap_rgb(tsct_colormap cmap, double v, uint8_t rgb[3])
{
    if (!isfinite(v)) {
        memcpy(rgb, nan_rgb, 3);
        return;
    }
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    int i = (int)floor(v * 255.0 + 0.5);
    if (cmap == TSCT_CMAP_GREYS) {
        rgb[0] = rgb[1] = rgb[2] = (uint8_t)i;
        return;
    }
    if (cmap == TSCT_CMAP_DIVERGING) {
        /* ColorBrewer RdBu (11 classes, C. Brewer, colorbrewer2.org), blue at 0, white at 0.5,
         * interpolated linearly between its classes. */
        static const uint8_t rdbu[11][3] = {
            {5, 48, 97},     {33, 102, 172},  {67, 147, 195},  {146, 197, 222},
            {209, 229, 240}, {247, 247, 247}, {253, 219, 199}, {244, 165, 130},
            {214, 96, 77},   {178, 24, 43},   {103, 0, 31}};
        const double x = v * 10.0;
        const int k = x >= 10.0 ? 9 : (int)x;
        const double f = x - k;
        for (int c = 0; c < 3; c++)
            rgb[c] = (uint8_t)floor((1.0 - f) * rdbu[k][c] + f * rdbu[k + 1][c] + 0.5);
        return;
    }
    const float(*t)[3] = cmap == TSCT_CMAP_MAGMA ? tsct__cmap_magma : tsct__cmap_viridis;
    for (int c = 0; c < 3; c++)
        rgb[c] = (uint8_t)floor(t[i][c] * 255.0f + 0.5f);
}

tsct_status tsct_colormap_parse(const char *name, tsct_colormap *out, tsct_error *err)
{
    static const char *const names[] = {"viridis", "magma", "greys", "diverging"};
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, names[i]) == 0) {
            *out = (tsct_colormap)i;
            return TSCT_OK;
        }
    return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "colour map", -1,
                          "expected viridis, magma, greys or diverging, got '%s'",
                          name ? name : "");
}

int tsct_figure_ticks(double lo, double hi, int max_ticks, double *ticks)
{
    if (!(hi > lo) || !isfinite(lo) || !isfinite(hi) || max_ticks < 2) {
        ticks[0] = lo;
        return 1;
    }
    /* The smallest step of 1, 2, 5 x 10^k that gives at most max_ticks ticks. */
    const double raw = (hi - lo) / (max_ticks - 1);
    const double p = pow(10.0, floor(log10(raw)));
    double step = 10 * p;
    static const double m[] = {1, 2, 5, 10};
    for (int i = 0; i < 4; i++) {
        double s = m[i] * p;
        if (floor(hi / s + 1e-9) - ceil(lo / s - 1e-9) + 1 <= max_ticks) {
            step = s;
            break;
        }
    }
    int n = 0;
    for (double k = ceil(lo / step - 1e-9); n < max_ticks; k += 1.0) {
        double v = k * step;
        if (v > hi + step * 1e-9)
            break;
        ticks[n++] = fabs(v) < step * 1e-9 ? 0.0 : v;
    }
    return n;
}

/* Finite 1st and 99th percentiles (or the given limits), symmetric about 0 for the diverging
 * map; equal limits are widened. */
static void colour_limits(const float *v, int64_t n, const tsct_figure_params *p, double *lo,
                          double *hi)
{
    *lo = isfinite(p->vmin) ? p->vmin : tsct_maps_percentile(v, n, 1.0);
    *hi = isfinite(p->vmax) ? p->vmax : tsct_maps_percentile(v, n, 99.0);
    if (!isfinite(*lo) || !isfinite(*hi)) {
        *lo = 0.0;
        *hi = 1.0;
    }
    if (p->cmap == TSCT_CMAP_DIVERGING && !isfinite(p->vmin) && !isfinite(p->vmax)) {
        const double a = fmax(fabs(*lo), fabs(*hi)); /* differences: 0 in the middle, white */
        *lo = -a;
        *hi = a;
    }
    if (!(*hi > *lo)) {
        double d = fabs(*lo) > 0 ? 0.5 * fabs(*lo) : 0.5;
        *lo -= d;
        *hi += d;
    }
}

static void format_tick(double v, double step, char *buf, size_t size)
{
    double a = fabs(v);
    if (v != 0 && (a >= 1e6 || a < 1e-3))
        snprintf(buf, size, "%.2g", v);
    else {
        int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
        snprintf(buf, size, "%.*f", dec > 6 ? 6 : dec, v);
    }
}

#if TSCT_HAVE_CAIRO

typedef struct canvas {
    cairo_surface_t *surface;
    cairo_t *cr;
    double w, h, font;
} canvas;

static tsct_status canvas_open(canvas *c, const tsct_figure_params *p, tsct_error *err)
{
    c->w = p->width > 0 ? p->width : 720;
    c->h = p->height > 0 ? p->height : 600;
    if (c->w < 160 || c->h < 120 || c->w > 20000 || c->h > 20000)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "figure size", -1,
                              "expected 160 x 120 to 20000 x 20000 pixels, got %g x %g", c->w,
                              c->h);
    c->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)c->w, (int)c->h);
    c->cr = cairo_create(c->surface);
    if (cairo_status(c->cr) != CAIRO_STATUS_SUCCESS) {
        cairo_destroy(c->cr);
        cairo_surface_destroy(c->surface);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "figure", -1, "cairo surface");
    }
    c->font = fmin(c->w, c->h) / 40.0;
    c->font = c->font < 9 ? 9 : c->font;
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_paint(c->cr);
    cairo_select_font_face(c->cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(c->cr, c->font);
    return TSCT_OK;
}

/* Write the PNG through a temporary name; frees the canvas. */
static tsct_status canvas_close(canvas *c, const char *path, tsct_error *err)
{
    tsct_publish pub;
    tsct_status st = tsct_publish_begin(&pub, path, err);
    if (st == TSCT_OK) {
        cairo_surface_flush(c->surface);
        if (cairo_surface_write_to_png(c->surface, tsct_publish_tmp_path(&pub)) !=
            CAIRO_STATUS_SUCCESS) {
            tsct_publish_abort(&pub);
            st = tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "cannot write the PNG file");
        } else {
            st = tsct_publish_commit(&pub, err);
        }
    }
    cairo_destroy(c->cr);
    cairo_surface_destroy(c->surface);
    return st;
}

/* Text at (x, y): ax, ay in 0 .. 1 say which point of the text's box lies there. */
static void text(canvas *c, double x, double y, double ax, double ay, double size, double angle,
                 const char *s)
{
    cairo_text_extents_t e;
    cairo_save(c->cr);
    cairo_set_font_size(c->cr, size);
    cairo_text_extents(c->cr, s, &e);
    cairo_translate(c->cr, x, y);
    cairo_rotate(c->cr, angle);
    cairo_move_to(c->cr, -ax * e.width - e.x_bearing, -ay * e.height - e.y_bearing);
    cairo_set_source_rgb(c->cr, 0, 0, 0);
    cairo_show_text(c->cr, s);
    cairo_restore(c->cr);
}

/* Ticks and labels of an axis along a pixel segment: value lo at px0, hi at px1 (either may be
 * the larger), at most max_ticks ticks. */
static void axis_n(canvas *c, int vertical, double px0, double px1, double at, double lo,
                   double hi, const char *label, int max_ticks)
{
    double t[16];
    int n = tsct_figure_ticks(fmin(lo, hi), fmax(lo, hi), max_ticks, t);
    double step = n > 1 ? t[1] - t[0] : 1.0;
    cairo_set_source_rgb(c->cr, 0, 0, 0);
    cairo_set_line_width(c->cr, 1.0);
    double maxw = 0;
    for (int i = 0; i < n; i++) {
        double f = (t[i] - lo) / (hi - lo), pos = px0 + f * (px1 - px0);
        char b[32];
        format_tick(t[i], step, b, sizeof b);
        if (vertical) {
            cairo_move_to(c->cr, at, pos);
            cairo_line_to(c->cr, at - 0.4 * c->font, pos);
            cairo_stroke(c->cr);
            text(c, at - 0.6 * c->font, pos, 1.0, 0.5, c->font, 0, b);
            cairo_text_extents_t e;
            cairo_text_extents(c->cr, b, &e);
            maxw = e.width > maxw ? e.width : maxw;
        } else {
            cairo_move_to(c->cr, pos, at);
            cairo_line_to(c->cr, pos, at + 0.4 * c->font);
            cairo_stroke(c->cr);
            text(c, pos, at + 0.6 * c->font, 0.5, 0.0, c->font, 0, b);
        }
    }
    if (!label)
        return;
    if (vertical)
        text(c, at - maxw - 1.0 * c->font, 0.5 * (px0 + px1), 0.5, 1.0, c->font, -M_PI / 2,
             label);
    else
        text(c, 0.5 * (px0 + px1), at + 2.0 * c->font, 0.5, 0.0, c->font, 0, label);
}

static void axis(canvas *c, int vertical, double px0, double px1, double at, double lo, double hi,
                 const char *label, int label_side)
{
    (void)label_side;
    axis_n(c, vertical, px0, px1, at, lo, hi, label, 6);
}

/* Tick marks without labels (the shared y axis of a side panel). */
static void axis_marks(canvas *c, double px0, double px1, double at, double lo, double hi)
{
    double t[16];
    int n = tsct_figure_ticks(fmin(lo, hi), fmax(lo, hi), 6, t);
    cairo_set_source_rgb(c->cr, 0, 0, 0);
    cairo_set_line_width(c->cr, 1.0);
    for (int i = 0; i < n; i++) {
        double pos = px0 + (t[i] - lo) / (hi - lo) * (px1 - px0);
        cairo_move_to(c->cr, at, pos);
        cairo_line_to(c->cr, at - 0.4 * c->font, pos);
        cairo_stroke(c->cr);
    }
}

/* A 1 px black frame on the pixel columns x and x + w, rows y and y + h (integers). */
static void frame(canvas *c, double x, double y, double w, double h)
{
    cairo_set_source_rgb(c->cr, 0, 0, 0);
    cairo_set_line_width(c->cr, 1.0);
    cairo_rectangle(c->cr, x + 0.5, y + 0.5, w, h);
    cairo_stroke(c->cr);
}

/* The width of a text at a size. */
static double text_width(canvas *c, double size, const char *s)
{
    cairo_text_extents_t e;
    cairo_save(c->cr);
    cairo_set_font_size(c->cr, size);
    cairo_text_extents(c->cr, s, &e);
    cairo_restore(c->cr);
    return e.x_advance > e.width ? e.x_advance : e.width;
}

/* The pixels of an image in the box (x, y, w, h), colours scaled between lo and hi. */
static void draw_image(canvas *c, const float *img, int64_t ny, int64_t nx, double x, double y,
                       double w, double h, double lo, double hi, tsct_colormap cmap)
{
    const double dx = w / (double)nx, dy = h / (double)ny;
    for (int64_t i = 0; i < ny; i++)
        for (int64_t k = 0; k < nx; k++) {
            uint8_t rgb[3];
            float v = img[i * nx + k];
            tsct_colormap_rgb(cmap, isfinite(v) ? (v - lo) / (hi - lo) : NAN, rgb);
            cairo_set_source_rgb(c->cr, rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0);
            /* Cover rounding gaps: each rectangle reaches the next pixel boundary. */
            double x0 = floor(x + k * dx), x1 = floor(x + (k + 1) * dx);
            double y0 = floor(y + i * dy), y1 = floor(y + (i + 1) * dy);
            cairo_rectangle(c->cr, x0, y0, x1 - x0, y1 - y0);
            cairo_fill(c->cr);
        }
    cairo_set_source_rgb(c->cr, 0, 0, 0);
    cairo_set_line_width(c->cr, 1.0);
    cairo_rectangle(c->cr, floor(x) + 0.5, floor(y) + 0.5, floor(x + w) - floor(x),
                    floor(y + h) - floor(y));
    cairo_stroke(c->cr);
}

static void colour_bar(canvas *c, double x, double y, double w, double h, double lo, double hi,
                       tsct_colormap cmap, const char *label, int has_nan)
{
    for (int j = 0; j < (int)h; j++) {
        uint8_t rgb[3];
        tsct_colormap_rgb(cmap, 1.0 - (j + 0.5) / h, rgb);
        cairo_set_source_rgb(c->cr, rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0);
        cairo_rectangle(c->cr, floor(x), floor(y) + j, floor(w), 1);
        cairo_fill(c->cr);
    }
    cairo_set_source_rgb(c->cr, 0, 0, 0);
    cairo_rectangle(c->cr, floor(x) + 0.5, floor(y) + 0.5, floor(w), floor(h));
    cairo_stroke(c->cr);
    double t[16];
    int n = tsct_figure_ticks(lo, hi, 6, t);
    double step = n > 1 ? t[1] - t[0] : 1.0, maxw = 0;
    for (int i = 0; i < n; i++) {
        double pos = y + h - (t[i] - lo) / (hi - lo) * h;
        char b[32];
        format_tick(t[i], step, b, sizeof b);
        cairo_move_to(c->cr, x + w, pos);
        cairo_line_to(c->cr, x + w + 0.4 * c->font, pos);
        cairo_stroke(c->cr);
        text(c, x + w + 0.6 * c->font, pos, 0.0, 0.5, c->font, 0, b);
        cairo_text_extents_t e;
        cairo_text_extents(c->cr, b, &e);
        maxw = e.width > maxw ? e.width : maxw;
    }
    if (label)
        text(c, x + w + maxw + 1.2 * c->font, y + 0.5 * h, 0.5, 0.0, c->font, -M_PI / 2, label);
    if (has_nan) {
        cairo_set_source_rgb(c->cr, nan_rgb[0] / 255.0, nan_rgb[1] / 255.0, nan_rgb[2] / 255.0);
        cairo_rectangle(c->cr, x, y + h + 1.2 * c->font, w, c->font);
        cairo_fill(c->cr);
        text(c, x + w + 0.4 * c->font, y + h + 1.7 * c->font, 0.0, 0.5, 0.9 * c->font, 0, "NaN");
    }
}

/* The axis extents of an image: explicit, or pixels times pixel_mm. */
static void extents(const tsct_figure_params *p, int64_t ny, int64_t nx, double e[4])
{
    if (p->x0 != 0 || p->x1 != 0 || p->y0 != 0 || p->y1 != 0) {
        e[0] = p->x0, e[1] = p->x1, e[2] = p->y0, e[3] = p->y1;
        return;
    }
    double s = p->pixel_mm > 0 ? p->pixel_mm : 1.0;
    e[0] = 0, e[1] = nx * s, e[2] = ny * s, e[3] = 0; /* y grows downwards like the rows */
}

/* A scale bar of a round length about a fifth of the image width. */
static void scale_bar(canvas *c, double x, double y, double w, int64_t nx, double pixel_mm)
{
    double width_mm = nx * pixel_mm, t[16];
    int n = tsct_figure_ticks(0, width_mm / 4, 2, t);
    double len = n > 1 ? t[1] : width_mm / 5;
    double px = len / width_mm * w;
    char b[32];
    if (len < 1)
        snprintf(b, sizeof b, "%g um", len * 1000);
    else
        snprintf(b, sizeof b, "%g mm", len);
    /* Small panels (grids) get a smaller label; the white box holds bar and label. */
    double size = fmin(0.9 * c->font, fmax(0.09 * w, 7.0));
    double tw = text_width(c, size, b), bw = fmax(px, tw);
    double x0 = x + 0.05 * w, y0 = y - 0.06 * w;
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_rectangle(c->cr, x0 - 0.3 * size, y0 - 0.5 * c->font - 1.25 * size, bw + 0.6 * size,
                    0.5 * c->font + 1.25 * size + 0.3 * size);
    cairo_fill(c->cr);
    cairo_set_source_rgb(c->cr, 0, 0, 0);
    cairo_rectangle(c->cr, x0 + 0.5 * (bw - px), y0 - 0.3 * c->font, px, 0.3 * c->font);
    cairo_fill(c->cr);
    text(c, x0 + 0.5 * bw, y0 - 0.5 * c->font, 0.5, 1.0, size, 0, b);
}

/* Images in a grid with one colour bar. */
/* Marks and curves over an image drawn in the box (x, y, w, h) of ny x nx pixels. */
static void draw_overlay(canvas *c, const tsct_figure_overlay *ov, int64_t ny, int64_t nx,
                         double x, double y, double w, double h)
{
    const double sx = w / (double)nx, sy = h / (double)ny;
    cairo_save(c->cr);
    cairo_rectangle(c->cr, x, y, w, h);
    cairo_clip(c->cr);
    for (int s = 0; s < ov->ncurves; s++) {
        const tsct_figure_curve *cv = &ov->curves[s];
        cairo_set_source_rgb(c->cr, cv->rgb[0], cv->rgb[1], cv->rgb[2]);
        cairo_set_line_width(c->cr, cv->width > 0 ? cv->width : 1.0);
        int pen = 0;
        for (int64_t i = 0; i < cv->n; i++) {
            if (!(isfinite(cv->col[i]) && isfinite(cv->row[i]))) {
                pen = 0;
                continue;
            }
            const double px = x + cv->col[i] * sx, py = y + cv->row[i] * sy;
            if (pen)
                cairo_line_to(c->cr, px, py);
            else
                cairo_move_to(c->cr, px, py);
            pen = 1;
        }
        cairo_stroke(c->cr);
    }
    for (int s = 0; s < ov->nmarks; s++) {
        const tsct_figure_marks *mk = &ov->marks[s];
        cairo_set_source_rgb(c->cr, mk->rgb[0], mk->rgb[1], mk->rgb[2]);
        const double r = mk->radius > 0 ? mk->radius : 1.5;
        for (int64_t i = 0; i < mk->n; i++) {
            if (!(isfinite(mk->col[i]) && isfinite(mk->row[i])))
                continue;
            cairo_new_sub_path(c->cr);
            cairo_arc(c->cr, x + mk->col[i] * sx, y + mk->row[i] * sy, r, 0, 2 * M_PI);
        }
        cairo_fill(c->cr);
    }
    cairo_restore(c->cr);
}

static tsct_status image_figure(const float *images, int n, int columns,
                                const char *const *titles, int64_t ny, int64_t nx,
                                const tsct_figure_params *p, const tsct_figure_overlay *ov,
                                const char *path, tsct_error *err)
{
    if (n < 1 || ny < 1 || nx < 1)
        return tsct_error_set(err, TSCT_ERR_SHAPE, path, "image", -1,
                              "expected at least one image of at least 1 x 1 pixels");
    double lo, hi;
    colour_limits(images, (int64_t)n * ny * nx, p, &lo, &hi);
    int has_nan = 0;
    for (int64_t v = 0; v < (int64_t)n * ny * nx && !has_nan; v++)
        has_nan = !isfinite(images[v]);
    canvas c;
    TSCT_TRY(canvas_open(&c, p, err));
    if (columns <= 0)
        columns = (int)ceil(sqrt((double)n * 1.3));
    columns = columns > n ? n : columns;
    const int rows = (n + columns - 1) / columns;
    const double top = (p->title ? 2.6 : 1.0) * c.font, bottom = 4.0 * c.font;
    const double left = 5.5 * c.font, right = 9.0 * c.font;
    const double gapx = n > 1 ? 1.5 * c.font : 0, gapy = n > 1 ? 2.8 * c.font : 0;
    double cw = (c.w - left - right - gapx * (columns - 1)) / columns;
    double ch = (c.h - top - bottom - gapy * (rows - 1) - (n > 1 ? gapy : 0)) / rows;
    /* Keep the aspect ratio of the data: pixels stay square for maps. */
    double e[4];
    extents(p, ny, nx, e);
    const int square = !(p->x0 != 0 || p->x1 != 0 || p->y0 != 0 || p->y1 != 0);
    double iw = cw, ih = ch;
    if (square) {
        double aspect = (double)ny / (double)nx;
        if (cw * aspect > ch)
            iw = ch / aspect;
        else
            ih = cw * aspect;
    }
    /* Square pixels may leave height unused: centre the panels in it. */
    const double used = rows * ih + (rows - 1) * gapy + (n > 1 ? gapy : 0);
    const double shift = fmax(0.0, floor(0.5 * (c.h - top - bottom - used)));
    if (p->title)
        text(&c, c.w / 2, 0.6 * c.font, 0.5, 0.0, 1.2 * c.font, 0, p->title);
    const char *xl = p->xlabel ? p->xlabel : p->pixel_mm > 0 ? "x (mm)" : "x (voxels)";
    const char *yl = p->ylabel ? p->ylabel : p->pixel_mm > 0 ? "y (mm)" : "y (voxels)";
    for (int i = 0; i < n; i++) {
        int r = i / columns, k = i % columns;
        double x = left + k * (iw + gapx), y = top + shift + (n > 1 ? gapy : 0) + r * (ih + gapy);
        draw_image(&c, images + (int64_t)i * ny * nx, ny, nx, x, y, iw, ih, lo, hi, p->cmap);
        if (ov && i == 0)
            draw_overlay(&c, ov, ny, nx, x, y, iw, ih);
        if (titles && titles[i]) { /* shrunk to the panel's width */
            cairo_text_extents_t te;
            cairo_text_extents(c.cr, titles[i], &te);
            double size = te.width > 0.98 * iw ? c.font * 0.98 * iw / te.width : c.font;
            text(&c, x + iw / 2, y - 0.4 * c.font, 0.5, 1.0, size, 0, titles[i]);
        }
        if (r == rows - 1 || i + columns >= n)
            axis(&c, 0, x, x + iw, y + ih, e[0], e[1], n == 1 || k == 0 ? xl : NULL, 0);
        if (k == 0)
            axis(&c, 1, y + ih, y, x, e[3], e[2], yl, 0);
        if (p->pixel_mm > 0 && square)
            scale_bar(&c, x, y + ih, iw, nx, p->pixel_mm);
    }
    double by = top + shift + (n > 1 ? gapy : 0), bh = rows * ih + (rows - 1) * gapy;
    colour_bar(&c, c.w - right + 1.2 * c.font, by, 1.2 * c.font, bh - (has_nan ? 3 * c.font : 0),
               lo, hi, p->cmap, p->label, has_nan);
    return canvas_close(&c, path, err);
}

tsct_status tsct_figure_map(const float *image, int64_t ny, int64_t nx,
                            const tsct_figure_params *params, const char *png_path,
                            tsct_error *err)
{
    return image_figure(image, 1, 1, NULL, ny, nx, params, NULL, png_path, err);
}

tsct_status tsct_figure_map_overlay(const float *image, int64_t ny, int64_t nx,
                                    const tsct_figure_params *params,
                                    const tsct_figure_overlay *overlay, const char *png_path,
                                    tsct_error *err)
{
    return image_figure(image, 1, 1, NULL, ny, nx, params, overlay, png_path, err);
}

tsct_status tsct_figure_grid(const float *images, int n, int columns, const char *const *titles,
                             int64_t ny, int64_t nx, const tsct_figure_params *params,
                             const char *png_path, tsct_error *err)
{
    return image_figure(images, n, columns, titles, ny, nx, params, NULL, png_path, err);
}

tsct_status tsct_figure_composite(const float *const *maps, int n, const char *const *names,
                                  const double (*rgb)[3], const double *full, int64_t ny,
                                  int64_t nx, const tsct_figure_params *p, const char *path,
                                  tsct_error *err)
{
    if (n < 1 || ny < 1 || nx < 1)
        return tsct_error_set(err, TSCT_ERR_SHAPE, path, "composite", -1,
                              "expected at least one map of at least 1 x 1 pixels");
    double *acc = calloc((size_t)(ny * nx * 3), sizeof *acc);
    if (!acc)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "composite", -1, "image");
    for (int m = 0; m < n; m++) {
        const double lo = 0.0;
        double hi = full && full[m] > 0 ? full[m] : tsct_maps_percentile(maps[m], ny * nx, 99.0);
        if (!(hi > lo))
            continue;
        for (int64_t v = 0; v < ny * nx; v++) {
            double f = isfinite(maps[m][v]) ? (maps[m][v] - lo) / (hi - lo) : 0;
            f = f < 0 ? 0 : f > 1 ? 1 : f;
            for (int ch = 0; ch < 3; ch++)
                acc[v * 3 + ch] += f * rgb[m][ch];
        }
    }
    canvas c;
    tsct_status st = canvas_open(&c, p, err);
    if (st != TSCT_OK) {
        free(acc);
        return st;
    }
    const double top = (p->title ? 2.6 : 1.0) * c.font, bottom = 4.0 * c.font;
    const double left = 5.5 * c.font, right = 10.0 * c.font;
    double cw = c.w - left - right, ch = c.h - top - bottom, aspect = (double)ny / (double)nx;
    double iw = cw * aspect > ch ? ch / aspect : cw, ih = iw * aspect;
    const double dx = iw / (double)nx, dy = ih / (double)ny;
    cairo_set_source_rgb(c.cr, 0, 0, 0);
    cairo_rectangle(c.cr, left, top, iw, ih);
    cairo_fill(c.cr);
    for (int64_t i = 0; i < ny; i++)
        for (int64_t k = 0; k < nx; k++) {
            const double *a = acc + (i * nx + k) * 3;
            cairo_set_source_rgb(c.cr, fmin(a[0], 1), fmin(a[1], 1), fmin(a[2], 1));
            double x0 = floor(left + k * dx), x1 = floor(left + (k + 1) * dx);
            double y0 = floor(top + i * dy), y1 = floor(top + (i + 1) * dy);
            cairo_rectangle(c.cr, x0, y0, x1 - x0, y1 - y0);
            cairo_fill(c.cr);
        }
    free(acc);
    if (p->title)
        text(&c, c.w / 2, 0.6 * c.font, 0.5, 0.0, 1.2 * c.font, 0, p->title);
    double e[4];
    extents(p, ny, nx, e);
    axis(&c, 0, left, left + iw, top + ih, e[0], e[1],
         p->xlabel ? p->xlabel : p->pixel_mm > 0 ? "x (mm)" : "x (voxels)", 0);
    axis(&c, 1, top + ih, top, left, e[3], e[2],
         p->ylabel ? p->ylabel : p->pixel_mm > 0 ? "y (mm)" : "y (voxels)", 0);
    if (p->pixel_mm > 0)
        scale_bar(&c, left, top + ih, iw, nx, p->pixel_mm);
    for (int m = 0; m < n; m++) {
        double y = top + m * 1.8 * c.font, x = left + iw + 1.5 * c.font;
        cairo_set_source_rgb(c.cr, rgb[m][0], rgb[m][1], rgb[m][2]);
        cairo_rectangle(c.cr, x, y, 1.2 * c.font, 1.2 * c.font);
        cairo_fill(c.cr);
        text(&c, x + 1.8 * c.font, y + 0.6 * c.font, 0.0, 0.5, c.font, 0,
             names && names[m] ? names[m] : "?");
    }
    return canvas_close(&c, path, err);
}

/* matplotlib's "tab10" colours, the default cycle of line plots. */
static const uint8_t palette[8][3] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},
                                      {214, 39, 40},  {148, 103, 189}, {140, 86, 75},
                                      {227, 119, 194}, {127, 127, 127}};

/* The colour of series s of n: tab10 for up to 8 series, else viridis from dark to light. */
static void series_rgb(int s, int n, int sequential, double rgb[3])
{
    uint8_t u[3];
    if (n <= 8 && !sequential)
        memcpy(u, palette[s], 3);
    else
        tsct_colormap_rgb(TSCT_CMAP_VIRIDIS, n > 1 ? 0.85 * s / (n - 1) : 0.0, u);
    for (int ch = 0; ch < 3; ch++)
        rgb[ch] = u[ch] / 255.0;
}

/* Line plots with optional error bars and rows of tick marks (tsct_figure_lines_ticks). */
static tsct_status line_plot(const double *x, int64_t npoints, const double *const *y,
                             const double *const *err_y, int nseries, const char *const *names,
                             const tsct_figure_tick_row *rows, int nrows,
                             const tsct_figure_params *p, const char *path, tsct_error *err)
{
    if (npoints < 1 || nseries < 1 || nrows < 0 || (nrows > 0 && !rows))
        return tsct_error_set(err, TSCT_ERR_SHAPE, path, "series", -1,
                              "expected at least one series of at least one point");
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int s = 0; s < nseries; s++)
        for (int64_t i = 0; i < npoints; i++) {
            double e = err_y && err_y[s] && isfinite(err_y[s][i]) ? err_y[s][i] : 0;
            if (!isfinite(x[i]) || !isfinite(y[s][i]))
                continue;
            xlo = fmin(xlo, x[i]), xhi = fmax(xhi, x[i]);
            ylo = fmin(ylo, y[s][i] - e), yhi = fmax(yhi, y[s][i] + e);
        }
    if (!isfinite(xlo) || !isfinite(ylo))
        return tsct_error_set(err, TSCT_ERR_VALUE, path, "series", -1, "no finite point");
    if (!(xhi > xlo))
        xlo -= 0.5, xhi += 0.5;
    if (!(yhi > ylo))
        ylo -= 0.5, yhi += 0.5;
    double pad = 0.05 * (yhi - ylo);
    ylo -= pad, yhi += pad;
    const int dots = npoints <= 200; /* a dot per point where there are few */
    if (dots) { /* dots and error bars clear of the frame */
        double xpad = 0.03 * (xhi - xlo);
        xlo -= xpad, xhi += xpad;
    }
    canvas c;
    TSCT_TRY(canvas_open(&c, p, err));
    /* Whole pixels for the frame, so that the documented mapping holds to the pixel. */
    const double top = round((p->title ? 2.6 : 1.0) * c.font), bottom = round(4.0 * c.font);
    const double left = round(6.5 * c.font);
    double legend = 0;
    for (int s = 0; names && s < nseries; s++)
        legend = fmax(legend, 2.3 * c.font + text_width(&c, c.font, names[s] ? names[s] : ""));
    for (int r = 0; r < nrows; r++)
        legend = fmax(legend, 1.6 * c.font + text_width(&c, c.font, rows[r].name ? rows[r].name
                                                                                 : ""));
    double right = legend > 0 ? round(1.2 * c.font + legend + 0.8 * c.font) : round(1.5 * c.font);
    right = fmin(right, 0.45 * c.w);
    const double w = floor(c.w - left - right), h = floor(c.h - top - bottom);
    const double row_h = 1.4 * c.font, band = nrows > 0 ? round(nrows * row_h + 0.3 * c.font) : 0;
    const double hc = h - band; /* the curves' part of the frame */
    if (hc < 2 * c.font) {
        cairo_destroy(c.cr);
        cairo_surface_destroy(c.surface);
        return tsct_error_set(err, TSCT_ERR_VALUE, path, "tick rows", nrows,
                              "%d rows of tick marks leave no room for the curves", nrows);
    }
    frame(&c, left, top, w, h);
    axis(&c, 0, left, left + w, top + h, xlo, xhi, p->xlabel, 0);
    axis(&c, 1, top + hc, top, left, ylo, yhi, p->ylabel ? p->ylabel : p->label, 0);
    if (p->title)
        text(&c, c.w / 2, 0.6 * c.font, 0.5, 0.0, 1.2 * c.font, 0, p->title);
#define PX(v) (left + ((v) - xlo) / (xhi - xlo) * w)
#define PY(v) (top + hc - ((v) - ylo) / (yhi - ylo) * hc)
    cairo_save(c.cr);
    cairo_rectangle(c.cr, left, top, w + 1, hc + 1);
    cairo_clip(c.cr);
    for (int s = 0; s < nseries; s++) {
        double col[3];
        series_rgb(s, nseries, p->sequential, col);
        cairo_set_source_rgb(c.cr, col[0], col[1], col[2]);
        cairo_set_line_width(c.cr, 2.0);
        int pen = 0;
        for (int64_t i = 0; i < npoints; i++) {
            if (!isfinite(x[i]) || !isfinite(y[s][i])) {
                pen = 0;
                continue;
            }
            if (pen)
                cairo_line_to(c.cr, PX(x[i]), PY(y[s][i]));
            else
                cairo_move_to(c.cr, PX(x[i]), PY(y[s][i]));
            pen = 1;
        }
        cairo_stroke(c.cr);
        for (int64_t i = 0; i < npoints; i++) {
            if (!isfinite(x[i]) || !isfinite(y[s][i]))
                continue;
            if (dots) {
                cairo_arc(c.cr, PX(x[i]), PY(y[s][i]), 0.3 * c.font, 0, 2 * M_PI);
                cairo_fill(c.cr);
            }
            if (err_y && err_y[s] && isfinite(err_y[s][i]) && err_y[s][i] > 0) {
                /* On a pixel column, 1 px wide: the bar's length reads exactly. */
                double e = err_y[s][i], cap = 0.3 * c.font, bx = floor(PX(x[i])) + 0.5;
                cairo_set_line_width(c.cr, 1.0);
                cairo_move_to(c.cr, bx, PY(y[s][i] - e));
                cairo_line_to(c.cr, bx, PY(y[s][i] + e));
                cairo_move_to(c.cr, bx - cap, PY(y[s][i] - e));
                cairo_line_to(c.cr, bx + cap, PY(y[s][i] - e));
                cairo_move_to(c.cr, bx - cap, PY(y[s][i] + e));
                cairo_line_to(c.cr, bx + cap, PY(y[s][i] + e));
                cairo_stroke(c.cr);
            }
        }
    }
    cairo_restore(c.cr);
    for (int s = 0; names && s < nseries; s++) {
        if (!names[s])
            continue;
        double col[3];
        series_rgb(s, nseries, p->sequential, col);
        double ly = top + (s + 0.5) * 1.8 * c.font, lx = left + w + 1.2 * c.font;
        cairo_set_source_rgb(c.cr, col[0], col[1], col[2]);
        cairo_set_line_width(c.cr, 2.0);
        cairo_move_to(c.cr, lx, ly);
        cairo_line_to(c.cr, lx + 1.8 * c.font, ly);
        cairo_stroke(c.cr);
        text(&c, lx + 2.3 * c.font, ly, 0.0, 0.5, c.font, 0, names[s]);
    }
    if (nrows > 0) {
        /* The band under the curves: a light rule, then one row of ticks per phase. */
        cairo_set_source_rgb(c.cr, 0.75, 0.75, 0.75);
        cairo_set_line_width(c.cr, 1.0);
        cairo_move_to(c.cr, left + 1, top + hc + 0.5);
        cairo_line_to(c.cr, left + w, top + hc + 0.5);
        cairo_stroke(c.cr);
    }
    for (int r = 0; r < nrows; r++) {
        const tsct_figure_tick_row *row = &rows[r];
        const double cy = top + hc + 0.3 * c.font + (r + 0.5) * row_h;
        cairo_set_source_rgb(c.cr, row->rgb[0], row->rgb[1], row->rgb[2]);
        cairo_set_line_width(c.cr, 1.0);
        for (int64_t i = 0; i < row->n; i++) {
            double v = row->pos[i];
            if (!isfinite(v) || v < xlo || v > xhi)
                continue;
            double px = floor(PX(v));
            px = px > left + w - 1 ? left + w - 1 : px < left + 1 ? left + 1 : px;
            cairo_move_to(c.cr, px + 0.5, round(cy - 0.45 * c.font));
            cairo_line_to(c.cr, px + 0.5, round(cy + 0.45 * c.font));
        }
        cairo_stroke(c.cr);
        double lx = left + w + 1.2 * c.font;
        cairo_rectangle(c.cr, lx, cy - 0.45 * c.font, 0.9 * c.font, 0.9 * c.font);
        cairo_fill(c.cr);
        text(&c, lx + 1.4 * c.font, cy, 0.0, 0.5, c.font, 0, row->name ? row->name : "?");
    }
#undef PX
#undef PY
    return canvas_close(&c, path, err);
}

tsct_status tsct_figure_lines(const double *x, int64_t npoints, const double *const *y,
                              const double *const *err_y, int nseries, const char *const *names,
                              const tsct_figure_params *p, const char *path, tsct_error *err)
{
    return line_plot(x, npoints, y, err_y, nseries, names, NULL, 0, p, path, err);
}

tsct_status tsct_figure_lines_ticks(const double *x, int64_t npoints, const double *const *y,
                                    const double *const *err_y, int nseries,
                                    const char *const *names, const tsct_figure_tick_row *rows,
                                    int nrows, const tsct_figure_params *p, const char *path,
                                    tsct_error *err)
{
    return line_plot(x, npoints, y, err_y, nseries, names, rows, nrows, p, path, err);
}

tsct_status tsct_figure_film(const float *image, int64_t nrows, int64_t nx, const double *row_lo,
                             const double *row_hi, const tsct_figure_side *side,
                             const tsct_figure_params *p, const char *path, tsct_error *err)
{
    if (nrows < 1 || nx < 1 || (!row_lo) != (!row_hi))
        return tsct_error_set(err, TSCT_ERR_SHAPE, path, "film", -1,
                              "expected at least one row of at least one column, and both "
                              "or neither of the row intervals");
    if (nx > 1 && !(p->x1 > p->x0))
        return tsct_error_set(err, TSCT_ERR_VALUE, path, "film", -1,
                              "the x axis must grow (%g .. %g)", p->x0, p->x1);
    double ylo = INFINITY, yhi = -INFINITY;
    for (int64_t j = 0; j < nrows; j++) {
        double lo = row_lo ? row_lo[j] : j - 0.5, hi = row_hi ? row_hi[j] : j + 0.5;
        if (!isfinite(lo) || !isfinite(hi) || !(hi > lo))
            return tsct_error_set(err, TSCT_ERR_VALUE, path, "film row", j,
                                  "row %lld covers y %g .. %g: expected a finite, non-empty "
                                  "interval", (long long)j, lo, hi);
        ylo = fmin(ylo, lo), yhi = fmax(yhi, hi);
    }
    /* Column k is centred on x0 + k dx and spans half a step on either side. */
    const double dx = nx > 1 ? (p->x1 - p->x0) / (double)(nx - 1) : 1.0;
    const double xlo = p->x0 - 0.5 * dx, xhi = (nx > 1 ? p->x1 : p->x0) + 0.5 * dx;
    double lo, hi;
    colour_limits(image, nrows * nx, p, &lo, &hi);
    int has_nan = 0;
    for (int64_t v = 0; v < nrows * nx && !has_nan; v++)
        has_nan = !isfinite(image[v]);
    canvas c;
    TSCT_TRY(canvas_open(&c, p, err));
    const double top = round((p->title ? 2.6 : 1.0) * c.font), bottom = round(4.0 * c.font);
    const double left = round(6.5 * c.font), right = round(9.0 * c.font);
    const double gap = side ? round(1.0 * c.font) : 0;
    const double total = floor(c.w - left - right), h = floor(c.h - top - bottom);
    const double sw = side ? floor(0.25 * (total - gap)) : 0, fw = total - gap - sw;
    if (p->title)
        text(&c, c.w / 2, 0.6 * c.font, 0.5, 0.0, 1.2 * c.font, 0, p->title);
#define PY(v) (top + h - ((v) - ylo) / (yhi - ylo) * h)
    const double px_per_x = fw / (xhi - xlo);
    for (int64_t j = 0; j < nrows; j++) {
        double rlo = row_lo ? row_lo[j] : j - 0.5, rhi = row_hi ? row_hi[j] : j + 0.5;
        double y0 = floor(PY(rhi)), y1 = floor(PY(rlo));
        if (y1 <= y0)
            y1 = y0 + 1; /* every row shows, however short its interval */
        for (int64_t k = 0; k < nx; k++) {
            uint8_t rgb[3];
            float v = image[j * nx + k];
            tsct_colormap_rgb(p->cmap, isfinite(v) ? (v - lo) / (hi - lo) : NAN, rgb);
            cairo_set_source_rgb(c.cr, rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0);
            double x0 = floor(left + k * dx * px_per_x), x1 = floor(left + (k + 1) * dx * px_per_x);
            cairo_rectangle(c.cr, x0, y0, x1 - x0, y1 - y0);
            cairo_fill(c.cr);
        }
    }
    frame(&c, left, top, fw, h);
    axis(&c, 0, left, left + fw, top + h, xlo, xhi, p->xlabel, 0);
    axis(&c, 1, top + h, top, left, ylo, yhi, p->ylabel, 0);
    if (side) {
        const double sx = left + fw + gap;
        double slo = INFINITY, shi = -INFINITY;
        for (int64_t i = 0; i < side->n; i++)
            if (isfinite(side->x[i]) && side->y[i] >= ylo && side->y[i] <= yhi)
                slo = fmin(slo, side->x[i]), shi = fmax(shi, side->x[i]);
        for (int64_t j = 0; side->mark_x && j < nrows; j++)
            if (isfinite(side->mark_x[j]))
                slo = fmin(slo, side->mark_x[j]), shi = fmax(shi, side->mark_x[j]);
        if (!isfinite(slo))
            slo = 0, shi = 1;
        if (!(shi > slo))
            slo -= 0.5, shi += 0.5;
        const double spad = 0.05 * (shi - slo);
        slo -= spad, shi += spad;
#define SX(v) (sx + ((v) - slo) / (shi - slo) * sw)
        cairo_save(c.cr);
        cairo_rectangle(c.cr, sx + 1, top + 1, sw - 1, h - 1);
        cairo_clip(c.cr);
        static const uint8_t curve_rgb[3] = TSCT_FIGURE_SIDE_RGB, mark_rgb[3] =
                                                                     TSCT_FIGURE_MARK_RGB;
        cairo_set_source_rgb(c.cr, curve_rgb[0] / 255.0, curve_rgb[1] / 255.0,
                             curve_rgb[2] / 255.0);
        cairo_set_line_width(c.cr, 1.5);
        cairo_set_line_join(c.cr, CAIRO_LINE_JOIN_ROUND);
        int pen = 0;
        for (int64_t i = 0; i < side->n; i++) {
            if (!isfinite(side->x[i]) || !isfinite(side->y[i])) {
                pen = 0;
                continue;
            }
            if (pen)
                cairo_line_to(c.cr, SX(side->x[i]), PY(side->y[i]));
            else
                cairo_move_to(c.cr, SX(side->x[i]), PY(side->y[i]));
            pen = 1;
        }
        cairo_stroke(c.cr);
        cairo_set_source_rgb(c.cr, mark_rgb[0] / 255.0, mark_rgb[1] / 255.0, mark_rgb[2] / 255.0);
        for (int64_t j = 0; side->mark_x && j < nrows; j++) {
            double rlo = row_lo ? row_lo[j] : j - 0.5, rhi = row_hi ? row_hi[j] : j + 0.5;
            if (!isfinite(side->mark_x[j]))
                continue;
            cairo_arc(c.cr, SX(side->mark_x[j]), PY(0.5 * (rlo + rhi)), 0.25 * c.font, 0,
                      2 * M_PI);
            cairo_fill(c.cr);
        }
        cairo_restore(c.cr);
#undef SX
        frame(&c, sx, top, sw, h);
        axis_n(&c, 0, sx, sx + sw, top + h, slo, shi, side->xlabel, 3);
        axis_marks(&c, top + h, top, sx, ylo, yhi);
    }
#undef PY
    colour_bar(&c, c.w - right + 1.2 * c.font, top, 1.2 * c.font, h - (has_nan ? 3 * c.font : 0),
               lo, hi, p->cmap, p->label, has_nan);
    return canvas_close(&c, path, err);
}

#else /* no cairo */

static tsct_status no_cairo(const char *path, tsct_error *err)
{
    return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, path, "figure", -1,
                          "this build of tsct has no cairo (install libcairo2-dev, rebuild)");
}

tsct_status tsct_figure_map(const float *image, int64_t ny, int64_t nx,
                            const tsct_figure_params *params, const char *png_path,
                            tsct_error *err)
{
    (void)image, (void)ny, (void)nx, (void)params;
    (void)colour_limits;
    return no_cairo(png_path, err);
}

tsct_status tsct_figure_map_overlay(const float *image, int64_t ny, int64_t nx,
                                    const tsct_figure_params *params,
                                    const tsct_figure_overlay *overlay, const char *png_path,
                                    tsct_error *err)
{
    (void)image, (void)ny, (void)nx, (void)params, (void)overlay;
    return no_cairo(png_path, err);
}

tsct_status tsct_figure_grid(const float *images, int n, int columns, const char *const *titles,
                             int64_t ny, int64_t nx, const tsct_figure_params *params,
                             const char *png_path, tsct_error *err)
{
    (void)images, (void)n, (void)columns, (void)titles, (void)ny, (void)nx, (void)params;
    return no_cairo(png_path, err);
}

tsct_status tsct_figure_composite(const float *const *maps, int n, const char *const *names,
                                  const double (*rgb)[3], const double *full, int64_t ny,
                                  int64_t nx, const tsct_figure_params *params,
                                  const char *png_path, tsct_error *err)
{
    (void)maps, (void)n, (void)names, (void)rgb, (void)full, (void)ny, (void)nx, (void)params;
    return no_cairo(png_path, err);
}

tsct_status tsct_figure_lines(const double *x, int64_t npoints, const double *const *y,
                              const double *const *err_y, int nseries, const char *const *names,
                              const tsct_figure_params *params, const char *png_path,
                              tsct_error *err)
{
    (void)x, (void)npoints, (void)y, (void)err_y, (void)nseries, (void)names, (void)params;
    (void)format_tick;
    return no_cairo(png_path, err);
}

tsct_status tsct_figure_lines_ticks(const double *x, int64_t npoints, const double *const *y,
                                    const double *const *err_y, int nseries,
                                    const char *const *names, const tsct_figure_tick_row *rows,
                                    int nrows, const tsct_figure_params *params,
                                    const char *png_path, tsct_error *err)
{
    (void)x, (void)npoints, (void)y, (void)err_y, (void)nseries, (void)names, (void)rows;
    (void)nrows, (void)params;
    return no_cairo(png_path, err);
}

tsct_status tsct_figure_film(const float *image, int64_t nrows, int64_t nx, const double *row_lo,
                             const double *row_hi, const tsct_figure_side *side,
                             const tsct_figure_params *params, const char *png_path,
                             tsct_error *err)
{
    (void)image, (void)nrows, (void)nx, (void)row_lo, (void)row_hi, (void)side, (void)params;
    return no_cairo(png_path, err);
}

#endif
