/* test_debye.c - Debye scattering of clusters (tsct/debye.h).
 *
 *  - exact answers: the pair distances of a sphere cut from fcc Cu are the lattice shells
 *    a sqrt(n / 2) with the pair counts of the same sphere enumerated on integers; the atom
 *    count of the cut; I(0) = (sum w f(0))^2;
 *  - the histogram method against a direct double sum over ordered pairs: crystal clusters
 *    to 1e-9 (shells fall in single bins), an amorphous two-species cluster with partial
 *    occupancy within the stated bound and to 1e-6 relative with a fine bin; one thread and
 *    several threads alike;
 *  - bad input: radius, bin width, Q, unknown element;
 *  - XYZ files: a 7-atom Bi cluster read from text gives the positions and the pair list of
 *    its coordinates, labels ("Bi1") and ions ("O2-") are taken, a file through
 *    tsct_debye_cluster_read_xyz equals the parsed text; a short file, a bad count, a
 *    non-number and an unknown element are refused naming the line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/crystal.h"
#include "tsct/debye.h"
#include "tsct_test.h"

#define CIFDIR TSCT_TEST_DATA "/cif"
#define STRUCTDIR TSCT_TEST_DATA "/../../data/structures"

/* The reference: sum over ordered pairs i, j (i = j included) of w_i w_j f_i f_j sinc. */
static void direct(const tsct_debye_cluster *c, const double *q, int64_t nq, double *out,
                   double *fsum)
{
    const int64_t n = tsct_debye_cluster_atom_count(c);
    const double *x = tsct_debye_cluster_positions(c);
    const int64_t *sp = tsct_debye_cluster_atom_species(c);
    double *f = malloc((size_t)n * sizeof *f);
    for (int64_t m = 0; m < nq; m++) {
        double s = 0.0, fs = 0.0;
        for (int64_t i = 0; i < n; i++) {
            f[i] = tsct_debye_cluster_species_occupancy(c, sp[i]) *
                   tsct_formfactor_f0(tsct_debye_cluster_species_formfactor(c, sp[i]), q[m]);
            fs += fabs(f[i]);
        }
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                double dx = x[3 * i] - x[3 * j], dy = x[3 * i + 1] - x[3 * j + 1],
                       dz = x[3 * i + 2] - x[3 * j + 2];
                double qr = q[m] * sqrt(dx * dx + dy * dy + dz * dz);
                s += f[i] * f[j] * (qr == 0.0 ? 1.0 : sin(qr) / qr);
            }
        out[m] = s;
        if (fsum)
            fsum[m] = fs;
    }
    free(f);
}

/* ---- fcc shells ----------------------------------------------------------------------------- */

static void test_fcc_shells(void)
{
    tsct_crystal *cu = tsct_test_read_cif(CIFDIR "/Cu_COD9008468.cif");
    if (!cu)
        return;
    const double a = tsct_crystal_cell(cu)->a;
    const double radius = 2.3 * a;   /* between shells: (2R/a)^2 = 21.16 is not an integer */
    tsct_debye_cut_params cp = TSCT_DEBYE_CUT_PARAMS_DEFAULT;
    cp.radius = radius;
    tsct_debye_cluster *cl = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_debye_cluster_cut(&cl, cu, &cp, &err), &err);
    /* the same sphere on integers: fcc sites are (i, j, k) a / 2 with i + j + k even */
    const int lim = 5;
    int pts[1000][3];
    int npts = 0;
    for (int i = -lim; i <= lim; i++)
        for (int j = -lim; j <= lim; j++)
            for (int k = -lim; k <= lim; k++)
                if (((i + j + k) & 1) == 0 && i * i + j * j + k * k <= 21 && npts < 1000) {
                    pts[npts][0] = i;
                    pts[npts][1] = j;
                    pts[npts][2] = k;
                    npts++;
                }
    /* pair counts by squared distance in (a/2)^2 */
    int64_t count[200] = {0};
    for (int i = 0; i < npts; i++)
        for (int j = i + 1; j < npts; j++) {
            int d0 = pts[i][0] - pts[j][0], d1 = pts[i][1] - pts[j][1],
                d2 = pts[i][2] - pts[j][2];
            count[d0 * d0 + d1 * d1 + d2 * d2]++;
        }
    if (cl) {
        CHECK_MSG(tsct_debye_cluster_atom_count(cl) == npts, "%lld atoms, expected %d",
                  (long long)tsct_debye_cluster_atom_count(cl), npts);
        CHECK(tsct_debye_cluster_species_count(cl) == 1);
        tsct_debye_pairs *pairs = NULL;
        CHECK_OK(tsct_debye_pairs_create(&pairs, cl, INFINITY, &err), &err);
        CHECK(pairs && pairs->count == (int64_t)npts * (npts - 1) / 2);
        /* walk the sorted list shell by shell: every distance is a sqrt(n / 2) to 1e-12
         * relative (round-off of the cell expansion) and every shell has the integer count */
        int64_t k = 0, shells = 0;
        while (pairs && k < pairs->count) {
            double r = pairs->items[k].r;
            int n2 = (int)lround(r * r / (a * a / 4.0));
            CHECK_MSG(fabs(r - 0.5 * a * sqrt((double)n2)) <= 1e-12 * r,
                      "distance %.15g is not a shell (n = %d)", r, n2);
            int64_t m = 0;
            while (k < pairs->count && fabs(pairs->items[k].r - r) <= 1e-9) {
                CHECK(pairs->items[k].i < pairs->items[k].j);
                k++;
                m++;
            }
            CHECK_MSG(n2 > 0 && n2 < 200 && m == count[n2],
                      "shell n = %d (r = %.6f): %lld pairs, expected %lld", n2, r,
                      (long long)m, (long long)(n2 > 0 && n2 < 200 ? count[n2] : -1));
            if (n2 > 0 && n2 < 200)
                count[n2] = -1;   /* seen */
            shells++;
        }
        int64_t missing = 0;
        for (int s = 1; s < 200; s++)
            missing += count[s] > 0;
        CHECK(missing == 0 && shells > 10);
        /* nearest neighbours: 12 per interior atom at a / sqrt 2 */
        CHECK(pairs && pairs->count > 0 && fabs(pairs->items[0].r - a / sqrt(2.0)) < 1e-12);
        tsct_debye_pairs_destroy(pairs);
        /* rmax cuts the list */
        CHECK_OK(tsct_debye_pairs_create(&pairs, cl, a * 1.01, &err), &err);
        int64_t want = 0;
        for (int i = 0; i < npts; i++)
            for (int j = i + 1; j < npts; j++) {
                int d0 = pts[i][0] - pts[j][0], d1 = pts[i][1] - pts[j][1],
                    d2 = pts[i][2] - pts[j][2];
                want += d0 * d0 + d1 * d1 + d2 * d2 <= 4;
            }
        CHECK(pairs && pairs->count == want);
        tsct_debye_pairs_destroy(pairs);
    }
    tsct_debye_cluster_destroy(cl);
    tsct_crystal_destroy(cu);
}

/* ---- I(Q) ----------------------------------------------------------------------------------- */

static void check_intensity(const char *what, const tsct_debye_cluster *cl, double bin,
                            double reltol, int use_bound)
{
    const int64_t nq = 60;
    double q[60], ref[60], fsum[60], got[60], got1[60];
    for (int64_t m = 0; m < nq; m++)
        q[m] = 0.5 * (double)m;   /* 0 .. 29.5 1/Angstrom */
    direct(cl, q, nq, ref, fsum);
    tsct_debye_params dp = TSCT_DEBYE_PARAMS_DEFAULT;
    dp.bin_width = bin;
    dp.nthreads = 3;
    tsct_debye_histogram *h = NULL, *h1 = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_debye_histogram_create(&h, cl, &dp, &err), &err);
    dp.nthreads = 1;
    CHECK_OK(tsct_debye_histogram_create(&h1, cl, &dp, &err), &err);
    if (!h || !h1)
        goto done;
    CHECK_OK(tsct_debye_intensity(h, q, nq, got, &err), &err);
    CHECK_OK(tsct_debye_intensity(h1, q, nq, got1, &err), &err);
    double worst = 0.0;
    for (int64_t m = 0; m < nq; m++) {
        double e = fabs(got[m] - ref[m]);
        worst = fmax(worst, e / fabs(ref[m]));
        CHECK_MSG(e <= reltol * fabs(ref[m]), "%s: Q %g: histogram %.12g, direct %.12g", what,
                  q[m], got[m], ref[m]);
        if (use_bound) {
            /* the stated bound (Q dr)^2 / 6 (sum |w f|)^2, plus round-off */
            double bound = q[m] * q[m] * bin * bin / 6.0 * fsum[m] * fsum[m];
            CHECK_MSG(e <= bound + 1e-12 * fsum[m] * fsum[m], "%s: Q %g: error %g > bound %g",
                      what, q[m], e, bound);
        }
        /* threads change only the order of additions */
        CHECK_NEAR(got[m], got1[m], 1e-11 * fsum[m] * fsum[m]);
    }
    /* I(0) = (sum_i w_i f_i(0))^2 exactly */
    CHECK_NEAR(got[0], fsum[0] * fsum[0], 1e-12 * fsum[0] * fsum[0]);
    printf("%-40s %6lld atoms, %7lld bins, worst relative error %.2e\n", what,
           (long long)tsct_debye_cluster_atom_count(cl), (long long)tsct_debye_histogram_bins(h),
           worst);
done:
    tsct_debye_histogram_destroy(h);
    tsct_debye_histogram_destroy(h1);
}

static void test_intensity(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    /* crystal clusters: every shell in one bin, so the default bin is exact to round-off */
    tsct_crystal *cu = tsct_test_read_cif(CIFDIR "/Cu_COD9008468.cif");
    tsct_debye_cut_params cp = TSCT_DEBYE_CUT_PARAMS_DEFAULT;
    tsct_debye_cluster *cl = NULL;
    if (cu) {
        cp.radius = 9.0;
        CHECK_OK(tsct_debye_cluster_cut(&cl, cu, &cp, &err), &err);
        if (cl)
            check_intensity("Cu sphere R 9 A", cl, 1e-3, 1e-9, 0);
        tsct_debye_cluster_destroy(cl);
        cl = NULL;
        cp.shape = TSCT_DEBYE_SHAPE_CUBE;
        cp.radius = 6.0;
        cp.centre[0] = cp.centre[1] = cp.centre[2] = 0.25;
        CHECK_OK(tsct_debye_cluster_cut(&cl, cu, &cp, &err), &err);
        if (cl) {
            /* a cube of half-edge 6 around (1/4,1/4,1/4) a holds the sites with
             * |i a/2 - a/4| <= 6 on each axis */
            const double a = tsct_crystal_cell(cu)->a;
            int64_t want = 0;
            for (int i = -20; i <= 20; i++)
                for (int j = -20; j <= 20; j++)
                    for (int k = -20; k <= 20; k++)
                        want += ((i + j + k) & 1) == 0 && fabs(i * a / 2 - a / 4) <= 6.0 &&
                                fabs(j * a / 2 - a / 4) <= 6.0 && fabs(k * a / 2 - a / 4) <= 6.0;
            CHECK_MSG(tsct_debye_cluster_atom_count(cl) == want, "cube: %lld atoms, want %lld",
                      (long long)tsct_debye_cluster_atom_count(cl), (long long)want);
            check_intensity("Cu cube half-edge 6 A", cl, 1e-3, 1e-9, 0);
        }
        tsct_debye_cluster_destroy(cl);
        cl = NULL;
        tsct_crystal_destroy(cu);
    }
    /* Li3Bi: two elements, three sites */
    tsct_crystal *lb = tsct_test_read_cif(STRUCTDIR "/Li3Bi.cif");
    if (lb) {
        tsct_debye_cut_params p2 = TSCT_DEBYE_CUT_PARAMS_DEFAULT;
        p2.radius = 8.0;
        CHECK_OK(tsct_debye_cluster_cut(&cl, lb, &p2, &err), &err);
        if (cl) {
            CHECK(tsct_debye_cluster_species_count(cl) == 2);
            check_intensity("Li3Bi sphere R 8 A", cl, 1e-3, 1e-9, 0);
        }
        tsct_debye_cluster_destroy(cl);
        cl = NULL;
        tsct_crystal_destroy(lb);
    }
    /* an amorphous cluster: random positions, Bi and O with partial occupancy */
    const int64_t n = 80;
    double xyz[3 * 80], occ[80];
    const char *types[80];
    unsigned s = 12345;
    for (int64_t i = 0; i < n; i++) {
        for (int k = 0; k < 3; k++) {
            s = s * 1103515245u + 12345u;
            xyz[3 * i + k] = 12.0 * ((double)(s >> 8) / 16777216.0) - 6.0;
        }
        types[i] = i % 3 == 0 ? "Bi" : "O2-";
        occ[i] = i % 5 == 0 ? 0.5 : 1.0;
    }
    CHECK_OK(tsct_debye_cluster_create(&cl, n, xyz, types, occ, &err), &err);
    if (cl) {
        CHECK(tsct_debye_cluster_species_count(cl) == 4);
        /* a coarse bin: within the bound but not 1e-6 */
        check_intensity("amorphous, dr 1e-2 A (bound)", cl, 1e-2, 1.0, 1);
        /* a fine bin: within the bound and 1e-6 relative */
        check_intensity("amorphous, dr 1e-5 A", cl, 1e-5, 1e-6, 1);
    }
    tsct_debye_cluster_destroy(cl);
}

/* ---- bad input ------------------------------------------------------------------------------ */

static void test_errors(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_crystal *cu = tsct_test_read_cif(CIFDIR "/Cu_COD9008468.cif");
    tsct_debye_cluster *cl = NULL;
    tsct_debye_cut_params cp = TSCT_DEBYE_CUT_PARAMS_DEFAULT;
    if (cu) {
        cp.radius = -3.0;
        CHECK_FAILS(tsct_debye_cluster_cut(&cl, cu, &cp, &err), TSCT_ERR_VALUE, &err, "radius");
        CHECK(cl == NULL);
        cp.radius = 0.0;
        CHECK_FAILS(tsct_debye_cluster_cut(&cl, cu, &cp, &err), TSCT_ERR_VALUE, &err, "radius");
        cp.radius = NAN;
        CHECK_FAILS(tsct_debye_cluster_cut(&cl, cu, &cp, &err), TSCT_ERR_VALUE, &err, "radius");
        /* a sphere between atoms */
        cp.radius = 0.5;
        cp.centre[0] = cp.centre[1] = cp.centre[2] = 0.25;
        CHECK_FAILS(tsct_debye_cluster_cut(&cl, cu, &cp, &err), TSCT_ERR_NOT_FOUND, &err,
                    "no atom");
        cp.radius = 1e6;
        CHECK_FAILS(tsct_debye_cluster_cut(&cl, cu, &cp, &err), TSCT_ERR_SHAPE, &err,
                    "too many");
        /* one atom: I(Q) = f(Q)^2 */
        cp.radius = 0.5;
        cp.centre[0] = cp.centre[1] = cp.centre[2] = 0.0;
        CHECK_OK(tsct_debye_cluster_cut(&cl, cu, &cp, &err), &err);
        tsct_debye_histogram *h = NULL;
        tsct_debye_params dp = TSCT_DEBYE_PARAMS_DEFAULT;
        if (cl) {
            CHECK(tsct_debye_cluster_atom_count(cl) == 1);
            dp.bin_width = 0.0;
            CHECK_FAILS(tsct_debye_histogram_create(&h, cl, &dp, &err), TSCT_ERR_VALUE, &err,
                        "bin_width");
            dp.bin_width = 1e-3;
            CHECK_OK(tsct_debye_histogram_create(&h, cl, &dp, &err), &err);
        }
        if (h) {
            double q[2] = {3.0, -1.0}, out[2];
            CHECK_OK(tsct_debye_intensity(h, q, 1, out, &err), &err);
            double f = tsct_formfactor_f0(tsct_debye_cluster_species_formfactor(cl, 0), 3.0);
            CHECK_NEAR(out[0], f * f, 1e-12 * f * f);
            CHECK_FAILS(tsct_debye_intensity(h, q, 2, out, &err), TSCT_ERR_VALUE, &err, "Q[1]");
        }
        tsct_debye_histogram_destroy(h);
        tsct_debye_cluster_destroy(cl);
        cl = NULL;
        tsct_crystal_destroy(cu);
    }
    double xyz[6] = {0, 0, 0, 1, 1, 1};
    const char *types[2] = {"Bi", "Xx"};
    CHECK_FAILS(tsct_debye_cluster_create(&cl, 2, xyz, types, NULL, &err), TSCT_ERR_NOT_FOUND,
                &err, "Xx");
    types[1] = "Bi";
    double occ[2] = {1.0, -0.5};
    CHECK_FAILS(tsct_debye_cluster_create(&cl, 2, xyz, types, occ, &err), TSCT_ERR_VALUE, &err,
                "cluster atom[1]");
    CHECK_FAILS(tsct_debye_cluster_create(&cl, 0, xyz, types, NULL, &err), TSCT_ERR_VALUE, &err,
                "at least one atom");
    tsct_debye_pairs *pairs = NULL;
    CHECK_OK(tsct_debye_cluster_create(&cl, 2, xyz, types, NULL, &err), &err);
    if (cl) {
        CHECK_FAILS(tsct_debye_pairs_create(&pairs, cl, -1.0, &err), TSCT_ERR_VALUE, &err,
                    "rmax");
        CHECK_OK(tsct_debye_pairs_create(&pairs, cl, 2.0, &err), &err);
        CHECK(pairs && pairs->count == 1 && fabs(pairs->items[0].r - sqrt(3.0)) < 1e-15);
    }
    tsct_debye_pairs_destroy(pairs);
    tsct_debye_cluster_destroy(cl);
    tsct_debye_cluster_destroy(NULL);
    tsct_debye_histogram_destroy(NULL);
    tsct_debye_pairs_destroy(NULL);
}

static void test_xyz(void)
{
    const char *text = "7\nBi7: an octahedron around a centre\n"
                       "Bi 0 0 0\nBi1 3.1 0 0\nBi -3.1 0 0\nBi 0 3.1 0\nBi 0 -3.1 0 extra\n"
                       "Bi 0 0 3.1\nBi 0 0 -3.1\ntrailing lines are ignored\n";
    tsct_debye_cluster *c = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_debye_cluster_parse_xyz(&c, text, strlen(text), &err), &err);
    if (!c)
        return;
    CHECK(tsct_debye_cluster_atom_count(c) == 7);
    CHECK(tsct_debye_cluster_species_count(c) == 1);
    CHECK(tsct_debye_cluster_positions(c)[3 * 4 + 1] == -3.1);
    tsct_debye_pairs *pairs = NULL;
    CHECK_OK(tsct_debye_pairs_create(&pairs, c, 10.0, &err), &err);
    /* 6 centre-vertex pairs at 3.1, 12 vertex-vertex at 3.1 sqrt 2, 3 opposite at 6.2 */
    int n1 = 0, n2 = 0, n3 = 0;
    for (int64_t i = 0; pairs && i < pairs->count; i++) {
        n1 += fabs(pairs->items[i].r - 3.1) < 1e-12;
        n2 += fabs(pairs->items[i].r - 3.1 * sqrt(2.0)) < 1e-12;
        n3 += fabs(pairs->items[i].r - 6.2) < 1e-12;
    }
    CHECK(pairs && pairs->count == 21 && n1 == 6 && n2 == 12 && n3 == 3);
    tsct_debye_pairs_destroy(pairs);
    /* the same through a file */
    char path[4096];
    snprintf(path, sizeof path, "%s/bi7.xyz", tsct_test_tmpdir(TSCT_TEST_TMP));
    CHECK(tsct_test_spit(path, text, strlen(text)) == 0);
    tsct_debye_cluster *f = NULL;
    CHECK_OK(tsct_debye_cluster_read_xyz(&f, path, &err), &err);
    CHECK(f && memcmp(tsct_debye_cluster_positions(f), tsct_debye_cluster_positions(c),
                      21 * sizeof(double)) == 0);
    tsct_debye_cluster_destroy(f);
    tsct_debye_cluster_destroy(c);
    const char *ions = "2\n\nV1 0 0 0\nO2- 1.7 0 0\n";
    CHECK_OK(tsct_debye_cluster_parse_xyz(&c, ions, strlen(ions), &err), &err);
    CHECK(c && tsct_debye_cluster_species_count(c) == 2);
    tsct_debye_cluster_destroy(c);
    const struct {
        const char *text, *needle;
        tsct_status status;
        int64_t line;
    } bad[] = {
        {"3\ncomment\nBi 0 0 0\nBi 1 0 0\n", "ends after 2", TSCT_ERR_FORMAT, 5},
        {"three\ncomment\nBi 0 0 0\n", "number of atoms", TSCT_ERR_FORMAT, 1},
        {"2.5\ncomment\nBi 0 0 0\n", "number of atoms", TSCT_ERR_FORMAT, 1},
        {"1\ncomment\nBi 0 zero 0\n", "line 3", TSCT_ERR_FORMAT, 3},
        {"1\ncomment\nBi 0 0 nan\n", "line 3", TSCT_ERR_FORMAT, 3},
        {"2\ncomment\nBi 0 0 0\nXq 1 0 0\n", "Xq", TSCT_ERR_NOT_FOUND, 4},
        {"", "number of atoms", TSCT_ERR_FORMAT, 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tsct_error_clear(&err);
        const tsct_status st =
            tsct_debye_cluster_parse_xyz(&c, bad[i].text, strlen(bad[i].text), &err);
        CHECK_MSG(st == bad[i].status && strstr(err.message, bad[i].needle) &&
                      err.index == bad[i].line,
                  "case %zu: %s, line %lld: %s", i, tsct_strerror(st), (long long)err.index,
                  err.message);
        CHECK(c == NULL);
    }
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_debye_cluster_read_xyz(&c, "/nonexistent/x.xyz", &err), TSCT_ERR_NOT_FOUND,
                &err, "cannot open");
}

int main(void)
{
    test_xyz();
    test_fcc_shells();
    test_intensity();
    test_errors();
    return tsct_test_finish("test_debye");
}
