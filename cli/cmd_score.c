/* cmd_score.c - `tsct score`: phase maps of a simulated experiment against its ground truth.
 *
 * The options become a tsct_stage_score_params and one call of tsct_stage_score
 * (lib/stage/stage_score.c says how maps are put in fraction units, the half-height edge rule
 * and the band); the table goes to stdout, the CSV to -o.
 */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/stage.h"

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

int tsct_cmd_score(tsct_cli *cli, int argc, char **argv)
{
    struct score_opts o = {0};
    int rc = parse(cli, argc, argv, &o);
    if (rc >= 0)
        return rc;
    tsct_stage_score_params p = TSCT_STAGE_SCORE_PARAMS_DEFAULT;
    p.phases = (const char *const *)o.phase;
    p.maps = (const char *const *)o.map;
    p.n = o.n;
    p.threshold = o.threshold;
    p.truth = o.truth;
    p.band = o.band;
    p.edge = o.edge;
    p.slice = o.slice;
    p.table = stdout;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_cli_guard_file(o.container);
    tsct_publish_table csv;
    if (tsct_publish_table_open(&csv, o.output, NULL, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    p.csv = csv.f;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_status st = tsct_stage_score(o.container, &p, &ctx, NULL, &err);
    fflush(stdout);
    st = tsct_publish_table_close(&csv, st, &err);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
