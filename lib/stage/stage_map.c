/* stage_map.c - the map stage (see include/tsct/stage.h): phase and intensity maps from the
 * reconstructed patterns or PDFs.
 *
 * Each map is a linear functional of every voxel's pattern (lib/maps plans: window areas,
 * values, totals), a weight of the whole-pattern unmixing, or a voxel-wise combination of
 * other maps (ratio, normalised). Maps are computed one (time step, slice) at a time: the
 * voxel rows of that slice are read from /entry/recon (and /entry/pdf for G(r) maps), every
 * map of the slice is formed in memory, and the slice is written to /entry/maps/NAME
 * [nt][nz][ny][nx] through a resumable step. The maps are defined by lines of a small
 * language, "NAME = KIND ARGS" (docs/maps.md), whose text is the step's settings.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/array.h"
#include "tsct/maps.h"

/* Longest argument of a definition (a file name in an unmix source): longer ones are refused,
 * never cut short. */
#define TSCT_MAP_ARG 1024

enum map_op { OP_RECON, OP_PDF, OP_RATIO, OP_NORMALISE, OP_UNMIX, OP_UNMIX_RESIDUAL };

struct map {
    tsct_maps_def def;
    enum map_op op;
    int a, b;               /* operands of ratio / normalise (indices into maps) */
    char an[64], bn[64];    /* their names until resolved */
    tsct_maps_plan *plan;
    char method[TSCT_MAP_ARG + 512];
    char source[TSCT_MAP_ARG];  /* unmix: cif:FILE:SIZE, nano:FILE:R, broad:NAME, xy:FILE */
    int column;             /* unmix: component (weight) index of the plan */
    char variants[TSCT_UNMIX_DESCRIBE_MAX]; /* unmix: "" or how its variants were laid out */
    float *slice;           /* [ny][nx] of the current slice */
    tsct_dataset *out;
};

#define MAX_MAPS 64

struct tsct_stage_map_defs {
    struct map m[MAX_MAPS];
    int n;
    char text[16384];       /* every definition, for the fingerprint and provenance */
    size_t used;
};

static int valid_name(const char *s)
{
    if (!*s || strlen(s) >= 64)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
            return 0;
    return 1;
}

/* Parse one definition "NAME = KIND ARGS" (file) into maps; returns NULL or an error text. */
const char *tsct_stage_map_defs_add(tsct_stage_map_defs *ms, const char *line)
{
    char name[128], kind[32], a[TSCT_MAP_ARG] = "", b[TSCT_MAP_ARG] = "", c[64] = "";
    int n = sscanf(line, " %127[^= \t] = %31s %1023s %1023s %63s", name, kind, a, b, c);
    if (n < 2)
        return "expected NAME = KIND ARGUMENTS";
    if (strlen(a) >= sizeof a - 1 || strlen(b) >= sizeof b - 1 || strlen(c) >= sizeof c - 1)
        return "an argument is too long (file names up to 1022 characters)";
    if (!valid_name(name))
        return "map names are 1-63 letters, digits, '_', '-' or '.'";
    if (ms->n == MAX_MAPS)
        return "too many maps (64 at most)";
    for (int i = 0; i < ms->n; i++)
        if (strcmp(ms->m[i].def.name, name) == 0)
            return "a map of that name is defined twice";
    struct map *m = &ms->m[ms->n];
    memset(m, 0, sizeof *m);
    snprintf(m->def.name, sizeof m->def.name, "%.63s", name);  /* checked < 64 above */
    char *end;
    if (strcmp(kind, "window") == 0) {
        m->def.kind = TSCT_MAPS_WINDOW;
        m->def.lo = strtod(a, &end);
        if (n < 4 || *end)
            return "window needs LO HI";
        m->def.hi = strtod(b, &end);
        if (*end)
            return "window needs LO HI";
        m->def.background = 1;
        if (n == 5) {
            if (strcmp(c, "nobg") != 0)
                return "the only word after window LO HI is 'nobg'";
            m->def.background = 0;
        }
        m->op = OP_RECON;
    } else if (strcmp(kind, "value") == 0 || strcmp(kind, "gr") == 0) {
        m->def.kind = TSCT_MAPS_VALUE;
        m->def.lo = strtod(a, &end);
        if (n < 3 || *end)
            return "value and gr need a position";
        if (n >= 4) {
            m->def.hi = strtod(b, &end);
            if (*end || m->def.hi < 0)
                return "the half width must be a number >= 0";
        }
        m->op = strcmp(kind, "gr") == 0 ? OP_PDF : OP_RECON;
    } else if (strcmp(kind, "total") == 0) {
        m->def.kind = TSCT_MAPS_TOTAL;
        m->op = OP_RECON;
    } else if (strcmp(kind, "ratio") == 0) {
        if (n < 4)
            return "ratio needs two map names";
        if (!valid_name(a) || !valid_name(b))
            return "ratio operands are map names";
        m->op = OP_RATIO;
        memcpy(m->an, a, strlen(a) + 1); /* valid_name: < 64 characters */
        memcpy(m->bn, b, strlen(b) + 1);
    } else if (strcmp(kind, "normalise") == 0 || strcmp(kind, "normalize") == 0) {
        if (n < 3)
            return "normalise needs a map name";
        if (!valid_name(a))
            return "normalise needs a map name";
        m->op = OP_NORMALISE;
        memcpy(m->an, a, strlen(a) + 1);
    } else if (strcmp(kind, "unmix") == 0) {
        if (n < 3)
            return "unmix needs a source: cif:FILE:SIZE, nano:FILE:RADIUS, broad:NAME, xy:FILE";
        m->op = OP_UNMIX;
        snprintf(m->source, sizeof m->source, "%s", a);
    } else {
        return "unknown kind: expected window, value, gr, total, ratio, normalise or unmix";
    }
    ms->n++;
    int w = snprintf(ms->text + ms->used, sizeof ms->text - ms->used, "%s\n", line);
    if (w < 0 || (size_t)w >= sizeof ms->text - ms->used)
        return "the definitions are too long altogether (16 KiB at most)";
    ms->used += (size_t)w;
    return NULL;
}

/* "--window NAME=LO:HI[:nobg]" and friends become definition lines. */
const char *tsct_stage_map_defs_add_option(tsct_stage_map_defs *ms, const char *kind,
                                           const char *arg)
{
    char line[TSCT_MAP_ARG + 256], buf[TSCT_MAP_ARG + 128];
    if (strlen(arg) >= sizeof buf)
        return "the definition is too long";
    snprintf(buf, sizeof buf, "%s", arg);
    char *eq = strchr(buf, '=');
    if (strcmp(kind, "total") == 0) {
        snprintf(line, sizeof line, "%s = total", buf);
        return tsct_stage_map_defs_add(ms, line);
    }
    if (!eq)
        return "expected NAME=...";
    *eq = '\0';
    for (char *p = eq + 1; *p && strcmp(kind, "unmix") != 0; p++)
        if (*p == ':' || (*p == '/' && strcmp(kind, "ratio") == 0))
            *p = ' ';
    snprintf(line, sizeof line, "%s = %s %s", buf, kind, eq + 1);
    return tsct_stage_map_defs_add(ms, line);
}

static int find_map(const tsct_stage_map_defs *ms, const char *name, int before)
{
    for (int i = 0; i < before; i++)
        if (strcmp(ms->m[i].def.name, name) == 0)
            return i;
    return -1;
}

static void free_maps(tsct_stage_map_defs *ms)
{
    for (int i = 0; i < ms->n; i++) {
        tsct_maps_plan_destroy(ms->m[i].plan);
        free(ms->m[i].slice);
        tsct_dataset_close(ms->m[i].out);
    }
}

/* The unmixing plan of the OP_UNMIX maps, components in definition order (a component with
 * variants is a group of columns; see stage_unmix.c). */
static tsct_status unmix_plan(tsct_stage_map_defs *ms, const double *q, int64_t nq,
                              double wavelength, const char *data_dirs, int background,
                              const char *path, tsct_maps_unmix_plan **out, tsct_error *err)
{
    const char *names[MAX_MAPS], *sources[MAX_MAPS];
    char(*describe)[TSCT_UNMIX_DESCRIBE_MAX] = calloc(MAX_MAPS, sizeof *describe);
    int k = 0;
    for (int i = 0; i < ms->n; i++)
        if (ms->m[i].op == OP_UNMIX) {
            ms->m[i].column = k;
            names[k] = ms->m[i].def.name;
            sources[k++] = ms->m[i].source;
        }
    float *cols = NULL;
    int *group = NULL, ncols = 0;
    tsct_status st = describe ? tsct__stage_unmix_components(names, sources, k, q, nq, wavelength,
                                                          data_dirs, background, &cols, &group,
                                                          &ncols, describe, err)
                              : tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "unmix", -1, "notes");
    if (st == TSCT_ERR_NOT_FOUND && err && strcmp(err->item, "/entry/geometry") == 0)
        tsct_error_set_file(err, path);
    if (st == TSCT_OK)
        st =
            tsct_maps_unmix_plan_create_grouped(cols, ncols, group, k, nq, q, background, out, err);
    for (int i = 0; st == TSCT_OK && i < ms->n; i++)
        if (ms->m[i].op == OP_UNMIX)
            memcpy(ms->m[i].variants, describe[ms->m[i].column], sizeof ms->m[i].variants);
    free(describe);
    free(cols);
    free(group);
    return st;
}

tsct_stage_map_defs *tsct_stage_map_defs_create(void)
{
    return calloc(1, sizeof(tsct_stage_map_defs));
}

void tsct_stage_map_defs_destroy(tsct_stage_map_defs *ms)
{
    free(ms);
}

tsct_status tsct_stage_map_defs_read(tsct_stage_map_defs *ms, const char *path, tsct_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, path, NULL, -1,
                              "cannot open the definitions file");
    char line[2048];
    int64_t lineno = 0;
    tsct_status st = TSCT_OK;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            st = tsct_error_set(err, TSCT_ERR_VALUE, path, "line", lineno,
                                "longer than %d characters", (int)sizeof line - 2);
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            continue;
        p[strcspn(p, "\r\n")] = '\0';
        const char *why = tsct_stage_map_defs_add(ms, p);
        if (why) {
            st = tsct_error_set(err, TSCT_ERR_VALUE, path, "line", lineno, "%s: \"%s\"", why, p);
            break;
        }
    }
    fclose(f);
    return st;
}

int tsct_stage_map_defs_count(const tsct_stage_map_defs *ms)
{
    return ms ? ms->n : 0;
}

const char *tsct_stage_map_defs_text(const tsct_stage_map_defs *ms)
{
    return ms ? ms->text : "";
}

/* One (time, slice) as a unit of the step (tsct__stage_units): every map's image of it,
 * [nmaps][ny][nx] floats; rank 0 writes them. */
struct map_unit {
    const tsct_stage_ctx *ctx;
    tsct_stage_map_defs *ms;
    tsct_dataset *recon, *pdf;
    tsct_maps_unmix_plan *unmix;
    double *unmix_work, *unmix_w;
    float *row;
    const int64_t *t0;  /* the first time step computed: rank 0's (shared) */
    int64_t nq, nr;
    const int64_t *shape;
};

/* Row y of every map made from source src (0: /entry/recon, 1: /entry/pdf) of (t, z). */
static tsct_status map_rows(struct map_unit *x, int src, int64_t t, int64_t z, tsct_error *err)
{
    tsct_stage_map_defs *ms = x->ms;
    tsct_dataset *d = src == 0 ? x->recon : x->pdf;
    const int64_t len = src == 0 ? x->nq : x->nr, ny = x->shape[2], nx = x->shape[3];
    if (!d)
        return TSCT_OK;
    for (int64_t y = 0; y < ny; y++) {
        int64_t lead[3] = {t, z, y};
        float *row = x->row;
        TSCT_TRY(tsct_dataset_read_row(d, lead, row, err));
        for (int i = 0; i < ms->n; i++)
            if ((ms->m[i].op == OP_RECON && src == 0) || (ms->m[i].op == OP_PDF && src == 1))
                tsct_maps_plan_apply(ms->m[i].plan, row, nx, len, x->ctx->nthreads,
                                     ms->m[i].slice + y * nx);
        for (int64_t k = 0; x->unmix && src == 0 && k < nx; k++) {
            double rms;
            tsct_maps_unmix_execute(x->unmix, row + k * x->nq, x->unmix_w, &rms, x->unmix_work);
            for (int i = 0; i < ms->n; i++) {
                if (ms->m[i].op == OP_UNMIX)
                    ms->m[i].slice[y * nx + k] = (float)x->unmix_w[ms->m[i].column];
                else if (ms->m[i].op == OP_UNMIX_RESIDUAL)
                    ms->m[i].slice[y * nx + k] = (float)rms;
            }
        }
    }
    return TSCT_OK;
}

static tsct_status map_unit_compute(void *user, int64_t u, void *out, tsct_error *err)
{
    struct map_unit *x = user;
    tsct_stage_map_defs *ms = x->ms;
    const int64_t nz = x->shape[1], ny = x->shape[2], nx = x->shape[3];
    const int64_t t = *x->t0 + u / nz, z = u % nz;
    TSCT_TRY(map_rows(x, 0, t, z, err));
    TSCT_TRY(map_rows(x, 1, t, z, err));
    for (int i = 0; i < ms->n; i++) {
        struct map *m = &ms->m[i];
        const float *A = ms->m[m->a].slice, *B = ms->m[m->b].slice;
        if (m->op == OP_RATIO) {
            for (int64_t k = 0; k < ny * nx; k++)
                m->slice[k] = B[k] != 0 ? A[k] / B[k] : NAN;
        } else if (m->op == OP_NORMALISE) {
            double top = tsct_maps_percentile(A, ny * nx, 99.5);
            for (int64_t k = 0; k < ny * nx; k++)
                m->slice[k] = top > 0 ? (float)(A[k] / top) : NAN;
        }
        memcpy((float *)out + i * ny * nx, m->slice, (size_t)(ny * nx) * sizeof(float));
    }
    return TSCT_OK;
}

static tsct_status map_unit_write(void *user, int64_t u, const void *out, tsct_error *err)
{
    struct map_unit *x = user;
    const int64_t nz = x->shape[1], ny = x->shape[2], nx = x->shape[3];
    const int64_t start[4] = {u / nz, u % nz, 0, 0}, count[4] = {1, 1, ny, nx};
    for (int i = 0; i < x->ms->n; i++)
        TSCT_TRY(tsct_dataset_write(x->ms->m[i].out, start, count,
                                    (const float *)out + i * ny * nx, err));
    return TSCT_OK;
}

/* Rank 0: the settings and fingerprint, up to date or the time steps kept (*t0), the step
 * begun with a dataset per map (*step NULL: nothing to do). */
static tsct_status map_step_begin(const tsct_stage_ctx *ctx, tsct_container *c,
                                  tsct_stage_map_defs *ms, int need_recon, int need_pdf,
                                  const int64_t *shape, int64_t unmix_bg, double wavelength,
                                  const char *data_dirs, char *settings, size_t settings_size,
                                  char **fp, size_t fp_size, char **stamps, int64_t *t0,
                                  tsct_step **step, tsct_error *err)
{
    const int64_t nt = shape[0], nz = shape[1], ny = shape[2], nx = shape[3];
    char inputs[1024], first[128];
    static const char *const upstream[] = {"recon", "import_recon", "pdf", NULL};
    const char *data[3] = {NULL, NULL, NULL};
    data[0] = need_recon ? TSCT_PATH_RECON : TSCT_PATH_PDF;
    data[1] = need_recon && need_pdf ? TSCT_PATH_PDF : NULL;
    tsct_step_inputs_id(c, upstream, inputs, sizeof inputs);
    snprintf(settings, settings_size, "shape=%lldx%lldx%lld background=%lld "
             "wavelength=%.17g data=%s\n%s", (long long)nz, (long long)ny, (long long)nx,
             (long long)unmix_bg, wavelength, data_dirs ? data_dirs : "", ms->text);
    snprintf(*fp, fp_size, "%s nt=%lld %s", inputs, (long long)nt, settings);
    if (tsct_stage_up_to_date(ctx, c, "map", *fp))
        return TSCT_OK;
    snprintf(first, sizeof first, "%s/%s", TSCT_PATH_MAPS, ms->m[0].def.name);
    *t0 = tsct_stage_keep_time_steps(ctx, c, "map", settings, data, first, nt, stamps, fp);
    if (*t0 == nt)
        return TSCT_OK;
    tsct_step_info info = {"map", ctx->command_line, ms->text, *fp, (nt - *t0) * nz,
                           settings, *stamps, *t0};
    TSCT_TRY(tsct_step_begin(c, &info, ctx->log, step, err));
    for (int i = 0; i < ms->n; i++) {
        char dpath[128];
        snprintf(dpath, sizeof dpath, "%s/%s", TSCT_PATH_MAPS, ms->m[i].def.name);
        int64_t mshape[4] = {nt - *t0, nz, ny, nx};
        tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
        dp.chunk_axes = 1; /* a unit is one (time, slice): the whole map image */
        TSCT_TRY(tsct_step_dataset(*step, dpath, 4, mshape, *t0 > 0 ? *t0 : -1, &dp,
                                   &ms->m[i].out, err));
        TSCT_TRY(tsct_dataset_set_attr_string(ms->m[i].out, "method", ms->m[i].method, err));
    }
    return TSCT_OK;
}

tsct_status tsct_stage_map(const char *path, const tsct_stage_map_params *params,
                           const tsct_stage_ctx *context, tsct_stage_report *report,
                           tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    tsct_stage_report rep_local, *rep = tsct__stage_report(report, &rep_local);
    if (!params || !params->definitions || params->definitions->n == 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, path, "maps", -1, "no map defined");
    if (params->unmix_background < 0 || params->unmix_background > 2 ||
        !(params->wavelength >= 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, path, "maps", -1,
                              "expected unmix background 0, 1 or 2 and a wavelength >= 0");
    /* The maps of this run: a copy, to which the residual map is added and which holds the
     * plans and slices. */
    tsct_stage_map_defs *ms = malloc(sizeof *ms);
    if (!ms)
        return tsct_error_set(err, TSCT_ERR_NOMEM, path, "maps", -1, "definitions");
    memcpy(ms, params->definitions, sizeof *ms);
    const int64_t unmix_bg = params->unmix_background;
    double wavelength = params->wavelength;
    const char *data_dirs = params->data_dirs;

    tsct_container *c = NULL;
    tsct_dataset *recon = NULL, *pdf = NULL;
    tsct_step *step = NULL;
    double *q = NULL, *r = NULL;
    float *row = NULL;
    int64_t nq = 0, nr = 0, shape[8] = {0}, pshape[8] = {0};
    int need_recon = 0, need_pdf = 0;
    tsct_status st;
    int nunmix = 0;
    for (int i = 0; i < ms->n; i++) {
        need_recon |= ms->m[i].op == OP_RECON || ms->m[i].op == OP_UNMIX;
        need_pdf |= ms->m[i].op == OP_PDF;
        nunmix += ms->m[i].op == OP_UNMIX;
    }
    if (nunmix > 0 && ms->n < MAX_MAPS) { /* the residual, after the components */
        struct map *m = &ms->m[ms->n++];
        memset(m, 0, sizeof *m);
        snprintf(m->def.name, sizeof m->def.name, "unmix_residual");
        m->op = OP_UNMIX_RESIDUAL;
    }
    tsct_maps_unmix_plan *unmix = NULL;
    double *unmix_work = NULL, *unmix_w = NULL;
    const size_t settings_size = sizeof ms->text + 4096, fp_size = settings_size + 2048;
    char *stamps = NULL, *settings = malloc(settings_size), *fp = malloc(fp_size);
    if (!settings || !fp) {
        free(settings);
        free(fp);
        free(ms);
        return tsct_error_set(err, TSCT_ERR_NOMEM, path, "maps", -1, "settings");
    }
    /* With ranks, every rank reads and plans; rank 0 alone writes (tsct/mpi.h). */
    const int root = tsct__stage_root(ctx), ranks = tsct_mpi_size(ctx->mpi) > 1;
    st = tsct_container_open(path, root ? TSCT_OPEN_WRITE : TSCT_OPEN_READ, &c, err);
    if (st == TSCT_OK && need_recon) {
        st = tsct_dataset_open(c, TSCT_PATH_RECON, &recon, err);
        if (st == TSCT_OK)
            st = tsct_container_read_vector(c, TSCT_PATH_RECON_Q, &q, &nq, err);
        if (st == TSCT_OK)
            tsct_dataset_shape(recon, shape);
    }
    if (st == TSCT_OK && need_pdf) {
        st = tsct_dataset_open(c, TSCT_PATH_PDF, &pdf, err);
        if (st == TSCT_OK)
            st = tsct_container_read_vector(c, TSCT_PATH_PDF_R, &r, &nr, err);
        if (st == TSCT_OK) {
            tsct_dataset_shape(pdf, pshape);
            if (need_recon && !tsct_shape_equal(4, shape, 4, pshape))
                st = tsct_error_set(err, TSCT_ERR_SHAPE, path, TSCT_PATH_PDF, -1,
                                    "voxel grid differs from /entry/recon/data");
            if (!need_recon)
                memcpy(shape, pshape, sizeof shape);
        }
    }
    if (st == TSCT_OK && need_recon && shape[4] != nq)
        st = tsct_error_set(err, TSCT_ERR_SHAPE, path, TSCT_PATH_RECON_Q, -1,
                            "%lld q values for %lld channels", (long long)nq,
                            (long long)shape[4]);
    if (st == TSCT_OK && need_pdf && pshape[4] != nr)
        st = tsct_error_set(err, TSCT_ERR_SHAPE, path, TSCT_PATH_PDF_R, -1,
                            "%lld r values for %lld channels", (long long)nr,
                            (long long)pshape[4]);
    const int64_t nt = shape[0], nz = shape[1], ny = shape[2], nx = shape[3];
    if (st == TSCT_OK && nunmix > 0) {
        if (wavelength <= 0)
            wavelength = tsct_stage_wavelength(c);
        st = unmix_plan(ms, q, nq, wavelength, data_dirs, (int)unmix_bg, path, &unmix, err);
        const int cols = unmix ? tsct_maps_unmix_plan_columns(unmix) : 0;
        if (st == TSCT_OK && (!(unmix_work = malloc((size_t)tsct_maps_unmix_plan_work_size(unmix) *
                                                    sizeof *unmix_work)) ||
                              !(unmix_w = malloc((size_t)cols * sizeof *unmix_w))))
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "unmix", -1, "workspace");
    }
    /* Compile plans and resolve combinations (operands must be defined earlier). */
    for (int i = 0; st == TSCT_OK && i < ms->n; i++) {
        struct map *m = &ms->m[i];
        if (m->op == OP_UNMIX || m->op == OP_UNMIX_RESIDUAL) {
            /* Copies: source, variants and method share the struct. */
            char source[sizeof m->source], variants[sizeof m->variants];
            memcpy(source, m->source, sizeof source);
            memcpy(variants, m->variants, sizeof variants);
            if (m->op == OP_UNMIX)
                snprintf(m->method, sizeof m->method,
                         "weight of component %s%s in a non-negative least-squares fit of "
                         "every voxel's I(q) (/entry/recon) by %d component(s) and background "
                         "%lld",
                         source, variants, nunmix, (long long)unmix_bg);
            else
                snprintf(m->method, sizeof m->method,
                         "root mean square residual of the unmixing fit (I(q) units)");
        } else if (m->op == OP_RECON || m->op == OP_PDF) {
            st = tsct_maps_plan_create(&m->def, m->op == OP_RECON ? q : r,
                                       m->op == OP_RECON ? nq : nr, &m->plan, err);
            if (st == TSCT_OK)
                snprintf(m->method, sizeof m->method, "%s of %s", tsct_maps_plan_describe(m->plan),
                         m->op == OP_RECON ? "I(q) (/entry/recon, q in 1/A)"
                                           : "G(r) (/entry/pdf, r in A)");
        } else {
            m->a = find_map(ms, m->an, i);
            m->b = m->op == OP_RATIO ? find_map(ms, m->bn, i) : 0;
            if (m->a < 0 || m->b < 0)
                st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, m->def.name, -1,
                                    "uses map \"%s\", which is not defined before it",
                                    m->a < 0 ? m->an : m->bn);
            else {
                /* Copies: the names and the method text live in the same struct. */
                char an[64], bn[64];
                memcpy(an, m->an, sizeof an);
                memcpy(bn, m->bn, sizeof bn);
                if (m->op == OP_RATIO)
                    snprintf(m->method, sizeof m->method, "ratio %s / %s (NaN where %s is 0)",
                             an, bn, bn);
                else
                    snprintf(m->method, sizeof m->method,
                             "%s divided by its 99.5th percentile in each slice and time step",
                             an);
            }
        }
        if (st == TSCT_OK && !(m->slice = malloc((size_t)(ny * nx) * sizeof *m->slice)))
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, m->def.name, -1, "slice");
    }

    int64_t width = nq > nr ? nq : nr;
    if (st == TSCT_OK && !(row = malloc((size_t)(nx * (width > 0 ? width : 1)) * sizeof *row)))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "row", -1, "buffer");
    st = tsct__stage_agree(ctx, st, err);
    if (st != TSCT_OK)
        goto done;
    int64_t t0 = 0; /* time steps before t0 are kept (tsct run, new tomograms) */
    if (root)
        st = map_step_begin(ctx, c, ms, need_recon, need_pdf, shape, unmix_bg, wavelength,
                            data_dirs, settings, settings_size, &fp, fp_size, &stamps, &t0,
                            &step, err);
    tsct_progress progress;
    const int counting = st == TSCT_OK && step;
    if (counting)
        tsct_progress_begin(&progress, ctx->progress, "map slices", (nt - t0) * nz,
                            tsct_step_done_count(step));
    struct map_unit x = {ctx, ms, recon, pdf, unmix, unmix_work, unmix_w, row, NULL, nq, nr,
                         shape};
    tsct__stage_units w = {(nt - t0) * nz, (size_t)(ms->n * ny * nx) * sizeof(float),
                           map_unit_compute, map_unit_write, &x, {t0, 0}, 0};
    x.t0 = &w.shared[0];
    if (st == TSCT_OK || ranks)
        st = tsct__stage_units_run(ctx, step, &w, st, NULL, counting ? &progress : NULL, 1, NULL,
                                   err);
    if (st != TSCT_OK || !step)
        goto done;
    tsct_progress_end(&progress);
    for (int i = 0; i < ms->n; i++) {
        tsct_dataset_close(ms->m[i].out);
        ms->m[i].out = NULL;
    }
    st = tsct_step_commit(step, err);
    step = NULL;
    if (st == TSCT_OK) {
        rep->ran = 1;
        rep->units = (nt - t0) * nz;
        rep->time_first = t0;
        snprintf(rep->what, sizeof rep->what,
                 "%d map(s) of %lld x %lld x %lld x %lld written to %s", ms->n, (long long)nt, (long long)nz, (long long)ny, (long long)nx, path);
        tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s", rep->what);
    }
done:
    free_maps(ms);
    tsct_maps_unmix_plan_destroy(unmix);
    free(unmix_work);
    free(unmix_w);
    tsct_step_close(step);
    tsct_dataset_close(recon);
    tsct_dataset_close(pdf);
    if (st == TSCT_OK)
        st = tsct_container_close(c, err);
    else
        tsct_container_close(c, NULL);
    free(q);
    free(r);
    free(row);
    free(ms);
    free(stamps);
    free(settings);
    free(fp);
    return st;
}
