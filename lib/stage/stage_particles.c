/* stage_particles.c - the particles stage (see include/tsct/stage.h): particles of a phase
 * map, their sizes, and any parameter map averaged by depth below the particle surface.
 *
 * Per time step and slice: the map thresholded into a mask (one threshold over the series),
 * small specks removed, connected components labelled (8-connected), and the Euclidean
 * distance of every particle voxel to the nearest voxel outside the particles (lib/maps, exact
 * as scipy's distance_transform_edt). Optionally a parameter map (a fitted lattice parameter
 * or peak position, as in the NMC study) is averaged over shells of distance [k, k + 1)
 * voxels: parameter against depth. The whole series is held in memory (maps are small).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/maps.h"

static tsct_status read_all(tsct_container *c, const char *path, const char *name, float **out,
                            int64_t *shape, tsct_error *err)
{
    char p[300];
    tsct_dataset *d = NULL;
    TSCT_TRY(tsct__stage_map_open(c, path, name, p, sizeof p, &d, shape, err));
    tsct_status st = TSCT_OK;
    const int64_t n = shape[0] * shape[1] * shape[2] * shape[3];
    if (st == TSCT_OK && !(*out = malloc((size_t)n * sizeof **out)))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, p, -1, "map");
    if (st == TSCT_OK) {
        int64_t start[4] = {0, 0, 0, 0};
        st = tsct_dataset_read(d, start, shape, *out, err);
    }
    tsct_dataset_close(d);
    return st;
}

/* Label one slice's mask mk [ny][nx] into labels / lf, its depth into dp; one table row per
 * particle. *nl: the particles. */
static tsct_status particles_slice(uint8_t *mk, int64_t ny, int64_t nx, int64_t min_size,
                                   int32_t *labels, float *lf, float *dp, FILE *table,
                                   int64_t t, int64_t z, int32_t *nl, tsct_error *err)
{
    const int64_t npix = ny * nx;
    if (tsct_maps_remove_small(mk, ny, nx, min_size, 8) < 0 ||
        tsct_maps_label(mk, ny, nx, 8, labels) < 0)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "labels", -1, "components");
    tsct_status st = tsct_maps_distance(mk, ny, nx, dp, err);
    *nl = 0;
    for (int64_t k = 0; k < npix; k++) {
        lf[k] = (float)labels[k];
        *nl = labels[k] > *nl ? labels[k] : *nl;
    }
    int64_t *count = calloc((size_t)*nl + 1, sizeof *count);
    for (int64_t k = 0; count && k < npix; k++)
        count[labels[k]]++;
    for (int32_t l = 1; table && count && l <= *nl; l++)
        fprintf(table, "%lld,%lld,%d,%lld,%.3f\n", (long long)t, (long long)z, l,
                (long long)count[l], 2.0 * sqrt((double)count[l] / M_PI));
    free(count);
    return st;
}

/* The parameter's mean over depth shells of time step t (n voxels from depth / par). */
static void particles_shells(const float *depth, const float *par, int64_t n, int64_t nshell,
                             int64_t t, FILE *dtable)
{
    double *sum = calloc((size_t)nshell, sizeof *sum), *sq = calloc((size_t)nshell, sizeof *sq),
           *dsum = calloc((size_t)nshell, sizeof *dsum);
    int64_t *cnt = calloc((size_t)nshell, sizeof *cnt);
    for (int64_t k = 0; sum && sq && dsum && cnt && k < n; k++) {
        const float d = depth[k], p = par[k];
        if (!(d > 0) || !isfinite(p) || !isfinite(d))
            continue;
        int64_t sh = (int64_t)floor(d - 1.0); /* depth 1 = outermost: shell 0 */
        if (sh < 0 || sh >= nshell)
            continue;
        sum[sh] += p, sq[sh] += (double)p * p, dsum[sh] += d, cnt[sh]++;
    }
    for (int64_t sh = 0; dtable && sum && sq && dsum && cnt && sh < nshell; sh++) {
        double mean = cnt[sh] ? sum[sh] / cnt[sh] : NAN;
        double var = cnt[sh] > 1 ? (sq[sh] - cnt[sh] * mean * mean) / (cnt[sh] - 1) : NAN;
        fprintf(dtable, "%lld,%lld,%.4f,%.9g,%.9g,%lld\n", (long long)t, (long long)sh,
                cnt[sh] ? dsum[sh] / cnt[sh] : NAN, mean, var > 0 ? sqrt(var) : 0.0,
                (long long)cnt[sh]);
    }
    free(sum), free(sq), free(dsum), free(cnt);
}

/* MAP_particles and MAP_depth through the step "particles". */
static tsct_status particles_write(tsct_container *c, const tsct_stage_ctx *ctx,
                                   const char *map, const char *method, const int64_t *s,
                                   const float *labelsf, const float *depth, tsct_error *err)
{
    tsct_step *step = NULL;
    tsct_dataset *dl = NULL, *dd = NULL;
    char p1[340];
    tsct_step_info info = {.name = "particles", .command = ctx->command_line,
                           .config = method, .fingerprint = method, .nunits = 1};
    tsct_status st = tsct_step_begin(c, &info, ctx->log, &step, err);
    int64_t start[4] = {0, 0, 0, 0};
    snprintf(p1, sizeof p1, TSCT_PATH_MAPS "/%s_particles", map);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, p1, 4, s, -1, NULL, &dl, err);
    if (st == TSCT_OK)
        st = tsct_dataset_write(dl, start, s, labelsf, err);
    if (st == TSCT_OK)
        st = tsct_dataset_set_attr_string(dl, "method", method, err);
    snprintf(p1, sizeof p1, TSCT_PATH_MAPS "/%s_depth", map);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, p1, 4, s, -1, NULL, &dd, err);
    if (st == TSCT_OK)
        st = tsct_dataset_write(dd, start, s, depth, err);
    if (st == TSCT_OK)
        st = tsct_dataset_set_attr_string(dd, "method", "Euclidean distance (voxels) of "
                                           "each particle voxel to the nearest voxel outside "
                                           "the particles", err);
    tsct_dataset_close(dl);
    tsct_dataset_close(dd);
    return tsct__stage_commit_whole(step, st, err);
}

tsct_status tsct_stage_particles(const char *container, const tsct_stage_particles_params *params,
                                 const tsct_stage_ctx *context, tsct_stage_report *report,
                                 tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    const tsct_stage_particles_params defaults = TSCT_STAGE_PARTICLES_PARAMS_DEFAULT;
    const tsct_stage_particles_params *o = params ? params : &defaults;
    tsct_stage_report rep_local, *rep = tsct__stage_report(report, &rep_local);
    if (!o->map || o->min_size < 1 || o->shells < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "particles parameters", -1,
                              "expected a map, min_size >= 1 and shells >= 1");
    TSCT_TRY(tsct__stage_threshold_check(&o->threshold, err));
    tsct_container *c = NULL;
    float *m = NULL, *par = NULL, *labelsf = NULL, *depth = NULL;
    uint8_t *mask = NULL;
    int32_t *labels = NULL;
    int64_t s[8] = {0}, ps[8] = {0};
    tsct_status st = tsct_container_open(container, TSCT_OPEN_WRITE, &c, err);
    if (st == TSCT_OK)
        st = read_all(c, container, o->map, &m, s, err);
    if (st == TSCT_OK && o->parameter) {
        st = read_all(c, container, o->parameter, &par, ps, err);
        if (st == TSCT_OK && memcmp(s, ps, 4 * sizeof *s) != 0)
            st = tsct_error_set(err, TSCT_ERR_SHAPE, container, o->parameter, -1,
                                "differs in shape from the map %s", o->map);
    }
    const int64_t nt = s[0], nz = s[1], ny = s[2], nx = s[3], npix = ny * nx;
    const int64_t n = nt * nz * npix;
    if (st == TSCT_OK &&
        (!(mask = malloc((size_t)n)) || !(labels = malloc((size_t)npix * sizeof *labels)) ||
         !(labelsf = malloc((size_t)n * sizeof *labelsf)) ||
         !(depth = malloc((size_t)n * sizeof *depth))))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "particles", -1, "buffers");
    double thr = 0;
    if (st == TSCT_OK)
        st = tsct__stage_threshold(&o->threshold, m, n, &thr, err);
    if (st == TSCT_OK) {
        tsct_maps_threshold(m, n, thr, mask);
        if (o->table)
            fprintf(o->table, "t,z,label,voxels,equivalent_diameter_voxels\n");
        if (o->by_depth)
            fprintf(o->by_depth, "t,shell,mean_depth_voxels,mean,sd,count\n");
    }
    int64_t nparticles = 0;
    for (int64_t t = 0; st == TSCT_OK && t < nt; t++) {
        for (int64_t z = 0; st == TSCT_OK && z < nz; z++) {
            const int64_t off = (t * nz + z) * npix;
            int32_t nl = 0;
            st = particles_slice(mask + off, ny, nx, o->min_size, labels, labelsf + off,
                                 depth + off, o->table, t, z, &nl, err);
            nparticles += nl;
        }
        /* Shells over every slice of the time step. */
        if (st == TSCT_OK && par)
            particles_shells(depth + t * nz * npix, par + t * nz * npix, nz * npix, o->shells,
                             t, o->by_depth);
    }
    if (st == TSCT_OK) {
        char method[512], text[96];
        snprintf(method, sizeof method, "particles of %s above %.9g (%s), at least %lld voxels, "
                 "8-connected, labelled per slice", o->map, thr,
                 tsct__stage_threshold_text(&o->threshold, 1, text, sizeof text),
                 (long long)o->min_size);
        st = particles_write(c, ctx, o->map, method, s, labelsf, depth, err);
    }
    if (st == TSCT_OK) {
        rep->ran = 1;
        rep->units = nparticles;
        snprintf(rep->what, sizeof rep->what, "%lld particle(s) of %s over %lld time steps",
                 (long long)nparticles, o->map, (long long)nt);
        tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s", rep->what);
    }
    if (st == TSCT_OK)
        st = tsct_container_close(c, err);
    else
        tsct_container_close(c, NULL);
    free(m), free(par), free(labelsf), free(depth), free(mask), free(labels);
    return st;
}
