/* tsct/stage_pipeline.h - the pipeline file of tsct run: its sections into params, the
 * frames it describes.
 *
 * Part of the stage library: include "tsct/stage.h", which has the contract every stage
 * follows (params, context, report, errors, incremental runs, threads). */
#ifndef TSCT_STAGE_PIPELINE_H
#define TSCT_STAGE_PIPELINE_H

#include "tsct/stage_core.h"
#include "tsct/ini.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the pipeline file of tsct run ----------------------------------------------------------
 * An INI file (include/tsct/ini.h; docs/pipeline.md): [experiment] container = EXP.h5,
 * [frames] (or scan = scan.ini, the simulator's description) and one section per step. */

#define TSCT_STAGE_PATH_MAX 4096

/* The step sections a pipeline file may hold, in the order they run (NULL-terminated). */
extern const char *const tsct_stage_pipeline_sections[];

/* Every section and [experiment] / [frames] key known, every [frames] value of its kind
 * (numbers in range, yes/no, 180 or 360, formats, the frames pattern), enabled = yes/no,
 * [experiment] container present. Errors: TSCT_ERR_VALUE naming the file, line and key with
 * the allowed values. */
tsct_status tsct_stage_pipeline_check(const tsct_ini *cfg, tsct_error *err);

/* The simulator's scan.ini (or one written by hand): section [scan] only, its keys those of
 * [frames] plus format, frame_files and counts, each value of its kind. Errors as above. */
tsct_status tsct_stage_scan_ini_check(const tsct_ini *scan, tsct_error *err);

/* A path from cfg, relative to cfg's folder unless absolute (cut to size - 1 bytes). */
void tsct_stage_path_resolve(const tsct_ini *cfg, const char *value, char *buf, size_t size);

/* The value of key from cfg with the files named inside it resolved against cfg's folder
 * when they are there (otherwise as written: the stage searches its structure folders):
 * ticks = NAME=FILE[:COLOUR], unmix = NAME=KIND:FILE[:...] (cif, nano, xy); other keys and
 * values as written. */
void tsct_stage_path_resolve_embedded(const tsct_ini *cfg, const char *key, const char *value,
                                      char *buf, size_t size);

/* A step section into a stage's params. */

#define TSCT_STAGE_PIPELINE_FILES 4

/* What tsct_stage_pipeline_section keeps for the params it fills: the values the params
 * point into (resolved paths), and the files of the front end's options (front = 1, e.g. a
 * table's output). Caller memory, zeroed to start; released with
 * tsct_stage_pipeline_values_release after the stage call. */
typedef struct tsct_stage_pipeline_values {
    char **s;                                     /* private */
    int64_t n, cap;                               /* private */
    const char *file_name[TSCT_STAGE_PIPELINE_FILES]; /* option names ("output") */
    const char *file_path[TSCT_STAGE_PIPELINE_FILES]; /* their paths, resolved */
    int nfiles;
} tsct_stage_pipeline_values;

void tsct_stage_pipeline_values_release(tsct_stage_pipeline_values *values);
/* A copy of text kept with values (NULL without memory). */
const char *tsct_stage_pipeline_keep(tsct_stage_pipeline_values *values, const char *text);
/* The path of the front end's option name in values, or NULL. */
const char *tsct_stage_pipeline_file(const tsct_stage_pipeline_values *values, const char *name);
/* Append " WORD" to the command line `line` (cut at its size, as a command line is). */
void tsct_stage_line_add(char *line, size_t size, const char *word);

/* Fill params of stage (its struct, see tsct_stage_id) from the entries of [section] of cfg,
 * in order, through tsct_stage_option_set: each key is an option of the stage's table
 * (enabled is skipped); "no" / "false" leave the option out; "yes" / "true" set a flag; the
 * words of a value are resolved (path options against cfg's folder, files inside values by
 * tsct_stage_path_resolve_embedded) and given as one value ("0.8 4.5" for a pair); the files
 * of front-end options go to values. The equivalent command line's words (" --key value")
 * are appended to line. Errors: TSCT_ERR_VALUE naming the file, line, section and key (a key
 * that is not an option: "'tsct STAGE' has no option --KEY"; a value refused, with the
 * setter's message), the setter's other errors, TSCT_ERR_NOMEM. */
tsct_status tsct_stage_pipeline_section(const tsct_ini *cfg, const char *section,
                                        tsct_stage_id stage, void *params,
                                        tsct_stage_pipeline_values *values, char *line,
                                        size_t line_size, tsct_error *err);

/* The frames of an experiment: [frames] keys over those of the scan.ini it names (whose
 * paths are relative to the scan.ini). Strings as written ("" when absent), paths
 * resolved. */
typedef struct tsct_stage_frames {
    char pattern[TSCT_STAGE_PATH_MAX];  /* frames path with one time-step field (see below) */
    char dataset[256], monitor[256], monitor_header[64], transmission[256],
        transmission_header[64];
    char poni[TSCT_STAGE_PATH_MAX], mask[TSCT_STAGE_PATH_MAX], dark[TSCT_STAGE_PATH_MAX],
        flat[TSCT_STAGE_PATH_MAX];
    char slices[32], angles[32], angle_range[32], translations[32], translation_step[32],
        zigzag[8], npt[32], qmin[64], qmax[64], polarization[32];
    /* A calibrant frame in place of the PONI: poni is then where its calibration is written
     * (default calibration.poni beside the pipeline file); see tsct_stage_frames_calibrate. */
    char calibrant_image[TSCT_STAGE_PATH_MAX], calibrant[256], detector[64], wavelength[32],
        energy_kev[32], pixel_um[32];
    /* The time-step field of pattern: its offset (-1: none, one time step), its length in
     * the pattern, the printed width and whether it is zero-padded. */
    int64_t field_at, field_len;
    int width, zero;
} tsct_stage_frames;

/* Fill fd from cfg's [frames] (and its scan.ini, checked key by key too). Errors: a missing
 * frames / poni / angles / translations (TSCT_ERR_VALUE), a frames pattern that is not one
 * (TSCT_ERR_VALUE), a frames folder that does not exist (TSCT_ERR_NOT_FOUND), those of the
 * INI reader. */
tsct_status tsct_stage_frames_describe(const tsct_ini *cfg, tsct_stage_frames *fd,
                                       tsct_error *err);
/* With [frames] calibrant_image (and calibrant, detector, wavelength or energy_kev; the
 * frames' mask is the calibration's), the PONI fd->poni is made by tsct_stage_calibrate when
 * it does not exist or was made from another image or other settings (its note, see
 * tsct_poni_write_v2_noted, holds a hash of the image's path, size and time and the
 * settings); *ran says whether it ran. Without calibrant_image nothing happens. Errors: those
 * of tsct_stage_calibrate (the rings do not fit well: nothing written). */
tsct_status tsct_stage_frames_calibrate(const tsct_stage_frames *fd, const tsct_stage_ctx *ctx,
                                        int *ran, tsct_error *err);

/* The path of time step t's frame file or folder. */
void tsct_stage_frames_path(const tsct_stage_frames *fd, int64_t t, char *buf, size_t size);
/* Time steps whose frames exist, counted from 0 without gaps (a pattern without a time-step
 * field names one time step). */
int64_t tsct_stage_frames_available(const tsct_stage_frames *fd);

/* ---- tsct run: every step of a pipeline file -------------------------------------------------
 * The steps run in this order, each when its section is present (sinogram and recon also
 * without one): integrate (the [frames] time steps not yet in the container; first a
 * calibration when [frames] names a calibrant frame), sinogram, recon, echem, region, pdf,
 * map, fit, particles, coverage, figures. A step's section is its command's long options
 * (the option layer above); each step is one stage call on [experiment] container, under the
 * pipeline's write rule (a step that runs again replaces what it wrote before). */

/* One step as tsct_stage_run reports it. */
typedef struct tsct_stage_run_step {
    const char *label;      /* the section (or "calibrate") */
    const char *command;    /* the tsct command that does the same */
    const char *line;       /* that command line */
    int ran;                /* 1: computed, 0: up to date, -1: dry run (nothing ran) */
    double seconds;
    int64_t time_steps;     /* integrate up to date: the time steps integrated; else -1 */
} tsct_stage_run_step;

typedef struct tsct_stage_run_params {
    int force;              /* every step runs, up to date or not */
    int dry_run;            /* nothing runs; each step is reported with ran = -1 */
    FILE *tables;           /* tables of echem, coverage, particles without a file (stdout) */
    void (*on_step)(void *user, const tsct_stage_run_step *step); /* after each step (NULL) */
    void *user;
} tsct_stage_run_params;

#define TSCT_STAGE_RUN_PARAMS_DEFAULT {0, 0, NULL, NULL, NULL}

typedef struct tsct_stage_run_report {
    int nran, nskipped;     /* steps computed and steps up to date */
    double seconds;         /* in the steps */
    int64_t available;      /* frame time steps found (-1: no [frames]; 0: none yet, the run
                               stopped before integration) */
    char waiting_for[TSCT_STAGE_PATH_MAX]; /* available == 0: the first frame file expected */
    char container[TSCT_STAGE_PATH_MAX];   /* [experiment] container, resolved */
    /* On an error inside a step: the step, its command and its command line ("" when the
     * error came before any stage ran: a section that does not parse, missing frames). */
    char failed[32], failed_command[32];
    char line[8192];
} tsct_stage_run_report;

/* Check a pipeline file whole: tsct_stage_pipeline_check, then every step section read into
 * its params (an unknown option or a bad value stops the run before its first step).
 * Errors: as tsct_stage_pipeline_check and tsct_stage_pipeline_section. */
tsct_status tsct_stage_run_check(const tsct_ini *cfg, tsct_error *err);

/* One pass over every step of cfg (read with tsct_ini_read; paths relative to its folder).
 * Incremental as ctx->incremental says (and never with params->force); ctx->log gets a debug
 * line per step. report (required) is filled as far as the run went. Errors: the first
 * failing step's, with report->failed naming it; earlier steps' results stay. */
tsct_status tsct_stage_run(const tsct_ini *cfg, const tsct_stage_run_params *params,
                           const tsct_stage_ctx *ctx, tsct_stage_run_report *report,
                           tsct_error *err);

/* The pipeline file at path read (tsct_ini_read), checked whole (tsct_stage_run_check) and
 * run once (tsct_stage_run): what a front end without a pipeline reader of its own calls.
 * Errors: those of the three. */
tsct_status tsct_stage_run_file(const char *path, const tsct_stage_run_params *params,
                                const tsct_stage_ctx *ctx, tsct_stage_run_report *report,
                                tsct_error *err);

#ifdef __cplusplus
}
#endif

#endif /* TSCT_STAGE_PIPELINE_H */
