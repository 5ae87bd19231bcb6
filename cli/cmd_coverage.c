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

/* The threshold rule is the command's (a bad rule is a failure, exit 1, as it always was);
 * it is parsed by the stage's setter once the options are read. */
static const tsct_stage_option own_options[] = {
    {"threshold", 't', TSCT_STAGE_OPTION_VALUE, 0, 0, "otsu | abs:VALUE | pct:P[:FRACTION]"},
    {NULL, 0, 0, 0, 0, NULL}};

static int on_own(tsct_cli *cli, void *data, const char *name, const char *value)
{
    (void)cli;
    const char **v = data;
    v[strcmp(name, "output") == 0 ? 0 : 1] = value;
    return 0;
}

int tsct_cmd_coverage(tsct_cli *cli, int argc, char **argv)
{
    tsct_stage_coverage_params p = TSCT_STAGE_COVERAGE_PARAMS_DEFAULT;
    const char *own[2] = {NULL, NULL}; /* -o, --threshold */
    int rc = tsct_cli_stage_options(cli, argc, argv, TSCT_STAGE_ID_COVERAGE, &p, own_options,
                                    on_own, own);
    if (rc)
        return rc;
    const char *output = own[0];
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind >= argc ? "missing EXP.h5" : "one container at a time");
    if ((rc = tsct_cli_stage_check(cli, TSCT_STAGE_ID_COVERAGE, &p)))
        return rc;
    const char *container = argv[optind];
    tsct_error err = TSCT_ERROR_INIT;
    if (own[1] && tsct_stage_option_set(TSCT_STAGE_ID_COVERAGE, &p, "threshold", own[1], &err) !=
                      TSCT_OK)
        return tsct_cli_fail(cli, &err);
    tsct_publish_table table;
    if (tsct_publish_table_open(&table, output, stdout, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    p.table = table.f;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_cli_guard_file(container);
    tsct_status st = tsct_stage_coverage(container, &p, &ctx, NULL, &err);
    st = tsct_publish_table_close(&table, st, &err);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
