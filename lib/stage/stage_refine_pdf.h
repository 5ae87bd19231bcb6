/* stage_refine_pdf.h - the real-space side of `tsct refine` (stage_refine_pdf.c), called from
 * stage_refine.c's configuration reading (not public). */
#ifndef TSCT_STAGE_REFINE_PDF_H
#define TSCT_STAGE_REFINE_PDF_H

#include <stddef.h>
#include <stdint.h>

#include "tsct/ini.h"
#include "tsct/refine.h"

/* [data] space = q (default) | r: *rspace 1 for r. Errors: TSCT_ERR_VALUE naming the line. */
tsct_status tsct__refine_pdf_space(const tsct_ini *ini, int *rspace, tsct_error *err);

/* The real-space keys of [SECTION] (a phase): cif = FILE or xyz = FILE (an .xyz cluster; not
 * both; path: the file resolved), radius = R (A, > 0: the CIF cut to a cluster) into
 * *radius (0 without). Errors: TSCT_ERR_VALUE naming the line. */
tsct_status tsct__refine_pdf_phase_keys(const tsct_ini *ini, const char *section,
                                        const char *path, double *radius, tsct_error *err);

/* The fit's G(r) from the data read as (x[n], y[n]) (r in A, G in 1/A^2): a .gr file
 * (file = 1: path names it; its fourth column dG, when every line has one, gives the weights)
 * or a region's PDF. [data] range = LO HI must lie within the data (else the whole data from
 * r > 0), rstep = DR resamples onto multiples of DR (linear interpolation), sigma = auto |
 * column | unit, qmax = Q (1/A; else the .gr header's qmax, else 0: no termination),
 * exclude = LO HI (repeatable: weight 0); a pattern's keys (x, wavelength, poni,
 * polarization) are errors. On
 * return x, y hold the fit's grid and *w (malloc'd) its weights 1 / sigma^2. Errors name the
 * configuration's line: TSCT_ERR_VALUE (a range outside the data, a step that leaves fewer
 * than 10 points, no dG column for sigma = column), TSCT_ERR_NOMEM. */
tsct_status tsct__refine_pdf_data(const tsct_ini *ini, const char *path, int file, double **x,
                                  double **y, double **w, int64_t *n, double *qmax,
                                  tsct_error *err);

/* parameters.csv: "name,value,esd", one row per refined parameter (esd empty where none:
 * on a limit or singular), then "Rw,VALUE,". Published atomically (tsct/publish.h). */
tsct_status tsct__refine_parameters_csv(const char *path, tsct_refine_model *m,
                                        const tsct_refine_result *res, tsct_error *err);

/* The outputs of a single-pattern refinement: output names a folder (an existing one, or
 * ending in '/': created) -> FOLDER/NAME-refined (NAME: the configuration's file name without
 * .cfg; -instrument with instrument) and FOLDER/parameters.csv; else output is the prefix
 * (NULL or "": the configuration without .cfg plus -refined / -instrument) and the table is
 * PREFIX-parameters.csv. Errors: TSCT_ERR_VALUE (a name too long), TSCT_ERR_IO (the folder
 * cannot be made). */
tsct_status tsct__refine_output_names(const char *config, const char *output, int instrument,
                                      char *prefix, size_t prefix_size, char *csv,
                                      size_t csv_size, tsct_error *err);

#endif
