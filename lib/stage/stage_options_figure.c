/* stage_options_figure.c - the options of the figure stage (tsct_stage_figure_params) as keys
 * and values, for the option layer of stage_options.c: `tsct figure` parses its command line
 * through them and the [figures] step of `tsct run` its section, so both take the same words
 * with the same checks and messages. The figure's kind and inputs are positional on the
 * command line and set by the caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/figure.h"
#include "tsct/stage.h"

const tsct_stage_option tsct__stage_figure_options[] = {
    {"map", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME: the map (/entry/maps/NAME)"},
    {"phase", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME[:COLOUR]: a map of the composite"},
    {"composite", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "LIST: with all, the composite's phases"},
    {"t", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "T: time step (patterns: a list T,T,...)"},
    {"z", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "Z: slice (default 0)"},
    {"x", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "COL: plot's x column; fit's x axis"},
    {"y", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "COLS: plot's y columns; film's y axis"},
    {"err", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "COLS: plot's error bar columns"},
    {"where", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "COL=VALUE: plot only these rows"},
    {"split", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "COL: plot one curve per value of COL"},
    {"cmap", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "viridis | magma | greys | diverging"},
    {"vmin", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "V: lower colour limit"},
    {"vmax", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "V: upper colour limit"},
    {"size", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "WxH: figure size in pixels"},
    {"title", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "TEXT: title"},
    {"label", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "TEXT: colour bar or y axis label"},
    {"output", 'o', TSCT_STAGE_OPTION_VALUE, 1, 0, "PATH: the PNG file (a folder for all)"},
    {"region", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME: film, patterns of a region"},
    {"source", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "pattern | pdf | dpdf: film, patterns"},
    {"no-echem", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "film: no voltage panel"},
    {"range", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "A:B: film, patterns: x from A to B"},
    {"ticks", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME=FILE.cif[:COLOUR],...: tick rows"},
    {"wavelength", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "A: patterns' tick limit"},
    {"offset", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "F: patterns: curve i up by i F"},
    {"fit", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME: /entry/fits/NAME"},
    {"param", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "P: fit's parameter (e.g. position_1)"},
    {"voxel", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "I,K: fit of one voxel"},
    {"poni", 0, TSCT_STAGE_OPTION_VALUE, 1, 0, "FILE: image: a detector frame's geometry"},
    {"mask", 0, TSCT_STAGE_OPTION_VALUE, 1, 0, "FILE: image with --poni: mask image"},
    {"calibrant", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "C: image with --poni: calibrant rings"},
    {"log", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "image: log10(max(v, 0) + 1)"},
    {NULL, 0, 0, 0, 0, NULL}};

/* "A:B" with A < B. */
static int parse_range(const char *s, double r[2])
{
    char a[64];
    const char *colon = strchr(s, ':');
    if (!colon || colon - s >= 64)
        return -1;
    snprintf(a, sizeof a, "%.*s", (int)(colon - s), s);
    return tsct_stage_parse_double(a, &r[0]) != 0 ||
                   tsct_stage_parse_double(colon + 1, &r[1]) != 0 || !(r[0] < r[1])
               ? -1
               : 0;
}

/* One index, or (patterns) a comma list T,T,... */
static tsct_status time_steps(const char *v, tsct_stage_figure_params *o, tsct_error *err)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", v);
    o->nsteps = 0;
    for (char *save = NULL, *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        int64_t t;
        if (o->nsteps == TSCT_STAGE_FIGURE_MAX_STEPS)
            return tsct__stage_refuse(err, "t", "--t: at most %d time steps",
                                      TSCT_STAGE_FIGURE_MAX_STEPS);
        if (tsct_stage_parse_int64(s, &t) != 0 || t < 0)
            return tsct__stage_refuse(err, "t", "--t expects an index >= 0 (or a list T,T,...), "
                                      "got '%s'", v);
        o->steps[o->nsteps++] = t;
    }
    if (o->nsteps == 0)
        return tsct__stage_refuse(err, "t", "--t expects an index >= 0, got '%s'", v);
    o->t = o->steps[0];
    return TSCT_OK;
}

/* "I,K": row, column >= 0. */
static tsct_status voxel(const char *v, tsct_stage_figure_params *o, tsct_error *err)
{
    char a[64];
    const char *comma = strchr(v, ',');
    if (!comma || comma - v >= 64 ||
        (snprintf(a, sizeof a, "%.*s", (int)(comma - v), v),
         tsct_stage_parse_int64(a, &o->voxel[0]) != 0) ||
        tsct_stage_parse_int64(comma + 1, &o->voxel[1]) != 0 || o->voxel[0] < 0 ||
        o->voxel[1] < 0)
        return tsct__stage_refuse(err, "voxel", "--voxel expects I,K (row, column >= 0), got "
                                  "'%s'", v);
    o->have_voxel = 1;
    return TSCT_OK;
}

tsct_status tsct__stage_figure_set(void *params, const char *k, const char *v, tsct_error *err)
{
    tsct_stage_figure_params *o = params;
    tsct_error e = TSCT_ERROR_INIT;
    if (strcmp(k, "map") == 0) {
        o->map = v;
    } else if (strcmp(k, "phase") == 0) {
        if (o->nphase == TSCT_STAGE_FIGURE_MAX_PHASES)
            return tsct__stage_refuse(err, k, "at most %d --phase", TSCT_STAGE_FIGURE_MAX_PHASES);
        o->phase[o->nphase++] = v;
    } else if (strcmp(k, "composite") == 0) {
        o->composite = v;
    } else if (strcmp(k, "t") == 0) {
        return time_steps(v, o, err);
    } else if (strcmp(k, "z") == 0) {
        if (tsct_stage_parse_int64(v, &o->z) != 0 || o->z < 0)
            return tsct__stage_refuse(err, k, "--z expects an index >= 0, got '%s'", v);
    } else if (strcmp(k, "x") == 0) {
        o->x = v;
    } else if (strcmp(k, "y") == 0) {
        o->y = v;
    } else if (strcmp(k, "err") == 0) {
        o->errs = v;
    } else if (strcmp(k, "where") == 0) {
        o->where = v;
    } else if (strcmp(k, "split") == 0) {
        o->split = v;
    } else if (strcmp(k, "cmap") == 0) {
        if (tsct_colormap_parse(v, &o->p.cmap, &e) != TSCT_OK)
            return tsct__stage_refuse(err, k, "--cmap: %s", e.message);
    } else if (strcmp(k, "vmin") == 0 || strcmp(k, "vmax") == 0) {
        if (tsct_stage_parse_double(v, k[1] == 'm' && k[2] == 'i' ? &o->p.vmin : &o->p.vmax))
            return tsct__stage_refuse(err, k, "--vmin/--vmax expect a number, got '%s'", v);
    } else if (strcmp(k, "size") == 0) {
        char tail;
        if (sscanf(v, "%dx%d%c", &o->p.width, &o->p.height, &tail) != 2)
            return tsct__stage_refuse(err, k, "--size expects WxH, got '%s'", v);
        o->have_size = 1;
    } else if (strcmp(k, "title") == 0) {
        o->p.title = v;
    } else if (strcmp(k, "label") == 0) {
        o->p.label = v;
    } else if (strcmp(k, "output") == 0) {
        o->output = v;
    } else if (strcmp(k, "region") == 0) {
        o->region = v;
    } else if (strcmp(k, "source") == 0) {
        o->source = strcmp(v, "pattern") == 0 ? TSCT_STAGE_FIGURE_SOURCE_PATTERN
                    : strcmp(v, "pdf") == 0   ? TSCT_STAGE_FIGURE_SOURCE_PDF
                    : strcmp(v, "dpdf") == 0  ? TSCT_STAGE_FIGURE_SOURCE_DPDF
                                              : TSCT_STAGE_FIGURE_SOURCE_DEFAULT;
        if (o->source == TSCT_STAGE_FIGURE_SOURCE_DEFAULT)
            return tsct__stage_refuse(err, k, "--source expects pattern, pdf or dpdf, got '%s'",
                                      v);
    } else if (strcmp(k, "no-echem") == 0) {
        o->no_echem = 1;
    } else if (strcmp(k, "range") == 0) {
        if (parse_range(v, o->range) != 0)
            return tsct__stage_refuse(err, k, "--range expects A:B with A < B, got '%s'", v);
        o->have_range = 1;
    } else if (strcmp(k, "ticks") == 0) {
        if (o->nticks == TSCT_STAGE_FIGURE_MAX_TICKS)
            return tsct__stage_refuse(err, k, "at most %d --ticks", TSCT_STAGE_FIGURE_MAX_TICKS);
        o->ticks[o->nticks++] = v;
    } else if (strcmp(k, "wavelength") == 0) {
        if (tsct_stage_parse_double(v, &o->wavelength) != 0 || !(o->wavelength > 0))
            return tsct__stage_refuse(err, k, "--wavelength expects Angstrom > 0, got '%s'", v);
    } else if (strcmp(k, "offset") == 0) {
        if (tsct_stage_parse_double(v, &o->offset) != 0)
            return tsct__stage_refuse(err, k, "--offset expects a number, got '%s'", v);
    } else if (strcmp(k, "fit") == 0) {
        o->fit = v;
    } else if (strcmp(k, "param") == 0) {
        o->param = v;
    } else if (strcmp(k, "voxel") == 0) {
        return voxel(v, o, err);
    } else if (strcmp(k, "poni") == 0) {
        o->poni = v;
    } else if (strcmp(k, "mask") == 0) {
        o->mask = v;
    } else if (strcmp(k, "calibrant") == 0) {
        o->calibrant = v;
    } else if (strcmp(k, "log") == 0) {
        o->log_scale = 1;
    }
    return TSCT_OK;
}

const char *const tsct__stage_figure_kinds[] = {"map",  "grid",     "composite", "film",
                                                "patterns", "fit", "plot", "all", "image", NULL};

static int is_container_path(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    return dot && (strcmp(dot, ".h5") == 0 || strcmp(dot, ".hdf5") == 0 ||
                   strcmp(dot, ".nxs") == 0 || strcmp(dot, ".hdf") == 0);
}

tsct_status tsct_stage_figure_kind_parse(const char *word, tsct_stage_figure_kind *kind,
                                         tsct_error *err)
{
    for (int k = 0; word && tsct__stage_figure_kinds[k]; k++)
        if (strcmp(word, tsct__stage_figure_kinds[k]) == 0) {
            *kind = (tsct_stage_figure_kind)k;
            return TSCT_OK;
        }
    return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "kind", -1, "unknown kind '%s' (map, "
                          "grid, composite, film, patterns, fit, plot, all, image)",
                          word ? word : "");
}

int tsct_stage_figure_input_is_container(const tsct_stage_figure_params *params)
{
    return params->kind != TSCT_STAGE_FIGURE_KIND_PLOT && is_container_path(params->input);
}

tsct_status tsct__stage_figure_check(const tsct_stage_figure_params *o, tsct_error *err)
{
    const char *kind = (unsigned)o->kind <= TSCT_STAGE_FIGURE_KIND_IMAGE
                           ? tsct__stage_figure_kinds[o->kind]
                           : "?";
    if (!o->output)
        return tsct__stage_refuse(err, "output", "missing -o");
    if ((o->kind == TSCT_STAGE_FIGURE_KIND_MAP || o->kind == TSCT_STAGE_FIGURE_KIND_GRID) &&
        !o->map)
        return tsct__stage_refuse(err, "map", "%s needs --map NAME", kind);
    if (o->kind == TSCT_STAGE_FIGURE_KIND_COMPOSITE && o->nphase == 0)
        return tsct__stage_refuse(err, "phase", "composite needs --phase NAME[:COLOUR]");
    if (o->kind == TSCT_STAGE_FIGURE_KIND_FIT && !o->param)
        return tsct__stage_refuse(err, "param", "fit needs --param P (e.g. position_1)");
    if ((o->mask || o->calibrant) && !o->poni)
        return tsct__stage_refuse(err, "poni", "--mask and --calibrant need --poni (a detector "
                                  "frame)");
    if (o->nsteps > 1 && o->kind != TSCT_STAGE_FIGURE_KIND_PATTERNS)
        return tsct__stage_refuse(err, "t", "%s takes one time step --t T", kind);
    const int container = is_container_path(o->input);
    if (o->kind == TSCT_STAGE_FIGURE_KIND_PATTERNS && o->ninputs > 1 && container)
        return tsct__stage_refuse(err, "input", "patterns: one container, or text patterns");
    const int chosen = o->region || o->nsteps > 0 || o->source != TSCT_STAGE_FIGURE_SOURCE_DEFAULT;
    if (o->kind == TSCT_STAGE_FIGURE_KIND_PATTERNS && o->input && !container && chosen)
        return tsct__stage_refuse(err, "region", "patterns of text files take no --region, --t "
                                  "or --source");
    return TSCT_OK;
}
