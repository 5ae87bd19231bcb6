/* refine_pdf.c - the real-space phases of tsct/refine.h: a phase's column is its calculated
 * G(r) at unit scale (tsct/pdfmodel.h: a crystal from a CIF with its nanoparticle envelope,
 * or a cluster from an .xyz file or a CIF cut to a sphere), and its derivative slots are the
 * pdfmodel's analytic derivatives.
 *
 * Design: G(r) is linear in each phase's scale exactly as a powder pattern is, so a
 * real-space phase only replaces what a column is; the variable projection, the ESDs, the
 * report and every driver of refine_run.c and lib/stage are shared unchanged. The slots a
 * reciprocal-space phase uses for size, strain, B, po and U V W carry diameter, dsig,
 * delta1, uiso and qdamp, qbroad, delta2 here (refine_internal.h), so the model's layout and
 * the physical ranges (diameter > 0 like size, dsig >= 0 like strain, uiso > 0 like po)
 * stay one. A crystal's pdfmodel is tied to the lattice the crystal system leaves free
 * (tsct_pdfmodel_create_crystal_tied: its pairs are listed once, and its lattice derivatives
 * are those of the free parameters, cubic a for a, b and c together).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refine_internal.h"
#include "tsct/debye.h"
#include "tsct/pdfmodel.h"

/* The pdfmodel's derivative columns of a phase: every parameter but scale and rho0. */
#define NDERIV (TSCT_PDFMODEL_DSIG - TSCT_PDFMODEL_A + 1)

static const char *const cell_names[6] = {"a", "b", "c", "alpha", "beta", "gamma"};

void tsct__refine_pdf_phase_release(struct refine_phase *ph)
{
    tsct_pdfmodel_destroy(ph->pdf);
    ph->pdf = NULL;
    free(ph->pdf_work);
    ph->pdf_work = NULL;
}

/* One Uiso for every atom: the occupancy-weighted mean of the CIF's, 0.005 A^2 without. */
static double mean_uiso(const tsct_crystal *cr)
{
    const tsct_atom *atoms = tsct_crystal_atoms(cr);
    const tsct_site *sites = tsct_crystal_sites(cr);
    double su = 0, so = 0;
    for (int64_t a = 0; a < tsct_crystal_atom_count(cr); a++) {
        const tsct_site *s = &sites[atoms[a].site];
        if (!(s->uiso > 0))
            return 0.005;
        su += s->occupancy * s->uiso;
        so += s->occupancy;
    }
    return so > 0 && su > 0 ? su / so : 0.005;
}

tsct_status tsct__refine_pdf_phase_create(tsct_refine_model *m, int p,
                                          const tsct_refine_phase_desc *d, tsct_error *err)
{
    struct refine_phase *ph = &m->phase[p];
    snprintf(ph->name, sizeof ph->name, "%s", d->name);
    ph->i_uiso = ph->i_delta1 = ph->i_delta2 = ph->i_diam = ph->i_dsig = -1;
    ph->i_size = ph->i_strain = ph->i_b = ph->i_po = -1;
    ph->mass = NAN; /* no Hill & Howard weight fractions for G(r) scales */
    const double radius = m->P.radius ? m->P.radius[p] : 0.0;
    const size_t len = strlen(d->cif);
    const int xyz = len > 4 && strcmp(d->cif + len - 4, ".xyz") == 0;
    if (!(radius >= 0) || !isfinite(radius) || (xyz && radius > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, d->cif, d->name, -1,
                              "phase %s: the radius of a cluster cut from a CIF must be a "
                              "number >= 0 A, and an .xyz cluster takes none (got %g)", d->name,
                              radius);
    tsct_crystal *cr = NULL;
    tsct_debye_cluster *cl = NULL;
    tsct_status st = TSCT_OK;
    double uiso = 0.005;
    if (xyz) {
        st = tsct_debye_cluster_read_xyz(&cl, d->cif, err);
    } else {
        st = tsct_crystal_read_cif(&cr, d->cif, err);
        if (st != TSCT_OK)
            tsct_error_set_file(err, d->cif);
        if (st == TSCT_OK)
            uiso = mean_uiso(cr);
        if (st == TSCT_OK && radius > 0) {
            tsct_debye_cut_params cp = TSCT_DEBYE_CUT_PARAMS_DEFAULT;
            cp.radius = radius;
            st = tsct_debye_cluster_cut(&cl, cr, &cp, err);
        }
    }
    int which[6] = {0};
    if (st == TSCT_OK && cr && !cl) {
        ph->cell0 = *tsct_crystal_cell(cr);
        ph->system = tsct__refine_crystal_system(tsct_crystal_laue_order(cr), &ph->cell0);
        ph->nlat = tsct__refine_lattice_free(ph->system, &ph->cell0, ph->drive, which);
    }
    if (st == TSCT_OK && cl)
        st = tsct_pdfmodel_create_cluster(&ph->pdf, cl, m->x, m->n, m->P.qmax, err);
    else if (st == TSCT_OK)
        st = tsct_pdfmodel_create_crystal_tied(&ph->pdf, cr, m->x, m->n, m->P.qmax, ph->nlat,
                                               ph->drive, err);
    tsct_crystal_destroy(cr);
    tsct_debye_cluster_destroy(cl);
    if (st != TSCT_OK) {
        if (!err->item[0])
            snprintf(err->item, sizeof err->item, "%s", d->name);
        return st;
    }
    ph->pdf_work = malloc((size_t)NDERIV * (size_t)m->n * sizeof *ph->pdf_work);
    if (!ph->pdf_work)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, d->name, -1, "out of memory");
    ph->need = (1u << NSLOT) - 1;
    ph->i_scale = tsct__refine_add_param(m, d->name, "scale", 1.0, 0.0, INFINITY, 1,
                                         PK_PHASE_SCALE, p, 0);
    const int crystal = tsct_pdfmodel_is_crystal(ph->pdf);
    if (!crystal)
        ph->nlat = 0;
    if (crystal) {
        const double *c0 = &ph->cell0.a;
        for (int l = 0; l < ph->nlat; l++) {
            double v = c0[which[l]];
            double lo = which[l] < 3 ? 0.8 * v : fmax(v - 20, 1);
            double hi = which[l] < 3 ? 1.2 * v : fmin(v + 20, 179);
            ph->i_lat[l] = tsct__refine_add_param(m, d->name, cell_names[which[l]], v, lo, hi,
                                                  0, PK_PHASE_NL, p, SLOT_LAT0 + l);
        }
    }
    ph->i_uiso = tsct__refine_add_param(m, d->name, "uiso", uiso, 1e-5, 0.2, 0, PK_PHASE_NL, p,
                                        SLOT_R_UISO);
    ph->i_delta1 = tsct__refine_add_param(m, d->name, "delta1", 0, 0, 10, 0, PK_PHASE_NL, p,
                                          SLOT_R_DELTA1);
    ph->i_delta2 = tsct__refine_add_param(m, d->name, "delta2", 0, 0, 50, 0, PK_PHASE_NL, p,
                                          SLOT_R_DELTA2);
    if (crystal) {
        ph->i_diam = tsct__refine_add_param(m, d->name, "diameter", INFINITY, 2.0, INFINITY, 0,
                                            PK_PHASE_NL, p, SLOT_R_DIAMETER);
        ph->i_dsig = tsct__refine_add_param(m, d->name, "dsig", 0, 0, 1e4, 0, PK_PHASE_NL, p,
                                            SLOT_R_DSIG);
    }
    return TSCT_OK;
}

void tsct__refine_pdf_instrument(tsct_refine_model *m)
{
    const refine_kind k = m->nphases ? PK_INSTR : PK_UNUSED;
    m->i_instr[0] = tsct__refine_add_param(m, "instrument", "qdamp", 0, 0, 0.5, 0, k, -1,
                                           SLOT_R_QDAMP);
    m->i_instr[1] = tsct__refine_add_param(m, "instrument", "qbroad", 0, 0, 0.5, 0, k, -1,
                                           SLOT_R_QBROAD);
    for (int i = 2; i < 6; i++)
        m->i_instr[i] = -1;
}

static double pv(const tsct_refine_model *m, int i)
{
    return i >= 0 ? m->par[i].value : 0.0;
}

tsct_status tsct__refine_pdf_phase_eval(tsct_refine_model *m, int p, int deriv, tsct_error *err)
{
    struct refine_phase *ph = &m->phase[p];
    const int64_t n = m->n;
    double *y = m->col + (int64_t)p * n;
    double *d = m->dcol + (int64_t)p * NSLOT * n;
    tsct_pdfmodel_params q = TSCT_PDFMODEL_PARAMS_DEFAULT;
    q.scale = 1.0;
    if (ph->nlat > 0) {
        double c[6];
        tsct__refine_phase_cell(m, p, c);
        q.cell = (tsct_cell){c[0], c[1], c[2], c[3], c[4], c[5]};
    }
    q.uiso = pv(m, ph->i_uiso);
    q.delta1 = pv(m, ph->i_delta1);
    q.delta2 = pv(m, ph->i_delta2);
    q.qdamp = pv(m, m->i_instr[0]);
    q.qbroad = pv(m, m->i_instr[1]);
    const double diam = pv(m, ph->i_diam);
    q.diameter = isfinite(diam) ? diam : 0.0;
    q.dsig = q.diameter > 0 ? pv(m, ph->i_dsig) : 0.0;
    /* the pdfmodel derivatives the needed slots take, and each slot's source bits */
    const unsigned need = deriv ? ph->need : 0;
    unsigned bits = 0, src[NSLOT] = {0};
    for (int l = 0; l < ph->nlat; l++) /* the tied model's free parameters */
        src[SLOT_LAT0 + l] = 1u << (TSCT_PDFMODEL_A + l);
    src[SLOT_R_UISO] = 1u << TSCT_PDFMODEL_UISO;
    src[SLOT_R_DELTA1] = 1u << TSCT_PDFMODEL_DELTA1;
    src[SLOT_R_DELTA2] = 1u << TSCT_PDFMODEL_DELTA2;
    src[SLOT_R_QDAMP] = 1u << TSCT_PDFMODEL_QDAMP;
    src[SLOT_R_QBROAD] = 1u << TSCT_PDFMODEL_QBROAD;
    if (q.diameter > 0) {
        src[SLOT_R_DIAMETER] = 1u << TSCT_PDFMODEL_DIAMETER;
        if (q.dsig > 0)
            src[SLOT_R_DSIG] = 1u << TSCT_PDFMODEL_DSIG;
    }
    for (int s = 0; s < NSLOT; s++)
        if (need & (1u << s))
            bits |= src[s];
    tsct_status st = tsct_pdfmodel_evaluate(ph->pdf, &q, bits, y, ph->pdf_work, err);
    if (st != TSCT_OK && err && err->item[0]) {
        /* name the refinement's parameter ("Ni.uiso", "instrument.qdamp") */
        const int instr = !strcmp(err->item, "qdamp") || !strcmp(err->item, "qbroad");
        char item[TSCT_REFINE_NAME_MAX * 2], detail[sizeof err->detail];
        snprintf(item, sizeof item, "%s.%.60s", instr ? "instrument" : ph->name, err->item);
        snprintf(detail, sizeof detail, "%s", err->detail);
        return tsct_error_set(err, st, NULL, item, -1, "%s", detail);
    }
    if (st != TSCT_OK)
        return st;
    if (!need)
        return TSCT_OK;
    memset(d, 0, (size_t)(NSLOT * n) * sizeof *d);
    for (int s = 0; s < NSLOT; s++) {
        if (!(need & (1u << s)))
            continue;
        int col = 0;
        for (int b = 0; b < TSCT_PDFMODEL_NPARAM; b++) {
            if (!(bits & (1u << b)))
                continue;
            if (src[s] & (1u << b)) {
                const double *g = ph->pdf_work + (int64_t)col * n;
                for (int64_t i = 0; i < n; i++)
                    d[(int64_t)s * n + i] += g[i];
            }
            col++;
        }
    }
    return TSCT_OK;
}
