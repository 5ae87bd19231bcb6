/* stage_edxrd_figure.c - the figures of a depth-resolved EDXRD experiment (tsct/stage.h,
 * tsct_stage_edxrd_figure), as the V2O5 study draws them:
 *  - layer: one layer's patterns as a film, intensity in d (or q) against time, each row at
 *    its spectrum's time stamp (the row spans the midpoints to the layer's neighbouring
 *    spectra), beside the voltage record of /entry/echem on the same time axis;
 *  - fronts: a fitted parameter of /entry/fits/NAME (a reflection's position) against time, one
 *    curve per layer with its ESD, so that the layers' lag behind the front reads directly.
 * The drawing is lib/figure's (tsct_figure_film, tsct_figure_lines).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_figure_internal.h"
#include "stage_internal.h"
#include "tsct/container.h"
#include "tsct/echem.h"
#include "tsct/figure.h"

#define EDXRD_TIME "/entry/edxrd/time"

/* /entry/edxrd/time [nt][nz] as doubles. */
static tsct_status read_times(tsct_container *c, const char *path, double **tm, int64_t *nt,
                              int64_t *nz, tsct_error *err)
{
    tsct_dataset *d = NULL;
    if (!tsct_container_exists(c, EDXRD_TIME))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, path, EDXRD_TIME, -1,
                              "not an EDXRD experiment (tsct edxrd writes it)");
    TSCT_TRY(tsct_dataset_open(c, EDXRD_TIME, &d, err));
    int64_t s[8];
    tsct_status st = tsct_dataset_shape(d, s) == 2
                         ? TSCT_OK
                         : tsct_error_set(err, TSCT_ERR_SHAPE, path, EDXRD_TIME, -1,
                                          "expected [nt][nz]");
    float *f = st == TSCT_OK ? malloc((size_t)(s[0] * s[1]) * sizeof *f) : NULL;
    *tm = st == TSCT_OK ? malloc((size_t)(s[0] * s[1]) * sizeof **tm) : NULL;
    if (st == TSCT_OK && (!f || !*tm))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, path, EDXRD_TIME, -1, "times");
    const int64_t start[2] = {0, 0};
    if (st == TSCT_OK)
        st = tsct_dataset_read(d, start, s, f, err);
    for (int64_t i = 0; st == TSCT_OK && i < s[0] * s[1]; i++)
        (*tm)[i] = f[i];
    *nt = s[0], *nz = s[1];
    free(f);
    tsct_dataset_close(d);
    return st;
}

/* The film of one layer beside the voltage. */
static tsct_status layer_film(tsct_container *c, const tsct_stage_edxrd_figure_params *o,
                              const char *units, tsct_error *err)
{
    const char *path = o->input;
    double *tm = NULL, *x = NULL, *lo = NULL, *hi = NULL;
    int64_t nt = 0, nz = 0, nx = 0, n = 0;
    float *img = NULL, *row = NULL;
    tsct_dataset *d = NULL;
    tsct_echem_stored e;
    memset(&e, 0, sizeof e);
    tsct_status st = read_times(c, path, &tm, &nt, &nz, err);
    if (st == TSCT_OK && o->layer >= nz)
        st = tsct_error_set(err, TSCT_ERR_VALUE, path, "layer", o->layer,
                            "the experiment has %lld layers", (long long)nz);
    if (st == TSCT_OK)
        st = tsct_container_read_vector(c, TSCT_PATH_INTEGRATED_Q, &x, &nx, err);
    if (st == TSCT_OK)
        st = tsct_dataset_open(c, TSCT_PATH_INTEGRATED, &d, err);
    int64_t s[8];
    if (st == TSCT_OK && (tsct_dataset_shape(d, s) != 5 || s[0] != nt || s[1] != nz ||
                          s[4] != nx || s[2] != 1 || s[3] != 1))
        st = tsct_error_set(err, TSCT_ERR_SHAPE, path, TSCT_PATH_INTEGRATED, -1,
                            "expected [%lld][%lld][1][1][%lld] as tsct edxrd writes it",
                            (long long)nt, (long long)nz, (long long)nx);
    /* The crop of the x axis. */
    int64_t x0 = 0, x1 = nx;
    if (st == TSCT_OK && o->have_range) {
        while (x0 < nx && x[x0] < o->range[0])
            x0++;
        while (x1 > x0 && x[x1 - 1] > o->range[1])
            x1--;
        if (x1 - x0 < 2)
            st = tsct_error_set(err, TSCT_ERR_VALUE, path, "range", -1,
                                "%g .. %g holds fewer than 2 of the axis' values", o->range[0],
                                o->range[1]);
    }
    const int64_t m = x1 - x0;
    if (st == TSCT_OK && (!(img = malloc((size_t)(nt * m) * sizeof *img)) ||
                          !(row = malloc((size_t)nx * sizeof *row)) ||
                          !(lo = malloc((size_t)nt * sizeof *lo)) ||
                          !(hi = malloc((size_t)nt * sizeof *hi))))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, path, "film", -1, "rows");
    /* Rows: the layer's spectra with a time stamp, spanning the midpoints to their neighbours
     * (hours). */
    for (int64_t t = 0; st == TSCT_OK && t < nt; t++) {
        const double now = tm[t * nz + o->layer];
        if (!isfinite(now))
            continue;
        const int64_t lead[4] = {t, o->layer, 0, 0};
        st = tsct_dataset_read_row(d, lead, row, err);
        memcpy(img + n * m, row + x0, (size_t)m * sizeof *row);
        lo[n] = hi[n] = now / 3600.0;
        n++;
    }
    if (st == TSCT_OK && n < 1)
        st = tsct_error_set(err, TSCT_ERR_VALUE, path, "layer", o->layer, "no spectra");
    for (int64_t j = 0; st == TSCT_OK && j < n; j++) {
        const double a = j > 0 ? 0.5 * (lo[j] + lo[j - 1]) : NAN;
        const double b = j + 1 < n ? 0.5 * (lo[j] + lo[j + 1]) : NAN;
        const double half = isfinite(a) ? lo[j] - a : isfinite(b) ? b - lo[j] : 0.5 / 3600;
        hi[j] = isfinite(b) ? b : lo[j] + half;
        lo[j] = isfinite(a) ? a : lo[j] - half;
        if (!(hi[j] > lo[j]))
            st = tsct_error_set(err, TSCT_ERR_VALUE, path, EDXRD_TIME, j,
                                "the layer's time stamps must increase");
    }
    /* The voltage record beside it, when tsct echem has stored one. */
    double *sx = NULL, *sy = NULL;
    if (st == TSCT_OK && tsct_container_exists(c, TSCT_PATH_ECHEM))
        st = tsct_echem_stored_read(c, &e, err);
    if (st == TSCT_OK && e.n > 0 && e.voltage &&
        (!(sx = malloc((size_t)e.n * sizeof *sx)) || !(sy = malloc((size_t)e.n * sizeof *sy))))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, path, "film", -1, "voltage");
    for (int64_t i = 0; st == TSCT_OK && sx && i < e.n; i++)
        sx[i] = e.voltage[i], sy[i] = e.time[i] / 3600.0;
    if (st == TSCT_OK) {
        tsct_figure_params p = o->p;
        char title[160], xlab[64];
        snprintf(xlab, sizeof xlab, "%s", strcmp(units, "A") == 0 ? "d (A)" : "q (1/A)");
        snprintf(title, sizeof title, "layer %lld over time", (long long)o->layer);
        p.x0 = x[x0], p.x1 = x[x1 - 1];
        p.xlabel = p.xlabel ? p.xlabel : xlab;
        p.ylabel = p.ylabel ? p.ylabel : "time (h)";
        p.label = p.label ? p.label : "normalised intensity";
        p.title = p.title ? p.title : title;
        tsct_figure_side side = {sx, sy, e.n, NULL, "voltage (V)"};
        st = tsct_figure_film(img, n, m, lo, hi, sx ? &side : NULL, &p, o->output, err);
    }
    tsct_echem_stored_release(&e);
    tsct_dataset_close(d);
    free(tm), free(x), free(lo), free(hi), free(img), free(row), free(sx), free(sy);
    return st;
}

/* The fitted parameter of every layer against time. Points whose fit failed (status > 1) or
 * whose first peak's area is under 5 ESDs (the reflection is absent) are left out. */
static tsct_status fronts(tsct_container *c, const tsct_stage_edxrd_figure_params *o,
                          const char *units, tsct_error *err)
{
    const char *path = o->input;
    char names[1024], ppath[300], epath[300], spath[300];
    TSCT_TRY(tsct__figure_fit_parameters(c, path, o->fit, names, sizeof names, err));
    const int k = tsct__figure_list_index(names, o->param);
    const int ka = tsct__figure_list_index(names, "area_1");
    if (k < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, path, o->param, -1,
                              "fit %s has no such parameter; it has %s", o->fit, names);
    snprintf(ppath, sizeof ppath, TSCT_PATH_FITS "/%s/parameters", o->fit);
    snprintf(epath, sizeof epath, TSCT_PATH_FITS "/%s/esd", o->fit);
    snprintf(spath, sizeof spath, TSCT_PATH_FITS "/%s/status", o->fit);
    double *tm = NULL, *x = NULL, *buf = NULL;
    int64_t nt = 0, nz = 0, s[8];
    tsct_dataset *dp = NULL, *de = NULL, *ds = NULL;
    float *pr = NULL, *er = NULL, st1 = 0;
    tsct_status st = read_times(c, path, &tm, &nt, &nz, err);
    if (st == TSCT_OK)
        st = tsct_dataset_open(c, ppath, &dp, err);
    if (st == TSCT_OK)
        st = tsct_dataset_open(c, epath, &de, err);
    if (st == TSCT_OK)
        st = tsct_dataset_open(c, spath, &ds, err);
    if (st == TSCT_OK && (tsct_dataset_shape(dp, s) != 5 || s[0] != nt || s[1] != nz ||
                          s[2] != 1 || s[3] != 1))
        st = tsct_error_set(err, TSCT_ERR_SHAPE, path, ppath, -1,
                            "expected [%lld][%lld][1][1][k]: a fit of tsct edxrd's patterns "
                            "(tsct fit peak --source integrated)", (long long)nt, (long long)nz);
    const int64_t np = st == TSCT_OK ? s[4] : 0;
    if (st == TSCT_OK && (!(x = malloc((size_t)nt * sizeof *x)) ||
                          !(buf = malloc((size_t)(2 * nt * nz) * sizeof *buf)) ||
                          !(pr = malloc((size_t)np * sizeof *pr)) ||
                          !(er = malloc((size_t)np * sizeof *er))))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, path, "fronts", -1, "curves");
    /* x: each round's mean time (h); the layers of a round are measured within it. */
    for (int64_t t = 0; st == TSCT_OK && t < nt; t++) {
        double sum = 0;
        int64_t cnt = 0;
        for (int64_t z = 0; z < nz; z++)
            if (isfinite(tm[t * nz + z]))
                sum += tm[t * nz + z], cnt++;
        x[t] = cnt ? sum / (double)cnt / 3600.0 : NAN;
    }
    for (int64_t t = 0; st == TSCT_OK && t < nt; t++)
        for (int64_t z = 0; z < nz && st == TSCT_OK; z++) {
            const int64_t start[5] = {t, z, 0, 0, 0}, cnt[5] = {1, 1, 1, 1, np};
            st = tsct_dataset_read(dp, start, cnt, pr, err);
            if (st == TSCT_OK)
                st = tsct_dataset_read(de, start, cnt, er, err);
            if (st == TSCT_OK)
                st = tsct_dataset_read(ds, start, cnt, &st1, err);
            const int ok = st1 <= 1 && (ka < 0 || pr[ka] > 5 * er[ka]);
            buf[z * nt + t] = ok ? pr[k] : NAN;
            buf[nt * nz + z * nt + t] = ok ? er[k] : NAN;
        }
    if (st == TSCT_OK) {
        const double *ys[64], *es[64];
        char labels[64][32];
        const char *lab[64];
        const int nser = nz < 64 ? (int)nz : 64;
        for (int z = 0; z < nser; z++) {
            ys[z] = buf + z * nt, es[z] = buf + nt * nz + z * nt;
            snprintf(labels[z], sizeof labels[z], "layer %d", z);
            lab[z] = labels[z];
        }
        tsct_figure_params p = o->p;
        char title[200], ylab[160];
        snprintf(title, sizeof title, "fit %s: %s of every layer, +- ESD", o->fit, o->param);
        snprintf(ylab, sizeof ylab, "%s%s", o->param,
                 strncmp(o->param, "position", 8) == 0 || strncmp(o->param, "fwhm", 4) == 0
                     ? (strcmp(units, "A") == 0 ? " (A)" : " (1/A)")
                     : "");
        p.xlabel = p.xlabel ? p.xlabel : "time (h)";
        p.ylabel = p.ylabel ? p.ylabel : ylab;
        p.title = p.title ? p.title : title;
        p.sequential = nser > 8 ? 1 : p.sequential;
        st = tsct_figure_lines(x, nt, ys, es, nser, lab, &p, o->output, err);
    }
    tsct_dataset_close(dp), tsct_dataset_close(de), tsct_dataset_close(ds);
    free(tm), free(x), free(buf), free(pr), free(er);
    return st;
}

tsct_status tsct_stage_edxrd_figure(const tsct_stage_edxrd_figure_params *params,
                                    const tsct_stage_ctx *ctx, tsct_error *err)
{
    (void)ctx;
    if (!params || !params->input || !params->output ||
        (unsigned)params->kind > TSCT_STAGE_EDXRD_FIGURE_FRONTS || params->layer < 0 ||
        (params->kind == TSCT_STAGE_EDXRD_FIGURE_FRONTS && (!params->fit || !params->param)))
        return tsct_error_set(err, TSCT_ERR_VALUE, params ? params->input : NULL, "figure", -1,
                              "expected a container, an output, a kind, a layer >= 0, and "
                              "for fronts a fit and its parameter");
    tsct_container *c = NULL;
    TSCT_TRY(tsct_container_open(params->input, TSCT_OPEN_READ, &c, err));
    char units[32] = "A";
    if (tsct_container_get_attr_string(c, TSCT_PATH_INTEGRATED_Q, "units", units, sizeof units,
                                       NULL) != TSCT_OK)
        snprintf(units, sizeof units, "A^-1");
    tsct_status st = params->kind == TSCT_STAGE_EDXRD_FIGURE_LAYER
                         ? layer_film(c, params, units, err)
                         : fronts(c, params, units, err);
    tsct_container_close(c, NULL);
    return st;
}
