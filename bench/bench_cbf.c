/* bench_cbf.c - time tsct's CBF reading (bench/METHOD_cbf.md).
 *
 * For one CBF file (default: the Pilatus 2M CeO2 frame of tests/data): decodes the
 * byte-offset stream from memory with every kernel variant built in (reference, avx2) into
 * float32, then reads the file as a user does (tsct_image_read into a reused
 * image: open, read, parse the header, decode). Each measurement: one untimed warm-up, then
 * `repeats` timed runs of `inner` decodes each; the median and minimum time per frame are
 * printed with frames/s and the rate in GB/s of compressed input, one key=value line per
 * measurement. The variants must give identical pixels (checked here, and exactly in
 * tests/test_frames.c).
 *
 * usage: bench_cbf [--file F.cbf] [--repeats 7] [--inner 20] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/image_internal.h"
#include "tsct/image.h"
#include "tsct/progress.h"

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, double *t, int repeats, int64_t inner, size_t bytes)
{
    qsort(t, (size_t)repeats, sizeof *t, cmp_double);
    double med = t[repeats / 2] / (double)inner, best = t[0] / (double)inner;
    printf("tsct %s median_ms=%.4f min_ms=%.4f frames_per_s=%.1f GB_per_s=%.3f\n", what,
           med * 1e3, best * 1e3, 1.0 / med, (double)bytes / med * 1e-9);
}

int main(int argc, char **argv)
{
    const char *file = TSCT_BENCH_DATA "/detector_images/ndtomo_CeO2_Pilatus2M/CeO2.cbf";
    int repeats = 7;
    int64_t inner = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--file") == 0)
            file = argv[i + 1];
        else if (strcmp(argv[i], "--repeats") == 0)
            repeats = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--inner") == 0)
            inner = atoll(argv[i + 1]);
        else {
            fprintf(stderr, "bench_cbf: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (repeats < 1 || repeats > 1000 || inner < 1) {
        fprintf(stderr, "bench_cbf: --repeats 1..1000, --inner >= 1\n");
        return 2;
    }
    tsct_error err = TSCT_ERROR_INIT;
    tsct_image img;
    tsct_image_init(&img);
    if (tsct_image_read_cbf(&img, file, NULL, &err) != TSCT_OK) {
        fprintf(stderr, "bench_cbf: %s\n", err.message);
        return 1;
    }
    const int64_t n = img.rows * img.cols;
    const char *xs = tsct_image_header_get(&img, "X-Binary-Size");
    size_t csize = xs ? (size_t)atoll(xs) : 0;
    uint8_t *buf = NULL;
    size_t size = 0;
    if (tsct__file_read_all(file, &buf, &size, &err) != TSCT_OK || !csize || csize > size) {
        fprintf(stderr, "bench_cbf: %s: cannot find the binary section\n", file);
        return 1;
    }
    const uint8_t *mark = memmem(buf, size, "\x0c\x1a\x04\xd5", 4);
    if (!mark || (size_t)(buf + size - (mark + 4)) < csize) {
        fprintf(stderr, "bench_cbf: %s: no start-of-binary marker\n", file);
        return 1;
    }
    const uint8_t *bin = mark + 4;
    float *out = malloc((size_t)n * sizeof *out);
    double *t = malloc((size_t)repeats * sizeof *t);
    printf("file=%s rows=%lld cols=%lld compressed_bytes=%zu repeats=%d inner=%lld\n", file,
           (long long)img.rows, (long long)img.cols, csize, repeats, (long long)inner);
    const tsct__cbf_kernels *variants[2] = {&tsct__cbf_kernels_reference,
                                            &tsct__cbf_kernels_avx2};
    int bad = 0;
    for (int v = 0; v < 2; v++) {
        const tsct__cbf_kernels *k = variants[v];
        if (!k->name)
            continue;
        size_t used = 0;
        for (int r = -1; r < repeats; r++) {
            double t0 = tsct_clock();
            for (int64_t j = 0; j < inner; j++)
                if (k->decode_f32(bin, csize, out, n, &used) != n)
                    bad = 1;
            if (r >= 0)
                t[r] = tsct_clock() - t0;
        }
        if (used != csize || memcmp(out, img.data, (size_t)n * sizeof *out) != 0) {
            fprintf(stderr, "bench_cbf: kernel %s disagrees with tsct_image_read\n", k->name);
            bad = 1;
        }
        char what[64];
        snprintf(what, sizeof what, "decode_%s", k->name);
        report(what, t, repeats, inner, csize);
    }
    for (int r = -1; r < repeats; r++) {
        double t0 = tsct_clock();
        for (int64_t j = 0; j < inner; j++)
            if (tsct_image_read(&img, file, NULL, &err) != TSCT_OK)
                bad = 1;
        if (r >= 0)
            t[r] = tsct_clock() - t0;
    }
    report("read_file", t, repeats, inner, csize);
    printf("selected_kernel=%s\n", tsct__cbf_kernels_select()->name);
    free(t);
    free(out);
    free(buf);
    tsct_image_release(&img);
    return bad;
}
