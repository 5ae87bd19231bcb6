/* cmd_edxrd.c - `tsct edxrd`: energy-dispersive spectra (MCA) of depth-resolved operando
 * measurements into the container's integrated cube on a d or q axis (tsct_stage_edxrd), and
 * `tsct edxrd figure` (tsct_stage_edxrd_figure).
 *
 * Options -> the stage's params through the option layer (lib/stage/stage_options_edxrd.c,
 * which has the checks and messages) -> the one call.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tsct/stage.h"

const char tsct_usage_edxrd[] =
    "usage: tsct edxrd SPECTRA... -o EXP.h5 --calibration C0,C1,... --tth DEG --range A:B\n"
    "       tsct edxrd figure layer EXP.h5 --layer Z -o FIG.png [--range A:B]\n"
    "       tsct edxrd figure fronts EXP.h5 --fit NAME --param P -o FIG.png\n"
    "\n"
    "Energy-dispersive diffraction (a white beam, an energy-resolving detector at a fixed\n"
    "2theta): multichannel-analyser spectra -> /entry/integrated/data [nt][nz][1][1][bins] on a\n"
    "common d (A) or q (1/A) axis, time x layer, so that tsct fit --source integrated, tsct\n"
    "echem and tsct figure work on them (docs/edxrd.md). SPECTRA are text files (one column of\n"
    "counts, or two: channel or energy and counts; header lines '# live_time 9.8', '# z 0.03',\n"
    "'# time 120'; the Amptek .mca layout) or one FILE.h5::/path/data [nspec][nchan] with\n"
    "live_time, real_time, z and time [nspec] beside it. Layers are the distinct z; a layer's\n"
    "spectra in time order are its time steps. Each spectrum is divided by its live time\n"
    "(dead-time correction) and by the normalisation, then rebinned from channels onto the\n"
    "axis with the calibration E = C0 + C1 c + C2 c^2 + C3 c^3 keV (c the channel) and\n"
    "d = hc / (2 E sin(2theta / 2)).\n"
    "\n"
    "Calibration:\n"
    "      --calibration C0,C1[,C2[,C3]]  the channel -> energy polynomial, keV (required; the\n"
    "                            starting guess with --calibrant-spectrum)\n"
    "      --tth DEG             2theta, degrees (required; the guess with a calibrant)\n"
    "      --calibrant-spectrum F  fit the polynomial (and 2theta, with --lines) to the peaks\n"
    "                            of this spectrum\n"
    "      --calibrant NAME      its reflections: CeO2 (default), LaB6, Si, a .D file or a CIF\n"
    "      --lines EL,...        elements whose K lines it shows (fluorescence: Ce; the\n"
    "                            collimators' lead: Pb); without them 2theta is held\n"
    "      --fwhm KEV            the peaks' starting width (default 0.5)\n"
    "Axis and normalisation:\n"
    "      --axis d|q            (default d)\n"
    "      --range A:B           the axis range (required), e.g. 3.8:5.2 A\n"
    "      --bins N              (default 700)\n"
    "      --beam A:B            the white beam's energies, keV: the axis must lie inside\n"
    "      --normalise N         smooth[:DEG] (a curve of degree DEG, default 3, under each\n"
    "                            spectrum), incident:SPEC (a measured incident spectrum of\n"
    "                            the same channels) or none\n"
    "      --no-deadtime         do not divide by the live time\n"
    "  -o, --output EXP.h5       the container (created when missing)\n"
    "\n"
    "Figures (the study's): 'layer' draws layer Z's patterns as a film, intensity in d against\n"
    "time at each spectrum's time stamp, beside the voltage of /entry/echem (tsct echem);\n"
    "'fronts' draws a fitted parameter (--param position_1) of /entry/fits/NAME against time,\n"
    "one curve per layer with its ESD (points where the reflection is absent left out).\n"
    "\n"
    "Example (the v2o5 preset of tsct simulate; docs/edxrd.md):\n"
    "  tsct simulate --preset v2o5 --set hours=2 --set cycles=1 -o v2o5.h5\n"
    "  tsct edxrd v2o5_spectra.h5::/entry/mca/data -o v2o5.h5 --calibration 0,0.0401 \\\n"
    "      --tth 2.25 --calibrant-spectrum v2o5_CeO2.mca --lines Ce,Pb --beam 50:160 \\\n"
    "      --range 3.8:5.2 --bins 700\n"
    "  tsct fit peak v2o5.h5 --source integrated -n v2o5_001 -w 4.30:4.43 -p g@4.37 -t 0\n"
    "  tsct echem v2o5.h5 v2o5_echem.csv --mass 5 --period 280\n"
    "  tsct edxrd figure layer v2o5.h5 --layer 0 -o layer0.png\n"
    "  tsct edxrd figure fronts v2o5.h5 --fit v2o5_001 --param position_1 -o fronts.png\n";

/* -o EXP.h5: the container, the command's own (the stage takes it as an argument). */
static const tsct_stage_option own_options[] = {
    {"output", 'o', TSCT_STAGE_OPTION_VALUE, 1, 0, "EXP.h5: the container"},
    {NULL, 0, 0, 0, 0, NULL}};

static int on_output(tsct_cli *cli, void *data, const char *name, const char *value)
{
    (void)cli, (void)name;
    *(const char **)data = value;
    return 0;
}

/* tsct edxrd figure KIND EXP.h5 ...: one figure. */
static int figure(tsct_cli *cli, int argc, char **argv)
{
    tsct_stage_edxrd_figure_params p = TSCT_STAGE_EDXRD_FIGURE_PARAMS_DEFAULT;
    int rc = tsct_cli_stage_options(cli, argc, argv, TSCT_STAGE_ID_EDXRD_FIGURE, &p, NULL, NULL,
                                    NULL);
    if (rc)
        return rc;
    if (argc - optind != 3)
        return tsct_cli_usage_error(cli, "expected figure layer|fronts EXP.h5");
    const char *kind = argv[optind + 1];
    if (strcmp(kind, "layer") && strcmp(kind, "fronts"))
        return tsct_cli_usage_error(cli, "unknown figure '%s' (layer, fronts)", kind);
    p.kind = kind[0] == 'l' ? TSCT_STAGE_EDXRD_FIGURE_LAYER : TSCT_STAGE_EDXRD_FIGURE_FRONTS;
    p.input = argv[optind + 2];
    if ((rc = tsct_cli_stage_check(cli, TSCT_STAGE_ID_EDXRD_FIGURE, &p)))
        return rc;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    if (tsct_stage_edxrd_figure(&p, &ctx, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    return TSCT_EXIT_OK;
}

int tsct_cmd_edxrd(tsct_cli *cli, int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "figure") == 0)
        return figure(cli, argc, argv);
    tsct_stage_edxrd_params p = TSCT_STAGE_EDXRD_PARAMS_DEFAULT;
    const char *output = NULL;
    int rc = tsct_cli_stage_options(cli, argc, argv, TSCT_STAGE_ID_EDXRD, &p, own_options,
                                    on_output, &output);
    if (rc)
        return rc;
    if (optind >= argc)
        return tsct_cli_usage_error(cli, "no spectra given");
    if (!output)
        return tsct_cli_usage_error(cli, "missing -o EXP.h5");
    if ((rc = tsct_cli_stage_check(cli, TSCT_STAGE_ID_EDXRD, &p)))
        return rc;
    p.spectra = (const char *const *)(argv + optind);
    p.nspectra = argc - optind;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_cli_guard_file(output);
    if (tsct_stage_edxrd(output, &p, &ctx, NULL, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    return TSCT_EXIT_OK;
}
