/* tsct/calibrant.h - d-spacings of powder calibrants: the rings a detector calibration fits.
 *
 * A calibrant is a list of distinct d-spacings (Angstrom, decreasing), each with the Miller
 * indices of its first reflection and the multiplicity summed over the reflections that share
 * it (e.g. Si 333 and 511). It comes from
 *  - a built-in standard, by name (case-insensitive), from the certified cubic lattice
 *    parameter and the lattice's reflection conditions:
 *      CeO2                      NIST SRM 674b certificate, a = 5.411651 A (fluorite, F)
 *      LaB6_SRM660a / b / c      NIST SRM 660a, 660b, 660c certificates, a = 4.1569162,
 *                                4.15689, 4.156826 A (primitive cubic); "LaB6" = SRM 660c
 *      Si_SRM640, Si_SRM640a..e  NIST SRM 640, 640a..640e certificates, a = 5.43088,
 *                                5.430825, 5.4309403, 5.4311946, 5.431230, 5.431179 A
 *                                (diamond: h, k, l all odd, or all even with h + k + l = 4n);
 *                                "Si" = SRM 640c (as pyFAI's Si.D)
 *    the same values as pyFAI 0.21's calibrant files;
 *  - a pyFAI calibrant file (*.D): one d-spacing in Angstrom per line, the first number of the
 *    line; '#' starts a comment; repeated values are merged (pyFAI's files list the first
 *    twice);
 *  - a CIF (*.cif) through tsct/crystal.h: every reflection whose structure factor does not
 *    vanish.
 * Reflections closer than 1e-6 relative in d are one ring.
 *
 * Ownership: tsct_calibrant_create() allocates, tsct_calibrant_destroy() frees (NULL: no-op).
 * Thread safety: reentrant; a calibrant is read-only once made.
 */
#ifndef TSCT_CALIBRANT_H
#define TSCT_CALIBRANT_H

#include <stdint.h>

#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsct_calibrant_ring {
    double d;               /* Angstrom */
    int h, k, l;            /* first reflection of the ring (0 0 0 when read from a .D file) */
    int64_t multiplicity;   /* reflections in the ring (0 when unknown: .D files) */
} tsct_calibrant_ring;

typedef struct tsct_calibrant {
    char name[64];          /* built-in name, or the file name without its folder */
    char reference[128];    /* where the values come from ("NIST SRM 674b", the file) */
    double a;               /* cubic lattice parameter of a built-in standard, A; 0 otherwise */
    int64_t count;
    tsct_calibrant_ring *rings;  /* count rings, d decreasing */
} tsct_calibrant;

/* The calibrant `spec`: a built-in name (above), else a file: *.D read as pyFAI's calibrant
 * files, *.cif through tsct_crystal_read_cif(). Rings with d < dmin (A; 0 = keep all of a
 * file; a built-in standard needs dmin > 0) are left out. Errors: TSCT_ERR_VALUE (dmin not
 * finite or < 0, or 0 for a built-in), TSCT_ERR_NOT_FOUND (neither a known name nor a file;
 * the message lists the names), TSCT_ERR_FORMAT (a .D line that does not start with a positive
 * number, naming the line; a file without any d-spacing), those of the CIF reader,
 * TSCT_ERR_NOMEM. On error *out is NULL. */
tsct_status tsct_calibrant_create(const char *spec, double dmin, tsct_calibrant **out,
                                  tsct_error *err);

/* The built-in standard `name` with lattice parameter a (A) instead of the certified one
 * (a > 0), for strained or temperature-shifted standards. Errors as above. */
tsct_status tsct_calibrant_create_cubic(const char *name, double a, double dmin,
                                        tsct_calibrant **out, tsct_error *err);

void tsct_calibrant_destroy(tsct_calibrant *cal);

/* 2theta (rad) of a d-spacing (A) at wavelength lambda (A): 2 asin(lambda / 2d); NaN when
 * lambda > 2d (no such ring). */
double tsct_calibrant_tth(double d, double lambda);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_CALIBRANT_H */
