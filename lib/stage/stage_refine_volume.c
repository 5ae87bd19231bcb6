/* stage_refine_volume.c - full-profile refinement of every voxel of /entry/recon
 * (tsct/stage_refine_volume.h): the studies' workflow, a global refinement of the sample's
 * mean pattern, then every sample voxel from it with only its per-voxel parameters free.
 *
 * Design: the configuration is read once by stage_refine.c's reader (stage_refine_internal.h)
 * with the first needed time step's mean pattern preloaded; a pristine clone of its model is
 * the start of every time step's global refinement. Voxel rows stream: read one row
 * [nx][nq], refine its sample voxels in parallel (OpenMP, one model clone per thread: a model
 * is one thread at a time), write one row of every output map; a row is one unit of the
 * resumable step, finished rows recorded in batches (tsct_stage_batch_*). Every voxel starts
 * from the global values of its time step (a warm start a few iterations from the answer).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "stage_internal.h"
#include "stage_refine_internal.h"
#include "tsct/container.h"
#include "tsct/stage_refine_volume.h"
#include "tsct/threads.h"
#include "tsct_config.h"

enum { OUT_VALUE, OUT_ESD, OUT_WF, OUT_WF_ESD, OUT_VOLUME, OUT_RWP, OUT_GOF, OUT_STATUS,
       OUT_ITER };

struct out_map {
    int kind, param, phase;
    char path[320];
    tsct_dataset *d;
    float *row;              /* [nx] */
};

struct vol {
    const char *path;
    tsct_container *h;
    tsct_dataset *recon, *mask, *pmask[TSCT_REFINE_MAX_PHASES];
    int64_t shape[8], mshape[8], pshape[TSCT_REFINE_MAX_PHASES][8];
    char mask_path[320], pmask_path[TSCT_REFINE_MAX_PHASES][320];
    double *q;
    int64_t nq, i0;             /* the refined points are channels i0 .. i0 + g.n - 1 */
    double cut;
    char mask_text[512];
    int sum;                    /* global pattern: 1 sum, 0 mean */
    double absent_below;
    int prefit;                 /* voxels: first with broad peaks (prefit) */
    int max_iter, max_iter_voxel;
    struct tsct__refine_cfg g;  /* the configuration, its model (the global refinement) */
    tsct_refine_model *m0;      /* the configuration's starting values */
    int np;
    int *vflag;                 /* [np] refined per voxel */
    double *gval;               /* [np] the global result of the current time step */
    int64_t gt;                 /* its time step (-1: none) */
    struct out_map *out;
    int nout;
    float *row, *mrow, *grow;   /* [nx][nq], [nx], [np] */
    uint8_t *vmask, *pm;        /* [nx], [nphases][nx] */
    int nthreads;
    tsct_refine_model **tm;     /* [nthreads] */
    double *ty, *tw, *tc;       /* [nthreads][n]: data, weights, calculated */
    int64_t counts[4];
};

/* Split "COMP.PARAM" into the map path NAME/COMP/PARAM (+ suffix). */
static void param_path(char *buf, size_t size, const char *name, const char *param,
                       const char *suffix)
{
    const char *dot = strchr(param, '.');
    int cl = dot ? (int)(dot - param) : (int)strlen(param);
    snprintf(buf, size, "%s/%.48s/%.*s/%.64s%s", TSCT_STAGE_REFINE_PATH, name, cl, param,
             dot ? dot + 1 : "", suffix);
}

static const char *section_comp(const char *section)
{
    if (strcmp(section, "background") == 0)
        return "bg";
    if (strcmp(section, "instrument") == 0)
        return "instrument";
    const char *d = strchr(section, '.');
    return d ? d + 1 : NULL;
}

/* The `voxel = LIST` keys: vflag[i] = 1 for every parameter named. */
static tsct_status voxel_lists(struct vol *v, tsct_error *err)
{
    const tsct_ini *ini = &v->g.ini;
    tsct_refine_model *m = v->g.m;
    int any = 0;
    for (int64_t j = 0; j < ini->n; j++) {
        const tsct_ini_entry *e = &ini->e[j];
        if (strcmp(e->key, "voxel") || strcmp(e->section, "voxel") == 0)
            continue;
        const char *comp = section_comp(e->section);
        if (!comp || strcmp(e->section, "data") == 0 || strcmp(e->section, "refine") == 0)
            return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err,
                                  "voxel = LIST belongs in a component's section");
        size_t cl = strlen(comp);
        for (const char *p = e->value; *p;) {
            p += strspn(p, " ,\t");
            size_t l = strcspn(p, " ,\t");
            if (l == 0)
                break;
            if (l == 3 && strncmp(p, "all", 3) == 0) {
                for (int i = 0; i < v->np; i++) {
                    const char *nm = tsct_refine_model_param(m, i)->name;
                    if (strncmp(nm, comp, cl) == 0 && nm[cl] == '.' &&
                        tsct_refine_model_find(m, nm) >= 0)
                        v->vflag[i] = 1, any = 1;
                }
            } else if (!(l == 4 && strncmp(p, "none", 4) == 0)) {
                char name[TSCT_REFINE_NAME_MAX * 2];
                snprintf(name, sizeof name, "%s.%.*s", comp, (int)(l < 60 ? l : 60), p);
                int i = tsct_refine_model_find(m, name);
                if (i < 0) {
                    tsct_error e2 = TSCT_ERROR_INIT;
                    tsct_refine_model_set(m, name, NAN, -1, &e2);
                    return tsct_ini_error(ini, e, TSCT_ERR_NOT_FOUND, err, "%s", e2.message);
                }
                v->vflag[i] = 1, any = 1;
            }
            p += l;
        }
    }
    if (!any)
        return tsct_error_set(err, TSCT_ERR_VALUE, ini->path, "voxel", -1,
                              "no parameter is refined per voxel: give voxel = LIST in a "
                              "component's section (e.g. [phase.NMC] voxel = scale a c)");
    return TSCT_OK;
}

/* [voxel] keys, the [data] keys a volume cannot take, the phases' masks. */
static tsct_status volume_keys(struct vol *v, tsct_error *err)
{
    const tsct_ini *ini = &v->g.ini;
    v->max_iter = 100;
    const tsct_ini_entry *e = tsct_ini_find(ini, "refine", "max_iter");
    int64_t iv;
    if (e) {
        TSCT_TRY(tsct_ini_value_int(ini, e, 1, 100000, &iv, err));
        v->max_iter = (int)iv;
    }
    v->max_iter_voxel = v->max_iter;
    v->prefit = 1;
    for (int64_t j = 0; j < ini->n; j++) {
        e = &ini->e[j];
        if (strcmp(e->section, "data") == 0 &&
            (strcmp(e->key, "file") == 0 || strcmp(e->key, "container") == 0 ||
             strcmp(e->key, "region") == 0 || strcmp(e->key, "time") == 0 ||
             strcmp(e->key, "x") == 0))
            return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err,
                                  "a volume's patterns are the container's /entry/recon (Q in "
                                  "1/A): [data] takes range, exclude, sigma, wavelength, poni, "
                                  "polarization");
        if (strcmp(e->section, "data") == 0 && strcmp(e->key, "sigma") == 0 &&
            strcmp(e->value, "unit") && strcmp(e->value, "auto"))
            return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err,
                                  "reconstructed voxels have no counting statistics: sigma = "
                                  "unit (the ESDs then come from the residuals' scatter)");
        if (strcmp(e->section, "voxel"))
            continue;
        if (strcmp(e->key, "pattern") == 0) {
            static const char *const kinds[] = {"mean", "sum", NULL};
            TSCT_TRY(tsct_ini_value_enum(ini, e, kinds, &v->sum, err));
        } else if (strcmp(e->key, "absent_below") == 0) {
            TSCT_TRY(tsct_ini_value_double(ini, e, 0, 1, &v->absent_below, err));
        } else if (strcmp(e->key, "prefit") == 0) {
            static const char *const yn[] = {"no", "yes", NULL};
            TSCT_TRY(tsct_ini_value_enum(ini, e, yn, &v->prefit, err));
        } else if (strcmp(e->key, "max_iter") == 0) {
            TSCT_TRY(tsct_ini_value_int(ini, e, 1, 100000, &iv, err));
            v->max_iter_voxel = (int)iv;
        } else {
            return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err,
                                  "unknown key: [voxel] has pattern, absent_below, prefit, "
                                  "max_iter");
        }
    }
    return TSCT_OK;
}

static tsct_status open_map(struct vol *v, const char *name, char *path, size_t size,
                            tsct_dataset **d, int64_t *shape, tsct_error *err)
{
    const int64_t *s = v->shape;
    snprintf(path, size, "%s/%.200s", TSCT_PATH_MAPS, name);
    if (!tsct_container_exists(v->h, path))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, v->path, path, -1,
                              "no such map (tsct map makes maps)");
    TSCT_TRY(tsct_dataset_open(v->h, path, d, err));
    if (tsct_dataset_shape(*d, shape) != 4 || (shape[0] != s[0] && shape[0] != 1) ||
        shape[1] != s[1] || shape[2] != s[2] || shape[3] != s[3])
        return tsct_error_set(err, TSCT_ERR_SHAPE, v->path, path, -1,
                              "expected [nt or 1][%lld][%lld][%lld] like %s", (long long)s[1],
                              (long long)s[2], (long long)s[3], TSCT_PATH_RECON);
    return TSCT_OK;
}

static tsct_status read_map_row(tsct_dataset *d, const int64_t *shape, const int64_t *lead,
                                float *buf, tsct_error *err)
{
    int64_t ml[3] = {shape[0] == 1 ? 0 : lead[0], lead[1], lead[2]};
    return tsct_dataset_read_row(d, ml, buf, err);
}

/* The sample mask of row lead into vmask (v->row holds the row); returns the count. */
static tsct_status row_mask(struct vol *v, const int64_t *lead, int64_t *n, tsct_error *err)
{
    const int64_t nx = v->shape[3];
    *n = 0;
    if (v->mask) {
        TSCT_TRY(read_map_row(v->mask, v->mshape, lead, v->mrow, err));
        for (int64_t x = 0; x < nx; x++)
            *n += v->vmask[x] = isfinite(v->mrow[x]) && v->mrow[x] > 0;
    } else {
        *n = tsct_stage_sample_mask(v->row, nx, v->nq, v->cut, v->vmask);
    }
    for (int p = 0; p < v->g.nph; p++) {
        uint8_t *pm = v->pm + (int64_t)p * nx;
        if (!v->pmask[p]) {
            memset(pm, 1, (size_t)nx);
            continue;
        }
        TSCT_TRY(read_map_row(v->pmask[p], v->pshape[p], lead, v->mrow, err));
        for (int64_t x = 0; x < nx; x++)
            pm[x] = isfinite(v->mrow[x]) && v->mrow[x] > 0;
    }
    return TSCT_OK;
}

/* The mean (or sum) pattern [nq] of time step t's sample voxels into out; *count voxels. */
static tsct_status sample_pattern(struct vol *v, int64_t t, double *out, int64_t *count,
                                  tsct_error *err)
{
    const int64_t nz = v->shape[1], ny = v->shape[2], nx = v->shape[3], nq = v->nq;
    for (int64_t i = 0; i < nq; i++)
        out[i] = 0;
    *count = 0;
    for (int64_t r = 0; r < nz * ny; r++) {
        int64_t lead[3] = {t, r / ny, r % ny}, n = 0;
        TSCT_TRY(tsct_dataset_read_row(v->recon, lead, v->row, err));
        TSCT_TRY(row_mask(v, lead, &n, err));
        for (int64_t x = 0; x < nx; x++) {
            if (!v->vmask[x])
                continue;
            const float *p = v->row + x * nq;
            for (int64_t i = 0; i < nq; i++)
                out[i] += isfinite(p[i]) ? p[i] : 0;
            (*count)++;
        }
    }
    if (*count > 0 && !v->sum)
        for (int64_t i = 0; i < nq; i++)
            out[i] /= (double)*count;
    return TSCT_OK;
}

/* Copy values, limits and refine flags of every parameter of src into dst (same layout). */
static void copy_params(tsct_refine_model *dst, tsct_refine_model *src)
{
    for (int i = 0; i < tsct_refine_model_nparams(src); i++) {
        tsct_refine_param *d = tsct_refine_model_param(dst, i);
        const tsct_refine_param *s = tsct_refine_model_param(src, i);
        d->value = s->value, d->lo = s->lo, d->hi = s->hi, d->refine = s->refine;
    }
}

/* A start a percent from the data's lattice leaves narrow peaks beside their reflections: a
 * local minimum of chi2 (the nmc preset's mean pattern, 1.2 % from the CIF's cell, ends at Rwp
 * 67 % instead of 11 %; its lithium-rich cores, 1.6 % in c from the global result, end 1e-3
 * off). So a refinement of lattice parameters (the global one, and the voxels' unless [voxel]
 * prefit = no) first runs with every phase's crystallites held at PREFIT_SIZE_NM (Scherrer
 * FWHM 2 pi K / size = 0.04 1/A: a basin of a few percent at the first reflections), then
 * from there with the configured profile. Returns 0 when no lattice parameter is refined
 * (nothing done). */
#define PREFIT_SIZE_NM 15.0
/* Parameters of a model at most (refine_model.c: 11 a phase, 6 instrument, 4 a peak, ...). */
enum { PARAM_MAX = TSCT_REFINE_MAX_PHASES * 11 + 6 + TSCT_REFINE_MAX_PEAKS * 4 +
                   TSCT_REFINE_MAX_BROAD + TSCT_REFINE_MAX_BACKGROUND };

static int prefit(struct vol *v, tsct_refine_model *m, const double *y, const double *w,
                  const tsct_refine_params *rp)
{
    int size_i[TSCT_REFINE_MAX_PHASES], size_refine[TSCT_REFINE_MAX_PHASES], lattice = 0;
    double size_v[TSCT_REFINE_MAX_PHASES];
    static const char *const cell[6] = {"a", "b", "c", "alpha", "beta", "gamma"};
    for (int p = 0; p < v->g.nph; p++) {
        char name[TSCT_REFINE_NAME_MAX * 2];
        const char *pn = tsct_refine_model_phase_name(m, p);
        for (int k = 0; k < 6; k++) {
            snprintf(name, sizeof name, "%s.%s", pn, cell[k]);
            int i = tsct_refine_model_find(m, name);
            lattice |= i >= 0 && tsct_refine_model_param(m, i)->refine;
        }
        snprintf(name, sizeof name, "%s.size", pn);
        size_i[p] = tsct_refine_model_find(m, name);
        tsct_refine_param *q = tsct_refine_model_param(m, size_i[p]);
        size_v[p] = q->value, size_refine[p] = q->refine;
        q->value = fmin(q->value, PREFIT_SIZE_NM);
        q->refine = 0;
    }
    const int np = tsct_refine_model_nparams(m);
    double start[PARAM_MAX];
    for (int i = 0; i < np && i < PARAM_MAX; i++)
        start[i] = tsct_refine_model_param(m, i)->value;
    tsct_refine_result res;
    tsct_error e = TSCT_ERROR_INIT;
    tsct_status st = lattice ? tsct_refine_run(m, y, w, rp, &res, NULL, &e) : TSCT_OK;
    for (int i = 0; i < np && i < PARAM_MAX && st != TSCT_OK && st != TSCT_NOT_CONVERGED; i++)
        tsct_refine_model_param(m, i)->value = start[i]; /* no better start: the first */
    for (int p = 0; p < v->g.nph; p++) {
        tsct_refine_param *q = tsct_refine_model_param(m, size_i[p]);
        q->value = size_v[p], q->refine = size_refine[p];
    }
    return lattice;
}

/* The parameters' values, ESDs and bound flags of a model at one point. */
struct snap {
    double value[PARAM_MAX], esd[PARAM_MAX];
    int at_bound[PARAM_MAX];
};

static void snap_take(tsct_refine_model *m, struct snap *s)
{
    for (int i = 0; i < tsct_refine_model_nparams(m) && i < PARAM_MAX; i++) {
        const tsct_refine_param *q = tsct_refine_model_param(m, i);
        s->value[i] = q->value, s->esd[i] = q->esd, s->at_bound[i] = q->at_bound;
    }
}

static void snap_put(tsct_refine_model *m, const struct snap *s)
{
    for (int i = 0; i < tsct_refine_model_nparams(m) && i < PARAM_MAX; i++) {
        tsct_refine_param *q = tsct_refine_model_param(m, i);
        q->value = s->value[i], q->esd = s->esd[i], q->at_bound = s->at_bound[i];
    }
}

/* Refine from the model's values and, with use_prefit, also from the prefit's result (above);
 * the lower chi2 wins (a broad-peak start can also lead astray: a phase whose narrow peaks
 * sit on its reflections already may lose its scale there). calc (may be NULL) receives the
 * winner's pattern. Returns the winner's status (as tsct_refine_run). */
static tsct_status refine_best(struct vol *v, int use_prefit, tsct_refine_model *m,
                               const double *y, const double *w, const tsct_refine_params *rp,
                               tsct_refine_result *res, double *calc, tsct_error *err)
{
    struct snap *sn = malloc(2 * sizeof *sn);
    if (!sn)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    snap_take(m, &sn[0]);
    tsct_status sa = tsct_refine_run(m, y, w, rp, res, calc, err);
    int a_ok = sa == TSCT_OK || sa == TSCT_NOT_CONVERGED;
    if (use_prefit) {
        tsct_refine_result ra = *res;
        snap_take(m, &sn[1]);
        snap_put(m, &sn[0]);
        tsct_error e2 = TSCT_ERROR_INIT;
        tsct_status sb = prefit(v, m, y, w, rp) ? tsct_refine_run(m, y, w, rp, res, calc, &e2)
                                                : TSCT_ERR_VALUE;
        if ((sb == TSCT_OK || sb == TSCT_NOT_CONVERGED) && (!a_ok || res->chi2 < ra.chi2)) {
            free(sn);
            tsct_error_clear(err);
            return sb;
        }
        snap_put(m, &sn[1]);
        *res = ra;
        if (a_ok && calc)
            tsct_refine_model_evaluate(m, calc, NULL, &e2);
    }
    free(sn);
    return sa;
}

/* The global refinement of time step t (the sample's mean pattern, restricted to the
 * refined points), its values into gval and the threads' models. */
static tsct_status global_refine(struct vol *v, int64_t t, double *pattern,
                                 const tsct_stage_ctx *ctx, tsct_error *err)
{
    int64_t count = 0;
    TSCT_TRY(sample_pattern(v, t, pattern, &count, err));
    if (count == 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, v->path, "mask", t,
                              "no sample voxel in time step %lld: %s", (long long)t,
                              v->mask_text);
    for (int64_t j = 0; j < v->g.n; j++)
        v->g.y[j] = pattern[v->i0 + j];
    copy_params(v->g.m, v->m0);
    tsct_refine_params rp = TSCT_REFINE_PARAMS_DEFAULT;
    rp.max_iter = v->max_iter;
    tsct_status st = refine_best(v, 1, v->g.m, v->g.y, v->g.w, &rp, &v->g.res, NULL, err);
    if (st == TSCT_NOT_CONVERGED) {
        tsct_log_msg(ctx->log, TSCT_LOG_WARN,
                     "%s: the global refinement of time step %lld did not converge in %d "
                     "iterations; the voxels start from its best point", v->g.ini.path,
                     (long long)t, rp.max_iter);
        st = TSCT_OK;
    }
    if (st != TSCT_OK) {
        if (!err->file[0])
            tsct_error_set_file(err, v->g.ini.path);
        return st;
    }
    tsct_log_msg(ctx->log, TSCT_LOG_INFO,
                 "time step %lld: global refinement of the %s pattern of %lld voxels: Rwp "
                 "%.3f %%, GoF %.4g, %d iterations", (long long)t, v->sum ? "sum" : "mean",
                 (long long)count, 100 * v->g.res.rwp, v->g.res.gof, v->g.res.niter);
    for (int i = 0; i < v->np; i++) {
        tsct_refine_param *q = tsct_refine_model_param(v->g.m, i);
        v->gval[i] = q->value;
        v->grow[i] = (float)q->value;
    }
    /* a voxel's scales are per voxel; from a sum pattern the held ones are per voxel too */
    for (int i = 0; i < v->np && v->sum; i++)
        if (tsct_refine_model_param(v->g.m, i)->linear)
            v->gval[i] /= (double)count;
    for (int k = 0; k < v->nthreads; k++)
        copy_params(v->tm[k], v->g.m);
    v->gt = t;
    return TSCT_OK;
}

/* ESDs from sqrt(diag C) x GoF hold for independent residuals. A voxel's residuals are not:
 * its model misfits (peak shapes, a lattice spread within the voxel) run over neighbouring
 * points, and the ESDs come out several times too small (pulls of sd 4 - 5 on the nmc
 * preset). As Berar & Lelann (J. Appl. Cryst. 24 (1991) 1) do for Rietveld ESDs, the ESDs are
 * multiplied by a factor from the residuals' serial correlation: for a first-order
 * autoregressive series of lag-1 correlation rho, the variance of a mean grows by
 * (1 + rho) / (1 - rho), so the factor is its square root (1 for rho <= 0). rho from the
 * weighted residuals r = sqrt(w) (y - calc) of consecutive refined points. */
static double serial_factor(const double *y, const double *w, const double *calc, int64_t n)
{
    double s0 = 0, s1 = 0, prev = NAN;
    for (int64_t i = 0; i < n; i++) {
        if (!(w[i] > 0)) {
            prev = NAN;
            continue;
        }
        double r = sqrt(w[i]) * (y[i] - calc[i]);
        s0 += r * r;
        if (isfinite(prev))
            s1 += r * prev;
        prev = r;
    }
    double rho = s0 > 0 ? fmin(s1 / s0, 0.99) : 0;
    return rho > 0 ? sqrt((1 + rho) / (1 - rho)) : 1;
}

/* Refine voxel x of the row with thread k's model; fills the output rows at x. */
static void refine_voxel(struct vol *v, int k, int64_t x)
{
    tsct_refine_model *m = v->tm[k];
    const int64_t n = v->g.n, nx = v->shape[3];
    double *y = v->ty + (int64_t)k * n, *w = v->tw + (int64_t)k * n, *calc = v->tc + (int64_t)k * n;
    const float *p = v->row + x * v->nq + v->i0;
    int64_t good = 0;
    for (int64_t j = 0; j < n; j++) {
        int ok = isfinite(p[j]) && v->g.w[j] > 0;
        y[j] = ok ? p[j] : 0;
        w[j] = ok ? v->g.w[j] : 0;
        good += ok;
    }
    int absent[TSCT_REFINE_MAX_PHASES];
    for (int ph = 0; ph < v->g.nph; ph++)
        absent[ph] = !v->pm[(int64_t)ph * nx + x];
    tsct_refine_result res;
    int status = TSCT_STAGE_REFINE_VOXEL_FAILED, pass;
    for (pass = 0; pass < 2 && good > 0; pass++) {
        for (int i = 0; i < v->np; i++) {
            tsct_refine_param *q = tsct_refine_model_param(m, i);
            q->value = v->gval[i];
            q->refine = v->vflag[i];
        }
        for (int ph = 0; ph < v->g.nph; ph++) {
            if (!absent[ph])
                continue;
            const char *pn = tsct_refine_model_phase_name(m, ph);
            size_t l = strlen(pn);
            for (int i = 0; i < v->np; i++) {
                tsct_refine_param *q = tsct_refine_model_param(m, i);
                if (strncmp(q->name, pn, l) == 0 && q->name[l] == '.') {
                    q->refine = 0;
                    if (q->linear)
                        q->value = 0;
                }
            }
        }
        tsct_refine_params rp = TSCT_REFINE_PARAMS_DEFAULT;
        rp.max_iter = v->max_iter_voxel;
        tsct_error e = TSCT_ERROR_INIT;
        tsct_status st = refine_best(v, v->prefit, m, y, w, &rp, &res, calc, &e);
        status = st == TSCT_NOT_CONVERGED        ? TSCT_STAGE_REFINE_VOXEL_MAX_ITER
                 : st != TSCT_OK                 ? TSCT_STAGE_REFINE_VOXEL_FAILED
                 : res.status == TSCT_REFINE_SINGULAR ? TSCT_STAGE_REFINE_VOXEL_SINGULAR
                                                 : TSCT_STAGE_REFINE_VOXEL_CONVERGED;
        if (status == TSCT_STAGE_REFINE_VOXEL_FAILED || !(v->absent_below > 0))
            break;
        int again = 0;
        for (int ph = 0; ph < v->g.nph; ph++)
            if (!absent[ph] && !(res.weight_fraction[ph] >= v->absent_below)) /* NaN: 0 / 0 */
                absent[ph] = 1, again = 1;
        if (!again)
            break;
    }
    const double f = status == TSCT_STAGE_REFINE_VOXEL_FAILED ? 1 : serial_factor(y, w, calc, n);
    for (int o = 0; o < v->nout; o++) {
        struct out_map *om = &v->out[o];
        float val = NAN;
        if (status != TSCT_STAGE_REFINE_VOXEL_FAILED) {
            const tsct_refine_param *q =
                om->param >= 0 ? tsct_refine_model_param(m, om->param) : NULL;
            int gone = om->phase >= 0 && absent[om->phase];
            switch (om->kind) {
            case OUT_VALUE: val = gone ? NAN : (float)q->value; break;
            case OUT_ESD:
                val = gone || !q->refine || q->at_bound ? NAN : (float)(f * q->esd);
                break;
            case OUT_WF: val = gone ? 0.0f : (float)res.weight_fraction[om->phase]; break;
            case OUT_WF_ESD:
                val = gone ? NAN : (float)(f * res.weight_fraction_esd[om->phase]);
                break;
            case OUT_VOLUME:
                val = gone ? NAN : (float)tsct_refine_model_phase_volume(m, om->phase);
                break;
            case OUT_RWP: val = (float)res.rwp; break;
            case OUT_GOF: val = (float)res.gof; break;
            case OUT_ITER: val = (float)res.niter; break;
            default: break;
            }
        }
        if (om->kind == OUT_STATUS)
            val = (float)status;
        om->row[x] = val;
    }
}

static tsct_status add_out(struct vol *v, int kind, int param, int phase, const char *path,
                           tsct_error *err)
{
    struct out_map *om = &v->out[v->nout++];
    om->kind = kind, om->param = param, om->phase = phase;
    snprintf(om->path, sizeof om->path, "%s", path);
    om->row = malloc((size_t)v->shape[3] * sizeof *om->row);
    if (!om->row)
        return tsct_error_set(err, TSCT_ERR_NOMEM, v->path, path, -1, "row buffer");
    return TSCT_OK;
}

/* The list of output maps. */
static tsct_status plan_outputs(struct vol *v, const char *name, tsct_error *err)
{
    v->out = calloc((size_t)(2 * v->np + 3 * v->g.nph + 4), sizeof *v->out);
    if (!v->out)
        return tsct_error_set(err, TSCT_ERR_NOMEM, v->path, NULL, -1, "out of memory");
    char path[320];
    for (int i = 0; i < v->np; i++) {
        if (!v->vflag[i])
            continue;
        const char *pn = tsct_refine_model_param(v->g.m, i)->name;
        int phase = -1;
        for (int ph = 0; ph < v->g.nph; ph++) {
            const char *nm = tsct_refine_model_phase_name(v->g.m, ph);
            size_t l = strlen(nm);
            if (strncmp(pn, nm, l) == 0 && pn[l] == '.')
                phase = ph;
        }
        param_path(path, sizeof path, name, pn, "");
        TSCT_TRY(add_out(v, OUT_VALUE, i, phase, path, err));
        param_path(path, sizeof path, name, pn, "_esd");
        TSCT_TRY(add_out(v, OUT_ESD, i, phase, path, err));
    }
    static const char *const pk[3] = {"weight_fraction", "weight_fraction_esd", "volume"};
    for (int ph = 0; ph < v->g.nph; ph++)
        for (int j = 0; j < 3; j++) {
            snprintf(path, sizeof path, "%s/%.48s/%.64s/%s", TSCT_STAGE_REFINE_PATH, name,
                     tsct_refine_model_phase_name(v->g.m, ph), pk[j]);
            TSCT_TRY(add_out(v, OUT_WF + j, -1, ph, path, err));
        }
    static const char *const gk[4] = {"rwp", "gof", "status", "iterations"};
    for (int j = 0; j < 4; j++) {
        snprintf(path, sizeof path, "%s/%.48s/%s", TSCT_STAGE_REFINE_PATH, name, gk[j]);
        TSCT_TRY(add_out(v, OUT_RWP + j, -1, -1, path, err));
    }
    return TSCT_OK;
}

static const char *out_meaning(const struct out_map *om)
{
    switch (om->kind) {
    case OUT_VALUE: return "the refined value (units of tsct/refine.h: A, degrees, nm, ...); "
                           "NaN outside the mask and where the phase is absent";
    case OUT_ESD: return "ESD: sqrt(diag((J^T W J)^-1)) x GoF x sqrt((1 + rho) / (1 - rho)), "
                         "rho the residuals' lag-1 correlation (1 for rho <= 0); NaN where not "
                         "refined";
    case OUT_WF: return "weight fraction 0..1 (Hill & Howard: S Z M V / sum S Z M V); 0 where "
                        "the phase is absent";
    case OUT_WF_ESD: return "ESD of the weight fraction, from the scales' covariance";
    case OUT_VOLUME: return "cell volume (A^3) at the refined lattice; NaN where absent";
    case OUT_RWP: return "R_wp = sqrt(chi2 / sum w y^2) over the refined points";
    case OUT_GOF: return "GoF = sqrt(chi2 / (N - P))";
    case OUT_STATUS: return "0 converged, 1 iteration limit, 2 singular (ESDs NaN), 3 failed "
                            "(no finite data, or no pattern at the values); NaN outside the "
                            "mask";
    default: return "Levenberg-Marquardt iterations";
    }
}

/* The unit of a map (tsct/refine.h's units), NULL for none. */
static const char *out_units(const struct vol *v, const struct out_map *om)
{
    if (om->kind == OUT_VOLUME)
        return "A^3";
    if (om->kind != OUT_VALUE && om->kind != OUT_ESD)
        return NULL;
    const char *pn = strchr(tsct_refine_model_param(v->g.m, om->param)->name, '.') + 1;
    static const char *const names[] = {"a", "b", "c", "alpha", "beta", "gamma", "size", "B",
                                        "U", "V", "W", "X", "Y", "zero", NULL};
    static const char *const units[] = {"A", "A", "A", "deg", "deg", "deg", "nm", "A^2",
                                        "deg^2", "deg^2", "deg^2", "deg", "deg", "deg"};
    for (int i = 0; names[i]; i++)
        if (strcmp(pn, names[i]) == 0)
            return om->phase >= 0 || i >= 8 ? units[i] : NULL;
    return NULL;
}

static tsct_status open_outputs(struct vol *v, tsct_step *step, int64_t t0,
                                tsct_error *err)
{
    const int64_t *s = v->shape;
    int64_t sh[4] = {s[0] - t0, s[1], s[2], s[3]};
    tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
    for (int o = 0; o < v->nout; o++) {
        struct out_map *om = &v->out[o];
        dp.units = out_units(v, om);
        TSCT_TRY(tsct_step_dataset(step, om->path, 4, sh, t0 > 0 ? t0 : -1, &dp, &om->d, err));
        TSCT_TRY(tsct_dataset_set_attr_string(om->d, "definition", out_meaning(om), err));
        TSCT_TRY(tsct_dataset_set_attr_string(om->d, "mask", v->mask_text, err));
        TSCT_TRY(tsct_dataset_set_attr_string(om->d, "config", v->g.ini.path, err));
    }
    return TSCT_OK;
}

static tsct_status global_dataset(struct vol *v, tsct_step *step, const char *name,
                                  int64_t t0, tsct_dataset **d, tsct_error *err)
{
    char path[320];
    snprintf(path, sizeof path, "%s/%.48s/global", TSCT_STAGE_REFINE_PATH, name);
    int64_t sh[2] = {v->shape[0] - t0, v->np};
    tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
    TSCT_TRY(tsct_step_dataset(step, path, 2, sh, t0 > 0 ? t0 : -1, &dp, d, err));
    size_t len = 0;
    for (int i = 0; i < v->np; i++)
        len += strlen(tsct_refine_model_param(v->g.m, i)->name) + 1;
    char *names = malloc(len + 1);
    if (!names)
        return tsct_error_set(err, TSCT_ERR_NOMEM, v->path, path, -1, "names");
    names[0] = '\0';
    for (int i = 0, at = 0; i < v->np; i++)
        at += sprintf(names + at, "%s%s", i ? "," : "", tsct_refine_model_param(v->g.m, i)->name);
    tsct_status st = tsct_dataset_set_attr_string(*d, "parameters", names, err);
    free(names);
    if (st == TSCT_OK)
        st = tsct_dataset_set_attr_string(*d, "definition",
                                          "the global refinement of each time step's sample "
                                          "pattern: every parameter's value", err);
    return st;
}

/* Refine the rows of time steps t0.. not yet done. */
static tsct_status refine_rows(struct vol *v, tsct_step *step, tsct_dataset *gd, int64_t t0,
                               const tsct_stage_ctx *ctx, int64_t *nrun, tsct_error *err)
{
    const int64_t nz = v->shape[1], ny = v->shape[2], nx = v->shape[3];
    const int64_t nrows = (v->shape[0] - t0) * nz * ny;
    double *pattern = malloc((size_t)v->nq * sizeof *pattern);
    if (!pattern)
        return tsct_error_set(err, TSCT_ERR_NOMEM, v->path, NULL, -1, "pattern");
    tsct_progress progress;
    tsct_progress_begin(&progress, ctx->progress, "refine voxel rows", nrows,
                        tsct_step_done_count(step));
    tsct_stage_batch batch = {0, 0, tsct_clock()};
    tsct_status st = TSCT_OK;
    for (int64_t r = 0; r < nrows && st == TSCT_OK; r++) {
        if (tsct_step_is_done(step, r))
            continue;
        int64_t lead[3] = {t0 + r / (nz * ny), r / ny % nz, r % ny}, n = 0;
        if (lead[0] != v->gt) {
            st = global_refine(v, lead[0], pattern, ctx, err);
            int64_t gl[1] = {lead[0] - t0};
            if (st == TSCT_OK)
                st = tsct_dataset_write_row(gd, gl, v->grow, err);
            if (st == TSCT_OK)
                st = tsct_dataset_set_attr_double(gd, "rwp", v->g.res.rwp, err);
            if (st == TSCT_OK)
                st = tsct_dataset_set_attr_double(gd, "gof", v->g.res.gof, err);
        }
        if (st == TSCT_OK)
            st = tsct_dataset_read_row(v->recon, lead, v->row, err);
        if (st == TSCT_OK)
            st = row_mask(v, lead, &n, err);
        if (st != TSCT_OK)
            break;
        int64_t c[4] = {0, 0, 0, 0};
#if TSCT_HAVE_OPENMP
#pragma omp parallel for num_threads(v->nthreads) schedule(dynamic, 1) reduction(+ : c[:4])
#endif
        for (int64_t x = 0; x < nx; x++) {
            if (!v->vmask[x]) {
                for (int o = 0; o < v->nout; o++)
                    v->out[o].row[x] = NAN;
                continue;
            }
            refine_voxel(v, tsct__thread_id(), x);
            float s = v->out[v->nout - 2].row[x]; /* the status map */
            c[(int)s]++;
        }
        for (int s = 0; s < 4; s++)
            v->counts[s] += c[s];
        lead[0] -= t0;
        for (int o = 0; o < v->nout && st == TSCT_OK; o++)
            st = tsct_dataset_write_row(v->out[o].d, lead, v->out[o].row, err);
        if (st == TSCT_OK)
            st = tsct_stage_batch_add(step, &batch, r, err);
        tsct_progress_add(&progress, 1);
        (*nrun)++;
    }
    if (st == TSCT_OK)
        st = tsct_stage_batch_flush(step, &batch, err);
    tsct_progress_end(&progress);
    free(pattern);
    return st;
}

/* Open /entry/recon and its q, the masks; the sample's cut. */
static tsct_status open_inputs(struct vol *v, const tsct_stage_refine_volume_params *o,
                               tsct_error *err)
{
    if (!tsct_container_exists(v->h, TSCT_PATH_RECON))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, v->path, TSCT_PATH_RECON, -1,
                              "no reconstructed volume (tsct recon makes it)");
    TSCT_TRY(tsct_dataset_open(v->h, TSCT_PATH_RECON, &v->recon, err));
    TSCT_TRY(tsct_container_read_vector(v->h, TSCT_PATH_RECON_Q, &v->q, &v->nq, err));
    if (tsct_dataset_shape(v->recon, v->shape) != 5 || v->shape[4] != v->nq)
        return tsct_error_set(err, TSCT_ERR_SHAPE, v->path, TSCT_PATH_RECON, -1,
                              "expected [nt][nz][ny][nx][%lld] (the length of %s)",
                              (long long)v->nq, TSCT_PATH_RECON_Q);
    if (o->mask_map) {
        TSCT_TRY(open_map(v, o->mask_map, v->mask_path, sizeof v->mask_path, &v->mask,
                          v->mshape, err));
        snprintf(v->mask_text, sizeof v->mask_text, "voxels where %s > 0", v->mask_path);
    } else {
        double vmax = 0;
        TSCT_TRY(tsct_stage_max_total(v->recon, &vmax, err));
        v->cut = o->threshold * (float)vmax;
        snprintf(v->mask_text, sizeof v->mask_text,
                 "voxels whose total intensity (sum of %s over q) is >= %g x the largest "
                 "(%.6g)", TSCT_PATH_RECON, o->threshold, (float)vmax);
    }
    const int64_t nx = v->shape[3], nq = v->nq;
    v->row = malloc((size_t)(nx * nq) * sizeof *v->row);
    v->mrow = malloc((size_t)nx * sizeof *v->mrow);
    v->vmask = malloc((size_t)nx);
    v->pm = malloc((size_t)(nx * TSCT_REFINE_MAX_PHASES));
    if (!v->row || !v->mrow || !v->vmask || !v->pm)
        return tsct_error_set(err, TSCT_ERR_NOMEM, v->path, NULL, -1, "row buffers");
    return TSCT_OK;
}

/* The configuration with time step t's sample pattern preloaded, its model, the per-voxel
 * lists, the threads' models. */
static tsct_status configure(struct vol *v, const tsct_stage_refine_volume_params *o,
                             const tsct_stage_ctx *ctx, int64_t t, tsct_error *err)
{
    struct tsct__refine_cfg *g = &v->g;
    TSCT_TRY(tsct_ini_read(&g->ini, o->config, err));
    TSCT_TRY(volume_keys(v, err));
    /* the phases' masks are known only after the components are listed: read them from the
     * sections now (a mask key in a section that is no phase is refused by the model) */
    int64_t count = 0;
    g->n = v->nq;
    g->x = malloc((size_t)v->nq * sizeof *g->x);
    g->y = malloc((size_t)v->nq * sizeof *g->y);
    if (!g->x || !g->y)
        return tsct_error_set(err, TSCT_ERR_NOMEM, v->path, NULL, -1, "pattern");
    memcpy(g->x, v->q, (size_t)v->nq * sizeof *g->x);
    TSCT_TRY(sample_pattern(v, t, g->y, &count, err));
    if (count == 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, v->path, "mask", -1,
                              "the mask is empty: no voxel of %s", v->mask_text);
    g->preloaded = 1;
    g->axis = TSCT_POWDER_AXIS_Q;
    g->xscale = 1;
    g->wavelength = tsct_stage_wavelength(v->h);
    snprintf(g->path, sizeof g->path, "%.3000s::%s", v->path, TSCT_PATH_RECON);
    TSCT_TRY(tsct__refine_read_data(g, err));
    /* the kept points are a run of channels (the range, x > 0) */
    for (v->i0 = 0; v->i0 < v->nq && v->q[v->i0] != g->x[0]; v->i0++)
        ;
    if (v->i0 + g->n > v->nq || memcmp(v->q + v->i0, g->x, (size_t)g->n * sizeof *g->x))
        return tsct_error_set(err, TSCT_ERR_VALUE, v->path, TSCT_PATH_RECON_Q, -1,
                              "q is not increasing");
    tsct_stage_refine_params rp = TSCT_STAGE_REFINE_PARAMS_DEFAULT;
    TSCT_TRY(tsct__refine_configure(g, &rp, ctx, err));
    v->np = tsct_refine_model_nparams(g->m);
    v->vflag = calloc((size_t)v->np, sizeof *v->vflag);
    v->gval = malloc((size_t)v->np * sizeof *v->gval);
    v->grow = malloc((size_t)v->np * sizeof *v->grow);
    if (!v->vflag || !v->gval || !v->grow)
        return tsct_error_set(err, TSCT_ERR_NOMEM, v->path, NULL, -1, "parameters");
    TSCT_TRY(voxel_lists(v, err));
    for (int p = 0; p < g->nph; p++) {
        const tsct_ini_entry *e = tsct_ini_find(&g->ini, g->sec[p], "mask");
        if (!e)
            continue;
        tsct_error e2 = TSCT_ERROR_INIT;
        if (open_map(v, e->value, v->pmask_path[p], sizeof v->pmask_path[p], &v->pmask[p],
                     v->pshape[p], &e2) != TSCT_OK)
            return tsct_ini_error(&g->ini, e, e2.status, err, "%s", e2.message);
    }
    for (int64_t j = 0; j < g->ini.n; j++) {
        const tsct_ini_entry *e = &g->ini.e[j];
        if (strcmp(e->key, "mask") == 0 && strncmp(e->section, "phase.", 6) != 0)
            return tsct_ini_error(&g->ini, e, TSCT_ERR_VALUE, err,
                                  "mask = MAP belongs in a [phase.NAME]");
    }
    TSCT_TRY(tsct_refine_model_clone(g->m, &v->m0, err));
    v->nthreads = tsct_threads_resolve(ctx->nthreads);
    v->tm = calloc((size_t)v->nthreads, sizeof *v->tm);
    v->ty = malloc((size_t)(v->nthreads * g->n) * sizeof *v->ty);
    v->tw = malloc((size_t)(v->nthreads * g->n) * sizeof *v->tw);
    v->tc = malloc((size_t)(v->nthreads * g->n) * sizeof *v->tc);
    if (!v->tm || !v->ty || !v->tw || !v->tc)
        return tsct_error_set(err, TSCT_ERR_NOMEM, v->path, NULL, -1, "threads");
    for (int k = 0; k < v->nthreads; k++)
        TSCT_TRY(tsct_refine_model_clone(g->m, &v->tm[k], err));
    v->gt = -1;
    return TSCT_OK;
}

static void settings_of(const struct vol *v, const tsct_stage_refine_volume_params *o,
                        tsct_stage_settings *s)
{
    tsct_stage_settings_add(s, "v", "1");
    tsct_stage_settings_add(s, "source", "%s", TSCT_PATH_RECON);
    tsct_stage_settings_add(s, "shape", "%lldx%lldx%lldx%lld", (long long)v->shape[1],
                            (long long)v->shape[2], (long long)v->shape[3],
                            (long long)v->shape[4]);
    tsct_stage_settings_add(s, "mask", "%s", v->mask_text);
    tsct_stage_settings_add(s, "cut", "%.17g", v->cut);
    tsct_stage_settings_add(s, "threshold", "%.17g", o->threshold);
    tsct_stage_settings_add(s, "wavelength", "%.17g", v->g.wavelength);
    for (int64_t j = 0; j < v->g.ini.n; j++) {
        const tsct_ini_entry *e = &v->g.ini.e[j];
        tsct_stage_settings_add(s, "cfg", "[%s]%s=%s", e->section, e->key, e->value);
    }
}

static void vol_release(struct vol *v)
{
    for (int o = 0; o < v->nout; o++) {
        tsct_dataset_close(v->out[o].d);
        free(v->out[o].row);
    }
    free(v->out);
    tsct_dataset_close(v->recon);
    tsct_dataset_close(v->mask);
    for (int p = 0; p < TSCT_REFINE_MAX_PHASES; p++)
        tsct_dataset_close(v->pmask[p]);
    for (int k = 0; v->tm && k < v->nthreads; k++)
        tsct_refine_model_destroy(v->tm[k]);
    free(v->tm), free(v->ty), free(v->tw), free(v->tc);
    tsct_refine_model_destroy(v->m0);
    tsct__refine_cfg_release(&v->g);
    free(v->q), free(v->row), free(v->mrow), free(v->vmask), free(v->pm);
    free(v->vflag), free(v->gval), free(v->grow);
}

tsct_status tsct_stage_refine_volume(const char *container,
                                     const tsct_stage_refine_volume_params *params,
                                     const tsct_stage_ctx *context, tsct_stage_report *report,
                                     tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    const tsct_stage_refine_volume_params defaults = TSCT_STAGE_REFINE_VOLUME_PARAMS_DEFAULT;
    const tsct_stage_refine_volume_params *o = params ? params : &defaults;
    tsct_stage_report rep_local, *rep = tsct__stage_report(report, &rep_local);
    const char *name = o->name ? o->name : "refine";
    if (!o->config)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "config", -1,
                              "no configuration file given");
    if (!tsct_stage_name_valid(name, 48, "_"))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "refine name", -1,
                              "expected 1-48 letters, digits and '_', got \"%.64s\"", name);
    if (!(o->threshold >= 0 && o->threshold <= 1))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "threshold", -1,
                              "expected 0 .. 1, got %g", o->threshold);
    struct vol v;
    memset(&v, 0, sizeof v);
    v.path = container;
    tsct_step *step = NULL;
    tsct_dataset *gd = NULL;
    tsct_stage_settings settings;
    tsct_stage_settings_init(&settings);
    char *fp = NULL, *stamps = NULL, stepname[64], first[400];
    int64_t nrun = 0, t0 = 0;
    snprintf(stepname, sizeof stepname, "refine_%s", name);
    for (char *p = stepname; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    tsct_status st = tsct_container_open(container, TSCT_OPEN_WRITE, &v.h, err);
    if (st == TSCT_OK)
        st = open_inputs(&v, o, err);
    /* the configuration with time step 0's pattern (any time step gives the same model) */
    if (st == TSCT_OK)
        st = configure(&v, o, ctx, 0, err);
    if (st == TSCT_OK)
        st = plan_outputs(&v, name, err);
    const int64_t nt = v.shape[0], nz = v.shape[1], ny = v.shape[2];
    if (st == TSCT_OK) {
        settings_of(&v, o, &settings);
        const size_t n = settings.len + 32;
        if (!settings.failed && (fp = malloc(n)) != NULL)
            snprintf(fp, n, "nt=%lld %s", (long long)nt, settings.text);
        else
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "settings", -1, "record");
    }
    if (st == TSCT_OK) {
        const char *inputs[3] = {TSCT_PATH_RECON, v.mask ? v.mask_path : NULL, NULL};
        snprintf(first, sizeof first, "%s/%s/status", TSCT_STAGE_REFINE_PATH, name);
        t0 = tsct_stage_keep_time_steps(ctx, v.h, stepname, settings.text, inputs, first, nt,
                                        &stamps, &fp);
        if (t0 == nt)
            goto done;
        tsct_step_info info = {.name = stepname, .command = ctx->command_line,
                               .config = o->config, .fingerprint = fp,
                               .nunits = (nt - t0) * nz * ny, .settings = settings.text,
                               .inputs = stamps, .time_first = t0};
        st = tsct_step_begin(v.h, &info, ctx->log, &step, err);
    }
    if (st == TSCT_OK)
        st = open_outputs(&v, step, t0, err);
    if (st == TSCT_OK)
        st = global_dataset(&v, step, name, t0, &gd, err);
    if (st == TSCT_OK)
        st = refine_rows(&v, step, gd, t0, ctx, &nrun, err);
    if (st == TSCT_OK) {
        for (int i = 0; i < v.nout; i++) {
            tsct_dataset_close(v.out[i].d);
            v.out[i].d = NULL;
        }
        tsct_dataset_close(gd);
        gd = NULL;
        st = tsct_step_commit(step, err);
        step = NULL;
    }
    if (st == TSCT_OK)
        tsct__stage_ran(ctx, rep, nrun, t0, TSCT_LOG_INFO,
                        "%s: %s/%s, %lld voxel rows; voxels: %lld converged, %lld at the "
                        "iteration limit, %lld singular, %lld failed", container,
                        TSCT_STAGE_REFINE_PATH, name, (long long)nrun,
                        (long long)v.counts[0], (long long)v.counts[1],
                        (long long)v.counts[2], (long long)v.counts[3]);
done:
    tsct_dataset_close(gd);
    tsct_step_close(step);
    vol_release(&v);
    if (st == TSCT_OK)
        st = tsct_container_close(v.h, err);
    else
        tsct_container_close(v.h, NULL);
    tsct_stage_settings_release(&settings);
    free(fp);
    free(stamps);
    return st;
}
