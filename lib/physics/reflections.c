/* reflections.c - structure factors and reflection lists (include/tsct/crystal.h).
 *
 * Reflections are enumerated in the box |h_i| <= d*max |a_i| (since h_i = a_i . d*), kept
 * when d* <= d*max, and grouped into Laue classes: hkl is listed only when it is the largest
 * member of its orbit {h R} in lexicographic order, and its multiplicity is the orbit size.
 * Absences are not taken from extinction rules but from |F|^2 itself, relative to the largest
 * value the same atoms could give, (sum |occ f T|)^2, so that they hold for any setting,
 * origin choice or special position (Si 222 in origin choice 1, for instance). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crystal_internal.h"
#include "physics_internal.h"

static const tsct_reflection_params default_params = TSCT_REFLECTION_PARAMS_DEFAULT;

static double dstar2(const tsct_crystal *c, int h, int k, int l)
{
    const double v[3] = {h, k, l};
    double s = 0.0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            s += v[i] * c->gstar[i][j] * v[j];
    return s;
}

/* F(hkl) and sum_j |occ_j f_j T_j| (the bound on |F|). */
static void structure_factor(const tsct_crystal *c, int h, int k, int l,
                             const tsct_reflection_params *p, double *re, double *im,
                             double *bound)
{
    double s2 = 0.25 * dstar2(c, h, k, l);
    double s = sqrt(s2);
    double fr = 0.0, fi = 0.0, fb = 0.0;
    int64_t last_site = -1;
    double fs = 0.0;
    for (int64_t a = 0; a < c->natoms; a++) {
        const tsct_atom *at = &c->atoms[a];
        if (at->site != last_site) {
            /* atoms of one site are contiguous: evaluate its scattering power once */
            const tsct_site *site = &c->sites[at->site];
            const tsct_formfactor *ff = p->neutral_atoms ? c->ff_neutral[at->site]
                                                         : c->ff[at->site];
            fs = site->occupancy * tsct_formfactor_f0_s(ff, s);
            if (p->apply_adp)
                fs *= exp(-8.0 * M_PI * M_PI * site->uiso * s2);
            last_site = at->site;
        }
        double phase = 2.0 * M_PI * (h * at->x[0] + k * at->x[1] + l * at->x[2]);
        fr += fs * cos(phase);
        fi += fs * sin(phase);
        fb += fabs(fs);
    }
    *re = fr;
    *im = fi;
    if (bound)
        *bound = fb;
}

void tsct_crystal_structure_factor(const tsct_crystal *crystal, int h, int k, int l,
                                   const tsct_reflection_params *params, double *f_re,
                                   double *f_im)
{
    structure_factor(crystal, h, k, l, params ? params : &default_params, f_re, f_im, NULL);
}

static int lex_greater(const int a[3], const int b[3])
{
    if (a[0] != b[0])
        return a[0] > b[0];
    if (a[1] != b[1])
        return a[1] > b[1];
    return a[2] > b[2];
}

/* Multiplicity of hkl if it is the representative of its class, else 0. */
static int64_t laue_class(const tsct_crystal *c, const int hkl[3])
{
    int orbit[TSCT__LAUE_MAX][3];
    int n = 0;
    for (int g = 0; g < c->nlaue; g++) {
        int e[3];
        for (int j = 0; j < 3; j++)
            e[j] = hkl[0] * c->laue[g][0][j] + hkl[1] * c->laue[g][1][j] +
                   hkl[2] * c->laue[g][2][j];
        if (lex_greater(e, hkl))
            return 0;
        int seen = 0;
        for (int i = 0; i < n && !seen; i++)
            seen = orbit[i][0] == e[0] && orbit[i][1] == e[1] && orbit[i][2] == e[2];
        if (!seen) {
            memcpy(orbit[n], e, sizeof e);
            n++;
        }
    }
    return n;
}

static int cmp_reflection(const void *pa, const void *pb)
{
    const tsct_reflection *a = pa, *b = pb;
    if (a->d != b->d)
        return a->d > b->d ? -1 : 1;
    const int ha[3] = {a->h, a->k, a->l}, hb[3] = {b->h, b->k, b->l};
    if (lex_greater(ha, hb))
        return -1;
    if (lex_greater(hb, ha))
        return 1;
    return 0;
}

tsct_status tsct_crystal_reflections_create(tsct_reflection_list **out,
                                            const tsct_crystal *c,
                                            const tsct_reflection_params *params,
                                            tsct_error *err)
{
    if (out)
        *out = NULL;
    if (!out || !c)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "reflections", -1, "NULL argument");
    const tsct_reflection_params *p = params ? params : &default_params;
    if (!isfinite(p->qmax) || !isfinite(p->qmin) || p->qmax < p->qmin || p->qmax <= 0.0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "qmax", -1,
                              "need finite 0 < qmax >= qmin, got qmin %g, qmax %g 1/Angstrom",
                              p->qmin, p->qmax);
    if (!(p->absent_tol >= 0.0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "absent_tol", -1,
                              "must be >= 0, got %g", p->absent_tol);
    double dsmax = p->qmax / (2.0 * M_PI);
    double dsmax2 = dsmax * dsmax * (1.0 + 1e-12);
    double dsmin = p->qmin / (2.0 * M_PI);
    double dsmin2 = dsmin * dsmin * (1.0 - 1e-12);
    int64_t hmax[3];
    double box = 1.0;
    for (int i = 0; i < 3; i++) {
        double e = floor(dsmax * sqrt(c->g[i][i]) + 1e-9);
        box *= 2.0 * e + 1.0;
        hmax[i] = (int64_t)e;
    }
    /* Bounds before allocation: the lattice points in the shell number about its volume
     * times the cell's (the reciprocal cell has volume 1 / V). */
    const double volume = tsct_crystal_cell_volume(&c->cell);
    const double shell = 4.0 * M_PI / 3.0 * (dsmax * dsmax * dsmax - dsmin * dsmin * dsmin);
    const double expected = shell * volume;
    if (!(expected <= (double)TSCT_REFLECTIONS_MAX))
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "qmax", -1,
                              "too many reflections: about %.3g hkl up to qmax %g 1/Angstrom "
                              "for a cell of %.4g Angstrom^3: more than the limit %lld "
                              "(TSCT_REFLECTIONS_MAX); lower qmax or check the cell",
                              expected, p->qmax, volume, (long long)TSCT_REFLECTIONS_MAX);
    if (!(box <= (double)TSCT_REFLECTIONS_BOX_MAX))
        return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "qmax", -1,
                              "too many hkl to search: %.3g in the box up to qmax %g "
                              "1/Angstrom for cell lengths %g, %g, %g Angstrom: more than the "
                              "limit %lld "
                              "(TSCT_REFLECTIONS_BOX_MAX); lower qmax or check the cell",
                              box, p->qmax, c->cell.a, c->cell.b, c->cell.c,
                              (long long)TSCT_REFLECTIONS_BOX_MAX);
    tsct_reflection_list *list = calloc(1, sizeof *list);
    if (!list)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "reflections", -1, "out of memory");
    int64_t cap = 64;
    list->items = malloc((size_t)cap * sizeof *list->items);
    if (!list->items) {
        free(list);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "reflections", -1, "out of memory");
    }
    for (int64_t h = -hmax[0]; h <= hmax[0]; h++)
        for (int64_t k = -hmax[1]; k <= hmax[1]; k++)
            for (int64_t l = -hmax[2]; l <= hmax[2]; l++) {
                if (h == 0 && k == 0 && l == 0)
                    continue;
                const int hkl[3] = {(int)h, (int)k, (int)l};
                double ds2 = dstar2(c, hkl[0], hkl[1], hkl[2]);
                if (ds2 > dsmax2 || ds2 < dsmin2)
                    continue;
                int64_t mult = laue_class(c, hkl);
                if (mult == 0)
                    continue;
                double re, im, bound;
                structure_factor(c, hkl[0], hkl[1], hkl[2], p, &re, &im, &bound);
                double f2 = re * re + im * im;
                int absent = f2 <= p->absent_tol * bound * bound;
                if (absent && !p->keep_absent)
                    continue;
                if (list->count == TSCT_REFLECTIONS_MAX) {
                    tsct_crystal_reflections_destroy(list);
                    return tsct_error_set(err, TSCT_ERR_SHAPE, NULL, "qmax", -1,
                                          "too many reflections: more than %lld classes up "
                                          "to qmax %g 1/Angstrom (TSCT_REFLECTIONS_MAX); "
                                          "lower qmax or check the cell",
                                          (long long)TSCT_REFLECTIONS_MAX, p->qmax);
                }
                if (list->count == cap) {
                    cap *= 2;
                    tsct_reflection *n2 = realloc(list->items, (size_t)cap * sizeof *n2);
                    if (!n2) {
                        tsct_crystal_reflections_destroy(list);
                        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "reflections", -1,
                                              "out of memory");
                    }
                    list->items = n2;
                }
                tsct_reflection *r = &list->items[list->count++];
                r->h = hkl[0];
                r->k = hkl[1];
                r->l = hkl[2];
                r->multiplicity = mult;
                r->d = 1.0 / sqrt(ds2);
                r->q = 2.0 * M_PI * sqrt(ds2);
                r->f_re = re;
                r->f_im = im;
                r->f2 = f2;
                r->absent = absent;
            }
    qsort(list->items, (size_t)list->count, sizeof *list->items, cmp_reflection);
    *out = list;
    return TSCT_OK;
}

void tsct_crystal_reflections_destroy(tsct_reflection_list *list)
{
    if (!list)
        return;
    free(list->items);
    free(list);
}
