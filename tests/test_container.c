/* test_container.c - the experiment container: layout, round trips of every dataset kind,
 * appending along time, slabs and rows, shape checks, bad files, and resumable steps. */
#include <fcntl.h>
#include <unistd.h>

#include "tsct/array.h"
#include "tsct/container.h"
#include "tsct_config.h"
#include "tsct_test.h"

static char dir[4096];

static void path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

/* A value that identifies its position, so misplaced rows are caught. */
static float tag(int64_t t, int64_t a, int64_t b, int64_t c, int64_t k)
{
    return (float)(t * 10000 + a * 1000 + b * 100 + c * 10 + k) + 0.25f;
}

static void test_create_open(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    char p[4200];
    path_in(p, sizeof p, "exp.h5");
    unlink(p);
    tsct_container *c = NULL;
    CHECK_OK(tsct_container_create(p, 0, &c, &err), &err);
    CHECK(c && strcmp(tsct_container_path(c), p) == 0);
    char v[64];
    CHECK_OK(tsct_container_get_attr_string(c, "/entry", "tsct_format", v, sizeof v, &err), &err);
    CHECK(strcmp(v, TSCT_FORMAT_VERSION) == 0);
    CHECK_OK(tsct_container_get_attr_string(c, "/entry", "NX_class", v, sizeof v, &err), &err);
    CHECK(strcmp(v, "NXentry") == 0);
    CHECK_OK(tsct_container_close(c, &err), &err);
    /* No temporary left behind, and an existing file is not overwritten by accident. */
    CHECK_FAILS(tsct_container_create(p, 0, &c, &err), TSCT_ERR_EXISTS, &err, "exists");
    CHECK_OK(tsct_container_create(p, 1, &c, &err), &err);
    tsct_container_close(c, NULL);
    CHECK_OK(tsct_container_open(p, TSCT_OPEN_READ, &c, &err), &err);
    /* Read-only handles refuse writes with a message. */
    double q[3] = {1, 2, 3};
    CHECK_FAILS(tsct_container_write_vector(c, TSCT_PATH_RECON_Q, q, 3, NULL, &err),
                TSCT_ERR_STATE, &err, "read-only");
    tsct_container_close(c, NULL);
    tsct_container_close(NULL, NULL);
}

static void test_bad_files(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    char p[4200], q[4200];

    path_in(p, sizeof p, "missing.h5");
    CHECK_FAILS(tsct_container_open(p, TSCT_OPEN_READ, &c, &err), TSCT_ERR_NOT_FOUND, &err,
                "missing.h5: no such file");
    CHECK(c == NULL);
    CHECK_FAILS(tsct_container_open(dir, TSCT_OPEN_READ, &c, &err), TSCT_ERR_FORMAT, &err,
                "is a directory");

    path_in(p, sizeof p, "garbage.h5");
    FILE *f = fopen(p, "wb");
    for (int i = 0; i < 5000; i++)
        fputc((i * 7919) & 0xff, f);
    fclose(f);
    CHECK_FAILS(tsct_container_open(p, TSCT_OPEN_READ, &c, &err), TSCT_ERR_FORMAT, &err,
                "garbage.h5: not an HDF5 file");

    path_in(p, sizeof p, "empty.h5");
    f = fopen(p, "wb");
    fclose(f);
    CHECK_FAILS(tsct_container_open(p, TSCT_OPEN_READ, &c, &err), TSCT_ERR_FORMAT, &err,
                "empty file");

    /* A real container with data, then truncated at many points. */
    path_in(q, sizeof q, "whole.h5");
    unlink(q);
    CHECK_OK(tsct_container_create(q, 0, &c, &err), &err);
    int64_t shape[5] = {1, 1, 8, 8, 64};
    tsct_dataset *d = NULL;
    tsct_dataset_params params = TSCT_DATASET_PARAMS_DEFAULT;
    params.deflate = 0;
    CHECK_OK(tsct_dataset_create(c, TSCT_PATH_RECON, 5, shape, &params, &d, &err), &err);
    float row[8 * 64];
    for (int i = 0; i < 8 * 64; i++)
        row[i] = (float)i;
    for (int64_t y = 0; y < 8; y++) {
        int64_t lead[3] = {0, 0, y};
        CHECK_OK(tsct_dataset_write_row(d, lead, row, &err), &err);
    }
    tsct_dataset_close(d);
    tsct_container_close(c, NULL);
    f = fopen(q, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *bytes = malloc((size_t)size);
    CHECK(fread(bytes, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    path_in(p, sizeof p, "truncated.h5");
    int opened_cut = 0;
    for (long cut = 1; cut < size; cut += size / 23 + 1) {
        f = fopen(p, "wb");
        fwrite(bytes, 1, (size_t)cut, f);
        fclose(f);
        tsct_error_clear(&err);
        tsct_status st = tsct_container_open(p, TSCT_OPEN_READ, &c, &err);
        if (st == TSCT_OK) {
            /* HDF5 may open a file whose tail holds only raw data; reading must then fail
             * cleanly. */
            opened_cut++;
            tsct_dataset_close(d = NULL);
            if (tsct_dataset_open(c, TSCT_PATH_RECON, &d, &err) == TSCT_OK) {
                int64_t lead[3] = {0, 0, 7};
                tsct_dataset_read_row(d, lead, row, &err);
                tsct_dataset_close(d);
            }
            tsct_container_close(c, NULL);
            continue;
        }
        CHECK_MSG(st == TSCT_ERR_FORMAT && strstr(err.message, "truncated.h5"),
                  "cut %ld: %s", cut, err.message);
    }
    /* Every cut shorter than the whole file is detected at open (HDF5 checks its EOF). */
    CHECK_MSG(opened_cut == 0, "%d truncated files opened", opened_cut);
    free(bytes);

    /* HDF5 but not a tsct container. */
    path_in(p, sizeof p, "plain.h5");
    unlink(p);
    CHECK_OK(tsct_container_create(p, 0, &c, &err), &err);
    tsct_container_close(c, NULL);
    CHECK_OK(tsct_h5file_open(p, TSCT_OPEN_WRITE, &c, &err), &err);
    CHECK_OK(tsct_container_set_attr_string(c, "/entry", "tsct_format", "9.0", &err), &err);
    tsct_container_close(c, NULL);
    CHECK_FAILS(tsct_container_open(p, TSCT_OPEN_READ, &c, &err), TSCT_ERR_FORMAT, &err,
                "container format 9.0");
}

static void test_geometry_and_axes(tsct_container *c)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_poni g = {"Pilatus2M", 172e-6, 172e-6, {1679, 1475}, 3, 0.543892, 0.144720, 0.127467,
                   -1.959e-4, -6.721e-4, 3.66e-9, 0.174626e-10};
    CHECK_OK(tsct_container_write_geometry(c, &g, &err), &err);
    tsct_poni r;
    CHECK_OK(tsct_container_read_geometry(c, &r, &err), &err);
    CHECK(memcmp(&g, &r, sizeof g) == 0);
    g.dist = NAN;
    CHECK_FAILS(tsct_container_write_geometry(c, &g, &err), TSCT_ERR_VALUE, &err,
                "dist is not a finite number");

    double angle[6], trans[5], z[2], q[7];
    for (int i = 0; i < 6; i++)
        angle[i] = 30.0 * i;
    for (int i = 0; i < 5; i++)
        trans[i] = -1.0 + 0.5 * i;
    z[0] = 0;
    z[1] = 0.1;
    for (int i = 0; i < 7; i++)
        q[i] = 1.0 + 0.01 * i;
    CHECK_OK(tsct_container_write_vector(c, "/entry/scan/angle", angle, 6, "deg", &err), &err);
    CHECK_OK(tsct_container_write_vector(c, "/entry/scan/translation", trans, 5, "mm", &err),
             &err);
    CHECK_OK(tsct_container_write_vector(c, "/entry/scan/z", z, 2, "mm", &err), &err);
    CHECK_OK(tsct_container_write_vector(c, TSCT_PATH_INTEGRATED_Q, q, 7, "A^-1", &err), &err);
    CHECK_OK(tsct_container_set_attr_int(c, TSCT_PATH_SCAN, "zigzag", 1, &err), &err);
    CHECK_OK(tsct_container_set_attr_string(c, TSCT_PATH_SCAN, "fast_axis", "translation", &err),
             &err);
    double *v = NULL;
    int64_t n = 0;
    CHECK_OK(tsct_container_read_vector(c, "/entry/scan/angle", &v, &n, &err), &err);
    CHECK(n == 6 && v[5] == 150.0);
    free(v);
    char units[16];
    CHECK_OK(tsct_container_get_attr_string(c, "/entry/scan/angle", "units", units, sizeof units,
                                            &err),
             &err);
    CHECK(strcmp(units, "deg") == 0);
    int64_t zz = 0;
    CHECK_OK(tsct_container_get_attr_int(c, TSCT_PATH_SCAN, "zigzag", &zz, &err), &err);
    CHECK(zz == 1);
    CHECK_FAILS(tsct_container_read_vector(c, "/entry/scan/time", &v, &n, &err),
                TSCT_ERR_NOT_FOUND, &err, "/entry/scan/time");
    double bad[2] = {1, NAN};
    CHECK_FAILS(tsct_container_write_vector(c, "/entry/scan/time", bad, 2, "s", &err),
                TSCT_ERR_VALUE, &err, "finite");
    CHECK_FAILS(tsct_container_get_attr_double(c, TSCT_PATH_SCAN, "fast_axis", &angle[0], &err),
                TSCT_ERR_FORMAT, &err, "string");
}

/* Write every element of a 5-D layout dataset row by row, read it back by slabs. */
static void round_trip_5d(tsct_container *c, const char *path, const int64_t *shape)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_dataset *d = NULL;
    CHECK_OK(tsct_dataset_create(c, path, 5, shape, NULL, &d, &err), &err);
    if (!d)
        return;
    CHECK(tsct_dataset_row_lead(d) == 3 && tsct_dataset_row_size(d) == shape[3] * shape[4]);
    int64_t rs = shape[3] * shape[4];
    float *row = malloc((size_t)rs * sizeof *row);
    for (int64_t t = 0; t < shape[0]; t++)
        for (int64_t a = 0; a < shape[1]; a++)
            for (int64_t b = 0; b < shape[2]; b++) {
                for (int64_t i = 0; i < shape[3]; i++)
                    for (int64_t k = 0; k < shape[4]; k++)
                        row[i * shape[4] + k] = tag(t, a, b, i, k);
                int64_t lead[3] = {t, a, b};
                CHECK_OK(tsct_dataset_write_row(d, lead, row, &err), &err);
            }
    tsct_dataset_close(d);
    CHECK_OK(tsct_dataset_open(c, path, &d, &err), &err);
    int64_t got[8];
    CHECK(tsct_dataset_shape(d, got) == 5 && tsct_shape_equal(5, got, 5, shape));
    /* A slab that cuts across rows: one channel of every voxel. */
    int64_t start[5] = {0, 0, 0, 0, shape[4] - 1};
    int64_t count[5] = {shape[0], shape[1], shape[2], shape[3], 1};
    int64_t n = shape[0] * shape[1] * shape[2] * shape[3];
    float *slab = malloc((size_t)n * sizeof *slab);
    CHECK_OK(tsct_dataset_read(d, start, count, slab, &err), &err);
    int bad = 0;
    int64_t m = 0;
    for (int64_t t = 0; t < shape[0]; t++)
        for (int64_t a = 0; a < shape[1]; a++)
            for (int64_t b = 0; b < shape[2]; b++)
                for (int64_t i = 0; i < shape[3]; i++)
                    bad += slab[m++] != tag(t, a, b, i, shape[4] - 1);
    CHECK_MSG(bad == 0, "%s: %d wrong values", path, bad);
    int64_t lead[3] = {shape[0] - 1, shape[1] - 1, 0};
    CHECK_OK(tsct_dataset_read_row(d, lead, row, &err), &err);
    CHECK(row[rs - 1] == tag(shape[0] - 1, shape[1] - 1, 0, shape[3] - 1, shape[4] - 1));
    /* Slabs outside the shape are refused with both shapes in the message. */
    int64_t bad_start[5] = {0, 0, 0, 0, 1};
    int64_t bad_count[5] = {1, 1, 1, 1, shape[4]};
    CHECK_FAILS(tsct_dataset_read(d, bad_start, bad_count, slab, &err), TSCT_ERR_SHAPE, &err,
                "outside the shape");
    free(slab);
    free(row);
    tsct_dataset_close(d);
}

static void test_datasets(tsct_container *c)
{
    tsct_error err = TSCT_ERROR_INIT;
    /* Every stage of the layout: [nt][nz][na][ns][nq] and [nt][nz][ny][nx][nq]. */
    int64_t integ[5] = {2, 2, 6, 5, 7};
    round_trip_5d(c, TSCT_PATH_INTEGRATED, integ);
    round_trip_5d(c, TSCT_PATH_INTEGRATED_SIGMA, integ);
    double q7[7] = {1, 2, 3, 4, 5, 6, 7}, q9[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    CHECK_OK(tsct_container_write_vector(c, TSCT_PATH_SINOGRAMS_Q, q7, 7, "A^-1", &err), &err);
    round_trip_5d(c, TSCT_PATH_SINOGRAMS, integ);
    CHECK_OK(tsct_container_write_vector(c, TSCT_PATH_RECON_Q, q9, 9, "A^-1", &err), &err);
    int64_t recon[5] = {2, 2, 4, 4, 9};
    round_trip_5d(c, TSCT_PATH_RECON, recon);
    int64_t pdf[5] = {2, 2, 4, 4, 11};
    round_trip_5d(c, TSCT_PATH_PDF, pdf);
    int64_t fit[5] = {2, 2, 4, 4, 3};
    round_trip_5d(c, "/entry/fits/bivo4/parameters", fit);
    round_trip_5d(c, "/entry/fits/bivo4/esd", fit);

    /* 4-D maps: rows are [nx]. */
    int64_t map[4] = {2, 2, 4, 4};
    tsct_dataset *d = NULL;
    tsct_dataset_params mp = TSCT_DATASET_PARAMS_DEFAULT;
    mp.units = "counts";
    mp.long_name = "BiVO4 peak area";
    CHECK_OK(tsct_dataset_create(c, "/entry/maps/BiVO4", 4, map, &mp, &d, &err), &err);
    CHECK(d && tsct_dataset_row_size(d) == 4 && tsct_dataset_row_lead(d) == 3);
    float all[64];
    for (int i = 0; i < 64; i++)
        all[i] = (float)i - 0.5f;
    all[5] = NAN;
    int64_t zero[4] = {0, 0, 0, 0};
    CHECK_OK(tsct_dataset_write(d, zero, map, all, &err), &err);
    float back[64];
    CHECK_OK(tsct_dataset_read(d, zero, map, back, &err), &err);
    CHECK(isnan(back[5]) && back[63] == 62.5f && back[0] == -0.5f);
    tsct_dataset_close(d);
    CHECK_OK(tsct_dataset_create(c, "/entry/fits/bivo4/rwp", 4, map, NULL, &d, &err), &err);
    tsct_dataset_close(d);

    /* Appending along time: new steps read NaN until written. */
    CHECK_OK(tsct_dataset_open(c, "/entry/maps/BiVO4", &d, &err), &err);
    CHECK_OK(tsct_dataset_extend(d, 3, &err), &err);
    int64_t s[8];
    tsct_dataset_shape(d, s);
    CHECK(s[0] == 3);
    int64_t lead[3] = {2, 1, 3};
    float r4[4];
    CHECK_OK(tsct_dataset_read_row(d, lead, r4, &err), &err);
    CHECK(isnan(r4[0]) && isnan(r4[3]));
    float w4[4] = {1, 2, 3, 4};
    CHECK_OK(tsct_dataset_write_row(d, lead, w4, &err), &err);
    CHECK_OK(tsct_dataset_read_row(d, lead, r4, &err), &err);
    CHECK(r4[0] == 1 && r4[3] == 4);
    lead[2] = 0;
    CHECK_OK(tsct_dataset_read_row(d, lead, r4, &err), &err);
    CHECK(isnan(r4[0]));
    CHECK_FAILS(tsct_dataset_extend(d, 1, &err), TSCT_ERR_VALUE, &err, "cannot shrink");
    tsct_dataset_close(d);

}

static void test_shape_checks(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    char p[4200];
    path_in(p, sizeof p, "shapes.h5");
    unlink(p);
    tsct_container *c = NULL;
    CHECK_OK(tsct_container_create(p, 0, &c, &err), &err);
    if (!c)
        return;
    double q[7] = {1, 2, 3, 4, 5, 6, 7}, angle[6] = {0, 30, 60, 90, 120, 150};
    CHECK_OK(tsct_container_write_vector(c, TSCT_PATH_INTEGRATED_Q, q, 7, NULL, &err), &err);
    CHECK_OK(tsct_container_write_vector(c, "/entry/scan/angle", angle, 6, "deg", &err), &err);
    tsct_dataset *d = NULL;
    int64_t wrong_q[5] = {1, 1, 6, 5, 8};
    CHECK_FAILS(tsct_dataset_create(c, TSCT_PATH_INTEGRATED, 5, wrong_q, NULL, &d, &err),
                TSCT_ERR_SHAPE, &err,
                "shapes.h5: /entry/integrated/data: axis 4 (q) has 8 points but "
                "/entry/integrated/q has 7");
    int64_t wrong_na[5] = {1, 1, 5, 5, 7};
    CHECK_FAILS(tsct_dataset_create(c, TSCT_PATH_INTEGRATED, 5, wrong_na, NULL, &d, &err),
                TSCT_ERR_SHAPE, &err, "axis 2 (angle) has 5 points");
    int64_t rank4[4] = {1, 4, 4, 7};
    CHECK_FAILS(tsct_dataset_create(c, TSCT_PATH_RECON, 4, rank4, NULL, &d, &err),
                TSCT_ERR_SHAPE, &err, "expected 5 dimensions, got 4");
    /* The difference PDF shares G's r axis. */
    double r[5] = {1, 2, 3, 4, 5};
    CHECK_OK(tsct_container_write_vector(c, TSCT_PATH_PDF_R, r, 5, "A", &err), &err);
    int64_t wrong_r[5] = {1, 1, 4, 4, 6};
    CHECK_FAILS(tsct_dataset_create(c, TSCT_PATH_PDF_DIFF, 5, wrong_r, NULL, &d, &err),
                TSCT_ERR_SHAPE, &err,
                "/entry/pdf/dpdf: axis 4 (r) has 6 points but /entry/pdf/r has 5");
    CHECK_FAILS(tsct_dataset_create(c, "/entry/maps/x", 5, wrong_q, NULL, &d, &err),
                TSCT_ERR_SHAPE, &err, "expected 4 dimensions");
    int64_t neg[2] = {1, -3};
    CHECK_FAILS(tsct_dataset_create(c, "/other", 2, neg, NULL, &d, &err), TSCT_ERR_SHAPE, &err,
                "negative");
    CHECK_FAILS(tsct_dataset_create(c, "relative", 2, rank4, NULL, &d, &err), TSCT_ERR_VALUE,
                &err, "absolute");
    int64_t ok[5] = {1, 1, 6, 5, 7};
    CHECK_OK(tsct_dataset_create(c, TSCT_PATH_INTEGRATED, 5, ok, NULL, &d, &err), &err);
    tsct_dataset_close(d);
    CHECK_FAILS(tsct_dataset_create(c, TSCT_PATH_INTEGRATED, 5, ok, NULL, &d, &err),
                TSCT_ERR_EXISTS, &err, "dataset exists");
    /* An axis that disagrees with existing data is refused too. */
    double q8[8] = {0};
    CHECK_FAILS(tsct_container_write_vector(c, TSCT_PATH_INTEGRATED_Q, q8, 8, NULL, &err),
                TSCT_ERR_SHAPE, &err, "8 points given but /entry/integrated/data has 7");
    CHECK_FAILS(tsct_dataset_open(c, "/entry/scan/nothing", &d, &err), TSCT_ERR_NOT_FOUND, &err,
                "no such dataset");
    tsct_container_close(c, NULL);
}

/* The chunk extents of the dataset at path (walk), 0 when not found. */
struct chunk_probe {
    const char *path;
    int64_t chunk[8];
};

static int probe_chunk(void *user, const tsct_object_info *info)
{
    struct chunk_probe *pr = user;
    if (!info->is_group && strcmp(info->path, pr->path) == 0)
        memcpy(pr->chunk, info->chunk, sizeof pr->chunk);
    return 0;
}

static int chunk_is(tsct_container *c, const char *path, int ndim, const int64_t *want)
{
    tsct_error err = TSCT_ERROR_INIT;
    struct chunk_probe pr = {path, {0}};
    CHECK_OK(tsct_container_walk(c, "/", probe_chunk, &pr, &err), &err);
    int same = 1;
    for (int i = 0; i < ndim; i++)
        same = same && pr.chunk[i] == want[i];
    if (!same)
        fprintf(stderr, "%s: chunk %lld %lld %lld %lld %lld\n", path, (long long)pr.chunk[0],
                (long long)pr.chunk[1], (long long)pr.chunk[2], (long long)pr.chunk[3],
                (long long)pr.chunk[4]);
    return same;
}

/* Chunks for throughput (docs/FORMAT.md, "Chunks"): whole rows grown into tiles of at most
 * TSCT_CHUNK_TARGET_BYTES over the axes allowed, rows unchanged for readers, every value read
 * back exactly whatever the order of the reads; a step keeps one row per chunk unless told. */
static void test_chunks(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    char p[4200];
    path_in(p, sizeof p, "chunks.h5");
    unlink(p);
    tsct_container *c = NULL;
    CHECK_OK(tsct_container_create(p, 0, &c, &err), &err);
    if (!c)
        return;
    /* an image of patterns [64][64][200]: rows of 800 bytes, tiles of 40 x 64 rows (2 MB) */
    const int64_t img[3] = {64, 64, 200}, tile[3] = {40, 64, 200};
    float *buf = malloc(64 * 64 * 200 * sizeof *buf);
    tsct_dataset *d = NULL;
    CHECK_OK(tsct_dataset_create(c, "/image", 3, img, NULL, &d, &err), &err);
    CHECK(d && tsct_dataset_row_size(d) == 200 && tsct_dataset_row_lead(d) == 2);
    CHECK(40 * 64 * 200 * 4 <= TSCT_CHUNK_TARGET_BYTES && chunk_is(c, "/image", 3, tile));
    for (int64_t i = 0; buf && i < 64 * 64 * 200; i++)
        buf[i] = (float)i * 0.5f;
    const int64_t zero[3] = {0, 0, 0};
    CHECK_OK(tsct_dataset_write(d, zero, img, buf, &err), &err);
    tsct_dataset_close(d);
    tsct_container_close(c, NULL);
    CHECK_OK(tsct_container_open(p, TSCT_OPEN_READ, &c, &err), &err);
    d = NULL;
    if (c)
        CHECK_OK(tsct_dataset_open(c, "/image", &d, &err), &err);
    CHECK(d && tsct_dataset_row_size(d) == 200 && tsct_dataset_row_lead(d) == 2);
    int bad = 0;
    for (int64_t x = 0; d && buf && x < 64; x++) /* column by column: across the tiles */
        for (int64_t y = 0; y < 64; y++) {
            float row[200];
            const int64_t lead[2] = {y, x};
            CHECK_OK(tsct_dataset_read_row(d, lead, row, &err), &err);
            for (int k = 0; k < 200; k++)
                bad += row[k] != buf[(y * 64 + x) * 200 + k];
        }
    CHECK_MSG(bad == 0, "%d values differ", bad);
    tsct_dataset_close(d);
    tsct_container_close(c, NULL);
    free(buf);

    CHECK_OK(tsct_container_open(p, TSCT_OPEN_WRITE, &c, &err), &err);
    if (!c)
        return;
    /* stage data [nt][nz][ny][nx][nq]: voxel rows [nx][nq] tiled over y, never over time or
     * slices; -1 keeps one row per chunk */
    const int64_t vol[5] = {2, 3, 8, 64, 100}, vtile[5] = {1, 1, 8, 64, 100};
    CHECK_OK(tsct_dataset_create(c, TSCT_PATH_RECON, 5, vol, NULL, &d, &err), &err);
    CHECK(d && tsct_dataset_row_size(d) == 6400 && chunk_is(c, TSCT_PATH_RECON, 5, vtile));
    tsct_dataset_close(d);
    tsct_dataset_params one = TSCT_DATASET_PARAMS_DEFAULT;
    one.chunk_axes = -1;
    const int64_t vrow[5] = {1, 1, 1, 64, 100};
    CHECK_OK(tsct_dataset_create(c, TSCT_PATH_PDF, 5, vol, &one, &d, &err), &err);
    CHECK(d && chunk_is(c, TSCT_PATH_PDF, 5, vrow));
    tsct_dataset_close(d);
    /* maps [nt][nz][ny][nx]: one slice per chunk */
    const int64_t map[4] = {2, 3, 8, 64};
    CHECK_OK(tsct_dataset_create(c, "/entry/maps/m", 4, map, NULL, &d, &err), &err);
    const int64_t mtile[4] = {1, 1, 8, 64};
    CHECK(d && tsct_dataset_row_size(d) == 64 && chunk_is(c, "/entry/maps/m", 4, mtile));
    tsct_dataset_close(d);
    tsct_container_close(c, NULL);
}

/* Run a step over `nunits` rows of a [1][1][nunits][4][3] dataset, stopping after `stop_after`
 * units (then closing without commit, as an interrupted run would). Returns units written. */
static int64_t run_step(tsct_container *c, const char *fingerprint, int64_t nunits,
                        int64_t stop_after, int commit, int64_t offset, tsct_error *err)
{
    tsct_step_info info = {"demo_step", "tsct test --step", "[step]\nkey = value\n", fingerprint,
                           nunits, NULL, NULL, 0};
    tsct_step *s = NULL;
    if (tsct_step_begin(c, &info, NULL, &s, err) != TSCT_OK)
        return -1;
    int64_t shape[5] = {1, 1, nunits, 4, 3};
    tsct_dataset *d = NULL;
    if (tsct_step_dataset(s, TSCT_PATH_RECON, 5, shape, offset, NULL, &d, err) != TSCT_OK) {
        tsct_step_close(s);
        return -1;
    }
    double q[3] = {1, 2, 3};
    tsct_step_vector(s, TSCT_PATH_RECON_Q, q, 3, "A^-1", err);
    int64_t written = 0;
    for (int64_t u = 0; u < nunits && written < stop_after; u++) {
        if (tsct_step_is_done(s, u))
            continue;
        float row[12];
        for (int i = 0; i < 12; i++)
            row[i] = tag(offset, 0, u, i / 3, i % 3);
        int64_t lead[3] = {0, 0, u};
        tsct_dataset_write_row(d, lead, row, err);
        tsct_step_mark_done(s, u, 1, err);
        written++;
    }
    tsct_dataset_close(d);
    if (commit) {
        if (tsct_step_commit(s, err) != TSCT_OK)
            return -1;
    } else {
        tsct_step_close(s);
    }
    return written;
}

static void test_steps(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    char p[4200], work[4300];
    path_in(p, sizeof p, "steps.h5");
    unlink(p);
    tsct_step_work_path(p, "demo_step", work, sizeof work);
    unlink(work);
    tsct_container *c = NULL;
    CHECK_OK(tsct_container_create(p, 0, &c, &err), &err);
    if (!c)
        return;

    /* Interrupted after 3 of 8: nothing in the container, a work file on disk. */
    CHECK(run_step(c, "fp1", 8, 3, 0, -1, &err) == 3);
    CHECK(!tsct_container_exists(c, TSCT_PATH_RECON));
    CHECK(!tsct_container_exists(c, "/entry/process/demo_step"));
    CHECK(access(work, F_OK) == 0);

    /* Committing too early is refused and keeps the work. */
    tsct_step_info info = {"demo_step", NULL, NULL, "fp1", 8, NULL, NULL, 0};
    tsct_step *s = NULL;
    CHECK_OK(tsct_step_begin(c, &info, NULL, &s, &err), &err);
    CHECK(s && tsct_step_resumed(s) && tsct_step_done_count(s) == 3);
    CHECK(tsct_step_is_done(s, 2) && !tsct_step_is_done(s, 3) && !tsct_step_is_done(s, 99));
    CHECK_FAILS(tsct_step_commit(s, &err), TSCT_ERR_STATE, &err, "5 of 8 units are not finished");
    CHECK(access(work, F_OK) == 0);

    /* The resumed run does only the 5 left, and the commit publishes all 8 rows. */
    CHECK(run_step(c, "fp1", 8, 100, 1, -1, &err) == 5);
    CHECK(access(work, F_OK) != 0);
    const int64_t one_row[5] = {1, 1, 1, 4, 3}; /* a step's unit owns its chunk */
    CHECK(chunk_is(c, TSCT_PATH_RECON, 5, one_row));
    tsct_dataset *d = NULL;
    CHECK_OK(tsct_dataset_open(c, TSCT_PATH_RECON, &d, &err), &err);
    int bad = 0;
    for (int64_t u = 0; u < 8 && d; u++) {
        float row[12];
        int64_t lead[3] = {0, 0, u};
        CHECK_OK(tsct_dataset_read_row(d, lead, row, &err), &err);
        for (int i = 0; i < 12; i++)
            bad += row[i] != tag(-1, 0, u, i / 3, i % 3);
    }
    CHECK_MSG(bad == 0, "%d wrong values after resume", bad);
    tsct_dataset_close(d);
    char v[256];
    CHECK_OK(tsct_container_get_attr_string(c, "/entry/process/demo_step", "status", v, sizeof v,
                                            &err),
             &err);
    CHECK(strcmp(v, "complete") == 0);
    CHECK_OK(tsct_container_get_attr_string(c, "/entry/process/demo_step", "command", v,
                                            sizeof v, &err),
             &err);
    CHECK(strcmp(v, "tsct test --step") == 0);
    CHECK_OK(tsct_container_get_attr_string(c, "/entry/process/demo_step", "resumed", v,
                                            sizeof v, &err),
             &err);
    CHECK(strcmp(v, "yes") == 0);
    CHECK_OK(tsct_container_get_attr_string(c, "/entry/process/demo_step", "version", v,
                                            sizeof v, &err),
             &err);
    CHECK(strcmp(v, TSCT_VERSION_STRING) == 0);
    CHECK(tsct_container_exists(c, "/entry/process/demo_step/config"));
    double *q = NULL;
    int64_t nq = 0;
    CHECK_OK(tsct_container_read_vector(c, TSCT_PATH_RECON_Q, &q, &nq, &err), &err);
    CHECK(nq == 3 && q && q[2] == 3.0);
    free(q);

    /* A partial run with other settings is discarded, not resumed. */
    CHECK(run_step(c, "fp1", 8, 2, 0, -1, &err) == 2);
    CHECK(run_step(c, "fp2", 8, 1, 0, -1, &err) == 1);
    CHECK_OK(tsct_step_begin(c, &info, NULL, &s, &err), &err);
    CHECK(s && !tsct_step_resumed(s) && tsct_step_done_count(s) == 0);
    tsct_step_close(s);

    /* A corrupt work file is discarded with a warning, not a crash. */
    FILE *f = fopen(work, "wb");
    fputs("not hdf5 at all", f);
    fclose(f);
    CHECK_OK(tsct_step_begin(c, &info, NULL, &s, &err), &err);
    CHECK(s && !tsct_step_resumed(s));
    tsct_step_close(s);

    /* Appending time steps: offset 1 extends the 1-step dataset to 2. */
    CHECK(run_step(c, "fp3", 8, 100, 1, 1, &err) == 8);
    CHECK_OK(tsct_dataset_open(c, TSCT_PATH_RECON, &d, &err), &err);
    int64_t shape[8];
    tsct_dataset_shape(d, shape);
    CHECK(shape[0] == 2 && shape[2] == 8);
    float row[12];
    int64_t lead[3] = {1, 0, 5};
    CHECK_OK(tsct_dataset_read_row(d, lead, row, &err), &err);
    CHECK(row[11] == tag(1, 0, 5, 3, 2));
    lead[0] = 0;
    CHECK_OK(tsct_dataset_read_row(d, lead, row, &err), &err);
    CHECK(row[11] == tag(-1, 0, 5, 3, 2));
    tsct_dataset_close(d);

    /* A resumed run must ask for the shape it staged. */
    CHECK(run_step(c, "fp4", 8, 2, 0, -1, &err) == 2);
    tsct_step_info info4 = {"demo_step", NULL, NULL, "fp4", 8, NULL, NULL, 0};
    CHECK_OK(tsct_step_begin(c, &info4, NULL, &s, &err), &err);
    int64_t other[5] = {1, 1, 8, 2, 3};
    CHECK_FAILS(tsct_step_dataset(s, TSCT_PATH_RECON, 5, other, -1, NULL, &d, &err),
                TSCT_ERR_SHAPE, &err, "the interrupted run staged shape [1][1][8][4][3]");
    tsct_step_close(s);

    /* Bad step names and sizes. */
    tsct_step_info badname = {"Bad Name", NULL, NULL, NULL, 3, NULL, NULL, 0};
    CHECK_FAILS(tsct_step_begin(c, &badname, NULL, &s, &err), TSCT_ERR_VALUE, &err, "a-z");
    tsct_step_info zero = {"ok", NULL, NULL, NULL, 0, NULL, NULL, 0};
    CHECK_FAILS(tsct_step_begin(c, &zero, NULL, &s, &err), TSCT_ERR_VALUE, &err,
                "at least one unit");
    tsct_container_close(c, NULL);
    unlink(work);
}

/* A step `name` writing time steps offset .. offset + k - 1 of a [.][1][2][4][3] dataset at
 * path (offset -1: the whole dataset), with settings and inputs recorded. */
static void stamp_step(tsct_container *c, const char *name, const char *path, int64_t k,
                       int64_t offset, const char *settings, const char *inputs)
{
    tsct_error err = TSCT_ERROR_INIT;
    char fp[256];
    snprintf(fp, sizeof fp, "%s %lld %lld", settings, (long long)k, (long long)offset);
    tsct_step_info info = {name, NULL, NULL, fp, 1, settings, inputs, offset > 0 ? offset : 0};
    tsct_step *s = NULL;
    CHECK_OK(tsct_step_begin(c, &info, NULL, &s, &err), &err);
    if (!s)
        return;
    int64_t shape[5] = {k, 1, 2, 4, 3};
    tsct_dataset *d = NULL;
    CHECK_OK(tsct_step_dataset(s, path, 5, shape, offset, NULL, &d, &err), &err);
    float buf[24 * 8];
    for (int i = 0; i < 24 * 8; i++)
        buf[i] = (float)i;
    int64_t start[5] = {0, 0, 0, 0, 0};
    CHECK_OK(tsct_dataset_write(d, start, shape, buf, &err), &err);
    tsct_dataset_close(d);
    CHECK_OK(tsct_step_mark_done(s, 0, 1, &err), &err);
    CHECK_OK(tsct_step_commit(s, &err), &err);
}

static void stamps_of(tsct_container *c, const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    tsct_container_get_attr_string(c, path, "time_stamps", buf, size, NULL);
}

/* Time stamps: the string functions, then what a downstream step may keep after its
 * upstream appends time steps or rewrites one in the middle. */
static void test_stamps(void)
{
    CHECK(tsct_time_stamps_count("A*3;B*2") == 5);
    CHECK(tsct_time_stamps_count("") == 0);
    CHECK(tsct_time_stamps_count("A*3;garbage") == 3);
    CHECK(tsct_time_stamps_common("A*3;B*2", "A*3;B*1;C*1") == 4);
    CHECK(tsct_time_stamps_common("A*3;B*2", "A*2") == 2);
    CHECK(tsct_time_stamps_common("?*2;A*1", "?*2;A*1") == 0);
    CHECK(tsct_time_stamps_common("A*1;?*1;A*1", "A*1;?*1;A*1") == 1);
    CHECK(tsct_time_stamps_common("AB*2", "A*2") == 0);

    tsct_error err = TSCT_ERROR_INIT;
    char p[4200], st[512], st2[512];
    path_in(p, sizeof p, "stamps.h5");
    unlink(p);
    tsct_container *c = NULL;
    CHECK_OK(tsct_container_create(p, 0, &c, &err), &err);
    if (!c)
        return;
    const char *up = TSCT_PATH_RECON, *down = TSCT_PATH_SINOGRAMS;
    const char *const ins[] = {TSCT_PATH_RECON, NULL};
    stamp_step(c, "up", up, 3, -1, "u", NULL);
    stamps_of(c, up, st, sizeof st);
    CHECK_MSG(tsct_time_stamps_count(st) == 3 && strchr(st, ';') == NULL, "stamps %s", st);
    char end[64] = "";
    tsct_container_get_attr_string(c, "/entry/process/up", "end_time", end, sizeof end, NULL);
    CHECK_MSG(strncmp(st, end, strlen(end)) == 0 && st[strlen(end)] == '*',
              "the stamp is the record's end time: %s vs %s", st, end);

    char *in1 = tsct_step_input_stamps(c, ins);
    CHECK(in1 && strstr(in1, TSCT_PATH_RECON "=") == in1);
    CHECK(tsct_step_reusable_time_steps(c, "down", "d", in1) == 0); /* no record yet */
    stamp_step(c, "down", down, 3, -1, "d", in1);
    CHECK(tsct_step_reusable_time_steps(c, "down", "d", in1) == 3);
    CHECK(tsct_step_reusable_time_steps(c, "down", "other", in1) == 0);
    CHECK(tsct_step_reusable_time_steps(c, "down", "d", "/entry/elsewhere=x*3\n") == 0);

    /* Two time steps appended upstream: the first three are still good. */
    stamp_step(c, "up", up, 2, 3, "u", NULL);
    stamps_of(c, up, st2, sizeof st2);
    CHECK_MSG(tsct_time_stamps_count(st2) == 5 && tsct_time_stamps_common(st, st2) == 3,
              "appended stamps %s after %s", st2, st);
    char *in2 = tsct_step_input_stamps(c, ins);
    CHECK(tsct_step_reusable_time_steps(c, "down", "d", in2) == 3);
    /* The downstream appends its two: everything reusable, and its own stamps grow. */
    stamp_step(c, "down", down, 2, 3, "d", in2);
    CHECK(tsct_step_reusable_time_steps(c, "down", "d", in2) == 5);
    stamps_of(c, down, st, sizeof st);
    CHECK_MSG(tsct_time_stamps_count(st) == 5, "downstream stamps %s", st);
    char first[32] = "";
    tsct_container_get_attr_string(c, "/entry/process/down", "time_first", first, sizeof first,
                                   NULL);
    CHECK_MSG(strcmp(first, "3") == 0, "time_first recorded: %s", first);

    /* Time step 1 rewritten upstream: only time step 0 is still good; 2.. keep their stamps. */
    stamp_step(c, "up", up, 1, 1, "u", NULL);
    char *in3 = tsct_step_input_stamps(c, ins);
    CHECK(tsct_step_reusable_time_steps(c, "down", "d", in3) == 1);
    stamps_of(c, up, st, sizeof st);
    CHECK_MSG(tsct_time_stamps_count(st) == 5 && tsct_time_stamps_common(st, st2) == 1,
              "rewritten stamps %s", st);
    /* A full rewrite upstream: nothing is reusable. */
    stamp_step(c, "up", up, 5, -1, "u", NULL);
    char *in4 = tsct_step_input_stamps(c, ins);
    CHECK(tsct_step_reusable_time_steps(c, "down", "d", in4) == 0);
    free(in1);
    free(in2);
    free(in3);
    free(in4);
    tsct_container_close(c, NULL);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", tsct_test_tmpdir(TSCT_TEST_TMP));
    test_create_open();
    test_bad_files();
    char p[4200];
    path_in(p, sizeof p, "layout.h5");
    unlink(p);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    CHECK_OK(tsct_container_create(p, 0, &c, &err), &err);
    if (c) {
        test_geometry_and_axes(c);
        test_datasets(c);
        tsct_container_close(c, NULL);
    }
    test_shape_checks();
    test_steps();
    test_chunks();
    test_stamps();
    return tsct_test_finish("test_container");
}
