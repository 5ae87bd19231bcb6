/* stage_coverage.c - the coverage stage (see include/tsct/stage.h): how much of a phase
 * there is, time step by time step.
 *
 * The studies measure active-material coverage by counting the voxels of a phase map above a
 * threshold, and show material lost or gained as difference maps against a reference time
 * step. One threshold serves the whole series (so counts compare over time), computed on one
 * time step; an optional morphological clean-up follows; the masks and differences are
 * written through a step, then the table of counts (with each tomogram's state of charge when
 * tsct echem has run) goes to the caller's stream.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/echem.h"
#include "tsct/maps.h"

struct coverage_run {
    tsct_container *c;
    tsct_dataset *map, *mask_out, *diff_out;
    tsct_step *step;
    float *img, *first, *ref, *tmp;
    uint8_t *mask;
    int64_t *counts;
    int64_t nt, nz, ny, nx;
    double thr;
    int64_t tthr;          /* the time step that set the threshold */
    char rule[96];         /* the threshold rule in words */
};

/* The time step that sets the threshold: o->threshold_time, or (-1) the one with the largest
 * 99.5th percentile (a phase absent at first has only noise at time step 0). */
static tsct_status threshold_time(struct coverage_run *r, const tsct_stage_coverage_params *o,
                                  tsct_error *err)
{
    r->tthr = o->threshold_time;
    if (r->tthr >= 0)
        return TSCT_OK;
    const int64_t npx = r->ny * r->nx;
    double best = -INFINITY;
    for (int64_t t = 0; t < r->nt; t++) {
        int64_t start[4] = {t, 0, 0, 0}, count[4] = {1, r->nz, r->ny, r->nx};
        TSCT_TRY(tsct_dataset_read(r->map, start, count, r->first, err));
        const double p = tsct_maps_percentile(r->first, r->nz * npx, 99.5);
        if (isfinite(p) && p > best)
            best = p, r->tthr = t;
    }
    if (r->tthr < 0)
        r->tthr = 0;
    return TSCT_OK;
}

/* The step and its datasets MAP_mask and MAP_diff. */
static tsct_status coverage_begin(struct coverage_run *r, const tsct_stage_coverage_params *o,
                                  const char *mpath, const tsct_stage_ctx *ctx, tsct_error *err)
{
    tsct_stage_settings set;
    tsct_stage_settings_init(&set);
    tsct_stage_settings_add(&set, "map", "%s", o->map);
    tsct_stage_settings_add(&set, "threshold", "%s (%.9g)", r->rule, r->thr);
    tsct_stage_settings_add(&set, "open", "%d", (int)o->open);
    tsct_stage_settings_add(&set, "close", "%d", (int)o->close);
    tsct_stage_settings_add(&set, "min", "%lld", (long long)o->min_size);
    tsct_stage_settings_add(&set, "diff", "%lld", (long long)o->difference);
    static const char *const upstream[] = {"map", NULL};
    char *fp = set.failed ? NULL : tsct_stage_fingerprint(r->c, upstream, set.text);
    tsct_stage_settings_release(&set);
    if (!fp)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "coverage", -1, "fingerprint");
    tsct_step_info info = {.name = "coverage", .command = ctx->command_line, .config = fp,
                           .fingerprint = fp, .nunits = r->nt * r->nz};
    tsct_status st = tsct_step_begin(r->c, &info, ctx->log, &r->step, err);
    free(fp);
    int64_t mshape[4] = {r->nt, r->nz, r->ny, r->nx};
    char p[300], m[512];
    if (st == TSCT_OK && o->masks) {
        snprintf(p, sizeof p, "%s_mask", mpath);
        st = tsct_step_dataset(r->step, p, 4, mshape, -1, NULL, &r->mask_out, err);
        snprintf(m, sizeof m, "mask of %s above %.9g (%s)%s%s", o->map, r->thr, r->rule,
                 o->open ? ", opened" : "", o->close ? ", closed" : "");
        if (st == TSCT_OK)
            st = tsct_dataset_set_attr_string(r->mask_out, "method", m, err);
    }
    if (st == TSCT_OK && o->difference >= 0) {
        snprintf(p, sizeof p, "%s_diff", mpath);
        st = tsct_step_dataset(r->step, p, 4, mshape, -1, NULL, &r->diff_out, err);
        snprintf(m, sizeof m, "%s minus its time step %lld (material gained > 0, lost < 0)",
                 o->map, (long long)o->difference);
        if (st == TSCT_OK)
            st = tsct_dataset_set_attr_string(r->diff_out, "method", m, err);
    }
    return st;
}

/* Threshold, clean and count every (time step, slice); write the masks and differences. */
static tsct_status coverage_count(struct coverage_run *r, const tsct_stage_coverage_params *o,
                                  tsct_error *err)
{
    const int64_t ny = r->ny, nx = r->nx, npx = ny * nx;
    for (int64_t u = 0; u < r->nt * r->nz; u++) {
        int64_t t = u / r->nz, z = u % r->nz;
        int64_t start[4] = {t, z, 0, 0}, count[4] = {1, 1, ny, nx};
        TSCT_TRY(tsct_dataset_read(r->map, start, count, r->img, err));
        tsct_maps_threshold(r->img, npx, r->thr, r->mask);
        if (o->open)
            TSCT_TRY(tsct_maps_open(r->mask, ny, nx, (int)o->open, err));
        if (o->close)
            TSCT_TRY(tsct_maps_close(r->mask, ny, nx, (int)o->close, err));
        if (o->min_size > 1 && tsct_maps_remove_small(r->mask, ny, nx, o->min_size, 8) < 0)
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "components", -1, "labels");
        int64_t n = 0;
        for (int64_t k = 0; k < npx; k++)
            n += r->mask[k];
        r->counts[u] = n;
        if (r->mask_out) {
            for (int64_t k = 0; k < npx; k++)
                r->tmp[k] = r->mask[k];
            TSCT_TRY(tsct_dataset_write(r->mask_out, start, count, r->tmp, err));
        }
        if (r->diff_out) {
            tsct_maps_difference(r->img, r->ref + z * npx, npx, r->tmp);
            TSCT_TRY(tsct_dataset_write(r->diff_out, start, count, r->tmp, err));
        }
        if (r->step)
            TSCT_TRY(tsct_step_mark_done(r->step, u, 1, err));
    }
    return TSCT_OK;
}

/* The CSV table; with the electrochemistry (tsct echem), each row also gets its tomogram's
 * state of charge, so coverage can be plotted against capacity or voltage. */
static void coverage_table(struct coverage_run *r, const tsct_stage_coverage_params *o,
                           const char *path, FILE *table)
{
    const int64_t nt = r->nt, nz = r->nz;
    /* The state of charge of every tomogram when tsct echem stored one of this length (the
     * half cycle, so curves against capacity, which restarts at each half cycle, can be drawn
     * one half cycle at a time: tsct figure plot --split). */
    tsct_echem_stored e;
    if (tsct_echem_stored_read(r->c, &e, NULL) != TSCT_OK)
        memset(&e, 0, sizeof e);
    const int ncap = e.nt == nt && e.tomogram_capacity && e.tomogram_voltage;
    const int nhalf = ncap && e.tomogram_half_cycle;
    const double *cap = e.tomogram_capacity, *volt = e.tomogram_voltage,
                 *half = e.tomogram_half_cycle;
    fprintf(table, "# tsct coverage of %s in %s, threshold %.9g (%s, time step %lld)\n",
            o->map, path, r->thr, r->rule, (long long)r->tthr);
    fprintf(table, "time_step,slice,voxels,fraction_of_initial%s%s\n",
            ncap ? ",capacity_mAh_g,voltage_V" : "", nhalf ? ",half_cycle" : "");
    for (int64_t u = 0; u < nt * nz; u++) {
        int64_t z = u % nz;
        double f = r->counts[z] > 0 ? (double)r->counts[u] / (double)r->counts[z] : NAN;
        fprintf(table, "%lld,%lld,%lld,%.6f", (long long)(u / nz), (long long)z,
                (long long)r->counts[u], f);
        if (ncap)
            fprintf(table, ",%.4f,%.5f", cap[u / nz], volt[u / nz]);
        if (nhalf)
            fprintf(table, ",%lld", (long long)llround(half[u / nz]));
        fputc('\n', table);
    }
    tsct_echem_stored_release(&e);
}

static tsct_status check_params(const tsct_stage_coverage_params *o, tsct_error *err)
{
    if (!o->map || o->threshold_time < -1 || o->open < 0 || o->open > 1000000 ||
        o->close < 0 || o->close > 1000000 || o->min_size < 0 || o->difference < -1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "coverage parameters", -1,
                              "expected a map, radii 0-1000000, min_size >= 0, time steps "
                              ">= 0 (or -1)");
    return tsct__stage_threshold_check(&o->threshold, err);
}

/* Open the map, allocate, and set the threshold (and read the reference time step). */
static tsct_status coverage_prepare(struct coverage_run *r, const tsct_stage_coverage_params *o,
                                    const char *path, const char *mpath, tsct_error *err)
{
    int64_t shape[8] = {0};
    TSCT_TRY(tsct_dataset_open(r->c, mpath, &r->map, err));
    if (tsct_dataset_shape(r->map, shape) != 4)
        return tsct_error_set(err, TSCT_ERR_SHAPE, path, mpath, -1,
                              "expected a map [nt][nz][ny][nx]");
    r->nt = shape[0], r->nz = shape[1], r->ny = shape[2], r->nx = shape[3];
    const int64_t npx = r->ny * r->nx, nt = r->nt;
    if (o->difference >= nt)
        return tsct_error_set(err, TSCT_ERR_VALUE, path, mpath, o->difference,
                              "--difference: the map has %lld time steps", (long long)nt);
    r->img = malloc((size_t)npx * sizeof *r->img);
    r->first = malloc((size_t)(r->nz * npx) * sizeof *r->first);
    r->tmp = malloc((size_t)npx * sizeof *r->tmp);
    r->mask = malloc((size_t)npx);
    r->counts = calloc((size_t)(nt * r->nz), sizeof *r->counts);
    if (o->difference >= 0)
        r->ref = malloc((size_t)(r->nz * npx) * sizeof *r->ref);
    if (!r->img || !r->first || !r->tmp || !r->mask || !r->counts ||
        (o->difference >= 0 && !r->ref))
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "coverage", -1, "buffers");
    if (o->threshold_time >= nt)
        return tsct_error_set(err, TSCT_ERR_VALUE, path, mpath, o->threshold_time,
                              "--threshold-time: the map has %lld time steps", (long long)nt);
    TSCT_TRY(threshold_time(r, o, err));
    int64_t start[4] = {r->tthr, 0, 0, 0}, count[4] = {1, r->nz, r->ny, r->nx};
    TSCT_TRY(tsct_dataset_read(r->map, start, count, r->first, err));
    TSCT_TRY(tsct__stage_threshold(&o->threshold, r->first, r->nz * npx, &r->thr, err));
    if (!isfinite(r->thr))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--threshold", -1,
                              "the map has no finite values at the threshold's time step");
    if (r->ref) {
        start[0] = o->difference;
        TSCT_TRY(tsct_dataset_read(r->map, start, count, r->ref, err));
    }
    return TSCT_OK;
}

tsct_status tsct_stage_coverage(const char *container, const tsct_stage_coverage_params *params,
                                const tsct_stage_ctx *context, tsct_stage_report *report,
                                tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    const tsct_stage_coverage_params defaults = TSCT_STAGE_COVERAGE_PARAMS_DEFAULT;
    const tsct_stage_coverage_params *o = params ? params : &defaults;
    tsct_stage_report rep_local, *rep = tsct__stage_report(report, &rep_local);
    TSCT_TRY(check_params(o, err));
    struct coverage_run r;
    memset(&r, 0, sizeof r);
    tsct__stage_threshold_text(&o->threshold, 0, r.rule, sizeof r.rule);
    char mpath[256];
    snprintf(mpath, sizeof mpath, "%s/%s", TSCT_PATH_MAPS, o->map);
    const int writes = o->masks || o->difference >= 0;
    tsct_status st = tsct_container_open(container, writes ? TSCT_OPEN_WRITE : TSCT_OPEN_READ,
                                         &r.c, err);
    if (st == TSCT_OK)
        st = coverage_prepare(&r, o, container, mpath, err);
    if (st == TSCT_OK && writes)
        st = coverage_begin(&r, o, mpath, ctx, err);
    if (st == TSCT_OK)
        st = coverage_count(&r, o, err);
    if (st == TSCT_OK && r.step) {
        tsct_dataset_close(r.mask_out);
        tsct_dataset_close(r.diff_out);
        r.mask_out = r.diff_out = NULL;
        st = tsct_step_commit(r.step, err);
        r.step = NULL;
    }
    if (st == TSCT_OK && o->table)
        coverage_table(&r, o, container, o->table);
    if (st == TSCT_OK) {
        rep->ran = 1;
        rep->units = r.nt * r.nz;
        snprintf(rep->what, sizeof rep->what, "coverage of %s: threshold %.9g (%s, time step "
                 "%lld)%s%s", o->map, r.thr, r.rule, (long long)r.tthr,
                 o->masks ? ", masks" : "", o->difference >= 0 ? ", differences" : "");
    }
    tsct_dataset_close(r.mask_out);
    tsct_dataset_close(r.diff_out);
    tsct_step_close(r.step);
    tsct_dataset_close(r.map);
    if (st == TSCT_OK)
        st = tsct_container_close(r.c, err);
    else
        tsct_container_close(r.c, NULL);
    free(r.img), free(r.first), free(r.ref), free(r.tmp), free(r.mask), free(r.counts);
    return st;
}
