/* unmix_variants.c - the strain / size variants of a calculated unmixing component
 * (tsct_maps_unmix_variants, include/tsct/maps.h).
 *
 * A crystalline phase in an operando experiment does not keep the pattern of its CIF: its
 * lattice swells with the lithium it takes up (LiBi's by 0.8 % in the demo) and its
 * crystallites grow cycle by cycle. A fixed pattern then misfits: a peak shifted by a
 * fraction of its width leaves a derivative-shaped residual that the fit hands to whichever
 * other component correlates with it, and the phase's own weight falls. A group of variants
 * on a grid over the phase's lattice and size ranges, combined non-negatively by the fit,
 * follows the phase within the ranges without a non-linear refinement per voxel: two
 * patterns whose peaks are a fraction of a width apart combine into a peak anywhere between
 * them (the same holds for widths).
 *
 * The grid is as coarse as that allows: the fewest points with the normalised overlap
 * (cosine) of neighbouring variants at least 0.95, which for Gaussian peaks is a shift of a
 * fifth of the full width at half maximum (cos = exp(-d^2 / (4 s^2))), with the CIF's own
 * lattice on the grid. A combination of two neighbours is a little broader and lower than the
 * peak between them, and the least squares make up for it with a little more weight: 1.2 % at
 * the worst (midway) with this spacing, 3.7 % with neighbours overlapping 0.85 (measured in
 * tests/test_unmix.py on LiBi swollen by 0.4-0.5 %). Narrow peaks and wide ranges need more
 * variants; the fit takes TSCT_MAPS_UNMIX_MAX_COLUMNS columns in all.
 */
#include <math.h>
#include <stdlib.h>

#include "tsct/maps.h"
#include "tsct/phase.h"

/* Neighbouring variants overlap at least this much (cosine of the two patterns). */
#define VARIANT_OVERLAP 0.95

static double cosine(const float *a, const float *b, int64_t n)
{
    double ab = 0, aa = 0, bb = 0;
    for (int64_t i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 1.0;
}

/* Phase mi's pattern at lattice scale `lattice` (a, b, c alike) and size factor `size`. */
static tsct_status variant(const tsct_phase_model *model, int mi, double lattice, double size,
                           float *out, tsct_error *err)
{
    const tsct_phase_state s = {{lattice, lattice, lattice}, size};
    return tsct_phase_model_pattern(model, mi, &s, out, err);
}

/* The fewest grid points v[0] = lo .. v[n - 1] = hi (linear, or geometric) at which
 * neighbouring patterns overlap VARIANT_OVERLAP or more; n <= nmax, else TSCT_ERR_VALUE. */
static tsct_status grid(const tsct_phase_model *model, int mi, int lattice_axis, double lo,
                        double hi, int nmax, int64_t nq, float *work, double *v, int *n,
                        tsct_error *err)
{
    if (lo == hi) {
        v[0] = lo;
        *n = 1;
        return TSCT_OK;
    }
    for (int k = 2; k <= nmax; k++) {
        double worst = 1;
        for (int i = 0; i < k; i++) {
            const double f = (double)i / (double)(k - 1);
            v[i] = lattice_axis ? lo + (hi - lo) * f : lo * pow(hi / lo, f);
            float *cur = work + (i % 2) * nq, *prev = work + ((i + 1) % 2) * nq;
            TSCT_TRY(variant(model, mi, lattice_axis ? v[i] : 1.0, lattice_axis ? 1.0 : v[i],
                             cur, err));
            if (i > 0) {
                double c = cosine(prev, cur, nq);
                worst = c < worst ? c : worst;
            }
        }
        if (worst >= VARIANT_OVERLAP) {
            *n = k;
            if (lattice_axis && lo < 1 && hi > 1) {
                /* The same spacing at most, with the CIF's own lattice a node: a phase that
                 * does not strain is fitted by its exact pattern. */
                const double step = (hi - lo) / (double)(k - 1);
                const int below = (int)ceil((1 - lo) / step - 1e-9),
                          above = (int)ceil((hi - 1) / step - 1e-9);
                if (below + above + 1 > nmax)
                    break;
                for (int i = 0; i <= below; i++)
                    v[i] = lo + (1 - lo) * (double)i / below;
                for (int i = 1; i <= above; i++)
                    v[below + i] = 1 + (hi - 1) * (double)i / above;
                *n = below + above + 1;
            }
            return TSCT_OK;
        }
    }
    return tsct_error_set(err, TSCT_ERR_VALUE, NULL, tsct_phase_model_desc(model, mi)->name, -1,
                          "the %s range needs more than %d variants to follow the peaks "
                          "(neighbours overlapping %.2f): narrow it",
                          lattice_axis ? "strain" : "grow", nmax, VARIANT_OVERLAP);
}

tsct_status tsct_maps_unmix_variants(const tsct_phase_model *model, int i,
                                     const tsct_maps_variant_range *range, int max_columns,
                                     float *cols, tsct_maps_variants *out, tsct_error *err)
{
    const char *name = tsct_phase_model_desc(model, i)->name;
    const int64_t nq = tsct_phase_model_size(model);
    out->nlattice = out->nsize = 0;
    if (max_columns < 1 || max_columns > TSCT_MAPS_UNMIX_MAX_COLUMNS ||
        !(range->lattice_lo <= range->lattice_hi) || !(range->size_lo <= range->size_hi) ||
        !(range->lattice_lo > 0) || !(range->size_lo > 0) || !isfinite(range->lattice_hi) ||
        !isfinite(range->size_hi))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1,
                              "variants over lattice %g..%g and size %g..%g in %d columns: "
                              "expected finite ranges lo <= hi, > 0, and 1 to %d columns",
                              range->lattice_lo, range->lattice_hi, range->size_lo, range->size_hi,
                              max_columns, TSCT_MAPS_UNMIX_MAX_COLUMNS);
    float *work = malloc(2 * (size_t)nq * sizeof *work);
    if (!work)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, name, -1, "variants");
    int nl = 1, ns = 1;
    tsct_status st = grid(model, i, 1, range->lattice_lo, range->lattice_hi, max_columns, nq,
                          work, out->lattice, &nl, err);
    if (st == TSCT_OK)
        st = grid(model, i, 0, range->size_lo, range->size_hi, max_columns / nl, nq, work,
                  out->size, &ns, err);
    free(work);
    if (st == TSCT_OK && nl * ns > max_columns)
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1,
                            "%d strain x %d size variants: the fit takes %d columns in "
                            "all; narrow the ranges",
                            nl, ns, TSCT_MAPS_UNMIX_MAX_COLUMNS);
    int64_t c = 0;
    for (int a = 0; st == TSCT_OK && a < nl; a++)
        for (int b = 0; st == TSCT_OK && b < ns; b++)
            st = variant(model, i, out->lattice[a], out->size[b], cols + c++ * nq, err);
    if (st == TSCT_OK) {
        out->nlattice = nl;
        out->nsize = ns;
    }
    return st;
}
