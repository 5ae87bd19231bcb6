/* sim_run.c - a whole simulated experiment, at the pattern level (the integrated cube) or at
 * the frame level (detector frames, sim_run_frames.c), into the container (see
 * include/tsct/simulate.h and docs/simulate.md).
 *
 * One unit of work is one (time step, slice): the scene's component fractions of the slice,
 * the component patterns at that time (lattice drift, crystallite growth), the pencil-beam
 * scan of them and a fluctuating monitor; then either counting noise, written as that slice's
 * rows of /entry/integrated, or the slice's frames rendered into the time step's frame file;
 * with the ground truth. The monitor and noise are drawn from generators seeded by (seed, time
 * step, slice), the same at both levels, so the frames are the pattern level's noiseless
 * patterns on a detector, and a resumed run writes the same bytes as an uninterrupted one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsct/container.h"
#include "tsct/log.h"
#include "tsct/progress.h"
#include "tsct/publish.h"
#include "tsct/simulate.h"
#include "tsct_config.h"
#include "sim_internal.h"

#define GT "/ground_truth"

struct run {
    const tsct_sim_preset *p;
    const tsct_sim_run_params *rp;
    tsct_sim_phantom *phantom;
    tsct_sim_scene scene;
    int scene_ready;
    tsct_phase_model *materials;   /* the preset's materials, in their order */
    int material_of[TSCT_SIM_MAX_COMPONENTS];  /* scene component -> material index */
    int reacting[TSCT_SIM_MAX_COMPONENTS];     /* 1 for phases of a reaction */
    int graded;                                /* voxels differ in lattice: write their state */
    double *q, *angles;
    float *patterns, *fractions, *data, *sigma, *sino, *monitor, *spots;
    float *diode;   /* [na][ns]: the sample's transmission, acquisition order */
    float *progress, *cells;                   /* graded: [n][n] and [n][n][3] of a slice */
    int64_t n, nc, nq, na, ns, nt, nz;
    double mu[TSCT_SIM_MAX_COMPONENTS];        /* the components' attenuation, 1/mm */
};

static void run_free(struct run *r)
{
    tsct_phase_model_destroy(r->materials);
    if (r->scene_ready)
        tsct_sim_scene_release(&r->scene);
    tsct_sim_phantom_destroy(r->phantom);
    free(r->q);
    free(r->angles);
    free(r->patterns);
    free(r->fractions);
    free(r->data);
    free(r->sigma);
    free(r->sino);
    free(r->monitor);
    free(r->diode);
    free(r->spots);
    free(r->progress);
    free(r->cells);
}

static tsct_status setup(struct run *r, tsct_error *err)
{
    const tsct_sim_preset *p = r->p;
    if (!(p->energy_kev > 0) || !(p->qmax > p->qmin) || p->qmin < 0 || p->nq < 2 || p->na < 1 ||
        p->ns < 2 || !(p->angle_range > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, p->name, -1,
                              "energy, q range, channels, angles and translations must be "
                              "positive");
    tsct_sim_phantom_params ph = p->phantom;
    ph.seed += r->rp->seed;
    TSCT_TRY(tsct_sim_phantom_create(&ph, &r->phantom, err));
    r->scene.phantom = r->phantom;
    for (int k = 0; k < TSCT_SIM_REGION_COUNT_; k++)
        r->scene.material[k] = p->region_material[k];
    if (p->reaction.nphase > 0)
        r->scene.reaction[TSCT_SIM_PARTICLE] = &p->reaction;
    if (p->nlayers < 0 || p->nlayers > TSCT_SIM_MAX_LAYERS || p->echem < 0 ||
        p->echem > p->nlayers)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, p->name, -1,
                              "%d reacting layers (at most %d), electrochemistry of reaction "
                              "%d",
                              p->nlayers, TSCT_SIM_MAX_LAYERS, p->echem);
    for (int k = 0; k < p->nlayers; k++) {
        int reg = (int)p->layer_region[k];
        if (reg < 0 || reg >= TSCT_SIM_REGION_COUNT_ || reg == TSCT_SIM_PARTICLE)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, p->name, k,
                                  "a reacting layer must be a region other than the "
                                  "particles");
        r->scene.reaction[reg] = &p->layer_reaction[k];
    }
    r->scene.cycling = p->cycling;
    r->scene.seed = r->rp->seed;
    TSCT_TRY(tsct_sim_scene_init(&r->scene, err));
    r->scene_ready = 1;
    r->n = p->phantom.n;
    r->nz = p->phantom.nz;
    r->nc = r->scene.ncomponents;
    r->nq = p->nq;
    r->na = p->na;
    r->ns = p->ns;
    r->nt = p->cycling.nt;
    if (r->rp->time_steps > 0 && r->rp->time_steps < r->nt)
        r->nt = r->rp->time_steps;
    for (int c = 0; c < r->nc; c++) {
        r->material_of[c] = -1;
        for (int m = 0; m < p->nmaterials; m++)
            if (strcmp(p->materials[m].phase.name, r->scene.material_of[c]) == 0)
                r->material_of[c] = m;
        if (r->material_of[c] < 0)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, r->scene.component[c], -1,
                                  "component has no material in preset %s", p->name);
        r->reacting[c] = r->scene.reacting[c];
    }
    r->graded = tsct_sim_scene_graded(&r->scene);
    r->q = malloc((size_t)r->nq * sizeof *r->q);
    r->angles = malloc((size_t)r->na * sizeof *r->angles);
    r->patterns = malloc((size_t)(r->nc * r->nq) * sizeof *r->patterns);
    r->fractions = malloc((size_t)(r->n * r->n * r->nc) * sizeof *r->fractions);
    r->data = malloc((size_t)(r->na * r->ns * r->nq) * sizeof *r->data);
    r->sigma = malloc((size_t)(r->na * r->ns * r->nq) * sizeof *r->sigma);
    r->sino = malloc((size_t)(r->na * r->ns * r->nc) * sizeof *r->sino);
    r->monitor = malloc((size_t)(r->na * r->ns) * sizeof *r->monitor);
    r->spots = malloc((size_t)(r->na * r->ns) * sizeof *r->spots);
    r->diode = malloc((size_t)(r->na * r->ns) * sizeof *r->diode);
    if (r->graded) {
        r->progress = malloc((size_t)(r->n * r->n) * sizeof *r->progress);
        r->cells = malloc((size_t)(r->n * r->n * 3) * sizeof *r->cells);
    }
    if (!r->q || !r->angles || !r->patterns || !r->fractions || !r->data || !r->sigma ||
        !r->sino || !r->monitor || !r->spots || !r->diode ||
        (r->graded && (!r->progress || !r->cells)))
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, p->name, -1, "work arrays");
    for (int64_t j = 0; j < r->nq; j++)
        r->q[j] = p->qmin + (p->qmax - p->qmin) * (double)j / (double)(r->nq - 1);
    for (int64_t a = 0; a < r->na; a++)
        r->angles[a] = p->angle_range * (double)a / (double)r->na;
    tsct_phase_desc phases[TSCT_SIM_MAX_COMPONENTS];
    for (int m = 0; m < p->nmaterials; m++)
        phases[m] = p->materials[m].phase;
    tsct_phase_model_params mp = TSCT_PHASE_MODEL_PARAMS_DEFAULT;
    mp.wavelength = 12.398419843320026 / p->energy_kev;
    mp.data_dirs = r->rp->data_dirs;
    return tsct_phase_model_create(phases, p->nmaterials, r->q, r->nq, &mp, &r->materials, err);
}

/* Component patterns at time step it; lattice[nc] (isotropic equivalent) and the cell
 * lengths cell[nc][3] (A; 0 for broad materials) of every component. */
static tsct_status patterns_at(struct run *r, int64_t it, double *lattice, double *cell,
                               tsct_error *err)
{
    double t = tsct_sim_time_of_step(&r->p->cycling, it);
    double growth = tsct_sim_size_factor(&r->p->cycling, t);
    double scale[3 * TSCT_SIM_MAX_COMPONENTS];
    tsct_sim_scene_lattice(&r->scene, it, lattice);
    tsct_sim_scene_cells(&r->scene, it, scale);
    for (int c = 0; c < r->nc; c++) {
        tsct_phase_state s = {{scale[3 * c], scale[3 * c + 1], scale[3 * c + 2]},
                              r->reacting[c] ? growth : 1.0};
        TSCT_TRY(tsct_phase_model_pattern(r->materials, r->material_of[c], &s,
                                          r->patterns + c * r->nq, err));
        tsct_phase_model_cell(r->materials, r->material_of[c], cell + 3 * c);
        for (int k = 0; k < 3; k++)
            cell[3 * c + k] *= scale[3 * c + k];
    }
    return TSCT_OK;
}

/* The graded ground truth of slice iz at time step it: each voxel's reaction coordinate
 * (r->progress) and the cell lengths of its Vegard phase in A (r->cells). */
static void local_state(struct run *r, int64_t it, int64_t iz)
{
    tsct_sim_scene_local(&r->scene, it, iz, r->progress, r->cells);
    double abc[TSCT_SIM_REGION_COUNT_][3];
    for (int reg = 0; reg < TSCT_SIM_REGION_COUNT_; reg++) {
        int c = tsct_sim_scene_vegard_component(&r->scene, reg);
        if (c >= 0) {
            tsct_phase_model_cell(r->materials, r->material_of[c], abc[reg]);
        } else {
            abc[reg][0] = abc[reg][1] = abc[reg][2] = 0;
        }
    }
    const uint8_t *region = r->phantom->region + iz * r->n * r->n;
    for (int64_t v = 0; v < r->n * r->n; v++)
        for (int k = 0; k < 3; k++)
            r->cells[3 * v + k] = (float)(r->cells[3 * v + k] * abc[region[v]][k]);
}

/* Scan one slice at one time: data and sigma [na][ns][nq] (acquisition order), sino, monitor
 * [na][ns] (sinogram order). noise = 0 leaves data noiseless (the frame level's expected
 * patterns); the monitor is the same either way. */
static tsct_status scan_slice(struct run *r, int64_t it, int64_t iz, int noise, tsct_error *err)
{
    const tsct_sim_preset *p = r->p;
    tsct_sim_rng rng;
    tsct_sim_rng_seed(&rng, r->rp->seed * 1000003ull + (uint64_t)(it * r->nz + iz) * 7919ull + 17);
    for (int64_t k = 0; k < r->na * r->ns; k++)
        r->monitor[k] = (float)(1.0 + p->monitor_noise * tsct_sim_rng_normal(&rng));
    tsct_sim_scene_fractions(&r->scene, it, iz, r->fractions);
    double *mu = r->mu;
    for (int c = 0; c < r->nc; c++)
        mu[c] = p->materials[r->material_of[c]].mu_per_mm;
    tsct_sim_scan scan = {r->na,     r->ns,           r->angles, p->beam,
                          p->phantom.voxel_um * 1e-3, p->zigzag, r->rp->nthreads, r->diode,
                          tsct_sim_translation_step(p)};
    TSCT_TRY(tsct_sim_scan_patterns(&scan, r->fractions, r->n, r->nc, r->patterns, r->nq, mu,
                                    r->monitor, r->data, r->sino, err));
    /* Counting noise: counts = Poisson(counts_per_unit x I); the pattern is counts / scale,
     * its sigma sqrt(max(counts, 1)) / scale (the Poisson error model of the integrators). */
    int64_t total = r->na * r->ns * r->nq;
    for (int64_t k = 0; k < total; k++) {
        if (p->counts <= 0 || !noise) {
            r->sigma[k] = 0;
            continue;
        }
        double n = (double)tsct_sim_poisson(&rng, p->counts * fmax(r->data[k], 0.0f));
        r->data[k] = (float)(n / p->counts);
        r->sigma[k] = (float)(sqrt(fmax(n, 1.0)) / p->counts);
    }
    return TSCT_OK;
}

static tsct_status write_echem(const struct run *r, const char *path, tsct_error *err)
{
    tsct_publish pub;
    FILE *f = NULL;
    TSCT_TRY(tsct_publish_fopen(&pub, path, &f, err));
    const tsct_sim_cycling *c = &r->p->cycling;
    const tsct_sim_reaction *re =
        r->p->echem > 0 ? &r->p->layer_reaction[r->p->echem - 1] : &r->p->reaction;
    double total = c->ncycles * c->cycle_hours;
    fprintf(f, "# simulated by tsct %s, preset %s: galvanostatic cycling, %g mg active mass\n",
            TSCT_VERSION_STRING, r->p->name, c->mass_mg);
    fprintf(f, "time/s,Ewe/V,<I>/mA,capacity/mA.h\n");
    for (int64_t k = 0; k * 60.0 <= total * 3600.0; k++) {
        tsct_sim_echem e;
        tsct_sim_echem_at(re, c, fmin(k / 60.0, total - 1e-9), &e);
        fprintf(f, "%.1f,%.6f,%.9g,%.9g\n", k * 60.0, e.voltage, e.current_ma, e.capacity_mah);
    }
    return tsct_publish_fclose(&pub, f, err);
}

static tsct_status open_or_create(const char *path, tsct_container **c, tsct_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f) {
        fclose(f);
        return tsct_container_open(path, TSCT_OPEN_WRITE, c, err);
    }
    return tsct_container_create(path, 0, c, err);
}

/* 1 if the container at path holds a committed step "simulate" with this fingerprint. */
static int committed(const char *path, const char *fingerprint)
{
    tsct_container *c = NULL;
    char fp[1024] = "";
    if (access(path, F_OK) != 0 || tsct_container_open(path, TSCT_OPEN_READ, &c, NULL) != TSCT_OK)
        return 0;
    int same = tsct_container_get_attr_string(c, TSCT_PATH_PROCESS "/simulate", "fingerprint", fp,
                                              sizeof fp, NULL) == TSCT_OK &&
               strcmp(fp, fingerprint) == 0;
    tsct_container_close(c, NULL);
    return same;
}

/* Both levels; frames_params NULL = the pattern level. */
static tsct_status run_experiment(const tsct_sim_preset *preset, const char *path,
                                  const tsct_sim_run_params *params,
                                  const tsct_sim_frames_params *frames_params,
                                  const tsct_log *log, const tsct_progress_sink *sink,
                                  tsct_error *err)
{
    struct run r;
    memset(&r, 0, sizeof r);
    r.p = preset;
    r.rp = params;
    tsct_container *c = NULL;
    tsct_step *step = NULL;
    tsct__sim_frames *frames = NULL;
    uint8_t *have = NULL;   /* frame level: time steps whose frame file exists */
    tsct_dataset *d_data = NULL, *d_sigma = NULL, *d_frac = NULL, *d_pat = NULL, *d_lat = NULL,
                 *d_sino = NULL, *d_lab = NULL, *d_part = NULL, *d_spots = NULL, *d_diode = NULL;
    /* Graded experiments only: */
    tsct_dataset *d_cell = NULL, *d_prog = NULL, *d_vlat = NULL, *d_ptab = NULL;
    tsct_status st = setup(&r, err);
    char fp[1024];
    int fp_len = snprintf(fp, sizeof fp,
                        "preset=%s seed=%llu n=%lld nz=%lld nt=%lld na=%lld ns=%lld nq=%lld%s%s",
                        preset->name, (unsigned long long)params->seed, (long long)r.n,
                        (long long)r.nz, (long long)r.nt, (long long)r.na, (long long)r.ns,
                        (long long)r.nq, preset->overrides[0] ? " set=" : "",
                        preset->overrides);
    /* The frame format is part of the identity only when it is not HDF5, so that the
     * fingerprints of HDF5 runs stay those of earlier versions. */
    if (frames_params)
        snprintf(fp + fp_len, sizeof fp - (size_t)fp_len, " level=frames noiseless=%d%s%s",
                 frames_params->noiseless != 0,
                 frames_params->format != TSCT_SIM_FRAMES_HDF5 ? " format=" : "",
                 frames_params->format != TSCT_SIM_FRAMES_HDF5
                     ? tsct_sim_frame_format_name(frames_params->format)
                     : "");
    /* Parallax and self-absorption change the frames only: they are part of the frame
     * level's identity when on (so that runs without them keep their fingerprints). */
    const tsct_sim_physics_params *phys = &preset->physics;
    if (frames_params && (phys->parallax || phys->absorption)) {
        size_t used = strlen(fp);
        snprintf(fp + used, sizeof fp - used, " physics=%s%s,bin=%.17g,nazimuth=%d",
                 phys->parallax ? "parallax" : "", phys->absorption ? "+absorption" : "",
                 phys->depth_bin, phys->nazimuth);
    }
    if (st == TSCT_OK && frames_params)
        st = tsct__sim_frames_create(preset, params, frames_params, fp, r.nt, r.nz, r.q, r.nq,
                                     &frames, err);
    if (st == TSCT_OK && frames)
        st = tsct__sim_frames_physics(frames, r.n, r.nc, r.angles, err);
    int64_t have_count = 0;
    if (st == TSCT_OK && frames) {
        if (!(have = calloc((size_t)r.nt, 1)))
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "frames", -1, "time steps");
        for (int64_t t = 0; st == TSCT_OK && t < r.nt; t++) {
            int h = 0;
            st = tsct__sim_frames_have(frames, t, &h, err);
            have[t] = (uint8_t)h;
            have_count += h;
        }
        if (st == TSCT_OK && have_count == r.nt && committed(path, fp)) {
            tsct_log_msg(log, TSCT_LOG_INFO,
                         "%s and its %lld frame files are complete for these settings: "
                         "nothing to do",
                         path, (long long)r.nt);
            free(have);
            tsct__sim_frames_destroy(frames);
            run_free(&r);
            return TSCT_OK;
        }
        if (st == TSCT_OK)
            st = tsct__sim_frames_write_aux(frames, err);
    }
    if (st == TSCT_OK)
        st = open_or_create(path, &c, err);
    if (st == TSCT_OK) {
        tsct_step_info info = {"simulate", params->command, preset->description, fp,
                               r.nt * r.nz, NULL, NULL, 0};
        st = tsct_step_begin(c, &info, log, &step, err);
    }
    const int64_t nt = r.nt, nz = r.nz, na = r.na, ns = r.ns, nq = r.nq, n = r.n, nc = r.nc;
    /* Axes: angles (deg), translations and heights (mm), tomogram times (s), q (1/A). */
    double *trans = malloc((size_t)ns * sizeof *trans), *zs = malloc((size_t)nz * sizeof *zs);
    double *times = malloc((size_t)nt * sizeof *times);
    if (st == TSCT_OK && (!trans || !zs || !times))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "axes", -1, "arrays");
    if (st == TSCT_OK) {
        double vmm = preset->phantom.voxel_um * 1e-3;
        for (int64_t j = 0; j < ns; j++)
            trans[j] = (double)(j - ns / 2) * vmm * tsct_sim_translation_step(preset);
        for (int64_t k = 0; k < nz; k++)
            zs[k] = (double)k * vmm;
        for (int64_t t = 0; t < nt; t++)
            times[t] = tsct_sim_time_of_step(&preset->cycling, t) * 3600.0;
        st = tsct_step_vector(step, "/entry/scan/angle", r.angles, na, "deg", err);
    }
    if (st == TSCT_OK)
        st = tsct_step_vector(step, "/entry/scan/translation", trans, ns, "mm", err);
    if (st == TSCT_OK)
        st = tsct_step_vector(step, "/entry/scan/z", zs, nz, "mm", err);
    if (st == TSCT_OK)
        st = tsct_step_vector(step, "/entry/scan/time", times, nt, "s", err);
    if (st == TSCT_OK && !frames)
        st = tsct_step_vector(step, TSCT_PATH_INTEGRATED_Q, r.q, nq, "A^-1", err);
    if (st == TSCT_OK)
        st = tsct_step_vector(step, GT "/q", r.q, nq, "A^-1", err);
    int64_t cube[5] = {nt, nz, na, ns, nq}, frac[5] = {nt, nz, n, n, nc};
    int64_t pat[3] = {nt, nc, nq}, lat[2] = {nt, nc}, sino[5] = {nt, nz, na, ns, nc};
    int64_t lab[3] = {nz, n, n};
    tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, frames ? GT "/expected" : TSCT_PATH_INTEGRATED, 5, cube, -1,
                               &dp, &d_data, err);
    if (st == TSCT_OK && !frames)
        st = tsct_step_dataset(step, TSCT_PATH_INTEGRATED_SIGMA, 5, cube, -1, &dp, &d_sigma, err);
    int64_t frame_shape[4] = {nt, nz, na, ns};
    if (st == TSCT_OK && frames)
        st = tsct_step_dataset(step, GT "/spots", 4, frame_shape, -1, &dp, &d_spots, err);
    /* The sample's transmission at every point (a diode behind the sample over the monitor),
     * what `tsct sinogram --normalise transmission` divides by; both levels (a scan records
     * it beside the frames). */
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, TSCT_PATH_SCAN "/transmission", 4, frame_shape, -1, &dp,
                               &d_diode, err);
    if (st == TSCT_OK)
        st = tsct_dataset_set_attr_string(d_diode, "meaning",
                                          "transmission of the sample at every point, "
                                          "exp(-sum mu L) (transmitted beam over the monitor), "
                                          "acquisition order like the patterns", err);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, GT "/phase_fraction", 5, frac, -1, &dp, &d_frac, err);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, GT "/patterns", 3, pat, -1, &dp, &d_pat, err);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, GT "/lattice_scale", 2, lat, -1, &dp, &d_lat, err);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, GT "/sinograms", 5, sino, -1, &dp, &d_sino, err);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, GT "/regions", 3, lab, -1, &dp, &d_lab, err);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, GT "/particles", 3, lab, -1, &dp, &d_part, err);
    int64_t cellshape[3] = {nt, nc, 3}, vox[4] = {nt, nz, n, n}, voxlat[5] = {nt, nz, n, n, 3};
    int64_t ptab[2] = {r.phantom ? r.phantom->nparticles : 0, 5};
    if (st == TSCT_OK && r.graded) {
        st = tsct_step_dataset(step, GT "/cell", 3, cellshape, -1, &dp, &d_cell, err);
        if (st == TSCT_OK)
            st = tsct_step_dataset(step, GT "/progress", 4, vox, -1, &dp, &d_prog, err);
        if (st == TSCT_OK)
            st = tsct_step_dataset(step, GT "/lattice", 5, voxlat, -1, &dp, &d_vlat, err);
        if (st == TSCT_OK && ptab[0] > 0)
            st = tsct_step_dataset(step, GT "/particle_table", 2, ptab, -1, &dp, &d_ptab, err);
    }
    if (st == TSCT_OK) {
        /* The component names, in the order of the last axis of phase_fraction. */
        char names[2048] = "";
        size_t used = 0;
        for (int k = 0; k < nc && used < sizeof names; k++)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", k ? "," : "",
                                     r.scene.component[k]);
        st = tsct_dataset_set_attr_string(d_frac, "phases", names, err);
        if (st == TSCT_OK)
            st = tsct_dataset_set_attr_string(d_pat, "phases", names, err);
        if (st == TSCT_OK)
            st = tsct_dataset_set_attr_string(d_sino, "phases", names, err);
        if (st == TSCT_OK && d_cell)
            st = tsct_dataset_set_attr_string(d_cell, "phases", names, err);
        if (st == TSCT_OK && d_vlat) {
            char vnames[256] = "";
            size_t vused = 0;
            for (int reg = 0; reg < TSCT_SIM_REGION_COUNT_; reg++) {
                int vc = tsct_sim_scene_vegard_component(&r.scene, reg);
                if (vc >= 0 && vused < sizeof vnames)
                    vused += (size_t)snprintf(vnames + vused, sizeof vnames - vused, "%s%s:%s",
                                              vused ? "," : "",
                                              tsct_sim_region_name((tsct_sim_region)reg),
                                              r.scene.material_of[vc]);
            }
            st = tsct_dataset_set_attr_string(d_vlat, "phases", vnames, err);
        }
        if (st == TSCT_OK && d_ptab)
            st = tsct_dataset_set_attr_string(d_ptab, "columns",
                                              "x, y, z, radius (voxels: x along columns, y "
                                              "along rows, z along slices), depth (0 .. 1)",
                                              err);
        if (st == TSCT_OK)
            st = tsct_dataset_set_attr_string(d_lab, "names",
                                              "0 air, 1 tube, 2 piston, 3 matrix, 4 particle, "
                                              "5 casing, 6 cu, 7 al, 8 cathode, 9 anode, "
                                              "10 separator",
                                              err);
    }
    /* Regions and particle indices: the phantom does not change with time. */
    float *plane = malloc((size_t)(n * n) * sizeof *plane);
    if (st == TSCT_OK && !plane)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "regions", -1, "plane");
    for (int64_t k = 0; st == TSCT_OK && k < nz; k++) {
        int64_t start[3] = {k, 0, 0}, count[3] = {1, n, n};
        for (int64_t v = 0; v < n * n; v++)
            plane[v] = r.phantom->region[k * n * n + v];
        st = tsct_dataset_write(d_lab, start, count, plane, err);
        for (int64_t v = 0; st == TSCT_OK && v < n * n; v++)
            plane[v] = (float)r.phantom->particle[k * n * n + v];
        if (st == TSCT_OK)
            st = tsct_dataset_write(d_part, start, count, plane, err);
    }
    free(plane);
    if (st == TSCT_OK && d_ptab) {
        const tsct_sim_phantom *ph = r.phantom;
        float *rows = malloc((size_t)(ph->nparticles * 5) * sizeof *rows);
        if (!rows)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "particle_table", -1, "rows");
        for (int64_t j = 0; st == TSCT_OK && j < ph->nparticles; j++) {
            const tsct_sim_particle *pt = &ph->particles[j];
            float row[5] = {(float)pt->x, (float)pt->y, (float)pt->z, (float)pt->radius,
                            (float)pt->depth};
            memcpy(rows + 5 * j, row, sizeof row);
        }
        int64_t s0[2] = {0, 0};
        if (st == TSCT_OK)
            st = tsct_dataset_write(d_ptab, s0, ptab, rows, err);
        free(rows);
    }

    tsct_progress progress;
    const int64_t per_t = frames ? nz * na * ns : nz;
    if (st == TSCT_OK)
        tsct_progress_begin(&progress, sink, frames ? "simulate frames" : "simulate slices",
                            nt * per_t, frames ? have_count * per_t : tsct_step_done_count(step));
    int64_t patterns_of = -1;
    double lattice[TSCT_SIM_MAX_COMPONENTS], cell[3 * TSCT_SIM_MAX_COMPONENTS];
    for (int64_t t = 0; st == TSCT_OK && t < nt; t++) {
        int render = frames && !have[t];
        if (render)
            st = tsct__sim_frames_begin(frames, t, err);
        for (int64_t z = 0; st == TSCT_OK && z < nz; z++) {
            int64_t u = t * nz + z;
            int done = tsct_step_is_done(step, u);
            if (done && !render)
                continue;
            if (patterns_of != t) {
                st = patterns_at(&r, t, lattice, cell, err);
                patterns_of = t;
                if (st != TSCT_OK)
                    break;
                int64_t ps[3] = {t, 0, 0}, pc[3] = {1, nc, nq}, ls[2] = {t, 0}, lc[2] = {1, nc};
                float lf[TSCT_SIM_MAX_COMPONENTS];
                for (int k = 0; k < nc; k++)
                    lf[k] = (float)lattice[k];
                st = tsct_dataset_write(d_pat, ps, pc, r.patterns, err);
                if (st == TSCT_OK)
                    st = tsct_dataset_write(d_lat, ls, lc, lf, err);
                if (st == TSCT_OK && d_cell) {
                    float cf[3 * TSCT_SIM_MAX_COMPONENTS];
                    int64_t cs3[3] = {t, 0, 0}, cc3[3] = {1, nc, 3};
                    for (int k = 0; k < 3 * nc; k++)
                        cf[k] = (float)cell[k];
                    st = tsct_dataset_write(d_cell, cs3, cc3, cf, err);
                }
            }
            if (st == TSCT_OK)
                st = scan_slice(&r, t, z, !frames, err);
            if (st == TSCT_OK && render)
                st = tsct__sim_frames_slice(frames, z, r.data, r.monitor, r.diode, r.fractions,
                                            r.patterns, r.mu, &progress, err);
            if (done)
                continue;
            int64_t cs[5] = {t, z, 0, 0, 0};
            int64_t cc[5] = {1, 1, na, ns, nq}, fc[5] = {1, 1, n, n, nc};
            int64_t sc[5] = {1, 1, na, ns, nc};
            if (st == TSCT_OK)
                st = tsct_dataset_write(d_data, cs, cc, r.data, err);
            if (st == TSCT_OK && d_sigma)
                st = tsct_dataset_write(d_sigma, cs, cc, r.sigma, err);
            if (st == TSCT_OK)
                st = tsct_dataset_write(d_frac, cs, fc, r.fractions, err);
            if (st == TSCT_OK)
                st = tsct_dataset_write(d_sino, cs, sc, r.sino, err);
            if (st == TSCT_OK) {
                int64_t ds[4] = {t, z, 0, 0}, dn[4] = {1, 1, na, ns};
                st = tsct_dataset_write(d_diode, ds, dn, r.diode, err);
            }
            if (st == TSCT_OK && d_prog) {
                int64_t vs[5] = {t, z, 0, 0, 0}, vc4[4] = {1, 1, n, n}, vc5[5] = {1, 1, n, n, 3};
                local_state(&r, t, z);
                st = tsct_dataset_write(d_prog, vs, vc4, r.progress, err);
                if (st == TSCT_OK)
                    st = tsct_dataset_write(d_vlat, vs, vc5, r.cells, err);
            }
            if (st == TSCT_OK && d_spots) {
                int64_t ss[4] = {t, z, 0, 0}, sn[4] = {1, 1, na, ns};
                tsct__sim_frames_spot_map(frames, t, z, r.data, r.spots);
                st = tsct_dataset_write(d_spots, ss, sn, r.spots, err);
            }
            if (st == TSCT_OK)
                st = tsct_step_mark_done(step, u, 1, err);
            if (!frames)
                tsct_progress_add(&progress, 1);
        }
        if (st == TSCT_OK && render)
            st = tsct__sim_frames_end(frames, err);
    }
    tsct_dataset *all[14] = {d_data, d_sigma, d_frac, d_pat,  d_lat,  d_sino, d_lab,
                             d_part, d_spots, d_cell, d_prog, d_vlat, d_ptab, d_diode};
    for (int k = 0; k < 14; k++)
        tsct_dataset_close(all[k]);
    if (st == TSCT_OK) {
        tsct_progress_end(&progress);
        st = tsct_step_commit(step, err);
        step = NULL;
    }
    if (st == TSCT_OK)
        st = tsct_container_set_attr_int(c, TSCT_PATH_SCAN, "zigzag", preset->zigzag, err);
    if (st == TSCT_OK)
        st = tsct_container_set_attr_string(c, TSCT_PATH_SCAN, "fast_axis", "translation", err);
    /* The beam's wavelength (m, as the geometry's): the pattern level records no detector,
     * and the calculated components of tsct map need it. */
    if (st == TSCT_OK)
        st = tsct_container_set_attr_double(c, TSCT_PATH_SCAN, "wavelength",
                                            12.398419843320026e-10 / preset->energy_kev, err);
    if (st == TSCT_OK)
        st = tsct_container_set_attr_string(c, GT, "preset", preset->name, err);
    if (st == TSCT_OK)
        st = tsct_container_set_attr_string(c, GT, "description", preset->description, err);
    if (st == TSCT_OK && params->echem_csv)
        st = write_echem(&r, params->echem_csv, err);
    tsct_step_close(step);
    if (st == TSCT_OK)
        st = tsct_container_close(c, err);
    else
        tsct_container_close(c, NULL);
    free(trans);
    free(zs);
    free(times);
    free(have);
    tsct__sim_frames_destroy(frames);
    run_free(&r);
    return st;
}

tsct_status tsct_sim_run_patterns(const tsct_sim_preset *preset, const char *path,
                                  const tsct_sim_run_params *params, const tsct_log *log,
                                  const tsct_progress_sink *sink, tsct_error *err)
{
    return run_experiment(preset, path, params, NULL, log, sink, err);
}

tsct_status tsct_sim_run_frames(const tsct_sim_preset *preset, const char *path,
                                const tsct_sim_run_params *params,
                                const tsct_sim_frames_params *frames, const tsct_log *log,
                                const tsct_progress_sink *sink, tsct_error *err)
{
    if (!frames || !frames->dir || !frames->dir[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, path, "frames", -1,
                              "the frame level needs a folder for the frames");
    if (!tsct_sim_frame_format_name(frames->format))
        return tsct_error_set(err, TSCT_ERR_VALUE, path, "frame format", (int64_t)frames->format,
                              "expected HDF5, CBF or EDF");
    return run_experiment(preset, path, params, frames, log, sink, err);
}
