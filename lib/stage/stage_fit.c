/* stage_fit.c - the per-voxel fit stage (see include/tsct/stage.h): peak fits of every voxel
 * pattern inside a mask.
 *
 * One voxel row at a time: read the row [nx][nc], decide its mask, fit its voxels in parallel
 * through tsct_fit_execute_many, write the rows of the results; one row is one unit of a
 * resumable step, and finished rows are recorded in batches (tsct_stage_batch_*). The mask is
 * a map, the sample (tsct_stage_sample_mask on /entry/recon, also when the PDF is fitted), or,
 * with neither, the voxels with finite data in the window. Incremental runs keep the time
 * steps whose inputs are unchanged and append the new ones.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/fit.h"
#include "tsct/threads.h"

#define FIT_OUT_FIXED 5  /* parameters, esd, rwp, redchi2, status */

struct voxel_run {
    tsct_container *c;
    const char *path;
    tsct_dataset *src, *recon, *mask;
    tsct_dataset *out[FIT_OUT_FIXED + TSCT_FIT_MAX_PARAMS];
    int map_param[TSCT_FIT_MAX_PARAMS], nmaps;
    int64_t shape[8], mshape[8];
    int64_t nq;                /* channels of /entry/recon */
    int64_t win_first, win_n;  /* the fit window's channels */
    double cut;                /* the sample's least total */
    char mask_text[512];       /* the mask in words */
    char mask_path[256];       /* /entry/maps/MASK_MAP */
    float *row, *trow, *par, *esd, *rwp, *rc, *stat, *mapbuf;
    uint8_t *vmask;
};

/* Index of name in the comma list `names`, or -1. */
static int name_index(const char *names, const char *name, size_t len)
{
    int i = 0;
    for (const char *p = names; *p; i++) {
        size_t l = strcspn(p, ",");
        if (l == len && strncmp(p, name, len) == 0)
            return i;
        p += l + (p[l] == ',');
    }
    return -1;
}

/* The mask of voxel row lead = (t, z, y) into vmask[nx] (v->row holds the source row); the
 * count of set voxels in *n. */
static tsct_status row_mask(struct voxel_run *v, const int64_t *lead, int64_t *n,
                            tsct_error *err)
{
    const int64_t nx = v->shape[3];
    *n = 0;
    if (v->mask) {
        int64_t ml[3] = {v->mshape[0] == 1 ? 0 : lead[0], lead[1], lead[2]};
        TSCT_TRY(tsct_dataset_read_row(v->mask, ml, v->trow, err));
        for (int64_t x = 0; x < nx; x++)
            v->vmask[x] = isfinite(v->trow[x]) && v->trow[x] > 0;
    } else if (v->recon) {
        const float *r = v->row;
        if (v->recon != v->src) {
            TSCT_TRY(tsct_dataset_read_row(v->recon, lead, v->trow, err));
            r = v->trow;
        }
        *n = tsct_stage_sample_mask(r, nx, v->nq, v->cut, v->vmask);
        return TSCT_OK;
    } else {
        /* No intensity to threshold (a PDF without /entry/recon): voxels with finite data in
         * the window. */
        for (int64_t x = 0; x < nx; x++) {
            const float *w = v->row + x * v->shape[4] + v->win_first;
            v->vmask[x] = 1;
            for (int64_t i = 0; i < v->win_n; i++)
                v->vmask[x] &= isfinite(w[i]) != 0;
        }
    }
    for (int64_t x = 0; x < nx; x++)
        *n += v->vmask[x];
    return TSCT_OK;
}

/* Which parameters become maps. */
static tsct_status map_params(struct voxel_run *v, const char *maps, const tsct_fit_plan *plan,
                              tsct_error *err)
{
    const char *names = tsct_fit_plan_names(plan);
    const int k = tsct_fit_plan_nparams(plan);
    if (!maps)
        return TSCT_OK;
    if (strcmp(maps, "all") == 0) {
        for (int j = 0; j < k; j++)
            v->map_param[v->nmaps++] = j;
        return TSCT_OK;
    }
    for (const char *p = maps; *p;) {
        size_t l = strcspn(p, ",");
        int j = name_index(names, p, l);
        if (j < 0)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--maps", -1,
                                  "no parameter \"%.*s\": the model has %s", (int)l, p, names);
        if (v->nmaps < TSCT_FIT_MAX_PARAMS)
            v->map_param[v->nmaps++] = j;
        p += l + (p[l] == ',');
    }
    return TSCT_OK;
}

/* The mask's source: a map, /entry/recon (the source itself or beside the PDF), or none. */
static tsct_status mask_source(struct voxel_run *v, const tsct_stage_fit_voxels_params *o,
                               const char *src_path, tsct_error *err)
{
    const int64_t *s = v->shape;
    if (o->mask_map) {
        snprintf(v->mask_path, sizeof v->mask_path, "%s/%s", TSCT_PATH_MAPS, o->mask_map);
        TSCT_TRY(tsct_dataset_open(v->c, v->mask_path, &v->mask, err));
        if (tsct_dataset_shape(v->mask, v->mshape) != 4 ||
            (v->mshape[0] != s[0] && v->mshape[0] != 1) || v->mshape[1] != s[1] ||
            v->mshape[2] != s[2] || v->mshape[3] != s[3])
            return tsct_error_set(err, TSCT_ERR_SHAPE, v->path, v->mask_path, -1,
                                  "the mask map must be [nt or 1][%lld][%lld][%lld] like %s",
                                  (long long)s[1], (long long)s[2], (long long)s[3], src_path);
        snprintf(v->mask_text, sizeof v->mask_text, "voxels where %s > 0", v->mask_path);
        return TSCT_OK;
    }
    if (o->source == TSCT_STAGE_FIT_SOURCE_RECON ||
        o->source == TSCT_STAGE_FIT_SOURCE_INTEGRATED) {
        v->recon = v->src;
        v->nq = s[4];
        return TSCT_OK;
    }
    if (!tsct_container_exists(v->c, TSCT_PATH_RECON))
        return TSCT_OK;
    int64_t rs[8];
    double *qaxis = NULL;
    TSCT_TRY(tsct_dataset_open(v->c, TSCT_PATH_RECON, &v->recon, err));
    if (tsct_dataset_shape(v->recon, rs) != 5 || rs[0] != s[0] || rs[1] != s[1] ||
        rs[2] != s[2] || rs[3] != s[3])
        return tsct_error_set(err, TSCT_ERR_SHAPE, v->path, TSCT_PATH_RECON, -1,
                              "voxel grid differs from %s", src_path);
    TSCT_TRY(tsct_container_read_vector(v->c, TSCT_PATH_RECON_Q, &qaxis, &v->nq, err));
    free(qaxis);
    if (v->nq != rs[4])
        return tsct_error_set(err, TSCT_ERR_SHAPE, v->path, TSCT_PATH_RECON_Q, -1,
                              "%lld q values for %lld channels", (long long)v->nq,
                              (long long)rs[4]);
    return TSCT_OK;
}

/* The sample's cut (the threshold of the largest total, rounded to float as `tsct map
 * --total` stores totals: rounding is monotonic, so this is the largest stored total), the
 * mask in words, and an error for an empty mask. */
static tsct_status mask_prepare(struct voxel_run *v, const tsct_stage_fit_voxels_params *o,
                                tsct_error *err)
{
    const int64_t nt = v->shape[0], nz = v->shape[1], ny = v->shape[2];
    if (!v->mask && v->recon) {
        double vmax = 0;
        TSCT_TRY(tsct_stage_max_total(v->recon, &vmax, err));
        vmax = (float)vmax;
        v->cut = o->threshold * vmax;
        snprintf(v->mask_text, sizeof v->mask_text,
                 "voxels whose total intensity (sum of %s over %s) is >= %g x the "
                 "largest (%.6g)", tsct_dataset_path(v->recon),
                 o->source == TSCT_STAGE_FIT_SOURCE_INTEGRATED ? "its axis" : "q", o->threshold,
                 vmax);
    } else if (!v->mask) {
        snprintf(v->mask_text, sizeof v->mask_text,
                 "every voxel with finite data in the window");
    }
    int64_t nmask = 0;
    for (int64_t r = 0; r < nt * nz * ny && nmask == 0; r++) {
        int64_t lead[3] = {r / (nz * ny), r / ny % nz, r % ny}, n = 0;
        if (!v->mask && (v->recon == v->src || !v->recon))
            TSCT_TRY(tsct_dataset_read_row(v->src, lead, v->row, err));
        TSCT_TRY(row_mask(v, lead, &n, err));
        nmask += n;
    }
    if (nmask == 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, v->path, o->mask_map ? v->mask_path : "mask",
                              -1, "the mask is empty: no voxel of %s", v->mask_text);
    return TSCT_OK;
}

/* The output datasets of time steps t0.. and their attributes. */
static tsct_status fit_outputs(struct voxel_run *v, tsct_step *step, const char *name,
                               const tsct_fit_plan *plan, const char *src_path, int64_t t0,
                               tsct_error *err)
{
    static const char *const out_names[FIT_OUT_FIXED] = {"parameters", "esd", "rwp", "redchi2",
                                                          "status"};
    static const char *const defs[FIT_OUT_FIXED][2] = {
        {NULL, NULL},
        {"definition", "sqrt(diag((J^T J)^-1)) x sqrt(reduced chi2) over the free parameters; "
                       "0 for fixed ones; NaN when J^T J is singular"},
        {"definition", "R_wp = sqrt(sum (y - f)^2 / sum y^2) over the window"},
        {"definition", "chi2 / (points in the window - free parameters)"},
        {"codes", "0 converged, 1 converged with a parameter on a bound, 2 not converged "
                  "(iteration limit), 3 failed (non-finite data in the window), NaN outside the "
                  "mask"}};
    const int k = tsct_fit_plan_nparams(plan);
    for (int i = 0; i < FIT_OUT_FIXED + v->nmaps; i++) {
        const int rank = i < 2 ? 5 : 4;
        int64_t sh[5] = {v->shape[0] - t0, v->shape[1], v->shape[2], v->shape[3], k};
        tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
        char dpath[256];
        if (i < FIT_OUT_FIXED) {
            snprintf(dpath, sizeof dpath, "%s/%s/%s", TSCT_PATH_FITS, name, out_names[i]);
        } else {
            const char *names = tsct_fit_plan_names(plan);
            int j = v->map_param[i - FIT_OUT_FIXED];
            for (int s = 0; s < j; s++)
                names += strcspn(names, ",") + 1;
            snprintf(dpath, sizeof dpath, "%s/%s_%.*s", TSCT_PATH_MAPS, name,
                     (int)strcspn(names, ","), names);
        }
        TSCT_TRY(tsct_step_dataset(step, dpath, rank, sh, t0 > 0 ? t0 : -1, &dp, &v->out[i],
                                   err));
        tsct_dataset *d = v->out[i];
        if (i < 2)
            TSCT_TRY(tsct_dataset_set_attr_string(d, "parameters", tsct_fit_plan_names(plan),
                                                  err));
        if (i == 0) {
            TSCT_TRY(tsct_dataset_set_attr_string(d, "model", tsct_fit_plan_describe(plan),
                                                  err));
            TSCT_TRY(tsct_dataset_set_attr_string(d, "source", src_path, err));
            TSCT_TRY(tsct_dataset_set_attr_string(d, "mask", v->mask_text, err));
        } else if (i < FIT_OUT_FIXED) {
            TSCT_TRY(tsct_dataset_set_attr_string(d, defs[i][0], defs[i][1], err));
        } else {
            char text[3072];
            snprintf(text, sizeof text, "parameter %s of the peak fit /entry/fits/%s (%s) of %s",
                     dpath + strlen(TSCT_PATH_MAPS) + 2 + strlen(name), name,
                     tsct_fit_plan_describe(plan), v->mask_text);
            TSCT_TRY(tsct_dataset_set_attr_string(d, "method", text, err));
        }
    }
    return TSCT_OK;
}

/* Fit the voxel rows of time steps t0.. not yet done; counts[4] gets the fit statuses. */
static tsct_status fit_rows(struct voxel_run *v, tsct_step *step, const tsct_fit_plan *plan,
                            tsct_fit_workspace *ws, int64_t t0, const tsct_stage_ctx *ctx,
                            int64_t *counts, int64_t *nrun, tsct_error *err)
{
    const int64_t nz = v->shape[1], ny = v->shape[2], nx = v->shape[3], nc = v->shape[4];
    const int64_t nrows = (v->shape[0] - t0) * nz * ny;
    const int k = tsct_fit_plan_nparams(plan);
    tsct_progress progress;
    tsct_progress_begin(&progress, ctx->progress, "fit voxel rows", nrows,
                        tsct_step_done_count(step));
    tsct_stage_batch batch = {0, 0, tsct_clock()};
    for (int64_t r = 0; r < nrows; r++) {
        if (tsct_step_is_done(step, r))
            continue;
        int64_t lead[3] = {t0 + r / (nz * ny), r / ny % nz, r % ny}, n = 0, c[4] = {0};
        TSCT_TRY(tsct_dataset_read_row(v->src, lead, v->row, err));
        TSCT_TRY(row_mask(v, lead, &n, err));
        tsct_fit_execute_many(plan, v->row, nx, nc, v->vmask, ws, v->par, v->esd, v->rwp,
                              v->rc, v->stat, c);
        for (int s = 0; s < 4; s++)
            counts[s] += c[s];
        float *bufs[FIT_OUT_FIXED] = {v->par, v->esd, v->rwp, v->rc, v->stat};
        lead[0] -= t0; /* the staged time step */
        for (int i = 0; i < FIT_OUT_FIXED + v->nmaps; i++) {
            if (i >= FIT_OUT_FIXED) {
                const int j = v->map_param[i - FIT_OUT_FIXED];
                for (int64_t x = 0; x < nx; x++)
                    v->mapbuf[x] = v->par[x * k + j];
            }
            TSCT_TRY(tsct_dataset_write_row(v->out[i], lead,
                                            i < FIT_OUT_FIXED ? bufs[i] : v->mapbuf, err));
        }
        TSCT_TRY(tsct_stage_batch_add(step, &batch, r, err));
        tsct_progress_add(&progress, 1);
        (*nrun)++;
    }
    TSCT_TRY(tsct_stage_batch_flush(step, &batch, err));
    tsct_progress_end(&progress);
    return TSCT_OK;
}

/* The settings record and step name, word for word those `tsct fit peak` wrote before the
 * stage moved into the library (so earlier containers stay up to date); the fingerprint is
 * "nt=NT SETTINGS", without the container's identity, as it was. */
static void settings_of(const struct voxel_run *v, const tsct_stage_fit_voxels_params *o,
                        const char *src_path, const tsct_fit_plan *plan, tsct_stage_settings *s)
{
    tsct_stage_settings_add(s, "source", "%s", src_path);
    tsct_stage_settings_add(s, "shape", "%lldx%lldx%lldx%lld", (long long)v->shape[1],
                            (long long)v->shape[2], (long long)v->shape[3],
                            (long long)v->shape[4]);
    tsct_stage_settings_add(s, "mask", "%s", v->mask_text);
    tsct_stage_settings_add(s, "cut", "%.17g", v->cut);
    tsct_stage_settings_add(s, "maps", "%s", o->maps ? o->maps : "");
    tsct_stage_settings_add(s, "model", "%s", tsct_fit_plan_describe(plan));
}

static tsct_status check_params(const tsct_stage_fit_voxels_params *o, tsct_error *err)
{
    if (!tsct_stage_name_valid(o->name, 48, "_"))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "fit name", -1,
                              "expected 1-48 letters, digits and '_'");
    if (!o->model || (unsigned)o->source > TSCT_STAGE_FIT_SOURCE_INTEGRATED ||
        !(o->threshold >= 0 && o->threshold <= 1))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "fit parameters", -1,
                              "expected a model, a source and a threshold 0..1");
    return TSCT_OK;
}

static void voxel_run_release(struct voxel_run *v)
{
    for (int i = 0; i < FIT_OUT_FIXED + TSCT_FIT_MAX_PARAMS; i++)
        tsct_dataset_close(v->out[i]);
    if (v->recon != v->src)
        tsct_dataset_close(v->recon);
    tsct_dataset_close(v->src);
    tsct_dataset_close(v->mask);
    free(v->row), free(v->trow), free(v->vmask), free(v->par), free(v->esd), free(v->rwp);
}

static tsct_status voxel_buffers(struct voxel_run *v, int k, tsct_error *err)
{
    const int64_t nx = v->shape[3], nc = v->shape[4], width = v->nq > 0 ? v->nq : 1;
    v->row = malloc((size_t)(nx * nc) * sizeof *v->row);
    v->trow = malloc((size_t)(nx * width) * sizeof *v->trow);
    v->vmask = malloc((size_t)nx);
    v->par = malloc((size_t)(nx * k) * sizeof *v->par);
    v->esd = malloc((size_t)(nx * k) * sizeof *v->esd);
    v->rwp = malloc((size_t)nx * 4 * sizeof *v->rwp);
    if (!v->row || !v->trow || !v->vmask || !v->par || !v->esd || !v->rwp)
        return tsct_error_set(err, TSCT_ERR_NOMEM, v->path, NULL, -1, "row buffers");
    v->rc = v->rwp + nx, v->stat = v->rwp + 2 * nx, v->mapbuf = v->rwp + 3 * nx;
    return TSCT_OK;
}

/* Open the source and its axis, plan the fit. */
static tsct_status fit_open(struct voxel_run *v, const tsct_stage_fit_voxels_params *o,
                            const tsct_stage_ctx *ctx, const char *src_path, const char *axis_path,
                            tsct_fit_plan **plan, tsct_error *err)
{
    double *xaxis = NULL;
    int64_t nc = 0;
    TSCT_TRY(tsct_dataset_open(v->c, src_path, &v->src, err));
    TSCT_TRY(tsct_container_read_vector(v->c, axis_path, &xaxis, &nc, err));
    tsct_status st = TSCT_OK;
    if (tsct_dataset_shape(v->src, v->shape) != 5 || v->shape[4] != nc)
        st = tsct_error_set(err, TSCT_ERR_SHAPE, v->path, src_path, -1,
                            "expected [nt][nz][ny][nx][%lld] (the length of %s)", (long long)nc,
                            axis_path);
    tsct_fit_params fp = o->fit;
    fp.nthreads = ctx->nthreads;
    if (st == TSCT_OK) {
        st = tsct_fit_plan_create(o->model, &fp, xaxis, nc, plan, err);
        if (st != TSCT_OK)
            tsct_error_set_file(err, v->path);
    }
    free(xaxis);
    return st;
}

tsct_status tsct_stage_fit(const char *container, const tsct_stage_fit_voxels_params *params,
                           const tsct_stage_ctx *context, tsct_stage_report *report,
                           tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    const tsct_stage_fit_voxels_params defaults = TSCT_STAGE_FIT_VOXELS_PARAMS_DEFAULT;
    const tsct_stage_fit_voxels_params *o = params ? params : &defaults;
    tsct_stage_report rep_local, *rep = tsct__stage_report(report, &rep_local);
    TSCT_TRY(check_params(o, err));
    struct voxel_run v;
    memset(&v, 0, sizeof v);
    v.path = container;
    tsct_step *step = NULL;
    tsct_fit_plan *plan = NULL;
    tsct_fit_workspace *ws = NULL;
    tsct_stage_settings settings;
    tsct_stage_settings_init(&settings);
    char *fp = NULL, *stamps = NULL;
    int64_t counts[4] = {0}, nrun = 0;
    const int pdf = o->source == TSCT_STAGE_FIT_SOURCE_PDF;
    const int integrated = o->source == TSCT_STAGE_FIT_SOURCE_INTEGRATED;
    const char *src_path = pdf          ? TSCT_PATH_PDF
                           : integrated ? TSCT_PATH_INTEGRATED
                                        : TSCT_PATH_RECON;
    const char *axis_path = pdf          ? TSCT_PATH_PDF_R
                            : integrated ? TSCT_PATH_INTEGRATED_Q
                                         : TSCT_PATH_RECON_Q;
    tsct_status st = tsct_container_open(container, TSCT_OPEN_WRITE, &v.c, err);
    if (st == TSCT_OK)
        st = fit_open(&v, o, ctx, src_path, axis_path, &plan, err);
    const int64_t nt = v.shape[0], nz = v.shape[1], ny = v.shape[2];
    const int k = plan ? tsct_fit_plan_nparams(plan) : 0;
    if (plan)
        tsct_fit_plan_window(plan, &v.win_first, &v.win_n);
    /* One workspace slot for every thread the plan may use. */
    if (st == TSCT_OK)
        st = tsct_fit_workspace_create(plan, tsct_threads_resolve(ctx->nthreads), &ws, err);
    if (st == TSCT_OK)
        st = map_params(&v, o->maps, plan, err);
    if (st == TSCT_OK)
        st = mask_source(&v, o, src_path, err);
    if (st == TSCT_OK)
        st = voxel_buffers(&v, k, err);
    if (st == TSCT_OK)
        st = mask_prepare(&v, o, err);
    char stepname[64], first[300];
    snprintf(stepname, sizeof stepname, "fit_%s", o->name);
    for (char *p = stepname; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (st == TSCT_OK) {
        settings_of(&v, o, src_path, plan, &settings);
        const size_t n = settings.len + 32;
        if (!settings.failed && (fp = malloc(n)) != NULL)
            snprintf(fp, n, "nt=%lld %s", (long long)nt, settings.text);
        else
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "settings", -1, "record");
    }
    int64_t t0 = 0; /* time steps before t0 are kept (tsct run, new tomograms) */
    if (st == TSCT_OK) {
        /* What the fits read: the data, and the recon or map the mask comes from. */
        const char *inputs[3] = {src_path, NULL, NULL};
        if (v.mask)
            inputs[1] = v.mask_path;
        else if (v.recon && v.recon != v.src)
            inputs[1] = TSCT_PATH_RECON;
        snprintf(first, sizeof first, "%s/%s/parameters", TSCT_PATH_FITS, o->name);
        t0 = tsct_stage_keep_time_steps(ctx, v.c, stepname, settings.text, inputs, first, nt,
                                        &stamps, &fp);
        if (t0 == nt)
            goto done;
        tsct_step_info info = {.name = stepname, .command = ctx->command_line,
                               .config = tsct_fit_plan_describe(plan), .fingerprint = fp,
                               .nunits = (nt - t0) * nz * ny, .settings = settings.text,
                               .inputs = stamps, .time_first = t0};
        st = tsct_step_begin(v.c, &info, ctx->log, &step, err);
    }
    if (st == TSCT_OK)
        st = fit_outputs(&v, step, o->name, plan, src_path, t0, err);
    if (st == TSCT_OK)
        st = fit_rows(&v, step, plan, ws, t0, ctx, counts, &nrun, err);
    if (st == TSCT_OK) {
        for (int i = 0; i < FIT_OUT_FIXED + v.nmaps; i++) {
            tsct_dataset_close(v.out[i]);
            v.out[i] = NULL;
        }
        st = tsct_step_commit(step, err);
        step = NULL;
    }
    if (st == TSCT_OK) {
        rep->ran = 1;
        rep->units = nrun;
        rep->time_first = t0;
        snprintf(rep->what, sizeof rep->what,
                 "%s: /entry/fits/%s, %d parameters (%s); this run: %lld converged, %lld on "
                 "a bound, %lld not converged, %lld failed", container, o->name, k,
                 tsct_fit_plan_names(plan), (long long)counts[0], (long long)counts[1],
                 (long long)counts[2], (long long)counts[3]);
        tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s", rep->what);
    }
done:
    tsct_step_close(step);
    voxel_run_release(&v);
    if (st == TSCT_OK)
        st = tsct_container_close(v.c, err);
    else
        tsct_container_close(v.c, NULL);
    tsct_fit_workspace_destroy(ws);
    tsct_fit_plan_destroy(plan);
    tsct_stage_settings_release(&settings);
    free(fp);
    free(stamps);
    return st;
}
