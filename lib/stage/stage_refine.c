/* stage_refine.c - `tsct refine -c REFINE.cfg`: the full-profile refinement of one pattern
 * (tsct/refine.h) from a configuration file, with its report, figure and refined
 * configuration; and the instrument profile from a calibrant (`--instrument`).
 *
 * The configuration (docs/refine.md) is INI text: [data] (the pattern, its unit, the
 * wavelength, the range and excluded ranges), [instrument] (an instrument file and/or values,
 * which to refine), [background], [refine] (tolerances), and one section per component:
 * [phase.NAME], [peak.NAME], [broad.NAME]. Every key is checked: a key that is no parameter
 * of its component, a value outside physics or a file that cannot be read is an error naming
 * the configuration, its line and key. Outputs (published atomically, tsct/publish.h):
 * PREFIX.txt (the report), PREFIX.png (observed, calculated, difference and reflection
 * ticks), PREFIX.cfg (the configuration with the refined values, to start the next
 * refinement from; with --instrument, the instrument file).
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "stage_refine_internal.h"
#include "stage_refine_pdf.h"
#include "tsct/calibrant.h"
#include "tsct/container.h"
#include "tsct/figure.h"
#include "tsct/pattern.h"
#include "tsct/poni.h"
#include "tsct/publish.h"
#include "tsct/refine.h"
#include "tsct/stage.h"

enum { MAXC = TSCT__REFINE_MAX_COMPONENTS };
typedef tsct__refine_cfg rcfg;

void tsct__refine_cfg_release(rcfg *c)
{
    tsct_ini_release(&c->ini);
    free(c->x), free(c->y), free(c->w), free(c->calc);
    for (int b = 0; b < TSCT_REFINE_MAX_BROAD; b++)
        free(c->broad[b]);
    tsct_refine_model_destroy(c->m);
}

/* A path of the configuration: as written if absolute, else relative to its folder. */
static void cfg_path(const tsct_ini *ini, const char *v, char *out, size_t size)
{
    int r = v[0] == '/' || strcmp(ini->dir, ".") == 0 ? snprintf(out, size, "%s", v)
                                                      : snprintf(out, size, "%s/%s", ini->dir, v);
    if (r < 0 || (size_t)r >= size)
        out[0] = '\0'; /* too long: no file of that name will open, and the error names it */
}

/* The same, absolute when the file exists (a refined configuration is read from elsewhere). */
static void cfg_path_abs(const tsct_ini *ini, const char *v, char *out, size_t size)
{
    char rel[TSCT_INI_PATH_MAX], abs[PATH_MAX];
    cfg_path(ini, v, rel, sizeof rel);
    snprintf(out, size, "%s", realpath(rel, abs) && strlen(abs) < size ? abs : rel);
}

void tsct__refine_cfg_path(const tsct_ini *ini, const char *v, char *out, size_t size)
{
    cfg_path(ini, v, out, size);
}

/* Split a value into words (spaces or commas); returns the count (at most max). */
static int words(const char *v, char w[][TSCT_REFINE_NAME_MAX], int max)
{
    int n = 0;
    while (*v && n < max) {
        while (*v == ' ' || *v == ',' || *v == '\t')
            v++;
        if (!*v)
            break;
        size_t k = 0;
        while (v[k] && v[k] != ' ' && v[k] != ',' && v[k] != '\t')
            k++;
        snprintf(w[n++], TSCT_REFINE_NAME_MAX, "%.*s", (int)k, v);
        v += k;
    }
    return n;
}

/* Numbers of an entry: exactly count of them. */
static tsct_status numbers(const tsct_ini *ini, const tsct_ini_entry *e, int count, double *out,
                           tsct_error *err)
{
    char w[8][TSCT_REFINE_NAME_MAX];
    int n = words(e->value, w, 8);
    for (int i = 0; i < n && i < count; i++) {
        char *end;
        out[i] = strtod(w[i], &end);
        if (*end || !isfinite(out[i]))
            n = -1;
    }
    if (n != count)
        return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err, "expected %d number%s", count,
                              count > 1 ? "s" : "");
    return TSCT_OK;
}

/* The unit of a text pattern's x from its header: 2th_deg / 2theta, q_nm^-1, else Q in 1/A. */
void tsct__refine_header_unit(const char *path, tsct_powder_axis *axis, double *scale)
{
    *axis = TSCT_POWDER_AXIS_Q;
    *scale = 1;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[1024];
    for (int i = 0; i < 400 && fgets(line, sizeof line, f); i++) {
        if (line[0] != '#' && line[0] != '!' && line[0] != ';' && !isalpha((unsigned char)line[0]))
            continue;
        if (strstr(line, "2th_deg") || strstr(line, "2theta") || strstr(line, "2th_deg")) {
            *axis = TSCT_POWDER_AXIS_2THETA;
            break;
        }
        if (strstr(line, "q_nm^-1")) {
            *scale = 0.1;
            break;
        }
        if (strstr(line, "q_A^-1"))
            break;
    }
    fclose(f);
}

/* The third column (sigma) of the numeric lines of a text pattern whose first two columns
 * tsct_pattern_read_text returned as x[n], y[n]: sigma[n] (0 or NaN for an empty bin), or 0
 * when some line has none. */
static int sigma_column(const char *path, const double *x, const double *y, int64_t n,
                        double *sigma)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[4096];
    int64_t k = 0;
    while (k < n && fgets(line, sizeof line, f)) {
        char *p = line, *end;
        double v[3];
        int m = 0;
        while (m < 3) {
            v[m] = strtod(p, &end);
            if (end == p)
                break;
            p = end;
            m++;
        }
        if (m >= 2 && v[0] == x[k] && v[1] == y[k]) {
            if (m < 3)
                break;
            sigma[k++] = v[2];
        }
    }
    fclose(f);
    return k == n;
}

/* [data] container = EXP.h5, region = NAME, time = T: the region's mean pattern (tsct
 * region) of time step T against /entry/regions/NAME/q (else /entry/recon/q), and the
 * container's wavelength (used when [data] gives none). */
static tsct_status read_region(rcfg *c, const tsct_ini_entry *ce, double *wavelength,
                               tsct_error *err)
{
    const tsct_ini *ini = &c->ini;
    const tsct_ini_entry *re = tsct_ini_find(ini, "data", "region");
    if (!re)
        return tsct_ini_error(ini, ce, TSCT_ERR_VALUE, err,
                              "a container needs region = NAME (a region made by tsct region)");
    int64_t t = 0;
    const tsct_ini_entry *te = tsct_ini_find(ini, "data", "time");
    if (te)
        TSCT_TRY(tsct_ini_value_int(ini, te, 0, INT64_MAX, &t, err));
    cfg_path(ini, ce->value, c->path, sizeof c->path);
    tsct_container *h = NULL;
    TSCT_TRY(tsct_container_open(c->path, TSCT_OPEN_READ, &h, err));
    char g[TSCT_INI_VALUE_MAX + 64], dset[TSCT_INI_VALUE_MAX + 80], axis[TSCT_INI_VALUE_MAX + 80];
    snprintf(g, sizeof g, TSCT_PATH_REGIONS "/%s", re->value);
    snprintf(dset, sizeof dset, "%s/%s", g, c->rspace ? "pdf" : "pattern");
    snprintf(axis, sizeof axis, "%s/%s", g, c->rspace ? "r" : "q");
    tsct_status st = TSCT_OK;
    tsct_dataset *d = NULL;
    int64_t shape[8], nq = 0;
    float *row = NULL;
    if (!tsct_container_exists(h, dset))
        st = tsct_ini_error(ini, re, TSCT_ERR_NOT_FOUND, err,
                            "%s has no %s (tsct region makes it)", c->path, dset);
    if (st == TSCT_OK && !tsct_container_exists(h, axis))
        snprintf(axis, sizeof axis, "%s", c->rspace ? TSCT_PATH_PDF_R : TSCT_PATH_RECON_Q);
    if (st == TSCT_OK)
        st = tsct_container_read_vector(h, axis, &c->x, &nq, err);
    if (st == TSCT_OK)
        st = tsct_dataset_open(h, dset, &d, err);
    if (st == TSCT_OK && (tsct_dataset_shape(d, shape) != 2 || shape[1] != nq))
        st = tsct_error_set(err, TSCT_ERR_SHAPE, c->path, dset, -1,
                            "expected [nt][%lld] (the length of %s)", (long long)nq, axis);
    if (st == TSCT_OK && t >= shape[0])
        st = tsct_ini_error(ini, te, TSCT_ERR_VALUE, err, "%s has %lld time steps", dset,
                            (long long)shape[0]);
    if (st == TSCT_OK) {
        row = malloc((size_t)nq * sizeof *row);
        c->y = malloc((size_t)nq * sizeof *c->y);
        if (!row || !c->y)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    }
    if (st == TSCT_OK) {
        int64_t start[2] = {t, 0}, count[2] = {1, nq};
        st = tsct_dataset_read(d, start, count, row, err);
    }
    if (st == TSCT_OK) {
        for (int64_t i = 0; i < nq; i++)
            c->y[i] = row[i];
        c->n = nq;
        *wavelength = tsct_stage_wavelength(h);
        c->axis = TSCT_POWDER_AXIS_Q;
        c->xscale = 1;
        snprintf(c->path + strlen(c->path), sizeof c->path - strlen(c->path), "::%s[%lld]",
                 dset, (long long)t);
    }
    free(row);
    tsct_dataset_close(d);
    tsct_container_close(h, NULL);
    return st;
}

/* [data]: the pattern, its unit and wavelength, the range, exclusions and weights. */
tsct_status tsct__refine_read_data(rcfg *c, tsct_error *err)
{
    const tsct_ini *ini = &c->ini;
    const tsct_ini_entry *e = tsct_ini_find(ini, "data", "file");
    const tsct_ini_entry *ce = tsct_ini_find(ini, "data", "container");
    double container_wl = 0;
    if (!e && !ce && !c->preloaded)
        return tsct_error_set(err, TSCT_ERR_VALUE, ini->path, "[data] file", -1,
                              "the configuration names no pattern ([data] file = PATTERN, or "
                              "container = EXP.h5 with region = NAME)");
    if (e && ce)
        return tsct_ini_error(ini, ce, TSCT_ERR_VALUE, err,
                              "give either file or container, not both");
    if (e) {
        cfg_path(ini, e->value, c->path, sizeof c->path);
        double *x0 = NULL, *y0 = NULL;
        int64_t n0 = 0;
        TSCT_TRY(tsct_pattern_read_text(c->path, &x0, &y0, &n0, err));
        c->x = x0, c->y = y0, c->n = n0;
        tsct__refine_header_unit(c->path, &c->axis, &c->xscale);
    } else if (ce) {
        TSCT_TRY(read_region(c, ce, &container_wl, err));
    } else {
        container_wl = c->wavelength;
    }
    if (c->rspace)
        return tsct__refine_pdf_data(ini, c->path, e != NULL, &c->x, &c->y, &c->w, &c->n,
                                     &c->qmax, err);
    return tsct__refine_data_finish(c, ce, container_wl, err);
}

tsct_status tsct__refine_data_finish(rcfg *c, const tsct_ini_entry *ce, double container_wl,
                                     tsct_error *err)
{
    const tsct_ini *ini = &c->ini;
    const tsct_ini_entry *e;
    double *x = c->x, *y = c->y;
    const int64_t n = c->n;
    static const char *const units[] = {"auto", "q", "q_nm", "2theta", NULL};
    if ((e = tsct_ini_find(ini, "data", "x"))) {
        int u;
        TSCT_TRY(tsct_ini_value_enum(ini, e, units, &u, err));
        if (u > 0) {
            c->axis = u == 3 ? TSCT_POWDER_AXIS_2THETA : TSCT_POWDER_AXIS_Q;
            c->xscale = u == 2 ? 0.1 : 1;
        }
    }
    if ((e = tsct_ini_find(ini, "data", "wavelength")))
        TSCT_TRY(tsct_ini_value_double(ini, e, 1e-3, 100, &c->wavelength, err));
    else if ((e = tsct_ini_find(ini, "data", "poni"))) {
        char pp[TSCT_INI_PATH_MAX];
        cfg_path(ini, e->value, pp, sizeof pp);
        tsct_poni poni;
        TSCT_TRY(tsct_poni_read(&poni, pp, err));
        if (!(poni.wavelength > 0))
            return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err, "the PONI file gives no wavelength");
        c->wavelength = poni.wavelength * 1e10;
    } else if (container_wl > 0)
        c->wavelength = container_wl;
    else
        return tsct_error_set(err, TSCT_ERR_VALUE, ini->path, "[data] wavelength", -1,
                              "the configuration gives no wavelength ([data] wavelength = A, "
                              "or poni = FILE)");
    c->w = malloc((size_t)n * sizeof *c->w);
    if (!c->w)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    for (int64_t i = 0; i < n; i++)
        x[i] *= c->xscale;
    double lo = -INFINITY, hi = INFINITY, r[2];
    if ((e = tsct_ini_find(ini, "data", "range"))) {
        TSCT_TRY(numbers(ini, e, 2, r, err));
        lo = r[0] * c->xscale, hi = r[1] * c->xscale;
    }
    static const char *const sig[] = {"auto", "column", "poisson", "unit", NULL};
    int sigma = 0;
    if ((e = tsct_ini_find(ini, "data", "sigma")))
        TSCT_TRY(tsct_ini_value_enum(ini, e, sig, &sigma, err));
    /* auto: the file's third column when every line has one, else Poisson (1 / y) */
    int have = 0;
    if (sigma <= 1 && (ce || c->preloaded)) {
        if (sigma == 1)
            return tsct_ini_error(ini, tsct_ini_find(ini, "data", "sigma"), TSCT_ERR_VALUE, err,
                                  "a region's pattern has no sigma column");
        sigma = c->preloaded ? 3 : 2; /* reconstructed voxels: unit weights */
    } else if (sigma <= 1) {
        for (int64_t i = 0; i < n; i++)
            x[i] /= c->xscale;
        have = sigma_column(c->path, x, y, n, c->w);
        for (int64_t i = 0; i < n; i++)
            x[i] *= c->xscale;
        if (sigma == 1 && !have)
            return tsct_ini_error(ini, e, TSCT_ERR_FORMAT, err,
                                  "%s has no third column of sigma > 0 on every line", c->path);
        sigma = have ? 1 : 2;
    }
    /* the grid is the points in range (the model's grid must be a scattering angle) */
    int64_t k = 0;
    double ymax = 0;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(y[i]) && fabs(y[i]) > ymax)
            ymax = fabs(y[i]);
    for (int64_t i = 0; i < n; i++) {
        if (!(x[i] >= lo && x[i] <= hi) || !(x[i] > 0))
            continue;
        x[k] = x[i];
        y[k] = y[i];
        c->w[k] = !isfinite(y[i])  ? 0
                  : sigma == 1 ? (c->w[i] > 0 && isfinite(c->w[i]) ? 1 / (c->w[i] * c->w[i]) : 0)
                  : sigma == 3 ? 1
                               : 1 / fmax(fabs(y[i]), 1e-6 * ymax);
        if (!isfinite(y[i]))
            y[k] = 0;
        k++;
    }
    c->n = k;
    for (int64_t j = 0; j < ini->n; j++) {
        e = &ini->e[j];
        if (strcmp(e->section, "data") || strcmp(e->key, "exclude"))
            continue;
        TSCT_TRY(numbers(ini, e, 2, r, err));
        for (int64_t i = 0; i < c->n; i++)
            if (x[i] >= r[0] * c->xscale && x[i] <= r[1] * c->xscale)
                c->w[i] = 0;
    }
    if (c->n < 10)
        return tsct_error_set(err, TSCT_ERR_VALUE, c->path, "[data] range", -1,
                              "%lld points of the pattern lie in the range (need 10)",
                              (long long)c->n);
    return TSCT_OK;
}

static const char *const data_keys[] = {"file", "container", "region", "time", "x",
                                        "wavelength", "poni", "range", "exclude", "sigma",
                                        "polarization", "space", "qmax", "rstep", NULL};

static int in_list(const char *s, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* The components, in the order of their sections. */
static tsct_status list_components(rcfg *c, tsct_error *err)
{
    const tsct_ini *ini = &c->ini;
    static const char *const known[] = {"data", "instrument", "background", "refine", "series",
                                        "voxel", NULL};
    char order[3][MAXC][TSCT_INI_SECTION_MAX];
    int cnt[3] = {0, 0, 0};
    for (int64_t j = 0; j < ini->n; j++) {
        const tsct_ini_entry *e = &ini->e[j];
        int kind = strncmp(e->section, "phase.", 6) == 0  ? 0
                   : strncmp(e->section, "peak.", 5) == 0 ? 1
                   : strncmp(e->section, "broad.", 6) == 0 ? 2
                                                           : -1;
        if (kind < 0) {
            if (!in_list(e->section, known))
                return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err,
                                      "unknown section [%s]: expected data, instrument, "
                                      "background, refine, phase.NAME, peak.NAME, broad.NAME",
                                      e->section);
            if (strcmp(e->section, "data") == 0 && !in_list(e->key, data_keys))
                return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err,
                                      "unknown key: [data] has file, container, region, time, "
                                      "x, wavelength, poni, range, exclude, sigma, "
                                      "polarization, space, qmax, rstep");
            continue;
        }
        int dup = 0;
        for (int i = 0; i < cnt[kind] && !dup; i++)
            dup = strcmp(order[kind][i], e->section) == 0;
        int max = kind == 0 ? TSCT_REFINE_MAX_PHASES
                  : kind == 1 ? TSCT_REFINE_MAX_PEAKS
                              : TSCT_REFINE_MAX_BROAD;
        if (!dup && cnt[kind] == max)
            return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err, "more than %d such components",
                                  max);
        if (!dup)
            snprintf(order[kind][cnt[kind]++], TSCT_INI_SECTION_MAX, "%s", e->section);
    }
    c->nph = cnt[0], c->npk = cnt[1], c->nbr = cnt[2];
    int k = 0;
    for (int kind = 0; kind < 3; kind++)
        for (int i = 0; i < cnt[kind]; i++)
            memcpy(c->sec[k++], order[kind][i], TSCT_INI_SECTION_MAX);
    return TSCT_OK;
}

static const char *comp_name(const char *section)
{
    return strchr(section, '.') + 1;
}

/* Create the model from the components. */
static tsct_status build_model(rcfg *c, int nbg, tsct_error *err)
{
    const tsct_ini *ini = &c->ini;
    tsct_refine_phase_desc ph[TSCT_REFINE_MAX_PHASES];
    tsct_refine_peak_desc pk[TSCT_REFINE_MAX_PEAKS];
    tsct_refine_broad_desc br[TSCT_REFINE_MAX_BROAD];
    for (int p = 0; p < c->nph; p++) {
        const char *s = c->sec[p];
        const tsct_ini_entry *e = tsct_ini_find(ini, s, "cif");
        if (!e && c->rspace)
            e = tsct_ini_find(ini, s, "xyz");
        if (!e)
            return tsct_error_set(err, TSCT_ERR_VALUE, ini->path, s, -1,
                                  c->rspace ? "[%s] needs cif = FILE or xyz = FILE"
                                            : "[%s] needs cif = FILE", s);
        cfg_path(ini, e->value, c->cif[p], sizeof c->cif[p]);
        ph[p].name = comp_name(s);
        ph[p].cif = c->cif[p];
        c->radius[p] = 0;
        if (c->rspace)
            TSCT_TRY(tsct__refine_pdf_phase_keys(ini, s, c->cif[p], &c->radius[p], err));
        memset(ph[p].po_hkl, 0, sizeof ph[p].po_hkl);
        if ((e = tsct_ini_find(ini, s, "po_direction"))) {
            double h[3];
            TSCT_TRY(numbers(ini, e, 3, h, err));
            for (int i = 0; i < 3; i++)
                ph[p].po_hkl[i] = (int)h[i];
        }
    }
    for (int k = 0; k < c->npk; k++) {
        const char *s = c->sec[c->nph + k];
        pk[k].name = comp_name(s);
        pk[k].position = NAN;
        pk[k].fwhm = 0;
        pk[k].eta = 0.5;
        const tsct_ini_entry *e = tsct_ini_find(ini, s, "position");
        if (!e)
            return tsct_error_set(err, TSCT_ERR_VALUE, ini->path, s, -1,
                                  "[%s] needs position = X (in the pattern's unit)", s);
        TSCT_TRY(tsct_ini_value_double(ini, e, -1e9, 1e9, &pk[k].position, err));
        pk[k].position *= c->xscale;
    }
    for (int b = 0; b < c->nbr; b++) {
        const char *s = c->sec[c->nph + c->npk + b];
        const tsct_ini_entry *e = tsct_ini_find(ini, s, "file");
        if (!e)
            return tsct_error_set(err, TSCT_ERR_VALUE, ini->path, s, -1,
                                  "[%s] needs file = PATTERN (its x in the data's unit)", s);
        char bp[TSCT_INI_PATH_MAX];
        cfg_path(ini, e->value, bp, sizeof bp);
        double *bx = NULL, *by = NULL;
        int64_t bn = 0;
        TSCT_TRY(tsct_pattern_read_text(bp, &bx, &by, &bn, err));
        for (int64_t i = 0; i < bn; i++)
            bx[i] *= c->xscale;
        c->broad[b] = malloc((size_t)c->n * sizeof *c->broad[b]);
        if (c->broad[b]) {
            tsct_pattern_interp(bx, by, bn, c->x, c->n, c->broad[b]);
            for (int64_t i = 0; i < c->n; i++)
                if (!isfinite(c->broad[b][i]))
                    c->broad[b][i] = 0;
        }
        free(bx), free(by);
        if (!c->broad[b])
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
        br[b].name = comp_name(s);
        br[b].y = c->broad[b];
    }
    tsct_refine_model_params mp = TSCT_REFINE_MODEL_PARAMS_DEFAULT;
    mp.wavelength = c->wavelength;
    mp.axis = c->axis;
    mp.nbackground = nbg;
    mp.space = c->rspace ? TSCT_REFINE_SPACE_R : TSCT_REFINE_SPACE_RECIPROCAL;
    mp.qmax = c->qmax;
    mp.radius = c->radius;
    const tsct_ini_entry *e = tsct_ini_find(ini, "data", "polarization");
    if (e) {
        static const char *const pol[] = {"none", "unpolarized", NULL};
        int v;
        TSCT_TRY(tsct_ini_value_enum(ini, e, pol, &v, err));
        mp.polarization = v ? TSCT_POWDER_POLARIZATION_UNPOLARIZED
                            : TSCT_POWDER_POLARIZATION_NONE;
    }
    tsct_status st = tsct_refine_model_create(&mp, ph, c->nph, pk, c->npk, br, c->nbr, c->x,
                                              c->n, &c->m, err);
    if (st != TSCT_OK && !err->file[0])
        tsct_error_set_file(err, ini->path);
    return st;
}

/* The parameter "COMP.key" of an entry, with the error naming the configuration's line. */
static tsct_status set_value(rcfg *c, const tsct_ini *ini, const tsct_ini_entry *e,
                             const char *comp, const char *key, int refine, tsct_error *err)
{
    char name[TSCT_REFINE_NAME_MAX * 2];
    snprintf(name, sizeof name, "%s.%s", comp, key);
    double v = NAN;
    if (e) {
        char *end;
        if (strcmp(e->value, "inf") == 0)
            v = INFINITY;
        else {
            v = strtod(e->value, &end);
            if (*end || !(isfinite(v)))
                return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err, "expected a number");
        }
    }
    tsct_error e2 = TSCT_ERROR_INIT;
    tsct_status st = tsct_refine_model_set(c->m, name, v, refine, &e2);
    if (st != TSCT_OK) {
        if (e)
            return tsct_ini_error(ini, e, st, err, "%s", e2.message);
        return tsct_error_set(err, st, ini->path, name, -1, "%s", e2.message);
    }
    return TSCT_OK;
}

/* Keys of a component or global section: values, `refine = LIST`, `fix = LIST`,
 * `limit.P = LO HI`. */
static tsct_status apply_section(rcfg *c, const tsct_ini *ini, const char *section,
                                 const char *comp, const char *const *skip, tsct_error *err)
{
    for (int64_t j = 0; j < ini->n; j++) {
        const tsct_ini_entry *e = &ini->e[j];
        if (strcmp(e->section, section) || in_list(e->key, skip))
            continue;
        if (strcmp(e->key, "refine") == 0 || strcmp(e->key, "fix") == 0) {
            int on = strcmp(e->key, "refine") == 0;
            char w[64][TSCT_REFINE_NAME_MAX];
            int n = words(e->value, w, 64);
            for (int i = 0; i < n; i++) {
                if (strcmp(w[i], "none") == 0)
                    continue;
                char name[TSCT_REFINE_NAME_MAX * 2];
                if (snprintf(name, sizeof name, "%s.%s", comp, w[i]) >= (int)sizeof name)
                    return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err, "name too long");
                tsct_error e2 = TSCT_ERROR_INIT;
                if (tsct_refine_model_set(c->m, name, NAN, on, &e2) != TSCT_OK)
                    return tsct_ini_error(ini, e, e2.status, err, "%s", e2.message);
            }
        } else if (strncmp(e->key, "limit.", 6) == 0) {
            double r[2];
            TSCT_TRY(numbers(ini, e, 2, r, err));
            char name[TSCT_REFINE_NAME_MAX * 2];
            snprintf(name, sizeof name, "%s.%s", comp, e->key + 6);
            tsct_error e2 = TSCT_ERROR_INIT;
            if (tsct_refine_model_set_limits(c->m, name, r[0], r[1], &e2) != TSCT_OK)
                return tsct_ini_error(ini, e, e2.status, err, "%s", e2.message);
        } else {
            TSCT_TRY(set_value(c, ini, e, comp, e->key, -1, err));
        }
    }
    return TSCT_OK;
}

/* Instrument: a file's [instrument] values first, then the configuration's. */
static tsct_status apply_instrument(rcfg *c, const tsct_stage_ctx *ctx, tsct_error *err)
{
    static const char *const skip[] = {"file", "wavelength", "voxel", NULL};
    const tsct_ini_entry *e = tsct_ini_find(&c->ini, "instrument", "file");
    if (e && c->nph > 0) {
        char ip[TSCT_INI_PATH_MAX];
        cfg_path(&c->ini, e->value, ip, sizeof ip);
        tsct_ini inst;
        memset(&inst, 0, sizeof inst);
        TSCT_TRY(tsct_ini_read(&inst, ip, err));
        tsct_status st = TSCT_OK;
        for (int64_t j = 0; j < inst.n && st == TSCT_OK; j++) {
            const tsct_ini_entry *f = &inst.e[j];
            if (strcmp(f->section, "instrument") == 0 && strcmp(f->key, "wavelength") == 0) {
                double wl = atof(f->value);
                if (fabs(wl - c->wavelength) > 1e-5 * c->wavelength)
                    tsct_log_msg(ctx->log, TSCT_LOG_WARN,
                                 "%s was measured at %g A, the data at %g A: its profile may "
                                 "not apply",
                                 ip, wl, c->wavelength);
            } else if (strcmp(f->section, "instrument") == 0 && strcmp(f->key, "refine") != 0)
                st = set_value(c, &inst, f, "instrument", f->key, 0, err);
        }
        tsct_ini_release(&inst);
        TSCT_TRY(st);
    }
    if (c->nph > 0)
        return apply_section(c, &c->ini, "instrument", "instrument", skip, err);
    return TSCT_OK;
}

tsct_status tsct__refine_configure(rcfg *c, const tsct_stage_refine_params *p,
                                   const tsct_stage_ctx *ctx, tsct_error *err)
{
    const tsct_ini *ini = &c->ini;
    int64_t nbg = c->rspace ? 0 : 6;
    const tsct_ini_entry *e = tsct_ini_find(ini, "background", "terms");
    if (e)
        TSCT_TRY(tsct_ini_value_int(ini, e, 0, TSCT_REFINE_MAX_BACKGROUND, &nbg, err));
    TSCT_TRY(list_components(c, err));
    if (p->instrument) {
        if (c->nph != 1)
            return tsct_error_set(err, TSCT_ERR_VALUE, ini->path, "phase", -1,
                                  "--instrument needs exactly one [phase.NAME] with calibrant "
                                  "= CeO2 | LaB6 | Si (found %d phases)",
                                  c->nph);
        e = tsct_ini_find(ini, c->sec[0], "calibrant");
        if (!e)
            return tsct_error_set(err, TSCT_ERR_VALUE, ini->path, c->sec[0], -1,
                                  "--instrument: [%s] needs calibrant = CeO2 | LaB6 | Si (the "
                                  "certified lattice parameter)",
                                  c->sec[0]);
        tsct_calibrant *cal = NULL;
        tsct_error e2 = TSCT_ERROR_INIT;
        if (tsct_calibrant_create(e->value, 0.5, &cal, &e2) != TSCT_OK || !(cal->a > 0)) {
            tsct_calibrant_destroy(cal);
            return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err,
                                  "not a built-in cubic standard (CeO2, LaB6, Si, ...)%s%s",
                                  e2.message[0] ? ": " : "", e2.message);
        }
        c->cal_a = cal->a;
        if (snprintf(c->calibrant, sizeof c->calibrant, "%s (%s, a = %.7g A)", cal->name,
                     cal->reference, cal->a) >= (int)sizeof c->calibrant)
            c->calibrant[sizeof c->calibrant - 1] = '\0';
        tsct_calibrant_destroy(cal);
    }
    TSCT_TRY(build_model(c, (int)nbg, err));
    TSCT_TRY(apply_instrument(c, ctx, err));
    if (p->instrument && !tsct_ini_find(ini, "instrument", "refine"))
        for (int i = 0; i < 6; i++) {
            static const char *const k[6] = {"U", "V", "W", "X", "Y", "zero"};
            TSCT_TRY(set_value(c, ini, NULL, "instrument", k[i], 1, err));
        }
    static const char *const bskip[] = {"terms", "voxel", NULL};
    TSCT_TRY(apply_section(c, ini, "background", "bg", bskip, err));
    static const char *const pskip[] = {"cif", "po_direction", "calibrant", "xyz", "radius",
                                        "voxel", "mask", NULL};
    static const char *const kskip[] = {"voxel", NULL};
    static const char *const rskip[] = {"file", "voxel", NULL};
    for (int k = 0; k < c->nph + c->npk + c->nbr; k++) {
        const char *s = c->sec[k];
        TSCT_TRY(apply_section(c, ini, s, comp_name(s),
                               k < c->nph ? pskip : k < c->nph + c->npk ? kskip : rskip, err));
    }
    if (p->instrument) {
        char name[TSCT_REFINE_NAME_MAX * 2];
        snprintf(name, sizeof name, "%s.a", comp_name(c->sec[0]));
        tsct_error e2 = TSCT_ERROR_INIT;
        if (tsct_refine_model_set(c->m, name, c->cal_a, 0, &e2) != TSCT_OK)
            return tsct_error_set(err, TSCT_ERR_VALUE, ini->path, name, -1,
                                  "the calibrant's phase is not cubic: %s", e2.message);
    }
    return TSCT_OK;
}

const char *tsct__refine_status_name(tsct_refine_status s)
{
    return s == TSCT_REFINE_CONVERGED ? "converged"
           : s == TSCT_REFINE_MAX_ITER ? "iteration limit reached"
                                       : "singular (some parameter is not determined)";
}

static void write_report(FILE *f, const rcfg *c, const tsct_stage_refine_params *p,
                         double corr_flag)
{
    tsct_refine_model *m = c->m;
    const tsct_refine_result *r = &c->res;
    const char *unit = c->rspace ? "A" : c->axis == TSCT_POWDER_AXIS_Q ? "1/A" : "deg 2theta";
    fprintf(f, "tsct refine%s %s\n", p->instrument ? " --instrument" : "", c->ini.path);
    if (c->rspace)
        fprintf(f, "G(r) %s: %lld points in r %g .. %g A (step %.6g), %lld refined; Qmax %g "
                "1/A%s\n", c->path, (long long)c->n, c->x[0], c->x[c->n - 1],
                (c->x[c->n - 1] - c->x[0]) / (double)(c->n - 1), (long long)r->npoints, c->qmax,
                c->qmax > 0 ? "" : " (no termination)");
    else
        fprintf(f, "pattern %s: %lld points in %g .. %g %s, %lld refined; wavelength %.8g A\n",
                c->path, (long long)c->n, c->x[0], c->x[c->n - 1], unit, (long long)r->npoints,
                c->wavelength);
    if (p->instrument)
        fprintf(f, "calibrant %s\n", c->calibrant);
    fprintf(f, "status: %s after %d iterations (%d evaluations)\n",
            tsct__refine_status_name(r->status), r->niter, r->nfev);
    fprintf(f, "%s %.4f %%  Rexp %.4f %%  GoF %.4f  chi2 %.6g (reduced %.6g)  N %lld  P %d\n\n",
            c->rspace ? "Rw" : "Rwp", 100 * r->rwp, 100 * r->rexp, r->gof, r->chi2, r->redchi2,
            (long long)r->npoints,
            r->nrefined);
    fprintf(f, "%-28s %18s %14s\n", "parameter", "value", "esd");
    for (int i = 0; i < tsct_refine_model_nparams(m); i++) {
        const tsct_refine_param *q = tsct_refine_model_param(m, i);
        if (!q->refine && !(q->linear && q->value != 0) && tsct_refine_model_find(m, q->name) < 0)
            continue;
        if (tsct_refine_model_find(m, q->name) < 0)
            continue;
        if (!q->refine && (isinf(q->value) || (q->value == 0 && !q->linear)))
            continue;
        if (q->refine && !q->at_bound && isfinite(q->esd))
            fprintf(f, "%-28s %18.10g %14.4g\n", q->name, q->value, q->esd);
        else
            fprintf(f, "%-28s %18.10g %14s\n", q->name, q->value,
                    q->at_bound ? "at limit" : q->refine ? "-" : "fixed");
    }
    if (c->nph > 0 && c->rspace) {
        fprintf(f, "\n%-20s %12s %14s\n", "phase", "system", "volume A^3");
        for (int k = 0; k < c->nph; k++) {
            const char *sys = tsct_refine_model_phase_system(m, k);
            if (strcmp(sys, "cluster") == 0)
                fprintf(f, "%-20s %12s %14s\n", tsct_refine_model_phase_name(m, k), sys, "-");
            else
                fprintf(f, "%-20s %12s %14.6g\n", tsct_refine_model_phase_name(m, k), sys,
                        tsct_refine_model_phase_volume(m, k));
        }
    } else if (c->nph > 0) {
        fprintf(f, "\n%-20s %12s %10s %14s %14s\n", "phase", "system", "wt %", "esd wt %",
                "volume A^3");
        for (int k = 0; k < c->nph; k++)
            fprintf(f, "%-20s %12s %10.3f %14.3f %14.6g\n", tsct_refine_model_phase_name(m, k),
                    tsct_refine_model_phase_system(m, k), 100 * r->weight_fraction[k],
                    100 * r->weight_fraction_esd[k], tsct_refine_model_phase_volume(m, k));
        fprintf(f, "(weight fractions by Hill & Howard: W = S Z M V / sum S Z M V)\n");
    }
    int flagged = 0;
    for (int a = 0; a < r->nrefined; a++)
        for (int b = 0; b < a; b++) {
            double v = r->corr[a * r->nrefined + b];
            if (fabs(v) > corr_flag) {
                if (!flagged++)
                    fprintf(f, "\ncorrelations above %.2f:\n", corr_flag);
                fprintf(f, "  %-28s %-28s %+.4f\n", tsct_refine_model_param(m, r->index[a])->name,
                        tsct_refine_model_param(m, r->index[b])->name, v);
            }
        }
    if (!flagged)
        fprintf(f, "\nno correlation above %.2f\n", corr_flag);
}

static tsct_status write_png(const rcfg *c, const char *path, tsct_error *err)
{
    int64_t n = c->n;
    double *d = malloc((size_t)n * sizeof *d), *yo = malloc((size_t)n * sizeof *yo);
    double *ticks = malloc((size_t)TSCT_REFINE_MAX_PHASES * 4096 * sizeof *ticks);
    if (!d || !yo || !ticks) {
        free(d), free(yo), free(ticks);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    }
    double lo = INFINITY, dmax = 0;
    for (int64_t i = 0; i < n; i++) {
        yo[i] = c->w[i] > 0 ? c->y[i] : NAN;
        lo = fmin(lo, fmin(c->y[i], c->calc[i]));
        if (c->w[i] > 0)
            dmax = fmax(dmax, c->y[i] - c->calc[i]);
    }
    for (int64_t i = 0; i < n; i++)
        d[i] = c->w[i] > 0 ? c->y[i] - c->calc[i] + lo - dmax : NAN;
    const double *ys[3] = {yo, c->calc, d};
    const char *names[3] = {"observed", "calculated", "difference"};
    tsct_figure_tick_row rows[TSCT_REFINE_MAX_PHASES];
    static const double rgb[6][3] = {{0.12, 0.47, 0.71}, {1.0, 0.5, 0.05}, {0.17, 0.63, 0.17},
                                     {0.84, 0.15, 0.16}, {0.58, 0.4, 0.74}, {0.55, 0.34, 0.29}};
    for (int k = 0; k < c->nph; k++) {
        rows[k].name = tsct_refine_model_phase_name(c->m, k);
        rows[k].pos = ticks + (int64_t)k * 4096;
        rows[k].n = tsct_refine_model_ticks(c->m, k, ticks + (int64_t)k * 4096, 4096);
        for (int j = 0; j < 3; j++)
            rows[k].rgb[j] = rgb[k % 6][j];
    }
    char title[256];
    const char *base = strrchr(c->path, '/') ? strrchr(c->path, '/') + 1 : c->path;
    if (snprintf(title, sizeof title, "%.150s: %s %.2f %%, GoF %.3f", base,
                 c->rspace ? "Rw" : "Rwp", 100 * c->res.rwp, c->res.gof) < 0)
        title[0] = '\0';
    tsct_figure_params fp = TSCT_FIGURE_PARAMS_DEFAULT;
    fp.width = 1100;
    fp.height = 650;
    fp.title = title;
    fp.xlabel = c->rspace ? "r (A)" : c->axis == TSCT_POWDER_AXIS_Q ? "q (1/A)" : "2theta (deg)";
    fp.ylabel = c->rspace ? "G(r) (1/A^2)" : "intensity";
    tsct_status st = tsct_figure_lines_ticks(c->x, n, ys, NULL, 3, names, rows,
                                             c->rspace ? 0 : c->nph, &fp, path, err);
    free(d), free(yo), free(ticks);
    return st;
}

/* A value for the output configuration: %.10g, "inf" for an infinite size. */
static void put_value(FILE *f, const tsct_refine_param *q, const char *key)
{
    if (isinf(q->value))
        fprintf(f, "%s = inf\n", key);
    else if (q->refine && isfinite(q->esd))
        fprintf(f, "%s = %.10g   # esd %.3g\n", key, q->value, q->esd);
    else
        fprintf(f, "%s = %.10g\n", key, q->value);
}

/* The parameters of component comp (prefix "comp.") with their refine list and limits. */
static void put_component(FILE *f, tsct_refine_model *m, const char *comp, int limits)
{
    size_t cl = strlen(comp);
    char list[1024] = "", fix[1024] = "";
    size_t len = 0, flen = 0;
    for (int i = 0; i < tsct_refine_model_nparams(m); i++) {
        const tsct_refine_param *q = tsct_refine_model_param(m, i);
        if (strncmp(q->name, comp, cl) || q->name[cl] != '.' || tsct_refine_model_find(m, q->name) < 0)
            continue;
        if (q->linear && !q->refine && flen < sizeof fix)
            flen += (size_t)snprintf(fix + flen, sizeof fix - flen, "%s%s", flen ? " " : "",
                                     q->name + cl + 1);
        put_value(f, q, q->name + cl + 1);
        if (limits && !q->linear && isfinite(q->lo) && isfinite(q->hi))
            fprintf(f, "limit.%s = %.10g %.10g\n", q->name + cl + 1, q->lo, q->hi);
        if (q->refine && len < sizeof list)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", len ? " " : "",
                                    q->name + cl + 1);
    }
    fprintf(f, "refine = %s\n", len ? list : "none");
    if (flen)
        fprintf(f, "fix = %s\n", fix);
}

static void write_cfg(FILE *f, const rcfg *c, const tsct_stage_refine_params *p)
{
    const tsct_ini *ini = &c->ini;
    const tsct_refine_result *r = &c->res;
    fprintf(f, "# tsct refine%s: refined from %s (Rwp %.4f %%, GoF %.4f, %s)\n",
            p->instrument ? " --instrument" : "", ini->path, 100 * r->rwp, r->gof,
            tsct__refine_status_name(r->status));
    if (p->instrument) {
        fprintf(f, "# instrument profile from calibrant %s\n[instrument]\n", c->calibrant);
        fprintf(f, "wavelength = %.10g\n", c->wavelength);
        put_component(f, c->m, "instrument", 0);
        return;
    }
    fprintf(f, "\n[data]\n");
    for (int64_t j = 0; j < ini->n; j++) {
        const tsct_ini_entry *e = &ini->e[j];
        if (strcmp(e->section, "data"))
            continue;
        if (strcmp(e->key, "file") == 0 || strcmp(e->key, "poni") == 0 ||
            strcmp(e->key, "container") == 0) {
            char pth[TSCT_INI_PATH_MAX];
            cfg_path_abs(ini, e->value, pth, sizeof pth);
            fprintf(f, "%s = %s\n", e->key, pth);
        } else
            fprintf(f, "%s = %s\n", e->key, e->value);
    }
    if (tsct_ini_has_section(ini, "refine")) {
        fprintf(f, "\n[refine]\n");
        for (int64_t j = 0; j < ini->n; j++)
            if (strcmp(ini->e[j].section, "refine") == 0)
                fprintf(f, "%s = %s\n", ini->e[j].key, ini->e[j].value);
    }
    if (c->nph > 0) {
        fprintf(f, "\n[instrument]\n");
        put_component(f, c->m, "instrument", 0);
    }
    const char *terms = tsct_ini_get(ini, "background", "terms");
    fprintf(f, "\n[background]\nterms = %s\n", terms ? terms : c->rspace ? "0" : "6");
    put_component(f, c->m, "bg", 0);
    for (int k = 0; k < c->nph + c->npk + c->nbr; k++) {
        const char *s = c->sec[k];
        fprintf(f, "\n[%s]\n", s);
        static const char *const keep[] = {"cif", "po_direction", "calibrant", "file", "xyz",
                                           "radius", NULL};
        for (int64_t j = 0; j < ini->n; j++) {
            const tsct_ini_entry *e = &ini->e[j];
            if (strcmp(e->section, s) || !in_list(e->key, keep))
                continue;
            if (!strcmp(e->key, "cif") || !strcmp(e->key, "file") || !strcmp(e->key, "xyz")) {
                char pth[TSCT_INI_PATH_MAX];
                cfg_path_abs(ini, e->value, pth, sizeof pth);
                fprintf(f, "%s = %s\n", e->key, pth);
            } else
                fprintf(f, "%s = %s\n", e->key, e->value);
        }
        put_component(f, c->m, comp_name(s), 1);
    }
}

/* Publish one text output written by fn. */
static tsct_status publish_text(const char *path, void (*fn)(FILE *, const void *),
                                const void *arg, tsct_error *err)
{
    tsct_publish pub;
    FILE *f = NULL;
    TSCT_TRY(tsct_publish_fopen(&pub, path, &f, err));
    fn(f, arg);
    return tsct_publish_fclose(&pub, f, err);
}

typedef struct out_arg {
    const rcfg *c;
    const tsct_stage_refine_params *p;
    double corr_flag;
} out_arg;

static void report_fn(FILE *f, const void *a)
{
    const out_arg *o = a;
    write_report(f, o->c, o->p, o->corr_flag);
}

static void cfg_fn(FILE *f, const void *a)
{
    const out_arg *o = a;
    write_cfg(f, o->c, o->p);
}

tsct_status tsct__refine_params_read(const tsct_ini *ini, tsct_refine_params *rp,
                                    tsct_error *err)
{
    const tsct_ini_entry *e;
    if ((e = tsct_ini_find(ini, "refine", "max_iter"))) {
        int64_t v;
        TSCT_TRY(tsct_ini_value_int(ini, e, 1, 100000, &v, err));
        rp->max_iter = (int)v;
    }
    if ((e = tsct_ini_find(ini, "refine", "corr_flag")))
        TSCT_TRY(tsct_ini_value_double(ini, e, 0, 1, &rp->corr_flag, err));
    return TSCT_OK;
}

void tsct__refine_prefix(const tsct_stage_refine_params *p, const char *suffix, char *out,
                         size_t size)
{
    if (p->output && p->output[0]) {
        snprintf(out, size, "%s", p->output);
        return;
    }
    size_t l = strlen(p->config);
    if (l > 4 && strcmp(p->config + l - 4, ".cfg") == 0)
        l -= 4;
    snprintf(out, size, "%.*s%s", (int)l, p->config, suffix);
}

tsct_status tsct_stage_refine_pattern(const tsct_stage_refine_params *p,
                                      const tsct_stage_ctx *context, tsct_stage_report *report,
                                      tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    tsct_stage_report rep_local, *rep = tsct__stage_report(report, &rep_local);
    if (!p || !p->config)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "config", -1,
                              "no configuration file given");
    if (tsct__refine_is_series(p->config))
        return tsct_stage_refine_series(p, context, report, err);
    char prefix[TSCT_INI_PATH_MAX], out_csv[TSCT_INI_PATH_MAX + 24];
    TSCT_TRY(tsct__refine_output_names(p->config, p->output, p->instrument, prefix,
                                       sizeof prefix, out_csv, sizeof out_csv, err));
    char out_txt[TSCT_INI_PATH_MAX + 8], out_png[TSCT_INI_PATH_MAX + 8],
        out_cfg[TSCT_INI_PATH_MAX + 8];
    snprintf(out_txt, sizeof out_txt, "%s.txt", prefix);
    snprintf(out_png, sizeof out_png, "%s.png", prefix);
    snprintf(out_cfg, sizeof out_cfg, "%s.cfg", prefix);
    TSCT_TRY(tsct_publish_check(out_txt, err));
    if (p->png)
        TSCT_TRY(tsct_publish_check(out_png, err));
    TSCT_TRY(tsct_publish_check(out_cfg, err));
    TSCT_TRY(tsct_publish_check(out_csv, err));

    rcfg c;
    memset(&c, 0, sizeof c);
    tsct_status st = tsct_ini_read(&c.ini, p->config, err);
    if (st == TSCT_OK)
        st = tsct__refine_pdf_space(&c.ini, &c.rspace, err);
    if (st == TSCT_OK)
        st = tsct__refine_read_data(&c, err);
    if (st == TSCT_OK)
        st = tsct__refine_configure(&c, p, ctx, err);
    tsct_refine_params rp = TSCT_REFINE_PARAMS_DEFAULT;
    if (st == TSCT_OK)
        st = tsct__refine_params_read(&c.ini, &rp, err);
    if (st == TSCT_OK && (c.calc = malloc((size_t)c.n * sizeof *c.calc)) == NULL)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    if (st == TSCT_OK) {
        st = tsct_refine_run(c.m, c.y, c.w, &rp, &c.res, c.calc, err);
        if (st == TSCT_NOT_CONVERGED) {
            tsct_log_msg(ctx->log, TSCT_LOG_WARN, "%s: %d iterations without convergence",
                         p->config, rp.max_iter);
            st = TSCT_OK;
        }
    }
    out_arg oa = {&c, p, rp.corr_flag};
    if (st == TSCT_OK && p->report)
        write_report(p->report, &c, p, rp.corr_flag);
    if (st == TSCT_OK)
        st = publish_text(out_txt, report_fn, &oa, err);
    if (st == TSCT_OK)
        st = publish_text(out_cfg, cfg_fn, &oa, err);
    if (st == TSCT_OK)
        st = tsct__refine_parameters_csv(out_csv, c.m, &c.res, err);
    if (st == TSCT_OK && p->png)
        st = write_png(&c, out_png, err);
    if (st == TSCT_OK) {
        rep->ran = 1;
        rep->units = 1;
        if (snprintf(rep->what, sizeof rep->what,
                     "refined %.200s: Rwp %.3f %%, GoF %.3f; wrote %.200s.{txt,cfg%s}", c.path,
                     100 * c.res.rwp, c.res.gof, prefix, p->png ? ",png" : "") < 0)
            rep->what[0] = '\0';
        tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s", rep->what);
    }
    tsct__refine_cfg_release(&c);
    return st;
}
