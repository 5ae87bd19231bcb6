/* tsct/image.h - detector frames from image files: CBF, EDF, TIFF and NumPy .npy.
 *
 * Every reader returns one 2-D frame as float32 in a tsct_image:
 *
 *     data[r * cols + c],  r = 0 .. rows-1 (slow axis), c = 0 .. cols-1 (fast axis)
 *
 * which is numpy's C order and fabio's `img.data` of shape (rows, cols): `rows` is pyFAI's
 * axis 1 (PONI1, the detector "y"), `cols` its axis 2 (PONI2, "x"). The first stored row of
 * the file is row 0; no reader flips or transposes (the Dioptas convention of flipping a TIFF
 * vertically is the caller's business, see docs/formats.md). Values are converted from the
 * stored type to float: integers up to 2^24 in magnitude are exact, larger ones are rounded
 * to the nearest float; float64 is rounded to float32. The stored type is kept in raw_dtype.
 *
 * Formats (details, conventions and references in docs/formats.md):
 *  - CBF: Pilatus / CBFlib "mini-CBF", one binary section with x-CBF_BYTE_OFFSET compression,
 *    8/16/32-bit signed or unsigned elements; the MIME header (X-Binary-*, Content-MD5) and the
 *    _array_data.header_contents text are kept in the header list.
 *  - EDF: ESRF Data Format, `{ key = value ; ... }` ASCII header followed by raw data; several
 *    frames are concatenated header+data blocks. Uncompressed data only.
 *  - TIFF: through libtiff; one sample per pixel, 8/16/32/64-bit integers and 32/64-bit
 *    floats, stripped or tiled, any compression libtiff decodes, either byte order; frame =
 *    page (directory) index.
 *  - NumPy .npy: format versions 1.0, 2.0 and 3.0, C order, dtypes b1 i1 u1 i2 u2 i4 u4 i8 u8
 *    f4 f8 in either byte order; 2-D arrays, or 3-D arrays read as a stack of frames along
 *    axis 0. Fortran order is refused.
 *  - HDF5 frames (datasets, Dectris masters, BLISS virtual datasets) are read by the frame
 *    source of tsct/frames.h, which also takes series of the image files above.
 *
 * Masked pixels: Pilatus and Eiger write negative values (-1 gaps, -2 bad pixels) where there
 * is no valid measurement; tsct_image_mask_negative() turns them into a mask. Mask files (EDF,
 * TIFF, npy) mark masked pixels with non-zero values; tsct_image_mask_nonzero() reads them.
 *
 * Ownership: a tsct_image lives in caller memory, is set up by tsct_image_init() and freed by
 * tsct_image_release(). Reading into an image that already holds a frame reuses its pixel
 * buffer when it is large enough, so a loop over frames allocates only once. Every string in
 * the header list belongs to the image.
 *
 * Errors: TSCT_ERR_IO (cannot open or read), TSCT_ERR_FORMAT (not the format, a truncated
 * file, a header that contradicts itself, a corrupt compressed stream), TSCT_ERR_UNSUPPORTED
 * (a valid file using a feature not handled: another CBF compression, compressed EDF, RGB
 * TIFF, Fortran-order npy), TSCT_ERR_SHAPE (zero, negative or too large dimensions),
 * TSCT_ERR_VALUE (frame index out of range, bad argument), TSCT_ERR_NOMEM. The message names
 * the file, the header item (e.g. "X-Binary-Size", "DataType", "descr") and the frame or
 * element index, with what was expected and what was found. On error the image keeps its
 * allocation but holds no frame (rows = cols = 0).
 *
 * Thread safety: all functions are reentrant; different threads may read into different
 * images at once. The TIFF reader sends libtiff's messages into the tsct_error through
 * per-handle handlers and, once per process, replaces libtiff's global handlers (which print
 * to stderr) by silent ones.
 */
#ifndef TSCT_IMAGE_H
#define TSCT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "tsct/array.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tsct_image_format {
    TSCT_IMAGE_FORMAT_AUTO = 0,  /* detect from magic bytes, then from the file extension */
    TSCT_IMAGE_FORMAT_CBF,
    TSCT_IMAGE_FORMAT_EDF,
    TSCT_IMAGE_FORMAT_TIFF,
    TSCT_IMAGE_FORMAT_NPY
} tsct_image_format;

/* The pixel type stored in the file (numpy's names in tsct_image_dtype_name()). */
typedef enum tsct_image_dtype {
    TSCT_IMAGE_DTYPE_UNKNOWN = 0,
    TSCT_IMAGE_DTYPE_BOOL,
    TSCT_IMAGE_DTYPE_U8,
    TSCT_IMAGE_DTYPE_I8,
    TSCT_IMAGE_DTYPE_U16,
    TSCT_IMAGE_DTYPE_I16,
    TSCT_IMAGE_DTYPE_U32,
    TSCT_IMAGE_DTYPE_I32,
    TSCT_IMAGE_DTYPE_U64,
    TSCT_IMAGE_DTYPE_I64,
    TSCT_IMAGE_DTYPE_F32,
    TSCT_IMAGE_DTYPE_F64
} tsct_image_dtype;

/* One header item, in file order. Keys keep the spelling of the file. */
typedef struct tsct_image_header_entry {
    char *key;
    char *value;
} tsct_image_header_entry;

typedef struct tsct_image {
    int64_t rows;                      /* slow axis: numpy shape[0], pyFAI axis 1 */
    int64_t cols;                      /* fast axis: numpy shape[1], pyFAI axis 2 */
    float *data;                       /* rows * cols floats, C order, 64-byte aligned */
    tsct_image_dtype raw_dtype;        /* stored pixel type */
    tsct_image_format format;          /* format that was read */
    int64_t frame;                     /* frame (EDF block, TIFF page, npy axis-0 index) */
    int64_t nheader;                   /* entries in header */
    tsct_image_header_entry *header;   /* header items of this frame, file order */
    /* private: capacity of data (floats) and header (entries) */
    int64_t data_capacity_;
    int64_t header_capacity_;
} tsct_image;

/* Reading parameters; TSCT_IMAGE_READ_PARAMS_DEFAULT gives the defaults. Passing NULL where a
 * function takes parameters means the defaults. */
typedef struct tsct_image_read_params {
    tsct_image_format format;   /* AUTO (default): detect */
    int64_t frame;              /* 0 (default): first frame; EDF block, TIFF page, npy index */
    int check_md5;              /* CBF: verify Content-MD5 when the header has one (default 0:
                                   costs about as much as decoding) */
    int64_t max_pixels;         /* refuse frames with more pixels (TSCT_ERR_SHAPE) before
                                   allocating; 0 (default) means 2^31 */
} tsct_image_read_params;

#define TSCT_IMAGE_READ_PARAMS_DEFAULT {TSCT_IMAGE_FORMAT_AUTO, 0, 0, 0}

/* ---- life cycle ------------------------------------------------------------------------- */

/* Set up an empty image (no allocation). */
void tsct_image_init(tsct_image *img);

/* Free the pixels and the header list and return to the state of tsct_image_init().
 * NULL is allowed. */
void tsct_image_release(tsct_image *img);

/* Describe the image's pixels as a 2-D tsct_array [rows][cols] in caller memory `view`;
 * the view shares the data (owns_data = 0) and is valid until the image is read into again
 * or released. Errors: TSCT_ERR_STATE when the image holds no frame. */
tsct_status tsct_image_view(const tsct_image *img, tsct_array *view, tsct_error *err);

/* Value of the first header item whose key equals `key` ignoring ASCII case, or NULL. */
const char *tsct_image_header_get(const tsct_image *img, const char *key);

/* The value of header item `key`: the item itself as tsct_image_header_get() finds it, or
 * else a Pilatus line "# KEY VALUE" (also "# KEY: VALUE", "# KEY = VALUE"; KEY matched
 * ignoring ASCII case) of a CBF's _array_data.header_contents, e.g. "Flux" in
 * "# Flux 1.25e12" or "Exposure_time" in "# Exposure_time 0.01 s": the text after the key and
 * its separators up to the end of that line, trailing blanks removed. *len (may be NULL)
 * receives its length: a Pilatus value is not NUL-terminated. NULL when there is none. The
 * pointer belongs to the image. */
const char *tsct_image_header_value(const tsct_image *img, const char *key, size_t *len);

/* The number that starts the value of `key` (strtod syntax; a unit may follow after a blank:
 * "0.01 s"). Errors: TSCT_ERR_NOT_FOUND (no such item), TSCT_ERR_FORMAT (not a number, or
 * out of double range); the message names the key. */
tsct_status tsct_image_header_number(const tsct_image *img, const char *key, double *value,
                                     tsct_error *err);

/* "cbf", "edf", "tiff", "npy", "auto". */
const char *tsct_image_format_name(tsct_image_format format);

/* numpy names: "bool", "uint8", "int8", ..., "float64"; "unknown". */
const char *tsct_image_dtype_name(tsct_image_dtype dtype);

/* ---- reading files ---------------------------------------------------------------------- */

/* Read frame params->frame of the file at path. With format AUTO the format is taken from
 * the first bytes (CBF "###CBF" or a CIF binary section, EDF "{", TIFF "II*\0" / "MM\0*" /
 * BigTIFF, npy "\x93NUMPY") and, failing that, from the extension (.cbf, .edf, .tif, .tiff,
 * .npy; case-insensitive). Errors as listed at the top; TSCT_ERR_UNSUPPORTED when the format
 * cannot be recognised. */
tsct_status tsct_image_read(tsct_image *img, const char *path,
                            const tsct_image_read_params *params, tsct_error *err);

/* Number of frames in the file: EDF data blocks (a general header block is not a frame),
 * TIFF pages, npy axis-0 length for 3-D arrays, 1 otherwise. */
tsct_status tsct_image_count_frames(const char *path, const tsct_image_read_params *params,
                                    int64_t *nframes, tsct_error *err);

/* The format detected for a file (magic bytes, then extension); TSCT_IMAGE_FORMAT_AUTO when
 * none matches. Errors: TSCT_ERR_IO. */
tsct_status tsct_image_detect(const char *path, tsct_image_format *format, tsct_error *err);

/* Read the header items of frame params->frame of the file at path without its pixels, as
 * tsct_image_read() would list them (CBF: the MIME items and the _array_data.header_contents
 * text; EDF: the items of the frame's block), at the cost of reading the file's first
 * kilobytes (CBF: up to the start of the binary data; EDF: the header blocks up to the
 * frame's). TIFF and npy files are read whole. On success the image holds the header,
 * format and frame but no pixels (rows = cols = 0; the pixel buffer is kept). Errors as for
 * tsct_image_read(), except that a corrupt or truncated binary part is not noticed. */
tsct_status tsct_image_read_header(tsct_image *img, const char *path,
                                   const tsct_image_read_params *params, tsct_error *err);

/* The per-format readers: same contract as tsct_image_read() with the format fixed
 * (params->format is ignored). */
tsct_status tsct_image_read_cbf(tsct_image *img, const char *path,
                                const tsct_image_read_params *params, tsct_error *err);
tsct_status tsct_image_read_edf(tsct_image *img, const char *path,
                                const tsct_image_read_params *params, tsct_error *err);
tsct_status tsct_image_read_tiff(tsct_image *img, const char *path,
                                 const tsct_image_read_params *params, tsct_error *err);
tsct_status tsct_image_read_npy(tsct_image *img, const char *path,
                                const tsct_image_read_params *params, tsct_error *err);

/* ---- decoding memory --------------------------------------------------------------------- */

/* Decode a whole file held in memory (buf, size bytes; not modified, no alignment needed).
 * Same results and errors as reading it from a file, except that messages name no file
 * (use tsct_error_set_file() to add one). These are the fuzzing entry points. With format
 * AUTO only the magic bytes are used. */
tsct_status tsct_image_decode(tsct_image *img, const void *buf, size_t size,
                              const tsct_image_read_params *params, tsct_error *err);

/* Decode a CBF byte-offset stream: `size` bytes of src into exactly n int32 values of dst
 * (raw, before any conversion). Each value is the previous plus a delta stored in 1 byte,
 * or after the escape 0x80 in 2 bytes, or after 0x8000 in 4, or after 0x80000000 in 8
 * (little-endian, two's complement); sums wrap modulo 2^32. *used receives the bytes
 * consumed. Errors: TSCT_ERR_FORMAT naming the element index when the stream ends before n
 * values. Exposed for the benchmark and tests. */
tsct_status tsct_image_cbf_byte_offset_decode(const void *src, size_t size, int32_t *dst,
                                              int64_t n, size_t *used, tsct_error *err);

/* Encode n int32 values as a CBF byte-offset stream (the inverse of the decoder above): each
 * value minus the previous one (from 0) modulo 2^32, read as int32, in 1 byte when it lies in
 * -127 .. 127, else after the escape 0x80 in 2 bytes (-32767 .. 32767), else after 0x8000 in
 * 4; only the difference -2^31 (the 4-byte escape value) takes 8 bytes after 0x80000000.
 * Little-endian. Differences are never wider than 32 bits because readers that add in 32
 * bits (Dectris', fabio's) read no more, and fabio 0.14 mishandles a wider 64-bit delta.
 * *size receives the encoded length; with dst NULL nothing else is done (a sizing pass).
 * Errors: TSCT_ERR_VALUE (n < 0, or capacity smaller than *size). Exposed for the benchmark
 * and tests. */
tsct_status tsct_image_cbf_byte_offset_encode(const int32_t *src, int64_t n, void *dst,
                                              size_t capacity, size_t *size, tsct_error *err);

/* ---- masks ------------------------------------------------------------------------------- */

/* mask[i] = 1 where data[i] < 0 (Pilatus/Eiger gaps -1 and bad pixels -2), else 0, for the
 * rows * cols pixels of img; mask is caller memory of that many bytes. NaN is not masked.
 * *nmasked (may be NULL) receives the count. Errors: TSCT_ERR_STATE for an empty image. */
tsct_status tsct_image_mask_negative(const tsct_image *img, uint8_t *mask, int64_t *nmasked,
                                     tsct_error *err);

/* mask[i] = 1 where data[i] != 0 (including NaN), else 0: a mask file (mask.edf, *.mask.tif,
 * pyFAI / nDTomo convention: non-zero = masked) into a mask. Same contract as above. */
tsct_status tsct_image_mask_nonzero(const tsct_image *img, uint8_t *mask, int64_t *nmasked,
                                    tsct_error *err);

/* ---- writing ----------------------------------------------------------------------------- */

/* Write rows x cols float32 values (C order) as a file that numpy, fabio, tifffile and ImageJ
 * read back bit for bit. Each file is written under a temporary name and renamed into place
 * (tsct/publish.h), so `path` is either the old file or the complete new one.
 *  - npy: format 1.0, dtype '<f4', shape (rows, cols);
 *  - TIFF: one page, little-endian, 32-bit IEEE float, uncompressed strips;
 *  - EDF: one block, FloatValue, LowByteFirst, header padded to a multiple of 512 bytes (the
 *    keys of tsct_image_write_edf_i32() below).
 * Errors: TSCT_ERR_SHAPE (rows or cols < 1, or a product over 2^62), TSCT_ERR_IO. */
tsct_status tsct_image_write_npy(const char *path, const float *data, int64_t rows,
                                 int64_t cols, tsct_error *err);
tsct_status tsct_image_write_tiff(const char *path, const float *data, int64_t rows,
                                  int64_t cols, tsct_error *err);
tsct_status tsct_image_write_edf(const char *path, const float *data, int64_t rows,
                                 int64_t cols, tsct_error *err);

/* Write a uint8 mask (rows x cols, C order) as an npy file, dtype '|u1'. */
tsct_status tsct_image_write_npy_u8(const char *path, const uint8_t *mask, int64_t rows,
                                    int64_t cols, tsct_error *err);

/* Write a uint8 mask (rows x cols, C order) as a one-block EDF file, DataType UnsignedByte
 * (pyFAI's mask.edf; fabio reads it as uint8). Same contract as tsct_image_write_edf(). */
tsct_status tsct_image_write_edf_u8(const char *path, const uint8_t *mask, int64_t rows,
                                    int64_t cols, tsct_error *err);

/* ---- writing integer frames: CBF and EDF as detectors write them ----------------------------
 *
 * Frames of int32 counts (rows x cols, C order, row 0 first; negative values are the Pilatus
 * marks of masked pixels, -1 gaps and -2 bad pixels) with header items, each written so that
 * fabio, pyFAI and tsct's readers give back the same int32 values:
 *  - CBF: the Pilatus mini-CBF layout (CRLF line ends): "###CBF: VERSION 1.5" banner, data
 *    block "data_image", and when items are given `_array_data.header_convention
 *    "PILATUS_1.2"` with a `_array_data.header_contents` text field holding one line
 *    "# KEY VALUE" per item (Pilatus keywords such as "Flux", "Exposure_time", "Wavelength"
 *    are read by fabio's PilatusHeader, any others are kept as text); then `_array_data.data`
 *    with one binary section: Content-Type application/octet-stream with
 *    conversions="x-CBF_BYTE_OFFSET", X-Binary-Size, X-Binary-ID 1, X-Binary-Element-Type
 *    "signed 32-bit integer", LITTLE_ENDIAN, Content-MD5 (base64 of the MD5 of the compressed
 *    bytes, RFC 1864), X-Binary-Number-of-Elements, -Size-Fastest-Dimension (cols),
 *    -Size-Second-Dimension (rows), -Size-Padding 4095; the marker 0C 1A 04 D5, the stream,
 *    4095 zero bytes, the closing "--CIF-BINARY-FORMAT-SECTION----" and ";". Keys: printable
 *    ASCII without blanks, ':', '=' or ';'; values: non-empty printable ASCII, not starting
 *    with a blank.
 *  - EDF: one block as fabio writes it: "{", EDF_DataBlockID = 1.Image.Psd, EDF_BinarySize,
 *    EDF_HeaderSize, ByteOrder = LowByteFirst, DataType = SignedInteger, Dim_1 = cols,
 *    Dim_2 = rows, Image = 1, HeaderID = EH:000001:000000:000000, Size, then "KEY = VALUE ;"
 *    per item, blanks up to a multiple of 512 bytes and "}\n"; the raw little-endian data.
 *    Keys: printable ASCII without blanks, '=', ';', '{', '}'; values: non-empty printable
 *    ASCII without ';', '{', '}', not starting with a blank.
 * Reading the items back: tsct_image_header_value() / _number() (CBF items through the
 * Pilatus lines).
 *
 * The encoders write the whole file into *buf (malloc'ed memory of *capacity bytes that is
 * reused, or grown with realloc; *buf = NULL and *capacity = 0 to start; the caller frees it
 * with free()) and its length into *size, so a loop over frames allocates once. The writers
 * publish the file atomically (tsct/publish.h): `path` is either the old file or the complete
 * new one. All are reentrant. Errors: TSCT_ERR_SHAPE (rows or cols < 1, more than 2^31
 * pixels), TSCT_ERR_VALUE (a header item that the format cannot hold, naming it and its
 * index), TSCT_ERR_NOMEM, TSCT_ERR_IO (writers). */
tsct_status tsct_image_encode_cbf(const int32_t *data, int64_t rows, int64_t cols,
                                  const tsct_image_header_entry *items, int64_t nitems,
                                  uint8_t **buf, size_t *capacity, size_t *size,
                                  tsct_error *err);
tsct_status tsct_image_write_cbf(const char *path, const int32_t *data, int64_t rows,
                                 int64_t cols, const tsct_image_header_entry *items,
                                 int64_t nitems, tsct_error *err);
tsct_status tsct_image_encode_edf(const int32_t *data, int64_t rows, int64_t cols,
                                  const tsct_image_header_entry *items, int64_t nitems,
                                  uint8_t **buf, size_t *capacity, size_t *size,
                                  tsct_error *err);
tsct_status tsct_image_write_edf_i32(const char *path, const int32_t *data, int64_t rows,
                                     int64_t cols, const tsct_image_header_entry *items,
                                     int64_t nitems, tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_IMAGE_H */
