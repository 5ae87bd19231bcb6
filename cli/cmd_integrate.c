/* cmd_integrate.c - `tsct integrate`: azimuthal integration of detector images into .xy files.
 *
 * One plan (tsct/integrate.h) is built from the PONI file, the first image's shape, the mask,
 * dark and flat, and executed on every image; the patterns are written as text files with a
 * pyFAI-like "#" header recording the geometry and the options. One image: -o names the file;
 * several: -o names a folder that receives NAME.xy per image (NAME = the image's file name
 * without its extension). Each file is published atomically (tsct/publish.h).
 *
 * Scans (--container): the frames of a whole scan (image files, HDF5 stacks, Dectris masters;
 * tsct/frames.h) in acquisition order, time step by slice by angle by translation, go to
 * /entry/integrated of the container through a resumable step whose unit is one frame-row
 * (one angle, every translation), integrated in batches with tsct_integrate_execute_many().
 * Rows are stored in acquisition order (a snake scan's odd rows reversed, /entry/scan@zigzag
 * set); tsct sinogram flips them back. With --monitor-dataset each frame is normalised by its
 * value in that dataset of the HDF5 file holding the frame (read once per file); with
 * --monitor-header by a number in its image file's header (CBF / EDF series). The sample's
 * transmission at each frame (--transmission-dataset / --transmission-header, read the same
 * way) is stored as /entry/scan/transmission [nt][nz][na][ns] beside the patterns, for
 * `tsct sinogram --normalise transmission`.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "tsct/container.h"
#include "tsct/frames.h"
#include "tsct/image.h"
#include "tsct/integrate.h"
#include "tsct/poni.h"
#include "tsct/progress.h"
#include "tsct/publish.h"
#include "tsct/version.h"

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
    const char *poni, *output, *mask, *dark, *flat, *filter;
    tsct_integrate_params params;
    double monitor;
    char **images;
    int nimages;
    /* scan mode */
    const char *container;
    int64_t na, ns, nz, time_offset;
    double angle_range, translation_step;
    int zigzag;
    const char *monitor_dataset, *monitor_header;
    const char *transmission_dataset, *transmission_header;
};

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

static int parse_options(tsct_cli *cli, int argc, char **argv, struct integrate_opts *o)
{
    enum { OPT_DARK = 256, OPT_FLAT, OPT_METHOD, OPT_POL, OPT_NOSA, OPT_FILTER, OPT_RR, OPT_AR,
           OPT_MONITOR, OPT_CONTAINER, OPT_ANGLES, OPT_RANGE, OPT_TRANS, OPT_STEP, OPT_SLICES,
           OPT_ZIGZAG, OPT_TOFF, OPT_MONDS, OPT_MONHDR, OPT_TRNDS, OPT_TRNHDR };
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
    tsct_integrate_params defaults = TSCT_INTEGRATE_PARAMS_DEFAULT;
    memset(o, 0, sizeof *o);
    o->params = defaults;
    o->params.nthreads = cli->nthreads;
    o->monitor = 1.0;
    o->nz = 1;
    o->angle_range = 180.0;
    optind = 1;
    opterr = 0;
    tsct_error err = TSCT_ERROR_INIT;
    int ch, rc;
    while ((ch = getopt_long(argc, argv, ":p:o:m:n:u:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p': o->poni = optarg; break;
        case 'o': o->output = optarg; break;
        case 'm': o->mask = optarg; break;
        case OPT_DARK: o->dark = optarg; break;
        case OPT_FLAT: o->flat = optarg; break;
        case 'n':
            if (tsct_cli_parse_int64(optarg, &o->params.npt) != 0 || o->params.npt < 1 ||
                o->params.npt > (1 << 24))
                return tsct_cli_usage_error(cli, "--npt expects 1 .. 16777216 bins, got '%s'",
                                            optarg);
            break;
        case 'u':
            if (tsct_unit_parse(optarg, &o->params.unit, &err) != TSCT_OK)
                return tsct_cli_usage_error(cli, "--unit: %s", err.detail);
            break;
        case OPT_METHOD:
            if (tsct_integrate_split_parse(optarg, &o->params.split, &err) != TSCT_OK)
                return tsct_cli_usage_error(cli, "--method: %s", err.detail);
            break;
        case OPT_POL:
            if (tsct_cli_parse_double(optarg, &o->params.polarization) != 0 ||
                !(fabs(o->params.polarization) <= 1))
                return tsct_cli_usage_error(cli, "--polarization expects -1 .. 1, got '%s'",
                                            optarg);
            break;
        case OPT_NOSA: o->params.solid_angle = 0; break;
        case OPT_FILTER:
            o->filter = optarg;
            if (tsct_integrate_filter_parse(optarg, &o->params, &err) != TSCT_OK)
                return tsct_cli_usage_error(cli, "--filter: %s", err.detail);
            break;
        case OPT_RR:
            if ((rc = parse_pair(cli, argc, argv, "radial-range", &o->params.radial_min,
                                 &o->params.radial_max)) != 0)
                return rc;
            break;
        case OPT_AR:
            if ((rc = parse_pair(cli, argc, argv, "azimuth-range", &o->params.azimuth_min,
                                 &o->params.azimuth_max)) != 0)
                return rc;
            break;
        case OPT_MONITOR:
            if (tsct_cli_parse_double(optarg, &o->monitor) != 0 || !(o->monitor > 0))
                return tsct_cli_usage_error(cli, "--monitor expects a number > 0, got '%s'",
                                            optarg);
            break;
        case OPT_CONTAINER: o->container = optarg; break;
        case OPT_MONDS:
        case OPT_TRNDS:
            if (optarg[0] != '/')
                return tsct_cli_usage_error(cli, "%s expects an HDF5 path starting with '/', "
                                            "got '%s'",
                                            tsct_cli_option_name(argv, optind, optarg), optarg);
            *(ch == OPT_MONDS ? &o->monitor_dataset : &o->transmission_dataset) = optarg;
            break;
        case OPT_MONHDR:
        case OPT_TRNHDR:
            if (!optarg[0] || strpbrk(optarg, " \t=;:"))
                return tsct_cli_usage_error(cli, "%s expects a header key (one word), got "
                                            "'%s'",
                                            tsct_cli_option_name(argv, optind, optarg), optarg);
            *(ch == OPT_MONHDR ? &o->monitor_header : &o->transmission_header) = optarg;
            break;
        case OPT_ZIGZAG: o->zigzag = 1; break;
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
            *(ch == OPT_ANGLES ? &o->na : ch == OPT_TRANS ? &o->ns : ch == OPT_SLICES ? &o->nz
                                                                                    : &o->time_offset) = v;
            break;
        }
        case OPT_RANGE:
        case OPT_STEP: {
            double v;
            if (tsct_cli_parse_double(optarg, &v) != 0 || !(v > 0))
                return tsct_cli_usage_error(cli, "%s expects a number > 0, got '%s'",
                                            tsct_cli_option_name(argv, optind, optarg), optarg);
            *(ch == OPT_RANGE ? &o->angle_range : &o->translation_step) = v;
            break;
        }
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return tsct_cli_usage_error(cli, "missing IMAGE");
    if (!o->poni)
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
        if (o->output)
            return tsct_cli_usage_error(cli, "-o and --container exclude each other");
        if (!o->na || !o->ns)
            return tsct_cli_usage_error(cli, "a scan needs --angles N and --translations NS");
    } else if (!o->output) {
        return tsct_cli_usage_error(cli, "missing -o OUT (or --container EXP.h5 for a scan)");
    }
    o->images = argv + optind;
    o->nimages = argc - optind;
    return 0;
}

/* The module gaps of the PONI's detector (pyFAI masks them from the detector class), when
 * the frames have its full shape. */
static void mask_module_gaps(const tsct_poni *g, int64_t rows, int64_t cols, uint8_t *mask,
                             const tsct_log *log)
{
    tsct_poni_detector det;
    if (tsct_poni_detector_find(g->detector, &det, NULL) != TSCT_OK || det.module[0] <= 0)
        return;
    int64_t n = tsct_poni_detector_mask(&det, rows, cols, mask);
    if (n > 0)
        tsct_log_msg(log, TSCT_LOG_DEBUG, "%s: module gaps masked (%lld pixels in the mask)",
                     det.name, (long long)n);
}

/* Read a whole auxiliary image of the expected shape; the message names the option. */
static tsct_status read_aux(const char *path, const char *what, int64_t rows, int64_t cols,
                            tsct_image *img, tsct_error *err)
{
    TSCT_TRY(tsct_image_read(img, path, NULL, err));
    if (img->rows != rows || img->cols != cols)
        return tsct_error_set(err, TSCT_ERR_SHAPE, path, what, -1,
                              "shape %lld x %lld, expected %lld x %lld like the images",
                              (long long)img->rows, (long long)img->cols, (long long)rows,
                              (long long)cols);
    return TSCT_OK;
}

/* The output path of image i. */
static void output_path(const struct integrate_opts *o, int i, char *buf, size_t size)
{
    if (o->nimages == 1) {
        snprintf(buf, size, "%s", o->output);
        return;
    }
    const char *base = strrchr(o->images[i], '/');
    base = base ? base + 1 : o->images[i];
    const char *dot = strrchr(base, '.');
    int len = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
    snprintf(buf, size, "%s/%.*s.xy", o->output, len, base);
}

static tsct_status write_xy(const struct integrate_opts *o, const tsct_poni *g,
                            const tsct_integrate_plan *plan, const char *image, const char *path,
                            const float *inten, const float *sig, tsct_error *err)
{
    tsct_publish pub;
    FILE *fp = NULL;
    TSCT_TRY(tsct_publish_fopen(&pub, path, &fp, err));
    const tsct_integrate_params *p = tsct_integrate_plan_params(plan);
    const double *rad = tsct_integrate_plan_radial(plan);
    fprintf(fp, "# == tsct %s azimuthal integration (pyFAI 0.21 integrate1d_ng conventions) ==\n",
            tsct_version());
    fprintf(fp, "# Image: %s\n# PONI file: %s\n", image, o->poni);
    fprintf(fp, "# Detector: %s, pixel size %.9g x %.9g m\n", g->detector, g->pixel1,
            g->pixel2);
    fprintf(fp, "# Distance Sample to Detector: %.15g m\n", g->dist);
    fprintf(fp, "# PONI: %.15g, %.15g m\n", g->poni1, g->poni2);
    fprintf(fp, "# Rotations: %.15g %.15g %.15g rad\n", g->rot1, g->rot2, g->rot3);
    fprintf(fp, "# Wavelength: %.15g m\n", g->wavelength);
    fprintf(fp, "# Mask applied: %s (and negative pixels)\n", o->mask ? o->mask : "none");
    fprintf(fp, "# Dark current applied: %s\n# Flat field applied: %s\n",
            o->dark ? o->dark : "none", o->flat ? o->flat : "none");
    if (isnan(p->polarization))
        fprintf(fp, "# Polarization factor: None\n");
    else
        fprintf(fp, "# Polarization factor: %.9g\n", p->polarization);
    fprintf(fp, "# Solid angle correction: %s\n", p->solid_angle ? "True" : "False");
    fprintf(fp, "# Normalization factor: %.9g\n", o->monitor);
    fprintf(fp, "# Method: (\"%s\", \"%s\", \"tsct\")\n", tsct_integrate_split_name(p->split),
            p->split == TSCT_INTEGRATE_SPLIT_NO ? "histogram" : "csr");
    fprintf(fp, "# Filter: %s\n", o->filter ? o->filter : "mean");
    fprintf(fp, "# Error model: poisson\n");
    fprintf(fp, "# Radial range: %.9g %.9g %s\n", p->radial_min, p->radial_max,
            tsct_unit_name(p->unit));
    if (!isnan(p->azimuth_min))
        fprintf(fp, "# Azimuth range: %.9g %.9g deg\n", p->azimuth_min, p->azimuth_max);
    fprintf(fp, "# Bins: %lld\n", (long long)p->npt);
    fprintf(fp, "# %14s %16s %16s\n", tsct_unit_name(p->unit), "I", "sigma");
    for (int64_t b = 0; b < p->npt; b++)
        fprintf(fp, "%16.9e %16.9e %16.9e\n", rad[b], (double)inten[b], (double)sig[b]);
    return tsct_publish_fclose(&pub, fp, err);
}

/* Mask, dark and flat for a plan of rows x cols: the static mask of the frame source, the
 * negative pixels of `first` (module gaps) and the files given. */
static tsct_status plan_inputs(const struct integrate_opts *o, const tsct_poni *g,
                               const tsct_log *log, int64_t rows, int64_t cols,
                               const float *first, const uint8_t *pixel_mask, uint8_t **mask,
                               float **dark, float **flat, tsct_error *err)
{
    const int64_t n = rows * cols;
    tsct_image aux;
    tsct_image_init(&aux);
    tsct_status st = TSCT_OK;
    *mask = malloc((size_t)n);
    if (!*mask)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "mask", -1, "%lld pixels", (long long)n);
    for (int64_t k = 0; k < n; k++)
        (*mask)[k] = first[k] < 0 || (pixel_mask && pixel_mask[k]);
    mask_module_gaps(g, rows, cols, *mask, log);
    if (o->mask) {
        st = read_aux(o->mask, "mask", rows, cols, &aux, err);
        for (int64_t k = 0; st == TSCT_OK && k < n; k++)
            (*mask)[k] |= aux.data[k] != 0;
    }
    const char *names[2] = {o->dark, o->flat};
    float **arrays[2] = {dark, flat};
    for (int a = 0; a < 2 && st == TSCT_OK; a++) {
        if (!names[a])
            continue;
        if ((st = read_aux(names[a], a ? "flat" : "dark", rows, cols, &aux, err)) != TSCT_OK)
            break;
        for (int64_t k = 0; k < n && st == TSCT_OK; k++)
            if (!isfinite(aux.data[k]) || (a == 1 && aux.data[k] == 0))
                st = tsct_error_set(err, TSCT_ERR_VALUE, names[a], a ? "flat" : "dark", k,
                                    "pixel (%lld, %lld) is %g: expected a finite%s value",
                                    (long long)(k / cols), (long long)(k % cols),
                                    (double)aux.data[k], a ? ", non-zero" : "");
        if (st == TSCT_OK && !(*arrays[a] = malloc((size_t)n * sizeof(float))))
            st = tsct_error_set(err, TSCT_ERR_NOMEM, names[a], NULL, -1, "%lld pixels",
                                (long long)n);
        if (st == TSCT_OK)
            memcpy(*arrays[a], aux.data, (size_t)n * sizeof(float));
    }
    tsct_image_release(&aux);
    return st;
}

/* The monitor values of the HDF5 file that holds the current frames, loaded once per file. */
struct monitor_cache {
    char file[TSCT_PATH_MAX];
    double *v;
    int64_t n;
};

/* Monitor (or transmission: `what`) of frame `index`: the value at its index in the dataset
 * `path` of its own file. */
static tsct_status frame_monitor(const tsct_frames *fr, const char *path, int64_t index,
                                 struct monitor_cache *mc, const char *what, double *out,
                                 tsct_error *err)
{
    const char *file, *dataset;
    int64_t local;
    TSCT_TRY(tsct_frames_locate(fr, index, &file, &dataset, &local, err));
    if (!mc->v || strcmp(file, mc->file) != 0) {
        free(mc->v);
        mc->v = NULL;
        snprintf(mc->file, sizeof mc->file, "%s", file);
        tsct_container *c = NULL;
        tsct_cli_guard_file(file);
        tsct_status st = tsct_h5file_open(file, TSCT_OPEN_READ, &c, err);
        if (st == TSCT_OK)
            st = tsct_container_read_vector(c, path, &mc->v, &mc->n, err);
        tsct_container_close(c, NULL);
        TSCT_TRY(st);
    }
    if (local >= mc->n)
        return tsct_error_set(err, TSCT_ERR_SHAPE, file, path, local,
                              "%lld %s values, frame %lld of the file has none",
                              (long long)mc->n, what, (long long)local);
    *out = mc->v[local];
    if (!(*out > 0) || !isfinite(*out))
        return tsct_error_set(err, TSCT_ERR_VALUE, file, path, local,
                              "%s %g: expected a finite number > 0", what, *out);
    return TSCT_OK;
}

/* Monitor (or transmission: `what`) of frame `index` from the header of its image file. */
static tsct_status frame_monitor_header(const tsct_frames *fr, const char *key, int64_t index,
                                        const char *what, double *out, tsct_error *err)
{
    TSCT_TRY(tsct_frames_header_number(fr, index, key, out, err));
    if (!(*out > 0) || !isfinite(*out)) {
        const char *file = "";
        int64_t local = -1;
        tsct_frames_locate(fr, index, &file, NULL, &local, NULL);
        return tsct_error_set(err, TSCT_ERR_VALUE, file, key, local,
                              "%s %g: expected a finite number > 0", what, *out);
    }
    return TSCT_OK;
}

static int integrate_scan(tsct_cli *cli, struct integrate_opts *o)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_frames *fr = NULL;
    tsct_container *c = NULL;
    tsct_step *step = NULL;
    tsct_dataset *d_data = NULL, *d_sigma = NULL, *d_trans = NULL;
    float *tline = NULL; /* [ns]: one row's transmission */
    tsct_integrate_plan *plan = NULL;
    uint8_t *mask = NULL;
    float *dark = NULL, *flat = NULL, *frames = NULL, *inten = NULL, *sig = NULL;
    double *angles = NULL, *trans = NULL, *zs = NULL, *times = NULL, *radial = NULL;
    double monitors[8];
    struct monitor_cache mc = {"", NULL, 0}, tc = {"", NULL, 0};
    void *work = NULL;
    tsct_poni g;
    tsct_status st = tsct_poni_read(&g, o->poni, &err);
    if (st == TSCT_OK)
        st = tsct_frames_open((const char *const *)o->images, o->nimages, NULL, &fr, &err);
    int64_t rows = 0, cols = 0, nframes = 0;
    if (st == TSCT_OK) {
        tsct_frames_shape(fr, &rows, &cols);
        nframes = tsct_frames_count(fr);
    }
    const int64_t na = o->na, ns = o->ns, nz = o->nz, per_t = nz * na * ns;
    if (st == TSCT_OK && nframes % per_t != 0)
        st = tsct_error_set(&err, TSCT_ERR_SHAPE, o->images[0], "frames", -1,
                            "%lld frames are not a whole number of time steps of %lld slices x "
                            "%lld angles x %lld translations",
                            (long long)nframes, (long long)nz, (long long)na, (long long)ns);
    const int64_t nt = per_t ? nframes / per_t : 0, npt = o->params.npt;
    const int64_t npx = rows * cols;
    const int batch = (int)(sizeof monitors / sizeof monitors[0]);
    if (st == TSCT_OK) {
        frames = malloc((size_t)(batch * npx) * sizeof *frames);
        inten = malloc((size_t)(ns * npt) * sizeof *inten);
        sig = malloc((size_t)(ns * npt) * sizeof *sig);
        if (!frames || !inten || !sig)
            st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "frames", -1, "buffers");
    }
    if (st == TSCT_OK)
        st = tsct_frames_read(fr, 0, frames, &err);
    if (st == TSCT_OK)
        st = plan_inputs(o, &g, &cli->log, rows, cols, frames, tsct_frames_pixel_mask(fr), &mask,
                         &dark, &flat, &err);
    if (st == TSCT_OK) {
        st = tsct_integrate_plan_create(&o->params, &g, rows, cols, mask, dark, flat, &plan, &err);
        if (st != TSCT_OK)
            tsct_error_set_file(&err, o->poni);
    }
    size_t ws = plan ? tsct_integrate_workspace_size(plan) : 0;
    if (st == TSCT_OK && !(work = malloc(ws ? ws : 1)))
        st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "workspace", -1, "%zu bytes", ws);

    tsct_cli_guard_file(o->container);
    if (st == TSCT_OK) {
        FILE *exists = fopen(o->container, "rb");
        if (exists) {
            fclose(exists);
            st = tsct_container_open(o->container, TSCT_OPEN_WRITE, &c, &err);
        } else {
            st = tsct_container_create(o->container, 0, &c, &err);
        }
    }
    if (st == TSCT_OK) {
        char fp[4096], monitor_fp[600];
        snprintf(monitor_fp, sizeof monitor_fp, "%s%s%s%s%s",
                 o->monitor_header ? "header:" : "",
                 o->monitor_dataset  ? o->monitor_dataset
                 : o->monitor_header ? o->monitor_header
                                     : "",
                 o->transmission_dataset || o->transmission_header ? " transmission=" : "",
                 o->transmission_header ? "header:" : "",
                 o->transmission_dataset  ? o->transmission_dataset
                 : o->transmission_header ? o->transmission_header
                                          : "");
        int used = snprintf(fp, sizeof fp,
                            "frames=%lld of %lldx%lld scan=%lldx%lldx%lldx%lld toff=%lld "
                            "zigzag=%d poni=%s npt=%lld unit=%s split=%s filter=%s pol=%g sa=%d "
                            "mask=%s dark=%s flat=%s monitor=%s first=%s",
                            (long long)nframes, (long long)rows, (long long)cols, (long long)nt,
                            (long long)nz, (long long)na, (long long)ns, (long long)o->time_offset,
                            o->zigzag, o->poni, (long long)npt, tsct_unit_name(o->params.unit),
                            tsct_integrate_split_name(o->params.split),
                            o->filter ? o->filter : "mean", o->params.polarization,
                            o->params.solid_angle, o->mask ? o->mask : "", o->dark ? o->dark : "",
                            o->flat ? o->flat : "",
                            monitor_fp, o->images[0]);
        (void)used;
        if (tsct_cli_up_to_date(cli, c, "integrate", fp))
            goto up_to_date;
        tsct_step_info info = {"integrate", cli->command_line, NULL, fp, nt * nz * na, NULL, NULL, 0};
        st = tsct_step_begin(c, &info, &cli->log, &step, &err);
    }
    int64_t cube[5] = {nt, nz, na, ns, npt};
    if (st == TSCT_OK) {
        radial = malloc((size_t)npt * sizeof *radial);
        angles = malloc((size_t)na * sizeof *angles);
        trans = malloc((size_t)ns * sizeof *trans);
        zs = malloc((size_t)nz * sizeof *zs);
        times = malloc((size_t)nt * sizeof *times);
        if (!radial || !angles || !trans || !zs || !times)
            st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "axes", -1, "arrays");
    }
    if (st == TSCT_OK) {
        memcpy(radial, tsct_integrate_plan_radial(plan), (size_t)npt * sizeof *radial);
        for (int64_t a = 0; a < na; a++)
            angles[a] = o->angle_range * (double)a / (double)na;
        double step_mm = o->translation_step > 0 ? o->translation_step : 1.0;
        for (int64_t j = 0; j < ns; j++)
            trans[j] = (double)(j - ns / 2) * step_mm;
        for (int64_t k = 0; k < nz; k++)
            zs[k] = (double)k;
        for (int64_t t = 0; t < nt; t++)
            times[t] = (double)(o->time_offset + t);
        st = tsct_step_vector(step, TSCT_PATH_INTEGRATED_Q, radial, npt,
                              o->params.unit == TSCT_UNIT_Q_A ? "A^-1" : tsct_unit_name(o->params.unit),
                              &err);
        if (st == TSCT_OK && o->time_offset == 0) {
            st = tsct_step_vector(step, "/entry/scan/angle", angles, na, "deg", &err);
            if (st == TSCT_OK)
                st = tsct_step_vector(step, "/entry/scan/translation", trans, ns,
                                      o->translation_step > 0 ? "mm" : "steps", &err);
            if (st == TSCT_OK)
                st = tsct_step_vector(step, "/entry/scan/z", zs, nz, "index", &err);
            if (st == TSCT_OK)
                st = tsct_step_vector(step, "/entry/scan/time", times, nt, "index", &err);
        }
    }
    int64_t toff = o->time_offset > 0 ? o->time_offset : -1;
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, TSCT_PATH_INTEGRATED, 5, cube, toff, NULL, &d_data, &err);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, TSCT_PATH_INTEGRATED_SIGMA, 5, cube, toff, NULL, &d_sigma,
                               &err);
    /* The sample's transmission at every point, acquisition order like the patterns. */
    const int64_t tshape[4] = {nt, nz, na, ns};
    if (st == TSCT_OK && (o->transmission_dataset || o->transmission_header)) {
        st = tsct_step_dataset(step, TSCT_PATH_SCAN "/transmission", 4, tshape, toff, NULL,
                               &d_trans, &err);
        if (st == TSCT_OK && !(tline = malloc((size_t)ns * sizeof *tline)))
            st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "transmission", -1, "one row");
    }

    tsct_progress progress;
    if (st == TSCT_OK)
        tsct_progress_begin(&progress, &cli->progress, "integrate frames", nframes,
                            tsct_step_done_count(step) * ns);
    for (int64_t u = 0; st == TSCT_OK && u < nt * nz * na; u++) {
        if (tsct_step_is_done(step, u))
            continue;
        /* Frames u * ns .. u * ns + ns - 1 are this row, in batches. */
        for (int64_t j0 = 0; j0 < ns && st == TSCT_OK; j0 += batch) {
            int64_t nb = ns - j0 < batch ? ns - j0 : batch;
            for (int64_t b = 0; b < nb && st == TSCT_OK; b++) {
                st = tsct_frames_read(fr, u * ns + j0 + b, frames + b * npx, &err);
                if (st == TSCT_OK && o->monitor_dataset)
                    st = frame_monitor(fr, o->monitor_dataset, u * ns + j0 + b, &mc, "monitor",
                                       &monitors[b], &err);
                else if (st == TSCT_OK && o->monitor_header)
                    st = frame_monitor_header(fr, o->monitor_header, u * ns + j0 + b,
                                              "monitor", &monitors[b], &err);
                double tv = 0;
                if (st == TSCT_OK && o->transmission_dataset)
                    st = frame_monitor(fr, o->transmission_dataset, u * ns + j0 + b, &tc,
                                       "transmission", &tv, &err);
                else if (st == TSCT_OK && o->transmission_header)
                    st = frame_monitor_header(fr, o->transmission_header, u * ns + j0 + b,
                                              "transmission", &tv, &err);
                if (tline)
                    tline[j0 + b] = (float)tv;
            }
            if (st == TSCT_OK)
                st = tsct_integrate_execute_many(plan, nb, frames,
                                                 o->monitor_dataset || o->monitor_header
                                                     ? monitors
                                                     : NULL,
                                                 inten + j0 * npt, sig + j0 * npt, work, ws,
                                                 &err);
            tsct_progress_add(&progress, nb);
        }
        int64_t lead[3] = {u / (nz * na), u / na % nz, u % na};
        if (st == TSCT_OK)
            st = tsct_dataset_write_row(d_data, lead, inten, &err);
        if (st == TSCT_OK)
            st = tsct_dataset_write_row(d_sigma, lead, sig, &err);
        if (st == TSCT_OK && d_trans) {
            const int64_t ts[4] = {lead[0], lead[1], lead[2], 0}, tn[4] = {1, 1, 1, ns};
            st = tsct_dataset_write(d_trans, ts, tn, tline, &err);
        }
        if (st == TSCT_OK)
            st = tsct_step_mark_done(step, u, 1, &err);
    }
    tsct_dataset_close(d_data);
    tsct_dataset_close(d_sigma);
    tsct_dataset_close(d_trans);
    d_data = d_sigma = d_trans = NULL;
    if (st == TSCT_OK) {
        tsct_progress_end(&progress);
        st = tsct_step_commit(step, &err);
        step = NULL;
    }
    if (st == TSCT_OK && o->time_offset == 0)
        st = tsct_container_set_attr_int(c, TSCT_PATH_SCAN, "zigzag", o->zigzag, &err);
    if (st == TSCT_OK && o->time_offset == 0)
        st = tsct_container_set_attr_string(c, TSCT_PATH_SCAN, "fast_axis", "translation", &err);
    if (st == TSCT_OK) {
        g.shape[0] = rows;
        g.shape[1] = cols;
        st = tsct_container_write_geometry(c, &g, &err);
    }
    if (st == TSCT_OK)
        tsct_log_msg(&cli->log, TSCT_LOG_INFO,
                     "integrated %lld frames (%lld time steps x %lld slices x %lld angles x %lld "
                     "translations) into %s:%s",
                     (long long)nframes, (long long)nt, (long long)nz, (long long)na,
                     (long long)ns, o->container, TSCT_PATH_INTEGRATED);
up_to_date:
    tsct_step_close(step);
    if (st == TSCT_OK)
        st = tsct_container_close(c, &err);
    else
        tsct_container_close(c, NULL);
    tsct_frames_close(fr);
    tsct_integrate_plan_destroy(plan);
    free(mask);
    free(dark);
    free(flat);
    free(frames);
    free(inten);
    free(sig);
    free(work);
    free(angles);
    free(trans);
    free(zs);
    free(times);
    free(radial);
    free(mc.v);
    free(tc.v);
    free(tline);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}

int tsct_cmd_integrate(tsct_cli *cli, int argc, char **argv)
{
    struct integrate_opts o;
    int rc = parse_options(cli, argc, argv, &o);
    if (rc != 0)
        return rc;
    if (o.container)
        return integrate_scan(cli, &o);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = TSCT_OK;
    tsct_poni g;
    tsct_image img, aux;
    tsct_image_init(&img);
    tsct_image_init(&aux);
    uint8_t *mask = NULL;
    float *dark = NULL, *flat = NULL, *inten = NULL, *sig = NULL;
    void *work = NULL;
    tsct_integrate_plan *plan = NULL;
    char path[TSCT_PATH_MAX];

    if ((st = tsct_poni_read(&g, o.poni, &err)) != TSCT_OK)
        goto done;
    if (o.nimages > 1 && mkdir(o.output, 0777) != 0 && errno != EEXIST) {
        st = tsct_error_set(&err, TSCT_ERR_IO, o.output, "output folder", -1,
                            "cannot create: %s", strerror(errno));
        goto done;
    }
    if ((st = tsct_image_read(&img, o.images[0], NULL, &err)) != TSCT_OK)
        goto done;
    const int64_t rows = img.rows, cols = img.cols, n = rows * cols;
    mask = malloc((size_t)n);
    if (!mask) {
        st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "mask", -1, "%lld pixels", (long long)n);
        goto done;
    }
    if ((st = tsct_image_mask_negative(&img, mask, NULL, &err)) != TSCT_OK)
        goto done;
    mask_module_gaps(&g, rows, cols, mask, &cli->log);
    if (o.mask) {
        if ((st = read_aux(o.mask, "mask", rows, cols, &aux, &err)) != TSCT_OK)
            goto done;
        for (int64_t k = 0; k < n; k++)
            mask[k] |= aux.data[k] != 0;
    }
    const char *names[2] = {o.dark, o.flat};
    float **arrays[2] = {&dark, &flat};
    for (int a = 0; a < 2; a++) {
        if (!names[a])
            continue;
        if ((st = read_aux(names[a], a ? "flat" : "dark", rows, cols, &aux, &err)) != TSCT_OK)
            goto done;
        for (int64_t k = 0; k < n; k++)
            if (!isfinite(aux.data[k]) || (a == 1 && aux.data[k] == 0)) {
                st = tsct_error_set(&err, TSCT_ERR_VALUE, names[a], a ? "flat" : "dark", k,
                                    "pixel (%lld, %lld) is %g: expected a finite%s value",
                                    (long long)(k / cols), (long long)(k % cols),
                                    (double)aux.data[k], a ? ", non-zero" : "");
                goto done;
            }
        *arrays[a] = malloc((size_t)n * sizeof(float));
        if (!*arrays[a]) {
            st = tsct_error_set(&err, TSCT_ERR_NOMEM, names[a], NULL, -1, "%lld pixels",
                                (long long)n);
            goto done;
        }
        memcpy(*arrays[a], aux.data, (size_t)n * sizeof(float));
    }
    double t0 = tsct_clock();
    if ((st = tsct_integrate_plan_create(&o.params, &g, rows, cols, mask, dark, flat, &plan,
                                         &err)) != TSCT_OK) {
        tsct_error_set_file(&err, o.poni);
        goto done;
    }
    tsct_log_msg(&cli->log, TSCT_LOG_INFO, "plan: %lld x %lld pixels, %lld bins, %lld entries, "
                 "%.2f s", (long long)rows, (long long)cols, (long long)o.params.npt,
                 (long long)tsct_integrate_plan_nnz(plan), tsct_clock() - t0);
    size_t ws = tsct_integrate_workspace_size(plan);
    work = malloc(ws ? ws : 1);
    inten = malloc((size_t)o.params.npt * sizeof *inten);
    sig = malloc((size_t)o.params.npt * sizeof *sig);
    if (!work || !inten || !sig) {
        st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "workspace", -1, "%zu bytes", ws);
        goto done;
    }
    tsct_progress progress;
    tsct_progress_begin(&progress, &cli->progress, "integrate images", o.nimages, 0);
    for (int i = 0; i < o.nimages && st == TSCT_OK; i++) {
        if (i > 0 && (st = tsct_image_read(&img, o.images[i], NULL, &err)) != TSCT_OK)
            break;
        if (img.rows != rows || img.cols != cols) {
            st = tsct_error_set(&err, TSCT_ERR_SHAPE, o.images[i], "image", -1,
                                "shape %lld x %lld, expected %lld x %lld like %s",
                                (long long)img.rows, (long long)img.cols, (long long)rows,
                                (long long)cols, o.images[0]);
            break;
        }
        if ((st = tsct_integrate_execute(plan, img.data, o.monitor, inten, sig, work, ws,
                                         &err)) != TSCT_OK) {
            tsct_error_set_file(&err, o.images[i]);
            break;
        }
        output_path(&o, i, path, sizeof path);
        st = write_xy(&o, &g, plan, o.images[i], path, inten, sig, &err);
        tsct_log_msg(&cli->log, TSCT_LOG_DEBUG, "%s -> %s", o.images[i], path);
        tsct_progress_add(&progress, 1);
    }
    tsct_progress_end(&progress);
    if (st == TSCT_OK)
        tsct_log_msg(&cli->log, TSCT_LOG_INFO, "integrated %d image%s into %s", o.nimages,
                     o.nimages > 1 ? "s" : "", o.output);
done:
    tsct_integrate_plan_destroy(plan);
    tsct_image_release(&img);
    tsct_image_release(&aux);
    free(mask);
    free(dark);
    free(flat);
    free(inten);
    free(sig);
    free(work);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
