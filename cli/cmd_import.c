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
#include "tsct/powder.h"
#include "tsct/publish.h"
#include "tsct/stage.h"

const char tsct_usage_import[] =
    "usage: tsct import SOURCE -o EXP.h5 [options]\n"
    "\n"
    "Bring data of other programs into a stage of the experiment container EXP.h5 (created\n"
    "if missing), row by row without loading them whole, with the scan axes later steps need\n"
    "(docs/import.md). SOURCE, by --layout:\n"
    "  array   FILE.h5::/dataset: the stage's array; the last axis is the pattern axis and\n"
    "          arrays with fewer than 5 axes get leading axes of length 1 ([ny][nx][nq]\n"
    "          becomes recon [1][1][ny][nx][nq])\n"
    "  pyfai   FILE.h5 written by pyFAI's HDF5Writer (pyFAI-integrate, the worker): the frames\n"
    "          of its NXdata (found by @default) in acquisition order, cut into scans by\n"
    "          --angles, --translations and --slices; q from its radial axis\n"
    "  ndtomo  FILE.h5::/dataset: an nDTomo sinogram cube [translations][angles][channels]\n"
    "          ([slices] first for several), q from the dataset 'q' beside it\n"
    "  xy      TABLE.csv: a stack of text patterns (.xy, .chi, .dat), one per line of the\n"
    "          table (columns file, angle, translation, optionally time and slice); the\n"
    "          table's distinct values are the scan axes, the first pattern's x is q\n"
    "Integer and float data are stored as float32. The import is a resumable step: run the\n"
    "same command again after an interruption and it continues where it stopped.\n"
    "\n"
    "Options:\n"
    "  -o, --output EXP.h5     the container (required)\n"
    "  -s, --stage NAME        integrated | sinograms | recon | pdf (default: recon; pyfai,\n"
    "                          xy: integrated)\n"
    "  -l, --layout L          array (default), pyfai, ndtomo or xy\n"
    "  -a, --axis SRC::/path   1-D values of the last axis (q, or r for pdf)\n"
    "  -u, --axis-units U      their units: A^-1 or nm^-1 (converted), 2th_deg or 2th_rad\n"
    "                          (with the wavelength); A or nm for pdf (default: the dataset's\n"
    "                          units attribute, else A^-1 or A)\n"
    "      --angles SPEC       rotation angles: SRC.h5::/path (::/path: in SOURCE's file) or\n"
    "                          A:B:N (N angles from A, B excluded), deg\n"
    "      --translations SPEC translation positions: SRC.h5::/path or A:B:N (A to B, both\n"
    "                          included), mm\n"
    "      --times SPEC        start time of each tomogram: SRC.h5::/path or A:B:N, s\n"
    "      --angle-units U     deg or rad; --translation-units mm, um, m, nm; --time-units\n"
    "                          s, min, h (default: the dataset's units attribute, else deg,\n"
    "                          mm, s)\n"
    "      --slices N          pyfai: slices per scan (default 1)\n"
    "      --zigzag            snake scan: every other angle row recorded backwards\n"
    "      --wavelength A      X-ray wavelength in A (or --energy KEV)\n"
    "  -t, --time T            store as time steps T, T+1, ... of an existing stage\n"
    "                          (operando: append); default: replace the stage\n"
    "      --deflate N         compression level 0..9 (default 1; 0 = none)\n"
    "\n"
    "Examples:\n"
    "  tsct import patterns.h5::/data -a patterns.h5::/q -s integrated -o exp.h5\n"
    "  tsct import scan_pyfai.h5 --layout pyfai --angles 0:180:61 --translations -5:5:101\n"
    "              --zigzag --energy 87 -o exp.h5\n"
    "  tsct import sinos.h5::/data --layout ndtomo -s integrated --angles 0:180:100\n"
    "              --translations -2:2:120 -o exp.h5\n"
    "  tsct import scan.csv --layout xy --axis-units 2th_deg --energy 87 -o exp.h5\n";

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
    const char *source, *output, *stage, *axis, *units, *layout;
    int64_t time;
    int64_t deflate;
    tsct_stage_import_params scan;  /* scan axes, units, slices, zigzag, wavelength */
};

static int parse_options(tsct_cli *cli, int argc, char **argv, struct import_opts *o)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},   {"stage", required_argument, NULL, 's'},
        {"axis", required_argument, NULL, 'a'},     {"axis-units", required_argument, NULL, 'u'},
        {"time", required_argument, NULL, 't'},     {"deflate", required_argument, NULL, 'd'},
        {"layout", required_argument, NULL, 'l'},   {"angles", required_argument, NULL, 1000},
        {"translations", required_argument, NULL, 1001}, {"times", required_argument, NULL, 1002},
        {"angle-units", required_argument, NULL, 1003},
        {"translation-units", required_argument, NULL, 1004},
        {"time-units", required_argument, NULL, 1005}, {"slices", required_argument, NULL, 1006},
        {"zigzag", no_argument, NULL, 1007},        {"wavelength", required_argument, NULL, 1008},
        {"energy", required_argument, NULL, 1009},
        {NULL, 0, NULL, 0},
    };
    const tsct_stage_import_params defaults = TSCT_STAGE_IMPORT_PARAMS_DEFAULT;
    memset(o, 0, sizeof *o);
    o->scan = defaults;
    o->stage = NULL;
    o->layout = "array";
    double v;
    o->time = -1;
    o->deflate = 1;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:s:a:u:t:l:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'l': o->layout = optarg; break;
        case 1000: o->scan.angles = optarg; break;
        case 1001: o->scan.translations = optarg; break;
        case 1002: o->scan.times = optarg; break;
        case 1003: o->scan.angle_units = optarg; break;
        case 1004: o->scan.translation_units = optarg; break;
        case 1005: o->scan.time_units = optarg; break;
        case 1006:
            if (tsct_cli_parse_int64(optarg, &o->scan.slices) != 0 || o->scan.slices < 1)
                return tsct_cli_usage_error(cli, "--slices expects N >= 1, got '%s'", optarg);
            break;
        case 1007: o->scan.zigzag = 1; break;
        case 1008:
        case 1009:
            if (tsct_cli_parse_double(optarg, &v) != 0 || !(v > 0))
                return tsct_cli_usage_error(cli, "%s expects a value > 0, got '%s'",
                                            ch == 1008 ? "--wavelength" : "--energy", optarg);
            o->scan.wavelength = ch == 1008 ? v : TSCT_HC_KEV_ANGSTROM / v;
            break;
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
    tsct_stage_import_params p = o.scan;
    static const char *const layouts[] = {"array", "pyfai", "ndtomo", "xy"};
    int li = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(layouts[i], o.layout) == 0)
            li = i;
    if (li < 0)
        return tsct_cli_usage_error(cli, "--layout must be array, pyfai, ndtomo or xy, not '%s'",
                                    o.layout);
    p.layout = (tsct_stage_import_layout)li;
    if (!o.stage)
        o.stage = p.layout == TSCT_STAGE_IMPORT_PYFAI || p.layout == TSCT_STAGE_IMPORT_XY
                      ? "integrated"
                      : "recon";
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
