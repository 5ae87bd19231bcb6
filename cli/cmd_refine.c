/* cmd_refine.c - `tsct refine`: full-profile (Rietveld, fixed structures) refinement of one
 * pattern, or real-space refinement of one G(r), from a configuration file, and the
 * instrument profile from a calibrant.
 *
 * Options -> tsct_stage_refine_params -> tsct_stage_refine_pattern (lib/stage/stage_refine.c),
 * which reads the configuration, refines and publishes the report, the refined configuration
 * and the figure; the report is also printed. With a container: tsct_stage_refine_volume_params
 * -> tsct_stage_refine_volume (lib/stage/stage_refine_volume.c), every voxel of /entry/recon.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tsct/stage.h"

const char tsct_usage_refine[] =
    "usage: tsct refine -c REFINE.cfg [-o PREFIX] [--instrument] [--no-png]\n"
    "       tsct refine -c REFINE.cfg EXP.h5 [--name NAME] [--mask MAP] [--threshold F]\n"
    "\n"
    "Refine one powder pattern (.xy, .chi, .dat) against crystalline phases from CIF files\n"
    "(Rietveld with fixed structures: scales, lattice parameters constrained by the crystal\n"
    "system, size, strain, B, March-Dollase), single peaks, broad components and a Chebyshev\n"
    "background, on a Thompson-Cox-Hastings instrument profile (docs/refine.md). Scales,\n"
    "areas and background are solved exactly in every step. Prints and writes the report\n"
    "(parameters with ESDs, Rwp, Rexp, GoF, weight fractions, correlations above 0.9) to\n"
    "PREFIX.txt, the refined configuration to PREFIX.cfg (start the next refinement from it)\n"
    "and observed / calculated / difference with reflection ticks to PREFIX.png; the refined\n"
    "parameters (name,value,esd and Rw) to PREFIX-parameters.csv, or to OUTDIR/parameters.csv.\n"
    "With [data] space = r the data are G(r) (.gr, or a region's PDF) and the phases calculated\n"
    "G(r) as PDFgui's: crystals (scale, lattice, uiso, delta1, delta2, diameter, dsig) and\n"
    "clusters (xyz = FILE, or a CIF with radius = R), instrument qdamp and qbroad.\n"
    "\n"
    "With a [series] section (source = region | integrated | files, files = PATTERNS,\n"
    "output = EXP.h5, name = NAME, start = previous | first) every time step is refined in\n"
    "order, each from the previous result, into /entry/refine/NAME/PHASE/PARAM [nt][1][1][1]\n"
    "(resumable), PREFIX-parameters.csv (default PREFIX: the configuration's name plus\n"
    "-series) and one figure per parameter against time (docs/refine.md, Series).\n"
    "\n"
    "With a container: every voxel of /entry/recon. The mean pattern of the sample's voxels\n"
    "is refined first (the refine lists: global parameters), then every sample voxel from\n"
    "that result with only the parameters of its sections' voxel = LIST free; maps of\n"
    "every such parameter and its ESD, weight fractions, cell volumes, Rwp, GoF and status\n"
    "go to /entry/refine/NAME (docs/refine.md, \"A volume\").\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE     the refinement (INI: [data], [instrument], [background],\n"
    "                        [phase.NAME], [peak.NAME], [broad.NAME], [refine])\n"
    "  -o, --output PREFIX   outputs PREFIX.txt, .cfg, .png (default: the configuration's\n"
    "                        name without .cfg, plus -refined or -instrument); a folder\n"
    "                        (existing, or ending in /) receives NAME-refined.* and\n"
    "                        parameters.csv\n"
    "      --instrument      instrument profile from a calibrant: the one phase has\n"
    "                        calibrant = CeO2 | LaB6 | Si (lattice fixed at the certified\n"
    "                        value); refines U V W X Y zero; PREFIX.cfg is the instrument\n"
    "                        file that [instrument] file = loads\n"
    "      --no-png          no figure\n"
    "      --name NAME       a volume's results: /entry/refine/NAME (default refine)\n"
    "      --mask MAP        a volume's sample: /entry/maps/MAP > 0 (default: voxels whose\n"
    "                        total is >= --threshold x the largest)\n"
    "      --threshold F     0 .. 1 (default 0.05)\n"
    "\n"
    "Example (CeO2 integrated with tsct integrate, in Q):\n"
    "  $ cat ceo2.cfg\n"
    "  [data]\n"
    "  file = CeO2.xy\n"
    "  poni = CeO2.poni          # the wavelength\n"
    "  range = 1.5 9\n"
    "  [background]\n"
    "  terms = 8\n"
    "  [instrument]\n"
    "  refine = U V W X\n"
    "  [phase.CeO2]\n"
    "  cif = CeO2_COD9009008.cif\n"
    "  refine = scale a\n"
    "  $ tsct refine -c ceo2.cfg          # ceo2-refined.txt, .cfg, .png\n"
    "\n"
    "Real space (nickel's G(r), from the repository root):\n"
    "  $ tsct refine -c docs/examples/ni-pdf-refine.cfg -o ni/\n";

/* The command's own options: a volume's (with a container), beside the stage's
 * (lib/stage/stage_options_refine.c). */
static const tsct_stage_option own_options[] = {
    {"name", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME: /entry/refine/NAME"},
    {"mask", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "MAP: the sample's voxels"},
    {"threshold", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "F: the sample's fraction, 0 .. 1"},
    {NULL, 0, 0, 0, 0, NULL}};

struct volume_opts {
    tsct_stage_refine_volume_params vp;
    int given;
};

static int on_own(tsct_cli *cli, void *data, const char *name, const char *value)
{
    struct volume_opts *o = data;
    o->given = 1;
    if (strcmp(name, "name") == 0) {
        o->vp.name = value;
    } else if (strcmp(name, "mask") == 0) {
        o->vp.mask_map = value;
    } else if (tsct_cli_parse_double(value, &o->vp.threshold) != 0 ||
               !(o->vp.threshold >= 0 && o->vp.threshold <= 1)) {
        return tsct_cli_usage_error(cli, "--threshold: expected 0 .. 1, got '%s'", value);
    }
    return 0;
}

int tsct_cmd_refine(tsct_cli *cli, int argc, char **argv)
{
    tsct_stage_refine_params p = TSCT_STAGE_REFINE_PARAMS_DEFAULT;
    struct volume_opts o = {TSCT_STAGE_REFINE_VOLUME_PARAMS_DEFAULT, 0};
    int rc = tsct_cli_stage_options(cli, argc, argv, TSCT_STAGE_ID_REFINE, &p, own_options,
                                    on_own, &o);
    if (rc)
        return rc;
    if (optind + 1 < argc)
        return tsct_cli_usage_error(cli, "unexpected argument '%s'", argv[optind + 1]);
    if ((rc = tsct_cli_stage_check(cli, TSCT_STAGE_ID_REFINE, &p)))
        return rc;
    if (optind < argc && (p.instrument || p.output || !p.png))
        return tsct_cli_usage_error(cli, "-o, --instrument and --no-png are for one pattern");
    if (optind == argc && o.given)
        return tsct_cli_usage_error(cli, "--name, --mask and --threshold need a container");
    if (cli->verbosity >= 0)
        p.report = stdout;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_error err = TSCT_ERROR_INIT;
    o.vp.config = p.config;
    tsct_status st = optind < argc
                         ? tsct_stage_refine_volume(argv[optind], &o.vp, &ctx, NULL, &err)
                         : tsct_stage_refine_pattern(&p, &ctx, NULL, &err);
    if (st != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    return TSCT_EXIT_OK;
}
