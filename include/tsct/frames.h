/* tsct/frames.h - a frame source: the detector frames of a scan, by index, whatever holds them.
 *
 * One object gives frame k (k = 0 .. count-1) of a scan as float32 [rows][cols] (C order, the
 * same pixel order as tsct/image.h: row 0 is the first stored row, no flip), from any mix of
 *
 *  - image files: CBF, EDF, TIFF, npy (tsct/image.h). A multi-frame EDF, a multi-page TIFF and
 *    a 3-D npy count as several frames, in file order. A CBF file is one frame (it is not
 *    decoded until read, so a list of 100 000 CBF files opens at once);
 *  - a folder of such files: every file in it named *.cbf, *.edf, *.tif, *.tiff or *.npy (any
 *    case; hidden files and other names, such as temporary ".partial." files, are left out),
 *    in natural name order: runs of digits compare as numbers, so "frame_2.cbf" comes before
 *    "frame_10.cbf" and zero-padded names keep their order (tsct simulate --frame-format
 *    writes one folder per time step);
 *  - an HDF5 dataset, "FILE.h5::/path/to/dataset": 3-D [nframes][rows][cols] (a stack) or 2-D
 *    [rows][cols] (one frame), any integer or float type, converted to float32 (integers exact
 *    up to 2^24). Chunked and compressed datasets are read one frame at a time (a whole stack
 *    is never loaded); compression filters come from HDF5 and its plugins (Debian's LZ4 and
 *    bitshuffle plugins are found without HDF5_PLUGIN_PATH). Virtual datasets (BLISS / ESRF
 *    scans mapping several Lima files) are read through HDF5, after checking that every source
 *    file and dataset they map exists: HDF5 would give zeros (the fill value) for a missing one;
 *  - a Dectris master file ("SCAN_master.h5", recognised by /entry/data/data_000001): the
 *    frames of /entry/data/data_000001, data_000002, ... in that order (external links to the
 *    data files, usually bitshuffle-LZ4 or LZ4 compressed), and the detector metadata of
 *    /entry/instrument (below), including the pixel mask;
 *
 * Frame ranges: an HDF5 spec may end with a Python-like slice of its frames, "[start:stop]",
 * "[start:stop:step]" or "[index]", e.g. "scan.h5::/entry/data/data[100:200]",
 * "SCAN_master.h5[::2]"; negative start / stop count from the end, step must be >= 1.
 *
 * Specs: a spec is "FILE" (an image file, or a Dectris master), "FOLDER" (its image files),
 * "FILE::/dataset" (any HDF5 dataset), each with an optional slice (over all the frames of a
 * folder). An HDF5 file given without a dataset must be a
 * Dectris master. All frames of all specs must have the same shape (checked at open for HDF5
 * sources and the first image file, and for every frame when it is read).
 *
 * Masked pixels: tsct_frames_mask() combines
 *  - the detector's static mask, if the source has one (Dectris
 *    /entry/instrument/detector/detectorSpecific/pixel_mask: non-zero = masked, as pyFAI and
 *    fabio read it);
 *  - per frame, negative values (Pilatus / Eiger gaps -1, bad pixels -2) when the rule says so;
 *  - per frame, values >= the overflow value (Dectris marks a saturated or defective counter
 *    with 2^bit_depth - 1 of its bit_depth_image).
 * By default (TSCT_FRAMES_PARAMS_DEFAULT): negatives are masked for image files and integer
 * HDF5 data, not for float HDF5 data (dark-subtracted data may be negative); the overflow
 * rule is used when the Dectris metadata give a bit depth. Pixel values are never changed.
 *
 * Errors: every failure names the file that holds the frame (a Dectris data file, not only
 * its master), the dataset or header item, and the frame index in that file, with the index
 * in the series in the message: TSCT_ERR_NOT_FOUND (a missing file, dataset, data file of a
 * master, or source file of a virtual dataset), TSCT_ERR_FORMAT (not HDF5, corrupt or
 * truncated data or chunk), TSCT_ERR_UNSUPPORTED (a compression filter that HDF5 cannot load:
 * the message gives its id and name and the plugin folder searched; a dataset that is not
 * numeric), TSCT_ERR_SHAPE (frames of different shapes, rank other than 2 or 3),
 * TSCT_ERR_VALUE (bad spec or slice, frame index out of range), TSCT_ERR_NOMEM, TSCT_ERR_IO.
 *
 * Thread safety: after tsct_frames_open() the object is read-only; tsct_frames_read() and
 * tsct_frames_mask() may be called from several threads at once with different buffers.
 * Image files are read in parallel; HDF5 reads (decompression included) are serialised by the
 * lock of lib/io, as Debian's HDF5 is not thread-safe.
 *
 * Ownership: tsct_frames_open() allocates, tsct_frames_close() frees (NULL allowed). Strings
 * returned by the accessors belong to the object.
 *
 * Writing: tsct_frames_writer (end of this file) writes an HDF5 stack of uint32 frames with a
 * monitor, as detectors do (bitshuffle-LZ4), for the simulator and for tests.
 */
#ifndef TSCT_FRAMES_H
#define TSCT_FRAMES_H

#include <stdint.h>

#include "tsct/image.h"
#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsct_frames tsct_frames;

/* Opening parameters; TSCT_FRAMES_PARAMS_DEFAULT gives the defaults, NULL means them. */
typedef struct tsct_frames_params {
    int mask_negative;      /* -1 (default): by source type (above); 0: never; 1: always */
    double mask_overflow;   /* < 0 (default): 2^bit_depth - 1 from Dectris metadata, if any;
                               0: no overflow rule; > 0: mask values >= this */
    int use_pixel_mask;     /* 1 (default): the detector's pixel_mask is part of the mask */
    int check_md5;          /* CBF: verify Content-MD5 (default 0) */
    int64_t max_pixels;     /* refuse larger frames; 0 (default): 2^31 */
} tsct_frames_params;

#define TSCT_FRAMES_PARAMS_DEFAULT {-1, -1.0, 1, 0, 0}

/* What the source says about the detector and its frames. Numbers are 0 when unknown. */
typedef struct tsct_frames_info {
    int64_t nframes;
    int64_t rows, cols;            /* frame shape: slow axis (pyFAI axis 1), fast axis */
    tsct_image_dtype dtype;        /* stored pixel type of the first source */
    const char *kind;              /* "images", "hdf5", "dectris" or "mixed" */
    int virtual_dataset;           /* 1 if an HDF5 source is a virtual dataset */
    char detector[128];            /* Dectris: /entry/instrument/detector/description
                                      (truncated; left empty if its string type claims
                                      more than 64 kB) */
    double pixel1, pixel2;         /* m, along rows (Dectris y_pixel_size) and columns (x) */
    double distance;               /* m, detector_distance */
    double wavelength;             /* m, /entry/instrument/beam/incident_wavelength */
    double count_time;             /* s */
    double beam_center_x, beam_center_y;  /* pixels (columns, rows), as Dectris writes them */
    int bit_depth;                 /* bits per pixel of the counters (bit_depth_image) */
    int64_t pixel_mask_count;      /* pixels masked by the static pixel mask (-1: none) */
    int mask_negative;             /* the rule in force for the first source: 0 / 1 */
    double mask_overflow;          /* the overflow value in force (0: none) */
} tsct_frames_info;

/* Open the frames of nspecs specs, in order (see the top of this file). Reads only headers,
 * shapes and metadata (Dectris: the pixel mask). Errors as listed at the top. */
tsct_status tsct_frames_open(const char *const *specs, int64_t nspecs,
                             const tsct_frames_params *params, tsct_frames **out,
                             tsct_error *err);

/* Free everything and close the files. NULL allowed. */
void tsct_frames_close(tsct_frames *f);

/* Number of frames, and their shape. */
int64_t tsct_frames_count(const tsct_frames *f);
void tsct_frames_shape(const tsct_frames *f, int64_t *rows, int64_t *cols);

/* Metadata (copied into caller memory; kind points into static storage). */
void tsct_frames_info_get(const tsct_frames *f, tsct_frames_info *info);

/* Read frame `index` into buf (rows * cols floats, caller memory). Thread-safe. Errors:
 * TSCT_ERR_VALUE (index out of range), and those of the sources (named file, dataset, index in
 * that file, index in the series). On error buf's content is unspecified. */
tsct_status tsct_frames_read(const tsct_frames *f, int64_t index, float *buf, tsct_error *err);

/* Where frame `index` comes from: the file that holds it, the dataset ("" for image files)
 * and the index in that file or dataset. Pointers belong to f. Returns TSCT_ERR_VALUE for an
 * index out of range. */
tsct_status tsct_frames_locate(const tsct_frames *f, int64_t index, const char **file,
                               const char **dataset, int64_t *local_index, tsct_error *err);

/* The number in header item `key` of the image file that holds frame `index`, read from the
 * file's header only (tsct_image_read_header, tsct_image_header_number: an EDF key, or a
 * Pilatus CBF line "# KEY VALUE"): a per-frame monitor such as "Flux". Thread-safe.
 * Errors: TSCT_ERR_VALUE (index out of range), TSCT_ERR_NOT_FOUND (no such item: the message
 * names the file and the key), TSCT_ERR_FORMAT (not a number), TSCT_ERR_UNSUPPORTED (the
 * frame comes from an HDF5 dataset), and those of reading the header. */
tsct_status tsct_frames_header_number(const tsct_frames *f, int64_t index, const char *key,
                                      double *value, tsct_error *err);

/* The detector's static pixel mask (rows * cols, 1 = masked) or NULL if the sources have
 * none or params.use_pixel_mask is 0. Belongs to f. */
const uint8_t *tsct_frames_pixel_mask(const tsct_frames *f);

/* mask[i] = 1 where pixel i of `frame` (frame `index` as read by tsct_frames_read; the index
 * selects the rule of its source) is masked by the static mask, the negative rule or the
 * overflow rule; 0 elsewhere. *nmasked (may be NULL) receives the count. mask: rows * cols
 * bytes, caller memory. Thread-safe. Errors: TSCT_ERR_VALUE (index out of range). */
tsct_status tsct_frames_mask(const tsct_frames *f, int64_t index, const float *frame,
                             uint8_t *mask, int64_t *nmasked, tsct_error *err);

/* ---- writing HDF5 frame stacks ------------------------------------------------------------ */

/* A writer of one HDF5 file holding a stack of frames as detectors write them: the dataset
 * `dataset` [nframes][rows][cols] of uint32 counts (little-endian), one frame per chunk, and,
 * if `monitor` is not NULL, the float64 dataset `monitor` [nframes] (the beam monitor of each
 * frame), and likewise `transmission`. Missing parent groups are created with NeXus classes
 * for the usual names (entry NXentry, data NXdata, instrument NXinstrument, monitor
 * NXmonitor). The file is written under a
 * temporary name and renamed into place by tsct_frames_writer_commit(), so `path` is never
 * seen half-written; objects carry no timestamps, so the same frames written in the same order
 * give the same bytes. Such a file is a source for tsct_frames_open() ("PATH::DATASET"). */
typedef struct tsct_frames_writer tsct_frames_writer;

typedef enum tsct_frames_compression {
    TSCT_FRAMES_COMPRESS_AUTO = 0,           /* bitshuffle-LZ4 if its HDF5 plugin loads (checked
                                                at run time with H5Zfilter_avail), else
                                                deflate level 1 */
    TSCT_FRAMES_COMPRESS_BITSHUFFLE_LZ4 = 1, /* filter 32008 with LZ4 (Dectris, ESRF); readers
                                                need the plugin (Debian: hdf5-filter-plugin) */
    TSCT_FRAMES_COMPRESS_DEFLATE = 2,        /* zlib level 1: readable everywhere */
    TSCT_FRAMES_COMPRESS_NONE = 3,
} tsct_frames_compression;

typedef struct tsct_frames_writer_params {
    const char *dataset;      /* "/entry/data/data" (default) */
    const char *monitor;      /* "/entry/instrument/monitor/data" (default); NULL: none */
    tsct_frames_compression compression;   /* AUTO (default) */
    const char *attr_name;    /* a string attribute on the root group (e.g. what made the */
    const char *attr_value;   /* file), or NULL (default) */
    const char *transmission; /* e.g. "/entry/instrument/transmission/data": a float64
                                 [nframes] of the sample's transmission at each frame (a
                                 diode behind the sample over the monitor); NULL (default):
                                 none */
} tsct_frames_writer_params;

#define TSCT_FRAMES_WRITER_PARAMS_DEFAULT                                                     \
    {"/entry/data/data", "/entry/instrument/monitor/data", TSCT_FRAMES_COMPRESS_AUTO, NULL,   \
     NULL, NULL}

/* Start the stack at `path` (params NULL = the defaults). Errors: TSCT_ERR_SHAPE (sizes < 1,
 * frames over 2^31 pixels), TSCT_ERR_VALUE (relative dataset paths), TSCT_ERR_UNSUPPORTED
 * (bitshuffle-LZ4 asked for and its plugin missing), TSCT_ERR_IO (folder missing or not
 * writable), TSCT_ERR_NOMEM. */
tsct_status tsct_frames_writer_create(const char *path, int64_t nframes, int64_t rows,
                                      int64_t cols, const tsct_frames_writer_params *params,
                                      tsct_frames_writer **out, tsct_error *err);

/* Write frames first .. first + count - 1 from frames[count][rows][cols] and their monitor
 * values monitor[count] (required if and only if the stack has a monitor dataset). Frames may
 * be written in any order and again; writing them in order gives the reproducible bytes.
 * Not thread-safe for one writer (HDF5 calls are serialised anyway). Errors: TSCT_ERR_VALUE
 * (outside the stack, monitor mismatch), TSCT_ERR_IO. */
tsct_status tsct_frames_writer_write(tsct_frames_writer *w, int64_t first, int64_t count,
                                     const uint32_t *frames, const double *monitor,
                                     tsct_error *err);

/* Write the transmission values[count] of frames first .. first + count - 1 (the stack must
 * have been created with params.transmission). Errors: TSCT_ERR_VALUE (outside the stack, no
 * transmission dataset), TSCT_ERR_IO. */
tsct_status tsct_frames_writer_write_transmission(tsct_frames_writer *w, int64_t first,
                                                  int64_t count, const double *values,
                                                  tsct_error *err);

/* Check that every frame was written (TSCT_ERR_STATE naming the first missing one), close,
 * fsync and rename into place. Frees the writer, also on error (the temporary file is then
 * removed). */
tsct_status tsct_frames_writer_commit(tsct_frames_writer *w, tsct_error *err);

/* Abandon the stack: close and remove the temporary file. NULL allowed. */
void tsct_frames_writer_destroy(tsct_frames_writer *w);

/* "bitshuffle-lz4", "deflate:1" or "none": the compression in use. */
const char *tsct_frames_writer_compression(const tsct_frames_writer *w);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_FRAMES_H */
