/* stage_region.c - the region stage (see include/tsct/stage.h): the mean reconstructed
 * pattern of a region of voxels at every time step.
 *
 * A region is a mask [nz][ny][nx]: a circle in every slice (the Si study averaged a 16-voxel
 * circle), a thresholded map, or an image. The mean over the region's voxels with a finite
 * pattern is formed voxel row by voxel row (rows without a region voxel are not read), and
 * the series, the mask and q are written through one step, so the region is replaced whole or
 * not at all. `tsct pdf --region NAME` turns the series into G(r), `tsct fit peak --series`
 * fits it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/image.h"
#include "tsct/maps.h"
#include "tsct/publish.h"

/* The region of a map: /entry/maps/MAP at time step map_time above the threshold. */
static tsct_status map_mask(tsct_container *c, const char *path, const tsct_stage_region_params *o,
                            const int64_t *s, uint8_t *mask, char *definition, size_t size,
                            tsct_error *err)
{
    const int64_t nz = s[1], ny = s[2], nx = s[3], nvox = nz * ny * nx;
    char mp[300];
    snprintf(mp, sizeof mp, TSCT_PATH_MAPS "/%s", o->map);
    int64_t ms[8] = {0};
    if (!tsct_container_exists(c, mp))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, path, mp, -1, "no such map");
    tsct_dataset *md = NULL;
    float *mapbuf = NULL;
    tsct_status st = tsct_dataset_open(c, mp, &md, err);
    if (st == TSCT_OK && (tsct_dataset_shape(md, ms) != 4 || ms[1] != nz || ms[2] != ny ||
                          ms[3] != nx || o->map_time >= ms[0]))
        st = tsct_error_set(err, TSCT_ERR_SHAPE, path, mp, o->map_time,
                            "expected [nt > %lld][%lld][%lld][%lld], the recon's voxels",
                            (long long)o->map_time, (long long)nz, (long long)ny,
                            (long long)nx);
    if (st == TSCT_OK && !(mapbuf = malloc((size_t)nvox * sizeof *mapbuf)))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, mp, -1, "map");
    if (st == TSCT_OK) {
        int64_t start[4] = {o->map_time, 0, 0, 0}, count[4] = {1, nz, ny, nx};
        st = tsct_dataset_read(md, start, count, mapbuf, err);
    }
    double thr = 0;
    if (st == TSCT_OK)
        st = tsct__stage_threshold(&o->threshold, mapbuf, nvox, &thr, err);
    if (st == TSCT_OK) {
        char text[96];
        tsct_maps_threshold(mapbuf, nvox, thr, mask);
        snprintf(definition, size, "%s at time step %lld above %.9g (%s)", o->map,
                 (long long)o->map_time, thr,
                 tsct__stage_threshold_text(&o->threshold, 1, text, sizeof text));
    }
    tsct_dataset_close(md);
    free(mapbuf);
    return st;
}

/* The region's mask [nz][ny][nx] and its definition in words. */
static tsct_status region_mask(tsct_container *c, const char *path,
                               const tsct_stage_region_params *o, const int64_t *s, uint8_t *mask,
                               char *definition, size_t size, tsct_error *err)
{
    const int64_t nz = s[1], ny = s[2], nx = s[3], nvox = nz * ny * nx;
    if (o->kind == TSCT_STAGE_REGION_CIRCLE) {
        for (int64_t z = 0; z < nz; z++)
            tsct_maps_circle(mask + z * ny * nx, ny, nx, o->dx, o->dy, o->radius);
        snprintf(definition, size, "circle of radius %g voxels centred %g, %g voxels from the "
                 "centre of each slice", o->radius, o->dx, o->dy);
        return TSCT_OK;
    }
    if (o->kind == TSCT_STAGE_REGION_MAP)
        return map_mask(c, path, o, s, mask, definition, size, err);
    tsct_image img;
    tsct_image_init(&img);
    tsct_status st = tsct_image_read(&img, o->file, NULL, err);
    if (st == TSCT_OK && (img.rows != ny || img.cols != nx))
        st = tsct_error_set(err, TSCT_ERR_SHAPE, o->file, NULL, -1,
                            "the mask is %lld x %lld, the reconstruction's slices %lld x %lld",
                            (long long)img.rows, (long long)img.cols, (long long)ny,
                            (long long)nx);
    for (int64_t v = 0; st == TSCT_OK && v < nvox; v++)
        mask[v] = img.data[v % (ny * nx)] != 0.0f;
    tsct_image_release(&img);
    snprintf(definition, size, "mask image %s (non-zero = inside)", o->file);
    return st;
}

/* pat[t][nq]: the mean over the region's voxels with a finite pattern at every time step. */
static tsct_status region_mean(tsct_dataset *recon, const int64_t *s, const uint8_t *mask,
                               float *row, double *sum, double *acc, float *pat,
                               tsct_error *err)
{
    const int64_t nt = s[0], nz = s[1], ny = s[2], nx = s[3], nq = s[4];
    for (int64_t t = 0; t < nt; t++) {
        int64_t used = 0;
        for (int64_t k = 0; k < nq; k++)
            acc[k] = 0;
        for (int64_t z = 0; z < nz; z++)
            for (int64_t y = 0; y < ny; y++) {
                const uint8_t *mrow = mask + (z * ny + y) * nx;
                int any = 0;
                for (int64_t x = 0; x < nx && !any; x++)
                    any = mrow[x] != 0;
                if (!any)
                    continue;
                int64_t lead[3] = {t, z, y};
                TSCT_TRY(tsct_dataset_read_row(recon, lead, row, err));
                used += tsct_maps_region_sum(row, mrow, nx, nq, sum, NULL);
                for (int64_t k = 0; k < nq; k++)
                    acc[k] += sum[k];
            }
        for (int64_t k = 0; k < nq; k++)
            pat[t * nq + k] = used ? (float)(acc[k] / (double)used) : NAN;
    }
    return TSCT_OK;
}

/* /entry/regions/NAME/{pattern,mask,q} through the step region_name. */
static tsct_status region_write(tsct_container *c, const tsct_stage_ctx *ctx,
                                const char *name, const char *definition, const int64_t *s,
                                const float *pat, const float *maskf, const double *q,
                                tsct_error *err)
{
    const int64_t nt = s[0], nz = s[1], ny = s[2], nx = s[3], nq = s[4];
    char stepname[96], base[300], p1[340];
    snprintf(stepname, sizeof stepname, "region_%s", name);
    for (char *p = stepname; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            *p = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : '_';
    tsct_step_info info = {.name = stepname, .command = ctx->command_line,
                           .config = definition, .fingerprint = definition, .nunits = 1};
    tsct_step *step = NULL;
    tsct_dataset *dpat = NULL, *dmask = NULL;
    tsct_status st = tsct_step_begin(c, &info, ctx->log, &step, err);
    snprintf(base, sizeof base, "%s/%s", TSCT_PATH_REGIONS, name);
    if (st == TSCT_OK) {
        int64_t pshape[2] = {nt, nq}, start[2] = {0, 0};
        snprintf(p1, sizeof p1, "%s/pattern", base);
        st = tsct_step_dataset(step, p1, 2, pshape, -1, NULL, &dpat, err);
        if (st == TSCT_OK)
            st = tsct_dataset_write(dpat, start, pshape, pat, err);
        if (st == TSCT_OK)
            st = tsct_dataset_set_attr_string(dpat, "definition", definition, err);
        if (st == TSCT_OK)
            st = tsct_dataset_set_attr_string(dpat, "reduction", "mean over the region's "
                                              "voxels with a finite pattern", err);
    }
    if (st == TSCT_OK) {
        int64_t mshape[3] = {nz, ny, nx}, start[3] = {0, 0, 0};
        snprintf(p1, sizeof p1, "%s/mask", base);
        st = tsct_step_dataset(step, p1, 3, mshape, -1, NULL, &dmask, err);
        if (st == TSCT_OK)
            st = tsct_dataset_write(dmask, start, mshape, maskf, err);
    }
    if (st == TSCT_OK) {
        snprintf(p1, sizeof p1, "%s/q", base);
        st = tsct_step_vector(step, p1, q, nq, "A^-1", err);
    }
    tsct_dataset_close(dpat);
    tsct_dataset_close(dmask);
    return tsct__stage_commit_whole(step, st, err);
}

/* DIR/NAME_tNNNN.xy for every time step. */
static tsct_status region_xy(const char *dir, const char *name, const char *path,
                             const char *definition, const int64_t *s, const double *q,
                             const float *pat, tsct_error *err)
{
    const int64_t nt = s[0], nq = s[4];
    for (int64_t t = 0; t < nt; t++) {
        char xy[4200];
        tsct__stage_series_path(xy, sizeof xy, dir, name, t, "xy");
        tsct_publish pub;
        FILE *f = NULL;
        TSCT_TRY(tsct_publish_fopen(&pub, xy, &f, err));
        fprintf(f, "# region %s of %s, time step %lld: %s\n# q (1/A)  mean intensity\n", name,
                path, (long long)t, definition);
        for (int64_t k = 0; k < nq; k++)
            fprintf(f, "%.9g %.9g\n", q[k], pat[t * nq + k]);
        TSCT_TRY(tsct_publish_fclose(&pub, f, err));
    }
    return TSCT_OK;
}

static tsct_status check_params(const tsct_stage_region_params *o, tsct_error *err)
{
    if (!tsct_stage_name_valid(o->name, 63, "_-."))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "region name", -1,
                              "expected 1-63 letters, digits, '_', '-', '.'");
    if ((o->kind == TSCT_STAGE_REGION_CIRCLE && !(o->radius > 0)) ||
        (o->kind == TSCT_STAGE_REGION_MAP && (!o->map || o->map_time < 0)) ||
        (o->kind == TSCT_STAGE_REGION_FILE && !o->file) ||
        (unsigned)o->kind > TSCT_STAGE_REGION_FILE)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "region", -1,
                              "expected a circle of radius > 0, a map and a time step >= 0, "
                              "or an image");
    return o->kind == TSCT_STAGE_REGION_MAP ? tsct__stage_threshold_check(&o->threshold, err)
                                            : TSCT_OK;
}

tsct_status tsct_stage_region(const char *container, const tsct_stage_region_params *params,
                              const tsct_stage_ctx *context, tsct_stage_report *report,
                              tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    const tsct_stage_region_params defaults = TSCT_STAGE_REGION_PARAMS_DEFAULT;
    const tsct_stage_region_params *o = params ? params : &defaults;
    tsct_stage_report rep_local, *rep = tsct__stage_report(report, &rep_local);
    TSCT_TRY(check_params(o, err));
    tsct_container *c = NULL;
    tsct_dataset *recon = NULL;
    double *q = NULL, *sum = NULL, *acc = NULL;
    float *row = NULL, *pat = NULL, *maskf = NULL;
    uint8_t *mask = NULL;
    int64_t nq = 0, s[8] = {0};
    tsct_status st = tsct_container_open(container, TSCT_OPEN_WRITE, &c, err);
    if (st == TSCT_OK)
        st = tsct_dataset_open(c, TSCT_PATH_RECON, &recon, err);
    if (st == TSCT_OK)
        st = tsct_container_read_vector(c, TSCT_PATH_RECON_Q, &q, &nq, err);
    if (st == TSCT_OK && (tsct_dataset_shape(recon, s) != 5 || s[4] != nq))
        st = tsct_error_set(err, TSCT_ERR_SHAPE, container, TSCT_PATH_RECON, -1,
                            "expected [nt][nz][ny][nx][%lld]", (long long)nq);
    const int64_t nt = s[0], nx = s[3], nvox = s[1] * s[2] * s[3];
    if (st == TSCT_OK &&
        (!(mask = calloc((size_t)nvox, 1)) || !(row = malloc((size_t)(nx * nq) * sizeof *row)) ||
         !(sum = malloc((size_t)nq * sizeof *sum)) || !(acc = malloc((size_t)nq * sizeof *acc)) ||
         !(pat = malloc((size_t)(nt * nq) * sizeof *pat)) ||
         !(maskf = malloc((size_t)nvox * sizeof *maskf))))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "region", -1, "buffers");
    if (st == TSCT_OK && o->xy_dir)
        st = tsct__stage_series_check(o->xy_dir, o->name, "xy", nt, err);
    char definition[512] = "";
    if (st == TSCT_OK)
        st = region_mask(c, container, o, s, mask, definition, sizeof definition, err);
    int64_t inside = 0;
    for (int64_t v = 0; st == TSCT_OK && v < nvox; v++) {
        inside += mask[v] != 0;
        maskf[v] = mask[v] ? 1.0f : 0.0f;
    }
    if (st == TSCT_OK && inside == 0)
        st = tsct_error_set(err, TSCT_ERR_VALUE, container, o->name, -1,
                            "the region is empty (%s)", definition);
    if (st == TSCT_OK)
        st = region_mean(recon, s, mask, row, sum, acc, pat, err);
    if (st == TSCT_OK)
        st = region_write(c, ctx, o->name, definition, s, pat, maskf, q, err);
    if (st == TSCT_OK && o->xy_dir)
        st = region_xy(o->xy_dir, o->name, container, definition, s, q, pat, err);
    if (st == TSCT_OK) {
        rep->ran = 1;
        rep->units = inside;
        snprintf(rep->what, sizeof rep->what,
                 "region %s: %lld voxels, mean pattern of %lld time steps in %s:%s/%s", o->name,
                 (long long)inside, (long long)nt, container, TSCT_PATH_REGIONS, o->name);
        tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s", rep->what);
    }
    tsct_dataset_close(recon);
    if (st == TSCT_OK)
        st = tsct_container_close(c, err);
    else
        tsct_container_close(c, NULL);
    free(q), free(sum), free(acc), free(row), free(pat), free(maskf), free(mask);
    return st;
}
