/* cmd_coverage.c - `tsct coverage`: how much of a phase there is, time step by time step.
 *
 * The studies measure active-material coverage by counting the voxels of a phase map above a
 * threshold, and show material lost or gained as difference maps against a reference time
 * step. This command does both for maps already in the container (/entry/maps/NAME): one
 * threshold for the whole series (so counts are comparable over time), an optional
 * morphological clean-up, a CSV table, the masks as /entry/maps/NAME_mask and the difference
 * maps as /entry/maps/NAME_diff.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/container.h"
#include "tsct/echem.h"
#include "tsct/maps.h"
#include "tsct/publish.h"

const char tsct_usage_coverage[] =
    "usage: tsct coverage EXP.h5 --map NAME [options]\n"
    "\n"
    "Threshold the map /entry/maps/NAME into a mask per time step and slice, count the voxels\n"
    "(the coverage), and write a table: time step, slice, voxels, fraction of the first time\n"
    "step's count. The threshold is computed once, on one time step (the first, or\n"
    "--threshold-time), and used for all, so the counts can be compared over time.\n"
    "\n"
    "Options:\n"
    "  -m, --map NAME            the map (required)\n"
    "  -t, --threshold T         otsu (default) | abs:VALUE | pct:P[:FRACTION] (FRACTION times\n"
    "                            the P-th percentile, e.g. pct:99:0.2)\n"
    "      --threshold-time T    the time step whose map sets an otsu / pct threshold (0), or\n"
    "                            max: the one with the largest 99.5th percentile (a phase\n"
    "                            absent at first: step 0 holds only noise)\n"
    "      --open R              morphological opening with a disk of radius R voxels\n"
    "      --close R             closing with a disk of radius R\n"
    "      --min-size N          drop components smaller than N voxels (8-connected)\n"
    "  -o, --output FILE.csv     the table (default: print it); after tsct echem it also has\n"
    "                            each tomogram's capacity (mAh/g), voltage and half cycle\n"
    "      --masks               store the masks as /entry/maps/NAME_mask (0/1)\n"
    "      --difference REF      store NAME minus its time step REF as /entry/maps/NAME_diff\n";

struct cov_opts {
    const char *path, *map, *threshold, *output;
    int open_r, close_r, masks;
    int64_t min_size, diff_ref;
    int64_t thr_time;  /* the time step that sets an otsu / pct threshold; -1: the largest */
};

static int parse(tsct_cli *cli, int argc, char **argv, struct cov_opts *o)
{
    static const struct option longopts[] = {
        {"map", required_argument, NULL, 'm'},      {"threshold", required_argument, NULL, 't'},
        {"open", required_argument, NULL, 'O'},     {"close", required_argument, NULL, 'C'},
        {"min-size", required_argument, NULL, 'S'}, {"output", required_argument, NULL, 'o'},
        {"masks", no_argument, NULL, 'K'},          {"difference", required_argument, NULL, 'D'},
        {"threshold-time", required_argument, NULL, 'T'}, {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->threshold = "otsu";
    o->diff_ref = -1;
    optind = 1;
    opterr = 0;
    int ch;
    int64_t v;
    while ((ch = getopt_long(argc, argv, ":m:t:o:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'm': o->map = optarg; break;
        case 't': o->threshold = optarg; break;
        case 'o': o->output = optarg; break;
        case 'K': o->masks = 1; break;
        case 'T':
            if (strcmp(optarg, "max") == 0)
                o->thr_time = -1;
            else if (tsct_cli_parse_int64(optarg, &v) != 0 || v < 0)
                return tsct_cli_usage_error(cli, "--threshold-time expects a time step >= 0 or "
                                            "max, got '%s'", optarg);
            else
                o->thr_time = v;
            break;
        case 'O':
        case 'C':
        case 'S':
        case 'D':
            if (tsct_cli_parse_int64(optarg, &v) != 0 || v < 0 || v > 1000000)
                return tsct_cli_usage_error(cli, "%s expects a whole number >= 0, got '%s'",
                                            tsct_cli_option_name(argv, optind, optarg), optarg);
            if (ch == 'O')
                o->open_r = (int)v;
            else if (ch == 'C')
                o->close_r = (int)v;
            else if (ch == 'S')
                o->min_size = v;
            else
                o->diff_ref = v;
            break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind >= argc ? "missing EXP.h5" : "one container at a time");
    o->path = argv[optind];
    if (!o->map)
        return tsct_cli_usage_error(cli, "missing --map NAME");
    return 0;
}

/* The threshold from the rule and one time step's values. */
static tsct_status threshold_of(const char *rule, const float *v, int64_t n, double *thr,
                                tsct_error *err)
{
    double a, b = 1.0;
    if (strcmp(rule, "otsu") == 0) {
        *thr = tsct_maps_otsu(v, n, 256);
    } else if (sscanf(rule, "abs:%lf", &a) == 1) {
        *thr = a;
    } else if (sscanf(rule, "pct:%lf:%lf", &a, &b) >= 1 && a >= 0 && a <= 100) {
        *thr = b * tsct_maps_percentile(v, n, a);
    } else {
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--threshold", -1,
                              "\"%s\": expected otsu, abs:VALUE or pct:P[:FRACTION]", rule);
    }
    if (!isfinite(*thr))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--threshold", -1,
                              "the map has no finite values at the threshold's time step");
    return TSCT_OK;
}

int tsct_cmd_coverage(tsct_cli *cli, int argc, char **argv)
{
    struct cov_opts o;
    int rc = parse(cli, argc, argv, &o);
    if (rc)
        return rc;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    tsct_dataset *map = NULL, *mask_out = NULL, *diff_out = NULL;
    float *img = NULL, *first = NULL, *ref = NULL, *tmp = NULL;
    uint8_t *mask = NULL;
    int64_t *counts = NULL;
    FILE *table = stdout;
    tsct_publish pub;
    int publishing = 0;
    char mpath[256];
    snprintf(mpath, sizeof mpath, "%s/%s", TSCT_PATH_MAPS, o.map);
    int writes = o.masks || o.diff_ref >= 0;
    tsct_cli_guard_file(o.path);
    tsct_status st = tsct_container_open(o.path, writes ? TSCT_OPEN_WRITE : TSCT_OPEN_READ, &c, &err);
    if (st == TSCT_OK)
        st = tsct_dataset_open(c, mpath, &map, &err);
    int64_t shape[8] = {0};
    if (st == TSCT_OK && tsct_dataset_shape(map, shape) != 4)
        st = tsct_error_set(&err, TSCT_ERR_SHAPE, o.path, mpath, -1,
                            "expected a map [nt][nz][ny][nx]");
    const int64_t nt = shape[0], nz = shape[1], ny = shape[2], nx = shape[3], npx = ny * nx;
    if (st == TSCT_OK && o.diff_ref >= nt)
        st = tsct_error_set(&err, TSCT_ERR_VALUE, o.path, mpath, o.diff_ref,
                            "--difference: the map has %lld time steps", (long long)nt);
    if (st == TSCT_OK) {
        img = malloc((size_t)npx * sizeof *img);
        first = malloc((size_t)(nz * npx) * sizeof *first);
        tmp = malloc((size_t)npx * sizeof *tmp);
        mask = malloc((size_t)npx);
        counts = calloc((size_t)(nt * nz), sizeof *counts);
        if (o.diff_ref >= 0)
            ref = malloc((size_t)(nz * npx) * sizeof *ref);
        if (!img || !first || !tmp || !mask || !counts || (o.diff_ref >= 0 && !ref))
            st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "coverage", -1, "buffers");
    }
    /* One time step (all slices) sets the threshold: the first unless --threshold-time (a
     * phase absent at first has only noise there; max: the step with the largest 99.5th
     * percentile); the reference step the differences. */
    double thr = NAN;
    int64_t tthr = o.thr_time;
    if (st == TSCT_OK && tthr >= nt)
        st = tsct_error_set(&err, TSCT_ERR_VALUE, o.path, mpath, tthr,
                            "--threshold-time: the map has %lld time steps", (long long)nt);
    if (st == TSCT_OK && tthr < 0) {
        double best = -INFINITY;
        for (int64_t t = 0; st == TSCT_OK && t < nt; t++) {
            int64_t start[4] = {t, 0, 0, 0}, count[4] = {1, nz, ny, nx};
            st = tsct_dataset_read(map, start, count, first, &err);
            const double p = st == TSCT_OK ? tsct_maps_percentile(first, nz * npx, 99.5) : NAN;
            if (isfinite(p) && p > best)
                best = p, tthr = t;
        }
        if (tthr < 0)
            tthr = 0;
    }
    if (st == TSCT_OK) {
        int64_t start[4] = {tthr, 0, 0, 0}, count[4] = {1, nz, ny, nx};
        st = tsct_dataset_read(map, start, count, first, &err);
        if (st == TSCT_OK)
            st = threshold_of(o.threshold, first, nz * npx, &thr, &err);
        if (st == TSCT_OK && ref) {
            start[0] = o.diff_ref;
            count[0] = 1;
            st = tsct_dataset_read(map, start, count, ref, &err);
        }
    }
    tsct_step *step = NULL;
    if (st == TSCT_OK && writes) {
        char fp[2048], inputs[1024];
        static const char *const upstream[] = {"map", NULL};
        tsct_step_inputs_id(c, upstream, inputs, sizeof inputs);
        snprintf(fp, sizeof fp,
                 "%s map=%s threshold=%s (%.9g) open=%d close=%d min=%lld diff=%lld", inputs,
                 o.map, o.threshold, thr, o.open_r, o.close_r, (long long)o.min_size,
                 (long long)o.diff_ref);
        char name[64];
        snprintf(name, sizeof name, "coverage");
        tsct_step_info info = {name, cli->command_line, fp, fp, nt * nz, NULL, NULL, 0};
        st = tsct_step_begin(c, &info, &cli->log, &step, &err);
        int64_t mshape[4] = {nt, nz, ny, nx};
        char p[300];
        if (st == TSCT_OK && o.masks) {
            snprintf(p, sizeof p, "%s_mask", mpath);
            st = tsct_step_dataset(step, p, 4, mshape, -1, NULL, &mask_out, &err);
            if (st == TSCT_OK) {
                char m[512];
                snprintf(m, sizeof m, "mask of %s above %.9g (%s)%s%s", o.map, thr, o.threshold,
                         o.open_r ? ", opened" : "", o.close_r ? ", closed" : "");
                st = tsct_dataset_set_attr_string(mask_out, "method", m, &err);
            }
        }
        if (st == TSCT_OK && o.diff_ref >= 0) {
            snprintf(p, sizeof p, "%s_diff", mpath);
            st = tsct_step_dataset(step, p, 4, mshape, -1, NULL, &diff_out, &err);
            if (st == TSCT_OK) {
                char m[512];
                snprintf(m, sizeof m, "%s minus its time step %lld (material gained > 0, lost < 0)",
                         o.map, (long long)o.diff_ref);
                st = tsct_dataset_set_attr_string(diff_out, "method", m, &err);
            }
        }
    }
    for (int64_t u = 0; st == TSCT_OK && u < nt * nz; u++) {
        int64_t t = u / nz, z = u % nz;
        int64_t start[4] = {t, z, 0, 0}, count[4] = {1, 1, ny, nx};
        st = tsct_dataset_read(map, start, count, img, &err);
        if (st != TSCT_OK)
            break;
        tsct_maps_threshold(img, npx, thr, mask);
        if (o.open_r)
            st = tsct_maps_open(mask, ny, nx, o.open_r, &err);
        if (st == TSCT_OK && o.close_r)
            st = tsct_maps_close(mask, ny, nx, o.close_r, &err);
        if (st == TSCT_OK && o.min_size > 1 &&
            tsct_maps_remove_small(mask, ny, nx, o.min_size, 8) < 0)
            st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "components", -1, "labels");
        int64_t n = 0;
        for (int64_t k = 0; k < npx; k++)
            n += mask[k];
        counts[u] = n;
        if (st == TSCT_OK && mask_out) {
            for (int64_t k = 0; k < npx; k++)
                tmp[k] = mask[k];
            st = tsct_dataset_write(mask_out, start, count, tmp, &err);
        }
        if (st == TSCT_OK && diff_out) {
            tsct_maps_difference(img, ref + z * npx, npx, tmp);
            st = tsct_dataset_write(diff_out, start, count, tmp, &err);
        }
        if (st == TSCT_OK && step)
            st = tsct_step_mark_done(step, u, 1, &err);
    }
    if (st == TSCT_OK && step) {
        tsct_dataset_close(mask_out);
        tsct_dataset_close(diff_out);
        mask_out = diff_out = NULL;
        st = tsct_step_commit(step, &err);
        step = NULL;
    }
    if (st == TSCT_OK && o.output) {
        st = tsct_publish_fopen(&pub, o.output, &table, &err);
        publishing = st == TSCT_OK;
    }
    /* With the electrochemistry (tsct echem), each row also gets its tomogram's state of
     * charge, so coverage can be plotted against capacity or voltage. */
    tsct_echem_stored soc;
    memset(&soc, 0, sizeof soc);
    int64_t ncap = 0, nhalf = 0;
    if (st == TSCT_OK && tsct_container_exists(c, TSCT_PATH_ECHEM) &&
        tsct_echem_stored_read(c, &soc, NULL) == TSCT_OK && soc.tomogram_capacity &&
        soc.tomogram_voltage && soc.nt == nt)
        ncap = nt;
    /* The half cycle of each tomogram, so curves against capacity (which restarts at each
     * half cycle) can be drawn one half cycle at a time (tsct figure plot --split). */
    if (ncap && soc.tomogram_half_cycle)
        nhalf = nt;
    const double *cap = soc.tomogram_capacity, *volt = soc.tomogram_voltage,
                 *half = soc.tomogram_half_cycle;
    if (st == TSCT_OK) {
        fprintf(table, "# tsct coverage of %s in %s, threshold %.9g (%s, time step %lld)\n",
                o.map, o.path, thr, o.threshold, (long long)tthr);
        fprintf(table, "time_step,slice,voxels,fraction_of_initial%s%s\n",
                ncap ? ",capacity_mAh_g,voltage_V" : "", nhalf ? ",half_cycle" : "");
        for (int64_t u = 0; u < nt * nz; u++) {
            int64_t z = u % nz;
            double f = counts[z] > 0 ? (double)counts[u] / (double)counts[z] : NAN;
            fprintf(table, "%lld,%lld,%lld,%.6f", (long long)(u / nz), (long long)z,
                    (long long)counts[u], f);
            if (ncap)
                fprintf(table, ",%.4f,%.5f", cap[u / nz], volt[u / nz]);
            if (nhalf)
                fprintf(table, ",%lld", (long long)llround(half[u / nz]));
            fputc('\n', table);
        }
        if (publishing) {
            st = tsct_publish_fclose(&pub, table, &err);
            publishing = 0;
        }
    }
    if (publishing) {
        fclose(table);
        tsct_publish_abort(&pub);
    }
    tsct_echem_stored_release(&soc);
    tsct_dataset_close(mask_out);
    tsct_dataset_close(diff_out);
    tsct_step_close(step);
    tsct_dataset_close(map);
    if (st == TSCT_OK)
        st = tsct_container_close(c, &err);
    else
        tsct_container_close(c, NULL);
    free(img);
    free(first);
    free(ref);
    free(tmp);
    free(mask);
    free(counts);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
