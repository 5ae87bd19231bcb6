/* integrate_test_util.h - the synthetic frame shared by the integration tests and the pyFAI
 * reference generator (tests/data/integrate_reference/make_reference.py, synthetic()): integer
 * formulas, so C and numpy produce the same float32 values. */
#ifndef TSCT_INTEGRATE_TEST_UTIL_H
#define TSCT_INTEGRATE_TEST_UTIL_H

#include <math.h>
#include <stdint.h>

static void synthetic_frame(int64_t rows, int64_t cols, int spots, float *frame, float *dark,
                            float *flat, uint8_t *mask)
{
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            int64_t k = i * cols + j;
            int64_t d2 = (i - rows / 3) * (i - rows / 3) + (j - cols / 4) * (j - cols / 4);
            int64_t v = 50 + (i * 131 + j * 71) % 251 + ((i * i + 3 * j) % 13) * 10;
            if ((d2 / 400) % 5 == 0)
                v += 500;
            if (spots && (i * 17 + j * 29) % 211 == 0)
                v += 20000;
            frame[k] = (i * 7 + j) % 97 == 3 ? NAN : (float)v;
            if (dark)
                dark[k] = (float)((i + 2 * j) % 7);
            if (flat)
                flat[k] = (float)(0.9 + (double)((i * j) % 11) * 0.02);
            if (mask)
                mask[k] = (i * 3 + j * 5) % 41 == 0 || (i >= 20 && i < 30 && j >= 40 && j < 70);
        }
}

#endif
