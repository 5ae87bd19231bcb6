/* bench_refine.c - full-profile refinements per second: the per-voxel workload of issue 16
 * (bench/METHOD_refine.md).
 *
 * Patterns of 2 000 points (q 1 .. 6 1/A, lambda 0.2 A) of 4 crystalline phases (NMC111, Al,
 * graphite, Cu), one single pseudo-Voigt peak and a 12-term Chebyshev background, made by the
 * model itself with random scales, NMC a and c within +-0.3 %, and Gaussian noise (sigma 1 %
 * of sqrt(y) scaled so the strongest peak has ~1e4 counts). Each is refined from the mean
 * pattern's values with the per-voxel parameters free: the 4 scales, the peak's area, the 12
 * background terms (solved exactly: variable projection) and NMC a, c (Levenberg-Marquardt),
 * ESDs included. One model per thread (OpenMP over patterns).
 *
 * Beside it, in the same run, the same refinements done the conventional way (TOPAS, GSAS-II:
 * every refined parameter, linear ones included, in one Levenberg-Marquardt with the model's
 * full analytic Jacobian, tsct_fit_lsq), started from the same values with the linear
 * parameters at the mean pattern's: the ratio is the gain of projecting the linear ones out.
 * Both check that they agree on a and c (to 1e-3 of the ESD) and report iterations, model
 * evaluations per pattern and the fraction of the time spent in the model.
 *
 * usage: bench_refine [--n 2000] [--threads 2] [--repeats 3] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/fit.h"
#include "tsct/refine.h"

#include "bench_util.h"

#if defined(_OPENMP)
#include <omp.h>
#endif

#define NQ 2000
#define NBG 12


static const char *const free_names[] = {"NMC.scale", "Al.scale", "graphite.scale", "Cu.scale",
                                         "sep.area", "NMC.a", "NMC.c"};

static tsct_refine_model *make_model(const double *q)
{
    static const tsct_refine_phase_desc ph[4] = {
        {"NMC", TSCT_SOURCE_DIR "/data/structures/NMC111_LiNi1_3Mn1_3Co1_3O2.cif", {0, 0, 0}},
        {"Al", TSCT_SOURCE_DIR "/tests/data/cif/Al_COD9008460.cif", {0, 0, 0}},
        {"graphite", TSCT_SOURCE_DIR "/tests/data/cif/graphite_COD9008569.cif", {0, 0, 0}},
        {"Cu", TSCT_SOURCE_DIR "/tests/data/cif/Cu_COD9008468.cif", {0, 0, 0}}};
    tsct_refine_peak_desc pk = {"sep", 1.45, 0.15, 0.5};
    tsct_refine_model_params mp = TSCT_REFINE_MODEL_PARAMS_DEFAULT;
    mp.wavelength = 0.2;
    mp.nbackground = NBG;
    tsct_refine_model *m = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    if (tsct_refine_model_create(&mp, ph, 4, &pk, 1, NULL, 0, q, NQ, &m, &err) != TSCT_OK) {
        fprintf(stderr, "bench_refine: %s\n", err.message);
        exit(1);
    }
    const char *sizes[] = {"NMC.size", "Al.size", "graphite.size", "Cu.size"};
    const double sz[] = {60, 150, 40, 100};
    for (int i = 0; i < 4; i++)
        tsct_refine_model_set(m, sizes[i], sz[i], 0, &err);
    tsct_refine_model_set(m, "instrument.W", 2e-4, 0, &err);
    tsct_refine_model_set(m, "instrument.X", 2e-3, 0, &err);
    return m;
}

static void set(tsct_refine_model *m, const char *name, double v, int refine)
{
    tsct_error err = TSCT_ERROR_INIT;
    if (tsct_refine_model_set(m, name, v, refine, &err) != TSCT_OK) {
        fprintf(stderr, "bench_refine: %s\n", err.message);
        exit(1);
    }
}

/* The conventional refinement: every refined parameter in one LM with the full Jacobian. */
typedef struct full_ctx {
    tsct_refine_model *m;
    int idx[32], np;
    const double *y, *sw;
    double *f, *jac;
    double t_model;
} full_ctx;

static tsct_status full_fn(void *ctx, const double *p, double *r, double *jac, tsct_error *err)
{
    full_ctx *c = ctx;
    for (int j = 0; j < c->np; j++)
        tsct_refine_model_param(c->m, c->idx[j])->value = p[j];
    double t0 = bench_now();
    tsct_status st = tsct_refine_model_evaluate(c->m, c->f, jac ? c->jac : NULL, err);
    c->t_model += bench_now() - t0;
    if (st != TSCT_OK) {
        for (int i = 0; i < NQ; i++)
            r[i] = 1e100;
        return TSCT_OK;
    }
    for (int i = 0; i < NQ; i++)
        r[i] = c->sw[i] * (c->y[i] - c->f[i]);
    if (jac)
        for (int j = 0; j < c->np; j++)
            for (int i = 0; i < NQ; i++)
                jac[i * c->np + j] = -c->sw[i] * c->jac[(int64_t)c->idx[j] * NQ + i];
    return TSCT_OK;
}

int main(int argc, char **argv)
{
    int n = 2000, nthreads = 2, repeats = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--n"))
            n = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            nthreads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--repeats"))
            repeats = atoi(argv[i + 1]);
    }
    double q[NQ];
    for (int i = 0; i < NQ; i++)
        q[i] = 1.0 + 5.0 * i / (NQ - 1.0);
    /* the mean state and the patterns */
    tsct_refine_model *m0 = make_model(q);
    const double s0[4] = {2e-3, 5e-4, 1e-3, 3e-4};
    const double a0 = 2.859, c0 = 14.23;
    double *ys = malloc((size_t)n * NQ * sizeof *ys), *ws = malloc((size_t)n * NQ * sizeof *ws);
    double *truth = malloc((size_t)n * 2 * sizeof *truth);
    double *y = malloc(NQ * sizeof *y);
    tsct_error err = TSCT_ERROR_INIT;
    double ymax = 0;
    for (int v = 0; v < n; v++) {
        for (int k = 0; k < 4; k++)
            set(m0, free_names[k], s0[k] * (0.3 + 1.4 * bench_unif()), 1);
        set(m0, "sep.area", 2 + bench_unif(), 1);
        truth[2 * v] = a0 * (1 + 0.003 * (2 * bench_unif() - 1));
        truth[2 * v + 1] = c0 * (1 + 0.003 * (2 * bench_unif() - 1));
        set(m0, "NMC.a", truth[2 * v], 1);
        set(m0, "NMC.c", truth[2 * v + 1], 1);
        for (int j = 0; j < NBG; j++) {
            char nm[16];
            snprintf(nm, sizeof nm, "bg.%d", j);
            set(m0, nm, j == 0 ? 50.0 : 5.0 * (bench_unif() - 0.5) / (j + 1), 1);
        }
        tsct_refine_model_evaluate(m0, y, NULL, &err);
        for (int i = 0; i < NQ; i++)
            ymax = fmax(ymax, y[i]);
        memcpy(ys + (int64_t)v * NQ, y, NQ * sizeof *y);
    }
    double k = 1e4 / ymax; /* counts: the strongest peak ~1e4 */
    for (int64_t i = 0; i < (int64_t)n * NQ; i++) {
        double cnt = ys[i] * k;
        double sig = sqrt(fmax(cnt, 1));
        ys[i] = cnt + sig * bench_gauss();
        ws[i] = 1 / (sig * sig);
    }
    tsct_refine_model_destroy(m0);

    int nt = nthreads;
#if defined(_OPENMP)
    omp_set_num_threads(nt);
#endif
    tsct_refine_model *models[64];
    for (int t = 0; t < nt; t++)
        models[t] = make_model(q);
    double *res_vp = malloc((size_t)n * 4 * sizeof *res_vp);
    double *res_full = malloc((size_t)n * 4 * sizeof *res_full);
    double best_vp = INFINITY, best_full = INFINITY;
    long it_vp = 0, fev_vp = 0, it_full = 0, fev_full = 0;
    double model_full = 0;
    int bad_vp = 0, bad_full = 0;
    for (int rep = 0; rep < repeats; rep++) {
        it_vp = fev_vp = 0;
        bad_vp = 0;
        double t0 = bench_now();
#pragma omp parallel for schedule(dynamic, 8) reduction(+ : it_vp, fev_vp, bad_vp)
        for (int v = 0; v < n; v++) {
            int tid = 0;
#if defined(_OPENMP)
            tid = omp_get_thread_num();
#endif
            tsct_refine_model *m = models[tid];
            tsct_error e = TSCT_ERROR_INIT;
            for (int j = 0; j < 5; j++)
                tsct_refine_model_set(m, free_names[j], NAN, 1, &e);
            tsct_refine_model_set(m, "NMC.a", a0, 1, &e);
            tsct_refine_model_set(m, "NMC.c", c0, 1, &e);
            for (int j = 0; j < NBG; j++) {
                char nm[16];
                snprintf(nm, sizeof nm, "bg.%d", j);
                tsct_refine_model_set(m, nm, NAN, 1, &e);
            }
            tsct_refine_result r;
            tsct_status st = tsct_refine_run(m, ys + (int64_t)v * NQ, ws + (int64_t)v * NQ,
                                             NULL, &r, NULL, &e);
            bad_vp += st != TSCT_OK;
            it_vp += r.niter;
            fev_vp += r.nfev;
            tsct_refine_param *pa = tsct_refine_model_param(m, tsct_refine_model_find(m, "NMC.a"));
            tsct_refine_param *pc = tsct_refine_model_param(m, tsct_refine_model_find(m, "NMC.c"));
            res_vp[4 * v] = pa->value, res_vp[4 * v + 1] = pa->esd;
            res_vp[4 * v + 2] = pc->value, res_vp[4 * v + 3] = pc->esd;
        }
        best_vp = fmin(best_vp, bench_now() - t0);

        it_full = fev_full = 0;
        bad_full = 0;
        model_full = 0;
        t0 = bench_now();
#pragma omp parallel for schedule(dynamic, 8) reduction(+ : it_full, fev_full, bad_full, model_full)
        for (int v = 0; v < n; v++) {
            int tid = 0;
#if defined(_OPENMP)
            tid = omp_get_thread_num();
#endif
            tsct_refine_model *m = models[tid];
            full_ctx c = {.m = m, .y = ys + (int64_t)v * NQ};
            double sw[NQ], f[NQ];
            for (int i = 0; i < NQ; i++)
                sw[i] = sqrt(ws[(int64_t)v * NQ + i]);
            c.sw = sw;
            c.f = f;
            int np = tsct_refine_model_nparams(m);
            c.jac = malloc((size_t)np * NQ * sizeof *c.jac);
            double p[32];
            /* linear parameters start at the mean pattern's values */
            const double start[5] = {s0[0] * k, s0[1] * k, s0[2] * k, s0[3] * k, 2.5 * k};
            for (int j = 0; j < 5; j++) {
                c.idx[c.np] = tsct_refine_model_find(m, free_names[j]);
                p[c.np++] = start[j];
            }
            c.idx[c.np] = tsct_refine_model_find(m, "NMC.a");
            p[c.np++] = a0;
            c.idx[c.np] = tsct_refine_model_find(m, "NMC.c");
            p[c.np++] = c0;
            for (int j = 0; j < NBG; j++) {
                char nm[16];
                snprintf(nm, sizeof nm, "bg.%d", j);
                c.idx[c.np] = tsct_refine_model_find(m, nm);
                p[c.np++] = j == 0 ? 50.0 * k : 0.0;
            }
            tsct_fit_params fp = TSCT_FIT_PARAMS_DEFAULT;
            fp.ftol = fp.xtol = 1e-9;
            fp.max_iter = 100;
            double cov[32 * 32];
            tsct_fit_lsq_info info;
            tsct_error e = TSCT_ERROR_INIT;
            tsct_status st = tsct_fit_lsq(full_fn, &c, NQ, c.np, p, &fp, cov, &info, &e);
            bad_full += st != TSCT_OK;
            it_full += info.niter;
            fev_full += info.nfev;
            model_full += c.t_model;
            double red = info.chi2 / (NQ - c.np);
            res_full[4 * v] = p[5], res_full[4 * v + 1] = sqrt(cov[5 * c.np + 5] * red);
            res_full[4 * v + 2] = p[6], res_full[4 * v + 3] = sqrt(cov[6 * c.np + 6] * red);
            free(c.jac);
        }
        best_full = fmin(best_full, bench_now() - t0);
    }
    /* agreement and accuracy */
    double worst = 0, pull_a = 0, pull_c = 0;
    for (int v = 0; v < n; v++) {
        worst = fmax(worst, fabs(res_vp[4 * v] - res_full[4 * v]) / res_vp[4 * v + 1]);
        worst = fmax(worst, fabs(res_vp[4 * v + 2] - res_full[4 * v + 2]) / res_vp[4 * v + 3]);
        double pa = (res_vp[4 * v] - truth[2 * v]) / res_vp[4 * v + 1];
        double pc = (res_vp[4 * v + 2] - truth[2 * v + 1]) / res_vp[4 * v + 3];
        pull_a += pa * pa / n;
        pull_c += pc * pc / n;
    }
    /* the share of the model in the projected refinement: one thread, a few patterns */
    tsct_refine_model *m = models[0];
    double t_model = 0, t_all = 0;
    int nsample = n < 200 ? n : 200;
    for (int v = 0; v < nsample; v++) {
        set(m, "NMC.a", a0, 1);
        set(m, "NMC.c", c0, 1);
        tsct_refine_result r;
        double t0 = bench_now();
        tsct_refine_run(m, ys + (int64_t)v * NQ, ws + (int64_t)v * NQ, NULL, &r, NULL, &err);
        t_all += bench_now() - t0;
        t0 = bench_now();
        for (int e = 0; e < r.nfev; e++)
            tsct_refine_model_evaluate(m, y, NULL, &err);
        t_model += bench_now() - t0;
    }
    printf("bench_refine: %d patterns of %d points, 4 phases + 1 peak + %d background terms; "
           "refined per pattern: 4 scales, peak area, %d background (linear), NMC a, c; "
           "%d threads, best of %d\n", n, NQ, NBG, NBG, nt, repeats);
    printf("  variable projection : %8.1f patterns/s  %.2f iterations, %.2f evaluations per "
           "pattern, %d not converged; model evaluations (with derivative slots) ~%.0f %% of "
           "the time\n", n / best_vp, (double)it_vp / n, (double)fev_vp / n, bad_vp,
           100 * t_model / t_all);
    printf("  conventional LM     : %8.1f patterns/s  %.2f iterations, %.2f evaluations per "
           "pattern, %d not converged; model %.0f %% of its time\n", n / best_full,
           (double)it_full / n, (double)fev_full / n, bad_full, 100 * model_full / (best_full * nt));
    printf("  ratio %.2f; a, c agree within %.2g ESD; pulls (fit - truth)/ESD rms: a %.2f, c "
           "%.2f\n", best_full / best_vp, worst, sqrt(pull_a), sqrt(pull_c));
    printf("  200 000 voxels would take %.0f s (issue 16: <= 600 s, >= 330 voxels/s)\n",
           200000.0 * best_vp / n);
    for (int t = 0; t < nt; t++)
        tsct_refine_model_destroy(models[t]);
    free(ys), free(ws), free(truth), free(y), free(res_vp), free(res_full);
    return 0;
}
