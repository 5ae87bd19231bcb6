/* stage_echem.c - the echem stage (see include/tsct/stage.h): a potentiostat export into
 * /entry/echem, and the state of charge of every tomogram.
 *
 * The record is read and integrated by lib/maps/echem.c; each tomogram, acquired over a time
 * window (from a period or a file of windows), gets the time-weighted mean capacity and
 * voltage over that window. The vectors are written straight into the container (they are
 * small and cheap to remake), without a step or a process record, as `tsct echem` did.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/echem.h"
#include "tsct/pattern.h"
#include "stage_internal.h"

/* The number of tomograms: the time axis of the first stage present. */
static tsct_status count_tomograms(tsct_container *c, const char *container, int64_t *nt,
                                   tsct_error *err)
{
    static const char *const stages[] = {TSCT_PATH_INTEGRATED, TSCT_PATH_SINOGRAMS,
                                         TSCT_PATH_RECON, NULL};
    *nt = 0;
    for (int i = 0; stages[i] && *nt == 0; i++) {
        tsct_dataset *d = NULL;
        int64_t shape[8] = {0};
        if (!tsct_container_exists(c, stages[i]))
            continue;
        TSCT_TRY(tsct_dataset_open(c, stages[i], &d, err));
        if (tsct_dataset_shape(d, shape) >= 1)
            *nt = shape[0];
        tsct_dataset_close(d);
    }
    if (*nt == 0)
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, container, TSCT_PATH_INTEGRATED, -1,
                              "no stage with time steps (integrate or import first)");
    return TSCT_OK;
}

/* The window of every tomogram and its state of charge: out[0..4] = start, end, capacity
 * (mAh/g), voltage, half cycle, each [nt], malloc'd. */
static tsct_status tomograms(const tsct_stage_echem_params *p, const tsct_echem *e, int64_t nt,
                             double *out[5], tsct_error *err)
{
    double *wx = NULL, *wy = NULL;
    int64_t nw = 0;
    tsct_status st = TSCT_OK;
    if (p->windows) {
        st = tsct_pattern_read_text(p->windows, &wx, &wy, &nw, err);
        if (st == TSCT_OK && nw < nt)
            st = tsct_error_set(err, TSCT_ERR_SHAPE, p->windows, NULL, -1,
                                "%lld windows for %lld tomograms", (long long)nw,
                                (long long)nt);
    }
    for (int k = 0; k < 5; k++)
        if (!(out[k] = malloc((size_t)nt * sizeof *out[k])) && st == TSCT_OK)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "tomograms", -1, "tables");
    double *t0 = out[0], *t1 = out[1];
    for (int64_t t = 0; st == TSCT_OK && t < nt; t++) {
        t0[t] = p->windows ? wx[t] : p->start + (double)t * p->period;
        t1[t] = p->windows ? wy[t] : t0[t] + (p->duration > 0 ? p->duration : p->period);
        int64_t hc = 0;
        double cap = 0;
        st = tsct_echem_window(e, t0[t], t1[t], &cap, &out[3][t], &hc, err);
        if (st != TSCT_OK && err) { /* the message names the tomogram and its window */
            char why[sizeof err->message];
            memcpy(why, err->message, sizeof why);
            tsct_error_clear(err);
            st = tsct_error_set(err, TSCT_ERR_VALUE, p->file, "tomogram", t,
                                "tomogram %lld (%.1f .. %.1f s): %s", (long long)t, t0[t],
                                t1[t], why);
        }
        out[2][t] = cap / (p->mass_mg * 1e-3);
        out[4][t] = (double)hc;
    }
    free(wx);
    free(wy);
    return st;
}

tsct_status tsct_stage_echem(const char *container, const tsct_stage_echem_params *params,
                             const tsct_stage_ctx *context, tsct_stage_report *report,
                             tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    tsct_stage_report rep_local;
    tsct_stage_report *rep = tsct__stage_report(report, &rep_local);
    if (!params || !params->file || !(params->mass_mg > 0) ||
        (!params->windows && !(params->period > 0)) || !(params->start >= 0) ||
        !(params->duration >= 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "echem parameters", -1,
                              "expected a file, a mass > 0, and a period > 0 (start, duration "
                              ">= 0) or a file of windows");
    tsct_echem *e = NULL;
    tsct_container *c = NULL;
    double *tomo[5] = {NULL, NULL, NULL, NULL, NULL}, *capg = NULL;
    int64_t nt = 0;
    tsct_status st = tsct_echem_read(params->file, &params->columns, &e, err);
    if (st == TSCT_OK)
        st = tsct_container_open(container, TSCT_OPEN_WRITE, &c, err);
    if (st == TSCT_OK)
        st = count_tomograms(c, container, &nt, err);
    if (st == TSCT_OK)
        st = tomograms(params, e, nt, tomo, err);
    if (st == TSCT_OK && !(capg = malloc((size_t)e->n * sizeof *capg)))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "capacity", -1, "record");
    for (int64_t i = 0; st == TSCT_OK && i < e->n; i++)
        capg[i] = e->capacity_mah[i] / (params->mass_mg * 1e-3);
    if (st == TSCT_OK) {
        const struct {
            const char *path, *units;
            const double *v;
            int64_t n;
        } out[] = {{TSCT_PATH_ECHEM_TIME, "s", e->time_s, e->n},
                   {TSCT_PATH_ECHEM_VOLTAGE, "V", e->voltage, e->n},
                   {TSCT_PATH_ECHEM_CURRENT, "mA", e->current_ma, e->n},
                   {TSCT_PATH_ECHEM_CAPACITY, "mAh/g (in the half cycle)", capg, e->n},
                   {TSCT_PATH_ECHEM_TOMOGRAM_START, "s", tomo[0], nt},
                   {TSCT_PATH_ECHEM_TOMOGRAM_END, "s", tomo[1], nt},
                   {TSCT_PATH_ECHEM_TOMOGRAM_CAPACITY, "mAh/g", tomo[2], nt},
                   {TSCT_PATH_ECHEM_TOMOGRAM_VOLTAGE, "V", tomo[3], nt},
                   {TSCT_PATH_ECHEM_TOMOGRAM_HALF_CYCLE, "index", tomo[4], nt}};
        for (size_t i = 0; st == TSCT_OK && i < sizeof out / sizeof out[0]; i++)
            st = tsct_container_write_vector(c, out[i].path, out[i].v, out[i].n, out[i].units,
                                             err);
    }
    if (st == TSCT_OK)
        st = tsct_container_close(c, err);
    else
        tsct_container_close(c, NULL);
    if (st == TSCT_OK)
        tsct__stage_ran(ctx, rep, nt, 0, TSCT_LOG_DEBUG, "state of charge of %lld tomogram(s) "
                        "written to %s:%s", (long long)nt, container, TSCT_PATH_ECHEM);
    tsct_echem_destroy(e);
    for (int k = 0; k < 5; k++)
        free(tomo[k]);
    free(capg);
    return st;
}

tsct_status tsct_stage_echem_table(const char *container, FILE *out, int commented,
                                   tsct_error *err)
{
    tsct_container *c = NULL;
    tsct_echem_stored e;
    memset(&e, 0, sizeof e);
    tsct_status st = tsct_container_open(container, TSCT_OPEN_READ, &c, err);
    if (st == TSCT_OK)
        st = tsct_echem_stored_read(c, &e, err);
    tsct_container_close(c, NULL);
    if (st == TSCT_OK && (!e.tomogram_start || !e.tomogram_end || !e.tomogram_capacity ||
                          !e.tomogram_voltage || !e.tomogram_half_cycle))
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, container, TSCT_PATH_ECHEM, -1,
                            "a tomogram_* vector is missing");
    if (st == TSCT_OK) {
        fprintf(out, "%st,start_s,end_s,capacity_mAh_g,voltage_V,half_cycle\n",
                commented ? "# " : "");
        for (int64_t t = 0; t < e.nt; t++)
            fprintf(out, "%lld,%.3f,%.3f,%.4f,%.5f,%d\n", (long long)t, e.tomogram_start[t],
                    e.tomogram_end[t], e.tomogram_capacity[t], e.tomogram_voltage[t],
                    (int)e.tomogram_half_cycle[t]);
        if (ferror(out))
            st = tsct_error_set(err, TSCT_ERR_IO, NULL, "echem table", -1, "write failed");
    }
    tsct_echem_stored_release(&e);
    return st;
}
