/* stage_calibrate.c - the calibration stage of `tsct calibrate` (see include/tsct/stage.h,
 * "calibration"): the frame with its mask (negative pixels, the detector's module gaps, a mask
 * file; optionally flipped upside down as Dioptas writes TIFFs), the calibrant's rings, the
 * refinement (tsct_calibrate, include/tsct/calibrate.h) from the starting geometry, the PONI
 * and a PNG of the frame with the control points and the calculated rings; and the pipeline's
 * calibrant frame in place of a PONI (tsct_stage_frames_calibrate). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stage_internal.h"
#include "tsct/calibrant.h"
#include "tsct/calibrate.h"
#include "tsct/figure.h"
#include "tsct/geometry.h"
#include "tsct/image.h"
#include "tsct/poni.h"
#include "tsct/publish.h"
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

/* A frame's PNG (the calibration's and `tsct figure image` with a PONI): log10(counts + 1)
 * of img binned to at most ~900 pixels a side (masked pixels left out, NaN where a whole bin
 * is masked), the rings rings[0 .. nrings) at g's geometry, the marks (may be NULL), axes in
 * pixels, greys. */
tsct_status tsct__stage_frame_png(const tsct_image *img, const uint8_t *mask, const tsct_poni *g,
                                  const tsct__stage_ring *rings, int64_t nrings,
                                  const tsct_figure_marks *marks, const char *title,
                                  const char *path, tsct_error *err)
{
    const int64_t rows = img->rows, cols = img->cols;
    const int64_t b = (rows > cols ? rows : cols) / 900 + 1;
    const int64_t ny = rows / b, nx = cols / b;
    const int nchi = 1440;
    float *v = malloc((size_t)(ny * nx) * sizeof *v);
    double *cr = malloc((size_t)(nrings + 1) * (nchi + 1) * 2 * sizeof *cr);
    tsct_figure_curve *curves = malloc((size_t)(nrings + 1) * sizeof *curves);
    tsct_status st = TSCT_OK;
    if (!v || !cr || !curves) {
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
    int nc = 0;
    for (int64_t r = 0; r < nrings; r++) {
        if (!isfinite(rings[r].tth))
            continue;
        double *row = cr + (size_t)nc * (nchi + 1) * 2, *col = row + nchi + 1;
        for (int c = 0; c <= nchi; c++) {
            double d1, d2;
            if (tsct_geometry_pixel_of(g, rings[r].tth, -M_PI + 2 * M_PI * c / nchi, &d1, &d2) &&
                d1 > -rows && d1 < 2 * rows && d2 > -cols && d2 < 2 * cols)
                row[c] = d1 / b, col[c] = d2 / b;
            else
                row[c] = col[c] = NAN;
        }
        curves[nc++] = (tsct_figure_curve){row, col, nchi + 1,
                                           {rings[r].rgb[0], rings[r].rgb[1], rings[r].rgb[2]},
                                           1.0};
    }
    tsct_figure_marks scaled = {0};
    double *pr = NULL;
    if (marks && marks->n > 0) {
        if (!(pr = malloc((size_t)marks->n * 2 * sizeof *pr))) {
            st = tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "figure");
            goto done;
        }
        for (int64_t k = 0; k < marks->n; k++)
            pr[k] = marks->row[k] / b, pr[marks->n + k] = marks->col[k] / b;
        scaled = *marks;
        scaled.row = pr, scaled.col = pr + marks->n;
    }
    tsct_figure_overlay ov = {curves, nc, pr ? &scaled : NULL, pr ? 1 : 0};
    tsct_figure_params fp = TSCT_FIGURE_PARAMS_DEFAULT;
    fp.width = 900, fp.height = (int)fmin(1400, fmax(300, 900.0 * ny / nx + 80));
    fp.title = title, fp.label = "log10(counts + 1)";
    fp.xlabel = "column (pixels)", fp.ylabel = "row (pixels)";
    fp.x0 = 0, fp.x1 = (double)cols, fp.y0 = 0, fp.y1 = (double)rows;
    fp.cmap = TSCT_CMAP_GREYS;
    st = tsct_figure_map_overlay(v, ny, nx, &fp, &ov, path, err);
    free(pr);
done:
    free(v), free(cr), free(curves);
    return st;
}

/* The calibration's PNG: the points in red and the calculated rings in yellow. */
tsct_status tsct_stage_calibration_png(const tsct_image *img, const uint8_t *mask,
                                        const tsct_calibrate_result *res, const tsct_calibrant *cal,
                                        const char *path, tsct_error *err)
{
    tsct__stage_ring *rings = malloc((size_t)(cal->count + 1) * sizeof *rings);
    double *pr = malloc((size_t)(res->npoints + 1) * 2 * sizeof *pr);
    tsct_status st = TSCT_OK;
    if (!rings || !pr)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "figure");
    for (int64_t r = 0; st == TSCT_OK && r < cal->count; r++)
        rings[r] = (tsct__stage_ring){
            tsct_calibrant_tth(cal->rings[r].d, res->poni.wavelength * 1e10), {1.0, 0.8, 0.0}};
    for (int64_t k = 0; st == TSCT_OK && k < res->npoints; k++) {
        pr[k] = res->points[k].d1;
        pr[res->npoints + k] = res->points[k].d2;
    }
    if (st == TSCT_OK) {
        tsct_figure_marks marks = {pr, pr + res->npoints, res->npoints, {0.9, 0.1, 0.1}, 1.2};
        char title[160];
        snprintf(title, sizeof title, "%s: %lld points on %lld rings, RMS %.2g deg", cal->name,
                 (long long)res->npoints, (long long)res->nrings, res->rms_deg);
        st = tsct__stage_frame_png(img, mask, &res->poni, rings, cal->count, &marks, title,
                                   path, err);
    }
    free(rings);
    free(pr);
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

/* The starting geometry g and the refinement's parameters P from params. */
static tsct_status starting_geometry(const tsct_stage_calibrate_params *p,
                                     const tsct_stage_ctx *ctx, tsct_poni *g,
                                     tsct_calibrate_params *P, tsct_error *err)
{
    P->nthreads = ctx->nthreads;
    P->max_rings = p->max_rings;
    if (p->refine)
        TSCT_TRY(tsct_calibrate_refine_parse(p->refine, &P->refine, err));
    tsct_poni_init(g);
    if (p->guess) {
        TSCT_TRY(tsct_poni_read(g, p->guess, err));
        P->use_guess = 1;
    }
    if (p->detector) {
        tsct_poni_detector det;
        TSCT_TRY(tsct_poni_detector_find(p->detector, &det, err));
        snprintf(g->detector, sizeof g->detector, "%s", det.name);
        g->pixel1 = det.pixel1, g->pixel2 = det.pixel2;
        g->shape[0] = det.shape[0], g->shape[1] = det.shape[1];
    }
    if (p->pixel_um > 0)
        g->pixel1 = g->pixel2 = p->pixel_um * 1e-6;
    if (!(g->pixel1 > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "detector", -1,
                              "detector '%s' has no pixel size: give the pixel size",
                              g->detector);
    const double wavelength =
        p->energy_kev > 0 ? 12.398419843320026 / p->energy_kev : p->wavelength;
    if (wavelength > 0)
        g->wavelength = wavelength * 1e-10;
    if (!(g->wavelength > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "wavelength", -1,
                              "missing: give the wavelength (Angstrom) or the energy (keV)");
    if (p->distance > 0) {
        g->dist = p->distance;
        g->poni1 = p->centre[1] * g->pixel1, g->poni2 = p->centre[0] * g->pixel2;
        g->rot1 = g->rot2 = g->rot3 = 0;
        P->use_guess = 1;
    }
    return TSCT_OK;
}

tsct_status tsct_stage_calibrate(const tsct_stage_calibrate_params *p,
                                 const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                 tsct_calibrate_result **result, tsct_calibrant **calibrant,
                                 tsct_error *err)
{
    tsct_stage_report local;
    tsct_stage_report *rep = tsct__stage_report(report, &local);
    ctx = tsct__stage_ctx(ctx);
    if (result)
        *result = NULL;
    if (calibrant)
        *calibrant = NULL;
    if (!p || !p->image || !p->calibrant || !p->output)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "calibrate", -1,
                              "needs the calibrant image, the calibrant and the output PONI");
    if (!p->detector && !p->guess)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "detector", -1,
                              "missing: name the detector (or give a starting PONI)");
    if (p->guess && p->distance > 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "guess", -1,
                              "give a starting PONI or a beam centre with a distance, not both");
    if (p->wavelength > 0 && p->energy_kev > 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "wavelength", -1,
                              "give the wavelength or the energy, not both");
    tsct_calibrate_params P = TSCT_CALIBRATE_PARAMS_DEFAULT;
    tsct_poni g;
    TSCT_TRY(starting_geometry(p, ctx, &g, &P, err));
    tsct_image img;
    tsct_image_init(&img);
    tsct_calibrant *cal = NULL;
    tsct_calibrate_result *res = NULL;
    uint8_t *mask = NULL;
    tsct_status st =
        tsct_stage_calibration_image(p->image, p->mask, p->flip, &g, &img, &mask, err);
    if (st == TSCT_OK) {
        /* Rings down to the detector's largest possible 2theta (< 90 deg). */
        const double diag = hypot((double)img.rows * g.pixel1, (double)img.cols * g.pixel2);
        double tmax = P.use_guess ? atan2(diag, fmax(g.dist, 1e-3)) + 0.3 : 1.4;
        tmax = fmin(tmax, 1.4);
        st = tsct_calibrant_create(p->calibrant, g.wavelength * 1e10 / (2 * sin(tmax / 2)),
                                   &cal, err);
    }
    if (st == TSCT_OK) {
        if (g.shape[0] == 0)
            g.shape[0] = img.rows, g.shape[1] = img.cols;
        st = tsct_calibrate(img.data, mask, img.rows, img.cols, &g, cal, &P, &res, err);
    }
    if (st == TSCT_NOT_CONVERGED) {
        tsct_log_msg(ctx->log, TSCT_LOG_WARN, "the refinement stopped at its iteration limit");
        st = TSCT_OK;
    }
    if (st == TSCT_OK && res->note[0])
        tsct_log_msg(ctx->log, TSCT_LOG_WARN, "%s", res->note);
    if (st == TSCT_OK && res->warning) {
        tsct_log_msg(ctx->log, TSCT_LOG_WARN, "%s", res->message);
        if (!p->accept_misfit)
            st = tsct_error_set(err, TSCT_ERR_VALUE, p->output, NULL, -1,
                                "not written: the rings do not fit well (accept the misfit "
                                "to write it)");
    }
    if (st == TSCT_OK)
        st = tsct_poni_write_v2_noted(&res->poni, p->output, p->note, err);
    if (st == TSCT_OK && p->png)
        st = tsct_stage_calibration_png(&img, mask, res, cal, p->png, err);
    if (st == TSCT_OK)
        tsct__stage_ran(ctx, rep, 1, 0, TSCT_LOG_INFO,
                        "%s: %lld control points on %lld rings, %.4g deg RMS; wrote %s%s%s",
                        p->image, (long long)res->npoints, (long long)res->nrings, res->rms_deg,
                        p->output, p->png ? " and " : "", p->png ? p->png : "");
    free(mask);
    tsct_image_release(&img);
    if (result)
        *result = res;
    else
        tsct_calibrate_result_destroy(res);
    if (calibrant)
        *calibrant = cal;
    else
        tsct_calibrant_destroy(cal);
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

/* ---- a calibrant frame in place of the PONI ---------------------------------------------------- */

/* FNV-1a, 64 bits: the settings of a calibration in the PONI's note. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* "path size mtime" of a file, or "path missing". */
static void file_stamp(tsct_stage_settings *s, const char *key, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) == 0)
        tsct_stage_settings_add(s, key, "%s:%lld:%lld.%09ld", path, (long long)sb.st_size,
                                (long long)sb.st_mtim.tv_sec, (long)sb.st_mtim.tv_nsec);
    else
        tsct_stage_settings_add(s, key, "%s:missing", path);
}

tsct_status tsct_stage_frames_calibrate(const tsct_stage_frames *fd, const tsct_stage_ctx *ctx,
                                        int *ran, tsct_error *err)
{
    *ran = 0;
    if (!fd->calibrant_image[0])
        return TSCT_OK;
    tsct_stage_settings s;
    tsct_stage_settings_init(&s);
    file_stamp(&s, "image", fd->calibrant_image);
    if (fd->mask[0])
        file_stamp(&s, "mask", fd->mask);
    tsct_stage_settings_add(&s, "calibrant", "%s", fd->calibrant);
    tsct_stage_settings_add(&s, "detector", "%s", fd->detector);
    tsct_stage_settings_add(&s, "wavelength", "%s", fd->wavelength);
    tsct_stage_settings_add(&s, "energy_kev", "%s", fd->energy_kev);
    tsct_stage_settings_add(&s, "pixel_um", "%s", fd->pixel_um);
    if (s.failed) {
        tsct_stage_settings_release(&s);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "calibration", -1, "settings");
    }
    const char *base = strrchr(fd->calibrant_image, '/');
    char note[512], old[512];
    snprintf(note, sizeof note, "calibration of %.200s, settings %016llx",
             base ? base + 1 : fd->calibrant_image, (unsigned long long)fnv1a(s.text));
    tsct_stage_settings_release(&s);
    if (ctx && ctx->incremental && tsct_poni_read_note(fd->poni, old, sizeof old) == 0 &&
        strcmp(old, note) == 0)
        return TSCT_OK;
    tsct_stage_calibrate_params p = TSCT_STAGE_CALIBRATE_PARAMS_DEFAULT;
    p.image = fd->calibrant_image;
    p.calibrant = fd->calibrant;
    p.detector = fd->detector;
    p.mask = fd->mask[0] ? fd->mask : NULL;
    p.output = fd->poni;
    p.note = note;
    if (fd->wavelength[0] && tsct_stage_parse_double(fd->wavelength, &p.wavelength) != 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "wavelength", -1,
                              "expected Angstrom, got '%s'", fd->wavelength);
    if (fd->pixel_um[0] && tsct_stage_parse_double(fd->pixel_um, &p.pixel_um) != 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "pixel_um", -1,
                              "expected micrometres, got '%s'", fd->pixel_um);
    if (fd->energy_kev[0] && !fd->wavelength[0] &&
        tsct_stage_parse_double(fd->energy_kev, &p.energy_kev) != 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "energy_kev", -1,
                              "expected keV, got '%s'", fd->energy_kev);
    /* The pipeline owns the PONI it makes: a new calibration replaces the old one. */
    const int replace = tsct_publish_replace();
    tsct_publish_set_replace(1);
    tsct_status st = tsct_stage_calibrate(&p, ctx, NULL, NULL, NULL, err);
    tsct_publish_set_replace(replace);
    *ran = st == TSCT_OK;
    return st;
}
