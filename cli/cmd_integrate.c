/* cmd_integrate.c - `tsct integrate`: azimuthal integration of detector images into .xy files.
 *
 * One plan (tsct/integrate.h) is built from the PONI file, the first image's shape, the mask,
 * dark and flat, and executed on every image; the patterns are written as text files with a
 * pyFAI-like "#" header recording the geometry and the options. One image: -o names the file;
 * several: -o names a folder that receives NAME.xy per image (NAME = the image's file name
 * without its extension). Each file is published atomically (tsct/publish.h).
 *
 * Scans (frames from HDF5 stacks into /entry/integrated of a container, resumable) are not
 * handled here yet: they will feed tsct_integrate_execute_many() with the frames of a
 * tsct/frames.h source inside a tsct_step.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "tsct/image.h"
#include "tsct/integrate.h"
#include "tsct/poni.h"
#include "tsct/progress.h"
#include "tsct/publish.h"
#include "tsct/version.h"

const char tsct_usage_integrate[] =
    "usage: tsct integrate IMAGE... --poni FILE -o OUT [options]\n"
    "\n"
    "Azimuthally integrate detector images (CBF, EDF, TIFF, npy) into 1-D patterns, as\n"
    "pyFAI 0.21's integrate1d_ng does (docs/integration.md). One image: OUT is the .xy\n"
    "file; several: OUT is a folder that receives NAME.xy for each IMAGE. Every file has\n"
    "three columns (radial, intensity, sigma from the Poisson model) under a '#' header with\n"
    "the geometry and the options. Negative pixels of the first image (Pilatus and Eiger\n"
    "gaps) are masked in every image.\n"
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
    "Example:\n"
    "  tsct integrate CeO2.cbf --poni CeO2.poni --mask mask.edf --filter trimmed:10,90 \\\n"
    "      -o CeO2.xy\n";

struct integrate_opts {
    const char *poni, *output, *mask, *dark, *flat, *filter;
    tsct_integrate_params params;
    double monitor;
    char **images;
    int nimages;
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
           OPT_MONITOR };
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
        {NULL, 0, NULL, 0},
    };
    tsct_integrate_params defaults = TSCT_INTEGRATE_PARAMS_DEFAULT;
    memset(o, 0, sizeof *o);
    o->params = defaults;
    o->params.nthreads = cli->nthreads;
    o->monitor = 1.0;
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
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return tsct_cli_usage_error(cli, "missing IMAGE");
    if (!o->poni)
        return tsct_cli_usage_error(cli, "missing --poni FILE");
    if (!o->output)
        return tsct_cli_usage_error(cli, "missing -o OUT");
    o->images = argv + optind;
    o->nimages = argc - optind;
    return 0;
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

int tsct_cmd_integrate(tsct_cli *cli, int argc, char **argv)
{
    struct integrate_opts o;
    int rc = parse_options(cli, argc, argv, &o);
    if (rc != 0)
        return rc;
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
