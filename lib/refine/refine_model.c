/* refine_model.c - the full-profile model of tsct/refine.h: phases from CIFs with their
 * lattice constrained by the crystal system, the Thompson-Cox-Hastings profile, single peaks,
 * broad components and a Chebyshev background, with analytic derivatives.
 *
 * Design: the pattern is linear in the scales, areas and background coefficients, so the
 * model keeps one column per linear parameter (a phase's pattern at unit scale, a peak of unit
 * area, ...) and, for each column, the derivatives of that column with respect to the
 * nonlinear parameters that move it ("slots": a phase's lattice, size, strain, B, po and the
 * instrument's U V W X Y zero; a peak's position, FWHM and eta). The refinement
 * (refine_run.c) projects the linear parameters out of these columns; evaluate() assembles
 * y and the full Jacobian from them.
 *
 * Lattice derivatives: 1/d^2 = h^T G* h with G* = G^-1, so d(1/d^2)/dp = -u^T (dG/dp) u with
 * u = G* h, for any cell; a constrained parameter (cubic a drives a, b and c) sums the dG of
 * the cell entries it drives. The March-Dollase factor uses the CIF's metric (fixed), so it
 * does not depend on the refined cell.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refine_internal.h"
#include "tsct/crystal.h"
#include "tsct/formfactor.h"

#define RAD (M_PI / 180.0)
#define add_param tsct__refine_add_param
#define DEG (180.0 / M_PI)

static const char *const system_names[] = {"cubic",        "hexagonal",  "tetragonal",
                                           "rhombohedral", "orthorhombic", "monoclinic",
                                           "triclinic"};
static const char *const cell_names[6] = {"a", "b", "c", "alpha", "beta", "gamma"};

void tsct_refine_model_destroy(tsct_refine_model *m)
{
    if (!m)
        return;
    for (int p = 0; p < m->nphases; p++) {
        free(m->phase[p].refl);
        free(m->phase[p].po_cos2);
        tsct__refine_pdf_phase_release(&m->phase[p]);
    }
    free(m->x);
    free(m->tth);
    free(m->col);
    free(m->dcol);
    free(m->par);
    free(m->info);
    free(m->work);
    free(m->corr);
    free(m->corr_index);
    free(m);
}

static int near(double a, double b)
{
    return fabs(a - b) <= 1e-5 * fabs(b);
}

/* The crystal system from the Laue group's order and the cell. */
refine_system tsct__refine_crystal_system(int64_t laue, const tsct_cell *c)
{
    int ab = near(c->a, c->b), bc = near(c->b, c->c);
    int al = near(c->alpha, 90), be = near(c->beta, 90), ga = near(c->gamma, 90);
    if (laue == 48)
        return SYS_CUBIC;
    if (laue == 24 || laue == 12 || laue == 6) {
        if (ab && near(c->gamma, 120))
            return SYS_HEXAGONAL;
        if (ab && bc && near(c->alpha, c->beta) && near(c->beta, c->gamma))
            return SYS_RHOMBOHEDRAL;
    }
    if ((laue == 16 || laue == 8) && ab && al && be && ga)
        return SYS_TETRAGONAL;
    if (laue == 8)
        return SYS_ORTHORHOMBIC;
    if (laue == 4)
        return SYS_MONOCLINIC;
    return SYS_TRICLINIC;
}

/* The free lattice parameters of a system: for each, the cell entries it drives (bit e for
 * entry e of a, b, c, alpha, beta, gamma). */
int tsct__refine_lattice_free(refine_system s, const tsct_cell *c, int drive[6], int which[6])
{
    int n = 0;
#define FREE(entry, mask) (which[n] = (entry), drive[n++] = (mask))
    switch (s) {
    case SYS_CUBIC: FREE(0, 7); break;
    case SYS_HEXAGONAL:
    case SYS_TETRAGONAL: FREE(0, 3); FREE(2, 4); break;
    case SYS_RHOMBOHEDRAL: FREE(0, 7); FREE(3, 56); break;
    case SYS_ORTHORHOMBIC: FREE(0, 1); FREE(1, 2); FREE(2, 4); break;
    case SYS_MONOCLINIC:
        FREE(0, 1); FREE(1, 2); FREE(2, 4);
        if (!near(c->alpha, 90))
            FREE(3, 8);
        else if (!near(c->gamma, 90))
            FREE(5, 32);
        else
            FREE(4, 16);
        break;
    default:
        for (int e = 0; e < 6; e++)
            FREE(e, 1 << e);
    }
#undef FREE
    return n;
}

int tsct__refine_add_param(tsct_refine_model *m, const char *comp, const char *name,
                           double value, double lo, double hi, int linear, refine_kind kind,
                           int owner, int slot)
{
    int i = m->np++;
    tsct_refine_param *q = &m->par[i];
    memset(q, 0, sizeof *q);
    snprintf(q->name, sizeof q->name, "%s%s%s", comp, comp[0] ? "." : "", name);
    q->value = value;
    q->lo = lo;
    q->hi = hi;
    q->linear = linear;
    q->refine = linear;
    q->esd = NAN;
    m->info[i].kind = kind;
    m->info[i].owner = owner;
    m->info[i].slot = slot;
    return i;
}

static int name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 47)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum_ascii(s[i]) || s[i] == '_' || s[i] == '-'))
            return 0;
    return strcmp(s, "instrument") != 0 && strcmp(s, "bg") != 0;
}

/* Equivalent reflections of h under the Laue group (h R for every rotation, and -h R), their
 * cos^2 to the preferred direction in the metric gs: appended to ph->po_cos2. */
static tsct_status po_orbit(struct refine_phase *ph, const tsct_crystal *cr, const int h[3],
                            const double gs[3][3], const int pd[3], struct refine_refl *r,
                            int64_t *cap, tsct_error *err)
{
    int64_t nops = tsct_crystal_symop_count(cr);
    const tsct_symop *ops = tsct_crystal_symops(cr);
    int seen[2 * TSCT_CRYSTAL_SYMOPS_MAX + 2][3];
    int ns = 0;
    for (int64_t o = 0; o < (nops > 0 ? nops : 1); o++) {
        for (int sign = -1; sign <= 1; sign += 2) {
            int g[3];
            for (int j = 0; j < 3; j++) {
                g[j] = 0;
                for (int i = 0; i < 3; i++)
                    g[j] += h[i] * (nops > 0 ? ops[o].rot[i][j] : (i == j));
                g[j] *= sign;
            }
            int dup = 0;
            for (int s = 0; s < ns && !dup; s++)
                dup = seen[s][0] == g[0] && seen[s][1] == g[1] && seen[s][2] == g[2];
            if (!dup)
                memcpy(seen[ns++], g, sizeof g);
        }
    }
    r->po_off = ph->npo;
    r->po_n = ns;
    if (ph->npo + ns > *cap) {
        int64_t nc = 2 * (*cap + ns);
        double *t = realloc(ph->po_cos2, (size_t)nc * sizeof *t);
        if (!t)
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, ph->name, -1, "out of memory");
        ph->po_cos2 = t;
        *cap = nc;
    }
    double pp = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            pp += pd[i] * gs[i][j] * pd[j];
    for (int s = 0; s < ns; s++) {
        double hh = 0, hp = 0;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                hh += seen[s][i] * gs[i][j] * seen[s][j];
                hp += seen[s][i] * gs[i][j] * pd[j];
            }
        double c2 = hp * hp / (hh * pp);
        ph->po_cos2[ph->npo + s] = c2 > 1 ? 1 : c2;
    }
    ph->npo += ns;
    return TSCT_OK;
}

static tsct_status phase_create(tsct_refine_model *m, int p, const tsct_refine_phase_desc *d,
                                double qmax, tsct_error *err)
{
    struct refine_phase *ph = &m->phase[p];
    snprintf(ph->name, sizeof ph->name, "%s", d->name);
    tsct_crystal *cr = NULL;
    tsct_status st = tsct_crystal_read_cif(&cr, d->cif, err);
    if (st != TSCT_OK) {
        tsct_error_set_file(err, d->cif);
        return st;
    }
    ph->cell0 = *tsct_crystal_cell(cr);
    ph->system = tsct__refine_crystal_system(tsct_crystal_laue_order(cr), &ph->cell0);
    double mass = 0;
    const tsct_atom *atoms = tsct_crystal_atoms(cr);
    const tsct_site *sites = tsct_crystal_sites(cr);
    for (int64_t a = 0; a < tsct_crystal_atom_count(cr); a++) {
        const tsct_formfactor *ff = tsct_crystal_site_formfactor(cr, atoms[a].site);
        mass += sites[atoms[a].site].occupancy * tsct_element_mass(ff ? ff->z : 0);
    }
    ph->mass = mass;
    tsct_reflection_params rp = TSCT_REFLECTION_PARAMS_DEFAULT;
    rp.qmax = qmax;
    tsct_reflection_list *list = NULL;
    st = tsct_crystal_reflections_create(&list, cr, &rp, err);
    if (st != TSCT_OK) {
        tsct_error_set_file(err, d->cif);
        tsct_crystal_destroy(cr);
        return st;
    }
    ph->nrefl = list->count;
    ph->refl = calloc((size_t)(list->count > 0 ? list->count : 1), sizeof *ph->refl);
    int has_po = d->po_hkl[0] || d->po_hkl[1] || d->po_hkl[2];
    double gs[3][3];
    tsct_crystal_cell_metric(&ph->cell0, NULL, gs, NULL);
    int64_t cap = 0;
    for (int64_t k = 0; ph->refl && st == TSCT_OK && k < list->count; k++) {
        const tsct_reflection *r = &list->items[k];
        struct refine_refl *o = &ph->refl[k];
        o->h[0] = r->h, o->h[1] = r->k, o->h[2] = r->l;
        o->mf2 = (double)r->multiplicity * r->f2;
        if (has_po) {
            int h[3] = {r->h, r->k, r->l};
            st = po_orbit(ph, cr, h, gs, d->po_hkl, o, &cap, err);
        }
    }
    tsct_crystal_reflections_destroy(list);
    tsct_crystal_destroy(cr);
    if (st != TSCT_OK)
        return st;
    if (!ph->refl)
        return tsct_error_set(err, TSCT_ERR_NOMEM, d->cif, d->name, -1, "out of memory");
    int drive[6], which[6];
    ph->nlat = tsct__refine_lattice_free(ph->system, &ph->cell0, drive, which);
    ph->need = (1u << NSLOT) - 1;
    const double *c0 = &ph->cell0.a;
    ph->i_scale = add_param(m, d->name, "scale", 1.0, 0.0, INFINITY, 1, PK_PHASE_SCALE, p, 0);
    for (int l = 0; l < ph->nlat; l++) {
        double v = c0[which[l]];
        double lo = which[l] < 3 ? 0.8 * v : fmax(v - 20, 1);
        double hi = which[l] < 3 ? 1.2 * v : fmin(v + 20, 179);
        ph->drive[l] = drive[l];
        ph->i_lat[l] = add_param(m, d->name, cell_names[which[l]], v, lo, hi, 0, PK_PHASE_NL,
                                 p, SLOT_LAT0 + l);
    }
    ph->i_size = add_param(m, d->name, "size", INFINITY, 0.5, INFINITY, 0, PK_PHASE_NL, p,
                           SLOT_SIZE);
    ph->i_strain = add_param(m, d->name, "strain", 0, 0, 0.1, 0, PK_PHASE_NL, p, SLOT_STRAIN);
    ph->i_b = add_param(m, d->name, "B", 0, -5, 20, 0, PK_PHASE_NL, p, SLOT_B);
    ph->i_po = has_po ? add_param(m, d->name, "po", 1, 0.1, 10, 0, PK_PHASE_NL, p, SLOT_PO)
                      : -1;
    return TSCT_OK;
}

tsct_status tsct_refine_model_create(const tsct_refine_model_params *params,
                                     const tsct_refine_phase_desc *phases, int nphases,
                                     const tsct_refine_peak_desc *peaks, int npeaks,
                                     const tsct_refine_broad_desc *broad, int nbroad,
                                     const double *x, int64_t n, tsct_refine_model **out,
                                     tsct_error *err)
{
    *out = NULL;
    const tsct_refine_model_params *P = params;
    const int rspace = P && P->space == TSCT_REFINE_SPACE_R;
    if (rspace && (!isfinite(P->qmax) || P->qmax < 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "qmax", -1,
                              "Qmax must be finite and >= 0 (1/A), got %g", P->qmax);
    if (!P || (!rspace && (!(P->wavelength > 0) || !isfinite(P->wavelength))))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "wavelength", -1,
                              "the wavelength must be a finite number > 0 (A)");
    if (nphases < 0 || nphases > TSCT_REFINE_MAX_PHASES || npeaks < 0 ||
        npeaks > TSCT_REFINE_MAX_PEAKS || nbroad < 0 || nbroad > TSCT_REFINE_MAX_BROAD ||
        P->nbackground < 0 || P->nbackground > TSCT_REFINE_MAX_BACKGROUND)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, NULL, -1,
                              "at most %d phases, %d peaks, %d broad components and %d "
                              "background terms (given %d, %d, %d, %lld)",
                              TSCT_REFINE_MAX_PHASES, TSCT_REFINE_MAX_PEAKS,
                              TSCT_REFINE_MAX_BROAD, TSCT_REFINE_MAX_BACKGROUND, nphases,
                              npeaks, nbroad, (long long)P->nbackground);
    if (nphases + npeaks + nbroad + P->nbackground < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, NULL, -1,
                              "the model has no component (no phase, peak, broad component "
                              "or background)");
    if (!(P->scherrer_k > 0) || !(P->window >= 3))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "scherrer_k", -1,
                              "K must be > 0 and the window >= 3 FWHM");
    if (n < 2)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "x", -1,
                              "the grid needs at least 2 points (has %lld)", (long long)n);
    for (int64_t i = 0; i < n; i++) {
        int bad = !isfinite(x[i]) || (i > 0 && !(x[i] > x[i - 1]));
        if (rspace)
            bad = bad || x[i] < 0;
        else if (!bad && P->axis == TSCT_POWDER_AXIS_Q)
            bad = !(x[i] > 0) || x[i] * P->wavelength / (4 * M_PI) >= 1;
        else if (!bad)
            bad = !(x[i] > 0 && x[i] < 180);
        if (bad)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "x", i,
                                  "grid point %lld (%g) is not finite, not increasing or not "
                                  "a scattering angle at this wavelength",
                                  (long long)i, x[i]);
    }
    const char *names[TSCT_REFINE_MAX_PHASES + TSCT_REFINE_MAX_PEAKS + TSCT_REFINE_MAX_BROAD];
    int nn = 0;
    for (int i = 0; i < nphases; i++)
        names[nn++] = phases[i].name;
    for (int i = 0; i < npeaks; i++)
        names[nn++] = peaks[i].name;
    for (int i = 0; i < nbroad; i++)
        names[nn++] = broad[i].name;
    for (int i = 0; i < nn; i++) {
        if (!name_ok(names[i]))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, names[i] ? names[i] : "", -1,
                                  "component name '%s' is not 1..47 letters, digits, '_' or "
                                  "'-' (or is 'instrument' / 'bg')",
                                  names[i] ? names[i] : "");
        for (int j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                return tsct_error_set(err, TSCT_ERR_VALUE, NULL, names[i], -1,
                                      "two components are named '%s'", names[i]);
    }
    for (int i = 0; i < nphases; i++)
        if (!phases[i].cif)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, phases[i].name, -1,
                                  "phase %s has no CIF", phases[i].name);
    for (int i = 0; i < nbroad; i++)
        if (!broad[i].y)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, broad[i].name, -1,
                                  "broad component %s has no pattern", broad[i].name);

    tsct_refine_model *m = calloc(1, sizeof *m);
    if (!m)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    m->P = *P;
    m->n = n;
    m->nphases = nphases;
    m->npeaks = npeaks;
    m->nbroad = nbroad;
    m->nbg = (int)P->nbackground;
    m->ncol = nphases + npeaks + nbroad + m->nbg;
    int maxp = nphases * 12 + 6 + npeaks * 4 + nbroad + m->nbg;
    m->par = calloc((size_t)maxp, sizeof *m->par);
    m->info = calloc((size_t)maxp, sizeof *m->info);
    m->x = malloc((size_t)n * sizeof *m->x);
    m->tth = malloc((size_t)n * sizeof *m->tth);
    m->col = calloc((size_t)(m->ncol * n), sizeof *m->col);
    m->dcol = calloc((size_t)((nphases * NSLOT + npeaks * 3) * n), sizeof *m->dcol);
    if (!m->par || !m->info || !m->x || !m->tth || !m->col || !m->dcol) {
        tsct_refine_model_destroy(m);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    }
    memcpy(m->x, x, (size_t)n * sizeof *x);
    for (int64_t i = 0; i < n; i++)
        m->tth[i] = rspace ? x[i]
                    : P->axis == TSCT_POWDER_AXIS_Q
                        ? 2 * asin(x[i] * P->wavelength / (4 * M_PI)) * DEG
                        : x[i];
    double ttmax = m->tth[n - 1] * 1.05 + 1;
    double qmax = 4 * M_PI * sin(fmin(ttmax, 179.9) * RAD / 2) / P->wavelength;
    for (int p = 0; p < nphases; p++) {
        tsct_status st = rspace ? tsct__refine_pdf_phase_create(m, p, &phases[p], err)
                                : phase_create(m, p, &phases[p], qmax, err);
        if (st != TSCT_OK) {
            m->nphases = p + 1;
            tsct_refine_model_destroy(m);
            return st;
        }
    }
    static const char *const inames[6] = {"U", "V", "W", "X", "Y", "zero"};
    static const double ival[6] = {0, 0, 1e-4, 0, 0, 0};
    static const double ilo[6] = {-10, -10, 0, 0, 0, -2}, ihi[6] = {10, 10, 10, 10, 10, 2};
    for (int i = 0; i < 6 && !rspace; i++)
        m->i_instr[i] = add_param(m, "instrument", inames[i], ival[i], ilo[i], ihi[i], 0,
                                  nphases ? PK_INSTR : PK_UNUSED, -1, SLOT_U + i);
    if (rspace)
        tsct__refine_pdf_instrument(m);
    double span = x[n - 1] - x[0];
    for (int k = 0; k < npeaks; k++) {
        const tsct_refine_peak_desc *d = &peaks[k];
        m->peak[k].i_area = add_param(m, d->name, "area", 1, 0, INFINITY, 1, PK_PEAK_AREA, k, 0);
        add_param(m, d->name, "position", d->position, x[0], x[n - 1], 0, PK_PEAK_NL, k, 0);
        add_param(m, d->name, "fwhm", d->fwhm > 0 ? d->fwhm : span / 50, 1e-6 * span, span, 0,
                  PK_PEAK_NL, k, 1);
        add_param(m, d->name, "eta", d->eta >= 0 && d->eta <= 1 ? d->eta : 0.5, 0, 1, 0,
                  PK_PEAK_NL, k, 2);
        m->peak[k].i_pos = m->peak[k].i_area + 1;
    }
    for (int b = 0; b < nbroad; b++) {
        add_param(m, broad[b].name, "scale", 1, 0, INFINITY, 1, PK_BROAD, b, 0);
        double *c = m->col + (int64_t)(nphases + npeaks + b) * n;
        memcpy(c, broad[b].y, (size_t)n * sizeof *c);
    }
    for (int j = 0; j < m->nbg; j++) {
        char nm[16];
        snprintf(nm, sizeof nm, "%d", j);
        add_param(m, "bg", nm, 0, -INFINITY, INFINITY, 1, PK_BG, j, 0);
        double *c = m->col + (int64_t)(nphases + npeaks + nbroad + j) * n;
        for (int64_t i = 0; i < n; i++) {
            double t = 2 * (x[i] - x[0]) / span - 1;
            double t0 = 1, t1 = t, tj = j == 0 ? 1 : t;
            for (int r = 2; r <= j; r++) {
                tj = 2 * t * t1 - t0;
                t0 = t1;
                t1 = tj;
            }
            c[i] = tj;
        }
    }
    /* Scratch of the refinement: enough for its normal equations and vectors. */
    int64_t L = m->ncol;
    m->work_size = (L * L + 8 * L + 4 * (int64_t)maxp + (int64_t)maxp * maxp) + 8 * n;
    m->work = malloc((size_t)m->work_size * sizeof *m->work);
    m->corr = malloc((size_t)maxp * maxp * sizeof *m->corr);
    m->corr_index = malloc((size_t)maxp * sizeof *m->corr_index);
    if (!m->work || !m->corr || !m->corr_index) {
        tsct_refine_model_destroy(m);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    }
    *out = m;
    return TSCT_OK;
}

/* A copy of every array: the reflection lists and columns are read-only in a run but a
 * model's scratch is not, so a clone shares nothing and may run on another thread. */
static void *dup_array(const void *src, size_t n, size_t size, int *fail)
{
    if (!src)
        return NULL;
    void *d = malloc(n > 0 ? n * size : 1);
    if (d)
        memcpy(d, src, n * size);
    else
        *fail = 1;
    return d;
}

tsct_status tsct_refine_model_clone(const tsct_refine_model *m, tsct_refine_model **out,
                                    tsct_error *err)
{
    *out = NULL;
    for (int p = 0; p < m->nphases; p++)
        if (m->phase[p].pdf)
            return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, m->phase[p].name, -1,
                                  "a real-space (G(r)) model cannot be cloned yet: refine its "
                                  "patterns one at a time");
    tsct_refine_model *c = malloc(sizeof *c);
    if (!c)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    *c = *m;
    const size_t n = (size_t)m->n, d = sizeof(double);
    const size_t maxp = (size_t)(m->nphases * 11 + 6 + m->npeaks * 4 + m->nbroad + m->nbg);
    int fail = 0;
    for (int p = 0; p < m->nphases; p++) {
        const struct refine_phase *ph = &m->phase[p];
        c->phase[p].refl = dup_array(ph->refl, (size_t)(ph->nrefl > 0 ? ph->nrefl : 1),
                                     sizeof *ph->refl, &fail);
        c->phase[p].po_cos2 = dup_array(ph->po_cos2, (size_t)ph->npo, d, &fail);
    }
    c->x = dup_array(m->x, n, d, &fail);
    c->tth = dup_array(m->tth, n, d, &fail);
    c->col = dup_array(m->col, (size_t)m->ncol * n, d, &fail);
    c->dcol = dup_array(m->dcol, (size_t)(m->nphases * NSLOT + m->npeaks * 3) * n, d, &fail);
    c->par = dup_array(m->par, maxp, sizeof *m->par, &fail);
    c->info = dup_array(m->info, maxp, sizeof *m->info, &fail);
    c->work = dup_array(m->work, (size_t)m->work_size, d, &fail);
    c->corr = dup_array(m->corr, maxp * maxp, d, &fail);
    c->corr_index = dup_array(m->corr_index, maxp, sizeof *m->corr_index, &fail);
    if (fail) {
        tsct_refine_model_destroy(c);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    }
    *out = c;
    return TSCT_OK;
}

int tsct_refine_model_nparams(const tsct_refine_model *m)
{
    return m->np;
}

tsct_refine_param *tsct_refine_model_param(tsct_refine_model *m, int i)
{
    return i >= 0 && i < m->np ? &m->par[i] : NULL;
}

int tsct_refine_model_find(const tsct_refine_model *m, const char *name)
{
    for (int i = 0; i < m->np; i++)
        if (m->info[i].kind != PK_UNUSED && strcmp(m->par[i].name, name) == 0)
            return i;
    return -1;
}

/* "phase CeO2 has no parameter c: its parameters are scale, a, size, ..." */
static tsct_status not_found(const tsct_refine_model *m, const char *name, tsct_error *err)
{
    char comp[TSCT_REFINE_NAME_MAX];
    snprintf(comp, sizeof comp, "%s", name);
    char *dot = strchr(comp, '.');
    if (dot)
        *dot = 0;
    char list[1024] = "";
    size_t len = 0;
    for (int i = 0; i < m->np; i++) {
        const char *pn = m->par[i].name;
        size_t cl = strlen(comp);
        if (m->info[i].kind == PK_UNUSED || strncmp(pn, comp, cl) != 0 || pn[cl] != '.')
            continue;
        len += (size_t)snprintf(list + len, len < sizeof list ? sizeof list - len : 0, "%s%s",
                                len ? ", " : "", pn + cl + 1);
        if (len >= sizeof list)
            break;
    }
    if (!list[0])
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, name, -1,
                              "no component named '%s' (parameter %s)", comp, name);
    return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, name, -1,
                          "%s has no parameter '%s': its parameters are %s", comp,
                          dot ? dot + 1 : "", list);
}

/* The physical range of parameter i. */
static void physical(const tsct_refine_model *m, int i, double *lo, double *hi, int *open_lo)
{
    const refine_info *in = &m->info[i];
    const char *dot = strrchr(m->par[i].name, '.');
    const char *s = dot ? dot + 1 : "";
    *lo = -INFINITY;
    *hi = INFINITY;
    *open_lo = 0;
    if (in->kind == PK_PHASE_NL && in->slot < SLOT_SIZE) {
        int ang = strcmp(s, "alpha") == 0 || strcmp(s, "beta") == 0 || strcmp(s, "gamma") == 0;
        *lo = 0;
        *open_lo = 1;
        if (ang)
            *hi = 180;
    } else if ((in->kind == PK_PHASE_NL && (in->slot == SLOT_SIZE || in->slot == SLOT_PO)) ||
               (in->kind == PK_PEAK_NL && in->slot == 1)) {
        *lo = 0;
        *open_lo = 1;
    } else if (in->kind == PK_PHASE_NL && in->slot == SLOT_STRAIN) {
        *lo = 0;
    } else if (in->kind == PK_PEAK_NL && in->slot == 2) {
        *lo = 0;
        *hi = 1;
    } else if (in->kind == PK_INSTR && m->P.space == TSCT_REFINE_SPACE_R) {
        *lo = 0; /* qdamp, qbroad */
    }
}

static tsct_status check_physical(const tsct_refine_model *m, int i, double v, const char *what,
                                  tsct_error *err)
{
    double lo, hi;
    int open_lo;
    physical(m, i, &lo, &hi, &open_lo);
    if (isnan(v) || v < lo || (open_lo && v == lo) || v > hi ||
        (isinf(v) && !(m->info[i].kind == PK_PHASE_NL && m->info[i].slot == SLOT_SIZE) &&
         strcmp(what, "limit") != 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, m->par[i].name, -1,
                              "%s %g of %s is outside physics: it must be %s %g%s%s", what, v,
                              m->par[i].name, open_lo ? ">" : ">=", lo,
                              isfinite(hi) ? " and <= " : "", isfinite(hi) ? "" : "");
    return TSCT_OK;
}

tsct_status tsct_refine_model_set(tsct_refine_model *m, const char *name, double value,
                                  int refine, tsct_error *err)
{
    int i = tsct_refine_model_find(m, name);
    if (i < 0)
        return not_found(m, name, err);
    tsct_refine_param *q = &m->par[i];
    if (!isnan(value)) {
        TSCT_TRY(check_physical(m, i, value, "value", err));
        q->value = value;
        if (value < q->lo)
            q->lo = value;
        if (value > q->hi)
            q->hi = value;
    }
    if (refine >= 0)
        q->refine = refine ? 1 : 0;
    return TSCT_OK;
}

tsct_status tsct_refine_model_set_limits(tsct_refine_model *m, const char *name, double lo,
                                         double hi, tsct_error *err)
{
    int i = tsct_refine_model_find(m, name);
    if (i < 0)
        return not_found(m, name, err);
    tsct_refine_param *q = &m->par[i];
    double nlo = isnan(lo) ? q->lo : lo, nhi = isnan(hi) ? q->hi : hi;
    if (!isnan(lo))
        TSCT_TRY(check_physical(m, i, lo, "limit", err));
    if (!isnan(hi))
        TSCT_TRY(check_physical(m, i, hi, "limit", err));
    if (!(nlo <= nhi))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1,
                              "limits of %s: the lower %g is above the upper %g", name, nlo,
                              nhi);
    q->lo = nlo;
    q->hi = nhi;
    if (q->value < nlo)
        q->value = nlo;
    if (q->value > nhi)
        q->value = nhi;
    return TSCT_OK;
}

int tsct_refine_model_phase_count(const tsct_refine_model *m)
{
    return m->nphases;
}

const char *tsct_refine_model_phase_name(const tsct_refine_model *m, int p)
{
    return p >= 0 && p < m->nphases ? m->phase[p].name : NULL;
}

const char *tsct_refine_model_phase_system(const tsct_refine_model *m, int p)
{
    if (p < 0 || p >= m->nphases)
        return NULL;
    const struct refine_phase *ph = &m->phase[p];
    return ph->pdf && ph->nlat == 0 ? "cluster" : system_names[ph->system];
}

double tsct_refine_model_phase_mass(const tsct_refine_model *m, int p)
{
    return p >= 0 && p < m->nphases ? m->phase[p].mass : NAN;
}

/* The refined cell of phase p. */
void tsct__refine_phase_cell(const tsct_refine_model *m, int p, double cell[6])
{
    const struct refine_phase *ph = &m->phase[p];
    memcpy(cell, &ph->cell0.a, 6 * sizeof *cell);
    for (int l = 0; l < ph->nlat; l++)
        for (int e = 0; e < 6; e++)
            if (ph->drive[l] & (1 << e))
                cell[e] = m->par[ph->i_lat[l]].value;
}

double tsct_refine_model_phase_volume(const tsct_refine_model *m, int p)
{
    if (p < 0 || p >= m->nphases)
        return NAN;
    double c[6];
    tsct__refine_phase_cell(m, p, c);
    tsct_cell cell = {c[0], c[1], c[2], c[3], c[4], c[5]};
    return tsct_crystal_cell_volume(&cell);
}

static double pval(const tsct_refine_model *m, int i)
{
    return m->par[i].value;
}

/* Metric G of the refined cell, its inverse and dG/dp for each free lattice parameter. */
static tsct_status phase_metric(const tsct_refine_model *m, int p, double gs[3][3],
                                double dg[6][3][3], tsct_error *err)
{
    const struct refine_phase *ph = &m->phase[p];
    double c[6];
    tsct__refine_phase_cell(m, p, c);
    tsct_cell cell = {c[0], c[1], c[2], c[3], c[4], c[5]};
    tsct_error e2 = TSCT_ERROR_INIT;
    if (tsct_crystal_cell_metric(&cell, NULL, gs, &e2) != TSCT_OK)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, ph->name, -1,
                              "phase %s: the cell %g %g %g %g %g %g has no volume", ph->name,
                              c[0], c[1], c[2], c[3], c[4], c[5]);
    double ca = cos(c[3] * RAD), cb = cos(c[4] * RAD), cg = cos(c[5] * RAD);
    double sa = sin(c[3] * RAD), sb = sin(c[4] * RAD), sg = sin(c[5] * RAD);
    double de[6][3][3];
    memset(de, 0, sizeof de);
    de[0][0][0] = 2 * c[0], de[0][0][1] = de[0][1][0] = c[1] * cg;
    de[0][0][2] = de[0][2][0] = c[2] * cb;
    de[1][1][1] = 2 * c[1], de[1][0][1] = de[1][1][0] = c[0] * cg;
    de[1][1][2] = de[1][2][1] = c[2] * ca;
    de[2][2][2] = 2 * c[2], de[2][0][2] = de[2][2][0] = c[0] * cb;
    de[2][1][2] = de[2][2][1] = c[1] * ca;
    de[3][1][2] = de[3][2][1] = -c[1] * c[2] * sa * RAD;
    de[4][0][2] = de[4][2][0] = -c[0] * c[2] * sb * RAD;
    de[5][0][1] = de[5][1][0] = -c[0] * c[1] * sg * RAD;
    for (int l = 0; l < ph->nlat; l++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                dg[l][i][j] = 0;
                for (int e = 0; e < 6; e++)
                    if (ph->drive[l] & (1 << e))
                        dg[l][i][j] += de[e][i][j];
            }
    return TSCT_OK;
}

/* Area-normalised pseudo-Voigt of FWHM g and mixing eta at offset dx: value and partials. */
static inline void pvoigt(double dx, double g, double eta, double *f, double *f_dx, double *f_g,
                          double *f_eta)
{
    const double c4 = 4 * M_LN2;
    double u = dx / g, u2 = u * u;
    /* beyond 3.5 FWHM the Gaussian is below 2e-15 of its peak: skip the exp */
    double gn = u2 < 12.25 ? sqrt(c4 / M_PI) / g * exp(-c4 * u2) : 0.0;
    double den = 1 + 4 * u2;
    double ln = 2 / (M_PI * g) / den;
    *f = eta * ln + (1 - eta) * gn;
    if (!f_dx)
        return;
    double gdx = gn * (-2 * c4 * dx / (g * g)), gg = gn * (-1 / g + 2 * c4 * u2 / g);
    double ldx = ln * (-8 * dx / (g * g)) / den, lg = ln * (-1 / g + 8 * u2 / g / den);
    *f_dx = eta * ldx + (1 - eta) * gdx;
    *f_g = eta * lg + (1 - eta) * gg;
    *f_eta = ln - gn;
}

/* Thompson-Cox-Hastings: FWHM and eta from the Gaussian and Lorentzian widths, with partials. */
static void tch(double G, double L, double *H, double *eta, double d[4])
{
    const double a1 = 2.69269, a2 = 2.42843, a3 = 4.47163, a4 = 0.07842;
    double G2 = G * G, G3 = G2 * G, G4 = G3 * G, L2 = L * L, L3 = L2 * L, L4 = L3 * L;
    double h5 = G4 * G + a1 * G4 * L + a2 * G3 * L2 + a3 * G2 * L3 + a4 * G * L4 + L4 * L;
    double dG = 5 * G4 + 4 * a1 * G3 * L + 3 * a2 * G2 * L2 + 2 * a3 * G * L3 + a4 * L4;
    double dL = a1 * G4 + 2 * a2 * G3 * L + 3 * a3 * G2 * L2 + 4 * a4 * G * L3 + 5 * L4;
    double h = pow(h5, 0.2);
    double hG = dG / (5 * h5 / h), hL = dL / (5 * h5 / h);
    double q = L / h;
    double e = 1.36603 * q - 0.47719 * q * q + 0.11116 * q * q * q;
    double de = 1.36603 - 0.95438 * q + 0.33348 * q * q;
    *H = h;
    *eta = e;
    d[0] = hG;                             /* dH/dG */
    d[1] = hL;                             /* dH/dL */
    d[2] = de * (-L / (h * h) * hG);       /* deta/dG */
    d[3] = de * (1 / h - L / (h * h) * hL); /* deta/dL */
}

static int64_t lower_bound(const double *v, int64_t n, double x)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Phase p's column (unit scale) and, with deriv, its slots. */
static tsct_status phase_eval(tsct_refine_model *m, int p, int deriv, tsct_error *err)
{
    struct refine_phase *ph = &m->phase[p];
    const int64_t n = m->n;
    double *y = m->col + (int64_t)p * n;
    double *d = m->dcol + (int64_t)p * NSLOT * n;
    memset(y, 0, (size_t)n * sizeof *y);
    if (deriv)
        memset(d, 0, (size_t)(NSLOT * n) * sizeof *d);
    double gs[3][3], dg[6][3][3];
    TSCT_TRY(phase_metric(m, p, gs, dg, err));
    const double lam = m->P.wavelength, K = m->P.scherrer_k;
    const double U = pval(m, m->i_instr[0]), V = pval(m, m->i_instr[1]);
    const double W = pval(m, m->i_instr[2]), X = pval(m, m->i_instr[3]);
    const double Y = pval(m, m->i_instr[4]), zero = pval(m, m->i_instr[5]);
    const double D = pval(m, ph->i_size), eps = pval(m, ph->i_strain), B = pval(m, ph->i_b);
    const double r = ph->i_po >= 0 ? pval(m, ph->i_po) : 1;
    const int pol = m->P.polarization == TSCT_POWDER_POLARIZATION_UNPOLARIZED;
    for (int64_t k = 0; k < ph->nrefl; k++) {
        const struct refine_refl *R = &ph->refl[k];
        double u[3];
        for (int i = 0; i < 3; i++)
            u[i] = gs[i][0] * R->h[0] + gs[i][1] * R->h[1] + gs[i][2] * R->h[2];
        double q2 = R->h[0] * u[0] + R->h[1] * u[1] + R->h[2] * u[2];
        double st = lam * sqrt(q2) / 2;
        if (!(st < 1))
            continue;
        double th = asin(st), ct = cos(th), tt = st / ct, sec2 = 1 / (ct * ct);
        double c = 2 * th * DEG + zero;
        /* intensity and its log-derivatives */
        double Lf = 1 / (st * st * ct), dlnA = -2 * ct / st + tt;
        double P = 1;
        if (pol) {
            double c2t = cos(2 * th);
            P = (1 + c2t * c2t) / 2;
            dlnA += -sin(4 * th) / P;
        }
        double dw = exp(-B * q2 / 2);
        double po = 1, dpo = 0;
        if (ph->i_po >= 0) {
            po = 0;
            for (int64_t e = 0; e < R->po_n; e++) {
                double c2 = ph->po_cos2[R->po_off + e];
                double b = r * r * c2 + (1 - c2) / r;
                po += pow(b, -1.5);
                dpo += -1.5 * pow(b, -2.5) * (2 * r * c2 - (1 - c2) / (r * r));
            }
            po /= (double)R->po_n;
            dpo /= (double)R->po_n;
        }
        double A0 = R->mf2 * Lf * P * dw;
        double A = A0 * po;
        /* widths */
        double G2 = U * tt * tt + V * tt + W;
        if (!(G2 > 0) && !(G2 == 0 && (X * tt + Y / ct) > 0))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, ph->name, k,
                                  "phase %s, reflection %d %d %d: the Gaussian FWHM^2 U tan^2 "
                                  "+ V tan + W = %g is not > 0",
                                  ph->name, (int)R->h[0], (int)R->h[1], (int)R->h[2], G2);
        double Gw = sqrt(G2 > 0 ? G2 : 0);
        double Lw = X * tt + Y / ct + DEG * (K * lam / (10 * D * ct) + 4 * eps * tt);
        double dG_dth = Gw > 0 ? (2 * U * tt + V) * sec2 / (2 * Gw) : 0;
        double dL_dth = X * sec2 + Y * tt / ct +
                        DEG * (K * lam * tt / (10 * D * ct) + 4 * eps * sec2);
        double H, eta, td[4];
        tch(Gw, Lw, &H, &eta, td);
        if (!(H > 0) || !isfinite(H))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, ph->name, k,
                                  "phase %s, reflection %d %d %d: FWHM %g is not > 0", ph->name,
                                  (int)R->h[0], (int)R->h[1], (int)R->h[2], H);
        double half = m->P.window * H;
        int64_t i0 = lower_bound(m->tth, n, c - half), i1 = lower_bound(m->tth, n, c + half);
        if (i0 >= i1)
            continue;
        /* chain-rule factors shared by the points of this peak */
        double dth_dq2 = lam / (4 * sqrt(q2) * ct);
        double dq2[6];
        for (int l = 0; l < ph->nlat; l++) {
            double s = 0;
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    s += u[i] * dg[l][i][j] * u[j];
            dq2[l] = -s;
        }
        double gG[3] = {tt * tt / (2 * Gw), tt / (2 * Gw), 1 / (2 * Gw)};
        if (!(Gw > 0))
            gG[0] = gG[1] = gG[2] = 0;
        double gL[4] = {tt, 1 / ct, -DEG * K * lam / (10 * D * D * ct), DEG * 4 * tt};
        const unsigned need = deriv ? ph->need : 0;
        const int lat = (need & ((1u << SLOT_SIZE) - 1)) != 0;
        for (int64_t i = i0; i < i1; i++) {
            double f, fdx = 0, fg = 0, fe = 0;
            pvoigt(m->tth[i] - c, H, eta, &f, need ? &fdx : NULL, &fg, &fe);
            y[i] += A * f;
            if (!need)
                continue;
            double oG = fg * td[0] + fe * td[2], oL = fg * td[1] + fe * td[3];
            if (lat) {
                double dth = A * (dlnA * f - 2 * DEG * fdx + oG * dG_dth + oL * dL_dth);
                double dlat = dth * dth_dq2 + A * f * (-B / 2);
                for (int l = 0; l < ph->nlat; l++)
                    d[(SLOT_LAT0 + l) * n + i] += dlat * dq2[l];
            }
#define SLOT(s, v) \
    if (need & (1u << (s))) \
        d[(s) * n + i] += (v);
            SLOT(SLOT_SIZE, A * oL * gL[2]);
            SLOT(SLOT_STRAIN, A * oL * gL[3]);
            SLOT(SLOT_B, A * f * (-q2 / 2));
            SLOT(SLOT_PO, A0 * dpo * f);
            SLOT(SLOT_U, A * oG * gG[0]);
            SLOT(SLOT_V, A * oG * gG[1]);
            SLOT(SLOT_W, A * oG * gG[2]);
            SLOT(SLOT_X, A * oL * gL[0]);
            SLOT(SLOT_Y, A * oL * gL[1]);
            SLOT(SLOT_ZERO, -A * fdx);
#undef SLOT
        }
    }
    if (!isfinite(D) && deriv)
        memset(d + SLOT_SIZE * n, 0, (size_t)n * sizeof *d);
    return TSCT_OK;
}

static void peak_eval(tsct_refine_model *m, int k, int deriv)
{
    const int64_t n = m->n;
    int ia = m->peak[k].i_area;
    double x0 = pval(m, ia + 1), w = pval(m, ia + 2), eta = pval(m, ia + 3);
    double *y = m->col + (int64_t)(m->nphases + k) * n;
    double *d = m->dcol + ((int64_t)m->nphases * NSLOT + 3 * k) * n;
    for (int64_t i = 0; i < n; i++) {
        double f, fdx = 0, fg = 0, fe = 0;
        pvoigt(m->x[i] - x0, w, eta, &f, &fdx, &fg, &fe);
        y[i] = f;
        if (deriv) {
            d[i] = -fdx;
            d[n + i] = fg;
            d[2 * n + i] = fe;
        }
    }
}

tsct_status tsct__refine_columns(tsct_refine_model *m, int deriv, tsct_error *err)
{
    for (int p = 0; p < m->nphases; p++)
        TSCT_TRY(m->phase[p].pdf ? tsct__refine_pdf_phase_eval(m, p, deriv, err)
                                 : phase_eval(m, p, deriv, err));
    for (int k = 0; k < m->npeaks; k++) {
        if (!(pval(m, m->peak[k].i_area + 2) > 0))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, m->par[m->peak[k].i_area + 2].name,
                                  -1, "the FWHM of peak %s must be > 0",
                                  m->par[m->peak[k].i_area].name);
        peak_eval(m, k, deriv);
    }
    return TSCT_OK;
}

int tsct__refine_param_column(const tsct_refine_model *m, int i)
{
    const refine_info *in = &m->info[i];
    switch (in->kind) {
    case PK_PHASE_SCALE: return in->owner;
    case PK_PEAK_AREA: return m->nphases + in->owner;
    case PK_BROAD: return m->nphases + m->npeaks + in->owner;
    case PK_BG: return m->nphases + m->npeaks + m->nbroad + in->owner;
    default: return -1;
    }
}

double tsct__refine_coef(const tsct_refine_model *m, int col)
{
    for (int i = 0; i < m->np; i++)
        if (m->par[i].linear && tsct__refine_param_column(m, i) == col)
            return m->par[i].value;
    return 0;
}

void tsct__refine_dnonlinear(const tsct_refine_model *m, int i, const double *coef, double *out)
{
    const int64_t n = m->n;
    const refine_info *in = &m->info[i];
    memset(out, 0, (size_t)n * sizeof *out);
    if (in->kind == PK_PHASE_NL || in->kind == PK_INSTR) {
        for (int p = 0; p < m->nphases; p++) {
            if (in->kind == PK_PHASE_NL && p != in->owner)
                continue;
            const double *d = m->dcol + ((int64_t)p * NSLOT + in->slot) * n;
            double c = coef[p];
            if (c != 0)
                for (int64_t j = 0; j < n; j++)
                    out[j] += c * d[j];
        }
    } else if (in->kind == PK_PEAK_NL) {
        const double *d = m->dcol + ((int64_t)m->nphases * NSLOT + 3 * in->owner + in->slot) * n;
        double c = coef[m->nphases + in->owner];
        for (int64_t j = 0; j < n; j++)
            out[j] = c * d[j];
    }
}

tsct_status tsct_refine_model_evaluate(tsct_refine_model *m, double *y, double *jac,
                                       tsct_error *err)
{
    TSCT_TRY(tsct__refine_columns(m, jac != NULL, err));
    const int64_t n = m->n;
    double coef[TSCT_REFINE_MAX_PHASES + TSCT_REFINE_MAX_PEAKS + TSCT_REFINE_MAX_BROAD +
                TSCT_REFINE_MAX_BACKGROUND];
    for (int c = 0; c < m->ncol; c++)
        coef[c] = tsct__refine_coef(m, c);
    memset(y, 0, (size_t)n * sizeof *y);
    for (int c = 0; c < m->ncol; c++)
        for (int64_t i = 0; i < n; i++)
            y[i] += coef[c] * m->col[(int64_t)c * n + i];
    if (!jac)
        return TSCT_OK;
    for (int j = 0; j < m->np; j++) {
        double *row = jac + (int64_t)j * n;
        int c = tsct__refine_param_column(m, j);
        if (c >= 0)
            memcpy(row, m->col + (int64_t)c * n, (size_t)n * sizeof *row);
        else
            tsct__refine_dnonlinear(m, j, coef, row);
    }
    return TSCT_OK;
}

int64_t tsct_refine_model_ticks(const tsct_refine_model *m, int p, double *out, int64_t max)
{
    if (p < 0 || p >= m->nphases || m->phase[p].pdf)
        return 0; /* real space: no reflections */
    const struct refine_phase *ph = &m->phase[p];
    double gs[3][3], dg[6][3][3];
    if (phase_metric(m, p, gs, dg, NULL) != TSCT_OK)
        return 0;
    double zero = pval(m, m->i_instr[5]), lam = m->P.wavelength;
    int64_t cnt = 0;
    for (int64_t k = 0; k < ph->nrefl && cnt < max; k++) {
        const double *h = ph->refl[k].h;
        double q2 = 0;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                q2 += h[i] * gs[i][j] * h[j];
        double st = lam * sqrt(q2) / 2;
        if (!(st < 1))
            continue;
        double c = 2 * asin(st) * DEG + zero;
        double x = m->P.axis == TSCT_POWDER_AXIS_Q ? 4 * M_PI * sin(c * RAD / 2) / lam : c;
        if (x >= m->x[0] && x <= m->x[m->n - 1])
            out[cnt++] = x;
    }
    return cnt;
}
