/* sim_physics.c - detector frames with parallax and self-absorption (include/tsct/sim_physics.h,
 * docs/simulate.md "Parallax and self-absorption").
 *
 * Design: a frame is one pencil-beam position. Its ray is cut into voxel segments (Siddon, as
 * the scan's forward model), the segments' component lengths are summed into depth bins along
 * the beam, each weighted by the incident beam's attenuation up to it; each occupied bin is a
 * pattern sum_c F_bc pattern_c scattering from its own point on the beam, drawn onto every
 * pixel with that point's 2theta and solid angle and attenuated on the way out along the
 * pixel's direction. The outgoing line integral depends on the pixel only through the
 * horizontal direction of its ray, so it is traced at a few directions spanning the detector
 * and interpolated; the 3-D path is the horizontal one over the horizontal share of the unit
 * direction.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"
#include "tsct/geometry.h"
#include "tsct/sim_physics.h"

struct tsct_sim_physics_plan {
    tsct_sim_physics_params params;
    tsct_sim_render_plan *render;   /* nominal geometry: q, factor, mask, spots */
    int64_t rows, cols, n, nc;
    double voxel_mm, voxel_m;
    double *t;                      /* [rows][cols][3] pixel centres in the lab, m */
    double dist, u3, wavelength_a, polarization;
    double half;                    /* depth bins cover l in [-half, half] voxels */
    int64_t nbins;
    double phi_lo, phi_hi;          /* horizontal exit angles spanned by the detector, rad */
    int nsub;
    double u[4096], w[4096];        /* beam sub-rays */
};

struct tsct_sim_physics_work {
    int64_t nq, nseg;
    int64_t *vox;
    double *l0, *len, *xl0, *xlen;  /* the beam's segments; an exit line's */
    int64_t *xvox;
    double *F;                      /* [nbins][nc] */
    double *lsum, *lw;              /* [nbins] */
    int64_t *active;                /* [nbins] */
    float *I;                       /* [nbins][nq] the occupied bins' patterns */
    double *dz;                     /* [nbins] m */
    double *Lout;                   /* [nbins][nazimuth], mu x voxels */
};

void tsct_sim_physics_plan_destroy(tsct_sim_physics_plan *p)
{
    if (!p)
        return;
    tsct_sim_render_plan_destroy(p->render);
    free(p->t);
    free(p);
}

const tsct_sim_render_plan *tsct_sim_physics_plan_render(const tsct_sim_physics_plan *p)
{
    return p->render;
}

tsct_status tsct_sim_physics_plan_create(const tsct_poni *g, int64_t rows, int64_t cols,
                                         const uint8_t *mask, double polarization,
                                         const tsct_sim_physics_params *params, int64_t n,
                                         int64_t nc, double voxel_mm, const tsct_sim_beam *beam,
                                         int nthreads, tsct_sim_physics_plan **out,
                                         tsct_error *err)
{
    static const tsct_sim_beam thin = {0, TSCT_SIM_BEAM_TOPHAT, 1};
    *out = NULL;
    if (!(params->depth_bin > 0) || !isfinite(params->depth_bin) || params->nazimuth < 2 ||
        params->nazimuth > 4096)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "physics", -1,
                              "depth bin %g voxels (> 0) and %d exit directions (2 .. 4096)",
                              params->depth_bin, params->nazimuth);
    if (n < 1 || nc < 1 || n > 1000000 || !(voxel_mm > 0) || !isfinite(voxel_mm))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "physics", -1,
                              "slice of %lld voxels of %g mm with %lld components: expected "
                              "positive sizes",
                              (long long)n, voxel_mm, (long long)nc);
    if (!beam)
        beam = &thin;
    if (!(beam->width >= 0) || beam->nsub < 1 || beam->nsub > 4096)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "beam", -1,
                              "width %g must be >= 0 and sub-rays %d in 1..4096", beam->width,
                              beam->nsub);
    tsct_sim_physics_plan *p = calloc(1, sizeof *p);
    if (!p)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "physics plan", -1, "state");
    tsct_status st = tsct_sim_render_plan_create(g, rows, cols, mask, polarization, nthreads,
                                                 &p->render, err);
    if (st != TSCT_OK) {
        free(p);
        return st;
    }
    p->params = *params;
    p->rows = rows;
    p->cols = cols;
    p->n = n;
    p->nc = nc;
    p->voxel_mm = voxel_mm;
    p->voxel_m = voxel_mm * 1e-3;
    p->dist = g->dist;
    p->wavelength_a = g->wavelength * 1e10;
    p->polarization = polarization;
    p->nsub = tsct__sim_beam_samples(beam, p->u, p->w);
    /* Every segment of an n x n grid lies within n / sqrt(2) + 1 of the centre line's foot. */
    p->half = (double)n * M_SQRT1_2 + 2.0 + (beam->width > 0 ? beam->width : 0);
    p->nbins = (int64_t)ceil(2 * p->half / params->depth_bin) + 1;
    /* The detector normal n = R e3: the PONI's point over dist; u3 = its beam component. */
    double c[3];
    tsct_geometry_point(g, g->poni1 / g->pixel1, g->poni2 / g->pixel2, c);
    p->u3 = c[2] / g->dist;
    const int64_t npx = rows * cols;
    p->t = malloc((size_t)npx * 3 * sizeof *p->t);
    if (!p->t) {
        tsct_sim_physics_plan_destroy(p);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "physics plan", -1, "%lld pixels",
                              (long long)npx);
    }
    const double zmax = p->half * p->voxel_m;
    double lo = INFINITY, hi = -INFINITY, closest = INFINITY;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t k = 0; k < cols; k++) {
            double *t = p->t + (i * cols + k) * 3;
            tsct_geometry_point(g, (double)i + 0.5, (double)k + 0.5, t);
            closest = fmin(closest, t[2]);
            /* The horizontal angle of the pixel seen from the nearest and farthest points. */
            for (int e = -1; e <= 1; e += 2) {
                double phi = atan2(t[1], t[2] - e * zmax);
                lo = fmin(lo, phi);
                hi = fmax(hi, phi);
            }
        }
    if (!(closest > zmax))
        st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "physics", -1,
                            "the sample reaches the detector: a pixel lies %g mm down the beam, "
                            "the sample's farthest voxel %g mm",
                            closest * 1e3, zmax * 1e3);
    if (st != TSCT_OK) {
        tsct_sim_physics_plan_destroy(p);
        return st;
    }
    p->phi_lo = lo;
    p->phi_hi = hi > lo ? hi : lo + 1e-9;
    *out = p;
    return TSCT_OK;
}

void tsct_sim_physics_work_destroy(tsct_sim_physics_work *w)
{
    if (!w)
        return;
    free(w->vox);
    free(w->l0);
    free(w->xvox);
    free(w->F);
    free(w->lsum);
    free(w->active);
    free(w->I);
    free(w->Lout);
    free(w);
}

tsct_status tsct_sim_physics_work_create(const tsct_sim_physics_plan *p, int64_t nq,
                                         tsct_sim_physics_work **out, tsct_error *err)
{
    *out = NULL;
    tsct_sim_physics_work *w = calloc(1, sizeof *w);
    const int64_t nb = p->nbins, nseg = 2 * p->n + 2;
    if (w) {
        w->nq = nq;
        w->nseg = nseg;
        w->vox = malloc((size_t)nseg * sizeof *w->vox);
        w->xvox = malloc((size_t)nseg * sizeof *w->xvox);
        w->l0 = malloc((size_t)nseg * 4 * sizeof *w->l0);
        w->F = calloc((size_t)(nb * p->nc), sizeof *w->F);
        w->lsum = malloc((size_t)nb * 3 * sizeof *w->lsum);
        w->active = malloc((size_t)nb * sizeof *w->active);
        w->I = malloc((size_t)(nb * (nq > 0 ? nq : 1)) * sizeof *w->I);
        w->Lout = malloc((size_t)(nb * p->params.nazimuth) * sizeof *w->Lout);
    }
    if (!w || !w->vox || !w->xvox || !w->l0 || !w->F || !w->lsum || !w->active || !w->I ||
        !w->Lout) {
        tsct_sim_physics_work_destroy(w);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "physics workspace", -1,
                              "%lld depth bins of %lld channels", (long long)nb, (long long)nq);
    }
    w->len = w->l0 + nseg;
    w->xl0 = w->len + nseg;
    w->xlen = w->xl0 + nseg;
    w->lw = w->lsum + nb;
    w->dz = w->lw + nb;
    *out = w;
    return TSCT_OK;
}

/* The line integral of mu (1/mm x voxels) from the point (x, y) to the slice's edge along the
 * unit direction (dx, dy). */
static double exit_integral(const tsct_sim_physics_plan *p, tsct_sim_physics_work *w,
                            const float *mu, double x, double y, double dx, double dy)
{
    int64_t m = tsct__sim_ray_segments(p->n, x, y, dx, dy, w->xvox, w->xl0, w->xlen);
    double sum = 0;
    for (int64_t s = 0; s < m; s++) {
        double a = fmax(w->xl0[s], 0.0), b = w->xl0[s] + w->xlen[s];
        if (b > a)
            sum += (b - a) * mu[w->xvox[s]];
    }
    return sum;
}

/* Depth bins of one beam position: F, lsum / lw, and the whole-path mu integral (returned). */
static double fill_bins(const tsct_sim_physics_plan *p, tsct_sim_physics_work *w,
                        const float *fractions, const float *mu, double c, double s, double t)
{
    const int64_t nc = p->nc;
    const int absorb = p->params.absorption && mu;
    memset(w->F, 0, (size_t)(p->nbins * nc) * sizeof *w->F);
    memset(w->lsum, 0, (size_t)p->nbins * 2 * sizeof *w->lsum);
    double path = 0;
    for (int q = 0; q < p->nsub; q++) {
        const double tq = t + p->u[q];
        int64_t m = tsct__sim_ray_segments(p->n, tq * c, -tq * s, s, c, w->vox, w->l0, w->len);
        double before = 0;   /* mu x voxels crossed before the segment */
        for (int64_t k = 0; k < m; k++) {
            const double len = w->len[k], lmid = w->l0[k] + 0.5 * len;
            const double muv = mu ? mu[w->vox[k]] : 0.0;
            double eff = len;
            if (absorb) {
                /* The incident attenuation integrated over the segment. */
                double mm = muv * len * p->voxel_mm;
                eff = exp(-before * p->voxel_mm) * (mm > 1e-12 ? len * -expm1(-mm) / mm : len);
            }
            before += muv * len;
            int64_t b = (int64_t)floor((lmid + p->half) / p->params.depth_bin);
            if (b < 0)
                b = 0;
            if (b >= p->nbins)
                b = p->nbins - 1;
            const float *f = fractions + w->vox[k] * nc;
            double *F = w->F + b * nc;
            for (int64_t ch = 0; ch < nc; ch++)
                F[ch] += p->w[q] * eff * f[ch];
            w->lsum[b] += p->w[q] * len * lmid;
            w->lw[b] += p->w[q] * len;
        }
        path += p->w[q] * before;
    }
    return path;
}

tsct_status tsct_sim_physics_frame(const tsct_sim_physics_plan *p, const float *fractions,
                                   const float *mu, const float *patterns, const double *q,
                                   int64_t nq, double theta_deg, double t, double scale,
                                   const float *dark, const float *flat,
                                   const tsct_sim_spots *spots, tsct_sim_rng *rng,
                                   tsct_sim_physics_work *w, float *frame, tsct_error *err)
{
    int uniform = 1;
    int64_t bad = 0;
    if (nq < 2 || nq > w->nq)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "pattern", -1,
                              "%lld channels: expected 2 .. %lld (the workspace's)",
                              (long long)nq, (long long)w->nq);
    if (!tsct__sim_grid_check(q, nq, &uniform, &bad))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "q", bad,
                              "the grid must increase, %g after %g", q[bad], q[bad - 1]);
    if (!isfinite(scale) || scale < 0 || !isfinite(theta_deg) || !isfinite(t))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "frame", -1,
                              "scale %g (>= 0), angle %g and translation %g must be finite",
                              scale, theta_deg, t);
    const double th = theta_deg * (M_PI / 180.0), c = cos(th), s = sin(th);
    const int64_t nc = p->nc, K = p->params.nazimuth;
    const int absorb = p->params.absorption && mu, parallax = p->params.parallax;
    const double path = fill_bins(p, w, fractions, mu, c, s, t);
    const double T0 = !p->params.absorption && mu ? exp(-path * p->voxel_mm) : 1.0;
    /* The occupied bins: their patterns, positions and exit integrals. */
    int64_t na = 0;
    for (int64_t b = 0; b < p->nbins; b++) {
        if (!(w->lw[b] > 0))
            continue;
        const double *F = w->F + b * nc;
        float *I = w->I + na * nq;
        double any = 0;
        for (int64_t j = 0; j < nq; j++) {
            double v = 0;
            for (int64_t ch = 0; ch < nc; ch++)
                v += F[ch] * patterns[ch * nq + j];
            I[j] = (float)v;
            any += fabs(v);
        }
        if (!(any > 0))
            continue;
        const double l = w->lsum[b] / w->lw[b];
        w->dz[na] = parallax ? l * p->voxel_m : 0.0;
        if (absorb) {
            /* The scattering point on the beam's centre line; horizontal lab direction
             * (sin phi, cos phi) along (axis 2, axis 3) is h2 (c, -s) + h3 (s, c) here. */
            const double x = t * c + l * s, y = -t * s + l * c;
            double *L = w->Lout + na * K;
            for (int64_t k = 0; k < K; k++) {
                double phi = p->phi_lo + (p->phi_hi - p->phi_lo) * (double)k / (double)(K - 1);
                double h2 = sin(phi), h3 = cos(phi);
                L[k] = exit_integral(p, w, mu, x, y, h2 * c + h3 * s, -h2 * s + h3 * c);
            }
        }
        w->active[na++] = b;
    }
    const tsct_sim_render_plan *rp = p->render;
    const double *q0 = tsct_sim_render_plan_q(rp), *f0 = tsct_sim_render_plan_factor(rp);
    const int64_t npx = p->rows * p->cols;
    const double kq = 4 * M_PI / p->wavelength_a, dist2 = p->dist * p->dist;
    const double dphi = (p->phi_hi - p->phi_lo) / (double)(K - 1);
    for (int64_t px = 0; px < npx; px++) {
        const double *tp = p->t + px * 3;
        const double rho2 = tp[0] * tp[0] + tp[1] * tp[1];
        const double chi = atan2(tp[0], tp[1]);
        double sum = 0;
        for (int64_t b = 0; b < na; b++) {
            const float *I = w->I + b * nq;
            double qv, factor;
            const double r3 = tp[2] - w->dz[b];
            if (parallax) {
                const double r2 = rho2 + r3 * r3, r = sqrt(r2);
                const double tth = atan2(sqrt(rho2), r3);
                qv = kq * sin(0.5 * tth);
                factor = dist2 * (p->dist - w->dz[b] * p->u3) / (r2 * r) *
                         tsct_geometry_polarization(tth, chi, p->polarization, 0.0);
            } else {
                qv = q0[px];
                factor = f0[px];
            }
            double v = tsct__sim_interp(q, I, nq, uniform, qv);
            if (v == 0)
                continue;
            v *= factor;
            if (absorb) {
                const double hor = sqrt(tp[1] * tp[1] + r3 * r3);
                const double share = hor / sqrt(rho2 + r3 * r3);
                double x = (atan2(tp[1], r3) - p->phi_lo) / dphi;
                int64_t k = (int64_t)floor(x);
                if (k < 0)
                    k = 0;
                if (k > K - 2)
                    k = K - 2;
                double f = fmin(fmax(x - (double)k, 0.0), 1.0);
                const double *L = w->Lout + b * K;
                double Lk = (1 - f) * L[k] + f * L[k + 1];
                v *= exp(-Lk * p->voxel_mm / share);
            }
            sum += v;
        }
        double lam = scale * T0 * sum;
        if (flat)
            lam *= flat[px];
        if (dark)
            lam += dark[px];
        frame[px] = (float)lam;
    }
    tsct__sim_render_finish(rp, spots, rng, frame);
    return TSCT_OK;
}
