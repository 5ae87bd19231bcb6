/* cmd_figure.c - `tsct figure`: the options of the figure stage (tsct_stage_figure in
 * include/tsct/stage.h, lib/stage/stage_figure*.c), which draws PNG figures of a container's
 * maps, composites, patterns over time, fitted parameters, and of tables.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/figure.h"
#include "tsct/stage.h"

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
    "       tsct figure image FILE [--log] -o OUT.png\n"
    "       tsct figure image FRAME --poni P.poni [--mask M] [--calibrant C] [--ticks PHASES]\n"
    "                   -o OUT.png\n"
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
    "image: a quick look at a file that is no container: an image (TIFF, EDF, CBF, npy,\n"
    "FILE.h5::/dataset; a plain `tsct recon` output OUT.h5 is its /data; [ny][nx][nc] is\n"
    "summed over channels), axes in pixels; with --poni, a detector frame: log10(counts + 1),\n"
    "the pixels `tsct integrate` masks (negative, the detector's module gaps, --mask) left\n"
    "out, and the rings of --calibrant (yellow) and of the --ticks phases at that geometry.\n"
    "\n"
    "Options:\n"
    "      --map NAME            the map (/entry/maps/NAME; refine/NAME/PHASE/PARAM: a map of\n"
    "                            tsct refine's /entry/refine, its unit on the colour bar)\n"
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
    "      --poni FILE           image: the input is a detector frame of this geometry\n"
    "      --mask FILE           image with --poni: mask image (non-zero = masked)\n"
    "      --calibrant C         image with --poni: rings of CeO2, LaB6, Si, ... or a .D or\n"
    "                            .cif file\n"
    "      --log                 image: log10(max(v, 0) + 1)\n"
    "      --cmap C              viridis (default), magma, greys, diverging (blue-white-red,\n"
    "                            limits symmetric about 0; the default of dpdf films and\n"
    "                            MAP_diff maps)\n"
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

enum { O_MAP = 1000, O_PHASE, O_COMP, O_T, O_Z, O_X, O_Y, O_ERR, O_WHERE, O_CMAP, O_VMIN,
       O_VMAX, O_SIZE, O_TITLE, O_LABEL, O_REGION, O_SOURCE, O_NOECHEM, O_RANGE, O_TICKS,
       O_WAVE, O_OFFSET, O_FIT, O_PARAM, O_VOXEL, O_SPLIT, O_PONI, O_MASK, O_CALIB, O_LOG };

/* One option ch with its value optarg into o; -1 when taken, else the usage error's code. */
static int parse_option(tsct_cli *cli, int ch, tsct_stage_figure_params *o)
{
    tsct_error err = TSCT_ERROR_INIT;
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
            if (o->nsteps == TSCT_STAGE_FIGURE_MAX_STEPS)
                return tsct_cli_usage_error(cli, "--t: at most %d time steps",
                                            TSCT_STAGE_FIGURE_MAX_STEPS);
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
        o->source = strcmp(optarg, "pattern") == 0 ? TSCT_STAGE_FIGURE_SOURCE_PATTERN
                    : strcmp(optarg, "pdf") == 0   ? TSCT_STAGE_FIGURE_SOURCE_PDF
                    : strcmp(optarg, "dpdf") == 0  ? TSCT_STAGE_FIGURE_SOURCE_DPDF
                                                   : TSCT_STAGE_FIGURE_SOURCE_DEFAULT;
        if (o->source == TSCT_STAGE_FIGURE_SOURCE_DEFAULT)
            return tsct_cli_usage_error(cli, "--source expects pattern, pdf or dpdf, got "
                                        "'%s'", optarg);
        break;
    case O_NOECHEM: o->no_echem = 1; break;
    case O_RANGE:
        if (parse_range(optarg, o->range) != 0)
            return tsct_cli_usage_error(cli, "--range expects A:B with A < B, got '%s'",
                                        optarg);
        o->have_range = 1;
        break;
    case O_TICKS:
        if (o->nticks == TSCT_STAGE_FIGURE_MAX_TICKS)
            return tsct_cli_usage_error(cli, "at most %d --ticks", TSCT_STAGE_FIGURE_MAX_TICKS);
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
    case O_PONI: o->poni = optarg; break;
    case O_MASK: o->mask = optarg; break;
    case O_CALIB: o->calibrant = optarg; break;
    case O_LOG: o->log_scale = 1; break;
    case 'o': o->output = optarg; break;
    }
    return -1;
}

/* The KIND and the inputs after the options. */
static const char *const kinds[] = {"map", "grid", "composite", "film", "patterns", "fit",
                                    "plot", "all", "image", NULL};

static int parse(tsct_cli *cli, int argc, char **argv, tsct_stage_figure_params *o)
{
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
        {"split", required_argument, NULL, O_SPLIT},  {"poni", required_argument, NULL, O_PONI},
        {"mask", required_argument, NULL, O_MASK},    {"log", no_argument, NULL, O_LOG},
        {"calibrant", required_argument, NULL, O_CALIB}, {NULL, 0, NULL, 0},
    };
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
        if (ch == ':')
            return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        if (ch == '?')
            return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        int rc = parse_option(cli, ch, o);
        if (rc >= 0)
            return rc;
    }
    if (argc - optind < 2)
        return tsct_cli_usage_error(cli, "expected KIND and an input (see usage)");
    const char *kind = argv[optind];
    int k = 0;
    while (kinds[k] && strcmp(kind, kinds[k]) != 0)
        k++;
    o->input = argv[optind + 1];
    o->ninputs = argc - optind - 1;
    if (o->ninputs > 1 && strcmp(kind, "patterns") != 0)
        return tsct_cli_usage_error(cli, "%s takes one input, got %d", kind, o->ninputs);
    if (o->ninputs > TSCT_STAGE_FIGURE_MAX_INPUTS)
        return tsct_cli_usage_error(cli, "at most %d inputs", TSCT_STAGE_FIGURE_MAX_INPUTS);
    for (int i = 0; i < o->ninputs; i++)
        o->inputs[i] = argv[optind + 1 + i];
    if (!o->output)
        return tsct_cli_usage_error(cli, "missing -o");
    if (!kinds[k])
        return tsct_cli_usage_error(cli, "unknown kind '%s' (map, grid, composite, film, "
                                    "patterns, fit, plot, all, image)", kind);
    o->kind = (tsct_stage_figure_kind)k;
    return -1;
}

static int is_container_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (strcmp(dot, ".h5") == 0 || strcmp(dot, ".hdf5") == 0 ||
                   strcmp(dot, ".nxs") == 0 || strcmp(dot, ".hdf") == 0);
}

/* The usage errors of one kind's options (the stage checks them again, as errors). */
static int check(tsct_cli *cli, const tsct_stage_figure_params *o)
{
    const char *kind = kinds[o->kind];
    if ((o->kind == TSCT_STAGE_FIGURE_KIND_MAP || o->kind == TSCT_STAGE_FIGURE_KIND_GRID) &&
        !o->map)
        return tsct_cli_usage_error(cli, "%s needs --map NAME", kind);
    if (o->kind == TSCT_STAGE_FIGURE_KIND_COMPOSITE && o->nphase == 0)
        return tsct_cli_usage_error(cli, "composite needs --phase NAME[:COLOUR]");
    if (o->kind == TSCT_STAGE_FIGURE_KIND_FIT && !o->param)
        return tsct_cli_usage_error(cli, "fit needs --param P (e.g. position_1)");
    if ((o->mask || o->calibrant) && !o->poni)
        return tsct_cli_usage_error(cli, "--mask and --calibrant need --poni (a detector frame)");
    if (o->nsteps > 1 && o->kind != TSCT_STAGE_FIGURE_KIND_PATTERNS)
        return tsct_cli_usage_error(cli, "%s takes one time step --t T", kind);
    const int container = is_container_path(o->input);
    if (o->kind == TSCT_STAGE_FIGURE_KIND_PATTERNS && o->ninputs > 1 && container)
        return tsct_cli_usage_error(cli, "patterns: one container, or text patterns");
    const int chosen = o->region || o->nsteps > 0 || o->source != TSCT_STAGE_FIGURE_SOURCE_DEFAULT;
    if (o->kind == TSCT_STAGE_FIGURE_KIND_PATTERNS && !container && chosen)
        return tsct_cli_usage_error(cli, "patterns of text files take no --region, --t "
                                    "or --source");
    return -1;
}

int tsct_cmd_figure(tsct_cli *cli, int argc, char **argv)
{
    tsct_stage_figure_params o = TSCT_STAGE_FIGURE_PARAMS_DEFAULT;
    int rc = parse(cli, argc, argv, &o);
    if (rc < 0)
        rc = check(cli, &o);
    if (rc >= 0)
        return rc;
    if (is_container_path(o.input) && o.kind != TSCT_STAGE_FIGURE_KIND_PLOT)
        tsct_cli_guard_file(o.input);
    tsct_stage_ctx ctx = TSCT_STAGE_CTX_DEFAULT;
    ctx.log = &cli->log;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = tsct_stage_figure(&o, &ctx, &err);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
