/* tomo_projector.c - the matched pixel-driven projector pair (A, A^T) used by the iterative
 * solvers. A^T is iradon's linear-interpolation back projection on the measured ns bins
 * (gather, parallel over image tiles); A scatters each pixel into the two bins around its
 * projection with the same weights (parallel over angles, each thread owning its angles'
 * sinogram rows, so no two threads write the same memory). Both use the kernels of
 * tomo_kernel_template.h, so A and A^T are adjoint to float rounding by construction. */
#include <stdlib.h>

#include "tomo/tomo_internal.h"
#include "tomo/tomo_projector_internal.h"
#include "tsct/threads.h"
#include "tsct/tomo.h"

void tsct_tomo_projector_destroy(tsct_tomo_projector *proj)
{
    if (!proj)
        return;
    tsct__tomo_geom_release(&proj->geom);
    free(proj);
}

tsct_status tsct_tomo_projector_create(const tsct_tomo_projector_params *params, int64_t na,
                                       int64_t ns, const double *angles_deg,
                                       tsct_tomo_projector **out, tsct_error *err)
{
    static const tsct_tomo_projector_params defaults = TSCT_TOMO_PROJECTOR_PARAMS_DEFAULT;
    if (!out)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "projector", -1,
                              "projector pointer is NULL");
    *out = NULL;
    tsct_tomo_projector_params p = params ? *params : defaults;
    if (p.image_size < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "projector", -1,
                              "image_size must be >= 0 (0 = ns), got %lld",
                              (long long)p.image_size);
    if (p.image_size == 0)
        p.image_size = ns;
    p.nthreads = tsct_threads_resolve(p.nthreads);
    tsct_tomo_projector *proj = calloc(1, sizeof *proj);
    if (!proj)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "projector", -1,
                              "allocating the projector");
    proj->params = p;
    tsct_status st = tsct__tomo_geom_init(&proj->geom, na, ns, angles_deg, p.image_size,
                                          p.circle, "projector", err);
    if (st != TSCT_OK) {
        tsct_tomo_projector_destroy(proj);
        return st;
    }
    proj->kern = tsct__tomo_kernels_select();
    *out = proj;
    return TSCT_OK;
}

void tsct_tomo_projector_shape(const tsct_tomo_projector *proj, int64_t *na, int64_t *ns,
                               int64_t *n)
{
    if (na)
        *na = proj ? proj->geom.na : 0;
    if (ns)
        *ns = proj ? proj->geom.ns : 0;
    if (n)
        *n = proj ? proj->geom.n : 0;
}

static tsct_status check_args(const tsct_tomo_projector *proj, const void *in, int64_t nc,
                              const void *out, const char *who, tsct_error *err)
{
    if (!proj || !in || !out)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, who, -1, "NULL %s",
                              !proj ? "projector" : !in ? "input" : "output");
    if (nc < 1)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, who, -1,
                              "need at least 1 channel, got nc = %lld", (long long)nc);
    return TSCT_OK;
}

void tsct__projector_forward(const tsct_tomo_projector *proj, const float *image, int64_t nc,
                             float *sino)
{
    tsct__tomo_forward(&proj->geom, proj->kern, image, nc, sino, proj->params.nthreads);
}

void tsct__projector_adjoint(const tsct_tomo_projector *proj, const float *sino, int64_t nc,
                             float *image)
{
    const tsct__tomo_geom *g = &proj->geom;
    const tsct__bp_src src = {sino, g->ns * nc, nc, g->ns, (double)(g->ns / 2)};
    tsct__tomo_backproject(g, proj->kern, &src, nc, 1.0f, image, nc, proj->params.nthreads);
}

tsct_status tsct_tomo_projector_forward(const tsct_tomo_projector *proj, const float *image,
                                        int64_t nc, float *sino, tsct_error *err)
{
    TSCT_TRY(check_args(proj, image, nc, sino, "projector forward", err));
    tsct__projector_forward(proj, image, nc, sino);
    return TSCT_OK;
}

tsct_status tsct_tomo_projector_adjoint(const tsct_tomo_projector *proj, const float *sino,
                                        int64_t nc, float *image, tsct_error *err)
{
    TSCT_TRY(check_args(proj, sino, nc, image, "projector adjoint", err));
    tsct__projector_adjoint(proj, sino, nc, image);
    return TSCT_OK;
}
