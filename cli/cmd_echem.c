/* cmd_echem.c - `tsct echem`: the electrochemistry of an operando experiment into its
 * container, and the state of charge of every tomogram.
 *
 * The potentiostat's export (generic CSV or BioLogic .mpt, lib/maps/echem.c) becomes
 * /entry/echem/{time, voltage, current, capacity}; each tomogram, acquired over a time window,
 * gets the mean capacity and voltage over that window (tomogram_capacity, tomogram_voltage,
 * tomogram_half_cycle, tomogram_start, tomogram_end). Maps, tables and figures are then
 * indexed by capacity or voltage (tsct figure titles its panels with them).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/publish.h"
#include "tsct/echem.h"
#include "tsct/pattern.h"

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

int tsct_cmd_echem(tsct_cli *cli, int argc, char **argv)
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
    double period = 0, start = 0, duration = 0, mass = 0;
    const char *windows = NULL, *output = NULL;
    tsct_echem_columns cols = TSCT_ECHEM_COLUMNS_DEFAULT;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
        double *target = ch == O_PERIOD     ? &period
                         : ch == O_START    ? &start
                         : ch == O_DURATION ? &duration
                         : ch == O_MASS     ? &mass
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
        case O_WINDOWS: windows = optarg; break;
        case O_TCOL: cols.time = optarg; break;
        case O_VCOL: cols.voltage = optarg; break;
        case O_ICOL: cols.current = optarg; break;
        case O_TUNIT:
            cols.time_scale = strcmp(optarg, "s") == 0     ? 1.0
                              : strcmp(optarg, "min") == 0 ? 60.0
                              : strcmp(optarg, "h") == 0   ? 3600.0
                                                           : -1;
            if (cols.time_scale < 0)
                return tsct_cli_usage_error(cli, "--time-unit expects s, min or h, got '%s'",
                                            optarg);
            break;
        case 'o': output = optarg; break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return tsct_cli_usage_error(cli, "expected EXP.h5 and the potentiostat file");
    if (mass <= 0)
        return tsct_cli_usage_error(cli, "missing --mass MG (the active mass, for mAh/g)");
    if (!windows && period <= 0)
        return tsct_cli_usage_error(cli, "the tomogram times: --period S (with --start, "
                                    "--duration) or --windows FILE");
    const char *path = argv[optind], *file = argv[optind + 1];
    tsct_error err = TSCT_ERROR_INIT;
    tsct_echem *e = NULL;
    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    double *t0 = NULL, *t1 = NULL, *cap = NULL, *volt = NULL, *half = NULL, *capg = NULL;
    double *wx = NULL, *wy = NULL;
    int64_t nw = 0, nt = 0, shape[8] = {0};
    tsct_status st = tsct_echem_read(file, &cols, &e, &err);
    /* The table's place is checked before the container changes. */
    if (st == TSCT_OK && output)
        st = tsct_publish_check(output, &err);
    tsct_cli_guard_file(path);
    if (st == TSCT_OK)
        st = tsct_container_open(path, TSCT_OPEN_WRITE, &c, &err);
    /* The number of tomograms: the time axis of the first stage present. */
    static const char *const stages[] = {TSCT_PATH_INTEGRATED, TSCT_PATH_SINOGRAMS,
                                         TSCT_PATH_RECON, NULL};
    for (int i = 0; st == TSCT_OK && stages[i] && nt == 0; i++)
        if (tsct_container_exists(c, stages[i]) &&
            (st = tsct_dataset_open(c, stages[i], &d, &err)) == TSCT_OK) {
            if (tsct_dataset_shape(d, shape) >= 1)
                nt = shape[0];
            tsct_dataset_close(d);
            d = NULL;
        }
    if (st == TSCT_OK && nt == 0)
        st = tsct_error_set(&err, TSCT_ERR_NOT_FOUND, path, "/entry/integrated", -1,
                            "no stage with time steps (integrate or import first)");
    if (st == TSCT_OK && windows) {
        st = tsct_pattern_read_text(windows, &wx, &wy, &nw, &err);
        if (st == TSCT_OK && nw < nt)
            st = tsct_error_set(&err, TSCT_ERR_SHAPE, windows, NULL, -1,
                                "%lld windows for %lld tomograms", (long long)nw,
                                (long long)nt);
    }
    if (st == TSCT_OK &&
        (!(t0 = malloc((size_t)nt * sizeof *t0)) || !(t1 = malloc((size_t)nt * sizeof *t1)) ||
         !(cap = malloc((size_t)nt * sizeof *cap)) ||
         !(capg = malloc((size_t)nt * sizeof *capg)) ||
         !(volt = malloc((size_t)nt * sizeof *volt)) ||
         !(half = malloc((size_t)nt * sizeof *half))))
        st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "tomograms", -1, "tables");
    for (int64_t t = 0; st == TSCT_OK && t < nt; t++) {
        t0[t] = windows ? wx[t] : start + (double)t * period;
        t1[t] = windows ? wy[t] : t0[t] + (duration > 0 ? duration : period);
        int64_t hc = 0;
        st = tsct_echem_window(e, t0[t], t1[t], &cap[t], &volt[t], &hc, &err);
        if (st != TSCT_OK) {
            char why[sizeof err.message];
            memcpy(why, err.message, sizeof why);
            tsct_error_clear(&err);
            st = tsct_error_set(&err, TSCT_ERR_VALUE, file, "tomogram", t,
                                "tomogram %lld (%.1f .. %.1f s): %s", (long long)t, t0[t],
                                t1[t], why);
        }
        capg[t] = cap[t] / (mass * 1e-3);
        half[t] = (double)hc;
    }
    if (st == TSCT_OK) {
        double *capg_all = malloc((size_t)e->n * sizeof *capg_all);
        if (!capg_all)
            st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "capacity", -1, "record");
        for (int64_t i = 0; capg_all && i < e->n; i++)
            capg_all[i] = e->capacity_mah[i] / (mass * 1e-3);
        const struct {
            const char *path, *units;
            const double *v;
            int64_t n;
        } out[] = {{"/entry/echem/time", "s", e->time_s, e->n},
                   {"/entry/echem/voltage", "V", e->voltage, e->n},
                   {"/entry/echem/current", "mA", e->current_ma, e->n},
                   {"/entry/echem/capacity", "mAh/g (in the half cycle)", capg_all, e->n},
                   {"/entry/echem/tomogram_start", "s", t0, nt},
                   {"/entry/echem/tomogram_end", "s", t1, nt},
                   {"/entry/echem/tomogram_capacity", "mAh/g", capg, nt},
                   {"/entry/echem/tomogram_voltage", "V", volt, nt},
                   {"/entry/echem/tomogram_half_cycle", "index", half, nt}};
        for (size_t i = 0; st == TSCT_OK && i < sizeof out / sizeof out[0]; i++)
            st = tsct_container_write_vector(c, out[i].path, out[i].v, out[i].n, out[i].units,
                                             &err);
        free(capg_all);
    }
    FILE *f = NULL;
    tsct_publish pub;
    if (st == TSCT_OK && output)
        st = tsct_publish_fopen(&pub, output, &f, &err);
    if (st == TSCT_OK) {
        FILE *to = f ? f : stdout;
        fprintf(to, "%st,start_s,end_s,capacity_mAh_g,voltage_V,half_cycle\n", f ? "" : "# ");
        for (int64_t t = 0; t < nt; t++)
            fprintf(to, "%lld,%.3f,%.3f,%.4f,%.5f,%d\n", (long long)t, t0[t], t1[t], capg[t],
                    volt[t], (int)half[t]);
        if (f)
            st = tsct_publish_fclose(&pub, f, &err);
    }
    if (st == TSCT_OK)
        st = tsct_container_close(c, &err);
    else
        tsct_container_close(c, NULL);
    tsct_echem_destroy(e);
    free(t0), free(t1), free(cap), free(capg), free(volt), free(half), free(wx), free(wy);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
