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
    "\n"
    "Example (tomopy's tooth):\n"
    "  tsct recon tooth.h5::/exchange/data --row 0 --angles tooth.h5::/exchange/theta \\\n"
    "      --flat tooth.h5::/exchange/data_white --dark tooth.h5::/exchange/data_dark --log \\\n"
    "      -o tooth_recon.h5\n";

/* ---- shared option parsing ------------------------------------------------------------ */

static int parse_centre(tsct_cli *cli, const char *s, tsct_stage_centre_mode *mode, double *value)
{
    static const char *names[] = {"auto", "pair", "vo", "none"};
    static const tsct_stage_centre_mode modes[] = {TSCT_STAGE_CENTRE_AUTO, TSCT_STAGE_CENTRE_PAIR,
                                                   TSCT_STAGE_CENTRE_VO, TSCT_STAGE_CENTRE_NONE};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *mode = modes[i];
            *value = 0.0;
            return 0;
        }
    if (tsct_cli_parse_double(s, value) != 0 || *value < 0)
        return tsct_cli_usage_error(cli, "--centre expects auto, pair, vo, none or a position "
                                         ">= 0 in bins, got '%s'", s);
    *mode = TSCT_STAGE_CENTRE_FIXED;
    return 0;
}

static int parse_count(tsct_cli *cli, const char *opt, const char *s, int64_t lo, int64_t hi,
                       int64_t *v)
{
    if (tsct_cli_parse_int64(s, v) != 0 || *v < lo || *v > hi)
        return tsct_cli_usage_error(cli, "%s expects an integer %lld..%lld, got '%s'", opt,
                                    (long long)lo, (long long)hi, s);
    return 0;
}

static int parse_nonneg(tsct_cli *cli, const char *opt, const char *s, double *v)
{
    if (tsct_cli_parse_double(s, v) != 0 || *v < 0)
        return tsct_cli_usage_error(cli, "%s expects a number >= 0, got '%s'", opt, s);
    return 0;
}

/* ---- tsct sinogram ---------------------------------------------------------------------- */

/* One word of a set, or a usage error naming the option and the words. */
static int parse_word(tsct_cli *cli, const char *opt, const char *s, const char *const *words,
                      int *out)
{
    char list[128] = "";
    size_t used = 0;
    for (int i = 0; words[i]; i++) {
        if (strcmp(s, words[i]) == 0) {
            *out = i;
            return 0;
        }
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                 !i ? "" : words[i + 1] ? ", " : " or ", words[i]);
    }
    return tsct_cli_usage_error(cli, "%s expects %s, got '%s'", opt, list, s);
}

static int parse_sino(tsct_cli *cli, int argc, char **argv, const char **container,
                      tsct_stage_sinogram_params *o)
{
    enum { O_ZIG = 256, O_AIR, O_SIDE, O_PERANG, O_NORM, O_COM, O_CENTRE, O_NOCROP, O_BINS,
           O_BINC, O_BAD, O_ZING, O_BLOCK, O_DEFL };
    static const struct option lo[] = {
        {"zigzag", required_argument, NULL, O_ZIG},   {"air", required_argument, NULL, O_AIR},
        {"air-side", required_argument, NULL, O_SIDE}, {"air-per-angle", no_argument, NULL, O_PERANG},
        {"normalise", required_argument, NULL, O_NORM}, {"com", no_argument, NULL, O_COM},
        {"centre", required_argument, NULL, O_CENTRE}, {"no-crop", no_argument, NULL, O_NOCROP},
        {"bin-translation", required_argument, NULL, O_BINS},
        {"bin-channels", required_argument, NULL, O_BINC},
        {"bad-channels", required_argument, NULL, O_BAD},
        {"zingers", required_argument, NULL, O_ZING}, {"block", required_argument, NULL, O_BLOCK},
        {"deflate", required_argument, NULL, O_DEFL}, {NULL, 0, NULL, 0},
    };
    static const char *const zigzags[] = {"auto", "yes", "no", NULL};
    static const char *const sides[] = {"both", "first", "last", NULL};
    static const char *const norms[] = {"none", "total", "transmission",
                                        "FILE.h5::/monitor", NULL};
    const tsct_stage_sinogram_params defaults = TSCT_STAGE_SINOGRAM_PARAMS_DEFAULT;
    *o = defaults;
    optind = 1;
    opterr = 0;
    int ch, rc = 0, v = 0;
    int64_t n = 0;
    while (!rc && (ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        switch (ch) {
        case O_ZIG:
            if (!(rc = parse_word(cli, "--zigzag", optarg, zigzags, &v)))
                o->zigzag = (tsct_stage_zigzag_mode)v;
            break;
        case O_AIR: rc = parse_count(cli, "--air", optarg, 0, INT64_MAX / 4, &o->air); break;
        case O_SIDE:
            if (!(rc = parse_word(cli, "--air-side", optarg, sides, &v)))
                o->air_side = (tsct_stage_air_side)v;
            break;
        case O_PERANG: o->air_per_angle = 1; break;
        case O_NORM:
            if (strstr(optarg, "::")) {
                o->normalise = TSCT_STAGE_NORMALISE_MONITOR;
                o->monitor = optarg;
            } else {
                rc = parse_word(cli, "--normalise", optarg, norms, &v);
                o->normalise = (tsct_stage_normalise_mode)v;
            }
            break;
        case O_COM: o->com = 1; break;
        case O_CENTRE: rc = parse_centre(cli, optarg, &o->centre, &o->centre_value); break;
        case O_NOCROP: o->crop = 0; break;
        case O_BINS:
            rc = parse_count(cli, "--bin-translation", optarg, 1, 1 << 20, &o->bin_translation);
            break;
        case O_BINC:
            rc = parse_count(cli, "--bin-channels", optarg, 1, 1 << 20, &o->bin_channels);
            break;
        case O_BAD: rc = parse_nonneg(cli, "--bad-channels", optarg, &o->bad_channels); break;
        case O_ZING: rc = parse_nonneg(cli, "--zingers", optarg, &o->zingers); break;
        case O_BLOCK: rc = parse_count(cli, "--block", optarg, 1, 1 << 20, &o->block); break;
        case O_DEFL:
            rc = parse_count(cli, "--deflate", optarg, 0, 9, &n);
            o->deflate = (int)n;
            break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
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

/* Options into p (both forms) and a (plain arrays: with -o, *output is set). */
static int parse_recon(tsct_cli *cli, int argc, char **argv, const char **input,
                       const char **output, tsct_stage_recon_params *p,
                       tsct_stage_recon_array_params *a)
{
    enum { O_NONNEG = 256, O_NOCIRC, O_CENTRE, O_ANGLES, O_RANGE, O_ROW, O_FLAT, O_DARK, O_LOG,
           O_AIR, O_BLOCK, O_DEFL };
    static const struct option lo[] = {
        {"method", required_argument, NULL, 'm'},    {"filter", required_argument, NULL, 'f'},
        {"iterations", required_argument, NULL, 'n'}, {"nonneg", no_argument, NULL, O_NONNEG},
        {"size", required_argument, NULL, 's'},      {"no-circle", no_argument, NULL, O_NOCIRC},
        {"centre", required_argument, NULL, O_CENTRE}, {"angles", required_argument, NULL, O_ANGLES},
        {"angle-range", required_argument, NULL, O_RANGE}, {"row", required_argument, NULL, O_ROW},
        {"flat", required_argument, NULL, O_FLAT},   {"dark", required_argument, NULL, O_DARK},
        {"log", no_argument, NULL, O_LOG},           {"air", required_argument, NULL, O_AIR},
        {"output", required_argument, NULL, 'o'},    {"block", required_argument, NULL, O_BLOCK},
        {"deflate", required_argument, NULL, O_DEFL}, {NULL, 0, NULL, 0},
    };
    static const char *const methods[] = {"fbp", "sirt", "cgls", NULL};
    const tsct_stage_recon_params pdef = TSCT_STAGE_RECON_PARAMS_DEFAULT;
    const tsct_stage_recon_array_params adef = TSCT_STAGE_RECON_ARRAY_PARAMS_DEFAULT;
    *p = pdef;
    *a = adef;
    *output = NULL;
    int ranged = 0, ch, rc = 0, v = 0;
    int64_t n = 0;
    optind = 1;
    opterr = 0;
    tsct_error err = TSCT_ERROR_INIT;
    while (!rc && (ch = getopt_long(argc, argv, ":m:f:n:s:o:", lo, NULL)) != -1) {
        switch (ch) {
        case 'm':
            if (!(rc = parse_word(cli, "--method", optarg, methods, &v)))
                p->method = (tsct_stage_recon_method)v;
            break;
        case 'f':
            if (tsct_tomo_fbp_filter_parse(optarg, &p->filter, &err) != TSCT_OK)
                return tsct_cli_usage_error(cli, "--filter: %s", err.detail);
            break;
        case 'n': rc = parse_count(cli, "--iterations", optarg, 1, 100000, &p->iterations); break;
        case O_NONNEG: p->nonneg = 1; break;
        case 's': rc = parse_count(cli, "--size", optarg, 1, 1 << 20, &p->size); break;
        case O_NOCIRC: p->circle = 0; break;
        case O_CENTRE: rc = parse_centre(cli, optarg, &p->centre, &p->centre_value); break;
        case O_ANGLES: a->angles = optarg; break;
        case O_RANGE:
            rc = parse_range(cli, optarg, a->angle_range);
            ranged = 1;
            break;
        case O_ROW: rc = parse_count(cli, "--row", optarg, 0, INT64_MAX / 4, &a->row); break;
        case O_FLAT: a->flat = optarg; break;
        case O_DARK: a->dark = optarg; break;
        case O_LOG: a->neglog = 1; break;
        case O_AIR: rc = parse_count(cli, "--air", optarg, 0, INT64_MAX / 4, &a->air); break;
        case 'o': *output = optarg; break;
        case O_BLOCK: rc = parse_count(cli, "--block", optarg, 1, 1 << 20, &p->block); break;
        case O_DEFL:
            rc = parse_count(cli, "--deflate", optarg, 0, 9, &n);
            p->deflate = (int)n;
            break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (rc)
        return rc;
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind >= argc ? "missing input" : "one input at a time");
    *input = argv[optind];
    if (*output) {
        if (!a->angles == !ranged)
            return tsct_cli_usage_error(cli, "a plain sinogram needs --angles FILE.h5::/dataset "
                                             "or --angle-range A:B (one of them)");
    } else if (a->angles || ranged || a->row >= 0 || a->flat || a->dark || a->neglog || a->air)
        return tsct_cli_usage_error(cli, "--angles, --angle-range, --row, --flat, --dark, --log "
                                         "and --air are for plain arrays (with -o OUT.h5)");
    return 0;
}

int tsct_cmd_recon(tsct_cli *cli, int argc, char **argv)
{
    const char *input = NULL, *output = NULL;
    tsct_stage_recon_params p;
    tsct_stage_recon_array_params a;
    int rc = parse_recon(cli, argc, argv, &input, &output, &p, &a);
    if (rc)
        return rc;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    char file[TSCT_PATH_MAX], dset[1024];
    tsct_path_split(input, file, sizeof file, dset, sizeof dset);
    tsct_cli_guard_file(file);  /* a plain array's side inputs are mostly in the same file */
    tsct_status st = output ? tsct_stage_recon_array(input, output, &p, &a, &ctx, NULL, &err)
                            : tsct_stage_recon(input, &p, &ctx, NULL, &err);
    tsct_cli_guard_file(NULL);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
