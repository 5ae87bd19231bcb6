/* tsct/integrate.h - azimuthal integration of detector frames into 1-D patterns, as pyFAI
 * 0.21 defines it (integrate1d_ng, sigma_clip_ng) plus the trimmed mean of pyFAI's CSR
 * medfilt (medfilt1d_ng).
 *
 * Plan once, execute many. A plan holds, for one geometry, detector shape, mask, dark and flat:
 *  - the pixel -> bin map as a sparse matrix W (bins x pixels), stored twice: bin-major (CSR:
 *    for each bin its pixels and weights, used by the robust filters) and pixel-major (the
 *    same entries in pixel order, streamed by the mean);
 *  - the per-pixel normalisation n_p = solid_angle_p * polarization_p * flat_p (float32);
 *  - the bin centres in the requested unit.
 * Executing the plan on a frame never allocates and is thread-safe (the plan is read-only;
 * each concurrent call needs its own workspace).
 *
 * Definitions (docs/integration.md has them in full, with pyFAI's sources):
 *  per pixel p of a frame (raw value x_p):
 *    valid_p  = not masked, x_p not NaN, not a dummy (|x_p - dummy| <= delta_dummy, or
 *               x_p == dummy when delta_dummy = 0), dark_p and flat_p finite, flat_p != 0
 *    s_p = x_p - dark_p        (signal)
 *    v_p = max(x_p, 1)         (Poisson variance of the raw count; pyFAI's preproc: the dark
 *                               is not added)
 *    n_p = monitor * solid_p * pol_p * flat_p
 *  per bin b, sums over valid pixels with weights w_bp (1 without splitting):
 *    S = sum w s,  V = sum w^2 v,  N = sum w n,  C = sum w
 *    I_b = S / N,  sigma_b = sqrt(V) / N;  a bin with C = 0 (or N = 0) gets `empty`.
 *  Splitting methods, radial range defaults and edge rules: see tsct_integrate_split.
 *
 * Robust filters (the pixels of a bin, entry e = (pixel p, weight w)):
 *  - TRIMMED(lo, hi): pyFAI's CSR medfilt (medfilt1d_ng): sort the entries by x_e = s_p / n_p,
 *    with weights u_e = w n_p; with c_e the cumulative weight up to and including e and
 *    c_{e-1} the one before, and total U, keep e when
 *       lo U <= c_{e-1} and c_e <= hi U,   or   c_{e-1} <= lo U and c_e >= hi U;
 *    I_b = sum_kept w s / sum_kept w n, sigma_b = sqrt(sum_kept w^2 v) / sum_kept w n.
 *    trimmed(0.5, 0.5) is the median, trimmed(0.1, 0.9) the 10 % trimmed mean.
 *  - SIGMA_CLIP(thres, iterations): pyFAI 0.21 sigma_clip_ng with the Poisson model: start
 *    from the mean (S, V, N, C), with aver = S / N and std = sqrt(V / N); then up to
 *    `iterations` times: stop if N = 0 or C = 0; cut = max(thres, sqrt(2 ln(max(C, 3) /
 *    sqrt(2 pi)))) * std (Chauvenet); drop every pixel with |s/n - aver| > cut; recompute
 *    S, V, N, C, aver, std over the remaining pixels. Result as for the mean.
 *    Only meaningful without splitting (pyFAI's default method ("no", "csr")).
 *
 * Errors: TSCT_ERR_VALUE (bad parameters, naming the field), TSCT_ERR_SHAPE (detector shape),
 * TSCT_ERR_NOMEM, and those of tsct_geometry_check(). Messages name the parameter or item.
 */
#ifndef TSCT_INTEGRATE_H
#define TSCT_INTEGRATE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "tsct/geometry.h"
#include "tsct/poni.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Pixel splitting (pyFAI 0.21 method names).
 *  NO:   histogram of pixel centres, pyFAI ("no", "histogram", "cython"): bin = trunc((r -
 *        r_min) / delta), pixels with bin outside [0, npt) are dropped. Default radial range:
 *        [min, max] of the centres of ALL pixels (masked ones included, as pyFAI).
 *  BBOX: pyFAI ("bbox", "csr", "cython"): each pixel is the interval [r - d, r + d] with d the
 *        largest |corner - centre| radial distance; it is spread over the bins it covers in
 *        proportion to the covered length (the parts outside the range fall into the edge
 *        bins). Default range: [max(0, min(r - d)), max(r + d)] over unmasked pixels.
 *  FULL: pyFAI ("full", "csr", "cython"): each pixel is the quadrilateral of its four corners
 *        in (radial, chi) space; its weight in a bin is the fraction of its area inside the
 *        bin, renormalised over the bins inside the range. Default range: [max(0, min corner),
 *        max corner] over unmasked pixels.
 * In every case the upper end of the range is moved up by one float32 epsilon (pyFAI's
 * calc_upper_bound: max * (1 + 2^-23)), delta = (max' - min) / npt and the bin centres are
 * min + (i + 0.5) delta. Binning is done in pyFAI's internal unit (q in 1/nm, 2theta in rad,
 * r in mm) so that pixels fall in the same bins, then centres are converted. */
typedef enum tsct_integrate_split {
    TSCT_INTEGRATE_SPLIT_NO = 0,
    TSCT_INTEGRATE_SPLIT_BBOX,
    TSCT_INTEGRATE_SPLIT_FULL,
} tsct_integrate_split;

typedef enum tsct_integrate_filter {
    TSCT_INTEGRATE_MEAN = 0,        /* weighted mean (integrate1d_ng) */
    TSCT_INTEGRATE_TRIMMED,         /* trimmed mean / median (medfilt1d_ng) */
    TSCT_INTEGRATE_SIGMA_CLIP,      /* sigma clipping (sigma_clip_ng) */
} tsct_integrate_filter;

typedef struct tsct_integrate_params {
    int64_t npt;                  /* number of bins; default 2000 */
    tsct_unit unit;               /* radial unit of the output; default q_A^-1 */
    tsct_integrate_split split;   /* default NO */
    tsct_integrate_filter filter; /* default MEAN */
    double trim_lo, trim_hi;      /* TRIMMED quantiles, 0 <= lo <= hi <= 1; default 0.1, 0.9 */
    double clip_thres;            /* SIGMA_CLIP threshold (in std); default 5 (pyFAI) */
    int clip_iterations;          /* SIGMA_CLIP cycles; default 5 (pyFAI) */
    int solid_angle;              /* 1 (default): divide by cos^3(alpha) */
    double polarization;          /* factor in [-1, 1]; NaN (default): no correction */
    double polarization_offset;   /* axis offset, rad; default 0 */
    double radial_min, radial_max;   /* range in `unit`; NaN (default): see splitting */
    double azimuth_min, azimuth_max; /* chi range, deg, within [-180, 180]; NaN: all */
    int use_dummy;                /* 1: pixels equal to dummy are invalid; default 0 */
    float dummy, delta_dummy;     /* when use_dummy; empty bins then get `dummy` too */
    float empty;                  /* value of empty bins (intensity and sigma); default 0 */
    int nthreads;                 /* OpenMP threads of plan creation and execute; 0 = all */
} tsct_integrate_params;

#define TSCT_INTEGRATE_PARAMS_DEFAULT                                                        \
    {2000, TSCT_UNIT_Q_A, TSCT_INTEGRATE_SPLIT_NO, TSCT_INTEGRATE_MEAN, 0.1, 0.9, 5.0, 5, 1,     \
     (double)NAN, 0.0, (double)NAN, (double)NAN, (double)NAN, (double)NAN, 0, 0.0f, 0.0f, 0.0f, 0}

typedef struct tsct_integrate_plan tsct_integrate_plan;

/* Build a plan for frames of rows x cols pixels (C order, rows = pyFAI axis 1).
 *  mask: rows*cols bytes, non-zero = masked, or NULL;
 *  dark: rows*cols floats subtracted from every frame, or NULL; a NaN dark pixel is invalid;
 *  flat: rows*cols floats dividing every frame, or NULL; 0 or NaN flat pixels are invalid.
 * The arrays are copied (the caller keeps ownership). The geometry needs a wavelength for q
 * units. Errors: see the top; TSCT_ERR_VALUE when no pixel is left in the radial range. */
tsct_status tsct_integrate_plan_create(const tsct_integrate_params *params,
                                       const tsct_poni *geometry, int64_t rows, int64_t cols,
                                       const uint8_t *mask, const float *dark,
                                       const float *flat, tsct_integrate_plan **plan,
                                       tsct_error *err);

/* Free a plan. NULL allowed. */
void tsct_integrate_plan_destroy(tsct_integrate_plan *plan);

/* Bins, pixels per frame, and the bin centres (npt doubles owned by the plan, in the unit of
 * the parameters). */
int64_t tsct_integrate_plan_npt(const tsct_integrate_plan *plan);
int64_t tsct_integrate_plan_npixels(const tsct_integrate_plan *plan);
const double *tsct_integrate_plan_radial(const tsct_integrate_plan *plan);
/* The parameters the plan was made with (ranges filled in: the radial range actually used,
 * in the output unit). */
const tsct_integrate_params *tsct_integrate_plan_params(const tsct_integrate_plan *plan);
/* Non-zero entries of the pixel -> bin matrix (pixels counted once per bin they reach). */
int64_t tsct_integrate_plan_nnz(const tsct_integrate_plan *plan);

/* Bytes of workspace one execute call needs (for the plan's filter and thread count).
 * Workspaces must be aligned to 16 bytes (malloc's are). */
size_t tsct_integrate_workspace_size(const tsct_integrate_plan *plan);

/* Integrate one frame (rows*cols floats, C order) with the plan's filter:
 *  monitor: the normalisation factor (pyFAI normalization_factor), > 0 and finite;
 *  intensity: npt floats out; sigma: npt floats out (Poisson model), or NULL;
 *  work: tsct_integrate_workspace_size() bytes, not shared with a concurrent call.
 * Never allocates; thread-safe for distinct workspaces; frame and outputs must not overlap.
 * Errors: TSCT_ERR_VALUE (monitor, NULL pointers, a workspace too small). */
tsct_status tsct_integrate_execute(const tsct_integrate_plan *plan, const float *frame,
                                   double monitor, float *intensity, float *sigma, void *work,
                                   size_t work_size, tsct_error *err);

/* Integrate nframes frames stored one after the other (frames[f * npixels ...]) into
 * intensity[f * npt ...] and sigma (or NULL); monitors[f] (NULL: all 1). One workspace as for
 * tsct_integrate_execute. Same results as nframes calls of it. */
tsct_status tsct_integrate_execute_many(const tsct_integrate_plan *plan, int64_t nframes,
                                        const float *frames, const double *monitors,
                                        float *intensity, float *sigma, void *work,
                                        size_t work_size, tsct_error *err);

/* "no", "bbox", "full" <-> split; "mean", "trimmed", "sigma" names of filters. */
const char *tsct_integrate_split_name(tsct_integrate_split split);
tsct_status tsct_integrate_split_parse(const char *name, tsct_integrate_split *split,
                                       tsct_error *err);

/* Parse a filter specification: "mean", "trimmed:LO,HI" (percent, 0 <= LO <= HI <= 100;
 * "median" = trimmed:50,50), "sigma:THRES" or "sigma:THRES,ITER" into the filter fields of
 * params. Errors: TSCT_ERR_VALUE naming the specification. */
tsct_status tsct_integrate_filter_parse(const char *spec, tsct_integrate_params *params,
                                        tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_INTEGRATE_H */
