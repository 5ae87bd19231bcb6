/* stage_internal.h - pieces shared by the stages of lib/stage (not public). */
#ifndef TSCT_STAGE_INTERNAL_H
#define TSCT_STAGE_INTERNAL_H

#include "tsct/stage.h"

/* A ring drawn over a detector frame: its 2theta (rad; NaN: not drawn) and colour (0 .. 1). */
typedef struct tsct__stage_ring {
    double tth;
    double rgb[3];
} tsct__stage_ring;

struct tsct_image;
struct tsct_figure_marks;
/* A detector frame's PNG (stage_calibrate.c): log10(counts + 1) of img binned to at most ~900
 * pixels a side with mask[rows][cols] (1: left out), the rings at g's geometry and the marks
 * (image pixels; may be NULL), axes in pixels. */
tsct_status tsct__stage_frame_png(const struct tsct_image *img, const uint8_t *mask,
                                  const tsct_poni *g, const tsct__stage_ring *rings,
                                  int64_t nrings, const struct tsct_figure_marks *marks,
                                  const char *title, const char *path, tsct_error *err);

/* The context of a stage call: ctx, or the defaults (TSCT_STAGE_CTX_DEFAULT) for NULL. */
const tsct_stage_ctx *tsct__stage_ctx(const tsct_stage_ctx *ctx);
/* The report of a stage call, zeroed: report, or local for NULL. */
tsct_stage_report *tsct__stage_report(tsct_stage_report *report, tsct_stage_report *local);

/* The end of a step of one unit (a stage that writes its results whole): with st, the status
 * so far, TSCT_OK, the unit is marked done and the step committed; the step is closed either
 * way. Returns the status. */
tsct_status tsct__stage_commit_whole(tsct_step *step, tsct_status st, tsct_error *err);

/* Find the centre of a profile [na][ns] as mode asks (value: TSCT_STAGE_CENTRE_FIXED's); logs both
 * methods for AUTO under the label what. *centre = -1 when no centring is wanted (NONE). */
tsct_status tsct__stage_find_centre(const tsct_stage_ctx *ctx, const char *what,
                                    tsct_stage_centre_mode mode, double value, const float *profile,
                                    int64_t na, int64_t ns, const double *th, double *centre,
                                    tsct_error *err);

/* A whole array from FILE.h5::/dataset, or from an image file (TIFF, EDF, ...) when spec has
 * no "::": *ndim axes in shape, the values as float in *data (malloc'd, the caller frees).
 * what names the array in messages. */
tsct_status tsct__stage_read_array(const char *spec, const char *what, int *ndim,
                                   int64_t *shape, float **data, tsct_error *err);

/* The component columns of `tsct map --unmix` (stage_unmix.c): k components named
 * names[k] with sources sources[k] (cif:FILE:SIZE_NM[:strain=PCT|strain=LO,HI][:grow=F],
 * nano:FILE:RADIUS_NM, broad:NAME, xy:FILE), on q[nq] (1/A) at the wavelength (A; needed for
 * cif and nano), CIFs looked up in data_dirs (NULL: the default folders). A cif component
 * with strain= or grow= becomes a group of lattice-scaled and resized variants. Returns
 * cols[ncols][nq] and group[ncols] (the component of each column, in order), both to free();
 * at most 64 - reserved columns (reserved: the background terms). describe[k] (or NULL)
 * receives "" or a note on the variants for provenance. Errors name the component:
 * TSCT_ERR_VALUE (syntax, ranges, too many columns), TSCT_ERR_NOT_FOUND (file, wavelength),
 * those of the CIF reader and pattern planners, TSCT_ERR_NOMEM. */
#define TSCT_UNMIX_SOURCE_MAX 1024
#define TSCT_UNMIX_DESCRIBE_MAX 160
tsct_status tsct__stage_unmix_components(const char *const *names, const char *const *sources,
                                      int k, const double *q, int64_t nq, double wavelength,
                                      const char *data_dirs, int reserved, float **cols,
                                      int **group, int *ncols,
                                      char (*describe)[TSCT_UNMIX_DESCRIBE_MAX], tsct_error *err);
/* The threshold of the values v[n] (NaN ignored by the rules) under rule th. */
/* Open /entry/maps/NAME (its path into dset[size]) and check that it is [nt][nz][ny][nx]
 * (shape[0..3]); path names the container in errors. Errors: TSCT_ERR_NOT_FOUND "no such map",
 * TSCT_ERR_SHAPE, the container's. On error *d is NULL. */
tsct_status tsct__stage_map_open(tsct_container *c, const char *path, const char *name,
                                 char *dset, size_t size, tsct_dataset **d, int64_t *shape,
                                 tsct_error *err);

tsct_status tsct__stage_threshold(const tsct_stage_threshold *th, const float *v, int64_t n,
                                  double *thr, tsct_error *err);
/* TSCT_ERR_VALUE for a rule out of range or values it cannot use. */
tsct_status tsct__stage_threshold_check(const tsct_stage_threshold *th, tsct_error *err);
/* The rule as the commands take it, for provenance: "otsu", "abs:V", "pct:P" or "pct:P:F"
 * (tsct coverage); with short_form, F x the 99.5th percentile is "F" (tsct region and tsct
 * particles). */
const char *tsct__stage_threshold_text(const tsct_stage_threshold *th, int short_form,
                                       char *buf, size_t size);

/* The end of a stage that ran: the report's counts and its line (printf format), logged at
 * level. */
void tsct__stage_ran(const tsct_stage_ctx *ctx, tsct_stage_report *rep, int64_t units,
                     int64_t time_first, tsct_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* Make the output folder dir (one level; an existing folder is fine). Errors: TSCT_ERR_IO
 * naming dir and `what` (the option) when it cannot be made or is not a folder. */
tsct_status tsct__stage_output_dir(const char *dir, const char *what, tsct_error *err);

/* The text file of time step t of a series (a region's patterns, its PDFs):
 * "DIR/NAME_tNNNN.EXT". */
void tsct__stage_series_path(char *buf, size_t size, const char *dir, const char *name,
                             int64_t t, const char *ext);

/* Before a stage writes anything: the folder dir made (option -o) and the files of time steps
 * 0 .. nt-1 allowed by the write rule of tsct/publish.h, so a refused file leaves no half
 * result behind (the container's part written, the files not). */
tsct_status tsct__stage_series_check(const char *dir, const char *name, const char *ext,
                                     int64_t nt, tsct_error *err);

/* The option layer's shared refusal (stage_options.c): TSCT_ERR_VALUE, item "--KEY". */
tsct_status tsct__stage_refuse(tsct_error *err, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The option tables, setters and checks of the stages whose options live in their own files
 * (stage_options_pdf.c, stage_options_figure.c), for stage_options.c's table. */
extern const tsct_stage_option tsct__stage_pdf_options[];
tsct_status tsct__stage_pdf_set(void *params, const char *key, const char *value,
                                tsct_error *err);
tsct_status tsct__stage_pdf_check(const tsct_stage_pdf_setup *s, tsct_error *err);
extern const tsct_stage_option tsct__stage_figure_options[];
tsct_status tsct__stage_figure_set(void *params, const char *key, const char *value,
                                   tsct_error *err);
tsct_status tsct__stage_figure_check(const tsct_stage_figure_params *p, tsct_error *err);
/* stage_options_powder.c: the pattern and debye stages (tsct/stage_powder.h). */
extern const tsct_stage_option tsct__stage_pattern_options[];
tsct_status tsct__stage_pattern_set(void *params, const char *key, const char *value,
                                    tsct_error *err);
tsct_status tsct__stage_pattern_check(const tsct_stage_pattern_params *p, tsct_error *err);
extern const tsct_stage_option tsct__stage_debye_options[];
tsct_status tsct__stage_debye_set(void *params, const char *key, const char *value,
                                  tsct_error *err);
tsct_status tsct__stage_debye_check(const tsct_stage_debye_params *p, tsct_error *err);
/* stage_options_edxrd.c: the edxrd stage and its figures (tsct/stage_edxrd.h). */
extern const tsct_stage_option tsct__stage_edxrd_options[];
tsct_status tsct__stage_edxrd_set(void *params, const char *key, const char *value,
                                  tsct_error *err);
tsct_status tsct__stage_edxrd_check(const tsct_stage_edxrd_params *p, tsct_error *err);
extern const tsct_stage_option tsct__stage_edxrd_figure_options[];
tsct_status tsct__stage_edxrd_figure_set(void *params, const char *key, const char *value,
                                         tsct_error *err);
tsct_status tsct__stage_edxrd_figure_check(const tsct_stage_edxrd_figure_params *p,
                                           tsct_error *err);

/* The points of the grid x0, x0 + step, ... up to x1, the last one clamped to x1 (stage_powder.c,
 * the pattern and debye stages): returns their count (a double: the checks refuse too many
 * before anything is allocated), and fills x[count] when x is not NULL. */
double tsct__stage_grid(double x0, double x1, double step, double *x);
/* The pattern stage's grid: from *x0 to *x1 in the axis' unit by *step (the default step for
 * p->step 0); returns the wavelength (A). p's wavelength or energy must be set. */
double tsct__stage_pattern_grid(const tsct_stage_pattern_params *p, double *x0, double *x1,
                                double *step);
/* The figure kinds' words, index = tsct_stage_figure_kind, NULL-terminated. */
extern const char *const tsct__stage_figure_kinds[];

#endif
