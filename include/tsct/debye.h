/* tsct/debye.h - Debye scattering of finite clusters and their exact pair distances.
 *
 * Definitions (docs/physics.md, "Debye scattering"):
 *
 *   I(Q) = sum_i sum_j w_i w_j f_i(Q) f_j(Q) sin(Q r_ij) / (Q r_ij)      electrons^2
 *
 * over every ordered pair of atoms of the cluster, i = j included (sin(x)/x = 1 at x = 0),
 * with f the Waasmaier-Kirfel f0 of the atom's type (tsct/formfactor.h) and w its site
 * occupancy (the average-structure approximation; self terms are w_i^2 f_i^2). No thermal
 * factors: a cluster is a static set of positions. Q in 1/Angstrom, positions in Angstrom.
 *
 * Method: the O(N^2) pair distances are counted once, multithreaded, into a histogram per pair
 * of species (atoms sharing a form factor and occupancy) holding, per bin of width dr, the
 * summed weight w_i w_j and the weighted mean distance rbar. Then
 *
 *   I(Q) = sum_s n_s f_s^2 + 2 sum_{s<=t} f_s f_t sum_bins W sin(Q rbar) / (Q rbar)
 *
 * costs O(nQ x occupied bins) instead of O(nQ x N^2). Error bound: since the bin's weighted
 * mean distance is used, the first-order error cancels within each bin and, with
 * |d^2/dx^2 sin(x)/x| <= 1/3,
 *
 *   |I_hist(Q) - I(Q)| <= (Q dr)^2 / 6 * (sum_i |w_i f_i(Q)|)^2
 *
 * (a bound; a crystal cluster's shells fall in single bins and come out exact to rounding).
 *
 * Ownership: _create / _cut allocate, _destroy frees (NULL does nothing). Clusters and
 * histograms are immutable once made; any number of threads may read them at once.
 */
#ifndef TSCT_DEBYE_H
#define TSCT_DEBYE_H

#include <stddef.h>
#include <stdint.h>

#include "tsct/crystal.h"
#include "tsct/formfactor.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- clusters ------------------------------------------------------------------------------- */

typedef struct tsct_debye_cluster tsct_debye_cluster;

typedef enum tsct_debye_shape {
    TSCT_DEBYE_SHAPE_SPHERE = 0,   /* |r - r0| <= radius */
    TSCT_DEBYE_SHAPE_CUBE = 1      /* |x - x0|, |y - y0|, |z - z0| <= radius (Cartesian axes of
                                      tsct_crystal_cell_cartesian: a along x) */
} tsct_debye_shape;

typedef struct tsct_debye_cut_params {
    tsct_debye_shape shape;   /* default SPHERE */
    double radius;            /* Angstrom, > 0 (sphere radius, cube half-edge); default 10 */
    double centre[3];         /* fractional coordinates of r0; default 0 0 0 */
    int neutral_atoms;        /* 1: neutral-atom form factors (default 0: ions where given) */
} tsct_debye_cut_params;

#define TSCT_DEBYE_CUT_PARAMS_DEFAULT {TSCT_DEBYE_SHAPE_SPHERE, 10.0, {0.0, 0.0, 0.0}, 0}

/* Cut a cluster from a crystal: every atom of the expanded lattice (all unit-cell atoms plus
 * lattice translations) inside the shape, boundary included to 1e-9 Angstrom. Positions are
 * Cartesian, relative to r0. Errors: TSCT_ERR_VALUE (radius not finite or <= 0, centre not
 * finite), TSCT_ERR_SHAPE (more than 2^31 candidate atoms), TSCT_ERR_NOT_FOUND (the cut holds
 * no atom), TSCT_ERR_NOMEM. On error *out is NULL. */
tsct_status tsct_debye_cluster_cut(tsct_debye_cluster **out, const tsct_crystal *crystal,
                                   const tsct_debye_cut_params *params, tsct_error *err);

/* A cluster from explicit atoms (amorphous clusters, molecules): xyz[natoms][3] in Angstrom,
 * types[natoms] form-factor symbols (tsct_formfactor_find: "Bi", "O2-"), occupancy[natoms] or
 * NULL for 1. Errors: TSCT_ERR_VALUE (natoms < 1, non-finite coordinates or occupancy < 0;
 * index = the atom), TSCT_ERR_NOT_FOUND (unknown symbol; item = the symbol, index = the atom),
 * TSCT_ERR_NOMEM. */
tsct_status tsct_debye_cluster_create(tsct_debye_cluster **out, int64_t natoms,
                                      const double *xyz, const char *const *types,
                                      const double *occupancy, tsct_error *err);

/* Most atoms an XYZ file may hold. */
#define TSCT_DEBYE_XYZ_MAX_ATOMS 10000000

/* A cluster from XYZ text (len bytes, need not be NUL-terminated): the atom count on the
 * first line, a comment line, then one atom per line "SYMBOL x y z" (Angstrom; further
 * columns are ignored; SYMBOL as tsct_formfactor_find takes it: "Bi", "O2-", and a label with
 * digits after the element, "Bi1", for the element). Lines after the count's atoms are
 * ignored. Errors: TSCT_ERR_FORMAT (index = the 1-based line: a count that is not a whole
 * number in 1 .. TSCT_DEBYE_XYZ_MAX_ATOMS, an atom line with fewer than four fields or a
 * coordinate that is not a finite number, fewer atom lines than the count),
 * TSCT_ERR_NOT_FOUND (unknown symbol, item = the symbol, index = the line), TSCT_ERR_NOMEM. */
tsct_status tsct_debye_cluster_parse_xyz(tsct_debye_cluster **out, const char *text, size_t len,
                                         tsct_error *err);

/* The same from a file (errors name it; TSCT_ERR_NOT_FOUND / TSCT_ERR_IO when it cannot be
 * read). */
tsct_status tsct_debye_cluster_read_xyz(tsct_debye_cluster **out, const char *path,
                                        tsct_error *err);

void tsct_debye_cluster_destroy(tsct_debye_cluster *cluster);

int64_t tsct_debye_cluster_atom_count(const tsct_debye_cluster *cluster);
/* Positions [natoms][3], Angstrom. */
const double *tsct_debye_cluster_positions(const tsct_debye_cluster *cluster);
/* Species index of each atom [natoms]. */
const int64_t *tsct_debye_cluster_atom_species(const tsct_debye_cluster *cluster);
int64_t tsct_debye_cluster_species_count(const tsct_debye_cluster *cluster);
/* Form factor and occupancy of species s (NULL / NaN when out of range). */
const tsct_formfactor *tsct_debye_cluster_species_formfactor(const tsct_debye_cluster *cluster,
                                                            int64_t s);
double tsct_debye_cluster_species_occupancy(const tsct_debye_cluster *cluster, int64_t s);

/* ---- pair-distance histogram and I(Q) ------------------------------------------------------- */

typedef struct tsct_debye_params {
    double bin_width;   /* dr, Angstrom, > 0 (default 1e-3: with Q = 30 1/Angstrom the bound
                           above is 1.5e-4 of (sum |w f|)^2) */
    int nthreads;       /* pair counting and I(Q); 0 = all cores (default 0) */
} tsct_debye_params;

#define TSCT_DEBYE_PARAMS_DEFAULT {1e-3, 0}

typedef struct tsct_debye_histogram tsct_debye_histogram;

/* Count the pair distances of a cluster (the plan of tsct_debye_intensity). Memory while
 * counting: 16 bytes x (rmax / dr) x npairs x nthreads, with rmax the largest distance and
 * npairs = nspecies (nspecies + 1) / 2; the histogram keeps only occupied bins. The cluster
 * may be destroyed afterwards. Errors: TSCT_ERR_VALUE (bin width not finite or <= 0),
 * TSCT_ERR_SHAPE / TSCT_ERR_NOMEM (histogram too large: use a wider bin). */
tsct_status tsct_debye_histogram_create(tsct_debye_histogram **out,
                                        const tsct_debye_cluster *cluster,
                                        const tsct_debye_params *params, tsct_error *err);

void tsct_debye_histogram_destroy(tsct_debye_histogram *hist);

/* Number of occupied bins over all species pairs. */
int64_t tsct_debye_histogram_bins(const tsct_debye_histogram *hist);

/* I(Q) at q[n] (1/Angstrom, any order, >= 0) into out[n] (out must not alias q), with nthreads
 * from the histogram's parameters. Never allocates; thread-safe. Errors: TSCT_ERR_VALUE (a Q
 * not finite or < 0; index = its position). */
tsct_status tsct_debye_intensity(const tsct_debye_histogram *hist, const double *q, int64_t n,
                                 double *out, tsct_error *err);

/* ---- exact pair distances -------------------------------------------------------------------- */

typedef struct tsct_debye_pair {
    int64_t i, j;   /* atoms, i < j */
    double r;       /* |r_i - r_j|, Angstrom */
} tsct_debye_pair;

typedef struct tsct_debye_pairs {
    int64_t count;
    tsct_debye_pair *items;   /* sorted by r, then i, then j */
} tsct_debye_pairs;

/* Every pair i < j with r_ij <= rmax (Angstrom; infinity for all), the reference for PDFs.
 * Errors: TSCT_ERR_VALUE (rmax NaN or < 0), TSCT_ERR_NOMEM. On error *out is NULL. */
tsct_status tsct_debye_pairs_create(tsct_debye_pairs **out, const tsct_debye_cluster *cluster,
                                    double rmax, tsct_error *err);

void tsct_debye_pairs_destroy(tsct_debye_pairs *pairs);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_DEBYE_H */
