/* tomo_kernel_template.h - the back- and forward-projection kernels, written once and compiled
 * once per instruction set by the tomo_kernels_*.c files, which define TSCT__KNAME(name) before
 * including this file (it is not a translation unit of its own).
 *
 * Gather (back projection) of one tile: for each block of TSCT__TOMO_ABLOCK angles, each pixel
 * of the tile keeps its 4 * TSCT__VW channel sums (32 for 8-float vectors, 64 for AVX-512's
 * 16) in registers (GCC vector extensions, which
 * lower to whatever SIMD width the file is compiled for) while it walks the angles; the tile's
 * accumulators live in a stack array of at most 64 KiB. Walking angle blocks tile by tile keeps the
 * detector bins a tile touches (about 1.3 TILE + 2 bins per angle) in the L1/L2 caches.
 * The interpolation index and fraction are computed once per (pixel, angle), in double so that
 * floor() decisions match numpy's (the SIMD files allow fused multiply-adds, which can move a
 * floor() decision only where u is within rounding of an integer, where linear interpolation
 * is continuous), and applied to all channels. */
#include <string.h>

/* Vector width in floats: 8 (32-byte vectors) unless the including file sets TSCT__VW 16. */
#ifndef TSCT__VW
#define TSCT__VW 8
#endif
typedef float tsct__vec __attribute__((vector_size(TSCT__VW * 4)));

/* Unaligned vector loads and stores (macros, not functions: returning a vector type from a
 * function changes the ABI between instruction sets). */
#define TSCT__LOADV(v, p) memcpy(&(v), (p), sizeof(tsct__vec))
#define TSCT__STOREV(p, v) memcpy((p), &(v), sizeof(tsct__vec))

static void TSCT__KNAME(gather_tile)(const tsct__tomo_geom *g, const tsct__bp_src *src,
                                     int64_t nch, int64_t r0, int64_t r1, int64_t c0,
                                     int64_t c1, float scale, float *image, int64_t ld)
{
    /* CH channels per call: four vectors of TSCT__VW floats, held in registers. */
    enum { T = TSCT__TOMO_TILE, CH = 4 * TSCT__VW, AB = TSCT__TOMO_ABLOCK };
    _Static_assert(CH <= TSCT__TOMO_CH, "TSCT__TOMO_CH bounds the channels per call");
    float acc[T * T * CH] __attribute__((aligned(64)));
    const int64_t R = g->radius, na = g->na;
    const double umax = (double)(src->nbins - 1), u0 = src->u0;
    const int64_t jmax = src->nbins - 2;
    const float *data = src->data;
    const int64_t astride = src->astride, bstride = src->bstride;

    memset(acc, 0, sizeof acc);
    for (int64_t a0 = 0; a0 < na; a0 += AB) {
        const int64_t a1 = a0 + AB < na ? a0 + AB : na;
        for (int64_t r = r0; r < r1; r++) {
            const int64_t lo = c0 > g->xlo[r] ? c0 : g->xlo[r];
            const int64_t hi = c1 < g->xhi[r] ? c1 : g->xhi[r];
            const double dy = (double)(r - R);
            for (int64_t c = lo; c < hi; c++) {
                float *ap = acc + ((r - r0) * T + (c - c0)) * CH;
                const double dx = (double)(c - R);
                if (nch == CH) {
                    tsct__vec s0, s1, s2, s3, x, y;
                    TSCT__LOADV(s0, ap);
                    TSCT__LOADV(s1, ap + TSCT__VW);
                    TSCT__LOADV(s2, ap + 2 * TSCT__VW);
                    TSCT__LOADV(s3, ap + 3 * TSCT__VW);
                    for (int64_t a = a0; a < a1; a++) {
                        const double t = dx * g->cosv[a] - dy * g->sinv[a];
                        const double u = t + u0;
                        if (!(u >= 0.0 && u <= umax))
                            continue;
                        int64_t j = (int64_t)u;
                        if (j > jmax)
                            j = jmax;
                        const float f = (float)(u - (double)j);
                        const float *p0 = data + a * astride + j * bstride;
                        const float *p1 = p0 + bstride;
                        TSCT__LOADV(x, p0);
                        TSCT__LOADV(y, p1);
                        s0 += x + f * (y - x);
                        TSCT__LOADV(x, p0 + TSCT__VW);
                        TSCT__LOADV(y, p1 + TSCT__VW);
                        s1 += x + f * (y - x);
                        TSCT__LOADV(x, p0 + 2 * TSCT__VW);
                        TSCT__LOADV(y, p1 + 2 * TSCT__VW);
                        s2 += x + f * (y - x);
                        TSCT__LOADV(x, p0 + 3 * TSCT__VW);
                        TSCT__LOADV(y, p1 + 3 * TSCT__VW);
                        s3 += x + f * (y - x);
                    }
                    TSCT__STOREV(ap, s0);
                    TSCT__STOREV(ap + TSCT__VW, s1);
                    TSCT__STOREV(ap + 2 * TSCT__VW, s2);
                    TSCT__STOREV(ap + 3 * TSCT__VW, s3);
                } else {
                    for (int64_t a = a0; a < a1; a++) {
                        const double t = dx * g->cosv[a] - dy * g->sinv[a];
                        const double u = t + u0;
                        if (!(u >= 0.0 && u <= umax))
                            continue;
                        int64_t j = (int64_t)u;
                        if (j > jmax)
                            j = jmax;
                        const float f = (float)(u - (double)j);
                        const float *p0 = data + a * astride + j * bstride;
                        const float *p1 = p0 + bstride;
                        for (int64_t ch = 0; ch < nch; ch++)
                            ap[ch] += p0[ch] + f * (p1[ch] - p0[ch]);
                    }
                }
            }
        }
    }
    for (int64_t r = r0; r < r1; r++) {
        for (int64_t c = c0; c < c1; c++) {
            float *out = image + (r * g->n + c) * ld;
            if (c >= g->xlo[r] && c < g->xhi[r]) {
                const float *ap = acc + ((r - r0) * T + (c - c0)) * CH;
                for (int64_t ch = 0; ch < nch; ch++)
                    out[ch] = scale * ap[ch];
            } else {
                for (int64_t ch = 0; ch < nch; ch++)
                    out[ch] = 0.0f;
            }
        }
    }
}

static void TSCT__KNAME(scatter_angle)(const tsct__tomo_geom *g, const float *image,
                                       int64_t nc, int64_t a, float *row)
{
    const int64_t R = g->radius, n = g->n;
    const double umax = (double)(g->ns - 1), u0 = (double)(g->ns / 2);
    const int64_t jmax = g->ns - 2;
    const double ca = g->cosv[a], sa = g->sinv[a];

    memset(row, 0, (size_t)(g->ns * nc) * sizeof *row);
    for (int64_t r = 0; r < n; r++) {
        const double dy = (double)(r - R);
        for (int64_t c = g->xlo[r]; c < g->xhi[r]; c++) {
            const double t = (double)(c - R) * ca - dy * sa;
            const double u = t + u0;
            if (!(u >= 0.0 && u <= umax))
                continue;
            int64_t j = (int64_t)u;
            if (j > jmax)
                j = jmax;
            const float f = (float)(u - (double)j), w0 = 1.0f - f;
            const float *px = image + (r * n + c) * nc;
            float *o0 = row + j * nc, *o1 = o0 + nc;
            for (int64_t ch = 0; ch < nc; ch++) {
                o0[ch] += w0 * px[ch];
                o1[ch] += f * px[ch];
            }
        }
    }
}
