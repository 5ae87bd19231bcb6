/* cmd_figure.c - `tsct figure`: the options of the figure stage (tsct_stage_figure in
 * include/tsct/stage.h, lib/stage/stage_figure*.c), which draws PNG figures of a container's
 * maps, composites, patterns over time, fitted parameters, and of tables.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/figure.h"
#include "tsct/stage.h"

const char tsct_usage_figure[] =
    "usage: tsct figure map EXP.h5 --map NAME [--t T] [--z Z] -o OUT.png [options]\n"
    "       tsct figure grid EXP.h5 --map NAME [--z Z] -o OUT.png [options]\n"
    "       tsct figure composite EXP.h5 --phase NAME[:COLOUR]... [--t T] -o OUT.png\n"
    "       tsct figure film EXP.h5 [--region NAME] [--source S] [--y Y] -o OUT.png\n"
    "       tsct figure patterns EXP.h5 [--region NAME] [--t T,...] [--ticks PHASES] -o OUT.png\n"
    "       tsct figure patterns FILE.xy... [--ticks PHASES] -o OUT.png\n"
    "       tsct figure fit EXP.h5 [--fit NAME] --param P [--voxel I,K] [--x X] -o OUT.png\n"
    "       tsct figure fit TABLE.csv --param P [--x COL] -o OUT.png\n"
    "       tsct figure plot TABLE.csv --x COL --y COL[,COL...] [--err COL[,COL...]] -o OUT.png\n"
    "       tsct figure all EXP.h5 -o DIR [--composite NAME[:COLOUR],...] [--ticks PHASES]\n"
    "       tsct figure image FILE [--log] -o OUT.png\n"
    "       tsct figure image FRAME --poni P.poni [--mask M] [--calibrant C] [--ticks PHASES]\n"
    "                   -o OUT.png\n"
    "\n"
    "PNG figures (docs/figures.md). map: one map of /entry/maps at a time step, with axes in\n"
    "mm (from the translation step), a colour bar and a scale bar. grid: the map at every time\n"
    "step, one colour scale. composite: several maps as additive colours with a legend (the\n"
    "BiVO4 study: BiVO4:red Bi:grey LiBi:blue Li3Bi:green).\n"
    "film: patterns (x = q) or G(r) (x = r) against time as rows of colour - a region's mean\n"
    "(/entry/regions/NAME) or the mean of the slice's sample voxels - with, when /entry/echem\n"
    "exists, the voltage curve in a panel beside it on the same time axis (a dot per tomogram\n"
    "at its mean voltage).\n"
    "patterns: curves of a few time steps (or text patterns) with a row of tick marks per\n"
    "phase at its reflections (calculated from the CIF; q axis).\n"
    "fit: a fitted parameter of /entry/fits/NAME with ESD error bars against capacity (one\n"
    "voxel, or the mean of the fitted voxels with the ESD of the mean), or a column of a\n"
    "`tsct fit peak --series` table with its _esd column.\n"
    "plot: columns of a CSV table (tsct coverage, tsct score) with error bars.\n"
    "all: a grid of every map, a composite per time step (--composite), the film plots (recon,\n"
    "pdf, every region), every region's patterns (ticks with --ticks) and every fit's peak\n"
    "parameters, into DIR.\n"
    "image: a quick look at a file that is no container: an image (TIFF, EDF, CBF, npy,\n"
    "FILE.h5::/dataset; a plain `tsct recon` output OUT.h5 is its /data; [ny][nx][nc] is\n"
    "summed over channels), axes in pixels; with --poni, a detector frame: log10(counts + 1),\n"
    "the pixels `tsct integrate` masks (negative, the detector's module gaps, --mask) left\n"
    "out, and the rings of --calibrant (yellow) and of the --ticks phases at that geometry.\n"
    "\n"
    "Options:\n"
    "      --map NAME            the map (/entry/maps/NAME; refine/NAME/PHASE/PARAM: a map of\n"
    "                            tsct refine's /entry/refine, its unit on the colour bar)\n"
    "      --phase NAME[:COLOUR] a map of the composite; COLOUR red, green, blue, grey, yellow,\n"
    "                            magenta, cyan, orange or #rrggbb (default: in that order)\n"
    "      --composite LIST      with all: the composite's --phase values, comma-separated\n"
    "      --t T                 time step (default 0); patterns: a list T,T,... (default:\n"
    "                            all time steps, or 8 spread over them)\n"
    "      --z Z                 slice (default 0)\n"
    "      --region NAME         film, patterns: /entry/regions/NAME instead of the voxel mean\n"
    "      --source S            film, patterns: pattern (default), pdf or dpdf (film)\n"
    "      --y Y                 film: the y axis, time (hours; default with /entry/echem),\n"
    "                            step (default without), or capacity (one half cycle)\n"
    "      --no-echem            film: leave out the voltage panel\n"
    "      --range A:B           film, patterns: only x (q or r) from A to B\n"
    "      --ticks PHASES        patterns, all: NAME=FILE.cif[:COLOUR], comma-separated or\n"
    "                            repeated; a CIF is looked up as given, then in the structure\n"
    "                            folders (TSCT_STRUCTURES); colours as for --phase\n"
    "      --wavelength A        patterns: wavelength in A for the ticks' q limit (default:\n"
    "                            the container's)\n"
    "      --offset F            patterns: shift curve i up by i F (max - min) (default 0)\n"
    "      --fit NAME            fit: /entry/fits/NAME (default: the only one)\n"
    "      --param P             fit: the parameter (e.g. position_1, area_1, fwhm_1)\n"
    "      --voxel I,K           fit: row I, column K of the slice instead of the mean\n"
    "      --x COL               plot: the x column; fit: capacity (default with /entry/echem),\n"
    "                            voltage, time, step (default without) or a table column\n"
    "      --y COLS              plot: the y columns\n"
    "      --err COLS            plot: error bar columns, one per --y column\n"
    "      --where COL=VALUE     plot: only rows whose COL is VALUE (e.g. phase=BiVO4)\n"
    "      --split COL           plot: one curve per value of COL (one --y column; at most 8),\n"
    "                            e.g. --x capacity_mAh_g --split half_cycle: capacity restarts\n"
    "                            at each half cycle\n"
    "      --poni FILE           image: the input is a detector frame of this geometry\n"
    "      --mask FILE           image with --poni: mask image (non-zero = masked)\n"
    "      --calibrant C         image with --poni: rings of CeO2, LaB6, Si, ... or a .D or\n"
    "                            .cif file\n"
    "      --log                 image: log10(max(v, 0) + 1)\n"
    "      --cmap C              viridis (default), magma, greys, diverging (blue-white-red,\n"
    "                            limits symmetric about 0; the default of dpdf films and\n"
    "                            MAP_diff maps)\n"
    "      --vmin V, --vmax V    colour limits (default: 1st and 99th percentiles)\n"
    "      --size WxH            figure size in pixels (default 720x600; patterns with a\n"
    "                            legend 960x600)\n"
    "      --title TEXT          title\n"
    "      --label TEXT          colour bar or y axis label\n"
    "  -o, --output PATH         the PNG file (or folder for all)\n";

/* The KIND and the inputs after the options (lib/stage/stage_options_figure.c). */
static int parse(tsct_cli *cli, int argc, char **argv, tsct_stage_figure_params *o)
{
    int rc = tsct_cli_stage_options(cli, argc, argv, TSCT_STAGE_ID_FIGURE, o, NULL, NULL, NULL);
    if (rc)
        return rc;
    if (argc - optind < 2)
        return tsct_cli_usage_error(cli, "expected KIND and an input (see usage)");
    const char *kind = argv[optind];
    o->input = argv[optind + 1];
    o->ninputs = argc - optind - 1;
    if (o->ninputs > 1 && strcmp(kind, "patterns") != 0)
        return tsct_cli_usage_error(cli, "%s takes one input, got %d", kind, o->ninputs);
    if (o->ninputs > TSCT_STAGE_FIGURE_MAX_INPUTS)
        return tsct_cli_usage_error(cli, "at most %d inputs", TSCT_STAGE_FIGURE_MAX_INPUTS);
    for (int i = 0; i < o->ninputs; i++)
        o->inputs[i] = argv[optind + 1 + i];
    if (!o->output)
        return tsct_cli_usage_error(cli, "missing -o");
    tsct_error err = TSCT_ERROR_INIT;
    if (tsct_stage_figure_kind_parse(kind, &o->kind, &err) != TSCT_OK)
        return tsct_cli_usage_error(cli, "%s", err.detail);
    return tsct_cli_stage_check(cli, TSCT_STAGE_ID_FIGURE, o);
}

int tsct_cmd_figure(tsct_cli *cli, int argc, char **argv)
{
    tsct_stage_figure_params o = TSCT_STAGE_FIGURE_PARAMS_DEFAULT;
    int rc = parse(cli, argc, argv, &o);
    if (rc)
        return rc;
    if (tsct_stage_figure_input_is_container(&o))
        tsct_cli_guard_file(o.input);
    tsct_stage_ctx ctx = TSCT_STAGE_CTX_DEFAULT;
    ctx.log = &cli->log;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = tsct_stage_figure(&o, &ctx, &err);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
