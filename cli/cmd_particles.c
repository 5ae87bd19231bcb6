/* cmd_particles.c - `tsct particles`: particles of a phase map, their sizes, and any parameter
 * map averaged by depth below the particle surface.
 *
 * Options -> tsct_stage_particles_params -> tsct_stage_particles (lib/stage/stage_particles.c);
 * the tables go to standard output or to files published when the stage has succeeded.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char tsct_usage_particles[] =
    "usage: tsct particles EXP.h5 --map NAME [--parameter MAP] [options]\n"
    "\n"
    "Particles of a map: voxels above the threshold, components of fewer than --min-size\n"
    "voxels removed, 8-connected particles labelled per slice and time step. Writes\n"
    "/entry/maps/NAME_particles (labels 1, 2, ... per slice; 0 outside) and\n"
    "/entry/maps/NAME_depth (distance to the particle surface, voxels: 1 for the outermost\n"
    "voxels), and prints (or writes with -o) a table of particles: t, z, label, voxels,\n"
    "equivalent diameter. With --parameter MAP, also the mean of MAP over shells of depth\n"
    "[k, k + 1) voxels (--by-depth FILE.csv: t, shell, mean depth, mean, sd, count).\n"
    "\n"
    "Options:\n"
    "      --map NAME            the phase map\n"
    "      --threshold F         F times the map's 99.5th percentile over all time steps\n"
    "                            (default 0.5), or otsu\n"
    "      --min-size N          smallest particle, voxels (default 4)\n"
    "      --parameter MAP       a map to average by depth (e.g. a fitted peak position;\n"
    "                            refine/NAME/PHASE/PARAM: a refined lattice parameter)\n"
    "      --shells N            depth shells (default 10)\n"
    "      --by-depth FILE.csv   the parameter-by-depth table\n"
    "  -o, --output FILE.csv     the particle table (default: standard output)\n";

/* The tables' files: -o and --by-depth. */
static int on_table(tsct_cli *cli, void *data, const char *name, const char *value)
{
    (void)cli;
    const char **files = data;
    files[strcmp(name, "output") == 0 ? 0 : 1] = value;
    return 0;
}

int tsct_cmd_particles(tsct_cli *cli, int argc, char **argv)
{
    tsct_stage_particles_params p = TSCT_STAGE_PARTICLES_PARAMS_DEFAULT;
    const char *files[2] = {NULL, NULL};
    int rc = tsct_cli_stage_options(cli, argc, argv, TSCT_STAGE_ID_PARTICLES, &p, NULL, on_table,
                                    files);
    if (rc)
        return rc;
    const char *output = files[0], *bydepth = files[1];
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind == argc ? "missing EXP.h5" : "one container");
    if ((rc = tsct_cli_stage_check(cli, TSCT_STAGE_ID_PARTICLES, &p)))
        return rc;
    if (bydepth && !p.parameter)
        return tsct_cli_usage_error(cli, "--by-depth needs --parameter MAP");
    const char *container = argv[optind];
    tsct_error err = TSCT_ERROR_INIT;
    tsct_publish_table table, dtable;
    tsct_status st = tsct_publish_table_open(&table, output, stdout, &err);
    if (st != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    st = tsct_publish_table_open(&dtable, bydepth, NULL, &err);
    if (st == TSCT_OK) {
        p.table = table.f;
        p.by_depth = dtable.f;
        tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
        tsct_cli_guard_file(container);
        st = tsct_stage_particles(container, &p, &ctx, NULL, &err);
        st = tsct_publish_table_close(&dtable, st, &err);
    }
    st = tsct_publish_table_close(&table, st, &err);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
