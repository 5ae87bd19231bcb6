/* tsct/sim_edxrd.h - simulated energy-dispersive diffraction: a germanium detector's spectra
 * of a white beam, and the `v2o5` preset (depth-resolved operando EDXRD of a V2O5 electrode
 * inside a steel coin cell) with its ground truth.
 *
 * The detector (tsct_sim_edxrd_detector): a peak at energy E is a Gaussian of FWHM
 *     w(E) = sqrt(noise^2 + 2.3548^2 F eps E + (rel E)^2)
 * (electronic noise, Fano statistics of F with eps keV per electron-hole pair, and the angular
 * spread of the collimators, dE / E = cot(theta) dtheta), integrated over each channel's
 * energy span; a fraction esc(E) = escape (20 / E)^2 of it leaves a Ge K escape peak at
 * E - 9.886 keV (K alpha, 87 %) and E - 10.982 keV (K beta, 13 %).
 *
 * The beam and the cell: the incident spectrum (a smooth white-beam shape between emin and
 * emax with soft edges, tsct_sim_edxrd_incident) times the transmission of the steel case
 * exp(-mu(E) t) with the mass attenuation of iron approximated by mu/rho = 0.14 + 2.3e5 E^-3
 * cm^2/g (E in keV; within 6 % of NIST XCOM at 60, 100 and 150 keV), density 7.87 g/cm^3.
 *
 * Thread safety: reentrant.
 */
#ifndef TSCT_SIM_EDXRD_H
#define TSCT_SIM_EDXRD_H

#include <stdint.h>

#include "tsct/edxrd.h"
#include "tsct/simulate.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsct_sim_edxrd_detector {
    double noise_kev;    /* electronic noise, FWHM keV */
    double fano;         /* Fano factor of Ge */
    double pair_kev;     /* energy per electron-hole pair, keV */
    double rel;          /* relative FWHM from the angular spread */
    double escape;       /* escape fraction at 20 keV */
} tsct_sim_edxrd_detector;

#define TSCT_SIM_EDXRD_DETECTOR_DEFAULT {0.15, 0.11, 2.96e-3, 0.003, 0.05}

/* FWHM (keV) of a peak at E keV. */
double tsct_sim_edxrd_fwhm(const tsct_sim_edxrd_detector *det, double e_kev);

/* Add a peak of `area` counts at E keV (and its escape peaks) to spectrum[nchan] through the
 * calibration cal (channel c spans c - 1/2 .. c + 1/2). */
void tsct_sim_edxrd_add_peak(const tsct_edxrd_calibration *cal,
                             const tsct_sim_edxrd_detector *det, double e_kev, double area,
                             double *spectrum, int64_t nchan);

/* Relative incident intensity at E keV of a white beam between emin and emax (soft edges of
 * 2 keV, falling as exp(-(E - emin) / 60 keV)); 0 far outside. */
double tsct_sim_edxrd_incident(double e_kev, double emin, double emax);
/* Transmission of t mm of steel at E keV. */
double tsct_sim_edxrd_steel(double e_kev, double t_mm);

/* A calibrant's spectrum: the reflections of `calibrant` (a tsct/calibrant.h name or file,
 * intensity multiplicity x d^2 x incident x steel-free path) at cal's 2theta, the K lines of
 * `elements` (comma-separated, e.g. "Ce,Pb": fluorescence of the sample and the collimators'
 * lead; K alpha1 : alpha2 : beta1 = 100 : 54 : 20), on a continuum of `background` counts
 * per channel under the beam; scaled so the strongest reflection has `counts` counts; Poisson
 * noise when rng is not NULL. Into spectrum[nchan]. Errors: those of the calibrant,
 * TSCT_ERR_VALUE (an element without lines, parameters out of range). */
tsct_status tsct_sim_edxrd_calibrant(const tsct_edxrd_calibration *cal,
                                     const tsct_sim_edxrd_detector *det, const char *calibrant,
                                     const char *elements, double emin, double emax,
                                     double counts, double background, tsct_sim_rng *rng,
                                     double *spectrum, int64_t nchan, tsct_error *err);

/* ---- the v2o5 preset ----------------------------------------------------------------------
 * Seven layers of a V2O5 electrode, visited in turn, one spectrum every `interval_s`, over
 * `cycles` galvanostatic cycles of two half cycles of `half_cycle_h` hours each. The bulk
 * lithium content x of a layer follows the cell's (0 -> x_max on discharge, back to x_min on
 * charge) delayed by lag x layer x half cycle (layer 0 at the separator: lithium enters
 * there and the front moves into the electrode). Phases against x (discharge):
 *     x < 0.1          alpha-LixV2O5, c = 4.368 + 0.12 x
 *     0.1 .. 0.35      alpha (x = 0.1) + epsilon (x = 0.35)
 *     0.35 .. 0.7      epsilon, a solid solution: c = 4.46 .. 4.53
 *     0.7 .. 0.85      epsilon (x = 0.7) + epsilon' (c = 4.62)
 *     0.85 .. 1        epsilon' + delta (c = 2 x 4.955)
 * and back on charge except delta, which persists (its fraction never decreases). Every phase
 * is the V2O5 framework (data: V2O5_COD9012221.cif, Shklover et al. 1996) in the cell of the
 * phase (docs/edxrd.md cites the lattice parameters); delta's doubled c is taken as its
 * half-cell. Files written (beside the container EXP.h5, stem = EXP):
 *   EXP_spectra.h5   /entry/mca/data [nspec][nchan] counts, live_time, real_time (s), z (mm),
 *                    time (s, the middle of each acquisition) [nspec]; /entry/incident/data
 *                    [nchan] (the measured incident spectrum through the empty cell)
 *   EXP_CeO2.mca     the calibrant (CeO2 with Ce and Pb K lines) in the Amptek text layout
 *   EXP_echem.csv    the voltage curve (time/s, Ewe/V, <I>/mA, capacity/mA.h)
 * and into EXP.h5 /ground_truth/edxrd: time [nt][nz] (s), x [nt][nz], fraction
 * [nt][nz][nphase], d001 [nt][nz][nphase] (A; NaN where the phase is absent; delta: its 002),
 * onset [nz][nphase] (s: the first time the phase's fraction reaches half its largest value in
 * the layer; NaN for alpha and for phases that never form), with attributes phases, tth,
 * calibration (the true polynomial); nt rounds of nz = layers spectra. */

typedef struct tsct_sim_edxrd_preset {
    int64_t layers;          /* 7 */
    double layer_mm;         /* spacing of the gauge volumes, mm (0.03) */
    double interval_s;       /* 40 */
    int64_t cycles;          /* 2 */
    double half_cycle_h;     /* 10 */
    double lag;              /* of a half cycle, per layer (0.03) */
    double x_max, x_min;     /* 0.95, 0.05 */
    int64_t nchan;           /* 4096 */
    tsct_edxrd_calibration cal; /* true channel -> energy and 2theta (2.29 degrees) */
    double emin, emax;       /* the beam, keV (50, 160) */
    double counts;           /* counts of alpha's (001) at full fraction */
    double background;       /* continuum counts per channel at the beam's peak */
    double dead;             /* dead-time fraction */
    double steel_mm;         /* the case, mm crossed in and out */
    tsct_sim_edxrd_detector det;
    double series_interval_s; /* the angle-dispersive series: one pattern per 900 s */
    int64_t series_nq;        /* its points (1800) */
} tsct_sim_edxrd_preset;

#define TSCT_SIM_EDXRD_NPHASE 4 /* alpha, epsilon, epsilon', delta */

/* The v2o5 preset's values. */
void tsct_sim_edxrd_preset_v2o5(tsct_sim_edxrd_preset *p);

/* Override one value: layers, interval, cycles, hours, lag, nchan, counts, background, dead,
 * steel, series_interval (s), series_nq. Errors: TSCT_ERR_NOT_FOUND (unknown key, listing
 * them), TSCT_ERR_VALUE. */
tsct_status tsct_sim_edxrd_set(tsct_sim_edxrd_preset *p, const char *key, const char *value,
                               tsct_error *err);

/* The true state of layer `layer` at time s (seconds from the start): x, the fractions
 * [TSCT_SIM_EDXRD_NPHASE] and each phase's c (A; delta's half-cell). Thread-safe. */
void tsct_sim_edxrd_state(const tsct_sim_edxrd_preset *p, int64_t layer, double s, double *x,
                          double *fraction, double *c);

/* Simulate the preset into the container `path` (ground truth) and the files beside it (see
 * above; data_dirs: where V2O5_COD9012221.cif is found, NULL: tsct_phase_default_dirs()).
 * Existing files are replaced. Errors: those of the CIF reader, the container, TSCT_ERR_IO. */
tsct_status tsct_sim_edxrd_run(const tsct_sim_edxrd_preset *p, const char *path,
                               const char *data_dirs, uint64_t seed, tsct_error *err);

/* The preset's angle-dispersive operando series into the container `path` (replaced; the
 * run above writes it beside EXP.h5 as EXP_series.h5): the bulk electrode's state
 * (tsct_sim_edxrd_state of layer 0, no lag) every p->series_interval_s over the cycling, one
 * pattern each of p->series_nq points, Q 0.9 .. 3.9 1/A at 0.2 A, the four phases as the
 * V2O5 framework (COD 9012221) at their cells through the refinement's model (tsct/refine.h;
 * instrument W = 4e-4 deg^2, the rest 0), scales K f / V^2, a sloped background of ~300
 * counts, Poisson counts (alpha's strongest peak 2e4 at full fraction). Writes
 * /entry/integrated/data and sigma [nt][1][1][1][nq], q (1/A), /entry/scan/time [nt] (s, each
 * pattern's middle), /entry/scan@wavelength (m), and the truth /ground_truth/series/lattice
 * [nt][4][3] (a, b, c of alpha, epsilon, epsilon', delta in A; NaN where the phase is
 * absent), fraction [nt][4] (of the V2O5 units), weight_fraction [nt][4] (Hill & Howard of
 * the model's scales), x [nt]; attribute phases. Errors: TSCT_ERR_VALUE (no pattern fits the
 * cycling), TSCT_ERR_NOT_FOUND (the CIF), those of the model and the container. */
tsct_status tsct_sim_edxrd_series(const tsct_sim_edxrd_preset *p, const char *path,
                                  const char *data_dirs, uint64_t seed, tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_SIM_EDXRD_H */
