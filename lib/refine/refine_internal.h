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

/* A real-space phase (refine_pdf.c) reuses the slots: its lattice in SLOT_LAT0.., and
 * the pdfmodel's parameters below; the instrument's qdamp and qbroad in SLOT_U, SLOT_V. */
enum {
    SLOT_R_DIAMETER = SLOT_SIZE, /* (0, inf], physical as size */
    SLOT_R_DSIG = SLOT_STRAIN,   /* >= 0, physical as strain */
    SLOT_R_UISO = SLOT_PO,       /* > 0, physical as po */
    SLOT_R_DELTA1 = SLOT_B,
    SLOT_R_DELTA2 = SLOT_W,
    SLOT_R_QDAMP = SLOT_U,
    SLOT_R_QBROAD = SLOT_V
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
    /* real space: the calculated G(r) (crystal or cluster), its parameters' indices
     * (-1: none) and the scratch of one evaluation ([1 + 13][n]) */
    struct tsct_pdfmodel *pdf;
    int i_uiso, i_delta1, i_delta2, i_diam, i_dsig;
    double *pdf_work;
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

/* Real space (refine_pdf.c): make phase p of model m from its description (the crystal
 * system, free lattice parameters and parameters added to m); fill its column and slots;
 * add the instrument's qdamp and qbroad; free what a phase holds. */
tsct_status tsct__refine_pdf_phase_create(tsct_refine_model *m, int p,
                                          const tsct_refine_phase_desc *d, tsct_error *err);
tsct_status tsct__refine_pdf_phase_eval(tsct_refine_model *m, int p, int deriv,
                                        tsct_error *err);
void tsct__refine_pdf_instrument(tsct_refine_model *m);
void tsct__refine_pdf_phase_release(struct refine_phase *ph);
/* Shared with refine_pdf.c (refine_model.c): the crystal system of a CIF's Laue group and
 * cell, its free lattice parameters, a new parameter. */
refine_system tsct__refine_crystal_system(int64_t laue, const tsct_cell *c);
int tsct__refine_lattice_free(refine_system s, const tsct_cell *c, int drive[6], int which[6]);
int tsct__refine_add_param(tsct_refine_model *m, const char *comp, const char *name,
                           double value, double lo, double hi, int linear, refine_kind kind,
                           int owner, int slot);
/* The refined cell of phase p (a b c alpha beta gamma). */
void tsct__refine_phase_cell(const tsct_refine_model *m, int p, double cell[6]);

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
