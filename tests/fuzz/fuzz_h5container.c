/* fuzz_h5container.c - libFuzzer entry point for the experiment container's readers
 * (tsct_container_open / tsct_h5file_open, read_geometry, read_vector, attributes, walk,
 * dataset_open / read_row; lib/io/container.c, h5util.c).
 *
 * As in fuzz_h5frames.c the input describes a valid HDF5 file that the harness writes through
 * the HDF5 library: the format attribute, geometry attributes of any type and value, the scan
 * axes and q of any rank (up to 12 axes), type and length (up to 2^40 through unwritten
 * chunks), the stage datasets likewise; or (a quarter of the inputs) a fresh container with
 * the work file of an interrupted step beside it, whose bookkeeping is fuzzed, and the step
 * resumed and committed. Every failure must have a message; what is read must respect the
 * documented shapes and limits. Built and run by tests/fuzz/run.sh. */
#include <hdf5.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "tsct/container.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static hid_t lcpl(void)
{
    hid_t p = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(p, 1);
    return p;
}

static hid_t pick_type(unsigned k)
{
    switch (k % 6) {
    case 0: return H5Tcopy(H5T_NATIVE_DOUBLE);
    case 1: return H5Tcopy(H5T_NATIVE_FLOAT);
    case 2: return H5Tcopy(H5T_NATIVE_INT64);
    case 3: return H5Tcopy(H5T_NATIVE_UINT8);
    case 4: {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, 1 + k % 7);
        return t;
    }
    default: {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        return t;
    }
    }
}

static hsize_t extent(fuzz_bytes *b)
{
    unsigned x = fuzz_u8(b);
    return x & 0x80 ? (hsize_t)1 << (x % 41) : x % 7;
}

/* An attribute named name on obj: scalar or 1-D, of a fuzzed type, with fuzzed content. */
static void make_attr(hid_t obj, const char *name, fuzz_bytes *b)
{
    unsigned k = fuzz_u8(b);
    hid_t t = pick_type(k);
    hsize_t n = 1 + (k >> 4) % 3;
    hid_t sp = (k & 8) ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
    if (!(k & 8))
        n = 1;
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        if (H5Tget_class(t) == H5T_STRING) {
            char text[3][8];
            const char *ptr[3];
            for (hsize_t i = 0; i < n; i++) {
                for (int j = 0; j < 7; j++)
                    text[i][j] = (char)(fuzz_u8(b) % 95 + 32);
                text[i][7] = '\0';
                if (fuzz_u8(b) & 1)
                    memcpy(text[i], "1.0", 4);
                ptr[i] = text[i];
            }
            if (H5Tis_variable_str(t) > 0) {
                H5Awrite(a, t, ptr);
            } else {
                size_t w = H5Tget_size(t);
                char flat[3 * 8];
                for (hsize_t i = 0; i < n; i++)
                    memcpy(flat + i * w, text[i], w);
                H5Awrite(a, t, flat);
            }
        } else {
            double v[3];
            for (hsize_t i = 0; i < n; i++)
                v[i] = fuzz_u8(b) & 1 ? fuzz_f64(b) : (double)(int8_t)fuzz_u8(b) * 0.25;
            H5Awrite(a, H5T_NATIVE_DOUBLE, v);
        }
        H5Aclose(a);
    }
    H5Sclose(sp);
    H5Tclose(t);
}

static void make_dataset(hid_t file, const char *path, fuzz_bytes *b)
{
    int rank = (int)(fuzz_u8(b) % 13);
    hsize_t dims[16], maxd[16], ch[16];
    double total = 1;
    for (int i = 0; i < rank; i++) {
        dims[i] = extent(b);
        maxd[i] = i == 0 && (fuzz_u8(b) & 1) ? H5S_UNLIMITED : dims[i];
        ch[i] = 1 + fuzz_u8(b) % 4;
        total *= (double)dims[i];
    }
    unsigned tk = fuzz_u8(b);
    hid_t t = pick_type(tk);
    hid_t sp = rank ? H5Screate_simple(rank, dims, maxd) : H5Screate(H5S_SCALAR);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int unlimited = rank > 0 && maxd[0] == H5S_UNLIMITED;
    if (rank > 0 && (total > 4096 || unlimited || (tk & 0x40)))
        H5Pset_chunk(dcpl, rank, ch);
    hid_t lc = lcpl();
    hid_t d = H5Dcreate2(file, path, t, sp, lc, dcpl, H5P_DEFAULT);
    if (d >= 0 && total <= 4096 && total >= 1 && H5Tget_class(t) != H5T_STRING) {
        double *v = malloc((size_t)total * sizeof *v);
        for (size_t i = 0; i < (size_t)total; i++)
            v[i] = (double)(int8_t)fuzz_u8(b) * 0.5;
        H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
        free(v);
    }
    if (d >= 0) {
        if (fuzz_u8(b) & 1)
            make_attr(d, "units", b);
        H5Dclose(d);
    }
    H5Pclose(lc);
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Tclose(t);
}

static int walk_fn(void *user, const tsct_object_info *info)
{
    (void)user;
    if (!info->path || info->ndim < 0 || info->ndim > 8 ||
        !memchr(info->dtype, '\0', sizeof info->dtype) ||
        !memchr(info->filters, '\0', sizeof info->filters))
        __builtin_trap();
    return 0;
}

static int attr_fn(void *user, const char *name, const char *value)
{
    (void)user;
    if (!name || !value)
        __builtin_trap();
    return 0;
}

static const char *const vectors[] = {
    "/entry/scan/angle", "/entry/scan/translation", "/entry/scan/time", "/entry/scan/z",
    TSCT_PATH_INTEGRATED_Q, TSCT_PATH_RECON_Q, TSCT_PATH_PDF_R};
static const char *const datasets[] = {TSCT_PATH_INTEGRATED, TSCT_PATH_SINOGRAMS,
                                       TSCT_PATH_RECON, TSCT_PATH_PDF, "/entry/maps/m"};
static const char *const geometry_attrs[] = {
    "dist", "poni1", "poni2", "rot1", "rot2", "rot3", "wavelength", "pixel1", "pixel2",
    "detector", "orientation", "shape"};

/* A fresh container with a hostile work file of step "fz" beside it (the file an interrupted
 * run leaves: root attributes, /tsct_done, staged datasets with their time offsets), then the
 * step begun (resumed or not), written, committed. */
static void fuzz_step(const char *path, fuzz_bytes *b)
{
    tsct_container *c = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    if (tsct_container_create(path, 1, &c, &err) != TSCT_OK)
        __builtin_trap();
    char id[64] = "", work[4200];
    tsct_container_get_attr_string(c, "/entry", "tsct_id", id, sizeof id, NULL);
    tsct_step_work_path(path, "fz", work, sizeof work);
    const int64_t nunits = 1 + fuzz_u8(b) % 3;
    hid_t f = H5Fcreate(work, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        __builtin_trap();
    hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
    unsigned which = fuzz_u8(b);
    static const char *const names[] = {"tsct_step", "fingerprint", "container_id"};
    const char *good[] = {"fz", "fp", id};
    for (int k = 0; k < 3; k++) {
        if (which >> k & 1) {
            make_attr(root, names[k], b);
        } else {
            hid_t t = H5Tcopy(H5T_C_S1);
            H5Tset_size(t, strlen(good[k]) + 1);
            hid_t sp = H5Screate(H5S_SCALAR);
            hid_t a = H5Acreate2(root, names[k], t, sp, H5P_DEFAULT, H5P_DEFAULT);
            H5Awrite(a, t, good[k]);
            H5Aclose(a);
            H5Sclose(sp);
            H5Tclose(t);
        }
    }
    if (which & 8) {
        make_attr(root, "nunits", b);
    } else {
        hid_t sp = H5Screate(H5S_SCALAR);
        hid_t a = H5Acreate2(root, "nunits", H5T_NATIVE_INT64, sp, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, H5T_NATIVE_INT64, &nunits);
        H5Aclose(a);
        H5Sclose(sp);
    }
    H5Gclose(root);
    if (which & 16) {
        make_dataset(f, "/tsct_done", b);
    } else {
        hsize_t n = (hsize_t)nunits;
        hid_t sp = H5Screate_simple(1, &n, NULL);
        hid_t d = H5Dcreate2(f, "/tsct_done", H5T_NATIVE_UINT8, sp, H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT);
        uint8_t done[3] = {(uint8_t)(fuzz_u8(b) & 1), 1, 0};
        H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, done);
        H5Dclose(d);
        H5Sclose(sp);
    }
    if (which & 32) {
        make_dataset(f, "/entry/maps/m", b);
        hid_t d = H5Dopen2(f, "/entry/maps/m", H5P_DEFAULT);
        if (d >= 0) {
            if (fuzz_u8(b) & 1)
                make_attr(d, "tsct_time_offset", b);
            if (fuzz_u8(b) & 1)
                make_attr(d, "tsct_vector", b);
            H5Dclose(d);
        }
    }
    if (which & 64)
        make_dataset(f, "/entry/pdf/r", b);
    H5Fclose(f);

    tsct_step_info info = {"fz", NULL, NULL, "fp", nunits, NULL, NULL, 0};
    tsct_step *s = NULL;
    tsct_status st = tsct_step_begin(c, &info, NULL, &s, &err);
    FUZZ_CHECK_MESSAGE(st, err);
    if (st == TSCT_OK) {
        const int64_t shape[4] = {1, 1, nunits, 3};
        tsct_dataset *d = NULL;
        tsct_error ed = TSCT_ERROR_INIT;
        st = tsct_step_dataset(s, "/entry/maps/m", 4, shape, which & 128 ? 0 : -1, NULL, &d,
                               &ed);
        FUZZ_CHECK_MESSAGE(st, ed);
        if (st == TSCT_OK) {
            const float row[3] = {1, 2, 3};
            for (int64_t u = 0; u < nunits && st == TSCT_OK; u++) {
                const int64_t lead[3] = {0, 0, u};
                if (tsct_dataset_row_lead(d) == 3 && tsct_dataset_row_size(d) == 3)
                    st = tsct_dataset_write_row(d, lead, row, &ed);
            }
            FUZZ_CHECK_MESSAGE(st, ed);
            tsct_dataset_close(d);
            if (st == TSCT_OK)
                st = tsct_step_mark_done(s, 0, nunits, &ed);
            FUZZ_CHECK_MESSAGE(st, ed);
            if (st == TSCT_OK && tsct_step_done_count(s) != nunits)
                __builtin_trap();
            if (st == TSCT_OK) {
                st = tsct_step_commit(s, &ed);   /* frees the step, also on error */
                FUZZ_CHECK_MESSAGE(st, ed);
                s = NULL;
            }
        }
        tsct_step_close(s);
    }
    tsct_error ec = TSCT_ERROR_INIT;
    tsct_container_close(c, &ec);
    unlink(work);
}

#define ROW_MAX (1 << 16)
static float row[ROW_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        init = 1;
    }
    fuzz_bytes b = {data, size, 0};
    char path[4096];
    fuzz_write_temp(path, sizeof path, ".h5", (const uint8_t *)"", 0);
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0)
        __builtin_trap();
    unsigned which = fuzz_u8(&b) | fuzz_u8(&b) << 8 | fuzz_u8(&b) << 16;
    if ((which & 0x30000) == 0x30000) {
        fuzz_step(path, &b);
        return 0;
    }
    hid_t lc = lcpl();
    hid_t entry = H5Gcreate2(file, "/entry", lc, H5P_DEFAULT, H5P_DEFAULT);
    if (!(which & 1))
        make_attr(entry, "tsct_format", &b);
    if (which & 2) {
        hid_t g = H5Gcreate2(file, TSCT_PATH_GEOMETRY, lc, H5P_DEFAULT, H5P_DEFAULT);
        for (unsigned k = 0; k < sizeof geometry_attrs / sizeof *geometry_attrs; k++)
            if (fuzz_u8(&b) % 4)
                make_attr(g, geometry_attrs[k], &b);
        H5Gclose(g);
    }
    for (unsigned k = 0; k < sizeof vectors / sizeof *vectors; k++)
        if (which >> (2 + k) & 1)
            make_dataset(file, vectors[k], &b);
    for (unsigned k = 0; k < sizeof datasets / sizeof *datasets; k++)
        if (which >> (9 + k) & 1)
            make_dataset(file, datasets[k], &b);
    if (which >> 14 & 1) {
        hid_t g = H5Gcreate2(file, "/entry/process/integrate", lc, H5P_DEFAULT, H5P_DEFAULT);
        make_attr(g, "settings", &b);
        make_attr(g, "time_steps", &b);
        H5Gclose(g);
    }
    H5Gclose(entry);
    H5Pclose(lc);
    H5Fclose(file);

    tsct_container *c = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = (which >> 15 & 1) ? tsct_h5file_open(path, TSCT_OPEN_READ, &c, &err)
                                        : tsct_container_open(path, TSCT_OPEN_READ, &c, &err);
    FUZZ_CHECK_MESSAGE(st, err);
    if (st != TSCT_OK)
        return 0;

    tsct_poni g;
    tsct_error e = TSCT_ERROR_INIT;
    st = tsct_container_read_geometry(c, &g, &e);
    FUZZ_CHECK_MESSAGE(st, e);
    if (st == TSCT_OK && !memchr(g.detector, '\0', sizeof g.detector))
        __builtin_trap();
    for (unsigned k = 0; k < sizeof vectors / sizeof *vectors; k++) {
        double *v = NULL;
        int64_t n = -1;
        tsct_error ev = TSCT_ERROR_INIT;
        st = tsct_container_read_vector(c, vectors[k], &v, &n, &ev);
        FUZZ_CHECK_MESSAGE(st, ev);
        if ((st == TSCT_OK) != (v != NULL) || (st == TSCT_OK && n < 0))
            __builtin_trap();
        free(v);
    }
    tsct_error ew = TSCT_ERROR_INIT;
    st = tsct_container_walk(c, "/", walk_fn, NULL, &ew);
    FUZZ_CHECK_MESSAGE(st, ew);
    tsct_error ea = TSCT_ERROR_INIT;
    st = tsct_container_attrs(c, TSCT_PATH_GEOMETRY, attr_fn, NULL, &ea);
    FUZZ_CHECK_MESSAGE(st, ea);
    char text[64];
    double x;
    int64_t i64;
    tsct_error es = TSCT_ERROR_INIT;
    st = tsct_container_get_attr_string(c, "/entry", "tsct_format", text, sizeof text, &es);
    FUZZ_CHECK_MESSAGE(st, es);
    tsct_error ed = TSCT_ERROR_INIT;
    st = tsct_container_get_attr_double(c, TSCT_PATH_GEOMETRY, "dist", &x, &ed);
    FUZZ_CHECK_MESSAGE(st, ed);
    tsct_error ei = TSCT_ERROR_INIT;
    st = tsct_container_get_attr_int(c, TSCT_PATH_GEOMETRY, "orientation", &i64, &ei);
    FUZZ_CHECK_MESSAGE(st, ei);

    for (unsigned k = 0; k < sizeof datasets / sizeof *datasets; k++) {
        tsct_dataset *d = NULL;
        tsct_error eo = TSCT_ERROR_INIT;
        st = tsct_dataset_open(c, datasets[k], &d, &eo);
        FUZZ_CHECK_MESSAGE(st, eo);
        if (st != TSCT_OK)
            continue;
        int64_t shape[8];
        int nd = tsct_dataset_shape(d, shape);
        int lead = tsct_dataset_row_lead(d);
        int64_t rs = tsct_dataset_row_size(d);
        if (nd < 0 || nd > 8 || lead < 0 || lead > nd || rs < 0)
            __builtin_trap();
        int64_t idx[8] = {0};
        int inside = 1;
        for (int i = 0; i < lead; i++)
            inside &= shape[i] > 0;
        if (rs <= ROW_MAX) {
            tsct_error er = TSCT_ERROR_INIT;
            st = tsct_dataset_read_row(d, idx, row, &er);
            FUZZ_CHECK_MESSAGE(st, er);
            if (st != TSCT_OK && inside && rs > 0 && er.status != TSCT_ERR_IO &&
                er.status != TSCT_ERR_FORMAT)
                __builtin_trap();
            idx[0] = lead ? shape[0] : 0;   /* one past the end */
            tsct_error eb = TSCT_ERROR_INIT;
            if (lead && tsct_dataset_read_row(d, idx, row, &eb) == TSCT_OK)
                __builtin_trap();
        }
        tsct_dataset_close(d);
    }
    tsct_error ec = TSCT_ERROR_INIT;
    st = tsct_container_close(c, &ec);
    FUZZ_CHECK_MESSAGE(st, ec);
    return 0;
}
