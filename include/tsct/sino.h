/* tsct/sino.h - sinogram processing before reconstruction: zigzag rows, air scatter,
 * normalisation, centre-of-mass jitter, centre of rotation, downsampling, bad channels,
 * zingers, and the absorption-CT helpers (flat / dark normalisation, -log).
 *
 * Arrays are the sinograms of tsct/tomo.h, float32, packed, channel axis last:
 *
 *   sinogram  [na][ns][nc]   angles (rows), translations (detector positions), channels
 *   profile   [na][ns]       one channel, or the sum over channels (tsct_sino_profile())
 *
 * Conventions follow nDTomo (antonyvam/nDTomo, nDTomo/tomo/tomo_utils.py; see docs/tomo.md),
 * transposed to tsct's axis order (nDTomo stores [ns][na][nc]):
 *  - air removal (`airrem`): the air pattern of channel c is the mean of the first and/or last
 *    `count` translation positions over all angles, subtracted from every position;
 *  - normalisation (`scalesinos`): each projection (angle) is divided by sf[a] = T[a] / max T,
 *    T[a] the total intensity of projection a over translations and channels;
 *  - centre-of-mass jitter (`sinocomcor`): every projection is shifted so that the centre of
 *    mass of its channel-summed profile equals that of the first projection (linear
 *    interpolation, 0 outside the measured positions);
 *  - centre of rotation: detector coordinate c (in bins, 0 = first position, sub-pixel) of the
 *    rotation axis. tsct_fbp / the projector put the axis at bin ns / 2 (integer division),
 *    so a sinogram is centred by resampling it so that c lands on bin ns_out / 2.
 *
 * All functions are reentrant; those with an nthreads argument run an OpenMP team of that
 * size (0 = all cores). None prints or allocates more than stated. Errors: TSCT_ERR_VALUE
 * (NULL pointer, bad parameter, NaN where a finite value is needed), TSCT_ERR_SHAPE (sizes),
 * TSCT_ERR_NOMEM; messages name the item and index.
 */
#ifndef TSCT_SINO_H
#define TSCT_SINO_H

#include <stddef.h>
#include <stdint.h>

#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- scan order ------------------------------------------------------------------------ */

/* Zigzag (snake) scans measure every other row backwards: reverse the translation order of
 * rows a with a % 2 == parity (parity 1: rows 1, 3, 5, ... were scanned backwards, the usual
 * case; 0: rows 0, 2, ...), in place. Applying it twice restores the input. */
tsct_status tsct_sino_zigzag(float *sino, int64_t na, int64_t ns, int64_t nc, int parity,
                             tsct_error *err);

/* ---- air scatter and normalisation ------------------------------------------------------ */

typedef enum tsct_sino_air_side {
    TSCT_SINO_AIR_BOTH = 0,  /* mean of the first and the last `count` positions (default) */
    TSCT_SINO_AIR_FIRST,     /* the first `count` positions only */
    TSCT_SINO_AIR_LAST       /* the last `count` positions only */
} tsct_sino_air_side;

/* The air pattern air[a][c] ([na][nc] doubles, caller memory):
 *   mean_first[a][c] = mean over s < count of sino[a][s][c], mean_last likewise over the last
 *   count positions; BOTH = (mean_first + mean_last) / 2.
 * per_angle = 0 (nDTomo's airrem): the value is then averaged over all angles, so every row of
 * air holds the same pattern; per_angle = 1 (nDTomo's older GUI airrem): each angle keeps its
 * own. Non-finite values are skipped (a position that is NaN in every row gives NaN).
 * Requirements: 1 <= count <= ns (2 count <= ns for BOTH). */
tsct_status tsct_sino_air_estimate(const float *sino, int64_t na, int64_t ns, int64_t nc,
                                   tsct_sino_air_side side, int64_t count, int per_angle,
                                   double *air, tsct_error *err);

/* sino[a][s][c] -= air[a][c] for every position s, in place. */
tsct_status tsct_sino_air_subtract(float *sino, int64_t na, int64_t ns, int64_t nc,
                                   const double *air, tsct_error *err);

/* Per-projection totals of a profile: total[a] = sum over s of profile[a][s] (non-finite
 * values skipped), and scale[a] = total[a] / max_a total (nDTomo's scalesinos factors).
 * Errors: TSCT_ERR_VALUE when the largest total is not > 0 (nothing to normalise by) or a
 * scale is not > 0, naming the angle. total may be NULL. */
tsct_status tsct_sino_scale_factors(const float *profile, int64_t na, int64_t ns,
                                    double *total, double *scale, tsct_error *err);

/* Divide every value of projection a by scale[a] (scale [na], all > 0), in place. */
tsct_status tsct_sino_scale_rows(float *sino, int64_t na, int64_t ns, int64_t nc,
                                 const double *scale, tsct_error *err);

/* Normalise by a monitor or transmission signal measured at every point: sino[a][s][c] *=
 * mean(monitor) / monitor[a * ns + s] (monitor [na][ns]; nmon = na * ns), or per projection
 * (monitor [na], nmon = na). Errors: TSCT_ERR_VALUE naming the first monitor value that is
 * not finite and > 0; TSCT_ERR_SHAPE if nmon is neither na nor na * ns. */
tsct_status tsct_sino_scale_monitor(float *sino, int64_t na, int64_t ns, int64_t nc,
                                    const float *monitor, int64_t nmon, tsct_error *err);

/* Correct for the beam's attenuation by the sample with its transmission measured at every
 * point (a diode in the beam stop over the incident monitor, 1 for an empty beam):
 * sino[a][s][c] /= diode[a * ns + s], diode [na][ns]. Unlike tsct_sino_scale_monitor nothing
 * is divided by the mean, so a sample that absorbs more at one time step than at another
 * keeps its scale. Exact where the diffracted beam leaves along nearly the incident path
 * (small angles at high energy: the whole path's transmission attenuates every voxel on it).
 * Errors: TSCT_ERR_VALUE naming the first value that is not finite and > 0. */
tsct_status tsct_sino_scale_transmission(float *sino, int64_t na, int64_t ns, int64_t nc,
                                         const float *diode, tsct_error *err);

/* ---- profiles, shifts, jitter and the centre of rotation -------------------------------- */

/* profile[a][s] = sum over channels of sino[a][s][c] (non-finite values skipped), or, with
 * skip != NULL, over the channels with skip[c] == 0. */
tsct_status tsct_sino_profile(const float *sino, int64_t na, int64_t ns, int64_t nc,
                              const uint8_t *skip, float *profile, tsct_error *err);

/* Resample every row along the translation axis by linear interpolation:
 *   out[a][j][c] = in[a] at coordinate origin[a] + j,  j = 0 .. ns_out - 1,
 * (numpy.interp with left = right = 0: coordinates outside [0, ns - 1] give 0).
 * in [na][ns][nc], out [na][ns_out][nc]; they must not overlap. origin [na] finite. */
tsct_status tsct_sino_resample(const float *in, int64_t na, int64_t ns, int64_t nc,
                               const double *origin, int64_t ns_out, float *out, int nthreads,
                               tsct_error *err);

/* Centre-of-mass jitter (nDTomo's sinocomcor): com[a] = sum_s s p[a][s] / sum_s p[a][s] of a
 * profile [na][ns]; shift[a] = com[a] - com[0], the origin to pass to tsct_sino_resample()
 * (ns_out = ns) to align every projection with the first. Errors: TSCT_ERR_VALUE naming an
 * angle whose profile sums to 0 or to a non-finite value. */
tsct_status tsct_sino_com_shifts(const float *profile, int64_t na, int64_t ns, double *shift,
                                 tsct_error *err);

typedef enum tsct_sino_centre_method {
    TSCT_SINO_CENTRE_PAIR = 0, /* mirror comparison of projections 180 degrees apart */
    TSCT_SINO_CENTRE_VO        /* Vo et al. 2014: Fourier double-wedge metric */
} tsct_sino_centre_method;

typedef struct tsct_sino_centre_params {
    tsct_sino_centre_method method; /* default TSCT_SINO_CENTRE_PAIR */
    double search_min;  /* candidate centres, detector bins; both 0 (default): [ns/4, 3ns/4] */
    double search_max;
    double vo_ratio;    /* Vo: object radius as a fraction of ns/2 (tomopy's ratio); 0.5 */
    int64_t vo_drop;    /* Vo: angular frequencies |n| <= drop are ignored; default 20,
                           at most ceil(0.05 * 2 na') as tomopy */
    int nthreads;       /* 0 = all cores */
} tsct_sino_centre_params;

#define TSCT_SINO_CENTRE_PARAMS_DEFAULT {TSCT_SINO_CENTRE_PAIR, 0.0, 0.0, 0.5, 20, 0}

typedef struct tsct_sino_centre_report {
    double centre;       /* the centre of rotation, detector bins (sub-pixel) */
    double metric;       /* the method's cost at the best candidate (smaller is better) */
    double mismatch_deg; /* PAIR: how far the pairs used are from exactly 180 degrees apart */
    int64_t npairs;      /* PAIR: projection pairs used; VO: rows of the 180-degree half */
} tsct_sino_centre_report;

/* Find the centre of rotation of a profile [na][ns] (one channel or the channel sum) measured
 * at angles_deg[na] (any order; over 180 or 360 degrees). Candidate centres c are searched at
 * steps of 1/2 bin (2c an integer, so mirrored projections need no interpolation) and the
 * minimum is refined to sub-pixel precision by a parabola through the best three:
 *  - PAIR: for the projection pairs (a, b) whose angles differ by the amount closest to 180
 *    degrees (mod 360; every pair achieving it), p_b mirrored about c should equal p_a:
 *    cost(c) = sum over pairs of the mean over overlapping positions of
 *    (p_a(x) - p_b(2c - x))^2;
 *  - VO: the projections of one 180-degree half (sorted by angle) stacked over their mirror
 *    images about c form a 360-degree sinogram whose 2-D Fourier transform vanishes outside
 *    the double wedge |n| <= 2 pi R |k| / W (Edholm's bow tie, R = vo_ratio ns / 2) when c is
 *    right; the metric is the mean |FFT| over the region outside the wedge (detector axis
 *    zero-padded to W = 2 ns). Vo, Drakopoulos, Atwood, Reinhard, Opt. Express 22 (2014)
 *    19078, as in tomopy's find_center_vo.
 * Uses FFTW (planned under the process-wide planner lock) for VO. Allocates its scratch.
 * Errors: TSCT_ERR_VALUE (NaN angle, bad parameter, no pair of distinct angles), TSCT_ERR_SHAPE
 * (ns < 8, na < 2, search range outside the detector), TSCT_ERR_NOMEM. */
tsct_status tsct_sino_centre_find(const float *profile, int64_t na, int64_t ns,
                                  const double *angles_deg,
                                  const tsct_sino_centre_params *params,
                                  tsct_sino_centre_report *report, tsct_error *err);

/* Width of a sinogram cropped symmetrically about centre c so that every output bin is
 * measured: 2 floor(min(c, ns - 1 - c)) + 1 (at least 1). */
int64_t tsct_sino_centre_crop_width(int64_t ns, double centre);

/* The resampling origin that puts centre c on bin ns_out / 2 (integer division):
 * c - ns_out / 2. Pass it (for every angle) to tsct_sino_resample(). */
double tsct_sino_centre_origin(double centre, int64_t ns_out);

/* ---- downsampling, bad channels, zingers ------------------------------------------------ */

/* Mean over fs consecutive translations and fc consecutive channels:
 * out[a][j][k] = mean of in[a][j fs .. j fs + fs - 1][k fc .. k fc + fc - 1], out of shape
 * [na][ns / fs][nc / fc] (trailing partial bins dropped). fs, fc >= 1. */
tsct_status tsct_sino_downsample(const float *in, int64_t na, int64_t ns, int64_t nc,
                                 int64_t fs, int64_t fc, float *out, tsct_error *err);

/* Find bad channels from per-channel statistics over a whole sinogram: total[c] (sum of the
 * finite values) and nonfinite[c] (count of NaN / inf values), [nc] each. Channel c is bad if
 * nonfinite[c] > 0 or |total[c] - m| > threshold * 1.4826 MAD, with m the median and MAD the
 * median absolute deviation of the totals of channels c - half .. c + half (clipped to the
 * array; half = 5). bad [nc] receives 1 / 0; *nbad the count (may be NULL). threshold > 0
 * (e.g. 8). A flat run of totals (MAD = 0) flags only values that differ from the median by
 * more than 1e-6 of its magnitude. */
tsct_status tsct_sino_bad_channels_find(const double *total, const int64_t *nonfinite,
                                        int64_t nc, double threshold, uint8_t *bad,
                                        int64_t *nbad, tsct_error *err);

/* Replace bad channels (bad[c] != 0) in every pattern by linear interpolation between the
 * nearest good channels on either side (the nearest good one at the ends). In place on
 * [npat][nc]. Errors: TSCT_ERR_VALUE if every channel is bad. */
tsct_status tsct_sino_bad_channels_fix(float *data, int64_t npat, int64_t nc,
                                       const uint8_t *bad, tsct_error *err);

/* Zinger (hot spot) filter, per channel, in place: with m the median of the 3 x 3
 * neighbourhood of (a, s) in the [na][ns] sinogram of a channel (clipped at the borders) and
 * r = v - m, a value is replaced by m if r > threshold * sigma, where sigma is the larger of
 * the channel's noise (1.4826 MAD of r over the whole channel) and the local spread (1.4826
 * times the median of |w - m| over the neighbourhood w, so the curvature of a sharp peak is
 * not mistaken for a zinger); sigma = 0: r > 1e-6 |m|. threshold > 0 (e.g. 10). *nfixed (may
 * be NULL) counts the replaced values. Allocates scratch of 3 na ns floats per thread. */
tsct_status tsct_sino_zingers(float *sino, int64_t na, int64_t ns, int64_t nc,
                              double threshold, int nthreads, int64_t *nfixed,
                              tsct_error *err);

/* ---- absorption CT ---------------------------------------------------------------------- */

/* Transmission from flat (open beam) and dark fields, in place on n values:
 *   t = (data - dark) / (flat - dark), flat and dark [n] (or dark NULL = 0).
 * Where flat - dark <= 0 the result is NaN and counted in *nbad (may be NULL). */
tsct_status tsct_sino_flat_dark(float *data, int64_t n, const float *flat, const float *dark,
                                int64_t *nbad, tsct_error *err);

/* data = -log(max(data, floor)), in place on n values (floor > 0, e.g. 1e-6: a value at or
 * below 0 is a dead or saturated reading; it is clamped and counted in *nclamped). */
tsct_status tsct_sino_neglog(float *data, int64_t n, double floor, int64_t *nclamped,
                             tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_SINO_H */
