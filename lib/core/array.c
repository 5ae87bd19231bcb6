/* array.c - the N-D float32 array descriptor (see include/tsct/array.h).
 *
 * Data are 64-byte aligned so that the channel loops of the kernels vectorise on any SIMD
 * width; sizes are checked for int64 overflow before anything is allocated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/array.h"

int64_t tsct_shape_size(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return -1;
        if (shape[i] != 0 && n > INT64_MAX / shape[i])
            return -1;
        n *= shape[i];
    }
    return n;
}

static tsct_status check_shape(int ndim, const int64_t *shape, tsct_error *err)
{
    if (ndim < 0 || ndim > TSCT_ARRAY_MAXDIM)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "array", -1,
                              "%d dimensions requested, at most %d supported", ndim,
                              TSCT_ARRAY_MAXDIM);
    int64_t n = tsct_shape_size(ndim, shape);
    /* Leave room for the byte count as well as the element count. */
    if (n < 0 || n > INT64_MAX / (int64_t)sizeof(float)) {
        char buf[256];
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "array", -1,
                              "shape %s is negative or too large",
                              tsct_shape_format(buf, sizeof buf, ndim, shape));
    }
    return TSCT_OK;
}

static void set_layout(tsct_array *a, int ndim, const int64_t *shape)
{
    a->ndim = ndim;
    for (int i = 0; i < TSCT_ARRAY_MAXDIM; i++)
        a->shape[i] = i < ndim ? shape[i] : 1;
    int64_t s = 1;
    for (int i = TSCT_ARRAY_MAXDIM - 1; i >= 0; i--) {
        a->stride[i] = s;
        if (i < ndim)
            s *= a->shape[i];
    }
}

tsct_status tsct_array_create(tsct_array **out, int ndim, const int64_t *shape, tsct_error *err)
{
    *out = NULL;
    TSCT_TRY(check_shape(ndim, shape, err));
    tsct_array *a = calloc(1, sizeof *a);
    if (!a)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "array", -1, "descriptor");
    set_layout(a, ndim, shape);
    int64_t n = tsct_shape_size(ndim, shape);
    size_t bytes = (size_t)n * sizeof(float);
    size_t padded = (bytes + 63) / 64 * 64;
    if (padded == 0)
        padded = 64;
    a->data = aligned_alloc(64, padded);
    if (!a->data) {
        free(a);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "array", -1,
                              "cannot allocate %zu bytes", padded);
    }
    memset(a->data, 0, padded);
    a->owns_data = 1;
    *out = a;
    return TSCT_OK;
}

void tsct_array_destroy(tsct_array *a)
{
    if (!a)
        return;
    if (a->owns_data)
        free(a->data);
    free(a);
}

tsct_status tsct_array_wrap(tsct_array *a, float *data, int ndim, const int64_t *shape,
                            tsct_error *err)
{
    TSCT_TRY(check_shape(ndim, shape, err));
    memset(a, 0, sizeof *a);
    set_layout(a, ndim, shape);
    a->data = data;
    a->owns_data = 0;
    return TSCT_OK;
}

int64_t tsct_array_size(const tsct_array *a)
{
    return tsct_shape_size(a->ndim, a->shape);
}

int tsct_array_is_contiguous(const tsct_array *a)
{
    int64_t s = 1;
    for (int i = a->ndim - 1; i >= 0; i--) {
        if (a->shape[i] != 1 && a->stride[i] != s)
            return 0;
        s *= a->shape[i];
    }
    return 1;
}

tsct_status tsct_array_view_index(const tsct_array *a, int64_t index, tsct_array *view,
                                  tsct_error *err)
{
    if (a->ndim < 1)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "array", -1,
                              "cannot index a 0-dimensional array");
    if (index < 0 || index >= a->shape[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "array", index,
                              "index outside axis 0 of length %lld", (long long)a->shape[0]);
    tsct_array v;
    memset(&v, 0, sizeof v);
    v.ndim = a->ndim - 1;
    for (int i = 0; i < TSCT_ARRAY_MAXDIM - 1; i++) {
        v.shape[i] = a->shape[i + 1];
        v.stride[i] = a->stride[i + 1];
    }
    v.shape[TSCT_ARRAY_MAXDIM - 1] = 1;
    v.stride[TSCT_ARRAY_MAXDIM - 1] = 1;
    v.data = a->data + index * a->stride[0];
    v.owns_data = 0;
    *view = v;
    return TSCT_OK;
}

float *tsct_array_at(const tsct_array *a, const int64_t *index)
{
    int64_t off = 0;
    for (int i = 0; i < a->ndim; i++)
        off += index[i] * a->stride[i];
    return a->data + off;
}

int tsct_shape_equal(int ndim_a, const int64_t *a, int ndim_b, const int64_t *b)
{
    if (ndim_a != ndim_b)
        return 0;
    for (int i = 0; i < ndim_a; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

char *tsct_shape_format(char *buf, size_t size, int ndim, const int64_t *shape)
{
    size_t used = 0;
    buf[0] = '\0';
    if (ndim == 0)
        snprintf(buf, size, "[]");
    for (int i = 0; i < ndim && used < size; i++) {
        int n = snprintf(buf + used, size - used, "[%lld]", (long long)shape[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return buf;
}
