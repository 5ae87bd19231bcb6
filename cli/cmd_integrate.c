/* cmd_integrate.c - `tsct integrate`: azimuthal integration of detector images into .xy files
 * (tsct_stage_integrate_files), or of the frames of a whole scan into /entry/integrated of a
 * container (--container: tsct_stage_integrate); lib/stage/stage_integrate.c does the work.
 * The command parses options into the stage's parameters and makes one call.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/integrate.h"
#include "tsct/stage.h"

const char tsct_usage_integrate[] =
    "usage: tsct integrate IMAGE... --poni FILE -o OUT [options]\n"
    "       tsct integrate FRAMES... --poni FILE --container EXP.h5 --angles N\n"
    "                      --translations NS [scan options] [options]\n"
    "\n"
    "Azimuthally integrate detector images (CBF, EDF, TIFF, npy) into 1-D patterns, as\n"
    "pyFAI 0.21's integrate1d_ng does (docs/integration.md). One image: OUT is the .xy\n"
    "file; several: OUT is a folder that receives NAME.xy for each IMAGE. Every file has\n"
    "three columns (radial, intensity, sigma from the Poisson model) under a '#' header with\n"
    "the geometry and the options. Masked in every image: the module gaps of the PONI's\n"
    "detector (Pilatus, Eiger, as pyFAI's detector mask), the negative pixels of the first\n"
    "image, and --mask.\n"
    "\n"
    "Options:\n"
    "  -p, --poni FILE             geometry (pyFAI PONI file; required)\n"
    "  -o, --output OUT            output file (one image) or folder (required)\n"
    "  -m, --mask M                mask image, non-zero = masked\n"
    "      --dark D                dark image, subtracted\n"
    "      --flat F                flat-field image, divides\n"
    "  -n, --npt N                 number of bins (default 2000)\n"
    "  -u, --unit U                q_A^-1 (default), q_nm^-1, 2th_deg, 2th_rad, r_mm\n"
    "      --method M              pixel splitting: no (default), bbox, full\n"
    "      --polarization F        polarization factor -1..1 (default: no correction)\n"
    "      --no-solid-angle        do not correct for the solid angle\n"
    "      --filter F              mean (default), trimmed:LO,HI (percent; trimmed:10,90 is\n"
    "                              the 10 %% trimmed mean, trimmed:50,50 the median),\n"
    "                              sigma:THRES[,ITER] (sigma clipping, 5 iterations)\n"
    "      --radial-range A B      radial range in the unit (default: all pixels)\n"
    "      --azimuth-range A B     chi range in degrees, -180..180\n"
    "      --monitor X             divide by this normalisation factor (default 1)\n"
    "\n"
    "\n"
    "Scans (--container): FRAMES are image files, folders of image files (natural name\n"
    "order), FILE.h5::/path stacks (with an optional [a:b] slice) or Dectris *_master.h5\n"
    "files, in acquisition order (time step, slice, angle, translation). Their patterns go\n"
    "to /entry/integrated of EXP.h5 (created if missing) with the scan axes; resumable.\n"
    "Scan options:\n"
    "      --container EXP.h5      the experiment container\n"
    "      --angles N              N angles, evenly over --angle-range (end excluded)\n"
    "      --angle-range DEG       180 (default) or 360\n"
    "      --translations NS       translations per angle\n"
    "      --translation-step MM   step between translations (default: unit steps)\n"
    "      --slices NZ             slices per time step (default 1)\n"
    "      --zigzag                snake scan: odd rows were recorded backwards\n"
    "      --time-offset T         the frames are time steps T, T+1, ... of an experiment\n"
    "                              already in the container (operando: append)\n"
    "      --monitor-dataset PATH  divide each frame's pattern by its value in the dataset\n"
    "                              PATH [frames] of the HDF5 file holding the frame\n"
    "      --monitor-header KEY    divide each frame's pattern by the number in header item\n"
    "                              KEY of its image file (EDF: the key; CBF: the Pilatus\n"
    "                              line '# KEY VALUE', e.g. Flux)\n"
    "      --transmission-dataset PATH, --transmission-header KEY\n"
    "                              the sample's transmission at each frame (a diode behind\n"
    "                              the sample over the monitor, 1 for an empty beam), from\n"
    "                              the dataset or header item as for the monitor: stored as\n"
    "                              /entry/scan/transmission [nt][nz][na][ns] for\n"
    "                              tsct sinogram --normalise transmission\n"
    "\n"
    "Example:\n"
    "  tsct integrate CeO2.cbf --poni CeO2.poni --mask mask.edf --filter trimmed:10,90 \\\n"
    "      -o CeO2.xy\n";

struct integrate_opts {
    tsct_stage_integrate_files_params files; /* also the options a scan shares */
    tsct_stage_integrate_scan_params scan;
    const char *container;
    const char *monitor_dataset, *monitor_header;
    const char *transmission_dataset, *transmission_header;
};

enum { OPT_DARK = 256, OPT_FLAT, OPT_METHOD, OPT_POL, OPT_NOSA, OPT_FILTER, OPT_RR, OPT_AR,
       OPT_MONITOR, OPT_CONTAINER, OPT_ANGLES, OPT_RANGE, OPT_TRANS, OPT_STEP, OPT_SLICES,
       OPT_ZIGZAG, OPT_TOFF, OPT_MONDS, OPT_MONHDR, OPT_TRNDS, OPT_TRNHDR };

/* getopt takes one value per option: the second number of a range is the next argument. */
static int parse_pair(tsct_cli *cli, int argc, char **argv, const char *name, double *a,
                      double *b)
{
    if (optind >= argc || tsct_cli_parse_double(optarg, a) != 0 ||
        tsct_cli_parse_double(argv[optind], b) != 0)
        return tsct_cli_usage_error(cli, "--%s expects two numbers A B", name);
    optind++;
    return 0;
}

/* The options of every mode: geometry, corrections, binning. -1: not one of them. */
static int parse_integration(tsct_cli *cli, int ch, int argc, char **argv,
                             struct integrate_opts *o)
{
    tsct_stage_integrate_files_params *f = &o->files;
    tsct_integrate_params *ip = &f->integrate;
    tsct_error err = TSCT_ERROR_INIT;
    switch (ch) {
    case 'p': f->poni = optarg; return 0;
    case 'o': f->output = optarg; return 0;
    case 'm': f->mask = optarg; return 0;
    case OPT_DARK: f->dark = optarg; return 0;
    case OPT_FLAT: f->flat = optarg; return 0;
    case 'n':
        if (tsct_cli_parse_int64(optarg, &ip->npt) != 0 || ip->npt < 1 || ip->npt > (1 << 24))
            return tsct_cli_usage_error(cli, "--npt expects 1 .. 16777216 bins, got '%s'",
                                        optarg);
        return 0;
    case 'u':
        if (tsct_unit_parse(optarg, &ip->unit, &err) != TSCT_OK)
            return tsct_cli_usage_error(cli, "--unit: %s", err.detail);
        return 0;
    case OPT_METHOD:
        if (tsct_integrate_split_parse(optarg, &ip->split, &err) != TSCT_OK)
            return tsct_cli_usage_error(cli, "--method: %s", err.detail);
        return 0;
    case OPT_POL:
        if (tsct_cli_parse_double(optarg, &ip->polarization) != 0 ||
            !(fabs(ip->polarization) <= 1))
            return tsct_cli_usage_error(cli, "--polarization expects -1 .. 1, got '%s'",
                                        optarg);
        return 0;
    case OPT_NOSA: ip->solid_angle = 0; return 0;
    case OPT_FILTER:
        f->filter = optarg;
        if (tsct_integrate_filter_parse(optarg, ip, &err) != TSCT_OK)
            return tsct_cli_usage_error(cli, "--filter: %s", err.detail);
        return 0;
    case OPT_RR:
        return parse_pair(cli, argc, argv, "radial-range", &ip->radial_min, &ip->radial_max);
    case OPT_AR:
        return parse_pair(cli, argc, argv, "azimuth-range", &ip->azimuth_min,
                          &ip->azimuth_max);
    case OPT_MONITOR:
        if (tsct_cli_parse_double(optarg, &f->monitor) != 0 || !(f->monitor > 0))
            return tsct_cli_usage_error(cli, "--monitor expects a number > 0, got '%s'",
                                        optarg);
        return 0;
    default: return -1;
    }
}

/* The options of a scan. */
static int parse_scan(tsct_cli *cli, int ch, char **argv, struct integrate_opts *o)
{
    tsct_stage_integrate_scan_params *s = &o->scan;
    switch (ch) {
    case OPT_CONTAINER: o->container = optarg; return 0;
    case OPT_MONDS:
    case OPT_TRNDS:
        if (optarg[0] != '/')
            return tsct_cli_usage_error(cli, "%s expects an HDF5 path starting with '/', "
                                        "got '%s'",
                                        tsct_cli_option_name(argv, optind, optarg), optarg);
        *(ch == OPT_MONDS ? &o->monitor_dataset : &o->transmission_dataset) = optarg;
        return 0;
    case OPT_MONHDR:
    case OPT_TRNHDR:
        if (!optarg[0] || strpbrk(optarg, " \t=;:"))
            return tsct_cli_usage_error(cli, "%s expects a header key (one word), got "
                                        "'%s'",
                                        tsct_cli_option_name(argv, optind, optarg), optarg);
        *(ch == OPT_MONHDR ? &o->monitor_header : &o->transmission_header) = optarg;
        return 0;
    case OPT_ZIGZAG: s->zigzag = 1; return 0;
    case OPT_ANGLES:
    case OPT_TRANS:
    case OPT_SLICES:
    case OPT_TOFF: {
        int64_t v;
        int64_t lo = ch == OPT_TOFF ? 0 : 1;
        if (tsct_cli_parse_int64(optarg, &v) != 0 || v < lo || v > (1 << 24))
            return tsct_cli_usage_error(cli, "%s expects a whole number >= %lld, got '%s'",
                                        tsct_cli_option_name(argv, optind, optarg),
                                        (long long)lo, optarg);
        *(ch == OPT_ANGLES ? &s->angles : ch == OPT_TRANS ? &s->translations
                                      : ch == OPT_SLICES ? &s->slices
                                                         : &s->time_offset) = v;
        return 0;
    }
    case OPT_RANGE:
    case OPT_STEP: {
        double v;
        if (tsct_cli_parse_double(optarg, &v) != 0 || !(v > 0))
            return tsct_cli_usage_error(cli, "%s expects a number > 0, got '%s'",
                                        tsct_cli_option_name(argv, optind, optarg), optarg);
        *(ch == OPT_RANGE ? &s->angle_range : &s->translation_step) = v;
        return 0;
    }
    case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
    default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
    }
}

/* The modes' rules; then the shared options into the scan's parameters. */
static int check_options(tsct_cli *cli, int argc, char **argv, struct integrate_opts *o)
{
    tsct_stage_integrate_files_params *f = &o->files;
    tsct_stage_integrate_scan_params *s = &o->scan;
    if (optind >= argc)
        return tsct_cli_usage_error(cli, "missing IMAGE");
    if (!f->poni)
        return tsct_cli_usage_error(cli, "missing --poni FILE");
    if ((o->monitor_dataset || o->monitor_header) && !o->container)
        return tsct_cli_usage_error(cli, "--monitor-%s needs --container (scan mode)",
                                    o->monitor_dataset ? "dataset" : "header");
    if (o->monitor_dataset && o->monitor_header)
        return tsct_cli_usage_error(cli, "--monitor-dataset and --monitor-header exclude each "
                                    "other");
    if ((o->transmission_dataset || o->transmission_header) && !o->container)
        return tsct_cli_usage_error(cli, "--transmission-%s needs --container (scan mode)",
                                    o->transmission_dataset ? "dataset" : "header");
    if (o->transmission_dataset && o->transmission_header)
        return tsct_cli_usage_error(cli, "--transmission-dataset and --transmission-header "
                                    "exclude each other");
    if (o->container) {
        if (f->output)
            return tsct_cli_usage_error(cli, "-o and --container exclude each other");
        if (!s->angles || !s->translations)
            return tsct_cli_usage_error(cli, "a scan needs --angles N and --translations NS");
    } else if (!f->output) {
        return tsct_cli_usage_error(cli, "missing -o OUT (or --container EXP.h5 for a scan)");
    }
    f->images = (const char *const *)(argv + optind);
    f->nimages = argc - optind;
    s->frames = f->images, s->nframes = f->nimages;
    s->poni = f->poni, s->mask = f->mask, s->dark = f->dark, s->flat = f->flat;
    s->integrate = f->integrate, s->filter = f->filter;
    s->monitor_source = o->monitor_dataset  ? TSCT_STAGE_FRAME_VALUE_DATASET
                        : o->monitor_header ? TSCT_STAGE_FRAME_VALUE_HEADER
                                            : TSCT_STAGE_FRAME_VALUE_NONE;
    s->monitor = o->monitor_dataset ? o->monitor_dataset : o->monitor_header;
    s->transmission_source = o->transmission_dataset  ? TSCT_STAGE_FRAME_VALUE_DATASET
                             : o->transmission_header ? TSCT_STAGE_FRAME_VALUE_HEADER
                                                      : TSCT_STAGE_FRAME_VALUE_NONE;
    s->transmission = o->transmission_dataset ? o->transmission_dataset
                                              : o->transmission_header;
    return 0;
}

static int parse_options(tsct_cli *cli, int argc, char **argv, struct integrate_opts *o)
{
    static const struct option longopts[] = {
        {"poni", required_argument, NULL, 'p'},
        {"output", required_argument, NULL, 'o'},
        {"mask", required_argument, NULL, 'm'},
        {"npt", required_argument, NULL, 'n'},
        {"unit", required_argument, NULL, 'u'},
        {"dark", required_argument, NULL, OPT_DARK},
        {"flat", required_argument, NULL, OPT_FLAT},
        {"method", required_argument, NULL, OPT_METHOD},
        {"polarization", required_argument, NULL, OPT_POL},
        {"no-solid-angle", no_argument, NULL, OPT_NOSA},
        {"filter", required_argument, NULL, OPT_FILTER},
        {"radial-range", required_argument, NULL, OPT_RR},
        {"azimuth-range", required_argument, NULL, OPT_AR},
        {"monitor", required_argument, NULL, OPT_MONITOR},
        {"container", required_argument, NULL, OPT_CONTAINER},
        {"angles", required_argument, NULL, OPT_ANGLES},
        {"angle-range", required_argument, NULL, OPT_RANGE},
        {"translations", required_argument, NULL, OPT_TRANS},
        {"translation-step", required_argument, NULL, OPT_STEP},
        {"slices", required_argument, NULL, OPT_SLICES},
        {"zigzag", no_argument, NULL, OPT_ZIGZAG},
        {"time-offset", required_argument, NULL, OPT_TOFF},
        {"monitor-dataset", required_argument, NULL, OPT_MONDS},
        {"monitor-header", required_argument, NULL, OPT_MONHDR},
        {"transmission-dataset", required_argument, NULL, OPT_TRNDS},
        {"transmission-header", required_argument, NULL, OPT_TRNHDR},
        {NULL, 0, NULL, 0},
    };
    const tsct_stage_integrate_files_params files = TSCT_STAGE_INTEGRATE_FILES_PARAMS_DEFAULT;
    const tsct_stage_integrate_scan_params scan = TSCT_STAGE_INTEGRATE_SCAN_PARAMS_DEFAULT;
    memset(o, 0, sizeof *o);
    o->files = files;
    o->scan = scan;
    optind = 1;
    opterr = 0;
    int ch, rc;
    while ((ch = getopt_long(argc, argv, ":p:o:m:n:u:", longopts, NULL)) != -1) {
        if ((rc = parse_integration(cli, ch, argc, argv, o)) == -1)
            rc = parse_scan(cli, ch, argv, o);
        if (rc)
            return rc;
    }
    return check_options(cli, argc, argv, o);
}

int tsct_cmd_integrate(tsct_cli *cli, int argc, char **argv)
{
    struct integrate_opts o;
    int rc = parse_options(cli, argc, argv, &o);
    if (rc != 0)
        return rc;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_status st;
    if (o.container) {
        tsct_cli_guard_file(o.container);
        st = tsct_stage_integrate(o.container, &o.scan, &ctx, NULL, &err);
    } else {
        st = tsct_stage_integrate_files(&o.files, &ctx, NULL, &err);
    }
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
