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
/* The same, its chunks decompressed by nthreads threads (tsct_dataset_set_threads). */
tsct_status tsct__stage_read_array_mt(const char *spec, const char *what, int nthreads,
                                      int *ndim, int64_t *shape, float **data,
                                      tsct_error *err);

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
/* Open /entry/maps/NAME (or /entry/refine/REST for a NAME "refine/REST": the maps of a
 * per-voxel refinement) (its path into dset[size]) and check that it is [nt][nz][ny][nx]
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

/* Stage the voxel axes /entry/recon/y and x of an n x n image (stage_recon.c): the pitch is
 * the scan's translation step, mm when the translations are in mm, else steps. */
tsct_status tsct__stage_voxel_axes(tsct_container *c, tsct_step *step, int64_t n,
                                   tsct_error *err);

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
 * (stage_options_pdf.c, stage_options_figure.c, stage_options_refine.c), for the table of
 * stage_options.c. */
extern const tsct_stage_option tsct__stage_pdf_options[];
tsct_status tsct__stage_pdf_set(void *params, const char *key, const char *value,
                                tsct_error *err);
tsct_status tsct__stage_pdf_check(const tsct_stage_pdf_setup *s, tsct_error *err);
extern const tsct_stage_option tsct__stage_figure_options[];
tsct_status tsct__stage_figure_set(void *params, const char *key, const char *value,
                                   tsct_error *err);
tsct_status tsct__stage_figure_check(const tsct_stage_figure_params *p, tsct_error *err);
extern const tsct_stage_option tsct__stage_refine_options[];
tsct_status tsct__stage_refine_set(void *params, const char *key, const char *value,
                                   tsct_error *err);
tsct_status tsct__stage_refine_check(const tsct_stage_refine_params *p, tsct_error *err);
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

/* ---- units of a step over the ranks (stage_units.c; stage_mpi.c with MPI) -----------------
 * A step's loop as one call that every rank of ctx->mpi makes (one process: ctx->mpi NULL or
 * of one rank). compute(user, u, out, err) computes unit u's result into out (unit_bytes),
 * on any rank, from inputs every rank reads itself; write(user, u, out, err), on rank 0
 * only, writes it into the step's datasets. The loop marks each written unit done. */
typedef struct tsct__stage_units {
    int64_t nunits;     /* units of the step (rank 0's: broadcast to the others) */
    size_t unit_bytes;  /* bytes of one unit's result */
    tsct_status (*compute)(void *user, int64_t u, void *out, tsct_error *err);
    tsct_status (*write)(void *user, int64_t u, const void *out, tsct_error *err);
    void *user;
    int64_t shared[2];  /* rank 0's values, broadcast to the others before the first unit
                           (the first time step computed, ...) */
    int batched;        /* 1: units are recorded done in batches (tsct_stage_batch: voxel
                           rows, thousands a second); 0: each one as it is written */
} tsct__stage_units;

/* Record unit u written: at once, or in b's batch (w->batched; flushed by
 * tsct__stage_units_flush at the end). */
tsct_status tsct__stage_units_mark(tsct_step *step, const tsct__stage_units *w,
                                   tsct_stage_batch *b, int64_t u, tsct_error *err);
tsct_status tsct__stage_units_flush(tsct_step *step, tsct_stage_batch *b, tsct_error *err);

/* 1 on rank 0 of ctx (the rank that owns the container's steps), 0 on the others. */
int tsct__stage_root(const tsct_stage_ctx *ctx);

/* After each rank's own preparation (reading inputs, planning): the status st of the first
 * rank that failed, on every rank (its message in err, "rank K: ..."), or TSCT_OK when all
 * succeeded. Collective. */
tsct_status tsct__stage_agree(const tsct_stage_ctx *ctx, tsct_status st, tsct_error *err);

/* Run the units not yet done. On rank 0: step is the open step (NULL: nothing to compute,
 * the stage is up to date) and st the status so far (an error: nothing is computed, every
 * rank returns it); on the other ranks step is NULL and w->nunits, w->shared are received
 * (*run = 1 when there is work; run may be NULL). Units are dealt round robin over the
 * ranks in increasing order; rank 0 writes them in that order. A failure on any rank stops
 * the writes (the step keeps the units written) and comes back on rank 0 with its rank
 * named; the other ranks return TSCT_ERR_STATE "rank 0 failed" when rank 0 did. *computed
 * (may be NULL) gets the units written (rank 0) or computed (the others). Progress: rank 0
 * adds per_unit to progress (may be NULL) for every unit written. */
tsct_status tsct__stage_units_run(const tsct_stage_ctx *ctx, tsct_step *step,
                                  tsct__stage_units *w, tsct_status st, int *run,
                                  tsct_progress *progress, int64_t per_unit, int64_t *computed,
                                  tsct_error *err);

/* The MPI side of tsct__stage_units_run for more than one rank (stage_mpi.c): done[nunits]
 * (rank 0's record, may be NULL elsewhere) already agreed. */
tsct_status tsct__mpi_units(const tsct_mpi *m, tsct_step *step, const tsct__stage_units *w,
                            tsct_progress *progress, int64_t per_unit, int64_t *computed,
                            tsct_error *err);
/* Broadcast bytes from rank 0; the error of the lowest rank whose status is an error, sent
 * to all (collective). */
tsct_status tsct__mpi_bcast(const tsct_mpi *m, void *buf, size_t bytes, tsct_error *err);
tsct_status tsct__mpi_first_error(const tsct_mpi *m, tsct_status st, tsct_error *err);

#endif
