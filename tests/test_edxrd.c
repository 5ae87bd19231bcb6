/* test_edxrd.c - energy-dispersive diffraction (tsct/edxrd.h) against exact answers:
 *  - E <-> d, q: Bragg's law at a fixed angle, round trips, hc;
 *  - reading: one- and two-column text, '#' header keys, the Amptek MCA layout, an HDF5
 *    series with its live / real time, z and time; bad input (another length, bad numbers);
 *  - calibration: a simulated CeO2 spectrum (Ce and Pb K lines, CeO2 reflections, Ge
 *    resolution and escape peaks, Poisson noise) with a known quadratic channel -> energy
 *    polynomial and 2theta = 2.29 deg, started from a guess 0.3 % off in gain and 0.05 deg
 *    off in 2theta, calibrated back within 0.01 deg of 2theta and 1 eV at 100 keV;
 *  - the smooth curve recovers a polynomial under peaks; rebinning keeps a constant constant
 *    and puts a peak's centre at its d.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tsct/container.h"
#include "tsct/edxrd.h"
#include "tsct/powder.h"
#include "tsct/sim_edxrd.h"
#include "tsct_test.h"

static void test_conversions(void)
{
    /* At 2theta = 60 deg, sin(theta) = 1/2: d = hc / E exactly. */
    CHECK_NEAR(tsct_edxrd_d(12.398419843320026, 60), 1.0, 1e-13);
    CHECK_NEAR(tsct_edxrd_q(TSCT_HC_KEV_ANGSTROM, 60), 2 * M_PI, 1e-12);
    for (double e = 40; e <= 160; e += 7.3) {
        const double d = tsct_edxrd_d(e, 2.29);
        CHECK_NEAR(tsct_edxrd_energy_of_d(d, 2.29), e, 1e-11);
        CHECK_NEAR(tsct_edxrd_q(e, 2.29) * d, 2 * M_PI, 1e-12);
    }
    CHECK(isnan(tsct_edxrd_d(-1, 2.29)) && isnan(tsct_edxrd_d(50, 0)));
    tsct_edxrd_calibration cal = {2, {0.1, 0.04, 1e-8, 0}, 2.29, {0}, 0, 0};
    for (double c = 0; c < 4096; c += 111.7)
        CHECK_NEAR(tsct_edxrd_channel(&cal, tsct_edxrd_energy(&cal, c)), c, 1e-8);
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_edxrd_calibration_check(&cal, 4096, &err), &err);
    tsct_edxrd_calibration bad = cal;
    bad.coef[2] = -1e-5; /* turns over near channel 2000 */
    CHECK_FAILS(tsct_edxrd_calibration_check(&bad, 4096, &err), TSCT_ERR_VALUE, &err,
                "does not increase");
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_reading(const char *dir)
{
    char a[4200], b[4200], c[4200], d[4200], h5[4200];
    snprintf(a, sizeof a, "%s/one.txt", dir);
    snprintf(b, sizeof b, "%s/two.txt", dir);
    snprintf(c, sizeof c, "%s/amptek.mca", dir);
    snprintf(d, sizeof d, "%s/short.txt", dir);
    write_text(a, "# live_time: 9.5\n# real_time = 10\n# z 0.06\n# time 120\n1\n2\n3\n4\n");
    write_text(b, "# LIVE_TIME 9.0\n0 5\n1 6\n2 7\n3 8\n");
    write_text(c, "<<PMCA SPECTRUM>>\nTAG - x\nLIVE_TIME - 8.25\nREAL_TIME - 9\n<<DATA>>\n10\n"
                  "11\n12\n13\n<<END>>\n");
    write_text(d, "1\n2\n3\n");
    tsct_error err = TSCT_ERROR_INIT;
    tsct_edxrd_source *src = NULL;
    const char *specs[3] = {a, b, c};
    CHECK_OK(tsct_edxrd_source_open(specs, 3, &src, &err), &err);
    if (src) {
        CHECK(tsct_edxrd_source_count(src) == 3 && tsct_edxrd_source_channels(src) == 4);
        CHECK_NEAR(tsct_edxrd_source_live_time(src)[0], 9.5, 0);
        CHECK_NEAR(tsct_edxrd_source_real_time(src)[0], 10, 0);
        CHECK_NEAR(tsct_edxrd_source_z(src)[0], 0.06, 0);
        CHECK_NEAR(tsct_edxrd_source_time(src)[0], 120, 0);
        CHECK_NEAR(tsct_edxrd_source_live_time(src)[1], 9.0, 0);
        CHECK(isnan(tsct_edxrd_source_real_time(src)[1]));
        CHECK_NEAR(tsct_edxrd_source_live_time(src)[2], 8.25, 0);
        CHECK_NEAR(tsct_edxrd_source_real_time(src)[2], 9, 0);
        double y[4];
        CHECK_OK(tsct_edxrd_source_read(src, 1, y, &err), &err);
        CHECK(y[0] == 5 && y[3] == 8);
        CHECK_OK(tsct_edxrd_source_read(src, 2, y, &err), &err);
        CHECK(y[0] == 10 && y[3] == 13);
        CHECK_OK(tsct_edxrd_source_read(src, 0, y, &err), &err);
        CHECK(y[0] == 1 && y[3] == 4);
    }
    tsct_edxrd_source_destroy(src);
    /* A spectrum of another length: named, with both lengths. */
    const char *mixed[2] = {a, d};
    CHECK_FAILS(tsct_edxrd_source_open(mixed, 2, &src, &err), TSCT_ERR_SHAPE, &err,
                "3 channels, but");
    CHECK(src == NULL);
    const char *dp = d;
    write_text(d, "1\n-2\n");
    CHECK_FAILS(tsct_edxrd_source_open(&dp, 1, &src, &err), TSCT_ERR_FORMAT, &err,
                "finite and >= 0");
    write_text(d, "1\nabc\n");
    CHECK_FAILS(tsct_edxrd_source_open(&dp, 1, &src, &err), TSCT_ERR_FORMAT, &err, "index 2");
    tsct_edxrd_source_destroy(src);
    src = NULL;
    /* An HDF5 series with its metadata beside the spectra. */
    snprintf(h5, sizeof h5, "%s/series.h5", dir);
    tsct_container *cn = NULL;
    tsct_dataset *ds = NULL;
    CHECK_OK(tsct_container_create(h5, 1, &cn, &err), &err);
    const int64_t shape[2] = {3, 5}, start[2] = {0, 0};
    float counts[15];
    for (int i = 0; i < 15; i++)
        counts[i] = (float)i;
    CHECK_OK(tsct_dataset_create(cn, "/entry/mca/data", 2, shape, NULL, &ds, &err), &err);
    CHECK_OK(tsct_dataset_write(ds, start, shape, counts, &err), &err);
    tsct_dataset_close(ds);
    const double live[3] = {9, 9.5, 9.7}, z[3] = {0, 0.03, 0.06};
    CHECK_OK(tsct_container_write_vector(cn, "/entry/mca/live_time", live, 3, "s", &err), &err);
    CHECK_OK(tsct_container_write_vector(cn, "/entry/mca/z", z, 3, "mm", &err), &err);
    CHECK_OK(tsct_container_write_vector(cn, "/entry/mca/time", z, 2, "s", &err), &err);
    tsct_container_close(cn, NULL);
    char spec[4400];
    snprintf(spec, sizeof spec, "%s::/entry/mca/data", h5);
    const char *sp = spec;
    /* time has 2 values for 3 spectra */
    CHECK_FAILS(tsct_edxrd_source_open(&sp, 1, &src, &err), TSCT_ERR_SHAPE, &err,
                "2 values for 3 spectra");
    CHECK_OK(tsct_container_open(h5, TSCT_OPEN_WRITE, &cn, &err), &err);
    CHECK_OK(tsct_container_write_vector(cn, "/entry/mca/time", z, 3, "s", &err), &err);
    tsct_container_close(cn, NULL);
    CHECK_OK(tsct_edxrd_source_open(&sp, 1, &src, &err), &err);
    if (src) {
        double y[5];
        CHECK(tsct_edxrd_source_count(src) == 3 && tsct_edxrd_source_channels(src) == 5);
        CHECK_OK(tsct_edxrd_source_read(src, 2, y, &err), &err);
        CHECK(y[0] == 10 && y[4] == 14);
        CHECK_NEAR(tsct_edxrd_source_live_time(src)[1], 9.5, 0);
        CHECK(isnan(tsct_edxrd_source_real_time(src)[1]));
        CHECK_NEAR(tsct_edxrd_source_z(src)[2], 0.06, 0);
    }
    tsct_edxrd_source_destroy(src);
}

/* The CeO2 calibration against its truth. */
static void test_calibration(void)
{
    const int64_t nchan = 4096;
    tsct_edxrd_calibration truth = {2, {0.085, 0.04, 2e-8, 0}, 2.29, {0}, 0, 0};
    tsct_sim_edxrd_detector det = TSCT_SIM_EDXRD_DETECTOR_DEFAULT;
    double *y = malloc((size_t)nchan * sizeof *y);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_rng rng;
    tsct_sim_rng_seed(&rng, 5);
    CHECK_OK(tsct_sim_edxrd_calibrant(&truth, &det, "CeO2", "Ce,Pb", 50, 160, 1e7, 200, &rng, y,
                                      nchan, &err),
             &err);
    /* Peaks: the Ce and Pb K lines and the CeO2 rings in the beam (111, 200 at 2.29 deg). */
    tsct_edxrd_peak peaks[16];
    memset(peaks, 0, sizeof peaks);
    int n = 0;
    double kev[3];
    tsct_edxrd_lines("Ce", kev);
    for (int k = 0; k < 3; k++)
        peaks[n++].energy_kev = kev[k];
    tsct_edxrd_lines("Pb", kev);
    for (int k = 0; k < 3; k++)
        peaks[n++].energy_kev = kev[k];
    const double a = 5.411651;
    peaks[n++].d = a / sqrt(3), peaks[n++].d = a / 2;
    tsct_edxrd_calibrate_params p = TSCT_EDXRD_CALIBRATE_PARAMS_DEFAULT;
    p.guess.degree = 2;
    p.guess.coef[0] = 0.0, p.guess.coef[1] = 0.04 * 1.003, p.guess.coef[2] = 0;
    p.guess.tth = 2.24;
    p.refine_tth = 1;
    p.fwhm_kev = 0.4;
    tsct_edxrd_calibration cal;
    CHECK_OK(tsct_edxrd_calibrate(y, nchan, &p, peaks, n, &cal, &err), &err);
    int used = 0;
    for (int i = 0; i < n; i++)
        used += peaks[i].used;
    CHECK_MSG(used == n, "%d of %d peaks used", used, n);
    CHECK_NEAR(cal.tth, truth.tth, 0.01);
    const double c100 = tsct_edxrd_channel(&truth, 100.0);
    CHECK_NEAR(tsct_edxrd_energy(&cal, c100), 100.0, 1e-3);
    for (double e = 35; e <= 150; e += 5)
        CHECK_NEAR(tsct_edxrd_energy(&cal, tsct_edxrd_channel(&truth, e)), e, 3e-3);
    printf("calibration: 2theta %.5f +- %.5f deg (true 2.29), E at the true 100 keV channel "
           "%.5f keV, rms %.2f eV over %d peaks\n", cal.tth, cal.tth_esd,
           tsct_edxrd_energy(&cal, c100), cal.rms_kev * 1e3, used);
    /* The ESD describes the error: within 4 ESDs. */
    CHECK(fabs(cal.tth - truth.tth) <= 4 * cal.tth_esd + 1e-6);
    /* Reflections alone cannot fix the scale and 2theta together. */
    tsct_edxrd_calibrate_params q = p;
    CHECK_FAILS(tsct_edxrd_calibrate(y, nchan, &q, peaks + 6, 2, &cal, &err), TSCT_ERR_VALUE,
                &err, "lines of known energy");
    /* A guess far off finds too few peaks: a clear error. */
    q.refine_tth = 0;
    q.guess.coef[1] = 0.05;
    CHECK_FAILS(tsct_edxrd_calibrate(y, nchan, &q, peaks, n, &cal, &err), TSCT_ERR_VALUE, &err,
                "found");
    free(y);
}

static void test_smooth_and_rebin(void)
{
    enum { N = 600 };
    double x[N], y[N], curve[N];
    for (int i = 0; i < N; i++) {
        x[i] = 50 + 0.2 * i;
        y[i] = 100 + 2 * (x[i] - 50) - 0.01 * (x[i] - 50) * (x[i] - 50);
        if (i % 97 < 6) /* peaks that must not lift the curve */
            y[i] += 400;
    }
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_edxrd_smooth_fit(x, y, N, 3, 2.0, 5, curve, &err), &err);
    double worst = 0;
    for (int i = 0; i < N; i++)
        worst = fmax(worst, fabs(curve[i] - (100 + 2 * (x[i] - 50) -
                                             0.01 * (x[i] - 50) * (x[i] - 50))));
    CHECK_MSG(worst < 1e-8, "smooth curve off by %g", worst);
    CHECK_FAILS(tsct_edxrd_smooth_fit(x, y, 3, 3, 2.0, 5, curve, &err), TSCT_ERR_VALUE, &err,
                "degree 3");

    /* Rebinning: a constant stays constant; a narrow peak's weighted centre is its d. */
    const int64_t nchan = 4096, nbin = 700;
    tsct_edxrd_calibration cal = {2, {0.085, 0.04, 2e-8, 0}, 2.29, {0}, 0, 0};
    double *v = malloc(nchan * sizeof *v), *edges = malloc((nbin + 1) * sizeof *edges);
    double *out = malloc(nbin * sizeof *out), *vo = malloc(nbin * sizeof *vo);
    for (int64_t b = 0; b <= nbin; b++)
        edges[b] = 3.8 + 1.4 * (double)b / (double)nbin;
    for (int64_t c = 0; c < nchan; c++)
        v[c] = 7.0;
    CHECK_OK(tsct_edxrd_rebin(&cal, 1, v, v, nchan, edges, nbin, out, vo, &err), &err);
    int bad = 0;
    for (int64_t b = 0; b < nbin; b++)
        if (!(fabs(out[b] - 7.0) < 1e-12) || !(vo[b] > 0 && vo[b] <= 7.0 * (1 + 1e-12))) {
            if (bad++ < 3)
                printf("bin %lld: %.17g, variance %.17g\n", (long long)b, out[b], vo[b]);
        }
    CHECK_MSG(bad == 0, "%d bins not constant", bad);
    /* A Gaussian in energy at d = 4.37 A: the centroid on the d axis within 2e-4 A. */
    tsct_sim_edxrd_detector det = TSCT_SIM_EDXRD_DETECTOR_DEFAULT;
    for (int64_t c = 0; c < nchan; c++)
        v[c] = 0;
    tsct_sim_edxrd_add_peak(&cal, &det, tsct_edxrd_energy_of_d(4.37, 2.29), 1e5, v, nchan);
    CHECK_OK(tsct_edxrd_rebin(&cal, 1, v, NULL, nchan, edges, nbin, out, NULL, &err), &err);
    double s = 0, sd = 0;
    for (int64_t b = 0; b < nbin; b++) {
        const double dc = 0.5 * (edges[b] + edges[b + 1]);
        if (fabs(dc - 4.37) < 0.1)
            s += out[b], sd += out[b] * dc;
    }
    CHECK_NEAR(sd / s, 4.37, 2e-4);
    /* On a q axis beyond the spectrum: NaN. */
    for (int64_t b = 0; b <= nbin; b++)
        edges[b] = 30 + (double)b;
    CHECK_OK(tsct_edxrd_rebin(&cal, 0, v, NULL, nchan, edges, nbin, out, NULL, &err), &err);
    CHECK(isnan(out[0]) && isnan(out[nbin - 1]));
    free(v), free(edges), free(out), free(vo);
}

/* The v2o5 preset's truth: fractions sum to 1, delta never decreases, layer l is layer 0
 * delayed by l lags, and alpha's c follows its solid solution. */
static void test_v2o5_state(void)
{
    tsct_sim_edxrd_preset p;
    tsct_sim_edxrd_preset_v2o5(&p);
    const double h = p.half_cycle_h * 3600, lag = p.lag * h;
    double x, f[TSCT_SIM_EDXRD_NPHASE], c[TSCT_SIM_EDXRD_NPHASE], delta_prev = 0;
    int bad_sum = 0, bad_delta = 0, bad_lag = 0;
    for (double s = 0; s <= 4 * h; s += 97) {
        tsct_sim_edxrd_state(&p, 0, s, &x, f, c);
        const double sum = f[0] + f[1] + f[2] + f[3];
        bad_sum += fabs(sum - 1) > 1e-12;
        bad_delta += f[3] < delta_prev - 1e-15;
        delta_prev = f[3];
        double x3, f3[4], c3[4];
        tsct_sim_edxrd_state(&p, 3, s + 3 * lag, &x3, f3, c3);
        bad_lag += fabs(x3 - x) > 1e-12 || fabs(f3[1] - f[1]) > 1e-12;
    }
    CHECK_MSG(bad_sum == 0 && bad_delta == 0 && bad_lag == 0,
              "%d sums, %d delta decreases, %d lags wrong", bad_sum, bad_delta, bad_lag);
    /* At 5 % of the first discharge x = 0.0475: alpha only. */
    tsct_sim_edxrd_state(&p, 0, 0.05 * h, &x, f, c);
    CHECK_NEAR(x, 0.05 * 0.95, 1e-12);
    CHECK(f[0] == 1 && f[1] == 0);
    CHECK_NEAR(c[0], 4.368 + 0.12 * x, 1e-12);
    /* The end of the first discharge: x = 0.95, delta 2/3 of the layer, epsilon' the rest. */
    tsct_sim_edxrd_state(&p, 0, h, &x, f, c);
    CHECK_NEAR(f[3], 2.0 / 3.0, 1e-12);
    CHECK_NEAR(f[2], 1.0 / 3.0, 1e-12);
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_FAILS(tsct_sim_edxrd_set(&p, "layers", "0", &err), TSCT_ERR_VALUE, &err, "1 .. 64");
    CHECK_FAILS(tsct_sim_edxrd_set(&p, "colour", "1", &err), TSCT_ERR_NOT_FOUND, &err,
                "known: layers");
}

int main(void)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tsct_test_tmpdir(TSCT_TEST_TMP));
    test_conversions();
    test_reading(dir);
    test_calibration();
    test_smooth_and_rebin();
    test_v2o5_state();
    return tsct_test_finish("test_edxrd");
}
