/* fit_internal.h - the peak-fit plan shared by the model (fit_model.c) and the least-squares
 * driver (fit_lm.c). */
#ifndef TSCT_FIT_INTERNAL_H
#define TSCT_FIT_INTERNAL_H

#include "tsct/fit.h"

enum fit_kind { FIT_AREA = 0, FIT_POSITION = 1, FIT_FWHM = 2, FIT_ETA = 3, FIT_BG = 4 };

struct tsct_fit_plan {
    tsct_fit_model model;
    tsct_fit_params params;       /* nthreads resolved */
    int k, nfree;
    int64_t first, n;             /* the window: x[first .. first + n - 1] */
    double *x;                    /* window abscissae [n] */
    double *t;                    /* x - xc [n] (background powers) */
    double xc, dx;                /* window centre, mean point spacing */
    int kind[TSCT_FIT_MAX_PARAMS], peak[TSCT_FIT_MAX_PARAMS];
    int fixed[TSCT_FIT_MAX_PARAMS];
    double value[TSCT_FIT_MAX_PARAMS];  /* given start or fixed value (NaN: automatic) */
    double lo[TSCT_FIT_MAX_PARAMS], hi[TSCT_FIT_MAX_PARAMS];
    int free_idx[TSCT_FIT_MAX_PARAMS];  /* the free parameters' indices, nfree of them */
    int poff[TSCT_FIT_MAX_PEAKS];       /* index of each peak's area */
    int bgoff;                          /* index of bg_0 (k if no background) */
    char names[TSCT_FIT_MAX_PARAMS * 16];
    char describe[2048];
};

/* Height per unit area at the centre of a profile of width w: A = h * w / fit__height_factor. */
double tsct__fit_height_factor(tsct_fit_profile profile, double eta);

/* Solve the m x m symmetric positive definite system M d = b (M overwritten) after scaling it
 * to unit diagonal (s: scratch [m]). Returns -1 if M is not positive definite (fit_lm.c). */
int tsct__fit_spd_solve(double *M, int m, const double *b, double *d, double *s);

/* One Levenberg-Marquardt trial (fit_lm.c): chi2 now, ct at the trial point, pred the
 * predicted reduction, dnorm and xnorm the scaled step and parameter norms. Updates lambda and
 * nu (Nielsen's rule), sets *converged by MINPACK's ftol / xtol tests and returns 1 when the
 * trial point is accepted (it lowers chi2). */
int tsct__fit_lm_step(const tsct_fit_params *P, double chi2, double ct, double pred,
                      double dnorm, double xnorm, double *lambda, double *nu, int *converged);

#endif
