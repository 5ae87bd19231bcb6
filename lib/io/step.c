/* step.c - resumable steps whose results reach the container only when complete
 * (see include/tsct/container.h, "steps", and docs/FORMAT.md).
 *
 * A step writes into a work file "EXP.h5.NAME.partial" beside the container:
 *   /                 attributes tsct_step, fingerprint, nunits, container_id, start_time
 *   /tsct_done        uint8 [nunits]: 1 for every unit whose rows are on disk
 *   /entry/...        the staged datasets and vectors, at the paths they will take
 * tsct_step_mark_done() flushes the data before it records the units and flushes again, so a
 * unit marked done is on disk whatever happens next. A run killed at any point leaves either
 * a work file that resumes, or (if HDF5 could not finish a metadata write) one that fails to
 * open and is discarded; the container itself is not written until the commit.
 *
 * Between two flushes HDF5 would write metadata whenever its cache evicts an entry: a chunk
 * index could then reach the disk pointing at chunks allocated after the last flush, beyond
 * the end of file recorded there, and a killed run would leave a work file that opens but
 * fails on the next write ("addr overflow"). The work file's metadata cache therefore never
 * evicts between flushes: metadata reach the disk only in the flushes of
 * tsct_step_mark_done(), consistent with the recorded end of file. (Units must also own their
 * chunks, see tsct_dataset_params chunk_last: a chunk shared with a finished unit would be
 * rewritten.) Right after each of those flushes, when every entry is clean, the cache is let
 * evict down to a megabyte (shed_clean_metadata): evicting a clean entry writes
 * nothing, and without it the cache would grow with every chunk index node the step ever
 * touched. The commit only reads the work file, through a 2 MB evicting cache. (Peak
 * memory of `tsct simulate --preset demo --set nq=20` with 1024 / 2048 time steps: 96 / 157
 * MB without this, 44 / 45 MB with it.)
 *
 * The commit first removes the old /entry/process/NAME record, then replaces or appends each
 * dataset (stamping its time steps, see stamps.c), writes the vectors, and writes the new
 * record last: a crash during the commit leaves
 * no record, the step is seen as not done, and the kept work file lets it commit again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "h5_internal.h"
#include "tsct_config.h"


#define DONE_PATH "/tsct_done"
#define OFFSET_ATTR "tsct_time_offset"
#define VECTOR_ATTR "tsct_vector"
#define MAX_STAGED 64

struct tsct_step {
    tsct_container *c;
    tsct_container *work;
    const tsct_log *log;
    char name[64];
    char work_path[TSCT_PATH_MAX];
    char *command, *config, *fingerprint, *settings, *inputs;
    int64_t nunits, ndone, time_first;
    uint8_t *done;
    hid_t done_dset;
    int resumed;
    int open_handles;
    double t0;
    char start_time[32];
};

void tsct_step_work_path(const char *container_path, const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s.%s.partial", container_path, name);
}

/* ISO 8601 UTC with microseconds: steps that end within the same second still differ, and
 * a later step's inputs id (tsct_step_inputs_id) changes whenever an input is rewritten. */
static void now_iso(char *buf, size_t size)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char s[32];
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    int n = snprintf(buf, size, "%.19s.%06dZ", s, (int)(ts.tv_nsec / 1000));
    if (n < 0 || (size_t)n >= size)
        buf[size - 1] = '\0';
}

static double wall_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static void step_free(tsct_step *s)
{
    if (!s)
        return;
    if (s->done_dset >= 0) {
        TSCT__H5_LOCK();
        H5Dclose(s->done_dset);
        TSCT__H5_UNLOCK();
    }
    tsct_container_close(s->work, NULL);
    free(s->command);
    free(s->config);
    free(s->fingerprint);
    free(s->settings);
    free(s->inputs);
    free(s->done);
    free(s);
}

static int valid_name(const char *name)
{
    if (!name || !name[0] || strlen(name) >= 64)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

/* Read the attributes of an existing work file and decide whether it can be resumed.
 * Returns 1 to resume, 0 to start afresh (reason in `why`). Caller holds the lock. */
static int work_matches(tsct_step *s, const char *container_id, char *why, size_t size)
{
    hid_t root = H5Gopen2(s->work->file, "/", H5P_DEFAULT);
    char name[64] = "", fp[4096] = "", cid[64] = "";
    int64_t nunits = -1;
    int ok = root >= 0 && tsct__h5_get_attr_string(root, "tsct_step", name, sizeof name) == 0 &&
             tsct__h5_get_attr_string(root, "fingerprint", fp, sizeof fp) == 0 &&
             tsct__h5_get_attr_string(root, "container_id", cid, sizeof cid) == 0;
    if (ok && H5Aexists(root, "nunits") > 0)
        ok = tsct__h5_get_attr_i64(root, "nunits", &nunits) == 0;
    if (root >= 0)
        H5Gclose(root);
    H5Eclear2(H5E_DEFAULT);
    if (!ok || !tsct__h5_exists(s->work->file, DONE_PATH)) {
        snprintf(why, size, "its bookkeeping is incomplete");
        return 0;
    }
    if (strcmp(name, s->name) != 0 || strcmp(cid, container_id) != 0) {
        snprintf(why, size, "it belongs to another container or step");
        return 0;
    }
    if (strcmp(fp, s->fingerprint) != 0 || nunits != s->nunits) {
        snprintf(why, size, "the inputs or settings have changed since");
        return 0;
    }
    return 1;
}

static tsct_status load_done(tsct_step *s, tsct_error *err)
{
    s->done_dset = H5Dopen2(s->work->file, DONE_PATH, H5P_DEFAULT);
    if (s->done_dset < 0)
        return tsct__h5_fail(err, TSCT_ERR_FORMAT, s->work, DONE_PATH, "cannot open");
    hid_t sp = H5Dget_space(s->done_dset);
    hsize_t n = 0;
    int nd = tsct__h5_extent(sp, &n, NULL, 1);
    H5Sclose(sp);
    if (nd != 1 || (int64_t)n != s->nunits)
        return tsct_error_set(err, TSCT_ERR_FORMAT, s->work_path, DONE_PATH, -1,
                              "expected %lld entries", (long long)s->nunits);
    if (H5Dread(s->done_dset, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, s->done) < 0)
        return tsct__h5_fail(err, TSCT_ERR_FORMAT, s->work, DONE_PATH, "cannot read");
    s->ndone = 0;
    for (int64_t i = 0; i < s->nunits; i++)
        s->ndone += s->done[i] != 0;
    return TSCT_OK;
}

/* The file's metadata cache configuration into cfg, with HDF5's adaptive resizing turned
 * off (the caller sets the size and evictions). 0, or -1 if it cannot be read. */
static int fixed_cache_config(hid_t f, H5AC_cache_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->version = H5AC__CURR_CACHE_CONFIG_VERSION;
    if (H5Fget_mdc_config(f, cfg) < 0)
        return -1;
    cfg->incr_mode = H5C_incr__off;
    cfg->flash_incr_mode = H5C_flash_incr__off;
    cfg->decr_mode = H5C_decr__off;
    return 0;
}

/* Keep dirty metadata in memory until a flush (see the file header). Between flushes the
 * cache grows with the metadata the units touch; shed_clean_metadata() trims it after each
 * flush. */
static void no_metadata_evictions(hid_t f)
{
    H5AC_cache_config_t cfg;
    if (fixed_cache_config(f, &cfg) < 0)
        return;
    cfg.evictions_enabled = 0;
    H5Fset_mdc_config(f, &cfg);
}

/* What the metadata cache keeps after a flush: the working set of a unit (the chunk index
 * nodes and object headers it is writing) fits many times over. */
#define CLEAN_CACHE_BYTES ((size_t)1 << 20)

/* For reading the work file once through (the commit): an evicting cache of fixed size. A
 * scan of every chunk index gains nothing from HDF5's adaptive cache, which would grow to
 * its 32 MB maximum on the misses. */
static void reading_metadata_cache(hid_t f)
{
    H5AC_cache_config_t cfg;
    if (fixed_cache_config(f, &cfg) < 0)
        return;
    cfg.evictions_enabled = 1;
    cfg.set_initial_size = 1;
    cfg.initial_size = 2 * CLEAN_CACHE_BYTES;
    cfg.min_size = CLEAN_CACHE_BYTES;
    cfg.max_size = 2 * CLEAN_CACHE_BYTES;
    H5Fset_mdc_config(f, &cfg);
}

/* Evict clean metadata entries down to CLEAN_CACHE_BYTES. Call only right after a flush, when
 * no entry is dirty, so that eviction writes nothing. Evictions are enabled with a smaller
 * cache (HDF5 notes the decrease), one metadata read (the root's attribute lookup) makes
 * HDF5 bring the cache down to that size, and evictions are disabled again. Best effort: a
 * failure only leaves the cache as it was. Caller holds the HDF5 lock. */
static void shed_clean_metadata(hid_t f)
{
    H5AC_cache_config_t cfg;
    if (fixed_cache_config(f, &cfg) < 0) /* resizing is off already (no_metadata_evictions) */
        return;
    size_t size = 0;
    if (H5Fget_mdc_size(f, NULL, NULL, &size, NULL) < 0 || size <= CLEAN_CACHE_BYTES)
        return;
    if (cfg.min_size > CLEAN_CACHE_BYTES)
        cfg.min_size = CLEAN_CACHE_BYTES;
    if (cfg.max_size < 2 * CLEAN_CACHE_BYTES)
        cfg.max_size = 2 * CLEAN_CACHE_BYTES;
    cfg.evictions_enabled = 1;
    cfg.set_initial_size = 1;
    cfg.initial_size = CLEAN_CACHE_BYTES;
    if (H5Fset_mdc_config(f, &cfg) >= 0)
        H5Aexists_by_name(f, "/", "tsct_step", H5P_DEFAULT);
    /* Back to no evictions, with the nominal size above CLEAN_CACHE_BYTES again so that the
     * next call is a decrease that HDF5 acts on. */
    cfg.evictions_enabled = 0;
    cfg.initial_size = cfg.max_size;
    H5Fset_mdc_config(f, &cfg);
}

static tsct_status create_work(tsct_step *s, const char *container_id, tsct_error *err)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST);
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    hid_t f = H5Fcreate(s->work_path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (f < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, s->c, NULL, "cannot create the work file %s",
                             s->work_path);
    s->work = calloc(1, sizeof *s->work);
    if (!s->work) {
        H5Fclose(f);
        return tsct_error_set(err, TSCT_ERR_NOMEM, s->work_path, NULL, -1, "handle");
    }
    s->work->file = f;
    s->work->writable = 1;
    no_metadata_evictions(f);
    snprintf(s->work->path, sizeof s->work->path, "%s", s->work_path);

    hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(root, "nunits", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, H5T_NATIVE_INT64, &s->nunits) >= 0 ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(space);
    if (rc < 0 || tsct__h5_set_attr_string(root, "tsct_step", s->name) < 0 ||
        tsct__h5_set_attr_string(root, "fingerprint", s->fingerprint) < 0 ||
        tsct__h5_set_attr_string(root, "container_id", container_id) < 0 ||
        tsct__h5_set_attr_string(root, "start_time", s->start_time) < 0) {
        H5Gclose(root);
        return tsct__h5_fail(err, TSCT_ERR_IO, s->work, "/", "cannot write attributes");
    }
    H5Gclose(root);

    hsize_t dims[1] = {(hsize_t)s->nunits};
    hsize_t chunk[1] = {(hsize_t)(s->nunits < 65536 ? s->nunits : 65536)};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, chunk);
    uint8_t zero = 0;
    H5Pset_fill_value(dcpl, H5T_NATIVE_UINT8, &zero);
    s->done_dset = H5Dcreate2(f, DONE_PATH, H5T_STD_U8LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(sp);
    if (s->done_dset < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, s->work, DONE_PATH, "cannot create");
    if (H5Fflush(f, H5F_SCOPE_LOCAL) < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, s->work, NULL, "flush failed");
    return TSCT_OK;
}

tsct_status tsct_step_begin(tsct_container *c, const tsct_step_info *info, const tsct_log *log,
                            tsct_step **out, tsct_error *err)
{
    *out = NULL;
    if (!c->writable)
        return tsct_error_set(err, TSCT_ERR_STATE, c->path, NULL, -1,
                              "the container was opened read-only");
    if (!valid_name(info->name))
        return tsct_error_set(err, TSCT_ERR_VALUE, c->path, "step", -1,
                              "step name \"%s\" must be 1-63 characters of a-z, 0-9, _",
                              info->name ? info->name : "");
    if (info->nunits < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, c->path, info->name, -1,
                              "a step needs at least one unit of work, got %lld",
                              (long long)info->nunits);
    tsct_step *s = calloc(1, sizeof *s);
    if (!s)
        return tsct_error_set(err, TSCT_ERR_NOMEM, c->path, info->name, -1, "step");
    s->c = c;
    s->log = log;
    s->done_dset = -1;
    snprintf(s->name, sizeof s->name, "%s", info->name);
    tsct_step_work_path(c->path, s->name, s->work_path, sizeof s->work_path);
    s->command = dup_or_empty(info->command);
    s->config = dup_or_empty(info->config);
    s->fingerprint = dup_or_empty(info->fingerprint);
    /* Settings and inputs too long for an attribute are not recorded: no reuse, no error. */
    const int stamped = info->settings && info->inputs &&
                        strlen(info->settings) < TSCT__STAMPS_MAX &&
                        strlen(info->inputs) < TSCT__STAMPS_MAX;
    s->settings = dup_or_empty(stamped ? info->settings : NULL);
    s->inputs = dup_or_empty(stamped ? info->inputs : NULL);
    s->time_first = info->time_first > 0 ? info->time_first : 0;
    s->nunits = info->nunits;
    s->done = calloc((size_t)info->nunits, 1);
    s->t0 = wall_clock();
    now_iso(s->start_time, sizeof s->start_time);
    if (!s->command || !s->config || !s->fingerprint || !s->settings || !s->inputs || !s->done) {
        step_free(s);
        return tsct_error_set(err, TSCT_ERR_NOMEM, c->path, info->name, -1,
                              "%lld units", (long long)info->nunits);
    }

    char container_id[64] = "";
    tsct_status st = tsct_container_get_attr_string(c, "/entry", "tsct_id", container_id,
                                                    sizeof container_id, err);
    if (st != TSCT_OK) {
        step_free(s);
        return st;
    }

    if (access(s->work_path, F_OK) == 0) {
        tsct_error werr = TSCT_ERROR_INIT;
        char why[1024] = "";
        if (tsct__h5_open_file(s->work_path, TSCT_OPEN_WRITE, &s->work, &werr) != TSCT_OK) {
            snprintf(why, sizeof why, "it cannot be read (%s)", werr.detail);
        } else {
            TSCT__H5_LOCK();
            no_metadata_evictions(s->work->file);
            int match = work_matches(s, container_id, why, sizeof why);
            tsct_status lst = match ? load_done(s, &werr) : TSCT_OK;
            TSCT__H5_UNLOCK();
            if (match && lst == TSCT_OK) {
                s->resumed = 1;
                tsct_log_msg(log, TSCT_LOG_INFO,
                             "%s: resuming an interrupted run: %lld of %lld units already done",
                             s->name, (long long)s->ndone, (long long)s->nunits);
                *out = s;
                return TSCT_OK;
            }
            if (match)
                snprintf(why, sizeof why, "its record of finished work is unreadable (%s)",
                         werr.detail);
            if (s->done_dset >= 0) {
                TSCT__H5_LOCK();
                H5Dclose(s->done_dset);
                TSCT__H5_UNLOCK();
                s->done_dset = -1;
            }
            tsct_container_close(s->work, NULL);
            s->work = NULL;
            memset(s->done, 0, (size_t)s->nunits);
            s->ndone = 0;
        }
        tsct_log_msg(log, TSCT_LOG_WARN, "%s: discarding partial results in %s: %s", s->name,
                     s->work_path, why);
        if (unlink(s->work_path) != 0) {
            st = tsct_error_set(err, TSCT_ERR_IO, s->work_path, NULL, -1, "cannot remove: %s",
                                strerror(errno));
            step_free(s);
            return st;
        }
    }

    TSCT__H5_LOCK();
    st = create_work(s, container_id, err);
    TSCT__H5_UNLOCK();
    if (st != TSCT_OK) {
        step_free(s);
        unlink(s->work_path);
        return st;
    }
    *out = s;
    return TSCT_OK;
}

static tsct_status read_offset(hid_t d, int64_t *off)
{
    *off = -1;
    if (H5Aexists(d, OFFSET_ATTR) <= 0)
        return TSCT_OK;
    return tsct__h5_get_attr_i64(d, OFFSET_ATTR, off) < 0 ? TSCT_ERR_FORMAT : TSCT_OK;
}

tsct_status tsct_step_dataset(tsct_step *s, const char *path, int ndim, const int64_t *shape,
                              int64_t time_offset, const tsct_dataset_params *params,
                              tsct_dataset **out, tsct_error *err)
{
    *out = NULL;
    if (time_offset < -1)
        return tsct_error_set(err, TSCT_ERR_VALUE, s->c->path, path, -1,
                              "time offset %lld: expected -1 (replace) or >= 0 (append)",
                              (long long)time_offset);
    TSCT__H5_LOCK();
    tsct_status st;
    if (time_offset < 0) {
        st = tsct__layout_check(s->c, s->work->file, path, ndim, shape, err);
    } else {
        /* Appended time steps: check the trailing axes only (time is the one that grows). */
        int64_t whole[8];
        memcpy(whole, shape, (size_t)ndim * sizeof *shape);
        whole[0] = time_offset + shape[0];
        st = tsct__layout_check(s->c, s->work->file, path, ndim, whole, err);
    }
    if (st != TSCT_OK)
        goto done;
    if (time_offset >= 0 && tsct__h5_exists(s->c->file, path)) {
        /* Appending: the existing data must have the same axes after time. */
        tsct_dataset *old = NULL;
        st = tsct__dataset_open_in(s->c, path, &old, err);
        if (st != TSCT_OK)
            goto done;
        char a[128], b[128];
        if (!tsct_shape_equal(old->ndim - 1, old->shape + 1, ndim - 1, shape + 1))
            st = tsct_error_set(err, TSCT_ERR_SHAPE, s->c->path, path, -1,
                                "cannot append time steps of shape %s to a dataset of shape %s",
                                tsct_shape_format(a, sizeof a, ndim, shape),
                                tsct_shape_format(b, sizeof b, old->ndim, old->shape));
        H5Dclose(old->dset);
        free(old);
        if (st != TSCT_OK)
            goto done;
    }
    if (tsct__h5_exists(s->work->file, path)) {
        st = tsct__dataset_open_in(s->work, path, out, err);
        if (st != TSCT_OK)
            goto done;
        int64_t off = -1;
        read_offset((*out)->dset, &off);
        char a[128], b[128];
        if (!tsct_shape_equal((*out)->ndim, (*out)->shape, ndim, shape) || off != time_offset) {
            st = tsct_error_set(err, TSCT_ERR_SHAPE, s->work_path, path, -1,
                                "the interrupted run staged shape %s at time offset %lld, this "
                                "run asks for %s at %lld",
                                tsct_shape_format(a, sizeof a, (*out)->ndim, (*out)->shape),
                                (long long)off, tsct_shape_format(b, sizeof b, ndim, shape),
                                (long long)time_offset);
            H5Dclose((*out)->dset);
            free(*out);
            *out = NULL;
            goto done;
        }
    } else {
        st = tsct__dataset_create_in(s->work, path, ndim, shape, params, 1, out, err);
        if (st != TSCT_OK)
            goto done;
        hid_t space = H5Screate(H5S_SCALAR);
        hid_t a = H5Acreate2((*out)->dset, OFFSET_ATTR, H5T_STD_I64LE, space, H5P_DEFAULT,
                             H5P_DEFAULT);
        herr_t rc = a >= 0 ? H5Awrite(a, H5T_NATIVE_INT64, &time_offset) : -1;
        if (a >= 0)
            H5Aclose(a);
        H5Sclose(space);
        if (rc < 0) {
            st = tsct__h5_fail(err, TSCT_ERR_IO, s->work, path, "cannot write attribute");
            H5Dclose((*out)->dset);
            free(*out);
            *out = NULL;
            goto done;
        }
    }
    (*out)->open_handles = &s->open_handles;
    s->open_handles++;
done:
    H5Eclear2(H5E_DEFAULT);
    TSCT__H5_UNLOCK();
    return st;
}

tsct_status tsct_step_vector(tsct_step *s, const char *path, const double *v, int64_t n,
                             const char *units, tsct_error *err)
{
    TSCT__H5_LOCK();
    tsct_status st = tsct__write_vector_raw(s->work, s->work->file, path, v, n, units, err);
    if (st == TSCT_OK) {
        hid_t d = H5Dopen2(s->work->file, path, H5P_DEFAULT);
        if (d < 0 || tsct__h5_set_attr_string(d, VECTOR_ATTR, "1") < 0)
            st = tsct__h5_fail(err, TSCT_ERR_IO, s->work, path, "cannot mark as vector");
        if (d >= 0)
            H5Dclose(d);
    }
    TSCT__H5_UNLOCK();
    return st;
}

tsct_status tsct_step_mark_done(tsct_step *s, int64_t first, int64_t count, tsct_error *err)
{
    if (first < 0 || count < 0 || first > s->nunits || count > s->nunits - first)
        return tsct_error_set(err, TSCT_ERR_VALUE, s->work_path, s->name, first,
                              "units %lld..%lld outside 0..%lld", (long long)first,
                              (long long)(first + count - 1), (long long)(s->nunits - 1));
    if (count == 0)
        return TSCT_OK;
    TSCT__H5_LOCK();
    tsct_status st = TSCT_OK;
    /* Data first, then the record: a unit is never marked before its rows are on disk. */
    if (H5Fflush(s->work->file, H5F_SCOPE_LOCAL) < 0) {
        st = tsct__h5_fail(err, TSCT_ERR_IO, s->work, NULL, "flush failed");
        goto done;
    }
    for (int64_t i = first; i < first + count; i++) {
        s->ndone += !s->done[i];
        s->done[i] = 1;
    }
    hsize_t start[1] = {(hsize_t)first}, cnt[1] = {(hsize_t)count};
    hid_t fs = H5Dget_space(s->done_dset);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL);
    hid_t ms = H5Screate_simple(1, cnt, NULL);
    herr_t rc = H5Dwrite(s->done_dset, H5T_NATIVE_UINT8, ms, fs, H5P_DEFAULT, s->done + first);
    H5Sclose(ms);
    H5Sclose(fs);
    if (rc < 0 || H5Fflush(s->work->file, H5F_SCOPE_LOCAL) < 0)
        st = tsct__h5_fail(err, TSCT_ERR_IO, s->work, DONE_PATH, "cannot record finished units");
    else
        shed_clean_metadata(s->work->file);
done:
    TSCT__H5_UNLOCK();
    return st;
}

int tsct_step_is_done(const tsct_step *s, int64_t i)
{
    return i >= 0 && i < s->nunits && s->done[i];
}

int64_t tsct_step_done_count(const tsct_step *s)
{
    return s->ndone;
}

int tsct_step_resumed(const tsct_step *s)
{
    return s->resumed;
}

/* ---- commit ------------------------------------------------------------------------------ */

struct staged {
    char path[512];
    int is_vector;
    int64_t offset;
};

struct staged_list {
    struct staged item[MAX_STAGED];
    int n;
    int overflow;
};

static herr_t collect_cb(hid_t g, const char *name, const H5L_info_t *li, void *data)
{
    (void)li;
    struct staged_list *l = data;
    char full[512];
    snprintf(full, sizeof full, "/%s", name);
    if (strcmp(full, DONE_PATH) == 0)
        return 0;
    hid_t o = H5Oopen(g, name, H5P_DEFAULT);
    if (o < 0)
        return 0;
    if (H5Iget_type(o) == H5I_DATASET) {
        if (l->n == MAX_STAGED) {
            l->overflow = 1;
        } else {
            struct staged *s = &l->item[l->n++];
            snprintf(s->path, sizeof s->path, "%s", full);
            s->is_vector = H5Aexists(o, VECTOR_ATTR) > 0;
            read_offset(o, &s->offset);
        }
    }
    H5Oclose(o);
    return 0;
}

static int is_replaced(void *user, const char *path)
{
    const struct staged_list *l = user;
    for (int i = 0; i < l->n; i++)
        if (!l->item[i].is_vector && l->item[i].offset < 0 && strcmp(l->item[i].path, path) == 0)
            return 1;
    return 0;
}

/* Append (or overwrite) time steps offset .. offset + n - 1 of `path` in the container from the
 * work file, row by row. */
static tsct_status append_rows(tsct_step *s, const char *path, int64_t offset, tsct_error *err)
{
    tsct_dataset *src = NULL, *dst = NULL;
    float *row = NULL;
    tsct_status st = tsct__dataset_open_in(s->work, path, &src, err);
    if (st == TSCT_OK)
        st = tsct__dataset_open_in(s->c, path, &dst, err);
    if (st != TSCT_OK)
        goto done;
    char a[128], b[128];
    if (src->ndim != dst->ndim || src->row_rank != dst->row_rank ||
        !tsct_shape_equal(src->ndim - 1, src->shape + 1, dst->ndim - 1, dst->shape + 1)) {
        st = tsct_error_set(err, TSCT_ERR_SHAPE, s->c->path, path, -1,
                            "cannot append time steps of shape %s to a dataset of shape %s",
                            tsct_shape_format(a, sizeof a, src->ndim, src->shape),
                            tsct_shape_format(b, sizeof b, dst->ndim, dst->shape));
        goto done;
    }
    if (dst->shape[0] < offset + src->shape[0]) {
        hsize_t dims[8];
        for (int i = 0; i < dst->ndim; i++)
            dims[i] = (hsize_t)dst->shape[i];
        dims[0] = (hsize_t)(offset + src->shape[0]);
        if (H5Dset_extent(dst->dset, dims) < 0) {
            st = tsct__h5_fail(err, TSCT_ERR_IO, s->c, path, "cannot extend along time");
            goto done;
        }
        dst->shape[0] = (int64_t)dims[0];
    }
    int64_t rowsize = tsct_dataset_row_size(src);
    int lead = tsct_dataset_row_lead(src);
    int64_t nrows = tsct_shape_size(lead, src->shape);
    row = malloc((size_t)(rowsize > 0 ? rowsize : 1) * sizeof *row);
    if (!row) {
        st = tsct_error_set(err, TSCT_ERR_NOMEM, s->c->path, path, -1, "row buffer");
        goto done;
    }
    for (int64_t r = 0; r < nrows && st == TSCT_OK; r++) {
        int64_t idx[8];
        int64_t rem = r;
        for (int i = lead - 1; i >= 0; i--) {
            idx[i] = rem % src->shape[i];
            rem /= src->shape[i];
        }
        st = tsct_dataset_read_row(src, idx, row, err);
        idx[0] += offset;
        if (st == TSCT_OK)
            st = tsct_dataset_write_row(dst, idx, row, err);
    }
done:
    free(row);
    if (src) {
        H5Dclose(src->dset);
        free(src);
    }
    if (dst) {
        H5Dclose(dst->dset);
        free(dst);
    }
    return st;
}

static tsct_status replace_dataset(tsct_step *s, const char *path, tsct_error *err)
{
    static const char incoming[] = "/entry/tsct_incoming";
    hid_t cf = s->c->file;
    if (tsct__h5_ensure_groups(cf, path, 0) < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, s->c, path, "cannot create parent groups");
    if (tsct__h5_exists(cf, incoming))
        H5Ldelete(cf, incoming, H5P_DEFAULT);
    /* Copy under a scratch name first, so the old dataset is replaced by a whole new one. */
    if (H5Ocopy(s->work->file, path, cf, incoming, H5P_DEFAULT, H5P_DEFAULT) < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, s->c, path, "cannot copy from %s", s->work_path);
    hid_t d = H5Dopen2(cf, incoming, H5P_DEFAULT);
    if (d >= 0) {
        if (H5Aexists(d, OFFSET_ATTR) > 0)
            H5Adelete(d, OFFSET_ATTR);
        H5Dclose(d);
    }
    if (tsct__h5_exists(cf, path) && H5Ldelete(cf, path, H5P_DEFAULT) < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, s->c, path, "cannot remove the old dataset");
    if (H5Lmove(cf, incoming, cf, path, H5P_DEFAULT, H5P_DEFAULT) < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, s->c, path, "cannot move into place");
    return TSCT_OK;
}

static tsct_status copy_vector(tsct_step *s, const char *path, tsct_error *err)
{
    double *v = NULL;
    int64_t n = 0;
    char units[128] = "";
    TSCT_TRY(tsct_container_read_vector(s->work, path, &v, &n, err));
    hid_t d = H5Dopen2(s->work->file, path, H5P_DEFAULT);
    if (d >= 0) {
        tsct__h5_get_attr_string(d, "units", units, sizeof units);
        H5Dclose(d);
    }
    tsct_status st = tsct__write_vector_raw(s->c, s->c->file, path, v, n,
                                            units[0] ? units : NULL, err);
    free(v);
    return st;
}

static tsct_status write_process(tsct_step *s, const char *end, tsct_error *err)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", TSCT_PATH_PROCESS, s->name);
    if (tsct__h5_ensure_groups(s->c->file, path, 1) < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, s->c, path, "cannot create group");
    hid_t g = H5Gopen2(s->c->file, path, H5P_DEFAULT);
    if (g < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, s->c, path, "cannot open group");
    char wall[64], units[32];
    snprintf(wall, sizeof wall, "%.3f", wall_clock() - s->t0);
    snprintf(units, sizeof units, "%lld", (long long)s->nunits);
    int rc = 0;
    rc |= tsct__h5_set_attr_string(g, "program", "tsct");
    rc |= tsct__h5_set_attr_string(g, "version", TSCT_VERSION_STRING);
    rc |= tsct__h5_set_attr_string(g, "command", s->command);
    rc |= tsct__h5_set_attr_string(g, "fingerprint", s->fingerprint);
    rc |= tsct__h5_set_attr_string(g, "start_time", s->start_time);
    rc |= tsct__h5_set_attr_string(g, "end_time", end);
    rc |= tsct__h5_set_attr_string(g, "wall_time_s", wall);
    rc |= tsct__h5_set_attr_string(g, "units_of_work", units);
    rc |= tsct__h5_set_attr_string(g, "resumed", s->resumed ? "yes" : "no");
    if (s->settings[0]) {
        char first[32];
        snprintf(first, sizeof first, "%lld", (long long)s->time_first);
        rc |= tsct__h5_set_attr_string(g, "settings", s->settings);
        rc |= tsct__h5_set_attr_string(g, "inputs", s->inputs);
        rc |= tsct__h5_set_attr_string(g, "time_first", first);
    }
    /* The configuration can be long: a dataset, not an attribute (64 KiB limit). */
    if (rc == 0) {
        hid_t type = tsct__h5_string_type(s->config);
        hid_t space = H5Screate(H5S_SCALAR);
        hid_t d = H5Dcreate2(g, "config", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (d < 0 || H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                              s->config[0] ? s->config : "\0") < 0)
            rc = -1;
        if (d >= 0)
            H5Dclose(d);
        H5Sclose(space);
        H5Tclose(type);
    }
    /* Written last: its presence is what says the step is complete. */
    if (rc == 0)
        rc = tsct__h5_set_attr_string(g, "status", "complete");
    H5Gclose(g);
    if (rc != 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, s->c, path, "cannot record provenance");
    return TSCT_OK;
}

/* The stamps of a dataset before an append: its time steps and "time_stamps". */
struct old_stamps {
    char *old;
    int64_t n;
};

/* The length of axis 0 of the dataset at path in file (0 if it cannot be read). */
static int64_t axis0_length(hid_t file, const char *path)
{
    int64_t n = 0;
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d >= 0) {
        hid_t sp = H5Dget_space(d);
        hsize_t dims[8] = {0};
        if (sp >= 0 && H5Sget_simple_extent_ndims(sp) >= 1 &&
            H5Sget_simple_extent_dims(sp, dims, NULL) >= 1)
            n = (int64_t)dims[0];
        if (sp >= 0)
            H5Sclose(sp);
        H5Dclose(d);
    }
    H5Eclear2(H5E_DEFAULT);
    return n;
}

static void stamp_prepare(tsct_step *s, const char *path, struct old_stamps *o)
{
    /* no stamps (NULL) only costs a later full run */
    o->old = tsct__time_stamps_read(s->c->file, path);
    o->n = axis0_length(s->c->file, path);
}

/* Give the committed dataset at path its "time_stamps": the old ones of an appended dataset
 * before `first`, this run's end time for the time steps it wrote. */
static tsct_status stamp_write(tsct_step *s, const char *path, int64_t first,
                               const struct old_stamps *o, const char *end, tsct_error *err)
{
    hid_t d = H5Dopen2(s->c->file, path, H5P_DEFAULT);
    if (d < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, s->c, path, "cannot open to stamp");
    const int64_t count = axis0_length(s->work->file, path);
    char *stamps = tsct__time_stamps_splice(o->old ? o->old : "", o->old ? o->n : first, first,
                                            count, end);
    int rc = stamps ? tsct__h5_set_attr_string(d, "time_stamps", stamps) : -1;
    free(stamps);
    H5Dclose(d);
    if (rc < 0)
        return tsct__h5_fail(err, TSCT_ERR_IO, s->c, path, "cannot write its time stamps");
    return TSCT_OK;
}

tsct_status tsct_step_commit(tsct_step *s, tsct_error *err)
{
    struct old_stamps stamps = {NULL, 0};
    tsct_status st = TSCT_OK;
    if (s->open_handles > 0) {
        st = tsct_error_set(err, TSCT_ERR_STATE, s->work_path, s->name, -1,
                            "%d dataset handle(s) still open; close them before the commit",
                            s->open_handles);
        step_free(s);
        return st;
    }
    if (s->ndone != s->nunits) {
        int64_t first = 0;
        while (first < s->nunits && s->done[first])
            first++;
        st = tsct_error_set(err, TSCT_ERR_STATE, s->work_path, s->name, first,
                            "%lld of %lld units are not finished (first unfinished: this index)",
                            (long long)(s->nunits - s->ndone), (long long)s->nunits);
        step_free(s);
        return st;
    }

    TSCT__H5_LOCK();
    /* From here the work file is only read: an evicting cache of fixed size bounds the
     * memory that reading every chunk index of the staged datasets would otherwise pile up. */
    if (H5Fflush(s->work->file, H5F_SCOPE_LOCAL) >= 0)
        reading_metadata_cache(s->work->file);
    struct staged_list *l = calloc(1, sizeof *l);
    if (!l) {
        st = tsct_error_set(err, TSCT_ERR_NOMEM, s->work_path, NULL, -1, "staged list");
        goto done;
    }
    H5Lvisit(s->work->file, H5_INDEX_NAME, H5_ITER_INC, collect_cb, l);
    H5Eclear2(H5E_DEFAULT);
    if (l->overflow) {
        st = tsct_error_set(err, TSCT_ERR_UNSUPPORTED, s->work_path, NULL, -1,
                            "a step may stage at most %d datasets", MAX_STAGED);
        goto done;
    }
    /* Check everything before changing anything. */
    for (int i = 0; i < l->n && st == TSCT_OK; i++) {
        if (!l->item[i].is_vector)
            continue;
        hid_t d = H5Dopen2(s->work->file, l->item[i].path, H5P_DEFAULT);
        hid_t sp = H5Dget_space(d);
        hsize_t n = 0;
        tsct__h5_extent(sp, &n, NULL, 1);
        H5Sclose(sp);
        H5Dclose(d);
        st = tsct__layout_check_vector(s->c, l->item[i].path, (int64_t)n, is_replaced, l, err);
    }
    /* Room for what the commit writes: the staged data once more (a replaced dataset is
     * copied whole before the old one goes, an appended one grows by its rows), plus room
     * for metadata. Refusing here leaves the container exactly as it was; a write that
     * failed half-way would leave it larger by the part written. */
    if (st == TSCT_OK) {
        int64_t need = (int64_t)1 << 20;
        for (int i = 0; i < l->n; i++) {
            hid_t d = H5Dopen2(s->work->file, l->item[i].path, H5P_DEFAULT);
            if (d >= 0) {
                need += (int64_t)H5Dget_storage_size(d);
                H5Dclose(d);
            }
        }
        need += need / 16;
        const int64_t avail = tsct__free_bytes(s->c->path);
        if (avail >= 0 && avail < need)
            st = tsct_error_set(err, TSCT_ERR_IO, s->c->path, s->name, -1,
                                "no space left on device for committing step %s: it needs "
                                "about %.1f MB, %.1f MB are free; the container is unchanged "
                                "and the finished work is kept in %s: free some space and run "
                                "the command again to commit it",
                                s->name, 1e-6 * (double)need, 1e-6 * (double)avail,
                                s->work_path);
    }
    if (st != TSCT_OK)
        goto done;

    char proc[128];
    snprintf(proc, sizeof proc, "%s/%s", TSCT_PATH_PROCESS, s->name);
    if (tsct__h5_exists(s->c->file, proc) && H5Ldelete(s->c->file, proc, H5P_DEFAULT) < 0) {
        st = tsct__h5_fail(err, TSCT_ERR_IO, s->c, proc, "cannot remove the old record");
        goto done;
    }
    char end[32];
    now_iso(end, sizeof end);
    for (int i = 0; i < l->n && st == TSCT_OK; i++) {
        const struct staged *it = &l->item[i];
        if (it->is_vector)
            continue;
        const int append = it->offset >= 0 && tsct__h5_exists(s->c->file, it->path);
        if (append) {
            stamp_prepare(s, it->path, &stamps);
            st = append_rows(s, it->path, it->offset, err);
        } else if (it->offset > 0)
            st = tsct_error_set(err, TSCT_ERR_STATE, s->c->path, it->path, -1,
                                "time steps from %lld staged, but the container has no "
                                "earlier ones to append to",
                                (long long)it->offset);
        else
            st = replace_dataset(s, it->path, err);
        if (st == TSCT_OK)
            st = stamp_write(s, it->path, append ? it->offset : 0, &stamps, end, err);
        free(stamps.old);
        stamps.old = NULL;
    }
    for (int i = 0; i < l->n && st == TSCT_OK; i++)
        if (l->item[i].is_vector)
            st = copy_vector(s, l->item[i].path, err);
    if (st == TSCT_OK)
        st = write_process(s, end, err);
    if (st == TSCT_OK && H5Fflush(s->c->file, H5F_SCOPE_LOCAL) < 0)
        st = tsct__h5_fail(err, TSCT_ERR_IO, s->c, NULL, "flush failed");
    if (st != TSCT_OK && tsct__disk_full(s->c->path)) {
        /* Say what happened rather than what HDF5 made of it. The record was removed first,
         * so the step reads as not done; the work file is kept and commits on the next run. */
        tsct_error_clear(err);
        st = tsct_error_set(err, TSCT_ERR_IO, s->c->path, s->name, -1,
                            "no space left on device while committing step %s; the step is "
                            "not recorded as done and its finished work is kept in %s: free "
                            "some space and run the command again to commit it",
                            s->name, s->work_path);
    }
done:
    free(l);
    TSCT__H5_UNLOCK();
    char work_path[TSCT_PATH_MAX];
    snprintf(work_path, sizeof work_path, "%s", s->work_path);
    step_free(s);
    if (st == TSCT_OK && unlink(work_path) != 0)
        st = tsct_error_set(err, TSCT_ERR_IO, work_path, NULL, -1, "cannot remove: %s",
                            strerror(errno));
    return st;
}

void tsct_step_close(tsct_step *s)
{
    if (!s)
        return;
    if (s->work) {
        TSCT__H5_LOCK();
        H5Fflush(s->work->file, H5F_SCOPE_LOCAL);
        H5Eclear2(H5E_DEFAULT);
        TSCT__H5_UNLOCK();
    }
    /* With nothing finished there is nothing to resume: leave no work file behind. */
    int discard = s->ndone == 0;
    char work_path[TSCT_PATH_MAX];
    snprintf(work_path, sizeof work_path, "%s", s->work_path);
    step_free(s);
    if (discard)
        unlink(work_path);
}

/* ---- up to date? --------------------------------------------------------------------------- */

int tsct_step_is_current(tsct_container *c, const char *name, const char *fingerprint)
{
    char path[256], status[32] = "";
    if (!c || !name || snprintf(path, sizeof path, TSCT_PATH_PROCESS "/%s", name) >= (int)sizeof path ||
        !tsct_container_exists(c, path))
        return 0;
    if (tsct_container_get_attr_string(c, path, "status", status, sizeof status, NULL) != TSCT_OK ||
        strcmp(status, "complete") != 0)
        return 0;
    const size_t n = strlen(fingerprint ? fingerprint : "") + 2;
    char *fp = malloc(n);
    if (!fp)
        return 0;
    fp[0] = '\0';
    int same = tsct_container_get_attr_string(c, path, "fingerprint", fp, n, NULL) == TSCT_OK &&
               strcmp(fp, fingerprint ? fingerprint : "") == 0;
    free(fp);
    return same;
}

void tsct_step_inputs_id(tsct_container *c, const char *const *steps, char *buf, size_t size)
{
    char id[128] = "";
    if (!buf || size == 0)
        return;
    tsct_container_get_attr_string(c, "/entry", "tsct_id", id, sizeof id, NULL);
    size_t used = (size_t)snprintf(buf, size, "container=%s inputs=", id);
    for (int i = 0; steps && steps[i] && used < size; i++) {
        char path[256], end[64] = "";
        snprintf(path, sizeof path, TSCT_PATH_PROCESS "/%s", steps[i]);
        if (tsct_container_exists(c, path))
            tsct_container_get_attr_string(c, path, "end_time", end, sizeof end, NULL);
        used += (size_t)snprintf(buf + used, size - used, "%s=%s;", steps[i], end);
    }
}
