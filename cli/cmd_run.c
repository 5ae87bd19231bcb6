/* cmd_run.c - `tsct run PIPELINE.cfg`: every step of an experiment from one configuration.
 *
 * The configuration is an INI file: [experiment] names the container, [frames] the detector
 * frames and the scan (or the simulator's scan.ini), and one section per step holds that
 * step's options, written as the long options of its own command without the dashes
 * (`filter = trimmed:10,90` in [integrate] is `tsct integrate --filter trimmed:10,90`).
 * The run is one library call, tsct_stage_run (lib/stage/stage_run.c: each step one stage
 * call through the option layer, incremental, resumable); this command reads the file,
 * prints a line per step, and with --watch polls for new frame files.
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
#include "tsct/stage.h"

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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A step done: its line (or, in a dry run, its command line). */
static void on_step(void *user, const tsct_stage_run_step *s)
{
    (void)user;
    if (s->ran < 0)
        printf("%s\n", s->line);
    else if (s->time_steps >= 0)
        fprintf(stderr, "tsct run: %-10s up to date (%lld time steps)\n", s->label,
                (long long)s->time_steps);
    else
        fprintf(stderr, "tsct run: %-10s %s (%.1f s)\n", s->label, s->ran ? "done" : "up to date",
                s->seconds);
}

/* One pass; on failure the stage's message as its command gives it, then the step named. */
static int run_pass(const tsct_cli *cli, const tsct_ini *cfg, const tsct_stage_run_params *p,
                    tsct_stage_run_report *rep)
{
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    ctx.incremental = 1;
    tsct_error err = TSCT_ERROR_INIT;
    char container[TSCT_STAGE_PATH_MAX];
    tsct_stage_path_resolve(cfg, tsct_ini_get(cfg, "experiment", "container"), container,
                            sizeof container);
    tsct_cli_guard_file(container);
    tsct_status st = tsct_stage_run(cfg, p, &ctx, rep, &err);
    tsct_cli_guard_file(NULL);
    if (st != TSCT_OK && !rep->failed[0])
        return tsct_cli_fail(cli, &err);
    if (st != TSCT_OK) {
        tsct_cli sub = *cli;
        sub.command = rep->failed_command;
        tsct_cli_fail(&sub, &err);
        fprintf(stderr, "tsct run: step %s failed (exit %d): %s\n", rep->failed, TSCT_EXIT_FAIL,
                rep->line);
        return TSCT_EXIT_FAIL;
    }
    if (rep->available == 0)
        fprintf(stderr, "tsct run: no frames yet (%s does not exist)\n", rep->waiting_for);
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
    tsct_stage_run_params p = TSCT_STAGE_RUN_PARAMS_DEFAULT;
    p.on_step = on_step;
    p.tables = stdout;
    double watch = -1;
    int64_t until = -1;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (ch) {
        case O_TEMPLATE: fputs(template_text, stdout); return TSCT_EXIT_OK;
        case O_FORCE: p.force = 1; break;
        case O_DRY: p.dry_run = 1; break;
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
    tsct_ini cfg;
    if (tsct_ini_read(&cfg, argv[optind], &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    if (tsct_stage_run_check(&cfg, &err) != TSCT_OK) {
        tsct_ini_release(&cfg);
        return tsct_cli_fail(cli, &err);
    }
    if (watch > 0) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
    int64_t last = -2;
    int nran = 0, nskipped = 0;
    const double t0 = now_s();
    tsct_stage_run_report rep;
    int rc;
    for (;;) {
        rc = run_pass(cli, &cfg, &p, &rep);
        nran += rep.nran;
        nskipped += rep.nskipped;
        if (rc != TSCT_EXIT_OK || watch <= 0 || p.dry_run)
            break;
        if (rep.available < 0) {
            fprintf(stderr, "tsct run: --watch needs a [frames] section\n");
            rc = TSCT_EXIT_USAGE;
            break;
        }
        if (until > 0 && rep.available >= until)
            break;
        if (rep.available != last)
            fprintf(stderr, "tsct run: %lld time step(s) processed; waiting for more frames\n",
                    (long long)rep.available);
        last = rep.available;
        /* Sleep until the next poll, or until a signal. */
        for (double slept = 0; slept < watch && !stop_watch; slept += 0.2)
            usleep(200000);
        if (stop_watch) {
            fprintf(stderr, "tsct run: stopped; every finished step is in %s\n", rep.container);
            break;
        }
        p.force = 0;
    }
    if (rc == TSCT_EXIT_OK && !p.dry_run)
        fprintf(stderr, "tsct run: %d step(s) run, %d up to date, %.1f s; results: %s\n", nran,
                nskipped, now_s() - t0, rep.container);
    tsct_ini_release(&cfg);
    return rc;
}
