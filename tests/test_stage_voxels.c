/* test_stage_voxels.c - the voxel and region stages of lib/stage (fit, region, coverage,
 * particles) run through the library alone (no tsct program), on
 * small containers made here, against exact expectations: what a second front end (a Python
 * module, an MPI driver) gets by making the same calls as the command line.
 *
 * Each stage has its own test function; main() is the list of them.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsct/container.h"
#include "tsct/fit.h"
#include "tsct/stage.h"
#include "tsct_test.h"

static void path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", tsct_test_tmpdir(TSCT_TEST_TMP), name);
}

/* ---- a small voxel container -----------------------------------------------------------------
 * /entry/recon [NT][1][NY][NX][NQ] on q = 1.5 .. 2.5 (1/A): inside a disc of radius 3 voxels
 * about the centre, a Gaussian of area AREA(t, x) at POS(x) with sigma SIG; outside, zeros.
 * /entry/maps/A [NT][1][NY][NX]: 1 on a 3 x 3 block (t = 0) or a 4 x 4 block (t = 1) and on a
 * 2 x 2 speck, 0 elsewhere. */

enum { NT = 2, NY = 9, NX = 9, NQ = 101 };
#define SIG 0.03
#define POS(x) (1.95 + 0.01 * (double)(x))
#define AREA(t, x) (1.0 + 0.5 * (double)(t) + 0.05 * (double)(x))

static int in_disc(int64_t y, int64_t x)
{
    const double dy = (double)y - (NY - 1) / 2.0, dx = (double)x - (NX - 1) / 2.0;
    return dy * dy + dx * dx <= 9.0;
}

static double q_of(int64_t k)
{
    return 1.5 + (double)k / (NQ - 1);
}

static float map_a(int64_t t, int64_t y, int64_t x)
{
    const int64_t n = t == 0 ? 3 : 4;
    const int block = y >= 1 && y < 1 + n && x >= 1 && x < 1 + n;
    const int speck = y >= 7 && y < 9 && x >= 7 && x < 9;
    return block || speck ? 1.0f : 0.0f;
}

static void make_container(const char *path)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    unlink(path);
    CHECK_OK(tsct_container_create(path, 1, &c, &err), &err);
    double q[NQ];
    for (int64_t k = 0; k < NQ; k++)
        q[k] = q_of(k);
    CHECK_OK(tsct_container_write_vector(c, TSCT_PATH_RECON_Q, q, NQ, "A^-1", &err), &err);
    const int64_t shape[5] = {NT, 1, NY, NX, NQ};
    tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
    /* Through a step, as tsct recon writes it: the time stamps make incremental runs work. */
    tsct_step *step = NULL;
    tsct_step_info info = {.name = "recon", .fingerprint = "test", .nunits = 1};
    CHECK_OK(tsct_step_begin(c, &info, NULL, &step, &err), &err);
    CHECK_OK(tsct_step_dataset(step, TSCT_PATH_RECON, 5, shape, -1, &dp, &d, &err), &err);
    static float row[NX * NQ];
    for (int64_t t = 0; t < NT; t++)
        for (int64_t y = 0; y < NY; y++) {
            for (int64_t x = 0; x < NX; x++)
                for (int64_t k = 0; k < NQ; k++) {
                    const double u = (q_of(k) - POS(x)) / SIG;
                    row[x * NQ + k] = in_disc(y, x) ? (float)(AREA(t, x) / (SIG * sqrt(2 * M_PI)) *
                                                              exp(-0.5 * u * u))
                                                    : 0.0f;
                }
            const int64_t lead[3] = {t, 0, y};
            CHECK_OK(tsct_dataset_write_row(d, lead, row, &err), &err);
        }
    tsct_dataset_close(d);
    CHECK_OK(tsct_step_mark_done(step, 0, 1, &err), &err);
    CHECK_OK(tsct_step_commit(step, &err), &err);
    const int64_t mshape[4] = {NT, 1, NY, NX};
    CHECK_OK(tsct_dataset_create(c, TSCT_PATH_MAPS "/A", 4, mshape, &dp, &d, &err), &err);
    float m[NT * NY * NX];
    for (int64_t t = 0; t < NT; t++)
        for (int64_t v = 0; v < NY * NX; v++)
            m[t * NY * NX + v] = map_a(t, v / NX, v % NX);
    const int64_t start[4] = {0, 0, 0, 0};
    CHECK_OK(tsct_dataset_write(d, start, mshape, m, &err), &err);
    tsct_dataset_close(d);
    CHECK_OK(tsct_container_close(c, &err), &err);
}

/* A whole dataset of the container as float (malloc'd); *n its values. */
static float *read_all(const char *path, const char *dset, int64_t *n)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    float *v = NULL;
    int64_t shape[8] = {0}, start[8] = {0};
    *n = 0;
    if (tsct_container_open(path, TSCT_OPEN_READ, &c, &err) == TSCT_OK &&
        tsct_dataset_open(c, dset, &d, &err) == TSCT_OK) {
        const int nd = tsct_dataset_shape(d, shape);
        *n = 1;
        for (int i = 0; i < nd; i++)
            *n *= shape[i];
        v = malloc((size_t)*n * sizeof *v);
        if (v && tsct_dataset_read(d, start, shape, v, &err) != TSCT_OK) {
            free(v);
            v = NULL;
        }
    }
    CHECK_MSG(v != NULL, "%s: %s", dset, err.message);
    tsct_dataset_close(d);
    tsct_container_close(c, NULL);
    return v;
}

/* The text file at path is exactly `expect`. */
/* Map A above 0.5: the blocks and the speck. */
static const tsct_stage_threshold above_half = {TSCT_STAGE_THRESHOLD_ABSOLUTE, 0.5, 0, 0};

/* An attribute of /entry/process/STEP. */
static void process_attr(const char *path, const char *step, const char *name, char *buf,
                         size_t size)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    char p[256];
    snprintf(p, sizeof p, TSCT_PATH_PROCESS "/%s", step);
    buf[0] = '\0';
    CHECK_OK(tsct_container_open(path, TSCT_OPEN_READ, &c, &err), &err);
    CHECK_OK(tsct_container_get_attr_string(c, p, name, buf, size, &err), &err);
    tsct_container_close(c, NULL);
}

/* ---- fit ------------------------------------------------------------------------------------
 * Noiseless Gaussians: every sample voxel's fitted position and area are the true ones; the
 * voxels outside the sample are NaN; the settings record is the one `tsct fit peak` writes;
 * an incremental rerun is up to date. */
static void test_stage_fit(void)
{
    char path[4096], buf[8192];
    path_in(path, sizeof path, "fit.h5");
    make_container(path);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_fit_model model;
    tsct_fit_model_init(&model, 1.85, 2.15);
    model.bg_degree = 0;
    CHECK_OK(tsct_fit_model_add_peak(&model, "g@2.0", &err), &err);
    tsct_stage_fit_voxels_params p = TSCT_STAGE_FIT_VOXELS_PARAMS_DEFAULT;
    p.name = "Peak";
    p.model = &model;
    p.maps = "position_1";
    tsct_stage_ctx ctx = TSCT_STAGE_CTX_DEFAULT;
    ctx.nthreads = 2;
    tsct_stage_report rep;
    CHECK_OK(tsct_stage_fit(path, &p, &ctx, &rep, &err), &err);
    CHECK(rep.ran == 1 && rep.units == NT * NY && rep.time_first == 0);
    int64_t n = 0, nm = 0;
    float *par = read_all(path, TSCT_PATH_FITS "/Peak/parameters", &n);
    float *pos = read_all(path, TSCT_PATH_MAPS "/Peak_position_1", &nm);
    CHECK(n == NT * NY * NX * 4 && nm == NT * NY * NX);
    int64_t fitted = 0;
    for (int64_t i = 0; par && pos && i < NT * NY * NX; i++) {
        const int64_t t = i / (NY * NX), y = i / NX % NY, x = i % NX;
        const float *v = par + 4 * i; /* area_1, position_1, fwhm_1, bg_0 */
        if (!in_disc(y, x)) {
            CHECK_MSG(isnan(v[0]) && isnan(pos[i]), "voxel %lld outside the sample",
                      (long long)i);
            continue;
        }
        fitted++;
        CHECK_NEAR(v[1], POS(x), 1e-5);
        CHECK_NEAR(v[0], AREA(t, x), 1e-4 * AREA(t, x));
        CHECK_NEAR(v[2], 2 * sqrt(2 * log(2.0)) * SIG, 1e-5);
        CHECK(pos[i] == v[1]);
    }
    CHECK(fitted == NT * 29); /* 29 voxels within 3 of the centre */
    free(par);
    free(pos);
    /* The record: the words and order of `tsct fit peak`; the fingerprint "nt=2 SETTINGS". */
    process_attr(path, "fit_peak", "settings", buf, sizeof buf);
    static const char head[] = "source=/entry/recon/data shape=1x9x9x101 mask=voxels whose "
                               "total intensity (sum of /entry/recon/data over q) is >= 0.05 "
                               "x the largest (";
    CHECK_MSG(strncmp(buf, head, strlen(head)) == 0 && strstr(buf, ") cut=") &&
                  strstr(buf, " maps=position_1 model="), "%s", buf);
    char fp[8192];
    process_attr(path, "fit_peak", "fingerprint", fp, sizeof fp);
    CHECK_MSG(strncmp(fp, "nt=2 ", 5) == 0 && strcmp(fp + 5, buf) == 0, "%s", fp);
    ctx.incremental = 1;
    CHECK_OK(tsct_stage_fit(path, &p, &ctx, &rep, &err), &err);
    CHECK_MSG(rep.ran == 0, "an incremental rerun is up to date");
    /* Errors: a parameter the model lacks, an empty mask map, a bad name. */
    p.maps = "width_1";
    CHECK_FAILS(tsct_stage_fit(path, &p, &ctx, &rep, &err), TSCT_ERR_VALUE, &err,
                "no parameter \"width_1\"");
    p.maps = NULL;
    p.name = "bad/name";
    CHECK_FAILS(tsct_stage_fit(path, &p, &ctx, &rep, &err), TSCT_ERR_VALUE, &err, "fit name");
}

/* ---- region ---------------------------------------------------------------------------------
 * The mean pattern over a disc is the mean of the disc's voxels' patterns, computed here. */
static void test_stage_region(void)
{
    char path[4096];
    path_in(path, sizeof path, "region.h5");
    make_container(path);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_region_params p = TSCT_STAGE_REGION_PARAMS_DEFAULT;
    p.name = "core";
    p.kind = TSCT_STAGE_REGION_CIRCLE;
    p.radius = 2;
    tsct_stage_report rep;
    CHECK_OK(tsct_stage_region(path, &p, NULL, &rep, &err), &err);
    CHECK(rep.ran == 1 && rep.units == 13); /* voxels within 2 of the centre */
    int64_t n = 0, nr = 0;
    float *pat = read_all(path, TSCT_PATH_REGIONS "/core/pattern", &n);
    float *recon = read_all(path, TSCT_PATH_RECON, &nr);
    float *mask = read_all(path, TSCT_PATH_REGIONS "/core/mask", &n);
    CHECK(n == NY * NX);
    int64_t inside = 0;
    for (int64_t v = 0; mask && v < NY * NX; v++)
        inside += mask[v] == 1.0f;
    CHECK(inside == 13);
    for (int64_t t = 0; pat && recon && mask && t < NT; t++)
        for (int64_t k = 0; k < NQ; k++) {
            double s = 0;
            for (int64_t v = 0; v < NY * NX; v++)
                if (mask[v] == 1.0f)
                    s += recon[((t * NY * NX) + v) * NQ + k];
            CHECK_NEAR(pat[t * NQ + k], s / 13.0, 1e-6 * (1.0 + fabs(s)));
        }
    free(pat);
    free(recon);
    free(mask);
    /* A map region: /entry/maps/A at time step 1 above 0.5 (abs): the 4 x 4 block and the
     * speck. */
    p.name = "from-map";
    p.kind = TSCT_STAGE_REGION_MAP;
    p.map = "A";
    p.map_time = 1;
    p.threshold = above_half;
    CHECK_OK(tsct_stage_region(path, &p, NULL, &rep, &err), &err);
    CHECK_MSG(rep.units == 20, "%lld voxels", (long long)rep.units);
    p.name = "empty";
    p.threshold.value = 2;
    CHECK_FAILS(tsct_stage_region(path, &p, NULL, &rep, &err), TSCT_ERR_VALUE, &err,
                "the region is empty");
}

/* ---- coverage -------------------------------------------------------------------------------
 * Counts of map A above 0.5: 9 + 4 then 16 + 4 voxels; the table's rows exactly; the masks. */
static void test_stage_coverage(void)
{
    char path[4096], tpath[4096], expect[8192];
    path_in(path, sizeof path, "coverage.h5");
    path_in(tpath, sizeof tpath, "coverage.csv");
    make_container(path);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_coverage_params p = TSCT_STAGE_COVERAGE_PARAMS_DEFAULT;
    p.map = "A";
    p.threshold = above_half;
    p.masks = 1;
    p.difference = 0;
    p.table = fopen(tpath, "w");
    tsct_stage_report rep;
    CHECK_OK(tsct_stage_coverage(path, &p, NULL, &rep, &err), &err);
    fclose(p.table);
    CHECK(rep.ran == 1 && rep.units == NT);
    snprintf(expect, sizeof expect, "# tsct coverage of A in %s, threshold 0.5 (abs:0.5, time "
             "step 0)\ntime_step,slice,voxels,fraction_of_initial\n0,0,13,1.000000\n"
             "1,0,20,1.538462\n", path);
    tsct_test_check_text(tpath, expect);
    int64_t n = 0;
    float *mask = read_all(path, TSCT_PATH_MAPS "/A_mask", &n);
    float *diff = read_all(path, TSCT_PATH_MAPS "/A_diff", &n);
    for (int64_t i = 0; mask && diff && i < NT * NY * NX; i++) {
        const int64_t t = i / (NY * NX), y = i / NX % NY, x = i % NX;
        CHECK(mask[i] == map_a(t, y, x));
        CHECK(diff[i] == map_a(t, y, x) - map_a(0, y, x));
    }
    free(mask);
    free(diff);
    p.map = "nothing";
    p.table = NULL;
    CHECK_FAILS(tsct_stage_coverage(path, &p, NULL, &rep, &err), TSCT_ERR_NOT_FOUND, &err,
                "/entry/maps/nothing");
}

/* ---- particles ------------------------------------------------------------------------------
 * Map A above 0.5 with min_size 5: the block is the only particle (the 2 x 2 speck goes); its
 * size, equivalent diameter and depths (1 on the rim, 2 inside) are exact. */
static void test_stage_particles(void)
{
    char path[4096], tpath[4096];
    path_in(path, sizeof path, "particles.h5");
    path_in(tpath, sizeof tpath, "particles.csv");
    make_container(path);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_particles_params p = TSCT_STAGE_PARTICLES_PARAMS_DEFAULT;
    p.map = "A";
    p.threshold = above_half;
    p.min_size = 5;
    p.table = fopen(tpath, "w");
    tsct_stage_report rep;
    CHECK_OK(tsct_stage_particles(path, &p, NULL, &rep, &err), &err);
    fclose(p.table);
    CHECK(rep.ran == 1 && rep.units == 2);
    char expect[512];
    snprintf(expect, sizeof expect, "t,z,label,voxels,equivalent_diameter_voxels\n"
             "0,0,1,9,%.3f\n1,0,1,16,%.3f\n", 2 * sqrt(9 / M_PI), 2 * sqrt(16 / M_PI));
    tsct_test_check_text(tpath, expect);
    int64_t n = 0;
    float *labels = read_all(path, TSCT_PATH_MAPS "/A_particles", &n);
    float *depth = read_all(path, TSCT_PATH_MAPS "/A_depth", &n);
    for (int64_t i = 0; labels && depth && i < NT * NY * NX; i++) {
        const int64_t t = i / (NY * NX), y = i / NX % NY, x = i % NX, b = t == 0 ? 3 : 4;
        const int block = y >= 1 && y < 1 + b && x >= 1 && x < 1 + b;
        const int rim = y == 1 || x == 1 || y == b || x == b;
        CHECK_MSG(labels[i] == (block ? 1.0f : 0.0f), "label of %lld", (long long)i);
        CHECK_MSG(depth[i] == (!block ? 0.0f : rim ? 1.0f : 2.0f), "depth of %lld: %g",
                  (long long)i, depth[i]);
    }
    free(labels);
    free(depth);
}

int main(void)
{
    test_stage_fit();
    test_stage_region();
    test_stage_coverage();
    test_stage_particles();
    return tsct_test_finish("test_stage_voxels");
}
