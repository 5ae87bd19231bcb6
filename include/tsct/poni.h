/* tsct/poni.h - detector geometry in pyFAI's PONI convention.
 *
 * The point of normal incidence (PONI) description used by pyFAI and every tool built on it:
 * sample-detector distance along the normal, the PONI position on the detector, three
 * rotations and the wavelength. Units are SI: metres and radians. Axis 1 is the slow axis
 * (detector rows), axis 2 the fast axis (columns); pixel centres lie at (i + 0.5) * pixel.
 *
 * This header holds the value type that the container stores in /entry/geometry and the
 * reader and writer of pyFAI's .poni files (lib/io/poni.c); the per-pixel geometry lives with
 * the geometry code.
 *
 * PONI files (pyFAI, pyFAI/io/ponifile.py; format versions 1, 2 and 2.1):
 *
 *   # comment                        lines starting with '#' or without ':' are ignored
 *   poni_version: 2.1                absent = 1
 *   Detector: Pilatus2M              pyFAI detector name (class name or alias)
 *   Detector_config: {"pixel1": 0.000172, "pixel2": 0.000172, "max_shape": [1679, 1475],
 *                     "orientation": 3}          (JSON; versions 2 and 2.1)
 *   PixelSize1: 0.000172             (version 1; pixel sizes in m)
 *   Distance: 0.5439                 (m; "Dist" is accepted too)
 *   Poni1: ... Poni2: ...            (m)
 *   Rot1: ... Rot2: ... Rot3: ...    (rad)
 *   Wavelength: 1.746e-11            (m; optional)
 *
 * Keys are case-insensitive. Files that hold several calibration blocks are read as pyFAI
 * reads them: every "key: value" line goes into one dictionary, so the last value of each key
 * wins, whichever block it came from. The detector and pixel sizes then follow pyFAI's rules:
 *  - version 1: a known Detector name gives its pixel sizes and shape; PixelSize1/2, when
 *    both given, replace the pixel sizes (pyFAI's force_pixel detectors, which all known ones
 *    are); a file with pixel sizes and no Detector gives the generic "Detector" with shape
 *    unknown (0, 0);
 *  - versions 2 and 2.1: Detector names the detector and Detector_config may set pixel1,
 *    pixel2, max_shape and orientation; the generic "Detector" needs pixel1 and pixel2.
 * Known detectors (names, aliases, pixel sizes and shapes from pyFAI 0.21's detector classes):
 * Pilatus 100k/200k/300k/300kw/1M/2M/6M, Pilatus CdTe 300k/300kw/900kw/1M/2M, Eiger
 * 500k/1M/4M/9M/16M, Eiger2 and Eiger2 CdTe 500k/1M/4M/9M/16M, Perkin (Perkin Elmer),
 * Pixium (4700), Dexela 2923. Names match pyFAI's case-insensitively, ignoring spaces,
 * underscores and hyphens. The binned Perkin and Pixium shapes follow pyFAI: 2048 x 2048
 * at 200 um, 955 x 1240 at 308 um.
 */
#ifndef TSCT_PONI_H
#define TSCT_PONI_H

#include <stddef.h>
#include <stdint.h>

#include "tsct/status.h"

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

/* Defaults: detector "Detector", pixel sizes, geometry and wavelength 0, shape unknown (0, 0),
 * orientation 3. */
void tsct_poni_init(tsct_poni *poni);

/* Read a .poni file (see above) into *poni. Required: Distance (or Dist), Poni1, Poni2, Rot1,
 * Rot2, Rot3, and pixel sizes from the detector, PixelSize1/2 or Detector_config; Wavelength
 * is optional (0 when absent). Errors: TSCT_ERR_NOT_FOUND / TSCT_ERR_IO (file),
 * TSCT_ERR_FORMAT (a required key missing, naming the key and the file; a value that is not
 * a number; bad Detector_config JSON), TSCT_ERR_VALUE (non-finite or out-of-range values,
 * orientation outside 1..4), TSCT_ERR_UNSUPPORTED (unknown detector name, a spline file,
 * poni_version above 2.1). On error *poni is left initialised by tsct_poni_init(). */
tsct_status tsct_poni_read(tsct_poni *poni, const char *path, tsct_error *err);

/* Same, from `size` bytes of text (need not be NUL-terminated). Messages name no file (the
 * caller may add it with tsct_error_set_file()). This is the fuzzing entry point. */
tsct_status tsct_poni_parse(tsct_poni *poni, const char *text, size_t size, tsct_error *err);

/* Write poni as a PONI version 2.1 file that pyFAI (>= 2024.1) reads back to the same
 * doubles (shortest round-trip decimal form):
 *   poni_version: 2.1, Detector, Detector_config {pixel1, pixel2, max_shape (omitted for
 *   the binned Perkin and Pixium, null when unknown), orientation}, Distance, Poni1, Poni2,
 *   Rot1, Rot2, Rot3, Wavelength (omitted when 0).
 * The file is written under a temporary name and renamed into place (tsct/publish.h).
 * Errors: TSCT_ERR_VALUE (non-finite values, pixel sizes <= 0, an empty or multi-line
 * detector name), TSCT_ERR_IO. */
tsct_status tsct_poni_write(const tsct_poni *poni, const char *path, tsct_error *err);

/* The same as a PONI version 2 file, which every pyFAI since 0.20 reads (0.21 refuses 2.1):
 * "poni_version: 2" and no orientation in Detector_config, so poni->orientation must be 3
 * (pyFAI's only orientation before 2.1; TSCT_ERR_VALUE otherwise). */
tsct_status tsct_poni_write_v2(const tsct_poni *poni, const char *path, tsct_error *err);

/* The same with a note on the comment line that names the writer ("# Written by tsct: NOTE",
 * one line; TSCT_ERR_VALUE otherwise): what the geometry was made from, which a later run
 * reads back with tsct_poni_read_note to tell whether it is current. */
tsct_status tsct_poni_write_v2_noted(const tsct_poni *poni, const char *path, const char *note,
                                     tsct_error *err);

/* The note of a PONI written by tsct_poni_write_v2_noted into buf (cut to size - 1 bytes);
 * "" when the file has none. Returns 0, or -1 when the file cannot be read. */
int tsct_poni_read_note(const char *path, char *buf, size_t size);

/* A known detector: pyFAI class name, default pixel sizes (m) and shape (rows, columns). */
typedef struct tsct_poni_detector {
    const char *name;
    double pixel1, pixel2;
    int64_t shape[2];
    int64_t module[2];      /* module size (rows, columns); 0 for detectors without modules */
    int64_t gap[2];         /* gaps between modules (rows, columns) */
    int middle;             /* extra columns masked in each module's middle (CdTe Pilatus 3,
                               Eiger2 CdTe 2), starting middle_from columns before its centre */
    int middle_from;
} tsct_poni_detector;

/* Set (OR) the pixels a modular detector never measures, as pyFAI 0.21's calc_mask does:
 * the gaps between modules and, for CdTe Pilatus and Eiger2 CdTe, the middle columns of each
 * module. Only for an unbinned frame (rows x cols equal to the detector's shape); returns the
 * number of masked pixels in mask afterwards, 0 when nothing applies. */
int64_t tsct_poni_detector_mask(const tsct_poni_detector *d, int64_t rows, int64_t cols,
                                uint8_t *mask);

/* Look a detector name up (case-insensitive, spaces, underscores and hyphens ignored, aliases
 * accepted). Errors: TSCT_ERR_UNSUPPORTED naming the detector. "Detector" (generic) is found
 * with pixel sizes 0 and shape (0, 0). */
tsct_status tsct_poni_detector_find(const char *name, tsct_poni_detector *out, tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_PONI_H */
