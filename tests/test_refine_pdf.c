/* test_refine_pdf.c - the real-space model of tsct/refine.h (space = R): phases as calculated
 * G(r) of tsct/pdfmodel.h inside the refinement engine.
 *
 *  - derivatives: every nonlinear parameter's Jacobian row (lattice of cubic Ni and of
 *    monoclinic BiVO4, uiso, delta1, delta2, sphere diameter, log-normal dsig, qdamp, qbroad;
 *    a cluster cut from a CIF) against central differences of the model, within 1e-4 of the
 *    row's largest value (dsig's derivative is itself a central difference in pdfmodel);
 *  - exact answers: a two-phase G(r) (a 40 A Ni nanoparticle and a Bi cluster cut from its CIF)
 *    made by the model at known values is refined from a start 1 - 20 % away and returns the
 *    values to 1e-6 (relative), the scales to 1e-6, Rw below 1e-8;
 *  - the same G(r) made by tsct_pdfmodel_evaluate directly (not through the refinement's
 *    columns) is what the model gives, to 1e-12 of max |G|;
 *  - the lattice-tied pdfmodel (pairs planned once) equals the plain one at a moved
 *    monoclinic cell: G within 1e-9 of max |G|, free-parameter derivatives within 1e-8;
 *  - bad input: a grid that is not uniform, a negative Qmax, a diameter refined from "bulk"
 *    (infinite), an .xyz with a radius, a diameter set <= 0.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/pdfmodel.h"
#include "tsct/refine.h"
#include "tsct_test.h"

#define CIFDIR TSCT_TEST_DATA "/cif"
#define STRUCTDIR TSCT_TEST_DATA "/../../data/structures"

static tsct_refine_model *make(const tsct_refine_phase_desc *ph, int nph, const double *radius,
                               const double *r, int64_t n, double qmax)
{
    tsct_refine_model_params mp = TSCT_REFINE_MODEL_PARAMS_DEFAULT;
    mp.space = TSCT_REFINE_SPACE_R;
    mp.qmax = qmax;
    mp.nbackground = 0;
    mp.radius = radius;
    tsct_refine_model *m = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_refine_model_create(&mp, ph, nph, NULL, 0, NULL, 0, r, n, &m, &err), &err);
    return m;
}

static void set(tsct_refine_model *m, const char *name, double v, int refine)
{
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_refine_model_set(m, name, v, refine, &err), &err);
}

/* A crystal (fcc Ni) and a cluster (Bi cut to 4 A) on r[n], terminated at 25 1/A. */
static tsct_refine_model *ni_bi(const double *r, int64_t n)
{
    tsct_refine_phase_desc ph[2] = {{"Ni", CIFDIR "/Ni_COD9008476.cif", {0, 0, 0}},
                                    {"Bi", CIFDIR "/Bi_COD9008576.cif", {0, 0, 0}}};
    const double radius[2] = {0, 4.0};
    return make(ph, 2, radius, r, n, 25.0);
}

/* Every nonlinear parameter's row of the Jacobian against central differences. */
static void check_derivatives(tsct_refine_model *m, int64_t n, const char *what)
{
    const int np = tsct_refine_model_nparams(m);
    double *y = malloc((size_t)n * sizeof *y), *yp = malloc((size_t)n * sizeof *yp);
    double *ym = malloc((size_t)n * sizeof *ym);
    double *jac = malloc((size_t)np * (size_t)n * sizeof *jac);
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_refine_model_evaluate(m, y, jac, &err), &err);
    double worst = 0;
    const char *wname = "";
    for (int j = 0; j < np; j++) {
        tsct_refine_param *q = tsct_refine_model_param(m, j);
        if (q->linear || !q->refine || tsct_refine_model_find(m, q->name) < 0)
            continue;
        const double v = q->value, h = fmax(fabs(v), 1e-2) * 1e-5;
        q->value = v + h;
        CHECK_OK(tsct_refine_model_evaluate(m, yp, NULL, &err), &err);
        q->value = v - h;
        CHECK_OK(tsct_refine_model_evaluate(m, ym, NULL, &err), &err);
        q->value = v;
        double dmax = 0, amax = 0;
        for (int64_t i = 0; i < n; i++) {
            const double num = (yp[i] - ym[i]) / (2 * h), ana = jac[(int64_t)j * n + i];
            dmax = fmax(dmax, fabs(num - ana));
            amax = fmax(amax, fabs(ana));
        }
        const double rel = dmax / fmax(amax, 1e-300);
        CHECK_MSG(amax > 0 && rel < 1e-4, "%s: d/d%s differs by %.3g of its largest %.3g", what,
                  q->name, rel, amax);
        if (rel > worst)
            worst = rel, wname = q->name;
    }
    printf("  %s: largest relative derivative difference %.2g (%s)\n", what, worst, wname);
    free(y), free(yp), free(ym), free(jac);
}

static void test_derivatives(void)
{
    const int64_t n = 700;
    double *r = tsct_test_grid(1.0, 0.02, n);
    tsct_refine_model *m = ni_bi(r, n);
    if (!m)
        return;
    set(m, "Ni.diameter", 30, 1);
    set(m, "Ni.uiso", 0.006, 1);
    set(m, "Ni.delta1", 0.3, 1);
    set(m, "Ni.delta2", 1.5, 1);
    set(m, "Ni.a", 3.53, 1);
    set(m, "instrument.qdamp", 0.04, 1);
    set(m, "instrument.qbroad", 0.01, 1);
    set(m, "Bi.uiso", 0.01, 1);
    set(m, "Bi.delta2", 0.5, 1);
    set(m, "Bi.scale", 0.3, -1);
    check_derivatives(m, n, "Ni sphere + Bi cluster");
    set(m, "Ni.dsig", 6, 1);
    check_derivatives(m, n, "Ni log-normal");
    CHECK(strcmp(tsct_refine_model_phase_system(m, 1), "cluster") == 0);
    CHECK(strcmp(tsct_refine_model_phase_system(m, 0), "cubic") == 0);
    CHECK(tsct_refine_model_ticks(m, 0, r, 1) == 0);
    tsct_refine_model_destroy(m);

    tsct_refine_phase_desc bv = {"BiVO4", STRUCTDIR "/BiVO4_monoclinic_scheelite.cif",
                                 {0, 0, 0}};
    const int64_t nb = 300;
    double *rb = tsct_test_grid(1.5, 0.03, nb);
    m = make(&bv, 1, NULL, rb, nb, 22.0);
    if (m) {
        CHECK(strcmp(tsct_refine_model_phase_system(m, 0), "monoclinic") == 0);
        const char *lat[4] = {"BiVO4.a", "BiVO4.b", "BiVO4.c", "BiVO4.gamma"};
        for (int k = 0; k < 4; k++)
            set(m, lat[k], NAN, 1);
        set(m, "BiVO4.uiso", 0.008, 1);
        set(m, "BiVO4.diameter", 25, 1);
        check_derivatives(m, nb, "monoclinic BiVO4");
        tsct_refine_model_destroy(m);
    }
    free(rb);
    free(r);
}

/* A G(r) made at known values is refined back to them. */
static void test_recovery(void)
{
    const int64_t n = 926;
    double *r = tsct_test_grid(1.5, 0.02, n);
    tsct_refine_model *m = ni_bi(r, n);
    if (!m) {
        free(r);
        return;
    }
    static const struct {
        const char *name;
        double truth, start;
    } v[] = {{"Ni.a", 3.531, 3.52},        {"Ni.uiso", 0.0055, 0.007},
             {"Ni.delta2", 2.0, 1.6},      {"Ni.diameter", 40.0, 48.0},
             {"instrument.qdamp", 0.035, 0.04}, {"Bi.uiso", 0.012, 0.010}};
    const int nv = (int)(sizeof v / sizeof v[0]);
    for (int k = 0; k < nv; k++)
        set(m, v[k].name, v[k].truth, 1);
    set(m, "Ni.scale", 0.8, -1);
    set(m, "Bi.scale", 0.35, -1);
    double *g = malloc((size_t)n * sizeof *g), *calc = malloc((size_t)n * sizeof *calc);
    double *w = malloc((size_t)n * sizeof *w);
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_refine_model_evaluate(m, g, NULL, &err), &err);

    /* the same G(r) from the pdfmodel directly: a Ni sphere plus the Bi cluster */
    tsct_crystal *ni = tsct_test_read_cif(CIFDIR "/Ni_COD9008476.cif");
    tsct_pdfmodel *pm = NULL;
    double gmax = 0, dmax = 0;
    if (ni && tsct_pdfmodel_create_crystal(&pm, ni, r, n, 25.0, &err) == TSCT_OK) {
        tsct_pdfmodel_params q = TSCT_PDFMODEL_PARAMS_DEFAULT;
        q.scale = 0.8;
        q.cell = (tsct_cell){3.531, 3.531, 3.531, 90, 90, 90};
        q.uiso = 0.0055;
        q.delta2 = 2.0;
        q.diameter = 40.0;
        q.qdamp = 0.035;
        CHECK_OK(tsct_pdfmodel_evaluate(pm, &q, 0, calc, NULL, &err), &err);
        /* the Bi part: the refinement model with the Ni scale at 0 */
        set(m, "Ni.scale", 0.0, -1);
        CHECK_OK(tsct_refine_model_evaluate(m, w, NULL, &err), &err);
        set(m, "Ni.scale", 0.8, -1);
        for (int64_t i = 0; i < n; i++) {
            gmax = fmax(gmax, fabs(g[i]));
            dmax = fmax(dmax, fabs(g[i] - calc[i] - w[i]));
        }
        CHECK_MSG(dmax <= 1e-12 * gmax, "the model is the pdfmodel's G: %.3g of %.3g", dmax,
                  gmax);
    }
    tsct_pdfmodel_destroy(pm);
    tsct_crystal_destroy(ni);

    for (int k = 0; k < nv; k++)
        set(m, v[k].name, v[k].start, 1);
    for (int64_t i = 0; i < n; i++)
        w[i] = 1.0;
    tsct_refine_params rp = TSCT_REFINE_PARAMS_DEFAULT;
    tsct_refine_result res;
    CHECK_OK(tsct_refine_run(m, g, w, &rp, &res, calc, &err), &err);
    printf("  recovery: %s after %d iterations, Rw %.3g\n",
           res.status == TSCT_REFINE_CONVERGED ? "converged" : "not converged", res.niter,
           res.rwp);
    CHECK_MSG(res.rwp < 1e-8, "Rw %g", res.rwp);
    for (int k = 0; k < nv; k++) {
        const double got = tsct_refine_model_param(m, tsct_refine_model_find(m, v[k].name))->value;
        CHECK_MSG(fabs(got - v[k].truth) <= 1e-6 * fabs(v[k].truth), "%s = %.9g, truth %g",
                  v[k].name, got, v[k].truth);
    }
    const double s1 = tsct_refine_model_param(m, tsct_refine_model_find(m, "Ni.scale"))->value;
    const double s2 = tsct_refine_model_param(m, tsct_refine_model_find(m, "Bi.scale"))->value;
    CHECK_MSG(fabs(s1 - 0.8) <= 1e-6 && fabs(s2 - 0.35) <= 1e-6, "scales %.9g %.9g", s1, s2);
    free(g), free(calc), free(w), free(r);
    tsct_refine_model_destroy(m);
}

/* A lattice-tied model (pairs planned once at the structure's cell) equals the model that
 * lists its pairs at every call, at a cell moved within its family: G and the free
 * parameters' derivatives (the sums of the entries' ones). Monoclinic BiVO4: a, b, c, gamma
 * free. */
static void test_tied(void)
{
    tsct_crystal *cr = tsct_test_read_cif(STRUCTDIR "/BiVO4_monoclinic_scheelite.cif");
    if (!cr)
        return;
    const int64_t n = 400;
    double *r = tsct_test_grid(1.0, 0.025, n);
    const int drive[6] = {1, 2, 4, 32, 0, 0};
    tsct_pdfmodel *plain = NULL, *tied = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_pdfmodel_create_crystal(&plain, cr, r, n, 24.0, &err), &err);
    CHECK_OK(tsct_pdfmodel_create_crystal_tied(&tied, cr, r, n, 24.0, 4, drive, &err), &err);
    const tsct_cell *c0 = tsct_crystal_cell(cr);
    tsct_pdfmodel_params q = TSCT_PDFMODEL_PARAMS_DEFAULT;
    q.cell = (tsct_cell){c0->a * 1.01, c0->b * 0.995, c0->c * 1.004, c0->alpha, c0->beta,
                         c0->gamma + 0.3};
    q.uiso = 0.007;
    q.diameter = 30;
    const unsigned all = (1u << TSCT_PDFMODEL_A) | (1u << TSCT_PDFMODEL_B) |
                         (1u << TSCT_PDFMODEL_C) | (1u << TSCT_PDFMODEL_GAMMA) |
                         (1u << TSCT_PDFMODEL_UISO);
    double *g1 = malloc((size_t)n * sizeof *g1), *g2 = malloc((size_t)n * sizeof *g2);
    double *d1 = malloc((size_t)(5 * n) * sizeof *d1), *d2 = malloc((size_t)(5 * n) * sizeof *d2);
    const unsigned tbits = (1u << TSCT_PDFMODEL_A) | (1u << TSCT_PDFMODEL_B) |
                           (1u << TSCT_PDFMODEL_C) | (1u << TSCT_PDFMODEL_ALPHA) |
                           (1u << TSCT_PDFMODEL_UISO);
    if (plain && tied) {
        CHECK_OK(tsct_pdfmodel_evaluate(plain, &q, all, g1, d1, &err), &err);
        CHECK_OK(tsct_pdfmodel_evaluate(tied, &q, tbits, g2, d2, &err), &err);
        double gmax = 0, dg = 0, dmax[5] = {0}, dd[5] = {0};
        for (int64_t i = 0; i < n; i++) {
            gmax = fmax(gmax, fabs(g1[i]));
            dg = fmax(dg, fabs(g1[i] - g2[i]));
            for (int k = 0; k < 5; k++) {
                dmax[k] = fmax(dmax[k], fabs(d1[k * n + i]));
                dd[k] = fmax(dd[k], fabs(d1[k * n + i] - d2[k * n + i]));
            }
        }
        printf("  tied BiVO4: G differs by %.2g of max |G|\n", dg / gmax);
        CHECK_MSG(dg <= 1e-9 * gmax, "tied G differs by %.3g of %.3g", dg, gmax);
        for (int k = 0; k < 5; k++)
            CHECK_MSG(dd[k] <= 1e-8 * dmax[k], "derivative %d differs by %.3g of %.3g", k,
                      dd[k], dmax[k]);
        CHECK_FAILS(tsct_pdfmodel_evaluate(tied, &q, 1u << TSCT_PDFMODEL_BETA, g2, d2, &err),
                    TSCT_ERR_VALUE, &err, "beta");
    }
    free(g1), free(g2), free(d1), free(d2), free(r);
    tsct_pdfmodel_destroy(plain);
    tsct_pdfmodel_destroy(tied);
    tsct_crystal_destroy(cr);
}

static void test_bad_input(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_refine_phase_desc ni = {"Ni", CIFDIR "/Ni_COD9008476.cif", {0, 0, 0}};
    tsct_refine_model_params mp = TSCT_REFINE_MODEL_PARAMS_DEFAULT;
    mp.space = TSCT_REFINE_SPACE_R;
    mp.nbackground = 0;
    tsct_refine_model *m = NULL;
    double r[50];
    for (int i = 0; i < 50; i++)
        r[i] = 1.0 + 0.05 * i + (i == 20 ? 0.01 : 0.0);
    CHECK_FAILS(tsct_refine_model_create(&mp, &ni, 1, NULL, 0, NULL, 0, r, 50, &m, &err),
                TSCT_ERR_VALUE, &err, "not uniform");
    r[20] = 2.0;
    mp.qmax = -1;
    CHECK_FAILS(tsct_refine_model_create(&mp, &ni, 1, NULL, 0, NULL, 0, r, 50, &m, &err),
                TSCT_ERR_VALUE, &err, "Qmax");
    mp.qmax = 0;
    const double rad = 3.0;
    tsct_refine_phase_desc x = {"C", TSCT_TEST_DATA "/physics_reference/none.xyz", {0, 0, 0}};
    mp.radius = &rad;
    CHECK_FAILS(tsct_refine_model_create(&mp, &x, 1, NULL, 0, NULL, 0, r, 50, &m, &err),
                TSCT_ERR_VALUE, &err, "radius");
    mp.radius = NULL;
    CHECK_OK(tsct_refine_model_create(&mp, &ni, 1, NULL, 0, NULL, 0, r, 50, &m, &err), &err);
    if (!m)
        return;
    CHECK_FAILS(tsct_refine_model_set(m, "Ni.diameter", -5, -1, &err), TSCT_ERR_VALUE, &err,
                "diameter");
    CHECK_FAILS(tsct_refine_model_set(m, "Ni.diameter", 0, -1, &err), TSCT_ERR_VALUE, &err,
                "diameter");
    CHECK_FAILS(tsct_refine_model_set(m, "Ni.size", 5, -1, &err), TSCT_ERR_NOT_FOUND, &err,
                "diameter");
    CHECK_FAILS(tsct_refine_model_set(m, "instrument.qdamp", -0.1, -1, &err), TSCT_ERR_VALUE,
                &err, "qdamp");
    set(m, "Ni.diameter", NAN, 1); /* refined from bulk (infinite): no starting value */
    double g[50];
    tsct_refine_params rp = TSCT_REFINE_PARAMS_DEFAULT;
    tsct_refine_result res;
    for (int i = 0; i < 50; i++)
        g[i] = sin(r[i]);
    CHECK_FAILS(tsct_refine_run(m, g, NULL, &rp, &res, NULL, &err), TSCT_ERR_VALUE, &err,
                "Ni.diameter");
    tsct_refine_model_destroy(m);
}

int main(void)
{
    test_derivatives();
    test_recovery();
    test_tied();
    test_bad_input();
    return tsct_test_finish("test_refine_pdf");
}
