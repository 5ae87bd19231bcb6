/* stage_refine_pdf.c - `tsct refine` on G(r) ([data] space = r, docs/refine.md "Real
 * space"): the fit's grid and weights from a .gr file or a region's PDF, and the
 * parameters.csv every single-pattern refinement writes. The model, the refinement, the
 * report and the refined configuration are those of stage_refine.c; only the data differ.
 *
 * Weights: a PDFgetX2 .gr carries dG in its fourth column, and PDFgui weighs by it; a
 * PDFgetX3 .gr (two columns) and a region's PDF have none, and every point then weighs 1,
 * as PDFgui does without dG. Rw is then PDFgui's Rw.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stage_refine_pdf.h"
#include "tsct/pattern.h"
#include "tsct/publish.h"

tsct_status tsct__refine_pdf_space(const tsct_ini *ini, int *rspace, tsct_error *err)
{
    static const char *const spaces[] = {"q", "r", NULL};
    *rspace = 0;
    const tsct_ini_entry *e = tsct_ini_find(ini, "data", "space");
    return e ? tsct_ini_value_enum(ini, e, spaces, rspace, err) : TSCT_OK;
}

tsct_status tsct__refine_pdf_phase_keys(const tsct_ini *ini, const char *section,
                                        const char *path, double *radius, tsct_error *err)
{
    const tsct_ini_entry *c = tsct_ini_find(ini, section, "cif");
    const tsct_ini_entry *x = tsct_ini_find(ini, section, "xyz");
    const tsct_ini_entry *r = tsct_ini_find(ini, section, "radius");
    const size_t l = strlen(path);
    const int is_xyz = l > 4 && strcmp(path + l - 4, ".xyz") == 0;
    *radius = 0;
    if (c && x)
        return tsct_ini_error(ini, x, TSCT_ERR_VALUE, err,
                              "a phase is a CIF or an .xyz cluster, not both");
    if (x && !is_xyz)
        return tsct_ini_error(ini, x, TSCT_ERR_VALUE, err, "expected an .xyz file");
    if (r && is_xyz)
        return tsct_ini_error(ini, r, TSCT_ERR_VALUE, err,
                              "radius cuts a CIF to a cluster; an .xyz cluster takes none");
    return r ? tsct_ini_value_double(ini, r, 0.5, 1000, radius, err) : TSCT_OK;
}

/* The first "qmax = Q" / "qmax=Q" of a .gr header (PDFgetX3 writes "qmax = 24.0", PDFgetX2
 * "qmin=0.01  qmax=27.0"; "optqmax" and "qmaxinst" are other things), 0 when none. */
static double header_qmax(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[1024];
    double q = 0;
    for (int i = 0; i < 2000 && q == 0 && fgets(line, sizeof line, f); i++) {
        for (char *s = strstr(line, "qmax"); s && q == 0; s = strstr(s + 4, "qmax")) {
            if (s > line && (isalnum((unsigned char)s[-1]) || s[-1] == '_'))
                continue;
            char *t = s + 4;
            while (*t == ' ' || *t == '\t')
                t++;
            if (*t != '=')
                continue;
            char *end;
            double v = strtod(t + 1, &end);
            if (end != t + 1 && isfinite(v) && v > 0)
                q = v;
        }
    }
    fclose(f);
    return q;
}

/* dG, the fourth column of the numeric lines whose first two columns are (x[k], y[k]) in
 * order, into s[n]; 1 when every point has one > 0. */
static int dg_column(const char *path, const double *x, const double *y, int64_t n, double *s)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[4096];
    int64_t k = 0;
    int ok = 1;
    while (k < n && ok && fgets(line, sizeof line, f)) {
        double v[4];
        int m = 0;
        char *p = line, *end;
        for (; m < 4; m++, p = end) {
            v[m] = strtod(p, &end);
            if (end == p)
                break;
        }
        if (m >= 2 && v[0] == x[k] && v[1] == y[k]) {
            ok = m == 4 && v[3] > 0 && isfinite(v[3]);
            s[k++] = v[3];
        }
    }
    fclose(f);
    return ok && k == n;
}

tsct_status tsct__refine_pdf_data(const tsct_ini *ini, const char *path, int file, double **x,
                                  double **y, double **w, int64_t *n, double *qmax,
                                  tsct_error *err)
{
    const double *r = *x, *g = *y;
    const int64_t nd = *n;
    if (nd < 2)
        return tsct_error_set(err, TSCT_ERR_VALUE, path, "r", -1, "%lld points of G(r)",
                              (long long)nd);
    double *s = malloc((size_t)nd * sizeof *s);
    if (!s)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    /* sigma: auto (dG when the file has it, else 1), column (dG required), unit */
    static const char *const sig[] = {"auto", "column", "unit", NULL};
    int sigma = 0;
    const tsct_ini_entry *e = tsct_ini_find(ini, "data", "sigma");
    tsct_status st = e ? tsct_ini_value_enum(ini, e, sig, &sigma, err) : TSCT_OK;
    int have = st == TSCT_OK && sigma < 2 && file && dg_column(path, r, g, nd, s);
    if (st == TSCT_OK && sigma == 1 && !have)
        st = tsct_ini_error(ini, e, TSCT_ERR_VALUE, err,
                            "%s has no fourth column dG > 0 on every line (PDFgetX2's .gr has)",
                            path);
    if (!have)
        for (int64_t i = 0; i < nd; i++)
            s[i] = 1;
    /* the range: within the data */
    double lo = NAN, hi = r[nd - 1], v[2];
    for (int64_t i = 0; i < nd && isnan(lo); i++)
        if (r[i] > 0)
            lo = r[i];
    const double dr0 = (r[nd - 1] - r[0]) / (double)(nd - 1);
    if (st == TSCT_OK && (e = tsct_ini_find(ini, "data", "range"))) {
        char *end1, *end2;
        v[0] = strtod(e->value, &end1);
        v[1] = strtod(end1, &end2);
        while (*end2 == ' ' || *end2 == '\t')
            end2++;
        if (end1 == e->value || end2 == end1 || *end2 || !(v[0] < v[1]))
            st = tsct_ini_error(ini, e, TSCT_ERR_VALUE, err, "expected LO HI (A), LO < HI");
        else if (v[0] < r[0] - 1e-6 * dr0 || v[1] > r[nd - 1] + 1e-6 * dr0 || v[0] < 0)
            st = tsct_ini_error(ini, e, TSCT_ERR_VALUE, err,
                                "the fit range %g .. %g A lies outside the data (%g .. %g A "
                                "in %s)", v[0], v[1], r[0], r[nd - 1], path);
        else
            lo = v[0], hi = v[1];
    }
    double step = 0;
    if (st == TSCT_OK && (e = tsct_ini_find(ini, "data", "rstep")))
        st = tsct_ini_value_double(ini, e, 1e-4, 1.0, &step, err);
    *qmax = 0;
    if (st == TSCT_OK && (e = tsct_ini_find(ini, "data", "qmax")))
        st = tsct_ini_value_double(ini, e, 0, 1000, qmax, err);
    else if (file)
        *qmax = header_qmax(path);
    double *xo = NULL, *yo = NULL, *wo = NULL;
    int64_t m = 0;
    if (st == TSCT_OK) {
        int64_t cap = step > 0 ? (int64_t)floor(hi / step) - (int64_t)ceil(lo / step) + 1 : nd;
        if (cap < 10)
            st = tsct_error_set(err, TSCT_ERR_VALUE, ini->path, "[data] range", -1,
                                "%lld points of G(r) in %g .. %g A (need 10)",
                                (long long)(cap > 0 ? cap : 0), lo, hi);
        xo = st == TSCT_OK ? malloc((size_t)cap * sizeof *xo) : NULL;
        yo = st == TSCT_OK ? malloc((size_t)cap * sizeof *yo) : NULL;
        wo = st == TSCT_OK ? malloc((size_t)cap * sizeof *wo) : NULL;
        if (st == TSCT_OK && (!xo || !yo || !wo))
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
        if (st == TSCT_OK && step > 0) {
            const int64_t k0 = (int64_t)ceil(lo / step - 1e-9);
            for (int64_t k = 0; k < cap; k++)
                xo[k] = (double)(k0 + k) * step;
            m = cap;
            tsct_pattern_interp(r, g, nd, xo, m, yo);
            tsct_pattern_interp(r, s, nd, xo, m, wo);
        } else if (st == TSCT_OK) {
            const double tol = 1e-6 * dr0;
            for (int64_t i = 0; i < nd; i++)
                if (r[i] > 0 && r[i] >= lo - tol && r[i] <= hi + tol) {
                    xo[m] = r[i], yo[m] = g[i], wo[m++] = s[i];
                }
        }
    }
    /* exclude = LO HI (repeatable) leaves points out; keys of a pattern are errors here */
    static const char *const qkeys[] = {"x", "wavelength", "poni", "polarization", NULL};
    for (int64_t j = 0; st == TSCT_OK && j < ini->n; j++) {
        e = &ini->e[j];
        if (strcmp(e->section, "data"))
            continue;
        for (int k = 0; qkeys[k] && st == TSCT_OK; k++)
            if (!strcmp(e->key, qkeys[k]))
                st = tsct_ini_error(ini, e, TSCT_ERR_VALUE, err,
                                    "a pattern's key: G(r) (space = r) has no %s", e->key);
        if (st == TSCT_OK && !strcmp(e->key, "exclude")) {
            if (sscanf(e->value, "%lf %lf", &v[0], &v[1]) != 2 || !(v[0] <= v[1]))
                st = tsct_ini_error(ini, e, TSCT_ERR_VALUE, err, "expected LO HI (A)");
            for (int64_t i = 0; st == TSCT_OK && i < m; i++)
                if (xo[i] >= v[0] && xo[i] <= v[1])
                    wo[i] = INFINITY; /* sigma: weight 0 below */
        }
    }
    for (int64_t i = 0; st == TSCT_OK && i < m; i++) {
        if (!isfinite(yo[i]))
            st = tsct_error_set(err, TSCT_ERR_VALUE, path, "G", i,
                                "G(%g A) is not a finite number", xo[i]);
        wo[i] = 1 / (wo[i] * wo[i]);
    }
    if (st == TSCT_OK && m < 10)
        st = tsct_error_set(err, TSCT_ERR_VALUE, ini->path, "[data] range", -1,
                            "%lld points of G(r) in %g .. %g A (need 10)", (long long)m, lo, hi);
    free(s);
    if (st != TSCT_OK) {
        free(xo), free(yo), free(wo);
        return st;
    }
    free(*x), free(*y);
    *x = xo, *y = yo, *w = wo, *n = m;
    return TSCT_OK;
}

tsct_status tsct__refine_parameters_csv(const char *path, tsct_refine_model *m,
                                        const tsct_refine_result *res, tsct_error *err)
{
    tsct_publish pub;
    FILE *f = NULL;
    TSCT_TRY(tsct_publish_fopen(&pub, path, &f, err));
    fprintf(f, "name,value,esd\n");
    for (int i = 0; i < tsct_refine_model_nparams(m); i++) {
        const tsct_refine_param *q = tsct_refine_model_param(m, i);
        if (!q->refine || tsct_refine_model_find(m, q->name) < 0)
            continue;
        if (isfinite(q->esd) && !q->at_bound)
            fprintf(f, "%s,%.10g,%.6g\n", q->name, q->value, q->esd);
        else
            fprintf(f, "%s,%.10g,\n", q->name, q->value);
    }
    fprintf(f, "Rw,%.8g,\n", res->rwp);
    return tsct_publish_fclose(&pub, f, err);
}

tsct_status tsct__refine_output_names(const char *config, const char *output, int instrument,
                                      char *prefix, size_t prefix_size, char *csv,
                                      size_t csv_size, tsct_error *err)
{
    const char *suffix = instrument ? "-instrument" : "-refined";
    size_t l = strlen(config);
    if (l > 4 && strcmp(config + l - 4, ".cfg") == 0)
        l -= 4;
    struct stat sb;
    const size_t ol = output ? strlen(output) : 0;
    const int folder = ol > 0 && (output[ol - 1] == '/' ||
                                  (stat(output, &sb) == 0 && S_ISDIR(sb.st_mode)));
    int r1, r2;
    if (folder) {
        if (mkdir(output, 0777) != 0 && errno != EEXIST)
            return tsct_error_set(err, TSCT_ERR_IO, output, "output folder", -1,
                                  "cannot create it: %s", strerror(errno));
        const char *base = config;
        for (size_t i = 0; i < l; i++)
            if (config[i] == '/')
                base = config + i + 1;
        const int sep = output[ol - 1] != '/';
        r1 = snprintf(prefix, prefix_size, "%s%s%.*s%s", output, sep ? "/" : "",
                      (int)(config + l - base), base, suffix);
        r2 = snprintf(csv, csv_size, "%s%sparameters.csv", output, sep ? "/" : "");
    } else {
        if (ol > 0)
            r1 = snprintf(prefix, prefix_size, "%s", output);
        else
            r1 = snprintf(prefix, prefix_size, "%.*s%s", (int)l, config, suffix);
        r2 = r1 >= 0 && (size_t)r1 < prefix_size
                 ? snprintf(csv, csv_size, "%s-parameters.csv", prefix)
                 : -1;
    }
    if (r1 < 0 || (size_t)r1 >= prefix_size || r2 < 0 || (size_t)r2 >= csv_size)
        return tsct_error_set(err, TSCT_ERR_VALUE, output ? output : config, "output", -1,
                              "the output names are too long");
    return TSCT_OK;
}
