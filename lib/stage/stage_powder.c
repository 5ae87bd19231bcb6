/* stage_powder.c - the pattern and debye stages (tsct/stage_powder.h): a crystal's powder
 * pattern or reflection table, and the Debye scattering of a cluster cut from it, each read
 * from one CIF and published as one small text file. The physics is lib/physics (powder.c,
 * debye.c); this file makes the grids, reads the crystal and writes the tables. Their option
 * tables and checks are stage_options_powder.c's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/crystal.h"
#include "tsct/debye.h"
#include "tsct/powder.h"
#include "tsct/publish.h"
#include "tsct/stage.h"

double tsct__stage_grid(double x0, double x1, double step, double *x)
{
    const double dn = floor((x1 - x0) / step * (1.0 + 1e-12)) + 1.0;
    for (int64_t i = 0; x && i < (int64_t)dn; i++)
        x[i] = fmin(x0 + step * (double)i, x1);
    return dn;
}

double tsct__stage_pattern_grid(const tsct_stage_pattern_params *p, double *x0, double *x1,
                                double *step)
{
    const double lambda = p->energy > 0.0 ? TSCT_HC_KEV_ANGSTROM / p->energy : p->wavelength;
    const double kmax = 4.0 * M_PI / lambda;
    *x0 = p->qmin, *x1 = p->qmax, *step = p->step;
    if (p->axis == TSCT_POWDER_AXIS_2THETA) {
        *x0 = 2.0 * asin(p->qmin / kmax) * 180.0 / M_PI;
        *x1 = 2.0 * asin(p->qmax / kmax) * 180.0 / M_PI;
    }
    if (!(*step > 0.0))
        *step = p->axis == TSCT_POWDER_AXIS_2THETA ? 0.005 : 0.001;
    return lambda;
}

/* Read the CIF, warning of every site whose ion the tables lack. */
static tsct_status read_crystal(const tsct_stage_ctx *ctx, const char *path, tsct_crystal **c,
                                tsct_error *err)
{
    TSCT_TRY(tsct_crystal_read_cif(c, path, err));
    for (int64_t s = 0; s < tsct_crystal_site_count(*c); s++)
        if (tsct_crystal_site_ion_fallback(*c, s))
            tsct_log_msg(ctx->log, TSCT_LOG_WARN, "%s: site %s: ion %s not tabulated, using %s",
                         path, tsct_crystal_sites(*c)[s].label, tsct_crystal_sites(*c)[s].type,
                         tsct_crystal_site_formfactor(*c, s)->symbol);
    return TSCT_OK;
}

/* The table's end: published when st is TSCT_OK; standard output flushed and checked. */
static tsct_status table_close(tsct_publish_table *t, tsct_status st, tsct_error *err)
{
    const int to_stdout = !t->file;
    st = tsct_publish_table_close(t, st, err);
    if (st == TSCT_OK && to_stdout && ferror(stdout))
        return tsct_error_set(err, TSCT_ERR_IO, "stdout", NULL, -1, "write failed");
    return st;
}

/* The start of both stages: the params checked (stage id), *output resolved (an existing
 * folder or one ending in '/': FOLDER/NAME.ext in buf[size], NAME the CIF's), the crystal
 * read. */
static tsct_status prepare(const tsct_stage_ctx *ctx, tsct_stage_id id, const void *params,
                           const char *cif, const char *ext, const char **output, char *buf,
                           size_t size, tsct_crystal **c, tsct_error *err)
{
    TSCT_TRY(tsct_stage_options_check(id, params, err));
    if (*output && tsct_publish_output_name(*output, cif, ext, buf, size))
        *output = buf;
    return read_crystal(ctx, cif, c, err);
}

/* ---- pattern ----------------------------------------------------------------------------- */

/* The reflection list (peaks) of the plan with profile parameters pv to output (NULL:
 * standard output). */
static tsct_status write_peaks(const tsct_stage_ctx *ctx, const tsct_stage_pattern_params *p,
                               const char *output, const tsct_powder_plan *plan,
                               const double *pv, tsct_stage_report *rep, tsct_error *err)
{
    int64_t nk = tsct_powder_plan_reflection_count(plan), np = 0;
    tsct_powder_peak *pk = malloc((size_t)(nk > 0 ? nk : 1) * sizeof *pk);
    if (!pk)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "peaks", -1, "out of memory");
    tsct_publish_table t;
    tsct_status st = tsct_powder_peaks(plan, pv, pk, &np, err);
    if (st == TSCT_OK)
        st = tsct_publish_table_open(&t, output, stdout, err);
    if (st == TSCT_OK) {
        fprintf(t.f, "%4s %4s %4s %12s %12s %12s %12s %16s %16s\n", "h", "k", "l", "d", "q",
                "two_theta", "multiplicity", "F2", "intensity");
        for (int64_t k = 0; k < np; k++)
            if (pk[k].q >= p->qmin)
                fprintf(t.f, "%4d %4d %4d %12.7f %12.7f %12.6f %12lld %16.8g %16.8g\n",
                        pk[k].h, pk[k].k, pk[k].l, pk[k].d, pk[k].q, pk[k].two_theta,
                        (long long)pk[k].multiplicity, pk[k].f2, pk[k].intensity);
        st = table_close(&t, st, err);
    }
    if (st == TSCT_OK)
        tsct__stage_ran(ctx, rep, np, 0, TSCT_LOG_DEBUG, "%lld reflections", (long long)np);
    free(pk);
    return st;
}

/* The pattern y[n] on the grid x[n] as an .xy file. */
static tsct_status write_pattern(const tsct_stage_ctx *ctx, const tsct_stage_pattern_params *p,
                                 const char *output, double lambda, const tsct_powder_plan *plan,
                                 const double *x, const double *y, int64_t n,
                                 tsct_stage_report *rep, tsct_error *err)
{
    tsct_publish_table t;
    TSCT_TRY(tsct_publish_table_open(&t, output, NULL, err));
    fprintf(t.f, "# tsct pattern %s: lambda %.8g Angstrom, scale %g, U %g V %g W %g "
                 "degrees^2, eta %g, size %g nm, polarization %s, %lld reflections\n",
            p->cif, lambda, p->scale, p->u, p->v, p->w, p->eta, p->size_nm,
            p->polarization == TSCT_POWDER_POLARIZATION_NONE ? "none" : "(1+cos^2 2theta)/2",
            (long long)tsct_powder_plan_reflection_count(plan));
    fprintf(t.f, "# %s intensity\n",
            p->axis == TSCT_POWDER_AXIS_2THETA ? "2theta(degrees)" : "q(1/Angstrom)");
    for (int64_t i = 0; i < n; i++)
        fprintf(t.f, "%.8f %.10g\n", x[i], y[i]);
    TSCT_TRY(tsct_publish_table_close(&t, TSCT_OK, err));
    tsct__stage_ran(ctx, rep, n, 0, TSCT_LOG_INFO, "wrote %lld points of %s to %s",
                    (long long)n, p->cif, output);
    return TSCT_OK;
}

/* Plan the crystal's pattern on x[n] (n = 0 for peaks) and write the peaks or the pattern. */
static tsct_status pattern_run(const tsct_stage_ctx *ctx, const tsct_stage_pattern_params *p,
                               const char *output, double lambda, const tsct_crystal *c,
                               const double *x, int64_t n, double *y, tsct_stage_report *rep,
                               tsct_error *err)
{
    tsct_powder_params pp = TSCT_POWDER_PARAMS_DEFAULT;
    pp.wavelength = lambda;
    pp.axis = p->axis;
    pp.polarization = p->polarization;
    pp.qmax = p->peaks ? p->qmax : 0.0;
    pp.neutral_atoms = p->neutral_atoms;
    pp.apply_adp = p->apply_adp;
    tsct_powder_plan *plan = NULL;
    TSCT_TRY(tsct_powder_plan_create(&plan, c, x, n, &pp, err));
    double pv[TSCT_POWDER_NPARAMS_BASE];
    tsct_powder_plan_default_params(plan, pv);
    pv[TSCT_POWDER_P_SCALE] = p->scale;
    pv[TSCT_POWDER_P_SIZE] = p->size_nm * 10.0;
    pv[TSCT_POWDER_P_U] = p->u;
    pv[TSCT_POWDER_P_V] = p->v;
    pv[TSCT_POWDER_P_W] = p->w;
    pv[TSCT_POWDER_P_ETA] = p->eta;
    tsct_status st;
    if (p->peaks) {
        st = write_peaks(ctx, p, output, plan, pv, rep, err);
    } else {
        st = tsct_powder_evaluate(plan, pv, y, NULL, err);
        if (st == TSCT_OK)
            st = write_pattern(ctx, p, output, lambda, plan, x, y, n, rep, err);
    }
    tsct_powder_plan_destroy(plan);
    return st;
}

tsct_status tsct_stage_pattern(const tsct_stage_pattern_params *p, const tsct_stage_ctx *ctx,
                               tsct_stage_report *report, tsct_error *err)
{
    ctx = tsct__stage_ctx(ctx);
    tsct_stage_report local, *rep = tsct__stage_report(report, &local);
    char in_folder[TSCT_PATH_MAX];
    const char *output = p->output;
    tsct_crystal *c = NULL;
    TSCT_TRY(prepare(ctx, TSCT_STAGE_ID_PATTERN, p, p->cif, p->peaks ? "txt" : "xy", &output,
                     in_folder, sizeof in_folder, &c, err));
    double x0, x1, step;
    const double lambda = tsct__stage_pattern_grid(p, &x0, &x1, &step);
    const int64_t n = p->peaks ? 0 : (int64_t)tsct__stage_grid(x0, x1, step, NULL);
    double *x = n ? malloc((size_t)n * sizeof *x) : NULL;
    double *y = n ? malloc((size_t)n * sizeof *y) : NULL;
    tsct_status st = TSCT_OK;
    if (n && (!x || !y))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "grid", -1, "%lld points",
                            (long long)n);
    if (st == TSCT_OK) {
        tsct__stage_grid(x0, x1, step, x);
        st = pattern_run(ctx, p, output, lambda, c, x, n, y, rep, err);
    }
    free(x);
    free(y);
    tsct_crystal_destroy(c);
    if (st != TSCT_OK)
        tsct_error_set_file(err, p->cif); /* the planner's limits name no file of their own */
    return st;
}

/* ---- debye ------------------------------------------------------------------------------- */

/* I(q[n]) of the cluster cut from c into iq[n]; the cluster logged. */
static tsct_status debye_run(const tsct_stage_ctx *ctx, const tsct_stage_debye_params *p,
                             const tsct_crystal *c, const double *q, int64_t n, double *iq,
                             int64_t *natoms, tsct_error *err)
{
    tsct_debye_cut_params cp = TSCT_DEBYE_CUT_PARAMS_DEFAULT;
    cp.shape = p->shape;
    cp.radius = p->radius;
    memcpy(cp.centre, p->centre, sizeof cp.centre);
    cp.neutral_atoms = p->neutral_atoms;
    tsct_debye_params dp = TSCT_DEBYE_PARAMS_DEFAULT;
    dp.bin_width = p->bin_width;
    dp.nthreads = ctx->nthreads;
    tsct_debye_cluster *cl = NULL;
    tsct_debye_histogram *h = NULL;
    tsct_status st = tsct_debye_cluster_cut(&cl, c, &cp, err);
    if (st == TSCT_OK)
        st = tsct_debye_histogram_create(&h, cl, &dp, err);
    if (st == TSCT_OK)
        st = tsct_debye_intensity(h, q, n, iq, err);
    if (st == TSCT_OK) {
        *natoms = tsct_debye_cluster_atom_count(cl);
        tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s: %lld atoms (%lld species) within %g "
                     "Angstrom, %lld occupied distance bins", p->cif, (long long)*natoms,
                     (long long)tsct_debye_cluster_species_count(cl), p->radius,
                     (long long)tsct_debye_histogram_bins(h));
    }
    tsct_debye_histogram_destroy(h);
    tsct_debye_cluster_destroy(cl);
    return st;
}

/* The pattern iq[n] on q[n] as an .iq file. */
static tsct_status write_debye(const tsct_stage_debye_params *p, const char *output,
                               int64_t natoms, const double *q, const double *iq, int64_t n,
                               tsct_error *err)
{
    tsct_publish_table t;
    TSCT_TRY(tsct_publish_table_open(&t, output, NULL, err));
    const int cube = p->shape == TSCT_DEBYE_SHAPE_CUBE;
    fprintf(t.f, "# tsct debye %s: %s of %s %g Angstrom around (%g, %g, %g), %lld atoms, "
                 "bin %g Angstrom\n",
            p->cif, cube ? "cube" : "sphere", cube ? "half-edge" : "radius", p->radius,
            p->centre[0], p->centre[1], p->centre[2], (long long)natoms, p->bin_width);
    fprintf(t.f, "# q(1/Angstrom) I(electrons^2)\n");
    for (int64_t i = 0; i < n; i++)
        fprintf(t.f, "%.8f %.12g\n", q[i], iq[i]);
    return tsct_publish_table_close(&t, TSCT_OK, err);
}

tsct_status tsct_stage_debye(const tsct_stage_debye_params *p, const tsct_stage_ctx *ctx,
                             tsct_stage_report *report, tsct_error *err)
{
    ctx = tsct__stage_ctx(ctx);
    tsct_stage_report local, *rep = tsct__stage_report(report, &local);
    char in_folder[TSCT_PATH_MAX];
    const char *output = p->output;
    tsct_crystal *c = NULL;
    TSCT_TRY(prepare(ctx, TSCT_STAGE_ID_DEBYE, p, p->cif, "iq", &output, in_folder,
                     sizeof in_folder, &c, err));
    const int64_t n = (int64_t)tsct__stage_grid(p->qmin, p->qmax, p->step, NULL);
    double *q = malloc((size_t)n * sizeof *q), *iq = malloc((size_t)n * sizeof *iq);
    int64_t natoms = 0;
    tsct_status st = TSCT_OK;
    if (!q || !iq)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "Q grid", -1, "%lld points",
                            (long long)n);
    if (st == TSCT_OK) {
        tsct__stage_grid(p->qmin, p->qmax, p->step, q);
        st = debye_run(ctx, p, c, q, n, iq, &natoms, err);
        if (st != TSCT_OK)
            tsct_error_set_file(err, p->cif);
    }
    if (st == TSCT_OK)
        st = write_debye(p, output, natoms, q, iq, n, err);
    if (st == TSCT_OK) {
        rep->ran = 1;
        rep->units = n;
        snprintf(rep->what, sizeof rep->what, "wrote %lld points of %.200s to %.200s",
                 (long long)n, p->cif, output);
    }
    free(q);
    free(iq);
    tsct_crystal_destroy(c);
    return st;
}
