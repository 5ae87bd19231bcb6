/* sim_scene.c - what every voxel of a simulated cell holds at every time step: the phantom's
 * regions mapped to fixed materials or to reacting phases (see include/tsct/simulate.h). */
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
    return s->ncomponents++;
}

tsct_status tsct_sim_scene_init(tsct_sim_scene *s, tsct_error *err)
{
    s->ncomponents = 0;
    s->loss_rank = NULL;
    const tsct_sim_phantom *p = s->phantom;
    if (!p)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "scene", -1, "no phantom");
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
            }
            if (pass == 1 && active) {
                TSCT_TRY(tsct_sim_kinetics_check(s->reaction[r], &s->cycling, err));
                for (int ph = 0; ph < s->reaction[r]->nphase; ph++) {
                    int c = find_or_add(s, s->reaction[r]->phase[ph]);
                    if (c < 0)
                        goto too_many;
                    s->map[r][ph] = c;
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
    return TSCT_OK;
too_many:
    return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "scene", -1,
                          "more than %d materials and phases", TSCT_SIM_MAX_COMPONENTS);
}

void tsct_sim_scene_release(tsct_sim_scene *s)
{
    if (!s)
        return;
    free(s->loss_rank);
    s->loss_rank = NULL;
}

void tsct_sim_scene_fractions(const tsct_sim_scene *s, int64_t it, int64_t slice, float *out)
{
    const tsct_sim_phantom *p = s->phantom;
    const int64_t n = p->n, nc = s->ncomponents;
    const double t = tsct_sim_time_of_step(&s->cycling, it);
    double layer_mix[TSCT_SIM_REGION_COUNT_][TSCT_SIM_MAX_PHASES];
    for (int r = 0; r < TSCT_SIM_REGION_COUNT_; r++)
        if (s->reaction[r])
            tsct_sim_mixture(s->reaction[r],
                             tsct_sim_progress(s->reaction[r], &s->cycling, t, 0.5),
                             layer_mix[r], NULL);
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
        int32_t j = p->particle[g];
        const double *mix = layer_mix[r];
        double own[TSCT_SIM_MAX_PHASES];
        if (j >= 0) {
            if (!tsct_sim_particle_active(&s->cycling, t, s->loss_rank[j]))
                continue;
            tsct_sim_mixture(re, tsct_sim_progress(re, &s->cycling, t, p->particles[j].depth),
                             own, NULL);
            mix = own;
        }
        for (int ph = 0; ph < re->nphase; ph++)
            dst[s->map[r][ph]] += (float)mix[ph];
    }
}

void tsct_sim_scene_lattice(const tsct_sim_scene *s, int64_t it, double *lattice)
{
    const double t = tsct_sim_time_of_step(&s->cycling, it);
    for (int c = 0; c < s->ncomponents; c++)
        lattice[c] = 1.0;
    for (int r = 0; r < TSCT_SIM_REGION_COUNT_; r++) {
        const tsct_sim_reaction *re = s->reaction[r];
        if (!re)
            continue;
        double a[TSCT_SIM_MAX_PHASES];
        tsct_sim_mixture(re, tsct_sim_progress(re, &s->cycling, t, 0.5), NULL, a);
        for (int ph = 0; ph < re->nphase; ph++)
            lattice[s->map[r][ph]] = a[ph];
    }
}
