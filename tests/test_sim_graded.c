/* test_sim_graded.c - voxels that differ in lattice: core-shell kinetics inside particles
 * (end points, monotonic profile, the shell's volume fraction against the particle's progress),
 * anisotropic Vegard lattices, lattice bins in the scene (fractions that sum to the phase's
 * and place the voxel's own coordinate between two bins), reacting layers with charge-first
 * cycling (the Debye clusters with a scaled lattice are the phase model's: test_phase.c). */
#include <math.h>

#include "tsct/simulate.h"
#include "tsct_test.h"

/* NMC-like: one phase in 5 states, c + 1.6 %, a - 1.4 % over the chain. */
static tsct_sim_reaction solid_solution(void)
{
    tsct_sim_reaction r;
    memset(&r, 0, sizeof r);
    r.nphase = 1;
    r.phase[0] = "NMC";
    r.nstate = 5;
    for (int k = 0; k < 5; k++) {
        r.state[k][0] = 1;
        r.capacity[k] = 40.0 * k;
    }
    for (int k = 0; k < 4; k++) {
        r.discharge_v[k] = 3.7 + 0.1 * k;
        r.charge_v[k] = 3.6 + 0.1 * k;
    }
    r.vegard[0][0] = r.vegard[0][1] = -0.014;
    r.vegard[0][2] = 0.016;
    r.shell_front = 1.0;
    return r;
}

static void test_local_progress(void)
{
    tsct_sim_reaction r = solid_solution();
    tsct_sim_cycling c = TSCT_SIM_CYCLING_DEFAULT;
    c.ncycles = 1;
    c.cycle_hours = 20;
    c.front_delay = 0;
    const double R = 10.0;
    int bad = 0;
    /* Through the charge: x never rising with depth; the shell's volume fraction is the
     * particle's progress (to the sphere's curvature across the 1-voxel ramp). */
    for (int s = 1; s < 10; s++) {
        double t = s;  /* h: p = s / 10 */
        double x = tsct_sim_progress(&r, &c, t, 0.5), prev = 1e9, vol = 0, sum = 0;
        CHECK_NEAR(x, 4.0 * s / 10, 1e-12);
        for (int k = 0; k < 2000; k++) {
            double d = R * (k + 0.5) / 2000, rr = R - d;
            double xl = tsct_sim_local_progress(&r, &c, t, 0.5, R, d);
            bad += xl > prev + 1e-12 || xl < 0 || xl > 4;
            prev = xl;
            vol += rr * rr;
            sum += rr * rr * xl / 4;
        }
        CHECK_MSG(fabs(sum / vol - s / 10.0) < 0.005, "shell fraction %.4f at p = %.1f",
                  sum / vol, s / 10.0);
        printf("p = %.1f: shell volume fraction %.4f\n", s / 10.0, sum / vol);
    }
    CHECK_MSG(bad == 0, "%d local coordinates out of order or range", bad);
    CHECK_NEAR(tsct_sim_local_progress(&r, &c, 5.0, 0.5, R, 0.0), 4.0, 1e-12);
    CHECK_NEAR(tsct_sim_local_progress(&r, &c, 5.0, 0.5, R, R), 0.0, 1e-12);
    /* Going back (t = 15 h, the discharge half way): lithium re-enters from the surface. */
    CHECK_NEAR(tsct_sim_local_progress(&r, &c, 15.0, 0.5, R, 0.0), 0.0, 1e-12);
    CHECK_NEAR(tsct_sim_local_progress(&r, &c, 15.0, 0.5, R, R), 4.0, 1e-12);
    /* Start and end of a half cycle: uniform (the end of the charge is the start of the
     * discharge). */
    CHECK_NEAR(tsct_sim_local_progress(&r, &c, 1e-9, 0.5, R, 0.01), 0.0, 1e-12);
    CHECK_NEAR(tsct_sim_local_progress(&r, &c, 10.0, 0.5, R, R), 4.0, 1e-12);
    CHECK_NEAR(tsct_sim_local_progress(&r, &c, 10.0, 0.5, R, 0.0), 4.0, 1e-12);
    /* Off: the particle's coordinate. */
    r.shell_front = 0;
    CHECK_NEAR(tsct_sim_local_progress(&r, &c, 5.0, 0.5, R, 3.0), 2.0, 1e-12);
}

static void test_vegard(void)
{
    tsct_sim_reaction r = solid_solution();
    double s[3], f, l;
    tsct_sim_cell_scale(&r, 4.0, 0, s);
    CHECK_NEAR(s[0], 0.986, 1e-15);
    CHECK_NEAR(s[1], 0.986, 1e-15);
    CHECK_NEAR(s[2], 1.016, 1e-15);
    tsct_sim_cell_scale(&r, 1.0, 0, s);
    CHECK_NEAR(s[2], 1.004, 1e-15);
    tsct_sim_mixture(&r, 1.0, &f, &l);
    CHECK_NEAR(l, cbrt(0.9965 * 0.9965 * 1.004), 1e-15);
    /* A phase without a Vegard lattice keeps the isotropic strain three times. */
    r.vegard[0][0] = r.vegard[0][1] = r.vegard[0][2] = 0;
    r.strain[0] = 0.05;
    tsct_sim_cell_scale(&r, 4.0, 0, s);
    CHECK(s[0] == s[1] && s[1] == s[2] && s[0] == 1.0 + 0.05 * 4.0 / 5.0);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_cycling c = TSCT_SIM_CYCLING_DEFAULT;
    r = solid_solution();
    r.lattice_bins = 1;
    CHECK_FAILS(tsct_sim_kinetics_check(&r, &c, &err), TSCT_ERR_VALUE, &err, "2 .. 16");
    r.lattice_bins = 0;
    r.vegard[0][2] = 0.7;
    CHECK_FAILS(tsct_sim_kinetics_check(&r, &c, &err), TSCT_ERR_VALUE, &err, "length c");
    r.vegard[0][2] = 0.01;
    r.shell_front = NAN;
    CHECK_FAILS(tsct_sim_kinetics_check(&r, &c, &err), TSCT_ERR_VALUE, &err, "shell_front");
}

/* A TSCT phantom of NMC particles with 5 lattice bins and core-shell kinetics. */
static void test_scene_bins(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_phantom_params pp = TSCT_SIM_PHANTOM_PARAMS_DEFAULT;
    pp.n = 48;
    pp.particle_radius = 5;
    pp.particle_sd = 0;
    tsct_sim_phantom *ph = NULL;
    CHECK_OK(tsct_sim_phantom_create(&pp, &ph, &err), &err);
    if (!ph)
        return;
    tsct_sim_reaction r = solid_solution();
    r.lattice_bins = 5;
    tsct_sim_scene sc;
    memset(&sc, 0, sizeof sc);
    sc.phantom = ph;
    sc.material[TSCT_SIM_AIR] = "air";
    sc.material[TSCT_SIM_TUBE] = "quartz";
    sc.material[TSCT_SIM_MATRIX] = "carbon";
    sc.reaction[TSCT_SIM_PARTICLE] = &r;
    sc.cycling = (tsct_sim_cycling)TSCT_SIM_CYCLING_DEFAULT;
    sc.cycling.ncycles = 1;
    sc.cycling.nt = 4;
    sc.cycling.coverage_loss = 0;
    sc.cycling.charge_first = 1;
    CHECK_OK(tsct_sim_scene_init(&sc, &err), &err);
    CHECK(sc.ncomponents == 8 && tsct_sim_scene_graded(&sc));
    CHECK(strcmp(sc.component[3], "NMC#0") == 0 && strcmp(sc.component[7], "NMC#4") == 0);
    CHECK(strcmp(sc.material_of[5], "NMC") == 0 && sc.bin[5] == 2 && sc.bin[2] == -1);
    CHECK_NEAR(sc.bin_scale[7][2], 1.016, 1e-15);
    CHECK(tsct_sim_scene_vegard_component(&sc, TSCT_SIM_PARTICLE) == 3);
    const int64_t n = 48, nc = sc.ncomponents;
    float *f = malloc((size_t)(n * n * nc) * sizeof *f);
    float *prog = malloc((size_t)(n * n) * sizeof *prog);
    float *scale = malloc((size_t)(n * n * 3) * sizeof *scale);
    int bad = 0, vox = 0, spread = 0;
    tsct_sim_scene_fractions(&sc, 0, 0, f);
    tsct_sim_scene_local(&sc, 0, 0, prog, scale);
    for (int64_t v = 0; v < n * n; v++) {
        if (ph->particle[v] < 0) {
            bad += prog[v] != -1 || scale[3 * v] != 0;
            continue;
        }
        vox++;
        /* Two neighbouring bins whose weights place the voxel's own coordinate. */
        double sum = 0, mean = 0;
        int used = 0;
        for (int k = 0; k < 5; k++) {
            sum += f[v * nc + 3 + k];
            mean += f[v * nc + 3 + k] * k;
            used += f[v * nc + 3 + k] > 0;
        }
        bad += fabs(sum - 1) > 1e-6 || fabs(mean - prog[v]) > 1e-5 || used > 2;
        bad += fabs(scale[3 * v + 2] - (1 + 0.016 * prog[v] / 4)) > 1e-6;
        spread += prog[v] > 0.1 && prog[v] < 3.9;
    }
    CHECK_MSG(bad == 0 && vox > 100, "%d bad of %d particle voxels", bad, vox);
    CHECK_MSG(spread > 10, "only %d voxels inside the front", spread);
    double cells[3 * TSCT_SIM_MAX_COMPONENTS], lat[TSCT_SIM_MAX_COMPONENTS];
    tsct_sim_scene_cells(&sc, 1, cells);
    tsct_sim_scene_lattice(&sc, 1, lat);
    CHECK(cells[3 * 7 + 2] == sc.bin_scale[7][2] && cells[0] == 1.0);
    CHECK_NEAR(lat[7], cbrt(0.986 * 0.986 * 1.016), 1e-15);
    free(f);
    free(prog);
    free(scale);
    tsct_sim_scene_release(&sc);
    tsct_sim_phantom_destroy(ph);
}

/* A cylindrical cell whose anode and cathode layers react: only those regions change. */
static void test_layers(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_phantom_params pp = TSCT_SIM_PHANTOM_PARAMS_DEFAULT;
    pp.cell = TSCT_SIM_CELL_CYLINDRICAL;
    pp.n = 64;
    pp.tube_radius = 0.9;
    pp.tube_wall = 2;
    tsct_sim_phantom *ph = NULL;
    CHECK_OK(tsct_sim_phantom_create(&pp, &ph, &err), &err);
    if (!ph)
        return;
    tsct_sim_reaction anode;
    memset(&anode, 0, sizeof anode);
    anode.nphase = 2;
    anode.phase[0] = "graphite";
    anode.phase[1] = "LiC6";
    anode.nstate = 2;
    anode.state[0][0] = anode.state[1][1] = 1;
    anode.capacity[1] = 372;
    tsct_sim_reaction cathode = solid_solution();
    cathode.shell_front = 0;
    tsct_sim_scene sc;
    memset(&sc, 0, sizeof sc);
    sc.phantom = ph;
    const int fixed[] = {TSCT_SIM_AIR, TSCT_SIM_CASING, TSCT_SIM_CU, TSCT_SIM_AL,
                         TSCT_SIM_SEPARATOR};
    for (int k = 0; k < 5; k++)
        sc.material[fixed[k]] = tsct_sim_region_name((tsct_sim_region)fixed[k]);
    sc.reaction[TSCT_SIM_ANODE] = &anode;
    sc.reaction[TSCT_SIM_CATHODE] = &cathode;
    sc.cycling = (tsct_sim_cycling)TSCT_SIM_CYCLING_DEFAULT;
    sc.cycling.ncycles = 1;
    sc.cycling.nt = 4;
    sc.cycling.front_delay = 0;
    sc.cycling.charge_first = 1;
    CHECK_OK(tsct_sim_scene_init(&sc, &err), &err);
    CHECK(sc.ncomponents == 8);
    const int64_t n = 64, nc = sc.ncomponents;
    float *f = malloc((size_t)(n * n * nc) * sizeof *f);
    tsct_sim_scene_fractions(&sc, 1, 0, f);  /* t = 7.5 h: x = 0.75 of the chain */
    int bad = 0, anode_vox = 0;
    for (int64_t v = 0; v < n * n; v++) {
        int reg = ph->region[v];
        /* Components: the five fixed materials, then the cathode's NMC (region 8) before the
         * anode's graphite and LiC6 (region 9). */
        float nmc = f[v * nc + 5], lic6 = f[v * nc + 7];
        if (reg == TSCT_SIM_ANODE) {
            anode_vox++;
            bad += fabs(lic6 - 0.75) > 1e-6 || fabs(f[v * nc + 6] - 0.25) > 1e-6;
        } else {
            bad += lic6 != 0;
        }
        bad += (reg == TSCT_SIM_CATHODE) != (nmc == 1);
    }
    CHECK_MSG(bad == 0 && anode_vox > 50, "%d bad voxels (%d in the anode)", bad, anode_vox);
    double cells[3 * TSCT_SIM_MAX_COMPONENTS];
    tsct_sim_scene_cells(&sc, 1, cells);
    CHECK(strcmp(sc.component[5], "NMC") == 0 && strcmp(sc.component[7], "LiC6") == 0);
    CHECK_NEAR(cells[3 * 5 + 2], 1 + 0.016 * 0.75, 1e-12);
    CHECK_NEAR(cells[3 * 5 + 0], 1 - 0.014 * 0.75, 1e-12);
    /* Charge first: the current is positive in the first half cycle, the IR drop adds. */
    tsct_sim_echem e;
    tsct_sim_echem_at(&cathode, &sc.cycling, 2.0, &e);
    CHECK(e.current_ma > 0 && e.voltage > 3.7);
    tsct_sim_echem_at(&cathode, &sc.cycling, 12.0, &e);
    CHECK(e.current_ma < 0);
    free(f);
    tsct_sim_scene_release(&sc);
    tsct_sim_phantom_destroy(ph);
}

int main(void)
{
    test_local_progress();
    test_vegard();
    test_scene_bins();
    test_layers();
    return tsct_test_finish("test_sim_graded");
}
