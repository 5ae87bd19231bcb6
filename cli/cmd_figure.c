/* cmd_figure.c - `tsct figure`: PNG figures of a container's maps, composites, patterns over
 * time, fitted parameters, and of tables (coverage, fits) - drawn by lib/figure. This file
 * holds the options, maps, composites, CSV tables and `all`; figure_series.c the film plots,
 * patterns with reflection ticks and fitted parameters.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "figure_cli.h"
#include "tsct/echem.h"
#include "tsct/maps.h"

const char tsct_usage_figure[] =
    "usage: tsct figure map EXP.h5 --map NAME [--t T] [--z Z] -o OUT.png [options]\n"
    "       tsct figure grid EXP.h5 --map NAME [--z Z] -o OUT.png [options]\n"
    "       tsct figure composite EXP.h5 --phase NAME[:COLOUR]... [--t T] -o OUT.png\n"
    "       tsct figure film EXP.h5 [--region NAME] [--source S] [--y Y] -o OUT.png\n"
    "       tsct figure patterns EXP.h5 [--region NAME] [--t T,...] [--ticks PHASES] -o OUT.png\n"
    "       tsct figure patterns FILE.xy... [--ticks PHASES] -o OUT.png\n"
    "       tsct figure fit EXP.h5 [--fit NAME] --param P [--voxel I,K] [--x X] -o OUT.png\n"
    "       tsct figure fit TABLE.csv --param P [--x COL] -o OUT.png\n"
    "       tsct figure plot TABLE.csv --x COL --y COL[,COL...] [--err COL[,COL...]] -o OUT.png\n"
    "       tsct figure all EXP.h5 -o DIR [--composite NAME[:COLOUR],...] [--ticks PHASES]\n"
    "\n"
    "PNG figures (docs/figures.md). map: one map of /entry/maps at a time step, with axes in\n"
    "mm (from the translation step), a colour bar and a scale bar. grid: the map at every time\n"
    "step, one colour scale. composite: several maps as additive colours with a legend (the\n"
    "BiVO4 study: BiVO4:red Bi:grey LiBi:blue Li3Bi:green).\n"
    "film: patterns (x = q) or G(r) (x = r) against time as rows of colour - a region's mean\n"
    "(/entry/regions/NAME) or the mean of the slice's sample voxels - with, when /entry/echem\n"
    "exists, the voltage curve in a panel beside it on the same time axis (a dot per tomogram\n"
    "at its mean voltage).\n"
    "patterns: curves of a few time steps (or text patterns) with a row of tick marks per\n"
    "phase at its reflections (calculated from the CIF; q axis).\n"
    "fit: a fitted parameter of /entry/fits/NAME with ESD error bars against capacity (one\n"
    "voxel, or the mean of the fitted voxels with the ESD of the mean), or a column of a\n"
    "`tsct fit peak --series` table with its _esd column.\n"
    "plot: columns of a CSV table (tsct coverage, tsct score) with error bars.\n"
    "all: a grid of every map, a composite per time step (--composite), the film plots (recon,\n"
    "pdf, every region), every region's patterns (ticks with --ticks) and every fit's peak\n"
    "parameters, into DIR.\n"
    "\n"
    "Options:\n"
    "      --map NAME            the map (/entry/maps/NAME)\n"
    "      --phase NAME[:COLOUR] a map of the composite; COLOUR red, green, blue, grey, yellow,\n"
    "                            magenta, cyan, orange or #rrggbb (default: in that order)\n"
    "      --composite LIST      with all: the composite's --phase values, comma-separated\n"
    "      --t T                 time step (default 0); patterns: a list T,T,... (default:\n"
    "                            all time steps, or 8 spread over them)\n"
    "      --z Z                 slice (default 0)\n"
    "      --region NAME         film, patterns: /entry/regions/NAME instead of the voxel mean\n"
    "      --source S            film, patterns: pattern (default), pdf or dpdf (film)\n"
    "      --y Y                 film: the y axis, time (hours; default with /entry/echem),\n"
    "                            step (default without), or capacity (one half cycle)\n"
    "      --no-echem            film: leave out the voltage panel\n"
    "      --range A:B           film, patterns: only x (q or r) from A to B\n"
    "      --ticks PHASES        patterns, all: NAME=FILE.cif[:COLOUR], comma-separated or\n"
    "                            repeated; a CIF is looked up as given, then in the structure\n"
    "                            folders (TSCT_STRUCTURES); colours as for --phase\n"
    "      --wavelength A        patterns: wavelength in A for the ticks' q limit (default:\n"
    "                            the container's)\n"
    "      --offset F            patterns: shift curve i up by i F (max - min) (default 0)\n"
    "      --fit NAME            fit: /entry/fits/NAME (default: the only one)\n"
    "      --param P             fit: the parameter (e.g. position_1, area_1, fwhm_1)\n"
    "      --voxel I,K           fit: row I, column K of the slice instead of the mean\n"
    "      --x COL               plot: the x column; fit: capacity (default with /entry/echem),\n"
    "                            voltage, time, step (default without) or a table column\n"
    "      --y COLS              plot: the y columns\n"
    "      --err COLS            plot: error bar columns, one per --y column\n"
    "      --where COL=VALUE     plot: only rows whose COL is VALUE (e.g. phase=BiVO4)\n"
    "      --split COL           plot: one curve per value of COL (one --y column; at most 8),\n"
    "                            e.g. --x capacity_mAh_g --split half_cycle: capacity restarts\n"
    "                            at each half cycle\n"
    "      --cmap C              viridis (default), magma, greys\n"
    "      --vmin V, --vmax V    colour limits (default: 1st and 99th percentiles)\n"
    "      --size WxH            figure size in pixels (default 720x600; patterns with a\n"
    "                            legend 960x600)\n"
    "      --title TEXT          title\n"
    "      --label TEXT          colour bar or y axis label\n"
    "  -o, --output PATH         the PNG file (or folder for all)\n";

/* "A:B" with A < B. */
static int parse_range(const char *s, double r[2])
{
    char a[64];
    const char *colon = strchr(s, ':');
    if (!colon || colon - s >= 64)
        return -1;
    snprintf(a, sizeof a, "%.*s", (int)(colon - s), s);
    return tsct_cli_parse_double(a, &r[0]) != 0 || tsct_cli_parse_double(colon + 1, &r[1]) != 0 ||
                   !(r[0] < r[1])
               ? -1
               : 0;
}

static int parse(tsct_cli *cli, int argc, char **argv, struct fig_opts *o)
{
    enum { O_MAP = 1000, O_PHASE, O_COMP, O_T, O_Z, O_X, O_Y, O_ERR, O_WHERE, O_CMAP, O_VMIN,
           O_VMAX, O_SIZE, O_TITLE, O_LABEL, O_REGION, O_SOURCE, O_NOECHEM, O_RANGE, O_TICKS,
           O_WAVE, O_OFFSET, O_FIT, O_PARAM, O_VOXEL, O_SPLIT };
    static const struct option longopts[] = {
        {"map", required_argument, NULL, O_MAP},      {"phase", required_argument, NULL, O_PHASE},
        {"composite", required_argument, NULL, O_COMP}, {"t", required_argument, NULL, O_T},
        {"z", required_argument, NULL, O_Z},          {"x", required_argument, NULL, O_X},
        {"y", required_argument, NULL, O_Y},          {"err", required_argument, NULL, O_ERR},
        {"where", required_argument, NULL, O_WHERE},  {"cmap", required_argument, NULL, O_CMAP},
        {"vmin", required_argument, NULL, O_VMIN},    {"vmax", required_argument, NULL, O_VMAX},
        {"size", required_argument, NULL, O_SIZE},    {"title", required_argument, NULL, O_TITLE},
        {"label", required_argument, NULL, O_LABEL},  {"output", required_argument, NULL, 'o'},
        {"region", required_argument, NULL, O_REGION}, {"source", required_argument, NULL, O_SOURCE},
        {"no-echem", no_argument, NULL, O_NOECHEM},   {"range", required_argument, NULL, O_RANGE},
        {"ticks", required_argument, NULL, O_TICKS},  {"wavelength", required_argument, NULL, O_WAVE},
        {"offset", required_argument, NULL, O_OFFSET}, {"fit", required_argument, NULL, O_FIT},
        {"param", required_argument, NULL, O_PARAM},  {"voxel", required_argument, NULL, O_VOXEL},
        {"split", required_argument, NULL, O_SPLIT},  {NULL, 0, NULL, 0},
    };
    tsct_figure_params def = TSCT_FIGURE_PARAMS_DEFAULT;
    o->p = def;
    tsct_error err = TSCT_ERROR_INIT;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
        switch (ch) {
        case O_MAP: o->map = optarg; break;
        case O_PHASE:
            if (o->nphase == 16)
                return tsct_cli_usage_error(cli, "at most 16 --phase");
            o->phase[o->nphase++] = optarg;
            break;
        case O_COMP: o->composite = optarg; break;
        case O_T: {
            /* One index, or (patterns) a comma list. */
            char buf[1024];
            snprintf(buf, sizeof buf, "%s", optarg);
            o->nsteps = 0;
            for (char *save = NULL, *s = strtok_r(buf, ",", &save); s;
                 s = strtok_r(NULL, ",", &save)) {
                int64_t v;
                if (o->nsteps == TSCT_FIG_MAX_STEPS)
                    return tsct_cli_usage_error(cli, "--t: at most %d time steps",
                                                TSCT_FIG_MAX_STEPS);
                if (tsct_cli_parse_int64(s, &v) != 0 || v < 0)
                    return tsct_cli_usage_error(cli, "--t expects an index >= 0 (or a list "
                                                "T,T,...), got '%s'", optarg);
                o->steps[o->nsteps++] = v;
            }
            if (o->nsteps == 0)
                return tsct_cli_usage_error(cli, "--t expects an index >= 0, got '%s'", optarg);
            o->t = o->steps[0];
            break;
        }
        case O_Z:
            if (tsct_cli_parse_int64(optarg, &o->z) != 0 || o->z < 0)
                return tsct_cli_usage_error(cli, "--z expects an index >= 0, got '%s'", optarg);
            break;
        case O_X: o->x = optarg; break;
        case O_Y: o->y = optarg; break;
        case O_ERR: o->errs = optarg; break;
        case O_WHERE: o->where = optarg; break;
        case O_SPLIT: o->split = optarg; break;
        case O_CMAP:
            if (tsct_colormap_parse(optarg, &o->p.cmap, &err) != TSCT_OK)
                return tsct_cli_usage_error(cli, "--cmap: %s", err.message);
            break;
        case O_VMIN:
        case O_VMAX:
            if (tsct_cli_parse_double(optarg, ch == O_VMIN ? &o->p.vmin : &o->p.vmax) != 0)
                return tsct_cli_usage_error(cli, "--vmin/--vmax expect a number, got '%s'",
                                            optarg);
            break;
        case O_SIZE:
            if (sscanf(optarg, "%dx%d", &o->p.width, &o->p.height) != 2)
                return tsct_cli_usage_error(cli, "--size expects WxH, got '%s'", optarg);
            o->have_size = 1;
            break;
        case O_TITLE: o->p.title = optarg; break;
        case O_LABEL: o->p.label = optarg; break;
        case O_REGION: o->region = optarg; break;
        case O_SOURCE:
            if (strcmp(optarg, "pattern") != 0 && strcmp(optarg, "pdf") != 0 &&
                strcmp(optarg, "dpdf") != 0)
                return tsct_cli_usage_error(cli, "--source expects pattern, pdf or dpdf, got "
                                            "'%s'", optarg);
            o->source = optarg;
            break;
        case O_NOECHEM: o->no_echem = 1; break;
        case O_RANGE:
            if (parse_range(optarg, o->range) != 0)
                return tsct_cli_usage_error(cli, "--range expects A:B with A < B, got '%s'",
                                            optarg);
            o->have_range = 1;
            break;
        case O_TICKS:
            if (o->nticks == TSCT_FIG_MAX_TICKS)
                return tsct_cli_usage_error(cli, "at most %d --ticks", TSCT_FIG_MAX_TICKS);
            o->ticks[o->nticks++] = optarg;
            break;
        case O_WAVE:
            if (tsct_cli_parse_double(optarg, &o->wavelength) != 0 || !(o->wavelength > 0))
                return tsct_cli_usage_error(cli, "--wavelength expects Angstrom > 0, got '%s'",
                                            optarg);
            break;
        case O_OFFSET:
            if (tsct_cli_parse_double(optarg, &o->offset) != 0)
                return tsct_cli_usage_error(cli, "--offset expects a number, got '%s'", optarg);
            break;
        case O_FIT: o->fit = optarg; break;
        case O_PARAM: o->param = optarg; break;
        case O_VOXEL: {
            char a[64];
            const char *comma = strchr(optarg, ',');
            if (!comma || comma - optarg >= 64 ||
                (snprintf(a, sizeof a, "%.*s", (int)(comma - optarg), optarg),
                 tsct_cli_parse_int64(a, &o->voxel[0]) != 0) ||
                tsct_cli_parse_int64(comma + 1, &o->voxel[1]) != 0 || o->voxel[0] < 0 ||
                o->voxel[1] < 0)
                return tsct_cli_usage_error(cli, "--voxel expects I,K (row, column >= 0), got "
                                            "'%s'", optarg);
            o->have_voxel = 1;
            break;
        }
        case 'o': o->output = optarg; break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind < 2)
        return tsct_cli_usage_error(cli, "expected KIND and an input (see usage)");
    o->kind = argv[optind];
    o->input = argv[optind + 1];
    o->ninputs = argc - optind - 1;
    if (o->ninputs > 1 && strcmp(o->kind, "patterns") != 0)
        return tsct_cli_usage_error(cli, "%s takes one input, got %d", o->kind, o->ninputs);
    if (o->ninputs > TSCT_FIG_MAX_INPUTS)
        return tsct_cli_usage_error(cli, "at most %d inputs", TSCT_FIG_MAX_INPUTS);
    for (int i = 0; i < o->ninputs; i++)
        o->inputs[i] = argv[optind + 1 + i];
    if (!o->output)
        return tsct_cli_usage_error(cli, "missing -o");
    return -1;
}

/* ---- reading the container ---------------------------------------------------------------- */

/* /entry/maps/NAME at slice z: all time steps [nt][ny][nx] (caller frees). */
static tsct_status read_map(tsct_container *c, const char *path, const char *name, int64_t z,
                            float **out, int64_t *nt, int64_t *ny, int64_t *nx, tsct_error *err)
{
    char p[300];
    snprintf(p, sizeof p, TSCT_PATH_MAPS "/%s", name);
    if (!tsct_container_exists(c, p))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, path, p, -1, "no such map");
    tsct_dataset *d = NULL;
    TSCT_TRY(tsct_dataset_open(c, p, &d, err));
    int64_t s[8] = {0};
    tsct_status st = TSCT_OK;
    if (tsct_dataset_shape(d, s) != 4)
        st = tsct_error_set(err, TSCT_ERR_SHAPE, path, p, -1, "expected [nt][nz][ny][nx]");
    else if (z >= s[1])
        st = tsct_error_set(err, TSCT_ERR_VALUE, path, p, z, "slice %lld of %lld",
                            (long long)z, (long long)s[1]);
    float *buf = NULL;
    if (st == TSCT_OK && !(buf = malloc((size_t)(s[0] * s[2] * s[3]) * sizeof *buf)))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, p, -1, "map");
    if (st == TSCT_OK) {
        int64_t start[4] = {0, z, 0, 0}, count[4] = {s[0], 1, s[2], s[3]};
        st = tsct_dataset_read(d, start, count, buf, err);
    }
    tsct_dataset_close(d);
    if (st != TSCT_OK) {
        free(buf);
        return st;
    }
    *out = buf, *nt = s[0], *ny = s[2], *nx = s[3];
    return TSCT_OK;
}

/* Voxel size from the translation step (mm), 0 if unknown. */
static double voxel_mm(tsct_container *c)
{
    double *v = NULL;
    int64_t n = 0;
    double mm = 0;
    if (tsct_container_exists(c, "/entry/scan/translation") &&
        tsct_container_read_vector(c, "/entry/scan/translation", &v, &n, NULL) == TSCT_OK &&
        n > 1)
        mm = fabs(v[1] - v[0]);
    free(v);
    return mm;
}

/* The colour bar's label of a map: the first clause of its `method` attribute (what tsct map,
 * coverage or fit wrote), e.g. "peak area 1.29-1.42 of I(q)", "total intensity",
 * "phase weight (unmixing)"; "" if there is none. */
static void map_label(tsct_container *c, const char *name, char *buf, size_t size)
{
    char path[300], m[1024] = "";
    snprintf(path, sizeof path, TSCT_PATH_MAPS "/%s", name);
    buf[0] = '\0';
    if (tsct_container_get_attr_string(c, path, "method", m, sizeof m, NULL) != TSCT_OK || !m[0])
        return;
    if (strncmp(m, "weight of component", 19) == 0) {
        snprintf(buf, size, "phase weight (unmixing)");
        return;
    }
    const char *of = strstr(m, "I(q)") ? " of I(q)" : strstr(m, "G(r)") ? " of G(r)" : "";
    static const char *const cuts[] = {" (", ":", " minus the", " in a ", " in each", " of I(q)",
                                       " of G(r)", NULL};
    size_t n = strlen(m);
    for (int i = 0; cuts[i]; i++) {
        const char *hit = strstr(m, cuts[i]);
        if (hit && (size_t)(hit - m) < n)
            n = (size_t)(hit - m);
    }
    if (n > 44)
        snprintf(buf, size, "%.41s...", m);
    else
        snprintf(buf, size, "%.*s%s", (int)n, m, n + strlen(of) <= 52 ? of : "");
}

/* A composite of `n` NAME[:COLOUR] specs at time step t. */
static tsct_status composite(tsct_container *c, const struct fig_opts *o, const char *const *spec,
                             int n, int64_t t, const char *out, tsct_error *err)
{
    float *maps[16] = {0};
    const char *names[16];
    char name_buf[16][128];
    double rgb[16][3];
    int64_t nt = 0, ny = 0, nx = 0;
    tsct_status st = TSCT_OK;
    for (int i = 0; i < n && st == TSCT_OK; i++) {
        snprintf(name_buf[i], sizeof name_buf[i], "%s", spec[i]);
        char *colon = strchr(name_buf[i], ':');
        if (colon)
            *colon = '\0';
        names[i] = name_buf[i];
        if (tsct__figure_parse_colour(colon ? colon + 1 : tsct__figure_default_colours[i % 8], rgb[i]) != 0) {
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--phase", i,
                                "unknown colour '%s'", colon + 1);
            break;
        }
        int64_t a, b, d;
        st = read_map(c, o->input, names[i], o->z, &maps[i], &a, &b, &d, err);
        if (st == TSCT_OK && i > 0 && (a != nt || b != ny || d != nx))
            st = tsct_error_set(err, TSCT_ERR_SHAPE, o->input, names[i], -1,
                                "differs in shape from %s", names[0]);
        nt = a, ny = b, nx = d;
        if (st == TSCT_OK && t >= nt)
            st = tsct_error_set(err, TSCT_ERR_VALUE, o->input, "--t", t, "%lld time steps",
                                (long long)nt);
    }
    if (st == TSCT_OK) {
        const float *at[16];
        double full[16];
        for (int i = 0; i < n; i++) {
            at[i] = maps[i] + t * ny * nx;
            full[i] = tsct_maps_percentile(maps[i], nt * ny * nx, 99.0); /* all time steps */
        }
        char title[256];
        tsct_figure_params p = o->p;
        p.pixel_mm = voxel_mm(c);
        if (!p.title) {
            tsct__figure_step_title(c, t, title, sizeof title);
            p.title = title;
        }
        st = tsct_figure_composite(at, n, names, (const double(*)[3])rgb, full, ny, nx, &p, out,
                                   err);
    }
    for (int i = 0; i < n; i++)
        free(maps[i]);
    return st;
}

/* The map at every time step in a grid. */
static tsct_status grid(tsct_container *c, const struct fig_opts *o, const char *map,
                        const char *out, tsct_error *err)
{
    float *m = NULL;
    int64_t nt, ny, nx;
    TSCT_TRY(read_map(c, o->input, map, o->z, &m, &nt, &ny, &nx, err));
    if (nt > 64)
        nt = 64;
    char(*titles)[128] = malloc((size_t)nt * sizeof *titles);
    const char **tp = malloc((size_t)nt * sizeof *tp);
    tsct_status st = TSCT_OK;
    if (!titles || !tp)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "titles", -1, "grid");
    for (int64_t t = 0; st == TSCT_OK && t < nt; t++) {
        tsct__figure_step_title(c, t, titles[t], sizeof titles[t]);
        tp[t] = titles[t];
    }
    tsct_figure_params p = o->p;
    p.pixel_mm = voxel_mm(c);
    p.title = p.title ? p.title : map;
    char label[128];
    map_label(c, map, label, sizeof label);
    p.label = p.label ? p.label : label[0] ? label : NULL;
    if (st == TSCT_OK)
        st = tsct_figure_grid(m, (int)nt, 0, tp, ny, nx, &p, out, err);
    free(titles);
    free(tp);
    free(m);
    return st;
}

/* ---- all ---------------------------------------------------------------------------------- */

struct map_list {
    char names[64][128];
    int n;
};

static int collect_maps(void *user, const tsct_object_info *info)
{
    struct map_list *l = user;
    const char *prefix = TSCT_PATH_MAPS "/";
    if (!info->is_group && strncmp(info->path, prefix, strlen(prefix)) == 0 &&
        !strchr(info->path + strlen(prefix), '/') && l->n < 64)
        snprintf(l->names[l->n++], sizeof l->names[0], "%s", info->path + strlen(prefix));
    return 0;
}

/* Groups directly below a root (regions, fits). */
struct group_list {
    const char *root;
    char names[64][128];
    int n;
};

static int collect_groups(void *user, const tsct_object_info *info)
{
    struct group_list *l = user;
    const size_t len = strlen(l->root);
    if (info->is_group && strncmp(info->path, l->root, len) == 0 && info->path[len] == '/' &&
        !strchr(info->path + len + 1, '/') && l->n < 64)
        snprintf(l->names[l->n++], sizeof l->names[0], "%s", info->path + len + 1);
    return 0;
}

static tsct_status list_groups(tsct_container *c, const char *root, struct group_list *l,
                               tsct_error *err)
{
    memset(l, 0, sizeof *l);
    l->root = root;
    if (!tsct_container_exists(c, root))
        return TSCT_OK;
    return tsct_container_walk(c, root, collect_groups, l, err);
}

static tsct_status all(tsct_cli *cli, tsct_container *c, const struct fig_opts *o,
                       tsct_error *err)
{
    if (mkdir(o->output, 0777) != 0 && errno != EEXIST)
        return tsct_error_set(err, TSCT_ERR_IO, o->output, NULL, -1, "cannot create the folder");
    struct map_list l = {0};
    if (tsct_container_exists(c, TSCT_PATH_MAPS))
        TSCT_TRY(tsct_container_walk(c, TSCT_PATH_MAPS, collect_maps, &l, err));
    else if (o->composite)
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, o->input, TSCT_PATH_MAPS, -1,
                              "no maps for --composite (run tsct map first)");
    int made = 0;
    char path[4200];
    for (int i = 0; i < l.n; i++) {
        snprintf(path, sizeof path, "%s/map_%s.png", o->output, l.names[i]);
        TSCT_TRY(grid(c, o, l.names[i], path, err));
        made++;
    }
    if (o->composite) {
        char buf[1024];
        const char *spec[16];
        int n = 0;
        snprintf(buf, sizeof buf, "%s", o->composite);
        for (char *save = NULL, *s = strtok_r(buf, ",", &save); s && n < 16;
             s = strtok_r(NULL, ",", &save))
            spec[n++] = s;
        float *m = NULL;
        int64_t nt = 0, ny, nx;
        char first[128];
        snprintf(first, sizeof first, "%s", spec[0]);
        char *colon = strchr(first, ':');
        if (colon)
            *colon = '\0';
        TSCT_TRY(read_map(c, o->input, first, o->z, &m, &nt, &ny, &nx, err));
        free(m);
        for (int64_t t = 0; t < nt; t++) {
            snprintf(path, sizeof path, "%s/composite_t%04lld.png", o->output, (long long)t);
            TSCT_TRY(composite(c, o, spec, n, t, path, err));
            made++;
        }
    }
    /* Film plots (with the voltage beside them when /entry/echem exists). */
    struct fig_opts fo = *o;
    fo.y = NULL, fo.x = NULL, fo.nsteps = 0, fo.have_range = 0;
    if (tsct_container_exists(c, TSCT_PATH_RECON)) {
        snprintf(path, sizeof path, "%s/film.png", o->output);
        TSCT_TRY(tsct__figure_film(c, &fo, NULL, "pattern", path, err));
        made++;
    }
    if (tsct_container_exists(c, TSCT_PATH_PDF)) {
        snprintf(path, sizeof path, "%s/film_pdf.png", o->output);
        TSCT_TRY(tsct__figure_film(c, &fo, NULL, "pdf", path, err));
        made++;
    }
    /* Every region: its film, its patterns (with the phases' ticks), its G(r) film. */
    struct group_list g;
    TSCT_TRY(list_groups(c, TSCT_PATH_REGIONS, &g, err));
    for (int i = 0; i < g.n; i++) {
        char ds[300];
        snprintf(ds, sizeof ds, TSCT_PATH_REGIONS "/%s/pattern", g.names[i]);
        if (tsct_container_exists(c, ds)) {
            snprintf(path, sizeof path, "%s/region_%s_film.png", o->output, g.names[i]);
            TSCT_TRY(tsct__figure_film(c, &fo, g.names[i], "pattern", path, err));
            snprintf(path, sizeof path, "%s/region_%s_patterns.png", o->output, g.names[i]);
            fo.source = "pattern";
            TSCT_TRY(tsct__figure_patterns(c, &fo, g.names[i], path, err));
            made += 2;
        }
        snprintf(ds, sizeof ds, TSCT_PATH_REGIONS "/%s/pdf", g.names[i]);
        if (tsct_container_exists(c, ds)) {
            snprintf(path, sizeof path, "%s/region_%s_pdf_film.png", o->output, g.names[i]);
            TSCT_TRY(tsct__figure_film(c, &fo, g.names[i], "pdf", path, err));
            made++;
        }
    }
    /* Every fit: its peak parameters (not the background) against capacity. */
    TSCT_TRY(list_groups(c, TSCT_PATH_FITS, &g, err));
    for (int i = 0; i < g.n; i++) {
        char names[1024];
        TSCT_TRY(tsct__figure_fit_parameters(c, o->input, g.names[i], names, sizeof names, err));
        for (char *save = NULL, *s = strtok_r(names, ",", &save); s;
             s = strtok_r(NULL, ",", &save)) {
            if (strncmp(s, "bg_", 3) == 0)
                continue;
            snprintf(path, sizeof path, "%s/fit_%s_%s.png", o->output, g.names[i], s);
            TSCT_TRY(tsct__figure_fit(c, &fo, g.names[i], s, path, err));
            made++;
        }
    }
    if (made == 0)
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, o->input, "/entry", -1,
                              "nothing to draw: no maps, reconstruction, PDF, regions or fits");
    tsct_log_msg(&cli->log, TSCT_LOG_INFO, "%d figure(s) written to %s", made, o->output);
    return TSCT_OK;
}

static int is_container_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (strcmp(dot, ".h5") == 0 || strcmp(dot, ".hdf5") == 0 ||
                   strcmp(dot, ".nxs") == 0 || strcmp(dot, ".hdf") == 0);
}

int tsct_cmd_figure(tsct_cli *cli, int argc, char **argv)
{
    struct fig_opts o = {0};
    int rc = parse(cli, argc, argv, &o);
    if (rc >= 0)
        return rc;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st;
    static const char *const kinds[] = {"map", "grid", "composite", "film", "patterns", "fit",
                                        "plot", "all", NULL};
    int known = 0;
    for (int i = 0; kinds[i]; i++)
        known |= strcmp(o.kind, kinds[i]) == 0;
    if (!known)
        return tsct_cli_usage_error(cli, "unknown kind '%s' (map, grid, composite, film, "
                                    "patterns, fit, plot, all)", o.kind);
    if ((strcmp(o.kind, "map") == 0 || strcmp(o.kind, "grid") == 0) && !o.map)
        return tsct_cli_usage_error(cli, "%s needs --map NAME", o.kind);
    if (strcmp(o.kind, "composite") == 0 && o.nphase == 0)
        return tsct_cli_usage_error(cli, "composite needs --phase NAME[:COLOUR]");
    if (strcmp(o.kind, "fit") == 0 && !o.param)
        return tsct_cli_usage_error(cli, "fit needs --param P (e.g. position_1)");
    if (o.nsteps > 1 && strcmp(o.kind, "patterns") != 0)
        return tsct_cli_usage_error(cli, "%s takes one time step --t T", o.kind);
    const int container = is_container_path(o.input);
    if (strcmp(o.kind, "patterns") == 0 && o.ninputs > 1 && container)
        return tsct_cli_usage_error(cli, "patterns: one container, or text patterns");
    if (strcmp(o.kind, "plot") == 0 || (strcmp(o.kind, "fit") == 0 && !container)) {
        st = strcmp(o.kind, "plot") == 0 ? tsct__figure_plot(&o, &err)
                                         : tsct__figure_fit_table(&o, &err);
        return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
    }
    if (strcmp(o.kind, "patterns") == 0 && !container) {
        if (o.region || o.nsteps > 0 || o.source)
            return tsct_cli_usage_error(cli, "patterns of text files take no --region, --t "
                                        "or --source");
        st = tsct__figure_patterns(NULL, &o, NULL, o.output, &err);
        return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
    }
    tsct_container *c = NULL;
    tsct_cli_guard_file(o.input);
    st = tsct_container_open(o.input, TSCT_OPEN_READ, &c, &err);
    if (st == TSCT_OK) {
        if (strcmp(o.kind, "map") == 0) {
            float *m = NULL;
            int64_t nt, ny, nx;
            st = read_map(c, o.input, o.map, o.z, &m, &nt, &ny, &nx, &err);
            if (st == TSCT_OK && o.t >= nt)
                st = tsct_error_set(&err, TSCT_ERR_VALUE, o.input, "--t", o.t,
                                    "the map has %lld time steps", (long long)nt);
            if (st == TSCT_OK) {
                char title[300], when[200];
                tsct__figure_step_title(c, o.t, when, sizeof when);
                snprintf(title, sizeof title, "%s, %s", o.map, when);
                tsct_figure_params p = o.p;
                p.pixel_mm = voxel_mm(c);
                p.title = p.title ? p.title : title;
                char label[128];
                map_label(c, o.map, label, sizeof label);
                p.label = p.label ? p.label : label[0] ? label : NULL;
                st = tsct_figure_map(m + o.t * ny * nx, ny, nx, &p, o.output, &err);
            }
            free(m);
        } else if (strcmp(o.kind, "grid") == 0) {
            st = grid(c, &o, o.map, o.output, &err);
        } else if (strcmp(o.kind, "composite") == 0) {
            st = composite(c, &o, o.phase, o.nphase, o.t, o.output, &err);
        } else if (strcmp(o.kind, "film") == 0) {
            st = tsct__figure_film(c, &o, o.region, o.source ? o.source : "pattern", o.output,
                                   &err);
        } else if (strcmp(o.kind, "patterns") == 0) {
            st = tsct__figure_patterns(c, &o, o.region, o.output, &err);
        } else if (strcmp(o.kind, "fit") == 0) {
            st = tsct__figure_fit(c, &o, o.fit, o.param, o.output, &err);
        } else {
            st = all(cli, c, &o, &err);
        }
    }
    tsct_container_close(c, NULL);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
