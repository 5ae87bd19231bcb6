/* stage_figure.c - the figure stage: PNG figures of a container's maps, composites, patterns
 * over time, fitted parameters, and of tables (coverage, fits), drawn by lib/figure. This file
 * holds the maps, grids, composites, `all` and the call that picks a kind;
 * stage_figure_series.c the film plots, patterns with reflection ticks and fitted parameters;
 * stage_figure_plot.c what both use and the CSV line plots; stage_figure_image.c the quick
 * looks at image files and detector frames.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stage_figure_internal.h"
#include "stage_internal.h"
#include "tsct/echem.h"
#include "tsct/log.h"
#include "tsct/maps.h"

/* ---- reading the container ---------------------------------------------------------------- */

/* /entry/maps/NAME at slice z: all time steps [nt][ny][nx] (caller frees). */
static tsct_status read_map(tsct_container *c, const char *path, const char *name, int64_t z,
                            float **out, int64_t *nt, int64_t *ny, int64_t *nx, tsct_error *err)
{
    char p[300];
    tsct_dataset *d = NULL;
    int64_t s[8] = {0};
    TSCT_TRY(tsct__stage_map_open(c, path, name, p, sizeof p, &d, s, err));
    tsct_status st = TSCT_OK;
    if (z >= s[1])
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

/* The colour map of a map: the diverging one for a difference map (MAP_diff, written by
 * tsct coverage --difference) unless another than the default was chosen. */
static tsct_colormap map_cmap(const char *name, tsct_colormap chosen)
{
    const size_t n = strlen(name);
    const int diff = n > 5 && strcmp(name + n - 5, "_diff") == 0;
    return diff && chosen == TSCT_CMAP_VIRIDIS ? TSCT_CMAP_DIVERGING : chosen;
}

/* The colour bar's label of a map: the first clause of its `method` attribute (what tsct map,
 * coverage or fit wrote), e.g. "peak area 1.29-1.42 of I(q)", "total intensity",
 * "phase weight (unmixing)"; "" if there is none. */
static void map_label(tsct_container *c, const char *name, char *buf, size_t size)
{
    char path[300], m[1024] = "";
    snprintf(path, sizeof path, TSCT_PATH_MAPS "/%s", name);
    buf[0] = '\0';
    if (strncmp(name, "refine/", 7) == 0) {
        /* a refined parameter: "PHASE PARAM (UNITS)", e.g. "NMC111 a (A)" */
        const char *param = strrchr(name, '/') + 1, *comp = param - 1;
        while (comp > name + 7 && comp[-1] != '/')
            comp--;
        snprintf(path, sizeof path, TSCT_STAGE_REFINE_PATH "/%s", name + 7);
        if (tsct_container_get_attr_string(c, path, "units", m, sizeof m, NULL) != TSCT_OK)
            m[0] = '\0';
        snprintf(buf, size, "%.*s %.40s%s%.20s%s", (int)(param - 1 - comp), comp, param,
                 m[0] ? " (" : "", m, m[0] ? ")" : "");
        return;
    }
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
static tsct_status composite(tsct_container *c, const tsct_stage_figure_params *o,
                             const char *const *spec, int n, int64_t t, const char *out,
                             tsct_error *err)
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
static tsct_status grid(tsct_container *c, const tsct_stage_figure_params *o, const char *map,
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
    p.cmap = map_cmap(map, p.cmap);
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

static tsct_status all(tsct_container *c, const tsct_stage_figure_params *o,
                       const tsct_stage_ctx *ctx, tsct_error *err)
{
    TSCT_TRY(tsct__stage_output_dir(o->output, "-o", err));
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
    tsct_stage_figure_params fo = *o;
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
            fo.source = TSCT_STAGE_FIGURE_SOURCE_PATTERN;
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
    tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%d figure(s) written to %s", made, o->output);
    return TSCT_OK;
}

static int is_container_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (strcmp(dot, ".h5") == 0 || strcmp(dot, ".hdf5") == 0 ||
                   strcmp(dot, ".nxs") == 0 || strcmp(dot, ".hdf") == 0);
}

/* MAP: one time step of one map, with its unit and the state of charge in the title. */
static tsct_status one_map(tsct_container *c, const tsct_stage_figure_params *o, tsct_error *err)
{
    float *m = NULL;
    int64_t nt, ny, nx;
    tsct_status st = read_map(c, o->input, o->map, o->z, &m, &nt, &ny, &nx, err);
    if (st == TSCT_OK && o->t >= nt)
        st = tsct_error_set(err, TSCT_ERR_VALUE, o->input, "--t", o->t,
                            "the map has %lld time steps", (long long)nt);
    if (st == TSCT_OK) {
        char title[300], when[200];
        tsct__figure_step_title(c, o->t, when, sizeof when);
        snprintf(title, sizeof title, "%s, %s", o->map, when);
        tsct_figure_params p = o->p;
        p.cmap = map_cmap(o->map, p.cmap);
        p.pixel_mm = voxel_mm(c);
        p.title = p.title ? p.title : title;
        char label[128];
        map_label(c, o->map, label, sizeof label);
        p.label = p.label ? p.label : label[0] ? label : NULL;
        st = tsct_figure_map(m + o->t * ny * nx, ny, nx, &p, o->output, err);
    }
    free(m);
    return st;
}

/* What a kind needs that the parameters do not have. */
static tsct_status check_params(const tsct_stage_figure_params *o, int container, tsct_error *err)
{
    const tsct_stage_figure_kind k = o->kind;
    const char *why = NULL;
    if ((unsigned)k > TSCT_STAGE_FIGURE_KIND_IMAGE)
        why = "unknown figure kind";
    else if (!o->input || !o->output)
        why = "an input and an output are required";
    else if ((k == TSCT_STAGE_FIGURE_KIND_MAP || k == TSCT_STAGE_FIGURE_KIND_GRID) && !o->map)
        why = "a map name is required";
    else if (k == TSCT_STAGE_FIGURE_KIND_COMPOSITE &&
             (o->nphase <= 0 || o->nphase > TSCT_STAGE_FIGURE_MAX_PHASES))
        why = "a composite needs 1 to 16 phases";
    else if (k == TSCT_STAGE_FIGURE_KIND_FIT && !o->param)
        why = "a fit figure needs a parameter (e.g. position_1)";
    else if (o->t < 0 || o->z < 0 || o->ninputs < 0 || o->ninputs > TSCT_STAGE_FIGURE_MAX_INPUTS ||
             o->nsteps < 0 || o->nsteps > TSCT_STAGE_FIGURE_MAX_STEPS || o->nticks < 0 ||
             o->nticks > TSCT_STAGE_FIGURE_MAX_TICKS)
        why = "a time step, slice or count out of range";
    else if (!tsct__figure_source_name(o->source))
        why = "unknown source (pattern, pdf or dpdf)";
    else if (k == TSCT_STAGE_FIGURE_KIND_PATTERNS && o->ninputs > 1 && container)
        why = "patterns: one container, or text patterns";
    if (why)
        return tsct_error_set(err, TSCT_ERR_VALUE, o->input, NULL, -1, "%s", why);
    return TSCT_OK;
}

tsct_status tsct_stage_figure(const tsct_stage_figure_params *params, const tsct_stage_ctx *ctx,
                              tsct_error *err)
{
    if (!params)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, NULL, -1, "no parameters");
    tsct_stage_ctx none = TSCT_STAGE_CTX_DEFAULT;
    ctx = ctx ? ctx : &none;
    tsct_stage_figure_params o = *params;
    if (o.ninputs == 0 && o.input)
        o.inputs[o.ninputs++] = o.input;
    const int container = o.input && is_container_path(o.input);
    TSCT_TRY(check_params(&o, container, err));
    if (o.kind == TSCT_STAGE_FIGURE_KIND_PLOT)
        return tsct__figure_plot(&o, err);
    if (o.kind == TSCT_STAGE_FIGURE_KIND_IMAGE)
        return tsct__figure_image(&o, err);
    if (o.kind == TSCT_STAGE_FIGURE_KIND_FIT && !container)
        return tsct__figure_fit_table(&o, err);
    if (o.kind == TSCT_STAGE_FIGURE_KIND_PATTERNS && !container)
        return tsct__figure_patterns(NULL, &o, NULL, o.output, err);
    tsct_container *c = NULL;
    TSCT_TRY(tsct_container_open(o.input, TSCT_OPEN_READ, &c, err));
    tsct_status st;
    switch (o.kind) {
    case TSCT_STAGE_FIGURE_KIND_MAP:
        st = one_map(c, &o, err);
        break;
    case TSCT_STAGE_FIGURE_KIND_GRID:
        st = grid(c, &o, o.map, o.output, err);
        break;
    case TSCT_STAGE_FIGURE_KIND_COMPOSITE:
        st = composite(c, &o, o.phase, o.nphase, o.t, o.output, err);
        break;
    case TSCT_STAGE_FIGURE_KIND_FILM:
        st = tsct__figure_film(c, &o, o.region, tsct__figure_source_name(o.source), o.output,
                               err);
        break;
    case TSCT_STAGE_FIGURE_KIND_PATTERNS:
        st = tsct__figure_patterns(c, &o, o.region, o.output, err);
        break;
    case TSCT_STAGE_FIGURE_KIND_FIT:
        st = tsct__figure_fit(c, &o, o.fit, o.param, o.output, err);
        break;
    default: st = all(c, &o, ctx, err); break;
    }
    tsct_container_close(c, NULL);
    return st;
}
