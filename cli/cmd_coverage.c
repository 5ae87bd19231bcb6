/* cmd_coverage.c - `tsct coverage`: how much of a phase there is, time step by time step.
 *
 * Options -> tsct_stage_coverage_params -> tsct_stage_coverage (lib/stage/stage_coverage.c); the
 * table goes to standard output or to a file published when the stage has succeeded.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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

/* The threshold rule: otsu | abs:VALUE | pct:P[:FRACTION]. */
static tsct_status parse_threshold(const char *rule, tsct_stage_threshold *th, tsct_error *err)
{
    double a, b = 1.0;
    if (strcmp(rule, "otsu") == 0) {
        th->rule = TSCT_STAGE_THRESHOLD_OTSU;
    } else if (sscanf(rule, "abs:%lf", &a) == 1) {
        th->rule = TSCT_STAGE_THRESHOLD_ABSOLUTE;
        th->value = a;
    } else if (sscanf(rule, "pct:%lf:%lf", &a, &b) >= 1 && a >= 0 && a <= 100) {
        th->rule = TSCT_STAGE_THRESHOLD_PERCENTILE;
        th->percentile = a;
        th->fraction = b;
    } else {
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--threshold", -1,
                              "\"%s\": expected otsu, abs:VALUE or pct:P[:FRACTION]", rule);
    }
    return TSCT_OK;
}

static int parse(tsct_cli *cli, int argc, char **argv, tsct_stage_coverage_params *o,
                 const char **threshold, const char **output)
{
    static const struct option longopts[] = {
        {"map", required_argument, NULL, 'm'},      {"threshold", required_argument, NULL, 't'},
        {"open", required_argument, NULL, 'O'},     {"close", required_argument, NULL, 'C'},
        {"min-size", required_argument, NULL, 'S'}, {"output", required_argument, NULL, 'o'},
        {"masks", no_argument, NULL, 'K'},          {"difference", required_argument, NULL, 'D'},
        {"threshold-time", required_argument, NULL, 'T'}, {NULL, 0, NULL, 0},
    };
    optind = 1;
    opterr = 0;
    int ch;
    int64_t v;
    while ((ch = getopt_long(argc, argv, ":m:t:o:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'm': o->map = optarg; break;
        case 't': *threshold = optarg; break;
        case 'o': *output = optarg; break;
        case 'K': o->masks = 1; break;
        case 'T':
            if (strcmp(optarg, "max") == 0)
                o->threshold_time = -1;
            else if (tsct_cli_parse_int64(optarg, &v) != 0 || v < 0)
                return tsct_cli_usage_error(cli, "--threshold-time expects a time step >= 0 or "
                                            "max, got '%s'", optarg);
            else
                o->threshold_time = v;
            break;
        case 'O':
        case 'C':
        case 'S':
        case 'D':
            if (tsct_cli_parse_int64(optarg, &v) != 0 || v < 0 || v > 1000000)
                return tsct_cli_usage_error(cli, "%s expects a whole number >= 0, got '%s'",
                                            tsct_cli_option_name(argv, optind, optarg), optarg);
            *(ch == 'O' ? &o->open : ch == 'C' ? &o->close : ch == 'S' ? &o->min_size
                                                                       : &o->difference) = v;
            break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind >= argc ? "missing EXP.h5" : "one container at a time");
    if (!o->map)
        return tsct_cli_usage_error(cli, "missing --map NAME");
    return 0;
}

int tsct_cmd_coverage(tsct_cli *cli, int argc, char **argv)
{
    tsct_stage_coverage_params p = TSCT_STAGE_COVERAGE_PARAMS_DEFAULT;
    const char *threshold = "otsu", *output = NULL;
    int rc = parse(cli, argc, argv, &p, &threshold, &output);
    if (rc)
        return rc;
    const char *container = argv[optind];
    tsct_error err = TSCT_ERROR_INIT;
    if (parse_threshold(threshold, &p.threshold, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    tsct_cli_table table;
    if (tsct_cli_table_open(&table, output, stdout, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    p.table = table.f;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_cli_guard_file(container);
    tsct_status st = tsct_stage_coverage(container, &p, &ctx, NULL, &err);
    st = tsct_cli_table_close(&table, st, &err);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
