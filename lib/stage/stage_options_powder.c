/* stage_options_powder.c - the options of the pattern and debye stages
 * (tsct_stage_pattern_params, tsct_stage_debye_params; tsct/stage_powder.h) as keys and values,
 * for the option layer of stage_options.c: `tsct pattern` and `tsct debye` parse their command
 * lines through them, with the same checks and messages.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/stage.h"

/* A number > 0 (>= 0 with allow0): "--KEY expects a number > 0, got 'V'". */
static tsct_status positive(const char *key, const char *v, int allow0, double *out,
                            tsct_error *err)
{
    double x;
    if (tsct_stage_parse_double(v, &x) != 0 || (allow0 ? x < 0.0 : !(x > 0.0)))
        return tsct__stage_refuse(err, key, "--%s expects a number %s 0, got '%s'", key,
                                  allow0 ? ">=" : ">", v);
    *out = x;
    return TSCT_OK;
}

/* ---- pattern ----------------------------------------------------------------------------- */

const tsct_stage_option tsct__stage_pattern_options[] = {
    {"wavelength", 'l', TSCT_STAGE_OPTION_VALUE, 0, 0, "A: X-ray wavelength in Angstrom"},
    {"energy", 'e', TSCT_STAGE_OPTION_VALUE, 0, 0, "KEV: or the photon energy"},
    {"qmax", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "Q: largest Q in 1/A (required)"},
    {"qmin", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "Q: smallest Q in 1/A (default 0)"},
    {"step", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "S: grid step, 1/A or degrees with two-theta"},
    {"two-theta", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "the pattern against 2theta in degrees"},
    {"size", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NM: crystallite size (Scherrer broadening)"},
    {"u", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "U: Caglioti U in degrees^2 (default 0)"},
    {"v", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "V: Caglioti V in degrees^2 (default 0)"},
    {"w", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "W: Caglioti W in degrees^2 (default 1e-4)"},
    {"eta", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "ETA: Lorentzian fraction (default 0.5)"},
    {"scale", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "S: scale factor (default 1)"},
    {"polarization", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "multiply by (1 + cos^2 2theta) / 2"},
    {"neutral", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "neutral-atom form factors"},
    {"no-adp", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "leave out Debye-Waller factors"},
    {"peaks", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "the reflection table instead"},
    {"output", 'o', TSCT_STAGE_OPTION_VALUE, 1, 0, "FILE: the pattern (.xy) or the table"},
    {NULL, 0, 0, 0, 0, NULL}};

tsct_status tsct__stage_pattern_set(void *params, const char *k, const char *v,
                                    tsct_error *err)
{
    tsct_stage_pattern_params *p = params;
    if (strcmp(k, "wavelength") == 0)
        return positive(k, v, 0, &p->wavelength, err);
    if (strcmp(k, "energy") == 0)
        return positive(k, v, 0, &p->energy, err);
    if (strcmp(k, "qmax") == 0)
        return positive(k, v, 0, &p->qmax, err);
    if (strcmp(k, "qmin") == 0)
        return positive(k, v, 1, &p->qmin, err);
    if (strcmp(k, "step") == 0)
        return positive(k, v, 0, &p->step, err);
    if (strcmp(k, "size") == 0)
        return positive(k, v, 0, &p->size_nm, err);
    if (strcmp(k, "output") == 0) {
        p->output = v;
    } else if (strcmp(k, "two-theta") == 0) {
        p->axis = TSCT_POWDER_AXIS_2THETA;
    } else if (strcmp(k, "polarization") == 0) {
        p->polarization = TSCT_POWDER_POLARIZATION_UNPOLARIZED;
    } else if (strcmp(k, "neutral") == 0) {
        p->neutral_atoms = 1;
    } else if (strcmp(k, "no-adp") == 0) {
        p->apply_adp = 0;
    } else if (strcmp(k, "peaks") == 0) {
        p->peaks = 1;
    } else {
        double *dst = k[0] == 'u' ? &p->u : k[0] == 'v' ? &p->v : k[0] == 'w' ? &p->w
                      : k[0] == 'e' ? &p->eta : &p->scale;
        if (tsct_stage_parse_double(v, dst) != 0)
            return tsct__stage_refuse(err, k, "--%s expects a number, got '%s'", k, v);
    }
    return TSCT_OK;
}

tsct_status tsct__stage_pattern_check(const tsct_stage_pattern_params *p, tsct_error *err)
{
    if (!p->cif)
        return tsct__stage_refuse(err, "cif", "missing FILE.cif");
    if ((p->wavelength > 0.0) == (p->energy > 0.0))
        return tsct__stage_refuse(err, "wavelength", "give either --wavelength or --energy");
    if (!(p->qmax > 0.0))
        return tsct__stage_refuse(err, "qmax", "missing --qmax");
    double x0, x1, step;
    const double lambda = tsct__stage_pattern_grid(p, &x0, &x1, &step);
    if (p->qmax * lambda / (4.0 * M_PI) > 1.0)
        return tsct__stage_refuse(err, "qmax", "--qmax %g is beyond 2theta = 180 degrees (4 pi "
                                  "/ lambda = %g 1/Angstrom)", p->qmax, 4.0 * M_PI / lambda);
    if (!(p->qmin >= 0.0 && p->qmin < p->qmax))
        return tsct__stage_refuse(err, "qmin", "--qmin %g must be below --qmax %g", p->qmin,
                                  p->qmax);
    if (!p->peaks && !p->output)
        return tsct__stage_refuse(err, "output", "missing -o OUT.xy");
    if (p->peaks)
        return TSCT_OK;
    const double dn = tsct__stage_grid(x0, x1, step, NULL);
    if (!(dn <= 1e8))
        return tsct__stage_refuse(err, "step", "%.3g grid points: use a larger --step", dn);
    return TSCT_OK;
}

/* ---- debye ------------------------------------------------------------------------------- */

const tsct_stage_option tsct__stage_debye_options[] = {
    {"radius", 'r', TSCT_STAGE_OPTION_VALUE, 0, 0, "A: sphere radius or cube half-edge"},
    {"shape", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "sphere (default) or cube"},
    {"centre", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "X,Y,Z: centre, fractional (default 0,0,0)"},
    {"qmin", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "Q: smallest Q in 1/A (default 0)"},
    {"qmax", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "Q: largest Q in 1/A (default 25)"},
    {"step", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "S: Q step (default 0.01)"},
    {"bin", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "DR: pair-distance bin in A (default 0.001)"},
    {"neutral", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "neutral-atom form factors"},
    {"output", 'o', TSCT_STAGE_OPTION_VALUE, 1, 0, "FILE: the pattern, Q and I(Q)"},
    {NULL, 0, 0, 0, 0, NULL}};

tsct_status tsct__stage_debye_set(void *params, const char *k, const char *v, tsct_error *err)
{
    tsct_stage_debye_params *p = params;
    if (strcmp(k, "radius") == 0)
        return positive(k, v, 0, &p->radius, err);
    if (strcmp(k, "qmin") == 0)
        return positive(k, v, 1, &p->qmin, err);
    if (strcmp(k, "qmax") == 0)
        return positive(k, v, 0, &p->qmax, err);
    if (strcmp(k, "step") == 0)
        return positive(k, v, 0, &p->step, err);
    if (strcmp(k, "bin") == 0)
        return positive(k, v, 0, &p->bin_width, err);
    if (strcmp(k, "shape") == 0) {
        if (strcmp(v, "sphere") == 0)
            p->shape = TSCT_DEBYE_SHAPE_SPHERE;
        else if (strcmp(v, "cube") == 0)
            p->shape = TSCT_DEBYE_SHAPE_CUBE;
        else
            return tsct__stage_refuse(err, k, "--shape must be sphere or cube, not '%s'", v);
    } else if (strcmp(k, "centre") == 0) {
        double c[3];
        char extra;
        if (sscanf(v, "%lf,%lf,%lf%c", &c[0], &c[1], &c[2], &extra) != 3 || !isfinite(c[0]) ||
            !isfinite(c[1]) || !isfinite(c[2]))
            return tsct__stage_refuse(err, k, "--centre expects X,Y,Z (fractional), got '%s'",
                                      v);
        memcpy(p->centre, c, sizeof c);
    } else if (strcmp(k, "neutral") == 0) {
        p->neutral_atoms = 1;
    } else if (strcmp(k, "output") == 0) {
        p->output = v;
    }
    return TSCT_OK;
}

tsct_status tsct__stage_debye_check(const tsct_stage_debye_params *p, tsct_error *err)
{
    if (!p->cif)
        return tsct__stage_refuse(err, "cif", "missing FILE.cif");
    if (!(p->radius > 0.0))
        return tsct__stage_refuse(err, "radius", "missing --radius");
    if (!(p->qmin >= 0.0 && p->qmin < p->qmax))
        return tsct__stage_refuse(err, "qmin", "--qmin %g must be below --qmax %g", p->qmin,
                                  p->qmax);
    const double dn = p->step > 0.0 ? tsct__stage_grid(p->qmin, p->qmax, p->step, NULL)
                                    : INFINITY;
    if (!(dn <= 1e7))
        return tsct__stage_refuse(err, "step", "%.3g Q points: use a larger --step", dn);
    if (!p->output)
        return tsct__stage_refuse(err, "output", "missing -o OUT.iq");
    return TSCT_OK;
}
