/* fuzz_h5frames.c - libFuzzer entry point for HDF5 frame sources (tsct_frames_open on
 * "FILE.h5::/dataset[slice]" and on Dectris masters; lib/io/frames_h5.c, frames.c).
 *
 * The input does not hold the file's bytes: it describes a valid HDF5 file that the harness
 * writes through the HDF5 library (layout, element type, rank and extents up to 2^40 through
 * unwritten chunks, chunking, compression, pixel values, Dectris metadata and pixel mask of
 * any shape, and the slice of the spec, partly as raw characters). This fuzzes our reading of
 * what HDF5 can hold, not HDF5's own parser of corrupt files (Debian's libhdf5 is not ours to
 * fix). Invariants: every failure has a message; an opened source has 1 <= rows * cols <=
 * max_pixels and its frames read back; a float32 stack read without a slice gives the values
 * written. Built and run by tests/fuzz/run.sh. */
#include <hdf5.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tsct/frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PIXELS (1 << 16)

static hid_t pick_type(unsigned k)
{
    static const hid_t *const types[] = {
        &H5T_NATIVE_UINT8_g, &H5T_NATIVE_INT8_g, &H5T_NATIVE_UINT16_g, &H5T_NATIVE_INT16_g,
        &H5T_NATIVE_UINT32_g, &H5T_NATIVE_INT32_g, &H5T_NATIVE_UINT64_g, &H5T_NATIVE_INT64_g,
        &H5T_NATIVE_FLOAT_g, &H5T_NATIVE_DOUBLE_g};
    k %= 11;   /* 8: float32, 10: a string */
    if (k == 10) {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, 4);
        return t;
    }
    return H5Tcopy(*types[k]);
}

/* A dataset at path of the given rank and extents, filled from the input when small. */
static void make_dataset(hid_t file, const char *path, int rank, const hsize_t *dims,
                         unsigned tkind, unsigned flags, fuzz_bytes *b, float *written,
                         int64_t *nwritten)
{
    hid_t t = pick_type(tkind);
    hsize_t maxdims[8];
    for (int i = 0; i < rank; i++)
        maxdims[i] = (flags & 4) && i == 0 ? H5S_UNLIMITED : dims[i];
    hid_t sp = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    double total = 1;
    for (int i = 0; i < rank; i++)
        total *= (double)dims[i];
    int chunked = (flags & 1) || (flags & 4) || total > 1e6;
    if (chunked && rank > 0) {
        hsize_t ch[8];
        for (int i = 0; i < rank; i++) {
            hsize_t c = 1 + fuzz_u8(b) % 8;
            ch[i] = dims[i] == 0 ? c : (c < dims[i] ? c : dims[i]);
        }
        H5Pset_chunk(dcpl, rank, ch);
        if (flags & 2)
            H5Pset_deflate(dcpl, 1);
    }
    if (flags & 8) {
        float fill = -1.0f;
        H5Pset_fill_value(dcpl, H5T_NATIVE_FLOAT, &fill);
    }
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t d = H5Dcreate2(file, path, t, sp, lcpl, dcpl, H5P_DEFAULT);
    if (d >= 0 && total <= 4096 && H5Tget_class(t) != H5T_STRING) {
        int64_t n = (int64_t)total;
        float *v = malloc((size_t)(n ? n : 1) * sizeof *v);
        for (int64_t i = 0; i < n; i++) {
            unsigned x = fuzz_u8(b);
            v[i] = x == 255 ? NAN : (float)((int)x - 40) * (x & 1 ? 1.0f : 1000.0f);
        }
        if (n)
            H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
        if (written && n <= 4096) {
            memcpy(written, v, (size_t)n * sizeof *v);
            *nwritten = n;
        }
        free(v);
    }
    if (d >= 0)
        H5Dclose(d);
    H5Pclose(lcpl);
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Tclose(t);
}

static void make_number(hid_t file, const char *path, double v, int as_int)
{
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t d = H5Dcreate2(file, path, as_int ? H5T_NATIVE_INT32 : H5T_NATIVE_DOUBLE, sp, lcpl,
                         H5P_DEFAULT, H5P_DEFAULT);
    if (d >= 0) {
        int32_t i = isfinite(v) && fabs(v) < 2e9 ? (int32_t)v : -1;
        H5Dwrite(d, as_int ? H5T_NATIVE_INT32 : H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                 H5P_DEFAULT, as_int ? (const void *)&i : (const void *)&v);
        H5Dclose(d);
    }
    H5Sclose(sp);
    H5Pclose(lcpl);
}

static void make_text(hid_t file, const char *path, fuzz_bytes *b)
{
    char s[40];
    unsigned n = fuzz_u8(b) % sizeof s;
    for (unsigned i = 0; i < n; i++)
        s[i] = (char)(fuzz_u8(b) | 1);
    /* a string type of 4 GB costs nothing in the file while the dataset is never written */
    int huge = n == 39;
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, huge ? (size_t)1 << 32 : n ? n : 1);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t d = H5Dcreate2(file, path, t, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (d >= 0) {
        if (!huge)
            H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, s);
        H5Dclose(d);
    }
    H5Pclose(lcpl);
    H5Sclose(sp);
    H5Tclose(t);
}

static hsize_t extent(fuzz_bytes *b, int huge)
{
    unsigned x = fuzz_u8(b);
    if (huge && (x & 0x80))
        return (hsize_t)1 << (x % 41);
    return x % 9;
}

static float written[4096];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        init = 1;
    }
    fuzz_bytes b = {data, size, 0};
    unsigned layout = fuzz_u8(&b) % 4, tkind = fuzz_u8(&b), flags = fuzz_u8(&b);
    int huge = (flags & 0x10) != 0;
    char path[4096];
    fuzz_write_temp(path, sizeof path, ".h5", (const uint8_t *)"", 0);
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0)
        __builtin_trap();
    char dset[128] = "/data";
    int64_t nwritten = -1;
    hsize_t dims[8];
    int rank;
    if (layout == 0 || layout == 1) {       /* a stack, or one frame */
        rank = layout == 0 ? 3 : 2;
        for (int i = 0; i < rank; i++)
            dims[i] = extent(&b, huge);
        make_dataset(file, dset, rank, dims, tkind, flags, &b, written, &nwritten);
    } else if (layout == 2) {               /* any rank under a group */
        rank = (int)(fuzz_u8(&b) % 6);
        for (int i = 0; i < rank; i++)
            dims[i] = extent(&b, huge);
        snprintf(dset, sizeof dset, "/entry/g/data");
        make_dataset(file, dset, rank, dims, tkind, flags, &b, NULL, NULL);
    } else {                                /* a Dectris master */
        dset[0] = '\0';
        unsigned nblocks = 1 + fuzz_u8(&b) % 3;
        hsize_t fr[3] = {extent(&b, huge), extent(&b, huge), extent(&b, huge)};
        for (unsigned k = 0; k < nblocks; k++) {
            char p[64];
            snprintf(p, sizeof p, "/entry/data/data_%06u", k + 1 + (fuzz_u8(&b) == 7));
            hsize_t dk[3] = {k ? extent(&b, 0) : fr[0], fr[1], fr[2]};
            if (fuzz_u8(&b) == 3)
                dk[1] = extent(&b, huge);
            make_dataset(file, p, 3, dk, tkind, flags, &b, NULL, NULL);
        }
        static const char *const meta[] = {
            "/entry/instrument/detector/x_pixel_size",
            "/entry/instrument/detector/y_pixel_size",
            "/entry/instrument/detector/detector_distance",
            "/entry/instrument/detector/count_time",
            "/entry/instrument/detector/beam_center_x",
            "/entry/instrument/detector/bit_depth_image",
            "/entry/instrument/beam/incident_wavelength"};
        unsigned which = fuzz_u8(&b);
        for (unsigned k = 0; k < 7; k++)
            if (which >> k & 1)
                make_number(file, meta[k], fuzz_f64(&b), k == 5 && (flags & 0x20));
        if (flags & 0x40)
            make_text(file, "/entry/instrument/detector/description", &b);
        if (flags & 0x80) {
            hsize_t md[2] = {fr[1], fr[2]};
            if (fuzz_u8(&b) == 1)
                md[0] = extent(&b, huge);
            make_dataset(file, "/entry/instrument/detector/detectorSpecific/pixel_mask", 2,
                         md, 4, 0, &b, NULL, NULL);
        }
    }
    H5Fclose(file);

    /* The spec: file, dataset, a slice made of numbers or of raw characters. */
    char spec[4096 + 256], slice[64] = "";
    unsigned sk = fuzz_u8(&b) % 5;
    if (sk == 1)
        snprintf(slice, sizeof slice, "[%d]", (int)(int8_t)fuzz_u8(&b));
    else if (sk == 2)
        snprintf(slice, sizeof slice, "[%d:%d:%d]", (int)(int8_t)fuzz_u8(&b),
                 (int)(int8_t)fuzz_u8(&b), (int)(int8_t)fuzz_u8(&b));
    else if (sk == 3) {
        unsigned n = fuzz_u8(&b) % 24;
        slice[0] = '[';
        for (unsigned i = 0; i < n; i++)
            slice[1 + i] = (char)(fuzz_u8(&b) % 94 + 33);
        slice[1 + n] = '\0';
    }
    if (dset[0])
        snprintf(spec, sizeof spec, "%s::%s%s", path, dset, slice);
    else
        snprintf(spec, sizeof spec, "%s%s", path, slice);

    tsct_frames_params fp = TSCT_FRAMES_PARAMS_DEFAULT;
    fp.max_pixels = MAX_PIXELS;
    fp.mask_negative = (int)(fuzz_u8(&b) % 3) - 1;
    const char *specs[1] = {spec};
    tsct_frames *f = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = tsct_frames_open(specs, 1, &fp, &f, &err);
    FUZZ_CHECK_MESSAGE(st, err);
    if (st != TSCT_OK) {
        if (f)
            __builtin_trap();
        return 0;
    }
    int64_t rows = 0, cols = 0, n = tsct_frames_count(f);
    tsct_frames_shape(f, &rows, &cols);
    if (n < 1 || rows < 1 || cols < 1 || rows * cols > MAX_PIXELS)
        __builtin_trap();
    tsct_frames_info info;
    tsct_frames_info_get(f, &info);
    if (!memchr(info.detector, '\0', sizeof info.detector))
        __builtin_trap();
    float *buf = malloc((size_t)(rows * cols) * sizeof *buf);
    uint8_t *mask = malloc((size_t)(rows * cols));
    const int64_t pick[3] = {0, n / 2, n - 1};
    for (int k = 0; k < 3; k++) {
        tsct_error rerr = TSCT_ERROR_INIT;
        st = tsct_frames_read(f, pick[k], buf, &rerr);
        FUZZ_CHECK_MESSAGE(st, rerr);
        if (st != TSCT_OK)
            continue;
        if (nwritten > 0 && layout == 0 && tkind % 11 == 8 && !slice[0] && !(flags & 4)) {
            const float *want = written + pick[k] * rows * cols;
            for (int64_t i = 0; i < rows * cols; i++)
                if (!(want[i] == buf[i] || (isnan(want[i]) && isnan(buf[i]))))
                    __builtin_trap();
        }
        int64_t nm = -1;
        st = tsct_frames_mask(f, pick[k], buf, mask, &nm, &rerr);
        FUZZ_CHECK_MESSAGE(st, rerr);
        if (st == TSCT_OK && (nm < 0 || nm > rows * cols))
            __builtin_trap();
    }
    tsct_error e2 = TSCT_ERROR_INIT;
    if (tsct_frames_read(f, n, buf, &e2) == TSCT_OK)   /* out of range */
        __builtin_trap();
    free(buf);
    free(mask);
    tsct_frames_close(f);
    return 0;
}
