/* test_sino.c - sinogram processing (tsct/sino.h): nDTomo's definitions against numpy
 * references, exact answers for the simple operations, the centre of rotation of shifted
 * phantom sinograms (both methods), the real tooth (absorption) and neutron sinograms
 * reconstructing sharp at the centre found automatically, and bad input. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tomo_test_util.h"
#include "tsct/container.h"
#include "tsct/image.h"
#include "tsct/sino.h"
#include "tsct/tomo.h"
#include "tsct_test.h"

#define SREF TSCT_TEST_DATA "/sino_reference/"
enum { RNA = 13, RNS = 21, RNC = 5 };

static float *read_ref(const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "../sino_reference/%.40s", name);
    return tomo_read(path, sizeof(float), (size_t)RNA * RNS * RNC);
}

/* max |a - b| / max |b| over n values */
static double rel_maxdiff(const float *a, const float *b, int64_t n)
{
    double d = 0.0, m = 0.0;
    for (int64_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - (double)b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return d / fmax(m, 1e-30);
}

/* Against numpy implementations of nDTomo's zigzag_rows, airrem (both / top / bottom, and the
 * older per-projection variant), scalesinos and sinocomcor (make_reference.py). Tolerance:
 * 2e-6 of the maximum (float32 arithmetic against float64 references). */
static void test_ndtomo_reference(void)
{
    const int64_t n = (int64_t)RNA * RNS * RNC;
    float *in = read_ref("input.f32");
    float *w = malloc((size_t)n * sizeof *w), *w2 = malloc((size_t)n * sizeof *w2);
    double *air = malloc((size_t)RNA * RNC * sizeof *air);
    CHECK(in != NULL);
    if (!in)
        return;
    tsct_error err = TSCT_ERROR_INIT;
    struct {
        const char *file;
        tsct_sino_air_side side;
        int64_t count;
        int per_angle;
    } airs[] = {{"air_both_2.f32", TSCT_SINO_AIR_BOTH, 2, 0},
                {"air_top_3.f32", TSCT_SINO_AIR_FIRST, 3, 0},
                {"air_bottom_1.f32", TSCT_SINO_AIR_LAST, 1, 0},
                {"air_perproj_2.f32", TSCT_SINO_AIR_BOTH, 2, 1}};
    for (int k = 0; k < 4; k++) {
        float *ref = read_ref(airs[k].file);
        memcpy(w, in, (size_t)n * sizeof *w);
        CHECK_OK(tsct_sino_air_estimate(w, RNA, RNS, RNC, airs[k].side, airs[k].count,
                                        airs[k].per_angle, air, &err), &err);
        CHECK_OK(tsct_sino_air_subtract(w, RNA, RNS, RNC, air, &err), &err);
        const double d = ref ? rel_maxdiff(w, ref, n) : 1.0;
        CHECK_MSG(d <= 2e-6, "%s: max diff / max = %.3g", airs[k].file, d);
        free(ref);
    }

    float *ref = read_ref("zigzag.f32");
    memcpy(w, in, (size_t)n * sizeof *w);
    CHECK_OK(tsct_sino_zigzag(w, RNA, RNS, RNC, 1, &err), &err);
    CHECK(ref && memcmp(w, ref, (size_t)n * sizeof *w) == 0); /* a permutation: exact */
    CHECK_OK(tsct_sino_zigzag(w, RNA, RNS, RNC, 1, &err), &err);
    CHECK(memcmp(w, in, (size_t)n * sizeof *w) == 0); /* its own inverse */
    free(ref);

    ref = read_ref("scale.f32");
    float prof[RNA * RNS];
    double scale[RNA];
    memcpy(w, in, (size_t)n * sizeof *w);
    CHECK_OK(tsct_sino_profile(w, RNA, RNS, RNC, NULL, prof, &err), &err);
    CHECK_OK(tsct_sino_scale_factors(prof, RNA, RNS, NULL, scale, &err), &err);
    CHECK_OK(tsct_sino_scale_rows(w, RNA, RNS, RNC, scale, &err), &err);
    double d = ref ? rel_maxdiff(w, ref, n) : 1.0;
    CHECK_MSG(d <= 2e-6, "scalesinos: max diff / max = %.3g", d);
    free(ref);

    ref = read_ref("com.f32");
    double shift[RNA];
    CHECK_OK(tsct_sino_profile(in, RNA, RNS, RNC, NULL, prof, &err), &err);
    CHECK_OK(tsct_sino_com_shifts(prof, RNA, RNS, shift, &err), &err);
    CHECK_OK(tsct_sino_resample(in, RNA, RNS, RNC, shift, RNS, w2, 2, &err), &err);
    d = ref ? rel_maxdiff(w2, ref, n) : 1.0;
    CHECK_MSG(d <= 2e-6, "sinocomcor: max diff / max = %.3g", d);
    printf("nDTomo definitions: air (4 variants), zigzag, scalesinos, sinocomcor agree with "
           "numpy (last: %.2g of max)\n", d);
    free(ref);
    free(in);
    free(w);
    free(w2);
    free(air);
}

/* Exact answers: monitor normalisation, resampling by whole bins, downsampling, cropping,
 * flat / dark and -log. */
static void test_exact(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    /* 2 angles x 3 positions x 2 channels */
    float s[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, o[12];
    const float mon_row[2] = {1.0f, 3.0f}; /* mean 2: rows scaled by 2 and 2/3 */
    memcpy(o, s, sizeof o);
    CHECK_OK(tsct_sino_scale_monitor(o, 2, 3, 2, mon_row, 2, &err), &err);
    CHECK_NEAR(o[0], 2.0, 1e-6);
    CHECK_NEAR(o[11], 8.0, 1e-6);
    const float mon_pt[6] = {1, 1, 1, 1, 1, 7}; /* mean 2 */
    memcpy(o, s, sizeof o);
    CHECK_OK(tsct_sino_scale_monitor(o, 2, 3, 2, mon_pt, 6, &err), &err);
    CHECK_NEAR(o[9], 20.0, 1e-5);
    CHECK_NEAR(o[11], 12.0 * 2.0 / 7.0, 1e-5);
    /* The transmitted beam divides as it is (no mean): an absorbing sample keeps its scale. */
    const float diode[6] = {1, 0.5f, 0.25f, 1, 1, 0.8f};
    memcpy(o, s, sizeof o);
    CHECK_OK(tsct_sino_scale_transmission(o, 2, 3, 2, diode, &err), &err);
    CHECK_NEAR(o[0], 1.0, 1e-6);
    CHECK_NEAR(o[3], 8.0, 1e-6);
    CHECK_NEAR(o[5], 24.0, 1e-5);
    CHECK_NEAR(o[11], 15.0, 1e-5);

    const double org[2] = {1.0, -1.0};
    CHECK_OK(tsct_sino_resample(s, 2, 3, 2, org, 3, o, 1, &err), &err);
    const float want[12] = {3, 4, 5, 6, 0, 0, 0, 0, 7, 8, 9, 10};
    CHECK(memcmp(o, want, sizeof want) == 0);
    const double half[2] = {0.5, 0.5};
    CHECK_OK(tsct_sino_resample(s, 2, 3, 2, half, 2, o, 1, &err), &err);
    CHECK_NEAR(o[0], 2.0, 1e-6);
    CHECK_NEAR(o[3], 5.0, 1e-6);

    CHECK_OK(tsct_sino_downsample(s, 2, 3, 2, 2, 2, o, &err), &err); /* [2][1][1] */
    CHECK_NEAR(o[0], 2.5, 1e-6);
    CHECK_NEAR(o[1], 8.5, 1e-6);

    CHECK(tsct_sino_centre_crop_width(100, 49.5) == 99);
    CHECK(tsct_sino_centre_crop_width(100, 30.2) == 61);
    CHECK_NEAR(tsct_sino_centre_origin(30.2, 61), 0.2, 1e-12);

    float t[3] = {5, 3, 1};
    const float flat[3] = {9, 5, 1}, dark[3] = {1, 1, 1};
    int64_t nbad = -1, nclamp = -1;
    CHECK_OK(tsct_sino_flat_dark(t, 3, flat, dark, &nbad, &err), &err);
    CHECK_NEAR(t[0], 0.5, 1e-7);
    CHECK_NEAR(t[1], 0.5, 1e-7);
    CHECK(isnan(t[2]) && nbad == 1);
    t[2] = 0.0f;
    CHECK_OK(tsct_sino_neglog(t, 3, 1e-6, &nclamp, &err), &err);
    CHECK_NEAR(t[0], log(2.0), 1e-6);
    CHECK_NEAR(t[2], -log(1e-6), 1e-4);
    CHECK(nclamp == 1);
}

/* Bad channels: one hot, one dead, one NaN channel among 40 smooth ones are found (threshold
 * 8 MADs) and nothing else; the fix interpolates linearly. Zingers: 6 spikes in a noisy
 * 3-channel sinogram are all replaced and at most 0.2 % of the other values are touched. */
static void test_bad_channels_zingers(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    enum { NC = 40 };
    double total[NC];
    int64_t nonfinite[NC] = {0};
    for (int c = 0; c < NC; c++)
        total[c] = 1000.0 + 50.0 * sin(c * 0.2) + 3.0 * ((c * 7) % 5);
    total[7] *= 3.0;
    total[21] = 0.0;
    nonfinite[33] = 2;
    uint8_t bad[NC];
    int64_t nbad = 0;
    CHECK_OK(tsct_sino_bad_channels_find(total, nonfinite, NC, 8.0, bad, &nbad, &err), &err);
    CHECK_MSG(nbad == 3 && bad[7] && bad[21] && bad[33], "found %lld bad channels",
              (long long)nbad);
    float pat[2 * NC];
    for (int c = 0; c < 2 * NC; c++)
        pat[c] = (float)(c % NC);
    pat[7] = pat[NC + 7] = 1e6f;
    CHECK_OK(tsct_sino_bad_channels_fix(pat, 2, NC, bad, &err), &err);
    CHECK_NEAR(pat[7], 7.0, 1e-5);
    CHECK_NEAR(pat[NC + 21], 21.0, 1e-5);

    enum { NA = 40, NS = 50, C3 = 3 };
    float *z = malloc(sizeof(float) * NA * NS * C3), *z0 = malloc(sizeof(float) * NA * NS * C3);
    uint64_t rng = 99;
    for (int a = 0; a < NA; a++)
        for (int s = 0; s < NS; s++)
            for (int c = 0; c < C3; c++)
                z[(a * NS + s) * C3 + c] =
                    (float)((c + 1) * 100.0 * exp(-pow((s - 25 - 8 * sin(a * 0.1)) / 9.0, 2)) +
                            (c + 1) * (tomo_rand(&rng) - 0.5));
    const int spikes[6][3] = {{3, 10, 0}, {20, 25, 1}, {39, 49, 2}, {0, 0, 0}, {15, 30, 2},
                              {30, 5, 1}};
    for (int k = 0; k < 6; k++)
        z[(spikes[k][0] * NS + spikes[k][1]) * C3 + spikes[k][2]] += 500.0f;
    memcpy(z0, z, sizeof(float) * NA * NS * C3);
    int64_t nfixed = 0;
    CHECK_OK(tsct_sino_zingers(z, NA, NS, C3, 10.0, 2, &nfixed, &err), &err);
    int caught = 0;
    for (int k = 0; k < 6; k++) {
        const int64_t i = (spikes[k][0] * NS + spikes[k][1]) * C3 + spikes[k][2];
        caught += z[i] < z0[i] - 300.0f;
    }
    CHECK_MSG(caught == 6, "%d of 6 zingers removed", caught);
    CHECK_MSG(nfixed - 6 <= NA * NS * C3 / 500, "%lld values replaced", (long long)nfixed);
    printf("bad channels: 3 of 3 found; zingers: %d of 6 removed, %lld values replaced\n",
           caught, (long long)nfixed);
    free(z);
    free(z0);
}

/* A multi-blob phantom projected by tsct's forward projector (rotation axis at ns / 2),
 * then shifted by a known sub-pixel offset (linear interpolation): each method must recover
 * ns / 2 + offset within 0.25 px, for a 0..180 degree scan including 180, a uniform 360
 * degree scan and a non-uniform (jittered, shuffled) 360 degree scan. */
static void test_centre_recovery(void)
{
    enum { N = 96 };
    const int64_t n = N, ns = N;
    float *img = calloc((size_t)(n * n), sizeof *img);
    const double blobs[5][4] = {{48, 48, 30, 1.0}, {30, 55, 8, 2.0}, {62, 40, 6, -0.5},
                                {50, 70, 4, 1.5}, {40, 30, 10, 0.7}};
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < n; k++)
            for (int b = 0; b < 5; b++) {
                const double r2 = pow(i - blobs[b][0], 2) + pow(k - blobs[b][1], 2);
                if (r2 <= blobs[b][2] * blobs[b][2])
                    img[i * n + k] += (float)blobs[b][3];
            }
    const double offsets[5] = {0.3, -1.7, 2.45, 0.5, -3.25};
    uint64_t rng = 5;
    double worst[2] = {0, 0};
    for (int set = 0; set < 3; set++) {
        const int64_t na = set == 0 ? 91 : 120;
        double *th = malloc((size_t)na * sizeof *th);
        for (int64_t a = 0; a < na; a++)
            th[a] = set == 0   ? 2.0 * (double)a
                    : set == 1 ? 3.0 * (double)a
                               : 3.0 * (double)a + 1.2 * (tomo_rand(&rng) - 0.5);
        if (set == 2) /* shuffle: the methods must not rely on the order */
            for (int64_t a = na - 1; a > 0; a--) {
                int64_t b = (int64_t)(tomo_rand(&rng) * (double)(a + 1));
                double t = th[a];
                th[a] = th[b];
                th[b] = t;
            }
        tsct_error err = TSCT_ERROR_INIT;
        tsct_tomo_projector *P = NULL;
        CHECK_OK(tsct_tomo_projector_create(NULL, na, ns, th, &P, &err), &err);
        float *sino = malloc((size_t)(na * ns) * sizeof *sino);
        float *shifted = malloc((size_t)(na * ns) * sizeof *shifted);
        double *org = malloc((size_t)na * sizeof *org);
        CHECK_OK(tsct_tomo_projector_forward(P, img, 1, sino, &err), &err);
        for (int k = 0; k < 5; k++) {
            for (int64_t a = 0; a < na; a++)
                org[a] = -offsets[k];
            CHECK_OK(tsct_sino_resample(sino, na, ns, 1, org, ns, shifted, 1, &err), &err);
            for (int m = 0; m < 2; m++) {
                tsct_sino_centre_params cp = TSCT_SINO_CENTRE_PARAMS_DEFAULT;
                cp.method = m ? TSCT_SINO_CENTRE_VO : TSCT_SINO_CENTRE_PAIR;
                tsct_sino_centre_report rep;
                CHECK_OK(tsct_sino_centre_find(shifted, na, ns, th, &cp, &rep, &err), &err);
                const double e = rep.centre - ((double)(ns / 2) + offsets[k]);
                worst[m] = fmax(worst[m], fabs(e));
                CHECK_MSG(fabs(e) <= 0.25, "set %d offset %g method %s: centre %.3f, error %.3f",
                          set, offsets[k], m ? "vo" : "pair", rep.centre, e);
            }
        }
        tsct_tomo_projector_destroy(P);
        free(th);
        free(sino);
        free(shifted);
        free(org);
    }
    printf("centre of shifted phantoms (3 angle sets x 5 offsets): worst error pair %.3f px, "
           "vo %.3f px (tolerance 0.25)\n", worst[0], worst[1]);
    free(img);
}

/* Narrow scans (8 to 19 translations): the Vo refinement evaluates 21 fine candidates, more
 * than the coarse grid has; it once wrote them past the end of its buffers (found by a
 * hostile test: a simulated scan with 16 translations aborted with "double free"). A disc
 * off the centre by a known shift must still be centred within a pixel. */
static void test_centre_narrow_scan(void)
{
    for (int64_t ns = 8; ns <= 20; ns++) {
        const int64_t na = 36;
        double *th = malloc((size_t)na * sizeof *th);
        float *p = malloc((size_t)(na * ns) * sizeof *p);
        const double c = 0.5 * (double)ns + 0.4, r0 = 0.2 * (double)ns;
        for (int64_t a = 0; a < na; a++) {
            th[a] = 5.0 * (double)a;
            /* projection of a disc of radius 1.5 px at distance r0 from the axis */
            const double x0 = c + r0 * cos(th[a] * M_PI / 180.0);
            for (int64_t x = 0; x < ns; x++) {
                const double d = (double)x - x0;
                p[a * ns + x] = (float)(fabs(d) < 1.5 ? 2.0 * sqrt(2.25 - d * d) : 0.0);
            }
        }
        tsct_error err = TSCT_ERROR_INIT;
        tsct_sino_centre_params cp = TSCT_SINO_CENTRE_PARAMS_DEFAULT;
        cp.method = TSCT_SINO_CENTRE_VO;
        tsct_sino_centre_report rep;
        CHECK_OK(tsct_sino_centre_find(p, na, ns, th, &cp, &rep, &err), &err);
        CHECK_MSG(fabs(rep.centre - c) <= 1.0, "%lld translations: centre %.3f, true %.3f",
                  (long long)ns, rep.centre, c);
        free(th);
        free(p);
    }
}

/* Reconstruct profile [na][ns] at centre c, cropped symmetrically to width w, with ramp FBP;
 * returns the image (n x n in *nout), or NULL. */
static float *recon_at(const float *p, int64_t na, int64_t ns, const double *th, double c,
                       int64_t w, int64_t *nout)
{
    tsct_error err = TSCT_ERROR_INIT;
    float *s = malloc((size_t)(na * w) * sizeof *s);
    double *org = malloc((size_t)na * sizeof *org);
    for (int64_t a = 0; a < na; a++)
        org[a] = tsct_sino_centre_origin(c, w);
    tsct_sino_resample(p, na, ns, 1, org, w, s, 0, &err);
    tsct_tomo_fbp_plan *plan = NULL;
    float *img = NULL;
    if (tsct_tomo_fbp_plan_create(NULL, na, w, th, &plan, &err) == TSCT_OK) {
        const int64_t n = tsct_tomo_fbp_plan_output_size(plan);
        const size_t wb = tsct_tomo_fbp_workspace_size(plan);
        void *work = malloc(wb);
        img = malloc((size_t)(n * n) * sizeof *img);
        tsct_tomo_fbp_execute(plan, s, 1, 1, img, 1, work, wb, &err);
        free(work);
        *nout = n;
    }
    CHECK_MSG(err.status == TSCT_OK, "%s", err.message);
    tsct_tomo_fbp_plan_destroy(plan);
    free(s);
    free(org);
    return img;
}

/* Sharpness criteria inside the circle (2 px margin): the fraction of negative mass
 * sum(-f, f < 0) / sum |f| (180-degree scans: a wrong centre adds negative tuning-fork
 * artefacts), and the energy mean(f^2) (360-degree scans: a wrong centre blurs every feature
 * into a ring and lowers it). */
static void sharpness(const float *img, int64_t n, double *neg, double *energy)
{
    double sn = 0, sa = 0, s2 = 0;
    int64_t cnt = 0;
    const double r = (double)(n / 2) - 2.0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < n; k++) {
            if (pow((double)(i - n / 2), 2) + pow((double)(k - n / 2), 2) > r * r)
                continue;
            const double v = img[i * n + k];
            sn += v < 0 ? -v : 0;
            sa += fabs(v);
            s2 += v * v;
            cnt++;
        }
    *neg = sn / sa;
    *energy = s2 / (double)cnt;
}

static void check_real(const char *name, const float *p, int64_t na, int64_t ns,
                       const double *th, double documented, int use_energy)
{
    tsct_error err = TSCT_ERROR_INIT;
    for (int m = 0; m < 2; m++) {
        tsct_sino_centre_params cp = TSCT_SINO_CENTRE_PARAMS_DEFAULT;
        cp.method = m ? TSCT_SINO_CENTRE_VO : TSCT_SINO_CENTRE_PAIR;
        tsct_sino_centre_report rep;
        CHECK_OK(tsct_sino_centre_find(p, na, ns, th, &cp, &rep, &err), &err);
        CHECK_MSG(fabs(rep.centre - documented) <= 1.0, "%s %s: centre %.3f, documented %.2f",
                  name, m ? "vo" : "pair", rep.centre, documented);
        /* one width (that of c + 3 or c - 3, the narrower) so the three images cover the same
         * region */
        const int64_t w = tsct_sino_centre_crop_width(ns, rep.centre) - 6;
        double crit[3];
        for (int k = 0; k < 3; k++) {
            int64_t n = 0;
            float *img = recon_at(p, na, ns, th, rep.centre + 3.0 * (k - 1), w, &n);
            double neg = 1, energy = 0;
            if (img)
                sharpness(img, n, &neg, &energy);
            crit[k] = use_energy ? -energy : neg;
            free(img);
        }
        CHECK_MSG(crit[1] < crit[0] && crit[1] < crit[2],
                  "%s %s: %s at c-3, c, c+3 = %.6g %.6g %.6g", name, m ? "vo" : "pair",
                  use_energy ? "-energy" : "negative fraction", crit[0], crit[1], crit[2]);
        printf("%s %s: centre %.3f (documented ~%.2f); %s at c-3 / c / c+3: %.5g / %.5g / "
               "%.5g\n", name, m ? "vo" : "pair", rep.centre, documented,
               use_energy ? "energy" : "negative fraction", fabs(crit[0]), fabs(crit[1]),
               fabs(crit[2]));
    }
}

/* tomopy's tooth (row 0): flat / dark, -log, air per projection; the neutron sinogram
 * (360 degrees): -log of the transmission, air per projection. */
static void test_real_data(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *f = NULL;
    const char *tooth = TSCT_TEST_DATA "/tomography/tomopy_tooth.h5";
    CHECK_OK(tsct_h5file_open(tooth, TSCT_OPEN_READ, &f, &err), &err);
    tsct_dataset *d = NULL, *dw = NULL, *dd = NULL;
    double *th = NULL;
    int64_t nth = 0;
    if (f) {
        CHECK_OK(tsct_dataset_open(f, "/exchange/data", &d, &err), &err);
        CHECK_OK(tsct_dataset_open(f, "/exchange/data_white", &dw, &err), &err);
        CHECK_OK(tsct_dataset_open(f, "/exchange/data_dark", &dd, &err), &err);
        CHECK_OK(tsct_container_read_vector(f, "/exchange/theta", &th, &nth, &err), &err);
    }
    if (d && dw && dd && nth == 181) {
        const int64_t na = 181, ns = 640;
        float *p = malloc((size_t)(na * ns) * sizeof *p);
        float *fl = malloc(10 * (size_t)ns * sizeof *fl), *dk = malloc(10 * (size_t)ns * 4);
        const int64_t st[3] = {0, 0, 0}, cp[3] = {na, 1, ns}, cf[3] = {10, 1, ns};
        CHECK_OK(tsct_dataset_read(d, st, cp, p, &err), &err);
        CHECK_OK(tsct_dataset_read(dw, st, cf, fl, &err), &err);
        CHECK_OK(tsct_dataset_read(dd, st, cf, dk, &err), &err);
        for (int64_t s = 0; s < ns; s++) {
            double a = 0, b = 0;
            for (int k = 0; k < 10; k++) {
                a += fl[k * ns + s];
                b += dk[k * ns + s];
            }
            fl[s] = (float)(a / 10);
            dk[s] = (float)(b / 10);
        }
        for (int64_t a = 0; a < na; a++)
            CHECK_OK(tsct_sino_flat_dark(p + a * ns, ns, fl, dk, NULL, &err), &err);
        CHECK_OK(tsct_sino_neglog(p, na * ns, 1e-6, NULL, &err), &err);
        double *air = malloc((size_t)na * sizeof *air);
        CHECK_OK(tsct_sino_air_estimate(p, na, ns, 1, TSCT_SINO_AIR_BOTH, 10, 1, air, &err),
                 &err);
        CHECK_OK(tsct_sino_air_subtract(p, na, ns, 1, air, &err), &err);
        check_real("tooth", p, na, ns, th, 295.5, 0);
        free(air);
        free(p);
        free(fl);
        free(dk);
    }
    tsct_dataset_close(d);
    tsct_dataset_close(dw);
    tsct_dataset_close(dd);
    tsct_container_close(f, NULL);
    free(th);

    tsct_image im;
    tsct_image_init(&im);
    CHECK_OK(tsct_image_read(&im, TSCT_TEST_DATA "/tomography/sarepy_sinogram_360_neutron_image.tif",
                             NULL, &err), &err);
    if (im.rows == 459 && im.cols == 503) {
        const int64_t na = im.rows, ns = im.cols;
        double *t2 = malloc((size_t)na * sizeof *t2), *air = malloc((size_t)na * sizeof *air);
        for (int64_t a = 0; a < na; a++)
            t2[a] = 360.0 * (double)a / (double)na;
        CHECK_OK(tsct_sino_neglog(im.data, na * ns, 1.0, NULL, &err), &err);
        CHECK_OK(tsct_sino_air_estimate(im.data, na, ns, 1, TSCT_SINO_AIR_BOTH, 10, 1, air, &err),
                 &err);
        CHECK_OK(tsct_sino_air_subtract(im.data, na, ns, 1, air, &err), &err);
        check_real("neutron", im.data, na, ns, t2, 244.75, 1);
        free(t2);
        free(air);
    }
    tsct_image_release(&im);
}

static void test_bad_input(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    float p[16 * 4] = {0};
    double th[4] = {0, 45, NAN, 135}, air[4 * 16];
    tsct_sino_centre_report rep;
    CHECK_FAILS(tsct_sino_centre_find(p, 4, 16, th, NULL, &rep, &err), TSCT_ERR_VALUE, &err,
                "angle[2]");
    th[2] = 90;
    CHECK_FAILS(tsct_sino_centre_find(p, 4, 4, th, NULL, &rep, &err), TSCT_ERR_SHAPE, &err,
                ">= 8 translations");
    tsct_sino_centre_params cp = TSCT_SINO_CENTRE_PARAMS_DEFAULT;
    cp.search_min = 2;
    cp.search_max = 40;
    CHECK_FAILS(tsct_sino_centre_find(p, 4, 16, th, &cp, &rep, &err), TSCT_ERR_SHAPE, &err,
                "search range");
    CHECK_FAILS(tsct_sino_air_estimate(p, 4, 16, 1, TSCT_SINO_AIR_BOTH, 9, 0, air, &err),
                TSCT_ERR_VALUE, &err, "air count");
    double sc[4];
    CHECK_FAILS(tsct_sino_scale_factors(p, 4, 16, NULL, sc, &err), TSCT_ERR_VALUE, &err,
                "nothing to normalise by");
    p[3] = 1;
    CHECK_FAILS(tsct_sino_scale_factors(p, 4, 16, NULL, sc, &err), TSCT_ERR_VALUE, &err,
                "projection total[1]");
    const float mon[4] = {1, 0, 1, 1};
    CHECK_FAILS(tsct_sino_scale_monitor(p, 4, 16, 1, mon, 4, &err), TSCT_ERR_VALUE, &err,
                "monitor[1]");
    CHECK_FAILS(tsct_sino_scale_monitor(p, 4, 16, 1, mon, 3, &err), TSCT_ERR_SHAPE, &err,
                "one per point");
    float dio[64];
    for (int k = 0; k < 64; k++)
        dio[k] = 1;
    dio[17] = NAN;
    CHECK_FAILS(tsct_sino_scale_transmission(p, 4, 16, 1, dio, &err), TSCT_ERR_VALUE, &err,
                "transmission[17]");
    double sh[4];
    CHECK_FAILS(tsct_sino_com_shifts(p, 4, 16, sh, &err), TSCT_ERR_VALUE, &err,
                "projection[1]");
    CHECK_FAILS(tsct_sino_downsample(p, 4, 16, 1, 0, 1, p, &err), TSCT_ERR_VALUE, &err,
                "factors");
    CHECK_FAILS(tsct_sino_zigzag(NULL, 4, 16, 1, 1, &err), TSCT_ERR_VALUE, &err, "NULL");
    uint8_t bad[3] = {1, 1, 1};
    CHECK_FAILS(tsct_sino_bad_channels_fix(p, 1, 3, bad, &err), TSCT_ERR_VALUE, &err,
                "all 3 channels");
}

int main(void)
{
    test_centre_narrow_scan();
    test_ndtomo_reference();
    test_exact();
    test_bad_channels_zingers();
    test_centre_recovery();
    test_real_data();
    test_bad_input();
    return tsct_test_finish("test_sino");
}
