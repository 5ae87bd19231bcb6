/* cli.h - what the subcommands of the `tsct` program share.
 *
 * The program is a dispatch table (main.c) over one file per subcommand (cmd_*.c). Each
 * subcommand receives the global settings (verbosity, threads, a log sink that writes to
 * stderr, a progress sink that draws a bar only on a terminal) and its own arguments, and
 * returns the process exit code. Only public headers of libtsct are used here.
 *
 * Exit codes: 0 success, 1 failure (a message on stderr names the file, item and reason),
 * 2 usage error.
 */
#ifndef TSCT_CLI_H
#define TSCT_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "tsct/container.h"
#include "tsct/log.h"
#include "tsct/progress.h"
#include "tsct/publish.h"
#include "tsct/stage.h"
#include "tsct/status.h"

enum { TSCT_EXIT_OK = 0, TSCT_EXIT_FAIL = 1, TSCT_EXIT_USAGE = 2 };

typedef struct tsct_cli {
    const char *command;      /* subcommand name */
    int verbosity;            /* -q: -1, default 0, -v: 1, -vv: 2 */
    int nthreads;             /* --threads; 0 = all cores */
    tsct_log log;             /* to stderr, level from verbosity */
    tsct_progress_sink progress;  /* bar on a terminal, nothing otherwise */
    char command_line[8192];  /* the whole command line, for provenance */
    int skip_current;         /* 1: a step whose record in /entry/process has the same
                                 fingerprint is not run again (set by `tsct run`) */
    const tsct_mpi *mpi;      /* the ranks under mpirun (NULL: one process); docs/mpi.md */
} tsct_cli;

typedef struct tsct_cli_command {
    const char *name;
    int (*run)(tsct_cli *cli, int argc, char **argv);
    const char *summary;  /* one line for `tsct help` */
    const char *usage;    /* full help text for `tsct CMD --help` */
} tsct_cli_command;

/* The subcommands, one file each (cmd_NAME.c), with their usage texts. */
int tsct_cmd_help(tsct_cli *cli, int argc, char **argv);
int tsct_cmd_version(tsct_cli *cli, int argc, char **argv);
int tsct_cmd_info(tsct_cli *cli, int argc, char **argv);
int tsct_cmd_import(tsct_cli *cli, int argc, char **argv);
int tsct_cmd_map(tsct_cli *cli, int argc, char **argv);
int tsct_cmd_coverage(tsct_cli *cli, int argc, char **argv);
extern const char tsct_usage_help[], tsct_usage_version[], tsct_usage_info[],
    tsct_usage_import[], tsct_usage_map[], tsct_usage_coverage[];
int tsct_cmd_pattern(tsct_cli *cli, int argc, char **argv);   /* cmd_powder.c */
int tsct_cmd_debye(tsct_cli *cli, int argc, char **argv);     /* cmd_powder.c */
extern const char tsct_usage_pattern[], tsct_usage_debye[];
int tsct_cmd_sinogram(tsct_cli *cli, int argc, char **argv); /* cmd_sino.c */
int tsct_cmd_recon(tsct_cli *cli, int argc, char **argv);    /* cmd_sino.c */
extern const char tsct_usage_sinogram[], tsct_usage_recon[];
int tsct_cmd_pdf(tsct_cli *cli, int argc, char **argv);
int tsct_cmd_simulate(tsct_cli *cli, int argc, char **argv);
extern const char tsct_usage_simulate[];
extern const char tsct_usage_pdf[];
int tsct_cmd_integrate(tsct_cli *cli, int argc, char **argv);
extern const char tsct_usage_integrate[];
int tsct_cmd_frames(tsct_cli *cli, int argc, char **argv);
int tsct_cmd_run(tsct_cli *cli, int argc, char **argv);
int tsct_cmd_score(tsct_cli *cli, int argc, char **argv);
int tsct_cmd_figure(tsct_cli *cli, int argc, char **argv);
int tsct_cmd_echem(tsct_cli *cli, int argc, char **argv);
int tsct_cmd_region(tsct_cli *cli, int argc, char **argv);
int tsct_cmd_particles(tsct_cli *cli, int argc, char **argv);
extern const char tsct_usage_particles[];
extern const char tsct_usage_region[];
extern const char tsct_usage_echem[];
extern const char tsct_usage_figure[];
extern const char tsct_usage_score[];
extern const char tsct_usage_run[];
extern const char tsct_usage_frames[];
int tsct_cmd_calibrate(tsct_cli *cli, int argc, char **argv);
extern const char tsct_usage_calibrate[];
int tsct_cmd_fit(tsct_cli *cli, int argc, char **argv);
extern const char tsct_usage_fit[];
int tsct_cmd_edxrd(tsct_cli *cli, int argc, char **argv);
extern const char tsct_usage_edxrd[];
int tsct_cmd_refine(tsct_cli *cli, int argc, char **argv);
extern const char tsct_usage_refine[];

/* The table (main.c), terminated by a NULL name, and the text above its listing. */
extern const tsct_cli_command tsct_cli_commands[];
extern const char tsct_cli_global_help[];

/* The row of the table named `name`, or NULL (cmd_help.c). */
const tsct_cli_command *tsct_cli_find_command(const char *name);

/* The global usage followed by the list of commands (cmd_help.c). */
void tsct_cli_print_help(FILE *out);

/* 1 on a rank other than 0 under mpirun: a command whose mode does not split its work over
 * the ranks (images into .xy files, a plain array's reconstruction) returns at once there,
 * leaving the work to rank 0. */
int tsct_cli_rank_idle(const tsct_cli *cli);

/* The stage context of this command: its threads, log, progress, incremental flag
 * (skip_current) and command line (include/tsct/stage.h). Valid while cli is. */
struct tsct_stage_ctx tsct_cli_stage_ctx(const tsct_cli *cli);

/* Print "tsct CMD: error: MESSAGE" for a failed status and return TSCT_EXIT_FAIL. */
int tsct_cli_fail(const tsct_cli *cli, const tsct_error *err);

/* Print "tsct CMD: MESSAGE" plus a pointer to --help, return TSCT_EXIT_USAGE. */
int tsct_cli_usage_error(const tsct_cli *cli, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The option getopt_long has just parsed, as written ("--angles" for "--angles 0" and for
 * "--angles=0"), for messages about its value arg (optarg). Valid until the next call. */
const char *tsct_cli_option_name(char **argv, int ind, const char *arg);
/* Parse a whole decimal integer / finite double option value; 0 on success, -1 otherwise. */
int tsct_cli_parse_int64(const char *s, int64_t *out);
int tsct_cli_parse_double(const char *s, double *out);

/* Parse the options of argv (from argv[1]) with getopt_long: those in the stage's table
 * (include/tsct/stage.h, "options") into params through tsct_stage_option_set, so a command
 * and `tsct run` take the same options with the same checks; the command's own options (own,
 * a table of the same form, NULL-terminated; NULL: none) and the stage's front-end options
 * (front = 1: files the command writes) through on_own(cli, data, NAME, VALUE), VALUE NULL
 * for a flag and "A B" for a pair. Leaves optind at the first operand. Returns 0, on_own's
 * non-zero return, or the exit code of a usage error or failure it reported. */
int tsct_cli_stage_options(tsct_cli *cli, int argc, char **argv, tsct_stage_id stage,
                           void *params, const tsct_stage_option *own,
                           int (*on_own)(tsct_cli *cli, void *data, const char *name,
                                         const char *value),
                           void *data);
/* tsct_stage_options_check as a usage error (its exit code), or 0. */
int tsct_cli_stage_check(tsct_cli *cli, tsct_stage_id stage, const void *params);

/* Report a crash of the HDF5 library on a corrupt file as an error naming the file (guard.c).
 * install: once, from main; file: the HDF5 file now being read (NULL or "" when none). */
void tsct_cli_guard_install(const char *command);
void tsct_cli_guard_file(const char *path);

/* Human-readable sizes and durations for summaries. */
void tsct_cli_format_bytes(char *buf, size_t size, double bytes);

#endif
