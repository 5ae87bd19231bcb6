/* tsct/refine.h - full-profile (Rietveld, fixed structures) refinement of one powder pattern.
 *
 * The model (docs/refine.md) on a grid x[n] of Q (1/A) or 2theta (degrees) at one wavelength
 * lambda (A); every profile is a function of 2theta in degrees (a Q grid is evaluated at
 * 2theta(Q) = 2 asin(Q lambda / 4 pi), as powder.h does):
 *
 *   y(x) = sum_phases S_p sum_k A_k Omega(2theta - c_k; Gamma_k, eta_k)
 *        + sum_peaks  a_j pV(x - x_j; w_j, eta_j)          (area, position, FWHM in x units)
 *        + sum_broad  s_b B_b(x)                            (a given pattern, e.g. amorphous)
 *        + sum_m      c_m T_m(t(x))                         (Chebyshev, t in [-1, 1] over x)
 *
 *   A_k      = m_k |F_k|^2 L(theta_k) P(theta_k) exp(-2 B s_k^2) PO_k   (F fixed by the CIF,
 *              at the CIF's cell, with its ADPs; s = sin theta / lambda; L = 1 / (sin^2 theta
 *              cos theta); P = 1 or (1 + cos^2 2theta) / 2 as tsct/powder.h)
 *   PO_k     = March-Dollase: (1/M) sum over the M equivalents h of (r^2 cos^2 a + sin^2 a /
 *              r)^(-3/2), a the angle between h and the preferred direction (the CIF's metric)
 *   c_k      = 2 theta_k + zero,   1 / d_k^2 = h^T G* h (G* from the refined cell)
 *   Omega    = Thompson-Cox-Hastings pseudo-Voigt of unit area in degrees:
 *              Gamma_G^2 = U tan^2 theta + V tan theta + W                        (deg^2)
 *              Gamma_L   = X tan theta + Y / cos theta
 *                        + (180/pi) (K lambda / (10 size cos theta) + 4 strain tan theta)
 *              Gamma^5 = G^5 + 2.69269 G^4 L + 2.42843 G^3 L^2 + 4.47163 G^2 L^3
 *                        + 0.07842 G L^4 + L^5,  eta = 1.36603 q - 0.47719 q^2 + 0.11116 q^3,
 *              q = Gamma_L / Gamma  (Thompson, Cox & Hastings, J. Appl. Cryst. 20 (1987) 79)
 *   size in nm (Lorentzian Scherrer, K = 0.9 by default), strain dimensionless (apparent
 *   strain, integral breadth 4 e tan theta), B in A^2.
 *
 * Parameters are named "PHASE.scale", "PHASE.a" .. "PHASE.gamma" (only the free lattice
 * parameters of the phase's crystal system: cubic a; tetragonal and hexagonal/trigonal a, c;
 * rhombohedral axes a, alpha; orthorhombic a, b, c; monoclinic a, b, c and its non-90 angle;
 * triclinic all six), "PHASE.size", "PHASE.strain", "PHASE.B", "PHASE.po" (with a preferred
 * direction), "instrument.U" .. "instrument.Y", "instrument.zero", "PEAK.area",
 * "PEAK.position", "PEAK.fwhm", "PEAK.eta", "BROAD.scale", "bg.0" .. "bg.N-1". Scales, peak
 * areas, broad scales and background coefficients are linear: when refined they are solved
 * exactly (weighted linear least squares, scales and areas kept >= 0 by an active set) inside
 * every step of the Levenberg-Marquardt search over the other (nonlinear) parameters, the
 * variable projection of Golub & Pereyra with Kaufman's Jacobian (BIT 15 (1975) 49).
 *
 * Statistics at the solution (w = 1 / sigma^2; N points with w > 0; P refined parameters):
 *   chi2 = sum w (y - yc)^2,  Rwp = sqrt(chi2 / sum w y^2),  Rexp = sqrt((N - P) / sum w y^2),
 *   GoF = Rwp / Rexp = sqrt(chi2 / (N - P));
 *   ESDs = sqrt(diag C) GoF with C = (J^T W J)^-1 over every refined parameter (linear ones
 *   included), the correlations C_ij / sqrt(C_ii C_jj);
 *   weight fractions (Hill & Howard, J. Appl. Cryst. 20 (1987) 467): W_p = S_p Z M_p V_p /
 *   sum_q S_q Z M_q V_q, Z M the mass of the unit cell (sum of occupancies x atomic masses), V
 *   the refined cell volume; their ESDs propagated from the scales' covariance.
 *
 * Real space (space = TSCT_REFINE_SPACE_R, docs/refine.md "Real space"): the grid x[n] is r in
 * Angstrom (uniform, from a multiple of its step) and each phase is a calculated G(r) of
 * tsct/pdfmodel.h terminated at the data's qmax:
 *
 *   G(r) = sum_phases S_p G_p(r; lattice, uiso, delta1, delta2, diameter, dsig; qdamp, qbroad)
 *        + sum_peaks, sum_broad, sum_m as above (background terms default to none there)
 *
 * a crystal from a CIF (lattice constrained by its system as above, one Uiso for every atom,
 * the sphere envelope of diameter "diameter" in A, averaged over a log-normal distribution of
 * width "dsig" when dsig > 0) or a cluster (an .xyz file, or the CIF cut to a sphere of
 * params->radius[p]: scale, uiso, delta1, delta2). Its parameters are "PHASE.scale", the lattice,
 * "PHASE.uiso" (A^2), "PHASE.delta1" (A), "PHASE.delta2" (A^2), "PHASE.diameter" (A, inf:
 * bulk), "PHASE.dsig" (A) and the instrument's "instrument.qdamp", "instrument.qbroad" (1/A),
 * which damp every phase. The refinement, statistics and ESDs are the same; weight fractions
 * are NaN for clusters.
 *
 * Ownership: tsct_refine_model_create copies every input (the CIFs are read once);
 * tsct_refine_model_destroy frees (NULL does nothing). Thread safety: a model holds the
 * parameter values and scratch; one thread at a time per model (distinct models are
 * independent).
 */
#ifndef TSCT_REFINE_H
#define TSCT_REFINE_H

#include <stdint.h>

#include "tsct/fit.h"
#include "tsct/powder.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSCT_REFINE_NAME_MAX 64        /* parameter and component names, with the NUL */
#define TSCT_REFINE_MAX_PHASES 16
#define TSCT_REFINE_MAX_PEAKS 16
#define TSCT_REFINE_MAX_BROAD 8
#define TSCT_REFINE_MAX_BACKGROUND 40
/* Refined nonlinear parameters at most (the Levenberg-Marquardt's limit, tsct/fit.h). */
#define TSCT_REFINE_MAX_NONLINEAR TSCT_FIT_MAX_PARAMS

/* Where the model lives: reciprocal space (a pattern in Q or 2theta) or real space (G(r)). */
typedef enum tsct_refine_space {
    TSCT_REFINE_SPACE_RECIPROCAL = 0,
    TSCT_REFINE_SPACE_R = 1
} tsct_refine_space;

/* One phase: a crystal from a CIF, or (real space only) a cluster from an .xyz file or from
 * the CIF cut to a sphere (tsct_refine_model_params.radius). */
typedef struct tsct_refine_phase_desc {
    const char *name;       /* letters, digits, '_', '-' (1 .. 47 characters) */
    const char *cif;        /* CIF file, read with tsct_crystal_read_cif; in real space a
                               name ending in ".xyz" is a cluster (tsct/debye.h) */
    int po_hkl[3];          /* March-Dollase preferred direction; 0 0 0: none (no "po") */
} tsct_refine_phase_desc;

/* One single pseudo-Voigt peak, in the grid's unit (its starting values). */
typedef struct tsct_refine_peak_desc {
    const char *name;
    double position, fwhm, eta;
} tsct_refine_peak_desc;

/* One broad component: a pattern y[n] on the model's grid (copied), times a scale. */
typedef struct tsct_refine_broad_desc {
    const char *name;
    const double *y;
} tsct_refine_broad_desc;

typedef struct tsct_refine_model_params {
    double wavelength;                      /* A, > 0 (required) */
    tsct_powder_axis axis;                  /* unit of the grid (default Q) */
    tsct_powder_polarization polarization;  /* default NONE (data corrected by integration) */
    int64_t nbackground;                    /* Chebyshev terms, 0 .. MAX_BACKGROUND (6) */
    double scherrer_k;                      /* K (0.9) */
    double window;                          /* peaks evaluated within +-window FWHM (40) */
    tsct_refine_space space;                /* default RECIPROCAL; R: x is r in A and the
                                               wavelength, axis, polarization, K and window
                                               are not used */
    double qmax;                            /* real space: the data's Qmax (1/A) that
                                               terminates the calculated G(r); 0: none */
    const double *radius;                   /* real space: radius[nphases] (A): > 0 cuts
                                               that phase's CIF to a cluster of this radius
                                               about the origin, 0 keeps the crystal; NULL:
                                               every phase a crystal (copied) */
} tsct_refine_model_params;

#define TSCT_REFINE_MODEL_PARAMS_DEFAULT \
    {0.0, TSCT_POWDER_AXIS_Q, TSCT_POWDER_POLARIZATION_NONE, 6, 0.9, 40.0, \
     TSCT_REFINE_SPACE_RECIPROCAL, 0.0, NULL}

/* One parameter of the model. Bounds are kept during the refinement (a parameter that ends
 * on one has at_bound = 1 and no ESD). */
typedef struct tsct_refine_param {
    char name[TSCT_REFINE_NAME_MAX];
    double value;
    double lo, hi;        /* bounds; defaults are the physical ones (size > 0, ...) */
    int refine;           /* 1: refined; 0: held at value */
    int linear;           /* 1: solved exactly inside each step (read-only) */
    double esd;           /* after tsct_refine_run: ESD of a refined parameter, else NaN */
    int at_bound;         /* after tsct_refine_run */
} tsct_refine_param;

typedef struct tsct_refine_model tsct_refine_model;

/* Plan a model of nphases phases (CIFs read here), npeaks peaks, nbroad broad components and
 * params->nbackground background terms on the grid x[n] (strictly increasing, finite; a Q
 * grid below 4 pi / lambda, a 2theta grid in (0, 180)). Reflections are listed up to the
 * grid's end plus 5 % (room for the cell to grow). Starting values: the CIF's cell, scales
 * 1, size infinite, strain 0, B 0, po 1, instrument U = V = 0, W = 1e-4, X = Y = zero = 0,
 * background 0; every parameter held (refine 0) except the linear ones. Errors (item = the
 * component or file): TSCT_ERR_VALUE (counts out of range, a bad grid, wavelength <= 0, a
 * name missing, not valid or repeated), those of the CIF reader (with the file) and of the
 * reflection list, TSCT_ERR_NOMEM. On error *out is NULL. */
tsct_status tsct_refine_model_create(const tsct_refine_model_params *params,
                                     const tsct_refine_phase_desc *phases, int nphases,
                                     const tsct_refine_peak_desc *peaks, int npeaks,
                                     const tsct_refine_broad_desc *broad, int nbroad,
                                     const double *x, int64_t n, tsct_refine_model **out,
                                     tsct_error *err);

void tsct_refine_model_destroy(tsct_refine_model *model);

/* A deep copy of model at its current values, limits and refine flags, for another thread
 * (a model is one thread at a time; per-voxel refinement runs one clone per thread). No CIF
 * is read again. Errors: TSCT_ERR_NOMEM, TSCT_ERR_UNSUPPORTED (a real-space model, whose
 * pair lists are not copied yet); then *out is NULL. */
tsct_status tsct_refine_model_clone(const tsct_refine_model *model, tsct_refine_model **out,
                                    tsct_error *err);

/* Parameters: count, the i-th (mutable: set value, refine, lo, hi), the index of a name (-1
 * if the model has none). */
int tsct_refine_model_nparams(const tsct_refine_model *model);
tsct_refine_param *tsct_refine_model_param(tsct_refine_model *model, int i);
int tsct_refine_model_find(const tsct_refine_model *model, const char *name);

/* Set parameter `name`: value (NaN keeps it), refine (-1 keeps it). Errors: TSCT_ERR_NOT_FOUND
 * naming the parameter and listing those of its component ("phase CeO2 has no parameter c:
 * its parameters are scale, a, size, strain, B"), TSCT_ERR_VALUE (a value outside the
 * parameter's physical range, e.g. a size <= 0, naming both). */
tsct_status tsct_refine_model_set(tsct_refine_model *model, const char *name, double value,
                                  int refine, tsct_error *err);

/* Set the bounds of `name` (NaN keeps one); checked against the physical range (size, FWHM,
 * lattice lengths > 0, eta in [0, 1], angles in (0, 180), po > 0, strain >= 0) and lo <= hi.
 * Errors as tsct_refine_model_set. */
tsct_status tsct_refine_model_set_limits(tsct_refine_model *model, const char *name, double lo,
                                         double hi, tsct_error *err);

/* Components. */
int tsct_refine_model_phase_count(const tsct_refine_model *model);
const char *tsct_refine_model_phase_name(const tsct_refine_model *model, int p);
/* The crystal system the lattice is constrained by ("cubic", "hexagonal", ...). */
const char *tsct_refine_model_phase_system(const tsct_refine_model *model, int p);
/* Mass of the unit cell (g/mol, Z M) and the volume of the cell at the current values (A^3). */
double tsct_refine_model_phase_mass(const tsct_refine_model *model, int p);
double tsct_refine_model_phase_volume(const tsct_refine_model *model, int p);

/* Positions of phase p's reflections at the current values, in the grid's unit (zero shift
 * included), those inside the grid: out[max]; returns how many (at most max). */
int64_t tsct_refine_model_ticks(const tsct_refine_model *model, int p, double *out,
                                int64_t max);

/* The pattern y[n] at the current values and, if jac is not NULL, its derivatives
 * jac[j * n + i] = dy_i / dp_j for every parameter j (nparams rows of n; analytic).
 * Errors: TSCT_ERR_VALUE (a value that makes no pattern: a cell of zero volume, a FWHM^2 <=
 * 0; naming the parameter or the reflection). Allocates nothing. */
tsct_status tsct_refine_model_evaluate(tsct_refine_model *model, double *y, double *jac,
                                       tsct_error *err);

/* ---- refinement --------------------------------------------------------------------------- */

typedef struct tsct_refine_params {
    double ftol, xtol;      /* Levenberg-Marquardt tolerances (tsct/fit.h), 1e-9 */
    int max_iter;           /* iterations at most (100) */
    double corr_flag;       /* correlations with |r| above this are flagged (0.9) */
} tsct_refine_params;

#define TSCT_REFINE_PARAMS_DEFAULT {1e-9, 1e-9, 100, 0.9}

typedef enum tsct_refine_status {
    TSCT_REFINE_CONVERGED = 0,
    TSCT_REFINE_MAX_ITER = 1,     /* the best point found is kept */
    TSCT_REFINE_SINGULAR = 2      /* J^T W J singular: some parameter is not determined (ESDs
                                     NaN) */
} tsct_refine_status;

typedef struct tsct_refine_result {
    tsct_refine_status status;
    double chi2, redchi2, rwp, rexp, gof;
    int64_t npoints;          /* points with w > 0 */
    int nrefined;             /* P */
    int niter, nfev;
    double weight_fraction[TSCT_REFINE_MAX_PHASES];      /* Hill & Howard, 0 .. 1 */
    double weight_fraction_esd[TSCT_REFINE_MAX_PHASES];
    /* Correlations between refined parameters: index[nrefined] (into the model's
     * parameters) and corr[nrefined * nrefined], owned by the model until its next run. */
    const int *index;
    const double *corr;
} tsct_refine_result;

/* Refine the model against y[n] with weights w[n] (1 / sigma^2; 0 leaves a point out, e.g.
 * an excluded range; NULL: w = 1 / max(|y|, 1e-12 max|y|)), starting from the current values,
 * which receive the result with their ESDs. calc (may be NULL) receives the calculated
 * pattern [n]. Returns TSCT_OK (status CONVERGED or SINGULAR), TSCT_NOT_CONVERGED
 * (MAX_ITER), TSCT_ERR_VALUE (no refined parameter, fewer points than parameters, a
 * non-finite y or w where w > 0, a model that cannot be evaluated at the start). */
tsct_status tsct_refine_run(tsct_refine_model *model, const double *y, const double *w,
                            const tsct_refine_params *params, tsct_refine_result *res,
                            double *calc, tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_REFINE_H */
