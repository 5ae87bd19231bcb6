/* image_internal.h - what the format readers in lib/io/image_*.c share (not installed).
 *
 * Each format has one decoder over memory (the fuzzing entry point) and, where whole-file
 * reading would be wasteful (EDF, TIFF), its own file reader. Common pieces: checked
 * allocation of the pixel buffer, the header list, conversion of stored pixels to float,
 * and reading a whole file into memory. */
#ifndef TSCT_IMAGE_INTERNAL_H
#define TSCT_IMAGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tsct/image.h"

/* Default for tsct_image_read_params.max_pixels = 0. */
#define TSCT_IMAGE_MAX_PIXELS_DEFAULT (INT64_C(1) << 31)

/* Parameters with NULL replaced by the defaults and max_pixels resolved. */
tsct_image_read_params tsct__image_params(const tsct_image_read_params *params);

/* Forget the current frame (rows = cols = 0, header emptied); keep the allocations. */
void tsct__image_reset(tsct_image *img);

/* Make room for rows x cols pixels after checking 1 <= rows, cols and rows * cols <=
 * max_pixels (no overflow); sets img->rows/cols. `item` names the header field that gave the
 * shape in error messages. */
tsct_status tsct__image_alloc(tsct_image *img, int64_t rows, int64_t cols, int64_t max_pixels,
                              const char *item, tsct_error *err);

/* Append a header item; key and value are copied (klen / vlen bytes, need not be
 * NUL-terminated). */
tsct_status tsct__image_header_add(tsct_image *img, const char *key, size_t klen,
                                   const char *value, size_t vlen, tsct_error *err);

/* Size in bytes of one stored element; 0 for UNKNOWN. */
size_t tsct__dtype_size(tsct_image_dtype dtype);

/* Convert n stored elements at src (any alignment) to float; swap = 1 when the stored byte
 * order is not the machine's. */
void tsct__convert_to_float(float *dst, const void *src, int64_t n, tsct_image_dtype dtype,
                            int swap);

/* Read the whole file into a malloc'ed buffer (*buf freed by the caller). */
tsct_status tsct__file_read_all(const char *path, uint8_t **buf, size_t *size, tsct_error *err);

/* Format from magic bytes (AUTO if none). */
tsct_image_format tsct__image_detect_magic(const uint8_t *buf, size_t size);

/* Per-format decoders over memory. frame as in the parameters. */
tsct_status tsct__cbf_decode(tsct_image *img, const uint8_t *buf, size_t size,
                             const tsct_image_read_params *p, tsct_error *err);
/* CBF byte-offset kernels (image_cbf_kernel.h): decode up to n values of the stream src[0 ..
 * size) into dst, set *used to the bytes consumed and return the count decoded (< n when the
 * stream ends first). decode_f32 converts as (float)(int32_t)value. Every variant gives the
 * reference's results on every stream, valid or not. */
typedef int64_t (*tsct__bo_i32_fn)(const uint8_t *src, size_t size, int32_t *dst, int64_t n,
                                   size_t *used);
typedef int64_t (*tsct__bo_f32_fn)(const uint8_t *src, size_t size, float *dst, int64_t n,
                                   size_t *used);
typedef struct tsct__cbf_kernels {
    const char *name;              /* NULL where this build or CPU family lacks the variant */
    tsct__bo_i32_fn decode_i32;
    tsct__bo_f32_fn decode_f32;
} tsct__cbf_kernels;

extern const tsct__cbf_kernels tsct__cbf_kernels_reference; /* plain loop, the oracle */
extern const tsct__cbf_kernels tsct__cbf_kernels_avx2;      /* x86-64 AVX2 */

/* The fastest variant this CPU runs, chosen once per process; the environment variable
 * TSCT_CBF_KERNELS = reference forces the reference (tests and benchmarks). */
const tsct__cbf_kernels *tsct__cbf_kernels_select(void);

tsct_status tsct__edf_decode(tsct_image *img, const uint8_t *buf, size_t size,
                             const tsct_image_read_params *p, tsct_error *err);
tsct_status tsct__edf_read_file(tsct_image *img, const char *path,
                                const tsct_image_read_params *p, tsct_error *err);
tsct_status tsct__edf_count(const uint8_t *buf, size_t size, const char *path, int64_t *n,
                            tsct_error *err);
tsct_status tsct__tiff_decode(tsct_image *img, const uint8_t *buf, size_t size,
                              const tsct_image_read_params *p, tsct_error *err);
tsct_status tsct__tiff_read_file(tsct_image *img, const char *path,
                                 const tsct_image_read_params *p, tsct_error *err);
tsct_status tsct__tiff_count(const char *path, int64_t *n, tsct_error *err);
tsct_status tsct__npy_decode(tsct_image *img, const uint8_t *buf, size_t size,
                             const tsct_image_read_params *p, tsct_error *err);
tsct_status tsct__npy_count(const uint8_t *buf, size_t size, int64_t *n, tsct_error *err);

/* Header only (tsct_image_read_header): CBF reads the text before the binary data, EDF the
 * header blocks up to frame p->frame. */
tsct_status tsct__cbf_read_header(tsct_image *img, const char *path,
                                  const tsct_image_read_params *p, tsct_error *err);
tsct_status tsct__edf_read_header(tsct_image *img, const char *path,
                                  const tsct_image_read_params *p, tsct_error *err);

/* Writers: check the caller's header items for `format` (CBF or EDF: what may stand in a key
 * and a value) and add the text they need to *text; make *buf hold at least `need` bytes
 * (realloc, *capacity updated); finish a write whose encoder returned `encoded`: publish
 * buf[size] at path (tsct/publish.h) if it succeeded, else name path in its error; buf (from
 * the encoder, may be NULL) is freed either way. */
tsct_status tsct__image_items_check(const tsct_image_header_entry *items, int64_t nitems,
                                    tsct_image_format format, size_t *text, tsct_error *err);
tsct_status tsct__buf_reserve(uint8_t **buf, size_t *capacity, size_t need, tsct_error *err);
tsct_status tsct__image_publish(const char *path, tsct_status encoded, uint8_t *buf,
                                size_t size, tsct_error *err);

/* ASCII helpers shared by the header parsers. */
int tsct__ascii_casecmp(const char *a, const char *b);
int tsct__ascii_ncasecmp(const char *a, const char *b, size_t n);
/* Parse a whole decimal integer (optional sign, surrounding blanks) in s[0..len); returns 0
 * on success. Rejects overflow and trailing garbage. */
int tsct__parse_int64(const char *s, size_t len, int64_t *out);

#endif
