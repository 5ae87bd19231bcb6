/* test_refine.c - the full-profile model and refinement (tsct/refine.h): analytic derivatives
 * of every parameter against central finite differences (cubic, hexagonal, orthorhombic and
 * monoclinic phases, March-Dollase, single peak, broad component, background, on Q and
 * 2theta grids); exact recovery of the parameters of a noiseless pattern from a shifted
 * start; honest ESDs on noisy patterns (pulls over repeated noise); weight fractions against
 * cell masses computed by hand; named errors for parameters a phase does not have, limits
 * outside physics and a CIF that does not parse. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/refine.h"
#include "tsct_test.h"

#define CIFDIR TSCT_TEST_DATA "/cif"
#define STRUCTDIR TSCT_TEST_DATA "/../../data/structures"

static double *grid(int64_t n, double lo, double hi)
{
    double *x = malloc((size_t)n * sizeof *x);
    for (int64_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * (double)i / (double)(n - 1);
    return x;
}

static void set(tsct_refine_model *m, const char *name, double v, int refine)
{
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_refine_model_set(m, name, v, refine, &err), &err);
}

/* Every parameter's analytic derivative against central differences, relative to the
 * column's norm. */
static void check_derivatives(tsct_refine_model *m, const char *what)
{
    tsct_error err = TSCT_ERROR_INIT;
    int64_t n = 0;
    int np = tsct_refine_model_nparams(m);
    /* n from a tick-free query: evaluate needs y[n]; the model's grid size is the caller's */
    n = 3000;
    double *y = malloc((size_t)n * sizeof *y), *yp = malloc((size_t)n * sizeof *y);
    double *ym = malloc((size_t)n * sizeof *y);
    double *jac = malloc((size_t)np * (size_t)n * sizeof *jac);
    CHECK_OK(tsct_refine_model_evaluate(m, y, jac, &err), &err);
    double worst = 0;
    const char *worst_name = "";
    for (int j = 0; j < np; j++) {
        tsct_refine_param *q = tsct_refine_model_param(m, j);
        double v = q->value;
        if (!isfinite(v))
            continue;
        double h = (q->linear ? 1e-2 : 1e-5) * fmax(fabs(v), 1e-3);
        q->value = v + h;
        CHECK_OK(tsct_refine_model_evaluate(m, yp, NULL, &err), &err);
        q->value = v - h;
        CHECK_OK(tsct_refine_model_evaluate(m, ym, NULL, &err), &err);
        q->value = v;
        double num = 0, den = 0;
        for (int64_t i = 0; i < n; i++) {
            double fd = (yp[i] - ym[i]) / (2 * h);
            num += (fd - jac[(int64_t)j * n + i]) * (fd - jac[(int64_t)j * n + i]);
            den += fd * fd;
        }
        double rel = den > 0 ? sqrt(num / den) : sqrt(num);
        CHECK_MSG(den > 0 || num == 0, "%s: %s has a zero finite difference", what, q->name);
        CHECK_MSG(rel < 1e-4, "%s: d/d%s differs from finite differences by %.3g relative",
                  what, q->name, rel);
        if (rel > worst) {
            worst = rel;
            worst_name = q->name;
        }
    }
    printf("%s: %d parameters, largest relative difference to finite differences %.2g (%s)\n",
           what, np, worst, worst_name);
    free(y), free(yp), free(ym), free(jac);
}

static void test_derivatives(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    /* Q grid: cubic CeO2, hexagonal NMC with March-Dollase along 003, orthorhombic V2O5, a
     * single peak, a broad component, 5 background terms, unpolarised */
    int64_t n = 3000;
    double *q = grid(n, 1.0, 6.0);
    double *broad = malloc((size_t)n * sizeof *broad);
    for (int64_t i = 0; i < n; i++)
        broad[i] = exp(-(q[i] - 1.6) * (q[i] - 1.6) / 0.3);
    tsct_refine_phase_desc ph[3] = {
        {"CeO2", CIFDIR "/CeO2_COD9009008.cif", {0, 0, 0}},
        {"NMC", STRUCTDIR "/NMC111_LiNi1_3Mn1_3Co1_3O2.cif", {0, 0, 3}},
        {"V2O5", CIFDIR "/V2O5_COD9012221.cif", {0, 0, 0}}};
    tsct_refine_peak_desc pk = {"sep", 1.45, 0.08, 0.3};
    tsct_refine_broad_desc br = {"glass", broad};
    tsct_refine_model_params mp = TSCT_REFINE_MODEL_PARAMS_DEFAULT;
    mp.wavelength = 0.2;
    mp.nbackground = 5;
    mp.polarization = TSCT_POWDER_POLARIZATION_UNPOLARIZED;
    mp.window = 1e5; /* every peak over the whole grid: no truncation steps in the differences */
    tsct_refine_model *m = NULL;
    CHECK_OK(tsct_refine_model_create(&mp, ph, 3, &pk, 1, &br, 1, q, n, &m, &err), &err);
    if (!m)
        return;
    CHECK(strcmp(tsct_refine_model_phase_system(m, 0), "cubic") == 0);
    CHECK(strcmp(tsct_refine_model_phase_system(m, 1), "hexagonal") == 0);
    CHECK(strcmp(tsct_refine_model_phase_system(m, 2), "orthorhombic") == 0);
    CHECK(tsct_refine_model_find(m, "CeO2.c") < 0 && tsct_refine_model_find(m, "NMC.c") >= 0);
    CHECK(tsct_refine_model_find(m, "V2O5.b") >= 0 && tsct_refine_model_find(m, "NMC.po") >= 0);
    set(m, "CeO2.scale", 2e-3, -1);
    set(m, "NMC.scale", 1e-3, -1);
    set(m, "V2O5.scale", 5e-4, -1);
    set(m, "CeO2.size", 80, -1);
    set(m, "NMC.size", 40, -1);
    set(m, "V2O5.size", 120, -1);
    set(m, "CeO2.strain", 1e-3, -1);
    set(m, "NMC.strain", 5e-4, -1);
    set(m, "CeO2.B", 0.5, -1);
    set(m, "NMC.po", 0.8, -1);
    set(m, "instrument.U", 2e-4, -1);
    set(m, "instrument.V", -5e-5, -1);
    set(m, "instrument.W", 5e-5, -1);
    set(m, "instrument.X", 2e-3, -1);
    set(m, "instrument.Y", 1e-3, -1);
    set(m, "instrument.zero", 0.003, -1);
    set(m, "sep.area", 3, -1);
    set(m, "glass.scale", 4, -1);
    for (int j = 0; j < 5; j++) {
        char nm[16];
        snprintf(nm, sizeof nm, "bg.%d", j);
        set(m, nm, 1.0 / (j + 1), -1);
    }
    check_derivatives(m, "Q grid, 3 phases");
    tsct_refine_model_destroy(m);

    /* 2theta grid: monoclinic BiVO4 (a, b, c, beta), no polarisation, Gaussian only */
    double *tt = grid(n, 5.0, 40.0);
    tsct_refine_phase_desc bv = {"BiVO4", STRUCTDIR "/BiVO4_monoclinic_scheelite.cif", {1, 1, 0}};
    mp.axis = TSCT_POWDER_AXIS_2THETA;
    mp.wavelength = 0.5;
    mp.nbackground = 2;
    mp.polarization = TSCT_POWDER_POLARIZATION_NONE;
    CHECK_OK(tsct_refine_model_create(&mp, &bv, 1, NULL, 0, NULL, 0, tt, n, &m, &err), &err);
    if (m) {
        CHECK(strcmp(tsct_refine_model_phase_system(m, 0), "monoclinic") == 0);
        CHECK(tsct_refine_model_find(m, "BiVO4.beta") >= 0 ||
              tsct_refine_model_find(m, "BiVO4.gamma") >= 0);
        set(m, "BiVO4.scale", 1e-4, -1);
        set(m, "BiVO4.size", 60, -1);
        set(m, "BiVO4.B", 1.0, -1);
        set(m, "BiVO4.po", 1.3, -1);
        set(m, "instrument.W", 2e-3, -1);
        set(m, "instrument.zero", -0.01, -1);
        check_derivatives(m, "2theta grid, monoclinic");
        tsct_refine_model_destroy(m);
    }
    free(q), free(broad), free(tt);
}

/* A pattern made by the model is recovered exactly from a shifted start, every linear
 * parameter solved without a starting value. */
static void test_recovery(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    int64_t n = 3000;
    double *q = grid(n, 1.0, 6.0);
    tsct_refine_phase_desc ph[2] = {{"CeO2", CIFDIR "/CeO2_COD9009008.cif", {0, 0, 0}},
                                    {"NMC", STRUCTDIR "/NMC111_LiNi1_3Mn1_3Co1_3O2.cif",
                                     {0, 0, 0}}};
    tsct_refine_peak_desc pk = {"sep", 1.45, 0.08, 0.3};
    tsct_refine_model_params mp = TSCT_REFINE_MODEL_PARAMS_DEFAULT;
    mp.wavelength = 0.2;
    mp.nbackground = 4;
    tsct_refine_model *m = NULL;
    CHECK_OK(tsct_refine_model_create(&mp, ph, 2, &pk, 1, NULL, 0, q, n, &m, &err), &err);
    if (!m)
        return;
    const char *names[] = {"CeO2.scale", "NMC.scale", "CeO2.a", "NMC.a", "NMC.c", "NMC.size",
                           "CeO2.size", "instrument.W", "sep.area", "sep.position",
                           "sep.fwhm", "bg.0", "bg.1", "bg.2", "bg.3"};
    double truth[] = {2e-3, 1e-3, 5.4123, 2.8590, 14.2301, 45.0, 150.0, 4e-5,
                      3.0,  1.46, 0.09, 10.0, -2.0, 1.0, 0.5};
    int nn = (int)(sizeof truth / sizeof truth[0]);
    for (int j = 0; j < nn; j++)
        set(m, names[j], truth[j], 1);
    double *y = malloc((size_t)n * sizeof *y);
    CHECK_OK(tsct_refine_model_evaluate(m, y, NULL, &err), &err);
    /* shifted start; linear ones at 0 */
    double start[] = {0, 0, 5.405, 2.862, 14.25, 30.0, 100.0, 8e-5,
                      0, 1.455, 0.07, 0, 0, 0, 0};
    for (int j = 0; j < nn; j++)
        set(m, names[j], start[j], 1);
    tsct_refine_result res;
    tsct_refine_params rp = TSCT_REFINE_PARAMS_DEFAULT;
    double *w = malloc((size_t)n * sizeof *w);
    for (int64_t i = 0; i < n; i++)
        w[i] = 1.0;
    CHECK_OK(tsct_refine_run(m, y, w, &rp, &res, NULL, &err), &err);
    double worst = 0;
    for (int j = 0; j < nn; j++) {
        double v = tsct_refine_model_param(m, tsct_refine_model_find(m, names[j]))->value;
        double rel = fabs(v - truth[j]) / fabs(truth[j]);
        CHECK_MSG(rel < 1e-6, "%s: %.12g, truth %.12g", names[j], v, truth[j]);
        worst = fmax(worst, rel);
    }
    CHECK(res.rwp < 1e-6);
    CHECK(res.status == TSCT_REFINE_CONVERGED);
    printf("noiseless recovery: %d parameters, largest relative error %.2g, Rwp %.2g, %d "
           "iterations\n", nn, worst, res.rwp, res.niter);

    /* Noise of known sigma, 40 realisations: pulls (fit - truth) / ESD of the lattice and the
     * scales have a standard deviation near 1, and GoF near 1. */
    for (int j = 0; j < nn; j++)
        set(m, names[j], truth[j], 1);
    CHECK_OK(tsct_refine_model_evaluate(m, y, NULL, &err), &err);
    double *yn = malloc((size_t)n * sizeof *yn);
    const int track[] = {0, 1, 2, 3, 4};
    const int ntrack = 5, nrep = 40;
    double s1[5] = {0}, s2[5] = {0}, gof = 0;
    unsigned long long seed = 12345;
    for (int rep = 0; rep < nrep; rep++) {
        for (int64_t i = 0; i < n; i++) {
            double sig = 0.02 * sqrt(fabs(y[i]) + 1);
            /* Box-Muller from a 64-bit LCG */
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            double u1 = ((seed >> 11) + 0.5) / 9007199254740992.0;
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            double u2 = ((seed >> 11) + 0.5) / 9007199254740992.0;
            yn[i] = y[i] + sig * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
            w[i] = 1 / (sig * sig);
        }
        for (int j = 0; j < nn; j++)
            set(m, names[j], start[j], 1);
        tsct_status st = tsct_refine_run(m, yn, w, &rp, &res, NULL, &err);
        CHECK_MSG(st == TSCT_OK, "repeat %d: %s", rep, err.message);
        gof += res.gof / nrep;
        for (int t = 0; t < ntrack; t++) {
            tsct_refine_param *p = tsct_refine_model_param(m,
                                                           tsct_refine_model_find(m, names[track[t]]));
            double pull = (p->value - truth[track[t]]) / p->esd;
            s1[t] += pull / nrep;
            s2[t] += pull * pull / nrep;
        }
    }
    for (int t = 0; t < ntrack; t++) {
        double sd = sqrt(s2[t] - s1[t] * s1[t]);
        printf("pulls of %s over %d noisy patterns: mean %.2f, sd %.2f\n", names[track[t]], nrep,
               s1[t], sd);
        CHECK_MSG(sd > 0.6 && sd < 1.5, "%s: pull sd %.2f", names[track[t]], sd);
        CHECK_MSG(fabs(s1[t]) < 0.6, "%s: pull mean %.2f", names[track[t]], s1[t]);
    }
    printf("mean GoF %.3f\n", gof);
    CHECK(gof > 0.95 && gof < 1.05);
    free(q), free(y), free(yn), free(w);
    tsct_refine_model_destroy(m);
}

/* Hill & Howard with cell masses by hand: CeO2 (Fm-3m, Z = 4) and Si (Z = 8). */
static void test_weight_fractions(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    int64_t n = 2000;
    double *q = grid(n, 1.5, 6.0);
    tsct_refine_phase_desc ph[2] = {{"CeO2", CIFDIR "/CeO2_COD9009008.cif", {0, 0, 0}},
                                    {"Si", CIFDIR "/Si_COD9008566.cif", {0, 0, 0}}};
    tsct_refine_model_params mp = TSCT_REFINE_MODEL_PARAMS_DEFAULT;
    mp.wavelength = 0.2;
    mp.nbackground = 1;
    tsct_refine_model *m = NULL;
    CHECK_OK(tsct_refine_model_create(&mp, ph, 2, NULL, 0, NULL, 0, q, n, &m, &err), &err);
    if (!m)
        return;
    double mce = 4 * (140.116 + 2 * 15.999), msi = 8 * 28.085;
    CHECK_NEAR(tsct_refine_model_phase_mass(m, 0), mce, 0.05);
    CHECK_NEAR(tsct_refine_model_phase_mass(m, 1), msi, 0.02);
    set(m, "CeO2.scale", 3e-3, 1);
    set(m, "Si.scale", 2e-3, 1);
    set(m, "bg.0", 1.0, 1);
    set(m, "instrument.W", 1e-4, 0);
    double *y = malloc((size_t)n * sizeof *y);
    CHECK_OK(tsct_refine_model_evaluate(m, y, NULL, &err), &err);
    tsct_refine_result res;
    CHECK_OK(tsct_refine_run(m, y, NULL, NULL, &res, NULL, &err), &err);
    double vce = tsct_refine_model_phase_volume(m, 0), vsi = tsct_refine_model_phase_volume(m, 1);
    double a = 3e-3 * mce * vce, b = 2e-3 * msi * vsi;
    CHECK_NEAR(res.weight_fraction[0], a / (a + b), 1e-5);
    CHECK_NEAR(res.weight_fraction[1], b / (a + b), 1e-5);
    printf("weight fractions CeO2 %.5f Si %.5f (by hand %.5f %.5f)\n", res.weight_fraction[0],
           res.weight_fraction[1], a / (a + b), b / (a + b));
    free(q), free(y);
    tsct_refine_model_destroy(m);
}

static void test_errors(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    int64_t n = 500;
    double *q = grid(n, 1.5, 6.0);
    tsct_refine_phase_desc ph = {"CeO2", CIFDIR "/CeO2_COD9009008.cif", {0, 0, 0}};
    tsct_refine_model_params mp = TSCT_REFINE_MODEL_PARAMS_DEFAULT;
    mp.wavelength = 0.2;
    tsct_refine_model *m = NULL;
    CHECK_OK(tsct_refine_model_create(&mp, &ph, 1, NULL, 0, NULL, 0, q, n, &m, &err), &err);
    if (m) {
        CHECK_FAILS(tsct_refine_model_set(m, "CeO2.c", 5.0, 1, &err), TSCT_ERR_NOT_FOUND, &err,
                    "CeO2 has no parameter 'c': its parameters are scale, a, size");
        CHECK_FAILS(tsct_refine_model_set(m, "Quartz.a", 5.0, 1, &err), TSCT_ERR_NOT_FOUND,
                    &err, "no component named 'Quartz'");
        CHECK_FAILS(tsct_refine_model_set(m, "CeO2.size", -3, 1, &err), TSCT_ERR_VALUE, &err,
                    "value -3 of CeO2.size is outside physics");
        CHECK_FAILS(tsct_refine_model_set_limits(m, "CeO2.size", -1, 100, &err), TSCT_ERR_VALUE,
                    &err, "limit -1 of CeO2.size");
        CHECK_FAILS(tsct_refine_model_set_limits(m, "CeO2.a", 5.5, 5.3, &err), TSCT_ERR_VALUE,
                    &err, "above the upper");
        tsct_refine_model_destroy(m);
    }
    /* a CIF that does not parse: the error names the file */
    const char *bad = TSCT_TEST_TMP "/bad.cif";
    tsct_test_tmpdir(TSCT_TEST_TMP);
    FILE *f = fopen(bad, "w");
    if (f) {
        fputs("data_x\n_cell_length_a 5.4\nloop_\n_atom_site_label\n'unterminated\n", f);
        fclose(f);
    }
    tsct_refine_phase_desc b = {"X", bad, {0, 0, 0}};
    tsct_error_clear(&err);
    CHECK(tsct_refine_model_create(&mp, &b, 1, NULL, 0, NULL, 0, q, n, &m, &err) != TSCT_OK);
    CHECK(m == NULL);
    CHECK_MSG(strstr(err.file, "bad.cif") != NULL, "file '%s' (%s)", err.file, err.message);
    tsct_refine_phase_desc dup[2] = {ph, ph};
    CHECK_FAILS(tsct_refine_model_create(&mp, dup, 2, NULL, 0, NULL, 0, q, n, &m, &err),
                TSCT_ERR_VALUE, &err, "two components are named 'CeO2'");
    free(q);
}

int main(void)
{
    test_derivatives();
    test_recovery();
    test_weight_fractions();
    test_errors();
    printf("%d checks, %d failures\n", tsct_test_checks, tsct_test_failures);
    return tsct_test_failures ? 1 : 0;
}
