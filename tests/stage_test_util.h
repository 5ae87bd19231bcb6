/* stage_test_util.h - what the stage tests share: a whole container dataset into memory. */
#ifndef TSCT_STAGE_TEST_UTIL_H
#define TSCT_STAGE_TEST_UTIL_H

#include <stdlib.h>

#include "tsct/container.h"

/* The whole dataset `path` of `file` as float32 (malloc'd; the caller frees), its shape in
 * shape[8]; NULL with err set on failure. */
static inline float *stage_test_read_all(const char *file, const char *path, int64_t *shape,
                                         tsct_error *err)
{
    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    float *v = NULL;
    int64_t start[8] = {0};
    if (tsct_container_open(file, TSCT_OPEN_READ, &c, err) == TSCT_OK &&
        tsct_dataset_open(c, path, &d, err) == TSCT_OK) {
        int nd = tsct_dataset_shape(d, shape);
        int64_t n = 1;
        for (int i = 0; i < nd; i++)
            n *= shape[i];
        v = malloc((size_t)n * sizeof *v);
        if (v && tsct_dataset_read(d, start, shape, v, err) != TSCT_OK) {
            free(v);
            v = NULL;
        }
    }
    tsct_dataset_close(d);
    tsct_container_close(c, NULL);
    return v;
}

#endif
