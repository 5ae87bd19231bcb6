/* tsct/pattern.h - one-dimensional patterns in text files (.xy, .chi, .iq, .gr, .dat).
 *
 * A text pattern is a sequence of lines with at least two numbers (x, y, further columns
 * ignored). Header lines are skipped: comments ('#', '!', ';'), text, and lines with fewer
 * than two numbers (the point count of Fit2D .chi files), wherever they occur. A comment line
 * containing "start data" discards the numeric lines before it: PDFgetX3 and PDFgetX2 mark
 * the start of their data so, and PDFgetX2 headers hold rows of numbers that are settings.
 * This reads the files of pyFAI, Fit2D, Dioptas, GSAS-II, PDFgetX3 and PDFgetX2.
 *
 * Ownership: tsct_pattern_read_text() allocates *x and *y with malloc; free() them.
 * Thread-safe.
 */
#ifndef TSCT_PATTERN_H
#define TSCT_PATTERN_H

#include <stdint.h>

#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Read the first two numeric columns of a text pattern. Errors: TSCT_ERR_NOT_FOUND (no
 * file), TSCT_ERR_IO, TSCT_ERR_FORMAT (no data line, a non-finite value; the message gives
 * the line), TSCT_ERR_NOMEM. On error *x and *y are NULL and *n is 0. */
tsct_status tsct_pattern_read_text(const char *path, double **x, double **y, int64_t *n,
                                   tsct_error *err);

/* Write x[n], y[n] as a text pattern, published atomically (tsct/publish.h): header (lines
 * starting with '#', as PDFgetX3 writes its configuration), "#### start data", "#S 1",
 * "#L LABEL", then "x y" with 9 significant digits for every point with x <= xmax and a
 * finite y. Errors: those of the publication (TSCT_ERR_IO, TSCT_ERR_EXISTS, TSCT_ERR_VALUE
 * for an input named as output). */
tsct_status tsct_pattern_write_text(const char *path, const char *header, const char *label,
                                    const double *x, const double *y, int64_t n, double xmax,
                                    tsct_error *err);

/* Linear interpolation of (xs[n], ys[n]) (xs increasing) at x[m] into out[m]; points outside
 * [xs[0], xs[n-1]] give NaN. out may alias x. */
void tsct_pattern_interp(const double *xs, const double *ys, int64_t n, const double *x,
                         int64_t m, double *out);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_PATTERN_H */
