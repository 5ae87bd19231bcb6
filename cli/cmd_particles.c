/* cmd_particles.c - `tsct particles`: particles of a phase map, their sizes, and any parameter
 * map averaged by depth below the particle surface.
 *
 * Per time step and slice: the map thresholded into a mask, small specks removed, connected
 * components labelled (8-connected), and the Euclidean distance of every particle voxel to the
 * nearest voxel outside the particles (lib/maps, exact as scipy's distance_transform_edt).
 * Optionally a parameter map (a fitted lattice parameter or peak position, as in the NMC
 * study) is averaged over shells of distance [k, k + 1) voxels: parameter against depth.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/maps.h"
#include "tsct/publish.h"

const char tsct_usage_particles[] =
    "usage: tsct particles EXP.h5 --map NAME [--parameter MAP] [options]\n"
    "\n"
    "Particles of a map: voxels above the threshold, components of fewer than --min-size\n"
    "voxels removed, 8-connected particles labelled per slice and time step. Writes\n"
    "/entry/maps/NAME_particles (labels 1, 2, ... per slice; 0 outside) and\n"
    "/entry/maps/NAME_depth (distance to the particle surface, voxels: 1 for the outermost\n"
    "voxels), and prints (or writes with -o) a table of particles: t, z, label, voxels,\n"
    "equivalent diameter. With --parameter MAP, also the mean of MAP over shells of depth\n"
    "[k, k + 1) voxels (--by-depth FILE.csv: t, shell, mean depth, mean, sd, count).\n"
    "\n"
    "Options:\n"
    "      --map NAME            the phase map\n"
    "      --threshold F         F times the map's 99.5th percentile over all time steps\n"
    "                            (default 0.5), or otsu\n"
    "      --min-size N          smallest particle, voxels (default 4)\n"
    "      --parameter MAP       a map to average by depth (e.g. a fitted peak position)\n"
    "      --shells N            depth shells (default 10)\n"
    "      --by-depth FILE.csv   the parameter-by-depth table\n"
    "  -o, --output FILE.csv     the particle table (default: standard output)\n";

static tsct_status read_all(tsct_container *c, const char *path, const char *name, float **out,
                            int64_t *shape, tsct_error *err)
{
    char p[300];
    snprintf(p, sizeof p, TSCT_PATH_MAPS "/%s", name);
    if (!tsct_container_exists(c, p))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, path, p, -1, "no such map");
    tsct_dataset *d = NULL;
    TSCT_TRY(tsct_dataset_open(c, p, &d, err));
    tsct_status st = TSCT_OK;
    if (tsct_dataset_shape(d, shape) != 4)
        st = tsct_error_set(err, TSCT_ERR_SHAPE, path, p, -1, "expected [nt][nz][ny][nx]");
    const int64_t n = shape[0] * shape[1] * shape[2] * shape[3];
    if (st == TSCT_OK && !(*out = malloc((size_t)n * sizeof **out)))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, p, -1, "map");
    if (st == TSCT_OK) {
        int64_t start[4] = {0, 0, 0, 0};
        st = tsct_dataset_read(d, start, shape, *out, err);
    }
    tsct_dataset_close(d);
    return st;
}

int tsct_cmd_particles(tsct_cli *cli, int argc, char **argv)
{
    enum { O_MAP = 1000, O_THR, O_MIN, O_PAR, O_SHELLS, O_BYDEPTH };
    static const struct option longopts[] = {
        {"map", required_argument, NULL, O_MAP},       {"threshold", required_argument, NULL, O_THR},
        {"min-size", required_argument, NULL, O_MIN},  {"parameter", required_argument, NULL, O_PAR},
        {"shells", required_argument, NULL, O_SHELLS}, {"by-depth", required_argument, NULL, O_BYDEPTH},
        {"output", required_argument, NULL, 'o'},      {NULL, 0, NULL, 0},
    };
    const char *map = NULL, *param = NULL, *bydepth = NULL, *output = NULL, *thr_text = "0.5";
    double frac = 0.5;
    int64_t min_size = 4, nshell = 10;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
        switch (ch) {
        case O_MAP: map = optarg; break;
        case O_PAR: param = optarg; break;
        case O_BYDEPTH: bydepth = optarg; break;
        case 'o': output = optarg; break;
        case O_THR:
            thr_text = optarg;
            if (strcmp(optarg, "otsu") != 0 &&
                (tsct_cli_parse_double(optarg, &frac) != 0 || !(frac > 0)))
                return tsct_cli_usage_error(cli, "--threshold expects F > 0 or otsu, got '%s'",
                                            optarg);
            break;
        case O_MIN:
        case O_SHELLS: {
            int64_t *v = ch == O_MIN ? &min_size : &nshell;
            if (tsct_cli_parse_int64(optarg, v) != 0 || *v < 1 || *v > 100000)
                return tsct_cli_usage_error(cli, "%s expects a count from 1, got '%s'",
                                            tsct_cli_option_name(argv, optind, optarg), optarg);
            break;
        }
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind == argc ? "missing EXP.h5" : "one container");
    if (!map)
        return tsct_cli_usage_error(cli, "missing --map NAME");
    if (bydepth && !param)
        return tsct_cli_usage_error(cli, "--by-depth needs --parameter MAP");
    const char *path = argv[optind];
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    tsct_step *step = NULL;
    tsct_dataset *dl = NULL, *dd = NULL;
    float *m = NULL, *par = NULL, *labelsf = NULL, *depth = NULL;
    uint8_t *mask = NULL;
    int32_t *labels = NULL;
    int64_t s[8] = {0}, ps[8] = {0};
    FILE *table = NULL, *dtable = NULL;
    tsct_publish pt, pd;
    tsct_cli_guard_file(path);
    tsct_status st = tsct_container_open(path, TSCT_OPEN_WRITE, &c, &err);
    if (st == TSCT_OK)
        st = read_all(c, path, map, &m, s, &err);
    if (st == TSCT_OK && param) {
        st = read_all(c, path, param, &par, ps, &err);
        if (st == TSCT_OK && memcmp(s, ps, 4 * sizeof *s) != 0)
            st = tsct_error_set(&err, TSCT_ERR_SHAPE, path, param, -1,
                                "differs in shape from the map %s", map);
    }
    const int64_t nt = s[0], nz = s[1], ny = s[2], nx = s[3], npix = ny * nx;
    const int64_t n = nt * nz * npix;
    if (st == TSCT_OK &&
        (!(mask = malloc((size_t)n)) || !(labels = malloc((size_t)npix * sizeof *labels)) ||
         !(labelsf = malloc((size_t)n * sizeof *labelsf)) ||
         !(depth = malloc((size_t)n * sizeof *depth))))
        st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "particles", -1, "buffers");
    double thr = 0;
    if (st == TSCT_OK) {
        thr = strcmp(thr_text, "otsu") == 0 ? tsct_maps_otsu(m, n, 256)
                                            : frac * tsct_maps_percentile(m, n, 99.5);
        tsct_maps_threshold(m, n, thr, mask);
    }
    if (st == TSCT_OK && output)
        st = tsct_publish_fopen(&pt, output, &table, &err);
    if (st == TSCT_OK && bydepth && (st = tsct_publish_fopen(&pd, bydepth, &dtable, &err)) != TSCT_OK)
        dtable = NULL;
    FILE *to = table ? table : stdout;
    if (st == TSCT_OK) {
        fprintf(to, "t,z,label,voxels,equivalent_diameter_voxels\n");
        if (dtable)
            fprintf(dtable, "t,shell,mean_depth_voxels,mean,sd,count\n");
    }
    int64_t nparticles = 0;
    for (int64_t t = 0; st == TSCT_OK && t < nt; t++) {
        for (int64_t z = 0; st == TSCT_OK && z < nz; z++) {
            uint8_t *mk = mask + (t * nz + z) * npix;
            float *dp = depth + (t * nz + z) * npix, *lf = labelsf + (t * nz + z) * npix;
            if (tsct_maps_remove_small(mk, ny, nx, min_size, 8) < 0 ||
                tsct_maps_label(mk, ny, nx, 8, labels) < 0) {
                st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "labels", -1, "components");
                break;
            }
            st = tsct_maps_distance(mk, ny, nx, dp, &err);
            int32_t nl = 0;
            for (int64_t k = 0; k < npix; k++) {
                lf[k] = (float)labels[k];
                nl = labels[k] > nl ? labels[k] : nl;
            }
            int64_t *count = calloc((size_t)nl + 1, sizeof *count);
            for (int64_t k = 0; count && k < npix; k++)
                count[labels[k]]++;
            for (int32_t l = 1; count && l <= nl; l++)
                fprintf(to, "%lld,%lld,%d,%lld,%.3f\n", (long long)t, (long long)z, l,
                        (long long)count[l], 2.0 * sqrt((double)count[l] / M_PI));
            free(count);
            nparticles += nl;
        }
        if (st == TSCT_OK && par) {
            /* Shells over every slice of the time step. */
            double *sum = calloc((size_t)nshell, sizeof *sum), *sq = calloc((size_t)nshell, sizeof *sq),
                   *dsum = calloc((size_t)nshell, sizeof *dsum);
            int64_t *cnt = calloc((size_t)nshell, sizeof *cnt);
            for (int64_t k = 0; sum && sq && dsum && cnt && k < nz * npix; k++) {
                const int64_t v = t * nz * npix + k;
                const float d = depth[v], p = par[v];
                if (!(d > 0) || !isfinite(p) || !isfinite(d))
                    continue;
                int64_t sh = (int64_t)floor(d - 1.0); /* depth 1 = outermost: shell 0 */
                if (sh < 0 || sh >= nshell)
                    continue;
                sum[sh] += p, sq[sh] += (double)p * p, dsum[sh] += d, cnt[sh]++;
            }
            for (int64_t sh = 0; dtable && sum && sq && dsum && cnt && sh < nshell; sh++) {
                double mean = cnt[sh] ? sum[sh] / cnt[sh] : NAN;
                double var = cnt[sh] > 1 ? (sq[sh] - cnt[sh] * mean * mean) / (cnt[sh] - 1) : NAN;
                fprintf(dtable, "%lld,%lld,%.4f,%.9g,%.9g,%lld\n", (long long)t, (long long)sh,
                        cnt[sh] ? dsum[sh] / cnt[sh] : NAN, mean, var > 0 ? sqrt(var) : 0.0,
                        (long long)cnt[sh]);
            }
            free(sum), free(sq), free(dsum), free(cnt);
        }
    }
    if (st == TSCT_OK) {
        char stepname[96], method[512], p1[340];
        snprintf(stepname, sizeof stepname, "particles");
        snprintf(method, sizeof method, "particles of %s above %.9g (%s), at least %lld voxels, "
                 "8-connected, labelled per slice", map, thr, thr_text, (long long)min_size);
        tsct_step_info info = {stepname, cli->command_line, method, method, 1, NULL, NULL, 0};
        st = tsct_step_begin(c, &info, &cli->log, &step, &err);
        int64_t start[4] = {0, 0, 0, 0};
        snprintf(p1, sizeof p1, TSCT_PATH_MAPS "/%s_particles", map);
        if (st == TSCT_OK)
            st = tsct_step_dataset(step, p1, 4, s, -1, NULL, &dl, &err);
        if (st == TSCT_OK)
            st = tsct_dataset_write(dl, start, s, labelsf, &err);
        if (st == TSCT_OK)
            st = tsct_dataset_set_attr_string(dl, "method", method, &err);
        snprintf(p1, sizeof p1, TSCT_PATH_MAPS "/%s_depth", map);
        if (st == TSCT_OK)
            st = tsct_step_dataset(step, p1, 4, s, -1, NULL, &dd, &err);
        if (st == TSCT_OK)
            st = tsct_dataset_write(dd, start, s, depth, &err);
        if (st == TSCT_OK)
            st = tsct_dataset_set_attr_string(dd, "method", "Euclidean distance (voxels) of "
                                               "each particle voxel to the nearest voxel outside "
                                               "the particles", &err);
        tsct_dataset_close(dl);
        tsct_dataset_close(dd);
        dl = dd = NULL;
        if (st == TSCT_OK)
            st = tsct_step_mark_done(step, 0, 1, &err);
        if (st == TSCT_OK) {
            st = tsct_step_commit(step, &err);
            step = NULL;
        }
    }
    if (table) {
        tsct_status s2 = tsct_publish_fclose(&pt, table, &err);
        st = st == TSCT_OK ? s2 : st;
    }
    if (dtable) {
        tsct_status s2 = tsct_publish_fclose(&pd, dtable, &err);
        st = st == TSCT_OK ? s2 : st;
    }
    if (st == TSCT_OK)
        tsct_log_msg(&cli->log, TSCT_LOG_INFO, "%lld particle(s) of %s over %lld time steps",
                     (long long)nparticles, map, (long long)nt);
    tsct_step_close(step);
    if (st == TSCT_OK)
        st = tsct_container_close(c, &err);
    else
        tsct_container_close(c, NULL);
    free(m), free(par), free(labelsf), free(depth), free(mask), free(labels);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
