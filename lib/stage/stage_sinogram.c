/* stage_sinogram.c - the sinogram stage (see include/tsct/stage.h): /entry/integrated ->
 * /entry/sinograms, channel block by channel block through a resumable step.
 *
 * A block [na][ns][block] of one (time, slice) is read, processed and written, then marked
 * done, so 2000-channel scans never need to fit in memory and an interrupted run continues
 * where it stopped. What needs every channel (the air pattern, per-projection totals, the
 * channel-summed profile used for the jitter and the centre of rotation) is computed first
 * from a pass over the rows of that (time, slice), which a resumed run repeats (it is
 * deterministic). The order of the corrections is nDTomo's: zigzag, bad channels, zingers,
 * air, normalisation, jitter, centring, binning.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/array.h"
#include "tsct/sino.h"

/* Everything the blocks of one (time, slice) share. */
struct sino_plan {
    double *air;        /* [na][nq] or NULL */
    double *scale;      /* [na] normalisation factors (divide), or NULL */
    float *monitor;     /* [na] or [na][ns], or NULL */
    int64_t nmon;
    int diode;          /* monitor is the transmission [na][ns]: divide by it as it is */
    double *origin;     /* [na] resampling origins */
    uint8_t *bad;       /* [nq] or NULL */
    double centre;
};

static void sino_plan_release(struct sino_plan *p)
{
    free(p->air);
    free(p->scale);
    free(p->origin);
    free(p->bad);
    memset(p, 0, sizeof *p);
}

/* Read rows [ns][nq] of (t, z), flipped back if zigzag. */
static tsct_status read_row(tsct_dataset *in, int64_t t, int64_t z, int64_t a, int64_t ns,
                            int64_t nq, int zig, float *row, tsct_error *err)
{
    const int64_t start[5] = {t, z, a, 0, 0}, count[5] = {1, 1, 1, ns, nq};
    TSCT_TRY(tsct_dataset_read(in, start, count, row, err));
    return zig && a % 2 == 1 ? tsct_sino_zigzag(row, 1, ns, nq, 0, err) : TSCT_OK;
}

/* --normalise transmission: the diode record of (t, z), /entry/scan/transmission
 * [nt][nz][na][ns] in acquisition order like the patterns, flipped back as they are. */
static tsct_status read_diode(tsct_dataset *d, int64_t t, int64_t z, int64_t na, int64_t ns,
                              int zig, float *diode, tsct_error *err)
{
    if (!d)
        return TSCT_OK;
    const int64_t start[4] = {t, z, 0, 0}, count[4] = {1, 1, na, ns};
    TSCT_TRY(tsct_dataset_read(d, start, count, diode, err));
    return zig ? tsct_sino_zigzag(diode, na, ns, 1, 1, err) : TSCT_OK;
}

static tsct_status sino_plan_make(const tsct_stage_ctx *ctx, const tsct_stage_sinogram_params *o,
                                  tsct_dataset *in, int64_t t, int64_t z, int64_t na, int64_t ns,
                                  int64_t nq, int zig, const double *th, const float *monitor,
                                  int64_t nmon, int64_t ns_out_req, struct sino_plan *p,
                                  int64_t *ns_out, tsct_error *err)
{
    memset(p, 0, sizeof *p);
    char what[64];
    snprintf(what, sizeof what, "t=%lld z=%lld", (long long)t, (long long)z);
    float *row = malloc((size_t)(ns * nq) * sizeof *row);
    float *prof = malloc((size_t)(na * ns) * sizeof *prof);
    float *tmp = malloc((size_t)(na * ns) * sizeof *tmp);
    double *total = calloc((size_t)nq, sizeof *total);
    int64_t *nonfinite = calloc((size_t)nq, sizeof *nonfinite);
    tsct_status st = TSCT_OK;
    if (!row || !prof || !tmp || !total || !nonfinite)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "sinogram plan", -1, "row buffers");
    /* pass 1 (bad channels only): per-channel totals */
    if (st == TSCT_OK && o->bad_channels > 0) {
        for (int64_t a = 0; st == TSCT_OK && a < na; a++) {
            st = read_row(in, t, z, a, ns, nq, zig, row, err);
            for (int64_t i = 0; st == TSCT_OK && i < ns * nq; i++) {
                if (isfinite(row[i]))
                    total[i % nq] += row[i];
                else
                    nonfinite[i % nq]++;
            }
        }
        int64_t nbad = 0;
        p->bad = malloc((size_t)nq);
        if (st == TSCT_OK)
            st = p->bad ? tsct_sino_bad_channels_find(total, nonfinite, nq, o->bad_channels, p->bad,
                                                      &nbad, err)
                        : tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "bad channels", -1, "mask");
        if (st == TSCT_OK)
            tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s: %lld bad channel(s) replaced", what,
                         (long long)nbad);
    }
    /* pass 2: air per projection and the profile */
    if (st == TSCT_OK && o->air > 0) {
        p->air = malloc((size_t)(na * nq) * sizeof *p->air);
        if (!p->air)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "air", -1, "pattern");
    }
    const tsct_sino_air_side side = o->air_side == TSCT_STAGE_AIR_FIRST  ? TSCT_SINO_AIR_FIRST
                                    : o->air_side == TSCT_STAGE_AIR_LAST ? TSCT_SINO_AIR_LAST
                                                                         : TSCT_SINO_AIR_BOTH;
    for (int64_t a = 0; st == TSCT_OK && a < na; a++) {
        st = read_row(in, t, z, a, ns, nq, zig, row, err);
        if (st == TSCT_OK && p->bad)
            st = tsct_sino_bad_channels_fix(row, ns, nq, p->bad, err);
        if (st == TSCT_OK && p->air)
            st = tsct_sino_air_estimate(row, 1, ns, nq, side, o->air, 1, p->air + a * nq, err);
        if (st == TSCT_OK)
            st = tsct_sino_profile(row, 1, ns, nq, NULL, prof + a * ns, err);
    }
    if (st == TSCT_OK && p->air) {
        if (!o->air_per_angle) /* one pattern for the scan: the mean over projections */
            for (int64_t c = 0; c < nq; c++) {
                double m = 0.0;
                for (int64_t a = 0; a < na; a++)
                    m += p->air[a * nq + c];
                for (int64_t a = 0; a < na; a++)
                    p->air[a * nq + c] = m / (double)na;
            }
        for (int64_t a = 0; a < na; a++) {
            double sa = 0.0;
            for (int64_t c = 0; c < nq; c++)
                sa += p->air[a * nq + c];
            for (int64_t s = 0; s < ns; s++)
                prof[a * ns + s] = (float)(prof[a * ns + s] - sa);
        }
    }
    /* normalisation */
    if (st == TSCT_OK && o->normalise == TSCT_STAGE_NORMALISE_TOTAL) {
        p->scale = malloc((size_t)na * sizeof *p->scale);
        st = p->scale ? tsct_sino_scale_factors(prof, na, ns, NULL, p->scale, err)
                      : tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "normalisation", -1, "factors");
        if (st == TSCT_OK)
            st = tsct_sino_scale_rows(prof, na, ns, 1, p->scale, err);
    } else if (st == TSCT_OK && monitor) {
        p->monitor = (float *)monitor;
        p->nmon = nmon;
        p->diode = o->normalise == TSCT_STAGE_NORMALISE_TRANSMISSION;
        st = p->diode ? tsct_sino_scale_transmission(prof, na, ns, 1, monitor, err)
                      : tsct_sino_scale_monitor(prof, na, ns, 1, monitor, nmon, err);
    }
    /* jitter, then the centre on the jitter-corrected profile */
    p->origin = calloc((size_t)na, sizeof *p->origin);
    if (st == TSCT_OK && !p->origin)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "origins", -1, "%lld", (long long)na);
    if (st == TSCT_OK && o->com) {
        st = tsct_sino_com_shifts(prof, na, ns, p->origin, err);
        if (st == TSCT_OK)
            st = tsct_sino_resample(prof, na, ns, 1, p->origin, ns, tmp, ctx->nthreads, err);
        if (st == TSCT_OK)
            memcpy(prof, tmp, (size_t)(na * ns) * sizeof *prof);
    }
    p->centre = -1.0;
    if (st == TSCT_OK)
        st = tsct__stage_find_centre(ctx, what, o->centre, o->centre_value, prof, na, ns, th,
                                     &p->centre, err);
    if (st == TSCT_OK) {
        int64_t w = ns;
        if (p->centre >= 0.0) {
            if (o->crop)
                w = ns_out_req > 0 ? ns_out_req : tsct_sino_centre_crop_width(ns, p->centre);
            for (int64_t a = 0; a < na; a++)
                p->origin[a] += tsct_sino_centre_origin(p->centre, w);
        }
        if (w < 2 * o->bin_translation)
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "centre", -1,
                                "%s: the centre %.3f leaves %lld positions after cropping",
                                what, p->centre, (long long)w);
        *ns_out = w;
    }
    free(row);
    free(prof);
    free(tmp);
    free(total);
    free(nonfinite);
    if (st != TSCT_OK)
        sino_plan_release(p);
    return st;
}

/* Process channels [c0, c1) of (t, z): read (with the neighbours bad-channel repair needs),
 * filter, subtract, normalise, resample, bin; out is [na][ns_out / bin_s][(c1-c0) / bin_c]. */
static tsct_status sino_block(const tsct_stage_ctx *ctx, const tsct_stage_sinogram_params *o,
                              tsct_dataset *in, const struct sino_plan *p, int64_t t, int64_t z,
                              int64_t na, int64_t ns, int64_t nq, int zig, int64_t c0, int64_t c1,
                              int64_t ns_out, float *buf, float *buf2, float *out, int64_t *nzing,
                              tsct_error *err)
{
    int64_t lo = c0, hi = c1;
    if (p->bad) { /* extend to the nearest good channels on either side */
        while (lo > 0 && p->bad[lo])
            lo--;
        while (hi < nq && p->bad[hi - 1])
            hi++;
    }
    const int64_t nb = hi - lo, nk = c1 - c0;
    const int64_t start[5] = {t, z, 0, 0, lo}, count[5] = {1, 1, na, ns, nb};
    TSCT_TRY(tsct_dataset_read(in, start, count, buf, err));
    if (zig)
        TSCT_TRY(tsct_sino_zigzag(buf, na, ns, nb, 1, err));
    if (p->bad)
        TSCT_TRY(tsct_sino_bad_channels_fix(buf, na * ns, nb, p->bad + lo, err));
    /* keep channels [c0, c1) packed */
    if (nb != nk)
        for (int64_t i = 0; i < na * ns; i++)
            memmove(buf + i * nk, buf + i * nb + (c0 - lo), (size_t)nk * sizeof *buf);
    if (o->zingers > 0)
        TSCT_TRY(tsct_sino_zingers(buf, na, ns, nk, o->zingers, ctx->nthreads, nzing, err));
    if (p->air) {
        for (int64_t a = 0; a < na; a++)
            TSCT_TRY(tsct_sino_air_subtract(buf + a * ns * nk, 1, ns, nk, p->air + a * nq + c0,
                                            err));
    }
    if (p->scale)
        TSCT_TRY(tsct_sino_scale_rows(buf, na, ns, nk, p->scale, err));
    if (p->monitor && p->diode)
        TSCT_TRY(tsct_sino_scale_transmission(buf, na, ns, nk, p->monitor, err));
    else if (p->monitor)
        TSCT_TRY(tsct_sino_scale_monitor(buf, na, ns, nk, p->monitor, p->nmon, err));
    TSCT_TRY(tsct_sino_resample(buf, na, ns, nk, p->origin, ns_out, buf2, ctx->nthreads, err));
    if (o->bin_translation == 1 && o->bin_channels == 1) {
        memcpy(out, buf2, (size_t)(na * ns_out * nk) * sizeof *out);
        return TSCT_OK;
    }
    return tsct_sino_downsample(buf2, na, ns_out, nk, o->bin_translation, o->bin_channels, out, err);
}


/* The settings record, word for word the one `tsct sinogram` wrote before the stage moved
 * into the library (so earlier containers stay up to date). */
static void settings_of(const tsct_stage_sinogram_params *o, int zig, tsct_stage_settings *s)
{
    static const char *const sides[] = {"both", "first", "last"};
    static const char *const norms[] = {"none", "total", "transmission"};
    tsct_stage_settings_add(s, "zigzag", "%d", zig);
    tsct_stage_settings_add(s, "air", "%lld", (long long)o->air);
    tsct_stage_settings_add(s, "side", "%s", sides[o->air_side]);
    tsct_stage_settings_add(s, "per_angle", "%d", o->air_per_angle);
    tsct_stage_settings_add(s, "normalise", "%s",
                            o->normalise == TSCT_STAGE_NORMALISE_MONITOR ? o->monitor
                                                                         : norms[o->normalise]);
    tsct_stage_settings_add(s, "com", "%d", o->com);
    tsct_stage_settings_add(s, "centre", "%d:%.17g", (int)o->centre, o->centre_value);
    tsct_stage_settings_add(s, "crop", "%d", o->crop);
    tsct_stage_settings_add(s, "bin", "%lldx%lld", (long long)o->bin_translation,
                            (long long)o->bin_channels);
    tsct_stage_settings_add(s, "bad", "%g", o->bad_channels);
    tsct_stage_settings_add(s, "zingers", "%g", o->zingers);
    tsct_stage_settings_add(s, "block", "%lld", (long long)o->block);
    tsct_stage_settings_add(s, "deflate", "%lld", (long long)o->deflate);
}

static tsct_status check_params(const tsct_stage_sinogram_params *o, tsct_error *err)
{
    if ((unsigned)o->zigzag > TSCT_STAGE_ZIGZAG_NO || (unsigned)o->air_side > TSCT_STAGE_AIR_LAST ||
        (unsigned)o->normalise > TSCT_STAGE_NORMALISE_MONITOR ||
        (o->centre != TSCT_STAGE_CENTRE_AUTO && o->centre != TSCT_STAGE_CENTRE_PAIR &&
         o->centre != TSCT_STAGE_CENTRE_VO && o->centre != TSCT_STAGE_CENTRE_NONE &&
         o->centre != TSCT_STAGE_CENTRE_FIXED))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "sinogram parameters", -1,
                              "an enum out of range");
    if (o->normalise == TSCT_STAGE_NORMALISE_MONITOR && (!o->monitor || !strstr(o->monitor, "::")))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "monitor", -1,
                              "expected FILE.h5::/dataset for the monitor normalisation");
    if (o->air < 0 || o->bin_translation < 1 || o->bin_channels < 1 || o->block < 1 ||
        o->deflate < 0 || o->deflate > 9 || !(o->bad_channels >= 0) || !(o->zingers >= 0) ||
        (o->centre == TSCT_STAGE_CENTRE_FIXED && !(o->centre_value >= 0)))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "sinogram parameters", -1,
                              "expected air >= 0, binning and block >= 1, deflate 0-9, "
                              "thresholds and a fixed centre >= 0");
    return TSCT_OK;
}

tsct_status tsct_stage_sinogram(const char *container, const tsct_stage_sinogram_params *params,
                                const tsct_stage_ctx *context, tsct_stage_report *report,
                                tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    const tsct_stage_sinogram_params defaults = TSCT_STAGE_SINOGRAM_PARAMS_DEFAULT;
    tsct_stage_sinogram_params o = params ? *params : defaults;
    tsct_stage_report rep_local;
    tsct_stage_report *rep = tsct__stage_report(report, &rep_local);
    TSCT_TRY(check_params(&o, err));
    /* a channel block holds whole channel bins */
    o.block = (o.block + o.bin_channels - 1) / o.bin_channels * o.bin_channels;
    tsct_stage_settings settings;
    tsct_stage_settings_init(&settings);
    char *fp = NULL;
    tsct_container *c = NULL;
    tsct_dataset *in = NULL, *dst = NULL, *diode = NULL;
    tsct_step *step = NULL;
    double *th = NULL, *q = NULL, *qb = NULL, *centres = NULL;
    char *stamps = NULL;
    float *monitor = NULL, *buf = NULL, *buf2 = NULL, *out = NULL;
    struct sino_plan plan;
    memset(&plan, 0, sizeof plan);
    int64_t nmon = 0, na = 0, nq_axis = 0, shape[8];
    tsct_status st = tsct_container_open(container, TSCT_OPEN_WRITE, &c, err);
    if (st == TSCT_OK)
        st = tsct_dataset_open(c, TSCT_PATH_INTEGRATED, &in, err);
    if (st == TSCT_OK && tsct_dataset_shape(in, shape) != 5)
        st = tsct_error_set(err, TSCT_ERR_SHAPE, container, TSCT_PATH_INTEGRATED, -1,
                            "expected 5 axes [nt][nz][na][ns][nq]");
    if (st == TSCT_OK)
        st = tsct_container_read_vector(c, TSCT_PATH_SCAN "/angle", &th, &na, err);
    if (st == TSCT_OK && na != shape[2])
        st = tsct_error_set(err, TSCT_ERR_SHAPE, container, TSCT_PATH_SCAN "/angle", -1,
                            "%lld angles for %lld sinogram rows", (long long)na,
                            (long long)shape[2]);
    for (int64_t a = 0; st == TSCT_OK && a < na; a++)
        if (!isfinite(th[a]))
            st = tsct_error_set(err, TSCT_ERR_VALUE, container, TSCT_PATH_SCAN "/angle", a,
                                "expected a finite angle, found %g", th[a]);
    const int64_t nt = shape[0], nz = shape[1], ns = shape[3], nq = shape[4];
    if (st == TSCT_OK && tsct_container_exists(c, TSCT_PATH_INTEGRATED_Q))
        st = tsct_container_read_vector(c, TSCT_PATH_INTEGRATED_Q, &q, &nq_axis, err);
    int zig = o.zigzag == TSCT_STAGE_ZIGZAG_YES;
    if (st == TSCT_OK && o.zigzag == TSCT_STAGE_ZIGZAG_AUTO) {
        int64_t v = 0;
        tsct_error e2 = TSCT_ERROR_INIT;
        zig = tsct_container_get_attr_int(c, TSCT_PATH_SCAN, "zigzag", &v, &e2) == TSCT_OK && v;
    }
    if (st == TSCT_OK && o.normalise == TSCT_STAGE_NORMALISE_TRANSMISSION) {
        int64_t dsh[8] = {0};
        if (!tsct_container_exists(c, TSCT_PATH_SCAN "/transmission"))
            st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, container,
                                TSCT_PATH_SCAN "/transmission", -1,
                                "--normalise transmission needs the sample's transmission "
                                "measured at every point [nt][nz][na][ns]");
        if (st == TSCT_OK)
            st = tsct_dataset_open(c, TSCT_PATH_SCAN "/transmission", &diode, err);
        if (st == TSCT_OK && (tsct_dataset_shape(diode, dsh) != 4 || dsh[0] != nt ||
                              dsh[1] != nz || dsh[2] != na || dsh[3] != ns))
            st = tsct_error_set(err, TSCT_ERR_SHAPE, container,
                                TSCT_PATH_SCAN "/transmission", -1,
                                "expected [%lld][%lld][%lld][%lld] like the patterns",
                                (long long)nt, (long long)nz, (long long)na, (long long)ns);
        nmon = na * ns;
        if (st == TSCT_OK && !(monitor = malloc((size_t)nmon * sizeof *monitor)))
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "transmission", -1, "one slice");
    }
    if (st == TSCT_OK && o.normalise == TSCT_STAGE_NORMALISE_MONITOR) {
        int nd = 0;
        int64_t msh[8];
        st = tsct__stage_read_array(o.monitor, "--normalise", &nd, msh, &monitor, err);
        nmon = st == TSCT_OK ? tsct_shape_size(nd, msh) : 0;
        if (st == TSCT_OK && nmon != na && nmon != na * ns)
            st = tsct_error_set(err, TSCT_ERR_SHAPE, o.monitor, NULL, -1,
                                "expected %lld (per projection) or %lld (per point) monitor "
                                "values, found %lld", (long long)na, (long long)(na * ns),
                                (long long)nmon);
    }
    if (st != TSCT_OK)
        goto done;
    if (o.bin_channels > nq || o.bin_translation > ns) {
        st = tsct_error_set(err, TSCT_ERR_VALUE, container, "--bin-channels", -1,
                            "binning %lld x %lld of [%lld][%lld] rows", (long long)o.bin_translation,
                            (long long)o.bin_channels, (long long)ns, (long long)nq);
        goto done;
    }

    /* The output width must be the same for every (t, z): the first one's plan sets it. */
    int64_t ns_out = 0;
    tsct_log_msg(ctx->log, TSCT_LOG_DEBUG, "sinogram: planning t=0 z=0%s",
                 zig ? " (zigzag rows flipped back)" : "");
    /* Quiet: this plan only sets the width; t=0 z=0 is planned again, and its centre
     * reported, with the time steps computed below. */
    tsct_stage_ctx quiet = *ctx;
    quiet.log = NULL;
    st = read_diode(diode, 0, 0, na, ns, zig, monitor, err);
    if (st == TSCT_OK)
        st = sino_plan_make(&quiet, &o, in, 0, 0, na, ns, nq, zig, th, monitor, nmon, 0, &plan,
                            &ns_out, err);
    sino_plan_release(&plan);
    if (st != TSCT_OK)
        goto done;
    const int64_t ms = ns_out / o.bin_translation, mq = nq / o.bin_channels;
    const int64_t nblk = (mq * o.bin_channels + o.block - 1) / o.block;
    settings_of(&o, zig, &settings);
    if (settings.failed) {
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "settings", -1, "record");
        goto done;
    }
    static const char *const inputs_s[] = {"import_integrated", "integrate", "simulate", NULL};
    /* The data read: the patterns, and with --normalise transmission the transmission. */
    static const char *const data_s[] = {TSCT_PATH_INTEGRATED, NULL};
    static const char *const data_st[] = {TSCT_PATH_INTEGRATED, TSCT_PATH_SCAN "/transmission",
                                          NULL};
    fp = tsct_stage_fingerprint(c, inputs_s, settings.text);
    if (!fp) {
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "fingerprint", -1, "record");
        goto done;
    }
    if (tsct_stage_up_to_date(ctx, c, "sinogram", fp))
        goto done;
    /* Time steps t0 .. nt-1 are computed; earlier ones are kept (tsct run, new tomograms). */
    const int64_t t0 = tsct_stage_keep_time_steps(ctx, c, "sinogram", settings.text,
                                                  diode ? data_st : data_s,
                                                  TSCT_PATH_SINOGRAMS, nt, &stamps, &fp);
    if (t0 == nt)
        goto done;
    tsct_step_info info = {"sinogram", ctx->command_line, settings.text, fp,
                           (nt - t0) * nz * nblk, settings.text, stamps, t0};
    st = tsct_step_begin(c, &info, ctx->log, &step, err);
    const int64_t oshape[5] = {nt - t0, nz, na, ms, mq};
    tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
    dp.deflate = (int)o.deflate;
    dp.chunk_last = o.block / o.bin_channels;  /* one unit's channels: see tsct_dataset_params */
    dp.chunk_axes = 1; /* one unit covers every angle of its (time, slice) */
    if (st == TSCT_OK && q) {
        qb = malloc((size_t)mq * sizeof *qb);
        for (int64_t k = 0; qb && k < mq; k++) {
            double m = 0.0;
            for (int64_t v = 0; v < o.bin_channels; v++)
                m += q[k * o.bin_channels + v];
            qb[k] = m / (double)o.bin_channels;
        }
        st = qb ? tsct_step_vector(step, TSCT_PATH_SINOGRAMS_Q, qb, mq, "A^-1", err)
                : tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "q", -1, "binned axis");
    }
    centres = malloc((size_t)(nt * nz) * sizeof *centres);
    if (st == TSCT_OK && centres && t0 > 0) {
        /* the kept time steps' centres */
        double *kept = NULL;
        int64_t nk = 0;
        st = tsct_container_read_vector(c, "/entry/sinograms/centre", &kept, &nk, err);
        for (int64_t i = 0; st == TSCT_OK && i < t0 * nz; i++)
            centres[i] = i < nk ? kept[i] : -1.0;
        free(kept);
    }
    const int64_t bmax = o.block + (o.bad_channels > 0 ? nq : 0);
    buf = malloc((size_t)(na * ns * (bmax < nq ? bmax : nq)) * sizeof *buf);
    buf2 = malloc((size_t)(na * (ns_out > ns ? ns_out : ns) * o.block) * sizeof *buf2);
    out = malloc((size_t)(na * ms * (o.block / o.bin_channels)) * sizeof *out);
    if (st == TSCT_OK && (!centres || !buf || !buf2 || !out))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "sinogram blocks", -1,
                            "%lld channels per block", (long long)o.block);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, TSCT_PATH_SINOGRAMS, 5, oshape, t0 > 0 ? t0 : -1, &dp,
                               &dst, err);
    if (st != TSCT_OK)
        goto done;
    tsct_dataset_set_threads(in, ctx->nthreads);
    tsct_dataset_set_threads(dst, ctx->nthreads);
    tsct_progress pr;
    tsct_progress_begin(&pr, ctx->progress, "sinogram blocks", (nt - t0) * nz * nblk,
                        tsct_step_done_count(step));
    int64_t nzing = 0;
    for (int64_t tz = t0 * nz; st == TSCT_OK && tz < nt * nz; tz++) {
        const int64_t t = tz / nz, z = tz % nz;
        int64_t w = 0;
        st = read_diode(diode, t, z, na, ns, zig, monitor, err);
        if (st == TSCT_OK)
            st = sino_plan_make(ctx, &o, in, t, z, na, ns, nq, zig, th, monitor, nmon, ns_out,
                                &plan, &w, err);
        if (st == TSCT_OK && w != ns_out)
            st = tsct_error_set(err, TSCT_ERR_SHAPE, container, "centre", tz,
                                "t=%lld z=%lld: %lld positions after centring, the first slice "
                                "had %lld (use --no-crop)", (long long)t, (long long)z,
                                (long long)w, (long long)ns_out);
        centres[tz] = plan.centre;
        for (int64_t b = 0; st == TSCT_OK && b < nblk; b++) {
            const int64_t u = (tz - t0 * nz) * nblk + b;
            if (tsct_step_is_done(step, u))
                continue;
            const int64_t c0 = b * o.block;
            const int64_t c1 = c0 + o.block < mq * o.bin_channels ? c0 + o.block : mq * o.bin_channels;
            int64_t nzb = 0;
            st = sino_block(ctx, &o, in, &plan, t, z, na, ns, nq, zig, c0, c1, ns_out, buf,
                            buf2, out, &nzb, err);
            nzing += nzb;
            const int64_t ws[5] = {t - t0, z, 0, 0, c0 / o.bin_channels};
            const int64_t wc[5] = {1, 1, na, ms, (c1 - c0) / o.bin_channels};
            if (st == TSCT_OK)
                st = tsct_dataset_write(dst, ws, wc, out, err);
            if (st == TSCT_OK)
                st = tsct_step_mark_done(step, u, 1, err);
            if (st == TSCT_OK)
                tsct_progress_add(&pr, 1);
        }
        sino_plan_release(&plan);
    }
    if (st != TSCT_OK)
        goto done;
    tsct_progress_end(&pr);
    st = tsct_step_vector(step, "/entry/sinograms/centre", centres, nt * nz,
                          "bins of /entry/integrated axis 3 (-1: not centred)", err);
    tsct_dataset_close(dst);
    dst = NULL;
    if (st == TSCT_OK) {
        st = tsct_step_commit(step, err);
        step = NULL;
    }
    if (st == TSCT_OK && o.zingers > 0)
        tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%lld zinger(s) replaced", (long long)nzing);
    if (st == TSCT_OK) {
        char b[128];
        rep->ran = 1;
        rep->time_first = t0;
        rep->units = (nt - t0) * nz * nblk;
        snprintf(rep->what, sizeof rep->what, "sinograms %s written to %s:%s",
                 tsct_shape_format(b, sizeof b, 5, oshape), container, TSCT_PATH_SINOGRAMS);
        tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s", rep->what);
    }
done:
    tsct_dataset_close(dst);
    tsct_step_close(step);
    tsct_dataset_close(diode);
    tsct_dataset_close(in);
    if (st == TSCT_OK)
        st = tsct_container_close(c, err);
    else
        tsct_container_close(c, NULL);
    sino_plan_release(&plan);
    free(th);
    free(q);
    free(qb);
    free(centres);
    free(stamps);
    free(monitor);
    free(buf);
    free(buf2);
    free(out);
    free(fp);
    tsct_stage_settings_release(&settings);
    return st;
}

