/* tsct/simulate.h - synthetic XRD-CT / TSCT experiments with known ground truth.
 *
 * The simulator builds what a beamline would measure from a phantom whose every voxel's
 * content is known, so each stage of tsct can be scored against the truth. This header holds
 * the pieces in the order data flow through them:
 *
 *   phantom              a cell cross-section, slice by slice: every voxel's region (air,
 *                        quartz tube, glassy-carbon piston, carbon-binder matrix, active
 *                        particle, casing, current collectors, electrodes, separator) and
 *                        which particle it belongs to
 *   operando kinetics    a conversion chain of the active material (e.g. BiVO4 -> Bi +
 *                        LiyVO4 -> LiBi -> Li3Bi and back) driven by galvanostatic cycling;
 *                        each particle follows the cell with a delay that grows with its
 *                        depth (a reaction front moving from the current collector), loses
 *                        active material cycle by cycle, and its phases' lattice parameters
 *                        and crystallite sizes drift (isotropically, or anisotropically for
 *                        solid solutions such as NMC); optionally each particle converts
 *                        from its surface inward (core-shell), so its voxels differ; layers
 *                        (a cylindrical cell's anode and cathode) follow their own chains;
 *                        with the matching electrochemistry
 *   detector frames      a pattern rendered onto an area detector (pyFAI geometry), with
 *                        solid angle, polarization, module gaps, Poisson noise, dark, flat
 *                        and single-crystal spots
 *   scan forward model   line integrals of per-voxel quantities (phase fractions, patterns,
 *                        attenuation) along a pencil beam of finite width, for every angle
 *                        and translation, in the coordinates of tsct's reconstruction
 *
 * What each component scatters like is not the simulator's: its patterns come from the phase
 * model of lib/physics (tsct/phase.h), which the unmixing maps and the refinement share.
 *
 * Coordinates are those of include/tsct/tomo.h (scikit-image's): the image is [n][n] (row i,
 * column k), the rotation axis is at pixel (n/2, n/2) (integer division), and at angle theta
 * (degrees) the ray with detector coordinate s (translation bin; the axis at ns/2) is the line
 *     (k - n/2) cos(theta) - (i - n/2) sin(theta) = s - ns/2
 * so reconstructing a simulated sinogram with tsct_tomo_fbp_execute() puts every voxel back where
 * it was. Lengths are in pixels: multiply by the voxel size for physical path lengths.
 *
 * Thread safety: functions are reentrant; projections run OpenMP over angles.
 */
#ifndef TSCT_SIMULATE_H
#define TSCT_SIMULATE_H

#include <stddef.h>
#include <stdint.h>

#include "tsct/phase.h"
#include "tsct/poni.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- phantoms ---------------------------------------------------------------------------- */

/* What a voxel is made of, before any phase evolves. */
typedef enum tsct_sim_region {
    TSCT_SIM_AIR = 0,
    TSCT_SIM_TUBE,        /* quartz capillary / tube wall (amorphous SiO2) */
    TSCT_SIM_PISTON,      /* glassy-carbon piston (current collector of the TSCT cells) */
    TSCT_SIM_MATRIX,      /* carbon black + binder + electrolyte between particles */
    TSCT_SIM_PARTICLE,    /* an active-material particle (see the particle map) */
    TSCT_SIM_CASING,      /* steel can of a commercial cell */
    TSCT_SIM_CU,          /* copper current collector (anode side) */
    TSCT_SIM_AL,          /* aluminium current collector (cathode side) */
    TSCT_SIM_CATHODE,     /* cathode composite layer */
    TSCT_SIM_ANODE,       /* anode composite layer (graphite) */
    TSCT_SIM_SEPARATOR,   /* polymer separator soaked in electrolyte */
    TSCT_SIM_REGION_COUNT_
} tsct_sim_region;

/* Name of a region ("air", "tube", ...). */
const char *tsct_sim_region_name(tsct_sim_region r);

typedef enum tsct_sim_cell {
    /* The TSCT cells of the BiVO4 and Si studies, seen in horizontal slices: a quartz tube;
     * inside it, slices through the electrode layer show particles in the carbon-binder
     * matrix, slices below it (the first piston_slices) the glassy-carbon piston. The current
     * collector (the piston's top) lies two particle radii below the first electrode slice
     * and the layer ends two radii above the last, so the imaged slices cut the layer's
     * interior; a particle's depth is its height above the collector over the layer
     * thickness. */
    TSCT_SIM_CELL_TSCT = 0,
    /* A cylindrical commercial cell cross-section: steel can, and inside it the jelly roll,
     * an Archimedean spiral of Al | cathode | separator | anode | Cu | anode | separator |
     * cathode repeated, around a hollow centre. */
    TSCT_SIM_CELL_CYLINDRICAL = 1,
} tsct_sim_cell;

typedef struct tsct_sim_phantom_params {
    tsct_sim_cell cell;
    int64_t n;                /* voxels per side of a slice (32 .. 2048) */
    int64_t nz;               /* slices */
    double voxel_um;          /* voxel size, micrometres */
    /* TSCT cell: */
    double tube_radius;       /* inner radius of the tube, as a fraction of n/2 (0.85) */
    double tube_wall;         /* wall thickness, voxels (3) */
    int64_t piston_slices;    /* slices at the bottom that cut the piston (0 .. nz - 1) */
    double particle_radius;   /* mean particle radius, voxels */
    double particle_sd;       /* relative standard deviation of the radius (0.25) */
    double packing;           /* particle volume fraction of the electrode layer (0.3) */
    /* cylindrical cell: */
    double layer_voxels;      /* thickness of one electrode layer, voxels (4) */
    uint64_t seed;            /* particle placement */
} tsct_sim_phantom_params;

#define TSCT_SIM_PHANTOM_PARAMS_DEFAULT                                                     \
    {TSCT_SIM_CELL_TSCT, 64, 1, 1.0, 0.85, 3.0, 0, 4.0, 0.25, 0.3, 4.0, 1}

/* A spherical particle. Coordinates in voxels: x along columns, y along rows, z along slices
 * (slice k spans z in [k, k + 1)); depth in [0, 1]: 0 at the current collector, 1 at the far
 * side of the electrode (the reaction front starts at depth 0). */
typedef struct tsct_sim_particle {
    double x, y, z, radius;
    double depth;
} tsct_sim_particle;

typedef struct tsct_sim_phantom {
    int64_t n, nz;
    double voxel_um;
    uint8_t *region;          /* [nz][n][n] tsct_sim_region */
    int32_t *particle;        /* [nz][n][n] index into particles, -1 outside particles */
    int64_t nparticles;
    tsct_sim_particle *particles;
} tsct_sim_phantom;

/* Build a phantom. Particles are placed at random (seeded) without overlap in the electrode
 * layer until the packing fraction is reached or no place is left (random sequential addition
 * jams near 0.35); a voxel belongs to a particle if its centre lies inside the sphere. Errors:
 * TSCT_ERR_VALUE (sizes or fractions out of range, naming the parameter), TSCT_ERR_NOMEM.
 * Deterministic: the same parameters give the same phantom on any machine. */
tsct_status tsct_sim_phantom_create(const tsct_sim_phantom_params *params,
                                    tsct_sim_phantom **out, tsct_error *err);

/* Free a phantom. NULL allowed. */
void tsct_sim_phantom_destroy(tsct_sim_phantom *p);

/* A reproducible uniform random number generator (xoshiro256**), for the simulator's noise
 * and placements: the same seed gives the same stream on every platform. */
typedef struct tsct_sim_rng {
    uint64_t s[4];
} tsct_sim_rng;

void tsct_sim_rng_seed(tsct_sim_rng *r, uint64_t seed);
uint64_t tsct_sim_rng_next(tsct_sim_rng *r);
double tsct_sim_rng_uniform(tsct_sim_rng *r);   /* [0, 1) with 53 random bits */
double tsct_sim_rng_normal(tsct_sim_rng *r);    /* standard normal (Box-Muller) */

/* ---- operando kinetics --------------------------------------------------------------- */

#define TSCT_SIM_MAX_PHASES 16
#define TSCT_SIM_MAX_STATES 8

/* The conversion chain of an active material. The reaction coordinate x runs from 0 (the
 * pristine state) to nstate - 1 (fully lithiated, or for a cathode fully delithiated); at
 * integer x = k the particle holds the phase mixture state[k]; between states the mixture is
 * interpolated linearly (two-phase reactions). The forward half cycles (discharge of an anode
 * against lithium; charge where cycling.charge_first is set) drive x up, the others down to
 * `charge_floor` (conversion reactions are not reversed to the pristine phase). Fractions are
 * of the particle's scattering material and sum to 1 in every state; a phase may appear in
 * every state (a solid solution whose lattice follows x, see vegard). */
typedef struct tsct_sim_reaction {
    int nphase;
    const char *phase[TSCT_SIM_MAX_PHASES];   /* names, e.g. "BiVO4", "Bi", "LiVO4_am" */
    int nstate;
    double state[TSCT_SIM_MAX_STATES][TSCT_SIM_MAX_PHASES];
    double capacity[TSCT_SIM_MAX_STATES];     /* specific capacity at each state, mAh/g,
                                                 increasing, capacity[0] = 0 */
    double discharge_v[TSCT_SIM_MAX_STATES];  /* plateau potential (V; vs Li/Li+, or the
                                                 full cell's) of the forward step from state
                                                 k to k + 1 (a discharge unless
                                                 cycling.charge_first) */
    double charge_v[TSCT_SIM_MAX_STATES];     /* of the step from k + 1 back to k */
    int charge_floor;                         /* lowest state reached going back */
    /* Lattice drift: while a phase exists, its lattice parameters scale by
     * 1 + strain[p] * (x - first state holding p) / (number of states holding it), a
     * Vegard-like expansion with lithium content. */
    double strain[TSCT_SIM_MAX_PHASES];
    /* Anisotropic Vegard lattice of a solid solution (e.g. Li(1-y)NMC, whose a shrinks and c
     * grows as lithium leaves): phase p's a, b and c scale by 1 + vegard[p][i] * x / (nstate -
     * 1), linearly in the reaction coordinate x over the whole chain. Where any of the three is
     * nonzero it replaces strain[p]. All zero: no Vegard lattice. */
    double vegard[TSCT_SIM_MAX_PHASES][3];
    /* Core-shell kinetics inside particles (0: off, every voxel of a particle holds the
     * particle's reaction coordinate): each half cycle's reaction advances from the particle's
     * surface inward as a shrinking core whose front is `shell_front` voxels wide (see
     * tsct_sim_local_progress), so the voxels of one particle differ with their depth below its
     * surface. */
    double shell_front;
    /* Particle-by-particle two-phase steps (0: off, every particle follows the cell through
     * each step). Particles of a phase-separating material do not transform together: at low
     * and moderate rates a few particles at a time run through the two-phase reaction while
     * the others wait in one of the end states (W. Dreyer et al., Nature Mater. 9 (2010) 448;
     * Y. Li et al., Science 344 (2014) 1480). With stagger s in (0, 1] the particles start a
     * step at points spread over the fraction s of it, ordered by a rank fixed per particle,
     * and each crosses it within the remaining 1 - s (s = 1: at once), so that the particles
     * together follow the cell: the mean over ranks is the cell's coordinate exactly (see
     * tsct_sim_staggered). Exclusive with shell_front. */
    double stagger;
    /* Lattice bins (0: off): a phase with a Vegard lattice is rendered as lattice_bins (2 ..
     * 16) components "NAME#k" whose lattices are those at x = k (nstate - 1) / (lattice_bins -
     * 1); a voxel's fraction of the phase is shared between the two bins around its own
     * reaction coordinate (weights linear in x), so each voxel scatters with its own lattice
     * (gradients inside particles, particles at different depths). Off, the phase is one
     * component whose lattice is that of the cell as a whole (depth 0.5). */
    int lattice_bins;
} tsct_sim_reaction;

typedef struct tsct_sim_cycling {
    int ncycles;             /* discharge + charge cycles (>= 1) */
    int64_t nt;              /* time steps (tomograms) over all cycles, evenly spaced */
    double cycle_hours;      /* duration of one cycle, h */
    double front_delay;      /* lag of the deepest particle behind the collector, as a
                                fraction of a half cycle (0 = uniform reaction) */
    double coverage_loss;    /* active material lost per cycle (fraction of the initial) by
                                pulverisation and loss of contact */
    double size_growth;      /* relative crystallite growth per cycle */
    double mass_mg;          /* active mass, mg (sets the current and the capacity in mAh) */
    int charge_first;        /* 0: the forward half cycles (x rising) are discharges, as for an
                                anode against lithium; 1: they are charges (a cathode against
                                lithium, a full cell): the current is positive in them and the
                                IR drop raises the voltage */
} tsct_sim_cycling;

#define TSCT_SIM_CYCLING_DEFAULT {2, 12, 10.0, 0.3, 0.1, 0.2, 1.0, 0}

/* The reaction coordinate of the cell at time t (h) and of a particle at depth d (0 .. 1):
 * the cell's coordinate delayed by d * front_delay half cycles. Piecewise linear in time:
 * discharge from the current state up to nstate - 1 in each half cycle, charge down to
 * charge_floor in the next. */
double tsct_sim_progress(const tsct_sim_reaction *r, const tsct_sim_cycling *c, double t_hours,
                         double depth);

/* Core-shell (shrinking-core) kinetics: the reaction coordinate of a voxel `d` voxels below
 * the surface of a particle of radius R = `radius` voxels at electrode depth `depth`, at time
 * t. With x the particle's coordinate (tsct_sim_progress) and x0 -> x1 the span of the half
 * cycle in progress, the particle has gone p = (x - x0) / (x1 - x0) of the way; the reacted
 * shell, of volume fraction p, reaches w = R (1 - (1 - p)^(1/3)) below the surface, and the
 * voxel's coordinate is
 *     x0 + (x1 - x0) clamp((w - d) / l + 1/2, 0, 1),   l = min(shell_front, 2 w, 2 (R - w))
 * a linear ramp across the front, narrowed near the surface and the centre so that it never
 * reaches past them (a step where l = 0): every voxel at x0 when p = 0, at x1 when p = 1. A
 * reverse half cycle starts again from the surface (lithium leaves and enters through it).
 * Returns tsct_sim_progress() when shell_front <= 0. */
double tsct_sim_local_progress(const tsct_sim_reaction *r, const tsct_sim_cycling *c,
                               double t_hours, double depth, double radius, double d);

/* Particle-by-particle kinetics: the reaction coordinate of a particle of rank u (0 .. 1)
 * when its depth in the electrode puts it at x (tsct_sim_progress). Within the step k -> k + 1
 * that x is in, y = x - k; the particle's own progress is
 *     y_u = clamp((Y - u s) / (1 - s), 0, 1)          (s = r->stagger; a step at Y = u if s = 1)
 * with Y the solution of M(Y) = y, M(Y) = integral over u in [0, 1] of y_u: particles of
 * uniformly spread ranks hold on average exactly the fraction y of the step's product, so the
 * phase amounts stay those of the capacity passed. M(Y) = (H(Y) - H(Y - s)) / s with
 * H(z) = 0 (z <= 0), z^2 / (2 w) (0 < z < w), z - w / 2 (z >= w), w = 1 - s; it is increasing
 * and is inverted by bisection. Integer x (a state) is returned unchanged; so is x when
 * stagger <= 0. Returns k + y_u. */
double tsct_sim_staggered(const tsct_sim_reaction *r, double x, double rank);

/* Phase fractions (nphase values, summing to 1) at reaction coordinate x, and the lattice
 * scale factor of each phase (1 where the phase is absent; for a Vegard phase the isotropic
 * equivalent (sa sb sc)^(1/3) of its cell scales). Either output may be NULL. */
void tsct_sim_mixture(const tsct_sim_reaction *r, double x, double *fraction, double *lattice);

/* The scale factors of phase p's cell lengths a, b, c at reaction coordinate x: the Vegard
 * lattice where vegard[p] is set, else the isotropic strain of tsct_sim_mixture() three times
 * (1 where the phase is absent). */
void tsct_sim_cell_scale(const tsct_sim_reaction *r, double x, int p, double scale[3]);

/* Fraction of the initial active material still taking part after t hours: 1 minus
 * coverage_loss per elapsed cycle, not below 0. Particles are lost whole: a particle's
 * "loss rank" (0 .. 1, e.g. a random number fixed per particle) below the lost fraction means
 * it is gone; tsct_sim_particle_active() applies that rule. */
double tsct_sim_coverage(const tsct_sim_cycling *c, double t_hours);
int tsct_sim_particle_active(const tsct_sim_cycling *c, double t_hours, double loss_rank);

/* Relative crystallite size after t hours (1 at the start, + size_growth per cycle). */
double tsct_sim_size_factor(const tsct_sim_cycling *c, double t_hours);

/* Time (h) of time step it (0 .. nt - 1): the middle of its share of the experiment. */
double tsct_sim_time_of_step(const tsct_sim_cycling *c, int64_t it);

/* The electrochemistry of the cell as a galvanostatic experiment would log it: at time t,
 * the current (mA; negative on discharge), the capacity passed since the start of the
 * current half cycle (mAh) and the voltage (V): the plateau of the step in progress,
 * smoothed over 1 % of the capacity around each state, with an IR drop of 30 mV. */
typedef struct tsct_sim_echem {
    double time_h, voltage, current_ma, capacity_mah, progress;
} tsct_sim_echem;

void tsct_sim_echem_at(const tsct_sim_reaction *r, const tsct_sim_cycling *c, double t_hours,
                       tsct_sim_echem *out);

/* Check a reaction and a cycling description: sizes, fractions summing to 1, capacities
 * increasing, finite voltages, charge_floor in range, nt >= 1, durations > 0, losses in
 * [0, 1]. Errors name the field and index. */
tsct_status tsct_sim_kinetics_check(const tsct_sim_reaction *r, const tsct_sim_cycling *c,
                                    tsct_error *err);

/* ---- the scene: what every voxel holds at every time step ------------------------------- */

#define TSCT_SIM_MAX_COMPONENTS 32

/* A phantom together with what its regions are made of: a fixed material (a name such as
 * "quartz", "glassy_carbon", "carbon", "steel", "air") or an active material following a
 * reaction under `cycling` (the particles, and layers such as a cylindrical cell's anode and
 * cathode, each with its own reaction; all share the cycling). Particles of an inactive (lost)
 * particle hold nothing. The scene's components are the fixed materials, then the phases of
 * each reaction, each name once (a phase appearing in two reactions is one component); a
 * phase split into lattice bins (tsct_sim_reaction.lattice_bins) is lattice_bins consecutive
 * components "NAME#0" ... whose material is NAME. */
typedef struct tsct_sim_scene {
    const tsct_sim_phantom *phantom;
    const char *material[TSCT_SIM_REGION_COUNT_];            /* fixed regions, else NULL */
    const tsct_sim_reaction *reaction[TSCT_SIM_REGION_COUNT_];/* active regions, else NULL */
    tsct_sim_cycling cycling;
    uint64_t seed;                /* per-particle loss and order ranks */
    /* Filled by tsct_sim_scene_init: */
    int ncomponents;
    const char *component[TSCT_SIM_MAX_COMPONENTS];
    int map[TSCT_SIM_REGION_COUNT_][TSCT_SIM_MAX_PHASES];    /* region, phase -> component;
                                                                fixed regions use [r][0]; a
                                                                binned phase's first bin */
    double *loss_rank;            /* [nparticles], owned */
    double *order_rank;           /* [nparticles], owned: the order in which particles run
                                     through a staggered step (reaction.stagger), ranks
                                     (j + 1/2) / nparticles in a random order */
    int nbins[TSCT_SIM_REGION_COUNT_][TSCT_SIM_MAX_PHASES];  /* components of each reaction
                                                                phase: 1, or its lattice bins */
    const char *material_of[TSCT_SIM_MAX_COMPONENTS];  /* the material each component
                                                          scatters as: its name, or the
                                                          phase of a lattice bin */
    int bin[TSCT_SIM_MAX_COMPONENTS];         /* lattice bin k of a component, -1 if none */
    double bin_scale[TSCT_SIM_MAX_COMPONENTS][3];  /* a, b, c scales of a bin's lattice */
    int reacting[TSCT_SIM_MAX_COMPONENTS];    /* 1 for the phases of a reaction */
    char (*bin_names)[48];        /* storage of the bins' names, owned */
} tsct_sim_scene;

/* Validate the mapping (every region present in the phantom has exactly one of material or
 * reaction; the reactions and cycling pass tsct_sim_kinetics_check), list the components and
 * draw the particles' loss and order ranks. Release with tsct_sim_scene_release (a scene that
 * failed to initialise holds nothing). Errors: TSCT_ERR_VALUE naming the region,
 * TSCT_ERR_NOMEM. */
tsct_status tsct_sim_scene_init(tsct_sim_scene *scene, tsct_error *err);
void tsct_sim_scene_release(tsct_sim_scene *scene);

/* Component fractions of every voxel of slice `slice` at time step `it`:
 * out[n][n][ncomponents] (C order), each voxel's fractions summing to 1 for present material
 * and to 0 for a lost particle. Reaction coordinates use the particle's depth (particles; with
 * core-shell kinetics the voxel's depth below the particle's surface too) or 0.5 (layers); a
 * binned phase's fraction is shared between the two bins around the voxel's coordinate. */
void tsct_sim_scene_fractions(const tsct_sim_scene *scene, int64_t it, int64_t slice,
                              float *out);

/* Lattice scale factors of every reaction phase at time step `it` as seen in the cell as a
 * whole (the reaction coordinate at depth 0.5): lattice[ncomponents], 1 for fixed materials;
 * a lattice bin's own (fixed) lattice; for anisotropic (Vegard) lattices the isotropic
 * equivalent (sa sb sc)^(1/3). */
void tsct_sim_scene_lattice(const tsct_sim_scene *scene, int64_t it, double *lattice);

/* The same as scale factors of the cell lengths a, b, c: scale[ncomponents][3]. */
void tsct_sim_scene_cells(const tsct_sim_scene *scene, int64_t it, double *scale);

/* Whether any reaction of the scene has a Vegard lattice, core-shell kinetics or lattice
 * bins: the voxels then differ in lattice, and the simulator writes each voxel's state
 * (tsct_sim_scene_local) into the ground truth. */
int tsct_sim_scene_graded(const tsct_sim_scene *scene);

/* Each voxel's own state in slice `slice` at time step `it`, for the ground truth:
 * progress[n][n], the voxel's reaction coordinate (its particle's at the particle's depth, or
 * the core-shell local coordinate, or its layer's at depth 0.5; -1 where the voxel has no
 * reaction or its particle is lost), and scale[n][n][3], the a, b, c scale factors of the
 * voxel's Vegard phase (the first phase of its reaction with a Vegard lattice) at that
 * coordinate, 0 where it has none or holds none of it. Either output may be NULL. */
void tsct_sim_scene_local(const tsct_sim_scene *scene, int64_t it, int64_t slice,
                          float *progress, float *scale);

/* The component of the Vegard phase of region r's reaction (its first bin when binned), -1 if
 * the region has none. */
int tsct_sim_scene_vegard_component(const tsct_sim_scene *scene, int r);

/* ---- the pencil beam and the scan forward model ---------------------------------------- */

typedef enum tsct_sim_profile {
    TSCT_SIM_BEAM_TOPHAT = 0,   /* uniform over the full width */
    TSCT_SIM_BEAM_GAUSSIAN = 1, /* Gaussian with the width as FWHM, cut at +-1.5 FWHM */
} tsct_sim_profile;

typedef struct tsct_sim_beam {
    double width;          /* beam width across the translation direction, in pixels (voxel
                              sizes); 0 = an infinitely thin ray */
    tsct_sim_profile profile;
    int nsub;              /* sub-rays sampling the profile (>= 1; ignored for width 0);
                              the line integral error falls as 1/nsub^2 for smooth objects */
} tsct_sim_beam;

#define TSCT_SIM_BEAM_DEFAULT {1.0, TSCT_SIM_BEAM_TOPHAT, 8}

/* Line integrals of a multi-channel image along every ray of a parallel-beam scan:
 *
 *   sino[a][s][c] = sum_m w_m * integral over the ray (theta_a, s + u_m) of image(., ., c)
 *
 * where the beam profile is sampled at offsets u_m (m = 1 .. nsub, centred, spanning the
 * width; weights w_m summing to 1) and each ray integral is exact for the pixelated image
 * (Siddon's algorithm: the image is constant over each unit square pixel; the integral is the
 * sum of intersection length x value). Pixels outside the inscribed circle are included.
 *
 * image: [n][n][nc] float32, C order, channels contiguous. angles_deg: [na]. sino: [na][ns][nc]
 * (overwritten). nthreads: OpenMP threads, 0 = all cores.
 * Errors: TSCT_ERR_VALUE (n, ns, na, nc < 1; non-finite angle; negative width; nsub < 1),
 * TSCT_ERR_NOMEM. Never reads outside the arrays. */
tsct_status tsct_sim_project(const float *image, int64_t n, int64_t nc, const double *angles_deg,
                             int64_t na, int64_t ns, const tsct_sim_beam *beam, int nthreads,
                             float *sino, tsct_error *err);

/* The measured patterns of one slice: every pencil-beam position of the scan sees the sum
 * over the voxels on its path of fraction x pattern, which by linearity is
 *
 *   data[a][s][q] = monitor[a][s] * T[a][s] * sum_c (P f_c)[a][s] * pattern[c][q]
 *
 * with P the forward model of tsct_sim_project (lengths in voxels), f_c the fraction image of
 * component c, and T = exp(-voxel_mm * sum_c mu[c] (P f_c)) the transmission of the beam
 * through the whole path (attenuation of the incident beam; self-absorption of the diffracted
 * beams is not modelled). Only nc channels are projected, so the cost does not grow with nq.
 *
 * With scan->step > 1 the translations are scan->step voxels apart (a coarse scan).
 * fractions: [n][n][nc]; patterns: [nc][nq] (intensity per voxel length); mu: [nc] in 1/mm or
 * NULL (no attenuation); monitor: [na][ns] or NULL (1). data: [na][ns][nq], written in
 * acquisition order: with zigzag, odd angle rows are stored with the translations reversed, as
 * a snake scan records them (tsct's sinogram step flips them back). noiseless_sino, if not
 * NULL, receives the projected fractions [na][ns][nc] (ground truth).
 * Errors: those of tsct_sim_project, TSCT_ERR_VALUE for nq < 1 or non-finite patterns/mu,
 * TSCT_ERR_NOMEM. */
typedef struct tsct_sim_scan {
    int64_t na, ns;
    const double *angles_deg;   /* [na] */
    tsct_sim_beam beam;
    double voxel_mm;            /* voxel size for attenuation path lengths */
    int zigzag;                 /* 1: snake order (odd rows reversed) */
    int nthreads;
    float *diode;               /* [na][ns] or NULL: receives the sample's transmission T at
                                   every point, what a diode behind the sample reads divided
                                   by the monitor (1 for an empty beam), in acquisition order
                                   like data */
    double step;                /* translation step in voxels (0 or 1: one voxel); translation
                                   s is the ray t = (s - ns/2) step, and the beam's width is
                                   scaled by it (a coarse scan's wider beam) */
} tsct_sim_scan;

tsct_status tsct_sim_scan_patterns(const tsct_sim_scan *scan, const float *fractions, int64_t n,
                                   int64_t nc, const float *patterns, int64_t nq,
                                   const double *mu, const float *monitor, float *data,
                                   float *noiseless_sino, tsct_error *err);

/* Exact length (pixels) of the intersection of the line (k - n/2) cos(theta) - (i - n/2)
 * sin(theta) = t with pixel (i, k) of an n x n grid, theta in degrees. For tests and for
 * callers that need single path lengths (e.g. self-absorption). */
double tsct_sim_chord(int64_t n, int64_t i, int64_t k, double theta_deg, double t);

/* ---- what the components are made of ---------------------------------------------------- */

/* A component of a simulated cell: a phase of the phase model (tsct/phase.h: a crystal from a
 * CIF, a Debye cluster or broad features; patterns per unit volume of material, times the
 * phase's `scale`, which presets use to balance phases whose true scattering powers are
 * uncertain, e.g. an amorphous phase's density) and how it attenuates the beam. The phase's
 * name is the component's name in the scene. */
typedef struct tsct_sim_material {
    tsct_phase_desc phase;
    double mu_per_mm;       /* linear attenuation coefficient at the energy, 1/mm */
} tsct_sim_material;

/* ---- detector frames ------------------------------------------------------------------ */

/* Mark the gaps between the modules of a Pilatus detector of rows x cols pixels (modules of
 * 195 rows x 487 columns separated by 17-pixel and 7-pixel gaps, as in pyFAI's Pilatus
 * definitions): mask[rows][cols] is set to 1 in gaps, left unchanged elsewhere. Other shapes
 * that are not a whole number of modules plus gaps get TSCT_ERR_SHAPE. */
tsct_status tsct_sim_pilatus_gaps(int64_t rows, int64_t cols, uint8_t *mask, tsct_error *err);

/* Poisson random number of mean lambda >= 0 (exact: inversion for small means, Hormann's
 * transformed rejection PTRS for lambda >= 10). */
int64_t tsct_sim_poisson(tsct_sim_rng *r, double lambda);

typedef struct tsct_sim_render_plan tsct_sim_render_plan;

/* Precompute, for a detector of rows x cols pixels with geometry g (wavelength required),
 * each pixel's q (1/A) and the factor solid angle x polarization(factor, axis_offset = 0)
 * that an integrator divides out. mask (rows x cols, nonzero = masked) may be NULL and is
 * copied. Errors: those of tsct_geometry_compute, TSCT_ERR_NOMEM. */
tsct_status tsct_sim_render_plan_create(const tsct_poni *g, int64_t rows, int64_t cols,
                                        const uint8_t *mask, double polarization, int nthreads,
                                        tsct_sim_render_plan **out, tsct_error *err);
void tsct_sim_render_plan_destroy(tsct_sim_render_plan *plan);

/* Single-crystal spots: in each frame, with probability `frame_fraction`, `count` spots are
 * added: Gaussian blobs (sigma_px) centred on random pixels whose q lies within 0.5 % of one of
 * the `nring` ring positions (1/A), with peak height `height` times the local expected counts
 * (so they stand out whatever the ring's intensity). */
typedef struct tsct_sim_spots {
    double frame_fraction;
    int count;
    double sigma_px;
    double height;
    const double *ring_q;
    int nring;
} tsct_sim_spots;

/* Render one frame: expected counts at each pixel
 *     lambda = scale * I(q_pixel) * solid_angle * polarization * flat + dark
 * with I linearly interpolated on the increasing grid q[nq] (0 outside it), then Poisson noise
 * if rng is not NULL (noiseless expected counts otherwise), spots if spots is not NULL (and
 * rng given), and masked pixels set to -1 (Pilatus style). dark and flat ([rows][cols]) may be
 * NULL. frame: [rows][cols] float32 (counts are exact integers below 2^24). Thread-safe for
 * distinct rngs; runs on the calling thread. Errors: TSCT_ERR_VALUE (nq < 2, q not increasing,
 * negative or non-finite pattern or scale). */
tsct_status tsct_sim_render(const tsct_sim_render_plan *plan, const double *q, const float *I,
                            int64_t nq, double scale, const float *dark, const float *flat,
                            const tsct_sim_spots *spots, tsct_sim_rng *rng, float *frame,
                            tsct_error *err);

/* The per-pixel q (1/A) and solid angle x polarization of a plan ([rows][cols], owned by the
 * plan), for tests and for writing the expected image. */
const double *tsct_sim_render_plan_q(const tsct_sim_render_plan *plan);
const double *tsct_sim_render_plan_factor(const tsct_sim_render_plan *plan);

/* ---- calibrant frames ------------------------------------------------------------------ */

/* A frame of a powder calibrant, for testing detector calibration against a known geometry. */
typedef struct tsct_sim_calibrant_params {
    double fwhm_deg;        /* ring width, full width at half maximum in 2theta, degrees
                               (default 0.03) */
    double peak_counts;     /* counts at the maximum of a ring of relative intensity 1 where
                               solid angle x polarization is 1 (default 2000) */
    double background;      /* flat background, counts per pixel (default 30) */
    double polarization;    /* -1 .. 1 (default 0.99) */
    int nthreads;           /* 0: all cores */
} tsct_sim_calibrant_params;

#define TSCT_SIM_CALIBRANT_PARAMS_DEFAULT {0.03, 2000.0, 30.0, 0.99, 0}

/* Render rings of d-spacings d[nring] (A) with relative intensities intensity[nring] (>= 0;
 * NULL: all 1) onto a rows x cols detector of geometry g (wavelength required) as
 *     lambda = (background + peak_counts * sum_i I_i G(2theta - 2theta_i)) * factor
 * with G a unit-height Gaussian of the given FWHM in 2theta, 2theta_i = 2 asin(lambda / 2 d_i)
 * and factor the pixel's solid angle x polarization (tsct_sim_render: the pattern is sampled on
 * a fine q grid and interpolated at pixel centres), then Poisson noise when rng is not NULL;
 * masked pixels (mask may be NULL) are -1. frame: [rows][cols] float32, caller memory.
 * Errors: TSCT_ERR_VALUE (nring < 1, a d or intensity not finite or <= 0 / < 0, fwhm <= 0,
 * negative counts), those of tsct_sim_render_plan_create, TSCT_ERR_NOMEM. Thread-safe. */
tsct_status tsct_sim_calibrant_frame(const tsct_poni *g, int64_t rows, int64_t cols,
                                     const uint8_t *mask, const double *d,
                                     const double *intensity, int64_t nring,
                                     const tsct_sim_calibrant_params *params, tsct_sim_rng *rng,
                                     float *frame, tsct_error *err);

/* The frame `tsct simulate --calibrant C --poni G.poni -o FRAME` writes: the rings of
 * calibrant (a name or a .D file, tsct_calibrant_create) with d >= lambda / (2 sin 0.75)
 * (2theta up to 86 degrees), ring i of relative intensity m_i / 24 x exp(-1 / (2 d_i^2)) (m_i
 * its multiplicity, 24 when the calibrant gives none), rendered by tsct_sim_calibrant_frame
 * (params; NULL: defaults) on the detector of the PONI file poni (its shape from the
 * detector's name, module gaps masked as pyFAI masks them, -1 there) with Poisson noise drawn
 * from seed unless noiseless. output's extension says the format: .cbf (counts rounded to
 * int32), .edf, .tif / .tiff, .npy (float32); it is written by the image writers
 * (tsct/image.h) under the write rule of tsct/publish.h. *detector (may be NULL) gets the
 * detector's name (at most size bytes). Errors: those of the PONI reader,
 * tsct_poni_detector_find and tsct_calibrant_create (an unknown calibrant), TSCT_ERR_VALUE (a
 * geometry without a detector shape or a wavelength, an output of another extension), those
 * of tsct_sim_calibrant_frame and the writers, TSCT_ERR_NOMEM. */
tsct_status tsct_sim_calibrant_image(const char *calibrant, const char *poni,
                                     const tsct_sim_calibrant_params *params, uint64_t seed,
                                     int noiseless, const char *output, char *detector,
                                     size_t size, tsct_error *err);

/* ---- presets and whole experiments ---------------------------------------------------- */

/* The area detector of the frame level (tsct_sim_run_frames): a pyFAI detector and its PONI
 * geometry, and how frames are rendered on it. */
typedef struct tsct_sim_detector {
    const char *name;         /* pyFAI detector name ("Pilatus2M", "Pilatus1M", "Pilatus CdTe
                                 2M", ...; module gaps are masked as pyFAI does), or "Detector"
                                 for a generic one of rows x cols pixels of pixel_um */
    int64_t rows, cols;       /* generic: the shape (required); known: 0 = the table's shape */
    double pixel_um;          /* generic: pixel size (required); known: 0 = the table's */
    double distance_mm;       /* sample to PONI; 0 = the distance at which the preset's qmax
                                 lies on the largest circle around the PONI inside the detector */
    int centred;              /* 1: the PONI at the centre of the detector (poni1/2 ignored) */
    double poni1_mm, poni2_mm;/* PONI from the detector origin, along rows and columns */
    double rot1, rot2, rot3;  /* pyFAI rotations, rad (tilts allowed) */
    double polarization;      /* polarization factor of the beam, -1 .. 1 (0.99 at synchrotrons) */
    double counts;            /* expected counts in a pixel where solid angle x polarization
                                 is 1, per unit of the noiseless pattern (monitor x transmission
                                 x path x pattern, the values of /entry/integrated at the
                                 pattern level) */
    double spot_fraction;     /* fraction of frames with single-crystal spots (with noise only) */
    int spot_count;           /* spots in such a frame */
    double dark;              /* mean dark counts per pixel; > 0 writes dark.edf and adds it */
    double flat_sd;           /* relative spread of the flat field; > 0 writes flat.edf and
                                 multiplies by it */
} tsct_sim_detector;

/* Pilatus 2M, centred, the distance from qmax, no tilt, polarization 0.99, 100 counts per unit,
 * spots in 2 % of the frames (3 each), no dark, no flat. */
#define TSCT_SIM_DETECTOR_DEFAULT                                                          \
    {"Pilatus2M", 0, 0, 0.0, 0.0, 1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.99, 100.0, 0.02, 3, 0.0, 0.0}

/* The experiment's physics at the frame level (tsct/sim_physics.h; docs/simulate.md "Parallax
 * and self-absorption"). Both off: every voxel scatters from the rotation axis and the whole
 * pattern of a beam position is attenuated by the beam's transmission through the whole
 * sample, as the pattern level models it. */
typedef struct tsct_sim_physics_params {
    int parallax;       /* 1: each voxel's rings drawn from its own position along the beam */
    int absorption;     /* 1: each voxel's scattering attenuated by the incident beam up to it
                           and by its scattered beam from it to every detector pixel */
    double depth_bin;   /* voxels along the beam rendered together (> 0; 1 = every voxel
                           length its own position) */
    int nazimuth;       /* horizontal exit directions at which the outgoing attenuation is
                           traced across the detector's span (>= 2; interpolated between) */
} tsct_sim_physics_params;

#define TSCT_SIM_PHYSICS_PARAMS_DEFAULT {0, 0, 1.0, 64}

#define TSCT_SIM_MAX_LAYERS 2

/* Everything that defines a simulated experiment. Names in `reaction.phase` and in
 * `region_material` are component names that `materials` defines. */
typedef struct tsct_sim_preset {
    const char *name;
    const char *description;
    tsct_sim_phantom_params phantom;
    tsct_sim_reaction reaction;                       /* of the particles */
    tsct_sim_cycling cycling;
    const char *region_material[TSCT_SIM_REGION_COUNT_];
    tsct_sim_material materials[TSCT_SIM_MAX_COMPONENTS];
    int nmaterials;
    double energy_kev;
    double qmin, qmax;                                /* 1/A */
    int64_t nq;
    int64_t na;                                       /* angles over angle_range degrees, */
    double angle_range;                               /* the end excluded */
    int64_t ns;                                       /* translations (bins of one voxel) */
    int translation_step;     /* voxels between translations (1; k > 1: a coarse scan of
                                 ns x k voxels with a beam k times as wide); ns < n is an
                                 interior (ROI) scan of the central ns voxels */
    int zigzag;
    tsct_sim_beam beam;
    double counts;            /* detected counts per unit of pattern x path length; 0: no
                                 noise */
    double monitor_noise;     /* relative standard deviation of the monitor */
    tsct_sim_detector detector;   /* the frame level (TSCT_SIM_DETECTOR_DEFAULT unless set) */
    tsct_sim_physics_params physics; /* the frame level: parallax, self-absorption */
    char overrides[512];          /* "key=value,..." applied by tsct_sim_preset_set (part of
                                     the simulation's identity) */
    /* Reacting layers besides the particles (the cylindrical cell's anode and cathode): region
     * layer_region[k] follows layer_reaction[k], k < nlayers. The particles follow `reaction`
     * when it has phases (nphase > 0). */
    int nlayers;
    tsct_sim_region layer_region[TSCT_SIM_MAX_LAYERS];
    tsct_sim_reaction layer_reaction[TSCT_SIM_MAX_LAYERS];
    int echem;                    /* whose electrochemistry the CSV holds: 0 `reaction`, k >= 1
                                     layer_reaction[k - 1] (a full cell: the cathode's, with
                                     the cell's voltages) */
} tsct_sim_preset;

/* The preset's translation step in voxels (translation_step, 1 when unset). */
double tsct_sim_translation_step(const tsct_sim_preset *p);

/* Fill a preset by name (docs/simulate.md describes each): "demo" (small, for make demo and
 * tests), "bivo4" (the BiVO4 TSCT study's scan), "si" (amorphous Si lithiating to amorphous
 * LixSi, TSCT, PDF-ready q range), "cylindrical" (a commercial cylindrical cell: graphite |
 * NMC jelly roll, 400 angles, snake scan, 103.5 keV), "nmc" (NMC cathode particles at 1 um
 * with core-shell lattice gradients). Errors: TSCT_ERR_NOT_FOUND listing the names. */
tsct_status tsct_sim_preset_get(const char *name, tsct_sim_preset *out, tsct_error *err);

/* Names of the presets, NULL-terminated. */
const char *const *tsct_sim_preset_names(void);

/* Override one parameter of a preset ("n", "nt", "na", "detector.counts", ...; the list with
 * meanings: tsct_sim_preset_keys_help()). Values are checked against their ranges.
 * Errors: TSCT_ERR_NOT_FOUND (unknown key, listing the known ones), TSCT_ERR_VALUE. */
tsct_status tsct_sim_preset_set(tsct_sim_preset *p, const char *key, const char *value,
                                tsct_error *err);

/* One line per overridable key: "  key   meaning". Static storage. */
const char *tsct_sim_preset_keys_help(void);

/* Options of a run that are not part of the experiment. */
typedef struct tsct_sim_run_params {
    uint64_t seed;            /* noise, placements (added to the preset's phantom seed) */
    const char *data_dirs;    /* colon-separated folders holding the CIF files (NULL:
                                 tsct_phase_default_dirs()) */
    const char *echem_csv;    /* where to write the electrochemistry, or NULL */
    const char *command;      /* for provenance */
    int nthreads;
    int64_t time_steps;       /* simulate only the first time steps (0 = all of the preset's;
                                 the times stay those of the full experiment) */
} tsct_sim_run_params;

struct tsct_log;
struct tsct_progress_sink;

/* Simulate the experiment into the container at `path` (created if missing) at the pattern
 * level: the integrated cube /entry/integrated/{data,sigma,q}, the scan axes, and
 * /ground_truth (docs/FORMAT.md; graded experiments, tsct_sim_scene_graded(), add each
 * voxel's reaction coordinate and cell lengths, the components' cells and the particle table),
 * slice by slice through a resumable step "simulate"; the electrochemistry of the reaction
 * `preset->echem` names. Errors: those of every stage, naming the component or file;
 * TSCT_ERR_VALUE for reacting layers out of range. */
tsct_status tsct_sim_run_patterns(const tsct_sim_preset *preset, const char *path,
                                  const tsct_sim_run_params *params, const struct tsct_log *log,
                                  const struct tsct_progress_sink *progress, tsct_error *err);

/* The detector geometry of a preset with its defaults resolved (see tsct_sim_detector):
 * geometry (wavelength from the energy, shape set), rows x cols. Errors: TSCT_ERR_VALUE
 * (a generic detector without shape or pixel size, a PONI outside a sane range, qmax beyond
 * 2theta = 90 degrees), TSCT_ERR_UNSUPPORTED (unknown detector name). */
tsct_status tsct_sim_detector_geometry(const tsct_sim_preset *preset, tsct_poni *geometry,
                                       tsct_error *err);

/* How the frame level stores each time step's frames. */
typedef enum tsct_sim_frame_format {
    TSCT_SIM_FRAMES_HDF5 = 0,   /* one HDF5 stack per time step (default) */
    TSCT_SIM_FRAMES_CBF = 1,    /* one folder per time step, one Pilatus mini-CBF per frame */
    TSCT_SIM_FRAMES_EDF = 2     /* one folder per time step, one EDF file per frame */
} tsct_sim_frame_format;

/* Options of the frame level. */
typedef struct tsct_sim_frames_params {
    const char *dir;          /* folder of the frames (created if missing) */
    int noiseless;            /* 1: expected counts rounded to integers, no Poisson noise, no
                                 spots (for tests) */
    tsct_sim_frame_format format;   /* HDF5 (0, default), CBF or EDF */
} tsct_sim_frames_params;

/* "h5", "cbf", "edf"; NULL for a value out of range. */
const char *tsct_sim_frame_format_name(tsct_sim_frame_format format);

/* The frame level: the experiment as a beamline records it. Into dir:
 *   frames_tNNNN.h5     (format HDF5) one per time step: /entry/data/data [nz * na * ns][rows]
 *                       [cols] uint32 counts in acquisition order (slice, angle, translation;
 *                       snake scans' odd rows reversed), one frame per chunk, bitshuffle-LZ4
 *                       (deflate 1 without the plugin); /entry/instrument/monitor/data
 *                       [frames] float64; written under a temporary name and renamed when
 *                       complete
 *   frames_tNNNN/       (formats CBF, EDF) one folder per time step holding one file per
 *                       frame, frame_KKKKKK.cbf or .edf (K: the frame's index in the time
 *                       step, acquisition order, zero-padded to 6 digits or more), int32
 *                       counts with -1 where masked (the Pilatus convention; the same 32 bits
 *                       as the HDF5 frames' 2^32 - 1) and counts clipped at 2^31 - 2 (HDF5:
 *                       2^32 - 2), written with tsct_image_encode_cbf /
 *                       _edf (tsct/image.h); header items Detector, Pixel_size, Wavelength,
 *                       Detector_distance, Flux (the frame's monitor, exactly as the HDF5
 *                       monitor dataset holds it) and tsct_simulation (the settings); the
 *                       folder is filled as "frames_tNNNN.partial.XXXXXX" and renamed when
 *                       complete (tsct_publish_dir_*), so a folder that exists is whole
 *   detector.poni       PONI version 2; mask.edf (uint8, non-zero = masked: module gaps);
 *   dark.edf, flat.edf  when the detector has them
 *   scan.ini            the [scan] keys of docs/simulate.md (what tsct integrate needs)
 * and into the container at `path`: /entry/scan and /ground_truth as at the pattern level plus
 * /ground_truth/expected [nt][nz][na][ns][nq] (the noiseless pattern each frame was rendered
 * from, monitor and transmission included, acquisition order), no /entry/integrated. Frames
 * are rendered in parallel (params->nthreads) a batch at a time; each frame's noise comes from
 * a generator seeded by (seed, time step, frame), so the bytes do not depend on the thread
 * count. Resumable: time steps whose file or folder exists (written by the same simulation,
 * recorded in its /@tsct_simulation attribute or first frame's tsct_simulation header item)
 * are kept, the others are written; when every file exists
 * and the container holds the ground truth of the same simulation, nothing is done.
 * Errors: those of every stage; TSCT_ERR_IO (dir not writable), TSCT_ERR_EXISTS (a frame file
 * of another simulation in dir). */
tsct_status tsct_sim_run_frames(const tsct_sim_preset *preset, const char *path,
                                const tsct_sim_run_params *params,
                                const tsct_sim_frames_params *frames,
                                const struct tsct_log *log,
                                const struct tsct_progress_sink *progress, tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_SIMULATE_H */
