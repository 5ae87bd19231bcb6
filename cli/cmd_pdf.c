/* cmd_pdf.c - `tsct pdf`: PDFgetX3-style pair distribution functions.
 *
 * Two modes. Patterns: each INPUT (.xy/.chi/.iq, in 2theta, Q 1/A or Q 1/nm) is converted to
 * I(Q), S(Q), F(Q), G(r) with the settings of a PDFgetX3 configuration file overridden by
 * options, and written as .iq/.sq/.fq/.gr files whose header is the full configuration (so an
 * output file is itself a valid -c input, as with PDFgetX3). Container: every voxel pattern of
 * /entry/recon that passes a total-intensity threshold becomes a G(r) in /entry/pdf, voxel
 * row by voxel row through a resumable step; voxels outside the mask are NaN. With
 * --reference the same step then writes the difference PDFs G_t - G_T per voxel. Region:
 * the mean patterns of a region, /entry/regions/NAME/pattern [nt][nq], become its G(r) and
 * difference PDFs per time step, in double precision (a few patterns, the reference path).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "tsct/composition.h"
#include "tsct/container.h"
#include "tsct/pattern.h"
#include "tsct/pdf.h"
#include "tsct/progress.h"
#include "tsct/publish.h"
#include "tsct/stage.h"
#include "tsct/version.h"

const char tsct_usage_pdf[] =
    "usage: tsct pdf -c CONFIG [options] INPUT... [-o OUTPUT]\n"
    "       tsct pdf -c CONFIG [options] --container EXP.h5 [--reference T]\n"
    "       tsct pdf -c CONFIG [options] --container EXP.h5 --region NAME [-o DIR]\n"
    "\n"
    "Convert powder patterns to pair distribution functions as PDFgetX3 does (Juhas et al.,\n"
    "J. Appl. Cryst. 46 (2013) 560; docs/pdf.md): I(Q) = I - sum bgscale_k * background_k,\n"
    "S(Q) scaled by PDFgetX3's least-squares match of S to 1 over [qmin, qmaxinst],\n"
    "F(Q) = Q [S(Q) - 1] with an ad hoc polynomial correction over [qmin, qmaxinst]\n"
    "whose degree is round(rpoly * qmaxinst / pi), G(r) = (2/pi) int F(Q) sin(Qr) dQ over\n"
    "[qmin, qmax]. CONFIG is a PDFgetX3 .cfg file (or a PDFgetX3 / tsct output file); file\n"
    "names in it are relative to its folder, then to its datapath folders. Options override\n"
    "it; its output and force keys stand for -o and --force.\n"
    "\n"
    "Inputs are two-column text (.xy, .chi, .iq); without INPUT, the config's inputfile list.\n"
    "Outputs: NAME.iq, .sq, .fq, .gr (per outputtype) in the current folder, or in OUTPUT if\n"
    "it is a folder, or OUTPUT with its extension replaced (one input). An existing output\n"
    "file stops the command unless --force is given.\n"
    "\n"
    "Options (PDFgetX3 names):\n"
    "  -c, --config FILE       configuration file (required)\n"
    "  -s, --section NAME      apply [NAME] after [DEFAULT]\n"
    "  -o, --output PATH       output file or folder, or a template (@b.@o, docs/pdf.md)\n"
    "  -t, --outputtypes LIST  iq,sq,fq,gr (default: the config's outputtype)\n"
    "  -f, --format FMT        dataformat: twotheta | QA | Qnm\n"
    "  -b, --background LIST   background pattern(s) (same format), comma separated\n"
    "      --bgscale LIST      background scale(s), one per background\n"
    "  -w, --wavelength A      wavelength in Angstrom (twotheta data)\n"
    "      --twothetazero DEG  2theta zero offset, subtracted\n"
    "      --composition F     sample formula, e.g. Ni, CeO2, LiCoO2\n"
    "      --qmin, --qmax, --qmaxinst Q     1/A\n"
    "      --rmin, --rmax, --rstep R        A\n"
    "      --rpoly R           A (0: no polynomial correction)\n"
    "      --lorch             Lorch window on F(Q)\n"
    "      --force             overwrite output files\n"
    "\n"
    "Per-voxel mode:\n"
    "      --container EXP.h5  /entry/recon -> /entry/pdf/G [nt][nz][ny][nx][nr] and r\n"
    "      --threshold F       keep voxels whose total intensity is >= F x the largest in the\n"
    "                          volume (default 0.05); others are NaN\n"
    "      --reference T       also write /entry/pdf/dpdf = G_t - G_T per voxel (time step T)\n"
    "\n"
    "Region mode (with --container):\n"
    "      --region NAME       /entry/regions/NAME/pattern [nt][nq] (q: /entry/regions/NAME/q,\n"
    "                          else /entry/recon/q) -> /entry/regions/NAME/pdf [nt][nr], r,\n"
    "                          and dpdf = G_t - G_T; every setting as attributes\n"
    "      --reference T       reference time step of dpdf (default 0)\n"
    "      -o DIR              also write DIR/NAME_tNNNN.gr per time step\n"
    "\n"
    "Examples:\n"
    "  tsct pdf -c pdfgetx3.cfg Ni.chi -t gr,fq\n"
    "  tsct pdf -c pdf.cfg --rstep 0.2 --container exp.h5\n"
    "  tsct pdf -c pdf.cfg --container exp.h5 --region anode --reference 0 -o pdfs/\n";

struct pdf_opts {
    const char *config, *section, *output, *container, *region;
    double threshold;
    int64_t reference; /* -1: not given */
    int force;
    const char *keys[32], *values[32];
    int nset;
};

static int parse_options(tsct_cli *cli, int argc, char **argv, struct pdf_opts *o)
{
    enum { O_BGSCALE = 256, O_TTZ, O_COMP, O_QMIN, O_QMAX, O_QMAXINST, O_RMIN, O_RMAX, O_RSTEP,
           O_RPOLY, O_LORCH, O_FORCE, O_CONTAINER, O_THRESHOLD, O_REGION, O_REFERENCE };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},   {"section", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'},   {"outputtypes", required_argument, NULL, 't'},
        {"format", required_argument, NULL, 'f'},   {"background", required_argument, NULL, 'b'},
        {"wavelength", required_argument, NULL, 'w'},
        {"bgscale", required_argument, NULL, O_BGSCALE},
        {"twothetazero", required_argument, NULL, O_TTZ},
        {"composition", required_argument, NULL, O_COMP},
        {"qmin", required_argument, NULL, O_QMIN},  {"qmax", required_argument, NULL, O_QMAX},
        {"qmaxinst", required_argument, NULL, O_QMAXINST},
        {"rmin", required_argument, NULL, O_RMIN},  {"rmax", required_argument, NULL, O_RMAX},
        {"rstep", required_argument, NULL, O_RSTEP},
        {"rpoly", required_argument, NULL, O_RPOLY},
        {"lorch", no_argument, NULL, O_LORCH},      {"force", no_argument, NULL, O_FORCE},
        {"container", required_argument, NULL, O_CONTAINER},
        {"threshold", required_argument, NULL, O_THRESHOLD},
        {"region", required_argument, NULL, O_REGION},
        {"reference", required_argument, NULL, O_REFERENCE},
        {NULL, 0, NULL, 0},
    };
    static const struct {
        int id;
        const char *key;
    } keymap[] = {{'t', "outputtype"}, {'f', "dataformat"}, {'b', "backgroundfile"},
                  {'w', "wavelength"}, {O_BGSCALE, "bgscale"}, {O_TTZ, "twothetazero"},
                  {O_COMP, "composition"}, {O_QMIN, "qmin"}, {O_QMAX, "qmax"},
                  {O_QMAXINST, "qmaxinst"}, {O_RMIN, "rmin"}, {O_RMAX, "rmax"},
                  {O_RSTEP, "rstep"}, {O_RPOLY, "rpoly"}, {O_LORCH, "lorch"}};
    memset(o, 0, sizeof *o);
    o->threshold = 0.05;
    o->reference = -1;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":c:s:o:t:f:b:w:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': o->config = optarg; continue;
        case 's': o->section = optarg; continue;
        case 'o': o->output = optarg; continue;
        case O_FORCE: o->force = 1; tsct_publish_set_replace(1); continue;
        case O_CONTAINER: o->container = optarg; continue;
        case O_THRESHOLD:
            if (tsct_cli_parse_double(optarg, &o->threshold) != 0 || o->threshold < 0 ||
                o->threshold > 1)
                return tsct_cli_usage_error(cli, "--threshold expects a fraction 0..1, got '%s'",
                                            optarg);
            continue;
        case O_REGION: o->region = optarg; continue;
        case O_REFERENCE:
            if (tsct_cli_parse_int64(optarg, &o->reference) != 0 || o->reference < 0)
                return tsct_cli_usage_error(cli, "--reference expects a time step >= 0, got "
                                            "'%s'", optarg);
            continue;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        case '?': return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        default: break;
        }
        for (size_t i = 0; i < sizeof keymap / sizeof keymap[0]; i++)
            if (keymap[i].id == ch && o->nset < 32) {
                o->keys[o->nset] = keymap[i].key;
                o->values[o->nset++] = ch == O_LORCH ? "yes" : optarg;
            }
    }
    if (!o->config)
        return tsct_cli_usage_error(cli, "missing -c CONFIG (a PDFgetX3 .cfg file)");
    if (o->container && optind < argc)
        return tsct_cli_usage_error(cli, "--container takes no INPUT files");
    if ((o->region || o->reference >= 0) && !o->container)
        return tsct_cli_usage_error(cli, "--region and --reference need --container");
    if (o->container && o->output && !o->region)
        return tsct_cli_usage_error(cli, "-o with --container needs --region (the .gr files of "
                                    "a region)");
    return 0;
}

/* Read a pattern and convert its x to Q in 1/A per the config's dataformat. */
static tsct_status read_q(const tsct_pdf_config *cfg, const char *path, double **q, double **y,
                          int64_t *n, tsct_error *err)
{
    TSCT_TRY(tsct_pattern_read_text(path, q, y, n, err));
    for (int64_t i = 0; i < *n; i++) {
        double x = (*q)[i];
        if (!strcmp(cfg->dataformat, "twotheta"))
            x = 4.0 * M_PI * sin(0.5 * (x - cfg->twothetazero) * M_PI / 180.0) / cfg->wavelength;
        else if (!strcmp(cfg->dataformat, "Qnm"))
            x /= 10.0;
        (*q)[i] = x;
        if (i && !(x > (*q)[i - 1])) {
            /* The message reads the arrays, so it is made before they are freed. */
            tsct_status st = tsct_error_set(err, TSCT_ERR_FORMAT, path, "point", i,
                                            "x must increase (%s), found %g after %g",
                                            cfg->dataformat, x, (*q)[i - 1]);
            free(*q);
            free(*y);
            *q = *y = NULL;
            return st;
        }
    }
    return TSCT_OK;
}

/* The output name for `input` and type ext. */
static void output_name(const struct pdf_opts *o, const char *input, const char *ext, char *buf,
                        size_t size)
{
    const char *base = strrchr(input, '/');
    base = base ? base + 1 : input;
    const char *dot = strrchr(base, '.');
    int blen = dot ? (int)(dot - base) : (int)strlen(base);
    struct stat sb;
    if (o->output && strchr(o->output, '@')) /* PDFgetX3's tokens: @b.@o, series/@b-01.@o */
        tsct_pdf_output_expand(o->output, input, ext, buf, (int64_t)size);
    else if (!o->output)
        snprintf(buf, size, "%.*s.%s", blen, base, ext);
    else if (stat(o->output, &sb) == 0 && S_ISDIR(sb.st_mode))
        snprintf(buf, size, "%s/%.*s.%s", o->output, blen, base, ext);
    else {
        const char *ob = strrchr(o->output, '/');
        const char *od = strrchr(ob ? ob : o->output, '.');
        int olen = od ? (int)(od - o->output) : (int)strlen(o->output);
        snprintf(buf, size, "%.*s.%s", olen, o->output, ext);
    }
}

/* Every background of the configuration, read once: q[k], i[k] of n[k] points (NULL for a
 * file named again later). */
struct pdf_backgrounds {
    double *q[TSCT_PDF_MAX_BACKGROUNDS], *i[TSCT_PDF_MAX_BACKGROUNDS];
    int64_t n[TSCT_PDF_MAX_BACKGROUNDS];
};

/* I = I_sample - sum_k bgscale_k I_background_k, each background interpolated onto the
 * sample's Q and required to cover it up to qmaxinst. */
static tsct_status subtract_backgrounds(const tsct_pdf_config *cfg,
                                        const struct pdf_backgrounds *bg, const char *in,
                                        const double *q, double *iq, int64_t n, tsct_error *err)
{
    const int nbg = cfg->nbackgroundfile;
    if (!nbg)
        return TSCT_OK;
    double *b = malloc((size_t)n * sizeof *b);
    if (!b)
        return tsct_error_set(err, TSCT_ERR_NOMEM, in, NULL, -1, "background");
    tsct_status st = TSCT_OK;
    for (int k = 0; k < nbg && st == TSCT_OK; k++) {
        if (!bg->q[k])
            continue; /* a file named again later: one instance, as in PDFgetX3 */
        const double scale = tsct_pdf_config_bgscale(cfg, k);
        tsct_pattern_interp(bg->q[k], bg->i[k], bg->n[k], q, n, b);
        for (int64_t i = 0; i < n && st == TSCT_OK; i++) {
            if (isnan(b[i]) && (cfg->params.qmaxinst <= 0 || q[i] <= cfg->params.qmaxinst))
                st = tsct_error_set(err, TSCT_ERR_VALUE, cfg->backgroundfile[k],
                                    "backgroundfile", -1,
                                    "the background does not cover Q = %g 1/A of %s", q[i], in);
            iq[i] -= scale * (isnan(b[i]) ? 0.0 : b[i]);
        }
    }
    free(b);
    return st;
}

/* The output types of the configuration for input `in`, with its record as the header. */
static tsct_status write_outputs(tsct_cli *cli, const struct pdf_opts *o,
                                 const tsct_pdf_config *cfg, const tsct_pdf_plan *plan,
                                 const char *in, const double *q, const double *iq,
                                 const double *sq, const double *fq, const double *gr, int64_t n,
                                 char *header, tsct_error *err)
{
    tsct_pdf_config rec = *cfg;
    rec.params = *tsct_pdf_plan_params(plan);
    rec.ninputfile = 1;
    snprintf(rec.inputfile[0], sizeof rec.inputfile[0], "%s", in);
    char version[64];
    snprintf(version, sizeof version, "tsct %s", tsct_version());
    tsct_pdf_config_format(&rec, version, header, 65536);
    const double qmax = rec.params.qmax;
    const int64_t nr = tsct_pdf_plan_nr(plan);
    tsct_status st = TSCT_OK;
    for (int t = 0; t < cfg->noutputtypes && st == TSCT_OK; t++) {
        const char *ty = cfg->outputtypes[t];
        char path[TSCT_PATH_MAX];
        output_name(o, in, ty, path, sizeof path);
        if (!strcmp(ty, "iq"))
            st = tsct_pattern_write_text(path, header, "Q(Å^{-1})  I(a.u.)", q, iq, n, INFINITY,
                                         err);
        else if (!strcmp(ty, "sq"))
            st = tsct_pattern_write_text(path, header, "Q(Å^{-1})  S", q, sq, n, qmax, err);
        else if (!strcmp(ty, "fq"))
            st = tsct_pattern_write_text(path, header, "Q(Å^{-1})  F(Å^{-1})", q, fq, n, qmax,
                                         err);
        else
            st = tsct_pattern_write_text(path, header, "r(Å)  G(Å$^{-2}$)",
                                         tsct_pdf_plan_r(plan), gr, nr, INFINITY, err);
        if (st == TSCT_OK)
            tsct_log_msg(&cli->log, TSCT_LOG_INFO, "%s -> %s", in, path);
    }
    return st;
}

/* One input pattern: read, background subtracted, transformed, written. */
static tsct_status pdf_one(tsct_cli *cli, const struct pdf_opts *o, const tsct_pdf_config *cfg,
                           const tsct_composition *comp, const struct pdf_backgrounds *bg,
                           const char *in, char *header, tsct_error *err)
{
    double *q = NULL, *iq = NULL, *sq = NULL, *fq = NULL, *gr = NULL;
    int64_t n = 0;
    tsct_pdf_plan *plan = NULL;
    tsct_status st = read_q(cfg, in, &q, &iq, &n, err);
    if (st == TSCT_OK)
        st = tsct_pdf_config_check_q(cfg, q, n, in, err);
    if (st == TSCT_OK)
        st = subtract_backgrounds(cfg, bg, in, q, iq, n, err);
    if (st == TSCT_OK) {
        st = tsct_pdf_plan_create(&cfg->params, comp, q, n, &plan, err);
        if (st != TSCT_OK)
            tsct_error_set_file(err, cfg->source);
    }
    if (st == TSCT_OK) {
        const int64_t nr = tsct_pdf_plan_nr(plan);
        sq = malloc((size_t)n * sizeof *sq);
        fq = malloc((size_t)n * sizeof *fq);
        gr = malloc((size_t)nr * sizeof *gr);
        st = sq && fq && gr ? tsct_pdf_execute_one(plan, iq, sq, fq, gr, NULL, err)
                            : tsct_error_set(err, TSCT_ERR_NOMEM, in, NULL, -1, "outputs");
        if (st != TSCT_OK)
            tsct_error_set_file(err, in);
    }
    if (st == TSCT_OK)
        st = write_outputs(cli, o, cfg, plan, in, q, iq, sq, fq, gr, n, header, err);
    tsct_pdf_plan_destroy(plan);
    free(q);
    free(iq);
    free(sq);
    free(fq);
    free(gr);
    return st;
}

/* The composition, the backgrounds and the output folder, before the first input. */
static tsct_status pdf_prepare(const struct pdf_opts *o, const tsct_pdf_config *cfg,
                               int ninputs, tsct_composition **comp, struct pdf_backgrounds *bg,
                               tsct_error *err)
{
    TSCT_TRY(tsct_composition_parse(comp, cfg->composition, err));
    for (int k = 0; k < cfg->nbackgroundfile; k++)
        if (tsct_pdf_config_background_used(cfg, k))
            TSCT_TRY(read_q(cfg, cfg->backgroundfile[k], &bg->q[k], &bg->i[k], &bg->n[k], err));
    /* -o DIR/ names a folder, made here when it is missing. */
    const size_t olen = o->output ? strlen(o->output) : 0;
    if (olen && o->output[olen - 1] == '/' && mkdir(o->output, 0777) != 0 && errno != EEXIST)
        return tsct_error_set(err, TSCT_ERR_IO, o->output, "-o", -1,
                              "cannot make the folder: %s", strerror(errno));
    if (ninputs > 1 && o->output && !strchr(o->output, '@')) {
        struct stat sb;
        if (stat(o->output, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return tsct_error_set(err, TSCT_ERR_VALUE, cfg->source, "output",
                                  tsct_pdf_config_line(cfg, "output"),
                                  "-o / output must be a folder for %d inputs, found '%s'",
                                  ninputs, o->output);
    }
    return TSCT_OK;
}

static int run_patterns(tsct_cli *cli, const struct pdf_opts *o, tsct_pdf_config *cfg,
                        int ninputs, char **inputs)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_composition *comp = NULL;
    struct pdf_backgrounds bg;
    memset(&bg, 0, sizeof bg);
    char *header = NULL;
    tsct_status st = pdf_prepare(o, cfg, ninputs, &comp, &bg, &err);
    if (st == TSCT_OK && !(header = malloc(65536)))
        st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "header", -1, "64 KiB");
    for (int f = 0; f < ninputs && st == TSCT_OK; f++)
        st = pdf_one(cli, o, cfg, comp, &bg, inputs[f], header, &err);
    free(header);
    for (int k = 0; k < cfg->nbackgroundfile; k++) {
        free(bg.q[k]);
        free(bg.i[k]);
    }
    tsct_composition_destroy(comp);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}

int tsct_cmd_pdf(tsct_cli *cli, int argc, char **argv)
{
    struct pdf_opts o;
    int rc = parse_options(cli, argc, argv, &o);
    if (rc)
        return rc;
    tsct_error err = TSCT_ERROR_INIT;
    static tsct_pdf_config cfg;
    tsct_pdf_config_init(&cfg);
    tsct_status st = tsct_pdf_config_read(&cfg, o.config, o.section, &err);
    for (int i = 0; i < o.nset && st == TSCT_OK; i++)
        st = tsct_pdf_config_set(&cfg, o.keys[i], o.values[i], NULL, -1, &err);
    if (st == TSCT_OK)
        st = tsct_pdf_config_check(&cfg, &err);
    if (st == TSCT_OK && o.container && cfg.nbackgroundfile > 0)
        st = tsct_error_set(&err, TSCT_ERR_UNSUPPORTED, cfg.source, "backgroundfile", -1,
                            "--container works on reconstructed patterns: subtract the "
                            "background before reconstruction");
    if (st != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    /* The configuration's output and force, unless the options say otherwise. */
    if (!o.output && cfg.output[0] && !o.container)
        o.output = cfg.output;
    o.force |= cfg.force;
    if (o.force)
        tsct_publish_set_replace(1);
    if (o.region || o.container) {
        tsct_pdf_stage_params sp = TSCT_PDF_STAGE_PARAMS_DEFAULT;
        sp.config = &cfg;
        sp.threshold = o.threshold;
        sp.reference = o.reference;
        sp.region = o.region;
        sp.output_dir = o.output;
        tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
        tsct_cli_guard_file(o.container);
        st = o.region ? tsct_stage_pdf_region(o.container, &sp, &ctx, NULL, &err)
                      : tsct_stage_pdf(o.container, &sp, &ctx, NULL, &err);
        return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
    }
    int ninputs = argc - optind;
    if (ninputs > 0)
        return run_patterns(cli, &o, &cfg, ninputs, argv + optind);
    if (cfg.ninputfile == 0)
        return tsct_cli_usage_error(cli, "no INPUT: give files or set inputfile in %s",
                                    o.config);
    char *list[64];
    for (int i = 0; i < cfg.ninputfile; i++)
        list[i] = cfg.inputfile[i];
    return run_patterns(cli, &o, &cfg, cfg.ninputfile, list);
}
