/* image_cbf_kernel.h - the CBF byte-offset decoding loops, shared by the kernel variants
 * (image_cbf.c: the reference; image_cbf_avx2.c: AVX2). Private to lib/io.
 *
 * The stream: each value is the previous one (from 0) plus a delta stored in 1 byte, or after
 * the escape byte 0x80 in 2 bytes, or after 0x8000 in 4, or after 0x80000000 in 8
 * (little-endian, two's complement; sums wrap modulo 2^32). See docs/formats.md.
 *
 * BO_REFERENCE_LOOP is the reference: one element per step, one bounds test per element while
 * 15 bytes (the longest escape) remain, then a tail checked byte by byte. A faster variant
 * decodes what it can in its own way and finishes with this loop, so bounds checking and the
 * report of where a stream ends are the reference's; the tests require every variant to give
 * the reference's values, count and consumed bytes on every stream, valid or not.
 */
#ifndef TSCT_IMAGE_CBF_KERNEL_H
#define TSCT_IMAGE_CBF_KERNEL_H

#include <stdint.h>
#include <string.h>

static inline uint16_t tsct__bo_ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t tsct__bo_ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* One escaped element at p (p[0] == 0x80, at least 15 bytes readable): adds its delta to
 * *acc and returns the position after it. The 64-bit delta contributes its low word: sums
 * wrap modulo 2^32. */
static inline const uint8_t *tsct__bo_escape(const uint8_t *p, uint32_t *acc)
{
    uint16_t w = tsct__bo_ld16(p + 1);
    if (w != 0x8000) {
        *acc += (uint32_t)(int32_t)(int16_t)w;
        return p + 3;
    }
    uint32_t d = tsct__bo_ld32(p + 3);
    if (d != 0x80000000u) {
        *acc += d;
        return p + 7;
    }
    *acc += tsct__bo_ld32(p + 7);
    return p + 15;
}

/* Uses p, end (const uint8_t *), acc (uint32_t), i, n (int64_t); STORE stores acc as element
 * i. Stops when n values are decoded or the stream ends (possibly inside an escape). */
#define BO_REFERENCE_LOOP(STORE)                                                   \
    do {                                                                           \
        while (i < n && end - p >= 15) {                                           \
            if (*p != 0x80) {                                                      \
                acc += (uint32_t)(int32_t)(int8_t)*p;                              \
                p += 1;                                                            \
            } else {                                                               \
                p = tsct__bo_escape(p, &acc);                                      \
            }                                                                      \
            STORE;                                                                 \
            i++;                                                                   \
        }                                                                          \
        while (i < n && p < end) {                                                 \
            if (*p != 0x80) {                                                      \
                acc += (uint32_t)(int32_t)(int8_t)*p;                              \
                p += 1;                                                            \
            } else {                                                               \
                uint16_t w_ = end - p >= 3 ? tsct__bo_ld16(p + 1) : 0;            \
                uint32_t d_ = end - p >= 7 ? tsct__bo_ld32(p + 3) : 0;            \
                if (end - p < 3 || (w_ == 0x8000 && end - p < 7) ||                \
                    (w_ == 0x8000 && d_ == 0x80000000u && end - p < 15))           \
                    break;                                                         \
                p = tsct__bo_escape(p, &acc);                                      \
            }                                                                      \
            STORE;                                                                 \
            i++;                                                                   \
        }                                                                          \
    } while (0)

#define BO_CONV_I32(a) ((int32_t)(a))
#define BO_CONV_F32(a) ((float)(int32_t)(a))
#define BO_CONV_F32U(a) ((float)(a))

#endif
