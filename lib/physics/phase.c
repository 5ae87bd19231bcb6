/* phase.c - the phase model (include/tsct/phase.h): what a material scatters like, per unit
 * volume: powder patterns of crystalline phases, Debye scattering of nanocrystalline and
 * amorphous clusters, and broad features (phase_broad.c); and where the CIF files are. The
 * simulator, the unmixing maps and the refinement all take their patterns from here.
 *
 * Normalisation per unit volume of material: a powder of cells of volume V scatters, per unit
 * volume, sum_hkl m |F|^2 L P / V^2 (the lattice sum divided by the cell volume squared, times
 * one cell per V of material); a cluster of N atoms with one atom per v_a of material
 * scatters I_Debye / (N v_a). Both are in electron units^2 per A^3, so phases compare as
 * physics says; callers adjust with `scale` only what the model leaves uncertain.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsct/crystal.h"
#include "tsct/debye.h"
#include "tsct/phase.h"
#include "tsct/powder.h"
#include "tsct_config.h"

struct entry {
    tsct_phase_desc mat;         /* name and source: copies owned by the entry */
    tsct_crystal *crystal;
    tsct_powder_plan *plan;      /* crystal */
    double *base;                /* crystal: default parameters */
    double volume;               /* crystal: cell volume, A^3 */
    double *nano;                /* nano: pattern per unit volume (size factor 1) */
    tsct_debye_cluster *cluster; /* nano: the cut cluster, for expanded lattices */
    double per_atom_volume;      /* nano: A^3 of material per atom at the CIF's lattice */
};

struct tsct_phase_model {
    int count;
    struct entry *e;
    double wavelength;
    tsct_phase_instrument instrument;
    int64_t nq;
    double *q;
};

void tsct_phase_model_destroy(tsct_phase_model *m)
{
    if (!m)
        return;
    for (int i = 0; m->e && i < m->count; i++) {
        free((char *)m->e[i].mat.name);
        free((char *)m->e[i].mat.source);
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

const char *tsct_phase_default_dirs(void)
{
    const char *env = getenv("TSCT_STRUCTURES");
    return env && *env ? env : TSCT_DATA_DIRS;
}

int tsct_phase_find_file(const char *dirs, const char *name, char *path, size_t size)
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
    if (!tsct_phase_find_file(dirs, e->mat.source, path, sizeof path))
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

/* A copy of a string the caller may free after planning; NULL stays NULL. */
static char *copy_string(const char *s, int *failed)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, s, n);
    else
        *failed = 1;
    return c;
}

tsct_status tsct_phase_model_create(const tsct_phase_desc *list, int count, const double *q,
                                    int64_t nq, const tsct_phase_model_params *params,
                                    tsct_phase_model **out, tsct_error *err)
{
    *out = NULL;
    if (count < 1 || nq < 1 || !list || !q || !params)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "phases", -1,
                              "%d phases on %lld q points: need at least one of each", count,
                              (long long)nq);
    if (!(params->wavelength > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "wavelength", -1,
                              "wavelength %g A must be > 0", params->wavelength);
    const char *data_dirs = params->data_dirs ? params->data_dirs : tsct_phase_default_dirs();
    const double wavelength = params->wavelength;
    tsct_phase_model *m = calloc(1, sizeof *m);
    if (!m || !(m->e = calloc((size_t)count, sizeof *m->e)) ||
        !(m->q = malloc((size_t)nq * sizeof *m->q))) {
        tsct_phase_model_destroy(m);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "phases", -1, "list");
    }
    m->count = count;
    m->wavelength = wavelength;
    m->instrument = params->instrument;
    m->nq = nq;
    memcpy(m->q, q, (size_t)nq * sizeof *q);
    tsct_status st = TSCT_OK;
    for (int i = 0; i < count && st == TSCT_OK; i++) {
        struct entry *e = &m->e[i];
        int failed = 0;
        const int kind = (int)list[i].kind;
        if (!list[i].name || !list[i].source || kind < TSCT_PHASE_CRYSTAL ||
            kind > TSCT_PHASE_BROAD) {
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, list[i].name ? list[i].name : "phase",
                                i, "a phase needs a name, a source and a kind (crystal, nano, "
                                "broad; got %d)", kind);
            break;
        }
        e->mat = list[i];
        e->mat.name = copy_string(list[i].name, &failed);
        e->mat.source = copy_string(list[i].source, &failed);
        if (failed) {
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, list[i].name, -1, "description");
            break;
        }
        if (e->mat.scale == 0)
            e->mat.scale = 1;
        if (e->mat.kind == TSCT_PHASE_BROAD) {
            float probe[2];
            double q2[2] = {1.0, 2.0};
            st = tsct_phase_broad_pattern(e->mat.source, q2, 2, probe, err);
            continue;
        }
        st = load_crystal(e, data_dirs, err);
        if (st != TSCT_OK)
            break;
        const tsct_cell *cell = tsct_crystal_cell(e->crystal);
        e->volume = tsct_crystal_cell_volume(cell);
        if (e->mat.kind == TSCT_PHASE_CRYSTAL) {
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
        tsct_phase_model_destroy(m);
        return st;
    }
    *out = m;
    return TSCT_OK;
}

int tsct_phase_model_count(const tsct_phase_model *m)
{
    return m->count;
}

int64_t tsct_phase_model_size(const tsct_phase_model *m)
{
    return m->nq;
}

const tsct_phase_desc *tsct_phase_model_desc(const tsct_phase_model *m, int i)
{
    return &m->e[i].mat;
}

const tsct_crystal *tsct_phase_model_crystal(const tsct_phase_model *m, int i)
{
    return m->e[i].crystal;
}

const tsct_powder_plan *tsct_phase_model_powder_plan(const tsct_phase_model *m, int i)
{
    return m->e[i].plan;
}

void tsct_phase_model_cell(const tsct_phase_model *m, int i, double abc[3])
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

static const tsct_phase_state default_state = TSCT_PHASE_STATE_DEFAULT;

static tsct_status check_state(const struct entry *e, const tsct_phase_state *s,
                               tsct_error *err)
{
    for (int k = 0; k < 3; k++)
        if (!(s->cell_scale[k] > 0) || !isfinite(s->cell_scale[k]))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, e->mat.name, k,
                                  "lattice scale %g must be finite and > 0", s->cell_scale[k]);
    return TSCT_OK;
}

tsct_status tsct_phase_model_powder_params(const tsct_phase_model *m, int i,
                                           const tsct_phase_state *state, double *p,
                                           tsct_error *err)
{
    const struct entry *e = &m->e[i];
    const tsct_phase_state *s = state ? state : &default_state;
    if (!e->plan)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, e->mat.name, -1,
                              "not a crystalline phase: it has no powder parameters");
    TSCT_TRY(check_state(e, s, err));
    memcpy(p, e->base, (size_t)tsct_powder_plan_nparams(e->plan) * sizeof *p);
    for (int k = TSCT_POWDER_P_A; k <= TSCT_POWDER_P_C; k++)
        p[k] *= s->cell_scale[k - TSCT_POWDER_P_A];
    p[TSCT_POWDER_P_SIZE] = 10.0 * e->mat.size_nm * s->size_factor;
    p[TSCT_POWDER_P_U] = m->instrument.u;
    p[TSCT_POWDER_P_V] = m->instrument.v;
    p[TSCT_POWDER_P_W] = m->instrument.w;
    p[TSCT_POWDER_P_ETA] = m->instrument.eta;
    p[TSCT_POWDER_P_ZERO] = m->instrument.zero;
    return TSCT_OK;
}

tsct_status tsct_phase_model_pattern(const tsct_phase_model *m, int i,
                                     const tsct_phase_state *state, float *out,
                                     tsct_error *err)
{
    const struct entry *e = &m->e[i];
    const tsct_phase_state *s = state ? state : &default_state;
    const double *scale = s->cell_scale;
    TSCT_TRY(check_state(e, s, err));
    if (e->mat.kind == TSCT_PHASE_BROAD) {
        TSCT_TRY(tsct_phase_broad_pattern(e->mat.source, m->q, m->nq, out, err));
        for (int64_t j = 0; j < m->nq; j++)
            out[j] = (float)(out[j] * e->mat.scale);
        return TSCT_OK;
    }
    if (e->mat.kind == TSCT_PHASE_NANO) {
        if (scale[0] != 1.0 || scale[1] != 1.0 || scale[2] != 1.0)
            return nano_scaled(e, scale, m->q, m->nq, m->wavelength, out, err);
        for (int64_t j = 0; j < m->nq; j++)
            out[j] = (float)(e->nano[j] * e->mat.scale);
        return TSCT_OK;
    }
    int64_t np = tsct_powder_plan_nparams(e->plan);
    double p[TSCT_POWDER_NPARAMS_BASE], *y = malloc((size_t)m->nq * sizeof *y);
    if (!y || np > TSCT_POWDER_NPARAMS_BASE) {
        free(y);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, e->mat.name, -1, "pattern");
    }
    tsct_status st = tsct_phase_model_powder_params(m, i, s, p, err);
    double v = e->volume * scale[0] * scale[1] * scale[2];
    if (st == TSCT_OK)
        st = tsct_powder_evaluate(e->plan, p, y, NULL, err);
    if (st == TSCT_OK)
        for (int64_t j = 0; j < m->nq; j++)
            out[j] = (float)(y[j] / (v * v) * e->mat.scale);
    free(y);
    return st;
}
