/* cmd_figure.c - `tsct figure`: PNG figures of a container's maps, composites, patterns over
 * time, and of tables (coverage, fits) - drawn by lib/figure.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "tsct/figure.h"
#include "tsct/maps.h"

const char tsct_usage_figure[] =
    "usage: tsct figure map EXP.h5 --map NAME [--t T] [--z Z] -o OUT.png [options]\n"
    "       tsct figure grid EXP.h5 --map NAME [--z Z] -o OUT.png [options]\n"
    "       tsct figure composite EXP.h5 --phase NAME[:COLOUR]... [--t T] -o OUT.png\n"
    "       tsct figure film EXP.h5 [--z Z] -o OUT.png\n"
    "       tsct figure plot TABLE.csv --x COL --y COL[,COL...] [--err COL[,COL...]] -o OUT.png\n"
    "       tsct figure all EXP.h5 -o DIR [--composite NAME[:COLOUR],...]\n"
    "\n"
    "PNG figures (docs/figures.md). map: one map of /entry/maps at a time step, with axes in\n"
    "mm (from the translation step), a colour bar and a scale bar. grid: the map at every time\n"
    "step, one colour scale. composite: several maps as additive colours with a legend (the\n"
    "BiVO4 study: BiVO4:red Bi:grey LiBi:blue Li3Bi:green). film: the mean reconstructed\n"
    "pattern of the sample (voxels above 5 %% of the largest total intensity) against time step.\n"
    "plot: columns of a CSV table (tsct coverage, tsct score) with error bars. all: a grid of\n"
    "every map, a composite per time step (--composite) and the film, into DIR.\n"
    "\n"
    "Options:\n"
    "      --map NAME            the map (/entry/maps/NAME)\n"
    "      --phase NAME[:COLOUR] a map of the composite; COLOUR red, green, blue, grey, yellow,\n"
    "                            magenta, cyan, orange or #rrggbb (default: in that order)\n"
    "      --composite LIST      with all: the composite's --phase values, comma-separated\n"
    "      --t T                 time step (default 0)\n"
    "      --z Z                 slice (default 0)\n"
    "      --x COL, --y COLS     plot: the columns (names of the CSV header)\n"
    "      --err COLS            plot: error bar columns, one per --y column\n"
    "      --where COL=VALUE     plot: only rows whose COL is VALUE (e.g. phase=BiVO4)\n"
    "      --cmap C              viridis (default), magma, greys\n"
    "      --vmin V, --vmax V    colour limits (default: 1st and 99th percentiles)\n"
    "      --size WxH            figure size in pixels (default 720x600)\n"
    "      --title TEXT          title\n"
    "      --label TEXT          colour bar or y axis label\n"
    "  -o, --output PATH         the PNG file (or folder for all)\n";

struct fig_opts {
    const char *kind, *input, *output, *map, *x, *y, *errs, *where, *composite;
    const char *phase[16];
    int nphase;
    int64_t t, z;
    tsct_figure_params p;
};

static int parse(tsct_cli *cli, int argc, char **argv, struct fig_opts *o)
{
    enum { O_MAP = 1000, O_PHASE, O_COMP, O_T, O_Z, O_X, O_Y, O_ERR, O_WHERE, O_CMAP, O_VMIN,
           O_VMAX, O_SIZE, O_TITLE, O_LABEL };
    static const struct option longopts[] = {
        {"map", required_argument, NULL, O_MAP},      {"phase", required_argument, NULL, O_PHASE},
        {"composite", required_argument, NULL, O_COMP}, {"t", required_argument, NULL, O_T},
        {"z", required_argument, NULL, O_Z},          {"x", required_argument, NULL, O_X},
        {"y", required_argument, NULL, O_Y},          {"err", required_argument, NULL, O_ERR},
        {"where", required_argument, NULL, O_WHERE},  {"cmap", required_argument, NULL, O_CMAP},
        {"vmin", required_argument, NULL, O_VMIN},    {"vmax", required_argument, NULL, O_VMAX},
        {"size", required_argument, NULL, O_SIZE},    {"title", required_argument, NULL, O_TITLE},
        {"label", required_argument, NULL, O_LABEL},  {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
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
        case O_T:
        case O_Z:
            if (tsct_cli_parse_int64(optarg, ch == O_T ? &o->t : &o->z) != 0 ||
                (ch == O_T ? o->t : o->z) < 0)
                return tsct_cli_usage_error(cli, "--%s expects an index >= 0, got '%s'",
                                            ch == O_T ? "t" : "z", optarg);
            break;
        case O_X: o->x = optarg; break;
        case O_Y: o->y = optarg; break;
        case O_ERR: o->errs = optarg; break;
        case O_WHERE: o->where = optarg; break;
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
            break;
        case O_TITLE: o->p.title = optarg; break;
        case O_LABEL: o->p.label = optarg; break;
        case 'o': o->output = optarg; break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return tsct_cli_usage_error(cli, "expected KIND and an input (see usage)");
    o->kind = argv[optind];
    o->input = argv[optind + 1];
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

/* "t = 3" or "t = 3, 412 mAh/g, 0.80 V" when the electrochemistry is there. */
static void step_title(tsct_container *c, int64_t t, char *buf, size_t size)
{
    double *cap = NULL, *volt = NULL;
    int64_t nc = 0, nv = 0;
    snprintf(buf, size, "t = %lld", (long long)t);
    if (tsct_container_exists(c, "/entry/echem/tomogram_capacity") &&
        tsct_container_read_vector(c, "/entry/echem/tomogram_capacity", &cap, &nc, NULL) ==
            TSCT_OK &&
        t < nc) {
        int n = (int)strlen(buf);
        snprintf(buf + n, size - (size_t)n, ", %.0f mAh/g", cap[t]);
        if (tsct_container_exists(c, "/entry/echem/tomogram_voltage") &&
            tsct_container_read_vector(c, "/entry/echem/tomogram_voltage", &volt, &nv, NULL) ==
                TSCT_OK &&
            t < nv) {
            n = (int)strlen(buf);
            snprintf(buf + n, size - (size_t)n, ", %.2f V", volt[t]);
        }
    }
    free(cap);
    free(volt);
}

static int parse_colour(const char *s, double rgb[3])
{
    static const struct {
        const char *name;
        double rgb[3];
    } named[] = {{"red", {0.9, 0.1, 0.1}},     {"green", {0.1, 0.8, 0.1}},
                 {"blue", {0.15, 0.35, 1.0}},  {"grey", {0.6, 0.6, 0.6}},
                 {"yellow", {0.9, 0.9, 0.1}},  {"magenta", {0.9, 0.1, 0.9}},
                 {"cyan", {0.1, 0.9, 0.9}},    {"orange", {1.0, 0.55, 0.0}}};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strcmp(s, named[i].name) == 0) {
            memcpy(rgb, named[i].rgb, sizeof named[i].rgb);
            return 0;
        }
    unsigned r, g, b;
    if (s[0] == '#' && strlen(s) == 7 && sscanf(s + 1, "%2x%2x%2x", &r, &g, &b) == 3) {
        rgb[0] = r / 255.0, rgb[1] = g / 255.0, rgb[2] = b / 255.0;
        return 0;
    }
    return -1;
}

static const char *const default_colours[] = {"red", "grey", "blue", "green",
                                              "yellow", "magenta", "cyan", "orange"};

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
        if (parse_colour(colon ? colon + 1 : default_colours[i % 8], rgb[i]) != 0) {
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
            step_title(c, t, title, sizeof title);
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
        step_title(c, t, titles[t], sizeof titles[t]);
        tp[t] = titles[t];
    }
    tsct_figure_params p = o->p;
    p.pixel_mm = voxel_mm(c);
    p.title = p.title ? p.title : map;
    if (st == TSCT_OK)
        st = tsct_figure_grid(m, (int)nt, 0, tp, ny, nx, &p, out, err);
    free(titles);
    free(tp);
    free(m);
    return st;
}

/* The mean reconstructed pattern of the sample voxels against time step. */
static tsct_status film(tsct_container *c, const struct fig_opts *o, const char *out,
                        tsct_error *err)
{
    tsct_dataset *d = NULL;
    TSCT_TRY(tsct_dataset_open(c, TSCT_PATH_RECON, &d, err));
    int64_t s[8] = {0};
    double *q = NULL;
    int64_t nq = 0;
    float *row = NULL, *img = NULL, *tot = NULL;
    tsct_status st = TSCT_OK;
    if (tsct_dataset_shape(d, s) != 5 || o->z >= s[1])
        st = tsct_error_set(err, TSCT_ERR_SHAPE, o->input, TSCT_PATH_RECON, o->z,
                            "expected [nt][nz][ny][nx][nq] with slice %lld", (long long)o->z);
    if (st == TSCT_OK)
        st = tsct_container_read_vector(c, TSCT_PATH_RECON_Q, &q, &nq, err);
    const int64_t nt = s[0], ny = s[2], nx = s[3];
    if (st == TSCT_OK && nq != s[4])
        st = tsct_error_set(err, TSCT_ERR_SHAPE, o->input, TSCT_PATH_RECON_Q, -1, "length");
    if (st == TSCT_OK && (!(row = malloc((size_t)(nx * nq) * sizeof *row)) ||
                          !(img = calloc((size_t)(nt * nq), sizeof *img)) ||
                          !(tot = malloc((size_t)(ny * nx) * sizeof *tot))))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "film", -1, "buffers");
    for (int64_t t = 0; st == TSCT_OK && t < nt; t++) {
        /* Two passes over the slice: totals, then the mean of the voxels above 5 %. */
        double top = 0;
        for (int pass = 0; pass < 2 && st == TSCT_OK; pass++) {
            int64_t count = 0;
            for (int64_t y = 0; y < ny && st == TSCT_OK; y++) {
                int64_t lead[3] = {t, o->z, y};
                st = tsct_dataset_read_row(d, lead, row, err);
                for (int64_t x = 0; st == TSCT_OK && x < nx; x++) {
                    const float *pat = row + x * nq;
                    if (pass == 0) {
                        double sum = 0;
                        for (int64_t k = 0; k < nq; k++)
                            sum += isfinite(pat[k]) ? pat[k] : 0;
                        tot[y * nx + x] = (float)sum;
                        top = sum > top ? sum : top;
                    } else if (tot[y * nx + x] > 0.05 * top) {
                        count++;
                        for (int64_t k = 0; k < nq; k++)
                            img[t * nq + k] += isfinite(pat[k]) ? pat[k] : 0;
                    }
                }
            }
            if (pass == 1 && count > 0)
                for (int64_t k = 0; k < nq; k++)
                    img[t * nq + k] /= (float)count;
        }
    }
    if (st == TSCT_OK) {
        tsct_figure_params p = o->p;
        p.x0 = q[0], p.x1 = q[nq - 1], p.y0 = nt - 0.5, p.y1 = -0.5;
        p.xlabel = p.xlabel ? p.xlabel : "q (1/A)";
        p.ylabel = p.ylabel ? p.ylabel : "time step";
        p.label = p.label ? p.label : "mean intensity of the sample voxels";
        p.title = p.title ? p.title : "reconstructed pattern over time";
        st = tsct_figure_map(img, nt, nq, &p, out, err);
    }
    tsct_dataset_close(d);
    free(q);
    free(row);
    free(img);
    free(tot);
    return st;
}

/* ---- CSV tables --------------------------------------------------------------------------- */

static int split(char *s, char **fields, int max)
{
    int n = 0;
    for (char *save = NULL, *f = strtok_r(s, ",\n\r", &save); f && n < max;
         f = strtok_r(NULL, ",\n\r", &save))
        fields[n++] = f;
    return n;
}

static tsct_status plot(const struct fig_opts *o, tsct_error *err)
{
    if (!o->x || !o->y)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "plot", -1, "needs --x and --y");
    FILE *f = fopen(o->input, "r");
    if (!f)
        return tsct_error_set(err, TSCT_ERR_IO, o->input, NULL, -1, "cannot open");
    char line[8192], ybuf[1024], ebuf[1024], wbuf[256];
    char *head[64], *ycol[8], *ecol[8];
    int nh = 0, ny = 0, ne = 0;
    while (nh == 0 && fgets(line, sizeof line, f))
        if (line[0] != '#')
            nh = split(line, head, 64);
    /* head points into line: copy the names. */
    char names[64][64];
    for (int i = 0; i < nh; i++)
        snprintf(names[i], sizeof names[i], "%s", head[i]);
    snprintf(ybuf, sizeof ybuf, "%s", o->y);
    ny = split(ybuf, ycol, 8);
    if (o->errs) {
        snprintf(ebuf, sizeof ebuf, "%s", o->errs);
        ne = split(ebuf, ecol, 8);
    }
    const char *wcol = NULL, *wval = NULL;
    if (o->where) {
        snprintf(wbuf, sizeof wbuf, "%s", o->where);
        char *eq = strchr(wbuf, '=');
        if (eq)
            *eq = '\0', wcol = wbuf, wval = eq + 1;
    }
    int xi = -1, yi[8], ei[8], wi = -1;
    tsct_status st = TSCT_OK;
    for (int i = 0; i < nh; i++) {
        if (strcmp(names[i], o->x) == 0)
            xi = i;
        if (wcol && strcmp(names[i], wcol) == 0)
            wi = i;
    }
    for (int j = 0; j < ny; j++) {
        yi[j] = ei[j] = -1;
        for (int i = 0; i < nh; i++) {
            if (strcmp(names[i], ycol[j]) == 0)
                yi[j] = i;
            if (j < ne && strcmp(names[i], ecol[j]) == 0)
                ei[j] = i;
        }
        if (yi[j] < 0 || (j < ne && ei[j] < 0))
            st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, o->input, yi[j] < 0 ? ycol[j] : ecol[j],
                                -1, "no such column in the header");
    }
    if (st == TSCT_OK && (xi < 0 || (wcol && wi < 0)))
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, o->input, xi < 0 ? o->x : wcol, -1,
                            "no such column in the header");
    double *x = NULL, *y[8] = {0}, *e[8] = {0};
    int64_t n = 0, cap = 0;
    while (st == TSCT_OK && fgets(line, sizeof line, f)) {
        char *fld[64];
        if (line[0] == '#')
            continue;
        int nf = split(line, fld, 64);
        if (nf != nh)
            continue;
        if (wi >= 0 && strcmp(fld[wi], wval) != 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            x = realloc(x, (size_t)cap * sizeof *x);
            for (int j = 0; j < ny; j++) {
                y[j] = realloc(y[j], (size_t)cap * sizeof *y[j]);
                e[j] = realloc(e[j], (size_t)cap * sizeof *e[j]);
            }
        }
        x[n] = strtod(fld[xi], NULL);
        for (int j = 0; j < ny; j++) {
            y[j][n] = strtod(fld[yi[j]], NULL);
            e[j][n] = j < ne ? strtod(fld[ei[j]], NULL) : NAN;
        }
        n++;
    }
    fclose(f);
    if (st == TSCT_OK && n == 0)
        st = tsct_error_set(err, TSCT_ERR_VALUE, o->input, NULL, -1, "no data rows%s%s",
                            o->where ? " where " : "", o->where ? o->where : "");
    if (st == TSCT_OK) {
        tsct_figure_params p = o->p;
        p.xlabel = p.xlabel ? p.xlabel : o->x;
        p.ylabel = p.ylabel ? p.ylabel : (p.label ? p.label : (ny == 1 ? ycol[0] : NULL));
        const double *yy[8], *ee[8];
        const char *nm[8];
        for (int j = 0; j < ny; j++)
            yy[j] = y[j], ee[j] = e[j], nm[j] = ycol[j];
        st = tsct_figure_lines(x, n, yy, ne ? ee : NULL, ny, ny > 1 ? nm : NULL, &p, o->output,
                               err);
    }
    free(x);
    for (int j = 0; j < 8; j++) {
        free(y[j]);
        free(e[j]);
    }
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

static tsct_status all(tsct_cli *cli, tsct_container *c, const struct fig_opts *o,
                       tsct_error *err)
{
    if (mkdir(o->output, 0777) != 0 && errno != EEXIST)
        return tsct_error_set(err, TSCT_ERR_IO, o->output, NULL, -1, "cannot create the folder");
    struct map_list l = {0};
    if (!tsct_container_exists(c, TSCT_PATH_MAPS))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, o->input, TSCT_PATH_MAPS, -1,
                              "no maps to draw (run tsct map first)");
    TSCT_TRY(tsct_container_walk(c, TSCT_PATH_MAPS, collect_maps, &l, err));
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
    if (tsct_container_exists(c, TSCT_PATH_RECON)) {
        snprintf(path, sizeof path, "%s/film.png", o->output);
        TSCT_TRY(film(c, o, path, err));
        made++;
    }
    tsct_log_msg(&cli->log, TSCT_LOG_INFO, "%d figure(s) written to %s", made, o->output);
    return TSCT_OK;
}

int tsct_cmd_figure(tsct_cli *cli, int argc, char **argv)
{
    struct fig_opts o = {0};
    int rc = parse(cli, argc, argv, &o);
    if (rc >= 0)
        return rc;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st;
    if (strcmp(o.kind, "plot") == 0) {
        st = plot(&o, &err);
        return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
    }
    static const char *const kinds[] = {"map", "grid", "composite", "film", "all", NULL};
    int known = 0;
    for (int i = 0; kinds[i]; i++)
        known |= strcmp(o.kind, kinds[i]) == 0;
    if (!known)
        return tsct_cli_usage_error(cli, "unknown kind '%s' (map, grid, composite, film, plot, "
                                    "all)", o.kind);
    if ((strcmp(o.kind, "map") == 0 || strcmp(o.kind, "grid") == 0) && !o.map)
        return tsct_cli_usage_error(cli, "%s needs --map NAME", o.kind);
    if (strcmp(o.kind, "composite") == 0 && o.nphase == 0)
        return tsct_cli_usage_error(cli, "composite needs --phase NAME[:COLOUR]");
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
                step_title(c, o.t, when, sizeof when);
                snprintf(title, sizeof title, "%s, %s", o.map, when);
                tsct_figure_params p = o.p;
                p.pixel_mm = voxel_mm(c);
                p.title = p.title ? p.title : title;
                st = tsct_figure_map(m + o.t * ny * nx, ny, nx, &p, o.output, &err);
            }
            free(m);
        } else if (strcmp(o.kind, "grid") == 0) {
            st = grid(c, &o, o.map, o.output, &err);
        } else if (strcmp(o.kind, "composite") == 0) {
            st = composite(c, &o, o.phase, o.nphase, o.t, o.output, &err);
        } else if (strcmp(o.kind, "film") == 0) {
            st = film(c, &o, o.output, &err);
        } else {
            st = all(cli, c, &o, &err);
        }
    }
    tsct_container_close(c, NULL);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
