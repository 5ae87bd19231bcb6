/* stage_figure_series.c - the figure stage's film | patterns | fit: what changes over
 * operando time.
 *
 * film: patterns or G(r) against time (or time step, or capacity) as rows of colour, with the
 * voltage curve of /entry/echem in a panel beside it on the same y axis, so that each pattern
 * reads against its plateau. patterns: a few time steps of a region's mean pattern (or text
 * patterns) as curves, with a row of tick marks per phase at its reflections (computed from
 * the CIF by lib/physics). fit: a fitted parameter with its ESD against capacity, voltage or
 * time, from /entry/fits/NAME (one voxel, or the mean of the fitted voxels) or from the table
 * of `tsct fit peak --series`.
 *
 * Everything here reads the container and calls lib/figure; the drawing is there.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stage_figure_internal.h"
#include "tsct/container.h"
#include "tsct/crystal.h"
#include "tsct/echem.h"
#include "tsct/pattern.h"
#include "tsct/phase.h"

/* ---- the electrochemistry ------------------------------------------------------------------ */

/* /entry/echem as `tsct echem` writes it; n = nt = 0 when the container has none. */
struct echem {
    double *time, *volt, *cap; /* the record [n]: s, V, mAh/g in the half cycle */
    int64_t n;
    double *start, *end, *tcap, *tvolt; /* per tomogram [nt] */
    int64_t nt;
};

static void echem_free(struct echem *e)
{
    free(e->time), free(e->volt), free(e->cap);
    free(e->start), free(e->end), free(e->tcap), free(e->tvolt);
    memset(e, 0, sizeof *e);
}

static tsct_status echem_read(tsct_container *c, const char *path, struct echem *e,
                              tsct_error *err)
{
    memset(e, 0, sizeof *e);
    if (!tsct_container_exists(c, TSCT_PATH_ECHEM))
        return TSCT_OK;
    tsct_echem_stored s;
    tsct_status st = tsct_echem_stored_read(c, &s, err);
    if (st != TSCT_OK) {
        tsct_error_set_file(err, path);
        return st;
    }
    const char *missing = !s.time                ? TSCT_PATH_ECHEM_TIME
                          : !s.voltage           ? TSCT_PATH_ECHEM_VOLTAGE
                          : !s.capacity          ? TSCT_PATH_ECHEM_CAPACITY
                          : !s.tomogram_start    ? TSCT_PATH_ECHEM_TOMOGRAM_START
                          : !s.tomogram_end      ? TSCT_PATH_ECHEM_TOMOGRAM_END
                          : !s.tomogram_capacity ? TSCT_PATH_ECHEM_TOMOGRAM_CAPACITY
                          : !s.tomogram_voltage  ? TSCT_PATH_ECHEM_TOMOGRAM_VOLTAGE
                                                 : NULL;
    if (missing)
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, path, missing,
                            -1, "missing (write /entry/echem with tsct echem)");
    else if (s.n < 2)
        st = tsct_error_set(err, TSCT_ERR_SHAPE, path, TSCT_PATH_ECHEM, -1,
                            "time, voltage, capacity (and the tomogram_* vectors) must have "
                            "equal lengths");
    if (st == TSCT_OK) { /* the vectors change hands */
        e->time = s.time, e->volt = s.voltage, e->cap = s.capacity;
        e->start = s.tomogram_start, e->end = s.tomogram_end;
        e->tcap = s.tomogram_capacity, e->tvolt = s.tomogram_voltage;
        s.time = s.voltage = s.capacity = NULL;
        s.tomogram_start = s.tomogram_end = s.tomogram_capacity = s.tomogram_voltage = NULL;
        e->n = s.n, e->nt = s.nt;
    }
    tsct_echem_stored_release(&s);
    return st;
}

/* Linear interpolation of the record's capacity at time t (clamped to the record). */
static double capacity_at(const struct echem *e, double t)
{
    if (t <= e->time[0])
        return e->cap[0];
    for (int64_t i = 1; i < e->n; i++)
        if (t <= e->time[i]) {
            double f = (t - e->time[i - 1]) / (e->time[i] - e->time[i - 1]);
            return e->cap[i - 1] + f * (e->cap[i] - e->cap[i - 1]);
        }
    return e->cap[e->n - 1];
}

/* ---- series [nt][nx] ---------------------------------------------------------------------- */

struct series {
    float *data; /* [nt][nx] */
    double *x;   /* [nx]: q (1/A) or r (A) */
    int64_t nt, nx;
    int pdf;     /* x is r */
    char what[128];
};

static void series_free(struct series *s)
{
    free(s->data);
    free(s->x);
    memset(s, 0, sizeof *s);
}

/* A dataset [nt][nx] into s->data. */
static tsct_status read_2d(tsct_container *c, const char *path, const char *dset,
                           struct series *s, tsct_error *err)
{
    tsct_dataset *d = NULL;
    TSCT_TRY(tsct_dataset_open(c, dset, &d, err));
    int64_t sh[8] = {0};
    tsct_status st = TSCT_OK;
    if (tsct_dataset_shape(d, sh) != 2 || sh[0] < 1 || sh[1] < 1)
        st = tsct_error_set(err, TSCT_ERR_SHAPE, path, dset, -1, "expected [nt][nx]");
    if (st == TSCT_OK && !(s->data = malloc((size_t)(sh[0] * sh[1]) * sizeof *s->data)))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, dset, -1, "series");
    if (st == TSCT_OK) {
        int64_t start[2] = {0, 0};
        st = tsct_dataset_read(d, start, sh, s->data, err);
    }
    tsct_dataset_close(d);
    s->nt = sh[0], s->nx = sh[1];
    return st;
}

/* The mean over voxels of slice z of a [nt][nz][ny][nx][nc] stage, per time step: for
 * recon, the voxels whose total intensity exceeds 5 % of the slice's largest (the sample);
 * for G(r), every voxel whose value is finite (tsct pdf leaves the others NaN). */
static tsct_status voxel_mean(tsct_container *c, const char *path, const char *dset, int64_t z,
                              int sample_only, struct series *s, tsct_error *err)
{
    tsct_dataset *d = NULL;
    TSCT_TRY(tsct_dataset_open(c, dset, &d, err));
    int64_t sh[8] = {0};
    float *row = NULL, *tot = NULL;
    double *acc = NULL, *cnt = NULL;
    tsct_status st = TSCT_OK;
    if (tsct_dataset_shape(d, sh) != 5 || z >= sh[1])
        st = tsct_error_set(err, TSCT_ERR_SHAPE, path, dset, z,
                            "expected [nt][nz][ny][nx][n] with slice %lld", (long long)z);
    const int64_t nt = sh[0], ny = sh[2], nx = sh[3], nc = sh[4];
    if (st == TSCT_OK && (!(row = malloc((size_t)(nx * nc) * sizeof *row)) ||
                          !(tot = malloc((size_t)(ny * nx) * sizeof *tot)) ||
                          !(acc = malloc((size_t)nc * sizeof *acc)) ||
                          !(cnt = malloc((size_t)nc * sizeof *cnt)) ||
                          !(s->data = malloc((size_t)(nt * nc) * sizeof *s->data))))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, dset, -1, "buffers");
    for (int64_t t = 0; st == TSCT_OK && t < nt; t++) {
        double top = 0;
        for (int64_t k = 0; k < nc; k++)
            acc[k] = cnt[k] = 0;
        for (int pass = sample_only ? 0 : 1; pass < 2 && st == TSCT_OK; pass++)
            for (int64_t y = 0; y < ny && st == TSCT_OK; y++) {
                int64_t start[5] = {t, z, y, 0, 0}, count[5] = {1, 1, 1, nx, nc};
                st = tsct_dataset_read(d, start, count, row, err);
                for (int64_t x = 0; st == TSCT_OK && x < nx; x++) {
                    const float *v = row + x * nc;
                    if (pass == 0) {
                        double sum = 0;
                        for (int64_t k = 0; k < nc; k++)
                            sum += isfinite(v[k]) ? v[k] : 0;
                        tot[y * nx + x] = (float)sum;
                        top = sum > top ? sum : top;
                        continue;
                    }
                    if (sample_only && !(tot[y * nx + x] > 0.05 * top))
                        continue;
                    for (int64_t k = 0; k < nc; k++)
                        if (isfinite(v[k]))
                            acc[k] += v[k], cnt[k] += 1;
                }
            }
        for (int64_t k = 0; st == TSCT_OK && k < nc; k++)
            s->data[t * nc + k] = cnt[k] > 0 ? (float)(acc[k] / cnt[k]) : NAN;
    }
    tsct_dataset_close(d);
    free(row), free(tot), free(acc), free(cnt);
    s->nt = nt, s->nx = nc;
    return st;
}

/* The series a film or pattern figure draws: a region's mean pattern / G(r) / dG(r), or the
 * mean over the slice's voxels of /entry/recon (sample voxels) or /entry/pdf. */
static tsct_status series_read(tsct_container *c, const tsct_stage_figure_params *o,
                               const char *region, const char *source, struct series *s,
                               tsct_error *err)
{
    memset(s, 0, sizeof *s);
    const int pattern = strcmp(source, "pattern") == 0, pdf = strcmp(source, "pdf") == 0;
    if (!pattern && !pdf && strcmp(source, "dpdf") != 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--source", -1,
                              "expected pattern, pdf or dpdf, got '%s'", source);
    s->pdf = !pattern;
    char dset[300], axis[300], alt[300] = "";
    tsct_status st;
    if (region) {
        char g[200];
        snprintf(g, sizeof g, TSCT_PATH_REGIONS "/%s", region);
        if (!tsct_container_exists(c, g))
            return tsct_error_set(err, TSCT_ERR_NOT_FOUND, o->input, g, -1,
                                  "no such region (tsct region makes one)");
        snprintf(dset, sizeof dset, "%s/%s", g, source);
        if (!tsct_container_exists(c, dset))
            return tsct_error_set(err, TSCT_ERR_NOT_FOUND, o->input, dset, -1,
                                  pattern ? "missing (tsct region writes it)"
                                          : "missing (tsct pdf --container EXP.h5 --region "
                                            "NAME writes it)");
        snprintf(axis, sizeof axis, "%s/%s", g, pattern ? "q" : "r");
        if (pattern)
            snprintf(alt, sizeof alt, "%s", TSCT_PATH_RECON_Q);
        st = read_2d(c, o->input, dset, s, err);
        snprintf(s->what, sizeof s->what, "%s of region %s",
                 pattern ? "mean pattern" : pdf ? "G(r)" : "G(r) - G_ref(r)", region);
    } else {
        snprintf(dset, sizeof dset, "%s",
                 pattern ? TSCT_PATH_RECON : pdf ? TSCT_PATH_PDF : TSCT_PATH_PDF_DIFF);
        snprintf(axis, sizeof axis, "%s", pattern ? TSCT_PATH_RECON_Q : TSCT_PATH_PDF_R);
        if (!tsct_container_exists(c, dset))
            return tsct_error_set(err, TSCT_ERR_NOT_FOUND, o->input, dset, -1,
                                  pattern ? "missing (tsct recon writes it)"
                                          : "missing (tsct pdf --container writes it)");
        st = voxel_mean(c, o->input, dset, o->z, pattern, s, err);
        snprintf(s->what, sizeof s->what, "%s",
                 pattern ? "mean pattern of the sample voxels"
                 : pdf   ? "mean G(r) of the voxels"
                         : "mean G(r) - G_ref(r) of the voxels");
    }
    int64_t n = 0;
    if (st == TSCT_OK && !tsct_container_exists(c, axis) && alt[0])
        snprintf(axis, sizeof axis, "%s", alt);
    if (st == TSCT_OK && !tsct_container_exists(c, axis))
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, o->input, axis, -1,
                            "missing: the x axis of %s", dset);
    if (st == TSCT_OK)
        st = tsct_container_read_vector(c, axis, &s->x, &n, err);
    if (st == TSCT_OK && n != s->nx)
        st = tsct_error_set(err, TSCT_ERR_SHAPE, o->input, axis, -1,
                            "%lld values for the %lld columns of %s", (long long)n,
                            (long long)s->nx, dset);
    if (st != TSCT_OK)
        series_free(s);
    return st;
}

/* Keep the columns whose x lies in [lo, hi]; error if none. */
static tsct_status series_crop(struct series *s, double lo, double hi, tsct_error *err)
{
    int64_t k0 = 0, k1 = s->nx;
    while (k0 < s->nx && !(s->x[k0] >= lo))
        k0++;
    while (k1 > k0 && !(s->x[k1 - 1] <= hi))
        k1--;
    if (k1 - k0 < 2)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--range", -1,
                              "%g:%g holds fewer than 2 points of the x axis (%g .. %g)", lo,
                              hi, s->x[0], s->x[s->nx - 1]);
    const int64_t m = k1 - k0;
    for (int64_t t = 0; t < s->nt; t++)
        memmove(s->data + t * m, s->data + t * s->nx + k0, (size_t)m * sizeof *s->data);
    memmove(s->x, s->x + k0, (size_t)m * sizeof *s->x);
    s->nx = m;
    return TSCT_OK;
}

/* ---- film --------------------------------------------------------------------------------- */

tsct_status tsct__figure_film(tsct_container *c, const tsct_stage_figure_params *o,
                              const char *region, const char *source, const char *out,
                              tsct_error *err)
{
    struct series s;
    TSCT_TRY(series_read(c, o, region, source, &s, err));
    struct echem e = {0};
    double *lo = NULL, *hi = NULL, *sx = NULL, *sy = NULL;
    tsct_status st = TSCT_OK;
    if (o->have_range)
        st = series_crop(&s, o->range[0], o->range[1], err);
    if (st == TSCT_OK && !o->no_echem)
        st = echem_read(c, o->input, &e, err);
    const char *ymode = o->y ? o->y : e.nt > 0 ? "time" : "step";
    const int by_time = strcmp(ymode, "time") == 0, by_cap = strcmp(ymode, "capacity") == 0;
    if (st == TSCT_OK && !by_time && !by_cap && strcmp(ymode, "step") != 0)
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--y", -1,
                            "film: expected time, capacity or step, got '%s'", ymode);
    if (st == TSCT_OK && (by_time || by_cap) && e.nt == 0)
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, o->input, TSCT_PATH_ECHEM, -1,
                            "--y %s needs the electrochemistry (tsct echem writes it)%s", ymode,
                            o->no_echem ? "; drop --no-echem" : "");
    if (st == TSCT_OK && e.nt > 0 && e.nt < s.nt)
        st = tsct_error_set(err, TSCT_ERR_SHAPE, o->input, TSCT_PATH_ECHEM_TOMOGRAM_START, -1,
                            "%lld tomograms for %lld time steps", (long long)e.nt,
                            (long long)s.nt);
    const int64_t nt = s.nt;
    /* The side curve: the whole record (time), or the points of each tomogram's window and a
     * break after each (windows may share their edge points). */
    int64_t nside = by_time ? e.n : 0;
    for (int64_t j = 0; !by_time && e.n > 0 && j < nt; j++) {
        for (int64_t i = 0; i < e.n; i++)
            nside += e.time[i] >= e.start[j] && e.time[i] <= e.end[j];
        nside++;
    }
    if (st == TSCT_OK && (!(lo = malloc((size_t)nt * sizeof *lo)) ||
                          !(hi = malloc((size_t)nt * sizeof *hi)) ||
                          (nside > 0 && (!(sx = malloc((size_t)nside * sizeof *sx)) ||
                                         !(sy = malloc((size_t)nside * sizeof *sy))))))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "film", -1, "rows");
    /* Rows and the side curve in the units of the y axis. */
    int64_t ns = 0;
    for (int64_t j = 0; st == TSCT_OK && j < nt; j++) {
        if (by_time)
            lo[j] = e.start[j] / 3600.0, hi[j] = e.end[j] / 3600.0;
        else if (by_cap)
            lo[j] = capacity_at(&e, e.start[j]), hi[j] = capacity_at(&e, e.end[j]);
        else
            lo[j] = j - 0.5, hi[j] = j + 0.5;
        if (by_cap && (!(hi[j] > lo[j]) || (j > 0 && lo[j] < hi[j - 1] - 1e-9)))
            st = tsct_error_set(err, TSCT_ERR_VALUE, o->input, TSCT_PATH_ECHEM_CAPACITY, j,
                                "--y capacity needs a capacity that grows from tomogram to "
                                "tomogram; at tomogram %lld it runs %.4g .. %.4g after %.4g "
                                "(it restarts at each half cycle): use --y time or step",
                                (long long)j, lo[j], hi[j], j > 0 ? hi[j - 1] : 0.0);
    }
    if (st == TSCT_OK && nside > 0) {
        if (by_time) {
            for (int64_t i = 0; i < e.n; i++)
                sx[ns] = e.volt[i], sy[ns++] = e.time[i] / 3600.0;
        } else {
            /* Within each tomogram's window: capacity, or the time step's fraction of its
             * row; the gaps between windows break the line. */
            for (int64_t j = 0; j < nt; j++) {
                for (int64_t i = 0; i < e.n; i++) {
                    if (e.time[i] < e.start[j] || e.time[i] > e.end[j])
                        continue;
                    sx[ns] = e.volt[i];
                    sy[ns++] = by_cap ? e.cap[i]
                                      : j - 0.5 + (e.time[i] - e.start[j]) /
                                                      (e.end[j] - e.start[j]);
                }
                sx[ns] = NAN, sy[ns++] = NAN;
            }
        }
    }
    if (st == TSCT_OK) {
        tsct_figure_params p = o->p;
        if (strcmp(source, "dpdf") == 0 && p.cmap == TSCT_CMAP_VIRIDIS)
            p.cmap = TSCT_CMAP_DIVERGING; /* a difference, unless another map was chosen */
        p.x0 = s.x[0], p.x1 = s.x[s.nx - 1];
        p.xlabel = p.xlabel ? p.xlabel : s.pdf ? "r (A)" : "q (1/A)";
        p.ylabel = p.ylabel ? p.ylabel
                   : by_time ? "time (h)"
                   : by_cap  ? "capacity (mAh/g)"
                             : "time step";
        p.label = p.label ? p.label : s.what;
        char title[200];
        if (!p.title) {
            snprintf(title, sizeof title, "%s%s%s over time", region ? "region " : "",
                     region ? region : "", s.pdf ? (region ? ": G(r)" : "G(r)")
                                                 : (region ? ": pattern" : "pattern"));
            p.title = title;
        }
        tsct_figure_side side = {sx, sy, ns, e.tvolt, "voltage (V)"};
        st = tsct_figure_film(s.data, nt, s.nx, lo, hi, e.nt > 0 ? &side : NULL, &p, out, err);
    }
    series_free(&s);
    echem_free(&e);
    free(lo), free(hi), free(sx), free(sy);
    return st;
}

/* ---- reflection tick marks ---------------------------------------------------------------- */

/* A CIF as given, else by its name in the structure folders (TSCT_STRUCTURES or the
 * installed data). */
static int find_cif(const char *name, char *path, size_t size)
{
    snprintf(path, size, "%s", name);
    if (access(path, R_OK) == 0)
        return 1;
    return tsct_phase_find_file(tsct_phase_default_dirs(), name, path, size);
}

void tsct__figure_ticks_free(tsct__figure_ticks *ts)
{
    for (int i = 0; i < ts->n; i++)
        free(ts->pos[i]);
    ts->n = 0;
}

/* One row: NAME=FILE.cif[:COLOUR] or FILE.cif[:COLOUR]; reflections with qmin <= q <= qmax. */
static tsct_status tick_row(const char *spec, int index, double qmin, double qmax,
                            tsct__figure_ticks *ts, tsct_error *err)
{
    char buf[1024], path[4096];
    snprintf(buf, sizeof buf, "%s", spec);
    char *file = buf, *eq = strchr(buf, '='), *colon = strrchr(buf, ':');
    double rgb[3];
    if (eq)
        *eq = '\0', file = eq + 1;
    if (colon && colon > file && tsct__figure_parse_colour(colon + 1, rgb) == 0)
        *colon = '\0';
    else if (tsct__figure_parse_colour(tsct__figure_default_colours[index % 8], rgb) != 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--ticks", index, "colour");
    if (!*file)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--ticks", index,
                              "expected NAME=FILE.cif[:COLOUR], got '%s'", spec);
    if (!find_cif(file, path, sizeof path))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, file, "--ticks", index,
                              "CIF not found (as a path, nor in the structure folders %s)",
                              tsct_phase_default_dirs());
    char *name = eq ? buf : NULL, stem[64];
    if (!name) {
        const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        snprintf(stem, sizeof stem, "%.63s", base);
        char *dot = strrchr(stem, '.');
        if (dot)
            *dot = '\0';
        name = stem;
    }
    tsct_crystal *cr = NULL;
    tsct_reflection_list *list = NULL;
    tsct_status st = tsct_crystal_read_cif(&cr, path, err);
    if (st != TSCT_OK)
        tsct_error_set_file(err, path);
    tsct_reflection_params rp = TSCT_REFLECTION_PARAMS_DEFAULT;
    rp.qmin = qmin, rp.qmax = qmax;
    if (st == TSCT_OK)
        st = tsct_crystal_reflections_create(&list, cr, &rp, err);
    double *pos = NULL;
    if (st == TSCT_OK && !(pos = malloc((size_t)(list->count > 0 ? list->count : 1) *
                                        sizeof *pos)))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "--ticks", index, "reflections");
    if (st == TSCT_OK) {
        int i = ts->n++;
        for (int64_t k = 0; k < list->count; k++)
            pos[k] = list->items[k].q;
        ts->pos[i] = pos;
        snprintf(ts->names[i], sizeof ts->names[i], "%.63s", name);
        tsct_figure_tick_row row = {ts->names[i], pos, list->count, {rgb[0], rgb[1], rgb[2]}};
        ts->rows[i] = row;
    }
    tsct_crystal_reflections_destroy(list);
    tsct_crystal_destroy(cr);
    return st;
}

/* Every --ticks value (comma lists) into rows, reflections between qmin and qmax. */
tsct_status tsct__figure_ticks_read(const tsct_stage_figure_params *o, double qmin, double qmax,
                                    tsct__figure_ticks *ts, tsct_error *err)
{
    memset(ts, 0, sizeof *ts);
    for (int i = 0; i < o->nticks; i++) {
        char buf[2048];
        snprintf(buf, sizeof buf, "%s", o->ticks[i]);
        for (char *save = NULL, *s = strtok_r(buf, ",", &save); s;
             s = strtok_r(NULL, ",", &save)) {
            if (ts->n == TSCT_FIG_MAX_TICKS) {
                tsct__figure_ticks_free(ts);
                return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--ticks", -1,
                                      "at most %d phases", TSCT_FIG_MAX_TICKS);
            }
            tsct_status st = tick_row(s, ts->n, qmin, qmax, ts, err);
            if (st != TSCT_OK) {
                tsct__figure_ticks_free(ts);
                return st;
            }
        }
    }
    return TSCT_OK;
}

/* ---- patterns ----------------------------------------------------------------------------- */

/* Text patterns: the first file's x axis; the others interpolated onto it (NaN outside). */
static tsct_status text_series(const tsct_stage_figure_params *o, struct series *s, tsct_error *err)
{
    memset(s, 0, sizeof *s);
    const int n = o->ninputs;
    tsct_status st = TSCT_OK;
    for (int i = 0; i < n && st == TSCT_OK; i++) {
        double *x = NULL, *y = NULL;
        int64_t m = 0;
        st = tsct_pattern_read_text(o->inputs[i], &x, &y, &m, err);
        if (st == TSCT_OK && i == 0) {
            s->x = x, x = NULL, s->nx = m, s->nt = n;
            if (!(s->data = malloc((size_t)(n * m) * sizeof *s->data)))
                st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "patterns", -1, "series");
        }
        double *v = st == TSCT_OK ? malloc((size_t)s->nx * sizeof *v) : NULL;
        if (st == TSCT_OK && !v)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "patterns", -1, "series");
        if (st == TSCT_OK) {
            if (i == 0)
                memcpy(v, y, (size_t)m * sizeof *v);
            else
                tsct_pattern_interp(x, y, m, s->x, s->nx, v);
            for (int64_t k = 0; k < s->nx; k++)
                s->data[(int64_t)i * s->nx + k] = (float)v[k];
        }
        free(v), free(x), free(y);
    }
    const char *dot = strrchr(o->inputs[0], '.');
    s->pdf = dot && strcmp(dot, ".gr") == 0;
    snprintf(s->what, sizeof s->what, "%s", s->pdf ? "G(r) (1/A^2)" : "intensity");
    if (st != TSCT_OK)
        series_free(s);
    return st;
}

tsct_status tsct__figure_patterns(tsct_container *c, const tsct_stage_figure_params *o,
                                  const char *region, const char *out, tsct_error *err)
{
    struct series s;
    const char *source = tsct__figure_source_name(o->source);
    TSCT_TRY(c ? series_read(c, o, region, source, &s, err) : text_series(o, &s, err));
    tsct_status st = TSCT_OK;
    if (o->have_range)
        st = series_crop(&s, o->range[0], o->range[1], err);
    /* Which rows: --t, else all up to 8, else 8 spread from the first to the last. */
    int64_t steps[TSCT_FIG_MAX_STEPS];
    int n = 0;
    if (c && o->nsteps > 0) {
        for (int i = 0; i < o->nsteps && st == TSCT_OK; i++) {
            if (o->steps[i] >= s.nt)
                st = tsct_error_set(err, TSCT_ERR_VALUE, o->input, "--t", o->steps[i],
                                    "time step %lld of %lld", (long long)o->steps[i],
                                    (long long)s.nt);
            steps[n++] = o->steps[i];
        }
    } else {
        n = s.nt <= 8 ? (int)s.nt : 8;
        for (int i = 0; i < n; i++)
            steps[i] = n > 1 ? (int64_t)llround((double)i * (double)(s.nt - 1) / (n - 1)) : 0;
    }
    tsct__figure_ticks ts = {0};
    if (st == TSCT_OK && o->nticks > 0 && s.pdf)
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--ticks", -1,
                            "reflection tick marks need a q axis, not r (source %s)", source);
    if (st == TSCT_OK && o->nticks > 0) {
        /* Positions in q do not depend on the wavelength; it only bounds q by 4 pi / lambda
         * (2theta = 180 degrees). */
        double lambda = o->wavelength;
        if (!(lambda > 0))
            lambda = tsct_stage_wavelength(c);
        double qmax = s.x[s.nx - 1];
        if (lambda > 0)
            qmax = fmin(qmax, 4.0 * M_PI / lambda);
        st = tsct__figure_ticks_read(o, s.x[0], qmax, &ts, err);
    }
    double **y = NULL;
    char(*names)[160] = NULL;
    if (st == TSCT_OK && (!(y = calloc((size_t)n, sizeof *y)) ||
                          !(names = malloc((size_t)n * sizeof *names))))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "patterns", -1, "series");
    /* --offset F: series i shifted up by i F (max - min of the drawn values). */
    double vmin = INFINITY, vmax = -INFINITY;
    for (int i = 0; st == TSCT_OK && i < n; i++)
        for (int64_t k = 0; k < s.nx; k++) {
            float v = s.data[steps[i] * s.nx + k];
            if (isfinite(v))
                vmin = fmin(vmin, v), vmax = fmax(vmax, v);
        }
    const double shift = isfinite(vmin) ? o->offset * (vmax - vmin) : 0;
    for (int i = 0; st == TSCT_OK && i < n; i++) {
        if (!(y[i] = malloc((size_t)s.nx * sizeof *y[i]))) {
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "patterns", -1, "series");
            break;
        }
        for (int64_t k = 0; k < s.nx; k++)
            y[i][k] = s.data[steps[i] * s.nx + k] + i * shift;
        if (c)
            tsct__figure_step_title(c, steps[i], names[i], sizeof names[i]);
        else {
            const char *base = strrchr(o->inputs[i], '/');
            snprintf(names[i], sizeof names[i], "%s", base ? base + 1 : o->inputs[i]);
        }
    }
    if (st == TSCT_OK) {
        tsct_figure_params p = o->p;
        p.sequential = c != NULL; /* time steps: dark to light */
        if (!o->have_size && (n > 1 || ts.n > 0))
            p.width = 960; /* room for the legend */
        p.xlabel = p.xlabel ? p.xlabel : s.pdf ? "r (A)" : "q (1/A)";
        p.ylabel = p.ylabel ? p.ylabel
                   : p.label ? p.label
                   : s.pdf   ? "G(r) (1/A^2)"
                             : "intensity";
        char title[200];
        if (!p.title) {
            snprintf(title, sizeof title, "%s", c ? s.what : "patterns");
            p.title = title;
        }
        const char *nm[TSCT_FIG_MAX_STEPS > TSCT_FIG_MAX_INPUTS ? TSCT_FIG_MAX_STEPS
                                                                : TSCT_FIG_MAX_INPUTS];
        for (int i = 0; i < n; i++)
            nm[i] = names[i];
        st = tsct_figure_lines_ticks(s.x, s.nx, (const double *const *)y, NULL, n,
                                     n > 1 || ts.n > 0 ? nm : NULL, ts.rows, ts.n, &p, out, err);
    }
    for (int i = 0; y && i < n; i++)
        free(y[i]);
    free(y);
    free(names);
    tsct__figure_ticks_free(&ts);
    series_free(&s);
    return st;
}

/* ---- fitted parameters -------------------------------------------------------------------- */

/* The axis label of a parameter: positions and widths in the units of x. */
static void param_label(const char *param, int pdf, char *buf, size_t size)
{
    if (strncmp(param, "position", 8) == 0 || strncmp(param, "fwhm", 4) == 0)
        snprintf(buf, size, "%s (%s)", param, pdf ? "A" : "1/A");
    else
        snprintf(buf, size, "%s", param);
}

struct fit_names {
    char list[1024];
    char first[128];
    int n;
};

static int collect_fits(void *user, const tsct_object_info *info)
{
    struct fit_names *f = user;
    const char *prefix = TSCT_PATH_FITS "/";
    const char *rest = info->path + strlen(prefix);
    if (info->is_group && strncmp(info->path, prefix, strlen(prefix)) == 0 && !strchr(rest, '/')) {
        if (f->n++ == 0)
            snprintf(f->first, sizeof f->first, "%s", rest);
        size_t used = strlen(f->list);
        snprintf(f->list + used, sizeof f->list - used, "%s%s", used ? ", " : "", rest);
    }
    return 0;
}

tsct_status tsct__figure_fit_parameters(tsct_container *c, const char *path, const char *fit,
                                        char *buf, size_t size, tsct_error *err)
{
    char p[300];
    snprintf(p, sizeof p, TSCT_PATH_FITS "/%s/parameters", fit);
    if (!tsct_container_exists(c, p))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, path, p, -1,
                              "no such fit (tsct fit peak EXP.h5 --name NAME writes it)");
    return tsct_container_get_attr_string(c, p, "parameters", buf, size, err);
}

int tsct__figure_list_index(const char *list, const char *name)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    int i = 0;
    for (char *save = NULL, *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save), i++)
        if (strcmp(s, name) == 0)
            return i;
    return -1;
}

/* The fit figure's curves: val +- esd [nt] against x [nt] (x axis xmode: capacity, voltage,
 * time or step), with the labels and title of the parameter; against capacity one series per
 * half cycle. */
static tsct_status fit_draw(tsct_container *c, const tsct_stage_figure_params *o, const char *fit,
                            const char *param, const char *src, const struct echem *ep,
                            const double *x, double *val, double *esd, int64_t nt,
                            const char *xmode, const char *out, tsct_error *err)
{
    const struct echem e = *ep;
    const int xcap = strcmp(xmode, "capacity") == 0, xvolt = strcmp(xmode, "voltage") == 0,
              xtime = strcmp(xmode, "time") == 0;
    tsct_status st;
    tsct_figure_params p = o->p;
    char ylab[160], title[300];
    param_label(param, strcmp(src, "pdf") == 0, ylab, sizeof ylab);
    p.xlabel = p.xlabel ? p.xlabel
               : xcap    ? "capacity (mAh/g)"
               : xvolt   ? "voltage (V)"
               : xtime   ? "time (h)"
                         : "time step";
    p.ylabel = p.ylabel ? p.ylabel : p.label ? p.label : ylab;
    if (!p.title) {
        if (o->have_voxel)
            snprintf(title, sizeof title, "fit %s: %s of voxel %lld,%lld, +- ESD", fit,
                     param, (long long)o->voxel[0], (long long)o->voxel[1]);
        else
            snprintf(title, sizeof title, "fit %s: mean %s of the converged voxels, +- ESD",
                     fit, param);
        p.title = title;
    }
    /* Against capacity, which restarts at each half cycle: one series per half cycle
     * (discharge and charge apart), as capacity plots are read. */
    double *half = NULL, *cur = NULL, *ys[8] = {0}, *es[8] = {0};
    int64_t nh = 0, nc = 0;
    char hname[8][64];
    const char *hn[8];
    int nser = 1;
    if (xcap && tsct_container_exists(c, TSCT_PATH_ECHEM_TOMOGRAM_HALF_CYCLE) &&
        tsct_container_read_vector(c, TSCT_PATH_ECHEM_TOMOGRAM_HALF_CYCLE, &half, &nh,
                                   NULL) == TSCT_OK &&
        nh >= nt) {
        double first = half[0], last = half[0];
        for (int64_t t = 1; t < nt; t++)
            first = fmin(first, half[t]), last = fmax(last, half[t]);
        nser = last - first < 8 ? (int)(last - first) + 1 : 1;
        if (tsct_container_exists(c, TSCT_PATH_ECHEM_CURRENT))
            tsct_container_read_vector(c, TSCT_PATH_ECHEM_CURRENT, &cur, &nc, NULL);
        for (int h = 0; nser > 1 && h < nser; h++) {
            if (!(ys[h] = malloc((size_t)nt * sizeof *ys[h])) ||
                !(es[h] = malloc((size_t)nt * sizeof *es[h]))) {
                nser = 1;
                break;
            }
            const char *dir = "";
            for (int64_t t = 0; t < nt; t++) {
                const int mine = half[t] == first + h;
                ys[h][t] = mine ? val[t] : NAN, es[h][t] = mine ? esd[t] : NAN;
                /* The current's sign in the tomogram's window: discharge < 0. */
                double mid = 0.5 * (e.start[t] + e.end[t]);
                for (int64_t i = 0; mine && cur && nc == e.n && i < e.n; i++)
                    if (e.time[i] >= mid) {
                        dir = cur[i] < 0 ? " (discharge)" : cur[i] > 0 ? " (charge)" : "";
                        break;
                    }
            }
            snprintf(hname[h], sizeof hname[h], "half cycle %d%s", (int)first + h, dir);
            hn[h] = hname[h];
        }
    }
    if (nser > 1) {
        st = tsct_figure_lines(x, nt, (const double *const *)ys, (const double *const *)es,
                               nser, hn, &p, out, err);
    } else {
        const double *yy[1] = {val}, *ee[1] = {esd};
        st = tsct_figure_lines(x, nt, yy, ee, 1, NULL, &p, out, err);
    }
    for (int h = 0; h < 8; h++)
        free(ys[h]), free(es[h]);
    free(half), free(cur);
    return st;
}

tsct_status tsct__figure_fit(tsct_container *c, const tsct_stage_figure_params *o, const char *fit,
                             const char *param, const char *out, tsct_error *err)
{
    struct fit_names fn = {{0}, {0}, 0};
    if (!fit) {
        if (tsct_container_exists(c, TSCT_PATH_FITS))
            TSCT_TRY(tsct_container_walk(c, TSCT_PATH_FITS, collect_fits, &fn, err));
        if (fn.n != 1)
            return tsct_error_set(err, fn.n ? TSCT_ERR_VALUE : TSCT_ERR_NOT_FOUND, o->input,
                                  TSCT_PATH_FITS, -1,
                                  fn.n ? "several fits (%s): choose one with --fit NAME"
                                       : "no fits%s (tsct fit peak EXP.h5 --name NAME writes "
                                         "them)",
                                  fn.list);
        fit = fn.first;
    }
    char names[1024], pset[300], eset[300], sset[300], src[64] = "recon";
    TSCT_TRY(tsct__figure_fit_parameters(c, o->input, fit, names, sizeof names, err));
    const int k = tsct__figure_list_index(names, param);
    snprintf(pset, sizeof pset, TSCT_PATH_FITS "/%s/parameters", fit);
    snprintf(eset, sizeof eset, TSCT_PATH_FITS "/%s/esd", fit);
    snprintf(sset, sizeof sset, TSCT_PATH_FITS "/%s/status", fit);
    if (k < 0)
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, o->input, pset, -1,
                              "no parameter '%s' (fit %s has %s)", param, fit, names);
    tsct_container_get_attr_string(c, pset, "source", src, sizeof src, NULL);
    struct echem e = {0};
    TSCT_TRY(echem_read(c, o->input, &e, err));
    tsct_dataset *dp = NULL, *de = NULL, *ds = NULL;
    int64_t sh[8] = {0}, ssh[8] = {0};
    float *pr = NULL, *er = NULL, *sr = NULL;
    double *x = NULL, *val = NULL, *esd = NULL;
    tsct_status st = tsct_dataset_open(c, pset, &dp, err);
    if (st == TSCT_OK)
        st = tsct_dataset_open(c, eset, &de, err);
    if (st == TSCT_OK && tsct_container_exists(c, sset))
        st = tsct_dataset_open(c, sset, &ds, err);
    if (st == TSCT_OK && (tsct_dataset_shape(dp, sh) != 5 || o->z >= sh[1] || sh[4] <= k))
        st = tsct_error_set(err, TSCT_ERR_SHAPE, o->input, pset, o->z,
                            "expected [nt][nz][ny][nx][k] with slice %lld", (long long)o->z);
    if (st == TSCT_OK && ds && (tsct_dataset_shape(ds, ssh) != 4 || ssh[3] != sh[3]))
        st = tsct_error_set(err, TSCT_ERR_SHAPE, o->input, sset, -1, "expected [nt][nz][ny][nx]");
    const int64_t nt = sh[0], ny = sh[2], nxv = sh[3], nk = sh[4];
    if (st == TSCT_OK && o->have_voxel && (o->voxel[0] >= ny || o->voxel[1] >= nxv))
        st = tsct_error_set(err, TSCT_ERR_VALUE, o->input, "--voxel", -1,
                            "voxel %lld,%lld outside the %lld x %lld slice",
                            (long long)o->voxel[0], (long long)o->voxel[1], (long long)ny,
                            (long long)nxv);
    const char *xmode = o->x ? o->x : e.nt > 0 ? "capacity" : "step";
    const int xcap = strcmp(xmode, "capacity") == 0, xvolt = strcmp(xmode, "voltage") == 0,
              xtime = strcmp(xmode, "time") == 0;
    if (st == TSCT_OK && !xcap && !xvolt && !xtime && strcmp(xmode, "step") != 0)
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--x", -1,
                            "fit: expected capacity, voltage, time or step, got '%s'", xmode);
    if (st == TSCT_OK && (xcap || xvolt || xtime) && e.nt < nt)
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, o->input, TSCT_PATH_ECHEM, -1,
                            "--x %s needs the electrochemistry of every tomogram (tsct echem "
                            "writes it)", xmode);
    if (st == TSCT_OK && (!(pr = malloc((size_t)(nxv * nk) * sizeof *pr)) ||
                          !(er = malloc((size_t)(nxv * nk) * sizeof *er)) ||
                          !(sr = malloc((size_t)nxv * sizeof *sr)) ||
                          !(x = malloc((size_t)nt * sizeof *x)) ||
                          !(val = malloc((size_t)nt * sizeof *val)) ||
                          !(esd = malloc((size_t)nt * sizeof *esd))))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "fit", -1, "buffers");
    int64_t used = 0;
    for (int64_t t = 0; st == TSCT_OK && t < nt; t++) {
        x[t] = xcap ? e.tcap[t] : xvolt ? e.tvolt[t] : xtime ? 0.5 * (e.start[t] + e.end[t]) / 3600.0
                                                             : (double)t;
        /* One voxel: its value and ESD. All: the mean of the voxels whose fit converged inside
         * the bounds (status 0; on a bound the peak is usually absent and its position and
         * width meaningless) with a finite value and ESD, and the ESD of that mean,
         * sqrt(sum esd^2) / N (the fits' own uncertainty, not the spread between voxels). */
        double sum = 0, var = 0;
        int64_t count = 0;
        const int64_t y0 = o->have_voxel ? o->voxel[0] : 0, y1 = o->have_voxel ? y0 + 1 : ny;
        for (int64_t y = y0; st == TSCT_OK && y < y1; y++) {
            int64_t start[5] = {t, o->z, y, 0, 0}, count5[5] = {1, 1, 1, nxv, nk};
            int64_t s4[4] = {t, o->z, y, 0}, c4[4] = {1, 1, 1, nxv};
            st = tsct_dataset_read(dp, start, count5, pr, err);
            if (st == TSCT_OK)
                st = tsct_dataset_read(de, start, count5, er, err);
            if (st == TSCT_OK && ds)
                st = tsct_dataset_read(ds, s4, c4, sr, err);
            const int64_t x0 = o->have_voxel ? o->voxel[1] : 0, x1 = o->have_voxel ? x0 + 1 : nxv;
            for (int64_t xv = x0; st == TSCT_OK && xv < x1; xv++) {
                double v = pr[xv * nk + k], s = er[xv * nk + k];
                if (o->have_voxel) {
                    sum = v, var = s * s, count = 1;
                    continue;
                }
                if (!isfinite(v) || !isfinite(s) || (ds && sr[xv] != 0))
                    continue;
                sum += v, var += s * s, count++;
            }
        }
        val[t] = count > 0 ? sum / count : NAN;
        esd[t] = count > 0 ? sqrt(var) / count : NAN;
        used = count > used ? count : used;
    }
    if (st == TSCT_OK && !o->have_voxel && used == 0)
        st = tsct_error_set(err, TSCT_ERR_VALUE, o->input, pset, o->z,
                            "no voxel of slice %lld converged (status 0) with a finite %s "
                            "and ESD",
                            (long long)o->z, param);
    if (st == TSCT_OK)
        st = fit_draw(c, o, fit, param, src, &e, x, val, esd, nt, xmode, out, err);
    tsct_dataset_close(dp);
    tsct_dataset_close(de);
    tsct_dataset_close(ds);
    echem_free(&e);
    free(pr), free(er), free(sr), free(x), free(val), free(esd);
    return st;
}

/* The table of `tsct fit peak --series`: PARAM and PARAM_esd against capacity (or index). */
tsct_status tsct__figure_fit_table(const tsct_stage_figure_params *o, tsct_error *err)
{
    FILE *f = fopen(o->input, "r");
    if (!f)
        return tsct_error_set(err, TSCT_ERR_IO, o->input, NULL, -1, "cannot open");
    char line[8192] = "";
    while (fgets(line, sizeof line, f) && line[0] == '#')
        ;
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    char want[200];
    snprintf(want, sizeof want, "%s_esd", o->param);
    const int has_param = tsct__figure_list_index(line, o->param) >= 0;
    const int has_esd = tsct__figure_list_index(line, want) >= 0;
    if (!has_param || !has_esd) {
        /* The parameters are the columns with an _esd partner. */
        char params[1024] = "", buf[8192];
        snprintf(buf, sizeof buf, "%s", line);
        for (char *save = NULL, *s = strtok_r(buf, ",", &save); s;
             s = strtok_r(NULL, ",", &save)) {
            char e[200];
            snprintf(e, sizeof e, "%s_esd", s);
            size_t used = strlen(params);
            if (tsct__figure_list_index(line, e) >= 0)
                snprintf(params + used, sizeof params - used, "%s%s", used ? ", " : "", s);
        }
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, o->input, o->param, -1,
                              "no such parameter with an ESD column (the table has %s)",
                              params[0] ? params : "none: is it a tsct fit peak --series table?");
    }
    tsct_stage_figure_params q = *o;
    q.x = o->x                                                   ? o->x
          : tsct__figure_list_index(line, "capacity") >= 0 ? "capacity"
                                                             : "index";
    q.y = o->param;
    q.errs = want;
    char title[300];
    if (!q.p.xlabel && strcmp(q.x, "capacity") == 0)
        q.p.xlabel = "capacity (mAh/g)";
    if (!q.p.xlabel && strcmp(q.x, "voltage") == 0)
        q.p.xlabel = "voltage (V)";
    /* The table does not say whether x was q or r: no unit for positions. */
    q.p.ylabel = q.p.ylabel ? q.p.ylabel : q.p.label ? q.p.label : o->param;
    if (!q.p.title) {
        const char *base = strrchr(o->input, '/');
        snprintf(title, sizeof title, "%s +- ESD (%s)", o->param, base ? base + 1 : o->input);
        q.p.title = title;
    }
    return tsct__figure_plot(&q, err);
}
