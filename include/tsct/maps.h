/* tsct/maps.h - maps from per-voxel patterns, masks, regions, coverage and particle distances.
 *
 * What the studies publish: where each phase is and how much of it. A map turns every voxel's
 * pattern (a reconstructed I(q) or a G(r)) into one number; thresholds turn maps into masks;
 * masks give coverage (pixel counts), region-summed patterns and particles.
 *
 * Map definitions are linear functionals of the pattern, so each is compiled once into a plan
 * (a run of bins and their weights along the pattern axis) and applied to millions of voxels
 * as a dot product:
 *
 *   window      area of I(x) over [lo, hi] by the trapezoid rule on the bins whose centres lie
 *               in the window, minus the straight background line through the first and last
 *               of those bins (the window's edges) when `background` is set
 *   value       I at x = lo (linear interpolation), or its mean over [lo - hi, lo + hi] when
 *               hi > 0 (trapezoid rule over that range divided by its width): "G(r) at r"
 *   total       sum of I over all bins (the absorption-tomography-like map)
 *
 * Images are [ny][nx] (C order) as elsewhere in tsct; NaN marks voxels without data (outside
 * the reconstruction circle, below a mask) and propagates through maps but never enters masks.
 * Thread safety: plans are immutable after creation; every function is reentrant.
 */
#ifndef TSCT_MAPS_H
#define TSCT_MAPS_H

#include <stdint.h>

#include "tsct/phase.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tsct_maps_kind {
    TSCT_MAPS_WINDOW = 0,
    TSCT_MAPS_VALUE = 1,
    TSCT_MAPS_TOTAL = 2,
} tsct_maps_kind;

typedef struct tsct_maps_def {
    char name[64];      /* the map's name: /entry/maps/NAME */
    tsct_maps_kind kind;
    double lo, hi;      /* window: [lo, hi]; value: lo = position, hi = half width (0: point) */
    int background;     /* window: subtract the line through the edges (1) or not (0) */
} tsct_maps_def;

typedef struct tsct_maps_plan tsct_maps_plan;

/* Compile a definition on the axis x[nx] (increasing; q in 1/A or r in A). Errors:
 * TSCT_ERR_VALUE naming the map: window outside the axis or holding fewer than 2 bins
 * ("window 0.1..0.2 holds 0 bins of the axis 0.5..12"), value outside the axis, lo > hi,
 * non-increasing axis; TSCT_ERR_NOMEM. */
tsct_status tsct_maps_plan_create(const tsct_maps_def *def, const double *x, int64_t nx,
                                  tsct_maps_plan **out, tsct_error *err);
void tsct_maps_plan_destroy(tsct_maps_plan *plan);

/* A one-line description for the map's "method" attribute, e.g.
 * "peak area 1.29-1.42 (11 bins) minus linear background through the window edges". */
const char *tsct_maps_plan_describe(const tsct_maps_plan *plan);

/* Apply to npix patterns of nx values each, pattern p starting at patterns + p * ld:
 * out[p] = sum_j w_j patterns[p * ld + j]. A NaN in the used bins gives NaN. nthreads: OpenMP
 * threads (0 = all cores). */
void tsct_maps_plan_apply(const tsct_maps_plan *plan, const float *patterns, int64_t npix,
                          int64_t ld, int nthreads, float *out);

/* ---- thresholds and masks ------------------------------------------------------------------ */

/* p-th percentile (0..100) of the finite values, with numpy's default linear interpolation;
 * NaN if there are none. */
double tsct_maps_percentile(const float *v, int64_t n, double p);

/* Otsu's threshold of the finite values as scikit-image's threshold_otsu computes it: a
 * histogram of nbins (256) equal bins over [min, max], the bin centre maximising the
 * between-class variance. NaN if there are no finite values; the value itself if all are
 * equal. */
double tsct_maps_otsu(const float *v, int64_t n, int nbins);

/* mask[k] = v[k] > threshold (NaN gives 0). Returns the number of voxels set. */
int64_t tsct_maps_threshold(const float *v, int64_t n, double threshold, uint8_t *mask);

/* Features above a level with their edges at half height: mask[k] = 1 where the largest
 * value of v within the (2 r + 1) x (2 r + 1) window around pixel k (clipped at the image
 * border) exceeds `level` and v[k] is at least half that largest value; 0 elsewhere. A
 * reconstruction blurs a step edge over about the beam width, and a pixel whose centre lies
 * inside the feature keeps more than half of the plateau, so this keeps the whole of a
 * feature whose plateau exceeds the level, as a phase-fraction truth counts it, where a plain
 * threshold near the plateau would erode it. r = 0 is the plain threshold v > level.
 * v[ny][nx]; non-finite values count as 0; level >= 0. Returns the number of pixels set. */
int64_t tsct_maps_half_max_mask(const float *v, int64_t ny, int64_t nx, int64_t r, double level,
                                uint8_t *mask);

/* Binary morphology with a disk of the given radius (the points with dx^2 + dy^2 <= r^2, as
 * skimage.morphology.disk), with scikit-image's border rules: erosion treats the outside as
 * set, dilation as clear. open = erode then dilate; close = dilate then erode. In place; a
 * work buffer of ny * nx bytes is allocated. Errors: TSCT_ERR_VALUE (radius < 0),
 * TSCT_ERR_NOMEM. */
tsct_status tsct_maps_erode(uint8_t *mask, int64_t ny, int64_t nx, int radius, tsct_error *err);
tsct_status tsct_maps_dilate(uint8_t *mask, int64_t ny, int64_t nx, int radius,
                             tsct_error *err);
tsct_status tsct_maps_open(uint8_t *mask, int64_t ny, int64_t nx, int radius, tsct_error *err);
tsct_status tsct_maps_close(uint8_t *mask, int64_t ny, int64_t nx, int radius, tsct_error *err);

/* Connected components of a mask: labels[k] = 1..count for set pixels, 0 elsewhere, numbered
 * in raster order of their first pixel; connectivity 4 or 8. Returns the count, or -1 if out
 * of memory. */
int64_t tsct_maps_label(const uint8_t *mask, int64_t ny, int64_t nx, int connectivity,
                        int32_t *labels);

/* Remove components smaller than min_size pixels (connectivity 4 or 8). Returns the number of
 * components kept, -1 if out of memory. */
int64_t tsct_maps_remove_small(uint8_t *mask, int64_t ny, int64_t nx, int64_t min_size,
                               int connectivity);

/* A disk ROI: set the pixels whose centres lie within radius of the point (cx + dx, cy + dy),
 * where (cx, cy) = (nx / 2, ny / 2) is the rotation axis (integer division, as in tomo.h).
 * Returns the number of pixels set. */
int64_t tsct_maps_circle(uint8_t *mask, int64_t ny, int64_t nx, double dx, double dy,
                         double radius);

/* Exact Euclidean distance (in pixels) from every set pixel to the nearest clear pixel of the
 * image (0 for clear pixels), as scipy.ndimage.distance_transform_edt of the mask: the outside
 * of the image does not count as clear; with no clear pixel at all, distances are infinite.
 * Felzenszwalb & Huttenlocher's separable algorithm (Theory of Computing 8 (2012) 415).
 * Errors: TSCT_ERR_NOMEM. */
tsct_status tsct_maps_distance(const uint8_t *mask, int64_t ny, int64_t nx, float *dist,
                               tsct_error *err);

/* ---- regions and series -------------------------------------------------------------------- */

/* Sum and mean of the patterns of the voxels in mask: sum[nx] (and mean[nx] if not NULL) over
 * voxels whose pattern is finite in every bin. Returns the number of voxels used; an empty
 * region gives 0 and leaves the outputs zero. */
int64_t tsct_maps_region_sum(const float *patterns, const uint8_t *mask, int64_t npix,
                             int64_t nx, double *sum, double *mean);

/* Difference map out = a - b (NaN where either is NaN). */
void tsct_maps_difference(const float *a, const float *b, int64_t n, float *out);

/* Mean of v over the pixels of each distance shell [k, k + 1) from the particle surface
 * (dist from tsct_maps_distance), for k = 0 .. nshell - 1: mean[k] (NaN for empty shells) and
 * count[k]. Pixels with dist 0 or non-finite v are skipped. */
void tsct_maps_by_distance(const float *v, const float *dist, int64_t n, int nshell,
                           double *mean, int64_t *count);

/* ---- phase maps by unmixing ---------------------------------------------------------------- */

/* Whole-pattern phase maps: each voxel's pattern y[nq] as a non-negative combination of k
 * component patterns (calculated from CIFs, measured references) plus optional non-negative
 * background terms 1 and q / q_max: w = argmin ||sum_j w_j c_j - y||^2 subject to w >= 0,
 * solved by the active-set method of Lawson and Hanson (Solving Least Squares Problems, 1974,
 * ch. 23) on the normal equations, whose Gram matrix is formed once in the plan. Overlapping
 * peaks and amorphous phases without a window of their own are separated by their whole
 * patterns. Channels where y is not finite make the voxel's weights NaN. */
typedef struct tsct_maps_unmix_plan tsct_maps_unmix_plan;

/* Columns of one fit at most: components (variants included) and background terms. */
#define TSCT_MAPS_UNMIX_MAX_COLUMNS 64

/* components [k][nq] (copied), q[nq] (for the background; may be NULL when background = 0),
 * background: 0 none, 1 constant, 2 constant and linear. k + background <=
 * TSCT_MAPS_UNMIX_MAX_COLUMNS.
 * Errors: TSCT_ERR_VALUE (sizes, non-finite components, linearly dependent columns naming the
 * component), TSCT_ERR_NOMEM. */
tsct_status tsct_maps_unmix_plan_create(const float *components, int k, int64_t nq, const double *q,
                                        int background, tsct_maps_unmix_plan **out,
                                        tsct_error *err);

/* The same fit with the k component columns in ngroup groups (group[k], values 0 .. ngroup - 1,
 * every group non-empty; NULL with ngroup = k: one column each): variants of one phase's
 * pattern (lattice-scaled, other crystallite sizes) whose non-negative combination follows
 * peaks that shift or narrow between the variants. The NNLS runs over all columns; the weight
 * reported for a group is the sum of its columns' weights. Errors as above, and
 * TSCT_ERR_VALUE for a group index out of range or an empty group. */
tsct_status tsct_maps_unmix_plan_create_grouped(const float *components, int k, const int *group,
                                                int ngroup, int64_t nq, const double *q,
                                                int background, tsct_maps_unmix_plan **out,
                                                tsct_error *err);
void tsct_maps_unmix_plan_destroy(tsct_maps_unmix_plan *plan);

/* Weights the plan reports: ngroup components plus the background terms. */
int tsct_maps_unmix_plan_columns(const tsct_maps_unmix_plan *plan);

/* Doubles of workspace tsct_maps_unmix_execute needs per thread (m^2 + 5 m for m columns of the
 * fit, variants and background included). */
int64_t tsct_maps_unmix_plan_work_size(const tsct_maps_unmix_plan *plan);

/* Weights w[tsct_maps_unmix_plan_columns()] (components, i.e. groups, first, then background) of
 * pattern y[nq], and the root mean square residual (NaN for a non-finite y). work:
 * tsct_maps_unmix_plan_work_size() doubles per thread. Thread-safe for distinct w and work. */
void tsct_maps_unmix_execute(const tsct_maps_unmix_plan *plan, const float *y, double *w,
                             double *rms, double *work);

/* Variants of a calculated component: a crystalline phase whose lattice swells or whose
 * crystallites grow over an operando experiment misfits with one fixed pattern (a peak
 * shifted by a fraction of its width leaves a derivative-shaped residual that the fit hands
 * to other components), so it is fitted as a group of its patterns on a grid over the ranges
 * (tsct_maps_unmix_plan_create_grouped), whose non-negative combination follows the phase within
 * them. The grid on each axis is the coarsest with the cosine of neighbouring variants'
 * patterns >= 0.95 (a fifth of the FWHM apart for Gaussian peaks), linear in the lattice
 * scale and geometric in the size factor; where the lattice range spans 1, the CIF's own
 * lattice is a node (at the same spacing at most). docs/maps.md gives the measured cost of the
 * spacing (a midway peak is fitted 1.2 % heavy). */
typedef struct tsct_maps_variant_range {
    double lattice_lo, lattice_hi;  /* cell-length scale, lo <= hi (1, 1: the CIF's only) */
    double size_lo, size_hi;        /* crystallite-size factor, lo <= hi, > 0 (1, 1: none) */
} tsct_maps_variant_range;

#define TSCT_MAPS_VARIANT_RANGE_DEFAULT {1.0, 1.0, 1.0, 1.0}

/* The grid chosen: lattice scales lattice[nlattice] and size factors size[nsize]. */
typedef struct tsct_maps_variants {
    int nlattice, nsize;
    double lattice[TSCT_MAPS_UNMIX_MAX_COLUMNS];
    double size[TSCT_MAPS_UNMIX_MAX_COLUMNS];
} tsct_maps_variants;

/* The variant columns of phase i of `model` over `range`: cols[nlattice * nsize][nq] (nq =
 * tsct_phase_model_size(model); caller's array with room for max_columns columns), the
 * pattern of every lattice scale (isotropic: a, b, c alike) and size factor, lattice-major
 * (column a * nsize + b is lattice[a], size[b]), as tsct_phase_model_pattern() gives them; the
 * grid into *out. Allocates a work array of 2 nq floats. Thread-safe.
 * Errors name the phase: TSCT_ERR_VALUE (a range needing more than max_columns variants, or
 * both together more than max_columns: "narrow it"), those of tsct_phase_model_pattern,
 * TSCT_ERR_NOMEM. */
tsct_status tsct_maps_unmix_variants(const tsct_phase_model *model, int i,
                                     const tsct_maps_variant_range *range, int max_columns,
                                     float *cols, tsct_maps_variants *out, tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_MAPS_H */
