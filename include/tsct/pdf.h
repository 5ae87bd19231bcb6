/* tsct/pdf.h - pair distribution functions: I(Q) -> S(Q) -> F(Q) -> G(r), the PDFgetX3 way.
 *
 * Definitions (docs/pdf.md; P. Juhas et al., J. Appl. Cryst. 46 (2013) 560):
 *   I(Q)   measured intensity after background subtraction (I_sample - bgscale I_background)
 *   alpha  intensity scale: `scale` if > 0, else sum <f^2> / sum I over the data points with
 *          qmaxinst / 2 <= Q <= qmaxinst (the high-Q asymptote S -> 1)
 *   F_m(Q) = Q [alpha I(Q) - <f^2>(Q)] / <f>^2(Q)                       for Q <= qmaxinst
 *   F(Q)   = F_m(Q) - P(Q), P(Q) = Q sum_{k<n} c_k T_k(2 Q / qmaxinst - 1), the least-squares
 *            fit of F_m over the data points in [qmin, qmaxinst] (Chebyshev T_k), degree
 *            n = round(rpoly qmaxinst / pi): a degree-n polynomial on [0, qmaxinst] changes G(r)
 *            only below about rpoly (the ad hoc correction of PDFgetX3); rpoly = 0: no correction
 *   S(Q)   = 1 + F(Q) / Q
 *   G(r)   = (2 / pi) integral_{qmin}^{qmax} W(Q) F(Q) sin(Q r) dQ   (trapezoid rule over the
 *            data points in [qmin, qmax]; W = 1, or the Lorch window sin(x)/x, x = pi Q / qmax)
 *   r      = rmin + j rstep, j = 0 .. nr - 1, nr = floor((rmax - rmin) / rstep + 1e-9) + 1
 * Units: Q in 1/Angstrom, r in Angstrom, G in 1/Angstrom^2, <f> in electrons.
 *
 * Plan once, execute many: a plan holds the Q and r grids, <f>, <f^2>, the orthonormalised
 * polynomial basis and the transform (a chirp-z transform through FFTW when the Q points in
 * [qmin, qmax] are equally spaced, the direct sine sum otherwise). Execution never allocates
 * (workspaces are explicit) and takes a const plan: plans may be shared between threads.
 *
 * Ownership: _create allocates, _destroy frees (NULL is a no-op). Plans copy what they need
 * from their inputs (q, the composition).
 */
#ifndef TSCT_PDF_H
#define TSCT_PDF_H

#include <stdint.h>

#include "tsct/composition.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How G(r) is computed from F(Q) in the batch path (tsct_pdf_execute). */
typedef enum tsct_pdf_method {
    TSCT_PDF_AUTO = 0,    /* chirp-z when the Q points are equally spaced, else direct */
    TSCT_PDF_DIRECT = 1,  /* sine matrix [nr][nk] times F, cache-blocked over patterns */
    TSCT_PDF_CHIRPZ = 2,  /* Bluestein chirp-z transform through FFTW (exact for any r grid);
                             refused for unequally spaced Q */
} tsct_pdf_method;

typedef struct tsct_pdf_params {
    double qmin;      /* 1/A, lower limit of the transform and of the polynomial fit (>= 0) */
    double qmax;      /* 1/A, upper limit of the transform; <= 0: qmaxinst */
    double qmaxinst;  /* 1/A, last reliable Q: upper limit of the fit; <= 0: last data point */
    double rmin, rmax, rstep;  /* A, the r grid (rstep > 0, rmax >= rmin >= 0) */
    double rpoly;     /* A, sets the polynomial degree (above); 0: no correction */
    int lorch;        /* 1: Lorch window on F(Q) before the transform */
    double scale;     /* > 0: fixed alpha; 0: automatic (above) */
    tsct_pdf_method method;
    int nthreads;     /* threads of tsct_pdf_execute; 0: all cores */
} tsct_pdf_params;

/* Defaults: qmin 0, qmax = qmaxinst = end of data, r 0 .. 30 A step 0.01,
 * rpoly 0.9 (PDFgetX3's default), no window, automatic scale. */
#define TSCT_PDF_PARAMS_DEFAULT {0.0, 0.0, 0.0, 0.0, 30.0, 0.01, 0.9, 0, 0.0, TSCT_PDF_AUTO, 0}

typedef struct tsct_pdf_plan tsct_pdf_plan;
typedef struct tsct_pdf_workspace tsct_pdf_workspace;

/* Limits of a plan, checked before memory is taken (the r grid and the Q points come from
 * configuration and data files): at most TSCT_PDF_R_MAX r points, and for the direct method
 * a sine matrix of at most TSCT_PDF_DIRECT_MAX elements (nk Q points x nr, 1 GB of floats). */
#define TSCT_PDF_R_MAX ((int64_t)1 << 24)
#define TSCT_PDF_DIRECT_MAX ((int64_t)1 << 28)

/* Plan the conversion of patterns sampled at q[nq] (1/A, strictly increasing) for a sample of
 * composition comp. Errors: TSCT_ERR_VALUE (q not increasing or not finite, a parameter out of
 * range, more r points or a larger sine matrix than the limits above, qmax > qmaxinst,
 * qmaxinst above the last data point, fewer than 2 points in [qmin, qmax], more polynomial
 * terms than fit points, <f>^2 = 0), TSCT_ERR_UNSUPPORTED
 * (TSCT_PDF_CHIRPZ on unequal Q steps), TSCT_ERR_NOMEM. The message names the parameter and
 * both values. On error *out is NULL. */
tsct_status tsct_pdf_plan_create(const tsct_pdf_params *params, const tsct_composition *comp,
                                 const double *q, int64_t nq, tsct_pdf_plan **out,
                                 tsct_error *err);

void tsct_pdf_plan_destroy(tsct_pdf_plan *plan);

/* The resolved parameters (qmax, qmaxinst filled in, method chosen). */
const tsct_pdf_params *tsct_pdf_plan_params(const tsct_pdf_plan *plan);

/* The r grid: nr points (owned by the plan). */
int64_t tsct_pdf_plan_nr(const tsct_pdf_plan *plan);
const double *tsct_pdf_plan_r(const tsct_pdf_plan *plan);

/* Number of input points nq, and the polynomial degree n (0: no correction). */
int64_t tsct_pdf_plan_nq(const tsct_pdf_plan *plan);
int tsct_pdf_plan_degree(const tsct_pdf_plan *plan);

/* One pattern, in double precision, with every intermediate (the reference path).
 * iq[nq]: background-subtracted intensity. Outputs (any may be NULL): sq[nq], fq[nq]
 * (NaN above qmaxinst, and sq at Q = 0), gr[nr], *alpha. Thread-safe; allocates a scratch
 * F(Q) only when fq is NULL. Errors: TSCT_ERR_VALUE if alpha is not finite and > 0 (e.g. an
 * empty pattern), TSCT_ERR_NOMEM. */
tsct_status tsct_pdf_execute_one(const tsct_pdf_plan *plan, const double *iq, double *sq,
                                 double *fq, double *gr, double *alpha, tsct_error *err);

/* Workspace for tsct_pdf_execute with up to `nthreads` threads (0: all cores). */
tsct_status tsct_pdf_workspace_create(const tsct_pdf_plan *plan, int nthreads,
                                      tsct_pdf_workspace **out, tsct_error *err);
void tsct_pdf_workspace_destroy(tsct_pdf_workspace *ws);

/* G(r) of npat patterns iq[npat][nq] (float32, e.g. one voxel row) into g[npat][nr].
 * mask[npat] (may be NULL): 0 skips a pattern and writes NaN. Patterns whose alpha is not
 * finite and positive also give NaN. Runs an OpenMP team of min(params nthreads, workspace
 * threads). iq and g must not overlap. Single precision: agrees with tsct_pdf_execute_one to
 * about 1e-5 of max |G| (tests/test_pdf.c). Errors: TSCT_ERR_VALUE (workspace of another
 * plan). */
tsct_status tsct_pdf_execute(const tsct_pdf_plan *plan, const float *iq, int64_t npat,
                             const uint8_t *mask, float *g, tsct_pdf_workspace *ws,
                             tsct_error *err);

/* ---- PDFgetX3 configuration -------------------------------------------------------------- */

/* Settings of a PDFgetX3 .cfg file (and of the header of its output files). Strings are
 * NUL-terminated; file names are resolved against the folder of the configuration file. */
typedef struct tsct_pdf_config {
    char dataformat[16];       /* "twotheta", "QA" or "Qnm" */
    char inputfile[64][1024];  /* inputfile: one or more, one per line */
    int ninputfile;
    char backgroundfile[1024]; /* "" for none */
    double bgscale;            /* default 1 */
    double twothetazero;       /* deg, subtracted from 2theta (default 0) */
    char outputtypes[4][4];    /* subset of "iq", "sq", "fq", "gr" in that order */
    int noutputtypes;
    char mode[16];             /* "xray" (the only mode supported) */
    double wavelength;         /* A; NaN if not given (required for twotheta) */
    char composition[256];
    tsct_pdf_params params;    /* qmin, qmax, qmaxinst, rmin, rmax, rstep, rpoly, lorch */
    char source[1024];         /* the file read, "" if none */
} tsct_pdf_config;

/* Defaults (PDFgetX3's): dataformat QA, bgscale 1, outputtypes gr, mode xray, params
 * TSCT_PDF_PARAMS_DEFAULT; no composition, no wavelength. */
void tsct_pdf_config_init(tsct_pdf_config *cfg);

/* Read the [DEFAULT] section of a .cfg file and then section `section` (may be NULL) on top
 * of the current values of cfg. Syntax: "key = value" or "key: value", comments starting
 * with '#' or ';', continuation lines (indented) add values to inputfile. Keys: dataformat,
 * inputfile, backgroundfile, bgscale, twothetazero, outputtype(s), mode, wavelength,
 * composition, qmaxinst, qmin, qmax, rmin, rmax, rstep, rpoly, and lorch (tsct: yes/no);
 * PDFgetX3's version, output, force, verbose, plot, interact and datapath are accepted and
 * ignored. Errors (file, key, 1-based line in the message): TSCT_ERR_NOT_FOUND (no file, no
 * such section), TSCT_ERR_VALUE (unknown key, bad number, bad dataformat / outputtype / mode,
 * empty composition). */
tsct_status tsct_pdf_config_read(tsct_pdf_config *cfg, const char *path, const char *section,
                                 tsct_error *err);

/* Set one key from a string, as the file would (for command-line options); line is used in
 * messages (-1: none). */
tsct_status tsct_pdf_config_set(tsct_pdf_config *cfg, const char *key, const char *value,
                                const char *file, int64_t line, tsct_error *err);

/* Check that the configuration can run: composition set and parsable, wavelength > 0 for
 * twotheta, mode xray. Errors: TSCT_ERR_VALUE naming the key. */
tsct_status tsct_pdf_config_check(const tsct_pdf_config *cfg, tsct_error *err);

/* Write every setting as a PDFgetX3 configuration block ("[DEFAULT]", "key = value" lines,
 * ending with "# End of config ---..."), the header of .iq/.sq/.fq/.gr files, into buf. The
 * block is itself a valid configuration file. Returns the length (truncated to size - 1). */
int64_t tsct_pdf_config_format(const tsct_pdf_config *cfg, const char *version, char *buf,
                               int64_t size);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_PDF_H */
