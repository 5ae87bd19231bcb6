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

/* ---- a stack of patterns: the scan table ---------------------------------------------------
 *
 * A CSV file saying which text pattern belongs where in a scan (tsct import --layout xy):
 *
 *   # comment lines and blank lines are skipped
 *   file,angle,translation,time,slice         the header: column names, any order,
 *   p_0000.xy,0,-0.5,0,0                      case-insensitive; file, angle and
 *   p_0001.xy,0,-0.4,0,0                      translation required, time and slice
 *   ...                                       optional, other columns ignored
 *
 * Fields are comma-separated and trimmed; numbers must be finite (units are the reader's
 * business); a relative file name is taken from the table's folder. Limits, checked before
 * memory is taken: TSCT_PATTERN_TABLE_ROWS_MAX rows, TSCT_PATTERN_TABLE_LINE_MAX bytes per
 * line. */

#define TSCT_PATTERN_TABLE_ROWS_MAX ((int64_t)1 << 24)
#define TSCT_PATTERN_TABLE_LINE_MAX 8192

typedef struct tsct_pattern_table {
    int64_t n;            /* rows (patterns), >= 1 */
    char **file;          /* [n] paths (relative names resolved against the table's folder) */
    double *angle;        /* [n] */
    double *translation;  /* [n] */
    double *time;         /* [n], or NULL without the column */
    double *slice;        /* [n], or NULL without the column */
} tsct_pattern_table;

/* Read a scan table into a new *out (free with tsct_pattern_table_destroy). Errors:
 * TSCT_ERR_NOT_FOUND, TSCT_ERR_IO, TSCT_ERR_FORMAT (no header or a required column missing,
 * a short row, a field that is not a finite number, no rows, limits passed; the message names
 * the line), TSCT_ERR_NOMEM. Thread-safe. */
tsct_status tsct_pattern_table_read(const char *path, tsct_pattern_table **out, tsct_error *err);

/* Free a table; NULL allowed. */
void tsct_pattern_table_destroy(tsct_pattern_table *t);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_PATTERN_H */
