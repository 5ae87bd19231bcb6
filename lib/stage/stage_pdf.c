/* stage_pdf.c - the PDF stages (see include/tsct/stage.h): every voxel of /entry/recon that
 * passes a total-intensity threshold becomes a G(r) in /entry/pdf, voxel row by voxel row
 * through a resumable step (with a reference time step, also the difference PDFs
 * G_t - G_T per voxel); a region's mean patterns /entry/regions/NAME/pattern become its G(r)
 * and difference PDFs per time step, in double precision (a few patterns, the reference
 * path). PDFgetX3's definitions and normalisation (lib/pdf, docs/pdf.md); every setting is
 * kept as attributes of the datasets.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stage_internal.h"
#include "tsct/composition.h"
#include "tsct/pattern.h"
#include "tsct/publish.h"
#include "tsct/stage.h"
#include "tsct/version.h"

/* Every setting of the resolved configuration as attributes of d: numbers as float64, the
 * composition and the whole configuration block as strings (h5py reads them without tsct). */
static tsct_status set_setting_attrs(tsct_dataset *d, const tsct_pdf_config *rec,
                                     const char *config_text, int degree, tsct_error *err)
{
    const tsct_pdf_params *p = &rec->params;
    const struct {
        const char *name;
        double value;
    } num[] = {{"qmin", p->qmin},   {"qmax", p->qmax},   {"qmaxinst", p->qmaxinst},
               {"rmin", p->rmin},   {"rmax", p->rmax},   {"rstep", p->rstep},
               {"rpoly", p->rpoly}, {"lorch", p->lorch},
               {"bgscale", tsct_pdf_config_bgscale(rec, 0)},
               {"polynomial_degree", degree}};
    for (size_t i = 0; i < sizeof num / sizeof num[0]; i++)
        TSCT_TRY(tsct_dataset_set_attr_double(d, num[i].name, num[i].value, err));
    TSCT_TRY(tsct_dataset_set_attr_string(d, "composition", rec->composition, err));
    TSCT_TRY(tsct_dataset_set_attr_string(d, "mode", rec->mode, err));
    return tsct_dataset_set_attr_string(d, "config", config_text, err);
}

/* d[i] = g[i] - gref[i]: the difference PDF (NaN where either is NaN). */
static void difference(const float *g, const float *gref, int64_t n, float *d)
{
    for (int64_t i = 0; i < n; i++)
        d[i] = g[i] - gref[i];
}

/* Rank 0: the step begun (or resumed) with its r axis, G dataset and, with a reference, the
 * dPDF dataset and the kept G of the reference (when it is before t0). */
static tsct_status pdf_step_begin(const tsct_stage_ctx *ctx, tsct_container *c,
                                  const tsct_stage_pdf_params *o, const tsct_pdf_config *rec,
                                  const tsct_pdf_plan *plan, const char *config_text,
                                  const char *fingerprint, const char *settings,
                                  const char *stamps, const int64_t *shape, int64_t t0,
                                  tsct_step_info *info, tsct_step **step, tsct_dataset **dst,
                                  tsct_dataset **kept, tsct_dataset **ddst, tsct_error *err)
{
    const int with_diff = o->reference >= 0;
    const int64_t nrows = (shape[0] - t0) * shape[1] * shape[2], nr = tsct_pdf_plan_nr(plan);
    info->fingerprint = fingerprint;
    info->nunits = with_diff ? 2 * nrows : nrows;
    info->settings = settings;
    info->inputs = stamps;
    info->time_first = t0;
    TSCT_TRY(tsct_step_begin(c, info, ctx->log, step, err));
    TSCT_TRY(tsct_step_vector(*step, TSCT_PATH_PDF_R, tsct_pdf_plan_r(plan), nr, "A", err));
    int64_t gshape[5] = {shape[0] - t0, shape[1], shape[2], shape[3], nr};
    tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
    dp.units = "A^-2";
    const int64_t off = t0 > 0 ? t0 : -1;
    TSCT_TRY(tsct_step_dataset(*step, TSCT_PATH_PDF, 5, gshape, off, &dp, dst, err));
    if (with_diff && o->reference < t0) /* a kept reference */
        TSCT_TRY(tsct_dataset_open(c, TSCT_PATH_PDF, kept, err));
    TSCT_TRY(set_setting_attrs(*dst, rec, config_text, tsct_pdf_plan_degree(plan), err));
    if (!with_diff)
        return TSCT_OK;
    TSCT_TRY(tsct_step_dataset(*step, TSCT_PATH_PDF_DIFF, 5, gshape, off, &dp, ddst, err));
    TSCT_TRY(set_setting_attrs(*ddst, rec, config_text, tsct_pdf_plan_degree(plan), err));
    return tsct_dataset_set_attr_double(*ddst, "reference", (double)o->reference, err);
}

/* One voxel row of /entry/recon as a unit of the step (tsct__stage_units): its result is the
 * count of voxels that passed the threshold (int64) and the row's G(r) [nx][nr]. */
struct pdf_unit {
    tsct_dataset *src, *dst;  /* dst: rank 0, the step's */
    const tsct_pdf_plan *plan;
    tsct_pdf_workspace *ws;
    const int64_t *shape, *shared;  /* shared: t0 and the cut (its bits), rank 0's */
    int64_t nr;
    float *row;
    int64_t nvox;             /* rank 0: voxels of the rows written */
};

static double shared_double(int64_t bits)
{
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static void pdf_unit_lead(const struct pdf_unit *x, int64_t r, int64_t *lead)
{
    lead[0] = x->shared[0] + r / (x->shape[1] * x->shape[2]);
    lead[1] = r / x->shape[2] % x->shape[1];
    lead[2] = r % x->shape[2];
}

static tsct_status pdf_unit_compute(void *user, int64_t r, void *out, tsct_error *err)
{
    struct pdf_unit *x = user;
    const int64_t nx = x->shape[3], nq = x->shape[4];
    int64_t lead[3];
    pdf_unit_lead(x, r, lead);
    TSCT_TRY(tsct_dataset_read_row(x->src, lead, x->row, err));
    uint8_t *mask = (uint8_t *)x->row + (size_t)(nx * nq) * sizeof(float);
    const int64_t n = tsct_stage_sample_mask(x->row, nx, nq, shared_double(x->shared[1]), mask);
    memcpy(out, &n, sizeof n);
    return tsct_pdf_execute(x->plan, x->row, nx, mask, (float *)((char *)out + sizeof n), x->ws,
                            err);
}

static tsct_status pdf_unit_write(void *user, int64_t r, const void *out, tsct_error *err)
{
    struct pdf_unit *x = user;
    int64_t lead[3], n;
    pdf_unit_lead(x, r, lead);
    lead[0] -= x->shared[0]; /* the staged time step */
    memcpy(&n, out, sizeof n);
    x->nvox += n;
    return tsct_dataset_write_row(x->dst, lead,
                                  (const float *)((const char *)out + sizeof n), err);
}

/* Rank 0, after every G row: the dPDF rows (units nrows .. 2 nrows - 1) from the staged G. */
static tsct_status pdf_differences(const tsct_stage_pdf_params *o, tsct_step *step,
                                   tsct_dataset *dst, tsct_dataset *kept, tsct_dataset *ddst,
                                   const int64_t *shape, int64_t t0, int64_t nr, float *grow,
                                   float *gref, tsct_progress *progress, tsct_error *err)
{
    const int64_t nx = shape[3], nrows = (shape[0] - t0) * shape[1] * shape[2];
    tsct_stage_batch batch = {0, 0, tsct_clock()};
    for (int64_t r = 0; r < nrows; r++) {
        if (tsct_step_is_done(step, nrows + r))
            continue;
        int64_t lead[3] = {r / (shape[1] * shape[2]), r / shape[2] % shape[1], r % shape[2]};
        int64_t lref[3] = {o->reference - (kept ? 0 : t0), lead[1], lead[2]};
        TSCT_TRY(tsct_dataset_read_row(dst, lead, grow, err));
        TSCT_TRY(tsct_dataset_read_row(kept ? kept : dst, lref, gref, err));
        difference(grow, gref, nx * nr, grow);
        TSCT_TRY(tsct_dataset_write_row(ddst, lead, grow, err));
        TSCT_TRY(tsct_stage_batch_add(step, &batch, nrows + r, err));
        tsct_progress_add(progress, 1);
    }
    return tsct_stage_batch_flush(step, &batch, err);
}

/* What every rank reads and plans: q, /entry/recon (its shape checked), the plan and its
 * workspace. */
static tsct_status pdf_open(const tsct_stage_ctx *ctx, const char *container,
                            const tsct_stage_pdf_params *o, tsct_container **c,
                            tsct_dataset **src, double **q, int64_t *nq, int64_t *shape,
                            tsct_composition **comp, tsct_pdf_plan **plan,
                            tsct_pdf_workspace **ws, tsct_error *err)
{
    const tsct_pdf_config *cfg = o->config;
    TSCT_TRY(tsct_container_open(container, tsct__stage_root(ctx) ? TSCT_OPEN_WRITE
                                                                  : TSCT_OPEN_READ, c, err));
    TSCT_TRY(tsct_container_read_vector(*c, TSCT_PATH_RECON_Q, q, nq, err));
    TSCT_TRY(tsct_dataset_open(*c, TSCT_PATH_RECON, src, err));
    if (tsct_dataset_shape(*src, shape) != 5 || shape[4] != *nq)
        return tsct_error_set(err, TSCT_ERR_SHAPE, container, TSCT_PATH_RECON, -1,
                              "expected [nt][nz][ny][nx][%lld]", (long long)*nq);
    if (o->reference >= 0 && o->reference >= shape[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, container, "--reference", o->reference,
                              "the reference time step must be below nt = %lld",
                              (long long)shape[0]);
    TSCT_TRY(tsct_pdf_config_check_q(cfg, *q, *nq, container, err));
    TSCT_TRY(tsct_composition_parse(comp, cfg->composition, err));
    tsct_pdf_params p = cfg->params;
    p.nthreads = ctx->nthreads;
    tsct_status st = tsct_pdf_plan_create(&p, *comp, *q, *nq, plan, err);
    if (st != TSCT_OK) {
        tsct_error_set_file(err, cfg->source);
        return st;
    }
    return tsct_pdf_workspace_create(*plan, ctx->nthreads, ws, err);
}

tsct_status tsct_stage_pdf(const char *container, const tsct_stage_pdf_params *o,
                           const tsct_stage_ctx *context, tsct_stage_report *report,
                           tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    tsct_stage_report rep_local, *rep = tsct__stage_report(report, &rep_local);
    if (!o || !o->config)
        return tsct_error_set(err, TSCT_ERR_VALUE, container, "pdf", -1, "no configuration");
    if (!(o->threshold >= 0 && o->threshold <= 1) || o->reference < -1)
        return tsct_error_set(err, TSCT_ERR_VALUE, container, "pdf", -1,
                              "expected a threshold 0..1 and a reference time step >= 0");
    const tsct_pdf_config *cfg = o->config;
    tsct_container *c = NULL;
    tsct_dataset *src = NULL, *dst = NULL, *ddst = NULL, *kept = NULL;
    tsct_step *step = NULL;
    char *stamps = NULL;
    tsct_composition *comp = NULL;
    tsct_pdf_plan *plan = NULL;
    tsct_pdf_workspace *ws = NULL;
    double *q = NULL;
    float *row = NULL, *grow = NULL, *gref = NULL;
    char *config_text = NULL;
    int64_t nq = 0, shape[8] = {0};
    const int with_diff = o->reference >= 0, root = tsct__stage_root(ctx);
    const int ranks = tsct_mpi_size(ctx->mpi) > 1;
    /* With ranks, every rank reads /entry/recon and plans; rank 0 alone writes. */
    tsct_status st = pdf_open(ctx, container, o, &c, &src, &q, &nq, shape, &comp, &plan, &ws,
                              err);
    const int64_t nx = shape[3], nr = st == TSCT_OK ? tsct_pdf_plan_nr(plan) : 0;
    if (st == TSCT_OK) {
        /* row: [nx][nq] floats and the row's mask [nx] */
        row = malloc((size_t)(nx * nq) * sizeof *row + (size_t)nx);
        grow = malloc((size_t)(nx * nr) * sizeof *grow);
        gref = malloc((size_t)(nx * nr) * sizeof *gref);
        config_text = malloc(65536);
        if (!row || !grow || !gref || !config_text)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, container, NULL, -1, "row buffers");
    }
    st = tsct__stage_agree(ctx, st, err);
    if (st != TSCT_OK)
        goto fail;
    double vmax = 0;
    int64_t t0 = 0;
    tsct_step_info info = {"pdf", ctx->command_line, config_text, NULL, 0, NULL, NULL, 0};
    tsct_pdf_config rec = *cfg;
    char fingerprint[6144], settings[4096];
    if (root)
        st = tsct_stage_max_total(src, &vmax, err);
    const double cut = o->threshold * vmax;
    if (root && st == TSCT_OK) {
        rec.params = *tsct_pdf_plan_params(plan);
        rec.ninputfile = 0;
        tsct_pdf_config_format(&rec, tsct_version(), config_text, 65536);
        char inputs[1024];
        static const char *const upstream[] = {"recon", "import_recon", NULL};
        static const char *const data[] = {TSCT_PATH_RECON, NULL};
        tsct_step_inputs_id(c, upstream, inputs, sizeof inputs);
        /* The cut depends on every time step: when new ones raise the largest intensity, the
         * settings differ and every time step is computed again. */
        snprintf(settings, sizeof settings, "recon=%lldx%lldx%lldx%lld threshold=%.17g "
                 "cut=%.17g reference=%lld %.2000s", (long long)shape[1], (long long)shape[2],
                 (long long)shape[3], (long long)shape[4], o->threshold, cut,
                 (long long)o->reference, config_text);
        snprintf(fingerprint, sizeof fingerprint, "%s nt=%lld %s", inputs, (long long)shape[0],
                 settings);
        /* Time steps before t0 are kept (tsct run, new tomograms); the dPDF reference must be
         * among them or among the new ones. */
        char *fp = NULL;
        if (!tsct_stage_up_to_date(ctx, c, "pdf", fingerprint)) {
            fp = strdup(fingerprint);
            if (!fp)
                st = tsct_error_set(err, TSCT_ERR_NOMEM, container, "pdf", -1, "fingerprint");
        }
        if (fp) {
            t0 = tsct_stage_keep_time_steps(ctx, c, "pdf", settings, data, TSCT_PATH_PDF,
                                            shape[0], &stamps, &fp);
            snprintf(fingerprint, sizeof fingerprint, "%s", fp);
            free(fp);
            if (t0 < shape[0])
                st = pdf_step_begin(ctx, c, o, &rec, plan, config_text, fingerprint, settings,
                                    stamps, shape, t0, &info, &step, &dst, &kept, &ddst, err);
        }
    }
    /* Units 0 .. nrows-1: the G rows of time steps t0 ..; with a reference, nrows .. 2 nrows-1:
     * the dPDF rows, computed by rank 0 from the staged G once every G row is finished. */
    tsct_progress progress;
    const int counting = st == TSCT_OK && step;
    if (counting)
        tsct_progress_begin(&progress, ctx->progress, "pdf voxel rows", info.nunits,
                            tsct_step_done_count(step));
    int64_t cut_bits;
    memcpy(&cut_bits, &cut, sizeof cut_bits);
    tsct__stage_units w = {(shape[0] - t0) * shape[1] * shape[2],
                           sizeof(int64_t) + (size_t)(nx * nr) * sizeof(float),
                           pdf_unit_compute, pdf_unit_write, NULL, {t0, cut_bits}, 1};
    struct pdf_unit x = {src, dst, plan, ws, shape, w.shared, nr, row, 0};
    w.user = &x;
    if (st == TSCT_OK || ranks)
        st = tsct__stage_units_run(ctx, step, &w, st, NULL, counting ? &progress : NULL, 1,
                                   NULL, err);
    if (st != TSCT_OK || !step)
        goto fail;
    if (with_diff)
        st = pdf_differences(o, step, dst, kept, ddst, shape, t0, nr, grow, gref, &progress,
                             err);
    if (st != TSCT_OK)
        goto fail;
    tsct_progress_end(&progress);
    tsct_dataset_close(dst);
    tsct_dataset_close(ddst);
    tsct_dataset_close(kept);
    dst = ddst = kept = NULL;
    st = tsct_step_commit(step, err);
    step = NULL;
    if (st != TSCT_OK)
        goto fail;
    rep->ran = 1;
    rep->units = info.nunits;
    rep->time_first = t0;
    snprintf(rep->what, sizeof rep->what,
             "%s: G(r) of %lld voxels (threshold %g of the largest total intensity), "
             "%lld r points, polynomial degree %d", container, (long long)x.nvox, o->threshold,
             (long long)nr, tsct_pdf_plan_degree(plan));
    tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s", rep->what);
    tsct_dataset_close(src);
    src = NULL;
    st = tsct_container_close(c, err);
    c = NULL;
fail:
    tsct_dataset_close(dst);
    tsct_dataset_close(ddst);
    tsct_dataset_close(kept);
    free(stamps);
    tsct_step_close(step);
    tsct_dataset_close(src);
    tsct_container_close(c, NULL);
    tsct_pdf_workspace_destroy(ws);
    tsct_pdf_plan_destroy(plan);
    tsct_composition_destroy(comp);
    free(q);
    free(row);
    free(grow);
    free(gref);
    free(config_text);
    return st;
}

/* ---- text patterns --------------------------------------------------------------------- */

/* Read a pattern and convert its x to Q in 1/A per the config's dataformat. */
static tsct_status read_q(const tsct_pdf_config *cfg, const char *path, double **q, double **y,
                          int64_t *n, tsct_error *err)
{
    TSCT_TRY(tsct_pattern_read_text(path, q, y, n, err));
    for (int64_t i = 0; i < *n; i++) {
        double x = (*q)[i];
        if (!strcmp(cfg->dataformat, "twotheta"))
            x = 4.0 * M_PI * sin(0.5 * (x - cfg->twothetazero) * M_PI / 180.0) / cfg->wavelength;
        else if (!strcmp(cfg->dataformat, "Qnm"))
            x /= 10.0;
        (*q)[i] = x;
        if (i && !(x > (*q)[i - 1])) {
            /* The message reads the arrays, so it is made before they are freed. */
            tsct_status st = tsct_error_set(err, TSCT_ERR_FORMAT, path, "point", i,
                                            "x must increase (%s), found %g after %g",
                                            cfg->dataformat, x, (*q)[i - 1]);
            free(*q);
            free(*y);
            *q = *y = NULL;
            return st;
        }
    }
    return TSCT_OK;
}

/* The output name for `input` and type ext. */
static void output_name(const tsct_stage_pdf_params *o, const char *input, const char *ext,
                        char *buf, size_t size)
{
    const char *base = strrchr(input, '/');
    base = base ? base + 1 : input;
    const char *dot = strrchr(base, '.');
    int blen = dot ? (int)(dot - base) : (int)strlen(base);
    if (o->output && strchr(o->output, '@')) /* PDFgetX3's tokens: @b.@o, series/@b-01.@o */
        tsct_pdf_output_expand(o->output, input, ext, buf, (int64_t)size);
    else if (!o->output)
        snprintf(buf, size, "%.*s.%s", blen, base, ext);
    else if (tsct_publish_output_name(o->output, input, ext, buf, size))
        return; /* FOLDER/NAME.ext */
    else {
        const char *ob = strrchr(o->output, '/');
        const char *od = strrchr(ob ? ob : o->output, '.');
        int olen = od ? (int)(od - o->output) : (int)strlen(o->output);
        snprintf(buf, size, "%.*s.%s", olen, o->output, ext);
    }
}

/* Every background of the configuration, read once: q[k], i[k] of n[k] points (NULL for a
 * file named again later). */
struct pdf_backgrounds {
    double *q[TSCT_PDF_MAX_BACKGROUNDS], *i[TSCT_PDF_MAX_BACKGROUNDS];
    int64_t n[TSCT_PDF_MAX_BACKGROUNDS];
};

/* I = I_sample - sum_k bgscale_k I_background_k, each background interpolated onto the
 * sample's Q and required to cover it up to qmaxinst. */
static tsct_status subtract_backgrounds(const tsct_pdf_config *cfg,
                                        const struct pdf_backgrounds *bg, const char *in,
                                        const double *q, double *iq, int64_t n, tsct_error *err)
{
    const int nbg = cfg->nbackgroundfile;
    if (!nbg)
        return TSCT_OK;
    double *b = malloc((size_t)n * sizeof *b);
    if (!b)
        return tsct_error_set(err, TSCT_ERR_NOMEM, in, NULL, -1, "background");
    tsct_status st = TSCT_OK;
    for (int k = 0; k < nbg && st == TSCT_OK; k++) {
        if (!bg->q[k])
            continue; /* a file named again later: one instance, as in PDFgetX3 */
        const double scale = tsct_pdf_config_bgscale(cfg, k);
        tsct_pattern_interp(bg->q[k], bg->i[k], bg->n[k], q, n, b);
        for (int64_t i = 0; i < n && st == TSCT_OK; i++) {
            if (isnan(b[i]) && (cfg->params.qmaxinst <= 0 || q[i] <= cfg->params.qmaxinst))
                st = tsct_error_set(err, TSCT_ERR_VALUE, cfg->backgroundfile[k],
                                    "backgroundfile", -1,
                                    "the background does not cover Q = %g 1/A of %s", q[i], in);
            iq[i] -= scale * (isnan(b[i]) ? 0.0 : b[i]);
        }
    }
    free(b);
    return st;
}

/* The output types of the configuration for input `in`, with its record as the header. */
static tsct_status write_outputs(const tsct_stage_ctx *ctx, const tsct_stage_pdf_params *o,
                                 const tsct_pdf_config *cfg, const tsct_pdf_plan *plan,
                                 const char *in, const double *q, const double *iq,
                                 const double *sq, const double *fq, const double *gr, int64_t n,
                                 char *header, tsct_error *err)
{
    tsct_pdf_config rec = *cfg;
    rec.params = *tsct_pdf_plan_params(plan);
    rec.ninputfile = 1;
    snprintf(rec.inputfile[0], sizeof rec.inputfile[0], "%s", in);
    char version[64];
    snprintf(version, sizeof version, "tsct %s", tsct_version());
    tsct_pdf_config_format(&rec, version, header, 65536);
    const double qmax = rec.params.qmax;
    const int64_t nr = tsct_pdf_plan_nr(plan);
    tsct_status st = TSCT_OK;
    for (int t = 0; t < cfg->noutputtypes && st == TSCT_OK; t++) {
        const char *ty = cfg->outputtypes[t];
        char path[TSCT_PATH_MAX];
        output_name(o, in, ty, path, sizeof path);
        if (!strcmp(ty, "iq"))
            st = tsct_pattern_write_text(path, header, "Q(Å^{-1})  I(a.u.)", q, iq, n, INFINITY,
                                         err);
        else if (!strcmp(ty, "sq"))
            st = tsct_pattern_write_text(path, header, "Q(Å^{-1})  S", q, sq, n, qmax, err);
        else if (!strcmp(ty, "fq"))
            st = tsct_pattern_write_text(path, header, "Q(Å^{-1})  F(Å^{-1})", q, fq, n, qmax,
                                         err);
        else
            st = tsct_pattern_write_text(path, header, "r(Å)  G(Å$^{-2}$)",
                                         tsct_pdf_plan_r(plan), gr, nr, INFINITY, err);
        if (st == TSCT_OK)
            tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s -> %s", in, path);
    }
    return st;
}

/* One input pattern: read, background subtracted, transformed, written. */
static tsct_status pdf_one(const tsct_stage_ctx *ctx, const tsct_stage_pdf_params *o,
                           const tsct_pdf_config *cfg, const tsct_composition *comp,
                           const struct pdf_backgrounds *bg, const char *in, char *header,
                           tsct_error *err)
{
    double *q = NULL, *iq = NULL, *sq = NULL, *fq = NULL, *gr = NULL;
    int64_t n = 0;
    tsct_pdf_plan *plan = NULL;
    tsct_status st = read_q(cfg, in, &q, &iq, &n, err);
    if (st == TSCT_OK)
        st = tsct_pdf_config_check_q(cfg, q, n, in, err);
    if (st == TSCT_OK)
        st = subtract_backgrounds(cfg, bg, in, q, iq, n, err);
    if (st == TSCT_OK) {
        st = tsct_pdf_plan_create(&cfg->params, comp, q, n, &plan, err);
        if (st != TSCT_OK)
            tsct_error_set_file(err, cfg->source);
    }
    if (st == TSCT_OK) {
        const int64_t nr = tsct_pdf_plan_nr(plan);
        sq = malloc((size_t)n * sizeof *sq);
        fq = malloc((size_t)n * sizeof *fq);
        gr = malloc((size_t)nr * sizeof *gr);
        st = sq && fq && gr ? tsct_pdf_execute_one(plan, iq, sq, fq, gr, NULL, err)
                            : tsct_error_set(err, TSCT_ERR_NOMEM, in, NULL, -1, "outputs");
        if (st != TSCT_OK)
            tsct_error_set_file(err, in);
    }
    if (st == TSCT_OK)
        st = write_outputs(ctx, o, cfg, plan, in, q, iq, sq, fq, gr, n, header, err);
    tsct_pdf_plan_destroy(plan);
    free(q);
    free(iq);
    free(sq);
    free(fq);
    free(gr);
    return st;
}

/* The composition, the backgrounds and the output folder, before the first input. */
static tsct_status pdf_prepare(const tsct_stage_pdf_params *o, const tsct_pdf_config *cfg,
                               int ninputs, tsct_composition **comp, struct pdf_backgrounds *bg,
                               tsct_error *err)
{
    TSCT_TRY(tsct_composition_parse(comp, cfg->composition, err));
    for (int k = 0; k < cfg->nbackgroundfile; k++)
        if (tsct_pdf_config_background_used(cfg, k))
            TSCT_TRY(read_q(cfg, cfg->backgroundfile[k], &bg->q[k], &bg->i[k], &bg->n[k], err));
    /* -o DIR/ names a folder, made here when it is missing. */
    const size_t olen = o->output ? strlen(o->output) : 0;
    if (olen && o->output[olen - 1] == '/' && mkdir(o->output, 0777) != 0 && errno != EEXIST)
        return tsct_error_set(err, TSCT_ERR_IO, o->output, "-o", -1,
                              "cannot make the folder: %s", strerror(errno));
    if (ninputs > 1 && o->output && !strchr(o->output, '@')) {
        struct stat sb;
        if (stat(o->output, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return tsct_error_set(err, TSCT_ERR_VALUE, cfg->source, "output",
                                  tsct_pdf_config_line(cfg, "output"),
                                  "-o / output must be a folder for %d inputs, found '%s'",
                                  ninputs, o->output);
    }
    return TSCT_OK;
}

tsct_status tsct_stage_pdf_files(const char *const *inputs, int ninputs,
                                 const tsct_stage_pdf_params *o, const tsct_stage_ctx *context,
                                 tsct_stage_report *report, tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    tsct_stage_report rep_local, *rep = tsct__stage_report(report, &rep_local);
    if (!o || !o->config || ninputs < 0 || (ninputs > 0 && !inputs))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "pdf", -1,
                              "no configuration or no inputs");
    const tsct_pdf_config *cfg = o->config;
    tsct_composition *comp = NULL;
    struct pdf_backgrounds bg;
    memset(&bg, 0, sizeof bg);
    char *header = NULL;
    tsct_status st = pdf_prepare(o, cfg, ninputs, &comp, &bg, err);
    if (st == TSCT_OK && !(header = malloc(65536)))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "header", -1, "64 KiB");
    for (int f = 0; f < ninputs && st == TSCT_OK; f++)
        st = pdf_one(ctx, o, cfg, comp, &bg, inputs[f], header, err);
    free(header);
    for (int k = 0; k < cfg->nbackgroundfile; k++) {
        free(bg.q[k]);
        free(bg.i[k]);
    }
    tsct_composition_destroy(comp);
    if (st == TSCT_OK) {
        rep->ran = 1;
        rep->units = ninputs;
    }
    return st;
}

/* ---- region averages --------------------------------------------------------------------- */

/* The step name of a region: pdf_region_ and the name with every character outside [a-z0-9_]
 * replaced by '_' (step names are [a-z0-9_]+). */
static void region_step_name(const char *region, char *buf, size_t size)
{
    int n = snprintf(buf, size, "pdf_region_");
    for (const char *c = region; *c && (size_t)n + 1 < size; c++) {
        char ch = *c >= 'A' && *c <= 'Z' ? (char)(*c - 'A' + 'a') : *c;
        buf[n++] = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ? ch : '_';
    }
    buf[n] = 0;
}

tsct_status tsct_stage_pdf_region(const char *container, const tsct_stage_pdf_params *o,
                                  const tsct_stage_ctx *context, tsct_stage_report *report,
                                  tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    tsct_stage_report rep_local, *rep = tsct__stage_report(report, &rep_local);
    if (!o || !o->config || !o->region)
        return tsct_error_set(err, TSCT_ERR_VALUE, container, "pdf", -1,
                              "no configuration or region");
    const tsct_pdf_config *cfg = o->config;
    tsct_container *c = NULL;
    tsct_dataset *src = NULL, *dg = NULL, *dd = NULL;
    tsct_step *step = NULL;
    tsct_composition *comp = NULL;
    tsct_pdf_plan *plan = NULL;
    double *q = NULL, *iq = NULL, *g = NULL;
    float *pat = NULL, *G = NULL, *row = NULL;
    char *config_text = NULL;
    int64_t nq = 0, shape[8], nt = 0, nr = 0, nbad = 0;
    char base[1024], path[1200], qpath[1200], stepname[96];
    tsct_status st;
    snprintf(base, sizeof base, "%s/%s", TSCT_PATH_REGIONS, o->region);
    if (!o->region[0] || strchr(o->region, '/')) {
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--region", -1,
                            "expected a region name without '/', got '%s'", o->region);
        goto fail;
    }
        st = tsct_container_open(container, TSCT_OPEN_WRITE, &c, err);
    if (st != TSCT_OK)
        goto fail;
    /* The region's own q axis, else the reconstruction's. */
    snprintf(qpath, sizeof qpath, "%s/q", base);
    st = tsct_container_read_vector(c, qpath, &q, &nq, err);
    if (st == TSCT_ERR_NOT_FOUND) {
        tsct_error_clear(err);
        snprintf(qpath, sizeof qpath, "%s", TSCT_PATH_RECON_Q);
        st = tsct_container_read_vector(c, qpath, &q, &nq, err);
    }
    snprintf(path, sizeof path, "%s/pattern", base);
    if (st == TSCT_OK)
        st = tsct_dataset_open(c, path, &src, err);
    if (st != TSCT_OK)
        goto fail;
    if (tsct_dataset_shape(src, shape) != 2 || shape[1] != nq || shape[0] < 1) {
        st = tsct_error_set(err, TSCT_ERR_SHAPE, container, path, -1,
                            "expected [nt][%lld] (the length of %s)", (long long)nq, qpath);
        goto fail;
    }
    nt = shape[0];
    const int64_t ref = o->reference >= 0 ? o->reference : 0;
    if (ref >= nt) {
        st = tsct_error_set(err, TSCT_ERR_VALUE, container, "--reference", ref,
                            "the reference time step must be below nt = %lld", (long long)nt);
        goto fail;
    }
    if (o->output_dir && (st = tsct__stage_series_check(o->output_dir, o->region, "gr", nt,
                                                        err)) != TSCT_OK)
        goto fail;
    st = tsct_pdf_config_check_q(cfg, q, nq, qpath, err);
    if (st == TSCT_OK)
        st = tsct_composition_parse(&comp, cfg->composition, err);
    if (st == TSCT_OK) {
        st = tsct_pdf_plan_create(&cfg->params, comp, q, nq, &plan, err);
        if (st != TSCT_OK)
            tsct_error_set_file(err, cfg->source);
    }
    if (st != TSCT_OK)
        goto fail;
    nr = tsct_pdf_plan_nr(plan);
    pat = malloc((size_t)nq * sizeof *pat);
    iq = malloc((size_t)nq * sizeof *iq);
    g = malloc((size_t)nr * sizeof *g);
    G = malloc((size_t)(nt * nr) * sizeof *G);
    row = malloc((size_t)nr * sizeof *row);
    config_text = malloc(65536);
    if (!pat || !iq || !g || !G || !row || !config_text) {
        st = tsct_error_set(err, TSCT_ERR_NOMEM, container, path, -1, "buffers");
        goto fail;
    }
    /* G of every time step (double precision, the reference path); a step whose pattern
     * cannot be scaled (empty region, NaN) is NaN. */
    for (int64_t t = 0; t < nt; t++) {
        int64_t start[2] = {t, 0}, count[2] = {1, nq};
        st = tsct_dataset_read(src, start, count, pat, err);
        if (st != TSCT_OK)
            goto fail;
        for (int64_t k = 0; k < nq; k++)
            iq[k] = pat[k];
        tsct_error e1 = TSCT_ERROR_INIT;
        if (tsct_pdf_execute_one(plan, iq, NULL, NULL, g, NULL, &e1) != TSCT_OK) {
            for (int64_t j = 0; j < nr; j++)
                g[j] = NAN;
            nbad++;
            tsct_log_msg(ctx->log, TSCT_LOG_WARN, "%s: time step %lld: %s; its G(r) is NaN",
                         path, (long long)t, e1.message);
        }
        for (int64_t j = 0; j < nr; j++)
            G[t * nr + j] = (float)g[j];
    }

    tsct_pdf_config rec = *cfg;
    rec.params = *tsct_pdf_plan_params(plan);
    rec.ninputfile = 0;
    tsct_pdf_config_format(&rec, tsct_version(), config_text, 65536);
    char fingerprint[8192];
    snprintf(fingerprint, sizeof fingerprint, "region=%.1000s pattern=%lldx%lld q=%.1200s "
             "reference=%lld %.3000s", o->region, (long long)nt, (long long)nq, qpath, (long long)ref,
             config_text);
    region_step_name(o->region, stepname, sizeof stepname);
    tsct_step_info info = {stepname, ctx->command_line, config_text, fingerprint, 1, NULL, NULL, 0};
    st = tsct_step_begin(c, &info, ctx->log, &step, err);
    snprintf(path, sizeof path, "%s/r", base);
    if (st == TSCT_OK)
        st = tsct_step_vector(step, path, tsct_pdf_plan_r(plan), nr, "A", err);
    int64_t gshape[2] = {nt, nr};
    tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
    dp.units = "A^-2";
    snprintf(path, sizeof path, "%s/pdf", base);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, path, 2, gshape, -1, &dp, &dg, err);
    snprintf(path, sizeof path, "%s/dpdf", base);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, path, 2, gshape, -1, &dp, &dd, err);
    for (int i = 0; i < 2 && st == TSCT_OK; i++) {
        tsct_dataset *d = i ? dd : dg;
        st = set_setting_attrs(d, &rec, config_text, tsct_pdf_plan_degree(plan), err);
        if (st == TSCT_OK)
            st = tsct_dataset_set_attr_double(d, "reference", (double)ref, err);
        if (st == TSCT_OK)
            st = tsct_dataset_set_attr_string(d, "q_axis", qpath, err);
    }
    for (int64_t t = 0; t < nt && st == TSCT_OK; t++) {
        int64_t start[2] = {t, 0}, count[2] = {1, nr};
        st = tsct_dataset_write(dg, start, count, G + t * nr, err);
        difference(G + t * nr, G + ref * nr, nr, row);
        if (st == TSCT_OK)
            st = tsct_dataset_write(dd, start, count, row, err);
    }
    if (st == TSCT_OK)
        st = tsct_step_mark_done(step, 0, 1, err);
    tsct_dataset_close(dg);
    tsct_dataset_close(dd);
    dg = dd = NULL;
    if (st != TSCT_OK)
        goto fail;
    st = tsct_step_commit(step, err);
    step = NULL;
    if (st != TSCT_OK)
        goto fail;
    rep->ran = 1;
    rep->units = 1;
    snprintf(rep->what, sizeof rep->what,
             "%s: region %s: G(r) of %lld time steps (%lld NaN), %lld r points, dPDF against "
             "time step %lld", container, o->region, (long long)nt, (long long)nbad,
             (long long)nr, (long long)ref);
    tsct_log_msg(ctx->log, TSCT_LOG_INFO, "%s", rep->what);
    /* The .gr files, one per time step, each headed by the configuration. */
    for (int64_t t = 0; o->output_dir && t < nt && st == TSCT_OK; t++) {
        char gr[TSCT_PATH_MAX], header[65536 + 256];
        tsct__stage_series_path(gr, sizeof gr, o->output_dir, o->region, t, "gr");
        snprintf(header, sizeof header, "%s# region %s of %s, time step %lld", config_text,
                 o->region, container, (long long)t);
        for (int64_t j = 0; j < nr; j++)
            g[j] = G[t * nr + j];
        st = tsct_pattern_write_text(gr, header, "r(Å)  G(Å$^{-2}$)", tsct_pdf_plan_r(plan), g,
                                     nr, INFINITY, err);
    }
    if (st != TSCT_OK)
        goto fail;
    tsct_dataset_close(src);
    src = NULL;
    st = tsct_container_close(c, err);
    c = NULL;
fail:
    tsct_dataset_close(dg);
    tsct_dataset_close(dd);
    tsct_step_close(step);
    tsct_dataset_close(src);
    tsct_container_close(c, NULL);
    tsct_pdf_plan_destroy(plan);
    tsct_composition_destroy(comp);
    free(q);
    free(iq);
    free(g);
    free(pat);
    free(G);
    free(row);
    free(config_text);
    return st;
}

