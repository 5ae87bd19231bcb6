/* main.c - the `tsct` program: global options, the table of subcommands, and dispatch.
 *
 * Global options may appear anywhere before "--": -q/--quiet, -v/--verbose (twice for debug),
 * --threads N, --force, --compression C. They are removed from argv before the subcommand parses the rest, so
 * every subcommand accepts them without knowing about them (`tsct run --force` keeps its own
 * meaning: run every step again).
 *
 * `tsct CMD --help` and `tsct help CMD` print the subcommand's usage from the table.
 *
 * The write rule (include/tsct/publish.h) is set here once for every command: an output never
 * replaces an input, and an existing output is replaced only with --force.
 *
 * Under mpirun (an MPI build, docs/mpi.md) every rank parses the same command line; the
 * commands whose stages split their work over ranks (ranked_commands) run on every rank,
 * rank 0 alone logging progress and messages other than errors; any other command runs on
 * rank 0 while the others wait. Every rank exits with the worst rank's status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tsct/container.h"
#include "tsct/mpi.h"
#include "tsct/publish.h"
#include "tsct/version.h"


const tsct_cli_command tsct_cli_commands[] = {
    {"help", tsct_cmd_help, "list the commands, or show the help of one", tsct_usage_help},
    {"version", tsct_cmd_version, "print the version (-v: libraries and compiled-in features)",
     tsct_usage_version},
    {"info", tsct_cmd_info, "summarise an experiment container: stages, steps, geometry",
     tsct_usage_info},
    {"import", tsct_cmd_import,
     "copy an array from an HDF5 file into a container stage (resumable)", tsct_usage_import},
    {"simulate", tsct_cmd_simulate, "a synthetic operando experiment with its ground truth",
     tsct_usage_simulate},
    {"pattern", tsct_cmd_pattern, "calculated powder pattern or reflection table of a CIF",
     tsct_usage_pattern},
    {"debye", tsct_cmd_debye, "Debye scattering I(Q) of a cluster cut from a CIF",
     tsct_usage_debye},
    {"frames", tsct_cmd_frames, "describe the frames of a scan: count, shape, metadata, masks",
     tsct_usage_frames},
    {"calibrate", tsct_cmd_calibrate, "detector geometry (a PONI) from a calibrant frame",
     tsct_usage_calibrate},
    {"edxrd", tsct_cmd_edxrd,
     "energy-dispersive spectra (MCA) of layers over time -> integrated cube on d or q",
     tsct_usage_edxrd},
    {"integrate", tsct_cmd_integrate, "azimuthally integrate detector images into .xy patterns",
     tsct_usage_integrate},
    {"sinogram", tsct_cmd_sinogram, "integrated cube -> centred sinograms (resumable)",
     tsct_usage_sinogram},
    {"recon", tsct_cmd_recon, "reconstruct sinograms: FBP, SIRT, CGLS (resumable)",
     tsct_usage_recon},
    {"run", tsct_cmd_run, "every step of an experiment from one pipeline file (incremental)",
     tsct_usage_run},
    {"particles", tsct_cmd_particles,
     "particles of a phase map, their sizes, a parameter map by depth below their surface",
     tsct_usage_particles},
    {"region", tsct_cmd_region, "mean reconstructed pattern of a region per time step",
     tsct_usage_region},
    {"echem", tsct_cmd_echem, "electrochemistry into the container; state of charge per tomogram",
     tsct_usage_echem},
    {"figure", tsct_cmd_figure, "PNG figures: maps, grids over time, composites, films, plots",
     tsct_usage_figure},
    {"score", tsct_cmd_score, "phase maps of a simulated experiment against its ground truth",
     tsct_usage_score},
    {"pdf", tsct_cmd_pdf, "patterns or voxels to S(Q), F(Q), G(r) as PDFgetX3 does",
     tsct_usage_pdf},
    {"map", tsct_cmd_map, "phase and intensity maps from reconstructed patterns or PDFs",
     tsct_usage_map},
    {"coverage", tsct_cmd_coverage,
     "voxel counts of a thresholded map over time, masks and difference maps",
     tsct_usage_coverage},
    {"fit", tsct_cmd_fit, "peak fits per voxel (/entry/fits) or per time step (CSV)",
     tsct_usage_fit},
    {"refine", tsct_cmd_refine, "full-profile (Rietveld) refinement of a pattern; instrument profile",
     tsct_usage_refine},
    {NULL, NULL, NULL, NULL},
};

const char tsct_cli_global_help[] =
    "usage: tsct [-q | -v] [--threads N] COMMAND [ARGS...]\n"
    "\n"
    "tsct turns the frames of X-ray diffraction and total-scattering computed tomography\n"
    "scans into per-voxel patterns, PDFs, maps and fits, in one HDF5 container per\n"
    "experiment (see docs/FORMAT.md).\n"
    "\n"
    "Global options (anywhere before --):\n"
    "  -q, --quiet        errors only\n"
    "  -v, --verbose      more detail (-v -v: debug)\n"
    "      --threads N    threads for parallel steps (default: all cores)\n"
    "      --force        replace existing output files (without it they are kept and the\n"
    "                     command fails); an output never replaces one of its inputs\n"
    "      --compression C  datasets written: zstd (the default: Blosc-zstd), lz4,\n"
    "                     deflate[:LEVEL] or none (docs/FORMAT.md); a command's --deflate\n"
    "                     0 or 2..9 still applies\n"
    "  -h, --help         help of tsct or of COMMAND\n"
    "\n"
    "Commands:\n";

static void log_to_stderr(void *user, tsct_log_level level, const char *line)
{
    (void)user;
    /* One write per line so lines from several threads do not interleave. */
    char buf[2200];
    const char *prefix = level == TSCT_LOG_ERROR  ? "error: "
                         : level == TSCT_LOG_WARN ? "warning: "
                                                  : "";
    int n = snprintf(buf, sizeof buf, "%s%s\n", prefix, line);
    if (n > 0)
        fwrite(buf, 1, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, stderr);
}

/* The commands whose stages deal their units over MPI ranks (tsct/mpi.h). */
static const char *const ranked_commands[] = {"integrate", "recon", "pdf", "map", NULL};

static int ranked(const char *name)
{
    for (int i = 0; ranked_commands[i]; i++)
        if (strcmp(ranked_commands[i], name) == 0)
            return 1;
    return 0;
}

static void log_rank_to_stderr(void *user, tsct_log_level level, const char *line)
{
    char buf[2100];
    snprintf(buf, sizeof buf, "[rank %d] %.2000s", *(const int *)user, line);
    log_to_stderr(NULL, level, buf);
}

/* The command on this rank: every rank for a ranked command, rank 0 alone otherwise. */
static int run_ranked(const tsct_cli_command *cmd, tsct_cli *cli, int argc, char **argv)
{
    static int rank;
    rank = tsct_mpi_rank(cli->mpi);
    if (rank != 0) {
        if (!ranked(cmd->name))
            return TSCT_EXIT_OK;
        cli->log.level = TSCT_LOG_ERROR;
        cli->log.fn = log_rank_to_stderr;
        cli->log.user = &rank;
        cli->progress.fn = NULL;
    }
    return cmd->run(cli, argc, argv);
}

static void progress_to_terminal(void *user, const tsct_progress_state *s)
{
    (void)user;
    char line[256];
    tsct_progress_format(s, 78, line, sizeof line);
    fprintf(stderr, "\r%-78s%s", line, s->finished ? "\n" : "");
    fflush(stderr);
}

int main(int argc, char **argv)
{
    tsct_cli cli;
    memset(&cli, 0, sizeof cli);
    cli.command = "";

    size_t used = 0;
    for (int i = 0; i < argc && used < sizeof cli.command_line; i++) {
        int n = snprintf(cli.command_line + used, sizeof cli.command_line - used, "%s%s",
                         i ? " " : "", i ? argv[i] : "tsct");
        if (n < 0)
            break;
        used += (size_t)n;
    }

    /* Take the global options out of argv. */
    int out = 1, help = 0, force = 0;
    const char *threads = NULL, *compression = NULL;
    const int is_run = argc > 1 && strcmp(argv[1], "run") == 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (i < argc)
                argv[out++] = argv[i++];
            break;
        }
        if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
            cli.verbosity = -1;
        else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
            cli.verbosity = cli.verbosity < 0 ? 1 : cli.verbosity + 1;
        else if (strcmp(a, "-vv") == 0)
            cli.verbosity = 2;
        else if (strcmp(a, "--threads") == 0 && i + 1 < argc)
            threads = argv[++i];
        else if (strncmp(a, "--threads=", 10) == 0)
            threads = a + 10;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            help = 1;
        else if (strcmp(a, "--compression") == 0 && i + 1 < argc)
            compression = argv[++i];
        else if (strncmp(a, "--compression=", 14) == 0)
            compression = a + 14;
        else if (strcmp(a, "--force") == 0 && !is_run)
            force = 1;
        else
            argv[out++] = argv[i];
    }
    argc = out;
    argv[argc] = NULL;

    if (argc < 2) {
        tsct_cli_print_help(help ? stdout : stderr);
        return help ? TSCT_EXIT_OK : TSCT_EXIT_USAGE;
    }
    const tsct_cli_command *cmd = tsct_cli_find_command(argv[1]);
    if (!cmd) {
        fprintf(stderr, "tsct: unknown command '%s' (see 'tsct help')\n", argv[1]);
        return TSCT_EXIT_USAGE;
    }
    cli.command = cmd->name;
    if (help) {
        fputs(cmd->usage, stdout);
        return TSCT_EXIT_OK;
    }
    if (threads) {
        int64_t n;
        if (tsct_cli_parse_int64(threads, &n) != 0 || n < 0 || n > 4096)
            return tsct_cli_usage_error(&cli, "--threads expects a count from 0 to 4096, got '%s'",
                                        threads);
        cli.nthreads = (int)n;
    }
    /* The default by measurement (docs/FORMAT.md, "Compression"): zstd through Blosc, deflate
     * where that plugin is missing. */
    tsct_compression kind = TSCT_COMPRESSION_ZSTD;
    int level = 1;
    tsct_error err = TSCT_ERROR_INIT;
    if (compression && tsct_compression_parse(compression, &kind, &level, &err) != TSCT_OK)
        return tsct_cli_usage_error(&cli, "--compression: %s", err.message);
    if (tsct_compression_check(kind, &err) == TSCT_OK)
        tsct_compression_set_default(kind, level);
    else if (compression) {
        fprintf(stderr, "tsct: --compression: %s\n", err.message);
        return TSCT_EXIT_FAIL;
    }
    cli.log.level = cli.verbosity < 0    ? TSCT_LOG_ERROR
                    : cli.verbosity == 0 ? TSCT_LOG_INFO
                                         : TSCT_LOG_DEBUG;
    cli.log.fn = log_to_stderr;
    cli.progress.fn = isatty(STDERR_FILENO) && cli.verbosity >= 0 ? progress_to_terminal : NULL;
    cli.progress.interval_s = 0.25;
    tsct_publish_protect_inputs(1);
    tsct_publish_set_replace(force);
    tsct_cli_guard_install(cmd->name);
    tsct_mpi *mpi = NULL;
    if (tsct_mpi_init(&argc, &argv, &mpi, &err) != TSCT_OK) {
        fprintf(stderr, "tsct: MPI: %s\n", err.message);
        return TSCT_EXIT_FAIL;
    }
    cli.mpi = mpi;
    int rc = mpi ? run_ranked(cmd, &cli, argc - 1, argv + 1) : cmd->run(&cli, argc - 1, argv + 1);
    rc = tsct_mpi_max(mpi, rc);
    tsct_mpi_destroy(mpi);
    return rc;
}
