/* test_stage.c - the pipeline stages through the library alone (include/tsct/stage.h), as a
 * second front end (the Python module, an MPI driver) would call them: no tsct program, a
 * small simulated container, each stage's output checked against an exact expectation.
 *
 * recon: the demo preset (24 x 24 voxels, 2 time steps) through the sinogram stage, then
 *  - tsct_stage_recon writes /entry/recon [2][1][n][n][nq] equal to the FBP kernel's
 *    reconstruction of every (time, slice) with all channels at once (the stage streams
 *    blocks of channels; relative 1e-5 of the largest value: FFTW's measured plans may round
 *    a block differently), records the settings word for word as `tsct recon` always did
 *    (fingerprint compatibility), reports its units, and is up to date on an incremental
 *    rerun;
 *  - tsct_stage_recon_array on the second time step's sinogram written to a plain file, not
 *    centred (as the sinogram stage centred it), gives that time step's image (same
 *    tolerance); SIRT on a plain array gives the container's SIRT exactly;
 *  - bad parameters and inputs come back as statuses naming what was wrong.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/container.h"
#include "tsct/phase.h"
#include "tsct/simulate.h"
#include "tsct/stage.h"
#include "tsct/tomo.h"
#include "stage_test_util.h"
#include "tsct_test.h"

static char dir[1024];

/* max |a - b| / max |b| over n values */
static double rel_diff(const float *a, const float *b, int64_t n)
{
    double m = 0, d = 0;
    for (int64_t i = 0; i < n; i++) {
        m = fmax(m, fabs(b[i]));
        d = fmax(d, fabs((double)a[i] - b[i]));
    }
    return m > 0 ? d / m : d;
}

/* The sinograms of (t, 0) and the scan's angles into a plain file as /s and /theta. */
static void write_plain(const char *exp, int64_t t, const char *plain, tsct_error *err)
{
    int64_t sh[8];
    float *s = stage_test_read_all(exp, TSCT_PATH_SINOGRAMS, sh, err);
    tsct_container *c = NULL, *e = NULL;
    tsct_dataset *d = NULL;
    double *th = NULL;
    int64_t na = 0;
    const int64_t ps[3] = {sh[2], sh[3], sh[4]}, zero[3] = {0, 0, 0};
    CHECK(s != NULL);
    CHECK_OK(tsct_container_open(exp, TSCT_OPEN_READ, &e, err), err);
    CHECK_OK(tsct_container_read_vector(e, TSCT_PATH_SCAN "/angle", &th, &na, err), err);
    CHECK_OK(tsct_container_create(plain, 1, &c, err), err);
    CHECK_OK(tsct_dataset_create(c, "/s", 3, ps, NULL, &d, err), err);
    if (s && d)
        CHECK_OK(tsct_dataset_write(d, zero, ps, s + t * sh[1] * ps[0] * ps[1] * ps[2], err),
                 err);
    CHECK_OK(tsct_container_write_vector(c, "/theta", th, na, "deg", err), err);
    tsct_dataset_close(d);
    CHECK_OK(tsct_container_close(c, err), err);
    tsct_container_close(e, NULL);
    free(th);
    free(s);
}

/* The FBP kernel on every channel of sinograms (t, 0) at once: image [n][n][nq]. */
static float *fbp_direct(const float *sino, const int64_t *sh, const double *th, int64_t t,
                         int64_t *n, tsct_error *err)
{
    const int64_t na = sh[2], ns = sh[3], nq = sh[4];
    tsct_tomo_fbp_plan *plan = NULL;
    CHECK_OK(tsct_tomo_fbp_plan_create(NULL, na, ns, th, &plan, err), err);
    if (!plan)
        return NULL;
    *n = tsct_tomo_fbp_plan_output_size(plan);
    size_t wb = tsct_tomo_fbp_workspace_size(plan);
    void *work = malloc(wb);
    float *img = malloc((size_t)(*n * *n * nq) * sizeof *img);
    CHECK_OK(tsct_tomo_fbp_execute(plan, sino + t * sh[1] * na * ns * nq, nq, nq, img, nq, work, wb,
                                   err),
             err);
    free(work);
    tsct_tomo_fbp_plan_destroy(plan);
    return img;
}

static void test_stage_recon(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    char exp[1200], plain[1200], out[1200], out2[1200], attr[1024], want[512];
    snprintf(exp, sizeof exp, "%s/recon.h5", dir);
    snprintf(plain, sizeof plain, "%s/recon_plain.h5", dir);
    snprintf(out, sizeof out, "%s/recon_image.h5", dir);
    snprintf(out2, sizeof out2, "%s/recon_image_sirt.h5", dir);
    remove(exp);
    remove(out);
    remove(out2);
    tsct_sim_preset p;
    CHECK_OK(tsct_sim_preset_get("demo", &p, &err), &err);
    CHECK_OK(tsct_sim_preset_set(&p, "n", "24", &err), &err);
    CHECK_OK(tsct_sim_preset_set(&p, "nt", "2", &err), &err);
    tsct_sim_run_params rp = {1, tsct_phase_default_dirs(), NULL, "test_stage", 0, 0};
    CHECK_OK(tsct_sim_run_patterns(&p, exp, &rp, NULL, NULL, &err), &err);
    tsct_stage_ctx ctx = TSCT_STAGE_CTX_DEFAULT;
    tsct_stage_report rep;
    tsct_stage_sinogram_params sp = TSCT_STAGE_SINOGRAM_PARAMS_DEFAULT;
    sp.air = 2;
    CHECK_OK(tsct_stage_sinogram(exp, &sp, &ctx, &rep, &err), &err);

    /* the container: blocks of 256 channels against all channels at once */
    tsct_stage_recon_params rp0 = TSCT_STAGE_RECON_PARAMS_DEFAULT;
    CHECK_OK(tsct_stage_recon(exp, &rp0, &ctx, &rep, &err), &err);
    int64_t ssh[8] = {0}, vsh[8] = {0}, n = 0;
    float *sino = stage_test_read_all(exp, TSCT_PATH_SINOGRAMS, ssh, &err);
    float *vol = stage_test_read_all(exp, TSCT_PATH_RECON, vsh, &err);
    const int64_t nq = ssh[4], nblk = (nq + 255) / 256;
    CHECK(rep.ran == 1 && rep.time_first == 0 && rep.units == ssh[0] * ssh[1] * nblk);
    CHECK(strstr(rep.what, TSCT_PATH_RECON) != NULL);
    tsct_container *c = NULL;
    double *th = NULL;
    int64_t na = 0;
    CHECK_OK(tsct_container_open(exp, TSCT_OPEN_READ, &c, &err), &err);
    CHECK_OK(tsct_container_read_vector(c, TSCT_PATH_SCAN "/angle", &th, &na, &err), &err);
    CHECK_OK(tsct_container_get_attr_string(c, TSCT_PATH_PROCESS "/recon", "settings", attr,
                                            sizeof attr, &err), &err);
    tsct_container_close(c, NULL);
    for (int64_t t = 0; sino && vol && t < ssh[0]; t++) {
        float *img = fbp_direct(sino, ssh, th, t, &n, &err);
        CHECK(vsh[0] == ssh[0] && vsh[1] == 1 && vsh[2] == n && vsh[3] == n && vsh[4] == nq);
        const int64_t m = n * n * nq;
        if (img && vsh[2] == n)
            CHECK_NEAR(rel_diff(vol + t * m, img, m), 0.0, 1e-5);
        free(img);
    }
    /* the record `tsct recon` wrote before the stage moved: sinograms centred, no centre */
    snprintf(want, sizeof want, "method=0 filter=ramp iterations=100 nonneg=0 size=%lld "
             "circle=1 centre=-1 block=256 deflate=1", (long long)n);
    CHECK_MSG(strcmp(attr, want) == 0, "settings '%s', expected '%s'", attr, want);
    ctx.incremental = 1;
    CHECK_OK(tsct_stage_recon(exp, &rp0, &ctx, &rep, &err), &err);
    CHECK(rep.ran == 0 && rep.units == 0 && rep.what[0] == '\0');
    ctx.incremental = 0;

    /* a plain array: time step 1's sinogram, already centred */
    write_plain(exp, 1, plain, &err);
    char input[1300], angles[1300];
    snprintf(input, sizeof input, "%s::/s", plain);
    snprintf(angles, sizeof angles, "%s::/theta", plain);
    tsct_stage_recon_array_params ap = TSCT_STAGE_RECON_ARRAY_PARAMS_DEFAULT;
    ap.angles = angles;
    tsct_stage_recon_params rpn = TSCT_STAGE_RECON_PARAMS_DEFAULT;
    rpn.centre = TSCT_STAGE_CENTRE_NONE;
    CHECK_OK(tsct_stage_recon_array(input, out, &rpn, &ap, &ctx, &rep, &err), &err);
    CHECK(rep.ran == 1 && rep.units == nq);
    int64_t ish[8] = {0};
    float *img = stage_test_read_all(out, "/data", ish, &err);
    const int64_t m = n * n * nq;
    CHECK(img && ish[0] == n && ish[1] == n && ish[2] == nq);
    if (img && vol && ish[0] == n)
        CHECK_NEAR(rel_diff(img, vol + m, m), 0.0, 1e-5);
    free(img);

    /* SIRT: no FFT, so the plain array and the container agree exactly */
    rpn.method = TSCT_STAGE_RECON_SIRT;
    rpn.iterations = 3;
    rpn.block = 1000;
    CHECK_OK(tsct_stage_recon_array(input, out2, &rpn, &ap, &ctx, &rep, &err), &err);
    rpn.centre = TSCT_STAGE_CENTRE_DEFAULT;
    CHECK_OK(tsct_stage_recon(exp, &rpn, &ctx, &rep, &err), &err);
    float *a = stage_test_read_all(out2, "/data", ish, &err), *b = stage_test_read_all(exp, TSCT_PATH_RECON, vsh, &err);
    if (a && b)
        CHECK(memcmp(a, b + m, (size_t)m * sizeof *a) == 0);
    free(a);
    free(b);

    /* errors */
    tsct_stage_recon_params bad = TSCT_STAGE_RECON_PARAMS_DEFAULT;
    bad.method = (tsct_stage_recon_method)7;
    CHECK_FAILS(tsct_stage_recon(exp, &bad, &ctx, NULL, &err), TSCT_ERR_VALUE, &err, "enum");
    bad = rp0;
    bad.block = 0;
    CHECK_FAILS(tsct_stage_recon(exp, &bad, &ctx, NULL, &err), TSCT_ERR_VALUE, &err, "block");
    bad = rp0;
    bad.centre = TSCT_STAGE_CENTRE_FIXED;
    bad.centre_value = 1e6;
    CHECK_FAILS(tsct_stage_recon(exp, &bad, &ctx, NULL, &err), TSCT_ERR_VALUE, &err,
                "outside");
    CHECK_FAILS(tsct_stage_recon(plain, NULL, NULL, NULL, &err), TSCT_ERR_NOT_FOUND, &err,
                TSCT_PATH_SINOGRAMS);
    ap.angles = NULL;
    ap.angle_range[0] = ap.angle_range[1] = 5;
    CHECK_FAILS(tsct_stage_recon_array(input, out, NULL, &ap, NULL, NULL, &err),
                TSCT_ERR_VALUE, &err, "A != B");
    ap = (tsct_stage_recon_array_params)TSCT_STAGE_RECON_ARRAY_PARAMS_DEFAULT;
    ap.row = 1000000;
    CHECK_FAILS(tsct_stage_recon_array(input, out, NULL, &ap, NULL, NULL, &err),
                TSCT_ERR_SHAPE, &err, "row");
    free(th);
    free(sino);
    free(vol);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", tsct_test_tmpdir(TSCT_TEST_TMP));
    test_stage_recon();
    return tsct_test_finish("test_stage");
}
