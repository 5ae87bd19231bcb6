/* test_fbp.c - filtered back projection against skimage.transform.iradon (reference files made
 * by tests/data/tomo_reference/make_reference.py), channel by channel, for every filter, odd
 * and even ns, 180 and 360 degree non-uniform angles, with and without the circle; the filter
 * responses; the absence of a DC bias; channel blocks, strides and thread counts; bad input. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tomo_test_util.h"
#include "tsct/tomo.h"
#include "tsct_test.h"

/* Agreement required with iradon, RMS over the image / max |iradon| per channel: the brief's
 * 1e-3, and the float32 rounding level actually expected (checked separately so a regression
 * from "exact" to "close" shows). */
#define FBP_TOL_BRIEF 1e-3
#define FBP_TOL_EXACT 1e-6

static double worst_seen = 0.0;

/* Run a plan on sino and compare every channel with ref. */
static void compare_case(const char *label, const tsct_tomo_fbp_params *params, int64_t na,
                         int64_t ns, int64_t nc, const double *theta, const float *sino,
                         const float *ref, int64_t n)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_tomo_fbp_plan *plan = NULL;
    CHECK_OK(tsct_tomo_fbp_plan_create(params, na, ns, theta, &plan, &err), &err);
    if (!plan)
        return;
    CHECK_MSG(tsct_tomo_fbp_plan_output_size(plan) == n, "%s: output size %lld, expected %lld",
              label, (long long)tsct_tomo_fbp_plan_output_size(plan), (long long)n);
    size_t wsz = tsct_tomo_fbp_workspace_size(plan);
    void *work = malloc(wsz);
    float *img = malloc((size_t)(n * n * nc) * sizeof *img);
    CHECK_OK(tsct_tomo_fbp_execute(plan, sino, nc, 0, img, 0, work, wsz, &err), &err);
    for (int64_t c = 0; c < nc; c++) {
        const double rel = tomo_rms_diff(img, ref, n * n, nc, c) / tomo_max_abs(ref, n * n, nc, c);
        if (rel > worst_seen)
            worst_seen = rel;
        CHECK_MSG(rel <= FBP_TOL_BRIEF, "%s channel %lld: RMS / max = %.3g", label,
                  (long long)c, rel);
        CHECK_MSG(rel <= FBP_TOL_EXACT, "%s channel %lld: RMS / max = %.3g", label,
                  (long long)c, rel);
    }
    free(img);
    free(work);
    tsct_tomo_fbp_plan_destroy(plan);
}

static void test_against_iradon(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/manifest.txt", TOMO_REF_DIR);
    FILE *m = fopen(path, "r");
    CHECK_MSG(m != NULL, "cannot open %s", path);
    if (!m)
        return;
    char name[64], filters[256];
    long long ns, na, nc, n;
    int circle, ncases = 0, nruns = 0;
    while (fscanf(m, "%63s %lld %lld %lld %d %lld %255s", name, &ns, &na, &nc, &circle, &n,
                  filters) == 7) {
        ncases++;
        char file[128];
        snprintf(file, sizeof file, "%s_angles.f64", name);
        double *theta = tomo_read(file, sizeof(double), (size_t)na);
        snprintf(file, sizeof file, "%s_sino.f32", name);
        float *sino = tomo_read(file, sizeof(float), (size_t)(na * ns * nc));
        CHECK(theta && sino);
        for (char *f = strtok(filters, ","); f && theta && sino; f = strtok(NULL, ",")) {
            snprintf(file, sizeof file, "%s_fbp_%s.f32", name, f);
            float *ref = tomo_read(file, sizeof(float), (size_t)(n * n * nc));
            CHECK(ref != NULL);
            if (!ref)
                continue;
            tsct_error err = TSCT_ERROR_INIT;
            tsct_tomo_fbp_params p = TSCT_TOMO_FBP_PARAMS_DEFAULT;
            CHECK_OK(tsct_tomo_fbp_filter_parse(f, &p.filter, &err), &err);
            p.circle = circle;
            p.output_size = strcmp(name, "outsize") == 0 ? n : 0;
            char label[256];
            snprintf(label, sizeof label, "%s/%s", name, f);
            compare_case(label, &p, na, ns, nc, theta, sino, ref, n);
            /* Small channel blocks (a partial last block) and one thread give the same. */
            p.channel_block = 2;
            p.nthreads = 1;
            snprintf(label, sizeof label, "%s/%s/block2/1thread", name, f);
            compare_case(label, &p, na, ns, nc, theta, sino, ref, n);
            nruns++;
            free(ref);
        }
        free(theta);
        free(sino);
    }
    fclose(m);
    CHECK_MSG(ncases == 5 && nruns == 17, "read %d cases, %d filter runs", ncases, nruns);
    printf("fbp vs iradon: worst RMS / max over all channels and cases: %.3g\n", worst_seen);
}

/* 70 channels (full 32- and 64-channel vector chunks and a remainder) made of scaled copies
 * of the reference channels, written into every other channel of wider arrays (ld = 2 nc), must
 * reproduce the scaled references. */
static void test_many_channels_strided(void)
{
    const int64_t ns = 65, na = 90, nc0 = 3, nc = 70, n = 65;
    double *theta = tomo_read("odd360_angles.f64", sizeof(double), (size_t)na);
    float *sino0 = tomo_read("odd360_sino.f32", sizeof(float), (size_t)(na * ns * nc0));
    float *ref0 = tomo_read("odd360_fbp_shepp-logan.f32", sizeof(float), (size_t)(n * n * nc0));
    CHECK(theta && sino0 && ref0);
    if (!theta || !sino0 || !ref0)
        goto out;
    float *sino = calloc((size_t)(na * ns * 2 * nc), sizeof *sino);
    float *img = calloc((size_t)(n * n * 2 * nc), sizeof *img);
    for (int64_t i = 0; i < na * ns; i++)
        for (int64_t c = 0; c < nc; c++)
            sino[i * 2 * nc + c] = (float)(1 + c / 3) * sino0[i * nc0 + c % 3];
    for (int64_t i = 0; i < n * n; i++)
        for (int64_t c = nc; c < 2 * nc; c++)
            img[i * 2 * nc + c] = -7.0f; /* must survive */
    tsct_error err = TSCT_ERROR_INIT;
    tsct_tomo_fbp_params p = TSCT_TOMO_FBP_PARAMS_DEFAULT;
    p.filter = TSCT_TOMO_FBP_FILTER_SHEPP_LOGAN;
    tsct_tomo_fbp_plan *plan = NULL;
    CHECK_OK(tsct_tomo_fbp_plan_create(&p, na, ns, theta, &plan, &err), &err);
    size_t wsz = tsct_tomo_fbp_workspace_size(plan);
    void *work = malloc(wsz);
    CHECK_OK(tsct_tomo_fbp_execute(plan, sino, nc, 2 * nc, img, 2 * nc, work, wsz, &err), &err);
    double worst = 0.0;
    int kept = 1;
    for (int64_t c = 0; c < nc; c++) {
        double s = 0.0, mx = 0.0;
        for (int64_t i = 0; i < n * n; i++) {
            const double r = (1 + c / 3) * (double)ref0[i * nc0 + c % 3];
            const double d = img[i * 2 * nc + c] - r;
            s += d * d;
            mx = fmax(mx, fabs(r));
        }
        worst = fmax(worst, sqrt(s / (double)(n * n)) / mx);
    }
    for (int64_t i = 0; i < n * n; i++)
        for (int64_t c = nc; c < 2 * nc; c++)
            kept &= img[i * 2 * nc + c] == -7.0f;
    CHECK_MSG(worst <= FBP_TOL_EXACT, "70 strided channels: worst RMS / max = %.3g", worst);
    CHECK_MSG(kept, "channels beyond nc were modified");
    free(work);
    free(sino);
    free(img);
    tsct_tomo_fbp_plan_destroy(plan);
out:
    free(theta);
    free(sino0);
    free(ref0);
}

static void test_filters(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const int64_t P = 256;
    double H[256];
    for (int f = 0; f < TSCT_TOMO_FBP_FILTER_COUNT_; f++) {
        tsct_tomo_fbp_filter parsed;
        CHECK_OK(tsct_tomo_fbp_filter_parse(tsct_tomo_fbp_filter_name((tsct_tomo_fbp_filter)f),
                                            &parsed, &err),
                 &err);
        CHECK(parsed == (tsct_tomo_fbp_filter)f);
        CHECK_OK(tsct_tomo_fbp_filter_response((tsct_tomo_fbp_filter)f, P, H, &err), &err);
        /* ramp, shepp-logan, cosine and none are even: H[k] = H[P - k] (to rounding). */
        if (f == TSCT_TOMO_FBP_FILTER_RAMP || f == TSCT_TOMO_FBP_FILTER_SHEPP_LOGAN ||
            f == TSCT_TOMO_FBP_FILTER_COSINE || f == TSCT_TOMO_FBP_FILTER_NONE) {
            double asym = 0.0;
            for (int64_t k = 1; k < P; k++)
                asym = fmax(asym, fabs(H[k] - H[P - k]));
            CHECK_MSG(asym <= 1e-12, "filter %s: max |H[k] - H[P-k]| = %g",
                      tsct_tomo_fbp_filter_name((tsct_tomo_fbp_filter)f), asym);
        }
        /* Every window is <= the ramp and >= 0 (ramp windows are in [0, 1]). */
        if (f != TSCT_TOMO_FBP_FILTER_NONE)
            for (int64_t k = 0; k < P; k++)
                CHECK(H[k] >= -1e-12 && H[k] <= 1.0 + 1e-12);
    }
    /* The real-space ramp: H[0] = 2 (1/4 - (2/pi^2) sum_{odd n < P/2} 1/n^2), about
     * 4 / (pi^2 P): small, positive, not the sampled |f| = 0 that biases FBP; H rises like
     * 2 |k| / P and reaches 1 at the Nyquist frequency. */
    CHECK_OK(tsct_tomo_fbp_filter_response(TSCT_TOMO_FBP_FILTER_RAMP, P, H, &err), &err);
    double s = 0.0;
    for (int64_t k = 1; k < P / 2; k += 2)
        s += 1.0 / ((double)k * (double)k);
    CHECK_NEAR(H[0], 2.0 * (0.25 - 2.0 / (M_PI * M_PI) * s), 1e-13);
    CHECK(H[0] > 0.0 && fabs(H[0] - 4.0 / (M_PI * M_PI * P)) < 0.05 * H[0]);
    CHECK_NEAR(H[P / 2], 1.0, 1e-2);
    CHECK_NEAR(H[P / 4], 0.5, 5e-3);
    /* hamming / hann reproduce numpy's windows shifted by fftshift: at k = 0 the window is
     * w[P/2] = 0.54 - 0.46 cos(2 pi (P/2) / (P - 1)). */
    double R[256];
    tsct_tomo_fbp_filter_response(TSCT_TOMO_FBP_FILTER_RAMP, P, R, &err);
    CHECK_OK(tsct_tomo_fbp_filter_response(TSCT_TOMO_FBP_FILTER_HAMMING, P, H, &err), &err);
    CHECK_NEAR(H[0], R[0] * (0.54 - 0.46 * cos(2.0 * M_PI * (P / 2) / (P - 1.0))), 1e-15);
    CHECK_FAILS(tsct_tomo_fbp_filter_response(TSCT_TOMO_FBP_FILTER_RAMP, 7, H, &err),
                TSCT_ERR_SHAPE, &err, "even");
    CHECK_FAILS(tsct_tomo_fbp_filter_parse("butterworth", &(tsct_tomo_fbp_filter){0}, &err),
                TSCT_ERR_VALUE, &err, "butterworth");
}

/* No DC bias: FBP of the exact sinogram of a uniform disk (chord lengths) is 1 inside and 0
 * outside, without the offset a frequency-sampled ramp leaves. */
static void test_no_dc_bias(void)
{
    const int64_t ns = 128, na = 180, n = 128;
    const double rad = 40.0;
    double theta[180];
    float *sino = malloc((size_t)(na * ns) * sizeof *sino);
    for (int64_t a = 0; a < na; a++) {
        theta[a] = 180.0 * (double)a / (double)na;
        for (int64_t s = 0; s < ns; s++) {
            const double t = (double)(s - ns / 2);
            sino[a * ns + s] = (float)(fabs(t) < rad ? 2.0 * sqrt(rad * rad - t * t) : 0.0);
        }
    }
    tsct_error err = TSCT_ERROR_INIT;
    tsct_tomo_fbp_plan *plan = NULL;
    CHECK_OK(tsct_tomo_fbp_plan_create(NULL, na, ns, theta, &plan, &err), &err);
    size_t wsz = tsct_tomo_fbp_workspace_size(plan);
    void *work = malloc(wsz);
    float *img = malloc((size_t)(n * n) * sizeof *img);
    CHECK_OK(tsct_tomo_fbp_execute(plan, sino, 1, 0, img, 0, work, wsz, &err), &err);
    double in = 0.0, out = 0.0;
    int64_t nin = 0, nout = 0;
    for (int64_t r = 0; r < n; r++) {
        for (int64_t c = 0; c < n; c++) {
            const double d = hypot((double)(r - n / 2), (double)(c - n / 2));
            if (d < rad - 4.0)
                in += img[r * n + c], nin++;
            else if (d > rad + 4.0 && d < n / 2 - 4.0)
                out += img[r * n + c], nout++;
        }
    }
    in /= (double)nin;
    out /= (double)nout;
    printf("uniform disk: mean inside %.5f (exact 1), outside %.5f (exact 0)\n", in, out);
    CHECK_NEAR(in, 1.0, 5e-3);
    CHECK_NEAR(out, 0.0, 5e-3);
    free(work);
    free(img);
    free(sino);
    tsct_tomo_fbp_plan_destroy(plan);
}

/* The same plan run concurrently from two threads of the caller (each with its own workspace)
 * and with different team sizes gives identical images. */
static void test_threads_identical(void)
{
    const int64_t ns = 64, na = 45, nc = 3, n = 64;
    double *theta = tomo_read("even180_angles.f64", sizeof(double), (size_t)na);
    float *sino = tomo_read("even180_sino.f32", sizeof(float), (size_t)(na * ns * nc));
    CHECK(theta && sino);
    if (!theta || !sino) {
        free(theta);
        free(sino);
        return;
    }
    float *img[3];
    for (int k = 0; k < 3; k++) {
        tsct_error err = TSCT_ERROR_INIT;
        tsct_tomo_fbp_params p = TSCT_TOMO_FBP_PARAMS_DEFAULT;
        p.nthreads = k + 1;
        tsct_tomo_fbp_plan *plan = NULL;
        CHECK_OK(tsct_tomo_fbp_plan_create(&p, na, ns, theta, &plan, &err), &err);
        size_t wsz = tsct_tomo_fbp_workspace_size(plan);
        void *work = malloc(wsz);
        img[k] = malloc((size_t)(n * n * nc) * sizeof(float));
        CHECK_OK(tsct_tomo_fbp_execute(plan, sino, nc, 0, img[k], 0, work, wsz, &err), &err);
        free(work);
        tsct_tomo_fbp_plan_destroy(plan);
    }
    CHECK(memcmp(img[0], img[1], (size_t)(n * n * nc) * sizeof(float)) == 0);
    CHECK(memcmp(img[0], img[2], (size_t)(n * n * nc) * sizeof(float)) == 0);
    for (int k = 0; k < 3; k++)
        free(img[k]);
    free(theta);
    free(sino);
}

static void test_bad_input(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_tomo_fbp_plan *plan = (tsct_tomo_fbp_plan *)&err; /* must be reset to NULL on failure */
    double theta[4] = {0, 45, 90, 135};
    CHECK_FAILS(tsct_tomo_fbp_plan_create(NULL, 0, 16, theta, &plan, &err), TSCT_ERR_SHAPE, &err,
                "at least 1 projection angle");
    CHECK(plan == NULL);
    CHECK_FAILS(tsct_tomo_fbp_plan_create(NULL, 4, 1, theta, &plan, &err), TSCT_ERR_SHAPE, &err,
                "at least 2 detector positions");
    theta[2] = NAN;
    CHECK_FAILS(tsct_tomo_fbp_plan_create(NULL, 4, 16, theta, &plan, &err), TSCT_ERR_VALUE, &err,
                "angles[2]");
    theta[2] = INFINITY;
    CHECK_FAILS(tsct_tomo_fbp_plan_create(NULL, 4, 16, theta, &plan, &err), TSCT_ERR_VALUE, &err,
                "finite");
    theta[2] = 90;
    CHECK_FAILS(tsct_tomo_fbp_plan_create(NULL, 4, 16, NULL, &plan, &err), TSCT_ERR_VALUE, &err,
                "NULL");
    tsct_tomo_fbp_params p = TSCT_TOMO_FBP_PARAMS_DEFAULT;
    p.filter = (tsct_tomo_fbp_filter)42;
    CHECK_FAILS(tsct_tomo_fbp_plan_create(&p, 4, 16, theta, &plan, &err), TSCT_ERR_VALUE, &err,
                "unknown filter");
    p = (tsct_tomo_fbp_params)TSCT_TOMO_FBP_PARAMS_DEFAULT;
    p.output_size = -3;
    CHECK_FAILS(tsct_tomo_fbp_plan_create(&p, 4, 16, theta, &plan, &err), TSCT_ERR_VALUE, &err,
                "output_size");

    CHECK_OK(tsct_tomo_fbp_plan_create(NULL, 4, 16, theta, &plan, &err), &err);
    size_t wsz = tsct_tomo_fbp_workspace_size(plan);
    CHECK(wsz > 0);
    void *work = malloc(wsz);
    float sino[4 * 16 * 2] = {0}, img[16 * 16 * 2];
    CHECK_FAILS(tsct_tomo_fbp_execute(plan, sino, 0, 0, img, 0, work, wsz, &err), TSCT_ERR_VALUE,
                &err, "nc = 0");
    CHECK_FAILS(tsct_tomo_fbp_execute(plan, sino, 2, 1, img, 0, work, wsz, &err), TSCT_ERR_SHAPE,
                &err, "must be >= nc");
    CHECK_FAILS(tsct_tomo_fbp_execute(plan, sino, 2, 0, img, 0, work, wsz - 1, &err),
                TSCT_ERR_SHAPE, &err, "workspace");
    CHECK_FAILS(tsct_tomo_fbp_execute(plan, NULL, 2, 0, img, 0, work, wsz, &err), TSCT_ERR_VALUE,
                &err, "NULL sinogram");
    CHECK_OK(tsct_tomo_fbp_execute(plan, sino, 2, 0, img, 0, work, wsz, &err), &err);
    free(work);
    tsct_tomo_fbp_plan_destroy(plan);
    tsct_tomo_fbp_plan_destroy(NULL);
    CHECK(strcmp(tsct_tomo_fbp_filter_name((tsct_tomo_fbp_filter)99), "unknown") == 0);
}

int main(void)
{
    /* Every kernel variant this CPU runs must match iradon (tomo_geometry.c reads the cap). */
    const char *kernels[3] = {"generic", "avx2", "avx512"};
    for (int k = 0; k < 3; k++) {
        setenv("TSCT_TOMO_KERNELS", kernels[k], 1);
        printf("kernels capped at %s\n", kernels[k]);
        test_against_iradon();
        test_many_channels_strided();
    }
    unsetenv("TSCT_TOMO_KERNELS");
    test_filters();
    test_no_dc_bias();
    test_threads_identical();
    test_bad_input();
    return tsct_test_finish("test_fbp");
}
