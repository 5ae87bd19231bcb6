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

static int parse_echem(tsct_cli *cli, int argc, char **argv, const char **path, const char **output,
                       tsct_stage_echem_params *p)
{
    enum { O_PERIOD = 1000, O_START, O_DURATION, O_WINDOWS, O_MASS, O_TCOL, O_VCOL, O_ICOL,
           O_TUNIT };
    static const struct option longopts[] = {
        {"period", required_argument, NULL, O_PERIOD},   {"start", required_argument, NULL, O_START},
        {"duration", required_argument, NULL, O_DURATION},
        {"windows", required_argument, NULL, O_WINDOWS}, {"mass", required_argument, NULL, O_MASS},
        {"time-col", required_argument, NULL, O_TCOL},   {"voltage-col", required_argument, NULL, O_VCOL},
        {"current-col", required_argument, NULL, O_ICOL},
        {"time-unit", required_argument, NULL, O_TUNIT}, {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const tsct_stage_echem_params defaults = TSCT_STAGE_ECHEM_PARAMS_DEFAULT;
    *p = defaults;
    *output = NULL;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
        double *target = ch == O_PERIOD     ? &p->period
                         : ch == O_START    ? &p->start
                         : ch == O_DURATION ? &p->duration
                         : ch == O_MASS     ? &p->mass_mg
                                            : NULL;
        if (target) {
            if (tsct_cli_parse_double(optarg, target) != 0 || *target < 0 ||
                (ch != O_START && *target == 0))
                return tsct_cli_usage_error(cli, "%s expects a number %s, got '%s'",
                                            tsct_cli_option_name(argv, optind, optarg),
                                            ch == O_START ? ">= 0" : "> 0",
                                            optarg);
            continue;
        }
        switch (ch) {
        case O_WINDOWS: p->windows = optarg; break;
        case O_TCOL: p->columns.time = optarg; break;
        case O_VCOL: p->columns.voltage = optarg; break;
        case O_ICOL: p->columns.current = optarg; break;
        case O_TUNIT:
            p->columns.time_scale = strcmp(optarg, "s") == 0     ? 1.0
                                    : strcmp(optarg, "min") == 0 ? 60.0
                                    : strcmp(optarg, "h") == 0   ? 3600.0
                                                                 : -1;
            if (p->columns.time_scale < 0)
                return tsct_cli_usage_error(cli, "--time-unit expects s, min or h, got '%s'",
                                            optarg);
            break;
        case 'o': *output = optarg; break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return tsct_cli_usage_error(cli, "expected EXP.h5 and the potentiostat file");
    if (p->mass_mg <= 0)
        return tsct_cli_usage_error(cli, "missing --mass MG (the active mass, for mAh/g)");
    if (!p->windows && p->period <= 0)
        return tsct_cli_usage_error(cli, "the tomogram times: --period S (with --start, "
                                    "--duration) or --windows FILE");
    *path = argv[optind];
    p->file = argv[optind + 1];
    return 0;
}

/* The table of the tomograms' state of charge, read back from the container: to output
 * (published) or to stdout. */
static tsct_status write_table(const char *path, const char *output, tsct_error *err)
{
    tsct_container *c = NULL;
    tsct_echem_stored e;
    memset(&e, 0, sizeof e);
    tsct_cli_guard_file(path);
    tsct_status st = tsct_container_open(path, TSCT_OPEN_READ, &c, err);
    if (st == TSCT_OK)
        st = tsct_echem_stored_read(c, &e, err);
    tsct_container_close(c, NULL);
    if (st == TSCT_OK && (!e.tomogram_start || !e.tomogram_end || !e.tomogram_capacity ||
                          !e.tomogram_voltage || !e.tomogram_half_cycle))
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, path, TSCT_PATH_ECHEM, -1,
                            "a tomogram_* vector is missing");
    FILE *f = NULL;
    tsct_publish pub;
    if (st == TSCT_OK && output)
        st = tsct_publish_fopen(&pub, output, &f, err);
    if (st == TSCT_OK) {
        FILE *to = f ? f : stdout;
        fprintf(to, "%st,start_s,end_s,capacity_mAh_g,voltage_V,half_cycle\n", f ? "" : "# ");
        for (int64_t t = 0; t < e.nt; t++)
            fprintf(to, "%lld,%.3f,%.3f,%.4f,%.5f,%d\n", (long long)t, e.tomogram_start[t],
                    e.tomogram_end[t], e.tomogram_capacity[t], e.tomogram_voltage[t],
                    (int)e.tomogram_half_cycle[t]);
        if (f)
            st = tsct_publish_fclose(&pub, f, err);
    }
    tsct_echem_stored_release(&e);
    return st;
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
    if (st == TSCT_OK)
        st = write_table(path, output, &err);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
