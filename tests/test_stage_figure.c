/* test_stage_figure.c - the figure stage of lib/stage (tsct_stage_figure) through the library
 * alone, on a small container made here: a map figure is the PNG that lib/figure draws from
 * the same values and parameters, byte for byte, at the requested size; `all` writes the
 * map's grid; missing parameters and an unknown map are errors naming the problem.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsct/container.h"
#include "tsct/figure.h"
#include "tsct/stage.h"
#include "tsct_test.h"

enum { NY = 12, NX = 16 };

static void path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", tsct_test_tmpdir(TSCT_TEST_TMP), name);
}

static float ramp(int64_t y, int64_t x)
{
    return (float)(y * NX + x);
}

/* /entry/maps/ramp [1][1][NY][NX]. */
static void make_container(const char *path)
{
    float m[NY * NX];
    for (int64_t v = 0; v < NY * NX; v++)
        m[v] = ramp(v / NX, v % NX);
    const int64_t shape[4] = {1, 1, NY, NX}, start[4] = {0, 0, 0, 0};
    tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    unlink(path);
    CHECK_OK(tsct_container_create(path, 1, &c, &err), &err);
    CHECK_OK(tsct_dataset_create(c, TSCT_PATH_MAPS "/ramp", 4, shape, &dp, &d, &err), &err);
    CHECK_OK(tsct_dataset_write(d, start, shape, m, &err), &err);
    tsct_dataset_close(d);
    CHECK_OK(tsct_container_close(c, &err), &err);
}

/* The PNG's IHDR width and height (big-endian at bytes 16 and 20); 0 when not a PNG. */
static void png_size(const unsigned char *b, size_t n, uint32_t *w, uint32_t *h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    *w = *h = 0;
    if (!b || n < 24 || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0)
        return;
    *w = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
    *h = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
}

static void test_map(const char *exp)
{
    tsct_error err = TSCT_ERROR_INIT;
    char out[4200], ref[4200];
    path_in(out, sizeof out, "stage.png");
    path_in(ref, sizeof ref, "direct.png");
    tsct_stage_figure_params p = TSCT_STAGE_FIGURE_PARAMS_DEFAULT;
    p.kind = TSCT_STAGE_FIGURE_KIND_MAP;
    p.input = exp;
    p.output = out;
    p.map = "ramp";
    p.p.width = 400, p.p.height = 320;
    p.p.vmin = 0, p.p.vmax = NY * NX - 1;
    p.p.title = "ramp", p.p.label = "value";
    CHECK_OK(tsct_stage_figure(&p, NULL, &err), &err);

    /* The same values and parameters straight to lib/figure (no translation axis: pixel axes). */
    float m[NY * NX];
    for (int64_t v = 0; v < NY * NX; v++)
        m[v] = ramp(v / NX, v % NX);
    CHECK_OK(tsct_figure_map(m, NY, NX, &p.p, ref, &err), &err);
    size_t na = 0, nb = 0;
    unsigned char *a = tsct_test_slurp(out, &na), *b = tsct_test_slurp(ref, &nb);
    uint32_t w, h;
    png_size(a, na, &w, &h);
    CHECK_MSG(w == 400 && h == 320, "stage PNG %ux%u, wanted 400x320", w, h);
    CHECK_MSG(a && b && na == nb && memcmp(a, b, na) == 0,
              "the stage's PNG (%zu bytes) differs from lib/figure's (%zu bytes)", na, nb);
    free(a);
    free(b);
}

static void test_all(const char *exp)
{
    tsct_error err = TSCT_ERROR_INIT;
    char dir[4200], png[4300];
    path_in(dir, sizeof dir, "all");
    tsct_stage_figure_params p = TSCT_STAGE_FIGURE_PARAMS_DEFAULT;
    p.kind = TSCT_STAGE_FIGURE_KIND_ALL;
    p.input = exp;
    p.output = dir;
    tsct_stage_ctx ctx = TSCT_STAGE_CTX_DEFAULT;
    CHECK_OK(tsct_stage_figure(&p, &ctx, &err), &err);
    snprintf(png, sizeof png, "%s/map_ramp.png", dir);
    size_t n = 0;
    unsigned char *b = tsct_test_slurp(png, &n);
    uint32_t w, h;
    png_size(b, n, &w, &h);
    CHECK_MSG(w == 720 && h == 600, "%s: %ux%u, wanted the default 720x600", png, w, h);
    free(b);
}

static void test_errors(const char *exp)
{
    tsct_error err = TSCT_ERROR_INIT;
    char out[4200];
    path_in(out, sizeof out, "bad.png");
    tsct_stage_figure_params p = TSCT_STAGE_FIGURE_PARAMS_DEFAULT;
    p.input = exp;
    p.output = out;
    CHECK_FAILS(tsct_stage_figure(&p, NULL, &err), TSCT_ERR_VALUE, &err, "map name");
    p.map = "nope";
    CHECK_FAILS(tsct_stage_figure(&p, NULL, &err), TSCT_ERR_NOT_FOUND, &err, "no such map");
    p.map = "ramp";
    p.t = 3;
    CHECK_FAILS(tsct_stage_figure(&p, NULL, &err), TSCT_ERR_VALUE, &err, "1 time steps");
    p.t = 0;
    p.kind = TSCT_STAGE_FIGURE_KIND_COMPOSITE;
    CHECK_FAILS(tsct_stage_figure(&p, NULL, &err), TSCT_ERR_VALUE, &err, "phases");
    p.kind = TSCT_STAGE_FIGURE_KIND_FIT;
    CHECK_FAILS(tsct_stage_figure(&p, NULL, &err), TSCT_ERR_VALUE, &err, "parameter");
    p.kind = TSCT_STAGE_FIGURE_KIND_FILM;
    p.source = (tsct_stage_figure_source)9;
    CHECK_FAILS(tsct_stage_figure(&p, NULL, &err), TSCT_ERR_VALUE, &err, "unknown source");
}

int main(void)
{
    char exp[4200];
    path_in(exp, sizeof exp, "exp.h5");
    make_container(exp);
    test_map(exp);
    test_all(exp);
    test_errors(exp);
    return tsct_test_finish("test_stage_figure");
}
