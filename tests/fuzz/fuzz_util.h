/* fuzz_util.h - helpers shared by the libFuzzer harnesses of parsers that take a path: the
 * input is written to one scratch file per process (in $TMPDIR, else /tmp) and the parser
 * opens it, as it would a user's file. */
#ifndef TSCT_FUZZ_UTIL_H
#define TSCT_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write data[size] to this process's scratch file with the given suffix (".chi", ".mpt")
 * into path[cap]; returns path, or traps when the file cannot be written. */
static inline const char *fuzz_write_temp(char *path, size_t cap, const char *suffix,
                                          const uint8_t *data, size_t size)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, cap, "%s/tsct_fuzz_%ld%s", dir && *dir ? dir : "/tmp", (long)getpid(),
             suffix);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        __builtin_trap();
    return path;
}

/* A cursor over the input for harnesses that build their file from it: each take returns
 * the next bytes, or zeros once the input is used up. */
typedef struct fuzz_bytes {
    const uint8_t *p;
    size_t n, i;
} fuzz_bytes;

static inline unsigned fuzz_u8(fuzz_bytes *b)
{
    return b->i < b->n ? b->p[b->i++] : 0u;
}

static inline uint32_t fuzz_u32(fuzz_bytes *b)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++)
        v |= (uint32_t)fuzz_u8(b) << (8 * k);
    return v;
}

/* A double from 8 bytes as they are (NaN, infinities, subnormals included). */
static inline double fuzz_f64(fuzz_bytes *b)
{
    uint64_t v = 0;
    for (int k = 0; k < 8; k++)
        v |= (uint64_t)fuzz_u8(b) << (8 * k);
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

/* Every failure must say why. */
#define FUZZ_CHECK_MESSAGE(st, err)                                                       \
    do {                                                                                   \
        if ((st) != TSCT_OK && !(err).message[0])                                          \
            __builtin_trap();                                                              \
    } while (0)

#endif
