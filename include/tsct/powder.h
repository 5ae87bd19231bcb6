/* tsct/powder.h - calculated powder diffraction patterns with analytic derivatives.
 *
 * The model (docs/physics.md, "Powder patterns") on a grid of 2theta (degrees) or Q
 * (1/Angstrom) at one wavelength lambda (Angstrom):
 *
 *   y(x) = sum_k A_k Omega(2theta(x) - c_k; H_k, eta) + sum_j b_j T_j(t(x))
 *
 *   A_k     = scale * m_k |F_k|^2 * L(theta_k) * P(theta_k)      integrated intensity
 *   L       = 1 / (sin^2 theta cos theta)                        Lorentz factor, Debye-Scherrer
 *   P       = (1 + cos^2 2theta) / 2 (TSCT_POWDER_POLARIZATION_UNPOLARIZED) or 1 (NONE)
 *   c_k     = 2 theta_k + zero,  sin theta_k = lambda / (2 d_k)  peak centre, degrees
 *   H_k^2   = U tan^2 theta + V tan theta + W + S^2              FWHM^2, degrees^2 (Caglioti)
 *   S       = (180 / pi) K lambda / (size cos theta)             Scherrer width, degrees
 *   Omega   = eta Lor + (1 - eta) Gau, each of unit area in degrees of 2theta, FWHM H_k
 *   T_j     = Chebyshev polynomials of t in [-1, 1] spanning the grid (in the grid's unit)
 *
 * The pattern is a function of 2theta; on a Q grid it is the same function evaluated at
 * 2theta(Q) = 2 asin(Q lambda / 4 pi), which is how pyFAI reports the same data in either unit.
 * m_k |F_k|^2 are fixed when the plan is made (from the crystal's cell); the cell parameters of
 * the model move the peaks (d_k, so c_k, L, P and H_k), as in a Pawley / Le Bail fit.
 *
 * Parameters are a vector p[tsct_powder_plan_nparams(plan)] in the order of the
 * TSCT_POWDER_P_* indices; derivatives dy_i/dp_j are analytic (docs/physics.md lists them),
 * for any crystal system: the caller ties a = b = c etc. by summing columns.
 *
 * Plan once, evaluate many: tsct_powder_plan_create() lists the reflections, computes
 * m |F|^2 and converts the grid; tsct_powder_evaluate() never allocates, reads the plan only
 * and is thread-safe (one plan may serve many threads, e.g. one per voxel). Each peak is
 * evaluated only within +-window FWHM of its centre.
 *
 * Ownership: the plan copies what it needs (the crystal may be destroyed after planning);
 * tsct_powder_plan_destroy() frees it (NULL does nothing).
 */
#ifndef TSCT_POWDER_H
#define TSCT_POWDER_H

#include <stdint.h>

#include "tsct/crystal.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* h c in keV Angstrom (CODATA 2018): lambda [Angstrom] = TSCT_HC_KEV_ANGSTROM / E [keV]. */
#define TSCT_HC_KEV_ANGSTROM 12.398419843320026

typedef enum tsct_powder_axis {
    TSCT_POWDER_AXIS_Q = 0,        /* grid in Q, 1/Angstrom */
    TSCT_POWDER_AXIS_2THETA = 1    /* grid in 2theta, degrees */
} tsct_powder_axis;

typedef enum tsct_powder_polarization {
    TSCT_POWDER_POLARIZATION_NONE = 0,        /* P = 1: data already corrected (pyFAI's
                                                 polarization_factor) */
    TSCT_POWDER_POLARIZATION_UNPOLARIZED = 1  /* P = (1 + cos^2 2theta) / 2: an unpolarised
                                                 beam, and also the ring average of a linearly
                                                 polarised one whatever its degree */
} tsct_powder_polarization;

typedef struct tsct_powder_params {
    double wavelength;          /* Angstrom, > 0 (required; no default) */
    tsct_powder_axis axis;      /* unit of the grid (default Q) */
    tsct_powder_polarization polarization;   /* default NONE */
    double qmax;                /* reflections are planned up to this Q (1/Angstrom); 0: up to
                                   the grid's end times (1 + margin), which a grid must then
                                   have (default 0) */
    double margin;              /* relative: the cell may grow by this much before peaks
                                   beyond the grid's end would be missed (default 0.05) */
    double window;              /* each peak is evaluated within +-window FWHM of its centre
                                   (default 50: the Lorentzian area left out is eta/(pi*window)
                                   ~ 0.6 % eta, the Gaussian's nothing) */
    double scherrer_k;          /* Scherrer constant K (default 0.9) */
    int64_t nbackground;        /* number of Chebyshev background terms (default 0) */
    int neutral_atoms;          /* 1: neutral-atom form factors (default 0: ions where given) */
    int apply_adp;              /* 1: Debye-Waller factors exp(-B s^2) in F (default 1) */
} tsct_powder_params;

#define TSCT_POWDER_PARAMS_DEFAULT \
    {0.0, TSCT_POWDER_AXIS_Q, TSCT_POWDER_POLARIZATION_NONE, 0.0, 0.05, 50.0, 0.9, 0, 0, 1}

/* Indices into the parameter vector (and rows of the Jacobian). */
enum {
    TSCT_POWDER_P_SCALE = 0,  /* multiplies every A_k (dimensionless) */
    TSCT_POWDER_P_A,          /* cell lengths, Angstrom */
    TSCT_POWDER_P_B,
    TSCT_POWDER_P_C,
    TSCT_POWDER_P_ALPHA,      /* cell angles, degrees */
    TSCT_POWDER_P_BETA,
    TSCT_POWDER_P_GAMMA,
    TSCT_POWDER_P_SIZE,       /* crystallite size, Angstrom; <= 0: no size broadening (its
                                 derivative is then 0) */
    TSCT_POWDER_P_U,          /* Caglioti U, V, W, degrees^2 */
    TSCT_POWDER_P_V,
    TSCT_POWDER_P_W,
    TSCT_POWDER_P_ETA,        /* pseudo-Voigt Lorentzian fraction (any finite value; 0..1 is
                                 physical) */
    TSCT_POWDER_P_ZERO,       /* 2theta zero shift, degrees */
    TSCT_POWDER_P_BACKGROUND  /* first of nbackground Chebyshev coefficients (intensity) */
};
#define TSCT_POWDER_NPARAMS_BASE 13

typedef struct tsct_powder_plan tsct_powder_plan;

/* Plan a pattern of `crystal` on the grid x[n] (unit params->axis, strictly increasing, Q
 * grids below 4 pi / lambda; x may be NULL with n = 0 to list peaks only, then params->qmax
 * must be > 0). Reflections with Q <= qmax (see params) are listed with their multiplicities
 * and |F|^2 (tsct_crystal_reflections_create); absent ones are dropped.
 * Errors: TSCT_ERR_VALUE (wavelength <= 0, bad window / margin / K / nbackground, a grid not
 * strictly increasing or beyond 2theta = 180 degrees, n = 0 without qmax), those of
 * tsct_crystal_reflections_create(), TSCT_ERR_NOMEM. On error *out is NULL. */
tsct_status tsct_powder_plan_create(tsct_powder_plan **out, const tsct_crystal *crystal,
                                    const double *x, int64_t n,
                                    const tsct_powder_params *params, tsct_error *err);

/* Free a plan; NULL does nothing. */
void tsct_powder_plan_destroy(tsct_powder_plan *plan);

/* Number of parameters: TSCT_POWDER_NPARAMS_BASE + nbackground. */
int64_t tsct_powder_plan_nparams(const tsct_powder_plan *plan);
/* Number of grid points n. */
int64_t tsct_powder_plan_size(const tsct_powder_plan *plan);
/* Number of planned reflection classes. */
int64_t tsct_powder_plan_reflection_count(const tsct_powder_plan *plan);

/* Fill p[nparams] with starting values: scale 1, the crystal's cell, no size broadening,
 * U = V = 0, W = 1e-4 degrees^2 (FWHM 0.01 degree), eta 0.5, zero 0, background 0. */
void tsct_powder_plan_default_params(const tsct_powder_plan *plan, double *p);

/* Evaluate the pattern y[n] and, if jac is not NULL, its derivatives
 * jac[j * n + i] = dy_i / dp_j for every parameter j (nparams rows of n, each row contiguous).
 * y and jac must not alias p or each other. Never allocates; thread-safe.
 * Errors: TSCT_ERR_VALUE for a non-finite parameter, a cell with zero volume (item = the
 * parameter) or a peak with FWHM^2 <= 0 (index = the reflection); y is then unspecified. */
tsct_status tsct_powder_evaluate(const tsct_powder_plan *plan, const double *p, double *y,
                                 double *jac, tsct_error *err);

/* One reflection class at the cell of a parameter vector. */
typedef struct tsct_powder_peak {
    int h, k, l;              /* representative of the Laue class */
    int64_t multiplicity;
    double d;                 /* Angstrom */
    double q;                 /* 1/Angstrom */
    double two_theta;         /* degrees, without the zero shift */
    double f2;                /* |F|^2 per cell (electrons^2), fixed at planning */
    double lp;                /* L * P at this angle */
    double intensity;         /* A_k = scale * multiplicity * f2 * lp */
    double fwhm;              /* H_k, degrees 2theta (NaN if H^2 <= 0) */
} tsct_powder_peak;

/* The reflections of the plan at the parameters p (cell, scale, profile), by decreasing d;
 * those that cannot diffract at this wavelength (lambda > 2 d) are left out. out has room for
 * tsct_powder_plan_reflection_count(plan) entries; *count receives how many were written.
 * Errors: as tsct_powder_evaluate() for the cell. Thread-safe. */
tsct_status tsct_powder_peaks(const tsct_powder_plan *plan, const double *p,
                              tsct_powder_peak *out, int64_t *count, tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_POWDER_H */
