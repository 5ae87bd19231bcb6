/* fuzz_cbf.c - libFuzzer entry point for the CBF reader (tsct_image_decode). Built and run by
 * tests/fuzz/run.sh, not by CMake. The pixel limit keeps hostile shapes from turning into
 * multi-gigabyte allocations, which would be reported as out-of-memory, not bugs. */
#include <stddef.h>
#include <stdint.h>

#include "tsct/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsct_image img;
    tsct_image_init(&img);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_image_read_params p = TSCT_IMAGE_READ_PARAMS_DEFAULT;
    p.format = TSCT_IMAGE_FORMAT_CBF;
    p.max_pixels = 1 << 22;
    p.check_md5 = size & 1;
    p.frame = size % 3 == 0 ? 1 : 0;
    tsct_status st = tsct_image_decode(&img, data, size, &p, &err);
    if (st == TSCT_OK) {
        /* touch every pixel so that a wrong shape shows up as an overread */
        volatile float s = 0;
        for (int64_t i = 0; i < img.rows * img.cols; i++)
            s += img.data[i];
        (void)s;
        uint8_t m[16];
        if (img.rows * img.cols <= 16)
            tsct_image_mask_negative(&img, m, NULL, &err);
    } else if (!err.message[0]) {
        __builtin_trap();   /* every failure must say why */
    }
    tsct_image_release(&img);
    return 0;
}
