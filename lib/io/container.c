/* container.c - the experiment container: files, layout checks, axes, attributes, datasets,
 * walking (see include/tsct/container.h and docs/FORMAT.md).
 *
 * Design: every dataset is float32 with axis 0 unlimited (time), chunked in tiles of whole
 * rows (a frame-row or voxel-row is never split; neighbouring rows share a chunk of about
 * 2 MiB, docs/FORMAT.md "Chunks") with a chunk cache sized for row-by-row access, compressed
 * through filters h5py and silx load too (Blosc-zstd by default, "Compression"), with NaN as
 * fill value so that time steps not yet written are visibly missing rather than zero. Shapes of the layout's datasets are checked against the axes they
 * share (q of a stage, the scan axes) when both exist, so inconsistent stages cannot be stored.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "h5_internal.h"
#include "tsct_config.h"

#define FILTER_LZ4 32004   /* HDF Group registry: LZ4 */
#define FILTER_BLOSC 32001 /* Blosc */
#define BLOSC_ZSTD 5       /* Blosc codec number of zstd */

/* ---- files ------------------------------------------------------------------------------ */

void tsct_path_split(const char *spec, char *file, size_t file_size, char *dataset,
                     size_t dataset_size)
{
    const char *sep = strstr(spec, "::");
    if (!sep) {
        snprintf(file, file_size, "%s", spec);
        dataset[0] = '\0';
        return;
    }
    size_t n = (size_t)(sep - spec);
    if (n >= file_size)
        n = file_size - 1;
    memcpy(file, spec, n);
    file[n] = '\0';
    snprintf(dataset, dataset_size, "%s", sep + 2);
}

const char *tsct_container_path(const tsct_container *c)
{
    return c->path;
}

static void iso_time_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

tsct_status tsct_container_create(const char *path, int overwrite, tsct_container **out,
                                  tsct_error *err)
{
    *out = NULL;
    if (!overwrite && access(path, F_OK) == 0)
        return tsct_error_set(err, TSCT_ERR_EXISTS, path, NULL, -1,
                              "file exists (remove it or ask to overwrite)");
    tsct_publish pub;
    TSCT_TRY(overwrite ? tsct_publish_begin_replace(&pub, path, err)
                       : tsct_publish_begin(&pub, path, err));

    TSCT__H5_LOCK();
    tsct_status status = TSCT_OK;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* The 1.8 format at least: dense attribute storage and robust large groups. */
    H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST);
    hid_t f = H5Fcreate(tsct_publish_tmp_path(&pub), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (f < 0) {
        status = tsct__h5_fail(err, TSCT_ERR_IO, NULL, NULL, "%s: cannot create HDF5 file", path);
    } else {
        char now[32], id[64];
        iso_time_now(now, sizeof now);
        /* An identity for this container, so a step's work file is never resumed into a
         * different experiment that happens to have the same name. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(id, sizeof id, "%lx-%lx-%x", (unsigned long)ts.tv_sec,
                 (unsigned long)ts.tv_nsec, (unsigned)getpid());
        int rc = tsct__h5_ensure_groups(f, "/entry", 1);
        hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
        hid_t entry = H5Gopen2(f, "/entry", H5P_DEFAULT);
        if (rc < 0 || root < 0 || entry < 0 ||
            tsct__h5_set_attr_string(root, "default", "entry") < 0 ||
            tsct__h5_set_attr_string(root, "creator", "tsct " TSCT_VERSION_STRING) < 0 ||
            tsct__h5_set_attr_string(root, "file_time", now) < 0 ||
            tsct__h5_set_attr_string(entry, "tsct_format", TSCT_FORMAT_VERSION) < 0 ||
            tsct__h5_set_attr_string(entry, "tsct_id", id) < 0)
            status = tsct__h5_fail(err, TSCT_ERR_IO, NULL, "/entry",
                                   "%s: cannot write the container layout", path);
        if (entry >= 0)
            H5Gclose(entry);
        if (root >= 0)
            H5Gclose(root);
        if (H5Fclose(f) < 0 && status == TSCT_OK)
            status = tsct__h5_fail(err, TSCT_ERR_IO, NULL, NULL, "%s: closing failed", path);
    }
    TSCT__H5_UNLOCK();
    if (status != TSCT_OK) {
        tsct_publish_abort(&pub);
        return status;
    }
    TSCT_TRY(tsct_publish_commit(&pub, err));
    return tsct_container_open(path, TSCT_OPEN_WRITE, out, err);
}

tsct_status tsct_h5file_open(const char *path, tsct_open_mode mode, tsct_container **out,
                             tsct_error *err)
{
    return tsct__h5_open_file(path, mode, out, err);
}

tsct_status tsct_container_open(const char *path, tsct_open_mode mode, tsct_container **out,
                                tsct_error *err)
{
    tsct_container *c = NULL;
    TSCT_TRY(tsct__h5_open_file(path, mode, &c, err));
    TSCT__H5_LOCK();
    tsct_status status = TSCT_OK;
    char version[64] = "";
    hid_t entry = tsct__h5_exists(c->file, "/entry") ? H5Gopen2(c->file, "/entry", H5P_DEFAULT)
                                                      : -1;
    if (entry < 0) {
        status = tsct_error_set(err, TSCT_ERR_FORMAT, path, "/entry", -1,
                                "not a tsct container: the group is missing");
    } else if (tsct__h5_get_attr_string(entry, "tsct_format", version, sizeof version) < 0) {
        status = tsct_error_set(err, TSCT_ERR_FORMAT, path, "/entry", -1,
                                "not a tsct container: attribute tsct_format is missing");
    } else if (atoi(version) != atoi(TSCT_FORMAT_VERSION)) {
        status = tsct_error_set(err, TSCT_ERR_FORMAT, path, "/entry", -1,
                                "container format %s, this tsct reads format %s", version,
                                TSCT_FORMAT_VERSION);
    }
    if (entry >= 0)
        H5Gclose(entry);
    H5Eclear2(H5E_DEFAULT);
    TSCT__H5_UNLOCK();
    if (status != TSCT_OK) {
        tsct_container_close(c, NULL);
        return status;
    }
    c->nexus = c->writable;
    *out = c;
    return TSCT_OK;
}

tsct_status tsct_container_flush(tsct_container *c, tsct_error *err)
{
    if (!c->writable)
        return TSCT_OK;
    TSCT__H5_LOCK();
    tsct_status st = TSCT_OK;
    if (H5Fflush(c->file, H5F_SCOPE_LOCAL) < 0)
        st = tsct__h5_fail(err, TSCT_ERR_IO, c, NULL, "flush to disk failed");
    TSCT__H5_UNLOCK();
    return st;
}

tsct_status tsct_container_close(tsct_container *c, tsct_error *err)
{
    if (!c)
        return TSCT_OK;
    TSCT__H5_LOCK();
    tsct_status st = TSCT_OK;
    if (c->nexus && c->writable && c->file >= 0)
        st = tsct__nexus_label(c, err);
    if (c->file >= 0 && H5Fclose(c->file) < 0 && st == TSCT_OK)
        st = tsct__h5_fail(err, TSCT_ERR_IO, c, NULL, "closing failed");
    TSCT__H5_UNLOCK();
    free(c);
    return st;
}

int tsct_container_exists(tsct_container *c, const char *path)
{
    TSCT__H5_LOCK();
    int e = tsct__h5_exists(c->file, path);
    TSCT__H5_UNLOCK();
    return e;
}

static tsct_status need_writable(tsct_container *c, const char *item, tsct_error *err)
{
    if (!c->writable)
        return tsct_error_set(err, TSCT_ERR_STATE, c->path, item, -1,
                              "the file was opened read-only");
    return TSCT_OK;
}

/* ---- the layout's shape rules ----------------------------------------------------------- */

/* Which axis vector each dimension of a layout dataset must match. NULL: unchecked (time,
 * which grows; image axes, which have no vector). "*" in a pattern matches one component. */
static const struct layout_rule {
    const char *pattern;
    int rank;
    const char *axis[5];
} layout_rules[] = {
    {TSCT_PATH_INTEGRATED, 5,
     {NULL, "/entry/scan/z", "/entry/scan/angle", "/entry/scan/translation",
      TSCT_PATH_INTEGRATED_Q}},
    {TSCT_PATH_INTEGRATED_SIGMA, 5,
     {NULL, "/entry/scan/z", "/entry/scan/angle", "/entry/scan/translation",
      TSCT_PATH_INTEGRATED_Q}},
    {TSCT_PATH_SINOGRAMS, 5,
     {NULL, "/entry/scan/z", "/entry/scan/angle", NULL, TSCT_PATH_SINOGRAMS_Q}},
    {TSCT_PATH_RECON, 5, {NULL, "/entry/scan/z", NULL, NULL, TSCT_PATH_RECON_Q}},
    {TSCT_PATH_PDF, 5, {NULL, "/entry/scan/z", NULL, NULL, TSCT_PATH_PDF_R}},
    {TSCT_PATH_PDF_DIFF, 5, {NULL, "/entry/scan/z", NULL, NULL, TSCT_PATH_PDF_R}},
    {"/entry/maps/*", 4, {NULL, "/entry/scan/z", NULL, NULL, NULL}},
    {"/entry/fits/*/parameters", 5, {NULL, "/entry/scan/z", NULL, NULL, NULL}},
    {"/entry/fits/*/esd", 5, {NULL, "/entry/scan/z", NULL, NULL, NULL}},
    {"/entry/fits/*/rwp", 4, {NULL, "/entry/scan/z", NULL, NULL, NULL}},
};

static int glob_match(const char *pattern, const char *path)
{
    while (*pattern && *path) {
        if (*pattern == '*') {
            if (*path == '/')
                return 0;
            while (*path && *path != '/')
                path++;
            pattern++;
        } else if (*pattern++ != *path++) {
            return 0;
        }
    }
    return *pattern == '\0' && *path == '\0';
}

static const struct layout_rule *find_rule(const char *path)
{
    for (size_t i = 0; i < sizeof layout_rules / sizeof layout_rules[0]; i++)
        if (glob_match(layout_rules[i].pattern, path))
            return &layout_rules[i];
    return NULL;
}

/* Length of the 1-D dataset at path in file, or -1 if absent. */
static int64_t vector_length(hid_t file, const char *path)
{
    if (file < 0 || !tsct__h5_exists(file, path))
        return -1;
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0) {
        H5Eclear2(H5E_DEFAULT);
        return -1;
    }
    hid_t s = H5Dget_space(d);
    hsize_t dims[1];
    int nd = tsct__h5_extent(s, dims, NULL, 1);
    H5Sclose(s);
    H5Dclose(d);
    return nd == 1 ? (int64_t)dims[0] : -1;
}

static const char *dim_name(const char *axis_path)
{
    const char *slash = strrchr(axis_path, '/');
    return slash ? slash + 1 : axis_path;
}

/* Check a layout dataset's shape against its rule; axes are looked up first in `staged`
 * (a step's work file, may be < 0) and then in the container. */
tsct_status tsct__layout_check(const tsct_container *c, hid_t staged, const char *path, int ndim,
                               const int64_t *shape, tsct_error *err)
{
    const struct layout_rule *r = find_rule(path);
    if (!r)
        return TSCT_OK;
    char buf[128];
    if (ndim != r->rank)
        return tsct_error_set(err, TSCT_ERR_SHAPE, c->path, path, -1,
                              "expected %d dimensions, got %d (shape %s)", r->rank, ndim,
                              tsct_shape_format(buf, sizeof buf, ndim, shape));
    for (int i = 0; i < ndim; i++) {
        if (!r->axis[i])
            continue;
        int64_t n = vector_length(staged, r->axis[i]);
        if (n < 0)
            n = vector_length(c->file, r->axis[i]);
        if (n >= 0 && n != shape[i])
            return tsct_error_set(err, TSCT_ERR_SHAPE, c->path, path, -1,
                                  "axis %d (%s) has %lld points but %s has %lld (shape %s)", i,
                                  dim_name(r->axis[i]), (long long)shape[i], r->axis[i],
                                  (long long)n, tsct_shape_format(buf, sizeof buf, ndim, shape));
    }
    return TSCT_OK;
}

tsct_status tsct__layout_check_vector(const tsct_container *c, const char *axis_path, int64_t n,
                                      int (*skip)(void *, const char *), void *skip_user,
                                      tsct_error *err)
{
    for (size_t i = 0; i < sizeof layout_rules / sizeof layout_rules[0]; i++) {
        const struct layout_rule *r = &layout_rules[i];
        if (strchr(r->pattern, '*') || !tsct__h5_exists(c->file, r->pattern))
            continue;
        if (skip && skip(skip_user, r->pattern))
            continue;
        for (int k = 0; k < r->rank; k++) {
            if (!r->axis[k] || strcmp(r->axis[k], axis_path) != 0)
                continue;
            hid_t d = H5Dopen2(c->file, r->pattern, H5P_DEFAULT);
            if (d < 0)
                continue;
            hid_t s = H5Dget_space(d);
            hsize_t dims[8] = {0};
            int nd = tsct__h5_extent(s, dims, NULL, 8);
            H5Sclose(s);
            H5Dclose(d);
            if (nd == r->rank && (int64_t)dims[k] != n)
                return tsct_error_set(err, TSCT_ERR_SHAPE, c->path, axis_path, -1,
                                      "%lld points given but %s has %lld along axis %d",
                                      (long long)n, r->pattern, (long long)dims[k], k);
        }
    }
    return TSCT_OK;
}

/* ---- vectors and attributes -------------------------------------------------------------- */

tsct_status tsct__write_vector_raw(tsct_container *c, hid_t file, const char *path,
                                   const double *v, int64_t n, const char *units,
                                   tsct_error *err)
{
    if (tsct__h5_ensure_groups(file, path, 0) < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, c, path, "cannot create parent groups");
    if (tsct__h5_exists(file, path) && H5Ldelete(file, path, H5P_DEFAULT) < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, c, path, "cannot replace the old dataset");
    hsize_t dims[1] = {(hsize_t)n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(file, path, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
    H5Sclose(space);
    if (d < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, c, path, "cannot create dataset");
    tsct_status st = TSCT_OK;
    if (n > 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
        st = tsct__h5_fail(err, TSCT_ERR_IO, c, path, "write failed");
    if (st == TSCT_OK && units && tsct__h5_set_attr_string(d, "units", units) < 0)
        st = tsct__h5_fail(err, TSCT_ERR_IO, c, path, "cannot write attribute units");
    H5Dclose(d);
    return st;
}

tsct_status tsct_container_write_vector(tsct_container *c, const char *path, const double *v,
                                        int64_t n, const char *units, tsct_error *err)
{
    TSCT_TRY(need_writable(c, path, err));
    if (n < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, c->path, path, -1, "negative length");
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return tsct_error_set(err, TSCT_ERR_VALUE, c->path, path, i,
                                  "axis values must be finite, found %g", v[i]);
    TSCT__H5_LOCK();
    tsct_status st = tsct__layout_check_vector(c, path, n, NULL, NULL, err);
    if (st == TSCT_OK)
        st = tsct__write_vector_raw(c, c->file, path, v, n, units, err);
    TSCT__H5_UNLOCK();
    return st;
}

tsct_status tsct_container_read_vector(tsct_container *c, const char *path, double **v,
                                       int64_t *n, tsct_error *err)
{
    *v = NULL;
    *n = 0;
    TSCT__H5_LOCK();
    tsct_status st = TSCT_OK;
    hid_t d = -1, s = -1;
    if (!tsct__h5_exists(c->file, path)) {
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, c->path, path, -1, "no such dataset");
        goto done;
    }
    d = H5Dopen2(c->file, path, H5P_DEFAULT);
    if (d < 0) {
        st = tsct__h5_fail(err, TSCT_ERR_FORMAT, c, path, "not a dataset");
        goto done;
    }
    s = H5Dget_space(d);
    hsize_t dims[1];
    int nd = H5Sget_simple_extent_ndims(s);
    if (nd == 1)
        nd = tsct__h5_extent(s, dims, NULL, 1);
    hid_t t = H5Dget_type(d);
    H5T_class_t cls = H5Tget_class(t);
    H5Tclose(t);
    if (nd != 1) {
        st = tsct_error_set(err, TSCT_ERR_SHAPE, c->path, path, -1,
                            "expected a 1-D dataset, found %d dimensions", nd);
        goto done;
    }
    if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
        st = tsct_error_set(err, TSCT_ERR_FORMAT, c->path, path, -1,
                            "expected numbers, found another type");
        goto done;
    }
    if (dims[0] > (hsize_t)TSCT_VECTOR_MAX) {
        st = tsct_error_set(err, TSCT_ERR_SHAPE, c->path, path, -1,
                            "%llu values, more than the limit %lld (TSCT_VECTOR_MAX)",
                            (unsigned long long)dims[0], (long long)TSCT_VECTOR_MAX);
        goto done;
    }
    *v = malloc((dims[0] ? dims[0] : 1) * sizeof **v);
    if (!*v) {
        st = tsct_error_set(err, TSCT_ERR_NOMEM, c->path, path, -1, "%llu values",
                            (unsigned long long)dims[0]);
        goto done;
    }
    if (dims[0] && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *v) < 0) {
        free(*v);
        *v = NULL;
        st = tsct__h5_fail(err, TSCT_ERR_FORMAT, c, path, "read failed");
        goto done;
    }
    *n = (int64_t)dims[0];
done:
    if (s >= 0)
        H5Sclose(s);
    if (d >= 0)
        H5Dclose(d);
    TSCT__H5_UNLOCK();
    return st;
}

static hid_t open_object(tsct_container *c, const char *path, tsct_error *err)
{
    if (!tsct__h5_exists(c->file, path)) {
        tsct_error_set(err, TSCT_ERR_NOT_FOUND, c->path, path, -1, "no such group or dataset");
        return -1;
    }
    hid_t o = H5Oopen(c->file, path, H5P_DEFAULT);
    if (o < 0)
        tsct__h5_fail(err, TSCT_ERR_FORMAT, c, path, "cannot open object");
    return o;
}

/* Write a numeric attribute (scalar if count == 1) on an open object, replacing one of the
 * same name; returns 0 or -1. Caller holds the HDF5 lock. */
static int write_attr_numeric(hid_t o, const char *name, hid_t file_type, hid_t mem_type,
                              const void *value, int64_t count)
{
    if (H5Aexists(o, name) > 0)
        H5Adelete(o, name);
    hsize_t dims[1] = {(hsize_t)count};
    hid_t space = count == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
    hid_t a = H5Acreate2(o, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, mem_type, value) >= 0 ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(space);
    return rc;
}

static tsct_status set_attr_numeric(tsct_container *c, const char *path, const char *name,
                                    hid_t file_type, hid_t mem_type, const void *value,
                                    int64_t count, tsct_error *err)
{
    TSCT_TRY(need_writable(c, path, err));
    TSCT__H5_LOCK();
    tsct_status st = TSCT_OK;
    hid_t o = open_object(c, path, err);
    if (o < 0) {
        st = err ? err->status : TSCT_ERR_NOT_FOUND;
        goto done;
    }
    if (write_attr_numeric(o, name, file_type, mem_type, value, count) < 0)
        st = tsct__h5_fail(err, TSCT_ERR_IO, c, path, "cannot write attribute %s", name);
    H5Oclose(o);
done:
    TSCT__H5_UNLOCK();
    return st;
}

tsct_status tsct_container_set_attr_double(tsct_container *c, const char *path,
                                           const char *name, double value, tsct_error *err)
{
    return set_attr_numeric(c, path, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, 1, err);
}

tsct_status tsct_container_set_attr_int(tsct_container *c, const char *path, const char *name,
                                        int64_t value, tsct_error *err)
{
    return set_attr_numeric(c, path, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, 1, err);
}

tsct_status tsct_container_set_attr_string(tsct_container *c, const char *path,
                                           const char *name, const char *value,
                                           tsct_error *err)
{
    TSCT_TRY(need_writable(c, path, err));
    TSCT__H5_LOCK();
    tsct_status st = TSCT_OK;
    hid_t o = open_object(c, path, err);
    if (o < 0) {
        st = err ? err->status : TSCT_ERR_NOT_FOUND;
    } else {
        if (tsct__h5_set_attr_string(o, name, value) < 0)
            st = tsct__h5_fail(err, TSCT_ERR_IO, c, path, "cannot write attribute %s", name);
        H5Oclose(o);
    }
    TSCT__H5_UNLOCK();
    return st;
}

tsct_status tsct_container_get_attr_string(tsct_container *c, const char *path,
                                           const char *name, char *value, size_t size,
                                           tsct_error *err)
{
    TSCT__H5_LOCK();
    tsct_status st = TSCT_OK;
    hid_t o = open_object(c, path, err);
    if (o < 0) {
        st = err ? err->status : TSCT_ERR_NOT_FOUND;
    } else {
        if (H5Aexists(o, name) <= 0)
            st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, c->path, path, -1,
                                "attribute %s is missing", name);
        else if (tsct__h5_get_attr_string(o, name, value, size) < 0)
            st = tsct_error_set(err, TSCT_ERR_FORMAT, c->path, path, -1,
                                "attribute %s is not a string", name);
        H5Oclose(o);
    }
    H5Eclear2(H5E_DEFAULT);
    TSCT__H5_UNLOCK();
    return st;
}

/* Read a numeric attribute (scalar or array of `count` values) as native `mem_type`. */
static tsct_status get_attr_numeric(tsct_container *c, const char *path, const char *name,
                                    hid_t mem_type, void *value, int64_t count,
                                    tsct_error *err)
{
    TSCT__H5_LOCK();
    tsct_status st = TSCT_OK;
    hid_t o = open_object(c, path, err);
    if (o < 0) {
        st = err ? err->status : TSCT_ERR_NOT_FOUND;
        goto done;
    }
    if (H5Aexists(o, name) <= 0) {
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, c->path, path, -1,
                            "attribute %s is missing", name);
    } else {
        hid_t a = H5Aopen(o, name, H5P_DEFAULT);
        hid_t t = H5Aget_type(a);
        hid_t s = H5Aget_space(a);
        H5T_class_t cls = H5Tget_class(t);
        hssize_t npts = H5Sget_simple_extent_npoints(s);
        if ((cls != H5T_INTEGER && cls != H5T_FLOAT) || npts != count)
            st = tsct_error_set(err, TSCT_ERR_FORMAT, c->path, path, -1,
                                "attribute %s: expected %lld number(s), found %lld %s", name,
                                (long long)count, (long long)npts,
                                cls == H5T_STRING ? "string(s)" : "value(s)");
        else if (H5Aread(a, mem_type, value) < 0)
            st = tsct__h5_fail(err, TSCT_ERR_FORMAT, c, path, "cannot read attribute %s", name);
        H5Sclose(s);
        H5Tclose(t);
        H5Aclose(a);
    }
    H5Oclose(o);
done:
    H5Eclear2(H5E_DEFAULT);
    TSCT__H5_UNLOCK();
    return st;
}

tsct_status tsct_container_get_attr_double(tsct_container *c, const char *path,
                                           const char *name, double *value, tsct_error *err)
{
    return get_attr_numeric(c, path, name, H5T_NATIVE_DOUBLE, value, 1, err);
}

tsct_status tsct_container_get_attr_int(tsct_container *c, const char *path, const char *name,
                                        int64_t *value, tsct_error *err)
{
    return get_attr_numeric(c, path, name, H5T_NATIVE_INT64, value, 1, err);
}

/* ---- geometry ---------------------------------------------------------------------------- */

static const struct {
    const char *name;
    size_t offset;
} geometry_doubles[] = {
    {"dist", offsetof(tsct_poni, dist)},         {"poni1", offsetof(tsct_poni, poni1)},
    {"poni2", offsetof(tsct_poni, poni2)},       {"rot1", offsetof(tsct_poni, rot1)},
    {"rot2", offsetof(tsct_poni, rot2)},         {"rot3", offsetof(tsct_poni, rot3)},
    {"wavelength", offsetof(tsct_poni, wavelength)},
    {"pixel1", offsetof(tsct_poni, pixel1)},     {"pixel2", offsetof(tsct_poni, pixel2)},
};
#define N_GEOMETRY_DOUBLES (sizeof geometry_doubles / sizeof geometry_doubles[0])

tsct_status tsct_container_write_geometry(tsct_container *c, const tsct_poni *g,
                                          tsct_error *err)
{
    TSCT_TRY(need_writable(c, TSCT_PATH_GEOMETRY, err));
    for (size_t i = 0; i < N_GEOMETRY_DOUBLES; i++) {
        double v = *(const double *)((const char *)g + geometry_doubles[i].offset);
        if (!isfinite(v))
            return tsct_error_set(err, TSCT_ERR_VALUE, c->path, TSCT_PATH_GEOMETRY, -1,
                                  "%s is not a finite number", geometry_doubles[i].name);
    }
    TSCT__H5_LOCK();
    int rc = tsct__h5_ensure_groups(c->file, TSCT_PATH_GEOMETRY, 1);
    TSCT__H5_UNLOCK();
    if (rc < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, c, TSCT_PATH_GEOMETRY, "cannot create group");
    for (size_t i = 0; i < N_GEOMETRY_DOUBLES; i++) {
        double v = *(const double *)((const char *)g + geometry_doubles[i].offset);
        TSCT_TRY(tsct_container_set_attr_double(c, TSCT_PATH_GEOMETRY, geometry_doubles[i].name,
                                                v, err));
    }
    TSCT_TRY(tsct_container_set_attr_string(c, TSCT_PATH_GEOMETRY, "detector", g->detector, err));
    TSCT_TRY(tsct_container_set_attr_int(c, TSCT_PATH_GEOMETRY, "orientation", g->orientation,
                                         err));
    TSCT_TRY(set_attr_numeric(c, TSCT_PATH_GEOMETRY, "shape", H5T_STD_I64LE, H5T_NATIVE_INT64,
                              g->shape, 2, err));
    return tsct_container_set_attr_string(c, TSCT_PATH_GEOMETRY, "units",
                                          "dist, poni1, poni2, pixel1, pixel2, wavelength: m; "
                                          "rot1, rot2, rot3: rad; shape: pixels (rows, columns)",
                                          err);
}

tsct_status tsct_container_read_geometry(tsct_container *c, tsct_poni *g, tsct_error *err)
{
    memset(g, 0, sizeof *g);
    if (!tsct_container_exists(c, TSCT_PATH_GEOMETRY))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, c->path, TSCT_PATH_GEOMETRY, -1,
                              "no detector geometry recorded");
    for (size_t i = 0; i < N_GEOMETRY_DOUBLES; i++) {
        double *v = (double *)((char *)g + geometry_doubles[i].offset);
        TSCT_TRY(tsct_container_get_attr_double(c, TSCT_PATH_GEOMETRY, geometry_doubles[i].name,
                                                v, err));
    }
    TSCT_TRY(tsct_container_get_attr_string(c, TSCT_PATH_GEOMETRY, "detector", g->detector,
                                            sizeof g->detector, err));
    int64_t orientation = 3;
    TSCT_TRY(tsct_container_get_attr_int(c, TSCT_PATH_GEOMETRY, "orientation", &orientation,
                                         err));
    g->orientation = (int)orientation;
    return get_attr_numeric(c, TSCT_PATH_GEOMETRY, "shape", H5T_NATIVE_INT64, g->shape, 2, err);
}

/* ---- walking ---------------------------------------------------------------------------- */

static void describe_type(hid_t t, char *buf, size_t size)
{
    H5T_class_t cls = H5Tget_class(t);
    size_t bits = 8 * H5Tget_size(t);
    if (cls == H5T_FLOAT)
        snprintf(buf, size, "float%zu", bits);
    else if (cls == H5T_INTEGER)
        snprintf(buf, size, "%sint%zu", H5Tget_sign(t) == H5T_SGN_NONE ? "u" : "", bits);
    else if (cls == H5T_STRING)
        snprintf(buf, size, "string");
    else if (cls == H5T_COMPOUND)
        snprintf(buf, size, "compound");
    else
        snprintf(buf, size, "other");
}

static void describe_filters(hid_t dcpl, char *buf, size_t size)
{
    buf[0] = '\0';
    int n = H5Pget_nfilters(dcpl);
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        unsigned flags, cd[8];
        size_t ncd = 8;
        char name[64] = "";
        H5Z_filter_t f = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, sizeof name, name,
                                        NULL);
        char one[32];
        if (f == H5Z_FILTER_DEFLATE)
            snprintf(one, sizeof one, "deflate:%u", ncd ? cd[0] : 0);
        else if (f == H5Z_FILTER_SHUFFLE)
            snprintf(one, sizeof one, "shuffle");
        else if (f == 32004)
            snprintf(one, sizeof one, "lz4");
        else if (f == 32008)
            snprintf(one, sizeof one, "bitshuffle");
        else if (f == FILTER_BLOSC)
            snprintf(one, sizeof one, ncd > 6 && cd[6] == BLOSC_ZSTD ? "blosc-zstd" : "blosc");
        else
            snprintf(one, sizeof one, "filter%d", (int)f);
        int k = snprintf(buf + used, size - used, "%s%s", used ? "+" : "", one);
        if (k < 0 || (size_t)k >= size - used)
            break;
        used += (size_t)k;
    }
}

struct walk_ctx {
    tsct_container *c;
    const char *root;
    tsct_walk_fn fn;
    void *user;
    int stopped;
};

static int visit_object(struct walk_ctx *w, const char *full)
{
    tsct_object_info info;
    memset(&info, 0, sizeof info);
    info.path = full;
    hid_t o = H5Oopen(w->c->file, full, H5P_DEFAULT);
    if (o < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;  /* dangling (e.g. external) link: nothing to describe */
    }
    H5I_type_t type = H5Iget_type(o);
    if (type == H5I_GROUP) {
        info.is_group = 1;
    } else if (type == H5I_DATASET) {
        hid_t s = H5Dget_space(o);
        hsize_t dims[8] = {0}, maxd[8] = {0};
        int nd = H5Sget_simple_extent_ndims(s);
        if (nd >= 0 && nd <= 8) {
            H5Sget_simple_extent_dims(s, dims, maxd);
            info.ndim = nd;
            for (int i = 0; i < nd; i++)
                info.shape[i] = (int64_t)dims[i];
            info.extendible = nd > 0 && maxd[0] == H5S_UNLIMITED;
        }
        H5Sclose(s);
        hid_t t = H5Dget_type(o);
        describe_type(t, info.dtype, sizeof info.dtype);
        H5Tclose(t);
        hid_t dcpl = H5Dget_create_plist(o);
        if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
            hsize_t ch[8] = {0};
            int cn = H5Pget_chunk(dcpl, 8, ch);
            for (int i = 0; i < cn && i < 8; i++)
                info.chunk[i] = (int64_t)ch[i];
        }
        describe_filters(dcpl, info.filters, sizeof info.filters);
        H5Pclose(dcpl);
    } else {
        H5Oclose(o);
        return 0;
    }
    H5Oclose(o);
    H5Eclear2(H5E_DEFAULT);
    return w->fn(w->user, &info);
}

static herr_t walk_cb(hid_t g, const char *name, const H5L_info_t *linfo, void *data)
{
    (void)g;
    struct walk_ctx *w = data;
    /* Soft links are aliases (the NeXus axis links of nexus.c): each object is listed once,
     * at its own path. */
    if (linfo->type == H5L_TYPE_SOFT)
        return 0;
    char full[1024];
    if (strcmp(w->root, "/") == 0)
        snprintf(full, sizeof full, "/%s", name);
    else
        snprintf(full, sizeof full, "%s/%s", w->root, name);
    if (visit_object(w, full)) {
        w->stopped = 1;
        return 1;
    }
    return 0;
}

tsct_status tsct_container_walk(tsct_container *c, const char *root, tsct_walk_fn fn,
                                void *user, tsct_error *err)
{
    TSCT__H5_LOCK();
    tsct_status st = TSCT_OK;
    struct walk_ctx w = {c, root, fn, user, 0};
    if (!tsct__h5_exists(c->file, root)) {
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, c->path, root, -1, "no such group");
    } else if (strcmp(root, "/") != 0 && visit_object(&w, root)) {
        w.stopped = 1;
    } else {
        hid_t g = H5Oopen(c->file, root, H5P_DEFAULT);
        if (g >= 0 && H5Iget_type(g) == H5I_GROUP &&
            H5Lvisit(g, H5_INDEX_NAME, H5_ITER_INC, walk_cb, &w) < 0 && !w.stopped)
            st = tsct__h5_fail(err, TSCT_ERR_FORMAT, c, root, "cannot list the group");
        if (g >= 0)
            H5Oclose(g);
    }
    H5Eclear2(H5E_DEFAULT);
    TSCT__H5_UNLOCK();
    return st;
}

struct attr_ctx {
    tsct_attr_fn fn;
    void *user;
};

static herr_t attr_cb(hid_t loc, const char *name, const H5A_info_t *ainfo, void *data)
{
    (void)ainfo;
    struct attr_ctx *ac = data;
    char value[4096] = "";
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = H5Aget_type(a);
    hid_t s = H5Aget_space(a);
    H5T_class_t cls = H5Tget_class(t);
    hssize_t n = H5Sget_simple_extent_npoints(s);
    if (cls == H5T_STRING) {
        tsct__h5_get_attr_string(loc, name, value, sizeof value);
    } else if ((cls == H5T_INTEGER || cls == H5T_FLOAT) && n >= 1 && n <= 64) {
        double v[64];
        if (H5Aread(a, H5T_NATIVE_DOUBLE, v) >= 0) {
            size_t used = 0;
            int array = H5Sget_simple_extent_type(s) != H5S_SCALAR;
            if (array)
                used += (size_t)snprintf(value, sizeof value, "[");
            for (hssize_t i = 0; i < n && used < sizeof value; i++)
                used += (size_t)snprintf(value + used, sizeof value - used, "%s%.17g",
                                         i ? ", " : "", v[i]);
            if (array && used < sizeof value)
                snprintf(value + used, sizeof value - used, "]");
        }
    } else {
        snprintf(value, sizeof value, "<%lld values>", (long long)n);
    }
    H5Sclose(s);
    H5Tclose(t);
    H5Aclose(a);
    return ac->fn(ac->user, name, value) ? 1 : 0;
}

tsct_status tsct_container_attrs(tsct_container *c, const char *path, tsct_attr_fn fn,
                                 void *user, tsct_error *err)
{
    TSCT__H5_LOCK();
    tsct_status st = TSCT_OK;
    hid_t o = open_object(c, path, err);
    if (o < 0) {
        st = err ? err->status : TSCT_ERR_NOT_FOUND;
    } else {
        struct attr_ctx ac = {fn, user};
        hsize_t idx = 0;
        if (H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_cb, &ac) < 0)
            st = tsct__h5_fail(err, TSCT_ERR_FORMAT, c, path, "cannot list attributes");
        H5Oclose(o);
    }
    H5Eclear2(H5E_DEFAULT);
    TSCT__H5_UNLOCK();
    return st;
}

/* ---- datasets ---------------------------------------------------------------------------- */

static int default_row_rank(int ndim)
{
    return ndim >= 5 ? 2 : 1;
}

static tsct_dataset *new_handle(tsct_container *c, hid_t d, const char *path, int ndim,
                                const int64_t *shape, int row_rank)
{
    tsct_dataset *ds = calloc(1, sizeof *ds);
    if (!ds)
        return NULL;
    ds->c = c;
    ds->dset = d;
    snprintf(ds->path, sizeof ds->path, "%s", path);
    ds->ndim = ndim;
    memcpy(ds->shape, shape, (size_t)ndim * sizeof *shape);
    ds->row_rank = row_rank;
    ds->nthreads = 1;
    tsct__chunk_codec_probe(ds);
    return ds;
}

static tsct_status check_dataset_path(const tsct_container *c, const char *path,
                                      tsct_error *err)
{
    if (!path || path[0] != '/' || strlen(path) >= 512)
        return tsct_error_set(err, TSCT_ERR_VALUE, c->path, path, -1,
                              "dataset paths are absolute and shorter than 512 bytes");
    return TSCT_OK;
}

/* ---- compression ---------------------------------------------------------------------------
 * The process default, set by a front end (tsct --compression), read at every dataset creation.
 * Filter ids from the HDF Group's registry; Blosc's parameters: cd_values[0..3] are filled by
 * the filter itself (format version, Blosc version, type size, chunk bytes), [4] the level,
 * [5] the shuffle (1: byte), [6] the codec (5: zstd). */


static pthread_mutex_t compression_lock = PTHREAD_MUTEX_INITIALIZER;
static tsct_compression default_kind = TSCT_COMPRESSION_DEFAULT;
static int default_level = 1;

tsct_status tsct_compression_parse(const char *text, tsct_compression *kind, int *level,
                                   tsct_error *err)
{
    *level = 1;
    if (text && strcmp(text, "none") == 0)
        *kind = TSCT_COMPRESSION_NONE;
    else if (text && strcmp(text, "lz4") == 0)
        *kind = TSCT_COMPRESSION_LZ4;
    else if (text && strcmp(text, "zstd") == 0)
        *kind = TSCT_COMPRESSION_ZSTD;
    else if (text && strcmp(text, "deflate") == 0)
        *kind = TSCT_COMPRESSION_DEFLATE;
    else if (text && strncmp(text, "deflate:", 8) == 0 && text[8] >= '1' && text[8] <= '9' &&
             text[9] == '\0') {
        *kind = TSCT_COMPRESSION_DEFLATE;
        *level = text[8] - '0';
    } else
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "compression", -1,
                              "'%s': expected none, lz4, zstd, deflate or deflate:LEVEL (1-9)",
                              text ? text : "");
    return TSCT_OK;
}

void tsct_compression_set_default(tsct_compression kind, int level)
{
    pthread_mutex_lock(&compression_lock);
    default_kind = kind;
    default_level = level;
    pthread_mutex_unlock(&compression_lock);
}

/* Is filter id usable? A plugin is loaded by HDF5 on first use, which setting it (optional)
 * on a scratch property list triggers. Caller holds the HDF5 lock. */
static int filter_usable(H5Z_filter_t id)
{
    if (H5Zfilter_avail(id) > 0)
        return 1;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_filter(dcpl, id, H5Z_FLAG_OPTIONAL, 0, NULL);
    H5Pclose(dcpl);
    int ok = H5Zfilter_avail(id) > 0;
    H5Eclear2(H5E_DEFAULT);
    return ok;
}

static tsct_status compression_check_in(tsct_compression kind, tsct_error *err)
{
    if (kind == TSCT_COMPRESSION_LZ4 && !filter_usable(FILTER_LZ4))
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "compression", -1,
                              "lz4: HDF5 filter 32004 not found (Debian package "
                              "hdf5-filter-plugin; HDF5_PLUGIN_PATH)");
    if (kind == TSCT_COMPRESSION_ZSTD && !filter_usable(FILTER_BLOSC))
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "compression", -1,
                              "zstd: HDF5 filter 32001 (Blosc) not found (Debian package "
                              "hdf5-filter-plugin-blosc-serial; HDF5_PLUGIN_PATH)");
    return TSCT_OK;
}

tsct_status tsct_compression_check(tsct_compression kind, tsct_error *err)
{
    TSCT__H5_LOCK();
    tsct_status st = compression_check_in(kind, err);
    TSCT__H5_UNLOCK();
    return st;
}

/* The filters of params p on dcpl. Caller holds the HDF5 lock. */
static tsct_status set_compression(hid_t dcpl, const tsct_dataset_params *p, tsct_error *err)
{
    tsct_compression kind = p->compression;
    int level = p->deflate;
    /* The process default replaces the default level 1 only: an explicit --deflate 0 (raw) or
     * 2..9 of a command stays what was asked. */
    if (kind == TSCT_COMPRESSION_DEFAULT && level == 1) {
        pthread_mutex_lock(&compression_lock);
        kind = default_kind;
        if (kind != TSCT_COMPRESSION_DEFAULT)
            level = default_level;
        pthread_mutex_unlock(&compression_lock);
    }
    if (kind == TSCT_COMPRESSION_DEFAULT)
        kind = level > 0 ? TSCT_COMPRESSION_DEFLATE : TSCT_COMPRESSION_NONE;
    TSCT_TRY(compression_check_in(kind, err));
    if (kind == TSCT_COMPRESSION_DEFLATE || kind == TSCT_COMPRESSION_LZ4)
        if (p->shuffle)
            H5Pset_shuffle(dcpl);
    if (kind == TSCT_COMPRESSION_DEFLATE)
        H5Pset_deflate(dcpl, (unsigned)(level >= 1 && level <= 9 ? level : 1));
    /* Optional, as h5py sets them: a chunk the codec cannot shrink (Blosc then reports a
     * failure) is stored as it is, its filter mask saying so, instead of failing the write. */
    else if (kind == TSCT_COMPRESSION_LZ4)
        H5Pset_filter(dcpl, FILTER_LZ4, H5Z_FLAG_OPTIONAL, 0, NULL);
    else if (kind == TSCT_COMPRESSION_ZSTD) {
        const unsigned cd[7] = {0, 0, 0, 0, 1, p->shuffle ? 1 : 0, BLOSC_ZSTD};
        H5Pset_filter(dcpl, FILTER_BLOSC, H5Z_FLAG_OPTIONAL, 7, cd);
    }
    return TSCT_OK;
}

/* The chunk cache of a dataset of extents dims[ndim] in chunks chunk[ndim] read and written by
 * rows of the trailing row_rank axes: the chunks one row touches, twice (a row being
 * written and the next one), at least 4 MiB and at most 256 MiB; HDF5's default (1 MiB)
 * would hold less than one 2 MiB chunk, and every row read would then decompress its chunk
 * again. Evict fully read or written chunks first (w0 = 1). */
static hid_t chunk_cache_plist(int ndim, const hsize_t *dims, const hsize_t *chunk,
                               int row_rank)
{
    double chunk_bytes = sizeof(float), per_row = 1.0;
    for (int i = 0; i < ndim; i++) {
        chunk_bytes *= (double)chunk[i];
        if (i >= ndim - row_rank && chunk[i] > 0)
            per_row *= (double)((dims[i] + chunk[i] - 1) / chunk[i]);
    }
    double bytes = 2.0 * per_row * chunk_bytes;
    bytes = bytes < (4 << 20) ? (4 << 20) : bytes > (256 << 20) ? (256 << 20) : bytes;
    /* HDF5 advises about 100 hash slots per chunk that fits, a prime against collisions. */
    double fit = bytes / (chunk_bytes > 0 ? chunk_bytes : 1.0);
    size_t slots = fit * 100 > 1e6 ? 1000003 : fit * 100 > 1e4 ? 100003 : 10007;
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    H5Pset_chunk_cache(dapl, slots, (size_t)bytes, 1.0);
    return dapl;
}

/* The chunk extents for a dataset of shape[ndim] (rows of the trailing row_rank axes, the last
 * axis cut to chunk_last): whole rows, halved on their leading axes down to 16 MiB, then grown
 * over the `axes` leading axes nearest the row while the chunk stays within the target. */
static void chunk_shape(int ndim, const int64_t *shape, int row_rank, int64_t chunk_last,
                        int axes, hsize_t *chunk)
{
    uint64_t chunk_bytes = sizeof(float);
    for (int i = 0; i < ndim; i++) {
        chunk[i] = i >= ndim - row_rank && shape[i] > 0 ? (hsize_t)shape[i] : 1;
        if (i == ndim - 1 && chunk_last > 0 && (hsize_t)chunk_last < chunk[i])
            chunk[i] = (hsize_t)chunk_last;
        chunk_bytes *= chunk[i];
    }
    /* HDF5 chunks must stay below 4 GiB, and a few chunks should fit in the chunk cache:
     * halve the leading axes of a row until a chunk is at most 16 MiB. */
    for (int i = ndim - row_rank; i < ndim - 1; i++) {
        while (chunk_bytes > (16u << 20) && chunk[i] > 1) {
            chunk_bytes = chunk_bytes / chunk[i];
            chunk[i] = (chunk[i] + 1) / 2;
            chunk_bytes *= chunk[i];
        }
    }
    for (int i = ndim - row_rank - 1; i >= ndim - row_rank - axes && i >= 0; i--) {
        if (2 * chunk_bytes > (uint64_t)TSCT_CHUNK_TARGET_BYTES || shape[i] < 2)
            break;
        uint64_t k = (uint64_t)TSCT_CHUNK_TARGET_BYTES / chunk_bytes;
        if (k > (uint64_t)shape[i])
            k = (uint64_t)shape[i];
        chunk[i] = (hsize_t)k;
        chunk_bytes *= k;
        if (k < (uint64_t)shape[i])
            break;
    }
}

tsct_status tsct__dataset_create_in(tsct_container *c, const char *path, int ndim,
                                    const int64_t *shape, const tsct_dataset_params *params,
                                    int in_step, tsct_dataset **out, tsct_error *err)
{
    static const tsct_dataset_params defaults = TSCT_DATASET_PARAMS_DEFAULT;
    const tsct_dataset_params *p = params ? params : &defaults;
    *out = NULL;
    char buf[128];
    TSCT_TRY(check_dataset_path(c, path, err));
    if (ndim < 1 || ndim > 8)
        return tsct_error_set(err, TSCT_ERR_SHAPE, c->path, path, -1,
                              "datasets have 1 to 8 dimensions, got %d", ndim);
    if (tsct_shape_size(ndim, shape) < 0)
        return tsct_error_set(err, TSCT_ERR_SHAPE, c->path, path, -1,
                              "shape %s is negative or too large",
                              tsct_shape_format(buf, sizeof buf, ndim, shape));
    int row_rank = p->row_rank > 0 ? p->row_rank : default_row_rank(ndim);
    if (row_rank > ndim)
        row_rank = ndim;
    if (p->deflate < 0 || p->deflate > 9)
        return tsct_error_set(err, TSCT_ERR_VALUE, c->path, path, -1,
                              "deflate level %d outside 0..9", p->deflate);
    if (tsct__h5_exists(c->file, path))
        return tsct_error_set(err, TSCT_ERR_EXISTS, c->path, path, -1, "dataset exists");
    if (tsct__h5_ensure_groups(c->file, path, 0) < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, c, path, "cannot create parent groups");

    hsize_t dims[8], maxdims[8], chunk[8];
    for (int i = 0; i < ndim; i++) {
        dims[i] = (hsize_t)shape[i];
        maxdims[i] = i == 0 ? H5S_UNLIMITED : (hsize_t)shape[i];
    }
    /* Time steps are appended and slices written one after the other (by resumable steps):
     * by default a chunk never spans two of them; a step's chunks grow only where its caller
     * says one unit of work covers the axes. */
    int axes = p->chunk_axes > 0 ? p->chunk_axes
             : p->chunk_axes < 0 || in_step ? 0
             : ndim >= 4 ? ndim - row_rank - 2 : ndim - row_rank;
    chunk_shape(ndim, shape, row_rank, p->chunk_last, axes, chunk);
    hid_t space = H5Screate_simple(ndim, dims, maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, ndim, chunk);
    float fill = NAN;
    H5Pset_fill_value(dcpl, H5T_NATIVE_FLOAT, &fill);
    tsct_status cst = set_compression(dcpl, p, err);
    if (cst != TSCT_OK) {
        H5Pclose(dcpl);
        H5Sclose(space);
        return cst;
    }
    hid_t dapl = chunk_cache_plist(ndim, dims, chunk, row_rank);
    hid_t d = H5Dcreate2(c->file, path, H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, dapl);
    H5Pclose(dapl);
    H5Pclose(dcpl);
    H5Sclose(space);
    if (d < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, c, path, "cannot create dataset");
    if ((p->units && tsct__h5_set_attr_string(d, "units", p->units) < 0) ||
        (p->long_name && tsct__h5_set_attr_string(d, "long_name", p->long_name) < 0)) {
        H5Dclose(d);
        return tsct__h5_fail(err, TSCT_ERR_IO, c, path, "cannot write attributes");
    }
    *out = new_handle(c, d, path, ndim, shape, row_rank);
    if (!*out) {
        H5Dclose(d);
        return tsct_error_set(err, TSCT_ERR_NOMEM, c->path, path, -1, "dataset handle");
    }
    return TSCT_OK;
}

tsct_status tsct_dataset_create(tsct_container *c, const char *path, int ndim,
                                const int64_t *shape, const tsct_dataset_params *params,
                                tsct_dataset **out, tsct_error *err)
{
    *out = NULL;
    TSCT_TRY(need_writable(c, path, err));
    TSCT__H5_LOCK();
    tsct_status st = tsct__layout_check(c, -1, path, ndim, shape, err);
    if (st == TSCT_OK)
        st = tsct__dataset_create_in(c, path, ndim, shape, params, 0, out, err);
    TSCT__H5_UNLOCK();
    return st;
}

tsct_status tsct__dataset_open_in(tsct_container *c, const char *path, tsct_dataset **out,
                                  tsct_error *err)
{
    *out = NULL;
    TSCT_TRY(check_dataset_path(c, path, err));
    if (!tsct__h5_exists(c->file, path))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, c->path, path, -1, "no such dataset");
    hid_t d = H5Dopen2(c->file, path, H5P_DEFAULT);
    if (d < 0)
        return tsct__h5_fail(err, TSCT_ERR_FORMAT, c, path, "not a dataset");
    hid_t t = H5Dget_type(d);
    H5T_class_t cls = H5Tget_class(t);
    H5Tclose(t);
    hid_t s = H5Dget_space(d);
    int nd = H5Sget_simple_extent_ndims(s);
    hsize_t dims[8] = {0};
    if (nd >= 0 && nd <= 8)
        H5Sget_simple_extent_dims(s, dims, NULL);
    H5Sclose(s);
    if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
        H5Dclose(d);
        return tsct_error_set(err, TSCT_ERR_FORMAT, c->path, path, -1,
                              "expected a numeric dataset");
    }
    if (nd < 1 || nd > 8) {
        H5Dclose(d);
        return tsct_error_set(err, TSCT_ERR_FORMAT, c->path, path, -1,
                              "expected 1 to 8 dimensions, found %d", nd);
    }
    int64_t shape[8];
    for (int i = 0; i < nd; i++)
        shape[i] = (int64_t)dims[i];
    int row_rank = default_row_rank(nd);
    /* Chunks hold whole rows: a file chunked by shorter rows (another tool's layout) is read
     * by those rows. Chunks of many rows (ours, docs/FORMAT.md) keep the default rows. The
     * dataset is opened again with a chunk cache for its chunks. */
    hid_t dcpl = H5Dget_create_plist(d);
    if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
        hsize_t ch[8];
        int cn = H5Pget_chunk(dcpl, 8, ch);
        int rr = 0;
        for (int i = cn - 1; i > 0 && ch[i] == dims[i]; i--)
            rr++;
        if (cn == nd && rr >= 1 && rr < row_rank)
            row_rank = rr;
        if (cn == nd) {
            hid_t dapl = chunk_cache_plist(nd, dims, ch, row_rank);
            hid_t again = H5Dopen2(c->file, path, dapl);
            H5Pclose(dapl);
            if (again >= 0) {
                H5Dclose(d);
                d = again;
            }
        }
    }
    H5Pclose(dcpl);
    /* Bounds before allocation: callers size their row buffers from the file's extents. */
    double row = 1.0, total = 1.0;
    for (int i = 0; i < nd; i++) {
        total *= (double)shape[i];
        if (i >= nd - row_rank)
            row *= (double)shape[i];
    }
    if (row > (double)TSCT_DATASET_ROW_MAX || total > (double)TSCT_DATASET_SIZE_MAX) {
        char sh[160];
        H5Dclose(d);
        return tsct_error_set(err, TSCT_ERR_SHAPE, c->path, path, -1,
                              "shape %s: rows of %.4g values or %.4g values in all, more than "
                              "the limits %lld (TSCT_DATASET_ROW_MAX) and %lld "
                              "(TSCT_DATASET_SIZE_MAX)",
                              tsct_shape_format(sh, sizeof sh, nd, shape), row, total,
                              (long long)TSCT_DATASET_ROW_MAX, (long long)TSCT_DATASET_SIZE_MAX);
    }
    *out = new_handle(c, d, path, nd, shape, row_rank);
    if (!*out) {
        H5Dclose(d);
        return tsct_error_set(err, TSCT_ERR_NOMEM, c->path, path, -1, "dataset handle");
    }
    return TSCT_OK;
}

tsct_status tsct_dataset_open(tsct_container *c, const char *path, tsct_dataset **out,
                              tsct_error *err)
{
    TSCT__H5_LOCK();
    tsct_status st = tsct__dataset_open_in(c, path, out, err);
    H5Eclear2(H5E_DEFAULT);
    TSCT__H5_UNLOCK();
    return st;
}

void tsct_dataset_close(tsct_dataset *d)
{
    if (!d)
        return;
    TSCT__H5_LOCK();
    H5Dclose(d->dset);
    TSCT__H5_UNLOCK();
    if (d->open_handles) /* staged by a step, which counts its open handles */
        (*d->open_handles)--;
    free(d);
}

int tsct_dataset_shape(const tsct_dataset *d, int64_t *shape)
{
    for (int i = 0; i < d->ndim; i++)
        shape[i] = d->shape[i];
    return d->ndim;
}

int64_t tsct_dataset_row_size(const tsct_dataset *d)
{
    return tsct_shape_size(d->row_rank, d->shape + d->ndim - d->row_rank);
}

int tsct_dataset_row_lead(const tsct_dataset *d)
{
    return d->ndim - d->row_rank;
}

void tsct_dataset_set_threads(tsct_dataset *d, int nthreads)
{
    d->nthreads = nthreads;
}

const char *tsct_dataset_path(const tsct_dataset *d)
{
    return d->path;
}

tsct_status tsct_dataset_set_attr_string(tsct_dataset *d, const char *name, const char *value,
                                         tsct_error *err)
{
    TSCT_TRY(need_writable(d->c, d->path, err));
    TSCT__H5_LOCK();
    tsct_status st = TSCT_OK;
    if (tsct__h5_set_attr_string(d->dset, name, value) < 0)
        st = tsct__h5_fail(err, TSCT_ERR_IO, d->c, d->path, "cannot write attribute %s", name);
    TSCT__H5_UNLOCK();
    return st;
}

tsct_status tsct_dataset_set_attr_double(tsct_dataset *d, const char *name, double value,
                                         tsct_error *err)
{
    TSCT_TRY(need_writable(d->c, d->path, err));
    TSCT__H5_LOCK();
    tsct_status st = TSCT_OK;
    if (write_attr_numeric(d->dset, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, 1) < 0)
        st = tsct__h5_fail(err, TSCT_ERR_IO, d->c, d->path, "cannot write attribute %s", name);
    TSCT__H5_UNLOCK();
    return st;
}

tsct_status tsct_dataset_extend(tsct_dataset *d, int64_t n0, tsct_error *err)
{
    TSCT_TRY(need_writable(d->c, d->path, err));
    if (n0 < d->shape[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, d->c->path, d->path, -1,
                              "cannot shrink axis 0 from %lld to %lld",
                              (long long)d->shape[0], (long long)n0);
    if (n0 == d->shape[0])
        return TSCT_OK;
    TSCT__H5_LOCK();
    tsct_status st = TSCT_OK;
    hsize_t dims[8];
    for (int i = 0; i < d->ndim; i++)
        dims[i] = (hsize_t)d->shape[i];
    dims[0] = (hsize_t)n0;
    if (H5Dset_extent(d->dset, dims) < 0)
        st = tsct__h5_fail(err, TSCT_ERR_IO, d->c, d->path,
                           "cannot extend axis 0 to %lld (is it extendible?)", (long long)n0);
    else
        d->shape[0] = n0;
    TSCT__H5_UNLOCK();
    return st;
}

static tsct_status select_slab(tsct_dataset *d, const int64_t *start, const int64_t *count,
                               hid_t *fspace, hid_t *mspace, int64_t *n, tsct_error *err)
{
    char want[128], have[128];
    hsize_t hs[8], hc[8];
    *n = 1;
    for (int i = 0; i < d->ndim; i++) {
        if (start[i] < 0 || count[i] < 0 || start[i] > d->shape[i] ||
            count[i] > d->shape[i] - start[i]) {
            int64_t end[8];
            for (int k = 0; k < d->ndim; k++)
                end[k] = start[k] + count[k];
            tsct_shape_format(want, sizeof want, d->ndim, end);
            tsct_shape_format(have, sizeof have, d->ndim, d->shape);
            return tsct_error_set(err, TSCT_ERR_SHAPE, d->c->path, d->path, -1,
                                  "slab on axis %d from %lld, %lld long, reaching %s, is outside "
                                  "the shape %s",
                                  i, (long long)start[i], (long long)count[i], want, have);
        }
        hs[i] = (hsize_t)start[i];
        hc[i] = (hsize_t)count[i];
        *n *= count[i];
    }
    if (*n == 0)
        return TSCT_OK;
    *fspace = H5Dget_space(d->dset);
    H5Sselect_hyperslab(*fspace, H5S_SELECT_SET, hs, NULL, hc, NULL);
    *mspace = H5Screate_simple(d->ndim, hc, NULL);
    return TSCT_OK;
}

tsct_status tsct_dataset_write(tsct_dataset *d, const int64_t *start, const int64_t *count,
                               const float *buf, tsct_error *err)
{
    TSCT_TRY(need_writable(d->c, d->path, err));
    TSCT__H5_LOCK();
    hid_t fs = -1, ms = -1;
    int64_t n;
    tsct_status st = select_slab(d, start, count, &fs, &ms, &n, err);
    if (st == TSCT_OK && n > 0 && d->codec.usable) {
        TSCT__H5_UNLOCK();
        if (tsct__chunk_write(d, start, count, buf, &st, err))
            n = 0;
        TSCT__H5_LOCK();
    }
    if (st == TSCT_OK && n > 0 &&
        H5Dwrite(d->dset, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, buf) < 0)
        st = tsct__h5_fail(err, TSCT_ERR_IO, d->c, d->path, "write failed");
    if (fs >= 0)
        H5Sclose(fs);
    if (ms >= 0)
        H5Sclose(ms);
    TSCT__H5_UNLOCK();
    return st;
}

tsct_status tsct_dataset_read(tsct_dataset *d, const int64_t *start, const int64_t *count,
                              float *buf, tsct_error *err)
{
    TSCT__H5_LOCK();
    hid_t fs = -1, ms = -1;
    int64_t n;
    tsct_status st = select_slab(d, start, count, &fs, &ms, &n, err);
    if (st == TSCT_OK && n > 0 && d->codec.usable) {
        TSCT__H5_UNLOCK();
        if (tsct__chunk_read(d, start, count, buf, &st, err))
            n = 0;
        TSCT__H5_LOCK();
    }
    if (st == TSCT_OK && n > 0 &&
        H5Dread(d->dset, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, buf) < 0)
        st = tsct__h5_fail(err, TSCT_ERR_FORMAT, d->c, d->path,
                           "read failed (corrupt data, or a compression filter is missing)");
    if (fs >= 0)
        H5Sclose(fs);
    if (ms >= 0)
        H5Sclose(ms);
    TSCT__H5_UNLOCK();
    return st;
}

static void row_slab(const tsct_dataset *d, const int64_t *lead, int64_t *start, int64_t *count)
{
    int nl = d->ndim - d->row_rank;
    for (int i = 0; i < d->ndim; i++) {
        start[i] = i < nl ? lead[i] : 0;
        count[i] = i < nl ? 1 : d->shape[i];
    }
}

tsct_status tsct_dataset_write_row(tsct_dataset *d, const int64_t *lead, const float *buf,
                                   tsct_error *err)
{
    int64_t start[8], count[8];
    row_slab(d, lead, start, count);
    return tsct_dataset_write(d, start, count, buf, err);
}

tsct_status tsct_dataset_read_row(tsct_dataset *d, const int64_t *lead, float *buf,
                                  tsct_error *err)
{
    int64_t start[8], count[8];
    row_slab(d, lead, start, count);
    return tsct_dataset_read(d, start, count, buf, err);
}

/* ---- features ---------------------------------------------------------------------------- */

void tsct_hdf5_info_get(tsct_hdf5_info *info)
{
    memset(info, 0, sizeof *info);
    TSCT__H5_LOCK();
    H5get_libversion(&info->major, &info->minor, &info->release);
    info->deflate = H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0;
    info->szip = H5Zfilter_avail(H5Z_FILTER_SZIP) > 0;
    /* Registered filter ids of the HDF Group's list: LZ4 32004, bitshuffle 32008,
     * Zstandard 32015, Blosc 32001. Plugins are loaded on first use, so try that. */
    static const H5Z_filter_t ids[4] = {32004, 32008, 32015, 32001};
    int *flags[4] = {&info->lz4, &info->bitshuffle, &info->zstd, &info->blosc};
    for (int i = 0; i < 4; i++) {
        int avail = H5Zfilter_avail(ids[i]) > 0;
        if (!avail) {
            /* A dataset creation with the filter marked optional makes HDF5 load the plugin. */
            hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
            H5Pset_filter(dcpl, ids[i], H5Z_FLAG_OPTIONAL, 0, NULL);
            H5Pclose(dcpl);
            avail = H5Zfilter_avail(ids[i]) > 0;
        }
        *flags[i] = avail;
    }
    unsigned n = 0;
    H5PLsize(&n);
    size_t used = 0;
    for (unsigned i = 0; i < n && used < sizeof info->plugin_path; i++) {
        char p[512];
        if (H5PLget(i, p, sizeof p) > 0) {
            int k = snprintf(info->plugin_path + used, sizeof info->plugin_path - used, "%s%s",
                             used ? ":" : "", p);
            if (k < 0)
                break;
            used += (size_t)k;
        }
    }
    H5Eclear2(H5E_DEFAULT);
    TSCT__H5_UNLOCK();
}
