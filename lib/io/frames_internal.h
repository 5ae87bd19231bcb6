/* frames_internal.h - what frames.c (specs, slices, image files, masks) and frames_h5.c (HDF5
 * datasets, Dectris masters, virtual datasets) share; private to lib/io.
 *
 * A tsct_frames is a list of sources, each a run of frames of one file or dataset: frame k of
 * source s is index start + k * step of that file (EDF block, TIFF page, npy index) or of
 * axis 0 of that dataset. first[s] is the series index of its frame 0, so locating a frame is
 * a binary search. A spec may give several sources (a Dectris master: one per data file); its
 * slice is applied across them. Only frames_h5.c includes hdf5.h; it keeps its handles in
 * h5_dset (an hid_t) and the open files in the object's h5 list.
 */
#ifndef TSCT_FRAMES_INTERNAL_H
#define TSCT_FRAMES_INTERNAL_H

#include <stdint.h>

#include "tsct/frames.h"

enum { TSCT__SRC_IMAGE = 0, TSCT__SRC_H5 = 1 };

typedef struct tsct__frames_source {
    int kind;                   /* TSCT__SRC_IMAGE or TSCT__SRC_H5 */
    char *file;                 /* the file that holds the frames (a data file of a master) */
    char *dataset;              /* HDF5: dataset path in the spec's file; "" for images */
    char *via;                  /* how it was reached ("MASTER::/entry/data/data_000002") or "" */
    int64_t nframes;            /* frames in this source (after slicing) */
    int64_t start, step;        /* local index of frame k: start + k * step */
    tsct_image_format format;   /* images */
    tsct_image_dtype dtype;
    int mask_negative;          /* rule in force: 0 / 1 */
    double mask_overflow;       /* rule in force: 0 = none */
    int ndim;                   /* HDF5: 2 or 3 */
    int64_t h5_dset;            /* HDF5: open dataset (hid_t) */
    int chunk_filter;           /* HDF5: 32008 (bitshuffle-LZ4) or 32004 (LZ4) when each chunk
                                   is one frame and is checked before decoding; else 0 */
    int64_t elem_size;          /* HDF5: bytes per stored pixel */
} tsct__frames_source;

struct tsct__frames_h5;

struct tsct_frames {
    tsct__frames_source *src;
    int64_t nsrc, cap;
    int64_t *first;             /* [nsrc + 1] */
    int64_t nframes, rows, cols;
    tsct_frames_params params;
    tsct_frames_info info;
    int have_detector_meta;     /* a Dectris master filled info */
    uint8_t *pixel_mask;        /* rows * cols or NULL */
    struct tsct__frames_h5 *h5; /* open HDF5 files (frames_h5.c) */
};

/* frames_source.c: append a source (copies the strings); returns it, or NULL when out of
 * memory. */
tsct__frames_source *tsct__frames_add(tsct_frames *f, int kind, const char *file,
                                      const char *dataset, const char *via, int64_t nframes);
/* frames_source.c: a malloc'd copy of s ("" for NULL); NULL without memory. */
char *tsct__frames_strdup(const char *s);
/* frames_source.c: free what a source owns (its strings), not the source itself. */
void tsct__frames_source_free(tsct__frames_source *s);

/* frames_h5.c: 1 if the file starts with the HDF5 signature. */
int tsct__frames_is_hdf5(const char *path);

/* frames_h5.c: append the sources of one HDF5 spec (dataset "" = a Dectris master), unsliced,
 * with their shapes checked against f->rows / f->cols (set them if 0), and fill f->info with
 * the detector metadata of a master (and f->pixel_mask). */
tsct_status tsct__frames_h5_add(tsct_frames *f, const char *file, const char *dataset,
                                tsct_error *err);

/* frames_h5.c: read local frame `local` of an HDF5 source into buf (rows * cols floats);
 * `global` is its series index, for messages. Thread-safe (takes the HDF5 lock). */
tsct_status tsct__frames_h5_read(const tsct_frames *f, const tsct__frames_source *s,
                                 int64_t local, int64_t global, float *buf, tsct_error *err);

/* frames_chunk_check.c: 0 if a raw chunk of filter 32008 (bitshuffle with LZ4) or 32004 (LZ4)
 * is well formed and decodes to exactly `expect` bytes of elem_size-byte elements; otherwise
 * -1 and the reason in why. Decodes nothing. */
int tsct__chunk_check(const uint8_t *chunk, uint64_t size, int filter, uint64_t elem_size,
                      uint64_t expect, char *why, size_t why_size);

/* frames_h5.c: close every dataset and file. */
void tsct__frames_h5_close(tsct_frames *f);

#endif
