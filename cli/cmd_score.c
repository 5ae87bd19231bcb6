/* cmd_score.c - `tsct score`: phase maps of a simulated experiment against its ground truth.
 *
 * For each phase, the map /entry/maps/MAP is thresholded at a fraction of its 99.5th
 * percentile (over all time steps of the slice, so a phase that disappears gives an empty
 * mask) and compared with the voxels whose true fraction of the phase exceeds a level: the
 * Dice coefficient per time step, and the coverage (voxel count relative to the first time
 * step) against the true coverage. Reconstruction voxel (i, k) is ground-truth voxel
 * (i + n/2 - ny/2, k + n/2 - nx/2) (docs/FORMAT.md). tests/test_pipeline.py computes the
 * same numbers independently in Python.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/maps.h"

const char tsct_usage_score[] =
    "usage: tsct score EXP.h5 [--map PHASE[=MAP]]... [options]\n"
    "\n"
    "Score the phase maps of a simulated experiment (tsct simulate) against its ground truth:\n"
    "per phase and time step, the Dice coefficient of the thresholded map and the true phase\n"
    "region, and the coverage of both (voxels relative to time step 0, or to the most over\n"
    "time for a phase absent at first). Without --map, every\n"
    "phase of /ground_truth that has a map of the same name is scored.\n"
    "\n"
    "Options:\n"
    "      --map PHASE[=MAP]   score /entry/maps/MAP (default: MAP = PHASE) as PHASE\n"
    "      --threshold F       map threshold as a fraction of its 99.5th percentile (0.5)\n"
    "      --truth F           true region: fraction of the phase above F (0.25)\n"
    "      --slice Z           the slice (default 0)\n"
    "  -o, --output FILE.csv   also write the table as CSV\n";

struct score_opts {
    const char *container, *output;
    const char *phase[32], *map[32];
    int n;
    double threshold, truth;
    int64_t slice;
};

static int parse(tsct_cli *cli, int argc, char **argv, struct score_opts *o)
{
    enum { O_MAP = 1000, O_THR, O_TRUTH, O_SLICE };
    static const struct option longopts[] = {
        {"map", required_argument, NULL, O_MAP},   {"threshold", required_argument, NULL, O_THR},
        {"truth", required_argument, NULL, O_TRUTH}, {"slice", required_argument, NULL, O_SLICE},
        {"output", required_argument, NULL, 'o'},  {NULL, 0, NULL, 0},
    };
    static char buf[32][128];
    o->threshold = 0.5;
    o->truth = 0.25;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
        switch (ch) {
        case O_MAP: {
            if (o->n == 32)
                return tsct_cli_usage_error(cli, "at most 32 --map");
            snprintf(buf[o->n], sizeof buf[o->n], "%s", optarg);
            char *eq = strchr(buf[o->n], '=');
            if (eq)
                *eq = '\0';
            o->phase[o->n] = buf[o->n];
            o->map[o->n] = eq ? eq + 1 : buf[o->n];
            if (!o->phase[o->n][0] || !o->map[o->n][0])
                return tsct_cli_usage_error(cli, "--map expects PHASE or PHASE=MAP, got '%s'",
                                            optarg);
            o->n++;
            break;
        }
        case O_THR:
            if (tsct_cli_parse_double(optarg, &o->threshold) != 0 || o->threshold <= 0)
                return tsct_cli_usage_error(cli, "--threshold expects a number > 0, got '%s'",
                                            optarg);
            break;
        case O_TRUTH:
            if (tsct_cli_parse_double(optarg, &o->truth) != 0 || o->truth < 0 || o->truth >= 1)
                return tsct_cli_usage_error(cli, "--truth expects 0 <= F < 1, got '%s'", optarg);
            break;
        case O_SLICE:
            if (tsct_cli_parse_int64(optarg, &o->slice) != 0 || o->slice < 0)
                return tsct_cli_usage_error(cli, "--slice expects an index >= 0, got '%s'",
                                            optarg);
            break;
        case 'o': o->output = optarg; break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind == argc ? "missing EXP.h5"
                                                        : "one container expected");
    o->container = argv[optind];
    return -1;
}

int tsct_cmd_score(tsct_cli *cli, int argc, char **argv)
{
    struct score_opts o = {0};
    int rc = parse(cli, argc, argv, &o);
    if (rc >= 0)
        return rc;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    tsct_dataset *gt = NULL, *md = NULL;
    float *truth = NULL, *map = NULL;
    FILE *csv = NULL;
    char names[4096] = "";
    const char *phases[64];
    int nphase = 0;
    tsct_cli_guard_file(o.container);
    tsct_status st = tsct_container_open(o.container, TSCT_OPEN_READ, &c, &err);
    if (st == TSCT_OK && !tsct_container_exists(c, "/ground_truth/phase_fraction"))
        st = tsct_error_set(&err, TSCT_ERR_NOT_FOUND, o.container, "/ground_truth/phase_fraction",
                            -1, "no ground truth: only experiments made by tsct simulate can "
                            "be scored");
    if (st == TSCT_OK)
        st = tsct_dataset_open(c, "/ground_truth/phase_fraction", &gt, &err);
    if (st == TSCT_OK)
        st = tsct_container_get_attr_string(c, "/ground_truth/phase_fraction", "phases", names,
                                            sizeof names, &err);
    for (char *save = NULL, *p = st == TSCT_OK ? strtok_r(names, ",", &save) : NULL;
         p && nphase < 64; p = strtok_r(NULL, ",", &save))
        phases[nphase++] = p;
    int64_t gs[8] = {0};
    if (st == TSCT_OK && (tsct_dataset_shape(gt, gs) != 5 || gs[4] != nphase))
        st = tsct_error_set(&err, TSCT_ERR_FORMAT, o.container, "/ground_truth/phase_fraction",
                            -1, "expected [nt][nz][n][n][%d], the phases attribute's count",
                            nphase);
    const int64_t nt = gs[0], nz = gs[1], n = gs[2];
    if (st == TSCT_OK && o.slice >= nz)
        st = tsct_error_set(&err, TSCT_ERR_VALUE, o.container, "--slice", o.slice,
                            "the experiment has %lld slice(s)", (long long)nz);
    if (st == TSCT_OK && o.n == 0) {
        for (int i = 0; i < nphase && o.n < 32; i++) {
            char path[256];
            snprintf(path, sizeof path, TSCT_PATH_MAPS "/%s", phases[i]);
            if (tsct_container_exists(c, path)) {
                o.phase[o.n] = o.map[o.n] = phases[i];
                o.n++;
            }
        }
        if (o.n == 0)
            st = tsct_error_set(&err, TSCT_ERR_NOT_FOUND, o.container, TSCT_PATH_MAPS, -1,
                                "no map is named after a phase of the ground truth (%d phases)",
                                nphase);
    }
    if (st == TSCT_OK && !(truth = malloc((size_t)(nt * n * n * nphase) * sizeof *truth)))
        st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "ground truth", -1, "slice");
    if (st == TSCT_OK) {
        int64_t start[5] = {0, o.slice, 0, 0, 0}, count[5] = {nt, 1, n, n, nphase};
        st = tsct_dataset_read(gt, start, count, truth, &err);
    }
    if (st == TSCT_OK && o.output && !(csv = fopen(o.output, "w")))
        st = tsct_error_set(&err, TSCT_ERR_IO, o.output, NULL, -1, "cannot write");
    if (st == TSCT_OK) {
        printf("# phase    map           t  dice   predicted  true  coverage  true_coverage\n");
        if (csv)
            fprintf(csv, "phase,map,t,dice,predicted,true,coverage,true_coverage\n");
    }
    double worst[32] = {0};
    for (int i = 0; st == TSCT_OK && i < o.n; i++) {
        int k = -1;
        for (int j = 0; j < nphase; j++)
            if (strcmp(phases[j], o.phase[i]) == 0)
                k = j;
        char path[256];
        snprintf(path, sizeof path, TSCT_PATH_MAPS "/%s", o.map[i]);
        if (k < 0) {
            st = tsct_error_set(&err, TSCT_ERR_NOT_FOUND, o.container, o.phase[i], -1,
                                "not a phase of the ground truth");
            break;
        }
        tsct_dataset_close(md);
        md = NULL;
        st = tsct_dataset_open(c, path, &md, &err);
        int64_t ms[8] = {0};
        if (st == TSCT_OK && (tsct_dataset_shape(md, ms) != 4 || ms[0] != nt || ms[2] > n ||
                              ms[3] > n))
            st = tsct_error_set(&err, TSCT_ERR_SHAPE, o.container, path, -1,
                                "expected [%lld][nz][<=%lld][<=%lld]", (long long)nt,
                                (long long)n, (long long)n);
        if (st != TSCT_OK)
            break;
        const int64_t ny = ms[2], nx = ms[3], oy = n / 2 - ny / 2, ox = n / 2 - nx / 2;
        free(map);
        if (!(map = malloc((size_t)(nt * ny * nx) * sizeof *map))) {
            st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, path, -1, "map");
            break;
        }
        int64_t start[4] = {0, o.slice, 0, 0}, count[4] = {nt, 1, ny, nx};
        if ((st = tsct_dataset_read(md, start, count, map, &err)) != TSCT_OK)
            break;
        for (int64_t v = 0; v < nt * ny * nx; v++)
            if (!isfinite(map[v]))
                map[v] = 0.0f;
        const double thr = o.threshold * tsct_maps_percentile(map, nt * ny * nx, 99.5);
        /* Pass 0 counts; coverage is relative to time step 0, or to the largest count over
         * time for a phase absent at first. Pass 1 reports. */
        int64_t pred_ref = 0, true_ref = 0, pred_max = 0, true_max = 0;
        for (int pass = 0; pass < 2; pass++)
        for (int64_t t = 0; t < nt; t++) {
            int64_t np = 0, ntrue = 0, both = 0;
            for (int64_t y = 0; y < ny; y++)
                for (int64_t x = 0; x < nx; x++) {
                    const int p = map[(t * ny + y) * nx + x] > thr;
                    const int64_t gy = y + oy, gx = x + ox;
                    const int q = gy >= 0 && gy < n && gx >= 0 && gx < n &&
                                  truth[((t * n + gy) * n + gx) * nphase + k] > o.truth;
                    np += p;
                    ntrue += q;
                    both += p && q;
                }
            if (pass == 0) {
                if (t == 0) {
                    pred_ref = np;
                    true_ref = ntrue;
                }
                pred_max = np > pred_max ? np : pred_max;
                true_max = ntrue > true_max ? ntrue : true_max;
                if (t == nt - 1) {
                    pred_ref = pred_ref ? pred_ref : pred_max;
                    true_ref = true_ref ? true_ref : true_max;
                }
                continue;
            }
            const double dice = np + ntrue ? 2.0 * (double)both / (double)(np + ntrue) : NAN;
            const double cov = pred_ref ? (double)np / (double)pred_ref : NAN;
            const double tcov = true_ref ? (double)ntrue / (double)true_ref : NAN;
            if (isfinite(cov) && isfinite(tcov) && fabs(cov - tcov) > worst[i])
                worst[i] = fabs(cov - tcov);
            printf("%-8s %-12s %2lld  %.3f  %6lld  %6lld  %.3f  %.3f\n", o.phase[i], o.map[i],
                   (long long)t, dice, (long long)np, (long long)ntrue, cov, tcov);
            if (csv)
                fprintf(csv, "%s,%s,%lld,%.6f,%lld,%lld,%.6f,%.6f\n", o.phase[i], o.map[i],
                        (long long)t, dice, (long long)np, (long long)ntrue, cov, tcov);
        }
    }
    if (st == TSCT_OK) {
        printf("# largest coverage error over time (fraction of the reference coverage):\n#");
        for (int i = 0; i < o.n; i++)
            printf(" %s %.3f%s", o.map[i], worst[i], i + 1 < o.n ? "," : "\n");
    }
    if (csv && fclose(csv) != 0 && st == TSCT_OK)
        st = tsct_error_set(&err, TSCT_ERR_IO, o.output, NULL, -1, "write failed");
    free(truth);
    free(map);
    tsct_dataset_close(md);
    tsct_dataset_close(gt);
    tsct_container_close(c, NULL);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
