/* bench_powder.c - timings of the powder pattern and Debye kernels (method: METHOD_powder.md).
 *
 *   bench_powder [--threads N] [--repeats R] [--radius A]
 *
 * Pattern: tsct_powder_evaluate on a BiVO4 pattern (Q 0.5..15 1/Angstrom, 7251 points,
 * lambda 0.2 Angstrom), with and without the Jacobian, windowed (+-50 FWHM) and unwindowed
 * (every peak on every point: the reference without the design's shortcut).
 * Debye: a Si sphere (default R 15 Angstrom), histogram + I(Q) at 2501 Q against the direct
 * double sum over pairs and Q (timed on a subset of Q and extrapolated linearly). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/debye.h"
#include "tsct/powder.h"
#include "tsct/progress.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static double time_pattern(const tsct_powder_plan *plan, const double *p, double *y, double *jac,
                           int repeats)
{
    double t[101];
    tsct_error err = TSCT_ERROR_INIT;
    tsct_powder_evaluate(plan, p, y, jac, &err);   /* warm-up */
    for (int r = 0; r < repeats; r++) {
        double t0 = tsct_clock();
        if (tsct_powder_evaluate(plan, p, y, jac, &err) != TSCT_OK) {
            fprintf(stderr, "%s\n", err.message);
            exit(1);
        }
        t[r] = tsct_clock() - t0;
    }
    return median(t, repeats);
}

int main(int argc, char **argv)
{
    int threads = 2, repeats = 21;
    double radius = 15.0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--threads") == 0)
            threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--repeats") == 0)
            repeats = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--radius") == 0)
            radius = atof(argv[i + 1]);
    }
    if (repeats < 1 || repeats > 101)
        repeats = 21;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_crystal *bivo4 = NULL, *si = NULL;
    if (tsct_crystal_read_cif(&bivo4, TSCT_SOURCE_DIR "/data/structures/BiVO4_monoclinic_scheelite.cif",
                              &err) != TSCT_OK ||
        tsct_crystal_read_cif(&si, TSCT_SOURCE_DIR "/tests/data/cif/Si_COD9008566.cif", &err) !=
            TSCT_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }

    /* ---- pattern ---- */
    const int64_t n = 7251;
    double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    for (int64_t i = 0; i < n; i++)
        x[i] = 0.5 + 0.002 * (double)i;
    tsct_powder_params pp = TSCT_POWDER_PARAMS_DEFAULT;
    pp.wavelength = 0.2;
    pp.nbackground = 4;
    tsct_powder_plan *pw = NULL, *pf = NULL;
    double t0 = tsct_clock();
    if (tsct_powder_plan_create(&pw, bivo4, x, n, &pp, &err) != TSCT_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    double tplan = tsct_clock() - t0;
    pp.window = 1e9;
    tsct_powder_plan_create(&pf, bivo4, x, n, &pp, &err);
    int64_t np = tsct_powder_plan_nparams(pw);
    double *p = calloc((size_t)np, sizeof *p), *jac = malloc((size_t)(np * n) * sizeof *jac);
    tsct_powder_plan_default_params(pw, p);
    p[TSCT_POWDER_P_W] = 4e-4;    /* FWHM 0.02 degree: ~ 0.02 1/Angstrom at Q 8 */
    p[TSCT_POWDER_P_SIZE] = 500.0;
    double tw = time_pattern(pw, p, y, NULL, repeats);
    double twj = time_pattern(pw, p, y, jac, repeats);
    double tf = time_pattern(pf, p, y, NULL, repeats < 5 ? repeats : 5);
    printf("pattern BiVO4: %lld reflection classes, %lld points, %lld parameters; plan %.3f ms\n",
           (long long)tsct_powder_plan_reflection_count(pw), (long long)n, (long long)np,
           1e3 * tplan);
    printf("  evaluate, window +-50 FWHM:        %9.3f ms (median of %d)\n", 1e3 * tw, repeats);
    printf("  evaluate + Jacobian (17 columns):  %9.3f ms\n", 1e3 * twj);
    printf("  evaluate, every peak on every point: %7.3f ms  -> windowing %.1fx faster\n",
           1e3 * tf, tf / tw);

    /* ---- Debye ---- */
    tsct_debye_cut_params cp = TSCT_DEBYE_CUT_PARAMS_DEFAULT;
    cp.radius = radius;
    tsct_debye_cluster *cl = NULL;
    tsct_debye_cluster_cut(&cl, si, &cp, &err);
    const int64_t nq = 2501, natoms = tsct_debye_cluster_atom_count(cl);
    double *q = malloc((size_t)nq * sizeof *q), *iq = malloc((size_t)nq * sizeof *iq);
    for (int64_t m = 0; m < nq; m++)
        q[m] = 0.01 * (double)m;
    tsct_debye_params dp = TSCT_DEBYE_PARAMS_DEFAULT;
    dp.nthreads = threads;
    double th[101], ti[101];
    for (int r = 0; r < 5; r++) {
        tsct_debye_histogram *h = NULL;
        t0 = tsct_clock();
        tsct_debye_histogram_create(&h, cl, &dp, &err);
        double t1 = tsct_clock();
        tsct_debye_intensity(h, q, nq, iq, &err);
        th[r] = t1 - t0;
        ti[r] = tsct_clock() - t1;
        tsct_debye_histogram_destroy(h);
    }
    double thist = median(th, 5), tint = median(ti, 5);
    /* direct double sum on every 50th Q, one thread */
    const double *xyz = tsct_debye_cluster_positions(cl);
    const tsct_formfactor *ff = tsct_debye_cluster_species_formfactor(cl, 0);
    int64_t nsub = 0;
    volatile double sink = 0.0;
    t0 = tsct_clock();
    for (int64_t m = 0; m < nq; m += 50, nsub++) {
        double f = tsct_formfactor_f0(ff, q[m]), s = 0.0;
        for (int64_t i = 0; i < natoms; i++)
            for (int64_t j = 0; j < natoms; j++) {
                double dx = xyz[3 * i] - xyz[3 * j], dy = xyz[3 * i + 1] - xyz[3 * j + 1],
                       dz = xyz[3 * i + 2] - xyz[3 * j + 2];
                double qr = q[m] * sqrt(dx * dx + dy * dy + dz * dz);
                s += f * f * (qr > 0.0 ? sin(qr) / qr : 1.0);
            }
        sink += s;
    }
    double tdirect = (tsct_clock() - t0) / (double)nsub * (double)nq;
    printf("debye Si sphere R %g A: %lld atoms, %d threads\n", radius, (long long)natoms,
           threads);
    printf("  pair histogram:  %9.3f ms (median of 5)\n", 1e3 * thist);
    printf("  I(Q), %lld Q:    %9.3f ms\n", (long long)nq, 1e3 * tint);
    printf("  direct sum:      %9.1f ms (1 thread, %lld Q timed, extrapolated) -> %.0fx\n",
           1e3 * tdirect, (long long)nsub, tdirect / (thist + tint));
    (void)sink;
    free(q);
    free(iq);
    free(x);
    free(y);
    free(p);
    free(jac);
    tsct_debye_cluster_destroy(cl);
    tsct_powder_plan_destroy(pw);
    tsct_powder_plan_destroy(pf);
    tsct_crystal_destroy(bivo4);
    tsct_crystal_destroy(si);
    return 0;
}
