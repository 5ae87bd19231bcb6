/* test_pdfmodel.c - calculated G(r) of crystals and clusters (tsct/pdfmodel.h).
 *
 *  - derivatives: every analytic column (scale, the six lattice parameters of a triclinic
 *    cell, uiso, delta1, delta2, qbroad, qdamp, diameter; a cluster's uiso, delta2, qdamp,
 *    rho0 and diameter) against central differences, to 1e-5 of max |dG|;
 *  - identities: the first shell of fcc Ni integrates to its 12 neighbours; the log-normal
 *    envelope equals the numerical volume-weighted average of sphere envelopes and tends to
 *    the sphere's as its width vanishes; a nanoparticle cut from the crystal (a cluster: every
 *    pair of its atoms) equals the crystal model times the spherical envelope of the same
 *    volume within 1 % of max |G| over 1.5-20 A (the bar) for fcc Ni, diamond Si and
 *    monoclinic BiVO4, with the same Uiso and Qmax;
 *  - real data: the PDFgetX2 Ni G(r) of the APS MUCAT example (Qmax 27) fitted over 1.5-20 A
 *    with scale, a, Uiso, delta2 and Qdamp (tsct_fit_lsq) gives a within 0.004 A of 3.524 A,
 *    Uiso in 0.003-0.008 A^2, Qdamp in 0.02-0.1 1/A and Rw <= 0.15;
 *  - bad input: a grid that is not uniform or does not start at a multiple of its step, a
 *    cluster without uiso, a site without Uiso, a negative diameter, a derivative the model
 *    does not have. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/crystal.h"
#include "tsct/debye.h"
#include "tsct/fit.h"
#include "tsct/pdfmodel.h"
#include "tsct_test.h"

#define CIFDIR TSCT_TEST_DATA "/cif"
#define STRUCTDIR TSCT_TEST_DATA "/../../data/structures"

static double maxabs(const double *y, int64_t n)
{
    double m = 0.0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs(y[i]));
    return m;
}

static double *param_ptr(tsct_pdfmodel_params *p, int k)
{
    double *lat[6] = {&p->cell.a, &p->cell.b, &p->cell.c,
                      &p->cell.alpha, &p->cell.beta, &p->cell.gamma};
    switch (k) {
    case TSCT_PDFMODEL_SCALE: return &p->scale;
    case TSCT_PDFMODEL_UISO: return &p->uiso;
    case TSCT_PDFMODEL_DELTA1: return &p->delta1;
    case TSCT_PDFMODEL_DELTA2: return &p->delta2;
    case TSCT_PDFMODEL_QBROAD: return &p->qbroad;
    case TSCT_PDFMODEL_QDAMP: return &p->qdamp;
    case TSCT_PDFMODEL_DIAMETER: return &p->diameter;
    case TSCT_PDFMODEL_DSIG: return &p->dsig;
    case TSCT_PDFMODEL_RHO0: return &p->rho0;
    default: return lat[k - TSCT_PDFMODEL_A];
    }
}

/* Analytic columns of `derivs` against central differences. */
static void check_derivs(const char *what, const tsct_pdfmodel *m, tsct_pdfmodel_params p,
                         unsigned derivs, double tol)
{
    const int64_t n = tsct_pdfmodel_size(m);
    int ncol = 0;
    for (int k = 0; k < TSCT_PDFMODEL_NPARAM; k++)
        ncol += (derivs >> k) & 1u;
    double *g = malloc((size_t)n * sizeof *g), *dg = malloc((size_t)(n * ncol) * sizeof *dg);
    double *gp = malloc((size_t)n * sizeof *gp), *gm = malloc((size_t)n * sizeof *gm);
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_pdfmodel_evaluate(m, &p, derivs, g, dg, &err), &err);
    int c = 0;
    for (int k = 0; k < TSCT_PDFMODEL_NPARAM; k++) {
        if (!((derivs >> k) & 1u))
            continue;
        tsct_pdfmodel_params q = p;
        double *v = param_ptr(&q, k);
        const double v0 = *v, h = 1e-5 * fmax(fabs(v0), 1e-2);
        *v = v0 + h;
        CHECK_OK(tsct_pdfmodel_evaluate(m, &q, 0, gp, NULL, &err), &err);
        *v = v0 - h;
        CHECK_OK(tsct_pdfmodel_evaluate(m, &q, 0, gm, NULL, &err), &err);
        double worst = 0.0, scale = maxabs(dg + (size_t)c * (size_t)n, n);
        for (int64_t i = 0; i < n; i++)
            worst = fmax(worst, fabs(dg[(size_t)c * (size_t)n + i] - (gp[i] - gm[i]) / (2 * h)));
        printf("  %s d/d%-8s max |analytic| %.4g, worst difference %.3g (%.2g relative)\n", what,
               tsct_pdfmodel_param_name(k), scale, worst, worst / fmax(scale, 1e-300));
        CHECK_MSG(scale > 0.0 && worst <= tol * scale, "%s d/d%s: %g of %g", what,
                  tsct_pdfmodel_param_name(k), worst, scale);
        c++;
    }
    free(g);
    free(dg);
    free(gp);
    free(gm);
}

static void test_derivatives(void)
{
    tsct_crystal *ni = tsct_test_read_cif(CIFDIR "/Ni_COD9008476.cif");
    double *r = tsct_test_grid(1.0, 0.01, 1501);
    tsct_pdfmodel *m = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_pdfmodel_create_crystal(&m, ni, r, 1501, 25.0, &err), &err);
    tsct_pdfmodel_params p = TSCT_PDFMODEL_PARAMS_DEFAULT;
    p.scale = 0.8;
    p.cell = (tsct_cell){3.52, 3.55, 3.50, 89.0, 91.0, 90.5}; /* triclinic: every derivative */
    p.uiso = 0.006;
    p.delta1 = 0.2;
    p.delta2 = 2.0;
    p.qbroad = 0.01;
    p.qdamp = 0.05;
    p.diameter = 40.0;
    unsigned all = 0;
    for (int k = TSCT_PDFMODEL_SCALE; k <= TSCT_PDFMODEL_DIAMETER; k++)
        all |= 1u << k;
    check_derivs("crystal", m, p, all, 1e-5);
    p.dsig = 6.0; /* log-normal: its two columns are central differences themselves */
    check_derivs("log-normal", m, p,
                 (1u << TSCT_PDFMODEL_DIAMETER) | (1u << TSCT_PDFMODEL_DSIG), 1e-4);
    tsct_pdfmodel_destroy(m);

    /* A cluster cut from the crystal, with a baseline. */
    tsct_debye_cut_params cp = TSCT_DEBYE_CUT_PARAMS_DEFAULT;
    cp.radius = 8.0;
    tsct_debye_cluster *cl = NULL;
    CHECK_OK(tsct_debye_cluster_cut(&cl, ni, &cp, &err), &err);
    CHECK_OK(tsct_pdfmodel_create_cluster(&m, cl, r, 1501, 25.0, &err), &err);
    tsct_pdfmodel_params q = TSCT_PDFMODEL_PARAMS_DEFAULT;
    q.uiso = 0.005;
    q.delta2 = 1.5;
    q.qdamp = 0.04;
    q.rho0 = 0.09;
    q.diameter = 16.0;
    check_derivs("cluster", m, q,
                 (1u << TSCT_PDFMODEL_SCALE) | (1u << TSCT_PDFMODEL_UISO) |
                     (1u << TSCT_PDFMODEL_DELTA2) | (1u << TSCT_PDFMODEL_QDAMP) |
                     (1u << TSCT_PDFMODEL_RHO0) | (1u << TSCT_PDFMODEL_DIAMETER),
                 1e-5);
    tsct_pdfmodel_destroy(m);
    tsct_debye_cluster_destroy(cl);
    tsct_crystal_destroy(ni);
    free(r);
}

/* The first shell of fcc Ni: without termination and damping, R(r) = r (G + 4 pi r rho0)
 * integrates over the shell to its 12 neighbours. */
static void test_first_shell(void)
{
    tsct_crystal *ni = tsct_test_read_cif(CIFDIR "/Ni_COD9008476.cif");
    const int64_t n = 1001;
    double *r = tsct_test_grid(0.0, 0.005, n), *g = malloc((size_t)n * sizeof *g);
    tsct_pdfmodel *m = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_pdfmodel_create_crystal(&m, ni, r, n, 0.0, &err), &err);
    tsct_pdfmodel_params p = TSCT_PDFMODEL_PARAMS_DEFAULT;
    p.uiso = 0.005;
    CHECK_OK(tsct_pdfmodel_evaluate(m, &p, 0, g, NULL, &err), &err);
    const double rho0 = tsct_pdfmodel_density(m, NULL);
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++)
        if (r[i] >= 2.0 && r[i] <= 3.0)
            sum += r[i] * (g[i] + 4.0 * M_PI * r[i] * rho0) * 0.005;
    printf("  fcc Ni: rho0 %.6f 1/A^3 (4 / a^3 = %.6f), first shell holds %.5f atoms\n", rho0,
           4.0 / pow(tsct_crystal_cell(ni)->a, 3), sum);
    CHECK_NEAR(rho0, 4.0 / pow(tsct_crystal_cell(ni)->a, 3), 1e-12);
    CHECK_NEAR(sum, 12.0, 1e-4);
    tsct_pdfmodel_destroy(m);
    tsct_crystal_destroy(ni);
    free(r);
    free(g);
}

/* The log-normal envelope against the numerical average of sphere envelopes over diameters
 * D, weighted by D^3 (atoms per particle) times the log-normal density. */
static void test_lognormal(void)
{
    const double d = 30.0, sd = 6.0;
    const double s2 = log(sd * sd / (d * d) + 1.0), mu = log(d) - 0.5 * s2;
    double worst = 0.0;
    for (double r = 0.5; r < 80.0; r += 0.5) {
        double num = 0.0, den = 0.0;
        for (double x = mu - 8.0 * sqrt(s2); x < mu + 8.0 * sqrt(s2); x += 1e-4) {
            const double D = exp(x), w = exp(-0.5 * (x - mu) * (x - mu) / s2) * D * D * D;
            const double u = r / D, env = u < 1.0 ? 1.0 - 1.5 * u + 0.5 * u * u * u : 0.0;
            num += w * env;
            den += w;
        }
        worst = fmax(worst, fabs(num / den - tsct_pdfmodel_envelope(r, d, sd)));
    }
    printf("  log-normal envelope (d 30, sd 6): worst difference to the numerical average "
           "%.2g\n", worst);
    CHECK(worst < 1e-5);
    double narrow = 0.0;
    for (double r = 0.5; r < 40.0; r += 0.5)
        narrow = fmax(narrow, fabs(tsct_pdfmodel_envelope(r, d, 1e-3) -
                                   tsct_pdfmodel_envelope(r, d, 0.0)));
    CHECK_MSG(narrow < 1e-3, "width 1e-3: %g from the sphere", narrow);
    CHECK(tsct_pdfmodel_envelope(10.0, 0.0, 0.0) == 1.0);
    CHECK(tsct_pdfmodel_envelope(31.0, 30.0, 0.0) == 0.0);
}

/* A nanoparticle cut from the crystal against the crystal model times the envelope. */
static void identity(const char *name, const char *cif, double radius, double uiso)
{
    tsct_crystal *x = tsct_test_read_cif(cif);
    const int64_t n = 2001;
    double *r = tsct_test_grid(0.0, 0.01, n);
    double *gc = malloc((size_t)n * sizeof *gc), *gn = malloc((size_t)n * sizeof *gn);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_debye_cut_params cp = TSCT_DEBYE_CUT_PARAMS_DEFAULT;
    cp.radius = radius;
    cp.centre[0] = cp.centre[1] = cp.centre[2] = 0.137; /* a general point */
    tsct_debye_cluster *cl = NULL;
    CHECK_OK(tsct_debye_cluster_cut(&cl, x, &cp, &err), &err);
    tsct_pdfmodel *mc = NULL, *mn = NULL;
    CHECK_OK(tsct_pdfmodel_create_crystal(&mc, x, r, n, 25.0, &err), &err);
    CHECK_OK(tsct_pdfmodel_create_cluster(&mn, cl, r, n, 25.0, &err), &err);
    /* The sphere holding the cluster's atoms at the crystal's density. */
    const double rho0 = tsct_pdfmodel_density(mc, NULL);
    double occ = 0.0;
    for (int64_t s = 0; s < tsct_debye_cluster_species_count(cl); s++) {
        int64_t count = 0;
        for (int64_t a = 0; a < tsct_debye_cluster_atom_count(cl); a++)
            count += tsct_debye_cluster_atom_species(cl)[a] == s;
        occ += (double)count * tsct_debye_cluster_species_occupancy(cl, s);
    }
    const double d = 2.0 * cbrt(3.0 * occ / (4.0 * M_PI * rho0));
    tsct_pdfmodel_params pc = TSCT_PDFMODEL_PARAMS_DEFAULT, pn = TSCT_PDFMODEL_PARAMS_DEFAULT;
    pc.uiso = pn.uiso = uiso;
    pc.diameter = d;
    pn.rho0 = rho0;
    pn.diameter = d;
    CHECK_OK(tsct_pdfmodel_evaluate(mc, &pc, 0, gc, NULL, &err), &err);
    CHECK_OK(tsct_pdfmodel_evaluate(mn, &pn, 0, gn, NULL, &err), &err);
    double worst = 0.0, top = 0.0;
    for (int64_t i = 0; i < n; i++)
        if (r[i] >= 1.5 && r[i] <= 20.0) {
            worst = fmax(worst, fabs(gc[i] - gn[i]));
            top = fmax(top, fabs(gc[i]));
        }
    printf("  %-7s sphere of %.0f A (%.0f atoms, d %.2f A): worst |G_cluster - G_crystal env| "
           "= %.2f %% of max |G| over 1.5-20 A\n", name, 2 * radius, occ, d, 100 * worst / top);
    CHECK_MSG(worst <= 0.01 * top, "%s: %g of %g", name, worst, top);
    tsct_pdfmodel_destroy(mc);
    tsct_pdfmodel_destroy(mn);
    tsct_debye_cluster_destroy(cl);
    tsct_crystal_destroy(x);
    free(r);
    free(gc);
    free(gn);
}

/* ---- the Ni fit ------------------------------------------------------------------------------ */

typedef struct nifit {
    const tsct_pdfmodel *m;
    const double *gobs, *w; /* observed G and weights 1/sigma on the model's grid */
    int64_t n;
    double *g, *dg;
} nifit;

enum { NI_SCALE, NI_A, NI_UISO, NI_DELTA2, NI_QDAMP, NI_NPAR };

static tsct_pdfmodel_params ni_params(const double *x)
{
    tsct_pdfmodel_params p = TSCT_PDFMODEL_PARAMS_DEFAULT;
    p.scale = x[NI_SCALE];
    p.cell = (tsct_cell){x[NI_A], x[NI_A], x[NI_A], 90.0, 90.0, 90.0};
    p.uiso = x[NI_UISO];
    p.delta2 = x[NI_DELTA2];
    p.qdamp = x[NI_QDAMP];
    return p;
}

static tsct_status ni_residuals(void *ctx, const double *x, double *res, double *jac,
                                tsct_error *err)
{
    nifit *f = ctx;
    const tsct_pdfmodel_params p = ni_params(x);
    const unsigned d = (1u << TSCT_PDFMODEL_SCALE) | (1u << TSCT_PDFMODEL_A) |
                       (1u << TSCT_PDFMODEL_B) | (1u << TSCT_PDFMODEL_C) |
                       (1u << TSCT_PDFMODEL_UISO) | (1u << TSCT_PDFMODEL_DELTA2) |
                       (1u << TSCT_PDFMODEL_QDAMP);
    tsct_status st = tsct_pdfmodel_evaluate(f->m, &p, jac ? d : 0, f->g, f->dg, err);
    if (st != TSCT_OK)
        return st;
    const int64_t n = f->n;
    for (int64_t i = 0; i < n; i++) {
        res[i] = f->w[i] * (f->g[i] - f->gobs[i]);
        if (jac) { /* columns: scale, a, b, c, uiso, delta2, qdamp; cubic a = b = c */
            const double *c = f->dg;
            jac[i * NI_NPAR + NI_SCALE] = f->w[i] * c[i];
            jac[i * NI_NPAR + NI_A] = f->w[i] * (c[n + i] + c[2 * n + i] + c[3 * n + i]);
            jac[i * NI_NPAR + NI_UISO] = f->w[i] * c[4 * n + i];
            jac[i * NI_NPAR + NI_DELTA2] = f->w[i] * c[5 * n + i];
            jac[i * NI_NPAR + NI_QDAMP] = f->w[i] * c[6 * n + i];
        }
    }
    return TSCT_OK;
}

static void test_ni_fit(void)
{
    const char *path = TSCT_TEST_DATA "/pdf/diffpy_srfit_aps_mucat/ni-q27r60-xray.gr";
    FILE *fp = fopen(path, "r");
    CHECK_MSG(fp != NULL, "cannot open %s", path);
    if (!fp)
        return;
    char line[512];
    int data = 0;
    int64_t n = 0;
    double r[2000], gobs[2000], w[2000];
    while (fgets(line, sizeof line, fp) && n < 2000) {
        if (strncmp(line, "#L r(A)", 7) == 0) {
            data = 1;
            continue;
        }
        double a, b, c, e;
        if (data && sscanf(line, "%lf %lf %lf %lf", &a, &b, &c, &e) == 4 && a >= 1.5 - 1e-9 &&
            a <= 20.0 + 1e-9) {
            r[n] = a;
            gobs[n] = b;
            w[n] = 1.0 / e;
            n++;
        }
    }
    fclose(fp);
    CHECK_MSG(n == 1851, "read %lld points over 1.5-20 A", (long long)n);
    tsct_crystal *ni = tsct_test_read_cif(CIFDIR "/Ni_COD9008476.cif");
    tsct_pdfmodel *m = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_pdfmodel_create_crystal(&m, ni, r, n, 27.0, &err), &err);
    nifit f = {m, gobs, w, n, malloc((size_t)n * sizeof(double)),
               malloc((size_t)(7 * n) * sizeof(double))};
    double x[NI_NPAR] = {1.0, 3.52, 0.005, 1.0, 0.05}, cov[NI_NPAR * NI_NPAR];
    tsct_fit_params fp2 = TSCT_FIT_PARAMS_DEFAULT;
    fp2.max_iter = 200;
    tsct_fit_lsq_info info;
    CHECK_OK(tsct_fit_lsq(ni_residuals, &f, n, NI_NPAR, x, &fp2, cov, &info, &err), &err);
    const double red = info.chi2 / (double)(n - NI_NPAR);
    double num = 0.0, den = 0.0;
    CHECK_OK(ni_residuals(&f, x, f.g, NULL, &err), &err); /* f.g: residuals w (Gc - Go) */
    for (int64_t i = 0; i < n; i++) {
        num += f.g[i] * f.g[i];
        den += w[i] * w[i] * gobs[i] * gobs[i];
    }
    const double rw = sqrt(num / den);
    const char *names[NI_NPAR] = {"scale", "a", "Uiso", "delta2", "Qdamp"};
    printf("  Ni (APS MUCAT, Qmax 27, 1.5-20 A): Rw %.4f, %d iterations, reduced chi2 %.3g\n",
           rw, info.niter, red);
    for (int k = 0; k < NI_NPAR; k++)
        printf("    %-7s %.6f +- %.6f\n", names[k], x[k], sqrt(cov[k * NI_NPAR + k] * red));
    CHECK_MSG(fabs(x[NI_A] - 3.524) <= 0.004, "a = %g", x[NI_A]);
    CHECK_MSG(x[NI_UISO] >= 0.003 && x[NI_UISO] <= 0.008, "Uiso = %g", x[NI_UISO]);
    CHECK_MSG(x[NI_QDAMP] >= 0.02 && x[NI_QDAMP] <= 0.1, "Qdamp = %g", x[NI_QDAMP]);
    CHECK_MSG(rw <= 0.15, "Rw = %g", rw);
    free(f.g);
    free(f.dg);
    tsct_pdfmodel_destroy(m);
    tsct_crystal_destroy(ni);
}

static void test_bad_input(void)
{
    tsct_crystal *ni = tsct_test_read_cif(CIFDIR "/Ni_COD9008476.cif");
    tsct_pdfmodel *m = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    double r[5] = {1.0, 1.01, 1.02, 1.04, 1.05};
    CHECK_FAILS(tsct_pdfmodel_create_crystal(&m, ni, r, 5, 25.0, &err), TSCT_ERR_VALUE, &err,
                "not uniform");
    double r2[3] = {1.005, 1.015, 1.025};
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_pdfmodel_create_crystal(&m, ni, r2, 3, 25.0, &err), TSCT_ERR_VALUE, &err,
                "multiple of its step");
    double *g = tsct_test_grid(1.0, 0.01, 101), out[101], d[101];
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_pdfmodel_create_crystal(&m, ni, g, 101, -1.0, &err), TSCT_ERR_VALUE, &err,
                "qmax");
    tsct_error_clear(&err);
    CHECK_OK(tsct_pdfmodel_create_crystal(&m, ni, g, 101, 25.0, &err), &err);
    tsct_pdfmodel_params p = TSCT_PDFMODEL_PARAMS_DEFAULT;
    p.uiso = 0.005;
    p.diameter = -3.0;
    CHECK_FAILS(tsct_pdfmodel_evaluate(m, &p, 0, out, NULL, &err), TSCT_ERR_VALUE, &err,
                "diameter");
    p.diameter = 0.0;
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_pdfmodel_evaluate(m, &p, 1u << TSCT_PDFMODEL_RHO0, out, d, &err),
                TSCT_ERR_VALUE, &err, "rho0");
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_pdfmodel_evaluate(m, &p, 1u << TSCT_PDFMODEL_DIAMETER, out, d, &err),
                TSCT_ERR_VALUE, &err, "no envelope");
    p.cell = (tsct_cell){3.5, 3.5, -3.5, 90, 90, 90};
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_pdfmodel_evaluate(m, &p, 0, out, NULL, &err), TSCT_ERR_VALUE, &err,
                "not physical");
    tsct_pdfmodel_destroy(m);
    /* Sites of a CIF without Uiso need a uiso. */
    const char *cif = "data_x\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\n"
                      "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
                      "_symmetry_space_group_name_H-M 'P 1'\n"
                      "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n"
                      "_atom_site_fract_z\nCu1 0 0 0\n";
    tsct_crystal *cu = NULL;
    tsct_error_clear(&err);
    CHECK_OK(tsct_crystal_parse_cif(&cu, cif, strlen(cif), &err), &err);
    CHECK_OK(tsct_pdfmodel_create_crystal(&m, cu, g, 101, 25.0, &err), &err);
    tsct_pdfmodel_params q = TSCT_PDFMODEL_PARAMS_DEFAULT;
    CHECK_FAILS(tsct_pdfmodel_evaluate(m, &q, 0, out, NULL, &err), TSCT_ERR_VALUE, &err,
                "Cu1 has no Uiso");
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_pdfmodel_evaluate(m, &q, 1u << TSCT_PDFMODEL_UISO, out, d, &err),
                TSCT_ERR_VALUE, &err, "Uiso");
    tsct_pdfmodel_destroy(m);
    /* A cluster needs a uiso. */
    tsct_debye_cluster *cl = NULL;
    const double xyz[6] = {0, 0, 0, 3.1, 0, 0};
    const char *types[2] = {"Bi", "Bi"};
    tsct_error_clear(&err);
    CHECK_OK(tsct_debye_cluster_create(&cl, 2, xyz, types, NULL, &err), &err);
    CHECK_OK(tsct_pdfmodel_create_cluster(&m, cl, g, 101, 25.0, &err), &err);
    CHECK_FAILS(tsct_pdfmodel_evaluate(m, &q, 0, out, NULL, &err), TSCT_ERR_VALUE, &err,
                "uiso");
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_pdfmodel_evaluate(m, &p, 1u << TSCT_PDFMODEL_A, out, d, &err),
                TSCT_ERR_VALUE, &err, "no lattice");
    tsct_pdfmodel_destroy(m);
    tsct_debye_cluster_destroy(cl);
    tsct_crystal_destroy(cu);
    tsct_crystal_destroy(ni);
    free(g);
}

int main(void)
{
    test_derivatives();
    test_first_shell();
    test_lognormal();
    identity("fcc Ni", CIFDIR "/Ni_COD9008476.cif", 15.0, 0.005);
    identity("Si", CIFDIR "/Si_COD9008566.cif", 15.0, 0.006);
    identity("BiVO4", STRUCTDIR "/BiVO4_monoclinic_scheelite.cif", 20.0, 0.008);
    test_ni_fit();
    test_bad_input();
    return tsct_test_finish("test_pdfmodel");
}
