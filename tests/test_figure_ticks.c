/* test_figure_ticks.c - axis ticks and colour maps of lib/figure, exactly.
 *
 * Ticks are steps of 1, 2 or 5 x 10^k inside the range; the colour map endpoints are those of
 * matplotlib's viridis and magma tables (first and last entries, x 255 rounded), greys is the
 * identity, NaN is light grey, and values outside 0 .. 1 are clamped.
 */
#include <math.h>
#include <string.h>

#include "tsct/figure.h"
#include "tsct_test.h"

static void ticks_are(double lo, double hi, int max, const double *want, int nwant)
{
    double t[32];
    int n = tsct_figure_ticks(lo, hi, max, t);
    CHECK_MSG(n == nwant, "ticks of [%g, %g]: %d, wanted %d", lo, hi, n, nwant);
    for (int i = 0; i < n && i < nwant; i++)
        CHECK_MSG(fabs(t[i] - want[i]) <= 1e-12 * fabs(want[i]) + 1e-15,
                  "tick %d of [%g, %g]: %.17g, wanted %.17g", i, lo, hi, t[i], want[i]);
}

int main(void)
{
    ticks_are(0, 1, 6, (const double[]){0, 0.2, 0.4, 0.6, 0.8, 1.0}, 6);
    ticks_are(0, 0.45, 6, (const double[]){0, 0.1, 0.2, 0.3, 0.4}, 5);
    ticks_are(-512, 1997, 6, (const double[]){-500, 0, 500, 1000, 1500}, 5);
    ticks_are(1.29, 1.42, 6, (const double[]){1.3, 1.35, 1.4}, 3);
    ticks_are(3, 3, 6, (const double[]){3}, 1);
    uint8_t rgb[3];
    tsct_colormap_rgb(TSCT_CMAP_VIRIDIS, 0.0, rgb);
    CHECK(rgb[0] == 68 && rgb[1] == 1 && rgb[2] == 84);
    tsct_colormap_rgb(TSCT_CMAP_VIRIDIS, 1.0, rgb);
    CHECK(rgb[0] == 253 && rgb[1] == 231 && rgb[2] == 37);
    tsct_colormap_rgb(TSCT_CMAP_VIRIDIS, 7.0, rgb); /* clamped */
    CHECK(rgb[0] == 253 && rgb[1] == 231 && rgb[2] == 37);
    tsct_colormap_rgb(TSCT_CMAP_MAGMA, 0.0, rgb);
    CHECK(rgb[0] == 0 && rgb[1] == 0 && rgb[2] == 4);
    tsct_colormap_rgb(TSCT_CMAP_GREYS, 0.5, rgb);
    CHECK(rgb[0] == 128 && rgb[1] == 128 && rgb[2] == 128);
    tsct_colormap_rgb(TSCT_CMAP_VIRIDIS, NAN, rgb);
    CHECK(rgb[0] == 216 && rgb[1] == 216 && rgb[2] == 216);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_colormap cm;
    CHECK_OK(tsct_colormap_parse("magma", &cm, &err), &err);
    CHECK(cm == TSCT_CMAP_MAGMA);
    CHECK_FAILS(tsct_colormap_parse("jet", &cm, &err), TSCT_ERR_VALUE, &err,
                "expected viridis, magma, greys or diverging, got 'jet'");
    return tsct_test_finish("test_figure_ticks");
}
