/* cmd_powder.c - `tsct pattern` (calculated powder pattern or peak table of a CIF) and
 * `tsct debye` (Debye scattering of a cluster cut from a CIF).
 *
 * Options -> tsct_stage_pattern_params / tsct_stage_debye_params (through the option layer,
 * lib/stage/stage_options_powder.c) -> tsct_stage_pattern / tsct_stage_debye
 * (lib/stage/stage_powder.c), which read the CIF, compute and publish the file.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

const char tsct_usage_pattern[] =
    "usage: tsct pattern FILE.cif (--wavelength A | --energy KEV) --qmax Q [options] -o OUT.xy\n"
    "       tsct pattern FILE.cif (--wavelength A | --energy KEV) --qmax Q --peaks [-o OUT]\n"
    "\n"
    "Calculate the powder diffraction pattern of the crystal in FILE.cif (first data block):\n"
    "  I = scale * m |F|^2 * L (* P) * pseudo-Voigt, L = 1 / (sin^2 theta cos theta)\n"
    "(Debye-Scherrer), FWHM^2 = U tan^2 theta + V tan theta + W + (K lambda / (size cos\n"
    "theta))^2 in degrees of 2theta (Caglioti plus Scherrer, K = 0.9). See docs/physics.md.\n"
    "With --peaks, print the reflections instead, one row per class of equivalent hkl:\n"
    "  h k l d q two_theta multiplicity F2 intensity\n"
    "(d in Angstrom, q in 1/Angstrom, two_theta in degrees, F2 = |F|^2 per cell in\n"
    "electrons^2, intensity = scale * multiplicity * F2 * L (* P)).\n"
    "\n"
    "Options:\n"
    "  -l, --wavelength A   X-ray wavelength in Angstrom\n"
    "  -e, --energy KEV     or the photon energy in keV (lambda = 12.3984 / E)\n"
    "      --qmax Q         largest Q in 1/Angstrom (required, > 0)\n"
    "      --qmin Q         smallest Q (default 0)\n"
    "      --step S         grid step: 1/Angstrom (default 0.001), or degrees with\n"
    "                       --two-theta (default 0.005)\n"
    "      --two-theta      write the pattern against 2theta in degrees instead of Q\n"
    "      --size NM        crystallite size in nm for Scherrer broadening (default: none)\n"
    "      --u U, --v V, --w W   Caglioti parameters in degrees^2 (default 0, 0, 1e-4)\n"
    "      --eta ETA        Lorentzian fraction of the pseudo-Voigt, 0..1 (default 0.5)\n"
    "      --scale S        scale factor (default 1)\n"
    "      --polarization   multiply by (1 + cos^2 2theta) / 2 (default: none, as for data\n"
    "                       already corrected for polarisation)\n"
    "      --neutral        neutral-atom form factors (default: ions where the CIF says)\n"
    "      --no-adp         leave out Debye-Waller factors\n"
    "      --peaks          print the reflection table (to stdout unless -o)\n"
    "  -o, --output FILE    the pattern (.xy: two columns) or the table\n"
    "\n"
    "Example:\n"
    "  tsct pattern CeO2.cif --energy 87 --qmax 12 --size 50 -o CeO2.xy\n";

const char tsct_usage_debye[] =
    "usage: tsct debye FILE.cif --radius A [options] -o OUT.iq\n"
    "\n"
    "Cut a cluster from the crystal in FILE.cif (every atom of the expanded lattice within\n"
    "the shape) and write its Debye scattering\n"
    "  I(Q) = sum_ij w_i w_j f_i(Q) f_j(Q) sin(Q r_ij) / (Q r_ij)     electrons^2\n"
    "computed through a histogram of pair distances (error bound in docs/physics.md).\n"
    "\n"
    "Options:\n"
    "  -r, --radius A       sphere radius or cube half-edge in Angstrom (required, > 0)\n"
    "      --shape S        sphere (default) or cube\n"
    "      --centre X,Y,Z   centre in fractional coordinates (default 0,0,0)\n"
    "      --qmin Q         smallest Q in 1/Angstrom (default 0)\n"
    "      --qmax Q         largest Q in 1/Angstrom (default 25)\n"
    "      --step S         Q step (default 0.01)\n"
    "      --bin DR         pair-distance bin in Angstrom (default 0.001)\n"
    "      --neutral        neutral-atom form factors (default: ions where the CIF says)\n"
    "  -o, --output FILE    the pattern: two columns Q and I(Q)\n"
    "\n"
    "Example:\n"
    "  tsct debye Si.cif --radius 20 --qmax 30 -o Si_nano.iq\n";

/* The single positional argument FILE.cif left after the options. */
static int one_cif(tsct_cli *cli, int argc, char **argv, const char **cif)
{
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind >= argc ? "missing FILE.cif"
                                                        : "one CIF at a time");
    *cif = argv[optind];
    return 0;
}

/* The options of stage id into params, FILE.cif into *cif, checked; 0 or the exit status. */
static int parse(tsct_cli *cli, int argc, char **argv, tsct_stage_id id, void *params,
                 const char **cif)
{
    int rc = tsct_cli_stage_options(cli, argc, argv, id, params, NULL, NULL, NULL);
    if (rc || (rc = one_cif(cli, argc, argv, cif)) != 0)
        return rc;
    return tsct_cli_stage_check(cli, id, params);
}

int tsct_cmd_pattern(tsct_cli *cli, int argc, char **argv)
{
    tsct_stage_pattern_params p = TSCT_STAGE_PATTERN_PARAMS_DEFAULT;
    int rc = parse(cli, argc, argv, TSCT_STAGE_ID_PATTERN, &p, &p.cif);
    if (rc)
        return rc;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_error err = TSCT_ERROR_INIT;
    if (tsct_stage_pattern(&p, &ctx, NULL, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    return TSCT_EXIT_OK;
}

int tsct_cmd_debye(tsct_cli *cli, int argc, char **argv)
{
    tsct_stage_debye_params p = TSCT_STAGE_DEBYE_PARAMS_DEFAULT;
    int rc = parse(cli, argc, argv, TSCT_STAGE_ID_DEBYE, &p, &p.cif);
    if (rc)
        return rc;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_error err = TSCT_ERROR_INIT;
    if (tsct_stage_debye(&p, &ctx, NULL, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    return TSCT_EXIT_OK;
}
