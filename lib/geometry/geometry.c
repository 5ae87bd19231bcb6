/* geometry.c - per-pixel 2theta, q, chi, solid angle and polarization of a flat detector in
 * pyFAI's PONI convention (see include/tsct/geometry.h for the formulas).
 *
 * The rotation is pyFAI's Geometry.rotation_matrix(): R = R3(rot3) . R2(rot2) . R1(rot1) with
 *   R1 = [[1, 0, 0], [0, c1, s1], [0, -s1, c1]]       (left-handed about axis 1)
 *   R2 = [[c2, 0, -s2], [0, 1, 0], [s2, 0, c2]]       (left-handed about axis 2)
 *   R3 = [[c3, -s3, 0], [s3, c3, 0], [0, 0, 1]]       (right-handed about the beam)
 * applied to (p1, p2, L); the first two rows give t1 (vertical), t2 (horizontal), the third
 * t3 (along the beam). Reference: pyFAI geometry.py, calc_pos_zyx and units.py (eq_q, eq_r).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/geometry.h"
#include "tsct/threads.h"

static const struct {
    const char *name;
    const char *label;
} unit_names[TSCT_UNIT_COUNT_] = {
    [TSCT_UNIT_Q_A] = {"q_A^-1", "q (1/A)"},
    [TSCT_UNIT_Q_NM] = {"q_nm^-1", "q (1/nm)"},
    [TSCT_UNIT_2TH_DEG] = {"2th_deg", "2theta (deg)"},
    [TSCT_UNIT_2TH_RAD] = {"2th_rad", "2theta (rad)"},
    [TSCT_UNIT_R_MM] = {"r_mm", "r (mm)"},
};

tsct_status tsct_unit_parse(const char *name, tsct_unit *unit, tsct_error *err)
{
    for (int u = 0; u < TSCT_UNIT_COUNT_; u++)
        if (name && strcmp(name, unit_names[u].name) == 0) {
            *unit = (tsct_unit)u;
            return TSCT_OK;
        }
    if (name && strcmp(name, "q_A-1") == 0) {
        *unit = TSCT_UNIT_Q_A;
        return TSCT_OK;
    }
    if (name && strcmp(name, "q_nm-1") == 0) {
        *unit = TSCT_UNIT_Q_NM;
        return TSCT_OK;
    }
    return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "unit", -1,
                          "unknown unit \"%s\": expected q_A^-1, q_nm^-1, 2th_deg, 2th_rad or "
                          "r_mm",
                          name ? name : "");
}

const char *tsct_unit_name(tsct_unit unit)
{
    return (unsigned)unit < TSCT_UNIT_COUNT_ ? unit_names[unit].name : "?";
}

const char *tsct_unit_label(tsct_unit unit)
{
    return (unsigned)unit < TSCT_UNIT_COUNT_ ? unit_names[unit].label : "?";
}

double tsct_unit_radial(tsct_unit unit, double t1, double t2, double t3, double wavelength)
{
    double r = sqrt(t1 * t1 + t2 * t2);
    double tth = atan2(r, t3);
    switch (unit) {
    case TSCT_UNIT_Q_A: return 4.0e-10 * M_PI * sin(tth / 2.0) / wavelength;
    case TSCT_UNIT_Q_NM: return 4.0e-9 * M_PI * sin(tth / 2.0) / wavelength;
    case TSCT_UNIT_2TH_DEG: return tth * (180.0 / M_PI);
    case TSCT_UNIT_2TH_RAD: return tth;
    case TSCT_UNIT_R_MM: return r * 1000.0;
    case TSCT_UNIT_COUNT_: break;
    }
    return NAN;
}

tsct_status tsct_geometry_check(const tsct_poni *g, int need_wavelength, tsct_error *err)
{
    const struct {
        const char *name;
        double v;
        int positive;
    } keys[] = {
        {"dist", g->dist, 1},     {"poni1", g->poni1, 0},   {"poni2", g->poni2, 0},
        {"rot1", g->rot1, 0},     {"rot2", g->rot2, 0},     {"rot3", g->rot3, 0},
        {"pixel1", g->pixel1, 1}, {"pixel2", g->pixel2, 1},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (!isfinite(keys[i].v))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, keys[i].name, -1,
                                  "geometry value is not a finite number");
        if (keys[i].positive && !(keys[i].v > 0))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, keys[i].name, -1,
                                  "must be positive, got %g", keys[i].v);
    }
    if (need_wavelength && !(isfinite(g->wavelength) && g->wavelength > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "wavelength", -1,
                              "a positive wavelength is needed for q, got %g", g->wavelength);
    if (g->orientation != 3 && g->orientation != 0)
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "orientation", -1,
                              "detector orientation %d: only 3 (pyFAI's default) is supported",
                              g->orientation);
    return TSCT_OK;
}

struct rotation {
    double m[3][3];
};

static struct rotation rotation_of(const tsct_poni *g)
{
    double c1 = cos(g->rot1), s1 = sin(g->rot1);
    double c2 = cos(g->rot2), s2 = sin(g->rot2);
    double c3 = cos(g->rot3), s3 = sin(g->rot3);
    /* R3 . R2 . R1 multiplied out. */
    struct rotation r = {{
        {c2 * c3, c3 * s1 * s2 - c1 * s3, -(c1 * c3 * s2 + s1 * s3)},
        {c2 * s3, c1 * c3 + s1 * s2 * s3, c3 * s1 - c1 * s2 * s3},
        {s2, -c2 * s1, c1 * c2},
    }};
    return r;
}

static inline void rotate(const struct rotation *r, double p1, double p2, double p3, double t[3])
{
    for (int k = 0; k < 3; k++)
        t[k] = r->m[k][0] * p1 + r->m[k][1] * p2 + r->m[k][2] * p3;
}

void tsct_geometry_point(const tsct_poni *g, double d1, double d2, double t[3])
{
    struct rotation r = rotation_of(g);
    rotate(&r, d1 * g->pixel1 - g->poni1, d2 * g->pixel2 - g->poni2, g->dist, t);
}

int tsct_geometry_pixel_of(const tsct_poni *g, double tth, double chi, double *d1, double *d2)
{
    struct rotation r = rotation_of(g);
    const double st = sin(tth);
    const double t[3] = {st * sin(chi), st * cos(chi), cos(tth)};
    /* p = R^T t, scaled so that its third component is the distance (R is orthonormal). */
    double p[3];
    for (int k = 0; k < 3; k++)
        p[k] = r.m[0][k] * t[0] + r.m[1][k] * t[1] + r.m[2][k] * t[2];
    if (!(p[2] > 0)) {
        *d1 = *d2 = NAN;
        return 0;
    }
    const double s = g->dist / p[2];
    *d1 = (s * p[0] + g->poni1) / g->pixel1;
    *d2 = (s * p[1] + g->poni2) / g->pixel2;
    return 1;
}

void tsct_geometry_tth_points(const tsct_poni *g, int64_t n, const double *d1, const double *d2,
                              double *tth)
{
    const struct rotation r = rotation_of(g);
    for (int64_t i = 0; i < n; i++) {
        double t[3];
        rotate(&r, d1[i] * g->pixel1 - g->poni1, d2[i] * g->pixel2 - g->poni2, g->dist, t);
        tth[i] = atan2(sqrt(t[0] * t[0] + t[1] * t[1]), t[2]);
    }
}

static void matmul3(const double a[3][3], const double b[3][3], double c[3][3])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            c[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
}

void tsct_geometry_tth_gradient(const tsct_poni *g, int64_t n, const double *d1,
                                const double *d2, double *tth, double *grad)
{
    const double c1 = cos(g->rot1), s1 = sin(g->rot1);
    const double c2 = cos(g->rot2), s2 = sin(g->rot2);
    const double c3 = cos(g->rot3), s3 = sin(g->rot3);
    /* pyFAI's factors (see rotation_of) and their derivatives. */
    const double R1[3][3] = {{1, 0, 0}, {0, c1, s1}, {0, -s1, c1}};
    const double R2[3][3] = {{c2, 0, -s2}, {0, 1, 0}, {s2, 0, c2}};
    const double R3[3][3] = {{c3, -s3, 0}, {s3, c3, 0}, {0, 0, 1}};
    const double D1[3][3] = {{0, 0, 0}, {0, -s1, c1}, {0, -c1, -s1}};
    const double D2[3][3] = {{-s2, 0, -c2}, {0, 0, 0}, {c2, 0, -s2}};
    const double D3[3][3] = {{-s3, -c3, 0}, {c3, -s3, 0}, {0, 0, 0}};
    double R32[3][3], R[3][3], dR1[3][3], dR2[3][3], dR3[3][3], tmp[3][3];
    matmul3(R3, R2, R32);
    matmul3(R32, R1, R);
    matmul3(R32, D1, dR1);
    matmul3(R3, D2, tmp);
    matmul3(tmp, R1, dR2);
    matmul3(D3, R2, tmp);
    matmul3(tmp, R1, dR3);
    for (int64_t i = 0; i < n; i++) {
        const double p[3] = {d1[i] * g->pixel1 - g->poni1, d2[i] * g->pixel2 - g->poni2, g->dist};
        double t[3];
        for (int k = 0; k < 3; k++)
            t[k] = R[k][0] * p[0] + R[k][1] * p[1] + R[k][2] * p[2];
        const double rho2 = t[0] * t[0] + t[1] * t[1], rho = sqrt(rho2);
        const double den = rho2 + t[2] * t[2];
        tth[i] = atan2(rho, t[2]);
        /* d(2theta)/dt; at rho = 0 (the beam itself) the direction is undefined: 0. */
        double gt[3] = {0, 0, -rho / den};
        if (rho > 0)
            gt[0] = t[2] * t[0] / (rho * den), gt[1] = t[2] * t[1] / (rho * den);
        double *gr = grad + i * 6;
        /* dt/ddist = R[:,2], dt/dponi1 = -R[:,0], dt/dponi2 = -R[:,1], dt/drot = dR p. */
        gr[0] = gt[0] * R[0][2] + gt[1] * R[1][2] + gt[2] * R[2][2];
        gr[1] = -(gt[0] * R[0][0] + gt[1] * R[1][0] + gt[2] * R[2][0]);
        gr[2] = -(gt[0] * R[0][1] + gt[1] * R[1][1] + gt[2] * R[2][1]);
        const double (*dR[3])[3] = {dR1, dR2, dR3};
        for (int r = 0; r < 3; r++) {
            double v = 0;
            for (int k = 0; k < 3; k++)
                v += gt[k] * (dR[r][k][0] * p[0] + dR[r][k][1] * p[1] + dR[r][k][2] * p[2]);
            gr[3 + r] = v;
        }
    }
}

double tsct_geometry_polarization(double tth, double chi, double factor, double axis_offset)
{
    double c = cos(tth);
    double c2 = c * c;
    return 0.5 * (1.0 + c2 - factor * cos(2.0 * (chi + axis_offset)) * (1.0 - c2));
}

/* pyFAI 0.21 Detector.calc_cartesian_positions on float32 indices, minus the PONI, all in
 * float32 (numpy 1.x casts the Python scalars to the array's float32). */
static double pyfai_f32_position(int64_t i, double pixel, double poni)
{
    float p = (float)pixel * (float)((double)i + 0.5);
    return (double)(p - (float)poni);
}

void tsct_geometry_arrays_destroy(tsct_geometry_arrays *a)
{
    if (!a)
        return;
    free(a->radial);
    free(a->chi);
    free(a->tth);
    free(a->solid_angle);
    free(a->corner_radial);
    free(a->corner_chi);
    free(a);
}

static double *alloc_if(unsigned what, unsigned bit, int64_t n, int *fail)
{
    if (!(what & bit))
        return NULL;
    double *p = malloc((size_t)n * sizeof *p);
    if (!p)
        *fail = 1;
    return p;
}

tsct_status tsct_geometry_compute(const tsct_poni *g, int64_t rows, int64_t cols, tsct_unit unit,
                                  unsigned what, int nthreads, tsct_geometry_arrays **out,
                                  tsct_error *err)
{
    *out = NULL;
    int need_wl = (what & (TSCT_GEOM_RADIAL | TSCT_GEOM_CORNERS)) &&
                  (unit == TSCT_UNIT_Q_A || unit == TSCT_UNIT_Q_NM);
    TSCT_TRY(tsct_geometry_check(g, need_wl, err));
    if ((unsigned)unit >= TSCT_UNIT_COUNT_)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "unit", -1, "unknown unit %d",
                              (int)unit);
    /* 2^40 pixels is far beyond any detector and keeps (rows + 1) * (cols + 1) * 8 in range. */
    if (rows < 1 || cols < 1 || rows > (1 << 20) || cols > (1 << 20))
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "detector", -1,
                              "shape %lld x %lld: expected 1 .. 2^20 pixels per side",
                              (long long)rows, (long long)cols);
    tsct_geometry_arrays *a = calloc(1, sizeof *a);
    if (!a)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "geometry", -1, "arrays");
    a->rows = rows;
    a->cols = cols;
    a->unit = unit;
    int64_t n = rows * cols, nc = (rows + 1) * (cols + 1);
    int fail = 0;
    a->radial = alloc_if(what, TSCT_GEOM_RADIAL, n, &fail);
    a->chi = alloc_if(what, TSCT_GEOM_CHI, n, &fail);
    a->tth = alloc_if(what, TSCT_GEOM_TTH, n, &fail);
    a->solid_angle = alloc_if(what, TSCT_GEOM_SOLID_ANGLE, n, &fail);
    a->corner_radial = alloc_if(what, TSCT_GEOM_CORNERS, nc, &fail);
    a->corner_chi = alloc_if(what, TSCT_GEOM_CORNERS, nc, &fail);
    if (fail) {
        tsct_geometry_arrays_destroy(a);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "geometry", -1,
                              "arrays for %lld x %lld pixels", (long long)rows,
                              (long long)cols);
    }
    const struct rotation r = rotation_of(g);
    const double L = g->dist, wl = g->wavelength;
    const int f32 = (what & TSCT_GEOM_PYFAI_F32) != 0;
    int nt = tsct_threads_resolve(nthreads);
    (void)nt;

#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t i = 0; i < rows; i++) {
        double p1 = f32 ? pyfai_f32_position(i, g->pixel1, g->poni1)
                    : (i + 0.5) * g->pixel1 - g->poni1;
        for (int64_t j = 0; j < cols; j++) {
            double p2 = f32 ? pyfai_f32_position(j, g->pixel2, g->poni2)
                            : (j + 0.5) * g->pixel2 - g->poni2;
            double t[3];
            rotate(&r, p1, p2, L, t);
            int64_t k = i * cols + j;
            if (a->radial)
                a->radial[k] = tsct_unit_radial(unit, t[0], t[1], t[2], wl);
            if (a->chi)
                a->chi[k] = atan2(t[0], t[1]);
            if (a->tth)
                a->tth[k] = atan2(sqrt(t[0] * t[0] + t[1] * t[1]), t[2]);
            if (a->solid_angle) {
                double cosa = L / sqrt(L * L + p1 * p1 + p2 * p2);
                a->solid_angle[k] = cosa * cosa * cosa;
            }
        }
    }
    if (what & TSCT_GEOM_CORNERS) {
#pragma omp parallel for schedule(static) num_threads(nt)
        for (int64_t i = 0; i <= rows; i++) {
            double p1 = i * g->pixel1 - g->poni1;
            for (int64_t j = 0; j <= cols; j++) {
                double t[3];
                rotate(&r, p1, j * g->pixel2 - g->poni2, L, t);
                int64_t k = i * (cols + 1) + j;
                a->corner_radial[k] = tsct_unit_radial(unit, t[0], t[1], t[2], wl);
                a->corner_chi[k] = atan2(t[0], t[1]);
            }
        }
    }
    *out = a;
    return TSCT_OK;
}
