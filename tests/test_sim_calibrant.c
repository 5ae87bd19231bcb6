/* test_sim_calibrant.c - tsct_sim_calibrant_image (lib/simulate/sim_calibrant.c), the frame
 * `tsct simulate --calibrant` writes: a PONI file in, an image file out.
 *
 * The file read back must equal, bit for bit, the frame made here from the documented recipe
 * through the lower-level calls (the calibrant's rings down to lambda / (2 sin 0.75), ring
 * intensities m / 24 x exp(-1 / (2 d^2)), the detector's module-gap mask,
 * tsct_sim_calibrant_frame with the same seed), in every format (.npy, .edf and .tif as
 * float32, .cbf as rounded counts); the module gaps read -1; bad input is refused with the
 * file and the reason.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/calibrant.h"
#include "tsct/image.h"
#include "tsct/poni.h"
#include "tsct/simulate.h"
#include "tsct_test.h"

static void path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", tsct_test_tmpdir(TSCT_TEST_TMP), name);
}

/* The frame by the recipe: [rows][cols] float32 (malloc'd) and the mask in *mask_out. */
static float *expected_frame(const char *poni, const char *calibrant,
                             const tsct_sim_calibrant_params *sp, uint64_t seed, int noiseless,
                             int64_t *rows, int64_t *cols, uint8_t **mask_out)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_poni g;
    tsct_poni_detector det;
    CHECK_OK(tsct_poni_read(&g, poni, &err), &err);
    CHECK_OK(tsct_poni_detector_find(g.detector, &det, &err), &err);
    *rows = g.shape[0], *cols = g.shape[1];
    tsct_calibrant *cal = NULL;
    CHECK_OK(tsct_calibrant_create(calibrant, g.wavelength * 1e10 / (2 * sin(0.75)), &cal, &err),
             &err);
    if (!cal || *rows < 1 || *cols < 1)
        return NULL;
    const int64_t n = *rows * *cols;
    float *frame = malloc((size_t)n * sizeof *frame);
    uint8_t *mask = calloc((size_t)n, 1);
    double *d = malloc((size_t)cal->count * sizeof *d), *I = malloc((size_t)cal->count * sizeof *I);
    tsct_poni_detector_mask(&det, *rows, *cols, mask);
    for (int64_t i = 0; i < cal->count; i++) {
        d[i] = cal->rings[i].d;
        const int64_t mult = cal->rings[i].multiplicity;
        const double m = mult > 0 ? (double)mult : 24.0;
        I[i] = m / 24.0 * exp(-1.0 / (2.0 * d[i] * d[i]));
    }
    tsct_sim_rng rng;
    tsct_sim_rng_seed(&rng, seed);
    CHECK_OK(tsct_sim_calibrant_frame(&g, *rows, *cols, mask, d, I, cal->count, sp,
                                      noiseless ? NULL : &rng, frame, &err),
             &err);
    free(d), free(I);
    tsct_calibrant_destroy(cal);
    *mask_out = mask;
    return frame;
}

static void test_formats(const char *poni)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_calibrant_params sp = TSCT_SIM_CALIBRANT_PARAMS_DEFAULT;
    sp.fwhm_deg = 0.05;
    const char *names[] = {"ceo2.npy", "ceo2.edf", "ceo2.tif", "ceo2.cbf"};
    for (int noiseless = 0; noiseless <= 1; noiseless++) {
        int64_t rows = 0, cols = 0;
        uint8_t *mask = NULL;
        float *want = expected_frame(poni, "CeO2", &sp, 11, noiseless, &rows, &cols, &mask);
        CHECK(want != NULL);
        if (!want)
            return;
        for (int f = 0; f < 4; f++) {
            char out[4096], det[64] = "";
            path_in(out, sizeof out, names[f]);
            remove(out);
            CHECK_OK(tsct_sim_calibrant_image("CeO2", poni, &sp, 11, noiseless, out, det,
                                              sizeof det, &err),
                     &err);
            CHECK(strcmp(det, "Pilatus200k") == 0);
            tsct_image img;
            tsct_image_init(&img);
            CHECK_OK(tsct_image_read(&img, out, NULL, &err), &err);
            CHECK(img.rows == rows && img.cols == cols);
            int64_t differ = 0, gaps = 0, gap_ok = 0;
            const int cbf = f == 3;
            for (int64_t k = 0; img.data && k < rows * cols; k++) {
                const float w = cbf ? (float)lrint(want[k]) : want[k];
                differ += memcmp(&img.data[k], &w, sizeof w) != 0;
                if (mask[k]) {
                    gaps++;
                    gap_ok += img.data[k] == -1.0f;
                }
            }
            CHECK_MSG(differ == 0, "%s (noiseless %d): %lld pixels differ from the recipe",
                      names[f], noiseless, (long long)differ);
            /* Pilatus 200k: two modules, a gap of 17 rows between them (487 x 17) */
            CHECK_MSG(gaps == 17 * 487 && gap_ok == gaps, "%s: %lld gap pixels, %lld at -1",
                      names[f], (long long)gaps, (long long)gap_ok);
            tsct_image_release(&img);
        }
        free(want), free(mask);
    }
}

static void test_bad_input(const char *poni)
{
    tsct_error err = TSCT_ERROR_INIT;
    char out[4096], nowl[4096];
    path_in(out, sizeof out, "frame.png");
    CHECK_FAILS(tsct_sim_calibrant_image("CeO2", poni, NULL, 1, 1, out, NULL, 0, &err),
                TSCT_ERR_VALUE, &err, "expected a .cbf, .edf, .tif or .npy file name");
    path_in(out, sizeof out, "frame.npy");
    CHECK_FAILS(tsct_sim_calibrant_image("Unobtainium", poni, NULL, 1, 1, out, NULL, 0, &err),
                TSCT_ERR_NOT_FOUND, &err, "Unobtainium");
    /* a geometry without a wavelength */
    tsct_poni g;
    CHECK_OK(tsct_poni_read(&g, poni, &err), &err);
    g.wavelength = 0;
    path_in(nowl, sizeof nowl, "nowl.poni");
    CHECK_OK(tsct_poni_write(&g, nowl, &err), &err);
    CHECK_FAILS(tsct_sim_calibrant_image("CeO2", nowl, NULL, 1, 1, out, NULL, 0, &err),
                TSCT_ERR_VALUE, &err, "a wavelength");
    CHECK_FAILS(tsct_sim_calibrant_image("CeO2", "/nonexistent/x.poni", NULL, 1, 1, out, NULL, 0,
                                         &err),
                TSCT_ERR_NOT_FOUND, &err, "x.poni");
}

int main(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_poni g;
    tsct_poni_init(&g);
    snprintf(g.detector, sizeof g.detector, "Pilatus200k");
    g.pixel1 = g.pixel2 = 172e-6;
    g.shape[0] = 407, g.shape[1] = 487;
    g.dist = 0.25, g.poni1 = 0.035, g.poni2 = 0.042, g.rot1 = 0.02, g.rot2 = -0.01;
    g.wavelength = 0.5e-10;
    char poni[4096];
    path_in(poni, sizeof poni, "p200k.poni");
    CHECK_OK(tsct_poni_write(&g, poni, &err), &err);
    test_formats(poni);
    test_bad_input(poni);
    return tsct_test_finish("test_sim_calibrant");
}
