/* refine_internal.h - the refinement model's layout, shared by the model (refine_model.c) and
 * the variable-projection driver (refine_run.c). */
#ifndef TSCT_REFINE_INTERNAL_H
#define TSCT_REFINE_INTERNAL_H

#include "tsct/crystal.h"
#include "tsct/refine.h"

typedef enum refine_system {
    SYS_CUBIC = 0,
    SYS_HEXAGONAL,
    SYS_TETRAGONAL,
    SYS_RHOMBOHEDRAL,
    SYS_ORTHORHOMBIC,
    SYS_MONOCLINIC,
    SYS_TRICLINIC
} refine_system;

/* Derivative slots of a phase's column: its free lattice parameters, size, strain, B, po and
 * the instrument's U V W X Y zero. */
enum {
    SLOT_LAT0 = 0,
    SLOT_SIZE = 6,
    SLOT_STRAIN,
    SLOT_B,
    SLOT_PO,
    SLOT_U,
    SLOT_V,
    SLOT_W,
    SLOT_X,
    SLOT_Y,
    SLOT_ZERO,
    NSLOT
};

typedef enum refine_kind {
    PK_PHASE_SCALE = 0,   /* linear: column owner */
    PK_PHASE_NL,          /* nonlinear: slot of phase owner's column */
    PK_INSTR,             /* nonlinear: slot of every phase's column */
    PK_PEAK_AREA,         /* linear */
    PK_PEAK_NL,           /* nonlinear: slot 0 position, 1 FWHM, 2 eta of peak owner */
    PK_BROAD,             /* linear */
    PK_BG,                /* linear */
    PK_UNUSED             /* the instrument of a model without phases: not a parameter */
} refine_kind;

typedef struct refine_info {
    refine_kind kind;
    int owner, slot;
} refine_info;

struct refine_refl {
    double h[3];          /* Miller indices of the class representative */
    double mf2;           /* multiplicity x |F|^2 (the CIF's cell and ADPs) */
    int64_t po_off, po_n; /* its equivalents' cos^2 in po_cos2 (March-Dollase) */
};

struct refine_phase {
    char name[TSCT_REFINE_NAME_MAX];
    tsct_cell cell0;
    refine_system system;
    double mass;                  /* Z M, g/mol per cell */
    int64_t nrefl;
    struct refine_refl *refl;
    double *po_cos2;
    int64_t npo;
    int nlat;
    int drive[6];                 /* cell entries (bits of a b c alpha beta gamma) driven */
    int i_lat[6], i_scale, i_size, i_strain, i_b, i_po;
    unsigned need;                /* derivative slots computed (bits; all but in a run) */
};

struct refine_peak {
    int i_area, i_pos;            /* area, then position, fwhm, eta */
};

struct tsct_refine_model {
    tsct_refine_model_params P;
    int64_t n;
    double *x, *tth;              /* grid and its 2theta (degrees) */
    int nphases, npeaks, nbroad, nbg, ncol;
    struct refine_phase phase[TSCT_REFINE_MAX_PHASES];
    struct refine_peak peak[TSCT_REFINE_MAX_PEAKS];
    int i_instr[6];
    int np;
    tsct_refine_param *par;
    refine_info *info;
    double *col;                  /* [ncol][n] linear columns */
    double *dcol;                 /* [nphases][NSLOT][n] then [npeaks][3][n] */
    double *work;                 /* refinement scratch */
    int64_t work_size;
    double *corr;                 /* correlations of the last run */
    int *corr_index;
};

static inline int isalnum_ascii(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Compute every column (and with deriv, the derivative slots each phase's `need` names) at
 * the current values. */
tsct_status tsct__refine_columns(tsct_refine_model *m, int deriv, tsct_error *err);
/* The column of linear parameter i (-1 for a nonlinear one). */
int tsct__refine_param_column(const tsct_refine_model *m, int i);
/* The current value of the linear parameter of column col. */
double tsct__refine_coef(const tsct_refine_model *m, int col);
/* dy/dp_i of nonlinear parameter i for column coefficients coef[ncol], into out[n]. */
void tsct__refine_dnonlinear(const tsct_refine_model *m, int i, const double *coef,
                             double *out);

#endif
