/* tsct/geometry.h - per-pixel scattering geometry of a flat area detector, as pyFAI defines it.
 *
 * Given a tsct_poni (SI units) and a detector of rows x cols pixels, compute for every pixel
 * centre (and optionally every pixel corner):
 *
 *   positions  p1 = (i + 0.5) * pixel1 - poni1,  p2 = (j + 0.5) * pixel2 - poni2,  p3 = dist
 *              (i: row, along axis 1 / slow; j: column, along axis 2 / fast)
 *   lab frame  (t1, t2, t3) = R3(rot3) R2(rot2) R1(rot1) (p1, p2, p3), with pyFAI's rotation
 *              matrices (rot1, rot2 left-handed about axes 1 and 2, rot3 right-handed about
 *              the beam); t3 is along the beam
 *   2theta     = atan2(sqrt(t1^2 + t2^2), t3)                          [rad]
 *   chi        = atan2(t1, t2)                                          [rad, -pi..pi]
 *   q          = 4 pi sin(2theta / 2) / lambda                          [1/A or 1/nm]
 *   r          = sqrt(t1^2 + t2^2), distance of the pixel from the beam axis   [mm]
 *   solid angle (relative to the PONI) = cos^3(alpha),
 *              cos(alpha) = dist / sqrt(dist^2 + p1^2 + p2^2)
 *   polarization P = (1 + cos^2 2theta - f cos(2 (chi + offset)) (1 - cos^2 2theta)) / 2
 *              with f = (Ih - Iv) / (Ih + Iv); intensities are corrected by dividing by P.
 *
 * Precision: everything is computed in double. pyFAI's Geometry.center_array uses float64
 * positions (tsct agrees with it to 5e-16), but pyFAI 0.21's integrators bin its cached arrays
 * (qArray, twoThetaArray, chiArray, rArray), built from float32 pixel positions: request
 * TSCT_GEOM_PYFAI_F32 to reproduce those, so pixels on a bin edge land in the same bin as in
 * pyFAI (lib/integrate does). Its solid-angle and polarization arrays are stored as float32,
 * a relative difference of about 1e-7 that the tests bound.
 *
 * Only orientation 3 (pyFAI's default and the only one of pyFAI 0.21) is supported; others
 * give TSCT_ERR_UNSUPPORTED. Spline distortion and parallax are not modelled.
 *
 * Thread safety: all functions are reentrant; tsct_geometry_compute runs OpenMP over rows.
 */
#ifndef TSCT_GEOMETRY_H
#define TSCT_GEOMETRY_H

#include <stdint.h>

#include "tsct/poni.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Radial units of integration results (names as pyFAI's). */
typedef enum tsct_unit {
    TSCT_UNIT_Q_A = 0,    /* "q_A^-1"  : q in 1/A */
    TSCT_UNIT_Q_NM,       /* "q_nm^-1" : q in 1/nm */
    TSCT_UNIT_2TH_DEG,    /* "2th_deg" : 2theta in degrees */
    TSCT_UNIT_2TH_RAD,    /* "2th_rad" : 2theta in radians */
    TSCT_UNIT_R_MM,       /* "r_mm"    : radius on a detector normal to the beam, mm */
    TSCT_UNIT_COUNT_
} tsct_unit;

/* Parse a unit name ("q_A^-1", "q_nm^-1", "2th_deg", "2th_rad", "r_mm"; also "q_A-1" and
 * "q_nm-1"). Errors: TSCT_ERR_VALUE naming the accepted units. */
tsct_status tsct_unit_parse(const char *name, tsct_unit *unit, tsct_error *err);

/* The canonical name of a unit ("q_A^-1"), and its axis label ("q (1/A)"). */
const char *tsct_unit_name(tsct_unit unit);
const char *tsct_unit_label(tsct_unit unit);

/* Radial value in `unit` of a point at lab position (t1, t2, t3) (m, t3 along the beam);
 * wavelength in m (needed for q). */
double tsct_unit_radial(tsct_unit unit, double t1, double t2, double t3, double wavelength);

/* Check a geometry: finite values, dist > 0, pixel sizes > 0, wavelength > 0 (if
 * need_wavelength), orientation 3. Errors name the offending key. */
tsct_status tsct_geometry_check(const tsct_poni *g, int need_wavelength, tsct_error *err);

/* Lab position (t1, t2, t3) in m of fractional pixel coordinates (d1 = row, d2 = column; the
 * centre of pixel (i, j) is d1 = i + 0.5, d2 = j + 0.5). 2theta = atan2(hypot(t1, t2), t3),
 * chi = atan2(t1, t2). */
void tsct_geometry_point(const tsct_poni *g, double d1, double d2, double t[3]);

/* The inverse of tsct_geometry_point: the fractional pixel coordinates (d1 = row, d2 =
 * column, as above) where the ray of scattering angle tth and azimuth chi (rad, chi as
 * defined above) meets the detector plane: the lab direction (sin tth sin chi, sin tth cos chi,
 * cos tth) rotated back by the transpose of pyFAI's rotation and scaled to reach the plane at
 * distance dist. Returns 1 and sets *d1, *d2 when the ray meets the plane in front of the
 * sample, 0 otherwise (then *d1 and *d2 are NaN). The point need not lie on the detector. */
int tsct_geometry_pixel_of(const tsct_poni *g, double tth, double chi, double *d1, double *d2);

/* 2theta (rad) of n points at fractional pixel coordinates d1[n], d2[n] (as
 * tsct_geometry_point: the rotation is computed once), into tth[n]. Reentrant; no threads. */
void tsct_geometry_tth_points(const tsct_poni *g, int64_t n, const double *d1, const double *d2,
                              double *tth);

/* tsct_geometry_tth_points with the derivatives of each 2theta with respect to the geometry:
 * grad[i * 6 + j] = d 2theta_i / d q_j for q = (dist, poni1, poni2, rot1, rot2, rot3) (rad per m,
 * rad per rad; the one for rot3 is 0 up to rounding: a rotation about the beam leaves 2theta
 * unchanged). Analytic: 2theta = atan2(rho, t3), rho = hypot(t1, t2), t = R (p1, p2, dist)
 * with p1 = d1 pixel1 - poni1, p2 = d2 pixel2 - poni2 and dR/drot from pyFAI's factors. */
void tsct_geometry_tth_gradient(const tsct_poni *g, int64_t n, const double *d1,
                                const double *d2, double *tth, double *grad);

/* Which per-pixel arrays tsct_geometry_compute fills. */
enum {
    TSCT_GEOM_RADIAL = 1u << 0,     /* radial value in the requested unit at centres */
    TSCT_GEOM_CHI = 1u << 1,        /* chi at centres, rad */
    TSCT_GEOM_TTH = 1u << 2,        /* 2theta at centres, rad (for polarization) */
    TSCT_GEOM_SOLID_ANGLE = 1u << 3,/* cos^3(alpha) at centres */
    TSCT_GEOM_CORNERS = 1u << 4,    /* radial and chi at the (rows+1) x (cols+1) corners */
    /* Centre arrays from pixel positions rounded to float32 as pyFAI 0.21's cached arrays
     * (qArray, twoThetaArray, chiArray, rArray: numpy.fromfunction with float32 indices, so
     * p1 = f32(f32(f32(pixel1) * f32(i + 0.5)) - f32(poni1)), likewise p2), which are what its
     * integrators bin. Near the beam centre this moves q by up to ~1e-4 relative; without it
     * pixels on a bin edge could fall in the neighbouring bin. */
    TSCT_GEOM_PYFAI_F32 = 1u << 5,
};

/* Per-pixel arrays; each pointer is NULL unless requested. Centre arrays are [rows][cols],
 * corner arrays [rows + 1][cols + 1]; all float64, C order, owned by the struct. */
typedef struct tsct_geometry_arrays {
    int64_t rows, cols;
    tsct_unit unit;         /* of radial and corner_radial */
    double *radial;
    double *chi;
    double *tth;
    double *solid_angle;
    double *corner_radial;
    double *corner_chi;
} tsct_geometry_arrays;

/* Compute the requested arrays (a mask of TSCT_GEOM_* bits) for a rows x cols detector with
 * `nthreads` OpenMP threads (0 = all cores). Errors: those of tsct_geometry_check (the
 * wavelength is needed for q units), TSCT_ERR_SHAPE (rows or cols < 1, or too large),
 * TSCT_ERR_NOMEM. On error *out is NULL. */
tsct_status tsct_geometry_compute(const tsct_poni *g, int64_t rows, int64_t cols, tsct_unit unit,
                                  unsigned what, int nthreads, tsct_geometry_arrays **out,
                                  tsct_error *err);

/* Free the arrays. NULL allowed. */
void tsct_geometry_arrays_destroy(tsct_geometry_arrays *a);

/* Polarization factor P of one pixel (see above); divide intensities by it. */
double tsct_geometry_polarization(double tth, double chi, double factor, double axis_offset);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_GEOMETRY_H */
