/* frames_write.c - the writer of HDF5 frame stacks (see include/tsct/frames.h): one file per
 * series of frames, [nframes][rows][cols] uint32 counts, one frame per chunk, compressed with
 * bitshuffle-LZ4 (filter 32008, the Dectris / ESRF choice) when the HDF5 plugin can be loaded
 * and with deflate level 1 otherwise, plus optional float64 monitor and transmission
 * [nframes].
 *
 * Design: the file is built under a temporary name (tsct/publish.h) and renamed into place by
 * the commit, so a reader never sees a half-written stack. Objects are created without
 * modification times (H5Pset_obj_track_times off) so that the same frames written in the same
 * order give the same bytes, which lets a resumed simulation be compared with an uninterrupted
 * one file for file.
 */
#include <stdlib.h>
#include <string.h>

#include "h5_internal.h"
#include "tsct/frames.h"

#define BSHUF_FILTER 32008

struct tsct_frames_writer {
    tsct_publish pub;
    char path[TSCT_PATH_MAX];
    hid_t file, data, monitor, transmission;
    int64_t nframes, rows, cols;
    uint8_t *written;          /* [nframes]: 1 once a frame was written */
    const char *compression;   /* static name */
};

/* The NeXus class of the groups this writer creates, by name. */
static const char *nx_class_of(const char *name)
{
    static const struct {
        const char *name, *cls;
    } table[] = {{"entry", "NXentry"},
                 {"data", "NXdata"},
                 {"instrument", "NXinstrument"},
                 {"monitor", "NXmonitor"},
                 {"detector", "NXdetector"}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(name, table[i].name) == 0)
            return table[i].cls;
    return NULL;
}

/* Create the missing parent groups of path, without timestamps. */
static int make_parents(hid_t file, const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    int rc = 0;
    for (char *s = strchr(buf + 1, '/'); s && rc == 0; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (!tsct__h5_exists(file, buf)) {
            hid_t g = H5Gcreate2(file, buf, H5P_DEFAULT, gcpl, H5P_DEFAULT);
            if (g < 0) {
                rc = -1;
            } else {
                const char *cls = nx_class_of(strrchr(buf, '/') + 1);
                if (cls)
                    rc = tsct__h5_set_attr_string(g, "NX_class", cls);
                H5Gclose(g);
            }
        }
        *s = '/';
    }
    H5Pclose(gcpl);
    return rc;
}

/* An HDF5 failure on the stack at path: "WHAT (HDF5: reason)". Caller holds the lock. */
static tsct_status h5_fail(tsct_error *err, const char *path, const char *item, const char *what)
{
    char reason[256];
    tsct__h5_reason(reason, sizeof reason);
    return tsct_error_set(err, TSCT_ERR_IO, path, item, -1, "%s%s%s%s", what,
                          reason[0] ? " (HDF5: " : "", reason, reason[0] ? ")" : "");
}

/* 1 if filter id can be used for writing (loading its plugin if needed). */
static int filter_usable(H5Z_filter_t id)
{
    if (H5Zfilter_avail(id) <= 0) {
        /* A dataset creation with the filter marked optional makes HDF5 load the plugin. */
        hid_t probe = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_filter(probe, id, H5Z_FLAG_OPTIONAL, 0, NULL);
        H5Pclose(probe);
    }
    unsigned flags = 0;
    int ok = H5Zfilter_avail(id) > 0 && H5Zget_filter_info(id, &flags) >= 0 &&
             (flags & H5Z_FILTER_CONFIG_ENCODE_ENABLED);
    H5Eclear2(H5E_DEFAULT);
    return ok;
}

void tsct_frames_writer_destroy(tsct_frames_writer *w)
{
    if (!w)
        return;
    TSCT__H5_LOCK();
    if (w->monitor >= 0)
        H5Dclose(w->monitor);
    if (w->transmission >= 0)
        H5Dclose(w->transmission);
    if (w->data >= 0)
        H5Dclose(w->data);
    if (w->file >= 0)
        H5Fclose(w->file);
    H5Eclear2(H5E_DEFAULT);
    TSCT__H5_UNLOCK();
    tsct_publish_abort(&w->pub);
    free(w->written);
    free(w);
}

const char *tsct_frames_writer_compression(const tsct_frames_writer *w)
{
    return w->compression;
}

tsct_status tsct_frames_writer_create(const char *path, int64_t nframes, int64_t rows,
                                      int64_t cols, const tsct_frames_writer_params *params,
                                      tsct_frames_writer **out, tsct_error *err)
{
    *out = NULL;
    tsct_frames_writer_params defaults = TSCT_FRAMES_WRITER_PARAMS_DEFAULT;
    const tsct_frames_writer_params *p = params ? params : &defaults;
    if (nframes < 1 || rows < 1 || cols < 1 || rows > (INT64_C(1) << 31) / cols)
        return tsct_error_set(err, TSCT_ERR_SHAPE, path, "frames", -1,
                              "cannot write %lld frames of %lld x %lld pixels",
                              (long long)nframes, (long long)rows, (long long)cols);
    if (!p->dataset || p->dataset[0] != '/' || (p->monitor && p->monitor[0] != '/') ||
        (p->transmission && p->transmission[0] != '/'))
        return tsct_error_set(err, TSCT_ERR_VALUE, path, "dataset", -1,
                              "dataset paths must be absolute (start with '/')");
    tsct_frames_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->written = calloc((size_t)nframes, 1))) {
        free(w);
        return tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "frame writer");
    }
    w->file = w->data = w->monitor = w->transmission = -1;
    w->nframes = nframes;
    w->rows = rows;
    w->cols = cols;
    snprintf(w->path, sizeof w->path, "%s", path);
    tsct_status st = tsct_publish_begin(&w->pub, path, err);
    if (st != TSCT_OK) {
        free(w->written);
        free(w);
        return st;
    }
    TSCT__H5_LOCK();
    hid_t dcpl = -1, space = -1, mspace = -1, mdcpl = -1;
    w->file = H5Fcreate(tsct_publish_tmp_path(&w->pub), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (w->file < 0)
        st = h5_fail(err, path, NULL, "cannot create the HDF5 file");
    if (st == TSCT_OK && (make_parents(w->file, p->dataset) < 0 ||
                          (p->monitor && make_parents(w->file, p->monitor) < 0) ||
                          (p->transmission && make_parents(w->file, p->transmission) < 0)))
        st = h5_fail(err, path, p->dataset, "cannot create the groups");
    if (st == TSCT_OK && p->attr_name && p->attr_value) {
        hid_t g = H5Gopen2(w->file, "/", H5P_DEFAULT);
        if (g < 0 || tsct__h5_set_attr_string(g, p->attr_name, p->attr_value) < 0)
            st = h5_fail(err, path, p->attr_name, "cannot write the attribute");
        if (g >= 0)
            H5Gclose(g);
    }
    if (st == TSCT_OK) {
        hsize_t dims[3] = {(hsize_t)nframes, (hsize_t)rows, (hsize_t)cols};
        hsize_t chunk[3] = {1, (hsize_t)rows, (hsize_t)cols};
        space = H5Screate_simple(3, dims, NULL);
        dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_obj_track_times(dcpl, 0);
        H5Pset_chunk(dcpl, 3, chunk);
        tsct_frames_compression comp = p->compression;
        if (comp == TSCT_FRAMES_COMPRESS_AUTO)
            comp = filter_usable(BSHUF_FILTER) ? TSCT_FRAMES_COMPRESS_BITSHUFFLE_LZ4
                                               : TSCT_FRAMES_COMPRESS_DEFLATE;
        if (comp == TSCT_FRAMES_COMPRESS_BITSHUFFLE_LZ4) {
            if (!filter_usable(BSHUF_FILTER)) {
                st = tsct_error_set(err, TSCT_ERR_UNSUPPORTED, path, "bitshuffle", -1,
                                    "HDF5 filter 32008 (bitshuffle) cannot be loaded (install "
                                    "Debian's hdf5-filter-plugin or set HDF5_PLUGIN_PATH)");
            } else {
                /* bitshuffle's parameters: block size (0 = automatic) and 2 = LZ4; its
                 * set_local puts them after the 3 values it fills in (version, element size),
                 * giving the {0, 3, 4, 0, 2} of Dectris files. */
                const unsigned cd[2] = {0, 2};
                H5Pset_filter(dcpl, BSHUF_FILTER, H5Z_FLAG_MANDATORY, 2, cd);
                w->compression = "bitshuffle-lz4";
            }
        } else if (comp == TSCT_FRAMES_COMPRESS_DEFLATE) {
            H5Pset_deflate(dcpl, 1);
            w->compression = "deflate:1";
        } else {
            w->compression = "none";
        }
    }
    if (st == TSCT_OK) {
        w->data = H5Dcreate2(w->file, p->dataset, H5T_STD_U32LE, space, H5P_DEFAULT, dcpl,
                             H5P_DEFAULT);
        if (w->data < 0)
            st = h5_fail(err, path, p->dataset, "cannot create the dataset");
    }
    /* The per-frame values: monitor and transmission, float64 [nframes]. */
    if (st == TSCT_OK && (p->monitor || p->transmission)) {
        hsize_t n = (hsize_t)nframes;
        mspace = H5Screate_simple(1, &n, NULL);
        mdcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_obj_track_times(mdcpl, 0);
    }
    const char *vpath[2] = {p->monitor, p->transmission};
    hid_t *vid[2] = {&w->monitor, &w->transmission};
    for (int k = 0; k < 2 && st == TSCT_OK; k++) {
        if (!vpath[k])
            continue;
        *vid[k] = H5Dcreate2(w->file, vpath[k], H5T_IEEE_F64LE, mspace, H5P_DEFAULT, mdcpl,
                             H5P_DEFAULT);
        if (*vid[k] < 0)
            st = h5_fail(err, path, vpath[k], "cannot create the dataset");
    }
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (mdcpl >= 0)
        H5Pclose(mdcpl);
    if (space >= 0)
        H5Sclose(space);
    if (mspace >= 0)
        H5Sclose(mspace);
    TSCT__H5_UNLOCK();
    if (st != TSCT_OK) {
        tsct_frames_writer_destroy(w);
        return st;
    }
    *out = w;
    return TSCT_OK;
}

/* values[count] into the float64 [nframes] dataset d from `first` on; < 0 on failure.
 * Under the HDF5 lock. */
static int write_values(hid_t d, int64_t first, int64_t count, const double *values)
{
    hsize_t start = (hsize_t)first, cnt = (hsize_t)count;
    hid_t fs = H5Dget_space(d), ms = H5Screate_simple(1, &cnt, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &cnt, NULL);
    int rc = H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, values) < 0 ? -1 : 0;
    H5Sclose(ms);
    H5Sclose(fs);
    return rc;
}

tsct_status tsct_frames_writer_write(tsct_frames_writer *w, int64_t first, int64_t count,
                                     const uint32_t *frames, const double *monitor,
                                     tsct_error *err)
{
    if (first < 0 || count < 1 || first > w->nframes - count)
        return tsct_error_set(err, TSCT_ERR_VALUE, w->path, "frames", first,
                              "frames %lld .. %lld outside the stack of %lld", (long long)first,
                              (long long)(first + count - 1), (long long)w->nframes);
    if ((w->monitor >= 0) != (monitor != NULL))
        return tsct_error_set(err, TSCT_ERR_VALUE, w->path, "monitor", first,
                              monitor ? "the stack was created without a monitor dataset"
                                      : "the stack has a monitor dataset: give its values");
    tsct_status st = TSCT_OK;
    TSCT__H5_LOCK();
    hsize_t start[3] = {(hsize_t)first, 0, 0};
    hsize_t cnt[3] = {(hsize_t)count, (hsize_t)w->rows, (hsize_t)w->cols};
    hid_t fs = H5Dget_space(w->data), ms = H5Screate_simple(3, cnt, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL);
    if (H5Dwrite(w->data, H5T_NATIVE_UINT32, ms, fs, H5P_DEFAULT, frames) < 0)
        st = h5_fail(err, w->path, "frames", "cannot write the frames");
    H5Sclose(ms);
    H5Sclose(fs);
    if (st == TSCT_OK && monitor && write_values(w->monitor, first, count, monitor) < 0)
        st = h5_fail(err, w->path, "monitor", "cannot write the monitor");
    TSCT__H5_UNLOCK();
    if (st == TSCT_OK)
        memset(w->written + first, 1, (size_t)count);
    return st;
}

tsct_status tsct_frames_writer_write_transmission(tsct_frames_writer *w, int64_t first,
                                                  int64_t count, const double *values,
                                                  tsct_error *err)
{
    if (first < 0 || count < 1 || first > w->nframes - count)
        return tsct_error_set(err, TSCT_ERR_VALUE, w->path, "transmission", first,
                              "frames %lld .. %lld outside the stack of %lld", (long long)first,
                              (long long)(first + count - 1), (long long)w->nframes);
    if (w->transmission < 0 || !values)
        return tsct_error_set(err, TSCT_ERR_VALUE, w->path, "transmission", first,
                              "the stack was created without a transmission dataset");
    tsct_status st = TSCT_OK;
    TSCT__H5_LOCK();
    if (write_values(w->transmission, first, count, values) < 0)
        st = h5_fail(err, w->path, "transmission", "cannot write the transmission");
    TSCT__H5_UNLOCK();
    return st;
}

tsct_status tsct_frames_writer_commit(tsct_frames_writer *w, tsct_error *err)
{
    tsct_status st = TSCT_OK;
    for (int64_t k = 0; k < w->nframes && st == TSCT_OK; k++)
        if (!w->written[k])
            st = tsct_error_set(err, TSCT_ERR_STATE, w->path, "frames", k,
                                "frame %lld of %lld was never written", (long long)k,
                                (long long)w->nframes);
    if (st == TSCT_OK) {
        TSCT__H5_LOCK();
        int bad = (w->monitor >= 0 && H5Dclose(w->monitor) < 0) |
                  (w->transmission >= 0 && H5Dclose(w->transmission) < 0) |
                  (H5Dclose(w->data) < 0);
        w->monitor = w->transmission = w->data = -1;
        bad |= H5Fclose(w->file) < 0;
        w->file = -1;
        if (bad)
            st = h5_fail(err, w->path, NULL, "cannot close the HDF5 file");
        TSCT__H5_UNLOCK();
    }
    if (st == TSCT_OK)
        st = tsct_publish_commit(&w->pub, err);
    tsct_frames_writer_destroy(w);
    return st;
}
