/* tsct/stage_core.h - the stage contract: context, report, the pieces every stage shares
 * (settings records, batches of finished units, the sample threshold) and the key / value
 * option layer.
 *
 * Part of the stage library: include "tsct/stage.h", which has the contract every stage
 * follows (params, context, report, errors, incremental runs, threads). */
#ifndef TSCT_STAGE_CORE_H
#define TSCT_STAGE_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tsct/container.h"
#include "tsct/log.h"
#include "tsct/mpi.h"
#include "tsct/progress.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- context and report -------------------------------------------------------------------- */

typedef struct tsct_stage_ctx {
    int nthreads;                        /* OpenMP threads; 0 = all cores */
    const tsct_log *log;                 /* messages (NULL: none) */
    const tsct_progress_sink *progress;  /* progress of long loops (NULL: none) */
    int incremental;                     /* 1: skip up-to-date stages and kept time steps */
    const char *command_line;            /* provenance: the request as the user made it */
    const tsct_mpi *mpi;                 /* ranks sharing the work (tsct/mpi.h); NULL: this
                                            process alone */
} tsct_stage_ctx;

#define TSCT_STAGE_CTX_DEFAULT {0, NULL, NULL, 0, "", NULL}

typedef struct tsct_stage_report {
    int ran;              /* 1: computed and committed; 0: up to date, nothing written */
    int64_t units;        /* units of work computed by this call (resumed ones excluded) */
    int64_t time_first;   /* first time step computed; earlier ones were kept (0: none kept) */
    char what[512];       /* one line: what was written where ("" when up to date) */
} tsct_stage_report;

/* ---- the shared pieces of every stage --------------------------------------------------------
 * Public so that a stage written outside the library (a plug-in, a Python prototype) records
 * the same way. */

/* A settings record: "key=value key=value ...", grown as needed (never truncated). Values are
 * written as given; a stage formats its numbers with %.17g or %lld so that a rerun with the
 * same settings gives the same record. The text is the fingerprint's settings part and is
 * stored in /entry/process/NAME "settings". */
typedef struct tsct_stage_settings {
    char *text;   /* NUL-terminated, malloc'd; "" before the first add */
    size_t len, cap;
    int failed;   /* 1 after an allocation failed (the record is then incomplete) */
} tsct_stage_settings;

void tsct_stage_settings_init(tsct_stage_settings *s);
void tsct_stage_settings_release(tsct_stage_settings *s);
/* Append " key=VALUE" (no leading space for the first), VALUE formatted by fmt. */
void tsct_stage_settings_add(tsct_stage_settings *s, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The fingerprint of a step: "container=ID inputs=STEP=END;... SETTINGS", the container's
 * identity, the end time of every step in records (NULL-terminated names of the steps whose
 * output this stage reads: a rewritten input changes it) and the settings. malloc'd, the
 * caller frees; NULL without memory. */
char *tsct_stage_fingerprint(tsct_container *c, const char *const *records,
                             const char *settings);

/* 1 when ctx is incremental and step name of c is complete with this fingerprint (logs
 * "up to date"); the stage then returns without work. */
int tsct_stage_up_to_date(const tsct_stage_ctx *ctx, tsct_container *c, const char *name,
                          const char *fingerprint);

/* Incremental runs: how many leading time steps of step name's output dataset `output` a run
 * with these settings may keep, given the time stamps of the datasets it reads (`inputs`,
 * NULL-terminated paths): tsct_step_reusable_time_steps, bounded by the output's time steps
 * and by nt (the inputs' time steps); 0 when the output has more than nt (the input shrank)
 * or the run is not incremental; nt means up to date. *stamps gets the inputs' stamps for
 * tsct_step_info.inputs (malloc'd, the caller frees; NULL without memory). A partial keep
 * appends " from=T" to *fingerprint (reallocated), so that only an interrupted run of the
 * same plan resumes. Logs what is kept. */
int64_t tsct_stage_keep_time_steps(const tsct_stage_ctx *ctx, tsct_container *c,
                                   const char *name, const char *settings,
                                   const char *const *inputs, const char *output, int64_t nt,
                                   char **stamps, char **fingerprint);

/* 1 when name is 1..max_len characters, each a letter, a digit or one of `also` (the names a
 * stage puts in container paths: fits "_" and 48, regions "_-." and 63); 0 otherwise. */
int tsct_stage_name_valid(const char *name, size_t max_len, const char *also);

/* The beam's wavelength in A recorded in the container: the detector geometry's, else the
 * attribute "wavelength" (m) of /entry/scan (the simulator's pattern level); 0 if neither. */
double tsct_stage_wavelength(tsct_container *c);

/* Finished units of a step, recorded in contiguous runs at most once a second (a per-unit
 * record costs a flush; a voxel stage finishes thousands of units a second). Caller memory,
 * zeroed to start; flush before the commit. */
typedef struct tsct_stage_batch {
    int64_t first, n;
    double last;
} tsct_stage_batch;

tsct_status tsct_stage_batch_add(tsct_step *step, tsct_stage_batch *b, int64_t unit,
                                 tsct_error *err);
tsct_status tsct_stage_batch_flush(tsct_step *step, tsct_stage_batch *b, tsct_error *err);

/* The sample: voxels whose pattern's total intensity (the sum over its channels) is at least
 * a fraction of the largest total in the volume (NaN totals are not sample).
 *
 * tsct_stage_max_total: the largest total of the volume [nt][nz][ny][nx][nq] of dataset d,
 * in one streaming pass (0 when no total is positive and finite). Errors: TSCT_ERR_SHAPE (d
 * not 5-D), TSCT_ERR_NOMEM, those of the reader.
 *
 * tsct_stage_sample_mask: mask[x] = 1 where the total of pattern x of row [nx][nq] is finite,
 * positive and >= cut (cut = fraction x the largest total), 0 elsewhere; returns the count.
 * Totals are summed in double in channel order, so a caller that rounds them to float
 * (a stored map) gets the same totals. Never fails; thread-safe. */
tsct_status tsct_stage_max_total(tsct_dataset *d, double *max_total, tsct_error *err);
int64_t tsct_stage_sample_mask(const float *row, int64_t nx, int64_t nq, double cut,
                               uint8_t *mask);

/* A threshold on a map's values, as the map stages (region, coverage, particles) take it:
 * Otsu's (256 bins), an absolute value, or a fraction of a percentile of the values. */
typedef enum {
    TSCT_STAGE_THRESHOLD_OTSU = 0,  /* Otsu's threshold of the values (tsct_maps_otsu) */
    TSCT_STAGE_THRESHOLD_ABSOLUTE,  /* value */
    TSCT_STAGE_THRESHOLD_PERCENTILE /* fraction x the percentile-th percentile (0-100) */
} tsct_stage_threshold_rule;

typedef struct tsct_stage_threshold {
    tsct_stage_threshold_rule rule;
    double value;       /* ABSOLUTE */
    double percentile;  /* PERCENTILE: 0-100 */
    double fraction;    /* PERCENTILE: > 0 */
} tsct_stage_threshold;

#define TSCT_STAGE_THRESHOLD_DEFAULT                                                               \
    {                                                                                              \
        TSCT_STAGE_THRESHOLD_OTSU, 0.0, 99.5, 1.0                                                  \
    }
/* F x the 99.5th percentile, the default of tsct region and tsct particles (F = 0.5) */
#define TSCT_STAGE_THRESHOLD_P995(F)                                                               \
    {                                                                                              \
        TSCT_STAGE_THRESHOLD_PERCENTILE, 0.0, 99.5, (F)                                            \
    }

/* ---- options: one key / value layer for every front end -------------------------------------
 * Each stage has a table of its options, named as the tsct program spells its long options
 * ("air-side", "radial-range"), and one setter that parses a value into the stage's params
 * struct with the checks and messages the program gives. The program's commands parse their
 * command lines through it and `tsct run` fills the params from its pipeline file through it
 * (docs/pipeline.md), so the two cannot drift; a third front end (Python, a GUI) gets the
 * same names, the same checks and the same messages.
 *
 *     tsct_stage_sinogram_params p = TSCT_STAGE_SINOGRAM_PARAMS_DEFAULT;
 *     st = tsct_stage_option_set(TSCT_STAGE_ID_SINOGRAM, &p, "air", "4", &err);
 *
 * Strings in params point into the values given (they must outlive the params). */

/* A whole decimal number / a finite number, the whole text, as the setters read values; 0 on
 * success, -1 otherwise (out untouched). */
int tsct_stage_parse_int64(const char *s, int64_t *out);
int tsct_stage_parse_double(const char *s, double *out);

/* The stages with an option table, and the params struct each one's setter takes. */
typedef enum tsct_stage_id {
    TSCT_STAGE_ID_INTEGRATE = 0, /* tsct_stage_integrate_scan_params (a scan) */
    TSCT_STAGE_ID_SINOGRAM,      /* tsct_stage_sinogram_params */
    TSCT_STAGE_ID_RECON,         /* tsct_stage_recon_params (a container's sinograms) */
    TSCT_STAGE_ID_REGION,        /* tsct_stage_region_params */
    TSCT_STAGE_ID_MAP,           /* tsct_stage_map_params; definitions: a tsct_stage_map_defs
                                    the caller created, to which definitions are added */
    TSCT_STAGE_ID_PARTICLES,     /* tsct_stage_particles_params */
    TSCT_STAGE_ID_COVERAGE,      /* tsct_stage_coverage_params */
    TSCT_STAGE_ID_ECHEM,         /* tsct_stage_echem_params */
    TSCT_STAGE_ID_FIT,           /* tsct_stage_fit_voxels_params; model: a tsct_fit_model the
                                    caller made with tsct_fit_model_init(m, NAN, NAN) (no
                                    window yet), which window, peak and background change */
    TSCT_STAGE_ID_PDF,           /* tsct_stage_pdf_setup (tsct/stage_pdf.h) */
    TSCT_STAGE_ID_FIGURE,        /* tsct_stage_figure_params; kind and input are the caller's
                                    (positional on the command line) */
    TSCT_STAGE_ID_REFINE,        /* tsct_stage_refine_params (tsct/stage_refine.h) */
    TSCT_STAGE_ID_PATTERN,       /* tsct_stage_pattern_params (tsct/stage_powder.h); cif is the
                                    caller's (positional on the command line) */
    TSCT_STAGE_ID_DEBYE,         /* tsct_stage_debye_params (tsct/stage_powder.h); cif as for
                                    PATTERN */
    TSCT_STAGE_ID_EDXRD,         /* tsct_stage_edxrd_params (tsct/stage_edxrd.h); the spectra
                                    and the container are the caller's */
    TSCT_STAGE_ID_EDXRD_FIGURE,  /* tsct_stage_edxrd_figure_params; kind and input are the
                                    caller's */
    TSCT_STAGE_ID_COUNT
} tsct_stage_id;

typedef enum tsct_stage_option_kind {
    TSCT_STAGE_OPTION_FLAG = 0, /* no value (NULL, "yes" or "true" set it) */
    TSCT_STAGE_OPTION_VALUE,    /* one value */
    TSCT_STAGE_OPTION_PAIR      /* two numbers, "A B" (on a command line: two arguments) */
} tsct_stage_option_kind;

typedef struct tsct_stage_option {
    const char *name;           /* the long option without dashes; NULL ends a table */
    char short_name;            /* the program's one-letter form, or 0 */
    tsct_stage_option_kind kind;
    int path;                   /* 1: the value is a file (a pipeline file resolves it against
                                   its folder) */
    int front;                  /* 1: a file the front end writes (a table's destination): not
                                   in the params, refused by tsct_stage_option_set */
    const char *help;           /* one line: the value and its meaning */
} tsct_stage_option;

/* The stage's table (NULL for an id out of range). */
const tsct_stage_option *tsct_stage_options(tsct_stage_id stage);
/* The stage's name as the program spells it ("sinogram"; "" out of range). */
const char *tsct_stage_id_name(tsct_stage_id stage);
/* The option named key in the stage's table, or NULL. */
const tsct_stage_option *tsct_stage_option_find(tsct_stage_id stage, const char *key);

/* Parse value into params (the struct of the stage, see tsct_stage_id). Errors:
 * TSCT_ERR_VALUE with item "--KEY" and a detail naming the option, what it expects and the
 * value ("--air expects an integer 0..1152921504606846975, got 'x'"): an unknown key ("no
 * option --KEY"), a value out of range, a flag given a value other than yes / true, an option
 * repeated where it excludes another (--monitor-dataset and --monitor-header);
 * TSCT_ERR_UNSUPPORTED for a front end's option (front = 1). */
tsct_status tsct_stage_option_set(tsct_stage_id stage, void *params, const char *key,
                                  const char *value, tsct_error *err);

/* The rules between options, once every option is set: a region of exactly one kind, the map
 * of coverage and particles, at least one map definition, echem's file, mass and tomogram
 * times, a fit's window, peaks and name, a pattern's wavelength or energy, qmax, grid and
 * output, a Debye pattern's radius, grid and output, edxrd's calibration and range, an edxrd
 * figure's output and the fit and parameter of fronts. Errors: TSCT_ERR_VALUE naming the
 * options. */
tsct_status tsct_stage_options_check(tsct_stage_id stage, const void *params, tsct_error *err);

#ifdef __cplusplus
}
#endif

#endif /* TSCT_STAGE_CORE_H */
