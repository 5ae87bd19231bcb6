/* cmd_frames.c - `tsct frames SPEC...`: what a scan's frames are, before integrating them.
 *
 * Opens the specs as one frame source (tsct/frames.h) and prints the number of frames, their
 * shape and stored type, the sources, the detector metadata found (Dectris masters) and the
 * masking rules in force; with --stats it reads every frame and prints one line per frame:
 * minimum, maximum and mean of the unmasked pixels and the masked count. Read-only: nothing is
 * written, so there is no step to resume.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/container.h"
#include "tsct/frames.h"
#include "tsct/progress.h"
#include "tsct/publish.h"

const char tsct_usage_frames[] =
    "usage: tsct frames [--stats] [options] SPEC...\n"
    "\n"
    "Describe the frames of a scan as tsct will read them: how many, their shape and stored\n"
    "type, where they come from, the detector metadata found and which pixels are masked.\n"
    "SPEC is one of\n"
    "  IMAGE                 a CBF, EDF, TIFF or npy file (multi-frame EDF / TIFF: all frames)\n"
    "  FOLDER                its CBF, EDF, TIFF and npy files in natural name order\n"
    "                        (frame_2 before frame_10)\n"
    "  FILE.h5::/dataset     an HDF5 dataset [frames][rows][cols] or [rows][cols], any type\n"
    "                        (BLISS virtual datasets included)\n"
    "  SCAN_master.h5        a Dectris master file: its data files, metadata and pixel mask\n"
    "each optionally followed by a slice of its frames: [start:stop], [start:stop:step] or\n"
    "[index] (Python rules, negative values count from the end). Frames of all specs form\n"
    "one series and must have the same shape.\n"
    "\n"
    "Options:\n"
    "  -s, --stats           read every frame; print per frame the minimum, maximum and mean\n"
    "                        of the unmasked pixels and the number of masked pixels\n"
    "      --no-pixel-mask   ignore the detector's pixel_mask (Dectris)\n"
    "      --negative auto|yes|no  mask negative values (auto: image files and integer data)\n"
    "      --overflow V      mask values >= V (default: 2^bit_depth - 1 from Dectris\n"
    "                        metadata; 0: never)\n"
    "\n"
    "Example:\n"
    "  tsct frames --stats scan_master.h5[0:10]\n";

static const char *dtype_name(tsct_image_dtype t)
{
    return tsct_image_dtype_name(t);
}

static void print_summary(const tsct_frames *f, const char *const *specs, int nspecs)
{
    tsct_frames_info in;
    tsct_frames_info_get(f, &in);
    printf("frames: %lld (%s%s)\n", (long long)in.nframes, in.kind,
           in.virtual_dataset ? ", virtual dataset" : "");
    printf("shape: %lld x %lld pixels (rows x columns), stored as %s\n", (long long)in.rows,
           (long long)in.cols, dtype_name(in.dtype));
    for (int i = 0; i < nspecs; i++)
        printf("source: %s\n", specs[i]);
    const char *first_file = NULL, *last_file = NULL, *d0 = NULL, *d1 = NULL;
    int64_t l0 = 0, l1 = 0;
    if (tsct_frames_locate(f, 0, &first_file, &d0, &l0, NULL) == TSCT_OK &&
        tsct_frames_locate(f, in.nframes - 1, &last_file, &d1, &l1, NULL) == TSCT_OK) {
        printf("first frame: %s%s%s[%lld]\n", first_file, d0[0] ? "::" : "", d0, (long long)l0);
        printf("last frame: %s%s%s[%lld]\n", last_file, d1[0] ? "::" : "", d1, (long long)l1);
    }
    if (in.detector[0])
        printf("detector: %s\n", in.detector);
    if (in.pixel1 > 0 || in.pixel2 > 0)
        printf("pixel size: %.1f x %.1f um (rows x columns)\n", in.pixel1 * 1e6,
               in.pixel2 * 1e6);
    if (in.distance > 0)
        printf("distance: %.3f mm\n", in.distance * 1e3);
    if (in.wavelength > 0)
        printf("wavelength: %.5f A (%.2f keV)\n", in.wavelength * 1e10,
               12.398419843320026 / (in.wavelength * 1e10));
    if (in.count_time > 0)
        printf("count time: %g s\n", in.count_time);
    if (in.beam_center_x != 0 || in.beam_center_y != 0)
        printf("beam center: x %g, y %g pixels\n", in.beam_center_x, in.beam_center_y);
    if (in.bit_depth > 0)
        printf("bit depth: %d\n", in.bit_depth);
    if (in.pixel_mask_count >= 0)
        printf("pixel mask: %lld pixels masked\n", (long long)in.pixel_mask_count);
    printf("masked per frame: negative values %s; values >= ",
           in.mask_negative ? "yes" : "no");
    if (in.mask_overflow > 0)
        printf("%.17g\n", in.mask_overflow);
    else
        printf("(no overflow rule)\n");
}

static tsct_status print_stats(tsct_cli *cli, const tsct_frames *f, tsct_error *err)
{
    int64_t rows, cols, n = tsct_frames_count(f);
    tsct_frames_shape(f, &rows, &cols);
    float *buf = malloc((size_t)(rows * cols) * sizeof *buf);
    uint8_t *mask = malloc((size_t)(rows * cols));
    if (!buf || !mask) {
        free(buf);
        free(mask);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "frame", -1, "%lld x %lld pixels",
                              (long long)rows, (long long)cols);
    }
    printf("# frame min max mean masked source\n");
    tsct_progress progress;
    tsct_progress_begin(&progress, &cli->progress, "frames", n, 0);
    tsct_status st = TSCT_OK;
    for (int64_t k = 0; k < n && st == TSCT_OK; k++) {
        const char *file = "", *dset = "";
        int64_t local = 0;
        tsct_frames_locate(f, k, &file, &dset, &local, NULL);
        tsct_cli_guard_file(dset[0] ? file : NULL);
        st = tsct_frames_read(f, k, buf, err);
        int64_t nm = 0;
        if (st == TSCT_OK)
            st = tsct_frames_mask(f, k, buf, mask, &nm, err);
        if (st != TSCT_OK)
            break;
        double lo = INFINITY, hi = -INFINITY, sum = 0;
        int64_t nv = 0;
        for (int64_t i = 0; i < rows * cols; i++) {
            if (mask[i])
                continue;
            double v = buf[i];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            sum += v;
            nv++;
        }
        if (nv)
            printf("%lld %.9g %.9g %.17g %lld %s%s%s[%lld]\n", (long long)k, lo, hi,
                   sum / (double)nv, (long long)nm, file, dset[0] ? "::" : "", dset,
                   (long long)local);
        else
            printf("%lld nan nan nan %lld %s%s%s[%lld]\n", (long long)k, (long long)nm, file,
                   dset[0] ? "::" : "", dset, (long long)local);
        tsct_progress_add(&progress, 1);
    }
    tsct_progress_end(&progress);
    tsct_cli_guard_file(NULL);
    free(buf);
    free(mask);
    return st;
}

int tsct_cmd_frames(tsct_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"stats", no_argument, NULL, 's'},
        {"no-pixel-mask", no_argument, NULL, 'P'},
        {"negative", required_argument, NULL, 'N'},
        {"overflow", required_argument, NULL, 'O'},
        {NULL, 0, NULL, 0},
    };
    tsct_frames_params params = TSCT_FRAMES_PARAMS_DEFAULT;
    int stats = 0;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":s", longopts, NULL)) != -1) {
        switch (ch) {
        case 's': stats = 1; break;
        case 'P': params.use_pixel_mask = 0; break;
        case 'N':
            if (strcmp(optarg, "auto") == 0)
                params.mask_negative = -1;
            else if (strcmp(optarg, "yes") == 0)
                params.mask_negative = 1;
            else if (strcmp(optarg, "no") == 0)
                params.mask_negative = 0;
            else
                return tsct_cli_usage_error(cli, "--negative expects auto, yes or no, got '%s'",
                                            optarg);
            break;
        case 'O':
            if (tsct_cli_parse_double(optarg, &params.mask_overflow) != 0 ||
                params.mask_overflow < 0)
                return tsct_cli_usage_error(cli, "--overflow expects a value >= 0, got '%s'",
                                            optarg);
            break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return tsct_cli_usage_error(cli, "missing SPEC (an image file, FILE.h5::/dataset or a "
                                         "Dectris master)");
    const char *const *specs = (const char *const *)(argv + optind);
    int nspecs = argc - optind;
    for (int i = 0; i < nspecs; i++) {
        /* Declare the HDF5 files about to be parsed (the guard names them on a crash). */
        char file[TSCT_PATH_MAX], dset[1024];
        tsct_path_split(specs[i], file, sizeof file, dset, sizeof dset);
        tsct_cli_guard_file(file);
    }
    tsct_error err = TSCT_ERROR_INIT;
    tsct_frames *f = NULL;
    tsct_status st = tsct_frames_open(specs, nspecs, &params, &f, &err);
    tsct_cli_guard_file(NULL);
    if (st != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    print_summary(f, specs, nspecs);
    if (stats)
        st = print_stats(cli, f, &err);
    tsct_frames_close(f);
    fflush(stdout);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
