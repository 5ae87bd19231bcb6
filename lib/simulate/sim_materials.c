/* sim_materials.c - what each component of a simulated cell scatters like: powder patterns of
 * crystalline phases, Debye scattering of nanocrystalline and amorphous clusters, and broad
 * features (see include/tsct/simulate.h).
 *
 * Normalisation per unit volume of material: a powder of cells of volume V scatters, per unit
 * volume, sum_hkl m |F|^2 L P / V^2 (the lattice sum divided by the cell volume squared, times
 * one cell per V of material); a cluster of N atoms with one atom per v_a of material
 * scatters I_Debye / (N v_a). Both are in electron units^2 per A^3, so phases compare as
 * physics says; presets adjust with `scale` only what the model leaves uncertain.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsct/crystal.h"
#include "tsct/debye.h"
#include "tsct/powder.h"
#include "tsct/simulate.h"

struct entry {
    tsct_sim_material mat;
    tsct_crystal *crystal;
    tsct_powder_plan *plan;      /* crystal */
    double *base;                /* crystal: default parameters */
    double volume;               /* crystal: cell volume, A^3 */
    double *nano;                /* nano: pattern per unit volume (size factor 1) */
    tsct_debye_cluster *cluster; /* nano: the cut cluster, for expanded lattices */
    double per_atom_volume;      /* nano: A^3 of material per atom at the CIF's lattice */
};

struct tsct_sim_materials {
    int count;
    struct entry *e;
    double wavelength;
    int64_t nq;
    double *q;
};

void tsct_sim_materials_destroy(tsct_sim_materials *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->count; i++) {
        tsct_powder_plan_destroy(m->e[i].plan);
        tsct_crystal_destroy(m->e[i].crystal);
        free(m->e[i].base);
        free(m->e[i].nano);
        tsct_debye_cluster_destroy(m->e[i].cluster);
    }
    free(m->e);
    free(m->q);
    free(m);
}

int tsct_sim_find_file(const char *dirs, const char *name, char *path, size_t size)
{
    if (strchr(name, '/')) {
        snprintf(path, size, "%s", name);
        return access(path, R_OK) == 0;
    }
    const char *p = dirs;
    while (p && *p) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        snprintf(path, size, "%.*s/%s", (int)n, p, name);
        if (access(path, R_OK) == 0)
            return 1;
        p = colon ? colon + 1 : NULL;
    }
    return 0;
}

static tsct_status load_crystal(struct entry *e, const char *dirs, tsct_error *err)
{
    char path[4096];
    if (!tsct_sim_find_file(dirs, e->mat.source, path, sizeof path))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, e->mat.name, -1,
                              "CIF \"%s\" is in none of the data folders %s", e->mat.source,
                              dirs);
    tsct_status st = tsct_crystal_read_cif(&e->crystal, path, err);
    if (st != TSCT_OK)
        tsct_error_set_file(err, path);
    return st;
}

/* The Debye intensity of a cluster (per unit volume, per unit q, orientationally averaged)
 * on the footing of the crystal patterns (sum m |F|^2 L / V^2 with the Lorentz factor of a
 * 2theta scan, L = 1 / (sin^2 theta cos theta)): a powder's Bragg peaks, per unit volume,
 * have areas 2 pi^2 m |F|^2 / (V^2 q^2) in q, so the crystal patterns carry an extra
 * L / (2 pi^2 / q^2) = 8 / (lambda^2 cos theta), which the clusters get too (checked: a
 * 3 nm BiVO4 cluster's Bragg areas times this factor equal the powder pattern's within the
 * width of its peaks). Without it an amorphous phase would read 8 / lambda^2 (394 at
 * 87 keV) times too weak beside the crystalline ones. */
static double debye_footing(double q, double wavelength)
{
    const double s = q * wavelength / (4.0 * M_PI);
    const double c = s < 1.0 ? sqrt(1.0 - s * s) : 1e-6;
    return 8.0 / (wavelength * wavelength * c);
}

tsct_status tsct_sim_materials_create(const tsct_sim_material *list, int count,
                                      const char *data_dirs, double wavelength, const double *q,
                                      int64_t nq, tsct_sim_materials **out, tsct_error *err)
{
    *out = NULL;
    tsct_sim_materials *m = calloc(1, sizeof *m);
    if (!m || !(m->e = calloc((size_t)count, sizeof *m->e)) ||
        !(m->q = malloc((size_t)nq * sizeof *m->q))) {
        tsct_sim_materials_destroy(m);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "materials", -1, "list");
    }
    m->count = count;
    m->wavelength = wavelength;
    m->nq = nq;
    memcpy(m->q, q, (size_t)nq * sizeof *q);
    tsct_status st = TSCT_OK;
    for (int i = 0; i < count && st == TSCT_OK; i++) {
        struct entry *e = &m->e[i];
        e->mat = list[i];
        if (e->mat.scale == 0)
            e->mat.scale = 1;
        if (e->mat.kind == TSCT_SIM_BROAD) {
            float probe[2];
            double q2[2] = {1.0, 2.0};
            st = tsct_sim_broad_pattern(e->mat.source, q2, 2, probe, err);
            continue;
        }
        st = load_crystal(e, data_dirs, err);
        if (st != TSCT_OK)
            break;
        const tsct_cell *cell = tsct_crystal_cell(e->crystal);
        e->volume = tsct_crystal_cell_volume(cell);
        if (e->mat.kind == TSCT_SIM_CRYSTAL) {
            tsct_powder_params pp = TSCT_POWDER_PARAMS_DEFAULT;
            pp.wavelength = wavelength;
            pp.qmax = q[nq - 1] * 1.1;  /* room for the lattice to grow */
            st = tsct_powder_plan_create(&e->plan, e->crystal, q, nq, &pp, err);
            if (st == TSCT_OK) {
                e->base = malloc((size_t)tsct_powder_plan_nparams(e->plan) * sizeof *e->base);
                if (!e->base) {
                    st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, e->mat.name, -1, "params");
                    break;
                }
                tsct_powder_plan_default_params(e->plan, e->base);
            }
        } else {
            tsct_debye_cut_params cp = TSCT_DEBYE_CUT_PARAMS_DEFAULT;
            cp.radius = 10.0 * e->mat.size_nm;
            tsct_debye_cluster *cl = NULL;
            tsct_debye_histogram *h = NULL;
            tsct_debye_params dp = TSCT_DEBYE_PARAMS_DEFAULT;
            st = tsct_debye_cluster_cut(&cl, e->crystal, &cp, err);
            if (st == TSCT_OK)
                st = tsct_debye_histogram_create(&h, cl, &dp, err);
            double *tmp = malloc((size_t)nq * sizeof *tmp);
            if (st == TSCT_OK && !tmp)
                st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, e->mat.name, -1, "pattern");
            if (st == TSCT_OK)
                st = tsct_debye_intensity(h, q, nq, tmp, err);
            if (st == TSCT_OK) {
                /* Per unit volume: divide by the atoms and by the volume per atom. */
                double natoms = (double)tsct_debye_cluster_atom_count(cl);
                double per_atom_volume = e->volume / (double)tsct_crystal_atom_count(e->crystal);
                for (int64_t j = 0; j < nq; j++)
                    tmp[j] *= debye_footing(q[j], wavelength) / (natoms * per_atom_volume);
                e->nano = tmp;
                e->per_atom_volume = per_atom_volume;
                e->cluster = cl;
                tmp = NULL;
                cl = NULL;
            }
            free(tmp);
            tsct_debye_histogram_destroy(h);
            tsct_debye_cluster_destroy(cl);
        }
        if (st != TSCT_OK && err && !err->item[0])
            tsct_error_set(err, st, NULL, e->mat.name, -1, "cannot plan its pattern");
    }
    if (st != TSCT_OK) {
        tsct_sim_materials_destroy(m);
        return st;
    }
    *out = m;
    return TSCT_OK;
}

void tsct_sim_materials_cell(const tsct_sim_materials *m, int i, double abc[3])
{
    const struct entry *e = &m->e[i];
    abc[0] = abc[1] = abc[2] = 0;
    if (!e->crystal)
        return;
    const tsct_cell *cell = tsct_crystal_cell(e->crystal);
    abc[0] = cell->a;
    abc[1] = cell->b;
    abc[2] = cell->c;
}

/* The Debye pattern per unit volume of a nano cluster whose cell lengths are scaled: every
 * Cartesian position r becomes M' M^-1 r (M, M' the fractional-to-Cartesian matrices of the
 * CIF's and the scaled cell), so all interatomic vectors follow the lattice; the atoms and
 * their form factors stay. */
static tsct_status nano_scaled(const struct entry *e, const double scale[3], const double *q,
                               int64_t nq, double wavelength, float *out, tsct_error *err)
{
    const tsct_cell *cell = tsct_crystal_cell(e->crystal);
    tsct_cell scaled = *cell;
    scaled.a *= scale[0];
    scaled.b *= scale[1];
    scaled.c *= scale[2];
    double m0[3][3], m1[3][3];
    TSCT_TRY(tsct_crystal_cell_cartesian(cell, m0, err));
    TSCT_TRY(tsct_crystal_cell_cartesian(&scaled, m1, err));
    /* M0 is upper triangular (a along x, b in the x-y plane): invert by back substitution. */
    double inv[3][3] = {{0}};
    for (int col = 0; col < 3; col++) {
        double ecol[3] = {col == 0, col == 1, col == 2};
        for (int r = 2; r >= 0; r--) {
            double v = ecol[r];
            for (int k = r + 1; k < 3; k++)
                v -= m0[r][k] * inv[k][col];
            inv[r][col] = v / m0[r][r];
        }
    }
    double t[3][3];
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            t[r][c] = m1[r][0] * inv[0][c] + m1[r][1] * inv[1][c] + m1[r][2] * inv[2][c];
    const int64_t na = tsct_debye_cluster_atom_count(e->cluster);
    const double *pos = tsct_debye_cluster_positions(e->cluster);
    const int64_t *species = tsct_debye_cluster_atom_species(e->cluster);
    double *xyz = malloc((size_t)(3 * na) * sizeof *xyz);
    double *occ = malloc((size_t)na * sizeof *occ);
    const char **types = malloc((size_t)na * sizeof *types);
    double *y = malloc((size_t)nq * sizeof *y);
    tsct_status st = TSCT_OK;
    if (!xyz || !occ || !types || !y)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, e->mat.name, -1, "expanded cluster");
    for (int64_t a = 0; st == TSCT_OK && a < na; a++) {
        for (int r = 0; r < 3; r++)
            xyz[3 * a + r] = t[r][0] * pos[3 * a] + t[r][1] * pos[3 * a + 1] +
                             t[r][2] * pos[3 * a + 2];
        types[a] = tsct_debye_cluster_species_formfactor(e->cluster, species[a])->symbol;
        occ[a] = tsct_debye_cluster_species_occupancy(e->cluster, species[a]);
    }
    tsct_debye_cluster *cl = NULL;
    tsct_debye_histogram *h = NULL;
    tsct_debye_params dp = TSCT_DEBYE_PARAMS_DEFAULT;
    dp.nthreads = 1;
    if (st == TSCT_OK)
        st = tsct_debye_cluster_create(&cl, na, xyz, types, occ, err);
    if (st == TSCT_OK)
        st = tsct_debye_histogram_create(&h, cl, &dp, err);
    if (st == TSCT_OK)
        st = tsct_debye_intensity(h, q, nq, y, err);
    if (st == TSCT_OK) {
        double norm = (double)na * e->per_atom_volume * scale[0] * scale[1] * scale[2];
        for (int64_t j = 0; j < nq; j++)
            out[j] = (float)(y[j] * debye_footing(q[j], wavelength) / norm * e->mat.scale);
    }
    tsct_debye_histogram_destroy(h);
    tsct_debye_cluster_destroy(cl);
    free(xyz);
    free(occ);
    free(types);
    free(y);
    return st;
}

tsct_status tsct_sim_materials_pattern(const tsct_sim_materials *m, int i, double lattice,
                                       double size_factor, float *out, tsct_error *err)
{
    const double scale[3] = {lattice, lattice, lattice};
    return tsct_sim_materials_pattern_cell(m, i, scale, size_factor, out, err);
}

tsct_status tsct_sim_materials_pattern_cell(const tsct_sim_materials *m, int i,
                                            const double scale[3], double size_factor,
                                            float *out, tsct_error *err)
{
    const struct entry *e = &m->e[i];
    for (int k = 0; k < 3; k++)
        if (!(scale[k] > 0) || !isfinite(scale[k]))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, e->mat.name, k,
                                  "lattice scale %g must be finite and > 0", scale[k]);
    if (e->mat.kind == TSCT_SIM_BROAD) {
        TSCT_TRY(tsct_sim_broad_pattern(e->mat.source, m->q, m->nq, out, err));
        for (int64_t j = 0; j < m->nq; j++)
            out[j] = (float)(out[j] * e->mat.scale);
        return TSCT_OK;
    }
    if (e->mat.kind == TSCT_SIM_NANO) {
        if (scale[0] != 1.0 || scale[1] != 1.0 || scale[2] != 1.0)
            return nano_scaled(e, scale, m->q, m->nq, m->wavelength, out, err);
        for (int64_t j = 0; j < m->nq; j++)
            out[j] = (float)(e->nano[j] * e->mat.scale);
        return TSCT_OK;
    }
    int64_t np = tsct_powder_plan_nparams(e->plan);
    double p[64], *y = malloc((size_t)m->nq * sizeof *y);
    if (!y || np > 64) {
        free(y);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, e->mat.name, -1, "pattern");
    }
    memcpy(p, e->base, (size_t)np * sizeof *p);
    for (int k = TSCT_POWDER_P_A; k <= TSCT_POWDER_P_C; k++)
        p[k] *= scale[k - TSCT_POWDER_P_A];
    p[TSCT_POWDER_P_SIZE] = 10.0 * e->mat.size_nm * size_factor;
    /* A high-energy instrument: 0.01 degree FWHM (W), pseudo-Voigt half Lorentzian. */
    p[TSCT_POWDER_P_W] = 1e-4;
    p[TSCT_POWDER_P_ETA] = 0.5;
    double v = e->volume * scale[0] * scale[1] * scale[2];
    tsct_status st = tsct_powder_evaluate(e->plan, p, y, NULL, err);
    if (st == TSCT_OK)
        for (int64_t j = 0; j < m->nq; j++)
            out[j] = (float)(y[j] / (v * v) * e->mat.scale);
    free(y);
    return st;
}
