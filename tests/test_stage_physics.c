/* test_stage_physics.c - the attenuation map (tsct_stage_attenuation, tsct/stage_physics.h):
 *
 * - a container whose /entry/scan/transmission is exp(-step x the exact line integrals of a
 *   known mu image) (tsct_sim_project, thin rays), recorded as a snake scan, gives mu back:
 *   equal to the FBP of the line integrals themselves to 1e-5 of max (zigzag, log, units),
 *   and to the image within 4 % RMS of max inside the circle (measured 2.9 %: FBP of a
 *   pixelated image with sharp edges);
 * - a run with the same settings is up to date; resuming is the step machinery's;
 * - no transmission, a transmission of the wrong shape: clear errors, no output.
 */
#include <math.h>

#include "tsct/container.h"
#include "tsct/simulate.h"
#include "tsct/stage.h"
#include "tsct/tomo.h"
#include "stage_test_util.h"
#include "tsct_test.h"

enum { N = 48, NA = 60 };

/* A container with the scan axes and, unless ns_written is 0, a transmission [1][1][NA][ns]. */
static void make_container(const char *path, const float *T, int64_t ns_written, double step)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    remove(path);
    CHECK_OK(tsct_container_create(path, 1, &c, &err), &err);
    if (!c)
        return;
    double ang[NA], tr[N];
    for (int a = 0; a < NA; a++)
        ang[a] = 180.0 * a / NA;
    for (int j = 0; j < N; j++)
        tr[j] = (j - N / 2) * step;
    CHECK_OK(tsct_container_write_vector(c, TSCT_PATH_SCAN "/angle", ang, NA, "deg", &err), &err);
    CHECK_OK(tsct_container_write_vector(c, TSCT_PATH_SCAN "/translation", tr, N, "mm", &err),
             &err);
    CHECK_OK(tsct_container_set_attr_int(c, TSCT_PATH_SCAN, "zigzag", 1, &err), &err);
    if (ns_written > 0) {
        tsct_dataset *d = NULL;
        const int64_t shape[4] = {1, 1, NA, ns_written}, start[4] = {0, 0, 0, 0};
        CHECK_OK(tsct_dataset_create(c, TSCT_PATH_SCAN "/transmission", 4, shape, NULL, &d, &err),
                 &err);
        if (d)
            CHECK_OK(tsct_dataset_write(d, start, shape, T, &err), &err);
        tsct_dataset_close(d);
    }
    CHECK_OK(tsct_container_close(c, &err), &err);
}

int main(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const char *dir = tsct_test_tmpdir("stage_physics");
    char path[1024], bad[1024];
    snprintf(path, sizeof path, "%s/att.h5", dir);
    snprintf(bad, sizeof bad, "%s/att_bad.h5", dir);
    const double step = 0.05;   /* mm */
    /* mu (1/mm): a disc of 0.3 holding a smooth bump and a denser off-centre disc */
    static float mu[N * N], line[NA * N], T[NA * N];
    for (int i = 0; i < N; i++)
        for (int k = 0; k < N; k++) {
            double y = i - N / 2, x = k - N / 2, r = hypot(x, y);
            double v = r < 20 ? 0.3 + 0.2 * exp(-((x - 5) * (x - 5) + y * y) / 40.0) : 0.0;
            if (hypot(x + 8, y - 6) < 5)
                v = 1.2;
            mu[i * N + k] = (float)v;
        }
    double ang[NA];
    for (int a = 0; a < NA; a++)
        ang[a] = 180.0 * a / NA;
    CHECK_OK(tsct_sim_project(mu, N, 1, ang, NA, N, NULL, 1, line, &err), &err);
    for (int a = 0; a < NA; a++)
        for (int j = 0; j < N; j++) {
            /* snake order: odd rows recorded backwards */
            int jj = a % 2 ? N - 1 - j : j;
            T[a * N + jj] = (float)exp(-step * line[a * N + j]);
        }
    make_container(path, T, N, step);
    tsct_stage_ctx ctx = TSCT_STAGE_CTX_DEFAULT;
    ctx.nthreads = 1;
    tsct_stage_report rep;
    CHECK_OK(tsct_stage_attenuation(path, NULL, &ctx, &rep, &err), &err);
    CHECK(rep.ran == 1 && rep.units == 1);
    int64_t sh[8] = {0};
    float *got = stage_test_read_all(path, TSCT_PATH_ATTENUATION, sh, &err);
    CHECK(got && sh[0] == 1 && sh[1] == 1 && sh[2] == N && sh[3] == N);
    /* the FBP of the line integrals themselves, in 1/mm per voxel step */
    static float want[N * N];
    tsct_tomo_fbp_plan *plan = NULL;
    CHECK_OK(tsct_tomo_fbp_plan_create(NULL, NA, N, ang, &plan, &err), &err);
    if (got && plan) {
        size_t wb = tsct_tomo_fbp_workspace_size(plan);
        void *work = malloc(wb);
        CHECK_OK(tsct_tomo_fbp_execute(plan, line, 1, 1, want, 1, work, wb, &err), &err);
        free(work);
        double worst = 0, sum2 = 0, mx = 0;
        int64_t inside = 0;
        for (int v = 0; v < N * N; v++) {
            worst = fmax(worst, fabs(got[v] - want[v]));
            mx = fmax(mx, mu[v]);
            int i = v / N, k = v % N;
            if (hypot(i - N / 2, k - N / 2) <= N / 2) {
                sum2 += (got[v] - mu[v]) * (got[v] - mu[v]);
                inside++;
            }
        }
        double rms = sqrt(sum2 / (double)inside);
        CHECK_MSG(worst < 1e-5 * mx, "mu vs FBP of the line integrals: %.3g (max %.3g)", worst,
                  mx);
        CHECK_MSG(rms < 0.04 * mx, "mu vs the image: RMS %.4f of max %.3g 1/mm (%.2f %%)", rms,
                  mx, 100 * rms / mx);
        printf("attenuation map: RMS %.2f %% of max mu inside the circle\n", 100 * rms / mx);
    }
    tsct_tomo_fbp_plan_destroy(plan);
    free(got);
    /* the same settings again, incremental: up to date */
    ctx.incremental = 1;
    CHECK_OK(tsct_stage_attenuation(path, NULL, &ctx, &rep, &err), &err);
    CHECK(rep.ran == 0);

    /* bad input */
    make_container(bad, T, 0, step);
    CHECK_FAILS(tsct_stage_attenuation(bad, NULL, &ctx, &rep, &err), TSCT_ERR_NOT_FOUND, &err,
                "no transmission");
    make_container(bad, T, N - 3, step);
    CHECK_FAILS(tsct_stage_attenuation(bad, NULL, &ctx, &rep, &err), TSCT_ERR_SHAPE, &err,
                "translations");
    tsct_container *c = NULL;
    CHECK_OK(tsct_container_open(bad, TSCT_OPEN_READ, &c, &err), &err);
    CHECK(c && !tsct_container_exists(c, TSCT_PATH_ATTENUATION));
    tsct_container_close(c, NULL);
    tsct_stage_attenuation_params p = TSCT_STAGE_ATTENUATION_PARAMS_DEFAULT;
    p.floor = 0;
    CHECK_FAILS(tsct_stage_attenuation(path, &p, &ctx, &rep, &err), TSCT_ERR_VALUE, &err,
                "floor");
    return tsct_test_finish("test_stage_physics");
}
