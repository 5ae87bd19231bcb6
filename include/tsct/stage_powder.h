/* tsct/stage_powder.h - a crystal's calculated powder pattern or reflection table (tsct
 * pattern) and the Debye scattering of a cluster cut from it (tsct debye), from a CIF.
 *
 * Part of the stage library: include "tsct/stage.h", which has the contract every stage
 * follows (params, context, report, errors, incremental runs, threads). Both stages read one
 * CIF, compute in memory (seconds for the sizes their checks allow) and publish one small
 * text file atomically (tsct/publish.h): no container, no step, nothing to resume, so
 * ctx->incremental plays no part. The physics is tsct/powder.h and tsct/debye.h. */
#ifndef TSCT_STAGE_POWDER_H
#define TSCT_STAGE_POWDER_H

#include "tsct/stage_core.h"
#include "tsct/debye.h"
#include "tsct/powder.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- pattern: the powder pattern or the reflection table of a crystal -----------------------
 * I = scale * m |F|^2 * L (* P) * pseudo-Voigt on a grid from qmin to qmax (Q in 1/A, or the
 * same range as 2theta in degrees), written as an .xy file: two header lines "# tsct pattern
 * CIF: lambda ..." and "# q(1/Angstrom) intensity" (or "# 2theta(degrees) intensity"), then
 * "%.8f %.10g" per point. With peaks, the reflections up to qmax instead, one row per class
 * of equivalent hkl with q >= qmin: "h k l d q two_theta multiplicity F2 intensity" (d in A, q
 * in 1/A, two_theta in degrees, F2 = |F|^2 per cell in electrons^2, intensity = scale *
 * multiplicity * F2 * L (* P)). docs/physics.md has the formulas. */
typedef struct tsct_stage_pattern_params {
    const char *cif;         /* the crystal (first data block; required) */
    const char *output;      /* the file, or an existing folder (or one ending in '/'):
                                FOLDER/NAME.xy (NAME.txt with peaks), NAME the CIF's; NULL
                                with peaks: the table goes to standard output */
    double wavelength;       /* A; give this or energy, not both (default 0: not given) */
    double energy;           /* keV: wavelength = 12.3984 / energy (default 0: not given) */
    double qmin, qmax;       /* 1/A: 0 <= qmin < qmax <= 4 pi / wavelength (qmax required;
                                default 0, 0) */
    double step;             /* grid step in the axis' unit (0: 0.001 1/A or 0.005 degree) */
    tsct_powder_axis axis;   /* Q (default) or 2THETA (degrees) */
    double size_nm;          /* crystallite size in nm for Scherrer broadening (0: none) */
    double u, v, w;          /* Caglioti parameters, degrees^2 (default 0, 0, 1e-4) */
    double eta;              /* Lorentzian fraction of the pseudo-Voigt (default 0.5) */
    double scale;            /* scale factor (default 1) */
    tsct_powder_polarization polarization; /* NONE (default: data already corrected) or
                                UNPOLARIZED, (1 + cos^2 2theta) / 2 */
    int neutral_atoms;       /* 1: neutral-atom form factors (default 0: ions where given) */
    int apply_adp;           /* 1: Debye-Waller factors (default 1) */
    int peaks;               /* 1: the reflection table instead of the pattern */
} tsct_stage_pattern_params;

#define TSCT_STAGE_PATTERN_PARAMS_DEFAULT                                                          \
    {                                                                                              \
        NULL, NULL, 0.0, 0.0, 0.0, 0.0, 0.0, TSCT_POWDER_AXIS_Q, 0.0, 0.0, 0.0, 1e-4, 0.5, 1.0,    \
            TSCT_POWDER_POLARIZATION_NONE, 0, 1, 0                                                 \
    }

/* Sites whose ion the form-factor tables lack are warned of on ctx->log (the neutral atom is
 * used). report->units: grid points written (reflections with peaks); report->what: the line
 * logged. Errors: TSCT_ERR_VALUE (the rules of tsct_stage_options_check, TSCT_STAGE_ID_PATTERN:
 * wavelength or energy, qmax, the grid's size, an output unless peaks), those of the CIF reader
 * (naming the file), of the planner (naming the CIF: an impossible profile, a cell of zero
 * volume), TSCT_ERR_EXISTS and the write rule's (tsct/publish.h), TSCT_ERR_NOMEM. */
tsct_status tsct_stage_pattern(const tsct_stage_pattern_params *params, const tsct_stage_ctx *ctx,
                               tsct_stage_report *report, tsct_error *err);

/* ---- debye: the Debye scattering of a cluster cut from a crystal ----------------------------
 * Every atom of the expanded lattice within a sphere (or cube) around a point,
 *   I(Q) = sum_ij w_i w_j f_i(Q) f_j(Q) sin(Q r_ij) / (Q r_ij)     electrons^2,
 * through a histogram of pair distances (tsct/debye.h; error bound in docs/physics.md), on
 * Q = qmin, qmin + step, ... qmax, written as an .iq file: two header lines "# tsct debye CIF:
 * ..." and "# q(1/Angstrom) I(electrons^2)", then "%.8f %.12g" per point. */
typedef struct tsct_stage_debye_params {
    const char *cif;         /* the crystal (required) */
    const char *output;      /* the file or a folder (FOLDER/NAME.iq; required) */
    tsct_debye_shape shape;  /* SPHERE (default) or CUBE */
    double radius;           /* sphere radius or cube half-edge, A (required: 0 = not given) */
    double centre[3];        /* fractional coordinates (default 0, 0, 0) */
    double qmin, qmax, step; /* 1/A (default 0, 25, 0.01); at most 1e7 points */
    double bin_width;        /* pair-distance bin, A (default 1e-3) */
    int neutral_atoms;       /* 1: neutral-atom form factors (default 0: ions where given) */
} tsct_stage_debye_params;

#define TSCT_STAGE_DEBYE_PARAMS_DEFAULT                                                            \
    {                                                                                              \
        NULL, NULL, TSCT_DEBYE_SHAPE_SPHERE, 0.0, {0.0, 0.0, 0.0}, 0.0, 25.0, 0.01, 1e-3, 0        \
    }

/* Logs the cluster ("CIF: N atoms (S species) within R Angstrom, B occupied distance bins")
 * and the ion fallbacks on ctx->log; uses ctx->nthreads. report->units: Q points written.
 * Errors: TSCT_ERR_VALUE (the rules of tsct_stage_options_check, TSCT_STAGE_ID_DEBYE),
 * TSCT_ERR_NOT_FOUND (no atom within the shape), those of the CIF reader, of tsct/debye.h
 * (naming the CIF) and of publication, TSCT_ERR_NOMEM. */
tsct_status tsct_stage_debye(const tsct_stage_debye_params *params, const tsct_stage_ctx *ctx,
                             tsct_stage_report *report, tsct_error *err);

#ifdef __cplusplus
}
#endif

#endif /* TSCT_STAGE_POWDER_H */
