/* powder.c - calculated powder patterns and their analytic derivatives (tsct/powder.h).
 *
 * Design: the plan holds what does not change during a refinement (hkl, m |F|^2, the grid in
 * 2theta and the background abscissa); evaluation recomputes, per reflection, the geometry
 * that depends on the parameters (d from the cell's reciprocal metric, theta, L P, FWHM and
 * their derivatives with respect to theta and the profile parameters), then adds the peak to
 * the grid points within +-window FWHM, found by bisection. The chain rule through theta gives
 * the cell derivatives of position, intensity and width at once:
 *
 *   1/d^2 = h^T G* h,  G* = G^-1  =>  d(1/d^2)/dp = -(G* h)^T (dG/dp) (G* h)
 *
 * (G the direct metric; e.g. Giacovazzo et al., Fundamentals of Crystallography, 3rd ed.,
 * 2011, ch. 2), so one 3-vector v = G* h per reflection gives all six derivatives. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/powder.h"

#define DEG (M_PI / 180.0)
#define LN2 0.69314718055994530942

typedef struct powder_refl {
    double hkl[3];
    int hkl_int[3];
    int64_t multiplicity;
    double f2;
    double mf2;   /* multiplicity * f2 */
} powder_refl;

struct tsct_powder_plan {
    tsct_powder_params params;
    tsct_cell cell;          /* the crystal's cell, for default parameters */
    int64_t n;
    double *tth;             /* [n] grid in 2theta, degrees */
    double *t;               /* [n] background abscissa in [-1, 1] */
    int64_t nrefl;
    powder_refl *refl;
};

static const tsct_powder_params default_params = TSCT_POWDER_PARAMS_DEFAULT;

tsct_status tsct_powder_plan_create(tsct_powder_plan **out, const tsct_crystal *crystal,
                                    const double *x, int64_t n,
                                    const tsct_powder_params *params, tsct_error *err)
{
    if (out)
        *out = NULL;
    if (!out || !crystal || (n > 0 && !x) || n < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "powder plan", -1,
                              "NULL argument or negative grid size");
    const tsct_powder_params *pp = params ? params : &default_params;
    const double lambda = pp->wavelength;
    if (!isfinite(lambda) || !(lambda > 0.0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "wavelength", -1,
                              "must be finite and > 0 Angstrom, got %g", lambda);
    if (!(pp->window > 0.0) || !(pp->margin >= 0.0) || !isfinite(pp->margin) ||
        !(pp->scherrer_k > 0.0) || !isfinite(pp->scherrer_k) || pp->nbackground < 0 ||
        pp->nbackground > 1000 || !(pp->qmax >= 0.0) || !isfinite(pp->qmax) ||
        (pp->axis != TSCT_POWDER_AXIS_Q && pp->axis != TSCT_POWDER_AXIS_2THETA) ||
        (pp->polarization != TSCT_POWDER_POLARIZATION_NONE &&
         pp->polarization != TSCT_POWDER_POLARIZATION_UNPOLARIZED))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "powder params", -1,
                              "need window > 0, margin >= 0, K > 0, 0 <= nbackground <= 1000, "
                              "qmax >= 0 and a known axis and polarization; got window %g, "
                              "margin %g, K %g, nbackground %lld, qmax %g",
                              pp->window, pp->margin, pp->scherrer_k,
                              (long long)pp->nbackground, pp->qmax);
    if (n == 0 && !(pp->qmax > 0.0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "qmax", -1,
                              "without a grid, qmax must be > 0 1/Angstrom, got %g", pp->qmax);

    const double kmax = 4.0 * M_PI / lambda;   /* Q at 2theta = 180 degrees */
    tsct_powder_plan *plan = calloc(1, sizeof *plan);
    if (!plan)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "powder plan", -1, "out of memory");
    plan->params = *pp;
    plan->cell = *tsct_crystal_cell(crystal);
    plan->n = n;
    tsct_status st = TSCT_OK;
    if (n > 0) {
        plan->tth = malloc((size_t)n * sizeof *plan->tth);
        plan->t = malloc((size_t)n * sizeof *plan->t);
        if (!plan->tth || !plan->t) {
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "powder grid", -1,
                                "%lld points", (long long)n);
            goto fail;
        }
        const char *unit = pp->axis == TSCT_POWDER_AXIS_Q ? "1/Angstrom" : "degrees";
        for (int64_t i = 0; i < n; i++) {
            double xi = x[i];
            int bad = !isfinite(xi) || (i > 0 && !(xi > x[i - 1]));
            if (pp->axis == TSCT_POWDER_AXIS_Q)
                bad = bad || xi < 0.0 || xi > kmax;
            else
                bad = bad || xi < 0.0 || xi > 180.0;
            if (bad) {
                st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "grid", i,
                                    "values must be finite, strictly increasing and within "
                                    "0..%g %s (2theta <= 180 degrees at %g Angstrom); found %g",
                                    pp->axis == TSCT_POWDER_AXIS_Q ? kmax : 180.0, unit,
                                    lambda, xi);
                goto fail;
            }
            plan->tth[i] = pp->axis == TSCT_POWDER_AXIS_Q
                               ? 2.0 * asin(xi / kmax) / DEG
                               : xi;
            plan->t[i] = n > 1 ? 2.0 * (xi - x[0]) / (x[n - 1] - x[0]) - 1.0 : 0.0;
        }
    }

    double qmax = pp->qmax;
    if (!(qmax > 0.0)) {
        double qend = pp->axis == TSCT_POWDER_AXIS_Q ? x[n - 1]
                                                     : kmax * sin(0.5 * x[n - 1] * DEG);
        qmax = qend * (1.0 + pp->margin);
    }
    if (qmax > kmax)
        qmax = kmax;
    tsct_reflection_params rp = TSCT_REFLECTION_PARAMS_DEFAULT;
    rp.qmin = 0.0;
    rp.qmax = qmax;
    rp.neutral_atoms = pp->neutral_atoms;
    rp.apply_adp = pp->apply_adp;
    tsct_reflection_list *list = NULL;
    st = tsct_crystal_reflections_create(&list, crystal, &rp, err);
    if (st != TSCT_OK)
        goto fail;
    plan->nrefl = list->count;
    plan->refl = malloc((size_t)(list->count > 0 ? list->count : 1) * sizeof *plan->refl);
    if (!plan->refl) {
        tsct_crystal_reflections_destroy(list);
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "reflections", -1, "out of memory");
        goto fail;
    }
    for (int64_t k = 0; k < list->count; k++) {
        const tsct_reflection *r = &list->items[k];
        powder_refl *o = &plan->refl[k];
        o->hkl_int[0] = r->h;
        o->hkl_int[1] = r->k;
        o->hkl_int[2] = r->l;
        o->hkl[0] = r->h;
        o->hkl[1] = r->k;
        o->hkl[2] = r->l;
        o->multiplicity = r->multiplicity;
        o->f2 = r->f2;
        o->mf2 = (double)r->multiplicity * r->f2;
    }
    tsct_crystal_reflections_destroy(list);
    *out = plan;
    return TSCT_OK;

fail:
    tsct_powder_plan_destroy(plan);
    return st;
}

void tsct_powder_plan_destroy(tsct_powder_plan *plan)
{
    if (!plan)
        return;
    free(plan->tth);
    free(plan->t);
    free(plan->refl);
    free(plan);
}

int64_t tsct_powder_plan_nparams(const tsct_powder_plan *plan)
{
    return TSCT_POWDER_NPARAMS_BASE + plan->params.nbackground;
}

int64_t tsct_powder_plan_size(const tsct_powder_plan *plan)
{
    return plan->n;
}

int64_t tsct_powder_plan_reflection_count(const tsct_powder_plan *plan)
{
    return plan->nrefl;
}

void tsct_powder_plan_default_params(const tsct_powder_plan *plan, double *p)
{
    int64_t np = tsct_powder_plan_nparams(plan);
    for (int64_t j = 0; j < np; j++)
        p[j] = 0.0;
    p[TSCT_POWDER_P_SCALE] = 1.0;
    p[TSCT_POWDER_P_A] = plan->cell.a;
    p[TSCT_POWDER_P_B] = plan->cell.b;
    p[TSCT_POWDER_P_C] = plan->cell.c;
    p[TSCT_POWDER_P_ALPHA] = plan->cell.alpha;
    p[TSCT_POWDER_P_BETA] = plan->cell.beta;
    p[TSCT_POWDER_P_GAMMA] = plan->cell.gamma;
    p[TSCT_POWDER_P_W] = 1e-4;
    p[TSCT_POWDER_P_ETA] = 0.5;
}

/* ---- per-evaluation geometry ---------------------------------------------------------------- */

/* What the cell contributes to every reflection: G*, and the pieces of dG/dp. */
typedef struct cell_state {
    double gstar[3][3];
    double a, b, c, ca, cb, cg, sa, sb, sg;
} cell_state;

static tsct_status cell_state_init(const double *p, cell_state *cs, tsct_error *err)
{
    tsct_cell cell = {p[TSCT_POWDER_P_A], p[TSCT_POWDER_P_B], p[TSCT_POWDER_P_C],
                      p[TSCT_POWDER_P_ALPHA], p[TSCT_POWDER_P_BETA], p[TSCT_POWDER_P_GAMMA]};
    TSCT_TRY(tsct_crystal_cell_metric(&cell, NULL, cs->gstar, err));
    cs->a = cell.a;
    cs->b = cell.b;
    cs->c = cell.c;
    cs->ca = cos(cell.alpha * DEG);
    cs->cb = cos(cell.beta * DEG);
    cs->cg = cos(cell.gamma * DEG);
    cs->sa = sin(cell.alpha * DEG);
    cs->sb = sin(cell.beta * DEG);
    cs->sg = sin(cell.gamma * DEG);
    return TSCT_OK;
}

/* One peak at the current parameters. */
typedef struct peak_geom {
    double d, theta;          /* Angstrom, radians */
    double centre;            /* degrees 2theta, zero shift included */
    double lp;                /* L * P */
    double base;              /* m |F|^2 L P */
    double amp;               /* A = scale * base */
    double damp_dtheta;
    double h2, fwhm;          /* degrees^2, degrees */
    double dh_dtheta, dh_dsize, dh_du, dh_dv, dh_dw;
    double dtheta_dcell[6];   /* per Angstrom (a, b, c) and per degree (alpha, beta, gamma) */
} peak_geom;

/* Returns 0 if the reflection cannot diffract (lambda >= 2 d), else 1. */
static int peak_geometry(const tsct_powder_plan *plan, const double *p, const cell_state *cs,
                         const powder_refl *r, peak_geom *g)
{
    const double *h = r->hkl;
    double v[3];
    for (int i = 0; i < 3; i++)
        v[i] = cs->gstar[i][0] * h[0] + cs->gstar[i][1] * h[1] + cs->gstar[i][2] * h[2];
    double ds2 = h[0] * v[0] + h[1] * v[1] + h[2] * v[2];   /* 1/d^2 */
    const double lambda = plan->params.wavelength;
    double sth = 0.5 * lambda * sqrt(ds2);
    if (!(sth < 1.0))
        return 0;
    double th = asin(sth), cth = cos(th), tth = sth / cth;
    g->d = 1.0 / sqrt(ds2);
    g->theta = th;
    g->centre = 2.0 * th / DEG + p[TSCT_POWDER_P_ZERO];

    /* d(1/d^2)/dp = -v^T (dG/dp) v with G_ij = a_i . a_j */
    double dds2[6];
    dds2[0] = -2.0 * v[0] * (cs->a * v[0] + cs->b * cs->cg * v[1] + cs->c * cs->cb * v[2]);
    dds2[1] = -2.0 * v[1] * (cs->a * cs->cg * v[0] + cs->b * v[1] + cs->c * cs->ca * v[2]);
    dds2[2] = -2.0 * v[2] * (cs->a * cs->cb * v[0] + cs->b * cs->ca * v[1] + cs->c * v[2]);
    dds2[3] = 2.0 * cs->b * cs->c * cs->sa * DEG * v[1] * v[2];
    dds2[4] = 2.0 * cs->a * cs->c * cs->sb * DEG * v[0] * v[2];
    dds2[5] = 2.0 * cs->a * cs->b * cs->sg * DEG * v[0] * v[1];
    /* sin theta = (lambda / 2) sqrt(1/d^2) */
    double dth_dds2 = 0.25 * lambda / (sqrt(ds2) * cth);
    for (int j = 0; j < 6; j++)
        g->dtheta_dcell[j] = dth_dds2 * dds2[j];

    /* Lorentz factor for Debye-Scherrer geometry, optional polarisation */
    double lorentz = 1.0 / (sth * sth * cth);
    double dlnlp = -2.0 * cth / sth + tth;
    double pol = 1.0;
    if (plan->params.polarization == TSCT_POWDER_POLARIZATION_UNPOLARIZED) {
        double c2 = cos(2.0 * th);
        pol = 0.5 * (1.0 + c2 * c2);
        dlnlp += -2.0 * sin(4.0 * th) / (1.0 + c2 * c2);
    }
    g->lp = lorentz * pol;
    g->base = r->mf2 * g->lp;
    g->amp = p[TSCT_POWDER_P_SCALE] * g->base;
    g->damp_dtheta = g->amp * dlnlp;

    /* FWHM^2 = U tan^2 + V tan + W + S^2, S = (180/pi) K lambda / (size cos theta) */
    double u = p[TSCT_POWDER_P_U], vv = p[TSCT_POWDER_P_V], w = p[TSCT_POWDER_P_W];
    double size = p[TSCT_POWDER_P_SIZE];
    double s2 = 0.0;
    if (size > 0.0 && isfinite(size)) {
        double s = plan->params.scherrer_k * lambda / (size * cth) / DEG;
        s2 = s * s;
    }
    g->h2 = u * tth * tth + vv * tth + w + s2;
    if (!(g->h2 > 0.0)) {
        g->fwhm = NAN;
        return 1;
    }
    double hw = sqrt(g->h2);
    g->fwhm = hw;
    double sec2 = 1.0 + tth * tth;
    g->dh_dtheta = ((2.0 * u * tth + vv) * sec2 + 2.0 * s2 * tth) / (2.0 * hw);
    g->dh_dsize = s2 > 0.0 ? -s2 / (size * hw) : 0.0;
    g->dh_du = tth * tth / (2.0 * hw);
    g->dh_dv = tth / (2.0 * hw);
    g->dh_dw = 1.0 / (2.0 * hw);
    return 1;
}

static tsct_status check_params(const tsct_powder_plan *plan, const double *p, tsct_error *err)
{
    static const char *const names[TSCT_POWDER_NPARAMS_BASE] = {
        "scale", "a", "b", "c", "alpha", "beta", "gamma", "size", "U", "V", "W", "eta", "zero"};
    int64_t np = tsct_powder_plan_nparams(plan);
    for (int64_t j = 0; j < np; j++)
        if (!isfinite(p[j]))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL,
                                  j < TSCT_POWDER_NPARAMS_BASE ? names[j] : "background",
                                  j < TSCT_POWDER_NPARAMS_BASE ? -1
                                                               : j - TSCT_POWDER_NPARAMS_BASE,
                                  "parameter %lld is not finite (%g)", (long long)j, p[j]);
    return TSCT_OK;
}

static tsct_status bad_fwhm(const powder_refl *r, const peak_geom *g, int64_t k,
                            tsct_error *err)
{
    return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "FWHM", k,
                          "U tan^2 + V tan + W + S^2 = %g degrees^2 <= 0 at reflection "
                          "%d %d %d (2theta %g degrees)",
                          g->h2, r->hkl_int[0], r->hkl_int[1], r->hkl_int[2],
                          2.0 * g->theta / DEG);
}

/* First index with tth[i] >= v (n if none). */
static int64_t lower_bound(const double *tth, int64_t n, double v)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (tth[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

tsct_status tsct_powder_evaluate(const tsct_powder_plan *plan, const double *p, double *y,
                                 double *jac, tsct_error *err)
{
    if (!plan || !p || !y)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "powder evaluate", -1,
                              "NULL argument");
    TSCT_TRY(check_params(plan, p, err));
    cell_state cs;
    TSCT_TRY(cell_state_init(p, &cs, err));
    const int64_t n = plan->n;
    const double eta = p[TSCT_POWDER_P_ETA];
    const double *bg = p + TSCT_POWDER_P_BACKGROUND;
    const int64_t nbg = plan->params.nbackground;

    /* background: T_0 = 1, T_1 = t, T_{j+1} = 2 t T_j - T_{j-1} */
    for (int64_t i = 0; i < n; i++) {
        double t = plan->t[i], tm = 1.0, tc = t, sum = 0.0;
        for (int64_t j = 0; j < nbg; j++) {
            double tv = j == 0 ? 1.0 : t;
            if (j >= 2) {
                tv = 2.0 * t * tc - tm;
                tm = tc;
                tc = tv;
            }
            sum += bg[j] * tv;
            if (jac)
                jac[(TSCT_POWDER_P_BACKGROUND + j) * n + i] = tv;
        }
        y[i] = sum;
    }
    if (jac)
        memset(jac, 0, (size_t)(TSCT_POWDER_P_BACKGROUND * n) * sizeof *jac);

    const double gnorm = 2.0 * sqrt(LN2 / M_PI), lnorm = 2.0 / M_PI;
    const double dc_dtheta = 2.0 / DEG;
    for (int64_t k = 0; k < plan->nrefl; k++) {
        const powder_refl *r = &plan->refl[k];
        peak_geom g;
        if (!peak_geometry(plan, p, &cs, r, &g))
            continue;
        if (!(g.h2 > 0.0))
            return bad_fwhm(r, &g, k, err);
        const double hw = g.fwhm, ih = 1.0 / hw, ih2 = ih * ih;
        const double half = plan->params.window * hw;
        int64_t i0 = lower_bound(plan->tth, n, g.centre - half);
        int64_t i1 = lower_bound(plan->tth, n, g.centre + half);
        if (i1 < n && plan->tth[i1] <= g.centre + half)
            i1++;
        const double amp = g.amp;
        for (int64_t i = i0; i < i1; i++) {
            double x = plan->tth[i] - g.centre;
            double x2 = x * x;
            double uu = 4.0 * x2 * ih2;
            double gau = gnorm * ih * exp(-4.0 * LN2 * x2 * ih2);
            double lor = lnorm * ih / (1.0 + uu);
            double omega = eta * lor + (1.0 - eta) * gau;
            y[i] += amp * omega;
            if (!jac)
                continue;
            double gau_x = gau * (-8.0 * LN2 * x * ih2);
            double lor_x = lor * (-8.0 * x * ih2) / (1.0 + uu);
            double gau_h = gau * ih * (-1.0 + 8.0 * LN2 * x2 * ih2);
            double lor_h = lor * ih * (-1.0 + 2.0 * uu / (1.0 + uu));
            double om_x = eta * lor_x + (1.0 - eta) * gau_x;
            double om_h = eta * lor_h + (1.0 - eta) * gau_h;
            double g_theta = g.damp_dtheta * omega - amp * om_x * dc_dtheta +
                             amp * om_h * g.dh_dtheta;
            jac[TSCT_POWDER_P_SCALE * n + i] += g.base * omega;
            for (int j = 0; j < 6; j++)
                jac[(TSCT_POWDER_P_A + j) * n + i] += g_theta * g.dtheta_dcell[j];
            double a_h = amp * om_h;
            jac[TSCT_POWDER_P_SIZE * n + i] += a_h * g.dh_dsize;
            jac[TSCT_POWDER_P_U * n + i] += a_h * g.dh_du;
            jac[TSCT_POWDER_P_V * n + i] += a_h * g.dh_dv;
            jac[TSCT_POWDER_P_W * n + i] += a_h * g.dh_dw;
            jac[TSCT_POWDER_P_ETA * n + i] += amp * (lor - gau);
            jac[TSCT_POWDER_P_ZERO * n + i] -= amp * om_x;
        }
    }
    return TSCT_OK;
}

tsct_status tsct_powder_peaks(const tsct_powder_plan *plan, const double *p,
                              tsct_powder_peak *out, int64_t *count, tsct_error *err)
{
    if (count)
        *count = 0;
    if (!plan || !p || !out || !count)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "powder peaks", -1, "NULL argument");
    TSCT_TRY(check_params(plan, p, err));
    cell_state cs;
    TSCT_TRY(cell_state_init(p, &cs, err));
    int64_t m = 0;
    for (int64_t k = 0; k < plan->nrefl; k++) {
        const powder_refl *r = &plan->refl[k];
        peak_geom g;
        if (!peak_geometry(plan, p, &cs, r, &g))
            continue;
        tsct_powder_peak *o = &out[m++];
        o->h = r->hkl_int[0];
        o->k = r->hkl_int[1];
        o->l = r->hkl_int[2];
        o->multiplicity = r->multiplicity;
        o->d = g.d;
        o->q = 2.0 * M_PI / g.d;
        o->two_theta = 2.0 * g.theta / DEG;
        o->f2 = r->f2;
        o->lp = g.lp;
        o->intensity = g.amp;
        o->fwhm = g.fwhm;
    }
    *count = m;
    return TSCT_OK;
}
