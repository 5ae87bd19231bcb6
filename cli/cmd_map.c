/* cmd_map.c - `tsct map`: options and definition files into the map stage (lib/stage/stage_map.c).
 *
 * Each map is a linear functional of every voxel's pattern (lib/maps plans: window areas,
 * values, totals) or a voxel-wise combination of other maps (ratio, normalised). Maps are
 * computed one (time step, slice) at a time: the voxel rows of that slice are read from
 * /entry/recon (and /entry/pdf for G(r) maps), every map of the slice is formed in memory,
 * and the slice is written to /entry/maps/NAME [nt][nz][ny][nx] through a resumable step.
 */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/array.h"
#include "tsct/container.h"
#include "tsct/maps.h"
#include "tsct/publish.h"
#include "tsct/stage.h"

const char tsct_usage_map[] =
    "usage: tsct map EXP.h5 [-d DEFINITIONS] [map options...]\n"
    "\n"
    "Compute maps [nt][nz][ny][nx] from the reconstructed patterns (/entry/recon) or PDFs\n"
    "(/entry/pdf) and store each as /entry/maps/NAME with an attribute 'method' saying how it\n"
    "was made. Resumable: an interrupted run continues with the next slice.\n"
    "\n"
    "Map options (repeatable):\n"
    "  --window NAME=LO:HI[:nobg]  peak area over LO..HI of q (1/A) minus the straight\n"
    "                              background through the window edges (nobg: without)\n"
    "  --value NAME=X[:DX]         I(q) at X, or its mean over X +- DX\n"
    "  --gr NAME=R[:DR]            G(r) at R (A), or its mean over R +- DR (from /entry/pdf)\n"
    "  --total NAME                sum over all channels (an absorption-like map)\n"
    "  --ratio NAME=A/B            map A divided by map B (NaN where B is 0)\n"
    "  --normalise NAME=A          map A divided by its 99.5th percentile in each slice\n"
    "  --unmix NAME=SOURCE         a component of the whole-pattern phase maps: every voxel's\n"
    "                              pattern is fitted as a non-negative sum of the components\n"
    "                              (plus a non-negative constant), map NAME = its weight;\n"
    "                              also writes unmix_residual (rms). SOURCE is\n"
    "                              cif:FILE:SIZE_NM (powder pattern, Scherrer size),\n"
    "                              nano:FILE:RADIUS_NM (Debye scattering of a cluster),\n"
    "                              broad:air|quartz|carbon|... or xy:FILE (a measured\n"
    "                              reference, interpolated onto the q axis). A cif source\n"
    "                              may end in :strain=PCT or :strain=LO,HI (lattice scale\n"
    "                              1 + LO/100 .. 1 + HI/100, percent) and :grow=F (sizes\n"
    "                              SIZE_NM .. F x SIZE_NM): the component is then a group of\n"
    "                              variants over those ranges, its weight their sum, so a\n"
    "                              phase whose lattice swells or whose crystallites grow\n"
    "                              keeps its intensity (docs/maps.md)\n"
    "  --unmix-background N        0 none, 1 constant (default), 2 constant and linear\n"
    "  --wavelength A              for cif/nano components (default: the container's\n"
    "                              geometry)\n"
    "  --data DIRS                 folders of the CIF files, colon-separated (default: the\n"
    "                              installed and source-tree structure folders)\n"
    "  -d, --definitions FILE      maps from a file, one per line (maps may use maps defined\n"
    "                              before them, in command-line order):\n"
    "                                NAME = window LO HI [nobg]\n"
    "                                NAME = value X [DX]\n"
    "                                NAME = gr R [DR]\n"
    "                                NAME = total\n"
    "                                NAME = ratio A B\n"
    "                                NAME = normalise A\n"
    "                              (# starts a comment)\n"
    "\n"
    "Example (the BiVO4 study's phases):\n"
    "  tsct map exp.h5 --window BiVO4=1.29:1.42 --window Bi=2.715:2.805 \\\n"
    "                  --window LiBi=2.345:2.445 --window Li3Bi=1.55:1.70 --total total\n"
    "  tsct map exp.h5 --unmix BiVO4=cif:BiVO4_monoclinic_scheelite.cif:80 \\\n"
    "                  --unmix LiBi=cif:LiBi.cif:20:strain=1:grow=1.5 --unmix carbon=broad:carbon\n";

int tsct_cmd_map(tsct_cli *cli, int argc, char **argv)
{
    tsct_stage_map_defs *ms = tsct_stage_map_defs_create();
    if (!ms)
        return TSCT_EXIT_FAIL;
    tsct_stage_map_params p = TSCT_STAGE_MAP_PARAMS_DEFAULT;
    p.definitions = ms; /* definitions are added in command-line order */
    int rc = tsct_cli_stage_options(cli, argc, argv, TSCT_STAGE_ID_MAP, &p, NULL, NULL, NULL);
    if (!rc && optind != argc - 1)
        rc = tsct_cli_usage_error(cli, optind >= argc ? "missing EXP.h5" : "one container at a time");
    if (!rc)
        rc = tsct_cli_stage_check(cli, TSCT_STAGE_ID_MAP, &p);
    if (rc) {
        tsct_stage_map_defs_destroy(ms);
        return rc;
    }
    const char *path = argv[optind];
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_cli_guard_file(path);
    tsct_status st = tsct_stage_map(path, &p, &ctx, NULL, &err);
    tsct_stage_map_defs_destroy(ms);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
