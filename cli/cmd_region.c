/* cmd_region.c - `tsct region`: the mean reconstructed pattern of a region, per time step.
 *
 * A region is a mask of voxels [nz][ny][nx]: a circle (centre offset and radius in voxels, as
 * the Si study averaged a 16-voxel circle) or a thresholded map. Its mean pattern at every
 * time step goes to /entry/regions/NAME/pattern [nt][nq] with the mask and the q axis, through
 * a step (so it is replaced whole or not at all), and optionally to one .xy file per time
 * step. `tsct pdf --region NAME` turns the series into G(r) and difference PDFs, `tsct fit
 * peak --series` fits it.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/image.h"
#include "tsct/maps.h"
#include "tsct/publish.h"

const char tsct_usage_region[] =
    "usage: tsct region EXP.h5 --name NAME (--circle DX,DY,R | --mask-map MAP |\n"
    "                   --mask-file IMAGE) [options]\n"
    "\n"
    "Average the reconstructed patterns (/entry/recon) over a region of voxels at every time\n"
    "step: /entry/regions/NAME/pattern [nt][nq] (the mean over the region's voxels whose\n"
    "pattern is finite), /entry/regions/NAME/mask [nz][ny][nx] (1 inside), /entry/regions/\n"
    "NAME/q; attributes record the definition and the voxel count.\n"
    "\n"
    "Options:\n"
    "      --name NAME          the region (letters, digits, '_', '-', '.')\n"
    "      --circle DX,DY,R     a disc of radius R voxels whose centre is DX, DY voxels from\n"
    "                           the centre of each slice\n"
    "      --mask-map MAP       voxels where /entry/maps/MAP at --mask-time exceeds the\n"
    "      --threshold F        threshold: F times its 99.5th percentile (default 0.5), or\n"
    "                           otsu\n"
    "      --mask-time T        the time step of the mask map (default 0)\n"
    "      --mask-file IMAGE    an image [ny][nx] (TIFF, EDF, npy; non-zero = inside) for\n"
    "                           every slice\n"
    "  -o, --output DIR         also write DIR/NAME_tNNNN.xy (q, mean intensity)\n";

static int valid_name(const char *s)
{
    if (!*s || strlen(s) >= 64)
        return 0;
    for (; *s; s++)
        if (!(*s == '_' || *s == '-' || *s == '.' || (*s >= '0' && *s <= '9') ||
              (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            return 0;
    return 1;
}

int tsct_cmd_region(tsct_cli *cli, int argc, char **argv)
{
    enum { O_NAME = 1000, O_CIRCLE, O_MAP, O_THR, O_MT, O_FILE };
    static const struct option longopts[] = {
        {"name", required_argument, NULL, O_NAME},    {"circle", required_argument, NULL, O_CIRCLE},
        {"mask-map", required_argument, NULL, O_MAP}, {"threshold", required_argument, NULL, O_THR},
        {"mask-time", required_argument, NULL, O_MT}, {"output", required_argument, NULL, 'o'},
        {"mask-file", required_argument, NULL, O_FILE},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL, *map = NULL, *thr_text = "0.5", *output = NULL, *file = NULL;
    double dx = 0, dy = 0, radius = -1, frac = 0.5;
    int64_t mask_t = 0;
    int have_circle = 0;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
        switch (ch) {
        case O_NAME: name = optarg; break;
        case O_CIRCLE:
            if (sscanf(optarg, "%lf,%lf,%lf", &dx, &dy, &radius) != 3 || !(radius > 0))
                return tsct_cli_usage_error(cli, "--circle expects DX,DY,R with R > 0, got '%s'",
                                            optarg);
            have_circle = 1;
            break;
        case O_MAP: map = optarg; break;
        case O_FILE: file = optarg; break;
        case O_THR:
            thr_text = optarg;
            if (strcmp(optarg, "otsu") != 0 &&
                (tsct_cli_parse_double(optarg, &frac) != 0 || !(frac > 0)))
                return tsct_cli_usage_error(cli, "--threshold expects F > 0 or otsu, got '%s'",
                                            optarg);
            break;
        case O_MT:
            if (tsct_cli_parse_int64(optarg, &mask_t) != 0 || mask_t < 0)
                return tsct_cli_usage_error(cli, "--mask-time expects an index >= 0, got '%s'",
                                            optarg);
            break;
        case 'o': output = optarg; break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind == argc ? "missing EXP.h5" : "one container");
    if (!name || !valid_name(name))
        return tsct_cli_usage_error(cli, "--name expects 1-63 letters, digits, '_', '-', '.'");
    if (have_circle + !!map + !!file != 1)
        return tsct_cli_usage_error(cli, "give one of --circle DX,DY,R, --mask-map MAP, "
                                    "--mask-file IMAGE");
    const char *path = argv[optind];
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    tsct_dataset *recon = NULL, *md = NULL, *dpat = NULL, *dmask = NULL;
    tsct_step *step = NULL;
    double *q = NULL, *sum = NULL, *acc = NULL;
    float *row = NULL, *mapbuf = NULL, *pat = NULL, *maskf = NULL;
    uint8_t *mask = NULL;
    int64_t nq = 0, s[8] = {0}, total = 0;
    tsct_cli_guard_file(path);
    tsct_status st = tsct_container_open(path, TSCT_OPEN_WRITE, &c, &err);
    if (st == TSCT_OK)
        st = tsct_dataset_open(c, TSCT_PATH_RECON, &recon, &err);
    if (st == TSCT_OK)
        st = tsct_container_read_vector(c, TSCT_PATH_RECON_Q, &q, &nq, &err);
    if (st == TSCT_OK && (tsct_dataset_shape(recon, s) != 5 || s[4] != nq))
        st = tsct_error_set(&err, TSCT_ERR_SHAPE, path, TSCT_PATH_RECON, -1,
                            "expected [nt][nz][ny][nx][%lld]", (long long)nq);
    const int64_t nt = s[0], nz = s[1], ny = s[2], nx = s[3], nvox = nz * ny * nx;
    if (st == TSCT_OK &&
        (!(mask = calloc((size_t)nvox, 1)) || !(row = malloc((size_t)(nx * nq) * sizeof *row)) ||
         !(sum = malloc((size_t)nq * sizeof *sum)) || !(acc = malloc((size_t)nq * sizeof *acc)) ||
         !(pat = malloc((size_t)(nt * nq) * sizeof *pat)) ||
         !(maskf = malloc((size_t)nvox * sizeof *maskf))))
        st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "region", -1, "buffers");
    char definition[512];
    if (st == TSCT_OK && have_circle) {
        for (int64_t z = 0; z < nz; z++)
            tsct_maps_circle(mask + z * ny * nx, ny, nx, dx, dy, radius);
        snprintf(definition, sizeof definition, "circle of radius %g voxels centred %g, %g "
                 "voxels from the centre of each slice", radius, dx, dy);
    } else if (st == TSCT_OK && file) {
        tsct_image img;
        tsct_image_init(&img);
        st = tsct_image_read(&img, file, NULL, &err);
        if (st == TSCT_OK && (img.rows != ny || img.cols != nx))
            st = tsct_error_set(&err, TSCT_ERR_SHAPE, file, NULL, -1,
                                "the mask is %lld x %lld, the reconstruction's slices %lld x %lld",
                                (long long)img.rows, (long long)img.cols, (long long)ny,
                                (long long)nx);
        for (int64_t v = 0; st == TSCT_OK && v < nvox; v++)
            mask[v] = img.data[v % (ny * nx)] != 0.0f;
        tsct_image_release(&img);
        snprintf(definition, sizeof definition, "mask image %s (non-zero = inside)", file);
    } else if (st == TSCT_OK) {
        char mp[300];
        snprintf(mp, sizeof mp, TSCT_PATH_MAPS "/%s", map);
        int64_t ms[8] = {0};
        if (!tsct_container_exists(c, mp))
            st = tsct_error_set(&err, TSCT_ERR_NOT_FOUND, path, mp, -1, "no such map");
        if (st == TSCT_OK)
            st = tsct_dataset_open(c, mp, &md, &err);
        if (st == TSCT_OK && (tsct_dataset_shape(md, ms) != 4 || ms[1] != nz || ms[2] != ny ||
                              ms[3] != nx || mask_t >= ms[0]))
            st = tsct_error_set(&err, TSCT_ERR_SHAPE, path, mp, mask_t,
                                "expected [nt > %lld][%lld][%lld][%lld], the recon's voxels",
                                (long long)mask_t, (long long)nz, (long long)ny, (long long)nx);
        if (st == TSCT_OK && !(mapbuf = malloc((size_t)nvox * sizeof *mapbuf)))
            st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, mp, -1, "map");
        if (st == TSCT_OK) {
            int64_t start[4] = {mask_t, 0, 0, 0}, count[4] = {1, nz, ny, nx};
            st = tsct_dataset_read(md, start, count, mapbuf, &err);
        }
        if (st == TSCT_OK) {
            double thr = strcmp(thr_text, "otsu") == 0
                             ? tsct_maps_otsu(mapbuf, nvox, 256)
                             : frac * tsct_maps_percentile(mapbuf, nvox, 99.5);
            tsct_maps_threshold(mapbuf, nvox, thr, mask);
            snprintf(definition, sizeof definition, "%s at time step %lld above %.9g (%s)", map,
                     (long long)mask_t, thr, thr_text);
        }
    }
    int64_t inside = 0;
    for (int64_t v = 0; st == TSCT_OK && v < nvox; v++) {
        inside += mask[v] != 0;
        maskf[v] = mask[v] ? 1.0f : 0.0f;
    }
    if (st == TSCT_OK && inside == 0)
        st = tsct_error_set(&err, TSCT_ERR_VALUE, path, name, -1,
                            "the region is empty (%s)", definition);
    for (int64_t t = 0; st == TSCT_OK && t < nt; t++) {
        int64_t used = 0;
        for (int64_t k = 0; k < nq; k++)
            acc[k] = 0;
        for (int64_t z = 0; st == TSCT_OK && z < nz; z++)
            for (int64_t y = 0; st == TSCT_OK && y < ny; y++) {
                const uint8_t *mrow = mask + (z * ny + y) * nx;
                int any = 0;
                for (int64_t x = 0; x < nx && !any; x++)
                    any = mrow[x] != 0;
                if (!any)
                    continue;
                int64_t lead[3] = {t, z, y};
                st = tsct_dataset_read_row(recon, lead, row, &err);
                if (st == TSCT_OK) {
                    used += tsct_maps_region_sum(row, mrow, nx, nq, sum, NULL);
                    for (int64_t k = 0; k < nq; k++)
                        acc[k] += sum[k];
                }
            }
        for (int64_t k = 0; k < nq; k++)
            pat[t * nq + k] = used ? (float)(acc[k] / (double)used) : NAN;
        total += used;
    }
    char stepname[96];
    snprintf(stepname, sizeof stepname, "region_%s", name);
    for (char *p = stepname; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            *p = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : '_';
    if (st == TSCT_OK) {
        tsct_step_info info = {stepname, cli->command_line, definition, definition, 1, NULL, NULL, 0};
        st = tsct_step_begin(c, &info, &cli->log, &step, &err);
    }
    char base[300], p1[340];
    snprintf(base, sizeof base, "%s/%s", TSCT_PATH_REGIONS, name);
    if (st == TSCT_OK) {
        int64_t pshape[2] = {nt, nq};
        snprintf(p1, sizeof p1, "%s/pattern", base);
        st = tsct_step_dataset(step, p1, 2, pshape, -1, NULL, &dpat, &err);
        int64_t start[2] = {0, 0};
        if (st == TSCT_OK)
            st = tsct_dataset_write(dpat, start, pshape, pat, &err);
        if (st == TSCT_OK)
            st = tsct_dataset_set_attr_string(dpat, "definition", definition, &err);
        if (st == TSCT_OK)
            st = tsct_dataset_set_attr_string(dpat, "reduction", "mean over the region's voxels "
                                              "with a finite pattern", &err);
    }
    if (st == TSCT_OK) {
        int64_t mshape[3] = {nz, ny, nx}, start[3] = {0, 0, 0};
        snprintf(p1, sizeof p1, "%s/mask", base);
        st = tsct_step_dataset(step, p1, 3, mshape, -1, NULL, &dmask, &err);
        if (st == TSCT_OK)
            st = tsct_dataset_write(dmask, start, mshape, maskf, &err);
    }
    if (st == TSCT_OK) {
        snprintf(p1, sizeof p1, "%s/q", base);
        st = tsct_step_vector(step, p1, q, nq, "A^-1", &err);
    }
    tsct_dataset_close(dpat);
    tsct_dataset_close(dmask);
    dpat = dmask = NULL;
    if (st == TSCT_OK)
        st = tsct_step_mark_done(step, 0, 1, &err);
    if (st == TSCT_OK) {
        st = tsct_step_commit(step, &err);
        step = NULL;
    }
    for (int64_t t = 0; st == TSCT_OK && output && t < nt; t++) {
        char xy[4200];
        snprintf(xy, sizeof xy, "%s/%s_t%04lld.xy", output, name, (long long)t);
        tsct_publish pub;
        FILE *f = NULL;
        st = tsct_publish_fopen(&pub, xy, &f, &err);
        if (st != TSCT_OK)
            break;
        fprintf(f, "# region %s of %s, time step %lld: %s\n# q (1/A)  mean intensity\n", name,
                path, (long long)t, definition);
        for (int64_t k = 0; k < nq; k++)
            fprintf(f, "%.9g %.9g\n", q[k], pat[t * nq + k]);
        st = tsct_publish_fclose(&pub, f, &err);
    }
    if (st == TSCT_OK)
        tsct_log_msg(&cli->log, TSCT_LOG_INFO,
                     "region %s: %lld voxels, mean pattern of %lld time steps in %s:%s", name,
                     (long long)inside, (long long)nt, path, base);
    tsct_step_close(step);
    tsct_dataset_close(recon);
    tsct_dataset_close(md);
    if (st == TSCT_OK)
        st = tsct_container_close(c, &err);
    else
        tsct_container_close(c, NULL);
    free(q), free(sum), free(acc), free(row), free(mapbuf), free(pat), free(maskf), free(mask);
    (void)total;
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
