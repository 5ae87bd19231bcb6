/* cmd_sino.c - `tsct sinogram` (integrated cube -> /entry/sinograms) and `tsct recon`
 * (sinograms -> /entry/recon, or a plain array -> an image file): options -> params -> one
 * stage call (include/tsct/stage.h: tsct_stage_sinogram, tsct_stage_recon,
 * tsct_stage_recon_array), where the work and its design are described.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/publish.h"
#include "tsct/stage.h"
#include "tsct/tomo.h"

const char tsct_usage_sinogram[] =
    "usage: tsct sinogram EXP.h5 [options]\n"
    "\n"
    "Turn the integrated cube /entry/integrated/data [nt][nz][na][ns][nq] of the container\n"
    "into sinograms /entry/sinograms/data: zigzag rows flipped back, bad channels and\n"
    "zingers filtered, air scatter subtracted, projections normalised, centre-of-mass jitter\n"
    "corrected, the centre of rotation found (reported) and applied by resampling and\n"
    "cropping, optionally binned. Resumable: run it again after an interruption.\n"
    "\n"
    "Options:\n"
    "      --zigzag auto|yes|no  flip every other row back (auto: /entry/scan@zigzag)\n"
    "      --air N             subtract the air pattern of the first/last N positions\n"
    "                          (nDTomo airrem; default 0 = off)\n"
    "      --air-side S        both | first | last (default both)\n"
    "      --air-per-angle     one air pattern per projection (default: one for the scan)\n"
    "      --normalise M       none | total (nDTomo scalesinos) | transmission (divide by\n"
    "                          the sample's transmission /entry/scan/transmission measured\n"
    "                          at every point: corrects the beam's attenuation)\n"
    "                          | FILE.h5::/monitor with\n"
    "                          [na] or [na][ns] values (default none)\n"
    "      --com               centre-of-mass jitter correction (nDTomo sinocomcor)\n"
    "      --centre C          auto | pair | vo | none | a value in bins (default auto:\n"
    "                          pair method, the Vo method reported beside it)\n"
    "      --no-crop           keep ns positions (zeros outside) instead of cropping\n"
    "                          symmetrically about the centre\n"
    "      --bin-translation N, --bin-channels N   average N neighbours (default 1)\n"
    "      --bad-channels T    replace channels whose total is T MADs off its neighbours'\n"
    "                          median, or that hold NaN (default 0 = off; e.g. 8)\n"
    "      --zingers T         replace values T sigmas above their 3x3 median (0 = off)\n"
    "      --block N           channels per block (default 256)\n"
    "      --deflate N         compression level 0..9 (default 1)\n";

const char tsct_usage_recon[] =
    "usage: tsct recon EXP.h5 [options]\n"
    "       tsct recon SINO.h5::/dataset --angles FILE.h5::/dataset -o OUT.h5 [options]\n"
    "       tsct recon SINO.tif|SINO.edf --angle-range 0:180 -o OUT.h5 [options]\n"
    "\n"
    "Reconstruct the container's /entry/sinograms into /entry/recon [nt][nz][n][n][nq],\n"
    "channel block by channel block (resumable), or a plain sinogram [angles][translations]\n"
    "or [angles][translations][channels] (angles in degrees) into /data of OUT.h5 as [n][n]\n"
    "or [n][n][channels] (written under a temporary name, then renamed).\n"
    "\n"
    "Options:\n"
    "  -m, --method M          fbp | sirt | cgls (default fbp)\n"
    "  -f, --filter F          ramp | shepp-logan | cosine | hamming | hann | none (fbp)\n"
    "  -n, --iterations N      sirt / cgls iterations (default 100 / 30)\n"
    "      --model M           parallax: CGLS of each slice's whole voxel-pattern cube with\n"
    "                          each voxel's pattern resampled in q by its position along the\n"
    "                          beam (needs /entry/geometry and /entry/sinograms/q; stores\n"
    "                          /entry/recon/residuals); none: the same without parallax\n"
    "      --coarse COARSE.h5  an interior (ROI) scan: project the coarse scan's\n"
    "                          reconstruction outside this scan's field of view onto its\n"
    "                          rays and subtract it first (CGLS as --model; docs/tomo.md)\n"
    "      --nonneg            sirt: clip to >= 0 after each update\n"
    "  -s, --size N            image size n (default: the sinogram width after centring)\n"
    "      --no-circle         reconstruct the whole square (default: inscribed circle)\n"
    "      --centre C          auto | pair | vo | none | a value in bins (default auto for\n"
    "                          plain arrays and for sinograms not centred by tsct sinogram,\n"
    "                          none for those)\n"
    "      --angles SPEC       FILE.h5::/dataset of angles in degrees (plain arrays)\n"
    "      --angle-range A:B   na angles A + i (B - A) / na (plain arrays)\n"
    "      --row Y             the input is a projection stack [na][ny][nx]: use row Y\n"
    "      --flat SPEC, --dark SPEC   flat / dark fields (FILE.h5::/dataset: [nx], [k][nx]\n"
    "                          or, with --row, [k][ny][nx]; averaged over k)\n"
    "      --log               take -log of the (flat-normalised) transmission\n"
    "      --air N             subtract the air of the first/last N positions, per angle\n"
    "  -o, --output OUT.h5     output file for plain arrays\n"
    "      --block N           channels per block (default 256)\n"
    "      --deflate N         compression level 0..9 (default 1)\n"
    "      --rings N           remove ring artefacts first: sorting over N detector\n"
    "                          positions (odd, e.g. 21; docs/tomo.md)\n"
    "\n"
    "Example (tomopy's tooth):\n"
    "  tsct recon tooth.h5::/exchange/data --row 0 --angles tooth.h5::/exchange/theta \\\n"
    "      --flat tooth.h5::/exchange/data_white --dark tooth.h5::/exchange/data_dark --log \\\n"
    "      -o tooth_recon.h5\n";

/* ---- tsct sinogram ---------------------------------------------------------------------- */

static int parse_sino(tsct_cli *cli, int argc, char **argv, const char **container,
                      tsct_stage_sinogram_params *o)
{
    const tsct_stage_sinogram_params defaults = TSCT_STAGE_SINOGRAM_PARAMS_DEFAULT;
    *o = defaults;
    int rc = tsct_cli_stage_options(cli, argc, argv, TSCT_STAGE_ID_SINOGRAM, o, NULL, NULL, NULL);
    if (rc)
        return rc;
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind >= argc ? "missing EXP.h5" : "one container");
    *container = argv[optind];
    return 0;
}

int tsct_cmd_sinogram(tsct_cli *cli, int argc, char **argv)
{
    const char *container = NULL;
    tsct_stage_sinogram_params p;
    int rc = parse_sino(cli, argc, argv, &container, &p);
    if (rc)
        return rc;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_cli_guard_file(container);
    if (tsct_stage_sinogram(container, &p, &ctx, NULL, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    return TSCT_EXIT_OK;
}

/* ---- tsct recon -------------------------------------------------------------------------- */

/* --angle-range A:B into its two numbers (A == B is the library's to refuse). */
static int parse_range(tsct_cli *cli, const char *s, double *range)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    char *colon = strchr(buf, ':');
    if (colon)
        *colon = '\0';
    if (!colon || tsct_cli_parse_double(buf, &range[0]) ||
        tsct_cli_parse_double(colon + 1, &range[1]))
        return tsct_cli_usage_error(cli, "--angle-range expects A:B in degrees, got '%s'", s);
    return 0;
}

/* The options of plain arrays (the stage's options are in its table, lib/stage). */
static const tsct_stage_option array_options[] = {
    {"angles", 0, TSCT_STAGE_OPTION_VALUE, 1, 0, "SPEC: FILE.h5::/dataset of angles"},
    {"angle-range", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "A:B: na angles A + i (B - A) / na"},
    {"row", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "Y: row Y of a projection stack"},
    {"flat", 0, TSCT_STAGE_OPTION_VALUE, 1, 0, "SPEC: flat field"},
    {"dark", 0, TSCT_STAGE_OPTION_VALUE, 1, 0, "SPEC: dark field"},
    {"log", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "-log of the transmission"},
    {"air", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "N: the air of the first/last N positions"},
    {"output", 'o', TSCT_STAGE_OPTION_VALUE, 1, 0, "OUT.h5: output file for plain arrays"},
    {"model", 0, TSCT_STAGE_OPTION_VALUE, 0, 0,
     "parallax|none: CGLS of the whole cube with the physics projector (docs/tomo.md)"},
    {"coarse", 0, TSCT_STAGE_OPTION_VALUE, 1, 0,
     "COARSE.h5: subtract an interior scan's outside, from its coarse reconstruction"},
    {NULL, 0, 0, 0, 0, NULL}};

struct array_opts {
    tsct_stage_recon_array_params *a;
    const char *output;
    int ranged;
    int model;   /* --model: 0 not given, 1 parallax, 2 none */
    const char *coarse;
};

static int on_array(tsct_cli *cli, void *data, const char *name, const char *v)
{
    struct array_opts *x = data;
    tsct_stage_recon_array_params *a = x->a;
    if (strcmp(name, "angles") == 0)
        a->angles = v;
    else if (strcmp(name, "angle-range") == 0)
        return x->ranged = 1, parse_range(cli, v, a->angle_range);
    else if (strcmp(name, "row") == 0 || strcmp(name, "air") == 0) {
        int64_t *n = name[0] == 'r' ? &a->row : &a->air;
        if (tsct_cli_parse_int64(v, n) != 0 || *n < 0 || *n > INT64_MAX / 4)
            return tsct_cli_usage_error(cli, "--%s expects an integer 0..%lld, got '%s'", name,
                                        (long long)(INT64_MAX / 4), v);
    } else if (strcmp(name, "flat") == 0)
        a->flat = v;
    else if (strcmp(name, "dark") == 0)
        a->dark = v;
    else if (strcmp(name, "log") == 0)
        a->neglog = 1;
    else if (strcmp(name, "output") == 0)
        x->output = v;
    else if (strcmp(name, "coarse") == 0)
        x->coarse = v;
    else if (strcmp(name, "model") == 0) {
        x->model = strcmp(v, "parallax") == 0 ? 1 : strcmp(v, "none") == 0 ? 2 : 0;
        if (!x->model)
            return tsct_cli_usage_error(cli, "--model expects parallax or none (absorption is "
                                        "not modelled yet), got '%s'", v);
    }
    return 0;
}

/* Options into p (both forms) and a (plain arrays: with -o, *output is set). */
static int parse_recon(tsct_cli *cli, int argc, char **argv, const char **input,
                       const char **output, tsct_stage_recon_params *p,
                       tsct_stage_recon_array_params *a, int *model, const char **coarse)
{
    const tsct_stage_recon_params pdef = TSCT_STAGE_RECON_PARAMS_DEFAULT;
    const tsct_stage_recon_array_params adef = TSCT_STAGE_RECON_ARRAY_PARAMS_DEFAULT;
    *p = pdef;
    *a = adef;
    struct array_opts x = {a, NULL, 0, 0, NULL};
    int rc = tsct_cli_stage_options(cli, argc, argv, TSCT_STAGE_ID_RECON, p, array_options,
                                    on_array, &x);
    if (rc)
        return rc;
    *output = x.output;
    *model = x.model;
    *coarse = x.coarse;
    if (x.coarse && !x.model)
        *model = 2;   /* --coarse alone: CGLS without parallax */
    if ((x.model || x.coarse) && x.output)
        return tsct_cli_usage_error(cli, "--model reconstructs a container's sinograms, not a "
                                         "plain array");
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind >= argc ? "missing input" : "one input at a time");
    *input = argv[optind];
    if (*output) {
        if (!a->angles == !x.ranged)
            return tsct_cli_usage_error(cli, "a plain sinogram needs --angles FILE.h5::/dataset "
                                             "or --angle-range A:B (one of them)");
    } else if (a->angles || x.ranged || a->row >= 0 || a->flat || a->dark || a->neglog || a->air)
        return tsct_cli_usage_error(cli, "--angles, --angle-range, --row, --flat, --dark, --log "
                                         "and --air are for plain arrays (with -o OUT.h5)");
    return 0;
}

int tsct_cmd_recon(tsct_cli *cli, int argc, char **argv)
{
    const char *input = NULL, *output = NULL;
    tsct_stage_recon_params p;
    tsct_stage_recon_array_params a;
    int model = 0;
    const char *coarse = NULL;
    int rc = parse_recon(cli, argc, argv, &input, &output, &p, &a, &model, &coarse);
    if (rc)
        return rc;
    if (output && tsct_cli_rank_idle(cli))
        return TSCT_EXIT_OK;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    if (model) {
        tsct_stage_recon_physics_params pp = TSCT_STAGE_RECON_PHYSICS_PARAMS_DEFAULT;
        pp.parallax = model == 1;
        if (p.iterations > 0)
            pp.iterations = p.iterations;
        pp.size = p.size;
        pp.coarse = coarse;
        return tsct_stage_recon_physics(input, &pp, &ctx, NULL, &err) == TSCT_OK
                   ? TSCT_EXIT_OK
                   : tsct_cli_fail(cli, &err);
    }
    char file[TSCT_PATH_MAX], dset[1024];
    tsct_path_split(input, file, sizeof file, dset, sizeof dset);
    tsct_cli_guard_file(file);  /* a plain array's side inputs are mostly in the same file */
    tsct_status st = output ? tsct_stage_recon_array(input, output, &p, &a, &ctx, NULL, &err)
                            : tsct_stage_recon(input, &p, &ctx, NULL, &err);
    tsct_cli_guard_file(NULL);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
