/* tsct/array.h - the N-D float32 array that every stage passes around.
 *
 * C order (last index fastest), 64-bit shapes and strides, at most TSCT_ARRAY_MAXDIM axes.
 * By tsct convention the last axis is the pattern / channel axis (q, r, fit parameters) and is
 * contiguous, so a per-voxel pattern is one contiguous run of shape[ndim-1] floats.
 *
 * Ownership: tsct_array_create() allocates the descriptor and 64-byte-aligned data, freed by
 * tsct_array_destroy(). tsct_array_wrap() and the view functions describe memory owned by
 * someone else; destroying such a descriptor (when heap-allocated) never frees the data.
 *
 * Thread safety: functions are reentrant; concurrent writers to the same elements race as with
 * any memory.
 */
#ifndef TSCT_ARRAY_H
#define TSCT_ARRAY_H

#include <stddef.h>
#include <stdint.h>

#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSCT_ARRAY_MAXDIM 8

typedef struct tsct_array {
    int ndim;                              /* 0 .. TSCT_ARRAY_MAXDIM */
    int64_t shape[TSCT_ARRAY_MAXDIM];      /* extents; unused entries are 1 */
    int64_t stride[TSCT_ARRAY_MAXDIM];     /* in elements (not bytes); C order when contiguous */
    float *data;                           /* first element */
    int owns_data;                         /* 1 if tsct_array_destroy() frees data */
} tsct_array;

/* Number of elements of a shape (product of extents; 1 for ndim = 0). Returns -1 if an extent is
 * negative or the product overflows int64_t. */
int64_t tsct_shape_size(int ndim, const int64_t *shape);

/* Allocate a zero-filled contiguous array. Errors: TSCT_ERR_SHAPE (ndim out of range, negative
 * extent, size overflow), TSCT_ERR_NOMEM. On error *out is NULL. */
tsct_status tsct_array_create(tsct_array **out, int ndim, const int64_t *shape, tsct_error *err);

/* Free an array made by tsct_array_create() or a heap copy; frees the data only if it owns it.
 * NULL is allowed and does nothing. */
void tsct_array_destroy(tsct_array *a);

/* Describe caller-owned contiguous memory `data` as an array in caller memory `a`.
 * Errors: TSCT_ERR_SHAPE. The caller keeps ownership of data. */
tsct_status tsct_array_wrap(tsct_array *a, float *data, int ndim, const int64_t *shape,
                            tsct_error *err);

/* Number of elements. */
int64_t tsct_array_size(const tsct_array *a);

/* 1 if the elements are laid out contiguously in C order, else 0. */
int tsct_array_is_contiguous(const tsct_array *a);

/* View of sub-array a[index] (drops axis 0) in caller memory `view`; shares a's data and
 * never owns it. Errors: TSCT_ERR_SHAPE for ndim = 0, TSCT_ERR_VALUE for index out of range. */
tsct_status tsct_array_view_index(const tsct_array *a, int64_t index, tsct_array *view,
                                  tsct_error *err);

/* Pointer to element (i0, i1, ...) given `ndim` indices; no bounds check (use in loops after
 * checking shapes once). */
float *tsct_array_at(const tsct_array *a, const int64_t *index);

/* 1 if the two shapes are identical. */
int tsct_shape_equal(int ndim_a, const int64_t *a, int ndim_b, const int64_t *b);

/* Format a shape as "[3][4][5]" into buf (always NUL-terminated). Returns buf. */
char *tsct_shape_format(char *buf, size_t size, int ndim, const int64_t *shape);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_ARRAY_H */
