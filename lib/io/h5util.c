/* h5util.c - the HDF5 lock, error translation, groups with NeXus classes, string attributes
 * and careful file opening, shared by the container, steps and HDF5 frame readers.
 *
 * Opening is careful because users point tsct at anything: a missing file, a directory, a
 * TIFF named .h5, a file truncated by a full disk. Each case gets its own message naming the
 * file before HDF5 is asked to parse it, and HDF5's own reason is appended when it refuses.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "tsct/publish.h"
#include "h5_internal.h"
#include "tsct_config.h"

static pthread_once_t h5_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t h5_mutex;

static void h5_init(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&h5_mutex, &attr);
    pthread_mutexattr_destroy(&attr);
    H5open();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    /* Debian installs filter plugins (LZ4, bitshuffle) outside HDF5's compiled-in default;
     * an explicit HDF5_PLUGIN_PATH from the user still comes first. */
    if (TSCT_HDF5_PLUGIN_DIR[0]) {
        unsigned n = 0;
        int present = 0;
        H5PLsize(&n);
        for (unsigned i = 0; i < n && !present; i++) {
            char p[1024];
            present = H5PLget(i, p, sizeof p) > 0 && strcmp(p, TSCT_HDF5_PLUGIN_DIR) == 0;
        }
        if (!present)
            H5PLappend(TSCT_HDF5_PLUGIN_DIR);
    }
    /* Sanitizer builds: the Blosc plugin allocates its codec's context when HDF5 loads it and
     * never frees it; HDF5 unloads the plugin at exit, so LeakSanitizer reports the leak in
     * an <unknown module> that no suppression can name. Keeping the plugin mapped lets
     * tests/lsan.supp name it, while leaks of tsct's own still show. */
    if (strcmp(TSCT_SANITIZED, "ON") == 0 && TSCT_HDF5_PLUGIN_DIR[0]) {
        char so[1024];
        snprintf(so, sizeof so, "%s/libH5Zblosc.so", TSCT_HDF5_PLUGIN_DIR);
        (void)dlopen(so, RTLD_NOW | RTLD_NODELETE);
    }
}

void tsct__h5_lock(void)
{
    pthread_once(&h5_once, h5_init);
    pthread_mutex_lock(&h5_mutex);
}

void tsct__h5_unlock(void)
{
    pthread_mutex_unlock(&h5_mutex);
}

struct reason {
    char *buf;
    size_t size;
};

static herr_t reason_walk(unsigned n, const H5E_error2_t *e, void *data)
{
    (void)n;
    struct reason *r = data;
    /* Walking upward, the last entry seen is the innermost (most specific) one. */
    if (e->desc && e->desc[0]) {
        snprintf(r->buf, r->size, "%s", e->desc);
        return 1;
    }
    return 0;
}

void tsct__h5_reason(char *buf, size_t size)
{
    buf[0] = '\0';
    struct reason r = {buf, size};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, reason_walk, &r);
    H5Eclear2(H5E_DEFAULT);
}

int64_t tsct__free_bytes(const char *path)
{
    const char *fake = getenv("TSCT_TEST_FREE_BYTES");
    if (fake && *fake)
        return (int64_t)strtoll(fake, NULL, 10);
    struct statvfs v;
    if (statvfs(path, &v) != 0) {
        char dir[TSCT_PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash)
            slash[slash == dir ? 1 : 0] = '\0';
        else
            snprintf(dir, sizeof dir, ".");
        if (statvfs(dir, &v) != 0)
            return -1;
    }
    return (int64_t)v.f_bavail * (int64_t)v.f_frsize;
}

int tsct__disk_full(const char *path)
{
    const int64_t n = tsct__free_bytes(path);
    return n >= 0 && n < ((int64_t)1 << 20);
}

tsct_status tsct__h5_fail(tsct_error *err, tsct_status status, const tsct_container *c,
                          const char *item, const char *fmt, ...)
{
    char detail[512], reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    tsct__h5_reason(reason, sizeof reason);
    if (reason[0])
        return tsct_error_set(err, status, c ? c->path : NULL, item, -1, "%s (HDF5: %s)",
                              detail, reason);
    return tsct_error_set(err, status, c ? c->path : NULL, item, -1, "%s", detail);
}

int tsct__h5_extent(hid_t space, hsize_t *dims, hsize_t *maxdims, int cap)
{
    int nd = H5Sget_simple_extent_ndims(space);
    if (nd < 0 || nd > cap)
        return -1;
    return H5Sget_simple_extent_dims(space, dims, maxdims) == nd ? nd : -1;
}

int tsct__h5_get_attr_i64(hid_t obj, const char *name, int64_t *value)
{
    if (H5Aexists(obj, name) <= 0)
        return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    H5T_class_t cls = H5Tget_class(t);
    int rc = (cls == H5T_INTEGER || cls == H5T_FLOAT) && H5Sget_simple_extent_npoints(sp) == 1 &&
                     H5Aread(a, H5T_NATIVE_INT64, value) >= 0
                 ? 0
                 : -1;
    H5Tclose(t);
    H5Sclose(sp);
    H5Aclose(a);
    return rc;
}

int tsct__h5_exists(hid_t file, const char *path)
{
    if (!path || path[0] != '/')
        return 0;
    if (strcmp(path, "/") == 0)
        return 1;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (H5Lexists(file, buf, H5P_DEFAULT) <= 0) {
                H5Eclear2(H5E_DEFAULT);
                return 0;
            }
            /* A link must resolve to an object for the path to go on through it. */
            if (H5Oexists_by_name(file, buf, H5P_DEFAULT) <= 0) {
                H5Eclear2(H5E_DEFAULT);
                return 0;
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    return 1;
}

/* NeXus classes of the layout's groups (docs/FORMAT.md). Matched on the full path, with "*"
 * standing for one path component. */
static const struct {
    const char *pattern;
    const char *nx_class;
    const char *signal;  /* NXdata: the default plotted dataset */
} group_classes[] = {
    {"/entry", "NXentry", NULL},
    {"/entry/geometry", "NXcollection", NULL},
    {"/entry/scan", "NXcollection", NULL},
    {"/entry/integrated", "NXdata", "data"},
    {"/entry/sinograms", "NXdata", "data"},
    {"/entry/recon", "NXdata", "data"},
    {"/entry/pdf", "NXdata", "G"},
    {"/entry/maps", "NXcollection", NULL},
    {"/entry/fits", "NXcollection", NULL},
    {"/entry/fits/*", "NXcollection", NULL},
    {"/entry/process", "NXcollection", NULL},
    {"/entry/process/*", "NXprocess", NULL},
};

static int path_matches(const char *pattern, const char *path)
{
    while (*pattern && *path) {
        if (*pattern == '*') {
            while (*path && *path != '/')
                path++;
            pattern++;
        } else if (*pattern++ != *path++) {
            return 0;
        }
    }
    return *pattern == '\0' && *path == '\0';
}

static int label_group(hid_t g, const char *path)
{
    for (size_t i = 0; i < sizeof group_classes / sizeof group_classes[0]; i++) {
        if (!path_matches(group_classes[i].pattern, path))
            continue;
        if (tsct__h5_set_attr_string(g, "NX_class", group_classes[i].nx_class) < 0)
            return -1;
        if (group_classes[i].signal &&
            tsct__h5_set_attr_string(g, "signal", group_classes[i].signal) < 0)
            return -1;
        break;
    }
    return 0;
}

int tsct__h5_ensure_groups(hid_t file, const char *path, int is_group)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    size_t n = strlen(buf);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        if (buf[i] == '\0' && !is_group)
            break;
        char saved = buf[i];
        buf[i] = '\0';
        if (!tsct__h5_exists(file, buf)) {
            hid_t g = H5Gcreate2(file, buf, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            if (g < 0)
                return -1;
            int rc = label_group(g, buf);
            H5Gclose(g);
            if (rc < 0)
                return -1;
        }
        buf[i] = saved;
    }
    return 0;
}

hid_t tsct__h5_string_type(const char *value)
{
    /* Fixed length, not variable length: variable-length strings live in HDF5's global heap,
     * whose corruption makes HDF5 1.10 crash or loop forever (found by tests/test_corrupt.py);
     * fixed-length strings are stored inline in the object header. */
    size_t n = value ? strlen(value) : 0;
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, n ? n : 1);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    H5Tset_cset(type, H5T_CSET_UTF8);
    return type;
}

int tsct__h5_set_attr_string(hid_t obj, const char *name, const char *value)
{
    if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0)
        return -1;
    const char *v = value ? value : "";
    hid_t type = tsct__h5_string_type(v);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = -1;
    if (a >= 0) {
        /* A one-byte buffer for the empty string, whose type still has size 1. */
        rc = H5Awrite(a, type, v[0] ? v : "\0") < 0 ? -1 : 0;
        H5Aclose(a);
    }
    H5Sclose(space);
    H5Tclose(type);
    return rc;
}

int tsct__h5_get_attr_string(hid_t obj, const char *name, char *buf, size_t size)
{
    buf[0] = '\0';
    if (H5Aexists(obj, name) <= 0)
        return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    hid_t ftype = H5Aget_type(a);
    hid_t space = H5Aget_space(a);
    int rc = -1;
    if (H5Tget_class(ftype) == H5T_STRING && H5Sget_simple_extent_npoints(space) == 1) {
        if (H5Tis_variable_str(ftype) > 0) {
            hid_t mtype = H5Tcopy(H5T_C_S1);
            H5Tset_size(mtype, H5T_VARIABLE);
            H5Tset_cset(mtype, H5Tget_cset(ftype));
            char *v = NULL;
            if (H5Aread(a, mtype, &v) >= 0) {
                snprintf(buf, size, "%s", v ? v : "");
                H5free_memory(v);
                rc = 0;
            }
            H5Tclose(mtype);
        } else {
            size_t n = H5Tget_size(ftype);
            char *tmp = calloc(1, n + 1);
            hid_t mtype = H5Tcopy(ftype);
            if (tmp && H5Aread(a, mtype, tmp) >= 0) {
                snprintf(buf, size, "%s", tmp);
                rc = 0;
            }
            H5Tclose(mtype);
            free(tmp);
        }
    }
    H5Sclose(space);
    H5Tclose(ftype);
    H5Aclose(a);
    return rc;
}

/* HDF5's signature may sit at byte 0, 512, 1024, 2048, ... (a user block precedes it). */
static int has_hdf5_signature(const char *path, int64_t size)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    int found = 0;
    for (int64_t off = 0; off + 8 <= size && !found; off = off ? off * 2 : 512) {
        unsigned char buf[8];
        if (fseek(f, (long)off, SEEK_SET) != 0 || fread(buf, 1, 8, f) != 8)
            break;
        found = memcmp(buf, sig, 8) == 0;
    }
    fclose(f);
    return found;
}

tsct_status tsct__h5_open_file(const char *path, tsct_open_mode mode, tsct_container **out,
                               tsct_error *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return tsct_error_set(err, TSCT_ERR_NOT_FOUND, path, NULL, -1, "no such file");
        return tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "%s", strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return tsct_error_set(err, TSCT_ERR_FORMAT, path, NULL, -1,
                              "is a directory, expected an HDF5 file");
    if (access(path, mode == TSCT_OPEN_WRITE ? R_OK | W_OK : R_OK) != 0)
        return tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "%s", strerror(errno));
    if (st.st_size == 0)
        return tsct_error_set(err, TSCT_ERR_FORMAT, path, NULL, -1,
                              "empty file, expected an HDF5 file");
    if (!has_hdf5_signature(path, (int64_t)st.st_size))
        return tsct_error_set(err, TSCT_ERR_FORMAT, path, NULL, -1,
                              "not an HDF5 file (no HDF5 signature in its first bytes)");

    tsct_container *c = calloc(1, sizeof *c);
    if (!c)
        return tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "container handle");
    snprintf(c->path, sizeof c->path, "%s", path);
    c->writable = mode == TSCT_OPEN_WRITE;
    if (!c->writable)
        tsct_publish_note_input(path);

    TSCT__H5_LOCK();
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* Close everything with the file, so a forgotten dataset handle cannot keep it open. */
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    c->file = H5Fopen(path, c->writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
    /* Read the reason before any other HDF5 call clears the error stack. */
    char reason[256] = "";
    if (c->file < 0)
        tsct__h5_reason(reason, sizeof reason);
    H5Pclose(fapl);
    tsct_status status = TSCT_OK;
    if (c->file < 0) {
        const char *hint = tsct__disk_full(path) ? "no space left on the device that holds it"
                           : strstr(reason, "truncated") ? "the file is truncated"
                           : strstr(reason, "lock")    ? "the file is locked by another process"
                           : strstr(reason, "already open")
                               ? "the file is already open in this process in another mode"
                               : "the file is corrupt or unreadable";
        status = tsct_error_set(err, TSCT_ERR_FORMAT, path, NULL, -1,
                                "cannot open as HDF5: %s (HDF5: %s)", hint,
                                reason[0] ? reason : "no reason given");
        free(c);
        c = NULL;
    }
    TSCT__H5_UNLOCK();
    *out = c;
    return status;
}
