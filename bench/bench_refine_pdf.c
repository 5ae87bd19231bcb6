/* bench_refine_pdf.c - per-voxel real-space refinements per second: the workload of issue 24's
 * speed check (bench/METHOD_refine_pdf.md).
 *
 * G(r) of 1 500 points (r 1 .. 30.98 A in steps of 0.02 A, Qmax 25 1/A) of one crystalline
 * phase (fcc Ni from its CIF) with a spherical envelope, made by the model itself with random
 * per-voxel diameters (20 .. 80 A), lattice (3.524 A +- 0.2 %), Uiso (0.004 .. 0.008 A^2) and
 * scale (0.5 .. 1.5), Qdamp 0.03 held, Gaussian noise of 1 % of max |G|. Each is refined from
 * the mean values with scale (solved exactly), a, uiso and diameter free (tsct_refine_run,
 * ESDs included). One model per thread, OpenMP over voxels.
 *
 * Beside it, in the same run: the direct evaluation of the same model (tsct_pdfmodel_evaluate,
 * G alone and G with the derivatives a fit asks for), evaluations per second per thread,
 * and the evaluations one fit needs: the fit's rate is then explained by the model's cost.
 * There is no peer to run beside it: PDFgui / diffpy.srfit are not Debian packages. The
 * figure is read against the bar (1 000 voxels/s on 2 cores).
 *
 * usage: bench_refine_pdf [--n 400] [--threads 2] [--repeats 3] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tsct/crystal.h"
#include "tsct/pdfmodel.h"
#include "tsct/refine.h"

#include "bench_util.h"

#if defined(_OPENMP)
#include <omp.h>
#endif

#define NR 1500
#define CIF TSCT_SOURCE_DIR "/tests/data/cif/Ni_COD9008476.cif"


static tsct_refine_model *model(const double *r)
{
    tsct_refine_phase_desc ph = {"Ni", CIF, {0, 0, 0}};
    tsct_refine_model_params mp = TSCT_REFINE_MODEL_PARAMS_DEFAULT;
    mp.space = TSCT_REFINE_SPACE_R;
    mp.qmax = 25.0;
    mp.nbackground = 0;
    tsct_refine_model *m = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    if (tsct_refine_model_create(&mp, &ph, 1, NULL, 0, NULL, 0, r, NR, &m, &err) != TSCT_OK) {
        fprintf(stderr, "bench_refine_pdf: %s\n", err.message);
        exit(1);
    }
    tsct_refine_model_set(m, "instrument.qdamp", 0.03, 0, &err);
    return m;
}

static void start(tsct_refine_model *m, double a, double u, double d, double s, int refine)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_refine_model_set(m, "Ni.a", a, refine, &err);
    tsct_refine_model_set(m, "Ni.uiso", u, refine, &err);
    tsct_refine_model_set(m, "Ni.diameter", d, refine, &err);
    tsct_refine_model_set(m, "Ni.scale", s, -1, &err);
}

int main(int argc, char **argv)
{
    int64_t nvox = 400;
    int threads = 2, repeats = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--n"))
            nvox = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--repeats"))
            repeats = atoi(argv[i + 1]);
    }
#if defined(_OPENMP)
    omp_set_num_threads(threads);
#endif
    double r[NR];
    for (int i = 0; i < NR; i++)
        r[i] = 1.0 + 0.02 * i;
    /* the voxels' G(r), made by the model */
    double *g = malloc((size_t)nvox * NR * sizeof *g), *truth = malloc((size_t)nvox * 4 * 8);
    tsct_refine_model *m0 = model(r);
    tsct_error err = TSCT_ERROR_INIT;
    for (int64_t v = 0; v < nvox; v++) {
        double *t = truth + 4 * v;
        t[0] = 3.524 * (1 + 0.002 * (2 * bench_unif() - 1));
        t[1] = 0.004 + 0.004 * bench_unif();
        t[2] = 20 + 60 * bench_unif();
        t[3] = 0.5 + bench_unif();
        start(m0, t[0], t[1], t[2], t[3], 0);
        double *y = g + v * NR;
        if (tsct_refine_model_evaluate(m0, y, NULL, &err) != TSCT_OK) {
            fprintf(stderr, "bench_refine_pdf: %s\n", err.message);
            return 1;
        }
        double ymax = 0;
        for (int i = 0; i < NR; i++)
            ymax = fmax(ymax, fabs(y[i]));
        for (int i = 0; i < NR; i++)
            y[i] += 0.01 * ymax * bench_gauss();
    }
    tsct_refine_model_destroy(m0);

    /* direct evaluation of the same model (one thread) */
    tsct_crystal *cr = NULL;
    tsct_pdfmodel *pm = NULL, *pt = NULL;
    const int drive[6] = {7, 0, 0, 0, 0, 0}; /* cubic a drives a, b, c */
    if (tsct_crystal_read_cif(&cr, CIF, &err) != TSCT_OK ||
        tsct_pdfmodel_create_crystal(&pm, cr, r, NR, 25.0, &err) != TSCT_OK ||
        tsct_pdfmodel_create_crystal_tied(&pt, cr, r, NR, 25.0, 1, drive, &err) != TSCT_OK) {
        fprintf(stderr, "bench_refine_pdf: %s\n", err.message);
        return 1;
    }
    tsct_pdfmodel_params q = TSCT_PDFMODEL_PARAMS_DEFAULT;
    q.cell = (tsct_cell){3.524, 3.524, 3.524, 90, 90, 90};
    q.uiso = 0.006;
    q.qdamp = 0.03;
    q.diameter = 50;
    const unsigned bits = (1u << TSCT_PDFMODEL_A) | (1u << TSCT_PDFMODEL_B) |
                          (1u << TSCT_PDFMODEL_C) | (1u << TSCT_PDFMODEL_UISO) |
                          (1u << TSCT_PDFMODEL_DIAMETER);
    double *y = malloc(NR * sizeof *y), *dy = malloc(5 * NR * sizeof *dy);
    const unsigned tbits = (1u << TSCT_PDFMODEL_A) | (1u << TSCT_PDFMODEL_UISO) |
                           (1u << TSCT_PDFMODEL_DIAMETER);
    double t_g = 1e30, t_d = 1e30, t_tg = 1e30, t_td = 1e30;
    for (int rep = 0; rep < repeats; rep++) {
        double t0 = bench_now();
        for (int k = 0; k < 5; k++)
            tsct_pdfmodel_evaluate(pm, &q, 0, y, NULL, &err);
        double t1 = bench_now();
        for (int k = 0; k < 5; k++)
            tsct_pdfmodel_evaluate(pm, &q, bits, y, dy, &err);
        double t2 = bench_now();
        for (int k = 0; k < 200; k++)
            tsct_pdfmodel_evaluate(pt, &q, 0, y, NULL, &err);
        double t3 = bench_now();
        for (int k = 0; k < 200; k++)
            tsct_pdfmodel_evaluate(pt, &q, tbits, y, dy, &err);
        double t4 = bench_now();
        t_g = fmin(t_g, (t1 - t0) / 5), t_d = fmin(t_d, (t2 - t1) / 5);
        t_tg = fmin(t_tg, (t3 - t2) / 200), t_td = fmin(t_td, (t4 - t3) / 200);
    }
    tsct_pdfmodel_destroy(pm);
    tsct_pdfmodel_destroy(pt);
    tsct_crystal_destroy(cr);

    /* the fits: one model per thread, planned before the clock starts */
    tsct_refine_model *models[64];
    if (threads < 1 || threads > 64)
        threads = 2;
    for (int t = 0; t < threads; t++)
        models[t] = model(r);
    double best = 1e30, best_cpu = 1e30, sum_nfev = 0, sum_iter = 0, worst_pull = 0;
    int64_t bad = 0;
    for (int rep = 0; rep < repeats; rep++) {
        double nfev = 0, niter = 0, pull = 0;
        int64_t nbad = 0;
        double t0 = bench_now();
        const clock_t c0 = clock();
#pragma omp parallel reduction(+ : nfev, niter, nbad) reduction(max : pull)
        {
#if defined(_OPENMP)
            tsct_refine_model *m = models[omp_get_thread_num()];
#else
            tsct_refine_model *m = models[0];
#endif
            tsct_refine_params rp = TSCT_REFINE_PARAMS_DEFAULT;
            tsct_refine_result res;
            tsct_error e2 = TSCT_ERROR_INIT;
            double w[NR];
            for (int i = 0; i < NR; i++)
                w[i] = 1;
#pragma omp for schedule(dynamic, 4)
            for (int64_t v = 0; v < nvox; v++) {
                start(m, 3.524, 0.006, 50, 1, 1);
                tsct_status st = tsct_refine_run(m, g + v * NR, w, &rp, &res, NULL, &e2);
                if (st != TSCT_OK || res.status != TSCT_REFINE_CONVERGED) {
                    nbad++;
                    continue;
                }
                nfev += res.nfev, niter += res.niter;
                tsct_refine_param *a = tsct_refine_model_param(m, tsct_refine_model_find(m,
                                                                                     "Ni.a"));
                pull = fmax(pull, fabs(a->value - truth[4 * v]) / a->esd);
            }
        }
        double t = bench_now() - t0;
        best = fmin(best, t);
        best_cpu = fmin(best_cpu, (double)(clock() - c0) / CLOCKS_PER_SEC);
        sum_nfev = nfev, sum_iter = niter, bad = nbad, worst_pull = pull;
    }
    for (int t = 0; t < threads; t++)
        tsct_refine_model_destroy(models[t]);
    const double ok = (double)(nvox - bad);
    printf("bench_refine_pdf: %lld voxels, %d points, Ni + sphere, %d threads, best of %d\n",
           (long long)nvox, NR, threads, repeats);
    printf("  direct evaluation (1 thread), pairs listed at every call: G %.3f ms, G + 5 "
           "derivatives %.3f ms\n", 1e3 * t_g, 1e3 * t_d);
    printf("  direct evaluation (1 thread), lattice-tied model (pairs planned once): G %.3f ms, "
           "G + 3 derivatives %.3f ms\n", 1e3 * t_tg, 1e3 * t_td);
    printf("  fits: %.1f voxels/s (%.2f ms per voxel per thread), %.1f iterations, %.1f "
           "evaluations per fit, %lld not converged\n",
           (double)nvox / best, 1e3 * best * threads / (double)nvox, sum_iter / ok,
           sum_nfev / ok, (long long)bad);
    printf("  CPU time %.3f ms per voxel (all threads): %.0f voxels/s on 2 idle cores\n",
           1e3 * best_cpu / (double)nvox, 2.0 * (double)nvox / best_cpu);
    printf("  largest |a - truth| / esd %.2f; the bar: 1000 voxels/s on 2 cores (wall-clock "
           "ratio %.3f, CPU-time ratio %.3f)\n", worst_pull, (double)nvox / best / 1000.0,
           2.0 * (double)nvox / best_cpu / 1000.0);
    free(g), free(truth), free(y), free(dy);
    return 0;
}
