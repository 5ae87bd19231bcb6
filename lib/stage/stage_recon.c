/* stage_recon.c - the recon stage (see include/tsct/stage.h): /entry/sinograms ->
 * /entry/recon channel block by channel block through a resumable step, and the
 * reconstruction of a plain array (a sinogram in any HDF5 file or image) into a new file.
 *
 * One engine (an FBP plan, or a projector for SIRT / CGLS) is planned once for the geometry
 * after centring and reused for every block of channels [na][w][block] -> [n][n][block]: the
 * reconstruction is linear and channel-independent, so blocks may run in any order and a
 * resumed run recomputes only the blocks not marked done. The centre is found once, on the
 * channel sum of the first (time, slice): one geometry (and one image size) for the volume.
 * Plain arrays are small by nature and are processed in memory, the image published
 * atomically.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/array.h"
#include "tsct/publish.h"
#include "tsct/sino.h"

/* ---- the engine: sinograms [na][w][nc] (packed) -> images [n][n][nc] ---------------------- */

struct recon_engine {
    const tsct_stage_recon_params *o; /* iterations resolved */
    const tsct_stage_ctx *ctx;
    tsct_tomo_fbp_plan *fbp;
    tsct_tomo_projector *proj;
    void *work;
    size_t work_bytes;
    int64_t n;
};

static tsct_status engine_init(struct recon_engine *e, const tsct_stage_recon_params *o,
                               const tsct_stage_ctx *ctx, int64_t na, int64_t ns, const double *th,
                               int64_t nc_max, tsct_error *err)
{
    memset(e, 0, sizeof *e);
    e->o = o;
    e->ctx = ctx;
    if (o->method == TSCT_STAGE_RECON_FBP) {
        tsct_tomo_fbp_params p = TSCT_TOMO_FBP_PARAMS_DEFAULT;
        p.filter = o->filter;
        p.output_size = o->size;
        p.circle = o->circle;
        p.nthreads = ctx->nthreads;
        TSCT_TRY(tsct_tomo_fbp_plan_create(&p, na, ns, th, &e->fbp, err));
        e->n = tsct_tomo_fbp_plan_output_size(e->fbp);
        e->work_bytes = tsct_tomo_fbp_workspace_size(e->fbp);
    } else {
        tsct_tomo_projector_params p = TSCT_TOMO_PROJECTOR_PARAMS_DEFAULT;
        p.image_size = o->size;
        p.circle = o->circle;
        p.nthreads = ctx->nthreads;
        TSCT_TRY(tsct_tomo_projector_create(&p, na, ns, th, &e->proj, err));
        tsct_tomo_projector_shape(e->proj, NULL, NULL, &e->n);
        e->work_bytes = tsct_tomo_solver_workspace_size(e->proj, nc_max);
    }
    e->work = malloc(e->work_bytes ? e->work_bytes : 1);
    if (!e->work)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "reconstruction workspace", -1,
                              "%zu bytes", e->work_bytes);
    return TSCT_OK;
}

static void engine_release(struct recon_engine *e)
{
    tsct_tomo_fbp_plan_destroy(e->fbp);
    tsct_tomo_projector_destroy(e->proj);
    free(e->work);
    memset(e, 0, sizeof *e);
}

/* -v: every iteration of SIRT / CGLS with its residual, so a long run shows it is moving. */
static void log_iteration(void *user, int iteration, double residual)
{
    const struct recon_engine *e = user;
    tsct_log_msg(e->ctx->log, TSCT_LOG_DEBUG, "%s iteration %d/%lld: residual %.4g",
                 e->o->method == TSCT_STAGE_RECON_SIRT ? "sirt" : "cgls", iteration,
                 (long long)e->o->iterations, residual);
}

static tsct_status engine_run(struct recon_engine *e, const float *sino, int64_t nc,
                              float *image, tsct_error *err)
{
    if (e->fbp)
        return tsct_tomo_fbp_execute(e->fbp, sino, nc, nc, image, nc, e->work, e->work_bytes, err);
    tsct_tomo_iter_params p = TSCT_TOMO_ITER_PARAMS_DEFAULT;
    p.max_iter = (int)e->o->iterations;
    p.nonneg = e->o->nonneg;
    p.tol = 0.0;
    p.on_iteration = log_iteration;
    p.user = e;
    tsct_tomo_iter_report rep;
    memset(image, 0, (size_t)(e->n * e->n * nc) * sizeof *image);
    const size_t need = tsct_tomo_solver_workspace_size(e->proj, nc);
    const int sirt = e->o->method == TSCT_STAGE_RECON_SIRT;
    tsct_status st = sirt ? tsct_tomo_sirt(e->proj, &p, sino, nc, image, NULL, &rep, e->work,
                                           need, err)
                          : tsct_tomo_cgls(e->proj, &p, sino, nc, image, NULL, &rep, e->work,
                                           need, err);
    if (st == TSCT_NOT_CONVERGED || st == TSCT_OK) {
        tsct_log_msg(e->ctx->log, TSCT_LOG_DEBUG, "%s: %d iterations, residual %.4g",
                     sirt ? "sirt" : "cgls", rep.iterations, rep.residual);
        return TSCT_OK;
    }
    return st;
}

/* Voxel centres relative to the rotation axis at pixel n / 2 (include/tsct/tomo.h): (k - n/2)
 * times the pitch, into v[n]. */
static void voxel_axis(double *v, int64_t n, double pitch)
{
    for (int64_t k = 0; k < n; k++)
        v[k] = (double)(k - n / 2) * pitch;
}

/* Stage the voxel axes /entry/recon/y and x of an n x n image: the pitch is the scan's
 * translation step, in mm when the translations are in mm, else in translation steps. */
tsct_status tsct__stage_voxel_axes(tsct_container *c, tsct_step *step, int64_t n,
                                    tsct_error *err)
{
    double pitch = 1.0, *t = NULL;
    int64_t nt = 0;
    char units[32] = "";
    const char *tpath = TSCT_PATH_SCAN "/translation";
    if (tsct_container_exists(c, tpath) &&
        tsct_container_read_vector(c, tpath, &t, &nt, NULL) == TSCT_OK && nt >= 2 &&
        tsct_container_get_attr_string(c, tpath, "units", units, sizeof units, NULL) ==
            TSCT_OK &&
        strcmp(units, "mm") == 0) {
        const double h = fabs(t[nt - 1] - t[0]) / (double)(nt - 1);
        if (isfinite(h) && h > 0.0)
            pitch = h;
        else
            units[0] = '\0';
    }
    free(t);
    double *v = malloc((size_t)n * sizeof *v);
    if (!v)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "voxel axes", -1, "%lld values",
                              (long long)n);
    voxel_axis(v, n, pitch);
    const char *u = strcmp(units, "mm") == 0 ? "mm" : "steps";
    tsct_status st = tsct_step_vector(step, TSCT_PATH_RECON_Y, v, n, u, err);
    if (st == TSCT_OK)
        st = tsct_step_vector(step, TSCT_PATH_RECON_X, v, n, u, err);
    free(v);
    return st;
}

/* ---- what both forms share ----------------------------------------------------------------- */

static const tsct_stage_ctx default_ctx = TSCT_STAGE_CTX_DEFAULT;
static const tsct_stage_recon_params default_params = TSCT_STAGE_RECON_PARAMS_DEFAULT;

/* What both calls do first: a NULL ctx gets the defaults, a NULL report the scratch one (the
 * report is zeroed), the parameters (NULL: the defaults) are checked and copied into o with
 * iterations resolved (0: the method's default). */
static tsct_status recon_begin(const tsct_stage_recon_params *params, const tsct_stage_ctx **ctx,
                               tsct_stage_report **report, tsct_stage_report *scratch,
                               tsct_stage_recon_params *o, tsct_error *err)
{
    if (!*ctx)
        *ctx = &default_ctx;
    if (!*report)
        *report = scratch;
    memset(*report, 0, sizeof **report);
    *o = params ? *params : default_params;
    if ((unsigned)o->method > TSCT_STAGE_RECON_CGLS ||
        (unsigned)o->filter >= (unsigned)TSCT_TOMO_FBP_FILTER_COUNT_ ||
        (unsigned)o->centre > TSCT_STAGE_CENTRE_DEFAULT)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "recon parameters", -1,
                              "an enum out of range");
    if (o->iterations < 0 || o->iterations > 1000000 || o->size < 0 || o->block < 1 ||
        o->deflate < 0 || o->deflate > 9 ||
        (o->centre == TSCT_STAGE_CENTRE_FIXED && !(o->centre_value >= 0)))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "recon parameters", -1,
                              "expected iterations 0-1000000, size >= 0, block >= 1, deflate "
                              "0-9 and a fixed centre >= 0");
    if (o->iterations == 0)
        o->iterations = o->method == TSCT_STAGE_RECON_CGLS ? 30 : 100;
    return TSCT_OK;
}

/* The centre of a profile [na][ns] as mode asks, and the geometry after centring: *w
 * positions, origin[na] for tsct_sino_resample (0 and ns when not centred). */
static tsct_status centre_geometry(const tsct_stage_ctx *ctx, const char *what,
                                   const tsct_stage_recon_params *o, tsct_stage_centre_mode mode,
                                   const float *prof, int64_t na, int64_t ns, const double *th,
                                   double *centre, int64_t *w, double *origin, tsct_error *err)
{
    *centre = -1.0;
    if (mode != TSCT_STAGE_CENTRE_NONE)
        TSCT_TRY(tsct__stage_find_centre(ctx, what, mode, o->centre_value, prof, na, ns, th,
                                         centre, err));
    *w = *centre >= 0.0 ? tsct_sino_centre_crop_width(ns, *centre) : ns;
    for (int64_t a = 0; a < na; a++)
        origin[a] = *centre >= 0.0 ? tsct_sino_centre_origin(*centre, *w) : 0.0;
    if (*w < 2)
        return tsct_error_set(err, TSCT_ERR_VALUE, what, "centre", -1,
                              "the centre %.3f leaves %lld positions after cropping", *centre,
                              (long long)*w);
    return TSCT_OK;
}

/* ---- the container ------------------------------------------------------------------------- */

/* The settings record, word for word the one `tsct recon` wrote before the stage moved into
 * the library (so earlier containers stay up to date). */
static void settings_of(const tsct_stage_recon_params *o, int64_t n, double centre, int64_t block,
                        tsct_stage_settings *s)
{
    tsct_stage_settings_add(s, "method", "%d", (int)o->method);
    tsct_stage_settings_add(s, "filter", "%s", tsct_tomo_fbp_filter_name(o->filter));
    tsct_stage_settings_add(s, "iterations", "%lld", (long long)o->iterations);
    tsct_stage_settings_add(s, "nonneg", "%d", o->nonneg);
    tsct_stage_settings_add(s, "size", "%lld", (long long)n);
    tsct_stage_settings_add(s, "circle", "%d", o->circle);
    tsct_stage_settings_add(s, "centre", "%.17g", centre);
    tsct_stage_settings_add(s, "block", "%lld", (long long)block);
    tsct_stage_settings_add(s, "deflate", "%lld", (long long)o->deflate);
    if (o->rings > 0) /* only when asked: earlier records stay valid */
        tsct_stage_settings_add(s, "rings", "%lld", (long long)o->rings);
}

/* The sinograms' geometry: shape [nt][nz][na][ns][nq], finite angles th[na], the q axis (or
 * NULL), and the centre mode DEFAULT resolved. */
static tsct_status open_sinograms(const char *container, tsct_container *c, tsct_dataset **in,
                                  int64_t *shape, double **th, double **q, int64_t *nq_axis,
                                  tsct_stage_centre_mode *mode, tsct_error *err)
{
    int64_t na = 0;
    TSCT_TRY(tsct_dataset_open(c, TSCT_PATH_SINOGRAMS, in, err));
    if (tsct_dataset_shape(*in, shape) != 5)
        return tsct_error_set(err, TSCT_ERR_SHAPE, container, TSCT_PATH_SINOGRAMS, -1,
                              "expected 5 axes [nt][nz][na][ns][nq]");
    TSCT_TRY(tsct_container_read_vector(c, TSCT_PATH_SCAN "/angle", th, &na, err));
    if (na != shape[2])
        return tsct_error_set(err, TSCT_ERR_SHAPE, container, TSCT_PATH_SCAN "/angle", -1,
                              "%lld angles for %lld sinogram rows", (long long)na,
                              (long long)shape[2]);
    for (int64_t a = 0; a < na; a++)
        if (!isfinite((*th)[a]))
            return tsct_error_set(err, TSCT_ERR_VALUE, container, TSCT_PATH_SCAN "/angle", a,
                                  "expected a finite angle, found %g", (*th)[a]);
    if (tsct_container_exists(c, TSCT_PATH_SINOGRAMS_Q))
        TSCT_TRY(tsct_container_read_vector(c, TSCT_PATH_SINOGRAMS_Q, q, nq_axis, err));
    /* sinograms made by the sinogram stage are centred already */
    if (*mode == TSCT_STAGE_CENTRE_DEFAULT) {
        double *centres = NULL;
        int64_t ncen = 0;
        int centred = tsct_container_exists(c, "/entry/sinograms/centre") &&
                      tsct_container_read_vector(c, "/entry/sinograms/centre", &centres, &ncen,
                                                 NULL) == TSCT_OK;
        free(centres);
        *mode = centred ? TSCT_STAGE_CENTRE_NONE : TSCT_STAGE_CENTRE_AUTO;
    }
    return TSCT_OK;
}

/* The channel-summed profile [na][ns] of (t, z) = (0, 0), read row by row. */
static tsct_status first_profile(tsct_dataset *in, int64_t na, int64_t ns, int64_t nq,
                                 float *prof, tsct_error *err)
{
    float *row = malloc((size_t)(ns * nq) * sizeof *row);
    if (!row)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "profile", -1, "%lld x %lld",
                              (long long)ns, (long long)nq);
    tsct_status st = TSCT_OK;
    for (int64_t a = 0; st == TSCT_OK && a < na; a++) {
        const int64_t s0[5] = {0, 0, a, 0, 0}, n0[5] = {1, 1, 1, ns, nq};
        st = tsct_dataset_read(in, s0, n0, row, err);
        if (st == TSCT_OK)
            st = tsct_sino_profile(row, 1, ns, nq, NULL, prof + a * ns, err);
    }
    free(row);
    return st;
}

/* One (t, z, channel block) as a unit of the step (tsct__stage_units): read, centred,
 * reconstructed into img [n][n][block]; rank 0 writes it. */
struct recon_unit {
    const tsct_stage_ctx *ctx;
    struct recon_engine *eng;
    tsct_dataset *in, *dst;  /* dst: rank 0, the step's */
    const int64_t *shape;
    const int64_t *t0;       /* the first time step computed: rank 0's (shared) */
    int64_t block, nblk, w;
    const double *org;
    float *blk, *cblk;       /* [na][ns][block], [na][w][block] */
};

static void recon_unit_where(const struct recon_unit *x, int64_t u, int64_t *t, int64_t *z,
                             int64_t *c0, int64_t *nc)
{
    const int64_t nz = x->shape[1], nq = x->shape[4];
    *t = *x->t0 + u / (nz * x->nblk);
    *z = u / x->nblk % nz;
    *c0 = u % x->nblk * x->block;
    *nc = *c0 + x->block <= nq ? x->block : nq - *c0;
}

static tsct_status recon_unit_compute(void *user, int64_t u, void *out, tsct_error *err)
{
    struct recon_unit *x = user;
    const int64_t na = x->shape[2], ns = x->shape[3];
    int64_t t, z, c0, nc;
    recon_unit_where(x, u, &t, &z, &c0, &nc);
    const int64_t rs[5] = {t, z, 0, 0, c0}, rc[5] = {1, 1, na, ns, nc};
    TSCT_TRY(tsct_dataset_read(x->in, rs, rc, x->blk, err));
    const int rings = (int)x->eng->o->rings;
    if (rings > 0)
        TSCT_TRY(tsct_tomo_rings_sort(x->blk, na, ns, nc, nc, rings, x->ctx->nthreads, err));
    TSCT_TRY(tsct_sino_resample(x->blk, na, ns, nc, x->org, x->w, x->cblk, x->ctx->nthreads,
                                err));
    return engine_run(x->eng, x->cblk, nc, out, err);
}

static tsct_status recon_unit_write(void *user, int64_t u, const void *out, tsct_error *err)
{
    struct recon_unit *x = user;
    const int64_t n = x->eng->n;
    int64_t t, z, c0, nc;
    recon_unit_where(x, u, &t, &z, &c0, &nc);
    const int64_t ws[5] = {t - *x->t0, z, 0, 0, c0}, wc[5] = {1, 1, n, n, nc};
    return tsct_dataset_write(x->dst, ws, wc, out, err);
}

/* The step's loop: every unit (t, z, channel block) not yet done, read, centred,
 * reconstructed, written, marked done; with ranks, on every rank (rank 0 passes its step,
 * NULL when up to date, its status st and t0; the others receive them). *computed counts the
 * units computed. */
static tsct_status recon_units(const tsct_stage_ctx *ctx, struct recon_engine *eng,
                               tsct_step *step, tsct_status st, tsct_dataset *in,
                               tsct_dataset *dst, const int64_t *shape, int64_t t0,
                               int64_t block, const double *org, int64_t w, int64_t *computed,
                               tsct_error *err)
{
    const int64_t nt = shape[0], nz = shape[1], na = shape[2], ns = shape[3], nq = shape[4];
    const int64_t nblk = (nq + block - 1) / block, n = eng->n;
    tsct__stage_units units = {(nt - t0) * nz * nblk, (size_t)(n * n * block) * sizeof(float),
                               recon_unit_compute, recon_unit_write, NULL, {t0, 0}, 0};
    struct recon_unit x = {ctx, eng, in, dst, shape, &units.shared[0], block, nblk, w, org,
                           NULL, NULL};
    units.user = &x;
    if (in)
        tsct_dataset_set_threads(in, ctx->nthreads);
    if (dst)
        tsct_dataset_set_threads(dst, ctx->nthreads);
    x.blk = malloc((size_t)(na * ns * block) * sizeof *x.blk);
    x.cblk = malloc((size_t)(na * w * block) * sizeof *x.cblk);
    if (st == TSCT_OK && (!x.blk || !x.cblk))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "channel block", -1,
                            "%lld channels (block)", (long long)block);
    tsct_progress pr;
    const int counting = st == TSCT_OK && step;
    if (counting)
        tsct_progress_begin(&pr, ctx->progress, "recon channel blocks", (nt - t0) * nz * nblk,
                            tsct_step_done_count(step));
    st = tsct__stage_units_run(ctx, step, &units, st, NULL, counting ? &pr : NULL, 1, computed,
                               err);
    if (st == TSCT_OK && counting)
        tsct_progress_end(&pr);
    free(x.blk);
    free(x.cblk);
    return st;
}

/* Rank 0's part before the units: the settings and fingerprint, up to date or the time steps
 * kept (*t0), the step begun with its axes and its dataset (*step NULL: nothing to do). */
static tsct_status recon_step(const tsct_stage_ctx *ctx, tsct_container *c,
                              const tsct_stage_recon_params *o, int64_t n, double centre,
                              int64_t block, int64_t nt, int64_t nz, int64_t nblk, int64_t nq,
                              const double *q, int64_t nqa, tsct_stage_settings *settings,
                              char **fp, char **stamps, int64_t *t0, tsct_step **step,
                              tsct_dataset **dst, tsct_error *err)
{
    settings_of(o, n, centre, block, settings);
    static const char *const inputs_r[] = {"sinogram", "import_sinograms", NULL};
    static const char *const data_r[] = {TSCT_PATH_SINOGRAMS, NULL};
    *fp = settings->failed ? NULL : tsct_stage_fingerprint(c, inputs_r, settings->text);
    if (!*fp)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "fingerprint", -1, "record");
    if (tsct_stage_up_to_date(ctx, c, "recon", *fp))
        return TSCT_OK;
    /* Time steps t0 .. nt-1 are computed; earlier ones are kept (tsct run, new tomograms). */
    *t0 = tsct_stage_keep_time_steps(ctx, c, "recon", settings->text, data_r, TSCT_PATH_RECON,
                                     nt, stamps, fp);
    if (*t0 == nt)
        return TSCT_OK;
    tsct_step_info info = {"recon", ctx->command_line, settings->text, *fp,
                           (nt - *t0) * nz * nblk, settings->text, *stamps, *t0};
    TSCT_TRY(tsct_step_begin(c, &info, ctx->log, step, err));
    const int64_t oshape[5] = {nt - *t0, nz, n, n, nq};
    tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
    dp.deflate = o->deflate;
    dp.chunk_last = block;  /* one unit's channels: see tsct_dataset_params */
    dp.chunk_axes = 1;      /* one unit covers every row [n][block] of the image */
    if (q)
        TSCT_TRY(tsct_step_vector(*step, TSCT_PATH_RECON_Q, q, nqa, "A^-1", err));
    TSCT_TRY(tsct__stage_voxel_axes(c, *step, n, err));
    return tsct_step_dataset(*step, TSCT_PATH_RECON, 5, oshape, *t0 > 0 ? *t0 : -1, &dp, dst,
                             err);
}

tsct_status tsct_stage_recon(const char *container, const tsct_stage_recon_params *params,
                             const tsct_stage_ctx *ctx, tsct_stage_report *rep, tsct_error *err)
{
    tsct_stage_report scratch;
    tsct_stage_recon_params o;
    TSCT_TRY(recon_begin(params, &ctx, &rep, &scratch, &o, err));
    tsct_stage_settings settings;
    tsct_stage_settings_init(&settings);
    tsct_container *c = NULL;
    tsct_dataset *in = NULL, *dst = NULL;
    tsct_step *step = NULL;
    double *th = NULL, *q = NULL, *org = NULL;
    float *prof = NULL;
    char *stamps = NULL, *fp = NULL;
    struct recon_engine eng;
    memset(&eng, 0, sizeof eng);
    int64_t nqa = 0, shape[8] = {0};
    tsct_stage_centre_mode mode = o.centre;
    /* With ranks, each reads the sinograms and plans; rank 0 alone writes (tsct/mpi.h). */
    const int root = tsct__stage_root(ctx), ranks = tsct_mpi_size(ctx->mpi) > 1;
    tsct_status st = tsct_container_open(container, root ? TSCT_OPEN_WRITE : TSCT_OPEN_READ, &c,
                                         err);
    if (st == TSCT_OK)
        st = open_sinograms(container, c, &in, shape, &th, &q, &nqa, &mode, err);
    const int64_t nt = shape[0], nz = shape[1], na = shape[2], ns = shape[3], nq = shape[4];
    const int64_t block = o.block < nq ? o.block : nq, nblk = block ? (nq + block - 1) / block : 0;

    /* The centre from the channel sum of the first (t, z); one geometry for every block. */
    if (st == TSCT_OK) {
        prof = malloc((size_t)(na * ns) * sizeof *prof);
        org = malloc((size_t)na * sizeof *org);
        if (!prof || !org)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "profile", -1, "%lld x %lld",
                                (long long)na, (long long)ns);
    }
    if (st == TSCT_OK && mode != TSCT_STAGE_CENTRE_NONE)
        st = first_profile(in, na, ns, nq, prof, err);
    double centre = -1.0;
    int64_t w = ns;
    if (st == TSCT_OK)
        st = centre_geometry(ctx, container, &o, mode, prof, na, ns, th, &centre, &w, org, err);
    if (st == TSCT_OK)
        st = engine_init(&eng, &o, ctx, na, w, th, block, err);
    st = tsct__stage_agree(ctx, st, err);
    if (st != TSCT_OK)
        goto done;
    const int64_t n = eng.n;
    int64_t t0 = 0;
    if (root)
        st = recon_step(ctx, c, &o, n, centre, block, nt, nz, nblk, nq, q, nqa, &settings, &fp,
                        &stamps, &t0, &step, &dst, err);
    if (st == TSCT_OK || ranks)
        st = recon_units(ctx, &eng, step, st, in, dst, shape, t0, block, org, w, &rep->units,
                         err);
    if (st != TSCT_OK || !step)
        goto done;
    tsct_dataset_close(dst);
    dst = NULL;
    st = tsct_step_commit(step, err);
    step = NULL;
    const int64_t oshape[5] = {nt - t0, nz, n, n, nq};
    if (st == TSCT_OK) {
        char b[128];
        rep->ran = 1;
        rep->time_first = t0;
        snprintf(rep->what, sizeof rep->what, "reconstruction %s written to %s:%s",
                 tsct_shape_format(b, sizeof b, 5, oshape), container, TSCT_PATH_RECON);
        tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s", rep->what);
    }
done:
    tsct_dataset_close(dst);
    tsct_step_close(step);
    tsct_dataset_close(in);
    if (st == TSCT_OK)
        st = tsct_container_close(c, err);
    else
        tsct_container_close(c, NULL);
    engine_release(&eng);
    free(th);
    free(q);
    free(org);
    free(prof);
    free(stamps);
    free(fp);
    tsct_stage_settings_release(&settings);
    if (st != TSCT_OK)
        rep->units = 0;
    return st;
}

/* ---- plain arrays -------------------------------------------------------------------------- */

/* A flat or dark field for ns positions: [ns], [k][ns], or with row >= 0 [k][ny][ns],
 * averaged over k. */
static tsct_status read_field(const char *spec, const char *what, int64_t row, int64_t ns,
                              float **out, tsct_error *err)
{
    int nd = 0;
    int64_t sh[8];
    float *d = NULL;
    TSCT_TRY(tsct__stage_read_array(spec, what, &nd, sh, &d, err));
    int64_t k = nd == 1 ? 1 : sh[0];
    int ok = nd >= 1 && nd <= 3 && sh[nd - 1] == ns && (row < 0 ? nd <= 2 : nd == 3) &&
             (nd != 3 || row < sh[1]);
    if (!ok) {
        char b[128];
        free(d);
        return tsct_error_set(err, TSCT_ERR_SHAPE, spec, what, -1,
                              "expected [%lld], [k][%lld]%s, found %s", (long long)ns,
                              (long long)ns, row >= 0 ? " or [k][ny][nx] with --row" : "",
                              tsct_shape_format(b, sizeof b, nd, sh));
    }
    float *f = malloc((size_t)ns * sizeof *f);
    if (!f) {
        free(d);
        return tsct_error_set(err, TSCT_ERR_NOMEM, spec, what, -1, "%lld values",
                              (long long)ns);
    }
    const int64_t ny = nd == 3 ? sh[1] : 1, r = nd == 3 ? row : 0;
    for (int64_t s = 0; s < ns; s++) {
        double acc = 0.0;
        for (int64_t i = 0; i < k; i++)
            acc += d[(i * ny + r) * ns + s];
        f[s] = (float)(acc / (double)k);
    }
    free(d);
    *out = f;
    return TSCT_OK;
}

/* na angles in degrees: the range's, or FILE.h5::/dataset's (float64, as stored). */
static tsct_status read_angles(const tsct_stage_recon_array_params *a, int64_t na, double **th,
                               tsct_error *err)
{
    *th = NULL;
    if (!a->angles) {
        const double lo = a->angle_range[0], hi = a->angle_range[1];
        if (!isfinite(lo) || !isfinite(hi) || lo == hi)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--angle-range", -1,
                                  "expected A:B in degrees with A != B, found '%g:%g'", lo, hi);
        *th = malloc((size_t)na * sizeof **th);
        if (!*th)
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "angles", -1, "%lld", (long long)na);
        for (int64_t i = 0; i < na; i++)
            (*th)[i] = lo + (hi - lo) * (double)i / (double)na;
        return TSCT_OK;
    }
    char file[TSCT_PATH_MAX], dset[1024];
    tsct_path_split(a->angles, file, sizeof file, dset, sizeof dset);
    if (!dset[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, a->angles, "--angles", -1,
                              "name the dataset as FILE.h5::/path");
    tsct_container *f = NULL;
    TSCT_TRY(tsct_h5file_open(file, TSCT_OPEN_READ, &f, err));
    int64_t n = 0;
    tsct_status st = tsct_container_read_vector(f, dset, th, &n, err);
    tsct_container_close(f, NULL);
    if (st == TSCT_OK && n != na)
        st = tsct_error_set(err, TSCT_ERR_SHAPE, a->angles, NULL, -1,
                            "%lld angles for a sinogram of %lld rows (angles)", (long long)n,
                            (long long)na);
    for (int64_t i = 0; st == TSCT_OK && i < na; i++)
        if (!isfinite((*th)[i]))
            st = tsct_error_set(err, TSCT_ERR_VALUE, a->angles, "angle", i,
                                "expected a finite angle in degrees, found %g", (*th)[i]);
    if (st != TSCT_OK) {
        free(*th);
        *th = NULL;
    }
    return st;
}

/* What the plain output records besides the image: how it was made (docs/FORMAT.md). */
struct image_record {
    const tsct_stage_recon_params *o;
    const double *th;   /* [na] degrees */
    int64_t na;
    double centre;      /* rotation axis in input positions (-1: not centred) */
};

/* Write image [n][n][nc] (nc = 0: [n][n]) to path, atomically, laid out as a container:
 * /entry/image NXdata (data, y, x in translation steps from the rotation axis), the angles
 * in /entry/scan/angle, the method, filter, iterations and centre as attributes of the data,
 * and /data, the path of format 1.0 files, as a soft link to the data. */
static tsct_status write_image(const char *path, const float *img, int64_t n, int64_t nc,
                               const struct image_record *rec, int nthreads, tsct_error *err)
{
    tsct_publish pub;
    TSCT_TRY(tsct_publish_begin(&pub, path, err));
    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    double *axis = malloc((size_t)n * sizeof *axis);
    tsct_status st = axis ? tsct_container_create(tsct_publish_tmp_path(&pub), 1, &c, err)
                          : tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "image axes", -1,
                                           "%lld values", (long long)n);
    const int64_t shape[3] = {n, n, nc}, start[3] = {0, 0, 0};
    tsct_dataset_params p = TSCT_DATASET_PARAMS_DEFAULT;
    p.deflate = rec->o->deflate;
    p.long_name = "reconstructed image [y][x] or [y][x][channel]";
    if (st == TSCT_OK)
        st = tsct_dataset_create(c, TSCT_PATH_IMAGE, nc ? 3 : 2, shape, &p, &d, err);
    if (st == TSCT_OK) {
        tsct_dataset_set_threads(d, nthreads);
        st = tsct_dataset_write(d, start, shape, img, err);
    }
    if (st == TSCT_OK)
        st = tsct_dataset_set_attr_string(d, "method", rec->o->method == TSCT_STAGE_RECON_FBP
                                                           ? "fbp"
                                                       : rec->o->method == TSCT_STAGE_RECON_SIRT
                                                           ? "sirt"
                                                           : "cgls", err);
    if (st == TSCT_OK)
        st = tsct_dataset_set_attr_string(d, "filter", rec->o->method == TSCT_STAGE_RECON_FBP
                                          ? tsct_tomo_fbp_filter_name(rec->o->filter) : "none",
                                          err);
    if (st == TSCT_OK)
        st = tsct_dataset_set_attr_double(d, "iterations", rec->o->method == TSCT_STAGE_RECON_FBP
                                          ? 0.0 : (double)rec->o->iterations, err);
    if (st == TSCT_OK)
        st = tsct_dataset_set_attr_double(d, "centre", rec->centre, err);
    tsct_dataset_close(d);
    if (st == TSCT_OK) {
        voxel_axis(axis, n, 1.0);
        st = tsct_container_write_vector(c, TSCT_PATH_IMAGE_Y, axis, n, "steps", err);
    }
    if (st == TSCT_OK)
        st = tsct_container_write_vector(c, TSCT_PATH_IMAGE_X, axis, n, "steps", err);
    if (st == TSCT_OK)
        st = tsct_container_write_vector(c, TSCT_PATH_SCAN "/angle", rec->th, rec->na, "deg",
                                         err);
    if (st == TSCT_OK)
        st = tsct_container_link(c, "/data", TSCT_PATH_IMAGE, err);
    tsct_status st2 = tsct_container_close(c, st == TSCT_OK ? err : NULL);
    if (st == TSCT_OK)
        st = st2;
    free(axis);
    if (st == TSCT_OK)
        return tsct_publish_commit(&pub, err);
    tsct_publish_abort(&pub);
    return st;
}

/* The sinogram [na][ns][nc] of input (a row of a stack with row >= 0): *sino malloc'd. */
static tsct_status load_sinogram(const char *input, int64_t row, int nthreads, float **sino,
                                 int64_t *na, int64_t *ns, int64_t *nc, int *nd,
                                 tsct_error *err)
{
    int64_t sh[8];
    float *raw = NULL;
    TSCT_TRY(tsct__stage_read_array_mt(input, "sinogram", nthreads, nd, sh, &raw, err));
    char b[128];
    tsct_shape_format(b, sizeof b, *nd, sh);
    tsct_status st = TSCT_OK;
    *sino = NULL;
    *nc = 1;
    if (row >= 0) {
        if (*nd != 3 || row >= sh[1])
            st = tsct_error_set(err, TSCT_ERR_SHAPE, input, "--row", row,
                                "expected projections [na][ny][nx] with row < ny, found %s", b);
        else {
            *na = sh[0];
            *ns = sh[2];
            *sino = malloc((size_t)(*na * *ns) * sizeof **sino);
            for (int64_t a = 0; *sino && a < *na; a++)
                memcpy(*sino + a * *ns, raw + (a * sh[1] + row) * *ns,
                       (size_t)*ns * sizeof **sino);
            free(raw);
            raw = NULL;
        }
    } else if (*nd != 2 && *nd != 3)
        st = tsct_error_set(err, TSCT_ERR_SHAPE, input, NULL, -1,
                            "expected a sinogram [angles][translations] or [angles]"
                            "[translations][channels], found %d-D %s", *nd, b);
    else {
        *na = sh[0];
        *ns = sh[1];
        *nc = *nd == 3 ? sh[2] : 1;
        *sino = raw;
        raw = NULL;
    }
    free(raw);
    if (st == TSCT_OK && !*sino)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, input, NULL, -1, "sinogram");
    if (st == TSCT_OK && (*na < 1 || *ns < 2))
        st = tsct_error_set(err, TSCT_ERR_SHAPE, input, NULL, -1,
                            "expected >= 1 angle and >= 2 translations, found %s", b);
    if (st != TSCT_OK) {
        free(*sino);
        *sino = NULL;
    }
    return st;
}

/* The absorption corrections of a sinogram [na][ns][nc], in place: flat / dark, -log, air. */
static tsct_status absorption(const tsct_stage_ctx *ctx, const char *input,
                              const tsct_stage_recon_array_params *a, float *sino, int64_t na,
                              int64_t ns, int64_t nc, tsct_error *err)
{
    tsct_status st = TSCT_OK;
    if (a->flat) {
        float *flat = NULL, *dark = NULL;
        st = read_field(a->flat, "--flat", a->row, ns, &flat, err);
        if (st == TSCT_OK && a->dark)
            st = read_field(a->dark, "--dark", a->row, ns, &dark, err);
        int64_t nbad = 0, k = 0;
        for (int64_t i = 0; st == TSCT_OK && i < na; i++) {
            st = nc == 1 ? tsct_sino_flat_dark(sino + i * ns, ns, flat, dark, &k, err)
                         : tsct_error_set(err, TSCT_ERR_UNSUPPORTED, input, "--flat", -1,
                                          "flat fields apply to single-channel sinograms");
            nbad += k;
        }
        if (nbad)
            tsct_log_msg(ctx->log, TSCT_LOG_WARN, "%s: %lld positions where flat <= dark "
                         "(set to NaN)", a->flat, (long long)nbad);
        free(flat);
        free(dark);
    } else if (a->dark)
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--dark", -1, "needs --flat");
    if (st == TSCT_OK && a->neglog) {
        int64_t k = 0;
        st = tsct_sino_neglog(sino, na * ns * nc, 1e-6, &k, err);
        if (k)
            tsct_log_msg(ctx->log, TSCT_LOG_WARN, "%s: %lld values <= 1e-6 clamped before "
                         "-log", input, (long long)k);
    }
    if (st == TSCT_OK && a->air > 0) {
        double *air = malloc((size_t)(na * nc) * sizeof *air);
        st = air ? tsct_sino_air_estimate(sino, na, ns, nc, TSCT_SINO_AIR_BOTH, a->air, 1, air,
                                          err)
                 : tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "air", -1, "air pattern");
        if (st == TSCT_OK)
            st = tsct_sino_air_subtract(sino, na, ns, nc, air, err);
        free(air);
    }
    return st;
}

/* Centre a sinogram [na][ns][nc] as o asks (DEFAULT: AUTO), resampled and cropped to *w
 * positions in place of *sino (unchanged when not centred). */
static tsct_status centre_sinogram(const tsct_stage_ctx *ctx, const char *input,
                                   const tsct_stage_recon_params *o, float **sino, int64_t na,
                                   int64_t ns, int64_t nc, const double *th, int64_t *w,
                                   double *centre, tsct_error *err)
{
    const tsct_stage_centre_mode mode =
        o->centre == TSCT_STAGE_CENTRE_DEFAULT ? TSCT_STAGE_CENTRE_AUTO : o->centre;
    float *prof = malloc((size_t)(na * ns) * sizeof *prof);
    double *org = malloc((size_t)na * sizeof *org);
    tsct_status st = prof && org ? tsct_sino_profile(*sino, na, ns, nc, NULL, prof, err)
                                 : tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "profile", -1,
                                                  "%lld values", (long long)(na * ns));
    if (st == TSCT_OK)
        st = centre_geometry(ctx, input, o, mode, prof, na, ns, th, centre, w, org, err);
    if (st == TSCT_OK && *centre >= 0.0) {
        float *cs = malloc((size_t)(na * *w * nc) * sizeof *cs);
        st = cs ? tsct_sino_resample(*sino, na, ns, nc, org, *w, cs, ctx->nthreads, err)
                : tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "centring", -1, "sinogram");
        if (cs) {
            free(*sino);
            *sino = cs;
        }
    }
    free(prof);
    free(org);
    return st;
}

/* What both plain forms share: the sinogram [na][ns][nc] (*sino, malloc'd, replaced when
 * centred) centred to *w positions (*centre: -1 when not) and reconstructed into *img
 * ([n][n][nc], malloc'd, n = eng->n) by eng, which the caller releases. */
static tsct_status recon_plain(const tsct_stage_ctx *ctx, const char *what,
                               const tsct_stage_recon_params *o, float **sino, int64_t na,
                               int64_t ns, int64_t nc, const double *th, int64_t *w,
                               double *centre, struct recon_engine *eng, float **img,
                               tsct_error *err)
{
    *centre = -1.0;
    *img = NULL;
    if (o->rings > 0)
        TSCT_TRY(tsct_tomo_rings_sort(*sino, na, ns, nc, nc, (int)o->rings, ctx->nthreads, err));
    TSCT_TRY(centre_sinogram(ctx, what, o, sino, na, ns, nc, th, w, centre, err));
    TSCT_TRY(engine_init(eng, o, ctx, na, *w, th, nc, err));
    *img = malloc((size_t)(eng->n * eng->n * nc) * sizeof **img);
    if (!*img)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "image", -1, "%lld x %lld x %lld",
                              (long long)eng->n, (long long)eng->n, (long long)nc);
    return engine_run(eng, *sino, nc, *img, err);
}

tsct_status tsct_stage_recon_memory(const float *sino, int64_t na, int64_t ns, int64_t nc,
                                    const double *angles_deg,
                                    const tsct_stage_recon_params *params,
                                    const tsct_stage_ctx *ctx, float **image, int64_t *n,
                                    double *centre, tsct_error *err)
{
    tsct_stage_report scratch, *rep = NULL;
    tsct_stage_recon_params o;
    double c = -1.0;
    if (image)
        *image = NULL;
    TSCT_TRY(recon_begin(params, &ctx, &rep, &scratch, &o, err));
    if (!sino || !angles_deg || !image || !n)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "recon", -1,
                              "expected a sinogram, its angles, an image and a size");
    if (na < 1 || ns < 2 || nc < 1 || na > INT64_MAX / ns / nc)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "sinogram", -1,
                              "expected >= 1 angle, >= 2 translations and >= 1 channel, "
                              "found [%lld][%lld][%lld]", (long long)na, (long long)ns,
                              (long long)nc);
    for (int64_t a = 0; a < na; a++)
        if (!isfinite(angles_deg[a]))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "angle", a,
                                  "expected a finite angle in degrees, found %g",
                                  angles_deg[a]);
    int64_t w = 0;
    float *copy = malloc((size_t)(na * ns * nc) * sizeof *copy), *img = NULL;
    if (!copy)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "sinogram", -1, "%lld values",
                              (long long)(na * ns * nc));
    memcpy(copy, sino, (size_t)(na * ns * nc) * sizeof *copy);
    struct recon_engine eng;
    memset(&eng, 0, sizeof eng);
    tsct_status st = recon_plain(ctx, "sinogram", &o, &copy, na, ns, nc, angles_deg, &w, &c,
                                 &eng, &img, err);
    if (st == TSCT_OK) {
        *image = img;
        *n = eng.n;
        if (centre)
            *centre = c;
    } else
        free(img);
    engine_release(&eng);
    free(copy);
    return st;
}

tsct_status tsct_stage_recon_array(const char *input, const char *output,
                                   const tsct_stage_recon_params *params,
                                   const tsct_stage_recon_array_params *array,
                                   const tsct_stage_ctx *ctx, tsct_stage_report *rep,
                                   tsct_error *err)
{
    tsct_stage_report scratch;
    tsct_stage_recon_params o;
    TSCT_TRY(recon_begin(params, &ctx, &rep, &scratch, &o, err));
    const tsct_stage_recon_array_params adef = TSCT_STAGE_RECON_ARRAY_PARAMS_DEFAULT;
    const tsct_stage_recon_array_params *a = array ? array : &adef;
    if (!input || !output || a->air < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "recon", -1,
                              "expected an input, an output and air >= 0");
    int nd = 0;
    int64_t na = 0, ns = 0, nc = 1, w = 0;
    double centre = -1.0;
    float *sino = NULL, *img = NULL;
    double *th = NULL;
    struct recon_engine eng;
    memset(&eng, 0, sizeof eng);
    tsct_status st =
        load_sinogram(input, a->row, ctx->nthreads, &sino, &na, &ns, &nc, &nd, err);
    const int find_centre =
        o.centre != TSCT_STAGE_CENTRE_NONE && o.centre != TSCT_STAGE_CENTRE_FIXED;
    if (st == TSCT_OK && nd == 3 && a->row < 0 && find_centre && ns < 8)
        /* Most often a projection stack [angles][rows][columns] given without --row. */
        st = tsct_error_set(err, TSCT_ERR_SHAPE, input, NULL, -1,
                            "a 3-D input without --row is read as sinograms [angles]"
                            "[translations][channels] = [%lld][%lld][%lld], and %lld "
                            "translations are too few to find the centre (8 needed); for a "
                            "stack of projections [angles][rows][columns] choose the row to "
                            "reconstruct with --row R (0 .. %lld)", (long long)na,
                            (long long)ns, (long long)nc, (long long)ns, (long long)(ns - 1));
    if (st == TSCT_OK)
        st = read_angles(a, na, &th, err);
    if (st == TSCT_OK)
        st = absorption(ctx, input, a, sino, na, ns, nc, err);
    if (st == TSCT_OK)
        st = recon_plain(ctx, input, &o, &sino, na, ns, nc, th, &w, &centre, &eng, &img, err);
    const struct image_record rec = {&o, th, na, centre};
    char path[TSCT_PATH_MAX]; /* -o FOLDER: FOLDER/NAME.h5 */
    tsct_publish_output_name(output, input, "h5", path, sizeof path);
    if (st == TSCT_OK)
        st = write_image(path, img, eng.n, nd == 3 && a->row < 0 ? nc : 0, &rec, ctx->nthreads,
                         err);
    if (st == TSCT_OK) {
        rep->ran = 1;
        rep->units = nc;
        snprintf(rep->what, sizeof rep->what, "reconstructed %s (%lld angles x %lld positions "
                 "x %lld channels) into %.256s::" TSCT_PATH_IMAGE ", %lld x %lld", input,
                 (long long)na, (long long)w, (long long)nc, path, (long long)eng.n,
                 (long long)eng.n);
        tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s", rep->what);
    }
    engine_release(&eng);
    free(sino);
    free(img);
    free(th);
    return st;
}
