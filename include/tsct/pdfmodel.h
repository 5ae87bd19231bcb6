/* tsct/pdfmodel.h - calculated pair distribution functions G(r) of structural models:
 * periodic crystals from a CIF (with nanoparticle envelopes) and discrete clusters, as
 * PDFgui / PDFfit2 define them (Farrow et al., J. Phys.: Condens. Matter 19 (2007) 335219),
 * with analytic derivatives for refinement. The formulas are in docs/pdf.md ("Calculated
 * G(r)"); in short, on r in Angstrom:
 *
 *   G(r) = scale * E(r) * [ 1 / (N r) sum_{i != j} w_i w_j T_ij(r) - 4 pi r rho0 g_b(r) ]
 *
 *   T_ij(r)  = exp(-(r - r_ij)^2 / (2 s_ij^2)) / (sqrt(2 pi) s_ij), every ordered pair of atoms
 *              (occupancies included in w), cell images of a crystal up to the grid's end;
 *   s_ij^2   = (U_i + U_j) (1 - delta1 / r_ij - delta2 / r_ij^2 + qbroad^2 r_ij^2),
 *              isotropic U (Angstrom^2): the site's Uiso from the structure, or one Uiso for all;
 *   w_i      = occ_i f_i(0) / <f(0)> with <f(0)> = sum occ f(0) / sum occ: X-ray weights from
 *              the form factors at Q = 0 (the convention of PDFgetX3-normalised data);
 *   N        = sum occ (atoms of the cell, or of the cluster); rho0 = N / V for a crystal, a
 *              parameter for a cluster (0: no baseline);
 *   E(r)     = exp(-(qdamp r)^2 / 2) times, for a crystal, the particle envelope: the sphere's
 *              1 - 3/2 r/d + 1/2 (r/d)^3 (r < d, else 0) or its average over a log-normal
 *              distribution of diameters (mean d, standard deviation dsig); for a cluster the
 *              envelope g_b multiplies only the baseline (its pair sum is finite already);
 *   and, when qmax > 0, the termination of the data: G is low-pass filtered at qmax (its sine
 *   transform set to zero above qmax), computed on a grid from r = 0 extended past the data's
 *   end so that the filter's edges stay away from it.
 *
 * Derivatives are analytic for scale, the six lattice parameters (crystal), uiso (when one
 * Uiso is used for every atom), delta1, delta2, qbroad, qdamp and the sphere diameter; for the
 * log-normal envelope's diameter and width they are central differences (documented there).
 *
 * The r grid is the data's: uniform, r_j = rmin + j dr with rmin a multiple of dr (PDFgetX3's
 * and PDFgui's grids are); it is fixed when the model is made, as is qmax.
 *
 * Ownership: _create makes a model that tsct_pdfmodel_destroy() frees (NULL does nothing). A
 * model is immutable: any number of threads may evaluate it at once, each with its own
 * outputs. The crystal or cluster it was made from may be destroyed afterwards.
 */
#ifndef TSCT_PDFMODEL_H
#define TSCT_PDFMODEL_H

#include <stdint.h>

#include "tsct/crystal.h"
#include "tsct/debye.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The model's parameters, in the order of their derivative bits. */
typedef enum tsct_pdfmodel_param {
    TSCT_PDFMODEL_SCALE = 0,
    TSCT_PDFMODEL_A,        /* lattice: a, b, c in Angstrom, alpha, beta, gamma in degrees */
    TSCT_PDFMODEL_B,
    TSCT_PDFMODEL_C,
    TSCT_PDFMODEL_ALPHA,
    TSCT_PDFMODEL_BETA,
    TSCT_PDFMODEL_GAMMA,
    TSCT_PDFMODEL_UISO,     /* Angstrom^2 */
    TSCT_PDFMODEL_DELTA1,   /* Angstrom */
    TSCT_PDFMODEL_DELTA2,   /* Angstrom^2 */
    TSCT_PDFMODEL_QBROAD,   /* 1/Angstrom */
    TSCT_PDFMODEL_QDAMP,    /* 1/Angstrom */
    TSCT_PDFMODEL_DIAMETER, /* Angstrom */
    TSCT_PDFMODEL_DSIG,     /* Angstrom: width of the log-normal distribution of diameters */
    TSCT_PDFMODEL_RHO0,     /* atoms / Angstrom^3: a cluster's baseline density */
    TSCT_PDFMODEL_NPARAM
} tsct_pdfmodel_param;

/* Name of a parameter as configurations spell it ("scale", "a", ..., "uiso", "diameter"),
 * NULL when out of range. */
const char *tsct_pdfmodel_param_name(tsct_pdfmodel_param p);

typedef struct tsct_pdfmodel_params {
    double scale;     /* default 1 */
    tsct_cell cell;   /* crystal only; a = 0 takes the structure's cell (default) */
    double uiso;      /* Angstrom^2, >= 0 for one Uiso on every atom; < 0 (default -1) takes
                         each site's Uiso from the structure (a crystal; a cluster needs one) */
    double delta1, delta2, qbroad, qdamp; /* default 0 */
    double diameter;  /* Angstrom, 0 = no envelope (default); > 0 */
    double dsig;      /* Angstrom, 0 = one size (default); > 0: log-normal distribution */
    double rho0;      /* cluster only: baseline density (default 0: none) */
} tsct_pdfmodel_params;

#define TSCT_PDFMODEL_PARAMS_DEFAULT                                                              \
    {1.0, {0.0, 0.0, 0.0, 0.0, 0.0, 0.0}, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}

typedef struct tsct_pdfmodel tsct_pdfmodel;

/* Largest grid (data points plus the extension) a model accepts. */
#define TSCT_PDFMODEL_MAX_POINTS (1 << 22)

/* A crystal's model on the grid r[nr] (Angstrom, uniform, r[0] a multiple of the step, at
 * least 2 points, r[0] >= 0), terminated at qmax (1/Angstrom; 0 = not terminated). Errors:
 * TSCT_ERR_VALUE (grid not uniform to 1e-6 of its step, rmin not a multiple of the step,
 * qmax < 0 or not finite, naming the item), TSCT_ERR_SHAPE (more than
 * TSCT_PDFMODEL_MAX_POINTS), TSCT_ERR_NOMEM. */
tsct_status tsct_pdfmodel_create_crystal(tsct_pdfmodel **out, const tsct_crystal *crystal,
                                         const double *r, int64_t nr, double qmax,
                                         tsct_error *err);

/* A crystal's model whose lattice moves only as a refinement constrains it: nfree (0 .. 6)
 * free parameters, free parameter l setting the cell entries of the bit mask drive[l] (bit e
 * for a, b, c, alpha, beta, gamma: cubic a is {7}, hexagonal a, c is {3, 4}). The atom pairs
 * are listed once here, grouped by equal distance for every cell of that family, so an
 * evaluation with one Uiso for every atom (uiso >= 0) costs the Gaussian sums only (Ni,
 * 1 500 points: ~150x faster than tsct_pdfmodel_create_crystal's model). For such a model
 * the lattice derivative bits TSCT_PDFMODEL_A + l, l < nfree, are those of the free
 * parameters (the sums over the entries each drives); p->cell must keep the ties (a = b = c
 * for cubic) and lengths within 20 % below the structure's; per-site U (uiso < 0) is
 * evaluated as by the untied model, without lattice derivatives. Errors: those of
 * tsct_pdfmodel_create_crystal, TSCT_ERR_VALUE (nfree or a drive mask out of range). */
tsct_status tsct_pdfmodel_create_crystal_tied(tsct_pdfmodel **out, const tsct_crystal *crystal,
                                              const double *r, int64_t nr, double qmax,
                                              int nfree, const int drive[6], tsct_error *err);

/* A cluster's model (every pair of its atoms, see tsct/debye.h), same grid rules. */
tsct_status tsct_pdfmodel_create_cluster(tsct_pdfmodel **out, const tsct_debye_cluster *cluster,
                                         const double *r, int64_t nr, double qmax,
                                         tsct_error *err);

void tsct_pdfmodel_destroy(tsct_pdfmodel *model);

/* Points of the model's grid (the nr it was made with). */
int64_t tsct_pdfmodel_size(const tsct_pdfmodel *model);

/* 1 for a crystal, 0 for a cluster. */
int tsct_pdfmodel_is_crystal(const tsct_pdfmodel *model);

/* Number density N / V of a crystal for a cell (atoms / Angstrom^3; the structure's cell when
 * cell is NULL or cell->a == 0), NaN for a cluster. */
double tsct_pdfmodel_density(const tsct_pdfmodel *model, const tsct_cell *cell);

/* G(r) on the model's grid into g[nr]; with derivs != 0 (a bit mask, bit p for parameter p)
 * also dg[k][nr]: the derivative of G with respect to the k-th set bit's parameter, in bit
 * order. Allocates its scratch (a few arrays of the extended grid, and the crystal's pair
 * list). Errors: TSCT_ERR_VALUE naming the parameter (a lattice parameter, diameter or dsig
 * not finite or <= 0 where used, uiso < 0 for a cluster, a site without Uiso when
 * no uiso is given, qdamp, qbroad or rho0 < 0, a derivative asked of a parameter the model does
 * not have, e.g. uiso when each site keeps its own), TSCT_ERR_NOMEM. */
tsct_status tsct_pdfmodel_evaluate(const tsct_pdfmodel *model, const tsct_pdfmodel_params *p,
                                   unsigned derivs, double *g, double *dg, tsct_error *err);

/* The particle envelope of a crystal model at r (Angstrom): the sphere's for dsig = 0, the
 * log-normal average otherwise (1 when diameter is 0). */
double tsct_pdfmodel_envelope(double r, double diameter, double dsig);

#ifdef __cplusplus
}
#endif

#endif /* TSCT_PDFMODEL_H */
