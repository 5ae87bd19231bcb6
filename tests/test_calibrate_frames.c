/* test_calibrate_frames.c - calibration of the real frames in tests/data/detector_images
 * against the PONI files shipped with them (made with pyFAI):
 *  - CeO2, Pilatus 2M CBF with its mask, no starting geometry;
 *  - CeO2, Pilatus 1M TIFF (flipped vertically, the Dioptas convention), no starting geometry;
 *  - LaB6, Pilatus 300K-W, strongly tilted (rot1 4.9 deg), one ring on the detector, started
 *    from the earlier calibration in the same PONI file (its first block).
 * Each must find a ring residual no larger than the shipped PONI's, measured the same way on
 * the same image (tsct_calibrate_residual); the worst 2theta difference from the shipped PONI
 * over the unmasked pixels is printed and bounded by what was measured (docs/calibrate.md:
 * 0.0056, 0.0066 and 0.0117 deg; the goal of 0.002 deg is not reached, see there).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/calibrate.h"
#include "tsct/geometry.h"
#include "tsct/image.h"
#include "tsct_test.h"

static void flip(float *d, int64_t rows, int64_t cols)
{
    for (int64_t i = 0; i < rows / 2; i++)
        for (int64_t j = 0; j < cols; j++) {
            float t = d[i * cols + j];
            d[i * cols + j] = d[(rows - 1 - i) * cols + j];
            d[(rows - 1 - i) * cols + j] = t;
        }
}

static void frame(const char *name, const char *image, const char *mask_file, const char *poni,
                  const char *calibrant, int flipped, const tsct_poni *guess, double max_deg)
{
    tsct_error err = TSCT_ERROR_INIT;
    char path[1024];
    tsct_image img, m;
    tsct_image_init(&img);
    tsct_image_init(&m);
    snprintf(path, sizeof path, "%s/detector_images/%s", TSCT_TEST_DATA, image);
    CHECK_OK(tsct_image_read(&img, path, NULL, &err), &err);
    const int64_t rows = img.rows, cols = img.cols, n = rows * cols;
    if (flipped)
        flip(img.data, rows, cols);
    uint8_t *mask = calloc((size_t)n, 1);
    if (mask_file) {
        snprintf(path, sizeof path, "%s/detector_images/%s", TSCT_TEST_DATA, mask_file);
        CHECK_OK(tsct_image_read(&m, path, NULL, &err), &err);
        CHECK_OK(tsct_image_mask_nonzero(&m, mask, NULL, &err), &err);
    }
    for (int64_t k = 0; k < n; k++)
        mask[k] |= img.data[k] < 0;
    tsct_poni ref;
    snprintf(path, sizeof path, "%s/detector_images/%s", TSCT_TEST_DATA, poni);
    CHECK_OK(tsct_poni_read(&ref, path, &err), &err);
    tsct_calibrant *cal = NULL;
    CHECK_OK(tsct_calibrant_create(calibrant, 0.3, &cal, &err), &err);
    tsct_calibrate_params P = TSCT_CALIBRATE_PARAMS_DEFAULT;
    P.nthreads = 2;
    tsct_poni start = ref;
    if (guess) {
        start = *guess;
        P.use_guess = 1;
    }
    tsct_calibrate_result *res = NULL;
    CHECK_OK(tsct_calibrate(img.data, mask, rows, cols, &start, cal, &P, &res, &err), &err);
    if (res) {
        double ours, shipped;
        int64_t n1, n2;
        CHECK_OK(tsct_calibrate_residual(img.data, mask, rows, cols, &res->poni, cal, &P, &ours,
                                         &n1, &err), &err);
        CHECK_OK(tsct_calibrate_residual(img.data, mask, rows, cols, &ref, cal, &P, &shipped,
                                         &n2, &err), &err);
        CHECK_MSG(ours <= shipped, "%s: ring residual %.5f deg, the shipped PONI's %.5f", name,
                  ours, shipped);
        tsct_geometry_arrays *a = NULL, *b = NULL;
        CHECK_OK(tsct_geometry_compute(&res->poni, rows, cols, TSCT_UNIT_2TH_DEG,
                                       TSCT_GEOM_RADIAL, 2, &a, &err), &err);
        CHECK_OK(tsct_geometry_compute(&ref, rows, cols, TSCT_UNIT_2TH_DEG, TSCT_GEOM_RADIAL, 2,
                                       &b, &err), &err);
        double worst = 0;
        int64_t at = 0;
        for (int64_t k = 0; a && b && k < n; k++)
            if (!mask[k] && fabs(a->radial[k] - b->radial[k]) > worst)
                worst = fabs(a->radial[k] - b->radial[k]), at = k;
        printf("%s: %lld points on %lld rings, ring residual %.5f deg (shipped PONI %.5f deg, "
               "%lld points); worst 2theta difference %.5f deg at row %lld, column %lld%s%s\n",
               name, (long long)res->npoints, (long long)res->nrings, ours, shipped,
               (long long)n2, worst, (long long)(at / cols), (long long)(at % cols),
               res->note[0] ? "; " : "", res->note);
        CHECK_MSG(worst < max_deg, "%s: 2theta differs from the shipped PONI's by %.5f deg",
                  name, worst);
        CHECK_MSG(!res->warning, "%s: %s", name, res->message);
        tsct_geometry_arrays_destroy(a);
        tsct_geometry_arrays_destroy(b);
    }
    tsct_calibrate_result_destroy(res);
    tsct_calibrant_destroy(cal);
    free(mask);
    tsct_image_release(&img);
    tsct_image_release(&m);
}

int main(void)
{
    frame("CeO2 Pilatus 2M", "ndtomo_CeO2_Pilatus2M/CeO2.cbf", "ndtomo_CeO2_Pilatus2M/mask.edf",
          "ndtomo_CeO2_Pilatus2M/CeO2.poni", "CeO2", 0, NULL, 0.008);
    frame("CeO2 Pilatus 1M", "dioptas_CeO2_Pilatus1M/CeO2_Pilatus1M.tif", NULL,
          "dioptas_CeO2_Pilatus1M/CeO2_Pilatus1M.poni", "CeO2", 1, NULL, 0.008);
    /* The first calibration block of the SSRL PONI file (a day earlier) as the rough guess. */
    tsct_poni guess;
    tsct_poni_init(&guess);
    snprintf(guess.detector, sizeof guess.detector, "Pilatus300kw");
    guess.pixel1 = guess.pixel2 = 172e-6;
    guess.shape[0] = 195, guess.shape[1] = 1475;
    guess.dist = 0.9113567363473559;
    guess.poni1 = 0.1894482691589668, guess.poni2 = 0.2403391492812292;
    guess.rot1 = 0.0854129522937598, guess.rot2 = 0.005289514970587194;
    guess.rot3 = 4.8258503934102585e-06;
    guess.wavelength = 8.856e-11;
    frame("LaB6 Pilatus 300K-W", "ssrl_LaB6_Pilatus300kw/b_toney_lab6_th3_scan1_0008.tif", NULL,
          "ssrl_LaB6_Pilatus300kw/b_toney_lab6_th3_scan1_0008.poni", "LaB6", 0, &guess, 0.014);
    return tsct_test_finish("test_calibrate_frames");
}
