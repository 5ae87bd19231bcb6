/* stage_figure_image.c - quick looks at files that are not containers (`tsct figure image`):
 * a plain image or reconstruction (an image file, FILE.h5::/dataset, a `tsct recon` output),
 * and a detector frame with its mask and the rings of a calibrant or of phases at the
 * geometry of a PONI file.
 *
 * A frame is drawn as the calibration draws it (tsct__stage_frame_png: log10(counts + 1),
 * greys, masked pixels left out), with the same mask as the integration (negative pixels, the
 * PONI detector's module gaps, a mask file: tsct_stage_calibration_image), so what the figure
 * shows masked is what `tsct integrate` leaves out.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_figure_internal.h"
#include "stage_internal.h"
#include "tsct/calibrant.h"
#include "tsct/image.h"
#include "tsct/poni.h"

/* The largest 2theta (rad) on the detector: its corners seen from the sample, without the
 * rotations, plus their size (rings beyond it would not show). */
static double tth_max(const tsct_poni *g, int64_t rows, int64_t cols)
{
    double r = 0.0;
    for (int k = 0; k < 4; k++) {
        const double d1 = (k & 1 ? (double)rows * g->pixel1 : 0.0) - g->poni1;
        const double d2 = (k & 2 ? (double)cols * g->pixel2 : 0.0) - g->poni2;
        r = fmax(r, hypot(d1, d2));
    }
    return fmin(M_PI, atan2(r, g->dist) + fabs(g->rot1) + fabs(g->rot2) + 0.05);
}

/* The rings of the calibrant (yellow) and of the --ticks phases (their colours) visible on a
 * frame of rows x cols at g's geometry: *rings malloc'd, *n of them. */
static tsct_status frame_rings(const tsct_stage_figure_params *o, const tsct_poni *g,
                               int64_t rows, int64_t cols, tsct__stage_ring **rings, int64_t *n,
                               tsct_error *err)
{
    const double lambda = g->wavelength * 1e10, top = tth_max(g, rows, cols);
    const double qmax = 4.0 * M_PI * sin(0.5 * top) / lambda;
    *rings = NULL, *n = 0;
    if ((o->calibrant || o->nticks > 0) && !(lambda > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, o->poni, "Wavelength", -1,
                              "rings need the PONI's wavelength");
    tsct_calibrant *cal = NULL;
    tsct__figure_ticks ts = {0};
    if (o->calibrant)
        TSCT_TRY(tsct_calibrant_create(o->calibrant, 0.5 * lambda, &cal, err));
    tsct_status st = o->nticks > 0 ? tsct__figure_ticks_read(o, 0.0, qmax, &ts, err) : TSCT_OK;
    int64_t total = cal ? cal->count : 0;
    for (int i = 0; i < ts.n; i++)
        total += ts.rows[i].n;
    if (st == TSCT_OK && !(*rings = malloc((size_t)(total + 1) * sizeof **rings)))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "rings", -1, "%lld", (long long)total);
    for (int64_t r = 0; st == TSCT_OK && cal && r < cal->count; r++) {
        const double tth = tsct_calibrant_tth(cal->rings[r].d, lambda);
        if (tth <= top)
            (*rings)[(*n)++] = (tsct__stage_ring){tth, {1.0, 0.8, 0.0}};
    }
    for (int i = 0; st == TSCT_OK && i < ts.n; i++)
        for (int64_t k = 0; k < ts.rows[i].n; k++) {
            const double s = ts.rows[i].pos[k] * lambda / (4.0 * M_PI);
            if (s > 0 && s < 1 && 2.0 * asin(s) <= top)
                (*rings)[(*n)++] = (tsct__stage_ring){
                    2.0 * asin(s), {ts.rows[i].rgb[0], ts.rows[i].rgb[1], ts.rows[i].rgb[2]}};
        }
    tsct__figure_ticks_free(&ts);
    tsct_calibrant_destroy(cal);
    if (st != TSCT_OK) {
        free(*rings);
        *rings = NULL;
    }
    return st;
}

/* A detector frame with its mask and rings. */
static tsct_status frame(const tsct_stage_figure_params *o, tsct_error *err)
{
    tsct_poni g;
    TSCT_TRY(tsct_poni_read(&g, o->poni, err));
    tsct_image img;
    tsct_image_init(&img);
    uint8_t *mask = NULL;
    tsct__stage_ring *rings = NULL;
    int64_t n = 0;
    tsct_status st = tsct_stage_calibration_image(o->input, o->mask, 0, &g, &img, &mask, err);
    if (st == TSCT_OK)
        st = frame_rings(o, &g, img.rows, img.cols, &rings, &n, err);
    if (st == TSCT_OK) {
        char title[300];
        const char *base = strrchr(o->input, '/') ? strrchr(o->input, '/') + 1 : o->input;
        snprintf(title, sizeof title, "%.120s%s%.60s", base, o->calibrant ? ", rings of " : "",
                 o->calibrant ? o->calibrant : "");
        st = tsct__stage_frame_png(&img, mask, &g, rings, n, NULL,
                                   o->p.title ? o->p.title : title, o->output, err);
    }
    free(rings);
    free(mask);
    tsct_image_release(&img);
    return st;
}

tsct_status tsct__figure_image(const tsct_stage_figure_params *o, tsct_error *err)
{
    if (o->poni)
        return frame(o, err);
    /* a plain `tsct recon` output holds its image in /data */
    char spec[4096];
    const size_t len = strlen(o->input);
    const int h5 = !strstr(o->input, "::") && len > 3 && strcmp(o->input + len - 3, ".h5") == 0;
    snprintf(spec, sizeof spec, "%s%s", o->input, h5 ? "::/data" : "");
    int nd = 0;
    int64_t sh[8];
    float *d = NULL;
    TSCT_TRY(tsct__stage_read_array(spec, "image", &nd, sh, &d, err));
    tsct_status st = TSCT_OK;
    if (nd != 2 && nd != 3) {
        char b[128];
        st = tsct_error_set(err, TSCT_ERR_SHAPE, spec, "image", -1,
                            "expected [ny][nx] or [ny][nx][nc], found %s",
                            tsct_shape_format(b, sizeof b, nd, sh));
    }
    const int64_t ny = sh[0], nx = nd >= 2 ? sh[1] : 1, nc = nd == 3 ? sh[2] : 1;
    for (int64_t i = 0; st == TSCT_OK && i < ny * nx; i++) {
        double v = 0.0; /* a reconstruction [ny][nx][nc]: its total over channels */
        for (int64_t c = 0; c < nc; c++)
            v += d[i * nc + c];
        d[i] = (float)(o->log_scale ? log10(fmax(v, 0.0) + 1.0) : v);
    }
    if (st == TSCT_OK) {
        tsct_figure_params p = o->p;
        p.title = p.title ? p.title : spec;
        p.label = p.label ? p.label
                  : nc > 1 ? (o->log_scale ? "log10(sum over channels + 1)" : "sum over channels")
                           : (o->log_scale ? "log10(value + 1)" : NULL);
        p.xlabel = p.xlabel ? p.xlabel : "x (pixels)";
        p.ylabel = p.ylabel ? p.ylabel : "y (pixels)";
        if (p.x0 == 0 && p.x1 == 0 && p.y0 == 0 && p.y1 == 0 && p.pixel_mm == 0)
            p.x1 = (double)nx, p.y1 = (double)ny;
        st = tsct_figure_map(d, ny, nx, &p, o->output, err);
    }
    free(d);
    return st;
}
