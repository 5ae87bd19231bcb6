/* stage_import.c - the import stage (see include/tsct/stage.h): data of other programs (any
 * HDF5 array, pyFAI's integrated frame series, nDTomo's sinogram cubes) into a stage of the
 * container, with the scan axes that later stages need.
 *
 * The data are streamed row by row (one row: [n3][n] of the stage, e.g. one angle's
 * translations) through a resumable step, so an interrupted import continues where it
 * stopped and the stage appears in the container only when complete; memory is one row
 * whatever the array's size. Each layout only says where row (t, z, n2) lies in the source:
 * a hyperslab of a padded array, ns frames of a series, or a strided slice of a cube whose
 * translations come first. Axis values are converted to the layout's units (docs/import.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stage_internal.h"
#include "tsct/array.h"
#include "tsct/pattern.h"
#include "tsct/progress.h"
#include "tsct/publish.h"

static const struct {
    const char *name;
    const char *data;
    const char *axis;
    const char *units;
} targets[] = {
    [TSCT_STAGE_IMPORT_INTEGRATED] = {"integrated", TSCT_PATH_INTEGRATED, TSCT_PATH_INTEGRATED_Q,
                                      "A^-1"},
    [TSCT_STAGE_IMPORT_SINOGRAMS] = {"sinograms", TSCT_PATH_SINOGRAMS, TSCT_PATH_SINOGRAMS_Q,
                                     "A^-1"},
    [TSCT_STAGE_IMPORT_RECON] = {"recon", TSCT_PATH_RECON, TSCT_PATH_RECON_Q, "A^-1"},
    [TSCT_STAGE_IMPORT_PDF] = {"pdf", TSCT_PATH_PDF, TSCT_PATH_PDF_R, "A"},
};

struct import_run {
    const tsct_stage_import_params *o;
    tsct_container *src_file, *axis_file, *c;
    tsct_dataset *src, *dst;
    tsct_step *step;
    double *axis;
    float *row;
    int64_t naxis;
    int snd;                 /* the source's rank */
    int64_t sshape[8];       /* the source's shape */
    int64_t shape[5];        /* the stage's shape */
    char data_path[1024];    /* the source dataset */
    char file[TSCT_PATH_MAX];/* the source file */
    double *scan[3];         /* angle [na], translation [ns], time [nt] (NULL: not given) */
    int64_t nscan[3];
    tsct_pattern_table *table; /* XY: the scan table */
    int64_t *cell;           /* XY: the table row of each frame [nt][nz][na][ns] */
    double *x0;              /* XY: the first pattern's x [nq], as read */
};

/* ---- units -------------------------------------------------------------------------------- */

struct unit {
    const char *name;
    double factor;  /* to the stored unit */
};

static const struct unit angle_units[] = {{"deg", 1.0}, {"degree", 1.0}, {"degrees", 1.0},
                                          {"rad", 180.0 / M_PI}, {NULL, 0.0}};
static const struct unit length_units[] = {{"mm", 1.0}, {"um", 1e-3}, {"micron", 1e-3},
                                           {"m", 1e3}, {"nm", 1e-6}, {NULL, 0.0}};
static const struct unit time_units[] = {{"s", 1.0}, {"min", 60.0}, {"h", 3600.0},
                                         {NULL, 0.0}};
static const struct unit q_units[] = {{"A^-1", 1.0}, {"1/A", 1.0}, {"angstrom^-1", 1.0},
                                      {"q_A^-1", 1.0}, {"nm^-1", 0.1}, {"1/nm", 0.1},
                                      {"q_nm^-1", 0.1}, {NULL, 0.0}};
static const struct unit r_units[] = {{"A", 1.0}, {"angstrom", 1.0}, {"nm", 10.0},
                                      {NULL, 0.0}};
/* 2theta axes become q with the wavelength. */
static const struct unit tth_units[] = {{"deg", M_PI / 180.0}, {"2th_deg", M_PI / 180.0},
                                        {"rad", 1.0}, {"2th_rad", 1.0}, {NULL, 0.0}};

static const struct unit *find_unit(const struct unit *t, const char *name)
{
    for (; t->name; t++)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

static void unit_list(const struct unit *t, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; t[i].name && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", t[i].name);
}

/* Scale v[n] from units (unit table t) into the stored unit. */
static tsct_status convert(double *v, int64_t n, const struct unit *t, const char *units,
                           const char *spec, const char *what, tsct_error *err)
{
    const struct unit *u = find_unit(t, units);
    if (!u) {
        char list[256];
        unit_list(t, list, sizeof list);
        return tsct_error_set(err, TSCT_ERR_VALUE, spec, what, -1,
                              "unknown units '%s' (expected one of %s)", units, list);
    }
    for (int64_t i = 0; i < n; i++)
        v[i] *= u->factor;
    return TSCT_OK;
}

/* ---- axes from files or ranges -------------------------------------------------------------- */

/* A 1-D dataset "FILE.h5::/path" ("::/path": in the source file) as float64, with its units
 * attribute ("units", or pyFAI's "unit"; "" when it has none) in units[64]. */
static tsct_status read_spec_vector(const char *spec, const char *source_file, const char *what,
                                    double **v, int64_t *n, char *units, tsct_error *err)
{
    char file[TSCT_PATH_MAX], dset[1024];
    tsct_path_split(spec, file, sizeof file, dset, sizeof dset);
    if (!file[0])
        snprintf(file, sizeof file, "%s", source_file);
    if (!dset[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, spec, what, -1,
                              "name the dataset as FILE.h5::/path (or ::/path in the source)");
    tsct_container *f = NULL;
    TSCT_TRY(tsct_h5file_open(file, TSCT_OPEN_READ, &f, err));
    tsct_status st = tsct_container_read_vector(f, dset, v, n, err);
    units[0] = '\0';
    if (st == TSCT_OK &&
        tsct_container_get_attr_string(f, dset, "units", units, 64, NULL) != TSCT_OK)
        tsct_container_get_attr_string(f, dset, "unit", units, 64, NULL);
    for (int64_t i = 0; st == TSCT_OK && i < *n; i++)
        if (!isfinite((*v)[i]))
            st = tsct_error_set(err, TSCT_ERR_VALUE, spec, what, i,
                                "expected finite values, found %g", (*v)[i]);
    tsct_container_close(f, NULL);
    if (st != TSCT_OK) {
        free(*v);
        *v = NULL;
    }
    return st;
}

/* A scan axis: a dataset (converted from its units) or a range "A:B:N" (already in the stored
 * unit; `end_excluded` for angles). */
static tsct_status scan_axis(const char *spec, const char *source_file, const char *what,
                             const struct unit *t, const char *units_opt, const char *fallback,
                             int end_excluded, double **v, int64_t *n, tsct_error *err)
{
    *v = NULL;
    *n = 0;
    if (!spec)
        return TSCT_OK;
    if (!strstr(spec, "::")) {
        double a, b;
        long long k;
        char tail;
        if (sscanf(spec, "%lf:%lf:%lld%c", &a, &b, &k, &tail) != 3 || !isfinite(a) ||
            !isfinite(b) || k < 1 || k > TSCT_VECTOR_MAX || (k > 1 && a == b))
            return tsct_error_set(err, TSCT_ERR_VALUE, spec, what, -1,
                                  "expected FILE.h5::/dataset or a range A:B:N (N >= 1, A != B)");
        if (!(*v = malloc((size_t)k * sizeof **v)))
            return tsct_error_set(err, TSCT_ERR_NOMEM, spec, what, -1, "%lld values", k);
        const double d = end_excluded ? (double)k : (double)(k > 1 ? k - 1 : 1);
        for (long long i = 0; i < k; i++)
            (*v)[i] = a + (b - a) * (double)i / d;
        *n = k;
        if (units_opt)
            return convert(*v, *n, t, units_opt, spec, what, err);
        return TSCT_OK;
    }
    char units[64];
    TSCT_TRY(read_spec_vector(spec, source_file, what, v, n, units, err));
    tsct_status st = convert(*v, *n, t, units_opt ? units_opt : units[0] ? units : fallback,
                             spec, what, err);
    if (st != TSCT_OK) {
        free(*v);
        *v = NULL;
    }
    return st;
}

/* The last axis' values in the stage's unit: q in A^-1 (from nm^-1, or from 2theta with the
 * wavelength), r in A. */
static tsct_status axis_to_stage(struct import_run *r, const char *spec, const char *units,
                                 tsct_error *err)
{
    const tsct_stage_import_params *o = r->o;
    const char *u = o->axis_units ? o->axis_units : units[0] ? units : NULL;
    if (o->target == TSCT_STAGE_IMPORT_PDF)
        return convert(r->axis, r->naxis, r_units, u ? u : "A", spec, "axis", err);
    if (!u || find_unit(q_units, u))
        return convert(r->axis, r->naxis, q_units, u ? u : "A^-1", spec, "axis", err);
    if (!find_unit(tth_units, u)) {
        char a[256], b[128];
        unit_list(q_units, a, sizeof a);
        unit_list(tth_units, b, sizeof b);
        return tsct_error_set(err, TSCT_ERR_VALUE, spec, "axis", -1,
                              "unknown units '%s' (expected q in %s, or 2theta in %s)", u, a, b);
    }
    if (!(o->wavelength > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, spec, "axis", -1,
                              "a 2theta axis (%s) needs the wavelength (--wavelength or "
                              "--energy) to become q", u);
    TSCT_TRY(convert(r->axis, r->naxis, tth_units, u, spec, "axis", err));
    for (int64_t i = 0; i < r->naxis; i++)
        r->axis[i] = 4.0 * M_PI / o->wavelength * sin(0.5 * r->axis[i]);
    return TSCT_OK;
}

/* pyFAI's HDF5Writer: the NXdata the @default attributes name (or the group given), its
 * signal and its radial axis. */
static tsct_status pyfai_locate(struct import_run *r, const char *group_given, char *axis_path,
                                size_t size, tsct_error *err)
{
    char group[1024] = "", def[512] = "", sig[128] = "";
    if (group_given[0])
        snprintf(group, sizeof group, "%s", group_given);
    else if (tsct_container_get_attr_string(r->src_file, "/", "default", def, sizeof def,
                                            NULL) == TSCT_OK && def[0]) {
        char entry[600], sub[512] = "";
        snprintf(entry, sizeof entry, "%s%s", def[0] == '/' ? "" : "/", def);
        tsct_container_get_attr_string(r->src_file, entry, "default", sub, sizeof sub, NULL);
        snprintf(group, sizeof group, "%.600s%s%.400s", entry, sub[0] ? "/" : "", sub);
    }
    if (!group[0] || !tsct_container_exists(r->src_file, group))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, r->file, group[0] ? group : "/@default",
                              -1, "no integrated data: expected the NXdata of pyFAI's "
                              "HDF5Writer (named by the @default attributes of the file and "
                              "its entry, e.g. /entry_0000/integrate/results), or name it as "
                              "FILE.h5::/group");
    if (tsct_container_get_attr_string(r->src_file, group, "signal", sig, sizeof sig, NULL) !=
            TSCT_OK || !sig[0])
        snprintf(sig, sizeof sig, "I");
    snprintf(r->data_path, sizeof r->data_path, "%.800s/%.127s", group, sig);
    snprintf(axis_path, size, "%s/radial", group);
    return TSCT_OK;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The distinct values of v[n], sorted, into a new *u[*nu]. */
static tsct_status distinct(const double *v, int64_t n, double **u, int64_t *nu, tsct_error *err)
{
    if (!(*u = malloc((size_t)n * sizeof **u)))
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "scan table", -1, "%lld", (long long)n);
    memcpy(*u, v, (size_t)n * sizeof **u);
    qsort(*u, (size_t)n, sizeof **u, cmp_double);
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (i == 0 || (*u)[i] != (*u)[k - 1])
            (*u)[k++] = (*u)[i];
    *nu = k;
    return TSCT_OK;
}

static int64_t index_of(const double *u, int64_t n, double x)
{
    const double *p = bsearch(&x, u, (size_t)n, sizeof *u, cmp_double);
    return p ? p - u : -1;
}

/* XY: the table, the scan it spans (its distinct values), every pattern's place, and the
 * axis from the first pattern. */
static tsct_status xy_inputs(struct import_run *r, tsct_error *err)
{
    const tsct_stage_import_params *o = r->o;
    TSCT_TRY(tsct_pattern_table_read(o->source, &r->table, err));
    const tsct_pattern_table *t = r->table;
    double *ax[4] = {NULL, NULL, NULL, NULL};  /* angle, translation, time, slice */
    int64_t n[4] = {1, 1, 1, 1};
    const double *col[4] = {t->angle, t->translation, t->time, t->slice};
    for (int k = 0; k < 4; k++)
        if (col[k])
            TSCT_TRY(distinct(col[k], t->n, &ax[k], &n[k], err));
    r->scan[0] = ax[0], r->nscan[0] = n[0];
    r->scan[1] = ax[1], r->nscan[1] = n[1];
    if (ax[2])
        r->scan[2] = ax[2], r->nscan[2] = n[2];
    const int64_t shape[4] = {n[2], n[3], n[0], n[1]}, ncell = n[0] * n[1] * n[2] * n[3];
    if (ncell > TSCT_PATTERN_TABLE_ROWS_MAX || !(r->cell = malloc((size_t)ncell * sizeof *r->cell))) {
        free(ax[3]);
        return tsct_error_set(err, ncell > TSCT_PATTERN_TABLE_ROWS_MAX ? TSCT_ERR_SHAPE
                                                                        : TSCT_ERR_NOMEM,
                              o->source, NULL, -1, "a scan of %lld x %lld x %lld x %lld",
                              (long long)shape[0], (long long)shape[1], (long long)shape[2],
                              (long long)shape[3]);
    }
    for (int64_t i = 0; i < ncell; i++)
        r->cell[i] = -1;
    tsct_status st = TSCT_OK;
    for (int64_t i = 0; i < t->n && st == TSCT_OK; i++) {
        const int64_t it = t->time ? index_of(ax[2], n[2], t->time[i]) : 0;
        const int64_t iz = t->slice ? index_of(ax[3], n[3], t->slice[i]) : 0;
        const int64_t c = ((it * n[3] + iz) * n[0] + index_of(ax[0], n[0], t->angle[i])) * n[1] +
                          index_of(ax[1], n[1], t->translation[i]);
        if (r->cell[c] >= 0)
            st = tsct_error_set(err, TSCT_ERR_VALUE, o->source, t->file[i], i,
                                "a second pattern for angle %g, translation %g (the first: %s)",
                                t->angle[i], t->translation[i], t->file[r->cell[c]]);
        r->cell[c] = i;
    }
    for (int64_t c = 0; c < ncell && st == TSCT_OK; c++)
        if (r->cell[c] < 0)
            st = tsct_error_set(err, TSCT_ERR_VALUE, o->source, "scan table", -1,
                                "no pattern for time step %lld, slice %lld, angle %g, "
                                "translation %g: the table must fill the scan its values span",
                                (long long)(c / (n[0] * n[1] * n[3])),
                                (long long)(c / (n[0] * n[1]) % n[3]), ax[0][c / n[1] % n[0]],
                                ax[1][c % n[1]]);
    free(ax[3]);
    TSCT_TRY(st);
    double *y = NULL;
    TSCT_TRY(tsct_pattern_read_text(t->file[0], &r->x0, &y, &r->naxis, err));
    free(y);
    const int64_t s5[5] = {shape[0], shape[1], shape[2], shape[3], r->naxis};
    memcpy(r->shape, s5, sizeof s5);
    if (!(r->axis = malloc((size_t)r->naxis * sizeof *r->axis)))
        return tsct_error_set(err, TSCT_ERR_NOMEM, t->file[0], NULL, -1, "axis");
    memcpy(r->axis, r->x0, (size_t)r->naxis * sizeof *r->axis);
    /* The table's values are in the units the options name (deg, mm, s by default). */
    TSCT_TRY(convert(r->scan[0], r->nscan[0], angle_units, o->angle_units ? o->angle_units : "deg",
                     o->source, "angle", err));
    TSCT_TRY(convert(r->scan[1], r->nscan[1], length_units,
                     o->translation_units ? o->translation_units : "mm", o->source,
                     "translation", err));
    if (r->scan[2])
        TSCT_TRY(convert(r->scan[2], r->nscan[2], time_units, o->time_units ? o->time_units : "s",
                         o->source, "time", err));
    return axis_to_stage(r, t->file[0], "", err);
}

/* The source, the stage's shape, the last axis' values and the scan axes. */
static tsct_status import_inputs(struct import_run *r, tsct_error *err)
{
    const tsct_stage_import_params *o = r->o;
    char dset[1024], axis_path[1100] = "";
    if (o->layout == TSCT_STAGE_IMPORT_XY)
        return xy_inputs(r, err);
    tsct_path_split(o->source, r->file, sizeof r->file, dset, sizeof dset);
    if (o->layout != TSCT_STAGE_IMPORT_PYFAI && !dset[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, r->file, "source", -1,
                              "name the dataset as FILE.h5::/path/to/dataset");
    TSCT_TRY(tsct_h5file_open(r->file, TSCT_OPEN_READ, &r->src_file, err));
    snprintf(r->data_path, sizeof r->data_path, "%s", dset);
    if (o->layout == TSCT_STAGE_IMPORT_PYFAI)
        TSCT_TRY(pyfai_locate(r, dset, axis_path, sizeof axis_path, err));
    TSCT_TRY(tsct_dataset_open(r->src_file, r->data_path, &r->src, err));
    r->snd = tsct_dataset_shape(r->src, r->sshape);
    const int64_t *ss = r->sshape;
    char b[128];
    tsct_shape_format(b, sizeof b, r->snd, ss);
    /* The scan axes first: a frame series takes its shape from them. */
    TSCT_TRY(scan_axis(o->angles, r->file, "angles", angle_units, o->angle_units, "deg", 1,
                       &r->scan[0], &r->nscan[0], err));
    TSCT_TRY(scan_axis(o->translations, r->file, "translations", length_units,
                       o->translation_units, "mm", 0, &r->scan[1], &r->nscan[1], err));
    TSCT_TRY(scan_axis(o->times, r->file, "times", time_units, o->time_units, "s", 0,
                       &r->scan[2], &r->nscan[2], err));
    if (o->layout == TSCT_STAGE_IMPORT_ARRAY) {
        if (r->snd > 5)
            return tsct_error_set(err, TSCT_ERR_SHAPE, o->source, NULL, -1,
                                  "a stage has 5 axes, the source has %d (shape %s)", r->snd, b);
        for (int i = 0; i < 5; i++)
            r->shape[i] = i < 5 - r->snd ? 1 : ss[i - (5 - r->snd)];
    } else if (o->layout == TSCT_STAGE_IMPORT_NDTOMO) {
        if (r->snd != 3 && r->snd != 4)
            return tsct_error_set(err, TSCT_ERR_SHAPE, o->source, NULL, -1,
                                  "expected an nDTomo sinogram cube [translations][angles]"
                                  "[channels] or [slices][translations][angles][channels], "
                                  "found %s", b);
        const int k = r->snd - 3;
        const int64_t shape[5] = {1, k ? ss[0] : 1, ss[k + 1], ss[k], ss[k + 2]};
        memcpy(r->shape, shape, sizeof shape);
        if (!o->axis) {
            /* nDTomo keeps the axis beside the cube as "q". */
            snprintf(axis_path, sizeof axis_path, "%.*sq",
                     (int)(strrchr(r->data_path, '/') - r->data_path + 1), r->data_path);
            if (!tsct_container_exists(r->src_file, axis_path))
                axis_path[0] = '\0';
        }
    } else {
        if (r->snd < 2 || r->snd > 3)
            return tsct_error_set(err, TSCT_ERR_SHAPE, r->file, r->data_path, -1,
                                  "expected pyFAI's frames [nframes][nq] or [nslow][fast][nq], "
                                  "found %s", b);
        if (!r->scan[0] || !r->scan[1])
            return tsct_error_set(err, TSCT_ERR_VALUE, r->file, r->data_path, -1,
                                  "a series of %lld frames is cut into scans by the angles and "
                                  "translations: give both", (long long)(tsct_shape_size(
                                      r->snd, ss) / ss[r->snd - 1]));
        const int64_t nframes = tsct_shape_size(r->snd - 1, ss);
        const int64_t per = o->slices * r->nscan[0] * r->nscan[1];
        if (nframes % per != 0)
            return tsct_error_set(err, TSCT_ERR_SHAPE, r->file, r->data_path, -1,
                                  "%lld frames do not fill whole scans of %lld slices x %lld "
                                  "angles x %lld translations", (long long)nframes,
                                  (long long)o->slices, (long long)r->nscan[0],
                                  (long long)r->nscan[1]);
        const int64_t shape[5] = {nframes / per, o->slices, r->nscan[0], r->nscan[1],
                                  ss[r->snd - 1]};
        memcpy(r->shape, shape, sizeof shape);
    }
    if (tsct_shape_size(5, r->shape) == 0)
        return tsct_error_set(err, TSCT_ERR_SHAPE, o->source, NULL, -1, "the array is empty");
    static const char *const what[3] = {"angles", "translations", "times"};
    const int64_t want[3] = {r->shape[2], r->shape[3], r->shape[0]};
    for (int i = 0; i < 3; i++)
        if (r->scan[i] && r->nscan[i] != want[i])
            return tsct_error_set(err, TSCT_ERR_SHAPE, o->source, what[i], -1,
                                  "%lld %s for a scan of %lld (shape %lld x %lld x %lld x %lld)",
                                  (long long)r->nscan[i], what[i], (long long)want[i],
                                  (long long)r->shape[0], (long long)r->shape[1],
                                  (long long)r->shape[2], (long long)r->shape[3]);
    const char *axis_spec = o->axis;
    char here[TSCT_PATH_MAX + 1200];
    if (!axis_spec && axis_path[0]) {
        snprintf(here, sizeof here, "%s::%s", r->file, axis_path);
        axis_spec = here;
    }
    if (!axis_spec)
        return TSCT_OK;
    char units[64];
    TSCT_TRY(read_spec_vector(axis_spec, r->file, "axis", &r->axis, &r->naxis, units, err));
    if (r->naxis != r->shape[4])
        return tsct_error_set(err, TSCT_ERR_SHAPE, axis_spec, NULL, -1,
                              "%lld axis values for a last axis of %lld", (long long)r->naxis,
                              (long long)r->shape[4]);
    return axis_to_stage(r, axis_spec, units, err);
}

/* The scan axes given, staged with the data: /entry/scan/angle (deg), translation (mm), time
 * (s), and z (index) when the container has none. */
static tsct_status stage_scan_axes(struct import_run *r, tsct_error *err)
{
    static const char *const path[3] = {TSCT_PATH_SCAN "/angle", TSCT_PATH_SCAN "/translation",
                                        TSCT_PATH_SCAN "/time"};
    static const char *const units[3] = {"deg", "mm", "s"};
    int any = 0;
    for (int i = 0; i < 3; i++) {
        if (!r->scan[i])
            continue;
        TSCT_TRY(tsct_step_vector(r->step, path[i], r->scan[i], r->nscan[i], units[i], err));
        any = 1;
    }
    if (!any || tsct_container_exists(r->c, TSCT_PATH_SCAN "/z"))
        return TSCT_OK;
    double *z = malloc((size_t)r->shape[1] * sizeof *z);
    if (!z)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "z", -1, "axis");
    for (int64_t k = 0; k < r->shape[1]; k++)
        z[k] = (double)k;
    tsct_status st = tsct_step_vector(r->step, TSCT_PATH_SCAN "/z", z, r->shape[1], "index", err);
    free(z);
    return st;
}

/* After the commit: what the sinogram stage reads about the scan (/entry/scan@zigzag,
 * @fast_axis) and the wavelength (m), for a scan imported with its axes. */
static tsct_status scan_attributes(struct import_run *r, tsct_error *err)
{
    const tsct_stage_import_params *o = r->o;
    if (!r->scan[0] && !r->scan[1] && !(o->wavelength > 0) && !o->zigzag)
        return TSCT_OK;
    if (!tsct_container_exists(r->c, TSCT_PATH_SCAN)) {
        const double zero = 0.0;
        TSCT_TRY(tsct_container_write_vector(r->c, TSCT_PATH_SCAN "/z", &zero, 1, "index", err));
    }
    TSCT_TRY(tsct_container_set_attr_int(r->c, TSCT_PATH_SCAN, "zigzag", o->zigzag, err));
    TSCT_TRY(tsct_container_set_attr_string(r->c, TSCT_PATH_SCAN, "fast_axis", "translation",
                                            err));
    if (o->wavelength > 0)
        TSCT_TRY(tsct_container_set_attr_double(r->c, TSCT_PATH_SCAN, "wavelength",
                                                o->wavelength * 1e-10, err));
    return TSCT_OK;
}

/* Open or create the container and begin the step with its output datasets. */
static tsct_status import_begin(struct import_run *r, const char *container, const char *name,
                                int64_t nrows, const tsct_stage_ctx *ctx, tsct_error *err)
{
    const tsct_stage_import_params *o = r->o;
    const int64_t *shape = r->shape;
    if (access(container, F_OK) == 0)
        TSCT_TRY(tsct_container_open(container, TSCT_OPEN_WRITE, &r->c, err));
    else
        TSCT_TRY(tsct_container_create(container, 0, &r->c, err));
    /* The fingerprint ties a partial run to this exact source and these settings. */
    struct stat sb;
    memset(&sb, 0, sizeof sb);
    char src_path[TSCT_PATH_MAX], src_dset[1024], fingerprint[4096 + TSCT_PATH_MAX];
    tsct_path_split(o->source, src_path, sizeof src_path, src_dset, sizeof src_dset);
    stat(src_path, &sb);
    snprintf(fingerprint, sizeof fingerprint,
             "source=%s size=%lld mtime=%lld.%09ld shape=%lldx%lldx%lldx%lldx%lld time=%lld "
             "deflate=%lld axis=%s layout=%d",
             o->source, (long long)sb.st_size, (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec,
             (long long)shape[0], (long long)shape[1], (long long)shape[2], (long long)shape[3],
             (long long)shape[4], (long long)o->time, (long long)o->deflate,
             o->axis ? o->axis : "", (int)o->layout);
    tsct_step_info info = {name, ctx->command_line, NULL, fingerprint, nrows, NULL, NULL, 0};
    TSCT_TRY(tsct_step_begin(r->c, &info, ctx->log, &r->step, err));
    if (r->axis)
        TSCT_TRY(tsct_step_vector(r->step, targets[o->target].axis, r->axis, r->naxis,
                                  targets[o->target].units, err));
    TSCT_TRY(stage_scan_axes(r, err));
    tsct_dataset_params params = TSCT_DATASET_PARAMS_DEFAULT;
    params.deflate = o->deflate;
    return tsct_step_dataset(r->step, targets[o->target].data, 5, shape, o->time, &params,
                             &r->dst, err);
}

/* Row u = (t, z, n2) of the stage, [n3][n], from the source as its layout lays it out. */
static tsct_status read_row(struct import_run *r, int64_t u, const int64_t *lead, tsct_error *err)
{
    const int64_t *shape = r->shape, *ss = r->sshape;
    int64_t start[8] = {0}, count[8];
    if (r->o->layout == TSCT_STAGE_IMPORT_ARRAY) {
        for (int i = 0; i < r->snd; i++) {
            int k = i + (5 - r->snd);
            start[i] = k < 3 ? lead[k] : 0;
            count[i] = k < 3 ? 1 : shape[k];
        }
        return tsct_dataset_read(r->src, start, count, r->row, err);
    }
    if (r->o->layout == TSCT_STAGE_IMPORT_XY) {
        /* One text pattern per translation, each on the first one's x. */
        const int64_t ns = shape[3], nq = shape[4];
        for (int64_t s = 0; s < ns; s++) {
            const char *file = r->table->file[r->cell[u * ns + s]];
            double *x = NULL, *y = NULL;
            int64_t n = 0;
            TSCT_TRY(tsct_pattern_read_text(file, &x, &y, &n, err));
            int same = n == nq;
            for (int64_t k = 0; same && k < nq; k++)
                same = fabs(x[k] - r->x0[k]) <= 1e-6 * fmax(fabs(r->x0[k]), 1e-12);
            for (int64_t k = 0; same && k < nq; k++)
                r->row[s * nq + k] = (float)y[k];
            free(x);
            free(y);
            if (!same)
                return tsct_error_set(err, TSCT_ERR_SHAPE, file, NULL, -1,
                                      "its x (%lld points) is not that of %s (%lld points): "
                                      "a stack shares one axis", (long long)n,
                                      r->table->file[0], (long long)nq);
        }
        return TSCT_OK;
    }
    if (r->o->layout == TSCT_STAGE_IMPORT_NDTOMO) {
        /* [(nz)][ns][na][nq]: the translations of angle n2, strided; [ns][1][nq] is the row. */
        const int k = r->snd - 3;
        start[0] = lead[1];
        start[k] = 0, start[k + 1] = lead[2], start[k + 2] = 0;
        count[0] = 1;
        count[k] = ss[k], count[k + 1] = 1, count[k + 2] = ss[k + 2];
        return tsct_dataset_read(r->src, start, count, r->row, err);
    }
    /* A frame series: frames u ns .. u ns + ns - 1, one by one ([nslow][fast] or [nframes]). */
    const int64_t ns = shape[3], nq = shape[4];
    for (int64_t s = 0; s < ns; s++) {
        const int64_t f = u * ns + s;
        if (r->snd == 2)
            start[0] = f, count[0] = 1;
        else
            start[0] = f / ss[1], start[1] = f % ss[1], count[0] = count[1] = 1;
        start[r->snd - 1] = 0;
        count[r->snd - 1] = nq;
        TSCT_TRY(tsct_dataset_read(r->src, start, count, r->row + s * nq, err));
    }
    return TSCT_OK;
}

/* Copy the rows not yet done; *nonfinite counts the NaN and infinite values copied. */
static tsct_status import_rows(struct import_run *r, const char *name, int64_t nrows,
                               const tsct_stage_ctx *ctx, int64_t *copied, int64_t *nonfinite,
                               tsct_error *err)
{
    const int64_t *shape = r->shape;
    const int64_t rowsize = shape[3] * shape[4];
    if (!(r->row = malloc((size_t)rowsize * sizeof *r->row)))
        return tsct_error_set(err, TSCT_ERR_NOMEM, r->o->source, NULL, -1,
                              "row of %lld values", (long long)rowsize);
    tsct_progress progress;
    tsct_progress_begin(&progress, ctx->progress, name, nrows,
                        tsct_step_done_count(r->step));
    tsct_stage_batch batch = {0, 0, tsct_clock()};
    for (int64_t u = 0; u < nrows; u++) {
        if (tsct_step_is_done(r->step, u))
            continue;
        int64_t lead[3] = {u / (shape[1] * shape[2]), u / shape[2] % shape[1], u % shape[2]};
        TSCT_TRY(read_row(r, u, lead, err));
        TSCT_TRY(tsct_dataset_write_row(r->dst, lead, r->row, err));
        for (int64_t i = 0; i < rowsize; i++)
            *nonfinite += !isfinite(r->row[i]);
        TSCT_TRY(tsct_stage_batch_add(r->step, &batch, u, err));
        tsct_progress_add(&progress, 1);
        (*copied)++;
    }
    TSCT_TRY(tsct_stage_batch_flush(r->step, &batch, err));
    tsct_progress_end(&progress);
    return TSCT_OK;
}

tsct_status tsct_stage_import(const char *container, const tsct_stage_import_params *params,
                              const tsct_stage_ctx *context, tsct_stage_report *report,
                              tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    tsct_stage_report rep_local, *rep = tsct__stage_report(report, &rep_local);
    if (!params || !params->source || !container)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "import", -1,
                              "a source and a container are required");
    if ((int)params->target < 0 || params->target > TSCT_STAGE_IMPORT_PDF || params->deflate < 0 ||
        params->deflate > 9 || params->time < -1 || (unsigned)params->layout >
        TSCT_STAGE_IMPORT_XY || params->slices < 1 || !(params->wavelength >= 0) ||
        (unsigned)params->zigzag > 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, params->source, "import", -1,
                              "target, layout, deflate 0..9, time >= -1, slices >= 1, "
                              "wavelength >= 0 or zigzag 0/1 out of range");
    const int scan = params->angles || params->translations || params->times;
    if (scan && params->target != TSCT_STAGE_IMPORT_INTEGRATED &&
        params->target != TSCT_STAGE_IMPORT_SINOGRAMS)
        return tsct_error_set(err, TSCT_ERR_VALUE, params->source, "scan axes", -1,
                              "angles, translations and times describe integrated patterns "
                              "or sinograms, not the %s stage", targets[params->target].name);
    if (scan && params->time >= 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, params->source, "scan axes", -1,
                              "appended time steps (time %lld) keep the container's scan "
                              "axes; give angles, translations and times with a new stage",
                              (long long)params->time);
    if (params->layout == TSCT_STAGE_IMPORT_XY && (scan || params->axis))
        return tsct_error_set(err, TSCT_ERR_VALUE, params->source, "scan table", -1,
                              "the table gives the scan axes and its patterns the last axis: "
                              "no angles, translations, times or axis besides it");
    if ((params->layout == TSCT_STAGE_IMPORT_PYFAI || params->layout == TSCT_STAGE_IMPORT_XY) &&
        params->target != TSCT_STAGE_IMPORT_INTEGRATED)
        return tsct_error_set(err, TSCT_ERR_VALUE, params->source, "layout", -1,
                              "frame series (pyfai, xy) are integrated patterns: import them "
                              "into the integrated stage");
    struct import_run r;
    memset(&r, 0, sizeof r);
    r.o = params;
    char name[64];
    snprintf(name, sizeof name, "import_%s", targets[params->target].name);
    int64_t copied = 0, nonfinite = 0, nrows = 0;
    tsct_status st = import_inputs(&r, err);
    if (st == TSCT_OK) {
        nrows = r.shape[0] * r.shape[1] * r.shape[2];
        st = import_begin(&r, container, name, nrows, ctx, err);
    }
    if (st == TSCT_OK)
        st = import_rows(&r, name, nrows, ctx, &copied, &nonfinite, err);
    tsct_dataset_close(r.dst);
    r.dst = NULL;
    if (st == TSCT_OK) {
        st = tsct_step_commit(r.step, err);
        r.step = NULL;
    }
    if (st == TSCT_OK)
        st = scan_attributes(&r, err);
    if (st == TSCT_OK) {
        if (nonfinite)
            tsct_log_msg(ctx->log, TSCT_LOG_WARN, "%s: %lld values are NaN or infinite (kept)",
                         params->source, (long long)nonfinite);
        char shp[128];
        tsct__stage_ran(ctx, rep, copied, 0, TSCT_LOG_INFO, "imported %s %s into %s:%s",
                        params->source, tsct_shape_format(shp, sizeof shp, 5, r.shape),
                        container, targets[params->target].data);
    }
    tsct_step_close(r.step);
    if (st == TSCT_OK)
        st = tsct_container_close(r.c, err);
    else
        tsct_container_close(r.c, NULL);
    tsct_dataset_close(r.src);
    tsct_container_close(r.src_file, NULL);
    tsct_container_close(r.axis_file, NULL);
    free(r.row);
    free(r.axis);
    for (int i = 0; i < 3; i++)
        free(r.scan[i]);
    tsct_pattern_table_destroy(r.table);
    free(r.cell);
    free(r.x0);
    return st;
}
