/* sim_phantom.c - phantoms of battery cells for the simulator (see include/tsct/simulate.h),
 * and the simulator's reproducible random numbers.
 *
 * TSCT cell: the geometry of the BiVO4 and Si operando studies (a pellet of active particles
 * in carbon binder pressed on a glassy-carbon piston inside a quartz tube), imaged in
 * horizontal slices. Particles are spheres placed by random sequential addition (no overlap)
 * in the electrode layer, which extends two mean particle radii below and above the imaged
 * electrode slices (the collector, the piston's top, lies that far below the first electrode
 * slice), so every slice cuts particles at all heights, as real slices through the middle of
 * an electrode do.
 *
 * Cylindrical cell: a steel can around a jelly roll, the electrode stack wound as an
 * Archimedean spiral r = r0 + pitch * phi / (2 pi); a voxel's layer follows from its
 * position within the repeat, u = (r - r0 - pitch * phi / (2 pi)) mod pitch.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/simulate.h"

/* ---- random numbers: xoshiro256** (Blackman & Vigna), seeded through splitmix64 -------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void tsct_sim_rng_seed(tsct_sim_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t tsct_sim_rng_next(tsct_sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double tsct_sim_rng_uniform(tsct_sim_rng *r)
{
    return (double)(tsct_sim_rng_next(r) >> 11) * 0x1.0p-53;
}

double tsct_sim_rng_normal(tsct_sim_rng *r)
{
    double u1 = tsct_sim_rng_uniform(r), u2 = tsct_sim_rng_uniform(r);
    return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
}

/* ---- phantoms ------------------------------------------------------------------------------ */

static const char *const region_names[TSCT_SIM_REGION_COUNT_] = {
    "air", "tube", "piston", "matrix", "particle", "casing",
    "cu", "al", "cathode", "anode", "separator",
};

const char *tsct_sim_region_name(tsct_sim_region r)
{
    return (unsigned)r < TSCT_SIM_REGION_COUNT_ ? region_names[r] : "?";
}

void tsct_sim_phantom_destroy(tsct_sim_phantom *p)
{
    if (!p)
        return;
    free(p->region);
    free(p->particle);
    free(p->particles);
    free(p);
}

static tsct_status check_params(const tsct_sim_phantom_params *q, tsct_error *err)
{
#define RANGE(cond, name, fmt, v)                                                            \
    if (!(cond))                                                                             \
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1, fmt, v)
    RANGE(q->cell == TSCT_SIM_CELL_TSCT || q->cell == TSCT_SIM_CELL_CYLINDRICAL, "cell",
          "unknown cell type %d", (int)q->cell);
    RANGE(q->n >= 16 && q->n <= 4096, "n", "voxels per side %lld: expected 16 .. 4096",
          (long long)q->n);
    RANGE(q->nz >= 1 && q->nz <= 4096, "nz", "slices %lld: expected 1 .. 4096",
          (long long)q->nz);
    RANGE(q->voxel_um > 0 && isfinite(q->voxel_um), "voxel_um", "voxel size %g must be > 0",
          q->voxel_um);
    RANGE(q->tube_radius > 0.1 && q->tube_radius < 1.0, "tube_radius",
          "tube radius %g: expected 0.1 .. 1 of the half width", q->tube_radius);
    RANGE(q->tube_wall >= 1 && q->tube_wall < q->n / 4.0, "tube_wall",
          "wall %g voxels: expected 1 .. n/4", q->tube_wall);
    RANGE(q->piston_slices >= 0 && q->piston_slices < q->nz, "piston_slices",
          "piston slices %lld: expected 0 .. nz - 1", (long long)q->piston_slices);
    RANGE(q->particle_radius >= 0.5 && q->particle_radius < q->n / 4.0, "particle_radius",
          "particle radius %g voxels: expected 0.5 .. n/4", q->particle_radius);
    RANGE(q->particle_sd >= 0 && q->particle_sd <= 1, "particle_sd",
          "relative spread %g: expected 0 .. 1", q->particle_sd);
    RANGE(q->packing >= 0 && q->packing <= 0.6, "packing",
          "packing fraction %g: expected 0 .. 0.6", q->packing);
    /* Only the cylindrical cell winds layers. */
    RANGE(q->cell != TSCT_SIM_CELL_CYLINDRICAL ||
              (q->layer_voxels >= 1 && q->layer_voxels < q->n / 8.0),
          "layer_voxels", "layer thickness %g voxels: expected 1 .. n/8", q->layer_voxels);
#undef RANGE
    return TSCT_OK;
}

/* Random sequential addition of spheres in the cylinder r < R (around the slice centre),
 * z0 <= z <= z1, until the volume fraction reaches `packing` or 2000 successive tries fail
 * (close to the jamming limit of random sequential addition). */
static tsct_status place_particles(const tsct_sim_phantom_params *q, double cx, double R,
                                   double z0, double z1, tsct_sim_phantom *p, tsct_error *err)
{
    tsct_sim_rng rng;
    tsct_sim_rng_seed(&rng, q->seed);
    double volume = M_PI * R * R * (z1 - z0), filled = 0;
    int64_t cap = 64;
    tsct_sim_particle *list = malloc((size_t)cap * sizeof *list);
    if (!list)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "particles", -1, "list");
    int64_t count = 0;
    int fails = 0;
    while (filled < q->packing * volume && fails < 2000) {
        double r = q->particle_radius * (1.0 + q->particle_sd * tsct_sim_rng_normal(&rng));
        r = fmin(fmax(r, 0.4 * q->particle_radius), 2.0 * q->particle_radius);
        double rho = (R - r) * sqrt(tsct_sim_rng_uniform(&rng));
        double phi = 2 * M_PI * tsct_sim_rng_uniform(&rng);
        double x = cx + rho * cos(phi), y = cx + rho * sin(phi);
        double z = z0 + r + (z1 - z0 - 2 * r) * tsct_sim_rng_uniform(&rng);
        if (z1 - z0 < 2 * r)
            z = 0.5 * (z0 + z1);
        int ok = 1;
        for (int64_t j = 0; j < count && ok; j++) {
            double dx = x - list[j].x, dy = y - list[j].y, dz = z - list[j].z;
            double dmin = r + list[j].radius;
            ok = dx * dx + dy * dy + dz * dz >= dmin * dmin;
        }
        if (!ok) {
            fails++;
            continue;
        }
        fails = 0;
        if (count == cap) {
            cap *= 2;
            tsct_sim_particle *grown = realloc(list, (size_t)cap * sizeof *list);
            if (!grown) {
                free(list);
                return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "particles", -1, "list");
            }
            list = grown;
        }
        list[count].x = x;
        list[count].y = y;
        list[count].z = z;
        list[count].radius = r;
        list[count].depth = (z - z0) / (z1 - z0);
        count++;
        filled += 4.0 / 3.0 * M_PI * r * r * r;
    }
    p->particles = list;
    p->nparticles = count;
    return TSCT_OK;
}

static void build_tsct(const tsct_sim_phantom_params *q, tsct_sim_phantom *p, double cx,
                       double R)
{
    const int64_t n = q->n;
    double wall = R + q->tube_wall;
    for (int64_t s = 0; s < q->nz; s++)
        for (int64_t i = 0; i < n; i++)
            for (int64_t k = 0; k < n; k++) {
                int64_t v = (s * n + i) * n + k;
                double x = k + 0.5, y = i + 0.5, z = s + 0.5;
                double r = hypot(x - cx, y - cx);
                p->particle[v] = -1;
                if (r >= wall) {
                    p->region[v] = TSCT_SIM_AIR;
                } else if (r >= R) {
                    p->region[v] = TSCT_SIM_TUBE;
                } else if (s < q->piston_slices) {
                    p->region[v] = TSCT_SIM_PISTON;
                } else {
                    p->region[v] = TSCT_SIM_MATRIX;
                    for (int64_t j = 0; j < p->nparticles; j++) {
                        const tsct_sim_particle *pt = &p->particles[j];
                        double dx = x - pt->x, dy = y - pt->y, dz = z - pt->z;
                        if (dx * dx + dy * dy + dz * dz < pt->radius * pt->radius) {
                            p->region[v] = TSCT_SIM_PARTICLE;
                            p->particle[v] = (int32_t)j;
                            break;
                        }
                    }
                }
            }
}

static void build_cylindrical(const tsct_sim_phantom_params *q, tsct_sim_phantom *p, double cx,
                              double R)
{
    /* One repeat of the wound stack, from the inside out (thickness in voxels). */
    const double L = q->layer_voxels;
    const struct {
        tsct_sim_region region;
        double thickness;
    } stack[] = {
        {TSCT_SIM_AL, 1},       {TSCT_SIM_CATHODE, L}, {TSCT_SIM_SEPARATOR, 1},
        {TSCT_SIM_ANODE, L},    {TSCT_SIM_CU, 1},      {TSCT_SIM_ANODE, L},
        {TSCT_SIM_SEPARATOR, 1}, {TSCT_SIM_CATHODE, L},
    };
    const int nstack = (int)(sizeof stack / sizeof stack[0]);
    double pitch = 0;
    for (int j = 0; j < nstack; j++)
        pitch += stack[j].thickness;
    const int64_t n = q->n;
    double r0 = 0.12 * (n / 2), wall = R + q->tube_wall;
    for (int64_t s = 0; s < q->nz; s++)
        for (int64_t i = 0; i < n; i++)
            for (int64_t k = 0; k < n; k++) {
                int64_t v = (s * n + i) * n + k;
                double dx = k + 0.5 - cx, dy = i + 0.5 - cx, r = hypot(dx, dy);
                p->particle[v] = -1;
                if (r >= wall) {
                    p->region[v] = TSCT_SIM_AIR;
                } else if (r >= R) {
                    p->region[v] = TSCT_SIM_CASING;
                } else if (r < r0 || r > R - 1.0) {
                    p->region[v] = TSCT_SIM_AIR;  /* hollow centre, gap under the can */
                } else {
                    double phi = atan2(dy, dx);
                    if (phi < 0)
                        phi += 2 * M_PI;
                    double u = fmod(r - r0 - pitch * phi / (2 * M_PI), pitch);
                    if (u < 0)
                        u += pitch;
                    int j = 0;
                    while (j < nstack - 1 && u >= stack[j].thickness) {
                        u -= stack[j].thickness;
                        j++;
                    }
                    p->region[v] = (uint8_t)stack[j].region;
                }
            }
}

tsct_status tsct_sim_phantom_create(const tsct_sim_phantom_params *params,
                                    tsct_sim_phantom **out, tsct_error *err)
{
    static const tsct_sim_phantom_params defaults = TSCT_SIM_PHANTOM_PARAMS_DEFAULT;
    const tsct_sim_phantom_params *q = params ? params : &defaults;
    *out = NULL;
    TSCT_TRY(check_params(q, err));
    tsct_sim_phantom *p = calloc(1, sizeof *p);
    int64_t nv = q->nz * q->n * q->n;
    if (p) {
        p->region = malloc((size_t)nv);
        p->particle = malloc((size_t)nv * sizeof *p->particle);
    }
    if (!p || !p->region || !p->particle) {
        tsct_sim_phantom_destroy(p);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "phantom", -1, "%lld voxels",
                              (long long)nv);
    }
    p->n = q->n;
    p->nz = q->nz;
    p->voxel_um = q->voxel_um;
    double cx = (double)(q->n / 2) + 0.5;  /* the rotation axis: centre of pixel n/2 */
    double R = q->tube_radius * (q->n / 2);
    if (q->cell == TSCT_SIM_CELL_TSCT) {
        /* In slice coordinates: the collector two radii below the first electrode slice, the
         * layer's top two radii above the last. */
        double z0 = (double)q->piston_slices - 2 * q->particle_radius;
        double z1 = (double)q->nz + 2 * q->particle_radius;
        tsct_status st = place_particles(q, cx, R, z0, z1, p, err);
        if (st != TSCT_OK) {
            tsct_sim_phantom_destroy(p);
            return st;
        }
        build_tsct(q, p, cx, R);
    } else {
        build_cylindrical(q, p, cx, R);
    }
    *out = p;
    return TSCT_OK;
}
