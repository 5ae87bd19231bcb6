/* cmd_edxrd.c - `tsct edxrd`: energy-dispersive spectra (MCA) of depth-resolved operando
 * measurements into the container's integrated cube on a d or q axis (tsct_stage_edxrd).
 *
 * The command parses options into the stage's parameters and makes the one call.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

struct edxrd_opts {
    tsct_stage_edxrd_params p;
    const char *output;
};

/* "A:B" with A < B. */
static int parse_pair(const char *s, double *a, double *b)
{
    char *end;
    *a = strtod(s, &end);
    if (end == s || *end != ':')
        return -1;
    const char *t = end + 1;
    *b = strtod(t, &end);
    return end == t || *end || !(*a < *b) || !isfinite(*a) || !isfinite(*b) ? -1 : 0;
}

/* "C0,C1[,C2[,C3]]" into the calibration. */
static int parse_poly(const char *s, tsct_edxrd_calibration *cal)
{
    int n = 0;
    const char *p = s;
    char *end;
    while (n <= TSCT_EDXRD_DEGREE_MAX) {
        cal->coef[n] = strtod(p, &end);
        if (end == p || !isfinite(cal->coef[n]))
            return -1;
        n++;
        if (*end == '\0')
            break;
        if (*end != ',')
            return -1;
        p = end + 1;
    }
    if (*end != '\0' || n < 2)
        return -1;
    cal->degree = n - 1;
    return 0;
}

static int parse_norm(tsct_cli *cli, const char *s, tsct_stage_edxrd_params *p)
{
    if (strcmp(s, "none") == 0) {
        p->norm = TSCT_STAGE_EDXRD_NORM_NONE;
    } else if (strncmp(s, "incident:", 9) == 0 && s[9]) {
        p->norm = TSCT_STAGE_EDXRD_NORM_INCIDENT, p->incident = s + 9;
    } else if (strcmp(s, "smooth") == 0 || strncmp(s, "smooth:", 7) == 0) {
        int64_t deg = 3;
        if (s[6] == ':' && (tsct_cli_parse_int64(s + 7, &deg) != 0 || deg < 0 || deg > 8))
            return tsct_cli_usage_error(cli, "--normalise smooth:DEG expects DEG 0..8, got '%s'",
                                        s);
        p->norm = TSCT_STAGE_EDXRD_NORM_SMOOTH, p->smooth_degree = (int)deg;
    } else {
        return tsct_cli_usage_error(cli, "--normalise expects smooth[:DEG], incident:SPEC or "
                                    "none, got '%s'", s);
    }
    return -1;
}

/* The options; -1 when the command goes on, else its exit status. */
static int parse(tsct_cli *cli, int argc, char **argv, struct edxrd_opts *o)
{
    enum { O_CAL = 256, O_TTH, O_CSPEC, O_CALIBRANT, O_LINES, O_FWHM, O_AXIS, O_RANGE, O_BINS,
           O_BEAM, O_NORM, O_NODT };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"calibration", required_argument, NULL, O_CAL},
        {"tth", required_argument, NULL, O_TTH},
        {"calibrant-spectrum", required_argument, NULL, O_CSPEC},
        {"calibrant", required_argument, NULL, O_CALIBRANT},
        {"lines", required_argument, NULL, O_LINES},
        {"fwhm", required_argument, NULL, O_FWHM},
        {"axis", required_argument, NULL, O_AXIS},
        {"range", required_argument, NULL, O_RANGE},
        {"bins", required_argument, NULL, O_BINS},
        {"beam", required_argument, NULL, O_BEAM},
        {"normalise", required_argument, NULL, O_NORM},
        {"no-deadtime", no_argument, NULL, O_NODT},
        {NULL, 0, NULL, 0},
    };
    tsct_stage_edxrd_params def = TSCT_STAGE_EDXRD_PARAMS_DEFAULT;
    o->p = def;
    o->p.bins = 700;
    o->output = NULL;
    int have_cal = 0, rc;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
        const char *opt = tsct_cli_option_name(argv, optind, optarg);
        switch (ch) {
        case 'o': o->output = optarg; break;
        case O_CAL:
            if (parse_poly(optarg, &o->p.calibration) != 0)
                return tsct_cli_usage_error(cli, "%s expects C0,C1[,C2[,C3]] in keV, got '%s'",
                                            opt, optarg);
            have_cal = 1;
            break;
        case O_TTH:
            if (tsct_cli_parse_double(optarg, &o->p.calibration.tth) != 0 ||
                !(o->p.calibration.tth > 0 && o->p.calibration.tth < 180))
                return tsct_cli_usage_error(cli, "%s expects degrees in (0, 180), got '%s'", opt,
                                            optarg);
            break;
        case O_CSPEC: o->p.calibrant_spectrum = optarg; break;
        case O_CALIBRANT: o->p.calibrant = optarg; break;
        case O_LINES: o->p.lines = optarg; break;
        case O_FWHM:
            if (tsct_cli_parse_double(optarg, &o->p.fwhm_kev) != 0 || !(o->p.fwhm_kev > 0))
                return tsct_cli_usage_error(cli, "%s expects keV > 0, got '%s'", opt, optarg);
            break;
        case O_AXIS:
            if (strcmp(optarg, "d") && strcmp(optarg, "q"))
                return tsct_cli_usage_error(cli, "%s expects d or q, got '%s'", opt, optarg);
            o->p.axis = optarg[0] == 'd' ? TSCT_STAGE_EDXRD_AXIS_D : TSCT_STAGE_EDXRD_AXIS_Q;
            break;
        case O_RANGE:
            if (parse_pair(optarg, &o->p.min, &o->p.max) != 0 || !(o->p.min > 0))
                return tsct_cli_usage_error(cli, "%s expects A:B with 0 < A < B, got '%s'", opt,
                                            optarg);
            break;
        case O_BINS:
            if (tsct_cli_parse_int64(optarg, &o->p.bins) != 0 || o->p.bins < 2)
                return tsct_cli_usage_error(cli, "%s expects a whole number >= 2, got '%s'", opt,
                                            optarg);
            break;
        case O_BEAM:
            if (parse_pair(optarg, &o->p.beam_min, &o->p.beam_max) != 0 || o->p.beam_min < 0)
                return tsct_cli_usage_error(cli, "%s expects A:B keV with 0 <= A < B, got '%s'",
                                            opt, optarg);
            break;
        case O_NORM:
            if ((rc = parse_norm(cli, optarg, &o->p)) >= 0)
                return rc;
            break;
        case O_NODT: o->p.deadtime = 0; break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return tsct_cli_usage_error(cli, "no spectra given");
    if (!o->output)
        return tsct_cli_usage_error(cli, "missing -o EXP.h5");
    if (!have_cal || !(o->p.calibration.tth > 0))
        return tsct_cli_usage_error(cli, "missing --calibration C0,C1,... and --tth DEG (with "
                                    "--calibrant-spectrum, the starting guesses)");
    if (!(o->p.max > 0))
        return tsct_cli_usage_error(cli, "missing --range A:B");
    o->p.spectra = (const char *const *)(argv + optind);
    o->p.nspectra = argc - optind;
    return -1;
}

/* tsct edxrd figure KIND EXP.h5 ...: one figure. */
static int figure(tsct_cli *cli, int argc, char **argv)
{
    enum { O_LAYER = 256, O_RANGE, O_FIT, O_PARAM };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'}, {"layer", required_argument, NULL, O_LAYER},
        {"range", required_argument, NULL, O_RANGE}, {"fit", required_argument, NULL, O_FIT},
        {"param", required_argument, NULL, O_PARAM}, {NULL, 0, NULL, 0},
    };
    tsct_stage_edxrd_figure_params p = TSCT_STAGE_EDXRD_FIGURE_PARAMS_DEFAULT;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
        const char *opt = tsct_cli_option_name(argv, optind, optarg);
        switch (ch) {
        case 'o': p.output = optarg; break;
        case O_LAYER:
            if (tsct_cli_parse_int64(optarg, &p.layer) != 0 || p.layer < 0)
                return tsct_cli_usage_error(cli, "%s expects a layer >= 0, got '%s'", opt,
                                            optarg);
            break;
        case O_RANGE:
            if (parse_pair(optarg, &p.range[0], &p.range[1]) != 0)
                return tsct_cli_usage_error(cli, "%s expects A:B with A < B, got '%s'", opt,
                                            optarg);
            p.have_range = 1;
            break;
        case O_FIT: p.fit = optarg; break;
        case O_PARAM: p.param = optarg; break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 3)
        return tsct_cli_usage_error(cli, "expected figure layer|fronts EXP.h5");
    const char *kind = argv[optind + 1];
    if (strcmp(kind, "layer") && strcmp(kind, "fronts"))
        return tsct_cli_usage_error(cli, "unknown figure '%s' (layer, fronts)", kind);
    p.kind = kind[0] == 'l' ? TSCT_STAGE_EDXRD_FIGURE_LAYER : TSCT_STAGE_EDXRD_FIGURE_FRONTS;
    p.input = argv[optind + 2];
    if (!p.output)
        return tsct_cli_usage_error(cli, "missing -o FIG.png");
    if (p.kind == TSCT_STAGE_EDXRD_FIGURE_FRONTS && (!p.fit || !p.param))
        return tsct_cli_usage_error(cli, "fronts needs --fit NAME and --param P");
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
    struct edxrd_opts o;
    int rc = parse(cli, argc, argv, &o);
    if (rc >= 0)
        return rc;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_cli_guard_file(o.output);
    if (tsct_stage_edxrd(o.output, &o.p, &ctx, NULL, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    return TSCT_EXIT_OK;
}
