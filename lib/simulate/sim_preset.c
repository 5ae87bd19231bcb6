/* sim_preset.c - the simulator's named experiments (see include/tsct/simulate.h and
 * docs/simulate.md, which lists every parameter; all sizes can be overridden with --set).
 *
 * demo: the BiVO4 operando TSCT study in miniature. A 48 x 48-voxel slice of a TSCT cell
 * (quartz tube, particles in a carbon-binder layer), 87 keV, 31 angles over 180 degrees and
 * 48 translations in snake order, 6 tomograms over two galvanostatic cycles of the conversion
 * chain BiVO4 -> nano-Bi + amorphous LiyVO4 -> LiBi -> Li3Bi, charging back to Bi (Li3Bi ->
 * LiBi -> Bi), with a reaction front from the collector, particles running through each
 * two-phase step one after another (stagger 0.95: each within 5 % of the step), 15 % of the
 * particles lost per cycle and growing Bi crystallites. The capacities are 3, 4 and 6 Li per
 * BiVO4 (82.7 mAh/g per Li); the plateaus 1.8, 0.8 and 0.7 V on discharge, 1.0 and 1.1 V on
 * charge, as the study's voltage curve shows.
 *
 * bivo4: the demo's cell and chemistry with the BiVO4 study's scan (110 x 61, 3 slices, 24
 * tomograms, 0.5 .. 8 1/A).
 *
 * si: the Si TSCT study. The bivo4 cell and scan (110 translations x 61 angles, 3 slices of
 * 5 um voxels, 87 keV, 24 tomograms over two 20 h cycles) with Si microparticles (radius 3.5
 * voxels) in carbon black, q from 0.5 to 20 1/A in 2000 channels so that PDFs resolve the
 * Si-Si bond. Kinetics: a-Si -> a-LixSi in two steps whose fractions are those of the Si atoms,
 * a-Si | 1/2 a-Si + 1/2 LixSi (Li1.875Si, 1789 mAh/g) | LixSi (Li3.75Si, 3579 mAh/g); the
 * a-Si network stretches as lithium enters (strain 0.064 over its two states: the Si-Si bond
 * goes from 2.35 toward 2.50 A); charging returns to a-Si (charge_floor 0); plateaus 0.35 and
 * 0.22 V on lithiation, 0.42 and 0.50 V on delithiation; reaction front lag 0.3 half cycles,
 * 10 % of the particles lost per cycle. Both phases are few-atom Debye clusters: a 5 A sphere
 * of diamond Si and a 7 A sphere of Li15Si4 (data/structures/Li15Si4.cif: isolated Si among
 * Li, Si-Li 2.6 - 2.9 A); a lattice scale expands the cluster itself.
 *
 * cylindrical: a commercial cylindrical cell (the AAA-cell XRD-CT study): 550 x 550 voxels of
 * 20 um, a 0.2 mm steel can around a graphite | NMC111 jelly roll (80 um coatings, 1-voxel Cu,
 * Al and separator), 550 translations x 400 angles over 180 degrees in snake order, 103.5 keV,
 * 1000 channels over 0.8 .. 6.5 1/A, a Pilatus CdTe 2M; one C/2 cycle (4 h) as 8 tomograms,
 * charge first. Two reacting layers share the cycling: the anode, graphite -> LiC6 (372
 * mAh/g, one two-phase step), and the cathode, NMC111 as a solid solution of 4 steps to 160
 * mAh/g whose a shrinks 1.4 % and c grows 1.6 % (Vegard lattice); balanced (N/P = 1), so the
 * LiC6 fraction equals the cathode's state of charge. The CSV is the cathode's with the full
 * cell's voltages (charge 3.55 -> 4.0 V, discharge 3.93 -> 3.45 V) for 2 g of NMC (320 mAh).
 *
 * nmc: NMC111 cathode particles at 1 um (the NMC XRD-CT study): a 250 x 250 um slice of a
 * capillary cell, particles of radius 5 um in carbon binder, 251 translations x 250 angles,
 * 50 keV, 1200 channels over 0.8 .. 5.5 1/A; one C/10 cycle (20 h) as 10 tomograms, charge
 * first, against lithium (3.72 -> 4.05 V on charge, 4.0 -> 3.68 V on discharge), 160 mAh/g for
 * 5 mg. The NMC111 lattice follows the local state of charge (Vegard: a -1.4 %, c +1.6 % to
 * 160 mAh/g) and the particles react from the surface inward (core-shell kinetics, a 1.5 um
 * front): during charge a delithiated shell with the larger c grows inward over a lithium-rich
 * core, during discharge lithium re-enters from the surface; the lattice is rendered in 8 bins
 * (components NMC111#0 .. #7) so each voxel scatters with its own c; a reaction-front lag of
 * 0.2 half cycles across the electrode.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/simulate.h"

static const char *const preset_names[] = {"demo", "bivo4", "si", "cylindrical", "nmc", NULL};

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

/* One Li per Si (28.0855 g/mol) is 26.80 Ah/mol / 28.0855 g/mol = 954.3 mAh/g; Li15Si4
 * (Li3.75Si) 3579 mAh/g. */
#define SI_MAH_PER_LI 954.3

/* a-Si -> a-LixSi: a two-step alloying chain whose fractions are those of the Si atoms. */
static void si_chain(tsct_sim_reaction *r)
{
    memset(r, 0, sizeof *r);
    r->nphase = 2;
    r->phase[0] = "aSi";
    r->phase[1] = "LixSi";
    r->nstate = 3;
    r->state[0][0] = 1;
    r->state[1][0] = 0.5, r->state[1][1] = 0.5;
    r->state[2][1] = 1;
    const double cap[3] = {0, 1.875 * SI_MAH_PER_LI, 3.75 * SI_MAH_PER_LI};
    /* Sloping plateaus of amorphous Si: about 0.35 and 0.2 V on lithiation, 0.4 and 0.5 V on
     * delithiation (charge_v[k] is the step k + 1 -> k). */
    const double dv[2] = {0.35, 0.22}, cv[2] = {0.50, 0.42};
    memcpy(r->capacity, cap, sizeof cap);
    memcpy(r->discharge_v, dv, sizeof dv);
    memcpy(r->charge_v, cv, sizeof cv);
    r->charge_floor = 0;
    /* Li between the Si atoms stretches the remaining Si-Si bonds: 2.35 A -> 2.50 A (+6.4 %)
     * by the time the a-Si network is used up (x = 2). */
    r->strain[0] = 0.064;
}

/* The Si TSCT study: the BiVO4 study's cell and scan, an amorphous-Si + carbon-black anode,
 * a q range for PDFs. */
static void si_study(tsct_sim_preset *p)
{
    p->name = "si";
    p->description = "the Si TSCT study: amorphous Si lithiating to amorphous LixSi, 110 "
                     "translations x 61 angles, 3 slices, 87 keV, q to 20 1/A";
    p->phantom.n = 110;
    p->phantom.nz = 3;
    p->phantom.voxel_um = 5.0;
    p->phantom.particle_radius = 3.5;
    p->phantom.particle_sd = 0.25;
    p->phantom.packing = 0.3;
    si_chain(&p->reaction);
    p->cycling.ncycles = 2;
    p->cycling.nt = 24;
    p->cycling.cycle_hours = 20.0;
    p->cycling.front_delay = 0.3;
    p->cycling.coverage_loss = 0.1;
    p->cycling.size_growth = 0.0;
    p->cycling.mass_mg = 1.0;
    const tsct_sim_material mats[] = {
        {{"air", TSCT_PHASE_BROAD, "air", 0, 1}, 0.0},
        {{"quartz", TSCT_PHASE_BROAD, "quartz", 0, 1}, 0.05},
        {{"carbon", TSCT_PHASE_BROAD, "carbon", 0, 1}, 0.01},
        /* Few-atom clusters: a 5 A sphere of diamond-type Si (29 atoms: the first three
         * shells, 2.35, 3.84 and 4.50 A, as a-Si keeps its first two) and a 7 A sphere of
         * Li15Si4 (isolated Si among Li: Si-Li 2.6 - 2.9 A, as in amorphous Li~3.75Si). */
        {{"aSi", TSCT_PHASE_NANO, "Si_COD9008566.cif", 0.5, 2e-4}, 0.042},
        {{"LixSi", TSCT_PHASE_NANO, "Li15Si4.cif", 0.7, 2e-4}, 0.02},
    };
    memset(p->materials, 0, sizeof p->materials);
    p->nmaterials = (int)(sizeof mats / sizeof mats[0]);
    memcpy(p->materials, mats, sizeof mats);
    p->na = 61;
    p->ns = 110;
    p->nq = 2000;
    p->qmin = 0.5;
    p->qmax = 20.0;
    /* The study's geometry: the beam 2 mm inside one corner of the Pilatus CdTe 2M (1679 x
     * 1475 pixels of 172 um) at 2 m, so that a quarter of every ring up to qmax (2theta 7.1
     * degrees, 250 mm from the beam) lies on the detector, and a voxel at the can's edge (5.2
     * mm from the axis along the beam) shifts its rings by dq / q = 5.2 / 2000 = 2.6e-3,
     * 0.008 1/A at NMC (104): about one peak width (0.006 1/A, 100 nm crystallites) and one
     * and a half channels. Parallax and self-absorption are rendered with
     * --set physics.parallax=1 --set physics.absorption=1 (docs/simulate.md). */
    tsct_sim_detector d = TSCT_SIM_DETECTOR_DEFAULT;
    d.name = "PilatusCdTe2M";
    d.distance_mm = 2000.0;
    d.centred = 0;
    d.poni1_mm = 20.0;
    d.poni2_mm = 2.0;
    p->detector = d;
}

/* NMC111 against lithium: one phase throughout, Li(1-y)Ni1/3Mn1/3Co1/3O2 with y from 0 to
 * 0.58 (160 mAh/g of the 278 of y = 1, the 4.3 V cut-off), in four steps so that the voltage
 * slopes; the forward steps are charges. a shrinks by 1.4 % and c grows by 1.6 % over that
 * range (Yabuuchi et al., J. Electrochem. Soc. 152 (2005) A1434: a 2.86 -> 2.82 A, c 14.23 ->
 * 14.46 A up to y ~ 0.6), a Vegard lattice of the state of charge. */
static void nmc_chain(tsct_sim_reaction *r, const double *dv, const double *cv)
{
    memset(r, 0, sizeof *r);
    r->nphase = 1;
    r->phase[0] = "NMC111";
    r->nstate = 5;
    for (int k = 0; k < 5; k++) {
        r->state[k][0] = 1;
        r->capacity[k] = 40.0 * k;
    }
    memcpy(r->discharge_v, dv, 4 * sizeof *dv);
    memcpy(r->charge_v, cv, 4 * sizeof *cv);
    r->charge_floor = 0;
    r->vegard[0][0] = r->vegard[0][1] = -0.014;
    r->vegard[0][2] = 0.016;
}

/* A commercial cylindrical cell (the AAA-cell XRD-CT study): steel can and a graphite | NMC111
 * jelly roll of 20 um voxels, 550 translations x 400 angles in snake order, 103.5 keV; one
 * charge and discharge. */
static void cylindrical_study(tsct_sim_preset *p)
{
    p->name = "cylindrical";
    p->description = "a commercial cylindrical cell (graphite | NMC111 jelly roll in a steel "
                     "can): 550 translations x 400 angles, snake scan, 103.5 keV, 1 cycle";
    tsct_sim_phantom_params ph = TSCT_SIM_PHANTOM_PARAMS_DEFAULT;
    ph.cell = TSCT_SIM_CELL_CYLINDRICAL;
    ph.n = 550;
    ph.nz = 1;
    ph.voxel_um = 20.0;
    ph.tube_radius = 0.95;   /* the can: 10.4 mm across, as an AAA cell */
    ph.tube_wall = 10.0;     /* 0.2 mm of steel */
    ph.layer_voxels = 4.0;   /* 80 um coatings: a 0.4 mm repeat of the wound stack */
    ph.seed = 1;
    p->phantom = ph;
    memset(&p->reaction, 0, sizeof p->reaction);  /* no particles */
    p->nlayers = 2;
    /* Anode: graphite -> LiC6 (372 mAh/g), as one two-phase step (the staging through LiC12
     * is left out); balanced with the cathode (N/P = 1), so both reach their end states
     * together. Potentials vs Li, not written (the CSV is the cathode's full-cell voltage). */
    tsct_sim_reaction *a = &p->layer_reaction[0];
    memset(a, 0, sizeof *a);
    p->layer_region[0] = TSCT_SIM_ANODE;
    a->nphase = 2;
    a->phase[0] = "graphite";
    a->phase[1] = "LiC6";
    a->nstate = 2;
    a->state[0][0] = 1;
    a->state[1][1] = 1;
    a->capacity[1] = 372.0;
    a->discharge_v[0] = 0.1;
    a->charge_v[0] = 0.2;
    /* Cathode: NMC111 with the full cell's voltages (charge 3.55 -> 4.0 V, discharge 3.93 ->
     * 3.45 V, sloping). */
    const double dv[4] = {3.55, 3.70, 3.85, 4.00}, cv[4] = {3.45, 3.62, 3.78, 3.93};
    p->layer_region[1] = TSCT_SIM_CATHODE;
    nmc_chain(&p->layer_reaction[1], dv, cv);
    p->echem = 2;
    tsct_sim_cycling c = TSCT_SIM_CYCLING_DEFAULT;
    c.ncycles = 1;
    c.nt = 8;
    c.cycle_hours = 4.0;     /* C/2 */
    c.front_delay = 0.0;
    c.coverage_loss = 0.0;
    c.size_growth = 0.0;
    c.mass_mg = 2000.0;      /* cathode: 320 mAh at 160 mAh/g, an AAA-sized cell */
    c.charge_first = 1;
    p->cycling = c;
    for (int k = 0; k < TSCT_SIM_REGION_COUNT_; k++)
        p->region_material[k] = NULL;
    p->region_material[TSCT_SIM_AIR] = "air";
    p->region_material[TSCT_SIM_CASING] = "steel";
    p->region_material[TSCT_SIM_CU] = "Cu";
    p->region_material[TSCT_SIM_AL] = "Al";
    p->region_material[TSCT_SIM_SEPARATOR] = "separator";
    /* Linear attenuation near 100 keV (NIST XCOM mass attenuation x density; electrode
     * coatings at their porous densities). */
    const tsct_sim_material mats[] = {
        {{"air", TSCT_PHASE_BROAD, "air", 0, 1}, 0.0},
        {{"steel", TSCT_PHASE_CRYSTAL, "Fe-alpha_COD9008536.cif", 100.0, 2e-4}, 0.29},
        {{"Cu", TSCT_PHASE_CRYSTAL, "Cu_COD9008468.cif", 100.0, 2e-4}, 0.41},
        {{"Al", TSCT_PHASE_CRYSTAL, "Al_COD9008460.cif", 100.0, 2e-4}, 0.046},
        {{"separator", TSCT_PHASE_BROAD, "separator", 0, 1}, 0.02},
        {{"graphite", TSCT_PHASE_CRYSTAL, "graphite_COD9008569.cif", 50.0, 2e-4}, 0.025},
        {{"LiC6", TSCT_PHASE_CRYSTAL, "LiC6.cif", 50.0, 2e-4}, 0.025},
        {{"NMC111", TSCT_PHASE_CRYSTAL, "NMC111_LiNi1_3Mn1_3Co1_3O2.cif", 100.0, 2e-4}, 0.08},
    };
    memset(p->materials, 0, sizeof p->materials);
    p->nmaterials = (int)(sizeof mats / sizeof mats[0]);
    memcpy(p->materials, mats, sizeof mats);
    p->energy_kev = 103.5;
    p->qmin = 0.8;
    p->qmax = 6.5;
    p->nq = 1000;
    p->na = 400;
    p->angle_range = 180.0;
    p->ns = 550;
    p->zigzag = 1;
    tsct_sim_detector d = TSCT_SIM_DETECTOR_DEFAULT;
    d.name = "PilatusCdTe2M";
    p->detector = d;
}

/* NMC cathode particles at 1 um (the NMC XRD-CT study): a 250 x 250 um slice of secondary
 * particles in carbon binder, 251 translations x 250 angles, 50 keV; one charge and discharge
 * at C/10 with core-shell delithiation and the lattice binned per voxel. */
static void nmc_study(tsct_sim_preset *p)
{
    p->name = "nmc";
    p->description = "NMC111 cathode particles at 1 um voxels with core-shell lattice "
                     "gradients: 251 translations x 250 angles, 50 keV, 1 cycle";
    p->phantom.n = 250;
    p->phantom.nz = 1;
    p->phantom.voxel_um = 1.0;
    p->phantom.tube_radius = 0.9;
    p->phantom.tube_wall = 3.0;
    p->phantom.particle_radius = 5.0;   /* 10 um secondary particles */
    p->phantom.particle_sd = 0.2;
    p->phantom.packing = 0.3;
    /* Against lithium (charge 3.72 -> 4.05 V, discharge 4.0 -> 3.68 V). */
    const double dv[4] = {3.72, 3.78, 3.88, 4.05}, cv[4] = {3.68, 3.74, 3.84, 4.00};
    nmc_chain(&p->reaction, dv, cv);
    p->reaction.shell_front = 1.5;      /* voxels */
    p->reaction.lattice_bins = 8;
    tsct_sim_cycling c = TSCT_SIM_CYCLING_DEFAULT;
    c.ncycles = 1;
    c.nt = 10;
    c.cycle_hours = 20.0;   /* C/10 */
    c.front_delay = 0.2;
    c.coverage_loss = 0.0;
    c.size_growth = 0.0;
    c.mass_mg = 5.0;
    c.charge_first = 1;
    p->cycling = c;
    const tsct_sim_material mats[] = {
        {{"air", TSCT_PHASE_BROAD, "air", 0, 1}, 0.0},
        {{"quartz", TSCT_PHASE_BROAD, "quartz", 0, 1}, 0.057},
        {{"carbon", TSCT_PHASE_BROAD, "carbon", 0, 1}, 0.03},
        {{"NMC111", TSCT_PHASE_CRYSTAL, "NMC111_LiNi1_3Mn1_3Co1_3O2.cif", 150.0, 2e-4}, 0.45},
    };
    memset(p->materials, 0, sizeof p->materials);
    p->nmaterials = (int)(sizeof mats / sizeof mats[0]);
    memcpy(p->materials, mats, sizeof mats);
    p->energy_kev = 50.0;
    p->qmin = 0.8;
    p->qmax = 5.5;
    p->nq = 1200;
    p->na = 250;
    p->ns = 251;
    tsct_sim_detector d = TSCT_SIM_DETECTOR_DEFAULT;
    d.name = "PilatusCdTe2M";
    p->detector = d;
}

double tsct_sim_translation_step(const tsct_sim_preset *p)
{
    return p->translation_step > 1 ? (double)p->translation_step : 1.0;
}

tsct_status tsct_sim_preset_get(const char *name, tsct_sim_preset *p, tsct_error *err)
{
    memset(p, 0, sizeof *p);
    tsct_sim_detector detector = TSCT_SIM_DETECTOR_DEFAULT;
    p->detector = detector;
    tsct_sim_physics_params physics = TSCT_SIM_PHYSICS_PARAMS_DEFAULT;
    p->physics = physics;
    int known = 0;
    for (int i = 0; name && preset_names[i]; i++)
        known |= strcmp(name, preset_names[i]) == 0;
    if (!known)
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, "preset", -1,
                              "unknown preset \"%s\": available: demo, bivo4, si, cylindrical, "
                              "nmc",
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
    p->reaction.stagger = 0.95;
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
        {{"air", TSCT_PHASE_BROAD, "air", 0, 1}, 0.0},
        {{"quartz", TSCT_PHASE_BROAD, "quartz", 0, 1}, 0.05},
        {{"carbon", TSCT_PHASE_BROAD, "carbon", 0, 1}, 0.01},
        /* Crystal patterns are per A^3 of material in e^2 units; the broad features are
         * relative to water: 2e-4 brings them to the same footing (order of magnitude). */
        {{"BiVO4", TSCT_PHASE_CRYSTAL, "BiVO4_monoclinic_scheelite.cif", 80.0, 2e-4}, 0.9},
        {{"Bi", TSCT_PHASE_CRYSTAL, "Bi_COD9008576.cif", 8.0, 2e-4}, 1.5},
        {{"LiyVO4", TSCT_PHASE_NANO, "V2O5_COD9012221.cif", 0.5, 2e-4}, 0.3},
        {{"LiBi", TSCT_PHASE_CRYSTAL, "LiBi.cif", 20.0, 2e-4}, 1.2},
        {{"Li3Bi", TSCT_PHASE_CRYSTAL, "Li3Bi.cif", 20.0, 2e-4}, 1.0},
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
    if (strcmp(name, "bivo4") == 0)
        bivo4_study(p);
    else if (strcmp(name, "si") == 0)
        si_study(p);
    else if (strcmp(name, "cylindrical") == 0)
        cylindrical_study(p);
    else if (strcmp(name, "nmc") == 0)
        nmc_study(p);
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
    K("particle_sd", phantom.particle_sd, 'd', 0.0, 1.0, "relative spread of particle radii"),
    K("particle_seed", phantom.seed, 'i', 0, 1e18, "particle placement seed"),
    K("tube_radius", phantom.tube_radius, 'd', 0.1, 1.0,
      "inner radius of the tube or can, fraction of n/2"),
    K("tube_wall", phantom.tube_wall, 'd', 1.0, 1e4, "tube or can wall, voxels"),
    K("layer_voxels", phantom.layer_voxels, 'd', 1.0, 1e4,
      "cylindrical cell: electrode coating, voxels"),
    K("shell_front", reaction.shell_front, 'd', 0.0, 1e4,
      "particles: core-shell front width, voxels (0 off)"),
    K("stagger", reaction.stagger, 'd', 0.0, 1.0,
      "particles: particle-by-particle steps, spread of the starts (0 off .. 1)"),
    K("lattice_bins", reaction.lattice_bins, 'n', 0, 16,
      "particles: lattice bins of Vegard phases (0 off, 2 .. 16)"),
    K("nt", cycling.nt, 'i', 1, 1e6, "time steps (tomograms)"),
    K("ncycles", cycling.ncycles, 'n', 1, 1000, "charge-discharge cycles"),
    K("cycle_hours", cycling.cycle_hours, 'd', 1e-3, 1e5, "duration of a cycle, h"),
    K("front_delay", cycling.front_delay, 'd', 0.0, 10.0, "reaction-front lag, half cycles"),
    K("coverage_loss", cycling.coverage_loss, 'd', 0.0, 1.0, "material lost per cycle"),
    K("size_growth", cycling.size_growth, 'd', 0.0, 10.0, "crystallite growth per cycle"),
    K("mass_mg", cycling.mass_mg, 'd', 1e-6, 1e7, "active mass of the CSV's reaction, mg"),
    K("energy_kev", energy_kev, 'd', 5.0, 500.0, "X-ray energy, keV"),
    K("qmin", qmin, 'd', 0.05, 50.0, "lowest q, 1/A"),
    K("qmax", qmax, 'd', 0.05, 50.0, "highest q, 1/A"),
    K("nq", nq, 'i', 16, 1e5, "q channels"),
    K("na", na, 'i', 2, 1e5, "angles"),
    K("angle_range", angle_range, 'd', 180.0, 360.0, "angular range, degrees (180 or 360)"),
    K("ns", ns, 'i', 2, 1e5, "translations"),
    K("zigzag", zigzag, 'n', 0, 1, "snake scan (1) or not (0)"),
    K("translation_step", translation_step, 'n', 1, 64,
      "voxels between translations (a coarse scan; the beam widens with it)"),
    K("beam_width", beam.width, 'd', 0.0, 100.0, "pencil beam width, voxels"),
    K("counts", counts, 'd', 0.0, 1e12, "pattern level: counts per unit pattern x path"),
    K("monitor_noise", monitor_noise, 'd', 0.0, 0.5, "relative monitor fluctuation"),
    K("detector.rows", detector.rows, 'i', 0, 1e5, "generic detector rows"),
    K("detector.cols", detector.cols, 'i', 0, 1e5, "generic detector columns"),
    K("detector.distance_mm", detector.distance_mm, 'd', 0.0, 1e5, "sample to detector, mm"),
    K("detector.counts", detector.counts, 'd', 0.0, 1e9, "frame counts per unit pattern"),
    K("detector.spot_fraction", detector.spot_fraction, 'd', 0.0, 1.0,
      "fraction of frames with single-crystal spots"),
    K("physics.parallax", physics.parallax, 'n', 0, 1,
      "frames: rings from each voxel's position along the beam (1) or the axis (0)"),
    K("physics.absorption", physics.absorption, 'n', 0, 1,
      "frames: incident and scattered beams attenuated per voxel (1) or whole-path (0)"),
    K("physics.depth_bin", physics.depth_bin, 'd', 0.25, 1e4,
      "frames: voxels along the beam rendered at one position"),
    K("physics.nazimuth", physics.nazimuth, 'n', 2, 4096,
      "frames: exit directions traced for the outgoing attenuation"),
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
    static char help[8192];
    if (!help[0]) {
        size_t used = 0;
        for (size_t i = 0; i < sizeof preset_keys / sizeof preset_keys[0]; i++)
            used += (size_t)snprintf(help + used, sizeof help - used, "  %-24s %s\n",
                                     preset_keys[i].key, preset_keys[i].meaning);
    }
    return help;
}
