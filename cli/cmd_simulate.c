/* cmd_simulate.c - `tsct simulate`: a synthetic operando experiment with its ground truth.
 *
 * The experiment is a named preset (lib/simulate): phantom, kinetics, materials, scan,
 * detector. This command runs it into a container at the pattern level (the integrated cube,
 * as if the frames had been integrated) or at the frame level (detector frames in a folder
 * beside the container, the ground truth in it), and writes the electrochemistry beside it.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/publish.h"
#include "tsct/sim_edxrd.h"
#include "tsct/simulate.h"

const char tsct_usage_simulate[] =
    "usage: tsct simulate --preset NAME -o EXP.h5 [options]\n"
    "\n"
    "Simulate an operando XRD-CT / TSCT experiment whose truth is known, into the container\n"
    "EXP.h5 (created if missing): the integrated patterns /entry/integrated [nt][nz][na][ns]\n"
    "[nq] with their sigma, the scan axes, and /ground_truth (phase fractions of every voxel,\n"
    "component patterns, lattice scales, regions, particles, noiseless sinograms; where the\n"
    "lattice differs from voxel to voxel, as in si, cylindrical and nmc, also each voxel's\n"
    "reaction coordinate and cell lengths); the electrochemistry as CSV. Resumable: an\n"
    "interrupted run continues with the next slice and writes the same bytes.\n"
    "\n"
    "With --level frames, the experiment as the beamline records it instead of the integrated\n"
    "cube: DIR receives one HDF5 file per time step, frames_tNNNN.h5, with /entry/data/data\n"
    "[frames][rows][cols] uint32 counts in acquisition order (slice, angle, translation; snake\n"
    "rows reversed), bitshuffle-LZ4 compressed, and the monitor /entry/instrument/monitor/data;\n"
    "detector.poni, mask.edf (dark.edf, flat.edf) and scan.ini with what tsct integrate needs\n"
    "(docs/simulate.md). With --frame-format cbf or edf, DIR receives one folder per time\n"
    "step instead, frames_tNNNN/, holding one Pilatus mini-CBF (byte-offset) or EDF file per\n"
    "frame, frame_KKKKKK.cbf / .edf in acquisition order, int32 counts (-1 where masked) with\n"
    "the monitor in the header item Flux; scan.ini then describes the folders. EXP.h5 holds\n"
    "the ground truth. An interrupted run resumes at the first missing time step (a time\n"
    "step's file or folder appears only when complete); a complete one is left as it is.\n"
    "\n"
    "Options:\n"
    "  -p, --preset NAME      the experiment: demo, bivo4, si, cylindrical, nmc (see\n"
    "                         docs/simulate.md; --list describes them), or v2o5: EDXRD\n"
    "                         spectra of a V2O5 electrode's layers (docs/edxrd.md)\n"
    "      --set KEY=VALUE    override a parameter of the preset (n, nt, na, ns, nq, ...;\n"
    "                         the list: tsct simulate --list); repeatable\n"
    "  -o, --output EXP.h5    the container (required)\n"
    "      --level L          patterns (default) or frames\n"
    "      --frames DIR       frames folder (default: EXP.h5 without .h5, plus _frames)\n"
    "      --frame-format F   frames: h5 (default: one HDF5 stack per time step), cbf or\n"
    "                         edf (one folder of files per time step)\n"
    "      --noiseless        frames: expected counts rounded, no noise, no spots\n"
    "      --physics LIST     frames: parallax (each voxel's rings from its own position\n"
    "                         along the beam) and/or absorption (incident and scattered beams\n"
    "                         attenuated per voxel), comma-separated, or none (the default):\n"
    "                         --set physics.parallax=1 / physics.absorption=1\n"
    "      --time-steps N     only the first N time steps of the experiment\n"
    "      --seed N           noise and particle placement (default 0)\n"
    "      --echem FILE.csv   electrochemistry (default: EXP.h5 with _echem.csv)\n"
    "      --data DIRS        folders holding the CIF files, colon-separated (default: the\n"
    "                         installed and source-tree structure folders, or $TSCT_STRUCTURES)\n"
    "      --list             list the presets and exit\n"
    "\n"
    "With --calibrant C --poni G.poni, one frame of a powder calibrant (CeO2, LaB6, Si, a .D\n"
    "file or a CIF; rings of relative intensity multiplicity x exp(-0.5 / d^2), FWHM\n"
    "--fwhm degrees of 2theta, on a background of 30 counts, Poisson noise unless\n"
    "--noiseless) on the PONI's detector and geometry, module gaps -1: -o FRAME.cbf (int32\n"
    "counts), .edf, .tif or .npy (float32). For testing tsct calibrate against a known truth.\n"
    "      --calibrant C      the calibrant of the frame\n"
    "      --poni FILE        its geometry (detector, distance, PONI, rotations, wavelength)\n"
    "      --fwhm DEG         ring width (default 0.03)\n"
    "\n"
    "Examples:\n"
    "  tsct simulate --preset demo -o demo.h5\n"
    "  tsct simulate --calibrant CeO2 --poni tilted.poni --seed 3 -o CeO2.cbf\n"
    "  tsct simulate --preset nmc --set n=64 --set ns=64 --set na=32 -o nmc.h5\n";

/* One calibrant frame into an image file (tsct_sim_calibrant_image). */
static int simulate_calibrant(tsct_cli *cli, const char *calibrant, const char *poni_path,
                              double fwhm, uint64_t seed, int noiseless, const char *output)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_calibrant_params sp = TSCT_SIM_CALIBRANT_PARAMS_DEFAULT;
    sp.fwhm_deg = fwhm;
    sp.nthreads = cli->nthreads;
    char detector[128] = "";
    if (tsct_sim_calibrant_image(calibrant, poni_path, &sp, seed, noiseless, output, detector,
                                 sizeof detector, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    tsct_log_msg(&cli->log, TSCT_LOG_INFO, "simulated %s on %s into %s", calibrant, detector,
                 output);
    return TSCT_EXIT_OK;
}

struct sim_opts {
    const char *preset_name, *output, *echem, *data, *frames_dir, *calibrant, *poni;
    double fwhm;
    int64_t seed, time_steps;
    int frames_level, noiseless, nset, format_given;
    tsct_sim_frame_format format;
    const char *sets[64];
};

/* The options; -1 when the command goes on, else its exit status (--list prints the presets). */
static int parse(tsct_cli *cli, int argc, char **argv, struct sim_opts *o)
{
    enum { OPT_LEVEL = 256, OPT_FRAMES, OPT_NOISELESS, OPT_STEPS, OPT_SET, OPT_FORMAT,
           OPT_CALIBRANT, OPT_PONI, OPT_FWHM, OPT_PHYSICS };
    static const struct option longopts[] = {
        {"preset", required_argument, NULL, 'p'},  {"output", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 's'},    {"echem", required_argument, NULL, 'e'},
        {"data", required_argument, NULL, 'd'},    {"list", no_argument, NULL, 'l'},
        {"level", required_argument, NULL, OPT_LEVEL},
        {"frames", required_argument, NULL, OPT_FRAMES},
        {"frame-format", required_argument, NULL, OPT_FORMAT},
        {"noiseless", no_argument, NULL, OPT_NOISELESS},
        {"time-steps", required_argument, NULL, OPT_STEPS},
        {"set", required_argument, NULL, OPT_SET},
        {"physics", required_argument, NULL, OPT_PHYSICS},
        {"calibrant", required_argument, NULL, OPT_CALIBRANT},
        {"poni", required_argument, NULL, OPT_PONI},
        {"fwhm", required_argument, NULL, OPT_FWHM},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->fwhm = 0.03;
    o->format = TSCT_SIM_FRAMES_HDF5;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":p:o:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p': o->preset_name = optarg; break;
        case 'o': o->output = optarg; break;
        case 'e': o->echem = optarg; break;
        case 'd': o->data = optarg; break;
        case 's':
            if (tsct_cli_parse_int64(optarg, &o->seed) != 0 || o->seed < 0)
                return tsct_cli_usage_error(cli, "--seed expects a whole number >= 0, got '%s'",
                                            optarg);
            break;
        case OPT_LEVEL:
            if (strcmp(optarg, "patterns") != 0 && strcmp(optarg, "frames") != 0)
                return tsct_cli_usage_error(cli, "--level expects patterns or frames, got '%s'",
                                            optarg);
            o->frames_level = strcmp(optarg, "frames") == 0;
            break;
        case OPT_FRAMES: o->frames_dir = optarg; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "h5") == 0 || strcmp(optarg, "hdf5") == 0)
                o->format = TSCT_SIM_FRAMES_HDF5;
            else if (strcmp(optarg, "cbf") == 0)
                o->format = TSCT_SIM_FRAMES_CBF;
            else if (strcmp(optarg, "edf") == 0)
                o->format = TSCT_SIM_FRAMES_EDF;
            else
                return tsct_cli_usage_error(cli, "--frame-format expects h5, cbf or edf, got "
                                            "'%s'", optarg);
            o->format_given = 1;
            break;
        case OPT_SET:
            if (o->nset == 64 || !strchr(optarg, '='))
                return tsct_cli_usage_error(cli, "--set expects KEY=VALUE (at most 64), got '%s'",
                                            optarg);
            o->sets[o->nset++] = optarg;
            break;
        case OPT_PHYSICS: {
            /* Shorthand for the preset keys physics.parallax / physics.absorption. */
            char list[256];
            snprintf(list, sizeof list, "%s", optarg);
            for (char *save = NULL, *w = strtok_r(list, ",", &save); w;
                 w = strtok_r(NULL, ",", &save)) {
                const char *set = strcmp(w, "parallax") == 0     ? "physics.parallax=1"
                                  : strcmp(w, "absorption") == 0 ? "physics.absorption=1"
                                  : strcmp(w, "none") == 0       ? ""
                                                                 : NULL;
                if (!set)
                    return tsct_cli_usage_error(cli, "--physics expects parallax, absorption or "
                                                "none (comma-separated), got '%s'", w);
                if (!*set)
                    continue;
                if (o->nset == 64)
                    return tsct_cli_usage_error(cli, "at most 64 --set and --physics changes");
                o->sets[o->nset++] = set;
            }
            break;
        }
        case OPT_NOISELESS: o->noiseless = 1; break;
        case OPT_CALIBRANT: o->calibrant = optarg; break;
        case OPT_PONI: o->poni = optarg; break;
        case OPT_FWHM:
            if (tsct_cli_parse_double(optarg, &o->fwhm) != 0 || !(o->fwhm > 0))
                return tsct_cli_usage_error(cli, "--fwhm expects degrees > 0, got '%s'", optarg);
            break;
        case OPT_STEPS:
            if (tsct_cli_parse_int64(optarg, &o->time_steps) != 0 || o->time_steps < 1)
                return tsct_cli_usage_error(cli, "--time-steps expects a whole number >= 1, "
                                            "got '%s'", optarg);
            break;
        case 'l':
            for (const char *const *n = tsct_sim_preset_names(); *n; n++) {
                tsct_sim_preset p;
                tsct_sim_preset_get(*n, &p, NULL);
                printf("%-12s %s\n", *n, p.description);
            }
            printf("%-12s %s\n", "v2o5", "operando EDXRD of a V2O5 electrode in a coin cell: "
                   "7 layers, white beam, Ge detector, 2theta 2.29 deg (docs/edxrd.md)");
            printf("\nParameters any preset takes with --set KEY=VALUE:\n%s",
                   tsct_sim_preset_keys_help());
            return TSCT_EXIT_OK;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return tsct_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    return -1;
}

/* A --set KEY=VALUE: the key into key[size], the value returned. */
static const char *set_split(const char *set, char *key, size_t size)
{
    const char *eq = strchr(set, '=');
    snprintf(key, size, "%.*s", (int)(eq - set), set);
    return eq + 1;
}

/* The EDXRD preset: spectra, calibrant and electrochemistry beside the container. */
static int simulate_edxrd(tsct_cli *cli, const struct sim_opts *o)
{
    if (o->frames_level || o->echem)
        return tsct_cli_usage_error(cli, "the v2o5 preset writes spectra beside EXP.h5; --level "
                                    "and --echem do not apply");
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_edxrd_preset p;
    tsct_sim_edxrd_preset_v2o5(&p);
    for (int i = 0; i < o->nset; i++) {
        char key[128];
        const char *value = set_split(o->sets[i], key, sizeof key);
        if (tsct_sim_edxrd_set(&p, key, value, &err) != TSCT_OK)
            return tsct_cli_fail(cli, &err);
    }
    tsct_cli_guard_file(o->output);
    if (tsct_sim_edxrd_run(&p, o->output, o->data, (uint64_t)o->seed, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    tsct_log_msg(&cli->log, TSCT_LOG_INFO, "simulated preset v2o5 into %s (spectra, calibrant "
                 "and electrochemistry beside it)", o->output);
    return TSCT_EXIT_OK;
}

/* Simulate the preset, with the --set changes, into the container and files beside it. */
static int simulate_preset(tsct_cli *cli, const struct sim_opts *o)
{
    const char *echem = o->echem, *frames_dir = o->frames_dir;
    if (o->calibrant || o->poni) {
        if (!o->calibrant || !o->poni || !o->output || o->preset_name)
            return tsct_cli_usage_error(cli, "a o->calibrant frame needs --calibrant, --poni and "
                                        "-o FRAME, and no --preset");
        return simulate_calibrant(cli, o->calibrant, o->poni, o->fwhm, (uint64_t)o->seed,
                                  o->noiseless, o->output);
    }
    if (!o->preset_name)
        return tsct_cli_usage_error(cli, "missing --preset NAME (tsct simulate --list)");
    if (!o->output)
        return tsct_cli_usage_error(cli, "missing -o EXP.h5");
    if (strcmp(o->preset_name, "v2o5") == 0)
        return simulate_edxrd(cli, o);
    if (!o->frames_level && (o->frames_dir || o->noiseless || o->format_given))
        return tsct_cli_usage_error(cli, "--frames, --frame-format and --noiseless need --level "
                                    "frames");
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_preset preset;
    if (tsct_sim_preset_get(o->preset_name, &preset, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    for (int i = 0; i < o->nset; i++) {
        char key[128];
        const char *value = set_split(o->sets[i], key, sizeof key);
        if (tsct_sim_preset_set(&preset, key, value, &err) != TSCT_OK)
            return tsct_cli_fail(cli, &err);
    }
    if (preset.qmax <= preset.qmin) {
        tsct_error_set(&err, TSCT_ERR_VALUE, NULL, "qmax", -1, "qmax %g must exceed qmin %g",
                       preset.qmax, preset.qmin);
        return tsct_cli_fail(cli, &err);
    }
    /* Files beside the container: EXP.h5 without .h5, plus a suffix. */
    char echem_default[TSCT_PATH_MAX], frames_default[TSCT_PATH_MAX];
    size_t stem = strlen(o->output);
    if (stem > 3 && strcmp(o->output + stem - 3, ".h5") == 0)
        stem -= 3;
    if (!echem) {
        snprintf(echem_default, sizeof echem_default, "%.*s_echem.csv", (int)stem, o->output);
        echem = echem_default;
    }
    if (!frames_dir) {
        snprintf(frames_default, sizeof frames_default, "%.*s_frames", (int)stem, o->output);
        frames_dir = frames_default;
    }
    tsct_sim_run_params rp = {(uint64_t)o->seed, o->data ? o->data : tsct_phase_default_dirs(),
                              echem, cli->command_line, cli->nthreads, o->time_steps};
    tsct_cli_guard_file(o->output);
    tsct_status st;
    if (o->frames_level) {
        tsct_sim_frames_params fp = {frames_dir, o->noiseless, o->format};
        st = tsct_sim_run_frames(&preset, o->output, &rp, &fp, &cli->log, &cli->progress,
                                 &err);
    } else {
        st = tsct_sim_run_patterns(&preset, o->output, &rp, &cli->log, &cli->progress, &err);
    }
    if (st != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    tsct_log_msg(&cli->log, TSCT_LOG_INFO, "simulated preset %s into %s%s%s (electrochemistry: %s)",
                 preset.name, o->output, o->frames_level ? ", frames in " : "",
                 o->frames_level ? frames_dir : "", echem);
    return TSCT_EXIT_OK;
}

int tsct_cmd_simulate(tsct_cli *cli, int argc, char **argv)
{
    struct sim_opts o;
    int rc = parse(cli, argc, argv, &o);
    return rc >= 0 ? rc : simulate_preset(cli, &o);
}
