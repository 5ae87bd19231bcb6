/* tomo_rings.c - ring-artefact removal by sorting (tsct_tomo_rings_sort, see tsct/tomo.h and
 * docs/tomo.md, "Ring artefacts").
 *
 * Per channel: for every detector position j the values over the angles are sorted (value,
 * then angle: a stable order), giving the sorted sinogram S[j][rank] with the angle each
 * entry came from; each rank's row across positions is median-filtered (window `size`,
 * reflected edges) and written back to the angle it came from. One channel at a time per
 * thread, with the thread's own scratch.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "tsct/threads.h"
#include "tsct/tomo.h"
#include "tomo/tomo_internal.h"

typedef tsct__tomo_ranked ranked;

/* Position j + o reflected into 0 .. ns - 1 (scipy.ndimage's 'reflect'). */
static int64_t reflect(int64_t j, int64_t ns)
{
    while (j < 0 || j >= ns)
        j = j < 0 ? -j - 1 : 2 * ns - j - 1;
    return j;
}

/* One channel c: sorted columns into s, the filtered values back into the sinogram. */
static void filter_channel(float *sino, int64_t na, int64_t ns, int64_t ld, int64_t c, int size,
                           ranked *s, float *win)
{
    for (int64_t j = 0; j < ns; j++) {
        ranked *col = s + j * na;
        for (int64_t a = 0; a < na; a++)
            col[a] = (ranked){sino[(a * ns + j) * ld + c], a};
        qsort(col, (size_t)na, sizeof *col, tsct__tomo_ranked_cmp);
    }
    const int h = size / 2;
    for (int64_t r = 0; r < na; r++)
        for (int64_t j = 0; j < ns; j++) {
            for (int o = -h; o <= h; o++)
                win[o + h] = (float)s[reflect(j + o, ns) * na + r].key;
            const float med = tsct__tomo_select_kth(win, size, size / 2);
            sino[(s[j * na + r].index * ns + j) * ld + c] = med;
        }
}

tsct_status tsct_tomo_rings_sort(float *sino, int64_t na, int64_t ns, int64_t nc, int64_t ld,
                                 int size, int nthreads, tsct_error *err)
{
    if (!sino)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "sinogram", -1, "NULL sinogram");
    if (ld == 0)
        ld = nc;
    if (na < 2 || ns < 3 || nc < 1 || ld < nc)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "sinogram", -1,
                              "needs >= 2 angles, >= 3 positions and >= 1 channel (ld >= nc); "
                              "got %lld x %lld x %lld (ld %lld)", (long long)na, (long long)ns,
                              (long long)nc, (long long)ld);
    if (size < 3 || size % 2 == 0 || size > ns)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "ring filter size", -1,
                              "must be odd and within 3 .. %lld (the detector positions), got %d",
                              (long long)ns, size);
    for (int64_t p = 0; p < na * ns; p++)
        for (int64_t c = 0; c < nc; c++)
            if (!isfinite(sino[p * ld + c]))
                return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "sinogram", p * ld + c,
                                      "value %g at angle %lld, position %lld, channel %lld is "
                                      "not finite", (double)sino[p * ld + c],
                                      (long long)(p / ns), (long long)(p % ns), (long long)c);
    const int nt = tsct_threads_resolve(nthreads);
    const int team = (int64_t)nt < nc ? nt : (int)nc;
    /* Each thread's ranked columns, then its window; whole 64-byte lines apart. */
    const size_t per =
        ((size_t)(na * ns) * sizeof(ranked) + (size_t)size * sizeof(float) + 63) / 64 * 64;
    char *scratch = malloc(per * (size_t)team);
    if (!scratch)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "sinogram", -1,
                              "%zu bytes of scratch", per * (size_t)team);
#pragma omp parallel for schedule(dynamic, 1) num_threads(team)
    for (int64_t c = 0; c < nc; c++) {
        char *mine = scratch + per * (size_t)tsct__thread_id();
        filter_channel(sino, na, ns, ld, c, size, (ranked *)(void *)mine,
                       (float *)(void *)(mine + (size_t)(na * ns) * sizeof(ranked)));
    }
    free(scratch);
    return TSCT_OK;
}
