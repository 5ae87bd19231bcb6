/* test_sim_phantom.c - phantoms and the simulator's random numbers: reproducibility, geometry
 * of each region against its analytic area, particles that do not overlap and stay inside the
 * tube, the packing fraction, the wound layers of the cylindrical cell, and bad parameters. */
#include <math.h>

#include "tsct/simulate.h"
#include "tsct_test.h"

static void test_rng(void)
{
    tsct_sim_rng r;
    /* splitmix64 from 0 gives 0xe220a8397b1dcdaf first (Vigna's reference). */
    tsct_sim_rng_seed(&r, 0);
    CHECK(r.s[0] == 0xe220a8397b1dcdafull);
    tsct_sim_rng a, b;
    tsct_sim_rng_seed(&a, 42);
    tsct_sim_rng_seed(&b, 42);
    int same = 1;
    for (int i = 0; i < 1000; i++)
        same &= tsct_sim_rng_next(&a) == tsct_sim_rng_next(&b);
    CHECK(same);
    tsct_sim_rng_seed(&b, 43);
    CHECK(tsct_sim_rng_next(&a) != tsct_sim_rng_next(&b));
    /* Moments of 200 000 draws, within 5 standard errors. */
    const int N = 200000;
    double su = 0, sn = 0, sn2 = 0, umin = 1, umax = 0;
    for (int i = 0; i < N; i++) {
        double u = tsct_sim_rng_uniform(&a), g = tsct_sim_rng_normal(&a);
        su += u;
        sn += g;
        sn2 += g * g;
        umin = fmin(umin, u);
        umax = fmax(umax, u);
    }
    CHECK_NEAR(su / N, 0.5, 5 * sqrt(1.0 / 12 / N));
    CHECK_NEAR(sn / N, 0.0, 5 / sqrt((double)N));
    CHECK_NEAR(sn2 / N, 1.0, 5 * sqrt(2.0 / N));
    CHECK(umin >= 0 && umax < 1);
}

static int64_t count_region(const tsct_sim_phantom *p, int64_t slice, tsct_sim_region r)
{
    int64_t c = 0;
    for (int64_t v = slice * p->n * p->n; v < (slice + 1) * p->n * p->n; v++)
        c += p->region[v] == r;
    return c;
}

static void test_tsct_cell(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_phantom_params q = TSCT_SIM_PHANTOM_PARAMS_DEFAULT;
    q.n = 128;
    q.nz = 4;
    q.piston_slices = 1;
    q.particle_radius = 5;
    q.packing = 0.3;
    q.seed = 7;
    tsct_sim_phantom *p = NULL, *p2 = NULL;
    CHECK_OK(tsct_sim_phantom_create(&q, &p, &err), &err);
    CHECK_OK(tsct_sim_phantom_create(&q, &p2, &err), &err);
    if (!p || !p2)
        return;
    int64_t nv = q.nz * q.n * q.n;
    CHECK(memcmp(p->region, p2->region, (size_t)nv) == 0);
    CHECK(memcmp(p->particle, p2->particle, (size_t)nv * sizeof *p->particle) == 0);
    tsct_sim_phantom_destroy(p2);
    q.seed = 8;
    CHECK_OK(tsct_sim_phantom_create(&q, &p2, &err), &err);
    CHECK(p2 && memcmp(p->particle, p2->particle, (size_t)nv * sizeof *p->particle) != 0);
    tsct_sim_phantom_destroy(p2);

    /* The tube wall covers pi((R + w)^2 - R^2) voxels within the pixelation: counting pixel
     * centres in a thin annulus fluctuates by about sqrt(perimeter), 2 % here: allowed 4 %. */
    double R = 0.85 * 64, w = 3;
    double tube = M_PI * ((R + w) * (R + w) - R * R);
    CHECK_NEAR((double)count_region(p, 2, TSCT_SIM_TUBE), tube, 0.04 * tube);
    /* The piston fills the tube's inside in slice 0 and nowhere else. */
    CHECK_NEAR((double)count_region(p, 0, TSCT_SIM_PISTON), M_PI * R * R, 0.01 * M_PI * R * R);
    CHECK(count_region(p, 0, TSCT_SIM_PARTICLE) == 0 && count_region(p, 1, TSCT_SIM_PISTON) == 0);

    /* Particles: inside the tube, above the piston, no overlaps, depth in [0, 1]. */
    CHECK(p->nparticles > 20);
    int bad = 0;
    double vol = 0;
    for (int64_t a = 0; a < p->nparticles; a++) {
        const tsct_sim_particle *A = &p->particles[a];
        bad += hypot(A->x - 64.5, A->y - 64.5) + A->radius > R + 1e-9;
        bad += A->z - A->radius < 1.0 - 2 * 5 - 1e-9;  /* above the collector */
        bad += A->depth < 0 || A->depth > 1;
        vol += 4.0 / 3.0 * M_PI * pow(A->radius, 3);
        for (int64_t b = a + 1; b < p->nparticles; b++) {
            const tsct_sim_particle *B = &p->particles[b];
            bad += sqrt(pow(A->x - B->x, 2) + pow(A->y - B->y, 2) + pow(A->z - B->z, 2)) <
                   A->radius + B->radius - 1e-9;
        }
    }
    CHECK_MSG(bad == 0, "%d particle placement violations", bad);
    /* Random sequential addition reaches the target (or jams close to it). */
    double layer = M_PI * R * R * (3 + 4 * 5);
    CHECK_MSG(vol / layer > 0.25 && vol / layer < 0.32, "packing %.3f", vol / layer);
    /* Every voxel marked as a particle has its centre inside that sphere, and vice versa. */
    int mismatch = 0;
    for (int64_t s = 1; s < q.nz; s++)
        for (int64_t i = 0; i < q.n; i++)
            for (int64_t k = 0; k < q.n; k++) {
                int64_t v = (s * q.n + i) * q.n + k;
                int32_t j = p->particle[v];
                int inside = 0;
                for (int64_t m = 0; m < p->nparticles && !inside; m++) {
                    const tsct_sim_particle *A = &p->particles[m];
                    inside = pow(k + 0.5 - A->x, 2) + pow(i + 0.5 - A->y, 2) +
                                 pow(s + 0.5 - A->z, 2) <
                             A->radius * A->radius;
                }
                mismatch += (j >= 0) != inside || (j >= 0) != (p->region[v] == TSCT_SIM_PARTICLE);
            }
    CHECK_MSG(mismatch == 0, "%d voxels disagree with the particle list", mismatch);
    /* Slice particle fractions near the packing fraction (a slice is a random section). */
    double frac = (double)count_region(p, 2, TSCT_SIM_PARTICLE) / (M_PI * R * R);
    CHECK_MSG(frac > 0.15 && frac < 0.45, "particle area fraction %.3f in slice 2", frac);
    tsct_sim_phantom_destroy(p);
}

static void test_cylindrical(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_phantom_params q = TSCT_SIM_PHANTOM_PARAMS_DEFAULT;
    q.cell = TSCT_SIM_CELL_CYLINDRICAL;
    q.n = 256;
    q.tube_radius = 0.9;
    q.tube_wall = 4;
    q.layer_voxels = 3;
    tsct_sim_phantom *p = NULL;
    CHECK_OK(tsct_sim_phantom_create(&q, &p, &err), &err);
    if (!p)
        return;
    double R = 0.9 * 128;
    double casing = M_PI * ((R + 4) * (R + 4) - R * R);
    CHECK_NEAR((double)count_region(p, 0, TSCT_SIM_CASING), casing, 0.02 * casing);
    /* In one repeat: cathode 2L, anode 2L, Al 1, Cu 1, separator 2 voxels thick. */
    double cat = (double)count_region(p, 0, TSCT_SIM_CATHODE);
    double ano = (double)count_region(p, 0, TSCT_SIM_ANODE);
    double al = (double)count_region(p, 0, TSCT_SIM_AL), cu = (double)count_region(p, 0, TSCT_SIM_CU);
    double sep = (double)count_region(p, 0, TSCT_SIM_SEPARATOR);
    CHECK_NEAR(cat / ano, 1.0, 0.05);
    CHECK_NEAR(al / cu, 1.0, 0.1);
    CHECK_NEAR(cat / al, 6.0, 0.6);
    CHECK_NEAR(sep / al, 2.0, 0.2);
    CHECK(p->nparticles == 0);
    /* The hollow centre is air. */
    CHECK(p->region[128 * 256 + 128] == TSCT_SIM_AIR);
    tsct_sim_phantom_destroy(p);
    CHECK(strcmp(tsct_sim_region_name(TSCT_SIM_CATHODE), "cathode") == 0);
}

static void test_errors(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_phantom *p = NULL;
    tsct_sim_phantom_params q = TSCT_SIM_PHANTOM_PARAMS_DEFAULT;
    q.n = 8;
    CHECK_FAILS(tsct_sim_phantom_create(&q, &p, &err), TSCT_ERR_VALUE, &err, "n: voxels per side 8");
    q.n = 64;
    q.packing = 0.9;
    CHECK_FAILS(tsct_sim_phantom_create(&q, &p, &err), TSCT_ERR_VALUE, &err, "packing");
    q.packing = 0.3;
    q.piston_slices = 1;
    CHECK_FAILS(tsct_sim_phantom_create(&q, &p, &err), TSCT_ERR_VALUE, &err, "piston_slices");
    q.piston_slices = 0;
    q.voxel_um = NAN;
    CHECK_FAILS(tsct_sim_phantom_create(&q, &p, &err), TSCT_ERR_VALUE, &err, "voxel_um");
    CHECK(p == NULL);
    tsct_sim_phantom_destroy(NULL);
}

int main(void)
{
    test_rng();
    test_tsct_cell();
    test_cylindrical();
    test_errors();
    return tsct_test_finish("test_sim_phantom");
}
