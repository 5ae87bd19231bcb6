/* cmd_run.c - `tsct run PIPELINE.cfg`: every step of an experiment from one configuration.
 *
 * The configuration is an INI file: [experiment] names the container, [frames] the detector
 * frames and the scan (or the simulator's scan.ini), and one section per step holds that
 * step's options, written as the long options of its own command without the dashes
 * (`filter = trimmed:10,90` in [integrate] is `tsct integrate --filter trimmed:10,90`). A
 * step with an option table in the library (include/tsct/stage.h, "options": integrate,
 * sinogram, recon, echem, region, map, fit, particles, coverage) gets its params filled from
 * the section through tsct_stage_option_set, the setter its command parses its command line
 * with, and is one call of its stage; pdf and figures still run through their commands'
 * code with an argument vector made from the section. Either way a pipeline and a
 * hand-typed command line do exactly the same thing, and --dry-run prints that command line.
 *
 * Incremental: every step records a fingerprint of its inputs (the end times of the steps it
 * reads) and settings in /entry/process/STEP; `tsct run` runs the stages incrementally, and
 * a step whose record matches leaves at once. A changed setting re-runs that step, which
 * changes the inputs of every step after it. New frame files of an operando experiment are
 * integrated alone and appended (time_offset); sinogram, recon, pdf, map and fit then compute
 * only the new time steps (their inputs' time stamps, see tsct_step_reusable_time_steps). An
 * interrupted step resumes from its work file. A failing step stops the run and names it;
 * what earlier steps wrote stays.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "tsct/ini.h"
#include "tsct/publish.h"

const char tsct_usage_run[] =
    "usage: tsct run PIPELINE.cfg [--force] [--watch [SECONDS]] [--until N]\n"
    "       tsct run --template\n"
    "\n"
    "Run every step of an experiment as PIPELINE.cfg describes (docs/pipeline.md): integrate\n"
    "the frames into the container, then sinogram, recon, pdf, map, coverage (and the steps\n"
    "that have a section). Steps whose inputs and settings have not changed since their\n"
    "record in /entry/process are skipped; an interrupted step resumes; new frame files of an\n"
    "operando experiment are integrated and appended, and the steps after integration\n"
    "compute only the new time steps. A failing step stops the run and names\n"
    "the step; earlier results stay. Paths in the file are relative to its folder.\n"
    "\n"
    "Options:\n"
    "      --template          print a commented configuration and exit\n"
    "      --force             run every step even when it is up to date\n"
    "      --watch [SECONDS]   keep polling for new frame files (default every 10 s) and\n"
    "                          process each new time step as it arrives; stop with Ctrl-C\n"
    "      --until N           with --watch: stop once N time steps are processed\n"
    "      --dry-run           print the command of every step and exit\n";

static const char template_text[] =
    "# tsct pipeline (tsct run PIPELINE.cfg). Paths are relative to this file's folder.\n"
    "# A step section holds the long options of its command without the dashes:\n"
    "# 'filter = trimmed:10,90' in [integrate] is 'tsct integrate --filter trimmed:10,90'.\n"
    "# 'yes' gives a flag ('zigzag = yes' is --zigzag), 'no' leaves it out; a key given\n"
    "# several times gives the option several times. 'enabled = no' skips a section.\n"
    "# Steps run in this order: integrate, sinogram, recon, pdf, map, coverage, figure.\n"
    "\n"
    "[experiment]\n"
    "container = experiment.h5        # the HDF5 container (created by the first step)\n"
    "\n"
    "[frames]\n"
    "# The detector frames: one HDF5 stack (or folder of CBF / EDF files) per time step, as\n"
    "# `tsct simulate --level frames` writes them (scan.ini describes everything), or the\n"
    "# keys below for other data.\n"
    "scan = frames/scan.ini\n"
    "# frames = frames/frames_t%04d.h5   # printf pattern of the time step's file, or of its\n"
    "#                                   # folder of CBF / EDF files (frames/frames_t%04d)\n"
    "# dataset = /entry/data/data        # the stack [frame][row][col] inside each file\n"
    "# monitor = /entry/instrument/monitor/data   # per-frame normalisation (optional)\n"
    "# monitor_header = Flux             # or: the header item holding it (CBF / EDF)\n"
    "# transmission = /entry/instrument/transmission/data   # the sample's transmission per\n"
    "# transmission_header = Transmission  # frame (or header item), for [sinogram] normalise\n"
    "# poni = frames/detector.poni\n"
    "# mask = frames/mask.edf   dark =   flat =\n"
    "# slices = 1   angles = 61   angle_range = 180   translations = 110\n"
    "# translation_step = 0.01   zigzag = 1   npt = 2000   qmin = 0.5   qmax = 10\n"
    "# polarization = 0.99\n"
    "\n"
    "[integrate]\n"
    "filter = trimmed:10,90           # remove single-crystal spots (10 % trimmed mean)\n"
    "\n"
    "[sinogram]\n"
    "# air = 4                        # translations at each edge taken as air\n"
    "# normalise = transmission       # divide by the sample's transmission at every point\n"
    "\n"
    "[recon]\n"
    "# method = fbp                   # fbp, sirt, cgls\n"
    "\n"
    "# [pdf]\n"
    "# config = pdf.cfg               # PDFgetX3 configuration (composition, qmax, rpoly, ...)\n"
    "# rstep = 0.2\n"
    "\n"
    "[map]\n"
    "window = BiVO4=1.29:1.42         # peak area, linear background from the window edges\n"
    "window = Bi=2.715:2.805\n"
    "total = total                    # total scattered intensity\n"
    "\n"
    "[coverage]\n"
    "map = BiVO4\n"
    "output = coverage_BiVO4.csv\n";

/* ---- the configuration ------------------------------------------------------------------ */

/* The configuration is read by the library's INI reader (include/tsct/ini.h): entries with
 * their lines, bounds checked, never used as formats. */
typedef tsct_ini config;
typedef tsct_ini_entry entry;

#define config_get tsct_ini_get
#define config_has_section tsct_ini_has_section
#define config_free tsct_ini_release

static tsct_status config_read(const char *path, config *c, tsct_error *err)
{
    return tsct_ini_read(c, path, err);
}

/* ---- argument vectors ------------------------------------------------------------------- */

typedef struct args {
    char *v[512];
    int n;
    char store[64][PATH_MAX]; /* resolved paths and formatted numbers */
    int nstore;
} args;

static int args_add(args *a, const char *s)
{
    if (a->n >= (int)(sizeof a->v / sizeof a->v[0]) - 1)
        return -1;
    a->v[a->n++] = (char *)s;
    a->v[a->n] = NULL;
    return 0;
}

/* Adds a copy (for text that does not outlive the caller). */
static int args_addf(args *a, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int args_addf(args *a, const char *fmt, ...)
{
    if (a->nstore >= (int)(sizeof a->store / sizeof a->store[0]))
        return -1;
    char *s = a->store[a->nstore++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s, PATH_MAX, fmt, ap);
    va_end(ap);
    return args_add(a, s);
}

/* Option keys whose values are files, resolved against the configuration's folder. */
static int is_path_key(const char *key)
{
    static const char *const keys[] = {"config", "output", "poni", "mask", "dark", "flat",
                                       "definitions", "components", "echem", "file",
                                       "mask-file", NULL};
    for (int i = 0; keys[i]; i++)
        if (strcmp(key, keys[i]) == 0)
            return 1;
    return 0;
}

/* The options of a step section, checked against the command's usage text. */
static tsct_status section_options(const config *c, const char *section,
                                   const tsct_cli_command *cmd, args *a, tsct_error *err)
{
    for (int64_t i = 0; i < c->n; i++) {
        const entry *e = &c->e[i];
        if (strcmp(e->section, section) != 0 || strcmp(e->key, "enabled") == 0)
            continue;
        char opt[80];
        snprintf(opt, sizeof opt, "--%s", e->key);
        const char *hit = strstr(cmd->usage, opt);
        const char after = hit ? hit[strlen(opt)] : 0;
        if (!hit || (after != ' ' && after != '\n' && after != ',' && after != '='))
            return tsct_error_set(err, TSCT_ERR_VALUE, c->path, e->key, e->line,
                                  "line %lld: [%s] %s: 'tsct %s' has no option %s",
                                  (long long)e->line,
                                  section, e->key, cmd->name, opt);
        if (strcmp(e->value, "no") == 0 || strcmp(e->value, "false") == 0)
            continue;
        if (args_addf(a, "%s", opt) != 0)
            return tsct_error_set(err, TSCT_ERR_VALUE, c->path, e->key, e->line,
                                  "too many options");
        if (strcmp(e->value, "yes") == 0 || strcmp(e->value, "true") == 0)
            continue;
        /* Several words are several arguments (--radial-range 0.5 10). */
        char value[2048];
        snprintf(value, sizeof value, "%s", e->value);
        for (char *save = NULL, *w = strtok_r(value, " \t", &save); w;
             w = strtok_r(NULL, " \t", &save)) {
            char path[PATH_MAX];
            if (is_path_key(e->key))
                tsct_stage_path_resolve(c, w, path, sizeof path);
            else
                tsct_stage_path_resolve_embedded(c, e->key, w, path, sizeof path);
            if (args_addf(a, "%s", path) != 0)
                return tsct_error_set(err, TSCT_ERR_VALUE, c->path, e->key, e->line,
                                      "too many options");
        }
    }
    return TSCT_OK;
}

/* ---- the frames ------------------------------------------------------------------------- */

/* Time steps in /entry/integrated of the container (0 if none or no container). */
static int64_t integrated_steps(const char *container)
{
    if (access(container, F_OK) != 0)
        return 0;
    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    int64_t shape[8] = {0}, nt = 0;
    if (tsct_container_open(container, TSCT_OPEN_READ, &c, NULL) != TSCT_OK)
        return 0;
    if (tsct_container_exists(c, TSCT_PATH_INTEGRATED) &&
        tsct_dataset_open(c, TSCT_PATH_INTEGRATED, &d, NULL) == TSCT_OK) {
        if (tsct_dataset_shape(d, shape) == 5)
            nt = shape[0];
        tsct_dataset_close(d);
    }
    tsct_container_close(c, NULL);
    return nt;
}

/* The end time of /entry/process/NAME ("" if none). */
static void record_end(const char *container, const char *name, char *buf, size_t size)
{
    buf[0] = '\0';
    tsct_container *c = NULL;
    if (access(container, F_OK) != 0 ||
        tsct_container_open(container, TSCT_OPEN_READ, &c, NULL) != TSCT_OK)
        return;
    char path[256];
    snprintf(path, sizeof path, TSCT_PATH_PROCESS "/%s", name);
    if (tsct_container_exists(c, path))
        tsct_container_get_attr_string(c, path, "end_time", buf, size, NULL);
    tsct_container_close(c, NULL);
}

struct run_state {
    const tsct_cli *cli;
    const config *cfg;
    char container[PATH_MAX];
    int force, dry_run;
    int nran, nskipped;
    double seconds;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Run one command in this process. `record` is its /entry/process name (to tell a run
 * from a skip). Returns the command's exit code. */
static int run_command(struct run_state *rs, const char *label, const char *record, args *a)
{
    const tsct_cli_command *cmd = tsct_cli_find_command(a->v[0]);
    tsct_cli sub = *rs->cli;
    sub.command = cmd->name;
    sub.skip_current = !rs->force;
    int used = snprintf(sub.command_line, sizeof sub.command_line, "tsct");
    for (int i = 0; i < a->n && used < (int)sizeof sub.command_line; i++)
        used += snprintf(sub.command_line + used, sizeof sub.command_line - (size_t)used, " %s",
                         a->v[i]);
    if (rs->dry_run) {
        printf("%s\n", sub.command_line);
        return TSCT_EXIT_OK;
    }
    char before[64], after[64];
    record_end(rs->container, record, before, sizeof before);
    tsct_log_msg(&rs->cli->log, TSCT_LOG_DEBUG, "run: %s", sub.command_line);
    /* Each step is a command of its own under the write rule, except that a pipeline owns
     * its outputs: a step that runs again replaces what it wrote before. */
    tsct_publish_forget_inputs();
    tsct_publish_set_replace(1);
    const double t0 = now_s();
    int rc = cmd->run(&sub, a->n, a->v);
    const double dt = now_s() - t0;
    if (rc != TSCT_EXIT_OK) {
        fprintf(stderr, "tsct run: step %s failed (exit %d): %s\n", label, rc, sub.command_line);
        return rc;
    }
    record_end(rs->container, record, after, sizeof after);
    const int ran = !after[0] || strcmp(before, after) != 0; /* no record: always runs */
    fprintf(stderr, "tsct run: %-10s %s (%.1f s)\n", label, ran ? "done" : "up to date", dt);
    if (ran)
        rs->nran++;
    else
        rs->nskipped++;
    rs->seconds += dt;
    return TSCT_EXIT_OK;
}

/* ---- steps through the stages' option tables -------------------------------------------- */

/* A step that failed: the stage's message as its command gives it, then the step named. */
static int step_failed(struct run_state *rs, const char *label, const char *command,
                       const char *line, const tsct_error *err)
{
    tsct_cli sub = *rs->cli;
    sub.command = command;
    tsct_cli_fail(&sub, err);
    fprintf(stderr, "tsct run: step %s failed (exit %d): %s\n", label, TSCT_EXIT_FAIL, line);
    return TSCT_EXIT_FAIL;
}

/* A step done: its line and the counts. */
static void step_done(struct run_state *rs, const char *label, int ran, double dt)
{
    fprintf(stderr, "tsct run: %-10s %s (%.1f s)\n", label, ran ? "done" : "up to date", dt);
    if (ran)
        rs->nran++;
    else
        rs->nskipped++;
    rs->seconds += dt;
}

/* The context of a step: the run's threads, log and progress, incremental unless forced. */
static tsct_stage_ctx step_ctx(const struct run_state *rs, const char *line)
{
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(rs->cli);
    ctx.incremental = !rs->force;
    ctx.command_line = line;
    return ctx;
}

/* The params of every stage run from its section. */
typedef union stage_params {
    tsct_stage_integrate_scan_params integrate;
    tsct_stage_sinogram_params sinogram;
    tsct_stage_recon_params recon;
    tsct_stage_region_params region;
    tsct_stage_map_params map;
    tsct_stage_particles_params particles;
    tsct_stage_coverage_params coverage;
    tsct_stage_echem_params echem;
    struct {
        tsct_stage_fit_voxels_params p; /* first: the params the setter takes */
        tsct_fit_model model;
    } fit;
} stage_params;

static void stage_params_init(tsct_stage_id id, stage_params *u, tsct_stage_map_defs *defs)
{
    static const tsct_stage_integrate_scan_params integrate =
        TSCT_STAGE_INTEGRATE_SCAN_PARAMS_DEFAULT;
    static const tsct_stage_sinogram_params sino = TSCT_STAGE_SINOGRAM_PARAMS_DEFAULT;
    static const tsct_stage_recon_params recon = TSCT_STAGE_RECON_PARAMS_DEFAULT;
    static const tsct_stage_region_params region = TSCT_STAGE_REGION_PARAMS_DEFAULT;
    static const tsct_stage_map_params map = TSCT_STAGE_MAP_PARAMS_DEFAULT;
    static const tsct_stage_particles_params particles = TSCT_STAGE_PARTICLES_PARAMS_DEFAULT;
    static const tsct_stage_coverage_params coverage = TSCT_STAGE_COVERAGE_PARAMS_DEFAULT;
    static const tsct_stage_echem_params echem = TSCT_STAGE_ECHEM_PARAMS_DEFAULT;
    static const tsct_stage_fit_voxels_params fit = TSCT_STAGE_FIT_VOXELS_PARAMS_DEFAULT;
    memset(u, 0, sizeof *u);
    switch (id) {
    case TSCT_STAGE_ID_INTEGRATE: u->integrate = integrate; break;
    case TSCT_STAGE_ID_SINOGRAM: u->sinogram = sino; break;
    case TSCT_STAGE_ID_RECON: u->recon = recon; break;
    case TSCT_STAGE_ID_REGION: u->region = region; break;
    case TSCT_STAGE_ID_MAP: u->map = map, u->map.definitions = defs; break;
    case TSCT_STAGE_ID_PARTICLES: u->particles = particles; break;
    case TSCT_STAGE_ID_COVERAGE: u->coverage = coverage; break;
    case TSCT_STAGE_ID_ECHEM: u->echem = echem; break;
    case TSCT_STAGE_ID_FIT:
        u->fit.p = fit;
        tsct_fit_model_init(&u->fit.model, NAN, NAN);
        u->fit.p.model = &u->fit.model;
        break;
    default: break;
    }
}

/* The stage call, with the tables of echem, coverage and particles (to standard output when
 * the section names no file, as the commands do). */
static tsct_status stage_call(tsct_stage_id id, const char *container, stage_params *u,
                              const tsct_stage_pipeline_values *files, const tsct_stage_ctx *ctx,
                              tsct_stage_report *rep, tsct_error *err)
{
    tsct_cli_table table, depth;
    tsct_status st;
    const char *output = tsct_stage_pipeline_file(files, "output");
    switch (id) {
    case TSCT_STAGE_ID_INTEGRATE:
        return tsct_stage_integrate(container, &u->integrate, ctx, rep, err);
    case TSCT_STAGE_ID_SINOGRAM: return tsct_stage_sinogram(container, &u->sinogram, ctx, rep, err);
    case TSCT_STAGE_ID_RECON: return tsct_stage_recon(container, &u->recon, ctx, rep, err);
    case TSCT_STAGE_ID_REGION: return tsct_stage_region(container, &u->region, ctx, rep, err);
    case TSCT_STAGE_ID_MAP: return tsct_stage_map(container, &u->map, ctx, rep, err);
    case TSCT_STAGE_ID_FIT:
        if (output)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "output", -1,
                                  "-o is for --series tables");
        return tsct_stage_fit(container, &u->fit.p, ctx, rep, err);
    case TSCT_STAGE_ID_ECHEM:
        /* the table's place is checked before the container changes */
        if (output)
            TSCT_TRY(tsct_publish_check(output, err));
        TSCT_TRY(tsct_stage_echem(container, &u->echem, ctx, rep, err));
        TSCT_TRY(tsct_cli_table_open(&table, output, stdout, err));
        st = tsct_stage_echem_table(container, table.f, !output, err);
        return tsct_cli_table_close(&table, st, err);
    case TSCT_STAGE_ID_COVERAGE:
        TSCT_TRY(tsct_cli_table_open(&table, output, stdout, err));
        u->coverage.table = table.f;
        st = tsct_stage_coverage(container, &u->coverage, ctx, rep, err);
        return tsct_cli_table_close(&table, st, err);
    case TSCT_STAGE_ID_PARTICLES:
        if (tsct_stage_pipeline_file(files, "by-depth") && !u->particles.parameter)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "by-depth", -1,
                                  "--by-depth needs --parameter MAP");
        TSCT_TRY(tsct_cli_table_open(&table, output, stdout, err));
        st = tsct_cli_table_open(&depth, tsct_stage_pipeline_file(files, "by-depth"), NULL, err);
        if (st == TSCT_OK) {
            u->particles.table = table.f;
            u->particles.by_depth = depth.f;
            st = tsct_stage_particles(container, &u->particles, ctx, rep, err);
            st = tsct_cli_table_close(&depth, st, err);
        }
        return tsct_cli_table_close(&table, st, err);
    default:
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, tsct_stage_id_name(id), -1,
                              "not a stage of tsct run");
    }
}

/* The stage call of a step, under the pipeline's write rule, timed and reported. */
static int step_execute(struct run_state *rs, const char *label, const char *command,
                        tsct_stage_id id, stage_params *u, const tsct_stage_pipeline_values *files,
                        const char *line)
{
    tsct_log_msg(&rs->cli->log, TSCT_LOG_DEBUG, "run: %s", line);
    /* Each step is a command of its own under the write rule, except that a pipeline owns
     * its outputs: a step that runs again replaces what it wrote before. */
    tsct_publish_forget_inputs();
    tsct_publish_set_replace(1);
    const tsct_stage_ctx ctx = step_ctx(rs, line);
    tsct_stage_report rep = {0, 0, 0, ""};
    tsct_error err = TSCT_ERROR_INIT;
    tsct_cli_guard_file(rs->container);
    const double t0 = now_s();
    tsct_status st = stage_call(id, rs->container, u, files, &ctx, &rep, &err);
    tsct_cli_guard_file(NULL);
    if (st != TSCT_OK)
        return step_failed(rs, label, command, line, &err);
    step_done(rs, label, rep.ran, now_s() - t0);
    return TSCT_EXIT_OK;
}

/* One step of a stage with an option table: its section into params, one stage call. */
static int run_stage_step(struct run_state *rs, const char *section, const char *command,
                          const char *kind, tsct_stage_id id)
{
    char line[8192];
    snprintf(line, sizeof line, "tsct %s%s%s %s", command, kind ? " " : "", kind ? kind : "",
             rs->container);
    tsct_stage_map_defs *defs = id == TSCT_STAGE_ID_MAP ? tsct_stage_map_defs_create() : NULL;
    stage_params u;
    stage_params_init(id, &u, defs);
    tsct_stage_pipeline_values v;
    memset(&v, 0, sizeof v);
    tsct_error err = TSCT_ERROR_INIT, why = TSCT_ERROR_INIT;
    tsct_status st = id == TSCT_STAGE_ID_MAP && !defs
                         ? tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "map", -1, "definitions")
                         : tsct_stage_pipeline_section(rs->cfg, section, id, &u, &v, line,
                                                       sizeof line, &err);
    if (st == TSCT_OK && tsct_stage_options_check(id, &u, &why) != TSCT_OK)
        st = tsct_error_set(&err, why.status, rs->cfg->path, section, -1, "[%s] %s", section,
                            why.detail);
    int rc = TSCT_EXIT_OK;
    if (st != TSCT_OK) {
        rc = tsct_cli_fail(rs->cli, &err);
    } else if (rs->dry_run) {
        printf("%s\n", line);
    } else {
        rc = step_execute(rs, section, command, id, &u, &v, line);
    }
    tsct_stage_pipeline_values_release(&v);
    tsct_stage_map_defs_destroy(defs);
    return rc;
}

/* ---- the integrate step ----------------------------------------------------------------- */

/* The integration settings as `tsct run` recorded them before the structured record (a
 * positional text of the frames' keys and the [integrate] words, cut at 4095 bytes): a
 * container made then is still up to date (docs/pipeline.md, "What runs again"). */
static void legacy_settings(const tsct_stage_frames *fd, const char *words, char *out,
                            size_t size)
{
    int used = snprintf(out, size, "%s %s %s%s%s%s%s%s%s %s %s %s %s %s %s %s %s %s %s",
                        fd->pattern, fd->dataset, fd->monitor,
                        fd->monitor_header[0] ? " header:" : "", fd->monitor_header,
                        fd->transmission[0] || fd->transmission_header[0] ? " transmission:"
                                                                           : "",
                        fd->transmission, fd->transmission_header[0] ? " header:" : "",
                        fd->transmission_header, fd->poni, fd->mask, fd->dark, fd->flat,
                        fd->slices, fd->angles, fd->translations, fd->npt, fd->qmin, fd->qmax);
    if (used >= 0 && (size_t)used < size)
        snprintf(out + used, size - (size_t)used, "%s", words);
}

/* The [frames] values after the section's, as `tsct integrate` options: the geometry and the
 * scan always, the others unless the section gives them. */
static tsct_status frames_params(const struct run_state *rs, const tsct_stage_frames *fd,
                                 tsct_stage_integrate_scan_params *p, char *line, size_t size,
                                 tsct_error *err)
{
    const struct {
        const char *key, *value;
        int always;
    } keys[] = {{"poni", fd->poni, 1},
                {"angles", fd->angles, 1},
                {"translations", fd->translations, 1},
                {"slices", fd->slices, 0},
                {"angle-range", fd->angle_range, 0},
                {"translation-step", fd->translation_step, 0},
                {"mask", fd->mask, 0},
                {"dark", fd->dark, 0},
                {"flat", fd->flat, 0},
                {"monitor-dataset", fd->monitor, 0},
                {"monitor-header", fd->monitor_header, 0},
                {"transmission-dataset", fd->transmission, 0},
                {"transmission-header", fd->transmission_header, 0},
                {"npt", fd->npt, 0},
                {"polarization", fd->polarization, 0}};
    tsct_error why = TSCT_ERROR_INIT;
    char opt[96];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (!keys[i].value[0] ||
            (!keys[i].always && config_get(rs->cfg, "integrate", keys[i].key)))
            continue;
        snprintf(opt, sizeof opt, "--%s", keys[i].key);
        tsct_stage_line_add(line, size, opt);
        tsct_stage_line_add(line, size, keys[i].value);
        if (tsct_stage_option_set(TSCT_STAGE_ID_INTEGRATE, p, keys[i].key, keys[i].value,
                                  &why) != TSCT_OK)
            return tsct_error_set(err, why.status, rs->cfg->path, keys[i].key, -1,
                                  "[frames]: %s", why.detail);
    }
    if (fd->zigzag[0] && strcmp(fd->zigzag, "0") != 0) {
        tsct_stage_line_add(line, size, "--zigzag");
        p->zigzag = 1;
    }
    if (fd->qmin[0] && fd->qmax[0] && !config_get(rs->cfg, "integrate", "radial-range")) {
        char range[160];
        snprintf(range, sizeof range, "%s %s", fd->qmin, fd->qmax);
        tsct_stage_line_add(line, size, "--radial-range");
        tsct_stage_line_add(line, size, range);
        if (tsct_stage_option_set(TSCT_STAGE_ID_INTEGRATE, p, "radial-range", range, &why) !=
            TSCT_OK)
            return tsct_error_set(err, why.status, rs->cfg->path, "qmin", -1, "[frames]: %s",
                                  why.detail);
    }
    return TSCT_OK;
}

/* Whether the integration recorded in the container has these settings: the structured
 * record, or the positional text an earlier tsct run wrote. */
static int integration_current(const char *container, const char *record, const char *legacy)
{
    char *old = malloc(65536);
    tsct_container *c = NULL;
    int same = 0;
    if (old && tsct_container_open(container, TSCT_OPEN_READ, &c, NULL) == TSCT_OK) {
        old[0] = '\0';
        tsct_container_get_attr_string(c, TSCT_PATH_PROCESS "/integrate", "run_settings", old,
                                       65536, NULL);
        tsct_container_close(c, NULL);
        same = strcmp(old, record) == 0 || strcmp(old, legacy) == 0;
    }
    free(old);
    return same;
}

/* The integrate step: the time steps whose frames are not yet in the container. */
static int run_integrate(struct run_state *rs, int64_t *available)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_frames fd;
    if (tsct_stage_frames_describe(rs->cfg, &fd, &err) != TSCT_OK)
        return tsct_cli_fail(rs->cli, &err);
    const int64_t n = tsct_stage_frames_available(&fd);
    *available = n;
    if (n == 0) {
        char p[PATH_MAX];
        tsct_stage_frames_path(&fd, 0, p, sizeof p);
        fprintf(stderr, "tsct run: no frames yet (%s does not exist)\n", p);
        return TSCT_EXIT_OK;
    }
    /* A calibrant frame in place of the PONI: calibrate first (when the PONI is not current). */
    if (fd.calibrant_image[0] && !rs->dry_run) {
        char cline[TSCT_STAGE_PATH_MAX + 64];
        snprintf(cline, sizeof cline, "calibration of %s", fd.calibrant_image);
        const tsct_stage_ctx cctx = step_ctx(rs, cline);
        const double t0 = now_s();
        int ran = 0;
        if (tsct_stage_frames_calibrate(&fd, &cctx, &ran, &err) != TSCT_OK)
            return step_failed(rs, "calibrate", "calibrate", cline, &err);
        step_done(rs, "calibrate", ran, now_s() - t0);
    }
    stage_params u;
    stage_params_init(TSCT_STAGE_ID_INTEGRATE, &u, NULL);
    tsct_stage_integrate_scan_params *p = &u.integrate;
    tsct_stage_pipeline_values v;
    memset(&v, 0, sizeof v);
    char words[8192] = "", line[8192] = "", legacy[4096];
    tsct_stage_settings record;
    tsct_stage_settings_init(&record);
    const char **frames = NULL;
    int rc = TSCT_EXIT_OK;
    tsct_status st = tsct_stage_pipeline_section(rs->cfg, "integrate", TSCT_STAGE_ID_INTEGRATE, p,
                                                 &v, words, sizeof words, &err);
    /* The settings, to notice a change (then everything is integrated again). */
    legacy_settings(&fd, words, legacy, sizeof legacy);
    snprintf(line, sizeof line, "tsct integrate%.4000s --container %.4000s", words, rs->container);
    char tail[4096] = "";
    if (st == TSCT_OK)
        st = frames_params(rs, &fd, p, tail, sizeof tail, &err);
    if (st == TSCT_OK) {
        tsct_stage_pipeline_integrate_settings(&fd, p, &record);
        if (record.failed)
            st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "run_settings", -1, "record");
    }
    if (st != TSCT_OK) {
        rc = tsct_cli_fail(rs->cli, &err);
        goto done;
    }
    int64_t first = integrated_steps(rs->container);
    int again = 0; /* settings changed: the stage must not keep what it finds */
    if (first > 0 && (rs->force || !integration_current(rs->container, record.text, legacy))) {
        again = 1;
        tsct_log_msg(&rs->cli->log, TSCT_LOG_INFO, "run: integration settings %s: all %lld "
                     "time steps are integrated again", rs->force ? "forced" : "changed",
                     (long long)n);
        first = 0;
    }
    if (first >= n) {
        fprintf(stderr, "tsct run: %-10s up to date (%lld time steps)\n", "integrate",
                (long long)first);
        rs->nskipped++;
        goto done;
    }
    /* The frames of time steps first .. n-1: an HDF5 stack (FILE::DATASET) or a folder. */
    frames = malloc((size_t)(n - first) * sizeof *frames);
    for (int64_t t = first; frames && t < n; t++) {
        char path[PATH_MAX], spec[PATH_MAX + 300];
        tsct_stage_frames_path(&fd, t, path, sizeof path);
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            snprintf(spec, sizeof spec, "%s", path);
        else
            snprintf(spec, sizeof spec, "%s::%s", path, fd.dataset);
        tsct_stage_line_add(line, sizeof line, spec);
        if (!(frames[t - first] = tsct_stage_pipeline_keep(&v, spec)))
            break;
    }
    if (!frames || v.n < n - first) {
        tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "frames", -1, "%lld frame files",
                       (long long)(n - first));
        rc = tsct_cli_fail(rs->cli, &err);
        goto done;
    }
    p->frames = frames;
    p->nframes = n - first;
    p->time_offset = first;
    if (tail[0])
        tsct_stage_line_add(line, sizeof line, tail + 1);
    if (first > 0) {
        char offset[64];
        snprintf(offset, sizeof offset, "--time-offset=%lld", (long long)first);
        tsct_stage_line_add(line, sizeof line, offset);
    }
    if (rs->dry_run) {
        printf("%s\n", line);
        goto done;
    }
    /* The stage's own record names the PONI's path, not its geometry: a new calibration (or
     * any changed setting the run noticed) must not look up to date to it. */
    const int forced = rs->force;
    rs->force = forced || again;
    rc = step_execute(rs, "integrate", "integrate", TSCT_STAGE_ID_INTEGRATE, &u, &v, line);
    rs->force = forced;
    if (rc != TSCT_EXIT_OK)
        goto done;
    tsct_container *c = NULL;
    if (tsct_container_open(rs->container, TSCT_OPEN_WRITE, &c, &err) != TSCT_OK ||
        tsct_container_set_attr_string(c, TSCT_PATH_PROCESS "/integrate", "run_settings",
                                       record.text, &err) != TSCT_OK) {
        tsct_container_close(c, NULL);
        rc = tsct_cli_fail(rs->cli, &err);
    } else if (tsct_container_close(c, &err) != TSCT_OK) {
        rc = tsct_cli_fail(rs->cli, &err);
    }
done:
    free(frames);
    tsct_stage_pipeline_values_release(&v);
    tsct_stage_settings_release(&record);
    return rc;
}

/* ---- steps ------------------------------------------------------------------------------ */

/* Steps in the order they run. A step with an option table is one stage call (direct); the
 * others run their command with an argument vector; `container` says how it is passed. */
static const struct step_def {
    const char *section, *command, *kind; /* kind: a first argument before the container */
    enum { POSITIONAL, OPTION, NONE } container; /* NONE: the step's own files name it */
    int default_on; /* runs without a section (sinogram, recon) */
    int direct;     /* 1: through the stage's option table (stage) */
    tsct_stage_id stage;
} steps[] = {
    {"integrate", "integrate", NULL, OPTION, 0, 1, TSCT_STAGE_ID_INTEGRATE},
    {"sinogram", "sinogram", NULL, POSITIONAL, 1, 1, TSCT_STAGE_ID_SINOGRAM},
    {"recon", "recon", NULL, POSITIONAL, 1, 1, TSCT_STAGE_ID_RECON},
    {"echem", "echem", NULL, POSITIONAL, 0, 1, TSCT_STAGE_ID_ECHEM},
    {"region", "region", NULL, POSITIONAL, 0, 1, TSCT_STAGE_ID_REGION},
    {"pdf", "pdf", NULL, OPTION, 0, 0, TSCT_STAGE_ID_COUNT},
    {"map", "map", NULL, POSITIONAL, 0, 1, TSCT_STAGE_ID_MAP},
    {"fit", "fit", "peak", POSITIONAL, 0, 1, TSCT_STAGE_ID_FIT},
    {"particles", "particles", NULL, POSITIONAL, 0, 1, TSCT_STAGE_ID_PARTICLES},
    {"coverage", "coverage", NULL, POSITIONAL, 0, 1, TSCT_STAGE_ID_COVERAGE},
    {"refine", "refine", NULL, NONE, 0, 0, TSCT_STAGE_ID_COUNT},
    {"figures", "figure", "all", POSITIONAL, 0, 0, TSCT_STAGE_ID_COUNT},
};

/* A step through its command's code: an argument vector from its section. */
static int run_command_step(struct run_state *rs, const struct step_def *s)
{
    const tsct_cli_command *cmd = tsct_cli_find_command(s->command);
    if (!cmd) {
        fprintf(stderr, "tsct run: %s: step [%s] is not available in this build of tsct\n",
                rs->cfg->path, s->section);
        return TSCT_EXIT_FAIL;
    }
    args a = {0};
    args_add(&a, s->command);
    if (s->kind)
        args_add(&a, s->kind);
    if (s->container == POSITIONAL) {
        args_add(&a, rs->container);
    } else if (s->container == OPTION) {
        args_add(&a, "--container");
        args_add(&a, rs->container);
    }
    tsct_error err = TSCT_ERROR_INIT;
    if (section_options(rs->cfg, s->section, cmd, &a, &err) != TSCT_OK)
        return tsct_cli_fail(rs->cli, &err);
    return run_command(rs, s->section, s->command, &a); /* its record: the command's name */
}

/* Every section of a step with an option table read into its params before anything runs:
 * an unknown key or a bad value stops the run before the first step. */
static int check_sections(const struct run_state *rs)
{
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const struct step_def *s = &steps[i];
        if (!s->direct || !config_has_section(rs->cfg, s->section))
            continue;
        tsct_stage_map_defs *defs = s->stage == TSCT_STAGE_ID_MAP ? tsct_stage_map_defs_create()
                                                                  : NULL;
        stage_params params;
        stage_params_init(s->stage, &params, defs);
        tsct_stage_pipeline_values v;
        memset(&v, 0, sizeof v);
        char line[8192] = "";
        tsct_error err = TSCT_ERROR_INIT;
        tsct_status st = s->stage == TSCT_STAGE_ID_MAP && !defs
                             ? tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "map", -1, "definitions")
                             : tsct_stage_pipeline_section(rs->cfg, s->section, s->stage, &params,
                                                           &v, line, sizeof line, &err);
        tsct_stage_pipeline_values_release(&v);
        tsct_stage_map_defs_destroy(defs);
        if (st != TSCT_OK)
            return tsct_cli_fail(rs->cli, &err);
    }
    return TSCT_EXIT_OK;
}

/* One pass over every step. *available: frame time steps found (-1: no [frames]). */
static int run_pipeline(struct run_state *rs, int64_t *available)
{
    *available = -1;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const struct step_def *s = &steps[i];
        const entry *enabled = tsct_ini_find(rs->cfg, s->section, "enabled");
        const int has = config_has_section(rs->cfg, s->section);
        int on = 1;
        if (enabled && tsct_ini_value_bool(rs->cfg, enabled, &on, NULL) == TSCT_OK && !on)
            continue;
        if (s->stage == TSCT_STAGE_ID_INTEGRATE) {
            if (!config_has_section(rs->cfg, "frames"))
                continue;
            int rc = run_integrate(rs, available);
            if (rc != TSCT_EXIT_OK)
                return rc;
            if (*available == 0)
                return TSCT_EXIT_OK; /* nothing to process yet */
            continue;
        }
        if (!has && !s->default_on)
            continue;
        int rc = s->direct ? run_stage_step(rs, s->section, s->command, s->kind, s->stage)
                           : run_command_step(rs, s);
        if (rc != TSCT_EXIT_OK)
            return rc;
    }
    return TSCT_EXIT_OK;
}

static volatile sig_atomic_t stop_watch;
static void on_signal(int sig)
{
    (void)sig;
    stop_watch = 1;
}

int tsct_cmd_run(tsct_cli *cli, int argc, char **argv)
{
    enum { O_TEMPLATE = 1000, O_FORCE, O_WATCH, O_UNTIL, O_DRY };
    static const struct option longopts[] = {
        {"template", no_argument, NULL, O_TEMPLATE}, {"force", no_argument, NULL, O_FORCE},
        {"watch", optional_argument, NULL, O_WATCH}, {"until", required_argument, NULL, O_UNTIL},
        {"dry-run", no_argument, NULL, O_DRY},       {NULL, 0, NULL, 0},
    };
    int force = 0, dry = 0;
    double watch = -1;
    int64_t until = -1;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (ch) {
        case O_TEMPLATE: fputs(template_text, stdout); return TSCT_EXIT_OK;
        case O_FORCE: force = 1; break;
        case O_DRY: dry = 1; break;
        case O_WATCH:
            watch = 10;
            if (optarg && (tsct_cli_parse_double(optarg, &watch) != 0 || watch <= 0))
                return tsct_cli_usage_error(cli, "--watch expects seconds > 0, got '%s'", optarg);
            break;
        case O_UNTIL:
            if (tsct_cli_parse_int64(optarg, &until) != 0 || until < 1)
                return tsct_cli_usage_error(cli, "--until expects a count >= 1, got '%s'", optarg);
            break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind == argc ? "missing PIPELINE.cfg"
                                                        : "one PIPELINE.cfg expected");
    if (until > 0 && watch < 0)
        return tsct_cli_usage_error(cli, "--until needs --watch");
    tsct_error err = TSCT_ERROR_INIT;
    config cfg;
    if (config_read(argv[optind], &cfg, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    if (tsct_stage_pipeline_check(&cfg, &err) != TSCT_OK) {
        config_free(&cfg);
        return tsct_cli_fail(cli, &err);
    }
    struct run_state rs = {cli, &cfg, "", force, dry, 0, 0, 0.0};
    tsct_stage_path_resolve(&cfg, config_get(&cfg, "experiment", "container"), rs.container,
                            sizeof rs.container);
    int rc = check_sections(&rs);
    if (rc != TSCT_EXIT_OK) {
        config_free(&cfg);
        return rc;
    }
    if (watch > 0) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
    int64_t last = -2;
    const double t0 = now_s();
    for (;;) {
        int64_t available = -1;
        rc = run_pipeline(&rs, &available);
        if (rc != TSCT_EXIT_OK || watch <= 0 || dry)
            break;
        if (available < 0) {
            fprintf(stderr, "tsct run: --watch needs a [frames] section\n");
            rc = TSCT_EXIT_USAGE;
            break;
        }
        if (until > 0 && available >= until)
            break;
        if (available != last)
            fprintf(stderr, "tsct run: %lld time step(s) processed; waiting for more frames\n",
                    (long long)available);
        last = available;
        /* Sleep until the next poll, or until a signal. */
        for (double slept = 0; slept < watch && !stop_watch; slept += 0.2)
            usleep(200000);
        if (stop_watch) {
            fprintf(stderr, "tsct run: stopped; every finished step is in %s\n", rs.container);
            break;
        }
        rs.force = 0;
    }
    if (rc == TSCT_EXIT_OK && !dry)
        fprintf(stderr, "tsct run: %d step(s) run, %d up to date, %.1f s; results: %s\n", rs.nran,
                rs.nskipped, now_s() - t0, rs.container);
    config_free(&cfg);
    return rc;
}
