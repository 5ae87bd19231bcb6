/* tsct/tomo.h - tomographic reconstruction of multi-channel sinograms: filtered back projection
 * (FBP), a matched forward / back projector pair, the iterative solvers SIRT and CGLS, and
 * ring-artefact removal.
 *
 * XRD-CT reconstructs thousands of sinograms (one per q channel) that share one geometry, so
 * every function here works on all channels at once with the channel axis last and contiguous:
 *
 *   sinogram  [na][ns][nc]   angles, detector positions (translations), channels
 *   image     [n][n][nc]     rows (y), columns (x), channels; n = output / image size
 *
 * Single-channel absorption data is nc = 1. Values are float32; sizes and strides are int64_t.
 * A "leading dimension" ld (ld_sino, ld_image) is the distance, in floats, between the first
 * channels of two consecutive detector positions (sinogram) or pixels (image); it is >= nc and
 * lets a caller process a channel slab c0 .. c0+nc-1 of a larger array in place (pass the
 * pointer to channel c0 and ld = the full channel count). 0 means ld = nc (packed).
 *
 * Geometry (identical to scikit-image 0.19 `radon` / `iradon`, see docs/tomo.md):
 *  - angles theta are in degrees, any order, any values (non-uniform, over 180 or 360 degrees);
 *  - the rotation axis lies at detector index ns / 2 (integer division) and at image pixel
 *    (n / 2, n / 2);
 *  - pixel (row i, column k) projects at detector coordinate
 *        s = (k - n/2) cos(theta) - (i - n/2) sin(theta) + ns/2        (units: pixels = bins)
 *    and detector values are linearly interpolated at s; s outside [0, ns - 1] contributes 0;
 *  - with `circle` (default) only pixels with (i - n/2)^2 + (k - n/2)^2 <= (n/2)^2 are
 *    reconstructed; the others are set to 0.
 *
 * Plans (FFTW style): *_create() validates the geometry, allocates and precomputes everything
 * (filters, FFT plans, angle tables, circle extents); execution takes a const plan, never
 * allocates (scratch memory is an explicit workspace the caller provides), never prints, and is
 * thread-safe: several threads may execute one plan at the same time, each with its own
 * workspace. FFTW's planner is not thread-safe: the tomo module plans and destroys FFTW plans
 * under one lock, so plans may be created from several threads (FBP planning measures FFT
 * algorithms, FFTW_MEASURE: up to a few tenths of a second for large sizes). Each execution
 * runs an OpenMP team of params.nthreads threads (0 = all available cores).
 *
 * Errors: TSCT_ERR_VALUE (bad parameter, NaN or infinite angle, NULL pointer),
 * TSCT_ERR_SHAPE (sizes out of range or inconsistent, workspace too small), TSCT_ERR_NOMEM.
 * The iterative solvers return TSCT_NOT_CONVERGED (not an error: the image is usable) when
 * they stop at their iteration limit.
 */
#ifndef TSCT_TOMO_H
#define TSCT_TOMO_H

#include <stddef.h>
#include <stdint.h>

#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- filtered back projection ----------------------------------------------------------- */

/* The FBP filters, as in skimage.transform.iradon (filter_name). The ramp is designed in real
 * space (Kak & Slaney eq. 3.61: h[0] = 1/4, h[odd k] = -1/(pi k)^2), so it has no DC bias; the
 * others multiply the ramp by a window in frequency. NONE back-projects the raw sinogram. */
typedef enum tsct_tomo_fbp_filter {
    TSCT_TOMO_FBP_FILTER_RAMP = 0,
    TSCT_TOMO_FBP_FILTER_SHEPP_LOGAN,
    TSCT_TOMO_FBP_FILTER_COSINE,
    TSCT_TOMO_FBP_FILTER_HAMMING,
    TSCT_TOMO_FBP_FILTER_HANN,
    TSCT_TOMO_FBP_FILTER_NONE,
    TSCT_TOMO_FBP_FILTER_COUNT_ /* number of filters; not a filter */
} tsct_tomo_fbp_filter;

/* skimage's name of a filter: "ramp", "shepp-logan", "cosine", "hamming", "hann", "none".
 * Returns "unknown" for an out-of-range value. */
const char *tsct_tomo_fbp_filter_name(tsct_tomo_fbp_filter filter);

/* Parse a filter name (as above; case-sensitive). Errors: TSCT_ERR_VALUE naming the accepted
 * names. */
tsct_status tsct_tomo_fbp_filter_parse(const char *name, tsct_tomo_fbp_filter *filter,
                                       tsct_error *err);

/* skimage's frequency response of `filter` for a `size`-point FFT (even, >= 2): response[k],
 * k = 0 .. size-1 in FFT order (k / size cycles per bin for k < size/2, negative frequencies
 * above), equal to skimage 0.19's _get_fourier_filter(size, name): the ramp is 2 Re DFT of the
 * real-space kernel, so response[0] is small and positive (about 1 / (pi^2 size / 4)), not 0;
 * hamming and hann are numpy's symmetric windows shifted by fftshift. (FBP applies the even
 * part (response[k] + response[size-k]) / 2, which is what iradon's real part amounts to.)
 * Errors: TSCT_ERR_VALUE (NULL, unknown filter), TSCT_ERR_SHAPE (size), TSCT_ERR_NOMEM. */
tsct_status tsct_tomo_fbp_filter_response(tsct_tomo_fbp_filter filter, int64_t size,
                                          double *response, tsct_error *err);

typedef struct tsct_tomo_fbp_params {
    tsct_tomo_fbp_filter filter; /* default TSCT_TOMO_FBP_FILTER_RAMP */
    int64_t output_size;    /* n, rows and columns of the image; 0 (default) = as iradon: ns
                               with circle, floor(sqrt(ns^2 / 2)) without */
    int circle;             /* default 1: as iradon(circle=True): the sinogram is zero-padded
                               to ceil(sqrt(2) ns) bins before filtering and pixels outside the
                               inscribed circle are 0 */
    int64_t channel_block;  /* channels filtered and back-projected together; sets the
                               workspace size (about na * ns * channel_block * 4 bytes plus
                               2 FFT buffers per thread); default 64; <= 0 means 64 */
    int nthreads;           /* OpenMP threads per execution; 0 (default) = all cores */
} tsct_tomo_fbp_params;

#define TSCT_TOMO_FBP_PARAMS_DEFAULT                                                               \
    {                                                                                              \
        TSCT_TOMO_FBP_FILTER_RAMP, 0, 1, 64, 0                                                     \
    }

/* The plan: geometry, filter, FFT plans, angle tables. Opaque. */
typedef struct tsct_tomo_fbp_plan tsct_tomo_fbp_plan;

/* Plan the reconstruction of sinograms of na angles (angles_deg[na], degrees, copied) and ns
 * detector positions. params may be NULL (defaults). On success *plan is set; on error it is
 * NULL. Requirements: na >= 1, ns >= 2, finite angles, output_size >= 0, channel_block <= 2^20.
 * Errors: TSCT_ERR_VALUE, TSCT_ERR_SHAPE, TSCT_ERR_NOMEM. Thread-safe. */
tsct_status tsct_tomo_fbp_plan_create(const tsct_tomo_fbp_params *params, int64_t na, int64_t ns,
                                      const double *angles_deg, tsct_tomo_fbp_plan **plan,
                                      tsct_error *err);

/* Free a plan. NULL does nothing. */
void tsct_tomo_fbp_plan_destroy(tsct_tomo_fbp_plan *plan);

/* Image size n of the plan (rows = columns). */
int64_t tsct_tomo_fbp_plan_output_size(const tsct_tomo_fbp_plan *plan);

/* Bytes of workspace one execution needs (independent of nc: channels are processed in blocks
 * of channel_block). */
size_t tsct_tomo_fbp_workspace_size(const tsct_tomo_fbp_plan *plan);

/* Reconstruct nc channels: image = FBP(sino), exactly as skimage's
 *     iradon(sino[:, :, c].T, theta=angles_deg, output_size=n, filter_name=..., interpolation=
 *            "linear", circle=...)
 * for every channel c (to float32 rounding), including its scaling pi / (2 na).
 *   sino   [na][ns] positions of ld_sino floats each, channels 0 .. nc-1 used; not modified
 *   image  [n][n] pixels of ld_image floats each; channels 0 .. nc-1 are overwritten, other
 *          floats between pixels are left alone. Must not overlap sino.
 *   work   caller memory of at least tsct_tomo_fbp_workspace_size(plan) bytes, any alignment; one
 *          workspace per concurrent execution.
 * nc may be any number >= 1 (a caller streaming channels from disk calls this once per slab).
 * Errors: TSCT_ERR_VALUE (NULL pointer, nc < 1), TSCT_ERR_SHAPE (ld < nc, workspace too small).
 * Thread-safe for distinct workspaces and outputs. */
tsct_status tsct_tomo_fbp_execute(const tsct_tomo_fbp_plan *plan, const float *sino, int64_t nc,
                                  int64_t ld_sino, float *image, int64_t ld_image, void *work,
                                  size_t work_bytes, tsct_error *err);

/* ---- the projector pair ---------------------------------------------------------------- */

/* A matched pair, pixel-driven with linear interpolation (docs/tomo.md):
 *   back projection  (A^T y)[i,k] = sum_a (1 - f) y[a][j] + f y[a][j+1],  j = floor(s), f = s - j
 *   forward          (A x)[a][j] += (1 - f) x[i,k],  (A x)[a][j+1] += f x[i,k]
 * with s the detector coordinate of pixel (i, k) at angle a (see the top of this file). A^T is
 * exactly iradon's unfiltered, unscaled back projection (on ns bins, without padding), and A is
 * its exact adjoint, so <A x, y> = <x, A^T y> to float rounding. A approximates the line
 * integral of the image (one unit per pixel, mass preserving per angle). skimage's radon
 * rotates the image with bilinear interpolation and sums columns, so the two agree only
 * approximately: measured (tests/test_tomo_iter.c) 7e-4 RMS / 8e-3 max of the sinogram maximum
 * on a smooth image, 5e-3 RMS / up to 1e-1 max on sharp-edged ellipses (at edge bins). */
typedef struct tsct_tomo_projector_params {
    int64_t image_size; /* n; 0 (default) = ns */
    int circle;         /* default 1: only pixels inside the inscribed circle are unknowns;
                           A ignores the others and A^T (and the solvers) set them to 0 */
    int nthreads;       /* OpenMP threads; 0 (default) = all cores */
} tsct_tomo_projector_params;

#define TSCT_TOMO_PROJECTOR_PARAMS_DEFAULT                                                         \
    {                                                                                              \
        0, 1, 0                                                                                    \
    }

typedef struct tsct_tomo_projector tsct_tomo_projector;

/* Build the projector for na angles (angles_deg[na], degrees, copied) and ns detector
 * positions. params may be NULL (defaults). Requirements: na >= 1, ns >= 2, finite angles.
 * Errors: TSCT_ERR_VALUE, TSCT_ERR_SHAPE, TSCT_ERR_NOMEM. */
tsct_status tsct_tomo_projector_create(const tsct_tomo_projector_params *params, int64_t na,
                                       int64_t ns, const double *angles_deg,
                                       tsct_tomo_projector **proj, tsct_error *err);

/* Free a projector. NULL does nothing. */
void tsct_tomo_projector_destroy(tsct_tomo_projector *proj);

/* na, ns and n of a projector (any pointer may be NULL). */
void tsct_tomo_projector_shape(const tsct_tomo_projector *proj, int64_t *na, int64_t *ns,
                               int64_t *n);

/* sino[na][ns][nc] = A image[n][n][nc] (overwritten). Packed arrays (ld = nc), no overlap.
 * Parallel over angles. Never allocates. Errors: TSCT_ERR_VALUE. */
tsct_status tsct_tomo_projector_forward(const tsct_tomo_projector *proj, const float *image,
                                        int64_t nc, float *sino, tsct_error *err);

/* image[n][n][nc] = A^T sino[na][ns][nc] (overwritten; 0 outside the circle). Packed arrays,
 * no overlap. Parallel over image tiles. Never allocates. Errors: TSCT_ERR_VALUE. */
tsct_status tsct_tomo_projector_adjoint(const tsct_tomo_projector *proj, const float *sino,
                                        int64_t nc, float *image, tsct_error *err);

/* ---- iterative solvers ----------------------------------------------------------------- */

typedef struct tsct_tomo_iter_params {
    int max_iter;     /* iteration limit; default 100 */
    double tol;       /* stop (converged) when ||b - A x|| <= tol ||b|| (Frobenius norms over
                         all channels); default 1e-6 */
    double stall_tol; /* stop (converged) when one iteration lowers the relative residual by
                         less than stall_tol times its value; default 0 (off) */
    double relax;     /* SIRT relaxation lambda in (0, 2); default 1. Ignored by CGLS. */
    int nonneg;       /* SIRT: clip x to >= 0 after each update; default 0. Ignored by CGLS. */
    /* NULL, or called after every iteration k (1-based) with the relative residual
     * ||b - A x_k|| / ||b||, from the calling thread (progress for a log); default NULL. */
    void (*on_iteration)(void *user, int iteration, double residual);
    void *user;       /* passed to on_iteration */
} tsct_tomo_iter_params;

#define TSCT_TOMO_ITER_PARAMS_DEFAULT                                                              \
    {                                                                                              \
        100, 1e-6, 0.0, 1.0, 0, NULL, NULL                                                         \
    }

/* What a solver did. */
typedef struct tsct_tomo_iter_report {
    int iterations;       /* iterations done */
    double residual;      /* final ||b - A x|| / ||b|| (0 when b = 0) */
} tsct_tomo_iter_report;

/* Bytes of workspace tsct_tomo_sirt() and tsct_tomo_cgls() need for nc channels (the larger
 * of the two): about 2 sinograms + 2 images of nc channels, plus per-thread sums. */
size_t tsct_tomo_solver_workspace_size(const tsct_tomo_projector *proj, int64_t nc);

/* SIRT (Gregor & Benson 2008):  x <- x + relax C A^T R (b - A x),  R = 1 / row sums of A,
 * C = 1 / column sums of A (0 where a sum is 0), then x <- max(x, 0) if nonneg.
 * CGLS (Bjorck 1996): conjugate gradients on the normal equations, one independent CG
 * recursion per channel (step lengths per channel), minimising ||b - A x|| per channel.
 *
 *   sino       b [na][ns][nc], packed; not modified
 *   image      x [n][n][nc], packed: the starting point in (zeros for a cold start), the
 *              result out; pixels outside the circle are set to 0
 *   residuals  NULL, or an array of max_iter doubles receiving ||b - A x_k|| / ||b|| after
 *              each iteration k (entries past report->iterations are left alone)
 *   report     NULL, or receives the iteration count and final relative residual
 *   work       at least tsct_tomo_solver_workspace_size(proj, nc) bytes, any alignment
 * Returns TSCT_OK when a tolerance was met, TSCT_NOT_CONVERGED at max_iter (x is the last
 * iterate), or an error: TSCT_ERR_VALUE (bad parameter or pointer), TSCT_ERR_SHAPE (workspace
 * too small). Threads: the projector's nthreads. */
tsct_status tsct_tomo_sirt(const tsct_tomo_projector *proj, const tsct_tomo_iter_params *params,
                           const float *sino, int64_t nc, float *image, double *residuals,
                           tsct_tomo_iter_report *report, void *work, size_t work_bytes,
                           tsct_error *err);

tsct_status tsct_tomo_cgls(const tsct_tomo_projector *proj, const tsct_tomo_iter_params *params,
                           const float *sino, int64_t nc, float *image, double *residuals,
                           tsct_tomo_iter_report *report, void *work, size_t work_bytes,
                           tsct_error *err);

/* ---- ring artefacts -------------------------------------------------------------------- */

/* Remove ring artefacts from sinograms by sorting (Vo, Atwood & Drakopoulos, Opt. Express 26
 * (2018) 28396, "sorting-based" stripe removal; docs/tomo.md): a ring comes from a detector
 * position whose response differs from its neighbours'. Sorting each position's values over
 * the angles makes every column of the sinogram smooth and monotonic, so such a position
 * stands out as a stripe; a median over `size` neighbouring positions (edges reflected:
 * d c b a | a b c d | d c b a, as scipy.ndimage's default) replaces it, and the values return
 * to their angles' order. Ties keep their angles' order (a stable sort).
 *
 * In place on sino [na][ns][ld] (channels c < nc filtered independently; ld >= nc, 0 = nc).
 * size: odd, 3 <= size <= ns (21-31 is typical). Threads: OpenMP over channels, nthreads
 * (0 = all cores). Allocates 16 na ns bytes per thread. Errors: TSCT_ERR_VALUE (size, shapes,
 * a value that is not finite: index = its flat position), TSCT_ERR_NOMEM. On error the
 * sinogram is unchanged only if the error is found before filtering (values are checked
 * first). */
tsct_status tsct_tomo_rings_sort(float *sino, int64_t na, int64_t ns, int64_t nc, int64_t ld,
                                 int size, int nthreads, tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_TOMO_H */
