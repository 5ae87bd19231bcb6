/* stage_run.c - `tsct run` as a library call: every step of a pipeline file, in order, each
 * one stage call through the option layer (tsct/stage_pipeline.h, "tsct run").
 *
 * A step section is read into its stage's params by tsct_stage_pipeline_section (the setter
 * its command parses its command line with), so a pipeline and a hand-typed command line do
 * exactly the same thing; the command line is reported with each step (and is all a dry run
 * gives). Incremental: every step records a fingerprint of its inputs and settings in
 * /entry/process/STEP and leaves at once when it matches; new frame files of an operando
 * experiment are integrated alone and appended (time_offset), and the steps after integration
 * compute only the new time steps. A failing step stops the run and is named in the report;
 * what earlier steps wrote stays.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stage_internal.h"
#include "tsct/ini.h"
#include "tsct/pdf.h"
#include "tsct/publish.h"
#include "tsct/stage.h"

#define config_get tsct_ini_get

typedef struct run_state {
    const tsct_ini *cfg;
    const tsct_stage_run_params *p;
    const tsct_stage_ctx *ctx;
    tsct_stage_run_report *rep;
    const char *container;
    int force;
} run_state;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A step reported to the front end, and counted. */
static void step_report(run_state *rs, const char *label, const char *command, const char *line,
                        int ran, double dt, int64_t time_steps)
{
    if (ran > 0)
        rs->rep->nran++;
    else if (ran == 0)
        rs->rep->nskipped++;
    if (ran >= 0)
        rs->rep->seconds += dt;
    if (rs->p->on_step) {
        const tsct_stage_run_step s = {label, command, line, ran, dt, time_steps};
        rs->p->on_step(rs->p->user, &s);
    }
}

/* A step that failed: named in the report, its error kept in err. */
static tsct_status step_failed(run_state *rs, const char *label, const char *command,
                               const char *line, tsct_status st)
{
    snprintf(rs->rep->failed, sizeof rs->rep->failed, "%s", label);
    snprintf(rs->rep->failed_command, sizeof rs->rep->failed_command, "%s", command);
    snprintf(rs->rep->line, sizeof rs->rep->line, "%s", line);
    return st;
}

/* The context of a step: the run's, incremental unless forced, with the step's command line. */
static tsct_stage_ctx step_ctx(const run_state *rs, const char *line)
{
    tsct_stage_ctx ctx = *tsct__stage_ctx(rs->ctx);
    ctx.incremental = ctx.incremental && !rs->force;
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
    tsct_stage_pdf_setup pdf;
    tsct_stage_figure_params figure;
    tsct_stage_refine_params refine;
} stage_params;

/* What some params point to: the map definitions, the PDF configuration (large), the
 * figures' default folder. */
typedef struct stage_memory {
    tsct_stage_map_defs *defs;
    tsct_pdf_config *pdf;
    char figures[TSCT_STAGE_PATH_MAX];
} stage_memory;

/* The folder of the figures when [figures] names none: "figures" beside the pipeline file. */
#define FIGURES_DEFAULT "figures"

static tsct_status stage_params_init(tsct_stage_id id, stage_params *u, stage_memory *m,
                                     const tsct_ini *cfg, const char *container,
                                     tsct_error *err)
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
    static const tsct_stage_pdf_setup pdf = TSCT_STAGE_PDF_SETUP_DEFAULT;
    static const tsct_stage_figure_params figure = TSCT_STAGE_FIGURE_PARAMS_DEFAULT;
    static const tsct_stage_refine_params refine = TSCT_STAGE_REFINE_PARAMS_DEFAULT;
    memset(u, 0, sizeof *u);
    memset(m, 0, sizeof *m);
    switch (id) {
    case TSCT_STAGE_ID_INTEGRATE: u->integrate = integrate; break;
    case TSCT_STAGE_ID_SINOGRAM: u->sinogram = sino; break;
    case TSCT_STAGE_ID_RECON: u->recon = recon; break;
    case TSCT_STAGE_ID_REGION: u->region = region; break;
    case TSCT_STAGE_ID_MAP:
        u->map = map;
        m->defs = tsct_stage_map_defs_create();
        u->map.definitions = m->defs;
        if (!m->defs)
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "map", -1, "definitions");
        break;
    case TSCT_STAGE_ID_PARTICLES: u->particles = particles; break;
    case TSCT_STAGE_ID_COVERAGE: u->coverage = coverage; break;
    case TSCT_STAGE_ID_ECHEM: u->echem = echem; break;
    case TSCT_STAGE_ID_FIT:
        u->fit.p = fit;
        tsct_fit_model_init(&u->fit.model, NAN, NAN);
        u->fit.p.model = &u->fit.model;
        break;
    case TSCT_STAGE_ID_PDF:
        u->pdf = pdf;
        if (!(m->pdf = u->pdf.config = malloc(sizeof *m->pdf)))
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "pdf", -1, "configuration");
        break;
    case TSCT_STAGE_ID_FIGURE:
        u->figure = figure;
        u->figure.kind = TSCT_STAGE_FIGURE_KIND_ALL;
        u->figure.input = u->figure.inputs[0] = container;
        u->figure.ninputs = 1;
        tsct_stage_path_resolve(cfg, FIGURES_DEFAULT, m->figures, sizeof m->figures);
        u->figure.output = m->figures;
        break;
    case TSCT_STAGE_ID_REFINE: u->refine = refine; break;
    default: break;
    }
    return TSCT_OK;
}

static void stage_memory_release(stage_memory *m)
{
    tsct_stage_map_defs_destroy(m->defs);
    free(m->pdf);
    memset(m, 0, sizeof *m);
}

/* The stage call, with the tables of echem, coverage and particles (to params->tables when
 * the section names no file, as the commands do). */
static tsct_status stage_call(tsct_stage_id id, const char *container, stage_params *u,
                              const tsct_stage_pipeline_values *files, FILE *tables,
                              const tsct_stage_ctx *ctx, tsct_stage_report *rep, tsct_error *err)
{
    tsct_publish_table table, depth;
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
        TSCT_TRY(tsct_publish_table_open(&table, output, tables, err));
        st = tsct_stage_echem_table(container, table.f, !output, err);
        return tsct_publish_table_close(&table, st, err);
    case TSCT_STAGE_ID_COVERAGE:
        TSCT_TRY(tsct_publish_table_open(&table, output, tables, err));
        u->coverage.table = table.f;
        st = tsct_stage_coverage(container, &u->coverage, ctx, rep, err);
        return tsct_publish_table_close(&table, st, err);
    case TSCT_STAGE_ID_PARTICLES:
        if (tsct_stage_pipeline_file(files, "by-depth") && !u->particles.parameter)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "by-depth", -1,
                                  "--by-depth needs --parameter MAP");
        TSCT_TRY(tsct_publish_table_open(&table, output, tables, err));
        st = tsct_publish_table_open(&depth, tsct_stage_pipeline_file(files, "by-depth"), NULL,
                                     err);
        if (st == TSCT_OK) {
            u->particles.table = table.f;
            u->particles.by_depth = depth.f;
            st = tsct_stage_particles(container, &u->particles, ctx, rep, err);
            st = tsct_publish_table_close(&depth, st, err);
        }
        return tsct_publish_table_close(&table, st, err);
    case TSCT_STAGE_ID_PDF:
        TSCT_TRY(tsct_stage_pdf_setup_load(&u->pdf, 1, NULL, err));
        return u->pdf.p.region ? tsct_stage_pdf_region(container, &u->pdf.p, ctx, rep, err)
                               : tsct_stage_pdf(container, &u->pdf.p, ctx, rep, err);
    case TSCT_STAGE_ID_REFINE:
        return tsct_stage_refine_pattern(&u->refine, ctx, rep, err);
    case TSCT_STAGE_ID_FIGURE:
        TSCT_TRY(tsct_stage_figure(&u->figure, ctx, err));
        rep->ran = 1; /* figures are drawn on every run */
        return TSCT_OK;
    default:
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, tsct_stage_id_name(id), -1,
                              "not a stage of tsct run");
    }
}

/* The stage call of a step, under the pipeline's write rule, timed and reported. */
static tsct_status step_execute(run_state *rs, const char *label, const char *command,
                                tsct_stage_id id, stage_params *u,
                                const tsct_stage_pipeline_values *files, const char *line,
                                tsct_error *err)
{
    tsct_log_msg(tsct__stage_ctx(rs->ctx)->log, TSCT_LOG_DEBUG, "run: %s", line);
    /* Each step is a command of its own under the write rule, except that a pipeline owns
     * its outputs: a step that runs again replaces what it wrote before. */
    tsct_publish_forget_inputs();
    tsct_publish_set_replace(1);
    const tsct_stage_ctx ctx = step_ctx(rs, line);
    tsct_stage_report rep = {0, 0, 0, ""};
    const double t0 = now_s();
    FILE *tables = rs->p->tables ? rs->p->tables : stdout;
    tsct_status st = stage_call(id, rs->container, u, files, tables, &ctx, &rep, err);
    if (st != TSCT_OK)
        return step_failed(rs, label, command, line, st);
    step_report(rs, label, command, line, rep.ran, now_s() - t0, -1);
    return TSCT_OK;
}

/* A section read into its stage's params (line: the command line it stands for). */
static tsct_status read_section(const tsct_ini *cfg, const char *section, tsct_stage_id id,
                                stage_params *u, tsct_stage_pipeline_values *v, char *line,
                                size_t size, tsct_error *err)
{
    tsct_error why = TSCT_ERROR_INIT;
    TSCT_TRY(tsct_stage_pipeline_section(cfg, section, id, u, v, line, size, err));
    if (tsct_stage_options_check(id, u, &why) != TSCT_OK)
        return tsct_error_set(err, why.status, cfg->path, section, -1, "[%s] %s", section,
                              why.detail);
    return TSCT_OK;
}

/* Steps in the order they run: the section, the command, a first argument before the
 * container (kind), how the command takes the container (CONTAINER_NONE: the step's
 * configuration names its data), whether the step runs without a section, and its stage. */
enum { CONTAINER_ARGUMENT, CONTAINER_OPTION, CONTAINER_NONE };
static const struct step_def {
    const char *section, *command, *kind;
    int container;
    int default_on;
    tsct_stage_id stage;
} steps[] = {
    {"integrate", "integrate", NULL, CONTAINER_OPTION, 0, TSCT_STAGE_ID_INTEGRATE},
    {"sinogram", "sinogram", NULL, CONTAINER_ARGUMENT, 1, TSCT_STAGE_ID_SINOGRAM},
    {"recon", "recon", NULL, CONTAINER_ARGUMENT, 1, TSCT_STAGE_ID_RECON},
    {"echem", "echem", NULL, CONTAINER_ARGUMENT, 0, TSCT_STAGE_ID_ECHEM},
    {"region", "region", NULL, CONTAINER_ARGUMENT, 0, TSCT_STAGE_ID_REGION},
    {"pdf", "pdf", NULL, CONTAINER_OPTION, 0, TSCT_STAGE_ID_PDF},
    {"map", "map", NULL, CONTAINER_ARGUMENT, 0, TSCT_STAGE_ID_MAP},
    {"fit", "fit", "peak", CONTAINER_ARGUMENT, 0, TSCT_STAGE_ID_FIT},
    {"particles", "particles", NULL, CONTAINER_ARGUMENT, 0, TSCT_STAGE_ID_PARTICLES},
    {"coverage", "coverage", NULL, CONTAINER_ARGUMENT, 0, TSCT_STAGE_ID_COVERAGE},
    {"refine", "refine", NULL, CONTAINER_NONE, 0, TSCT_STAGE_ID_REFINE},
    {"figures", "figure", "all", CONTAINER_ARGUMENT, 0, TSCT_STAGE_ID_FIGURE},
};

/* One step of a stage: its section into params, one stage call. */
static tsct_status run_stage_step(run_state *rs, const struct step_def *s, tsct_error *err)
{
    char line[8192];
    snprintf(line, sizeof line, "tsct %s%s%s%s%s%s", s->command, s->kind ? " " : "",
             s->kind ? s->kind : "", s->container == CONTAINER_OPTION ? " --container" : "",
             s->container == CONTAINER_NONE ? "" : " ",
             s->container == CONTAINER_NONE ? "" : rs->container);
    stage_params u;
    stage_memory m;
    tsct_stage_pipeline_values v;
    memset(&v, 0, sizeof v);
    tsct_status st = stage_params_init(s->stage, &u, &m, rs->cfg, rs->container, err);
    if (st == TSCT_OK)
        st = read_section(rs->cfg, s->section, s->stage, &u, &v, line, sizeof line, err);
    if (st == TSCT_OK && s->stage == TSCT_STAGE_ID_FIGURE && u.figure.output == m.figures) {
        tsct_stage_line_add(line, sizeof line, "--output");
        tsct_stage_line_add(line, sizeof line, m.figures);
    }
    if (st == TSCT_OK && rs->p->dry_run)
        step_report(rs, s->section, s->command, line, -1, 0.0, -1);
    else if (st == TSCT_OK)
        st = step_execute(rs, s->section, s->command, s->stage, &u, &v, line, err);
    tsct_stage_pipeline_values_release(&v);
    stage_memory_release(&m);
    return st;
}

/* ---- the integrate step ----------------------------------------------------------------- */

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
static tsct_status frames_params(const run_state *rs, const tsct_stage_frames *fd,
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
static tsct_status run_integrate(run_state *rs, tsct_error *err)
{
    tsct_stage_frames fd;
    TSCT_TRY(tsct_stage_frames_describe(rs->cfg, &fd, err));
    const int64_t n = tsct_stage_frames_available(&fd);
    rs->rep->available = n;
    if (n == 0) {
        tsct_stage_frames_path(&fd, 0, rs->rep->waiting_for, sizeof rs->rep->waiting_for);
        return TSCT_OK;
    }
    /* A calibrant frame in place of the PONI: calibrate first (when the PONI is not current). */
    if (fd.calibrant_image[0] && !rs->p->dry_run) {
        char cline[TSCT_STAGE_PATH_MAX + 64];
        snprintf(cline, sizeof cline, "calibration of %s", fd.calibrant_image);
        const tsct_stage_ctx cctx = step_ctx(rs, cline);
        const double t0 = now_s();
        int ran = 0;
        tsct_status st = tsct_stage_frames_calibrate(&fd, &cctx, &ran, err);
        if (st != TSCT_OK)
            return step_failed(rs, "calibrate", "calibrate", cline, st);
        step_report(rs, "calibrate", "calibrate", cline, ran, now_s() - t0, -1);
    }
    stage_params u;
    stage_memory m;
    stage_params_init(TSCT_STAGE_ID_INTEGRATE, &u, &m, rs->cfg, rs->container, err);
    tsct_stage_integrate_scan_params *p = &u.integrate;
    tsct_stage_pipeline_values v;
    memset(&v, 0, sizeof v);
    char *words = malloc(8192), *line = malloc(8192), *legacy = malloc(4096), *tail = malloc(4096);
    tsct_stage_settings record;
    tsct_stage_settings_init(&record);
    const char **frames = NULL;
    tsct_status st = words && line && legacy && tail
                         ? TSCT_OK
                         : tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "integrate", -1, "lines");
    if (st == TSCT_OK) {
        words[0] = line[0] = tail[0] = '\0';
        st = tsct_stage_pipeline_section(rs->cfg, "integrate", TSCT_STAGE_ID_INTEGRATE, p, &v,
                                         words, 8192, err);
        /* The settings, to notice a change (then everything is integrated again). */
        legacy_settings(&fd, words, legacy, 4096);
        snprintf(line, 8192, "tsct integrate%.4000s --container %.4000s", words, rs->container);
    }
    if (st == TSCT_OK)
        st = frames_params(rs, &fd, p, tail, 4096, err);
    if (st == TSCT_OK) {
        tsct_stage_pipeline_integrate_settings(&fd, p, &record);
        if (record.failed)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "run_settings", -1, "record");
    }
    if (st != TSCT_OK)
        goto done;
    int64_t first = integrated_steps(rs->container);
    int again = 0; /* settings changed: the stage must not keep what it finds */
    if (first > 0 && (rs->force || !integration_current(rs->container, record.text, legacy))) {
        again = 1;
        tsct_log_msg(tsct__stage_ctx(rs->ctx)->log, TSCT_LOG_INFO,
                     "run: integration settings %s: all %lld time steps are integrated again",
                     rs->force ? "forced" : "changed", (long long)n);
        first = 0;
    }
    if (first >= n) {
        step_report(rs, "integrate", "integrate", line, 0, 0.0, first);
        goto done;
    }
    /* The frames of time steps first .. n-1: an HDF5 stack (FILE::DATASET) or a folder. */
    frames = malloc((size_t)(n - first) * sizeof *frames);
    for (int64_t t = first; frames && t < n; t++) {
        char path[TSCT_STAGE_PATH_MAX], spec[TSCT_STAGE_PATH_MAX + 300];
        tsct_stage_frames_path(&fd, t, path, sizeof path);
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            snprintf(spec, sizeof spec, "%s", path);
        else
            snprintf(spec, sizeof spec, "%s::%s", path, fd.dataset);
        tsct_stage_line_add(line, 8192, spec);
        if (!(frames[t - first] = tsct_stage_pipeline_keep(&v, spec)))
            break;
    }
    if (!frames || v.n < n - first) {
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "frames", -1, "%lld frame files",
                            (long long)(n - first));
        goto done;
    }
    p->frames = frames;
    p->nframes = n - first;
    p->time_offset = first;
    if (tail[0])
        tsct_stage_line_add(line, 8192, tail + 1);
    if (first > 0) {
        char offset[64];
        snprintf(offset, sizeof offset, "--time-offset=%lld", (long long)first);
        tsct_stage_line_add(line, 8192, offset);
    }
    if (rs->p->dry_run) {
        step_report(rs, "integrate", "integrate", line, -1, 0.0, -1);
        goto done;
    }
    /* The stage's own record names the PONI's path, not its geometry: a new calibration (or
     * any changed setting the run noticed) must not look up to date to it. */
    const int forced = rs->force;
    rs->force = forced || again;
    st = step_execute(rs, "integrate", "integrate", TSCT_STAGE_ID_INTEGRATE, &u, &v, line, err);
    rs->force = forced;
    if (st != TSCT_OK)
        goto done;
    tsct_container *c = NULL;
    st = tsct_container_open(rs->container, TSCT_OPEN_WRITE, &c, err);
    if (st == TSCT_OK)
        st = tsct_container_set_attr_string(c, TSCT_PATH_PROCESS "/integrate", "run_settings",
                                            record.text, err);
    if (c) {
        tsct_status cst = tsct_container_close(c, st == TSCT_OK ? err : NULL);
        if (st == TSCT_OK)
            st = cst;
    }
    if (st != TSCT_OK)
        step_failed(rs, "integrate", "integrate", line, st);
done:
    free(frames);
    free(words);
    free(line);
    free(legacy);
    free(tail);
    tsct_stage_pipeline_values_release(&v);
    tsct_stage_settings_release(&record);
    stage_memory_release(&m);
    return st;
}

/* ---- the run ---------------------------------------------------------------------------- */

tsct_status tsct_stage_run_check(const tsct_ini *cfg, tsct_error *err)
{
    TSCT_TRY(tsct_stage_pipeline_check(cfg, err));
    char container[TSCT_STAGE_PATH_MAX];
    tsct_stage_path_resolve(cfg, config_get(cfg, "experiment", "container"), container,
                            sizeof container);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const struct step_def *s = &steps[i];
        if (!tsct_ini_has_section(cfg, s->section))
            continue;
        stage_params params;
        stage_memory m;
        tsct_stage_pipeline_values v;
        memset(&v, 0, sizeof v);
        char line[8192] = "";
        tsct_status st = stage_params_init(s->stage, &params, &m, cfg, container, err);
        if (st == TSCT_OK)
            st = tsct_stage_pipeline_section(cfg, s->section, s->stage, &params, &v, line,
                                             sizeof line, err);
        tsct_stage_pipeline_values_release(&v);
        stage_memory_release(&m);
        TSCT_TRY(st);
    }
    return TSCT_OK;
}

tsct_status tsct_stage_run(const tsct_ini *cfg, const tsct_stage_run_params *params,
                           const tsct_stage_ctx *ctx, tsct_stage_run_report *report,
                           tsct_error *err)
{
    static const tsct_stage_run_params defaults = TSCT_STAGE_RUN_PARAMS_DEFAULT;
    memset(report, 0, sizeof *report);
    report->available = -1;
    tsct_stage_path_resolve(cfg, config_get(cfg, "experiment", "container"), report->container,
                            sizeof report->container);
    run_state rs = {cfg, params ? params : &defaults, ctx, report, report->container, 0};
    rs.force = rs.p->force;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const struct step_def *s = &steps[i];
        const tsct_ini_entry *enabled = tsct_ini_find(cfg, s->section, "enabled");
        int on = 1;
        if (enabled && tsct_ini_value_bool(cfg, enabled, &on, NULL) == TSCT_OK && !on)
            continue;
        if (s->stage == TSCT_STAGE_ID_INTEGRATE) {
            if (!tsct_ini_has_section(cfg, "frames"))
                continue;
            TSCT_TRY(run_integrate(&rs, err));
            if (report->available == 0)
                return TSCT_OK; /* nothing to process yet */
            continue;
        }
        if (!tsct_ini_has_section(cfg, s->section) && !s->default_on)
            continue;
        TSCT_TRY(run_stage_step(&rs, s, err));
    }
    return TSCT_OK;
}

tsct_status tsct_stage_run_file(const char *path, const tsct_stage_run_params *params,
                                const tsct_stage_ctx *ctx, tsct_stage_run_report *report,
                                tsct_error *err)
{
    memset(report, 0, sizeof *report);
    report->available = -1;
    tsct_ini cfg;
    TSCT_TRY(tsct_ini_read(&cfg, path, err));
    tsct_status st = tsct_stage_run_check(&cfg, err);
    if (st == TSCT_OK)
        st = tsct_stage_run(&cfg, params, ctx, report, err);
    tsct_ini_release(&cfg);
    return st;
}
