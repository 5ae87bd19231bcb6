/* stage_figure_plot.c - what both halves of the figure stage use (stage_figure.c: maps,
 * composites, grids, all; stage_figure_series.c: films, patterns, fits): the title of a time
 * step with its state of charge, colour names, and the line plots of CSV tables. In a file
 * of its own so that the two halves depend on it and not on each other. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_figure_internal.h"
#include "tsct/echem.h"
#include "tsct/maps.h"

void tsct__figure_step_title(tsct_container *c, int64_t t, char *buf, size_t size)
{
    tsct_echem_stored soc;
    snprintf(buf, size, "t = %lld", (long long)t);
    if (!tsct_container_exists(c, TSCT_PATH_ECHEM) ||
        tsct_echem_stored_read(c, &soc, NULL) != TSCT_OK)
        return;
    if (soc.tomogram_capacity && t < soc.nt) {
        int n = (int)strlen(buf);
        snprintf(buf + n, size - (size_t)n, ", %.0f mAh/g", soc.tomogram_capacity[t]);
        if (soc.tomogram_voltage) {
            n = (int)strlen(buf);
            snprintf(buf + n, size - (size_t)n, ", %.2f V", soc.tomogram_voltage[t]);
        }
    }
    tsct_echem_stored_release(&soc);
}

int tsct__figure_parse_colour(const char *s, double rgb[3])
{
    static const struct {
        const char *name;
        double rgb[3];
    } named[] = {{"red", {0.9, 0.1, 0.1}},     {"green", {0.1, 0.8, 0.1}},
                 {"blue", {0.15, 0.35, 1.0}},  {"grey", {0.6, 0.6, 0.6}},
                 {"yellow", {0.9, 0.9, 0.1}},  {"magenta", {0.9, 0.1, 0.9}},
                 {"cyan", {0.1, 0.9, 0.9}},    {"orange", {1.0, 0.55, 0.0}}};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strcmp(s, named[i].name) == 0) {
            memcpy(rgb, named[i].rgb, sizeof named[i].rgb);
            return 0;
        }
    unsigned r, g, b;
    if (s[0] == '#' && strlen(s) == 7 && sscanf(s + 1, "%2x%2x%2x", &r, &g, &b) == 3) {
        rgb[0] = r / 255.0, rgb[1] = g / 255.0, rgb[2] = b / 255.0;
        return 0;
    }
    return -1;
}

const char *const tsct__figure_default_colours[8] = {"red", "grey", "blue", "green",
                                              "yellow", "magenta", "cyan", "orange"};

const char *tsct__figure_source_name(tsct_stage_figure_source source)
{
    switch (source) {
    case TSCT_STAGE_FIGURE_SOURCE_DEFAULT:
    case TSCT_STAGE_FIGURE_SOURCE_PATTERN:
        return "pattern";
    case TSCT_STAGE_FIGURE_SOURCE_PDF:
        return "pdf";
    case TSCT_STAGE_FIGURE_SOURCE_DPDF:
        return "dpdf";
    }
    return NULL;
}

/* ---- CSV tables --------------------------------------------------------------------------- */

static int split(char *s, char **fields, int max)
{
    int n = 0;
    for (char *save = NULL, *f = strtok_r(s, ",\n\r", &save); f && n < max;
         f = strtok_r(NULL, ",\n\r", &save))
        fields[n++] = f;
    return n;
}

/* Double the capacity of the table's columns (64 at first); -1 when memory ran out (the
 * columns then keep what they held). */
static int grow(int64_t *cap, double **x, int **grp, double **y, double **e, int ny)
{
    const int64_t c = *cap ? 2 * *cap : 64;
    void *p;
    if (!(p = realloc(*x, (size_t)c * sizeof **x)))
        return -1;
    *x = p;
    if (!(p = realloc(*grp, (size_t)c * sizeof **grp)))
        return -1;
    *grp = p;
    for (int j = 0; j < ny; j++) {
        if (!(p = realloc(y[j], (size_t)c * sizeof *y[j])))
            return -1;
        y[j] = p;
        if (!(p = realloc(e[j], (size_t)c * sizeof *e[j])))
            return -1;
        e[j] = p;
    }
    *cap = c;
    return 0;
}

/* The plot's curves: y[j] +- e[j] [n] against x [n] for the ny columns ycol (ne with errors);
 * with --split (si >= 0) one curve per group gval[0 .. ngrp) of rows (grp [n]). */
static tsct_status plot_draw(const tsct_stage_figure_params *o, const double *x, int64_t n,
                             double *const *y, double *const *e, int ny, int ne, char *const *ycol,
                             const int *grp, char gval[][64], int ngrp, int si, tsct_error *err)
{
    tsct_status st = TSCT_OK;
    tsct_figure_params p = o->p;
    p.xlabel = p.xlabel ? p.xlabel : o->x;
    p.ylabel = p.ylabel ? p.ylabel : (p.label ? p.label : (ny == 1 ? ycol[0] : NULL));
    const double *yy[8], *ee[8];
    const char *nm[8];
    double *gy[8] = {0}, *ge[8] = {0};
    char gname[8][160];
    for (int j = 0; j < ny; j++)
        yy[j] = y[j], ee[j] = e[j], nm[j] = ycol[j];
    if (si >= 0) {
        /* One series per group, NaN (a break in the curve) at the other rows. */
        for (int g = 0; g < ngrp && st == TSCT_OK; g++) {
            gy[g] = malloc((size_t)n * sizeof *gy[g]);
            ge[g] = malloc((size_t)n * sizeof *ge[g]);
            if (!gy[g] || !ge[g]) {
                st = tsct_error_set(err, TSCT_ERR_NOMEM, o->input, NULL, -1, "series");
                break;
            }
            for (int64_t i = 0; i < n; i++) {
                gy[g][i] = grp[i] == g ? y[0][i] : NAN;
                ge[g][i] = grp[i] == g ? e[0][i] : NAN;
            }
            snprintf(gname[g], sizeof gname[g], "%s %s", o->split, gval[g]);
            yy[g] = gy[g], ee[g] = ge[g], nm[g] = gname[g];
        }
        if (st == TSCT_OK)
            st = tsct_figure_lines(x, n, yy, ne ? ee : NULL, ngrp, nm, &p, o->output, err);
    } else {
        st = tsct_figure_lines(x, n, yy, ne ? ee : NULL, ny, ny > 1 ? nm : NULL, &p,
                               o->output, err);
    }
    for (int g = 0; g < 8; g++)
        free(gy[g]), free(ge[g]);
    return st;
}

tsct_status tsct__figure_plot(const tsct_stage_figure_params *o, tsct_error *err)
{
    if (!o->x || !o->y)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "plot", -1, "needs --x and --y");
    FILE *f = fopen(o->input, "r");
    if (!f)
        return tsct_error_set(err, TSCT_ERR_IO, o->input, NULL, -1, "cannot open");
    char line[8192], ybuf[1024], ebuf[1024], wbuf[256];
    char *head[64], *ycol[8], *ecol[8];
    int nh = 0, ny = 0, ne = 0;
    while (nh == 0 && fgets(line, sizeof line, f))
        if (line[0] != '#')
            nh = split(line, head, 64);
    /* head points into line: copy the names. */
    char names[64][64];
    for (int i = 0; i < nh; i++)
        snprintf(names[i], sizeof names[i], "%s", head[i]);
    snprintf(ybuf, sizeof ybuf, "%s", o->y);
    ny = split(ybuf, ycol, 8);
    if (o->errs) {
        snprintf(ebuf, sizeof ebuf, "%s", o->errs);
        ne = split(ebuf, ecol, 8);
    }
    const char *wcol = NULL, *wval = NULL;
    if (o->where) {
        snprintf(wbuf, sizeof wbuf, "%s", o->where);
        char *eq = strchr(wbuf, '=');
        if (eq)
            *eq = '\0', wcol = wbuf, wval = eq + 1;
    }
    int xi = -1, yi[8], ei[8], wi = -1, si = -1;
    tsct_status st = TSCT_OK;
    for (int i = 0; i < nh; i++) {
        if (strcmp(names[i], o->x) == 0)
            xi = i;
        if (wcol && strcmp(names[i], wcol) == 0)
            wi = i;
        if (o->split && strcmp(names[i], o->split) == 0)
            si = i;
    }
    if (o->split && ny != 1)
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--split", -1,
                            "splits one --y column, got %d", ny);
    if (st == TSCT_OK && o->split && si < 0)
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, o->input, o->split, -1,
                            "no such column in the header");
    for (int j = 0; j < ny; j++) {
        yi[j] = ei[j] = -1;
        for (int i = 0; i < nh; i++) {
            if (strcmp(names[i], ycol[j]) == 0)
                yi[j] = i;
            if (j < ne && strcmp(names[i], ecol[j]) == 0)
                ei[j] = i;
        }
        if (yi[j] < 0 || (j < ne && ei[j] < 0))
            st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, o->input, yi[j] < 0 ? ycol[j] : ecol[j],
                                -1, "no such column in the header");
    }
    if (st == TSCT_OK && (xi < 0 || (wcol && wi < 0)))
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, o->input, xi < 0 ? o->x : wcol, -1,
                            "no such column in the header");
    double *x = NULL, *y[8] = {0}, *e[8] = {0};
    int *grp = NULL;          /* --split: the row's group, in order of first appearance */
    char gval[8][64];
    int ngrp = 0;
    int64_t n = 0, cap = 0;
    while (st == TSCT_OK && fgets(line, sizeof line, f)) {
        char *fld[64];
        if (line[0] == '#')
            continue;
        int nf = split(line, fld, 64);
        if (nf != nh)
            continue;
        if (wi >= 0 && strcmp(fld[wi], wval) != 0)
            continue;
        int g = 0;
        if (si >= 0) {
            while (g < ngrp && strcmp(gval[g], fld[si]) != 0)
                g++;
            if (g == ngrp && ngrp == 8) {
                st = tsct_error_set(err, TSCT_ERR_VALUE, o->input, o->split, -1,
                                    "more than 8 values to split by");
                break;
            }
            if (g == ngrp)
                snprintf(gval[ngrp++], sizeof gval[0], "%s", fld[si]);
        }
        if (n == cap && grow(&cap, &x, &grp, y, e, ny) != 0) {
            st = tsct_error_set(err, TSCT_ERR_NOMEM, o->input, NULL, -1, "table rows");
            break;
        }
        x[n] = strtod(fld[xi], NULL);
        grp[n] = g;
        for (int j = 0; j < ny; j++) {
            y[j][n] = strtod(fld[yi[j]], NULL);
            e[j][n] = j < ne ? strtod(fld[ei[j]], NULL) : NAN;
        }
        n++;
    }
    fclose(f);
    if (st == TSCT_OK && n == 0)
        st = tsct_error_set(err, TSCT_ERR_VALUE, o->input, NULL, -1, "no data rows%s%s",
                            o->where ? " where " : "", o->where ? o->where : "");
    if (st == TSCT_OK)
        st = plot_draw(o, x, n, y, e, ny, ne, ycol, grp, gval, ngrp, si, err);
    free(x);
    free(grp);
    for (int j = 0; j < 8; j++) {
        free(y[j]);
        free(e[j]);
    }
    return st;
}
