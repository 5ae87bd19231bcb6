/* stage_options_edxrd.c - the options of the edxrd stage and of its figures
 * (tsct_stage_edxrd_params, tsct_stage_edxrd_figure_params; tsct/stage_edxrd.h) as keys and
 * values, for the option layer of stage_options.c: `tsct edxrd` and `tsct edxrd figure` parse
 * their command lines through them, with the same checks and messages.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/edxrd.h"
#include "tsct/stage.h"

/* "A:B" with finite A < B; -1 otherwise. */
static int parse_pair(const char *s, double *a, double *b)
{
    char *end;
    *a = strtod(s, &end);
    if (end == s || *end != ':')
        return -1;
    const char *t = end + 1;
    *b = strtod(t, &end);
    return end == t || *end || !(*a < *b) || !isfinite(*a) || !isfinite(*b) ? -1 : 0;
}

/* "C0,C1[,C2[,C3]]" (keV) into the calibration's polynomial; -1 (cal untouched) otherwise. */
static int parse_poly(const char *s, tsct_edxrd_calibration *cal)
{
    double coef[TSCT_EDXRD_DEGREE_MAX + 1] = {0};
    int n = 0;
    const char *p = s;
    char *end = NULL;
    while (n <= TSCT_EDXRD_DEGREE_MAX) {
        coef[n] = strtod(p, &end);
        if (end == p || !isfinite(coef[n]))
            return -1;
        n++;
        if (*end == '\0')
            break;
        if (*end != ',')
            return -1;
        p = end + 1;
    }
    if (*end != '\0' || n < 2)
        return -1;
    memcpy(cal->coef, coef, sizeof coef);
    cal->degree = n - 1;
    return 0;
}

/* --normalise smooth[:DEG] | incident:SPEC | none. */
static tsct_status parse_norm(const char *k, const char *s, tsct_stage_edxrd_params *p,
                              tsct_error *err)
{
    if (strcmp(s, "none") == 0) {
        p->norm = TSCT_STAGE_EDXRD_NORM_NONE;
    } else if (strncmp(s, "incident:", 9) == 0 && s[9]) {
        p->norm = TSCT_STAGE_EDXRD_NORM_INCIDENT, p->incident = s + 9;
    } else if (strcmp(s, "smooth") == 0 || strncmp(s, "smooth:", 7) == 0) {
        int64_t deg = 3;
        if (s[6] == ':' && (tsct_stage_parse_int64(s + 7, &deg) != 0 || deg < 0 || deg > 8))
            return tsct__stage_refuse(err, k, "--normalise smooth:DEG expects DEG 0..8, got "
                                      "'%s'", s);
        p->norm = TSCT_STAGE_EDXRD_NORM_SMOOTH, p->smooth_degree = (int)deg;
    } else {
        return tsct__stage_refuse(err, k, "--normalise expects smooth[:DEG], incident:SPEC or "
                                  "none, got '%s'", s);
    }
    return TSCT_OK;
}

/* ---- edxrd ------------------------------------------------------------------------------- */

const tsct_stage_option tsct__stage_edxrd_options[] = {
    {"calibration", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "C0,C1[,C2[,C3]]: channel -> keV"},
    {"tth", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "DEG: 2theta, degrees (required)"},
    {"calibrant-spectrum", 0, TSCT_STAGE_OPTION_VALUE, 1, 0, "F: fit the calibration to it"},
    {"calibrant", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME: its reflections (default CeO2)"},
    {"lines", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "EL,...: elements whose K lines it shows"},
    {"fwhm", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "KEV: the peaks' starting width (0.5)"},
    {"axis", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "d | q (default d)"},
    {"range", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "A:B: the axis range (required)"},
    {"bins", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "N: bins of the axis (default 700)"},
    {"beam", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "A:B: the white beam's energies, keV"},
    {"normalise", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "smooth[:DEG], incident:SPEC or none"},
    {"no-deadtime", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "do not divide by the live time"},
    {NULL, 0, 0, 0, 0, NULL}};

tsct_status tsct__stage_edxrd_set(void *params, const char *k, const char *v, tsct_error *err)
{
    tsct_stage_edxrd_params *p = params;
    double a, b;
    if (strcmp(k, "calibration") == 0) {
        if (parse_poly(v, &p->calibration) != 0)
            return tsct__stage_refuse(err, k, "--calibration expects C0,C1[,C2[,C3]] in keV, got "
                                      "'%s'", v);
    } else if (strcmp(k, "tth") == 0) {
        if (tsct_stage_parse_double(v, &a) != 0 || !(a > 0 && a < 180))
            return tsct__stage_refuse(err, k, "--tth expects degrees in (0, 180), got '%s'", v);
        p->calibration.tth = a;
    } else if (strcmp(k, "calibrant-spectrum") == 0) {
        p->calibrant_spectrum = v;
    } else if (strcmp(k, "calibrant") == 0) {
        p->calibrant = v;
    } else if (strcmp(k, "lines") == 0) {
        p->lines = v;
    } else if (strcmp(k, "fwhm") == 0) {
        if (tsct_stage_parse_double(v, &a) != 0 || !(a > 0))
            return tsct__stage_refuse(err, k, "--fwhm expects keV > 0, got '%s'", v);
        p->fwhm_kev = a;
    } else if (strcmp(k, "axis") == 0) {
        if (strcmp(v, "d") && strcmp(v, "q"))
            return tsct__stage_refuse(err, k, "--axis expects d or q, got '%s'", v);
        p->axis = v[0] == 'd' ? TSCT_STAGE_EDXRD_AXIS_D : TSCT_STAGE_EDXRD_AXIS_Q;
    } else if (strcmp(k, "range") == 0) {
        if (parse_pair(v, &a, &b) != 0 || !(a > 0))
            return tsct__stage_refuse(err, k, "--range expects A:B with 0 < A < B, got '%s'", v);
        p->min = a, p->max = b;
    } else if (strcmp(k, "bins") == 0) {
        int64_t n;
        if (tsct_stage_parse_int64(v, &n) != 0 || n < 2)
            return tsct__stage_refuse(err, k, "--bins expects a whole number >= 2, got '%s'", v);
        p->bins = n;
    } else if (strcmp(k, "beam") == 0) {
        if (parse_pair(v, &a, &b) != 0 || a < 0)
            return tsct__stage_refuse(err, k, "--beam expects A:B keV with 0 <= A < B, got '%s'",
                                      v);
        p->beam_min = a, p->beam_max = b;
    } else if (strcmp(k, "normalise") == 0) {
        return parse_norm(k, v, p, err);
    } else if (strcmp(k, "no-deadtime") == 0) {
        p->deadtime = 0;
    }
    return TSCT_OK;
}

tsct_status tsct__stage_edxrd_check(const tsct_stage_edxrd_params *p, tsct_error *err)
{
    int have_cal = 0;
    for (int i = 0; i <= TSCT_EDXRD_DEGREE_MAX; i++)
        have_cal |= p->calibration.coef[i] != 0.0;
    if (!have_cal || !(p->calibration.tth > 0))
        return tsct__stage_refuse(err, "calibration", "missing --calibration C0,C1,... and --tth "
                                  "DEG (with --calibrant-spectrum, the starting guesses)");
    if (!(p->max > 0))
        return tsct__stage_refuse(err, "range", "missing --range A:B");
    return TSCT_OK;
}

/* ---- edxrd figures ----------------------------------------------------------------------- */

const tsct_stage_option tsct__stage_edxrd_figure_options[] = {
    {"output", 'o', TSCT_STAGE_OPTION_VALUE, 1, 0, "FIG.png: the figure (required)"},
    {"layer", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "Z: layer: the layer (default 0)"},
    {"range", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "A:B: layer: only this part of the axis"},
    {"fit", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME: fronts: /entry/fits/NAME"},
    {"param", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "P: fronts: the parameter (position_1)"},
    {NULL, 0, 0, 0, 0, NULL}};

tsct_status tsct__stage_edxrd_figure_set(void *params, const char *k, const char *v,
                                         tsct_error *err)
{
    tsct_stage_edxrd_figure_params *p = params;
    if (strcmp(k, "output") == 0) {
        p->output = v;
    } else if (strcmp(k, "layer") == 0) {
        int64_t n;
        if (tsct_stage_parse_int64(v, &n) != 0 || n < 0)
            return tsct__stage_refuse(err, k, "--layer expects a layer >= 0, got '%s'", v);
        p->layer = n;
    } else if (strcmp(k, "range") == 0) {
        if (parse_pair(v, &p->range[0], &p->range[1]) != 0)
            return tsct__stage_refuse(err, k, "--range expects A:B with A < B, got '%s'", v);
        p->have_range = 1;
    } else if (strcmp(k, "fit") == 0) {
        p->fit = v;
    } else if (strcmp(k, "param") == 0) {
        p->param = v;
    }
    return TSCT_OK;
}

tsct_status tsct__stage_edxrd_figure_check(const tsct_stage_edxrd_figure_params *p,
                                           tsct_error *err)
{
    if (!p->output)
        return tsct__stage_refuse(err, "output", "missing -o FIG.png");
    if (p->kind == TSCT_STAGE_EDXRD_FIGURE_FRONTS && (!p->fit || !p->param))
        return tsct__stage_refuse(err, "fit", "fronts needs --fit NAME and --param P");
    return TSCT_OK;
}
