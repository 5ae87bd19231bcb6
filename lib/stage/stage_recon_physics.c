/* stage_recon_physics.c - `tsct recon --model parallax`: the whole voxel-pattern cube of every
 * (time, slice) by CGLS over the projector with the experiment's physics
 * (include/tsct/stage_physics.h, tsct/tomo_physics.h, docs/tomo.md).
 *
 * Unlike the plain recon, whose channels are independent and go in blocks, the parallax model
 * couples the channels of a voxel, so a unit of work is one (time, slice) with all its
 * channels: its sinogram [na][ns][nq] and image [n][n][nq] are held together.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/stage.h"

#define RESIDUALS "/entry/recon/residuals"

/* An interior scan's coarse reconstruction, projected onto the fine rays. */
struct coarse {
    tsct_container *c;
    tsct_dataset *d;
    tsct_tomo_projector *proj;
    int64_t m, big;             /* its size; the fine grid covering it */
    double scale;               /* fine step / coarse step */
    float *img, *grid, *sino;   /* [m][m][nq], [big][big][nq], [na][ns][nq] */
};

static void coarse_release(struct coarse *k)
{
    tsct_dataset_close(k->d);
    tsct_container_close(k->c, NULL);
    tsct_tomo_projector_destroy(k->proj);
    free(k->img);
    free(k->grid);
    free(k->sino);
}

/* Open the coarse container and check it against the fine scan: [nt][nz][m][m][nq] with the
 * same q, and a field of view (m/2 coarse steps) containing the fine one (n/2 fine steps). */
static tsct_status coarse_open(struct coarse *k, const char *path, const int64_t *shape,
                               int64_t n, const double *q, double step_f, const double *angles,
                               int nthreads, tsct_error *err)
{
    int64_t cs[8] = {0}, ntr = 0, nqc = 0;
    double *tr = NULL, *qc = NULL;
    TSCT_TRY(tsct_container_open(path, TSCT_OPEN_READ, &k->c, err));
    if (!tsct_container_exists(k->c, TSCT_PATH_RECON))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, path, TSCT_PATH_RECON, -1,
                              "the coarse scan has no reconstruction: tsct recon it first");
    TSCT_TRY(tsct_dataset_open(k->c, TSCT_PATH_RECON, &k->d, err));
    tsct_status st = tsct_container_read_vector(k->c, TSCT_PATH_SCAN "/translation", &tr, &ntr,
                                                err);
    if (st == TSCT_OK && tsct_container_exists(k->c, TSCT_PATH_RECON_Q))
        st = tsct_container_read_vector(k->c, TSCT_PATH_RECON_Q, &qc, &nqc, err);
    if (st == TSCT_OK && (tsct_dataset_shape(k->d, cs) != 5 || cs[0] != shape[0] ||
                          cs[1] != shape[1] || cs[2] != cs[3] || cs[4] != shape[4] ||
                          (qc && nqc != shape[4]) || ntr < 2))
        st = tsct_error_set(err, TSCT_ERR_SHAPE, path, TSCT_PATH_RECON, -1,
                            "expected [%lld][%lld][m][m][%lld] like the fine scan, found "
                            "[%lld][%lld][%lld][%lld][%lld]",
                            (long long)shape[0], (long long)shape[1], (long long)shape[4],
                            (long long)cs[0], (long long)cs[1], (long long)cs[2],
                            (long long)cs[3], (long long)cs[4]);
    for (int64_t j = 0; st == TSCT_OK && qc && j < nqc; j++)
        if (fabs(qc[j] - q[j]) > 1e-6 * fabs(q[j]))
            st = tsct_error_set(err, TSCT_ERR_SHAPE, path, TSCT_PATH_RECON_Q, j,
                                "q %g differs from the fine scan's %g", qc[j], q[j]);
    const double step_c = st == TSCT_OK ? fabs(tr[ntr - 1] - tr[0]) / (double)(ntr - 1) : 0;
    free(tr);
    free(qc);
    if (st != TSCT_OK)
        return st;
    k->m = cs[2];
    const double rf = 0.5 * (double)n * step_f, rc = 0.5 * (double)k->m * step_c;
    if (!(step_c > 0) || !(rc >= rf))
        return tsct_error_set(err, TSCT_ERR_VALUE, path, "coarse scan", -1,
                              "its field of view (radius %g mm, %lld voxels of %g mm) does not "
                              "contain the fine scan's region (radius %g mm)",
                              rc, (long long)k->m, step_c, rf);
    k->scale = step_f / step_c;
    k->big = (int64_t)ceil(2 * rc / step_f) + 2;
    const int64_t nq = shape[4], na = shape[2], ns = shape[3];
    tsct_tomo_projector_params pp = TSCT_TOMO_PROJECTOR_PARAMS_DEFAULT;
    pp.image_size = k->big;
    pp.nthreads = nthreads;
    TSCT_TRY(tsct_tomo_projector_create(&pp, na, ns, angles, &k->proj, err));
    k->img = malloc((size_t)(k->m * k->m * nq) * sizeof *k->img);
    k->grid = malloc((size_t)(k->big * k->big * nq) * sizeof *k->grid);
    k->sino = malloc((size_t)(na * ns * nq) * sizeof *k->sino);
    if (!k->img || !k->grid || !k->sino)
        return tsct_error_set(err, TSCT_ERR_NOMEM, path, "coarse scan", -1,
                              "a %lld x %lld grid of %lld channels", (long long)k->big,
                              (long long)k->big, (long long)nq);
    return TSCT_OK;
}

/* Subtract from sino [na][ns][nq] the coarse reconstruction of (t, z) outside the fine field
 * of view (radius n/2 fine voxels), projected onto the fine rays. */
static tsct_status coarse_subtract(struct coarse *k, int64_t t, int64_t z, int64_t n,
                                   int64_t na, int64_t ns, int64_t nq, float *sino,
                                   tsct_error *err)
{
    const int64_t m = k->m, N = k->big;
    const int64_t start[5] = {t, z, 0, 0, 0}, count[5] = {1, 1, m, m, nq};
    TSCT_TRY(tsct_dataset_read(k->d, start, count, k->img, err));
    const double rin = 0.5 * (double)n;
    for (int64_t i = 0; i < N; i++)
        for (int64_t c = 0; c < N; c++) {
            float *g = k->grid + (i * N + c) * nq;
            const double y = (double)(i - N / 2), x = (double)(c - N / 2);
            /* the coarse voxel whose centre is nearest: centres at (j - m/2) coarse steps */
            const int64_t ic = (int64_t)floor(y * k->scale + (double)(m / 2) + 0.5);
            const int64_t kc = (int64_t)floor(x * k->scale + (double)(m / 2) + 0.5);
            if (hypot(x, y) <= rin || ic < 0 || kc < 0 || ic >= m || kc >= m) {
                memset(g, 0, (size_t)nq * sizeof *g);
                continue;
            }
            const float *src = k->img + (ic * m + kc) * nq;
            for (int64_t j = 0; j < nq; j++)
                g[j] = (float)(src[j] * k->scale);
        }
    TSCT_TRY(tsct_tomo_projector_forward(k->proj, k->grid, nq, k->sino, err));
    for (int64_t v = 0; v < na * ns * nq; v++)
        sino[v] -= k->sino[v];
    return TSCT_OK;
}

struct rp {
    tsct_container *c;
    tsct_dataset *in, *out, *res;
    tsct_step *step;
    tsct_tomo_physics *op;
    double *angles, *trans, *q;
    float *sino, *image;
    double *resid;
    float *resf;    /* the residuals of a unit as stored */
    char *fp;
    const tsct_stage_ctx *ctx;
    int64_t t, z;
};

static void rp_release(struct rp *r)
{
    tsct_dataset_close(r->in);
    tsct_dataset_close(r->out);
    tsct_dataset_close(r->res);
    tsct_step_close(r->step);
    tsct_tomo_physics_destroy(r->op);
    tsct_container_close(r->c, NULL);
    free(r->angles);
    free(r->trans);
    free(r->q);
    free(r->sino);
    free(r->image);
    free(r->resid);
    free(r->resf);
    free(r->fp);
}

static void log_iteration(void *user, int iteration, double residual)
{
    const struct rp *r = user;
    tsct_log_msg(r->ctx->log, TSCT_LOG_DEBUG, "recon (parallax) t=%lld z=%lld: iteration %d, "
                 "relative residual %.6g", (long long)r->t, (long long)r->z, iteration,
                 residual);
}

/* Axes and geometry: angles [na], translations (step in *step_mm), q [nq], *dist_mm and
 * *wavelength_a when parallax needs them. */
static tsct_status read_axes(struct rp *r, const char *container, int parallax,
                             const int64_t *shape, double *step_mm, double *dist_mm,
                             double *wavelength_a, tsct_error *err)
{
    int64_t na = 0, ntr = 0, nq = 0;
    TSCT_TRY(tsct_container_read_vector(r->c, TSCT_PATH_SCAN "/angle", &r->angles, &na, err));
    TSCT_TRY(tsct_container_read_vector(r->c, TSCT_PATH_SCAN "/translation", &r->trans, &ntr,
                                        err));
    if (!tsct_container_exists(r->c, TSCT_PATH_SINOGRAMS_Q))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, container, TSCT_PATH_SINOGRAMS_Q, -1,
                              "the parallax model resamples patterns in q: the sinograms need "
                              "their q axis (1/A)");
    TSCT_TRY(tsct_container_read_vector(r->c, TSCT_PATH_SINOGRAMS_Q, &r->q, &nq, err));
    if (na != shape[2] || nq != shape[4] || ntr < 2)
        return tsct_error_set(err, TSCT_ERR_SHAPE, container, TSCT_PATH_SINOGRAMS, -1,
                              "sinograms [%lld][%lld][%lld][%lld][%lld] do not match %lld "
                              "angles, %lld q values (and >= 2 translations, found %lld)",
                              (long long)shape[0], (long long)shape[1], (long long)shape[2],
                              (long long)shape[3], (long long)shape[4], (long long)na,
                              (long long)nq, (long long)ntr);
    *step_mm = fabs(r->trans[ntr - 1] - r->trans[0]) / (double)(ntr - 1);
    if (!(*step_mm > 0) || !isfinite(*step_mm))
        return tsct_error_set(err, TSCT_ERR_VALUE, container, TSCT_PATH_SCAN "/translation", -1,
                              "translation step %g mm: expected > 0 (the voxel size)", *step_mm);
    *dist_mm = *wavelength_a = 0;
    if (!parallax)
        return TSCT_OK;
    tsct_poni g;
    tsct_poni_init(&g);
    if (!tsct_container_exists(r->c, TSCT_PATH_GEOMETRY))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, container, TSCT_PATH_GEOMETRY, -1,
                              "the parallax model needs the detector geometry (distance, "
                              "wavelength): integrate the frames with their PONI");
    TSCT_TRY(tsct_container_read_geometry(r->c, &g, err));
    if (!(g.dist > 0) || !isfinite(g.dist))
        return tsct_error_set(err, TSCT_ERR_VALUE, container, TSCT_PATH_GEOMETRY, -1,
                              "a geometry without a detector distance (dist %g m): the "
                              "parallax model needs it", g.dist);
    if (!(g.wavelength > 0) || !isfinite(g.wavelength))
        return tsct_error_set(err, TSCT_ERR_VALUE, container, TSCT_PATH_GEOMETRY, -1,
                              "a geometry without a wavelength: the parallax model needs it");
    *dist_mm = g.dist * 1e3;
    *wavelength_a = g.wavelength * 1e10;
    return TSCT_OK;
}

tsct_status tsct_stage_recon_physics(const char *container,
                                     const tsct_stage_recon_physics_params *params,
                                     const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                     tsct_error *err)
{
    static const tsct_stage_recon_physics_params defaults =
        TSCT_STAGE_RECON_PHYSICS_PARAMS_DEFAULT;
    const tsct_stage_recon_physics_params *p = params ? params : &defaults;
    tsct_stage_report local;
    report = tsct__stage_report(report, &local);
    ctx = tsct__stage_ctx(ctx);
    if (p->iterations < 1 || p->iterations > 100000 || !(p->tol >= 0) || p->size < 0 ||
        !(p->depth_bin > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, container, "recon", -1,
                              "iterations %lld (1 .. 100000), tol %g (>= 0), size %lld (>= 0), "
                              "depth bin %g (> 0)",
                              (long long)p->iterations, p->tol, (long long)p->size,
                              p->depth_bin);
    struct rp r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    struct coarse co;
    memset(&co, 0, sizeof co);
    int64_t shape[8] = {0};
    double step_mm = 0, dist_mm = 0, wl = 0;
    tsct_status st = tsct_container_open(container, TSCT_OPEN_WRITE, &r.c, err);
    if (st == TSCT_OK && !tsct_container_exists(r.c, TSCT_PATH_SINOGRAMS))
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, container, TSCT_PATH_SINOGRAMS, -1,
                            "no sinograms: run tsct sinogram first");
    if (st == TSCT_OK)
        st = tsct_dataset_open(r.c, TSCT_PATH_SINOGRAMS, &r.in, err);
    if (st == TSCT_OK && tsct_dataset_shape(r.in, shape) != 5)
        st = tsct_error_set(err, TSCT_ERR_SHAPE, container, TSCT_PATH_SINOGRAMS, -1,
                            "expected [nt][nz][na][ns][nq]");
    if (st == TSCT_OK)
        st = read_axes(&r, container, p->parallax, shape, &step_mm, &dist_mm, &wl, err);
    const int64_t nt = shape[0], nz = shape[1], na = shape[2], ns = shape[3], nq = shape[4];
    const int64_t n = p->size > 0 ? p->size : ns;
    tsct_stage_settings set;
    tsct_stage_settings_init(&set);
    tsct_stage_settings_add(&set, "model", "%s", p->parallax ? "parallax" : "none");
    tsct_stage_settings_add(&set, "method", "cgls");
    tsct_stage_settings_add(&set, "iterations", "%lld", (long long)p->iterations);
    tsct_stage_settings_add(&set, "tol", "%.17g", p->tol);
    tsct_stage_settings_add(&set, "depth_bin", "%.17g", p->depth_bin);
    tsct_stage_settings_add(&set, "n", "%lld", (long long)n);
    tsct_stage_settings_add(&set, "distance_mm", "%.17g", dist_mm);
    tsct_stage_settings_add(&set, "wavelength_a", "%.17g", wl);
    tsct_stage_settings_add(&set, "voxel_mm", "%.17g", step_mm);
    tsct_stage_settings_add(&set, "coarse", "%s", p->coarse ? p->coarse : "");
    static const char *const upstream[] = {"sinogram", "import_sinograms", NULL};
    if (st == TSCT_OK && !(r.fp = tsct_stage_fingerprint(r.c, upstream, set.text)))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "fingerprint", -1, "record");
    if (st == TSCT_OK && p->coarse)
        st = coarse_open(&co, p->coarse, shape, n, r.q, step_mm, r.angles, ctx->nthreads, err);
    if (st == TSCT_OK && tsct_stage_up_to_date(ctx, r.c, "recon", r.fp)) {
        coarse_release(&co);
        tsct_stage_settings_release(&set);
        rp_release(&r);
        return TSCT_OK;
    }
    if (st == TSCT_OK) {
        tsct_tomo_physics_params tp = TSCT_TOMO_PHYSICS_PARAMS_DEFAULT;
        tp.parallax = p->parallax;
        tp.distance_mm = dist_mm;
        tp.wavelength_a = wl;
        tp.voxel_mm = step_mm;
        tp.depth_bin = p->depth_bin;
        tp.nthreads = ctx->nthreads;
        st = tsct_tomo_physics_create(&tp, na, ns, n, r.angles, r.q, nq, &r.op, err);
    }
    if (st == TSCT_OK) {
        r.sino = malloc((size_t)(na * ns * nq) * sizeof *r.sino);
        r.image = malloc((size_t)(n * n * nq) * sizeof *r.image);
        r.resid = calloc((size_t)p->iterations, sizeof *r.resid);
        r.resf = calloc((size_t)p->iterations, sizeof *r.resf);
        if (!r.sino || !r.image || !r.resid || !r.resf)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, container, "recon", -1,
                                "a sinogram [%lld][%lld][%lld] and an image [%lld][%lld][%lld]",
                                (long long)na, (long long)ns, (long long)nq, (long long)n,
                                (long long)n, (long long)nq);
    }
    if (st == TSCT_OK) {
        tsct_step_info info = {"recon", ctx->command_line, set.text, r.fp, nt * nz, set.text,
                               NULL, 0};
        st = tsct_step_begin(r.c, &info, ctx->log, &r.step, err);
    }
    if (st == TSCT_OK) {
        const int64_t oshape[5] = {nt, nz, n, n, nq}, rshape[3] = {nt, nz, p->iterations};
        tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
        st = tsct_step_dataset(r.step, TSCT_PATH_RECON, 5, oshape, -1, &dp, &r.out, err);
        if (st == TSCT_OK)
            st = tsct_step_dataset(r.step, RESIDUALS, 3, rshape, -1, NULL, &r.res, err);
    }
    if (st == TSCT_OK)
        st = tsct_dataset_set_attr_string(r.out, "method", p->parallax ? "cgls, parallax model"
                                                                       : "cgls", err);
    if (st == TSCT_OK)
        st = tsct_step_vector(r.step, TSCT_PATH_RECON_Q, r.q, nq, "A^-1", err);
    if (st == TSCT_OK)
        st = tsct__stage_voxel_axes(r.c, r.step, n, err);
    int64_t done = 0;
    for (int64_t u = 0; st == TSCT_OK && u < nt * nz; u++) {
        if (tsct_step_is_done(r.step, u))
            continue;
        r.t = u / nz;
        r.z = u % nz;
        const int64_t start[5] = {r.t, r.z, 0, 0, 0}, count[5] = {1, 1, na, ns, nq};
        st = tsct_dataset_read(r.in, start, count, r.sino, err);
        if (st == TSCT_OK && p->coarse)
            st = coarse_subtract(&co, r.t, r.z, n, na, ns, nq, r.sino, err);
        if (st != TSCT_OK)
            break;
        tsct_tomo_iter_params ip = TSCT_TOMO_ITER_PARAMS_DEFAULT;
        ip.max_iter = (int)p->iterations;
        ip.tol = p->tol;
        ip.on_iteration = log_iteration;
        ip.user = &r;
        tsct_tomo_iter_report rep = {0, 0};
        memset(r.image, 0, (size_t)(n * n * nq) * sizeof *r.image);
        for (int64_t i = 0; i < p->iterations; i++)
            r.resid[i] = NAN;
        st = tsct_tomo_physics_cgls(r.op, &ip, r.sino, r.image, r.resid, &rep, err);
        if (st == TSCT_NOT_CONVERGED)
            st = TSCT_OK;
        tsct_log_msg(ctx->log, TSCT_LOG_INFO, "recon (%s) t=%lld z=%lld: %d CGLS iterations, "
                     "relative residual %.3g", p->parallax ? "parallax" : "plain",
                     (long long)r.t, (long long)r.z, rep.iterations, rep.residual);
        const int64_t os[5] = {r.t, r.z, 0, 0, 0}, oc[5] = {1, 1, n, n, nq};
        if (st == TSCT_OK)
            st = tsct_dataset_write(r.out, os, oc, r.image, err);
        for (int64_t i = 0; st == TSCT_OK && i < p->iterations; i++)
            r.resf[i] = (float)r.resid[i];
        const int64_t rs[3] = {r.t, r.z, 0}, rc[3] = {1, 1, p->iterations};
        if (st == TSCT_OK)
            st = tsct_dataset_write(r.res, rs, rc, r.resf, err);
        if (st == TSCT_OK)
            st = tsct_step_mark_done(r.step, u, 1, err);
        done++;
    }
    tsct_dataset_close(r.out);
    tsct_dataset_close(r.res);
    r.out = r.res = NULL;
    if (st == TSCT_OK) {
        st = tsct_step_commit(r.step, err);
        r.step = NULL;
    }
    if (st == TSCT_OK)
        tsct__stage_ran(ctx, report, done, 0, TSCT_LOG_INFO,
                        "recon (%s model, CGLS): %lld slice(s) of %lld x %lld voxels x %lld "
                        "channels into %s",
                        p->parallax ? "parallax" : "plain", (long long)(nt * nz), (long long)n,
                        (long long)n, (long long)nq, TSCT_PATH_RECON);
    tsct_stage_settings_release(&set);
    coarse_release(&co);
    rp_release(&r);
    return st;
}
