/* stage_import.c - the import stage (see include/tsct/stage.h): an array from any HDF5 file
 * into a stage of the container.
 *
 * The array is streamed row by row (one row: the last two axes) through a resumable step, so
 * an interrupted import continues where it stopped and the stage appears in the container
 * only when complete; memory is one row whatever the array's size. Arrays of rank < 5 get
 * leading axes of length 1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stage_internal.h"
#include "tsct/array.h"
#include "tsct/progress.h"
#include "tsct/publish.h"

static const struct {
    const char *name;
    const char *data;
    const char *axis;
    const char *units;
} targets[] = {
    [TSCT_STAGE_IMPORT_INTEGRATED] = {"integrated", TSCT_PATH_INTEGRATED, TSCT_PATH_INTEGRATED_Q,
                                      "A^-1"},
    [TSCT_STAGE_IMPORT_SINOGRAMS] = {"sinograms", TSCT_PATH_SINOGRAMS, TSCT_PATH_SINOGRAMS_Q,
                                     "A^-1"},
    [TSCT_STAGE_IMPORT_RECON] = {"recon", TSCT_PATH_RECON, TSCT_PATH_RECON_Q, "A^-1"},
    [TSCT_STAGE_IMPORT_PDF] = {"pdf", TSCT_PATH_PDF, TSCT_PATH_PDF_R, "A"},
};

struct import_run {
    const tsct_stage_import_params *o;
    tsct_container *src_file, *axis_file, *c;
    tsct_dataset *src, *dst;
    tsct_step *step;
    double *axis;
    float *row;
    int64_t naxis;
    int snd;                 /* the source's rank */
    int64_t shape[5];        /* the stage's shape */
};

/* Open FILE::/dataset for reading. */
static tsct_status open_source(const char *spec, const char *what, tsct_container **f,
                               tsct_dataset **d, tsct_error *err)
{
    char file[TSCT_PATH_MAX], dset[1024];
    tsct_path_split(spec, file, sizeof file, dset, sizeof dset);
    if (!dset[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, file, what, -1,
                              "name the dataset as FILE.h5::/path/to/dataset");
    TSCT_TRY(tsct_h5file_open(file, TSCT_OPEN_READ, f, err));
    return tsct_dataset_open(*f, dset, d, err);
}

/* The source, its shape padded to the stage's five axes, and the axis values. */
static tsct_status import_inputs(struct import_run *r, tsct_error *err)
{
    const tsct_stage_import_params *o = r->o;
    TSCT_TRY(open_source(o->source, "source", &r->src_file, &r->src, err));
    int64_t sshape[8];
    r->snd = tsct_dataset_shape(r->src, sshape);
    if (r->snd > 5) {
        char b[128];
        return tsct_error_set(err, TSCT_ERR_SHAPE, o->source, NULL, -1,
                              "a stage has 5 axes, the source has %d (shape %s)", r->snd,
                              tsct_shape_format(b, sizeof b, r->snd, sshape));
    }
    for (int i = 0; i < 5; i++)
        r->shape[i] = i < 5 - r->snd ? 1 : sshape[i - (5 - r->snd)];
    if (tsct_shape_size(5, r->shape) == 0)
        return tsct_error_set(err, TSCT_ERR_SHAPE, o->source, NULL, -1, "the array is empty");
    if (!o->axis)
        return TSCT_OK;
    char file[TSCT_PATH_MAX], dset[1024];
    tsct_path_split(o->axis, file, sizeof file, dset, sizeof dset);
    TSCT_TRY(tsct_h5file_open(file, TSCT_OPEN_READ, &r->axis_file, err));
    if (!dset[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, file, "axis", -1,
                              "name the dataset as FILE.h5::/path");
    TSCT_TRY(tsct_container_read_vector(r->axis_file, dset, &r->axis, &r->naxis, err));
    if (r->naxis != r->shape[4])
        return tsct_error_set(err, TSCT_ERR_SHAPE, o->axis, NULL, -1,
                              "%lld axis values for a last axis of %lld", (long long)r->naxis,
                              (long long)r->shape[4]);
    return TSCT_OK;
}

/* Open or create the container and begin the step with its output datasets. */
static tsct_status import_begin(struct import_run *r, const char *container, const char *name,
                                int64_t nrows, const tsct_stage_ctx *ctx, tsct_error *err)
{
    const tsct_stage_import_params *o = r->o;
    const int64_t *shape = r->shape;
    if (access(container, F_OK) == 0)
        TSCT_TRY(tsct_container_open(container, TSCT_OPEN_WRITE, &r->c, err));
    else
        TSCT_TRY(tsct_container_create(container, 0, &r->c, err));
    /* The fingerprint ties a partial run to this exact source and these settings. */
    struct stat sb;
    memset(&sb, 0, sizeof sb);
    char src_path[TSCT_PATH_MAX], src_dset[1024], fingerprint[4096 + TSCT_PATH_MAX];
    tsct_path_split(o->source, src_path, sizeof src_path, src_dset, sizeof src_dset);
    stat(src_path, &sb);
    snprintf(fingerprint, sizeof fingerprint,
             "source=%s size=%lld mtime=%lld.%09ld shape=%lldx%lldx%lldx%lldx%lld time=%lld "
             "deflate=%lld axis=%s",
             o->source, (long long)sb.st_size, (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec,
             (long long)shape[0], (long long)shape[1], (long long)shape[2], (long long)shape[3],
             (long long)shape[4], (long long)o->time, (long long)o->deflate,
             o->axis ? o->axis : "");
    tsct_step_info info = {name, ctx->command_line, NULL, fingerprint, nrows, NULL, NULL, 0};
    TSCT_TRY(tsct_step_begin(r->c, &info, ctx->log, &r->step, err));
    if (r->axis)
        TSCT_TRY(tsct_step_vector(r->step, targets[o->target].axis, r->axis, r->naxis,
                                  o->axis_units ? o->axis_units : targets[o->target].units,
                                  err));
    tsct_dataset_params params = TSCT_DATASET_PARAMS_DEFAULT;
    params.deflate = o->deflate;
    return tsct_step_dataset(r->step, targets[o->target].data, 5, shape, o->time, &params,
                             &r->dst, err);
}

/* Copy the rows not yet done; *nonfinite counts the NaN and infinite values copied. */
static tsct_status import_rows(struct import_run *r, const char *name, int64_t nrows,
                               const tsct_stage_ctx *ctx, int64_t *copied, int64_t *nonfinite,
                               tsct_error *err)
{
    const int64_t *shape = r->shape;
    const int64_t rowsize = shape[3] * shape[4];
    if (!(r->row = malloc((size_t)rowsize * sizeof *r->row)))
        return tsct_error_set(err, TSCT_ERR_NOMEM, r->o->source, NULL, -1,
                              "row of %lld values", (long long)rowsize);
    tsct_progress progress;
    tsct_progress_begin(&progress, ctx->progress, name, nrows,
                        tsct_step_done_count(r->step));
    tsct_stage_batch batch = {0, 0, tsct_clock()};
    for (int64_t u = 0; u < nrows; u++) {
        if (tsct_step_is_done(r->step, u))
            continue;
        int64_t lead[3] = {u / (shape[1] * shape[2]), u / shape[2] % shape[1], u % shape[2]};
        int64_t start[8] = {0}, count[8];
        for (int i = 0; i < r->snd; i++) {
            int k = i + (5 - r->snd);
            start[i] = k < 3 ? lead[k] : 0;
            count[i] = k < 3 ? 1 : shape[k];
        }
        TSCT_TRY(tsct_dataset_read(r->src, start, count, r->row, err));
        TSCT_TRY(tsct_dataset_write_row(r->dst, lead, r->row, err));
        for (int64_t i = 0; i < rowsize; i++)
            *nonfinite += !isfinite(r->row[i]);
        TSCT_TRY(tsct_stage_batch_add(r->step, &batch, u, err));
        tsct_progress_add(&progress, 1);
        (*copied)++;
    }
    TSCT_TRY(tsct_stage_batch_flush(r->step, &batch, err));
    tsct_progress_end(&progress);
    return TSCT_OK;
}

tsct_status tsct_stage_import(const char *container, const tsct_stage_import_params *params,
                              const tsct_stage_ctx *context, tsct_stage_report *report,
                              tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    tsct_stage_report rep_local, *rep = tsct__stage_report(report, &rep_local);
    if (!params || !params->source || !container)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "import", -1,
                              "a source and a container are required");
    if ((int)params->target < 0 || params->target > TSCT_STAGE_IMPORT_PDF || params->deflate < 0 ||
        params->deflate > 9 || params->time < -1)
        return tsct_error_set(err, TSCT_ERR_VALUE, params->source, "import", -1,
                              "target, deflate 0..9 or time >= -1 out of range");
    struct import_run r;
    memset(&r, 0, sizeof r);
    r.o = params;
    char name[64];
    snprintf(name, sizeof name, "import_%s", targets[params->target].name);
    int64_t copied = 0, nonfinite = 0, nrows = 0;
    tsct_status st = import_inputs(&r, err);
    if (st == TSCT_OK) {
        nrows = r.shape[0] * r.shape[1] * r.shape[2];
        st = import_begin(&r, container, name, nrows, ctx, err);
    }
    if (st == TSCT_OK)
        st = import_rows(&r, name, nrows, ctx, &copied, &nonfinite, err);
    tsct_dataset_close(r.dst);
    r.dst = NULL;
    if (st == TSCT_OK) {
        st = tsct_step_commit(r.step, err);
        r.step = NULL;
    }
    if (st == TSCT_OK) {
        if (nonfinite)
            tsct_log_msg(ctx->log, TSCT_LOG_WARN, "%s: %lld values are NaN or infinite (kept)",
                         params->source, (long long)nonfinite);
        char shp[128];
        tsct__stage_ran(ctx, rep, copied, 0, TSCT_LOG_INFO, "imported %s %s into %s:%s",
                        params->source, tsct_shape_format(shp, sizeof shp, 5, r.shape),
                        container, targets[params->target].data);
    }
    tsct_step_close(r.step);
    if (st == TSCT_OK)
        st = tsct_container_close(r.c, err);
    else
        tsct_container_close(r.c, NULL);
    tsct_dataset_close(r.src);
    tsct_container_close(r.src_file, NULL);
    tsct_container_close(r.axis_file, NULL);
    free(r.row);
    free(r.axis);
    return st;
}
