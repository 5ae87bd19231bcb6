/* tsct/pdf.h - pair distribution functions: I(Q) -> S(Q) -> F(Q) -> G(r), the PDFgetX3 way.
 *
 * Definitions (docs/pdf.md; P. Juhas et al., J. Appl. Cryst. 46 (2013) 560):
 *   I(Q)   measured intensity after background subtraction (I_sample - sum_k bgscale_k
 *          I_background_k)
 *   alpha  intensity scale: `scale` if > 0, else PDFgetX3's: the alpha that minimises
 *          integral [(alpha I - <f^2>) / <f>^2]^2 dQ = integral (S - 1)^2 dQ over the data
 *          points in [qmin, qmaxinst], i.e. alpha = sum w I <f^2> / <f>^4 / sum w I^2 / <f>^4
 *          with w the trapezoid weights of those points (docs/pdf.md, "Scale")
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
    double qmax;      /* 1/A, upper limit of the transform; 0: qmaxinst (negative: error) */
    double qmaxinst;  /* 1/A, last reliable Q: upper limit of the scale and of the fit;
                         0: last data point (negative: error) */
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
 * range such as a negative qmax or qmaxinst, more r points or a larger sine matrix than the
 * limits above, qmax > qmaxinst, qmaxinst above the last data point, fewer than 2 points in
 * [qmin, qmax], more polynomial terms than fit points, <f>^2 = 0), TSCT_ERR_UNSUPPORTED
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
 * (NaN above qmaxinst, and sq at Q = 0), gr[nr], *alpha (also set when it is refused).
 * Thread-safe; allocates a scratch F(Q) only when fq is NULL. Errors: TSCT_ERR_VALUE if
 * alpha is not finite and > 0 (an empty or negative pattern), TSCT_ERR_NOMEM. */
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

#define TSCT_PDF_MAX_INPUTS 64      /* inputfile entries */
#define TSCT_PDF_MAX_BACKGROUNDS 16 /* backgroundfile entries (and bgscale values) */
#define TSCT_PDF_MAX_DATAPATH 16    /* datapath folders */
#define TSCT_PDF_CONFIG_NKEYS 32    /* size of the private key-line table */

/* Settings of a PDFgetX3 .cfg file (and of the header of its output files). Strings are
 * NUL-terminated. File names read from a configuration file are resolved against its folder,
 * then against each datapath folder (the first that exists wins); names set without a file
 * (command-line options) are taken as given, then searched in datapath. */
typedef struct tsct_pdf_config {
    char dataformat[16];       /* "twotheta", "QA" or "Qnm" */
    char inputfile[TSCT_PDF_MAX_INPUTS][1024]; /* inputfile: one or more */
    int ninputfile;
    char backgroundfile[TSCT_PDF_MAX_BACKGROUNDS][1024]; /* none: nbackgroundfile = 0 */
    int nbackgroundfile;
    double bgscale[TSCT_PDF_MAX_BACKGROUNDS]; /* one per background; default 1 each */
    int nbgscale;              /* values given (0: every scale is 1; 1: that value for all) */
    char datapath[TSCT_PDF_MAX_DATAPATH][1024]; /* folders searched for input files */
    int ndatapath;
    char output[1024];         /* output file or folder ("" : the current folder) */
    int force;                 /* 1: overwrite existing output files */
    double twothetazero;       /* deg, subtracted from 2theta (default 0) */
    char outputtypes[4][4];    /* subset of "iq", "sq", "fq", "gr" in that order */
    int noutputtypes;
    char mode[16];             /* "xray" (the only mode supported) */
    double wavelength;         /* A; NaN if not given (required for twotheta) */
    char composition[256];
    tsct_pdf_params params;    /* qmin, qmax, qmaxinst, rmin, rmax, rstep, rpoly, lorch */
    char source[1024];         /* the file read, "" if none */
    int64_t keyline[TSCT_PDF_CONFIG_NKEYS]; /* private: use tsct_pdf_config_line() */
} tsct_pdf_config;

/* Defaults (PDFgetX3's for every key a file leaves out): dataformat QA, no input or
 * background files, bgscale 1, twothetazero 0, outputtypes gr, mode xray, rpoly 0.9,
 * qmin 0, qmax and qmaxinst 0 (= the end of the data), r 0 .. 30 by 0.01, no force, no
 * composition (required), no wavelength (required for twotheta). */
void tsct_pdf_config_init(tsct_pdf_config *cfg);

/* Read the [DEFAULT] section of a .cfg file and then section `section` (may be NULL) on top
 * of the current values of cfg (Python ConfigParser syntax, as PDFgetX3 reads it):
 * "key = value" or "key: value", keys case-insensitive, full-line comments starting with '#'
 * or ';', a value continued on the following indented lines, reading stops at
 * "#### start data" (so PDFgetX3's and tsct's output files are configurations).
 * List keys (inputfile, backgroundfile(s), bgscale(s), datapath, outputtype(s)) take values
 * separated by commas, spaces or continuation lines. Keys: dataformat, inputfile,
 * backgroundfile(s), bgscale(s), datapath, output, outputtype(s), force, mode, wavelength,
 * twothetazero, composition, qmaxinst, qmin, qmax, rmin, rmax, rstep, rpoly; version,
 * plot, interact, verbose and formfactorfile (of mode sas) are accepted and do nothing here;
 * lorch (yes/no) is tsct's.
 * Errors (the message names the file, the key and its 1-based line): TSCT_ERR_NOT_FOUND (no
 * file, no such section), TSCT_ERR_VALUE (unknown key, a bad or out-of-range number such as
 * a negative qmax, bad dataformat / outputtype / boolean, empty or unknown composition, too
 * many files), TSCT_ERR_UNSUPPORTED (mode neutron, electron or sas: X-ray form factors
 * only; output '-'). */
tsct_status tsct_pdf_config_read(tsct_pdf_config *cfg, const char *path, const char *section,
                                 tsct_error *err);

/* Set one key from a string, as the file would (for command-line options); file and line
 * are used in messages and recorded for tsct_pdf_config_line (file NULL, line -1: none). */
tsct_status tsct_pdf_config_set(tsct_pdf_config *cfg, const char *key, const char *value,
                                const char *file, int64_t line, tsct_error *err);

/* The 1-based line of the configuration file where `key` was last set, or -1 (a default,
 * or set from the command line). */
int64_t tsct_pdf_config_line(const tsct_pdf_config *cfg, const char *key);

/* The scale of background k (0 <= k < nbackgroundfile): bgscale[k], the single value given
 * for all, or 1 if none given. */
double tsct_pdf_config_bgscale(const tsct_pdf_config *cfg, int k);

/* Whether background k is subtracted: PDFgetX3 keeps one instance of a file named several
 * times (its Multiple_Background_Subtraction example), so only the last entry of a repeated
 * name counts, with its own scale; 0 for the others (and for k out of range). */
int tsct_pdf_config_background_used(const tsct_pdf_config *cfg, int k);

/* Check that the configuration can run: composition set, wavelength > 0 for twotheta, one
 * bgscale per background (or one for all, or none), qmin < qmax and qmax <= qmaxinst where both are given.
 * Errors: TSCT_ERR_VALUE naming the file, the key and its line. */
tsct_status tsct_pdf_config_check(const tsct_pdf_config *cfg, tsct_error *err);

/* Check the Q limits against a pattern sampled at q[n] (1/A, increasing; `input` names it in
 * messages): qmaxinst and qmax not above the last point by more than the last step (a round
 * limit at the end of the data passes, as in PDFgetX3), qmin below the end of the data.
 * Errors: TSCT_ERR_VALUE naming the configuration file, the key and its line, and the
 * input; n < 2. */
tsct_status tsct_pdf_config_check_q(const tsct_pdf_config *cfg, const double *q, int64_t n,
                                    const char *input, tsct_error *err);

/* An output file name from PDFgetX3's `output` template for input file `input` and output
 * type `ext` (iq, sq, fq, gr): @f the input path (dir/name.chi), @h its folder (or "."), @r the
 * path without extension (dir/name), @e the extension (chi), @t the file name (name.chi),
 * @b the name without extension (name), @o ext; other characters are copied ("@b.@o" is the
 * default, an empty output). Writes at most size - 1 characters and a NUL into buf; returns
 * the length written. Thread-safe. */
int64_t tsct_pdf_output_expand(const char *tmpl, const char *input, const char *ext, char *buf,
                               int64_t size);

/* Write every setting as a PDFgetX3 configuration block ("[DEFAULT]", "key = value" lines,
 * ending with "# End of config ---..."), the header of .iq/.sq/.fq/.gr files, into buf. The
 * block is itself a valid configuration file. Returns the length (truncated to size - 1). */
int64_t tsct_pdf_config_format(const tsct_pdf_config *cfg, const char *version, char *buf,
                               int64_t size);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_PDF_H */
