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

struct pdf_opts {
    const char *config, *section, *output, *container, *region;
    double threshold;
    int64_t reference; /* -1: not given */
    int force;
    const char *keys[32], *values[32];
    int nset;
};

static int parse_options(tsct_cli *cli, int argc, char **argv, struct pdf_opts *o)
{
    enum { O_BGSCALE = 256, O_TTZ, O_COMP, O_QMIN, O_QMAX, O_QMAXINST, O_RMIN, O_RMAX, O_RSTEP,
           O_RPOLY, O_LORCH, O_FORCE, O_CONTAINER, O_THRESHOLD, O_REGION, O_REFERENCE };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},   {"section", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'},   {"outputtypes", required_argument, NULL, 't'},
        {"format", required_argument, NULL, 'f'},   {"background", required_argument, NULL, 'b'},
        {"wavelength", required_argument, NULL, 'w'},
        {"bgscale", required_argument, NULL, O_BGSCALE},
        {"twothetazero", required_argument, NULL, O_TTZ},
        {"composition", required_argument, NULL, O_COMP},
        {"qmin", required_argument, NULL, O_QMIN},  {"qmax", required_argument, NULL, O_QMAX},
        {"qmaxinst", required_argument, NULL, O_QMAXINST},
        {"rmin", required_argument, NULL, O_RMIN},  {"rmax", required_argument, NULL, O_RMAX},
        {"rstep", required_argument, NULL, O_RSTEP},
        {"rpoly", required_argument, NULL, O_RPOLY},
        {"lorch", no_argument, NULL, O_LORCH},      {"force", no_argument, NULL, O_FORCE},
        {"container", required_argument, NULL, O_CONTAINER},
        {"threshold", required_argument, NULL, O_THRESHOLD},
        {"region", required_argument, NULL, O_REGION},
        {"reference", required_argument, NULL, O_REFERENCE},
        {NULL, 0, NULL, 0},
    };
    static const struct {
        int id;
        const char *key;
    } keymap[] = {{'t', "outputtype"}, {'f', "dataformat"}, {'b', "backgroundfile"},
                  {'w', "wavelength"}, {O_BGSCALE, "bgscale"}, {O_TTZ, "twothetazero"},
                  {O_COMP, "composition"}, {O_QMIN, "qmin"}, {O_QMAX, "qmax"},
                  {O_QMAXINST, "qmaxinst"}, {O_RMIN, "rmin"}, {O_RMAX, "rmax"},
                  {O_RSTEP, "rstep"}, {O_RPOLY, "rpoly"}, {O_LORCH, "lorch"}};
    memset(o, 0, sizeof *o);
    o->threshold = 0.05;
    o->reference = -1;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":c:s:o:t:f:b:w:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': o->config = optarg; continue;
        case 's': o->section = optarg; continue;
        case 'o': o->output = optarg; continue;
        case O_FORCE: o->force = 1; tsct_publish_set_replace(1); continue;
        case O_CONTAINER: o->container = optarg; continue;
        case O_THRESHOLD:
            if (tsct_cli_parse_double(optarg, &o->threshold) != 0 || o->threshold < 0 ||
                o->threshold > 1)
                return tsct_cli_usage_error(cli, "--threshold expects a fraction 0..1, got '%s'",
                                            optarg);
            continue;
        case O_REGION: o->region = optarg; continue;
        case O_REFERENCE:
            if (tsct_cli_parse_int64(optarg, &o->reference) != 0 || o->reference < 0)
                return tsct_cli_usage_error(cli, "--reference expects a time step >= 0, got "
                                            "'%s'", optarg);
            continue;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        case '?': return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        default: break;
        }
        for (size_t i = 0; i < sizeof keymap / sizeof keymap[0]; i++)
            if (keymap[i].id == ch && o->nset < 32) {
                o->keys[o->nset] = keymap[i].key;
                o->values[o->nset++] = ch == O_LORCH ? "yes" : optarg;
            }
    }
    if (!o->config)
        return tsct_cli_usage_error(cli, "missing -c CONFIG (a PDFgetX3 .cfg file)");
    if (o->container && optind < argc)
        return tsct_cli_usage_error(cli, "--container takes no INPUT files");
    if ((o->region || o->reference >= 0) && !o->container)
        return tsct_cli_usage_error(cli, "--region and --reference need --container");
    if (o->container && o->output && !o->region)
        return tsct_cli_usage_error(cli, "-o with --container needs --region (the .gr files of "
                                    "a region)");
    return 0;
}

int tsct_cmd_pdf(tsct_cli *cli, int argc, char **argv)
{
    struct pdf_opts o;
    int rc = parse_options(cli, argc, argv, &o);
    if (rc)
        return rc;
    if ((o.region || !o.container) && tsct_cli_rank_idle(cli))
        return TSCT_EXIT_OK; /* under mpirun, only the voxels are split over ranks */
    tsct_error err = TSCT_ERROR_INIT;
    static tsct_pdf_config cfg;
    tsct_pdf_config_init(&cfg);
    tsct_status st = tsct_pdf_config_read(&cfg, o.config, o.section, &err);
    for (int i = 0; i < o.nset && st == TSCT_OK; i++)
        st = tsct_pdf_config_set(&cfg, o.keys[i], o.values[i], NULL, -1, &err);
    if (st == TSCT_OK)
        st = tsct_pdf_config_check(&cfg, &err);
    if (st == TSCT_OK && o.container && cfg.nbackgroundfile > 0)
        st = tsct_error_set(&err, TSCT_ERR_UNSUPPORTED, cfg.source, "backgroundfile", -1,
                            "--container works on reconstructed patterns: subtract the "
                            "background before reconstruction");
    if (st != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    /* The configuration's output and force, unless the options say otherwise. */
    if (!o.output && cfg.output[0] && !o.container)
        o.output = cfg.output;
    o.force |= cfg.force;
    if (o.force)
        tsct_publish_set_replace(1);
    tsct_stage_pdf_params sp = TSCT_STAGE_PDF_PARAMS_DEFAULT;
    sp.config = &cfg;
    sp.threshold = o.threshold;
    sp.reference = o.reference;
    sp.region = o.region;
    sp.output_dir = o.output;
    sp.output = o.output;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    if (o.region || o.container) {
        tsct_cli_guard_file(o.container);
        st = o.region ? tsct_stage_pdf_region(o.container, &sp, &ctx, NULL, &err)
                      : tsct_stage_pdf(o.container, &sp, &ctx, NULL, &err);
        return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
    }
    const char *list[TSCT_PDF_MAX_INPUTS];
    const char *const *inputs = (const char *const *)(argv + optind);
    int ninputs = argc - optind;
    if (ninputs == 0) { /* the configuration's inputfile list */
        if (cfg.ninputfile == 0)
            return tsct_cli_usage_error(cli, "no INPUT: give files or set inputfile in %s",
                                        o.config);
        for (ninputs = 0; ninputs < cfg.ninputfile && ninputs < TSCT_PDF_MAX_INPUTS; ninputs++)
            list[ninputs] = cfg.inputfile[ninputs];
        inputs = list;
    }
    st = tsct_stage_pdf_files(inputs, ninputs, &sp, &ctx, NULL, &err);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
