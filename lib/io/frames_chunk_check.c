/* frames_chunk_check.c - structural check of LZ4 and bitshuffle-LZ4 chunks before HDF5's filter
 * plugins decode them.
 *
 * Why: Debian's plugins (bitshuffle 0.3.5 for filter 32008, hdf5-filter-plugin for LZ4 32004)
 * trust the block sizes inside a chunk and decode with LZ4_decompress_fast, which trusts the
 * stream: a corrupt chunk makes them read past the chunk buffer and crash the process
 * (found by the byte-flip tests of tests/test_frames.c). So frames_h5.c reads each such chunk
 * raw and this file walks it without decoding: every block header must lie inside the chunk,
 * every LZ4 block must be a well-formed stream (RFC-like block format of lz4's
 * doc/lz4_Block_format.md: literals and matches inside the input and the output, match offsets
 * inside what was produced, the end-of-block rules: last 5 bytes literals, last match starting
 * at least 12 bytes before the end) that produces exactly its block's bytes, and the whole
 * chunk must be consumed. A chunk that passes cannot make LZ4_decompress_fast leave its
 * buffers. Corrupt literal bytes still decode (LZ4 has no checksum): the values differ, as they
 * would with any reader.
 *
 * Chunk layouts:
 *  - bitshuffle (32008) with LZ4 (bitshuffle's bshuf_h5filter.c): uint64 BE uncompressed bytes,
 *    uint32 BE block size in bytes; then per block of block_size / elem_size elements (the last
 *    one shorter, a multiple of 8 elements) a uint32 BE compressed size and the LZ4 block; then
 *    the (elements % 8) * elem_size trailing bytes stored as they are.
 *  - LZ4 (32004, H5Z-LZ4 of hdf5-filter-plugin): uint64 BE uncompressed bytes, uint32 BE block
 *    size; per block (the last one shorter) a uint32 BE compressed size and the LZ4 block, or
 *    the raw bytes when the compressed size equals the block's size.
 */
#include <stdio.h>
#include <string.h>

#include "io/frames_internal.h"

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* An LZ4 length: 4-bit field `base`; 15 means more bytes follow, each added, until one is not
 * 255. Returns -1 if the input ends first; stops early (the length is then too large anyway)
 * once past `limit`. */
static int lz4_length(const uint8_t *src, uint64_t n, uint64_t *ip, uint64_t base,
                      uint64_t limit, uint64_t *len)
{
    *len = base;
    if (base != 15)
        return 0;
    uint8_t b;
    do {
        if (*ip >= n)
            return -1;
        b = src[(*ip)++];
        *len += b;
    } while (b == 255 && *len < limit);
    return 0;
}

/* 0 if src[0 .. n) is one LZ4 block that produces exactly out bytes. */
static int lz4_block_ok(const uint8_t *src, uint64_t n, uint64_t out)
{
    uint64_t ip = 0, op = 0;
    while (ip < n) {
        uint8_t token = src[ip++];
        uint64_t lit, mlen;
        if (lz4_length(src, n, &ip, token >> 4, out + 255, &lit) != 0)
            return -1;
        if (lit > n - ip || lit > out - op)
            return -1;
        ip += lit;
        op += lit;
        if (ip == n)
            return op == out ? 0 : -1;     /* the last sequence: literals only */
        if (n - ip < 2)
            return -1;
        uint64_t offset = (uint64_t)src[ip] | (uint64_t)src[ip + 1] << 8;
        ip += 2;
        if (offset == 0 || offset > op)
            return -1;
        if (lz4_length(src, n, &ip, token & 15u, out + 255, &mlen) != 0)
            return -1;
        mlen += 4;
        /* end-of-block rules: a match starts >= 12 bytes before the end, the last 5 bytes
         * are literals */
        if (out < 12 || op > out - 12 || mlen > out - op || op + mlen > out - 5)
            return -1;
        op += mlen;
    }
    return out == 0 && n == 0 ? 0 : -1;
}

int tsct__chunk_check(const uint8_t *chunk, uint64_t size, int filter, uint64_t elem_size,
                      uint64_t expect, char *why, size_t why_size)
{
    if (size < 12) {
        snprintf(why, why_size, "chunk of %llu bytes is shorter than its 12-byte header",
                 (unsigned long long)size);
        return -1;
    }
    uint64_t total = be64(chunk), block = be32(chunk + 8);
    if (total != expect) {
        snprintf(why, why_size, "chunk header says %llu bytes, a frame is %llu",
                 (unsigned long long)total, (unsigned long long)expect);
        return -1;
    }
    if (filter == 32008 && (elem_size == 0 || block % (8 * elem_size) != 0 || total % elem_size)) {
        snprintf(why, why_size, "bitshuffle block size %llu is not a multiple of 8 elements",
                 (unsigned long long)block);
        return -1;
    }
    if (block == 0 && total > 0) {
        snprintf(why, why_size, "block size 0 in the chunk header");
        return -1;
    }
    uint64_t pos = 12, done = 0;
    uint64_t tail = filter == 32008 ? (total / elem_size % 8) * elem_size : 0;
    uint64_t body = total - tail;
    for (uint64_t k = 0; done < body; k++) {
        uint64_t bytes = body - done < block ? body - done : block;
        if (filter == 32008)
            bytes -= bytes % (8 * elem_size);
        if (size - pos < 4) {
            snprintf(why, why_size, "block %llu header lies past the end of the chunk",
                     (unsigned long long)k);
            return -1;
        }
        uint64_t c = be32(chunk + pos);
        pos += 4;
        if (c > size - pos) {
            snprintf(why, why_size, "block %llu claims %llu bytes, the chunk holds %llu more",
                     (unsigned long long)k, (unsigned long long)c,
                     (unsigned long long)(size - pos));
            return -1;
        }
        int raw = filter == 32004 && c == bytes;
        if (!raw && lz4_block_ok(chunk + pos, c, bytes) != 0) {
            snprintf(why, why_size, "block %llu is not a valid LZ4 block of %llu bytes",
                     (unsigned long long)k, (unsigned long long)bytes);
            return -1;
        }
        pos += c;
        done += bytes;
    }
    if (size - pos != tail) {
        snprintf(why, why_size, "%llu bytes left after the blocks, expected %llu",
                 (unsigned long long)(size - pos), (unsigned long long)tail);
        return -1;
    }
    return 0;
}
