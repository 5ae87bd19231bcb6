/* sim_v2o5_series.c - the v2o5 preset's angle-dispersive operando series
 * (tsct_sim_edxrd_series, tsct/sim_edxrd.h): one powder pattern per time step of the bulk
 * electrode, no tomography, the input of a sequential refinement (`tsct refine` with
 * [series] source = integrated).
 *
 * The electrode's state is the preset's kinetics without a lag (tsct_sim_edxrd_state of
 * layer 0: alpha -> alpha-Li (c growing) -> epsilon (c growing in its solid solution) ->
 * epsilon' -> delta on discharge, delta persisting on charge). Each phase is the V2O5
 * framework of the COD CIF at its own orthorhombic cell (a, b fixed per phase, c from the
 * kinetics), as the EDXRD layers place it; the pattern is the refinement's own model
 * (tsct/refine.h: Thompson-Cox-Hastings profile, Lorentz factor, no polarisation), so the
 * same model refines it: scale S_p = K f_p / V_p^2 (f_p the kinetics' fraction of the
 * V2O5 units, V_p the cell volume: the intensity of a volume fraction), a flat background
 * with a slope, Poisson counts. Truth per time step in /ground_truth/series.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/container.h"
#include "tsct/phase.h"
#include "tsct/refine.h"
#include "tsct/sim_edxrd.h"
#include "tsct/simulate.h"

#define NPH TSCT_SIM_EDXRD_NPHASE

/* The cells' a and b of alpha, epsilon, epsilon', delta (A), those of the EDXRD layers. */
static const double cell_a[NPH] = {11.512, 11.38, 11.30, 11.24};
static const double cell_b[NPH] = {3.564, 3.57, 3.58, 3.60};
static const char *const phase_names[NPH] = {"alpha", "epsilon", "epsilon_prime", "delta"};

/* The instrument and pattern: wavelength (A), q range (1/A), points, Caglioti W (deg^2). */
#define SERIES_WAVELENGTH 0.2
#define SERIES_QMIN 0.9
#define SERIES_QMAX 3.9
#define SERIES_W 4e-4
#define SERIES_COUNTS 2e4  /* alpha's strongest peak at full fraction */
#define SERIES_BACKGROUND 300

static tsct_status write_vectors(tsct_container *c, const double *q, int64_t nq,
                                 const double *time, int64_t nt, tsct_error *err)
{
    TSCT_TRY(tsct_container_write_vector(c, TSCT_PATH_INTEGRATED_Q, q, nq, "A^-1", err));
    TSCT_TRY(tsct_container_write_vector(c, TSCT_PATH_SCAN "/time", time, nt, "s", err));
    return tsct_container_set_attr_double(c, TSCT_PATH_SCAN, "wavelength",
                                          SERIES_WAVELENGTH * 1e-10, err);
}

tsct_status tsct_sim_edxrd_series(const tsct_sim_edxrd_preset *p, const char *path,
                                  const char *data_dirs, uint64_t seed, tsct_error *err)
{
    const double total = 2 * p->half_cycle_h * 3600 * (double)p->cycles;
    const int64_t nt = (int64_t)floor(total / p->series_interval_s), nq = p->series_nq;
    if (nt < 1 || nq < 100)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "v2o5 series", -1,
                              "the cycling (%g s) is shorter than one pattern (%g s), or "
                              "fewer than 100 points", total, p->series_interval_s);
    char cif[4096];
    const char *dirs = data_dirs ? data_dirs : tsct_phase_default_dirs();
    if (!tsct_phase_find_file(dirs, "V2O5_COD9012221.cif", cif, sizeof cif))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, "V2O5_COD9012221.cif", NULL, -1,
                              "not found in the structure folders %s", dirs);
    double *q = malloc((size_t)nq * sizeof *q), *y = malloc((size_t)nq * sizeof *y);
    double *time = malloc((size_t)nt * sizeof *time);
    float *row = malloc((size_t)nq * sizeof *row), *srow = malloc((size_t)nq * sizeof *srow);
    tsct_refine_model *m = NULL;
    tsct_container *c = NULL;
    tsct_dataset *dd = NULL, *ds = NULL, *gl = NULL, *gf = NULL, *gw = NULL, *gt = NULL;
    tsct_status st = TSCT_OK;
    if (!q || !y || !time || !row || !srow)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "%lld points", (long long)nq);
    for (int64_t i = 0; st == TSCT_OK && i < nq; i++)
        q[i] = SERIES_QMIN + (SERIES_QMAX - SERIES_QMIN) * (double)i / (double)(nq - 1);
    for (int64_t t = 0; st == TSCT_OK && t < nt; t++)
        time[t] = ((double)t + 0.5) * p->series_interval_s;
    tsct_refine_phase_desc ph[NPH];
    for (int k = 0; k < NPH; k++) {
        ph[k].name = phase_names[k];
        ph[k].cif = cif;
        memset(ph[k].po_hkl, 0, sizeof ph[k].po_hkl);
    }
    tsct_refine_model_params mp = TSCT_REFINE_MODEL_PARAMS_DEFAULT;
    mp.wavelength = SERIES_WAVELENGTH;
    mp.nbackground = 2;
    if (st == TSCT_OK)
        st = tsct_refine_model_create(&mp, ph, NPH, NULL, 0, NULL, 0, q, nq, &m, err);
    if (st == TSCT_OK)
        st = tsct_refine_model_set(m, "instrument.W", SERIES_W, 0, err);
    /* K: alpha alone at full fraction has its strongest point at SERIES_COUNTS. */
    double kscale = 0;
    char name[96];
    for (int k = 0; st == TSCT_OK && k < NPH; k++) {
        snprintf(name, sizeof name, "%s.scale", phase_names[k]);
        st = tsct_refine_model_set(m, name, k == 0 ? 1 : 0, 0, err);
    }
    if (st == TSCT_OK)
        st = tsct_refine_model_evaluate(m, y, NULL, err);
    for (int64_t i = 0; st == TSCT_OK && i < nq; i++)
        kscale = fmax(kscale, y[i]);
    if (st == TSCT_OK) {
        const double v0 = tsct_refine_model_phase_volume(m, 0);
        kscale = SERIES_COUNTS / kscale * v0 * v0;
    }
    if (st == TSCT_OK)
        st = tsct_container_create(path, 1, &c, err);
    const int64_t shape[5] = {nt, 1, 1, 1, nq};
    if (st == TSCT_OK)
        st = write_vectors(c, q, nq, time, nt, err);
    if (st == TSCT_OK)
        st = tsct_dataset_create(c, TSCT_PATH_INTEGRATED, 5, shape, NULL, &dd, err);
    if (st == TSCT_OK)
        st = tsct_dataset_create(c, TSCT_PATH_INTEGRATED_SIGMA, 5, shape, NULL, &ds, err);
    const int64_t gs3[3] = {nt, NPH, 3}, gs2[2] = {nt, NPH}, gs1[1] = {nt};
    if (st == TSCT_OK)
        st = tsct_dataset_create(c, "/ground_truth/series/lattice", 3, gs3, NULL, &gl, err);
    if (st == TSCT_OK)
        st = tsct_dataset_create(c, "/ground_truth/series/fraction", 2, gs2, NULL, &gf, err);
    if (st == TSCT_OK)
        st = tsct_dataset_create(c, "/ground_truth/series/weight_fraction", 2, gs2, NULL, &gw,
                                 err);
    if (st == TSCT_OK)
        st = tsct_dataset_create(c, "/ground_truth/series/x", 1, gs1, NULL, &gt, err);
    if (st == TSCT_OK)
        st = tsct_container_set_attr_string(c, "/ground_truth/series", "phases",
                                            "alpha,epsilon,epsilon_prime,delta", err);
    for (int64_t t = 0; st == TSCT_OK && t < nt; t++) {
        double x, f[NPH], cc[NPH], wsum = 0, w[NPH];
        tsct_sim_edxrd_state(p, 0, time[t], &x, f, cc);
        float lat[NPH][3], ff[NPH], fw[NPH], fx = (float)x;
        for (int k = 0; st == TSCT_OK && k < NPH; k++) {
            const double abc[3] = {cell_a[k], cell_b[k], cc[k]};
            static const char *const key[3] = {"a", "b", "c"};
            for (int j = 0; st == TSCT_OK && j < 3; j++) {
                snprintf(name, sizeof name, "%s.%s", phase_names[k], key[j]);
                st = tsct_refine_model_set(m, name, abc[j], 0, err);
                lat[k][j] = f[k] > 0 ? (float)abc[j] : NAN;
            }
            const double v = tsct_refine_model_phase_volume(m, k);
            snprintf(name, sizeof name, "%s.scale", phase_names[k]);
            if (st == TSCT_OK)
                st = tsct_refine_model_set(m, name, kscale * f[k] / (v * v), 0, err);
            /* Hill & Howard: W = S Z M V / sum (one framework, one Z M) */
            w[k] = kscale * f[k] / v;
            wsum += w[k];
            ff[k] = (float)f[k];
        }
        for (int k = 0; k < NPH; k++)
            fw[k] = (float)(w[k] / wsum);
        if (st == TSCT_OK)
            st = tsct_refine_model_evaluate(m, y, NULL, err);
        tsct_sim_rng rng;
        tsct_sim_rng_seed(&rng, seed * 1000003u + (uint64_t)t * 104729u + 31u);
        for (int64_t i = 0; st == TSCT_OK && i < nq; i++) {
            const double u = (q[i] - SERIES_QMIN) / (SERIES_QMAX - SERIES_QMIN);
            const double mu = y[i] + SERIES_BACKGROUND * (1.2 - 0.4 * u);
            row[i] = (float)tsct_sim_poisson(&rng, mu);
            srow[i] = (float)sqrt(fmax(mu, 1));
        }
        const int64_t s5[5] = {t, 0, 0, 0, 0}, n5[5] = {1, 1, 1, 1, nq};
        const int64_t s3[3] = {t, 0, 0}, n3[3] = {1, NPH, 3};
        const int64_t s2[2] = {t, 0}, n2[2] = {1, NPH}, s1[1] = {t}, n1[1] = {1};
        if (st == TSCT_OK)
            st = tsct_dataset_write(dd, s5, n5, row, err);
        if (st == TSCT_OK)
            st = tsct_dataset_write(ds, s5, n5, srow, err);
        if (st == TSCT_OK)
            st = tsct_dataset_write(gl, s3, n3, &lat[0][0], err);
        if (st == TSCT_OK)
            st = tsct_dataset_write(gf, s2, n2, ff, err);
        if (st == TSCT_OK)
            st = tsct_dataset_write(gw, s2, n2, fw, err);
        if (st == TSCT_OK)
            st = tsct_dataset_write(gt, s1, n1, &fx, err);
    }
    tsct_dataset_close(dd), tsct_dataset_close(ds), tsct_dataset_close(gl);
    tsct_dataset_close(gf), tsct_dataset_close(gw), tsct_dataset_close(gt);
    if (c) {
        tsct_status cs = tsct_container_close(c, st == TSCT_OK ? err : NULL);
        st = st == TSCT_OK ? cs : st;
    }
    if (st != TSCT_OK)
        remove(path);
    tsct_refine_model_destroy(m);
    free(q), free(y), free(time), free(row), free(srow);
    return st;
}
