/* sim_preset.c - the simulator's named experiments (see include/tsct/simulate.h).
 *
 * demo: the BiVO4 operando TSCT study in miniature. A 48 x 48-voxel slice of a TSCT cell
 * (quartz tube, particles in a carbon-binder layer), 87 keV, 31 angles over 180 degrees and
 * 48 translations in snake order, 6 tomograms over two galvanostatic cycles of the conversion
 * chain BiVO4 -> nano-Bi + amorphous LiyVO4 -> LiBi -> Li3Bi, charging back to Bi (Li3Bi ->
 * LiBi -> Bi), with a reaction front from the collector, 15 % of the particles lost per cycle
 * and growing Bi crystallites. The capacities are 3, 4 and 6 Li per BiVO4 (82.7 mAh/g per Li);
 * the plateaus 1.8, 0.8 and 0.7 V on discharge, 1.0 and 1.1 V on charge, as the study's
 * voltage curve shows.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/simulate.h"
#include "tsct_config.h"

const char *tsct_sim_default_data_dirs(void)
{
    const char *env = getenv("TSCT_STRUCTURES");
    return env && *env ? env : TSCT_DATA_DIRS;
}

static const char *const preset_names[] = {"demo", "bivo4", NULL};

const char *const *tsct_sim_preset_names(void)
{
    return preset_names;
}

static void bivo4_chain(tsct_sim_reaction *r)
{
    memset(r, 0, sizeof *r);
    r->nphase = 5;
    r->phase[0] = "BiVO4";
    r->phase[1] = "Bi";
    r->phase[2] = "LiyVO4";
    r->phase[3] = "LiBi";
    r->phase[4] = "Li3Bi";
    r->nstate = 4;
    r->state[0][0] = 1;
    r->state[1][1] = 0.5, r->state[1][2] = 0.5;
    r->state[2][3] = 0.5, r->state[2][2] = 0.5;
    r->state[3][4] = 0.5, r->state[3][2] = 0.5;
    const double cap[4] = {0, 3 * 82.7, 4 * 82.7, 6 * 82.7};
    const double dv[3] = {1.8, 0.8, 0.7}, cv[3] = {3.0, 1.1, 1.0};
    memcpy(r->capacity, cap, sizeof cap);
    memcpy(r->discharge_v, dv, sizeof dv);
    memcpy(r->charge_v, cv, sizeof cv);
    r->charge_floor = 1;
    r->strain[3] = 0.01;  /* LiBi expands as it lithiates */
    r->strain[4] = 0.005;
}

/* The BiVO4 TSCT study's scan on the demo's cell and chemistry: 110 translations x 61 angles
 * over 180 degrees, 3 slices, 87 keV, two cycles recorded as 24 tomograms, a Pilatus 2M at
 * 0.9 m, 2000 channels over 0.5 .. 8 1/A (the PDF needs the wide range). */
static void bivo4_study(tsct_sim_preset *p)
{
    p->name = "bivo4";
    p->description = "the BiVO4 TSCT study: 110 translations x 61 angles, 3 slices, 87 keV, "
                     "24 tomograms over 2 cycles";
    p->phantom.n = 110;
    p->phantom.nz = 3;
    p->phantom.voxel_um = 5.0;
    p->phantom.particle_radius = 6.0;
    p->cycling.nt = 24;
    p->na = 61;
    p->ns = 110;
    p->nq = 2000;
    p->qmin = 0.5;
    p->qmax = 8.0;
    tsct_sim_detector d = TSCT_SIM_DETECTOR_DEFAULT;
    d.distance_mm = 900.0;
    p->detector = d;
}

tsct_status tsct_sim_preset_get(const char *name, tsct_sim_preset *p, tsct_error *err)
{
    memset(p, 0, sizeof *p);
    tsct_sim_detector detector = TSCT_SIM_DETECTOR_DEFAULT;
    p->detector = detector;
    const int bivo4 = name && strcmp(name, "bivo4") == 0;
    if (!name || (strcmp(name, "demo") != 0 && !bivo4))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, "preset", -1,
                              "unknown preset \"%s\": available: demo, bivo4",
                              name ? name : "");
    p->name = "demo";
    p->description = "BiVO4 anode in a TSCT cell, 48 x 48 voxels, 6 tomograms over 2 cycles";
    tsct_sim_phantom_params ph = TSCT_SIM_PHANTOM_PARAMS_DEFAULT;
    ph.n = 48;
    ph.nz = 1;
    ph.voxel_um = 10.0;
    ph.tube_radius = 0.85;
    ph.tube_wall = 2.0;
    ph.particle_radius = 3.5;
    ph.particle_sd = 0.2;
    ph.packing = 0.3;
    ph.seed = 1;
    p->phantom = ph;
    bivo4_chain(&p->reaction);
    tsct_sim_cycling c = TSCT_SIM_CYCLING_DEFAULT;
    c.ncycles = 2;
    c.nt = 6;
    c.cycle_hours = 10.0;
    c.front_delay = 0.3;
    c.coverage_loss = 0.15;
    c.size_growth = 0.2;
    c.mass_mg = 1.0;
    p->cycling = c;
    p->region_material[TSCT_SIM_AIR] = "air";
    p->region_material[TSCT_SIM_TUBE] = "quartz";
    p->region_material[TSCT_SIM_MATRIX] = "carbon";
    const tsct_sim_material mats[] = {
        {"air", TSCT_SIM_BROAD, "air", 0, 1, 0.0},
        {"quartz", TSCT_SIM_BROAD, "quartz", 0, 1, 0.05},
        {"carbon", TSCT_SIM_BROAD, "carbon", 0, 1, 0.01},
        /* Crystal patterns are per A^3 of material in e^2 units; the broad features are
         * relative to water: 2e-4 brings them to the same footing (order of magnitude). */
        {"BiVO4", TSCT_SIM_CRYSTAL, "BiVO4_monoclinic_scheelite.cif", 80.0, 2e-4, 0.9},
        {"Bi", TSCT_SIM_CRYSTAL, "Bi_COD9008576.cif", 8.0, 2e-4, 1.5},
        {"LiyVO4", TSCT_SIM_NANO, "V2O5_COD9012221.cif", 0.5, 2e-4, 0.3},
        {"LiBi", TSCT_SIM_CRYSTAL, "LiBi.cif", 20.0, 2e-4, 1.2},
        {"Li3Bi", TSCT_SIM_CRYSTAL, "Li3Bi.cif", 20.0, 2e-4, 1.0},
    };
    p->nmaterials = (int)(sizeof mats / sizeof mats[0]);
    memcpy(p->materials, mats, sizeof mats);
    p->energy_kev = 87.0;
    p->qmin = 0.8;
    p->qmax = 4.5;
    p->nq = 600;
    p->na = 31;
    p->angle_range = 180.0;
    p->ns = 48;
    p->zigzag = 1;
    tsct_sim_beam beam = {1.0, TSCT_SIM_BEAM_TOPHAT, 4};
    p->beam = beam;
    p->counts = 2e4;
    p->monitor_noise = 0.01;
    /* Frames: a 16 x 1920-pixel strip of 75 um pixels 1.35 m from the sample, the beam at
     * its left edge, slightly tilted: 0.8 .. 4.5 1/A falls on columns 330 .. 1846, about
     * three columns per q channel (so integration resolves the channels), and rendering and
     * integrating the 8928 frames take seconds. */
    p->detector.name = "Detector";
    p->detector.rows = 16;
    p->detector.cols = 1920;
    p->detector.pixel_um = 75.0;
    p->detector.distance_mm = 1350.0;
    p->detector.centred = 0;
    p->detector.poni1_mm = 8 * 0.075;
    p->detector.poni2_mm = 0.0;
    p->detector.rot1 = 0.002;
    p->detector.rot2 = -0.003;
    /* About 50 pixels per q channel: 2000 counts per unit of pattern keep the noise of an
     * integrated channel near that of the pattern level (counts 2e4 per channel). */
    p->detector.counts = 2000.0;
    if (bivo4)
        bivo4_study(p);
    return TSCT_OK;
}

/* ---- overrides ---------------------------------------------------------------------------- */

static const struct preset_key {
    const char *key;
    size_t offset;
    char type; /* 'i' int64_t, 'd' double, 'n' int */
    double lo, hi;
    const char *meaning;
} preset_keys[] = {
#define K(name, field, type, lo, hi, meaning) {name, offsetof(tsct_sim_preset, field), type, lo, hi, meaning}
    K("n", phantom.n, 'i', 16, 4096, "voxels per side of a slice"),
    K("nz", phantom.nz, 'i', 1, 4096, "slices"),
    K("voxel_um", phantom.voxel_um, 'd', 1e-3, 1e6, "voxel size, um"),
    K("particle_radius", phantom.particle_radius, 'd', 0.5, 1e4, "mean particle radius, voxels"),
    K("packing", phantom.packing, 'd', 0.0, 0.6, "particle volume fraction"),
    K("particle_seed", phantom.seed, 'i', 0, 1e18, "particle placement seed"),
    K("nt", cycling.nt, 'i', 1, 1e6, "time steps (tomograms)"),
    K("ncycles", cycling.ncycles, 'n', 1, 1000, "charge-discharge cycles"),
    K("cycle_hours", cycling.cycle_hours, 'd', 1e-3, 1e5, "duration of a cycle, h"),
    K("front_delay", cycling.front_delay, 'd', 0.0, 10.0, "reaction-front lag, half cycles"),
    K("coverage_loss", cycling.coverage_loss, 'd', 0.0, 1.0, "material lost per cycle"),
    K("size_growth", cycling.size_growth, 'd', 0.0, 10.0, "crystallite growth per cycle"),
    K("energy_kev", energy_kev, 'd', 5.0, 500.0, "X-ray energy, keV"),
    K("qmin", qmin, 'd', 0.05, 50.0, "lowest q, 1/A"),
    K("qmax", qmax, 'd', 0.05, 50.0, "highest q, 1/A"),
    K("nq", nq, 'i', 16, 1e5, "q channels"),
    K("na", na, 'i', 2, 1e5, "angles"),
    K("angle_range", angle_range, 'd', 180.0, 360.0, "angular range, degrees (180 or 360)"),
    K("ns", ns, 'i', 2, 1e5, "translations"),
    K("zigzag", zigzag, 'n', 0, 1, "snake scan (1) or not (0)"),
    K("counts", counts, 'd', 0.0, 1e12, "pattern level: counts per unit pattern x path"),
    K("monitor_noise", monitor_noise, 'd', 0.0, 0.5, "relative monitor fluctuation"),
    K("detector.rows", detector.rows, 'i', 0, 1e5, "generic detector rows"),
    K("detector.cols", detector.cols, 'i', 0, 1e5, "generic detector columns"),
    K("detector.distance_mm", detector.distance_mm, 'd', 0.0, 1e5, "sample to detector, mm"),
    K("detector.counts", detector.counts, 'd', 0.0, 1e9, "frame counts per unit pattern"),
    K("detector.spot_fraction", detector.spot_fraction, 'd', 0.0, 1.0,
      "fraction of frames with single-crystal spots"),
#undef K
};

tsct_status tsct_sim_preset_set(tsct_sim_preset *p, const char *key, const char *value,
                                tsct_error *err)
{
    for (size_t i = 0; i < sizeof preset_keys / sizeof preset_keys[0]; i++) {
        const struct preset_key *k = &preset_keys[i];
        if (strcmp(k->key, key) != 0)
            continue;
        char *end = NULL;
        double v = strtod(value ? value : "", &end);
        if (!value || !*value || *end || !isfinite(v) || v < k->lo || v > k->hi ||
            (k->type != 'd' && v != floor(v)))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, key, -1,
                                  "%s (%s) expects %s from %g to %g, got '%s'", key, k->meaning,
                                  k->type == 'd' ? "a number" : "a whole number", k->lo, k->hi,
                                  value ? value : "");
        char *field = (char *)p + k->offset;
        if (k->type == 'i')
            *(int64_t *)(void *)field = (int64_t)v;
        else if (k->type == 'n')
            *(int *)(void *)field = (int)v;
        else
            *(double *)(void *)field = v;
        size_t used = strlen(p->overrides);
        snprintf(p->overrides + used, sizeof p->overrides - used, "%s%s=%s", used ? "," : "",
                 key, value);
        return TSCT_OK;
    }
    char known[2048] = "";
    for (size_t i = 0; i < sizeof preset_keys / sizeof preset_keys[0]; i++) {
        size_t used = strlen(known);
        snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", preset_keys[i].key);
    }
    return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, key, -1,
                          "unknown preset parameter '%s'; known: %s", key, known);
}

const char *tsct_sim_preset_keys_help(void)
{
    static char help[4096];
    if (!help[0]) {
        size_t used = 0;
        for (size_t i = 0; i < sizeof preset_keys / sizeof preset_keys[0]; i++)
            used += (size_t)snprintf(help + used, sizeof help - used, "  %-24s %s\n",
                                     preset_keys[i].key, preset_keys[i].meaning);
    }
    return help;
}
