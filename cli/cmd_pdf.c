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

static tsct_status write_columns(const char *path, const char *header, const char *label,
                                 const double *x, const double *y, int64_t n, double xmax,
                                 tsct_error *err)
{
    tsct_publish pub;
    FILE *fp;
    TSCT_TRY(tsct_publish_fopen(&pub, path, &fp, err));
    fprintf(fp, "%s\n#### start data\n#S 1\n#L %s\n", header, label);
    for (int64_t i = 0; i < n; i++)
        if (x[i] <= xmax && isfinite(y[i]))
            fprintf(fp, "%.9g %.9g\n", x[i], y[i]);
    return tsct_publish_fclose(&pub, fp, err);
}

static int run_patterns(tsct_cli *cli, const struct pdf_opts *o, tsct_pdf_config *cfg,
                        int ninputs, char **inputs)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_composition *comp = NULL;
    /* Every background, read once: bq[k], bi[k] of nb[k] points. */
    double *bq[TSCT_PDF_MAX_BACKGROUNDS] = {NULL}, *bi[TSCT_PDF_MAX_BACKGROUNDS] = {NULL};
    int64_t nb[TSCT_PDF_MAX_BACKGROUNDS] = {0};
    const int nbg = cfg->nbackgroundfile;
    tsct_status st = tsct_composition_parse(&comp, cfg->composition, &err);
    for (int k = 0; k < nbg && st == TSCT_OK; k++)
        if (tsct_pdf_config_background_used(cfg, k))
            st = read_q(cfg, cfg->backgroundfile[k], &bq[k], &bi[k], &nb[k], &err);
    /* -o DIR/ names a folder, made here when it is missing. */
    const size_t olen = o->output ? strlen(o->output) : 0;
    if (st == TSCT_OK && olen && o->output[olen - 1] == '/' && mkdir(o->output, 0777) != 0 &&
        errno != EEXIST)
        st = tsct_error_set(&err, TSCT_ERR_IO, o->output, "-o", -1, "cannot make the folder: %s",
                            strerror(errno));
    if (st == TSCT_OK && ninputs > 1 && o->output && !strchr(o->output, '@')) {
        struct stat sb;
        if (stat(o->output, &sb) != 0 || !S_ISDIR(sb.st_mode))
            st = tsct_error_set(&err, TSCT_ERR_VALUE, cfg->source, "output",
                                tsct_pdf_config_line(cfg, "output"),
                                "-o / output must be a folder for %d inputs, found '%s'",
                                ninputs, o->output);
    }
    if (st != TSCT_OK) {
        tsct_composition_destroy(comp);
        for (int k = 0; k < nbg; k++) {
            free(bq[k]);
            free(bi[k]);
        }
        return tsct_cli_fail(cli, &err);
    }
    char *header = malloc(65536);
    int rc = TSCT_EXIT_OK;
    for (int f = 0; f < ninputs && rc == TSCT_EXIT_OK && header; f++) {
        const char *in = inputs[f];
        double *q = NULL, *iq = NULL, *sq = NULL, *fq = NULL, *gr = NULL;
        int64_t n = 0;
        tsct_pdf_plan *plan = NULL;
        st = read_q(cfg, in, &q, &iq, &n, &err);
        if (st == TSCT_OK)
            st = tsct_pdf_config_check_q(cfg, q, n, in, &err);
        /* I = I_sample - sum_k bgscale_k I_background_k, each background interpolated onto
         * the sample's Q and required to cover it up to qmaxinst. */
        double *b = st == TSCT_OK && nbg ? malloc((size_t)n * sizeof *b) : NULL;
        if (st == TSCT_OK && nbg && !b)
            st = tsct_error_set(&err, TSCT_ERR_NOMEM, in, NULL, -1, "background");
        for (int k = 0; k < nbg && st == TSCT_OK; k++) {
            if (!bq[k])
                continue; /* a file named again later: one instance, as in PDFgetX3 */
            const double scale = tsct_pdf_config_bgscale(cfg, k);
            tsct_pattern_interp(bq[k], bi[k], nb[k], q, n, b);
            for (int64_t i = 0; i < n && st == TSCT_OK; i++) {
                if (isnan(b[i]) && (cfg->params.qmaxinst <= 0 || q[i] <= cfg->params.qmaxinst))
                    st = tsct_error_set(&err, TSCT_ERR_VALUE, cfg->backgroundfile[k],
                                        "backgroundfile", -1,
                                        "the background does not cover Q = %g 1/A of %s", q[i],
                                        in);
                iq[i] -= scale * (isnan(b[i]) ? 0.0 : b[i]);
            }
        }
        free(b);
        if (st == TSCT_OK) {
            st = tsct_pdf_plan_create(&cfg->params, comp, q, n, &plan, &err);
            if (st != TSCT_OK)
                tsct_error_set_file(&err, cfg->source);
        }
        int64_t nr = plan ? tsct_pdf_plan_nr(plan) : 0;
        if (st == TSCT_OK) {
            sq = malloc((size_t)n * sizeof *sq);
            fq = malloc((size_t)n * sizeof *fq);
            gr = malloc((size_t)nr * sizeof *gr);
            st = sq && fq && gr ? tsct_pdf_execute_one(plan, iq, sq, fq, gr, NULL, &err)
                                : tsct_error_set(&err, TSCT_ERR_NOMEM, in, NULL, -1, "outputs");
            if (st != TSCT_OK)
                tsct_error_set_file(&err, in);
        }
        if (st == TSCT_OK) {
            tsct_pdf_config rec = *cfg;
            rec.params = *tsct_pdf_plan_params(plan);
            rec.ninputfile = 1;
            snprintf(rec.inputfile[0], sizeof rec.inputfile[0], "%s", in);
            char version[64];
            snprintf(version, sizeof version, "tsct %s", tsct_version());
            tsct_pdf_config_format(&rec, version, header, 65536);
            const double qmax = rec.params.qmax;
            for (int t = 0; t < cfg->noutputtypes && st == TSCT_OK; t++) {
                const char *ty = cfg->outputtypes[t];
                char path[TSCT_PATH_MAX];
                output_name(o, in, ty, path, sizeof path);
                if (!strcmp(ty, "iq"))
                    st = write_columns(path, header, "Q(Å^{-1})  I(a.u.)", q, iq, n, INFINITY,
                                       &err);
                else if (!strcmp(ty, "sq"))
                    st = write_columns(path, header, "Q(Å^{-1})  S", q, sq, n, qmax, &err);
                else if (!strcmp(ty, "fq"))
                    st = write_columns(path, header, "Q(Å^{-1})  F(Å^{-1})", q, fq, n, qmax,
                                       &err);
                else
                    st = write_columns(path, header, "r(Å)  G(Å$^{-2}$)",
                                       tsct_pdf_plan_r(plan), gr, nr, INFINITY, &err);
                if (st == TSCT_OK)
                    tsct_log_msg(&cli->log, TSCT_LOG_INFO, "%s -> %s", in, path);
            }
        }
        if (st != TSCT_OK)
            rc = tsct_cli_fail(cli, &err);
        tsct_pdf_plan_destroy(plan);
        free(q);
        free(iq);
        free(sq);
        free(fq);
        free(gr);
    }
    if (!header)
        rc = tsct_cli_fail(cli, &err);
    free(header);
    for (int k = 0; k < nbg; k++) {
        free(bq[k]);
        free(bi[k]);
    }
    tsct_composition_destroy(comp);
    return rc;
}

/* ---- per voxel ------------------------------------------------------------------------ */

/* Every setting of the resolved configuration as attributes of d: numbers as float64, the
 * composition and the whole configuration block as strings (h5py reads them without tsct). */
static tsct_status set_setting_attrs(tsct_dataset *d, const tsct_pdf_config *rec,
                                     const char *config_text, int degree, tsct_error *err)
{
    const tsct_pdf_params *p = &rec->params;
    const struct {
        const char *name;
        double value;
    } num[] = {{"qmin", p->qmin},   {"qmax", p->qmax},   {"qmaxinst", p->qmaxinst},
               {"rmin", p->rmin},   {"rmax", p->rmax},   {"rstep", p->rstep},
               {"rpoly", p->rpoly}, {"lorch", p->lorch},
               {"bgscale", tsct_pdf_config_bgscale(rec, 0)},
               {"polynomial_degree", degree}};
    for (size_t i = 0; i < sizeof num / sizeof num[0]; i++)
        TSCT_TRY(tsct_dataset_set_attr_double(d, num[i].name, num[i].value, err));
    TSCT_TRY(tsct_dataset_set_attr_string(d, "composition", rec->composition, err));
    TSCT_TRY(tsct_dataset_set_attr_string(d, "mode", rec->mode, err));
    return tsct_dataset_set_attr_string(d, "config", config_text, err);
}

/* d[i] = g[i] - gref[i]: the difference PDF (NaN where either is NaN). */
static void difference(const float *g, const float *gref, int64_t n, float *d)
{
    for (int64_t i = 0; i < n; i++)
        d[i] = g[i] - gref[i];
}

/* Largest total intensity of a voxel pattern in the volume (one streaming pass). */
static tsct_status max_total(tsct_dataset *d, const int64_t *shape, float *row, double *out,
                             tsct_error *err)
{
    double m = 0;
    for (int64_t t = 0; t < shape[0]; t++)
        for (int64_t z = 0; z < shape[1]; z++)
            for (int64_t y = 0; y < shape[2]; y++) {
                int64_t lead[3] = {t, z, y};
                TSCT_TRY(tsct_dataset_read_row(d, lead, row, err));
                for (int64_t x = 0; x < shape[3]; x++) {
                    double s = 0;
                    for (int64_t k = 0; k < shape[4]; k++)
                        s += row[x * shape[4] + k];
                    if (isfinite(s) && s > m)
                        m = s;
                }
            }
    *out = m;
    return TSCT_OK;
}

static int run_container(tsct_cli *cli, const struct pdf_opts *o, tsct_pdf_config *cfg)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    tsct_dataset *src = NULL, *dst = NULL, *ddst = NULL, *kept = NULL;
    tsct_step *step = NULL;
    char *stamps = NULL;
    tsct_composition *comp = NULL;
    tsct_pdf_plan *plan = NULL;
    tsct_pdf_workspace *ws = NULL;
    double *q = NULL;
    float *row = NULL, *grow = NULL, *gref = NULL;
    uint8_t *mask = NULL;
    char *config_text = NULL;
    int64_t nq = 0, shape[8];
    const int with_diff = o->reference >= 0;
    tsct_status st;
    tsct_cli_guard_file(o->container);
    st = tsct_container_open(o->container, TSCT_OPEN_WRITE, &c, &err);
    if (st == TSCT_OK)
        st = tsct_container_read_vector(c, TSCT_PATH_RECON_Q, &q, &nq, &err);
    if (st == TSCT_OK)
        st = tsct_dataset_open(c, TSCT_PATH_RECON, &src, &err);
    if (st != TSCT_OK)
        goto fail;
    if (tsct_dataset_shape(src, shape) != 5 || shape[4] != nq) {
        st = tsct_error_set(&err, TSCT_ERR_SHAPE, o->container, TSCT_PATH_RECON, -1,
                            "expected [nt][nz][ny][nx][%lld]", (long long)nq);
        goto fail;
    }
    if (with_diff && o->reference >= shape[0]) {
        st = tsct_error_set(&err, TSCT_ERR_VALUE, o->container, "--reference", o->reference,
                            "the reference time step must be below nt = %lld",
                            (long long)shape[0]);
        goto fail;
    }
    st = tsct_pdf_config_check_q(cfg, q, nq, o->container, &err);
    if (st == TSCT_OK)
        st = tsct_composition_parse(&comp, cfg->composition, &err);
    if (st == TSCT_OK) {
        tsct_pdf_params p = cfg->params;
        p.nthreads = cli->nthreads;
        st = tsct_pdf_plan_create(&p, comp, q, nq, &plan, &err);
        if (st != TSCT_OK)
            tsct_error_set_file(&err, cfg->source);
    }
    if (st == TSCT_OK)
        st = tsct_pdf_workspace_create(plan, cli->nthreads, &ws, &err);
    if (st != TSCT_OK)
        goto fail;
    const int64_t nx = shape[3], nr = tsct_pdf_plan_nr(plan);
    row = malloc((size_t)(nx * nq) * sizeof *row);
    grow = malloc((size_t)(nx * nr) * sizeof *grow);
    gref = malloc((size_t)(nx * nr) * sizeof *gref);
    mask = malloc((size_t)nx);
    config_text = malloc(65536);
    if (!row || !grow || !gref || !mask || !config_text) {
        st = tsct_error_set(&err, TSCT_ERR_NOMEM, o->container, NULL, -1, "row buffers");
        goto fail;
    }
    double vmax = 0;
    st = max_total(src, shape, row, &vmax, &err);
    if (st != TSCT_OK)
        goto fail;
    const double cut = o->threshold * vmax;

    tsct_pdf_config rec = *cfg;
    rec.params = *tsct_pdf_plan_params(plan);
    rec.ninputfile = 0;
    tsct_pdf_config_format(&rec, tsct_version(), config_text, 65536);
    struct stat sb;
    stat(o->container, &sb);
    char fingerprint[6144], inputs[1024], settings[4096];
    static const char *const upstream[] = {"recon", "import_recon", NULL};
    static const char *const data[] = {TSCT_PATH_RECON, NULL};
    tsct_step_inputs_id(c, upstream, inputs, sizeof inputs);
    /* The cut depends on every time step: when new ones raise the largest intensity, the
     * settings differ and every time step is computed again. */
    snprintf(settings, sizeof settings, "recon=%lldx%lldx%lldx%lld threshold=%.17g "
             "cut=%.17g reference=%lld %.2000s", (long long)shape[1], (long long)shape[2],
             (long long)shape[3], (long long)shape[4], o->threshold, cut,
             (long long)o->reference, config_text);
    snprintf(fingerprint, sizeof fingerprint, "%s nt=%lld %s", inputs, (long long)shape[0],
             settings);
    if (tsct_cli_up_to_date(cli, c, "pdf", fingerprint))
        goto fail;
    /* Time steps before t0 are kept (tsct run, new tomograms); the dPDF reference must be
     * among them or among the new ones. */
    const int64_t t0 = tsct_cli_keep_time_steps(cli, c, "pdf", settings, data, TSCT_PATH_PDF,
                                                shape[0], &stamps, fingerprint,
                                                sizeof fingerprint);
    if (t0 == shape[0])
        goto fail;
    /* Units 0 .. nrows-1: the G rows of time steps t0 ..; with a reference, nrows .. 2 nrows-1:
     * the dPDF rows, computed from the staged G once every G row is finished. */
    const int64_t nrows = (shape[0] - t0) * shape[1] * shape[2];
    tsct_step_info info = {"pdf", cli->command_line, config_text, fingerprint,
                           with_diff ? 2 * nrows : nrows, settings, stamps, t0};
    st = tsct_step_begin(c, &info, &cli->log, &step, &err);
    if (st == TSCT_OK)
        st = tsct_step_vector(step, TSCT_PATH_PDF_R, tsct_pdf_plan_r(plan), nr, "A", &err);
    int64_t gshape[5] = {shape[0] - t0, shape[1], shape[2], nx, nr};
    tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
    dp.units = "A^-2";
    const int64_t off = t0 > 0 ? t0 : -1;
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, TSCT_PATH_PDF, 5, gshape, off, &dp, &dst, &err);
    if (st == TSCT_OK && with_diff && o->reference < t0) /* a kept reference */
        st = tsct_dataset_open(c, TSCT_PATH_PDF, &kept, &err);
    if (st == TSCT_OK)
        st = set_setting_attrs(dst, &rec, config_text, tsct_pdf_plan_degree(plan), &err);
    if (st == TSCT_OK && with_diff)
        st = tsct_step_dataset(step, TSCT_PATH_PDF_DIFF, 5, gshape, off, &dp, &ddst, &err);
    if (st == TSCT_OK && with_diff)
        st = set_setting_attrs(ddst, &rec, config_text, tsct_pdf_plan_degree(plan), &err);
    if (st == TSCT_OK && with_diff)
        st = tsct_dataset_set_attr_double(ddst, "reference", (double)o->reference, &err);
    if (st != TSCT_OK)
        goto fail;

    tsct_progress progress;
    tsct_progress_begin(&progress, &cli->progress, "pdf voxel rows", info.nunits,
                        tsct_step_done_count(step));
    tsct_stage_batch batch = {0, 0, tsct_clock()};
    int64_t nvox = 0;
    for (int64_t r = 0; r < nrows; r++) {
        if (tsct_step_is_done(step, r))
            continue;
        int64_t lead[3] = {t0 + r / (shape[1] * shape[2]), r / shape[2] % shape[1],
                           r % shape[2]};
        st = tsct_dataset_read_row(src, lead, row, &err);
        if (st != TSCT_OK)
            goto fail;
        lead[0] -= t0; /* the staged time step */
        for (int64_t x = 0; x < nx; x++) {
            double s = 0;
            for (int64_t k = 0; k < nq; k++)
                s += row[x * nq + k];
            mask[x] = isfinite(s) && s > 0 && s >= cut;
            nvox += mask[x];
        }
        st = tsct_pdf_execute(plan, row, nx, mask, grow, ws, &err);
        if (st == TSCT_OK)
            st = tsct_dataset_write_row(dst, lead, grow, &err);
        if (st == TSCT_OK)
            st = tsct_stage_batch_add(step, &batch, r, &err);
        if (st != TSCT_OK)
            goto fail;
        tsct_progress_add(&progress, 1);
    }
    for (int64_t r = 0; with_diff && r < nrows; r++) {
        if (tsct_step_is_done(step, nrows + r))
            continue;
        int64_t lead[3] = {r / (shape[1] * shape[2]), r / shape[2] % shape[1], r % shape[2]};
        int64_t lref[3] = {o->reference - (kept ? 0 : t0), lead[1], lead[2]};
        st = tsct_dataset_read_row(dst, lead, grow, &err);
        if (st == TSCT_OK)
            st = tsct_dataset_read_row(kept ? kept : dst, lref, gref, &err);
        if (st == TSCT_OK) {
            difference(grow, gref, nx * nr, grow);
            st = tsct_dataset_write_row(ddst, lead, grow, &err);
        }
        if (st == TSCT_OK)
            st = tsct_stage_batch_add(step, &batch, nrows + r, &err);
        if (st != TSCT_OK)
            goto fail;
        tsct_progress_add(&progress, 1);
    }
    st = tsct_stage_batch_flush(step, &batch, &err);
    if (st != TSCT_OK)
        goto fail;
    tsct_progress_end(&progress);
    tsct_dataset_close(dst);
    tsct_dataset_close(ddst);
    tsct_dataset_close(kept);
    dst = ddst = kept = NULL;
    st = tsct_step_commit(step, &err);
    step = NULL;
    if (st != TSCT_OK)
        goto fail;
    tsct_log_msg(&cli->log, TSCT_LOG_INFO,
                 "%s: G(r) of %lld voxels (threshold %g of the largest total intensity), "
                 "%lld r points, polynomial degree %d", o->container, (long long)nvox,
                 o->threshold, (long long)nr, tsct_pdf_plan_degree(plan));
    tsct_dataset_close(src);
    src = NULL;
    st = tsct_container_close(c, &err);
    c = NULL;
fail:
    tsct_dataset_close(dst);
    tsct_dataset_close(ddst);
    tsct_dataset_close(kept);
    free(stamps);
    tsct_step_close(step);
    tsct_dataset_close(src);
    tsct_container_close(c, NULL);
    tsct_pdf_workspace_destroy(ws);
    tsct_pdf_plan_destroy(plan);
    tsct_composition_destroy(comp);
    free(q);
    free(row);
    free(grow);
    free(gref);
    free(mask);
    free(config_text);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}

/* ---- region averages --------------------------------------------------------------------- */

/* The step name of a region: pdf_region_ and the name with every character outside [a-z0-9_]
 * replaced by '_' (step names are [a-z0-9_]+). */
static void region_step_name(const char *region, char *buf, size_t size)
{
    int n = snprintf(buf, size, "pdf_region_");
    for (const char *c = region; *c && (size_t)n + 1 < size; c++) {
        char ch = *c >= 'A' && *c <= 'Z' ? (char)(*c - 'A' + 'a') : *c;
        buf[n++] = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ? ch : '_';
    }
    buf[n] = 0;
}

static int run_region(tsct_cli *cli, const struct pdf_opts *o, tsct_pdf_config *cfg)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    tsct_dataset *src = NULL, *dg = NULL, *dd = NULL;
    tsct_step *step = NULL;
    tsct_composition *comp = NULL;
    tsct_pdf_plan *plan = NULL;
    double *q = NULL, *iq = NULL, *g = NULL;
    float *pat = NULL, *G = NULL, *row = NULL;
    char *config_text = NULL;
    int64_t nq = 0, shape[8], nt = 0, nr = 0, nbad = 0;
    char base[1024], path[1200], qpath[1200], stepname[96];
    tsct_status st;
    snprintf(base, sizeof base, "%s/%s", TSCT_PATH_REGIONS, o->region);
    if (!o->region[0] || strchr(o->region, '/')) {
        st = tsct_error_set(&err, TSCT_ERR_VALUE, NULL, "--region", -1,
                            "expected a region name without '/', got '%s'", o->region);
        goto fail;
    }
    tsct_cli_guard_file(o->container);
    st = tsct_container_open(o->container, TSCT_OPEN_WRITE, &c, &err);
    if (st != TSCT_OK)
        goto fail;
    /* The region's own q axis, else the reconstruction's. */
    snprintf(qpath, sizeof qpath, "%s/q", base);
    st = tsct_container_read_vector(c, qpath, &q, &nq, &err);
    if (st == TSCT_ERR_NOT_FOUND) {
        tsct_error_clear(&err);
        snprintf(qpath, sizeof qpath, "%s", TSCT_PATH_RECON_Q);
        st = tsct_container_read_vector(c, qpath, &q, &nq, &err);
    }
    snprintf(path, sizeof path, "%s/pattern", base);
    if (st == TSCT_OK)
        st = tsct_dataset_open(c, path, &src, &err);
    if (st != TSCT_OK)
        goto fail;
    if (tsct_dataset_shape(src, shape) != 2 || shape[1] != nq || shape[0] < 1) {
        st = tsct_error_set(&err, TSCT_ERR_SHAPE, o->container, path, -1,
                            "expected [nt][%lld] (the length of %s)", (long long)nq, qpath);
        goto fail;
    }
    nt = shape[0];
    const int64_t ref = o->reference >= 0 ? o->reference : 0;
    if (ref >= nt) {
        st = tsct_error_set(&err, TSCT_ERR_VALUE, o->container, "--reference", ref,
                            "the reference time step must be below nt = %lld", (long long)nt);
        goto fail;
    }
    st = tsct_pdf_config_check_q(cfg, q, nq, qpath, &err);
    if (st == TSCT_OK)
        st = tsct_composition_parse(&comp, cfg->composition, &err);
    if (st == TSCT_OK) {
        st = tsct_pdf_plan_create(&cfg->params, comp, q, nq, &plan, &err);
        if (st != TSCT_OK)
            tsct_error_set_file(&err, cfg->source);
    }
    if (st != TSCT_OK)
        goto fail;
    nr = tsct_pdf_plan_nr(plan);
    pat = malloc((size_t)nq * sizeof *pat);
    iq = malloc((size_t)nq * sizeof *iq);
    g = malloc((size_t)nr * sizeof *g);
    G = malloc((size_t)(nt * nr) * sizeof *G);
    row = malloc((size_t)nr * sizeof *row);
    config_text = malloc(65536);
    if (!pat || !iq || !g || !G || !row || !config_text) {
        st = tsct_error_set(&err, TSCT_ERR_NOMEM, o->container, path, -1, "buffers");
        goto fail;
    }
    /* G of every time step (double precision, the reference path); a step whose pattern
     * cannot be scaled (empty region, NaN) is NaN. */
    for (int64_t t = 0; t < nt; t++) {
        int64_t start[2] = {t, 0}, count[2] = {1, nq};
        st = tsct_dataset_read(src, start, count, pat, &err);
        if (st != TSCT_OK)
            goto fail;
        for (int64_t k = 0; k < nq; k++)
            iq[k] = pat[k];
        tsct_error e1 = TSCT_ERROR_INIT;
        if (tsct_pdf_execute_one(plan, iq, NULL, NULL, g, NULL, &e1) != TSCT_OK) {
            for (int64_t j = 0; j < nr; j++)
                g[j] = NAN;
            nbad++;
            tsct_log_msg(&cli->log, TSCT_LOG_WARN, "%s: time step %lld: %s; its G(r) is NaN",
                         path, (long long)t, e1.message);
        }
        for (int64_t j = 0; j < nr; j++)
            G[t * nr + j] = (float)g[j];
    }

    tsct_pdf_config rec = *cfg;
    rec.params = *tsct_pdf_plan_params(plan);
    rec.ninputfile = 0;
    tsct_pdf_config_format(&rec, tsct_version(), config_text, 65536);
    char fingerprint[8192];
    snprintf(fingerprint, sizeof fingerprint, "region=%.1000s pattern=%lldx%lld q=%.1200s "
             "reference=%lld %.3000s", o->region, (long long)nt, (long long)nq, qpath, (long long)ref,
             config_text);
    region_step_name(o->region, stepname, sizeof stepname);
    tsct_step_info info = {stepname, cli->command_line, config_text, fingerprint, 1, NULL, NULL, 0};
    st = tsct_step_begin(c, &info, &cli->log, &step, &err);
    snprintf(path, sizeof path, "%s/r", base);
    if (st == TSCT_OK)
        st = tsct_step_vector(step, path, tsct_pdf_plan_r(plan), nr, "A", &err);
    int64_t gshape[2] = {nt, nr};
    tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
    dp.units = "A^-2";
    snprintf(path, sizeof path, "%s/pdf", base);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, path, 2, gshape, -1, &dp, &dg, &err);
    snprintf(path, sizeof path, "%s/dpdf", base);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, path, 2, gshape, -1, &dp, &dd, &err);
    for (int i = 0; i < 2 && st == TSCT_OK; i++) {
        tsct_dataset *d = i ? dd : dg;
        st = set_setting_attrs(d, &rec, config_text, tsct_pdf_plan_degree(plan), &err);
        if (st == TSCT_OK)
            st = tsct_dataset_set_attr_double(d, "reference", (double)ref, &err);
        if (st == TSCT_OK)
            st = tsct_dataset_set_attr_string(d, "q_axis", qpath, &err);
    }
    for (int64_t t = 0; t < nt && st == TSCT_OK; t++) {
        int64_t start[2] = {t, 0}, count[2] = {1, nr};
        st = tsct_dataset_write(dg, start, count, G + t * nr, &err);
        difference(G + t * nr, G + ref * nr, nr, row);
        if (st == TSCT_OK)
            st = tsct_dataset_write(dd, start, count, row, &err);
    }
    if (st == TSCT_OK)
        st = tsct_step_mark_done(step, 0, 1, &err);
    tsct_dataset_close(dg);
    tsct_dataset_close(dd);
    dg = dd = NULL;
    if (st != TSCT_OK)
        goto fail;
    st = tsct_step_commit(step, &err);
    step = NULL;
    if (st != TSCT_OK)
        goto fail;
    tsct_log_msg(&cli->log, TSCT_LOG_INFO,
                 "%s: region %s: G(r) of %lld time steps (%lld NaN), %lld r points, dPDF "
                 "against time step %lld", o->container, o->region, (long long)nt,
                 (long long)nbad, (long long)nr, (long long)ref);
    /* The .gr files, one per time step, each headed by the configuration. */
    for (int64_t t = 0; o->output && t < nt && st == TSCT_OK; t++) {
        char gr[TSCT_PATH_MAX], header[65536 + 256];
        snprintf(gr, sizeof gr, "%s/%s_t%04lld.gr", o->output, o->region, (long long)t);
        snprintf(header, sizeof header, "%s# region %s of %s, time step %lld", config_text,
                 o->region, o->container, (long long)t);
        for (int64_t j = 0; j < nr; j++)
            g[j] = G[t * nr + j];
        st = write_columns(gr, header, "r(Å)  G(Å$^{-2}$)", tsct_pdf_plan_r(plan), g, nr,
                           INFINITY, &err);
    }
    if (st != TSCT_OK)
        goto fail;
    tsct_dataset_close(src);
    src = NULL;
    st = tsct_container_close(c, &err);
    c = NULL;
fail:
    tsct_dataset_close(dg);
    tsct_dataset_close(dd);
    tsct_step_close(step);
    tsct_dataset_close(src);
    tsct_container_close(c, NULL);
    tsct_pdf_plan_destroy(plan);
    tsct_composition_destroy(comp);
    free(q);
    free(iq);
    free(g);
    free(pat);
    free(G);
    free(row);
    free(config_text);
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
    if (o.region)
        return run_region(cli, &o, &cfg);
    if (o.container)
        return run_container(cli, &o, &cfg);
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
