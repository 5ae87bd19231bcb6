/* test_geometry.c - per-pixel geometry against pyFAI 0.21 (tests/data/geometry_reference),
 * identities of the formulas, units, and bad geometries.
 *
 * Tolerances, and why:
 *  - 2theta, q, r at centres: 1e-9 relative. pyFAI computes these from float64 positions
 *    (Geometry.center_array) as tsct does; only rounding differs.
 *  - chi at centres: pyFAI's chiArray uses float32 pixel positions (error up to ~3e-8 m over
 *    a 0.4 m detector), so chi may differ by about 3e-8 m / r, r the distance from the beam
 *    axis: allowed 1e-6 + 4e-8 m / r rad.
 *  - solid angle and polarization: pyFAI stores them as float32 (and the solid angle from
 *    float32 positions): 2e-6 relative.
 *  - corners: pyFAI's corner positions are float32: radial within 2e-6 of the largest radial
 *    value of the geometry, chi as at centres.
 */
#include <math.h>

#include "tsct/geometry.h"
#include "tsct_test.h"

static double rel(double a, double b)
{
    return fabs(a - b) / fmax(fabs(b), 1e-300);
}

static double chi_diff(double a, double b)
{
    double d = fabs(a - b);
    return fmin(d, 2 * M_PI - d);  /* chi wraps at +-pi */
}

static void test_reference(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/geometry_reference/reference.txt", TSCT_TEST_DATA);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f)
        return;
    char line[4096], name[64] = "";
    tsct_poni g;
    int64_t rows = 0, cols = 0;
    tsct_geometry_arrays *a = NULL, *q = NULL, *rmm = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    int npix = 0, ngeom = 0;
    double worst[6] = {0}, max_q = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "geometry ", 9) == 0) {
            tsct_geometry_arrays_destroy(a);
            tsct_geometry_arrays_destroy(q);
            tsct_geometry_arrays_destroy(rmm);
            a = q = rmm = NULL;
            memset(&g, 0, sizeof g);
            g.orientation = 3;
            long long r_, c_;
            int n = sscanf(line + 9, "%63s %lf %lf %lf %lf %lf %lf %lf %lf %lf %lld %lld", name,
                           &g.dist, &g.poni1, &g.poni2, &g.rot1, &g.rot2, &g.rot3, &g.wavelength,
                           &g.pixel1, &g.pixel2, &r_, &c_);
            CHECK(n == 12);
            rows = r_;
            cols = c_;
            ngeom++;
            CHECK_OK(tsct_geometry_compute(&g, rows, cols, TSCT_UNIT_2TH_RAD,
                                           TSCT_GEOM_RADIAL | TSCT_GEOM_CHI | TSCT_GEOM_TTH |
                                               TSCT_GEOM_SOLID_ANGLE,
                                           0, &a, &err),
                     &err);
            CHECK_OK(tsct_geometry_compute(&g, rows, cols, TSCT_UNIT_Q_NM,
                                           TSCT_GEOM_RADIAL | TSCT_GEOM_CORNERS, 0, &q, &err),
                     &err);
            CHECK_OK(tsct_geometry_compute(&g, rows, cols, TSCT_UNIT_R_MM, TSCT_GEOM_RADIAL, 0,
                                           &rmm, &err),
                     &err);
            max_q = 0;
            if (q)
                for (int64_t k = 0; k < (rows + 1) * (cols + 1); k++)
                    max_q = fmax(max_q, q->corner_radial[k]);
        } else if (strncmp(line, "pixel ", 6) == 0 && a && q && rmm) {
            long long i, j;
            double tth, chi, qn, r, sa, pol;
            CHECK(sscanf(line + 6, "%lld %lld %lf %lf %lf %lf %lf %lf", &i, &j, &tth, &chi, &qn,
                         &r, &sa, &pol) == 8);
            int64_t k = i * cols + j;
            double rm = r * 1e-3;
            double e[6] = {rel(a->radial[k], tth), rel(a->tth[k], tth), rel(q->radial[k], qn),
                           rel(rmm->radial[k], r), rel(a->solid_angle[k], sa),
                           rel(tsct_geometry_polarization(a->tth[k], a->chi[k], 0.95, 0.3), pol)};
            CHECK_MSG(e[0] < 1e-9 && e[1] < 1e-9, "%s (%lld,%lld) 2theta %.17g vs %.17g", name,
                      i, j, a->radial[k], tth);
            CHECK_MSG(e[2] < 1e-9, "%s (%lld,%lld) q %.17g vs %.17g", name, i, j, q->radial[k],
                      qn);
            CHECK_MSG(e[3] < 1e-9, "%s (%lld,%lld) r %.17g vs %.17g", name, i, j,
                      rmm->radial[k], r);
            CHECK_MSG(e[4] < 2e-6, "%s (%lld,%lld) solid angle %.9g vs %.9g", name, i, j,
                      a->solid_angle[k], sa);
            CHECK_MSG(e[5] < 2e-6, "%s (%lld,%lld) polarization rel err %.3g", name, i, j, e[5]);
            double dchi = chi_diff(a->chi[k], chi);
            CHECK_MSG(dchi < 1e-6 + 4e-8 / rm, "%s (%lld,%lld) chi %.12g vs %.12g", name, i, j,
                      a->chi[k], chi);
            for (int m = 0; m < 6; m++)
                worst[m] = fmax(worst[m], e[m]);
            npix++;
        } else if (strncmp(line, "corner ", 7) == 0 && q) {
            long long i, j;
            double v[8];
            CHECK(sscanf(line + 7, "%lld %lld %lf %lf %lf %lf %lf %lf %lf %lf", &i, &j, &v[0],
                         &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 10);
            /* pyFAI's corner order: (i, j), (i+1, j), (i+1, j+1), (i, j+1). */
            const int64_t di[4] = {0, 1, 1, 0}, dj[4] = {0, 0, 1, 1};
            for (int c = 0; c < 4; c++) {
                int64_t k = (i + di[c]) * (cols + 1) + (j + dj[c]);
                CHECK_MSG(fabs(q->corner_radial[k] - v[2 * c]) < 2e-6 * max_q,
                          "%s corner %d of (%lld,%lld): q %.12g vs %.12g", name, c, i, j,
                          q->corner_radial[k], v[2 * c]);
                /* Corners on the beam axis have an undefined chi; skip only those. */
                double t[3];
                tsct_geometry_point(&g, (double)(i + di[c]), (double)(j + dj[c]), t);
                double rr = hypot(t[0], t[1]);
                if (rr > 1e-6)
                    CHECK_MSG(chi_diff(q->corner_chi[k], v[2 * c + 1]) < 1e-6 + 4e-8 / rr,
                              "%s corner %d of (%lld,%lld): chi %.12g vs %.12g", name, c, i, j,
                              q->corner_chi[k], v[2 * c + 1]);
            }
        }
    }
    fclose(f);
    tsct_geometry_arrays_destroy(a);
    tsct_geometry_arrays_destroy(q);
    tsct_geometry_arrays_destroy(rmm);
    CHECK(ngeom == 6 && npix == 6 * 48);
    printf("geometry vs pyFAI: %d pixels of %d geometries; worst relative errors: 2theta %.2g, "
           "q %.2g, r %.2g, solid angle %.2g, polarization %.2g\n",
           npix, ngeom, worst[0], worst[2], worst[3], worst[4], worst[5]);
}

static void test_identities(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    /* Untilted detector with the PONI at a pixel centre: 2theta = atan(r / L) exactly, chi of
     * a pixel straight "up" the rows (t1 > 0, t2 = 0) is +pi/2, solid angle cos^3. */
    tsct_poni g = {"Detector", 1e-4, 1e-4, {200, 200}, 3, 0.1, 0.01005, 0.01005, 0, 0, 0, 1e-10};
    tsct_geometry_arrays *a = NULL;
    CHECK_OK(tsct_geometry_compute(&g, 200, 200, TSCT_UNIT_2TH_RAD,
                                   TSCT_GEOM_RADIAL | TSCT_GEOM_CHI | TSCT_GEOM_SOLID_ANGLE, 1,
                                   &a, &err),
             &err);
    if (!a)
        return;
    int64_t c = 100 * 200 + 100;  /* the PONI pixel */
    CHECK_NEAR(a->radial[c], 0.0, 1e-15);
    CHECK_NEAR(a->solid_angle[c], 1.0, 1e-15);
    int64_t up = 150 * 200 + 100;  /* 50 pixels = 5 mm along axis 1 */
    CHECK_NEAR(a->radial[up], atan(5e-3 / 0.1), 1e-14);
    CHECK_NEAR(a->chi[up], M_PI / 2, 1e-14);
    CHECK_NEAR(a->solid_angle[up], pow(0.1 / hypot(0.1, 5e-3), 3), 1e-14);
    int64_t right = 100 * 200 + 180;
    CHECK_NEAR(a->chi[right], 0.0, 1e-14);
    tsct_geometry_arrays_destroy(a);

    /* q = 4 pi sin(theta) / lambda, 1/A vs 1/nm, degrees vs radians. */
    double t[3];
    tsct_geometry_point(&g, 150.5, 100.5, t);
    double tth = atan2(hypot(t[0], t[1]), t[2]);
    CHECK_NEAR(tsct_unit_radial(TSCT_UNIT_Q_A, t[0], t[1], t[2], 1e-10),
               4 * M_PI * sin(tth / 2), 1e-12);
    CHECK_NEAR(tsct_unit_radial(TSCT_UNIT_Q_NM, t[0], t[1], t[2], 1e-10),
               10 * tsct_unit_radial(TSCT_UNIT_Q_A, t[0], t[1], t[2], 1e-10), 1e-11);
    CHECK_NEAR(tsct_unit_radial(TSCT_UNIT_2TH_DEG, t[0], t[1], t[2], 1e-10), tth * 180 / M_PI,
               1e-12);
    /* Rotations preserve the distance to the sample: |t| = |(p1, p2, L)|. */
    tsct_poni r = g;
    r.rot1 = 0.4;
    r.rot2 = -0.7;
    r.rot3 = 2.1;
    double u[3];
    tsct_geometry_point(&r, 37.25, 181.5, u);
    double p1 = 37.25 * 1e-4 - r.poni1, p2 = 181.5 * 1e-4 - r.poni2;
    CHECK_NEAR(sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]), sqrt(p1 * p1 + p2 * p2 + 0.01),
               1e-15);
    /* Polarization: f = 0 is (1 + cos^2)/2; at 2theta = 90 deg, chi = 0, f = 1 it vanishes. */
    CHECK_NEAR(tsct_geometry_polarization(0.7, 1.1, 0.0, 0.0), 0.5 * (1 + pow(cos(0.7), 2)),
               1e-15);
    CHECK_NEAR(tsct_geometry_polarization(M_PI / 2, 0.0, 1.0, 0.0), 0.0, 1e-15);
    CHECK_NEAR(tsct_geometry_polarization(M_PI / 2, M_PI / 2, 1.0, 0.0), 1.0, 1e-15);
}

static void test_units_and_errors(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_unit u;
    const char *names[] = {"q_A^-1", "q_nm^-1", "2th_deg", "2th_rad", "r_mm"};
    for (int i = 0; i < 5; i++) {
        CHECK_OK(tsct_unit_parse(names[i], &u, &err), &err);
        CHECK(u == (tsct_unit)i && strcmp(tsct_unit_name(u), names[i]) == 0);
    }
    CHECK_OK(tsct_unit_parse("q_A-1", &u, &err), &err);
    CHECK(u == TSCT_UNIT_Q_A);
    CHECK_FAILS(tsct_unit_parse("furlongs", &u, &err), TSCT_ERR_VALUE, &err, "q_A^-1");

    tsct_poni g = {"Detector", 1e-4, 1e-4, {10, 10}, 3, 0.1, 0, 0, 0, 0, 0, 0};
    tsct_geometry_arrays *a = NULL;
    CHECK_FAILS(tsct_geometry_compute(&g, 10, 10, TSCT_UNIT_Q_A, TSCT_GEOM_RADIAL, 1, &a, &err),
                TSCT_ERR_VALUE, &err, "wavelength");
    CHECK_OK(tsct_geometry_compute(&g, 10, 10, TSCT_UNIT_2TH_DEG, TSCT_GEOM_RADIAL, 1, &a, &err),
             &err);
    tsct_geometry_arrays_destroy(a);
    g.dist = -1;
    CHECK_FAILS(tsct_geometry_compute(&g, 10, 10, TSCT_UNIT_2TH_DEG, TSCT_GEOM_RADIAL, 1, &a,
                                      &err),
                TSCT_ERR_VALUE, &err, "dist: must be positive");
    g.dist = 0.1;
    g.rot2 = NAN;
    CHECK_FAILS(tsct_geometry_compute(&g, 10, 10, TSCT_UNIT_2TH_DEG, TSCT_GEOM_RADIAL, 1, &a,
                                      &err),
                TSCT_ERR_VALUE, &err, "rot2");
    g.rot2 = 0;
    g.orientation = 1;
    CHECK_FAILS(tsct_geometry_compute(&g, 10, 10, TSCT_UNIT_2TH_DEG, TSCT_GEOM_RADIAL, 1, &a,
                                      &err),
                TSCT_ERR_UNSUPPORTED, &err, "orientation 1");
    g.orientation = 3;
    CHECK_FAILS(tsct_geometry_compute(&g, 0, 10, TSCT_UNIT_2TH_DEG, TSCT_GEOM_RADIAL, 1, &a,
                                      &err),
                TSCT_ERR_SHAPE, &err, "0 x 10");
    CHECK(a == NULL);
    tsct_geometry_arrays_destroy(NULL);
}

int main(void)
{
    test_reference();
    test_identities();
    test_units_and_errors();
    return tsct_test_finish("test_geometry");
}
