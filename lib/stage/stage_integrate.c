/* stage_integrate.c - the integrate stages (see include/tsct/stage.h): detector frames into
 * 1-D patterns, for a whole scan into /entry/integrated of a container, or image by image
 * into .xy text files.
 *
 * One plan (tsct/integrate.h) is built from the PONI file, the first frame's shape, the mask,
 * dark and flat, and executed on every frame. A scan goes through a resumable step whose unit
 * is one frame-row (one angle, every translation), integrated in batches with
 * tsct_integrate_execute_many(); rows are stored in acquisition order (a snake scan's odd
 * rows reversed, /entry/scan@zigzag set). A monitor or transmission per frame comes from a
 * dataset of the HDF5 file holding the frame (read once per file) or from a number in its
 * image file's header (CBF / EDF series). The scan's record is the one `tsct integrate`
 * wrote before the stage moved into the library, so earlier containers stay up to date.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tsct/frames.h"
#include "tsct/image.h"
#include "tsct/poni.h"
#include "tsct/publish.h"
#include "tsct/threads.h"
#include "stage_internal.h"
#include "tsct/version.h"

/* What a plan is made of, shared by the scan and the files. */
struct setup {
    const char *poni, *mask, *dark, *flat, *filter;
    tsct_integrate_params ip; /* with the filter parsed and the context's threads */
};

static tsct_status setup_make(const tsct_stage_ctx *ctx, const char *poni, const char *mask,
                              const char *dark, const char *flat, const char *filter,
                              const tsct_integrate_params *ip, struct setup *s,
                              tsct_error *err)
{
    s->poni = poni, s->mask = mask, s->dark = dark, s->flat = flat, s->filter = filter;
    s->ip = *ip;
    s->ip.nthreads = ctx->nthreads;
    if (!poni)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "integrate parameters", -1,
                              "no PONI file");
    return filter ? tsct_integrate_filter_parse(filter, &s->ip, err) : TSCT_OK;
}

/* The module gaps of the PONI's detector (pyFAI masks them from the detector class), when
 * the frames have its full shape; returns the number of pixels in the mask after them (0
 * when the detector has no gaps). */
static int64_t mask_module_gaps(const tsct_poni *g, int64_t rows, int64_t cols, uint8_t *mask,
                                const tsct_log *log)
{
    tsct_poni_detector det;
    if (tsct_poni_detector_find(g->detector, &det, NULL) != TSCT_OK || det.module[0] <= 0)
        return 0;
    int64_t n = tsct_poni_detector_mask(&det, rows, cols, mask);
    if (n > 0)
        tsct_log_msg(log, TSCT_LOG_DEBUG, "%s: module gaps masked (%lld pixels in the mask)",
                     det.name, (long long)n);
    return n;
}

/* A PONI that names its detector's shape belongs to frames of that shape: a calibration of
 * another detector would integrate with a geometry that does not describe these pixels. */
static tsct_status check_detector_shape(const char *poni_path, const tsct_poni *g, int64_t rows,
                                        int64_t cols, tsct_error *err)
{
    if (g->shape[0] <= 0 || g->shape[1] <= 0 || (g->shape[0] == rows && g->shape[1] == cols))
        return TSCT_OK;
    return tsct_error_set(err, TSCT_ERR_SHAPE, poni_path, "detector", -1,
                          "the PONI describes a %s of %lld x %lld pixels, the frames have %lld "
                          "x %lld: it is the calibration of another detector (give the PONI "
                          "of the detector that took these frames)", g->detector,
                          (long long)g->shape[0], (long long)g->shape[1], (long long)rows,
                          (long long)cols);
}

/* Read a whole auxiliary image of the expected shape; the message names the option. */
static tsct_status read_aux(const char *path, const char *what, int64_t rows, int64_t cols,
                            tsct_image *img, tsct_error *err)
{
    TSCT_TRY(tsct_image_read(img, path, NULL, err));
    if (img->rows != rows || img->cols != cols)
        return tsct_error_set(err, TSCT_ERR_SHAPE, path, what, -1,
                              "shape %lld x %lld, expected %lld x %lld like the images",
                              (long long)img->rows, (long long)img->cols, (long long)rows,
                              (long long)cols);
    return TSCT_OK;
}

/* Mask, dark and flat for a plan of rows x cols: the static mask of the frame source
 * (pixel_mask, may be NULL), the negative pixels of `first`, the module gaps and the files
 * given; then the plan. */
static tsct_status plan_make(const struct setup *s, const tsct_poni *g, const tsct_log *log,
                             int64_t rows, int64_t cols, const float *first,
                             const uint8_t *pixel_mask, tsct_integrate_plan **plan,
                             int64_t *gaps, tsct_error *err)
{
    const int64_t n = rows * cols;
    TSCT_TRY(check_detector_shape(s->poni, g, rows, cols, err));
    tsct_image aux;
    tsct_image_init(&aux);
    tsct_status st = TSCT_OK;
    float *arrays[2] = {NULL, NULL}; /* dark, flat */
    uint8_t *mask = malloc((size_t)n);
    if (!mask)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "mask", -1, "%lld pixels", (long long)n);
    for (int64_t k = 0; k < n; k++)
        mask[k] = first[k] < 0 || (pixel_mask && pixel_mask[k]);
    const int64_t ngaps = mask_module_gaps(g, rows, cols, mask, log);
    if (gaps)
        *gaps = ngaps;
    if (s->mask) {
        st = read_aux(s->mask, "mask", rows, cols, &aux, err);
        for (int64_t k = 0; st == TSCT_OK && k < n; k++)
            mask[k] |= aux.data[k] != 0;
    }
    const char *names[2] = {s->dark, s->flat};
    for (int a = 0; a < 2 && st == TSCT_OK; a++) {
        if (!names[a])
            continue;
        if ((st = read_aux(names[a], a ? "flat" : "dark", rows, cols, &aux, err)) != TSCT_OK)
            break;
        for (int64_t k = 0; k < n && st == TSCT_OK; k++)
            if (!isfinite(aux.data[k]) || (a == 1 && aux.data[k] == 0))
                st = tsct_error_set(err, TSCT_ERR_VALUE, names[a], a ? "flat" : "dark", k,
                                    "pixel (%lld, %lld) is %g: expected a finite%s value",
                                    (long long)(k / cols), (long long)(k % cols),
                                    (double)aux.data[k], a ? ", non-zero" : "");
        if (st == TSCT_OK && !(arrays[a] = malloc((size_t)n * sizeof(float))))
            st = tsct_error_set(err, TSCT_ERR_NOMEM, names[a], NULL, -1, "%lld pixels",
                                (long long)n);
        if (st == TSCT_OK)
            memcpy(arrays[a], aux.data, (size_t)n * sizeof(float));
    }
    tsct_image_release(&aux);
    if (st == TSCT_OK) {
        st = tsct_integrate_plan_create(&s->ip, g, rows, cols, mask, arrays[0], arrays[1],
                                        plan, err);
        if (st != TSCT_OK)
            tsct_error_set_file(err, s->poni);
    }
    free(mask);
    free(arrays[0]);
    free(arrays[1]);
    return st;
}

/* ---- a scan into a container ------------------------------------------------------------------ */

/* The monitor values of the HDF5 file that holds the current frames, loaded once per file. */
struct value_cache {
    char file[TSCT_PATH_MAX];
    double *v;
    int64_t n;
};

/* Monitor (or transmission: `what`) of frame `index`, from its source. */
static tsct_status frame_value(const tsct_frames *fr, tsct_stage_frame_value_source source,
                               const char *name, int64_t index, struct value_cache *vc,
                               const char *what, double *out, tsct_error *err)
{
    const char *file = "", *dataset;
    int64_t local = -1;
    if (source == TSCT_STAGE_FRAME_VALUE_HEADER) {
        TSCT_TRY(tsct_frames_header_number(fr, index, name, out, err));
        if (!(*out > 0) || !isfinite(*out)) {
            tsct_frames_locate(fr, index, &file, NULL, &local, NULL);
            return tsct_error_set(err, TSCT_ERR_VALUE, file, name, local,
                                  "%s %g: expected a finite number > 0", what, *out);
        }
        return TSCT_OK;
    }
    TSCT_TRY(tsct_frames_locate(fr, index, &file, &dataset, &local, err));
    if (!vc->v || strcmp(file, vc->file) != 0) {
        free(vc->v);
        vc->v = NULL;
        snprintf(vc->file, sizeof vc->file, "%s", file);
        tsct_container *c = NULL;
        tsct_status st = tsct_h5file_open(file, TSCT_OPEN_READ, &c, err);
        if (st == TSCT_OK)
            st = tsct_container_read_vector(c, name, &vc->v, &vc->n, err);
        tsct_container_close(c, NULL);
        TSCT_TRY(st);
    }
    if (local >= vc->n)
        return tsct_error_set(err, TSCT_ERR_SHAPE, file, name, local,
                              "%lld %s values, frame %lld of the file has none",
                              (long long)vc->n, what, (long long)local);
    *out = vc->v[local];
    if (!(*out > 0) || !isfinite(*out))
        return tsct_error_set(err, TSCT_ERR_VALUE, file, name, local,
                              "%s %g: expected a finite number > 0", what, *out);
    return TSCT_OK;
}

static tsct_status check_scan(const tsct_stage_integrate_scan_params *p, tsct_error *err)
{
    if (!p || !p->frames || p->nframes < 1 || p->angles < 1 || p->translations < 1 ||
        p->slices < 1 || p->time_offset < 0 || !(p->angle_range > 0) ||
        !(p->translation_step >= 0) ||
        (unsigned)p->monitor_source > TSCT_STAGE_FRAME_VALUE_HEADER ||
        (unsigned)p->transmission_source > TSCT_STAGE_FRAME_VALUE_HEADER ||
        (p->monitor_source && !p->monitor) || (p->transmission_source && !p->transmission))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "integrate parameters", -1,
                              "expected frames, angles, translations and slices >= 1, a time "
                              "offset >= 0, an angle range > 0, a translation step >= 0, and a "
                              "name for each monitor or transmission source");
    return TSCT_OK;
}

/* The record of a scan: word for word the one `tsct integrate` wrote before the stage moved
 * into the library (the fingerprint of step "integrate" is this text alone). */
static void scan_settings(const tsct_stage_integrate_scan_params *p, const struct setup *s,
                          int64_t nframes, int64_t rows, int64_t cols, int64_t nt,
                          tsct_stage_settings *r)
{
    tsct_stage_settings_add(r, "frames", "%lld of %lldx%lld", (long long)nframes,
                            (long long)rows, (long long)cols);
    tsct_stage_settings_add(r, "scan", "%lldx%lldx%lldx%lld", (long long)nt,
                            (long long)p->slices, (long long)p->angles,
                            (long long)p->translations);
    tsct_stage_settings_add(r, "toff", "%lld", (long long)p->time_offset);
    tsct_stage_settings_add(r, "zigzag", "%d", p->zigzag);
    tsct_stage_settings_add(r, "poni", "%s", p->poni);
    tsct_stage_settings_add(r, "npt", "%lld", (long long)s->ip.npt);
    tsct_stage_settings_add(r, "unit", "%s", tsct_unit_name(s->ip.unit));
    tsct_stage_settings_add(r, "split", "%s", tsct_integrate_split_name(s->ip.split));
    tsct_stage_settings_add(r, "filter", "%s", p->filter ? p->filter : "mean");
    tsct_stage_settings_add(r, "pol", "%g", s->ip.polarization);
    tsct_stage_settings_add(r, "sa", "%d", s->ip.solid_angle);
    tsct_stage_settings_add(r, "mask", "%s", p->mask ? p->mask : "");
    tsct_stage_settings_add(r, "dark", "%s", p->dark ? p->dark : "");
    tsct_stage_settings_add(r, "flat", "%s", p->flat ? p->flat : "");
    const int mh = p->monitor_source == TSCT_STAGE_FRAME_VALUE_HEADER;
    tsct_stage_settings_add(r, "monitor", "%s%s", mh ? "header:" : "",
                            p->monitor_source ? p->monitor : "");
    if (p->transmission_source)
        tsct_stage_settings_add(r, "transmission", "%s%s",
                                p->transmission_source == TSCT_STAGE_FRAME_VALUE_HEADER ? "header:"
                                                                                        : "",
                                p->transmission);
    tsct_stage_settings_add(r, "first", "%s", p->frames[0]);
}

/* The q axis and, for a new experiment (no time offset), the scan axes. */
static tsct_status scan_axes(tsct_step *step, const tsct_stage_integrate_scan_params *p,
                             const tsct_integrate_plan *plan, int64_t nt, tsct_error *err)
{
    const tsct_integrate_params *ip = tsct_integrate_plan_params(plan);
    const int64_t na = p->angles, ns = p->translations, nz = p->slices;
    TSCT_TRY(tsct_step_vector(step, TSCT_PATH_INTEGRATED_Q, tsct_integrate_plan_radial(plan),
                              ip->npt, ip->unit == TSCT_UNIT_Q_A ? "A^-1"
                                                                 : tsct_unit_name(ip->unit),
                              err));
    if (p->time_offset > 0)
        return TSCT_OK;
    const int64_t most = na > ns ? (na > nz ? na : nz) : (ns > nz ? ns : nz);
    double *v = malloc((size_t)(most > nt ? most : nt) * sizeof *v);
    if (!v)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "axes", -1, "arrays");
    const double step_mm = p->translation_step > 0 ? p->translation_step : 1.0;
    for (int64_t a = 0; a < na; a++)
        v[a] = p->angle_range * (double)a / (double)na;
    tsct_status st = tsct_step_vector(step, TSCT_PATH_SCAN "/angle", v, na, "deg", err);
    for (int64_t j = 0; j < ns; j++)
        v[j] = (double)(j - ns / 2) * step_mm;
    if (st == TSCT_OK)
        st = tsct_step_vector(step, TSCT_PATH_SCAN "/translation", v, ns,
                              p->translation_step > 0 ? "mm" : "steps", err);
    for (int64_t k = 0; k < nz; k++)
        v[k] = (double)k;
    if (st == TSCT_OK)
        st = tsct_step_vector(step, TSCT_PATH_SCAN "/z", v, nz, "index", err);
    for (int64_t t = 0; t < nt; t++)
        v[t] = (double)(p->time_offset + t);
    if (st == TSCT_OK)
        st = tsct_step_vector(step, TSCT_PATH_SCAN "/time", v, nt, "index", err);
    free(v);
    return st;
}

/* The frames, buffers and plan of a scan. */
struct scan {
    tsct_frames *fr;
    tsct_integrate_plan *plan;
    int64_t rows, cols, nframes, nt;
    float *frames; /* [batch][px] */
    void *work;
    size_t ws;
    struct value_cache mc, tc;
    int nthreads;                        /* resolved: threads decoding a batch's frames */
};

enum { BATCH = 8 };

static void scan_release(struct scan *s)
{
    tsct_frames_close(s->fr);
    tsct_integrate_plan_destroy(s->plan);
    free(s->frames), free(s->work);
    free(s->mc.v), free(s->tc.v);
    memset(s, 0, sizeof *s);
}

static tsct_status scan_open(const tsct_stage_ctx *ctx, const tsct_stage_integrate_scan_params *p,
                             const struct setup *su, const tsct_poni *g, struct scan *s,
                             tsct_error *err)
{
    memset(s, 0, sizeof *s);
    s->nthreads = tsct_threads_resolve(ctx->nthreads);
    TSCT_TRY(tsct_frames_open(p->frames, p->nframes, NULL, &s->fr, err));
    tsct_frames_shape(s->fr, &s->rows, &s->cols);
    s->nframes = tsct_frames_count(s->fr);
    const int64_t na = p->angles, ns = p->translations, nz = p->slices, per_t = nz * na * ns;
    if (s->nframes % per_t != 0)
        return tsct_error_set(err, TSCT_ERR_SHAPE, p->frames[0], "frames", -1,
                              "%lld frames are not a whole number of time steps of %lld "
                              "slices x %lld angles x %lld translations",
                              (long long)s->nframes, (long long)nz, (long long)na,
                              (long long)ns);
    s->nt = s->nframes / per_t;
    const int64_t npx = s->rows * s->cols;
    s->frames = malloc((size_t)(BATCH * npx) * sizeof *s->frames);
    if (!s->frames)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "frames", -1, "buffers");
    TSCT_TRY(tsct_frames_read(s->fr, 0, s->frames, err));
    TSCT_TRY(plan_make(su, g, ctx->log, s->rows, s->cols, s->frames,
                       tsct_frames_pixel_mask(s->fr), &s->plan, NULL, err));
    s->ws = tsct_integrate_workspace_size(s->plan);
    if (!(s->work = malloc(s->ws ? s->ws : 1)))
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "workspace", -1, "%zu bytes", s->ws);
    return TSCT_OK;
}

/* Frame-row u (frames u * ns .. u * ns + ns - 1) into inten, sig [ns][npt] and tline [ns],
 * in batches. */
static tsct_status scan_row(const tsct_stage_integrate_scan_params *p, struct scan *s, int64_t u,
                            float *inten, float *sig, float *tline, tsct_error *err)
{
    const int64_t ns = p->translations, npt = tsct_integrate_plan_params(s->plan)->npt;
    const int64_t npx = s->rows * s->cols;
    double monitors[BATCH];
    tsct_error errs[BATCH];
    for (int64_t j0 = 0; j0 < ns; j0 += BATCH) {
        const int64_t nb = ns - j0 < BATCH ? ns - j0 : BATCH;
        /* The batch's frames are decoded in parallel (tsct_frames_read is thread-safe; CBF
         * decoding took as long as integrating and ran on one thread), the first failure in
         * frame order reported. */
        tsct_status fst[BATCH];
        const int nt = s->nthreads < nb ? s->nthreads : (int)nb;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
        for (int64_t b = 0; b < nb; b++) {
            tsct_error_clear(&errs[b]);
            fst[b] = tsct_frames_read(s->fr, u * ns + j0 + b, s->frames + b * npx, &errs[b]);
        }
        for (int64_t b = 0; b < nb; b++)
            if (fst[b] != TSCT_OK) {
                if (err && err->status == TSCT_OK)
                    *err = errs[b];
                return fst[b];
            }
        for (int64_t b = 0; b < nb; b++) {
            const int64_t f = u * ns + j0 + b;
            double tv = 0;
            if (p->monitor_source)
                TSCT_TRY(frame_value(s->fr, p->monitor_source, p->monitor, f, &s->mc,
                                     "monitor", &monitors[b], err));
            if (p->transmission_source)
                TSCT_TRY(frame_value(s->fr, p->transmission_source, p->transmission, f,
                                     &s->tc, "transmission", &tv, err));
            tline[j0 + b] = (float)tv;
        }
        TSCT_TRY(tsct_integrate_execute_many(s->plan, nb, s->frames,
                                             p->monitor_source ? monitors : NULL,
                                             inten + j0 * npt, sig + j0 * npt, s->work, s->ws,
                                             err));
    }
    return TSCT_OK;
}

/* One frame-row as a unit of the step (tsct__stage_units): its result is the patterns, their
 * sigmas and the transmissions, [ns][npt], [ns][npt], [ns] floats. */
struct scan_unit {
    const tsct_stage_integrate_scan_params *p;
    struct scan *s;
    tsct_dataset *data, *sigma, *trans;  /* rank 0, the step's */
    int64_t ns, npt;
};

static tsct_status scan_unit_compute(void *user, int64_t u, void *out, tsct_error *err)
{
    struct scan_unit *x = user;
    float *inten = out, *sig = inten + x->ns * x->npt, *tline = sig + x->ns * x->npt;
    return scan_row(x->p, x->s, u, inten, sig, tline, err);
}

static tsct_status scan_unit_write(void *user, int64_t u, const void *out, tsct_error *err)
{
    struct scan_unit *x = user;
    const int64_t na = x->p->angles, nz = x->p->slices, ns = x->ns;
    const float *inten = out, *sig = inten + ns * x->npt, *tline = sig + ns * x->npt;
    const int64_t lead[3] = {u / (nz * na), u / na % nz, u % na};
    TSCT_TRY(tsct_dataset_write_row(x->data, lead, inten, err));
    TSCT_TRY(tsct_dataset_write_row(x->sigma, lead, sig, err));
    if (x->trans) {
        const int64_t ts[4] = {lead[0], lead[1], lead[2], 0}, tn[4] = {1, 1, 1, ns};
        TSCT_TRY(tsct_dataset_write(x->trans, ts, tn, tline, err));
    }
    return TSCT_OK;
}

/* Every frame-row not yet done, written and marked done; with ranks (ctx->mpi), on every
 * rank: rank 0 passes its step (NULL: up to date) and the status so far, and writes. */
static tsct_status scan_rows(const tsct_stage_ctx *ctx, const tsct_stage_integrate_scan_params *p,
                             struct scan *s, tsct_step *step, tsct_status st, int64_t *computed,
                             tsct_error *err)
{
    const int64_t na = p->angles, ns = p->translations, nz = p->slices, nt = s->nt;
    const int64_t npt = s->plan ? tsct_integrate_plan_params(s->plan)->npt : 0;
    const int64_t cube[5] = {nt, nz, na, ns, npt}, tshape[4] = {nt, nz, na, ns};
    const int64_t toff = p->time_offset > 0 ? p->time_offset : -1;
    struct scan_unit x = {p, s, NULL, NULL, NULL, ns, npt};
    if (st == TSCT_OK && step)
        st = tsct_step_dataset(step, TSCT_PATH_INTEGRATED, 5, cube, toff, NULL, &x.data, err);
    if (st == TSCT_OK && step)
        st = tsct_step_dataset(step, TSCT_PATH_INTEGRATED_SIGMA, 5, cube, toff, NULL, &x.sigma,
                               err);
    /* The sample's transmission at every point, acquisition order like the patterns. */
    if (st == TSCT_OK && step && p->transmission_source)
        st = tsct_step_dataset(step, TSCT_PATH_SCAN "/transmission", 4, tshape, toff, NULL,
                               &x.trans, err);
    tsct_progress progress;
    if (st == TSCT_OK && step)
        tsct_progress_begin(&progress, ctx->progress, "integrate frames", s->nframes,
                            tsct_step_done_count(step) * ns);
    tsct__stage_units w = {nt * nz * na, (size_t)(ns * (2 * npt + 1)) * sizeof(float),
                           scan_unit_compute, scan_unit_write, &x, {0, 0}, 0};
    st = tsct__stage_units_run(ctx, step, &w, st, NULL, st == TSCT_OK && step ? &progress : NULL,
                               ns, computed, err);
    tsct_dataset_close(x.data);
    tsct_dataset_close(x.sigma);
    tsct_dataset_close(x.trans);
    if (st == TSCT_OK && step)
        tsct_progress_end(&progress);
    return st;
}

/* An existing file is opened, a missing one created. */
static tsct_status container_open_or_create(const char *path, tsct_container **c,
                                            tsct_error *err)
{
    FILE *exists = fopen(path, "rb");
    if (!exists)
        return tsct_container_create(path, 0, c, err);
    fclose(exists);
    return tsct_container_open(path, TSCT_OPEN_WRITE, c, err);
}

tsct_status tsct_stage_integrate(const char *container,
                                 const tsct_stage_integrate_scan_params *params,
                                 const tsct_stage_ctx *context, tsct_stage_report *report,
                                 tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    tsct_stage_report rep_local;
    tsct_stage_report *rep = tsct__stage_report(report, &rep_local);
    TSCT_TRY(check_scan(params, err));
    const tsct_stage_integrate_scan_params *p = params;
    struct setup su;
    TSCT_TRY(setup_make(ctx, p->poni, p->mask, p->dark, p->flat, p->filter, &p->integrate, &su,
                        err));
    tsct_container *c = NULL;
    tsct_step *step = NULL;
    struct scan s;
    memset(&s, 0, sizeof s);
    tsct_stage_settings settings;
    tsct_stage_settings_init(&settings);
    tsct_poni g;
    tsct_status st = tsct_poni_read(&g, p->poni, err);
    if (st == TSCT_OK)
        st = scan_open(ctx, p, &su, &g, &s, err);
    /* With ranks, every rank reads the frames and plans; rank 0 alone owns the container. */
    const int root = tsct__stage_root(ctx);
    st = tsct__stage_agree(ctx, st, err);
    if (st == TSCT_OK && root)
        st = container_open_or_create(container, &c, err);
    if (st == TSCT_OK && root) {
        scan_settings(p, &su, s.nframes, s.rows, s.cols, s.nt, &settings);
        if (settings.failed)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "settings", -1, "record");
    }
    int current = st == TSCT_OK && root && tsct_stage_up_to_date(ctx, c, "integrate",
                                                                 settings.text);
    const int64_t nrows = s.nt * p->slices * p->angles;
    tsct_step_info info = {"integrate", ctx->command_line, NULL, settings.text, nrows,
                           NULL, NULL, 0};
    if (st == TSCT_OK && root && !current)
        st = tsct_step_begin(c, &info, ctx->log, &step, err);
    const int64_t resumed = st == TSCT_OK && step ? tsct_step_done_count(step) : 0;
    if (st == TSCT_OK && step)
        st = scan_axes(step, p, s.plan, s.nt, err);
    int64_t computed = 0;
    if (tsct_mpi_size(ctx->mpi) > 1 || st == TSCT_OK)
        st = scan_rows(ctx, p, &s, step, st, &computed, err);
    if (st != TSCT_OK || !step)
        goto done;
    st = tsct_step_commit(step, err);
    step = NULL;
    if (st == TSCT_OK && p->time_offset == 0)
        st = tsct_container_set_attr_int(c, TSCT_PATH_SCAN, "zigzag", p->zigzag, err);
    if (st == TSCT_OK && p->time_offset == 0)
        st = tsct_container_set_attr_string(c, TSCT_PATH_SCAN, "fast_axis", "translation", err);
    if (st == TSCT_OK) {
        g.shape[0] = s.rows;
        g.shape[1] = s.cols;
        st = tsct_container_write_geometry(c, &g, err);
    }
    if (st == TSCT_OK)
        tsct__stage_ran(ctx, rep, nrows - resumed, 0, TSCT_LOG_INFO,
                        "integrated %lld frames (%lld time steps x %lld slices x %lld angles x "
                        "%lld translations) into %s:%s",
                        (long long)s.nframes, (long long)s.nt, (long long)p->slices,
                        (long long)p->angles, (long long)p->translations, container,
                        TSCT_PATH_INTEGRATED);
done:
    tsct_step_close(step);
    if (st == TSCT_OK)
        st = tsct_container_close(c, err);
    else
        tsct_container_close(c, NULL);
    scan_release(&s);
    tsct_stage_settings_release(&settings);
    return st;
}

/* ---- images into .xy files -------------------------------------------------------------------- */

/* The output path of image i: the output itself for one image, FOLDER/NAME.xy when the output
 * is a folder (several images, or one into an existing folder). */
static void output_path(const tsct_stage_integrate_files_params *p, int64_t i, char *buf,
                        size_t size)
{
    tsct_publish_output_name(p->output, p->images[i], "xy", buf, size);
}

static tsct_status write_xy(const tsct_stage_integrate_files_params *p, const tsct_poni *g,
                            const tsct_integrate_plan *plan, int64_t gaps, const char *image,
                            const char *path, const float *inten, const float *sig,
                            tsct_error *err)
{
    tsct_publish pub;
    FILE *fp = NULL;
    TSCT_TRY(tsct_publish_fopen(&pub, path, &fp, err));
    const tsct_integrate_params *ip = tsct_integrate_plan_params(plan);
    const double *rad = tsct_integrate_plan_radial(plan);
    fprintf(fp, "# == tsct %s azimuthal integration (pyFAI 0.21 integrate1d_ng conventions) ==\n",
            tsct_version());
    fprintf(fp, "# Image: %s\n# PONI file: %s\n", image, p->poni);
    fprintf(fp, "# Detector: %s, pixel size %.9g x %.9g m\n", g->detector, g->pixel1,
            g->pixel2);
    fprintf(fp, "# Distance Sample to Detector: %.15g m\n", g->dist);
    fprintf(fp, "# PONI: %.15g, %.15g m\n", g->poni1, g->poni2);
    fprintf(fp, "# Rotations: %.15g %.15g %.15g rad\n", g->rot1, g->rot2, g->rot3);
    fprintf(fp, "# Wavelength: %.15g m\n", g->wavelength);
    /* Every mask the plan holds: the file's, the detector's module gaps, negative pixels. */
    char gaps_text[128] = "";
    if (gaps > 0)
        snprintf(gaps_text, sizeof gaps_text, "%sthe module gaps of the %s", p->mask ? ", " : "",
                 g->detector);
    fprintf(fp, "# Mask applied: %s%s (and negative pixels)\n",
            p->mask ? p->mask : gaps > 0 ? "" : "none", gaps_text);
    fprintf(fp, "# Dark current applied: %s\n# Flat field applied: %s\n",
            p->dark ? p->dark : "none", p->flat ? p->flat : "none");
    if (isnan(ip->polarization))
        fprintf(fp, "# Polarization factor: None\n");
    else
        fprintf(fp, "# Polarization factor: %.9g\n", ip->polarization);
    fprintf(fp, "# Solid angle correction: %s\n", ip->solid_angle ? "True" : "False");
    fprintf(fp, "# Normalization factor: %.9g\n", p->monitor);
    fprintf(fp, "# Method: (\"%s\", \"%s\", \"tsct\")\n", tsct_integrate_split_name(ip->split),
            ip->split == TSCT_INTEGRATE_SPLIT_NO ? "histogram" : "csr");
    fprintf(fp, "# Filter: %s\n", p->filter ? p->filter : "mean");
    fprintf(fp, "# Error model: poisson\n");
    fprintf(fp, "# Radial range: %.9g %.9g %s\n", ip->radial_min, ip->radial_max,
            tsct_unit_name(ip->unit));
    if (!isnan(ip->azimuth_min))
        fprintf(fp, "# Azimuth range: %.9g %.9g deg\n", ip->azimuth_min, ip->azimuth_max);
    fprintf(fp, "# Bins: %lld\n", (long long)ip->npt);
    fprintf(fp, "# %14s %16s %16s\n", tsct_unit_name(ip->unit), "I", "sigma");
    for (int64_t b = 0; b < ip->npt; b++)
        fprintf(fp, "%16.9e %16.9e %16.9e\n", rad[b], (double)inten[b], (double)sig[b]);
    return tsct_publish_fclose(&pub, fp, err);
}

/* Every image through the plan into its file. */
static tsct_status files_loop(const tsct_stage_ctx *ctx, const tsct_stage_integrate_files_params *p,
                              const tsct_poni *g, const tsct_integrate_plan *plan, int64_t gaps,
                              tsct_image *img, tsct_error *err)
{
    const int64_t rows = img->rows, cols = img->cols, npt = tsct_integrate_plan_params(plan)->npt;
    const size_t ws = tsct_integrate_workspace_size(plan);
    void *work = malloc(ws ? ws : 1);
    float *inten = malloc((size_t)npt * sizeof *inten), *sig = malloc((size_t)npt * sizeof *sig);
    char path[TSCT_PATH_MAX];
    tsct_status st = TSCT_OK;
    if (!work || !inten || !sig)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "workspace", -1, "%zu bytes", ws);
    tsct_progress progress;
    tsct_progress_begin(&progress, ctx->progress, "integrate images", p->nimages, 0);
    for (int64_t i = 0; i < p->nimages && st == TSCT_OK; i++) {
        if (i > 0 && (st = tsct_image_read(img, p->images[i], NULL, err)) != TSCT_OK)
            break;
        if (img->rows != rows || img->cols != cols) {
            st = tsct_error_set(err, TSCT_ERR_SHAPE, p->images[i], "image", -1,
                                "shape %lld x %lld, expected %lld x %lld like %s",
                                (long long)img->rows, (long long)img->cols, (long long)rows,
                                (long long)cols, p->images[0]);
            break;
        }
        if ((st = tsct_integrate_execute(plan, img->data, p->monitor, inten, sig, work, ws,
                                         err)) != TSCT_OK) {
            tsct_error_set_file(err, p->images[i]);
            break;
        }
        output_path(p, i, path, sizeof path);
        st = write_xy(p, g, plan, gaps, p->images[i], path, inten, sig, err);
        tsct_log_msg(ctx->log, TSCT_LOG_DEBUG, "%s -> %s", p->images[i], path);
        tsct_progress_add(&progress, 1);
    }
    tsct_progress_end(&progress);
    free(work);
    free(inten);
    free(sig);
    return st;
}

tsct_status tsct_stage_integrate_files(const tsct_stage_integrate_files_params *p,
                                       const tsct_stage_ctx *context, tsct_stage_report *report,
                                       tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    tsct_stage_report rep_local;
    tsct_stage_report *rep = tsct__stage_report(report, &rep_local);
    if (!p || !p->images || p->nimages < 1 || !p->output || !(p->monitor > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "integrate parameters", -1,
                              "expected images, an output and a monitor > 0");
    struct setup su;
    TSCT_TRY(setup_make(ctx, p->poni, p->mask, p->dark, p->flat, p->filter, &p->integrate, &su,
                        err));
    tsct_poni g;
    TSCT_TRY(tsct_poni_read(&g, p->poni, err));
    if (p->nimages > 1)
        TSCT_TRY(tsct__stage_output_dir(p->output, "output folder", err));
    /* The write rule before the plan (seconds for a large detector), not after it. */
    for (int64_t i = 0; i < p->nimages; i++) {
        char path[TSCT_PATH_MAX];
        output_path(p, i, path, sizeof path);
        TSCT_TRY(tsct_publish_check(path, err));
    }
    tsct_image img;
    tsct_image_init(&img);
    tsct_integrate_plan *plan = NULL;
    int64_t gaps = 0;
    tsct_status st = tsct_image_read(&img, p->images[0], NULL, err);
    double t0 = tsct_clock();
    if (st == TSCT_OK)
        st = plan_make(&su, &g, ctx->log, img.rows, img.cols, img.data, NULL, &plan, &gaps,
                       err);
    if (st == TSCT_OK) {
        tsct_log_msg(ctx->log, TSCT_LOG_INFO, "plan: %lld x %lld pixels, %lld bins, %lld "
                     "entries, %.2f s", (long long)img.rows, (long long)img.cols,
                     (long long)su.ip.npt, (long long)tsct_integrate_plan_nnz(plan),
                     tsct_clock() - t0);
        st = files_loop(ctx, p, &g, plan, gaps, &img, err);
    }
    if (st == TSCT_OK)
        tsct__stage_ran(ctx, rep, p->nimages, 0, TSCT_LOG_INFO, "integrated %lld image%s into %s",
                        (long long)p->nimages, p->nimages > 1 ? "s" : "", p->output);
    tsct_integrate_plan_destroy(plan);
    tsct_image_release(&img);
    return st;
}

static const char *source_name(tsct_stage_frame_value_source src)
{
    return src == TSCT_STAGE_FRAME_VALUE_DATASET  ? "dataset:"
           : src == TSCT_STAGE_FRAME_VALUE_HEADER ? "header:"
                                                  : "";
}

void tsct_stage_pipeline_integrate_settings(const tsct_stage_frames *fd,
                                            const tsct_stage_integrate_scan_params *p,
                                            tsct_stage_settings *s)
{
    const tsct_integrate_params *ip = &p->integrate;
    tsct_stage_settings_add(s, "v", "2");
    tsct_stage_settings_add(s, "frames", "%s", fd->pattern);
    tsct_stage_settings_add(s, "dataset", "%s", fd->dataset);
    tsct_stage_settings_add(s, "poni", "%s", p->poni ? p->poni : "");
    tsct_stage_settings_add(s, "mask", "%s", p->mask ? p->mask : "");
    tsct_stage_settings_add(s, "dark", "%s", p->dark ? p->dark : "");
    tsct_stage_settings_add(s, "flat", "%s", p->flat ? p->flat : "");
    tsct_stage_settings_add(s, "npt", "%lld", (long long)ip->npt);
    tsct_stage_settings_add(s, "unit", "%s", tsct_unit_name(ip->unit));
    tsct_stage_settings_add(s, "split", "%s", tsct_integrate_split_name(ip->split));
    tsct_stage_settings_add(s, "filter", "%s", p->filter ? p->filter : "mean");
    tsct_stage_settings_add(s, "pol", "%.17g", ip->polarization);
    tsct_stage_settings_add(s, "sa", "%d", ip->solid_angle);
    tsct_stage_settings_add(s, "radial", "%.17g,%.17g", ip->radial_min, ip->radial_max);
    tsct_stage_settings_add(s, "azimuth", "%.17g,%.17g", ip->azimuth_min, ip->azimuth_max);
    tsct_stage_settings_add(s, "scan", "%lldx%lldx%lld", (long long)p->slices,
                            (long long)p->angles, (long long)p->translations);
    tsct_stage_settings_add(s, "angle_range", "%.17g", p->angle_range);
    tsct_stage_settings_add(s, "translation_step", "%.17g", p->translation_step);
    tsct_stage_settings_add(s, "zigzag", "%d", p->zigzag);
    tsct_stage_settings_add(s, "monitor", "%s%s", source_name(p->monitor_source),
                            p->monitor_source ? p->monitor : "");
    tsct_stage_settings_add(s, "transmission", "%s%s", source_name(p->transmission_source),
                            p->transmission_source ? p->transmission : "");
    if (fd->calibrant_image[0]) { /* a new calibration is a new PONI: integrate again */
        char note[512];
        tsct_poni_read_note(fd->poni, note, sizeof note);
        tsct_stage_settings_add(s, "calibration", "%s", note);
    }
}
