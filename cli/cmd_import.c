/* cmd_import.c - `tsct import`: copy an array from any HDF5 file into a container stage.
 *
 * The options become a tsct_stage_import_params and one call of tsct_stage_import
 * (lib/stage/stage_import.c: a resumable, row-by-row copy).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tsct/container.h"
#include "tsct/publish.h"
#include "tsct/stage.h"

const char tsct_usage_import[] =
    "usage: tsct import SOURCE.h5::/dataset -o EXP.h5 [options]\n"
    "\n"
    "Copy an array from any HDF5 file into a stage of the experiment container EXP.h5\n"
    "(created if missing), row by row without loading it whole. The array's last axis is\n"
    "the pattern axis; arrays with fewer than 5 axes get leading axes of length 1, so\n"
    "[ny][nx][nq] becomes recon [1][1][ny][nx][nq]. Integer and float arrays are stored as\n"
    "float32. The import is a resumable step: run the same command again after an\n"
    "interruption and it continues where it stopped.\n"
    "\n"
    "Options:\n"
    "  -o, --output EXP.h5     the container (required)\n"
    "  -s, --stage NAME        integrated | sinograms | recon | pdf (default: recon)\n"
    "  -a, --axis SRC::/path   1-D values of the last axis (q in 1/A, or r in A for pdf)\n"
    "  -u, --axis-units U      units of those values (default: A^-1, or A for pdf)\n"
    "  -t, --time T            store as time steps T, T+1, ... of an existing stage\n"
    "                          (operando: append); default: replace the stage\n"
    "      --deflate N         compression level 0..9 (default 1; 0 = none)\n"
    "\n"
    "Example:\n"
    "  tsct import patterns.h5::/data -a patterns.h5::/q -s integrated -o exp.h5\n";

static const struct {
    const char *name;
    tsct_stage_import_target target;
} stages[] = {
    {"integrated", TSCT_STAGE_IMPORT_INTEGRATED},
    {"sinograms", TSCT_STAGE_IMPORT_SINOGRAMS},
    {"recon", TSCT_STAGE_IMPORT_RECON},
    {"pdf", TSCT_STAGE_IMPORT_PDF},
};

struct import_opts {
    const char *source, *output, *stage, *axis, *units;
    int64_t time;
    int64_t deflate;
};

static int parse_options(tsct_cli *cli, int argc, char **argv, struct import_opts *o)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},   {"stage", required_argument, NULL, 's'},
        {"axis", required_argument, NULL, 'a'},     {"axis-units", required_argument, NULL, 'u'},
        {"time", required_argument, NULL, 't'},     {"deflate", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->stage = "recon";
    o->time = -1;
    o->deflate = 1;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:s:a:u:t:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'o': o->output = optarg; break;
        case 's': o->stage = optarg; break;
        case 'a': o->axis = optarg; break;
        case 'u': o->units = optarg; break;
        case 't':
            if (tsct_cli_parse_int64(optarg, &o->time) != 0 || o->time < 0)
                return tsct_cli_usage_error(cli, "--time expects a time step >= 0, got '%s'",
                                            optarg);
            break;
        case 'd':
            if (tsct_cli_parse_int64(optarg, &o->deflate) != 0 || o->deflate < 0 ||
                o->deflate > 9)
                return tsct_cli_usage_error(cli, "--deflate expects 0..9, got '%s'", optarg);
            break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind >= argc ? "missing SOURCE.h5::/dataset"
                                                        : "one source at a time");
    o->source = argv[optind];
    if (!o->output)
        return tsct_cli_usage_error(cli, "missing -o EXP.h5");
    return 0;
}

int tsct_cmd_import(tsct_cli *cli, int argc, char **argv)
{
    struct import_opts o;
    int rc = parse_options(cli, argc, argv, &o);
    if (rc)
        return rc;
    tsct_stage_import_params p = TSCT_STAGE_IMPORT_PARAMS_DEFAULT;
    int si = -1;
    for (int i = 0; i < (int)(sizeof stages / sizeof stages[0]); i++)
        if (strcmp(stages[i].name, o.stage) == 0)
            si = i;
    if (si < 0)
        return tsct_cli_usage_error(cli, "--stage must be integrated, sinograms, recon or pdf, "
                                         "not '%s'", o.stage);
    p.source = o.source;
    p.target = stages[si].target;
    p.axis = o.axis;
    p.axis_units = o.units;
    p.time = o.time;
    p.deflate = (int)o.deflate;
    char file[TSCT_PATH_MAX], dset[1024];
    tsct_path_split(o.source, file, sizeof file, dset, sizeof dset);
    tsct_cli_guard_file(file);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_status st = tsct_stage_import(o.output, &p, &ctx, NULL, &err);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
