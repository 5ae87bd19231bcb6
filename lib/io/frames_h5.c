/* frames_h5.c - HDF5 frame sources (include/tsct/frames.h): any dataset "FILE::/path", Dectris
 * master files and BLISS virtual datasets.
 *
 * Every HDF5 call runs under the lib/io lock (h5_internal.h). What is checked at open, because
 * HDF5 would otherwise fail late or, worse, not at all:
 *  - a Dectris master's data files: /entry/data/data_NNNNNN are external links, and a missing
 *    data file only shows when the link is followed; the message names the data file the link
 *    points to (resolved beside the master, as HDF5 resolves it) and the link;
 *  - the compression filters of every dataset: a filter whose plugin HDF5 cannot load (e.g.
 *    bitshuffle 32008, LZ4 32004 without hdf5-filter-plugin) is reported with its id, its
 *    name and the plugin folders searched, instead of a read error at the first frame;
 *  - the mappings of a virtual dataset: HDF5 gives the fill value (zeros) for frames whose
 *    source file or dataset is missing, silently, so each mapping's source is looked up
 *    first (as HDF5 does: beside the virtual dataset's file, then from the current
 *    directory; absolute paths as they are) and a missing one is an error.
 * Reading a frame selects [k][0:rows][0:cols] and lets HDF5 convert to native float; a failure
 * there (corrupt or truncated chunk, a filter that fails) names the file, dataset and frame.
 *
 * Dectris metadata (Dectris "SIMPLON / EIGER HDF5 format", NeXus NXdetector): under
 * /entry/instrument/detector: x_pixel_size, y_pixel_size (m), detector_distance (m),
 * count_time (s), beam_center_x / _y (pixels), bit_depth_image, description;
 * /entry/instrument/beam/incident_wavelength (Angstrom); detectorSpecific/pixel_mask (uint32,
 * non-zero = masked). A `units` attribute, where present, wins over these defaults.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsct/publish.h"
#include "io/frames_internal.h"
#include "io/h5_internal.h"
#include "io/image_internal.h"

_Static_assert(sizeof(hid_t) <= sizeof(int64_t), "hid_t fits the source's h5_dset");

struct tsct__frames_h5 {
    tsct_container **files;   /* open HDF5 files (the spec files), closed last */
    int64_t nfiles, cap;
};

int tsct__frames_is_hdf5(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char buf[8];
    tsct_publish_note_input(path);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 0;
    int is = fread(buf, 1, 8, fp) == 8 && memcmp(buf, sig, 8) == 0;
    fclose(fp);
    return is;
}

static tsct_status keep_file(tsct_frames *f, tsct_container *c, tsct_error *err)
{
    if (!f->h5) {
        f->h5 = calloc(1, sizeof *f->h5);
        if (!f->h5)
            return tsct_error_set(err, TSCT_ERR_NOMEM, c->path, NULL, -1, "file list");
    }
    struct tsct__frames_h5 *h = f->h5;
    if (h->nfiles == h->cap) {
        int64_t cap = h->cap ? 2 * h->cap : 8;
        void *p = realloc(h->files, (size_t)cap * sizeof *h->files);
        if (!p)
            return tsct_error_set(err, TSCT_ERR_NOMEM, c->path, NULL, -1, "file list");
        h->files = p;
        h->cap = cap;
    }
    h->files[h->nfiles++] = c;
    return TSCT_OK;
}

void tsct__frames_h5_close(tsct_frames *f)
{
    TSCT__H5_LOCK();
    for (int64_t s = 0; s < f->nsrc; s++)
        if (f->src[s].kind == TSCT__SRC_H5 && f->src[s].h5_dset >= 0) {
            H5Dclose((hid_t)f->src[s].h5_dset);
            f->src[s].h5_dset = -1;
        }
    TSCT__H5_UNLOCK();
    if (f->h5) {
        for (int64_t i = 0; i < f->h5->nfiles; i++)
            tsct_container_close(f->h5->files[i], NULL);
        free(f->h5->files);
        free(f->h5);
        f->h5 = NULL;
    }
}

/* `name` resolved the way HDF5 finds external files: absolute as is, else beside `parent`'s
 * file, else from the current directory. Returns 1 and the path if one exists. */
static int resolve_beside(const char *parent, const char *name, char *out, size_t size)
{
    struct stat st;
    if (name[0] == '/') {
        snprintf(out, size, "%s", name);
        return stat(out, &st) == 0;
    }
    const char *slash = strrchr(parent, '/');
    if (slash)
        snprintf(out, size, "%.*s/%s", (int)(slash - parent), parent, name);
    else
        snprintf(out, size, "%s", name);
    if (stat(out, &st) == 0)
        return 1;
    if (stat(name, &st) == 0) {
        snprintf(out, size, "%s", name);
        return 1;
    }
    /* Not found: name the place HDF5 looks first. */
    return 0;
}

static tsct_image_dtype dtype_of(hid_t t)
{
    H5T_class_t cls = H5Tget_class(t);
    size_t sz = H5Tget_size(t);
    if (cls == H5T_FLOAT)
        return sz == 4 ? TSCT_IMAGE_DTYPE_F32 : sz == 8 ? TSCT_IMAGE_DTYPE_F64
                                                      : TSCT_IMAGE_DTYPE_UNKNOWN;
    if (cls != H5T_INTEGER)
        return TSCT_IMAGE_DTYPE_UNKNOWN;
    int sgn = H5Tget_sign(t) == H5T_SGN_2;
    switch (sz) {
    case 1: return sgn ? TSCT_IMAGE_DTYPE_I8 : TSCT_IMAGE_DTYPE_U8;
    case 2: return sgn ? TSCT_IMAGE_DTYPE_I16 : TSCT_IMAGE_DTYPE_U16;
    case 4: return sgn ? TSCT_IMAGE_DTYPE_I32 : TSCT_IMAGE_DTYPE_U32;
    case 8: return sgn ? TSCT_IMAGE_DTYPE_I64 : TSCT_IMAGE_DTYPE_U64;
    default: return TSCT_IMAGE_DTYPE_UNKNOWN;
    }
}

/* Every filter of the dataset's pipeline must be loadable. *lz4_filter receives 32008
 * (bitshuffle with LZ4) or 32004 (LZ4) when that is the only filter, else 0. */
static tsct_status check_filters(hid_t d, const char *file, const char *path, int *lz4_filter,
                                 tsct_error *err)
{
    hid_t dcpl = H5Dget_create_plist(d);
    int nf = H5Pget_nfilters(dcpl);
    tsct_status st = TSCT_OK;
    *lz4_filter = 0;
    for (int i = 0; i < nf && st == TSCT_OK; i++) {
        unsigned flags = 0, cd[16];
        size_t ncd = 16;
        char name[256] = "";
        unsigned config = 0;
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, sizeof name, name,
                                         &config);
        if (id < 0)
            continue;
        if (nf == 1 && (id == 32004 || (id == 32008 && ncd >= 5 && cd[4] == 2)))
            *lz4_filter = (int)id;
        int avail = H5Zfilter_avail(id) > 0;
        if (!avail) {
            /* HDF5 loads a plugin when a pipeline asks for its filter. */
            hid_t probe = H5Pcreate(H5P_DATASET_CREATE);
            H5Pset_filter(probe, id, H5Z_FLAG_OPTIONAL, 0, NULL);
            H5Pclose(probe);
            avail = H5Zfilter_avail(id) > 0;
        }
        if (!avail) {
            char dirs[600] = "";
            unsigned n = 0;
            H5PLsize(&n);
            size_t used = 0;
            for (unsigned k = 0; k < n && used + 2 < sizeof dirs; k++) {
                char p[512];
                if (H5PLget(k, p, sizeof p) > 0) {
                    int w = snprintf(dirs + used, sizeof dirs - used, "%s%s", used ? ":" : "", p);
                    if (w > 0)
                        used += (size_t)w;
                }
            }
            st = tsct_error_set(err, TSCT_ERR_UNSUPPORTED, file, path, -1,
                                "compression filter %d (%s) is not available: no HDF5 plugin "
                                "for it was found in %s (Debian: apt install "
                                "hdf5-filter-plugin bitshuffle, or set HDF5_PLUGIN_PATH)",
                                (int)id,
                                name[0] ? name
                                : id == 32008 ? "bitshuffle"
                                : id == 32004 ? "lz4"
                                              : "unknown",
                                dirs[0] ? dirs : "(no plugin folder)");
        }
    }
    H5Pclose(dcpl);
    H5Eclear2(H5E_DEFAULT);
    return st;
}

/* A virtual dataset maps regions to source datasets in other files: each must exist. */
static tsct_status check_virtual(hid_t d, const char *file, const char *path, int *is_virtual,
                                 tsct_error *err)
{
    hid_t dcpl = H5Dget_create_plist(d);
    tsct_status st = TSCT_OK;
    *is_virtual = H5Pget_layout(dcpl) == H5D_VIRTUAL;
    size_t count = 0;
    if (*is_virtual && H5Pget_virtual_count(dcpl, &count) < 0)
        count = 0;
    for (size_t i = 0; i < count && st == TSCT_OK; i++) {
        char src[TSCT_PATH_MAX] = "", dset[1024] = "", where[TSCT_PATH_MAX];
        if (H5Pget_virtual_filename(dcpl, i, src, sizeof src) < 0 ||
            H5Pget_virtual_dsetname(dcpl, i, dset, sizeof dset) < 0) {
            st = tsct__h5_fail(err, TSCT_ERR_FORMAT, NULL, path,
                               "%s: cannot read mapping %zu of the virtual dataset", file, i);
            break;
        }
        if (strchr(src, '%') || strchr(dset, '%'))
            continue;   /* printf-style names of unlimited mappings: HDF5 enumerates them */
        if (dset[0] != '/') {   /* stored relative to the root group */
            memmove(dset + 1, dset, strnlen(dset, sizeof dset - 2) + 1);
            dset[0] = '/';
        }
        int same = strcmp(src, ".") == 0;
        if (!same && !resolve_beside(file, src, where, sizeof where)) {
            st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, file, path, -1,
                                "the virtual dataset maps frames from %s::%s, and that file is "
                                "missing (looked for %s beside %s and in the current "
                                "directory); HDF5 would read zeros there",
                                src, dset, src, file);
            break;
        }
        int found;
        if (same) {
            found = tsct__h5_exists(d, dset);   /* an absolute path from the same file */
        } else {
            tsct_container *sc = NULL;
            tsct_error e2 = TSCT_ERROR_INIT;
            if (tsct__h5_open_file(where, TSCT_OPEN_READ, &sc, &e2) != TSCT_OK) {
                st = tsct_error_set(err, e2.status, file, path, -1,
                                    "source %s of the virtual dataset: %s", where, e2.detail);
                break;
            }
            found = tsct__h5_exists(sc->file, dset);
            tsct_container_close(sc, NULL);
        }
        if (!found)
            st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, file, path, -1,
                                "the virtual dataset maps frames from %s::%s, and that dataset "
                                "is missing; HDF5 would read zeros there",
                                same ? file : where, dset);
    }
    H5Pclose(dcpl);
    H5Eclear2(H5E_DEFAULT);
    return st;
}

/* Open one frame dataset (2-D or 3-D numeric) and append it as a source. `file` names the
 * file that holds it in messages; `via` how it was reached. Caller holds the lock. */
static tsct_status add_dataset(tsct_frames *f, tsct_container *c, const char *path,
                               const char *file, const char *via, int dectris,
                               tsct_error *err)
{
    hid_t d = H5Dopen2(c->file, path, H5P_DEFAULT);
    if (d < 0)
        return tsct__h5_fail(err, TSCT_ERR_FORMAT, NULL, path, "%s: cannot open the dataset",
                             file);
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    tsct_image_dtype dt = dtype_of(t);
    int nd = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[3] = {0, 0, 0};
    if (nd == 2 || nd == 3)
        H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Tclose(t);
    H5Sclose(sp);
    tsct_status st = TSCT_OK;
    int is_virtual = 0;
    if (dt == TSCT_IMAGE_DTYPE_UNKNOWN)
        st = tsct_error_set(err, TSCT_ERR_UNSUPPORTED, file, path, -1,
                            "expected integer or float pixels");
    else if (nd != 2 && nd != 3)
        st = tsct_error_set(err, TSCT_ERR_SHAPE, file, path, -1,
                            "expected [rows][cols] or [frames][rows][cols], found %d axes", nd);
    int64_t n = nd == 3 ? (int64_t)dims[0] : 1;
    int64_t rows = (int64_t)dims[nd == 3 ? 1 : 0], cols = (int64_t)dims[nd == 3 ? 2 : 1];
    if (st == TSCT_OK && (rows < 1 || cols < 1 || rows > f->params.max_pixels / cols))
        st = tsct_error_set(err, TSCT_ERR_SHAPE, file, path, -1,
                            "frame shape %lld x %lld: expected 1 to %lld pixels",
                            (long long)rows, (long long)cols, (long long)f->params.max_pixels);
    if (st == TSCT_OK && f->rows && (rows != f->rows || cols != f->cols))
        st = tsct_error_set(err, TSCT_ERR_SHAPE, file, path, -1,
                            "frames are %lld x %lld, the first frames of the series are "
                            "%lld x %lld", (long long)rows, (long long)cols,
                            (long long)f->rows, (long long)f->cols);
    int lz4_filter = 0;
    if (st == TSCT_OK)
        st = check_filters(d, file, path, &lz4_filter, err);
    if (st == TSCT_OK)
        st = check_virtual(d, file, path, &is_virtual, err);
    if (st == TSCT_OK && n == 0 && !via[0])
        st = tsct_error_set(err, TSCT_ERR_SHAPE, file, path, -1,
                            "the stack is empty: 0 frames of %lld x %lld", (long long)rows,
                            (long long)cols);
    tsct__frames_source *s = NULL;
    if (st == TSCT_OK && n > 0) {
        s = tsct__frames_add(f, TSCT__SRC_H5, file, path, via, n);
        if (!s)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, file, path, -1, "source list");
    }
    if (st != TSCT_OK || !s) {
        H5Dclose(d);
        return st;
    }
    f->rows = rows;
    f->cols = cols;
    f->info.virtual_dataset |= is_virtual;
    s->h5_dset = (int64_t)d;
    s->ndim = nd;
    s->dtype = dt;
    s->elem_size = (int64_t)tsct__dtype_size(dt);
    if (lz4_filter) {
        /* Checked before decoding only where a chunk is one frame (the Dectris layout). */
        hid_t dcpl = H5Dget_create_plist(d);
        hsize_t ch[3] = {0, 0, 0};
        if (H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, 3, ch) == nd &&
            (nd == 2 ? ch[0] == (hsize_t)rows && ch[1] == (hsize_t)cols
                     : ch[0] == 1 && ch[1] == (hsize_t)rows && ch[2] == (hsize_t)cols))
            s->chunk_filter = lz4_filter;
        H5Pclose(dcpl);
    }
    int is_float = dt == TSCT_IMAGE_DTYPE_F32 || dt == TSCT_IMAGE_DTYPE_F64;
    s->mask_negative = f->params.mask_negative >= 0 ? f->params.mask_negative : !is_float;
    if (f->params.mask_overflow > 0)
        s->mask_overflow = f->params.mask_overflow;
    else if (f->params.mask_overflow < 0 && dectris && f->info.bit_depth > 0 &&
             f->info.bit_depth <= 64)
        s->mask_overflow = f->info.bit_depth >= 64 ? 18446744073709551615.0
                                                   : (double)((UINT64_C(1) << f->info.bit_depth) - 1);
    return TSCT_OK;
}

/* ---- Dectris metadata -------------------------------------------------------------------- */

/* Scale to SI of a `units` text ("m", "mm", "um", "angstrom", "s", "ms", ...); 0 if unknown. */
static double unit_scale(const char *u)
{
    static const struct {
        const char *name;
        double scale;
    } units[] = {{"m", 1.0},          {"meter", 1.0},   {"metre", 1.0},
                 {"mm", 1e-3},        {"cm", 1e-2},     {"um", 1e-6},
                 {"micron", 1e-6},    {"\xc2\xb5m", 1e-6}, {"nm", 1e-9},
                 {"A", 1e-10},        {"angstrom", 1e-10}, {"\xc3\x85", 1e-10},
                 {"s", 1.0},          {"second", 1.0},  {"ms", 1e-3},
                 {"us", 1e-6},        {"pixel", 1.0},   {"pixels", 1.0}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (tsct__ascii_casecmp(u, units[i].name) == 0)
            return units[i].scale;
    return 0.0;
}

/* A scalar numeric dataset as double, in SI when it has a known `units` attribute, else
 * times default_scale. Returns 0 if present and numeric. */
static int read_number(hid_t file, const char *path, double default_scale, double *out)
{
    if (!tsct__h5_exists(file, path))
        return -1;
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0)
        return -1;
    int rc = -1;
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    H5T_class_t cls = H5Tget_class(t);
    if ((cls == H5T_INTEGER || cls == H5T_FLOAT) && H5Sget_simple_extent_npoints(sp) == 1) {
        double v = 0;
        if (H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0) {
            char units[64];
            double scale = default_scale;
            if (tsct__h5_get_attr_string(d, "units", units, sizeof units) == 0 &&
                unit_scale(units) > 0)
                scale = unit_scale(units);
            *out = v * scale;
            rc = 0;
        }
    }
    H5Tclose(t);
    H5Sclose(sp);
    H5Dclose(d);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

#define TEXT_MAX 65536

/* A scalar string dataset (fixed or variable length) into buf. */
static void read_text(hid_t file, const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!tsct__h5_exists(file, path))
        return;
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0)
        return;
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    if (H5Tget_class(t) == H5T_STRING && H5Sget_simple_extent_npoints(sp) == 1) {
        if (H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0 && v) {
                snprintf(buf, size, "%s", v);
                H5free_memory(v);
            }
            H5Tclose(mt);
        } else {
            /* The type's size comes from the file and costs nothing there when the dataset
             * was never written: a description longer than TEXT_MAX is left unread (HDF5
             * itself crashes reading one whose size wrapped to 0). */
            size_t n = H5Tget_size(t);
            char *tmp = n > 0 && n < TEXT_MAX ? calloc(1, n + 1) : NULL;
            if (tmp && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) >= 0)
                snprintf(buf, size, "%s", tmp);
            free(tmp);
        }
    }
    H5Tclose(t);
    H5Sclose(sp);
    H5Dclose(d);
    H5Eclear2(H5E_DEFAULT);
}

#define DET "/entry/instrument/detector"

static tsct_status read_dectris_meta(tsct_frames *f, tsct_container *c, tsct_error *err)
{
    tsct_frames_info *in = &f->info;
    hid_t h = c->file;
    double v;
    if (read_number(h, DET "/x_pixel_size", 1.0, &v) == 0)
        in->pixel2 = v;
    if (read_number(h, DET "/y_pixel_size", 1.0, &v) == 0)
        in->pixel1 = v;
    if (read_number(h, DET "/detector_distance", 1.0, &v) == 0)
        in->distance = v;
    if (read_number(h, DET "/count_time", 1.0, &v) == 0)
        in->count_time = v;
    if (read_number(h, DET "/beam_center_x", 1.0, &v) == 0)
        in->beam_center_x = v;
    if (read_number(h, DET "/beam_center_y", 1.0, &v) == 0)
        in->beam_center_y = v;
    if (read_number(h, DET "/bit_depth_image", 1.0, &v) == 0 ||
        read_number(h, DET "/detectorSpecific/bit_depth_image", 1.0, &v) == 0)
        in->bit_depth = v >= 1 && v <= 64 ? (int)v : 0;
    if (read_number(h, "/entry/instrument/beam/incident_wavelength", 1e-10, &v) == 0 ||
        read_number(h, "/entry/instrument/monochromator/wavelength", 1e-10, &v) == 0)
        in->wavelength = v;
    read_text(h, DET "/description", in->detector, sizeof in->detector);
    f->have_detector_meta = 1;

    static const char mask_path[] = DET "/detectorSpecific/pixel_mask";
    if (!f->params.use_pixel_mask || !tsct__h5_exists(h, mask_path))
        return TSCT_OK;
    hid_t d = H5Dopen2(h, mask_path, H5P_DEFAULT);
    if (d < 0)
        return tsct__h5_fail(err, TSCT_ERR_FORMAT, c, mask_path, "cannot open the pixel mask");
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    int nd = H5Sget_simple_extent_ndims(sp);
    if (nd == 2)
        H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    tsct_status st = TSCT_OK;
    if (nd != 2 || (int64_t)dims[0] != f->rows || (int64_t)dims[1] != f->cols) {
        st = tsct_error_set(err, TSCT_ERR_SHAPE, c->path, mask_path, -1,
                            "expected a %lld x %lld mask like the frames, found %d axes "
                            "(%llu x %llu)", (long long)f->rows, (long long)f->cols, nd,
                            (unsigned long long)dims[0], (unsigned long long)dims[1]);
    } else {
        const int64_t n = f->rows * f->cols;
        uint32_t *raw = malloc((size_t)n * sizeof *raw);
        free(f->pixel_mask);
        f->pixel_mask = malloc((size_t)n);
        if (!raw || !f->pixel_mask) {
            st = tsct_error_set(err, TSCT_ERR_NOMEM, c->path, mask_path, -1,
                                "pixel mask of %lld pixels", (long long)n);
        } else if (H5Dread(d, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
            st = tsct__h5_fail(err, TSCT_ERR_FORMAT, c, mask_path,
                               "cannot read the pixel mask");
        } else {
            int64_t count = 0;
            for (int64_t i = 0; i < n; i++) {
                f->pixel_mask[i] = raw[i] != 0;
                count += raw[i] != 0;
            }
            in->pixel_mask_count = count;
        }
        free(raw);
        if (st != TSCT_OK) {
            free(f->pixel_mask);
            f->pixel_mask = NULL;
        }
    }
    H5Dclose(d);
    return st;
}

/* The data files of a master, in order: /entry/data/data_000001, data_000002, ... */
static tsct_status add_master(tsct_frames *f, tsct_container *c, tsct_error *err)
{
    for (int k = 1; k < 1000000; k++) {
        char link[64], via[TSCT_PATH_MAX + 80];
        snprintf(link, sizeof link, "/entry/data/data_%06d", k);
        if (H5Lexists(c->file, link, H5P_DEFAULT) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            if (k == 1)
                return tsct_error_set(err, TSCT_ERR_NOT_FOUND, c->path, link, -1,
                                      "not a Dectris master file (no %s); name a dataset as "
                                      "FILE.h5::/path", link);
            break;
        }
        snprintf(via, sizeof via, "%s::%s", c->path, link);
        /* Where the link points: the data file named in messages and in tsct_frames_locate. */
        char target[TSCT_PATH_MAX], obj[512] = "";
        snprintf(target, sizeof target, "%s", c->path);
        H5L_info_t li;
        if (H5Lget_info(c->file, link, &li, H5P_DEFAULT) >= 0 && li.type == H5L_TYPE_EXTERNAL) {
            char val[TSCT_PATH_MAX + 600];
            const char *fname = NULL, *oname = NULL;
            unsigned fl = 0;
            if (li.u.val_size <= sizeof val &&
                H5Lget_val(c->file, link, val, sizeof val, H5P_DEFAULT) >= 0 &&
                H5Lunpack_elink_val(val, li.u.val_size, &fl, &fname, &oname) >= 0) {
                snprintf(obj, sizeof obj, "%s", oname);
                if (!resolve_beside(c->path, fname, target, sizeof target)) {
                    const char *slash = strrchr(c->path, '/');
                    char beside[TSCT_PATH_MAX];
                    if (slash && fname[0] != '/')
                        snprintf(beside, sizeof beside, "%.*s/%s", (int)(slash - c->path),
                                 c->path, fname);
                    else
                        snprintf(beside, sizeof beside, "%s", fname);
                    H5Eclear2(H5E_DEFAULT);
                    return tsct_error_set(err, TSCT_ERR_NOT_FOUND, beside, oname, -1,
                                          "data file %d of the master %s is missing (the "
                                          "link %s points to it)", k, c->path, link);
                }
            }
        }
        H5Eclear2(H5E_DEFAULT);
        if (H5Oexists_by_name(c->file, link, H5P_DEFAULT) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            /* The data file is there but HDF5 cannot use it: say why (truncated, not HDF5). */
            tsct_container *dc = NULL;
            tsct_error e2 = TSCT_ERROR_INIT;
            if (strcmp(target, c->path) != 0 &&
                tsct__h5_open_file(target, TSCT_OPEN_READ, &dc, &e2) != TSCT_OK)
                return tsct_error_set(err, e2.status, target, obj[0] ? obj : link, -1,
                                      "data file %d of the master %s: %s", k, c->path,
                                      e2.detail);
            tsct_container_close(dc, NULL);
            return tsct_error_set(err, TSCT_ERR_NOT_FOUND, target, obj[0] ? obj : link, -1,
                                  "data %d of the master %s cannot be opened (the link %s "
                                  "leads to no dataset)", k, c->path, link);
        }
        tsct_status st = add_dataset(f, c, link, target, via, 1, err);
        if (st != TSCT_OK)
            return st;
        /* Messages about frames name the data file and its own dataset path. */
        if (obj[0] && f->nsrc > 0 && strcmp(f->src[f->nsrc - 1].dataset, link) == 0) {
            char *d = malloc(strlen(obj) + 1);
            if (d) {
                strcpy(d, obj);
                free(f->src[f->nsrc - 1].dataset);
                f->src[f->nsrc - 1].dataset = d;
            }
        }
    }
    return TSCT_OK;
}

tsct_status tsct__frames_h5_add(tsct_frames *f, const char *file, const char *dataset,
                                tsct_error *err)
{
    tsct_container *c = NULL;
    TSCT_TRY(tsct__h5_open_file(file, TSCT_OPEN_READ, &c, err));
    tsct_status st = keep_file(f, c, err);
    if (st != TSCT_OK) {
        tsct_container_close(c, NULL);
        return st;
    }
    /* FILE.h5::entry/data names the same dataset as FILE.h5::/entry/data. */
    char abs[1024];
    if (dataset[0] && dataset[0] != '/') {
        snprintf(abs, sizeof abs, "/%s", dataset);
        dataset = abs;
    }
    TSCT__H5_LOCK();
    if (dataset[0]) {
        if (!tsct__h5_exists(c->file, dataset))
            st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, file, dataset, -1, "no such dataset");
        else
            st = add_dataset(f, c, dataset, file, "", 0, err);
    } else {
        /* Metadata first: the bit depth decides the overflow rule of the sources. */
        if (!f->have_detector_meta) {
            double v;
            if (read_number(c->file, DET "/bit_depth_image", 1.0, &v) == 0 ||
                read_number(c->file, DET "/detectorSpecific/bit_depth_image", 1.0, &v) == 0)
                f->info.bit_depth = v >= 1 && v <= 64 ? (int)v : 0;
        }
        st = add_master(f, c, err);
        if (st == TSCT_OK && !f->have_detector_meta)
            st = read_dectris_meta(f, c, err);
    }
    H5Eclear2(H5E_DEFAULT);
    TSCT__H5_UNLOCK();
    return st;
}

/* The raw chunk of a frame, checked before a plugin decodes it (frames_chunk_check.c). Caller
 * holds the lock. */
static tsct_status check_chunk(const tsct_frames *f, const tsct__frames_source *s,
                               const hsize_t *start, int64_t local, int64_t global,
                               tsct_error *err)
{
    hid_t d = (hid_t)s->h5_dset;
    hsize_t nbytes = 0;
    if (H5Dget_chunk_storage_size(d, start, &nbytes) < 0 || nbytes == 0) {
        H5Eclear2(H5E_DEFAULT);
        return TSCT_OK;   /* never written: HDF5 gives the fill value */
    }
    uint8_t *raw = malloc((size_t)nbytes);
    if (!raw)
        return tsct_error_set(err, TSCT_ERR_NOMEM, s->file, s->dataset, local,
                              "chunk of %llu bytes", (unsigned long long)nbytes);
    uint32_t mask = 0;
    tsct_status st = TSCT_OK;
    char why[256];
    if (H5Dread_chunk(d, H5P_DEFAULT, start, &mask, raw) < 0) {
        char reason[256];
        tsct__h5_reason(reason, sizeof reason);
        st = tsct_error_set(err, TSCT_ERR_FORMAT, s->file, s->dataset, local,
                            "cannot read frame %lld (frame %lld of the series): its chunk "
                            "cannot be read (HDF5: %s)", (long long)local, (long long)global,
                            reason[0] ? reason : "no reason given");
    } else if (!(mask & 1) &&
               tsct__chunk_check(raw, nbytes, s->chunk_filter, (uint64_t)s->elem_size,
                                 (uint64_t)(f->rows * f->cols * s->elem_size), why,
                                 sizeof why) != 0) {
        st = tsct_error_set(err, TSCT_ERR_FORMAT, s->file, s->dataset, local,
                            "cannot read frame %lld (frame %lld of the series): corrupt %s "
                            "chunk: %s", (long long)local, (long long)global,
                            s->chunk_filter == 32008 ? "bitshuffle-LZ4" : "LZ4", why);
    }
    free(raw);
    return st;
}

tsct_status tsct__frames_h5_read(const tsct_frames *f, const tsct__frames_source *s,
                                 int64_t local, int64_t global, float *buf, tsct_error *err)
{
    hsize_t start[3] = {(hsize_t)local, 0, 0};
    hsize_t count[3] = {1, (hsize_t)f->rows, (hsize_t)f->cols};
    hsize_t mdims[1] = {(hsize_t)(f->rows * f->cols)};
    TSCT__H5_LOCK();
    hid_t d = (hid_t)s->h5_dset;
    hid_t fs = H5Dget_space(d);
    hid_t ms = H5Screate_simple(1, mdims, NULL);
    tsct_status st = TSCT_OK;
    if (s->ndim == 3)
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    if (s->chunk_filter)
        st = check_chunk(f, s, start, local, global, err);
    if (st == TSCT_OK && H5Dread(d, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, buf) < 0) {
        char reason[256];
        tsct__h5_reason(reason, sizeof reason);
        st = tsct_error_set(err, TSCT_ERR_FORMAT, s->file, s->dataset, local,
                            "cannot read frame %lld (frame %lld of the series): corrupt or "
                            "truncated data, or its compression filter failed (HDF5: %s)",
                            (long long)local, (long long)global,
                            reason[0] ? reason : "no reason given");
    }
    H5Sclose(ms);
    H5Sclose(fs);
    H5Eclear2(H5E_DEFAULT);
    TSCT__H5_UNLOCK();
    return st;
}
