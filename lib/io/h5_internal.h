/* h5_internal.h - what the HDF5-wrapping files of lib/io share; private to lib/io.
 *
 * Only lib/io includes hdf5.h. Every HDF5 call runs under one process-wide recursive lock
 * (Debian builds HDF5 without its thread-safety option), taken by the public functions with
 * TSCT__H5_LOCK() / TSCT__H5_UNLOCK(). The first lock also silences HDF5's own error printing
 * (the library never prints; errors are turned into tsct_error messages with the innermost
 * HDF5 reason) and adds Debian's filter-plugin folder to the plugin search path.
 */
#ifndef TSCT_H5_INTERNAL_H
#define TSCT_H5_INTERNAL_H

#include <hdf5.h>

#include "tsct/array.h"
#include "tsct/container.h"
#include "tsct/publish.h"

struct tsct_container {
    hid_t file;
    char path[TSCT_PATH_MAX];
    int writable;
    int nexus;  /* a container opened for writing: labelled for viewers at close (nexus.c) */
};

/* One filter of a dataset's pipeline, as H5Pget_filter2 reports it (chunk_direct.c). */
struct tsct__chunk_filter {
    unsigned id;
    int optional;               /* H5Z_FLAG_OPTIONAL: a failure stores the chunk without it */
    size_t ncd;
    unsigned cd[8];
};

#define TSCT__CHUNK_FILTERS_MAX 4

/* What tsct's own threads need to write and read a dataset's chunks (chunk_direct.c). */
struct tsct__chunk_codec {
    int usable;                 /* float32 little-endian, chunked, only filters tsct knows */
    int nfilters;
    struct tsct__chunk_filter filter[TSCT__CHUNK_FILTERS_MAX];
    hsize_t chunk[8];
    size_t chunk_bytes;
    float fill;                 /* what the parts of an edge chunk outside the extent hold */
};

struct tsct_dataset {
    tsct_container *c;          /* file the dataset lives in */
    int *open_handles;          /* the staging step's count of open handles, or NULL */
    hid_t dset;
    char path[512];
    int ndim;
    int64_t shape[8];
    int row_rank;
    int nthreads;               /* threads for chunk (de)compression: tsct_dataset_set_threads */
    struct tsct__chunk_codec codec;
};

void tsct__h5_lock(void);
void tsct__h5_unlock(void);
#define TSCT__H5_LOCK() tsct__h5_lock()
#define TSCT__H5_UNLOCK() tsct__h5_unlock()

/* The innermost message of the current HDF5 error stack ("" if none), then clears the stack. */
void tsct__h5_reason(char *buf, size_t size);

/* Record an HDF5 failure: "DETAIL (HDF5: reason)". */
/* Bytes free for this process on the file system that holds path (its folder when path
 * does not exist), or -1 when unknown. The environment variable TSCT_TEST_FREE_BYTES, when
 * set, replaces the answer: the tests' way to see a full disk without filling one. */
int64_t tsct__free_bytes(const char *path);
/* 1 when the file system of path has less than a mebibyte free (a write failed for that). */
int tsct__disk_full(const char *path);

tsct_status tsct__h5_fail(tsct_error *err, tsct_status status, const tsct_container *c,
                          const char *item, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Create every missing group on `path`'s parent chain (and path itself if is_group), giving
 * the layout's groups their NeXus class. Returns 0 or a negative HDF5 status. */
int tsct__h5_ensure_groups(hid_t file, const char *path, int is_group);

/* 1 if a link exists at path (every component checked), else 0. */
int tsct__h5_exists(hid_t file, const char *path);

/* The extents of a dataspace into dims[cap] (and maxdims[cap] unless NULL). Returns the rank,
 * or -1 (nothing written) when it exceeds cap or the space cannot be read: a file may hold up
 * to 32 axes, so never pass a fixed array to H5Sget_simple_extent_dims unchecked. */
int tsct__h5_extent(hid_t space, hsize_t *dims, hsize_t *maxdims, int cap);

/* Read attribute `name` of obj as one int64: 0, or -1 when it is missing, not a single
 * number (an array would overflow *value) or unreadable. */
int tsct__h5_get_attr_i64(hid_t obj, const char *name, int64_t *value);

/* A fixed-length, NUL-padded UTF-8 string type that holds `value` (caller closes it). */
hid_t tsct__h5_string_type(const char *value);

/* Write a fixed-length UTF-8 string attribute, replacing an existing one. */
int tsct__h5_set_attr_string(hid_t obj, const char *name, const char *value);

/* Read a string attribute (fixed or variable length) into buf; returns 0, or -1 if missing or
 * not a string. */
int tsct__h5_get_attr_string(hid_t obj, const char *name, char *buf, size_t size);

/* Open a file after checking that it exists, is readable and is HDF5. */
tsct_status tsct__h5_open_file(const char *path, tsct_open_mode mode, tsct_container **out,
                               tsct_error *err);

/* Layout rules (container.c): check a layout dataset's shape against the axis vectors it
 * shares, looked up first in `staged` (a step's work file, or -1) and then in the container. */
tsct_status tsct__layout_check(const tsct_container *c, hid_t staged, const char *path, int ndim,
                               const int64_t *shape, tsct_error *err);

/* Check that a new axis vector agrees with the layout datasets that use it; datasets for which
 * skip(skip_user, path) is non-zero (about to be replaced) are ignored. */
tsct_status tsct__layout_check_vector(const tsct_container *c, const char *axis_path, int64_t n,
                                      int (*skip)(void *, const char *), void *skip_user,
                                      tsct_error *err);

/* Write a 1-D float64 dataset into `file`, replacing an old one; no layout check. c names the
 * file in messages. Caller holds the lock. */
tsct_status tsct__write_vector_raw(tsct_container *c, hid_t file, const char *path,
                                   const double *v, int64_t n, const char *units,
                                   tsct_error *err);

/* Create / open a dataset in c's file with the container's chunking, fill and compression
 * rules, without layout checks. in_step: staged by a step (chunk_axes 0 then means none).
 * Caller holds the lock. */
tsct_status tsct__dataset_create_in(tsct_container *c, const char *path, int ndim,
                                    const int64_t *shape, const tsct_dataset_params *params,
                                    int in_step, tsct_dataset **out, tsct_error *err);
tsct_status tsct__dataset_open_in(tsct_container *c, const char *path, tsct_dataset **out,
                                  tsct_error *err);

/* Give the container's groups the NeXus attributes viewers need (NX_class, signal, axes,
 * links to axes kept elsewhere, /entry@default), derived from what it holds; writes only what
 * differs (nexus.c). Caller holds the lock. */
tsct_status tsct__nexus_label(tsct_container *c, tsct_error *err);

/* Fill d->codec from the open dataset d->dset (chunk_direct.c). Caller holds the lock. */
void tsct__chunk_codec_probe(tsct_dataset *d);

/* Write / read slab start/count of d chunk by chunk, the filters run by d->nthreads threads
 * (chunk_direct.c): 1 when done that way (*st then says how it went), 0 when the slab cuts a
 * chunk or d's pipeline is not one tsct runs itself (nothing done; use H5Dwrite / H5Dread).
 * Caller does NOT hold the lock. */
int tsct__chunk_write(tsct_dataset *d, const int64_t *start, const int64_t *count,
                      const float *buf, tsct_status *st, tsct_error *err);
int tsct__chunk_read(tsct_dataset *d, const int64_t *start, const int64_t *count, float *buf,
                     tsct_status *st, tsct_error *err);

/* Time stamps (stamps.c). Longest stamp string kept (below the 64 KiB attribute limit). */
#define TSCT__STAMPS_MAX 60000

/* The stamps of a dataset of old_n time steps with stamps `old` after a run `run` wrote time
 * steps first .. first + count - 1 (malloc'd; "" if too long; NULL without memory). */
char *tsct__time_stamps_splice(const char *old, int64_t old_n, int64_t first, int64_t count,
                               const char *run);

/* The "time_stamps" attribute of the object at path ("" if none; malloc'd, NULL without
 * memory). Call with the HDF5 lock held. */
char *tsct__time_stamps_read(hid_t file, const char *path);

#endif
