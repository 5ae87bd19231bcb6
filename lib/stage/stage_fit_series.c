/* stage_fit_series.c - the fit stage's series mode (tsct/stage_maps.h,
 * tsct_stage_fit_series): the same peak model fitted to each pattern of a list - every row
 * of an [nt][nx] dataset of an HDF5 file (a region's pattern or PDF, with its q or r axis
 * beside it) or a text pattern - into a CSV table, one row per pattern, with capacity and
 * voltage when the file holds /entry/echem's per-tomogram values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/container.h"
#include "tsct/echem.h"
#include "tsct/fit.h"
#include "tsct/pattern.h"

struct table {
    FILE *f;
    int header_done, echem;
    char names[TSCT_FIT_MAX_PARAMS * 16];
};

/* One CSV row: index, source, [capacity, voltage,] p, p_esd ..., redchi2, rwp, status. */
static void table_row(struct table *tb, const tsct_fit_plan *plan, int64_t index,
                      const char *source, double cap, double volt, const tsct_fit_result *r)
{
    const int k = tsct_fit_plan_nparams(plan);
    if (!tb->header_done) {
        snprintf(tb->names, sizeof tb->names, "%s", tsct_fit_plan_names(plan));
        fprintf(tb->f, "index,source%s", tb->echem ? ",capacity,voltage" : "");
        const char *p = tb->names;
        for (int j = 0; j < k; j++) {
            int l = (int)strcspn(p, ",");
            fprintf(tb->f, ",%.*s,%.*s_esd", l, p, l, p);
            p += l + (p[l] == ',');
        }
        fprintf(tb->f, ",redchi2,rwp,status\n");
        tb->header_done = 1;
    }
    fprintf(tb->f, "%lld,%s", (long long)index, source);
    if (tb->echem)
        fprintf(tb->f, ",%.10g,%.10g", cap, volt);
    for (int j = 0; j < k; j++)
        fprintf(tb->f, ",%.10g,%.6g", r->p[j], r->esd[j]);
    fprintf(tb->f, ",%.6g,%.6g,%d\n", r->redchi2, r->rwp, (int)r->status);
}

/* Fit y[ny][nc] on the axis x[nc]; one table row per pattern. */
static tsct_status fit_rows(const tsct_stage_fit_voxels_params *o, struct table *tb, const double *x, int64_t nc,
                            const double *y, int64_t ny, const char *source, int64_t index0,
                            const double *cap, const double *volt, const char *file,
                            tsct_error *err)
{
    tsct_fit_plan *plan = NULL;
    tsct_fit_workspace *ws = NULL;
    tsct_status st = tsct_fit_plan_create(o->model, &o->fit, x, nc, &plan, err);
    if (st != TSCT_OK)
        tsct_error_set_file(err, file);
    if (st == TSCT_OK)
        st = tsct_fit_workspace_create(plan, 1, &ws, err);
    if (st == TSCT_OK && tb->header_done && strcmp(tb->names, tsct_fit_plan_names(plan)) != 0)
        st = tsct_error_set(err, TSCT_ERR_INTERNAL, file, NULL, -1, "parameter layout changed");
    for (int64_t i = 0; st == TSCT_OK && i < ny; i++) {
        tsct_fit_result r;
        tsct_error ferr = TSCT_ERROR_INIT;
        tsct_fit_execute(plan, y + i * nc, NULL, ws, 0, &r, &ferr);
        table_row(tb, plan, index0 + i, source, cap ? cap[i] : NAN, volt ? volt[i] : NAN, &r);
    }
    tsct_fit_workspace_destroy(ws);
    tsct_fit_plan_destroy(plan);
    return st;
}

/* The axis beside an HDF5 dataset: the sibling q or r whose length is nc (both: r for
 * datasets named like a PDF - pdf, dpdf, G - q otherwise). */
static tsct_status sibling_axis(tsct_container *h, const char *file, const char *dset,
                                int64_t nc, double **x, tsct_error *err)
{
    char dir[512], cand[2][600];
    snprintf(dir, sizeof dir, "%s", dset);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : dir;
    int pdf_like = strstr(base, "pdf") != NULL || strcmp(base, "G") == 0;
    if (slash)
        slash[1] = '\0';
    else
        dir[0] = '\0';
    double *found[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        int64_t n = 0;
        snprintf(cand[i], sizeof cand[i], "%s%s", dir, i == 0 ? "q" : "r");
        if (tsct_container_exists(h, cand[i]) &&
            tsct_container_read_vector(h, cand[i], &found[i], &n, NULL) == TSCT_OK && n != nc) {
            free(found[i]);
            found[i] = NULL;
        }
    }
    int pick = found[0] && found[1] ? pdf_like : found[1] ? 1 : 0;
    *x = found[pick];
    free(found[1 - pick]);
    if (!*x)
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, file, dset, -1,
                              "no axis beside it: expected %s or %s with %lld values", cand[0],
                              cand[1], (long long)nc);
    return TSCT_OK;
}

static tsct_status series_h5(const tsct_stage_fit_voxels_params *o, struct table *tb, const char *spec,
                             int64_t *index, tsct_error *err)
{
    char file[1024], dset[512];
    tsct_path_split(spec, file, sizeof file, dset, sizeof dset);
    tsct_container *h = NULL;
    tsct_dataset *d = NULL;
    double *x = NULL, *y = NULL, *cap = NULL, *volt = NULL;
    float *buf = NULL;
    int64_t shape[8], nt = 1, nc = 0;
    tsct_status st = tsct_h5file_open(file, TSCT_OPEN_READ, &h, err);
    if (st == TSCT_OK)
        st = tsct_dataset_open(h, dset, &d, err);
    if (st == TSCT_OK) {
        int nd = tsct_dataset_shape(d, shape);
        if (nd == 2)
            nt = shape[0], nc = shape[1];
        else if (nd == 1)
            nc = shape[0];
        else
            st = tsct_error_set(err, TSCT_ERR_SHAPE, file, dset, -1,
                                "expected [nt][nx] or [nx], found rank %d", nd);
    }
    if (st == TSCT_OK)
        st = sibling_axis(h, file, dset, nc, &x, err);
    if (st == TSCT_OK) {
        buf = malloc((size_t)(nt * nc) * sizeof *buf);
        y = malloc((size_t)(nt * nc) * sizeof *y);
        if (!buf || !y)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, file, dset, -1, "buffer");
    }
    if (st == TSCT_OK) {
        int64_t start[2] = {0, 0}, count[2] = {nt, nc};
        const int rank2 = tsct_dataset_shape(d, shape) == 2;
        st = tsct_dataset_read(d, start, rank2 ? count : count + 1, buf, err);
        for (int64_t i = 0; i < nt * nc; i++)
            y[i] = buf[i];
    }
    /* Electrochemistry per tomogram, when another step wrote it. */
    if (st == TSCT_OK && tsct_container_exists(h, TSCT_PATH_ECHEM)) {
        tsct_echem_stored soc;
        if (tsct_echem_stored_read(h, &soc, NULL) == TSCT_OK && soc.tomogram_capacity &&
            soc.tomogram_voltage && soc.nt == nt) {
            if (!tb->header_done)
                tb->echem = 1;
            cap = soc.tomogram_capacity, volt = soc.tomogram_voltage; /* now ours */
            soc.tomogram_capacity = soc.tomogram_voltage = NULL;
        }
        tsct_echem_stored_release(&soc);
    }
    if (st == TSCT_OK)
        st = fit_rows(o, tb, x, nc, y, nt, spec, *index, cap, volt, file, err);
    *index += nt;
    tsct_dataset_close(d);
    tsct_container_close(h, NULL);
    free(x), free(y), free(buf), free(cap), free(volt);
    return st;
}

tsct_status tsct_stage_fit_series(const char *const *inputs, int ninputs,
                                  const tsct_stage_fit_voxels_params *params, FILE *table,
                                  const tsct_stage_ctx *context, tsct_stage_report *report,
                                  tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    tsct_stage_report rep_local, *rep = tsct__stage_report(report, &rep_local);
    if (!params || !params->model || !table)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "fit", -1,
                              "tsct_stage_fit_series: no model or table");
    tsct_stage_fit_voxels_params p = *params;
    p.fit.nthreads = ctx->nthreads;
    struct table tb = {table, 0, 0, ""};
    int64_t index = 0;
    tsct_status st = TSCT_OK;
    for (int i = 0; st == TSCT_OK && i < ninputs; i++) {
        if (strstr(inputs[i], "::")) {
            st = series_h5(&p, &tb, inputs[i], &index, err);
        } else {
            double *x = NULL, *y = NULL;
            int64_t nc = 0;
            st = tsct_pattern_read_text(inputs[i], &x, &y, &nc, err);
            if (st == TSCT_OK)
                st = fit_rows(&p, &tb, x, nc, y, 1, inputs[i], index, NULL, NULL, inputs[i],
                              err);
            index++;
            free(x), free(y);
        }
    }
    if (st == TSCT_OK)
        tsct__stage_ran(ctx, rep, index, 0, TSCT_LOG_INFO, "%lld fits", (long long)index);
    return st;
}
