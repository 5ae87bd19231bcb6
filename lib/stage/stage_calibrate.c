/* stage_calibrate.c - the frame a calibration reads and the picture it draws (see
 * include/tsct/stage.h, "calibration"): the image with its mask (negative pixels, the
 * detector's module gaps, a mask file; optionally flipped upside down as Dioptas writes
 * TIFFs), and a PNG of the frame with the control points and the calculated rings. The
 * calibration itself is tsct_calibrate (include/tsct/calibrate.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/calibrate.h"
#include "tsct/figure.h"
#include "tsct/geometry.h"
#include "tsct/image.h"
#include "tsct/poni.h"
#include "tsct/stage.h"

/* Turn an image of `rows` rows of `row_bytes` bytes upside down, in place. */
static void flip_rows(void *data, int64_t rows, int64_t row_bytes)
{
    unsigned char *p = data;
    for (int64_t i = 0; i < rows / 2; i++) {
        unsigned char *a = p + i * row_bytes, *b = p + (rows - 1 - i) * row_bytes;
        for (int64_t k = 0; k < row_bytes; k++) {
            const unsigned char t = a[k];
            a[k] = b[k], b[k] = t;
        }
    }
}

/* The PNG: log10 of the counts binned to at most ~900 pixels a side, the points in red and
 * the calculated rings in yellow. */
tsct_status tsct_stage_calibration_png(const tsct_image *img, const uint8_t *mask,
                                        const tsct_calibrate_result *res, const tsct_calibrant *cal,
                                        const char *path, tsct_error *err)
{
    const int64_t rows = img->rows, cols = img->cols;
    const int64_t b = (rows > cols ? rows : cols) / 900 + 1;
    const int64_t ny = rows / b, nx = cols / b;
    const int nchi = 1440;
    int nring = 0;
    for (int64_t r = 0; r < cal->count; r++)
        if (isfinite(tsct_calibrant_tth(cal->rings[r].d, res->poni.wavelength * 1e10)))
            nring++;
    float *v = malloc((size_t)(ny * nx) * sizeof *v);
    double *pr = malloc((size_t)(res->npoints + 1) * 2 * sizeof *pr);
    double *cr = malloc((size_t)(nring + 1) * (nchi + 1) * 2 * sizeof *cr);
    tsct_figure_curve *curves = malloc((size_t)(nring + 1) * sizeof *curves);
    tsct_status st = TSCT_OK;
    if (!v || !pr || !cr || !curves) {
        st = tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "figure");
        goto done;
    }
    for (int64_t I = 0; I < ny; I++)
        for (int64_t J = 0; J < nx; J++) {
            double m = -1;
            for (int64_t i = I * b; i < (I + 1) * b; i++)
                for (int64_t j = J * b; j < (J + 1) * b; j++)
                    if (!mask[i * cols + j])
                        m = fmax(m, img->data[i * cols + j]);
            v[I * nx + J] = m >= 0 ? (float)log10(m + 1) : NAN;
        }
    for (int64_t k = 0; k < res->npoints; k++) {
        pr[k] = res->points[k].d1 / b;
        pr[res->npoints + k] = res->points[k].d2 / b;
    }
    int nc = 0;
    for (int64_t r = 0; r < cal->count; r++) {
        const double tth = tsct_calibrant_tth(cal->rings[r].d, res->poni.wavelength * 1e10);
        if (!isfinite(tth))
            continue;
        double *row = cr + (size_t)nc * (nchi + 1) * 2, *col = row + nchi + 1;
        for (int c = 0; c <= nchi; c++) {
            double d1, d2;
            if (tsct_geometry_pixel_of(&res->poni, tth, -M_PI + 2 * M_PI * c / nchi, &d1, &d2) &&
                d1 > -rows && d1 < 2 * rows && d2 > -cols && d2 < 2 * cols)
                row[c] = d1 / b, col[c] = d2 / b;
            else
                row[c] = col[c] = NAN;
        }
        curves[nc++] = (tsct_figure_curve){row, col, nchi + 1, {1.0, 0.8, 0.0}, 1.0};
    }
    tsct_figure_marks marks = {pr, pr + res->npoints, res->npoints, {0.9, 0.1, 0.1}, 1.2};
    tsct_figure_overlay ov = {curves, nc, &marks, 1};
    char title[160];
    snprintf(title, sizeof title, "%s: %lld points on %lld rings, RMS %.2g deg", cal->name,
             (long long)res->npoints, (long long)res->nrings, res->rms_deg);
    tsct_figure_params fp = TSCT_FIGURE_PARAMS_DEFAULT;
    fp.width = 900, fp.height = (int)fmin(1400, fmax(300, 900.0 * ny / nx + 80));
    fp.title = title, fp.label = "log10(counts + 1)";
    fp.xlabel = "column (pixels)", fp.ylabel = "row (pixels)";
    fp.x0 = 0, fp.x1 = (double)cols, fp.y0 = 0, fp.y1 = (double)rows;
    fp.cmap = TSCT_CMAP_GREYS;
    st = tsct_figure_map_overlay(v, ny, nx, &fp, &ov, path, err);
done:
    free(v), free(pr), free(cr), free(curves);
    return st;
}

tsct_status tsct_stage_calibration_image(const char *image, const char *mask_path, int flip,
                                          const tsct_poni *g, tsct_image *img, uint8_t **mask,
                                          tsct_error *err)
{
    TSCT_TRY(tsct_image_read(img, image, NULL, err));
    const int64_t rows = img->rows, cols = img->cols, n = rows * cols;
    if (g->shape[0] > 0 && (g->shape[0] != rows || g->shape[1] != cols))
        return tsct_error_set(err, TSCT_ERR_SHAPE, image, "image", -1,
                              "%lld x %lld pixels, but detector %s has %lld x %lld",
                              (long long)rows, (long long)cols, g->detector,
                              (long long)g->shape[0], (long long)g->shape[1]);
    if (flip)
        flip_rows(img->data, rows, cols * (int64_t)sizeof *img->data);
    if (!(*mask = calloc((size_t)n, 1)))
        return tsct_error_set(err, TSCT_ERR_NOMEM, image, "mask", -1, "%lld pixels",
                              (long long)n);
    tsct_image_mask_negative(img, *mask, NULL, err);
    tsct_poni_detector det;
    if (g->shape[0] > 0 && tsct_poni_detector_find(g->detector, &det, NULL) == TSCT_OK)
        tsct_poni_detector_mask(&det, rows, cols, *mask);
    if (!mask_path)
        return TSCT_OK;
    tsct_image mimg;
    tsct_image_init(&mimg);
    uint8_t *extra = calloc((size_t)n, 1);
    tsct_status st = extra ? tsct_image_read(&mimg, mask_path, NULL, err)
                           : tsct_error_set(err, TSCT_ERR_NOMEM, image, "mask", -1,
                                            "%lld pixels", (long long)n);
    if (st == TSCT_OK && (mimg.rows != rows || mimg.cols != cols))
        st = tsct_error_set(err, TSCT_ERR_SHAPE, mask_path, "mask", -1,
                            "%lld x %lld pixels, the image %lld x %lld", (long long)mimg.rows,
                            (long long)mimg.cols, (long long)rows, (long long)cols);
    if (st == TSCT_OK)
        st = tsct_image_mask_nonzero(&mimg, extra, NULL, err);
    if (st == TSCT_OK && flip)
        flip_rows(extra, rows, cols);
    for (int64_t k = 0; st == TSCT_OK && k < n; k++)
        (*mask)[k] |= extra[k];
    free(extra);
    tsct_image_release(&mimg);
    return st;
}

tsct_status tsct_stage_calibration_table(FILE *out, const tsct_calibrate_result *res,
                                         const tsct_calibrant *cal, tsct_error *err)
{
    const tsct_poni *g = &res->poni;
    fprintf(out, "calibrant   %s (%s), %lld rings with points, %lld control points\n",
            cal->name, cal->reference, (long long)res->nrings, (long long)res->npoints);
    const double v[TSCT_CALIB_NPARAMS] = {g->dist, g->poni1, g->poni2, g->rot1, g->rot2, g->rot3,
                                          g->wavelength};
    for (int i = 0; i < TSCT_CALIB_NPARAMS; i++)
        fprintf(out, "%-11s %.9g +- %.2g%s\n", tsct_calibrate_param_name(i), v[i], res->esd[i],
                res->esd[i] == 0 ? " (fixed)" : "");
    fprintf(out, "residual    %.4g deg RMS (%.3g px) in 2theta\n", res->rms_deg, res->rms_px);
    if (ferror(out))
        return tsct_error_set(err, TSCT_ERR_IO, NULL, "calibration table", -1, "write failed");
    return TSCT_OK;
}
