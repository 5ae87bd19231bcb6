/* test_physics.c - form factors, compositions, CIF, symmetry, reflections, structure factors.
 *
 * Layers (STYLE.md 15):
 *  - exact answers: sum rules, fluorite structure factors in closed form, multiplicities of
 *    the cubic and hexagonal Laue classes, a single atom with a Debye-Waller factor;
 *  - published numbers: cctbx's Waasmaier-Kirfel checks, the International Tables 6.1.1.4
 *    approximation of the tabulated f0;
 *  - peers (tests/data/physics_reference, written by make_reference.py, see its header for
 *    the versions): every WK entry against periodictable; every CIF's peaks against pymatgen's
 *    d-spacings, hkl counts and expanded atoms, with three form-factor tables;
 *  - bad input: truncated, malformed and incomplete CIFs, compositions and operators must
 *    give errors (run under ASan/UBSan in the sanitizer build). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/composition.h"
#include "tsct/crystal.h"
#include "tsct/formfactor.h"
#include "tsct_test.h"

#define REF TSCT_TEST_DATA "/physics_reference"
#define CIFDIR TSCT_TEST_DATA "/cif"
#define STRUCTDIR TSCT_TEST_DATA "/../../data/structures"

static double wk(const char *sym, double s)
{
    const tsct_formfactor *ff = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    if (tsct_formfactor_find(sym, &ff, &err) != TSCT_OK)
        return NAN;
    return tsct_formfactor_f0_s(ff, s);
}

/* ---- form factors -------------------------------------------------------------------------- */

static void test_formfactor_table(void)
{
    CHECK(tsct_formfactor_count() == 211);
    CHECK(tsct_formfactor_at(-1) == NULL && tsct_formfactor_at(211) == NULL);

    /* Every entry against periodictable's evaluation of the same published table: a typo in
     * a coefficient would move f0 by far more than the 1e-6 e allowed here (the reference
     * file keeps 10 significant digits). */
    static const double sgrid[9] = {0.0, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 6.0};
    FILE *f = fopen(REF "/formfactor_wk.txt", "r");
    CHECK(f != NULL);
    int64_t n = 0;
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        char sym[16];
        double v[9];
        int got = sscanf(line, "%15s %lf %lf %lf %lf %lf %lf %lf %lf %lf", sym, &v[0], &v[1],
                         &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]);
        CHECK(got == 10);
        const tsct_formfactor *ff = tsct_formfactor_at(n);
        CHECK_MSG(ff && strcmp(ff->symbol, sym) == 0, "entry %lld: %s vs %s", (long long)n,
                  ff ? ff->symbol : "NULL", sym);
        for (int i = 0; ff && i < 9; i++)
            CHECK_NEAR(tsct_formfactor_f0_s(ff, sgrid[i]), v[i], 1e-6 + 1e-9 * fabs(v[i]));
        /* sum rule f0(0) = Z - charge: the fits reproduce it to 0.05 e or better (the worst
         * are heavy ions; WK 1995 table 1 lists the fit quality) */
        if (ff && strcmp(ff->symbol, "Cval") != 0 && strcmp(ff->symbol, "Siva") != 0)
            CHECK_MSG(fabs(tsct_formfactor_f0(ff, 0.0) - (ff->z - ff->charge)) < 0.05,
                      "%s: f0(0) = %g, Z - charge = %d", ff->symbol,
                      tsct_formfactor_f0(ff, 0.0), ff->z - ff->charge);
        /* an ion differs from its atom only in the outer shell: by s = 2 1/A they agree
         * within 2 % (light ions with few electrons excepted: H1-, Li1+, Be2+ fall below
         * 0.2 e there) */
        if (ff && ff->charge != 0) {
            double fi = tsct_formfactor_f0_s(ff, 2.0);
            double fn = wk(tsct_element_symbol(ff->z), 2.0);
            CHECK_MSG(fabs(fi - fn) <= 0.02 * fn + 0.02, "%s: f0(s=2) %g vs atom %g",
                      ff->symbol, fi, fn);
        }
        n++;
    }
    if (f)
        fclose(f);
    CHECK(n == 211);

    /* Published checks of the same table (cctbx eltbx tst_xray_scattering.py, wk1995; cctbx
     * keeps the coefficients in single precision and checks to 1e-6, hence 1e-6 here). */
    CHECK_NEAR(wk("C", 0.0), 5.99719834328, 1e-6);
    CHECK_NEAR(wk("C", 1.0 / 3.0), 2.26895371584, 1e-6);
    CHECK_NEAR(wk("C", 1.0 / 9.0), 4.93735084739, 1e-6);
    const tsct_formfactor *yb2 = NULL, *yb3 = NULL, *c = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_formfactor_find("Yb2+", &yb2, &err), &err);
    CHECK_OK(tsct_formfactor_find("Yb3+", &yb3, &err), &err);
    CHECK_OK(tsct_formfactor_find("C", &c, &err), &err);
    if (yb2 && yb3 && c) {
        CHECK(yb2->a[0] == 28.443794 && yb2->b[4] == 0.001463 && yb2->c == -23.214935);
        CHECK(yb3->a[0] == 28.191629);
        CHECK(c->a[3] == -4.24107 && c->b[1] == 0.776775 && c->c == 4.297983);
    }

    /* International Tables Vol. C Table 6.1.1.4 (the analytic fit to the tabulated values of
     * Table 6.1.1.1) at tabulated s: WK 1995 fit the same tabulated values, and both fits
     * are within about 0.01-0.03 e of the table for s <= 1.5, so allow 0.05 e + 0.5 %. */
    f = fopen(REF "/formfactor_itc.txt", "r");
    CHECK(f != NULL);
    int nitc = 0;
    while (f && fgets(line, sizeof line, f)) {
        char el[8];
        double s, v;
        if (line[0] == '#' || sscanf(line, "%7s %lf %lf", el, &s, &v) != 3)
            continue;
        double fw = wk(el, s);
        CHECK_MSG(fabs(fw - v) <= 0.05 + 0.005 * v, "%s s=%g: WK %g vs ITC %g", el, s, fw, v);
        nitc++;
    }
    if (f)
        fclose(f);
    CHECK(nitc == 60);

    /* Q and s */
    CHECK_NEAR(tsct_formfactor_f0(c, 4.0 * M_PI * 0.5), tsct_formfactor_f0_s(c, 0.5), 1e-14);
    double q[3] = {0.0, 5.0, 10.0}, out[3];
    tsct_formfactor_f0_array(c, q, 3, out);
    CHECK_NEAR(out[2], tsct_formfactor_f0(c, 10.0), 1e-14);
}

static void test_formfactor_lookup(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const tsct_formfactor *ff = NULL;
    static const char *const same[][2] = {{"Li+", "Li1+"}, {"Li+1", "Li1+"}, {"O-2", "O2-"},
                                          {"Co+3", "Co3+"}, {"Fe3+", "Fe3+"}, {"O0", "O"},
                                          {"Cl-", "Cl1-"}, {"Ce4+", "Ce4+"}};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        CHECK_OK(tsct_formfactor_find(same[i][0], &ff, &err), &err);
        CHECK_MSG(ff && strcmp(ff->symbol, same[i][1]) == 0, "%s -> %s", same[i][0],
                  ff ? ff->symbol : "NULL");
    }
    CHECK_FAILS(tsct_formfactor_find("Xx", &ff, &err), TSCT_ERR_NOT_FOUND, &err, "Xx");
    CHECK(ff == NULL);
    CHECK_FAILS(tsct_formfactor_find("o", &ff, &err), TSCT_ERR_NOT_FOUND, &err, "case");
    CHECK_FAILS(tsct_formfactor_find("CO", &ff, &err), TSCT_ERR_NOT_FOUND, &err, "CO");
    CHECK_FAILS(tsct_formfactor_find("O3-", &ff, &err), TSCT_ERR_NOT_FOUND, &err, "O3-");
    CHECK_FAILS(tsct_formfactor_find("", &ff, &err), TSCT_ERR_NOT_FOUND, &err, "form factor");
    CHECK_FAILS(tsct_formfactor_find(NULL, &ff, &err), TSCT_ERR_VALUE, &err, "NULL");

    CHECK(tsct_element_z("Cf") == 98 && tsct_element_z("H") == 1 && tsct_element_z("Es") == 0);
    CHECK(tsct_element_z("ce") == 0 && tsct_element_z(NULL) == 0);
    CHECK(strcmp(tsct_element_symbol(58), "Ce") == 0 && tsct_element_symbol(99) == NULL);
    CHECK_NEAR(tsct_element_mass(58), 140.116, 1e-9);
    CHECK_NEAR(tsct_element_mass(8), 15.9994, 1e-9);
    CHECK(isnan(tsct_element_mass(0)));
}

/* ---- compositions -------------------------------------------------------------------------- */

static int comp_amount(const tsct_composition *c, const char *sym, double *amount)
{
    for (int64_t i = 0; i < tsct_composition_count(c); i++)
        if (strcmp(tsct_composition_symbol(c, i), sym) == 0) {
            *amount = tsct_composition_amount(c, i);
            return 1;
        }
    return 0;
}

static void check_formula(const char *formula, int n, const char *const *syms,
                          const double *amounts)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_composition *c = NULL;
    CHECK_OK(tsct_composition_parse(&c, formula, &err), &err);
    if (!c)
        return;
    CHECK_MSG(tsct_composition_count(c) == n, "%s: %lld elements", formula,
              (long long)tsct_composition_count(c));
    double total = 0.0, mass = 0.0;
    for (int i = 0; i < n; i++) {
        double a = NAN;
        CHECK_MSG(comp_amount(c, syms[i], &a), "%s lacks %s", formula, syms[i]);
        CHECK_NEAR(a, amounts[i], 1e-12);
        total += amounts[i];
        mass += amounts[i] * tsct_element_mass(tsct_element_z(syms[i]));
    }
    CHECK_NEAR(tsct_composition_atoms(c), total, 1e-12);
    CHECK_NEAR(tsct_composition_mass(c), mass, 1e-9);
    double fsum = 0.0;
    for (int64_t i = 0; i < tsct_composition_count(c); i++)
        fsum += tsct_composition_fraction(c, i);
    CHECK_NEAR(fsum, 1.0, 1e-12);
    tsct_composition_destroy(c);
}

static void test_composition(void)
{
    static const char *const ceo2[] = {"Ce", "O"};
    static const double ceo2n[] = {1, 2};
    check_formula("CeO2", 2, ceo2, ceo2n);
    check_formula("Ce O2", 2, ceo2, ceo2n);
    check_formula("Ce1 O2", 2, ceo2, ceo2n);
    check_formula("  Ce O 2 ", 2, ceo2, ceo2n);
    check_formula("Ce0.5O1Ce0.5O", 2, ceo2, ceo2n);
    static const char *const pzt[] = {"Pb", "Ti", "Zr", "O"};
    static const double pztn[] = {1, 0.5, 0.5, 3};
    check_formula("PbTi0.5Zr0.5O3", 4, pzt, pztn);
    check_formula("Pb (TiZr)0.5 O3", 4, pzt, pztn);
    check_formula("Pb[Ti Zr].5O3", 4, pzt, pztn);
    check_formula("Pb 1 (Ti Zr) 1/2 O 3", 4, pzt, pztn); /* PDFgetX3's third form */
    check_formula("Pb Ti1/2 Zr2/4 O6/2", 4, pzt, pztn);
    static const char *const li3bi[] = {"Li", "Bi"};
    static const double li3bin[] = {3, 1};
    check_formula("Li3Bi", 2, li3bi, li3bin);
    static const char *const nest[] = {"Li", "O", "Co"};
    static const double nestn[] = {2, 3, 2};
    check_formula("((Li2O)0.5 (CoO)1)2", 3, nest, nestn);
    static const char *const acetic[] = {"C", "H", "O"};
    static const double aceticn[] = {2, 4, 2};
    check_formula("CH3COOH", 3, acetic, aceticn);
    static const char *const nmc[] = {"Li", "Ni", "Mn", "Co", "O"};
    static const double nmcn[] = {1, 1.0 / 3.0, 0.25, 0.125, 2};
    check_formula("LiNi0.333333333333333333Mn2.5e-1Co.125O2", 5, nmc, nmcn);

    /* mass: CeO2 = 140.116 + 2 x 15.9994 g/mol */
    tsct_error err = TSCT_ERROR_INIT;
    tsct_composition *c = NULL;
    CHECK_OK(tsct_composition_parse(&c, "CeO2", &err), &err);
    if (c) {
        CHECK_NEAR(tsct_composition_mass(c), 172.1148, 1e-9);
        CHECK(tsct_composition_z(c, 0) == 58 && tsct_composition_z(c, 5) == 0);
        CHECK(tsct_composition_symbol(c, -1) == NULL);
        CHECK(isnan(tsct_composition_fraction(c, 2)));
        /* <f> and <f^2> against their definitions; at Q = 0 <f> ~ (58 + 2 x 8) / 3 */
        double q[4] = {0.0, 1.0, 5.0, 20.0}, fm[4], f2[4];
        tsct_composition_f_average(c, q, 4, fm, f2);
        CHECK_NEAR(fm[0], (58.0 + 16.0) / 3.0, 0.05);
        for (int i = 0; i < 4; i++) {
            double fce = wk("Ce", q[i] / (4 * M_PI)), fo = wk("O", q[i] / (4 * M_PI));
            CHECK_NEAR(fm[i], (fce + 2 * fo) / 3, 1e-12);
            CHECK_NEAR(f2[i], (fce * fce + 2 * fo * fo) / 3, 1e-10);
            CHECK(f2[i] >= fm[i] * fm[i]);
        }
        tsct_composition_f_average(c, q, 4, NULL, f2);
        tsct_composition_destroy(c);
    }
    tsct_composition_destroy(NULL);

    /* errors point at the offending character */
    static const struct {
        const char *formula;
        int64_t index;
        const char *needle;
    } bad[] = {
        {"Ce O2)", 5, "unbalanced"},     {"Xx2", 0, "unknown element \"Xx\""},
        {"ce", 0, "lower-case"},         {"Pb(TiZr0.5O3", 12, "missing closing"},
        {"", 0, "empty"},                {"   ", 0, "empty"},
        {"O-2", 1, "signed"},            {"Ce$O2", 2, "unexpected character"},
        {"Ce0", 0, "zero"},              {"Pb()O", 2, "empty brackets"},
        {"2O", 0, "count without"},      {"CeO2.3.4", 6, "bad count"},
        {"Q", 0, "unknown element"},     {"LiCoO2 Es", 7, "unknown element"},
        {"Ti1/0", 3, "bad ratio"},       {"Ti1/", 3, "bad ratio"},
        {"Ti1/2/3", 5, "bad count"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = NULL;
        CHECK_FAILS(tsct_composition_parse(&c, bad[i].formula, &err), TSCT_ERR_VALUE, &err,
                    bad[i].needle);
        CHECK(c == NULL);
        tsct_error e2 = TSCT_ERROR_INIT;
        tsct_composition_parse(&c, bad[i].formula, &e2);
        CHECK_MSG(e2.index == bad[i].index && strcmp(e2.item, bad[i].formula) == 0,
                  "\"%s\": index %lld, expected %lld", bad[i].formula, (long long)e2.index,
                  (long long)bad[i].index);
    }
    char deep[200];
    memset(deep, '(', 100);
    strcpy(deep + 100, "O");
    CHECK_FAILS(tsct_composition_parse(&c, deep, &err), TSCT_ERR_VALUE, &err, "deeply");
    CHECK_FAILS(tsct_composition_parse(&c, NULL, &err), TSCT_ERR_VALUE, &err, "NULL");

    /* no string crashes the parser: every prefix and one-byte mutation of a formula */
    const char *base = "Pb (Ti0.5Zr.5)1 [Li2(OH)]0.25 O3";
    static const char alphabet[] = "()[] .09AZaz-+e\t";
    char buf[64];
    for (size_t cut = 0; cut <= strlen(base); cut++)
        for (size_t k = 0; k < sizeof alphabet; k++) {
            snprintf(buf, sizeof buf, "%s", base);
            buf[cut] = alphabet[k];
            tsct_error e3 = TSCT_ERROR_INIT;
            c = NULL;
            if (tsct_composition_parse(&c, buf, &e3) == TSCT_OK)
                CHECK(c && tsct_composition_atoms(c) > 0);
            else
                CHECK(c == NULL && e3.index >= 0 && e3.index <= (int64_t)strlen(buf));
            tsct_composition_destroy(c);
        }
}

/* ---- cells and operators ------------------------------------------------------------------- */

static void test_cell_symop(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_cell cubic = {2.0, 2.0, 2.0, 90.0, 90.0, 90.0};
    CHECK_NEAR(tsct_crystal_cell_volume(&cubic), 8.0, 1e-12);
    CHECK_NEAR(tsct_crystal_cell_dspacing(&cubic, 1, 1, 1), 2.0 / sqrt(3.0), 1e-12);
    CHECK(isinf(tsct_crystal_cell_dspacing(&cubic, 0, 0, 0)));
    tsct_cell hex = {2.456, 2.456, 6.696, 90.0, 90.0, 120.0};
    CHECK_NEAR(tsct_crystal_cell_volume(&hex), 2.456 * 2.456 * sin(M_PI / 3) * 6.696, 1e-10);
    CHECK_NEAR(tsct_crystal_cell_dspacing(&hex, 1, 0, 0), 2.456 * sqrt(3.0) / 2.0, 1e-12);
    /* triclinic: d from the metric equals d from Cartesian reciprocal vectors */
    tsct_cell tri = {5.1, 6.3, 7.7, 81.0, 97.0, 103.0};
    double m[3][3], g[3][3], gs[3][3];
    CHECK_OK(tsct_crystal_cell_cartesian(&tri, m, &err), &err);
    CHECK_OK(tsct_crystal_cell_metric(&tri, g, gs, &err), &err);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double dot = m[0][i] * m[0][j] + m[1][i] * m[1][j] + m[2][i] * m[2][j];
            CHECK_NEAR(dot, g[i][j], 1e-10);
        }
    double det = m[0][0] * m[1][1] * m[2][2];
    CHECK_NEAR(det, tsct_crystal_cell_volume(&tri), 1e-9);
    CHECK_NEAR(tsct_crystal_cell_dspacing(&tri, 1, 0, 0),
               tsct_crystal_cell_volume(&tri) / (tri.b * tri.c * sin(81.0 * M_PI / 180)),
               1e-10);

    tsct_cell flat = {3.0, 3.0, 3.0, 120.0, 120.0, 120.0};
    CHECK_FAILS(tsct_crystal_cell_check(&flat, &err), TSCT_ERR_VALUE, &err, "zero volume");
    tsct_cell zero = {3.0, 0.0, 3.0, 90.0, 90.0, 90.0};
    CHECK_FAILS(tsct_crystal_cell_check(&zero, &err), TSCT_ERR_VALUE, &err, "_cell_length_b");
    tsct_cell badang = {3.0, 3.0, 3.0, 90.0, 180.0, 90.0};
    CHECK_FAILS(tsct_crystal_cell_check(&badang, &err), TSCT_ERR_VALUE, &err, "beta");
    tsct_cell nan_cell = {NAN, 3.0, 3.0, 90.0, 90.0, 90.0};
    CHECK_FAILS(tsct_crystal_cell_check(&nan_cell, &err), TSCT_ERR_VALUE, &err, "length");
    CHECK(isnan(tsct_crystal_cell_dspacing(&flat, 1, 0, 0)));

    tsct_symop op;
    CHECK_OK(tsct_crystal_symop_parse("x,1/2+y,-z+1/2", &op, &err), &err);
    CHECK(op.rot[0][0] == 1 && op.rot[1][1] == 1 && op.rot[2][2] == -1);
    CHECK(op.trans[0] == 0.0 && op.trans[1] == 0.5 && op.trans[2] == 0.5);
    CHECK_OK(tsct_crystal_symop_parse(" -X+Y , -x, z+2/3 ", &op, &err), &err);
    CHECK(op.rot[0][0] == -1 && op.rot[0][1] == 1 && op.rot[1][0] == -1 && op.rot[2][2] == 1);
    CHECK_NEAR(op.trans[2], 2.0 / 3.0, 1e-15);
    CHECK_OK(tsct_crystal_symop_parse("x-0.25,-y-1/4,z+1", &op, &err), &err);
    CHECK(op.trans[0] == 0.75 && op.trans[1] == 0.75 && op.trans[2] == 0.0);
    CHECK_OK(tsct_crystal_symop_parse("1*x,y,z", &op, &err), &err);
    CHECK_FAILS(tsct_crystal_symop_parse("x,y", &op, &err), TSCT_ERR_VALUE, &err, "3 comma");
    CHECK_FAILS(tsct_crystal_symop_parse("x,y,z,x", &op, &err), TSCT_ERR_VALUE, &err,
                "after the third");
    CHECK_FAILS(tsct_crystal_symop_parse("x,y,q", &op, &err), TSCT_ERR_VALUE, &err,
                "character 4");
    CHECK_FAILS(tsct_crystal_symop_parse("x,,z", &op, &err), TSCT_ERR_VALUE, &err, "empty");
    CHECK_FAILS(tsct_crystal_symop_parse("x y,y,z", &op, &err), TSCT_ERR_VALUE, &err,
                "expected + or -");
    CHECK_FAILS(tsct_crystal_symop_parse("0.5x,y,z", &op, &err), TSCT_ERR_VALUE, &err,
                "non-integer");
    CHECK_FAILS(tsct_crystal_symop_parse("x,y/0,z", &op, &err), TSCT_ERR_VALUE, &err,
                "character 3");
    CHECK_FAILS(tsct_crystal_symop_parse("x,1/0+y,z", &op, &err), TSCT_ERR_VALUE, &err,
                "fraction");
}

/* ---- structure factors: exact answers ------------------------------------------------------- */

static void test_structure_factor_exact(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    /* one atom in P1 with occupancy and Uiso: F = occ f0(s) exp(-8 pi^2 U s^2) */
    tsct_cell cell = {3.0, 4.0, 5.0, 90.0, 90.0, 90.0};
    tsct_site site = {"Cu1", "Cu", {0.1, 0.2, 0.3}, 0.5, 0.01};
    tsct_crystal *c = NULL;
    CHECK_OK(tsct_crystal_create(&c, &cell, "P 1", NULL, 0, &site, 1, &err), &err);
    if (c) {
        double re, im;
        tsct_reflection_params p = TSCT_REFLECTION_PARAMS_DEFAULT;
        tsct_crystal_structure_factor(c, 1, 2, 3, &p, &re, &im);
        double d = 1.0 / sqrt(1.0 / 9 + 4.0 / 16 + 9.0 / 25), s = 0.5 / d;
        double amp = 0.5 * wk("Cu", s) * exp(-8 * M_PI * M_PI * 0.01 * s * s);
        double ph = 2 * M_PI * (0.1 + 0.4 + 0.9);
        CHECK_NEAR(re, amp * cos(ph), 1e-12);
        CHECK_NEAR(im, amp * sin(ph), 1e-12);
        p.apply_adp = 0;
        tsct_crystal_structure_factor(c, 1, 2, 3, &p, &re, &im);
        CHECK_NEAR(hypot(re, im), 0.5 * wk("Cu", s), 1e-12);
        tsct_crystal_structure_factor(c, 0, 0, 0, NULL, &re, &im);
        CHECK_NEAR(re, 0.5 * wk("Cu", 0.0), 1e-12);
        CHECK(tsct_crystal_laue_order(c) == 2);   /* -1 */
        tsct_crystal_destroy(c);
    }
    tsct_crystal_destroy(NULL);

    /* fluorite CeO2 in closed form: F(111) = 4 f_Ce, F(200) = 4 (f_Ce - 2 f_O),
     * F(220) = 4 (f_Ce + 2 f_O) */
    c = NULL;
    CHECK_OK(tsct_crystal_read_cif(&c, CIFDIR "/CeO2_COD9009008.cif", &err), &err);
    if (c) {
        static const int hkl[3][3] = {{1, 1, 1}, {2, 0, 0}, {2, 2, 0}};
        for (int i = 0; i < 3; i++) {
            double d = 5.4110 / sqrt(hkl[i][0] * hkl[i][0] + hkl[i][1] * hkl[i][1] +
                                     hkl[i][2] * hkl[i][2]);
            double s = 0.5 / d, fce = wk("Ce", s), fo = wk("O", s);
            double expect = i == 0 ? 4 * fce : i == 1 ? 4 * (fce - 2 * fo) : 4 * (fce + 2 * fo);
            double re, im;
            tsct_crystal_structure_factor(c, hkl[i][0], hkl[i][1], hkl[i][2], NULL, &re, &im);
            CHECK_NEAR(hypot(re, im), fabs(expect), 1e-9);
        }
        tsct_crystal_destroy(c);
    }
}

/* ---- CIF files ----------------------------------------------------------------------------- */

static tsct_crystal *read_any(const char *name)
{
    char path[1024];
    tsct_error err = TSCT_ERROR_INIT;
    tsct_crystal *c = NULL;
    snprintf(path, sizeof path, "%s/%s.cif", CIFDIR, name);
    FILE *f = fopen(path, "r");
    if (!f)
        snprintf(path, sizeof path, "%s/%s.cif", STRUCTDIR, name);
    else
        fclose(f);
    CHECK_OK(tsct_crystal_read_cif(&c, path, &err), &err);
    return c;
}

static const tsct_reflection *find_hkl(const tsct_reflection_list *l, const tsct_crystal *c,
                                       int h, int k, int l3)
{
    /* the class of (h k l): compare d and the structure-factor modulus */
    double d = tsct_crystal_cell_dspacing(tsct_crystal_cell(c), h, k, l3);
    double re, im;
    tsct_crystal_structure_factor(c, h, k, l3, NULL, &re, &im);
    for (int64_t i = 0; i < l->count; i++) {
        const tsct_reflection *r = &l->items[i];
        if (fabs(r->d - d) < 1e-9 * d && fabs(sqrt(r->f2) - hypot(re, im)) < 1e-6)
            return r;
    }
    return NULL;
}

static void test_cif_files(void)
{
    static const struct {
        const char *name;
        int64_t natoms, laue;
        double content;
    } expect[] = {
        {"Al_COD9008460", 4, 48, 4},        {"Bi_COD9008576", 2, 12, 2},
        {"CeO2_COD9009008", 12, 48, 12},    {"Cu_COD9008468", 4, 48, 4},
        {"Fe-alpha_COD9008536", 2, 48, 2},  {"LiCoO2_COD1533825", 12, 12, 12},
        {"Li_COD9008542", 2, 48, 2},        {"Ni_COD9008476", 4, 48, 4},
        {"Si_COD9008566", 8, 48, 8},        {"V2O5_COD9012221", 14, 8, 14},
        {"graphite_COD9008569", 4, 24, 4},  {"BiVO4_monoclinic_scheelite", 24, 4, 24},
        {"LaB6", 7, 48, 7},                 {"Li3Bi", 16, 48, 16},
        {"LiBi", 2, 16, 2},                 {"LiC6", 7, 24, 7},
        {"NMC111_LiNi1_3Mn1_3Co1_3O2", 18, 12, 12},
        {"LixV2O5_epsilon_Li0.5", 16, 8, 15},
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        tsct_crystal *c = read_any(expect[i].name);
        if (!c)
            continue;
        CHECK_MSG(tsct_crystal_atom_count(c) == expect[i].natoms, "%s: %lld atoms",
                  expect[i].name, (long long)tsct_crystal_atom_count(c));
        CHECK_MSG(tsct_crystal_laue_order(c) == expect[i].laue, "%s: Laue order %lld",
                  expect[i].name, (long long)tsct_crystal_laue_order(c));
        CHECK_MSG(fabs(tsct_crystal_cell_content(c) - expect[i].content) < 1e-4,
                  "%s: %g atoms by occupancy", expect[i].name, tsct_crystal_cell_content(c));
        const tsct_atom *at = tsct_crystal_atoms(c);
        for (int64_t a = 0; a < tsct_crystal_atom_count(c); a++)
            for (int k = 0; k < 3; k++)
                CHECK(at[a].x[k] >= 0.0 && at[a].x[k] < 1.0);
        tsct_crystal_destroy(c);
    }

    tsct_crystal *c = read_any("LiCoO2_COD1533825");
    if (c) {
        CHECK(strcmp(tsct_crystal_spacegroup(c), "R -3 m :H") == 0);
        CHECK(tsct_crystal_symop_count(c) == 36);
        const tsct_site *s = tsct_crystal_sites(c);
        CHECK(tsct_crystal_site_count(c) == 3 && strcmp(s[0].label, "O1") == 0);
        CHECK(strcmp(tsct_crystal_site_formfactor(c, 0)->symbol, "O2-") == 0);
        CHECK(strcmp(tsct_crystal_site_formfactor(c, 1)->symbol, "Co3+") == 0);
        CHECK(strcmp(tsct_crystal_site_formfactor(c, 2)->symbol, "Li1+") == 0);
        CHECK(tsct_crystal_site_ion_fallback(c, 0) == 0);
        CHECK(tsct_crystal_site_formfactor(c, 3) == NULL);
        tsct_crystal_destroy(c);
    }
    c = read_any("V2O5_COD9012221");
    if (c) {
        const tsct_site *s = tsct_crystal_sites(c);
        CHECK_NEAR(s[0].uiso, 0.0075, 1e-15);
        CHECK(strcmp(tsct_crystal_site_formfactor(c, 1)->symbol, "O") == 0);
        tsct_crystal_destroy(c);
    }
    c = read_any("NMC111_LiNi1_3Mn1_3Co1_3O2");
    if (c) {
        /* the structure file gives TM-O 1.97 A: check the nearest O to the TM site */
        double g[3][3];
        tsct_error err = TSCT_ERROR_INIT;
        CHECK_OK(tsct_crystal_cell_metric(tsct_crystal_cell(c), g, NULL, &err), &err);
        const tsct_atom *at = tsct_crystal_atoms(c);
        double dmin = 1e9;
        for (int64_t a = 0; a < tsct_crystal_atom_count(c); a++) {
            if (strcmp(tsct_crystal_sites(c)[at[a].site].type, "O") != 0)
                continue;
            double d[3], d2 = 0;
            for (int k = 0; k < 3; k++)
                d[k] = at[a].x[k] - rint(at[a].x[k]);
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    d2 += d[i] * g[i][j] * d[j];
            dmin = fmin(dmin, sqrt(d2));
        }
        CHECK_NEAR(dmin, 1.965, 0.01);
        tsct_crystal_destroy(c);
    }

    /* absences from |F|^2 and multiplicities from the Laue group */
    tsct_reflection_params p = TSCT_REFLECTION_PARAMS_DEFAULT;
    p.qmax = 8.0;
    tsct_reflection_list *l = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    c = read_any("CeO2_COD9009008");
    if (c) {
        CHECK_OK(tsct_crystal_reflections_create(&l, c, &p, &err), &err);
        if (l) {
            CHECK(l->items[0].h == 1 && l->items[0].k == 1 && l->items[0].l == 1);
            CHECK(l->items[0].multiplicity == 8);
            CHECK(l->items[1].h == 2 && l->items[1].k == 0 && l->items[1].l == 0 &&
                  l->items[1].multiplicity == 6);
            CHECK(l->items[2].multiplicity == 12 && l->items[3].multiplicity == 24);
            const tsct_reflection *r = find_hkl(l, c, 5, 3, 1);
            CHECK(r && r->multiplicity == 48);
            CHECK(find_hkl(l, c, 1, 0, 0) == NULL && find_hkl(l, c, 2, 1, 0) == NULL);
            for (int64_t i = 0; i < l->count; i++) {
                const tsct_reflection *x = &l->items[i];
                CHECK(!x->absent && x->q <= 8.0 && (x->h + x->k) % 2 == 0 &&
                      (x->k + x->l) % 2 == 0);
                CHECK_NEAR(x->q * x->d, 2 * M_PI, 1e-12);
                if (i > 0)
                    CHECK(x->d <= l->items[i - 1].d);
            }
        }
        tsct_crystal_reflections_destroy(l);
        l = NULL;
        tsct_crystal_reflections_destroy(NULL);
        tsct_reflection_params bad = p;
        bad.qmax = -1.0;
        CHECK_FAILS(tsct_crystal_reflections_create(&l, c, &bad, &err), TSCT_ERR_VALUE, &err,
                    "qmax");
        bad.qmax = 1e6;
        CHECK_FAILS(tsct_crystal_reflections_create(&l, c, &bad, &err), TSCT_ERR_SHAPE, &err,
                    "too many");
        CHECK(l == NULL);
        tsct_crystal_destroy(c);
    }
    c = read_any("Si_COD9008566");
    if (c) {
        p.keep_absent = 1;
        CHECK_OK(tsct_crystal_reflections_create(&l, c, &p, &err), &err);
        if (l) {
            const tsct_reflection *r222 = find_hkl(l, c, 2, 2, 2);
            const tsct_reflection *r200 = find_hkl(l, c, 2, 0, 0);
            const tsct_reflection *r111 = find_hkl(l, c, 1, 1, 1);
            CHECK(r222 && r222->absent && r200 && r200->absent && r111 && !r111->absent);
        }
        tsct_crystal_reflections_destroy(l);
        l = NULL;
        p.keep_absent = 0;
        tsct_crystal_destroy(c);
    }
    c = read_any("graphite_COD9008569");
    if (c) {
        CHECK_OK(tsct_crystal_reflections_create(&l, c, &p, &err), &err);
        if (l) {
            CHECK(l->items[0].h == 0 && l->items[0].k == 0 && l->items[0].l == 2 &&
                  l->items[0].multiplicity == 2);
            const tsct_reflection *r100 = find_hkl(l, c, 1, 0, 0);
            const tsct_reflection *r101 = find_hkl(l, c, 1, 0, 1);
            CHECK(r100 && r100->multiplicity == 6 && r101 && r101->multiplicity == 12);
            CHECK(find_hkl(l, c, 0, 0, 1) == NULL && find_hkl(l, c, 0, 0, 3) == NULL);
        }
        tsct_crystal_reflections_destroy(l);
        l = NULL;
        tsct_crystal_destroy(c);
    }
    c = read_any("BiVO4_monoclinic_scheelite");
    if (c) {
        CHECK_OK(tsct_crystal_reflections_create(&l, c, &p, &err), &err);
        int64_t maxm = 0;
        for (int64_t i = 0; l && i < l->count; i++) {
            maxm = l->items[i].multiplicity > maxm ? l->items[i].multiplicity : maxm;
            /* I-centring: h + k + l even */
            CHECK(((l->items[i].h + l->items[i].k + l->items[i].l) % 2) == 0);
        }
        CHECK(maxm == 4);
        tsct_crystal_reflections_destroy(l);
        l = NULL;
        tsct_crystal_destroy(c);
    }
    c = read_any("Fe-alpha_COD9008536");
    if (c) {
        /* bcc: h + k + l odd is absent; (110) at Q = 3.10 1/A is the first line */
        CHECK_OK(tsct_crystal_reflections_create(&l, c, &p, &err), &err);
        if (l) {
            CHECK(l->items[0].h == 1 && l->items[0].k == 1 && l->items[0].l == 0 &&
                  l->items[0].multiplicity == 12);
            CHECK(find_hkl(l, c, 1, 0, 0) == NULL && find_hkl(l, c, 1, 1, 1) == NULL);
            CHECK(find_hkl(l, c, 2, 0, 0) != NULL && find_hkl(l, c, 2, 1, 1) != NULL);
        }
        tsct_crystal_reflections_destroy(l);
        l = NULL;
        p.qmin = 3.2;   /* leaves out (110) */
        CHECK_OK(tsct_crystal_reflections_create(&l, c, &p, &err), &err);
        if (l)
            CHECK(l->items[0].h == 2 && l->items[0].k == 0 && l->items[0].l == 0);
        p.qmin = 0.0;
        tsct_crystal_reflections_destroy(l);
        l = NULL;
        tsct_crystal_destroy(c);
    }
}

/* ---- peers ---------------------------------------------------------------------------------- */

#define LAMBDA 0.2   /* Angstrom, as in make_reference.py */
#define QMAX 8.0

static double two_theta(double d)
{
    return 2.0 * asin(LAMBDA / (2.0 * d)) * 180.0 / M_PI;
}

static void compare_peaks(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, REF "/peaks_%s.txt", name);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "%s missing", path);
    if (!f)
        return;
    tsct_crystal *c = read_any(name);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_reflection_params p = TSCT_REFLECTION_PARAMS_DEFAULT;
    p.qmax = QMAX * (1 + 1e-9);
    p.keep_absent = 1;
    p.apply_adp = 0;   /* the peers had no Debye-Waller factors */
    tsct_reflection_list *ion = NULL, *neu = NULL;
    if (c) {
        CHECK_OK(tsct_crystal_reflections_create(&ion, c, &p, &err), &err);
        p.neutral_atoms = 1;
        CHECK_OK(tsct_crystal_reflections_create(&neu, c, &p, &err), &err);
    }
    if (!ion || !neu) {
        fclose(f);
        tsct_crystal_reflections_destroy(ion);
        tsct_crystal_reflections_destroy(neu);
        tsct_crystal_destroy(c);
        return;
    }
    int *matched = calloc((size_t)ion->count + 1, sizeof *matched);
    char line[512];
    double imax = 0.0;
    int npeaks = 0;
    /* first pass: the strongest peak, for "strong" */
    while (fgets(line, sizeof line, f)) {
        double d, a, b, x;
        long n;
        if (line[0] != '#' && sscanf(line, "%lf %ld %lf %lf %lf", &d, &n, &a, &b, &x) == 5)
            imax = fmax(imax, b);
    }
    rewind(f);
    double worst_xu = 0.0, worst_pmg = 0.0;
    while (fgets(line, sizeof line, f)) {
        double d, f2pmg, f2wk, f2xu;
        long nhkl;
        if (line[0] == '#' ||
            sscanf(line, "%lf %ld %lf %lf %lf", &d, &nhkl, &f2pmg, &f2wk, &f2xu) != 5)
            continue;
        npeaks++;
        double tt = two_theta(d), dbest = INFINITY, sum_ion = 0.0, sum_neu = 0.0;
        int64_t mult = 0;
        for (int64_t i = 0; i < ion->count; i++) {
            if (fabs(two_theta(ion->items[i].d) - tt) >= 1e-5)
                continue;
            matched[i] = 1;
            dbest = fmin(dbest, fabs(ion->items[i].d - d) / d);
            mult += ion->items[i].multiplicity;
            sum_ion += ion->items[i].multiplicity * ion->items[i].f2;
        }
        for (int64_t i = 0; i < neu->count; i++)
            if (fabs(two_theta(neu->items[i].d) - tt) < 1e-5)
                sum_neu += neu->items[i].multiplicity * neu->items[i].f2;
        /* positions: 1e-5 relative (the file keeps 10 decimals of d) */
        CHECK_MSG(dbest <= 1e-5, "%s: peak d = %.8f not found (best %g)", name, d, dbest);
        /* multiplicities: the peak holds exactly as many hkl as pymatgen found */
        CHECK_MSG(mult == nhkl, "%s: d = %.6f: %lld hkl, pymatgen %ld", name, d,
                  (long long)mult, nhkl);
        /* the same WK form factors on pymatgen's atoms: only rounding differs, and the
         * choice of image kept when a site rounded to 5 decimals (graphite's 0.33333)
         * meets itself: that moves |F|^2 by up to ~2e-4 (relatively more for weak peaks),
         * so allow 5e-4 of the peak plus 1e-5 of the strongest */
        CHECK_MSG(fabs(sum_ion - f2wk) <= 5e-4 * f2wk + 1e-5 * imax,
                  "%s: d = %.6f: sum m|F|^2 %.8g vs WK peer %.8g", name, d, sum_ion, f2wk);
        /* strong peaks (> 1 % of the strongest) against another form-factor table:
         * xrayutilities' default f0 (DABAX f0_xop: five Gaussians fitted to Kissel's RTAB
         * relativistic form factors, neutral atoms) differs from WK by <= 0.5 % in f for
         * s <= 0.64 (Q <= 8) for the elements here, so |F|^2 by <= 1 %: allow 1 %.
         * pymatgen's own table (4 Gaussians without a constant, for f - Z) is much coarser
         * for light atoms at high s (Li, C, O, V: up to 13 % in |F|^2) and up to 7 % for
         * Ce and La, so it is only held to 15 %: a check that the peer agrees at all. */
        if (f2wk > 0.01 * imax) {
            double rx = fabs(sum_neu - f2xu) / f2xu, rp = fabs(sum_neu - f2pmg) / f2pmg;
            worst_xu = fmax(worst_xu, rx);
            worst_pmg = fmax(worst_pmg, rp);
            CHECK_MSG(rx <= 0.01, "%s: d = %.6f: %.6g vs xrayutilities %.6g", name, d,
                      sum_neu, f2xu);
            CHECK_MSG(rp <= 0.15, "%s: d = %.6f: %.6g vs pymatgen %.6g", name, d, sum_neu,
                      f2pmg);
        }
    }
    /* completeness: every reflection we call present and not negligibly weak is a peer peak.
     * pymatgen drops peaks below 1e-5 of the strongest after its Lorentz-polarisation
     * factor (1 + cos^2 2t) / (sin^2 t cos t), so compare on that scale, with a margin. */
    double lpmax = 0.0;
    for (int64_t i = 0; i < ion->count; i++) {
        double t = asin(LAMBDA / (2.0 * ion->items[i].d));
        double lp = (1 + cos(2 * t) * cos(2 * t)) / (sin(t) * sin(t) * cos(t));
        lpmax = fmax(lpmax, lp * ion->items[i].multiplicity * ion->items[i].f2);
    }
    for (int64_t i = 0; i < ion->count; i++) {
        const tsct_reflection *r = &ion->items[i];
        double t = asin(LAMBDA / (2.0 * r->d));
        double lp = (1 + cos(2 * t) * cos(2 * t)) / (sin(t) * sin(t) * cos(t));
        if (!matched[i] && !r->absent && lp * r->multiplicity * r->f2 > 1e-4 * lpmax)
            CHECK_MSG(0, "%s: (%d %d %d) d = %.6f |F|^2 = %g missing from the peer", name, r->h,
                      r->k, r->l, r->d, r->f2);
    }
    printf("%-32s %4d peaks; worst |F|^2 difference: xrayutilities %.2f %%, pymatgen %.2f %%\n",
           name, npeaks, 100 * worst_xu, 100 * worst_pmg);
    CHECK(npeaks > 0);
    free(matched);
    fclose(f);
    tsct_crystal_reflections_destroy(ion);
    tsct_crystal_reflections_destroy(neu);
    tsct_crystal_destroy(c);
}

static void test_peers(void)
{
    DIR *dir = opendir(REF);
    CHECK(dir != NULL);
    int n = 0;
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "peaks_", 6) != 0 || len < 11 ||
            strcmp(e->d_name + len - 4, ".txt") != 0)
            continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(len - 10), e->d_name + 6);
        compare_peaks(name);
        n++;
    }
    if (dir)
        closedir(dir);
    /* every CIF of tests/data/cif and data/structures has its reference */
    CHECK(n == 19);
}

/* ---- bad and unusual CIF input ------------------------------------------------------------ */

static const char good_cif[] =
    "# a test file\n"
    "data_test\n"
    "_Cell_Length_A 5.4110(2)\n"
    "_cell_length_b '5.4110'\n"
    "_cell_length_c \"5.4110\"\n"
    "_cell_angle_alpha 90\n_cell_angle_beta 90.0(0)\n_cell_angle_gamma 90.\n"
    "_symmetry_space_group_name_H-M 'P m m m'\n"
    "_publ_section_title\n;\n Text with 'quotes', loop_ and _tags\n;\n"
    "loop_\n_space_group_symop_id\n_space_group_symop_operation_xyz\n"
    "1 'x, y, z'\n2 '-x,-y,-z'\n3 '-x, y, z'\n4 'x,-y,z'\n5 x,y,-z\n"
    "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
    "_atom_site_occupancy\n_atom_site_B_iso_or_equiv\n"
    "Ni1 0 0 0 1 0.8\n"
    "O1 0.5 0.5 0.5 0.5(1) ?\n"
    "Ow 0.25 0 0 . .\n"
    "loop_\n_atom_site_aniso_label\n_atom_site_aniso_U_11\n_atom_site_aniso_U_22\n"
    "_atom_site_aniso_U_33\n_atom_site_aniso_U_12\n_atom_site_aniso_U_13\n"
    "_atom_site_aniso_U_23\n"
    "Ni1 0.5 0.5 0.5 0 0 0\n"
    "O1 0.01 0.02 0.03 0 0 0\n"
    "data_second\n_cell_length_a 1\n";

static void parse_text(const char *text, tsct_crystal **c, tsct_error *err)
{
    *c = NULL;
    tsct_crystal_parse_cif(c, text, strlen(text), err);
}

static void replace(char *buf, size_t size, const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    if (!at) {
        snprintf(buf, size, "%s", text);
        return;
    }
    snprintf(buf, size, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

static void test_cif_syntax(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_crystal *c = NULL;
    CHECK_OK(tsct_crystal_parse_cif(&c, good_cif, strlen(good_cif), &err), &err);
    if (c) {
        CHECK_NEAR(tsct_crystal_cell(c)->a, 5.4110, 1e-15);
        CHECK(strcmp(tsct_crystal_spacegroup(c), "P m m m") == 0);
        CHECK(tsct_crystal_laue_order(c) == 8);
        const tsct_site *s = tsct_crystal_sites(c);
        CHECK(tsct_crystal_site_count(c) == 3);
        CHECK_NEAR(s[0].uiso, 0.8 / (8 * M_PI * M_PI), 1e-15);   /* B given: aniso ignored */
        CHECK_NEAR(s[1].occupancy, 0.5, 1e-15);
        CHECK_NEAR(s[1].uiso, 0.02, 1e-15);   /* Ueq = (U11 + U22 + U33) / 3, orthogonal */
        CHECK(s[2].occupancy == 1.0 && s[2].uiso == 0.0);
        CHECK(strcmp(s[2].type, "Ow") == 0 && tsct_crystal_site_ion_fallback(c, 2) == 1);
        CHECK(strcmp(tsct_crystal_site_formfactor(c, 2)->symbol, "O") == 0);
        CHECK(tsct_crystal_atom_count(c) == 1 + 1 + 2);
        tsct_crystal_destroy(c);
    }
    /* monoclinic Ueq: U^ij a*_i a*_j a_i.a_j / 3 with U13 coupling through beta */
    const char *mono =
        "data_m\n_cell_length_a 4\n_cell_length_b 5\n_cell_length_c 6\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 110\n_cell_angle_gamma 90\n"
        "_symmetry_space_group_name_H-M 'P 1'\n"
        "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
        "Fe1 0.1 0.2 0.3\n"
        "loop_\n_atom_site_aniso_label\n_atom_site_aniso_B_11\n_atom_site_aniso_B_22\n"
        "_atom_site_aniso_B_33\n_atom_site_aniso_B_12\n_atom_site_aniso_B_13\n"
        "_atom_site_aniso_B_23\nFe1 1 2 3 0 0.5 0\n";
    parse_text(mono, &c, &err);
    CHECK(c != NULL);
    if (c) {
        /* independent route: Ueq = trace(U_cart) / 3 with U_cart = A N U N A^T, A the
         * fractional-to-Cartesian matrix and N = diag(a*, b*, c*) */
        double gs[3][3], a[3][3];
        CHECK_OK(tsct_crystal_cell_metric(tsct_crystal_cell(c), NULL, gs, &err), &err);
        CHECK_OK(tsct_crystal_cell_cartesian(tsct_crystal_cell(c), a, &err), &err);
        double u[3][3] = {{1, 0, 0.5}, {0, 2, 0}, {0.5, 0, 3}}, an[3][3], tr = 0;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                an[i][j] = a[i][j] * sqrt(gs[j][j]);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 3; k++)
                    tr += an[i][j] * u[j][k] * an[i][k];
        CHECK_NEAR(tsct_crystal_sites(c)[0].uiso, tr / 3 / (8 * M_PI * M_PI), 1e-14);
        CHECK(tsct_crystal_atom_count(c) == 1 && tsct_crystal_laue_order(c) == 2);
        tsct_crystal_destroy(c);
    }

    char buf[8192];
    static const struct {
        const char *from, *to;
        tsct_status status;
        const char *needle;
    } bad[] = {
        {"_cell_length_b '5.4110'\n", "", TSCT_ERR_NOT_FOUND, "_cell_length_b"},
        {"_cell_angle_gamma 90.", "_cell_angle_gamma ?", TSCT_ERR_NOT_FOUND, "gamma"},
        {"_Cell_Length_A 5.4110(2)", "_cell_length_a 0", TSCT_ERR_VALUE, "_cell_length_a"},
        {"_cell_angle_alpha 90\n_cell_angle_beta 90.0(0)\n_cell_angle_gamma 90.",
         "_cell_angle_alpha 120\n_cell_angle_beta 120\n_cell_angle_gamma 120",
         TSCT_ERR_VALUE, "zero volume"},
        {"_Cell_Length_A 5.4110(2)", "_cell_length_a 5.4x", TSCT_ERR_FORMAT, "not a number"},
        {"Ni1 0 0 0 1 0.8", "Xx1 0 0 0 1 0.8", TSCT_ERR_NOT_FOUND, "unknown element"},
        {"Ni1 0 0 0 1 0.8", "ni1 0 0 0 1 0.8", TSCT_ERR_NOT_FOUND, "unknown element"},
        {"Ni1 0 0 0 1 0.8", "Ni1 0 0 ? 1 0.8", TSCT_ERR_NOT_FOUND, "no coordinate"},
        {"Ni1 0 0 0 1 0.8", "Ni1 0 0 0 -1 0.8", TSCT_ERR_VALUE, "occupancy"},
        {"Ni1 0 0 0 1 0.8", "Ni1 0 0 0 1 -0.8", TSCT_ERR_VALUE, "Uiso"},
        {"Ni1 0 0 0 1 0.8\n", "Ni1 0 0 0 1\n", TSCT_ERR_FORMAT, "values"},
        {"_atom_site_fract_z\n", "_atom_site_fract_q\n", TSCT_ERR_NOT_FOUND,
         "_atom_site_fract_z"},
        {"5 x,y,-z", "5 x,y,-z,w", TSCT_ERR_FORMAT, "operator"},
        {"5 x,y,-z", "5 2x,y,-z", TSCT_ERR_VALUE, "determinant"},
        {"5 x,y,-z", "5 x+y,y,-z", TSCT_ERR_VALUE, "point group"},
        {"'-x, y, z'", "'-x, y, z", TSCT_ERR_FORMAT, "not closed"},
        {"_publ_section_title\n;\n Text with 'quotes', loop_ and _tags\n;\n",
         "_publ_section_title\n;\n Text never closed\n", TSCT_ERR_FORMAT, "never closed"},
        {"_symmetry_space_group_name_H-M 'P m m m'\n",
         "_symmetry_space_group_name_H-M 'P m m m'\n_dangling\n", TSCT_ERR_FORMAT, "no value"},
        {"data_test\n", "data_test\nstray\n", TSCT_ERR_FORMAT, "belongs to no tag"},
        {"loop_\n_space_group_symop_id\n_space_group_symop_operation_xyz\n"
         "1 'x, y, z'\n2 '-x,-y,-z'\n3 '-x, y, z'\n4 'x,-y,z'\n5 x,y,-z\n",
         "", TSCT_ERR_UNSUPPORTED, "operators"},
        {"loop_\n_atom_site_label", "loop_\nloop_\n_atom_site_label", TSCT_ERR_FORMAT,
         "no tags"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        replace(buf, sizeof buf, good_cif, bad[i].from, bad[i].to);
        CHECK_MSG(strcmp(buf, good_cif) != 0, "case %zu did not change the text", i);
        c = NULL;
        CHECK_FAILS(tsct_crystal_parse_cif(&c, buf, strlen(buf), &err), bad[i].status, &err,
                    bad[i].needle);
        CHECK(c == NULL);
    }
    /* a P 1 file may omit operators */
    replace(buf, sizeof buf, good_cif,
            "loop_\n_space_group_symop_id\n_space_group_symop_operation_xyz\n"
            "1 'x, y, z'\n2 '-x,-y,-z'\n3 '-x, y, z'\n4 'x,-y,z'\n5 x,y,-z\n", "");
    char buf2[8192];
    replace(buf2, sizeof buf2, buf, "'P m m m'", "'P 1'");
    parse_text(buf2, &c, &err);
    CHECK(c && tsct_crystal_atom_count(c) == 3);
    tsct_crystal_destroy(c);

    CHECK_FAILS(tsct_crystal_parse_cif(&c, "", 0, &err), TSCT_ERR_FORMAT, &err, "not a CIF");
    CHECK_FAILS(tsct_crystal_parse_cif(&c, "data_x\n", 7, &err), TSCT_ERR_NOT_FOUND, &err,
                "_cell_length_a");
    CHECK_FAILS(tsct_crystal_parse_cif(&c, NULL, 5, &err), TSCT_ERR_VALUE, &err, "NULL");
    CHECK_FAILS(tsct_crystal_read_cif(&c, TSCT_TEST_DATA "/cif/none.cif", &err),
                TSCT_ERR_NOT_FOUND, &err, "none.cif");

    /* every truncation of real files: an error or a crystal, never a crash (ASan build) */
    static const char *const files[] = {CIFDIR "/V2O5_COD9012221.cif",
                                        CIFDIR "/LiCoO2_COD1533825.cif"};
    for (int fi = 0; fi < 2; fi++) {
        FILE *f = fopen(files[fi], "rb");
        CHECK(f != NULL);
        if (!f)
            continue;
        static char text[65536];
        size_t n = fread(text, 1, sizeof text, f);
        fclose(f);
        int ok = 0, failed = 0;
        for (size_t cut = 0; cut < n; cut += 3) {
            char *copy = malloc(cut + 1);   /* exact size: ASan sees any over-read */
            memcpy(copy, text, cut);
            tsct_error e = TSCT_ERROR_INIT;
            c = NULL;
            tsct_status st = tsct_crystal_parse_cif(&c, copy, cut, &e);
            if (st == TSCT_OK) {
                ok++;
                CHECK(c != NULL);
            } else {
                failed++;
                CHECK(c == NULL && e.message[0] != '\0');
            }
            tsct_crystal_destroy(c);
            free(copy);
        }
        CHECK(failed > 0);
        (void)ok;
    }
    /* a truncated file reports a clear error naming the file */
    tsct_test_tmpdir(TSCT_TEST_TMP);
    const char *tpath = TSCT_TEST_TMP "/truncated.cif";
    FILE *f = fopen(tpath, "w");
    if (f) {
        fwrite(good_cif, 1, 300, f);
        fclose(f);
    }
    CHECK_FAILS(tsct_crystal_read_cif(&c, tpath, &err), TSCT_ERR_FORMAT, &err,
                "truncated.cif");
}

static void test_create_errors(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_crystal *c = NULL;
    tsct_cell cell = {3, 3, 3, 90, 90, 90};
    tsct_site s = {"A", "Zz", {0, 0, 0}, 1, 0};
    CHECK_FAILS(tsct_crystal_create(&c, &cell, NULL, NULL, 0, &s, 1, &err), TSCT_ERR_NOT_FOUND,
                &err, "Zz");
    tsct_site nan_site = {"B", "O", {NAN, 0, 0}, 1, 0};
    CHECK_FAILS(tsct_crystal_create(&c, &cell, NULL, NULL, 0, &nan_site, 1, &err),
                TSCT_ERR_VALUE, &err, "not finite");
    CHECK_FAILS(tsct_crystal_create(&c, NULL, NULL, NULL, 0, &s, 1, &err), TSCT_ERR_VALUE, &err,
                "bad arguments");
    /* an empty structure is allowed: no atoms, F = 0 */
    CHECK_OK(tsct_crystal_create(&c, &cell, NULL, NULL, 0, NULL, 0, &err), &err);
    if (c) {
        tsct_reflection_list *l = NULL;
        tsct_reflection_params p = TSCT_REFLECTION_PARAMS_DEFAULT;
        p.qmax = 5;
        CHECK_OK(tsct_crystal_reflections_create(&l, c, &p, &err), &err);
        CHECK(l && l->count == 0);
        tsct_crystal_reflections_destroy(l);
        tsct_crystal_destroy(c);
    }
    /* ion missing from the table: the atom is used and flagged */
    tsct_site ion = {"Fe9", "Fe4+", {0, 0, 0}, 1, 0};
    CHECK_OK(tsct_crystal_create(&c, &cell, NULL, NULL, 0, &ion, 1, &err), &err);
    if (c) {
        CHECK(tsct_crystal_site_ion_fallback(c, 0) == 1);
        CHECK(strcmp(tsct_crystal_site_formfactor(c, 0)->symbol, "Fe") == 0);
        tsct_crystal_destroy(c);
    }
}

int main(void)
{
    test_formfactor_table();
    test_formfactor_lookup();
    test_composition();
    test_cell_symop();
    test_structure_factor_exact();
    test_cif_files();
    test_peers();
    test_cif_syntax();
    test_create_errors();
    return tsct_test_finish("test_physics");
}
