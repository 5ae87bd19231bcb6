/* image_cbf_avx2.c - the CBF byte-offset kernel for x86-64 AVX2, chosen once per process
 * when the CPU has it (image_cbf.c); elsewhere this file defines an empty table.
 *
 * A window of 16 bytes without a 0x80 byte is 16 one-byte deltas: they are sign-extended to
 * two vectors of 8 int32, summed as inclusive prefix sums (two shifted adds within each
 * 128-bit lane, then the low lane's total added to the high lane), offset by the running
 * value and stored (as int32, or converted to float: exact up to 2^24, rounded to nearest
 * above, like the scalar (float)(int32_t) conversion). Windows with an escape are decoded 8
 * bytes at a time through a table (below); the reference loop of image_cbf_kernel.h finishes
 * the stream. On the Pilatus 2M CeO2 frame this is 1.7x the reference (bench/bench_cbf.c);
 * writing 10 MB of floats bounds it near 1 ms. */
#include "io/image_internal.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
/* Every function below is compiled for AVX2 whatever the command line says (dispatch stays at
 * run time). GCC takes the target pragma; clang ignores it without -mavx2 and takes an
 * attribute applied to each function instead. The shared reference loop is included first:
 * the kernels inline it under their own target. */
#include <immintrin.h>
#include <pthread.h>
#include <string.h>

#include "io/image_cbf_kernel.h"
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC target("avx2")
#endif

/* Inclusive prefix sum of the 8 int32 lanes of x. */
static inline __m256i prefix8(__m256i x)
{
    x = _mm256_add_epi32(x, _mm256_slli_si256(x, 4));
    x = _mm256_add_epi32(x, _mm256_slli_si256(x, 8));
    /* Lane 3 of each half, broadcast in its half; the high half gets the low half's. */
    __m256i t = _mm256_shuffle_epi32(x, 0xFF);
    t = _mm256_permute2x128_si256(t, t, 0x08);
    return _mm256_add_epi32(x, t);
}

/* The 16 running values of a plain window into lo (elements 0-7) and hi (8-15). */
static inline void block16(const uint8_t *p, uint32_t *acc, __m256i *lo, __m256i *hi)
{
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m256i a = _mm256_set1_epi32((int32_t)*acc);
    *lo = _mm256_add_epi32(prefix8(_mm256_cvtepi8_epi32(b)), a);
    __m256i last = _mm256_permutevar8x32_epi32(*lo, _mm256_set1_epi32(7));
    *hi = _mm256_add_epi32(prefix8(_mm256_cvtepi8_epi32(_mm_srli_si128(b, 8))), last);
    *acc = (uint32_t)_mm256_extract_epi32(*hi, 7);
}

/* Windows with escapes: 8 bytes at a time without a branch per element. The mask of 0x80
 * bytes among the first 8 decides, through a table of 256 entries built once, where each
 * element starts when the bytes are parsed in order (an escape swallows the next two bytes,
 * even if one of them is 0x80): a byte shuffle gathers each element's delta into a 16-bit
 * lane (one-byte deltas then sign-extended by the xor/sub with 0x80), and the entry gives the
 * element count and bytes consumed (at most 10). A 4- or 8-byte escape shows as a 16-bit
 * payload of 0x8000 and takes the general path. */
typedef struct mixed_entry {
    uint8_t shuf[16];   /* pshufb control: lane e = bytes of element e, 0x80 = zero */
    uint8_t fix[16];    /* 0x80 in the low byte of one-byte lanes, else 0 */
    int32_t count;      /* elements starting in bytes 0..7 */
    int32_t consumed;   /* bytes they take */
    int32_t pad_[6];
} mixed_entry;

static mixed_entry mixed_table[256] __attribute__((aligned(64)));

static void mixed_table_build(void)
{
    for (int m = 0; m < 256; m++) {
        mixed_entry *e = &mixed_table[m];
        memset(e, 0, sizeof *e);
        memset(e->shuf, 0x80, sizeof e->shuf);
        int pos = 0, k = 0;
        while (pos < 8) {
            if (m >> pos & 1) {
                e->shuf[2 * k] = (uint8_t)(pos + 1);
                e->shuf[2 * k + 1] = (uint8_t)(pos + 2);
                pos += 3;
            } else {
                e->shuf[2 * k] = (uint8_t)pos;
                e->fix[2 * k] = 0x80;
                pos += 1;
            }
            k++;
        }
        e->count = k;
        e->consumed = pos;
    }
}

static pthread_once_t mixed_once = PTHREAD_ONCE_INIT;

static inline void store8_i32(int32_t *out, __m256i x)
{
    _mm256_storeu_si256((__m256i *)(void *)out, x);
}
static inline void store8_f32(float *out, __m256i x)
{
    _mm256_storeu_ps(out, _mm256_cvtepi32_ps(x));
}

/* One 32-byte load and its mask of 0x80 bytes serve several steps, so the chain from one
 * step's position to the next is a shift of the mask and a table load: while 16 plain bytes
 * follow, a block of 16; otherwise one table step over 8 bytes. The loop keeps 47 readable
 * bytes (32 for the steps, 15 for an escape) and 32 elements of room; the reference loop
 * finishes. */
#define AVX2_KERNEL(NAME, OUT_T, CONV, STORE8)                                             \
    static int64_t NAME(const uint8_t *src, size_t size, OUT_T *dst, int64_t n,            \
                        size_t *used)                                                      \
    {                                                                                      \
        pthread_once(&mixed_once, mixed_table_build);                                      \
        const uint8_t *p = src, *end = src + size;                                         \
        uint32_t acc = 0;                                                                  \
        int64_t i = 0;                                                                     \
        const __m256i m80 = _mm256_set1_epi8((char)0x80);                                  \
        while (n - i >= 32 && end - p >= 47) {                                             \
            __m256i B = _mm256_loadu_si256((const __m256i *)(const void *)p);              \
            uint32_t M = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(B, m80));        \
            int pos = 0;                                                                   \
            while (pos <= 16) {                                                            \
                uint32_t m = M >> pos;                                                     \
                if ((m & 0xFFFF) == 0) {                              \
                    __m256i lo, hi;                                                        \
                    block16(p + pos, &acc, &lo, &hi);                                      \
                    STORE8(dst + i, lo);                                                   \
                    STORE8(dst + i + 8, hi);                                               \
                    pos += 16;                                                             \
                    i += 16;                                                               \
                    continue;                                                              \
                }                                                                          \
                const mixed_entry *e = &mixed_table[m & 0xFF];                             \
                __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + pos));     \
                __m128i f = _mm_load_si128((const __m128i *)(const void *)e->fix);         \
                __m128i v = _mm_shuffle_epi8(                                              \
                    b, _mm_load_si128((const __m128i *)(const void *)e->shuf));            \
                v = _mm_sub_epi16(_mm_xor_si128(v, f), f);                                 \
                if (__builtin_expect(                                                      \
                        _mm_movemask_epi8(_mm_cmpeq_epi16(v, _mm_set1_epi16(-32768))), 0)) { \
                    /* a 4- or 8-byte escape: plain bytes, then the general escape */      \
                    int k = __builtin_ctz(m);                                              \
                    for (int j = 0; j < k; j++) {                                          \
                        acc += (uint32_t)(int32_t)(int8_t)p[pos + j];                      \
                        dst[i++] = CONV(acc);                                              \
                    }                                                                      \
                    pos = (int)(tsct__bo_escape(p + pos + k, &acc) - p);                   \
                    dst[i++] = CONV(acc);                                                  \
                    break;                                                                 \
                }                                                                          \
                __m256i x = _mm256_add_epi32(prefix8(_mm256_cvtepi16_epi32(v)),            \
                                             _mm256_set1_epi32((int32_t)acc));             \
                STORE8(dst + i, x);                                                        \
                acc = (uint32_t)_mm256_cvtsi256_si32(                                      \
                    _mm256_permutevar8x32_epi32(x, _mm256_set1_epi32(e->count - 1)));      \
                pos += e->consumed;                                                        \
                i += e->count;                                                             \
            }                                                                              \
            p += pos;                                                                      \
        }                                                                                  \
        BO_REFERENCE_LOOP(dst[i] = CONV(acc));                                             \
        *used = (size_t)(p - src);                                                         \
        return i;                                                                          \
    }

AVX2_KERNEL(avx2_i32, int32_t, BO_CONV_I32, store8_i32)
AVX2_KERNEL(avx2_f32, float, BO_CONV_F32, store8_f32)

#if defined(__clang__)
#pragma clang attribute pop
#endif

const tsct__cbf_kernels tsct__cbf_kernels_avx2 = {"avx2", avx2_i32, avx2_f32};
#else
const tsct__cbf_kernels tsct__cbf_kernels_avx2 = {NULL, NULL, NULL};
#endif
