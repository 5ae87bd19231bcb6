/* cmd_calibrate.c - `tsct calibrate`: the detector geometry (a pyFAI PONI file) from a frame of
 * a powder calibrant, with or without a starting geometry (lib/calibrate), and a PNG of the
 * frame with the control points and the calculated rings.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/publish.h"
#include "tsct/calibrate.h"
#include "tsct/figure.h"
#include "tsct/geometry.h"
#include "tsct/image.h"
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
    const char *image, *calibrant, *detector, *poni, *mask, *output, *png, *refine;
    double wavelength, energy, pixel_um, cx, cy, distance;
    int64_t max_rings;
    int flip, accept;
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
    memset(o, 0, sizeof *o);
    o->cx = o->cy = NAN;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":c:d:w:e:p:m:o:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': o->calibrant = optarg; break;
        case 'd': o->detector = optarg; break;
        case 'p': o->poni = optarg; break;
        case 'm': o->mask = optarg; break;
        case 'o': o->output = optarg; break;
        case OPT_PNG: o->png = optarg; break;
        case OPT_REFINE: o->refine = optarg; break;
        case OPT_FLIP: o->flip = 1; break;
        case OPT_ACCEPT: o->accept = 1; break;
        case 'w':
            if (tsct_cli_parse_double(optarg, &o->wavelength) != 0 || !(o->wavelength > 0))
                return tsct_cli_usage_error(cli, "--wavelength expects Angstrom > 0, got '%s'",
                                            optarg);
            break;
        case 'e':
            if (tsct_cli_parse_double(optarg, &o->energy) != 0 || !(o->energy > 0))
                return tsct_cli_usage_error(cli, "--energy expects keV > 0, got '%s'", optarg);
            break;
        case OPT_PIXEL:
            if (tsct_cli_parse_double(optarg, &o->pixel_um) != 0 || !(o->pixel_um > 0))
                return tsct_cli_usage_error(cli, "--pixel expects micrometres > 0, got '%s'",
                                            optarg);
            break;
        case OPT_CENTRE:
            if (optind >= argc || tsct_cli_parse_double(optarg, &o->cx) != 0 ||
                tsct_cli_parse_double(argv[optind], &o->cy) != 0)
                return tsct_cli_usage_error(cli, "--beam-centre expects two numbers X Y "
                                            "(pixels: column, row)");
            optind++;
            break;
        case OPT_DIST:
            if (tsct_cli_parse_double(optarg, &o->distance) != 0 || !(o->distance > 0))
                return tsct_cli_usage_error(cli, "--distance expects metres > 0, got '%s'",
                                            optarg);
            break;
        case OPT_MAXR:
            if (tsct_cli_parse_int64(optarg, &o->max_rings) != 0 || o->max_rings < 1 ||
                o->max_rings > 1000)
                return tsct_cli_usage_error(cli, "--max-rings expects 1 .. 1000, got '%s'",
                                            optarg);
            break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return tsct_cli_usage_error(cli, optind == argc ? "missing IMAGE"
                                                        : "one IMAGE expected, got more");
    o->image = argv[optind];
    if (!o->calibrant)
        return tsct_cli_usage_error(cli, "missing --calibrant (CeO2, LaB6, Si, FILE.D, "
                                    "FILE.cif)");
    if (!o->output)
        return tsct_cli_usage_error(cli, "missing -o OUT.poni");
    if (tsct_publish_output_name(o->output, o->image, "poni", o->output_in_folder,
                                 sizeof o->output_in_folder))
        o->output = o->output_in_folder;
    if (o->wavelength > 0 && o->energy > 0)
        return tsct_cli_usage_error(cli, "give --wavelength or --energy, not both");
    if (o->poni && (isfinite(o->cx) || o->distance > 0))
        return tsct_cli_usage_error(cli, "give --poni or --beam-centre with --distance, not "
                                    "both");
    if (isfinite(o->cx) != (o->distance > 0))
        return tsct_cli_usage_error(cli, "--beam-centre and --distance go together");
    if (!o->detector && !o->poni)
        return tsct_cli_usage_error(cli, "missing --detector NAME");
    return -1;
}

/* The starting geometry g and the refinement's parameters P from the options; -1 when the
 * command goes on, else its exit status. */
static int starting_geometry(tsct_cli *cli, const struct calib_opts *o, tsct_poni *g,
                             tsct_calibrate_params *P, tsct_error *err)
{
    P->nthreads = cli->nthreads;
    P->max_rings = (int)o->max_rings;
    if (o->refine && tsct_calibrate_refine_parse(o->refine, &P->refine, err) != TSCT_OK)
        return tsct_cli_fail(cli, err);
    tsct_poni_init(g);
    if (o->poni) {
        if (tsct_poni_read(g, o->poni, err) != TSCT_OK)
            return tsct_cli_fail(cli, err);
        P->use_guess = 1;
    }
    if (o->detector) {
        tsct_poni_detector det;
        if (tsct_poni_detector_find(o->detector, &det, err) != TSCT_OK)
            return tsct_cli_fail(cli, err);
        snprintf(g->detector, sizeof g->detector, "%s", det.name);
        g->pixel1 = det.pixel1, g->pixel2 = det.pixel2;
        g->shape[0] = det.shape[0], g->shape[1] = det.shape[1];
    }
    if (o->pixel_um > 0)
        g->pixel1 = g->pixel2 = o->pixel_um * 1e-6;
    if (!(g->pixel1 > 0))
        return tsct_cli_usage_error(cli, "detector %s has no pixel size: give --pixel UM",
                                    g->detector);
    double wavelength = o->wavelength;
    if (o->energy > 0)
        wavelength = 12.398419843320026 / o->energy;
    if (wavelength > 0)
        g->wavelength = wavelength * 1e-10;
    if (!(g->wavelength > 0))
        return tsct_cli_usage_error(cli, "missing --wavelength A or --energy KEV");
    if (o->distance > 0) {
        g->dist = o->distance;
        g->poni1 = o->cy * g->pixel1, g->poni2 = o->cx * g->pixel2;
        g->rot1 = g->rot2 = g->rot3 = 0;
        P->use_guess = 1;
    }
    return -1;
}

/* The image (flipped as asked) and its mask: negative pixels, the detector's module gaps and
 * the mask file's nonzero pixels; *mask is calloc'd (the caller frees it). */
/* Print the refined geometry; write the PONI (and the PNG) unless the rings fit badly.
 * Returns the exit status. */
static int report(tsct_cli *cli, const struct calib_opts *o, const tsct_image *img,
                  const uint8_t *mask, const tsct_calibrate_result *res,
                  const tsct_calibrant *cal, tsct_error *err)
{
    const tsct_poni *g = &res->poni;
    printf("calibrant   %s (%s), %lld rings with points, %lld control points\n", cal->name,
           cal->reference, (long long)res->nrings, (long long)res->npoints);
    const double v[TSCT_CALIB_NPARAMS] = {g->dist, g->poni1, g->poni2, g->rot1, g->rot2, g->rot3,
                                          g->wavelength};
    for (int i = 0; i < TSCT_CALIB_NPARAMS; i++)
        printf("%-11s %.9g +- %.2g%s\n", tsct_calibrate_param_name(i), v[i], res->esd[i],
               res->esd[i] == 0 ? " (fixed)" : "");
    printf("residual    %.4g deg RMS (%.3g px) in 2theta\n", res->rms_deg, res->rms_px);
    if (res->note[0])
        tsct_log_msg(&cli->log, TSCT_LOG_WARN, "%s", res->note);
    if (res->warning) {
        tsct_log_msg(&cli->log, TSCT_LOG_WARN, "%s", res->message);
        if (!o->accept) {
            tsct_error_set(err, TSCT_ERR_VALUE, o->output, NULL, -1,
                           "not written: the rings do not fit well (--accept-misfit writes it)");
            return tsct_cli_fail(cli, err);
        }
    }
    if (tsct_poni_write_v2(g, o->output, err) != TSCT_OK)
        return tsct_cli_fail(cli, err);
    if (o->png && tsct_stage_calibration_png(img, mask, res, cal, o->png, err) != TSCT_OK)
        return tsct_cli_fail(cli, err);
    tsct_log_msg(&cli->log, TSCT_LOG_INFO, "wrote %s%s%s", o->output, o->png ? " and " : "",
                 o->png ? o->png : "");
    return TSCT_EXIT_OK;
}

int tsct_cmd_calibrate(tsct_cli *cli, int argc, char **argv)
{
    struct calib_opts o;
    int rc = parse(cli, argc, argv, &o);
    if (rc >= 0)
        return rc;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_calibrate_params P = TSCT_CALIBRATE_PARAMS_DEFAULT;
    tsct_poni g;
    if ((rc = starting_geometry(cli, &o, &g, &P, &err)) >= 0)
        return rc;
    tsct_image img;
    tsct_image_init(&img);
    tsct_calibrant *cal = NULL;
    tsct_calibrate_result *res = NULL;
    uint8_t *mask = NULL;
    tsct_status st = tsct_stage_calibration_image(o.image, o.mask, o.flip, &g, &img, &mask, &err);
    if (st == TSCT_OK) {
        /* Rings down to the detector's largest possible 2theta (< 90 deg). */
        const double diag = hypot(img.rows * g.pixel1, img.cols * g.pixel2);
        double tmax = P.use_guess ? atan2(diag, fmax(g.dist, 1e-3)) + 0.3 : 1.4;
        tmax = fmin(tmax, 1.4);
        st = tsct_calibrant_create(o.calibrant, g.wavelength * 1e10 / (2 * sin(tmax / 2)),
                                   &cal, &err);
    }
    if (st == TSCT_OK) {
        if (g.shape[0] == 0)
            g.shape[0] = img.rows, g.shape[1] = img.cols;
        st = tsct_calibrate(img.data, mask, img.rows, img.cols, &g, cal, &P, &res, &err);
    }
    if (st == TSCT_NOT_CONVERGED)
        tsct_log_msg(&cli->log, TSCT_LOG_WARN, "the refinement stopped at its iteration limit");
    if (st == TSCT_OK || st == TSCT_NOT_CONVERGED)
        rc = report(cli, &o, &img, mask, res, cal, &err);
    else
        rc = tsct_cli_fail(cli, &err);
    tsct_calibrate_result_destroy(res);
    free(mask);
    tsct_calibrant_destroy(cal);
    tsct_image_release(&img);
    return rc;
}
