/* test_stage_edxrd.c - the edxrd stage through the library alone (tsct_stage_edxrd): five text
 * spectra of three layers, listed out of time order, each of constant counts, without
 * normalisation: every bin of a spectrum's pattern is its counts / live time exactly, the
 * layers are the sorted z, each layer's rounds follow the time stamps, the round a layer lacks
 * is NaN, and the axis, z, times and calibration are recorded. Then an incremental rerun is up
 * to date, and the errors of the stage: no live time, an axis outside the beam.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tsct/container.h"
#include "tsct/stage.h"
#include "tsct_test.h"

static void write_spectrum(const char *path, double counts, double live, double z, double t,
                           int64_t nchan)
{
    FILE *f = fopen(path, "w");
    if (live > 0)
        fprintf(f, "# live_time %g\n", live);
    fprintf(f, "# z %g\n# time %g\n", z, t);
    for (int64_t c = 0; c < nchan; c++)
        fprintf(f, "%g\n", counts);
    fclose(f);
}

int main(void)
{
    char dir[4096], files[6][4200], exp[4200];
    snprintf(dir, sizeof dir, "%s", tsct_test_tmpdir(TSCT_TEST_TMP));
    const int64_t nchan = 4096;
    /* spectrum k: counts, z, time (s); layer 2 is measured once */
    const double counts[5] = {100, 200, 300, 400, 500}, z[5] = {0.03, 0, 0.06, 0.03, 0};
    const double t[5] = {50, 10, 90, 130, 170};
    const char *specs[6];
    for (int k = 0; k < 5; k++) {
        snprintf(files[k], sizeof files[k], "%s/s%d.txt", dir, k);
        write_spectrum(files[k], counts[k], 10, z[k], t[k], nchan);
        specs[k] = files[k];
    }
    snprintf(exp, sizeof exp, "%s/exp.h5", dir);
    remove(exp);
    tsct_stage_edxrd_params p = TSCT_STAGE_EDXRD_PARAMS_DEFAULT;
    p.spectra = specs, p.nspectra = 5;
    p.calibration.degree = 1, p.calibration.coef[0] = 0, p.calibration.coef[1] = 0.04;
    p.calibration.tth = 2.29;
    p.min = 3.8, p.max = 5.2, p.bins = 100;
    p.norm = TSCT_STAGE_EDXRD_NORM_NONE;
    p.beam_min = 50, p.beam_max = 150;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = TSCT_STAGE_CTX_DEFAULT;
    ctx.incremental = 1;
    tsct_stage_report rep;
    CHECK_OK(tsct_stage_edxrd(exp, &p, &ctx, &rep, &err), &err);
    CHECK(rep.ran == 1 && rep.units == 5);
    tsct_container *c = NULL;
    CHECK_OK(tsct_container_open(exp, TSCT_OPEN_READ, &c, &err), &err);
    tsct_dataset *d = NULL;
    CHECK_OK(tsct_dataset_open(c, TSCT_PATH_INTEGRATED, &d, &err), &err);
    int64_t s[8] = {0};
    CHECK(d && tsct_dataset_shape(d, s) == 5 && s[0] == 2 && s[1] == 3 && s[2] == 1 &&
          s[3] == 1 && s[4] == 100);
    /* round t, layer l -> the spectrum expected there (-1: none) */
    const int expect[2][3] = {{1, 0, 2}, {4, 3, -1}};
    float row[100];
    for (int r = 0; r < 2 && d; r++)
        for (int l = 0; l < 3; l++) {
            const int64_t lead[4] = {r, l, 0, 0};
            CHECK_OK(tsct_dataset_read_row(d, lead, row, &err), &err);
            int bad = 0;
            for (int b = 0; b < 100; b++)
                bad += expect[r][l] < 0 ? !isnan(row[b])
                                        : row[b] != (float)(counts[expect[r][l]] / 10);
            CHECK_MSG(bad == 0, "round %d layer %d: %d bins wrong (first %g)", r, l, bad,
                      (double)row[0]);
        }
    tsct_dataset_close(d);
    double *v = NULL;
    int64_t n = 0;
    CHECK_OK(tsct_container_read_vector(c, TSCT_PATH_SCAN "/z", &v, &n, &err), &err);
    CHECK(n == 3 && v[0] == 0 && v[1] == 0.03 && v[2] == 0.06);
    free(v);
    CHECK_OK(tsct_container_read_vector(c, TSCT_PATH_INTEGRATED_Q, &v, &n, &err), &err);
    CHECK(n == 100);
    if (n == 100) {
        CHECK_NEAR(v[0], 3.807, 1e-12);
        CHECK_NEAR(v[99], 5.193, 1e-12);
    }
    free(v);
    CHECK_OK(tsct_container_read_vector(c, TSCT_PATH_SCAN "/time", &v, &n, &err), &err);
    CHECK(n == 2 && v[0] == 50 && v[1] == 150);
    free(v);
    double tth = 0;
    CHECK_OK(tsct_container_get_attr_double(c, "/entry/edxrd", "tth", &tth, &err), &err);
    CHECK(tth == 2.29);
    tsct_container_close(c, NULL);

    /* The same call again is up to date. */
    CHECK_OK(tsct_stage_edxrd(exp, &p, &ctx, &rep, &err), &err);
    CHECK(rep.ran == 0);

    /* No live time; an axis outside the beam. */
    snprintf(files[5], sizeof files[5], "%s/nolive.txt", dir);
    write_spectrum(files[5], 5, 0, 0, 210, nchan);
    specs[5] = files[5];
    p.nspectra = 6;
    CHECK_FAILS(tsct_stage_edxrd(exp, &p, &ctx, &rep, &err), TSCT_ERR_VALUE, &err,
                "no live time");
    p.nspectra = 5;
    p.min = 2.0;
    CHECK_FAILS(tsct_stage_edxrd(exp, &p, &ctx, &rep, &err), TSCT_ERR_VALUE, &err,
                "outside the beam's 50 .. 150 keV");
    return tsct_test_finish("test_stage_edxrd");
}
