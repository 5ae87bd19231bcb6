/* cmd_region.c - `tsct region`: the mean reconstructed pattern of a region, per time step.
 *
 * Options -> tsct_stage_region_params -> tsct_stage_region (lib/stage/stage_region.c), which says
 * what a region is and what is written.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char tsct_usage_region[] =
    "usage: tsct region EXP.h5 --name NAME (--circle DX,DY,R | --mask-map MAP |\n"
    "                   --mask-file IMAGE) [options]\n"
    "\n"
    "Average the reconstructed patterns (/entry/recon) over a region of voxels at every time\n"
    "step: /entry/regions/NAME/pattern [nt][nq] (the mean over the region's voxels whose\n"
    "pattern is finite), /entry/regions/NAME/mask [nz][ny][nx] (1 inside), /entry/regions/\n"
    "NAME/q; attributes record the definition and the voxel count.\n"
    "\n"
    "Options:\n"
    "      --name NAME          the region (letters, digits, '_', '-', '.')\n"
    "      --circle DX,DY,R     a disc of radius R voxels whose centre is DX, DY voxels from\n"
    "                           the centre of each slice\n"
    "      --mask-map MAP       voxels where /entry/maps/MAP at --mask-time exceeds the\n"
    "      --threshold F        threshold: F times its 99.5th percentile (default 0.5), or\n"
    "                           otsu\n"
    "      --mask-time T        the time step of the mask map (default 0)\n"
    "      --mask-file IMAGE    an image [ny][nx] (TIFF, EDF, npy; non-zero = inside) for\n"
    "                           every slice\n"
    "  -o, --output DIR         also write DIR/NAME_tNNNN.xy (q, mean intensity)\n";

int tsct_cmd_region(tsct_cli *cli, int argc, char **argv)
{
    enum { O_NAME = 1000, O_CIRCLE, O_MAP, O_THR, O_MT, O_FILE };
    static const struct option longopts[] = {
        {"name", required_argument, NULL, O_NAME},    {"circle", required_argument, NULL, O_CIRCLE},
        {"mask-map", required_argument, NULL, O_MAP}, {"threshold", required_argument, NULL, O_THR},
        {"mask-time", required_argument, NULL, O_MT}, {"output", required_argument, NULL, 'o'},
        {"mask-file", required_argument, NULL, O_FILE},
        {NULL, 0, NULL, 0},
    };
    tsct_stage_region_params p = TSCT_STAGE_REGION_PARAMS_DEFAULT;
    int have_circle = 0;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
        switch (ch) {
        case O_NAME: p.name = optarg; break;
        case O_CIRCLE:
            if (sscanf(optarg, "%lf,%lf,%lf", &p.dx, &p.dy, &p.radius) != 3 || !(p.radius > 0))
                return tsct_cli_usage_error(cli, "--circle expects DX,DY,R with R > 0, got '%s'",
                                            optarg);
            have_circle = 1;
            break;
        case O_MAP: p.map = optarg; break;
        case O_FILE: p.file = optarg; break;
        case O_THR:
            if (strcmp(optarg, "otsu") == 0)
                p.threshold.rule = TSCT_STAGE_THRESHOLD_OTSU;
            else if (tsct_cli_parse_double(optarg, &p.threshold.fraction) != 0 ||
                     !(p.threshold.fraction > 0))
                return tsct_cli_usage_error(cli, "--threshold expects F > 0 or otsu, got '%s'",
                                            optarg);
            else
                p.threshold.rule = TSCT_STAGE_THRESHOLD_PERCENTILE;
            break;
        case O_MT:
            if (tsct_cli_parse_int64(optarg, &p.map_time) != 0 || p.map_time < 0)
                return tsct_cli_usage_error(cli, "--mask-time expects an index >= 0, got '%s'",
                                            optarg);
            break;
        case 'o': p.xy_dir = optarg; break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind == argc ? "missing EXP.h5" : "one container");
    if (!tsct_stage_name_valid(p.name, 63, "_-."))
        return tsct_cli_usage_error(cli, "--name expects 1-63 letters, digits, '_', '-', '.'");
    if (have_circle + !!p.map + !!p.file != 1)
        return tsct_cli_usage_error(cli, "give one of --circle DX,DY,R, --mask-map MAP, "
                                    "--mask-file IMAGE");
    p.kind = have_circle ? TSCT_STAGE_REGION_CIRCLE
             : p.map     ? TSCT_STAGE_REGION_MAP
                         : TSCT_STAGE_REGION_FILE;
    const char *container = argv[optind];
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_cli_guard_file(container);
    if (tsct_stage_region(container, &p, &ctx, NULL, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    return TSCT_EXIT_OK;
}
