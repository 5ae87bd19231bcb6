/* cmd_fit.c - `tsct fit peak`: single-peak (or few-peak) fits per voxel or per time step.
 *
 * Voxel mode is the fit stage (tsct_stage_fit, lib/stage/stage_fit.c): every voxel pattern
 * of /entry/recon (x = q) or /entry/pdf (x = r) inside a mask, into /entry/fits/NAME. Series
 * mode (tsct_stage_fit_series, lib/stage/stage_fit_series.c) fits a [nt][nx] dataset (a
 * region's pattern or PDF) or text patterns, one fit per time step or file, into a CSV table.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/container.h"
#include "tsct/fit.h"
#include "tsct/publish.h"

const char tsct_usage_fit[] =
    "usage: tsct fit peak EXP.h5 --window A:B --peak SPEC... --name NAME [options]\n"
    "       tsct fit peak --series INPUT... --window A:B --peak SPEC... [-o TABLE.csv]\n"
    "\n"
    "Fit peaks (Gaussian, Lorentzian or pseudo-Voigt; area, position, FWHM, eta) on a\n"
    "polynomial background in (x - window centre) over the window A..B by Levenberg-Marquardt\n"
    "(docs/fit.md). ESDs are sqrt(diag((J^T J)^-1)) scaled by the reduced chi2.\n"
    "\n"
    "Voxel mode: every voxel of /entry/recon (x = q, 1/A) or /entry/pdf (x = r, A) inside the\n"
    "mask is fitted; results go to /entry/fits/NAME/parameters and esd [nt][nz][ny][nx][k]\n"
    "(attribute 'parameters' names the k values), rwp, redchi2 and status [nt][nz][ny][nx]\n"
    "(0 converged, 1 converged with a parameter on a bound, 2 not converged, 3 failed; NaN\n"
    "outside the mask). Resumable: an interrupted run continues with the next voxel row.\n"
    "\n"
    "Series mode: each INPUT is FILE.h5::/path/to/dataset ([nt][nx], with its axis q or r\n"
    "beside it, e.g. /entry/regions/NAME/pdf) or a text pattern (.xy, .chi, .gr); one row per\n"
    "time step or file with every parameter, its ESD, redchi2, rwp and status (plus capacity\n"
    "and voltage when /entry/echem/tomogram_capacity and tomogram_voltage exist).\n"
    "\n"
    "Model:\n"
    "  -w, --window A:B          the fit window in x (required)\n"
    "  -p, --peak SPEC           a peak, repeatable (1..8): PROFILE[@POS][,NAME=VALUE]...\n"
    "                            PROFILE: g | gauss | l | lorentz | pv (pseudo-Voigt)\n"
    "                            NAME: area, position, fwhm, eta; VALUE: V (start),\n"
    "                            V:fixed, V:LO:HI (start and bounds), :LO:HI (bounds)\n"
    "                            e.g. --peak pv@2.31,fwhm=0.03,eta=0.5:fixed\n"
    "  -b, --background D        polynomial degree 0..3 (default 1), or none\n"
    "      --max-iter N          iterations at most (default 200)\n"
    "      --ftol F, --xtol F    MINPACK tolerances (default 1e-10 each)\n"
    "      --gtol F              (default 0: off)\n"
    "Voxel mode:\n"
    "  -n, --name NAME           /entry/fits/NAME (letters, digits, '_'; required)\n"
    "  -s, --source S            recon (default), pdf, or integrated (/entry/integrated: the\n"
    "                            patterns of tsct edxrd, x = their d or q axis)\n"
    "  -t, --threshold F         fit voxels whose total intensity (sum of /entry/recon over q)\n"
    "                            is >= F x the largest in the volume (default 0.05)\n"
    "  -m, --mask-map MAP        fit voxels where /entry/maps/MAP is > 0 instead\n"
    "      --maps LIST           also store these parameters (comma list, or all) as maps\n"
    "                            /entry/maps/NAME_PARAMETER, e.g. --maps position_1,area_1\n"
    "Series mode:\n"
    "      --series              the arguments are series inputs, not a container\n"
    "  -o, --output FILE         the CSV table (default: standard output)\n"
    "\n"
    "Examples:\n"
    "  tsct fit peak exp.h5 --window 2.2:2.45 --peak pv@2.31 --name bivo4 --maps position_1\n"
    "  tsct fit peak --series exp.h5::/entry/regions/core/pdf -w 2.8:3.4 -p g -o core.csv\n";

struct fit_opts {
    tsct_stage_fit_voxels_params p; /* the stage's options (lib/stage/stage_options.c) */
    tsct_fit_model model;           /* p.model */
    int series;
    const char *output;
};

/* The command's own options: series mode and its table. */
static const tsct_stage_option own_options[] = {
    {"series", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "fit a [nt][nx] dataset or text patterns"},
    {NULL, 0, 0, 0, 0, NULL}};

static int on_own(tsct_cli *cli, void *data, const char *name, const char *value)
{
    (void)cli;
    struct fit_opts *o = data;
    if (strcmp(name, "series") == 0)
        o->series = 1;
    else
        o->output = value;
    return 0;
}

static int parse(tsct_cli *cli, int argc, char **argv, struct fit_opts *o)
{
    const tsct_stage_fit_voxels_params defaults = TSCT_STAGE_FIT_VOXELS_PARAMS_DEFAULT;
    memset(o, 0, sizeof *o);
    o->p = defaults;
    tsct_fit_model_init(&o->model, NAN, NAN);
    o->p.model = &o->model;
    int rc = tsct_cli_stage_options(cli, argc, argv, TSCT_STAGE_ID_FIT, &o->p, own_options, on_own,
                                    o);
    if (rc)
        return rc;
    if (!isfinite(o->model.xmin))
        return tsct_cli_usage_error(cli, "missing --window A:B");
    if (o->model.npeaks == 0)
        return tsct_cli_usage_error(cli, "missing --peak (e.g. --peak pv@2.31)");
    if (o->series) {
        if (optind >= argc)
            return tsct_cli_usage_error(cli, "--series needs at least one INPUT");
        if (o->p.name || o->p.mask_map || o->p.maps)
            return tsct_cli_usage_error(cli, "--name, --mask-map and --maps are for voxel mode");
        return 0;
    }
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind >= argc ? "missing EXP.h5"
                                                        : "one container at a time");
    if ((rc = tsct_cli_stage_check(cli, TSCT_STAGE_ID_FIT, &o->p)))
        return rc;
    if (o->output)
        return tsct_cli_usage_error(cli, "-o is for --series tables");
    return 0;
}

/* ---- voxel mode: the fit stage ---------------------------------------------------------- */

static int run_voxels(tsct_cli *cli, const char *container, const struct fit_opts *o)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_cli_guard_file(container);
    if (tsct_stage_fit(container, &o->p, &ctx, NULL, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    return TSCT_EXIT_OK;
}

/* ---- series mode: the fit stage's series (lib/stage/stage_fit_series.c) ------------------ */

static int run_series(tsct_cli *cli, struct fit_opts *o, int n, char **inputs)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_publish_table table;
    /* The HDF5 input a fault inside HDF5 is blamed on (guard.c), when there is one. */
    for (int i = 0; i < n; i++)
        if (strstr(inputs[i], "::")) {
            char file[1024], dset[512];
            tsct_path_split(inputs[i], file, sizeof file, dset, sizeof dset);
            tsct_cli_guard_file(file);
            break;
        }
    tsct_status st = tsct_publish_table_open(&table, o->output, stdout, &err);
    if (st == TSCT_OK) {
        st = tsct_stage_fit_series((const char *const *)inputs, n, &o->p, table.f, &ctx, NULL,
                                   &err);
        st = tsct_publish_table_close(&table, st, &err);
    }
    if (st == TSCT_OK && o->output)
        tsct_log_msg(&cli->log, TSCT_LOG_INFO, "written to %s", o->output);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}

int tsct_cmd_fit(tsct_cli *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "peak") != 0)
        return tsct_cli_usage_error(cli, argc < 2 ? "missing the kind of fit: tsct fit peak ..."
                                                  : "unknown kind of fit '%s' (expected peak)",
                                    argv[1]);
    struct fit_opts *o = calloc(1, sizeof *o);
    if (!o)
        return TSCT_EXIT_FAIL;
    int rc = parse(cli, argc - 1, argv + 1, o);
    if (!rc)
        rc = o->series ? run_series(cli, o, argc - 1 - optind, argv + 1 + optind)
                       : run_voxels(cli, argv[1 + optind], o);
    free(o);
    return rc;
}
