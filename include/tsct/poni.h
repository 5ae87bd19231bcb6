/* tsct/poni.h - detector geometry in pyFAI's PONI convention.
 *
 * The point of normal incidence (PONI) description used by pyFAI and every tool built on it:
 * sample-detector distance along the normal, the PONI position on the detector, three
 * rotations and the wavelength. Units are SI: metres and radians. Axis 1 is the slow axis
 * (detector rows), axis 2 the fast axis (columns); pixel centres lie at (i + 0.5) * pixel.
 *
 * This header holds the value type that the container stores in /entry/geometry; reading
 * and writing .poni files and the per-pixel geometry live with the integration code.
 */
#ifndef TSCT_PONI_H
#define TSCT_PONI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsct_poni {
    char detector[64];    /* pyFAI detector name ("Pilatus2M", "Detector" for generic) */
    double pixel1;        /* pixel size along axis 1 (rows), m */
    double pixel2;        /* pixel size along axis 2 (columns), m */
    int64_t shape[2];     /* detector rows, columns; 0 if unknown */
    int orientation;      /* pyFAI 2.1 orientation 1..4; 3 is pyFAI's default */
    double dist;          /* sample to PONI along the detector normal, m */
    double poni1;         /* PONI along axis 1 from the detector origin, m */
    double poni2;         /* PONI along axis 2, m */
    double rot1, rot2, rot3;  /* rotations, rad (pyFAI definitions) */
    double wavelength;    /* m; 0 if unknown */
} tsct_poni;

#ifdef __cplusplus
}
#endif
#endif /* TSCT_PONI_H */
