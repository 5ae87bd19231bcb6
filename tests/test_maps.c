/* test_maps.c - map plans (exact on lines and known peaks), thresholds against numpy and
 * scikit-image, morphology and components against scikit-image, distances against scipy,
 * circles, region sums, distance shells, bad definitions, half-height feature masks (exact
 * on a blurred step) and grouped unmixing plans (group weights = sums of the ungrouped
 * fit's weights). */
#include <math.h>

#include "tsct/maps.h"
#include "tsct_test.h"

#define NY 48
#define NX 40

static void *load(const char *name, size_t bytes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/maps_reference/%s", TSCT_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    void *b = calloc(1, bytes);
    size_t got = f ? fread(b, 1, bytes, f) : 0;
    if (f)
        fclose(f);
    CHECK_MSG(got == bytes, "%s: %zu of %zu bytes", path, got, bytes);
    return b;
}

static double value_of(const char *key, double arg)
{
    char path[4096], line[256];
    snprintf(path, sizeof path, "%s/maps_reference/values.txt", TSCT_TEST_DATA);
    FILE *f = fopen(path, "r");
    double v = NAN;
    while (f && fgets(line, sizeof line, f)) {
        char k[64];
        double a, b;
        int n = sscanf(line, "%63s %lf %lf", k, &a, &b);
        if (strcmp(k, key) != 0)
            continue;
        if (n == 2 && isnan(arg))
            v = a;
        else if (n == 3 && a == arg)
            v = b;
    }
    if (f)
        fclose(f);
    return v;
}

static void test_plans(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    double x[201];
    for (int j = 0; j <= 200; j++)
        x[j] = 1.0 + 0.01 * j;  /* 1 .. 3 */
    float pat[3][201];
    for (int j = 0; j <= 200; j++) {
        pat[0][j] = (float)(2.0 + 3.0 * x[j]);                           /* a line */
        pat[1][j] = (float)(2.0 + 3.0 * x[j] + 5.0 * exp(-0.5 * pow((x[j] - 2.0) / 0.05, 2)));
        pat[2][j] = (float)(x[j] * x[j]);
    }
    tsct_maps_plan *p = NULL;
    float out[3];
    /* A straight line has no area above the line through the window edges. */
    tsct_maps_def w = {"peak", TSCT_MAPS_WINDOW, 1.7, 2.3, 1};
    CHECK_OK(tsct_maps_plan_create(&w, x, 201, &p, &err), &err);
    tsct_maps_plan_apply(p, &pat[0][0], 3, 201, 1, out);
    CHECK_NEAR(out[0], 0.0, 1e-5);
    /* The Gaussian's area 5 * 0.05 * sqrt(2 pi), within the trapezoid and tail errors. */
    CHECK_NEAR(out[1], 5 * 0.05 * sqrt(2 * M_PI), 2e-4);
    CHECK(strstr(tsct_maps_plan_describe(p), "minus the linear background") != NULL);
    tsct_maps_plan_destroy(p);
    /* Without background: the trapezoid integral of x^2 over [1.7, 2.3], exact to O(h^2). */
    w.background = 0;
    CHECK_OK(tsct_maps_plan_create(&w, x, 201, &p, &err), &err);
    tsct_maps_plan_apply(p, &pat[0][0], 3, 201, 2, out);
    CHECK_NEAR(out[2], (pow(2.3, 3) - pow(1.7, 3)) / 3, 1e-4);
    CHECK_NEAR(out[0], 2 * 0.6 + 1.5 * (2.3 * 2.3 - 1.7 * 1.7), 1e-4);
    tsct_maps_plan_destroy(p);
    /* Value at a point (linear interpolation) and mean over a range. */
    tsct_maps_def v = {"g", TSCT_MAPS_VALUE, 2.345, 0, 0};
    CHECK_OK(tsct_maps_plan_create(&v, x, 201, &p, &err), &err);
    tsct_maps_plan_apply(p, &pat[0][0], 3, 201, 1, out);
    CHECK_NEAR(out[0], 2 + 3 * 2.345, 1e-5);
    tsct_maps_plan_destroy(p);
    v.hi = 0.123;
    CHECK_OK(tsct_maps_plan_create(&v, x, 201, &p, &err), &err);
    tsct_maps_plan_apply(p, &pat[0][0], 3, 201, 1, out);
    CHECK_NEAR(out[0], 2 + 3 * 2.345, 1e-5);  /* mean of a line = its middle value */
    double lo = 2.345 - 0.123, hi = 2.345 + 0.123;
    CHECK_NEAR(out[2], (pow(hi, 3) - pow(lo, 3)) / 3 / (hi - lo), 1e-4);
    tsct_maps_plan_destroy(p);
    tsct_maps_def t = {"total", TSCT_MAPS_TOTAL, 0, 0, 0};
    CHECK_OK(tsct_maps_plan_create(&t, x, 201, &p, &err), &err);
    tsct_maps_plan_apply(p, &pat[0][0], 3, 201, 1, out);
    double sum = 0;
    for (int j = 0; j <= 200; j++)
        sum += pat[0][j];
    CHECK_NEAR(out[0], sum, 1e-3);
    tsct_maps_plan_destroy(p);
    /* NaN in a used bin propagates. */
    pat[0][100] = NAN;
    CHECK_OK(tsct_maps_plan_create(&w, x, 201, &p, &err), &err);
    tsct_maps_plan_apply(p, &pat[0][0], 1, 201, 1, out);
    CHECK(isnan(out[0]));
    tsct_maps_plan_destroy(p);
    /* Bad definitions. */
    tsct_maps_def bad = {"LiBi", TSCT_MAPS_WINDOW, 3.5, 3.6, 1};
    CHECK_FAILS(tsct_maps_plan_create(&bad, x, 201, &p, &err), TSCT_ERR_VALUE, &err,
                "LiBi: window 3.5..3.6 holds 0 bins of the axis 1..3");
    bad.lo = 2.5, bad.hi = 2.4;
    CHECK_FAILS(tsct_maps_plan_create(&bad, x, 201, &p, &err), TSCT_ERR_VALUE, &err, "empty");
    tsct_maps_def far = {"Li3Bi", TSCT_MAPS_VALUE, 4.8, 0.1, 0};
    CHECK_FAILS(tsct_maps_plan_create(&far, x, 201, &p, &err), TSCT_ERR_VALUE, &err,
                "outside the axis");
    x[5] = x[4];
    CHECK_FAILS(tsct_maps_plan_create(&t, x, 201, &p, &err), TSCT_ERR_VALUE, &err, "increase");
}

static int count_diff(const uint8_t *a, const uint8_t *b, int64_t n)
{
    int d = 0;
    for (int64_t k = 0; k < n; k++)
        d += (a[k] != 0) != (b[k] != 0);
    return d;
}

static void test_against_peers(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const int64_t n = NY * NX;
    float *img = load("image.f32", n * sizeof(float));
    uint8_t *ref_mask = load("mask.u8", n);
    /* numpy percentiles (linear) and skimage's Otsu, to float rounding of the inputs. */
    double ps[5] = {0, 10, 50, 99.5, 100};
    for (int i = 0; i < 5; i++)
        CHECK_NEAR(tsct_maps_percentile(img, n, ps[i]), value_of("percentile", ps[i]), 1e-6);
    double otsu = tsct_maps_otsu(img, n, 256);
    CHECK_NEAR(otsu, value_of("otsu", NAN), 1e-6);
    uint8_t *mask = malloc(n);
    tsct_maps_threshold(img, n, otsu, mask);
    CHECK(count_diff(mask, ref_mask, n) == 0);
    /* Morphology with disk footprints and skimage's border rules, exactly. */
    const struct {
        const char *file;
        int op, r;
    } ops[] = {{"mask_erode1.u8", 0, 1}, {"mask_dilate3.u8", 1, 3}, {"mask_open2.u8", 2, 2},
               {"mask_close2.u8", 3, 2}};
    uint8_t *work = malloc(n);
    for (int i = 0; i < 4; i++) {
        memcpy(work, ref_mask, n);
        tsct_status st = ops[i].op == 0   ? tsct_maps_erode(work, NY, NX, ops[i].r, &err)
                         : ops[i].op == 1 ? tsct_maps_dilate(work, NY, NX, ops[i].r, &err)
                         : ops[i].op == 2 ? tsct_maps_open(work, NY, NX, ops[i].r, &err)
                                          : tsct_maps_close(work, NY, NX, ops[i].r, &err);
        CHECK(st == TSCT_OK);
        uint8_t *want = load(ops[i].file, n);
        CHECK_MSG(count_diff(work, want, n) == 0, "%s: %d pixels differ", ops[i].file,
                  count_diff(work, want, n));
        free(want);
    }
    /* Components and small-object removal (skimage connectivity 1 = 4, 2 = 8). */
    int32_t *lab = malloc(n * sizeof *lab);
    CHECK(tsct_maps_label(ref_mask, NY, NX, 4, lab) == (int64_t)value_of("labels4", NAN));
    CHECK(tsct_maps_label(ref_mask, NY, NX, 8, lab) == (int64_t)value_of("labels8", NAN));
    for (int c = 4; c <= 8; c += 4) {
        memcpy(work, ref_mask, n);
        tsct_maps_remove_small(work, NY, NX, 20, c);
        uint8_t *want = load(c == 4 ? "mask_small20c1.u8" : "mask_small20c2.u8", n);
        CHECK(count_diff(work, want, n) == 0);
        free(want);
    }
    /* Distances: scipy's distance_transform_edt, exactly (to float). */
    float *edt = load("edt.f32", n * sizeof(float));
    float *d = malloc(n * sizeof *d);
    CHECK_OK(tsct_maps_distance(ref_mask, NY, NX, d, &err), &err);
    int bad = 0;
    for (int64_t k = 0; k < n; k++)
        bad += fabsf(d[k] - edt[k]) > 1e-5f;
    CHECK_MSG(bad == 0, "%d distances differ from scipy", bad);
    free(img);
    free(ref_mask);
    free(mask);
    free(work);
    free(lab);
    free(edt);
    free(d);
}

static void test_regions(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    uint8_t m[21 * 21];
    /* Radius 5 around the axis pixel (10, 10): 81 lattice points (Gauss circle, r = 5). */
    CHECK(tsct_maps_circle(m, 21, 21, 0, 0, 5) == 81);
    CHECK(m[10 * 21 + 10] && m[10 * 21 + 15] && !m[10 * 21 + 16]);
    CHECK(tsct_maps_circle(m, 21, 21, 3, -2, 2) == 13);
    CHECK(m[8 * 21 + 13]);
    /* Region sums skip voxels with a NaN. */
    float pat[4][3] = {{1, 2, 3}, {10, 20, 30}, {NAN, 1, 1}, {100, 200, 300}};
    uint8_t sel[4] = {1, 1, 1, 0};
    double sum[3], mean[3];
    CHECK(tsct_maps_region_sum(&pat[0][0], sel, 4, 3, sum, mean) == 2);
    CHECK_NEAR(sum[2], 33, 1e-12);
    CHECK_NEAR(mean[0], 5.5, 1e-12);
    uint8_t none[4] = {0};
    CHECK(tsct_maps_region_sum(&pat[0][0], none, 4, 3, sum, NULL) == 0 && sum[1] == 0);
    /* A square particle: shells by distance from its surface. */
    uint8_t sq[12 * 12] = {0};
    for (int i = 2; i < 10; i++)
        for (int k = 2; k < 10; k++)
            sq[i * 12 + k] = 1;
    float dist[144], val[144];
    CHECK_OK(tsct_maps_distance(sq, 12, 12, dist, &err), &err);
    CHECK_NEAR(dist[2 * 12 + 5], 1.0, 1e-6);   /* edge pixel */
    CHECK_NEAR(dist[5 * 12 + 5], 4.0, 1e-6);   /* centre-most ring */
    for (int k = 0; k < 144; k++)
        val[k] = dist[k] > 0 ? 10.0f + dist[k] : NAN;
    double sm[6];
    int64_t cnt[6];
    tsct_maps_by_distance(val, dist, 144, 6, sm, cnt);
    CHECK(cnt[1] == 28 && cnt[2] == 20 && cnt[3] == 12 && cnt[4] == 4 && cnt[0] == 0);
    CHECK_NEAR(sm[1], 11.0, 1e-9);
    CHECK(isnan(sm[5]));
    float a[3] = {1, NAN, 3}, b[3] = {0.5f, 1, 5}, dd[3];
    tsct_maps_difference(a, b, 3, dd);
    CHECK(dd[0] == 0.5f && isnan(dd[1]) && dd[2] == -2.0f);
    uint8_t all1[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    float inf9[9];
    CHECK_OK(tsct_maps_distance(all1, 3, 3, inf9, &err), &err);
    CHECK(isinf(inf9[4]));
    CHECK_FAILS(tsct_maps_open(sq, 12, 12, -1, &err), TSCT_ERR_VALUE, &err, "radius");
    float nanv[3] = {NAN, NAN, NAN};
    CHECK(isnan(tsct_maps_otsu(nanv, 3, 256)) && isnan(tsct_maps_percentile(nanv, 3, 50)));
    float same[3] = {2, 2, 2};
    CHECK(tsct_maps_otsu(same, 3, 256) == 2.0);
}

/* A feature whose plateau is just above the level keeps its blurred rim; a plain threshold
 * (r = 0) loses it. One row: background 0, a rim at half the plateau, plateau 0.3. */
static void test_half_max(void)
{
    const float v[1][9] = {{0, 0, 0.15f, 0.3f, 0.3f, 0.3f, 0.14f, 0, NAN}};
    uint8_t m[9];
    CHECK(tsct_maps_half_max_mask(&v[0][0], 1, 9, 1, 0.25, m) == 4);
    CHECK(!m[1] && m[2] && m[3] && m[5] && !m[6] && !m[8]); /* 0.14 < 0.3 / 2 */
    CHECK(tsct_maps_half_max_mask(&v[0][0], 1, 9, 0, 0.25, m) == 3);
    CHECK(!m[2] && m[3]);
    /* A plateau below the level gives nothing, its rim included. */
    CHECK(tsct_maps_half_max_mask(&v[0][0], 1, 9, 1, 0.31, m) == 0);
    /* Windows clip at the image border (2 x 2 image, r = 3). */
    const float w[4] = {1, 0.6f, 0.4f, NAN};
    CHECK(tsct_maps_half_max_mask(w, 2, 2, 3, 0.5, m) == 2 && m[0] && m[1] && !m[2] && !m[3]);
}

/* Three columns, the first two one component's variants: the group weight is the sum of the
 * ungrouped fit's two weights, the background follows, the residual is the same; bad groups
 * are refused by index. */
static void test_unmix_groups(void)
{
    enum { NQ = 64 };
    float comp[3][NQ], y[NQ];
    double q[NQ];
    for (int i = 0; i < NQ; i++) {
        q[i] = 1 + 0.05 * i;
        comp[0][i] = (float)exp(-0.5 * pow((i - 20) / 2.0, 2));
        comp[1][i] = (float)exp(-0.5 * pow((i - 23) / 2.0, 2)); /* the peak, shifted */
        comp[2][i] = (float)exp(-0.5 * pow((i - 45) / 6.0, 2));
        y[i] = 0.3f * comp[0][i] + 0.9f * comp[1][i] + 0.5f * comp[2][i] + 0.1f;
    }
    tsct_error err = TSCT_ERROR_INIT;
    tsct_maps_unmix_plan *flat = NULL, *grouped = NULL;
    const int group[3] = {0, 0, 1};
    CHECK_OK(tsct_maps_unmix_plan_create(&comp[0][0], 3, NQ, q, 1, &flat, &err), &err);
    CHECK_OK(
        tsct_maps_unmix_plan_create_grouped(&comp[0][0], 3, group, 2, NQ, q, 1, &grouped, &err),
        &err);
    CHECK(tsct_maps_unmix_plan_columns(flat) == 4 && tsct_maps_unmix_plan_columns(grouped) == 3);
    double work[64], wf[4], wg[3], rf, rg;
    CHECK(tsct_maps_unmix_plan_work_size(grouped) <= 64);
    tsct_maps_unmix_execute(flat, y, wf, &rf, work);
    tsct_maps_unmix_execute(grouped, y, wg, &rg, work);
    CHECK_NEAR(wf[0], 0.3, 1e-5);
    CHECK_NEAR(wg[0], wf[0] + wf[1], 1e-12);
    CHECK_NEAR(wg[0], 1.2, 1e-5);
    CHECK_NEAR(wg[1], 0.5, 1e-5);
    CHECK_NEAR(wg[2], 0.1, 1e-5);
    CHECK_NEAR(rg, rf, 1e-12);
    const int bad[3] = {0, 2, 1}, gap[3] = {0, 0, 2};
    tsct_maps_unmix_plan *p = NULL;
    CHECK_FAILS(tsct_maps_unmix_plan_create_grouped(&comp[0][0], 3, bad, 2, NQ, q, 1, &p, &err),
                TSCT_ERR_VALUE, &err, "group 2");
    CHECK_FAILS(tsct_maps_unmix_plan_create_grouped(&comp[0][0], 3, gap, 3, NQ, q, 1, &p, &err),
                TSCT_ERR_VALUE, &err, "group 1 has no column");
    float twin[2][NQ];
    memcpy(twin[0], comp[0], sizeof twin[0]);
    memcpy(twin[1], comp[0], sizeof twin[1]);
    const int one[2] = {0, 0};
    CHECK_FAILS(tsct_maps_unmix_plan_create_grouped(&twin[0][0], 2, one, 1, NQ, q, 1, &p, &err),
                TSCT_ERR_VALUE, &err, "a variant of component 0");
    tsct_maps_unmix_plan_destroy(flat);
    tsct_maps_unmix_plan_destroy(grouped);
}

int main(void)
{
    test_plans();
    test_against_peers();
    test_regions();
    test_half_max();
    test_unmix_groups();
    return tsct_test_finish("test_maps");
}
