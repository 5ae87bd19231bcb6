/* crystal.c - unit cells, symmetry operators and crystal structures (include/tsct/crystal.h).
 *
 * A crystal is built once (tsct_crystal_create, or from a CIF through cif.c) and is then
 * read-only: the asymmetric unit is expanded to the full cell here, the Laue group is closed
 * here, and reflections.c only reads them. Expansion merges images of a site closer than
 * 0.01 Angstrom (minimum image under the cell metric), which catches special positions even
 * when a CIF rounds 1/3 to 0.33333; distinct sites are never merged with each other. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crystal_internal.h"
#include "physics_internal.h"

#define DEG (M_PI / 180.0)
#define MERGE_TOL_A 0.01

/* ---- cell ---------------------------------------------------------------------------------- */

static double cell_volume_ratio(const tsct_cell *c)
{
    double ca = cos(c->alpha * DEG), cb = cos(c->beta * DEG), cg = cos(c->gamma * DEG);
    double v2 = 1.0 - ca * ca - cb * cb - cg * cg + 2.0 * ca * cb * cg;
    return v2 > 0.0 ? sqrt(v2) : (v2 == 0.0 ? 0.0 : NAN);
}

tsct_status tsct_crystal_cell_check(const tsct_cell *cell, tsct_error *err)
{
    if (!cell)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "cell", -1, "NULL cell");
    const double len[3] = {cell->a, cell->b, cell->c};
    const double ang[3] = {cell->alpha, cell->beta, cell->gamma};
    static const char *const lname[3] = {"_cell_length_a", "_cell_length_b", "_cell_length_c"};
    static const char *const aname[3] = {"_cell_angle_alpha", "_cell_angle_beta",
                                         "_cell_angle_gamma"};
    for (int i = 0; i < 3; i++) {
        if (!isfinite(len[i]) || !(len[i] > 0.0))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, lname[i], -1,
                                  "cell length must be finite and > 0 Angstrom, got %g (zero "
                                  "volume)", len[i]);
        if (!isfinite(ang[i]) || !(ang[i] > 0.0) || !(ang[i] < 180.0))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, aname[i], -1,
                                  "cell angle must lie in (0, 180) degrees, got %g", ang[i]);
    }
    double r = cell_volume_ratio(cell);
    if (!(r > 1e-6))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "cell", -1,
                              "angles %g, %g, %g degrees give zero volume", cell->alpha,
                              cell->beta, cell->gamma);
    return TSCT_OK;
}

double tsct_crystal_cell_volume(const tsct_cell *cell)
{
    return cell->a * cell->b * cell->c * cell_volume_ratio(cell);
}

static int invert3(const double m[3][3], double inv[3][3])
{
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                 m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                 m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if (!(fabs(det) > 0.0) || !isfinite(det))
        return -1;
    inv[0][0] = (m[1][1] * m[2][2] - m[1][2] * m[2][1]) / det;
    inv[0][1] = (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / det;
    inv[0][2] = (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / det;
    inv[1][0] = (m[1][2] * m[2][0] - m[1][0] * m[2][2]) / det;
    inv[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det;
    inv[1][2] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / det;
    inv[2][0] = (m[1][0] * m[2][1] - m[1][1] * m[2][0]) / det;
    inv[2][1] = (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / det;
    inv[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det;
    return 0;
}

tsct_status tsct_crystal_cell_metric(const tsct_cell *cell, double g[3][3], double gstar[3][3],
                                     tsct_error *err)
{
    TSCT_TRY(tsct_crystal_cell_check(cell, err));
    double ca = cos(cell->alpha * DEG), cb = cos(cell->beta * DEG), cg = cos(cell->gamma * DEG);
    double m[3][3] = {{cell->a * cell->a, cell->a * cell->b * cg, cell->a * cell->c * cb},
                      {cell->a * cell->b * cg, cell->b * cell->b, cell->b * cell->c * ca},
                      {cell->a * cell->c * cb, cell->b * cell->c * ca, cell->c * cell->c}};
    if (g)
        memcpy(g, m, sizeof m);
    if (gstar && invert3(m, gstar) != 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "cell", -1, "singular metric");
    return TSCT_OK;
}

tsct_status tsct_crystal_cell_cartesian(const tsct_cell *cell, double m[3][3], tsct_error *err)
{
    TSCT_TRY(tsct_crystal_cell_check(cell, err));
    double ca = cos(cell->alpha * DEG), cb = cos(cell->beta * DEG), cg = cos(cell->gamma * DEG);
    double sg = sin(cell->gamma * DEG);
    double v = tsct_crystal_cell_volume(cell);
    double cy = cell->c * (ca - cb * cg) / sg;
    double cz = v / (cell->a * cell->b * sg);
    double mm[3][3] = {{cell->a, cell->b * cg, cell->c * cb},
                       {0.0, cell->b * sg, cy},
                       {0.0, 0.0, cz}};
    memcpy(m, mm, sizeof mm);
    return TSCT_OK;
}

double tsct_crystal_cell_dspacing(const tsct_cell *cell, double h, double k, double l)
{
    double gs[3][3];
    if (tsct_crystal_cell_metric(cell, NULL, gs, NULL) != TSCT_OK)
        return NAN;
    const double v[3] = {h, k, l};
    double s = 0.0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            s += v[i] * gs[i][j] * v[j];
    return s > 0.0 ? 1.0 / sqrt(s) : INFINITY;
}

/* ---- symmetry operators -------------------------------------------------------------------- */

static double wrap01(double x)
{
    double r = x - floor(x);
    if (r >= 1.0 - 1e-12 || fabs(r) < 1e-12)
        r = 0.0;
    return r;
}

tsct_status tsct_crystal_symop_parse(const char *xyz, tsct_symop *op, tsct_error *err)
{
    if (!xyz || !op)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "symmetry operator", -1,
                              "NULL argument");
    memset(op, 0, sizeof *op);
    size_t n = strlen(xyz), i = 0;
    for (int row = 0; row < 3; row++) {
        int nterms = 0;
        double t = 0.0;
        for (;;) {
            while (i < n && isspace((unsigned char)xyz[i]))
                i++;
            if (i >= n || xyz[i] == ',')
                break;
            double sign = 1.0;
            if (xyz[i] == '+' || xyz[i] == '-') {
                sign = xyz[i] == '-' ? -1.0 : 1.0;
                i++;
                while (i < n && isspace((unsigned char)xyz[i]))
                    i++;
            } else if (nterms > 0) {
                return tsct_error_set(err, TSCT_ERR_VALUE, NULL, xyz, (int64_t)i,
                                      "expected + or - at character %zu of the operator", i);
            }
            size_t at = i;
            double num = 1.0;
            int have_num = 0;
            if (i < n && (isdigit((unsigned char)xyz[i]) || xyz[i] == '.')) {
                size_t used = tsct__parse_number(xyz + i, n - i, 0, &num);
                if (used == 0)
                    return tsct_error_set(err, TSCT_ERR_VALUE, NULL, xyz, (int64_t)i,
                                          "bad number at character %zu of the operator", i);
                i += used;
                if (i < n && xyz[i] == '/') {
                    double den;
                    size_t u2 = tsct__parse_number(xyz + i + 1, n - i - 1, 0, &den);
                    if (u2 == 0 || den == 0.0)
                        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, xyz, (int64_t)i,
                                              "bad fraction at character %zu of the operator",
                                              i);
                    num /= den;
                    i += 1 + u2;
                }
                have_num = 1;
                while (i < n && isspace((unsigned char)xyz[i]))
                    i++;
                if (i < n && xyz[i] == '*') {
                    i++;
                    while (i < n && isspace((unsigned char)xyz[i]))
                        i++;
                    if (i >= n || !strchr("xyzXYZ", xyz[i]))
                        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, xyz, (int64_t)i,
                                              "expected x, y or z at character %zu", i);
                }
            }
            if (i < n && xyz[i] != '\0' && strchr("xyzXYZ", xyz[i])) {
                int col = tolower((unsigned char)xyz[i]) - 'x';
                double coef = sign * num;
                if (coef != rint(coef))
                    return tsct_error_set(err, TSCT_ERR_VALUE, NULL, xyz, (int64_t)at,
                                          "non-integer coefficient at character %zu", at);
                /* crystallographic rotations have entries -1, 0, 1 in any usual setting;
                 * the bound keeps sums and the group closure in int range */
                if (fabs(op->rot[row][col] + coef) > TSCT_SYMOP_COEF_MAX)
                    return tsct_error_set(err, TSCT_ERR_VALUE, NULL, xyz, (int64_t)at,
                                          "coefficient at character %zu: expected an integer "
                                          "from -%d to %d", at, TSCT_SYMOP_COEF_MAX,
                                          TSCT_SYMOP_COEF_MAX);
                op->rot[row][col] += (int)coef;
                i++;
            } else if (have_num) {
                t += sign * num;
                if (!isfinite(t))
                    return tsct_error_set(err, TSCT_ERR_VALUE, NULL, xyz, (int64_t)at,
                                          "translation at character %zu is not finite", at);
            } else {
                return tsct_error_set(err, TSCT_ERR_VALUE, NULL, xyz, (int64_t)i,
                                      "unexpected character at character %zu of the operator",
                                      i);
            }
            nterms++;
        }
        if (nterms == 0)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, xyz, (int64_t)i,
                                  "empty component %d of the operator", row + 1);
        op->trans[row] = wrap01(t);
        if (row < 2) {
            if (i >= n || xyz[i] != ',')
                return tsct_error_set(err, TSCT_ERR_VALUE, NULL, xyz, (int64_t)i,
                                      "expected 3 comma-separated components");
            i++;
        }
    }
    while (i < n && isspace((unsigned char)xyz[i]))
        i++;
    if (i != n)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, xyz, (int64_t)i,
                              "unexpected text after the third component at character %zu", i);
    return TSCT_OK;
}

static int det3i(const int m[3][3])
{
    return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
           m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
           m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

static int laue_add(tsct_crystal *c, const int r[3][3])
{
    for (int i = 0; i < c->nlaue; i++)
        if (memcmp(c->laue[i], r, sizeof c->laue[i]) == 0)
            return 0;
    if (c->nlaue >= TSCT__LAUE_MAX)
        return -1;
    memcpy(c->laue[c->nlaue++], r, sizeof c->laue[0]);
    return 1;
}

/* Close {R} union {-R} under multiplication. Returns -1 if it is not a crystallographic
 * (at most 48-element) group. */
static int laue_build(tsct_crystal *c)
{
    static const int ident[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    c->nlaue = 0;
    if (laue_add(c, ident) < 0)
        return -1;
    for (int64_t k = 0; k < c->nops; k++) {
        int r[3][3], mr[3][3];
        memcpy(r, c->ops[k].rot, sizeof r);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                mr[i][j] = -r[i][j];
        if (laue_add(c, r) < 0 || laue_add(c, mr) < 0)
            return -1;
    }
    int added = 1;
    while (added) {
        added = 0;
        int n = c->nlaue;
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) {
                int p[3][3];
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++)
                        p[i][j] = c->laue[a][i][0] * c->laue[b][0][j] +
                                  c->laue[a][i][1] * c->laue[b][1][j] +
                                  c->laue[a][i][2] * c->laue[b][2][j];
                int st = laue_add(c, p);
                if (st < 0)
                    return -1;
                added |= st;
            }
    }
    return 0;
}

/* ---- crystal ------------------------------------------------------------------------------- */

/* Form factor for a site type: the exact entry, else the neutral element (two-letter symbol
 * first, then one-letter) with *fallback = 1. */
static tsct_status site_formfactor(const tsct_site *site, int64_t index,
                                   const tsct_formfactor **ff, const tsct_formfactor **neutral,
                                   int *fallback, tsct_error *err)
{
    *fallback = 0;
    const char *t = site->type[0] ? site->type : site->label;
    char el[3] = {0, 0, 0};
    if (isupper((unsigned char)t[0])) {
        el[0] = t[0];
        if (islower((unsigned char)t[1])) {
            el[1] = t[1];
            if (tsct_element_z(el) == 0)
                el[1] = 0;
        }
    }
    if (el[0] == 0 || tsct_element_z(el) == 0)
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, site->label, index,
                              "unknown element in atom type \"%s\" (symbols are "
                              "case-sensitive, H to Cf)", t);
    TSCT_TRY(tsct_formfactor_find(el, neutral, err));
    if (tsct_formfactor_find(t, ff, NULL) != TSCT_OK) {
        *ff = *neutral;
        *fallback = strcmp(t, el) != 0;
    }
    return TSCT_OK;
}

void tsct_crystal_destroy(tsct_crystal *c)
{
    if (!c)
        return;
    free(c->ops);
    free(c->sites);
    free(c->ff);
    free(c->ff_neutral);
    free(c->fallback);
    free(c->atoms);
    free(c);
}

static tsct_status expand(tsct_crystal *c, tsct_error *err)
{
    int64_t cap = c->nsites * c->nops;
    c->atoms = malloc((size_t)(cap > 0 ? cap : 1) * sizeof *c->atoms);
    if (!c->atoms)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "atoms", -1, "out of memory");
    c->natoms = 0;
    for (int64_t s = 0; s < c->nsites; s++) {
        int64_t first = c->natoms;
        const double *x = c->sites[s].x;
        for (int64_t k = 0; k < c->nops; k++) {
            const tsct_symop *op = &c->ops[k];
            double y[3];
            for (int i = 0; i < 3; i++)
                y[i] = wrap01(op->rot[i][0] * x[0] + op->rot[i][1] * x[1] +
                              op->rot[i][2] * x[2] + op->trans[i]);
            int dup = 0;
            for (int64_t a = first; a < c->natoms && !dup; a++) {
                double d[3];
                for (int i = 0; i < 3; i++) {
                    d[i] = y[i] - c->atoms[a].x[i];
                    d[i] -= rint(d[i]);
                }
                double d2 = 0.0;
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++)
                        d2 += d[i] * c->g[i][j] * d[j];
                dup = d2 < MERGE_TOL_A * MERGE_TOL_A;
            }
            if (!dup) {
                c->atoms[c->natoms].site = s;
                memcpy(c->atoms[c->natoms].x, y, sizeof y);
                c->natoms++;
            }
        }
    }
    return TSCT_OK;
}

tsct_status tsct_crystal_create(tsct_crystal **out, const tsct_cell *cell,
                                const char *spacegroup, const tsct_symop *ops, int64_t nops,
                                const tsct_site *sites, int64_t nsites, tsct_error *err)
{
    if (out)
        *out = NULL;
    if (!out || !cell || (nops > 0 && !ops) || (nsites > 0 && !sites) || nops < 0 ||
        nsites < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "crystal", -1, "bad arguments");
    if (nops > TSCT_CRYSTAL_SYMOPS_MAX)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "symmetry operators", -1,
                              "%lld operators: a space group has at most %d "
                              "(TSCT_CRYSTAL_SYMOPS_MAX)", (long long)nops,
                              TSCT_CRYSTAL_SYMOPS_MAX);
    TSCT_TRY(tsct_crystal_cell_check(cell, err));
    tsct_crystal *c = calloc(1, sizeof *c);
    if (!c)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "crystal", -1, "out of memory");
    tsct_status st = TSCT_OK;
    c->cell = *cell;
    if (spacegroup) {
        size_t n = strlen(spacegroup);
        if (n >= sizeof c->spacegroup)
            n = sizeof c->spacegroup - 1;
        memcpy(c->spacegroup, spacegroup, n);
        c->spacegroup[n] = '\0';
    }
    st = tsct_crystal_cell_metric(cell, c->g, c->gstar, err);
    int64_t nop_alloc = nops > 0 ? nops : 1;
    c->ops = malloc((size_t)nop_alloc * sizeof *c->ops);
    c->sites = malloc((size_t)(nsites > 0 ? nsites : 1) * sizeof *c->sites);
    c->ff = calloc((size_t)(nsites > 0 ? nsites : 1), sizeof *c->ff);
    c->ff_neutral = calloc((size_t)(nsites > 0 ? nsites : 1), sizeof *c->ff_neutral);
    c->fallback = calloc((size_t)(nsites > 0 ? nsites : 1), sizeof *c->fallback);
    if (st == TSCT_OK && (!c->ops || !c->sites || !c->ff || !c->ff_neutral || !c->fallback))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "crystal", -1, "out of memory");
    if (st == TSCT_OK) {
        if (nops > 0) {
            memcpy(c->ops, ops, (size_t)nops * sizeof *ops);
            c->nops = nops;
        } else {
            memset(c->ops, 0, sizeof *c->ops);
            for (int i = 0; i < 3; i++)
                c->ops[0].rot[i][i] = 1;
            c->nops = 1;
        }
        for (int64_t k = 0; k < c->nops && st == TSCT_OK; k++) {
            int d = det3i(c->ops[k].rot);
            if (d != 1 && d != -1)
                st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "symmetry operator", k,
                                    "rotation part has determinant %d, not +-1", d);
            for (int i = 0; i < 3; i++) {
                if (!isfinite(c->ops[k].trans[i]))
                    st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "symmetry operator", k,
                                        "translation is not finite");
                else
                    c->ops[k].trans[i] = wrap01(c->ops[k].trans[i]);
            }
        }
        if (st == TSCT_OK && laue_build(c) != 0)
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, "symmetry operators", -1,
                                "the rotations do not form a crystallographic point group "
                                "(more than 48 elements)");
    }
    if (st == TSCT_OK) {
        if (nsites > 0)
            memcpy(c->sites, sites, (size_t)nsites * sizeof *sites);
        c->nsites = nsites;
        for (int64_t s = 0; s < nsites && st == TSCT_OK; s++) {
            tsct_site *site = &c->sites[s];
            site->label[sizeof site->label - 1] = '\0';
            site->type[sizeof site->type - 1] = '\0';
            for (int i = 0; i < 3; i++)
                if (!isfinite(site->x[i]))
                    st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, site->label, s,
                                        "fractional coordinate %d is not finite", i + 1);
            if (st == TSCT_OK && (!isfinite(site->occupancy) || site->occupancy < 0.0))
                st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, site->label, s,
                                    "occupancy must be >= 0, got %g", site->occupancy);
            if (st == TSCT_OK && (!isfinite(site->uiso) || site->uiso < 0.0))
                st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, site->label, s,
                                    "Uiso must be >= 0 Angstrom^2, got %g", site->uiso);
            if (st == TSCT_OK)
                st = site_formfactor(site, s, &c->ff[s], &c->ff_neutral[s], &c->fallback[s],
                                     err);
        }
    }
    if (st == TSCT_OK)
        st = expand(c, err);
    if (st != TSCT_OK) {
        tsct_crystal_destroy(c);
        return st;
    }
    *out = c;
    return TSCT_OK;
}

const tsct_cell *tsct_crystal_cell(const tsct_crystal *c)
{
    return &c->cell;
}

const char *tsct_crystal_spacegroup(const tsct_crystal *c)
{
    return c->spacegroup;
}

int64_t tsct_crystal_symop_count(const tsct_crystal *c)
{
    return c->nops;
}

const tsct_symop *tsct_crystal_symops(const tsct_crystal *c)
{
    return c->ops;
}

int64_t tsct_crystal_site_count(const tsct_crystal *c)
{
    return c->nsites;
}

const tsct_site *tsct_crystal_sites(const tsct_crystal *c)
{
    return c->sites;
}

const tsct_formfactor *tsct_crystal_site_formfactor(const tsct_crystal *c, int64_t i)
{
    return (i >= 0 && i < c->nsites) ? c->ff[i] : NULL;
}

int tsct_crystal_site_ion_fallback(const tsct_crystal *c, int64_t i)
{
    return (i >= 0 && i < c->nsites) ? c->fallback[i] : 0;
}

int64_t tsct_crystal_atom_count(const tsct_crystal *c)
{
    return c->natoms;
}

const tsct_atom *tsct_crystal_atoms(const tsct_crystal *c)
{
    return c->atoms;
}

int64_t tsct_crystal_laue_order(const tsct_crystal *c)
{
    return c->nlaue;
}

double tsct_crystal_cell_content(const tsct_crystal *c)
{
    double s = 0.0;
    for (int64_t a = 0; a < c->natoms; a++)
        s += c->sites[c->atoms[a].site].occupancy;
    return s;
}
