/* cmd_echem.c - `tsct echem`: the electrochemistry of an operando experiment into its
 * container, and the state of charge of every tomogram.
 *
 * Options -> tsct_stage_echem_params -> tsct_stage_echem (lib/stage/stage_echem.c), which writes
 * /entry/echem; the table of the tomograms is then read back (tsct_echem_stored_read) and
 * printed or published with -o. Maps, tables and figures are indexed by capacity or voltage
 * (tsct figure titles its panels with them).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/publish.h"
#include "tsct/echem.h"
#include "tsct/stage.h"

const char tsct_usage_echem[] =
    "usage: tsct echem EXP.h5 FILE (.csv | .mpt) --mass MG [tomogram times] [options]\n"
    "\n"
    "Read a potentiostat export and give every tomogram of EXP.h5 its state of charge: the\n"
    "mean capacity (mAh/g of active material) and voltage over its acquisition window.\n"
    "Writes /entry/echem/{time, voltage, current, capacity} and tomogram_capacity,\n"
    "tomogram_voltage, tomogram_half_cycle, tomogram_start, tomogram_end [nt], and prints the\n"
    "table (or writes it with -o).\n"
    "\n"
    "Tomogram times (one of):\n"
    "      --period S          tomogram t is acquired from START + t * S (seconds) ...\n"
    "      --start S           ... (default 0) ...\n"
    "      --duration S        ... for S seconds (default: the period)\n"
    "      --windows FILE      a two-column text file: start and end of each tomogram (s)\n"
    "Options:\n"
    "      --mass MG           active mass in mg (required; capacities in mAh/g)\n"
    "      --time-col NAME     column names (default: time, Ewe / voltage, <I> / current;\n"
    "      --voltage-col NAME  matched case-insensitively at the start of the header field)\n"
    "      --current-col NAME\n"
    "      --time-unit U       s, min or h (default: from the column's unit, else s)\n"
    "  -o, --output FILE.csv   the table (t, start, end, capacity_mAh_g, voltage, half_cycle)\n";

static int on_output(tsct_cli *cli, void *data, const char *name, const char *value)
{
    (void)cli, (void)name;
    *(const char **)data = value;
    return 0;
}

static int parse_echem(tsct_cli *cli, int argc, char **argv, const char **path, const char **output,
                       tsct_stage_echem_params *p)
{
    const tsct_stage_echem_params defaults = TSCT_STAGE_ECHEM_PARAMS_DEFAULT;
    *p = defaults;
    *output = NULL;
    int rc = tsct_cli_stage_options(cli, argc, argv, TSCT_STAGE_ID_ECHEM, p, NULL, on_output,
                                    output);
    if (rc)
        return rc;
    if (argc - optind != 2)
        return tsct_cli_usage_error(cli, "expected EXP.h5 and the potentiostat file");
    *path = argv[optind];
    p->file = argv[optind + 1];
    return tsct_cli_stage_check(cli, TSCT_STAGE_ID_ECHEM, p);
}

int tsct_cmd_echem(tsct_cli *cli, int argc, char **argv)
{
    const char *path = NULL, *output = NULL;
    tsct_stage_echem_params p;
    int rc = parse_echem(cli, argc, argv, &path, &output, &p);
    if (rc)
        return rc;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    /* The table's place is checked before the container changes. */
    tsct_status st = output ? tsct_publish_check(output, &err) : TSCT_OK;
    tsct_cli_guard_file(path);
    if (st == TSCT_OK)
        st = tsct_stage_echem(path, &p, &ctx, NULL, &err);
    tsct_publish_table table;
    if (st == TSCT_OK && (st = tsct_publish_table_open(&table, output, stdout, &err)) == TSCT_OK) {
        st = tsct_stage_echem_table(path, table.f, !output, &err);
        st = tsct_publish_table_close(&table, st, &err);
    }
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
