/* tomo_geometry.c - the parallel-beam geometry shared by FBP and the projector pair, the
 * choice of kernels, and the OpenMP drivers that spread image tiles (back projection) or
 * angles (forward projection) over threads. See tomo_internal.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tomo/tomo_internal.h"
#include "tsct_config.h"

#if TSCT_HAVE_OPENMP
#include <omp.h>
#endif

tsct_status tsct__tomo_geom_init(tsct__tomo_geom *g, int64_t na, int64_t ns,
                                 const double *angles_deg, int64_t n, int circle,
                                 const char *who, tsct_error *err)
{
    *g = (tsct__tomo_geom){0};
    if (na < 1)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, who, -1,
                              "need at least 1 projection angle, got na = %lld", (long long)na);
    if (ns < 2)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, who, -1,
                              "need at least 2 detector positions, got ns = %lld",
                              (long long)ns);
    if (n < 1)
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, who, -1,
                              "image size must be at least 1, got %lld", (long long)n);
    /* Limits that keep every index product (n * n * ld, na * nbins * block) far from 2^63. */
    if (na > (INT64_C(1) << 24) || ns > (INT64_C(1) << 24) || n > (INT64_C(1) << 24))
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, who, -1,
                              "sizes too large: na = %lld, ns = %lld, n = %lld (limit 2^24)",
                              (long long)na, (long long)ns, (long long)n);
    if (!angles_deg)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, who, -1, "angles is NULL");
    for (int64_t a = 0; a < na; a++)
        if (!isfinite(angles_deg[a]))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "angles", a,
                                  "%s: angle is %g degrees; angles must be finite", who,
                                  angles_deg[a]);
    g->na = na;
    g->ns = ns;
    g->n = n;
    g->radius = n / 2;
    g->circle = circle ? 1 : 0;
    g->cosv = malloc((size_t)na * sizeof *g->cosv);
    g->sinv = malloc((size_t)na * sizeof *g->sinv);
    g->xlo = malloc((size_t)n * sizeof *g->xlo);
    g->xhi = malloc((size_t)n * sizeof *g->xhi);
    if (!g->cosv || !g->sinv || !g->xlo || !g->xhi)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, who, -1,
                              "allocating the geometry tables");
    for (int64_t a = 0; a < na; a++) {
        /* numpy.deg2rad multiplies by pi / 180; the same product keeps floor() decisions
         * identical to skimage's. */
        const double th = angles_deg[a] * (M_PI / 180.0);
        g->cosv[a] = cos(th);
        g->sinv[a] = sin(th);
    }
    const int64_t R = g->radius;
    for (int64_t r = 0; r < n; r++) {
        if (!g->circle) {
            g->xlo[r] = 0;
            g->xhi[r] = n;
            continue;
        }
        /* Inside iff (r - R)^2 + (c - R)^2 <= R^2 (iradon's mask), in exact integers. */
        const int64_t dy = r - R, rem = R * R - dy * dy;
        if (rem < 0) {
            g->xlo[r] = g->xhi[r] = 0;
            continue;
        }
        int64_t w = (int64_t)sqrt((double)rem);
        while (w * w > rem)
            w--;
        while ((w + 1) * (w + 1) <= rem)
            w++;
        g->xlo[r] = R - w < 0 ? 0 : R - w;
        g->xhi[r] = R + w + 1 > n ? n : R + w + 1;
    }
    return TSCT_OK;
}

void tsct__tomo_geom_release(tsct__tomo_geom *g)
{
    if (!g)
        return;
    free(g->cosv);
    free(g->sinv);
    free(g->xlo);
    free(g->xhi);
    *g = (tsct__tomo_geom){0};
}

const tsct__tomo_kernels *tsct__tomo_kernels_select(void)
{
    /* getenv only reads the environment; the choice is made per plan, so no global state. */
    const char *cap = getenv("TSCT_TOMO_KERNELS");
    if (cap && strcmp(cap, "generic") == 0)
        return &tsct__tomo_kernels_generic;
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (!(cap && strcmp(cap, "avx2") == 0) && tsct__tomo_kernels_avx512.name && avx2 &&
        __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl"))
        return &tsct__tomo_kernels_avx512;
    if (tsct__tomo_kernels_avx2.name && avx2)
        return &tsct__tomo_kernels_avx2;
#endif
    return &tsct__tomo_kernels_generic;
}

void tsct__tomo_backproject(const tsct__tomo_geom *g, const tsct__tomo_kernels *k,
                            const tsct__bp_src *src, int64_t nch, float scale, float *image,
                            int64_t ld, int nthreads)
{
    const int64_t T = TSCT__TOMO_TILE;
    const int64_t nt = (g->n + T - 1) / T, ntiles = nt * nt;
    (void)nthreads;
#if TSCT_HAVE_OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
#endif
    for (int64_t t = 0; t < ntiles; t++) {
        const int64_t r0 = (t / nt) * T, c0 = (t % nt) * T;
        const int64_t r1 = r0 + T < g->n ? r0 + T : g->n, c1 = c0 + T < g->n ? c0 + T : g->n;
        for (int64_t ch0 = 0; ch0 < nch; ch0 += k->ch) {
            const int64_t m = nch - ch0 < k->ch ? nch - ch0 : k->ch;
            tsct__bp_src s = *src;
            s.data += ch0;
            k->gather_tile(g, &s, m, r0, r1, c0, c1, scale, image + ch0, ld);
        }
    }
}

void tsct__tomo_forward(const tsct__tomo_geom *g, const tsct__tomo_kernels *k,
                        const float *image, int64_t nc, float *sino, int nthreads)
{
    (void)nthreads;
#if TSCT_HAVE_OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
#endif
    for (int64_t a = 0; a < g->na; a++)
        k->scatter_angle(g, image, nc, a, sino + a * g->ns * nc);
}
