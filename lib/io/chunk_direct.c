/* chunk_direct.c - container chunks compressed and decompressed by tsct's own threads.
 *
 * Why: HDF5 runs a dataset's filters one chunk at a time inside H5Dwrite / H5Dread, under the
 * library's one lock (Debian's HDF5 is not thread-safe), so compression never used more than one
 * core and the chunk cache copied every chunk once more. Here a write (read) that covers whole
 * chunks is cut into its chunks; the chunks are gathered from (scattered into) the caller's
 * buffer and run through the dataset's filter pipeline by d->nthreads OpenMP threads with no
 * lock held, and only the raw chunk transfers (H5Dwrite_chunk / H5Dread_chunk, HDF5 1.10.3+) run
 * under the lock, one batch of chunks at a time so that memory stays bounded.
 *
 * The chunks are the bytes the filter plugins would have made, so h5py with hdf5plugin, silx
 * and HDF5 itself read them (tests/test_chunk_direct.py):
 *  - shuffle (HDF5 filter 2, cd_values[0] = element size): byte j of element i goes to
 *    j * n + i; trailing bytes of a partial element stay as they are; no-op for one-byte
 *    elements or a single element (H5Zshuffle.c);
 *  - deflate (1, cd_values[0] = level): one zlib stream (compress2 / uncompress);
 *  - LZ4 (32004, H5Z-LZ4 of hdf5-filter-plugin): uint64 big-endian uncompressed size, uint32
 *    big-endian block size (cd_values[0], else 1 GiB, at most the chunk), then per block a
 *    uint32 big-endian compressed size and the LZ4 block, or the raw block when compressing did
 *    not save space (its size then equals the block's);
 *  - Blosc (32001): one Blosc-1 buffer, cd_values[2] type size, [4] level, [5] shuffle, [6]
 *    codec number (blosc_filter.c of hdf5-blosc); like the plugin, a chunk Blosc cannot shrink
 *    below its size fails the (optional) filter and is stored without it, the chunk's filter
 *    mask saying so.
 * Datasets with any other filter, other element types or no chunks keep HDF5's own path, as do
 * writes and reads that cut chunks (rows of a chunk that holds several). TSCT_DIRECT_CHUNKS=0 in
 * the environment turns this path off (benchmarks compare both in one run).
 */
#include <blosc.h>
#include <lz4.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "h5_internal.h"
#include "tsct/threads.h"

#define FILTER_SHUFFLE 2u
#define FILTER_DEFLATE 1u
#define FILTER_LZ4 32004u
#define FILTER_BLOSC 32001u
#define LZ4_DEFAULT_BLOCK ((uint64_t)1 << 30)
/* Compressed chunks held at once by one write or read: batches of about this many bytes. */
#define BATCH_BYTES ((size_t)64 << 20)

/* ---- the filters ------------------------------------------------------------------------ */

/* Bytes any filter's output may take for n input bytes: zlib's compressBound, LZ4's bound plus
 * its headers, Blosc's 16-byte header all fit. A multiple of 64, so that the buffers cut from
 * one allocation stay aligned for floats (and cache lines). */
static size_t bound_bytes(size_t n)
{
    return (n + n / 64 + 4096 + 63) & ~(size_t)63;
}

static void shuffle(const uint8_t *in, size_t n, size_t es, uint8_t *out, int reverse)
{
    size_t ne = n / es;
    if (es == 4) {
        for (size_t i = 0; i < ne; i++)
            for (size_t j = 0; j < 4; j++) {
                if (reverse)
                    out[i * 4 + j] = in[j * ne + i];
                else
                    out[j * ne + i] = in[i * 4 + j];
            }
    } else {
        for (size_t j = 0; j < es; j++)
            for (size_t i = 0; i < ne; i++) {
                if (reverse)
                    out[i * es + j] = in[j * ne + i];
                else
                    out[j * ne + i] = in[i * es + j];
            }
    }
    memcpy(out + ne * es, in + ne * es, n - ne * es);
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

static uint64_t lz4_block_size(const struct tsct__chunk_filter *f, size_t n)
{
    uint64_t bs = f->ncd > 0 && f->cd[0] > 0 ? f->cd[0] : LZ4_DEFAULT_BLOCK;
    return bs > n ? (uint64_t)n : bs;
}

/* Filter f forward on in[n] into out (bound_bytes(n)): the output size, 0 when the filter
 * fails (optional filters are then skipped). */
static size_t filter_forward(const struct tsct__chunk_filter *f, const uint8_t *in, size_t n,
                             uint8_t *out)
{
    switch (f->id) {
    case FILTER_SHUFFLE: {
        size_t es = f->ncd > 0 ? f->cd[0] : 1;
        if (es <= 1 || n / es <= 1)
            memcpy(out, in, n);
        else
            shuffle(in, n, es, out, 0);
        return n;
    }
    case FILTER_DEFLATE: {
        uLongf len = (uLongf)bound_bytes(n);
        int level = f->ncd > 0 && f->cd[0] <= 9 ? (int)f->cd[0] : 6;
        return compress2(out, &len, in, (uLong)n, level) == Z_OK ? (size_t)len : 0;
    }
    case FILTER_LZ4: {
        if (n == 0 || n > INT32_MAX)
            return 0;
        uint64_t bs = lz4_block_size(f, n);
        put_be(out, n, 8);
        put_be(out + 8, bs, 4);
        size_t pos = 12;
        for (size_t done = 0; done < n; done += bs) {
            size_t b = n - done < bs ? n - done : (size_t)bs;
            int c = LZ4_compress_default((const char *)in + done, (char *)out + pos + 4, (int)b,
                                         LZ4_compressBound((int)b));
            if (c <= 0)
                return 0;
            if ((size_t)c >= b) {
                c = (int)b;
                memcpy(out + pos + 4, in + done, b);
            }
            put_be(out + pos, (uint64_t)c, 4);
            pos += 4 + (size_t)c;
        }
        return pos;
    }
    case FILTER_BLOSC: {
        int ts = f->ncd > 2 && f->cd[2] > 0 && f->cd[2] <= BLOSC_MAX_TYPESIZE ? (int)f->cd[2] : 1;
        int level = f->ncd > 4 ? (int)f->cd[4] : 5;
        int shuf = f->ncd > 5 ? (int)f->cd[5] : 1;
        const char *codec = "blosclz";
        if (f->ncd > 6 && blosc_compcode_to_compname((int)f->cd[6], &codec) < 0)
            return 0;
        /* The plugin's output room is the chunk's size: beyond it the filter fails. */
        int c = blosc_compress_ctx(level, shuf, (size_t)ts, n, in, out, n, codec, 0, 1);
        return c > 0 ? (size_t)c : 0;
    }
    }
    return 0;
}

/* Filter f backward on in[n] into out, which holds `room` bytes: the output size, or 0 for a
 * chunk the filter cannot have made. */
static size_t filter_backward(const struct tsct__chunk_filter *f, const uint8_t *in, size_t n,
                              uint8_t *out, size_t room)
{
    switch (f->id) {
    case FILTER_SHUFFLE: {
        size_t es = f->ncd > 0 ? f->cd[0] : 1;
        if (n > room)
            return 0;
        if (es <= 1 || n / es <= 1)
            memcpy(out, in, n);
        else
            shuffle(in, n, es, out, 1);
        return n;
    }
    case FILTER_DEFLATE: {
        uLongf len = (uLongf)room;
        return uncompress(out, &len, in, (uLong)n) == Z_OK ? (size_t)len : 0;
    }
    case FILTER_LZ4: {
        if (n < 12)
            return 0;
        uint64_t total = get_be(in, 8), bs = get_be(in + 8, 4);
        if (total > room || total > INT32_MAX || (bs == 0 && total > 0))
            return 0;
        if (bs > total)
            bs = total;
        size_t pos = 12;
        for (uint64_t done = 0; done < total; done += bs) {
            uint64_t b = total - done < bs ? total - done : bs;
            if (n - pos < 4)
                return 0;
            uint64_t c = get_be(in + pos, 4);
            pos += 4;
            if (c > n - pos)
                return 0;
            if (c == b)
                memcpy(out + done, in + pos, (size_t)b);
            else if (LZ4_decompress_safe((const char *)in + pos, (char *)out + done, (int)c,
                                         (int)b) != (int)b)
                return 0;
            pos += (size_t)c;
        }
        return (size_t)total;
    }
    case FILTER_BLOSC: {
        size_t total = 0;
        if (blosc_cbuffer_validate(in, n, &total) < 0 || total > room)
            return 0;
        int d = blosc_decompress_ctx(in, out, room, 1);
        return d >= 0 && (size_t)d == total ? total : 0;
    }
    }
    return 0;
}

/* ---- a dataset's pipeline ---------------------------------------------------------------- */

void tsct__chunk_codec_probe(tsct_dataset *d)
{
    struct tsct__chunk_codec *k = &d->codec;
    memset(k, 0, sizeof *k);
    const char *env = getenv("TSCT_DIRECT_CHUNKS");
    if (env && strcmp(env, "0") == 0)
        return;
    hid_t t = H5Dget_type(d->dset);
    int f32 = t >= 0 && H5Tequal(t, H5T_IEEE_F32LE) > 0;
    if (t >= 0)
        H5Tclose(t);
    hid_t dcpl = H5Dget_create_plist(d->dset);
    int ok = f32 && dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED &&
             H5Pget_chunk(dcpl, 8, k->chunk) == d->ndim;
    int nf = ok ? H5Pget_nfilters(dcpl) : -1;
    ok = ok && nf >= 0 && nf <= TSCT__CHUNK_FILTERS_MAX;
    for (int i = 0; ok && i < nf; i++) {
        struct tsct__chunk_filter *f = &k->filter[i];
        unsigned flags = 0;
        f->ncd = 8;
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &f->ncd, f->cd, 0, NULL,
                                         NULL);
        f->id = (unsigned)id;
        f->optional = (flags & H5Z_FLAG_OPTIONAL) != 0;
        ok = f->ncd <= 8 && (f->id == FILTER_SHUFFLE || f->id == FILTER_DEFLATE ||
                             f->id == FILTER_LZ4 || f->id == FILTER_BLOSC);
    }
    k->fill = 0.0f;
    H5D_fill_value_t fv;
    if (ok && H5Pfill_value_defined(dcpl, &fv) >= 0 && fv != H5D_FILL_VALUE_UNDEFINED)
        ok = H5Pget_fill_value(dcpl, H5T_NATIVE_FLOAT, &k->fill) >= 0;
    double bytes = sizeof(float);
    for (int i = 0; ok && i < d->ndim; i++)
        bytes *= (double)k->chunk[i];
    ok = ok && bytes > 0 && bytes < (double)INT32_MAX;
    if (dcpl >= 0)
        H5Pclose(dcpl);
    H5Eclear2(H5E_DEFAULT);
    if (ok) {
        k->nfilters = nf;
        k->chunk_bytes = (size_t)bytes;
        k->usable = 1;
    }
}

/* ---- chunks of a slab -------------------------------------------------------------------- */

/* The chunks that slab start/count covers, when it covers each of them whole (or up to the
 * dataset's edge): nc[i] chunks on axis i; 0 when the slab cuts a chunk. */
static int64_t slab_chunks(const tsct_dataset *d, const int64_t *start, const int64_t *count,
                           int64_t *nc)
{
    const hsize_t *ch = d->codec.chunk;
    int64_t n = 1;
    for (int i = 0; i < d->ndim; i++) {
        int64_t c = (int64_t)ch[i], end = start[i] + count[i];
        if (count[i] <= 0 || start[i] % c != 0 || (end % c != 0 && end != d->shape[i]))
            return 0;
        nc[i] = (count[i] + c - 1) / c;
        n *= nc[i];
    }
    return n;
}

/* Chunk number k of the slab: its origin inside the slab (o) and the extents of it that lie
 * inside the slab (e). */
static void chunk_place(const tsct_dataset *d, const int64_t *count, const int64_t *nc,
                        int64_t k, int64_t *o, int64_t *e)
{
    for (int i = d->ndim - 1; i >= 0; i--) {
        int64_t c = (int64_t)d->codec.chunk[i];
        o[i] = k % nc[i] * c;
        e[i] = count[i] - o[i] < c ? count[i] - o[i] : c;
        k /= nc[i];
    }
}

/* Copy between the slab buffer (extents count) and a chunk buffer (the dataset's chunk
 * extents) for the part e of the chunk at slab origin o; to_chunk chooses the direction. */
static void chunk_copy(const tsct_dataset *d, const int64_t *count, const int64_t *o,
                       const int64_t *e, float *slab, float *chunk, int to_chunk)
{
    const int nd = d->ndim;
    const hsize_t *ch = d->codec.chunk;
    int64_t idx[8] = {0};
    const size_t run = (size_t)e[nd - 1] * sizeof(float);
    for (;;) {
        int64_t so = 0, co = 0;
        for (int i = 0; i < nd; i++) {
            so = so * count[i] + o[i] + idx[i];
            co = co * (int64_t)ch[i] + idx[i];
        }
        if (to_chunk)
            memcpy(chunk + co, slab + so, run);
        else
            memcpy(slab + so, chunk + co, run);
        int i = nd - 2;
        while (i >= 0 && ++idx[i] == e[i])
            idx[i--] = 0;
        if (i < 0)
            break;
    }
}

static int partial_chunk(const tsct_dataset *d, const int64_t *e)
{
    for (int i = 0; i < d->ndim; i++)
        if ((hsize_t)e[i] != d->codec.chunk[i])
            return 1;
    return 0;
}

/* How one slab goes: nc[i] chunks on axis i, n in all, in batches of nb chunks (about
 * BATCH_BYTES of compressed chunks, at least two per thread) on nt threads; bound bytes per
 * chunk buffer, per_thread such buffers of scratch for each thread; the batch's stored chunks
 * chunk[j] (room[j] bytes allocated, size[j] used, filter mask mask[j]). */
struct slab_work {
    int64_t nc[8], n, nb;
    size_t bound;
    int nt;
    uint8_t *scratch, **chunk;
    size_t *size, *room;
    unsigned *mask;
};

static void slab_work_release(struct slab_work *w)
{
    for (int64_t j = 0; w->chunk && j < w->nb; j++)
        free(w->chunk[j]);
    free(w->chunk);
    free(w->scratch);
    free(w->size);
    free(w->room);
    free(w->mask);
}

/* 0 when the slab cuts a chunk or d's pipeline is not tsct's to run (nothing allocated);
 * else 1 with *st TSCT_OK, or TSCT_ERR_NOMEM (w released). */
static int slab_work_init(const tsct_dataset *d, const int64_t *start, const int64_t *count,
                          int per_thread, struct slab_work *w, tsct_status *st,
                          tsct_error *err)
{
    memset(w, 0, sizeof *w);
    w->n = d->codec.usable ? slab_chunks(d, start, count, w->nc) : 0;
    if (w->n == 0)
        return 0;
    w->bound = bound_bytes(d->codec.chunk_bytes);
    const int nt = tsct_threads_resolve(d->nthreads);
    w->nt = w->n < nt ? (int)w->n : nt;
    w->nb = (int64_t)(BATCH_BYTES / w->bound);
    if (w->nb < 2 * w->nt)
        w->nb = 2 * w->nt;
    if (w->nb > w->n)
        w->nb = w->n;
    w->scratch = malloc((size_t)w->nt * (size_t)per_thread * w->bound);
    w->chunk = calloc((size_t)w->nb, sizeof *w->chunk);
    w->size = calloc((size_t)w->nb, sizeof *w->size);
    w->room = calloc((size_t)w->nb, sizeof *w->room);
    w->mask = calloc((size_t)w->nb, sizeof *w->mask);
    *st = TSCT_OK;
    if (!w->scratch || !w->chunk || !w->size || !w->room || !w->mask) {
        slab_work_release(w);
        *st = tsct_error_set(err, TSCT_ERR_NOMEM, d->c->path, d->path, -1,
                             "%lld chunks of %zu bytes", (long long)w->nb,
                             d->codec.chunk_bytes);
    }
    return 1;
}

/* Room for `bytes` in the batch's chunk j: 0, or -1 without memory. */
static int chunk_room(struct slab_work *w, int64_t j, size_t bytes)
{
    if (bytes <= w->room[j])
        return 0;
    uint8_t *p = realloc(w->chunk[j], bytes);
    if (!p)
        return -1;
    w->chunk[j] = p;
    w->room[j] = bytes;
    return 0;
}

/* Chunk k of the slab: chunk_place's o and e, and its offset in the dataset (off). */
static void slab_chunk(const tsct_dataset *d, const struct slab_work *w, const int64_t *start,
                       const int64_t *count, int64_t k, int64_t *o, int64_t *e, hsize_t *off)
{
    chunk_place(d, count, w->nc, k, o, e);
    for (int i = 0; i < d->ndim; i++)
        off[i] = (hsize_t)(start[i] + o[i]);
}

static int thread_num(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* ---- writing ----------------------------------------------------------------------------- */

/* Run the pipeline forward on chunk buffer a (chunk_bytes); b, c: scratch of `bound` bytes.
 * *out points at the result, *mask has bit i set for each skipped optional filter. Returns
 * the size, 0 on a failed mandatory filter. */
static size_t encode(const struct tsct__chunk_codec *k, uint8_t *a, uint8_t *b, uint8_t *c,
                     uint8_t **out, unsigned *mask)
{
    uint8_t *cur = a;
    size_t n = k->chunk_bytes;
    *mask = 0;
    for (int i = 0; i < k->nfilters; i++) {
        uint8_t *dst = cur == b ? c : b;
        size_t m = filter_forward(&k->filter[i], cur, n, dst);
        if (m == 0) {
            if (!k->filter[i].optional)
                return 0;
            *mask |= 1u << i;
            continue;
        }
        cur = dst;
        n = m;
    }
    *out = cur;
    return n;
}

int tsct__chunk_write(tsct_dataset *d, const int64_t *start, const int64_t *count,
                      const float *buf, tsct_status *st, tsct_error *err)
{
    const struct tsct__chunk_codec *k = &d->codec;
    struct slab_work w;
    if (slab_work_init(d, start, count, 3, &w, st, err) == 0)
        return 0;
    if (*st != TSCT_OK)
        return 1;
    for (int64_t b0 = 0; *st == TSCT_OK && b0 < w.n; b0 += w.nb) {
        const int64_t m = w.n - b0 < w.nb ? w.n - b0 : w.nb;
        int failed = 0;
#pragma omp parallel for num_threads(w.nt) schedule(dynamic, 1) reduction(| : failed)
        for (int64_t j = 0; j < m; j++) {
            uint8_t *a = w.scratch + (size_t)thread_num() * 3 * w.bound;
            int64_t o[8], e[8];
            hsize_t off[8];
            slab_chunk(d, &w, start, count, b0 + j, o, e, off);
            float *cb = (float *)a;
            if (partial_chunk(d, e))
                for (size_t i = 0; i < k->chunk_bytes / sizeof(float); i++)
                    cb[i] = k->fill;
            chunk_copy(d, count, o, e, (float *)buf, cb, 1);
            uint8_t *res = NULL;
            w.size[j] = encode(k, a, a + w.bound, a + 2 * w.bound, &res, &w.mask[j]);
            if (w.size[j] == 0 || chunk_room(&w, j, w.size[j]) != 0)
                failed = 1;
            else
                memcpy(w.chunk[j], res, w.size[j]);
        }
        if (failed) {
            *st = tsct_error_set(err, TSCT_ERR_IO, d->c->path, d->path, -1,
                                 "a compression filter failed on a chunk, or no memory");
            break;
        }
        TSCT__H5_LOCK();
        for (int64_t j = 0; *st == TSCT_OK && j < m; j++) {
            int64_t o[8], e[8];
            hsize_t off[8];
            slab_chunk(d, &w, start, count, b0 + j, o, e, off);
            if (H5Dwrite_chunk(d->dset, H5P_DEFAULT, w.mask[j], off, w.size[j], w.chunk[j]) < 0)
                *st = tsct__h5_fail(err, TSCT_ERR_IO, d->c, d->path, "chunk write failed");
        }
        TSCT__H5_UNLOCK();
    }
    slab_work_release(&w);
    return 1;
}

/* ---- reading ----------------------------------------------------------------------------- */

/* Run the pipeline backward on the stored chunk raw[n] (filters in mask skipped) into a
 * (bound bytes; b scratch of as many): 0, or -1 for a chunk the filters cannot have made. */
static int decode(const struct tsct__chunk_codec *k, const uint8_t *raw, size_t n,
                  unsigned mask, uint8_t *a, uint8_t *b, size_t bound)
{
    const uint8_t *cur = raw;
    uint8_t *dst = a, *other = b;
    for (int i = k->nfilters - 1; i >= 0; i--) {
        if (mask & (1u << i))
            continue;
        size_t m = filter_backward(&k->filter[i], cur, n, dst, bound);
        if (m == 0)
            return -1;
        cur = dst;
        dst = dst == a ? other : a;
        n = m;
    }
    if (n != k->chunk_bytes)
        return -1;
    if (cur != a)
        memcpy(a, cur, n);
    return 0;
}

int tsct__chunk_read(tsct_dataset *d, const int64_t *start, const int64_t *count, float *buf,
                     tsct_status *st, tsct_error *err)
{
    const struct tsct__chunk_codec *k = &d->codec;
    struct slab_work w;
    if (slab_work_init(d, start, count, 2, &w, st, err) == 0)
        return 0;
    if (*st != TSCT_OK)
        return 1;
    for (int64_t b0 = 0; *st == TSCT_OK && b0 < w.n; b0 += w.nb) {
        const int64_t m = w.n - b0 < w.nb ? w.n - b0 : w.nb;
        TSCT__H5_LOCK();
        for (int64_t j = 0; *st == TSCT_OK && j < m; j++) {
            int64_t o[8], e[8];
            hsize_t off[8], bytes = 0;
            slab_chunk(d, &w, start, count, b0 + j, o, e, off);
            w.size[j] = 0;
            /* A chunk never written has no storage: it reads as the fill value. */
            if (H5Dget_chunk_storage_size(d->dset, off, &bytes) < 0 || bytes == 0) {
                haddr_t addr = 0;
                hsize_t sz = 0;
                unsigned fm = 0;
                H5Eclear2(H5E_DEFAULT);
                if (H5Dget_chunk_info_by_coord(d->dset, off, &fm, &addr, &sz) >= 0 &&
                    addr == HADDR_UNDEF)
                    continue;
                *st = tsct__h5_fail(err, TSCT_ERR_FORMAT, d->c, d->path,
                                    "cannot find the size of a chunk");
            } else if (chunk_room(&w, j, (size_t)bytes) != 0) {
                *st = tsct_error_set(err, TSCT_ERR_NOMEM, d->c->path, d->path, -1,
                                     "chunk of %llu bytes", (unsigned long long)bytes);
            } else if (H5Dread_chunk(d->dset, H5P_DEFAULT, off, &w.mask[j], w.chunk[j]) < 0) {
                *st = tsct__h5_fail(err, TSCT_ERR_FORMAT, d->c, d->path, "chunk read failed");
            } else {
                w.size[j] = (size_t)bytes;
            }
        }
        TSCT__H5_UNLOCK();
        if (*st != TSCT_OK)
            break;
        int64_t bad = -1;
#pragma omp parallel for num_threads(w.nt) schedule(dynamic, 1) reduction(max : bad)
        for (int64_t j = 0; j < m; j++) {
            uint8_t *a = w.scratch + (size_t)thread_num() * 2 * w.bound;
            int64_t o[8], e[8];
            hsize_t off[8];
            slab_chunk(d, &w, start, count, b0 + j, o, e, off);
            float *cb = (float *)a;
            if (w.size[j] == 0) {
                for (size_t i = 0; i < k->chunk_bytes / sizeof(float); i++)
                    cb[i] = k->fill;
            } else if (decode(k, w.chunk[j], w.size[j], w.mask[j], a, a + w.bound,
                              w.bound) != 0) {
                bad = b0 + j;
                continue;
            }
            chunk_copy(d, count, o, e, buf, cb, 0);
        }
        if (bad >= 0)
            *st = tsct_error_set(err, TSCT_ERR_FORMAT, d->c->path, d->path, -1,
                                 "chunk %lld of the slab does not decompress to %zu bytes "
                                 "(corrupt data)",
                                 (long long)bad, k->chunk_bytes);
    }
    slab_work_release(&w);
    return 1;
}
