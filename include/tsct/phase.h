/* tsct/phase.h - the phase model: what a material scatters, per unit volume, on a q grid.
 *
 * One model serves every part of tsct that needs a material's calculated pattern: the
 * simulator renders its cells with it (tsct/simulate.h), `tsct map --unmix` builds its
 * component columns with it (so a component is exactly what the simulator renders for that
 * material), and the full-profile refinement starts from it. A phase is one of
 *
 *   crystal   a powder pattern of a structure read from a CIF (tsct/powder.h): structure
 *             factors fixed by the CIF, the cell lengths scaled by the phase's state (lattice
 *             drift, Vegard solid solutions), Scherrer broadening from the crystallite size,
 *             on the pseudo-Voigt profile of the model's instrument;
 *   nano      Debye scattering (tsct/debye.h) of a sphere of radius size_nm cut from a CIF:
 *             nanocrystalline and amorphous (few-atom) clusters; a scaled cell maps every
 *             atom through it, so the pair distances grow and the form factors stay;
 *   broad     broad features of an amorphous or liquid material (tsct_phase_broad_pattern):
 *             Gaussian humps at its structure-factor maxima, literature positions.
 *
 * Normalisation (docs/physics.md, "The phase model"): intensities per unit volume of
 * material, in electron units^2 per A^3, so that phases compare as physics says. A powder of
 * cells of volume V scatters sum_hkl m |F|^2 L P / V^2 per unit volume (the lattice sum over
 * the cell volume squared, times one cell per V of material); a cluster of N atoms with one
 * atom per v_a of material scatters I_Debye / (N v_a), times 8 / (lambda^2 cos theta) so that
 * its Bragg-like features stand on the footing of the powder patterns' Lorentz factor. Every
 * pattern is multiplied by the phase's `scale`, with which a caller balances what the model
 * leaves uncertain (an amorphous phase's density, an absorption it does not model).
 *
 * For the refinement: a crystal's pattern is the powder model of tsct/powder.h evaluated at
 * the parameter vector tsct_phase_model_powder_params() returns, divided by the square of the
 * scaled cell's volume and multiplied by `scale`; tsct_phase_model_powder_plan() gives the
 * plan, so tsct_powder_evaluate() returns the same pattern with its analytic derivatives
 * (cell lengths and angles, size, profile, zero). The state (tsct_phase_state) and the
 * instrument (tsct_phase_instrument) are parameter structs with defaults, to which further
 * terms (microstrain, B, preferred orientation) are added with defaults that leave the
 * patterns above unchanged.
 *
 * Plan once, evaluate many: tsct_phase_model_create() reads every CIF once, plans the powder
 * patterns and the clusters' Debye patterns on the grid; tsct_phase_model_pattern() reads
 * the model only. Ownership: the model copies the descriptions (strings included) and the
 * grid; _destroy frees it (NULL does nothing). Thread safety: the functions are reentrant, a
 * model may be read by any number of threads at once.
 */
#ifndef TSCT_PHASE_H
#define TSCT_PHASE_H

#include <stddef.h>
#include <stdint.h>

#include "tsct/crystal.h"
#include "tsct/powder.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- structure files ----------------------------------------------------------------------- */

/* The folders searched for CIF files when none are given: the environment variable
 * TSCT_STRUCTURES if set, else the installed share/tsct/structures, then the source tree's
 * data/structures and tests/data/cif (colon-separated). Static string (or the environment's);
 * do not free. */
const char *tsct_phase_default_dirs(void);

/* Find a structure file: a name with a '/' as it is, else in the first folder of the
 * colon-separated list `dirs` (NULL or "": none) that holds it. Writes the path into
 * path[size] (truncated to size - 1 characters); returns 1 if the file found is readable, 0
 * otherwise. */
int tsct_phase_find_file(const char *dirs, const char *name, char *path, size_t size);

/* ---- broad features ------------------------------------------------------------------------ */

/* The scattering of amorphous and liquid materials as broad features: a sum of Gaussian
 * humps at the positions of their structure-factor maxima (literature values, listed in
 * lib/physics/phase_broad.c with references), on the square of an effective form factor so
 * the intensity falls off with q as real amorphous scattering does. Known materials: "air",
 * "quartz" (fused silica), "glassy_carbon", "carbon" (carbon black + binder), "electrolyte"
 * (LiPF6 in carbonates), "separator" (polyethylene soaked in electrolyte). Intensity per unit
 * path length, in arbitrary units comparable between materials (scaled by their electron
 * density relative to water). out[nq] at q[nq] (1/A). Errors: TSCT_ERR_NOT_FOUND listing the
 * known names. */
tsct_status tsct_phase_broad_pattern(const char *material, const double *q, int64_t nq,
                                     float *out, tsct_error *err);

/* ---- the model ----------------------------------------------------------------------------- */

typedef enum tsct_phase_kind {
    TSCT_PHASE_CRYSTAL = 0,   /* powder pattern of a CIF, Scherrer size size_nm */
    TSCT_PHASE_NANO = 1,      /* Debye scattering of a sphere of radius size_nm cut from a CIF */
    TSCT_PHASE_BROAD = 2      /* broad features of tsct_phase_broad_pattern (name in source) */
} tsct_phase_kind;

/* One phase. */
typedef struct tsct_phase_desc {
    const char *name;         /* the phase's name (errors name it; the simulator's component) */
    tsct_phase_kind kind;
    const char *source;       /* CIF file (a path, or a name searched in the data folders) or,
                                 for broad phases, the material's name */
    double size_nm;           /* crystal: crystallite size, nm (<= 0: no size broadening);
                                 nano: cluster radius, nm (> 0); broad: ignored */
    double scale;             /* multiplies the pattern; 0 means 1 */
} tsct_phase_desc;

/* The instrument profile of the crystal patterns (tsct/powder.h's parameters): Caglioti
 * H^2 = U tan^2 theta + V tan theta + W (degrees^2 of 2theta), the pseudo-Voigt's
 * Lorentzian fraction eta, and the zero shift of 2theta (degrees). The default is the
 * simulator's high-energy instrument: a 0.01 degree FWHM (W = 1e-4), eta 0.5. */
typedef struct tsct_phase_instrument {
    double u, v, w;
    double eta;
    double zero;
} tsct_phase_instrument;

#define TSCT_PHASE_INSTRUMENT_DEFAULT {0.0, 0.0, 1e-4, 0.5, 0.0}

typedef struct tsct_phase_model_params {
    double wavelength;                /* Angstrom, > 0 (required; no default) */
    const char *data_dirs;            /* colon-separated folders of the CIF files; NULL:
                                         tsct_phase_default_dirs() */
    tsct_phase_instrument instrument; /* TSCT_PHASE_INSTRUMENT_DEFAULT */
} tsct_phase_model_params;

#define TSCT_PHASE_MODEL_PARAMS_DEFAULT {0.0, NULL, TSCT_PHASE_INSTRUMENT_DEFAULT}

/* The state of a phase in one pattern: what moves between voxels and time steps. */
typedef struct tsct_phase_state {
    double cell_scale[3];     /* cell lengths a, b, c relative to the CIF's (angles kept);
                                 finite, > 0 (default 1, 1, 1) */
    double size_factor;       /* crystal: crystallite size relative to size_nm (default 1);
                                 nano and broad: ignored */
} tsct_phase_state;

#define TSCT_PHASE_STATE_DEFAULT {{1.0, 1.0, 1.0}, 1.0}

typedef struct tsct_phase_model tsct_phase_model;

/* Plan the patterns of list[count] phases on the grid q[nq] (1/A, strictly increasing, nq >=
 * 1): read each CIF once (found with tsct_phase_find_file in params->data_dirs), plan its
 * powder pattern up to 1.1 q[nq - 1] (room for the lattice to grow) or cut its cluster and
 * compute its Debye pattern at the CIF's cell; check every broad name.
 * Errors name the phase (tsct_error.item): TSCT_ERR_VALUE (count < 1, nq < 1, wavelength <=
 * 0, a phase without name or source or of an unknown kind), TSCT_ERR_NOT_FOUND (a CIF in none of the folders, with
 * the folders; an unknown broad name), those of the CIF reader (with the file), the powder
 * and Debye planners, TSCT_ERR_NOMEM. On error *out is NULL. */
tsct_status tsct_phase_model_create(const tsct_phase_desc *list, int count, const double *q,
                                    int64_t nq, const tsct_phase_model_params *params,
                                    tsct_phase_model **out, tsct_error *err);

/* Free a model; NULL does nothing. */
void tsct_phase_model_destroy(tsct_phase_model *model);

/* Number of phases; grid size nq. */
int tsct_phase_model_count(const tsct_phase_model *model);
int64_t tsct_phase_model_size(const tsct_phase_model *model);

/* The description of phase i (0 .. count - 1) as the model holds it (its own copies; scale
 * 0 replaced by 1). Owned by the model. */
const tsct_phase_desc *tsct_phase_model_desc(const tsct_phase_model *model, int i);

/* The pattern of phase i in state `state` (NULL: TSCT_PHASE_STATE_DEFAULT) into out[nq]
 * (float32, per unit volume of the phase, see the normalisation above):
 *   crystal  scale * y(p) / V'^2, y the powder pattern at tsct_phase_model_powder_params()
 *            and V' the volume of the scaled cell;
 *   nano     the cluster's pattern, recomputed with every atom mapped through the scaled cell
 *            when a cell scale differs from 1 (per unit volume of the expanded material);
 *   broad    scale * tsct_phase_broad_pattern (the state is ignored).
 * Allocates a work array of nq doubles (crystal) or the expanded cluster (nano). Thread-safe
 * for distinct outputs. Errors: TSCT_ERR_VALUE (a cell scale not finite or <= 0, index = the
 * axis; those of tsct_powder_evaluate), those of the Debye planner, TSCT_ERR_NOMEM. */
tsct_status tsct_phase_model_pattern(const tsct_phase_model *model, int i,
                                     const tsct_phase_state *state, float *out,
                                     tsct_error *err);

/* The cell lengths a, b, c (A) of phase i as its CIF gives them; 0 for broad phases. */
void tsct_phase_model_cell(const tsct_phase_model *model, int i, double abc[3]);

/* The structure of phase i (crystal and nano; NULL for broad), owned by the model: its cell,
 * space-group operators and sites, e.g. to constrain the lattice parameters of a refinement
 * by the crystal system. */
const tsct_crystal *tsct_phase_model_crystal(const tsct_phase_model *model, int i);

/* The powder plan of crystal phase i (NULL for nano and broad), owned by the model: its
 * parameter vector has tsct_powder_plan_nparams() entries and no background terms. */
const tsct_powder_plan *tsct_phase_model_powder_plan(const tsct_phase_model *model, int i);

/* The powder parameters p[tsct_powder_plan_nparams()] at which the pattern of crystal phase i
 * in `state` (NULL: the default) is evaluated: scale 1, the CIF's cell with its lengths
 * scaled, size 10 size_nm x size_factor Angstrom, the model's instrument. Errors:
 * TSCT_ERR_VALUE (phase i is not a crystal, a cell scale not finite or <= 0). */
tsct_status tsct_phase_model_powder_params(const tsct_phase_model *model, int i,
                                           const tsct_phase_state *state, double *p,
                                           tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_PHASE_H */
