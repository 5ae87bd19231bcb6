/* test_parser_limits.c - bounds before allocation: every size a parser reads from a file, or
 * derives from one, is checked against its documented limit with a clear error before memory
 * is taken, and what the fuzz harnesses (tests/fuzz) found stays fixed. Each case failed
 * (hung, crashed or allocated without bound) before its fix. Files: tests/data/fuzz. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tsct/composition.h"
#include "tsct/container.h"
#include "tsct/crystal.h"
#include "tsct/echem.h"
#include "tsct/pdf.h"
#include "tsct/powder.h"
#include "tsct_test.h"

#define FUZZDIR TSCT_TEST_DATA "/fuzz"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Issue 14 item 6: a 1e6 Angstrom cell up to Q = 8 is about 2e8 hkl: refused at once. */
static void test_reflection_limit(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_crystal *c = NULL;
    CHECK_OK(tsct_crystal_read_cif(&c, FUZZDIR "/bigcell.cif", &err), &err);
    if (!c)
        return;
    tsct_reflection_params rp = TSCT_REFLECTION_PARAMS_DEFAULT;
    rp.qmax = 8.0;
    tsct_reflection_list *list = NULL;
    double t0 = now();
    CHECK_FAILS(tsct_crystal_reflections_create(&list, c, &rp, &err), TSCT_ERR_SHAPE, &err,
                "TSCT_REFLECTIONS_MAX");
    CHECK(list == NULL);
    /* through the powder pattern, as tsct pattern does */
    tsct_powder_params pp = TSCT_POWDER_PARAMS_DEFAULT;
    pp.wavelength = 0.2;
    pp.qmax = 8.0;
    tsct_powder_plan *plan = NULL;
    CHECK_FAILS(tsct_powder_plan_create(&plan, c, NULL, 0, &pp, &err), TSCT_ERR_SHAPE, &err,
                "reflections");
    CHECK(plan == NULL);
    CHECK_MSG(now() - t0 < 2.0, "refusing took %.2f s", now() - t0);
    /* the same cell at a Q range it can afford: the shell holds ~ V (4 pi / 3) (Q / 2 pi)^3
     * hkl, here 2.5e7 * 4.2 * 6.4e-8 / 2 classes ~ 3; the exact count of a P 1 cell with
     * b = c = 5: h only, |h| <= a Q / 2 pi = 1.59e3 at Q = 0.01, half by Friedel */
    rp.qmax = 0.01;
    CHECK_OK(tsct_crystal_reflections_create(&list, c, &rp, &err), &err);
    if (list)
        CHECK_MSG(list->count == (int64_t)floor(1e6 * 0.01 / (2 * M_PI)), "%lld classes",
                  (long long)list->count);
    tsct_crystal_reflections_destroy(list);
    tsct_crystal_destroy(c);

    /* a flat oblique cell: few hkl in the shell (V = a b c sin(gamma) = 7.0e3 Angstrom^3,
     * 3.2e6 hkl up to Q = 30) but 3.3e9 in the search box (|h|, |k| <= a Q / 2 pi = 9549) */
    tsct_cell cell = {2000, 2000, 1, 90, 90, 179.9};
    tsct_site site = {"Si1", "Si", {0, 0, 0}, 1.0, 0.0};
    CHECK_OK(tsct_crystal_create(&c, &cell, NULL, NULL, 0, &site, 1, &err), &err);
    rp.qmax = 30.0;
    t0 = now();
    CHECK_FAILS(tsct_crystal_reflections_create(&list, c, &rp, &err), TSCT_ERR_SHAPE, &err,
                "TSCT_REFLECTIONS_BOX_MAX");
    CHECK_MSG(now() - t0 < 2.0, "refusing took %.2f s", now() - t0);
    tsct_crystal_destroy(c);
}

/* fuzz_cif: a coefficient of 8.9e36 was converted to int (undefined behaviour), and a sum of
 * constants could overflow to infinity. */
static void test_symop_ranges(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_symop op;
    CHECK_FAILS(tsct_crystal_symop_parse("-8888888888888888888888888888888888888x+y, -x, z",
                                         &op, &err),
                TSCT_ERR_VALUE, &err, "expected an integer from -4 to 4");
    CHECK_FAILS(tsct_crystal_symop_parse("x+x+x+x+x, y, z", &op, &err), TSCT_ERR_VALUE, &err,
                "expected an integer from -4 to 4");
    CHECK_FAILS(tsct_crystal_symop_parse("x+1e308+1e308, y, z", &op, &err), TSCT_ERR_VALUE,
                &err, "not finite");
    /* a CIF listing 193 operators (here the identity, over and over) */
    char cif[16384];
    int len = snprintf(cif, sizeof cif, "data_x\n_cell_length_a 4\n_cell_length_b 4\n"
                       "_cell_length_c 4\n_cell_angle_alpha 90\n_cell_angle_beta 90\n"
                       "_cell_angle_gamma 90\nloop_\n_symmetry_equiv_pos_as_xyz\n");
    for (int i = 0; i < 193; i++)
        len += snprintf(cif + len, sizeof cif - (size_t)len, "x,y,z\n");
    len += snprintf(cif + len, sizeof cif - (size_t)len,
                    "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n"
                    "_atom_site_fract_z\nSi1 0.1 0.2 0.3\n");
    tsct_crystal *c = NULL;
    CHECK_FAILS(tsct_crystal_parse_cif(&c, cif, (size_t)len, &err), TSCT_ERR_VALUE, &err,
                "TSCT_CRYSTAL_SYMOPS_MAX");
    CHECK(c == NULL);
    CHECK_OK(tsct_crystal_symop_parse("x-y+1/3, 2x-y, -z+1/2", &op, &err), &err);
    CHECK(op.rot[1][0] == 2 && op.rot[1][1] == -1 && op.rot[0][1] == -1);
    CHECK_NEAR(op.trans[0], 1.0 / 3.0, 1e-15);
}

/* fuzz_echem: dQ/dV allocated (Vmax - Vmin) / dv bins from the file's voltages: 1e12 bins
 * for a record spanning 1e10 V, an infinite count (undefined conversion) for +-1e300 V. */
static void test_dqdv_bins(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const double t[3] = {0, 60, 120}, c[3] = {1, 1, 1};
    const double wide[2][3] = {{3.0, 1e10, 3.1}, {-1e300, 1e300, 0}};
    double v[8], d[8];
    int64_t h[8];
    for (int k = 0; k < 2; k++) {
        tsct_echem *e = NULL;
        CHECK_OK(tsct_echem_from_arrays(t, wide[k], c, 3, &e, &err), &err);
        if (e)
            CHECK(tsct_echem_dqdv(e, 0.01, v, d, h, 8) == -1);
        tsct_echem_destroy(e);
    }
    /* a record within the limit: 1 mA for 120 s is 1/30 mAh, over 0.1 V in 10 bins of 0.01 V,
     * two of which receive half of it each */
    const double ok[3] = {3.0, 3.05, 3.1};
    tsct_echem *e = NULL;
    CHECK_OK(tsct_echem_from_arrays(t, ok, c, 3, &e, &err), &err);
    if (e) {
        int64_t n = tsct_echem_dqdv(e, 0.01, v, d, h, 8);
        CHECK_MSG(n == 2, "%lld bins", (long long)n);
        for (int64_t i = 0; i < n && i < 8; i++)
            CHECK_NEAR(d[i], 1.0 / 60.0 / 0.01, 1e-9);
    }
    tsct_echem_destroy(e);
}

/* PDF plans: an r grid from a configuration file (rstep) and the direct method's sine matrix
 * (Q points x r points) were bounded only at 1e8 r points: 3e7 r points or a 2.4 GB matrix
 * were planned. */
static void test_pdf_limits(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_composition *ni = NULL;
    CHECK_OK(tsct_composition_parse(&ni, "Ni", &err), &err);
    enum { NQ = 20000 };
    double *q = malloc(NQ * sizeof *q);
    for (int i = 0; i < NQ; i++)   /* unequal steps: the direct method */
        q[i] = 0.5 + 0.001 * i + (i % 2 ? 2e-4 : 0.0);
    tsct_pdf_params p = TSCT_PDF_PARAMS_DEFAULT;
    p.rpoly = 0;
    p.nthreads = 1;
    p.rstep = 1e-6;   /* 3e7 r points */
    tsct_pdf_plan *plan = NULL;
    double t0 = now();
    CHECK_FAILS(tsct_pdf_plan_create(&p, ni, q, NQ, &plan, &err), TSCT_ERR_VALUE, &err,
                "TSCT_PDF_R_MAX");
    p.rstep = 0.001;  /* 3e4 r points x 2e4 Q points */
    CHECK_FAILS(tsct_pdf_plan_create(&p, ni, q, NQ, &plan, &err), TSCT_ERR_VALUE, &err,
                "TSCT_PDF_DIRECT_MAX");
    CHECK(plan == NULL);
    CHECK_MSG(now() - t0 < 2.0, "refusing took %.2f s", now() - t0);
    p.rstep = 0.01;   /* 3e2 x 2e4 = 6e6: planned */
    p.rmax = 3.0;
    CHECK_OK(tsct_pdf_plan_create(&p, ni, q, NQ, &plan, &err), &err);
    if (plan)
        CHECK(tsct_pdf_plan_nr(plan) == 301);
    tsct_pdf_plan_destroy(plan);
    free(q);
    tsct_composition_destroy(ni);
}

/* fuzz_stamps: counts of a time-stamp attribute summed without bound (signed overflow). */
static void test_stamp_counts(void)
{
    CHECK(tsct_time_stamps_count("a*4;b*9223372036854775807") == 4);
    CHECK(tsct_time_stamps_count("a*4;b*1099511627776;c*2") == 4 + (INT64_C(1) << 40) + 2);
    CHECK(tsct_time_stamps_count("a*4;b*1099511627777;c*2") == 4);
    CHECK(tsct_time_stamps_common("a*9223372036854775807", "a*9223372036854775807") == 0);
    CHECK(tsct_time_stamps_common("a*3;b*2", "a*2;a*1;b*5") == 5);
}

int main(void)
{
    test_stamp_counts();
    test_pdf_limits();
    test_dqdv_bins();
    test_reflection_limit();
    test_symop_ranges();
    return tsct_test_finish("test_parser_limits");
}
