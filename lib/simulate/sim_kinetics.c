/* sim_kinetics.c - the operando model of the simulator: a conversion chain driven by
 * galvanostatic cycling, a reaction front from the current collector, core-shell kinetics
 * inside particles, loss of active material, crystallite growth, Vegard-like lattice drift
 * (isotropic, or anisotropic for solid solutions), and the electrochemistry that goes with it
 * (see include/tsct/simulate.h).
 *
 * Galvanostatic means a constant current within each half cycle, so the capacity passed grows
 * linearly in time; the reaction coordinate x follows from the capacity through the
 * piecewise-linear capacity of the states. Each half cycle lasts half the cycle time, whatever
 * capacity it passes (the first discharge, which converts the pristine phase, runs at a higher
 * current). A particle at depth d lags the cell by d * front_delay half cycles.
 *
 * Core-shell kinetics is the shrinking-core picture of a particle that takes up or gives off
 * lithium through its surface faster than lithium diffuses through it (e.g. NMC at high rate,
 * phase-boundary-controlled delithiation): a half cycle's reaction has reached the shell of
 * volume fraction p (the particle's progress through the half cycle), w = R (1 - (1 - p)^(1/3))
 * deep; the front is a linear ramp `shell_front` voxels wide centred on w, narrowed to 2 w
 * near the surface and to 2 (R - w) near the centre so that the shell's volume stays p.
 *
 * Particle-by-particle kinetics (reaction.stagger) is the other picture of a two-phase step in
 * a many-particle electrode: each particle transforms within a part of the step, one after
 * another in a fixed order, so that at a given moment most particles are wholly in one of the
 * two end states (tsct_sim_staggered).
 */
#include <math.h>
#include <stddef.h>

#include "tsct/simulate.h"

static double total_hours(const tsct_sim_cycling *c)
{
    return c->ncycles * c->cycle_hours;
}

/* Capacity (mAh/g) -> reaction coordinate. */
static double x_of_capacity(const tsct_sim_reaction *r, double cap)
{
    int m = r->nstate - 1;
    if (cap <= r->capacity[0])
        return 0;
    for (int k = 0; k < m; k++)
        if (cap <= r->capacity[k + 1]) {
            double span = r->capacity[k + 1] - r->capacity[k];
            return k + (span > 0 ? (cap - r->capacity[k]) / span : 1.0);
        }
    return m;
}

/* Which half cycle t falls in (0-based, clamped to the experiment) and how far through it. */
static void half_cycle(const tsct_sim_cycling *c, double t, int *h, double *s)
{
    double H = 0.5 * c->cycle_hours;
    double tt = fmin(fmax(t, 0.0), total_hours(c));
    int idx = (int)floor(tt / H);
    if (idx >= 2 * c->ncycles)
        idx = 2 * c->ncycles - 1;
    *h = idx;
    *s = (tt - idx * H) / H;
}

/* Capacities (mAh/g) at the start and end of half cycle h. */
static void half_cycle_span(const tsct_sim_reaction *r, int h, double *from, double *to)
{
    double top = r->capacity[r->nstate - 1], floor_cap = r->capacity[r->charge_floor];
    if (h % 2 == 0) {
        *from = h == 0 ? r->capacity[0] : floor_cap;
        *to = top;
    } else {
        *from = top;
        *to = floor_cap;
    }
}

double tsct_sim_progress(const tsct_sim_reaction *r, const tsct_sim_cycling *c, double t_hours,
                         double depth)
{
    double tau = t_hours - depth * c->front_delay * 0.5 * c->cycle_hours;
    if (tau <= 0)
        return 0;
    int h;
    double s, from, to;
    half_cycle(c, tau, &h, &s);
    half_cycle_span(r, h, &from, &to);
    return x_of_capacity(r, from + s * (to - from));
}

double tsct_sim_local_progress(const tsct_sim_reaction *r, const tsct_sim_cycling *c,
                               double t_hours, double depth, double radius, double d)
{
    double x = tsct_sim_progress(r, c, t_hours, depth);
    double l = r->shell_front;
    double tau = t_hours - depth * c->front_delay * 0.5 * c->cycle_hours;
    if (!(l > 0) || tau <= 0)
        return x;
    int h;
    double s, from, to;
    half_cycle(c, tau, &h, &s);
    half_cycle_span(r, h, &from, &to);
    double x0 = x_of_capacity(r, from), x1 = x_of_capacity(r, to);
    if (x1 == x0)
        return x;
    double p = fmin(fmax((x - x0) / (x1 - x0), 0.0), 1.0), R = fmax(radius, 0.0);
    double w = R * (1.0 - cbrt(1.0 - p));
    /* The ramp narrows near the surface and the centre so that it never reaches past
     * either: the shell's volume stays p (to the sphere's curvature across the ramp). */
    double lw = fmin(l, fmin(2.0 * w, 2.0 * (R - w)));
    double ramp = lw > 1e-12 ? fmin(fmax((w - d) / lw + 0.5, 0.0), 1.0) : (d <= w ? 1.0 : 0.0);
    if (p <= 0)
        ramp = 0;
    return x0 + (x1 - x0) * ramp;
}

/* Particle-by-particle steps (tsct_sim_staggered): H is the integral of the ramp
 * clamp(z / w, 0, 1), M the mean of the particles' progress over uniform ranks. */
static double stagger_H(double z, double w)
{
    if (z <= 0)
        return 0;
    return z < w ? z * z / (2 * w) : z - 0.5 * w;
}

static double stagger_mean(double Y, double s)
{
    return (stagger_H(Y, 1 - s) - stagger_H(Y - s, 1 - s)) / s;
}

double tsct_sim_staggered(const tsct_sim_reaction *r, double x, double rank)
{
    const double s = r->stagger;
    const int m = r->nstate - 1;
    if (!(s > 0) || m < 1 || !(x > 0) || x >= m)
        return x;
    const double k = floor(x), y = x - k;
    if (y <= 0)
        return x;
    double lo = 0, hi = 1; /* M(0) = 0 < y < 1 = M(1) */
    for (int i = 0; i < 60; i++) {
        double mid = 0.5 * (lo + hi);
        if (stagger_mean(mid, s) < y)
            lo = mid;
        else
            hi = mid;
    }
    const double Y = 0.5 * (lo + hi), w = 1 - s, u = fmin(fmax(rank, 0.0), 1.0);
    const double own = w > 0 ? fmin(fmax((Y - u * s) / w, 0.0), 1.0) : (Y > u ? 1.0 : 0.0);
    return k + own;
}

static int has_vegard(const tsct_sim_reaction *r, int p)
{
    return r->vegard[p][0] != 0 || r->vegard[p][1] != 0 || r->vegard[p][2] != 0;
}

void tsct_sim_cell_scale(const tsct_sim_reaction *r, double x, int p, double scale[3])
{
    double frac = 0, iso = 1;
    double f[TSCT_SIM_MAX_PHASES], l[TSCT_SIM_MAX_PHASES];
    tsct_sim_mixture(r, x, f, l);
    frac = f[p];
    iso = l[p];
    if (!has_vegard(r, p)) {
        scale[0] = scale[1] = scale[2] = iso;
        return;
    }
    int m = r->nstate - 1;
    double u = m > 0 ? fmin(fmax(x, 0.0), (double)m) / m : 0.0;
    for (int i = 0; i < 3; i++)
        scale[i] = frac > 0 ? 1.0 + r->vegard[p][i] * u : 1.0;
}

void tsct_sim_mixture(const tsct_sim_reaction *r, double x, double *fraction, double *lattice)
{
    int m = r->nstate - 1;
    double xc = fmin(fmax(x, 0.0), (double)m);
    int k = (int)floor(xc);
    if (k > m - 1)
        k = m - 1;
    if (k < 0)
        k = 0;
    double f = m > 0 ? xc - k : 0;
    for (int p = 0; p < r->nphase; p++) {
        double frac = m > 0 ? (1 - f) * r->state[k][p] + f * r->state[k + 1][p] : r->state[0][p];
        if (fraction)
            fraction[p] = frac;
        if (!lattice)
            continue;
        /* The states holding phase p, and how far x has gone through them. */
        int first = -1, count = 0;
        for (int j = 0; j <= m; j++)
            if (r->state[j][p] > 0) {
                if (first < 0)
                    first = j;
                count++;
            }
        double through = count > 0 ? (xc - first) / count : 0;
        through = fmin(fmax(through, 0.0), 1.0);
        lattice[p] = frac > 0 ? 1.0 + r->strain[p] * through : 1.0;
        if (frac > 0 && has_vegard(r, p)) {
            double u = m > 0 ? xc / m : 0.0;
            lattice[p] = cbrt((1.0 + r->vegard[p][0] * u) * (1.0 + r->vegard[p][1] * u) *
                              (1.0 + r->vegard[p][2] * u));
        }
    }
}

double tsct_sim_coverage(const tsct_sim_cycling *c, double t_hours)
{
    double lost = c->coverage_loss * fmax(t_hours, 0.0) / c->cycle_hours;
    return fmax(0.0, 1.0 - lost);
}

int tsct_sim_particle_active(const tsct_sim_cycling *c, double t_hours, double loss_rank)
{
    return loss_rank >= 1.0 - tsct_sim_coverage(c, t_hours);
}

double tsct_sim_size_factor(const tsct_sim_cycling *c, double t_hours)
{
    return 1.0 + c->size_growth * fmax(t_hours, 0.0) / c->cycle_hours;
}

double tsct_sim_time_of_step(const tsct_sim_cycling *c, int64_t it)
{
    return (it + 0.5) * total_hours(c) / (double)c->nt;
}

static double logistic(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

void tsct_sim_echem_at(const tsct_sim_reaction *r, const tsct_sim_cycling *c, double t_hours,
                       tsct_sim_echem *out)
{
    int h;
    double s, from, to;
    half_cycle(c, t_hours, &h, &s);
    half_cycle_span(r, h, &from, &to);
    double H = 0.5 * c->cycle_hours, g = c->mass_mg * 1e-3;  /* active mass in g */
    double cap = from + s * (to - from);
    int forward = h % 2 == 0;
    int discharge = forward != (c->charge_first != 0);
    const double *v = forward ? r->discharge_v : r->charge_v;
    /* V(capacity): the first step's plateau, stepping at every state boundary, smoothed over
     * 1 % of the full capacity (narrow enough for short plateaus such as LiBi's). */
    double width = 0.01 * r->capacity[r->nstate - 1];
    double volt = v[0];
    for (int k = 1; k < r->nstate - 1; k++)
        volt += (v[k] - v[k - 1]) * logistic((cap - r->capacity[k]) / width);
    out->time_h = t_hours;
    out->voltage = volt + (discharge ? -0.03 : 0.03);
    out->current_ma = (to - from) * g / H;  /* negative on discharge only if to < from */
    if (discharge)
        out->current_ma = -fabs(out->current_ma);
    else
        out->current_ma = fabs(out->current_ma);
    out->capacity_mah = fabs(cap - from) * g;
    out->progress = x_of_capacity(r, cap);
}

tsct_status tsct_sim_kinetics_check(const tsct_sim_reaction *r, const tsct_sim_cycling *c,
                                    tsct_error *err)
{
    if (r->nphase < 1 || r->nphase > TSCT_SIM_MAX_PHASES)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "reaction.nphase", -1,
                              "%d phases: expected 1 .. %d", r->nphase, TSCT_SIM_MAX_PHASES);
    if (r->nstate < 1 || r->nstate > TSCT_SIM_MAX_STATES)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "reaction.nstate", -1,
                              "%d states: expected 1 .. %d", r->nstate, TSCT_SIM_MAX_STATES);
    for (int p = 0; p < r->nphase; p++) {
        if (!r->phase[p] || !r->phase[p][0])
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "reaction.phase", p,
                                  "phase without a name");
        if (!isfinite(r->strain[p]) || fabs(r->strain[p]) > 0.5)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "reaction.strain", p,
                                  "strain %g: expected |strain| <= 0.5", r->strain[p]);
        for (int i = 0; i < 3; i++)
            if (!isfinite(r->vegard[p][i]) || fabs(r->vegard[p][i]) > 0.5)
                return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "reaction.vegard", p,
                                      "relative change %g of cell length %c: expected within "
                                      "+-0.5",
                                      r->vegard[p][i], "abc"[i]);
    }
    if (!(r->shell_front >= 0) || !isfinite(r->shell_front))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "reaction.shell_front", -1,
                              "front width %g voxels: expected >= 0", r->shell_front);
    if (!(r->stagger >= 0 && r->stagger <= 1))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "reaction.stagger", -1,
                              "%g: expected 0 (off) .. 1", r->stagger);
    if (r->stagger > 0 && r->shell_front > 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "reaction.stagger", -1,
                              "particle-by-particle steps (stagger %g) and core-shell "
                              "particles (shell_front %g) exclude each other: set one to 0",
                              r->stagger, r->shell_front);
    if (r->lattice_bins != 0 && (r->lattice_bins < 2 || r->lattice_bins > 16))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "reaction.lattice_bins", -1,
                              "%d lattice bins: expected 0 (off) or 2 .. 16", r->lattice_bins);
    for (int k = 0; k < r->nstate; k++) {
        double sum = 0;
        for (int p = 0; p < r->nphase; p++) {
            if (!(r->state[k][p] >= 0))
                return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "reaction.state", k,
                                      "fraction of %s is %g, expected >= 0", r->phase[p],
                                      r->state[k][p]);
            sum += r->state[k][p];
        }
        if (fabs(sum - 1) > 1e-9)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "reaction.state", k,
                                  "phase fractions sum to %g, expected 1", sum);
        if (!isfinite(r->capacity[k]) || (k == 0 && r->capacity[0] != 0) ||
            (k > 0 && !(r->capacity[k] > r->capacity[k - 1])))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "reaction.capacity", k,
                                  "capacities start at 0 and increase, got %g",
                                  r->capacity[k]);
        if (k < r->nstate - 1 && !(isfinite(r->discharge_v[k]) && isfinite(r->charge_v[k])))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "reaction.voltage", k,
                                  "plateau voltages must be finite");
    }
    if (r->charge_floor < 0 || r->charge_floor >= r->nstate)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "reaction.charge_floor", -1,
                              "%d: expected 0 .. %d", r->charge_floor, r->nstate - 1);
    if (c->ncycles < 1 || c->nt < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "cycling", -1,
                              "%d cycles and %lld time steps: expected at least 1 each",
                              c->ncycles, (long long)c->nt);
    if (!(c->cycle_hours > 0) || !isfinite(c->cycle_hours) || !(c->mass_mg > 0) ||
        !isfinite(c->mass_mg))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "cycling", -1,
                              "cycle time %g h and active mass %g mg must be positive",
                              c->cycle_hours, c->mass_mg);
    if (!(c->front_delay >= 0 && c->front_delay <= 1) ||
        !(c->coverage_loss >= 0 && c->coverage_loss <= 1) ||
        !(c->size_growth >= 0 && c->size_growth <= 10))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "cycling", -1,
                              "front delay %g and coverage loss %g must be in [0, 1], size "
                              "growth %g in [0, 10]",
                              c->front_delay, c->coverage_loss, c->size_growth);
    return TSCT_OK;
}
