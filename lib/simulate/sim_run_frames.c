/* sim_run_frames.c - the frame level of a simulated experiment: the detector of the preset,
 * the files a beamline would hand over (detector.poni, mask.edf, dark / flat, scan.ini) and
 * one HDF5 frame stack (or one folder of CBF / EDF files) per time step, rendered from the
 * pattern level's noiseless patterns (see include/tsct/simulate.h, docs/simulate.md "The
 * frame level").
 *
 * Design: sim_run.c computes a slice's noiseless patterns [na][ns][nq] exactly as at the
 * pattern level (same monitor draw); this file renders them frame by frame with the detector
 * renderer (sim_frames.c: solid angle, polarization, flat, dark, Poisson noise, spots), a
 * batch of frames at a time in parallel, converts to uint32 counts (masked pixels
 * 2^32 - 1, as Dectris marks them) and appends the batch to the time step's stack, so memory
 * holds one batch, never a whole time step. Each frame draws its noise from its own generator
 * seeded by (seed, time step, frame), so the bytes do not depend on the thread count or on
 * which time steps an interrupted run had already written.
 *
 * CBF and EDF: the same counts as int32 (masked -1, Pilatus' mark: the same 32 bits), each
 * frame encoded and written to its own file by the thread that rendered it (one reused
 * encoding buffer per batch slot), into the time step's temporary folder; the folder is
 * renamed into place when the time step is complete, which is what makes a time step's files
 * appear at once, as the HDF5 stack's rename does. The frame's monitor goes into its header
 * (Flux) as the shortest decimal that reads back to the same double, so integrating the
 * series with --monitor-header Flux divides by exactly the HDF5 monitor; the sample's
 * transmission likewise (Transmission; /entry/instrument/transmission/data in the stack).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_internal.h"
#include "sim_internal.h"
#include "tsct/container.h"
#include "tsct/frames.h"
#include "tsct/image.h"
#include "tsct/publish.h"
#include "tsct/sim_physics.h"
#include "tsct/threads.h"

#define FRAME_NAME "frames_t%04lld"   /* + ".h5", or a folder of frame files */
#define SIM_ATTR "tsct_simulation"
#define SIM_TRANSMISSION "/entry/instrument/transmission/data" /* per frame, HDF5 stacks */
#define NRING 5   /* strongest peaks that carry single-crystal spots */

struct tsct__sim_frames {
    const tsct_sim_preset *p;
    const tsct_sim_run_params *run;
    tsct_sim_frames_params params;
    char dir[TSCT_PATH_MAX];
    char fingerprint[1024];
    tsct_poni g;
    int64_t rows, cols, npx, nt, nz, na, ns, nq;
    const double *q;
    tsct_sim_render_plan *plan;
    uint8_t *mask;
    float *dark, *flat;             /* NULL when the detector has none */
    int nthreads;
    int64_t batch;                  /* frames rendered together */
    float *fbuf;                    /* [batch][npx] */
    uint32_t *ubuf;                 /* [batch][npx] */
    double *mon;                    /* [batch] */
    double *trn;                    /* [batch]: the frames' transmission */
    float *sum;                     /* [nq] summed patterns of a slice (spot rings) */
    tsct_error *errs;               /* [batch] */
    tsct_frames_writer *writer;     /* the time step being written (HDF5) */
    int64_t t;                      /* its index */
    /* CBF / EDF */
    const char *ext;                /* "cbf" / "edf"; NULL for HDF5 */
    int name_width;                 /* digits of the frame number in file names */
    tsct_publish folder;            /* the time step's temporary folder */
    char header_fp[1024];           /* fingerprint as a header value */
    char hdr_det[160], hdr_pix[96], hdr_wl[48], hdr_dist[48];
    uint8_t **enc;                  /* [batch] encoding buffers */
    size_t *enc_cap;                /* [batch] their capacities */
    /* Parallax and self-absorption (preset physics): NULL when both are off. */
    tsct_sim_physics_plan *phys;
    tsct_sim_physics_work **pwork;  /* [nthreads] */
    const double *angles;           /* [na] degrees */
    float *mu_map;                  /* [n][n] the slice's attenuation, 1/mm */
    int64_t n, nc;
};

const char *tsct_sim_frame_format_name(tsct_sim_frame_format format)
{
    switch (format) {
    case TSCT_SIM_FRAMES_HDF5: return "h5";
    case TSCT_SIM_FRAMES_CBF: return "cbf";
    case TSCT_SIM_FRAMES_EDF: return "edf";
    }
    return NULL;
}

tsct_status tsct_sim_detector_geometry(const tsct_sim_preset *p, tsct_poni *g, tsct_error *err)
{
    const tsct_sim_detector *d = &p->detector;
    tsct_poni_init(g);
    const char *name = d->name && d->name[0] ? d->name : "Pilatus2M";
    tsct_poni_detector det;
    TSCT_TRY(tsct_poni_detector_find(name, &det, err));
    snprintf(g->detector, sizeof g->detector, "%s", det.name);
    int64_t rows = d->rows > 0 ? d->rows : det.shape[0];
    int64_t cols = d->cols > 0 ? d->cols : det.shape[1];
    /* Divisions, not multiplications by 1e-6: 172 um is then the double nearest 172e-6. */
    double pix1 = d->pixel_um > 0 ? d->pixel_um / 1e6 : det.pixel1;
    double pix2 = d->pixel_um > 0 ? d->pixel_um / 1e6 : det.pixel2;
    if (rows < 1 || cols < 1 || !(pix1 > 0) || !(pix2 > 0) || rows > 65536 || cols > 65536)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "detector", -1,
                              "preset %s: detector %s needs a shape (1 .. 65536 pixels a side) "
                              "and a pixel size, found %lld x %lld of %g um",
                              p->name, name, (long long)rows, (long long)cols, pix1 * 1e6);
    g->shape[0] = rows;
    g->shape[1] = cols;
    g->pixel1 = pix1;
    g->pixel2 = pix2;
    g->orientation = 3;
    g->poni1 = d->centred ? 0.5 * (double)rows * pix1 : d->poni1_mm / 1e3;
    g->poni2 = d->centred ? 0.5 * (double)cols * pix2 : d->poni2_mm / 1e3;
    g->rot1 = d->rot1;
    g->rot2 = d->rot2;
    g->rot3 = d->rot3;
    g->wavelength = 12.398419843320026 / p->energy_kev / 1e10;
    double sin_th = p->qmax * g->wavelength * 1e10 / (4 * M_PI);
    if (!(sin_th > 0 && sin_th < M_SQRT1_2))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "detector", -1,
                              "preset %s: qmax %g 1/A at %g keV is beyond 2theta = 90 degrees",
                              p->name, p->qmax, p->energy_kev);
    g->dist = d->distance_mm / 1e3;
    if (!(d->distance_mm > 0)) {
        /* qmax on the largest circle around the PONI that fits in the detector. */
        double radius = fmin(fmin(g->poni1, (double)rows * pix1 - g->poni1),
                             fmin(g->poni2, (double)cols * pix2 - g->poni2));
        if (!(radius > 0))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "detector", -1,
                                  "preset %s: the PONI lies off the detector: give a distance",
                                  p->name);
        g->dist = radius / tan(2 * asin(sin_th));
    }
    if (!(g->dist > 0) || !isfinite(g->poni1) || !isfinite(g->poni2) ||
        fabs(g->poni1) > 10 || fabs(g->poni2) > 10 || !(fabs(g->rot1) < 1) ||
        !(fabs(g->rot2) < 1) || !isfinite(g->rot3))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "detector", -1,
                              "preset %s: distance %g mm, PONI (%g, %g) mm, rotations (%g, %g, "
                              "%g) rad: expected a positive distance, PONI within 10 m and "
                              "tilts below 1 rad",
                              p->name, g->dist * 1e3, g->poni1 * 1e3, g->poni2 * 1e3, g->rot1,
                              g->rot2, g->rot3);
    return TSCT_OK;
}

void tsct__sim_frames_destroy(tsct__sim_frames *f)
{
    if (!f)
        return;
    tsct_frames_writer_destroy(f->writer);
    tsct_publish_dir_abort(&f->folder);
    for (int64_t b = 0; f->enc && b < f->batch; b++)
        free(f->enc[b]);
    free(f->enc);
    free(f->enc_cap);
    for (int i = 0; f->pwork && i < f->nthreads; i++)
        tsct_sim_physics_work_destroy(f->pwork[i]);
    free(f->pwork);
    tsct_sim_physics_plan_destroy(f->phys);
    free(f->mu_map);
    tsct_sim_render_plan_destroy(f->plan);
    free(f->mask);
    free(f->dark);
    free(f->flat);
    free(f->fbuf);
    free(f->ubuf);
    free(f->mon);
    free(f->trn);
    free(f->sum);
    free(f->errs);
    free(f);
}

/* Time step t's HDF5 file, or its folder of frame files. */
static void frame_path(const tsct__sim_frames *f, int64_t t, char *buf, size_t size)
{
    snprintf(buf, size, "%s/" FRAME_NAME "%s", f->dir, (long long)t, f->ext ? "" : ".h5");
}

/* Frame k's file in the folder `folder`. */
static void frame_file(const tsct__sim_frames *f, const char *folder, int64_t k, char *buf,
                       size_t size)
{
    snprintf(buf, size, "%s/frame_%0*lld.%s", folder, f->name_width, (long long)k, f->ext);
}

/* Temporary files and folders of an interrupted run ("frames_tNNNN.h5.partial.XXXXXX",
 * "frames_tNNNN.partial.XXXXXX", tsct/publish.h) would otherwise stay forever: they are
 * ours, remove them. */
static void remove_partials(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "frames_t", 8) != 0 || !strstr(e->d_name, ".partial."))
            continue;
        char path[TSCT_PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode))
            tsct_publish_dir_remove(path);
        else if (strstr(e->d_name, ".h5.partial."))
            unlink(path);
    }
    closedir(d);
}

static void frame_header_setup(tsct__sim_frames *f);

tsct_status tsct__sim_frames_create(const tsct_sim_preset *p, const tsct_sim_run_params *run,
                                    const tsct_sim_frames_params *params,
                                    const char *fingerprint, int64_t nt, int64_t nz,
                                    const double *q, int64_t nq, tsct__sim_frames **out,
                                    tsct_error *err)
{
    *out = NULL;
    const tsct_sim_detector *d = &p->detector;
    if (!(d->counts > 0) || !isfinite(d->counts) || !(fabs(d->polarization) <= 1) ||
        !(d->spot_fraction >= 0 && d->spot_fraction <= 1) || d->spot_count < 0 ||
        !(d->dark >= 0) || !(d->flat_sd >= 0 && d->flat_sd < 0.5))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "detector", -1,
                              "preset %s: counts %g (> 0), polarization %g (-1 .. 1), spot "
                              "fraction %g (0 .. 1), dark %g (>= 0), flat spread %g (0 .. 0.5)",
                              p->name, d->counts, d->polarization, d->spot_fraction, d->dark,
                              d->flat_sd);
    if (!tsct_sim_frame_format_name(params->format))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "frame format", (int64_t)params->format,
                              "expected HDF5, CBF or EDF");
    if (strlen(params->dir) + 64 >= TSCT_PATH_MAX)
        return tsct_error_set(err, TSCT_ERR_VALUE, params->dir, "frames", -1, "path too long");
    if (mkdir(params->dir, 0777) != 0 && errno != EEXIST)
        return tsct_error_set(err, TSCT_ERR_IO, params->dir, "frames folder", -1,
                              "cannot create: %s", strerror(errno));
    struct stat sb;
    if (stat(params->dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return tsct_error_set(err, TSCT_ERR_IO, params->dir, "frames folder", -1,
                              "exists and is not a folder");
    if (access(params->dir, W_OK | X_OK) != 0)
        return tsct_error_set(err, TSCT_ERR_IO, params->dir, "frames folder", -1,
                              "not writable: %s", strerror(errno));
    tsct__sim_frames *f = calloc(1, sizeof *f);
    if (!f)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "frames", -1, "state");
    f->p = p;
    f->run = run;
    f->params = *params;
    snprintf(f->dir, sizeof f->dir, "%s", params->dir);
    f->params.dir = f->dir;
    snprintf(f->fingerprint, sizeof f->fingerprint, "%s", fingerprint);
    f->nt = nt;
    f->nz = nz;
    f->na = p->na;
    f->ns = p->ns;
    f->q = q;
    f->nq = nq;
    f->t = -1;
    f->nthreads = tsct_threads_resolve(run->nthreads);
    tsct_status st = tsct_sim_detector_geometry(p, &f->g, err);
    if (st == TSCT_OK) {
        f->rows = f->g.shape[0];
        f->cols = f->g.shape[1];
        f->npx = f->rows * f->cols;
        /* Enough frames to keep every thread busy, within about 256 MB of buffers. */
        int64_t cap = (INT64_C(256) << 20) / (f->npx * 8);
        f->batch = 4 * (int64_t)f->nthreads;
        if (f->batch > cap)
            f->batch = cap > f->nthreads ? cap : f->nthreads;
        f->mask = calloc((size_t)f->npx, 1);
        f->fbuf = malloc((size_t)(f->batch * f->npx) * sizeof *f->fbuf);
        f->ubuf = malloc((size_t)(f->batch * f->npx) * sizeof *f->ubuf);
        f->mon = malloc((size_t)f->batch * sizeof *f->mon);
        f->trn = malloc((size_t)f->batch * sizeof *f->trn);
        f->sum = malloc((size_t)nq * sizeof *f->sum);
        f->errs = malloc((size_t)f->batch * sizeof *f->errs);
        if (params->format != TSCT_SIM_FRAMES_HDF5) {
            f->ext = tsct_sim_frame_format_name(params->format);
            f->enc = calloc((size_t)f->batch, sizeof *f->enc);
            f->enc_cap = calloc((size_t)f->batch, sizeof *f->enc_cap);
        }
        if (d->dark > 0)
            f->dark = malloc((size_t)f->npx * sizeof *f->dark);
        if (d->flat_sd > 0)
            f->flat = malloc((size_t)f->npx * sizeof *f->flat);
        if (!f->mask || !f->fbuf || !f->ubuf || !f->mon || !f->trn || !f->sum || !f->errs ||
            (f->ext && (!f->enc || !f->enc_cap)) ||
            (d->dark > 0 && !f->dark) || (d->flat_sd > 0 && !f->flat))
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "frames", -1,
                                "buffers for %lld frames of %lld x %lld pixels",
                                (long long)f->batch, (long long)f->rows, (long long)f->cols);
    }
    if (st == TSCT_OK && f->ext)
        frame_header_setup(f);
    if (st == TSCT_OK) {
        tsct_poni_detector det;
        if (tsct_poni_detector_find(f->g.detector, &det, NULL) == TSCT_OK)
            tsct_poni_detector_mask(&det, f->rows, f->cols, f->mask);
        /* Dark and flat: fixed pixel-to-pixel patterns drawn once from the seed. */
        tsct_sim_rng rng;
        tsct_sim_rng_seed(&rng, run->seed * 2654435761ull + 0x6a09e667f3bcc909ull);
        for (int64_t k = 0; f->dark && k < f->npx; k++)
            f->dark[k] = (float)(d->dark * fmax(0.0, 1.0 + 0.1 * tsct_sim_rng_normal(&rng)));
        for (int64_t k = 0; f->flat && k < f->npx; k++)
            f->flat[k] = (float)fmax(0.5, 1.0 + d->flat_sd * tsct_sim_rng_normal(&rng));
        st = tsct_sim_render_plan_create(&f->g, f->rows, f->cols, f->mask, d->polarization,
                                         run->nthreads, &f->plan, err);
    }
    if (st != TSCT_OK) {
        tsct__sim_frames_destroy(f);
        return st;
    }
    remove_partials(f->dir);
    *out = f;
    return TSCT_OK;
}

tsct_status tsct__sim_frames_physics(tsct__sim_frames *f, int64_t n, int64_t nc,
                                     const double *angles, tsct_error *err)
{
    const tsct_sim_preset *p = f->p;
    if (!p->physics.parallax && !p->physics.absorption)
        return TSCT_OK;
    f->n = n;
    f->nc = nc;
    f->angles = angles;
    tsct_sim_beam beam = p->beam;   /* a coarse scan's beam widens with its step */
    beam.width *= tsct_sim_translation_step(p);
    TSCT_TRY(tsct_sim_physics_plan_create(&f->g, f->rows, f->cols, f->mask,
                                          p->detector.polarization, &p->physics, n, nc,
                                          p->phantom.voxel_um * 1e-3, &beam, f->nthreads,
                                          &f->phys, err));
    f->pwork = calloc((size_t)f->nthreads, sizeof *f->pwork);
    f->mu_map = malloc((size_t)(n * n) * sizeof *f->mu_map);
    if (!f->pwork || !f->mu_map)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "frames", -1, "physics workspaces");
    for (int i = 0; i < f->nthreads; i++)
        TSCT_TRY(tsct_sim_physics_work_create(f->phys, f->nq, &f->pwork[i], err));
    return TSCT_OK;
}

/* A time step's folder: it exists only once complete (renamed into place); its first frame
 * says which simulation wrote it. */
static tsct_status folder_have(const tsct__sim_frames *f, const char *path, int *have,
                               tsct_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return tsct_error_set(err, TSCT_ERR_EXISTS, path, "frames", -1,
                              "exists and is not a folder of frames: remove it or choose "
                              "another frames folder");
    char first[TSCT_PATH_MAX + 128];
    frame_file(f, path, 0, first, sizeof first);
    tsct_image img;
    tsct_image_init(&img);
    tsct_status st = tsct_image_read_header(&img, first, NULL, err);
    if (st == TSCT_OK) {
        size_t len = 0;
        const char *v = tsct_image_header_value(&img, SIM_ATTR, &len);
        if (!v || len != strlen(f->header_fp) || memcmp(v, f->header_fp, len) != 0)
            st = tsct_error_set(err, TSCT_ERR_EXISTS, first, SIM_ATTR, -1,
                                "written by another simulation (%.*s; this one is %s): remove "
                                "the folder or choose another frames folder",
                                v ? (int)(len > 300 ? 300 : len) : 7, v ? v : "unknown",
                                f->header_fp);
    } else {
        char why[256];
        snprintf(why, sizeof why, "%.200s", err ? err->detail : "");
        st = tsct_error_set(err, TSCT_ERR_EXISTS, path, SIM_ATTR, -1,
                            "not a complete time step of a simulation (%s): remove it or "
                            "choose another frames folder", why);
    }
    tsct_image_release(&img);
    *have = st == TSCT_OK;
    return st;
}

tsct_status tsct__sim_frames_have(const tsct__sim_frames *f, int64_t t, int *have,
                                  tsct_error *err)
{
    char path[TSCT_PATH_MAX + 32], made_by[1024] = "";
    frame_path(f, t, path, sizeof path);
    *have = 0;
    if (access(path, F_OK) != 0)
        return TSCT_OK;
    if (f->ext)
        return folder_have(f, path, have, err);
    tsct_container *c = NULL;
    tsct_status st = tsct_h5file_open(path, TSCT_OPEN_READ, &c, err);
    if (st == TSCT_OK) {
        if (tsct_container_get_attr_string(c, "/", SIM_ATTR, made_by, sizeof made_by, NULL) !=
                TSCT_OK ||
            strcmp(made_by, f->fingerprint) != 0)
            st = tsct_error_set(err, TSCT_ERR_EXISTS, path, SIM_ATTR, -1,
                                "written by another simulation (%s; this one is %s): remove "
                                "it or choose another frames folder",
                                made_by[0] ? made_by : "unknown", f->fingerprint);
        tsct_container_close(c, NULL);
    }
    *have = st == TSCT_OK;
    return st;
}

/* Shortest decimal form that reads back to the same double (whole numbers without an
 * exponent). */
static const char *shortest(char *buf, size_t size, double v)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, size, "%.0f", v);
        return buf;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

/* The header items every frame file carries (Flux is per frame): Pilatus keywords that
 * fabio's PilatusHeader reads, and the simulation's fingerprint with what a header value
 * cannot hold (';' in EDF, control characters) replaced by '_'. */
static void frame_header_setup(tsct__sim_frames *f)
{
    char a[40], b[40];
    snprintf(f->hdr_det, sizeof f->hdr_det, "%s, tsct simulate", f->g.detector);
    snprintf(f->hdr_pix, sizeof f->hdr_pix, "%s m x %s m", shortest(a, sizeof a, f->g.pixel2),
             shortest(b, sizeof b, f->g.pixel1));
    snprintf(f->hdr_wl, sizeof f->hdr_wl, "%s A", shortest(a, sizeof a, f->g.wavelength * 1e10));
    snprintf(f->hdr_dist, sizeof f->hdr_dist, "%s m", shortest(a, sizeof a, f->g.dist));
    snprintf(f->header_fp, sizeof f->header_fp, "%s", f->fingerprint);
    for (char *c = f->header_fp; *c; c++)
        if ((unsigned char)*c < 32 || (unsigned char)*c > 126 || strchr(";{}", *c))
            *c = '_';
    int64_t nframes = f->nz * f->na * f->ns, width = 1;
    for (int64_t k = nframes - 1; k >= 10; k /= 10)
        width++;
    f->name_width = width > 6 ? (int)width : 6;
}

static tsct_status write_scan_ini(const tsct__sim_frames *f, tsct_error *err)
{
    const tsct_sim_preset *p = f->p;
    char path[TSCT_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/scan.ini", f->dir);
    tsct_publish pub;
    FILE *fp = NULL;
    TSCT_TRY(tsct_publish_fopen(&pub, path, &fp, err));
    char num[32];
    fprintf(fp, "# tsct simulate --level frames, preset %s (docs/simulate.md)\n", p->name);
    fprintf(fp, "[scan]\n");
    fprintf(fp, "time_steps = %lld\n", (long long)f->nt);
    fprintf(fp, "slices = %lld\n", (long long)f->nz);
    fprintf(fp, "angles = %lld\n", (long long)f->na);
    fprintf(fp, "angle_range = %s\n", shortest(num, sizeof num, p->angle_range));
    fprintf(fp, "translations = %lld\n", (long long)f->ns);
    fprintf(fp, "translation_step = %s\n",
            shortest(num, sizeof num, p->phantom.voxel_um / 1e3 * tsct_sim_translation_step(p)));
    fprintf(fp, "zigzag = %d\n", p->zigzag ? 1 : 0);
    fprintf(fp, "wavelength = %s\n", shortest(num, sizeof num, f->g.wavelength * 1e10));
    fprintf(fp, "energy_kev = %s\n", shortest(num, sizeof num, p->energy_kev));
    if (f->ext) {
        /* One folder of frame files per time step; the monitor in each file's header. */
        fprintf(fp, "format = %s\n", f->ext);
        fprintf(fp, "frames = frames_t%%04d\n");
        fprintf(fp, "frame_files = frame_%%0%dd.%s\n", f->name_width, f->ext);
        fprintf(fp, "dataset = \n");
        fprintf(fp, "monitor = \n");
        fprintf(fp, "monitor_header = Flux\n");
        fprintf(fp, "transmission = \n");
        fprintf(fp, "transmission_header = Transmission\n");
    } else {
        fprintf(fp, "format = h5\n");
        fprintf(fp, "frames = frames_t%%04d.h5\n");
        fprintf(fp, "dataset = /entry/data/data\n");
        fprintf(fp, "monitor = /entry/instrument/monitor/data\n");
        fprintf(fp, "transmission = " SIM_TRANSMISSION "\n");
    }
    fprintf(fp, "poni = detector.poni\n");
    fprintf(fp, "mask = mask.edf\n");
    fprintf(fp, "dark = %s\n", f->dark ? "dark.edf" : "");
    fprintf(fp, "flat = %s\n", f->flat ? "flat.edf" : "");
    fprintf(fp, "polarization = %s\n", shortest(num, sizeof num, p->detector.polarization));
    fprintf(fp, "counts = %s\n", shortest(num, sizeof num, p->detector.counts));
    fprintf(fp, "npt = %lld\n", (long long)f->nq);
    /* npt bins between qmin and qmax centred on the ground truth's grid (nq points from the
     * preset's qmin to qmax, ends included), so integrated channels fall on its channels. */
    double half = 0.5 * (p->qmax - p->qmin) / (double)(f->nq - 1);
    fprintf(fp, "qmin = %s\n", shortest(num, sizeof num, p->qmin - half));
    fprintf(fp, "qmax = %s\n", shortest(num, sizeof num, p->qmax + half));
    return tsct_publish_fclose(&pub, fp, err);
}

tsct_status tsct__sim_frames_write_aux(const tsct__sim_frames *f, tsct_error *err)
{
    /* The frame folder is the simulation's own: a resumed or repeated run writes its
     * description again, whatever the overwrite policy of the front end. */
    static const char *const own[] = {"detector.poni", "mask.edf", "dark.edf", "flat.edf",
                                      "scan.ini"};
    char path[TSCT_PATH_MAX + 32];
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", f->dir, own[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/detector.poni", f->dir);
    TSCT_TRY(tsct_poni_write_v2(&f->g, path, err));
    snprintf(path, sizeof path, "%s/mask.edf", f->dir);
    TSCT_TRY(tsct_image_write_edf_u8(path, f->mask, f->rows, f->cols, err));
    if (f->dark) {
        snprintf(path, sizeof path, "%s/dark.edf", f->dir);
        TSCT_TRY(tsct_image_write_edf(path, f->dark, f->rows, f->cols, err));
    }
    if (f->flat) {
        snprintf(path, sizeof path, "%s/flat.edf", f->dir);
        TSCT_TRY(tsct_image_write_edf(path, f->flat, f->rows, f->cols, err));
    }
    return write_scan_ini(f, err);
}

tsct_status tsct__sim_frames_begin(tsct__sim_frames *f, int64_t t, tsct_error *err)
{
    char path[TSCT_PATH_MAX + 32];
    frame_path(f, t, path, sizeof path);
    tsct_frames_writer_destroy(f->writer);
    f->writer = NULL;
    if (f->ext) {
        tsct_publish_dir_abort(&f->folder);
        f->t = t;
        return tsct_publish_dir_begin(&f->folder, path, err);
    }
    tsct_frames_writer_params wp = TSCT_FRAMES_WRITER_PARAMS_DEFAULT;
    wp.transmission = SIM_TRANSMISSION;
    wp.attr_name = SIM_ATTR;
    wp.attr_value = f->fingerprint;
    f->t = t;
    return tsct_frames_writer_create(path, f->nz * f->na * f->ns, f->rows, f->cols, &wp,
                                     &f->writer, err);
}

tsct_status tsct__sim_frames_end(tsct__sim_frames *f, tsct_error *err)
{
    if (f->ext)
        return tsct_publish_dir_commit(&f->folder, err);
    tsct_frames_writer *w = f->writer;
    f->writer = NULL;
    return tsct_frames_writer_commit(w, err);
}

/* Frame k of the time step as a CBF / EDF file in the temporary folder: counts[npx] int32,
 * encoded into buffer slot b; its monitor as the Flux header item. Plain writes: the folder is
 * fsynced and renamed as a whole (tsct__sim_frames_end). Thread-safe for distinct slots. */
static tsct_status write_frame_file(tsct__sim_frames *f, int64_t b, int64_t k,
                                    const int32_t *counts, double monitor, double transmission,
                                    tsct_error *err)
{
    char flux[40], trn[40];
    shortest(flux, sizeof flux, monitor);
    shortest(trn, sizeof trn, transmission);
    const tsct_image_header_entry items[] = {
        {"Detector", f->hdr_det},   {"Pixel_size", f->hdr_pix},
        {"Wavelength", f->hdr_wl},  {"Detector_distance", f->hdr_dist},
        {"Flux", flux},             {"Transmission", trn},
        {SIM_ATTR, f->header_fp},
    };
    const int64_t nitems = (int64_t)(sizeof items / sizeof items[0]);
    size_t size = 0;
    if (strcmp(f->ext, "cbf") == 0)
        TSCT_TRY(tsct_image_encode_cbf(counts, f->rows, f->cols, items, nitems, &f->enc[b],
                                       &f->enc_cap[b], &size, err));
    else
        TSCT_TRY(tsct_image_encode_edf(counts, f->rows, f->cols, items, nitems, &f->enc[b],
                                       &f->enc_cap[b], &size, err));
    char path[TSCT_PATH_MAX + 128];
    frame_file(f, tsct_publish_tmp_path(&f->folder), k, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return tsct_error_set(err, TSCT_ERR_IO, path, NULL, k, "cannot create: %s",
                              strerror(errno));
    const uint8_t *p = f->enc[b];
    size_t left = size;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            close(fd);
            return tsct_error_set(err, TSCT_ERR_IO, path, NULL, k, "write failed: %s",
                                  strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if (close(fd) != 0)
        return tsct_error_set(err, TSCT_ERR_IO, path, NULL, k, "write failed: %s",
                              strerror(errno));
    return TSCT_OK;
}

/* The NRING strongest local maxima of the slice's summed patterns: where spots go. */
static int spot_rings(tsct__sim_frames *f, const float *data, int64_t nframes, double *ring_q)
{
    memset(f->sum, 0, (size_t)f->nq * sizeof *f->sum);
    for (int64_t k = 0; k < nframes; k++)
        for (int64_t j = 0; j < f->nq; j++)
            f->sum[j] += data[k * f->nq + j];
    int n = 0;
    double below = INFINITY;   /* the height of the last ring chosen */
    for (; n < NRING; n++) {
        int64_t best = -1;
        for (int64_t j = 1; j + 1 < f->nq; j++)
            if (f->sum[j] > f->sum[j - 1] && f->sum[j] >= f->sum[j + 1] && f->sum[j] < below &&
                (best < 0 || f->sum[j] > f->sum[best]))
                best = j;
        if (best < 0)
            break;
        below = f->sum[best];
        ring_q[n] = f->q[best];
    }
    return n;
}

/* Whether frame `index` of time step t carries spots: drawn from its own generator, so the
 * ground truth can record it without rendering the frame. */
static int frame_spotted(const tsct__sim_frames *f, int64_t t, int64_t index)
{
    const tsct_sim_detector *d = &f->p->detector;
    if (f->params.noiseless || d->spot_count < 1 || !(d->spot_fraction > 0))
        return 0;
    tsct_sim_rng rng;
    tsct_sim_rng_seed(&rng, (f->run->seed + 7) * 0xbf58476d1ce4e5b9ull ^ ((uint64_t)t << 40) ^
                                (uint64_t)index);
    return tsct_sim_rng_uniform(&rng) < d->spot_fraction;
}

void tsct__sim_frames_spot_map(tsct__sim_frames *f, int64_t t, int64_t z, const float *data,
                               float *out)
{
    const int64_t nframes = f->na * f->ns;
    double ring_q[NRING];
    int nring = spot_rings(f, data, nframes, ring_q);
    for (int64_t k = 0; k < nframes; k++)
        out[k] = nring > 0 && frame_spotted(f, t, z * nframes + k)
                     ? (float)f->p->detector.spot_count
                     : 0.0f;
}

tsct_status tsct__sim_frames_slice(tsct__sim_frames *f, int64_t z, const float *data,
                                   const float *monitor, const float *transmission,
                                   const float *fractions, const float *patterns,
                                   const double *mu, tsct_progress *progress, tsct_error *err)
{
    const tsct_sim_detector *d = &f->p->detector;
    const int64_t na = f->na, ns = f->ns, nq = f->nq, npx = f->npx, nframes = na * ns;
    const int noisy = !f->params.noiseless;
    double ring_q[NRING];
    /* frame_fraction 1: the frames that get spots are chosen by frame_spotted(). */
    tsct_sim_spots spots = {1.0, d->spot_count, 1.5, 10.0, ring_q, 0};
    spots.nring = spot_rings(f, data, nframes, ring_q);
    const uint64_t seed = f->run->seed;
    const int64_t t = f->t;
    for (int64_t v = 0; f->phys && v < f->n * f->n; v++) {
        double m = 0;
        for (int64_t c = 0; c < f->nc; c++)
            m += mu[c] * fractions[v * f->nc + c];
        f->mu_map[v] = (float)m;
    }
    for (int64_t b0 = 0; b0 < nframes; b0 += f->batch) {
        const int64_t nb = nframes - b0 < f->batch ? nframes - b0 : f->batch;
        int failed = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(f->nthreads) reduction(| : failed)
        for (int64_t b = 0; b < nb; b++) {
            const int64_t k = b0 + b, a = k / ns, jj = k % ns;
            /* Frame k of the slice is angle a, translation position jj as recorded; the
             * monitor is indexed by the sinogram's translation (snake rows reversed). */
            const int64_t j = f->p->zigzag && (a % 2) ? ns - 1 - jj : jj;
            const int64_t index = z * nframes + k;   /* in the time step's file */
            tsct_sim_rng rng;
            tsct_sim_rng_seed(&rng, (seed + 1) * 0x9e3779b97f4a7c15ull ^
                                        ((uint64_t)t << 40) ^ (uint64_t)index);
            float *fr = f->fbuf + b * npx;
            uint32_t *out = f->ubuf + b * npx;
            tsct_error_clear(&f->errs[b]);
            const int spotted = frame_spotted(f, t, index);
            tsct_status rs;
            if (f->phys)
                rs = tsct_sim_physics_frame(
                    f->phys, fractions, f->mu_map, patterns, f->q, nq, f->angles[a],
                    ((double)j - (double)(ns / 2)) * tsct_sim_translation_step(f->p),
                    d->counts * monitor[a * ns + j], f->dark,
                    f->flat, spotted ? &spots : NULL, noisy ? &rng : NULL,
                    f->pwork[tsct__thread_id()], fr, &f->errs[b]);
            else
                rs = tsct_sim_render(f->plan, f->q, data + k * nq, nq, d->counts, f->dark,
                                     f->flat, spotted ? &spots : NULL, noisy ? &rng : NULL, fr,
                                     &f->errs[b]);
            if (rs != TSCT_OK) {
                failed = 1;
                continue;
            }
            f->mon[b] = monitor[a * ns + j];
            f->trn[b] = transmission[k]; /* acquisition order, like the frames */
            if (!f->ext) {
                for (int64_t px = 0; px < npx; px++) {
                    double v = fr[px];
                    /* Masked pixels come back as -1: Dectris's 2^32 - 1 in unsigned frames. */
                    out[px] = v < 0 ? UINT32_MAX
                                    : v >= 4294967294.0 ? UINT32_MAX - 1 : (uint32_t)llround(v);
                }
                continue;
            }
            /* CBF / EDF: Pilatus' signed counts, masked -1. Counts stop at 2^31 - 2, so no two
             * neighbours differ by 2^31 (a difference some CBF readers mishandle). */
            int32_t *counts = (int32_t *)out;
            for (int64_t px = 0; px < npx; px++) {
                double v = fr[px];
                counts[px] = v < 0 ? -1 : v >= 2147483646.0 ? INT32_MAX - 1 : (int32_t)llround(v);
            }
            if (write_frame_file(f, b, index, counts, f->mon[b], f->trn[b], &f->errs[b]) !=
                TSCT_OK)
                failed = 1;
        }
        if (failed) {
            for (int64_t b = 0; b < nb; b++)
                if (f->errs[b].status != TSCT_OK) {
                    if (err)
                        *err = f->errs[b];
                    return f->errs[b].status;
                }
        }
        if (!f->ext)
            TSCT_TRY(tsct_frames_writer_write_transmission(f->writer, z * nframes + b0, nb,
                                                           f->trn, err));
        if (!f->ext)
            TSCT_TRY(tsct_frames_writer_write(f->writer, z * nframes + b0, nb, f->ubuf, f->mon,
                                              err));
        tsct_progress_add(progress, nb);
    }
    return TSCT_OK;
}
