/* cmd_simulate.c - `tsct simulate`: a synthetic operando experiment with its ground truth.
 *
 * The experiment is a named preset (lib/simulate): phantom, kinetics, materials, scan. This
 * command runs it into a container at the pattern level (the integrated cube, as if the
 * frames had been integrated) and writes the electrochemistry beside it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/publish.h"
#include "tsct/simulate.h"

const char tsct_usage_simulate[] =
    "usage: tsct simulate --preset NAME -o EXP.h5 [options]\n"
    "\n"
    "Simulate an operando XRD-CT / TSCT experiment whose truth is known, into the container\n"
    "EXP.h5 (created if missing): the integrated patterns /entry/integrated [nt][nz][na][ns]\n"
    "[nq] with their sigma, the scan axes, and /ground_truth (phase fractions of every voxel,\n"
    "component patterns, lattice scales, regions, particles, noiseless sinograms); the\n"
    "electrochemistry as CSV. Resumable: an interrupted run continues with the next slice and\n"
    "writes the same bytes.\n"
    "\n"
    "Options:\n"
    "  -p, --preset NAME      the experiment: demo (see docs/simulate.md)\n"
    "  -o, --output EXP.h5    the container (required)\n"
    "      --seed N           noise and particle placement (default 0)\n"
    "      --echem FILE.csv   electrochemistry (default: EXP.h5 with _echem.csv)\n"
    "      --data DIRS        folders holding the CIF files, colon-separated (default: the\n"
    "                         installed and source-tree structure folders, or $TSCT_STRUCTURES)\n"
    "      --list             list the presets and exit\n";

int tsct_cmd_simulate(tsct_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"preset", required_argument, NULL, 'p'}, {"output", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 's'},   {"echem", required_argument, NULL, 'e'},
        {"data", required_argument, NULL, 'd'},   {"list", no_argument, NULL, 'l'},
        {NULL, 0, NULL, 0},
    };
    const char *preset_name = NULL, *output = NULL, *echem = NULL, *data = NULL;
    int64_t seed = 0;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":p:o:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p': preset_name = optarg; break;
        case 'o': output = optarg; break;
        case 'e': echem = optarg; break;
        case 'd': data = optarg; break;
        case 's':
            if (tsct_cli_parse_int64(optarg, &seed) != 0 || seed < 0)
                return tsct_cli_usage_error(cli, "--seed expects a whole number >= 0, got '%s'",
                                            optarg);
            break;
        case 'l':
            for (const char *const *n = tsct_sim_preset_names(); *n; n++) {
                tsct_sim_preset p;
                tsct_sim_preset_get(*n, &p, NULL);
                printf("%-12s %s\n", *n, p.description);
            }
            return TSCT_EXIT_OK;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return tsct_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    if (!preset_name)
        return tsct_cli_usage_error(cli, "missing --preset NAME (tsct simulate --list)");
    if (!output)
        return tsct_cli_usage_error(cli, "missing -o EXP.h5");
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_preset preset;
    if (tsct_sim_preset_get(preset_name, &preset, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    char echem_default[TSCT_PATH_MAX];
    if (!echem) {
        size_t n = strlen(output);
        if (n > 3 && strcmp(output + n - 3, ".h5") == 0)
            n -= 3;
        snprintf(echem_default, sizeof echem_default, "%.*s_echem.csv", (int)n, output);
        echem = echem_default;
    }
    tsct_sim_run_params rp = {(uint64_t)seed, data ? data : tsct_sim_default_data_dirs(), echem,
                              cli->command_line, cli->nthreads};
    tsct_cli_guard_file(output);
    if (tsct_sim_run_patterns(&preset, output, &rp, &cli->log, &cli->progress, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    tsct_log_msg(&cli->log, TSCT_LOG_INFO, "simulated preset %s into %s (electrochemistry: %s)",
                 preset.name, output, echem);
    return TSCT_EXIT_OK;
}
