/* cmd_score.c - `tsct score`: phase maps of a simulated experiment against its ground truth.
 *
 * The truth of a phase at a time step is the set of voxels whose fraction of the phase
 * exceeds a level (--truth, 0.25 of the voxel). A map is compared with it in the same unit:
 *
 *   - The map's unit. A whole-pattern weight is the phase's volume fraction times an
 *     instrument constant K (incident flux, voxel volume, the scale of the component
 *     patterns); a window map is a peak area in its own unit. An experiment fixes K with a
 *     standard; the score fits it: K is
 *     the least-squares slope through the origin of map value against true fraction over the
 *     phase's interior voxels (the phase present in the voxel and its four neighbours, so
 *     the reconstruction's blur at particle edges does not bias it), all time steps together.
 *     The map divided by K is then a fraction and is thresholded at the truth's level.
 *     (The former rule, a fraction of each map's own 99.5th percentile, is kept as
 *     --threshold F; it sets each phase's level by the phase's own maximum.)
 *   - Edges. The reconstruction blurs a particle edge over about a voxel and the truth counts
 *     a voxel by its centre, so a particle whose fraction is 0.3 would lose its rim to a plain
 *     threshold at 0.25. A voxel is predicted when the largest fraction within --edge R
 *     voxels (1) exceeds the level and its own value is at least half of it: the edge at half
 *     height (tsct_maps_half_max_mask).
 *   - Voxels at the level. Where many voxels sit near the level (particles caught half way
 *     through a step; every particle, when a simulation moves them through a step together:
 *     reaction.stagger = 0), which side of it a voxel falls is decided by less than the
 *     maps' own uncertainty (0.02-0.03 rms per voxel in particle interiors), and the strict
 *     Dice there measures noise. dice_band leaves out the voxels whose true fraction is
 *     within --band F (0.05) of the level, in both sets: those are neither required nor
 *     forbidden. The summary prints each map's rms fraction error over the interior voxels
 *     to judge the band against. The strict Dice is the criterion (docs/pipeline.md).
 *
 * Per phase and time step: the Dice coefficient (strict, and outside the band), voxel
 * counts, the coverage of map and truth (voxel counts) and the amount (the fraction summed
 * over the slice), both relative to one time step for map and truth alike (the truth's step
 * 0, or the step of its largest when step 0 has less than half of that: a phase absent at
 * first or just forming); the amount, unlike a count at a level, does not hinge on fractions
 * near the level.
 * Reconstruction voxel (i, k) is ground-truth voxel (i + n/2 - ny/2, k + n/2 - nx/2)
 * (docs/FORMAT.md). tests/test_pipeline.py computes the same numbers independently in
 * Python.
 */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/publish.h"
#include "tsct/maps.h"

const char tsct_usage_score[] =
    "usage: tsct score EXP.h5 [--map PHASE[=MAP]]... [options]\n"
    "\n"
    "Score the phase maps of a simulated experiment (tsct simulate) against its ground truth:\n"
    "per phase and time step, the Dice coefficient of the map's region and the true region\n"
    "(the voxels where the phase's fraction exceeds the --truth level), the coverage of both\n"
    "(voxel counts) and the amount of the phase (its fraction summed over the slice), each\n"
    "relative to the same time step: 0, or the truth's largest where step 0 has less than\n"
    "half of it (a phase absent at first or just forming).\n"
    "Without --map, every phase of /ground_truth that has a map of the same name is scored.\n"
    "\n"
    "The map is put in fraction units first: divided by its unit K, the least-squares slope\n"
    "of map value against true fraction over the phase's interior voxels (a weight of\n"
    "tsct map --unmix is fraction x an instrument constant that diffraction alone does not\n"
    "fix; a window map has its own unit). Its region: voxels within --edge voxels of a\n"
    "fraction above the level and at least half that fraction themselves (the edge at half\n"
    "height, as a reconstruction blurs it). dice_band leaves out the voxels whose true\n"
    "fraction lies within --band of the level: where voxels sit at the level, their side is\n"
    "decided by less than the maps' uncertainty (printed as each map's rms fraction error).\n"
    "\n"
    "Options:\n"
    "      --map PHASE[=MAP]   score /entry/maps/MAP (default: MAP = PHASE) as PHASE\n"
    "      --truth F           the level: true region where the phase's fraction > F (0.25)\n"
    "      --band F            dice_band leaves out true fractions within F of the level\n"
    "                          (0.05)\n"
    "      --edge R            half-height edges within R voxels (1; 0: a plain threshold)\n"
    "      --threshold F       instead: the map above F times its 99.5th percentile over all\n"
    "                          time steps (the former rule; no unit, no edge rule)\n"
    "      --slice Z           the slice (default 0)\n"
    "  -o, --output FILE.csv   also write the table as CSV (columns phase, map, t, dice,\n"
    "                          predicted, true, coverage, true_coverage, dice_band, amount,\n"
    "                          true_amount)\n";

struct score_opts {
    const char *container, *output;
    const char *phase[32], *map[32];
    int n;
    double threshold, truth, band;
    int64_t slice, edge;
};

static int parse(tsct_cli *cli, int argc, char **argv, struct score_opts *o)
{
    enum { O_MAP = 1000, O_THR, O_TRUTH, O_SLICE, O_BAND, O_EDGE };
    static const struct option longopts[] = {
        {"map", required_argument, NULL, O_MAP},   {"threshold", required_argument, NULL, O_THR},
        {"truth", required_argument, NULL, O_TRUTH}, {"slice", required_argument, NULL, O_SLICE},
        {"band", required_argument, NULL, O_BAND}, {"edge", required_argument, NULL, O_EDGE},
        {"output", required_argument, NULL, 'o'},  {NULL, 0, NULL, 0},
    };
    static char buf[32][128];
    o->threshold = 0; /* 0: fraction units */
    o->truth = 0.25;
    o->band = 0.05;
    o->edge = 1;
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
        case O_BAND:
            if (tsct_cli_parse_double(optarg, &o->band) != 0 || o->band < 0 || o->band >= 1)
                return tsct_cli_usage_error(cli, "--band expects 0 <= F < 1, got '%s'", optarg);
            break;
        case O_EDGE:
            if (tsct_cli_parse_int64(optarg, &o->edge) != 0 || o->edge < 0 || o->edge > 16)
                return tsct_cli_usage_error(cli, "--edge expects 0 to 16 voxels, got '%s'",
                                            optarg);
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

/* The map's unit: the least-squares slope through the origin of map value v against true
 * fraction f over the interior voxels of the phase (f > 0 in the voxel and its four
 * neighbours), all time steps; and the rms of v / K - f there. NaN if the phase has no
 * interior voxel. */
static double fit_unit(const float *v, const float *f, int64_t nt, int64_t ny, int64_t nx,
                       double *rms)
{
    double vf = 0, ff = 0;
    for (int pass = 0; pass < 2; pass++) {
        double e2 = 0;
        int64_t count = 0;
        const double K = pass ? vf / ff : 0;
        for (int64_t t = 0; t < nt; t++)
            for (int64_t y = 1; y + 1 < ny; y++)
                for (int64_t x = 1; x + 1 < nx; x++) {
                    const float *g = f + (t * ny + y) * nx + x;
                    if (!(g[0] > 0 && g[-1] > 0 && g[1] > 0 && g[-nx] > 0 && g[nx] > 0))
                        continue;
                    const double u = v[(t * ny + y) * nx + x];
                    if (pass == 0) {
                        vf += u * g[0];
                        ff += (double)g[0] * g[0];
                    } else {
                        e2 += (u / K - g[0]) * (u / K - g[0]);
                        count++;
                    }
                }
        if (pass == 0 && !(ff > 0)) {
            *rms = NAN;
            return NAN;
        }
        if (pass == 1)
            *rms = K != 0 ? sqrt(e2 / (double)count) : NAN; /* a map of zeros: no unit */
    }
    return vf / ff;
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
    float *truth = NULL, *map = NULL, *tf = NULL;
    uint8_t *pred = NULL;
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
    tsct_publish pub;
    if (st == TSCT_OK && o.output)
        st = tsct_publish_fopen(&pub, o.output, &csv, &err);
    if (st == TSCT_OK) {
        printf("# phase    map           t  dice   predicted  true  coverage  true_coverage"
               "  dice_band  amount  true_amount\n");
        if (csv)
            fprintf(csv, "phase,map,t,dice,predicted,true,coverage,true_coverage,dice_band,"
                         "amount,true_amount\n");
    }
    double worst[32] = {0}, worst_amount[32] = {0}, unit[32], unit_rms[32];
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
        const int64_t nv = nt * ny * nx;
        int64_t amount_ref = 0;
        free(map);
        free(tf);
        free(pred);
        tf = NULL;
        pred = NULL;
        if (!(map = malloc((size_t)nv * sizeof *map)) || !(tf = malloc((size_t)nv * sizeof *tf)) ||
            !(pred = malloc((size_t)nv))) {
            st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, path, -1, "map");
            break;
        }
        int64_t start[4] = {0, o.slice, 0, 0}, count[4] = {nt, 1, ny, nx};
        if ((st = tsct_dataset_read(md, start, count, map, &err)) != TSCT_OK)
            break;
        for (int64_t v = 0; v < nv; v++)
            if (!isfinite(map[v]))
                map[v] = 0.0f;
        /* The phase's true fraction on the map's grid (0 outside the truth's). */
        for (int64_t t = 0; t < nt; t++)
            for (int64_t y = 0; y < ny; y++)
                for (int64_t x = 0; x < nx; x++) {
                    const int64_t gy = y + oy, gx = x + ox;
                    tf[(t * ny + y) * nx + x] =
                        gy >= 0 && gy < n && gx >= 0 && gx < n
                            ? truth[((t * n + gy) * n + gx) * nphase + k]
                            : 0.0f;
                }
        /* The map in fraction units and its region at every time step. */
        unit[i] = unit_rms[i] = NAN;
        if (o.threshold > 0) {
            const double thr = o.threshold * tsct_maps_percentile(map, nv, 99.5);
            tsct_maps_threshold(map, nv, thr, pred);
        } else {
            unit[i] = fit_unit(map, tf, nt, ny, nx, &unit_rms[i]);
            for (int64_t v = 0; v < nv; v++)
                map[v] = isfinite(unit[i]) && unit[i] != 0 ? (float)(map[v] / unit[i]) : 0.0f;
            for (int64_t t = 0; t < nt; t++)
                tsct_maps_half_max_mask(map + t * ny * nx, ny, nx,
                                        isfinite(unit[i]) ? o.edge : 0, o.truth,
                                        pred + t * ny * nx);
            if (!isfinite(unit[i]))
                memset(pred, 0, (size_t)nv); /* never present in the truth: no unit */
        }
        /* Pass 0 counts. Coverage and amount of map and truth are relative to one time step,
         * the truth's: step 0, or its largest for a phase absent at first (amount: for a
         * phase with less than half its largest amount at step 0). Pass 1 reports. */
        int64_t pred_ref = 0, true_ref = 0, true_max = -1, pred_at_max = 0, amount_best_t = 0;
        double amount_best = 0, amount_first = 0;
        for (int pass = 0; pass < 2; pass++)
        for (int64_t t = 0; t < nt; t++) {
            int64_t np = 0, ntrue = 0, both = 0, npb = 0, ntb = 0, bothb = 0;
            double amount = 0, tamount = 0;
            for (int64_t v = t * ny * nx; v < (t + 1) * ny * nx; v++) {
                const int p = pred[v], q = tf[v] > o.truth;
                const int care = fabs(tf[v] - o.truth) > o.band;
                np += p;
                ntrue += q;
                both += p && q;
                npb += p && care;
                ntb += q && care;
                bothb += p && q && care;
                amount += map[v];
                tamount += tf[v];
            }
            if (pass == 0) {
                if (t == 0) {
                    pred_ref = np;
                    true_ref = ntrue;
                }
                if (ntrue > true_max) {
                    pred_at_max = np;
                    true_max = ntrue;
                }
                if (tamount > amount_best) {
                    amount_best = tamount;
                    amount_best_t = t;
                }
                if (t == 0)
                    amount_first = tamount;
                if (t == nt - 1) {
                    /* A phase just starting at step 0 (a front that began during the
                     * first tomogram) would make a reference of noise: its largest. */
                    amount_ref = amount_first >= 0.5 * amount_best ? 0 : amount_best_t;
                    /* Coverage likewise: a phase with less than half its largest
                     * region at step 0 (absent, or just forming) is counted against its
                     * largest, not against a handful of voxels. */
                    if (2 * true_ref < true_max) {
                        pred_ref = pred_at_max;
                        true_ref = true_max;
                    }
                }
                continue;
            }
            const double dice = np + ntrue ? 2.0 * (double)both / (double)(np + ntrue) : NAN;
            const double dice_band = npb + ntb ? 2.0 * (double)bothb / (double)(npb + ntb) : NAN;
            const double cov = pred_ref ? (double)np / (double)pred_ref : NAN;
            const double tcov = true_ref ? (double)ntrue / (double)true_ref : NAN;
            if (isfinite(tcov) && !isnan(worst[i]) && !(fabs(cov - tcov) <= worst[i]))
                worst[i] = isfinite(cov) ? fabs(cov - tcov) : NAN;
            double aref = 0, taref = 0; /* the same reference step for map and truth */
            for (int64_t v = amount_ref * ny * nx; v < (amount_ref + 1) * ny * nx; v++) {
                aref += map[v];
                taref += tf[v];
            }
            const double am = aref != 0 ? amount / aref : NAN;
            const double tam = taref > 0 ? tamount / taref : NAN;
            if (isfinite(tam) && !isnan(worst_amount[i]) && !(fabs(am - tam) <= worst_amount[i]))
                worst_amount[i] = isfinite(am) ? fabs(am - tam) : NAN; /* NaN: no amount */
            printf("%-8s %-12s %2lld  %.3f  %6lld  %6lld  %.3f  %.3f          %.3f  %6.3f  %.3f\n",
                   o.phase[i], o.map[i], (long long)t, dice, (long long)np, (long long)ntrue,
                   cov, tcov, dice_band, am, tam);
            if (csv)
                fprintf(csv, "%s,%s,%lld,%.6f,%lld,%lld,%.6f,%.6f,%.6f,%.6f,%.6f\n", o.phase[i],
                        o.map[i], (long long)t, dice, (long long)np, (long long)ntrue, cov, tcov,
                        dice_band, am, tam);
        }
    }
    if (st == TSCT_OK) {
        printf("# largest coverage error over time (fraction of the reference coverage):\n#");
        for (int i = 0; i < o.n; i++)
            printf(" %s %.3f%s", o.map[i], worst[i], i + 1 < o.n ? "," : "\n");
        printf("# largest amount error over time (fraction of the reference amount):\n#");
        for (int i = 0; i < o.n; i++)
            printf(" %s %.3f%s", o.map[i], worst_amount[i], i + 1 < o.n ? "," : "\n");
        if (o.threshold > 0) {
            printf("# regions: each map above %g x its 99.5th percentile; truth: fraction > %g\n",
                   o.threshold, o.truth);
        } else {
            printf("# regions: fraction (map / unit) > %g, edges at half height within %lld "
                   "voxel(s); dice_band without true fractions within %g of %g\n",
                   o.truth, (long long)o.edge, o.band, o.truth);
            printf("# map unit (value per unit fraction) and rms fraction error over the phase's "
                   "interior voxels:\n#");
            for (int i = 0; i < o.n; i++)
                printf(" %s %.4g (rms %.3f)%s", o.map[i], unit[i], unit_rms[i],
                       i + 1 < o.n ? "," : "\n");
        }
    }
    if (csv && st == TSCT_OK)
        st = tsct_publish_fclose(&pub, csv, &err);
    else if (csv) {
        fclose(csv);
        tsct_publish_abort(&pub);
    }
    free(truth);
    free(map);
    free(tf);
    free(pred);
    tsct_dataset_close(md);
    tsct_dataset_close(gt);
    tsct_container_close(c, NULL);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
