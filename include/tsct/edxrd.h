/* tsct/edxrd.h - energy-dispersive diffraction: multichannel-analyser spectra, their energy
 * calibration, and the conversion of a spectrum at a fixed scattering angle to d or q.
 *
 * In energy-dispersive XRD (EDXRD) a white beam falls on the sample and an energy-resolving
 * point detector (germanium) at a fixed angle 2theta records a spectrum: counts in each
 * channel of a multichannel analyser (MCA). A reflection of spacing d appears at the energy
 * E = hc / (2 d sin theta) (Bragg's law with lambda = hc / E), so with the channel -> energy
 * calibration and 2theta known, channel c has
 *     E(c) = coef[0] + coef[1] c + coef[2] c^2 + coef[3] c^3      keV, c = 0, 1, ... (the
 *                                                                 channel's centre)
 *     d = TSCT_HC_KEV_ANGSTROM / (2 E sin(2theta / 2))            Angstrom
 *     q = 2 pi / d = 4 pi E sin(2theta / 2) / hc                  1/Angstrom
 * (tsct/powder.h's hc, CODATA 2018). Channel c spans c - 1/2 .. c + 1/2.
 *
 * Reading. A spectrum source is a series of spectra of one length with, per spectrum, the
 * live time and real time (s; the dead-time correction divides counts by the live time), the
 * layer position z (mm) and the time stamp (s). It comes from
 *  - text files, one spectrum each: one column of counts, or two columns (channel or energy,
 *    counts; the first column is read and kept), '#' starting a comment. Header lines
 *    "# KEY VALUE" / "# KEY: VALUE" / "# KEY = VALUE" (keys case-insensitive: live_time,
 *    real_time, z, time) give the per-spectrum values; the Amptek MCA layout ("<<PMCA
 *    SPECTRUM>>", "LIVE_TIME - 9.8", "REAL_TIME - 10", counts between "<<DATA>>" and
 *    "<<END>>") is read too;
 *  - an HDF5 / NeXus file, "FILE.h5::/group/data": data [nspec][nchan] (or [nchan], one
 *    spectrum) of any integer or float type, and in the same group the optional datasets
 *    live_time, real_time, z, time, each [nspec] (absent: NaN).
 * The source reads one spectrum at a time (a series need not fit in memory).
 *
 * Calibration (tsct_edxrd_calibrate): peaks of known energy (fluorescence lines) and the
 * reflections of a calibrant of known d at the unknown 2theta are located by least-squares
 * fits of Gaussians on a linear background around their predicted channels (overlapping peaks
 * are fitted together), then the polynomial and 2theta are fitted to the peak channels:
 * E(c_line) = E_line, E(c_hkl) = hc / (2 d_hkl sin theta). Lines fix the energy scale,
 * reflections then fix 2theta; with reflections alone 2theta must be held at its known value
 * (the scale and sin theta are otherwise one unknown).
 *
 * Normalisation: the incident spectrum's shape and the energy-dependent absorption of the
 * case and the electrode divide out either with a measured incident spectrum or with a smooth
 * curve fitted to the spectrum's lower envelope (tsct_edxrd_smooth_fit).
 *
 * Thread safety: reentrant; a source is used by one thread at a time.
 */
#ifndef TSCT_EDXRD_H
#define TSCT_EDXRD_H

#include <stdint.h>

#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits checked before memory is taken: channels of a spectrum, spectra of a series, lines
 * of a text spectrum (comments included). */
#define TSCT_EDXRD_CHANNELS_MAX ((int64_t)1 << 20)
#define TSCT_EDXRD_SPECTRA_MAX ((int64_t)1 << 28)
#define TSCT_EDXRD_TEXT_LINES_MAX ((int64_t)1 << 22)
#define TSCT_EDXRD_DEGREE_MAX 3
#define TSCT_EDXRD_PEAKS_MAX 64

/* ---- conversions ------------------------------------------------------------------------ */

/* d (A) of energy E (keV) at 2theta tth_deg (degrees): hc / (2 E sin(tth/2)); NaN for E <= 0
 * or tth outside (0, 180). */
double tsct_edxrd_d(double energy_kev, double tth_deg);
/* q (1/A) = 4 pi E sin(tth/2) / hc. */
double tsct_edxrd_q(double energy_kev, double tth_deg);
/* E (keV) of d (A) at 2theta: hc / (2 d sin(tth/2)); NaN for d <= 0. */
double tsct_edxrd_energy_of_d(double d, double tth_deg);

/* ---- spectra -------------------------------------------------------------------------- */

typedef struct tsct_edxrd_source tsct_edxrd_source;

/* Open a source: n specs, each a text file (one spectrum) or one "FILE.h5::/path" (a series;
 * then n = 1). Every spectrum must have the first one's channel count. Errors:
 * TSCT_ERR_NOT_FOUND / TSCT_ERR_IO (a file), TSCT_ERR_FORMAT (a line that is not numbers, no
 * counts, counts negative or not finite, naming the file and line), TSCT_ERR_SHAPE (a
 * spectrum of another length than the first, naming both; more than the limits; an HDF5
 * metadata dataset of another length than the spectra), TSCT_ERR_VALUE (n < 1, an HDF5 spec
 * among several), TSCT_ERR_NOMEM. On error *out is NULL. Text files are read once here for
 * their header and length, and again by tsct_edxrd_source_read. */
tsct_status tsct_edxrd_source_open(const char *const *specs, int64_t n, tsct_edxrd_source **out,
                                   tsct_error *err);
void tsct_edxrd_source_destroy(tsct_edxrd_source *src);

int64_t tsct_edxrd_source_count(const tsct_edxrd_source *src);    /* spectra */
int64_t tsct_edxrd_source_channels(const tsct_edxrd_source *src); /* channels */
/* Per-spectrum values, [count] each, owned by the source; NaN where not given. */
const double *tsct_edxrd_source_live_time(const tsct_edxrd_source *src);
const double *tsct_edxrd_source_real_time(const tsct_edxrd_source *src);
const double *tsct_edxrd_source_z(const tsct_edxrd_source *src);
const double *tsct_edxrd_source_time(const tsct_edxrd_source *src);
/* The first column of a two-column text spectrum (channel or energy, [channels]); NULL for
 * one column and HDF5. */
const double *tsct_edxrd_source_x(const tsct_edxrd_source *src);
/* The name of spectrum k for messages ("file" or "file::/path[k]"). */
const char *tsct_edxrd_source_name(const tsct_edxrd_source *src, int64_t k, char *buf,
                                   int64_t size);

/* Counts of spectrum k into counts[channels] (caller memory). Errors: TSCT_ERR_VALUE (k out
 * of range), those of the readers (a file changed since the open: another length is
 * TSCT_ERR_SHAPE). */
tsct_status tsct_edxrd_source_read(tsct_edxrd_source *src, int64_t k, double *counts,
                                   tsct_error *err);

/* ---- calibration ---------------------------------------------------------------------- */

typedef struct tsct_edxrd_calibration {
    int degree;                                 /* 1 .. TSCT_EDXRD_DEGREE_MAX */
    double coef[TSCT_EDXRD_DEGREE_MAX + 1];     /* keV per channel^k; unused ones 0 */
    double tth;                                 /* 2theta, degrees */
    double coef_esd[TSCT_EDXRD_DEGREE_MAX + 1]; /* ESDs of a fit (0: given, not fitted) */
    double tth_esd;
    double rms_kev;                             /* rms misfit of the peak energies (fit) */
} tsct_edxrd_calibration;

/* E (keV) at channel position c (fractional allowed). */
double tsct_edxrd_energy(const tsct_edxrd_calibration *cal, double channel);
/* The channel position of energy E (keV): the root of E(c) = E nearest the linear guess
 * (Newton); NaN where the polynomial does not reach E or is not increasing there. */
double tsct_edxrd_channel(const tsct_edxrd_calibration *cal, double energy_kev);
/* Errors: TSCT_ERR_VALUE (degree out of range, coefficients not finite, 2theta outside
 * (0, 180), or E(c) not increasing over channels 0 .. nchan - 1). */
tsct_status tsct_edxrd_calibration_check(const tsct_edxrd_calibration *cal, int64_t nchan,
                                         tsct_error *err);

/* A peak the calibration fits: a line of known energy or a reflection of known d. */
typedef struct tsct_edxrd_peak {
    double energy_kev;   /* a line: its energy; a reflection: 0 */
    double d;            /* a reflection: its d (A); a line: 0 */
    /* results */
    double channel;      /* fitted centre (channel), NaN when not found */
    double channel_esd;
    double fwhm;         /* channels */
    double area;         /* counts */
    int used;            /* 1: found and used by the fit */
} tsct_edxrd_peak;

typedef struct tsct_edxrd_calibrate_params {
    tsct_edxrd_calibration guess; /* degree, starting polynomial and 2theta */
    int refine_tth;       /* 1: fit 2theta (needs at least one line and one reflection),
                             starting from the angle within +- 5 % of the guess whose
                             predicted reflections hold the most counts */
    double fwhm_kev;      /* starting FWHM of the peaks, keV (> 0) */
    double window;        /* fitted window: +- window x FWHM around each peak (> 0.5) */
    double min_significance; /* a peak is used when its area / ESD >= this */
    double emin, emax;    /* keV: peaks outside are left out (emax 0: the spectrum's end) */
    int rounds;           /* locate peaks, fit, predict again: rounds >= 1 */
} tsct_edxrd_calibrate_params;

#define TSCT_EDXRD_CALIBRATE_PARAMS_DEFAULT                                                        \
    {                                                                                              \
        {1, {0, 0, 0, 0}, 0, {0, 0, 0, 0}, 0, 0}, 1, 0.5, 3.0, 10.0, 0.0, 0.0, 3                   \
    }

/* Calibrate from one spectrum counts[nchan] (counts, >= 0) with the peaks peaks[npeak]
 * (energy_kev or d set; their results are filled): out gets the polynomial of the guess's
 * degree, 2theta (fitted or the guess's), their ESDs (from the peaks' channel ESDs) and the rms
 * misfit. Errors: TSCT_ERR_VALUE (bad parameters, a guess that fails
 * tsct_edxrd_calibration_check, fewer peaks found than unknowns + 1, naming how many were
 * found of which kind; refine_tth without both kinds), TSCT_ERR_NOMEM. Thread-safe. */
tsct_status tsct_edxrd_calibrate(const double *counts, int64_t nchan,
                                 const tsct_edxrd_calibrate_params *params,
                                 tsct_edxrd_peak *peaks, int64_t npeak,
                                 tsct_edxrd_calibration *out, tsct_error *err);

/* Known fluorescence lines, keV (X-ray Data Booklet, LBNL 2009, table 1-2): element symbol
 * -> its K alpha1, K alpha2, K beta1 energies. Returns the number written to kev[3] (3), or 0
 * for an element not in the table (Ce, W, Pt, Au, Pb, Ge, Fe, Cu, Mo, Ag, Sn, Ba). */
int tsct_edxrd_lines(const char *element, double *kev);

/* ---- normalisation -------------------------------------------------------------------- */

/* A smooth curve under a spectrum: the polynomial of degree `degree` (0 .. 8) in the
 * energy's position within [x[0], x[n-1]] fitted by least squares to y[n], with points more
 * than `clip` standard deviations (sqrt(max(y, 1)) from counts, scaled by the misfit's) above
 * it left out and the fit repeated `rounds` times, so that peaks do not lift it; into
 * curve[n]. NaN inputs are left out. Errors: TSCT_ERR_VALUE (degree, n <= degree + 1, fewer
 * finite points than degree + 1), TSCT_ERR_NOMEM. Thread-safe. */
tsct_status tsct_edxrd_smooth_fit(const double *x, const double *y, int64_t n, int degree,
                                  double clip, int rounds, double *curve, tsct_error *err);

/* ---- rebinning onto d or q ------------------------------------------------------------- */

/* A spectrum's channel values v[nchan] (and variances var[nchan], or NULL) on the axis of bin
 * edges edges[nbin + 1] (increasing; d in A when axis_d, else q in 1/A): each channel spans
 * c - 1/2 .. c + 1/2, converted to d or q with cal; a bin gets the mean of the channels that
 * overlap it, weighted by the fraction w of each channel's span inside the bin,
 * out = sum w v / sum w, and var_out = sum w^2 var / (sum w)^2 (var_out may be NULL; NaN
 * without var). A value per channel stays a value per channel: the result does not depend on
 * the bin width. Bins no channel reaches, or touched by a NaN channel, are NaN. Errors:
 * TSCT_ERR_NOMEM (scratch of nbin). Thread-safe. */
tsct_status tsct_edxrd_rebin(const tsct_edxrd_calibration *cal, int axis_d, const double *v,
                             const double *var, int64_t nchan, const double *edges,
                             int64_t nbin, double *out, double *var_out, tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_EDXRD_H */
