/* test_sim_kinetics.c - the operando model: phase mixtures, the reaction coordinate through
 * galvanostatic cycles and the reaction front, coverage loss, lattice drift, and the
 * electrochemistry (charge balance, plateaus), with a BiVO4-like conversion chain. */
#include <math.h>

#include "tsct/simulate.h"
#include "tsct_test.h"

/* BiVO4 + 3 Li -> Bi + Li3VO4 (amorphous), Bi + Li -> LiBi, LiBi + 2 Li -> Li3Bi; one Li per
 * BiVO4 (323.9 g/mol) is 26.80 Ah/mol / 323.9 g/mol = 82.7 mAh/g. */
static tsct_sim_reaction bivo4(void)
{
    tsct_sim_reaction r;
    memset(&r, 0, sizeof r);
    r.nphase = 5;
    r.phase[0] = "BiVO4";
    r.phase[1] = "Bi";
    r.phase[2] = "LiyVO4";
    r.phase[3] = "LiBi";
    r.phase[4] = "Li3Bi";
    r.nstate = 4;
    r.state[0][0] = 1;
    r.state[1][1] = 0.5, r.state[1][2] = 0.5;
    r.state[2][3] = 0.5, r.state[2][2] = 0.5;
    r.state[3][4] = 0.5, r.state[3][2] = 0.5;
    double cap[4] = {0, 3 * 82.7, 4 * 82.7, 6 * 82.7};
    double dv[3] = {1.8, 0.8, 0.7}, cv[3] = {3.0, 1.1, 1.0};
    memcpy(r.capacity, cap, sizeof cap);
    memcpy(r.discharge_v, dv, sizeof dv);
    memcpy(r.charge_v, cv, sizeof cv);
    r.charge_floor = 1;
    r.strain[3] = 0.02;
    return r;
}

static void test_mixture(void)
{
    tsct_sim_reaction r = bivo4();
    double f[5], a[5];
    int bad = 0;
    for (double x = 0; x <= 3.0; x += 0.01) {
        tsct_sim_mixture(&r, x, f, NULL);
        double sum = 0;
        for (int p = 0; p < 5; p++)
            sum += f[p], bad += f[p] < 0;
        bad += fabs(sum - 1) > 1e-12;
    }
    CHECK(bad == 0);
    tsct_sim_mixture(&r, 1.5, f, a);
    CHECK_NEAR(f[1], 0.25, 1e-12);
    CHECK_NEAR(f[3], 0.25, 1e-12);
    CHECK_NEAR(f[2], 0.5, 1e-12);
    CHECK_NEAR(a[3], 1.0, 1e-12);  /* LiBi just appearing: no strain yet */
    tsct_sim_mixture(&r, 2.5, f, a);
    CHECK_NEAR(a[3], 1.01, 1e-12); /* half way through LiBi's range */
    CHECK_NEAR(a[0], 1.0, 1e-12);  /* absent phase */
    tsct_sim_mixture(&r, 3.0, f, NULL);
    CHECK_NEAR(f[4], 0.5, 1e-12);
    tsct_sim_mixture(&r, -1.0, f, NULL);  /* clamped */
    CHECK_NEAR(f[0], 1.0, 1e-12);
}

static void test_progress(void)
{
    tsct_sim_reaction r = bivo4();
    tsct_sim_cycling c = TSCT_SIM_CYCLING_DEFAULT;  /* 2 cycles of 10 h */
    CHECK_NEAR(tsct_sim_progress(&r, &c, 0.0, 0.0), 0.0, 1e-12);
    CHECK_NEAR(tsct_sim_progress(&r, &c, 5.0 - 1e-9, 0.0), 3.0, 1e-6);
    CHECK_NEAR(tsct_sim_progress(&r, &c, 10.0 - 1e-9, 0.0), 1.0, 1e-6);
    CHECK_NEAR(tsct_sim_progress(&r, &c, 15.0 - 1e-9, 0.0), 3.0, 1e-6);
    CHECK_NEAR(tsct_sim_progress(&r, &c, 20.0, 0.0), 1.0, 1e-6);
    /* Constant current: capacity linear in time, so at 1/4 of the first discharge the
     * capacity is 124 mAh/g, half way through the conversion (x = 0.5). */
    CHECK_NEAR(tsct_sim_progress(&r, &c, 1.25, 0.0), 0.5, 1e-9);
    /* The front: deeper particles lag on discharge and on charge. */
    CHECK(tsct_sim_progress(&r, &c, 2.0, 1.0) < tsct_sim_progress(&r, &c, 2.0, 0.5));
    CHECK(tsct_sim_progress(&r, &c, 2.0, 0.5) < tsct_sim_progress(&r, &c, 2.0, 0.0));
    CHECK(tsct_sim_progress(&r, &c, 8.0, 1.0) > tsct_sim_progress(&r, &c, 8.0, 0.0));
    /* Lag of d * front_delay half cycles: depth 1 at t equals depth 0 at t - 1.5 h. */
    CHECK_NEAR(tsct_sim_progress(&r, &c, 3.5, 1.0), tsct_sim_progress(&r, &c, 2.0, 0.0), 1e-12);
    /* Time steps: middles of equal shares of 20 h. */
    CHECK_NEAR(tsct_sim_time_of_step(&c, 0), 20.0 / 24, 1e-12);
    CHECK_NEAR(tsct_sim_time_of_step(&c, 11), 20.0 - 20.0 / 24, 1e-12);
}

static void test_losses(void)
{
    tsct_sim_cycling c = TSCT_SIM_CYCLING_DEFAULT;
    CHECK_NEAR(tsct_sim_coverage(&c, 0), 1.0, 1e-12);
    CHECK_NEAR(tsct_sim_coverage(&c, 10.0), 0.9, 1e-12);
    CHECK_NEAR(tsct_sim_coverage(&c, 20.0), 0.8, 1e-12);
    CHECK(!tsct_sim_particle_active(&c, 10.0, 0.05) && tsct_sim_particle_active(&c, 10.0, 0.5));
    CHECK(tsct_sim_particle_active(&c, 0.0, 0.0));
    CHECK_NEAR(tsct_sim_size_factor(&c, 20.0), 1.4, 1e-12);
}

static void test_echem(void)
{
    tsct_sim_reaction r = bivo4();
    tsct_sim_cycling c = TSCT_SIM_CYCLING_DEFAULT;
    c.mass_mg = 2.0;
    /* Charge balance: the current integrated over each half cycle equals the capacity passed,
     * and the logged capacity at its end is that amount (mAh). */
    const int steps = 20000;
    double H = 5.0, q[4] = {0};
    for (int h = 0; h < 4; h++)
        for (int j = 0; j < steps; j++) {
            tsct_sim_echem e;
            tsct_sim_echem_at(&r, &c, h * H + (j + 0.5) * H / steps, &e);
            q[h] += e.current_ma * H / steps;
        }
    double g = 2e-3;
    CHECK_NEAR(q[0], -6 * 82.7 * g, 1e-9);
    CHECK_NEAR(q[1], 3 * 82.7 * g, 1e-9);   /* back to Bi only: 3 Li out */
    CHECK_NEAR(q[2], -3 * 82.7 * g, 1e-9);
    tsct_sim_echem e;
    tsct_sim_echem_at(&r, &c, H - 1e-9, &e);
    CHECK_NEAR(e.capacity_mah, 6 * 82.7 * g, 1e-6);
    CHECK_NEAR(e.progress, 3.0, 1e-6);
    /* Plateaus: the middle of the conversion (x = 0.5), of LiBi (x = 2.5) and on charge. */
    tsct_sim_echem_at(&r, &c, 1.25, &e);
    CHECK_NEAR(e.voltage, 1.8 - 0.03, 1e-3);
    CHECK(e.current_ma < 0);
    double t25 = H * (4.5 * 82.7) / (6 * 82.7);  /* capacity at x = 2.5 */
    tsct_sim_echem_at(&r, &c, t25, &e);
    CHECK_NEAR(e.voltage, 0.7 - 0.03, 1e-3);
    /* On charge, delithiating Li3Bi (x from 3 to 2) sits on the 1.0 V plateau. */
    tsct_sim_echem_at(&r, &c, H + 0.1 * H, &e);
    CHECK_NEAR(e.voltage, 1.0 + 0.03, 1e-3);
    CHECK(e.current_ma > 0);
    /* Voltage stays between the lowest and highest plateaus (plus the IR drop). */
    int out = 0;
    for (double t = 0; t < 20; t += 0.01) {
        tsct_sim_echem_at(&r, &c, t, &e);
        out += e.voltage < 0.7 - 0.031 || e.voltage > 3.0 + 0.031;
    }
    CHECK(out == 0);
}

static void test_checks(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_reaction r = bivo4();
    tsct_sim_cycling c = TSCT_SIM_CYCLING_DEFAULT;
    CHECK_OK(tsct_sim_kinetics_check(&r, &c, &err), &err);
    r.state[2][3] = 0.6;
    CHECK_FAILS(tsct_sim_kinetics_check(&r, &c, &err), TSCT_ERR_VALUE, &err,
                "reaction.state[2]: phase fractions sum to 1.1");
    r = bivo4();
    r.capacity[2] = 100;
    CHECK_FAILS(tsct_sim_kinetics_check(&r, &c, &err), TSCT_ERR_VALUE, &err, "reaction.capacity[2]");
    r = bivo4();
    r.charge_floor = 4;
    CHECK_FAILS(tsct_sim_kinetics_check(&r, &c, &err), TSCT_ERR_VALUE, &err, "charge_floor");
    r = bivo4();
    c.coverage_loss = 1.5;
    CHECK_FAILS(tsct_sim_kinetics_check(&r, &c, &err), TSCT_ERR_VALUE, &err, "coverage loss 1.5");
    c = (tsct_sim_cycling)TSCT_SIM_CYCLING_DEFAULT;
    c.nt = 0;
    CHECK_FAILS(tsct_sim_kinetics_check(&r, &c, &err), TSCT_ERR_VALUE, &err, "0 time steps");
}

/* A TSCT cell whose particles follow the BiVO4 chain: fractions per voxel, the reaction front
 * across depth, lost particles, and the mapping checks. */
static void test_scene(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_phantom_params pp = TSCT_SIM_PHANTOM_PARAMS_DEFAULT;
    pp.n = 64;
    pp.nz = 2;
    pp.particle_radius = 4;
    tsct_sim_phantom *ph = NULL;
    CHECK_OK(tsct_sim_phantom_create(&pp, &ph, &err), &err);
    if (!ph)
        return;
    tsct_sim_reaction r = bivo4();
    tsct_sim_scene sc;
    memset(&sc, 0, sizeof sc);
    sc.phantom = ph;
    sc.material[TSCT_SIM_AIR] = "air";
    sc.material[TSCT_SIM_TUBE] = "quartz";
    sc.reaction[TSCT_SIM_PARTICLE] = &r;
    sc.cycling = (tsct_sim_cycling)TSCT_SIM_CYCLING_DEFAULT;
    sc.cycling.coverage_loss = 0.3;
    sc.seed = 3;
    /* The matrix has no material yet: refused, naming the region. */
    CHECK_FAILS(tsct_sim_scene_init(&sc, &err), TSCT_ERR_VALUE, &err, "matrix: region present");
    sc.material[TSCT_SIM_MATRIX] = "carbon";
    CHECK_OK(tsct_sim_scene_init(&sc, &err), &err);
    CHECK(sc.ncomponents == 8);
    CHECK(strcmp(sc.component[2], "carbon") == 0 && strcmp(sc.component[3], "BiVO4") == 0);
    const int64_t n = 64, nc = sc.ncomponents;
    float *f = malloc((size_t)(n * n * nc) * sizeof *f);
    int bad = 0;
    int64_t lost_first = 0, lost_last = 0, particle_vox = 0;
    for (int64_t it = 0; it < sc.cycling.nt; it += sc.cycling.nt - 1) {
        tsct_sim_scene_fractions(&sc, it, 1, f);
        double t = tsct_sim_time_of_step(&sc.cycling, it);
        for (int64_t v = 0; v < n * n; v++) {
            double sum = 0;
            for (int c = 0; c < nc; c++)
                sum += f[v * nc + c];
            int32_t j = ph->particle[n * n + v];
            if (j >= 0 && sum == 0) {
                lost_first += it == 0;
                lost_last += it != 0;
            } else {
                bad += fabs(sum - 1) > 1e-6;
            }
            if (j >= 0 && sum > 0) {
                /* The particle's mixture at its own depth. */
                double mix[5];
                tsct_sim_mixture(&r, tsct_sim_progress(&r, &sc.cycling, t, ph->particles[j].depth),
                                 mix, NULL);
                for (int ph_ = 0; ph_ < 5; ph_++)
                    bad += fabs(f[v * nc + 3 + ph_] - mix[ph_]) > 1e-6;
            }
            particle_vox += j >= 0 && it == 0;
        }
    }
    CHECK_MSG(bad == 0, "%d voxels with wrong fractions", bad);
    /* Particle-by-particle: every voxel of particle j holds the mixture of its staggered
     * coordinate, and the order ranks are (j + 1/2) / N, each once. */
    r.stagger = 0.95;
    const int64_t it_mid = sc.cycling.nt / 3;
    tsct_sim_scene_fractions(&sc, it_mid, 1, f);
    const double t_mid = tsct_sim_time_of_step(&sc.cycling, it_mid);
    bad = 0;
    int64_t whole = 0, inside = 0;
    for (int64_t v = 0; v < n * n; v++) {
        int32_t j = ph->particle[n * n + v];
        double sum = 0;
        for (int c = 0; c < nc; c++)
            sum += f[v * nc + c];
        if (j < 0 || sum == 0)
            continue;
        const double x = tsct_sim_staggered(
            &r, tsct_sim_progress(&r, &sc.cycling, t_mid, ph->particles[j].depth),
            sc.order_rank[j]);
        double mix[5];
        tsct_sim_mixture(&r, x, mix, NULL);
        for (int ph_ = 0; ph_ < 5; ph_++)
            bad += fabs(f[v * nc + 3 + ph_] - mix[ph_]) > 1e-6;
        whole += x == floor(x);
        inside += x != floor(x);
    }
    CHECK_MSG(bad == 0 && whole > 10 * inside, "staggered: %d wrong, %lld voxels in an end "
              "state, %lld inside a step", bad, (long long)whole, (long long)inside);
    uint8_t *seen = calloc((size_t)ph->nparticles, 1);
    for (int64_t j = 0; seen && j < ph->nparticles; j++) {
        double u = sc.order_rank[j] * (double)ph->nparticles - 0.5;
        int64_t k = (int64_t)llround(u);
        bad += fabs(u - (double)k) > 1e-6 || k < 0 || k >= ph->nparticles || seen[k]++;
    }
    CHECK_MSG(seen && bad == 0, "order ranks: %d not an even grid dealt once", bad);
    free(seen);
    r.stagger = 0;
    /* About 30 % of the active material is gone after 2 cycles of 30 % loss per 2 cycles
     * (coverage 1 - 0.3 * t / cycle): the lost voxel fraction grows from ~1 % to ~57 %. */
    CHECK(lost_first < lost_last);
    double lost_frac = (double)lost_last / (double)particle_vox;
    CHECK_MSG(lost_frac > 0.3 && lost_frac < 0.8, "lost fraction %.2f", lost_frac);
    double lat[TSCT_SIM_MAX_COMPONENTS];
    tsct_sim_scene_lattice(&sc, 0, lat);
    CHECK(lat[0] == 1.0 && lat[3] == 1.0);
    free(f);
    tsct_sim_scene_release(&sc);
    tsct_sim_phantom_destroy(ph);
}

/* Particle-by-particle steps: the mean over evenly spread ranks is the cell's coordinate
 * (the identity M(Y(y)) = y, by the midpoint rule over 20000 ranks), states stay states,
 * lower ranks lead, each particle crosses a step within 1 - s of it, stagger 0 is the
 * concurrent model, and bad settings are refused. */
static void test_stagger(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_reaction r = bivo4();
    const double ss[4] = {0.3, 0.8, 0.95, 1.0};
    const int N = 20000;
    for (int i = 0; i < 4; i++) {
        r.stagger = ss[i];
        double worst = 0;
        int order = 0, states = 0, mid_bad = 0;
        for (int k = 0; k < 3; k++)
            for (int iy = 1; iy < 20; iy++) {
                const double x = k + iy / 20.0;
                double mean = 0, prev = INFINITY;
                int mid = 0;
                for (int j = 0; j < N; j++) {
                    const double own = tsct_sim_staggered(&r, x, (j + 0.5) / N);
                    mean += own / N;
                    order += own > prev + 1e-12; /* a higher rank is never ahead */
                    prev = own;
                    mid += own > k + 1e-9 && own < k + 1 - 1e-9;
                    states += own < k || own > k + 1;
                }
                worst = fmax(worst, fabs(mean - x));
                /* Particles inside the step: the share (1 - s) / s of the ranks at most. */
                mid_bad += ss[i] < 1 && mid > (1 - ss[i]) / ss[i] * N + 2;
                mid_bad += ss[i] == 1 && mid > 1;
            }
        CHECK_MSG(worst < 2e-4, "stagger %g: mean over ranks off by %.2g", ss[i], worst);
        CHECK_MSG(order == 0 && states == 0 && mid_bad == 0,
                  "stagger %g: %d out of order, %d outside the step, %d too many inside",
                  ss[i], order, states, mid_bad);
        for (int k = 0; k <= 3; k++)
            CHECK(tsct_sim_staggered(&r, k, 0.3) == k);
    }
    r.stagger = 0;
    CHECK(tsct_sim_staggered(&r, 1.37, 0.9) == 1.37);
    r.stagger = 0.95;
    /* Half way through a step: ranks below about one half have crossed, the rest not. */
    CHECK_NEAR(tsct_sim_staggered(&r, 2.5, 0.2), 3.0, 1e-12);
    CHECK_NEAR(tsct_sim_staggered(&r, 2.5, 0.8), 2.0, 1e-12);
    tsct_sim_cycling c = TSCT_SIM_CYCLING_DEFAULT;
    CHECK_OK(tsct_sim_kinetics_check(&r, &c, &err), &err);
    r.stagger = 1.5;
    CHECK_FAILS(tsct_sim_kinetics_check(&r, &c, &err), TSCT_ERR_VALUE, &err, "reaction.stagger");
    r.stagger = 0.5;
    r.shell_front = 2;
    CHECK_FAILS(tsct_sim_kinetics_check(&r, &c, &err), TSCT_ERR_VALUE, &err,
                "exclude each other");
}

int main(void)
{
    test_stagger();
    test_scene();
    test_mixture();
    test_progress();
    test_losses();
    test_echem();
    test_checks();
    return tsct_test_finish("test_sim_kinetics");
}
