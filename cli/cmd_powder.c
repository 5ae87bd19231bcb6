/* cmd_powder.c - `tsct pattern` (calculated powder pattern or peak table of a CIF) and
 * `tsct debye` (Debye scattering of a cluster cut from a CIF).
 *
 * Both read one CIF, compute in memory in well under a minute for the sizes they allow, and
 * publish one small text file atomically (tsct/publish.h): there is no container and nothing
 * to resume, so they use no step. The physics is in lib/physics (tsct/powder.h,
 * tsct/debye.h); this file only parses options, builds grids and writes tables.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/crystal.h"
#include "tsct/debye.h"
#include "tsct/powder.h"
#include "tsct/publish.h"

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

/* Parse a positive finite number for option `name`; returns 0 or a usage-error exit code. */
static int positive(tsct_cli *cli, const char *name, const char *arg, double *out, int allow0)
{
    if (tsct_cli_parse_double(arg, out) != 0 || (allow0 ? *out < 0.0 : !(*out > 0.0)))
        return tsct_cli_usage_error(cli, "%s expects a number %s 0, got '%s'", name,
                                    allow0 ? ">=" : ">", arg);
    return 0;
}

/* The usage error for getopt_long's ':' (missing value) or '?' (unknown option). */
static int option_error(tsct_cli *cli, int ch, char **argv)
{
    if (ch == ':')
        return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
    return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
}

/* The single positional argument FILE.cif left after the options. */
static int one_cif(tsct_cli *cli, int argc, char **argv, const char **cif)
{
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind >= argc ? "missing FILE.cif"
                                                        : "one CIF at a time");
    *cif = argv[optind];
    return 0;
}

static int read_crystal(tsct_cli *cli, const char *path, tsct_crystal **c)
{
    tsct_error err = TSCT_ERROR_INIT;
    if (tsct_crystal_read_cif(c, path, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    for (int64_t s = 0; s < tsct_crystal_site_count(*c); s++)
        if (tsct_crystal_site_ion_fallback(*c, s))
            tsct_log_msg(&cli->log, TSCT_LOG_WARN, "%s: site %s: ion %s not tabulated, using %s",
                         path, tsct_crystal_sites(*c)[s].label, tsct_crystal_sites(*c)[s].type,
                         tsct_crystal_site_formfactor(*c, s)->symbol);
    return 0;
}

/* Open -o FILE for atomic publication, or stdout. */
static tsct_status open_output(const char *path, tsct_publish *pub, FILE **fp, tsct_error *err)
{
    if (!path) {
        *fp = stdout;
        return TSCT_OK;
    }
    return tsct_publish_fopen(pub, path, fp, err);
}

static tsct_status close_output(const char *path, tsct_publish *pub, FILE *fp, tsct_error *err)
{
    if (!path)
        return fflush(fp) == 0 ? TSCT_OK
                               : tsct_error_set(err, TSCT_ERR_IO, "stdout", NULL, -1,
                                                "write failed");
    return tsct_publish_fclose(pub, fp, err);
}

/* ---- tsct pattern --------------------------------------------------------------------------- */

struct pattern_opts {
    const char *cif, *output;
    char output_in_folder[TSCT_PATH_MAX]; /* -o FOLDER: FOLDER/NAME.xy */
    double lambda, energy, qmax, qmin, step, size_nm, u, v, w, eta, scale;
    int two_theta, pol, neutral, noadp, peaks;
};

/* The options, checked; 0 when the command goes on, else its exit status. */
static int pattern_parse(tsct_cli *cli, int argc, char **argv, struct pattern_opts *o)
{
    enum { O_QMAX = 256, O_QMIN, O_STEP, O_TTH, O_SIZE, O_U, O_V, O_W, O_ETA, O_SCALE, O_POL,
           O_NEUTRAL, O_NOADP, O_PEAKS };
    static const struct option longopts[] = {
        {"wavelength", required_argument, NULL, 'l'}, {"energy", required_argument, NULL, 'e'},
        {"qmax", required_argument, NULL, O_QMAX},    {"qmin", required_argument, NULL, O_QMIN},
        {"step", required_argument, NULL, O_STEP},    {"two-theta", no_argument, NULL, O_TTH},
        {"size", required_argument, NULL, O_SIZE},    {"u", required_argument, NULL, O_U},
        {"v", required_argument, NULL, O_V},          {"w", required_argument, NULL, O_W},
        {"eta", required_argument, NULL, O_ETA},      {"scale", required_argument, NULL, O_SCALE},
        {"polarization", no_argument, NULL, O_POL},   {"neutral", no_argument, NULL, O_NEUTRAL},
        {"no-adp", no_argument, NULL, O_NOADP},       {"peaks", no_argument, NULL, O_PEAKS},
        {"output", required_argument, NULL, 'o'},     {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->w = 1e-4, o->eta = 0.5, o->scale = 1.0;
    int have_qmax = 0;
    optind = 1;
    opterr = 0;
    int ch, rc = 0;
    while (rc == 0 && (ch = getopt_long(argc, argv, ":l:e:o:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'l': rc = positive(cli, "--wavelength", optarg, &o->lambda, 0); break;
        case 'e': rc = positive(cli, "--energy", optarg, &o->energy, 0); break;
        case O_QMAX:
            rc = positive(cli, "--qmax", optarg, &o->qmax, 0);
            have_qmax = 1;
            break;
        case O_QMIN: rc = positive(cli, "--qmin", optarg, &o->qmin, 1); break;
        case O_STEP: rc = positive(cli, "--step", optarg, &o->step, 0); break;
        case O_SIZE: rc = positive(cli, "--size", optarg, &o->size_nm, 0); break;
        case O_U:
        case O_V:
        case O_W:
        case O_ETA:
        case O_SCALE: {
            double *dst = ch == O_U ? &o->u : ch == O_V ? &o->v : ch == O_W ? &o->w
                        : ch == O_ETA ? &o->eta : &o->scale;
            if (tsct_cli_parse_double(optarg, dst) != 0)
                rc = tsct_cli_usage_error(cli, "%s expects a number, got '%s'",
                                          tsct_cli_option_name(argv, optind, optarg), optarg);
            break;
        }
        case O_TTH: o->two_theta = 1; break;
        case O_POL: o->pol = 1; break;
        case O_NEUTRAL: o->neutral = 1; break;
        case O_NOADP: o->noadp = 1; break;
        case O_PEAKS: o->peaks = 1; break;
        case 'o': o->output = optarg; break;
        default: return option_error(cli, ch, argv);
        }
    }
    if (rc || (rc = one_cif(cli, argc, argv, &o->cif)) != 0)
        return rc;
    if ((o->lambda > 0.0) == (o->energy > 0.0))
        return tsct_cli_usage_error(cli, "give either --wavelength or --energy");
    if (o->energy > 0.0)
        o->lambda = TSCT_HC_KEV_ANGSTROM / o->energy;
    if (!have_qmax)
        return tsct_cli_usage_error(cli, "missing --qmax");
    if (o->qmax * o->lambda / (4.0 * M_PI) > 1.0)
        return tsct_cli_usage_error(cli, "--qmax %g is beyond 2theta = 180 degrees (4 pi / "
                                         "lambda = %g 1/Angstrom)", o->qmax,
                                    4.0 * M_PI / o->lambda);
    if (o->qmin >= o->qmax)
        return tsct_cli_usage_error(cli, "--qmin %g must be below --qmax %g", o->qmin, o->qmax);
    if (!o->peaks && !o->output)
        return tsct_cli_usage_error(cli, "missing -o OUT.xy");
    if (o->output && tsct_publish_output_name(o->output, o->cif, o->peaks ? "txt" : "xy",
                                              o->output_in_folder, sizeof o->output_in_folder))
        o->output = o->output_in_folder;
    return 0;
}

/* The reflection list (--peaks) of the plan with profile parameters p. */
static tsct_status write_peaks(tsct_cli *cli, const struct pattern_opts *o,
                               const tsct_powder_plan *plan, const double *p, tsct_error *err)
{
    int64_t nk = tsct_powder_plan_reflection_count(plan), np = 0;
    tsct_powder_peak *pk = malloc((size_t)(nk > 0 ? nk : 1) * sizeof *pk);
    if (!pk)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "peaks", -1, "out of memory");
    tsct_publish pub;
    FILE *fp = NULL;
    tsct_status st = tsct_powder_peaks(plan, p, pk, &np, err);
    if (st == TSCT_OK)
        st = open_output(o->output, &pub, &fp, err);
    if (st == TSCT_OK) {
        fprintf(fp, "%4s %4s %4s %12s %12s %12s %12s %16s %16s\n", "h", "k", "l", "d", "q",
                "two_theta", "multiplicity", "F2", "intensity");
        for (int64_t k = 0; k < np; k++)
            if (pk[k].q >= o->qmin)
                fprintf(fp, "%4d %4d %4d %12.7f %12.7f %12.6f %12lld %16.8g %16.8g\n", pk[k].h,
                        pk[k].k, pk[k].l, pk[k].d, pk[k].q, pk[k].two_theta,
                        (long long)pk[k].multiplicity, pk[k].f2, pk[k].intensity);
        st = close_output(o->output, &pub, fp, err);
    }
    if (st == TSCT_OK)
        tsct_log_msg(&cli->log, TSCT_LOG_DEBUG, "%lld reflections", (long long)np);
    free(pk);
    return st;
}

/* The pattern y[n] on the grid x[n] as an .xy file. */
static tsct_status write_pattern(tsct_cli *cli, const struct pattern_opts *o,
                                 const tsct_powder_plan *plan, const double *x, const double *y,
                                 int64_t n, tsct_error *err)
{
    tsct_publish pub;
    FILE *fp = NULL;
    TSCT_TRY(open_output(o->output, &pub, &fp, err));
    fprintf(fp, "# tsct pattern %s: lambda %.8g Angstrom, scale %g, U %g V %g W %g "
                "degrees^2, eta %g, size %g nm, polarization %s, %lld reflections\n",
            o->cif, o->lambda, o->scale, o->u, o->v, o->w, o->eta, o->size_nm,
            o->pol ? "(1+cos^2 2theta)/2" : "none",
            (long long)tsct_powder_plan_reflection_count(plan));
    fprintf(fp, "# %s intensity\n", o->two_theta ? "2theta(degrees)" : "q(1/Angstrom)");
    for (int64_t i = 0; i < n; i++)
        fprintf(fp, "%.8f %.10g\n", x[i], y[i]);
    TSCT_TRY(close_output(o->output, &pub, fp, err));
    tsct_log_msg(&cli->log, TSCT_LOG_INFO, "wrote %lld points of %s to %s", (long long)n,
                 o->cif, o->output);
    return TSCT_OK;
}

/* Plan the crystal's pattern on x[n] (n = 0 with --peaks) and write the peaks or the pattern. */
static tsct_status pattern_run(tsct_cli *cli, const struct pattern_opts *o,
                               const tsct_crystal *c, const double *x, int64_t n, double *y,
                               tsct_error *err)
{
    tsct_powder_params pp = TSCT_POWDER_PARAMS_DEFAULT;
    pp.wavelength = o->lambda;
    pp.axis = o->two_theta ? TSCT_POWDER_AXIS_2THETA : TSCT_POWDER_AXIS_Q;
    pp.polarization = o->pol ? TSCT_POWDER_POLARIZATION_UNPOLARIZED
                             : TSCT_POWDER_POLARIZATION_NONE;
    pp.qmax = o->peaks ? o->qmax : 0.0;
    pp.neutral_atoms = o->neutral;
    pp.apply_adp = !o->noadp;
    tsct_powder_plan *plan = NULL;
    TSCT_TRY(tsct_powder_plan_create(&plan, c, x, n, &pp, err));
    double p[TSCT_POWDER_NPARAMS_BASE];
    tsct_powder_plan_default_params(plan, p);
    p[TSCT_POWDER_P_SCALE] = o->scale;
    p[TSCT_POWDER_P_SIZE] = o->size_nm * 10.0;
    p[TSCT_POWDER_P_U] = o->u;
    p[TSCT_POWDER_P_V] = o->v;
    p[TSCT_POWDER_P_W] = o->w;
    p[TSCT_POWDER_P_ETA] = o->eta;
    tsct_status st;
    if (o->peaks) {
        st = write_peaks(cli, o, plan, p, err);
    } else {
        st = tsct_powder_evaluate(plan, p, y, NULL, err);
        if (st == TSCT_OK)
            st = write_pattern(cli, o, plan, x, y, n, err);
    }
    tsct_powder_plan_destroy(plan);
    return st;
}

int tsct_cmd_pattern(tsct_cli *cli, int argc, char **argv)
{
    struct pattern_opts o;
    int rc = pattern_parse(cli, argc, argv, &o);
    if (rc)
        return rc;
    tsct_crystal *c = NULL;
    if ((rc = read_crystal(cli, o.cif, &c)) != 0)
        return rc;
    /* the grid */
    const double kmax = 4.0 * M_PI / o.lambda;
    double x0 = o.qmin, x1 = o.qmax, step = o.step;
    if (o.two_theta) {
        x0 = 2.0 * asin(o.qmin / kmax) * 180.0 / M_PI;
        x1 = 2.0 * asin(o.qmax / kmax) * 180.0 / M_PI;
    }
    if (!(step > 0.0))
        step = o.two_theta ? 0.005 : 0.001;
    double dn = floor((x1 - x0) / step * (1.0 + 1e-12)) + 1.0;
    if (!o.peaks && dn > 1e8) {
        tsct_crystal_destroy(c);
        return tsct_cli_usage_error(cli, "%.3g grid points: use a larger --step", dn);
    }
    int64_t n = o.peaks ? 0 : (int64_t)dn;
    double *x = n ? malloc((size_t)n * sizeof *x) : NULL;
    double *y = n ? malloc((size_t)n * sizeof *y) : NULL;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = TSCT_OK;
    if (n && (!x || !y))
        st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "grid", -1, "%lld points",
                            (long long)n);
    for (int64_t i = 0; st == TSCT_OK && i < n; i++)
        x[i] = fmin(x0 + step * (double)i, x1);
    if (st == TSCT_OK)
        st = pattern_run(cli, &o, c, x, n, y, &err);
    free(x);
    free(y);
    tsct_crystal_destroy(c);
    tsct_error_set_file(&err, o.cif); /* the planner's limits name no file of their own */
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}

/* ---- tsct debye ----------------------------------------------------------------------------- */

int tsct_cmd_debye(tsct_cli *cli, int argc, char **argv)
{
    enum { O_SHAPE = 256, O_CENTRE, O_QMIN, O_QMAX, O_STEP, O_BIN, O_NEUTRAL };
    static const struct option longopts[] = {
        {"radius", required_argument, NULL, 'r'},   {"shape", required_argument, NULL, O_SHAPE},
        {"centre", required_argument, NULL, O_CENTRE}, {"qmin", required_argument, NULL, O_QMIN},
        {"qmax", required_argument, NULL, O_QMAX},  {"step", required_argument, NULL, O_STEP},
        {"bin", required_argument, NULL, O_BIN},    {"neutral", no_argument, NULL, O_NEUTRAL},
        {"output", required_argument, NULL, 'o'},   {NULL, 0, NULL, 0},
    };
    tsct_debye_cut_params cp = TSCT_DEBYE_CUT_PARAMS_DEFAULT;
    tsct_debye_params dp = TSCT_DEBYE_PARAMS_DEFAULT;
    double qmin = 0.0, qmax = 25.0, step = 0.01;
    int have_radius = 0;
    const char *output = NULL;
    optind = 1;
    opterr = 0;
    int ch, rc = 0;
    while (rc == 0 && (ch = getopt_long(argc, argv, ":r:o:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'r':
            rc = positive(cli, "--radius", optarg, &cp.radius, 0);
            have_radius = 1;
            break;
        case O_SHAPE:
            if (strcmp(optarg, "sphere") == 0)
                cp.shape = TSCT_DEBYE_SHAPE_SPHERE;
            else if (strcmp(optarg, "cube") == 0)
                cp.shape = TSCT_DEBYE_SHAPE_CUBE;
            else
                rc = tsct_cli_usage_error(cli, "--shape must be sphere or cube, not '%s'",
                                          optarg);
            break;
        case O_CENTRE: {
            char extra;
            if (sscanf(optarg, "%lf,%lf,%lf%c", &cp.centre[0], &cp.centre[1], &cp.centre[2],
                       &extra) != 3 || !isfinite(cp.centre[0]) || !isfinite(cp.centre[1]) ||
                !isfinite(cp.centre[2]))
                rc = tsct_cli_usage_error(cli, "--centre expects X,Y,Z (fractional), got '%s'",
                                          optarg);
            break;
        }
        case O_QMIN: rc = positive(cli, "--qmin", optarg, &qmin, 1); break;
        case O_QMAX: rc = positive(cli, "--qmax", optarg, &qmax, 0); break;
        case O_STEP: rc = positive(cli, "--step", optarg, &step, 0); break;
        case O_BIN: rc = positive(cli, "--bin", optarg, &dp.bin_width, 0); break;
        case O_NEUTRAL: cp.neutral_atoms = 1; break;
        case 'o': output = optarg; break;
        default: return option_error(cli, ch, argv);
        }
    }
    const char *cif = NULL;
    if (rc || (rc = one_cif(cli, argc, argv, &cif)) != 0)
        return rc;
    if (!have_radius)
        return tsct_cli_usage_error(cli, "missing --radius");
    if (qmin >= qmax)
        return tsct_cli_usage_error(cli, "--qmin %g must be below --qmax %g", qmin, qmax);
    double dn = floor((qmax - qmin) / step * (1.0 + 1e-12)) + 1.0;
    if (dn > 1e7)
        return tsct_cli_usage_error(cli, "%.3g Q points: use a larger --step", dn);
    if (!output)
        return tsct_cli_usage_error(cli, "missing -o OUT.iq");
    char output_in_folder[TSCT_PATH_MAX]; /* -o FOLDER: FOLDER/NAME.iq */
    if (tsct_publish_output_name(output, cif, "iq", output_in_folder, sizeof output_in_folder))
        output = output_in_folder;
    dp.nthreads = cli->nthreads;

    tsct_crystal *c = NULL;
    if ((rc = read_crystal(cli, cif, &c)) != 0)
        return rc;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_debye_cluster *cl = NULL;
    tsct_debye_histogram *h = NULL;
    const int64_t n = (int64_t)dn;
    double *q = malloc((size_t)n * sizeof *q), *iq = malloc((size_t)n * sizeof *iq);
    tsct_status st = TSCT_OK;
    if (!q || !iq) {
        st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "Q grid", -1, "%lld points",
                            (long long)n);
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        q[i] = fmin(qmin + step * (double)i, qmax);
    st = tsct_debye_cluster_cut(&cl, c, &cp, &err);
    if (st == TSCT_OK)
        st = tsct_debye_histogram_create(&h, cl, &dp, &err);
    if (st == TSCT_OK)
        st = tsct_debye_intensity(h, q, n, iq, &err);
    if (st != TSCT_OK) {
        tsct_error_set_file(&err, cif);
        goto done;
    }
    tsct_log_msg(&cli->log, TSCT_LOG_INFO, "%s: %lld atoms (%lld species) within %g Angstrom, "
                 "%lld occupied distance bins", cif,
                 (long long)tsct_debye_cluster_atom_count(cl),
                 (long long)tsct_debye_cluster_species_count(cl), cp.radius,
                 (long long)tsct_debye_histogram_bins(h));
    tsct_publish pub;
    FILE *fp = NULL;
    st = tsct_publish_fopen(&pub, output, &fp, &err);
    if (st != TSCT_OK)
        goto done;
    fprintf(fp, "# tsct debye %s: %s of %s %g Angstrom around (%g, %g, %g), %lld atoms, "
                "bin %g Angstrom\n",
            cif, cp.shape == TSCT_DEBYE_SHAPE_CUBE ? "cube" : "sphere",
            cp.shape == TSCT_DEBYE_SHAPE_CUBE ? "half-edge" : "radius", cp.radius,
            cp.centre[0], cp.centre[1], cp.centre[2],
            (long long)tsct_debye_cluster_atom_count(cl), dp.bin_width);
    fprintf(fp, "# q(1/Angstrom) I(electrons^2)\n");
    for (int64_t i = 0; i < n; i++)
        fprintf(fp, "%.8f %.12g\n", q[i], iq[i]);
    st = tsct_publish_fclose(&pub, fp, &err);

done:
    free(q);
    free(iq);
    tsct_debye_histogram_destroy(h);
    tsct_debye_cluster_destroy(cl);
    tsct_crystal_destroy(c);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
