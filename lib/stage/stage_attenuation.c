/* stage_attenuation.c - the sample's attenuation map from its measured transmission
 * (include/tsct/stage_physics.h): absorption CT of -ln T, one (time, slice) per unit of a
 * resumable step, for the reconstruction models that weight each voxel by its incident and
 * outgoing attenuation (docs/tomo.md).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/sino.h"
#include "tsct/stage.h"

#define TRANSMISSION TSCT_PATH_SCAN "/transmission"

struct att {
    tsct_container *c;
    tsct_dataset *in, *out;
    tsct_step *step;
    tsct_tomo_fbp_plan *plan;
    double *angles, *trans;
    float *sino, *image;
    void *work;
    char *fp;
};

static void att_release(struct att *a)
{
    tsct_dataset_close(a->in);
    tsct_dataset_close(a->out);
    tsct_step_close(a->step);
    tsct_tomo_fbp_plan_destroy(a->plan);
    tsct_container_close(a->c, NULL);
    free(a->angles);
    free(a->trans);
    free(a->sino);
    free(a->image);
    free(a->work);
    free(a->fp);
}

/* -ln T of one (time, slice), flipped back to the sinogram's order; T clipped at floor. */
static tsct_status log_sino(struct att *a, int64_t t, int64_t z, int64_t na, int64_t ns,
                            int zig, double floor_t, tsct_error *err)
{
    const int64_t start[4] = {t, z, 0, 0}, count[4] = {1, 1, na, ns};
    TSCT_TRY(tsct_dataset_read(a->in, start, count, a->sino, err));
    if (zig)
        TSCT_TRY(tsct_sino_zigzag(a->sino, na, ns, 1, 1, err));
    for (int64_t k = 0; k < na * ns; k++) {
        double T = a->sino[k];
        a->sino[k] = (float)-log(isfinite(T) && T > floor_t ? T : floor_t);
    }
    return TSCT_OK;
}

tsct_status tsct_stage_attenuation(const char *container,
                                   const tsct_stage_attenuation_params *params,
                                   const tsct_stage_ctx *ctx, tsct_stage_report *report,
                                   tsct_error *err)
{
    static const tsct_stage_attenuation_params defaults = TSCT_STAGE_ATTENUATION_PARAMS_DEFAULT;
    const tsct_stage_attenuation_params *p = params ? params : &defaults;
    tsct_stage_report local;
    report = tsct__stage_report(report, &local);
    ctx = tsct__stage_ctx(ctx);
    if (!(p->floor > 0 && p->floor < 1) || (unsigned)p->zigzag > TSCT_STAGE_ZIGZAG_NO ||
        (unsigned)p->filter >= TSCT_TOMO_FBP_FILTER_COUNT_)
        return tsct_error_set(err, TSCT_ERR_VALUE, container, "attenuation", -1,
                              "floor %g (0 .. 1), zigzag mode %d, filter %d out of range",
                              p->floor, (int)p->zigzag, (int)p->filter);
    struct att a;
    memset(&a, 0, sizeof a);
    int64_t shape[8] = {0}, na = 0, ns = 0;
    tsct_status st = tsct_container_open(container, TSCT_OPEN_WRITE, &a.c, err);
    if (st == TSCT_OK && !tsct_container_exists(a.c, TRANSMISSION))
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, container, TRANSMISSION, -1,
                            "no transmission recorded: the attenuation map needs the "
                            "sample's transmission at every point (tsct integrate "
                            "--transmission-dataset, or a simulated scan)");
    if (st == TSCT_OK)
        st = tsct_dataset_open(a.c, TRANSMISSION, &a.in, err);
    if (st == TSCT_OK)
        st = tsct_container_read_vector(a.c, TSCT_PATH_SCAN "/angle", &a.angles, &na, err);
    if (st == TSCT_OK)
        st = tsct_container_read_vector(a.c, TSCT_PATH_SCAN "/translation", &a.trans, &ns, err);
    if (st == TSCT_OK && (tsct_dataset_shape(a.in, shape) != 4 || shape[2] != na ||
                          shape[3] != ns || ns < 2))
        st = tsct_error_set(err, TSCT_ERR_SHAPE, container, TRANSMISSION, -1,
                            "expected [nt][nz][%lld angles][%lld translations] (at least 2), "
                            "found %lld x %lld x %lld x %lld",
                            (long long)na, (long long)ns, (long long)shape[0],
                            (long long)shape[1], (long long)shape[2], (long long)shape[3]);
    const double step_mm = st == TSCT_OK ? fabs(a.trans[1] - a.trans[0]) : 0;
    if (st == TSCT_OK && !(step_mm > 0 && isfinite(step_mm)))
        st = tsct_error_set(err, TSCT_ERR_VALUE, container, TSCT_PATH_SCAN "/translation", 1,
                            "translation step %g mm: expected > 0", step_mm);
    int zig = p->zigzag == TSCT_STAGE_ZIGZAG_YES;
    if (st == TSCT_OK && p->zigzag == TSCT_STAGE_ZIGZAG_AUTO) {
        int64_t v = 0;
        zig = tsct_container_get_attr_int(a.c, TSCT_PATH_SCAN, "zigzag", &v, NULL) == TSCT_OK && v;
    }
    const int64_t nt = shape[0], nz = shape[1];
    tsct_stage_settings set;
    tsct_stage_settings_init(&set);
    tsct_stage_settings_add(&set, "zigzag", "%d", zig);
    tsct_stage_settings_add(&set, "filter", "%s", tsct_tomo_fbp_filter_name(p->filter));
    tsct_stage_settings_add(&set, "floor", "%.17g", p->floor);
    static const char *const upstream[] = {"integrate", "simulate", NULL};
    if (st == TSCT_OK && !(a.fp = tsct_stage_fingerprint(a.c, upstream, set.text)))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "fingerprint", -1, "record");
    if (st == TSCT_OK && tsct_stage_up_to_date(ctx, a.c, "attenuation", a.fp)) {
        tsct_stage_settings_release(&set);
        att_release(&a);
        return TSCT_OK;
    }
    tsct_tomo_fbp_params fp = TSCT_TOMO_FBP_PARAMS_DEFAULT;
    fp.filter = p->filter;
    fp.nthreads = ctx->nthreads;
    fp.channel_block = 1;
    if (st == TSCT_OK)
        st = tsct_tomo_fbp_plan_create(&fp, na, ns, a.angles, &a.plan, err);
    const int64_t n = st == TSCT_OK ? tsct_tomo_fbp_plan_output_size(a.plan) : 0;
    const size_t wbytes = st == TSCT_OK ? tsct_tomo_fbp_workspace_size(a.plan) : 0;
    if (st == TSCT_OK) {
        a.sino = malloc((size_t)(na * ns) * sizeof *a.sino);
        a.image = malloc((size_t)(n * n) * sizeof *a.image);
        a.work = malloc(wbytes);
        if (!a.sino || !a.image || !a.work)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, container, "attenuation", -1,
                                "a %lld x %lld sinogram and image", (long long)na, (long long)n);
    }
    if (st == TSCT_OK) {
        tsct_step_info info = {"attenuation", ctx->command_line, set.text, a.fp, nt * nz,
                               set.text, NULL, 0};
        st = tsct_step_begin(a.c, &info, ctx->log, &a.step, err);
    }
    if (st == TSCT_OK) {
        const int64_t oshape[4] = {nt, nz, n, n};
        tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
        dp.chunk_axes = 1;
        st = tsct_step_dataset(a.step, TSCT_PATH_ATTENUATION, 4, oshape, -1, &dp, &a.out, err);
    }
    if (st == TSCT_OK)
        st = tsct_dataset_set_attr_string(a.out, "units", "1/mm", err);
    if (st == TSCT_OK)
        st = tsct_dataset_set_attr_string(a.out, "method", "fbp of -ln(transmission)", err);
    if (st == TSCT_OK)
        st = tsct_dataset_set_attr_double(a.out, "translation_step_mm", step_mm, err);
    int64_t done = 0;
    for (int64_t u = 0; st == TSCT_OK && u < nt * nz; u++) {
        if (tsct_step_is_done(a.step, u))
            continue;
        const int64_t t = u / nz, z = u % nz;
        st = log_sino(&a, t, z, na, ns, zig, p->floor, err);
        if (st == TSCT_OK)
            st = tsct_tomo_fbp_execute(a.plan, a.sino, 1, 1, a.image, 1, a.work, wbytes, err);
        for (int64_t k = 0; st == TSCT_OK && k < n * n; k++)
            a.image[k] = (float)(a.image[k] / step_mm);
        const int64_t start[4] = {t, z, 0, 0}, count[4] = {1, 1, n, n};
        if (st == TSCT_OK)
            st = tsct_dataset_write(a.out, start, count, a.image, err);
        if (st == TSCT_OK)
            st = tsct_step_mark_done(a.step, u, 1, err);
        done++;
    }
    tsct_dataset_close(a.out);
    a.out = NULL;
    if (st == TSCT_OK) {
        st = tsct_step_commit(a.step, err);
        a.step = NULL;
    }
    if (st == TSCT_OK)
        tsct__stage_ran(ctx, report, done, 0, TSCT_LOG_INFO,
                        "attenuation: %lld slice(s) of %lld x %lld voxels into %s "
                        "(1/mm, absorption CT of -ln T)",
                        (long long)(nt * nz), (long long)n, (long long)n,
                        TSCT_PATH_ATTENUATION);
    tsct_stage_settings_release(&set);
    att_release(&a);
    return st;
}
