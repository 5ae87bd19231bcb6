/* cmd_sino.c - `tsct sinogram` (integrated cube -> /entry/sinograms) and `tsct recon`
 * (sinograms -> /entry/recon, or a plain array -> an image file).
 *
 * Both container commands stream channel blocks through a resumable step: a block
 * [na][ns][block] of one (time, slice) is read, processed and written, then marked done, so
 * 2000-channel scans never need to fit in memory and an interrupted run continues where it
 * stopped. What needs every channel (the air pattern, per-projection totals, the channel-summed
 * profile used for the jitter and the centre of rotation) is computed first from a pass over
 * the rows of that (time, slice), which a resumed run repeats (it is deterministic).
 * Plain arrays (`tsct recon FILE.h5::/data --angles ...` or a TIFF / EDF sinogram) are small
 * by nature and are processed in memory, the image published atomically.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/array.h"
#include "tsct/container.h"
#include "tsct/image.h"
#include "tsct/progress.h"
#include "tsct/publish.h"
#include "tsct/sino.h"
#include "tsct/stage.h"
#include "tsct/tomo.h"

const char tsct_usage_sinogram[] =
    "usage: tsct sinogram EXP.h5 [options]\n"
    "\n"
    "Turn the integrated cube /entry/integrated/data [nt][nz][na][ns][nq] of the container\n"
    "into sinograms /entry/sinograms/data: zigzag rows flipped back, bad channels and\n"
    "zingers filtered, air scatter subtracted, projections normalised, centre-of-mass jitter\n"
    "corrected, the centre of rotation found (reported) and applied by resampling and\n"
    "cropping, optionally binned. Resumable: run it again after an interruption.\n"
    "\n"
    "Options:\n"
    "      --zigzag auto|yes|no  flip every other row back (auto: /entry/scan@zigzag)\n"
    "      --air N             subtract the air pattern of the first/last N positions\n"
    "                          (nDTomo airrem; default 0 = off)\n"
    "      --air-side S        both | first | last (default both)\n"
    "      --air-per-angle     one air pattern per projection (default: one for the scan)\n"
    "      --normalise M       none | total (nDTomo scalesinos) | transmission (divide by\n"
    "                          the sample's transmission /entry/scan/transmission measured\n"
    "                          at every point: corrects the beam's attenuation)\n"
    "                          | FILE.h5::/monitor with\n"
    "                          [na] or [na][ns] values (default none)\n"
    "      --com               centre-of-mass jitter correction (nDTomo sinocomcor)\n"
    "      --centre C          auto | pair | vo | none | a value in bins (default auto:\n"
    "                          pair method, the Vo method reported beside it)\n"
    "      --no-crop           keep ns positions (zeros outside) instead of cropping\n"
    "                          symmetrically about the centre\n"
    "      --bin-translation N, --bin-channels N   average N neighbours (default 1)\n"
    "      --bad-channels T    replace channels whose total is T MADs off its neighbours'\n"
    "                          median, or that hold NaN (default 0 = off; e.g. 8)\n"
    "      --zingers T         replace values T sigmas above their 3x3 median (0 = off)\n"
    "      --block N           channels per block (default 256)\n"
    "      --deflate N         compression level 0..9 (default 1)\n";

const char tsct_usage_recon[] =
    "usage: tsct recon EXP.h5 [options]\n"
    "       tsct recon SINO.h5::/dataset --angles FILE.h5::/dataset -o OUT.h5 [options]\n"
    "       tsct recon SINO.tif|SINO.edf --angle-range 0:180 -o OUT.h5 [options]\n"
    "\n"
    "Reconstruct the container's /entry/sinograms into /entry/recon [nt][nz][n][n][nq],\n"
    "channel block by channel block (resumable), or a plain sinogram [angles][translations]\n"
    "or [angles][translations][channels] (angles in degrees) into /data of OUT.h5 as [n][n]\n"
    "or [n][n][channels] (written under a temporary name, then renamed).\n"
    "\n"
    "Options:\n"
    "  -m, --method M          fbp | sirt | cgls (default fbp)\n"
    "  -f, --filter F          ramp | shepp-logan | cosine | hamming | hann | none (fbp)\n"
    "  -n, --iterations N      sirt / cgls iterations (default 100 / 30)\n"
    "      --nonneg            sirt: clip to >= 0 after each update\n"
    "  -s, --size N            image size n (default: the sinogram width after centring)\n"
    "      --no-circle         reconstruct the whole square (default: inscribed circle)\n"
    "      --centre C          auto | pair | vo | none | a value in bins (default auto for\n"
    "                          plain arrays and for sinograms not centred by tsct sinogram,\n"
    "                          none for those)\n"
    "      --angles SPEC       FILE.h5::/dataset of angles in degrees (plain arrays)\n"
    "      --angle-range A:B   na angles A + i (B - A) / na (plain arrays)\n"
    "      --row Y             the input is a projection stack [na][ny][nx]: use row Y\n"
    "      --flat SPEC, --dark SPEC   flat / dark fields (FILE.h5::/dataset: [nx], [k][nx]\n"
    "                          or, with --row, [k][ny][nx]; averaged over k)\n"
    "      --log               take -log of the (flat-normalised) transmission\n"
    "      --air N             subtract the air of the first/last N positions, per angle\n"
    "  -o, --output OUT.h5     output file for plain arrays\n"
    "      --block N           channels per block (default 256)\n"
    "      --deflate N         compression level 0..9 (default 1)\n"
    "\n"
    "Example (tomopy's tooth):\n"
    "  tsct recon tooth.h5::/exchange/data --row 0 --angles tooth.h5::/exchange/theta \\\n"
    "      --flat tooth.h5::/exchange/data_white --dark tooth.h5::/exchange/data_dark --log \\\n"
    "      -o tooth_recon.h5\n";

/* ---- shared option parsing ------------------------------------------------------------ */

enum { CENTRE_AUTO, CENTRE_PAIR, CENTRE_VO, CENTRE_NONE, CENTRE_VALUE, CENTRE_DEFAULT };

struct centre_opt {
    int mode;
    double value;
};

static int parse_centre(tsct_cli *cli, const char *s, struct centre_opt *c)
{
    static const char *names[] = {"auto", "pair", "vo", "none"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            c->mode = i;
            return 0;
        }
    if (tsct_cli_parse_double(s, &c->value) != 0 || c->value < 0)
        return tsct_cli_usage_error(cli, "--centre expects auto, pair, vo, none or a position "
                                         ">= 0 in bins, got '%s'", s);
    c->mode = CENTRE_VALUE;
    return 0;
}

static int parse_count(tsct_cli *cli, const char *opt, const char *s, int64_t lo, int64_t hi,
                       int64_t *v)
{
    if (tsct_cli_parse_int64(s, v) != 0 || *v < lo || *v > hi)
        return tsct_cli_usage_error(cli, "%s expects an integer %lld..%lld, got '%s'", opt,
                                    (long long)lo, (long long)hi, s);
    return 0;
}

static int parse_nonneg(tsct_cli *cli, const char *opt, const char *s, double *v)
{
    if (tsct_cli_parse_double(s, v) != 0 || *v < 0)
        return tsct_cli_usage_error(cli, "%s expects a number >= 0, got '%s'", opt, s);
    return 0;
}

/* Find the centre of a profile [na][ns] as asked; log both methods for auto. *centre = -1
 * when no centring is wanted. */
static tsct_status find_centre(tsct_cli *cli, const char *what, const struct centre_opt *co,
                               const float *profile, int64_t na, int64_t ns, const double *th,
                               double *centre, tsct_error *err)
{
    *centre = -1.0;
    if (co->mode == CENTRE_NONE)
        return TSCT_OK;
    if (co->mode == CENTRE_VALUE) {
        if (co->value > (double)(ns - 1))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--centre", -1,
                                  "%g is outside the %lld translation positions", co->value,
                                  (long long)ns);
        *centre = co->value;
        tsct_log_msg(&cli->log, TSCT_LOG_INFO, "%s: centre of rotation %.3f (given)", what,
                     *centre);
        return TSCT_OK;
    }
    tsct_sino_centre_params p = TSCT_SINO_CENTRE_PARAMS_DEFAULT;
    p.nthreads = cli->nthreads;
    tsct_sino_centre_report pair = {0}, vo = {0};
    int want_pair = co->mode != CENTRE_VO, want_vo = co->mode != CENTRE_PAIR;
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
            tsct_log_msg(&cli->log, TSCT_LOG_WARN, "%s: Vo method failed: %s", what,
                         e2.message);
            want_vo = 0;
        }
    }
    *centre = want_pair ? pair.centre : vo.centre;
    if (want_pair && want_vo) {
        tsct_log_msg(&cli->log, TSCT_LOG_INFO,
                     "%s: centre of rotation %.3f (0/180 pairs, %lld pair(s), %.3g deg from "
                     "180); Vo method %.3f", what, pair.centre, (long long)pair.npairs,
                     pair.mismatch_deg, vo.centre);
        if (fabs(pair.centre - vo.centre) > 1.0)
            tsct_log_msg(&cli->log, TSCT_LOG_WARN,
                         "%s: the two centre methods differ by %.2f px; check the data or "
                         "give --centre", what, fabs(pair.centre - vo.centre));
    } else
        tsct_log_msg(&cli->log, TSCT_LOG_INFO, "%s: centre of rotation %.3f (%s)", what,
                     *centre, want_pair ? "0/180 pairs" : "Vo method");
    return TSCT_OK;
}

/* ---- reconstruction of one block ------------------------------------------------------ */

struct recon_opts {
    const char *input, *output, *angles, *angle_range, *flat, *dark;
    int method; /* 0 fbp, 1 sirt, 2 cgls */
    tsct_fbp_filter filter;
    int64_t iterations, size, row, block, deflate, air;
    int circle, nonneg, neglog;
    struct centre_opt centre;
};

/* The reconstruction of sinograms [na][ns][nc] (packed) into images [n][n][nc]: one FBP plan
 * or projector, reused for every block. */
struct recon_engine {
    const struct recon_opts *o;
    tsct_fbp_plan *fbp;
    tsct_projector *proj;
    void *work;
    size_t work_bytes;
    int64_t n, nc_max;
};

static tsct_status engine_init(struct recon_engine *e, const struct recon_opts *o,
                               int nthreads, int64_t na, int64_t ns, const double *th,
                               int64_t nc_max, tsct_error *err)
{
    memset(e, 0, sizeof *e);
    e->o = o;
    e->nc_max = nc_max;
    if (o->method == 0) {
        tsct_fbp_params p = TSCT_FBP_PARAMS_DEFAULT;
        p.filter = o->filter;
        p.output_size = o->size;
        p.circle = o->circle;
        p.nthreads = nthreads;
        TSCT_TRY(tsct_fbp_plan_create(&p, na, ns, th, &e->fbp, err));
        e->n = tsct_fbp_plan_output_size(e->fbp);
        e->work_bytes = tsct_fbp_workspace_size(e->fbp);
    } else {
        tsct_projector_params p = TSCT_PROJECTOR_PARAMS_DEFAULT;
        p.image_size = o->size;
        p.circle = o->circle;
        p.nthreads = nthreads;
        TSCT_TRY(tsct_tomo_projector_create(&p, na, ns, th, &e->proj, err));
        tsct_tomo_projector_shape(e->proj, NULL, NULL, &e->n);
        e->work_bytes = tsct_tomo_solver_workspace_size(e->proj, nc_max);
    }
    e->work = malloc(e->work_bytes ? e->work_bytes : 1);
    if (!e->work)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "reconstruction workspace", -1,
                              "%zu bytes", e->work_bytes);
    return TSCT_OK;
}

static void engine_release(struct recon_engine *e)
{
    tsct_fbp_plan_destroy(e->fbp);
    tsct_tomo_projector_destroy(e->proj);
    free(e->work);
}

static tsct_status engine_run(tsct_cli *cli, struct recon_engine *e, const float *sino,
                              int64_t nc, float *image, tsct_error *err)
{
    if (e->fbp)
        return tsct_fbp_execute(e->fbp, sino, nc, nc, image, nc, e->work, e->work_bytes, err);
    tsct_iter_params p = TSCT_ITER_PARAMS_DEFAULT;
    p.max_iter = (int)e->o->iterations;
    p.nonneg = e->o->nonneg;
    p.tol = 0.0;
    tsct_iter_report rep;
    memset(image, 0, (size_t)(e->n * e->n * nc) * sizeof *image);
    const size_t need = tsct_tomo_solver_workspace_size(e->proj, nc);
    tsct_status st = e->o->method == 1
                         ? tsct_tomo_sirt(e->proj, &p, sino, nc, image, NULL, &rep, e->work,
                                          need, err)
                         : tsct_tomo_cgls(e->proj, &p, sino, nc, image, NULL, &rep, e->work,
                                          need, err);
    if (st == TSCT_NOT_CONVERGED || st == TSCT_OK) {
        tsct_log_msg(&cli->log, TSCT_LOG_DEBUG, "%s: %d iterations, residual %.4g",
                     e->o->method == 1 ? "sirt" : "cgls", rep.iterations, rep.residual);
        return TSCT_OK;
    }
    return st;
}

/* ---- plain arrays ----------------------------------------------------------------------- */

/* Read FILE.h5::/dataset (any rank) or an image file into a new buffer. */
static tsct_status read_input(const char *spec, const char *what, int *ndim, int64_t *shape,
                              float **data, tsct_error *err)
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
    tsct_cli_guard_file(file);
    tsct_container *f = NULL;
    tsct_dataset *d = NULL;
    TSCT_TRY(tsct_h5file_open(file, TSCT_OPEN_READ, &f, err));
    tsct_status st = tsct_dataset_open(f, dset, &d, err);
    if (st == TSCT_OK) {
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
    tsct_cli_guard_file(NULL);
    if (st != TSCT_OK) {
        free(*data);
        *data = NULL;
    }
    return st;
}

/* A flat or dark field for ns positions: [ns], [k][ns], or with row >= 0 [k][ny][ns],
 * averaged over k. */
static tsct_status read_field(const char *spec, const char *what, int64_t row, int64_t ns,
                              float **out, tsct_error *err)
{
    int nd = 0;
    int64_t sh[8];
    float *d = NULL;
    TSCT_TRY(read_input(spec, what, &nd, sh, &d, err));
    int64_t k = nd == 1 ? 1 : sh[0];
    int ok = nd >= 1 && nd <= 3 && sh[nd - 1] == ns && (row < 0 ? nd <= 2 : nd == 3) &&
             (nd != 3 || row < sh[1]);
    if (!ok) {
        char b[128];
        free(d);
        return tsct_error_set(err, TSCT_ERR_SHAPE, spec, what, -1,
                              "expected [%lld], [k][%lld]%s, found %s", (long long)ns,
                              (long long)ns, row >= 0 ? " or [k][ny][nx] with --row" : "",
                              tsct_shape_format(b, sizeof b, nd, sh));
    }
    float *f = malloc((size_t)ns * sizeof *f);
    if (!f) {
        free(d);
        return tsct_error_set(err, TSCT_ERR_NOMEM, spec, what, -1, "%lld values",
                              (long long)ns);
    }
    const int64_t ny = nd == 3 ? sh[1] : 1, r = nd == 3 ? row : 0;
    for (int64_t s = 0; s < ns; s++) {
        double acc = 0.0;
        for (int64_t i = 0; i < k; i++)
            acc += d[(i * ny + r) * ns + s];
        f[s] = (float)(acc / (double)k);
    }
    free(d);
    *out = f;
    return TSCT_OK;
}

static tsct_status read_angles(const struct recon_opts *o, int64_t na, double **th,
                               tsct_error *err)
{
    *th = NULL;
    if (o->angle_range) {
        double a = 0, b = 0;
        char buf[128];
        snprintf(buf, sizeof buf, "%s", o->angle_range);
        char *colon = strchr(buf, ':');
        if (colon)
            *colon = '\0';
        if (!colon || tsct_cli_parse_double(buf, &a) || tsct_cli_parse_double(colon + 1, &b) ||
            a == b)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "--angle-range", -1,
                                  "expected A:B in degrees with A != B, found '%s'",
                                  o->angle_range);
        *th = malloc((size_t)na * sizeof **th);
        if (!*th)
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "angles", -1, "%lld", (long long)na);
        for (int64_t i = 0; i < na; i++)
            (*th)[i] = a + (b - a) * (double)i / (double)na;
        return TSCT_OK;
    }
    /* float64 through the vector reader: degrees as stored */
    char file[TSCT_PATH_MAX], dset[1024];
    tsct_path_split(o->angles, file, sizeof file, dset, sizeof dset);
    if (!dset[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, o->angles, "--angles", -1,
                              "name the dataset as FILE.h5::/path");
    tsct_container *f = NULL;
    tsct_cli_guard_file(file);
    TSCT_TRY(tsct_h5file_open(file, TSCT_OPEN_READ, &f, err));
    int64_t n = 0;
    tsct_status st = tsct_container_read_vector(f, dset, th, &n, err);
    tsct_container_close(f, NULL);
    tsct_cli_guard_file(NULL);
    if (st != TSCT_OK)
        return st;
    if (n != na) {
        free(*th);
        *th = NULL;
        return tsct_error_set(err, TSCT_ERR_SHAPE, o->angles, NULL, -1,
                              "%lld angles for a sinogram of %lld rows (angles)",
                              (long long)n, (long long)na);
    }
    for (int64_t i = 0; i < na; i++)
        if (!isfinite((*th)[i])) {
            double bad = (*th)[i];
            free(*th);
            *th = NULL;
            return tsct_error_set(err, TSCT_ERR_VALUE, o->angles, "angle", i,
                                  "expected a finite angle in degrees, found %g", bad);
        }
    return TSCT_OK;
}

/* Write image [n][n][nc] (nc = 0: [n][n]) to /data of path, atomically. */
static tsct_status write_image(const char *path, const float *img, int64_t n, int64_t nc,
                               int64_t deflate, tsct_error *err)
{
    tsct_publish pub;
    TSCT_TRY(tsct_publish_begin(&pub, path, err));
    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    tsct_status st = tsct_container_create(tsct_publish_tmp_path(&pub), 1, &c, err);
    const int64_t shape[3] = {n, n, nc}, start[3] = {0, 0, 0};
    tsct_dataset_params p = TSCT_DATASET_PARAMS_DEFAULT;
    p.deflate = (int)deflate;
    p.long_name = "reconstructed image [y][x] or [y][x][channel]";
    if (st == TSCT_OK)
        st = tsct_dataset_create(c, "/data", nc ? 3 : 2, shape, &p, &d, err);
    if (st == TSCT_OK)
        st = tsct_dataset_write(d, start, shape, img, err);
    tsct_dataset_close(d);
    tsct_status st2 = tsct_container_close(c, st == TSCT_OK ? err : NULL);
    if (st == TSCT_OK)
        st = st2;
    if (st == TSCT_OK)
        return tsct_publish_commit(&pub, err);
    tsct_publish_abort(&pub);
    return st;
}

static int recon_plain(tsct_cli *cli, const struct recon_opts *o)
{
    tsct_error err = TSCT_ERROR_INIT;
    int nd = 0;
    int64_t sh[8];
    float *raw = NULL, *sino = NULL, *flat = NULL, *dark = NULL, *prof = NULL, *img = NULL;
    double *th = NULL, *org = NULL;
    struct recon_engine eng;
    memset(&eng, 0, sizeof eng);
    tsct_status st = read_input(o->input, "sinogram", &nd, sh, &raw, &err);
    int64_t na = 0, ns = 0, nc = 1;
    if (st == TSCT_OK) {
        char b[128];
        tsct_shape_format(b, sizeof b, nd, sh);
        if (o->row >= 0) {
            if (nd != 3 || o->row >= sh[1])
                st = tsct_error_set(&err, TSCT_ERR_SHAPE, o->input, "--row", o->row,
                                    "expected projections [na][ny][nx] with row < ny, found %s",
                                    b);
            else {
                na = sh[0];
                ns = sh[2];
                sino = malloc((size_t)(na * ns) * sizeof *sino);
                for (int64_t a = 0; sino && a < na; a++)
                    memcpy(sino + a * ns, raw + (a * sh[1] + o->row) * ns,
                           (size_t)ns * sizeof *sino);
                free(raw);
                raw = NULL;
            }
        } else if (nd != 2 && nd != 3)
            st = tsct_error_set(&err, TSCT_ERR_SHAPE, o->input, NULL, -1,
                                "expected a sinogram [angles][translations] or [angles]"
                                "[translations][channels], found %d-D %s", nd, b);
        else {
            na = sh[0];
            ns = sh[1];
            nc = nd == 3 ? sh[2] : 1;
            sino = raw;
            raw = NULL;
        }
        if (st == TSCT_OK && !sino)
            st = tsct_error_set(&err, TSCT_ERR_NOMEM, o->input, NULL, -1, "sinogram");
        if (st == TSCT_OK && (na < 1 || ns < 2))
            st = tsct_error_set(&err, TSCT_ERR_SHAPE, o->input, NULL, -1,
                                "expected >= 1 angle and >= 2 translations, found %s", b);
    }
    if (st == TSCT_OK)
        st = read_angles(o, na, &th, &err);
    /* absorption data: flat / dark, -log, air */
    if (st == TSCT_OK && o->flat) {
        st = read_field(o->flat, "--flat", o->row, ns, &flat, &err);
        if (st == TSCT_OK && o->dark)
            st = read_field(o->dark, "--dark", o->row, ns, &dark, &err);
        int64_t nbad = 0, k = 0;
        for (int64_t i = 0; st == TSCT_OK && i < na; i++) {
            st = nc == 1 ? tsct_sino_flat_dark(sino + i * ns, ns, flat, dark, &k, &err)
                         : tsct_error_set(&err, TSCT_ERR_UNSUPPORTED, o->input, "--flat", -1,
                                          "flat fields apply to single-channel sinograms");
            nbad += k;
        }
        if (nbad)
            tsct_log_msg(&cli->log, TSCT_LOG_WARN, "%s: %lld positions where flat <= dark "
                         "(set to NaN)", o->flat, (long long)nbad);
    } else if (st == TSCT_OK && o->dark)
        st = tsct_error_set(&err, TSCT_ERR_VALUE, NULL, "--dark", -1, "needs --flat");
    if (st == TSCT_OK && o->neglog) {
        int64_t k = 0;
        st = tsct_sino_neglog(sino, na * ns * nc, 1e-6, &k, &err);
        if (k)
            tsct_log_msg(&cli->log, TSCT_LOG_WARN, "%s: %lld values <= 1e-6 clamped before "
                         "-log", o->input, (long long)k);
    }
    if (st == TSCT_OK && o->air > 0) {
        double *air = malloc((size_t)(na * nc) * sizeof *air);
        st = air ? tsct_sino_air_estimate(sino, na, ns, nc, TSCT_SINO_AIR_BOTH, o->air, 1, air,
                                          &err)
                 : tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "air", -1, "air pattern");
        if (st == TSCT_OK)
            st = tsct_sino_air_subtract(sino, na, ns, nc, air, &err);
        free(air);
    }
    /* centre of rotation, then resampling about it */
    double centre = -1.0;
    int64_t w = ns;
    if (st == TSCT_OK) {
        struct centre_opt co = o->centre;
        if (co.mode == CENTRE_DEFAULT)
            co.mode = CENTRE_AUTO;
        prof = malloc((size_t)(na * ns) * sizeof *prof);
        st = prof ? tsct_sino_profile(sino, na, ns, nc, NULL, prof, &err)
                  : tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "profile", -1, "%lld values",
                                   (long long)(na * ns));
        if (st == TSCT_OK)
            st = find_centre(cli, o->input, &co, prof, na, ns, th, &centre, &err);
    }
    if (st == TSCT_OK && centre >= 0.0) {
        w = tsct_sino_centre_crop_width(ns, centre);
        float *cs = malloc((size_t)(na * w * nc) * sizeof *cs);
        org = malloc((size_t)na * sizeof *org);
        if (!cs || !org) {
            free(cs);
            st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "centring", -1, "sinogram");
        } else {
            for (int64_t a = 0; a < na; a++)
                org[a] = tsct_sino_centre_origin(centre, w);
            st = tsct_sino_resample(sino, na, ns, nc, org, w, cs, cli->nthreads, &err);
            free(sino);
            sino = cs;
        }
        if (st == TSCT_OK && w < 2)
            st = tsct_error_set(&err, TSCT_ERR_VALUE, o->input, "centre", -1,
                                "the centre %.3f leaves %lld positions after cropping",
                                centre, (long long)w);
    }
    if (st == TSCT_OK)
        st = engine_init(&eng, o, cli->nthreads, na, w, th, nc, &err);
    if (st == TSCT_OK) {
        img = malloc((size_t)(eng.n * eng.n * nc) * sizeof *img);
        st = img ? engine_run(cli, &eng, sino, nc, img, &err)
                 : tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "image", -1, "%lld x %lld x %lld",
                                  (long long)eng.n, (long long)eng.n, (long long)nc);
    }
    if (st == TSCT_OK)
        st = write_image(o->output, img, eng.n, nd == 3 && o->row < 0 ? nc : 0, o->deflate,
                         &err);
    if (st == TSCT_OK)
        tsct_log_msg(&cli->log, TSCT_LOG_INFO, "reconstructed %s (%lld angles x %lld "
                     "positions x %lld channels) into %s::/data, %lld x %lld", o->input,
                     (long long)na, (long long)w, (long long)nc, o->output, (long long)eng.n,
                     (long long)eng.n);
    engine_release(&eng);
    free(raw);
    free(sino);
    free(flat);
    free(dark);
    free(prof);
    free(img);
    free(th);
    free(org);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}

/* ---- container: shared helpers ---------------------------------------------------------- */

/* The fingerprint of a step: the container's identity, the provenance of the stage it reads
 * (the end time of each step that could have written it: a rewritten input changes it) and
 * the settings. Not the file's mtime: the step itself touches the container. */
static void fingerprint(tsct_container *c, char *buf, size_t size, const char *const *records,
                        const char *settings)
{
    char ids[1024];
    tsct_step_inputs_id(c, records, ids, sizeof ids);
    snprintf(buf, size, "%s %s", ids, settings);
}

/* Marks finished units: one call per unit after its data were written. */
static tsct_status unit_done(tsct_step *step, tsct_progress *pr, int64_t u, tsct_error *err)
{
    TSCT_TRY(tsct_step_mark_done(step, u, 1, err));
    tsct_progress_add(pr, 1);
    return TSCT_OK;
}

/* ---- tsct sinogram ---------------------------------------------------------------------- */

/* One word of a set, or a usage error naming the option and the words. */
static int parse_word(tsct_cli *cli, const char *opt, const char *s, const char *const *words,
                      int *out)
{
    char list[128] = "";
    size_t used = 0;
    for (int i = 0; words[i]; i++) {
        if (strcmp(s, words[i]) == 0) {
            *out = i;
            return 0;
        }
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                 !i ? "" : words[i + 1] ? ", " : " or ", words[i]);
    }
    return tsct_cli_usage_error(cli, "%s expects %s, got '%s'", opt, list, s);
}

static int parse_sino(tsct_cli *cli, int argc, char **argv, const char **container,
                      tsct_sinogram_params *o)
{
    enum { O_ZIG = 256, O_AIR, O_SIDE, O_PERANG, O_NORM, O_COM, O_CENTRE, O_NOCROP, O_BINS,
           O_BINC, O_BAD, O_ZING, O_BLOCK, O_DEFL };
    static const struct option lo[] = {
        {"zigzag", required_argument, NULL, O_ZIG},   {"air", required_argument, NULL, O_AIR},
        {"air-side", required_argument, NULL, O_SIDE}, {"air-per-angle", no_argument, NULL, O_PERANG},
        {"normalise", required_argument, NULL, O_NORM}, {"com", no_argument, NULL, O_COM},
        {"centre", required_argument, NULL, O_CENTRE}, {"no-crop", no_argument, NULL, O_NOCROP},
        {"bin-translation", required_argument, NULL, O_BINS},
        {"bin-channels", required_argument, NULL, O_BINC},
        {"bad-channels", required_argument, NULL, O_BAD},
        {"zingers", required_argument, NULL, O_ZING}, {"block", required_argument, NULL, O_BLOCK},
        {"deflate", required_argument, NULL, O_DEFL}, {NULL, 0, NULL, 0},
    };
    static const char *const zigzags[] = {"auto", "yes", "no", NULL};
    static const char *const sides[] = {"both", "first", "last", NULL};
    static const char *const norms[] = {"none", "total", "transmission",
                                        "FILE.h5::/monitor", NULL};
    const tsct_sinogram_params defaults = TSCT_SINOGRAM_PARAMS_DEFAULT;
    *o = defaults;
    optind = 1;
    opterr = 0;
    int ch, rc = 0, v = 0;
    int64_t n = 0;
    while (!rc && (ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        switch (ch) {
        case O_ZIG:
            if (!(rc = parse_word(cli, "--zigzag", optarg, zigzags, &v)))
                o->zigzag = (tsct_zigzag_mode)v;
            break;
        case O_AIR: rc = parse_count(cli, "--air", optarg, 0, INT64_MAX / 4, &o->air); break;
        case O_SIDE:
            if (!(rc = parse_word(cli, "--air-side", optarg, sides, &v)))
                o->air_side = (tsct_air_side)v;
            break;
        case O_PERANG: o->air_per_angle = 1; break;
        case O_NORM:
            if (strstr(optarg, "::")) {
                o->normalise = TSCT_NORMALISE_MONITOR;
                o->monitor = optarg;
            } else {
                rc = parse_word(cli, "--normalise", optarg, norms, &v);
                o->normalise = (tsct_normalise_mode)v;
            }
            break;
        case O_COM: o->com = 1; break;
        case O_CENTRE: {
            struct centre_opt co = {0, 0.0};
            rc = parse_centre(cli, optarg, &co);
            o->centre = (tsct_centre_mode)co.mode;
            o->centre_value = co.value;
            break;
        }
        case O_NOCROP: o->crop = 0; break;
        case O_BINS:
            rc = parse_count(cli, "--bin-translation", optarg, 1, 1 << 20, &o->bin_translation);
            break;
        case O_BINC:
            rc = parse_count(cli, "--bin-channels", optarg, 1, 1 << 20, &o->bin_channels);
            break;
        case O_BAD: rc = parse_nonneg(cli, "--bad-channels", optarg, &o->bad_channels); break;
        case O_ZING: rc = parse_nonneg(cli, "--zingers", optarg, &o->zingers); break;
        case O_BLOCK: rc = parse_count(cli, "--block", optarg, 1, 1 << 20, &o->block); break;
        case O_DEFL:
            rc = parse_count(cli, "--deflate", optarg, 0, 9, &n);
            o->deflate = (int)n;
            break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (rc)
        return rc;
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind >= argc ? "missing EXP.h5" : "one container");
    *container = argv[optind];
    return 0;
}

int tsct_cmd_sinogram(tsct_cli *cli, int argc, char **argv)
{
    const char *container = NULL;
    tsct_sinogram_params p;
    int rc = parse_sino(cli, argc, argv, &container, &p);
    if (rc)
        return rc;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_cli_guard_file(container);
    if (tsct_stage_sinogram(container, &p, &ctx, NULL, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    return TSCT_EXIT_OK;
}

/* ---- tsct recon -------------------------------------------------------------------------- */

static int parse_recon(tsct_cli *cli, int argc, char **argv, struct recon_opts *o)
{
    enum { O_NONNEG = 256, O_NOCIRC, O_CENTRE, O_ANGLES, O_RANGE, O_ROW, O_FLAT, O_DARK, O_LOG,
           O_AIR, O_BLOCK, O_DEFL };
    static const struct option lo[] = {
        {"method", required_argument, NULL, 'm'},    {"filter", required_argument, NULL, 'f'},
        {"iterations", required_argument, NULL, 'n'}, {"nonneg", no_argument, NULL, O_NONNEG},
        {"size", required_argument, NULL, 's'},      {"no-circle", no_argument, NULL, O_NOCIRC},
        {"centre", required_argument, NULL, O_CENTRE}, {"angles", required_argument, NULL, O_ANGLES},
        {"angle-range", required_argument, NULL, O_RANGE}, {"row", required_argument, NULL, O_ROW},
        {"flat", required_argument, NULL, O_FLAT},   {"dark", required_argument, NULL, O_DARK},
        {"log", no_argument, NULL, O_LOG},           {"air", required_argument, NULL, O_AIR},
        {"output", required_argument, NULL, 'o'},    {"block", required_argument, NULL, O_BLOCK},
        {"deflate", required_argument, NULL, O_DEFL}, {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->circle = 1;
    o->row = -1;
    o->block = 256;
    o->deflate = 1;
    o->iterations = -1;
    o->centre.mode = CENTRE_DEFAULT;
    const char *method = "fbp";
    optind = 1;
    opterr = 0;
    int ch, rc = 0;
    tsct_error err = TSCT_ERROR_INIT;
    while (!rc && (ch = getopt_long(argc, argv, ":m:f:n:s:o:", lo, NULL)) != -1) {
        switch (ch) {
        case 'm': method = optarg; break;
        case 'f':
            if (tsct_fbp_filter_parse(optarg, &o->filter, &err) != TSCT_OK)
                return tsct_cli_usage_error(cli, "--filter: %s", err.detail);
            break;
        case 'n': rc = parse_count(cli, "--iterations", optarg, 1, 100000, &o->iterations); break;
        case O_NONNEG: o->nonneg = 1; break;
        case 's': rc = parse_count(cli, "--size", optarg, 1, 1 << 20, &o->size); break;
        case O_NOCIRC: o->circle = 0; break;
        case O_CENTRE: rc = parse_centre(cli, optarg, &o->centre); break;
        case O_ANGLES: o->angles = optarg; break;
        case O_RANGE: o->angle_range = optarg; break;
        case O_ROW: rc = parse_count(cli, "--row", optarg, 0, INT64_MAX / 4, &o->row); break;
        case O_FLAT: o->flat = optarg; break;
        case O_DARK: o->dark = optarg; break;
        case O_LOG: o->neglog = 1; break;
        case O_AIR: rc = parse_count(cli, "--air", optarg, 0, INT64_MAX / 4, &o->air); break;
        case 'o': o->output = optarg; break;
        case O_BLOCK: rc = parse_count(cli, "--block", optarg, 1, 1 << 20, &o->block); break;
        case O_DEFL: rc = parse_count(cli, "--deflate", optarg, 0, 9, &o->deflate); break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (rc)
        return rc;
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind >= argc ? "missing input" : "one input at a time");
    o->input = argv[optind];
    if (!strcmp(method, "fbp"))
        o->method = 0;
    else if (!strcmp(method, "sirt"))
        o->method = 1;
    else if (!strcmp(method, "cgls"))
        o->method = 2;
    else
        return tsct_cli_usage_error(cli, "--method expects fbp, sirt or cgls, got '%s'", method);
    if (o->iterations < 0)
        o->iterations = o->method == 2 ? 30 : 100;
    if (o->output) {
        if (!o->angles == !o->angle_range)
            return tsct_cli_usage_error(cli, "a plain sinogram needs --angles FILE.h5::/dataset "
                                             "or --angle-range A:B (one of them)");
    } else if (o->angles || o->angle_range || o->row >= 0 || o->flat || o->dark || o->neglog ||
               o->air)
        return tsct_cli_usage_error(cli, "--angles, --angle-range, --row, --flat, --dark, --log "
                                         "and --air are for plain arrays (with -o OUT.h5)");
    return 0;
}

static int recon_container(tsct_cli *cli, struct recon_opts *o)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    tsct_dataset *in = NULL, *dst = NULL;
    tsct_step *step = NULL;
    double *th = NULL, *q = NULL, *centres = NULL, *org = NULL;
    float *blk = NULL, *cblk = NULL, *img = NULL, *prof = NULL, *row = NULL;
    char *stamps = NULL;
    struct recon_engine eng;
    memset(&eng, 0, sizeof eng);
    int64_t na = 0, nqa = 0, ncen = 0, shape[8];
    tsct_cli_guard_file(o->input);
    tsct_status st = tsct_container_open(o->input, TSCT_OPEN_WRITE, &c, &err);
    if (st == TSCT_OK)
        st = tsct_dataset_open(c, TSCT_PATH_SINOGRAMS, &in, &err);
    if (st == TSCT_OK && tsct_dataset_shape(in, shape) != 5)
        st = tsct_error_set(&err, TSCT_ERR_SHAPE, o->input, TSCT_PATH_SINOGRAMS, -1,
                            "expected 5 axes [nt][nz][na][ns][nq]");
    if (st == TSCT_OK)
        st = tsct_container_read_vector(c, TSCT_PATH_SCAN "/angle", &th, &na, &err);
    if (st == TSCT_OK && na != shape[2])
        st = tsct_error_set(&err, TSCT_ERR_SHAPE, o->input, TSCT_PATH_SCAN "/angle", -1,
                            "%lld angles for %lld sinogram rows", (long long)na,
                            (long long)shape[2]);
    for (int64_t a = 0; st == TSCT_OK && a < na; a++)
        if (!isfinite(th[a]))
            st = tsct_error_set(&err, TSCT_ERR_VALUE, o->input, TSCT_PATH_SCAN "/angle", a,
                                "expected a finite angle, found %g", th[a]);
    if (st == TSCT_OK && tsct_container_exists(c, TSCT_PATH_SINOGRAMS_Q))
        st = tsct_container_read_vector(c, TSCT_PATH_SINOGRAMS_Q, &q, &nqa, &err);
    /* sinograms made by `tsct sinogram` are centred already */
    if (st == TSCT_OK && o->centre.mode == CENTRE_DEFAULT) {
        int centred = 0;
        if (tsct_container_exists(c, "/entry/sinograms/centre") &&
            tsct_container_read_vector(c, "/entry/sinograms/centre", &centres, &ncen, &err) ==
                TSCT_OK)
            centred = 1;
        free(centres);
        centres = NULL;
        o->centre.mode = centred ? CENTRE_NONE : CENTRE_AUTO;
    }
    if (st != TSCT_OK)
        goto done;
    const int64_t nt = shape[0], nz = shape[1], ns = shape[3], nq = shape[4];
    const int64_t block = o->block < nq ? o->block : nq, nblk = (nq + block - 1) / block;

    /* The centre from the channel sum of the first (t, z); one geometry for every block. */
    prof = malloc((size_t)(na * ns) * sizeof *prof);
    row = malloc((size_t)(ns * nq) * sizeof *row);
    org = malloc((size_t)na * sizeof *org);
    if (!prof || !row || !org) {
        st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "profile", -1, "%lld x %lld",
                            (long long)na, (long long)ns);
        goto done;
    }
    double centre = -1.0;
    if (o->centre.mode != CENTRE_NONE) {
        for (int64_t a = 0; st == TSCT_OK && a < na; a++) {
            const int64_t s0[5] = {0, 0, a, 0, 0}, n0[5] = {1, 1, 1, ns, nq};
            st = tsct_dataset_read(in, s0, n0, row, &err);
            if (st == TSCT_OK)
                st = tsct_sino_profile(row, 1, ns, nq, NULL, prof + a * ns, &err);
        }
        if (st == TSCT_OK)
            st = find_centre(cli, o->input, &o->centre, prof, na, ns, th, &centre, &err);
        if (st != TSCT_OK)
            goto done;
    }
    const int64_t w = centre >= 0.0 ? tsct_sino_centre_crop_width(ns, centre) : ns;
    for (int64_t a = 0; a < na; a++)
        org[a] = centre >= 0.0 ? tsct_sino_centre_origin(centre, w) : 0.0;
    if (w < 2) {
        st = tsct_error_set(&err, TSCT_ERR_VALUE, o->input, "centre", -1,
                            "the centre %.3f leaves %lld positions", centre, (long long)w);
        goto done;
    }
    st = engine_init(&eng, o, cli->nthreads, na, w, th, block, &err);
    if (st != TSCT_OK)
        goto done;
    const int64_t n = eng.n;
    char settings[1024], fp[4096];
    snprintf(settings, sizeof settings,
             "method=%d filter=%s iterations=%lld nonneg=%d size=%lld circle=%d centre=%.17g "
             "block=%lld deflate=%lld",
             o->method, tsct_fbp_filter_name(o->filter), (long long)o->iterations, o->nonneg,
             (long long)n, o->circle, centre, (long long)block, (long long)o->deflate);
    static const char *const inputs_r[] = {"sinogram", "import_sinograms", NULL};
    static const char *const data_r[] = {TSCT_PATH_SINOGRAMS, NULL};
    fingerprint(c, fp, sizeof fp, inputs_r, settings);
    if (tsct_cli_up_to_date(cli, c, "recon", fp))
        goto done;
    /* Time steps t0 .. nt-1 are computed; earlier ones are kept (tsct run, new tomograms). */
    const int64_t t0 = tsct_cli_keep_time_steps(cli, c, "recon", settings, data_r,
                                                TSCT_PATH_RECON, nt, &stamps, fp, sizeof fp);
    if (t0 == nt)
        goto done;
    const int64_t nu = (nt - t0) * nz * nblk;
    tsct_step_info info = {"recon", cli->command_line, settings, fp, nu, settings, stamps, t0};
    st = tsct_step_begin(c, &info, &cli->log, &step, &err);
    const int64_t oshape[5] = {nt - t0, nz, n, n, nq};
    tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
    dp.deflate = (int)o->deflate;
    dp.chunk_last = block;  /* one unit's channels: see tsct_dataset_params */
    if (st == TSCT_OK && q)
        st = tsct_step_vector(step, TSCT_PATH_RECON_Q, q, nqa, "A^-1", &err);
    if (st == TSCT_OK)
        st = tsct_step_dataset(step, TSCT_PATH_RECON, 5, oshape, t0 > 0 ? t0 : -1, &dp, &dst,
                               &err);
    blk = malloc((size_t)(na * ns * block) * sizeof *blk);
    cblk = malloc((size_t)(na * w * block) * sizeof *cblk);
    img = malloc((size_t)(n * n * block) * sizeof *img);
    if (st == TSCT_OK && (!blk || !cblk || !img))
        st = tsct_error_set(&err, TSCT_ERR_NOMEM, NULL, "channel block", -1,
                            "%lld channels (--block)", (long long)block);
    if (st != TSCT_OK)
        goto done;
    tsct_progress pr;
    tsct_progress_begin(&pr, &cli->progress, "recon channel blocks", nu,
                        tsct_step_done_count(step));
    for (int64_t u = 0; st == TSCT_OK && u < nu; u++) {
        if (tsct_step_is_done(step, u))
            continue;
        const int64_t t = t0 + u / (nz * nblk), z = u / nblk % nz, c0 = u % nblk * block;
        const int64_t nc = c0 + block <= nq ? block : nq - c0;
        const int64_t rs[5] = {t, z, 0, 0, c0}, rc[5] = {1, 1, na, ns, nc};
        const int64_t ws[5] = {t - t0, z, 0, 0, c0}, wc[5] = {1, 1, n, n, nc};
        st = tsct_dataset_read(in, rs, rc, blk, &err);
        if (st == TSCT_OK)
            st = tsct_sino_resample(blk, na, ns, nc, org, w, cblk, cli->nthreads, &err);
        if (st == TSCT_OK)
            st = engine_run(cli, &eng, cblk, nc, img, &err);
        if (st == TSCT_OK)
            st = tsct_dataset_write(dst, ws, wc, img, &err);
        if (st == TSCT_OK)
            st = unit_done(step, &pr, u, &err);
    }
    if (st != TSCT_OK)
        goto done;
    tsct_progress_end(&pr);
    tsct_dataset_close(dst);
    dst = NULL;
    st = tsct_step_commit(step, &err);
    step = NULL;
    if (st == TSCT_OK) {
        char b[128];
        tsct_log_msg(&cli->log, TSCT_LOG_INFO, "reconstruction %s written to %s:%s",
                     tsct_shape_format(b, sizeof b, 5, oshape), o->input, TSCT_PATH_RECON);
    }
done:
    tsct_dataset_close(dst);
    tsct_step_close(step);
    tsct_dataset_close(in);
    if (st == TSCT_OK)
        st = tsct_container_close(c, &err);
    else
        tsct_container_close(c, NULL);
    engine_release(&eng);
    free(th);
    free(q);
    free(centres);
    free(org);
    free(blk);
    free(cblk);
    free(img);
    free(prof);
    free(row);
    free(stamps);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}

int tsct_cmd_recon(tsct_cli *cli, int argc, char **argv)
{
    struct recon_opts o;
    int rc = parse_recon(cli, argc, argv, &o);
    if (rc)
        return rc;
    return o.output ? recon_plain(cli, &o) : recon_container(cli, &o);
}
