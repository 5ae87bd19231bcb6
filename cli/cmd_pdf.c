/* cmd_pdf.c - `tsct pdf`: PDFgetX3-style pair distribution functions.
 *
 * Two modes. Patterns: each INPUT (.xy/.chi/.iq, in 2theta, Q 1/A or Q 1/nm) is converted to
 * I(Q), S(Q), F(Q), G(r) with the settings of a PDFgetX3 configuration file overridden by
 * options, and written as .iq/.sq/.fq/.gr files whose header is the full configuration (so an
 * output file is itself a valid -c input, as with PDFgetX3). Container: every voxel pattern of
 * /entry/recon that passes a total-intensity threshold becomes a G(r) in /entry/pdf, voxel
 * row by voxel row through a resumable step; voxels outside the mask are NaN. With
 * --reference the same step then writes the difference PDFs G_t - G_T per voxel. Region:
 * the mean patterns of a region, /entry/regions/NAME/pattern [nt][nq], become its G(r) and
 * difference PDFs per time step, in double precision (a few patterns, the reference path).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "tsct/composition.h"
#include "tsct/container.h"
#include "tsct/pattern.h"
#include "tsct/pdf.h"
#include "tsct/progress.h"
#include "tsct/publish.h"
#include "tsct/stage.h"
#include "tsct/version.h"

const char tsct_usage_pdf[] =
    "usage: tsct pdf -c CONFIG [options] INPUT... [-o OUTPUT]\n"
    "       tsct pdf -c CONFIG [options] --container EXP.h5 [--reference T]\n"
    "       tsct pdf -c CONFIG [options] --container EXP.h5 --region NAME [-o DIR]\n"
    "\n"
    "Convert powder patterns to pair distribution functions as PDFgetX3 does (Juhas et al.,\n"
    "J. Appl. Cryst. 46 (2013) 560; docs/pdf.md): I(Q) = I - sum bgscale_k * background_k,\n"
    "S(Q) scaled by PDFgetX3's least-squares match of S to 1 over [qmin, qmaxinst],\n"
    "F(Q) = Q [S(Q) - 1] with an ad hoc polynomial correction over [qmin, qmaxinst]\n"
    "whose degree is round(rpoly * qmaxinst / pi), G(r) = (2/pi) int F(Q) sin(Qr) dQ over\n"
    "[qmin, qmax]. CONFIG is a PDFgetX3 .cfg file (or a PDFgetX3 / tsct output file); file\n"
    "names in it are relative to its folder, then to its datapath folders. Options override\n"
    "it; its output and force keys stand for -o and --force.\n"
    "\n"
    "Inputs are two-column text (.xy, .chi, .iq); without INPUT, the config's inputfile list.\n"
    "Outputs: NAME.iq, .sq, .fq, .gr (per outputtype) in the current folder, or in OUTPUT if\n"
    "it is a folder, or OUTPUT with its extension replaced (one input). An existing output\n"
    "file stops the command unless --force is given.\n"
    "\n"
    "Options (PDFgetX3 names):\n"
    "  -c, --config FILE       configuration file (required)\n"
    "  -s, --section NAME      apply [NAME] after [DEFAULT]\n"
    "  -o, --output PATH       output file or folder, or a template (@b.@o, docs/pdf.md)\n"
    "  -t, --outputtypes LIST  iq,sq,fq,gr (default: the config's outputtype)\n"
    "  -f, --format FMT        dataformat: twotheta | QA | Qnm\n"
    "  -b, --background LIST   background pattern(s) (same format), comma separated\n"
    "      --bgscale LIST      background scale(s), one per background\n"
    "  -w, --wavelength A      wavelength in Angstrom (twotheta data)\n"
    "      --twothetazero DEG  2theta zero offset, subtracted\n"
    "      --composition F     sample formula, e.g. Ni, CeO2, LiCoO2\n"
    "      --qmin, --qmax, --qmaxinst Q     1/A\n"
    "      --rmin, --rmax, --rstep R        A\n"
    "      --rpoly R           A (0: no polynomial correction)\n"
    "      --lorch             Lorch window on F(Q)\n"
    "      --force             overwrite output files\n"
    "\n"
    "Per-voxel mode:\n"
    "      --container EXP.h5  /entry/recon -> /entry/pdf/G [nt][nz][ny][nx][nr] and r\n"
    "      --threshold F       keep voxels whose total intensity is >= F x the largest in the\n"
    "                          volume (default 0.05); others are NaN\n"
    "      --reference T       also write /entry/pdf/dpdf = G_t - G_T per voxel (time step T)\n"
    "\n"
    "Region mode (with --container):\n"
    "      --region NAME       /entry/regions/NAME/pattern [nt][nq] (q: /entry/regions/NAME/q,\n"
    "                          else /entry/recon/q) -> /entry/regions/NAME/pdf [nt][nr], r,\n"
    "                          and dpdf = G_t - G_T; every setting as attributes\n"
    "      --reference T       reference time step of dpdf (default 0)\n"
    "      -o DIR              also write DIR/NAME_tNNNN.gr per time step\n"
    "\n"
    "Examples:\n"
    "  tsct pdf -c pdfgetx3.cfg Ni.chi -t gr,fq\n"
    "  tsct pdf -c pdf.cfg --rstep 0.2 --container exp.h5\n"
    "  tsct pdf -c pdf.cfg --container exp.h5 --region anode --reference 0 -o pdfs/\n";

/* Options of the command itself, beside the stage's (lib/stage/stage_options_pdf.c). */
static const tsct_stage_option own_options[] = {
    {"container", 0, TSCT_STAGE_OPTION_VALUE, 1, 0, "EXP.h5: per-voxel or region mode"},
    {"force", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "overwrite output files"},
    {NULL, 0, 0, 0, 0, NULL}};

struct own {
    const char *container;
    int force;
};

static int on_own(tsct_cli *cli, void *data, const char *name, const char *value)
{
    (void)cli;
    struct own *o = data;
    if (strcmp(name, "container") == 0)
        o->container = value;
    else
        o->force = 1;
    return 0;
}

int tsct_cmd_pdf(tsct_cli *cli, int argc, char **argv)
{
    static tsct_pdf_config cfg;
    tsct_stage_pdf_setup s = TSCT_STAGE_PDF_SETUP_DEFAULT;
    s.config = &cfg;
    struct own o = {NULL, 0};
    int rc = tsct_cli_stage_options(cli, argc, argv, TSCT_STAGE_ID_PDF, &s, own_options, on_own,
                                    &o);
    if (rc || (rc = tsct_cli_stage_check(cli, TSCT_STAGE_ID_PDF, &s)))
        return rc;
    if (o.container && optind < argc)
        return tsct_cli_usage_error(cli, "--container takes no INPUT files");
    if ((s.p.region || s.p.reference >= 0) && !o.container)
        return tsct_cli_usage_error(cli, "--region and --reference need --container");
    if (o.container && s.p.output && !s.p.region)
        return tsct_cli_usage_error(cli, "-o with --container needs --region (the .gr files of "
                                    "a region)");
    if ((s.p.region || !o.container) && tsct_cli_rank_idle(cli))
        return TSCT_EXIT_OK; /* under mpirun, only the voxels are split over ranks */
    tsct_error err = TSCT_ERROR_INIT;
    int force = 0;
    if (tsct_stage_pdf_setup_load(&s, o.container != NULL, &force, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    if (o.force || force)
        tsct_publish_set_replace(1);
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_status st;
    if (o.container) {
        tsct_cli_guard_file(o.container);
        st = s.p.region ? tsct_stage_pdf_region(o.container, &s.p, &ctx, NULL, &err)
                        : tsct_stage_pdf(o.container, &s.p, &ctx, NULL, &err);
        return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
    }
    const char *list[TSCT_PDF_MAX_INPUTS];
    const char *const *inputs = (const char *const *)(argv + optind);
    int ninputs = argc - optind;
    if (ninputs == 0) { /* the configuration's inputfile list */
        if (cfg.ninputfile == 0)
            return tsct_cli_usage_error(cli, "no INPUT: give files or set inputfile in %s",
                                        s.config_file);
        for (ninputs = 0; ninputs < cfg.ninputfile && ninputs < TSCT_PDF_MAX_INPUTS; ninputs++)
            list[ninputs] = cfg.inputfile[ninputs];
        inputs = list;
    }
    st = tsct_stage_pdf_files(inputs, ninputs, &s.p, &ctx, NULL, &err);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
