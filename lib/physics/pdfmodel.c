/* pdfmodel.c - calculated G(r) of crystals and clusters with analytic derivatives (see
 * tsct/pdfmodel.h for the model and docs/pdf.md, "Calculated G(r)", for the formulas).
 *
 * Method: the pairs within the extended grid are listed with their distance, summed squared
 * displacement s'^2 = U_i + U_j, weight and (crystal) the six derivatives of the distance with
 * respect to the lattice parameters; pairs of equal distance and equal s'^2 are merged (a
 * crystal's shells: a few hundred groups instead of ~10^5 pairs), which makes the Gaussian
 * sums cheap and leaves the derivatives exact, since every member of a group has the same
 * Gaussian and the lattice derivatives add. The sums run on the grid r_k = k dr from 0 to the
 * extended end; the termination at qmax is a DST-I (FFTW's RODFT00, G odd about r = 0) with the
 * components above qmax set to zero, applied to G and to each derivative alike.
 */
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "tsct/formfactor.h"
#include "tsct/pdfmodel.h"

#define DEG (M_PI / 180.0)
#define NLAT 6

/* Most pairs a crystal model lists (each 80 bytes) before refusing: a structure this large
 * needs a shorter r range. */
#define MAX_PAIRS ((int64_t)1 << 24)

struct tsct_pdfmodel {
    int crystal;
    /* atoms: fractional (crystal) or Cartesian (cluster) positions, weights occ * f(0) / <f>,
     * each atom's Uiso (crystal, from its site) */
    int64_t natoms;
    double *x;
    double *w;
    double *u;
    double ncount;       /* N = sum of occupancies */
    tsct_cell cell;      /* the structure's cell */
    int has_uiso;        /* every site has a Uiso > 0 */
    char missing_uiso[32];
    /* grid: data r_j = (k0 + j) dr, j < nr; internal k = 0 .. K */
    double dr;
    int64_t k0, nr, K;
    double qmax;
    fftw_plan dst;       /* RODFT00 of K - 1 points, NULL without termination */
    /* a tied lattice (tsct_pdfmodel_create_crystal_tied): nfree free parameters, each
     * driving the cell entries of drive[l]; the pair groups listed once at the structure's
     * cell (fractional difference d, amplitude, U_i + U_j) */
    int tied, nfree;
    int drive[6];
    int64_t ngroups;
    struct group *groups;
};

struct group {
    double d[3];
    double ampl, sp2;
};

const char *tsct_pdfmodel_param_name(tsct_pdfmodel_param p)
{
    static const char *const names[TSCT_PDFMODEL_NPARAM] = {
        "scale",  "a",      "b",      "c",        "alpha", "beta", "gamma",  "uiso",
        "delta1", "delta2", "qbroad", "qdamp", "diameter", "dsig", "rho0"};
    return (int)p >= 0 && p < TSCT_PDFMODEL_NPARAM ? names[p] : NULL;
}

/* ---- envelopes ------------------------------------------------------------------------------ */

static double sphere_env(double r, double d)
{
    if (d <= 0.0)
        return 1.0;
    const double x = r / d;
    return x < 1.0 ? 1.0 - 1.5 * x + 0.5 * x * x * x : 0.0;
}

/* d/dd of the sphere envelope. */
static double sphere_env_dd(double r, double d)
{
    const double x = r / d;
    return x < 1.0 ? (1.5 * x - 1.5 * x * x * x) / d : 0.0;
}

/* The sphere envelope averaged over a log-normal distribution of diameters of mean d and
 * standard deviation dsig, weighted by particle volume (the closed form of Lei et al.,
 * Phys. Rev. B 80 (2009) 024118, as PDF nanoshape fits use it; tested against the numerical
 * average in tests/test_pdfmodel.c). */
static double lognormal_env(double r, double d, double dsig)
{
    if (r <= 0.0)
        return 1.0;
    const double s2 = log(dsig * dsig / (d * d) + 1.0), s = sqrt(s2);
    const double mu = log(d) - 0.5 * s2, lr = log(r), k = 1.0 / (M_SQRT2 * s);
    return 0.5 * erfc((lr - mu - 3.0 * s2) * k) -
           0.75 * r * erfc((lr - mu - 2.0 * s2) * k) * exp(-mu - 2.5 * s2) +
           0.25 * r * r * r * erfc((lr - mu) * k) * exp(-3.0 * mu - 4.5 * s2);
}

double tsct_pdfmodel_envelope(double r, double diameter, double dsig)
{
    if (!(diameter > 0.0))
        return 1.0;
    return dsig > 0.0 ? lognormal_env(r, diameter, dsig) : sphere_env(r, diameter);
}

/* ---- making a model ------------------------------------------------------------------------- */

void tsct_pdfmodel_destroy(tsct_pdfmodel *m)
{
    if (!m)
        return;
    if (m->dst) {
        tsct__fftw_lock();
        fftw_destroy_plan(m->dst);
        tsct__fftw_unlock();
    }
    free(m->x);
    free(m->w);
    free(m->u);
    free(m->groups);
    free(m);
}

/* n rounded up to a size whose factors are 2, 3, 5 and 7 (fast for FFTW). */
static int64_t smooth_size(int64_t n)
{
    for (;; n++) {
        int64_t v = n;
        for (int f = 2; f <= 7; f++)
            while (v % f == 0)
                v /= f;
        if (v == 1)
            return n;
    }
}

/* The grid: uniform r[nr] from a multiple of the step, and the internal extent K. */
static tsct_status grid_setup(tsct_pdfmodel *m, const double *r, int64_t nr, double qmax,
                              tsct_error *err)
{
    if (!r || nr < 2)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "r", -1,
                              "the r grid needs at least 2 points, got %lld", (long long)nr);
    if (!isfinite(qmax) || qmax < 0.0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "qmax", -1,
                              "must be finite and >= 0 (0: no termination), got %g", qmax);
    const double dr = (r[nr - 1] - r[0]) / (double)(nr - 1);
    if (!isfinite(dr) || !(dr > 0.0) || !isfinite(r[0]) || r[0] < 0.0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "r", -1,
                              "the r grid must increase from r >= 0 (got %g .. %g)", r[0],
                              r[nr - 1]);
    for (int64_t j = 0; j < nr; j++)
        if (!(fabs(r[j] - (r[0] + (double)j * dr)) <= 1e-5 * dr))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "r", j,
                                  "the r grid is not uniform: r[%lld] = %.9g, expected %.9g "
                                  "(step %.9g)", (long long)j, r[j], r[0] + (double)j * dr, dr);
    const double k0 = rint(r[0] / dr);
    if (fabs(r[0] - k0 * dr) > 1e-4 * dr)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "rmin", -1,
                              "the grid must start at a multiple of its step %.9g, got %.9g",
                              dr, r[0]);
    const double rend = r[nr - 1];
    /* Past the data's end: 10 A and twenty periods of the termination ripple, so that the
     * filter's edge (the grid's end) stays away from the data. */
    const double ext = qmax > 0.0 ? 10.0 + 40.0 * M_PI / qmax : 0.0;
    const double kend = ceil((rend + ext) / dr) + 1.0;
    if (kend > (double)TSCT_PDFMODEL_MAX_POINTS)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "r", -1,
                              "%.0f grid points (to %.4g A in steps of %.4g A, with the "
                              "termination's margin) exceed %d", kend, rend, dr,
                              TSCT_PDFMODEL_MAX_POINTS);
    m->dr = dr;
    m->k0 = (int64_t)k0;
    m->nr = nr;
    m->qmax = qmax;
    /* FFTW computes a RODFT00 of n points through a real FFT of 2 (n + 1): K = n + 1 is the
     * size that must factor into 2, 3, 5, 7 (n itself smooth left K prime-rich: 5x slower) */
    m->K = qmax > 0.0 ? smooth_size((int64_t)kend) : (int64_t)kend;
    if (qmax > 0.0) {
        double *tmp = fftw_malloc((size_t)(m->K - 1) * sizeof *tmp);
        if (!tmp)
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "r", -1, "FFT buffer");
        tsct__fftw_lock();
        m->dst = fftw_plan_r2r_1d((int)(m->K - 1), tmp, tmp, FFTW_RODFT00, FFTW_ESTIMATE);
        tsct__fftw_unlock();
        fftw_free(tmp);
        if (!m->dst)
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "r", -1, "FFT plan");
    }
    return TSCT_OK;
}

/* A new model with its grid and room for n atoms; *occ receives a scratch array of n. */
static tsct_status model_begin(tsct_pdfmodel **mp, double **occ, int64_t n, const double *r,
                               int64_t nr, double qmax, tsct_error *err)
{
    tsct_pdfmodel *m = *mp = calloc(1, sizeof *m);
    if (!m)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "model", -1, "out of memory");
    tsct_status st = grid_setup(m, r, nr, qmax, err);
    if (st != TSCT_OK)
        return st;
    m->natoms = n;
    const size_t k = (size_t)(n > 0 ? n : 1);
    m->x = malloc(3 * k * sizeof *m->x);
    m->w = malloc(k * sizeof *m->w);
    m->u = malloc(k * sizeof *m->u);
    *occ = malloc(k * sizeof **occ);
    if (!m->x || !m->w || !m->u || !*occ)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "atoms", -1, "%lld atoms",
                              (long long)n);
    return TSCT_OK;
}

/* Weights occ f(0) / <f(0)> (from occ f(0) in w[] on entry), N; then the model or the error. */
static tsct_status model_finish(tsct_pdfmodel *m, double *occ, tsct_status st,
                                tsct_pdfmodel **out)
{
    if (st == TSCT_OK) {
        double sf = 0.0, so = 0.0;
        for (int64_t i = 0; i < m->natoms; i++) {
            sf += m->w[i];
            so += occ[i];
        }
        m->ncount = so;
        const double mean = so > 0.0 ? sf / so : 1.0;
        for (int64_t i = 0; i < m->natoms; i++)
            m->w[i] /= mean;
        *out = m;
    } else {
        tsct_pdfmodel_destroy(m);
    }
    free(occ);
    return st;
}

tsct_status tsct_pdfmodel_create_crystal(tsct_pdfmodel **out, const tsct_crystal *crystal,
                                         const double *r, int64_t nr, double qmax,
                                         tsct_error *err)
{
    if (out)
        *out = NULL;
    if (!out || !crystal)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "crystal", -1, "NULL argument");
    const int64_t n = tsct_crystal_atom_count(crystal);
    const tsct_atom *atoms = tsct_crystal_atoms(crystal);
    const tsct_site *sites = tsct_crystal_sites(crystal);
    tsct_pdfmodel *m = NULL;
    double *occ = NULL;
    tsct_status st = model_begin(&m, &occ, n, r, nr, qmax, err);
    if (m) {
        m->crystal = 1;
        m->cell = *tsct_crystal_cell(crystal);
        m->has_uiso = 1;
    }
    for (int64_t i = 0; st == TSCT_OK && i < n; i++) {
        const tsct_site *s = &sites[atoms[i].site];
        const tsct_formfactor *ff = tsct_crystal_site_formfactor(crystal, atoms[i].site);
        memcpy(m->x + 3 * i, atoms[i].x, sizeof atoms[i].x);
        occ[i] = s->occupancy;
        m->w[i] = s->occupancy * tsct_formfactor_f0_s(ff, 0.0);
        m->u[i] = s->uiso;
        if (!(s->uiso > 0.0) && m->has_uiso) {
            m->has_uiso = 0;
            snprintf(m->missing_uiso, sizeof m->missing_uiso, "%s", s->label);
        }
    }
    return m ? model_finish(m, occ, st, out) : st;
}

static tsct_status tied_plan(tsct_pdfmodel *m, tsct_error *err);

tsct_status tsct_pdfmodel_create_crystal_tied(tsct_pdfmodel **out, const tsct_crystal *crystal,
                                              const double *r, int64_t nr, double qmax,
                                              int nfree, const int drive[6], tsct_error *err)
{
    if (out)
        *out = NULL;
    if (nfree < 0 || nfree > NLAT || (nfree > 0 && !drive))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "nfree", -1,
                              "0 .. 6 free lattice parameters with their entries, got %d",
                              nfree);
    for (int l = 0; l < nfree; l++)
        if (drive[l] <= 0 || drive[l] >= (1 << NLAT))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "drive", l,
                                  "a free parameter drives cell entries (bits 0 .. 5), got %d",
                                  drive[l]);
    tsct_pdfmodel *m = NULL;
    TSCT_TRY(tsct_pdfmodel_create_crystal(&m, crystal, r, nr, qmax, err));
    m->tied = 1;
    m->nfree = nfree;
    for (int l = 0; l < nfree; l++)
        m->drive[l] = drive[l];
    tsct_status st = tied_plan(m, err);
    if (st != TSCT_OK) {
        tsct_pdfmodel_destroy(m);
        return st;
    }
    *out = m;
    return TSCT_OK;
}

tsct_status tsct_pdfmodel_create_cluster(tsct_pdfmodel **out, const tsct_debye_cluster *cluster,
                                         const double *r, int64_t nr, double qmax,
                                         tsct_error *err)
{
    if (out)
        *out = NULL;
    if (!out || !cluster)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "cluster", -1, "NULL argument");
    const int64_t n = tsct_debye_cluster_atom_count(cluster);
    const double *xyz = tsct_debye_cluster_positions(cluster);
    const int64_t *species = tsct_debye_cluster_atom_species(cluster);
    tsct_pdfmodel *m = NULL;
    double *occ = NULL;
    tsct_status st = model_begin(&m, &occ, n, r, nr, qmax, err);
    for (int64_t i = 0; st == TSCT_OK && i < n; i++) {
        const tsct_formfactor *ff = tsct_debye_cluster_species_formfactor(cluster, species[i]);
        memcpy(m->x + 3 * i, xyz + 3 * i, 3 * sizeof *xyz);
        occ[i] = tsct_debye_cluster_species_occupancy(cluster, species[i]);
        m->w[i] = occ[i] * tsct_formfactor_f0_s(ff, 0.0);
        m->u[i] = 0.0;
    }
    return m ? model_finish(m, occ, st, out) : st;
}

int64_t tsct_pdfmodel_size(const tsct_pdfmodel *m)
{
    return m ? m->nr : 0;
}

int tsct_pdfmodel_is_crystal(const tsct_pdfmodel *m)
{
    return m ? m->crystal : 0;
}

double tsct_pdfmodel_density(const tsct_pdfmodel *m, const tsct_cell *cell)
{
    if (!m || !m->crystal)
        return NAN;
    const tsct_cell *c = cell && cell->a != 0.0 ? cell : &m->cell;
    return m->ncount / tsct_crystal_cell_volume(c);
}

/* ---- pairs ---------------------------------------------------------------------------------- */

typedef struct pair {
    double r;        /* distance, Angstrom */
    double sp2;      /* U_i + U_j (0 when one uiso serves all: set at evaluation) */
    double ampl;     /* w_i w_j, x2 for the two orders */
    double dr[NLAT]; /* ampl x d r / d (a, b, c, alpha, beta, gamma), or of a tied model's
                        free parameters */
    double d[3];     /* fractional difference (crystal) */
} pair;

static int cmp_pair(const void *pa, const void *pb)
{
    const pair *a = pa, *b = pb;
    if (a->sp2 != b->sp2)
        return a->sp2 < b->sp2 ? -1 : 1;
    return (a->r > b->r) - (a->r < b->r);
}

/* Sort and merge pairs of equal s'^2 and distances within 1e-9 A; returns the new count. */
static int64_t merge_pairs(pair *p, int64_t n)
{
    if (n == 0)
        return 0;
    qsort(p, (size_t)n, sizeof *p, cmp_pair);
    int64_t m = 0;
    for (int64_t i = 1; i < n; i++) {
        if (p[i].sp2 == p[m].sp2 && p[i].r - p[m].r <= 1e-9) {
            p[m].ampl += p[i].ampl;
            for (int k = 0; k < NLAT; k++)
                p[m].dr[k] += p[i].dr[k];
        } else {
            p[++m] = p[i];
        }
    }
    return m + 1;
}

/* cos and sin of the cell's angles. */
static void cell_trig(const tsct_cell *c, double t[6])
{
    t[0] = cos(c->alpha * DEG), t[1] = cos(c->beta * DEG), t[2] = cos(c->gamma * DEG);
    t[3] = sin(c->alpha * DEG), t[4] = sin(c->beta * DEG), t[5] = sin(c->gamma * DEG);
}

/* A pair of fractional difference d at distance r in cell c (trig: cell_trig's) with its
 * amplitude and the amplitude times the derivatives of r: d r^2 / d p of r^2 = d' G d, then
 * d r = d r^2 / (2 r). */
static void pair_set(pair *e, const tsct_cell *c, const double trig[6], const double d[3],
                     double r, double amp, double sp2)
{
    const double ca = trig[0], cb = trig[1], cg = trig[2], sa = trig[3], sb = trig[4],
                 sg = trig[5];
    const double h = amp / (2.0 * r);
    const double d00 = d[0] * d[0], d11 = d[1] * d[1], d22 = d[2] * d[2];
    const double d01 = 2 * d[0] * d[1], d02 = 2 * d[0] * d[2], d12 = 2 * d[1] * d[2];
    memcpy(e->d, d, sizeof e->d);
    e->r = r;
    e->sp2 = sp2;
    e->ampl = amp;
    e->dr[0] = h * (2 * c->a * d00 + c->b * cg * d01 + c->c * cb * d02);
    e->dr[1] = h * (2 * c->b * d11 + c->a * cg * d01 + c->c * ca * d12);
    e->dr[2] = h * (2 * c->c * d22 + c->a * cb * d02 + c->b * ca * d12);
    e->dr[3] = h * (-c->b * c->c * sa * DEG * d12);
    e->dr[4] = h * (-c->a * c->c * sb * DEG * d02);
    e->dr[5] = h * (-c->a * c->b * sg * DEG * d01);
}

/* A tied model's derivatives of r with respect to its free parameters, from the six of the
 * cell's entries: each free parameter's sum over the entries it drives (in place). */
static void tie_derivs(const tsct_pdfmodel *m, double dr[NLAT])
{
    double f[NLAT] = {0};
    for (int l = 0; l < m->nfree; l++)
        for (int e = 0; e < NLAT; e++)
            if (m->drive[l] & (1 << e))
                f[l] += dr[e];
    memcpy(dr, f, sizeof f);
}

/* The pairs of a crystal with distance in (0.05, rcut], for the cell c. *out is malloc'ed. */
static tsct_status crystal_pairs(const tsct_pdfmodel *m, const tsct_cell *c, int one_u,
                                 double rcut, int merge, pair **out, int64_t *count,
                                 tsct_error *err)
{
    double g[3][3], gs[3][3];
    tsct_status st = tsct_crystal_cell_metric(c, g, gs, err);
    if (st != TSCT_OK)
        return st;
    int nmax[3];
    double ncells = 1.0;
    for (int k = 0; k < 3; k++) {
        nmax[k] = (int)floor(rcut * sqrt(gs[k][k])) + 1;
        ncells *= 2.0 * nmax[k] + 1.0;
    }
    const double nat = (double)m->natoms;
    const double bound = ncells * nat * (nat + 1.0) / 2.0;
    /* The pairs a box holds; those inside the sphere are about half of them. */
    const double expect = fmin(bound, 4.2 * rcut * rcut * rcut * m->ncount /
                                          tsct_crystal_cell_volume(c) * nat / 2.0 + 64.0);
    if (expect > (double)MAX_PAIRS)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "rmax", -1,
                              "about %.3g atom pairs within %.4g A of each other: more than "
                              "%lld, use a shorter r range", expect, rcut,
                              (long long)MAX_PAIRS);
    int64_t cap = (int64_t)expect * 2 + 1024, n = 0;
    pair *p = malloc((size_t)cap * sizeof *p);
    if (!p)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pairs", -1, "%lld pairs",
                              (long long)cap);
    double trig[6];
    cell_trig(c, trig);
    const double rc2 = rcut * rcut;
    for (int64_t i = 0; i < m->natoms; i++)
        for (int64_t j = i; j < m->natoms; j++) {
            const double amp = m->w[i] * m->w[j] * (i == j ? 1.0 : 2.0);
            const double sp2 = one_u ? 0.0 : m->u[i] + m->u[j];
            for (int n0 = -nmax[0]; n0 <= nmax[0]; n0++)
                for (int n1 = -nmax[1]; n1 <= nmax[1]; n1++)
                    for (int n2 = -nmax[2]; n2 <= nmax[2]; n2++) {
                        const double d[3] = {m->x[3 * j] + n0 - m->x[3 * i],
                                             m->x[3 * j + 1] + n1 - m->x[3 * i + 1],
                                             m->x[3 * j + 2] + n2 - m->x[3 * i + 2]};
                        double r2 = 0.0;
                        for (int a = 0; a < 3; a++)
                            for (int b = 0; b < 3; b++)
                                r2 += d[a] * g[a][b] * d[b];
                        if (r2 > rc2 || r2 < 0.0025)
                            continue;
                        if (n == cap) {
                            pair *q = cap < MAX_PAIRS ? realloc(p, (size_t)(2 * cap) * sizeof *p)
                                                      : NULL;
                            if (!q) {
                                free(p);
                                return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pairs", -1,
                                                      "more than %lld pairs", (long long)cap);
                            }
                            p = q;
                            cap *= 2;
                        }
                        pair_set(&p[n++], c, trig, d, sqrt(r2), amp, sp2);
                    }
        }
    *count = merge ? merge_pairs(p, n) : n;
    *out = p;
    return TSCT_OK;
}

/* Order of a tied plan's pairs: distance, then the derivatives per unit amplitude (dr[]
 * holds them while planning), each to 1e-7. */
static int cmp_tied(const void *pa, const void *pb)
{
    const pair *a = pa, *b = pb;
    long long ka = llround(a->r * 1e7), kb = llround(b->r * 1e7);
    if (ka != kb)
        return ka < kb ? -1 : 1;
    for (int l = 0; l < NLAT; l++) {
        ka = llround(a->dr[l] * 1e7), kb = llround(b->dr[l] * 1e7);
        if (ka != kb)
            return ka < kb ? -1 : 1;
    }
    return 0;
}

/* The pair groups of a tied model: every pair to 1.25 times the evaluation's cut plus 2 A
 * (room for the cell to shrink by 20 %), at the structure's cell, merged when the distance
 * and its derivative with respect to every free parameter agree. r^2 is a sum of the pair's
 * invariants (sums of products of d) times functions of the free parameters that differ
 * from each other, so pairs with equal value and gradient at one cell have equal invariants
 * and stay at equal distance for every cell of the family: one representative serves all. */
static tsct_status tied_plan(tsct_pdfmodel *m, tsct_error *err)
{
    const double rcut = 1.25 * ((double)m->K * m->dr + 1.5) + 2.0;
    pair *p = NULL;
    int64_t n = 0;
    TSCT_TRY(crystal_pairs(m, &m->cell, 1, rcut, 0, &p, &n, err));
    for (int64_t i = 0; i < n; i++) {
        tie_derivs(m, p[i].dr);
        for (int l = 0; l < NLAT; l++)
            p[i].dr[l] /= p[i].ampl;
    }
    if (n > 0)
        qsort(p, (size_t)n, sizeof *p, cmp_tied);
    struct group *g = malloc((size_t)(n > 0 ? n : 1) * sizeof *g);
    if (!g) {
        free(p);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pairs", -1, "%lld pairs",
                              (long long)n);
    }
    int64_t k = -1;
    for (int64_t i = 0; i < n; i++) {
        int same = k >= 0 && fabs(p[i].r - p[i - 1].r) <= 1e-9 * p[i].r;
        for (int l = 0; same && l < NLAT; l++)
            same = fabs(p[i].dr[l] - p[i - 1].dr[l]) <= 1e-9 * (1.0 + fabs(p[i].dr[l]));
        if (same) {
            g[k].ampl += p[i].ampl;
        } else {
            k++;
            memcpy(g[k].d, p[i].d, sizeof g[k].d);
            g[k].ampl = p[i].ampl;
            g[k].sp2 = 0.0;
        }
    }
    free(p);
    m->groups = g;
    m->ngroups = k + 1;
    return TSCT_OK;
}

/* A tied model's pairs for the cell c (one Uiso): each group at its distance in c, with the
 * derivatives with respect to the free parameters. */
static tsct_status tied_pairs(const tsct_pdfmodel *m, const tsct_cell *c, double rcut,
                              pair **out, int64_t *count, tsct_error *err)
{
    double g[3][3], gs[3][3], trig[6];
    TSCT_TRY(tsct_crystal_cell_metric(c, g, gs, err));
    cell_trig(c, trig);
    pair *p = malloc((size_t)(m->ngroups > 0 ? m->ngroups : 1) * sizeof *p);
    if (!p)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pairs", -1, "%lld pairs",
                              (long long)m->ngroups);
    int64_t n = 0;
    for (int64_t i = 0; i < m->ngroups; i++) {
        const double *d = m->groups[i].d;
        double r2 = 0.0;
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                r2 += d[a] * g[a][b] * d[b];
        if (r2 > rcut * rcut || r2 < 0.0025)
            continue;
        pair_set(&p[n], c, trig, d, sqrt(r2), m->groups[i].ampl, 0.0);
        tie_derivs(m, p[n++].dr);
    }
    *out = p;
    *count = n;
    return TSCT_OK;
}

/* The pairs of a cluster with distance <= rcut. */
static tsct_status cluster_pairs(const tsct_pdfmodel *m, double rcut, pair **out,
                                 int64_t *count, tsct_error *err)
{
    int64_t cap = 1024, n = 0;
    pair *p = malloc((size_t)cap * sizeof *p);
    if (!p)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pairs", -1, "out of memory");
    for (int64_t i = 0; i < m->natoms; i++)
        for (int64_t j = i + 1; j < m->natoms; j++) {
            const double *a = m->x + 3 * i, *b = m->x + 3 * j;
            const double r = sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                                  (a[2] - b[2]) * (a[2] - b[2]));
            if (r > rcut || r < 0.05)
                continue;
            if (n == cap) {
                pair *q = cap < MAX_PAIRS ? realloc(p, (size_t)(2 * cap) * sizeof *p) : NULL;
                if (!q) {
                    free(p);
                    return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pairs", -1,
                                          "more than %lld pairs", (long long)cap);
                }
                p = q;
                cap *= 2;
            }
            p[n++] = (pair){r, 0.0, 2.0 * m->w[i] * m->w[j], {0}, {0}};
        }
    *count = merge_pairs(p, n);
    *out = p;
    return TSCT_OK;
}

/* ---- evaluation ----------------------------------------------------------------------------- */

static tsct_status check_params(const tsct_pdfmodel *m, const tsct_pdfmodel_params *p,
                                const tsct_cell *c, unsigned derivs, tsct_error *err)
{
    const double lat[NLAT] = {c->a, c->b, c->c, c->alpha, c->beta, c->gamma};
    if (m->crystal) {
        for (int k = 0; k < NLAT; k++)
            if (!isfinite(lat[k]) || !(lat[k] > 0.0) || (k >= 3 && !(lat[k] < 180.0)))
                return tsct_error_set(err, TSCT_ERR_VALUE, NULL,
                                      tsct_pdfmodel_param_name(TSCT_PDFMODEL_A + k), -1,
                                      "lattice parameter %g is not physical", lat[k]);
        if (p->uiso < 0.0 && !m->has_uiso)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "uiso", -1,
                                  "site %s has no Uiso in the structure: give uiso",
                                  m->missing_uiso);
    } else if (!(p->uiso > 0.0)) {
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "uiso", -1,
                              "a cluster needs uiso > 0 (Angstrom^2), got %g", p->uiso);
    }
    const struct {
        const char *name;
        double v;
    } nonneg[] = {{"uiso", p->uiso >= 0.0 ? p->uiso : 0.0}, {"qdamp", p->qdamp},
                  {"qbroad", p->qbroad}, {"diameter", p->diameter}, {"dsig", p->dsig},
                  {"rho0", p->rho0}, {"delta1", p->delta1}, {"delta2", p->delta2}};
    for (size_t i = 0; i < sizeof nonneg / sizeof nonneg[0]; i++)
        if (!isfinite(nonneg[i].v) || (i < 6 && nonneg[i].v < 0.0))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, nonneg[i].name, -1,
                                  "must be finite%s, got %g", i < 6 ? " and >= 0" : "",
                                  nonneg[i].v);
    if (!isfinite(p->scale))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "scale", -1, "not finite");
    if (p->uiso == 0.0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "uiso", -1,
                              "must be > 0 Angstrom^2 (a pair's peak needs a width)");
    for (int k = 0; k < TSCT_PDFMODEL_NPARAM; k++) {
        if (!(derivs & (1u << k)))
            continue;
        const int lattice = k >= TSCT_PDFMODEL_A && k <= TSCT_PDFMODEL_GAMMA;
        const int bad = (lattice && !m->crystal) ||
                        (lattice && m->tied && k - TSCT_PDFMODEL_A >= m->nfree) ||
                        (lattice && m->tied && p->uiso < 0.0) ||
                        (k == TSCT_PDFMODEL_UISO && p->uiso < 0.0) ||
                        (k == TSCT_PDFMODEL_RHO0 && m->crystal) ||
                        ((k == TSCT_PDFMODEL_DIAMETER || k == TSCT_PDFMODEL_DSIG) &&
                         !(p->diameter > 0.0)) ||
                        (k == TSCT_PDFMODEL_DSIG && !(p->dsig > 0.0));
        if (bad)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, tsct_pdfmodel_param_name(k), -1,
                                  "this model has no such parameter to refine (%s)",
                                  lattice ? "a cluster has no lattice"
                                  : k == TSCT_PDFMODEL_UISO ? "each site keeps its own Uiso"
                                  : k == TSCT_PDFMODEL_RHO0 ? "a crystal's density follows "
                                                              "from its cell"
                                                            : "no envelope");
    }
    if (derivs >> TSCT_PDFMODEL_NPARAM)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "derivs", -1,
                              "bits above %d set", TSCT_PDFMODEL_NPARAM - 1);
    return TSCT_OK;
}

/* Volume and its derivatives with respect to the lattice parameters (degrees). */
static double volume_derivs(const tsct_cell *c, double dv[NLAT])
{
    const double ca = cos(c->alpha * DEG), cb = cos(c->beta * DEG), cg = cos(c->gamma * DEG);
    const double s = sqrt(1.0 - ca * ca - cb * cb - cg * cg + 2.0 * ca * cb * cg);
    const double abc = c->a * c->b * c->c, v = abc * s;
    dv[0] = v / c->a;
    dv[1] = v / c->b;
    dv[2] = v / c->c;
    dv[3] = abc * sin(c->alpha * DEG) * (ca - cb * cg) / s * DEG;
    dv[4] = abc * sin(c->beta * DEG) * (cb - ca * cg) / s * DEG;
    dv[5] = abc * sin(c->gamma * DEG) * (cg - ca * cb) / s * DEG;
    return v;
}

/* Column index of parameter k among the set bits of derivs, -1 if not set. */
static int column(unsigned derivs, int k)
{
    if (!(derivs & (1u << k)))
        return -1;
    int c = 0;
    for (int i = 0; i < k; i++)
        c += (derivs >> i) & 1u;
    return c;
}

/* Gaussian sums over the internal grid: s[0] = sum A T, and for each pair-shape parameter
 * (lattice 0..5, uiso, delta1, delta2, qbroad) its derivative in s[1 + index] when col[] >= 0. */
static void gaussian_sums(const tsct_pdfmodel *m, const tsct_pdfmodel_params *p, int one_u,
                          const pair *pp, int64_t np, const int col[10], double *const s[11])
{
    const double dr = m->dr, u2 = 2.0 * p->uiso;
    const int64_t K = m->K;
    /* the derivative sums asked for: lattice ones (from d r_ij) and shape ones (from sigma) */
    int lat[NLAT], shp[4], nlat = 0, nshp = 0;
    for (int l = 0; l < NLAT; l++)
        if (col[l] >= 0)
            lat[nlat++] = l;
    for (int l = 0; l < 4; l++)
        if (col[NLAT + l] >= 0)
            shp[nshp++] = l;
    for (int64_t e = 0; e < np; e++) {
        const pair *q = &pp[e];
        const double r = q->r, sp2 = one_u ? u2 : q->sp2;
        const double corr = 1.0 - p->delta1 / r - p->delta2 / (r * r) +
                            p->qbroad * p->qbroad * r * r;
        if (!(corr > 0.0) || !(sp2 > 0.0))
            continue; /* PDFfit2 leaves such pairs out too */
        const double sig = sqrt(sp2 * corr), gnorm = 1.0 / (sqrt(2.0 * M_PI) * sig);
        /* d sigma / d r_ij, uiso, delta1, delta2, qbroad */
        const double h = sp2 / (2.0 * sig);
        const double ds_dr = h * (p->delta1 / (r * r) + 2.0 * p->delta2 / (r * r * r) +
                                  2.0 * p->qbroad * p->qbroad * r);
        const double ds[4] = {sig / sp2, -h / r, -h / (r * r), 2.0 * h * p->qbroad * r * r};
        double cl[NLAT], cs[4];
        for (int a = 0; a < nlat; a++)
            cl[a] = q->dr[lat[a]];
        for (int b = 0; b < nshp; b++)
            cs[b] = q->ampl * ds[shp[b]];
        /* 7 sigma: the cut's jump (exp(-24.5)) stays below what derivatives resolve */
        int64_t k1 = (int64_t)ceil((r - 7.0 * sig) / dr);
        int64_t k2 = (int64_t)floor((r + 7.0 * sig) / dr);
        if (k1 < 1)
            k1 = 1;
        if (k2 > K - 1)
            k2 = K - 1;
        /* exp(-x^2/2) on the uniform grid by its recurrence: with step t = dr / sigma,
         * e(x + t) = e(x) f(x), f(x) = exp(-x t - t^2/2), f(x + t) = f(x) exp(-t^2) */
        const double t = dr / sig, x1 = ((double)k1 * dr - r) / sig, ft = exp(-t * t);
        const double ag = q->ampl * gnorm, isig = 1.0 / sig;
        double ex = exp(-0.5 * x1 * x1), fx = exp(-x1 * t - 0.5 * t * t);
        if (nlat + nshp == 0) {
            double *s0 = s[0];
            for (int64_t k = k1; k <= k2; k++, ex *= fx, fx *= ft)
                s0[k] += ag * ex;
            continue;
        }
        for (int64_t k = k1; k <= k2; k++, ex *= fx, fx *= ft) {
            const double x = ((double)k * dr - r) * isig;
            const double gau = gnorm * ex;
            s[0][k] += q->ampl * gau;
            const double dgs = gau * (x * x - 1.0) * isig; /* d gauss / d sigma */
            const double dgr = gau * x * isig + dgs * ds_dr; /* d gauss / d r_ij */
            for (int a = 0; a < nlat; a++)
                s[1 + lat[a]][k] += dgr * cl[a];
            for (int b = 0; b < nshp; b++)
                s[1 + NLAT + shp[b]][k] += dgs * cs[b];
        }
    }
}

/* Low-pass filter y[1 .. K-1] at qmax (y[0] = y[K] = 0). */
static void terminate(const tsct_pdfmodel *m, double *y, double *tmp)
{
    const int64_t n = m->K - 1;
    fftw_execute_r2r(m->dst, y + 1, tmp);
    const double dq = M_PI / ((double)m->K * m->dr);
    for (int64_t i = 0; i < n; i++)
        if ((double)(i + 1) * dq > m->qmax)
            tmp[i] = 0.0;
    fftw_execute_r2r(m->dst, tmp, y + 1);
    const double norm = 1.0 / (2.0 * (double)m->K);
    for (int64_t i = 1; i <= n; i++)
        y[i] *= norm;
}

tsct_status tsct_pdfmodel_evaluate(const tsct_pdfmodel *m, const tsct_pdfmodel_params *p,
                                   unsigned derivs, double *g, double *dg, tsct_error *err)
{
    if (!m || !p || !g || (derivs && !dg))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "pdfmodel", -1, "NULL argument");
    const tsct_cell *c = m->crystal && p->cell.a != 0.0 ? &p->cell : &m->cell;
    tsct_status st = check_params(m, p, c, derivs, err);
    if (st != TSCT_OK)
        return st;
    const int one_u = p->uiso >= 0.0;
    const int64_t K = m->K;
    const double dr = m->dr, rcut = (double)K * dr + 1.5;
    pair *pp = NULL;
    int64_t np = 0;
    const int tied = m->tied && one_u;
    st = tied         ? tied_pairs(m, c, rcut, &pp, &np, err)
         : m->crystal ? crystal_pairs(m, c, one_u, rcut, 1, &pp, &np, err)
                      : cluster_pairs(m, rcut, &pp, &np, err);
    if (st != TSCT_OK)
        return st;
    /* Sums: the value and the ten pair-shape derivatives, G, then the output columns. */
    int col[10];
    for (int l = 0; l < 10; l++)
        col[l] = column(derivs, TSCT_PDFMODEL_A + l);
    int ncol = 0;
    for (int k = 0; k < TSCT_PDFMODEL_NPARAM; k++)
        ncol += (derivs >> k) & 1u;
    const size_t len = (size_t)(K + 1);
    double *buf = calloc((size_t)(11 + ncol + 1) * len, sizeof *buf);
    double *tmp = m->dst ? fftw_malloc(len * sizeof *tmp) : NULL;
    if (!buf || (m->dst && !tmp)) {
        free(pp);
        free(buf);
        fftw_free(tmp);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pdfmodel", -1, "%lld grid points",
                              (long long)len);
    }
    double *s[11];
    for (int l = 0; l < 11; l++)
        s[l] = buf + (size_t)l * len;
    gaussian_sums(m, p, one_u, pp, np, col, s);
    free(pp);

    double dv[NLAT] = {0};
    const double vol = m->crystal ? volume_derivs(c, dv) : 1.0;
    if (tied)
        tie_derivs(m, dv);
    const double rho0 = m->crystal ? m->ncount / vol : p->rho0;
    const double invn = 1.0 / m->ncount, fourpi = 4.0 * M_PI;
    double *G = buf + 11 * len, *D = G + len; /* D: ncol columns of len */
    const int cs = column(derivs, TSCT_PDFMODEL_SCALE), cq = column(derivs, TSCT_PDFMODEL_QDAMP),
              cd = column(derivs, TSCT_PDFMODEL_DIAMETER), cg = column(derivs, TSCT_PDFMODEL_DSIG),
              cr = column(derivs, TSCT_PDFMODEL_RHO0);
    const double hd = 1e-4 * p->diameter, hs = 1e-4 * fmax(p->dsig, 1e-3 * p->diameter);
    for (int64_t k = 1; k < K; k++) {
        const double r = (double)k * dr;
        const double damp = exp(-0.5 * p->qdamp * p->qdamp * r * r);
        const double env = tsct_pdfmodel_envelope(r, p->diameter, p->dsig);
        const double pairs = s[0][k] * invn / r, base = fourpi * r * rho0;
        /* crystal: scale E (pairs - base), E = damp env; cluster: scale damp (pairs - base env) */
        const double eg = m->crystal ? damp * env : damp;
        const double inner = m->crystal ? pairs - base : pairs - base * env;
        G[k] = p->scale * eg * inner;
        if (cs >= 0)
            D[(size_t)cs * len + k] = eg * inner;
        for (int l = 0; l < NLAT; l++)
            if (col[l] >= 0) /* d rho0 / d p = -N dV / V^2 */
                D[(size_t)col[l] * len + k] =
                    p->scale * eg * (s[1 + l][k] * invn / r + base * dv[l] / vol);
        for (int l = NLAT; l < 10; l++)
            if (col[l] >= 0)
                D[(size_t)col[l] * len + k] = p->scale * eg * s[1 + l][k] * invn / r;
        if (cq >= 0)
            D[(size_t)cq * len + k] = -p->qdamp * r * r * G[k];
        if (cd >= 0 || cg >= 0) {
            /* d env / d diameter (analytic for a sphere, central differences for the
             * log-normal average) and d env / d dsig (central differences) */
            const double de = p->dsig > 0.0
                                  ? (lognormal_env(r, p->diameter + hd, p->dsig) -
                                     lognormal_env(r, p->diameter - hd, p->dsig)) / (2.0 * hd)
                                  : sphere_env_dd(r, p->diameter);
            const double f = m->crystal ? p->scale * damp * inner : -p->scale * damp * base;
            if (cd >= 0)
                D[(size_t)cd * len + k] = f * de;
            if (cg >= 0)
                D[(size_t)cg * len + k] = f * (lognormal_env(r, p->diameter, p->dsig + hs) -
                                               lognormal_env(r, p->diameter, p->dsig - hs)) /
                                          (2.0 * hs);
        }
        if (cr >= 0)
            D[(size_t)cr * len + k] = -p->scale * damp * fourpi * r * env;
    }
    if (m->dst) {
        terminate(m, G, tmp);
        for (int l = 0; l < ncol; l++)
            terminate(m, D + (size_t)l * len, tmp);
    }
    memcpy(g, G + m->k0, (size_t)m->nr * sizeof *g);
    for (int l = 0; l < ncol; l++)
        memcpy(dg + (size_t)l * (size_t)m->nr, D + (size_t)l * len + m->k0,
               (size_t)m->nr * sizeof *dg);
    free(buf);
    fftw_free(tmp);
    return TSCT_OK;
}
