/* cmd_calibrate.c - `tsct calibrate`: the detector geometry (a pyFAI PONI file) from a frame of
 * a powder calibrant, with or without a starting geometry (lib/calibrate), and a PNG of the
 * frame with the control points and the calculated rings.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tsct/publish.h"
#include "tsct/calibrate.h"
#include "tsct/poni.h"
#include "tsct/stage.h"

const char tsct_usage_calibrate[] =
    "usage: tsct calibrate IMAGE --calibrant C --detector NAME (--wavelength A | --energy KEV)\n"
    "                      [--poni GUESS.poni | --beam-centre X Y --distance M] -o OUT.poni\n"
    "\n"
    "Find the detector geometry from a frame of a powder calibrant: control points along its\n"
    "rings, least squares of pyFAI's PONI parameters on their 2theta, and write the PONI\n"
    "(pyFAI version 2, the detector named; pyFAI 0.21 and later load it). Without a starting\n"
    "geometry the beam centre and the distance are found from the image itself (the beam on\n"
    "or near the detector); give one (--poni, or --beam-centre and --distance) for strongly\n"
    "tilted or off-centre detectors. Prints the parameters with their ESDs and the RMS ring\n"
    "residual. When the rings do not fit (wrong calibrant or wavelength) it says so with the\n"
    "residual and writes nothing, unless --accept-misfit. rot3 (about the beam) cannot be\n"
    "found from rings: it is kept from the guess (0 without one). docs/calibrate.md.\n"
    "\n"
    "Options:\n"
    "  -c, --calibrant C      CeO2 (NIST SRM 674b), LaB6 (SRM 660c), Si (SRM 640c),\n"
    "                         LaB6_SRM660a..c, Si_SRM640, Si_SRM640a..e, a pyFAI .D file or a\n"
    "                         CIF (required)\n"
    "  -d, --detector NAME    pyFAI detector name (Pilatus2M, Pilatus1M, Eiger2 4M, ...), or\n"
    "                         Detector with --pixel (default: the --poni file's)\n"
    "      --pixel UM         pixel size in micrometres (a generic Detector)\n"
    "  -w, --wavelength A     wavelength in Angstrom (default: the --poni file's)\n"
    "  -e, --energy KEV       photon energy instead of the wavelength\n"
    "  -p, --poni FILE        starting geometry\n"
    "      --beam-centre X Y  starting beam centre in pixels (X: column, Y: row), with\n"
    "      --distance M       the sample-detector distance in metres (no tilt)\n"
    "  -m, --mask FILE        mask image (non-zero = masked; EDF, TIFF, npy); negative pixels\n"
    "                         and the detector's module gaps are masked in any case\n"
    "      --flip-vertical    flip the image upside down first (Dioptas' TIFF convention)\n"
    "      --refine LIST      parameters to refine (default dist,poni1,poni2,rot1,rot2; also\n"
    "                         wavelength)\n"
    "      --max-rings N      use the N innermost rings on the detector only\n"
    "      --png FILE         the frame (log scale) with control points and calculated rings\n"
    "      --accept-misfit    write the PONI even when the rings do not fit well\n"
    "  -o, --output FILE      the PONI file to write (required)\n"
    "\n"
    "Examples:\n"
    "  tsct calibrate CeO2.cbf -c CeO2 -d Pilatus2M -w 0.174626 -m mask.edf -o CeO2.poni\n"
    "  tsct calibrate lab6.tif -c LaB6 -p rough.poni --png lab6.png -o lab6.poni\n";

struct calib_opts {
    tsct_stage_calibrate_params p;
    int centre_given;
    char output_in_folder[TSCT_PATH_MAX]; /* -o FOLDER: FOLDER/NAME.poni */
};

/* The options; -1 when the command goes on, else its exit status. */
static int parse(tsct_cli *cli, int argc, char **argv, struct calib_opts *o)
{
    enum { OPT_PIXEL = 256, OPT_CENTRE, OPT_DIST, OPT_FLIP, OPT_REFINE, OPT_MAXR, OPT_PNG,
           OPT_ACCEPT };
    static const struct option longopts[] = {
        {"calibrant", required_argument, NULL, 'c'}, {"detector", required_argument, NULL, 'd'},
        {"wavelength", required_argument, NULL, 'w'}, {"energy", required_argument, NULL, 'e'},
        {"poni", required_argument, NULL, 'p'},       {"mask", required_argument, NULL, 'm'},
        {"output", required_argument, NULL, 'o'},     {"pixel", required_argument, NULL, OPT_PIXEL},
        {"beam-centre", required_argument, NULL, OPT_CENTRE},
        {"beam-center", required_argument, NULL, OPT_CENTRE},
        {"distance", required_argument, NULL, OPT_DIST},
        {"flip-vertical", no_argument, NULL, OPT_FLIP},
        {"refine", required_argument, NULL, OPT_REFINE},
        {"max-rings", required_argument, NULL, OPT_MAXR},
        {"png", required_argument, NULL, OPT_PNG},
        {"accept-misfit", no_argument, NULL, OPT_ACCEPT},
        {NULL, 0, NULL, 0},
    };
    const tsct_stage_calibrate_params defaults = TSCT_STAGE_CALIBRATE_PARAMS_DEFAULT;
    o->p = defaults;
    o->centre_given = 0;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":c:d:w:e:p:m:o:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': o->p.calibrant = optarg; break;
        case 'd': o->p.detector = optarg; break;
        case 'p': o->p.guess = optarg; break;
        case 'm': o->p.mask = optarg; break;
        case 'o': o->p.output = optarg; break;
        case OPT_PNG: o->p.png = optarg; break;
        case OPT_REFINE: o->p.refine = optarg; break;
        case OPT_FLIP: o->p.flip = 1; break;
        case OPT_ACCEPT: o->p.accept_misfit = 1; break;
        case 'w':
            if (tsct_cli_parse_double(optarg, &o->p.wavelength) != 0 || !(o->p.wavelength > 0))
                return tsct_cli_usage_error(cli, "--wavelength expects Angstrom > 0, got '%s'",
                                            optarg);
            break;
        case 'e':
            if (tsct_cli_parse_double(optarg, &o->p.energy_kev) != 0 || !(o->p.energy_kev > 0))
                return tsct_cli_usage_error(cli, "--energy expects keV > 0, got '%s'", optarg);
            break;
        case OPT_PIXEL:
            if (tsct_cli_parse_double(optarg, &o->p.pixel_um) != 0 || !(o->p.pixel_um > 0))
                return tsct_cli_usage_error(cli, "--pixel expects micrometres > 0, got '%s'",
                                            optarg);
            break;
        case OPT_CENTRE:
            if (optind >= argc || tsct_cli_parse_double(optarg, &o->p.centre[0]) != 0 ||
                tsct_cli_parse_double(argv[optind], &o->p.centre[1]) != 0)
                return tsct_cli_usage_error(cli, "--beam-centre expects two numbers X Y "
                                            "(pixels: column, row)");
            optind++;
            o->centre_given = 1;
            break;
        case OPT_DIST:
            if (tsct_cli_parse_double(optarg, &o->p.distance) != 0 || !(o->p.distance > 0))
                return tsct_cli_usage_error(cli, "--distance expects metres > 0, got '%s'",
                                            optarg);
            break;
        case OPT_MAXR:
            int64_t n;
            if (tsct_cli_parse_int64(optarg, &n) != 0 || n < 1 || n > 1000)
                return tsct_cli_usage_error(cli, "--max-rings expects 1 .. 1000, got '%s'",
                                            optarg);
            o->p.max_rings = (int)n;
            break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return tsct_cli_usage_error(cli, optind == argc ? "missing IMAGE"
                                                        : "one IMAGE expected, got more");
    o->p.image = argv[optind];
    if (!o->p.calibrant)
        return tsct_cli_usage_error(cli, "missing --calibrant (CeO2, LaB6, Si, FILE.D, "
                                    "FILE.cif)");
    if (!o->p.output)
        return tsct_cli_usage_error(cli, "missing -o OUT.poni");
    if (tsct_publish_output_name(o->p.output, o->p.image, "poni", o->output_in_folder,
                                 sizeof o->output_in_folder))
        o->p.output = o->output_in_folder;
    if (o->p.wavelength > 0 && o->p.energy_kev > 0)
        return tsct_cli_usage_error(cli, "give --wavelength or --energy, not both");
    if (o->p.guess && (o->centre_given || o->p.distance > 0))
        return tsct_cli_usage_error(cli, "give --poni or --beam-centre with --distance, not "
                                    "both");
    if (o->centre_given != (o->p.distance > 0))
        return tsct_cli_usage_error(cli, "--beam-centre and --distance go together");
    if (!(o->p.wavelength > 0) && !(o->p.energy_kev > 0) && !o->p.guess)
        return tsct_cli_usage_error(cli, "missing --wavelength A or --energy KEV");
    if (!o->p.detector && !o->p.guess)
        return tsct_cli_usage_error(cli, "missing --detector NAME");
    return -1;
}

int tsct_cmd_calibrate(tsct_cli *cli, int argc, char **argv)
{
    struct calib_opts o;
    int rc = parse(cli, argc, argv, &o);
    if (rc >= 0)
        return rc;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_calibrate_result *res = NULL;
    tsct_calibrant *cal = NULL;
    tsct_status st = tsct_stage_calibrate(&o.p, &ctx, NULL, &res, &cal, &err);
    tsct_error terr = TSCT_ERROR_INIT;
    if (res && cal && tsct_stage_calibration_table(stdout, res, cal, &terr) != TSCT_OK &&
        st == TSCT_OK)
        st = tsct_error_set(&err, terr.status, NULL, "calibration table", -1, "%s",
                            terr.message);
    rc = st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
    tsct_calibrate_result_destroy(res);
    tsct_calibrant_destroy(cal);
    return rc;
}
