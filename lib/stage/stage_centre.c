/* stage_centre.c - the centre of rotation as the sinogram and recon stages ask for it, and
 * whole arrays from files for their side inputs (monitors, flats, plain sinograms). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/array.h"
#include "tsct/image.h"
#include "tsct/publish.h"
#include "tsct/sino.h"

tsct_status tsct__stage_find_centre(const tsct_stage_ctx *ctx, const char *what,
                                    tsct_stage_centre_mode mode, double value, const float *profile,
                                    int64_t na, int64_t ns, const double *th, double *centre,
                                    tsct_error *err)
{
    *centre = -1.0;
    if (mode == TSCT_STAGE_CENTRE_NONE)
        return TSCT_OK;
    if (mode == TSCT_STAGE_CENTRE_FIXED) {
        if (value > (double)(ns - 1))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--centre", -1,
                                  "%g is outside the %lld translation positions", value,
                                  (long long)ns);
        *centre = value;
        tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s: centre of rotation %.3f (given)", what,
                     *centre);
        return TSCT_OK;
    }
    tsct_sino_centre_params p = TSCT_SINO_CENTRE_PARAMS_DEFAULT;
    p.nthreads = ctx->nthreads;
    tsct_sino_centre_report pair = {0}, vo = {0};
    int want_pair = mode != TSCT_STAGE_CENTRE_VO, want_vo = mode != TSCT_STAGE_CENTRE_PAIR;
    if (want_pair)
        TSCT_TRY(tsct_sino_centre_find(profile, na, ns, th, &p, &pair, err));
    if (want_vo) {
        p.method = TSCT_SINO_CENTRE_VO;
        tsct_error e2 = TSCT_ERROR_INIT;
        tsct_status st = tsct_sino_centre_find(profile, na, ns, th, &p, &vo, &e2);
        if (st != TSCT_OK) {
            if (!want_pair) {
                *err = e2;
                return st;
            }
            tsct_log_msg(ctx->log, TSCT_LOG_WARN, "%s: Vo method failed: %s", what,
                         e2.message);
            want_vo = 0;
        }
    }
    *centre = want_pair ? pair.centre : vo.centre;
    if (want_pair && want_vo) {
        tsct_log_msg(ctx->log, TSCT_LOG_INFO,
                     "%s: centre of rotation %.3f (0/180 pairs, %lld pair(s), %.3g deg from "
                     "180); Vo method %.3f", what, pair.centre, (long long)pair.npairs,
                     pair.mismatch_deg, vo.centre);
        if (fabs(pair.centre - vo.centre) > 1.0)
            tsct_log_msg(ctx->log, TSCT_LOG_WARN,
                         "%s: the two centre methods differ by %.2f px; check the data or "
                         "give --centre", what, fabs(pair.centre - vo.centre));
    } else
        tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s: centre of rotation %.3f (%s)", what,
                     *centre, want_pair ? "0/180 pairs" : "Vo method");
    return TSCT_OK;
}

tsct_status tsct__stage_read_array(const char *spec, const char *what, int *ndim,
                                   int64_t *shape, float **data, tsct_error *err)
{
    return tsct__stage_read_array_mt(spec, what, 1, ndim, shape, data, err);
}

tsct_status tsct__stage_read_array_mt(const char *spec, const char *what, int nthreads,
                                      int *ndim, int64_t *shape, float **data,
                                      tsct_error *err)
{
    char file[TSCT_PATH_MAX], dset[1024];
    tsct_path_split(spec, file, sizeof file, dset, sizeof dset);
    *data = NULL;
    if (!dset[0]) {
        tsct_image im;
        tsct_image_init(&im);
        tsct_status st = tsct_image_read(&im, file, NULL, err);
        if (st == TSCT_OK) {
            *ndim = 2;
            shape[0] = im.rows;
            shape[1] = im.cols;
            *data = malloc((size_t)(im.rows * im.cols) * sizeof **data);
            if (*data)
                memcpy(*data, im.data, (size_t)(im.rows * im.cols) * sizeof **data);
            else
                st = tsct_error_set(err, TSCT_ERR_NOMEM, file, what, -1, "image");
        }
        tsct_image_release(&im);
        return st;
    }
    tsct_container *f = NULL;
    tsct_dataset *d = NULL;
    TSCT_TRY(tsct_h5file_open(file, TSCT_OPEN_READ, &f, err));
    tsct_status st = tsct_dataset_open(f, dset, &d, err);
    if (st == TSCT_OK) {
        tsct_dataset_set_threads(d, nthreads);
        *ndim = tsct_dataset_shape(d, shape);
        const int64_t n = tsct_shape_size(*ndim, shape);
        int64_t start[8] = {0};
        *data = n > 0 ? malloc((size_t)n * sizeof **data) : NULL;
        st = !*data ? tsct_error_set(err, n > 0 ? TSCT_ERR_NOMEM : TSCT_ERR_SHAPE, file, dset,
                                     -1, n > 0 ? "%lld values" : "empty (%lld values)",
                                     (long long)n)
                    : tsct_dataset_read(d, start, shape, *data, err);
    }
    tsct_dataset_close(d);
    tsct_container_close(f, NULL);
    if (st != TSCT_OK) {
        free(*data);
        *data = NULL;
    }
    return st;
}
