/* debye.c - Debye scattering of finite clusters (tsct/debye.h).
 *
 * Clusters are cut from the expanded lattice or given atom by atom; atoms sharing a form factor
 * and an occupancy form one species, so the pair histogram has one row per species pair.
 * Pair counting is the only O(N^2) step: OpenMP threads take rows i (dynamic schedule, as row
 * lengths shrink) and accumulate into private histograms of summed weight and summed
 * weight * r, which are added together and compacted to the occupied bins. I(Q) then sums
 * W sin(Q rbar) / (Q rbar) over those bins (Debye, Ann. Phys. 351 (1915) 809; the histogram
 * approach as in DEBUSSY, Cervellino et al., J. Appl. Cryst. 43 (2010) 1543). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "tsct/debye.h"
#include "tsct/threads.h"
#include "tsct_config.h"

#if TSCT_HAVE_OPENMP
#include <omp.h>
#endif

struct tsct_debye_cluster {
    int64_t natoms;
    double *xyz;                    /* [natoms][3] */
    int64_t *species;               /* [natoms] */
    int64_t nspecies;
    const tsct_formfactor **ff;     /* [nspecies] */
    double *occ;                    /* [nspecies] */
};

struct tsct_debye_histogram {
    tsct_debye_params params;       /* nthreads resolved */
    int64_t nspecies;
    const tsct_formfactor **ff;     /* [nspecies] */
    double *self;                   /* [nspecies]: sum over atoms of w^2 */
    int64_t npairs;                 /* nspecies (nspecies + 1) / 2, s <= t, row-major */
    int64_t *start;                 /* [npairs + 1] offsets into w and r */
    double *w, *r;                  /* occupied bins: summed w_i w_j, mean distance */
};

static const tsct_debye_cut_params default_cut = TSCT_DEBYE_CUT_PARAMS_DEFAULT;
static const tsct_debye_params default_params = TSCT_DEBYE_PARAMS_DEFAULT;

/* ---- clusters ------------------------------------------------------------------------------- */

void tsct_debye_cluster_destroy(tsct_debye_cluster *c)
{
    if (!c)
        return;
    free(c->xyz);
    free(c->species);
    free(c->ff);
    free(c->occ);
    free(c);
}

static tsct_debye_cluster *cluster_alloc(int64_t natoms, int64_t maxspecies)
{
    tsct_debye_cluster *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->xyz = malloc((size_t)natoms * 3 * sizeof *c->xyz);
    c->species = malloc((size_t)natoms * sizeof *c->species);
    c->ff = malloc((size_t)maxspecies * sizeof *c->ff);
    c->occ = malloc((size_t)maxspecies * sizeof *c->occ);
    if (!c->xyz || !c->species || !c->ff || !c->occ) {
        tsct_debye_cluster_destroy(c);
        return NULL;
    }
    return c;
}

/* Species of (ff, occupancy), added if new; returns its index. */
static int64_t species_of(tsct_debye_cluster *c, const tsct_formfactor *ff, double occ)
{
    for (int64_t s = 0; s < c->nspecies; s++)
        if (c->ff[s] == ff && c->occ[s] == occ)
            return s;
    c->ff[c->nspecies] = ff;
    c->occ[c->nspecies] = occ;
    return c->nspecies++;
}

tsct_status tsct_debye_cluster_create(tsct_debye_cluster **out, int64_t natoms,
                                      const double *xyz, const char *const *types,
                                      const double *occupancy, tsct_error *err)
{
    if (out)
        *out = NULL;
    if (!out || !xyz || !types || natoms < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "cluster", -1,
                              "need at least one atom with positions and types, got %lld",
                              (long long)natoms);
    tsct_debye_cluster *c = cluster_alloc(natoms, natoms);
    if (!c)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "cluster", -1, "%lld atoms",
                              (long long)natoms);
    for (int64_t i = 0; i < natoms; i++) {
        double w = occupancy ? occupancy[i] : 1.0;
        const double *x = xyz + 3 * i;
        if (!isfinite(x[0]) || !isfinite(x[1]) || !isfinite(x[2]) || !isfinite(w) || w < 0.0) {
            tsct_debye_cluster_destroy(c);
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "cluster atom", i,
                                  "position must be finite and occupancy >= 0, got (%g, %g, %g)"
                                  " occupancy %g", x[0], x[1], x[2], w);
        }
        const tsct_formfactor *ff = NULL;
        tsct_status st = tsct_formfactor_find(types[i], &ff, err);
        if (st != TSCT_OK) {
            if (err)
                err->index = i;
            tsct_debye_cluster_destroy(c);
            return st;
        }
        memcpy(c->xyz + 3 * i, x, 3 * sizeof *x);
        c->species[i] = species_of(c, ff, w);
    }
    c->natoms = natoms;
    *out = c;
    return TSCT_OK;
}

tsct_status tsct_debye_cluster_cut(tsct_debye_cluster **out, const tsct_crystal *crystal,
                                   const tsct_debye_cut_params *params, tsct_error *err)
{
    if (out)
        *out = NULL;
    if (!out || !crystal)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "cluster", -1, "NULL argument");
    const tsct_debye_cut_params *p = params ? params : &default_cut;
    if (!isfinite(p->radius) || !(p->radius > 0.0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "radius", -1,
                              "must be finite and > 0 Angstrom, got %g", p->radius);
    if (!isfinite(p->centre[0]) || !isfinite(p->centre[1]) || !isfinite(p->centre[2]) ||
        (p->shape != TSCT_DEBYE_SHAPE_SPHERE && p->shape != TSCT_DEBYE_SHAPE_CUBE))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "cluster", -1,
                              "centre must be finite and the shape sphere or cube");
    double m[3][3], gstar[3][3];
    TSCT_TRY(tsct_crystal_cell_cartesian(tsct_crystal_cell(crystal), m, err));
    TSCT_TRY(tsct_crystal_cell_metric(tsct_crystal_cell(crystal), NULL, gstar, err));

    /* The shape fits in a sphere of radius rb; along a_i it spans rb |a*_i| cells. */
    const double rb = p->shape == TSCT_DEBYE_SHAPE_CUBE ? p->radius * sqrt(3.0) : p->radius;
    int64_t lo[3], hi[3];
    double ncand = (double)tsct_crystal_atom_count(crystal);
    for (int i = 0; i < 3; i++) {
        double ext = rb * sqrt(gstar[i][i]);
        lo[i] = (int64_t)floor(p->centre[i] - ext) - 1;
        hi[i] = (int64_t)ceil(p->centre[i] + ext) + 1;
        ncand *= (double)(hi[i] - lo[i] + 1);
    }
    if (ncand > 2147483647.0)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "radius", -1,
                              "%.3g candidate atoms for radius %g Angstrom: too many", ncand,
                              p->radius);
    const int64_t nat = tsct_crystal_atom_count(crystal), nsites = tsct_crystal_site_count(crystal);
    const tsct_atom *atoms = tsct_crystal_atoms(crystal);
    const tsct_site *sites = tsct_crystal_sites(crystal);

    /* form factor per site */
    const tsct_formfactor **siteff = malloc((size_t)(nsites > 0 ? nsites : 1) * sizeof *siteff);
    if (!siteff)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "cluster", -1, "out of memory");
    for (int64_t s = 0; s < nsites; s++) {
        siteff[s] = tsct_crystal_site_formfactor(crystal, s);
        if (p->neutral_atoms) {
            const tsct_formfactor *nf = NULL;
            if (tsct_formfactor_find(tsct_element_symbol(siteff[s]->z), &nf, NULL) == TSCT_OK)
                siteff[s] = nf;
        }
    }
    double r0[3];
    for (int i = 0; i < 3; i++)
        r0[i] = m[i][0] * p->centre[0] + m[i][1] * p->centre[1] + m[i][2] * p->centre[2];

    /* two passes: count, then fill */
    tsct_debye_cluster *c = NULL;
    int64_t count = 0;
    for (int pass = 0; pass < 2; pass++) {
        int64_t k = 0;
        for (int64_t n0 = lo[0]; n0 <= hi[0]; n0++)
            for (int64_t n1 = lo[1]; n1 <= hi[1]; n1++)
                for (int64_t n2 = lo[2]; n2 <= hi[2]; n2++)
                    for (int64_t a = 0; a < nat; a++) {
                        const double f[3] = {atoms[a].x[0] + (double)n0,
                                             atoms[a].x[1] + (double)n1,
                                             atoms[a].x[2] + (double)n2};
                        double r[3];
                        for (int i = 0; i < 3; i++)
                            r[i] = m[i][0] * f[0] + m[i][1] * f[1] + m[i][2] * f[2] - r0[i];
                        int inside;
                        if (p->shape == TSCT_DEBYE_SHAPE_SPHERE)
                            inside = sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]) <=
                                     p->radius + 1e-9;
                        else
                            inside = fabs(r[0]) <= p->radius + 1e-9 &&
                                     fabs(r[1]) <= p->radius + 1e-9 &&
                                     fabs(r[2]) <= p->radius + 1e-9;
                        if (!inside)
                            continue;
                        if (pass == 1) {
                            memcpy(c->xyz + 3 * k, r, sizeof r);
                            const tsct_site *site = &sites[atoms[a].site];
                            c->species[k] = species_of(c, siteff[atoms[a].site],
                                                       site->occupancy);
                        }
                        k++;
                    }
        if (pass == 0) {
            count = k;
            if (count == 0) {
                free(siteff);
                return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, "radius", -1,
                                      "no atom within %g Angstrom of the centre", p->radius);
            }
            c = cluster_alloc(count, nsites > 0 ? nsites : 1);
            if (!c) {
                free(siteff);
                return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "cluster", -1,
                                      "%lld atoms", (long long)count);
            }
        }
    }
    free(siteff);
    c->natoms = count;
    *out = c;
    return TSCT_OK;
}

int64_t tsct_debye_cluster_atom_count(const tsct_debye_cluster *c)
{
    return c->natoms;
}

const double *tsct_debye_cluster_positions(const tsct_debye_cluster *c)
{
    return c->xyz;
}

const int64_t *tsct_debye_cluster_atom_species(const tsct_debye_cluster *c)
{
    return c->species;
}

int64_t tsct_debye_cluster_species_count(const tsct_debye_cluster *c)
{
    return c->nspecies;
}

const tsct_formfactor *tsct_debye_cluster_species_formfactor(const tsct_debye_cluster *c,
                                                            int64_t s)
{
    return s >= 0 && s < c->nspecies ? c->ff[s] : NULL;
}

double tsct_debye_cluster_species_occupancy(const tsct_debye_cluster *c, int64_t s)
{
    return s >= 0 && s < c->nspecies ? c->occ[s] : NAN;
}

/* ---- histogram ------------------------------------------------------------------------------ */

static inline int64_t pair_index(int64_t s, int64_t t, int64_t ns)
{
    if (s > t) {
        int64_t tmp = s;
        s = t;
        t = tmp;
    }
    return s * ns - s * (s - 1) / 2 + (t - s);
}

static inline double dist(const double *a, const double *b)
{
    double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    return sqrt(dx * dx + dy * dy + dz * dz);
}

void tsct_debye_histogram_destroy(tsct_debye_histogram *h)
{
    if (!h)
        return;
    free(h->ff);
    free(h->self);
    free(h->start);
    free(h->w);
    free(h->r);
    free(h);
}

tsct_status tsct_debye_histogram_create(tsct_debye_histogram **out,
                                        const tsct_debye_cluster *c,
                                        const tsct_debye_params *params, tsct_error *err)
{
    if (out)
        *out = NULL;
    if (!out || !c)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "debye histogram", -1,
                              "NULL argument");
    const tsct_debye_params *pp = params ? params : &default_params;
    const double dr = pp->bin_width;
    if (!isfinite(dr) || !(dr > 0.0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "bin_width", -1,
                              "must be finite and > 0 Angstrom, got %g", dr);
    const int64_t n = c->natoms, ns = c->nspecies, npairs = ns * (ns + 1) / 2;
    const double *xyz = c->xyz;

    /* every distance is at most twice the largest distance from the centroid */
    double cen[3] = {0.0, 0.0, 0.0}, rad = 0.0;
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            cen[k] += xyz[3 * i + k] / (double)n;
    for (int64_t i = 0; i < n; i++) {
        double d = dist(xyz + 3 * i, cen);
        rad = d > rad ? d : rad;
    }
    const double dbins = floor(2.0 * rad * (1.0 + 1e-12) / dr) + 2.0;
    const int nthreads = tsct_threads_resolve(pp->nthreads);
    if (dbins * (double)npairs * (double)nthreads * 2.0 > 1e9)   /* 8 GB of doubles */
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "bin_width", -1,
                              "%.3g bins x %lld species pairs x %d threads for bins of %g "
                              "Angstrom up to %g Angstrom: too many, use wider bins",
                              dbins, (long long)npairs, nthreads, dr, 2.0 * rad);
    const int64_t nbins = (int64_t)dbins, stride = npairs * nbins;

    tsct_debye_histogram *h = calloc(1, sizeof *h);
    double *acc = calloc((size_t)(2 * stride * nthreads), sizeof *acc);
    if (!h || !acc) {
        free(h);
        free(acc);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "debye histogram", -1,
                              "%lld bins x %d threads", (long long)stride, nthreads);
    }
    h->params = *pp;
    h->params.nthreads = nthreads;
    h->nspecies = ns;
    h->npairs = npairs;
    h->ff = malloc((size_t)ns * sizeof *h->ff);
    h->self = calloc((size_t)ns, sizeof *h->self);
    h->start = calloc((size_t)(npairs + 1), sizeof *h->start);
    if (!h->ff || !h->self || !h->start) {
        free(acc);
        tsct_debye_histogram_destroy(h);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "debye histogram", -1,
                              "out of memory");
    }
    memcpy(h->ff, c->ff, (size_t)ns * sizeof *h->ff);
    for (int64_t i = 0; i < n; i++)
        h->self[c->species[i]] += c->occ[c->species[i]] * c->occ[c->species[i]];

    const int64_t *sp = c->species;
    const double *occ = c->occ;
    const double inv_dr = 1.0 / dr;
#if TSCT_HAVE_OPENMP
#pragma omp parallel num_threads(nthreads)
#endif
    {
        const int tid = tsct__thread_id();
        double *aw = acc + (size_t)(2 * stride) * (size_t)tid;   /* weights */
        double *ar = aw + stride;                                 /* weight * r */
#if TSCT_HAVE_OPENMP
#pragma omp for schedule(dynamic, 16)
#endif
        for (int64_t i = 0; i < n; i++) {
            const double *xi = xyz + 3 * i;
            const int64_t si = sp[i];
            const double wi = occ[si];
            for (int64_t j = i + 1; j < n; j++) {
                double r = dist(xi, xyz + 3 * j);
                int64_t b = (int64_t)(r * inv_dr);
                if (b >= nbins)
                    b = nbins - 1;
                int64_t off = pair_index(si, sp[j], ns) * nbins + b;
                double w = wi * occ[sp[j]];
                aw[off] += w;
                ar[off] += w * r;
            }
        }
    }
    /* add the threads' histograms into the first, then keep the occupied bins */
    for (int t = 1; t < nthreads; t++) {
        const double *src = acc + (size_t)(2 * stride) * (size_t)t;
        for (int64_t k = 0; k < 2 * stride; k++)
            acc[k] += src[k];
    }
    int64_t used = 0;
    for (int64_t k = 0; k < stride; k++)
        used += acc[k] != 0.0 || acc[stride + k] != 0.0;
    h->w = malloc((size_t)(used > 0 ? used : 1) * sizeof *h->w);
    h->r = malloc((size_t)(used > 0 ? used : 1) * sizeof *h->r);
    if (!h->w || !h->r) {
        free(acc);
        tsct_debye_histogram_destroy(h);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "debye histogram", -1,
                              "%lld occupied bins", (long long)used);
    }
    int64_t k = 0;
    for (int64_t pi = 0; pi < npairs; pi++) {
        h->start[pi] = k;
        for (int64_t b = 0; b < nbins; b++) {
            double w = acc[pi * nbins + b], wr = acc[stride + pi * nbins + b];
            if (w == 0.0 && wr == 0.0)
                continue;
            h->w[k] = w;
            /* zero-occupancy pairs carry no weight; keep the bin centre for them */
            h->r[k] = w != 0.0 ? wr / w : (b + 0.5) * dr;
            k++;
        }
    }
    h->start[npairs] = k;
    free(acc);
    *out = h;
    return TSCT_OK;
}

int64_t tsct_debye_histogram_bins(const tsct_debye_histogram *h)
{
    return h->start[h->npairs];
}

tsct_status tsct_debye_intensity(const tsct_debye_histogram *h, const double *q, int64_t n,
                                 double *out, tsct_error *err)
{
    if (!h || (n > 0 && (!q || !out)) || n < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "debye intensity", -1,
                              "NULL argument");
    for (int64_t m = 0; m < n; m++)
        if (!isfinite(q[m]) || q[m] < 0.0)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "Q", m,
                                  "must be finite and >= 0 1/Angstrom, got %g", q[m]);
    const int64_t ns = h->nspecies;
#if TSCT_HAVE_OPENMP
#pragma omp parallel for num_threads(h->params.nthreads) schedule(dynamic, 4)
#endif
    for (int64_t m = 0; m < n; m++) {
        const double qm = q[m];
        double sum = 0.0;
        for (int64_t s = 0; s < ns; s++) {
            double fs = tsct_formfactor_f0(h->ff[s], qm);
            sum += h->self[s] * fs * fs;
            for (int64_t t = s; t < ns; t++) {
                int64_t pi = pair_index(s, t, ns);
                double ff = 2.0 * fs * tsct_formfactor_f0(h->ff[t], qm);
                double acc = 0.0;
                for (int64_t b = h->start[pi]; b < h->start[pi + 1]; b++) {
                    double x = qm * h->r[b];
                    acc += h->w[b] * (x > 1e-8 ? sin(x) / x : 1.0 - x * x / 6.0);
                }
                sum += ff * acc;
            }
        }
        out[m] = sum;
    }
    return TSCT_OK;
}

/* ---- exact pairs ---------------------------------------------------------------------------- */

static int cmp_pair(const void *pa, const void *pb)
{
    const tsct_debye_pair *a = pa, *b = pb;
    if (a->r != b->r)
        return a->r < b->r ? -1 : 1;
    if (a->i != b->i)
        return a->i < b->i ? -1 : 1;
    return (a->j > b->j) - (a->j < b->j);
}

tsct_status tsct_debye_pairs_create(tsct_debye_pairs **out, const tsct_debye_cluster *c,
                                    double rmax, tsct_error *err)
{
    if (out)
        *out = NULL;
    if (!out || !c)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "pairs", -1, "NULL argument");
    if (isnan(rmax) || rmax < 0.0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "rmax", -1,
                              "must be >= 0 Angstrom, got %g", rmax);
    const int64_t n = c->natoms;
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = i + 1; j < n; j++)
            count += dist(c->xyz + 3 * i, c->xyz + 3 * j) <= rmax;
    tsct_debye_pairs *p = calloc(1, sizeof *p);
    if (p)
        p->items = malloc((size_t)(count > 0 ? count : 1) * sizeof *p->items);
    if (!p || !p->items) {
        tsct_debye_pairs_destroy(p);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pairs", -1, "%lld pairs",
                              (long long)count);
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = i + 1; j < n; j++) {
            double r = dist(c->xyz + 3 * i, c->xyz + 3 * j);
            if (r <= rmax)
                p->items[p->count++] = (tsct_debye_pair){i, j, r};
        }
    qsort(p->items, (size_t)p->count, sizeof *p->items, cmp_pair);
    *out = p;
    return TSCT_OK;
}

void tsct_debye_pairs_destroy(tsct_debye_pairs *p)
{
    if (!p)
        return;
    free(p->items);
    free(p);
}
