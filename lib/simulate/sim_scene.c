/* sim_scene.c - what every voxel of a simulated cell holds at every time step: the phantom's
 * regions mapped to fixed materials or to reacting phases (see include/tsct/simulate.h).
 *
 * A voxel's reaction coordinate is its particle's (at the particle's depth in the electrode),
 * or with core-shell kinetics the local coordinate at the voxel's depth below the particle's
 * surface (the sphere's radius minus the distance of the voxel's centre from the sphere's
 * centre), or its layer's (depth 0.5). A phase split into lattice bins shares each voxel's
 * fraction between the two bins around the voxel's coordinate, linearly, so the pattern of
 * a voxel moves with its own lattice while the scan still projects a few components. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/simulate.h"

static int find_or_add(tsct_sim_scene *s, const char *name)
{
    for (int c = 0; c < s->ncomponents; c++)
        if (strcmp(s->component[c], name) == 0)
            return c;
    if (s->ncomponents == TSCT_SIM_MAX_COMPONENTS)
        return -1;
    s->component[s->ncomponents] = name;
    s->material_of[s->ncomponents] = name;
    s->bin[s->ncomponents] = -1;
    s->reacting[s->ncomponents] = 0;
    return s->ncomponents++;
}

static int has_vegard(const tsct_sim_reaction *re, int ph)
{
    return re->vegard[ph][0] != 0 || re->vegard[ph][1] != 0 || re->vegard[ph][2] != 0;
}

static int bins_of(const tsct_sim_reaction *re, int ph)
{
    return re->lattice_bins >= 2 && has_vegard(re, ph) ? re->lattice_bins : 1;
}

/* The components of a binned phase: "NAME#k" for k < nb, consecutive; the first, or -1. */
static int add_bins(tsct_sim_scene *s, const tsct_sim_reaction *re, int ph, tsct_error *err)
{
    int nb = re->lattice_bins, first = -1;
    for (int k = 0; k < nb; k++) {
        char name[48];
        snprintf(name, sizeof name, "%.24s#%d", re->phase[ph], k);
        int c = -1;
        for (int j = 0; j < s->ncomponents; j++)
            if (strcmp(s->component[j], name) == 0)
                c = j;
        if (c < 0) {
            if (s->ncomponents == TSCT_SIM_MAX_COMPONENTS)
                return -1;
            c = s->ncomponents++;
            snprintf(s->bin_names[c], sizeof s->bin_names[c], "%s", name);
            s->component[c] = s->bin_names[c];
        }
        s->material_of[c] = re->phase[ph];
        s->bin[c] = k;
        s->reacting[c] = 1;
        for (int i = 0; i < 3; i++)
            s->bin_scale[c][i] = 1.0 + re->vegard[ph][i] * k / (nb - 1.0);
        if (k == 0)
            first = c;
        else if (c != first + k) {
            tsct_error_set(err, TSCT_ERR_VALUE, NULL, re->phase[ph], -1,
                           "lattice bins of a phase in two reactions must come together");
            return -2;
        }
    }
    return first;
}

static tsct_status scene_init(tsct_sim_scene *s, tsct_error *err)
{
    const tsct_sim_phantom *p = s->phantom;
    if (!p)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "scene", -1, "no phantom");
    s->bin_names = calloc(TSCT_SIM_MAX_COMPONENTS, sizeof *s->bin_names);
    if (!s->bin_names)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "scene", -1, "names");
    int present[TSCT_SIM_REGION_COUNT_] = {0};
    int64_t nv = p->nz * p->n * p->n;
    for (int64_t v = 0; v < nv; v++)
        present[p->region[v] < TSCT_SIM_REGION_COUNT_ ? p->region[v] : 0] = 1;
    /* Fixed materials first, then the phases of each reaction, in region order. */
    for (int pass = 0; pass < 2; pass++)
        for (int r = 0; r < TSCT_SIM_REGION_COUNT_; r++) {
            const char *name = tsct_sim_region_name((tsct_sim_region)r);
            int fixed = s->material[r] != NULL, active = s->reaction[r] != NULL;
            if (pass == 0 && present[r] && fixed == active)
                return tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1,
                                      "region present in the phantom needs either a material "
                                      "or a reaction (it has %s)",
                                      fixed ? "both" : "neither");
            if (pass == 0 && fixed) {
                int c = find_or_add(s, s->material[r]);
                if (c < 0)
                    goto too_many;
                s->map[r][0] = c;
                s->nbins[r][0] = 1;
            }
            if (pass == 1 && active) {
                const tsct_sim_reaction *re = s->reaction[r];
                TSCT_TRY(tsct_sim_kinetics_check(re, &s->cycling, err));
                for (int ph = 0; ph < re->nphase; ph++) {
                    int nb = bins_of(re, ph);
                    int c = nb > 1 ? add_bins(s, re, ph, err) : find_or_add(s, re->phase[ph]);
                    if (c == -2)
                        return TSCT_ERR_VALUE;
                    if (c < 0)
                        goto too_many;
                    s->map[r][ph] = c;
                    s->nbins[r][ph] = nb;
                    s->reacting[c] = 1;
                }
            }
        }
    s->loss_rank = malloc((size_t)(p->nparticles > 0 ? p->nparticles : 1) * sizeof(double));
    if (!s->loss_rank)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "scene", -1, "loss ranks");
    tsct_sim_rng rng;
    tsct_sim_rng_seed(&rng, s->seed ^ 0x5a17c0de5eedull);
    for (int64_t j = 0; j < p->nparticles; j++)
        s->loss_rank[j] = tsct_sim_rng_uniform(&rng);
    /* Order ranks: evenly spaced, (j + 1/2) / N, dealt out in a random order (Fisher-Yates)
     * so that the particles' mean progress through a staggered step is the cell's. */
    s->order_rank = malloc((size_t)(p->nparticles > 0 ? p->nparticles : 1) * sizeof(double));
    if (!s->order_rank)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "scene", -1, "order ranks");
    tsct_sim_rng_seed(&rng, s->seed ^ 0x0dde12a4c5ull);
    for (int64_t j = 0; j < p->nparticles; j++)
        s->order_rank[j] = ((double)j + 0.5) / (double)p->nparticles;
    for (int64_t j = p->nparticles - 1; j > 0; j--) {
        int64_t i = (int64_t)(tsct_sim_rng_uniform(&rng) * (double)(j + 1));
        if (i > j)
            i = j;
        double tmp = s->order_rank[i];
        s->order_rank[i] = s->order_rank[j];
        s->order_rank[j] = tmp;
    }
    return TSCT_OK;
too_many:
    return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "scene", -1,
                          "more than %d materials and phases (lattice bins included)",
                          TSCT_SIM_MAX_COMPONENTS);
}

tsct_status tsct_sim_scene_init(tsct_sim_scene *s, tsct_error *err)
{
    s->ncomponents = 0;
    s->loss_rank = NULL;
    s->order_rank = NULL;
    s->bin_names = NULL;
    tsct_status st = scene_init(s, err);
    if (st != TSCT_OK)
        tsct_sim_scene_release(s);  /* a refused scene owns nothing */
    return st;
}

void tsct_sim_scene_release(tsct_sim_scene *s)
{
    if (!s)
        return;
    free(s->loss_rank);
    s->loss_rank = NULL;
    free(s->order_rank);
    s->order_rank = NULL;
    free(s->bin_names);
    s->bin_names = NULL;
}

int tsct_sim_scene_graded(const tsct_sim_scene *s)
{
    for (int r = 0; r < TSCT_SIM_REGION_COUNT_; r++) {
        const tsct_sim_reaction *re = s->reaction[r];
        if (!re)
            continue;
        if (re->shell_front > 0 || re->lattice_bins > 0)
            return 1;
        for (int ph = 0; ph < re->nphase; ph++)
            if (has_vegard(re, ph))
                return 1;
    }
    return 0;
}

/* The reaction coordinate of voxel g (in the whole phantom) at time t, or -1 for a lost
 * particle; layer_x[r] is the layers' coordinate. */
static double voxel_progress(const tsct_sim_scene *s, const tsct_sim_reaction *re, double t,
                             int64_t g, int64_t slice, const double *layer_x, int r)
{
    const tsct_sim_phantom *p = s->phantom;
    int32_t j = p->particle[g];
    if (j < 0)
        return layer_x[r];
    if (!tsct_sim_particle_active(&s->cycling, t, s->loss_rank[j]))
        return -1;
    const tsct_sim_particle *pt = &p->particles[j];
    if (!(re->shell_front > 0))
        return tsct_sim_staggered(re, tsct_sim_progress(re, &s->cycling, t, pt->depth),
                                  s->order_rank[j]);
    int64_t v = g - slice * p->n * p->n;
    double dx = (double)(v % p->n) + 0.5 - pt->x, dy = (double)(v / p->n) + 0.5 - pt->y;
    double dz = (double)slice + 0.5 - pt->z;
    double d = pt->radius - sqrt(dx * dx + dy * dy + dz * dz);
    return tsct_sim_local_progress(re, &s->cycling, t, pt->depth, pt->radius, d);
}

void tsct_sim_scene_fractions(const tsct_sim_scene *s, int64_t it, int64_t slice, float *out)
{
    const tsct_sim_phantom *p = s->phantom;
    const int64_t n = p->n, nc = s->ncomponents;
    const double t = tsct_sim_time_of_step(&s->cycling, it);
    double layer_mix[TSCT_SIM_REGION_COUNT_][TSCT_SIM_MAX_PHASES];
    double layer_x[TSCT_SIM_REGION_COUNT_] = {0};
    for (int r = 0; r < TSCT_SIM_REGION_COUNT_; r++)
        if (s->reaction[r]) {
            layer_x[r] = tsct_sim_progress(s->reaction[r], &s->cycling, t, 0.5);
            tsct_sim_mixture(s->reaction[r], layer_x[r], layer_mix[r], NULL);
        }
    memset(out, 0, (size_t)(n * n * nc) * sizeof *out);
    for (int64_t v = 0; v < n * n; v++) {
        int64_t g = slice * n * n + v;
        int r = p->region[g];
        float *dst = out + v * nc;
        if (s->material[r]) {
            dst[s->map[r][0]] = 1.0f;
            continue;
        }
        const tsct_sim_reaction *re = s->reaction[r];
        if (!re)
            continue;
        const double *mix = layer_mix[r];
        double own[TSCT_SIM_MAX_PHASES];
        double x = layer_x[r];
        if (p->particle[g] >= 0) {
            x = voxel_progress(s, re, t, g, slice, layer_x, r);
            if (x < 0)
                continue;
            tsct_sim_mixture(re, x, own, NULL);
            mix = own;
        }
        const int m = re->nstate - 1;
        for (int ph = 0; ph < re->nphase; ph++) {
            const int nb = s->nbins[r][ph], c0 = s->map[r][ph];
            if (nb <= 1) {
                dst[c0] += (float)mix[ph];
                continue;
            }
            double b = m > 0 ? fmin(fmax(x, 0.0), (double)m) / m * (nb - 1) : 0.0;
            int k = (int)floor(b);
            if (k > nb - 2)
                k = nb - 2;
            double w = b - k;
            dst[c0 + k] += (float)(mix[ph] * (1 - w));
            dst[c0 + k + 1] += (float)(mix[ph] * w);
        }
    }
}

void tsct_sim_scene_cells(const tsct_sim_scene *s, int64_t it, double *scale)
{
    const double t = tsct_sim_time_of_step(&s->cycling, it);
    for (int c = 0; c < s->ncomponents; c++)
        for (int i = 0; i < 3; i++)
            scale[3 * c + i] = s->bin[c] >= 0 ? s->bin_scale[c][i] : 1.0;
    for (int r = 0; r < TSCT_SIM_REGION_COUNT_; r++) {
        const tsct_sim_reaction *re = s->reaction[r];
        if (!re)
            continue;
        double x = tsct_sim_progress(re, &s->cycling, t, 0.5);
        for (int ph = 0; ph < re->nphase; ph++)
            if (s->nbins[r][ph] <= 1)
                tsct_sim_cell_scale(re, x, ph, scale + 3 * s->map[r][ph]);
    }
}

void tsct_sim_scene_lattice(const tsct_sim_scene *s, int64_t it, double *lattice)
{
    const double t = tsct_sim_time_of_step(&s->cycling, it);
    for (int c = 0; c < s->ncomponents; c++) {
        const double *b = s->bin_scale[c];
        lattice[c] = s->bin[c] >= 0 ? cbrt(b[0] * b[1] * b[2]) : 1.0;
    }
    for (int r = 0; r < TSCT_SIM_REGION_COUNT_; r++) {
        const tsct_sim_reaction *re = s->reaction[r];
        if (!re)
            continue;
        double a[TSCT_SIM_MAX_PHASES];
        tsct_sim_mixture(re, tsct_sim_progress(re, &s->cycling, t, 0.5), NULL, a);
        for (int ph = 0; ph < re->nphase; ph++)
            if (s->nbins[r][ph] <= 1)
                lattice[s->map[r][ph]] = a[ph];
    }
}

static int vegard_phase(const tsct_sim_reaction *re)
{
    for (int ph = 0; re && ph < re->nphase; ph++)
        if (has_vegard(re, ph))
            return ph;
    return -1;
}

int tsct_sim_scene_vegard_component(const tsct_sim_scene *s, int r)
{
    if (r < 0 || r >= TSCT_SIM_REGION_COUNT_)
        return -1;
    int ph = vegard_phase(s->reaction[r]);
    return ph >= 0 ? s->map[r][ph] : -1;
}

void tsct_sim_scene_local(const tsct_sim_scene *s, int64_t it, int64_t slice, float *progress,
                          float *scale)
{
    const tsct_sim_phantom *p = s->phantom;
    const int64_t n = p->n;
    const double t = tsct_sim_time_of_step(&s->cycling, it);
    double layer_x[TSCT_SIM_REGION_COUNT_] = {0};
    for (int r = 0; r < TSCT_SIM_REGION_COUNT_; r++)
        if (s->reaction[r])
            layer_x[r] = tsct_sim_progress(s->reaction[r], &s->cycling, t, 0.5);
    for (int64_t v = 0; v < n * n; v++) {
        int64_t g = slice * n * n + v;
        int r = p->region[g];
        const tsct_sim_reaction *re = s->material[r] ? NULL : s->reaction[r];
        double x = re ? voxel_progress(s, re, t, g, slice, layer_x, r) : -1;
        if (progress)
            progress[v] = (float)x;
        if (!scale)
            continue;
        double sc[3] = {0, 0, 0};
        int ph = vegard_phase(re);
        if (x >= 0 && ph >= 0) {
            double f[TSCT_SIM_MAX_PHASES];
            tsct_sim_mixture(re, x, f, NULL);
            if (f[ph] > 0)
                tsct_sim_cell_scale(re, x, ph, sc);
        }
        for (int i = 0; i < 3; i++)
            scale[3 * v + i] = (float)sc[i];
    }
}
