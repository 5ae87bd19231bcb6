/* test_unmix_variants.c - the strain / size variants of a calculated unmixing component
 * (tsct_maps_unmix_variants): no range gives the phase's own pattern; a strain range that
 * spans 1 has the CIF's lattice as a node and neighbours that overlap >= 0.95 (and < 0.95
 * one grid step coarser would not be needed: the grid is the coarsest); a size range is
 * geometric; the columns are the model's patterns, lattice-major; ranges that need too many
 * variants and bad ranges are errors naming the phase. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/maps.h"
#include "tsct/phase.h"
#include "tsct_test.h"

enum { NQ = 800 };

static double cosine(const float *a, const float *b)
{
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < NQ; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return ab / sqrt(aa * bb);
}

int main(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    double q[NQ];
    for (int j = 0; j < NQ; j++)
        q[j] = 1.0 + 4.0 * j / (NQ - 1.0);
    const tsct_phase_desc d = {"LiBi", TSCT_PHASE_CRYSTAL, "LiBi.cif", 20.0, 1.0};
    tsct_phase_model_params mp = TSCT_PHASE_MODEL_PARAMS_DEFAULT;
    mp.wavelength = 0.1425;
    tsct_phase_model *m = NULL;
    CHECK_OK(tsct_phase_model_create(&d, 1, q, NQ, &mp, &m, &err), &err);
    if (!m)
        return tsct_test_finish("test_unmix_variants");
    float *cols = malloc((size_t)TSCT_MAPS_UNMIX_MAX_COLUMNS * NQ * sizeof *cols), one[NQ];
    tsct_maps_variants v;

    tsct_maps_variant_range r = TSCT_MAPS_VARIANT_RANGE_DEFAULT;
    CHECK_OK(tsct_maps_unmix_variants(m, 0, &r, 10, cols, &v, &err), &err);
    CHECK(v.nlattice == 1 && v.nsize == 1 && v.lattice[0] == 1 && v.size[0] == 1);
    CHECK_OK(tsct_phase_model_pattern(m, 0, NULL, one, &err), &err);
    CHECK(memcmp(one, cols, sizeof one) == 0);

    r.lattice_lo = 0.99;
    r.lattice_hi = 1.01;
    r.size_hi = 1.5;
    CHECK_OK(tsct_maps_unmix_variants(m, 0, &r, 60, cols, &v, &err), &err);
    CHECK_MSG(v.nlattice >= 3 && v.nsize >= 2, "%d x %d variants", v.nlattice, v.nsize);
    int node = 0;
    for (int a = 0; a < v.nlattice; a++)
        node |= v.lattice[a] == 1.0;
    CHECK(node && v.lattice[0] == 0.99 && v.lattice[v.nlattice - 1] == 1.01);
    CHECK(v.size[0] == 1.0 && v.size[v.nsize - 1] == 1.5);
    for (int b = 1; b + 1 < v.nsize; b++) /* geometric */
        CHECK_NEAR(v.size[b] * v.size[b], v.size[b - 1] * v.size[b + 1], 1e-12);
    double worst = 1;
    for (int a = 1; a < v.nlattice; a++)
        worst = fmin(worst, cosine(cols + (int64_t)(a - 1) * v.nsize * NQ,
                                   cols + (int64_t)a * v.nsize * NQ));
    CHECK_MSG(worst >= 0.95 - 1e-9, "neighbouring lattice variants overlap %.3f", worst);
    /* Column a * nsize + b is lattice[a], size[b]. */
    const int a = v.nlattice - 1, b = v.nsize - 1;
    const tsct_phase_state s = {{v.lattice[a], v.lattice[a], v.lattice[a]}, v.size[b]};
    CHECK_OK(tsct_phase_model_pattern(m, 0, &s, one, &err), &err);
    CHECK(memcmp(one, cols + (int64_t)(a * v.nsize + b) * NQ, sizeof one) == 0);

    CHECK_FAILS(tsct_maps_unmix_variants(m, 0, &r, 4, cols, &v, &err), TSCT_ERR_VALUE, &err,
                "narrow");
    r.lattice_lo = 1.02;
    CHECK_FAILS(tsct_maps_unmix_variants(m, 0, &r, 10, cols, &v, &err), TSCT_ERR_VALUE, &err,
                "lo <= hi");
    CHECK(v.nlattice == 0 && v.nsize == 0);
    free(cols);
    tsct_phase_model_destroy(m);
    return tsct_test_finish("test_unmix_variants");
}
