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
    tsct_stage_region_params p = TSCT_STAGE_REGION_PARAMS_DEFAULT;
    int rc = tsct_cli_stage_options(cli, argc, argv, TSCT_STAGE_ID_REGION, &p, NULL, NULL, NULL);
    if (rc)
        return rc;
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind == argc ? "missing EXP.h5" : "one container");
    if ((rc = tsct_cli_stage_check(cli, TSCT_STAGE_ID_REGION, &p)))
        return rc;
    const char *container = argv[optind];
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_cli_guard_file(container);
    if (tsct_stage_region(container, &p, &ctx, NULL, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    return TSCT_EXIT_OK;
}
