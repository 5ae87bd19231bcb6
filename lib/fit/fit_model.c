/* fit_model.c - peak-fit models: the profile functions and their analytic derivatives, peak
 * descriptions, and plans (window indices, parameter layout, bounds).
 *
 * Profiles are area-normalised with the FWHM as width parameter, so that the fitted areas and
 * widths are what maps and tables report (the pseudo-Voigt of Thompson, Cox & Hastings, J.
 * Appl. Cryst. 20 (1987) 79, with one width for both components, as TOPAS' PV and GSAS-II's
 * peak fit use). Derivatives are written out by hand; tests compare them with central finite
 * differences. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit_internal.h"
#include "tsct/threads.h"

#define FIT_LN2 0.69314718055994530942
#define FIT_PI 3.14159265358979323846
/* 4 ln 2, sqrt(4 ln 2 / pi), 2 / pi */
#define FIT_GA (4.0 * FIT_LN2)
#define FIT_GC 0.93943727869965133377
#define FIT_LC 0.63661977236758134308

void tsct_fit_model_init(tsct_fit_model *model, double xmin, double xmax)
{
    const tsct_fit_param_spec a = TSCT_FIT_PARAM_SPEC_AUTO;
    memset(model, 0, sizeof *model);
    model->xmin = xmin;
    model->xmax = xmax;
    model->bg_degree = 1;
    for (int i = 0; i < TSCT_FIT_MAX_PEAKS; i++) {
        model->peaks[i].profile = TSCT_FIT_PSEUDO_VOIGT;
        model->peaks[i].area = model->peaks[i].position = a;
        model->peaks[i].fwhm = model->peaks[i].eta = a;
    }
    for (int j = 0; j <= TSCT_FIT_MAX_BG_DEGREE; j++)
        model->bg[j] = a;
}

const char *tsct_fit_profile_name(tsct_fit_profile profile)
{
    switch (profile) {
    case TSCT_FIT_GAUSSIAN: return "gaussian";
    case TSCT_FIT_LORENTZIAN: return "lorentzian";
    case TSCT_FIT_PSEUDO_VOIGT: return "pseudo-voigt";
    }
    return "?";
}

double tsct__fit_height_factor(tsct_fit_profile profile, double eta)
{
    switch (profile) {
    case TSCT_FIT_GAUSSIAN: return FIT_GC;
    case TSCT_FIT_LORENTZIAN: return FIT_LC;
    case TSCT_FIT_PSEUDO_VOIGT: break;
    }
    return eta * FIT_LC + (1 - eta) * FIT_GC;
}

/* A whole finite number, or -1. */
static int parse_number(const char *s, size_t len, double *out)
{
    char buf[64], *end;
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    double v = strtod(buf, &end);
    if (*end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* "V", "V:fixed", "V:LO:HI", ":LO:HI" into spec; -1 if malformed. */
static int parse_spec(const char *s, tsct_fit_param_spec *spec)
{
    const char *c1 = strchr(s, ':');
    if (!c1)
        return parse_number(s, strlen(s), &spec->value);
    if (strcmp(c1 + 1, "fixed") == 0) {
        spec->fixed = 1;
        return parse_number(s, (size_t)(c1 - s), &spec->value);
    }
    const char *c2 = strchr(c1 + 1, ':');
    if (!c2 || strchr(c2 + 1, ':'))
        return -1;
    if (c1 > s && parse_number(s, (size_t)(c1 - s), &spec->value) != 0)
        return -1;
    if (parse_number(c1 + 1, (size_t)(c2 - c1 - 1), &spec->lo) != 0 ||
        parse_number(c2 + 1, strlen(c2 + 1), &spec->hi) != 0)
        return -1;
    return 0;
}

tsct_status tsct_fit_model_add_peak(tsct_fit_model *model, const char *spec, tsct_error *err)
{
    if (model->npeaks >= TSCT_FIT_MAX_PEAKS)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, spec, -1, "too many peaks (%d at most)",
                              TSCT_FIT_MAX_PEAKS);
    char buf[512];
    if (strlen(spec) >= sizeof buf)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "peak", -1, "description too long");
    snprintf(buf, sizeof buf, "%s", spec);
    tsct_fit_peak pk = model->peaks[model->npeaks];
    const tsct_fit_param_spec a = TSCT_FIT_PARAM_SPEC_AUTO;
    pk.area = pk.position = pk.fwhm = pk.eta = a;
    char *save = NULL, *tok = strtok_r(buf, ",", &save);
    char *at = tok ? strchr(tok, '@') : NULL;
    if (at)
        *at = '\0';
    const char *prof = tok ? tok : "";
    if (!strcmp(prof, "g") || !strcmp(prof, "gauss") || !strcmp(prof, "gaussian"))
        pk.profile = TSCT_FIT_GAUSSIAN;
    else if (!strcmp(prof, "l") || !strcmp(prof, "lorentz") || !strcmp(prof, "lorentzian"))
        pk.profile = TSCT_FIT_LORENTZIAN;
    else if (!strcmp(prof, "pv") || !strcmp(prof, "pvoigt") || !strcmp(prof, "pseudo-voigt"))
        pk.profile = TSCT_FIT_PSEUDO_VOIGT;
    else
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, spec, -1,
                              "unknown profile \"%s\": expected gaussian (g), lorentzian (l) "
                              "or pseudo-voigt (pv)", prof);
    if (at && parse_spec(at + 1, &pk.position) != 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, spec, -1,
                              "position \"%s\": expected V, V:fixed, V:LO:HI or :LO:HI", at + 1);
    while ((tok = strtok_r(NULL, ",", &save))) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, spec, -1,
                                  "\"%s\": expected NAME=VALUE", tok);
        *eq = '\0';
        tsct_fit_param_spec *ps = !strcmp(tok, "area")       ? &pk.area
                                  : !strcmp(tok, "position") ? &pk.position
                                  : !strcmp(tok, "fwhm")     ? &pk.fwhm
                                  : !strcmp(tok, "eta")      ? &pk.eta
                                                             : NULL;
        if (!ps)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, spec, -1,
                                  "unknown parameter \"%s\": expected area, position, fwhm or "
                                  "eta", tok);
        if (ps == &pk.eta && pk.profile != TSCT_FIT_PSEUDO_VOIGT)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, spec, -1,
                                  "eta is a parameter of pseudo-voigt peaks only");
        if (parse_spec(eq + 1, ps) != 0)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, spec, -1,
                                  "%s \"%s\": expected V, V:fixed, V:LO:HI or :LO:HI", tok,
                                  eq + 1);
    }
    model->peaks[model->npeaks++] = pk;
    return TSCT_OK;
}

/* ---- plans ----------------------------------------------------------------------------- */

static const char *kind_name[] = {"area", "position", "fwhm", "eta", "bg"};

/* Record parameter j: its spec, with automatic bounds where the spec leaves NaN. */
static tsct_status add_param(tsct_fit_plan *pl, int kind, int peak, const tsct_fit_param_spec *s,
                             double alo, double ahi, tsct_error *err)
{
    int j = pl->k++;
    pl->kind[j] = kind;
    pl->peak[j] = peak;
    pl->fixed[j] = s->fixed;
    pl->value[j] = s->value;
    pl->lo[j] = isnan(s->lo) ? alo : s->lo;
    pl->hi[j] = isnan(s->hi) ? ahi : s->hi;
    size_t used = strlen(pl->names);
    if (kind == FIT_BG)
        snprintf(pl->names + used, sizeof pl->names - used, "%sbg_%d", used ? "," : "", peak);
    else
        snprintf(pl->names + used, sizeof pl->names - used, "%s%s_%d", used ? "," : "",
                 kind_name[kind], peak + 1);
    const char *nm = strrchr(pl->names, ',') ? strrchr(pl->names, ',') + 1 : pl->names;
    if (pl->lo[j] > pl->hi[j])
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, nm, -1,
                              "lower bound %g above upper bound %g", pl->lo[j], pl->hi[j]);
    if (kind == FIT_FWHM && !(pl->lo[j] > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, nm, -1,
                              "the width's lower bound must be > 0, found %g", pl->lo[j]);
    if (kind == FIT_ETA && (pl->lo[j] < 0 || pl->hi[j] > 1))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, nm, -1,
                              "eta's bounds must lie in 0..1, found %g..%g", pl->lo[j],
                              pl->hi[j]);
    if (s->fixed && !isfinite(s->value))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, nm, -1,
                              "a fixed parameter needs a finite value");
    if (!isnan(s->value) && (s->value < pl->lo[j] || s->value > pl->hi[j]))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, nm, -1,
                              "value %g outside its bounds %g..%g", s->value, pl->lo[j],
                              pl->hi[j]);
    if (!s->fixed)
        pl->free_idx[pl->nfree++] = j;
    return TSCT_OK;
}

tsct_status tsct_fit_plan_create(const tsct_fit_model *model, const tsct_fit_params *params,
                                 const double *x, int64_t nx, tsct_fit_plan **out,
                                 tsct_error *err)
{
    *out = NULL;
    const tsct_fit_params defaults = TSCT_FIT_PARAMS_DEFAULT;
    const tsct_fit_params *p = params ? params : &defaults;
    if (!(p->ftol >= 0) || !(p->xtol >= 0) || !(p->gtol >= 0) || p->max_iter < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "fit parameters", -1,
                              "tolerances must be >= 0 and max_iter >= 1 (ftol %g, xtol %g, "
                              "gtol %g, max_iter %d)", p->ftol, p->xtol, p->gtol, p->max_iter);
    if (model->npeaks < 1 || model->npeaks > TSCT_FIT_MAX_PEAKS)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "peaks", -1,
                              "expected 1..%d peaks, found %d", TSCT_FIT_MAX_PEAKS,
                              model->npeaks);
    if (model->bg_degree < -1 || model->bg_degree > TSCT_FIT_MAX_BG_DEGREE)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "background", -1,
                              "degree must be -1 (none) .. %d, found %d", TSCT_FIT_MAX_BG_DEGREE,
                              model->bg_degree);
    if (nx < 2)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "x", -1,
                              "an axis of at least 2 points is needed, found %lld", (long long)nx);
    for (int64_t i = 0; i < nx; i++)
        if (!isfinite(x[i]) || (i > 0 && !(x[i] > x[i - 1])))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "x", i,
                                  "the axis must be finite and strictly increasing");
    const double xmin = model->xmin, xmax = model->xmax;
    if (!(xmin < xmax))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "window", -1,
                              "expected xmin < xmax, found %g..%g", xmin, xmax);
    int64_t first = 0;
    while (first < nx && x[first] < xmin)
        first++;
    int64_t last = first;
    while (last < nx && x[last] <= xmax)
        last++;
    const int64_t n = last - first;

    tsct_fit_plan *pl = calloc(1, sizeof *pl);
    if (!pl)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "fit plan", -1, "out of memory");
    pl->model = *model;
    pl->params = *p;
    pl->params.nthreads = tsct_threads_resolve(p->nthreads);
    pl->first = first;
    pl->n = n;
    pl->xc = 0.5 * (xmin + xmax);
    pl->dx = n > 1 ? (x[last - 1] - x[first]) / (double)(n - 1) : (xmax - xmin);
    tsct_status st = TSCT_OK;
    for (int i = 0; i < model->npeaks && st == TSCT_OK; i++) {
        const tsct_fit_peak *pk = &model->peaks[i];
        pl->poff[i] = pl->k;
        if (!isnan(pk->position.value) && (pk->position.value < xmin || pk->position.value > xmax))
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "position", i + 1,
                                "peak %d at %g lies outside the window %g..%g", i + 1,
                                pk->position.value, xmin, xmax);
        if (st == TSCT_OK)
            st = add_param(pl, FIT_AREA, i, &pk->area, 0.0, INFINITY, err);
        if (st == TSCT_OK)
            st = add_param(pl, FIT_POSITION, i, &pk->position, xmin, xmax, err);
        if (st == TSCT_OK)
            st = add_param(pl, FIT_FWHM, i, &pk->fwhm, 0.25 * pl->dx, xmax - xmin, err);
        if (st == TSCT_OK && pk->profile == TSCT_FIT_PSEUDO_VOIGT)
            st = add_param(pl, FIT_ETA, i, &pk->eta, 0.0, 1.0, err);
        if (st == TSCT_OK && pk->profile > TSCT_FIT_PSEUDO_VOIGT)
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "profile", i + 1, "unknown profile %d",
                                (int)pk->profile);
    }
    pl->bgoff = pl->k;
    for (int j = 0; j <= model->bg_degree && st == TSCT_OK; j++)
        st = add_param(pl, FIT_BG, j, &model->bg[j], -INFINITY, INFINITY, err);
    if (st == TSCT_OK && n < pl->nfree + 1)
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "window", -1,
                            "window %g..%g holds %lld points of the axis %g..%g; %d free "
                            "parameters need at least %d", xmin, xmax, (long long)n, x[0],
                            x[nx - 1], pl->nfree, pl->nfree + 1);
    if (st == TSCT_OK && pl->nfree == 0)
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "parameters", -1,
                            "every parameter is fixed: nothing to fit");
    if (st == TSCT_OK && (!(pl->x = malloc((size_t)n * sizeof *pl->x)) ||
                          !(pl->t = malloc((size_t)n * sizeof *pl->t))))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "fit plan", -1, "out of memory");
    if (st != TSCT_OK) {
        tsct_fit_plan_destroy(pl);
        return st;
    }
    for (int64_t i = 0; i < n; i++) {
        pl->x[i] = x[first + i];
        pl->t[i] = x[first + i] - pl->xc;
    }
    size_t used = (size_t)snprintf(pl->describe, sizeof pl->describe,
                                   "window %.10g..%.10g (%lld points):", xmin, xmax, (long long)n);
    for (int i = 0; i < model->npeaks && used < sizeof pl->describe; i++)
        used += (size_t)snprintf(pl->describe + used, sizeof pl->describe - used, " %s%s",
                                 i ? "+ " : "", tsct_fit_profile_name(model->peaks[i].profile));
    if (used < sizeof pl->describe)
        used += (size_t)snprintf(pl->describe + used, sizeof pl->describe - used,
                                 " + polynomial background of degree %d in (x - %.10g); "
                                 "parameters %s; fixed:", model->bg_degree, pl->xc, pl->names);
    const char *nm = pl->names;
    for (int j = 0; j < pl->k && used < sizeof pl->describe; j++) {
        size_t len = strcspn(nm, ",");
        if (pl->fixed[j])
            used += (size_t)snprintf(pl->describe + used, sizeof pl->describe - used, " %.*s=%.10g",
                                     (int)len, nm, pl->value[j]);
        nm += len + (nm[len] == ',');
    }
    if (used < sizeof pl->describe)
        snprintf(pl->describe + used, sizeof pl->describe - used,
                 "%s; Levenberg-Marquardt ftol %g xtol %g gtol %g max_iter %d",
                 pl->nfree == pl->k ? " none" : "", p->ftol, p->xtol, p->gtol, p->max_iter);
    *out = pl;
    return TSCT_OK;
}

void tsct_fit_plan_destroy(tsct_fit_plan *plan)
{
    if (!plan)
        return;
    free(plan->x);
    free(plan->t);
    free(plan);
}

int tsct_fit_plan_nparams(const tsct_fit_plan *plan) { return plan->k; }
int tsct_fit_plan_nfree(const tsct_fit_plan *plan) { return plan->nfree; }
const char *tsct_fit_plan_names(const tsct_fit_plan *plan) { return plan->names; }
const char *tsct_fit_plan_describe(const tsct_fit_plan *plan) { return plan->describe; }

void tsct_fit_plan_window(const tsct_fit_plan *plan, int64_t *first, int64_t *count)
{
    *first = plan->first;
    *count = plan->n;
}

/* ---- the model ------------------------------------------------------------------------- */

void tsct_fit_plan_model(const tsct_fit_plan *pl, const double *p, double *f, double *jac)
{
    const int64_t n = pl->n;
    const int k = pl->k, deg = pl->model.bg_degree;
    const double *c = p + pl->bgoff;
    for (int64_t i = 0; i < n; i++) {
        const double t = pl->t[i];
        double b = 0, tp = 1;
        for (int j = 0; j <= deg; j++) {
            b += c[j] * tp;
            if (jac)
                jac[i * k + pl->bgoff + j] = tp;
            tp *= t;
        }
        f[i] = b;
    }
    for (int pk = 0; pk < pl->model.npeaks; pk++) {
        const int o = pl->poff[pk];
        const tsct_fit_profile prof = pl->model.peaks[pk].profile;
        const double A = p[o], x0 = p[o + 1], w = p[o + 2];
        const double eta = prof == TSCT_FIT_PSEUDO_VOIGT ? p[o + 3]
                           : prof == TSCT_FIT_LORENTZIAN ? 1.0
                                                         : 0.0;
        const double iw = 1.0 / w;
        for (int64_t i = 0; i < n; i++) {
            const double u = (pl->x[i] - x0) * iw, u2 = u * u;
            /* Unit-area components and their derivatives (u = (x - x0) / w):
             *   G = cg/w e^{-a u^2}:  dG/dx0 = G 2 a u / w,  dG/dw = G (2 a u^2 - 1) / w
             *   L = cl/w / (1 + 4u^2): dL/dx0 = L 8u / (w (1 + 4u^2)),
             *                          dL/dw = L (4u^2 - 1) / (w (1 + 4u^2)) */
            double g = 0, gx = 0, gw = 0, l = 0, lx = 0, lw = 0;
            if (prof != TSCT_FIT_LORENTZIAN) {
                g = FIT_GC * iw * exp(-FIT_GA * u2);
                gx = g * 2 * FIT_GA * u * iw;
                gw = g * (2 * FIT_GA * u2 - 1) * iw;
            }
            if (prof != TSCT_FIT_GAUSSIAN) {
                const double q = 1.0 / (1 + 4 * u2);
                l = FIT_LC * iw * q;
                lx = l * 8 * u * iw * q;
                lw = l * (4 * u2 - 1) * iw * q;
            }
            const double v = eta * l + (1 - eta) * g;
            f[i] += A * v;
            if (jac) {
                double *J = jac + i * k + o;
                J[0] = v;
                J[1] = A * (eta * lx + (1 - eta) * gx);
                J[2] = A * (eta * lw + (1 - eta) * gw);
                if (prof == TSCT_FIT_PSEUDO_VOIGT)
                    J[3] = A * (l - g);
            }
        }
    }
}
